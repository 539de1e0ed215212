#!/usr/bin/env bash
# Instructions per request (valgrind callgrind), the figure that a busy machine does not
# move: the no-op FastCGI responder, accounthub `ping`, and `auth` with PBKDF2 at 1,000
# rounds, each behind nginx (fastcgi_keep_conn on), counted in the responder only, after a
# warm-up, over N requests sent on one keep-alive connection. The `auth` line also shows
# its cheap part: the auth figure minus one PBKDF2 verify counted on its own.
# Set CARGO_TARGET_DIR and CARGO_PROFILE_RELEASE_DEBUG=line-tables-only for ANNOTATE.
#   N=2000 bash bench/instructions.sh      (ANNOTATE=1 also prints the top functions of ping)
set -euo pipefail
source "$(dirname "$0")/common.sh"
N=${N:-2000}
bench_install
command -v valgrind >/dev/null || {
    sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends valgrind
}
bench_build
bench_workdir
bench_auth_fixture
none_key=$(bench_key NONE)
auth_key=$(bench_key AUTH)

# Starts command "$2..." under callgrind on socket $1; sets CG_PID and CG_OUT.
cg_start() {
    local sock=$1; shift
    CG_OUT="$BENCH_DIR/callgrind.$(basename "$sock").out"
    valgrind --tool=callgrind --callgrind-out-file="$CG_OUT" "$@" 2>>"$BENCH_DIR/valgrind.log" &
    CG_PID=$!
    BENCH_PIDS+=("$CG_PID")
    for _ in $(seq 600); do [ -S "$sock" ] && return 0; sleep 0.1; done
    echo "socket $sock did not appear under valgrind" >&2; return 1
}

# Sends $2 requests to URL $1 on one connection (curl reuses it); POST body $3 if given.
send() {
    local url=$1 count=$2 body=${3:-} cfg="$BENCH_DIR/curl.cfg"
    : > "$cfg"
    for i in $(seq "$count"); do
        [ -n "$body" ] && [ "$i" -gt 1 ] && echo "next" >> "$cfg"
        echo "url = \"$url\"" >> "$cfg"
        [ -n "$body" ] && echo "data = \"$body\"" >> "$cfg"
    done
    return 0
    curl -s -K "$cfg" > /dev/null
}

# Instructions per request of the responder on socket $1 (command in "$4...") for URL $2,
# POST body $3 ('' for GET), into MEASURED. (Not printed for a $(...): the processes it
# starts in the background would keep that substitution open.)
measure() {
    local sock=$1 url=$2 body=$3; shift 3
    cg_start "$sock" "$@"
    local port; port=$(bench_port)
    bench_start_nginx "$sock" "$port" on
    send "http://127.0.0.1:$port$url" 200 "$body"
    callgrind_control --zero "$CG_PID" >/dev/null
    send "http://127.0.0.1:$port$url" "$N" "$body"
    callgrind_control --dump "$CG_PID" >/dev/null
    sleep 1
    local ir dump
    dump=$(ls -t "$CG_OUT"* | head -1)
    ir=$(awk '/^(summary|totals):/ {print $2; exit}' "$dump")
    MEASURED=$((ir / N))
    kill "$CG_PID" 2>/dev/null || true
}

ping_url="/accounthub/api/ping/$none_key/"
measure "$BENCH_DIR/noop.sock" "$ping_url" '' "$BENCH_RELEASE/examples/noop_responder" "$BENCH_DIR/noop.sock"
noop=$MEASURED
measure "$BENCH_DIR/ping.sock" "$ping_url" '' "$BENCH_BIN" serve --listen "unix:$BENCH_DIR/ping.sock"
ping=$MEASURED
ping_out=$CG_OUT
# The same ping while another process commits all the time: every request then finds the
# file changed and reads its key from SQLite again (what every request did before the
# per-connection key cache).
python3 - "$BENCH_DIR/accounthub.sqlite" <<'PY' &
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA synchronous = OFF")
conn.execute("CREATE TABLE IF NOT EXISTS bench_tick (n INTEGER)")
while True:
    conn.execute("INSERT INTO bench_tick VALUES (1)")
PY
writer=$!
BENCH_PIDS+=("$writer")
measure "$BENCH_DIR/miss.sock" "$ping_url" '' "$BENCH_BIN" serve --listen "unix:$BENCH_DIR/miss.sock"
ping_miss=$MEASURED
miss_out=$CG_OUT
kill "$writer"
measure "$BENCH_DIR/auth.sock" "/accounthub/api/" \
    "action=auth&key=$auth_key&username=bench&password=benchpass" \
    "$BENCH_BIN" serve --listen "unix:$BENCH_DIR/auth.sock"
auth=$MEASURED
# One verify at 1,000 rounds on its own (hash_cost counts nothing but the hash).
valgrind --tool=callgrind --callgrind-out-file="$BENCH_DIR/hash.out" \
    "$BENCH_RELEASE/examples/hash_cost" 1000 2>/dev/null >/dev/null
hash_total=$(awk '/^(summary|totals):/ {print $2; exit}' "$BENCH_DIR/hash.out")
valgrind --tool=callgrind --callgrind-out-file="$BENCH_DIR/hash0.out" \
    "$BENCH_RELEASE/examples/hash_cost" 1 2>/dev/null >/dev/null
hash_base=$(awk '/^(summary|totals):/ {print $2; exit}' "$BENCH_DIR/hash0.out")

printf "%-44s %12s\n" "responder, per request ($N requests)" "instructions"
printf "%-44s %12s\n" "no-op FastCGI responder" "$noop"
printf "%-44s %12s\n" "accounthub ping" "$ping"
printf "%-44s %12s\n" "accounthub ping, file changing all the time" "$ping_miss"
printf "%-44s %12s\n" "accounthub auth (PBKDF2 1,000 rounds)" "$auth"
python3 - "$noop" "$ping" "$auth" "$hash_total" "$hash_base" <<'PY'
import sys
noop, ping, auth, hash_total, hash_base = map(int, sys.argv[1:])
# hash_cost runs 1 hash + 15 verifies: the difference between 1,000 rounds and 1 round,
# over those 16, is one verify at 1,000 rounds (to within one round).
verify = (hash_total - hash_base) // 16
print(f"ping over the no-op responder: +{ping - noop} instructions ({ping / noop:.2f}x)")
print(f"one PBKDF2 verify at 1,000 rounds: {verify} instructions")
print(f"auth without its verify (the cheap part): {auth - verify} instructions"
      f" ({(auth - verify) / ping:.2f}x ping)")
PY
if [ -n "${ANNOTATE:-}" ]; then
    for out in "$ping_out" "$miss_out"; do
        callgrind_annotate --inclusive=yes "$(ls -t "$out"* | head -1)" 2>/dev/null | head -70
    done
fi
