#!/usr/bin/env bash
# End-to-end side-by-side benchmark: FastGate against nginx, HAProxy, Caddy and YARP, all
# proxying the same origin, plus the origin measured directly (the ceiling).
#
#   bench/run.sh [options] [SCENARIO...]        (./run.sh bench ... delegates here)
#
# Scenarios (bench/scenarios/NAME.sh; default: all, in this order):
#   h1-small h1-auth h1-16k h1-close h1-post tls-h1 tls-handshake tcp idle-conns tls-idle
#   ws-echo sse-stream ai-stream h2c h2c-mux h2-tls h2-flood
#
#   tls-h1         HTTPS keep-alive requests per second (FastGate, nginx, HAProxy)
#   tls-handshake  new TLS connections per second, a full handshake each (no resumption)
#   tls-idle       as idle-conns over each proxy's TLS listener: RSS per idle HTTPS connection
#   tcp            L4 throughput: 1 MiB responses through each proxy's TCP listener
#   ws-echo        WebSocket messages per second: 64 connections, each a closed loop of a 32-byte
#                  message and its echo; p99 round trip through each proxy against direct
#   sse-stream     Server-Sent Events per second over 1,000 streams (32-byte events, back to back),
#                  ids checked in order, and the delay of a lone event (one more stream, events
#                  20 ms apart); ws-echo and sse-stream load with tools/StreamLoad (direct,
#                  FastGate, nginx, HAProxy)
#   ai-stream      streamed chat completions (64 tokens, no pacing) from the mock's OpenAI endpoint,
#                  directly and through FastGate's AI route, at 1 and 64 connections: added time to
#                  first token and latency, the rate against direct, bytes allocated per event
#   h2c            HTTP/2 with prior knowledge on each proxy's h2c listener, h2load 64 connections x
#                  1 stream; h2c-mux: 8 connections x 32 streams; h2-tls: 64 x 1 over TLS (ALPN
#                  h2); HTTP/1.1 to the origin (FastGate, nginx, HAProxy)
#   h2-flood       each HTTP/2 attack of tools/H2Flood for a run's length while h2load measures
#                  a well-behaved h2c client: its req/s against no attack, the proxy's peak RSS
#                  and CPU, FastGate's defense counters (FastGate, nginx, HAProxy; one pass,
#                  its own table: bench/results/STAMP-h2-flood.md)
#
#   bench/streams-10k.sh                       FastGate alone: 10,000 WebSockets and 10,000 SSE
#                                              streams held through 50 reloads (RSS, drops)
#
#   bench/run.sh route-scale [SIZE...]         FastGate alone with huge route tables: check,
#                                              start, reload, RSS and latency during reloads
#                                              (bench/route-scale.sh; no peer has an equivalent)
#
# Options:
#   --quick              one round, 5 s runs, short warm-ups (while developing)
#   --rounds N           interleaved rounds per scenario (default 3)
#   --duration D         length of one measured run, e.g. 10s (default 10s)
#   --warmup D           warm-up of native peers after start (default 5s)
#   --warmup-jit D       warm-up of JIT-compiled peers, FastGate and YARP (default 30s)
#   --scenario-warmup D  short warm-up of every peer before each scenario (default 2s)
#   --peers LIST         comma-separated subset of: direct,fastgate,nginx,haproxy,caddy,yarp;
#                        also relay (bench/peers/relay.c, a byte relay: the floor of any
#                        proxy at low concurrency, never the best peer), only when named
#   --workers LIST       comma-separated worker counts, e.g. 1,2 (default 1): FastGate
#                        (`workers`), nginx (worker_processes) and HAProxy (nbthread) run once
#                        per value; direct, Caddy and YARP have no such setting and run once
#   --profile LIST       comma-separated peers to profile: after the measured rounds of each
#                        scenario, one more run of each of them under `perf record -g`
#                        (not counted in the figures); the hottest symbols go to
#                        bench/results/STAMP-profiles/ (with --no-report, the work directory)
#   --no-install         do not apt-get install missing tools; fail instead
#   --no-report          do not write bench/results/ nor update docs/benchmarks.md
#   -h, --help           this text
#
# Environment: FASTGATE_BIN, YARP_BIN, MOCK_BIN, STREAM_LOAD_BIN, H2FLOOD_BIN use an existing binary instead of
# publishing one; BENCH_PORT_BASE (default 18300) moves every port; KEEP_WORKDIR=1 keeps
# the temporary directory with configs, logs, raw wrk output and the run's TLS certificate
# (made with openssl, ECDSA P-256, for localhost); FASTGATE_TRANSPORT sets
# FastGate's `transport` ("epoll", "portable"); FASTGATE_BUSY_POLL its `busy_poll` ("50us"); RELAY_SPIN=1
# makes the relay peer spin instead of sleeping (one connection); BENCH_LOCK (default /tmp/bench.lock) is
# the lock file held while measuring, so that concurrent runs on one machine take turns.
#
# Layout on a 2-core machine: the proxy under test on core 0; wrk, the origin and the idle
# client on core 1. With N > 1 workers the proxy runs on cores 0..N-1 and shares core 1
# with the load. Every instance (peer and worker count) runs side by side and the rounds
# interleave them. Exits non-zero when a peer fails to start; stops every process it
# started on exit (each runs in its own process group).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
ALL_SCENARIOS=(h1-small h1-auth h1-16k h1-close h1-post tls-h1 tls-handshake tcp idle-conns tls-idle ws-echo sse-stream ai-stream h2c h2c-mux h2-tls h2-flood)
ALL_PEERS=(direct fastgate nginx haproxy caddy yarp)

# route-scale measures FastGate's config path, not a proxy against its peers: its own script.
if [[ "${1:-}" == route-scale ]]; then
    shift
    exec "$(dirname "${BASH_SOURCE[0]}")/route-scale.sh" "$@"
fi

QUICK=0
ROUNDS=3
DURATION=10s
WARMUP=5s
WARMUP_JIT=30s
SCENARIO_WARMUP=2s
INSTALL=1
REPORT=1
PROFILE=()
PEERS=("${ALL_PEERS[@]}")
WORKERS=(1)
SCENARIOS=()
declare -A SET=()

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) QUICK=1; shift ;;
        --rounds) ROUNDS=${2:?--rounds needs a value}; SET[rounds]=1; shift 2 ;;
        --duration) DURATION=${2:?--duration needs a value}; SET[duration]=1; shift 2 ;;
        --warmup) WARMUP=${2:?--warmup needs a value}; SET[warmup]=1; shift 2 ;;
        --warmup-jit) WARMUP_JIT=${2:?--warmup-jit needs a value}; SET[warmup_jit]=1; shift 2 ;;
        --scenario-warmup) SCENARIO_WARMUP=${2:?--scenario-warmup needs a value}; SET[swarm]=1; shift 2 ;;
        --peers) IFS=, read -r -a PEERS <<<"${2:?--peers needs a value}"; shift 2 ;;
        --workers) IFS=, read -r -a WORKERS <<<"${2:?--workers needs a value}"; shift 2 ;;
        --no-install) INSTALL=0; shift ;;
        --no-report) REPORT=0; shift ;;
        --profile) IFS=, read -r -a PROFILE <<<"${2:?--profile needs a value}"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        -*) echo "bench: unknown option '$1'" >&2; usage >&2; exit 2 ;;
        *) SCENARIOS+=("$1"); shift ;;
    esac
done
if [[ $QUICK -eq 1 ]]; then
    [[ -n "${SET[rounds]:-}" ]] || ROUNDS=1
    [[ -n "${SET[duration]:-}" ]] || DURATION=5s
    [[ -n "${SET[warmup]:-}" ]] || WARMUP=2s
    [[ -n "${SET[warmup_jit]:-}" ]] || WARMUP_JIT=5s
    [[ -n "${SET[swarm]:-}" ]] || SCENARIO_WARMUP=1s
fi
[[ ${#SCENARIOS[@]} -gt 0 ]] || SCENARIOS=("${ALL_SCENARIOS[@]}")
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "bench: --rounds must be a positive integer" >&2; exit 2; }
[[ ${#WORKERS[@]} -gt 0 ]] || { echo "bench: --workers needs at least one value" >&2; exit 2; }
for w in "${WORKERS[@]}"; do
    [[ "$w" =~ ^[1-9][0-9]*$ ]] || { echo "bench: --workers takes positive integers (got '$w')" >&2; exit 2; }
done
[[ $(printf '%s\n' "${WORKERS[@]}" | sort -u | wc -l) -eq ${#WORKERS[@]} ]] \
    || { echo "bench: --workers lists a value twice" >&2; exit 2; }

source "$BENCH/lib/common.sh"
for p in "${PEERS[@]}"; do
    [[ -f "$BENCH/peers/$p.sh" ]] || die "unknown peer '$p' (known: ${ALL_PEERS[*]} relay)"
done
for s in "${SCENARIOS[@]}"; do
    [[ -f "$BENCH/scenarios/$s.sh" ]] || die "unknown scenario '$s' (files in bench/scenarios/)"
done
for p in "${PROFILE[@]}"; do
    [[ " ${PEERS[*]} " == *" $p "* && $p != direct ]] || die "--profile: '$p' is not a proxy of this run"
done
# nginx is always needed: it is the origin.
source "$BENCH/peers/nginx.sh"
for p in "${PEERS[@]}"; do source "$BENCH/peers/$p.sh"; done
source "$BENCH/lib/origins.sh"
source "$BENCH/lib/tls.sh"
source "$BENCH/lib/streamload.sh"
source "$BENCH/lib/h2load.sh"
source "$BENCH/lib/h2flood.sh"

# ---------------------------------------------------------------- cleanup
WORKDIR=""
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- tools
load_scenario() {
    SC_DESC="" SC_KIND="" SC_ORIGIN="" SC_PATH=/ SC_LUA="" SC_PEERS=""
    SC_CONNECTIONS=() SC_WRK_ARGS=() SC_LISTENER=http SC_TLS_RESUME=1 SC_RESPONSE_BYTES="" SC_REPORT_CPU=0
    SC_STREAM_MODE="" SC_STREAM_ARGS=() SC_UNIT=requests SC_H2_STREAMS=1 SC_H2LOAD_ARGS=()
    SC_FLOOD_ATTACKS=() SC_FLOOD_ARGS=()
    source "$BENCH/scenarios/$1.sh"
    [[ -n "$SC_KIND" && -n "$SC_ORIGIN" && ${#SC_CONNECTIONS[@]} -gt 0 ]] \
        || die "scenario $1 must set SC_KIND, SC_ORIGIN and SC_CONNECTIONS"
    [[ $SC_LISTENER =~ ^(http|tls|tcp|h2c)$ ]] || die "scenario $1: SC_LISTENER must be http, tls, tcp or h2c"
}
# A peer takes part in a scenario when the scenario names it (or names none) and the peer
# has the listener the scenario loads (peer_ID_listeners: tls, tcp; http they all have).
scenario_has_peer() {
    [[ -z "$SC_PEERS" || " $SC_PEERS " == *" $1 "* ]] || return 1
    [[ $SC_LISTENER == http || " $(peer_${1}_listeners) " == *" $SC_LISTENER "* ]]
}
# Back to the plain listener, for the warm-ups that are not a scenario's own.
plain_load() { SC_PATH=/ SC_LUA="" SC_WRK_ARGS=() SC_LISTENER=http SC_TLS_RESUME=1; }

# Which extra listeners this run opens, and whether it needs the no-resumption shim.
NEED_TLS=0 NEED_TCP=0 NEED_NO_RESUME=0 NEED_STREAM_LOAD=0 NEED_AI=0 NEED_H2C=0 NEED_H2TLS=0 NEED_H2FLOOD=0
for s in "${SCENARIOS[@]}"; do
    load_scenario "$s"
    [[ $SC_KIND != stream ]] || NEED_STREAM_LOAD=1
    # FastGate gets its AI route (bench/peers/fastgate.sh) only when a scenario loads it.
    [[ $SC_STREAM_MODE != ai ]] || NEED_AI=1
    [[ $SC_LISTENER != tls ]] || NEED_TLS=1
    [[ $SC_LISTENER != tcp ]] || NEED_TCP=1
    # The peers open an h2c listener, and offer h2 by ALPN on their TLS one, only for these.
    [[ $SC_LISTENER != h2c ]] || NEED_H2C=1
    [[ $SC_LISTENER != tls || $SC_KIND != h2load ]] || NEED_H2TLS=1
    [[ $SC_KIND != h2flood ]] || NEED_H2FLOOD=1
    [[ $SC_LISTENER != tls || $SC_TLS_RESUME == 1 ]] || NEED_NO_RESUME=1
done

packages=(nginx wrk nghttp2-client)
for p in "${PEERS[@]}"; do packages+=($(peer_${p}_packages)); done
[[ $NEED_TLS -eq 0 ]] || packages+=(openssl)
[[ $NEED_NO_RESUME -eq 0 ]] || packages+=(gcc libc6-dev)
[[ ${#PROFILE[@]} -eq 0 ]] || packages+=(linux-perf)
bench_install "${packages[@]}"
WRK=$(command -v wrk) || die "wrk not found"
bench_require curl taskset setsid pgrep python3 dotnet
[[ $NEED_TLS -eq 0 ]] || bench_require openssl
[[ $NEED_NO_RESUME -eq 0 ]] || bench_require cc
[[ ${#PROFILE[@]} -eq 0 ]] || bench_require perf
# A JIT-compiled FastGate names its methods for perf in /tmp/perf-PID.map (bench/peers/fastgate.sh).
[[ " ${PROFILE[*]} " != *" fastgate "* ]] || FASTGATE_PERF_MAP=1
bench_pinning "figures will not be comparable"
CLK_TCK=$(getconf CLK_TCK)

# 10,000 idle connections need as many descriptors in the proxy and in the client.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [[ $(ulimit -n) != unlimited && $(ulimit -n) -lt 12000 ]]; then
    log "warning: ulimit -n is $(ulimit -n); the 10,000-connection idle run may fail"
fi

# ---------------------------------------------------------------- instances and ports
# An instance is a peer with a worker count. Peers with a workers setting get one instance
# per --workers value, the others one with their single worker. The first value's
# instances are named after the peer (ports BASE+1..5, FastGate's admin BASE+9); the
# value at position i adds 10*i to those ports and "-wN" to the name.
BASE=${BENCH_PORT_BASE:-18300}
ORIGIN_PORT=$BASE
declare -A PEER_OFFSET=([nginx]=1 [fastgate]=2 [haproxy]=3 [caddy]=4 [yarp]=5 [relay]=6)
# TLS listeners are at PORT+100, TCP listeners at PORT+200 (only opened when a scenario of
# the run loads them); the origin's TLS port, BASE+100, only serves the resumption check.
# h2c listeners (HTTP/2 with prior knowledge) are at PORT+300.
declare -A PORT=() ADMIN_PORT=() INST_PEER=() INST_WORKERS=() INST_CPUS=() TLS_PORT=() TCP_PORT=() H2C_PORT=()
INSTANCES=()
for ((wi = 0; wi < ${#WORKERS[@]}; wi++)); do
    for p in "${PEERS[@]}"; do
        if [[ $(peer_${p}_workers) == 1 ]]; then
            w=${WORKERS[wi]}
        else
            [[ $wi -eq 0 ]] || continue
            w=1
        fi
        i=$p
        [[ $wi -eq 0 ]] || i=$p-w$w
        INSTANCES+=("$i")
        INST_PEER[$i]=$p
        INST_WORKERS[$i]=$w
        INST_CPUS[$i]=$(proxy_cpus "$w")
        if [[ $p == direct ]]; then
            PORT[$i]=$ORIGIN_PORT
            TCP_PORT[$i]=$ORIGIN_PORT
        else
            PORT[$i]=$((BASE + 10 * wi + ${PEER_OFFSET[$p]:?no port for peer $p}))
            [[ $NEED_TLS -eq 0 || " $(peer_${p}_listeners) " != *" tls "* ]] || TLS_PORT[$i]=$((PORT[$i] + 100))
            [[ $NEED_TCP -eq 0 || " $(peer_${p}_listeners) " != *" tcp "* ]] || TCP_PORT[$i]=$((PORT[$i] + 200))
            [[ $NEED_H2C -eq 0 || " $(peer_${p}_listeners) " != *" h2c "* ]] || H2C_PORT[$i]=$((PORT[$i] + 300))
        fi
        [[ $p != fastgate ]] || ADMIN_PORT[$i]=$((BASE + 10 * wi + 9))
    done
done
for w in "${WORKERS[@]}"; do
    if [[ $PIN -eq 1 && $w -gt $(nproc) ]]; then
        log "warning: $w workers on $(nproc) cores: the proxy gets every core"
    fi
done
ORIGIN_TLS_PORT=""
[[ $NEED_NO_RESUME -eq 0 ]] || ORIGIN_TLS_PORT=$((BASE + 100))
for port in $ORIGIN_PORT $ORIGIN_TLS_PORT "${PORT[@]}" "${ADMIN_PORT[@]}" "${TLS_PORT[@]}" "${TCP_PORT[@]}" "${H2C_PORT[@]}"; do
    port_in_use "$port" && die "port $port is already in use (another benchmark, or a system nginx/haproxy/caddy service?)"
done

# Name of an instance in the log: the peer's label, plus its workers when there are several.
inst_label() {
    local i=$1 p=${INST_PEER[$1]}
    if [[ ${#WORKERS[@]} -eq 1 || $(peer_${p}_workers) == 0 ]]; then
        peer_${p}_label
    else
        local w=${INST_WORKERS[$i]}
        echo "$(peer_${p}_label) ($w worker$([[ $w -eq 1 ]] || echo s))"
    fi
}

WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/fastgate-bench.XXXXXX")
# nginx workers drop root privileges and must still read the origin's static files.
chmod 755 "$WORKDIR"
RUNS=$WORKDIR/runs.tsv
IDLE=$WORKDIR/idle.tsv
META=$WORKDIR/meta.txt
printf 'scenario\tvariant\tround\tpeer\tworkers\trps\tp50_ms\tp99_ms\tp999_ms\tcpu_s_per_100k\tpeak_rss_mib\terrors\talloc_b_per_req\trequests\tload_busy_pct\n' >"$RUNS"
printf 'round\tpeer\tworkers\tconnections\trss_kib\terrors\tscenario\n' >"$IDLE"
AI_RUNS=$WORKDIR/ai.tsv
printf 'scenario\tvariant\tround\tpeer\trate\tttft_p50_ms\tttft_p99_ms\tp50_ms\tp99_ms\tevents_rate\talloc_b_per_event\n' >"$AI_RUNS"
: >"$META"
meta() { printf '%s\t%s\n' "$1" "$2" >>"$META"; }
meta_get() { awk -F'\t' -v k="$1" '$1 == k { print $2; exit }' "$META"; }

# ---------------------------------------------------------------- build
[[ $NEED_TLS -eq 0 ]] || tls_make_cert "$WORKDIR/tls"
[[ $NEED_NO_RESUME -eq 0 ]] || tls_build_no_resume "$WORKDIR/tls"
origins_needed=()
for s in "${SCENARIOS[@]}"; do
    load_scenario "$s"
    [[ " ${origins_needed[*]} " == *" $SC_ORIGIN "* ]] || origins_needed+=("$SC_ORIGIN")
done
for p in "${PEERS[@]}"; do peer_${p}_prepare; done
for o in "${origins_needed[@]}"; do origin_prepare "$o"; done
[[ $NEED_STREAM_LOAD -eq 0 ]] || stream_load_prepare "$WORKDIR"
[[ $NEED_H2FLOOD -eq 0 ]] || h2flood_prepare "$WORKDIR"

# From here to the end of the measurements this run is the only one generating load.
bench_lock
STAMP=$(date -u +%Y-%m-%d-%H%M)
PROFILE_DIR=$WORKDIR/profiles
if [[ $REPORT -eq 1 ]]; then
    PROFILE_DIR=$BENCH/results/$STAMP$([[ $QUICK -eq 1 ]] && echo -quick || true)-profiles
fi
meta date "$(date -u '+%Y-%m-%d %H:%M UTC')"
meta mode "$([[ $QUICK -eq 1 ]] && echo quick || echo full)"
meta nproc "$(nproc)"
meta cpu "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
meta kernel "$(uname -sr)"
meta load "$(cut -d' ' -f1-3 /proc/loadavg)"
meta rounds "$ROUNDS"
meta duration "$DURATION"
meta warmup "$WARMUP"
meta warmup_jit "$WARMUP_JIT"
meta scenario_warmup "$SCENARIO_WARMUP"
pinning="proxy on core $PROXY_CPU; wrk, origin and idle client on core $LOAD_CPU"
for w in "${WORKERS[@]}"; do
    [[ $w -gt 1 ]] || continue
    pinning+="; with $w workers the proxy runs on cores $(proxy_cpus "$w") and shares them with wrk, the origin and the idle client"
done
meta pinning "$([[ $PIN -eq 1 ]] && echo "$pinning" || echo none)"
meta workers "${WORKERS[*]}"
meta wrk "$("$WRK" -v 2>&1 | head -n 1 | awk '{ print $2 }')"
[[ $NEED_H2C -eq 0 && $NEED_H2TLS -eq 0 ]] || meta h2load "$(h2load_version), one thread on the load core"
[[ $NEED_STREAM_LOAD -eq 0 ]] || meta stream_load "tools/StreamLoad ($(dotnet --version 2>/dev/null || echo '?')), raw sockets, one process on the load core"
meta origin "$(origin_version)"
meta peers "${PEERS[*]}"
for p in "${PEERS[@]}"; do
    meta "version_$p" "$(peer_${p}_version)"
    if [[ $(peer_${p}_workers) == 1 ]]; then
        meta "settings_$p" "$(peer_${p}_settings "$(IFS=/; echo "${WORKERS[*]}")")"
    else
        meta "settings_$p" "$(peer_${p}_settings 1)"
    fi
    meta "label_$p" "$(peer_${p}_label)"
    meta "workers_setting_$p" "$(peer_${p}_workers)"
done
for s in "${SCENARIOS[@]}"; do
    load_scenario "$s"
    meta "desc_$s" "$SC_DESC"
    [[ -z "$SC_RESPONSE_BYTES" ]] || meta "bytes_$s" "$SC_RESPONSE_BYTES"
    [[ $SC_REPORT_CPU != 1 ]] || meta "cpu_view_$s" 1
    [[ $SC_UNIT == requests ]] || meta "unit_$s" "$SC_UNIT"
    [[ $SC_KIND != stream ]] || meta "kind_$s" stream
    [[ $SC_KIND != h2load ]] || meta "kind_$s" h2load
    [[ $SC_KIND != wrk ]] || meta "kind_$s" wrk
    [[ $SC_LISTENER != tls || $SC_TLS_RESUME == 1 ]] || meta "full_handshakes_$s" 1
done
[[ $NEED_TLS -eq 0 ]] || meta tls "self-signed ECDSA P-256 certificate for localhost, made by openssl at the start of the run; wrk's OpenSSL $(openssl version | awk '{ print $2 }')"
cp "$META" "$WORKDIR/meta.head"
log "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------- load
WRK_SCRIPT_DEFAULT=$WORKDIR/stats.lua
cp "$BENCH/lua/stats.lua" "$WRK_SCRIPT_DEFAULT"

# usage: wrk_script -> path of the script for the current scenario (SC_LUA + stats hook)
wrk_script() {
    if [[ -z "$SC_LUA" ]]; then echo "$WRK_SCRIPT_DEFAULT"; return; fi
    local f=$WORKDIR/${SC_LUA%.lua}+stats.lua
    [[ -f "$f" ]] || cat "$BENCH/lua/$SC_LUA" "$BENCH/lua/stats.lua" >"$f"
    echo "$f"
}

# The port of instance I that the current scenario loads: its TLS or TCP listener, or the
# plain one.
target_port() {
    case "$SC_LISTENER" in
        tls) echo "${TLS_PORT[$1]:?$(inst_label "$1") has no TLS listener}" ;;
        tcp) echo "${TCP_PORT[$1]:?$(inst_label "$1") has no TCP listener}" ;;
        h2c) echo "${H2C_PORT[$1]:?$(inst_label "$1") has no h2c listener}" ;;
        *) echo "${PORT[$1]}" ;;
    esac
}
target_scheme() { [[ $SC_LISTENER == tls ]] && echo https || echo http; }

# usage: run_wrk PORT CONNECTIONS DURATION OUTFILE   (scenario from SC_*)
run_wrk() {
    start_wrk "$@"
    finish_wrk "$1" "$4"
}

# run_wrk in two halves, so that FastGate's counters can be read while wrk runs.
# usage: start_wrk PORT CONNECTIONS DURATION OUTFILE; finish_wrk PORT OUTFILE
start_wrk() {
    local port=$1 conns=$2 duration=$3 out=$4 pre=()
    [[ $SC_LISTENER != tls || $SC_TLS_RESUME == 1 ]] || pre=(env LD_PRELOAD="$NO_RESUME_LIB")
    spawn WRK_PID "$LOAD_CPU" "$out" "${pre[@]}" "$WRK" -t1 -c"$conns" -d"$duration" --latency \
        -s "$(wrk_script)" "${SC_WRK_ARGS[@]}" "$(target_scheme)://127.0.0.1:$port$SC_PATH"
}

finish_wrk() {
    local port=$1 out=$2 rc=0
    wait "$WRK_PID" || rc=$?
    stop_group "$WRK_PID"
    if [[ $rc -ne 0 ]] || ! grep -q '^BENCH ' "$out"; then
        cat "$out" >&2
        die "wrk against port $port failed (exit $rc)"
    fi
}

wrk_command_text() {
    local conns=$1 d=$2 s=""
    [[ -n "$SC_LUA" ]] && s=" -s bench/lua/$SC_LUA+stats.lua" || s=" -s bench/lua/stats.lua"
    local extra="" a
    for a in "${SC_WRK_ARGS[@]}"; do extra+=" '$a'"; done
    local pre=""
    [[ $SC_LISTENER != tls || $SC_TLS_RESUME == 1 ]] || pre="LD_PRELOAD=WORKDIR/tls/no-resume.so "
    echo "${pre}taskset -c $LOAD_CPU wrk -t1 -c$conns -d$d --latency$s$extra $(target_scheme)://127.0.0.1:PORT$SC_PATH"
}

bench_field() { sed -n 's/^BENCH //p' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }

# Scenarios with SC_TLS_RESUME=0 count full handshakes. wrk on its own resumes (it keeps the
# session of its previous connection), so it runs with bench/tls/no-resume.c preloaded; this
# checks, once per run, against the origin's TLS listener (which has a session cache and logs
# every handshake as resumed or not), that wrk resumes without it and does not with it.
# usage: tls_check_no_resume ORIGIN_TLS_PORT ORIGIN_DIR
tls_check_no_resume() {
    local port=$1 logf=$2/logs/tls-reused.log full reused plain_reused plain_total
    SC_PATH=/ SC_LUA="" SC_WRK_ARGS=(-H "Connection: close") SC_LISTENER=tls SC_TLS_RESUME=1
    : >"$logf"
    run_wrk "$port" 8 1s "$WORKDIR/resume-check-plain.txt"
    sleep 0.2
    plain_reused=$(grep -c '^r$' "$logf" || true)
    plain_total=$(wc -l <"$logf")
    SC_TLS_RESUME=0
    : >"$logf"
    run_wrk "$port" 8 1s "$WORKDIR/resume-check-no-resume.txt"
    sleep 0.2
    full=$(grep -c '^\.$' "$logf" || true)
    reused=$(grep -c '^r$' "$logf" || true)
    plain_load
    [[ $reused -eq 0 && $full -gt 0 ]] \
        || die "wrk with bench/tls/no-resume.c still resumed $reused of $((full + reused)) TLS sessions"
    meta tls_resumption_check "wrk alone resumed $plain_reused of $plain_total connections; with no-resume.c $reused of $full (every handshake full)"
    log "TLS resumption check: wrk alone resumed $plain_reused of $plain_total connections, with no-resume.c $reused of $full"
}

# ---------------------------------------------------------------- peers
declare -A PGID=() PLOG=()

start_peers() {  # usage: start_peers ORIGIN_PORT INSTANCE...
    local origin=127.0.0.1:$1 i p cores
    shift
    for i in "$@"; do
        p=${INST_PEER[$i]}
        [[ $p == direct ]] && continue
        cores=${INST_CPUS[$i]}
        if [[ $cores == *,* ]]; then cores=" (cores $cores)"; elif [[ -n $cores ]]; then cores=" (core $cores)"; fi
        log "starting $(inst_label "$i") on port ${PORT[$i]}$cores"
        PEER_PGID="" PEER_LOG=""
        PEER_WORKERS=${INST_WORKERS[$i]}
        PEER_CPUS=${INST_CPUS[$i]}
        PEER_TLS_PORT=${TLS_PORT[$i]:-}
        PEER_TCP_PORT=${TCP_PORT[$i]:-}
        PEER_H2C_PORT=${H2C_PORT[$i]:-}
        FASTGATE_ADMIN_PORT=${ADMIN_PORT[$i]:-}
        peer_${p}_start "${PORT[$i]}" "$origin" "$WORKDIR/$i"
        PGID[$i]=$PEER_PGID
        PLOG[$i]=$PEER_LOG
        wait_http "$(inst_label "$i")" "$PEER_PGID" "http://127.0.0.1:${PORT[$i]}/" "$PEER_LOG" 60
        if [[ -n "$PEER_TLS_PORT" ]]; then
            wait_http "$(inst_label "$i") (TLS)" "$PEER_PGID" "https://127.0.0.1:$PEER_TLS_PORT/" "$PEER_LOG" 30
            [[ -n "$(meta_get "tls_negotiated_$i")" ]] \
                || meta "tls_negotiated_$i" "$(tls_negotiated "$PEER_TLS_PORT")"
        fi
        # Through the TCP listener to the origin: HTTP end to end.
        [[ -z "$PEER_TCP_PORT" ]] \
            || wait_http "$(inst_label "$i") (TCP)" "$PEER_PGID" "http://127.0.0.1:$PEER_TCP_PORT/" "$PEER_LOG" 30
        [[ -z "$PEER_H2C_PORT" ]] \
            || wait_http "$(inst_label "$i") (h2c)" "$PEER_PGID" "http://127.0.0.1:$PEER_H2C_PORT/" "$PEER_LOG" 30 --http2-prior-knowledge
        if [[ -n "$PEER_TLS_PORT" && $NEED_H2TLS -eq 1 ]]; then
            wait_http "$(inst_label "$i") (TLS, h2)" "$PEER_PGID" "https://127.0.0.1:$PEER_TLS_PORT/" "$PEER_LOG" 30 --http2
        fi
    done
}

stop_peers() {  # usage: stop_peers INSTANCE...
    local i
    for i in "$@"; do
        if [[ -n "${PGID[$i]:-}" ]]; then
            stop_group "${PGID[$i]}"
            # what FASTGATE_PERF_MAP (--profile fastgate) made the runtime write
            [[ -z "${FASTGATE_PERF_MAP:-}" ]] || rm -f "/tmp/perf-${PGID[$i]}.map" "/tmp/perfinfo-${PGID[$i]}.map"
        fi
        PGID[$i]=""
    done
}

check_alive() {  # a peer that died mid-run makes every later figure meaningless
    local i=$1
    [[ -z "${PGID[$i]:-}" ]] && return 0
    kill -0 "${PGID[$i]}" 2>/dev/null && return 0
    tail -n 30 "${PLOG[$i]}" >&2 || true
    die "$(inst_label "$i") exited during the benchmark (log above)"
}

# ---------------------------------------------------------------- measuring: wrk
measure_wrk() {  # usage: measure_wrk SCENARIO INSTANCE...
    local name=$1 c r i out
    shift
    local insts=("$@")
    for c in "${SC_CONNECTIONS[@]}"; do
        meta "command_${name}_c$c" "$(wrk_command_text "$c" "$DURATION")"
        local -A SCRAPE=()
        for i in "${insts[@]}"; do
            log "$name c$c: scenario warm-up of $(inst_label "$i") ($SCENARIO_WARMUP)"
            run_wrk "$(target_port "$i")" "$c" "$SCENARIO_WARMUP" "$WORKDIR/warm-$name-c$c-$i.txt"
            # What one read of /metrics allocates, once the warm-up's connections have closed.
            if [[ ${INST_PEER[$i]} == fastgate ]]; then sleep 1; SCRAPE[$i]=$(fastgate_scrape_bytes "${ADMIN_PORT[$i]}"); fi
        done
        for ((r = 1; r <= ROUNDS; r++)); do
            for i in "${insts[@]}"; do
                check_alive "$i"
                out=$WORKDIR/run-$name-c$c-r$r-$i.txt
                local pg=${PGID[$i]:-} alloc0="" alloc1="" t0="" t1="" secs
                secs=$(to_seconds "$DURATION")
                run_sampling_begin "$pg"
                start_wrk "$(target_port "$i")" "$c" "$DURATION" "$out"
                # FastGate's allocation counter is read 1 s into the run and 1 s before its end, so
                # that the connections wrk opens at its start are not counted as requests' bytes.
                if [[ ${INST_PEER[$i]} == fastgate && $secs -ge 3 && -n "${SCRAPE[$i]:-}" ]]; then
                    sleep 1
                    t0=$(date +%s%6N); alloc0=$(fastgate_allocated_bytes "${ADMIN_PORT[$i]}")
                    sleep $((secs - 2))
                    alloc1=$(fastgate_allocated_bytes "${ADMIN_PORT[$i]}"); t1=$(date +%s%6N)
                fi
                finish_wrk "$(target_port "$i")" "$out"
                run_sampling_end "$pg"
                local req dur errs cpu_s rss_mib=$RUN_RSS_MIB alloc="" between=0
                req=$(bench_field "$out" requests)
                dur=$(bench_field "$out" duration_us)
                errs=$(sed -n 's/^BENCH //p' "$out" | tr ' ' '\n' | awk -F= '$1 ~ /^err_/ { n += $2 } END { print n + 0 }')
                cpu_s=$(cpu_per_100k "$RUN_CPU_TICKS" "$req")
                # wrk counts requests over its whole run only: those between the two reads are
                # taken at its mean rate. Less one read of /metrics, as for HTTP/2.
                if [[ -n "$alloc0" && -n "$alloc1" && ${dur:-0} -gt 0 ]]; then
                    between=$(awk -v n="$req" -v w="$((t1 - t0))" -v d="$dur" 'BEGIN { printf "%.0f", n * w / d }')
                    alloc=$(per_unit "$((alloc1 - SCRAPE[$i]))" "$alloc0" "$between")
                fi
                local line
                line=$(awk -v n="$req" -v d="$dur" -v p50="$(bench_field "$out" p50_us)" \
                    -v p99="$(bench_field "$out" p99_us)" -v p999="$(bench_field "$out" p999_us)" \
                    'BEGIN { printf "%.0f\t%.3f\t%.3f\t%.3f", n / (d / 1e6), p50 / 1000, p99 / 1000, p999 / 1000 }')
                printf '%s\tc%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$c" "$r" "${INST_PEER[$i]}" "${INST_WORKERS[$i]}" "$line" \
                    "$cpu_s" "$rss_mib" "$errs" "$alloc" "$req" "$RUN_LOAD_BUSY" >>"$RUNS"
                log "$name c$c round $r/$ROUNDS $(inst_label "$i"): $(cut -f1 <<<"$line") req/s, p99 $(cut -f3 <<<"$line") ms, errors $errs"
                if [[ $errs -gt 0 ]]; then
                    log "warning: $(inst_label "$i") had $errs errors in $name c$c (non-2xx or socket errors)"
                fi
            done
        done
        for i in "${insts[@]}"; do
            if [[ " ${PROFILE[*]} " == *" ${INST_PEER[$i]} "* ]]; then profile_run "$name" "$c" "$i"; fi
        done
    done
}

# One more run of instance I under `perf record -g` (every process of the proxy), after the
# measured rounds, so sampling costs nothing to the figures. Writes the hottest symbols
# (self time, then with callers) to PROFILE_DIR/SCENARIO-cC-INSTANCE.txt.
# usage: profile_run SCENARIO CONNECTIONS INSTANCE
profile_run() {
    local name=$1 c=$2 i=$3 pg=${PGID[$3]} data=$WORKDIR/perf-$1-c$2-$3.data
    local txt=$PROFILE_DIR/$name-c$c-$i.txt pids ppid
    mkdir -p "$PROFILE_DIR"
    pids=$(pgrep -g "$pg" | paste -sd,)
    # perf's build-id cache lives in the work directory; a NativeAOT FastGate keeps its
    # symbols in fastgate.dbg beside the binary, which the cache then maps to the binary.
    export PERF_BUILDID_DIR=$WORKDIR/perf-buildids
    if [[ ${INST_PEER[$i]} == fastgate && -f ${FASTGATE_BIN%/*}/fastgate.dbg && ! -d $PERF_BUILDID_DIR ]]; then
        perf buildid-cache -a "${FASTGATE_BIN%/*}/fastgate.dbg" >/dev/null 2>&1 || true
    fi
    log "$name c$c: profiling $(inst_label "$i") for $DURATION (perf record, not counted)"
    spawn ppid "$LOAD_CPU" "$data.log" perf record -F 999 -g -p "$pids" -o "$data"
    sleep 0.5
    if [[ $SC_KIND == stream ]]; then
        run_stream "$(target_port "$i")" "$c" "$DURATION" 0s "$WORKDIR/profile-$name-c$c-$i.txt"
    elif [[ $SC_KIND == h2load ]]; then
        run_h2load "$(target_port "$i")" "$c" "$SC_H2_STREAMS" "$DURATION" "$WORKDIR/profile-$name-c$c-$i.txt"
    else
        run_wrk "$(target_port "$i")" "$c" "$DURATION" "$WORKDIR/profile-$name-c$c-$i.txt"
    fi
    # SIGINT: perf writes its data and exits.
    kill -INT "$ppid" 2>/dev/null || true
    wait "$ppid" 2>/dev/null || true
    stop_group "$ppid"
    local report=(perf report -i "$data" --stdio -g none)
    {
        echo "# $(inst_label "$i"), $name c$c: perf record -F 999 -g during one ${DURATION} $([[ $SC_KIND == stream ]] && echo stream-load || echo wrk) run"
        echo "# $(sed -n -e 's/^BENCH //p' -e '/^{/p' "$WORKDIR/profile-$name-c$c-$i.txt")"
        echo
        echo "## By binary (self time; [JIT] is JIT-compiled .NET code, [kernel.kallsyms] the kernel)"
        "${report[@]}" --no-children --sort dso --percent-limit 0.5 2>/dev/null | grep -v -e '^$' -e '^#' || true
        echo
        echo "## Hottest symbols (self time)"
        "${report[@]}" --no-children --sort dso,sym --percent-limit 0.5 2>/dev/null | grep -v -e '^$' -e '^#' || true
        echo
        echo "## Hottest symbols with what they call (children, self)"
        "${report[@]}" --children --sort sym --percent-limit 2 2>/dev/null | grep -v -e '^$' -e '^#' || true
    } >"$txt"
    rm -f "$data"
}

# ---------------------------------------------------------------- measuring: streams
# usage: run_stream PORT CONNECTIONS DURATION WARMUP OUTFILE   (scenario from SC_*; stdout JSON, stderr text)
run_stream() {
    start_stream "$@"
    finish_stream "$1" "$5"
}

# run_stream in two halves, so that FastGate's counters can be read while the load runs.
# usage: start_stream PORT CONNECTIONS DURATION WARMUP OUTFILE; finish_stream PORT OUTFILE
start_stream() {
    local port=$1 conns=$2 duration=$3 warm=$4 out=$5 count=(--connections "$2") scheme=ws
    if [[ $SC_STREAM_MODE == sse ]]; then count=(--streams "$2"); scheme=http; fi
    [[ $SC_STREAM_MODE != ai ]] || scheme=http
    spawn STREAM_PID "$LOAD_CPU" "$out" env "${STREAM_LOAD_ENV[@]}" "$STREAM_LOAD_BIN" "$SC_STREAM_MODE" \
        --url "$scheme://127.0.0.1:$port$SC_PATH" "${count[@]}" --duration "$duration" --warmup "$warm" \
        "${SC_STREAM_ARGS[@]}"
}

finish_stream() {
    local port=$1 out=$2 rc=0
    wait "$STREAM_PID" || rc=$?
    stop_group "$STREAM_PID"
    # Exit 1 is a run with errors (counted in the figures); anything else, or no figures, is a failure.
    if [[ $rc -gt 1 ]] || ! grep -q '^{' "$out"; then
        cat "$out" >&2
        die "stream-load against port $port failed (exit $rc)"
    fi
}

stream_command_text() {
    local conns=$1 d=$2 count="--connections $1" scheme=ws extra="" a
    if [[ $SC_STREAM_MODE == sse ]]; then count="--streams $1"; scheme=http; fi
    [[ $SC_STREAM_MODE != ai ]] || scheme=http
    for a in "${SC_STREAM_ARGS[@]}"; do extra+=" $a"; done
    echo "taskset -c $LOAD_CPU env ${STREAM_LOAD_ENV[*]} stream-load $SC_STREAM_MODE --url '$scheme://127.0.0.1:PORT$SC_PATH' $count --duration $d --warmup $SCENARIO_WARMUP$extra"
}

# The mock origin is .NET, JIT-compiled: the warm-up after start loads it on / only, and its
# scenario path then needs 15-20 s of load to reach its pace (ai-stream at one connection,
# 2026-12-06: 4,600 req/s in its first 5 s, 12,000 after 20 s, with or without tiered PGO).
# Round 1 of direct met it cold. Load that path on the origin itself first, as long as a
# JIT-compiled proxy's warm-up and never under 20 s.
warm_stream_origin() {  # usage: warm_stream_origin SCENARIO CONNECTIONS
    [[ $SC_ORIGIN == mock ]] || return 0
    local d
    d=$(to_seconds "$WARMUP_JIT")
    [[ $d -ge 20 ]] || d=20
    log "$1 c$2: warm-up of the origin on its scenario path (${d}s)"
    run_stream "$ORIGIN_PORT" "$2" "${d}s" 0s "$WORKDIR/origin-warm-$1-c$2.txt"
}

# Like measure_wrk, with tools/StreamLoad as the load: messages (ws-echo) or events (sse) per
# second in the rps column, round-trip percentiles for ws-echo, the proxy's CPU and RSS.
measure_stream() {  # usage: measure_stream SCENARIO INSTANCE...
    local name=$1 c r i out
    shift
    local insts=("$@")
    for c in "${SC_CONNECTIONS[@]}"; do
        meta "command_${name}_c$c" "$(stream_command_text "$c" "$DURATION")"
        # FastGate's allocation counter is read inside the client's measured window, 1 s after it
        # opens and 1 s before it closes, so the connections opened and closed around it (and the
        # harness's own reads of /metrics) are not counted as messages', events' or requests' bytes.
        local -A SCRAPE=()
        local inside=0 secs warm_secs
        secs=$(to_seconds "$DURATION")
        warm_secs=$(to_seconds "$SCENARIO_WARMUP")
        [[ $secs -lt 3 ]] || inside=1
        [[ $inside == 0 ]] || meta "alloc_window_$name" 1
        [[ $c != "${SC_CONNECTIONS[0]}" ]] || warm_stream_origin "$name" "$c"
        for i in "${insts[@]}"; do
            log "$name c$c: scenario warm-up of $(inst_label "$i") ($SCENARIO_WARMUP)"
            run_stream "$(target_port "$i")" "$c" "$SCENARIO_WARMUP" 0s "$WORKDIR/warm-$name-c$c-$i.txt"
            # What one read of /metrics allocates, once the warm-up's connections have closed.
            if [[ $inside == 1 && ${INST_PEER[$i]} == fastgate ]]; then sleep 1.5; SCRAPE[$i]=$(fastgate_scrape_bytes "${ADMIN_PORT[$i]}"); fi
        done
        for ((r = 1; r <= ROUNDS; r++)); do
            for i in "${insts[@]}"; do
                check_alive "$i"
                out=$WORKDIR/run-$name-c$c-r$r-$i.txt
                local pg=${PGID[$i]:-} alloc0="" alloc1="" t0="" t1=""
                run_sampling_begin "$pg"
                if [[ $inside == 0 && ${INST_PEER[$i]} == fastgate ]]; then alloc0=$(fastgate_allocated_bytes "${ADMIN_PORT[$i]}"); fi
                # The client's own warm-up is inside the run (--warmup): the proxy's CPU is
                # counted over the whole run and divided by every message of it below.
                start_stream "$(target_port "$i")" "$c" "$DURATION" "$SCENARIO_WARMUP" "$out"
                if [[ $inside == 1 && ${INST_PEER[$i]} == fastgate && -n "${SCRAPE[$i]:-}" ]]; then
                    sleep $((warm_secs + 1))
                    t0=$(date +%s%6N); alloc0=$(fastgate_allocated_bytes "${ADMIN_PORT[$i]}")
                    sleep $((secs - 2))
                    alloc1=$(fastgate_allocated_bytes "${ADMIN_PORT[$i]}"); t1=$(date +%s%6N)
                fi
                finish_stream "$(target_port "$i")" "$out"
                if [[ $inside == 0 && ${INST_PEER[$i]} == fastgate ]]; then alloc1=$(fastgate_allocated_bytes "${ADMIN_PORT[$i]}"); fi
                run_sampling_end "$pg"
                local cpu_s rss_mib=$RUN_RSS_MIB n total errs rate p50="" p99="" p999=""
                rate=$(stream_field "$out" rate)
                n=$(stream_field "$out" messages)
                [[ -n "$n" ]] || n=$(stream_field "$out" events)
                # Every message or event of the run (warm-up included), as the proxy's CPU and
                # allocations are counted over the whole run.
                total=$(stream_field "$out" messages_total)
                [[ -n "$total" ]] || total=$(stream_field "$out" requests_total)
                [[ -n "$total" ]] || total=$(stream_field "$out" events_total)
                errs=$(stream_field "$out" errors)
                if [[ $SC_STREAM_MODE == ai ]]; then
                    n=$(stream_field "$out" requests)
                    p50=$(stream_field "$out" p50_ms) p99=$(stream_field "$out" p99_ms) p999=$(stream_field "$out" p999_ms)
                fi
                if [[ $SC_STREAM_MODE == ws-echo || $SC_STREAM_MODE == sse ]]; then
                    p50=$(stream_field "$out" p50_ms) p99=$(stream_field "$out" p99_ms) p999=$(stream_field "$out" p999_ms)
                fi
                cpu_s=$(cpu_per_100k "$RUN_CPU_TICKS" "$total")
                local alloc=""
                if [[ $inside == 0 ]]; then
                    alloc=$(per_unit "$alloc1" "$alloc0" "$total")
                elif [[ -n "$alloc0" && -n "$alloc1" ]]; then
                    # Messages or events between the two reads, at the client's measured rate.
                    alloc=$(per_unit "$((alloc1 - SCRAPE[$i]))" "$alloc0" \
                        "$(awk -v r="$rate" -v w="$((t1 - t0))" 'BEGIN { printf "%.0f", r * w / 1e6 }')")
                fi
                printf '%s\tc%s\t%s\t%s\t%s\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$c" "$r" "${INST_PEER[$i]}" \
                    "${INST_WORKERS[$i]}" "$rate" "$p50" "$p99" "$p999" "$cpu_s" "$rss_mib" "$errs" "$alloc" "$n" "$RUN_LOAD_BUSY" >>"$RUNS"
                if [[ $SC_STREAM_MODE == ai ]]; then
                    # Time to first token and bytes per streamed event: the events between the two
                    # reads at the client's measured event rate (every event of the run on a run too
                    # short for the window).
                    local per_event=""
                    if [[ $inside == 0 ]]; then
                        per_event=$(per_unit "$alloc1" "$alloc0" "$(stream_field "$out" events_total)")
                    elif [[ -n "$alloc0" && -n "$alloc1" ]]; then
                        per_event=$(per_unit "$((alloc1 - SCRAPE[$i]))" "$alloc0" \
                            "$(awk -v r="$(stream_field "$out" events_rate)" -v w="$((t1 - t0))" 'BEGIN { printf "%.0f", r * w / 1e6 }')")
                    fi
                    printf '%s\tc%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$c" "$r" "${INST_PEER[$i]}" "$rate" \
                        "$(stream_field "$out" ttft_p50_ms)" "$(stream_field "$out" ttft_p99_ms)" "$p50" "$p99" \
                        "$(stream_field "$out" events_rate)" "$per_event" >>"$AI_RUNS"
                fi
                log "$name c$c round $r/$ROUNDS $(inst_label "$i"): $(printf '%.0f' "$rate") $SC_UNIT/s${p99:+, p99 $p99 ms}, errors $errs"
                if [[ $errs -gt 0 ]]; then
                    log "warning: $(inst_label "$i") had $errs errors in $name c$c: $(sed -n '/^{/p' "$out")"
                fi
            done
        done
        for i in "${insts[@]}"; do
            if [[ " ${PROFILE[*]} " == *" ${INST_PEER[$i]} "* ]]; then profile_run "$name" "$c" "$i"; fi
        done
    done
}

# ---------------------------------------------------------------- measuring: idle connections
measure_idle() {  # usage: measure_idle SCENARIO INSTANCE...
    local name=$1 r i n tls=()
    shift
    # On the TLS listener the client does a full handshake per connection (SNI localhost).
    [[ $SC_LISTENER != tls ]] || tls=(--tls --sni localhost)
    meta "command_${name}" "taskset -c $LOAD_CPU python3 bench/idle-client/idle_client.py --target 127.0.0.1:PORT --connections N --path $SC_PATH${tls[*]:+ ${tls[*]}}"
    for ((r = 1; r <= ROUNDS; r++)); do
        for i in "$@"; do
            [[ ${INST_PEER[$i]} == direct ]] && continue
            # Allocators keep what a previous 10,000-connection pass grew, which would
            # inflate the next baseline: every round measures a freshly started proxy,
            # after a short warm-up (memory, not speed, is measured here).
            log "$name round $r/$ROUNDS: restarting $(inst_label "$i")"
            stop_peers "$i"
            start_peers "$ORIGIN_PORT" "$i"
            run_wrk "$(target_port "$i")" 64 "$WARMUP" "$WORKDIR/idle-warmup-$i-r$r.txt"
            local pg=${PGID[$i]}
            for n in "${SC_CONNECTIONS[@]}"; do
                local rss errors=0
                if [[ $n -eq 0 ]]; then
                    sleep 1
                    rss=$(group_mem_kb "$pg" VmRSS)
                else
                    local cpid out=$WORKDIR/idle-$i-$n-r$r.txt ready=""
                    spawn cpid "$LOAD_CPU" "$out" python3 "$BENCH/idle-client/idle_client.py" \
                        --target "127.0.0.1:$(target_port "$i")" --connections "$n" --path "$SC_PATH" "${tls[@]}"
                    for _ in $(seq 1200); do
                        # On a loaded machine the client may not have opened its output yet.
                        ready=$(sed -n 's/^ready //p' "$out" 2>/dev/null || true)
                        [[ -n "$ready" ]] && break
                        kill -0 "$cpid" 2>/dev/null || break
                        sleep 0.1
                    done
                    if [[ -z "$ready" ]]; then
                        cat "$out" >&2
                        stop_group "$cpid"
                        die "idle client against $(inst_label "$i") did not get ready"
                    fi
                    errors=${ready#*errors=}
                    sleep 2  # let the proxy settle (lazy buffers, GC)
                    check_alive "$i"
                    rss=$(group_mem_kb "$pg" VmRSS)
                    stop_group "$cpid"
                    sleep 1
                fi
                printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "${INST_PEER[$i]}" "${INST_WORKERS[$i]}" "$n" "$rss" "$errors" "$name" >>"$IDLE"
                log "$name round $r/$ROUNDS $(inst_label "$i"): $n idle connections -> RSS $((rss / 1024)) MiB, errors $errors"
            done
        done
    done
}

# ---------------------------------------------------------------- main
for origin in "${origins_needed[@]}"; do
    group=()
    late=()
    need=()
    for s in "${SCENARIOS[@]}"; do
        load_scenario "$s"
        [[ $SC_ORIGIN == "$origin" ]] || continue
        # idle scenarios restart the proxies, so they run after the throughput ones
        if [[ $SC_KIND == idle ]]; then late+=("$s"); else group+=("$s"); fi
        for i in "${INSTANCES[@]}"; do
            scenario_has_peer "${INST_PEER[$i]}" && [[ " ${need[*]} " != *" $i "* ]] && need+=("$i")
        done
    done
    group+=("${late[@]}")
    log "origin $origin on port $ORIGIN_PORT (scenarios: ${group[*]})"
    origin_start "$origin" "$ORIGIN_PORT" "$WORKDIR/origin-$origin"
    start_peers "$ORIGIN_PORT" "${need[@]}"

    [[ -z "$ORIGIN_TLS_PORT" || $origin != nginx ]] || tls_check_no_resume "$ORIGIN_TLS_PORT" "$WORKDIR/origin-$origin"

    # Warm-up after start: JIT-compiled peers need much longer to reach steady state.
    plain_load
    for i in "${need[@]}"; do
        w=$WARMUP
        [[ $(peer_${INST_PEER[$i]}_jit) == 1 ]] && w=$WARMUP_JIT
        log "warming up $(inst_label "$i") for $w"
        run_wrk "${PORT[$i]}" 64 "$w" "$WORKDIR/warmup-$i.txt"
    done

    for s in "${group[@]}"; do
        load_scenario "$s"
        insts=()
        for i in "${need[@]}"; do scenario_has_peer "${INST_PEER[$i]}" && insts+=("$i"); done
        for p in "${PEERS[@]}"; do
            if [[ -z "$SC_PEERS" || " $SC_PEERS " == *" $p "* ]] && ! scenario_has_peer "$p"; then
                log "scenario $s: $(peer_${p}_label) has no $SC_LISTENER listener in this harness; left out"
            fi
        done
        log "scenario $s: $SC_DESC"
        measure_$SC_KIND "$s" "${insts[@]}"
    done
    stop_peers "${need[@]}"
    stop_group "$ORIGIN_PGID"
done

meta load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
bench_unlock

# ---------------------------------------------------------------- report
if [[ $(wc -l <"$RUNS") -le 1 && $(wc -l <"$IDLE") -le 1 ]]; then
    # h2-flood alone has a table of its own (bench/lib/h2flood.sh) and nothing for report.py,
    # which would otherwise replace the latest results in docs/benchmarks.md with nothing.
    log "no request figures in this run: no main report"
elif [[ $REPORT -eq 1 ]]; then
    stamp=$STAMP
    if [[ $QUICK -eq 1 ]]; then stamp+=-quick; fi
    mkdir -p "$BENCH/results"
    python3 "$BENCH/report.py" --meta "$META" --runs "$RUNS" --idle "$IDLE" --ai "$AI_RUNS" \
        --out "$BENCH/results/$stamp" --docs "$ROOT/docs/benchmarks.md" \
        || die "writing the report failed"
    log "report: bench/results/$stamp.md (chart $stamp.svg); docs/benchmarks.md updated"
    [[ ${#PROFILE[@]} -eq 0 ]] || log "profiles: bench/results/$stamp-profiles/"
else
    python3 "$BENCH/report.py" --meta "$META" --runs "$RUNS" --idle "$IDLE" --ai "$AI_RUNS" --stdout \
        || die "writing the report failed"
fi
