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

ORDER = ["direct", "fastgate", "nginx", "haproxy", "caddy", "yarp"]
COLORS = {"direct": "#9e9e9e", "fastgate": "#d62728", "nginx": "#2ca02c",
          "haproxy": "#1f77b4", "caddy": "#17becf", "yarp": "#9467bd"}
BEGIN = "<!-- bench:latest:begin -->"
END = "<!-- bench:latest:end -->"


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


def fmt_rps(v):
    return "–" if v is None else f"{v:,.0f}"


def ratio(a, b):
    return "–" if a is None or not b else f"{a / b:.2f}"


def label(meta, peer):
    return meta.get("label_" + peer, peer)


def peers_in(rows):
    present = {r["peer"] for r in rows}
    return [p for p in ORDER if p in present] + sorted(present - set(ORDER))


def summarize(runs):
    """(scenario, variant) -> peer -> aggregated figures, keeping run order of scenarios."""
    out = {}
    for r in runs:
        out.setdefault((r["scenario"], r["variant"]), {}).setdefault(r["peer"], []).append(r)
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
            }
    return summary


def best_peer(figs):
    """Highest median req/s among the other proxies (not the ceiling, not FastGate)."""
    cands = [(f["rps"], p) for p, f in figs.items() if p not in ("direct", "fastgate") and f["rps"]]
    return max(cands)[1] if cands else None


def wrk_tables(meta, summary):
    lines = []
    for (scenario, variant), figs in summary.items():
        desc = meta.get("desc_" + scenario, "")
        lines.append(f"### {scenario} {variant}")
        lines.append("")
        if desc:
            lines.append(f"{desc}; {variant[1:]} connections.")
            lines.append("")
        best = best_peer(figs)
        direct = figs.get("direct", {}).get("rps")
        lines.append("| Proxy | req/s (median) | spread | vs direct | vs best peer | p50 ms | p99 ms | p99.9 ms | CPU s / 100k req | peak RSS MiB | errors |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for p in [p for p in ORDER if p in figs] + sorted(set(figs) - set(ORDER)):
            f = figs[p]
            name = label(meta, p)
            if p == "fastgate":
                name = f"**{name}**"
            if p == best:
                name += " (best peer)"
            spread = "–" if f["spread"] is None else f"{f['spread']:.0f} %"
            vs_best = "–" if p == "direct" or best is None else ratio(f["rps"], figs[best]["rps"])
            vs_direct = "1.00" if p == "direct" else ratio(f["rps"], direct)
            lines.append(f"| {name} | {fmt_rps(f['rps'])} | {spread} | {vs_direct} | {vs_best} | "
                         f"{fmt(f['p50'])} | {fmt(f['p99'])} | {fmt(f['p999'])} | {fmt(f['cpu'])} | "
                         f"{fmt(f['rss'], 1)} | {f['errors']} |")
        fg = figs.get("fastgate")
        if fg and fg["alloc"] is not None:
            lines.append("")
            lines.append(f"FastGate allocated {fmt(fg['alloc'], 1)} bytes per request "
                         "(`fastgate_allocated_bytes_total` delta / requests, median over rounds).")
        lines.append("")
    return lines


def idle_summary(idle):
    by = {}
    for r in idle:
        by.setdefault(r["peer"], {}).setdefault(int(r["connections"]), []).append(
            (num(r["rss_kib"]), int(num(r["errors"]) or 0)))
    return by


def idle_per_conn(idle, peer, top):
    """Median over rounds of (RSS with TOP connections - RSS with none) / TOP, each round
    against its own baseline (every round starts a fresh proxy)."""
    rounds = {}
    for r in idle:
        if r["peer"] == peer:
            rounds.setdefault(r["round"], {})[int(r["connections"])] = num(r["rss_kib"])
    per = [(d[top] - d[0]) * 1024 / top for d in rounds.values()
           if top and d.get(0) is not None and d.get(top) is not None]
    return med(per)


def idle_table(meta, idle):
    by = idle_summary(idle)
    if not by:
        return []
    counts = sorted({c for d in by.values() for c in d})
    top = max(counts)
    lines = ["### idle-conns", "", meta.get("desc_idle-conns", ""), ""]
    head = "| Proxy | " + " | ".join(f"RSS, {c:,} conns (MiB)" for c in counts)
    head += f" | bytes per idle connection ({top:,}; median of per-round deltas) | errors |"
    lines.append(head)
    lines.append("|---|" + "---:|" * (len(counts) + 2))
    for p in [p for p in ORDER if p in by] + sorted(set(by) - set(ORDER)):
        d = by[p]
        rss = {c: med(v[0] for v in d.get(c, [])) for c in counts}
        per = idle_per_conn(idle, p, top)
        errs = sum(e for c in d for _, e in d[c])
        name = f"**{label(meta, p)}**" if p == "fastgate" else label(meta, p)
        cells = " | ".join(fmt(None if rss[c] is None else rss[c] / 1024, 1) for c in counts)
        lines.append(f"| {name} | {cells} | {fmt(per, 0)} | {errs} |")
    lines.append("")
    return lines


def svg_chart(meta, summary, idle):
    keys = list(summary.keys())
    peers = peers_in([{"peer": p} for figs in summary.values() for p in figs] +
                     [{"peer": r["peer"]} for r in idle])
    panels = [("Requests per second (median; bars scaled per scenario)", "rps", fmt_rps),
              ("p99 latency, ms (median; lower is better)", "p99", lambda v: fmt(v))]
    bar_w, gap, group_gap, left, top = 14, 2, 26, 20, 60
    group_w = max(1, len(peers)) * (bar_w + gap) + group_gap
    panel_h, label_h = 170, 46
    idle_by = idle_summary(idle)
    width = max(640, left * 2 + max(1, len(keys)) * group_w)
    height = top + len(panels) * (panel_h + label_h + 30) + (panel_h + 60 if idle_by else 0) + 20
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="20" font-size="14" font-weight="bold">FastGate and peers, '
           f'{escape(meta.get("date", ""))} ({escape(meta.get("mode", ""))} run)</text>']
    # legend
    x = left
    for p in peers:
        out.append(f'<rect x="{x}" y="32" width="10" height="10" fill="{COLORS.get(p, "#777")}"/>')
        out.append(f'<text x="{x + 14}" y="41">{escape(label(meta, p))}</text>')
        x += 16 + 7 * len(label(meta, p)) + 14
    y0 = top
    for title, field, formatter in panels:
        out.append(f'<text x="{left}" y="{y0 + 12}" font-weight="bold">{escape(title)}</text>')
        base = y0 + 20 + panel_h
        for gi, key in enumerate(keys):
            figs = summary[key]
            vmax = max([f[field] for f in figs.values() if f[field]] or [1])
            gx = left + gi * group_w
            for pi, p in enumerate(peers):
                f = figs.get(p)
                if not f or f[field] is None:
                    continue
                h = f[field] / vmax * (panel_h - 45)  # headroom for the value label
                bx = gx + pi * (bar_w + gap)
                out.append(f'<rect x="{bx}" y="{base - h:.1f}" width="{bar_w}" height="{h:.1f}" '
                           f'fill="{COLORS.get(p, "#777")}"><title>{escape(label(meta, p))}: '
                           f'{formatter(f[field])}</title></rect>')
                out.append(f'<text transform="translate({bx + bar_w - 3},{base - h - 3:.1f}) rotate(-90)" '
                           f'font-size="9">{escape(short(f[field]) if field == "rps" else formatter(f[field]))}</text>')
            out.append(f'<line x1="{gx - 2}" y1="{base}" x2="{gx + group_w - group_gap}" y2="{base}" stroke="#333"/>')
            out.append(f'<text x="{gx}" y="{base + 14}">{escape(key[0])}</text>')
            out.append(f'<text x="{gx}" y="{base + 27}" fill="#555">{escape(key[1])}</text>')
        y0 = base + label_h
    if idle_by:
        counts = sorted({c for d in idle_by.values() for c in d})
        topc = max(counts)
        vals = {p: idle_per_conn(idle, p, topc) for p in idle_by}
        vals = {p: v for p, v in vals.items() if v is not None}
        out.append(f'<text x="{left}" y="{y0 + 12}" font-weight="bold">Bytes of RSS per idle keep-alive '
                   f'connection ({topc:,} connections; lower is better)</text>')
        vmax = max(list(vals.values()) + [1])
        for i, p in enumerate([p for p in peers if p in vals]):
            y = y0 + 24 + i * 22
            w = max(0.0, vals[p]) / vmax * (width - 260)
            out.append(f'<text x="{left}" y="{y + 12}">{escape(label(meta, p))}</text>')
            out.append(f'<rect x="{left + 80}" y="{y}" width="{w:.1f}" height="16" fill="{COLORS.get(p, "#777")}"/>')
            out.append(f'<text x="{left + 86 + w:.1f}" y="{y + 12}">{vals[p]:,.0f} B</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def short(v):
    if v is None:
        return ""
    if v >= 1e6:
        return f"{v / 1e6:.2f}M"
    if v >= 1e3:
        return f"{v / 1e3:.1f}k"
    return f"{v:.0f}"


def report_md(meta, summary, idle, name):
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
        f"- {meta.get('rounds')} interleaved round(s) per scenario (direct, FastGate, nginx, HAProxy, "
        f"Caddy, YARP, then again); {meta.get('duration')} per measured run.",
        f"- Warm-up after start: {meta.get('warmup_jit')} for JIT-compiled proxies (FastGate, YARP), "
        f"{meta.get('warmup')} for the others; {meta.get('scenario_warmup')} per proxy before each scenario.",
        "- req/s, p50/p99/p99.9: wrk (`--latency`, percentiles from a Lua `done` hook); spread = "
        "(max − min) / median over rounds; *vs direct* = against the origin without proxy (the "
        "ceiling); *vs best peer* = against the fastest of nginx, HAProxy, Caddy, YARP in that scenario.",
        "- CPU s / 100k req: the proxy's utime+stime (/proc/PID/stat, all its processes) during the run. "
        "Peak RSS: the proxy's VmRSS sampled every 0.5 s during the run. Errors: non-2xx responses "
        "plus socket errors (connect, read, write, timeout).",
        f"- wrk {meta.get('wrk')}; origin {meta.get('origin')} (one worker, on the load core).", "",
        "## Versions and settings", "",
        "| Proxy | Version | Settings |", "|---|---|---|"]
    for p in peers:
        lines.append(f"| {label(meta, p)} | {meta.get('version_' + p, '')} | {meta.get('settings_' + p, '')} |")
    lines += ["", "Every proxy: upstream keep-alive on, access log off, client keep-alive timeout 120 s, "
              "one catch-all route to the same origin.", "", "## Results", "",
              f"![req/s and p99 per proxy and scenario]({name}.svg)", ""]
    lines += wrk_tables(meta, summary)
    lines += idle_table(meta, idle)
    lines += ["## Commands", "", "PORT is the proxy's port (the origin's for *direct*).", "", "```"]
    for k, v in meta.items():
        if k.startswith("command_"):
            lines.append(f"# {k[len('command_'):]}")
            lines.append(v)
    lines += ["```", "", f"Raw figures per run: [{name}-runs.tsv]({name}-runs.tsv), "
              f"[{name}-idle.tsv]({name}-idle.tsv).", ""]
    return "\n".join(lines)


def update_docs(path, meta, summary, idle, name):
    rel = f"../bench/results/{name}"
    block = [BEGIN, "", f"Latest run: {meta.get('date')} ({meta.get('mode')} mode, "
             f"{meta.get('rounds')} round(s) of {meta.get('duration')}, load average at start "
             f"{meta.get('load')}). Full report: [{name}.md]({rel}.md).", "",
             f"![req/s and p99 per proxy and scenario]({rel}.svg)", ""]
    block += [l.replace("### ", "#### ") for l in wrk_tables(meta, summary)]
    block += [l.replace("### ", "#### ") for l in idle_table(meta, idle)]
    block += [END]
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n\n## Latest results\n\n"
    if BEGIN in text and END in text:
        head, _, rest = text.partition(BEGIN)
        _, _, tail = rest.partition(END)
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
    ap.add_argument("--out", help="path prefix: writes PREFIX.md, PREFIX.svg, PREFIX-runs.tsv, PREFIX-idle.tsv")
    ap.add_argument("--docs", help="markdown file whose latest-results block is replaced")
    ap.add_argument("--stdout", action="store_true")
    a = ap.parse_args()
    meta = read_meta(a.meta)
    runs = read_tsv(a.runs)
    idle = read_tsv(a.idle)
    summary = summarize(runs)
    name = os.path.basename(a.out) if a.out else "report"
    md = report_md(meta, summary, idle, name)
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
    if a.docs:
        update_docs(a.docs, meta, summary, idle, name)


if __name__ == "__main__":
    main()
