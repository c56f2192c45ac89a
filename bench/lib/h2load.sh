# h2load (nghttp2-client): the load client of the HTTP/2 scenarios (bench/scenarios/h2c.sh,
# h2c-mux.sh, h2-tls.sh) and the well-behaved client of h2-flood.sh. Sourced by bench/run.sh,
# not executed. Uses run.sh's SC_*, LOAD_CPU, WORKDIR, RUNS, PGID, ADMIN_PORT, INST_PEER.

H2LOAD=${H2LOAD:-h2load}

h2load_version() { "$H2LOAD" --version 2>&1 | awk '{ print $2; exit }'; }

# The URL h2load loads for the current scenario: h2c with prior knowledge on the proxy's h2c
# listener, or https on its TLS listener (ALPN h2).
h2load_url() {
    if [[ $SC_LISTENER == tls ]]; then echo "https://127.0.0.1:$1$SC_PATH"; else echo "http://127.0.0.1:$1$SC_PATH"; fi
}

# One h2load run: CONNECTIONS connections with STREAMS concurrent streams each for DURATION;
# OUTFILE gets h2load's text, LOGFILE (optional) one line per request (start, status, µs).
# Dies when h2load fails or did not speak HTTP/2 (a TLS listener that negotiated http/1.1
# would be measured as HTTP/1.1 otherwise).
# usage: run_h2load PORT CONNECTIONS STREAMS DURATION OUTFILE [LOGFILE]
run_h2load() {
    start_h2load "$@"
    finish_h2load "$1" "$5"
}

# run_h2load in two halves, so the caller can measure while the connections are open:
# start_h2load takes run_h2load's arguments and sets H2LOAD_PID; finish_h2load waits for it.
# usage: start_h2load PORT CONNECTIONS STREAMS DURATION OUTFILE [LOGFILE]; finish_h2load PORT OUTFILE
start_h2load() {
    local port=$1 conns=$2 streams=$3 duration=$4 out=$5 logf=${6:-} extra=()
    [[ -z "$logf" ]] || extra=(--log-file="$logf")
    spawn H2LOAD_PID "$LOAD_CPU" "$out" "$H2LOAD" -t1 -c"$conns" -m"$streams" -D "$duration" \
        "${extra[@]}" "${SC_H2LOAD_ARGS[@]}" "$(h2load_url "$port")"
}

finish_h2load() {
    local port=$1 out=$2 pid=$H2LOAD_PID rc=0 proto
    wait "$pid" || rc=$?
    stop_group "$pid"
    if [[ $rc -ne 0 ]] || ! grep -q '^finished in ' "$out"; then
        cat "$out" >&2
        die "h2load against port $port failed (exit $rc)"
    fi
    proto=$(sed -n 's/^Application protocol: //p' "$out")
    if [[ $proto != h2 && $proto != h2c ]]; then
        cat "$out" >&2
        die "h2load against port $port spoke '${proto:-nothing}', not HTTP/2"
    fi
}

h2load_command_text() {
    local conns=$1 streams=$2 d=$3 extra="" a port=PORT
    for a in "${SC_H2LOAD_ARGS[@]}"; do extra+=" '$a'"; done
    echo "taskset -c $LOAD_CPU h2load -t1 -c$conns -m$streams -D $d --log-file=LOG$extra $(h2load_url "$port")"
}

# Figures of one h2load run, tab-separated: req/s over the run, p50, p99 and p99.9 latency in
# ms (from the per-request log: h2load itself prints only min/max/mean/sd), errors (failed,
# errored and timed-out streams plus non-2xx statuses) and the requests done.
# usage: h2load_figures OUTFILE LOGFILE
h2load_figures() {
    python3 - "$1" "$2" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"^finished in [^,]+, ([0-9.]+) req/s", text, re.M).group(1))
m = re.search(r"^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout", text, re.M)
done, failed, errored, timeout = int(m.group(3)), int(m.group(5)), int(m.group(6)), int(m.group(7))
s = re.search(r"^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text, re.M)
errors = failed + errored + timeout + int(s.group(2)) + int(s.group(3)) + int(s.group(4))
lat = []
try:
    for line in open(sys.argv[2]):
        f = line.split("\t")
        if len(f) >= 3 and f[1] != "-1":
            lat.append(int(f[2]))
except FileNotFoundError:
    pass
lat.sort()
def pct(p):
    if not lat:
        return ""
    return "%.3f" % (lat[min(len(lat) - 1, int(p * len(lat)))] / 1000)
print("\t".join(["%.0f" % rps, pct(0.50), pct(0.99), pct(0.999), str(errors), str(done)]))
EOF
}

# Requests of an h2load per-request log that ended in (FROM, TO], both in µs since the epoch
# (a line: start in µs since the epoch, status, µs to the end of the response).
# usage: h2load_done_between LOGFILE FROM TO
h2load_done_between() {
    awk -F'\t' -v a="$2" -v b="$3" '$2 != "-1" && $1 + $3 > a && $1 + $3 <= b { n++ } END { print n + 0 }' "$1"
}

# FastGate's allocated bytes, read back to back: a read less the one before is what one read of
# /metrics adds to any delta between two reads (the rendering after the first counter snapshot
# and before the second), subtracted from the figures below. Median of three such differences:
# the first read after a pause can cost more (what /metrics sets up once).
# usage: fastgate_scrape_bytes ADMIN_PORT
fastgate_scrape_bytes() {
    local k v prev="" diffs=()
    for k in 1 2 3 4; do
        v=$(fastgate_allocated_bytes "$1")
        [[ -n "$v" ]] || return 0
        [[ -z "$prev" ]] || diffs+=($((v - prev)))
        prev=$v
    done
    printf '%s\n' "${diffs[@]}" | sort -n | sed -n 2p
}

# FastGate's bytes per NEW connection: h2load opens CONNECTIONS connections that each send
# STREAMS concurrent requests once (as the scenario's connections begin) and close; the
# counter's change until they have ended, less one read of /metrics, over the connections.
# Median of three.
# usage: fastgate_alloc_per_connection INSTANCE PORT CONNECTIONS STREAMS SCRAPE OUTFILE
fastgate_alloc_per_connection() {
    local i=$1 port=$2 conns=$3 streams=$4 scrape=$5 out=$6 k a0 a1 vals=()
    for k in 1 2 3; do
        a0=$(fastgate_allocated_bytes "${ADMIN_PORT[$i]}")
        spawn H2LOAD_PID "$LOAD_CPU" "$out" "$H2LOAD" -t1 -c"$conns" -m"$streams" -n$((conns * streams)) \
            "${SC_H2LOAD_ARGS[@]}" "$(h2load_url "$port")"
        wait "$H2LOAD_PID" || die "h2load against port $port failed (new connections)"
        stop_group "$H2LOAD_PID"
        # What a connection's end allocates counts too: a closing connection lingers up to 1 s.
        sleep 1.5
        a1=$(fastgate_allocated_bytes "${ADMIN_PORT[$i]}")
        [[ -n "$a0" && -n "$a1" && -n "$scrape" ]] || return 0
        vals+=("$(awk -v d=$((a1 - a0 - scrape)) -v n="$conns" 'BEGIN { printf "%.0f", d / n }')")
    done
    printf '%s\n' "${vals[@]}" | sort -n | sed -n 2p
}

# Like measure_wrk: per connection count, a warm-up of every instance, then ROUNDS interleaved
# measured runs; a row per run in RUNS (variant cC: C connections of SC_H2_STREAMS streams), with
# the proxy's CPU per 100k requests and peak RSS. FastGate's allocated bytes per request are
# measured while the connections are open: h2load opens them all at its start (each then
# allocates what a connection needs once: HPACK tables, streams, buffers, partly from per-loop
# pools), so the counter is read 1 s into the run and 1 s before its end, and the change (less
# one read of /metrics) is divided by the requests that ended in between (h2load's per-request
# log). What a new connection costs is measured apart, after the rounds: "bytes per new connection".
# usage: measure_h2load SCENARIO INSTANCE...
measure_h2load() {
    local name=$1 c r i out logf s=$SC_H2_STREAMS
    shift
    local insts=("$@")
    for c in "${SC_CONNECTIONS[@]}"; do
        # cC as in the other scenarios (the report reads C connections from it); the streams
        # per connection are in the scenario's description.
        local variant=c$c
        meta "command_${name}_$variant" "$(h2load_command_text "$c" "$s" "$DURATION")"
        local -A SCRAPE=()
        for i in "${insts[@]}"; do
            log "$name $variant: scenario warm-up of $(inst_label "$i") ($SCENARIO_WARMUP)"
            run_h2load "$(target_port "$i")" "$c" "$s" "$SCENARIO_WARMUP" "$WORKDIR/warm-$name-$variant-$i.txt"
            # After the warm-up's connections have ended (a closing connection lingers up to 1 s).
            if [[ ${INST_PEER[$i]} == fastgate ]]; then sleep 1.5; SCRAPE[$i]=$(fastgate_scrape_bytes "${ADMIN_PORT[$i]}"); fi
        done
        for ((r = 1; r <= ROUNDS; r++)); do
            for i in "${insts[@]}"; do
                check_alive "$i"
                out=$WORKDIR/run-$name-$variant-r$r-$i.txt
                logf=$WORKDIR/run-$name-$variant-r$r-$i.log
                local pg=${PGID[$i]:-} alloc0="" alloc1="" t0="" t1="" secs
                secs=$(to_seconds "$DURATION")
                run_sampling_begin "$pg"
                start_h2load "$(target_port "$i")" "$c" "$s" "$DURATION" "$out" "$logf"
                if [[ ${INST_PEER[$i]} == fastgate && $secs -ge 3 && -n "${SCRAPE[$i]:-}" ]]; then
                    sleep 1
                    t0=$(date +%s%6N); alloc0=$(fastgate_allocated_bytes "${ADMIN_PORT[$i]}")
                    sleep $((secs - 2))
                    alloc1=$(fastgate_allocated_bytes "${ADMIN_PORT[$i]}"); t1=$(date +%s%6N)
                fi
                finish_h2load "$(target_port "$i")" "$out"
                run_sampling_end "$pg"
                local fig rps p50 p99 p999 errs req cpu_s alloc
                fig=$(h2load_figures "$out" "$logf")
                IFS=$'\t' read -r rps p50 p99 p999 errs req <<<"$fig"
                # Requests that ended between the two reads (bytes per request while connected).
                local between=0
                [[ -z "$t0" ]] || between=$(h2load_done_between "$logf" "$t0" "$t1")
                # The log is only read for the percentiles; it is as large as the run is long.
                rm -f "$logf"
                cpu_s=$(cpu_per_100k "$RUN_CPU_TICKS" "$req")
                alloc=""
                [[ -z "$alloc0" || -z "$alloc1" ]] || alloc=$(per_unit "$((alloc1 - SCRAPE[$i]))" "$alloc0" "$between")
                printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$variant" "$r" "${INST_PEER[$i]}" \
                    "${INST_WORKERS[$i]}" "$rps" "$p50" "$p99" "$p999" "$cpu_s" "$RUN_RSS_MIB" "$errs" "$alloc" "$req" "$RUN_LOAD_BUSY" >>"$RUNS"
                log "$name $variant round $r/$ROUNDS $(inst_label "$i"): $rps req/s, p50 $p50 ms, p99 $p99 ms, errors $errs"
                if [[ $errs -gt 0 ]]; then
                    log "warning: $(inst_label "$i") had $errs errors in $name $variant: $(grep -E '^(requests|status codes):' "$out" | tr '\n' ' ')"
                fi
            done
        done
        for i in "${insts[@]}"; do
            [[ ${INST_PEER[$i]} == fastgate && -n "${SCRAPE[$i]:-}" ]] || continue
            local per_conn
            per_conn=$(fastgate_alloc_per_connection "$i" "$(target_port "$i")" "$c" "$s" "${SCRAPE[$i]}" "$WORKDIR/newconn-$name-$variant-$i.txt")
            [[ -z "$per_conn" ]] || meta "alloc_per_connection_$name" "$per_conn"
            log "$name $variant $(inst_label "$i"): ${per_conn:-?} bytes allocated per new connection (one /metrics read: ${SCRAPE[$i]} bytes)"
        done
        for i in "${insts[@]}"; do
            if [[ " ${PROFILE[*]} " == *" ${INST_PEER[$i]} "* ]]; then profile_run "$name" "$c" "$i"; fi
        done
    done
}
