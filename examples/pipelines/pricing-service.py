#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# A local pricing service for examples/pipelines/movies-pricing.json (Python's standard library
# only): GET /price/<movie>?tickets=N answers {"movie", "unitPrice", "amount"} as JSON, after
# checking the bearer token $PRICING_TOKEN. Unknown movies answer 404. Listens on 127.0.0.1:8087.
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

PRICES = {"Dune": 12.5, "Oppenheimer": 13.5, "Barbie": 11.5, "Inside Out 2": 10.5,
          "Wicked": 14.0, "Gladiator II": 13.0}


class Pricing(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps connections open between calls
    disable_nagle_algorithm = True  # the body does not wait for the headers' acknowledgement

    def do_GET(self):
        url = urlsplit(self.path)
        if self.headers.get("Authorization") != "Bearer " + os.environ.get("PRICING_TOKEN", ""):
            return self.answer(401, {"error": "wrong token"})
        movie = unquote(url.path[len("/price/"):]) if url.path.startswith("/price/") else None
        if movie not in PRICES:
            return self.answer(404, {"error": "no price for this movie"})
        tickets = int(parse_qs(url.query).get("tickets", ["1"])[0])
        unit = PRICES[movie]
        self.answer(200, {"movie": movie, "unitPrice": unit, "amount": unit * tickets})

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    request_queue_size = 128  # 32 connections opened at once overflow the default backlog of 5
    daemon_threads = True


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8087
    Server(("127.0.0.1", port), Pricing).serve_forever()
