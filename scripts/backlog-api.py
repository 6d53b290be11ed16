#!/usr/bin/env python3
"""A deliberately small API server for the benchmark's burst case (examples/bench.rs, "burst").

Python's ThreadingHTTPServer as it comes (HTTP/1.0: one connection per request) with a listen backlog of 5,
answering every GET with the API double's /v1/pages reply (fetched once at start from the double named on the
command line). It stands for an API behind a server that accepts slowly: a client that opens many connections at once overflows its listen queue.
Prints "listening on http://127.0.0.1:PORT" and exits when its stdin closes. Loopback only.
"""
import http.server
import os
import sys
import threading
import urllib.request

upstream, api_key = sys.argv[1], sys.argv[2]
req = urllib.request.Request(upstream + "/v1/pages", headers={"Authorization": api_key})
with urllib.request.urlopen(req, timeout=30) as r:
    BODY = r.read()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 5
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that gave up (a timed-out subject) is part of the measurement, not a reason to print a trace.
        pass


srv = Server(("127.0.0.1", 0), Handler)
print(f"listening on http://127.0.0.1:{srv.server_address[1]}", flush=True)


def exit_when_stdin_closes():
    sys.stdin.read()
    os._exit(0)


threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
srv.serve_forever()
