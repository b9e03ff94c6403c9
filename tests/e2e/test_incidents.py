"""Major incidents end to end (docs/incidents.md): every status move and the
409 naming the allowed ones, staff-only routes (customers get 404), bulk
ticket linking, one public update becoming exactly one public reply on
each linked ticket (seen by each requester, satisfying the SLA first
response), the customer update cadence with its overdue entry recorded
exactly once (also across a restart), settings and component audit rows,
and post-incident reviews with the overdue-actions view.

Time: the cadence clock counts from the incident's start, which may be
given in the past (`started_at`), so a deadline is already missed when the
incident is declared, or comes due a few seconds later, without waiting
minutes."""
import datetime as dt
import os
import re
import sqlite3
import time

from lib import Server, problem

MOVES = {  # the documented table: from -> allowed targets
    "investigating": ["identified", "monitoring", "resolved"],
    "identified": ["investigating", "monitoring", "resolved"],
    "monitoring": ["investigating", "identified", "resolved"],
    "resolved": [],
}
ORDER = ["investigating", "identified", "monitoring", "resolved"]


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def utc(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def now_s():
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def wait_for(fn, timeout, what):
    end = time.time() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def metric(s, name, kind):
    body = s.get("/metrics", token=None).body
    m = re.search(r'^%s\{kind="%s"\} (\d+)$' % (re.escape(name), re.escape(kind)), body, re.M)
    return int(m.group(1)) if m else 0


def people(s):
    """Two customer accounts with one customer each, an agent and an
    engineer; returns tokens by name."""
    tok = {"admin": s.token}
    for name in ("acme", "globex"):
        assert s.post("/api/v1/accounts", {"name": name, "tier": "enterprise"}).status == 201
    for email, role, acct in (("agent1@support.test", "agent", None),
                              ("eng1@support.test", "engineer", None),
                              ("alice@acme.test", "customer", "acme"),
                              ("bob@globex.test", "customer", "globex")):
        body = {"email": email, "role": role, "name": email.split("@")[0]}
        if acct:
            body["account"] = acct
        assert s.post("/api/v1/users", body).status == 201
        r = s.post("/api/v1/tokens", {"user": email})
        assert r.status == 201, r
        tok[email.split("@")[0]] = r.json["token"]
    return tok


def timeline(s, iid, token="default"):
    r = s.get(f"/api/v1/incidents/{iid}/timeline?limit=500", token=token)
    assert r.status == 200, r
    return r.json["items"]


def new_incident(s, token="default", **kw):
    body = {"title": "API errors", "severity": "SEV2"}
    body.update(kw)
    r = s.post("/api/v1/incidents", body, token=token)
    assert r.status == 201, r
    return r.json


def test_every_status_move_and_illegal_ones():
    with Server() as s:
        tok = people(s)
        for frm in ORDER:
            for to in ORDER:
                inc = new_incident(s, token=tok["eng1"])
                iid = inc["id"]
                assert inc["status"] == "investigating"
                # reach `frm` by the forward path
                path = ORDER[:ORDER.index(frm) + 1]
                for st in path[1:]:
                    r = s.patch(f"/api/v1/incidents/{iid}", {"status": st}, token=tok["agent1"])
                    assert r.status == 200 and r.json["status"] == st, r
                before = timeline(s, iid)
                r = s.patch(f"/api/v1/incidents/{iid}", {"status": to})
                if to == frm:
                    assert r.status == 200 and r.json["status"] == frm, r
                    assert [e for e in timeline(s, iid) if e["kind"] == "status"] == \
                        [e for e in before if e["kind"] == "status"]
                elif to in MOVES[frm]:
                    assert r.status == 200 and r.json["status"] == to, (frm, to, r)
                    last = [e for e in timeline(s, iid) if e["kind"] == "status"][-1]
                    assert last["data"] == {"from": frm, "to": to}
                    assert last["actor"]["email"] == s.get("/api/v1/users/me").json["email"]
                    assert (r.json["resolved_at"] is not None) == (to == "resolved")
                else:
                    p = problem(r, 409, "status")
                    allowed = ", ".join(MOVES[frm]) or "none"
                    assert p["detail"].endswith(f"allowed: {allowed}"), p
                    assert s.get(f"/api/v1/incidents/{iid}").json["status"] == frm
                    assert timeline(s, iid) == before  # nothing written
        # an update may move the status too, by the same rules
        inc = new_incident(s)
        r = s.post(f"/api/v1/incidents/{inc['id']}/updates",
                   {"body": "found it", "status": "identified"})
        assert r.status == 201 and r.json["status"] == "identified", r
        s.patch(f"/api/v1/incidents/{inc['id']}", {"status": "resolved"})
        p = problem(s.post(f"/api/v1/incidents/{inc['id']}/updates",
                           {"body": "again", "status": "monitoring"}), 409, "status")
        assert "allowed: none" in p["detail"]
        # bad values
        problem(s.patch(f"/api/v1/incidents/{inc['id']}", {"status": "fixed"}), 422, "status")
        problem(s.post("/api/v1/incidents", {"title": "x", "severity": "SEV5"}), 422, "severity")
        problem(s.post("/api/v1/incidents", {"severity": "SEV1"}), 422, "title")
        problem(s.post("/api/v1/incidents", {"title": "x", "severity": "SEV1", "colour": 1}), 422, "colour")
        problem(s.post("/api/v1/incidents", {"title": "x", "severity": "SEV1",
                                             "commander": "alice@acme.test"}), 422, "commander")
        future = iso(now_s() + dt.timedelta(hours=1))
        problem(s.post("/api/v1/incidents", {"title": "x", "severity": "SEV1",
                                             "started_at": future}), 422, "started_at")


def test_customers_get_404_and_roles_are_enforced():
    with Server() as s:
        tok = people(s)
        inc = new_incident(s, token=tok["agent1"])
        iid = inc["id"]
        r = s.post(f"/api/v1/incidents/{iid}/review/actions",
                   {"type": "corrective", "title": "add alert"})
        assert r.status == 201, r
        aid = r.json["id"]
        assert s.post("/api/v1/components", {"name": "API"}).status == 201
        calls = [("GET", "/api/v1/incidents", None), ("POST", "/api/v1/incidents", {"title": "x", "severity": "SEV1"}),
                 ("GET", f"/api/v1/incidents/{iid}", None), ("PATCH", f"/api/v1/incidents/{iid}", {"title": "y"}),
                 ("POST", f"/api/v1/incidents/{iid}/tickets", {"tickets": [1]}),
                 ("POST", f"/api/v1/incidents/{iid}/updates", {"body": "x", "public": True}),
                 ("GET", f"/api/v1/incidents/{iid}/timeline", None),
                 ("GET", f"/api/v1/incidents/{iid}/review", None),
                 ("PUT", f"/api/v1/incidents/{iid}/review", {"summary": "x"}),
                 ("POST", f"/api/v1/incidents/{iid}/review/actions", {"type": "corrective", "title": "x"}),
                 ("GET", "/api/v1/review-actions", None), ("PATCH", f"/api/v1/review-actions/{aid}", {"status": "done"}),
                 ("GET", "/api/v1/incident-settings", None),
                 ("PUT", "/api/v1/incident-settings", {"update_cadence_min": {"SEV1": 5}}),
                 ("GET", "/api/v1/components", None), ("GET", "/api/v1/components/1", None),
                 ("PATCH", "/api/v1/components/1", {"state": "major_outage"})]
        for method, path, body in calls:
            r = s.request(method, path, body=body, token=tok["alice"])
            problem(r, 404)
        # nothing changed
        got = s.get(f"/api/v1/incidents/{iid}").json
        assert got["title"] == "API errors" and got["status"] == "investigating"
        assert [e["kind"] for e in timeline(s, iid)] == ["created"]
        assert s.get("/api/v1/components/1").json["state"] == "operational"
        # staff roles: engineers run incidents; settings and new components are admin's
        assert s.patch(f"/api/v1/incidents/{iid}", {"title": "y"}, token=tok["eng1"]).status == 200
        problem(s.request("PUT", "/api/v1/incident-settings", body={"update_cadence_min": {"SEV1": 5}},
                          token=tok["agent1"]), 403)
        problem(s.post("/api/v1/components", {"name": "Web"}, token=tok["eng1"]), 403)
        assert s.patch("/api/v1/components/1", {"state": "degraded_performance"},
                       token=tok["eng1"]).status == 200
        # no token at all
        problem(s.get("/api/v1/incidents", token=None), 401)


def test_roles_components_accounts_and_timeline():
    with Server() as s:
        tok = people(s)
        for name in ("API", "Dashboard"):
            assert s.post("/api/v1/components", {"name": name}).status == 201
        inc = new_incident(s, title="Login failures", severity="SEV1", public=True,
                           components=["API"], accounts=["acme"], commander="agent1@support.test",
                           technical_lead="eng1@support.test",
                           component_states={"API": "major_outage"})
        iid = inc["id"]
        assert inc["roles"]["commander"]["email"] == "agent1@support.test"
        assert inc["roles"]["technical_lead"]["email"] == "eng1@support.test"
        assert inc["roles"]["communications_lead"] is None
        assert [c["name"] for c in inc["components"]] == ["API"]
        assert inc["components"][0]["state"] == "major_outage"
        assert [a["name"] for a in inc["accounts"]] == ["acme"]
        assert inc["severity"] == "SEV1" and inc["public"] is True
        r = s.patch(f"/api/v1/incidents/{iid}", {"communications_lead": s.get("/api/v1/users/me").json["email"],
                                                 "severity": "SEV2", "components": ["API", "Dashboard"],
                                                 "component_states": {"Dashboard": "degraded_performance"}})
        assert r.status == 200, r
        assert r.json["severity"] == "SEV2"
        assert {c["name"]: c["state"] for c in r.json["components"]} == \
            {"API": "major_outage", "Dashboard": "degraded_performance"}
        kinds = [e["kind"] for e in timeline(s, iid)]
        assert kinds[0] == "created"
        for k in ("component", "role", "severity", "components"):
            assert k in kinds, kinds
        sev = [e for e in timeline(s, iid) if e["kind"] == "severity"]
        assert [e["data"] for e in sev] == [{"from": "SEV1", "to": "SEV2"}]
        # resolving returns the components this incident affected to operational
        r = s.patch(f"/api/v1/incidents/{iid}", {"status": "resolved"})
        assert all(c["state"] == "operational" for c in r.json["components"]), r
        assert [c["state"] for c in s.get("/api/v1/components").json["items"]] == ["operational"] * 2
        # filters
        other = new_incident(s, severity="SEV3")
        ids = lambda q: [i["id"] for i in s.get("/api/v1/incidents" + q).json["items"]]
        assert ids("?active=true") == [other["id"]]
        assert ids("?active=false") == [iid]
        assert ids("?severity=SEV3") == [other["id"]]
        assert ids("?status=resolved") == [iid]
        assert ids("") == [other["id"], iid]
        page = s.get("/api/v1/incidents?limit=1").json
        assert [i["id"] for i in page["items"]] == [other["id"]] and page["next_cursor"]
        assert [i["id"] for i in s.get("/api/v1/incidents?limit=1&cursor=" + page["next_cursor"]).json["items"]] == [iid]
        problem(s.get("/api/v1/incidents?severity=SEV9"), 400, "severity")
        problem(s.get("/api/v1/incidents?active=maybe"), 400, "active")
        problem(s.get("/api/v1/incidents?colour=red"), 400, "colour")
        problem(s.get("/api/v1/incidents/999"), 404)
        # component changes are audited
        con = sqlite3.connect(os.path.join(s.dir, "casebook.db"))
        try:
            acts = [a for (a,) in con.execute("SELECT action FROM audit WHERE action LIKE 'component.%' ORDER BY id")]
        finally:
            con.close()
        assert acts.count("component.create") == 2 and acts.count("component.state") == 4, acts


def test_bulk_linking_and_one_public_update_per_linked_ticket():
    with Server() as s:
        tok = people(s)
        assert s.post("/api/v1/sla-policies", {"name": "all", "position": 1,
                                               "targets": {"first_response": 60}}).status == 201
        t1 = s.post("/api/v1/tickets", {"subject": "cannot log in"}, token=tok["alice"]).json["id"]
        t2 = s.post("/api/v1/tickets", {"subject": "errors everywhere"}, token=tok["bob"]).json["id"]
        t3 = s.post("/api/v1/tickets", {"subject": "also broken"}, token=tok["alice"]).json["id"]
        assert s.get(f"/api/v1/tickets/{t1}").json["sla"]["first_response"]["state"] == "running"
        iid = new_incident(s, public=True)["id"]
        # an unknown ticket rejects the whole request, nothing linked
        p = problem(s.post(f"/api/v1/incidents/{iid}/tickets", {"tickets": [t1, 99999]}), 422, "tickets[1]")
        assert s.get(f"/api/v1/incidents/{iid}").json["tickets"] == []
        assert not [e for e in s.get(f"/api/v1/tickets/{t1}/events").json["items"] if e["type"] == "incident"]
        problem(s.post(f"/api/v1/incidents/{iid}/tickets", {"tickets": []}), 422, "tickets")
        r = s.post(f"/api/v1/incidents/{iid}/tickets", {"tickets": [t1, t2]}, token=tok["eng1"])
        assert r.status == 200 and r.json["linked"] == [t1, t2] and r.json["already_linked"] == [], r
        r = s.post(f"/api/v1/incidents/{iid}/tickets", {"tickets": [t2, t3]})
        assert r.json["linked"] == [t3] and r.json["already_linked"] == [t2], r
        assert r.json["tickets"] == sorted([t1, t2, t3])
        for t in (t1, t2, t3):
            ev = [e for e in s.get(f"/api/v1/tickets/{t}/events").json["items"] if e["type"] == "incident"]
            assert [e["data"] for e in ev] == [{"action": "linked", "incident": iid}], ev
        # customers do not see the internal link event
        assert all(e["type"] != "incident" for e in s.get(f"/api/v1/tickets/{t1}/events", token=tok["alice"]).json["items"])
        # an internal update reaches no ticket
        r = s.post(f"/api/v1/incidents/{iid}/updates", {"body": "db failover in progress", "public": False})
        assert r.status == 201 and r.json["tickets_notified"] == 0, r
        for t in (t1, t2, t3):
            assert s.get(f"/api/v1/tickets/{t}/comments").json["items"] == []
        # one public update: one public reply on every linked ticket
        r = s.post(f"/api/v1/incidents/{iid}/updates",
                   {"body": "We are restoring service", "public": True, "status": "identified"},
                   token=tok["agent1"])
        assert r.status == 201 and r.json["tickets_notified"] == 3 and r.json["public"] is True, r
        for t, who in ((t1, "alice"), (t2, "bob"), (t3, "alice")):
            mine = s.get(f"/api/v1/tickets/{t}/comments", token=tok[who]).json["items"]
            assert len(mine) == 1, mine
            d = mine[0]["data"]
            assert d["public"] is True and "We are restoring service" in d["body"], mine
            assert "db failover" not in d["body"]
            # the reply is the agent's first response
            assert s.get(f"/api/v1/tickets/{t}").json["sla"]["first_response"]["state"] == "met"
        problem(s.get(f"/api/v1/tickets/{t2}/comments", token=tok["alice"]), 404)
        # a closed ticket is skipped (a reply there would fork a follow-up)
        assert s.patch(f"/api/v1/tickets/{t3}", {"status": "closed"}).status == 200
        r = s.post(f"/api/v1/incidents/{iid}/updates", {"body": "Monitoring", "public": True})
        assert r.json["tickets_notified"] == 2 and r.json["tickets_skipped"] == [t3], r
        assert len(s.get(f"/api/v1/tickets/{t3}/comments").json["items"]) == 1
        assert len(s.get(f"/api/v1/tickets/{t1}/comments").json["items"]) == 2
        ups = [e for e in timeline(s, iid) if e["kind"] == "update"]
        assert [(u["public"], u["data"]["body"]) for u in ups] == [
            (False, "db failover in progress"), (True, "We are restoring service"), (True, "Monitoring")]
        problem(s.post(f"/api/v1/incidents/{iid}/updates", {"public": True}), 422, "body")
        problem(s.post(f"/api/v1/incidents/{iid}/updates", {"body": "x", "public": "yes"}), 422, "public")
        assert len([e for e in timeline(s, iid) if e["kind"] == "update"]) == 3
        # an idempotent retry of a public update posts nothing twice
        h = {"Idempotency-Key": "upd-1"}
        a = s.post(f"/api/v1/incidents/{iid}/updates", {"body": "Once", "public": True}, headers=h)
        b = s.post(f"/api/v1/incidents/{iid}/updates", {"body": "Once", "public": True}, headers=h)
        assert a.status == b.status == 201 and a.json == b.json
        assert len(s.get(f"/api/v1/tickets/{t1}/comments").json["items"]) == 3


def test_cadence_defaults_settings_and_overdue_once_across_restart():
    with Server() as s:
        tok = people(s)
        got = s.get("/api/v1/incident-settings", token=tok["eng1"]).json
        assert got == {"update_cadence_min": {"SEV1": 30, "SEV2": 60, "SEV3": None, "SEV4": None}}
        sev1 = new_incident(s, severity="SEV1")
        assert sev1["update_cadence_min"] == 30 and sev1["cadence_source"] == "severity"
        assert utc(sev1["next_update_due"]) - utc(sev1["started_at"]) == dt.timedelta(minutes=30)
        assert sev1["overdue"] is False
        sev3 = new_incident(s, severity="SEV3")
        assert sev3["update_cadence_min"] is None and sev3["next_update_due"] is None
        problem(s.request("PUT", "/api/v1/incident-settings", body={"update_cadence_min": {"SEV3": 0}}),
                422, "update_cadence_min.SEV3")
        problem(s.request("PUT", "/api/v1/incident-settings", body={"update_cadence_min": {"SEV9": 5}}),
                422, "update_cadence_min.SEV9")
        # a short cadence for SEV3: the clock of the running SEV3 incident starts
        r = s.request("PUT", "/api/v1/incident-settings", body={"update_cadence_min": {"SEV3": 1}})
        assert r.status == 200 and r.json["update_cadence_min"]["SEV3"] == 1, r
        assert r.json["update_cadence_min"]["SEV1"] == 30
        got = s.get(f"/api/v1/incidents/{sev3['id']}").json
        assert utc(got["next_update_due"]) == utc(got["started_at"]) + dt.timedelta(minutes=1)
        con = sqlite3.connect(os.path.join(s.dir, "casebook.db"))
        try:
            assert con.execute("SELECT count(*) FROM audit WHERE action = 'incident.settings'").fetchone()[0] == 1
        finally:
            con.close()

        # an incident that started 5 minutes ago has missed its first deadline
        started = now_s() - dt.timedelta(minutes=5)
        inc = new_incident(s, severity="SEV3", public=True, started_at=iso(started))
        iid = inc["id"]
        due = started + dt.timedelta(minutes=1)
        assert utc(inc["next_update_due"]) == due and inc["overdue"] is True

        def overdue_entries():
            return [e for e in timeline(s, iid) if e["kind"] == "overdue"]

        ev = wait_for(overdue_entries, 10, "the overdue entry")
        time.sleep(1.5)  # more scheduler turns add nothing
        ev = overdue_entries()
        assert len(ev) == 1 and utc(ev[0]["at"]) == due and utc(ev[0]["data"]["due_at"]) == due, ev
        assert ev[0]["data"]["update_cadence_min"] == 1
        assert metric(s, "casebook_jobs_pending", "incident.update_due") >= 1  # the other incidents

        # a restart neither loses nor repeats it
        assert s.stop() == 0
        s.start()
        time.sleep(1.5)
        assert overdue_entries() == ev
        assert metric(s, "casebook_jobs_run_total", "incident.update_due") == 0

        # a public update restarts the clock; an internal one does not
        r = s.post(f"/api/v1/incidents/{iid}/updates", {"body": "still looking", "public": False})
        assert r.status == 201
        assert s.get(f"/api/v1/incidents/{iid}").json["overdue"] is True
        r = s.post(f"/api/v1/incidents/{iid}/updates", {"body": "Found the cause", "public": True})
        got = s.get(f"/api/v1/incidents/{iid}").json
        assert got["overdue"] is False and got["last_public_update_at"] is not None
        assert utc(got["next_update_due"]) - utc(got["last_public_update_at"]) == dt.timedelta(minutes=1)
        # resolving stops the clock and removes its job
        got = s.patch(f"/api/v1/incidents/{iid}", {"status": "resolved"}).json
        assert got["next_update_due"] is None and got["overdue"] is False
        assert len(overdue_entries()) == 1
        con = sqlite3.connect(os.path.join(s.dir, "casebook.db"))
        try:
            assert con.execute("SELECT count(*) FROM jobs WHERE kind = 'incident.update_due'"
                               " AND instance = ?", (iid,)).fetchone()[0] == 0
        finally:
            con.close()


def test_overdue_fires_while_running_with_an_incident_override():
    with Server() as s:
        people(s)
        started = now_s() - dt.timedelta(seconds=57)
        inc = new_incident(s, severity="SEV4", started_at=iso(started), update_cadence_min=1)
        iid = inc["id"]
        assert inc["cadence_source"] == "incident" and inc["update_cadence_min"] == 1
        due = started + dt.timedelta(minutes=1)
        assert utc(inc["next_update_due"]) == due
        before = metric(s, "casebook_jobs_run_total", "incident.update_due")
        ev = wait_for(lambda: [e for e in timeline(s, iid) if e["kind"] == "overdue"], 15,
                      "the overdue entry")
        assert now_s() >= due
        assert [utc(e["at"]) for e in ev] == [due]
        assert s.get(f"/api/v1/incidents/{iid}").json["overdue"] is True
        assert metric(s, "casebook_jobs_run_total", "incident.update_due") == before + 1
        # an override of 0 stops the clock; null goes back to the severity default (none)
        got = s.patch(f"/api/v1/incidents/{iid}", {"update_cadence_min": 0}).json
        assert got["next_update_due"] is None and got["overdue"] is False
        got = s.patch(f"/api/v1/incidents/{iid}", {"update_cadence_min": None}).json
        assert got["cadence_source"] == "severity" and got["update_cadence_min"] is None
        problem(s.patch(f"/api/v1/incidents/{iid}", {"update_cadence_min": -1}), 422, "update_cadence_min")
        assert len([e for e in timeline(s, iid) if e["kind"] == "overdue"]) == 1


def test_post_incident_review_and_overdue_actions():
    with Server() as s:
        tok = people(s)
        inc = new_incident(s, title="Checkout outage", severity="SEV1")
        iid = inc["id"]
        s.patch(f"/api/v1/incidents/{iid}", {"status": "identified"})
        s.post(f"/api/v1/incidents/{iid}/updates", {"body": "Rolled back deploy 42", "public": True})
        s.patch(f"/api/v1/incidents/{iid}", {"status": "resolved"})
        rv = s.get(f"/api/v1/incidents/{iid}/review", token=tok["eng1"]).json
        assert rv["saved"] is False and rv["summary"] == "" and rv["actions"] == []
        texts = [e["text"] for e in rv["timeline"]]
        assert texts[0].startswith("Incident declared: Checkout outage (SEV1)"), texts
        assert any("investigating -> identified" in t for t in texts), texts
        assert any("Rolled back deploy 42" in t for t in texts), texts
        assert [e["at"] for e in rv["timeline"]] == [e["at"] for e in timeline(s, iid)]
        # edit: keep the prefilled lines and add one
        tl = rv["timeline"] + [{"at": "2026-01-02T03:04:05+01:00", "text": "Customer comms sent"}]
        r = s.request("PUT", f"/api/v1/incidents/{iid}/review",
                      body={"summary": "Bad deploy", "customer_impact": "Checkout down 20 min",
                            "contributing_factors": ["no canary", "alert too late"], "timeline": tl})
        assert r.status == 200 and r.json["saved"] is True, r
        assert r.json["timeline"][-1] == {"at": "2026-01-02T02:04:05Z", "text": "Customer comms sent"}
        r = s.request("PUT", f"/api/v1/incidents/{iid}/review", body={"summary": "Bad deploy 42"})
        got = s.get(f"/api/v1/incidents/{iid}/review").json
        assert got["summary"] == "Bad deploy 42" and got["customer_impact"] == "Checkout down 20 min"
        assert got["contributing_factors"] == ["no canary", "alert too late"] and len(got["timeline"]) == len(tl)
        problem(s.request("PUT", f"/api/v1/incidents/{iid}/review",
                          body={"timeline": [{"at": "yesterday", "text": "x"}]}), 422, "timeline[0].at")
        problem(s.request("PUT", f"/api/v1/incidents/{iid}/review",
                          body={"contributing_factors": ["ok", 3]}), 422, "contributing_factors[1]")
        assert s.get(f"/api/v1/incidents/{iid}/review").json["summary"] == "Bad deploy 42"
        problem(s.get("/api/v1/incidents/999/review"), 404)

        # actions
        def act(**kw):
            r = s.post(f"/api/v1/incidents/{iid}/review/actions", kw)
            assert r.status == 201, r
            return r.json

        late2 = act(type="corrective", title="add canary", owner="eng1@support.test", due_date="2021-05-01")
        late1 = act(type="preventive", title="alert sooner", due_date="2020-01-01")
        future = act(type="preventive", title="chaos test", due_date="2999-01-01")
        undated = act(type="corrective", title="write runbook")
        done = act(type="corrective", title="fix config", due_date="2019-01-01", status="done")
        assert late2["owner"]["email"] == "eng1@support.test" and late2["status"] == "open"
        assert late2["overdue"] is True and future["overdue"] is False and done["overdue"] is False
        assert done["done_at"] is not None
        ov = s.get("/api/v1/review-actions?overdue=true").json["items"]
        assert [a["id"] for a in ov] == [late1["id"], late2["id"]]
        every = s.get("/api/v1/review-actions").json["items"]
        assert [a["id"] for a in every] == [done["id"], late1["id"], late2["id"], future["id"], undated["id"]]
        # lifecycle: open -> in_progress -> done; done is final
        r = s.patch(f"/api/v1/review-actions/{late1['id']}", {"status": "in_progress"})
        assert r.status == 200 and r.json["status"] == "in_progress" and r.json["overdue"] is True
        r = s.patch(f"/api/v1/review-actions/{late1['id']}", {"status": "done"})
        assert r.json["status"] == "done" and r.json["overdue"] is False and r.json["done_at"]
        p = problem(s.patch(f"/api/v1/review-actions/{late1['id']}", {"status": "open"}), 409, "status")
        assert p["detail"].endswith("allowed: none"), p
        p = problem(s.patch(f"/api/v1/review-actions/{late2['id']}", {"status": "closed"}), 422, "status")
        assert [a["id"] for a in s.get("/api/v1/review-actions?overdue=true").json["items"]] == [late2["id"]]
        assert [a["id"] for a in s.get(f"/api/v1/review-actions?status=done&incident={iid}").json["items"]] == \
            [done["id"], late1["id"]]
        page = s.get("/api/v1/review-actions?limit=2").json
        nxt = s.get("/api/v1/review-actions?limit=2&cursor=" + page["next_cursor"]).json
        assert [a["id"] for a in page["items"] + nxt["items"]] == [a["id"] for a in every][:4]
        problem(s.post(f"/api/v1/incidents/{iid}/review/actions", {"type": "fix", "title": "x"}), 422, "type")
        problem(s.post(f"/api/v1/incidents/{iid}/review/actions", {"type": "corrective", "title": "x",
                                                                    "due_date": "2021-02-30"}), 422, "due_date")
        problem(s.get("/api/v1/review-actions?overdue=yes"), 400, "overdue")
        rv = s.get(f"/api/v1/incidents/{iid}/review").json
        assert len(rv["actions"]) == 5


def test_deadline_missed_while_the_server_is_down_is_recorded_after_restart():
    with Server() as s:
        people(s)
        started = now_s() - dt.timedelta(seconds=52)
        inc = new_incident(s, severity="SEV2", started_at=iso(started), update_cadence_min=1)
        iid = inc["id"]
        due = started + dt.timedelta(minutes=1)
        assert utc(inc["next_update_due"]) == due and inc["overdue"] is False
        assert s.stop() == 0
        # the deadline passes while nothing runs; its job waits in the table
        con = sqlite3.connect(os.path.join(s.dir, "casebook.db"))
        try:
            rows = con.execute("SELECT due_at FROM jobs WHERE kind = 'incident.update_due'"
                               " AND instance = ?", (iid,)).fetchall()
        finally:
            con.close()
        assert [dt.datetime.fromtimestamp(r[0] / 1000, dt.timezone.utc) for r in rows] == [due]
        while now_s() <= due:
            time.sleep(0.2)
        s.start()
        ev = wait_for(lambda: [e for e in timeline(s, iid) if e["kind"] == "overdue"], 10,
                      "the overdue entry after the restart")
        time.sleep(1.2)
        ev = [e for e in timeline(s, iid) if e["kind"] == "overdue"]
        assert [utc(e["at"]) for e in ev] == [due], ev
        assert s.get(f"/api/v1/incidents/{iid}").json["overdue"] is True


def test_unlinking_a_ticket():
    with Server() as s:
        tok = people(s)
        t1 = s.post("/api/v1/tickets", {"subject": "cannot log in"}, token=tok["alice"]).json["id"]
        t2 = s.post("/api/v1/tickets", {"subject": "errors everywhere"}, token=tok["bob"]).json["id"]
        iid = new_incident(s, public=True)["id"]
        assert s.post(f"/api/v1/incidents/{iid}/tickets", {"tickets": [t1, t2]}).status == 200
        # customers and agents below engineer cannot unlink; unknown ids are 404
        problem(s.request("DELETE", f"/api/v1/incidents/{iid}/tickets/{t1}", token=tok["alice"]), 404)
        problem(s.request("DELETE", f"/api/v1/incidents/9999/tickets/{t1}"), 404)
        r = s.request("DELETE", f"/api/v1/incidents/{iid}/tickets/{t1}", token=tok["eng1"])
        assert r.status == 200 and r.json == {"unlinked": t1, "tickets": [t2]}, r
        assert s.get(f"/api/v1/incidents/{iid}").json["tickets"] == [t2]
        ev = [e["data"] for e in s.get(f"/api/v1/tickets/{t1}/events").json["items"] if e["type"] == "incident"]
        assert ev == [{"action": "linked", "incident": iid}, {"action": "unlinked", "incident": iid}], ev
        un = [e for e in timeline(s, iid) if e["kind"] == "unlinked"]
        assert len(un) == 1 and un[0]["data"] == {"tickets": [t1]} and un[0]["public"] is False, un
        # not linked any more: 404, and nothing written
        n = len(s.get(f"/api/v1/tickets/{t1}/events").json["items"])
        problem(s.request("DELETE", f"/api/v1/incidents/{iid}/tickets/{t1}"), 404)
        assert len(s.get(f"/api/v1/tickets/{t1}/events").json["items"]) == n
        # a public update now reaches only the ticket still linked
        r = s.post(f"/api/v1/incidents/{iid}/updates", {"body": "Restoring", "public": True})
        assert r.json["tickets_notified"] == 1, r
        assert s.get(f"/api/v1/tickets/{t1}/comments").json["items"] == []
        assert len(s.get(f"/api/v1/tickets/{t2}/comments").json["items"]) == 1
        # and it can be linked again
        r = s.post(f"/api/v1/incidents/{iid}/tickets", {"tickets": [t1]})
        assert r.json["linked"] == [t1], r


def test_public_update_of_a_non_public_incident_keeps_its_title_internal():
    with Server() as s:
        tok = people(s)
        t1 = s.post("/api/v1/tickets", {"subject": "cannot log in"}, token=tok["alice"]).json["id"]
        secret = "Payments DB corrupted by migration 0042"
        iid = new_incident(s, title=secret, public=False)["id"]
        assert s.post(f"/api/v1/incidents/{iid}/tickets", {"tickets": [t1]}).status == 200
        r = s.post(f"/api/v1/incidents/{iid}/updates",
                   {"body": "We are restoring service", "public": True, "status": "identified"})
        assert r.status == 201 and r.json["tickets_notified"] == 1, r
        mine = s.get(f"/api/v1/tickets/{t1}/comments", token=tok["alice"])
        assert [c["data"]["body"] for c in mine.json["items"]] == \
            ["Incident update [identified]\n\nWe are restoring service"], mine
        for path in (f"/api/v1/tickets/{t1}/events", f"/api/v1/tickets/{t1}"):
            assert secret not in s.get(path, token=tok["alice"]).body, path
        for path in ("/status", "/status.json", "/status.atom"):
            assert secret not in s.get(path, token=None).body, path
        # once the incident is public its title goes with its updates
        assert s.patch(f"/api/v1/incidents/{iid}", {"public": True}).status == 200
        r = s.post(f"/api/v1/incidents/{iid}/updates", {"body": "Monitoring", "public": True})
        assert r.status == 201, r
        bodies = [c["data"]["body"] for c in s.get(f"/api/v1/tickets/{t1}/comments", token=tok["alice"]).json["items"]]
        assert bodies[-1].startswith(f"Incident update: {secret} ["), bodies
