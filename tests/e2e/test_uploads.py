"""Files uploaded to a ticket (POST /api/v1/tickets/{id}/attachments): the
body is the file, `filename` and `event` (the uploader's own comment or the
ticket's creation) are query parameters; the bytes come back unchanged with
their SHA-256; customers upload to their own cases only and see an upload
only when its comment is public; bad input is a 422 naming the field and
stores nothing."""
import hashlib
import http.client
import os
import sqlite3

from lib import Server, problem


def token(s, user):
    r = s.post("/api/v1/tokens", {"user": user})
    assert r.status == 201, r
    return r.json["token"]


def setup(s):
    for name in ("acme", "globex"):
        assert s.post("/api/v1/accounts", {"name": name, "tier": "business"}).status == 201
    assert s.post("/api/v1/users", {"email": "ada@support.test", "role": "agent"}).status == 201
    assert s.post("/api/v1/users", {"email": "jane@acme.test", "role": "customer",
                                    "account": "acme"}).status == 201
    assert s.post("/api/v1/users", {"email": "gina@globex.test", "role": "customer",
                                    "account": "globex"}).status == 201
    return token(s, "ada@support.test"), token(s, "jane@acme.test"), token(s, "gina@globex.test")


def upload(s, tid, data, tok, filename="trace.har", event=None, ctype="application/json"):
    q = f"?filename={filename}" + (f"&event={event}" if event is not None else "")
    return s.request("POST", f"/api/v1/tickets/{tid}/attachments{q}", raw=data, token=tok,
                     content_type=ctype)


def count(s):
    db = sqlite3.connect(os.path.join(s.dir, "casebook.db"))
    n = db.execute("SELECT count(*) FROM attachments").fetchone()[0]
    db.close()
    return n


def test_customer_uploads_with_a_new_case_and_downloads_it():
    with Server() as s:
        ada, jane, gina = setup(s)
        t = s.post("/api/v1/tickets", {"subject": "Export fails", "description": "see the HAR"},
                   token=jane).json
        created = s.get(f"/api/v1/tickets/{t['id']}/events", token=jane).json["items"][0]
        assert created["type"] == "created"
        data = bytes(range(256)) * 40  # binary, with NULs
        r = upload(s, t["id"], data, jane, filename="export%20trace.bin", event=created["id"],
                   ctype="application/octet-stream")
        assert r.status == 201, r
        a = r.json
        assert a["filename"] == "export trace.bin" and a["size"] == len(data), a
        assert a["sha256"] == hashlib.sha256(data).hexdigest() and a["comment"] == created["id"]
        # listed for the customer and the agent, the bytes unchanged
        for tok in (jane, ada):
            items = s.get(f"/api/v1/tickets/{t['id']}/attachments", token=tok).json["items"]
            assert [i["id"] for i in items] == [a["id"]], items
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
        conn.request("GET", f"/api/v1/attachments/{a['id']}", headers={"Authorization": f"Bearer {jane}"})
        got = conn.getresponse()
        assert got.status == 200 and got.read() == data
        conn.close()
        # another account's customer sees nothing and cannot upload there
        problem(s.get(f"/api/v1/attachments/{a['id']}", token=gina), 404)
        problem(upload(s, t["id"], b"x", gina, event=created["id"]), 404)
        assert count(s) == 1


def test_internal_note_upload_stays_internal():
    with Server() as s:
        ada, jane, _ = setup(s)
        t = s.post("/api/v1/tickets", {"subject": "Slow", "description": "x"}, token=jane).json
        note = s.post(f"/api/v1/tickets/{t['id']}/comments", {"body": "db dump", "public": False},
                      token=ada)
        assert note.status == 201, note
        reply = s.post(f"/api/v1/tickets/{t['id']}/comments", {"body": "see log", "public": True},
                       token=ada).json
        r1 = upload(s, t["id"], b'{"internal": true}', ada, event=note.json["id"])
        r2 = upload(s, t["id"], b'{"public": true}', ada, filename="log.json", event=reply["id"])
        assert r1.status == 201 and r2.status == 201, (r1, r2)
        mine = s.get(f"/api/v1/tickets/{t['id']}/attachments", token=jane).json["items"]
        assert [i["filename"] for i in mine] == ["log.json"], mine
        problem(s.get(f"/api/v1/attachments/{r1.json['id']}", token=jane), 404)
        staff = s.get(f"/api/v1/tickets/{t['id']}/attachments", token=ada).json["items"]
        assert len(staff) == 2


def test_bad_uploads_name_the_field_and_store_nothing():
    with Server() as s:
        ada, jane, _ = setup(s)
        t = s.post("/api/v1/tickets", {"subject": "A", "description": "x"}, token=jane).json
        other = s.post("/api/v1/tickets", {"subject": "B", "description": "x"}, token=jane).json
        ev = s.get(f"/api/v1/tickets/{t['id']}/events", token=jane).json["items"][0]["id"]
        ev_other = s.get(f"/api/v1/tickets/{other['id']}/events", token=jane).json["items"][0]["id"]
        reply = s.post(f"/api/v1/tickets/{t['id']}/comments", {"body": "hi", "public": True},
                       token=ada).json
        problem(upload(s, t["id"], b"x", jane, filename="", event=ev), 422, "filename")
        problem(upload(s, t["id"], b"x", jane, filename="..%2Fetc", event=ev), 422, "filename")
        problem(upload(s, t["id"], b"x", jane, filename="a%0Ab", event=ev), 422, "filename")
        problem(upload(s, t["id"], b"x", jane, filename="x" * 256, event=ev), 422, "filename")
        problem(upload(s, t["id"], b"", jane, event=ev), 422, "body")
        problem(upload(s, t["id"], b"x", jane), 422, "event")
        problem(upload(s, t["id"], b"x", jane, event="abc"), 400, "event")
        problem(upload(s, t["id"], b"x", jane, event=ev, ctype="nonsense"), 422, "Content-Type")
        # another ticket's event, someone else's comment, a missing event
        problem(upload(s, t["id"], b"x", jane, event=ev_other), 422, "event")
        problem(upload(s, t["id"], b"x", jane, event=reply["id"]), 422, "event")
        problem(upload(s, t["id"], b"x", jane, event=999999), 422, "event")
        r = s.request("POST", f"/api/v1/tickets/{t['id']}/attachments?filename=a&event={ev}&x=1",
                      raw=b"x", token=jane, content_type="text/plain")
        problem(r, 400, "x")
        problem(upload(s, 999, b"x", ada, event=ev), 404)
        assert count(s) == 0


def form(fields, boundary="----casebookFormBoundary7MA4YWxkTrZu0gW"):
    """A multipart/form-data body as browsers and curl -F send it:
    fields are (name, value bytes, filename or None, content type or None)."""
    out = b""
    for name, value, filename, ctype in fields:
        out += f"--{boundary}\r\n".encode()
        disp = f'Content-Disposition: form-data; name="{name}"'
        if filename is not None:
            disp += f'; filename="{filename}"'
        out += disp.encode() + b"\r\n"
        if ctype:
            out += f"Content-Type: {ctype}\r\n".encode()
        out += b"\r\n" + value + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


def test_multipart_form_upload():
    with Server() as s:
        ada, jane, _ = setup(s)
        t = s.post("/api/v1/tickets", {"subject": "Logs", "description": "attached"}, token=jane).json
        created = s.get(f"/api/v1/tickets/{t['id']}/events", token=jane).json["items"][0]
        data = bytes(range(256)) * 9 + b"\r\n--not-a-boundary\r\n"  # binary, CRLFs, dashes
        body, ctype = form([("event", str(created["id"]).encode(), None, None),
                            ("file", data, "var/log/server log.gz", "application/gzip")])
        r = s.request("POST", f"/api/v1/tickets/{t['id']}/attachments", raw=body, token=jane,
                      content_type=ctype)
        assert r.status == 201, r
        a = r.json
        assert a["filename"] == "server log.gz" and a["content_type"] == "application/gzip", a
        assert a["size"] == len(data) and a["sha256"] == hashlib.sha256(data).hexdigest(), a
        assert a["comment"] == created["id"], a
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
        conn.request("GET", f"/api/v1/attachments/{a['id']}", headers={"Authorization": f"Bearer {ada}"})
        got = conn.getresponse()
        assert got.status == 200 and got.read() == data
        conn.close()
        # bad forms name the problem and store nothing
        n = count(s)
        no_file, ctype2 = form([("event", str(created["id"]).encode(), None, None)])
        problem(s.request("POST", f"/api/v1/tickets/{t['id']}/attachments", raw=no_file, token=jane,
                          content_type=ctype2), 422, "file")
        problem(s.request("POST", f"/api/v1/tickets/{t['id']}/attachments", raw=body, token=jane,
                          content_type="multipart/form-data"), 400, "Content-Type")
        bad_ev, ctype3 = form([("event", b"abc", None, None), ("file", b"x", "x.txt", "text/plain")])
        problem(s.request("POST", f"/api/v1/tickets/{t['id']}/attachments", raw=bad_ev, token=jane,
                          content_type=ctype3), 400, "event")
        many, ctype4 = form([(f"f{i}", b"x", None, None) for i in range(17)])
        problem(s.request("POST", f"/api/v1/tickets/{t['id']}/attachments", raw=many, token=jane,
                          content_type=ctype4), 400, "body")
        assert count(s) == n


def download(s, aid, tok):
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
    conn.request("GET", f"/api/v1/attachments/{aid}", headers={"Authorization": f"Bearer {tok}"})
    r = conn.getresponse()
    out = (r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    conn.close()
    return out


def test_only_raster_media_types_render_inline():
    """The inline rule compares the media type, not the header string: SVG
    with a parameter or in capitals is still a download."""
    with Server() as s:
        ada, jane, _ = setup(s)
        t = s.post("/api/v1/tickets", {"subject": "Pictures", "description": "x"}, token=jane).json
        ev = s.get(f"/api/v1/tickets/{t['id']}/events", token=jane).json["items"][0]["id"]
        svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
        cases = [("image/svg+xml; charset=utf-8", False, None), ("IMAGE/SVG+XML", False, None),
                 ("image/svg+xml", False, None), ("text/html; charset=utf-8", False, None),
                 ("image/png; name=x", True, "image/png"), ("Image/PNG", True, "image/png"),
                 ("image/jpeg", True, "image/jpeg")]
        for ctype, inline, served in cases:
            r = upload(s, t["id"], svg, jane, filename="pic", event=ev, ctype=ctype)
            assert r.status == 201, r
            status, h, _ = download(s, r.json["id"], ada)
            assert status == 200
            if inline:
                assert h["content-type"] == served and h["content-disposition"].startswith("inline;"), (ctype, h)
            else:
                assert h["content-type"] == "application/octet-stream", (ctype, h)
                assert h["content-disposition"].startswith("attachment;"), (ctype, h)
            assert h["x-content-type-options"] == "nosniff" and h["content-security-policy"] == "sandbox"


def test_file_names_with_control_or_bidi_characters_are_refused():
    with Server() as s:
        ada, jane, _ = setup(s)
        t = s.post("/api/v1/tickets", {"subject": "Names", "description": "x"}, token=jane).json
        ev = s.get(f"/api/v1/tickets/{t['id']}/events", token=jane).json["items"][0]["id"]
        # U+202E RIGHT-TO-LEFT OVERRIDE makes invoice_\u202Efdp.exe read as invoice_exe.pdf
        for name in ["invoice_%E2%80%AEfdp.exe", "a%E2%80%AAb", "a%E2%81%A6b.txt", "a%E2%81%A9b",
                     "a%E2%80%8Fb", "a%C2%85b", "a%7Fb", "a%01b", "a%09b"]:
            problem(upload(s, t["id"], b"x", jane, filename=name, event=ev), 422, "filename")
        # ordinary non-ASCII names still work
        r = upload(s, t["id"], b"x", jane, filename="r%C3%A9sum%C3%A9%20%D7%A9%D7%9C%D7%95%D7%9D.pdf", event=ev)
        assert r.status == 201 and r.json["filename"] == "r\u00e9sum\u00e9 \u05e9\u05dc\u05d5\u05dd.pdf", r
        assert count(s) == 1
