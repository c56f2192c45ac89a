# nginx as a reverse proxy: worker_processes = the workers count (one by default), upstream
# keep-alive pool. TLS: `listen ... ssl` with the run's ECDSA P-256 certificate, TLS 1.2 and
# 1.3, a shared session cache and session tickets (nginx's own defaults would also allow
# TLS 1.0/1.1 and keep no cache). L4: a `stream {}` server when the stream module is
# installed (Debian: libnginx-mod-stream, a dynamic module). HTTP/2 (only in runs with an h2
# scenario): a server of its own on the h2c port (`listen ... http2` without ssl: prior
# knowledge only, as nginx 1.22 cannot tell HTTP/1.1 and HTTP/2 apart on one plain port), and
# `http2` on the TLS listen (ALPN h2, http/1.1).
peer_nginx_label() { echo "nginx"; }
peer_nginx_jit() { echo 0; }
peer_nginx_workers() { echo 1; }
# Under --no-install (INSTALL=0) a missing stream module leaves nginx out of tcp instead.
peer_nginx_packages() {
    echo nginx
    [[ "${NEED_TCP:-0}" != 1 || "${INSTALL:-1}" != 1 ]] || echo libnginx-mod-stream
}
NGINX_STREAM_MODULE=/usr/lib/nginx/modules/ngx_stream_module.so
peer_nginx_listeners() {
    if [[ -f $NGINX_STREAM_MODULE ]]; then echo "tls tcp h2c"; else echo "tls h2c"; fi
}
peer_nginx_prepare() { NGINX=$(command -v nginx || echo /usr/sbin/nginx); [[ -x $NGINX ]] || die "nginx not found"; }
peer_nginx_version() { "$NGINX" -v 2>&1 | sed 's/^nginx version: //'; }
peer_nginx_settings() {
    local s="worker_processes $1, upstream keepalive 1024, X-Forwarded-For/-Proto/-Host and Via set upstream; /ws: Upgrade and Connection set upstream; /sse: proxy_buffering off"
    [[ "${NEED_TLS:-0}" != 1 ]] || s+="; TLS: ssl_protocols TLSv1.2 TLSv1.3, ssl_session_cache shared 10m, ssl_session_tickets on"
    [[ "${NEED_TCP:-0}" != 1 || ! -f $NGINX_STREAM_MODULE ]] || s+="; L4: stream proxy_pass"
    [[ "${NEED_H2C:-0}" != 1 ]] || s+="; h2c: a server with listen ... http2 (prior knowledge), http2 defaults (128 streams)"
    [[ "${NEED_H2TLS:-0}" != 1 ]] || s+="; h2 over TLS: listen ... ssl http2 (ALPN h2, http/1.1)"
    echo "$s"
}

# Writes a self-contained nginx prefix directory (config, pid, logs, temp dirs).
# MAIN_CONTEXT goes before everything else (load_module, stream {}).
# usage: nginx_write_conf DIR HTTP_BLOCK_BODY [WORKERS [MAIN_CONTEXT]]   (the origin: one worker)
nginx_write_conf() {
    local dir=$1 body=$2 workers=${3:-1} main=${4:-}
    mkdir -p "$dir/logs" "$dir/tmp"
    cat >"$dir/nginx.conf" <<EOC
$main
worker_processes $workers;
worker_rlimit_nofile 65536;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events {
    worker_connections 30000;
}
http {
    access_log off;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    # The default closes a keep-alive connection after 1000 requests; the other peers
    # don't, and reconnects would be measured instead of proxying.
    keepalive_requests 1000000;
    keepalive_timeout 120s;
$body
}
EOC
}

# usage: nginx_spawn VAR CPU DIR
nginx_spawn() {
    # Foreground (daemon off) so the pid we hold is the master's; -e keeps start-up
    # errors in our log.
    spawn "$1" "$2" "$3/logs/stdout.log" "$NGINX" -p "$3" -c nginx.conf -e "$3/logs/error.log" -g 'daemon off;'
}

peer_nginx_start() {
    local port=$1 origin=$2 dir=$3 tls="" main="" h2c="" h2tls=""
    # The forwarding fields FastGate always sends (docs/config.md), so the origin parses the
    # same request from every proxy; a location's own proxy_set_header replaces the server's,
    # so each location carries them.
    local fwd="
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header X-Forwarded-Host \$http_host;
            proxy_set_header Via \"1.1 nginx\";"
    [[ "${NEED_H2TLS:-0}" != 1 ]] || h2tls=" http2"
    if [[ -n "${PEER_TLS_PORT:-}" ]]; then
        tls="
        listen 127.0.0.1:$PEER_TLS_PORT ssl$h2tls;
        ssl_certificate $TLS_CERT;
        ssl_certificate_key $TLS_KEY;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:SSL:10m;
        ssl_session_tickets on;"
    fi
    if [[ -n "${PEER_TCP_PORT:-}" ]]; then
        main="load_module $NGINX_STREAM_MODULE;
stream {
    server {
        listen 127.0.0.1:$PEER_TCP_PORT;
        proxy_pass $origin;
    }
}"
    fi
    if [[ -n "${PEER_H2C_PORT:-}" ]]; then
        h2c="
    server {
        listen 127.0.0.1:$PEER_H2C_PORT http2;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;$fwd
            proxy_set_header Connection \"\";
        }
    }"
    fi
    nginx_write_conf "$dir" "    upstream origin {
        server $origin;
        keepalive 1024;
        keepalive_requests 1000000;
        keepalive_timeout 120s;
    }
    # h1-auth: an API key and a request rate limit that never triggers, on /auth/.
    map \$http_x_api_key \$api_key_ok {
        default 0;
        bench-key 1;
    }
    limit_req_zone \$http_x_api_key zone=bench:1m rate=100000000r/s;
    server {
        listen 127.0.0.1:$port;$tls
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;$fwd
            proxy_set_header Connection \"\";
        }
        # ws-echo: the upgrade goes upstream (hop-by-hop headers are not forwarded otherwise).
        location /ws {
            proxy_pass http://origin;
            proxy_http_version 1.1;$fwd
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \"upgrade\";
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
        }
        # sse-stream: every event passed on as it arrives, not buffered.
        location /sse {
            proxy_pass http://origin;
            proxy_http_version 1.1;$fwd
            proxy_set_header Connection \"\";
            proxy_buffering off;
            proxy_read_timeout 1h;
        }
        location /auth/ {
            if (\$api_key_ok = 0) {
                return 401;
            }
            limit_req zone=bench burst=1000000 nodelay;
            proxy_pass http://origin/;
            proxy_http_version 1.1;$fwd
            proxy_set_header Connection \"\";
            proxy_set_header x-api-key \"\";
        }
    }$h2c" "$PEER_WORKERS" "$main"
    nginx_spawn PEER_PGID "$PEER_CPUS" "$dir"
    PEER_LOG=$dir/logs/error.log
}
