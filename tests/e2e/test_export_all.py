"""`casebook export --all` / `import --all` (docs/export.md): the demo data
plus what the demo does not make (a password, article versions, a macro, an
attachment) moves into an empty data directory and comes out byte for byte
the same; the moved instance answers with the old tokens and passwords,
finds tickets by search and serves the files; a non-empty directory, a cut
short file and another schema version are refused and write nothing."""
import hashlib
import json
import os
import shutil
import subprocess
import tempfile

from lib import BIN, Server


def run(*args, input=None):
    return subprocess.run([BIN] + list(args), capture_output=True, text=True, timeout=300,
                          input=input)


def extras(s):
    """What the demo leaves out, made through the API."""
    users = s.get("/api/v1/users?limit=200").json["items"]
    agent = next(u for u in users if u["role"] == "agent")
    assert s.patch(f"/api/v1/users/{agent['id']}", {"password": "moved-secret-1"}).status == 200
    a = s.post("/api/v1/articles", {"type": "kb", "title": "Reset a password", "body": "v1"})
    assert a.status == 201, a
    assert s.patch(f"/api/v1/articles/{a.json['id']}", {"body": "v2, clearer"}).status == 200
    m = s.post("/api/v1/macros", {"name": "Thanks", "scope": "shared", "body": "Thank you!"})
    assert m.status == 201, m
    tid = s.get("/api/v1/tickets?limit=1").json["items"][0]["id"]
    c = s.post(f"/api/v1/tickets/{tid}/comments", {"body": "the dump", "public": False})
    assert c.status == 201, c
    data = bytes(range(256)) * 9 + b"\x00end"
    r = s.request("POST", f"/api/v1/tickets/{tid}/attachments?filename=dump.bin&event={c.json['id']}",
                  raw=data, content_type="application/octet-stream")
    assert r.status == 201, r
    return agent["email"], a.json["id"], (tid, r.json["id"]), data


def test_instance_round_trip_is_byte_identical():
    tmp = tempfile.mkdtemp(prefix="cb-all-")
    try:
        a_dir, b_dir = os.path.join(tmp, "a"), os.path.join(tmp, "b")
        a = Server(data_dir=a_dir)
        token = a.token
        assert run("demo", "--data", a_dir).returncode == 0
        with a:
            email, art, att, data = extras(a)
            tickets_a = a.get("/api/v1/tickets?limit=500").json["items"]
            versions_a = a.get(f"/api/v1/articles/{art}/versions").json
        first = os.path.join(tmp, "a.ndjson")
        r = run("export", "--all", "--data", a_dir, first)
        assert r.returncode == 0, r
        with open(first) as f:
            lines = f.read().splitlines()
        head, tail = json.loads(lines[0]), json.loads(lines[-1])
        assert head["casebook"] == "instance" and head["format"] == 1, head
        tables = [json.loads(l)["table"] for l in lines if l.startswith('{"table"')]
        for t in ("accounts", "users", "groups", "group_members", "calendars", "sla_policies",
                  "macros", "articles", "article_versions", "components", "incidents",
                  "incident_events", "defects", "problems", "escalations", "settings", "tokens",
                  "tickets", "events", "attachments"):
            assert t in tables, t
        assert "sessions" not in tables and not any(t.startswith("search_") for t in tables)
        assert tail["end"]["tables"] == len(tables)
        assert tail["end"]["rows"] == len(lines) - 2 - len(tables)
        # stdout gives the same bytes
        r = run("export", "--all", "--data", a_dir)
        assert r.returncode == 0 and r.stdout == "\n".join(lines) + "\n"

        r = run("import", "--all", "--data", b_dir, first)
        assert r.returncode == 0, r
        assert r.stdout.strip() == f"imported {len(tables)} tables, {tail['end']['rows']} rows into {b_dir}"
        second = os.path.join(tmp, "b.ndjson")
        r = run("export", "--all", "--data", b_dir, second)
        assert r.returncode == 0, r
        with open(first, "rb") as f1, open(second, "rb") as f2:
            assert f1.read() == f2.read()
        assert run("check", "--data", b_dir).returncode == 0

        b = Server(data_dir=b_dir)
        b.token = token  # the old admin token works: token hashes moved
        with b:
            def no_clock(items):  # the SLA view counts up to now
                return [{k: v for k, v in t.items() if k != "sla"} for t in items]
            tickets_b = b.get("/api/v1/tickets?limit=500").json["items"]
            assert no_clock(tickets_b) == no_clock(tickets_a)
            assert [t["sla"]["policy"] for t in tickets_b] == [t["sla"]["policy"] for t in tickets_a]
            assert b.get(f"/api/v1/articles/{art}/versions").json == versions_a
            tid, aid = att
            assert b.request("GET", f"/api/v1/attachments/{aid}").status == 200
            listed = [x for x in b.get(f"/api/v1/tickets/{tid}/attachments").json["items"]
                      if x["id"] == aid]
            assert listed and listed[0]["sha256"] == hashlib.sha256(data).hexdigest(), listed
            # search finds a ticket by a word of its subject (the index is rebuilt)
            word = max(tickets_a[0]["subject"].split(), key=len)
            found = b.get(f"/api/v1/search?q={word}").json
            assert any(h.get("id") == tickets_a[0]["id"] for h in found["items"]), found
            # the password moved with its hash
            r = b.post("/api/v1/session", {"email": email, "password": "moved-secret-1"}, token=None)
            assert r.status in (200, 201), r
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_import_all_refuses_and_writes_nothing():
    tmp = tempfile.mkdtemp(prefix="cb-all-")
    try:
        a_dir = os.path.join(tmp, "a")
        Server(data_dir=a_dir)
        dump = os.path.join(tmp, "a.ndjson")
        assert run("export", "--all", "--data", a_dir, dump).returncode == 0
        with open(dump) as f:
            text = f.read()
        # a non-empty directory (an instance, or any file) is refused untouched
        other = os.path.join(tmp, "other")
        os.mkdir(other)
        with open(os.path.join(other, "notes.txt"), "w") as f:
            f.write("keep")
        for d in (a_dir, other):
            before = sorted(os.listdir(d))
            r = run("import", "--all", "--data", d, dump)
            assert r.returncode == 1 and d in r.stderr and "not empty" in r.stderr, r
            assert sorted(os.listdir(d)) == before
        # an empty directory is fine
        empty = os.path.join(tmp, "empty")
        os.mkdir(empty)
        assert run("import", "--all", "--data", empty, dump).returncode == 0
        # cut short, another schema, a bad row: refused, the new directory is not left behind
        lines = text.splitlines()
        head = json.loads(lines[0])
        bad_schema = json.dumps(dict(head, schema=head["schema"] + 1)) + "\n" + "\n".join(lines[1:]) + "\n"
        users = next(i for i, l in enumerate(lines) if l.startswith('{"table":"users"'))
        bad_row = lines[:users + 1] + ['[1, "x"]'] + lines[users + 1:]
        for body, why in (("\n".join(lines[:-1]) + "\n", "end line"),
                          (bad_schema, "schema version"),
                          ("\n".join(bad_row) + "\n", f"line {users + 2}"),
                          ("", "empty")):
            d = os.path.join(tmp, "new")
            r = run("import", "--all", "--data", d, "-", input=body)
            assert r.returncode == 1 and why in r.stderr and "nothing imported" in r.stderr, (why, r)
            assert not os.path.exists(d)
        # usage
        r = run("import", "--all", "--data", os.path.join(tmp, "x"), "--batch", "3", dump)
        assert r.returncode == 2 and "usage:" in r.stderr
        r = run("export", "--help")
        assert "--all" in r.stdout
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
