#!/usr/bin/env bash
# Foundation benchmark (issue 2): accounthub `ping` behind nginx vs a no-op FastCGI
# responder built on the same crate, with and without fastcgi_keep_conn, in one run.
# Prints req/s, p50/p99 and the ratio to the baseline, and the responder's RSS after
# 100k requests. Target: ping >= 85% of the baseline in both modes; RSS <= 30 MB.
# Then ping with metrics on (the default) vs a second responder with metrics.enabled =
# false, alternated rounds, median req/s. Target: metrics on within 3% of off.
set -euo pipefail
source "$(dirname "$0")/common.sh"
bench_install
bench_build
bench_workdir
bench_config
key=$(bench_key NONE)
bench_start_responder "$BENCH_DIR/ah.sock"
bench_start_noop "$BENCH_DIR/noop.sock"
sed 's/^\[server\]/[metrics]\nenabled = false\n[server]/' "$ACCOUNTHUB_CONFIG" > "$BENCH_DIR/metrics-off.toml"
ACCOUNTHUB_CONFIG="$BENCH_DIR/metrics-off.toml" bench_start_responder "$BENCH_DIR/ah-nometrics.sock"
declare -A port
for mode in on off; do
    port[ah-$mode]=$(bench_port); bench_start_nginx "$BENCH_DIR/ah.sock" "${port[ah-$mode]}" "$mode"
    port[noop-$mode]=$(bench_port); bench_start_nginx "$BENCH_DIR/noop.sock" "${port[noop-$mode]}" "$mode"
done
port[nometrics]=$(bench_port); bench_start_nginx "$BENCH_DIR/ah-nometrics.sock" "${port[nometrics]}" on
path="/accounthub/api/ping/$key/"
curl -sf "http://127.0.0.1:${port[ah-on]}$path" | grep -q '"status":"OK"' || { echo "ping failed" >&2; exit 1; }

printf "%-28s %10s %9s %9s %7s\n" "backend" "req/s" "p50 ms" "p99 ms" "non2xx"
for mode in on off; do
    read -r n_rps n_p50 n_p99 n_bad < <(bench_wrk "http://127.0.0.1:${port[noop-$mode]}$path")
    read -r a_rps a_p50 a_p99 a_bad < <(bench_wrk "http://127.0.0.1:${port[ah-$mode]}$path")
    printf "%-28s %10s %9s %9s %7s\n" "noop responder, keep_conn $mode" "$n_rps" "$n_p50" "$n_p99" "$n_bad"
    printf "%-28s %10s %9s %9s %7s\n" "accounthub ping, keep_conn $mode" "$a_rps" "$a_p50" "$a_p99" "$a_bad"
    python3 -c "print(f'ratio ping/baseline (keep_conn $mode): {$a_rps/$n_rps*100:.1f}%  (target >= 85%)')"
done

# Metrics on vs off (keep_conn on), alternated rounds.
on_rps=(); off_rps=()
for _ in $(seq "${BENCH_ROUNDS:-3}"); do
    read -r rps _ _ _ < <(bench_wrk "http://127.0.0.1:${port[nometrics]}$path"); off_rps+=("$rps")
    read -r rps _ _ _ < <(bench_wrk "http://127.0.0.1:${port[ah-on]}$path"); on_rps+=("$rps")
done
on=$(bench_median "${on_rps[*]}"); off=$(bench_median "${off_rps[*]}")
printf "%-28s %10.0f\n" "ping, metrics off (median)" "$off" "ping, metrics on (median)" "$on"
python3 -c "print(f'ratio metrics on/off: {$on/$off*100:.1f}%  (target >= 97%)')"
curl -sf "http://127.0.0.1:${port[ah-on]}/accounthub/metrics" | grep -q 'accounthub_requests_total{action="ping",status="200"}' \
    || { echo "metrics did not count the pings" >&2; exit 1; }

# RSS after at least 100k requests in total.
BENCH_SECS=5
total=0
while [ "$total" -lt 100000 ]; do
    read -r rps _ _ _ < <(bench_wrk "http://127.0.0.1:${port[ah-on]}$path")
    total=$((total + rps * BENCH_SECS))
done
echo "responder RSS after >100k more requests: $(bench_rss_mb "$BENCH_RESPONDER_PID") MB (target <= 30 MB)"
