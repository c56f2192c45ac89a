#!/usr/bin/env python3
"""Turns the raw figures of one bench/run.sh run into a markdown report and an SVG chart,
and copies the tables into docs/benchmarks.md. Standard library only.

    report.py --meta META --runs RUNS.tsv --idle IDLE.tsv --out bench/results/STAMP --docs docs/benchmarks.md
    report.py --meta META --runs RUNS.tsv --idle IDLE.tsv --stdout
"""
import argparse
import csv
import os
import shutil
import statistics
import sys
from html import escape

ORDER = ["direct", "fastgate", "nginx", "haproxy", "caddy", "yarp", "relay"]
COLORS = {"direct": "#9e9e9e", "fastgate": "#d62728", "nginx": "#2ca02c",
          "haproxy": "#1f77b4", "caddy": "#17becf", "yarp": "#9467bd",
          "relay": "#8c564b"}
BEGIN = "<!-- bench:latest:begin -->"
END = "<!-- bench:latest:end -->"
# A run of the long-lived connection scenarios alone (ws-echo, sse-stream) has its own block in
# docs/benchmarks.md, so it does not replace the latest run of the request scenarios.
STREAMS_BEGIN = "<!-- bench:streams:begin -->"
STREAMS_END = "<!-- bench:streams:end -->"
# So does a run of ai-stream alone (direct against FastGate's AI route).
AI_BEGIN = "<!-- bench:ai:begin -->"
AI_END = "<!-- bench:ai:end -->"
# Rows that are not peers to compare FastGate with: the ceiling, FastGate itself and the byte relay
# (bench/peers/relay.c, the floor of any proxy at low concurrency).
NOT_PEERS = ("direct", "fastgate", "relay")
# ai-stream's goals (issue: AI gateway): added time to first token and the rate against direct.
AI_GOAL_TTFT_MS = 0.2
AI_GOAL_RATIO = 0.8


def read_meta(path):
    meta = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("\t")
            meta[k] = v
    return meta


def read_tsv(path):
    if not path or not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f, delimiter="\t"))


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def med(values):
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def fmt(v, digits=2):
    if v is None:
        return "–"
    return f"{v:,.{digits}f}"


def fmt_pct(v):
    return "–" if v is None else f"{v:.0f} %"


def fmt_rps(v):
    return "–" if v is None else f"{v:,.0f}"


def ratio(a, b):
    return "–" if a is None or not b else f"{a / b:.2f}"


def label(meta, peer):
    return meta.get("label_" + peer, peer)


def workers_of(row):
    """Worker count of a run; runs written before the workers column had one."""
    return int(num(row.get("workers")) or 1)


def workers_values(meta, rows=()):
    vals = {int(w) for w in meta.get("workers", "").split() if w.isdigit()}
    vals |= {workers_of(r) for r in rows}
    return sorted(vals) or [1]


def has_workers_setting(meta, peer):
    """True when the peer ran with each --workers value (FastGate, nginx, HAProxy)."""
    return meta.get("workers_setting_" + peer, "1" if peer in ("fastgate", "nginx", "haproxy") else "0") == "1"


def workers_cell(meta, peer, workers):
    if peer == "direct":
        return "–"
    return str(workers) if has_workers_setting(meta, peer) else f"{workers} (fixed)"


def order_key(inst):
    """Rows: by worker count, then in the usual peer order."""
    peer, workers = inst
    return (workers, ORDER.index(peer) if peer in ORDER else len(ORDER), peer)


def inst_name(meta, inst, several):
    peer, workers = inst
    if not several or not has_workers_setting(meta, peer):
        return label(meta, peer)
    return f"{label(meta, peer)} ×{workers}"


def summarize(runs):
    """(scenario, variant) -> (peer, workers) -> aggregated figures, keeping run order of
    scenarios."""
    out = {}
    for r in runs:
        out.setdefault((r["scenario"], r["variant"]), {}).setdefault(
            (r["peer"], workers_of(r)), []).append(r)
    summary = {}
    for key, by_peer in out.items():
        summary[key] = {}
        for peer, rows in by_peer.items():
            rps = [num(r["rps"]) for r in rows]
            m = med(rps)
            spread = None
            if len(rps) > 1 and m:
                spread = (max(rps) - min(rps)) / m * 100
            rss = [num(r["peak_rss_mib"]) for r in rows if num(r["peak_rss_mib"]) is not None]
            summary[key][peer] = {
                "rps": m, "spread": spread, "rounds": len(rows),
                "rps_all": rps,
                "p50": med(num(r["p50_ms"]) for r in rows),
                "p99": med(num(r["p99_ms"]) for r in rows),
                "p999": med(num(r["p999_ms"]) for r in rows),
                "cpu": med(num(r["cpu_s_per_100k"]) for r in rows),
                "rss": max(rss) if rss else None,
                "errors": sum(int(num(r["errors"]) or 0) for r in rows),
                "alloc": med(num(r["alloc_b_per_req"]) for r in rows),
                "load": med(num(r.get("load_busy_pct")) for r in rows),
            }
    return summary


def best_peer(figs, workers, among=None):
    """Highest median req/s among the other proxies with WORKERS workers (not the ceiling,
    not FastGate); AMONG restricts the candidates to those peers."""
    cands = [(f["rps"], inst) for inst, f in figs.items()
             if inst[1] == workers and inst[0] not in NOT_PEERS and f["rps"]
             and (among is None or inst[0] in among)]
    return max(cands)[1] if cands else None


def direct_rps(figs):
    d = [f["rps"] for (p, _), f in figs.items() if p == "direct" and f["rps"]]
    return d[0] if d else None


def several_workers_with_fastgate(meta, summary):
    """The ratio table is for runs that measured FastGate with more than one worker count."""
    return len(workers_values(meta)) > 1 and any(p == "fastgate" for figs in summary.values() for p, _ in figs)


def ratio_table(meta, summary):
    """FastGate against the best of nginx and HAProxy, per scenario and worker count."""
    values = workers_values(meta, [{"workers": w} for figs in summary.values() for _, w in figs])
    lines = ["### FastGate against the best of nginx and HAProxy", "",
             "Median req/s of FastGate divided by that of the faster of nginx and HAProxy "
             "with the same number of workers.", ""]
    lines.append("| Scenario | " + " | ".join(f"{w} worker{'s' if w > 1 else ''}" for w in values) + " |")
    lines.append("|---|" + "---:|" * len(values))
    for (scenario, variant), figs in summary.items():
        cells = []
        for w in values:
            fg = figs.get(("fastgate", w))
            best = best_peer(figs, w, among=("nginx", "haproxy"))
            if not fg or not fg["rps"] or best is None:
                cells.append("–")
                continue
            cells.append(f"{ratio(fg['rps'], figs[best]['rps'])} ({fmt_rps(fg['rps'])} / "
                         f"{fmt_rps(figs[best]['rps'])} {label(meta, best[0])})")
        lines.append(f"| {scenario} {variant} | " + " | ".join(cells) + " |")
    lines.append("")
    return lines


def per_cpu(f):
    """Requests per second of the proxy's own CPU time (from CPU s / 100k req)."""
    return 100000 / f["cpu"] if f.get("cpu") else None


def best_peer_per_cpu(figs, workers):
    """The other proxy (not direct, not FastGate) that served the most requests per CPU-second."""
    cands = [(per_cpu(f), inst) for inst, f in figs.items()
             if inst[1] == workers and inst[0] not in NOT_PEERS and per_cpu(f)]
    return max(cands)[1] if cands else None


def unit_of(meta, scenario):
    """What one unit of the rate is: requests, or messages / events for the stream scenarios."""
    return meta.get("unit_" + scenario, "requests")


def unit_short(unit):
    return {"requests": "req", "messages": "msg"}.get(unit, unit)


def is_stream(meta, scenario):
    return meta.get("kind_" + scenario) == "stream"


def p99_vs_direct(f, figs):
    """p99 through a proxy against direct: the ratio and the added milliseconds."""
    d = [g["p99"] for (p, _), g in figs.items() if p == "direct" and g["p99"]]
    if not d or f.get("p99") is None:
        return "–"
    return f"{f['p99'] / d[0]:.2f}× ({f['p99'] - d[0]:+.3f} ms)"


def wrk_tables(meta, summary):
    lines = []
    for (scenario, variant), figs in summary.items():
        unit = unit_short(unit_of(meta, scenario))
        latency_view = is_stream(meta, scenario) and any(f["p99"] is not None for f in figs.values())
        desc = meta.get("desc_" + scenario, "")
        lines.append(f"### {scenario} {variant}")
        lines.append("")
        if desc:
            lines.append(f"{desc}; {variant[1:]} connections.")
            lines.append("")
        if meta.get("full_handshakes_" + scenario):
            lines.append("Every request is a new TLS connection with a full handshake: the load generator "
                         "offers no session to resume (" + meta.get("tls_resumption_check", "checked at the start of the run") + ").")
            lines.append("")
        body = num(meta.get("bytes_" + scenario))
        cpu_view = meta.get("cpu_view_" + scenario) == "1"
        if cpu_view:
            lines.append("The load generator shares one core with the origin and may saturate before the "
                         f"proxy does; *per CPU-s* ({unit_of(meta, scenario)} per second of the proxy's own CPU time) and its "
                         "ratio to the best peer compare the proxies' cost independently of that.")
            lines.append("")
        direct = direct_rps(figs)
        best = {w: best_peer(figs, w) for w in {w for _, w in figs}}
        best_cpu = {w: best_peer_per_cpu(figs, w) for w in {w for _, w in figs}}
        extra_head = ("| MiB/s " if body else "") + ("| per CPU-s | per CPU-s vs best peer " if cpu_view else "")
        extra_align = ("---:|" if body else "") + ("---:|---:|" if cpu_view else "")
        lat_head = "| p99 vs direct " if latency_view else ""
        lat_align = "---:|" if latency_view else ""
        lines.append(f"| Proxy | workers | {unit}/s (median) " + extra_head + "| spread | vs direct | vs best peer | p50 ms | p99 ms "
                     + lat_head + f"| p99.9 ms | CPU s / 100k {unit} | load core busy | peak RSS MiB | errors |")
        lines.append("|---|---:|---:|" + extra_align + "---:|---:|---:|---:|---:|" + lat_align + "---:|---:|---:|---:|---:|")
        for inst in sorted(figs, key=order_key):
            p, w = inst
            f = figs[inst]
            name = label(meta, p)
            if p == "fastgate":
                name = f"**{name}**"
            if inst == best[w]:
                name += " (best peer)"
            spread = "–" if f["spread"] is None else f"{f['spread']:.0f} %"
            vs_best = "–" if p == "direct" or best[w] is None else ratio(f["rps"], figs[best[w]]["rps"])
            vs_direct = "1.00" if p == "direct" else ratio(f["rps"], direct)
            extra = ""
            if body:
                extra += f"{fmt(None if f['rps'] is None else f['rps'] * body / 1048576, 0)} | "
            if cpu_view:
                bc = best_cpu[w]
                extra += f"{fmt_rps(per_cpu(f))} | "
                extra += ("–" if p == "direct" or bc is None else ratio(per_cpu(f), per_cpu(figs[bc]))) + " | "
            lat = ""
            if latency_view:
                lat = ("–" if p == "direct" else p99_vs_direct(f, figs)) + " | "
            lines.append(f"| {name} | {workers_cell(meta, p, w)} | {fmt_rps(f['rps'])} | {extra}{spread} | {vs_direct} | {vs_best} | "
                         f"{fmt(f['p50'])} | {fmt(f['p99'])} | {lat}{fmt(f['p999'])} | {fmt(f['cpu'])} | {fmt_pct(f['load'])} | "
                         f"{fmt(f['rss'], 1)} | {f['errors']} |")
        allocs = [(w, f["alloc"]) for (p, w), f in sorted(figs.items(), key=lambda kv: order_key(kv[0]))
                  if p == "fastgate" and f["alloc"] is not None]
        if allocs:
            lines.append("")
            if meta.get("kind_" + scenario) == "h2load":
                # HTTP/2: per request with the connections open, and apart what a new connection costs.
                per = ", ".join(fmt(a, 1) for _, a in allocs)
                lines.append(f"FastGate allocated {per} bytes per request with the connections open "
                             "(`fastgate_allocated_bytes_total` read 1 s into the run and 1 s before its end, less one "
                             "read of /metrics, / the requests that ended in between; median over rounds)"
                             + (f", and {meta['alloc_per_connection_' + scenario]} bytes per new connection"
                                if meta.get("alloc_per_connection_" + scenario) else "") + ".")
            elif meta.get("kind_" + scenario) == "wrk":
                # wrk: per request with the connections open; wrk's rate gives the requests between the reads.
                per = ", ".join(f"{fmt(a, 1)}" + (f" with {w} worker{'s' if w > 1 else ''}" if len(allocs) > 1 else "")
                                for w, a in allocs)
                lines.append(f"FastGate allocated {per} bytes per request "
                             "(`fastgate_allocated_bytes_total` read 1 s into the run and 1 s before its end, less one "
                             "read of /metrics, / the requests in between at wrk's mean rate, so the connections wrk "
                             "opens at its start are left out; median over rounds).")
            elif meta.get("alloc_window_" + scenario):
                # ws-echo, sse-stream: read inside the client's measured window.
                unit = unit_of(meta, scenario)
                per = ", ".join(f"{fmt(a, 1)}" + (f" with {w} worker{'s' if w > 1 else ''}" if len(allocs) > 1 else "")
                                for w, a in allocs)
                lines.append(f"FastGate allocated {per} bytes per {unit[:-1]} "
                             "(`fastgate_allocated_bytes_total` read 1 s into the client's measured window and 1 s "
                             f"before its end, less one read of /metrics, / the {unit} in between at the measured rate; "
                             "median over rounds).")
            elif len(allocs) == 1:
                lines.append(f"FastGate allocated {fmt(allocs[0][1], 1)} bytes per {unit_of(meta, scenario)[:-1]} "
                             f"(`fastgate_allocated_bytes_total` delta / {unit_of(meta, scenario)}, median over rounds).")
            else:
                per = ", ".join(f"{fmt(a, 1)} with {w} worker{'s' if w > 1 else ''}" for w, a in allocs)
                lines.append(f"FastGate allocated bytes per request: {per} "
                             "(`fastgate_allocated_bytes_total` delta / requests, median over rounds).")
        lines.append("")
    return lines


def idle_summary(idle):
    """(peer, workers) -> connections -> [(rss_kib, errors)] over rounds."""
    by = {}
    for r in idle:
        by.setdefault((r["peer"], workers_of(r)), {}).setdefault(int(r["connections"]), []).append(
            (num(r["rss_kib"]), int(num(r["errors"]) or 0)))
    return by


def idle_per_conn(idle, inst, top):
    """Median over rounds of (RSS with TOP connections - RSS with none) / TOP, each round
    against its own baseline (every round starts a fresh proxy)."""
    rounds = {}
    for r in idle:
        if (r["peer"], workers_of(r)) == inst:
            rounds.setdefault(r["round"], {})[int(r["connections"])] = num(r["rss_kib"])
    per = [(d[top] - d[0]) * 1024 / top for d in rounds.values()
           if top and d.get(0) is not None and d.get(top) is not None]
    return med(per)


def idle_scenarios(idle):
    """scenario -> its idle rows, in run order; rows of an idle.tsv written before the
    scenario column existed all belong to idle-conns."""
    out = {}
    for r in idle:
        out.setdefault(r.get("scenario") or "idle-conns", []).append(r)
    return out


def idle_table(meta, idle):
    lines = []
    for scenario, rows in idle_scenarios(idle).items():
        lines += idle_scenario_table(meta, scenario, rows)
    return lines


def idle_scenario_table(meta, scenario, idle):
    by = idle_summary(idle)
    if not by:
        return []
    counts = sorted({c for d in by.values() for c in d})
    top = max(counts)
    lines = [f"### {scenario}", "", meta.get("desc_" + scenario, ""), ""]
    head = "| Proxy | workers | " + " | ".join(f"RSS, {c:,} conns (MiB)" for c in counts)
    head += f" | bytes per idle connection ({top:,}; median of per-round deltas) | errors |"
    lines.append(head)
    lines.append("|---|---:|" + "---:|" * (len(counts) + 2))
    for inst in sorted(by, key=order_key):
        p, w = inst
        d = by[inst]
        rss = {c: med(v[0] for v in d.get(c, [])) for c in counts}
        per = idle_per_conn(idle, inst, top)
        errs = sum(e for c in d for _, e in d[c])
        name = f"**{label(meta, p)}**" if p == "fastgate" else label(meta, p)
        cells = " | ".join(fmt(None if rss[c] is None else rss[c] / 1024, 1) for c in counts)
        lines.append(f"| {name} | {workers_cell(meta, p, w)} | {cells} | {fmt(per, 0)} | {errs} |")
    lines.append("")
    return lines


def svg_chart(meta, summary, idle):
    keys = list(summary.keys())
    peers = sorted({inst for figs in summary.values() for inst in figs} |
                   {(r["peer"], workers_of(r)) for r in idle}, key=order_key)
    several = len({w for _, w in peers}) > 1
    panels = [("Requests per second (median; bars scaled per scenario)", "rps", fmt_rps),
              ("p99 latency, ms (median; lower is better)", "p99", lambda v: fmt(v))]
    bar_w, gap, group_gap, left, top = 14, 2, 26, 20, 60
    group_w = max(1, len(peers)) * (bar_w + gap) + group_gap
    panel_h, label_h = 170, 46
    idle_sets = idle_scenarios(idle)
    width = max(640, left * 2 + max(1, len(keys)) * group_w)
    height = top + len(panels) * (panel_h + label_h + 30) + len(idle_sets) * (panel_h + 60) + 20
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="20" font-size="14" font-weight="bold">FastGate and peers, '
           f'{escape(meta.get("date", ""))} ({escape(meta.get("mode", ""))} run)</text>']
    # legend
    x = left
    for inst in peers:
        name = inst_name(meta, inst, several)
        out.append(f'<rect x="{x}" y="32" width="10" height="10" fill="{COLORS.get(inst[0], "#777")}"'
                   f'{bar_style(inst)}/>')
        out.append(f'<text x="{x + 14}" y="41">{escape(name)}</text>')
        x += 16 + 7 * len(name) + 14
    y0 = top
    for title, field, formatter in panels:
        out.append(f'<text x="{left}" y="{y0 + 12}" font-weight="bold">{escape(title)}</text>')
        base = y0 + 20 + panel_h
        for gi, key in enumerate(keys):
            figs = summary[key]
            vmax = max([f[field] for f in figs.values() if f[field]] or [1])
            gx = left + gi * group_w
            for pi, inst in enumerate(peers):
                f = figs.get(inst)
                if not f or f[field] is None:
                    continue
                h = f[field] / vmax * (panel_h - 45)  # headroom for the value label
                bx = gx + pi * (bar_w + gap)
                out.append(f'<rect x="{bx}" y="{base - h:.1f}" width="{bar_w}" height="{h:.1f}" '
                           f'fill="{COLORS.get(inst[0], "#777")}"{bar_style(inst)}>'
                           f'<title>{escape(inst_name(meta, inst, several))}: '
                           f'{formatter(f[field])}</title></rect>')
                out.append(f'<text transform="translate({bx + bar_w - 3},{base - h - 3:.1f}) rotate(-90)" '
                           f'font-size="9">{escape(short(f[field]) if field == "rps" else formatter(f[field]))}</text>')
            out.append(f'<line x1="{gx - 2}" y1="{base}" x2="{gx + group_w - group_gap}" y2="{base}" stroke="#333"/>')
            out.append(f'<text x="{gx}" y="{base + 14}">{escape(key[0])}</text>')
            out.append(f'<text x="{gx}" y="{base + 27}" fill="#555">{escape(key[1])}</text>')
        y0 = base + label_h
    for scenario, rows in idle_sets.items():
        idle_by = idle_summary(rows)
        counts = sorted({c for d in idle_by.values() for c in d})
        topc = max(counts)
        vals = {inst: idle_per_conn(rows, inst, topc) for inst in idle_by}
        vals = {inst: v for inst, v in vals.items() if v is not None}
        kind = "HTTPS " if scenario == "tls-idle" else ""
        out.append(f'<text x="{left}" y="{y0 + 12}" font-weight="bold">{escape(scenario)}: bytes of RSS per idle '
                   f'{kind}keep-alive connection ({topc:,} connections; lower is better)</text>')
        vmax = max(list(vals.values()) + [1])
        for i, inst in enumerate([p for p in peers if p in vals]):
            y = y0 + 24 + i * 22
            w = max(0.0, vals[inst]) / vmax * (width - 260)
            out.append(f'<text x="{left}" y="{y + 12}">{escape(inst_name(meta, inst, several))}</text>')
            out.append(f'<rect x="{left + 80}" y="{y}" width="{w:.1f}" height="16" '
                       f'fill="{COLORS.get(inst[0], "#777")}"{bar_style(inst)}/>')
            out.append(f'<text x="{left + 86 + w:.1f}" y="{y + 12}">{vals[inst]:,.0f} B</text>')
        y0 += panel_h + 60
    out.append("</svg>")
    return "\n".join(out) + "\n"


def bar_style(inst):
    """Runs with more than one worker: the peer's colour, lighter and outlined."""
    if inst[1] <= 1:
        return ""
    return ' fill-opacity="0.45" stroke="#333" stroke-width="0.6"'


def short(v):
    if v is None:
        return ""
    if v >= 1e6:
        return f"{v / 1e6:.2f}M"
    if v >= 1e3:
        return f"{v / 1e3:.1f}k"
    return f"{v:.0f}"


def ai_table(meta, ai_rows):
    """ai-stream: FastGate's AI route against the mock provider called directly, per connection count."""
    if not ai_rows:
        return []
    lines = ["### ai-stream: added time to first token and latency", "",
             "Medians over rounds of each run's percentiles. *added* = through FastGate minus direct; "
             f"goals: added TTFT p50 < {AI_GOAL_TTFT_MS} ms, rate >= {AI_GOAL_RATIO}x direct. Bytes per event: "
             + ("FastGate's `fastgate_allocated_bytes_total` read 1 s into the client's measured window and 1 s "
                "before its end, less one read of /metrics, / the streamed events in between at the measured rate "
                if meta.get("alloc_window_ai-stream") else
                "FastGate's `fastgate_allocated_bytes_total` delta over every streamed event of the run ")
             + "(the per-event cost of the stage alone is the BenchmarkDotNet figure in docs/benchmarks.md).", "",
             "| Connections | Direct req/s | FastGate req/s | Rate ratio | TTFT p50 direct / FastGate (ms) | Added TTFT p50 | "
             "Added TTFT p99 | Added latency p50 | Added latency p99 | Events/s FastGate | Bytes/event | Goals |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    variants = sorted({r["variant"] for r in ai_rows}, key=lambda v: int(v.lstrip("c") or 0))
    for v in variants:
        def m(peer, col):
            return med([num(r[col]) for r in ai_rows if r["variant"] == v and r["peer"] == peer])
        d_rate, f_rate = m("direct", "rate"), m("fastgate", "rate")
        d_t50, f_t50 = m("direct", "ttft_p50_ms"), m("fastgate", "ttft_p50_ms")
        d_t99, f_t99 = m("direct", "ttft_p99_ms"), m("fastgate", "ttft_p99_ms")
        d_l50, f_l50 = m("direct", "p50_ms"), m("fastgate", "p50_ms")
        d_l99, f_l99 = m("direct", "p99_ms"), m("fastgate", "p99_ms")
        f_events = m("fastgate", "events_rate")
        alloc = m("fastgate", "alloc_b_per_event")
        ratio_v = f_rate / d_rate if d_rate and f_rate is not None else None
        add = lambda a, b: b - a if a is not None and b is not None else None
        added_t50 = add(d_t50, f_t50)
        goals = "–"
        if ratio_v is not None and added_t50 is not None:
            met = added_t50 < AI_GOAL_TTFT_MS and ratio_v >= AI_GOAL_RATIO
            goals = "met" if met else "**not met**"
        lines.append(f"| {v.lstrip('c')} | {fmt_rps(d_rate) if d_rate is not None else '–'} | "
                     f"{fmt_rps(f_rate) if f_rate is not None else '–'} | {fmt(ratio_v)} | {fmt(d_t50, 3)} / {fmt(f_t50, 3)} | "
                     f"{fmt(added_t50, 3)} | {fmt(add(d_t99, f_t99), 3)} | {fmt(add(d_l50, f_l50), 3)} | "
                     f"{fmt(add(d_l99, f_l99), 3)} | {fmt_rps(f_events) if f_events is not None else '–'} | {fmt(alloc, 1)} | {goals} |")
    return lines + [""]


def report_md(meta, summary, idle, name, ai_rows=()):
    peers = meta.get("peers", "").split()
    lines = [f"# Benchmark: FastGate and peers — {meta.get('date', '')}", ""]
    if meta.get("mode") == "quick":
        lines += ["**Quick run** (`--quick`: one round, short runs and warm-ups): indicative only; "
                  "JIT-compiled proxies are not at steady state.", ""]
    lines += [
        "## Machine and method", "",
        f"- Machine: {meta.get('nproc')} CPUs, {meta.get('cpu')}, {meta.get('kernel')}; "
        f"load average at start {meta.get('load')}, at end {meta.get('load_end', '?')}.",
        f"- Pinning: {meta.get('pinning')}.",
        *([f"- Workers: {', '.join(map(str, workers_values(meta)))}. FastGate (`workers`), nginx "
           "(`worker_processes`) and HAProxy (`nbthread`) ran once per value; the proxies without "
           "such a setting (Caddy, YARP) ran once, with their single worker (\"fixed\"). All "
           "instances ran side by side and the rounds interleave them."]
          if len(workers_values(meta)) > 1 else []),
        f"- {meta.get('rounds')} interleaved round(s) per scenario (direct, FastGate, nginx, HAProxy, "
        f"Caddy, YARP, then again); {meta.get('duration')} per measured run.",
        f"- Warm-up after start: {meta.get('warmup_jit')} for JIT-compiled proxies (FastGate, YARP), "
        f"{meta.get('warmup')} for the others; {meta.get('scenario_warmup')} per proxy before each scenario.",
        "- req/s, p50/p99/p99.9: wrk (`--latency`, percentiles from a Lua `done` hook); spread = "
        "(max − min) / median over rounds; *vs direct* = against the origin without proxy (the "
        "ceiling); *vs best peer* = against the fastest of nginx, HAProxy, Caddy, YARP in that scenario"
        + (" with the same number of workers." if len(workers_values(meta)) > 1 else "."),
        "- CPU s / 100k req: the proxy's utime+stime (/proc/PID/stat, all its processes) during the run. "
        "Load core busy: the share of the load core (wrk or the load client, the origin, the kernel's "
        "work for both) not idle during the run (/proc/stat; median over rounds); near 100 % the load "
        "core sets the pace, and a faster proxy cannot raise the rate (with wrk and nginx as the origin; the .NET "
        "load client and mock origin of ws-echo, sse-stream and ai-stream spin briefly before they sleep, so there "
        "it reads high even while they wait on the proxy). "
        "Peak RSS: the proxy's VmRSS sampled every 0.5 s during the run. Errors: non-2xx responses "
        "plus socket errors (connect, read, write, timeout).",
        f"- wrk {meta.get('wrk')}; origin {meta.get('origin')} (one worker, on the load core).",
        *([f"- ws-echo, sse-stream and ai-stream: load by {meta['stream_load']}, the mock origin "
           "(tools/MockUpstream, Kestrel) on the load core, loaded on the scenario's path before the "
           "proxies' warm-ups for as long as the JIT warm-up and at least 20 s (it is JIT-compiled too). "
           "ws-echo: messages/s and round-trip "
           "percentiles of each message and its echo inside the measured window (after the client's "
           "warm-up); *p99 vs direct* = p99 through the proxy against p99 without one. sse-stream: "
           "events/s summed over every stream across the window; errors = streams that failed or ended, "
           "plus events with an id gap or out of order; p50/p99/p99.9 = delay of a lone event (one more "
           "stream, events 20 ms apart stamped with the origin's monotonic clock at its write) from the "
           "origin to the client while the other streams run back to back, so a proxy that holds events "
           "back to send fewer, larger segments shows it. CPU per message or event counts the whole run, "
           "warm-up included; bytes per message or event count the measured window only."] if meta.get("stream_load") else []),
        *([f"- TLS: {meta['tls']}. Negotiated with a default `openssl s_client`: "
           + "; ".join(f"{label(meta, k[len('tls_negotiated_'):])} {v}" for k, v in meta.items()
                       if k.startswith("tls_negotiated_")) + "."] if meta.get("tls") else []),
        "",
        "## Versions and settings", "",
        "| Proxy | Version | Settings |", "|---|---|---|"]
    for p in peers:
        lines.append(f"| {label(meta, p)} | {meta.get('version_' + p, '')} | {meta.get('settings_' + p, '')} |")
    lines += ["", "Every proxy: upstream keep-alive on, access log off, client keep-alive timeout 120 s, "
              "one catch-all route to the same origin, the client's address and scheme sent upstream "
              "(nginx and HAProxy are set to send X-Forwarded-For, -Proto, -Host and Via, as FastGate does; "
              "Caddy and YARP send their X-Forwarded fields by default).", "", "## Results", "",
              f"![req/s and p99 per proxy and scenario]({name}.svg)", ""]
    if several_workers_with_fastgate(meta, summary):
        lines += ratio_table(meta, summary)
    lines += wrk_tables(meta, summary)
    lines += ai_table(meta, ai_rows)
    lines += idle_table(meta, idle)
    port_note = "PORT is the proxy's port (the origin's for *direct*)."
    if any(k.startswith(("tls_", "bytes_")) for k in meta):
        port_note = ("PORT is the port of the listener the scenario loads: the proxy's plain, TLS (https) "
                     "or TCP listener; the origin's for *direct*. WORKDIR/tls/no-resume.so is "
                     "bench/tls/no-resume.c, built by the run.")
    lines += ["## Commands", "", port_note, "", "```"]
    for k, v in meta.items():
        if k.startswith("command_"):
            lines.append(f"# {k[len('command_'):]}")
            lines.append(v)
    lines += ["```", "", f"Raw figures per run: [{name}-runs.tsv]({name}-runs.tsv), "
              f"[{name}-idle.tsv]({name}-idle.tsv).", ""]
    return "\n".join(lines)


def update_docs(path, meta, summary, idle, name, ai_rows=()):
    rel = f"../bench/results/{name}"
    begin, end = BEGIN, END
    scenarios = {sc for sc, _ in summary}
    if scenarios == {"ai-stream"} and not idle:
        begin, end = AI_BEGIN, AI_END
    elif scenarios and all(is_stream(meta, sc) for sc in scenarios) and not idle:
        begin, end = STREAMS_BEGIN, STREAMS_END
    block = [begin, "", f"Latest run: {meta.get('date')} ({meta.get('mode')} mode, "
             f"{meta.get('rounds')} round(s) of {meta.get('duration')}, load average at start "
             f"{meta.get('load')}). Full report: [{name}.md]({rel}.md).", "",
             f"![req/s and p99 per proxy and scenario]({rel}.svg)", ""]
    if several_workers_with_fastgate(meta, summary):
        block += [l.replace("### ", "#### ") for l in ratio_table(meta, summary)]
    block += [l.replace("### ", "#### ") for l in wrk_tables(meta, summary)]
    block += [l.replace("### ", "#### ") for l in ai_table(meta, ai_rows)]
    block += [l.replace("### ", "#### ") for l in idle_table(meta, idle)]
    block += [end]
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n\n## Latest results\n\n"
    if begin in text and end in text:
        head, _, rest = text.partition(begin)
        _, _, tail = rest.partition(end)
        text = head + "\n".join(block) + tail
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(block) + "\n"
    with open(path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--meta", required=True)
    ap.add_argument("--runs", required=True)
    ap.add_argument("--idle")
    ap.add_argument("--ai", help="ai-stream figures per run (TTFT, latency, events, bytes per event)")
    ap.add_argument("--out", help="path prefix: writes PREFIX.md, PREFIX.svg, PREFIX-runs.tsv, PREFIX-idle.tsv")
    ap.add_argument("--docs", help="markdown file whose latest-results block is replaced")
    ap.add_argument("--stdout", action="store_true")
    a = ap.parse_args()
    meta = read_meta(a.meta)
    runs = read_tsv(a.runs)
    idle = read_tsv(a.idle)
    ai_rows = read_tsv(a.ai)
    summary = summarize(runs)
    name = os.path.basename(a.out) if a.out else "report"
    md = report_md(meta, summary, idle, name, ai_rows)
    if a.stdout or not a.out:
        sys.stdout.write(md)
        return
    with open(a.out + ".md", "w") as f:
        f.write(md)
    with open(a.out + ".svg", "w") as f:
        f.write(svg_chart(meta, summary, idle))
    shutil.copyfile(a.runs, a.out + "-runs.tsv")
    if a.idle and os.path.exists(a.idle):
        shutil.copyfile(a.idle, a.out + "-idle.tsv")
    if ai_rows:
        shutil.copyfile(a.ai, a.out + "-ai.tsv")
    if a.docs:
        update_docs(a.docs, meta, summary, idle, name, ai_rows)


if __name__ == "__main__":
    main()
