#!/usr/bin/env python3
"""bench/run.py - the Casebook benchmark suite (`make bench`; bench/README.md).

One run: generate a data set (bench/gen.c), load it through the bulk import
API into a fresh data dir with the release binary, then measure on loopback
with wrk (bench/wrk.lua) ticket create / get / reply, the queues and the
ticket list at 1, 8 and 64 clients, start-up time and peak RSS, beside the
references measured in the same run: raw SQLite doing the same durable
writes (bench/sqlite_ref.c) and nginx returning a fixed JSON
(bench/http/nginx.conf). Then issue 3's SLA figures: re-folding the open
tickets after a policy change and the at_risk / breached queues at 1M
tickets (built by `casebook import`, the CLI path of the same importer).

Writes build/bench/results-<date>.json and appends a section to
docs/benchmarks.md. Environment:
  SIZE=10k|100k|1m (default 100k)   data set of the main part
  BIG=1m|0         (default 1m when SIZE is 100k, else 0; with SIZE=1m the
                    main data set is used)  the 1M queue / re-fold part
  BIG_PATH=copy|cli  how the BIG data set is built: copy (default) = copies
                    of the imported SIZE data set shifted to new ticket ids
                    (SQL, about a minute); cli = generate BIG tickets and
                    `casebook import` them (the same importer; slow)
  DUR=5            seconds per load run;  CONNS="1 8 64"
  PERF=1           profile the server under load with perf (0 to skip)
  DOC=1            append to docs/benchmarks.md (0 to skip)
  BENCH_TIMEOUT=2700  hard bound on the whole run, seconds
  KEEP=0           keep build/bench/work (data dirs, NDJSON) afterwards
Every server this starts is killed by pid on exit, error or timeout.
"""
import datetime
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

from common import SERVE_FLAGS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "build/casebook")
GEN = os.path.join(ROOT, "build/bench/gen")
REF = os.path.join(ROOT, "build/bench/sqlite_ref")
LUA = os.path.join(ROOT, "bench/wrk.lua")
NGINX_CONF = os.path.join(ROOT, "bench/http/nginx.conf")
OUT = os.path.join(ROOT, "build/bench")
WORK = os.path.join(OUT, "work")
DOC = os.path.join(ROOT, "docs/benchmarks.md")


def parse_size(s):
    s = s.strip().lower()
    mult = {"k": 1000, "m": 1000000}.get(s[-1:], 1)
    return int(float(s.rstrip("km")) * mult)


SIZE_S = os.environ.get("SIZE", "100k")
SIZE = parse_size(SIZE_S)
BIG_S = os.environ.get("BIG", "1m" if SIZE == 100000 else "0")
BIG = parse_size(BIG_S) if BIG_S not in ("", "0") else 0
BIG_PATH = os.environ.get("BIG_PATH", "copy")
DUR = int(os.environ.get("DUR", "5"))
CONNS = [int(c) for c in os.environ.get("CONNS", "1 8 64").split()]
PERF = os.environ.get("PERF", "1") == "1" and shutil.which("perf") is not None
WRITE_DOC = os.environ.get("DOC", "1") == "1"
TIMEOUT = int(os.environ.get("BENCH_TIMEOUT", "2700"))
KEEP = os.environ.get("KEEP", "0") == "1"
SEED = 42
T_START = time.time()

# ---------------------------------------------------------------- processes

PROCS = []  # every process we started that may outlive a step


def kill_all():
    for p in PROCS:
        if p.poll() is None:
            try:
                p.kill()
                p.wait(timeout=10)
            except Exception:
                pass


def on_signal(sig, frame):
    kill_all()
    sys.exit(130)


def watchdog():
    while True:
        time.sleep(5)
        if time.time() - T_START > TIMEOUT:
            log(f"BENCH_TIMEOUT ({TIMEOUT} s) reached: killing servers and stopping")
            kill_all()
            os._exit(3)


def log(msg):
    t = time.time() - T_START
    print(f"[{t:7.1f}s] {msg}", file=sys.stderr, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run(cmd, timeout, **kw):
    p = subprocess.run(cmd, timeout=timeout, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({p.returncode}): {p.stderr.strip()[-2000:]}")
    return p.stdout


class Server:
    """A casebook serve process on a fixed loopback port."""

    def __init__(self, data, extra=()):
        self.data = data
        self.extra = list(extra)
        self.port = None
        self.proc = None

    def start(self, timeout=120):
        self.port = free_port()
        logf = open(os.path.join(self.data, "server.log"), "ab")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [BIN, "serve", "--data", self.data, "--listen", f"127.0.0.1:{self.port}"]
            + SERVE_FLAGS + self.extra, stdout=logf, stderr=logf)
        PROCS.append(self.proc)
        logf.close()
        dt = wait_healthz(self.port, self.proc, timeout)
        self.started_in = time.perf_counter() - t0 if dt is not None else None
        self.peak = {}
        threading.Thread(target=self._sample, args=(self.proc,), daemon=True).start()
        return self

    def _sample(self, proc):
        """Peak RssAnon / RssFile every 0.25 s: VmHWM also counts the pages
        of the database file that readers memory-map, once per mapping."""
        while proc.poll() is None:
            try:
                st = self.status()
            except (OSError, ValueError):
                return
            for k in ("RssAnon", "RssFile"):
                if k in st:
                    self.peak[k] = max(self.peak.get(k, 0), st[k])
            time.sleep(0.25)

    def stop(self, timeout=120):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def status(self):
        """VmHWM / VmRSS in KiB from /proc."""
        out = {}
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmHWM", "VmRSS", "RssAnon", "RssFile", "Threads"):
                    out[k] = int(v.split()[0])
        return out


def wait_healthz(port, proc, timeout):
    """Polls GET /healthz as fast as it can; returns seconds or raises."""
    t0 = time.perf_counter()
    req = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before /healthz answered")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.sendall(req)
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return time.perf_counter() - t0
        except OSError:
            pass
        if time.perf_counter() - t0 > timeout:
            raise RuntimeError(f"no 200 on /healthz within {timeout} s")
        time.sleep(0.0002)


class Client:
    def __init__(self, port, token):
        self.port, self.token = port, token
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=900)

    def req(self, method, path, body=None, ctype="application/json", ok=(200, 201)):
        h = {"Authorization": "Bearer " + self.token}
        if body is not None:
            h["Content-Type"] = ctype
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
        for attempt in range(2):
            try:
                self.c.request(method, path, body=body, headers=h)
                r = self.c.getresponse()
                data = r.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.c.close()
                self.c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=900)
                if attempt:
                    raise
        if ok and r.status not in ok:
            raise RuntimeError(f"{method} {path}: {r.status} {data[:500]!r}")
        return r.status, data

    def json(self, method, path, body=None, **kw):
        return json.loads(self.req(method, path, body, **kw)[1])

    def metric(self, name):
        _, body = self.req("GET", "/metrics")
        for line in body.decode().splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                k, _, v = line.rpartition(" ")
                if k == name:
                    return float(v)
        return 0.0


def metric_value(text, name):
    for line in text.splitlines():
        k, _, v = line.rpartition(" ")
        if k == name:
            return float(v)
    return None


# ---------------------------------------------------------------- machine


def cpu_busy(seconds=1.0):
    def snap():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        idle = v[3] + v[4]
        return sum(v), idle
    a = snap()
    time.sleep(seconds)
    b = snap()
    tot, idle = b[0] - a[0], b[1] - a[1]
    return round(100.0 * (tot - idle) / tot, 1) if tot else 0.0


def wait_quiet():
    """Waits up to QUIET_WAIT seconds (default 300) for the machine to be
    idle (CPU busy < QUIET_PCT, default 20%, over 2 s): other work on the
    cores skews every figure. Returns the last busy figure."""
    limit = float(os.environ.get("QUIET_WAIT", "300"))
    pct = float(os.environ.get("QUIET_PCT", "20"))
    t0 = time.time()
    while True:
        busy = cpu_busy(2.0)
        if busy < pct or time.time() - t0 >= limit:
            return busy
        log(f"machine busy ({busy}% CPU), waiting for it to quiet down ...")


def machine():
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    def ver(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
        except Exception:
            return ""
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "kernel": platform.release(),
        "sqlite": sqlite3.sqlite_version,
        "libmicrohttpd": ver(["pkg-config", "--modversion", "libmicrohttpd"]),
        "nginx": re.sub(r".*nginx/", "nginx ", ver(["sh", "-c", "nginx -v 2>&1"])),
        "wrk": ver(["sh", "-c", "wrk -v 2>&1 | head -1"]).split(" [")[0],
        "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
    }


def git_commit():
    try:
        c = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                           text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return c + ("+dirty" if dirty else "")
    except Exception:
        return "unknown"


# ---------------------------------------------------------------- data set

CALENDARS = [
    {"name": "emea-business", "timezone": "Europe/Berlin",
     "hours": {d: [["08:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}},
    {"name": "us-business", "timezone": "America/New_York",
     "hours": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}},
]
POLICIES = [
    {"name": "enterprise-urgent", "position": 1,
     "conditions": {"tier": "enterprise", "priority": ["P1", "P2"]},
     "targets": {"first_response": 30, "next_update": 120, "resolution": 480}},
    {"name": "enterprise", "position": 2, "conditions": {"tier": "enterprise"},
     "calendar": "us-business",
     "targets": {"first_response": 120, "next_update": 480, "resolution": 2400}},
    {"name": "business-urgent", "position": 3,
     "conditions": {"tier": "business", "priority": ["P1", "P2"]}, "calendar": "emea-business",
     "targets": {"first_response": 60, "next_update": 240, "resolution": 960}},
    {"name": "business", "position": 4, "conditions": {"tier": "business"},
     "calendar": "emea-business",
     "targets": {"first_response": 240, "next_update": 960, "resolution": 4800}},
    {"name": "standard", "position": 5, "calendar": "us-business",
     "targets": {"first_response": 480, "next_update": 1440, "resolution": 7200}},
]


def generate(n, tag):
    """bench/gen.c: NDJSON histories + the directory they refer to."""
    os.makedirs(WORK, exist_ok=True)
    nd = os.path.join(WORK, f"tickets-{tag}.ndjson")
    dj = os.path.join(WORK, f"dir-{tag}.json")
    t0 = time.perf_counter()
    with open(nd, "wb") as f:
        p = subprocess.run([GEN, "--tickets", str(n), "--seed", str(SEED), "--now",
                            str(int(time.time())), "--dir", dj], stdout=f, timeout=900)
    if p.returncode != 0:
        raise RuntimeError("gen failed")
    dt = time.perf_counter() - t0
    log(f"generated {n} tickets ({os.path.getsize(nd) / 1e6:.0f} MB) in {dt:.1f} s")
    return nd, dj


def init_dir(tag):
    d = os.path.join(WORK, f"data-{tag}")
    shutil.rmtree(d, ignore_errors=True)
    out = run([BIN, "init", "--data", d], 60)
    token = out.strip().splitlines()[-1]
    with open(os.path.join(WORK, f"token-{tag}.txt"), "w") as f:
        f.write(token + "\n")
    return d, token


def setup_directory(cl, dirjson):
    """Calendars, policies, accounts, agents, groups through the API."""
    t0 = time.perf_counter()
    for c in CALENDARS:
        cl.req("POST", "/api/v1/calendars", c)
    for p in POLICIES:
        cl.req("POST", "/api/v1/sla-policies", p)
    d = json.load(open(dirjson))
    for a in d["accounts"]:
        cl.req("POST", "/api/v1/accounts", a)
    for u in d["users"]:
        cl.req("POST", "/api/v1/users", u)
    for g in d["groups"]:
        cl.req("POST", "/api/v1/groups", g)
    return {"accounts": len(d["accounts"]), "staff": len(d["users"]), "groups": len(d["groups"]),
            "seconds": round(time.perf_counter() - t0, 2)}


def import_api(cl, ndjson, chunk_lines=20000):
    """POST /api/v1/import/tickets in NDJSON chunks; returns figures."""
    imported = failed = 0
    t_total = 0.0
    first_err = None
    with open(ndjson, "rb") as f:
        while True:
            lines = []
            for _ in range(chunk_lines):
                line = f.readline()
                if not line:
                    break
                lines.append(line)
            if not lines:
                break
            body = b"".join(lines)
            t0 = time.perf_counter()
            r = cl.json("POST", "/api/v1/import/tickets", body, ctype="application/x-ndjson")
            t_total += time.perf_counter() - t0
            imported += r["imported"]
            failed += r["failed"]
            if r["failed"] and first_err is None:
                first_err = next(x for x in r["results"] if "error" in x)
            log(f"  import: {imported} imported, {failed} failed, {imported / t_total:.0f}/s")
    return {"path": "POST /api/v1/import/tickets (NDJSON, %d lines per request)" % chunk_lines,
            "imported": imported, "failed": failed, "seconds": round(t_total, 2),
            "tickets_per_s": round(imported / t_total, 1) if t_total else 0,
            "first_error": first_err}


def import_cli(data, ndjson):
    t0 = time.perf_counter()
    p = subprocess.run([BIN, "import", "--data", data, ndjson], capture_output=True, text=True,
                       timeout=max(60, TIMEOUT - (time.time() - T_START)))
    dt = time.perf_counter() - t0
    m = re.search(r"imported (\d+), failed (\d+)", p.stdout + p.stderr)
    imported, failed = (int(m.group(1)), int(m.group(2))) if m else (0, -1)
    return {"path": "casebook import (CLI, batches of 500)", "imported": imported,
            "failed": failed, "seconds": round(dt, 2),
            "tickets_per_s": round(imported / dt, 1) if dt else 0}


def replicate(src_db, dst_dir, copies):
    """The fast path to a big data set: `copies` copies of an imported data
    set in one database. Every row of every table that belongs to a ticket
    (a ticket_id column, and tickets itself) is copied with the ticket ids
    (and integer primary keys) shifted past the previous copy, and
    external_id suffixed; the directory, calendars and policies are shared.
    The schema is read from the database, so new ticket tables are copied
    too. Returns figures."""
    os.makedirs(dst_dir, exist_ok=True)
    dst = os.path.join(dst_dir, "casebook.db")
    for ext in ("", "-wal", "-shm"):
        if os.path.exists(dst + ext):
            os.unlink(dst + ext)
    t0 = time.perf_counter()
    shutil.copy(src_db, dst)
    c = sqlite3.connect(dst, isolation_level=None)
    c.execute("PRAGMA journal_mode=WAL")
    c.execute("PRAGMA synchronous=OFF")
    c.execute("PRAGMA cache_size=-262144")
    c.execute("PRAGMA foreign_keys=OFF")
    nt = c.execute("SELECT max(id) FROM tickets").fetchone()[0]
    plans, skipped = [], []
    for (t,) in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                          " AND name NOT LIKE 'sqlite_%'").fetchall():
        cols = c.execute(f"PRAGMA table_info({t})").fetchall()  # cid,name,type,nn,dflt,pk
        names = [x[1] for x in cols]
        if t != "tickets" and "ticket_id" not in names:
            if c.execute(f"SELECT count(*) FROM (SELECT 1 FROM {t} LIMIT 1)").fetchone()[0]:
                skipped.append(t)
            continue
        pks = [x for x in cols if x[5]]
        rowid_pk = len(pks) == 1 and pks[0][2].upper() == "INTEGER" and pks[0][1] == "id"
        maxid = c.execute(f"SELECT max(id) FROM {t}").fetchone()[0] or 0 if rowid_pk else 0
        plans.append((t, names, rowid_pk, maxid))
    rows = 0
    for k in range(1, copies):
        c.execute("BEGIN")
        for t, names, rowid_pk, maxid in plans:
            sel = []
            for n in names:
                if n in ("ticket_id", "followup_of") or (t == "tickets" and n == "id"):
                    sel.append(f"{n} + {k * nt}")
                elif rowid_pk and n == "id":
                    sel.append(f"id + {k * maxid}")
                elif t == "tickets" and n == "external_id":
                    sel.append(f"external_id || '-c{k}'")
                else:
                    sel.append(n)
            where = "id <= ?" if t == "tickets" else "ticket_id IS NOT NULL AND ticket_id <= ?"
            cur = c.execute(f"INSERT INTO {t}({', '.join(names)}) SELECT {', '.join(sel)}"
                            f" FROM {t} WHERE {where}", (nt,))
            rows += cur.rowcount
        c.execute("COMMIT")
        log(f"  copy {k + 1}/{copies}: {(k + 1) * nt} tickets")
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    has_rollups = c.execute("SELECT count(*) FROM sqlite_master WHERE name = 'kpi_rollup'").fetchone()[0]
    c.close()
    if has_rollups:  # hourly sums over all tickets (no ticket_id): derived again from kpi_facts
        run([BIN, "report", "rebuild", "--rollups", "--data", dst_dir], 1800)
        skipped = [t for t in skipped if t != "kpi_rollup"]
    return {"path": f"{copies} copies of the imported {nt:,}-ticket data set (SQL, "
                    "bench/run.py replicate())", "tickets": copies * nt, "rows_copied": rows,
            "tables": [p[0] for p in plans], "not_copied": skipped,
            "seconds": round(time.perf_counter() - t0, 1)}


def db_ro(data):
    return sqlite3.connect(f"file:{data}/casebook.db?mode=ro", uri=True, timeout=30)


def db_facts(data):
    with db_ro(data) as c:
        q = lambda s: c.execute(s).fetchone()[0]
        now = int(time.time() * 1000)
        return {
            "tickets": q("SELECT count(*) FROM tickets"),
            "events": q("SELECT count(*) FROM events"),
            "open_tickets": q("SELECT count(*) FROM tickets WHERE status NOT IN ('solved','closed')"),
            "accounts": q("SELECT count(*) FROM accounts"),
            "users": q("SELECT count(*) FROM users"),
            "breached_open": q("SELECT count(*) FROM ticket_sla WHERE open = 1 AND breached = 1"),
            "at_risk_open": q(f"SELECT count(*) FROM ticket_sla WHERE open = 1 AND breached = 0"
                              f" AND at_risk_at <= {now} AND next_due_at > {now}"),
            "jobs": q("SELECT count(*) FROM jobs"),
            "db_mb": round(os.path.getsize(f"{data}/casebook.db") / 1e6, 1),
        }


def wait_jobs_drained(data, limit_s=600):
    """Waits until no job is overdue (imported history leaves breach and
    at-risk timers whose instants have passed; the scheduler fires them
    after the import). Returns (seconds, jobs fired)."""
    t0 = time.perf_counter()
    first = None
    with db_ro(data) as c:
        while True:
            n = c.execute("SELECT count(*) FROM jobs WHERE due_at < ?",
                          (int(time.time() * 1000) - 2000,)).fetchone()[0]
            if first is None:
                first = n
            if n == 0 or time.perf_counter() - t0 > limit_s:
                return round(time.perf_counter() - t0, 2), first, n
            time.sleep(0.5)


def id_files(data, tag):
    with db_ro(data) as c:
        ids = [r[0] for r in c.execute("SELECT id FROM tickets")]
        open_ids = [r[0] for r in c.execute(
            "SELECT id FROM tickets WHERE status IN ('new','open','pending','on_hold')")]
        emails = [r[0] for r in c.execute("SELECT email FROM users WHERE role = 'customer'")]
    files = {}
    for name, vals in (("ids", ids), ("open", open_ids), ("customers", emails)):
        path = os.path.join(WORK, f"{name}-{tag}.txt")
        with open(path, "w") as f:
            f.write("\n".join(str(v) for v in vals) + "\n")
        files[name] = path
    return files


# ---------------------------------------------------------------- load


def wrk(url, conns, mode="path", ids=None, token=None, dur=None):
    dur = dur or DUR
    env = dict(os.environ, CB_MODE=mode)
    for k, v in (("CB_IDS", ids), ("CB_TOKEN", token)):
        if v:
            env[k] = v
        else:
            env.pop(k, None)
    threads = max(1, min(conns, 2))
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{dur}s", "--timeout", "5s", "-s", LUA, url]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=dur + 60)
    m = re.search(r"^RESULT (\{.*\})$", p.stdout, re.M)
    if not m:
        raise RuntimeError(f"wrk gave no result: {p.stdout[-500:]} {p.stderr[-500:]}")
    r = json.loads(m.group(1))
    r["errors"] = sum(r.pop(k) for k in list(r) if k.startswith("err_"))
    r["rps"] = round(r["rps"], 1)
    return r


ENDPOINTS = [
    # name, mode, path, id file key, what
    ("get", "get", "/", "ids", "GET /api/v1/tickets/{random id}"),
    ("list", "path", "/api/v1/tickets?status=open", None, "GET /api/v1/tickets?status=open"),
    ("all_open", "path", "/api/v1/views/all_open/tickets", None, "GET /api/v1/views/all_open/tickets"),
    ("at_risk", "path", "/api/v1/views/at_risk/tickets", None, "GET /api/v1/views/at_risk/tickets"),
    ("breached", "path", "/api/v1/views/breached/tickets", None, "GET /api/v1/views/breached/tickets"),
    ("search", "path", "/api/v1/search?q=saml", None, "GET /api/v1/search?q=saml"),
    ("kpis", "path", "/api/v1/reports/kpis?from=@FROM@&to=@TO@", None,
     "GET /api/v1/reports/kpis (last 30 days)"),
    ("create", "create", "/", "customers", "POST /api/v1/tickets"),
    ("reply", "reply", "/", "open", "POST /api/v1/tickets/{random open id}/comments"),
]


def perf_profile(pid, seconds, fn):
    """Runs fn() (a load) while perf samples the server; top symbols."""
    if not PERF:
        return None
    pf = os.path.join(WORK, f"perf-{pid}.data")
    # system-wide, then filtered to the server: `perf record -p` does not
    # follow the threads the server starts per connection after it attached
    p = subprocess.Popen(["perf", "record", "-F", "999", "-a", "-o", pf, "--",
                          "sleep", str(seconds)], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    PROCS.append(p)
    try:
        fn()
    finally:
        try:
            p.wait(timeout=seconds + 30)
        except subprocess.TimeoutExpired:
            p.kill()
    try:
        out = subprocess.run(["perf", "report", "-i", pf, "--pid", str(pid), "--no-children",
                              "--sort", "dso,sym", "--percentage", "relative",
                              "--percent-limit", "1.5", "--stdio"],
                             capture_output=True,
                             text=True, timeout=120).stdout
    except Exception:
        return None
    top = []
    for line in out.splitlines():
        m = re.match(r"\s+([\d.]+)%\s+(\S+)\s+\[.\]\s+(.*)$", line)
        if m:
            top.append({"pct": float(m.group(1)), "dso": m.group(2), "sym": m.group(3).strip()})
    os.unlink(pf)
    return top[:15]


def nginx_reference(conns):
    """nginx (Debian) returning a fixed JSON, same wrk and machine."""
    if not shutil.which("nginx"):
        return None
    pre = os.path.join(WORK, "nginx")
    shutil.rmtree(pre, ignore_errors=True)
    os.makedirs(pre)
    port = free_port()
    conf = open(NGINX_CONF).read()
    conf = conf.replace("@PREFIX@", pre).replace("@PORT@", str(port)).replace(
        "@WORKERS@", str(os.cpu_count() or 2))
    with open(os.path.join(pre, "nginx.conf"), "w") as f:
        f.write(conf)
    p = subprocess.Popen(["nginx", "-p", pre, "-c", os.path.join(pre, "nginx.conf"), "-e",
                          os.path.join(pre, "error.log")], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    PROCS.append(p)
    res = {}
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.05)
        for c in conns:
            res[c] = wrk(f"http://127.0.0.1:{port}/hello", c)
            log(f"  nginx c={c}: {res[c]['rps']:.0f}/s p99 {res[c]['p99_us']} us")
    finally:
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
    return res


def sqlite_reference(data, conns):
    """Raw SQLite create (ticket row + event row per create, FULL) on a copy
    of the loaded database."""
    d = os.path.join(WORK, "sqlite-ref")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    shutil.copy(os.path.join(data, "casebook.db"), os.path.join(d, "casebook.db"))
    res = {}
    for c in conns:
        out = run([REF, "--db", os.path.join(d, "casebook.db"), "--seconds", str(DUR),
                   "--clients", str(c)], DUR + 120)
        res[c] = json.loads(out)
        log(f"  sqlite c={c}: {res[c]['rps']:.0f}/s p99 {res[c]['p99_us']} us "
            f"(batch {res[c]['mean_batch']})")
    shutil.rmtree(d, ignore_errors=True)
    return res


def startup_times(data, runs=5):
    out = []
    for _ in range(runs):
        s = Server(data).start()
        out.append(round(s.started_in * 1000, 1))
        s.stop()
    return {"runs_ms": out, "median_ms": sorted(out)[len(out) // 2], "min_ms": min(out)}


def wait_refold(cl, limit_s):
    t0 = time.perf_counter()
    while True:
        _, body = cl.req("GET", "/metrics")
        n = metric_value(body.decode(), 'casebook_jobs_pending{kind="sla.refold"}')
        if not n:
            return time.perf_counter() - t0
        if time.perf_counter() - t0 > limit_s:
            raise RuntimeError("re-fold did not finish in time")
        time.sleep(0.1)


def refold_bench(cl, data):
    """Issue 3: a policy matching every open ticket is created, then its
    targets are changed; each time until sla.refold is gone from /metrics."""
    open_n = db_facts(data)["open_tickets"]
    res = {"open_tickets": open_n}
    # creating the policy enqueues a re-fold too; the PATCH right after it
    # replaces that job with one that starts from the first ticket again
    pol = cl.json("POST", "/api/v1/sla-policies", {
        "name": "bench-refold", "position": 0,
        "targets": {"first_response": 240, "next_update": 480, "resolution": 2880}})
    before = cl.metric("casebook_sla_refolded_tickets_total")
    t0 = time.perf_counter()
    cl.req("PATCH", f"/api/v1/sla-policies/{pol['id']}",
           {"targets": {"first_response": 120, "next_update": 360, "resolution": 1440}})
    wait_refold(cl, max(60, TIMEOUT - (time.time() - T_START) - 60))
    dt = time.perf_counter() - t0
    after = cl.metric("casebook_sla_refolded_tickets_total")
    res["patch_target"] = {"seconds": round(dt, 2), "refolded_counter": int(after - before),
                           "tickets_per_s": round(open_n / dt, 1) if dt else 0}
    log(f"  re-fold: {open_n} open tickets in {dt:.1f} s ({open_n / dt:.0f}/s; counter "
        f"{int(after - before)})")
    return res


def expand(path):
    now = time.time()
    iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
    return path.replace("@FROM@", iso(now - 30 * 86400)).replace("@TO@", iso(now))


def available(srv, token, names):
    """The endpoints of `names` this build serves (search and the KPI report
    are measured once they exist)."""
    out = []
    cl = Client(srv.port, token)
    for name, mode, path, _, _ in ENDPOINTS:
        if name not in names:
            continue
        if mode == "path":
            st, _ = cl.req("GET", expand(path), ok=None)
            if st != 200:
                log(f"  {name}: {st} from this build, not measured")
                continue
        out.append(name)
    return out


def warm_up(srv, token, files, names):
    """One second of each endpoint at 8 clients, not recorded: the first
    touch of the OS page cache and of the calendar and config caches."""
    url = f"http://127.0.0.1:{srv.port}"
    for name, mode, path, idkey, _ in ENDPOINTS:
        if name in names:
            wrk(url + expand(path), 8, mode, files.get(idkey) if idkey else None, token, dur=1)


def load_matrix(srv, token, files, names, conns):
    res = {}
    url = f"http://127.0.0.1:{srv.port}"
    for name, mode, path, idkey, what in ENDPOINTS:
        if name not in names:
            continue
        res[name] = {"what": what}
        for c in conns:
            r = wrk(url + expand(path), c, mode, files.get(idkey) if idkey else None, token)
            res[name][c] = r
            log(f"  {name} c={c}: {r['rps']:.0f}/s p50 {r['p50_us']} us p99 {r['p99_us']} us"
                f" errors {r['errors']}")
    return res


# ---------------------------------------------------------------- main


def main():
    for tool, path in (("casebook", BIN), ("gen", GEN), ("sqlite_ref", REF)):
        if not os.access(path, os.X_OK):
            sys.exit(f"run.py: {path} missing (make bench builds it)")
    if not shutil.which("wrk"):
        sys.exit("run.py: wrk missing (scripts/deps.sh bench)")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    threading.Thread(target=watchdog, daemon=True).start()
    os.makedirs(WORK, exist_ok=True)

    now = datetime.datetime.now(datetime.timezone.utc)
    R = {"date": now.strftime("%Y-%m-%d %H:%M UTC"), "commit": git_commit(), "size": SIZE,
         "size_label": SIZE_S, "big": BIG, "dur_s": DUR, "conns": CONNS, "machine": machine()}
    R["machine"]["background_cpu_busy_pct"] = wait_quiet()
    R["machine"]["loadavg_start"] = open("/proc/loadavg").read().split()[:3]
    log(f"commit {R['commit']}, SIZE={SIZE}, BIG={BIG}, machine busy "
        f"{R['machine']['background_cpu_busy_pct']}% before start")

    # ---- main data set through the import API
    nd, dj = generate(SIZE, SIZE_S)
    data, token = init_dir(SIZE_S)
    srv = Server(data).start()
    cl = Client(srv.port, token)
    R["directory"] = setup_directory(cl, dj)
    log(f"import {SIZE} tickets through the API ...")
    R["import"] = import_api(cl, nd)
    R["timers_after_import"] = dict(zip(("seconds", "overdue_at_start", "overdue_left"),
                                        wait_jobs_drained(data)))
    R["dataset"] = db_facts(data)
    log(f"data set: {R['dataset']}")
    srv.stop()
    seed = None
    if BIG and BIG != SIZE and BIG_PATH == "copy":
        seed = os.path.join(WORK, "seed.db")  # the imported data set, before any load
        shutil.copy(os.path.join(data, "casebook.db"), seed)

    # ---- start-up with the data set
    R["startup"] = startup_times(data)
    log(f"start-up: {R['startup']}")

    # ---- load
    srv = Server(data).start()
    files = id_files(data, SIZE_S)
    R["rss_after_start_kib"] = srv.status()
    reads = available(srv, token, ["get", "list", "all_open", "at_risk", "breached", "search",
                                   "kpis"])
    warm_up(srv, token, files, reads)
    log("load: reads ...")
    R["load"] = load_matrix(srv, token, files, reads, CONNS)
    log("load: writes ...")
    R["load"].update(load_matrix(srv, token, files, ["create", "reply"], CONNS))
    R["rss_after_load_kib"] = srv.status()
    R["rss_after_load_kib"].update({"peak_" + k: v for k, v in srv.peak.items()})
    log(f"RSS: {R['rss_after_load_kib']}")
    url = f"http://127.0.0.1:{srv.port}"
    if PERF:
        log("perf: get and create at 64 clients ...")
        R["perf"] = {
            "get_c64": perf_profile(srv.proc.pid, DUR - 1, lambda: wrk(
                url + "/", 64, "get", files["ids"], token)),
            "create_c64": perf_profile(srv.proc.pid, DUR - 1, lambda: wrk(
                url + "/", 64, "create", files["customers"], token)),
        }
    cl = Client(srv.port, token)
    if not BIG or BIG == SIZE:
        log("SLA re-fold on the main data set ...")
        R["refold"] = refold_bench(cl, data)
    srv.stop()

    # ---- the same reads with an epoll pool: readers (and their page
    # caches) live with the pool threads instead of with each connection
    pool = str(os.cpu_count() or 2)
    log(f"load: reads with --threads {pool} ...")
    srv = Server(data, ["--threads", pool]).start()
    warm_up(srv, token, files, ["get", "list"])
    R["load_pool"] = load_matrix(srv, token, files, ["get", "list"], CONNS)
    R["load_pool"]["threads"] = int(pool)
    R["rss_pool_kib"] = srv.status()
    srv.stop()

    # ---- references
    log("reference: nginx ...")
    R["ref_nginx"] = nginx_reference(CONNS)
    log("reference: raw SQLite ...")
    R["ref_sqlite"] = sqlite_reference(data, CONNS)

    # ---- issue 3 at 1M
    if BIG and BIG != SIZE:
        R["big"] = big_part(BIG, seed, token)
    elif BIG == SIZE:
        R["big"] = {"same_as_main": True}
    if not KEEP:
        shutil.rmtree(WORK, ignore_errors=True)
    R["elapsed_s"] = round(time.time() - T_START, 1)
    stamp = now.strftime("%Y-%m-%d-%H%M")
    path = os.path.join(OUT, f"results-{stamp}.json")
    with open(path, "w") as f:
        json.dump(R, f, indent=1, default=str)
    md = markdown(R)
    print(md)
    if WRITE_DOC:
        with open(DOC, "a") as f:
            f.write("\n" + md)
        log(f"appended to {DOC}")
    log(f"results: {path}")


def big_part(n, seed, token):
    label = f"{n // 1000000}m" if n % 1000000 == 0 else f"{n // 1000}k"
    B = {"tickets": n, "path": BIG_PATH}
    log(f"--- issue 3 part: {n} tickets ({BIG_PATH}) ---")
    if BIG_PATH == "cli":
        nd, dj = generate(n, label)
        data, token = init_dir(label)
        srv = Server(data).start()
        cl = Client(srv.port, token)
        setup_directory(cl, dj)
        srv.stop()
        log(f"import {n} tickets with casebook import (CLI) ...")
        B["import"] = import_cli(data, nd)
        os.unlink(nd)
    else:
        data = os.path.join(WORK, f"data-{label}")
        shutil.rmtree(data, ignore_errors=True)
        B["import"] = replicate(seed, data, max(1, n // SIZE))
    log(f"  built: {B['import']}")
    srv = Server(data).start()
    B["timers_after_import"] = dict(zip(("seconds", "overdue_at_start", "overdue_left"),
                                        wait_jobs_drained(data)))
    log(f"  overdue timers: {B['timers_after_import']}")
    srv.stop()
    B["dataset"] = db_facts(data)
    log(f"  data set: {B['dataset']}")
    B["startup"] = startup_times(data)
    log(f"  start-up: {B['startup']}")
    srv = Server(data).start()
    warm_up(srv, token, {}, ["at_risk", "breached", "all_open"])
    B["load"] = load_matrix(srv, token, {}, ["at_risk", "breached", "all_open"], CONNS)
    cl = Client(srv.port, token)
    log("  re-fold ...")
    B["refold"] = refold_bench(cl, data)
    B["rss_kib"] = srv.status()
    srv.stop()
    return B


# ---------------------------------------------------------------- report


def us(v):
    return f"{v / 1000:.2f} ms" if v >= 1000 else f"{v:.0f} us"


def markdown(R):
    m = R["machine"]
    L = []
    L.append(f"## Suite run {R['date'][:10]} (commit {R['commit']}, SIZE={R['size_label']})\n")
    L.append(f"`make bench` (bench/run.py; bench/README.md). Machine: {m['nproc']} cores, "
             f"{m['cpu']}, {m['mem_gib']} GiB, Linux {m['kernel']}; SQLite {m['sqlite']}, "
             f"libmicrohttpd {m['libmicrohttpd']}, {m['nginx']}, {m['wrk']}. wrk (-t2, "
             f"{R['dur_s']} s per figure, keep-alive) shares the cores with the server. CPU "
             f"busy before the run: {m['background_cpu_busy_pct']}% (load average "
             f"{' '.join(m['loadavg_start'])}); other work on the machine makes figures "
             f"vary. Server: `casebook serve --quiet` (thread per connection, "
             f"synchronous=FULL, group commit).\n")
    d, imp = R["dataset"], R["import"]
    L.append(f"**Data set**: {d['tickets']:,} tickets ({d['open_tickets']:,} open, "
             f"{d['breached_open']:,} breached, {d['at_risk_open']:,} at risk), "
             f"{d['events']:,} events, {d['accounts']:,} accounts of three tiers, "
             f"{d['users']:,} users, 5 SLA policies on 3 calendars; database "
             f"{d['db_mb']:,} MB. **Import** through `POST /api/v1/import/tickets`: "
             f"{imp['imported']:,} tickets in {imp['seconds']} s = "
             f"**{imp['tickets_per_s']:,.0f} tickets/s** ({imp['failed']} failed); the "
             f"overdue SLA timers it left fired in {R['timers_after_import']['seconds']} s.\n")
    L.append("| operation | clients | req/s | p50 | p99 | errors | reference | ref req/s | ref p99 | ratio |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    ngx, sq = R.get("ref_nginx") or {}, R.get("ref_sqlite") or {}
    for name, _, _, _, what in ENDPOINTS:
        e = R["load"].get(name)
        if not e:
            continue
        for c in R["conns"]:
            r = e[c]
            ref, rname = None, ""
            if name == "create":
                ref, rname = sq.get(c), "raw SQLite"
            elif name in ("get", "list", "all_open", "at_risk", "breached", "search", "kpis"):
                ref, rname = ngx.get(c), "nginx"
            elif name == "reply":
                ref, rname = sq.get(c), "raw SQLite"
            if not r["requests"]:
                L.append(f"| {what} | {c} | 0 | none answered within the {R['dur_s']} s run | | "
                         f"{r['errors']} | {rname} | | | |")
                continue
            rr = f"{ref['rps']:,.0f}" if ref else "-"
            rp = us(ref["p99_us"]) if ref else "-"
            ratio = f"{r['rps'] / ref['rps']:.2f}" if ref and ref["rps"] else "-"
            L.append(f"| {what} | {c} | {r['rps']:,.0f} | {us(r['p50_us'])} | {us(r['p99_us'])} | "
                     f"{r['errors']} | {rname} | {rr} | {rp} | {ratio} |")
    L.append("")
    lp = R.get("load_pool")
    if lp:
        L.append(f"Same reads with `--threads {lp['threads']}` (an epoll pool; a reader "
                 f"connection per pool thread instead of one per HTTP connection; peak RSS "
                 f"{R['rss_pool_kib']['VmHWM'] / 1024:.0f} MiB):\n")
        L.append("| operation | clients | req/s | p50 | p99 | errors | vs nginx |")
        L.append("|---|---|---|---|---|---|---|")
        for name in ("get", "list"):
            for c in R["conns"]:
                r = lp[name][c]
                ref = ngx.get(c)
                ratio = f"{r['rps'] / ref['rps']:.2f}" if ref and ref["rps"] else "-"
                L.append(f"| {lp[name]['what']} | {c} | {r['rps']:,.0f} | {us(r['p50_us'])} | "
                         f"{us(r['p99_us'])} | {r['errors']} | {ratio} |")
        L.append("")
    L.append("References: nginx returns a 57-byte fixed JSON (`return 200`, "
             f"{m['nproc']} workers); raw SQLite (bench/sqlite_ref.c) inserts a ticket row and "
             "its event row per create into a copy of the same database, synchronous=FULL, "
             "one transaction per create at 1 client and the group commit of src/store/db.c "
             "(a SAVEPOINT per create, one COMMIT per batch) at 8 and 64; mean batch "
             + ", ".join(f"{sq[c]['mean_batch']} at {c}" for c in R["conns"] if c in sq)
             + ". The reply rows use the same storage reference (a comment is one event row "
             "plus the ticket row update).\n")
    st = R["startup"]
    L.append(f"**Start-up** with {d['tickets']:,} tickets (exec to 200 on /healthz, "
             f"{len(st['runs_ms'])} runs): median {st['median_ms']} ms (runs: "
             f"{', '.join(str(x) for x in st['runs_ms'])}). **Peak RSS** (VmHWM) after the "
             f"whole load: {R['rss_after_load_kib']['VmHWM'] / 1024:.0f} MiB "
             f"({R['rss_after_start_kib']['VmHWM'] / 1024:.0f} MiB after start-up)"
             + (f"; sampled every 0.25 s, peak anonymous memory "
                f"{R['rss_after_load_kib']['peak_RssAnon'] / 1024:.0f} MiB and peak file-backed "
                f"(the memory-mapped database, counted once per reader mapping) "
                f"{R['rss_after_load_kib']['peak_RssFile'] / 1024:.0f} MiB"
                if "peak_RssAnon" in R["rss_after_load_kib"] else "") + ".\n")
    big = R.get("big") or {}
    rf = R.get("refold") or big.get("refold")
    if big and not big.get("same_as_main"):
        bd, bi = big["dataset"], big["import"]
        if big["path"] == "cli":
            how = (f"Built with `casebook import` (the CLI path of the same importer): "
                   f"{bi['imported']:,} tickets in {bi['seconds']} s = "
                   f"{bi['tickets_per_s']:,.0f} tickets/s")
        else:
            how = (f"Built by the fast path (BIG_PATH=copy): {bi['path']}, "
                   f"{bi['rows_copied']:,} rows in {bi['seconds']} s; importing "
                   f"{bd['tickets']:,} tickets at the import rate above would take "
                   f"{bd['tickets'] / max(1, R['import']['tickets_per_s']) / 60:.0f} min")
        if big["path"] != "cli" and any(t.startswith("search") for t in bi.get("not_copied", [])):
            how += " (the full-text search index is not copied: it covers the first copy)"
        L.append(f"**SLA at {bd['tickets']:,} tickets** (issue 3). {how}; "
                 f"{bd['open_tickets']:,} open, "
                 f"{bd['breached_open']:,} breached, {bd['at_risk_open']:,} at risk; "
                 f"database {bd['db_mb']:,} MB; the overdue timers took "
                 f"{big['timers_after_import']['seconds']} s to fire after start. Start-up "
                 f"median {big['startup']['median_ms']} ms (runs: "
                 f"{', '.join(str(x) for x in big['startup']['runs_ms'])}).\n")
        L.append("| queue (first page, 50) | clients | req/s | p50 | p99 | errors |")
        L.append("|---|---|---|---|---|---|")
        for name in ("at_risk", "breached", "all_open"):
            e = big["load"].get(name)
            for c in R["conns"]:
                r = e[c]
                if not r["requests"]:
                    L.append(f"| {e['what']} | {c} | 0 | none answered within the {R['dur_s']} s run "
                             f"| | {r['errors']} |")
                    continue
                L.append(f"| {e['what']} | {c} | {r['rps']:,.0f} | {us(r['p50_us'])} | "
                         f"{us(r['p99_us'])} | {r['errors']} |")
        L.append("")
    if rf:
        L.append(f"**Re-fold** after a policy change (a policy matching every ticket is "
                 f"created, then its targets PATCHed; timed from the PATCH until "
                 f"`casebook_jobs_pending"
                 f"{{kind=\"sla.refold\"}}` is 0, polled every 0.1 s): "
                 f"{rf['open_tickets']:,} open tickets in {rf['patch_target']['seconds']} s = "
                 f"**{rf['patch_target']['tickets_per_s']:,.0f} tickets/s**.\n")
    L.append(targets_text(R))
    if R.get("perf"):
        L.append("**Server profile** under load (perf, 64 clients, top symbols):\n")
        for k, top in R["perf"].items():
            if top:
                L.append(f"- {k}: " + ", ".join(f"{t['sym']} ({t['dso']}) {t['pct']}%"
                                                for t in top[:8]))
        L.append("")
    return "\n".join(L) + "\n"


def targets_text(R):
    ld = R["load"]
    cmax = max(R["conns"])
    sq, ngx = R.get("ref_sqlite") or {}, R.get("ref_nginx") or {}
    cr, gt = ld["create"][cmax], ld["get"][cmax]
    out = ["**Against the targets of issue 4**:\n"]
    def mark(ok):
        return "met" if ok else "**not met**"
    if cmax in sq:
        ratio = cr["rps"] / sq[cmax]["rps"]
        out.append(f"- create >= 5,000/s durable: {cr['rps']:,.0f}/s at {cmax} clients, "
                   f"{mark(cr['rps'] >= 5000)}; >= 50% of raw SQLite: {ratio:.0%} "
                   f"({sq[cmax]['rps']:,.0f}/s), {mark(ratio >= 0.5)}.")
    if cmax in ngx:
        best = max(ld["get"][c]["rps"] for c in R["conns"])
        ratio = gt["rps"] / ngx[cmax]["rps"]
        out.append(f"- get >= 30,000/s: {gt['rps']:,.0f}/s at {cmax} clients (best "
                   f"{best:,.0f}), {mark(gt['rps'] >= 30000)}; >= 40% of nginx: {ratio:.0%} "
                   f"({ngx[cmax]['rps']:,.0f}/s), {mark(ratio >= 0.4)}.")
    reads = [(n, ld[n][cmax]["p99_us"]) for n in ("get", "list", "all_open", "at_risk", "breached",
                                                   "search", "kpis") if n in ld]
    worst = max(reads, key=lambda x: x[1])
    out.append(f"- read p99 < 5 ms at {cmax} clients: "
               + ", ".join(f"{n} {us(v)}" for n, v in reads)
               + f"; {mark(worst[1] < 5000)}.")
    big = R.get("big") or {}
    if big.get("startup"):
        s = big["startup"]["median_ms"]
        out.append(f"- start-up < 100 ms with {big['dataset']['tickets']:,} tickets: median "
                   f"{s} ms, {mark(s < 100)}.")
    else:
        s = R["startup"]["median_ms"]
        out.append(f"- start-up < 100 ms (measured with {R['dataset']['tickets']:,} tickets): "
                   f"median {s} ms.")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    try:
        main()
    finally:
        kill_all()
