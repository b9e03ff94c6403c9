"""Bulk import and export of tickets with their timelines (docs/openapi.yaml,
`ImportTicket`): the worked example of docs/metrics.md section 6 through the import and
read back through the API, per-line errors that write nothing of their
line, JSON array bodies, idempotent retries, the export format, the byte-
stable round trip between two instances, and the CLI commands."""
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile

from lib import BIN, Server, problem

NDJSON = "application/x-ndjson"

AGENTS = [("agent1@support.test", "agent"), ("agent2@support.test", "agent"),
          ("eng1@support.test", "engineer"), ("lead@support.test", "admin")]
CUSTOMERS = [("alice@acme.test", "acme"), ("bob@globex.test", "globex")]


def setup_directory(s):
    """The accounts, users and groups every test references."""
    for name, tier in (("acme", "enterprise"), ("globex", "business")):
        r = s.post("/api/v1/accounts", {"name": name, "tier": tier})
        assert r.status == 201, r
    ids = {}
    for email, role in AGENTS:
        r = s.post("/api/v1/users", {"email": email, "role": role})
        assert r.status == 201, r
        ids[email] = r.json["id"]
    for email, account in CUSTOMERS:
        r = s.post("/api/v1/users", {"email": email, "role": "customer", "account": account})
        assert r.status == 201, r
        ids[email] = r.json["id"]
    for name, members in (("tier2", ["agent2@support.test"]), ("engineering", ["eng1@support.test"])):
        r = s.post("/api/v1/groups", {"name": name, "members": members})
        assert r.status == 201, r
    return ids


def ndjson(lines):
    return "".join((l if isinstance(l, str) else json.dumps(l)) + "\n" for l in lines)


def do_import(s, lines, **kw):
    r = s.post("/api/v1/import/tickets", raw=ndjson(lines), content_type=NDJSON, **kw)
    assert r.status == 200, r
    assert r.header("Content-Type").startswith("application/json")
    return r.json


def by_external(s, ext):
    r = s.get(f"/api/v1/tickets?external_id={ext}")
    assert r.status == 200, r
    return r.json["items"]


def timeline(s, tid):
    items, cursor = [], None
    while True:
        r = s.get(f"/api/v1/tickets/{tid}/events?limit=500" + (f"&cursor={cursor}" if cursor else ""))
        assert r.status == 200, r
        items += r.json["items"]
        cursor = r.json["next_cursor"]
        if not cursor:
            return items


def export(s):
    r = s.get("/api/v1/export/tickets")
    assert r.status == 200, r
    assert r.header("Content-Type").startswith("application/x-ndjson"), r.headers
    return r.body


# ---- the worked example ----

WORKED = {
    "external_id": "H-1", "subject": "SSO login loop after enabling SAML",
    "description": "Users bounce between the IdP and the app.",
    "requester": "alice@acme.test", "account": "acme", "priority": "P2", "category": "sso",
    "tags": ["saml"], "created_at": "2026-03-06T21:30:00Z",
    "events": [
        {"at": "2026-03-10T13:10:00Z", "type": "comment", "author": "agent1@support.test",
         "public": True, "body": "Looking into it."},
        {"at": "2026-03-10T14:00:00Z", "type": "status", "status": "pending",
         "author": "agent1@support.test"},
        {"at": "2026-03-11T15:00:00Z", "type": "comment", "author": "alice@acme.test",
         "public": True, "body": "Still broken."},
        {"at": "2026-03-11T19:00:00Z", "type": "status", "status": "solved",
         "author": "agent1@support.test"},
        {"at": "2026-03-12T10:00:00Z", "type": "comment", "author": "alice@acme.test",
         "public": True, "body": "It came back."},
        {"at": "2026-03-12T10:05:00Z", "type": "priority", "priority": "P1",
         "author": "agent1@support.test"},
        {"at": "2026-03-12T10:06:00Z", "type": "assign", "assignee": "agent2@support.test",
         "group": "tier2", "author": "agent1@support.test"},
        {"at": "2026-03-12T11:00:00Z", "type": "escalation", "group": "engineering",
         "author": "agent2@support.test", "summary": "SAML assertion rejected"},
        {"at": "2026-03-12T11:30:00Z", "type": "escalation_ack", "author": "eng1@support.test"},
        {"at": "2026-03-12T12:00:00Z", "type": "escalation_accepted"},
        {"at": "2026-03-12T12:10:00Z", "type": "category", "category": "billing",
         "author": "agent2@support.test"},
        {"at": "2026-03-12T12:20:00Z", "type": "tags", "tags": ["saml", "okta"],
         "author": "agent2@support.test"},
        {"at": "2026-03-12T13:00:00Z", "type": "comment", "author": "agent2@support.test",
         "public": False, "body": "internal note"},
        {"at": "2026-03-13T09:00:00.250Z", "type": "status", "status": "solved",
         "author": "agent2@support.test"},
        {"at": "2026-03-13T10:00:00Z", "type": "csat", "score": 4, "comment": "thanks"},
        {"at": "2026-03-13T10:01:00Z", "type": "ces", "score": 3},
    ]}


def test_import_worked_example():
    with Server() as s:
        ids = setup_directory(s)
        out = do_import(s, [WORKED])
        assert out["imported"] == 1 and out["failed"] == 0, out
        res = out["results"]
        assert len(res) == 1 and res[0]["line"] == 1 and res[0]["external_id"] == "H-1"
        tid = res[0]["id"]
        assert isinstance(tid, int) and tid > 0
        [t] = by_external(s, "H-1")
        assert t["id"] == tid
        t = s.get(f"/api/v1/tickets/{tid}").json
        assert t["status"] == "solved" and t["priority"] == "P1", t
        assert t["assignee"]["email"] == "agent2@support.test"
        assert t["group"]["name"] == "tier2"
        assert t["category"] == "billing" and t["tags"] == ["saml", "okta"]
        assert t["account"]["name"] == "acme" and t["requester"]["email"] == "alice@acme.test"
        assert t["created_at"] == "2026-03-06T21:30:00Z"
        assert t["solved_at"] == "2026-03-13T09:00:00.250Z"
        assert t["updated_at"] == "2026-03-13T10:01:00Z"
        assert t["reopen_count"] == 1
        ev = timeline(s, tid)
        got = [(e["type"], e["at"]) for e in ev]
        assert got == [
            ("created", "2026-03-06T21:30:00Z"),
            ("comment", "2026-03-10T13:10:00Z"),
            ("status", "2026-03-10T13:10:00Z"),   # new -> open, automatic
            ("status", "2026-03-10T14:00:00Z"),   # pending
            ("comment", "2026-03-11T15:00:00Z"),
            ("status", "2026-03-11T15:00:00Z"),   # pending -> open, automatic
            ("status", "2026-03-11T19:00:00Z"),   # solved
            ("comment", "2026-03-12T10:00:00Z"),
            ("status", "2026-03-12T10:00:00Z"),   # reopen, automatic
            ("priority", "2026-03-12T10:05:00Z"),
            ("assign", "2026-03-12T10:06:00Z"),
            ("escalation", "2026-03-12T11:00:00Z"),
            ("escalation_ack", "2026-03-12T11:30:00Z"),
            ("escalation_accepted", "2026-03-12T12:00:00Z"),
            ("category", "2026-03-12T12:10:00Z"),
            ("tags", "2026-03-12T12:20:00Z"),
            ("comment", "2026-03-12T13:00:00Z"),
            ("status", "2026-03-13T09:00:00.250Z"),
            ("csat", "2026-03-13T10:00:00Z"),
            ("ces", "2026-03-13T10:01:00Z"),
        ], got
        st = [(e["data"]["from"], e["data"]["to"], e["data"].get("auto", False))
              for e in ev if e["type"] == "status"]
        assert st == [("new", "open", True), ("open", "pending", False),
                      ("pending", "open", True), ("open", "solved", False),
                      ("solved", "open", True), ("open", "solved", False)], st
        assert ev[1]["actor"]["email"] == "agent1@support.test"
        assert ev[1]["data"]["side"] == "agent" and ev[4]["data"]["side"] == "requester"
        assert ev[2]["actor"]["email"] == "agent1@support.test"
        assert ev[0]["actor"] is None  # the importer created it
        assert ev[9]["data"] == {"from": "P2", "to": "P1"}
        assert ev[10]["data"] == {"assignee": ids["agent2@support.test"], "group": ev[10]["data"]["group"]}
        assert ev[11]["data"]["summary"] == "SAML assertion rejected"
        assert ev[13]["actor"] is None
        assert ev[16]["data"]["public"] is False
        assert ev[18]["data"]["score"] == 4 and ev[18]["data"]["comment"] == "thanks"
        # the first public agent reply is the FRT instant of docs/metrics.md section 6
        first = next(e for e in ev if e["type"] == "comment" and e["data"]["side"] == "agent")
        assert first["at"] == "2026-03-10T13:10:00Z"


def test_import_assignment_opens_and_closed_is_final():
    with Server() as s:
        setup_directory(s)
        line = {"external_id": "A-1", "subject": "assigned at creation", "requester": "bob@globex.test",
                "assignee": "agent1@support.test", "created_at": "2026-01-05T08:00:00Z",
                "events": [
                    {"at": "2026-01-05T09:00:00Z", "type": "assign", "group": "tier2"},
                    {"at": "2026-01-06T09:00:00Z", "type": "assign", "assignee": None,
                     "author": "lead@support.test"},
                    {"at": "2026-01-07T09:00:00Z", "type": "status", "status": "closed",
                     "author": "agent1@support.test"}]}
        out = do_import(s, [line])
        assert out["imported"] == 1, out
        t = by_external(s, "A-1")[0]
        assert t["status"] == "closed" and t["assignee"] is None
        assert t["group"]["name"] == "tier2" and t["account"]["name"] == "globex"
        assert t["solved_at"] == "2026-01-07T09:00:00Z" and t["closed_at"] == "2026-01-07T09:00:00Z"
        ev = timeline(s, t["id"])
        st = [(e["at"], e["data"]["from"], e["data"]["to"]) for e in ev if e["type"] == "status"]
        # assignment to a person at creation opens; closing an open ticket solves it first
        assert st == [("2026-01-05T08:00:00Z", "new", "open"),
                      ("2026-01-07T09:00:00Z", "open", "solved"),
                      ("2026-01-07T09:00:00Z", "solved", "closed")], st


# ---- per-line errors ----

def ok_line(ext, **kw):
    line = {"external_id": ext, "subject": f"ticket {ext}", "requester": "alice@acme.test",
            "account": "acme", "created_at": "2026-02-01T10:00:00Z",
            "events": [{"at": "2026-02-01T11:00:00Z", "type": "comment",
                        "author": "agent1@support.test", "public": True, "body": "hello"}]}
    line.update(kw)
    return line


def db_users(s):
    con = sqlite3.connect(os.path.join(s.dir, "casebook.db"))
    try:
        return con.execute("SELECT email FROM users").fetchall()
    finally:
        con.close()


def test_import_per_line_errors():
    with Server() as s:
        setup_directory(s)
        lines = [
            ok_line("E-1"),
            "{\"external_id\": \"E-2\", \"subject\": ",                          # malformed
            ok_line("E-3", account="initech", requester="new3@initech.test"),   # unknown account
            ok_line("E-4", requester="new4@acme.test", events=[                 # unknown agent
                {"at": "2026-02-01T11:00:00Z", "type": "comment",
                 "author": "ghost@support.test", "public": True, "body": "boo"}]),
            ok_line("E-5", requester="new5@acme.test", events=[                 # unknown group
                {"at": "2026-02-01T11:00:00Z", "type": "assign", "group": "nosuchgroup",
                 "author": "agent1@support.test"}]),
            ok_line("E-6", requester="new6@acme.test", events=[                 # after closed
                {"at": "2026-02-01T11:00:00Z", "type": "status", "status": "closed",
                 "author": "agent1@support.test"},
                {"at": "2026-02-01T12:00:00Z", "type": "comment",
                 "author": "alice@acme.test", "public": True, "body": "one more thing"}]),
            ok_line("E-1", subject="duplicate"),                                # duplicate
            "   ",                                                              # blank: not counted
            ok_line("E-8", requester="new8@acme.test"),                         # unknown requester: a customer
            "[1, 2]",                                                           # not an object
        ]
        out = do_import(s, lines)
        assert out["imported"] == 2 and out["failed"] == 7, out
        res = out["results"]
        assert [r["line"] for r in res] == list(range(1, 10)), res
        assert res[0]["external_id"] == "E-1" and res[0]["id"] > 0
        assert res[7]["external_id"] == "E-8" and res[7]["id"] > res[0]["id"]

        def err(i, status, field=None, text=None):
            e = res[i]["error"]
            assert set(res[i]) == {"line", "error"}, res[i]
            assert e["status"] == status, e
            assert e["type"].startswith("https://") and e["title"] and e["detail"], e
            fields = [x["field"] for x in e["errors"]]
            if field:
                assert field in fields, e
            if text:
                assert text in e["detail"], e
            return e

        err(1, 400, text="malformed JSON")
        err(2, 422, "account", "initech")
        err(3, 422, "events[0].author", "ghost@support.test")
        err(4, 422, "events[0].group", "nosuchgroup")
        err(5, 422, "events[1].type", "closed")
        err(6, 409, "external_id")
        err(8, 422)
        for ext in ("E-2", "E-3", "E-4", "E-5", "E-6"):
            assert by_external(s, ext) == [], ext
        [t] = by_external(s, "E-1")
        assert t["subject"] == "ticket E-1"
        [t8] = by_external(s, "E-8")
        assert t8["requester"]["email"] == "new8@acme.test" and t8["account"]["name"] == "acme"
        assert t8["status"] == "open"
        s.stop()
        # nothing of a failed line was written: not even the customer it created
        emails = {u[0] for u in db_users(s)}
        assert "new8@acme.test" in emails
        for n in (3, 4, 5, 6):
            assert f"new{n}@acme.test" not in emails and f"new{n}@initech.test" not in emails
        con = sqlite3.connect(os.path.join(s.dir, "casebook.db"))
        try:
            assert con.execute("SELECT count(*) FROM tickets").fetchone()[0] == 2
            assert con.execute("SELECT count(*) FROM events WHERE ticket_id NOT IN"
                               " (SELECT id FROM tickets)").fetchone()[0] == 0
        finally:
            con.close()


def test_import_json_array_and_request_errors():
    with Server() as s:
        setup_directory(s)
        body = json.dumps([ok_line("J-1"), {"subject": "no requester", "created_at": "2026-02-01T10:00:00Z"},
                           ok_line("J-3", tags=["a", "b"])], indent=2)
        r = s.post("/api/v1/import/tickets", raw=body, content_type="application/json; charset=utf-8")
        assert r.status == 200, r
        out = r.json
        assert out["imported"] == 2 and out["failed"] == 1, out
        assert [x["line"] for x in out["results"]] == [1, 2, 3]
        assert out["results"][1]["error"]["status"] == 422
        assert [e["field"] for e in out["results"][1]["error"]["errors"]] == ["requester"]
        assert by_external(s, "J-3")[0]["tags"] == ["a", "b"]
        # a malformed element inside a well-formed array is that element's error
        r = s.post("/api/v1/import/tickets", raw='[{"subject": tru}, ' + json.dumps(ok_line("J-5")) + "]",
                   content_type="application/json")
        assert r.status == 200, r
        assert r.json["results"][0]["error"]["status"] == 400 and r.json["results"][1]["id"] > 0
        # a broken array, a non-array body: 400, nothing written
        for raw in ('[' + json.dumps(ok_line("J-6")) + ', {"a": "b"',
                    json.dumps(ok_line("J-7")), '[' + json.dumps(ok_line("J-8")) + '] x',
                    '[' + json.dumps(ok_line("J-9")) + ',]'):
            problem(s.post("/api/v1/import/tickets", raw=raw, content_type="application/json"), 400)
        for ext in ("J-6", "J-7", "J-8", "J-9"):
            assert by_external(s, ext) == []
        # an empty array is fine
        r = s.post("/api/v1/import/tickets", raw="[ ]", content_type="application/json")
        assert r.status == 200 and r.json == {"imported": 0, "failed": 0, "results": []}, r
        problem(s.post("/api/v1/import/tickets", raw=ndjson([ok_line("J-10")]),
                       content_type="text/plain"), 415)
        problem(s.post("/api/v1/import/tickets", raw="", content_type=NDJSON), 400)
        assert by_external(s, "J-10") == []
        # admins only
        r = s.post("/api/v1/tokens", {"user": "agent1@support.test"})
        assert r.status == 201, r
        agent = r.json["token"]
        problem(s.post("/api/v1/import/tickets", raw=ndjson([ok_line("J-11")]), content_type=NDJSON,
                       token=agent), 403)
        problem(s.get("/api/v1/export/tickets", token=agent), 403)
        problem(s.get("/api/v1/export/tickets", token=None), 401)


def test_import_idempotency_key():
    with Server() as s:
        setup_directory(s)
        raw = ndjson([ok_line("K-1"), ok_line("K-2")])
        h = {"Idempotency-Key": "import-k"}
        r1 = s.post("/api/v1/import/tickets", raw=raw, content_type=NDJSON, headers=h)
        assert r1.status == 200 and r1.json["imported"] == 2, r1
        r2 = s.post("/api/v1/import/tickets", raw=raw, content_type=NDJSON, headers=h)
        assert r2.status == 200 and r2.json == r1.json, r2
        assert r2.header("Idempotent-Replayed") == "true"
        assert len(by_external(s, "K-1")) == 1
        # without the key the retry is a conflict per line, still nothing duplicated
        r3 = s.post("/api/v1/import/tickets", raw=raw, content_type=NDJSON)
        assert r3.json["failed"] == 2 and r3.json["results"][0]["error"]["status"] == 409


# ---- export and the round trip ----

def varied_lines():
    """24 tickets covering every importable event type and every status."""
    A1, A2, E1, C1, C2 = ("agent1@support.test", "agent2@support.test", "eng1@support.test",
                          "alice@acme.test", "bob@globex.test")
    lines = []
    statuses = ["new", "open", "pending", "on_hold", "solved", "closed"]
    for i in range(24):
        day = f"2026-04-{i + 1:02d}"
        cust = C1 if i % 2 == 0 else C2
        line = {"external_id": f"R-{i}", "subject": f"round trip {i} \u00e9\u2603 \"quoted\"",
                "description": "line one\nline two" if i % 3 else "",
                "requester": cust if i % 5 else f"fresh{i}@acme.test",
                "priority": f"P{i % 4 + 1}", "created_at": f"{day}T08:00:00Z", "events": []}
        if i % 5 == 0 or i % 2 == 0:
            line["account"] = "acme" if i % 2 == 0 or i % 5 == 0 else "globex"
        if i % 5 == 0:
            line["account"] = "acme"
        if i % 4 == 1:
            line["category"] = "sso"
        if i % 3 == 0:
            line["tags"] = ["t1", f"t{i}"]
        if i % 6 == 2:
            line["assignee"] = A1
        if i % 7 == 3:
            line["group"] = "tier2"
        if i % 4 == 0:
            line["environment"] = {"os": "linux", "version": 3, "beta": True, "ratio": 0.1}
            line["custom_fields"] = {"plan": "gold", "seats": None}
        if i == 7:
            line.pop("external_id")  # exported as casebook-<id>
        ev = line["events"]
        t = 9

        def at(m=0):
            return f"{day}T{t:02d}:{m:02d}:00Z"

        if i % 2:
            ev.append({"at": at(), "type": "comment", "author": A1, "public": True, "body": f"reply {i}"})
        ev.append({"at": at(1), "type": "comment", "author": A2, "public": False, "body": "note"})
        if i % 3 == 0:
            ev.append({"at": at(2), "type": "priority", "priority": "P1", "author": A1})
        if i % 4 == 2:
            ev.append({"at": at(3), "type": "assign", "assignee": A2, "group": "tier2", "author": A1})
        if i % 5 == 1:
            ev.append({"at": at(4), "type": "assign", "assignee": None, "author": A1})
        if i % 3 == 1:
            ev.append({"at": at(5), "type": "category", "category": "billing", "author": A1})
        if i % 6 == 5:
            ev.append({"at": at(6), "type": "category", "category": None, "author": A1})
        if i % 4 == 3:
            ev.append({"at": at(7), "type": "tags", "tags": ["x", "y"], "author": A2})
        if i % 8 == 4:
            ev.append({"at": at(8), "type": "fields", "subject": f"renamed {i}",
                       "environment": {"os": "mac"}, "author": A1})
        if i % 9 == 2:
            ev.append({"at": at(9), "type": "account", "account": "globex", "author": A1})
        if i % 5 == 2:
            ev.append({"at": at(10), "type": "escalation", "group": "engineering", "author": A2,
                       "summary": "please look", "severity": "high"})
            ev.append({"at": at(11), "type": "escalation_ack", "author": E1})
            ev.append({"at": at(12), "type": "escalation_returned", "author": E1})
            ev.append({"at": at(13), "type": "escalation_accepted"})
        target = statuses[i % 6]
        if target in ("pending", "on_hold", "solved", "closed", "open"):
            ev.append({"at": f"{day}T10:00:00.500Z", "type": "status", "status": target, "author": A1})
        if i % 12 == 2:
            ev.append({"at": f"{day}T11:00:00Z", "type": "comment", "author": cust,
                       "public": True, "body": "customer answer"})
        if target == "solved":
            ev.append({"at": f"{day}T12:00:00Z", "type": "csat", "score": i % 5 + 1, "comment": "ok"})
            ev.append({"at": f"{day}T12:00:00Z", "type": "ces", "score": i % 7 + 1})
        if i == 10:
            ev.append({"at": f"{day}T13:00:00Z", "type": "comment", "author": cust,
                       "public": True, "body": "reopen please"})
            ev.append({"at": f"{day}T14:00:00Z", "type": "status", "status": "solved", "author": A2})
        lines.append(line)
    return lines


def live_tickets(s):
    """Tickets made through the live API (fields and account events among them)."""
    r = s.post("/api/v1/tickets", {"subject": "live one", "requester": "alice@acme.test",
                                   "description": "made live", "priority": "P2"})
    assert r.status == 201, r
    t1 = r.json["id"]
    assert s.post(f"/api/v1/tickets/{t1}/comments", {"body": "hi", "public": True}).status == 201
    r = s.patch(f"/api/v1/tickets/{t1}", {"subject": "live one, renamed",
                                          "custom_fields": {"k": "v"}, "account": "globex",
                                          "assignee": "agent1@support.test", "status": "pending"})
    assert r.status == 200, r
    r = s.post("/api/v1/tickets", {"subject": "live two", "requester": "bob@globex.test",
                                   "external_id": "LIVE-2", "group": "tier2"})
    assert r.status == 201, r
    t2 = r.json["id"]
    assert s.patch(f"/api/v1/tickets/{t2}", {"status": "closed"}).status == 200
    return t1, t2


def test_export_format():
    with Server() as s:
        setup_directory(s)
        assert export(s) == ""
        out = do_import(s, [WORKED])
        assert out["imported"] == 1
        t1, _ = live_tickets(s)
        body = export(s)
        assert body.endswith("\n")
        lines = [json.loads(l) for l in body.splitlines()]
        assert len(lines) == 3
        h = lines[0]
        assert list(h) == ["external_id", "subject", "description", "requester", "account",
                           "priority", "category", "tags", "created_at", "events"], list(h)
        # the header is the ticket as created; later changes are events
        assert h["priority"] == "P2" and h["category"] == "sso" and h["tags"] == ["saml"]
        assert h["created_at"] == "2026-03-06T21:30:00Z"
        # automatic status changes are left out (the import re-derives them)
        assert h["events"] == WORKED["events"], h["events"]
        assert list(h["events"][0]) == ["at", "type", "author", "public", "body"]
        live = lines[1]
        assert live["external_id"] == f"casebook-{t1}"
        assert live["subject"] == "live one" and live["requester"] == "alice@acme.test"
        types = [e["type"] for e in live["events"]]
        assert types == ["comment", "fields", "account", "assign", "status"], types
        fields = live["events"][1]
        assert fields["subject"] == "live one, renamed" and fields["custom_fields"] == {"k": "v"}
        assert fields["author"] == "admin@casebook.local"
        assert live["events"][2]["account"] == "globex"
        assert lines[2]["external_id"] == "LIVE-2" and lines[2]["group"] == "tier2"
        assert [e["status"] for e in lines[2]["events"]] == ["solved", "closed"]


def test_round_trip_is_byte_identical():
    with Server() as a:
        setup_directory(a)
        out = do_import(a, varied_lines())
        assert out["imported"] == 24 and out["failed"] == 0, [r for r in out["results"] if "error" in r]
        live_tickets(a)
        statuses = {t["status"] for t in a.get("/api/v1/tickets?limit=500").json["items"]}
        assert statuses == {"new", "open", "pending", "on_hold", "solved", "closed"}, statuses
        first = export(a)
    assert len(first.splitlines()) == 26
    types = {e["type"] for l in first.splitlines() for e in json.loads(l)["events"]}
    assert types == {"comment", "status", "priority", "assign", "category", "tags", "fields",
                     "account", "escalation", "escalation_ack", "escalation_accepted",
                     "escalation_returned", "csat", "ces"}, types
    with Server() as b:
        setup_directory(b)
        r = b.post("/api/v1/import/tickets", raw=first, content_type=NDJSON)
        assert r.status == 200, r
        assert r.json["imported"] == 26 and r.json["failed"] == 0, r.json
        second = export(b)
        # importing the export again changes nothing: every line is a 409
        r = b.post("/api/v1/import/tickets", raw=first, content_type=NDJSON)
        assert r.json["imported"] == 0 and r.json["failed"] == 26
        assert {x["error"]["status"] for x in r.json["results"]} == {409}
        assert export(b) == second
    if first != second:
        for x, y in zip(first.splitlines(), second.splitlines()):
            assert x == y, f"\n{x}\n{y}"
    assert first == second


def test_export_pages_and_batches():
    """More tickets than one export page and one import batch; failures in
    several batches; ascending ids; every line round-trips."""
    with Server() as s:
        setup_directory(s)
        lines = []
        for i in range(1150):
            line = {"external_id": f"P-{i}", "subject": f"p{i}", "requester": "alice@acme.test",
                    "created_at": "2026-05-01T00:00:00Z"}
            if i % 97 == 5:
                line["account"] = "nope"      # fails
            if i % 3 == 0:
                line["events"] = [{"at": "2026-05-01T01:00:00Z", "type": "comment",
                                   "author": "agent1@support.test", "public": True, "body": "x"}]
            lines.append(line)
        lines.append(lines[3])                # a duplicate in the last batch
        out = do_import(s, lines)
        bad = [i for i in range(1150) if i % 97 == 5] + [1150]
        assert out["failed"] == len(bad) and out["imported"] == 1151 - len(bad), out["failed"]
        res = out["results"]
        assert [r["line"] for r in res] == list(range(1, 1152))
        assert [r["line"] - 1 for r in res if "error" in r] == bad
        ids = [r["id"] for r in res if "id" in r]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
        body = export(s)
        exported = [json.loads(l) for l in body.splitlines()]
        assert [e["external_id"] for e in exported] == \
            [f"P-{i}" for i in range(1150) if i not in bad]
        assert all(len(e.get("events", [])) == (1 if int(e["external_id"][2:]) % 3 == 0 else 0)
                   for e in exported)


# ---- CLI ----

def run(*args, input=None):
    return subprocess.run([BIN] + list(args), capture_output=True, text=True, timeout=120,
                          input=input)


def test_cli_import_export():
    tmp = tempfile.mkdtemp(prefix="cb-imp-")
    try:
        a = Server(data_dir=os.path.join(tmp, "a"))
        with a:
            setup_directory(a)
        src = os.path.join(tmp, "in.ndjson")
        with open(src, "w") as f:
            f.write(ndjson(varied_lines()[:10] + ["{oops", ok_line("C-1", account="nope")]))
        r = run("import", "--data", a.dir, "--batch", "4", src)  # failures mid-batch
        assert r.returncode == 1, r
        assert r.stdout.strip().splitlines()[-1] == "imported 10, failed 2", r.stdout
        assert "line 11: 400" in r.stderr and "line 12: 422" in r.stderr and "nope" in r.stderr, r.stderr
        # all imported -> exit 0; stdin works too
        r = run("import", "--data", a.dir, "--batch", "3", "-",
                input=ndjson([ok_line("C-2"), ok_line("C-3")]))
        assert r.returncode == 0 and r.stdout.strip() == "imported 2, failed 0", r
        out = os.path.join(tmp, "out.ndjson")
        r = run("export", "--data", a.dir, out)
        assert r.returncode == 0 and "exported 12 tickets" in r.stdout, r
        r2 = run("export", "--data", a.dir)
        assert r2.returncode == 0, r2
        with open(out) as f:
            cli_export = f.read()
        assert cli_export == r2.stdout and len(cli_export.splitlines()) == 12
        with a:
            assert export(a) == cli_export
        # the CLI round trip into a second instance
        b = Server(data_dir=os.path.join(tmp, "b"))
        with b:
            setup_directory(b)
        r = run("import", "--data", b.dir, out)
        assert r.returncode == 0 and r.stdout.strip() == "imported 12, failed 0", r
        r = run("export", "--data", b.dir)
        assert r.returncode == 0 and r.stdout == cli_export
        # help and usage errors
        for cmd in ("import", "export"):
            r = run(cmd, "--help")
            assert r.returncode == 0 and r.stdout.startswith(f"usage: casebook {cmd}"), r
        for args in (["import", "--data", a.dir], ["import", src],
                     ["import", "--data", a.dir, src, "extra"],
                     ["import", "--data", a.dir, "--batch", "0", src],
                     ["import", "--data", a.dir, "--frobnicate", src],
                     ["export", "--data", a.dir, "--bogus"], ["export", "--data", a.dir, "x", "y"],
                     ["export", "out.ndjson"]):
            r = run(*args)
            assert r.returncode == 2 and "usage:" in r.stderr, (args, r)
        r = run("import", "--data", a.dir, os.path.join(tmp, "missing.ndjson"))
        assert r.returncode == 1 and "missing.ndjson" in r.stderr, r
        listing = run("--help").stdout
        assert "import" in listing and "export" in listing
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---- links and attachments (issue 14, item 16) ----

def linked_ticket(s):
    """A live ticket with a defect, a problem, an incident and an article
    linked, a comment with an upload and an upload with the new case."""
    r = s.post("/api/v1/tickets", {"subject": "links", "requester": "alice@acme.test",
                                   "description": "with files"})
    assert r.status == 201, r
    tid = r.json["id"]
    created = timeline(s, tid)[0]["id"]
    r = s.post(f"/api/v1/tickets/{tid}/comments", {"body": "see the log", "public": True})
    assert r.status == 201, r
    comment = r.json["id"]
    files = [(bytes(range(256)) * 3, "trace.bin", "application/octet-stream", created),
             (b"log line\n", "app.log", "text/plain", comment)]
    for data, name, ctype, ev in files:
        r = s.request("POST", f"/api/v1/tickets/{tid}/attachments?filename={name}&event={ev}",
                      raw=data, content_type=ctype)
        assert r.status == 201, r
    assert s.post(f"/api/v1/tickets/{tid}/defects", {"tracker": "jira", "key": "ENG-7",
                                                     "title": "Crash"}).status == 201
    p = s.post("/api/v1/problems", {"title": "Sync stalls"})
    assert p.status == 201, p
    assert s.post(f"/api/v1/tickets/{tid}/problems", {"problem": p.json["id"]}).status == 201
    i = s.post("/api/v1/incidents", {"title": "API errors", "severity": "SEV2"})
    assert i.status == 201, i
    assert s.post(f"/api/v1/incidents/{i.json['id']}/tickets", {"tickets": [tid]}).status in (200, 201)
    a = s.post("/api/v1/articles", {"type": "kb", "title": "How to sync", "body": "steps"})
    assert a.status == 201, a
    assert s.post(f"/api/v1/tickets/{tid}/articles", {"article": a.json["id"]}).status == 201
    return tid, files


def test_export_carries_links_and_attachments():
    import base64
    import hashlib
    with Server() as a:
        setup_directory(a)
        tid, files = linked_ticket(a)
        stored = {e["type"] for e in timeline(a, tid)}
        assert {"defect", "problem", "incident", "article_linked"} <= stored, stored
        first = export(a)
    line = json.loads(first.splitlines()[0])
    types = [e["type"] for e in line["events"]]
    assert types == ["comment", "defect", "problem", "incident", "article_linked"], types
    ev = {e["type"]: e for e in line["events"]}
    assert ev["defect"]["tracker"] == "jira" and ev["defect"]["key"] == "ENG-7"
    assert ev["defect"]["action"] == "linked" and "defect" not in ev["defect"]
    assert ev["problem"]["problem"] == "Sync stalls" and ev["problem"]["action"] == "linked"
    assert ev["incident"]["incident"] == "API errors" and ev["incident"]["action"] == "linked"
    assert ev["article_linked"]["title"] == "How to sync"
    assert ev["article_linked"]["article_type"] == "kb"
    atts = line["attachments"]
    assert [x["filename"] for x in atts] == ["trace.bin", "app.log"]
    assert "event" not in atts[0] and atts[1]["event"] == 0  # the creation, then the comment
    for x, (data, name, ctype, _) in zip(atts, files):
        assert base64.b64decode(x["content_base64"]) == data
        assert x["sha256"] == hashlib.sha256(data).hexdigest() and x["size"] == len(data)
        assert x["content_type"] == ctype
    with Server() as b:
        setup_directory(b)
        r = b.post("/api/v1/import/tickets", raw=first, content_type=NDJSON)
        assert r.status == 200 and r.json["imported"] == 1, r.json
        nid = r.json["results"][0]["id"]
        got = b.get(f"/api/v1/tickets/{nid}/attachments").json["items"]
        assert [g["filename"] for g in got] == ["trace.bin", "app.log"], got
        assert [g["sha256"] for g in got] == [hashlib.sha256(f[0]).hexdigest() for f in files]
        body = b.request("GET", f"/api/v1/attachments/{got[0]['id']}")
        assert body.status == 200
        stored_b = [e["type"] for e in timeline(b, nid)]
        for t in ("defect", "problem", "incident", "article_linked"):
            assert t in stored_b, stored_b
        second = export(b)
    assert first == second
    # a bad attachment names its field, and the line writes nothing
    with Server() as c:
        setup_directory(c)
        bad = json.loads(first.splitlines()[0])
        bad["attachments"][0]["sha256"] = "0" * 64
        bad["attachments"][1]["event"] = 9
        bad["attachments"][1]["content_base64"] = "!!"
        out = do_import(c, [bad])
        assert out["failed"] == 1, out
        fields = [e["field"] for e in out["results"][0]["error"]["errors"]]
        assert fields == ["attachments[0].sha256"], fields
        bad["attachments"][0]["sha256"] = atts[0]["sha256"]
        out = do_import(c, [bad])
        fields = [e["field"] for e in out["results"][0]["error"]["errors"]]
        assert fields == ["attachments[1].event", "attachments[1].content_base64"], fields
        assert c.get("/api/v1/tickets").json["items"] == []


def test_export_carries_every_stored_event_of_the_demo():
    """Every stored event of the demo data but the derived ones (automatic
    status changes, SLA notes) is on its ticket's export line."""
    tmp = tempfile.mkdtemp(prefix="cb-demo-exp-")
    try:
        d = os.path.join(tmp, "d")
        assert run("init", "--data", d).returncode == 0
        r = run("demo", "--data", d)
        assert r.returncode == 0, r
        db = sqlite3.connect(os.path.join(d, "casebook.db"))
        want = {}
        for t, data in db.execute("SELECT type, data FROM events WHERE type NOT IN ('created', 'sla')"):
            if t == "status" and json.loads(data).get("auto"):
                continue
            want[t] = want.get(t, 0) + 1
        db.close()
        r = run("export", "--data", d)
        assert r.returncode == 0, r
        got = {}
        for l in r.stdout.splitlines():
            for e in json.loads(l)["events"]:
                got[e["type"]] = got.get(e["type"], 0) + 1
        assert {"defect", "incident", "problem", "escalation"} <= set(want), want
        assert got == want
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
