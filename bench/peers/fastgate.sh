# FastGate: published as ./run.sh build does (NativeAOT, else ReadyToRun), started with the
# systemd unit's environment;
# `workers` = the workers count. FASTGATE_TRANSPORT, when set, becomes `transport = "..."`
# (to compare transports); unset, FastGate's default transport is measured. FASTGATE_BUSY_POLL,
# when set, becomes `busy_poll = "..."` (e.g. 50us; unset, off). FASTGATE_LB, when
# set, becomes the cluster's `lb`; FASTGATE_ENDPOINTS=N (1 to 3) makes the cluster N endpoints
# that are all the origin (127.0.0.1, .2, .3 on its port; the nginx origin listens on each),
# so balancing policies can be compared where they have a choice to make.
# TLS: a second http listener "tls" with `[listener.tls]` (the run's ECDSA P-256 certificate;
# FastGate's defaults otherwise: TLS 1.2 and 1.3, session resumption); the catch-all route
# serves it as it serves "web". L4: a `protocol = "tcp"` listener "l4" to the cluster origin.
# AI (ai-stream in the run): an `ai = true` route on /v1/ to an openai provider at the origin.
# HTTP/2 (only in runs with an h2 scenario): a listener "h2c" with `h2c = true` on the h2c
# port, and `alpn = ["h2", "http/1.1"]` on the TLS listener; [http2] defaults otherwise, but
# for `stall_timeout = "5s"` in runs with h2-flood (the default 30 s is longer than a run, and
# the zero-window attack would never meet the defense).
source "$BENCH/lib/fastgate.sh"

FASTGATE_BIN=${FASTGATE_BIN:-}
FASTGATE_TRANSPORT=${FASTGATE_TRANSPORT:-}
FASTGATE_BUSY_POLL=${FASTGATE_BUSY_POLL:-}
FASTGATE_LB=${FASTGATE_LB:-}
FASTGATE_ENDPOINTS=${FASTGATE_ENDPOINTS:-1}
peer_fastgate_label() { echo "FastGate"; }
# A ReadyToRun build (fastgate.dll beside the binary) is JIT-compiled and gets the long warm-up.
peer_fastgate_jit() {
    local bin=${FASTGATE_BIN:-$ROOT/artifacts/fastgate/fastgate}
    [[ -e ${bin%/*}/fastgate.dll ]] && echo 1 || echo 0
}
peer_fastgate_workers() { echo 1; }
peer_fastgate_listeners() { echo "tls tcp h2c"; }
peer_fastgate_packages() { :; }
peer_fastgate_prepare() {
    if [[ -z "$FASTGATE_BIN" ]]; then
        FASTGATE_BIN=$ROOT/artifacts/fastgate/fastgate
        log "publishing FastGate to artifacts/fastgate (./run.sh build)"
        (cd "$ROOT" && ./run.sh build) >"$WORKDIR/fastgate-publish.log" 2>&1 \
            || { tail -n 30 "$WORKDIR/fastgate-publish.log" >&2; die "./run.sh build failed"; }
    fi
    [[ -x "$FASTGATE_BIN" ]] || die "FastGate binary $FASTGATE_BIN is missing"
}
peer_fastgate_version() { "$FASTGATE_BIN" version 2>&1 | head -n 1; }
peer_fastgate_settings() {
    local w="workers = 1, taskset to 1 core"
    [[ $1 == 1 ]] || w="workers = N and taskset to N cores (N = $1)"
    local s="$w${FASTGATE_TRANSPORT:+, transport = \"$FASTGATE_TRANSPORT\"}${FASTGATE_BUSY_POLL:+, busy_poll = \"$FASTGATE_BUSY_POLL\"}${FASTGATE_LB:+, lb = \"$FASTGATE_LB\"}, $FASTGATE_ENDPOINTS endpoint(s), DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1, DOTNET_TieredPGO=1, DOTNET_GCgen0size=0x400000 (as the systemd unit), max_idle_connections 1024"
    [[ "${NEED_TLS:-0}" != 1 ]] || s+="; TLS: [listener.tls] cert and key, defaults otherwise"
    [[ "${NEED_TCP:-0}" != 1 ]] || s+="; L4: protocol = \"tcp\", cluster = \"origin\""
    [[ "${NEED_H2C:-0}" != 1 ]] || s+="; h2c: a listener with h2c = true, [http2] defaults (128 streams)"
    [[ "${NEED_H2TLS:-0}" != 1 ]] || s+="; h2 over TLS: alpn = [\"h2\", \"http/1.1\"]"
    [[ "${NEED_H2FLOOD:-0}" != 1 ]] || s+="; h2-flood: [http2] stall_timeout = \"5s\" (default 30s, longer than a run)"
    [[ "${NEED_AI:-0}" != 1 ]] || s+="; AI: an ai = true route on /v1/ (api_key auth), one openai provider at the origin, [[model]] \"*\" sent as asked, the usage ledger on"
    echo "$s"
}

peer_fastgate_start() {
    local port=$1 origin=$2 dir=$3 top="workers = $PEER_WORKERS" endpoints="\"$2\"" lb="" n
    [[ -z "$FASTGATE_TRANSPORT" ]] || top+=$'\n'"transport = \"$FASTGATE_TRANSPORT\""
    [[ -z "$FASTGATE_BUSY_POLL" ]] || top+=$'\n'"busy_poll = \"$FASTGATE_BUSY_POLL\""
    [[ $FASTGATE_ENDPOINTS =~ ^[123]$ ]] || die "FASTGATE_ENDPOINTS must be 1, 2 or 3"
    for ((n = 2; n <= FASTGATE_ENDPOINTS; n++)); do endpoints+=", \"127.0.0.$n:${origin##*:}\""; done
    [[ -z "$FASTGATE_LB" ]] || lb="lb = \"$FASTGATE_LB\""
    mkdir -p "$dir"
    {
        printf '%s\n\n' "$top"
        fastgate_config_head "$FASTGATE_ADMIN_PORT" "$port"
        cat <<EOC

# h1-auth: an API key and a request rate limit that never triggers, as the other peers do on /auth/.
[consumer.bench]
keys = ["bench-key"]

[[route]]
name = "auth"
path_prefix = "/auth/"
strip_prefix = "/auth"
cluster = "origin"
auth = ["api_key"]
rate_limit = { requests = 100000000, per = "1s", key = "consumer" }

[cluster.origin]
endpoints = [$endpoints]
max_idle_connections = 1024
$lb
EOC
        if [[ -n "${PEER_TLS_PORT:-}" ]]; then
            cat <<EOC

[[listener]]
name = "tls"
listen = "127.0.0.1:$PEER_TLS_PORT"

[listener.tls]
cert = "$TLS_CERT"
key = "$TLS_KEY"
EOC
            [[ "${NEED_H2TLS:-0}" != 1 ]] || echo 'alpn = ["h2", "http/1.1"]'
        fi
        if [[ "${NEED_H2FLOOD:-0}" == 1 ]]; then
            printf '\n[http2]\nstall_timeout = "5s"\n'
        fi
        if [[ -n "${PEER_H2C_PORT:-}" ]]; then
            cat <<EOC

[[listener]]
name = "h2c"
listen = "127.0.0.1:$PEER_H2C_PORT"
h2c = true
EOC
        fi
        if [[ "${NEED_AI:-0}" == 1 ]]; then
            # ai-stream: the AI route, every model name sent as asked to the origin (the mock's
            # OpenAI endpoint), metered into a ledger in the run's directory.
            cat <<EOC

[ai]
ledger = "$dir/usage.ledger"

[provider.benchmock]
kind = "openai"
base_url = "http://$origin"
api_key = "bench-provider-key"

[[model]]
name = "*"
targets = ["benchmock/*"]

[[route]]
name = "ai"
path_prefix = "/v1/"
ai = true
auth = ["api_key"]
EOC
        fi
        if [[ -n "${PEER_TCP_PORT:-}" ]]; then
            cat <<EOC

[[listener]]
name = "l4"
listen = "127.0.0.1:$PEER_TCP_PORT"
protocol = "tcp"
cluster = "origin"
EOC
        fi
    } >"$dir/fastgate.toml"
    "$FASTGATE_BIN" check -c "$dir/fastgate.toml" >"$dir/check.log" 2>&1 \
        || { cat "$dir/check.log" >&2; die "FastGate rejected the harness config"; }
    # FASTGATE_PERF_MAP=1 (bench/run.sh --profile fastgate): a JIT-compiled build writes
    # /tmp/perf-PID.map for perf, and maps its code once (no W^X double mapping, which perf
    # cannot attribute to the map); a NativeAOT build ignores both.
    local perf=()
    [[ -z "${FASTGATE_PERF_MAP:-}" ]] || perf=(DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0)
    spawn PEER_PGID "$PEER_CPUS" "$dir/fastgate.log" env DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 \
        DOTNET_TieredPGO=1 DOTNET_GCgen0size=0x400000 "${perf[@]}" "$FASTGATE_BIN" run -c "$dir/fastgate.toml"
    PEER_LOG=$dir/fastgate.log
}

# Counter value from FastGate's admin /metrics (empty when absent).
# usage: fastgate_allocated_bytes [ADMIN_PORT]   (default FASTGATE_ADMIN_PORT)
fastgate_allocated_bytes() {
    curl -s --max-time 2 "http://127.0.0.1:${1:-$FASTGATE_ADMIN_PORT}/metrics" 2>/dev/null \
        | awk '/^fastgate_allocated_bytes_total([{ ]|$)/ { print $NF; exit }' || true
}
