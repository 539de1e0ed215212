#!/usr/bin/env bash
# Import benchmark (issue 13): a mysqldump-format file of a PHP AccountHub with ACCOUNTS
# accounts (default 10,000), PINS of them with a PIN (default 1,000) and the related rows
# of a realistic install (groups, grants, managers, notifications, log rows, app
# passwords, sync codes, keys), imported into a fresh database. Compared in the same run
# with PINS PBKDF2 hashes on all cores (bench/hash_cost.rs), alternated, medians over
# ROUNDS rounds (default 3). Targets: everything but PIN hashing under 5 s; PIN hashing at
# >= 90% of the all-core rate. PBKDF2_ROUNDS (default 600000, the shipped setting) can be
# lowered for a quick smoke run.
set -euo pipefail
source "$(dirname "$0")/common.sh"
bench_build
bench_workdir
accounts=${ACCOUNTS:-10000}
pins=${PINS:-1000}
rounds=${PBKDF2_ROUNDS:-600000}
cores=$(nproc)
dump="$BENCH_DIR/original.sql"
python3 - "$accounts" "$pins" "$BENCH_ROOT/tests/fixtures/original_schema.sql" > "$dump" <<'PY'
import random, sys
accounts, pins, schema = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
random.seed(13)
print("/*M!999999\\- enable the sandbox mode */")
print(open(schema).read())
first = ["Maria", "John", "Anna", "Peter", "Lena", "Omar", "Yuki", "Chen", "Ivan", "Sara"]
last = ["Martin", "Smith", "Jansen", "Okafor", "Tanaka", "Garcia", "Novak", "Olsen", "Rossi", "Kim"]
hash_ = "$2y$10$" + "abcdefghijklmnopqrstuv" + "wxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0"
def insert(table, rows, chunk=1000):
    for i in range(0, len(rows), chunk):
        print(f"INSERT INTO `{table}` VALUES " + ",".join(rows[i:i + chunk]) + ";")
with_pin = set(random.sample(range(1, accounts + 1), pins))
rows = []
for uid in range(1, accounts + 1):
    name = f"{random.choice(first)} {random.choice(last)}"
    pin = f"'{random.randrange(10000):04d}'" if uid in with_pin else "NULL"
    secret = "'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'" if uid % 7 == 0 else "NULL"
    rows.append(f"({uid},'user{uid}','{hash_}','{name}','user{uid}@example.org',{secret},{pin},'','',1,1,{int(uid % 50 == 0)})")
insert("accounts", rows)
insert("groups", [f"({g},'Group {g}')" for g in range(1, 21)])
insert("assigned_groups", [f"({uid % 20 + 1},{uid})" for uid in range(1, accounts + 1)])
insert("managers", [f"({uid - uid % 10 or 1},{uid})" for uid in range(2, accounts + 1) if uid % 10])
insert("assigned_permissions", [f"({uid},{p})" for uid in range(1, accounts + 1) for p in (100, 300)])
insert("apikeys", [f"('benchkey{k:024d}','app {k}','FULL')" for k in range(5)])
insert("apppasswords", [f"({i},'{hash_}',{uid},'phone')" for i, uid in enumerate(range(1, accounts + 1, 10), 1)])
insert("mobile_codes", [f"({i},{uid},'{uid:020X}','phone')" for i, uid in enumerate(range(1, accounts + 1, 5), 1)])
insert("notifications", [f"({3 * uid + n},{uid},'2021-0{n + 1}-1{n} 1{n}:30:00','Title {n}','Content','',{n % 2},0,NULL)"
                         for uid in range(1, accounts + 1) for n in range(3)])
insert("authlog", [f"({5 * uid + n},'2021-10-{n + 10} 0{n}:15:00',12,{uid},'192.0.2.{n}','')"
                   for uid in range(1, accounts + 1) for n in range(5)])
PY
echo "dump: $(du -h "$dump" | cut -f1), $accounts accounts, $pins PINs, PBKDF2 $rounds rounds, $cores cores" >&2
bench_config "$BENCH_DIR/target.sqlite" "[passwords]
pbkdf2_rounds = $rounds"
baselines=(); totals=(); hashing=()
for round in $(seq "${ROUNDS:-3}"); do
    # All-core hashing rate (verifies/s; one verify costs one hash), over 10 s.
    rate=$("$BENCH_RELEASE/examples/hash_cost" "$rounds" "$cores" 10)
    baselines+=("$(python3 -c "print($pins / $rate)")")
    rm -f "$BENCH_DIR"/target.sqlite*
    "$BENCH_BIN" init >/dev/null
    summary=$("$BENCH_BIN" import --dump "$dump" --timezone Europe/Berlin)
    line=$(grep '^imported in ' <<<"$summary") \
        || { echo "$summary" >&2; echo "import failed" >&2; exit 1; }
    read -r total hash < <(sed -E 's/imported in ([0-9.]+) s \(([0-9.]+) s hashing PINs\)/\1 \2/' <<<"$line")
    totals+=("$total"); hashing+=("$hash")
    echo "round $round: $pins hashes on $cores cores ${baselines[-1]} s; import $total s, of which PIN hashing $hash s" >&2
done
base=$(bench_median "${baselines[*]}")
total=$(bench_median "${totals[*]}")
hash=$(bench_median "${hashing[*]}")
python3 - "$base" "$total" "$hash" "$pins" "$accounts" <<'PY'
import sys
base, total, hash_, pins, accounts = map(float, sys.argv[1:])
rest = total - hash_
print(f"{'figure':<44} {'value':>10}")
print(f"{f'import of {accounts:.0f} accounts, total (s)':<44} {total:>10.2f}")
print(f"{'  everything but PIN hashing (s, target < 5)':<44} {rest:>10.2f}")
print(f"{f'  PIN hashing, {pins:.0f} PINs (s)':<44} {hash_:>10.2f}")
print(f"{f'{pins:.0f} hashes on all cores, baseline (s)':<44} {base:>10.2f}")
print(f"{'PIN hashing vs all cores (target >= 90%)':<44} {base / hash_ * 100:>9.0f}%")
PY
