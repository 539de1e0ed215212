#!/usr/bin/env bash
# The Debian package (issue 14), end to end on this machine (as root): build it from the
# binary of BIN (default: the test build), lintian without errors, dpkg -i, the installed
# files and units (systemd-analyze verify), the installed binary answering ping through the
# installed nginx example, data kept on remove, everything gone on purge.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "tests/deb.sh: needs root (dpkg -i); skipped"; exit 0; }

BIN=${BIN:-target/debug/accounthub} bash deploy/debian/build.sh -q
deb=target/debian/accounthub_$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)_amd64.deb
[ -f "$deb" ] || { echo "FAIL: $deb not built" >&2; exit 1; }
lintian --fail-on error "$deb"

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
    dpkg --purge accounthub >/dev/null 2>&1 || true
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

dpkg -i "$deb"
getent passwd accounthub >/dev/null || fail "no accounthub user"
[ "$(stat -c %U:%a /var/lib/accounthub)" = "accounthub:750" ] || fail "/var/lib/accounthub"
[ "$(stat -c %U:%a /var/backups/accounthub)" = "accounthub:750" ] || fail "/var/backups/accounthub"
[ "$(stat -c %U:%G:%a /etc/accounthub/accounthub.toml)" = "root:accounthub:640" ] || fail "config mode"
grep -qx /etc/accounthub/accounthub.toml /var/lib/dpkg/info/accounthub.conffiles || fail "conffile"
for f in /usr/share/man/man1/accounthub.1.gz /usr/share/man/man1/accounthub-backup.1.gz \
    /usr/share/bash-completion/completions/accounthub /usr/share/zsh/vendor-completions/_accounthub \
    /usr/share/fish/vendor_completions.d/accounthub.fish /usr/share/doc/accounthub/examples/nginx.conf; do
    [ -s "$f" ] || fail "$f missing"
done
zcat /usr/share/man/man1/accounthub.1.gz | grep -q "backup" || fail "man page lists no backup"
systemd-analyze verify --man=no /usr/lib/systemd/system/accounthub.socket \
    /usr/lib/systemd/system/accounthub.service

# The installed binary, as the service user, behind nginx configured from the installed
# example (socket and port substituted).
chmod 755 "$work"
install -d -o accounthub -g accounthub "$work/run"
sock=$work/run/accounthub.sock
key=$(runuser -u accounthub -- /usr/bin/accounthub --config /etc/accounthub/accounthub.toml key add --type NONE)
runuser -u accounthub -- /usr/bin/accounthub --config /etc/accounthub/accounthub.toml check --user accounthub \
    | grep -q "no problems" || fail "check of the installed config"
runuser -u accounthub -- /usr/bin/accounthub --config /etc/accounthub/accounthub.toml \
    serve --listen "unix:$sock" --socket-mode 0666 2>"$work/responder.log" &
pids+=($!)
for _ in $(seq 200); do [ -S "$sock" ] && break; sleep 0.05; done
# The private nginx of the benchmarks, started from the installed example.
source bench/common.sh
BENCH_DIR=$work
port=$(bench_port)
bench_start_nginx "$sock" "$port" on /usr/share/doc/accounthub/examples/nginx.conf
pids+=("${BENCH_PIDS[@]}")
answer=$(curl -sf "http://127.0.0.1:$port/accounthub/api/ping/$key/") || fail "ping: $(cat "$work/responder.log")"
[ "$answer" = '{"status":"OK"}' ] || fail "ping answered $answer"
curl -sf "http://127.0.0.1:$port/accounthub/health" | grep -q '"database":"ok"' || fail "health"
for pid in "${pids[@]}"; do kill "$pid"; done
wait 2>/dev/null || true
pids=()

dpkg -r accounthub
[ -f /var/lib/accounthub/accounthub.sqlite ] || fail "database removed by dpkg -r"
[ -f /etc/accounthub/accounthub.toml ] || fail "conffile removed by dpkg -r"
[ ! -e /usr/bin/accounthub ] || fail "binary left after dpkg -r"
dpkg --purge accounthub
for f in /var/lib/accounthub /etc/accounthub /usr/lib/systemd/system/accounthub.service \
    /usr/share/doc/accounthub; do
    [ ! -e "$f" ] || fail "$f left after purge"
done
! dpkg -s accounthub >/dev/null 2>&1 || fail "still known to dpkg"
[ -d /var/backups/accounthub ] || fail "backups removed by purge"
rm -rf /var/backups/accounthub
echo "tests/deb.sh: ok"
