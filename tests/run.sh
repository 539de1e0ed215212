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
