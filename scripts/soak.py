#!/usr/bin/env python3
"""soak.py - a bounded mixed load against the release binary (`make soak`).

Starts `casebook serve` on a fresh data directory (one SLA policy, so every
ticket runs clocks and the queues are ordered by them), then N client
threads run a weighted mix until the time is up: create, get, list (with
filters and pages), comment, patch, queue views, timelines, /healthz. Each
client keeps its connection alive and reconnects every 20-100 requests, as
real clients do, so per-connection resources are exercised too.

Every few seconds the server's VmRSS is read from /proc/PID/status. The run
fails (exit 1) when any request failed (transport error or an unexpected
status), when RSS grew more than the tolerance from the first sample after
warm-up to the last, when the server does not stop cleanly on SIGTERM, or
when `casebook check` finds a problem afterwards.

Environment (or flags): SOAK_SECONDS (600), SOAK_CLIENTS (16),
SOAK_SAMPLE_SECONDS (5), SOAK_WARMUP_SECONDS (25% of the run, 10..60),
SOAK_RSS_TOLERANCE (0.20), SOAK_SEED (1)."""
import argparse
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# operation -> weight
MIX = {"create": 15, "get": 25, "list": 15, "comment": 15, "patch": 10, "view": 10,
       "events": 7, "healthz": 3}
VIEWS = ["all_open", "unassigned", "mine", "at_risk", "breached"]
PRIORITIES = ["P1", "P2", "P3", "P4"]
STATUSES = ["open", "pending", "on_hold"]


def env(name, default, kind=int):
    v = os.environ.get(name)
    return kind(v) if v not in (None, "") else default


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def sqlite_kib(client):
    """SQLite's heap (page caches) from /metrics, in KiB."""
    st, raw = client.request("GET", "/metrics")
    for line in raw.decode().splitlines():
        if line.startswith("casebook_sqlite_memory_bytes "):
            return int(line.split()[1]) // 1024
    return 0


def pct(xs, p):
    if not xs:
        return 0.0
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))]


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.n = {k: 0 for k in MIX}
        self.errors = {k: 0 for k in MIX}
        self.lat = {k: [] for k in MIX}
        self.first_errors = []
        self.total = 0

    def add(self, op, secs, err=None):
        with self.lock:
            self.n[op] += 1
            self.total += 1
            if len(self.lat[op]) < 200000:
                self.lat[op].append(secs)
            if err:
                self.errors[op] += 1
                if len(self.first_errors) < 10:
                    self.first_errors.append(f"{op}: {err}")


class Client:
    def __init__(self, port, token, rng):
        self.port, self.token, self.rng = port, token, rng
        self.conn, self.left = None, 0

    def request(self, method, path, body=None):
        if self.conn is None or self.left <= 0:
            if self.conn:
                self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.left = self.rng.randint(20, 100)
        self.left -= 1
        h = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=data, headers=h)
            r = self.conn.getresponse()
            raw = r.read()
        except Exception:
            self.conn.close()
            self.conn = None
            raise
        if r.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        return r.status, raw


def run_client(port, token, rng, deadline, stats, ids, ids_lock):
    c = Client(port, token, rng)
    ops, weights = list(MIX), list(MIX.values())
    i = 0
    while time.time() < deadline:
        i += 1
        op = rng.choices(ops, weights)[0]
        with ids_lock:
            tid = rng.choice(ids) if ids else None
        if tid is None and op in ("get", "comment", "patch", "events"):
            op = "create"
        t0 = time.perf_counter()
        try:
            if op == "create":
                st, raw = c.request("POST", "/api/v1/tickets", {
                    "subject": f"soak {rng.getrandbits(48):012x}",
                    "description": "soak " * rng.randint(5, 60),
                    "priority": rng.choice(PRIORITIES), "tags": [f"t{rng.randint(0, 30)}"],
                    "custom_fields": {"n": i}})
                want = 201
                if st == 201:
                    with ids_lock:
                        ids.append(json.loads(raw)["id"])
            elif op == "get":
                st, raw = c.request("GET", f"/api/v1/tickets/{tid}")
                want = 200
            elif op == "list":
                q = rng.choice(["", "&priority=P1,P2", "&status=open,pending",
                                f"&tag=t{rng.randint(0, 30)}"])
                st, raw = c.request("GET", f"/api/v1/tickets?limit={rng.choice([20, 50, 100])}{q}")
                want = 200
                if st == 200 and rng.random() < 0.3:
                    nxt = json.loads(raw)["next_cursor"]
                    if nxt:
                        st, raw = c.request("GET", f"/api/v1/tickets?limit=50&cursor={nxt}")
            elif op == "comment":
                st, raw = c.request("POST", f"/api/v1/tickets/{tid}/comments",
                                    {"body": "note " * rng.randint(1, 40), "public": False})
                want = 201
            elif op == "patch":
                body = {"priority": rng.choice(PRIORITIES), "tags": [f"t{rng.randint(0, 30)}"]}
                if rng.random() < 0.5:
                    body["status"] = rng.choice(STATUSES)
                st, raw = c.request("PATCH", f"/api/v1/tickets/{tid}", body)
                want = 200
            elif op == "view":
                st, raw = c.request("GET", f"/api/v1/views/{rng.choice(VIEWS)}/tickets?limit=50")
                want = 200
            elif op == "events":
                st, raw = c.request("GET", f"/api/v1/tickets/{tid}/events")
                want = 200
            else:
                st, raw = c.request("GET", "/healthz")
                want = 200
            err = None if st == want else f"HTTP {st}: {raw[:200]!r}"
        except Exception as e:
            err = repr(e)
        stats.add(op, time.perf_counter() - t0, err)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "casebook"))
    ap.add_argument("--seconds", type=int, default=env("SOAK_SECONDS", 600))
    ap.add_argument("--clients", type=int, default=env("SOAK_CLIENTS", 16))
    ap.add_argument("--sample", type=float, default=env("SOAK_SAMPLE_SECONDS", 5.0, float))
    ap.add_argument("--tolerance", type=float, default=env("SOAK_RSS_TOLERANCE", 0.20, float))
    ap.add_argument("--seed", type=int, default=env("SOAK_SEED", 1))
    a = ap.parse_args()
    warmup = env("SOAK_WARMUP_SECONDS", max(10.0, min(60.0, a.seconds * 0.25)), float)
    if warmup + 2 * a.sample > a.seconds:
        sys.exit(f"soak: {a.seconds}s is too short for {warmup:.0f}s of warm-up and two samples")

    work = tempfile.mkdtemp(prefix="cb-soak-")
    data = os.path.join(work, "data")
    out = subprocess.run([a.bin, "init", "--data", data], capture_output=True, text=True,
                         check=True)
    token = out.stdout.strip().splitlines()[-1]
    log = open(os.path.join(work, "server.log"), "wb")
    srv = subprocess.Popen([a.bin, "serve", "--data", data, "--listen", "127.0.0.1:0", "--quiet"],
                           stdout=subprocess.PIPE, stderr=log)
    line = srv.stdout.readline().decode()
    if not line.startswith("listening on http://"):
        sys.exit(f"soak: server did not start: {line!r}")
    port = int(line.strip().rsplit(":", 1)[1])
    c = Client(port, token, random.Random(0))
    st, raw = c.request("POST", "/api/v1/sla-policies", {
        "name": "soak", "targets": {"first_response": 30, "next_update": 60, "resolution": 480}})
    assert st == 201, raw

    print(f"soak: {a.seconds}s, {a.clients} clients, RSS every {a.sample:g}s, warm-up"
          f" {warmup:.0f}s, tolerance {a.tolerance:.0%}, binary {a.bin}, pid {srv.pid}")
    stats, ids, ids_lock = Stats(), [], threading.Lock()
    t_start = time.time()
    deadline = t_start + a.seconds
    threads = [threading.Thread(target=run_client,
                                args=(port, token, random.Random(a.seed * 1000 + n), deadline,
                                      stats, ids, ids_lock), daemon=True)
               for n in range(a.clients)]
    for t in threads:
        t.start()
    samples = []  # (seconds since start, RSS KiB, requests so far, SQLite KiB)
    mon = Client(port, token, random.Random(0))
    print(f"{'t (s)':>7} {'RSS (MiB)':>10} {'SQLite':>7} {'other':>7} {'requests':>9} {'req/s':>7}"
          f" {'tickets':>8} {'errors':>6}")
    next_at = t_start
    last_n, last_t = 0, t_start
    while True:
        now = time.time()
        if now >= next_at:
            kib = rss_kib(srv.pid)
            sq = sqlite_kib(mon)
            with stats.lock:
                n, errs = stats.total, sum(stats.errors.values())
            samples.append((now - t_start, kib, n, sq))
            rate = (n - last_n) / max(1e-9, now - last_t)
            last_n, last_t = n, now
            mark = "" if now - t_start >= warmup else "  (warm-up)"
            print(f"{now - t_start:7.1f} {kib / 1024:10.1f} {sq / 1024:7.1f} {(kib - sq) / 1024:7.1f} {n:9d} {rate:7.0f} {len(ids):8d}"
                  f" {errs:6d}{mark}", flush=True)
            next_at += a.sample
        if now >= deadline:
            break
        time.sleep(max(0.0, min(next_at, deadline) - time.time()))
    for t in threads:
        t.join(timeout=60)
    end_kib = rss_kib(srv.pid)
    elapsed = time.time() - t_start

    srv.send_signal(signal.SIGTERM)
    try:
        rc = srv.wait(timeout=60)
    except subprocess.TimeoutExpired:
        srv.kill()
        rc = srv.wait()
    log.close()
    chk = subprocess.run([a.bin, "check", "--data", data], capture_output=True, text=True)

    # ---- summary ----
    print("\n| operation | requests | errors | p50 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for op in MIX:
        lat = stats.lat[op]
        print(f"| {op} | {stats.n[op]} | {stats.errors[op]} | {pct(lat, 50) * 1e3:.2f} |"
              f" {pct(lat, 99) * 1e3:.2f} | {max(lat, default=0) * 1e3:.2f} |")
    total_err = sum(stats.errors.values())
    print(f"| **all** | {stats.total} | {total_err} | | | |")
    after = [s for s in samples if s[0] >= warmup]
    first_kib = after[0][1] if after else 0
    last_kib = end_kib or (after[-1][1] if after else 0)
    growth = (last_kib - first_kib) / first_kib if first_kib else 0.0
    peak = max(s[1] for s in samples)
    print(f"\nthroughput: {stats.total / elapsed:.0f} req/s over {elapsed:.0f}s;"
          f" {len(ids)} tickets created")
    print(f"RSS: {samples[0][1] / 1024:.1f} MiB at start, {first_kib / 1024:.1f} MiB after"
          f" warm-up (t={after[0][0] if after else 0:.0f}s), {last_kib / 1024:.1f} MiB at the end,"
          f" peak {peak / 1024:.1f} MiB; growth after warm-up {growth:+.1%}"
          f" (tolerance {a.tolerance:.0%})")
    print(f"server exit: {rc}; check: {' / '.join(chk.stdout.strip().splitlines()) or chk.stderr.strip()}")
    fails = []
    if total_err:
        fails.append(f"{total_err} failed requests, first: {stats.first_errors[:3]}")
    if not after or growth > a.tolerance:
        fails.append(f"RSS grew {growth:+.1%} after warm-up")
    if rc != 0:
        fails.append(f"server exited {rc} on SIGTERM")
    if chk.returncode != 0:
        fails.append("casebook check failed")
    if fails:
        print("soak: FAIL: " + "; ".join(fails) + f" (data and server.log kept in {work})")
        sys.exit(1)
    print("soak: ok")
    if os.environ.get("SOAK_KEEP"):
        print(f"soak: data kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
