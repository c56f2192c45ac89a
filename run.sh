#!/usr/bin/env bash
# FastGate developer entry point.
#
#   ./run.sh               build, start the mock upstream on 127.0.0.1:9001 and serve
#                          configs/fastgate.toml in the foreground (Ctrl-C stops both)
#   ./run.sh build         publish the daemon and the mock upstream into artifacts/
#   ./run.sh test          install test prerequisites if missing, build, run every test;
#                          ends with "N passed, N failed[, N skipped]"
#   ./run.sh bench [ARGS]  run the benchmark harness (bench/run.sh)
#   ./run.sh check FILE    validate a config file
set -euo pipefail

CALLER_PWD=$PWD
cd "$(dirname "${BASH_SOURCE[0]}")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

FASTGATE=artifacts/fastgate/fastgate
MOCK=artifacts/mock-upstream/mock-upstream
MOCK_LISTEN=127.0.0.1:9001
CONFIG=configs/fastgate.toml

usage() {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
}

log() { echo "run.sh: $*" >&2; }
die() { echo "run.sh: error: $*" >&2; exit 1; }

# ------------------------------------------------------------------ build
# ReadyToRun (ahead-of-time code in the published assemblies) shortens start-up and warm-up.
# It needs the runtime pack for this machine's RID from NuGet; without it, publish plain IL.
publish() {
    local project=$1 out=$2
    if dotnet publish "$project" -c Release -o "$out" -p:PublishReadyToRun=true; then
        return 0
    fi
    log "ReadyToRun publish of $project failed; publishing without ReadyToRun"
    dotnet publish "$project" -c Release -o "$out"
}

# The daemon ships as NativeAOT: a tenth of the start-up time and of the idle memory of the
# JIT-compiled build, and at least its speed once that one is warm (docs/benchmarks.md). It
# needs clang and zlib's headers; without them it is published ReadyToRun instead.
publish_daemon() {
    local out=$1 rid missing=()
    rid=linux-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')
    command -v clang >/dev/null 2>&1 || missing+=(clang)
    [[ -e /usr/include/zlib.h ]] || missing+=(zlib1g-dev)
    apt_install "${missing[@]}" || log "cannot install ${missing[*]} for NativeAOT"
    # A framework-dependent publish leaves fastgate.dll and friends behind.
    rm -rf "$out"
    if dotnet publish src/FastGate/FastGate.csproj -c Release -r "$rid" -p:PublishAot=true -o "$out"; then
        return 0
    fi
    log "NativeAOT publish failed; publishing ReadyToRun"
    publish src/FastGate/FastGate.csproj "$out"
}

cmd_build() {
    publish_daemon artifacts/fastgate
    publish tools/MockUpstream/MockUpstream.csproj artifacts/mock-upstream
    [[ -x $FASTGATE && -x $MOCK ]] || die "publish did not produce $FASTGATE and $MOCK"
}

ensure_built() {
    if [[ ! -x $FASTGATE || ! -x $MOCK ]]; then
        cmd_build
    fi
}

# ------------------------------------------------------------------ run
MOCK_PID=""
GATE_PID=""
MOCK_OUT=""

stop_mock() {
    if [[ -n $MOCK_PID ]] && kill -0 "$MOCK_PID" 2>/dev/null; then
        kill -TERM "$MOCK_PID" 2>/dev/null || true
        wait "$MOCK_PID" 2>/dev/null || true
    fi
    MOCK_PID=""
    [[ -n $MOCK_OUT ]] && rm -f "$MOCK_OUT"
    MOCK_OUT=""
}

on_run_exit() {
    if [[ -n $GATE_PID ]] && kill -0 "$GATE_PID" 2>/dev/null; then
        kill -TERM "$GATE_PID" 2>/dev/null || true
        wait "$GATE_PID" 2>/dev/null || true
    fi
    stop_mock
}

# Ctrl-C or TERM: ask the daemon to drain (SIGTERM); the wait below returns when it exits.
forward_stop() {
    if [[ -n $GATE_PID ]]; then
        kill -TERM "$GATE_PID" 2>/dev/null || true
    fi
}

cmd_run() {
    cmd_build
    trap on_run_exit EXIT
    trap forward_stop INT TERM

    MOCK_OUT=$(mktemp)
    "$MOCK" --listen "$MOCK_LISTEN" >"$MOCK_OUT" &
    MOCK_PID=$!
    local i
    for ((i = 0; i < 200; i++)); do
        grep -q "listening on" "$MOCK_OUT" 2>/dev/null && break
        kill -0 "$MOCK_PID" 2>/dev/null || die "mock upstream exited (is $MOCK_LISTEN in use?)"
        sleep 0.05
    done
    grep -q "listening on" "$MOCK_OUT" || die "mock upstream did not start within 10s"
    log "mock upstream on $MOCK_LISTEN (pid $MOCK_PID)"
    log "try:    curl http://127.0.0.1:8080/"
    log "admin:  http://127.0.0.1:9901/metrics"
    log "Ctrl-C to stop"

    # The environment of the systemd unit (configs/fastgate.service says why).
    DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 DOTNET_TieredPGO=1 DOTNET_GCgen0size=0x400000 \
        "$FASTGATE" run -c "$CONFIG" &
    GATE_PID=$!
    local rc=0
    # wait returns early (status > 128) when a trapped signal arrives; keep waiting for the drain.
    while kill -0 "$GATE_PID" 2>/dev/null; do
        wait "$GATE_PID" && rc=0 || rc=$?
    done
    GATE_PID=""
    stop_mock
    return "$rc"
}

# ------------------------------------------------------------------ test
install_prerequisites() {
    # The functional tests drive the daemon with curl and openssl s_client and signal it with
    # kill(1) (procps); the rate-limit tests start redis-server processes of their own on free loopback ports
    # (never a system-wide instance); the benchmark harness installs its own tools (nginx,
    # haproxy, wrk, ...) when run.
    local missing=()
    command -v curl >/dev/null 2>&1 || missing+=(curl)
    command -v openssl >/dev/null 2>&1 || missing+=(openssl)
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    [[ -x /usr/bin/kill || -x /bin/kill ]] || missing+=(procps)
    command -v dotnet >/dev/null 2>&1 || die "the .NET SDK (dotnet) is not on PATH"
    apt_install "${missing[@]}" || die "cannot install ${missing[*]}: install them first"
}

# apt_install PACKAGE...: installs what is given (nothing to do for an empty list); fails when
# not root and without sudo.
apt_install() {
    [[ $# -eq 0 ]] && return 0
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || return 1
        sudo=(sudo -n)
    fi
    log "installing $*"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -q && "${sudo[@]}" apt-get install -y -q --no-install-recommends "$@"
}

# Sums one attribute of the <Counters .../> element over every .trx file in $1.
trx_sum() {
    local dir=$1 attr=$2 total=0 value
    while read -r value; do
        total=$((total + value))
    done < <(find "$dir" -name '*.trx' -exec grep -ho '<Counters [^>]*>' {} + 2>/dev/null \
        | sed -n "s/.* $attr=\"\([0-9]*\)\".*/\1/p")
    echo "$total"
}

cmd_test() {
    install_prerequisites
    local results=artifacts/test-results
    rm -rf "$results"
    mkdir -p "$results"

    if ! dotnet build FastGate.sln -c Release; then
        log "build failed"
        echo "0 passed, 0 failed"
        return 1
    fi

    # One `dotnet test` per test project, each writing its own .trx: run on the whole solution,
    # the projects share one LogFileName and overwrite each other's results.
    local projects=() project name rc=0
    mapfile -t projects < <(dotnet sln FastGate.sln list | grep -E '^tests/.*\.csproj$' | sort)
    if [[ ${#projects[@]} -eq 0 ]]; then
        log "no test projects under tests/ in FastGate.sln"
        echo "0 passed, 0 failed"
        return 1
    fi
    for project in "${projects[@]}"; do
        name=$(basename "$project" .csproj)
        dotnet test "$project" -c Release --no-build \
            --results-directory "$results" \
            --logger "trx;LogFileName=$name.trx" \
            --logger "console;verbosity=minimal" \
            --blame-hang-timeout 5m || rc=$?
    done

    # On Linux the daemon serves on its own epoll loops; the functional suite runs once more on
    # the portable transport (the one off Linux and with transport = "portable").
    if [[ $(uname -s) == Linux ]]; then
        for project in "${projects[@]}"; do
            [[ $project == *Functional* ]] || continue
            name=$(basename "$project" .csproj)
            FASTGATE_TRANSPORT=portable dotnet test "$project" -c Release --no-build \
                --results-directory "$results" \
                --logger "trx;LogFileName=$name.portable.trx" \
                --logger "console;verbosity=minimal" \
                --blame-hang-timeout 5m || rc=$?
        done
    fi

    local passed failed skipped
    passed=$(trx_sum "$results" passed)
    failed=$(( $(trx_sum "$results" failed) + $(trx_sum "$results" error) \
        + $(trx_sum "$results" timeout) + $(trx_sum "$results" aborted) ))
    # Skipped tests are counted in total but not in executed (notExecuted stays 0).
    skipped=$(( $(trx_sum "$results" total) - $(trx_sum "$results" executed) ))

    if [[ $rc -ne 0 && $failed -eq 0 ]]; then
        log "dotnet test exited with $rc with no failed test recorded (a test host crashed or hung?)"
    fi
    if [[ $skipped -gt 0 ]]; then
        echo "$passed passed, $failed failed, $skipped skipped"
    else
        echo "$passed passed, $failed failed"
    fi
    [[ $rc -eq 0 && $failed -eq 0 ]]
}

# ------------------------------------------------------------------ bench / check
cmd_bench() {
    ensure_built
    exec bash bench/run.sh "$@"
}

cmd_check() {
    [[ $# -eq 1 ]] || { echo "usage: ./run.sh check FILE" >&2; exit 2; }
    local file=$1
    [[ $file == /* ]] || file=$CALLER_PWD/$file
    ensure_built
    exec "$FASTGATE" check -c "$file"
}

# ------------------------------------------------------------------ main
if [[ $# -eq 0 ]]; then
    cmd_run
    exit $?
fi
sub=$1
shift
case "$sub" in
    build) cmd_build ;;
    test) cmd_test ;;
    bench) cmd_bench "$@" ;;
    check) cmd_check "$@" ;;
    help | -h | --help) usage ;;
    *)
        echo "run.sh: unknown command '$sub'" >&2
        usage >&2
        exit 2
        ;;
esac
