#!/usr/bin/env bash
# Compares the ways the daemon can be compiled ahead of time: publish size, start-up time,
# idle memory, requests served in the first 10 s after start, and steady-state throughput.
#
#   bench/aot.sh [--variants LIST] [--warmup SECONDS] [--startup-runs N]
#                [--keep-builds DIR | --no-publish DIR]
#
# Variants (default: r2r,r2r-composite,aot,aot-speed):
#   jit            framework-dependent, plain IL (no ahead-of-time code)
#   r2r            framework-dependent, ReadyToRun: what ./run.sh build ships
#   r2r-composite  self-contained, ReadyToRun composite (the framework compiled with the app)
#   aot            NativeAOT
#   aot-speed      NativeAOT, OptimizationPreference=Speed
#   aot-v3         NativeAOT for x86-64-v3 CPUs (AVX2, BMI2: 2013 and later)
#
# Each variant is published from a copy of the working tree into a temporary folder (so
# the tree's own bin/ and obj/ stay as they are), then measured with the gateway pinned to
# core 0 and wrk (-t1 -c64) and the mock upstream pinned to core 1, as bench/run.sh does.
# Every measurement runs under `flock /tmp/bench.lock` (this machine is shared for
# benchmarks). Prints a markdown table and writes it to bench/results/DATE-aot.md.
# --keep-builds DIR publishes into DIR/<variant> (and DIR/mock) and keeps them there;
# --no-publish DIR then measures those builds again without publishing.
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
source "$BENCH/lib/fastgate.sh"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

VARIANTS=r2r,r2r-composite,aot,aot-speed
WARMUP=60
STARTUP_RUNS=5
PREBUILT=""
KEEP=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --variants) VARIANTS=$2; shift 2 ;;
        --warmup) WARMUP=$2; shift 2 ;;
        --startup-runs) STARTUP_RUNS=$2; shift 2 ;;
        --no-publish) PREBUILT=$(cd "$2" && pwd); shift 2 ;;
        --keep-builds) mkdir -p "$2"; KEEP=$(cd "$2" && pwd); shift 2 ;;
        -h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "aot.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
IFS=, read -r -a VARIANT_LIST <<<"$VARIANTS"

log() { echo "aot.sh: $*" >&2; }
die() { echo "aot.sh: error: $*" >&2; exit 1; }

for t in dotnet wrk taskset flock python3 curl; do
    command -v "$t" >/dev/null || die "$t is required (apt-get install wrk util-linux python3 curl)"
done
[[ $(nproc) -ge 2 ]] || die "needs 2 cores: the gateway on core 0, load and upstream on core 1"

variant_args() {
    case "$1" in
        jit) echo "" ;;
        r2r) echo "-p:PublishReadyToRun=true" ;;
        r2r-composite) echo "-r linux-x64 --self-contained -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true" ;;
        aot) echo "-r linux-x64 -p:PublishAot=true" ;;
        aot-speed) echo "-r linux-x64 -p:PublishAot=true -p:OptimizationPreference=Speed" ;;
        aot-v3) echo "-r linux-x64 -p:PublishAot=true -p:IlcInstructionSet=x86-64-v3" ;;
        *) return 1 ;;
    esac
}
for v in "${VARIANT_LIST[@]}"; do
    variant_args "$v" >/dev/null || die "unknown variant '$v'"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fastgate-aot.XXXXXX")
MOCK_PID=""
MEASURE_PID=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    for pid in $MEASURE_PID $MOCK_PID; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- publish
SRC=$WORK/src
BUILDS=${PREBUILT:-${KEEP:-$WORK/builds}}
if [[ -z $PREBUILT ]]; then
    mkdir -p "$SRC"
    (cd "$ROOT" && tar --exclude=bin --exclude=obj --exclude=artifacts -cf - \
        Directory.Build.props global.json src tools/MockUpstream) | tar -xf - -C "$SRC"
fi
declare -A PUBLISH_CMD PUBLISH_S
for v in "${VARIANT_LIST[@]}"; do
    # shellcheck disable=SC2207
    extra=($(variant_args "$v"))
    PUBLISH_CMD[$v]="dotnet publish src/FastGate/FastGate.csproj -c Release ${extra[*]}"
    [[ -n $PREBUILT ]] && continue
    log "publishing $v: ${PUBLISH_CMD[$v]}"
    rm -rf "$SRC/src"/*/bin "$SRC/src"/*/obj
    start=$(date +%s)
    (cd "$SRC" && dotnet publish src/FastGate/FastGate.csproj -c Release "${extra[@]}" -o "$BUILDS/$v") \
        >"$WORK/publish-$v.log" 2>&1 || { tail -n 40 "$WORK/publish-$v.log" >&2; die "publish of $v failed"; }
    PUBLISH_S[$v]=$(($(date +%s) - start))
    warnings=$(grep -cE 'warning (IL|CS|NU)[0-9]+' "$WORK/publish-$v.log" || true)
    [[ $warnings -gt 0 ]] && log "$v: $warnings warnings (see below)" \
        && grep -E 'warning (IL|CS|NU)[0-9]+' "$WORK/publish-$v.log" | sort -u | head -n 20 >&2
done
MOCK_DIR=${KEEP:-$WORK}/mock
if [[ -n $PREBUILT && -x $PREBUILT/mock/mock-upstream ]]; then
    MOCK_DIR=$PREBUILT/mock
else
    [[ -d $SRC/tools ]] || { mkdir -p "$SRC" && (cd "$ROOT" && tar --exclude=bin --exclude=obj -cf - \
        Directory.Build.props global.json tools/MockUpstream) | tar -xf - -C "$SRC"; }
    log "publishing the mock upstream"
    (cd "$SRC" && dotnet publish tools/MockUpstream/MockUpstream.csproj -c Release -p:PublishReadyToRun=true -o "$MOCK_DIR") \
        >"$WORK/publish-mock.log" 2>&1 || { tail -n 40 "$WORK/publish-mock.log" >&2; die "publish of the mock upstream failed"; }
fi

# ---------------------------------------------------------------- upstream and config
BASE=${AOT_PORT_BASE:-18400}
ORIGIN_PORT=$BASE PROXY_PORT=$((BASE + 1)) ADMIN_PORT=$((BASE + 2))
for port in $ORIGIN_PORT $PROXY_PORT $ADMIN_PORT; do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && die "port $port is in use (set AOT_PORT_BASE)"
done
{
    fastgate_config_head "$ADMIN_PORT" "$PROXY_PORT"
    cat <<EOC

[cluster.origin]
endpoints = ["127.0.0.1:$ORIGIN_PORT"]
max_idle_connections = 1024
EOC
} >"$WORK/fastgate.toml"

(exec taskset -c 1 env DOTNET_TieredPGO=1 "$MOCK_DIR/mock-upstream" --listen "127.0.0.1:$ORIGIN_PORT" --name origin) \
    >"$WORK/mock.log" 2>&1 </dev/null &
MOCK_PID=$!
for _ in $(seq 200); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ORIGIN_PORT/" 2>/dev/null) == 200 ]] && break
    kill -0 "$MOCK_PID" 2>/dev/null || { cat "$WORK/mock.log" >&2; die "the mock upstream exited"; }
    sleep 0.05
done

# ---------------------------------------------------------------- measure
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
declare -A RESULT
for v in "${VARIANT_LIST[@]}"; do
    gate=$BUILDS/$v/fastgate
    [[ -x $gate ]] || die "$gate is missing"
    "$gate" check -c "$WORK/fastgate.toml" >/dev/null || die "$v rejected the benchmark config"
    mkdir -p "$WORK/logs-$v"
    log "measuring $v (waiting for /tmp/bench.lock)"
    flock /tmp/bench.lock python3 "$BENCH/aot-measure.py" --gateway "$gate" --config "$WORK/fastgate.toml" \
        --port "$PROXY_PORT" --admin-port "$ADMIN_PORT" --proxy-cpu 0 --load-cpu 1 \
        --startup-runs "$STARTUP_RUNS" --warmup-seconds "$WARMUP" --logdir "$WORK/logs-$v" \
        >"$WORK/result-$v.txt" &
    MEASURE_PID=$!
    wait "$MEASURE_PID" || { cat "$WORK/logs-$v"/*.log >&2 2>/dev/null || true; die "measuring $v failed"; }
    MEASURE_PID=""
    RESULT[$v]=$(tail -n 1 "$WORK/result-$v.txt")
    log "$v: ${RESULT[$v]}"
done

# ---------------------------------------------------------------- report
field() { tr ' ' '\n' <<<"${RESULT[$1]}" | awk -F= -v k="$2" '$1 == k { print $2 }'; }
RUNTIME_DIR=$(dotnet --list-runtimes | awk '/^Microsoft.NETCore.App / { gsub(/[\[\]]/, "", $3); d = $3 "/" $2 } END { print d }')
RUNTIME_BYTES=$(du -sb "$RUNTIME_DIR" | cut -f1)
STAMP=$(date -u +%Y-%m-%d-%H%M)
mkdir -p "$BENCH/results"
OUT=$BENCH/results/$STAMP-aot.md
{
    echo "# Ahead-of-time compilation variants, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "Machine: $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(uname -sr);" \
        ".NET SDK $(dotnet --version), wrk $(wrk -v 2>&1 | head -n 1 | awk '{ print $2 }'), commit $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)."
    echo "Gateway pinned to core 0 (DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1, DOTNET_TieredPGO=1);" \
        "wrk -t1 -c64 and the mock upstream pinned to core 1; GET / (12-byte body) through one route."
    echo
    echo "| variant | publish size | shipped size | start-up (median of $STARTUP_RUNS) | idle RSS after ~20k req | requests in first 10 s | steady req/s (after ${WARMUP} s) | steady p99 | gateway CPU (steady) | gateway CPU µs/req | RSS under load |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for v in "${VARIANT_LIST[@]}"; do
        dir=$BUILDS/$v
        all=$(du -sbL "$dir/" | cut -f1)
        shipped=$(find -L "$dir/" -type f ! -name '*.pdb' ! -name '*.dbg' -printf '%s\n' | awk '{ s += $1 } END { print s }')
        note=""
        [[ -f $dir/fastgate.runtimeconfig.json ]] && grep -q '"framework' "$dir/fastgate.runtimeconfig.json" \
            && note=" + $(mib "$RUNTIME_BYTES") MiB shared runtime"
        us_per_req=$(awk -v c="$(field "$v" steady_cpu_pct)" -v r="$(field "$v" steady_rps)" 'BEGIN { printf "%.1f", c * 10000 / r }')
        printf '| %s | %s MiB | %s MiB%s | %s ms | %s MiB | %s | %s | %s ms | %s%% | %s | %s MiB |\n' "$v" \
            "$(mib "$all")" "$(mib "$shipped")" "$note" "$(field "$v" startup_ms)" \
            "$(mib $(($(field "$v" rss_kib) * 1024)))" "$(field "$v" first10s)" \
            "$(field "$v" steady_rps)" "$(field "$v" steady_p99_ms)" "$(field "$v" steady_cpu_pct)" "$us_per_req" \
            "$(mib $(($(field "$v" rss_loaded_kib) * 1024)))"
    done
    echo
    echo "Publish commands (from the repository root, each with -o DIR):"
    echo
    for v in "${VARIANT_LIST[@]}"; do
        echo "- $v: \`${PUBLISH_CMD[$v]}\`${PUBLISH_S[$v]:+ (${PUBLISH_S[$v]} s)}"
    done
    echo
    echo "Shipped size leaves out .pdb and .dbg (symbol) files. Start-up is exec until a proxied GET / answers 200." \
        "Idle RSS is VmRSS 5 s after ~20k proxied requests (wrk -c64). Requests in first 10 s: fastgate_requests_total" \
        "10 s after exec, wrk started as soon as the first request was answered. Steady: wrk req/s over 10 s after ${WARMUP} s of the same load, in the same process;" \
        "gateway CPU is its utime+stime over that window (100% = the whole of core 0)."
} >"$OUT"
cat "$OUT"
log "wrote $OUT"
