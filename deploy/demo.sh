#!/usr/bin/env bash
# Runs accounthub for real: release build, the FastCGI responder on a unix socket, and a
# private nginx (Debian nginx-light, config generated from nginx.conf.example) on
# 127.0.0.1:${PORT:-8080}. Uses the embedded SQLite default ./accounthub.sqlite inside
# ./demo/, creates a FULL demo key and a demo user, prints example calls, and runs until
# Ctrl-C.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
port=${PORT:-8080}
work=${ACCOUNTHUB_DEMO_DIR:-$root/demo}

if [ ! -x /usr/sbin/nginx ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nginx-light
fi

cargo build --release --locked --manifest-path "$root/Cargo.toml"
bin="$root/target/release/accounthub"
mkdir -p "$work"
cd "$work"

cat > accounthub.toml <<TOML
# Demo configuration: everything not set here keeps its default (see deploy/accounthub.toml.example).
database = "./accounthub.sqlite"
public_url = "http://127.0.0.1:$port/accounthub/"
[server]
socket_mode = "0666"
TOML
export ACCOUNTHUB_CONFIG="$work/accounthub.toml"

"$bin" init
key=$("$bin" key add --type FULL --notes "demo key")
if ! "$bin" call userexists username=demo 2>/dev/null | grep -q '"exists":true'; then
    echo "demo-password" | "$bin" user add demo --name "Demo User" --email demo@example.org --password-stdin >/dev/null 2>&1 || true
fi

"$bin" serve --listen "unix:$work/accounthub.sock" &
responder=$!
for _ in $(seq 100); do [ -S "$work/accounthub.sock" ] && break; sleep 0.1; done

sed -e "s#unix:/run/accounthub/accounthub.sock#unix:$work/accounthub.sock#" \
    -e "s#listen 80;#listen 127.0.0.1:$port;#" "$root/nginx.conf.example" > site.conf
mkdir -p tmp
user_line=""
[ "$(id -u)" = 0 ] && user_line="user root;"
cat > nginx.conf <<NGINX
$user_line
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/tmp/body;
  fastcgi_temp_path $work/tmp/fastcgi;
  proxy_temp_path $work/tmp/proxy;
  uwsgi_temp_path $work/tmp/uwsgi;
  scgi_temp_path $work/tmp/scgi;
  include $work/site.conf;
}
NGINX
/usr/sbin/nginx -e "$work/nginx-error.log" -p "$work" -c "$work/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
trap 'kill $nginx_pid $responder 2>/dev/null; wait 2>/dev/null; echo; echo stopped' EXIT INT TERM
sleep 0.5

base="http://127.0.0.1:$port/accounthub"
cat <<TXT

accounthub is running behind nginx at $base/api/ (database: $work/accounthub.sqlite)
Demo API key (FULL): $key      Demo user: demo / demo-password

Try:
  curl -s $base/api/ -d action=ping -d key=$key
  curl -s $base/api/ -H 'Content-Type: application/json' -d '{"action":"userinfo","key":"$key","username":"demo"}'
  curl -s $base/api/ -d action=auth -d key=$key -d username=demo -d password=demo-password
  curl -s "$base/api/mobileenabled/$key/"
  curl -s "$base/api.php?action=listapps&key=$key"

Admin CLI: ACCOUNTHUB_CONFIG=$work/accounthub.toml $bin --help
Press Ctrl-C to stop.
TXT
curl -s "$base/api/" -d action=ping -d "key=$key"; echo
wait $responder
