"""Crash safety: a concurrent write load against the real server, SIGKILL at
a random moment, restart, and check that nothing acknowledged is lost and
nothing half-written is visible. Several rounds on the same data directory,
so every restart also re-checks what earlier rounds acknowledged.

Each client thread owns the tickets it creates and writes them one request
at a time (create, internal comment, PATCH of priority/tags/custom_fields),
so for every ticket the test knows the last acknowledged state and at most
one write in flight when the server died (which may or may not have
committed: both outcomes are accepted, anything else is not).

The kill moments and every client's sequence of operations come from one
seed, printed; CRASH_SEED=N reproduces them (thread timing still varies)."""
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from lib import BIN, Server, concurrent

SEED = int(os.environ.get("CRASH_SEED", "20250611"))
ROUNDS = int(os.environ.get("CRASH_ROUNDS", "5"))
CLIENTS = 16
KILL_WINDOW = (0.3, 1.5)  # seconds after the load starts
PRIORITIES = ["P1", "P2", "P3", "P4"]
STATE_KEYS = ("subject", "description", "priority", "tags", "custom_fields", "status",
              "created_at")


class Ledger:
    """What the clients were told (acknowledged) and what they attempted."""

    def __init__(self):
        self.lock = threading.Lock()
        self.tickets = {}        # id -> {"acked": state, "pending": state or None, "round": r}
        self.subjects = set()    # every subject ever sent (acknowledged or not)
        self.maybe_subjects = set()  # creates in flight at a kill
        self.comments = {}       # comment id -> (ticket id, body)
        self.maybe_comments = set()  # (ticket id, body) in flight at a kill
        self.bodies = set()      # every comment body ever sent
        self.errors = []         # non-2xx answers (none expected)
        self.acks = 0


def state_of(t):
    return {k: t[k] for k in STATE_KEYS}


def client(s, ledger, rnd, n, rng, stop):
    try:
        _client(s, ledger, rnd, n, rng, stop)
    except Exception as e:  # an assertion on an answer: report it, do not hide it
        ledger.errors.append(("client", repr(e)))


def _client(s, ledger, rnd, n, rng, stop):
    mine = []   # ids of my acknowledged tickets
    i = 0
    while not stop.is_set():
        i += 1
        op = rng.random()
        if op < 0.4 or not mine:
            subject = f"crash r{rnd} c{n} #{i} {rng.getrandbits(32):08x}"
            body = {"subject": subject, "description": f"desc of {subject}",
                    "priority": rng.choice(PRIORITIES), "tags": [f"t{i}", f"c{n}"],
                    "custom_fields": {"v": i}}
            with ledger.lock:
                ledger.subjects.add(subject)
            try:
                r = s.post("/api/v1/tickets", body)
            except Exception:
                with ledger.lock:
                    ledger.maybe_subjects.add(subject)
                return
            if r.status != 201:
                ledger.errors.append(("create", r.status, r.body[:200]))
                return
            t = r.json
            assert t["status"] == "new" and t["subject"] == subject, t
            with ledger.lock:
                ledger.tickets[t["id"]] = {"acked": state_of(t), "pending": None, "round": rnd}
                ledger.acks += 1
            mine.append(t["id"])
        elif op < 0.7:
            tid = rng.choice(mine)
            text = f"note r{rnd} c{n} #{i} {rng.getrandbits(32):08x}"
            with ledger.lock:
                ledger.bodies.add(text)
            try:
                r = s.post(f"/api/v1/tickets/{tid}/comments", {"body": text, "public": False})
            except Exception:
                with ledger.lock:
                    ledger.maybe_comments.add((tid, text))
                return
            if r.status != 201:
                ledger.errors.append(("comment", r.status, r.body[:200]))
                return
            c = r.json
            assert c["ticket_id"] == tid and c["data"]["body"] == text, c
            with ledger.lock:
                ledger.comments[c["id"]] = (tid, text)
                ledger.acks += 1
        else:
            tid = rng.choice(mine)
            patch = {"priority": rng.choice(PRIORITIES), "tags": [f"p{i}"],
                     "custom_fields": {"v": 1000 + i}}
            with ledger.lock:
                rec = ledger.tickets[tid]
                rec["pending"] = dict(rec["acked"], **patch)
            try:
                r = s.patch(f"/api/v1/tickets/{tid}", patch)
            except Exception:
                return  # rec["pending"] stays: it may or may not have committed
            if r.status != 200:
                ledger.errors.append(("patch", r.status, r.body[:200]))
                return
            t = r.json
            assert {k: t[k] for k in patch} == patch, (t, patch)
            with ledger.lock:
                rec["acked"], rec["pending"] = state_of(t), None
                ledger.acks += 1


def all_tickets(s):
    out, cursor = {}, None
    while True:
        r = s.get("/api/v1/tickets?limit=500" + (f"&cursor={cursor}" if cursor else ""))
        assert r.status == 200, r
        for t in r.json["items"]:
            out[t["id"]] = t
        cursor = r.json["next_cursor"]
        if not cursor:
            return out


def exported_comments(s):
    """(ticket id, body) -> count, from one export of every ticket."""
    r = s.get("/api/v1/export/tickets")
    assert r.status == 200, r
    seen = {}
    for line in r.body.splitlines():
        if not line.strip():
            continue
        t = json.loads(line)
        tid = int(t["external_id"].split("-", 1)[1])
        for e in t["events"]:
            if e["type"] == "comment":
                seen[(tid, e["body"])] = seen.get((tid, e["body"]), 0) + 1
    return seen


def verify(s, ledger, last_round):
    """Everything acknowledged is there and intact; nothing unknown is."""
    got = all_tickets(s)
    # every ticket is one we sent, and every acknowledged one is present as
    # acknowledged (or with its single in-flight PATCH applied)
    for tid, t in got.items():
        assert t["subject"] in ledger.subjects, f"unknown ticket {tid}: {t['subject']!r}"
    for tid, rec in ledger.tickets.items():
        assert tid in got, f"acknowledged ticket {tid} lost"
        now = state_of(got[tid])
        ok = [rec["acked"]] + ([rec["pending"]] if rec["pending"] else [])
        assert now in ok, f"ticket {tid} is {now}, acknowledged {rec['acked']}" \
                          f" (in flight: {rec['pending']})"
    acked_subjects = {rec["acked"]["subject"] for rec in ledger.tickets.values()}
    extra = {t["subject"] for t in got.values()} - acked_subjects
    assert extra <= ledger.maybe_subjects, f"tickets never acknowledged nor in flight: {extra}"
    # every acknowledged comment exactly once on its ticket, nothing unknown
    seen = exported_comments(s)
    for cid, (tid, body) in ledger.comments.items():
        assert seen.get((tid, body)) == 1, f"comment {cid} on {tid} lost or doubled: {body!r}"
    acked_pairs = set(ledger.comments.values())
    for (tid, body), k in seen.items():
        assert body in ledger.bodies, f"unknown comment on ticket {tid}: {body!r}"
        assert k == 1 and ((tid, body) in acked_pairs or (tid, body) in ledger.maybe_comments), \
            f"comment on {tid} never acknowledged nor in flight: {body!r} x{k}"
    # the last round's comments also by id, through the timeline endpoint
    recent = sorted({tid for cid, (tid, _) in ledger.comments.items()
                     if ledger.tickets[tid]["round"] == last_round})
    want = {}
    for cid, (tid, body) in ledger.comments.items():
        want.setdefault(tid, {})[cid] = body

    def timeline(tid):
        r = s.get(f"/api/v1/tickets/{tid}/events?limit=500")
        assert r.status == 200, r
        return tid, r.json["items"]

    with ThreadPoolExecutor(8) as ex:
        for tid, ev in ex.map(timeline, recent):
            assert ev and ev[0]["type"] == "created", f"ticket {tid} has no created event first"
            by_id = {e["id"]: e["data"].get("body") for e in ev if e["type"] == "comment"}
            for cid, body in want.get(tid, {}).items():
                assert by_id.get(cid) == body, f"comment {cid} on {tid}: {by_id.get(cid)!r}"
    return len(got)


def check_offline(data_dir):
    """`casebook check` on the stopped instance: integrity and every fold."""
    c = subprocess.run([BIN, "check", "--data", data_dir], capture_output=True, text=True,
                       timeout=120)
    assert c.returncode == 0, c.stdout + c.stderr
    assert "integrity ok" in c.stdout and " 0 differ" in c.stdout, c.stdout
    db = sqlite3.connect(os.path.join(data_dir, "casebook.db"))
    try:
        (bad,) = db.execute(
            "SELECT count(*) FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM events e"
            " WHERE e.ticket_id = t.id AND e.seq = 1 AND e.type = 'created')").fetchone()
        (orphans,) = db.execute(
            "SELECT count(*) FROM events e WHERE NOT EXISTS"
            " (SELECT 1 FROM tickets t WHERE t.id = e.ticket_id)").fetchone()
    finally:
        db.close()
    assert bad == 0 and orphans == 0, f"{bad} tickets without created event, {orphans} orphans"
    return c.stdout.strip().splitlines()[-1]


@concurrent
def test_sigkill_under_write_load_loses_nothing_acknowledged():
    print(f"  crash: seed {SEED} (CRASH_SEED={SEED} to reproduce), {ROUNDS} rounds,"
          f" {CLIENTS} clients")
    rng = random.Random(SEED)
    ledger = Ledger()
    s = Server()
    t_start = time.time()
    try:
        for rnd in range(ROUNDS):
            s.start()
            n_before = verify(s, ledger, rnd - 1)
            stop = threading.Event()
            threads = [threading.Thread(target=client,
                                        args=(s, ledger, rnd, n,
                                              random.Random(f"{SEED}/{rnd}/{n}"), stop))
                       for n in range(CLIENTS)]
            acks0 = ledger.acks
            for t in threads:
                t.start()
            delay = rng.uniform(*KILL_WINDOW)
            time.sleep(delay)
            s.stop(signal.SIGKILL)
            stop.set()
            for t in threads:
                t.join(timeout=60)
                assert not t.is_alive(), "a client hung after the kill"
            assert not ledger.errors, ledger.errors[:5]
            summary = check_offline(s.dir)
            print(f"  crash round {rnd}: killed after {delay:.3f}s, {ledger.acks - acks0} writes"
                  f" acknowledged ({n_before} tickets before); check: {summary}")
        s.start()
        n = verify(s, ledger, ROUNDS - 1)
        assert s.stop() == 0, s.read_log()[-2000:]
        check_offline(s.dir)
        print(f"  crash: {ledger.acks} acknowledged writes, {n} tickets, all present and intact"
              f" ({time.time() - t_start:.1f}s)")
        assert ledger.acks >= 50, f"too little load to mean anything: {ledger.acks} writes"
    finally:
        if s.proc:
            s.stop(signal.SIGKILL)
    shutil.rmtree(s.dir, ignore_errors=True)
