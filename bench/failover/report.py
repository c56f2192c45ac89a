"""bench/failover.sh: the markdown report from wrk's output (BENCH and TL lines of
bench/lua/stats.lua + bench/failover/timeline.lua), the proxy polls (poll.py) and the kill and
restart times the script recorded.

    report.py META RESULTS_TSV OUT_MD     (OUT_MD empty: print only)
"""
import csv
import sys

meta_path, results_path, out_path = sys.argv[1:4]
meta = {}
with open(meta_path) as f:
    for line in f:
        k, _, v = line.rstrip("\n").partition("\t")
        meta[k] = v
duration, kill_at, restart_at, warmup = (int(x) for x in meta["timeline"].split("\t"))
VICTIM = "m2"


def read_wrk(path):
    bench, buckets = {}, {}
    with open(path) as f:
        for line in f:
            if line.startswith("BENCH "):
                bench = dict(kv.split("=", 1) for kv in line.split()[1:])
            elif line.startswith("TL "):
                _, bucket, key, count = line.split()
                per = buckets.setdefault(int(bucket), {})
                per[key] = per.get(key, 0) + int(count)
    return {k: int(v) for k, v in bench.items()}, buckets


def read_poll(path):
    polls = []
    with open(path) as f:
        for line in f:
            ms, down, up, detail = line.split(maxsplit=3)
            if down != "-":
                polls.append((int(ms), down == "1", up == "1", detail.strip()))
    return polls


def errors_in(per):
    return sum(v for k, v in per.items() if k.startswith("E"))


def seconds(ms):
    return "–" if ms is None else f"{ms / 1000:.1f} s"


rows = []
timelines = []
with open(results_path) as f:
    for r in csv.DictReader(f, delimiter="\t"):
        peer = r["peer"]
        start, kill, restart, ready, end = (int(r[k]) for k in ("start_ms", "kill_ms", "restart_ms", "ready_ms", "end_ms"))
        bench, buckets = read_wrk(r["wrk"])
        polls = read_poll(r["poll"])
        socket_errors = sum(bench.get(k, 0) for k in ("err_connect", "err_read", "err_write", "err_timeout"))
        non2xx = sum(errors_in(per) for per in buckets.values())
        errors = non2xx + socket_errors
        requests = bench.get("requests", 0)

        # Buckets are 100 ms of wall-clock time (epoch ms / 100); the one holding the kill counts
        # as after it.
        kill_bucket, restart_bucket = kill // 100, restart // 100
        after_kill = [b for b in sorted(buckets) if b >= kill_bucket and errors_in(buckets[b]) > 0]
        errors_after_kill = sum(errors_in(buckets[b]) for b in after_kill)
        error_stream = (after_kill[-1] + 1) * 100 - kill if after_kill else None
        first_back = next((b for b in sorted(buckets) if b >= restart_bucket and buckets[b].get(VICTIM, 0) > 0), None)
        # The restarted mock may be hit within the 100 ms bucket in which it became ready.
        back_after = None if first_back is None else max(0, first_back * 100 - ready)
        served_after = sum(per.get(VICTIM, 0) for b, per in buckets.items() if b >= restart_bucket)
        down_at = next((ms for ms, down, _, _ in polls if ms >= kill and down), None)
        up_at = next((ms for ms, _, up, _ in polls if ms >= ready and up), None)
        label = meta["label_" + peer]
        rows.append([
            f"**{label}**" if peer == "fastgate" else label,
            f"{requests:,}",
            f"{errors:,} ({non2xx:,} non-2xx, {socket_errors:,} socket)",
            f"{100 * errors / requests:.3f} %" if requests else "–",
            f"{errors_after_kill:,}",
            "no error" if error_stream is None else seconds(error_stream),
            seconds(None if down_at is None else down_at - kill),
            seconds(ready - restart),
            seconds(None if up_at is None else up_at - ready),
            "never" if back_after is None else seconds(back_after),
            f"{served_after:,}",
        ])

        # Per second since the start of the load: answers per mock and errors.
        keys = sorted({k for per in buckets.values() for k in per if not k.startswith("E")})
        lines = [f"### {label}", "", "| s | " + " | ".join(keys) + " | non-2xx | |",
                 "|---:|" + "---:|" * (len(keys) + 1) + "---|"]
        for s in range(duration + 1):
            lo, hi = (start // 100) + 10 * s, (start // 100) + 10 * (s + 1)
            sums = {}
            for b in range(lo, hi):
                for k, v in buckets.get(b, {}).items():
                    sums[k] = sums.get(k, 0) + v
            if not sums:
                continue
            note = []
            if lo * 100 <= kill < hi * 100:
                note.append(f"{VICTIM} killed")
            if lo * 100 <= restart < hi * 100:
                note.append(f"{VICTIM} restarted")
            if lo * 100 <= ready < hi * 100:
                note.append(f"{VICTIM} ready")
            if down_at is not None and lo * 100 <= down_at < hi * 100:
                note.append("marked down")
            if up_at is not None and lo * 100 <= up_at < hi * 100:
                note.append("marked up")
            lines.append(f"| {s} | " + " | ".join(f"{sums.get(k, 0):,}" for k in keys)
                         + f" | {sum(v for k, v in sums.items() if k.startswith('E')):,} | {', '.join(note)} |")
        timelines += lines + [""]

header = ["Proxy", "requests", "errors", "error share", "errors after kill", "error stream stopped after kill",
          "marked down after kill", f"{VICTIM} ready after restart", "marked up after ready",
          f"first answer from {VICTIM} after ready", f"answers from {VICTIM} after restart"]
lines = [f"# Failover: one of three upstreams killed under load — {meta['date']}", "",
         "## Method", "",
         f"- Machine: {meta['machine']}; load average at start {meta['load']}, at end {meta['load_end']}.",
         "- Three mock upstreams (tools/MockUpstream, `m1` `m2` `m3`, each naming itself in "
         "`x-upstream`) and wrk on core 1, the proxy on core 0, one proxy at a time. "
         f"{warmup} s of warm-up with every mock up, then {duration} s of load:",
         "", "  ```", f"  {meta['command']}", "  ```", "",
         f"- `{VICTIM}` is killed with SIGKILL {kill_at} s into the load and started again on the same "
         f"port at {restart_at} s.",
         "- **errors**: non-2xx answers plus wrk's socket errors (connect, read, write, timeout).",
         "- **error stream stopped after kill**: the end of the last 100 ms with a non-2xx answer, "
         "from the kill (socket errors carry no time).",
         "- **marked down / up**: the proxy's own view of the endpoint, polled every 100 ms "
         "(FastGate `/metrics`: `fastgate_upstream_healthy` 0 or `fastgate_upstream_ejections_total` "
         "grown; HAProxy's stats CSV: status DOWN / UP).",
         f"- **first answer from {VICTIM} after ready**: from the moment the restarted mock answered "
         "its first request (sent directly, not through the proxy) to the first 100 ms in which "
         "the proxy had it serve a client; 0.1 s resolution.",
         f"- wrk {meta['wrk']}.", "",
         "## Results", "",
         "| " + " | ".join(header) + " |",
         "|---|" + "---:|" * (len(header) - 1)]
for row in rows:
    lines.append("| " + " | ".join(row) + " |")
lines += ["", "## Answers per second", ""] + timelines
lines += ["## Versions and settings", "", "| Proxy | Version | Settings |", "|---|---|---|"]
for peer in [k[len("label_"):] for k in meta if k.startswith("label_")]:
    lines.append(f"| {meta['label_' + peer]} | {meta['version_' + peer]} | {meta['settings_' + peer]} |")
lines.append("")
md = "\n".join(lines)
if out_path:
    with open(out_path, "w") as f:
        f.write(md)
start = lines.index("## Results")
end = lines.index("## Answers per second")
sys.stdout.write("\n".join(lines[start:end]) + "\n")
