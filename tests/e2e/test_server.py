"""The HTTP server itself: health, metrics, request ids, errors, limits,
graceful shutdown."""
import http.client
import json
import os
import signal
import threading

from lib import Server, problem


def test_healthz_and_request_id():
    with Server() as s:
        r = s.get("/healthz", token=None)
        assert r.status == 200 and r.json == {"status": "ok"}
        assert r.header("X-Request-Id")
        r = s.get("/healthz", token=None, headers={"X-Request-Id": "abc-123"})
        assert r.header("X-Request-Id") == "abc-123"
        log = s.read_log()
    lines = [json.loads(l) for l in log.splitlines() if l.startswith("{\"ts\"")]
    ids = [l["request_id"] for l in lines]
    assert "abc-123" in ids
    entry = next(l for l in lines if l["request_id"] == "abc-123")
    assert entry["method"] == "GET" and entry["path"] == "/healthz" and entry["status"] == 200
    assert "duration_ms" in entry


def test_unknown_route_and_method():
    with Server() as s:
        problem(s.get("/api/v1/nope"), 404)
        r = s.request("DELETE", "/healthz", token=None)
        problem(r, 405)
        assert r.header("Allow") == "GET, HEAD", r.headers
        # the methods of the path, whoever asks (nothing else is revealed)
        for tok in (s.token, None):
            r = s.request("DELETE", "/api/v1/tickets/1", token=tok)
            problem(r, 405)
            assert r.header("Allow") == "GET, HEAD, PATCH", r.headers
        r = s.request("PUT", "/api/v1/tokens", token=None)
        assert r.status == 405 and r.header("Allow") == "GET, HEAD, POST", r.headers


def test_metrics_counts_requests_per_route():
    with Server() as s:
        for _ in range(3):
            s.get("/healthz", token=None)
        r = s.get("/metrics", token=None)
        assert r.status == 200
        assert r.header("Content-Type").startswith("text/plain")
        line = [l for l in r.body.splitlines()
                if l.startswith('casebook_http_requests_total{route="healthz",code="2xx"}')]
        assert line and int(line[0].split()[-1]) >= 3, r.body[:500]
        assert 'casebook_http_request_duration_seconds_bucket{route="healthz",le="+Inf"}' in r.body


def test_sigterm_exits_cleanly():
    s = Server()
    s.start()
    assert s.get("/healthz", token=None).status == 200
    rc = s.stop(signal.SIGTERM)
    assert rc == 0, s.read_log()[-2000:]
    assert '"event":"shutdown"' in s.read_log()


def test_reader_pool_under_more_clients_than_readers():
    """Requests borrow readers from a pool (here of one): more concurrent
    clients than readers all get answers, and each client reads its own
    writes at once (the request's snapshot starts after its write)."""
    import os
    os.environ["CASEBOOK_READERS"] = "1"
    try:
        s = Server().start()
    finally:
        del os.environ["CASEBOOK_READERS"]
    try:
        assert s.post("/api/v1/accounts", {"name": "acme", "tier": "business"}).status == 201
        assert s.post("/api/v1/users", {"email": "alice@acme.test", "role": "customer",
                                        "account": "acme"}).status == 201
        errors = []

        def client(n):
            try:
                for i in range(6):
                    r = s.post("/api/v1/tickets", {"subject": f"c{n} t{i}", "description": "x",
                                                   "account": "acme", "requester": "alice@acme.test"})
                    assert r.status == 201, r
                    tid = r.json["id"]
                    got = s.get(f"/api/v1/tickets/{tid}")
                    assert got.status == 200 and got.json["subject"] == f"c{n} t{i}", got
                    r = s.post(f"/api/v1/tickets/{tid}/comments", {"body": f"note {i}", "public": False})
                    assert r.status == 201, r
                    ev = s.get(f"/api/v1/tickets/{tid}/events").json["items"]
                    assert [e["data"].get("body") for e in ev if e["type"] == "comment"] == [f"note {i}"], ev
                    assert s.get("/api/v1/tickets?limit=5").status == 200
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors, errors[:3]
        assert len(s.get("/api/v1/tickets?limit=100").json["items"]) == 60
    finally:
        s.stop()


def test_rate_limits_answer_429_per_caller():
    """Token buckets: customers, staff and anonymous addresses each at their
    own rate (bursts of 5 s worth, at least 10); over it 429 problem+json
    with Retry-After, nothing run; health and static pages never limited."""
    import time
    s = Server(extra_args=["--rate-customer", "2", "--rate-anonymous", "2"]).start()
    try:
        assert s.post("/api/v1/accounts", {"name": "acme", "tier": "business"}).status == 201
        for u in ("alice@acme.test", "bob@acme.test"):
            assert s.post("/api/v1/users", {"email": u, "role": "customer", "account": "acme"}).status == 201
        alice = s.post("/api/v1/tokens", {"user": "alice@acme.test"}).json["token"]
        bob = s.post("/api/v1/tokens", {"user": "bob@acme.test"}).json["token"]
        codes = [s.get("/api/v1/tickets", token=alice).status for _ in range(12)]
        assert codes[:10] == [200] * 10 and codes[10:] == [429, 429], codes
        r = s.get("/api/v1/tickets", token=alice)
        problem(r, 429)
        assert int(r.header("Retry-After")) >= 1, r
        # a limited write runs nothing
        r = s.post("/api/v1/tickets", {"subject": "x", "description": "y"}, token=alice)
        assert r.status == 429, r
        # other callers have their own buckets; staff is unlimited by default
        assert s.get("/api/v1/tickets", token=bob).status == 200
        assert all(s.get("/api/v1/tickets").status == 200 for _ in range(30))
        assert s.get("/api/v1/tickets?limit=100").json["items"] == []
        # the bucket refills at the rate
        time.sleep(1.1)
        assert s.get("/api/v1/tickets", token=alice).status == 200
        # public routes by address; health and static pages never limited
        pub = [s.get("/status.json", token=None).status for _ in range(12)]
        assert pub[:10] == [200] * 10 and pub[-1] == 429, pub
        assert all(s.get("/healthz", token=None).status == 200 for _ in range(30))
        assert all(s.get("/portal", token=None).status == 200 for _ in range(15))
        # failed credentials spend the address's bucket too: 429, not another 401
        r = s.get("/api/v1/tickets", token="cb_not_a_token")
        assert r.status == 429, r
        shed = [l for l in s.get("/metrics").body.splitlines()
                if l.startswith('casebook_http_shed_total{reason="rate"}')]
        assert shed and float(shed[0].split()[1]) >= 6, shed
    finally:
        s.stop()


def test_trusted_proxy_forwarded_for_keys_the_anonymous_rate():
    """Behind --trusted-proxy, each forwarded client has its own public
    bucket; without it, X-Forwarded-For is not believed."""
    s = Server(extra_args=["--rate-anonymous", "2", "--trusted-proxy", "127.0.0.1"]).start()
    try:
        def status(xff):
            return s.get("/status.json", token=None, headers={"X-Forwarded-For": xff}).status
        a = [status("198.51.100.7, 10.0.0.1") for _ in range(12)]
        assert a[:10] == [200] * 10 and a[-1] == 429, a
        assert status("10.0.0.2") == 200  # another client behind the proxy
    finally:
        s.stop()
    s = Server(extra_args=["--rate-anonymous", "2"]).start()
    try:
        a = [s.get("/status.json", token=None, headers={"X-Forwarded-For": f"10.0.0.{i}"}).status
             for i in range(12)]
        assert a[:10] == [200] * 10 and a[-1] == 429, a  # one address: the socket's
    finally:
        s.stop()


def vm_hwm_kib(s):
    with open(f"/proc/{s.proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


def raw_upload(s, path, size, headers, chunk=1 << 20, fill=b"x", tail=b""):
    """Sends a request whose body is `size` bytes (fill repeated, then tail)
    from a thread, and returns (status, headers, body) of the answer, which
    may come before the body has been sent."""
    import socket
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=120)
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    sock.sendall(head.encode())

    def send():
        block = (fill * (chunk // len(fill) + 1))[:chunk]
        left = size - len(tail)
        try:
            while left > 0:
                n = min(left, chunk)
                sock.sendall(block[:n])
                left -= n
            sock.sendall(tail)
        except OSError:
            pass  # the server answered and closed: the rest is not wanted

    t = threading.Thread(target=send)
    t.start()
    f = sock.makefile("rb")
    status = int(f.readline().split()[1])
    hdrs = {}
    while True:
        line = f.readline().decode().strip()
        if not line:
            break
        k, v = line.split(":", 1)
        hdrs[k.strip().lower()] = v.strip()
    body = f.read(int(hdrs.get("content-length", "0")))
    t.join()
    f.close()
    sock.close()
    return status, hdrs, body


def test_bodies_are_read_only_for_callers_allowed_to_send_them():
    """Credentials and role are checked from the headers: an anonymous or
    unauthorised 200 MB import is refused without its body being read, so
    the server's memory does not grow; an admin's import is spooled to disk
    and read a batch at a time, not held in memory."""
    with Server() as s:
        agent = s.post("/api/v1/users", {"email": "ag@support.test", "role": "agent"}).json["id"]
        atok = s.post("/api/v1/tokens", {"user": agent}).json["token"]
        before = vm_hwm_kib(s)
        big = 200 << 20
        st, h, body = raw_upload(s, "/api/v1/import/tickets", big,
                                 {"Content-Type": "application/x-ndjson"})
        assert st == 401, (st, body)
        grown = vm_hwm_kib(s) - before
        assert grown < 64 << 10, f"VmHWM grew by {grown} KiB"
        assert h.get("connection") == "close", h  # the body was never read
        st, h, body = raw_upload(s, "/api/v1/import/tickets", big,
                                 {"Content-Type": "application/x-ndjson",
                                  "Authorization": f"Bearer {atok}"})
        assert st == 403, (st, body)
        grown = vm_hwm_kib(s) - before
        assert grown < 64 << 10, f"VmHWM grew by {grown} KiB"
        # a small refused body is read and dropped: the connection stays usable
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
        conn.request("POST", "/api/v1/import/tickets", body=b"{}\n" * 100,
                      headers={"Content-Type": "application/x-ndjson"})
        r = conn.getresponse()
        assert r.status == 401 and r.getheader("Connection") != "close"
        r.read()
        conn.request("GET", "/healthz")
        assert conn.getresponse().status == 200
        conn.close()
        # the admin's import of 100 MB (blank lines, then one ticket) streams
        assert s.post("/api/v1/accounts", {"name": "acme", "tier": "standard"}).status == 201
        ticket = json.dumps({"subject": "after the blanks", "description": "x",
                             "account": "acme", "requester": "cu@acme.test",
                             "created_at": "2026-01-05T10:00:00Z"}).encode() + b"\n"
        before = vm_hwm_kib(s)
        st, h, body = raw_upload(s, "/api/v1/import/tickets", (100 << 20) + len(ticket),
                                 {"Content-Type": "application/x-ndjson",
                                  "Authorization": f"Bearer {s.token}"},
                                 fill=b"\n", tail=ticket)
        assert st == 200, (st, body)
        out = json.loads(body)
        assert out["imported"] == 1 and out["failed"] == 0, out
        grown = vm_hwm_kib(s) - before
        assert grown < 64 << 10, f"VmHWM grew by {grown} KiB"
        # and the spool file is gone
        assert not [n for n in os.listdir(s.dir) if n.startswith(".upload-")]


def test_strict_request_parsing():
    """The JSON media type is matched exactly (parameters allowed); a %00
    anywhere in the request target is a 400, never a shorter path."""
    with Server() as s:
        assert s.post("/api/v1/accounts", {"name": "acme", "tier": "standard"}).status == 201
        t = {"subject": "one", "description": "x", "account": "acme",
             "requester": "cu@acme.test"}
        for ct in ("application/jsonx", "application/json-patch+json", "application/json+x",
                   "text/json", "application/json,text/plain"):
            problem(s.post("/api/v1/tickets", t, content_type=ct), 415)
        assert s.get("/api/v1/tickets").json["items"] == []
        for ct in ("application/json; charset=utf-8", "Application/JSON", "application/json ;charset=UTF-8"):
            r = s.post("/api/v1/tickets", t, content_type=ct)
            assert r.status == 201, (ct, r)
        tid = r.json["id"]
        # the same rule for the import's two media types
        problem(s.post("/api/v1/import/tickets", raw="{}\n", content_type="application/x-ndjsonx"), 415)
        problem(s.request("GET", f"/api/v1/tickets/{tid}%00x"), 400)
        problem(s.request("GET", f"/api/v1/tickets/{tid}%00"), 400)
        assert s.get(f"/api/v1/tickets/{tid}").status == 200
        problem(s.request("GET", "/app/main.js%00.txt", token=None), 400)
        problem(s.request("GET", "/app/main.js?x=%00", token=None), 400)
        assert s.get("/app/main.js", token=None).status == 200
        # a file name cut short by a NUL
        problem(s.post(f"/api/v1/tickets/{tid}/attachments?filename=a.txt%00.exe", raw=b"data",
                       content_type="text/plain"), 400)
        assert s.get(f"/api/v1/tickets/{tid}/attachments").json["items"] == []


def test_validation_names_every_bad_field():
    """A body with several bad fields gets one 422 naming each of them (up
    to 16), on every create and update endpoint."""
    with Server() as s:
        assert s.post("/api/v1/accounts", {"name": "acme", "tier": "standard"}).status == 201
        assert s.post("/api/v1/users", {"email": "cu@acme.test", "role": "customer",
                                        "account": "acme"}).status == 201
        tid = s.post("/api/v1/tickets", {"subject": "ok", "requester": "cu@acme.test"}).json["id"]

        def named(r, want):
            p = problem(r, 422)
            got = {e["field"] for e in p["errors"]}
            assert got == set(want), (r.status, sorted(got), sorted(want), p)

        named(s.post("/api/v1/tickets", {"subject": 42, "priority": "P9", "tags": "x",
                                         "environment": [1], "colour": "red", "shade": 1,
                                         "created_at": "yesterday"}),
              ["subject", "priority", "tags", "environment", "colour", "shade", "created_at"])
        named(s.post("/api/v1/tickets", {"subject": "x", "account": "nope", "group": "nope",
                                         "assignee": "nobody@x.test"}),
              ["account", "group", "assignee"])
        named(s.patch(f"/api/v1/tickets/{tid}", {"subject": " ", "status": "weird", "priority": "P0",
                                                 "tags": "a", "x": 1, "environment": None}),
              ["subject", "status", "priority", "tags", "x", "environment"])
        named(s.post(f"/api/v1/tickets/{tid}/comments", {"body": "", "public": "yes", "x": 1}),
              ["body", "public", "x"])
        named(s.post("/api/v1/users", {"email": "not an email", "role": "boss", "password": "short",
                                       "x": 1}), ["email", "role", "password", "x"])
        # every create and update names each unknown field, with the bad known one
        made = {}
        for path, body in (("/api/v1/groups", {"name": "tier1"}),
                           ("/api/v1/views", {"name": "v1", "filters": {}}),
                           ("/api/v1/macros", {"name": "m1", "body": "hi"}),
                           ("/api/v1/articles", {"type": "kb", "title": "a1", "body": "b"}),
                           ("/api/v1/incidents", {"title": "i1", "severity": "SEV2"}),
                           ("/api/v1/components", {"name": "c1"}),
                           ("/api/v1/defects", {"tracker": "jira", "key": "ENG-1", "title": "d1"}),
                           ("/api/v1/problems", {"title": "p1"})):
            r = s.post(path, body)
            made[path] = r.json["id"] if r.status == 201 else None
        targets = [("POST", p) for p in ("/api/v1/accounts", "/api/v1/users", "/api/v1/groups",
                                         "/api/v1/views", "/api/v1/calendars", "/api/v1/sla-policies",
                                         "/api/v1/articles", "/api/v1/macros", "/api/v1/incidents",
                                         "/api/v1/components", "/api/v1/defects", "/api/v1/problems",
                                         "/api/v1/tokens", "/api/v1/tickets",
                                         f"/api/v1/tickets/{tid}/comments")]
        assert all(made.values()), made
        targets += [("PATCH", f"{p}/{i}") for p, i in made.items()]
        targets += [("PATCH", "/api/v1/accounts/2"), ("PATCH", f"/api/v1/tickets/{tid}")]
        # a known field of the wrong type too
        bad_known = {"accounts": "name", "users": "email", "groups": "name", "views": "name",
                     "calendars": "name", "sla-policies": "name", "articles": "title",
                     "macros": "name", "incidents": "title", "components": "name",
                     "defects": "title", "problems": "title", "tokens": "name",
                     "tickets": "subject", "comments": "body"}
        failures = []
        for method, path in targets:
            noun = path.split("/")[3] if "comments" not in path else "comments"
            known = bad_known[noun]
            r = s.request(method, path, body={"zz_one": 1, "zz_two": 2, known: 42})
            got = {e["field"] for e in r.json.get("errors", [])} if r.status == 422 else None
            if not got or not {"zz_one", "zz_two", known} <= got:
                failures.append((method, path, r.status, got))
        assert not failures, failures
