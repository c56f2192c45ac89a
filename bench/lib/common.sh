# Shared helpers for bench/run.sh, the peer files (bench/peers/*.sh) and the scenario
# files (bench/scenarios/*.sh). Sourced, not executed.

log() { echo "bench: $*" >&2; }
die() { echo "bench: error: $*" >&2; exit 1; }

# ---------------------------------------------------------------- processes
# Every background process is started as the leader of its own session and process
# group, so stopping it (kill -- -PGID) also stops whatever it forked (nginx workers).
PGIDS=()

# usage: spawn VAR CPU LOGFILE CMD...   (CPU "" = no pinning); sets VAR to the pid (= pgid)
spawn() {
    local __var=$1 cpu=$2 logfile=$3
    shift 3
    local pin=()
    [[ -n "$cpu" && $PIN -eq 1 ]] && pin=(taskset -c "$cpu")
    # A child must not keep the measurement lock (bench_lock) alive after the harness.
    if [[ -n "${BENCH_LOCK_FD:-}" ]]; then
        setsid "${pin[@]}" "$@" >"$logfile" 2>&1 </dev/null {BENCH_LOCK_FD}>&- &
    else
        setsid "${pin[@]}" "$@" >"$logfile" 2>&1 </dev/null &
    fi
    local __spawned=$!
    PGIDS+=("$__spawned")
    printf -v "$__var" '%s' "$__spawned"
}

# usage: stop_group PGID  (TERM, then KILL after 5 s)
stop_group() {
    local pg=$1
    [[ -n "$pg" ]] || return 0
    kill -TERM -- "-$pg" 2>/dev/null || true
    for _ in $(seq 50); do
        pgrep -g "$pg" >/dev/null 2>&1 || break
        sleep 0.1
    done
    if pgrep -g "$pg" >/dev/null 2>&1; then
        log "process group $pg ignored SIGTERM; killing it"
        kill -KILL -- "-$pg" 2>/dev/null || true
        sleep 0.2
    fi
    wait "$pg" 2>/dev/null || true
    local keep=() p
    for p in "${PGIDS[@]}"; do [[ "$p" != "$pg" ]] && keep+=("$p"); done
    PGIDS=("${keep[@]}")
}

# Stops every group still registered and checks that none survived.
stop_all() {
    local pg left=()
    for pg in "${PGIDS[@]}"; do kill -TERM -- "-$pg" 2>/dev/null || true; done
    for pg in "${PGIDS[@]}"; do
        for _ in $(seq 50); do
            pgrep -g "$pg" >/dev/null 2>&1 || break
            sleep 0.1
        done
        if pgrep -g "$pg" >/dev/null 2>&1; then
            kill -KILL -- "-$pg" 2>/dev/null || true
        fi
    done
    sleep 0.2
    for pg in "${PGIDS[@]}"; do
        pgrep -g "$pg" >/dev/null 2>&1 && left+=("$pg")
        wait "$pg" 2>/dev/null || true
    done
    PGIDS=()
    if [[ ${#left[@]} -gt 0 ]]; then
        echo "bench: error: processes still running after cleanup (groups ${left[*]}):" >&2
        for pg in "${left[@]}"; do pgrep -a -g "$pg" >&2 || true; done
        return 1
    fi
    return 0
}

# ---------------------------------------------------------------- measurement lock
# Measurements on a shared machine serialize on one lock file: whoever holds it is the only
# one generating load. `flock /tmp/bench.lock bench/run.sh ...` works too: a descriptor of
# the lock file inherited from the caller is locked again (at once, as it is the caller's).
BENCH_LOCK=${BENCH_LOCK:-/tmp/bench.lock}
BENCH_LOCK_FD=""

bench_lock() {
    local f fd="" target
    target=$(readlink -f "$BENCH_LOCK")
    for f in /proc/$$/fd/*; do
        if [[ $(readlink "$f" 2>/dev/null) == "$target" ]]; then fd=${f##*/}; break; fi
    done
    [[ -n "$fd" ]] || exec {fd}>>"$BENCH_LOCK"
    if ! flock -n "$fd"; then
        log "waiting for $BENCH_LOCK (another measurement is running)"
        flock "$fd"
    fi
    BENCH_LOCK_FD=$fd
}

# Closing our descriptor releases the lock, unless the caller holds it through its own.
bench_unlock() {
    [[ -n "$BENCH_LOCK_FD" ]] || return 0
    exec {BENCH_LOCK_FD}>&-
    BENCH_LOCK_FD=""
}

# ---------------------------------------------------------------- readiness
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Waits until URL answers 200, failing fast when PGID has exited. CURL_OPTION (e.g.
# --http2-prior-knowledge) asks for a protocol; the answer must then come in that protocol.
# usage: wait_http NAME PGID URL LOGFILE [TIMEOUT_S [CURL_OPTION]]
wait_http() {
    local name=$1 pg=$2 url=$3 logfile=$4 timeout=${5:-30} opt=${6:-} code="" want=200 fmt='%{http_code}'
    # With a protocol asked for, "2 200": HTTP/2 and status 200 (curl falls back to
    # HTTP/1.1 when ALPN gives no h2).
    [[ -z "$opt" ]] || { fmt='%{http_version} %{http_code}'; want="2 200"; }
    local tries=$((timeout * 10))
    for _ in $(seq "$tries"); do
        if ! kill -0 "$pg" 2>/dev/null; then
            echo "---- last lines of $logfile" >&2; tail -n 30 "$logfile" >&2 || true
            die "$name exited during start-up"
        fi
        # -k: the benchmark's TLS listeners use a self-signed certificate.
        code=$(curl -sk ${opt:+"$opt"} -o /dev/null -w "$fmt" --max-time 1 "$url" 2>/dev/null || true)
        [[ "$code" == "$want" ]] && return 0
        sleep 0.1
    done
    echo "---- last lines of $logfile" >&2; tail -n 30 "$logfile" >&2 || true
    die "$name did not answer ${want/2 200/200 over HTTP\/2} on $url within ${timeout} s (last status '${code:-none}')"
}

# ---------------------------------------------------------------- /proc measurements
# CPU ticks (utime+stime) summed over the live processes of a process group.
group_cpu_ticks() {
    local pg=$1 p total=0 line
    for p in $(pgrep -g "$pg" 2>/dev/null); do
        line=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        line=${line##*) }
        # after "comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
        set -- $line
        total=$((total + ${12} + ${13}))
    done
    echo "$total"
}

# Resident set (kB) summed over the group; field = VmRSS or VmHWM.
group_mem_kb() {
    local pg=$1 field=${2:-VmRSS} p total=0 v
    for p in $(pgrep -g "$pg" 2>/dev/null); do
        v=$(awk -v f="$field:" '$1 == f { print $2 }' "/proc/$p/status" 2>/dev/null) || continue
        total=$((total + ${v:-0}))
    done
    echo "$total"
}

# Samples the group's VmRSS every 0.5 s into OUTFILE (max kB) until killed.
# usage: start_rss_sampler VAR PGID OUTFILE
start_rss_sampler() {
    local __var=$1 pg=$2 out=$3
    echo 0 >"$out"
    local parent=$$
    (
        [[ -n "${BENCH_LOCK_FD:-}" ]] && exec {BENCH_LOCK_FD}>&-
        [[ $PIN -eq 1 ]] && taskset -cp "$LOAD_CPU" $BASHPID >/dev/null 2>&1
        max=0
        while kill -0 "$parent" 2>/dev/null; do
            kb=$(group_mem_kb "$pg" VmRSS)
            if [[ $kb -gt $max ]]; then max=$kb; echo "$max" >"$out"; fi
            sleep 0.5
        done
    ) &
    printf -v "$__var" '%s' "$!"
}

# "BUSY TOTAL" jiffies of core N from /proc/stat (busy: all but idle and iowait); empty
# without N (an unpinned run has no load core of its own).
core_jiffies() {
    [[ -n "$1" ]] || return 0
    awk -v c="cpu$1" '$1 == c { t = $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; print t - $5 - $6, t; exit }' /proc/stat
}

# Busy share in percent between two core_jiffies readings; empty when either is.
busy_percent() {
    [[ -n "$1" && -n "$2" ]] || return 0
    awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " ")
        if (y[2] > x[2]) printf "%.0f", (y[1] - x[1]) * 100 / (y[2] - x[2]) }'
}

# The proxy's CPU and peak RSS over one measured run of process group PGID, and how busy the
# load core was: run_sampling_begin before the load, run_sampling_end after it; the latter
# sets RUN_LOAD_BUSY (percent; near 100 when the load generator and the origin set the pace,
# not the proxy), RUN_CPU_TICKS and RUN_RSS_MIB (both empty when PGID is empty: a peer with
# no process of ours, like direct).
# usage: run_sampling_begin PGID; ...; run_sampling_end PGID
run_sampling_begin() {
    RUN_CPU0=0 RUN_SAMPLER=""
    RUN_LOAD0=$(core_jiffies "${LOAD_CPU:-}")
    [[ -n "$1" ]] || return 0
    RUN_CPU0=$(group_cpu_ticks "$1")
    start_rss_sampler RUN_SAMPLER "$1" "$WORKDIR/rss.max"
}
run_sampling_end() {
    RUN_CPU_TICKS="" RUN_RSS_MIB=""
    RUN_LOAD_BUSY=$(busy_percent "$RUN_LOAD0" "$(core_jiffies "${LOAD_CPU:-}")")
    [[ -n "$1" ]] || return 0
    RUN_CPU_TICKS=$(($(group_cpu_ticks "$1") - RUN_CPU0))
    kill "$RUN_SAMPLER" 2>/dev/null || true
    wait "$RUN_SAMPLER" 2>/dev/null || true
    local hwm peak
    hwm=$(group_mem_kb "$1" VmRSS)
    peak=$(cat "$WORKDIR/rss.max")
    if [[ $peak -gt $hwm ]]; then hwm=$peak; fi
    RUN_RSS_MIB=$(awk -v k="$hwm" 'BEGIN { printf "%.1f", k / 1024 }')
}

# (A - B) / N with one decimal (bytes allocated per request, message or event); empty when a
# figure is missing or N is 0.
# usage: per_unit A B N
per_unit() {
    [[ -n "$1" && -n "$2" && ${3:-0} -gt 0 ]] || return 0
    # A figure that rounds to zero prints as 0.0, not -0.0 (a read of /metrics subtracted can leave a few bytes below zero).
    awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { v = (a - b) / n; if (v > -0.05 && v < 0.05) v = 0; printf "%.1f", v }'
}

# CPU seconds per 100,000 units (requests, messages or events) from clock ticks; empty when unknown.
# usage: cpu_per_100k TICKS N
cpu_per_100k() {
    [[ -n "$1" ]] || return 0
    awk -v t="$1" -v hz="$CLK_TCK" -v n="$2" 'BEGIN { if (n > 0) printf "%.3f", t / hz / n * 100000 }'
}

# ---------------------------------------------------------------- workers
# Cores the proxy gets with N workers: core PROXY_CPU alone for one; cores 0..N-1 (at most
# every core) for more, shared with the load generator. Empty without pinning.
proxy_cpus() {
    local n=$1 cores
    [[ $PIN -eq 1 ]] || { echo ""; return; }
    if [[ $n -le 1 ]]; then echo "$PROXY_CPU"; return; fi
    cores=$(nproc)
    [[ $n -le $cores ]] || n=$cores
    seq -s, 0 $((n - 1))
}

# ---------------------------------------------------------------- numbers
# Duration "10s", "2m", "500ms" or plain seconds -> seconds (integer, at least 1).
to_seconds() {
    local d=$1
    case "$d" in
        *ms) echo $(( (${d%ms} + 999) / 1000 )) ;;
        *s) echo "${d%s}" ;;
        *m) echo $(( ${d%m} * 60 )) ;;
        *) echo "$d" ;;
    esac
}

# The EXIT trap of bench/run.sh and bench/syscalls.sh: stops every process they started,
# checks that none is left (every config path lives in WORKDIR, so anything still naming it
# is ours) and removes WORKDIR unless KEEP_WORKDIR=1.
bench_cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if ! stop_all; then
        rc=1
    fi
    if [[ -n "$WORKDIR" ]] && pgrep -f "$WORKDIR" >/dev/null 2>&1; then
        echo "bench: error: processes still running:" >&2
        pgrep -a -f "$WORKDIR" >&2 || true
        rc=1
    fi
    if [[ -n "$WORKDIR" && -d "$WORKDIR" ]]; then
        if [[ "${KEEP_WORKDIR:-0}" == 1 ]]; then log "kept $WORKDIR"; else rm -rf "$WORKDIR"; fi
    fi
    exit "$rc"
}

# usage: bench_install PACKAGE...   installs the Debian packages not installed yet, or dies
# naming them under --no-install (INSTALL=0) or without root and sudo.
bench_install() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    [[ $INSTALL -eq 1 ]] || die "missing packages: ${missing[*]} (run without --no-install)"
    local sudo=()
    if [[ $EUID -ne 0 ]]; then
        command -v sudo >/dev/null || die "need ${missing[*]} and cannot install them (not root, no sudo)"
        sudo=(sudo)
    fi
    log "installing ${missing[*]}"
    if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >&2; then
        "${sudo[@]}" apt-get update >&2
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >&2 \
            || die "apt-get install ${missing[*]} failed"
    fi
}

# usage: bench_require TOOL...   dies naming the first of these commands that is missing
bench_require() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null || die "$t is required"
    done
}

# Sets PIN, PROXY_CPU and LOAD_CPU: the proxy on core 0 and the load on core 1 when there are
# two cores or more; unpinned on one core (and says so, with NOTE appended).
# usage: bench_pinning [NOTE]
bench_pinning() {
    PIN=1
    if [[ $(nproc) -ge 2 ]]; then
        PROXY_CPU=0
        LOAD_CPU=1
    else
        log "only one CPU: running without pinning${1:+ ($1)}"
        PIN=0 PROXY_CPU="" LOAD_CPU=""
    fi
}

# ---------------------------------------------------------------- reports
# The meta lines bench/syscalls.sh and bench/failover.sh both hand their report: when, the
# load average before and after the measurement, the machine, wrk's version, and per peer its
# label, version and settings. Reads DATE, LOAD_START, LOAD_END, WRK, PEERS and the VERSION
# and SETTINGS maps; the caller prints its own lines after these.
bench_meta_common() {
    local p
    printf 'date\t%s\n' "$DATE"
    printf 'load\t%s\n' "$LOAD_START"
    printf 'load_end\t%s\n' "$LOAD_END"
    printf 'machine\t%s CPUs, %s, %s\n' "$(nproc)" \
        "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" "$(uname -sr)"
    printf 'wrk\t%s\n' "$("$WRK" -v 2>&1 | head -n 1 | awk '{ print $2 }')"
    for p in "${PEERS[@]}"; do
        printf 'label_%s\t%s\n' "$p" "$(peer_${p}_label)"
        printf 'version_%s\t%s\n' "$p" "${VERSION[$p]}"
        printf 'settings_%s\t%s\n' "$p" "${SETTINGS[$p]}"
    done
}

# Where the report goes: bench/results/STAMP-NAME.md, or nothing under --no-report (REPORT=0).
# usage: bench_report_path NAME
bench_report_path() {
    [[ $REPORT -eq 1 ]] || return 0
    mkdir -p "$BENCH/results" && echo "$BENCH/results/$STAMP-$1.md"
}
