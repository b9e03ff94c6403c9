"""Browser sessions end to end: log in with e-mail and password (argon2id),
the HttpOnly SameSite=Lax cookie, the CSRF token every cookie-authenticated
change must carry, logging out, throttling after repeated failures, and a
customer's session seeing only what the customer's token would."""
import http.client
import json
import os
import sqlite3

from lib import Server, problem


def call(s, method, path, body=None, cookie=None, csrf=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
    h = dict(headers or {})
    if cookie:
        h["Cookie"] = cookie
    if csrf:
        h["X-CSRF-Token"] = csrf
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=h)
    r = conn.getresponse()
    out = (r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode())
    conn.close()
    return out


def login(s, email, password, headers=None):
    st, h, body = call(s, "POST", "/api/v1/session", {"email": email, "password": password},
                       headers=headers)
    return st, h, json.loads(body) if body else None


def test_login_cookie_csrf_and_logout():
    with Server() as s:
        assert s.post("/api/v1/accounts", {"name": "acme", "tier": "business"}).status == 201
        r = s.post("/api/v1/users", {"email": "agent@support.test", "role": "agent",
                                     "name": "Ada Agent", "password": "correct horse"})
        assert r.status == 201, r
        st, h, body = login(s, "Agent@Support.test", "correct horse")
        assert st == 201, body
        cookie_hdr = h["set-cookie"]
        assert cookie_hdr.startswith("cb_session=") and "HttpOnly" in cookie_hdr
        assert "SameSite=Lax" in cookie_hdr and "Path=/" in cookie_hdr
        assert "Secure" not in cookie_hdr  # plain HTTP here
        assert body["user"]["email"] == "agent@support.test" and body["csrf_token"]
        cookie = cookie_hdr.split(";")[0]
        csrf = body["csrf_token"]
        # reads need only the cookie
        st, _, b = call(s, "GET", "/api/v1/tickets", cookie=cookie)
        assert st == 200, b
        st, _, b = call(s, "GET", "/api/v1/session", cookie=cookie)
        assert st == 200 and json.loads(b)["csrf_token"] == csrf
        # a change without (or with a wrong) CSRF token is refused and writes nothing
        t = {"subject": "From the console", "description": "x", "account": "acme",
             "requester": "agent@support.test"}
        for bad in (None, csrf[:-1] + ("A" if csrf[-1] != "A" else "B")):
            st, _, b = call(s, "POST", "/api/v1/tickets", t, cookie=cookie, csrf=bad)
            assert st == 403 and "X-CSRF-Token" in b, (st, b)
        assert s.get("/api/v1/tickets").json["items"] == []
        st, _, b = call(s, "POST", "/api/v1/tickets", t, cookie=cookie, csrf=csrf)
        assert st == 201, b
        assert json.loads(b)["requester"]["email"] == "agent@support.test"
        # logging out ends the session; the cookie is cleared
        st, h, _ = call(s, "DELETE", "/api/v1/session", cookie=cookie, csrf=csrf)
        assert st == 200 and "Max-Age=0" in h["set-cookie"]
        st, _, _ = call(s, "GET", "/api/v1/tickets", cookie=cookie)
        assert st == 401
        # X-Forwarded-Proto from a client that is not the trusted proxy is ignored
        st, h, _ = login(s, "agent@support.test", "correct horse",
                         headers={"X-Forwarded-Proto": "https"})
        assert st == 201 and "Secure" not in h["set-cookie"], h["set-cookie"]
        # the logins are in the audit trail
        db = sqlite3.connect(os.path.join(s.dir, "casebook.db"))
        n = db.execute("SELECT count(*) FROM audit WHERE action = 'session.login'").fetchone()[0]
        db.close()
        assert n == 2, n


def test_forwarded_proto_only_from_the_trusted_proxy():
    """Behind the --trusted-proxy address, X-Forwarded-Proto: https makes the
    session cookie Secure; the same header from any other client is ignored."""
    for proxy, secure in (("127.0.0.1", True), ("127.0.0.2", False)):
        with Server(extra_args=["--trusted-proxy", proxy]) as s:
            assert s.post("/api/v1/users", {"email": "ag@support.test", "role": "agent",
                                            "password": "correct horse"}).status == 201
            st, h, _ = login(s, "ag@support.test", "correct horse",
                             headers={"X-Forwarded-Proto": "https"})
            assert st == 201 and ("; Secure" in h["set-cookie"]) == secure, (proxy, h)
            st, h, _ = login(s, "ag@support.test", "correct horse")
            assert st == 201 and "Secure" not in h["set-cookie"]


def test_wrong_passwords_are_throttled():
    with Server() as s:
        assert s.post("/api/v1/users", {"email": "ann@support.test", "role": "agent",
                                        "password": "right password"}).status == 201
        # unknown user and wrong password: the same answer
        st1, _, b1 = login(s, "nobody@support.test", "whatever1")
        st2, _, b2 = login(s, "ann@support.test", "wrong password")
        assert st1 == st2 == 401 and b1["detail"] == b2["detail"], (b1, b2)
        for _ in range(4):
            assert login(s, "ann@support.test", "wrong password")[0] == 401
        # five failures: even the right password is refused for a while
        st, h, b = login(s, "ann@support.test", "right password")
        assert st == 429 and int(h["retry-after"]) > 0, (st, b)
        assert b["errors"][0]["field"] == "email"
        # another user is not affected
        assert s.post("/api/v1/users", {"email": "bo@support.test", "role": "agent",
                                        "password": "bo password"}).status == 201
        assert login(s, "bo@support.test", "bo password")[0] == 201
        # deactivated users cannot log in
        uid = s.post("/api/v1/users", {"email": "di@support.test", "role": "agent",
                                       "password": "di password"}).json["id"]
        assert s.patch(f"/api/v1/users/{uid}", {"active": False}).status == 200
        assert login(s, "di@support.test", "di password")[0] == 401
        # malformed bodies are 422
        problem(s.request("POST", "/api/v1/session", body={"email": "x"}), 422, "password")
        problem(s.request("POST", "/api/v1/session", body={"email": "a", "password": "b", "x": 1}), 422)


def test_login_throttle_is_per_address_with_growing_delays():
    """Failures are counted per (e-mail, address) and per address: wrong
    passwords from one address hold that address back (30 s, then doubling),
    while the right password from another address still works."""
    with Server(extra_args=["--trusted-proxy", "127.0.0.1"]) as s:
        assert s.post("/api/v1/users", {"email": "ann@support.test", "role": "agent",
                                        "password": "right password"}).status == 201
        a = {"X-Forwarded-For": "203.0.113.5"}
        b = {"X-Forwarded-For": "198.51.100.7"}
        for _ in range(5):
            assert login(s, "ann@support.test", "wrong password", headers=a)[0] == 401
        st, h, body = login(s, "ann@support.test", "right password", headers=a)
        assert st == 429, body
        first = int(h["retry-after"])
        assert 0 < first <= 30 and str(first) in body["detail"], (h, body)
        # the owner, elsewhere, is not locked out
        st, _, body = login(s, "ann@support.test", "right password", headers=b)
        assert st == 201, body
        # attempts while held back count nothing and change nothing
        assert login(s, "ann@support.test", "wrong password", headers=a)[0] == 429
        db = sqlite3.connect(os.path.join(s.dir, "casebook.db"))
        assert db.execute("SELECT count(*) FROM login_failures WHERE ip = '203.0.113.5'").fetchone()[0] == 5
        # once the wait is over one more attempt is allowed; failing it doubles the wait
        db.execute("UPDATE login_failures SET at = at - 31000")
        db.commit()
        assert login(s, "ann@support.test", "wrong password", headers=a)[0] == 401
        st, h, _ = login(s, "ann@support.test", "right password", headers=a)
        assert st == 429 and 30 < int(h["retry-after"]) <= 60, h
        # one address trying many accounts is held back as a whole
        c = {"X-Forwarded-For": "192.0.2.9"}
        for i in range(20):
            assert login(s, f"user{i}@support.test", "guess", headers=c)[0] == 401
        st, h, _ = login(s, "ann@support.test", "right password", headers=c)
        assert st == 429 and int(h["retry-after"]) > 0
        assert login(s, "ann@support.test", "right password", headers=b)[0] == 201
        db.close()


def test_customer_session_sees_only_own_account():
    with Server() as s:
        for n in ("acme", "globex"):
            assert s.post("/api/v1/accounts", {"name": n, "tier": "standard"}).status == 201
        assert s.post("/api/v1/users", {"email": "cy@acme.test", "role": "customer", "account": "acme",
                                        "password": "cy password"}).status == 201
        assert s.post("/api/v1/users", {"email": "gi@globex.test", "role": "customer",
                                        "account": "globex"}).status == 201
        other = s.post("/api/v1/tickets", {"subject": "globex only", "description": "x",
                                           "account": "globex", "requester": "gi@globex.test"}).json
        st, h, body = login(s, "cy@acme.test", "cy password")
        assert st == 201
        cookie = h["set-cookie"].split(";")[0]
        st, _, b = call(s, "GET", f"/api/v1/tickets/{other['id']}", cookie=cookie)
        assert st == 404, b
        st, _, b = call(s, "POST", "/api/v1/tickets", {"subject": "mine", "description": "help"},
                        cookie=cookie, csrf=body["csrf_token"])
        assert st == 201 and json.loads(b)["account"]["name"] == "acme", b
        st, _, b = call(s, "GET", "/api/v1/users", cookie=cookie)
        assert st == 404


def test_static_pages_revalidate_with_etags():
    """The embedded pages and assets carry a content-hash ETag and
    Cache-Control: no-cache; a matching If-None-Match gets 304 without a
    body, with the security headers still set."""
    with Server() as s:
        for path in ("/portal", "/app/app.css", "/app/console.js"):
            st, h, body = call(s, "GET", path)
            assert st == 200 and body, (path, st)
            tag = h["etag"]
            assert tag.startswith('"') and tag.endswith('"') and len(tag) > 10, tag
            assert h["cache-control"] == "no-cache"
            st2, h2, body2 = call(s, "GET", path, headers={"If-None-Match": tag})
            assert st2 == 304 and body2 == "" and h2["etag"] == tag, (path, st2, body2)
            assert "default-src 'none'" in h2["content-security-policy"]
            # a list with the tag, a weak form, "*": 304; another tag: the body
            for v in (f'"nope", {tag}', f"W/{tag}", "*"):
                assert call(s, "GET", path, headers={"If-None-Match": v})[0] == 304, v
            st3, _, body3 = call(s, "GET", path, headers={"If-None-Match": '"0000"'})
            assert st3 == 200 and body3 == body
        # every page shares the one document, so one tag
        assert call(s, "GET", "/")[1]["etag"] == call(s, "GET", "/dashboard")[1]["etag"]
        assert call(s, "GET", "/app/app.css")[1]["etag"] != call(s, "GET", "/app/api.js")[1]["etag"]


def test_password_change_ends_other_sessions_and_optionally_tokens():
    with Server() as s:
        assert s.post("/api/v1/users", {"email": "ed@support.test", "role": "agent",
                                        "password": "old password"}).status == 201
        cookies = []
        for _ in range(2):
            st, h, body = login(s, "ed@support.test", "old password")
            assert st == 201
            cookies.append((h["set-cookie"].split(";")[0], body["csrf_token"]))
        (mine, csrf), (other, _) = cookies
        tok = s.post("/api/v1/tokens", {"user": "ed@support.test", "name": "ci"}).json["token"]
        change = {"current_password": "old password", "new_password": "new password 1"}
        # every bad field is named; a wrong current password changes nothing
        st, _, b = call(s, "POST", "/api/v1/users/me/password",
                        {"current_password": "", "new_password": "short", "revoke_tokens": "yes"},
                        cookie=mine, csrf=csrf)
        fields = {e["field"] for e in json.loads(b)["errors"]}
        assert st == 422 and fields == {"current_password", "new_password", "revoke_tokens"}, b
        st, _, b = call(s, "POST", "/api/v1/users/me/password",
                        dict(change, current_password="wrong one"), cookie=mine, csrf=csrf)
        assert st == 422 and json.loads(b)["errors"][0]["field"] == "current_password", b
        assert call(s, "GET", "/api/v1/session", cookie=other)[0] == 200
        # the change: the other session ends, this one and the token go on
        st, _, b = call(s, "POST", "/api/v1/users/me/password", change, cookie=mine, csrf=csrf)
        assert st == 200 and json.loads(b) == {"sessions_ended": 1, "tokens_revoked": 0}, b
        assert call(s, "GET", "/api/v1/session", cookie=other)[0] == 401
        assert call(s, "GET", "/api/v1/session", cookie=mine)[0] == 200
        assert s.get("/api/v1/users/me", token=tok).status == 200
        assert login(s, "ed@support.test", "old password")[0] == 401
        assert login(s, "ed@support.test", "new password 1")[0] == 201
        # asked to, it revokes the API tokens too
        st, _, b = call(s, "POST", "/api/v1/users/me/password",
                        {"current_password": "new password 1", "new_password": "new password 2",
                         "revoke_tokens": True}, cookie=mine, csrf=csrf)
        assert st == 200 and json.loads(b) == {"sessions_ended": 1, "tokens_revoked": 1}, b
        assert s.get("/api/v1/users/me", token=tok).status == 401
        assert call(s, "GET", "/api/v1/session", cookie=mine)[0] == 200
        # an admin setting the password ends every session of that user
        uid = s.get("/api/v1/users/me", token=None, headers={"Cookie": mine}).json["id"]
        assert s.patch(f"/api/v1/users/{uid}", {"password": "set by admin"}).status == 200
        assert call(s, "GET", "/api/v1/session", cookie=mine)[0] == 401
        db = sqlite3.connect(os.path.join(s.dir, "casebook.db"))
        acts = [r[0] for r in db.execute("SELECT action FROM audit WHERE action IN"
                                         " ('user.password', 'token.revoke') ORDER BY id")]
        db.close()
        assert acts == ["user.password", "token.revoke", "user.password"], acts


def test_tokens_are_listed_and_revoked_by_owner_and_admins():
    with Server() as s:
        assert s.post("/api/v1/accounts", {"name": "acme", "tier": "standard"}).status == 201
        ids = {}
        for email, role in (("ag@support.test", "agent"), ("en@support.test", "engineer")):
            ids[email] = s.post("/api/v1/users", {"email": email, "role": role}).json["id"]
        cu = s.post("/api/v1/users", {"email": "cu@acme.test", "role": "customer",
                                      "account": "acme"}).json["id"]
        made = {}
        for email in ("ag@support.test", "en@support.test", "cu@acme.test"):
            r = s.post("/api/v1/tokens", {"user": email, "name": f"key of {email}"}).json
            made[email] = r
        ag, en, cut = (made[e]["token"] for e in ("ag@support.test", "en@support.test", "cu@acme.test"))
        ag2 = s.post("/api/v1/tokens", {"name": "second"}, token=ag).json
        # one's own tokens only, never a secret or a hash
        r = s.get("/api/v1/tokens", token=ag)
        assert r.status == 200, r
        items = r.json["items"]
        assert [t["id"] for t in items] == [made["ag@support.test"]["id"], ag2["id"]]
        assert all(set(t) == {"id", "name", "user", "created_at"} for t in items), items
        assert ag not in r.body and ag2["token"] not in r.body and "hash" not in r.body
        assert [t["id"] for t in s.get("/api/v1/tokens", token=cut).json["items"]] == [made["cu@acme.test"]["id"]]
        problem(s.get(f"/api/v1/tokens?user={ids['en@support.test']}", token=ag), 403, "user")
        problem(s.get("/api/v1/tokens?user=nobody@x.test", token=ag), 403, "user")
        assert s.get("/api/v1/tokens?user=ag@support.test", token=ag).status == 200
        # admins: everyone's, or one user's
        every = s.get("/api/v1/tokens").json["items"]
        assert {t["user"]["id"] for t in every} >= {ids["ag@support.test"], ids["en@support.test"], cu}
        one = s.get(f"/api/v1/tokens?user={ids['en@support.test']}").json["items"]
        assert [t["id"] for t in one] == [made["en@support.test"]["id"]]
        problem(s.get("/api/v1/tokens?user=nobody@x.test"), 422, "user")
        problem(s.get("/api/v1/tokens?colour=red"), 400, "colour")
        # revoking: someone else's token is a 404, one's own works
        problem(s.request("DELETE", f"/api/v1/tokens/{made['en@support.test']['id']}", token=ag), 404)
        problem(s.request("DELETE", f"/api/v1/tokens/{made['ag@support.test']['id']}", token=cut), 404)
        assert s.get("/api/v1/users/me", token=en).status == 200
        r = s.request("DELETE", f"/api/v1/tokens/{ag2['id']}", token=ag)
        assert r.status == 200 and r.json["id"] == ag2["id"] and r.json["revoked_at"], r
        assert s.get("/api/v1/users/me", token=ag2["token"]).status == 401
        problem(s.request("DELETE", f"/api/v1/tokens/{ag2['id']}", token=ag), 404)
        # an admin revokes anyone's
        assert s.request("DELETE", f"/api/v1/tokens/{made['cu@acme.test']['id']}").status == 200
        assert s.get("/api/v1/users/me", token=cut).status == 401
        problem(s.request("DELETE", "/api/v1/tokens/999999"), 404)
        assert [t["id"] for t in s.get("/api/v1/tokens", token=ag).json["items"]] == [made["ag@support.test"]["id"]]
        db = sqlite3.connect(os.path.join(s.dir, "casebook.db"))
        n = db.execute("SELECT count(*) FROM audit WHERE action = 'token.revoke'").fetchone()[0]
        db.close()
        assert n == 2, n
