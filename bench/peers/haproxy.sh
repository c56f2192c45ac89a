# HAProxy: nbthread = the workers count (one by default), HTTP mode, server-side connection reuse.
# TLS: `bind ... ssl crt` with the run's ECDSA P-256 certificate, TLS 1.2 minimum, HAProxy's
# default session cache and tickets. L4: a `mode tcp` proxy. HTTP/2 (only in runs with an h2
# scenario): a frontend on the h2c port with `bind ... proto h2` (prior knowledge), and
# `alpn h2,http/1.1` on the TLS bind.
peer_haproxy_label() { echo "HAProxy"; }
peer_haproxy_jit() { echo 0; }
peer_haproxy_workers() { echo 1; }
peer_haproxy_packages() { echo haproxy; }
peer_haproxy_prepare() { HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy); [[ -x $HAPROXY ]] || die "haproxy not found"; }
peer_haproxy_version() { "$HAPROXY" -v 2>&1 | head -n 1 | awk '{ print $3 }'; }
peer_haproxy_listeners() { echo "tls tcp h2c"; }
peer_haproxy_settings() {
    local s="nbthread $1, http-reuse always, option forwardfor, X-Forwarded-Proto/-Host and Via set upstream, timeout tunnel 1h (WebSocket)"
    [[ "${NEED_TLS:-0}" != 1 ]] || s+="; TLS: ssl-min-ver TLSv1.2, default session cache and tickets"
    [[ "${NEED_TCP:-0}" != 1 ]] || s+="; L4: mode tcp"
    [[ "${NEED_H2C:-0}" != 1 ]] || s+="; h2c: bind ... proto h2, HTTP/2 defaults (100 streams)"
    [[ "${NEED_H2TLS:-0}" != 1 ]] || s+="; h2 over TLS: alpn h2,http/1.1"
    echo "$s"
}

# The forwarding fields FastGate always sends (docs/config.md), so the origin parses the same
# request from every proxy: X-Forwarded-For comes from `option forwardfor` in defaults, the rest
# from these rules on each frontend. usage: haproxy_forwarding SCHEME
haproxy_forwarding() {
    echo "    http-request set-header X-Forwarded-Proto $1
    http-request set-header X-Forwarded-Host %[req.hdr(host)]
    http-request add-header Via \"1.1 haproxy\""
}

peer_haproxy_start() {
    local port=$1 origin=$2 dir=$3
    mkdir -p "$dir"
    cat >"$dir/haproxy.cfg" <<EOC
global
    nbthread $PEER_WORKERS
    # HAProxy sizes its descriptor needs as 2 x maxconn and refuses to start when the hard
    # limit is lower. The idle-connection scenario needs 10,000 clients plus a few upstream
    # connections (not 2 x 10,000): warn instead of failing when the limit is short.
    no strict-limits
    maxconn 10240
defaults
    mode http
    option http-keep-alive
    http-reuse always
    option forwardfor
    timeout connect 5s
    timeout client 120s
    timeout server 120s
    timeout http-keep-alive 120s
    timeout http-request 10s
    # ws-echo: an upgraded connection is a tunnel and gets this timeout instead of client/server.
    timeout tunnel 1h
frontend fe
    bind 127.0.0.1:$port
    maxconn 10240
$(haproxy_forwarding http)
    # h1-auth: an API key and a request rate limit that never triggers, on /auth/.
    acl auth_path path_beg /auth/
    stick-table type string len 64 size 100k expire 60s store http_req_rate(1s)
    http-request deny deny_status 401 if auth_path !{ req.hdr(x-api-key) -m str bench-key }
    http-request track-sc0 req.hdr(x-api-key) if auth_path
    http-request deny deny_status 429 if auth_path { sc_http_req_rate(0) gt 100000000 }
    http-request del-header x-api-key if auth_path
    http-request set-path / if auth_path
    default_backend origin
backend origin
    server origin $origin
EOC
    if [[ -n "${PEER_TLS_PORT:-}" ]]; then
        local alpn=""
        [[ "${NEED_H2TLS:-0}" != 1 ]] || alpn=" alpn h2,http/1.1"
        cat >>"$dir/haproxy.cfg" <<EOC
frontend fe_tls
    bind 127.0.0.1:$PEER_TLS_PORT ssl crt $TLS_COMBINED ssl-min-ver TLSv1.2$alpn
    maxconn 10240
$(haproxy_forwarding https)
    default_backend origin
EOC
    fi
    if [[ -n "${PEER_H2C_PORT:-}" ]]; then
        cat >>"$dir/haproxy.cfg" <<EOC
frontend fe_h2c
    bind 127.0.0.1:$PEER_H2C_PORT proto h2
    maxconn 10240
$(haproxy_forwarding http)
    default_backend origin
EOC
    fi
    if [[ -n "${PEER_TCP_PORT:-}" ]]; then
        cat >>"$dir/haproxy.cfg" <<EOC
listen l4
    mode tcp
    bind 127.0.0.1:$PEER_TCP_PORT
    maxconn 10240
    server origin $origin
EOC
    fi
    # -db: stay in the foreground, no master-worker; no log lines are configured.
    spawn PEER_PGID "$PEER_CPUS" "$dir/haproxy.log" "$HAPROXY" -db -f "$dir/haproxy.cfg"
    PEER_LOG=$dir/haproxy.log
}
