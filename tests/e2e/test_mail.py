"""E-mail in, end to end: messages posted to /api/v1/mail/inbound (and
through `casebook mail-ingest`, as an MTA would) become tickets and
comments; replies thread by In-Reply-To/References and by the subject token
for participants only; auto-replies, bounces and duplicates change nothing;
replies to closed tickets open follow-ups; attachments and the original
message are kept and shown only to those who may see them."""
import hashlib
import os
import subprocess

from lib import BIN, Server, problem

CORPUS = os.path.join(os.path.dirname(__file__), "..", "mail", "corpus")


def token(s, user):
    r = s.post("/api/v1/tokens", {"user": user})
    assert r.status == 201, r
    return r.json["token"]


def msg(frm, subject, body, mid, to="support@casebook.test", cc=None, irt=None, refs=None,
        extra=""):
    h = [f"From: {frm}", f"To: {to}"]
    if cc:
        h.append(f"Cc: {cc}")
    h += [f"Subject: {subject}", "Date: Mon, 09 Mar 2026 10:00:00 +0000", f"Message-ID: <{mid}>"]
    if irt:
        h.append(f"In-Reply-To: <{irt}>")
    if refs:
        h.append("References: " + " ".join(f"<{r}>" for r in refs))
    if extra:
        h.append(extra)
    h.append("Content-Type: text/plain; charset=utf-8")
    return ("\r\n".join(h) + "\r\n\r\n" + body.replace("\n", "\r\n") + "\r\n").encode()


def inbound(s, raw, tok="default"):
    return s.request("POST", "/api/v1/mail/inbound", raw=raw, token=tok,
                     content_type="message/rfc822")


def comments(s, tid):
    r = s.get(f"/api/v1/tickets/{tid}/comments?limit=500")
    assert r.status == 200, r
    return r.json["items"]


def setup(s):
    assert s.post("/api/v1/accounts", {"name": "acme", "tier": "business",
                                       "domains": ["acme.test"]}).status == 201
    assert s.post("/api/v1/accounts", {"name": "globex", "tier": "standard",
                                       "domains": ["globex.test"]}).status == 201
    assert s.post("/api/v1/users", {"email": "agent1@support.test", "role": "agent"}).status == 201
    assert s.post("/api/v1/users", {"email": "gina@globex.test", "role": "customer",
                                    "account": "globex"}).status == 201
    return token(s, "agent1@support.test"), token(s, "gina@globex.test")


def test_threading_exchange_and_participants():
    with Server() as s:
        agent, gina = setup(s)
        # 1. a new message from an unknown address of acme's domain
        r = inbound(s, msg("Jane Doe <Jane@Acme.test>", "Login fails after upgrade",
                           "Users cannot log in since 3.2.\n\n-- \nJane", "m1@acme.test",
                           cc="partner@contractor.test"))
        assert r.status == 200, r
        first = r.json
        assert first["result"] == "created" and first["ticket"], first
        tid = first["ticket"]
        t = s.get(f"/api/v1/tickets/{tid}").json
        assert t["subject"] == "Login fails after upgrade"
        assert t["description"] == "Users cannot log in since 3.2.", t["description"]  # signature cut
        assert t["account"]["name"] == "acme", t["account"]
        u = s.get("/api/v1/users?role=customer&limit=500").json["items"]
        jane = [x for x in u if x["email"] == "jane@acme.test"]
        assert jane and jane[0]["name"] == "Jane Doe" and jane[0]["account"]["name"] == "acme", u
        assert t["requester"]["id"] == jane[0]["id"]

        # 2. the agent answers through the API (outgoing mail comes later)
        assert s.post(f"/api/v1/tickets/{tid}/comments", {"body": "Which version exactly?"},
                      token=agent).status == 201

        # 3. Jane replies: In-Reply-To her first message, with a quoted history
        r = inbound(s, msg("jane@acme.test", "Re: Login fails after upgrade",
                           "Version 3.2.1.\n\nOn Mon, Mar 9, 2026 at 9:00 AM Support wrote:\n> Which version?",
                           "m2@acme.test", irt="m1@acme.test", refs=["m1@acme.test"]))
        assert r.json["result"] == "appended" and r.json["ticket"] == tid, r
        assert r.json["reason"] == "references"
        # 4. the CC'd partner of another domain answers with References only
        r = inbound(s, msg("partner@contractor.test", "RE: Login fails after upgrade",
                           "We see it on our side too.", "m3@contractor.test",
                           refs=["m1@acme.test", "m2@acme.test"]))
        assert r.json["result"] == "appended" and r.json["ticket"] == tid, r
        # 5. a relay rewrote the ids: the subject token joins, for a participant
        r = inbound(s, msg("partner@contractor.test", f"Re: [#{tid}] Login fails",
                           "Any news?", "m4@relay.test"))
        assert r.json["result"] == "appended" and r.json["reason"] == "subject token", r
        # 6. ... but not for a stranger guessing the token
        r = inbound(s, msg("mallory@evil.test", f"Re: [#{tid}] Login fails",
                           "Let me in", "m5@evil.test"))
        assert r.json["result"] == "created" and r.json["ticket"] != tid, r
        stranger_ticket = r.json["ticket"]
        st = s.get(f"/api/v1/tickets/{stranger_ticket}").json
        assert st["account"]["name"] == "default", st["account"]  # unknown domain
        # the account of unknown senders is configurable (and must exist)
        problem(s.request("PUT", "/api/v1/mail/settings", body={"default_account": "nope"}), 422,
                "default_account")
        assert s.request("PUT", "/api/v1/mail/settings", body={"default_account": "globex"}).status == 200
        r = inbound(s, msg("someone@elsewhere.test", "Hi", "x", "m6@elsewhere.test"))
        assert s.get(f"/api/v1/tickets/{r.json['ticket']}").json["account"]["name"] == "globex"

        cs = comments(s, tid)
        bodies = [c["data"]["body"] for c in cs]
        assert bodies == ["Which version exactly?", "Version 3.2.1.", "We see it on our side too.",
                          "Any news?"], bodies
        assert [c["data"]["public"] for c in cs] == [True] * 4
        # Jane sees the partner's comment on her ticket (it is public)
        jt = token(s, "jane@acme.test")
        assert len(comments_as(s, tid, jt)) == 4
        # the whole mail of the ticket, in order, for staff
        ms = s.get(f"/api/v1/tickets/{tid}/mail", token=agent).json["items"]
        assert [m["message_id"] for m in ms] == ["m1@acme.test", "m2@acme.test",
                                                 "m3@contractor.test", "m4@relay.test"], ms
        # customers never read the mail log
        problem(s.get(f"/api/v1/tickets/{tid}/mail", token=jt), 404)


def comments_as(s, tid, tok):
    r = s.get(f"/api/v1/tickets/{tid}/comments?limit=500", token=tok)
    assert r.status == 200, r
    return r.json["items"]


def test_duplicates_noise_and_followups():
    with Server() as s:
        agent, _ = setup(s)
        raw = msg("bob@acme.test", "Export broken", "The export job is stuck.", "d1@acme.test")
        r1 = inbound(s, raw)
        assert r1.json["result"] == "created", r1
        tid = r1.json["ticket"]
        # the MTA delivers the same message again: same answer, nothing new
        r2 = inbound(s, raw)
        assert r2.status == 200 and r2.json["result"] == "duplicate", r2
        assert r2.json["ticket"] == tid and r2.json["message"] == r1.json["message"]
        assert comments(s, tid) == []
        n_tickets = len(s.get("/api/v1/tickets?limit=500").json["items"])

        # solve it; an out-of-office answering our mail must not reopen it
        assert s.patch(f"/api/v1/tickets/{tid}", {"status": "solved"}, token=agent).status == 200
        events_before = s.get(f"/api/v1/tickets/{tid}/events?limit=500").json["items"]
        for name, extra in (("auto", "Auto-Submitted: auto-replied"),
                            ("xar", "X-Autoreply: yes"),
                            ("bulk", "Precedence: bulk"),
                            ("rp", "Return-Path: <>")):
            r = inbound(s, msg("bob@acme.test", "Automatic reply: Export broken", "I am away.",
                               f"{name}@acme.test", irt="d1@acme.test", extra=extra))
            assert r.status == 200 and r.json["result"] == "ignored", (name, r)
            assert r.json["ticket"] is None and r.json["reason"], r
        with open(os.path.join(CORPUS, "dsn.eml"), "rb") as f:
            r = inbound(s, f.read())
        assert r.json["result"] == "ignored" and "report" in r.json["reason"], r
        t = s.get(f"/api/v1/tickets/{tid}").json
        assert t["status"] == "solved", t["status"]
        assert s.get(f"/api/v1/tickets/{tid}/events?limit=500").json["items"] == events_before
        assert len(s.get("/api/v1/tickets?limit=500").json["items"]) == n_tickets

        # a real reply to the solved ticket reopens it (normal comment rules)
        r = inbound(s, msg("bob@acme.test", "Re: Export broken", "Still stuck.", "d2@acme.test",
                           irt="d1@acme.test"))
        assert r.json["result"] == "appended", r
        assert s.get(f"/api/v1/tickets/{tid}").json["status"] == "open"
        # closed: a reply opens a linked follow-up instead
        assert s.patch(f"/api/v1/tickets/{tid}", {"status": "closed"}, token=agent).status == 200
        r = inbound(s, msg("bob@acme.test", "Re: Export broken", "It broke again.", "d3@acme.test",
                           irt="d2@acme.test"))
        assert r.json["result"] == "followup" and r.json["ticket"] != tid, r
        f = s.get(f"/api/v1/tickets/{r.json['ticket']}").json
        assert f["followup_of"] == tid or (isinstance(f["followup_of"], dict) and
                                           f["followup_of"]["id"] == tid), f
        # a later reply in that thread joins the follow-up, not the closed one
        r2 = inbound(s, msg("bob@acme.test", "Re: Export broken", "Logs attached.", "d4@acme.test",
                            irt="d3@acme.test"))
        assert r2.json["result"] == "appended" and r2.json["ticket"] == r.json["ticket"], r2


def test_attachments_raw_and_visibility():
    with Server() as s:
        agent, gina = setup(s)
        with open(os.path.join(CORPUS, "nested_multipart.eml"), "rb") as f:
            raw = f.read()
        # the sender's domain belongs to nobody: make it acme's
        raw = raw.replace(b"zoe@umbrella.test", b"zoe@acme.test")
        r = inbound(s, raw)
        assert r.status == 200 and r.json["result"] == "created", r
        tid = r.json["ticket"]
        atts = r.json["attachments"]
        assert [a["filename"] for a in atts] == ["part-1", "r\u00e9port final.pdf", "job.log"], atts
        zoe = token(s, "zoe@acme.test")
        listed = s.get(f"/api/v1/tickets/{tid}/attachments", token=zoe)
        assert listed.status == 200 and len(listed.json["items"]) == 3, listed
        pdf = [a for a in listed.json["items"] if a["content_type"] == "application/pdf"][0]
        got = s.get(f"/api/v1/attachments/{pdf['id']}", token=zoe)
        assert got.status == 200, got
        # the bytes, exactly, over a raw connection
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
        conn.request("GET", f"/api/v1/attachments/{pdf['id']}", headers={"Authorization": f"Bearer {zoe}"})
        resp = conn.getresponse()
        data = resp.read()
        cd = resp.getheader("Content-Disposition")
        conn.close()
        assert data.startswith(b"%PDF-1.4") and len(data) == pdf["size"]
        assert hashlib.sha256(data).hexdigest() == pdf["sha256"]
        assert cd.startswith("attachment;") and "filename*=UTF-8''r%C3%A9port%20final.pdf" in cd, cd
        # another account's customer: 404 on the list and on the file
        assert s.get(f"/api/v1/tickets/{tid}/attachments", token=gina).status == 404
        problem(s.get(f"/api/v1/attachments/{pdf['id']}", token=gina), 404)
        # the original message, byte for byte, for staff only
        mid = r.json["message"]
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
        conn.request("GET", f"/api/v1/mail/messages/{mid}/raw", headers={"Authorization": f"Bearer {agent}"})
        resp = conn.getresponse()
        assert resp.status == 200 and resp.getheader("Content-Type").startswith("message/rfc822")
        assert resp.read() == raw
        conn.close()
        meta = s.get(f"/api/v1/mail/messages/{mid}", token=agent).json
        assert meta["ticket"] == tid and meta["from"] == "zoe@acme.test" and meta["size"] == len(raw)
        problem(s.get(f"/api/v1/mail/messages/{mid}", token=zoe), 404)


def test_bad_input_and_rate_limit():
    with Server() as s:
        agent, gina = setup(s)
        with open(os.path.join(CORPUS, "no_from.eml"), "rb") as f:
            problem(inbound(s, f.read()), 422, "From")
        problem(s.request("POST", "/api/v1/mail/inbound", raw=b"x", content_type="text/plain"), 415)
        problem(inbound(s, b""), 422, "message")
        # customers cannot inject mail
        problem(inbound(s, msg("gina@globex.test", "hi", "hi", "g1@globex.test"), tok=gina), 404)
        # malformed headers still make a ticket (never a crash)
        with open(os.path.join(CORPUS, "malformed_headers.eml"), "rb") as f:
            r = inbound(s, f.read())
        assert r.status == 200 and r.json["result"] == "created", r
        # per-sender rate: 20 accepted per hour, then recorded and ignored
        results = [inbound(s, msg("flood@globex.test", f"n{i}", "x", f"f{i}@globex.test")).json["result"]
                   for i in range(22)]
        assert results[:20] == ["created"] * 20 and results[20:] == ["rate_limited"] * 2, results
        # nothing written by a failed request
        before = len(s.get("/api/v1/tickets?limit=500").json["items"])
        problem(s.request("POST", "/api/v1/mail/inbound", raw=b"no header block here",
                          content_type="message/rfc822"), 422)
        assert len(s.get("/api/v1/tickets?limit=500").json["items"]) == before


def test_mail_ingest_exit_codes():
    with Server() as s:
        agent, _ = setup(s)
        url = f"http://127.0.0.1:{s.port}"
        env = dict(os.environ, CASEBOOK_TOKEN=agent)

        def ingest(raw, server=url, e=env):
            return subprocess.run([BIN, "mail-ingest", "--server", server, "--timeout", "20"],
                                  input=raw, capture_output=True, env=e, timeout=60)

        p = ingest(msg("amy@acme.test", "Via the MTA", "hello", "i1@acme.test"))
        assert p.returncode == 0, p.stderr
        assert b'"created"' in p.stdout
        with open(os.path.join(CORPUS, "auto_reply.eml"), "rb") as f:
            p = ingest(f.read())
        assert p.returncode == 0 and b'"ignored"' in p.stdout, p  # accepted, never answered
        with open(os.path.join(CORPUS, "no_from.eml"), "rb") as f:
            p = ingest(f.read())
        assert p.returncode == 65, p  # unusable: the MTA bounces it
        p = ingest(msg("amy@acme.test", "x", "x", "i2@acme.test"),
                   e=dict(os.environ, CASEBOOK_TOKEN="cb_wrong"))
        assert p.returncode == 75, p  # fix the token, the MTA retries
        p = subprocess.run([BIN, "mail-ingest"], input=b"", capture_output=True, timeout=30)
        assert p.returncode == 64, p
        # no token at all: a configuration to fix, the MTA keeps the mail
        noenv = {k: v for k, v in os.environ.items() if k != "CASEBOOK_TOKEN"}
        p = ingest(msg("amy@acme.test", "x", "x", "i4@acme.test"), e=noenv)
        assert p.returncode == 75, p
        # the token from a file only its owner reads
        import tempfile
        with tempfile.NamedTemporaryFile("w", suffix=".token", delete=False) as f:
            f.write(agent + "\n")
        os.chmod(f.name, 0o600)
        p = subprocess.run([BIN, "mail-ingest", "--server", url, "--token-file", f.name],
                           input=msg("amy@acme.test", "From a token file", "x", "i5@acme.test"),
                           capture_output=True, env=noenv, timeout=60)
        assert p.returncode == 0 and b'"created"' in p.stdout, p
        p = subprocess.run([BIN, "mail-ingest", "--server", url, "--token-file", f.name + ".gone"],
                           input=msg("amy@acme.test", "x", "x", "i6@acme.test"),
                           capture_output=True, env=noenv, timeout=60)
        assert p.returncode == 75, p
        os.unlink(f.name)
    # server gone: temporary failure, nothing lost
    p = subprocess.run([BIN, "mail-ingest", "--server", url, "--token", "x", "--timeout", "5"],
                       input=msg("amy@acme.test", "x", "x", "i3@acme.test"),
                       capture_output=True, timeout=60)
    assert p.returncode == 75, p


def test_strangers_never_join_by_token_or_references():
    """Two unrelated senders from domains no account owns both land in the
    default account: neither may write into (nor get the mail of) the
    other's ticket by its [#N] token or by naming its Message-ID. The
    requester, people already on the ticket and staff still thread."""
    with Server() as s:
        agent, gina = setup(s)
        r = inbound(s, msg("Alice <alice@one.test>", "My laptop", "It overheats.", "a1@one.test"))
        assert r.json["result"] == "created", r
        tid = r.json["ticket"]
        assert s.get(f"/api/v1/tickets/{tid}").json["account"]["name"] == "default"
        r = inbound(s, msg("bob@two.test", "Something else", "Hello.", "b1@two.test"))
        bob_first = r.json["ticket"]
        assert s.get(f"/api/v1/tickets/{bob_first}").json["account"]["name"] == "default"
        # Bob guesses Alice's token: a new ticket of his own, not a comment
        r = inbound(s, msg("bob@two.test", f"Re: [#{tid}] My laptop", "Let me in.", "b2@two.test"))
        assert r.json["result"] == "created" and r.json["ticket"] not in (tid, bob_first), r
        # ... or names her message in In-Reply-To / References
        r = inbound(s, msg("bob@two.test", "Re: My laptop", "Me too.", "b3@two.test",
                           irt="a1@one.test", refs=["a1@one.test"]))
        assert r.json["result"] == "created" and r.json["ticket"] != tid, r
        # a customer of another account naming a message of this ticket
        r = inbound(s, msg("gina@globex.test", "Re: My laptop", "Hi", "g9@globex.test",
                           irt="a1@one.test"))
        assert r.json["result"] == "created" and r.json["ticket"] != tid, r
        assert comments(s, tid) == []
        # Bob never became a participant: an agent's reply is not mailed to him
        ms = s.get(f"/api/v1/tickets/{tid}/mail", token=agent).json["items"]
        assert [m["message_id"] for m in ms] == ["a1@one.test"], ms
        # Alice herself threads by token and by reference; staff by token
        r = inbound(s, msg("alice@one.test", f"Re: [#{tid}] My laptop", "Still hot.", "a2@one.test"))
        assert r.json["result"] == "appended" and r.json["ticket"] == tid, r
        r = inbound(s, msg("alice@one.test", "Re: My laptop", "And loud.", "a3@one.test",
                           irt="a2@one.test"))
        assert r.json["result"] == "appended" and r.json["ticket"] == tid, r
        r = inbound(s, msg("agent1@support.test", f"Re: [#{tid}] My laptop", "Try a cooler.",
                           "s1@support.test"))
        assert r.json["result"] == "appended" and r.json["ticket"] == tid, r
        # someone Alice CC'd is on the ticket and may answer
        r = inbound(s, msg("alice@one.test", f"Re: [#{tid}] My laptop", "Adding Carl.", "a4@one.test",
                           cc="carl@three.test"))
        assert r.json["result"] == "appended", r
        r = inbound(s, msg("carl@three.test", f"Re: [#{tid}] My laptop", "Seen it.", "c1@three.test"))
        assert r.json["result"] == "appended" and r.json["ticket"] == tid, r
        assert [c["data"]["body"] for c in comments(s, tid)] == [
            "Still hot.", "And loud.", "Try a cooler.", "Adding Carl.", "Seen it."]


def test_message_without_id_delivered_twice_is_a_duplicate():
    """An MTA retries a message that has no Message-ID after a lost answer:
    its mbox "From " line and trace headers differ, the message does not."""
    with Server() as s:
        setup(s)
        body = (b"From: Amy <amy@acme.test>\r\nTo: support@casebook.test\r\n"
                b"Subject: No id here\r\nDate: Mon, 09 Mar 2026 10:00:00 +0000\r\n"
                b"Content-Type: text/plain\r\n\r\nThe printer is on fire.\r\n")
        first = (b"From amy@acme.test  Mon Mar  9 10:00:05 2026\r\n"
                 b"Received: from mx by mx.casebook.test; Mon, 9 Mar 2026 10:00:05 +0000\r\n" + body)
        again = (b"From amy@acme.test  Mon Mar  9 10:07:41 2026\r\n"
                 b"Received: from mx by mx.casebook.test; Mon, 9 Mar 2026 10:07:41 +0000\r\n" + body)
        r1 = inbound(s, first)
        assert r1.json["result"] == "created", r1
        r2 = inbound(s, again)
        assert r2.json["result"] == "duplicate" and r2.json["ticket"] == r1.json["ticket"], r2
        assert len(s.get("/api/v1/tickets?limit=500").json["items"]) == 1
        # another message without an id is not a duplicate
        r3 = inbound(s, body.replace(b"on fire", b"out of paper"))
        assert r3.json["result"] == "created", r3


def test_skipped_attachment_leaves_an_internal_note():
    """A part over the attachment limit is not stored; an internal note on
    the ticket names the file and why (customers do not see it)."""
    import base64
    with Server() as s:
        agent, _ = setup(s)
        big = base64.encodebytes(b"\0" * (25 * 1024 * 1024 + 1)).replace(b"\n", b"\r\n")
        raw = (b"From: Ivy <ivy@acme.test>\r\nTo: support@casebook.test\r\nSubject: Core dump\r\n"
               b"Message-ID: <big1@acme.test>\r\nMIME-Version: 1.0\r\n"
               b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
               b"--b1\r\nContent-Type: text/plain\r\n\r\nThe dump is attached.\r\n"
               b"--b1\r\nContent-Type: application/octet-stream\r\n"
               b"Content-Disposition: attachment; filename=\"core.dump\"\r\n"
               b"Content-Transfer-Encoding: base64\r\n\r\n" + big + b"--b1--\r\n")
        r = inbound(s, raw)
        assert r.status == 200 and r.json["result"] == "created", r
        tid = r.json["ticket"]
        assert [x["filename"] for x in r.json["skipped"]] == ["core.dump"], r.json["skipped"]
        notes = [c for c in comments(s, tid) if not c["data"]["public"]]
        assert len(notes) == 1, comments(s, tid)
        body = notes[0]["data"]["body"]
        assert "core.dump" in body and "attachment limit" in body, body
        ivy = token(s, "ivy@acme.test")
        assert comments_as(s, tid, ivy) == []
