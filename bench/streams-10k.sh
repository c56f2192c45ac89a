#!/usr/bin/env bash
# Long-lived connections through one FastGate: 10,000 WebSockets and 10,000 SSE streams held
# open at once, 50 config reloads during the hold, FastGate's RSS sampled all along.
#
#   bench/streams-10k.sh [options]
#
# Prints (and writes to bench/results/STAMP-streams-10k.md): peak RSS, streams dropped (must be
# 0), events out of order (0), reloads that succeeded (50 of 50). Exits non-zero when any stream
# dropped, any event came out of order or any reload failed.
#
# Options:
#   --ws N             WebSockets to hold (default 10000)
#   --sse N            SSE streams to hold (default 10000)
#   --duration D       how long they are held once all are open (default 100s)
#   --reloads N        SIGHUPs spread over the hold, each with a changed config (default 50)
#   --sse-interval MS  one event per stream every MS ms (default 1000: 10,000 events/s in all)
#   --check-interval D each WebSocket sends a message and checks its echo this often (default 5s)
#   --no-report        print only; no file under bench/results/
#   -h, --help         this text
#
# Environment: FASTGATE_BIN, MOCK_BIN, STREAM_LOAD_BIN use existing binaries instead of
# publishing; FASTGATE_TRANSPORT sets `transport`; BENCH_PORT_BASE (default 18500).
#
# Every socket is on loopback: 20,000 client sockets, 20,000 from FastGate to the origin and
# 20,000 accepted by the origin. The origin (the mock upstream) listens on 127.0.0.1 and
# 127.0.0.2 and FastGate balances over both, so FastGate's upstream connects spread over two
# destinations. Descriptors: FastGate needs two per stream, each stream-load process one (WebSockets
# and SSE run as two processes). When the hard limit (ulimit -Hn) cannot hold that, the counts are
# scaled down to what fits and the report says so. The whole run is bounded: opening, the hold,
# closing, about 2.5 minutes with the defaults.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
WS=10000
SSE=10000
DURATION=100s
RELOADS=50
SSE_INTERVAL=1000
CHECK_INTERVAL=5s
REPORT=1
INSTALL=1
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        --ws) WS=${2:?}; shift 2 ;;
        --sse) SSE=${2:?}; shift 2 ;;
        --duration) DURATION=${2:?}; shift 2 ;;
        --reloads) RELOADS=${2:?}; shift 2 ;;
        --sse-interval) SSE_INTERVAL=${2:?}; shift 2 ;;
        --check-interval) CHECK_INTERVAL=${2:?}; shift 2 ;;
        --no-report) REPORT=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "streams-10k: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
for v in "$WS" "$SSE" "$RELOADS" "$SSE_INTERVAL"; do
    [[ "$v" =~ ^[0-9]+$ ]] || { echo "streams-10k: '$v' is not a non-negative integer" >&2; exit 2; }
done

source "$BENCH/lib/common.sh"
source "$BENCH/lib/fastgate.sh"
source "$BENCH/lib/origins.sh"
source "$BENCH/lib/streamload.sh"
log() { echo "streams-10k: $*" >&2; }

WORKDIR=""
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
bench_require curl taskset setsid pgrep python3 dotnet
bench_pinning "FastGate and the load share the cores"

# ---------------------------------------------------------------- descriptors
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
FD_LIMIT=$(ulimit -n)
ASKED="$WS WebSockets and $SSE SSE streams"
SCALED=""
if [[ $FD_LIMIT != unlimited ]]; then
    # FastGate: a client and an upstream socket per stream, plus its own few hundred.
    fit=$(( (FD_LIMIT - 512) / 2 ))
    if [[ $((WS + SSE)) -gt $fit ]]; then
        total=$((WS + SSE))
        WS=$((WS * fit / total))
        SSE=$((SSE * fit / total))
        SCALED="scaled down from $ASKED: the hard descriptor limit is $FD_LIMIT per process (ulimit -Hn; raising it needs CAP_SYS_RESOURCE), FastGate needs two descriptors per stream"
        log "warning: $SCALED; holding $WS WebSockets and $SSE SSE streams"
    fi
fi
# The client side: two processes, one per kind, each one descriptor per stream.
[[ $FD_LIMIT == unlimited || $WS -lt $((FD_LIMIT - 256)) ]] || die "ulimit -n $FD_LIMIT cannot hold $WS WebSockets in one client"
ports=$(sysctl -n net.ipv4.ip_local_port_range 2>/dev/null | awk '{ print $2 - $1 + 1 }')
if [[ -n "$ports" && $((WS + SSE)) -gt $ports ]]; then
    die "$((WS + SSE)) client connections to one port need more ephemeral ports than net.ipv4.ip_local_port_range has ($ports)"
fi

# ---------------------------------------------------------------- build
WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/fastgate-streams.XXXXXX")
if [[ -z "${FASTGATE_BIN:-}" ]]; then
    FASTGATE_BIN=$ROOT/artifacts/fastgate/fastgate
    log "publishing FastGate to artifacts/fastgate (./run.sh build)"
    (cd "$ROOT" && ./run.sh build) >"$WORKDIR/fastgate-publish.log" 2>&1 \
        || { tail -n 30 "$WORKDIR/fastgate-publish.log" >&2; die "./run.sh build failed"; }
fi
[[ -x "$FASTGATE_BIN" ]] || die "FastGate binary $FASTGATE_BIN is missing"
origin_prepare mock
stream_load_prepare "$WORKDIR"

BASE=${BENCH_PORT_BASE:-18500}
ORIGIN_PORT=$BASE
PROXY_PORT=$((BASE + 2))
ADMIN=$((BASE + 9))
for port in $ORIGIN_PORT $PROXY_PORT $ADMIN; do
    port_in_use "$port" && die "port $port is already in use"
done

# ---------------------------------------------------------------- config
# Generation N of the config: every reload changes a response header of the streams' route and
# adds or removes a second route, so each SIGHUP builds and publishes a new snapshot.
write_config() {
    local gen=$1
    {
        [[ -z "${FASTGATE_TRANSPORT:-}" ]] || printf 'transport = "%s"\n\n' "$FASTGATE_TRANSPORT"
        fastgate_config_head "$ADMIN" "$PROXY_PORT" | sed 's/^idle_timeout = "120s"/idle_timeout = "600s"/'
        cat <<EOC
response_headers = { set = { "x-config-generation" = "$gen" } }

[cluster.origin]
endpoints = ["127.0.0.1:$ORIGIN_PORT", "127.0.0.2:$ORIGIN_PORT"]
max_idle_connections = 1024
EOC
        if ((gen % 2 == 1)); then
            cat <<EOC

[[route]]
name = "extra-$gen"
path_prefix = "/extra/"
cluster = "origin"
EOC
        fi
    } >"$WORKDIR/fastgate.toml.new"
    mv "$WORKDIR/fastgate.toml.new" "$WORKDIR/fastgate.toml"
}

reload_count() {
    curl -s --max-time 5 "http://127.0.0.1:$ADMIN/metrics" 2>/dev/null \
        | awk -v r="$1" '$1 == "fastgate_reloads_total{result=\"" r "\"}" { print $2 }' || true
}

# ---------------------------------------------------------------- start
bench_lock
STAMP=$(date -u +%Y-%m-%d-%H%M)
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "origin (mock) on 127.0.0.1:$ORIGIN_PORT and 127.0.0.2:$ORIGIN_PORT, core ${LOAD_CPU:-any}"
spawn ORIGIN_PGID "$LOAD_CPU" "$WORKDIR/mock.log" env DOTNET_TieredPGO=1 \
    "$MOCK_BIN" --listen "127.0.0.1:$ORIGIN_PORT" --listen "127.0.0.2:$ORIGIN_PORT" --name origin
wait_http "origin" "$ORIGIN_PGID" "http://127.0.0.1:$ORIGIN_PORT/" "$WORKDIR/mock.log"
wait_http "origin" "$ORIGIN_PGID" "http://127.0.0.2:$ORIGIN_PORT/" "$WORKDIR/mock.log"

write_config 0
"$FASTGATE_BIN" check -c "$WORKDIR/fastgate.toml" >"$WORKDIR/check.log" 2>&1 \
    || { cat "$WORKDIR/check.log" >&2; die "FastGate rejected the config"; }
log "FastGate on 127.0.0.1:$PROXY_PORT (core ${PROXY_CPU:-any}), admin $ADMIN"
spawn FG_PGID "$PROXY_CPU" "$WORKDIR/fastgate.log" env DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 \
    DOTNET_TieredPGO=1 DOTNET_GCgen0size=0x400000 "$FASTGATE_BIN" run -c "$WORKDIR/fastgate.toml"
wait_http "FastGate" "$FG_PGID" "http://127.0.0.1:$PROXY_PORT/" "$WORKDIR/fastgate.log" 60
FG_PID=$(pgrep -g "$FG_PGID" -f "$FASTGATE_BIN" | head -n 1)
[[ -n "$FG_PID" ]] || FG_PID=$FG_PGID
RSS_IDLE=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$FG_PID/status")

# Through FastGate, checked once before the load: an upgrade and a stream must work at all.
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
    -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
    "http://127.0.0.1:$PROXY_PORT/ws" || true)
[[ $code == 101 ]] || die "a WebSocket upgrade through FastGate was answered '$code', not 101 (does this build proxy WebSockets?)"

# ---------------------------------------------------------------- hold
RSS_FILE=$WORKDIR/rss.tsv
: >"$RSS_FILE"
(
    [[ -n "${BENCH_LOCK_FD:-}" ]] && exec {BENCH_LOCK_FD}>&-
    while kill -0 "$FG_PID" 2>/dev/null; do
        printf '%s\t%s\n' "$(date +%s.%N)" "$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$FG_PID/status" 2>/dev/null)" >>"$RSS_FILE"
        sleep 0.5
    done
) &
SAMPLER=$!

hold_args=(--duration "$DURATION" --check-interval "$CHECK_INTERVAL" --stall 10s --open-concurrency 64)
log "opening $WS WebSockets and $SSE SSE streams through FastGate (two stream-load processes on core ${LOAD_CPU:-any})"
spawn WS_PGID "$LOAD_CPU" "$WORKDIR/hold-ws.txt" env "${STREAM_LOAD_ENV[@]}" "$STREAM_LOAD_BIN" hold \
    --ws-url "ws://127.0.0.1:$PROXY_PORT/ws" --ws "$WS" --sse 0 "${hold_args[@]}"
spawn SSE_PGID "$LOAD_CPU" "$WORKDIR/hold-sse.txt" env "${STREAM_LOAD_ENV[@]}" "$STREAM_LOAD_BIN" hold \
    --sse-url "http://127.0.0.1:$PROXY_PORT/sse?count=0&interval_ms=$SSE_INTERVAL&size=32" --ws 0 --sse "$SSE" "${hold_args[@]}"
for _ in $(seq 1800); do
    grep -q 'ready ' "$WORKDIR/hold-ws.txt" && grep -q 'ready ' "$WORKDIR/hold-sse.txt" && break
    kill -0 "$WS_PGID" 2>/dev/null || break
    kill -0 "$SSE_PGID" 2>/dev/null || break
    sleep 0.1
done
grep -q 'ready ' "$WORKDIR/hold-ws.txt" && grep -q 'ready ' "$WORKDIR/hold-sse.txt" \
    || { tail -n 5 "$WORKDIR/hold-ws.txt" "$WORKDIR/hold-sse.txt" >&2; die "the streams did not all open"; }
log "$(sed -n 's/^stream-load: ready/WebSockets ready:/p' "$WORKDIR/hold-ws.txt"); $(sed -n 's/^stream-load: ready/SSE ready:/p' "$WORKDIR/hold-sse.txt")"
RSS_OPEN=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$FG_PID/status")

# The reloads, evenly over the hold but not in its last tenth (the final checks run then).
hold_s=$(to_seconds "$DURATION")
step=$(awk -v d="$hold_s" -v n="$RELOADS" 'BEGIN { if (n > 0) printf "%.3f", d * 0.9 / n; else print 0 }')
ok0=$(reload_count success); fail0=$(reload_count failure)
RELOAD_START=$(date +%s.%N)
for ((g = 1; g <= RELOADS; g++)); do
    sleep "$step"
    write_config "$g"
    kill -HUP "$FG_PID"
done
sleep 2
ok1=$(reload_count success); fail1=$(reload_count failure)
RELOADS_OK=$((${ok1:-0} - ${ok0:-0}))
RELOADS_FAILED=$((${fail1:-0} - ${fail0:-0}))
log "reloads: $RELOADS_OK succeeded, $RELOADS_FAILED failed (of $RELOADS sent)"
# The last generation is live: its header comes back on a plain request.
gen=$(curl -s -D - -o /dev/null --max-time 5 "http://127.0.0.1:$PROXY_PORT/" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-config-generation" { print $2 }')
log "config generation answering now: ${gen:-none} (expected $RELOADS)"

rc_ws=0 rc_sse=0
wait "$WS_PGID" || rc_ws=$?
wait "$SSE_PGID" || rc_sse=$?
stop_group "$WS_PGID"
stop_group "$SSE_PGID"
kill "$SAMPLER" 2>/dev/null || true
wait "$SAMPLER" 2>/dev/null || true
check_pid_alive=1
kill -0 "$FG_PID" 2>/dev/null || check_pid_alive=0
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- figures
json_ws=$(grep '^{' "$WORKDIR/hold-ws.txt" || true)
json_sse=$(grep '^{' "$WORKDIR/hold-sse.txt" || true)
[[ -n "$json_ws" && -n "$json_sse" ]] || { tail -n 20 "$WORKDIR/hold-ws.txt" "$WORKDIR/hold-sse.txt" >&2; die "stream-load printed no figures"; }
f() { python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2], ""))' "$1" "$2"; }
PEAK_KB=$(awk -F'\t' '$2 > m { m = $2 } END { print m + 0 }' "$RSS_FILE")
WS_DROPPED=$(f "$json_ws" ws_dropped); WS_OPEN_FAILED=$(f "$json_ws" ws_open_failed)
WS_MSGS=$(f "$json_ws" ws_messages); WS_MISMATCH=$(f "$json_ws" ws_mismatches)
SSE_DROPPED=$(f "$json_sse" sse_dropped); SSE_OPEN_FAILED=$(f "$json_sse" sse_open_failed)
SSE_EVENTS=$(f "$json_sse" sse_events); SSE_GAPS=$(f "$json_sse" sse_gaps)
OOO=$(f "$json_sse" out_of_order); STALLED=$(f "$json_sse" sse_stalled)
OPEN_WS_S=$(f "$json_ws" open_s); OPEN_SSE_S=$(f "$json_sse" open_s)
DROPS=$((WS_DROPPED + SSE_DROPPED))
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

summary=$(cat <<EOT
streams:           $WS WebSockets + $SSE SSE streams through one FastGate, held $hold_s s${SCALED:+
                   ($SCALED)}
peak RSS:          $(mib "$PEAK_KB") MiB (idle before the streams $(mib "$RSS_IDLE") MiB, all open $(mib "$RSS_OPEN") MiB)
dropped:           $DROPS (WebSockets $WS_DROPPED, SSE $SSE_DROPPED); failed to open: $((WS_OPEN_FAILED + SSE_OPEN_FAILED))
out of order:      $OOO (SSE id gaps $SSE_GAPS, stalled streams $STALLED, WebSocket echo mismatches $WS_MISMATCH)
reloads ok:        $RELOADS_OK of $RELOADS (failed $RELOADS_FAILED; generation answering at the end: ${gen:-none})
traffic:           $WS_MSGS WebSocket echoes checked, $SSE_EVENTS SSE events checked
opening:           WebSockets $OPEN_WS_S s, SSE streams $OPEN_SSE_S s (concurrently, 64 handshakes in flight each)
FastGate alive:    $([[ $check_pid_alive -eq 1 ]] && echo yes || echo NO)
EOT
)
echo "$summary"

if [[ $REPORT -eq 1 ]]; then
    mkdir -p "$BENCH/results"
    out=$BENCH/results/$STAMP-streams-10k.md
    {
        echo "# Long-lived connections through FastGate — $DATE"
        echo
        echo "\`bench/streams-10k.sh\`: WebSockets and SSE streams held open through one FastGate on loopback while"
        echo "the config is reloaded $RELOADS times (SIGHUP; each generation changes a response header of the streams'"
        echo "route and adds or removes a second route), FastGate's VmRSS sampled every 0.5 s."
        echo
        echo '```'
        echo "$summary"
        echo '```'
        echo
        echo "## Method"
        echo
        echo "- Machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(uname -sr); load average $LOAD_START at start, $LOAD_END at end."
        echo "- FastGate: \`$("$FASTGATE_BIN" version 2>&1 | head -n 1)\`, on core ${PROXY_CPU:-any}${FASTGATE_TRANSPORT:+, transport \"$FASTGATE_TRANSPORT\"}; one listener, one catch-all route to a cluster of the mock origin on 127.0.0.1 and 127.0.0.2, \`idle_timeout = \"600s\"\`."
        echo "- Origin: tools/MockUpstream (\`/ws\` echo, \`/sse?count=0&interval_ms=$SSE_INTERVAL&size=32\`), on core ${LOAD_CPU:-any}."
        echo "- Load: tools/StreamLoad \`hold\`, one process for the WebSockets and one for the SSE streams, on core ${LOAD_CPU:-any}: every WebSocket sends a 32-byte message every $CHECK_INTERVAL (random phase) and checks its echo, and once more at the end; every SSE stream is read all along with each id checked against the previous one plus one; a stream with no event in the last 10 s counts as stalled. A drop is a stream that ended or failed before the end of the hold."
        echo "- Descriptor limit: $FD_LIMIT per process${SCALED:+ ($SCALED)}."
        echo
        echo "## Commands"
        echo
        echo '```'
        echo "bench/streams-10k.sh --ws $WS --sse $SSE --duration $DURATION --reloads $RELOADS --sse-interval $SSE_INTERVAL --check-interval $CHECK_INTERVAL"
        echo "# inside it:"
        echo "taskset -c ${LOAD_CPU:-any} stream-load hold --ws-url ws://127.0.0.1:PORT/ws --ws $WS --sse 0 ${hold_args[*]}"
        echo "taskset -c ${LOAD_CPU:-any} stream-load hold --sse-url 'http://127.0.0.1:PORT/sse?count=0&interval_ms=$SSE_INTERVAL&size=32' --ws 0 --sse $SSE ${hold_args[*]}"
        echo '```'
        echo
        echo "stream-load's figures:"
        echo
        echo '```'
        echo "$json_ws"
        echo "$json_sse"
        echo '```'
    } >"$out"
    log "report: ${out#$ROOT/}"
fi

[[ $check_pid_alive -eq 1 && $DROPS -eq 0 && $OOO -eq 0 && $SSE_GAPS -eq 0 && $STALLED -eq 0 \
    && $RELOADS_OK -eq $RELOADS && $RELOADS_FAILED -eq 0 && $((WS_OPEN_FAILED + SSE_OPEN_FAILED)) -eq 0 \
    && $WS_MISMATCH -eq 0 ]] || { log "FAILED (see above)"; exit 1; }
log "ok"
