# YARP (bench/peers/YarpPeer): ASP.NET Core Kestrel + Yarp.ReverseProxy, pinned to one core.
YARP_BIN=${YARP_BIN:-}
peer_yarp_label() { echo "YARP"; }
peer_yarp_jit() { echo 1; }
peer_yarp_workers() { echo 0; }
peer_yarp_listeners() { :; }
peer_yarp_packages() { :; }
peer_yarp_prepare() {
    if [[ -z "$YARP_BIN" ]]; then
        YARP_BIN=$ROOT/artifacts/yarp-peer/yarp-peer
        log "publishing the YARP peer to artifacts/yarp-peer"
        (cd "$ROOT" && dotnet publish bench/peers/YarpPeer/YarpPeer.csproj -c Release -o artifacts/yarp-peer) \
            >"$WORKDIR/yarp-publish.log" 2>&1 \
            || { tail -n 30 "$WORKDIR/yarp-publish.log" >&2; die "dotnet publish bench/peers/YarpPeer failed"; }
    fi
    [[ -x "$YARP_BIN" ]] || die "YARP peer binary $YARP_BIN is missing"
}
peer_yarp_version() {
    local rt
    rt=$(dotnet --list-runtimes 2>/dev/null | awk '/Microsoft.AspNetCore.App/ { v = $2 } END { print v }')
    echo "Yarp.ReverseProxy 2.3.0 on ASP.NET Core $rt"
}
peer_yarp_settings() {
    echo "taskset to 1 core (ProcessorCount=1), default thread pool and Kestrel socket transport, workstation non-concurrent GC, TieredPGO"
}

peer_yarp_start() {
    local port=$1 origin=$2 dir=$3
    mkdir -p "$dir"
    spawn PEER_PGID "$PEER_CPUS" "$dir/yarp.log" env DOTNET_TieredPGO=1 DOTNET_gcServer=0 \
        "$YARP_BIN" --listen "127.0.0.1:$port" --origin "http://$origin"
    PEER_LOG=$dir/yarp.log
}
