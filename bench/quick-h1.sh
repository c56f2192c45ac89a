#!/usr/bin/env bash
# Quick HTTP/1.1 side-by-side: the same nginx origin measured directly, through FastGate
# and through nginx as a proxy, interleaved over several rounds in one run (run-to-run
# noise on this kind of machine is 20-30 %, so only same-run ratios mean anything).
#
# Layout on two cores: proxies on core 0; origin and load generator share core 1.
#
#   bench/quick-h1.sh [--duration 10s] [--connections 64] [--warmup 20s] [--rounds 3]
#                     [--only-nginx]
#
# --only-nginx   put a second nginx proxy in FastGate's slot (checks the harness itself).
# FASTGATE_BIN   FastGate executable (default: artifacts/fastgate/fastgate under the repo);
#                it is started as "$FASTGATE_BIN run -c FILE".
# KEEP_WORKDIR=1 keep the temporary directory with configs, logs and raw wrk output.
set -euo pipefail

DURATION=10s
CONNECTIONS=64
WARMUP=20s
ROUNDS=3
ONLY_NGINX=0

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        --duration) DURATION=${2:?--duration needs a value}; shift 2 ;;
        --connections) CONNECTIONS=${2:?--connections needs a value}; shift 2 ;;
        --warmup) WARMUP=${2:?--warmup needs a value}; shift 2 ;;
        --rounds) ROUNDS=${2:?--rounds needs a value}; shift 2 ;;
        --only-nginx) ONLY_NGINX=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "quick-h1: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

ORIGIN_PORT=18080
NGINX_PORT=18081
FASTGATE_PORT=18082
ADMIN_PORT=18901

die() { echo "quick-h1: error: $*" >&2; exit 1; }
log() { echo "quick-h1: $*" >&2; }

# ---------------------------------------------------------------- cleanup
PIDS=()
WRK_PID=""
WORKDIR=""

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n "$WRK_PID" ]]; then
        kill "$WRK_PID" 2>/dev/null || true
    fi
    local pid
    for pid in "${PIDS[@]}"; do
        # TERM is nginx's fast shutdown (the master takes its workers down with it).
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 30); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "process $pid ignored SIGTERM; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    if [[ -n "$WORKDIR" && -d "$WORKDIR" ]]; then
        if [[ "${KEEP_WORKDIR:-0}" == 1 ]]; then
            log "kept $WORKDIR"
        else
            rm -rf "$WORKDIR"
        fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- tools
NGINX=$(command -v nginx || true)
[[ -z "$NGINX" && -x /usr/sbin/nginx ]] && NGINX=/usr/sbin/nginx
WRK=$(command -v wrk || true)
missing=()
[[ -z "$NGINX" ]] && missing+=(nginx)
[[ -z "$WRK" ]] && missing+=(wrk)
if [[ ${#missing[@]} -gt 0 ]]; then
    SUDO=()
    if [[ $EUID -ne 0 ]]; then
        command -v sudo >/dev/null || die "need ${missing[*]} and cannot install them (not root, no sudo)"
        SUDO=(sudo)
    fi
    log "installing ${missing[*]}"
    "${SUDO[@]}" apt-get update
    "${SUDO[@]}" apt-get install -y "${missing[@]}"
    NGINX=$(command -v nginx || echo /usr/sbin/nginx)
    WRK=$(command -v wrk || true)
    [[ -x "$NGINX" && -n "$WRK" ]] || die "installing ${missing[*]} did not provide them"
fi
command -v curl >/dev/null || die "curl is required"
command -v taskset >/dev/null || die "taskset (util-linux) is required"

CPUS=$(nproc)
if [[ "$CPUS" -ge 2 ]]; then
    PROXY_CPU=(taskset -c 0)
    LOAD_CPU=(taskset -c 1)
else
    log "only $CPUS CPU: running without pinning"
    PROXY_CPU=()
    LOAD_CPU=()
fi

# ---------------------------------------------------------------- FastGate binary
if [[ $ONLY_NGINX -eq 0 ]]; then
    if [[ -n "${FASTGATE_BIN:-}" ]]; then
        [[ -x "$FASTGATE_BIN" ]] || die "FASTGATE_BIN=$FASTGATE_BIN is not an executable"
    else
        FASTGATE_BIN="$ROOT/artifacts/fastgate/fastgate"
        if [[ ! -x "$FASTGATE_BIN" ]]; then
            log "publishing FastGate to artifacts/fastgate"
            (cd "$ROOT" && dotnet publish src/FastGate -c Release -o artifacts/fastgate) >&2 \
                || die "dotnet publish src/FastGate failed"
            [[ -x "$FASTGATE_BIN" ]] || die "publish did not produce artifacts/fastgate/fastgate"
        fi
    fi
fi

# ---------------------------------------------------------------- helpers
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

for port in $ORIGIN_PORT $NGINX_PORT $FASTGATE_PORT $ADMIN_PORT; do
    port_in_use "$port" && die "port $port is already in use (another benchmark still running?)"
done

WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/quick-h1.XXXXXX")

# Starts a server in the background and remembers its pid for cleanup.
# usage: start NAME LOGFILE CMD...
start() {
    local name=$1 logfile=$2
    shift 2
    "$@" >"$logfile" 2>&1 &
    PIDS+=("$!")
    eval "PID_$name=$!"
}

# Waits until PORT answers HTTP with the expected body, failing fast if PID died.
# usage: wait_ready NAME PID PORT LOGFILE
wait_ready() {
    local name=$1 pid=$2 port=$3 logfile=$4 body=""
    for _ in $(seq 150); do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "---- $logfile" >&2; tail -n 30 "$logfile" >&2 || true
            die "$name exited during start-up"
        fi
        if body=$(curl -s --max-time 1 "http://127.0.0.1:$port/" 2>/dev/null); then
            [[ "$body" == "Hello World!" ]] && return 0
        fi
        sleep 0.1
    done
    echo "---- $logfile" >&2; tail -n 30 "$logfile" >&2 || true
    if [[ -n "$body" ]]; then
        die "$name on port $port answered '${body:0:80}' instead of 'Hello World!'"
    fi
    die "$name did not answer on port $port within 15 s"
}

# Writes a self-contained nginx prefix directory (config, pid, logs, temp dirs).
# usage: nginx_conf DIR SERVER_BLOCK
nginx_conf() {
    local dir=$1 server=$2
    mkdir -p "$dir/logs" "$dir/tmp"
    cat >"$dir/nginx.conf" <<EOF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events {
    worker_connections 4096;
}
http {
    access_log off;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    # nginx closes a keep-alive connection after 1000 requests by default; the other
    # contestants don't, and reconnects would be measured instead of proxying.
    keepalive_requests 1000000;
    keepalive_timeout 120s;
$server
}
EOF
}

# nginx runs in the foreground (daemon off) so the pid we hold is the master's.
# -e sends start-up errors to our log instead of the system's error log.
start_nginx() {
    local name=$1 dir=$2
    shift 2
    start "$name" "$dir/logs/stdout.log" "$@" "$NGINX" -p "$dir" -c nginx.conf -e "$dir/logs/error.log" -g 'daemon off;'
}

proxy_server_block() {
    local port=$1
    cat <<EOF
    upstream origin {
        server 127.0.0.1:$ORIGIN_PORT;
        keepalive 64;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:$port;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
EOF
}

# ---------------------------------------------------------------- servers
ORIGIN_DIR=$WORKDIR/origin
nginx_conf "$ORIGIN_DIR" "    server {
        listen 127.0.0.1:$ORIGIN_PORT;
        location / {
            default_type text/plain;
            return 200 \"Hello World!\";
        }
    }"
start_nginx origin "$ORIGIN_DIR" "${LOAD_CPU[@]}"
wait_ready "nginx origin" "$PID_origin" $ORIGIN_PORT "$ORIGIN_DIR/logs/error.log"

NGINX_DIR=$WORKDIR/nginx-proxy
nginx_conf "$NGINX_DIR" "$(proxy_server_block $NGINX_PORT)"
start_nginx nginx "$NGINX_DIR" "${PROXY_CPU[@]}"
wait_ready "nginx proxy" "$PID_nginx" $NGINX_PORT "$NGINX_DIR/logs/error.log"

if [[ $ONLY_NGINX -eq 1 ]]; then
    FG_LABEL="nginx#2"
    FG_DIR=$WORKDIR/nginx-proxy-2
    nginx_conf "$FG_DIR" "$(proxy_server_block $FASTGATE_PORT)"
    start_nginx fastgate "$FG_DIR" "${PROXY_CPU[@]}"
    wait_ready "second nginx proxy" "$PID_fastgate" $FASTGATE_PORT "$FG_DIR/logs/error.log"
else
    FG_LABEL="FastGate"
    cat >"$WORKDIR/fastgate.toml" <<EOF
[admin]
listen = "127.0.0.1:$ADMIN_PORT"
[log]
access = "off"
[[listener]]
name = "web"
listen = "127.0.0.1:$FASTGATE_PORT"
[[route]]
name = "all"
cluster = "origin"
[cluster.origin]
endpoints = ["127.0.0.1:$ORIGIN_PORT"]
EOF
    start fastgate "$WORKDIR/fastgate.log" "${PROXY_CPU[@]}" "$FASTGATE_BIN" run -c "$WORKDIR/fastgate.toml"
    wait_ready "FastGate" "$PID_fastgate" $FASTGATE_PORT "$WORKDIR/fastgate.log"
fi

# ---------------------------------------------------------------- measuring
# Runs wrk in the background so INT/TERM interrupt the wait immediately.
# usage: run_wrk PORT DURATION OUTFILE
run_wrk() {
    local port=$1 duration=$2 out=$3
    "${LOAD_CPU[@]}" "$WRK" -t1 -c"$CONNECTIONS" -d"$duration" --latency "http://127.0.0.1:$port/" >"$out" 2>&1 &
    WRK_PID=$!
    local rc=0
    wait "$WRK_PID" || rc=$?
    WRK_PID=""
    [[ $rc -eq 0 ]] || { cat "$out" >&2; die "wrk against port $port failed (exit $rc)"; }
}

rps_of() { awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$1"; }
requests_of() { awk '/ requests in / { print $1 }' "$1"; }
# p99 from the --latency distribution, normalised to milliseconds.
p99_of() {
    awk '$1 == "99%" {
        v = $2
        if (v ~ /us$/) { sub(/us$/, "", v); v = v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v) }
        else if (v ~ /m$/) { sub(/m$/, "", v); v = v * 60000 }
        else if (v ~ /s$/) { sub(/s$/, "", v); v = v * 1000 }
        printf "%.2f", v
    }' "$1"
}
# Counts responses that were not 2xx/3xx plus socket errors: a proxy that answers fast
# with errors must not look like a fast proxy.
errors_of() {
    awk '/Non-2xx or 3xx responses:/ { n += $NF }
         /Socket errors:/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) { gsub(",", "", $i); n += $i } }
         END { print n + 0 }' "$1"
}

# The metric is a counter, possibly with labels; an absent metric yields nothing.
allocated_bytes() {
    curl -s --max-time 2 "http://127.0.0.1:$ADMIN_PORT/metrics" 2>/dev/null \
        | awk '/^fastgate_allocated_bytes_total([{ ]|$)/ { print $NF; exit }' || true
}

# usage: median FORMAT VALUE...
median() {
    local fmt=$1
    shift
    printf '%s\n' "$@" | sort -g | awk -v f="$fmt" '{ a[NR] = $1 }
        END { printf f "\n", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

log "warming up $FG_LABEL for $WARMUP"
run_wrk $FASTGATE_PORT "$WARMUP" "$WORKDIR/warmup-fastgate.txt"
log "warming up nginx proxy for $WARMUP"
run_wrk $NGINX_PORT "$WARMUP" "$WORKDIR/warmup-nginx.txt"
log "warming up origin for 2s"
run_wrk $ORIGIN_PORT 2s "$WORKDIR/warmup-origin.txt"

declare -a O_RPS O_P99 F_RPS F_P99 N_RPS N_P99 F_ALLOC
ERRORS=0
for ((r = 1; r <= ROUNDS; r++)); do
    log "round $r/$ROUNDS: origin"
    run_wrk $ORIGIN_PORT "$DURATION" "$WORKDIR/r$r-origin.txt"
    log "round $r/$ROUNDS: $FG_LABEL"
    before=$(allocated_bytes)
    run_wrk $FASTGATE_PORT "$DURATION" "$WORKDIR/r$r-fastgate.txt"
    after=$(allocated_bytes)
    log "round $r/$ROUNDS: nginx"
    run_wrk $NGINX_PORT "$DURATION" "$WORKDIR/r$r-nginx.txt"

    O_RPS+=("$(rps_of "$WORKDIR/r$r-origin.txt")"); O_P99+=("$(p99_of "$WORKDIR/r$r-origin.txt")")
    F_RPS+=("$(rps_of "$WORKDIR/r$r-fastgate.txt")"); F_P99+=("$(p99_of "$WORKDIR/r$r-fastgate.txt")")
    N_RPS+=("$(rps_of "$WORKDIR/r$r-nginx.txt")"); N_P99+=("$(p99_of "$WORKDIR/r$r-nginx.txt")")
    requests=$(requests_of "$WORKDIR/r$r-fastgate.txt")
    if [[ -n "$before" && -n "$after" && "${requests:-0}" -gt 0 ]]; then
        F_ALLOC+=("$(awk -v a="$after" -v b="$before" -v n="$requests" 'BEGIN { printf "%.1f", (a - b) / n }')")
    else
        F_ALLOC+=("n/a")
    fi
    for t in origin fastgate nginx; do
        e=$(errors_of "$WORKDIR/r$r-$t.txt")
        if [[ "$e" -gt 0 ]]; then
            log "round $r: $t had $e errors (non-2xx/3xx or socket errors)"
            ERRORS=1
        fi
    done
done

# ---------------------------------------------------------------- report
echo
echo "## HTTP/1.1 quick bench: 12-byte body, wrk -t1 -c$CONNECTIONS -d$DURATION, $ROUNDS rounds"
echo
echo "Proxies pinned to CPU 0; origin (nginx) and wrk on CPU 1. p99 in ms."
echo
echo "| round | origin req/s | origin p99 | $FG_LABEL req/s | $FG_LABEL p99 | nginx req/s | nginx p99 | $FG_LABEL/nginx | $FG_LABEL alloc B/req |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for ((i = 0; i < ROUNDS; i++)); do
    echo "| $((i + 1)) | ${O_RPS[i]} | ${O_P99[i]} | ${F_RPS[i]} | ${F_P99[i]} | ${N_RPS[i]} | ${N_P99[i]} | $(ratio "${F_RPS[i]}" "${N_RPS[i]}") | ${F_ALLOC[i]} |"
done
m_frps=$(median %.0f "${F_RPS[@]}")
m_nrps=$(median %.0f "${N_RPS[@]}")
alloc_known=()
for a in "${F_ALLOC[@]}"; do [[ "$a" != "n/a" ]] && alloc_known+=("$a"); done
m_alloc="n/a"
[[ ${#alloc_known[@]} -gt 0 ]] && m_alloc=$(median %.1f "${alloc_known[@]}")
echo "| **median** | $(median %.0f "${O_RPS[@]}") | $(median %.2f "${O_P99[@]}") | $m_frps | $(median %.2f "${F_P99[@]}") | $m_nrps | $(median %.2f "${N_P99[@]}") | **$(ratio "$m_frps" "$m_nrps")** | $m_alloc |"
echo
echo "$FG_LABEL/nginx throughput ratio (median req/s): $(ratio "$m_frps" "$m_nrps")"
echo "$FG_LABEL allocated bytes per request (fastgate_allocated_bytes_total delta / requests): $m_alloc"
if [[ $ERRORS -ne 0 ]]; then
    echo
    echo "WARNING: some runs had errors; see the log lines above. Their req/s are not comparable."
    exit 3
fi
