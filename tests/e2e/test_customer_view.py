"""Authorization: what a customer sees of tickets. Every route a customer
reaches serves the customer view (docs/openapi.yaml CustomerTicket): no
agent-side field (tags, external id, assignee, group, SLA policy and clocks,
hidden custom fields) in tickets, in events, or in any page of a timeline."""
import os

import yaml

from lib import Server, problem

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
AGENT_ONLY = ["external_id", "tags", "assignee", "group", "sla", "followups"]
SECRETS = ["vip-escalated", "EXT-4711", "internal_score", "gold-sla-policy", "tier2"]


def openapi_schema(name):
    with open(os.path.join(ROOT, "docs", "openapi.yaml")) as f:
        return yaml.safe_load(f)["components"]["schemas"][name]


def check_customer_ticket(t):
    """t matches the CustomerTicket schema's keys: every required key, no other."""
    schema = openapi_schema("CustomerTicket")
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) <= set(t), (set(schema["required"]) - set(t), t)
    assert set(t) <= set(schema["properties"]), (set(t) - set(schema["properties"]), t)
    for k in AGENT_ONLY:
        assert k not in t, (k, t)


def no_secrets(resp):
    for s in SECRETS:
        assert s not in resp.body, (s, resp.body)


def setup(s):
    assert s.post("/api/v1/accounts", {"name": "acme", "tier": "enterprise"}).status == 201
    tokens = {}
    for email, role in [("alice@acme.test", "customer"), ("agent@support.test", "agent"),
                        ("eng@support.test", "engineer")]:
        body = {"email": email, "role": role, "name": email.split("@")[0]}
        if role == "customer":
            body["account"] = "acme"
        assert s.post("/api/v1/users", body).status == 201
        tokens[email] = s.post("/api/v1/tokens", {"user": email}).json["token"]
    assert s.post("/api/v1/groups", {"name": "tier2", "members": ["agent@support.test"]}).status == 201
    assert s.post("/api/v1/sla-policies", {"name": "gold-sla-policy", "position": 1, "calendar": "24x7",
                                           "conditions": {"tier": "enterprise"},
                                           "targets": {"first_response": 60}}).status == 201
    return tokens["alice@acme.test"], tokens["agent@support.test"], tokens["eng@support.test"]


def test_customer_routes_serve_the_customer_view():
    with Server() as s:
        alice, agent, eng = setup(s)
        # the admin marks one custom field customer-visible
        r = s.request("PUT", "/api/v1/ticket-settings", {"customer_visible_custom_fields": ["plan", "plan"]})
        assert r.status == 200 and r.json == {"customer_visible_custom_fields": ["plan"]}, r
        assert s.get("/api/v1/ticket-settings", token=eng).json == r.json
        problem(s.request("PUT", "/api/v1/ticket-settings", {"customer_visible_custom_fields": []},
                          token=agent), 403)
        problem(s.request("PUT", "/api/v1/ticket-settings", {"customer_visible_custom_fields": ["ok", 3, ""]}),
                422, "customer_visible_custom_fields[1]")
        problem(s.request("PUT", "/api/v1/ticket-settings", {"customer_visible_custom_fields": "plan"}),
                422, "customer_visible_custom_fields")
        problem(s.get("/api/v1/ticket-settings", token=alice), 404)
        assert s.get("/api/v1/ticket-settings").json == {"customer_visible_custom_fields": ["plan"]}

        r = s.post("/api/v1/tickets", {
            "subject": "Export fails", "description": "the export button does nothing",
            "requester": "alice@acme.test", "tags": ["vip-escalated"], "external_id": "EXT-4711",
            "assignee": "agent@support.test", "group": "tier2",
            "custom_fields": {"plan": "gold", "internal_score": 9}}, token=agent)
        assert r.status == 201, r
        tid = r.json["id"]
        # the agent's view keeps everything
        assert r.json["tags"] == ["vip-escalated"] and r.json["external_id"] == "EXT-4711"
        assert r.json["sla"]["policy"] == "gold-sla-policy"
        # a change of a visible and a hidden custom field, then of a hidden one only
        assert s.patch(f"/api/v1/tickets/{tid}", {"custom_fields": {"plan": "platinum", "internal_score": 3}},
                       token=agent).status == 200
        assert s.patch(f"/api/v1/tickets/{tid}", {"custom_fields": {"plan": "platinum", "internal_score": 4}},
                       token=agent).status == 200
        assert s.patch(f"/api/v1/tickets/{tid}", {"tags": ["vip-escalated", "x"]}, token=agent).status == 200
        assert s.post(f"/api/v1/tickets/{tid}/comments", {"body": "Looking into the export"},
                      token=agent).status == 201

        # every customer route: get, list, create, update, comment, comments, events, search
        r = s.get(f"/api/v1/tickets/{tid}", token=alice)
        assert r.status == 200, r
        check_customer_ticket(r.json)
        assert r.json["custom_fields"] == {"plan": "platinum"}
        no_secrets(r)
        r = s.get("/api/v1/tickets", token=alice)
        assert [t["id"] for t in r.json["items"]] == [tid]
        for t in r.json["items"]:
            check_customer_ticket(t)
        no_secrets(r)
        r = s.post("/api/v1/tickets", {"subject": "Second question", "environment": {"os": "linux"}}, token=alice)
        assert r.status == 201, r
        check_customer_ticket(r.json)
        assert r.json["environment"] == {"os": "linux"}
        r = s.post(f"/api/v1/tickets/{tid}/comments", {"body": "Thanks, still broken"}, token=alice)
        assert r.status == 201, r
        no_secrets(r)
        r = s.patch(f"/api/v1/tickets/{tid}", {"status": "solved"}, token=alice)
        assert r.status == 200, r
        check_customer_ticket(r.json)
        no_secrets(r)
        for path in [f"/api/v1/tickets/{tid}/events", f"/api/v1/tickets/{tid}/comments",
                     "/api/v1/search?q=export", f"/api/v1/tickets/{tid}/attachments"]:
            r = s.get(path, token=alice)
            assert r.status == 200, (path, r)
            no_secrets(r)
        ev = s.get(f"/api/v1/tickets/{tid}/events", token=alice).json["items"]
        created = [e for e in ev if e["type"] == "created"][0]["data"]
        for k in ["external_id", "tags", "assignee", "group"]:
            assert k not in created, created
        assert created["custom_fields"] == {"plan": "gold"}
        # one fields event: the change of "plan"; the hidden-only change is left out
        fields = [e["data"] for e in ev if e["type"] == "fields"]
        assert fields == [{"custom_fields": {"plan": "platinum"}}], fields
        # the agent sees both fields events with every key
        ag = s.get(f"/api/v1/tickets/{tid}/events", token=agent).json["items"]
        assert [e["data"]["custom_fields"]["internal_score"] for e in ag if e["type"] == "fields"] == [3, 4]

        # filters on agent-side fields would reveal them
        for q in ["tag=vip-escalated", "external_id=EXT-4711", "assignee=none", "group=tier2"]:
            problem(s.get(f"/api/v1/tickets?{q}", token=alice), 403, q.split("=")[0])
        assert len(s.get("/api/v1/tickets?tag=vip-escalated", token=agent).json["items"]) == 1

        # without the setting no custom field reaches the customer
        assert s.request("PUT", "/api/v1/ticket-settings", {"customer_visible_custom_fields": []}).status == 200
        r = s.get(f"/api/v1/tickets/{tid}", token=alice)
        assert r.json["custom_fields"] == {}
        r = s.get(f"/api/v1/tickets/{tid}/events", token=alice)
        assert "platinum" not in r.body and "fields" not in [e["type"] for e in r.json["items"]]


def pages(s, path, token, limit):
    """Every item of a paged list, and the cursors it handed out."""
    items, cursors, cursor = [], [], None
    while True:
        r = s.get(f"{path}?limit={limit}" + (f"&cursor={cursor}" if cursor else ""), token=token)
        assert r.status == 200, r
        items += r.json["items"]
        cursor = r.json["next_cursor"]
        if not cursor:
            return items, cursors
        cursors.append(cursor)


def test_customer_timeline_numbers_only_what_the_customer_sees():
    with Server() as s:
        alice, agent, _ = setup(s)
        tid = s.post("/api/v1/tickets", {"subject": "Login fails"}, token=alice).json["id"]
        # hidden events (internal notes, assignment, tags) between the visible ones
        for step in range(3):
            assert s.post(f"/api/v1/tickets/{tid}/comments", {"body": f"note {step}", "public": False},
                          token=agent).status == 201
            assert s.patch(f"/api/v1/tickets/{tid}", {"tags": [f"t{step}"]}, token=agent).status == 200
            assert s.post(f"/api/v1/tickets/{tid}/comments", {"body": f"reply {step}"},
                          token=agent).status == 201
        assert s.patch(f"/api/v1/tickets/{tid}", {"assignee": "agent@support.test"}, token=agent).status == 200
        r = s.post(f"/api/v1/tickets/{tid}/comments", {"body": "my answer"}, token=alice)
        assert r.status == 201, r
        mine = r.json
        agent_events = s.get(f"/api/v1/tickets/{tid}/events?limit=500", token=agent).json["items"]
        full = s.get(f"/api/v1/tickets/{tid}/events?limit=500", token=alice).json["items"]
        assert len(agent_events) > len(full)
        # numbered 1..n over what the customer sees, whatever the agent's sequence says
        assert [e["seq"] for e in full] == list(range(1, len(full) + 1)), [e["seq"] for e in full]
        assert full[-1]["id"] == mine["id"] and full[-1]["seq"] == mine["seq"]
        assert mine["seq"] < [e["seq"] for e in agent_events if e["id"] == mine["id"]][0]
        comments = [e for e in full if e["type"] == "comment"]
        assert [c["data"]["body"] for c in comments] == ["reply 0", "reply 1", "reply 2", "my answer"]
        # pages of every size hold the same events, and the cursors count only visible events
        for path, want in [(f"/api/v1/tickets/{tid}/events", full), (f"/api/v1/tickets/{tid}/comments", comments)]:
            for limit in (1, 2, 3):
                got, cursors = pages(s, path, alice, limit)
                assert got == want, (path, limit)
                for c in cursors:
                    assert int(c[1:], 36) <= len(full), (c, len(full))
        # agents keep the ticket's own sequence
        assert [e["seq"] for e in agent_events] == list(range(1, len(agent_events) + 1))
