#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# A stand-in for AWS Lambda's Invoke API for examples/pipelines/movies-lambda.json (Python's
# standard library only), on 127.0.0.1:9001: POST /2015-03-31/functions/<name>/invocations.
# Function `price` (any qualifier, `price:live`) answers {"movie", "unitPrice", "amount"} for a
# payload {"movie", "tickets"}, or fails like a Lambda function that raised (a 200 with
# X-Amz-Function-Error) for a movie it has no price for; `audit` takes Event invocations (202).
# Other names answer 404 ResourceNotFoundException. It does not check signatures: point the
# connection's endpoint at a real emulator (LocalStack) or leave it out to call AWS.
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

PRICES = {"Dune": 12.5, "Oppenheimer": 13.5, "Barbie": 11.5, "Inside Out 2": 10.5,
          "Wicked": 14.0, "Gladiator II": 13.0}
PREFIX, SUFFIX = "/2015-03-31/functions/", "/invocations"


class Invoke(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps connections open between calls
    disable_nagle_algorithm = True

    def do_POST(self):
        payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        name = unquote(self.path[len(PREFIX):-len(SUFFIX)]) if self.path.startswith(PREFIX) else ""
        function = name.split(":")[0]
        event = self.headers.get("X-Amz-Invocation-Type") == "Event"
        if function not in ("price", "audit"):
            return self.answer(404, {"Type": "User", "message": "Function not found: " + name},
                               {"x-amzn-ErrorType": "ResourceNotFoundException"})
        if event:
            return self.answer(202, None)
        movie = payload.get("movie")
        if movie not in PRICES:
            return self.answer(200, {"errorType": "KeyError", "errorMessage": "no price for %r" % movie},
                               {"X-Amz-Function-Error": "Unhandled"})
        unit = PRICES[movie]
        self.answer(200, {"movie": movie, "unitPrice": unit, "amount": unit * payload.get("tickets", 1)})

    def answer(self, status, body, headers=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    request_queue_size = 128  # 32 connections opened at once overflow the default backlog of 5
    daemon_threads = True


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9001
    Server(("127.0.0.1", port), Invoke).serve_forever()
