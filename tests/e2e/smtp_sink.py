"""A minimal SMTP server for tests: accepts every message and keeps it
(envelope and bytes). Start and stop it to simulate an outage; `port`
stays the same across restarts. Knobs: `refuse` maps a recipient address to
the reply its RCPT TO gets ("550 5.1.1 no such user"); `starttls` makes it
offer STARTTLS and answer it with that reply (it speaks no TLS: "454 ..."
lets a client go on in plain text); `auth` = (user, password) offers and
requires AUTH PLAIN/LOGIN. Every command line is kept in `commands`."""
import base64
import socket
import socketserver
import threading


class _Handler(socketserver.StreamRequestHandler):
    def handle(self):
        sink = self.server.sink
        w = self.wfile
        w.write(b"220 sink ESMTP\r\n")
        mail_from, rcpt = None, []
        authed = sink.auth is None
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode("latin-1").strip()
            up = cmd.upper()
            with sink.lock:
                sink.commands.append(cmd)
            if up.startswith("EHLO") or up.startswith("HELO"):
                ext = ["sink", "8BITMIME"]
                if sink.starttls:
                    ext.append("STARTTLS")
                if sink.auth:
                    ext.append("AUTH PLAIN LOGIN")
                w.write("".join(f"250{'-' if i < len(ext) - 1 else ' '}{e}\r\n"
                                for i, e in enumerate(ext)).encode())
            elif up == "STARTTLS" and sink.starttls:
                w.write(sink.starttls.encode() + b"\r\n")
            elif up.startswith("AUTH PLAIN") and sink.auth:
                arg = cmd[10:].strip()
                if not arg:
                    w.write(b"334 \r\n")
                    arg = self.rfile.readline().decode().strip()
                parts = base64.b64decode(arg).split(b"\0")
                authed = [p.decode() for p in parts[1:]] == list(sink.auth)
                w.write(b"235 ok\r\n" if authed else b"535 5.7.8 bad credentials\r\n")
            elif up.startswith("AUTH LOGIN") and sink.auth:
                w.write(b"334 VXNlcm5hbWU6\r\n")
                u = base64.b64decode(self.rfile.readline().strip()).decode()
                w.write(b"334 UGFzc3dvcmQ6\r\n")
                pw = base64.b64decode(self.rfile.readline().strip()).decode()
                authed = (u, pw) == tuple(sink.auth)
                w.write(b"235 ok\r\n" if authed else b"535 5.7.8 bad credentials\r\n")
            elif up.startswith("MAIL FROM:"):
                if not authed:
                    w.write(b"530 5.7.0 authentication required\r\n")
                    continue
                mail_from, rcpt = cmd[10:].strip(), []
                w.write(b"250 ok\r\n")
            elif up.startswith("RCPT TO:"):
                addr = cmd[8:].strip()
                no = sink.refuse.get(addr.strip("<>").lower())
                if no:
                    w.write(no.encode() + b"\r\n")
                    continue
                rcpt.append(addr)
                w.write(b"250 ok\r\n")
            elif up == "DATA":
                w.write(b"354 go\r\n")
                data = bytearray()
                while True:
                    l2 = self.rfile.readline()
                    if not l2 or l2 == b".\r\n":
                        break
                    if l2.startswith(b".."):
                        l2 = l2[1:]
                    data += l2
                with sink.lock:
                    sink.messages.append({"from": mail_from, "rcpt": list(rcpt), "data": bytes(data)})
                w.write(b"250 queued\r\n")
            elif up == "QUIT":
                w.write(b"221 bye\r\n")
                return
            elif up in ("RSET", "NOOP"):
                w.write(b"250 ok\r\n")
            else:
                w.write(b"502 unknown\r\n")


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class SmtpSink:
    def __init__(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.messages = []
        self.commands = []
        self.refuse = {}
        self.starttls = None
        self.auth = None
        self.lock = threading.Lock()
        self.server = None

    def start(self):
        self.server = _Server(("127.0.0.1", self.port), _Handler)
        self.server.sink = self
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def url(self):
        return f"smtp://127.0.0.1:{self.port}"
