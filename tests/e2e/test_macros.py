"""Macros end to end: personal and shared macros with placeholders and
field changes, validation, preview, one-click apply (a reply or internal
note plus status/priority/assignee/group/tag changes in one transaction),
and who may see, use and change them."""
from lib import Server, problem


def token(s, user):
    r = s.post("/api/v1/tokens", {"user": user})
    assert r.status == 201, r
    return r.json["token"]


def setup(s):
    assert s.post("/api/v1/accounts", {"name": "acme", "tier": "business"}).status == 201
    for u in ("ada@support.test", "bo@support.test"):
        assert s.post("/api/v1/users", {"email": u, "role": "agent",
                                        "name": "Ada Lovelace" if u.startswith("ada") else "Bo"}).status == 201
    assert s.post("/api/v1/groups", {"name": "tier2"}).status == 201
    assert s.post("/api/v1/users", {"email": "jane@acme.test", "role": "customer", "account": "acme",
                                    "name": "Jane Doe"}).status == 201
    t = s.post("/api/v1/tickets", {"subject": "Password reset fails", "description": "x",
                                   "account": "acme", "requester": "jane@acme.test",
                                   "priority": "P3", "tags": ["login", "old"]}).json
    return token(s, "ada@support.test"), token(s, "bo@support.test"), token(s, "jane@acme.test"), t["id"]


def test_apply_reply_and_changes_in_one_click():
    with Server() as s:
        ada, bo, jane, tid = setup(s)
        r = s.post("/api/v1/macros", {
            "name": "Ask for logs",
            "body": "Hi {{requester.first_name}},\n\nfor case #{{ticket.id}} ({{ticket.subject}}) "
                    "at {{account.name}}, please send the logs.\n\n{{agent.name}}",
            "changes": {"status": "pending", "priority": "P2", "assignee": "ada@support.test",
                        "group": "tier2", "tags_add": ["needs-logs"], "tags_remove": ["old"]}},
            token=ada)
        assert r.status == 201, r
        m = r.json
        assert m["scope"] == "personal" and m["owner"]["email"] == "ada@support.test"
        assert isinstance(m["changes"]["assignee"], int)  # resolved when saved
        pv = s.get(f"/api/v1/tickets/{tid}/macros/{m['id']}/preview", token=ada)
        assert pv.status == 200, pv
        want = (f"Hi Jane,\n\nfor case #{tid} (Password reset fails) at acme, please send the "
                "logs.\n\nAda Lovelace")
        assert pv.json["body"] == want, pv.json["body"]
        # preview changed nothing
        assert s.get(f"/api/v1/tickets/{tid}/comments").json["items"] == []
        r = s.post(f"/api/v1/tickets/{tid}/macros/{m['id']}", token=ada)
        assert r.status == 200, r
        t = r.json["ticket"]
        assert t["status"] == "pending" and t["priority"] == "P2", t
        assert t["assignee"]["email"] == "ada@support.test" and t["group"]["name"] == "tier2"
        assert sorted(t["tags"]) == ["login", "needs-logs"], t["tags"]
        cs = s.get(f"/api/v1/tickets/{tid}/comments").json["items"]
        assert len(cs) == 1 and cs[0]["data"]["body"] == want and cs[0]["data"]["public"] is True
        assert cs[0]["id"] == r.json["comment"]
        # the customer sees the reply
        assert len(s.get(f"/api/v1/tickets/{tid}/comments", token=jane).json["items"]) == 1
        # an internal-note macro stays internal
        n = s.post("/api/v1/macros", {"name": "Note", "body": "Checked {{ticket.priority}}",
                                      "public": False}, token=ada).json
        assert s.post(f"/api/v1/tickets/{tid}/macros/{n['id']}", token=ada).status == 200
        assert len(s.get(f"/api/v1/tickets/{tid}/comments", token=jane).json["items"]) == 1
        all_c = s.get(f"/api/v1/tickets/{tid}/comments").json["items"]
        assert all_c[-1]["data"] == {"body": "Checked P2", "public": False, "side": "agent"}, all_c[-1]


def test_validation_scope_and_permissions():
    with Server() as s:
        ada, bo, jane, tid = setup(s)
        problem(s.post("/api/v1/macros", {"name": "x", "body": "{{ticket.nope}}"}, token=ada), 422, "body")
        problem(s.post("/api/v1/macros", {"name": "x", "changes": {"status": "new"}}, token=ada), 422,
                "changes.status")
        problem(s.post("/api/v1/macros", {"name": "x", "changes": {"assignee": "nobody@x.test"}},
                       token=ada), 422, "changes.assignee")
        problem(s.post("/api/v1/macros", {"name": "x", "changes": {"colour": "red"}}, token=ada), 422)
        problem(s.post("/api/v1/macros", {"name": "", "body": "x"}, token=ada), 422, "name")
        # only admins make shared macros
        problem(s.post("/api/v1/macros", {"name": "Team", "scope": "shared", "body": "x"}, token=ada), 403)
        assert s.get("/api/v1/macros", token=ada).json["items"] == []  # nothing written
        shared = s.post("/api/v1/macros", {"name": "Thanks", "scope": "shared",
                                           "body": "Thanks {{requester.name}}!"}).json
        mine = s.post("/api/v1/macros", {"name": "Mine", "body": "mine"}, token=ada).json
        # ada sees the shared one and her own; bo only the shared one
        assert [m["name"] for m in s.get("/api/v1/macros", token=ada).json["items"]] == ["Thanks", "Mine"]
        assert [m["name"] for m in s.get("/api/v1/macros", token=bo).json["items"]] == ["Thanks"]
        problem(s.get(f"/api/v1/macros/{mine['id']}", token=bo), 404)
        problem(s.post(f"/api/v1/tickets/{tid}/macros/{mine['id']}", token=bo), 404)
        problem(s.patch(f"/api/v1/macros/{shared['id']}", {"name": "x"}, token=ada), 403)
        r = s.patch(f"/api/v1/macros/{mine['id']}", {"body": "changed {{ticket.id}}"}, token=ada)
        assert r.status == 200 and r.json["body"] == "changed {{ticket.id}}" and r.json["name"] == "Mine"
        # customers have no macros at all
        problem(s.get("/api/v1/macros", token=jane), 404)
        problem(s.post(f"/api/v1/tickets/{tid}/macros/{shared['id']}", token=jane), 404)
        # bo uses the shared macro
        r = s.post(f"/api/v1/tickets/{tid}/macros/{shared['id']}", token=bo)
        assert r.status == 200 and r.json["changes"] == {}, r
        assert s.get(f"/api/v1/tickets/{tid}/comments").json["items"][-1]["data"]["body"] == "Thanks Jane Doe!"
        # deleted macros are gone
        assert s.request("DELETE", f"/api/v1/macros/{mine['id']}", token=ada).status == 200
        problem(s.get(f"/api/v1/macros/{mine['id']}", token=ada), 404)
        # a closed ticket takes no macro, and nothing is written
        assert s.patch(f"/api/v1/tickets/{tid}", {"status": "closed"}).status == 200
        n = len(s.get(f"/api/v1/tickets/{tid}/events?limit=500").json["items"])
        problem(s.post(f"/api/v1/tickets/{tid}/macros/{shared['id']}", token=bo), 409)
        assert len(s.get(f"/api/v1/tickets/{tid}/events?limit=500").json["items"]) == n
