"""A minimal IMAP4rev1 server for tests: one mailbox (INBOX) of messages
with UIDs and a \\Seen flag, one user. It answers what a client polling for
unseen mail needs (CAPABILITY, LOGIN, SELECT/EXAMINE, UID SEARCH UNSEEN,
UID FETCH n BODY[] / BODY.PEEK[], UID STORE n +/-FLAGS (\\Seen), NOOP,
LOGOUT) and records every command it received."""
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
                    peek = "PEEK" in sub[2].upper() if len(sub) > 2 else False
                    with box.lock:
                        ms = [(i, m) for i, m in enumerate(box.messages) if m["uid"] == uid]
                        if ms and not peek:
                            ms[0][1]["seen"] = True
                    if ms:
                        i, m = ms[0]
                        data = m["data"]
                        w.write(f"* {i + 1} FETCH (UID {uid} BODY[] {{{len(data)}}}\r\n".encode())
                        w.write(data + b")\r\n")
                    w.write(f"{tag} OK fetch done\r\n".encode())
                elif kind == "STORE":
                    uid = int(sub[1])
                    op = sub[2].upper() if len(sub) > 2 else ""
                    with box.lock:
                        for m in box.messages:
                            if m["uid"] == uid and "\\SEEN" in op:
                                m["seen"] = op.startswith("+")
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

    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def add(self, data):
        with self.lock:
            self.messages.append({"uid": self.next_uid, "data": data, "seen": False})
            self.next_uid += 1
            return self.next_uid - 1

    def url(self):
        return f"imap://127.0.0.1:{self.port}/INBOX"
