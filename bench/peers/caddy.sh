# Caddy: Go runtime limited to one OS thread running Go code (GOMAXPROCS=1).
peer_caddy_label() { echo "Caddy"; }
peer_caddy_jit() { echo 0; }
peer_caddy_workers() { echo 0; }
peer_caddy_listeners() { :; }
peer_caddy_packages() { echo caddy; }
peer_caddy_prepare() { CADDY=$(command -v caddy || echo /usr/bin/caddy); [[ -x $CADDY ]] || die "caddy not found"; }
peer_caddy_version() { "$CADDY" version 2>&1 | awk '{ print $1 }'; }
peer_caddy_settings() { echo "GOMAXPROCS=1, admin off, h1 only, 1024 idle upstream connections"; }

peer_caddy_start() {
    local port=$1 origin=$2 dir=$3
    mkdir -p "$dir/data" "$dir/config"
    cat >"$dir/Caddyfile" <<EOC
{
    admin off
    auto_https off
    servers {
        protocols h1
        timeouts {
            idle 120s
        }
    }
}
http://127.0.0.1:$port {
    reverse_proxy $origin {
        transport http {
            keepalive 120s
            keepalive_idle_conns 1024
            keepalive_idle_conns_per_host 1024
        }
    }
}
EOC
    # No log directive: no access log. XDG dirs keep Caddy's state inside DIR.
    spawn PEER_PGID "$PEER_CPUS" "$dir/caddy.log" env GOMAXPROCS=1 \
        XDG_DATA_HOME="$dir/data" XDG_CONFIG_HOME="$dir/config" HOME="$dir" \
        "$CADDY" run --config "$dir/Caddyfile" --adapter caddyfile
    PEER_LOG=$dir/caddy.log
}
