#!/usr/bin/env bash
# Builds target/debian/accounthub_<version>_amd64.deb with cargo-deb.
#
# The assets cargo-deb packages are made first in target/deb-assets: the binary (BIN, else
# a release build), man pages and shell completions generated from the clap definitions,
# the systemd units of deploy/ with the packaged binary path, and the config example with
# the packaged database path. Needs cargo-deb (cargo install cargo-deb --locked).
set -euo pipefail
cd "$(dirname "$0")/../.."

bin=${BIN:-}
if [ -z "$bin" ]; then
    cargo build --release --locked
    bin=target/release/accounthub
fi
out=target/deb-assets
rm -rf "$out"
mkdir -p "$out/units"
install -m 0755 "$bin" "$out/accounthub"
strip --strip-unneeded "$out/accounthub"
"$out/accounthub" gen-man "$out/man"
"$out/accounthub" gen-completions "$out/completions"
gzip -9n "$out"/man/*.1
for unit in accounthub.service accounthub.socket; do
    sed 's#/usr/local/bin/accounthub#/usr/bin/accounthub#g' "deploy/$unit" > "$out/units/$unit"
done
sed 's#^database = "./accounthub.sqlite"#database = "/var/lib/accounthub/accounthub.sqlite"#' \
    deploy/accounthub.toml.example > "$out/accounthub.toml"
grep -q '^database = "/var/lib/accounthub/accounthub.sqlite"' "$out/accounthub.toml"
cargo deb --no-build --no-strip --locked "$@"
