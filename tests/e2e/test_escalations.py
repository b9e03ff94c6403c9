"""Escalations end to end: the package score (full, empty, partial, with a
group's minimum), the lifecycle with every legal move and the illegal ones
(409 naming the allowed moves), who may make each move, what customers
never see, the queue order, the audit trail, the KPIs (mtte,
escalation_rate, escalation_acceptance_rate) after live escalations
computed by hand from the returned instants, and imported escalation
events creating the same rows and the same KPIs."""
import datetime
import json
import os
import sqlite3

from lib import Server, problem

FULL = {
    "summary": "CSV export returns 500 for large workspaces",
    "steps": ["open Reports", "export 2026 Q1 as CSV"],
    "observed": "HTTP 500 after 30 s",
    "expected": "a CSV download",
    "environment": {"versions": {"api": "4.2.1", "web": "2026.03"}, "region": "eu-west-1",
                    "tenant": "acme-prod"},
    "artifacts": {"request_ids": ["req-7f3a"], "timestamps": ["2026-03-06T21:30:00Z"],
                  "logs": ["java.lang.OutOfMemoryError"], "attachments": ["har-1.har"]},
    "impact": {"accounts": 3, "users": 120, "tier": "enterprise"},
    "severity_rationale": "month-end close blocked for three enterprise accounts",
    "hypotheses": [{"hypothesis": "browser timeout", "result": "curl fails the same way"}],
}
ALL_FIELDS = ["summary", "observed", "expected", "steps", "hypotheses", "environment.versions",
              "environment.region", "environment.tenant", "artifacts.request_ids",
              "artifacts.timestamps", "impact.accounts", "impact.users", "impact.tier",
              "severity_rationale"]


def token(s, user):
    r = s.post("/api/v1/tokens", {"user": user})
    assert r.status == 201, r
    return r.json["token"]


def setup(s):
    """Returns tokens: agent, engineer in the group, engineer outside, customer, other customer."""
    assert s.post("/api/v1/accounts", {"name": "acme", "tier": "enterprise"}).status == 201
    assert s.post("/api/v1/accounts", {"name": "globex", "tier": "business"}).status == 201
    for email, role, acct in (("agent1@support.test", "agent", None),
                              ("eng1@support.test", "engineer", None),
                              ("eng2@support.test", "engineer", None),
                              ("alice@acme.test", "customer", "acme"),
                              ("gina@globex.test", "customer", "globex")):
        body = {"email": email, "role": role}
        if acct:
            body["account"] = acct
        assert s.post("/api/v1/users", body).status == 201
    r = s.post("/api/v1/groups", {"name": "engineering", "members": ["eng1@support.test"]})
    assert r.status == 201, r
    return {k: token(s, e) for k, e in (("agent", "agent1@support.test"), ("eng1", "eng1@support.test"),
                                        ("eng2", "eng2@support.test"), ("alice", "alice@acme.test"),
                                        ("gina", "gina@globex.test"))}


def ticket(s, subject="Export fails", tok="default"):
    body = {"subject": subject, "description": "d", "priority": "P2"}
    if tok == "default":
        body.update(account="acme", requester="alice@acme.test")
    r = s.post("/api/v1/tickets", body, token=tok)
    assert r.status == 201, r
    return r.json["id"]


def escalate(s, tid, tok, **extra):
    body = dict(FULL, group="engineering")
    body.update(extra)
    r = s.post(f"/api/v1/tickets/{tid}/escalations", body, token=tok)
    assert r.status == 201, r
    return r.json


def move(s, eid, tok, status, **kw):
    return s.patch(f"/api/v1/escalations/{eid}", dict(kw, status=status), token=tok)


def ok_move(s, eid, tok, status, **kw):
    r = move(s, eid, tok, status, **kw)
    assert r.status == 200, r
    assert r.json["status"] == status
    return r.json


def events(s, tid, tok="default"):
    r = s.get(f"/api/v1/tickets/{tid}/events?limit=500", token=tok)
    assert r.status == 200, r
    return r.json["items"]


def esc_events(s, tid):
    return [(e["type"], e["data"].get("escalation")) for e in events(s, tid)
            if e["type"].startswith("escalation")]


def ms(t):
    return int(datetime.datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() * 1000)


def test_escalation_score_full_empty_partial():
    with Server() as s:
        t = setup(s)
        r = s.post("/api/v1/escalations/score", FULL, token=t["agent"])
        assert r.status == 200, r
        assert r.json["score"] == 5 and r.json["max"] == 5 and r.json["missing"] == []
        assert [g["name"] for g in r.json["groups"]] == ["problem", "reproduction", "environment",
                                                         "evidence", "impact"]
        r = s.post("/api/v1/escalations/score", {}, token=t["eng1"])
        assert r.json["score"] == 0 and r.json["missing"] == ALL_FIELDS, r.json
        # partial: blank text and empty lists are missing; logs stand in for request ids
        draft = json.loads(json.dumps(FULL))
        draft["expected"] = "   "
        draft["hypotheses"] = []
        del draft["environment"]["tenant"]
        del draft["artifacts"]["request_ids"]
        r = s.post("/api/v1/escalations/score", draft, token=t["agent"])
        assert r.json["score"] == 2, r.json
        assert r.json["missing"] == ["expected", "hypotheses", "environment.tenant"]
        del draft["artifacts"]["logs"], draft["artifacts"]["attachments"], draft["impact"]
        r = s.post("/api/v1/escalations/score", dict(draft, group="engineering"), token=t["agent"])
        assert r.json["score"] == 0
        assert r.json["missing"] == ["expected", "hypotheses", "environment.tenant",
                                     "artifacts.request_ids", "impact.accounts", "impact.users",
                                     "impact.tier"], r.json
        assert r.json["min_score"] == 0 and r.json["meets_minimum"] is True
        assert r.json["group"]["name"] == "engineering"
        # a wrong type is a 422 naming the field; scoring writes nothing
        problem(s.post("/api/v1/escalations/score", {"impact": {"tier": "gold"}}, token=t["agent"]),
                422, "impact.tier")
        problem(s.post("/api/v1/escalations/score", {"artifacts": {"timestamps": ["noon"]}},
                       token=t["agent"]), 422, "artifacts.timestamps[0]")
        problem(s.post("/api/v1/escalations/score", {"colour": 1}, token=t["agent"]), 422, "colour")
        assert s.get("/api/v1/escalations?status=open,acknowledged,accepted,returned,resolved").json["items"] == []


def test_escalation_min_score_per_group():
    with Server() as s:
        t = setup(s)
        g = s.get("/api/v1/groups").json["items"][0]
        assert g["min_escalation_score"] == 0
        problem(s.patch(f"/api/v1/groups/{g['id']}", {"min_escalation_score": 6}), 422,
                "min_escalation_score")
        problem(s.patch(f"/api/v1/groups/{g['id']}", {"min_escalation_score": 4}, token=t["agent"]), 403)
        r = s.patch(f"/api/v1/groups/{g['id']}", {"min_escalation_score": 4})
        assert r.status == 200 and r.json["min_escalation_score"] == 4, r
        assert s.get(f"/api/v1/groups/{g['id']}").json["min_escalation_score"] == 4
        tid = ticket(s)
        draft = {k: v for k, v in FULL.items() if k not in ("impact", "severity_rationale", "hypotheses")}
        r = s.post("/api/v1/escalations/score", dict(draft, group="engineering"), token=t["agent"])
        assert r.json["score"] == 3 and r.json["meets_minimum"] is False and r.json["min_score"] == 4
        p = problem(s.post(f"/api/v1/tickets/{tid}/escalations", dict(draft, group="engineering"),
                           token=t["agent"]), 422)
        assert [e["field"] for e in p["errors"]] == ["hypotheses", "impact.accounts", "impact.users",
                                                    "impact.tier", "severity_rationale"], p
        assert "requires at least 4" in p["detail"]
        # nothing was written: no escalation, no timeline event
        assert s.get(f"/api/v1/tickets/{tid}/escalations").json["items"] == []
        assert esc_events(s, tid) == []
        e = escalate(s, tid, t["agent"])
        assert e["score"] == 5 and e["status"] == "open"
        # back to no minimum with null
        r = s.patch(f"/api/v1/groups/{g['id']}", {"min_escalation_score": None, "description": "eng"})
        assert r.status == 200 and r.json["min_escalation_score"] == 0 and r.json["description"] == "eng"
        escalate(s, tid, t["agent"], hypotheses=None, impact=None)
        # a group may be created with its minimum
        r = s.post("/api/v1/groups", {"name": "sre", "members": ["eng2@support.test"],
                                      "min_escalation_score": 5})
        assert r.status == 201 and r.json["min_escalation_score"] == 5, r
        problem(s.post(f"/api/v1/tickets/{tid}/escalations", dict(FULL, group="sre", hypotheses=None),
                       token=t["agent"]), 422, "hypotheses")
        # an empty package names every one of the rubric's fields
        p = problem(s.post(f"/api/v1/tickets/{tid}/escalations", {"group": "sre", "summary": "x"},
                           token=t["agent"]), 422)
        assert [e["field"] for e in p["errors"]] == ALL_FIELDS[1:], p
        assert escalate(s, tid, t["agent"], group="sre")["group"]["name"] == "sre"


def test_escalation_lifecycle_every_move():
    with Server() as s:
        t = setup(s)
        tid = ticket(s)
        e = escalate(s, tid, t["agent"])
        eid = e["id"]
        assert e["ticket"]["id"] == tid and e["group"]["name"] == "engineering"
        assert e["allowed_transitions"] == ["acknowledged"]
        assert e["created_by"]["email"] == "agent1@support.test"
        # illegal from open: 409 naming the allowed move, to whoever may make such moves
        for who, bad in (("eng1", "accepted"), ("eng1", "returned"), ("eng1", "resolved"), ("agent", "open")):
            p = problem(move(s, eid, t[who], bad, answer="x") if bad == "open" else move(s, eid, t[who], bad),
                        409, "status")
            assert "allowed from open: acknowledged" in p["detail"], p
        # a move the caller may never make is a 403 whatever the state (not a 409
        # that would describe the escalation's state machine to an outsider)
        for bad in ("accepted", "returned", "resolved", "acknowledged"):
            p = problem(move(s, eid, t["eng2"], bad), 403)
            assert "allowed from" not in p["detail"], p
        problem(move(s, eid, t["eng1"], "open", answer="x"), 403)
        problem(move(s, eid, t["eng1"], "closed"), 422, "status")
        problem(s.patch(f"/api/v1/escalations/{eid}", {}, token=t["eng1"]), 422, "status")
        # an engineer outside the group cannot acknowledge; the agent neither
        problem(move(s, eid, t["eng2"], "acknowledged"), 403)
        problem(move(s, eid, t["agent"], "acknowledged"), 403)
        e = ok_move(s, eid, t["eng1"], "acknowledged")
        assert e["acknowledged_at"] and e["allowed_transitions"] == ["accepted", "returned"]
        # acknowledged -> resolved is not allowed: acceptance first
        p = problem(move(s, eid, t["eng1"], "resolved"), 409, "status")
        assert "allowed from acknowledged: accepted, returned" in p["detail"]
        # a return needs a question
        problem(move(s, eid, t["eng1"], "returned"), 422, "question")
        problem(move(s, eid, t["eng1"], "returned", question="  "), 422, "question")
        problem(move(s, eid, t["eng1"], "accepted", question="why?"), 422, "question")
        e = ok_move(s, eid, t["eng1"], "returned", question="Which workspace id fails?")
        assert e["question"] == "Which workspace id fails?" and e["decided_at"]
        assert e["allowed_transitions"] == ["open"]
        # the support side answers: not the engineer; an answer is required
        problem(move(s, eid, t["eng1"], "open", answer="ws-9"), 403)
        problem(move(s, eid, t["agent"], "open"), 422, "answer")
        problem(move(s, eid, t["agent"], "open", answer="ws-9", package={"impact": {"tier": "x"}}),
                422, "impact.tier")
        e = ok_move(s, eid, t["agent"], "open", answer="ws-9 (id 4411)",
                    package={"summary": "CSV export 500 for ws-9"})
        assert e["answer"] == "ws-9 (id 4411)" and e["package"]["summary"] == "CSV export 500 for ws-9"
        assert e["score"] == 5
        ok_move(s, eid, t["eng1"], "acknowledged")
        e = ok_move(s, eid, t["eng1"], "accepted")
        assert e["allowed_transitions"] == ["resolved"]
        problem(move(s, eid, t["eng1"], "returned", question="?"), 409, "status")
        problem(move(s, eid, t["agent"], "resolved"), 403)
        e = ok_move(s, eid, s.token, "resolved", resolution="fixed in 4.2.2")  # admins may
        assert e["resolution"] == "fixed in 4.2.2" and e["resolved_at"] and e["allowed_transitions"] == []
        p = problem(move(s, eid, t["agent"], "open", answer="again"), 409, "status")
        assert "allowed from resolved: none" in p["detail"]
        for who, bad in (("eng2", "accepted"), ("eng2", "acknowledged"), ("eng1", "open"), ("agent", "resolved")):
            problem(move(s, eid, t[who], bad, answer="again") if bad == "open" else move(s, eid, t[who], bad), 403)
        assert [h["status"] for h in e["history"]] == ["open", "acknowledged", "returned", "open",
                                                       "acknowledged", "accepted", "resolved"]
        assert e["history"][2]["question"] and e["history"][2]["by"]["email"] == "eng1@support.test"
        # the timeline: every step but the resubmission, each naming the escalation
        assert esc_events(s, tid) == [("escalation", eid), ("escalation_ack", eid),
                                      ("escalation_returned", eid), ("escalation_ack", eid),
                                      ("escalation_accepted", eid), ("escalation_resolved", eid)]
        assert s.get(f"/api/v1/escalations/{eid}").json == e
        assert [x["id"] for x in s.get(f"/api/v1/tickets/{tid}/escalations").json["items"]] == [eid]
        problem(s.get("/api/v1/escalations/999"), 404)
        problem(s.post("/api/v1/tickets/999/escalations", dict(FULL, group="engineering")), 404)
        problem(s.post(f"/api/v1/tickets/{tid}/escalations", FULL), 422, "group")
        problem(s.post(f"/api/v1/tickets/{tid}/escalations", dict(FULL, group="nope")), 422, "group")
        # the audit trail holds each lifecycle change
        assert s.stop() == 0, s.read_log()[-3000:]
        db = sqlite3.connect(os.path.join(s.dir, "casebook.db"))
        actions = [a for (a,) in db.execute(
            "SELECT action FROM audit WHERE target = ? ORDER BY id", (f"escalation:{eid}",))]
        db.close()
        assert actions == ["escalation.create", "escalation.acknowledged", "escalation.returned",
                           "escalation.open", "escalation.acknowledged", "escalation.accepted",
                           "escalation.resolved"], actions


def test_escalation_permissions_and_customer_visibility():
    with Server() as s:
        t = setup(s)
        tid = ticket(s, tok=t["alice"])
        s.post(f"/api/v1/tickets/{tid}/comments", {"body": "looking", "public": True}, token=t["agent"])
        # engineers cannot create; agents can
        problem(s.post(f"/api/v1/tickets/{tid}/escalations", dict(FULL, group="engineering"),
                       token=t["eng1"]), 403)
        eid = escalate(s, tid, t["agent"])["id"]
        ok_move(s, eid, t["eng1"], "acknowledged")
        ok_move(s, eid, t["eng1"], "returned", question="which browser?")
        # customers: 404 on every escalation route, even for their own ticket
        for method, path, body in (("GET", f"/api/v1/escalations/{eid}", None),
                                   ("PATCH", f"/api/v1/escalations/{eid}", {"status": "open", "answer": "x"}),
                                   ("GET", "/api/v1/escalations", None),
                                   ("POST", "/api/v1/escalations/score", FULL),
                                   ("GET", f"/api/v1/tickets/{tid}/escalations", None),
                                   ("POST", f"/api/v1/tickets/{tid}/escalations", dict(FULL, group="engineering"))):
            for who in ("alice", "gina"):
                problem(s.request(method, path, body=body, token=t[who]), 404)
        # alice sees her ticket's public timeline, without any escalation event
        mine = events(s, tid, t["alice"])
        assert [e["type"] for e in mine if e["type"] in ("created", "comment")] == ["created", "comment"]
        assert not [e for e in mine if e["type"].startswith("escalation")]
        assert "escalation" not in json.dumps(mine)
        staff = [e["type"] for e in events(s, tid, t["agent"])]
        assert "escalation" in staff and "escalation_returned" in staff
        # the ticket itself carries nothing about the escalation for the customer
        assert "escalat" not in s.get(f"/api/v1/tickets/{tid}", token=t["alice"]).body
        # staff may read any escalation
        assert s.get(f"/api/v1/escalations/{eid}", token=t["eng2"]).status == 200


def test_escalation_queue_oldest_unacknowledged_first():
    with Server() as s:
        t = setup(s)
        r = s.post("/api/v1/groups", {"name": "billing-eng", "members": ["eng2@support.test"]})
        assert r.status == 201
        ids = [escalate(s, ticket(s, f"t{i}"), t["agent"])["id"] for i in range(4)]
        other = escalate(s, ticket(s, "other"), t["agent"], group="billing-eng")["id"]
        ok_move(s, ids[0], t["eng1"], "acknowledged")
        ok_move(s, ids[3], t["eng1"], "acknowledged")
        ok_move(s, ids[3], t["eng1"], "accepted")
        ok_move(s, ids[3], t["eng1"], "resolved")
        q = s.get("/api/v1/escalations?group=engineering").json
        assert [e["id"] for e in q["items"]] == [ids[1], ids[2], ids[0]], q
        q = s.get("/api/v1/escalations?group=engineering&status=resolved").json
        assert [e["id"] for e in q["items"]] == [ids[3]]
        q = s.get("/api/v1/escalations?status=open", token=t["eng2"]).json
        assert [e["id"] for e in q["items"]] == [ids[1], ids[2], other]
        page = s.get("/api/v1/escalations?group=engineering&limit=2").json
        assert [e["id"] for e in page["items"]] == [ids[1], ids[2]] and page["next_cursor"]
        page = s.get(f"/api/v1/escalations?group=engineering&limit=2&cursor={page['next_cursor']}").json
        assert [e["id"] for e in page["items"]] == [ids[0]] and page["next_cursor"] is None
        problem(s.get("/api/v1/escalations?status=nope"), 400, "status")
        problem(s.get("/api/v1/escalations?group=nope"), 400, "group")
        problem(s.get("/api/v1/escalations?colour=red"), 400)


def test_escalation_kpis_after_live_escalations():
    """T1: A (ack, accept) and B (ack, return), interleaved; T2: C (ack,
    return, answer, ack, accept); T3: D (open only); T4 not escalated.
    escalation_rate 3/4; mtte over A, B, C (first engagement - creation,
    whole seconds); acceptance: first decisions A accept, B return, C
    return -> 1/3."""
    with Server() as s:
        t = setup(s)
        t1, t2, t3, _t4 = (ticket(s, f"k{i}") for i in range(4))
        a = escalate(s, t1, t["agent"])
        b = escalate(s, t1, t["agent"], summary="second problem")
        b_ack = ok_move(s, b["id"], t["eng1"], "acknowledged")
        a_ack = ok_move(s, a["id"], t["eng1"], "acknowledged")
        ok_move(s, a["id"], t["eng1"], "accepted")
        ok_move(s, b["id"], t["eng1"], "returned", question="logs?")
        c = escalate(s, t2, t["agent"])
        c_ack = ok_move(s, c["id"], t["eng1"], "acknowledged")
        ok_move(s, c["id"], t["eng1"], "returned", question="tenant?")
        ok_move(s, c["id"], t["agent"], "open", answer="acme-prod")
        ok_move(s, c["id"], t["eng1"], "acknowledged")
        ok_move(s, c["id"], t["eng1"], "accepted")
        escalate(s, t3, t["agent"])
        mtte = sorted((ms(x["acknowledged_at"]) - ms(x["created_at"])) // 1000
                      for x in (a_ack, b_ack, c_ack))
        r = s.get("/api/v1/reports/kpis?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z")
        assert r.status == 200, r
        k = r.json["kpis"]
        assert k["escalation_rate"] == {"count": 4, "escalated": 3, "rate": 0.75}, k["escalation_rate"]
        assert k["escalation_acceptance_rate"]["count"] == 3
        assert k["escalation_acceptance_rate"]["accepted"] == 1
        assert abs(k["escalation_acceptance_rate"]["rate"] - 1 / 3) < 0.001
        assert k["mtte"]["count"] == 3
        assert k["mtte"]["median_s"] == mtte[1]
        assert abs(k["mtte"]["mean_s"] - sum(mtte) / 3) < 0.01
        assert k["fcr"]["count"] == 0  # nothing solved


def test_imported_escalations_create_rows_and_agree_with_kpis():
    """An imported history: escalation at 10:00, ack 10:30 (mtte 1800),
    returned 11:00, then a second escalation at 12:00 accepted at 12:10
    (mtte 600). The rows exist like live ones; the KPIs match by hand."""
    with Server() as s:
        setup(s)
        line = {"external_id": "H-1", "subject": "imported", "description": "d",
                "requester": "alice@acme.test", "account": "acme", "priority": "P2",
                "created_at": "2026-03-02T09:00:00Z", "events": [
                    {"at": "2026-03-02T10:00:00Z", "type": "escalation", "group": "engineering",
                     "author": "agent1@support.test", "summary": "sync stalls", "id": 77},
                    {"at": "2026-03-02T10:30:00Z", "type": "escalation_ack", "author": "eng1@support.test"},
                    {"at": "2026-03-02T11:00:00Z", "type": "escalation_returned", "question": "which tenant?"},
                    {"at": "2026-03-02T12:00:00Z", "type": "escalation", "group": "engineering",
                     "author": "agent1@support.test", "summary": "second"},
                    {"at": "2026-03-02T12:10:00Z", "type": "escalation_accepted", "escalation": 1},
                    {"at": "2026-03-02T13:00:00Z", "type": "escalation_resolved", "resolution": "patched"}]}
        r = s.post("/api/v1/import/tickets", raw=json.dumps(line) + "\n", content_type="application/x-ndjson")
        assert r.status == 200 and r.json["imported"] == 1, r.json
        tid = r.json["results"][0]["id"]
        rows = s.get(f"/api/v1/tickets/{tid}/escalations").json["items"]
        assert [(x["status"], x["imported"], x["group"]["name"], x["package"]) for x in rows] == [
            ("returned", True, "engineering", {"summary": "sync stalls"}),
            ("resolved", True, "engineering", {"summary": "second"})], rows
        assert rows[0]["question"] == "which tenant?" and rows[0]["acknowledged_at"] == "2026-03-02T10:30:00Z"
        assert rows[1]["resolution"] == "patched" and rows[1]["decided_at"] == "2026-03-02T12:10:00Z"
        first, second = rows[0]["id"], rows[1]["id"]
        # the timeline names the rows (ids from the source system are replaced)
        assert esc_events(s, tid) == [("escalation", first), ("escalation_ack", first),
                                      ("escalation_returned", first), ("escalation", second),
                                      ("escalation_accepted", second), ("escalation_resolved", second)]
        k = s.get("/api/v1/reports/kpis?from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z").json["kpis"]
        assert k["escalation_rate"] == {"count": 1, "escalated": 1, "rate": 1.0}
        assert k["mtte"]["count"] == 2 and k["mtte"]["median_s"] in (600, 1800)
        assert k["mtte"]["mean_s"] == 1200.0
        assert k["escalation_acceptance_rate"] == {"count": 2, "accepted": 1, "rate": 0.5}
        # imported rows move on live like any other
        ok_move(s, first, s.token, "open", answer="acme-prod")
        assert s.get(f"/api/v1/escalations/{first}").json["status"] == "open"
