#!/usr/bin/env bash
# route-scale: how FastGate copes with very large route tables. For each size (default
# 10,000 and 100,000 routes over 500 hosts and 100 clusters, from bench/route-scale/gen.py):
#   check    wall time and peak RSS of `fastgate check -c FILE` (/usr/bin/time)
#   start    `fastgate run` until the admin /healthz answers (listeners are bound by then)
#   RSS      of the serving daemon, 3 s after start and after the reloads
#   reload   POST /reload of the same file, median of 3 (the call returns once swapped in)
#   latency  p99 of requests served while idle and while those reloads are parsed, and the
#            slowest request during the reloads
#            (one keep-alive client, bench/route-scale/probe.py, a path no route matches)
# Prints a markdown table. Standalone, not part of bench/run.sh: it needs no origin or peer.
#
#   bench/route-scale.sh [SIZE...]        e.g. bench/route-scale.sh 10000 100000
#
# Environment: FASTGATE_BIN uses an existing binary instead of publishing one;
# BENCH_PORT_BASE (default 18300) moves the ports; KEEP_WORKDIR=1 keeps configs and logs.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIZES=("$@")
[[ ${#SIZES[@]} -gt 0 ]] || SIZES=(10000 100000)
BASE=${BENCH_PORT_BASE:-18300}
LISTEN_PORT=$((BASE + 2))
ADMIN_PORT=$((BASE + 9))
WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/fastgate-route-scale.XXXXXX")
PID=""

log() { echo "route-scale: $*" >&2; }
cleanup() {
    if [[ -n "$PID" ]]; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
    if [[ "${KEEP_WORKDIR:-0}" == 1 ]]; then log "kept $WORKDIR"; else rm -rf "$WORKDIR"; fi
}
trap cleanup EXIT

for t in curl python3 /usr/bin/time; do
    command -v "$t" >/dev/null || { log "$t is required"; exit 1; }
done
if [[ -z "${FASTGATE_BIN:-}" ]]; then
    FASTGATE_BIN=$ROOT/artifacts/fastgate/fastgate
    log "publishing FastGate to artifacts/fastgate"
    (cd "$ROOT" && dotnet publish src/FastGate/FastGate.csproj -c Release -o artifacts/fastgate) >"$WORKDIR/publish.log" 2>&1 \
        || { tail -n 30 "$WORKDIR/publish.log" >&2; exit 1; }
fi

# Proxy on core 0, the probe on core 1, as in bench/run.sh.
PROXY_PIN=() LOAD_PIN=()
if [[ $(nproc) -ge 2 ]] && command -v taskset >/dev/null; then
    PROXY_PIN=(taskset -c 0) LOAD_PIN=(taskset -c 1)
fi

now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2 - $1:.2f}')"; }
rss_mib() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "| routes | file | check | check peak RSS | start | RSS serving | reload (median of 3) | RSS after reloads | p99 idle | p99 during reloads | slowest during reloads |"
echo "|-------:|-----:|------:|---------------:|------:|------------:|---------------------:|------------------:|---------:|-------------------:|-----------------------:|"
for size in "${SIZES[@]}"; do
    config=$WORKDIR/routes-$size.toml
    python3 "$ROOT/bench/route-scale/gen.py" --routes "$size" --listen "127.0.0.1:$LISTEN_PORT" \
        --admin "127.0.0.1:$ADMIN_PORT" --origin "127.0.0.1:$BASE" >"$config"
    file_mb=$(python3 -c "import os; print(f'{os.path.getsize(\"$config\") / 1e6:.1f} MB')")

    read -r check_s check_kib < <(/usr/bin/time -f '%e %M' "${PROXY_PIN[@]}" "$FASTGATE_BIN" check -c "$config" 2>&1 >/dev/null | tail -n 1)

    t0=$(now)
    "${PROXY_PIN[@]}" "$FASTGATE_BIN" run -c "$config" >"$WORKDIR/run-$size.log" 2>&1 &
    PID=$!
    until curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$ADMIN_PORT/healthz"; do
        kill -0 "$PID" 2>/dev/null || { cat "$WORKDIR/run-$size.log" >&2; exit 1; }
        sleep 0.02
    done
    start_s=$(elapsed "$t0" "$(now)")
    sleep 3
    rss_start=$(rss_mib "$PID")

    read -r _ p99_idle _ _ < <("${LOAD_PIN[@]}" python3 "$ROOT/bench/route-scale/probe.py" 127.0.0.1 "$LISTEN_PORT" /no-such-route 3)
    # The probe sends the reloads itself, so nothing else starts while latencies are taken.
    read -r _ p99_reload max_reload _ r1 r2 r3 < <("${LOAD_PIN[@]}" python3 "$ROOT/bench/route-scale/probe.py" \
        127.0.0.1 "$LISTEN_PORT" /no-such-route reload "$ADMIN_PORT" 3)
    reloads=("$r1" "$r2" "$r3")
    sleep 3
    rss_reload=$(rss_mib "$PID")
    kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=""

    printf '| %s | %s | %s s | %s MiB | %s s | %s MiB | %s s | %s MiB | %s ms | %s ms | %s ms |\n' \
        "$size" "$file_mb" "$check_s" "$((check_kib / 1024))" "$start_s" "$rss_start" "$(median "${reloads[@]}")" \
        "$rss_reload" "$p99_idle" "${p99_reload:-–}" "${max_reload:-–}"
done
