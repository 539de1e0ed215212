#!/usr/bin/env bash
# Maian add-account benchmark (issue 6): one request creating 1,000 accounts, first with
# given passwords, then with generated ones (mailed through the outbox), behind nginx at
# the default 600,000 PBKDF2 rounds. Each is compared with 1,000 x one hash measured in the
# same run: "hash-bound" = (1,000 x one hash / hashing slots) / wall time.
# Target: >= 90% on 2 cores, i.e. the batch is hashing spread over every core.
# BENCH_ACCOUNTS (default 1000) shortens a trial run.
set -euo pipefail
source "$(dirname "$0")/common.sh"
bench_install
bench_build
bench_workdir
bench_config "" ""
key=$(bench_key FULL)
n=${BENCH_ACCOUNTS:-1000}
slots=$(nproc)
bench_start_responder "$BENCH_DIR/ah.sock"
port=$(bench_port)
bench_start_nginx "$BENCH_DIR/ah.sock" "$port"

# One PBKDF2 derivation (a verify costs the same as a hash), median of 15 on one core.
one=$(python3 -c "print(round($("$BENCH_RELEASE/examples/hash_cost" 600000) / 1000, 5))")
echo "one PBKDF2 hash (600000 rounds): ${one} s; $n x one hash: $(python3 -c "print(f'{$one*$n:.1f}')") s; hashing slots: $slots"

# Writes the wrapper for $n accounts; $1 = email tag, $2 = given|generated.
batch() {
    python3 - "$key" "$n" "$1" "$2" <<'PY'
import json, sys
key, n, tag, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
accounts = [{"name": f"Bench {i}", "email": f"{tag}{i}@example.com",
             "password": f"given-pw-{i}" if kind == "given" else ""} for i in range(n)]
print(json.dumps({"api": key, "op": "account", "accounts": {"account": accounts}}))
PY
}

# CPU seconds (user + system) the responder has used so far.
cpu_secs() {
    python3 -c "import os,sys; f=open(f'/proc/{sys.argv[1]}/stat').read().rsplit(')',1)[1].split(); print((int(f[11])+int(f[12]))/os.sysconf('SC_CLK_TCK'))" "$BENCH_RESPONDER_PID"
}

printf "%-10s %8s %8s %11s %12s %11s\n" "passwords" "wall s" "ideal s" "hash-bound" "responder CPU" "cores busy"
for kind in given generated; do
    batch "$kind" "$kind" > "$BENCH_DIR/body.json"
    cpu0=$(cpu_secs)
    start=$(date +%s.%N)
    reply=$(curl -s --max-time 3600 -H 'Content-Type: application/json' \
        --data-binary @"$BENCH_DIR/body.json" "http://127.0.0.1:$port/accounthub/index.php?api")
    end=$(date +%s.%N)
    cpu1=$(cpu_secs)
    echo "$reply" | grep -q "\"$n accounts added\"" || { echo "unexpected reply: ${reply:0:300}" >&2; exit 1; }
    python3 - "$kind" "$start" "$end" "$one" "$n" "$slots" "$cpu0" "$cpu1" <<'PY'
import sys
kind = sys.argv[1]
start, end, one, n, slots, cpu0, cpu1 = map(float, sys.argv[2:])
wall, ideal, cpu = end - start, one * n / slots, cpu1 - cpu0
print(f"{kind:<10} {wall:8.1f} {ideal:8.1f} {ideal / wall * 100:10.1f}% {cpu:12.1f}s {cpu / wall:11.2f}   (target >= 90%)")
PY
done
echo "cores busy = responder CPU / wall; below $slots means other processes took CPU time."
echo "welcome mails queued: $(sqlite3 "$BENCH_DIR/accounthub.sqlite" 'SELECT count(*) FROM mail_outbox' 2>/dev/null || echo '?')"
