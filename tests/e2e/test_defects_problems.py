"""Defects and problems end to end: defects created directly and on first
link by tracker and key, the impact ranking of affected tickets and
accounts (tier weight x priority weight while open), marking a defect
fixed (a `defect` event on linked open tickets only) and the fix-available
list; problems with their status machine, known_error article, links and
repeat counts per bucket and per category."""
import json
import os
import sqlite3

from lib import Server, problem


def token(s, user):
    r = s.post("/api/v1/tokens", {"user": user})
    assert r.status == 201, r
    return r.json["token"]


def setup(s):
    for name, tier in (("acme", "enterprise"), ("globex", "business"), ("initech", "standard")):
        assert s.post("/api/v1/accounts", {"name": name, "tier": tier}).status == 201
    for email, role, acct in (("agent1@support.test", "agent", None),
                              ("eng1@support.test", "engineer", None),
                              ("alice@acme.test", "customer", "acme"),
                              ("gina@globex.test", "customer", "globex"),
                              ("ian@initech.test", "customer", "initech")):
        body = {"email": email, "role": role}
        if acct:
            body["account"] = acct
        assert s.post("/api/v1/users", body).status == 201
    return token(s, "eng1@support.test"), token(s, "alice@acme.test")


REQ = {"acme": "alice@acme.test", "globex": "gina@globex.test", "initech": "ian@initech.test"}


def ticket(s, account, priority, category=None, status=None):
    body = {"subject": f"{account} {priority}", "description": "d", "account": account,
            "requester": REQ[account], "priority": priority}
    if category:
        body["category"] = category
    r = s.post("/api/v1/tickets", body)
    assert r.status == 201, r
    if status:
        r = s.patch(f"/api/v1/tickets/{r.json['id']}", {"status": status})
        assert r.status == 200, r
    return r.json["id"]


def typed_events(s, tid, kind, tok="default"):
    r = s.get(f"/api/v1/tickets/{tid}/events?limit=500", token=tok)
    assert r.status == 200, r
    return [e["data"] for e in r.json["items"] if e["type"] == kind]


def test_defects_impact_fix_and_fix_available():
    with Server() as s:
        eng, alice = setup(s)
        t1 = ticket(s, "acme", "P1")
        t2 = ticket(s, "acme", "P3")
        t3 = ticket(s, "globex", "P1")
        t4 = ticket(s, "acme", "P2", status="solved")
        t5 = ticket(s, "globex", "P2", status="closed")
        t6 = ticket(s, "initech", "P4")
        r = s.post("/api/v1/defects", {"tracker": "jira", "key": "ENG-1", "title": "Export OOM",
                                       "url": "https://jira.example/browse/ENG-1"}, token=eng)
        assert r.status == 201, r
        d = r.json
        assert d["status"] == "open" and d["tickets"] == [] and d["fixed_at"] is None
        problem(s.post("/api/v1/defects", {"tracker": "jira", "key": "ENG-1"}, token=eng), 409, "key")
        problem(s.post("/api/v1/defects", {"tracker": "jira", "key": "X", "url": "ftp://x"}), 422, "url")
        problem(s.post("/api/v1/defects", {"tracker": "jira"}), 422, "key")
        problem(s.post("/api/v1/defects", {"tracker": "jira", "key": "Y", "status": "done"}), 422, "status")
        # link by id, and by tracker + key (found, or created on first use)
        r = s.post(f"/api/v1/tickets/{t1}/defects", {"defect": d["id"]}, token=eng)
        assert r.status == 201 and r.json["created"] is False and r.json["defect"]["key"] == "ENG-1", r
        r = s.post(f"/api/v1/tickets/{t2}/defects", {"tracker": "jira", "key": "ENG-1"}, token=eng)
        assert r.status == 201 and r.json["created"] is False and r.json["defect"]["id"] == d["id"]
        for t in (t3, t4, t5, t6):
            assert s.post(f"/api/v1/tickets/{t}/defects", {"defect": d["id"]}).status == 201
        r = s.post(f"/api/v1/tickets/{t6}/defects", {"tracker": "github", "key": "org/app#12",
                                                    "title": "typo"}, token=eng)
        assert r.status == 201 and r.json["created"] is True, r
        gh = r.json["defect"]["id"]
        problem(s.post(f"/api/v1/tickets/{t1}/defects", {"defect": d["id"]}), 409, "defect")
        problem(s.post(f"/api/v1/tickets/{t1}/defects", {"defect": 999}), 422, "defect")
        problem(s.post("/api/v1/tickets/999/defects", {"defect": d["id"]}), 404)
        assert typed_events(s, t1, "defect") == [{"action": "linked", "defect": d["id"],
                                                  "tracker": "jira", "key": "ENG-1"}]
        # impact: acme 3, globex 2, initech 1 x P1 8, P2 4, P3 2, P4 1; solved/closed 0
        v = s.get(f"/api/v1/defects/{d['id']}").json
        assert [(x["id"], x["impact"]) for x in v["tickets"]] == [
            (t1, 24), (t3, 16), (t2, 6), (t6, 1), (t4, 0), (t5, 0)], v["tickets"]
        assert [(a["account"]["name"], a["tickets"], a["open_tickets"], a["impact"]) for a in v["accounts"]] == [
            ("acme", 3, 2, 30), ("globex", 2, 1, 16), ("initech", 1, 1, 1)], v["accounts"]
        assert v["impact"] == 47 and v["linked_tickets"] == 6
        assert [x["key"] for x in s.get(f"/api/v1/tickets/{t6}/defects").json["items"]] == ["ENG-1", "org/app#12"]
        # fixed: a `defect` event on each linked open ticket, none on solved or closed ones
        assert s.get("/api/v1/defects/fix-available").json["items"] == []
        r = s.patch(f"/api/v1/defects/{d['id']}", {"status": "fixed"}, token=eng)
        assert r.status == 200 and r.json["status"] == "fixed" and r.json["fixed_at"], r
        fixed = {"action": "fixed", "defect": d["id"], "tracker": "jira", "key": "ENG-1"}
        for t in (t1, t2, t3, t6):
            assert typed_events(s, t, "defect")[-1] == fixed, t
        for t in (t4, t5):
            assert fixed not in typed_events(s, t, "defect"), t
        # marking it fixed again notifies nobody twice
        assert s.patch(f"/api/v1/defects/{d['id']}", {"status": "fixed", "title": "Export OOM (4.2.2)"}).status == 200
        assert [e["action"] for e in typed_events(s, t1, "defect")] == ["linked", "fixed"]
        view = s.get("/api/v1/defects/fix-available", token=eng).json
        assert [x["id"] for x in view["items"]] == [t1, t2, t3, t6], view
        assert [f["key"] for f in view["items"][0]["fixed_defects"]] == ["ENG-1"]
        assert view["items"][0]["status"] in ("new", "open") and "sla" in view["items"][0]
        # solving or unlinking a ticket takes it off the list
        assert s.patch(f"/api/v1/tickets/{t2}", {"status": "solved"}).status == 200
        r = s.request("DELETE", f"/api/v1/tickets/{t3}/defects/{d['id']}", token=eng)
        assert r.status == 200 and r.json == {"ticket": t3, "defect": d["id"], "unlinked": True}, r
        problem(s.request("DELETE", f"/api/v1/tickets/{t3}/defects/{d['id']}"), 404)
        assert typed_events(s, t3, "defect")[-1]["action"] == "unlinked"
        page = s.get("/api/v1/defects/fix-available?limit=1").json
        assert [x["id"] for x in page["items"]] == [t1] and page["next_cursor"]
        page = s.get(f"/api/v1/defects/fix-available?limit=1&cursor={page['next_cursor']}").json
        assert [x["id"] for x in page["items"]] == [t6]
        # lists and filters
        assert [x["key"] for x in s.get("/api/v1/defects?status=fixed").json["items"]] == ["ENG-1"]
        assert [x["id"] for x in s.get("/api/v1/defects?tracker=github").json["items"]] == [gh]
        problem(s.get("/api/v1/defects?status=nope"), 400, "status")
        # customers see none of it: 404 on every route, no defect event on their timeline
        for method, path, body in (("GET", "/api/v1/defects", None), ("GET", f"/api/v1/defects/{d['id']}", None),
                                   ("PATCH", f"/api/v1/defects/{d['id']}", {"title": "x"}),
                                   ("POST", "/api/v1/defects", {"tracker": "a", "key": "b"}),
                                   ("GET", "/api/v1/defects/fix-available", None),
                                   ("POST", f"/api/v1/tickets/{t1}/defects", {"defect": d["id"]}),
                                   ("GET", f"/api/v1/tickets/{t1}/defects", None),
                                   ("DELETE", f"/api/v1/tickets/{t1}/defects/{d['id']}", None)):
            problem(s.request(method, path, body=body, token=alice), 404)
        assert typed_events(s, t1, "defect", tok=alice) == []
        assert "ENG-1" not in s.get(f"/api/v1/tickets/{t1}/events", token=alice).body


def test_problems_lifecycle_links_and_article():
    with Server() as s:
        eng, alice = setup(s)
        r = s.post("/api/v1/problems", {"title": "Sync stalls after token refresh", "category": "sync"}, token=eng)
        assert r.status == 201, r
        p = r.json
        assert p["status"] == "open" and p["tickets"] == [] and p["article"] is None
        problem(s.post("/api/v1/problems", {"title": "x", "status": "resolved"}), 422, "status")
        problem(s.post("/api/v1/problems", {"title": "x", "status": "known_error"}), 422, "workaround")
        problem(s.post("/api/v1/problems", {"description": "no title"}), 422, "title")
        problem(s.post("/api/v1/problems", {"title": "x", "severity": 1}), 422, "severity")
        kb = s.post("/api/v1/articles", {"type": "kb", "title": "How to sync", "body": ""}).json["id"]
        ke = s.post("/api/v1/articles", {"type": "known_error", "title": "Sync stalls", "body": ""}).json["id"]
        problem(s.patch(f"/api/v1/problems/{p['id']}", {"article": kb}), 422, "article")
        # open -> known_error needs a cause or a workaround
        problem(s.patch(f"/api/v1/problems/{p['id']}", {"status": "known_error"}), 422, "workaround")
        r = s.patch(f"/api/v1/problems/{p['id']}", {"status": "known_error", "root_cause": "token cache race",
                                                   "workaround": "sign out and in", "article": ke}, token=eng)
        assert r.status == 200 and r.json["status"] == "known_error" and r.json["article"] == ke, r
        r = s.patch(f"/api/v1/problems/{p['id']}", {"status": "resolved"})
        assert r.status == 200 and r.json["resolved_at"], r
        q = problem(s.patch(f"/api/v1/problems/{p['id']}", {"status": "known_error"}), 409, "status")
        assert "allowed from resolved: open" in q["detail"]
        r = s.patch(f"/api/v1/problems/{p['id']}", {"status": "open"})
        assert r.status == 200 and r.json["resolved_at"] is None
        # links
        t1 = ticket(s, "acme", "P2", "sync")
        r = s.post(f"/api/v1/tickets/{t1}/problems", {"problem": p["id"]}, token=eng)
        assert r.status == 201 and r.json["problem"]["linked_tickets"] == 1, r
        problem(s.post(f"/api/v1/tickets/{t1}/problems", {"problem": p["id"]}), 409, "problem")
        problem(s.post(f"/api/v1/tickets/{t1}/problems", {"problem": 999}), 422, "problem")
        problem(s.post(f"/api/v1/tickets/{t1}/problems", {}), 422, "problem")
        assert typed_events(s, t1, "problem") == [{"action": "linked", "problem": p["id"]}]
        assert typed_events(s, t1, "problem", tok=alice) == []
        assert [x["id"] for x in s.get(f"/api/v1/tickets/{t1}/problems").json["items"]] == [p["id"]]
        assert [x["id"] for x in s.get(f"/api/v1/problems/{p['id']}").json["tickets"]] == [t1]
        assert [x["id"] for x in s.get("/api/v1/problems?category=sync&status=open").json["items"]] == [p["id"]]
        assert s.get("/api/v1/problems?status=resolved").json["items"] == []
        r = s.request("DELETE", f"/api/v1/tickets/{t1}/problems/{p['id']}", token=eng)
        assert r.status == 200 and r.json["unlinked"] is True
        assert [e["action"] for e in typed_events(s, t1, "problem")] == ["linked", "unlinked"]
        for method, path, body in (("GET", "/api/v1/problems", None), ("GET", f"/api/v1/problems/{p['id']}", None),
                                   ("POST", "/api/v1/problems", {"title": "x"}),
                                   ("PATCH", f"/api/v1/problems/{p['id']}", {"title": "x"}),
                                   ("GET", f"/api/v1/problems/{p['id']}/stats", None),
                                   ("GET", "/api/v1/reports/problems", None),
                                   ("POST", f"/api/v1/tickets/{t1}/problems", {"problem": p["id"]}),
                                   ("GET", f"/api/v1/tickets/{t1}/problems", None)):
            problem(s.request(method, path, body=body, token=alice), 404)


def test_problem_repeat_counts_per_bucket_and_category():
    """Link events moved to fixed instants: t1 Mon 03-02 (sync), t2 Wed 03-04
    (billing), t3 Tue 03-10 (sync), t4 Fri 03-20 (no category), t5 linked
    then unlinked (not counted); t6 on another problem 03-03 (sync)."""
    with Server() as s:
        setup(s)
        p = s.post("/api/v1/problems", {"title": "Sync stalls"}).json["id"]
        other = s.post("/api/v1/problems", {"title": "Invoices late"}).json["id"]
        tickets = [ticket(s, "acme", "P3", c) for c in ("sync", "billing", "sync", None, "sync")]
        t6 = ticket(s, "globex", "P2", "sync")
        for t in tickets:
            assert s.post(f"/api/v1/tickets/{t}/problems", {"problem": p}).status == 201
        assert s.post(f"/api/v1/tickets/{t6}/problems", {"problem": other}).status == 201
        assert s.request("DELETE", f"/api/v1/tickets/{tickets[4]}/problems/{p}").status == 200
        assert s.stop() == 0, s.read_log()[-3000:]
        at = {tickets[0]: "2026-03-02T10:00:00Z", tickets[1]: "2026-03-04T23:59:59Z",
              tickets[2]: "2026-03-10T00:00:00Z", tickets[3]: "2026-03-20T12:00:00Z",
              tickets[4]: "2026-03-05T00:00:00Z", t6: "2026-03-03T00:00:00Z"}
        import datetime
        db = sqlite3.connect(os.path.join(s.dir, "casebook.db"))
        for t, when in at.items():
            ms = int(datetime.datetime.fromisoformat(when.replace("Z", "+00:00")).timestamp() * 1000)
            db.execute("UPDATE events SET at = ? WHERE ticket_id = ? AND type = 'problem'", (ms, t))
        db.commit()
        db.close()
        s.start()
        r = s.get(f"/api/v1/problems/{p}/stats?bucket=week&from=2026-03-01T00:00:00Z&to=2026-03-22T00:00:00Z")
        assert r.status == 200, r
        o = r.json
        assert o["problem"] == p and o["bucket"] == "week" and o["total"] == 4
        assert [(b["from"], b["count"]) for b in o["buckets"]] == [
            ("2026-02-23T00:00:00Z", 0), ("2026-03-02T00:00:00Z", 2),
            ("2026-03-09T00:00:00Z", 1), ("2026-03-16T00:00:00Z", 1)], o["buckets"]
        cats = lambda l: sorted((c["category"] or "", c["count"]) for c in l)
        assert cats(o["buckets"][1]["by_category"]) == [("billing", 1), ("sync", 1)]
        assert cats(o["by_category"]) == [("", 1), ("billing", 1), ("sync", 2)]
        o = s.get(f"/api/v1/problems/{p}/stats?bucket=month&from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z").json
        assert [(b["from"], b["to"], b["count"]) for b in o["buckets"]] == [
            ("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z", 4)]
        o = s.get(f"/api/v1/problems/{p}/stats?bucket=day&from=2026-03-02T00:00:00Z&to=2026-03-05T00:00:00Z").json
        assert [b["count"] for b in o["buckets"]] == [1, 0, 1] and o["total"] == 2
        o = s.get("/api/v1/reports/problems?bucket=week&from=2026-03-02T00:00:00Z&to=2026-03-09T00:00:00Z").json
        assert o["problem"] is None and o["total"] == 3
        assert sorted((x["problem"], x["count"]) for x in o["by_problem"]) == sorted([(p, 2), (other, 1)])
        assert cats(o["by_category"]) == [("billing", 1), ("sync", 2)]
        problem(s.get(f"/api/v1/problems/{p}/stats?bucket=year"), 400, "bucket")
        problem(s.get(f"/api/v1/problems/{p}/stats?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z"), 400, "to")
        problem(s.get(f"/api/v1/problems/{p}/stats?from=yesterday"), 400, "from")
        problem(s.get("/api/v1/problems/999/stats"), 404)
