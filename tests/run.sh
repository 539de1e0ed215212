#!/usr/bin/env bash
# The whole test suite: installs what it needs (Debian packages, as root), then runs
# formatting and lint checks, unit tests and the integration tests that start a real nginx
# in front of the real binary. Used as-is by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=()
[ -x /usr/sbin/nginx ] || packages+=(nginx-light)
# tests/deploy.rs: Apache (proxy_fcgi, fcgid, cgid), spawn-fcgi, systemd-analyze.
[ -x /usr/sbin/apache2 ] || packages+=(apache2)
[ -e /usr/lib/apache2/modules/mod_fcgid.so ] || packages+=(libapache2-mod-fcgid)
command -v spawn-fcgi >/dev/null || packages+=(spawn-fcgi)
command -v systemd-analyze >/dev/null || packages+=(systemd)
# tests/import.rs: a private MariaDB, PHP's password_hash and pdo_sqlite, Debian's sqlite3.
command -v mariadbd >/dev/null || packages+=(mariadb-server)
command -v php >/dev/null || packages+=(php-cli)
php -m 2>/dev/null | grep -qx pdo_sqlite || packages+=(php-sqlite3)
[ -x /usr/bin/sqlite3 ] || packages+=(sqlite3)
# tests/ops.rs: promtool checks /metrics; tests/deb.sh: the Debian package.
command -v promtool >/dev/null || packages+=(prometheus)
command -v lintian >/dev/null || packages+=(lintian)
command -v dpkg-deb >/dev/null || packages+=(dpkg-dev)
command -v fakeroot >/dev/null || packages+=(fakeroot)
command -v curl >/dev/null || packages+=(curl)
command -v strip >/dev/null || packages+=(binutils)
# tests/browser.rs: headless Chromium driven over WebDriver.
[ -x /usr/bin/chromium ] || packages+=(chromium)
command -v chromedriver >/dev/null || packages+=(chromium-driver)
if [ ${#packages[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}"
fi

cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked --all-targets
# The Debian package, built from the test build's binary (a release build would cost
# minutes more); cargo-deb is a crates.io tool, installed once (a few minutes).
command -v cargo-deb >/dev/null || cargo install cargo-deb --locked
BIN=target/debug/accounthub bash tests/deb.sh
