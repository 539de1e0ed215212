# Shared helpers for the benchmark scripts (source this file). Each benchmark starts a
# private nginx (config generated from nginx.conf.example) in front of a release build of
# the responder on a unix socket, drives it with wrk on loopback, and prints figures.
# Machines are noisy: compare ratios measured side by side in one run, not absolutes.

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Honours CARGO_TARGET_DIR, so a profiling build (e.g. with line tables) can live elsewhere;
# BENCH_RELEASE=DIR with BENCH_NO_BUILD=1 runs binaries built before (DIR/accounthub,
# DIR/examples/...), e.g. to compare two commits.
BENCH_RELEASE="${BENCH_RELEASE:-${CARGO_TARGET_DIR:-$BENCH_ROOT/target}/release}"
BENCH_BIN="$BENCH_RELEASE/accounthub"
BENCH_PIDS=()

# Installs nginx-light and wrk when missing (Debian, as root or with sudo).
bench_install() {
    local need=()
    [ -x /usr/sbin/nginx ] || need+=(nginx-light)
    command -v wrk >/dev/null || need+=(wrk)
    if [ ${#need[@]} -gt 0 ]; then
        local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
    fi
}

# Release build of the binary and the bench examples.
bench_build() {
    [ -n "${BENCH_NO_BUILD:-}" ] && return 0
    (cd "$BENCH_ROOT" && cargo build --release --locked --bin accounthub --examples) >&2
}

# A fresh work directory removed on exit; every started process is stopped on exit.
bench_workdir() {
    BENCH_DIR=$(mktemp -d /tmp/accounthub-bench.XXXXXX)
    trap 'bench_cleanup' EXIT
}

bench_cleanup() {
    for pid in "${BENCH_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$BENCH_DIR"
}

# Writes $BENCH_DIR/accounthub.toml for database $1 (default: a fresh file), with extra TOML $2.
bench_config() {
    local db=${1:-$BENCH_DIR/accounthub.sqlite}
    cat > "$BENCH_DIR/accounthub.toml" <<TOML
database = "$db"
[server]
log_level = "error"
socket_mode = "0666"
${2:-}
TOML
    export ACCOUNTHUB_CONFIG="$BENCH_DIR/accounthub.toml"
}

# The configuration of the 1,000-round `auth` benches (credential limiter out of the way),
# with user `bench`, password `benchpass`.
bench_auth_fixture() {
    bench_config "" "[passwords]
pbkdf2_rounds = 1000
[rate_limit]
credential_limit = 1000000000"
    echo "benchpass" | "$BENCH_BIN" user add bench --name "Bench User" --password-stdin >/dev/null
}

# Creates a key of type $1 and prints it.
bench_key() {
    "$BENCH_BIN" key add --type "$1" --notes bench
}

# Starts the responder on socket $1; sets BENCH_RESPONDER_PID.
bench_start_responder() {
    local sock=$1
    "$BENCH_BIN" serve --listen "unix:$sock" 2>>"$BENCH_DIR/responder.log" &
    BENCH_RESPONDER_PID=$!
    BENCH_PIDS+=("$BENCH_RESPONDER_PID")
    bench_wait_socket "$sock"
}

# Starts the no-op baseline responder on socket $1, on record layer $2: "ours" (the
# default: accounthub's own FastCGI layer) or "tokio-fastcgi" (the crate it replaced).
bench_start_noop() {
    "$BENCH_RELEASE/examples/noop_responder" "$1" "${2:-ours}" &
    BENCH_PIDS+=($!)
    bench_wait_socket "$1"
}

bench_wait_socket() {
    for _ in $(seq 200); do [ -S "$1" ] && return 0; sleep 0.05; done
    echo "socket $1 did not appear" >&2; return 1
}

# Starts nginx on 127.0.0.1:$2 in front of socket $1; $3 = on|off for fastcgi_keep_conn;
# $4 = the site example to start from (default: the repository's nginx.conf.example).
# Prints nothing; the service prefix is /accounthub/.
bench_start_nginx() {
    local sock=$1 port=$2 keep=${3:-on} name=nginx-$2 example=${4:-$BENCH_ROOT/nginx.conf.example}
    mkdir -p "$BENCH_DIR/$name/tmp"
    local site="$BENCH_DIR/$name/site.conf"
    sed -e "s#unix:/run/accounthub/accounthub.sock#unix:$sock#" \
        -e "s#listen 80;#listen 127.0.0.1:$port;#" "$example" > "$site"
    if [ "$keep" = off ]; then
        sed -i -e '/fastcgi_keep_conn on;/d' -e '/keepalive 8;/d' "$site"
    fi
    local user=""; [ "$(id -u)" = 0 ] && user="user root;"
    cat > "$BENCH_DIR/$name/nginx.conf" <<NGINX
$user
worker_processes 2;
pid $BENCH_DIR/$name/nginx.pid;
error_log $BENCH_DIR/$name/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $BENCH_DIR/$name/tmp/body;
  fastcgi_temp_path $BENCH_DIR/$name/tmp/fastcgi;
  proxy_temp_path $BENCH_DIR/$name/tmp/proxy;
  uwsgi_temp_path $BENCH_DIR/$name/tmp/uwsgi;
  scgi_temp_path $BENCH_DIR/$name/tmp/scgi;
  include $site;
}
NGINX
    /usr/sbin/nginx -e "$BENCH_DIR/$name/error.log" -p "$BENCH_DIR/$name" -c "$BENCH_DIR/$name/nginx.conf" -g 'daemon off;' &
    BENCH_PIDS+=($!)
    for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && return 0; sleep 0.05; done
    echo "nginx on port $port did not start" >&2; return 1
}

# A free loopback port.
bench_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Writes a wrk Lua script that POSTs form body $2 to file $1.
bench_post_script() {
    cat > "$1" <<LUA
wrk.method = "POST"
wrk.body = "$2"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
LUA
}

# Runs wrk (2 threads, ${BENCH_CONNS:-32} connections, ${BENCH_SECS:-10} s) against URL $1,
# optional Lua script $2; prints "req/s p50_ms p99_ms non2xx".
bench_wrk() {
    local url=$1 script=${2:-}
    local args=(-t2 -c"${BENCH_CONNS:-32}" -d"${BENCH_SECS:-10}s" --latency)
    [ -n "$script" ] && args+=(-s "$script")
    wrk "${args[@]}" "$url" > "$BENCH_DIR/wrk.out" 2>&1
    python3 - "$BENCH_DIR/wrk.out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(v):
    n, unit = re.match(r"([\d.]+)(us|ms|s)", v).groups()
    return float(n) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p50 = ms(re.search(r"\s50%\s+(\S+)", text).group(1))
p99 = ms(re.search(r"\s99%\s+(\S+)", text).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"{rps:.0f} {p50:.3f} {p99:.3f} {bad.group(1) if bad else 0}")
PY
}

# Median of the numbers in $1 (space-separated); for comparing alternated rounds.
bench_median() {
    python3 -c 'import statistics, sys; print(statistics.median(map(float, sys.argv[1].split())))' "$1"
}

# CPU clock ticks process $1 has used so far: "HASH OTHER", where HASH is what its
# password-hashing threads (named hash-N) used and OTHER all the rest, including threads
# that have ended since.
bench_cpu_ticks() {
    python3 - "$1" <<'PY'
import os, sys
pid = sys.argv[1]
def ticks(stat):
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])  # utime + stime
hashing = 0
for task in os.listdir(f"/proc/{pid}/task"):
    stat = open(f"/proc/{pid}/task/{task}/stat").read()
    if stat[stat.index("(") + 1:stat.rindex(")")].startswith("hash-"):
        hashing += ticks(stat)
print(hashing, ticks(open(f"/proc/{pid}/stat").read()) - hashing)
PY
}

# Resident set size of process $1 in MB.
bench_rss_mb() {
    awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"
}
