# Origins: the upstream every peer proxies to, on the load generator's core.
#   nginx  fixed bodies: "/" -> "Hello World!" (12 bytes, any method), "/16k" -> 16 KiB file,
#          "/1m" -> 1 MiB file; with ORIGIN_TLS_PORT set, the same over TLS on that port
#          (TLS_CERT, TLS_KEY), logging whether each handshake resumed a session
#   mock   artifacts/mock-upstream (tools/MockUpstream), for what nginx cannot serve

# The origins of this run (origins_needed in bench/run.sh; nginx when unset), for the report.
origin_version() {
    local o out=()
    for o in "${origins_needed[@]:-nginx}"; do
        case "$o" in
            nginx) out+=("$("$NGINX" -v 2>&1 | sed 's/^nginx version: //')") ;;
            mock) out+=("mock-upstream (tools/MockUpstream, Kestrel)") ;;
        esac
    done
    printf '%s' "${out[0]}"
    [[ ${#out[@]} -lt 2 ]] || printf ', %s' "${out[@]:1}"
    echo
}

# usage: origin_start KIND PORT DIR   -> ORIGIN_PGID, ORIGIN_LOG
origin_start() {
    local kind=$1 port=$2 dir=$3
    mkdir -p "$dir"
    case "$kind" in
        nginx)
            mkdir -p "$dir/www"
            head -c 16384 /dev/zero | tr '\0' 'a' >"$dir/www/16k"
            head -c 1048576 /dev/zero | tr '\0' 'a' >"$dir/www/1m"
            local tls=""
            # Only there to check that the load generator does full handshakes when asked
            # (tls_check_no_resume): "r" in the log is a resumed session, "." a full handshake.
            [[ -z "${ORIGIN_TLS_PORT:-}" ]] || tls="
    log_format reused '\$ssl_session_reused';
    server {
        listen 127.0.0.1:$ORIGIN_TLS_PORT ssl backlog=4096;
        ssl_certificate $TLS_CERT;
        ssl_certificate_key $TLS_KEY;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:ORIGIN:10m;
        access_log $dir/logs/tls-reused.log reused;
        location / {
            default_type text/plain;
            return 200 \"Hello World!\";
        }
    }"
            nginx_write_conf "$dir" "    sendfile on;
    tcp_nopush on;
    open_file_cache max=16;
    server {
        listen 127.0.0.1:$port backlog=4096;
        listen 127.0.0.2:$port backlog=4096;
        listen 127.0.0.3:$port backlog=4096;
        root $dir/www;
        location = / {
            default_type text/plain;
            return 200 \"Hello World!\";
        }
        location = /16k {
            default_type application/octet-stream;
        }
        location = /1m {
            default_type application/octet-stream;
        }
    }$tls"
            nginx_spawn ORIGIN_PGID "$LOAD_CPU" "$dir"
            ORIGIN_LOG=$dir/logs/error.log
            ;;
        mock)
            spawn ORIGIN_PGID "$LOAD_CPU" "$dir/mock.log" env DOTNET_TieredPGO=1 \
                "$MOCK_BIN" --listen "127.0.0.1:$port" --name origin
            ORIGIN_LOG=$dir/mock.log
            ;;
        *) die "unknown origin '$kind'" ;;
    esac
    wait_http "origin ($kind)" "$ORIGIN_PGID" "http://127.0.0.1:$port/" "$ORIGIN_LOG"
}

origin_prepare() {
    local kind=$1
    case "$kind" in
        nginx) peer_nginx_prepare ;;
        mock)
            if [[ -z "${MOCK_BIN:-}" ]]; then
                MOCK_BIN=$ROOT/artifacts/mock-upstream/mock-upstream
                log "publishing the mock upstream to artifacts/mock-upstream"
                (cd "$ROOT" && dotnet publish tools/MockUpstream -c Release -o artifacts/mock-upstream) \
                    >"$WORKDIR/mock-publish.log" 2>&1 \
                    || { tail -n 30 "$WORKDIR/mock-publish.log" >&2; die "dotnet publish tools/MockUpstream failed"; }
            fi
            [[ -x "$MOCK_BIN" ]] || die "mock upstream binary $MOCK_BIN is missing"
            ;;
    esac
}
