"""The job system (src/jobs/, docs/architecture.md "Background jobs") through
the real server: a timer job claimed by a process that died is taken over
once its lease has run out, one held under a live lease by another process
is left to it; /metrics shows every kind (pending, running, run, failed,
the age of the oldest pending job) and passes promtool."""
import datetime as dt
import json
import os
import re
import sqlite3
import subprocess
import time

from lib import BIN, Server
from test_sla_config import iso, metric, now_s, people, timeline_sla, wait_for

KINDS = ["sla.at_risk", "sla.breached", "sla.refold", "incident.update_due", "mail.outbox",
         "mail.imap_poll", "search.index", "portal.flush"]


def gauge(body, name, kind):
    m = re.search(r'^%s\{kind="%s"\} ([0-9.]+)$' % (re.escape(name), re.escape(kind)), body, re.M)
    assert m, f"{name}{{kind={kind}}} missing from /metrics"
    return float(m.group(1))


def test_claims_of_dead_and_live_processes():
    with Server() as s:
        people(s)
        assert s.post("/api/v1/sla-policies", {"name": "hour", "position": 1, "calendar": "24x7",
                                               "targets": {"first_response": 60}}).status == 201
        wait_for(lambda: metric(s, "casebook_jobs_pending", "sla.refold") == 0, 10, "the re-fold")
        assert s.stop() == 0
        # two tickets imported while the server is down: each at-risk timer is
        # overdue (45 minutes), the breach 10 minutes away
        created = now_s() - dt.timedelta(minutes=50)
        path = os.path.join(s.dir, "two.ndjson")
        with open(path, "w") as f:
            for ext in ("DEAD-1", "LIVE-1"):
                f.write(json.dumps({"external_id": ext, "subject": ext, "account": "acme",
                                    "requester": "alice@acme.test", "created_at": iso(created),
                                    "events": []}) + "\n")
        out = subprocess.run([BIN, "import", "--data", s.dir, path], capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        con = sqlite3.connect(os.path.join(s.dir, "casebook.db"))
        try:
            ids = dict(con.execute("SELECT external_id, id FROM tickets").fetchall())
            now_ms = int(time.time() * 1000)
            # DEAD-1's timer was claimed by a process that died a while ago
            # (its lease is over); LIVE-1's by a process still at work on it
            con.execute("UPDATE jobs SET claimed_by = 'dead-node:1:0', lease_until = ?"
                        " WHERE kind = 'sla.at_risk' AND ticket_id = ?",
                        (now_ms - 1000, ids["DEAD-1"]))
            con.execute("UPDATE jobs SET claimed_by = 'live-node:1:0', lease_until = ?"
                        " WHERE kind = 'sla.at_risk' AND ticket_id = ?",
                        (now_ms + 3600 * 1000, ids["LIVE-1"]))
            con.commit()
        finally:
            con.close()

        s.start()
        ev = wait_for(lambda: timeline_sla(s, ids["DEAD-1"]), 10, "the taken-over at-risk timer")
        assert [(e["data"]["kind"], e["at"]) for e in ev] == \
            [("at_risk", iso(created + dt.timedelta(minutes=45)))]
        # counted once its transaction committed
        wait_for(lambda: metric(s, "casebook_jobs_run_total", "sla.at_risk") == 1, 10,
                 "the run counted")
        # the scheduler has run everything it could claim: the live claim
        # is still pending, untouched, and waiting since its due instant
        body = s.get("/metrics", token=None).body
        assert gauge(body, "casebook_jobs_pending", "sla.at_risk") == 1
        assert gauge(body, "casebook_jobs_oldest_pending_seconds", "sla.at_risk") >= 5 * 60 - 5
        assert gauge(body, "casebook_jobs_run_total", "sla.at_risk") == 1
        assert gauge(body, "casebook_jobs_pending", "sla.breached") == 2
        assert gauge(body, "casebook_jobs_oldest_pending_seconds", "sla.breached") == 0
        assert timeline_sla(s, ids["LIVE-1"]) == []
        con = sqlite3.connect(os.path.join(s.dir, "casebook.db"))
        try:
            rows = con.execute("SELECT ticket_id, claimed_by FROM jobs WHERE kind = 'sla.at_risk'"
                               ).fetchall()
            assert rows == [(ids["LIVE-1"], "live-node:1:0")], rows
        finally:
            con.close()


def test_metrics_name_every_kind_and_pass_promtool():
    with Server() as s:
        body = s.get("/metrics", token=None).body
        for name in ("casebook_jobs_pending", "casebook_jobs_running",
                     "casebook_jobs_run_total", "casebook_jobs_failed_total",
                     "casebook_jobs_oldest_pending_seconds"):
            assert f"# TYPE {name} " in body, name
            for kind in KINDS:
                gauge(body, name, kind)
        assert 'casebook_jobs_failed_total{kind="other"} 0' in body
        assert "casebook_sla_refolded_tickets_total 0" in body
        # the worker kinds ran their first turn at start-up
        wait_for(lambda: metric(s, "casebook_jobs_run_total", "mail.outbox") >= 1, 10,
                 "the outbox worker's first turn")
        r = subprocess.run(["promtool", "check", "metrics"], input=s.get("/metrics", token=None).body,
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, (r.stdout, r.stderr)
