# h2flood (tools/H2Flood): the attacks of bench/scenarios/h2-flood.sh, measured with a
# well-behaved h2load client beside them (bench/lib/h2load.sh). Sourced by bench/run.sh, not
# executed. Uses run.sh's SC_*, LOAD_CPU, WORKDIR, DURATION, PGID, ADMIN_PORT, INST_PEER, REPORT.

# The attack comes from its own loopback address, the good client (h2load) from 127.0.0.1: a
# proxy that judges clients by address (FastGate's strikes per address, [http2]
# max_defense_strikes_per_address) must tell them apart, as it would two hosts.
H2FLOOD_FROM=${H2FLOOD_FROM:-127.0.0.2}

# Sets H2FLOOD_BIN: the given binary, or a publish of tools/H2Flood to artifacts/h2flood.
# usage: h2flood_prepare LOGDIR
h2flood_prepare() {
    if [[ -z "${H2FLOOD_BIN:-}" ]]; then
        H2FLOOD_BIN=$ROOT/artifacts/h2flood/h2flood
        log "publishing the HTTP/2 flood client to artifacts/h2flood"
        (cd "$ROOT" && dotnet publish tools/H2Flood -c Release -o artifacts/h2flood) \
            >"$1/h2flood-publish.log" 2>&1 \
            || { tail -n 30 "$1/h2flood-publish.log" >&2; die "dotnet publish tools/H2Flood failed"; }
    fi
    [[ -x "$H2FLOOD_BIN" ]] || die "HTTP/2 flood client $H2FLOOD_BIN is missing"
}

# FastGate's defense counters of listener LISTENER, one "kind value" line each (nothing for
# another proxy, or before the counters exist).
# usage: h2flood_defense_counters ADMIN_PORT LISTENER
h2flood_defense_counters() {
    [[ -n "$1" ]] || return 0
    curl -s --max-time 2 "http://127.0.0.1:$1/metrics" 2>/dev/null \
        | awk -v l="listener=\"$2\"" '
            /^fastgate_http2_defense_total\{/ && index($0, l) {
                if (match($0, /kind="[^"]*"/)) print substr($0, RSTART + 6, RLENGTH - 7), $NF
            }' || true
}

# The counters that moved between two snapshots: "kind=+n, ..." ("none" when none did).
# usage: h2flood_defense_delta BEFORE_FILE AFTER_FILE
h2flood_defense_delta() {
    awk 'NR == FNR { before[$1] = $2; next }
         { d = $2 - before[$1]; if (d > 0) out = out (out ? ", " : "") $1 "=+" d }
         END { print out ? out : "none" }' "$1" "$2"
}

# A short text of what the flood client saw: GOAWAY codes, resets, closes, frames sent.
# usage: h2flood_summary JSON_FILE
h2flood_summary() {
    python3 - "$1" <<'EOF'
import json, sys
d = None
for line in open(sys.argv[1]):
    if line.startswith("{"):
        d = json.loads(line)
if d is None:
    print("no figures"); sys.exit()
def m(x):
    return ", ".join(f"{k} x{v}" for k, v in x.items()) or "none"
first = "" if d["first_goaway_s"] is None else f", first after {d['first_goaway_s'] * 1000:.0f} ms"
print(f"{d['frames_sent']} frames sent on {d['connections_opened']} connections; GOAWAY {m(d['goaway'])}{first}; "
      f"RST_STREAM {m(d['rst_stream'])}; {d['closed_by_server']} closed by the server; responses {m(d['status'])}")
EOF
}

# Per instance: the well-behaved client alone (the baseline), then each attack of
# SC_FLOOD_ATTACKS with the same client beside it, then the client alone again. The flood
# starts half a second before the client and ends after it; the proxy's CPU and peak RSS are
# taken over the whole flood. The better of the two baselines is the reference: a JIT-compiled
# proxy may still be warming up at the first, and one left worse off by an attack shows at
# the second. One pass (no rounds): a row per run in WORKDIR/h2flood.tsv, printed at the end
# and, with a report, written to bench/results/STAMP-h2-flood.md (and .tsv).
# usage: measure_h2flood SCENARIO INSTANCE...
measure_h2flood() {
    local name=$1 i a c=${SC_CONNECTIONS[0]} s=$SC_H2_STREAMS
    shift
    local tsv=$WORKDIR/h2flood.tsv secs
    secs=$(to_seconds "$DURATION")
    printf 'peer\tattack\tgood_rps\tgood_p99_ms\tgood_errors\tpeak_rss_mib\tcpu_s\tdefense\tflood\tlog_lines\n' >"$tsv"
    meta "command_${name}_client" "$(h2load_command_text "$c" "$s" "$DURATION")"
    meta "command_${name}_flood" "taskset -c $LOAD_CPU h2flood ATTACK --target 127.0.0.1:PORT --from $H2FLOOD_FROM --duration $((secs + 1))s ${SC_FLOOD_ARGS[*]}"
    for i in "$@"; do
        local pg=${PGID[$i]:-} admin=${ADMIN_PORT[$i]:-} port base out logf fig rps p50 p99 p999 errs req
        port=$(target_port "$i")
        log "$name: warm-up of $(inst_label "$i") ($SCENARIO_WARMUP)"
        run_h2load "$port" "$c" "$s" "$SCENARIO_WARMUP" "$WORKDIR/warm-$name-$i.txt"

        h2flood_baseline "$name" "$i" "$port" none "$tsv"
        base=$H2FLOOD_RPS
        for a in "${SC_FLOOD_ATTACKS[@]}"; do
            check_alive "$i"
            local fpid fout=$WORKDIR/flood-$a-$i.json d0=$WORKDIR/defense0-$a-$i d1=$WORKDIR/defense1-$a-$i
            out=$WORKDIR/run-$name-$a-$i.txt logf=$WORKDIR/run-$name-$a-$i.log
            h2flood_defense_counters "$admin" h2c >"$d0"
            # What the proxy wrote to its log meanwhile (FastGate logs at warn: errors only).
            local lines0 lines1
            lines0=$(h2flood_log_lines "$i")
            run_sampling_begin "$pg"
            spawn fpid "$LOAD_CPU" "$fout" "$H2FLOOD_BIN" "$a" --target "127.0.0.1:$port" --from "$H2FLOOD_FROM" \
                --duration "$((secs + 1))s" "${SC_FLOOD_ARGS[@]}"
            sleep 0.5
            run_h2load "$port" "$c" "$s" "$DURATION" "$out" "$logf"
            wait "$fpid" || true
            stop_group "$fpid"
            run_sampling_end "$pg"
            check_alive "$i"
            h2flood_defense_counters "$admin" h2c >"$d1"
            lines1=$(h2flood_log_lines "$i")
            fig=$(h2load_figures "$out" "$logf")
            rm -f "$logf"
            IFS=$'\t' read -r rps p50 p99 p999 errs req <<<"$fig"
            local vs defense="" flood
            vs=$(awk -v a="$rps" -v b="$base" 'BEGIN { if (b > 0) printf "%.2f", a / b }')
            [[ -z "$admin" ]] || defense=$(h2flood_defense_delta "$d0" "$d1")
            flood=$(h2flood_summary "$fout")
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${INST_PEER[$i]}" "$a" "$rps" "$p99" "$errs" \
                "$RUN_RSS_MIB" "$(h2flood_cpu_s "$RUN_CPU_TICKS")" "$defense" "$flood" "$((lines1 - lines0))" >>"$tsv"
            if [[ $((lines1 - lines0)) -gt 0 ]]; then
                log "$(inst_label "$i") logged $((lines1 - lines0)) lines during $a, e.g.: $(sed -n "$((lines0 + 1))p" "${PLOG[$i]}" | cut -c1-200)"
            fi
            log "$name $(inst_label "$i"), $a: good client $rps req/s ($vs of the first baseline), p99 $p99 ms, errors $errs;" \
                "RSS $RUN_RSS_MIB MiB, CPU $(h2flood_cpu_s "$RUN_CPU_TICKS") s${defense:+; defense $defense}; flood: $flood"
        done
        check_alive "$i"
        h2flood_baseline "$name" "$i" "$port" "none (after)" "$tsv"
    done
    h2flood_table "$name" "$tsv" >"$WORKDIR/h2flood.md"
    cat "$WORKDIR/h2flood.md" >&2
    local md
    md=$(bench_report_path "h2-flood")
    if [[ -n "$md" ]]; then
        cp "$WORKDIR/h2flood.md" "$md"
        cp "$tsv" "${md%.md}.tsv"
        log "flood figures: ${md#"$ROOT"/}"
    fi
}

# The good client alone for one run: a row ATTACK (none, none (after)) in TSV; sets H2FLOOD_RPS.
# usage: h2flood_baseline SCENARIO INSTANCE PORT ATTACK TSV
h2flood_baseline() {
    local name=$1 i=$2 port=$3 a=$4 tsv=$5 pg=${PGID[$2]:-} out logf fig rps p50 p99 p999 errs req
    out=$WORKDIR/run-$name-${a// /-}-$i.txt logf=$WORKDIR/run-$name-${a// /-}-$i.log
    run_sampling_begin "$pg"
    run_h2load "$port" "${SC_CONNECTIONS[0]}" "$SC_H2_STREAMS" "$DURATION" "$out" "$logf"
    run_sampling_end "$pg"
    fig=$(h2load_figures "$out" "$logf")
    rm -f "$logf"
    IFS=$'\t' read -r rps p50 p99 p999 errs req <<<"$fig"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${INST_PEER[$i]}" "$a" "$rps" "$p99" "$errs" \
        "$RUN_RSS_MIB" "$(h2flood_cpu_s "$RUN_CPU_TICKS")" "" "" "" >>"$tsv"
    log "$name $(inst_label "$i"), no attack ($a): $rps req/s, p99 $p99 ms, errors $errs"
    H2FLOOD_RPS=$rps
}

# Lines in instance I's log so far (0 without one).
h2flood_log_lines() {
    local f=${PLOG[$1]:-}
    if [[ -n "$f" && -f "$f" ]]; then wc -l <"$f"; else echo 0; fi
}

# Clock ticks -> CPU seconds with two decimals (empty when unknown).
h2flood_cpu_s() {
    [[ -n "$1" ]] || return 0
    awk -v t="$1" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }'
}

# usage: h2flood_table SCENARIO TSV   -> markdown
h2flood_table() {
    local name=$1 tsv=$2 p
    echo "# HTTP/2 floods — $(meta_get date)$([[ $QUICK -eq 1 ]] && echo " (quick run)" || true)"
    echo
    echo "$(meta_get desc_"$name")"
    echo
    echo "- Machine: $(meta_get nproc) CPUs, $(meta_get cpu), $(meta_get kernel); load average at start $(meta_get load)."
    echo "- Pinning: $(meta_get pinning); the flood client runs on the load core too."
    echo "- h2load $(h2load_version); tools/H2Flood ($(dotnet --version 2>/dev/null || echo '?')); origin $(meta_get origin)."
    for p in "${PEERS[@]}"; do
        [[ " $SC_PEERS " == *" $p "* ]] || continue
        echo "- $(meta_get "label_$p") $(meta_get "version_$p"): $(meta_get "settings_$p")"
    done
    echo
    echo "Good client: \`$(meta_get "command_${name}_client")\`; flood: \`$(meta_get "command_${name}_flood")\`" \
        "(ATTACK each row, started 0.5 s before the client). RSS peak and CPU seconds of the proxy over the whole flood;" \
        "*vs no attack* = against the better of the two runs without attack (before and after the floods);" \
        "*defense* = FastGate's \`fastgate_http2_defense_total{listener=\"h2c\"}\` counters that moved;" \
        "*log lines* = lines the proxy added to its log during the flood (FastGate logs warnings and errors only;" \
        "nginx its error log at warn; HAProxy nothing)."
    echo
    awk -F'\t' -v meta="$META" '
        BEGIN { while ((getline line < meta) > 0) { split(line, kv, "\t"); if (kv[1] ~ /^label_/) lab[substr(kv[1], 7)] = kv[2] } }
        NR == FNR { if (FNR > 1 && $2 ~ /^none/ && $3 > base[$1]) base[$1] = $3; next }
        FNR == 1 { print "| Proxy | attack | good req/s | vs no attack | good p99 ms | good errors | peak RSS MiB | CPU s | defense | log lines | what the flood client saw |"
                   print "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---|"; next }
        { vs = base[$1] > 0 ? sprintf("%.2f", $3 / base[$1]) : ""
          printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", ($1 in lab ? lab[$1] : $1), $2, $3, vs, $4, $5, $6, $7, ($8 == "" ? "–" : $8), ($10 == "" ? "–" : $10), ($9 == "" ? "–" : $9) }' "$tsv" "$tsv"
    echo
}
