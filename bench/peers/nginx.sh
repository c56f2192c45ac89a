# nginx as a reverse proxy: worker_processes = the workers count (one by default), upstream
# keep-alive pool.
peer_nginx_label() { echo "nginx"; }
peer_nginx_jit() { echo 0; }
peer_nginx_workers() { echo 1; }
peer_nginx_packages() { echo nginx; }
peer_nginx_prepare() { NGINX=$(command -v nginx || echo /usr/sbin/nginx); [[ -x $NGINX ]] || die "nginx not found"; }
peer_nginx_version() { "$NGINX" -v 2>&1 | sed 's/^nginx version: //'; }
peer_nginx_settings() { echo "worker_processes $1, upstream keepalive 1024"; }

# Writes a self-contained nginx prefix directory (config, pid, logs, temp dirs).
# usage: nginx_write_conf DIR HTTP_BLOCK_BODY [WORKERS]   (the origin: one worker)
nginx_write_conf() {
    local dir=$1 body=$2 workers=${3:-1}
    mkdir -p "$dir/logs" "$dir/tmp"
    cat >"$dir/nginx.conf" <<EOC
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
    local port=$1 origin=$2 dir=$3
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
        listen 127.0.0.1:$port;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
        }
        location /auth/ {
            if (\$api_key_ok = 0) {
                return 401;
            }
            limit_req zone=bench burst=1000000 nodelay;
            proxy_pass http://origin/;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_set_header x-api-key \"\";
        }
    }" "$PEER_WORKERS"
    nginx_spawn PEER_PGID "$PEER_CPUS" "$dir"
    PEER_LOG=$dir/logs/error.log
}
