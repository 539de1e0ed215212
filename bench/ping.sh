#!/usr/bin/env bash
# Foundation benchmark (issues 2, 15): accounthub `ping` behind nginx vs no-op FastCGI
# responders, with and without fastcgi_keep_conn, in one run. The baseline is a no-op
# responder on OUR record layer (bench/noop_responder.rs `ours`: the same decoder, slots
# and one-write answers as `accounthub serve`), so "ping/baseline" is what the pipeline
# costs. A second no-op on tokio-fastcgi (the crate the layer replaced) shows how the
# layers compare. Rounds alternate the three backends; figures are medians.
# Prints req/s, p50/p99, the ratios, and the responder's RSS after 100k requests.
# Then `auth` with PBKDF2 at 1,000 rounds alternated with `ping`: its cheap part (key
# lookup, hop to the hashing pool, audit write) is its throughput with the verify time
# (measured in the same run) taken out. The responder's own CPU per request, split into
# its hashing threads and the rest, shows the same from inside the process.
# Then ping with metrics on (the default) vs a second responder with metrics.enabled =
# false, alternated rounds, median req/s. Target: metrics on within 3% of off.
# Targets: ping >= 90% of the baseline in both modes; our no-op >= the crate's; auth's
# cheap part >= 60% of ping; RSS <= 30 MB.
set -euo pipefail
source "$(dirname "$0")/common.sh"
ROUNDS=${ROUNDS:-3}
CORES=$(nproc)
bench_install
bench_build
bench_workdir
bench_auth_fixture
key=$(bench_key NONE)
auth_key=$(bench_key AUTH)
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
    python3 -c "print(f'ratio ping/baseline (keep_conn $mode): {${med[ah]}/${med[noop]}*100:.1f}%  (target >= 90%)')"
    python3 -c "print(f'ratio our no-op/tokio-fastcgi no-op (keep_conn $mode): {${med[noop]}/${med[crate]}*100:.1f}%  (target >= 100%)')"
    python3 -c "print(f'ratio ping/tokio-fastcgi no-op (keep_conn $mode): {${med[ah]}/${med[crate]}*100:.1f}%')"
done

auth_url="http://127.0.0.1:${port[ah-on]}/accounthub/api/"
auth_body="action=auth&key=$auth_key&username=bench&password=benchpass"
bench_post_script "$BENCH_DIR/auth.lua" "$auth_body"
curl -sf -d "$auth_body" "$auth_url" | grep -q '"status":"OK"' || { echo "auth failed" >&2; exit 1; }
# Each round also reads the responder's CPU time around the wrk run: per request, what
# `ping` costs in the responder, and what `auth` costs outside and on the hashing threads.
HZ=$(getconf CLK_TCK)
pings=""; auths=""; ping_cpu=""; auth_cpu=""; auth_hash_cpu=""
# Runs wrk with "$@"; sets r to its req/s, cpu_hash and cpu_other to µs per request.
wrk_with_cpu() {
    local h0 o0 h1 o1
    read -r h0 o0 < <(bench_cpu_ticks "$BENCH_RESPONDER_PID")
    read -r r _ _ _ < <(bench_wrk "$@")
    read -r h1 o1 < <(bench_cpu_ticks "$BENCH_RESPONDER_PID")
    read -r cpu_hash cpu_other < <(python3 -c "n = $r * ${BENCH_SECS:-10}
print(($h1 - $h0) / $HZ / n * 1e6, ($o1 - $o0) / $HZ / n * 1e6)")
}
for _ in $(seq "$ROUNDS"); do
    wrk_with_cpu "http://127.0.0.1:${port[ah-on]}$path"; pings+="$r "; ping_cpu+="$cpu_other "
    wrk_with_cpu "$auth_url" "$BENCH_DIR/auth.lua"; auths+="$r "
    auth_cpu+="$cpu_other "; auth_hash_cpu+="$cpu_hash "
done
hash_ms=$("$BENCH_RELEASE/examples/hash_cost" 1000)
printf "responder CPU per request (medians): ping %.1f us; auth %.1f us outside the hashing threads, %.1f us on them\n" \
    "$(bench_median "$ping_cpu")" "$(bench_median "$auth_cpu")" "$(bench_median "$auth_hash_cpu")"
python3 - "$(bench_median "$auths")" "$(bench_median "$pings")" "$hash_ms" "$CORES" <<'PY'
import sys
auth, ping, hash_ms, cores = map(float, sys.argv[1:])
# With every core busy, one auth costs cores/auth seconds of CPU; one verify of it is
# hash_ms (measured on one core just now). What is left is the cheap part.
cheap_s = cores / auth - hash_ms / 1000
print(f"auth (1,000 rounds): median {auth:.0f}/s, ping {ping:.0f}/s; one verify {hash_ms} ms")
if cheap_s > 0:
    cheap = cores / cheap_s
    print(f"auth without its verify: {cheap:.0f}/s -> {cheap / ping * 100:.1f}% of ping  (target >= 60%)")
else:
    print("auth without its verify: not measurable (hashing took all the time)")
PY
# Metrics on vs off (keep_conn on), alternated rounds; started after the RSS-free rounds
# above so they do not share the CPU with an idle second responder's nginx.
sed 's/^\[server\]/[metrics]\nenabled = false\n[server]/' "$ACCOUNTHUB_CONFIG" > "$BENCH_DIR/metrics-off.toml"
ACCOUNTHUB_CONFIG="$BENCH_DIR/metrics-off.toml" bench_start_responder "$BENCH_DIR/ah-nometrics.sock"
BENCH_RESPONDER_PID=${BENCH_PIDS[0]}
nometrics_port=$(bench_port); bench_start_nginx "$BENCH_DIR/ah-nometrics.sock" "$nometrics_port" on
on_rps=(); off_rps=()
for _ in $(seq "$ROUNDS"); do
    read -r r _ _ _ < <(bench_wrk "http://127.0.0.1:$nometrics_port$path"); off_rps+=("$r")
    read -r r _ _ _ < <(bench_wrk "http://127.0.0.1:${port[ah-on]}$path"); on_rps+=("$r")
done
on=$(bench_median "${on_rps[*]}"); off=$(bench_median "${off_rps[*]}")
printf "%-34s %10.0f\n" "ping, metrics off (median)" "$off" "ping, metrics on (median)" "$on"
python3 -c "print(f'ratio metrics on/off: {$on/$off*100:.1f}%  (target >= 97%)')"
curl -sf "http://127.0.0.1:${port[ah-on]}/accounthub/metrics" | grep -q 'accounthub_requests_total{action="ping",status="200"}' \
    || { echo "metrics did not count the pings" >&2; exit 1; }

# RSS after at least 100k requests in total.
BENCH_SECS=5
total=0
while [ "$total" -lt 100000 ]; do
    read -r r _ _ _ < <(bench_wrk "http://127.0.0.1:${port[ah-on]}$path")
    total=$((total + ${r%.*} * BENCH_SECS))
done
echo "responder RSS after >100k more requests: $(bench_rss_mb "$BENCH_RESPONDER_PID") MB (target <= 30 MB)"
