"""List and queue pages render every ticket exactly as a GET of that ticket
does (issue 15 item 6: a page loads its tickets, references and SLA folds
for all rows at once, the output must not change). For agents (the GET's
`followups` aside, which only the tickets of a defect carry) and for
customers (the customer view), from a cold fold cache (after a restart) and
a warm one. Running clocks advance between requests: an item's `elapsed_s`
must lie between the GET before the page and the GET after it, everything
else is equal, key order included."""
import json
import shutil
import tempfile

from lib import Server

PAGES_AGENT = [
    "/api/v1/tickets?limit=50",
    "/api/v1/tickets?status=open,new,pending&limit=50",
    "/api/v1/tickets?tag=smoke&limit=7",
    "/api/v1/views/all_open/tickets?limit=50",
    "/api/v1/views/unassigned/tickets?limit=50",
    "/api/v1/views/mine/tickets?limit=50",
    "/api/v1/views/all_open/tickets?limit=5&priority=P1,P2",
]


def setup(s):
    tiers = {"acme": "enterprise", "globex": "business", "initech": "standard"}
    for name, tier in tiers.items():
        assert s.post("/api/v1/accounts", {"name": name, "tier": tier}).status == 201
    tokens = {}
    for email, role, acct in [("alice@acme.test", "customer", "acme"), ("bob@acme.test", "customer", "acme"),
                              ("gina@globex.test", "customer", "globex"),
                              ("ian@initech.test", "customer", "initech"),
                              ("agent@support.test", "agent", None), ("ann@support.test", "agent", None)]:
        body = {"email": email, "role": role, "name": email.split("@")[0].title()}
        if acct:
            body["account"] = acct
        assert s.post("/api/v1/users", body).status == 201, email
        tokens[email] = s.post("/api/v1/tokens", {"user": email}).json["token"]
    for g, members in (("tier1", ["agent@support.test"]), ("tier2", ["ann@support.test"])):
        assert s.post("/api/v1/groups", {"name": g, "members": members}).status == 201
    for pos, (name, tier, targets) in enumerate([
            ("gold", "enterprise", {"first_response": 60, "next_update": 120, "resolution": 480}),
            ("silver", "business", {"first_response": 1, "resolution": 2880})], start=1):
        assert s.post("/api/v1/sla-policies", {"name": name, "position": pos, "calendar": "24x7",
                                               "conditions": {"tier": tier}, "targets": targets}).status == 201
    assert s.request("PUT", "/api/v1/ticket-settings", {"customer_visible_custom_fields": ["plan"]}).status == 200
    return tokens


def create_tickets(s, tokens):
    requesters = ["alice@acme.test", "bob@acme.test", "gina@globex.test", "ian@initech.test"]
    ids = []
    for i in range(24):
        body = {"subject": f"Printer {i} on fire", "description": "smoke", "requester": requesters[i % 4],
                "priority": ["P1", "P2", "P3", "P4"][i % 4], "tags": ["hw", "smoke" if i % 2 else "fire"],
                "custom_fields": {"plan": "gold", "internal_score": i}}
        if i % 3:
            body["assignee"] = ["agent@support.test", "ann@support.test"][i % 2]
        if i % 4:
            body["group"] = ["tier1", "tier2"][i % 2]
        r = s.post("/api/v1/tickets", body, token=tokens["agent@support.test"])
        assert r.status == 201, r
        ids.append(r.json["id"])
    for i, t in enumerate(ids):
        if i % 3 == 0:  # a public reply stops the first-response clock
            assert s.post(f"/api/v1/tickets/{t}/comments", {"body": "on it", "public": True}).status == 201
        if i % 5 == 1:  # the customer answers: the next-update clock runs
            assert s.post(f"/api/v1/tickets/{t}/comments", {"body": "still broken"},
                          token=tokens[requesters[i % 4]]).status == 201
    # solved, closed and a follow-up of the closed one
    assert s.patch(f"/api/v1/tickets/{ids[4]}", {"status": "solved"}).status == 200
    assert s.patch(f"/api/v1/tickets/{ids[8]}", {"status": "solved"}).status == 200
    assert s.patch(f"/api/v1/tickets/{ids[8]}", {"status": "closed"}).status == 200
    r = s.post(f"/api/v1/tickets/{ids[8]}/comments", {"body": "it is back"}, token=tokens["alice@acme.test"])
    assert r.status == 201, r
    # a ticket moved to another account (its fold reads two accounts' tiers)
    assert s.patch(f"/api/v1/tickets/{ids[2]}", {"account": "initech"}).status == 200
    # a fixed defect on three tickets (the fix-available list: the two open ones, with followups)
    d = s.post("/api/v1/defects", {"tracker": "jira", "key": "ENG-7", "title": "Fire"}).json
    for t in (ids[0], ids[1], ids[8]):
        assert s.post(f"/api/v1/tickets/{t}/defects", {"defect": d["id"]}).status == 201
    assert s.patch(f"/api/v1/defects/{d['id']}", {"status": "fixed"}).status == 200
    return ids


def elapsed_paths(o, path=()):
    """The paths of every elapsed_s in o."""
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "elapsed_s":
                yield path + (k,)
            else:
                yield from elapsed_paths(v, path + (k,))


def at(o, path):
    for k in path:
        o = o[k]
    return o


def blank(o, path):
    o = json.loads(json.dumps(o))
    at(o, path[:-1])[path[-1]] = 0
    return o


def check_page(s, path, token, drop=("followups",)):
    """Each item of the page equals the GET of its ticket, elapsed times
    between the GETs just before and just after."""
    ids = [t["id"] for t in s.get(path, token=token).json["items"]]
    assert ids, path
    before = {t: s.get(f"/api/v1/tickets/{t}", token=token).json for t in ids}
    page = s.get(path, token=token)
    assert page.status == 200, page
    after = {t: s.get(f"/api/v1/tickets/{t}", token=token).json for t in ids}
    items = page.json["items"]
    assert [t["id"] for t in items] == ids, path
    for item in items:
        t = item["id"]
        extra = {k: item.pop(k) for k in ("fixed_defects",) if k in item}
        assert "fix-available" not in path or extra, path
        g0, g1 = before[t], after[t]
        for k in drop:
            g0.pop(k, None)
            g1.pop(k, None)
        a, b0, b1 = item, g0, g1
        for p in elapsed_paths(g0):
            assert at(g0, p) <= at(item, p) <= at(g1, p), (path, t, p)
            a, b0, b1 = blank(a, p), blank(b0, p), blank(b1, p)
        assert json.dumps(a) == json.dumps(b0) == json.dumps(b1), (path, t, item, g0)
    return items


def test_pages_render_what_get_renders():
    d = tempfile.mkdtemp(prefix="cb-e2e-")
    with Server(d) as s:
        tokens = setup(s)
        create_tickets(s, tokens)
    with Server(d) as s2:  # a restart: no cached fold
        s2.token = s.token
        agent, alice = tokens["agent@support.test"], tokens["alice@acme.test"]
        for rnd in range(2):  # cold, then warm
            for path in PAGES_AGENT:
                check_page(s2, path, agent)
            # the customer view: their account's tickets only, no agent-side fields
            items = check_page(s2, "/api/v1/tickets?limit=50", alice)
            assert all("sla" not in t and "assignee" not in t for t in items)
            assert {t["account"]["name"] for t in items} == {"acme"}
            # the tickets of a fixed defect keep the followups a GET shows
            items = check_page(s2, "/api/v1/defects/fix-available?limit=50", agent, drop=())
            assert len(items) == 2 and all("followups" in t for t in items)
    shutil.rmtree(d, ignore_errors=True)
