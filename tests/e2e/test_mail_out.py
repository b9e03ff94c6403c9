"""E-mail out, end to end, against a local SMTP sink the test starts:
notifications for public replies (never internal notes), status changes
and surveys; Message-ID / In-Reply-To / References so that a three-message
exchange threads in both directions; an SMTP outage that loses nothing and
sends everything exactly once when the server returns; the signed survey
link whose GET records nothing; editable templates."""
import base64
import email
import email.policy
import re
import time
import urllib.parse

from lib import Server, problem
from smtp_sink import SmtpSink
from test_mail import inbound, msg, setup, token


def wait_for(pred, timeout=20.0):
    t0 = time.time()
    while time.time() - t0 < timeout:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out")


def parsed(m):
    return email.message_from_bytes(m["data"], policy=email.policy.default)


def configure(s, sink, **kw):
    body = {"from": "support@casebook.test", "from_name": "Casebook Support",
            "smtp_url": sink.url(), "retry_base_ms": 100,
            "base_url": f"http://127.0.0.1:{s.port}"}
    body.update(kw)
    r = s.request("PUT", "/api/v1/mail/settings", body=body)
    assert r.status == 200 and r.json["enabled"] is True, r


def ids(v):
    return [x.strip("<>") for x in (v or "").split()]


def test_exchange_threads_both_ways_and_notes_stay_internal():
    sink = SmtpSink().start()
    try:
        with Server() as s:
            agent, _ = setup(s)
            configure(s, sink)
            # 1. Jane writes in
            r = inbound(s, msg("Jane Doe <jane@acme.test>", "VPN drops every hour",
                               "It drops at :00.", "j1@acme.test", cc="lead@acme.test"))
            tid = r.json["ticket"]
            # an internal note mails nobody
            assert s.post(f"/api/v1/tickets/{tid}/comments",
                          {"body": "secret internal note", "public": False}, token=agent).status == 201
            # 2. the agent answers publicly: one mail to Jane and the CC'd lead
            assert s.post(f"/api/v1/tickets/{tid}/comments",
                          {"body": "Which client version?"}, token=agent).status == 201
            wait_for(lambda: len(sink.messages) >= 1)
            time.sleep(0.3)
            assert len(sink.messages) == 1, sink.messages
            m1 = sink.messages[0]
            e1 = parsed(m1)
            assert sorted(m1["rcpt"]) == ["<jane@acme.test>", "<lead@acme.test>"], m1["rcpt"]
            assert m1["from"] == "<support@casebook.test>"
            assert e1["Subject"] == f"Re: [#{tid}] VPN drops every hour", e1["Subject"]
            assert ids(e1["In-Reply-To"]) == ["j1@acme.test"]
            assert ids(e1["References"]) == ["j1@acme.test"]
            assert e1["Thread-Topic"] == "VPN drops every hour"
            ti1 = base64.b64decode(e1["Thread-Index"])
            assert len(ti1) == 22 and ti1[0] == 1, ti1  # header block: no replies yet
            assert "Which client version?" in e1.get_body().get_content()
            assert "secret internal note" not in m1["data"].decode("utf-8", "replace")
            our1 = ids(e1["Message-ID"])[0]
            assert our1.endswith("@casebook.test")
            # 3. Jane replies to our message: joins by In-Reply-To on our id
            r = inbound(s, msg("jane@acme.test", "Re: VPN drops every hour", "Version 5.1.",
                               "j2@acme.test", irt=our1, refs=["j1@acme.test", our1]))
            assert r.json["result"] == "appended" and r.json["ticket"] == tid, r
            # 4. the agent answers again: threads on everything before
            assert s.post(f"/api/v1/tickets/{tid}/comments", {"body": "Fixed in 5.2."},
                          token=agent).status == 201
            wait_for(lambda: len(sink.messages) >= 2)
            e2 = parsed(sink.messages[1])
            assert ids(e2["In-Reply-To"]) == ["j2@acme.test"], e2["In-Reply-To"]
            assert ids(e2["References"]) == ["j1@acme.test", our1, "j2@acme.test"], e2["References"]
            ti2 = base64.b64decode(e2["Thread-Index"])
            assert ti2[:22] == ti1 and len(ti2) == 27, ti2  # same conversation, one child block
            # Jane's own words never echo back to her
            time.sleep(0.3)
            assert len(sink.messages) == 2
            # our own notification coming back (an alias of the desk was on the
            # mail) is ignored, not a comment
            r = inbound(s, sink.messages[1]["data"])
            assert r.json["result"] == "ignored" and "this desk" in r.json["reason"], r
            assert len(s.get(f"/api/v1/tickets/{tid}/comments?limit=500").json["items"]) == 4
            out = s.get("/api/v1/mail/outbox?state=sent").json["items"]
            assert len(out) == 2 and all(o["attempts"] == 1 for o in out), out
    finally:
        sink.stop()


def test_outage_loses_nothing_and_sends_once():
    sink = SmtpSink()  # not started: the SMTP server is down
    try:
        with Server() as s:
            agent, _ = setup(s)
            configure(s, sink)
            r = inbound(s, msg("bob@acme.test", "Outage test", "hello", "o1@acme.test"))
            tid = r.json["ticket"]
            for i in range(3):
                assert s.post(f"/api/v1/tickets/{tid}/comments", {"body": f"reply {i}"},
                              token=agent).status == 201
            # retried with backoff while the server is down
            q = wait_for(lambda: [o for o in s.get("/api/v1/mail/outbox?state=queued").json["items"]
                                  if o["attempts"] >= 2] or None)
            assert q[0]["last_error"], q
            assert len(s.get("/api/v1/mail/outbox?state=queued").json["items"]) == 3
            met = s.get("/metrics", token=None).body
            assert 'casebook_mail_outbox{state="queued"} 3' in met, met[-800:]
            age = float(re.search(r"^casebook_mail_outbox_oldest_queued_seconds (\S+)$", met, re.M).group(1))
            assert age > 0
            # the server stops and starts again: the queue survives
            s.stop()
            s.start()
            sink.start()  # the SMTP server is back
            wait_for(lambda: len(s.get("/api/v1/mail/outbox?state=sent").json["items"]) == 3, 30)
            time.sleep(0.5)
            bodies = sorted(parsed(m).get_body().get_content().replace("\r", "").split("\n")[0]
                            for m in sink.messages)
            assert bodies == ["reply 0", "reply 1", "reply 2"], bodies  # each exactly once
            assert s.get("/api/v1/mail/outbox?state=queued").json["items"] == []
            met = s.get("/metrics", token=None).body
            assert 'casebook_mail_outbox{state="sent"} 3' in met, met[-800:]
            assert 'casebook_mail_outbox{state="queued"} 0' in met
            assert "casebook_mail_outbox_oldest_queued_seconds 0.000" in met
    finally:
        sink.stop()


def test_solve_sends_status_and_survey_and_get_records_nothing():
    sink = SmtpSink().start()
    try:
        with Server() as s:
            agent, gina = setup(s)
            configure(s, sink)
            r = inbound(s, msg("carol@acme.test", "Cannot export", "help", "s1@acme.test"))
            tid = r.json["ticket"]
            assert s.patch(f"/api/v1/tickets/{tid}", {"status": "solved"}, token=agent).status == 200
            wait_for(lambda: len(sink.messages) >= 2)
            kinds = sorted(parsed(m)["Subject"] for m in sink.messages)
            assert kinds == [f"[#{tid}] Cannot export (solved)", f"[#{tid}] How did we do?"], kinds
            for m in sink.messages:
                assert parsed(m)["Auto-Submitted"] == "auto-generated"
            survey = [parsed(m) for m in sink.messages if "How did we do" in parsed(m)["Subject"]][0]
            text = survey.get_body().get_content()
            link = [w for w in text.split() if "/survey/" in w][0]
            path = urllib.parse.urlparse(link).path
            # a mail scanner prefetching the link records nothing
            page = s.get(path, token=None)
            assert page.status == 200 and 'name="csat"' in page.body, page
            assert 'method="post"' in page.body
            ev = s.get(f"/api/v1/tickets/{tid}/events?limit=500").json["items"]
            assert not [e for e in ev if e["type"] in ("csat", "ces")]
            # a tampered or unknown link is a 404 page
            bad = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
            assert s.get(bad, token=None).status == 404
            # the person's POST records CSAT and CES
            r = s.request("POST", path, raw="csat=4&ces=6&comment=quick+and+kind", token=None,
                          content_type="application/x-www-form-urlencoded")
            assert r.status == 200 and "Thank you" in r.body, r
            ev = s.get(f"/api/v1/tickets/{tid}/events?limit=500").json["items"]
            cs = [e for e in ev if e["type"] == "csat"]
            ce = [e for e in ev if e["type"] == "ces"]
            assert len(cs) == 1 and cs[0]["data"]["score"] == 4, cs
            assert cs[0]["data"].get("comment") == "quick and kind", cs
            assert len(ce) == 1 and ce[0]["data"]["score"] == 6, ce
            # no rating chosen: asked again, nothing recorded
            r = s.request("POST", path, raw="comment=x", token=None,
                          content_type="application/x-www-form-urlencoded")
            assert r.status == 422
            # the answer feeds the reports
            rep = s.get("/api/v1/reports/kpis?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z").json
            assert rep["kpis"]["csat"]["count"] == 1 and rep["kpis"]["csat"]["mean"] == 4, rep["kpis"]["csat"]
            # surveys can be turned off
            configure(s, sink, surveys=0)
            r = inbound(s, msg("carol@acme.test", "Second", "x", "s2@acme.test"))
            n = len(sink.messages)
            assert s.patch(f"/api/v1/tickets/{r.json['ticket']}", {"status": "solved"},
                           token=agent).status == 200
            wait_for(lambda: len(sink.messages) == n + 1)
            time.sleep(0.3)
            assert len(sink.messages) == n + 1
    finally:
        sink.stop()


def test_templates_and_settings_validation():
    sink = SmtpSink().start()
    try:
        with Server() as s:
            agent, _ = setup(s)
            # nothing is queued while outgoing mail is off
            r = inbound(s, msg("dan@acme.test", "Off", "x", "t0@acme.test"))
            assert s.post(f"/api/v1/tickets/{r.json['ticket']}/comments", {"body": "hi"},
                          token=agent).status == 201
            assert s.get("/api/v1/mail/outbox").json["items"] == []
            problem(s.request("PUT", "/api/v1/mail/settings", body={"from": "not an address"}), 422, "from")
            problem(s.request("PUT", "/api/v1/mail/settings", body={"smtp_url": "http://x"}), 422, "smtp_url")
            problem(s.request("PUT", "/api/v1/mail/settings", body={"nope": 1}), 422, "nope")
            problem(s.request("PUT", "/api/v1/mail/settings", body={"from": "a@b.test"}, token=agent), 403)
            assert s.get("/api/v1/mail/settings").json["enabled"] is False  # nothing written
            configure(s, sink)
            tpls = {t["event"]: t for t in s.get("/api/v1/mail/templates").json["items"]}
            assert set(tpls) == {"reply", "status", "survey"} and not tpls["reply"]["custom"]
            problem(s.request("PUT", "/api/v1/mail/templates/reply",
                              body={"subject": "x {{ticket.nope}}", "body": "b"}), 422, "subject")
            problem(s.request("PUT", "/api/v1/mail/templates/nope",
                              body={"subject": "x", "body": "b"}), 404)
            r = s.request("PUT", "/api/v1/mail/templates/reply",
                          body={"subject": "[#{{ticket.id}}] Update for {{requester.name}}",
                                "body": "Hi {{requester.name}},\n\n{{comment.body}}\n\n{{agent.name}}"})
            assert r.status == 200 and r.json["custom"] is True, r
            r = inbound(s, msg("Dan Brown <dan.brown@acme.test>", "Templated", "x", "t1@acme.test"))
            tid = r.json["ticket"]
            assert s.post(f"/api/v1/tickets/{tid}/comments", {"body": "Done."}, token=agent).status == 201
            m = parsed(wait_for(lambda: sink.messages and sink.messages[-1]))
            assert m["Subject"] == f"[#{tid}] Update for Dan Brown", m["Subject"]
            assert m.get_body().get_content().replace("\r", "").startswith("Hi Dan Brown,\n\nDone.")
    finally:
        sink.stop()


def test_one_refused_recipient_does_not_fail_the_others():
    """A typo'd CC refused by the SMTP server: the others still get the mail,
    the refusal is recorded per recipient, the address is not mailed again
    and an internal note says so; a recipient refused for now (4xx) is
    retried alone."""
    sink = SmtpSink().start()
    sink.refuse = {"typo@acme.tset": "550 5.1.1 <typo@acme.tset>: no such user",
                   "lead@acme.test": "450 4.2.1 mailbox busy, try later"}
    try:
        with Server() as s:
            agent, _ = setup(s)
            configure(s, sink)
            r = inbound(s, msg("Jane <jane@acme.test>", "Scanner offline", "It is offline.",
                               "rr1@acme.test", cc="typo@acme.tset, lead@acme.test"))
            tid = r.json["ticket"]
            assert s.post(f"/api/v1/tickets/{tid}/comments", {"body": "Rebooting it."},
                          token=agent).status == 201
            m1 = wait_for(lambda: sink.messages and sink.messages[0])
            assert m1["rcpt"] == ["<jane@acme.test>"], m1["rcpt"]
            row = wait_for(lambda: [o for o in s.get("/api/v1/mail/outbox").json["items"]
                                    if o["refused"]] or None)[0]
            assert [x["address"] for x in row["refused"]] == ["typo@acme.tset"], row
            assert row["refused"][0]["reply"].startswith("550 5.1.1"), row
            assert row["state"] == "queued" and "deferred" in row["last_error"], row  # lead pending
            # the busy mailbox recovers: only it gets the message, once
            sink.refuse.pop("lead@acme.test")
            wait_for(lambda: s.get("/api/v1/mail/outbox?state=sent").json["items"])
            assert [m["rcpt"] for m in sink.messages] == [["<jane@acme.test>"], ["<lead@acme.test>"]]
            assert sink.messages[0]["data"] == sink.messages[1]["data"]
            # an internal note names the address and the server's answer
            notes = [c["data"]["body"] for c in s.get(f"/api/v1/tickets/{tid}/comments?limit=500").json["items"]
                     if not c["data"]["public"]]
            assert len(notes) == 1 and "typo@acme.tset" in notes[0] and "550 5.1.1" in notes[0], notes
            # the next reply no longer goes to the refused address
            n = len(sink.commands)
            assert s.post(f"/api/v1/tickets/{tid}/comments", {"body": "Back online."},
                          token=agent).status == 201
            wait_for(lambda: len(s.get("/api/v1/mail/outbox?state=sent").json["items"]) == 2)
            assert not [c for c in sink.commands[n:] if "typo@" in c], sink.commands[n:]
            newest = s.get("/api/v1/mail/outbox").json["items"][0]
            assert sorted(newest["to"]) == ["jane@acme.test", "lead@acme.test"], newest
            # when the address writes in, it exists after all
            inbound(s, msg("typo@acme.tset", f"Re: [#{tid}] Scanner offline", "Fixed my address.",
                           "rr2@acme.tset"))
            assert s.post(f"/api/v1/tickets/{tid}/comments", {"body": "Noted."},
                          token=agent).status == 201
            newest = wait_for(lambda: [o for o in s.get("/api/v1/mail/outbox").json["items"]
                                       if "typo@acme.tset" in o["to"]] or None)
            assert newest
    finally:
        sink.stop()


def test_bounce_of_a_notification_is_matched_and_noted():
    """A delivery status notification for one of our notifications links to
    its ticket, marks the outbox row bounced, silences the address and
    leaves an internal note; it reopens nothing and mails nobody."""
    sink = SmtpSink().start()
    try:
        with Server() as s:
            agent, _ = setup(s)
            configure(s, sink)
            r = inbound(s, msg("Jane <jane@acme.test>", "Badge reader", "It beeps.", "bn1@acme.test",
                               cc="gone@acme.test"))
            tid = r.json["ticket"]
            assert s.post(f"/api/v1/tickets/{tid}/comments", {"body": "Replacing it."},
                          token=agent).status == 201
            sent = parsed(wait_for(lambda: sink.messages and sink.messages[0]))
            ours = ids(sent["Message-ID"])[0]
            status_before = s.get(f"/api/v1/tickets/{tid}").json["status"]
            dsn = (
                "Return-Path: <>\r\nFrom: Mail Delivery System <MAILER-DAEMON@mx.acme.test>\r\n"
                "To: support@casebook.test\r\nSubject: Undelivered Mail Returned to Sender\r\n"
                "Message-ID: <dsn-77@mx.acme.test>\r\nMIME-Version: 1.0\r\n"
                "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n"
                "--b\r\nContent-Type: text/plain\r\n\r\nCould not deliver.\r\n"
                "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
                "Reporting-MTA: dns; mx.acme.test\r\n\r\n"
                "Final-Recipient: rfc822; gone@acme.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
                "Diagnostic-Code: smtp; 550 5.1.1 <gone@acme.test>: user unknown\r\n\r\n"
                "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
                f"From: support@casebook.test\r\nTo: gone@acme.test\r\nMessage-ID: <{ours}>\r\n"
                "Subject: whatever\r\n\r\n--b--\r\n").encode()
            r = inbound(s, dsn)
            assert r.status == 200 and r.json["result"] == "bounced" and r.json["ticket"] == tid, r
            assert "gone@acme.test" in r.json["reason"], r
            row = [o for o in s.get("/api/v1/mail/outbox").json["items"] if o["message_id"] == ours][0]
            assert row["state"] == "bounced", row
            assert [x["address"] for x in row["refused"]] == ["gone@acme.test"], row
            assert row["refused"][0]["reply"].startswith("5.1.1"), row
            # on the ticket: the bounce in its mail log, an internal note
            log = s.get(f"/api/v1/tickets/{tid}/mail", token=agent).json["items"]
            assert [m["result"] for m in log if m["message_id"] == "dsn-77@mx.acme.test"] == ["bounced"], log
            notes = [c["data"]["body"] for c in s.get(f"/api/v1/tickets/{tid}/comments?limit=500").json["items"]
                     if not c["data"]["public"]]
            assert len(notes) == 1 and "gone@acme.test" in notes[0] and "5.1.1" in notes[0], notes
            assert s.get(f"/api/v1/tickets/{tid}").json["status"] == status_before
            met = s.get("/metrics", token=None).body
            assert 'casebook_mail_outbox{state="bounced"} 1' in met
            # the next reply skips the dead address
            assert s.post(f"/api/v1/tickets/{tid}/comments", {"body": "Done."}, token=agent).status == 201
            wait_for(lambda: len(sink.messages) >= 2)
            assert sink.messages[1]["rcpt"] == ["<jane@acme.test>"], sink.messages[1]["rcpt"]
            # a bounce that returns none of our mail stays ignored
            r = inbound(s, dsn.replace(ours.encode(), b"someone-else@elsewhere.test")
                        .replace(b"dsn-77@", b"dsn-78@"))
            assert r.json["result"] == "ignored" and r.json["ticket"] is None, r
    finally:
        sink.stop()


def test_smtp_starttls_and_auth():
    """Outgoing mail asks for STARTTLS whenever the server offers it, logs in
    with the SMTP AUTH settings (the password is write-only and never in the
    log or an error), and with smtp_require_tls sends nothing in clear."""
    sink = SmtpSink().start()
    sink.starttls = "454 4.7.0 TLS not available due to temporary reason"
    sink.auth = ("mailer", "Pa55-w0rd!")
    try:
        with Server() as s:
            agent, _ = setup(s)
            configure(s, sink, smtp_user="mailer", smtp_password="Pa55-w0rd!")
            got = s.get("/api/v1/mail/settings").json
            assert got["smtp_password_set"] is True and got["smtp_user"] == "mailer", got
            assert "Pa55" not in s.get("/api/v1/mail/settings").body
            r = inbound(s, msg("jane@acme.test", "TLS", "x", "tls1@acme.test"))
            tid = r.json["ticket"]
            assert s.post(f"/api/v1/tickets/{tid}/comments", {"body": "Hi."}, token=agent).status == 201
            wait_for(lambda: sink.messages)
            cmds = [c.split(" ")[0].upper() for c in sink.commands]
            assert "STARTTLS" in cmds and cmds.index("STARTTLS") < cmds.index("MAIL"), sink.commands
            assert "AUTH" in cmds and cmds.index("AUTH") < cmds.index("MAIL"), sink.commands
            # TLS required: a server that cannot do it gets nothing
            r = s.request("PUT", "/api/v1/mail/settings", body={"smtp_require_tls": 1})
            assert r.status == 200 and r.json["smtp_require_tls"] == 1, r
            problem(s.request("PUT", "/api/v1/mail/settings", body={"smtp_require_tls": 2}), 422,
                    "smtp_require_tls")
            assert s.post(f"/api/v1/tickets/{tid}/comments", {"body": "Secret."},
                          token=agent).status == 201
            q = wait_for(lambda: [o for o in s.get("/api/v1/mail/outbox?state=queued").json["items"]
                                  if o["last_error"]] or None)
            assert "STARTTLS" in q[0]["last_error"] or "SSL" in q[0]["last_error"], q
            assert len(sink.messages) == 1
            # a wrong password is retried (fix it and the mail goes), never shown
            s.request("PUT", "/api/v1/mail/settings", body={"smtp_require_tls": 0,
                                                             "smtp_password": "wrong"})
            q = wait_for(lambda: [o for o in s.get("/api/v1/mail/outbox?state=queued").json["items"]
                                  if o["last_error"] and "wrong" not in o["last_error"]
                                  and o["attempts"] >= 3] or None)
            s.request("PUT", "/api/v1/mail/settings", body={"smtp_password": "Pa55-w0rd!"})
            wait_for(lambda: len(sink.messages) == 2)
            log = open(s.log_path, encoding="utf-8", errors="replace").read()
            assert "Pa55" not in log and "wrong" not in log, log[-1000:]
            import os
            import sqlite3
            db = sqlite3.connect(f"file:{os.path.join(s.dir, 'casebook.db')}?mode=ro", uri=True)
            audit = [r[0] for r in db.execute("SELECT data FROM audit WHERE action = 'mail.settings'")]
            db.close()
            assert audit and not [a for a in audit if "Pa55" in a or "wrong" in a], audit
    finally:
        sink.stop()
