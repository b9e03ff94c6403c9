"""Overload: with more clients than the server should take, it sheds load with
503 problem+json and Retry-After at once (never waiting), keeps answering
/healthz quickly, loses none of the writes it did acknowledge, and recovers
when the load stops.

The in-flight cap counts requests from their headers to their completion, so
a client that has sent its headers and is still sending the body holds a
slot. The test uses that to make the overload certain: with --max-inflight 4
it holds 3 slots with half-sent POSTs, and 24 clients compete for the last
one."""
import json
import re
import socket
import threading
import time

from lib import Server, concurrent

CLIENTS = 24
LOAD_SECONDS = 2.5


def shed_total(s, reason):
    m = re.search(r'^casebook_http_shed_total\{reason="%s"\} (\d+)$' % reason,
                  s.get("/metrics").body, re.M)
    assert m, "casebook_http_shed_total missing from /metrics"
    return int(m.group(1))


def gauge(s, name):
    m = re.search(r"^%s (\d+)$" % name, s.get("/metrics").body, re.M)
    assert m, f"{name} missing from /metrics"
    return int(m.group(1))


class Holder:
    """A POST whose headers are sent and whose body is held back."""

    def __init__(self, s, subject):
        self.body = json.dumps({"subject": subject}).encode()
        self.sock = socket.create_connection(("127.0.0.1", s.port), timeout=30)
        head = (f"POST /api/v1/tickets HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {s.token}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(self.body)}\r\nConnection: close\r\n\r\n").encode()
        self.sock.sendall(head + self.body[:5])

    def finish(self):
        """Sends the rest; returns (status, parsed body)."""
        self.sock.sendall(self.body[5:])
        data = b""
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            data += chunk
        self.sock.close()
        head, _, body = data.partition(b"\r\n\r\n")
        return int(head.split()[1]), json.loads(body)


def hammer(s, seconds, results, lock, stop_health=None):
    """CLIENTS threads POSTing tickets; results gets (status, resp, secs)."""
    deadline = time.time() + seconds

    def client(n):
        i = 0
        while time.time() < deadline:
            i += 1
            subject = f"load c{n} #{i}"
            t0 = time.time()
            r = s.post("/api/v1/tickets", {"subject": subject, "description": "x" * 200})
            with lock:
                results.append((subject, r, time.time() - t0))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def check_results(s, results):
    """Every answer is 201 or a well-formed 503; every 201 is stored."""
    created, shed = {}, 0
    for subject, r, secs in results:
        assert secs < 10, f"a request waited {secs:.1f}s"
        if r.status == 201:
            created[r.json["id"]] = subject
            continue
        assert r.status == 503, r
        assert r.header("Content-Type").startswith("application/problem+json"), r.headers
        assert r.header("Retry-After") == "1", r.headers
        p = r.json
        assert p["status"] == 503 and p["title"] and "overloaded" in p["detail"], p
        shed += 1
    for tid, subject in created.items():
        t = s.get(f"/api/v1/tickets/{tid}")
        assert t.status == 200 and t.json["subject"] == subject, (tid, t)
    return len(created), shed


@concurrent
def test_sheds_load_with_503_and_stays_responsive():
    with Server(extra_args=["--max-inflight", "4", "--quiet"]) as s:
        holders = [Holder(s, f"held {i}") for i in range(3)]
        for _ in range(500):  # until all three are admitted (and this /metrics)
            if gauge(s, "casebook_http_inflight") == 4:
                break
            time.sleep(0.01)
        else:
            raise AssertionError("the held requests were not admitted")

        # health probes during the overload: always 200, always quick
        probes, stop = [], threading.Event()

        def prober():
            while not stop.is_set():
                t0 = time.time()
                r = s.get("/healthz")
                probes.append((r.status, time.time() - t0))
                time.sleep(0.05)

        pt = threading.Thread(target=prober)
        pt.start()
        results, lock = [], threading.Lock()
        try:
            hammer(s, LOAD_SECONDS, results, lock)
            m = s.get("/metrics")  # never shed either
            assert m.status == 200, m
        except BaseException:
            for h in holders:  # else the server's shutdown waits for them
                h.sock.close()
            raise
        finally:
            stop.set()
            pt.join()
        # the held requests were admitted: they complete normally
        for h in holders:
            status, body = h.finish()
            assert status == 201 and body["subject"].startswith("held "), (status, body)
        created, shed = check_results(s, results)
        assert shed > 0, f"nothing was shed ({created} created)"
        assert created > 0, f"nothing got through the one free slot ({shed} shed)"
        assert probes and all(st == 200 for st, _ in probes), probes[:5]
        worst = max(d for _, d in probes)
        assert worst < 1.0, f"/healthz took {worst:.3f}s under overload"
        assert shed_total(s, "inflight") >= shed
        # recovery: with the load gone every request succeeds again
        for i in range(20):
            r = s.post("/api/v1/tickets", {"subject": f"after {i}"})
            assert r.status == 201, r
        # nothing stays counted: only the /metrics request itself (MHD may
        # report the last completion a moment after the client has its answer)
        for _ in range(100):
            if gauge(s, "casebook_http_inflight") == 1:
                break
            time.sleep(0.01)
        else:
            raise AssertionError("in-flight count did not return to zero")
        print(f"  overload: {len(results)} POSTs, {created} created, {shed} shed with 503;"
              f" /healthz worst {worst * 1000:.0f} ms over {len(probes)} probes")


@concurrent
def test_write_queue_bound_answers_503_and_writes_nothing():
    """A tiny writer queue: writes beyond it are refused with 503 (reason
    "busy") rather than queued; every acknowledged write is stored."""
    with Server(extra_args=["--max-write-queue", "1", "--quiet"]) as s:
        results, lock = [], threading.Lock()
        hammer(s, 1.5, results, lock)
        created, shed = check_results(s, results)
        assert created > 0
        assert shed_total(s, "busy") == shed
        assert shed_total(s, "inflight") == 0
        n = 0
        cursor = None
        while True:
            r = s.get("/api/v1/tickets?limit=500" + (f"&cursor={cursor}" if cursor else "")).json
            n += len(r["items"])
            cursor = r["next_cursor"]
            if not cursor:
                break
        assert n == created, f"{n} tickets stored, {created} acknowledged"
        print(f"  write queue of 1: {len(results)} POSTs, {created} created, {shed} refused")
