"""The SLA engine end to end: the worked example of docs/metrics.md section 6
through imported history, the clock history, queues ordered by urgency."""
import json

from lib import Server, problem


def setup(s):
    assert s.post("/api/v1/accounts", {"name": "acme", "tier": "enterprise"}).status == 201
    assert s.post("/api/v1/users", {"email": "agent1@support.test", "role": "agent", "name": "A"}).status == 201
    assert s.post("/api/v1/users", {"email": "alice@acme.test", "role": "customer", "account": "acme"}).status == 201
    r = s.post("/api/v1/calendars", {"name": "ny-business", "timezone": "America/New_York",
                                      "hours": {d: [["09:00", "17:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]},
                                      "holidays": ["2026-03-09"]})
    assert r.status == 201, r
    r = s.post("/api/v1/sla-policies", {"name": "p2", "position": 1, "conditions": {"priority": "P2"},
                                         "calendar": "ny-business",
                                         "targets": {"first_response": 60, "next_update": 240, "resolution": 960}})
    assert r.status == 201, r


def imp(s, line):
    r = s.request("POST", "/api/v1/import/tickets", raw=json.dumps(line) + "\n",
                  content_type="application/x-ndjson")
    assert r.status == 200 and r.json["imported"] == 1, r
    return r.json["results"][0]["id"]


WORKED = {"external_id": "W-1", "subject": "SSO login loop", "requester": "alice@acme.test",
          "account": "acme", "priority": "P2", "created_at": "2026-03-06T21:30:00Z", "events": [
              {"at": "2026-03-10T13:10:00Z", "type": "comment", "author": "agent1@support.test",
               "public": True, "body": "Looking into it"},
              {"at": "2026-03-10T14:00:00Z", "type": "status", "status": "pending", "author": "agent1@support.test"},
              {"at": "2026-03-11T15:00:00Z", "type": "comment", "author": "alice@acme.test",
               "public": True, "body": "Here are the logs"},
              {"at": "2026-03-11T19:00:00Z", "type": "status", "status": "solved", "author": "agent1@support.test"}]}


def test_worked_example_of_metrics_section_6():
    with Server() as s:
        setup(s)
        # step 1 alone: due Tue 09:30 local = 13:30Z (holiday Monday, DST Sunday)
        first = dict(WORKED, external_id="W-0", events=[])
        t0 = imp(s, first)
        sla = s.get(f"/api/v1/tickets/{t0}").json["sla"]
        assert sla["policy"] == "p2"
        fr = sla["first_response"]
        assert fr["target_s"] == 3600
        assert fr["state"] == "breached"   # "now" is long after 2026-03-10
        assert fr["breached_at"] == "2026-03-10T13:30:00Z"
        tid = imp(s, WORKED)
        sla = s.get(f"/api/v1/tickets/{tid}").json["sla"]
        fr, nu, res = sla["first_response"], sla["next_update"], sla["resolution"]
        assert fr["state"] == "met" and fr["elapsed_s"] == 2400 and fr["breached_at"] is None, fr
        assert nu["state"] == "breached" and nu["breached_at"] == "2026-03-11T18:10:00Z", nu
        assert nu["elapsed_s"] == 290 * 60 and nu["target_s"] == 240 * 60, nu
        assert res["state"] == "met" and res["elapsed_s"] == 330 * 60 and res["target_s"] == 960 * 60, res
        for c in (fr, nu, res):
            assert c["due_at"] is None and c["at_risk"] is False
        # the history explains it
        h = s.get(f"/api/v1/tickets/{tid}/sla/history").json["items"]
        kinds = [(e["clock"], e["kind"], e["at"]) for e in h]
        assert ("first_response", "fulfil", "2026-03-10T13:10:00Z") in kinds
        assert ("next_update", "start", "2026-03-10T13:10:00Z") in kinds
        assert ("next_update", "pause", "2026-03-10T14:00:00Z") in kinds
        assert ("next_update", "resume", "2026-03-11T15:00:00Z") in kinds
        assert ("next_update", "breach", "2026-03-11T18:10:00Z") in kinds
        assert ("resolution", "fulfil", "2026-03-11T19:00:00Z") in kinds
        pause = next(e for e in h if e["clock"] == "resolution" and e["kind"] == "pause")
        assert pause["elapsed_s"] == 90 * 60
        # the breach is on the timeline once, at its breach instant
        ev = s.get(f"/api/v1/tickets/{tid}/events?limit=500").json["items"]
        sla_ev = [e for e in ev if e["type"] == "sla"]
        assert [(e["data"]["clock"], e["data"]["kind"], e["at"]) for e in sla_ev
                if e["data"]["kind"] == "breached"] == [("next_update", "breached", "2026-03-11T18:10:00Z")]
        # customers see the sla object but not the history or the sla events
        tok = s.post("/api/v1/tokens", {"user": "alice@acme.test"}).json["token"]
        problem(s.get(f"/api/v1/tickets/{tid}/sla/history", token=tok), 404)
        assert all(e["type"] != "sla" for e in s.get(f"/api/v1/tickets/{tid}/events", token=tok).json["items"])


def test_queues_order_by_urgency():
    with Server() as s:
        setup(s)
        s.post("/api/v1/sla-policies", {"name": "p1-247", "position": 0, "conditions": {"priority": "P1"},
                                        "targets": {"first_response": 30, "resolution": 240}})
        # three open tickets due at different times, one without an SLA
        a = s.post("/api/v1/tickets", {"subject": "a", "priority": "P1", "requester": "alice@acme.test"}).json
        b = s.post("/api/v1/tickets", {"subject": "b", "priority": "P4", "requester": "alice@acme.test"}).json
        old = dict(WORKED, external_id="Q-1", events=[], created_at="2026-01-05T15:00:00Z")
        c = imp(s, old)   # breached long ago
        assert a["sla"]["first_response"]["state"] == "running"
        assert a["sla"]["first_response"]["target_s"] == 1800
        assert "first_response" not in b["sla"]
        ids = [t["id"] for t in s.get("/api/v1/views/all_open/tickets").json["items"]]
        assert ids == [c, a["id"], b["id"]], ids
        assert [t["id"] for t in s.get("/api/v1/views/breached/tickets").json["items"]] == [c]
        assert [t["id"] for t in s.get("/api/v1/views/unassigned/tickets?priority=P1").json["items"]] == [a["id"]]
        assert s.get("/api/v1/views/at_risk/tickets").json["items"] == []
        assert s.get("/api/v1/views/mine/tickets").json["items"] == []
        s.patch(f"/api/v1/tickets/{a['id']}", {"assignee": "agent1@support.test"})
        tok = s.post("/api/v1/tokens", {"user": "agent1@support.test"}).json["token"]
        assert [t["id"] for t in s.get("/api/v1/views/mine/tickets", token=tok).json["items"]] == [a["id"]]
        assert [t["id"] for t in s.get("/api/v1/views/all_open/tickets?tier=enterprise").json["items"]] == [c, a["id"], b["id"]]
        # pagination through a queue
        p1 = s.get("/api/v1/views/all_open/tickets?limit=2").json
        p2 = s.get(f"/api/v1/views/all_open/tickets?limit=2&cursor={p1['next_cursor']}").json
        assert [t["id"] for t in p1["items"] + p2["items"]] == [c, a["id"], b["id"]] and p2["next_cursor"] is None
        problem(s.get("/api/v1/views/nope/tickets"), 404)
        problem(s.get("/api/v1/views/all_open/tickets?tier=gold"), 400, "tier")
        ctok = s.post("/api/v1/tokens", {"user": "alice@acme.test"}).json["token"]
        problem(s.get("/api/v1/views/all_open/tickets", token=ctok), 404)


def test_pause_across_a_weekend_on_business_hours():
    with Server() as s:
        setup(s)
        # Fri 2026-03-13 16:30 EDT (20:30Z) created; pending Fri 16:45; customer
        # replies Sat; the clock resumes but Sat/Sun are closed; agent replies
        # Mon 09:20 EDT (13:20Z): first_response accrued 30 (Fri) + 20 (Mon) = 50 min
        line = dict(WORKED, external_id="WE-1", created_at="2026-03-13T20:30:00Z", events=[
            {"at": "2026-03-13T20:45:00Z", "type": "status", "status": "pending", "author": "agent1@support.test"},
            {"at": "2026-03-14T15:00:00Z", "type": "comment", "author": "alice@acme.test", "public": True, "body": "logs"},
            {"at": "2026-03-16T13:20:00Z", "type": "comment", "author": "agent1@support.test", "public": True, "body": "fixed"}])
        tid = imp(s, line)
        sla = s.get(f"/api/v1/tickets/{tid}").json["sla"]
        assert sla["first_response"]["state"] == "met"
        assert sla["first_response"]["elapsed_s"] == 50 * 60   # never pauses
        # resolution paused while pending: 15 min Friday; resumed on Saturday
        # (closed), so at the Monday reply it has 15 + 20 = 35 min
        h = s.get(f"/api/v1/tickets/{tid}/sla/history").json["items"]
        res_pause = next(e for e in h if e["clock"] == "resolution" and e["kind"] == "pause")
        assert res_pause["elapsed_s"] == 15 * 60
        res_resume = next(e for e in h if e["clock"] == "resolution" and e["kind"] == "resume")
        assert res_resume["at"] == "2026-03-14T15:00:00Z" and res_resume["elapsed_s"] == 15 * 60
        nu_start = next(e for e in h if e["clock"] == "next_update" and e["kind"] == "start")
        assert nu_start["at"] == "2026-03-16T13:20:00Z"


def test_saved_views_personal_and_shared():
    with Server() as s:
        setup(s)
        agent = s.post("/api/v1/tokens", {"user": "agent1@support.test"}).json["token"]
        assert s.post("/api/v1/users", {"email": "agent2@support.test", "role": "agent"}).status == 201
        other = s.post("/api/v1/tokens", {"user": "agent2@support.test"}).json["token"]
        assert s.post("/api/v1/groups", {"name": "tier2", "members": ["agent1@support.test"]}).status == 201
        p1 = s.post("/api/v1/tickets", {"subject": "p1", "priority": "P1", "requester": "alice@acme.test",
                                        "group": "tier2"}).json["id"]
        p2 = s.post("/api/v1/tickets", {"subject": "p2", "priority": "P2", "requester": "alice@acme.test",
                                        "group": "tier2"}).json["id"]
        p3 = s.post("/api/v1/tickets", {"subject": "p3", "priority": "P3", "requester": "alice@acme.test"}).json["id"]
        r = s.post("/api/v1/views", {"name": "tier2 hot", "base": "all_open", "sort": "created_desc",
                                     "filters": {"group": "tier2", "priority": ["P1", "P2"]}}, token=agent)
        assert r.status == 201, r
        v = r.json
        assert v["shared"] is False and v["owner"]["email"] == "agent1@support.test"
        assert v["filters"]["group"]["name"] == "tier2" and v["filters"]["priority"] == ["P1", "P2"]
        # by id and by name, in its sort order
        assert [t["id"] for t in s.get(f"/api/v1/views/{v['id']}/tickets", token=agent).json["items"]] == [p2, p1]
        assert [t["id"] for t in s.get("/api/v1/views/tier2%20hot/tickets", token=agent).json["items"]] == [p2, p1]
        # the query string narrows it
        assert [t["id"] for t in s.get(f"/api/v1/views/{v['id']}/tickets?priority=P1", token=agent).json["items"]] == [p1]
        # personal: invisible to another agent
        problem(s.get(f"/api/v1/views/{v['id']}", token=other), 404)
        problem(s.get(f"/api/v1/views/{v['id']}/tickets", token=other), 404)
        problem(s.patch(f"/api/v1/views/{v['id']}", {"name": "mine now"}, token=other), 404)
        # shared: visible to all agents, listed after the built-ins
        sh = s.post("/api/v1/views", {"name": "unassigned P3", "base": "unassigned", "shared": True,
                                      "filters": {"priority": "P3", "assignee": "none"}}, token=agent).json
        names = [x["name"] for x in s.get("/api/v1/views", token=other).json["items"]]
        assert names[:5] == ["all_open", "mine", "unassigned", "at_risk", "breached"]
        assert "unassigned P3" in names and "tier2 hot" not in names
        assert [t["id"] for t in s.get(f"/api/v1/views/{sh['id']}/tickets", token=other).json["items"]] == [p3]
        # update and delete
        r = s.patch(f"/api/v1/views/{v['id']}", {"sort": "priority"}, token=agent)
        assert r.status == 200 and r.json["sort"] == "priority"
        assert [t["id"] for t in s.get(f"/api/v1/views/{v['id']}/tickets", token=agent).json["items"]] == [p1, p2]
        # bad input, nothing written
        problem(s.post("/api/v1/views", {"name": "x", "base": "everything"}, token=agent), 422, "base")
        problem(s.post("/api/v1/views", {"name": "x", "sort": "random"}, token=agent), 422, "sort")
        problem(s.post("/api/v1/views", {"name": "x", "filters": {"colour": 1}}, token=agent), 422, "filters.colour")
        problem(s.post("/api/v1/views", {"name": "x", "filters": {"group": "nope"}}, token=agent), 422, "filters.group")
        problem(s.post("/api/v1/views", {"name": "breached"}, token=agent), 422, "name")
        problem(s.post("/api/v1/views", {"name": "tier2 hot"}, token=agent), 409, "name")
        assert len(s.get("/api/v1/views", token=agent).json["items"]) == 7
        assert s.request("DELETE", f"/api/v1/views/{v['id']}", token=agent).status == 200
        problem(s.get(f"/api/v1/views/{v['id']}", token=agent), 404)


def test_at_risk_queue():
    import datetime
    with Server() as s:
        setup(s)
        s.post("/api/v1/sla-policies", {"name": "p1-247", "position": 0, "conditions": {"priority": "P1"},
                                        "targets": {"first_response": 30}})
        now = datetime.datetime.now(datetime.timezone.utc)
        def ago(minutes):
            return (now - datetime.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
        risky = imp(s, dict(WORKED, external_id="R-1", priority="P1", created_at=ago(25), events=[]))
        fresh = imp(s, dict(WORKED, external_id="R-2", priority="P1", created_at=ago(5), events=[]))
        late = imp(s, dict(WORKED, external_id="R-3", priority="P1", created_at=ago(45), events=[]))
        t = s.get(f"/api/v1/tickets/{risky}").json["sla"]["first_response"]
        assert t["state"] == "running" and t["at_risk"] is True, t
        assert [x["id"] for x in s.get("/api/v1/views/at_risk/tickets").json["items"]] == [risky]
        assert [x["id"] for x in s.get("/api/v1/views/breached/tickets").json["items"]] == [late]
        assert [x["id"] for x in s.get("/api/v1/views/all_open/tickets").json["items"]] == [late, risky, fresh]


def metric(s, name):
    for line in s.get("/metrics").body.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(name + " not in /metrics")


def test_sla_render_follows_events_tiers_config_and_time():
    """A ticket's `sla` is rendered from a cached fold of its events: the
    render must still follow a new event, a tier change of its account
    (no ticket event), a policy change, and the clock."""
    import time
    with Server() as s:
        assert s.post("/api/v1/accounts", {"name": "acme", "tier": "standard"}).status == 201
        acme = [a["id"] for a in s.get("/api/v1/accounts").json["items"] if a["name"] == "acme"][0]
        assert s.post("/api/v1/users", {"email": "agent1@support.test", "role": "agent"}).status == 201
        assert s.post("/api/v1/users", {"email": "alice@acme.test", "role": "customer",
                                        "account": "acme"}).status == 201
        ent = s.post("/api/v1/sla-policies", {"name": "ent", "position": 1, "calendar": "24x7",
                                              "conditions": {"tier": "enterprise"},
                                              "targets": {"first_response": 60}}).json
        assert s.post("/api/v1/sla-policies", {"name": "std", "position": 2, "calendar": "24x7",
                                                "conditions": {"tier": "standard"},
                                                "targets": {"first_response": 120}}).status == 201
        r = s.post("/api/v1/tickets", {"subject": "Export fails", "description": "x", "priority": "P3",
                                       "account": "acme", "requester": "alice@acme.test"})
        assert r.status == 201, r
        tid = r.json["id"]
        first = s.get(f"/api/v1/tickets/{tid}").json["sla"]
        assert first["policy"] == "std" and first["first_response"]["target_s"] == 7200, first
        assert first["first_response"]["state"] == "running"
        hits = metric(s, "casebook_sla_fold_cache_hits_total")
        # the same fold again, viewed at a later now: elapsed time moves on
        time.sleep(1.2)
        again = s.get(f"/api/v1/tickets/{tid}").json["sla"]
        assert metric(s, "casebook_sla_fold_cache_hits_total") > hits
        assert again["first_response"]["elapsed_s"] >= first["first_response"]["elapsed_s"] + 1, (first, again)
        assert again["first_response"]["due_at"] == first["first_response"]["due_at"]
        # the account's tier changes: no ticket event, a different policy
        assert s.patch(f"/api/v1/accounts/{acme}", {"tier": "enterprise"}).status == 200
        sla = s.get(f"/api/v1/tickets/{tid}").json["sla"]
        assert sla["policy"] == "ent" and sla["first_response"]["target_s"] == 3600, sla
        # the policy's target changes
        r = s.patch(f"/api/v1/sla-policies/{ent['id']}", {"targets": {"first_response": 30}})
        assert r.status == 200, r
        sla = s.get(f"/api/v1/tickets/{tid}").json["sla"]
        assert sla["first_response"]["target_s"] == 1800, sla
        # an event: the agent's public reply ends the first-response clock
        agent = s.post("/api/v1/tokens", {"user": "agent1@support.test"}).json["token"]
        r = s.post(f"/api/v1/tickets/{tid}/comments", {"body": "On it", "public": True}, token=agent)
        assert r.status == 201, r
        sla = s.get(f"/api/v1/tickets/{tid}").json["sla"]
        assert sla["first_response"]["state"] == "met", sla
        # lists render the same object
        listed = [t for t in s.get("/api/v1/tickets?status=open").json["items"] if t["id"] == tid]
        assert listed and listed[0]["sla"]["first_response"]["state"] == "met", listed
        assert metric(s, "casebook_sqlite_cache_bytes") > 0


def test_urgency_is_one_definition_for_order_and_badge():
    """Issue 14 item 3: a breached first response outranks a running
    resolution clock in the ticket's urgency (the badge's clock), breached
    tickets come first, longest overdue first, then running clocks by due
    instant, paused and clock-less tickets last; the queue is in that order."""
    import datetime
    with Server() as s:
        setup(s)
        s.post("/api/v1/sla-policies", {"name": "p1-247", "position": 0, "conditions": {"priority": "P1"},
                                        "targets": {"first_response": 30, "resolution": 100000}})
        now = datetime.datetime.now(datetime.timezone.utc)

        def ago(minutes):
            return (now - datetime.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
        late = imp(s, dict(WORKED, external_id="U-1", priority="P1", created_at=ago(45), events=[]))
        later = imp(s, dict(WORKED, external_id="U-2", priority="P1", created_at=ago(90), events=[]))
        fresh = imp(s, dict(WORKED, external_id="U-3", priority="P1", created_at=ago(5), events=[]))
        # answered, then pending: every clock met or paused
        paused = imp(s, dict(WORKED, external_id="U-4", priority="P1", created_at=ago(20), events=[
            {"at": ago(19), "type": "comment", "author": "agent1@support.test", "public": True, "body": "on it"},
            {"at": ago(18), "type": "status", "status": "pending", "author": "agent1@support.test"}]))
        nosla = s.post("/api/v1/tickets", {"subject": "n", "priority": "P4", "requester": "alice@acme.test"}).json["id"]
        sla = s.get(f"/api/v1/tickets/{late}").json["sla"]
        assert sla["resolution"]["state"] == "running" and sla["first_response"]["state"] == "breached", sla
        assert sla["urgency"] == {"clock": "first_response", "state": "breached",
                                  "at": sla["first_response"]["breached_at"]}, sla
        f = s.get(f"/api/v1/tickets/{fresh}").json["sla"]
        assert f["urgency"] == {"clock": "first_response", "state": "due", "at": f["first_response"]["due_at"]}, f
        p = s.get(f"/api/v1/tickets/{paused}").json["sla"]
        assert p["urgency"]["state"] == "paused" and p["urgency"]["clock"] == "resolution" and p["urgency"]["at"] is None, p
        assert s.get(f"/api/v1/tickets/{nosla}").json["sla"]["urgency"] is None
        items = s.get("/api/v1/views/all_open/tickets").json["items"]
        assert [t["id"] for t in items] == [later, late, fresh, paused, nosla], [t["id"] for t in items]
        rank = {"breached": 0, "due": 1, "paused": 2}
        keys = [(rank[t["sla"]["urgency"]["state"]] if t["sla"]["urgency"] else 3,
                 t["sla"]["urgency"]["at"] or "" if t["sla"]["urgency"] else "") for t in items]
        assert keys == sorted(keys), keys
        assert all(t["sla"]["urgency"]["state"] == "breached"
                   for t in s.get("/api/v1/views/breached/tickets").json["items"])


def test_demo_queues_are_in_urgency_order():
    """On the demo data, every queue's rows are in the order of their
    urgency, and every row of the breached queue has a breached urgency."""
    import subprocess
    from lib import BIN
    srv = Server()
    subprocess.run([BIN, "demo", "--data", srv.dir], check=True, capture_output=True)
    with srv as s:
        rank = {"breached": 0, "due": 1, "paused": 2}
        for view in ("all_open", "breached", "unassigned"):
            items = s.get(f"/api/v1/views/{view}/tickets?limit=100").json["items"]
            assert items, view
            keys = []
            for t in items:
                u = t["sla"]["urgency"]
                keys.append((rank[u["state"]], u["at"] or "") if u else (3, ""))
            assert keys == sorted(keys), (view, keys)
            if view == "breached":
                assert all(k[0] == 0 for k in keys), keys


def two_calendar_setup(s):
    """Issue 14's configuration: Mon-Fri 09:00-17:00; P1 24x7 (30/60/480),
    P4 on business hours with a resolution target only, a catch-all on
    business hours (240/480/1440)."""
    setup(s)
    biz = {"name": "biz", "timezone": "UTC", "hours": {d: [["09:00", "17:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]}}
    assert s.post("/api/v1/calendars", biz).status == 201
    for pos, name, cond, cal, targets in [
            (10, "p1", {"priority": "P1"}, None, {"first_response": 30, "next_update": 60, "resolution": 480}),
            (11, "p4", {"priority": "P4"}, "biz", {"resolution": 2400}),
            (12, "catch-all", {}, "biz", {"first_response": 240, "next_update": 480, "resolution": 1440})]:
        body = {"name": name, "position": pos, "conditions": cond, "targets": targets}
        if cal:
            body["calendar"] = cal
        r = s.post("/api/v1/sla-policies", body)
        assert r.status == 201, r


def test_latest_next_update_instance_and_breached_clock_calendar_switch():
    with Server() as s:
        two_calendar_setup(s)
        ag = "agent1@support.test"
        # item 1: the latest next-update instance never had a target: absent
        t = imp(s, dict(WORKED, external_id="N-1", priority="P3", created_at="2026-03-09T10:00:00Z", events=[
            {"at": "2026-03-09T10:00:00Z", "type": "assign", "assignee": ag, "author": ag},
            {"at": "2026-03-09T10:30:00Z", "type": "comment", "author": ag, "public": True, "body": "a"},
            {"at": "2026-03-09T11:00:00Z", "type": "priority", "priority": "P4", "author": ag},
            {"at": "2026-03-09T12:00:00Z", "type": "comment", "author": ag, "public": True, "body": "b"}]))
        sla = s.get(f"/api/v1/tickets/{t}").json["sla"]
        assert sla["policy"] == "p4", sla
        assert "next_update" not in sla, sla
        # item 2: a breached first response moves to P4's calendar at the switch
        t = imp(s, dict(WORKED, external_id="N-2", priority="P1", created_at="2026-03-09T08:00:00Z", events=[
            {"at": "2026-03-09T08:00:00Z", "type": "assign", "assignee": ag, "author": ag},
            {"at": "2026-03-09T09:00:00Z", "type": "priority", "priority": "P4", "author": ag},
            {"at": "2026-03-10T10:00:00Z", "type": "comment", "author": ag, "public": True, "body": "a"}]))
        fr = s.get(f"/api/v1/tickets/{t}").json["sla"]["first_response"]
        assert fr["state"] == "breached" and fr["target_s"] == 1800 and fr["elapsed_s"] == 36000, fr
        assert fr["breached_at"] == "2026-03-09T08:30:00Z", fr
        h = s.get(f"/api/v1/tickets/{t}/sla/history").json["items"]
        step = [e for e in h if e["clock"] == "first_response" and e["kind"] == "policy"]
        assert [(e["at"], e["policy"], e["target_s"], e["elapsed_s"]) for e in step] == \
            [("2026-03-09T09:00:00Z", "p4", 1800, 3600)], step
        # next-update variant
        t = imp(s, dict(WORKED, external_id="N-3", priority="P1", created_at="2026-03-09T08:00:00Z", events=[
            {"at": "2026-03-09T08:00:00Z", "type": "assign", "assignee": ag, "author": ag},
            {"at": "2026-03-09T08:10:00Z", "type": "comment", "author": ag, "public": True, "body": "a"},
            {"at": "2026-03-09T10:10:00Z", "type": "priority", "priority": "P4", "author": ag},
            {"at": "2026-03-10T12:00:00Z", "type": "status", "status": "solved", "author": ag}]))
        nu = s.get(f"/api/v1/tickets/{t}").json["sla"]["next_update"]
        assert nu["state"] == "breached" and nu["elapsed_s"] == 42600 and nu["target_s"] == 3600, nu
        # the history is in time order: at the solve the engine finds the
        # resolution breach (Monday 16:00) after the next-update step of Tuesday
        t = imp(s, dict(WORKED, external_id="N-4", priority="P1", created_at="2026-03-09T08:00:00Z", events=[
            {"at": "2026-03-09T08:10:00Z", "type": "comment", "author": ag, "public": True, "body": "a"},
            {"at": "2026-03-10T10:00:00Z", "type": "status", "status": "solved", "author": ag}]))
        h = s.get(f"/api/v1/tickets/{t}/sla/history").json["items"]
        ats = [e["at"] for e in h]
        assert ats == sorted(ats), ats
        steps = [(e["clock"], e["kind"], e["at"]) for e in h]
        assert ("resolution", "breach", "2026-03-09T16:00:00Z") in steps, steps
        assert steps.index(("resolution", "breach", "2026-03-09T16:00:00Z")) < \
            steps.index(("next_update", "cancel", "2026-03-10T10:00:00Z")), steps
