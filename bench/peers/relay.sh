# The byte relay (bench/peers/relay.c): no parsing, a blocking thread per direction, one
# upstream connection per client connection. Not a proxy to compare with but the floor of
# one at low concurrency: the least work any proxy does per request on this layout. Run only
# when named in --peers; the report never counts it as the best peer. RELAY_SPIN=1: one
# thread per connection that polls both sockets and never sleeps (for one connection; many
# such threads share the core badly).
peer_relay_label() { echo "byte relay"; }
peer_relay_jit() { echo 0; }
peer_relay_workers() { echo 0; }
peer_relay_listeners() { :; }
peer_relay_packages() { echo gcc libc6-dev; }
peer_relay_prepare() {
    bench_require cc
    RELAY_BIN=$WORKDIR/relay/relay
    mkdir -p "$WORKDIR/relay"
    cc -O2 -pthread -o "$RELAY_BIN" "$BENCH/peers/relay.c" 2>"$WORKDIR/relay/build.log" \
        || { cat "$WORKDIR/relay/build.log" >&2; die "building bench/peers/relay.c failed"; }
}
peer_relay_version() { echo "bench/peers/relay.c, $(cc --version | head -n 1)"; }
RELAY_SPIN=${RELAY_SPIN:-}
peer_relay_settings() {
    if [[ -n "$RELAY_SPIN" ]]; then
        echo "spinning: one thread per connection polling both sockets without sleeping, one upstream connection per client connection, TCP_NODELAY"
    else
        echo "two blocking threads per connection, one upstream connection per client connection, TCP_NODELAY"
    fi
}

peer_relay_start() {
    local port=$1 origin=$2 dir=$3
    mkdir -p "$dir"
    spawn PEER_PGID "$PEER_CPUS" "$dir/relay.log" "$RELAY_BIN" "$port" "${origin##*:}" ${RELAY_SPIN:+spin}
    PEER_LOG=$dir/relay.log
}
