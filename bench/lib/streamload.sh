# stream-load (tools/StreamLoad): the load client of the long-lived connection scenarios
# (bench/scenarios/ws-echo.sh, sse-stream.sh) and of bench/streams-10k.sh. Sourced, not executed.

# Sets STREAM_LOAD_BIN: the given binary, or a publish of tools/StreamLoad to artifacts/stream-load.
# usage: stream_load_prepare LOGDIR
stream_load_prepare() {
    if [[ -z "${STREAM_LOAD_BIN:-}" ]]; then
        STREAM_LOAD_BIN=$ROOT/artifacts/stream-load/stream-load
        log "publishing the stream load client to artifacts/stream-load"
        (cd "$ROOT" && dotnet publish tools/StreamLoad -c Release -o artifacts/stream-load) \
            >"$1/stream-load-publish.log" 2>&1 \
            || { tail -n 30 "$1/stream-load-publish.log" >&2; die "dotnet publish tools/StreamLoad failed"; }
    fi
    [[ -x "$STREAM_LOAD_BIN" ]] || die "stream load client $STREAM_LOAD_BIN is missing"
}

# The environment stream-load runs with: socket completions run inline on the epoll thread (one
# core, no hop to the thread pool per read), tiered PGO as every .NET process of the harness.
STREAM_LOAD_ENV=(DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 DOTNET_TieredPGO=1)

# A field of stream-load's JSON line (numbers and strings; empty when absent).
# usage: stream_field FILE NAME
stream_field() {
    python3 -c 'import json,sys
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("{"):
        v = json.loads(line).get(sys.argv[2])
        print("" if v is None else v)
        break' "$1" "$2"
}
