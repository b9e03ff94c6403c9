"""A minimal SMTP server for tests: accepts every message and keeps it
(envelope and bytes). Start and stop it to simulate an outage; `port`
stays the same across restarts."""
import socket
import socketserver
import threading


class _Handler(socketserver.StreamRequestHandler):
    def handle(self):
        sink = self.server.sink
        w = self.wfile
        w.write(b"220 sink ESMTP\r\n")
        mail_from, rcpt = None, []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode("latin-1").strip()
            up = cmd.upper()
            if up.startswith("EHLO") or up.startswith("HELO"):
                w.write(b"250-sink\r\n250 8BITMIME\r\n")
            elif up.startswith("MAIL FROM:"):
                mail_from, rcpt = cmd[10:].strip(), []
                w.write(b"250 ok\r\n")
            elif up.startswith("RCPT TO:"):
                rcpt.append(cmd[8:].strip())
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
