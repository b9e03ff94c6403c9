"""Everything at once: writers, readers and every background thread of the
server working on the same instance at the same time, and nothing lost,
doubled or reported by a sanitizer.

The instance is restored from a backup just before the load, so the search
indexer starts with every ticket and article to index; during the load
writers create, comment on (publicly: the mail sender delivers to a local
SMTP sink) and PATCH tickets, import tickets whose SLA timers are already
overdue (the job scheduler fires them) and change the SLA policy (a
background re-fold); mail arrives over LMTP (the listener's connection
threads) and in an IMAP mailbox (the poller); readers list, queue, search,
read tickets and reports, a scraper reads /metrics (the counters every
thread updates), and a customer views articles (the activity flusher writes
them). Every client runs a fixed number of operations. Afterwards every acknowledged write is there as acknowledged,
every public reply was mailed exactly once, every overdue timer fired, every
inbound mail became one ticket, every article view was counted and every
restored ticket is found by search.

This is one of the concurrent tests that `make check-tsan` runs against the
ThreadSanitizer build (the server's stderr must have no report: lib.Server)."""
import datetime as dt
import json
import os
import shutil
import smtplib
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse

from imap_sink import ImapSink
from lib import BIN, Server, concurrent
from smtp_sink import SmtpSink
from test_mail import msg

RESTORED = 600      # tickets the indexer has to index after the restore
WRITERS = 6
WRITES_EACH = 18    # operations per writer
IMPORTS = 4         # batches of overdue tickets
IMPORT_BATCH = 5
READERS = 4
READS_EACH = 30
VIEWS = 15          # article views by the customer
SCRAPES = 40        # /metrics scrapes
MAILS = 6           # messages over LMTP, and as many in the IMAP mailbox


def word(i):
    """A search word unique to restored ticket i (letters only: no stemming
    or number tokenizing surprises)."""
    w = ""
    for _ in range(3):
        w += chr(ord("a") + i % 26)
        i //= 26
    return "zq" + w


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def wait_for(fn, what, timeout=60):
    end = time.time() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def token(s, email):
    r = s.post("/api/v1/tokens", {"user": email})
    assert r.status == 201, r
    return r.json["token"]


def ndjson(lines):
    return "".join(json.dumps(line) + "\n" for line in lines)


def free_port():
    so = socket.socket()
    so.bind(("127.0.0.1", 0))
    port = so.getsockname()[1]
    so.close()
    return port


def prepare(s, sink, box):
    """Directory, SLA policy, mail settings, articles and RESTORED tickets."""
    assert s.post("/api/v1/accounts", {"name": "acme", "tier": "enterprise",
                                       "domains": ["acme.test"]}).status == 201
    for email, role in (("agent1@support.test", "agent"), ("alice@acme.test", "customer")):
        body = {"email": email, "role": role}
        if role == "customer":
            body["account"] = "acme"
        assert s.post("/api/v1/users", body).status == 201, email
    r = s.post("/api/v1/sla-policies", {"name": "hour", "position": 1, "calendar": "24x7",
                                        "targets": {"first_response": 60}})
    assert r.status == 201, r
    policy = r.json["id"]
    r = s.request("PUT", "/api/v1/mail/settings",
                  body={"from": "support@casebook.test", "smtp_url": sink.url(),
                        "retry_base_ms": 100, "base_url": f"http://127.0.0.1:{s.port}",
                        "imap_url": box.url(), "imap_user": "support",
                        "imap_password": "s3cret", "imap_interval_s": 1})
    assert r.status == 200 and r.json["enabled"] is True, r
    articles = []
    for i in range(3):
        r = s.post("/api/v1/articles", {"type": "kb", "title": f"Printer guide {i}",
                                        "body": "Open tray two", "visibility": "public",
                                        "state": "published"})
        assert r.status == 201, r
        articles.append(r.json["id"])
    now = dt.datetime.now(dt.timezone.utc)
    lines = [{"external_id": f"R-{i}", "subject": f"restored {word(i)}", "account": "acme",
              "requester": "alice@acme.test", "created_at": iso(now - dt.timedelta(minutes=5)),
              "events": []} for i in range(RESTORED)]
    r = s.post("/api/v1/import/tickets", raw=ndjson(lines), content_type="application/x-ndjson")
    assert r.status == 200 and r.json["imported"] == RESTORED, r
    return policy, articles


class Ledger:
    def __init__(self):
        self.lock = threading.Lock()
        self.tickets = {}     # id -> last acknowledged ticket
        self.public = {}      # comment body -> ticket id (each one mailed)
        self.overdue = []     # ids of imported tickets with overdue timers
        self.views = 0        # acknowledged article views
        self.errors = []      # answers that were not the expected ones

    def check(self, what, r, status):
        if r.status != status:
            with self.lock:
                self.errors.append((what, r.status, r.body[:300]))
            return False
        return True


def writer(s, led, n, agent):
    mine = []
    for i in range(WRITES_EACH):
        if i % 3 == 0 or not mine:
            r = s.post("/api/v1/tickets", {"subject": f"load w{n} #{i}", "description": "x",
                                           "requester": "alice@acme.test", "priority": "P3"})
            if led.check("create", r, 201):
                mine.append(r.json["id"])
                with led.lock:
                    led.tickets[r.json["id"]] = r.json
        elif i % 3 == 1:
            tid = mine[i % len(mine)]
            body = f"public reply w{n}x{i}end"
            r = s.post(f"/api/v1/tickets/{tid}/comments", {"body": body}, token=agent)
            if led.check("comment", r, 201):
                with led.lock:
                    led.public[body] = tid
        else:
            tid = mine[i % len(mine)]
            r = s.patch(f"/api/v1/tickets/{tid}", {"priority": ["P1", "P2", "P4"][i % 3],
                                                   "tags": [f"w{n}", f"i{i}"]})
            if led.check("patch", r, 200):
                with led.lock:
                    led.tickets[tid] = r.json


def importer(s, led, policy):
    created = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2)
    for b in range(IMPORTS):
        lines = [{"external_id": f"OLD-{b}-{i}", "subject": f"overdue {b}/{i}", "account": "acme",
                  "requester": "alice@acme.test", "created_at": iso(created), "events": []}
                 for i in range(IMPORT_BATCH)]
        r = s.post("/api/v1/import/tickets", raw=ndjson(lines),
                   content_type="application/x-ndjson")
        if led.check("import", r, 200):
            with led.lock:
                led.overdue += [x["id"] for x in r.json["results"]]
        if b == 1:  # a policy change re-folds every ticket in the background
            r = s.patch(f"/api/v1/sla-policies/{policy}",
                        {"targets": {"first_response": 60, "resolution": 6000}})
            led.check("policy", r, 200)


def reader(s, led, n, agent):
    paths = ["/api/v1/tickets?limit=50", "/api/v1/views/all_open/tickets",
             "/api/v1/views/breached/tickets", "/api/v1/views/at_risk/tickets",
             "/api/v1/search?" + urllib.parse.urlencode({"q": "restored"}),
             "/api/v1/search?" + urllib.parse.urlencode({"q": "reply"}),
             "/api/v1/reports/backlog", "/api/v1/mail/outbox", "/metrics"]
    for i in range(READS_EACH):
        path = paths[(n + i) % len(paths)]
        tok = {"/metrics": None, "/api/v1/mail/outbox": "default"}.get(path, agent)
        led.check(path, s.get(path, token=tok), 200)
        with led.lock:
            some = list(led.tickets)[-1:] or None
        if some:
            led.check("get", s.get(f"/api/v1/tickets/{some[0]}", token=agent), 200)


def monitor(s, led, writers):
    """A scraper of /metrics, which reads the counters every thread updates:
    SCRAPES times, and on as long as a writer is still writing."""
    n = 0
    while n < SCRAPES or any(t.is_alive() for t in writers):
        led.check("/metrics", s.get("/metrics", token=None), 200)
        n += 1


def customer(s, led, alice, articles):
    for i in range(VIEWS):
        if led.check("article", s.get(f"/api/v1/articles/{articles[i % len(articles)]}",
                                      token=alice), 200):
            with led.lock:
                led.views += 1
        led.check("portal", s.get("/api/v1/tickets?limit=20", token=alice), 200)


def mailer(led, box, lmtp_port):
    """MAILS messages over LMTP, one connection each, and as many into the
    IMAP mailbox, interleaved."""
    for i in range(MAILS):
        box.add(msg("Ann <ann@acme.test>", f"by imap {i}", "Disk full.", f"imap{i}@acme.test"))
        try:
            c = smtplib.LMTP("127.0.0.1", lmtp_port)
            refused = c.sendmail("kim@acme.test", ["support@casebook.test"],
                                 msg("kim@acme.test", f"by lmtp {i}", "hello", f"lmtp{i}@acme.test"))
            c.quit()
            if refused:
                raise AssertionError(refused)
        except Exception as e:
            with led.lock:
                led.errors.append(("lmtp", repr(e)))


def search_ids(s, q):
    r = s.get("/api/v1/search?" + urllib.parse.urlencode({"q": q, "type": "ticket"}))
    assert r.status == 200, r
    return [it["id"] for it in r.json["items"]]


def verify(s, led, sink, box, articles):
    assert not led.errors, led.errors[:5]
    # every acknowledged write, as acknowledged
    for tid, t in led.tickets.items():
        got = s.get(f"/api/v1/tickets/{tid}").json
        for k in ("subject", "priority", "tags"):  # status: a public reply opens it
            assert got[k] == t[k], (tid, k, got[k], t[k])
    # every public reply mailed once (after the outbox drained)
    wait_for(lambda: not s.get("/api/v1/mail/outbox?state=queued").json["items"],
             "the outbox to drain")
    with led.lock:
        bodies = dict(led.public)
    sent = [m["data"].decode("utf-8", "replace") for m in sink.messages]
    for body in bodies:
        n = sum(body in m for m in sent)
        assert n == 1, f"public reply {body!r} mailed {n} times"
    # every overdue timer fired: at risk and breached, once each
    assert len(led.overdue) == IMPORTS * IMPORT_BATCH, led.overdue

    def fired(tid):
        ev = s.get(f"/api/v1/tickets/{tid}/events?limit=500").json["items"]
        return sorted(e["data"]["kind"] for e in ev if e["type"] == "sla")

    for tid in led.overdue:
        kinds = wait_for(lambda: fired(tid) if "breached" in fired(tid) else None,
                         f"the breach of ticket {tid}")
        assert kinds == ["at_risk", "breached"], (tid, kinds)
    # every inbound mail became one ticket, every IMAP message taken
    wait_for(lambda: all(m["seen"] for m in box.messages), "the IMAP messages to be taken")
    subjects = [t["subject"] for t in all_tickets(s)]
    for i in range(MAILS):
        for via in ("imap", "lmtp"):
            n = subjects.count(f"by {via} {i}")
            assert n == 1, f"mail {i} by {via}: {n} tickets"
    # every customer view counted (reading the stats flushes the activity)
    views = sum(s.get(f"/api/v1/articles/{a}/stats").json["views"] for a in articles)
    assert views == led.views, (views, led.views)
    # the indexer finished: every restored ticket is found by its word
    restored = {t["external_id"]: t["id"] for t in all_tickets(s)
                if (t.get("external_id") or "").startswith("R-")}
    assert len(restored) == RESTORED, len(restored)
    for i in list(range(0, RESTORED, 37)) + [RESTORED - 1]:
        ids = wait_for(lambda: search_ids(s, word(i)), f"restored ticket {i} in search")
        assert ids == [restored[f"R-{i}"]], (i, ids)


def all_tickets(s):
    out, cursor = [], None
    while True:
        r = s.get("/api/v1/tickets?limit=500" + (f"&cursor={cursor}" if cursor else "")).json
        out += r["items"]
        cursor = r["next_cursor"]
        if not cursor:
            return out


@concurrent
def test_writers_readers_and_background_jobs_together():
    sink = SmtpSink().start()
    box = ImapSink().start()
    a = Server()
    a.own_dir = False
    bkdir = tempfile.mkdtemp(prefix="cb-conc-")
    b = None
    try:
        with a:
            policy, articles = prepare(a, sink, box)
        bk = os.path.join(bkdir, "backup.db")
        out = subprocess.run([BIN, "backup", "--data", a.dir, bk], capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        d2 = os.path.join(bkdir, "restored")
        out = subprocess.run([BIN, "restore", "--data", d2, bk], capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        lmtp_port = free_port()
        b = Server(data_dir=d2, init=False, extra_args=["--lmtp", f"127.0.0.1:{lmtp_port}"])
        b.token = a.token
        with b:
            agent, alice = token(b, "agent1@support.test"), token(b, "alice@acme.test")
            led = Ledger()
            threads = [threading.Thread(target=writer, args=(b, led, n, agent))
                       for n in range(WRITERS)]
            threads += [threading.Thread(target=reader, args=(b, led, n, agent))
                        for n in range(READERS)]
            threads.append(threading.Thread(target=importer, args=(b, led, policy)))
            threads.append(threading.Thread(target=customer, args=(b, led, alice, articles)))
            threads.append(threading.Thread(target=mailer, args=(led, box, lmtp_port)))
            threads.append(threading.Thread(target=monitor, args=(b, led, threads[:WRITERS])))
            t0 = time.time()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            load = time.time() - t0
            verify(b, led, sink, box, articles)
            print(f"  concurrency: {len(led.tickets)} tickets written, {len(led.public)} replies"
                  f" mailed, {len(led.overdue)} overdue timers fired, {2 * MAILS} mails in,"
                  f" {led.views} views,"
                  f" {RESTORED} restored tickets indexed; load {load:.1f}s")
    finally:
        sink.stop()
        box.stop()
        shutil.rmtree(a.dir, ignore_errors=True)
        shutil.rmtree(bkdir, ignore_errors=True)
