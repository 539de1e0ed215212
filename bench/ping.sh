#!/usr/bin/env bash
# Foundation benchmark (issues 2, 15): accounthub `ping` behind nginx vs no-op FastCGI
# responders, with and without fastcgi_keep_conn, in one run. The baseline is a no-op
# responder on OUR record layer (bench/noop_responder.rs `ours`: the same decoder, slots
# and one-write answers as `accounthub serve`), so "ping/baseline" is what the pipeline
# costs. A second no-op on tokio-fastcgi (the crate the layer replaced) shows how the
# layers compare. Rounds alternate the three backends; figures are medians.
# Prints req/s, p50/p99, the ratios, and the responder's RSS after 100k requests.
# Targets: ping >= 85% of the baseline in both modes; our no-op >= the crate's; RSS <= 30 MB.
set -euo pipefail
source "$(dirname "$0")/common.sh"
ROUNDS=${ROUNDS:-3}
bench_install
bench_build
bench_workdir
bench_config
key=$(bench_key NONE)
bench_start_responder "$BENCH_DIR/ah.sock"
bench_start_noop "$BENCH_DIR/noop.sock" ours
bench_start_noop "$BENCH_DIR/crate.sock" tokio-fastcgi
backends=(noop crate ah)
declare -A port name
name[noop]="no-op, our layer (baseline)"
name[crate]="no-op, tokio-fastcgi"
name[ah]="accounthub ping"
for mode in on off; do
    for b in "${backends[@]}"; do
        port[$b-$mode]=$(bench_port); bench_start_nginx "$BENCH_DIR/$b.sock" "${port[$b-$mode]}" "$mode"
    done
done
path="/accounthub/api/ping/$key/"
for b in "${backends[@]}"; do
    curl -sf "http://127.0.0.1:${port[$b-on]}$path" | grep -q '"status":"OK"' || { echo "$b failed" >&2; exit 1; }
done

printf "%-40s %10s %9s %9s %7s\n" "backend (median of $ROUNDS rounds)" "req/s" "p50 ms" "p99 ms" "non2xx"
for mode in on off; do
    declare -A rps=() p50=() p99=() bad=()
    for _ in $(seq "$ROUNDS"); do
        for b in "${backends[@]}"; do
            read -r r a c d < <(bench_wrk "http://127.0.0.1:${port[$b-$mode]}$path")
            rps[$b]+="$r "; p50[$b]+="$a "; p99[$b]+="$c "; bad[$b]=$(( ${bad[$b]:-0} + d ))
        done
    done
    declare -A med=()
    for b in "${backends[@]}"; do
        med[$b]=$(bench_median "${rps[$b]}")
        printf "%-40s %10.0f %9s %9s %7s\n" "${name[$b]}, keep_conn $mode" "${med[$b]}" \
            "$(bench_median "${p50[$b]}")" "$(bench_median "${p99[$b]}")" "${bad[$b]}"
    done
    python3 -c "print(f'ratio ping/baseline (keep_conn $mode): {${med[ah]}/${med[noop]}*100:.1f}%  (target >= 85%)')"
    python3 -c "print(f'ratio our no-op/tokio-fastcgi no-op (keep_conn $mode): {${med[noop]}/${med[crate]}*100:.1f}%  (target >= 100%)')"
    python3 -c "print(f'ratio ping/tokio-fastcgi no-op (keep_conn $mode): {${med[ah]}/${med[crate]}*100:.1f}%')"
done

# RSS after at least 100k requests in total.
BENCH_SECS=5
total=0
while [ "$total" -lt 100000 ]; do
    read -r r _ _ _ < <(bench_wrk "http://127.0.0.1:${port[ah-on]}$path")
    total=$((total + ${r%.*} * BENCH_SECS))
done
echo "responder RSS after >100k more requests: $(bench_rss_mb "$BENCH_RESPONDER_PID") MB (target <= 30 MB)"
