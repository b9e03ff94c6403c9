"""Mail from an MTA over LMTP (Python's smtplib.LMTP as the client) and from
an IMAP mailbox polled through libcurl (against a scripted IMAP server the
test starts): both become tickets through the same path as
/api/v1/mail/inbound, with per-recipient LMTP answers and IMAP messages
taken exactly once."""
import os
import smtplib
import socket
import time

from imap_sink import ImapSink
from lib import Server
from test_mail import CORPUS, msg, setup


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def tickets(s):
    return s.get("/api/v1/tickets?limit=500").json["items"]


def wait_for(pred, timeout=20.0):
    t0 = time.time()
    while time.time() - t0 < timeout:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError("timed out")


class RawLmtp:
    """An LMTP conversation line by line, to see every per-recipient answer
    (smtplib.LMTP reads only one answer after DATA)."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.f = self.sock.makefile("rb")
        assert self.reply()[0].startswith(b"220")
        self.cmd(b"LHLO test.local")

    def reply(self):
        lines = []
        while True:
            line = self.f.readline()
            assert line, "connection closed"
            lines.append(line.rstrip(b"\r\n"))
            if line[3:4] != b"-":
                return lines

    def cmd(self, line):
        self.sock.sendall(line + b"\r\n")
        return self.reply()

    def send(self, sender, rcpts, data):
        assert self.cmd(b"MAIL FROM:<" + sender.encode() + b">")[0].startswith(b"250")
        for r in rcpts:
            assert self.cmd(b"RCPT TO:<" + r.encode() + b">")[0].startswith(b"250")
        assert self.cmd(b"DATA")[0].startswith(b"354")
        body = b"\r\n".join((b"." + l if l.startswith(b".") else l) for l in data.split(b"\r\n"))
        self.sock.sendall(body + (b"" if body.endswith(b"\r\n") else b"\r\n") + b".\r\n")
        return [self.reply()[0] for _ in rcpts]

    def close(self):
        self.cmd(b"QUIT")
        self.sock.close()


def test_lmtp_delivery():
    port = free_port()
    with Server(extra_args=["--lmtp", f"127.0.0.1:{port}"]) as s:
        setup(s)
        c = RawLmtp(port)
        # two recipients: one ticket, one answer per recipient
        answers = c.send("jane@acme.test", ["support@casebook.test", "help@casebook.test"],
                         msg("Jane <jane@acme.test>", "Over LMTP", "Printer jam.\r\n.dot line",
                             "l1@acme.test"))
        assert len(answers) == 2 and all(a.startswith(b"250 2.0.0 created ticket ") for a in answers), answers
        ts = tickets(s)
        assert len(ts) == 1 and ts[0]["subject"] == "Over LMTP", ts
        assert ts[0]["description"].endswith(".dot line"), ts[0]["description"]  # dot-stuffing undone
        # an auto-reply is accepted (never bounced) and changes nothing
        with open(os.path.join(CORPUS, "auto_reply.eml"), "rb") as f:
            answers = c.send("bob@acme.test", ["support@casebook.test"], f.read())
        assert answers[0].startswith(b"250 2.0.0 ignored"), answers
        assert len(tickets(s)) == 1
        # an unusable message is refused permanently, for every recipient
        with open(os.path.join(CORPUS, "no_from.eml"), "rb") as f:
            answers = c.send("x@y.test", ["support@casebook.test", "help@casebook.test"], f.read())
        assert [a[:3] for a in answers] == [b"550", b"550"], answers
        # the same message again (an MTA retry): still one ticket
        answers = c.send("jane@acme.test", ["support@casebook.test"],
                         msg("Jane <jane@acme.test>", "Over LMTP", "Printer jam.", "l1@acme.test"))
        assert answers[0].startswith(b"250 2.0.0 duplicate"), answers
        assert len(tickets(s)) == 1
        # commands out of order are refused, the session goes on
        assert c.cmd(b"DATA")[0].startswith(b"503")
        c.close()
        # Python's own LMTP client, one recipient
        cl = smtplib.LMTP("127.0.0.1", port)
        cl.sendmail("kim@acme.test", ["support@casebook.test"],
                    msg("kim@acme.test", "Via smtplib", "hello", "l2@acme.test"))
        cl.quit()
        assert len(tickets(s)) == 2


def test_imap_polling_takes_each_message_once():
    box = ImapSink().start()
    try:
        with Server() as s:
            setup(s)
            box.add(msg("Ann <ann@acme.test>", "From the mailbox", "Disk full.", "i1@acme.test"))
            box.add(msg("ann@acme.test", "Second one", "Also slow.", "i2@acme.test"))
            with open(os.path.join(CORPUS, "dsn.eml"), "rb") as f:
                box.add(f.read())
            r = s.request("PUT", "/api/v1/mail/settings",
                          body={"imap_url": box.url(), "imap_user": "support",
                                "imap_password": "s3cret", "imap_interval_s": 1})
            assert r.status == 200 and r.json["imap_password_set"] is True, r
            assert "s3cret" not in r.body  # the password is never shown
            wait_for(lambda: len(tickets(s)) == 2)
            subjects = sorted(t["subject"] for t in tickets(s))
            assert subjects == ["From the mailbox", "Second one"], subjects
            # \Seen follows the commit; the bounce is taken too (ignored)
            wait_for(lambda: all(m["seen"] for m in box.messages))
            # a later message arrives; earlier ones are not fetched again
            box.add(msg("ann@acme.test", "Re: From the mailbox", "Fixed, thanks.", "i3@acme.test",
                        irt="i1@acme.test"))
            wait_for(lambda: all(m["seen"] for m in box.messages))
            time.sleep(1.5)
            assert len(tickets(s)) == 2  # the reply joined its ticket
            fetches = [c for c in box.commands if "FETCH" in c.upper() and "BODY" in c.upper()]
            assert len(fetches) == 4, fetches  # each message exactly once
            assert all("BODY.PEEK[]" in c for c in fetches), fetches
            # wrong credentials: nothing taken, the server keeps running
            box.add(msg("ann@acme.test", "Third", "x", "i4@acme.test"))
            s.request("PUT", "/api/v1/mail/settings", body={"imap_password": "wrong"})
            time.sleep(2.5)
            assert not box.messages[-1]["seen"] and len(tickets(s)) == 2
            s.request("PUT", "/api/v1/mail/settings", body={"imap_password": "s3cret"})
            wait_for(lambda: len(tickets(s)) == 3)
    finally:
        box.stop()


def test_desk_addresses_never_become_participants():
    """The desk's own addresses (mail.from, the LMTP recipient, the IMAP
    user, the configured `addresses`) on a customer's mail never become
    participants: replies go to the customer and the real CCs only."""
    from smtp_sink import SmtpSink
    from test_mail_out import configure, wait_for as wait_out
    sink = SmtpSink().start()
    port = free_port()
    try:
        with Server(extra_args=["--lmtp", f"127.0.0.1:{port}"]) as s:
            agent, _ = setup(s)
            configure(s, sink)
            r = s.request("PUT", "/api/v1/mail/settings",
                          body={"addresses": ["Help@Casebook.test"], "imap_user": "desk@casebook.test"})
            assert r.status == 200 and r.json["addresses"] == ["help@casebook.test"], r
            r = s.request("PUT", "/api/v1/mail/settings", body={"addresses": ["not an address"]})
            assert r.status == 422 and "addresses" in r.body, r
            c = RawLmtp(port)
            answers = c.send("jane@acme.test", ["inbox@casebook.test"],
                             msg("Jane <jane@acme.test>", "Desk addresses", "Hello.", "da1@acme.test",
                                 to="inbox@casebook.test",
                                 cc="help@casebook.test, desk@casebook.test, support@casebook.test, "
                                    "lead@acme.test"))
            assert answers[0].startswith(b"250 2.0.0 created"), answers
            c.close()
            tid = tickets(s)[0]["id"]
            assert s.post(f"/api/v1/tickets/{tid}/comments", {"body": "On it."},
                          token=agent).status == 201
            m = wait_out(lambda: sink.messages and sink.messages[0])
            assert sorted(m["rcpt"]) == ["<jane@acme.test>", "<lead@acme.test>"], m["rcpt"]
            # mail from any of the desk's addresses is ours coming back: ignored
            r = s.request("POST", "/api/v1/mail/inbound",
                          raw=msg("help@casebook.test", f"Re: [#{tid}] Desk addresses", "loop",
                                  "da2@casebook.test"),
                          content_type="message/rfc822")
            assert r.json["result"] == "ignored" and "this desk" in r.json["reason"], r
    finally:
        sink.stop()


def metric(s, name):
    import re
    body = s.get("/metrics", token=None).body
    m = re.search(r"^" + re.escape(name) + r" (\S+)$", body, re.M)
    assert m, (name, body[-1500:])
    return float(m.group(1))


def test_imap_records_before_seen_refuses_visibly_and_survives_a_crash():
    import signal
    box = ImapSink().start()
    try:
        with Server() as s:
            setup(s)
            # \Seen is set only once the message is recorded
            at_store = []

            def on_store(uid, op):
                if "\\SEEN" in op and "\\FLAGGED" not in op:
                    subj = [m for m in box.messages if m["uid"] == uid][0]["data"]
                    at_store.append((uid, [t["subject"] for t in tickets(s)], subj))

            box.on_store = on_store
            box.add(msg("ann@acme.test", "Recorded first", "x", "r1@acme.test"))
            # over the size limit of the pipe and LMTP (40 MiB): refused unread
            pad = "y" * 100 + "\n"
            big_uid = box.add(msg("ann@acme.test", "Huge", pad * (41 * 1024 * 1024 // len(pad)),
                                  "r2@acme.test"))
            with open(os.path.join(CORPUS, "no_from.eml"), "rb") as f:
                bad_uid = box.add(f.read())
            r = s.request("PUT", "/api/v1/mail/settings",
                          body={"imap_url": box.url(), "imap_user": "support",
                                "imap_password": "s3cret", "imap_interval_s": 1})
            assert r.status == 200, r
            wait_for(lambda: all(m["seen"] for m in box.messages))
            assert [t["subject"] for t in tickets(s)] == ["Recorded first"]
            assert len(at_store) == 1 and at_store[0][1] == ["Recorded first"], at_store
            fetch_body = [c for c in box.commands if "FETCH" in c.upper() and "BODY" in c.upper()]
            assert all("BODY.PEEK[]" in c for c in fetch_body), fetch_body
            assert not [c for c in fetch_body if f" {big_uid} " in c], fetch_body  # never downloaded
            flagged = sorted(m["uid"] for m in box.messages if m["flagged"])
            assert flagged == [big_uid, bad_uid], box.messages[0]
            assert metric(s, 'casebook_mail_inbound_refused_total{channel="imap",reason="too_large"}') == 1
            assert metric(s, 'casebook_mail_inbound_refused_total{channel="imap",reason="unusable"}') == 1
            log = open(s.log_path, encoding="utf-8", errors="replace").read()
            assert f"uid {big_uid} refused" in log and f"uid {bad_uid} refused" in log, log[-2000:]

            # a crash between fetching and recording loses nothing
            held = box.add(msg("ann@acme.test", "Survives a crash", "x", "r3@acme.test"))
            box.hold_fetch = held
            box.held.wait(30)
            s.stop(sig=signal.SIGKILL)
            assert not [m for m in box.messages if m["uid"] == held][0]["seen"]
            box.hold_fetch = None
            box.release.set()
            s.start()
            wait_for(lambda: "Survives a crash" in [t["subject"] for t in tickets(s)], 30)
            wait_for(lambda: [m for m in box.messages if m["uid"] == held][0]["seen"])
            # a mailbox it cannot read is a counted failure
            s.request("PUT", "/api/v1/mail/settings", body={"imap_password": "wrong"})
            wait_for(lambda: metric(s, 'casebook_mail_inbound_failed_total{channel="imap"}') >= 1)
    finally:
        box.stop()


def test_lmtp_refusals_are_counted():
    port = free_port()
    with Server(extra_args=["--lmtp", f"127.0.0.1:{port}"]) as s:
        setup(s)
        c = RawLmtp(port)
        with open(os.path.join(CORPUS, "no_from.eml"), "rb") as f:
            answers = c.send("x@y.test", ["support@casebook.test"], f.read())
        assert answers[0].startswith(b"550"), answers
        pad = b"z" * 100 + b"\r\n"
        answers = c.send("ann@acme.test", ["support@casebook.test"],
                         msg("ann@acme.test", "Huge", "x", "l9@acme.test") + pad * (41 * 1024 * 1024 // len(pad)))
        assert answers[0].startswith(b"552"), answers
        c.close()
        assert metric(s, 'casebook_mail_inbound_refused_total{channel="lmtp",reason="unusable"}') == 1
        assert metric(s, 'casebook_mail_inbound_refused_total{channel="lmtp",reason="too_large"}') == 1
        assert metric(s, 'casebook_mail_inbound_failed_total{channel="lmtp"}') == 0
        assert tickets(s) == []
