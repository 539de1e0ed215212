#!/usr/bin/env bash
# Directory benchmark (issue 4): on a generated 100k-user database, req/s and p99 behind
# nginx for permission, getgroupsbyuser and usersearch (3- and 6-letter fragments), with
# ping measured in the same run. Target: usersearch p99 <= 5 ms and >= 50% of ping req/s.
# Throughput and p50/p99 come from a saturating run (32 connections, where p99 is mostly
# queueing behind the other connections); "p99@4" from a second run at 4 connections.
set -euo pipefail
source "$(dirname "$0")/common.sh"
bench_install
bench_build
bench_workdir
db="$BENCH_DIR/directory.sqlite"
"$BENCH_ROOT/target/release/examples/gen_directory" "$db" >&2
bench_config "$db" ""
key=$(bench_key READ)
bench_start_responder "$BENCH_DIR/ah.sock"
port=$(bench_port); bench_start_nginx "$BENCH_DIR/ah.sock" "$port" on
base="http://127.0.0.1:$port/accounthub/api/"

declare -A body=(
    [ping]="action=ping"
    [permission]="action=permission&uid=4242&code=QWIKCLOCK"
    [getgroupsbyuser]="action=getgroupsbyuser&uid=4242"
    [usersearch-3]="action=usersearch&search=mar"
    [usersearch-6]="action=usersearch&search=martin"
)
printf "%-18s %10s %9s %9s %9s %7s %8s\n" "action" "req/s" "p50 ms" "p99 ms" "p99@4 ms" "non2xx" "vs ping"
ping_rps=""
for name in ping permission getgroupsbyuser usersearch-3 usersearch-6; do
    curl -sf -d "${body[$name]}&key=$key" "$base" | grep -q '"status":"OK"' \
        || { echo "$name failed" >&2; exit 1; }
    bench_post_script "$BENCH_DIR/$name.lua" "${body[$name]}&key=$key"
    read -r rps p50 p99 bad < <(bench_wrk "$base" "$BENCH_DIR/$name.lua")
    read -r _ _ p99_light bad_light < <(BENCH_CONNS=4 bench_wrk "$base" "$BENCH_DIR/$name.lua")
    ping_rps=${ping_rps:-$rps}
    ratio=$(python3 -c "print(f'{$rps/$ping_rps*100:.0f}%')")
    printf "%-18s %10s %9s %9s %9s %7s %8s\n" "$name" "$rps" "$p50" "$p99" "$p99_light" \
        "$((bad + bad_light))" "$ratio"
done
