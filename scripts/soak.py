#!/usr/bin/env python3
"""soak.py - a bounded mixed load against the release binary (`make soak`).

Starts `casebook serve` on a fresh data directory with one SLA policy (so
every ticket runs clocks and the queues are ordered by them) and a history
imported through the API (SOAK_HISTORY tickets, default 20000, most of them
solved or closed: a desk that has been running for a while, with a database
larger than SQLite's page cache, so the caches are full before measuring).
Then N client threads run a weighted mix until the time is up: create, get,
list (with filters and pages), comment, patch, solve, queue views,
timelines, /healthz. Tickets are solved about as fast as they are created,
so the open backlog stays roughly level, as on a desk in steady state. Each
client keeps its connection alive and reconnects every 20-100 requests, as
real clients do, so per-connection resources are exercised too.

Every few seconds the server's VmRSS is read from /proc/PID/status. The run
fails (exit 1) when any request failed (transport error or an unexpected
status), when RSS grew more than the tolerance from the start of the
measured phase to its end (the median of the first three samples after
warm-up against the median of the last three: under load RSS swings by tens
of MiB within seconds), when the server does not stop cleanly on SIGTERM,
or when `casebook check` finds a problem afterwards. The SQLite column is
the heap SQLite holds (page caches), from /metrics.

Environment (or flags): SOAK_SECONDS (600), SOAK_CLIENTS (16),
SOAK_SAMPLE_SECONDS (5), SOAK_WARMUP_SECONDS (25% of the run, 10..60),
SOAK_RSS_TOLERANCE (0.20), SOAK_HISTORY (20000), SOAK_SEED (1);
SOAK_KEEP=1 keeps the data directory."""
import argparse
import atexit
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
MIX = {"create": 12, "solve": 11, "get": 24, "list": 13, "comment": 12, "patch": 9,
       "view": 9, "events": 7, "healthz": 3}
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
    """SQLite's page caches (writer and pooled readers) from /metrics, in KiB."""
    st, raw = client.request("GET", "/metrics")
    for line in raw.decode().splitlines():
        if line.startswith("casebook_sqlite_cache_bytes "):
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

    def request(self, method, path, body=None, raw=None, ctype="application/json"):
        if self.conn is None or self.left <= 0:
            if self.conn:
                self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.left = self.rng.randint(20, 100)
        self.left -= 1
        h = {"Authorization": f"Bearer {self.token}"}
        data = raw.encode() if raw is not None else None
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            h["Content-Type"] = ctype
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


class Pools:
    """Ticket ids: every ticket (for reads) and the open ones (for writes)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.all, self.open = [], []
        self.created = self.solved = 0

    def pick(self, rng, pool):
        with self.lock:
            xs = self.open if pool == "open" else self.all
            return rng.choice(xs) if xs else None

    def take_open(self, rng):
        with self.lock:
            if not self.open:
                return None
            i = rng.randrange(len(self.open))
            self.open[i], self.open[-1] = self.open[-1], self.open[i]
            return self.open.pop()

    def add(self, tid, is_open=True):
        with self.lock:
            self.all.append(tid)
            if is_open:
                self.open.append(tid)


def run_client(port, token, rng, deadline, stats, pools):
    c = Client(port, token, rng)
    ops, weights = list(MIX), list(MIX.values())
    i = 0
    while time.time() < deadline:
        i += 1
        op = rng.choices(ops, weights)[0]
        tid = None
        if op in ("comment", "patch"):
            tid = pools.pick(rng, "open")
        elif op == "solve":
            tid = pools.take_open(rng)
        elif op in ("get", "events"):
            tid = pools.pick(rng, "all")
        if tid is None and op in ("get", "comment", "patch", "events", "solve"):
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
                    pools.add(json.loads(raw)["id"])
                    pools.created += 1
            elif op == "solve":
                st, raw = c.request("PATCH", f"/api/v1/tickets/{tid}", {"status": "solved"})
                want = 200
                if st == 200:
                    pools.solved += 1
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


def load_history(c, n, pools, rng):
    """Imports n tickets through the API, 1000 per request: about 90% solved
    (half of those closed), the rest open. Returns the seconds it took."""
    t_start = time.time()
    t_end = time.time() - 3600
    lines, flags = [], []

    def iso(t):
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))

    def flush():
        st, raw = c.request("POST", "/api/v1/import/tickets",
                            raw="\n".join(lines) + "\n", ctype="application/x-ndjson")
        if st != 200:
            sys.exit(f"soak: history import failed: HTTP {st}: {raw[:300]!r}")
        results = json.loads(raw)["results"]
        for res, is_open in zip(results, flags):
            if not res.get("id"):
                sys.exit(f"soak: history import failed: {res}")
            pools.add(res["id"], is_open)
        lines.clear()
        flags.clear()

    for k in range(n):
        t0 = t_end - rng.uniform(0, 30 * 86400)
        ev = [{"at": iso(t0 + 600), "type": "comment", "author": "admin@casebook.local",
               "public": True, "body": "Looking into it. " * rng.randint(1, 8)}]
        is_open = rng.random() < 0.1
        if not is_open:
            ev.append({"at": iso(t0 + 3600 * rng.uniform(1, 48)), "type": "status",
                       "status": "solved", "author": "admin@casebook.local"})
            if rng.random() < 0.5:
                ev.append({"at": iso(t0 + 3600 * 72), "type": "status", "status": "closed",
                           "author": "admin@casebook.local"})
        lines.append(json.dumps({
            "external_id": f"hist-{k}", "subject": f"history {k}",
            "requester": "admin@casebook.local",
            "description": "Something broke. " * rng.randint(2, 20),
            "priority": rng.choice(PRIORITIES), "tags": [f"t{rng.randint(0, 30)}"],
            "created_at": iso(t0), "events": ev}))
        flags.append(is_open)
        if len(lines) == 1000:
            flush()
    if lines:
        flush()
    return time.time() - t_start


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "casebook"))
    ap.add_argument("--seconds", type=int, default=env("SOAK_SECONDS", 600))
    ap.add_argument("--clients", type=int, default=env("SOAK_CLIENTS", 16))
    ap.add_argument("--sample", type=float, default=env("SOAK_SAMPLE_SECONDS", 5.0, float))
    ap.add_argument("--tolerance", type=float, default=env("SOAK_RSS_TOLERANCE", 0.20, float))
    ap.add_argument("--history", type=int, default=env("SOAK_HISTORY", 20000))
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
    srv = subprocess.Popen([a.bin, "serve", "--data", data, "--listen", "127.0.0.1:0", "--quiet",
                            "--rate-customer", "0", "--rate-anonymous", "0"],
                           stdout=subprocess.PIPE, stderr=log)
    # never leave the server behind, whatever ends this script
    atexit.register(lambda: srv.poll() is None and srv.kill())
    line = srv.stdout.readline().decode()
    if not line.startswith("listening on http://"):
        sys.exit(f"soak: server did not start: {line!r}")
    port = int(line.strip().rsplit(":", 1)[1])
    mon = Client(port, token, random.Random(0))
    st, raw = mon.request("POST", "/api/v1/sla-policies", {
        "name": "soak", "targets": {"first_response": 30, "next_update": 60, "resolution": 480}})
    assert st == 201, raw
    pools = Pools()
    secs = load_history(mon, a.history, pools, random.Random(a.seed))
    print(f"soak: {a.history} tickets of history imported in {secs:.1f}s"
          f" ({len(pools.open)} open), RSS {rss_kib(srv.pid) / 1024:.1f} MiB")
    print(f"soak: {a.seconds}s, {a.clients} clients, RSS every {a.sample:g}s, warm-up"
          f" {warmup:.0f}s, tolerance {a.tolerance:.0%}, binary {a.bin}, pid {srv.pid}")

    stats = Stats()
    t_start = time.time()
    deadline = t_start + a.seconds
    threads = [threading.Thread(target=run_client,
                                args=(port, token, random.Random(a.seed * 1000 + n), deadline,
                                      stats, pools), daemon=True)
               for n in range(a.clients)]
    for t in threads:
        t.start()
    samples = []  # (seconds since start, RSS KiB, SQLite heap KiB, requests so far)
    print(f"{'t (s)':>7} {'RSS MiB':>8} {'SQLite':>7} {'requests':>9} {'req/s':>6}"
          f" {'open':>6} {'errors':>6}")
    next_at = t_start
    last_n, last_t = 0, t_start
    while True:
        now = time.time()
        if now >= next_at or now >= deadline:
            kib = rss_kib(srv.pid)
            sq = sqlite_kib(mon)
            with stats.lock:
                n, errs = stats.total, sum(stats.errors.values())
            samples.append((now - t_start, kib, sq, n))
            rate = (n - last_n) / max(1e-9, now - last_t)
            last_n, last_t = n, now
            mark = "" if now - t_start >= warmup else "  (warm-up)"
            print(f"{now - t_start:7.1f} {kib / 1024:8.1f} {sq / 1024:7.1f} {n:9d} {rate:6.0f}"
                  f" {len(pools.open):6d} {errs:6d}{mark}", flush=True)
            next_at += a.sample
        if now >= deadline:
            break
        time.sleep(max(0.0, min(next_at, deadline) - time.time()))
    for t in threads:
        t.join(timeout=60)
    elapsed = time.time() - t_start
    time.sleep(1)
    idle_kib = rss_kib(srv.pid)

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
    after = [x for x in samples if x[0] >= warmup]
    # RSS swings by tens of MiB within seconds under load (page caches of
    # short-lived reader connections, malloc arenas): compare the median of
    # the first three samples after warm-up with the median of the last three
    k = min(3, len(after) // 2)
    rss_first = sorted(x[1] for x in after[:k])[(k - 1) // 2] if k else 0
    rss_last = sorted(x[1] for x in after[-k:])[(k - 1) // 2] if k else 0
    growth = (rss_last - rss_first) / rss_first if k else 0.0
    print(f"\nthroughput: {stats.total / elapsed:.0f} req/s over {elapsed:.0f}s;"
          f" {pools.created} tickets created, {pools.solved} solved, {len(pools.open)} open")
    if k:
        print(f"RSS: {samples[0][1] / 1024:.1f} MiB at the start of the load;"
              f" after warm-up {rss_first / 1024:.1f} MiB (median of {k} samples from"
              f" t={after[0][0]:.0f}s), at the end {rss_last / 1024:.1f} MiB (median of the"
              f" last {k}, to t={after[-1][0]:.0f}s): growth {growth:+.1%}"
              f" (tolerance {a.tolerance:.0%}); peak {max(x[1] for x in samples) / 1024:.1f} MiB,"
              f" {idle_kib / 1024:.1f} MiB idle after the load")
    print(f"server exit: {rc}; check: "
          f"{' / '.join(chk.stdout.strip().splitlines()) or chk.stderr.strip()}")
    fails = []
    if total_err:
        fails.append(f"{total_err} failed requests, first: {stats.first_errors[:3]}")
    if not k:
        fails.append("fewer than two samples after warm-up")
    elif growth > a.tolerance:
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
