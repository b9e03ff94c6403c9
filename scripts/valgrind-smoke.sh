#!/bin/sh
# valgrind-smoke.sh - an end-to-end smoke of a casebook binary under valgrind
# memcheck (make check-valgrind builds build/vg/casebook: -O0 -g, no
# sanitizers, CB_ARENA_DEBUG so every arena allocation is its own malloc).
#
# Runs under memcheck: init; serve with requests of every kind (accounts,
# users, tokens, groups, tickets create/get/list/patch/comment/events,
# calendars with an iCalendar feed, SLA policies, queues, SLA history,
# import, export, metrics, error answers), then SIGTERM; then the CLI:
# check, export, import, sla explain, backup. Fails on any memcheck error
# (invalid read/write, uninitialised value, bad free) and on any definitely
# lost block. Suppressions: scripts/valgrind.supp (third-party only, each
# one explained there).
#
# Usage: scripts/valgrind-smoke.sh [BIN]   (default build/vg/casebook)
# Logs are kept in the printed directory when something fails.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-build/vg/casebook}
case "$bin" in /*) ;; *) bin="$root/$bin" ;; esac
command -v valgrind >/dev/null 2>&1 || { echo "valgrind-smoke: valgrind is not installed" >&2; exit 1; }
exec python3 - "$bin" "$root/scripts/valgrind.supp" <<'EOF'
import glob, http.client, json, os, re, shutil, signal, subprocess, sys, tempfile, time

BIN, SUPP = sys.argv[1], sys.argv[2]
work = tempfile.mkdtemp(prefix="cb-vg-")
data = os.path.join(work, "data")
VG = ["valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
      "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite",
      "--num-callers=30", f"--suppressions={SUPP}"]
runs = []  # (name, log file)
t_start = time.time()


def vg(name, *args, **kw):
    log = os.path.join(work, f"vg-{name}.log")
    runs.append((name, log))
    return VG + [f"--log-file={log}", BIN] + list(args)


def cli(name, *args, input=None):
    r = subprocess.run(vg(name, *args), capture_output=True, text=True, input=input,
                       timeout=600)
    if r.returncode != 0:
        fail(f"casebook {' '.join(args)} exited {r.returncode}: {r.stderr[-2000:]}")
    return r.stdout


def fail(msg):
    print(f"valgrind-smoke: FAIL: {msg}", file=sys.stderr)
    for name, log in runs:
        if os.path.exists(log) and os.path.getsize(log):
            print(f"--- {log}", file=sys.stderr)
            print(open(log).read()[-6000:], file=sys.stderr)
    print(f"valgrind-smoke: logs kept in {work}", file=sys.stderr)
    sys.exit(1)


token = cli("init", "init", "--data", data).strip().splitlines()[-1]
serve_log = open(os.path.join(work, "serve.stderr"), "wb")
srv = subprocess.Popen(vg("serve", "serve", "--data", data, "--listen", "127.0.0.1:0",
                          "--quiet"), stdout=subprocess.PIPE, stderr=serve_log)
line = srv.stdout.readline().decode()
if not line.startswith("listening on http://"):
    fail(f"server did not start: {line!r}")
port = int(line.strip().rsplit(":", 1)[1])
n_requests = 0


def req(method, path, body=None, status=None, raw=None, ctype="application/json", tok=None):
    global n_requests
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    h = {"Authorization": f"Bearer {tok or token}"}
    data_ = raw.encode() if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if data_ is not None:
        h["Content-Type"] = ctype
    c.request(method, path, body=data_, headers=h)
    r = c.getresponse()
    b = r.read().decode()
    c.close()
    n_requests += 1
    if status is not None and r.status != status:
        srv.kill()
        fail(f"{method} {path}: expected {status}, got {r.status}: {b[:500]}")
    ct = r.getheader("Content-Type", "")
    return json.loads(b) if b and re.match(r"application/(problem\+)?json", ct) else b


try:
    req("GET", "/healthz", status=200)
    acct = req("POST", "/api/v1/accounts", {"name": "acme", "tier": "enterprise",
                                             "domains": ["acme.test"]}, status=201)
    req("PATCH", f"/api/v1/accounts/{acct['id']}", {"tier": "business"}, status=200)
    req("GET", "/api/v1/accounts", status=200)
    u = req("POST", "/api/v1/users", {"email": "alice@acme.test", "role": "customer",
                                       "name": "Alice", "account": "acme"}, status=201)
    req("POST", "/api/v1/users", {"email": "agent@support.test", "role": "agent",
                                   "name": "Agent"}, status=201)
    alice = req("POST", "/api/v1/tokens", {"user": "alice@acme.test"}, status=201)["token"]
    req("GET", "/api/v1/users/me", status=200, tok=alice)
    req("GET", f"/api/v1/users/{u['id']}", status=200)
    req("GET", "/api/v1/users", status=200)
    g = req("POST", "/api/v1/groups", {"name": "tier2", "members": ["agent@support.test"]},
            status=201)
    req("PATCH", f"/api/v1/groups/{g['id']}", {"name": "tier-2"}, status=200)
    req("GET", "/api/v1/groups", status=200)
    cal = req("POST", "/api/v1/calendars", {
        "name": "ny", "timezone": "America/New_York",
        "hours": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": ["2026-12-25"]}, status=201)
    ics = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//casebook//vg//EN\r\n"
           "BEGIN:VEVENT\r\nUID:a@vg\r\nDTSTART;VALUE=DATE:20260704\r\nSUMMARY:x\r\nEND:VEVENT\r\n"
           "END:VCALENDAR\r\n")
    req("POST", f"/api/v1/calendars/{cal['id']}/holidays", raw=ics, ctype="text/calendar",
        status=200)
    req("GET", "/api/v1/calendars", status=200)
    pol = req("POST", "/api/v1/sla-policies", {"name": "ent", "calendar": cal["id"],
                                               "conditions": {"tier": ["business"]},
                                               "targets": {"first_response": 60,
                                                           "resolution": 480}}, status=201)
    req("PATCH", f"/api/v1/sla-policies/{pol['id']}", {"position": 3}, status=200)
    req("GET", "/api/v1/sla-policies", status=200)
    ids = []
    for i in range(6):
        t = req("POST", "/api/v1/tickets", {
            "subject": f"smoke {i}", "description": "d" * 300, "priority": f"P{1 + i % 4}",
            "tags": ["vg", f"t{i}"], "requester": "alice@acme.test",
            "environment": {"version": "1.0"}, "custom_fields": {"n": i}}, status=201)
        ids.append(t["id"])
    req("POST", "/api/v1/tickets", {"subject": "idem"}, status=201)
    tid = ids[0]
    req("GET", f"/api/v1/tickets/{tid}", status=200)
    req("PATCH", f"/api/v1/tickets/{tid}", {"assignee": "agent@support.test", "group": "tier-2",
                                            "priority": "P1", "tags": ["x"]}, status=200)
    req("POST", f"/api/v1/tickets/{tid}/comments", {"body": "public reply"}, status=201)
    req("POST", f"/api/v1/tickets/{tid}/comments", {"body": "note", "public": False}, status=201)
    req("POST", f"/api/v1/tickets/{tid}/comments", {"body": "customer"}, status=201, tok=alice)
    req("PATCH", f"/api/v1/tickets/{tid}", {"status": "pending"}, status=200)
    req("PATCH", f"/api/v1/tickets/{ids[1]}", {"status": "closed"}, status=200)
    req("POST", f"/api/v1/tickets/{ids[1]}/comments", {"body": "follow-up"}, status=201,
        tok=alice)
    req("GET", f"/api/v1/tickets/{tid}/comments", status=200)
    req("GET", f"/api/v1/tickets/{tid}/events", status=200)
    req("GET", f"/api/v1/tickets/{tid}/sla/history", status=200)
    req("GET", "/api/v1/tickets?limit=2", status=200)
    req("GET", "/api/v1/tickets?status=open,pending&priority=P1&tag=x", status=200)
    req("GET", "/api/v1/tickets", status=200, tok=alice)
    for v in ("mine", "unassigned", "at_risk", "breached", "all_open"):
        req("GET", f"/api/v1/views/{v}/tickets", status=200)
    exp = req("GET", "/api/v1/export/tickets", status=200)
    lines = [l for l in exp.splitlines() if l.strip()]
    nd = "\n".join(json.dumps(dict(json.loads(l), external_id=f"re-{i}"))
                   for i, l in enumerate(lines)) + "\n{broken\n"
    r = req("POST", "/api/v1/import/tickets", raw=nd, ctype="application/x-ndjson", status=200)
    if r["imported"] != len(lines) or r["failed"] != 1:
        srv.kill()
        fail(f"import: {r}")
    # error answers: 400, 401, 404, 405, 409, 413, 415, 422
    req("POST", "/api/v1/tickets", raw="{", status=400)
    req("GET", "/api/v1/tickets", status=401, tok="cbk_nope")
    req("GET", "/api/v1/tickets/999999", status=404)
    req("DELETE", "/api/v1/tickets", status=405)
    req("POST", "/api/v1/accounts", {"name": "acme", "tier": "standard"}, status=409)
    req("POST", "/api/v1/tickets", raw="x" * (2 << 20), status=413)
    req("POST", "/api/v1/tickets", raw="{}", ctype="text/plain", status=415)
    req("POST", "/api/v1/tickets", {"subject": ""}, status=422)
    req("GET", "/metrics", status=200)
finally:
    if srv.poll() is None:
        srv.send_signal(signal.SIGTERM)
    try:
        rc = srv.wait(timeout=300)
    except subprocess.TimeoutExpired:
        srv.kill()
        rc = srv.wait()
    serve_log.close()
if rc != 0:
    fail(f"casebook serve exited {rc} after SIGTERM")

out = cli("check", "check", "--data", data)
if "integrity ok" not in out or " 0 differ" not in out:
    fail(f"check: {out}")
dump = os.path.join(work, "export.ndjson")
cli("export", "export", "--data", data, dump)
again = os.path.join(work, "again.ndjson")
with open(dump) as f, open(again, "w") as g:
    for i, l in enumerate(x for x in f if x.strip()):
        g.write(json.dumps(dict(json.loads(l), external_id=f"cli-{i}")) + "\n")
cli("import", "import", "--data", data, again)
out = cli("check2", "check", "--data", data)
if " 0 differ" not in out:
    fail(f"check after import: {out}")
cli("explain", "sla", "explain", "--data", data, str(1))
cli("backup", "backup", "--data", data, os.path.join(work, "backup.db"))

bad = []
for name, log in runs:
    text = open(log).read() if os.path.exists(log) else ""
    if re.search(r"==\d+== \S", text):  # --quiet: memcheck prints only problems
        bad.append(name)
if bad:
    fail("memcheck reported problems in: " + ", ".join(bad))
print(f"valgrind-smoke: ok: {len(runs)} runs under memcheck, {n_requests} requests served,"
      f" 0 errors, 0 definite leaks ({time.time() - t_start:.0f}s)")
shutil.rmtree(work, ignore_errors=True)
EOF
