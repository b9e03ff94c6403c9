"""The command line: --help everywhere, exit codes, demo data, backup and
restore of a live instance, and graceful shutdown under write load."""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading

from lib import BIN, Server, concurrent


def run(*args, input=None):
    return subprocess.run([BIN, *args], capture_output=True, text=True, input=input, timeout=120)


def test_help_and_exit_codes():
    r = run("--help")
    assert r.returncode == 0 and "Commands:" in r.stdout
    commands = [l.split()[0] for l in r.stdout.splitlines() if l.startswith("  ")]
    for c in ["init", "serve", "backup", "restore", "check", "demo"]:
        assert c in commands, commands
    for c in commands:
        h = run(c, "--help")
        assert h.returncode == 0 and "usage: casebook" in h.stdout, (c, h.stdout, h.stderr)
    assert run().returncode == 2
    assert run("frobnicate").returncode == 2
    assert run("serve").returncode == 2            # no --data
    assert run("backup", "--data", "/nonexistent").returncode == 2  # no FILE
    d = tempfile.mkdtemp(prefix="cb-cli-")
    try:
        r = run("init", "--data", d)
        assert r.returncode == 0 and r.stdout.strip().splitlines()[-1].startswith("cbk_")
        r = run("init", "--data", d)                 # already initialized
        assert r.returncode == 1 and "already initialized" in r.stderr
    finally:
        shutil.rmtree(d)


def test_demo_data_is_varied_and_consistent():
    s = Server()
    r = run("demo", "--data", s.dir, "--tickets", "120", "--days", "30")
    assert r.returncode == 0, r.stderr
    assert "120 tickets" in r.stdout
    customer = run("token", "create", "--data", s.dir, "--user",
                   "alice@northwind.example").stdout.strip().splitlines()[-1]
    c = run("check", "--data", s.dir)
    assert c.returncode == 0 and "120 tickets checked, 0 differ" in c.stdout, c.stdout
    with s:
        statuses = {}
        for st in ["new", "open", "pending", "on_hold", "solved", "closed"]:
            statuses[st] = len(s.get(f"/api/v1/tickets?status={st}&limit=500").json["items"])
        assert sum(statuses.values()) == 120
        assert sum(1 for v in statuses.values() if v > 0) >= 5, statuses
        tiers = {t["tier"] for t in s.get("/api/v1/accounts?limit=500").json["items"]}
        assert tiers == {"enterprise", "business", "standard"}
        roles = {u["role"] for u in s.get("/api/v1/users?limit=500").json["items"]}
        assert roles == {"admin", "agent", "engineer", "customer"}
        # the engineering side: an active SEV2 on the status page, a resolved
        # SEV1 with its review (one action overdue), defects, a problem, macros
        st = s.get("/status.json", token=None).json
        assert st["overall"] == "degraded_performance", st["overall"]
        active = s.get("/api/v1/incidents?active=true").json["items"]
        assert [(i["severity"], i["status"]) for i in active] == [("SEV2", "identified")], active
        done = s.get("/api/v1/incidents?active=false").json["items"]
        assert [i["severity"] for i in done] == ["SEV1"]
        rv = s.get(f"/api/v1/incidents/{done[0]['id']}/review").json
        assert rv["saved"] is True and len(rv["actions"]) == 3
        assert len(s.get("/api/v1/review-actions?overdue=true").json["items"]) == 1
        assert len(s.get("/api/v1/defects").json["items"]) == 3
        assert s.get("/api/v1/defects/fix-available").json["items"], "a fixed defect's tickets"
        assert len(s.get("/api/v1/problems").json["items"]) == 1
        assert {m["name"] for m in s.get("/api/v1/macros").json["items"]} >= {"Solved: confirm the fix"}
        # the knowledge base: published KB articles, runbooks, and the known
        # error of the demo problem, on /known-issues
        arts = s.get("/api/v1/articles?limit=100").json["items"]
        published = [a for a in arts if a["state"] == "published"]
        assert {a["type"] for a in published} >= {"kb", "runbook", "known_error"}, published
        assert any(a["visibility"] == "internal" for a in published if a["type"] == "runbook")
        problem = s.get("/api/v1/problems").json["items"][0]
        ke = s.get(f"/api/v1/articles/{problem['article']}").json
        assert ke["type"] == "known_error" and ke["state"] == "published", ke
        assert ke["visibility"] == "public" and ke["symptoms"] and ke["workaround"], ke
        known = s.get("/known-issues.json", token=None).json["items"]
        assert [k["id"] for k in known] == [ke["id"]], known
        assert ke["title"] in s.get("/known-issues", token=None).body
        # suggestions on a demo ticket name the article that answers it
        tickets = s.get("/api/v1/tickets?limit=500").json["items"]
        by_subject = {}
        for t in tickets:
            by_subject.setdefault(t["subject"], t["id"])
        for words in ("SAML", "429", "Webhook", "CSV export"):
            tid = [t for subj, t in by_subject.items() if words in subj]
            assert tid, (words, sorted(by_subject))
            sug = s.get(f"/api/v1/tickets/{tid[0]}/suggestions").json["articles"]
            assert sug and words in sug[0]["title"], (words, sug)
        # portal search: a customer finds public articles, never internal runbooks
        found = s.get("/api/v1/search?q=webhook&type=article", token=customer).json["items"]
        assert [a["title"] for a in found] == ["Webhook deliveries are delayed or have stopped"]
        assert s.get("/api/v1/search?q=outage&type=article", token=customer).json["items"] == []
        assert s.get("/api/v1/search?q=outage&type=article").json["items"], "staff see runbooks"
        c2 = run("check", "--data", s.dir)
        assert c2.returncode == 0 and "0 differ" in c2.stdout, c2.stdout


def test_demo_validates_its_arguments_and_loads_once():
    s = Server()
    try:
        r = run("demo", "--data", s.dir, "--tickets", "many", "--days=0", "--seed", "-3",
                "--bogus", "extra")
        assert r.returncode == 2, r
        for expected in ("--tickets: must be a whole number from 1 to 100000 (got 'many')",
                         "--days: must be a whole number from 1 to 3650 (got '0')",
                         "--seed: must be a whole number", "--bogus: unknown option",
                         "extra: unexpected argument"):
            assert expected in r.stderr, (expected, r.stderr)
        assert run("demo", "--tickets", "5").returncode == 2          # no --data
        assert run("demo", "--data", s.dir, "--tickets").returncode == 2
        r = run("check", "--data", s.dir)
        assert "0 tickets checked" in r.stdout, r.stdout             # nothing was loaded
        r = run("demo", "--data", s.dir, "--tickets", "12", "--days", "5")
        assert r.returncode == 0 and "12 tickets" in r.stdout, r.stderr
        r = run("demo", "--data", s.dir, "--tickets", "12", "--days", "5")
        assert r.returncode == 1, r
        assert "already loaded" in r.stderr and "nothing was changed" in r.stderr, r.stderr
        r = run("check", "--data", s.dir)
        assert "12 tickets checked" in r.stdout, r.stdout
    finally:
        shutil.rmtree(s.dir, ignore_errors=True)


def test_backup_restore_of_a_live_instance():
    s = Server()
    s.own_dir = False  # keep it: removed at the end
    bkdir = tempfile.mkdtemp(prefix="cb-backup-")
    with s:
        ids = [s.post("/api/v1/tickets", {"subject": f"b{i}"}).json["id"] for i in range(5)]
        bk = os.path.join(bkdir, "backup.db")
        r = run("backup", "--data", s.dir, bk)     # while the server runs
        assert r.returncode == 0, r.stderr
        s.post("/api/v1/tickets", {"subject": "after the backup"})
    d2 = tempfile.mkdtemp(prefix="cb-restore-")
    try:
        r = run("restore", "--data", d2, bk)
        assert r.returncode == 0, r.stderr
        s2 = Server(data_dir=d2, init=False)
        s2.token = s.token
        with s2:
            got = [t["id"] for t in s2.get("/api/v1/tickets").json["items"]]
            assert sorted(got) == sorted(ids)
        assert run("restore", "--data", d2, "/nonexistent.db").returncode == 1
    finally:
        shutil.rmtree(d2)
        shutil.rmtree(bkdir)
        shutil.rmtree(s.dir, ignore_errors=True)


@concurrent
def test_sigterm_under_write_load_loses_nothing_acknowledged():
    s = Server()
    s.start()
    acked, stop = [], threading.Event()
    lock = threading.Lock()

    def writer(n):
        i = 0
        while not stop.is_set():
            try:
                r = s.post("/api/v1/tickets", {"subject": f"w{n}-{i}"})
            except Exception:
                return
            if r.status == 201:
                with lock:
                    acked.append(r.json["id"])
            i += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    while len(acked) < 50:
        pass
    rc = s.stop(signal.SIGTERM)
    stop.set()
    for t in threads:
        t.join()
    assert rc == 0, s.read_log()[-2000:]
    s.start()
    try:
        present = set()
        cursor = None
        while True:
            r = s.get("/api/v1/tickets?limit=500" + (f"&cursor={cursor}" if cursor else "")).json
            present |= {t["id"] for t in r["items"]}
            cursor = r["next_cursor"]
            if not cursor:
                break
        missing = set(acked) - present
        assert not missing, f"{len(missing)} acknowledged tickets lost"
    finally:
        s.stop()
    c = run("check", "--data", s.dir)
    assert c.returncode == 0, c.stdout + c.stderr
    shutil.rmtree(s.dir, ignore_errors=True)


def commands_on(d, tmp):
    """Every command that opens an existing data directory, run on d."""
    nd = os.path.join(tmp, "in.ndjson")
    with open(nd, "w") as f:
        f.write("")
    return [
        ["report", "kpis", "--data", d, "--from", "2024-01-01T00:00:00Z",
         "--to", "2024-02-01T00:00:00Z"],
        ["report", "rebuild", "--data", d],
        ["check", "--data", d],
        ["export", "--data", d],
        ["import", "--data", d, nd],
        ["serve", "--data", d, "--listen", "127.0.0.1:0"],
        ["backup", "--data", d, os.path.join(tmp, "b.db")],
        ["demo", "--data", d, "--tickets", "3"],
        ["sla", "explain", "--data", d, "1"],
        ["account", "add", "--data", d, "--name", "Acme", "--tier", "standard"],
        ["user", "add", "--data", d, "--email", "a@acme.test", "--role", "agent"],
        ["token", "create", "--data", d, "--user", "admin@casebook.local"],
    ]


def test_commands_refuse_a_directory_that_is_not_a_data_directory():
    tmp = tempfile.mkdtemp(prefix="cb-cli-")
    try:
        typo = os.path.join(tmp, "no-such-dir")          # a mistyped path
        empty = os.path.join(tmp, "empty")               # an existing, empty directory
        os.mkdir(empty)
        bare = os.path.join(tmp, "bare")                 # a database file with no schema
        os.mkdir(bare)
        open(os.path.join(bare, "casebook.db"), "wb").close()
        nousers = os.path.join(tmp, "nousers")           # a schema nobody initialised
        assert run("init", "--data", nousers).returncode == 0
        db = sqlite3.connect(os.path.join(nousers, "casebook.db"))
        db.execute("DELETE FROM users")
        db.commit()
        db.close()
        for d in (typo, empty, bare, nousers):
            for args in commands_on(d, tmp):
                r = run(*args)
                assert r.returncode == 1, (args, r.returncode, r.stdout, r.stderr)
                assert d in r.stderr and "casebook init" in r.stderr, (args, r.stderr)
                assert "listening" not in r.stdout, args
        assert not os.path.exists(typo), "a command created the mistyped directory"
        assert os.listdir(empty) == [], os.listdir(empty)
        assert os.path.getsize(os.path.join(bare, "casebook.db")) == 0
        assert not os.path.exists(os.path.join(tmp, "b.db"))
        # init still creates one, and then the same commands work
        assert run("init", "--data", typo).returncode == 0
        assert run("check", "--data", typo).returncode == 0
    finally:
        shutil.rmtree(tmp)


def test_restore_refuses_while_a_server_holds_the_data_directory():
    s = Server()
    s.own_dir = False
    bkdir = tempfile.mkdtemp(prefix="cb-backup-")
    try:
        with s:
            tid = s.post("/api/v1/tickets", {"subject": "kept"}).json["id"]
            bk = os.path.join(bkdir, "backup.db")
            assert run("backup", "--data", s.dir, bk).returncode == 0
            s.post("/api/v1/tickets", {"subject": "after the backup"})
            r = run("restore", "--data", s.dir, bk)
            assert r.returncode == 1, (r.stdout, r.stderr)
            assert s.dir in r.stderr and "server" in r.stderr, r.stderr
            # a second server on the same directory is refused as well
            r2 = run("serve", "--data", s.dir, "--listen", "127.0.0.1:0")
            assert r2.returncode == 1 and s.dir in r2.stderr, r2.stderr
            # nothing was replaced: the server still has both tickets
            assert len(s.get("/api/v1/tickets").json["items"]) == 2
        r = run("restore", "--data", s.dir, bk)          # once it stopped
        assert r.returncode == 0, r.stderr
        with s:
            assert [t["id"] for t in s.get("/api/v1/tickets").json["items"]] == [tid]
    finally:
        shutil.rmtree(bkdir)
        shutil.rmtree(s.dir, ignore_errors=True)


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_script(env_extra, **kw):
    env = dict(os.environ, BIN=BIN, **env_extra)
    return subprocess.Popen(["sh", os.path.join(ROOT, "scripts", "run.sh")], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, **kw)


def test_make_run_refuses_a_taken_port_before_printing_a_token():
    readme = open(os.path.join(ROOT, "README.md")).read()
    assert "make run LISTEN=" in readme and "DATA=" in readme, "README: choosing port and data dir"
    tmp = tempfile.mkdtemp(prefix="cb-run-")
    busy = socket.socket()
    try:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        p = run_script({"DATA": os.path.join(tmp, "var"), "LISTEN": f"127.0.0.1:{port}"})
        out, err = p.communicate(timeout=300)
        assert p.returncode != 0, (out, err)
        token = open(os.path.join(tmp, "var", "admin.token")).read().strip()
        assert token and token not in out + err, (out, err)
        assert "Admin token" not in out, out
        assert f"127.0.0.1:{port}" in err and "LISTEN=" in err, err
    finally:
        busy.close()
        shutil.rmtree(tmp)


def test_make_run_prints_the_token_once_the_server_listens():
    tmp = tempfile.mkdtemp(prefix="cb-run-")
    data = os.path.join(tmp, "mydata")
    p = run_script({"DATA": data, "LISTEN": "127.0.0.1:0"})
    try:
        lines = []
        while not any(l.startswith("Admin token:") for l in lines):
            line = p.stdout.readline()
            assert line, (lines, p.stderr.read())
            lines.append(line)
        url = next(l for l in lines if l.startswith("Casebook is running on ")).split()[-1]
        token = lines[-1].split(": ", 1)[1].strip()
        assert token == open(os.path.join(data, "admin.token")).read().strip()
        host, port = url.split("//")[1].rstrip("/").split(":")
        c = http.client.HTTPConnection(host, int(port), timeout=30)
        c.request("GET", "/api/v1/tickets?limit=1", headers={"Authorization": f"Bearer {token}"})
        r = c.getresponse()
        assert r.status == 200 and json.loads(r.read())["items"], "the demo data is served"
        c.close()
    finally:
        os.killpg(p.pid, signal.SIGTERM)
        p.communicate(timeout=60)
        shutil.rmtree(tmp)


def test_sla_explain_lists_steps_in_time_order_with_readable_durations():
    s = Server()
    s.own_dir = False
    try:
        with s:
            assert s.post("/api/v1/accounts", {"name": "acme", "tier": "enterprise"}).status == 201
            assert s.post("/api/v1/users", {"email": "agent1@support.test", "role": "agent",
                                            "name": "A"}).status == 201
            assert s.post("/api/v1/users", {"email": "alice@acme.test", "role": "customer",
                                            "account": "acme"}).status == 201
            r = s.post("/api/v1/sla-policies", {
                "name": "p1", "position": 1, "conditions": {"priority": "P1"}, "calendar": "24x7",
                "targets": {"first_response": 60, "next_update": 120, "resolution": 1440}})
            assert r.status == 201, r
            a = "agent1@support.test"
            line = {"external_id": "X-1", "subject": "Outage", "requester": "alice@acme.test",
                    "account": "acme", "priority": "P1", "created_at": "2026-03-02T10:00:00Z",
                    "events": [
                        {"at": "2026-03-02T12:00:00Z", "type": "comment", "author": a,
                         "public": True, "body": "Looking"},
                        {"at": "2026-03-04T12:30:00Z", "type": "comment", "author": a,
                         "public": True, "body": "Still looking"}]}
            r = s.request("POST", "/api/v1/import/tickets", raw=json.dumps(line) + "\n",
                          content_type="application/x-ndjson")
            assert r.status == 200 and r.json["imported"] == 1, r
            tid = r.json["results"][0]["id"]
        r = run("sla", "explain", "--data", s.dir, str(tid))
        assert r.returncode == 0, r.stderr
        rows = [l.split() for l in r.stdout.splitlines() if l[:2] == "20"]
        ats = [row[0] for row in rows]
        assert ats == sorted(ats), "\n" + r.stdout
        # the resolution breach (a day in) comes before the reply two days in
        steps = [(row[1], row[3]) for row in rows]
        assert steps.index(("resolution", "breach")) < steps.index(("next_update", "fulfil")), r.stdout
        assert "3600 s (1 h)" in r.stdout and "86400 s (24 h)" in r.stdout, r.stdout
        # first next-update instance: 12:00 on the 2nd to 12:30 on the 4th
        assert "174600 s (48 h 30 min)" in r.stdout, r.stdout
    finally:
        shutil.rmtree(s.dir, ignore_errors=True)


def test_report_tables_never_cut_names_or_addresses():
    long_email = "alexandra.konstantinopoulou-whitfield@support-engineering.example"
    long_account = "Zoë Müller Ingeniería Consolidated Holdings"
    s = Server()
    s.own_dir = False
    try:
        with s:
            assert s.post("/api/v1/accounts", {"name": long_account, "tier": "business"}).status == 201
            assert s.post("/api/v1/users", {"email": long_email, "role": "agent",
                                            "name": "Alexandra"}).status == 201
            assert s.post("/api/v1/users", {"email": "bo@zoe.example", "role": "customer",
                                            "account": long_account}).status == 201
            t = s.post("/api/v1/tickets", {"subject": "Export fails", "requester": "bo@zoe.example",
                                           "account": long_account, "priority": "P2"}).json
            assert s.patch(f"/api/v1/tickets/{t['id']}", {"assignee": long_email}).status == 200
            agent = s.post("/api/v1/tokens", {"user": long_email}).json["token"]
            r = s.post(f"/api/v1/tickets/{t['id']}/comments", {"body": "On it", "public": True},
                       token=agent)
            assert r.status == 201, r
        import datetime
        now = datetime.datetime.now(datetime.timezone.utc)
        frm = (now - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        to = (now + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for by, name in (("assignee", long_email), ("account", long_account)):
            r = run("report", "kpis", "--data", s.dir, "--from", frm, "--to", to, "--group-by", by)
            assert r.returncode == 0, r.stderr
            lines = r.stdout.splitlines()
            header = lines[1]
            assert name in header, (name, header)
            table = [l for l in lines[1:] if l]
            assert len({len(l) for l in table}) == 1, "columns are not aligned:\n" + r.stdout
            frt = next(l for l in table if l.startswith("frt.count "))
            # the group's column holds its count right under its name
            assert frt.split()[-1] == "1" or frt.split()[-2] == "1", frt
    finally:
        shutil.rmtree(s.dir, ignore_errors=True)


DOC_REF = re.compile(r"(?<![\w/.-])((?:[\w-]+/)*[\w.-]*\w\.(?:md|yaml|yml))(?![\w/])")


def doc_sources():
    """(name, directory references resolve against, text) of every document,
    source file and --help text that can name a documentation file."""
    out = []
    files = ["README.md", "Makefile"]
    for d, exts in (("docs", (".md", ".yaml")), ("bench", (".md",)), ("fuzz", (".md",)),
                    ("scripts", ("",)), ("web", ("",))):
        files += [os.path.join(d, f) for f in sorted(os.listdir(os.path.join(ROOT, d)))
                  if f.endswith(exts) and os.path.isfile(os.path.join(ROOT, d, f))]
    for dirpath, _, names in os.walk(os.path.join(ROOT, "src")):
        files += [os.path.relpath(os.path.join(dirpath, n), ROOT) for n in sorted(names)
                  if n.endswith((".c", ".h"))]
    for f in files:
        with open(os.path.join(ROOT, f), errors="replace") as fh:
            out.append((f, os.path.dirname(f), fh.read()))
    top = run("--help").stdout
    out.append(("casebook --help", "", top))
    for c in [l.split()[0] for l in top.splitlines() if l.startswith("  ")]:
        out.append((f"casebook {c} --help", "", run(c, "--help").stdout))
    return out


def test_every_doc_reference_names_a_file_of_the_repository():
    missing = []
    seen = 0
    for name, base, text in doc_sources():
        for ref in DOC_REF.findall(text):
            seen += 1
            if not any(os.path.isfile(os.path.join(ROOT, d, ref)) for d in (base, "")):
                missing.append(f"{name}: {ref}")
    assert seen > 20, seen
    assert not missing, "references to files that are not in the repository:\n" + "\n".join(missing)
    # the contract documents the issue named are there and say what they must
    metrics = open(os.path.join(ROOT, "docs", "metrics.md")).read()
    for term in ("business_time", "breached_at", "at risk", "cancelled", "Policy switches",
                 "frt", "ttr", "sla_attainment", "reopen_rate", "fcr", "escalation_rate", "mtte",
                 "escalation_acceptance_rate", "backlog_aging", "csat", "ces", "volume",
                 "nearest-rank", "group_by"):
        assert term in metrics, term
