#!/bin/sh
# Runs the accounthub FastCGI responder under spawn-fcgi (apt-get install spawn-fcgi), for
# hosts without systemd socket activation; pair it with nginx.conf.example or
# apache-proxy-fcgi.conf.example. spawn-fcgi creates the unix socket, hands it to the
# binary on fd 0 and, started as root, drops to ACCOUNTHUB_USER. With -n it does not fork:
# the responder replaces this script, so a supervisor (runit, daemontools, s6, or
# `nohup ... &`) sees it directly, and its stderr (one line per request) is this script's.
#
# Usage (as root):  deploy/spawn-fcgi.sh 2>>/var/log/accounthub.log
# Settings, all overridable from the environment:
: "${ACCOUNTHUB_BIN:=/usr/local/bin/accounthub}"
: "${ACCOUNTHUB_CONFIG:=/etc/accounthub/accounthub.toml}"
: "${ACCOUNTHUB_SOCKET:=/run/accounthub/accounthub.sock}"
: "${ACCOUNTHUB_USER:=accounthub}"
# The web server's group, which gets read/write access to the socket (mode 0660).
: "${ACCOUNTHUB_SOCKET_GROUP:=www-data}"
set -eu
mkdir -p "$(dirname "$ACCOUNTHUB_SOCKET")"
rm -f "$ACCOUNTHUB_SOCKET"
exec spawn-fcgi -n -s "$ACCOUNTHUB_SOCKET" -M 0660 \
    -u "$ACCOUNTHUB_USER" -U "$ACCOUNTHUB_USER" -G "$ACCOUNTHUB_SOCKET_GROUP" \
    -- "$ACCOUNTHUB_BIN" --config "$ACCOUNTHUB_CONFIG" serve
