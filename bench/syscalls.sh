#!/usr/bin/env bash
# System calls per proxied request: FastGate, nginx and HAProxy under the same fixed
# keep-alive load (HTTP/1.1 GET, or POST with --post; 12-byte body from the nginx origin), counted with strace.
#
#   bench/syscalls.sh [options]
#
# Options:
#   --peers LIST         comma-separated subset of: fastgate,nginx,haproxy (default all three)
#   --workers N          workers of each proxy (default 1; as bench/run.sh --workers)
#   --connections N      wrk connections (default 64)
#   --duration D         length of the traced load, e.g. 5s (default 5s)
#   --warmup D           warm-up of native peers after start (default 5s)
#   --warmup-jit D       warm-up of FastGate after start (default 20s)
#   --close              a connection per request (wrk sends `Connection: close`, as the
#                        h1-close scenario does): the figures are then per connection
#   --post               keep-alive POSTs with a 1 KiB body (bench/lua/post-1k.lua, as the
#                        h1-post scenario loads it) instead of GETs
#   --no-install         do not apt-get install missing tools; fail instead
#   --no-report          print the table only; do not write bench/results/
#   -h, --help           this text
#
# Environment: FASTGATE_BIN uses an existing binary instead of publishing one;
# FASTGATE_TRANSPORT sets FastGate's `transport`; BENCH_PORT_BASE (default 18380) moves
# every port; KEEP_WORKDIR=1 keeps the temporary directory; BENCH_LOCK as in bench/run.sh.
#
# One proxy at a time, started as bench/run.sh starts it (one worker on core 0; the origin
# and wrk on core 1), warmed up, then traced: `strace -f -c` attached to every process of
# the proxy (every thread with -f) while `wrk -t1 -cN -dD` runs, detached when wrk ends.
# Syscalls of the proxy divided by the requests wrk completed. strace stops the proxy at
# every syscall, so it runs far slower than untraced: the figures count, they do not time;
# a slower proxy may find more events per epoll_wait than at full speed. Writes
# bench/results/STAMP-syscalls.md; stops every process it started on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
ALL_PEERS=(fastgate nginx haproxy)

PEERS=("${ALL_PEERS[@]}")
WORKERS=1
CONNECTIONS=64
DURATION=5s
WARMUP=5s
WARMUP_JIT=20s
INSTALL=1
REPORT=1
CLOSE=0
POST=0

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        --peers) IFS=, read -r -a PEERS <<<"${2:?--peers needs a value}"; shift 2 ;;
        --workers) WORKERS=${2:?--workers needs a value}; shift 2 ;;
        --connections) CONNECTIONS=${2:?--connections needs a value}; shift 2 ;;
        --duration) DURATION=${2:?--duration needs a value}; shift 2 ;;
        --warmup) WARMUP=${2:?--warmup needs a value}; shift 2 ;;
        --warmup-jit) WARMUP_JIT=${2:?--warmup-jit needs a value}; shift 2 ;;
        --close) CLOSE=1; shift ;;
        --post) POST=1; shift ;;
        --no-install) INSTALL=0; shift ;;
        --no-report) REPORT=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "syscalls: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
[[ "$WORKERS" =~ ^[1-9][0-9]*$ ]] || { echo "syscalls: --workers takes a positive integer" >&2; exit 2; }
[[ "$CONNECTIONS" =~ ^[1-9][0-9]*$ ]] || { echo "syscalls: --connections takes a positive integer" >&2; exit 2; }
[[ $CLOSE -eq 1 && $POST -eq 1 ]] && { echo "syscalls: --close and --post do not combine" >&2; exit 2; }

source "$BENCH/lib/common.sh"
for p in "${PEERS[@]}"; do
    [[ " ${ALL_PEERS[*]} " == *" $p "* ]] || die "unknown peer '$p' (known: ${ALL_PEERS[*]})"
done
# nginx is always needed: it is the origin.
source "$BENCH/peers/nginx.sh"
for p in "${PEERS[@]}"; do source "$BENCH/peers/$p.sh"; done
source "$BENCH/lib/origins.sh"

# ---------------------------------------------------------------- cleanup
WORKDIR=""
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- tools
packages=(nginx wrk strace)
for p in "${PEERS[@]}"; do packages+=($(peer_${p}_packages)); done
bench_install "${packages[@]}"
WRK=$(command -v wrk) || die "wrk not found"
STRACE=$(command -v strace) || die "strace not found"
bench_require curl taskset setsid pgrep python3 dotnet flock
bench_pinning

BASE=${BENCH_PORT_BASE:-18380}
ORIGIN_PORT=$BASE
declare -A PORT=([nginx]=$((BASE + 1)) [fastgate]=$((BASE + 2)) [haproxy]=$((BASE + 3)))
FASTGATE_ADMIN_PORT=$((BASE + 9))
for port in $ORIGIN_PORT "${PORT[@]}" $FASTGATE_ADMIN_PORT; do
    port_in_use "$port" && die "port $port is already in use (another benchmark, or a system nginx/haproxy service?)"
done

WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/fastgate-syscalls.XXXXXX")
chmod 755 "$WORKDIR"  # nginx workers drop root privileges and read the origin's files
for p in "${PEERS[@]}"; do peer_${p}_prepare; done
origin_prepare nginx
# The scenario's script with the harness's done hook appended, as bench/run.sh runs it.
if [[ $POST -eq 1 ]]; then
    WRK_LUA=post-1k.lua+stats.lua
    cat "$BENCH/lua/post-1k.lua" "$BENCH/lua/stats.lua" >"$WORKDIR/$WRK_LUA"
else
    WRK_LUA=stats.lua
    cp "$BENCH/lua/stats.lua" "$WORKDIR/$WRK_LUA"
fi

WRK_ARGS=()
[[ $CLOSE -eq 1 ]] && WRK_ARGS=(-H "Connection: close")

# usage: run_load PORT DURATION OUTFILE   -> wrk output with the BENCH line
run_load() {
    local port=$1 duration=$2 out=$3 pid rc=0
    spawn pid "$LOAD_CPU" "$out" "$WRK" -t1 -c"$CONNECTIONS" -d"$duration" -s "$WORKDIR/$WRK_LUA" \
        "${WRK_ARGS[@]}" "http://127.0.0.1:$port/"
    wait "$pid" || rc=$?
    stop_group "$pid"
    if [[ $rc -ne 0 ]] || ! grep -q '^BENCH ' "$out"; then
        cat "$out" >&2
        die "wrk against port $port failed (exit $rc)"
    fi
}
bench_field() { sed -n 's/^BENCH //p' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }

# Every thread of every process in a process group.
group_tids() {
    local pg=$1 p
    for p in $(pgrep -g "$pg" 2>/dev/null); do ls "/proc/$p/task" 2>/dev/null || true; done
}

# Waits until strace traces every thread of the group (TracerPid set), at most 15 s.
wait_traced() {
    local pg=$1 spid=$2 t all
    for _ in $(seq 150); do
        kill -0 "$spid" 2>/dev/null || return 1
        all=1
        for t in $(group_tids "$pg"); do
            if [[ $(awk '/^TracerPid:/ { print $2 }' "/proc/$t/status" 2>/dev/null || echo 0) == 0 ]]; then
                all=0
                break
            fi
        done
        [[ $all -eq 1 ]] && return 0
        sleep 0.1
    done
    return 1
}

# ---------------------------------------------------------------- measure
RESULTS=$WORKDIR/results.tsv
printf 'peer\trequests\tstrace_file\tcores\n' >"$RESULTS"

bench_lock
STAMP=$(date -u +%Y-%m-%d-%H%M)
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
origin_start nginx "$ORIGIN_PORT" "$WORKDIR/origin"

PEER_WORKERS=$WORKERS
PEER_CPUS=$(proxy_cpus "$WORKERS")
declare -A SETTINGS=() VERSION=()
for p in "${PEERS[@]}"; do
    label=$(peer_${p}_label)
    VERSION[$p]=$(peer_${p}_version)
    SETTINGS[$p]=$(peer_${p}_settings "$WORKERS")
    log "starting $label on port ${PORT[$p]}${PEER_CPUS:+ (core(s) $PEER_CPUS)}"
    PEER_PGID="" PEER_LOG=""
    peer_${p}_start "${PORT[$p]}" "127.0.0.1:$ORIGIN_PORT" "$WORKDIR/$p"
    pg=$PEER_PGID
    wait_http "$label" "$pg" "http://127.0.0.1:${PORT[$p]}/" "$PEER_LOG" 60

    w=$WARMUP
    [[ $(peer_${p}_jit) == 1 ]] && w=$WARMUP_JIT
    log "warming up $label for $w"
    run_load "${PORT[$p]}" "$w" "$WORKDIR/warmup-$p.txt"

    cores=$(taskset -cp "$pg" 2>/dev/null | awk -F': ' '{ print $2 }')
    pargs=()
    for pid in $(pgrep -g "$pg"); do pargs+=(-p "$pid"); done
    log "tracing $label (processes: ${pargs[*]//-p /}; cores ${cores:-any}) under wrk -t1 -c$CONNECTIONS -d$DURATION"
    trace=$WORKDIR/strace-$p.txt
    spawn spid "$LOAD_CPU" "$WORKDIR/strace-$p.log" "$STRACE" -f -c -o "$trace" "${pargs[@]}"
    if ! wait_traced "$pg" "$spid"; then
        cat "$WORKDIR/strace-$p.log" >&2
        die "strace did not attach to every thread of $label (ptrace not permitted?)"
    fi
    run_load "${PORT[$p]}" "$DURATION" "$WORKDIR/load-$p.txt"
    # SIGINT: strace detaches and writes its summary.
    kill -INT "$spid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$spid" 2>/dev/null || break; sleep 0.1; done
    stop_group "$spid"
    [[ -s "$trace" ]] || { cat "$WORKDIR/strace-$p.log" >&2; die "strace wrote no summary for $label"; }
    kill -0 "$pg" 2>/dev/null || { tail -n 30 "$PEER_LOG" >&2; die "$label exited while traced"; }
    requests=$(bench_field "$WORKDIR/load-$p.txt" requests)
    log "$label: $requests requests traced"
    printf '%s\t%s\t%s\t%s\n' "$p" "$requests" "$trace" "$cores" >>"$RESULTS"
    stop_group "$pg"
done
stop_group "$ORIGIN_PGID"
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
bench_unlock

# ---------------------------------------------------------------- report
meta=$WORKDIR/meta.txt
{
    bench_meta_common
    printf 'stamp\t%s\n' "$STAMP"
    printf 'strace\t%s\n' "$("$STRACE" -V | head -n 1)"
    printf 'origin\t%s\n' "$(origin_version)"
    printf 'workers\t%s\n' "$WORKERS"
    printf 'command\ttaskset -c %s wrk -t1 -c%s -d%s -s bench/lua/%s %shttp://127.0.0.1:PORT/\n' \
        "${LOAD_CPU:-any}" "$CONNECTIONS" "$DURATION" "$WRK_LUA" "${WRK_ARGS[*]:+-H 'Connection: close' }"
    printf 'close\t%s\n' "$CLOSE"
    printf 'post\t%s\n' "$POST"
    printf 'warmup\t%s for FastGate, %s for the others (wrk -t1 -c%s)\n' "$WARMUP_JIT" "$WARMUP" "$CONNECTIONS"
} >"$meta"

report_name=syscalls
[[ $CLOSE -eq 1 ]] && report_name=syscalls-close
[[ $POST -eq 1 ]] && report_name=syscalls-post
out=$(bench_report_path "$report_name")
python3 - "$meta" "$RESULTS" "$out" <<'PY'
import csv
import sys

meta_path, results_path, out_path = sys.argv[1:4]
meta = {}
with open(meta_path) as f:
    for line in f:
        k, _, v = line.rstrip("\n").partition("\t")
        meta[k] = v

# Columns of the summary: (heading, syscalls); the rest is "other".
GROUPS = [
    ("recvfrom, recvmsg, read", {"recvfrom", "read", "recvmsg", "readv", "recvmmsg"}),
    ("sendto, sendmsg, writev, write", {"sendto", "writev", "write", "sendmsg", "sendmmsg", "sendfile"}),
    ("epoll_wait", {"epoll_wait", "epoll_pwait", "epoll_pwait2"}),
    ("epoll_ctl", {"epoll_ctl"}),
    ("ioctl", {"ioctl"}),
    ("getsockopt", {"getsockopt"}),
    ("futex", {"futex"}),
]


def parse_strace(path):
    """strace -c table (% time, seconds, usecs/call, calls, [errors], syscall) ->
    {syscall: calls}, {syscall: failed calls}."""
    calls, errors = {}, {}
    with open(path) as f:
        for line in f:
            fields = line.split()
            if len(fields) < 5 or not fields[0].replace(".", "").isdigit():
                continue
            name = fields[-1]
            if name == "total":
                continue
            calls[name] = calls.get(name, 0) + int(fields[3])
            if len(fields) == 6:
                errors[name] = errors.get(name, 0) + int(fields[4])
    return calls, errors


rows = []
failed = {}
with open(results_path) as f:
    for r in csv.DictReader(f, delimiter="\t"):
        calls, errors = parse_strace(r["strace_file"])
        rows.append((r["peer"], int(r["requests"]), calls, r["cores"]))
        failed[r["peer"]] = errors


def per(n, req):
    return "–" if not req else f"{n / req:.2f}"


close = meta.get("close") == "1"
# Each request is a connection of its own with --close.
unit = "connection" if close else "request"
post = meta.get("post") == "1"
kind = ("HTTP/1.1 GET with `Connection: close`, a new connection each" if close
        else "HTTP/1.1 keep-alive POST with a 1 KiB body" if post
        else "HTTP/1.1 keep-alive GET")
lines = [f"# Syscalls per {unit}{' (POST, 1 KiB body)' if post else ''}: FastGate, nginx and HAProxy — {meta['date']}", "",
         "## Method", "",
         f"- Machine: {meta['machine']}; load average at start {meta['load']}, at end {meta['load_end']}.",
         f"- One proxy at a time, {meta['workers']} worker(s), on core(s) "
         + ", ".join(f"{meta['label_' + p]} {c or 'any'}" for p, _, _, c in rows)
         + "; wrk and the origin (" + meta["origin"] + ", one worker) on the other core.",
         f"- Warm-up after start: {meta['warmup']}. Then `strace -f -c` attaches to every process "
         "of the proxy (every thread, with `-f`) and detaches when the load ends:",
         "", "  ```", f"  {meta['command']}", "  ```", "",
         f"- Syscalls / {unit} = syscalls of the proxy while traced / requests wrk completed "
         f"({kind}; the origin answers a 12-byte body). strace stops the proxy at every syscall, so "
         "it serves far fewer requests per second than untraced: the figures count, they do not "
         "time, and a slowed proxy may find more ready events per `epoll_wait` than at full speed.",
         f"- {meta['strace']}; wrk {meta['wrk']}.", "",
         f"## Per {unit}", "",
         f"| Proxy | requests | syscalls | syscalls / {unit} | "
         + " | ".join(g for g, _ in GROUPS) + " | other |",
         "|---|---:|---:|---:|" + "---:|" * (len(GROUPS) + 1)]
for peer, req, calls, _ in rows:
    total = sum(calls.values())
    grouped = set()
    cells = []
    for _, names in GROUPS:
        cells.append(per(sum(calls.get(n, 0) for n in names), req))
        grouped |= names
    other = sum(v for k, v in calls.items() if k not in grouped)
    name = meta["label_" + peer]
    if peer == "fastgate":
        name = f"**{name}**"
    lines.append(f"| {name} | {req:,} | {total:,} | {per(total, req)} | "
                 + " | ".join(cells) + f" | {per(other, req)} |")
lines += ["", "## Every syscall", "",
          f"Calls per {unit}, every syscall the proxy made while traced; in parentheses the "
          f"calls per {unit} that failed (for reads on non-blocking sockets mostly EAGAIN: "
          "nothing to read yet).", ""]
names = sorted({n for _, _, calls, _ in rows for n in calls},
               key=lambda n: -max(calls.get(n, 0) / req if req else 0 for _, req, calls, _ in rows))
lines.append("| syscall | " + " | ".join(meta["label_" + p] for p, _, _, _ in rows) + " |")
lines.append("|---|" + "---:|" * len(rows))


def cell(peer, req, calls, n):
    if n not in calls:
        return "–"
    err = failed[peer].get(n, 0)
    return per(calls[n], req) + (f" ({per(err, req)} failed)" if req and err / req >= 0.005 else "")


for n in names:
    lines.append(f"| {n} | " + " | ".join(cell(p, req, calls, n) for p, req, calls, _ in rows) + " |")
lines += ["", "## Versions and settings", "", "| Proxy | Version | Settings |", "|---|---|---|"]
for peer, _, _, _ in rows:
    lines.append(f"| {meta['label_' + peer]} | {meta['version_' + peer]} | {meta['settings_' + peer]} |")
lines.append("")
md = "\n".join(lines)
if out_path:
    with open(out_path, "w") as f:
        f.write(md)
# The summary on stdout.
start = lines.index(f"## Per {unit}")
end = lines.index("## Every syscall")
sys.stdout.write("\n".join(lines[start:end]) + "\n")
PY
[[ -z "$out" ]] || log "report: ${out#"$ROOT"/}"
