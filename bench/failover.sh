#!/usr/bin/env bash
# Failover: one of three upstreams killed under load and restarted, FastGate against HAProxy.
#
#   bench/failover.sh [options]
#
# Options:
#   --peers LIST         comma-separated subset of: fastgate,haproxy (default both)
#   --duration S         seconds of load per peer (default 20)
#   --kill-at S          second of the load at which mock m2 is killed (SIGKILL; default 5)
#   --restart-at S       second at which it is started again on the same port (default 12)
#   --connections N      wrk connections (default 16)
#   --warmup S           seconds of load before the measured run, all mocks up (default 3)
#   --no-install         do not apt-get install missing tools; fail instead
#   --no-report          print the table only; do not write bench/results/
#   -h, --help           this text
#
# Environment: FASTGATE_BIN, MOCK_BIN use existing binaries instead of publishing them;
# BENCH_PORT_BASE (default 18480) moves every port; KEEP_WORKDIR=1 keeps the temporary
# directory (configs, logs, raw wrk output, polls); BENCH_LOCK as in bench/run.sh.
#
# Per peer: three mock upstreams (m1, m2, m3; tools/MockUpstream) on core 1 with wrk, the
# proxy on core 0 with round robin over them, active health checks (GET /healthz every 1 s,
# down after 2 failures, up after 2 passes) and one retry on another endpoint. wrk -t1
# runs for --duration; at --kill-at m2 is SIGKILLed, at --restart-at started again. Measured,
# the same way for both proxies:
#   - requests, and errors = non-2xx answers + wrk socket errors;
#   - per 100 ms of wall-clock time, the answers per mock (their x-upstream header) and the
#     non-2xx answers (bench/failover/timeline.lua), so "last error after the kill" is when
#     the error stream stopped, and "first answer from m2" when the restarted one got traffic;
#   - every 100 ms the proxy's own view of m2 (bench/failover/poll.py: FastGate's /metrics,
#     HAProxy's stats CSV), so "marked down" is when the proxy took it out of rotation.
# Writes bench/results/STAMP-failover.md; stops every process it started on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
ALL_PEERS=(fastgate haproxy)

PEERS=("${ALL_PEERS[@]}")
DURATION=20
KILL_AT=5
RESTART_AT=12
CONNECTIONS=16
WARMUP=3
INSTALL=1
REPORT=1

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        --peers) IFS=, read -r -a PEERS <<<"${2:?--peers needs a value}"; shift 2 ;;
        --duration) DURATION=${2:?--duration needs a value}; shift 2 ;;
        --kill-at) KILL_AT=${2:?--kill-at needs a value}; shift 2 ;;
        --restart-at) RESTART_AT=${2:?--restart-at needs a value}; shift 2 ;;
        --connections) CONNECTIONS=${2:?--connections needs a value}; shift 2 ;;
        --warmup) WARMUP=${2:?--warmup needs a value}; shift 2 ;;
        --no-install) INSTALL=0; shift ;;
        --no-report) REPORT=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "failover: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
for v in DURATION KILL_AT RESTART_AT CONNECTIONS WARMUP; do
    [[ "${!v}" =~ ^[0-9]+$ ]] || { echo "failover: --${v,,} takes whole seconds (a number)" >&2; exit 2; }
done
[[ $KILL_AT -lt $RESTART_AT && $RESTART_AT -lt $DURATION ]] \
    || { echo "failover: need --kill-at < --restart-at < --duration" >&2; exit 2; }

source "$BENCH/lib/common.sh"
for p in "${PEERS[@]}"; do
    [[ " ${ALL_PEERS[*]} " == *" $p "* ]] || die "unknown peer '$p' (known: ${ALL_PEERS[*]})"
    source "$BENCH/peers/$p.sh"
done
source "$BENCH/lib/origins.sh"

# ---------------------------------------------------------------- cleanup
WORKDIR=""
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- tools
packages=(wrk)
for p in "${PEERS[@]}"; do packages+=($(peer_${p}_packages)); done
bench_install "${packages[@]}"
WRK=$(command -v wrk) || die "wrk not found"
bench_require curl taskset setsid pgrep python3 dotnet flock
bench_pinning

BASE=${BENCH_PORT_BASE:-18480}
MOCK_PORTS=($((BASE + 1)) $((BASE + 2)) $((BASE + 3)))
declare -A PORT=([fastgate]=$((BASE + 10)) [haproxy]=$((BASE + 11)))
FASTGATE_ADMIN_PORT=$((BASE + 12))
HAPROXY_STATS_PORT=$((BASE + 13))
for port in "${MOCK_PORTS[@]}" "${PORT[@]}" $FASTGATE_ADMIN_PORT $HAPROXY_STATS_PORT; do
    port_in_use "$port" && die "port $port is already in use (another benchmark?)"
done

WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/fastgate-failover.XXXXXX")
for p in "${PEERS[@]}"; do peer_${p}_prepare; done
origin_prepare mock
cat "$BENCH/lua/stats.lua" "$BENCH/failover/timeline.lua" >"$WORKDIR/failover.lua"

now_ms() { local t=${EPOCHREALTIME/./}; echo $((10#$t / 1000)); }
# usage: sleep_until EPOCH_MS
sleep_until() {
    local left=$(($1 - $(now_ms)))
    [[ $left -le 0 ]] || sleep "$(printf '%d.%03d' $((left / 1000)) $((left % 1000)))"
}

# ---------------------------------------------------------------- peers
# The same policy on both: round robin; a check of GET /healthz every second, down after 2
# failures, up after 2 passes; one retry, on another endpoint, when the connection fails,
# is reset or times out before a response.
# usage: failover_fastgate_config PORT DIR   -> DIR/fastgate.toml, checked by the binary
failover_fastgate_config() {
    local port=$1 dir=$2
    mkdir -p "$dir"
    {
        printf 'workers = 1\n\n'
        fastgate_config_head "$FASTGATE_ADMIN_PORT" "$port"
        cat <<EOC

[cluster.origin]
endpoints = ["127.0.0.1:${MOCK_PORTS[0]}", "127.0.0.1:${MOCK_PORTS[1]}", "127.0.0.1:${MOCK_PORTS[2]}"]
lb = "round_robin"
max_idle_connections = 1024

[cluster.origin.health]
path = "/healthz"
interval = "1s"
timeout = "500ms"
healthy = 2
unhealthy = 2

[cluster.origin.retry]
attempts = 2
on = ["connect-failure", "reset", "timeout"]
EOC
    } >"$dir/fastgate.toml"
    if ! "$FASTGATE_BIN" check -c "$dir/fastgate.toml" >"$dir/check.log" 2>&1; then
        cat "$dir/check.log" >&2
        die "FastGate refused the failover config (above): this binary predates the health-check and retry keys"
    fi
}
failover_fastgate_start() {
    local port=$1 dir=$2
    failover_fastgate_config "$port" "$dir"
    spawn PEER_PGID "$PROXY_CPU" "$dir/fastgate.log" env DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 \
        DOTNET_TieredPGO=1 DOTNET_GCgen0size=0x400000 "$FASTGATE_BIN" run -c "$dir/fastgate.toml"
    PEER_LOG=$dir/fastgate.log
    POLL=(fastgate "http://127.0.0.1:$FASTGATE_ADMIN_PORT/metrics" "127.0.0.1:${MOCK_PORTS[1]}")
}
failover_fastgate_settings() {
    echo "workers = 1; lb round_robin; [health] GET /healthz interval 1s, timeout 500ms, unhealthy 2, healthy 2; [retry] attempts 2 on connect-failure, reset, timeout; outlier detection at its defaults"
}

failover_haproxy_start() {
    local port=$1 dir=$2
    mkdir -p "$dir"
    cat >"$dir/haproxy.cfg" <<EOC
global
    nbthread 1
defaults
    mode http
    option http-keep-alive
    http-reuse always
    timeout connect 2s
    timeout client 120s
    timeout server 120s
    timeout http-keep-alive 120s
    timeout http-request 10s
    retries 1
    option redispatch
    retry-on conn-failure empty-response response-timeout
frontend fe
    bind 127.0.0.1:$port
    default_backend origin
backend origin
    balance roundrobin
    option httpchk GET /healthz
    default-server check inter 1s fall 2 rise 2
    server m1 127.0.0.1:${MOCK_PORTS[0]}
    server m2 127.0.0.1:${MOCK_PORTS[1]}
    server m3 127.0.0.1:${MOCK_PORTS[2]}
listen stats
    bind 127.0.0.1:$HAPROXY_STATS_PORT
    stats enable
    stats uri /stats
EOC
    "$HAPROXY" -c -f "$dir/haproxy.cfg" >"$dir/check.log" 2>&1 \
        || { cat "$dir/check.log" >&2; die "HAProxy refused the failover config"; }
    spawn PEER_PGID "$PROXY_CPU" "$dir/haproxy.log" "$HAPROXY" -db -f "$dir/haproxy.cfg"
    PEER_LOG=$dir/haproxy.log
    POLL=(haproxy "http://127.0.0.1:$HAPROXY_STATS_PORT/stats;csv" m2)
}
failover_haproxy_settings() {
    echo "nbthread 1; balance roundrobin; option httpchk GET /healthz, check inter 1s fall 2 rise 2; retries 1, option redispatch, retry-on conn-failure empty-response response-timeout"
}

# usage: mock_start INDEX DIR   -> MOCK_PG[INDEX]; returns once it answers
declare -a MOCK_PG=()
mock_start() {
    local i=$1 dir=$2 port=${MOCK_PORTS[$1]} pg
    spawn pg "$LOAD_CPU" "$dir/mock-m$((i + 1)).log" env DOTNET_TieredPGO=1 \
        "$MOCK_BIN" --listen "127.0.0.1:$port" --name "m$((i + 1))"
    MOCK_PG[$i]=$pg
}
mock_wait() {
    local i=$1 dir=$2 port=${MOCK_PORTS[$1]}
    for _ in $(seq 1500); do
        curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/healthz" && return 0
        kill -0 "${MOCK_PG[$i]}" 2>/dev/null || { cat "$dir/mock-m$((i + 1)).log" >&2; die "mock m$((i + 1)) exited"; }
        sleep 0.02
    done
    die "mock m$((i + 1)) did not answer within 30 s"
}

# ---------------------------------------------------------------- measure
# A binary without the resilience keys is refused here, before anything runs.
[[ " ${PEERS[*]} " != *" fastgate "* ]] || failover_fastgate_config "${PORT[fastgate]}" "$WORKDIR/precheck"

RESULTS=$WORKDIR/results.tsv
printf 'peer\twrk\tpoll\tstart_ms\tkill_ms\trestart_ms\tready_ms\tend_ms\n' >"$RESULTS"

bench_lock
STAMP=$(date -u +%Y-%m-%d-%H%M)
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A SETTINGS=() VERSION=()
for p in "${PEERS[@]}"; do
    label=$(peer_${p}_label)
    dir=$WORKDIR/$p
    mkdir -p "$dir"
    VERSION[$p]=$(peer_${p}_version)
    SETTINGS[$p]=$(failover_${p}_settings)
    for i in 0 1 2; do mock_start "$i" "$dir"; done
    for i in 0 1 2; do mock_wait "$i" "$dir"; done

    log "starting $label on port ${PORT[$p]}"
    PEER_PGID="" PEER_LOG="" POLL=()
    failover_${p}_start "${PORT[$p]}" "$dir"
    wait_http "$label" "$PEER_PGID" "http://127.0.0.1:${PORT[$p]}/" "$PEER_LOG" 60
    # Every endpoint up in the proxy's eyes before the clock starts (two passing checks).
    sleep 3
    log "warming up $label for ${WARMUP}s"
    spawn wpid "$LOAD_CPU" "$dir/warmup.txt" "$WRK" -t1 -c"$CONNECTIONS" -d"${WARMUP}s" "http://127.0.0.1:${PORT[$p]}/"
    wait "$wpid" || true
    stop_group "$wpid"

    spawn ppid "$LOAD_CPU" "$dir/poll.log" python3 "$BENCH/failover/poll.py" "${POLL[@]}" "$dir/poll.txt"
    log "$label: ${DURATION}s of wrk -t1 -c$CONNECTIONS; m2 killed at ${KILL_AT}s, restarted at ${RESTART_AT}s"
    start_ms=$(now_ms)
    spawn lpid "$LOAD_CPU" "$dir/wrk.txt" "$WRK" -t1 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s \
        -s "$WORKDIR/failover.lua" "http://127.0.0.1:${PORT[$p]}/"
    sleep_until $((start_ms + KILL_AT * 1000))
    # Reaped here with stderr closed: bash would otherwise report the job as "Killed".
    { kill -KILL -- "-${MOCK_PG[1]}"; kill_ms=$(now_ms); wait "${MOCK_PG[1]}"; } 2>/dev/null || true
    stop_group "${MOCK_PG[1]}"
    sleep_until $((start_ms + RESTART_AT * 1000))
    restart_ms=$(now_ms)
    mock_start 1 "$dir"
    mock_wait 1 "$dir"
    ready_ms=$(now_ms)
    rc=0
    wait "$lpid" || rc=$?
    end_ms=$(now_ms)
    stop_group "$lpid"
    stop_group "$ppid"
    if [[ $rc -ne 0 ]] || ! grep -q '^BENCH ' "$dir/wrk.txt"; then
        cat "$dir/wrk.txt" >&2
        die "wrk against $label failed (exit $rc)"
    fi
    kill -0 "$PEER_PGID" 2>/dev/null || { tail -n 30 "$PEER_LOG" >&2; die "$label exited during the run"; }
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$p" "$dir/wrk.txt" "$dir/poll.txt" \
        "$start_ms" "$kill_ms" "$restart_ms" "$ready_ms" "$end_ms" >>"$RESULTS"
    stop_group "$PEER_PGID"
    for i in 0 1 2; do stop_group "${MOCK_PG[$i]}"; done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
bench_unlock

# ---------------------------------------------------------------- report
meta=$WORKDIR/meta.txt
{
    bench_meta_common
    printf 'command\ttaskset -c %s wrk -t1 -c%s -d%ss --timeout 10s -s bench/lua/stats.lua+bench/failover/timeline.lua http://127.0.0.1:PORT/\n' \
        "${LOAD_CPU:-any}" "$CONNECTIONS" "$DURATION"
    printf 'timeline\t%s\t%s\t%s\t%s\n' "$DURATION" "$KILL_AT" "$RESTART_AT" "$WARMUP"
} >"$meta"

out=$(bench_report_path failover)
python3 "$BENCH/failover/report.py" "$meta" "$RESULTS" "$out"
[[ -z "$out" ]] || log "report: ${out#"$ROOT"/}"
