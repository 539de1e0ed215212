#!/usr/bin/env python3
"""SMTP sink for bench/mail.sh: answers every command only after a delay (default 2 s),
like a slow or overloaded mail server, and discards the message. Usage: PORT [DELAY]."""
import socket
import sys
import threading
import time

PORT = int(sys.argv[1])
DELAY = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0


def reply(conn, text):
    time.sleep(DELAY)
    conn.sendall(text.encode() + b"\r\n")


def session(conn):
    with conn, conn.makefile("rb") as lines:
        reply(conn, "220 slow-sink ESMTP")
        in_data = False
        for raw in lines:
            line = raw.decode("latin-1").rstrip("\r\n")
            if in_data:
                if line == ".":
                    in_data = False
                    reply(conn, "250 queued")
                continue
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                reply(conn, "250 slow-sink")
            elif verb == "DATA":
                in_data = True
                reply(conn, "354 go ahead")
            elif verb == "QUIT":
                reply(conn, "221 bye")
                return
            else:
                reply(conn, "250 ok")


server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", PORT))
server.listen(64)
while True:
    client, _ = server.accept()
    threading.Thread(target=session, args=(client,), daemon=True).start()
