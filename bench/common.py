"""Shared plumbing of the Python benchmarks (search.py, reports_search.py):
percentiles, a free port, the flags every benchmark server runs with, the
servers started (killed on exit) and a keep-alive JSON client."""
import http.client
import json
import signal
import socket
import subprocess
import time

# benchmarks measure the engine, not the per-caller rate limits (bench/README.md)
SERVE_FLAGS = ["--quiet", "--rate-customer", "0", "--rate-anonymous", "0"]
PROCS = []  # every server started, killed by kill_all()


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, max(0, int(round(p / 100 * len(v) + 0.5)) - 1))] if v else None


def stats(v):
    return {"n": len(v), "p50_ms": round(pct(v, 50) * 1e3, 2), "p95_ms": round(pct(v, 95) * 1e3, 2)}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def kill_all(wait_s=30):
    for p in PROCS:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(wait_s)
            except subprocess.TimeoutExpired:
                p.kill()


class Client:
    """One keep-alive connection; req() returns (seconds, body) and raises on
    a status of 300 or more."""

    def __init__(self, port, token, timeout=120):
        self.port, self.token = port, token
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def req(self, method, path, body=None):
        h = {"Authorization": "Bearer " + self.token}
        if body is not None:
            body = json.dumps(body)
            h["Content-Type"] = "application/json"
        t0 = time.perf_counter()
        self.c.request(method, path, body=body, headers=h)
        r = self.c.getresponse()
        data = r.read()
        dt = time.perf_counter() - t0
        if r.status >= 300:
            raise RuntimeError(f"{method} {path}: {r.status} {data[:200]!r}")
        return dt, data
