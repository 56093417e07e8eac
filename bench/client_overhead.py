"""What MoodleClient adds per call on top of a bare requests.post.

    .venv/bin/python bench/client_overhead.py [--calls 2000]

A local HTTP/1.1 keep-alive server on 127.0.0.1 answers every POST with a recorded real answer,
so the network and Moodle cost (nearly) nothing and what is left is client work: encoding,
the retry wrapper, error detection, logging and pydantic validation. Figures are medians of
per-call wall times, in microseconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from moodle_bridge.log import configure_logging
from moodle_bridge.moodle import MoodleClient
from moodle_bridge.moodle._encoding import encode_call
from moodle_bridge.moodle._response import interpret
from moodle_bridge.moodle.client import parse_response

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "moodle"
CASES = {
    "core_webservice_get_site_info": "core_webservice_get_site_info.json",
    "core_completion_get_course_completion_status": "core_completion_get_course_completion_status.json",
    "core_enrol_get_enrolled_users": "core_enrol_get_enrolled_users.json",
}


def serve(bodies: dict[str, bytes]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else delayed ACKs add 40 ms to small answers

        def do_POST(self):
            form = self.rfile.read(int(self.headers["Content-Length"])).decode()
            function = next(p.split("=", 1)[1] for p in form.split("&") if p.startswith("wsfunction="))
            body = bodies[function]
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def median_us(fn, calls: int) -> float:
    for _ in range(50):  # warm up connections and caches
        fn()
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    configure_logging("info", "json")  # debug lines are filtered, as in production at info

    recordings = {f: json.loads((FIXTURES / name).read_text()) for f, name in CASES.items()}
    bodies = {f: json.dumps(r["response"]).encode() for f, r in recordings.items()}
    server = serve(bodies)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    endpoint = url + "/webservice/rest/server.php"
    token = "bench-token"
    session = requests.Session()
    client = MoodleClient(url, token)

    print(f"client overhead per call, median of {args.calls} calls, loopback HTTP/1.1 keep-alive")
    print(f"{'function':48} {'bytes':>9} {'requests':>10} {'client raw':>11} {'client typed':>13} "
          f"{'overhead':>9} {'in-process parse':>17}")
    for function, recording in recordings.items():
        arguments = {k: v for k, v in recording["params"].items()
                     if k not in ("wstoken", "wsfunction", "moodlewsrestformat")}
        fields = encode_call(function, {}, token) + list(arguments.items())
        body = bodies[function]
        # Each lambda binds this case's values (defaults), not the loop's variables.
        bare = median_us(lambda fields=fields: session.post(endpoint, data=fields).json(), args.calls)
        raw = median_us(lambda f=function, a=arguments: client.call_raw(f, a), args.calls)
        typed = median_us(lambda f=function, a=arguments: client.call(f, **a), args.calls)
        parse = median_us(lambda f=function, b=body: parse_response(f, interpret(f, 200, {}, b)), args.calls)
        print(f"{function:48} {len(body):>9,} {bare:>8.0f}us {raw:>9.0f}us {typed:>11.0f}us "
              f"{typed - bare:>7.0f}us {parse:>15.0f}us")
    server.shutdown()


if __name__ == "__main__":
    main()
