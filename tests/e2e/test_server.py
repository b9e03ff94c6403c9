"""The HTTP server itself: health, metrics, request ids, errors, limits,
graceful shutdown."""
import json
import signal
import threading

from lib import Server, problem


def test_healthz_and_request_id():
    with Server() as s:
        r = s.get("/healthz", token=None)
        assert r.status == 200 and r.json == {"status": "ok"}
        assert r.header("X-Request-Id")
        r = s.get("/healthz", token=None, headers={"X-Request-Id": "abc-123"})
        assert r.header("X-Request-Id") == "abc-123"
        log = s.read_log()
    lines = [json.loads(l) for l in log.splitlines() if l.startswith("{\"ts\"")]
    ids = [l["request_id"] for l in lines]
    assert "abc-123" in ids
    entry = next(l for l in lines if l["request_id"] == "abc-123")
    assert entry["method"] == "GET" and entry["path"] == "/healthz" and entry["status"] == 200
    assert "duration_ms" in entry


def test_unknown_route_and_method():
    with Server() as s:
        problem(s.get("/api/v1/nope"), 404)
        problem(s.request("DELETE", "/healthz", token=None), 405)


def test_metrics_counts_requests_per_route():
    with Server() as s:
        for _ in range(3):
            s.get("/healthz", token=None)
        r = s.get("/metrics", token=None)
        assert r.status == 200
        assert r.header("Content-Type").startswith("text/plain")
        line = [l for l in r.body.splitlines()
                if l.startswith('casebook_http_requests_total{route="healthz",code="2xx"}')]
        assert line and int(line[0].split()[-1]) >= 3, r.body[:500]
        assert 'casebook_http_request_duration_seconds_bucket{route="healthz",le="+Inf"}' in r.body


def test_sigterm_exits_cleanly():
    s = Server()
    s.start()
    assert s.get("/healthz", token=None).status == 200
    rc = s.stop(signal.SIGTERM)
    assert rc == 0, s.read_log()[-2000:]
    assert '"event":"shutdown"' in s.read_log()
