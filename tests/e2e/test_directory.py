"""Accounts, users, API tokens and groups through the real server and CLI:
every field, strict input (each bad field named, nothing written), 409s,
pagination, role checks, idempotency, audit rows and the CLI commands."""
import os
import re
import sqlite3
import subprocess

from lib import BIN, Server, problem

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")


def count(s, path):
    """Number of items in a list endpoint, following every cursor."""
    n, cursor = 0, None
    while True:
        sep = "&" if "?" in path else "?"
        r = s.get(path + f"{sep}limit=500" + (f"&cursor={cursor}" if cursor else ""))
        assert r.status == 200, r
        n += len(r.json["items"])
        cursor = r.json["next_cursor"]
        if not cursor:
            return n


def walk(s, path, limit=2):
    """Every item of a list endpoint, limit at a time."""
    items, cursor, pages = [], None, 0
    while True:
        sep = "&" if "?" in path else "?"
        r = s.get(path + f"{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else ""))
        assert r.status == 200, r
        assert len(r.json["items"]) <= limit
        items += r.json["items"]
        pages += 1
        cursor = r.json["next_cursor"]
        if not cursor:
            return items, pages
        assert isinstance(cursor, str)


def rejects(s, method, path, body, status, field, list_path):
    """A bad request fails with status naming field and writes nothing."""
    before = count(s, list_path)
    r = s.request(method, path, body=body)
    problem(r, status, field)
    assert count(s, list_path) == before, f"{body} wrote something"
    return r


def mk_user(s, email, role, account=None, name=None):
    body = {"email": email, "role": role}
    if account is not None:
        body["account"] = account
    if name is not None:
        body["name"] = name
    r = s.post("/api/v1/users", body)
    assert r.status == 201, r
    return r.json


def mk_token(s, user):
    r = s.post("/api/v1/tokens", {"user": user})
    assert r.status == 201, r
    return r.json["token"]


def db_rows(s, sql, args=()):
    """Rows from the data directory's database; stops the server first so
    everything is checkpointed and nothing is read mid-write."""
    s.stop()
    con = sqlite3.connect(os.path.join(s.dir, "casebook.db"))
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


# ---- accounts ----

def test_accounts_create_get_list_patch():
    with Server() as s:
        r = s.post("/api/v1/accounts", {"name": "  Acme Corp ", "tier": "enterprise",
                                        "domains": ["Acme.TEST", "@acme.io"]})
        assert r.status == 201, r
        a = r.json
        assert set(a) == {"id", "name", "tier", "domains", "created_at", "updated_at"}
        assert isinstance(a["id"], int) and a["id"] > 0
        assert a["name"] == "Acme Corp" and a["tier"] == "enterprise"
        assert a["domains"] == ["acme.test", "acme.io"]
        assert RFC3339.match(a["created_at"]) and a["updated_at"] == a["created_at"]
        g = s.get(f"/api/v1/accounts/{a['id']}")
        assert g.status == 200 and g.json == a
        lst = s.get("/api/v1/accounts")
        assert lst.status == 200 and lst.json["next_cursor"] is None
        assert a in lst.json["items"]
        assert [x["name"] for x in lst.json["items"]] == ["default", "Acme Corp"]

        p = s.patch(f"/api/v1/accounts/{a['id']}", {"tier": "business"})
        assert p.status == 200, p
        assert p.json["tier"] == "business" and p.json["name"] == "Acme Corp"
        assert p.json["domains"] == ["acme.test", "acme.io"]
        assert p.json["created_at"] == a["created_at"] and RFC3339.match(p.json["updated_at"])
        p = s.patch(f"/api/v1/accounts/{a['id']}", {"name": "Acme", "domains": ["acme.dev"]})
        assert p.status == 200, p
        assert p.json["name"] == "Acme" and p.json["domains"] == ["acme.dev"]
        assert p.json["tier"] == "business"
        assert s.get(f"/api/v1/accounts/{a['id']}").json == p.json
        # the freed domain can be taken by another account now
        r = s.post("/api/v1/accounts", {"name": "Other", "tier": "standard", "domains": ["acme.test"]})
        assert r.status == 201, r
        problem(s.get("/api/v1/accounts/999"), 404)
        problem(s.patch("/api/v1/accounts/999", {"tier": "standard"}), 404)
        problem(s.get("/api/v1/accounts/abc"), 404)
        rows = db_rows(s, "SELECT domain, account_id FROM account_domains ORDER BY domain")
        assert rows == [("acme.dev", a["id"]), ("acme.test", r.json["id"])]


def test_accounts_bad_input_writes_nothing():
    with Server() as s:
        L = "/api/v1/accounts"
        ok = {"name": "acme", "tier": "enterprise"}
        rejects(s, "POST", L, {"name": 5, "tier": "enterprise"}, 422, "name", L)
        rejects(s, "POST", L, {"name": "acme", "tier": "gold"}, 422, "tier", L)
        rejects(s, "POST", L, {"name": "acme", "tier": None}, 422, "tier", L)
        rejects(s, "POST", L, {"tier": "enterprise"}, 422, "name", L)
        rejects(s, "POST", L, {"name": "acme"}, 422, "tier", L)
        rejects(s, "POST", L, {**ok, "colour": "red"}, 422, "colour", L)
        rejects(s, "POST", L, {**ok, "domains": "acme.test"}, 422, "domains", L)
        rejects(s, "POST", L, {**ok, "domains": ["acme.test", 7]}, 422, "domains[1]", L)
        rejects(s, "POST", L, {**ok, "domains": ["not a domain"]}, 422, "domains[0]", L)
        rejects(s, "POST", L, {**ok, "domains": ["localhost"]}, 422, "domains[0]", L)
        rejects(s, "POST", L, {**ok, "domains": ["a.test", "A.test"]}, 422, "domains[1]", L)
        rejects(s, "POST", L, {"name": "   ", "tier": "standard"}, 422, "name", L)
        rejects(s, "POST", L, {"name": "x" * 201, "tier": "standard"}, 422, "name", L)
        p = rejects(s, "POST", L, {"name": 1, "tier": "x", "y": 2}, 422, "y", L)
        assert {e["field"] for e in p.json["errors"]} == {"name", "tier", "y"}  # every bad field
        # malformed bodies
        assert s.post(L, raw=b'{"name": "a", ').status == 400
        assert s.post(L, raw=b'{"name": "\xff\xfe", "tier": "standard"}').status == 400
        assert s.post(L, raw=b'[1]').status == 400
        assert count(s, L) == 1
        # a name of exactly 200 characters is fine
        assert s.post(L, {"name": "é" * 200, "tier": "standard"}).status == 201

        r = s.post(L, {**ok, "domains": ["acme.test"]})
        assert r.status == 201, r
        acme = r.json["id"]
        rejects(s, "POST", L, {"name": "ACME", "tier": "standard"}, 409, "name", L)
        rejects(s, "POST", L, {"name": "globex", "tier": "standard", "domains": ["ACME.test"]},
                409, "domains[0]", L)
        r = s.post(L, {"name": "globex", "tier": "standard"})
        assert r.status == 201
        globex = r.json["id"]
        problem(s.patch(f"{L}/{globex}", {"name": "Acme"}), 409, "name")
        problem(s.patch(f"{L}/{globex}", {"domains": ["acme.test"]}), 409, "domains[0]")
        problem(s.patch(f"{L}/{globex}", {"tier": "platinum"}), 422, "tier")
        problem(s.patch(f"{L}/{globex}", {"id": 3}), 422, "id")
        assert s.get(f"{L}/{globex}").json["name"] == "globex"
        assert s.get(f"{L}/{globex}").json["domains"] == []
        assert s.get(f"{L}/{acme}").json["domains"] == ["acme.test"]
        # renaming to the same name in another case is not a conflict with itself
        assert s.patch(f"{L}/{acme}", {"name": "ACME"}).json["name"] == "ACME"


def test_accounts_pagination():
    with Server() as s:
        for i in range(6):
            assert s.post("/api/v1/accounts", {"name": f"acct{i}", "tier": "standard"}).status == 201
        items, pages = walk(s, "/api/v1/accounts", 2)
        ids = [a["id"] for a in items]
        assert len(ids) == 7 and len(set(ids)) == 7 and ids == sorted(ids)
        assert pages == 4
        r = s.get("/api/v1/accounts?limit=7")
        assert len(r.json["items"]) == 7 and r.json["next_cursor"] is None
        problem(s.get("/api/v1/accounts?limit=0"), 400, "limit")
        problem(s.get("/api/v1/accounts?limit=501"), 400, "limit")
        problem(s.get("/api/v1/accounts?cursor=zzz"), 400, "cursor")


# ---- authentication and roles ----

def test_unauthenticated_is_401():
    with Server() as s:
        for method, path in [("GET", "/api/v1/accounts"), ("POST", "/api/v1/accounts"),
                             ("GET", "/api/v1/users/me"), ("POST", "/api/v1/tokens"),
                             ("GET", "/api/v1/groups")]:
            r = s.request(method, path, token=None, body={} if method == "POST" else None)
            problem(r, 401)
            assert r.header("WWW-Authenticate") == "Bearer"
            problem(s.request(method, path, token="cbk_not-a-real-token-at-all",
                              body={} if method == "POST" else None), 401)
        assert count(s, "/api/v1/accounts") == 1


def test_role_checks():
    with Server() as s:
        acme = s.post("/api/v1/accounts", {"name": "acme", "tier": "enterprise"}).json
        globex = s.post("/api/v1/accounts", {"name": "globex", "tier": "standard"}).json
        alice = mk_user(s, "alice@acme.test", "customer", "acme")
        bob = mk_user(s, "bob@globex.test", "customer", globex["id"])
        agent = mk_user(s, "agent@support.test", "agent")
        eng = mk_user(s, "eng@support.test", "engineer")
        ta, tag, te = mk_token(s, alice["id"]), mk_token(s, "agent@support.test"), mk_token(s, eng["id"])

        # agents and engineers read accounts but may not write them
        problem(s.post("/api/v1/accounts", {"name": "x", "tier": "standard"}, token=tag), 403)
        problem(s.patch(f"/api/v1/accounts/{acme['id']}", {"tier": "standard"}, token=tag), 403)
        assert s.get(f"/api/v1/accounts/{globex['id']}", token=tag).status == 200
        assert count(s, "/api/v1/accounts") == 3
        problem(s.post("/api/v1/users", {"email": "z@z.test", "role": "agent"}, token=tag), 403)
        problem(s.patch(f"/api/v1/users/{alice['id']}", {"name": "A"}, token=tag), 403)
        assert s.get(f"/api/v1/users/{alice['id']}", token=tag).status == 200
        assert s.get("/api/v1/users", token=te).status == 200

        # a customer sees only its own account and itself
        assert s.get(f"/api/v1/accounts/{acme['id']}", token=ta).json == acme
        problem(s.get(f"/api/v1/accounts/{globex['id']}", token=ta), 404)
        problem(s.get("/api/v1/accounts/1", token=ta), 404)
        problem(s.get("/api/v1/accounts/9999", token=ta), 404)
        lst = s.get("/api/v1/accounts", token=ta)
        assert lst.status == 200 and lst.json == {"items": [acme], "next_cursor": None}
        assert s.get(f"/api/v1/users/{alice['id']}", token=ta).json == alice
        problem(s.get(f"/api/v1/users/{bob['id']}", token=ta), 404)
        problem(s.get(f"/api/v1/users/{agent['id']}", token=ta), 404)
        problem(s.get("/api/v1/users", token=ta), 404)
        problem(s.get("/api/v1/groups", token=ta), 404)
        problem(s.post("/api/v1/accounts", {"name": "x", "tier": "standard"}, token=ta), 404)
        me = s.get("/api/v1/users/me", token=ta)
        assert me.status == 200 and me.json == alice

        # groups: engineers read, agents may not write
        g = s.post("/api/v1/groups", {"name": "tier2"})
        assert g.status == 201
        assert s.get(f"/api/v1/groups/{g.json['id']}", token=te).status == 200
        assert s.get("/api/v1/groups", token=te).status == 200
        problem(s.post("/api/v1/groups", {"name": "x"}, token=tag), 403)
        problem(s.patch(f"/api/v1/groups/{g.json['id']}", {"name": "x"}, token=tag), 403)
        problem(s.get(f"/api/v1/groups/{g.json['id']}", token=ta), 404)


# ---- users ----

def test_users_create_get_list_patch():
    with Server() as s:
        acme = s.post("/api/v1/accounts", {"name": "acme", "tier": "enterprise"}).json
        r = s.post("/api/v1/users", {"email": " Alice@ACME.test ", "name": "Alice A.",
                                     "role": "customer", "account": "ACME",
                                     "password": "correct horse"})
        assert r.status == 201, r
        u = r.json
        assert set(u) == {"id", "email", "name", "role", "account", "active", "created_at",
                          "updated_at"}
        assert u["email"] == "alice@acme.test" and u["name"] == "Alice A."
        assert u["role"] == "customer" and u["active"] is True
        assert u["account"] == {"id": acme["id"], "name": "acme", "tier": "enterprise"}
        assert RFC3339.match(u["created_at"]) and u["updated_at"] == u["created_at"]
        assert "password" not in r.body and "argon" not in r.body
        assert s.get(f"/api/v1/users/{u['id']}").json == u

        ag = mk_user(s, "agent1@support.test", "agent", name="Agent One")
        assert ag["account"] is None and ag["name"] == "Agent One"
        eng = mk_user(s, "eng@support.test", "engineer", account=None)
        assert eng["role"] == "engineer" and eng["name"] == ""

        p = s.patch(f"/api/v1/users/{u['id']}", {"name": "Alice", "active": False,
                                                 "password": "another secret"})
        assert p.status == 200, p
        assert p.json["name"] == "Alice" and p.json["active"] is False
        assert p.json["email"] == u["email"] and p.json["account"] == u["account"]
        assert "password" not in p.body
        # a customer who becomes an agent leaves the account
        p = s.patch(f"/api/v1/users/{u['id']}", {"role": "agent", "active": True})
        assert p.status == 200 and p.json["role"] == "agent" and p.json["account"] is None
        p = s.patch(f"/api/v1/users/{u['id']}", {"role": "customer", "account": acme["id"],
                                                 "email": "alice2@acme.test"})
        assert p.status == 200 and p.json["account"]["id"] == acme["id"]
        assert p.json["email"] == "alice2@acme.test"
        assert s.get(f"/api/v1/users/{u['id']}").json == p.json

        me = s.get("/api/v1/users/me")
        assert me.status == 200 and me.json["role"] == "admin" and me.json["id"] == 1

        # filters
        custs = s.get("/api/v1/users?role=customer").json["items"]
        assert [x["id"] for x in custs] == [u["id"]]
        assert [x["id"] for x in s.get("/api/v1/users?account=acme").json["items"]] == [u["id"]]
        assert [x["id"] for x in s.get(f"/api/v1/users?account={acme['id']}").json["items"]] == [u["id"]]
        assert s.get("/api/v1/users?role=agent&account=acme").json["items"] == []
        assert [x["email"] for x in s.get("/api/v1/users?role=agent").json["items"]] == [
            "agent1@support.test"]
        problem(s.get("/api/v1/users?role=boss"), 422, "role")
        problem(s.get("/api/v1/users?account=nope"), 422, "account")
        # pagination
        for i in range(3):
            mk_user(s, f"agent{i + 2}@support.test", "agent")
        items, pages = walk(s, "/api/v1/users", 2)
        ids = [x["id"] for x in items]
        assert len(ids) == 7 and len(set(ids)) == 7 and ids == sorted(ids) and pages == 4
        items, _ = walk(s, "/api/v1/users?role=agent", 2)
        assert len(items) == 4 and all(x["role"] == "agent" for x in items)
        hashes = db_rows(s, "SELECT password_hash FROM users WHERE id = ?", (u["id"],))
        assert hashes[0][0].startswith("$argon2id$")


def test_users_bad_input_writes_nothing():
    with Server() as s:
        s.post("/api/v1/accounts", {"name": "acme", "tier": "enterprise"})
        L = "/api/v1/users"
        rejects(s, "POST", L, {"email": 42, "role": "agent"}, 422, "email", L)
        rejects(s, "POST", L, {"email": "a@b.test", "role": "boss"}, 422, "role", L)
        rejects(s, "POST", L, {"email": "a@b.test", "role": 1}, 422, "role", L)
        rejects(s, "POST", L, {"role": "agent"}, 422, "email", L)
        rejects(s, "POST", L, {"email": "a@b.test"}, 422, "role", L)
        rejects(s, "POST", L, {"email": "a@b.test", "role": "agent", "admin": True}, 422, "admin", L)
        rejects(s, "POST", L, {"email": "a@b.test", "role": "customer"}, 422, "account", L)
        rejects(s, "POST", L, {"email": "a@b.test", "role": "customer", "account": None}, 422,
                "account", L)
        rejects(s, "POST", L, {"email": "a@b.test", "role": "agent", "account": "acme"}, 422,
                "account", L)
        rejects(s, "POST", L, {"email": "a@b.test", "role": "customer", "account": "nope"}, 422,
                "account", L)
        rejects(s, "POST", L, {"email": "a@b.test", "role": "customer", "account": 999}, 422,
                "account", L)
        rejects(s, "POST", L, {"email": "a@b.test", "role": "customer", "account": [1]}, 422,
                "account", L)
        for bad in ["no-at-sign", "two@@b.test", "@b.test", "a@", "a@nodot", "a b@c.test"]:
            rejects(s, "POST", L, {"email": bad, "role": "agent"}, 422, "email", L)
        rejects(s, "POST", L, {"email": "a@b.test", "role": "agent", "password": "short"}, 422,
                "password", L)
        rejects(s, "POST", L, {"email": "a@b.test", "role": "agent", "password": 12345678}, 422,
                "password", L)
        rejects(s, "POST", L, {"email": "a@b.test", "role": "agent", "active": "yes"}, 422,
                "active", L)
        rejects(s, "POST", L, {"email": "a@b.test", "role": "agent", "name": ["x"]}, 422, "name", L)
        assert count(s, L) == 1

        a = mk_user(s, "a@b.test", "agent")
        rejects(s, "POST", L, {"email": "A@B.TEST", "role": "engineer"}, 409, "email", L)
        c = mk_user(s, "c@acme.test", "customer", "acme")
        problem(s.patch(f"{L}/{c['id']}", {"email": "a@b.test"}), 409, "email")
        problem(s.patch(f"{L}/{c['id']}", {"account": None}), 422, "account")
        problem(s.patch(f"{L}/{a['id']}", {"account": "acme"}), 422, "account")
        problem(s.patch(f"{L}/{a['id']}", {"role": "customer"}), 422, "account")
        problem(s.patch(f"{L}/{a['id']}", {"password": "x"}), 422, "password")
        problem(s.patch(f"{L}/{a['id']}", {"nickname": "x"}), 422, "nickname")
        problem(s.patch(f"{L}/999", {"name": "x"}), 404)
        assert s.get(f"{L}/{c['id']}").json == c
        assert s.get(f"{L}/{a['id']}").json == a
        # the last active admin can be neither demoted nor deactivated
        problem(s.patch(f"{L}/1", {"role": "agent"}), 409, "role")
        problem(s.patch(f"{L}/1", {"active": False}), 409, "active")
        assert s.get(f"{L}/1").json["role"] == "admin"


# ---- tokens ----

def test_tokens():
    with Server() as s:
        s.post("/api/v1/accounts", {"name": "acme", "tier": "enterprise"})
        alice = mk_user(s, "alice@acme.test", "customer", "acme")
        agent = mk_user(s, "agent@support.test", "agent")
        r = s.post("/api/v1/tokens", {"user": "Alice@acme.test", "name": "laptop"})
        assert r.status == 201, r
        t = r.json
        assert set(t) == {"id", "token", "name", "user", "created_at"}
        assert t["token"].startswith("cbk_") and t["name"] == "laptop"
        assert t["user"] == {"id": alice["id"], "email": "alice@acme.test", "name": ""}
        me = s.get("/api/v1/users/me", token=t["token"])
        assert me.status == 200 and me.json == alice
        # by id, then the secret is nowhere else: not in the database either
        t2 = s.post("/api/v1/tokens", {"user": agent["id"]}).json
        assert s.get("/api/v1/users/me", token=t2["token"]).json["id"] == agent["id"]
        # non-admins mint only for themselves
        problem(s.post("/api/v1/tokens", {"user": alice["id"]}, token=t2["token"]), 403, "user")
        problem(s.post("/api/v1/tokens", {"user": "nobody@x.test"}, token=t2["token"]), 403)
        problem(s.post("/api/v1/tokens", {"user": 1}, token=t["token"]), 403)
        own = s.post("/api/v1/tokens", {}, token=t["token"])
        assert own.status == 201 and own.json["user"]["id"] == alice["id"]
        own2 = s.post("/api/v1/tokens", token=t["token"])  # no body at all
        assert own2.status == 201 and own2.json["user"]["id"] == alice["id"]
        same = s.post("/api/v1/tokens", {"user": "agent@support.test"}, token=t2["token"])
        assert same.status == 201
        for tok in (own.json["token"], own2.json["token"], same.json["token"]):
            assert s.get("/api/v1/users/me", token=tok).status == 200
        assert len({own.json["token"], own2.json["token"], t["token"]}) == 3
        # bad input
        problem(s.post("/api/v1/tokens", {"user": "ghost@x.test"}), 422, "user")
        problem(s.post("/api/v1/tokens", {"user": 1.5}), 422, "user")
        problem(s.post("/api/v1/tokens", {"scope": "all"}), 422, "scope")
        problem(s.post("/api/v1/tokens", {"name": 3}), 422, "name")
        # a deactivated user's tokens stop working and no new ones are minted
        assert s.patch(f"/api/v1/users/{alice['id']}", {"active": False}).status == 200
        problem(s.get("/api/v1/users/me", token=t["token"]), 401)
        problem(s.post("/api/v1/tokens", {"user": alice["id"]}), 422, "user")
        n = db_rows(s, "SELECT count(*) FROM tokens")[0][0]
        assert n == 6  # init + 5 minted
        blob = b"".join(r[0] for r in db_rows(s, "SELECT hash FROM tokens"))
        assert t["token"].encode() not in blob
        dump = "\n".join(str(r) for r in db_rows(s, "SELECT * FROM idempotency"))
        assert t["token"] not in dump


# ---- groups ----

def test_groups_create_get_list_patch():
    with Server() as s:
        s.post("/api/v1/accounts", {"name": "acme", "tier": "enterprise"})
        a1 = mk_user(s, "agent1@support.test", "agent", name="One")
        a2 = mk_user(s, "agent2@support.test", "agent", name="Two")
        e1 = mk_user(s, "eng1@support.test", "engineer")
        cust = mk_user(s, "alice@acme.test", "customer", "acme")
        r = s.post("/api/v1/groups", {"name": "Tier 2", "description": "Second line\nsupport",
                                      "members": [a2["id"], "AGENT1@support.test"]})
        assert r.status == 201, r
        g = r.json
        assert set(g) == {"id", "name", "description", "members", "created_at", "updated_at",
                          "min_escalation_score"}
        assert g["name"] == "Tier 2" and g["description"] == "Second line\nsupport"
        assert g["members"] == [{"id": a1["id"], "email": a1["email"], "name": "One"},
                                {"id": a2["id"], "email": a2["email"], "name": "Two"}]
        assert RFC3339.match(g["created_at"]) and g["updated_at"] == g["created_at"]
        assert s.get(f"/api/v1/groups/{g['id']}").json == g
        empty = s.post("/api/v1/groups", {"name": "engineering"}).json
        assert empty["members"] == [] and empty["description"] == ""

        p = s.patch(f"/api/v1/groups/{g['id']}", {"members": [e1["email"], 1]})
        assert p.status == 200, p
        assert [m["id"] for m in p.json["members"]] == [1, e1["id"]]
        assert p.json["name"] == "Tier 2" and p.json["description"] == g["description"]
        p = s.patch(f"/api/v1/groups/{g['id']}", {"name": "tier2", "description": ""})
        assert p.status == 200 and p.json["name"] == "tier2" and p.json["description"] == ""
        assert [m["id"] for m in p.json["members"]] == [1, e1["id"]]
        p = s.patch(f"/api/v1/groups/{g['id']}", {"members": []})
        assert p.status == 200 and p.json["members"] == []
        assert s.get(f"/api/v1/groups/{g['id']}").json == p.json

        L = "/api/v1/groups"
        rejects(s, "POST", L, {"name": "x", "members": [cust["id"]]}, 422, "members[0]", L)
        rejects(s, "POST", L, {"name": "x", "members": ["agent1@support.test", "alice@acme.test"]},
                422, "members[1]", L)
        rejects(s, "POST", L, {"name": "x", "members": ["ghost@support.test"]}, 422, "members[0]", L)
        rejects(s, "POST", L, {"name": "x", "members": [{"id": 1}]}, 422, "members[0]", L)
        rejects(s, "POST", L, {"name": "x", "members": "agent1@support.test"}, 422, "members", L)
        rejects(s, "POST", L, {"name": "TIER2"}, 409, "name", L)
        rejects(s, "POST", L, {"description": "no name"}, 422, "name", L)
        rejects(s, "POST", L, {"name": 2}, 422, "name", L)
        rejects(s, "POST", L, {"name": "x", "queue": True}, 422, "queue", L)
        problem(s.patch(f"{L}/{g['id']}", {"members": [cust["email"]]}), 422, "members[0]")
        problem(s.patch(f"{L}/{g['id']}", {"name": "engineering"}), 409, "name")
        problem(s.patch(f"{L}/999", {"name": "nope"}), 404)
        problem(s.get(f"{L}/999"), 404)
        assert s.get(f"{L}/{g['id']}").json == p.json

        for i in range(3):
            assert s.post(L, {"name": f"g{i}", "members": [a1["id"]]}).status == 201
        items, pages = walk(s, L, 2)
        ids = [x["id"] for x in items]
        assert len(ids) == 5 and len(set(ids)) == 5 and ids == sorted(ids) and pages == 3
        assert items[-1]["members"] == [{"id": a1["id"], "email": a1["email"], "name": "One"}]

        # an agent who becomes a customer leaves every group
        s.patch(f"/api/v1/users/{a1['id']}", {"role": "customer", "account": "acme"})
        assert all(x["members"] == [] for x in s.get(L).json["items"])


# ---- idempotency and audit ----

def test_idempotency_key():
    with Server() as s:
        body = {"name": "acme", "tier": "enterprise", "domains": ["acme.test"]}
        h = {"Idempotency-Key": "create-acme-1"}
        r1 = s.post("/api/v1/accounts", body, headers=h)
        assert r1.status == 201, r1
        r2 = s.post("/api/v1/accounts", body, headers=h)
        assert r2.status == 201 and r2.body == r1.body
        assert r2.header("Idempotent-Replayed") == "true"
        assert count(s, "/api/v1/accounts") == 2
        problem(s.post("/api/v1/accounts", {"name": "globex", "tier": "standard"}, headers=h),
                422, "Idempotency-Key")
        assert count(s, "/api/v1/accounts") == 2
        # a failed request stores nothing: the key still works afterwards
        h2 = {"Idempotency-Key": "user-1"}
        problem(s.post("/api/v1/users", {"email": "x@y.test", "role": "boss"}, headers=h2), 422)
        u = {"email": "x@y.test", "role": "agent"}
        r = s.post("/api/v1/users", u, headers=h2)
        assert r.status == 201
        assert s.post("/api/v1/users", u, headers=h2).body == r.body
        assert count(s, "/api/v1/users") == 2


def test_audit_rows():
    with Server() as s:
        acc = s.post("/api/v1/accounts", {"name": "acme", "tier": "enterprise"}).json
        s.patch(f"/api/v1/accounts/{acc['id']}", {"tier": "business"})
        u = mk_user(s, "alice@acme.test", "customer", "acme")
        s.patch(f"/api/v1/users/{u['id']}", {"name": "Alice", "password": "12345678"})
        ag = mk_user(s, "agent@support.test", "agent")
        g = s.post("/api/v1/groups", {"name": "tier2", "members": [ag["id"]]}).json
        s.patch(f"/api/v1/groups/{g['id']}", {"members": []})
        tok = s.post("/api/v1/tokens", {"user": u["id"]}).json
        # failures leave no audit row
        s.post("/api/v1/accounts", {"name": "acme", "tier": "enterprise"})
        s.patch(f"/api/v1/users/{u['id']}", {"role": "boss"})
        rows = db_rows(s, "SELECT actor_id, action, target, data FROM audit WHERE id > 1 ORDER BY id")
        assert [(r[0], r[1], r[2]) for r in rows] == [
            (1, "account.create", f"account:{acc['id']}"),
            (1, "account.update", f"account:{acc['id']}"),
            (1, "user.create", f"user:{u['id']}"),
            (1, "user.update", f"user:{u['id']}"),
            (1, "user.create", f"user:{ag['id']}"),
            (1, "group.create", f"group:{g['id']}"),
            (1, "group.update", f"group:{g['id']}"),
            (1, "token.create", f"token:{tok['id']}"),
        ]
        assert '"fields":["name","password"]' in rows[3][3]
        assert "12345678" not in "".join(r[3] for r in rows)
        assert tok["token"] not in "".join(r[3] for r in rows)


# ---- CLI ----

def run(*args, stdin=None):
    return subprocess.run([BIN, *args], capture_output=True, text=True, input=stdin, timeout=60)


def test_cli_account_user_token():
    s = Server()
    d = s.dir
    r = run("account", "add", "--data", d, "--name", "Acme", "--tier", "enterprise",
            "--domain", "acme.test", "--domain=ACME.io")
    assert r.returncode == 0, r.stderr
    import json
    acc = json.loads(r.stdout.strip().splitlines()[-1])
    assert acc["name"] == "Acme" and acc["domains"] == ["acme.test", "acme.io"]
    r = run("user", "add", "--data", d, "--email", "alice@acme.test", "--role", "customer",
            "--name", "Alice", "--account", "acme", "--password-stdin", stdin="s3cret-pass\n")
    assert r.returncode == 0, r.stderr
    u = json.loads(r.stdout.strip().splitlines()[-1])
    assert u["email"] == "alice@acme.test" and u["account"]["id"] == acc["id"]
    assert "password" not in r.stdout
    r = run("user", "add", "--data", d, "--email", "agent@support.test", "--role", "agent")
    assert r.returncode == 0, r.stderr
    r = run("token", "create", "--data", d, "--user", "alice@acme.test")
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip().splitlines()[-1]
    assert token.startswith("cbk_")

    # failures: usage (2) and invalid values / conflicts (1), nothing written
    assert run("account", "add", "--data", d, "--name", "Acme", "--tier", "gold").returncode == 1
    assert run("account", "add", "--data", d, "--name", "ACME", "--tier", "standard").returncode == 1
    assert run("account", "add", "--data", d, "--tier", "standard").returncode == 2
    assert run("account", "add", "--data", d, "--name", "x", "--tier", "standard",
               "--colour", "red").returncode == 2
    assert run("account", "remove", "--data", d).returncode == 2
    assert run("account").returncode == 2
    r = run("user", "add", "--data", d, "--email", "bob@acme.test", "--role", "customer")
    assert r.returncode == 1 and "account" in r.stderr
    r = run("user", "add", "--data", d, "--email", "bob@acme.test", "--role", "agent",
            "--password-stdin", stdin="short\n")
    assert r.returncode == 1 and "password" in r.stderr
    assert run("user", "add", "--data", d, "--email", "alice@acme.test",
               "--role", "agent").returncode == 1
    assert run("token", "create", "--data", d, "--user", "ghost@x.test").returncode == 1
    assert run("token", "create", "--data", d).returncode == 2
    for cmd in (["account"], ["account", "add"], ["user", "add"], ["token", "create"], ["token"]):
        r = run(*cmd, "--help")
        assert r.returncode == 0 and r.stdout.startswith("usage: casebook"), (cmd, r)

    with s:
        me = s.get("/api/v1/users/me", token=token)
        assert me.status == 200 and me.json["email"] == "alice@acme.test"
        assert me.json["name"] == "Alice"
        assert count(s, "/api/v1/accounts") == 2 and count(s, "/api/v1/users") == 3
        rows = db_rows(s, "SELECT actor_id, action FROM audit WHERE id > 1 ORDER BY id")
        assert rows == [(None, "account.create"), (None, "user.create"), (None, "user.create"),
                        (None, "token.create")]
        h = db_rows(s, "SELECT password_hash FROM users WHERE email = 'alice@acme.test'")[0][0]
        assert h.startswith("$argon2id$")
