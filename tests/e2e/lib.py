"""End-to-end test helpers: start the real casebook binary on a free
loopback port with a fresh data directory and talk to it over HTTP with
http.client (a real client, one connection per call)."""
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

BIN = os.environ.get("CASEBOOK_BIN", "build/asan/casebook")


def concurrent(fn):
    """Marks a test as one of the concurrent tests (many clients, background
    threads) that `make check-tsan` also runs against the ThreadSanitizer
    build (tests/run.py --tsan)."""
    fn.concurrent = True
    return fn


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def json(self):
        return json.loads(self.body) if self.body else None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


class Server:
    """A running casebook instance. Use as a context manager."""

    def __init__(self, data_dir=None, extra_args=(), init=True):
        self.own_dir = data_dir is None
        self.dir = data_dir or tempfile.mkdtemp(prefix="cb-e2e-")
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        self.token = None
        self.log_path = os.path.join(self.dir, "server.log")
        if init and not os.path.exists(os.path.join(self.dir, "casebook.db")):
            out = subprocess.run([BIN, "init", "--data", self.dir],
                                 capture_output=True, text=True, timeout=60)
            assert out.returncode == 0, out.stderr
            self.token = out.stdout.strip().splitlines()[-1]

    def start(self):
        self.log = open(self.log_path, "ab")
        self.log_offset = self.log.tell()  # this run's stderr starts here
        self.proc = subprocess.Popen(
            [BIN, "serve", "--data", self.dir, "--listen", "127.0.0.1:0"] + self.extra_args,
            stdout=subprocess.PIPE, stderr=self.log)
        line = self.proc.stdout.readline().decode()
        assert line.startswith("listening on http://"), f"server did not start: {line!r}"
        self.port = int(line.strip().rsplit(":", 1)[1])
        return self

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode if self.proc else 0
        if self.proc:
            self.proc.stdout.close()
            self.log.close()
            self.proc = None
            report = self.sanitizer_report()
            if report:
                raise AssertionError(f"the server's stderr has a sanitizer report:\n{report}")
        self.proc = None
        return rc

    def sanitizer_report(self):
        """The first ThreadSanitizer report this run wrote to stderr, if any
        (with halt_on_error=0 the server would go on and exit normally)."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self.log_offset)
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return None
        at = text.find("WARNING: ThreadSanitizer")
        if at < 0:
            at = text.find("ThreadSanitizer:")
        if at < 0:
            return None
        end = text.find("\n==================", at)
        n = text.count("WARNING: ThreadSanitizer")
        return f"({n} reports; the first:)\n" + text[at:(end if end > 0 else at + 8000)]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        rc = self.stop()
        if rc not in (0, None) and exc[0] is None:
            raise AssertionError(f"server exited with {rc}; log: {self.read_log()[-3000:]}")
        if self.own_dir and exc[0] is None:
            shutil.rmtree(self.dir, ignore_errors=True)

    def read_log(self):
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    # ---- HTTP ----
    def request(self, method, path, body=None, token="default", headers=None, raw=None,
                content_type="application/json"):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        h = dict(headers or {})
        if token == "default":
            token = self.token
        if token:
            h["Authorization"] = f"Bearer {token}"
        data = None
        if raw is not None:
            data = raw if isinstance(raw, bytes) else raw.encode()
        elif body is not None:
            data = json.dumps(body).encode()
        if data is not None and content_type:
            h.setdefault("Content-Type", content_type)
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        resp = Response(r.status, r.getheaders(), r.read().decode("utf-8", "replace"))
        conn.close()
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body=body, **kw)


def problem(resp, status, field=None):
    """Asserts resp is a problem+json with the given status (and field)."""
    assert resp.status == status, resp
    assert resp.header("Content-Type").startswith("application/problem+json"), resp.headers
    p = resp.json
    assert p["status"] == status and p["title"] and "detail" in p, p
    if field is not None:
        fields = [e["field"] for e in p.get("errors", [])]
        assert field in fields, f"expected error on {field!r}, got {fields}: {p}"
    return p
