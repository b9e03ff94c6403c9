"""A minimal IMAP4rev1 server for tests: one mailbox (INBOX) of messages
with UIDs and a \\Seen flag, one user. It answers what a client polling for
unseen mail needs (CAPABILITY, LOGIN, SELECT/EXAMINE, UID SEARCH UNSEEN,
UID FETCH n (RFC822.SIZE) / BODY[] (sets \\Seen) / BODY.PEEK[] (does not),
UID STORE n +/-FLAGS (\\Seen \\Flagged), NOOP, LOGOUT) and records every
command it received. Hooks for tests: on_store(uid, op) runs before a STORE
is applied; hold_fetch = uid leaves that message's body FETCH unanswered."""
import re
import socket
import socketserver
import threading


class _Handler(socketserver.StreamRequestHandler):
    def handle(self):
        box = self.server.box
        w = self.wfile
        w.write(b"* OK [CAPABILITY IMAP4rev1] sink ready\r\n")
        authed = False
        while True:
            line = self.rfile.readline()
            if not line:
                return
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            with box.lock:
                box.commands.append(text)
            parts = text.split(" ", 2)
            if len(parts) < 2:
                w.write(b"* BAD syntax\r\n")
                continue
            tag, cmd = parts[0], parts[1].upper()
            rest = parts[2] if len(parts) > 2 else ""
            if cmd == "CAPABILITY":
                w.write(b"* CAPABILITY IMAP4rev1\r\n" + f"{tag} OK done\r\n".encode())
            elif cmd == "LOGIN":
                args = re.findall(r'"((?:[^"\\]|\\.)*)"|(\S+)', rest)
                vals = [a or b for a, b in args]
                if vals == [box.user, box.password]:
                    authed = True
                    w.write(f"{tag} OK logged in\r\n".encode())
                else:
                    w.write(f"{tag} NO [AUTHENTICATIONFAILED] bad credentials\r\n".encode())
            elif not authed:
                w.write(f"{tag} NO log in first\r\n".encode())
            elif cmd in ("SELECT", "EXAMINE"):
                with box.lock:
                    n = len(box.messages)
                w.write(f"* {n} EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 7] ok\r\n"
                        f"* FLAGS (\\Seen)\r\n{tag} OK [READ-WRITE] selected\r\n".encode())
            elif cmd == "UID":
                sub = rest.split(" ", 2)
                kind = sub[0].upper()
                if kind == "SEARCH":
                    with box.lock:
                        uids = [str(m["uid"]) for m in box.messages if not m["seen"]]
                    w.write(("* SEARCH" + "".join(" " + u for u in uids) + "\r\n").encode())
                    w.write(f"{tag} OK search done\r\n".encode())
                elif kind == "FETCH":
                    uid = int(sub[1])
                    items = sub[2].upper() if len(sub) > 2 else ""
                    want_body = "BODY" in items
                    peek = "PEEK" in items
                    with box.lock:
                        ms = [(i, m) for i, m in enumerate(box.messages) if m["uid"] == uid]
                        if ms and want_body and not peek:
                            ms[0][1]["seen"] = True  # as a real server does, at once
                    if want_body and box.hold_fetch == uid:
                        box.held.set()
                        box.release.wait()  # the test kills the client meanwhile
                        return
                    if ms:
                        i, m = ms[0]
                        data = m["data"]
                        if want_body:
                            w.write(f"* {i + 1} FETCH (UID {uid} BODY[] {{{len(data)}}}\r\n".encode())
                            w.write(data + b")\r\n")
                        else:
                            size = m.get("size", len(data))
                            w.write(f"* {i + 1} FETCH (UID {uid} RFC822.SIZE {size})\r\n".encode())
                    w.write(f"{tag} OK fetch done\r\n".encode())
                elif kind == "STORE":
                    uid = int(sub[1])
                    op = sub[2].upper() if len(sub) > 2 else ""
                    if box.on_store:
                        box.on_store(uid, op)  # e.g. check what the client recorded
                    with box.lock:
                        for m in box.messages:
                            if m["uid"] == uid and "\\SEEN" in op:
                                m["seen"] = op.startswith("+")
                            if m["uid"] == uid and "\\FLAGGED" in op:
                                m["flagged"] = op.startswith("+")
                    w.write(f"{tag} OK store done\r\n".encode())
                else:
                    w.write(f"{tag} BAD unknown UID command\r\n".encode())
            elif cmd == "NOOP":
                w.write(f"{tag} OK noop\r\n".encode())
            elif cmd == "LOGOUT":
                w.write(f"* BYE bye\r\n{tag} OK logout\r\n".encode())
                return
            else:
                w.write(f"{tag} BAD unknown command\r\n".encode())


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class ImapSink:
    def __init__(self, user="support", password="s3cret"):
        self.user, self.password = user, password
        self.messages = []
        self.commands = []
        self.lock = threading.Lock()
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.box = self
        self.port = self.server.server_address[1]
        self.next_uid = 101
        self.on_store = None   # called as on_store(uid, "+FLAGS (\\SEEN)") before a STORE
        self.hold_fetch = None  # a UID whose body FETCH is never answered
        self.held = threading.Event()
        self.release = threading.Event()

    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def add(self, data, size=None):
        """A new unseen message; `size` overrides the RFC822.SIZE it reports."""
        with self.lock:
            m = {"uid": self.next_uid, "data": data, "seen": False, "flagged": False}
            if size is not None:
                m["size"] = size
            self.messages.append(m)
            self.next_uid += 1
            return self.next_uid - 1

    def url(self):
        return f"imap://127.0.0.1:{self.port}/INBOX"
