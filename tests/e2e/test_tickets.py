"""Tickets, comments and the timeline through the real server: fields,
the status machine of docs/metrics.md section 3, follow-ups, visibility for
customers, bad input, idempotency, restarts and concurrent writers."""
import subprocess
import threading

from lib import BIN, Server, concurrent, problem


def setup_people(s):
    """Two accounts with a customer each, an agent, a group. Returns tokens."""
    a = s.post("/api/v1/accounts", {"name": "acme", "tier": "enterprise", "domains": ["acme.test"]})
    assert a.status == 201, a
    b = s.post("/api/v1/accounts", {"name": "globex", "tier": "standard"})
    assert b.status == 201, b
    users = {}
    for email, role, acct in [("alice@acme.test", "customer", "acme"),
                              ("bob@globex.test", "customer", "globex"),
                              ("agent1@support.test", "agent", None),
                              ("eng1@support.test", "engineer", None)]:
        body = {"email": email, "role": role, "name": email.split("@")[0]}
        if acct:
            body["account"] = acct
        r = s.post("/api/v1/users", body)
        assert r.status == 201, r
        t = s.post("/api/v1/tokens", {"user": email})
        assert t.status == 201, t
        users[email] = {"id": r.json["id"], "token": t.json["token"]}
    g = s.post("/api/v1/groups", {"name": "tier2", "members": ["agent1@support.test"]})
    assert g.status == 201, g
    return users


def count_tickets(s):
    n, cursor = 0, None
    while True:
        r = s.get("/api/v1/tickets?limit=500" + (f"&cursor={cursor}" if cursor else ""))
        assert r.status == 200, r
        n += len(r.json["items"])
        cursor = r.json["next_cursor"]
        if not cursor:
            return n


def test_create_get_patch_fields():
    with Server() as s:
        u = setup_people(s)
        r = s.post("/api/v1/tickets", {
            "subject": "SSO login loop after enabling SAML", "description": "Loops forever",
            "priority": "P2", "category": "sso", "tags": ["SAML", "okta", "saml"],
            "requester": "alice@acme.test", "environment": {"version": "4.2.1", "region": "eu-west-1"},
            "custom_fields": {"seats": 120}, "external_id": "H-1"})
        assert r.status == 201, r
        t = r.json
        assert t["subject"] == "SSO login loop after enabling SAML"
        assert t["status"] == "new" and t["priority"] == "P2" and t["category"] == "sso"
        assert t["tags"] == ["saml", "okta"]
        assert t["account"] == {"id": t["account"]["id"], "name": "acme", "tier": "enterprise"}
        assert t["requester"]["email"] == "alice@acme.test"
        assert t["assignee"] is None and t["group"] is None
        assert t["environment"] == {"version": "4.2.1", "region": "eu-west-1"}
        assert t["custom_fields"] == {"seats": 120}
        assert t["external_id"] == "H-1"
        assert t["created_at"].endswith("Z") and t["updated_at"] == t["created_at"]
        tid = t["id"]
        assert s.get(f"/api/v1/tickets/{tid}").json == t | {"followups": []}
        # find by external id
        r = s.get("/api/v1/tickets?external_id=H-1")
        assert [x["id"] for x in r.json["items"]] == [tid]
        # assigning a person opens a new ticket
        r = s.patch(f"/api/v1/tickets/{tid}", {"assignee": "agent1@support.test", "group": "tier2",
                                               "priority": "P1", "tags": ["x"]})
        assert r.status == 200, r
        t = r.json
        assert t["status"] == "open" and t["priority"] == "P1" and t["tags"] == ["x"]
        assert t["assignee"]["email"] == "agent1@support.test" and t["group"]["name"] == "tier2"
        ev = s.get(f"/api/v1/tickets/{tid}/events").json["items"]
        types = [(e["type"], e["data"].get("to")) for e in ev]
        assert types == [("created", None), ("tags", None), ("priority", "P1"),
                         ("assign", None), ("status", "open")], types
        assert ev[-1]["data"]["auto"] is True
        assert all(e["actor"]["email"] == "admin@casebook.local" for e in ev)
        # a no-op patch adds no event
        s.patch(f"/api/v1/tickets/{tid}", {"priority": "P1"})
        assert len(s.get(f"/api/v1/tickets/{tid}/events").json["items"]) == 5
        # filters
        assert [x["id"] for x in s.get("/api/v1/tickets?assignee=agent1@support.test").json["items"]] == [tid]
        assert s.get("/api/v1/tickets?assignee=none").json["items"] == []
        assert [x["id"] for x in s.get("/api/v1/tickets?tag=x&priority=P1,P2&status=open").json["items"]] == [tid]
        assert s.get("/api/v1/tickets?status=solved").json["items"] == []
        assert [x["id"] for x in s.get("/api/v1/tickets?account=acme&group=tier2").json["items"]] == [tid]
        problem(s.get("/api/v1/tickets?status=bogus"), 400, "status")
        problem(s.get("/api/v1/tickets?color=red"), 400, "color")


def test_status_machine_and_followups():
    with Server() as s:
        u = setup_people(s)
        alice = u["alice@acme.test"]["token"]
        agent = u["agent1@support.test"]["token"]
        t = s.post("/api/v1/tickets", {"subject": "Export fails", "priority": "P3"}, token=alice).json
        tid = t["id"]
        assert t["status"] == "new" and t["account"]["name"] == "acme"
        # an internal note does not open it; a public agent reply does
        s.post(f"/api/v1/tickets/{tid}/comments", {"body": "looking", "public": False}, token=agent)
        assert s.get(f"/api/v1/tickets/{tid}").json["status"] == "new"
        r = s.post(f"/api/v1/tickets/{tid}/comments", {"body": "Can you send logs?"}, token=agent)
        assert r.status == 201 and r.json["data"]["public"] is True, r
        assert s.get(f"/api/v1/tickets/{tid}").json["status"] == "open"
        # pending, then the customer replies: open again
        assert s.patch(f"/api/v1/tickets/{tid}", {"status": "pending"}, token=agent).json["status"] == "pending"
        s.post(f"/api/v1/tickets/{tid}/comments", {"body": "attached"}, token=alice)
        t = s.get(f"/api/v1/tickets/{tid}").json
        assert t["status"] == "open" and t["reopen_count"] == 0
        # solved, customer replies: reopened
        t = s.patch(f"/api/v1/tickets/{tid}", {"status": "solved"}, token=agent).json
        assert t["status"] == "solved" and t["solved_at"]
        s.post(f"/api/v1/tickets/{tid}/comments", {"body": "still broken"}, token=alice)
        t = s.get(f"/api/v1/tickets/{tid}").json
        assert t["status"] == "open" and t["reopen_count"] == 1 and t["solved_at"] is None
        # closing an unsolved ticket solves it first, at the same instant
        t = s.patch(f"/api/v1/tickets/{tid}", {"status": "closed"}, token=agent).json
        assert t["status"] == "closed" and t["solved_at"] == t["closed_at"]
        ev = s.get(f"/api/v1/tickets/{tid}/events").json["items"]
        assert [e["data"]["to"] for e in ev[-2:]] == ["solved", "closed"]
        # closed is terminal
        problem(s.patch(f"/api/v1/tickets/{tid}", {"status": "open"}, token=agent), 409)
        problem(s.patch(f"/api/v1/tickets/{tid}", {"priority": "P1"}, token=agent), 409)
        # a reply to a closed ticket creates a linked follow-up
        r = s.post(f"/api/v1/tickets/{tid}/comments", {"body": "it came back"}, token=alice)
        assert r.status == 201, r
        new_id = r.json["ticket_id"]
        assert new_id != tid and r.json["followup_of"] == tid
        f = s.get(f"/api/v1/tickets/{new_id}").json
        assert f["followup_of"] == tid and f["description"] == "it came back"
        assert f["subject"] == "Export fails" and f["status"] == "new"
        assert f["requester"]["email"] == "alice@acme.test"
        assert s.get(f"/api/v1/tickets/{tid}").json["followups"] == [new_id]
        assert s.get(f"/api/v1/tickets/{tid}").json["status"] == "closed"
        # agents may reopen a solved ticket explicitly
        t2 = s.post("/api/v1/tickets", {"subject": "Second", "requester": "alice@acme.test"}, token=agent).json
        s.patch(f"/api/v1/tickets/{t2['id']}", {"status": "solved"}, token=agent)
        t2 = s.patch(f"/api/v1/tickets/{t2['id']}", {"status": "on_hold"}, token=agent).json
        assert t2["status"] == "on_hold" and t2["reopen_count"] == 1
        # customers may mark their case solved but change nothing else
        assert s.patch(f"/api/v1/tickets/{t2['id']}", {"status": "solved"}, token=alice).json["status"] == "solved"
        problem(s.patch(f"/api/v1/tickets/{t2['id']}", {"priority": "P1"}, token=alice), 403, "priority")
        problem(s.patch(f"/api/v1/tickets/{t2['id']}", {"status": "open"}, token=alice), 403, "status")


def test_customer_isolation_and_internal_notes():
    with Server() as s:
        u = setup_people(s)
        alice, bob = u["alice@acme.test"]["token"], u["bob@globex.test"]["token"]
        agent = u["agent1@support.test"]["token"]
        ta = s.post("/api/v1/tickets", {"subject": "acme issue"}, token=alice).json["id"]
        tb = s.post("/api/v1/tickets", {"subject": "globex issue"}, token=bob).json["id"]
        s.post(f"/api/v1/tickets/{ta}/comments", {"body": "SECRET internal note", "public": False}, token=agent)
        s.post(f"/api/v1/tickets/{ta}/comments", {"body": "public answer"}, token=agent)
        s.patch(f"/api/v1/tickets/{ta}", {"assignee": "agent1@support.test", "group": "tier2"}, token=agent)
        # bob probes alice's ticket in every way: always 404
        for r in [s.get(f"/api/v1/tickets/{ta}", token=bob),
                  s.get(f"/api/v1/tickets/{ta}/comments", token=bob),
                  s.get(f"/api/v1/tickets/{ta}/events", token=bob),
                  s.post(f"/api/v1/tickets/{ta}/comments", {"body": "hi"}, token=bob),
                  s.patch(f"/api/v1/tickets/{ta}", {"status": "solved"}, token=bob),
                  s.get("/api/v1/tickets/999999", token=bob)]:
            problem(r, 404)
        # a missing ticket and another account's ticket look the same
        assert s.get(f"/api/v1/tickets/{ta}", token=bob).json["detail"].split(":")[0] == \
            s.get("/api/v1/tickets/999999", token=bob).json["detail"].split(":")[0]
        # lists hold only the caller's account, whatever the filter says
        assert [t["id"] for t in s.get("/api/v1/tickets", token=bob).json["items"]] == [tb]
        assert s.get("/api/v1/tickets?account=acme", token=bob).json["items"] == []
        # alice sees her public comments and events but never the internal note
        cm = s.get(f"/api/v1/tickets/{ta}/comments", token=alice).json["items"]
        assert [c["data"]["body"] for c in cm] == ["public answer"]
        ev = s.get(f"/api/v1/tickets/{ta}/events", token=alice)
        assert "SECRET" not in ev.body and "assign" not in [e["type"] for e in ev.json["items"]]
        # agents see both
        cm = s.get(f"/api/v1/tickets/{ta}/comments", token=agent).json["items"]
        assert [c["data"]["body"] for c in cm] == ["SECRET internal note", "public answer"]
        # customers cannot write internal notes or set agent fields
        problem(s.post(f"/api/v1/tickets/{ta}/comments", {"body": "x", "public": False}, token=alice), 403, "public")
        problem(s.post("/api/v1/tickets", {"subject": "x", "assignee": "agent1@support.test"}, token=alice), 403, "assignee")
        problem(s.post("/api/v1/tickets", {"subject": "x", "account": "globex"}, token=alice), 422, "account")
        # agent-only resources are 404 for customers
        problem(s.get("/api/v1/groups", token=alice), 404)


def test_bad_input_writes_nothing():
    with Server() as s:
        u = setup_people(s)
        tid = s.post("/api/v1/tickets", {"subject": "ok", "requester": "alice@acme.test"}).json["id"]
        before = count_tickets(s)
        nev = len(s.get(f"/api/v1/tickets/{tid}/events").json["items"])
        problem(s.post("/api/v1/tickets", raw="{\"subject\": "), 400)
        problem(s.post("/api/v1/tickets", raw="[1,2]"), 400)
        problem(s.post("/api/v1/tickets", raw="{\"subject\":\"a\",\"subject\":\"b\"}"), 400)
        problem(s.post("/api/v1/tickets", raw=b"{\"subject\": \"\xff\xfe\"}"), 400)
        problem(s.post("/api/v1/tickets", {"subject": "x"}, content_type="text/plain"), 415)
        problem(s.post("/api/v1/tickets", {"description": "no subject"}), 422, "subject")
        problem(s.post("/api/v1/tickets", {"subject": "   "}), 422, "subject")
        problem(s.post("/api/v1/tickets", {"subject": 42}), 422, "subject")
        problem(s.post("/api/v1/tickets", {"subject": "x", "priority": "P9"}), 422, "priority")
        problem(s.post("/api/v1/tickets", {"subject": "x", "tags": "saml"}), 422, "tags")
        problem(s.post("/api/v1/tickets", {"subject": "x", "tags": ["a b"]}), 422, "tags")
        problem(s.post("/api/v1/tickets", {"subject": "x", "colour": "red"}), 422, "colour")
        problem(s.post("/api/v1/tickets", {"subject": "x", "environment": {"a": {"b": 1}}}), 422, "environment.a")
        problem(s.post("/api/v1/tickets", {"subject": "x", "account": "nope"}), 422, "account")
        problem(s.post("/api/v1/tickets", {"subject": "x", "group": "nope"}), 422, "group")
        problem(s.post("/api/v1/tickets", {"subject": "x", "assignee": "alice@acme.test"}), 422, "assignee")
        problem(s.post("/api/v1/tickets", {"subject": "x", "requester": "bob@globex.test", "account": "acme"}), 422, "requester")
        problem(s.post("/api/v1/tickets", {"subject": "x", "requester": "new@nowhere.test"}), 422, "requester")
        problem(s.post("/api/v1/tickets", {"subject": "x" * 600}), 422, "subject")
        problem(s.post("/api/v1/tickets", raw="{\"subject\":\"" + "x" * (2 << 20) + "\"}"), 413)
        problem(s.patch(f"/api/v1/tickets/{tid}", {"status": "weird"}), 422, "status")
        problem(s.patch(f"/api/v1/tickets/{tid}", {"priority": "P1", "group": "nope"}), 422, "group")
        problem(s.patch(f"/api/v1/tickets/{tid}", {"assignee": "nobody@x.test", "priority": "P1"}), 422, "assignee")
        problem(s.post(f"/api/v1/tickets/{tid}/comments", {"body": ""}), 422, "body")
        problem(s.post(f"/api/v1/tickets/{tid}/comments", {"body": "x", "public": "yes"}), 422, "public")
        problem(s.post("/api/v1/tickets/999999/comments", {"body": "x"}), 404)
        problem(s.get("/api/v1/tickets/abc"), 404)
        problem(s.get("/api/v1/tickets?limit=0"), 400, "limit")
        problem(s.get("/api/v1/tickets?cursor=zzz!"), 400, "cursor")
        problem(s.get("/api/v1/tickets", token=None), 401)
        problem(s.get("/api/v1/tickets", token="cbk_not_a_real_token_at_all"), 401)
        # nothing was written by any of the above
        assert count_tickets(s) == before
        t = s.get(f"/api/v1/tickets/{tid}").json
        assert t["priority"] == "P3" and t["status"] == "new"
        assert len(s.get(f"/api/v1/tickets/{tid}/events").json["items"]) == nev


def test_pagination_and_idempotency():
    with Server() as s:
        setup_people(s)
        ids = [s.post("/api/v1/tickets", {"subject": f"t{i}", "requester": "alice@acme.test"}).json["id"]
               for i in range(7)]
        seen, cursor = [], None
        while True:
            r = s.get("/api/v1/tickets?limit=2" + (f"&cursor={cursor}" if cursor else "")).json
            assert len(r["items"]) <= 2
            seen += [t["id"] for t in r["items"]]
            cursor = r["next_cursor"]
            if not cursor:
                break
        assert seen == sorted(ids, reverse=True)
        # idempotent retry: same key, same body -> same answer, one ticket
        body = {"subject": "retry me", "requester": "alice@acme.test"}
        r1 = s.post("/api/v1/tickets", body, headers={"Idempotency-Key": "k-1"})
        r2 = s.post("/api/v1/tickets", body, headers={"Idempotency-Key": "k-1"})
        assert r1.status == r2.status == 201
        assert r1.json == r2.json and r2.header("Idempotent-Replayed") == "true"
        assert count_tickets(s) == 8
        # same key, different request -> 422, nothing written
        problem(s.post("/api/v1/tickets", {"subject": "other", "requester": "alice@acme.test"},
                       headers={"Idempotency-Key": "k-1"}), 422)
        assert count_tickets(s) == 8
        # comments too
        tid = ids[0]
        c1 = s.post(f"/api/v1/tickets/{tid}/comments", {"body": "once"}, headers={"Idempotency-Key": "c"})
        c2 = s.post(f"/api/v1/tickets/{tid}/comments", {"body": "once"}, headers={"Idempotency-Key": "c"})
        assert c1.json == c2.json
        assert len(s.get(f"/api/v1/tickets/{tid}/comments").json["items"]) == 1


def test_restart_keeps_everything_and_fold_matches():
    s = Server()
    s.start()
    setup_people(s)
    tid = s.post("/api/v1/tickets", {"subject": "persist", "requester": "alice@acme.test", "tags": ["a"]}).json["id"]
    s.post(f"/api/v1/tickets/{tid}/comments", {"body": "reply"})
    s.patch(f"/api/v1/tickets/{tid}", {"status": "solved", "category": "billing"})
    before = s.get(f"/api/v1/tickets/{tid}").json
    events = s.get(f"/api/v1/tickets/{tid}/events").json
    assert s.stop() == 0
    s.start()
    try:
        assert s.get(f"/api/v1/tickets/{tid}").json == before
        assert s.get(f"/api/v1/tickets/{tid}/events").json == events
    finally:
        assert s.stop() == 0
    out = subprocess.run([BIN, "check", "--data", s.dir], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "integrity ok" in out.stdout and "1 tickets" in out.stdout.replace("tickets checked", "tickets")


@concurrent
def test_concurrent_writers_all_acknowledged_and_present():
    with Server() as s:
        setup_people(s)
        results = []
        lock = threading.Lock()

        def worker(n):
            for i in range(4):
                r = s.post("/api/v1/tickets", {"subject": f"c{n}-{i}", "requester": "alice@acme.test"})
                with lock:
                    results.append((r.status, r.json.get("id") if r.status == 201 else r.body))

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(st == 201 for st, _ in results), [r for r in results if r[0] != 201][:3]
        ids = [i for _, i in results]
        assert len(ids) == 128 and len(set(ids)) == 128
        assert count_tickets(s) == 128
        for i in ids[:10]:
            assert s.get(f"/api/v1/tickets/{i}").status == 200
        m = s.get("/metrics", token=None).body
        commits = int([l for l in m.splitlines() if l.startswith("casebook_db_commits_total")][0].split()[1])
        jobs = int([l for l in m.splitlines() if l.startswith("casebook_db_write_jobs_total")][0].split()[1])
        assert jobs >= 128 and commits <= jobs
