#!/usr/bin/env bash
# Request-path benchmark: accounthub `ping` behind nginx vs a no-op FastCGI responder built
# on the same crate, with and without fastcgi_keep_conn; and `auth` with PBKDF2 at 1,000
# rounds, whose cheap part (key lookup, hop to the hashing pool, audit write) is its
# throughput with the measured hash time taken out. Rounds alternate the backends
# (ROUNDS, default 5); medians of the per-round figures are compared. Targets: ping >= 90%
# of the no-op responder in both modes; auth's cheap part >= 60% of ping. Then the
# responder's RSS after 100k more requests (target <= 30 MB).
set -euo pipefail
source "$(dirname "$0")/common.sh"
ROUNDS=${ROUNDS:-5}
CORES=$(nproc)
bench_install
bench_build
bench_workdir
bench_auth_fixture
key=$(bench_key NONE)
auth_key=$(bench_key AUTH)
bench_start_responder "$BENCH_DIR/ah.sock"
bench_start_noop "$BENCH_DIR/noop.sock"
declare -A port
for mode in on off; do
    port[ah-$mode]=$(bench_port); bench_start_nginx "$BENCH_DIR/ah.sock" "${port[ah-$mode]}" "$mode"
    port[noop-$mode]=$(bench_port); bench_start_nginx "$BENCH_DIR/noop.sock" "${port[noop-$mode]}" "$mode"
done
path="/accounthub/api/ping/$key/"
curl -sf "http://127.0.0.1:${port[ah-on]}$path" | grep -q '"status":"OK"' || { echo "ping failed" >&2; exit 1; }
auth_url="http://127.0.0.1:${port[ah-on]}/accounthub/api/"
auth_body="action=auth&key=$auth_key&username=bench&password=benchpass"
bench_post_script "$BENCH_DIR/auth.lua" "$auth_body"
curl -sf -d "$auth_body" "$auth_url" | grep -q '"status":"OK"' || { echo "auth failed" >&2; exit 1; }

declare -A runs
printf "%-6s %-32s %10s %9s %9s %7s\n" "round" "backend" "req/s" "p50 ms" "p99 ms" "non2xx"
for round in $(seq "$ROUNDS"); do
    for mode in on off; do
        # Alternate which backend goes first, so drift in machine load hits both alike.
        order=(noop ah); [ $((round % 2)) = 0 ] && order=(ah noop)
        for backend in "${order[@]}"; do
            read -r rps p50 p99 bad < <(bench_wrk "http://127.0.0.1:${port[$backend-$mode]}$path")
            label="accounthub ping"; [ "$backend" = noop ] && label="noop responder"
            printf "%-6s %-32s %10s %9s %9s %7s\n" "$round" "$label, keep_conn $mode" "$rps" "$p50" "$p99" "$bad"
            runs[$backend-$mode]+="$rps "
        done
    done
    read -r rps p50 p99 bad < <(bench_wrk "$auth_url" "$BENCH_DIR/auth.lua")
    printf "%-6s %-32s %10s %9s %9s %7s\n" "$round" "accounthub auth (1,000 rounds)" "$rps" "$p50" "$p99" "$bad"
    runs[auth]+="$rps "
done
hash_ms=$("$BENCH_RELEASE/examples/hash_cost" 1000)

echo
for mode in on off; do
    noop=$(bench_median "${runs[noop-$mode]}"); ping=$(bench_median "${runs[ah-$mode]}")
    python3 -c "print(f'keep_conn $mode: median ping {$ping:.0f}/s, no-op {$noop:.0f}/s -> ping/no-op {$ping/$noop*100:.1f}%  (target >= 90%)')"
done
ping=$(bench_median "${runs[ah-on]}"); auth=$(bench_median "${runs[auth]}")
python3 - "$auth" "$ping" "$hash_ms" "$CORES" <<'PY'
import sys
auth, ping, hash_ms, cores = map(float, sys.argv[1:])
# With every core busy, one auth costs cores/auth seconds of CPU; one verify of it is
# hash_ms (measured on one core just now). What is left is the cheap part.
cheap_s = cores / auth - hash_ms / 1000
print(f"auth: median {auth:.0f}/s; one verify at 1,000 rounds: {hash_ms} ms")
if cheap_s > 0:
    cheap = cores / cheap_s
    print(f"auth without its verify: {cheap:.0f}/s -> {cheap / ping * 100:.1f}% of ping  (target >= 60%)")
else:
    print("auth without its verify: not measurable (hashing took all the time)")
PY

# RSS after at least 100k requests in total.
BENCH_SECS=5
total=0
while [ "$total" -lt 100000 ]; do
    read -r rps _ _ _ < <(bench_wrk "http://127.0.0.1:${port[ah-on]}$path")
    total=$((total + rps * BENCH_SECS))
done
echo "responder RSS after >100k more requests: $(bench_rss_mb "$BENCH_RESPONDER_PID") MB (target <= 30 MB)"
