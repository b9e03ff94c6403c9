"""KPI rollups and tier history (issue 5, migration 010).

Reports read the count/sum KPIs from hourly rollups (kpi_rollup) and the
rest from the per-ticket facts (kpi_facts). These tests hold the rollups to
two invariants:
  1. after every write path (import, the SLA timers that settle clocks,
     ticket create / update / comment, survey responses, `report rebuild`)
     kpi_rollup is exactly what `casebook report rebuild --rollups` derives
     from kpi_facts: a path that forgot to move the rollups fails here;
  2. the report through the rollups equals the report computed from the
     facts alone (`casebook report kpis --source facts`) for every group_by
     and bucket shape, over randomized histories around the DST changes of
     America/New_York, in a zone with a half-hour offset (Asia/Kolkata) and
     with from/to inside hours.
Then the tier history: a ticket solved while its account was `business`
stays under `business` after the account becomes `enterprise`. And an
Idempotency-Key replay of a survey update answers what the update answered.
"""
import json
import random
import sqlite3
import subprocess
import tempfile
import time
import re

from lib import BIN, Server

AGENTS = ["ag1@support.test", "ag2@support.test", "ag3@support.test"]
ENG = "eng@support.test"
ACCOUNTS = [("acme", "enterprise"), ("globex", "business"), ("initech", "standard")]
CUSTOMERS = {"acme": "c1@acme.test", "globex": "c2@globex.test", "initech": "c3@initech.test"}
CATEGORIES = ["sso", "billing", None]
GROUPS = ["tier1", "tier2", None]
HOUR = 3600


def setup(s):
    for name, tier in ACCOUNTS:
        assert s.post("/api/v1/accounts", {"name": name, "tier": tier}).status == 201
    for email in AGENTS:
        assert s.post("/api/v1/users", {"email": email, "role": "agent"}).status == 201
    assert s.post("/api/v1/users", {"email": ENG, "role": "engineer"}).status == 201
    for acc, email in CUSTOMERS.items():
        assert s.post("/api/v1/users", {"email": email, "role": "customer", "account": acc}).status == 201
    for g in ("tier1", "tier2", "engineering"):
        assert s.post("/api/v1/groups", {"name": g}).status == 201
    week = ["mon", "tue", "wed", "thu", "fri"]
    for name, zone in (("ny", "America/New_York"), ("kol", "Asia/Kolkata")):
        r = s.post("/api/v1/calendars", {"name": name, "timezone": zone,
                                         "hours": {d: [["09:00", "17:00"]] for d in week}})
        assert r.status == 201, r
    for pos, name, cond, cal, tg in (
            (1, "ent", {"tier": "enterprise"}, "ny", (60, 240, 960)),
            (2, "urgent", {"priority": ["P1", "P2"]}, "kol", (30, 120, 480)),
            (3, "rest", {}, "ny", (240, 960, 4800))):
        body = {"name": name, "position": pos, "calendar": cal,
                "targets": dict(zip(("first_response", "next_update", "resolution"), tg))}
        if cond:
            body["conditions"] = cond
        r = s.post("/api/v1/sla-policies", body)
        assert r.status == 201, r


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def history(rng, i, base, limit):
    """One random, valid ticket history created near `base`, its events
    before `limit` (epoch s)."""
    acc = rng.choice(list(CUSTOMERS) + [None])
    requester = CUSTOMERS[acc] if acc else rng.choice(AGENTS)
    created = base + rng.randrange(0, 20 * 86400)
    d = {"external_id": f"r{i}", "subject": f"t{i}", "priority": rng.choice(["P1", "P2", "P3", "P4"]),
         "created_at": iso(created), "requester": requester, "events": []}
    cat, grp = rng.choice(CATEGORIES), rng.choice(GROUPS)
    if cat:
        d["category"] = cat
    if grp:
        d["group"] = grp
    if rng.random() < 0.5:
        d["assignee"] = rng.choice(AGENTS)
    t, st, esc, solved = created, "new", False, False
    ev = d["events"]
    for _ in range(rng.randrange(0, 12)):
        t += rng.choice([rng.randrange(60, 3 * HOUR), rng.randrange(HOUR, 40 * HOUR)])
        if t >= limit:
            break
        at = iso(t)
        agent = rng.choice(AGENTS)
        a = rng.random()
        if st == "closed":
            break
        if a < 0.25:
            ev.append({"at": at, "type": "comment", "author": agent, "public": rng.random() < 0.85,
                       "body": "b"})
            if st == "new":
                st = "open"
        elif a < 0.35 and acc:
            ev.append({"at": at, "type": "comment", "author": requester, "public": True, "body": "c"})
            if st in ("pending", "solved"):
                st = "open"
        elif a < 0.45 and st not in ("solved",):
            st = rng.choice(["pending", "on_hold"])
            ev.append({"at": at, "type": "status", "status": st, "author": agent})
        elif a < 0.58 and st != "solved":
            ev.append({"at": at, "type": "status", "status": "solved", "author": agent})
            st, solved = "solved", True
        elif a < 0.62 and st == "solved":
            ev.append({"at": at, "type": "status", "status": "closed", "author": agent})
            st = "closed"
        elif a < 0.70:
            ev.append({"at": at, "type": "priority", "priority": rng.choice(["P1", "P2", "P3", "P4"]),
                       "author": agent})
        elif a < 0.75:
            ev.append({"at": at, "type": "assign", "assignee": rng.choice(AGENTS),
                       "group": rng.choice(["tier1", "tier2"]), "author": agent})
        elif a < 0.82 and not esc and st != "solved":
            ev.append({"at": at, "type": "escalation", "group": "engineering", "author": agent,
                       "summary": "x"})
            esc = True
        elif a < 0.90 and esc:
            kind = rng.choice(["escalation_ack", "escalation_accepted", "escalation_returned"])
            ev.append({"at": at, "type": kind, "author": ENG})
            if kind != "escalation_ack":
                esc = False
        elif solved and acc:
            ev.append({"at": at, "type": rng.choice(["csat", "ces"]), "author": requester,
                       "score": rng.randrange(1, 6)})
    return d


def import_histories(s, seed, n):
    rng = random.Random(seed)
    base = 1771632000  # 2026-02-21T00:00:00Z: across the spring-forward of 2026-03-08
    tickets = [history(rng, i, base, base + 40 * 86400) for i in range(n)]
    base = 1792368000  # 2026-10-19: across the fall-back of 2026-11-01, all before 11-15
    tickets += [history(rng, n + i, base, 1794700800) for i in range(n // 2)]
    body = "\n".join(json.dumps(t) for t in tickets) + "\n"
    r = s.request("POST", "/api/v1/import/tickets", raw=body, content_type="application/x-ndjson")
    assert r.status == 200, r
    bad = [x for x in r.json["results"] if "error" in x]
    assert r.json["imported"] == len(tickets) and not bad, bad[:3]


def metric(s, name, kind):
    body = s.get("/metrics", token=None).body
    m = re.search(r'^%s\{kind="%s"\} (\d+)$' % (re.escape(name), re.escape(kind)), body, re.M)
    return int(m.group(1)) if m else 0


def wait_timers(s):
    """The SLA timers the imported past left (due instants already passed) fire."""
    end = time.time() + 60
    while metric(s, "casebook_jobs_pending", "sla.breached") or \
            metric(s, "casebook_jobs_pending", "sla.at_risk"):
        assert time.time() < end, "SLA timers did not fire"
        time.sleep(0.1)


def rollups(d):
    c = sqlite3.connect(f"file:{d}/casebook.db?mode=ro", uri=True)
    rows = c.execute("SELECT * FROM kpi_rollup ORDER BY dim, hour, key").fetchall()
    c.close()
    return rows


def cli(*args):
    r = subprocess.run([BIN] + list(args), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, (args, r.stderr)
    return r.stdout


def assert_rollups_match_facts(d, what):
    """kpi_rollup as the writes left it == derived from kpi_facts (server stopped)."""
    kept = rollups(d)
    assert kept, f"{what}: no rollups at all"
    cli("report", "rebuild", "--rollups", "--data", d)
    derived = rollups(d)
    missing = sorted(set(derived) - set(kept))[:3]
    extra = sorted(set(kept) - set(derived))[:3]
    assert kept == derived, f"{what}: rollups out of step with the facts: {missing} vs {extra}"


PERIODS = [("2026-02-23T07:13:20Z", "2026-03-19T18:47:05Z"),  # inside hours, NY spring-forward
           ("2026-10-25T00:00:00Z", "2026-11-08T00:00:00Z")]  # whole days, NY fall-back
SHAPES = [[], ["--bucket", "day", "--tz", "America/New_York"], ["--bucket", "day", "--tz", "Asia/Kolkata"],
          ["--bucket", "week", "--tz", "America/New_York"], ["--bucket", "month"]]
GROUP_BYS = [None, "priority", "account", "tier", "category", "group", "assignee"]


def cases(full):
    """Every group_by and shape over the first period; the second (whole
    days around the fall-back) without and in New York days. Not full: a
    few of them."""
    if not full:
        for gb in (None, "tier", "assignee"):
            for shape in (SHAPES[0], SHAPES[2]):
                yield PERIODS[0][0], PERIODS[0][1], gb, shape
        return
    for i, (frm, to) in enumerate(PERIODS):
        for gb in GROUP_BYS:
            for shape in SHAPES if i == 0 else SHAPES[:2]:
                yield frm, to, gb, shape


def assert_reports_equal(d, s=None, full=True):
    """The report through the rollups (the API when a server is given, else
    the CLI) equals the one from the facts alone."""
    n = 0
    for frm, to, gb, shape in cases(full):
        args = ["--from", frm, "--to", to] + shape + (["--group-by", gb] if gb else [])
        facts = json.loads(cli("report", "kpis", "--data", d, "--json", "--source", "facts", *args))
        if s is not None:
            q = "&".join(f"{a[2:].replace('-', '_')}={b}" for a, b in zip(args[::2], args[1::2]))
            r = s.get("/api/v1/reports/kpis?" + q)
            assert r.status == 200, r
            rolled = r.json
        else:
            rolled = json.loads(cli("report", "kpis", "--data", d, "--json", *args))
        assert rolled == facts, f"rollups != facts for {args}"
        n += 1
        if not shape and gb is None:
            k = facts["kpis"]
            # the histories do populate what the rollups carry
            assert k["volume"]["created"] > 5 and k["reopen_rate"]["count"] > 0
            assert sum(v["met"] + v["breached"] for v in k["sla_attainment"].values()) > 0
    return n


def test_rollups_follow_every_write_path_and_give_the_facts_report():
    d = tempfile.mkdtemp(prefix="cb-rollup-")
    s = Server(data_dir=d)
    with s:
        setup(s)
        import_histories(s, seed=20260308, n=70)
        wait_timers(s)
        # the API while it serves, against the facts read by the CLI
        assert assert_reports_equal(d, s) == len(GROUP_BYS) * (len(SHAPES) + 2)
    assert_rollups_match_facts(d, "import and SLA timers")

    with s:
        # live writes: create, comment, update (priority, status), reopen,
        # surveys (first answer and update), an escalation
        ag = s.post("/api/v1/tokens", {"user": AGENTS[0]}).json["token"]
        cu = s.post("/api/v1/tokens", {"user": CUSTOMERS["globex"]}).json["token"]
        for i in range(4):
            t = s.post("/api/v1/tickets", {"subject": f"live {i}", "priority": "P3", "category": "billing",
                                           "requester": CUSTOMERS["globex"]}).json
            tid = t["id"]
            assert s.post(f"/api/v1/tickets/{tid}/comments", {"body": "on it"}, token=ag).status == 201
            assert s.patch(f"/api/v1/tickets/{tid}", {"priority": "P1", "group": "tier2"}).status == 200
            assert s.patch(f"/api/v1/tickets/{tid}", {"status": "solved"}, token=ag).status == 200
            if i % 2:
                s.post(f"/api/v1/tickets/{tid}/comments", {"body": "still broken"}, token=cu)  # reopen
                assert s.patch(f"/api/v1/tickets/{tid}", {"status": "solved"}, token=ag).status == 200
            assert s.post(f"/api/v1/tickets/{tid}/csat", {"score": 2 + i}, token=cu).status == 201
            assert s.post(f"/api/v1/tickets/{tid}/csat", {"score": 5}, token=cu).status == 200
            assert s.post(f"/api/v1/tickets/{tid}/ces", {"score": 3}, token=cu).status == 201
    assert_rollups_match_facts(d, "create, comment, update, survey")

    out = cli("report", "rebuild", "--data", d)
    assert "rebuilt" in out
    assert_rollups_match_facts(d, "report rebuild")
    assert assert_reports_equal(d, full=False) > 0


def test_tier_history_keeps_the_tier_at_the_kpi_instant():
    with Server() as s:
        setup(s)
        # globex is business; its ticket was created and solved in March
        t = {"external_id": "g1", "subject": "g", "priority": "P3", "created_at": "2026-03-02T10:00:00Z",
             "requester": CUSTOMERS["globex"], "events": [
                 {"at": "2026-03-02T11:00:00Z", "type": "comment", "author": AGENTS[0], "public": True,
                  "body": "b"},
                 {"at": "2026-03-03T10:30:00Z", "type": "status", "status": "solved", "author": AGENTS[0]}]}
        r = s.request("POST", "/api/v1/import/tickets", raw=json.dumps(t) + "\n",
                      content_type="application/x-ndjson")
        assert r.status == 200 and r.json["imported"] == 1, r
        march = "from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z&group_by=tier"

        def ttr_by_tier(q):
            o = s.get("/api/v1/reports/kpis?" + q).json
            return {g["key"]: g["kpis"]["ttr"]["count"] for g in o["groups"] if g["kpis"]["ttr"]["count"]}

        assert ttr_by_tier(march) == {"business": 1}
        gid = next(a["id"] for a in s.get("/api/v1/accounts").json["items"] if a["name"] == "globex")
        assert s.patch(f"/api/v1/accounts/{gid}", {"tier": "enterprise"}).status == 200
        # solved while business: still business (tier at the final solve)
        assert ttr_by_tier(march) == {"business": 1}
        # a ticket solved now, after the change, is enterprise
        tid = s.post("/api/v1/tickets", {"subject": "now", "priority": "P3",
                                         "requester": CUSTOMERS["globex"]}).json["id"]
        assert s.patch(f"/api/v1/tickets/{tid}", {"status": "solved"}).status == 200
        both = "from=2026-03-01T00:00:00Z&to=2099-01-01T00:00:00Z&group_by=tier"
        assert ttr_by_tier(both) == {"business": 1, "enterprise": 1}
        # the backlog at an instant takes the tier in force then: an open
        # globex ticket created in March counts as business at the end of
        # March and as enterprise now
        t2 = dict(t, external_id="g2", events=[])
        r = s.request("POST", "/api/v1/import/tickets", raw=json.dumps(t2) + "\n",
                      content_type="application/x-ndjson")
        assert r.status == 200 and r.json["imported"] == 1, r
        o = s.get("/api/v1/reports/backlog?at=2026-04-01T00:00:00Z&group_by=tier").json
        assert [(g["key"], g["backlog_aging"]["total"]) for g in o["groups"]] == [("business", 1)]
        o = s.get("/api/v1/reports/backlog?group_by=tier").json
        assert [(g["key"], g["backlog_aging"]["total"]) for g in o["groups"]] == [("enterprise", 1)]
        # the change is on record for the account, written by the update
        c = sqlite3.connect(f"file:{s.dir}/casebook.db?mode=ro", uri=True)
        tiers = [t for (t,) in c.execute("SELECT tier FROM account_tiers WHERE account_id = ?"
                                         " ORDER BY from_at", (gid,))]
        c.close()
        assert tiers == ["business", "enterprise"]


def test_survey_update_replayed_with_its_key_answers_200():
    with Server() as s:
        setup(s)
        cu = s.post("/api/v1/tokens", {"user": CUSTOMERS["acme"]}).json["token"]
        tid = s.post("/api/v1/tickets", {"subject": "x", "priority": "P3"}, token=cu).json["id"]
        assert s.patch(f"/api/v1/tickets/{tid}", {"status": "solved"}).status == 200
        for survey, first, second in (("csat", 3, 5), ("ces", 2, 6)):
            h1 = {"Idempotency-Key": f"{survey}-first"}
            r = s.post(f"/api/v1/tickets/{tid}/{survey}", {"score": first}, token=cu, headers=h1)
            assert r.status == 201, r
            h2 = {"Idempotency-Key": f"{survey}-update"}
            r = s.post(f"/api/v1/tickets/{tid}/{survey}", {"score": second}, token=cu, headers=h2)
            assert r.status == 200, r
            again = s.post(f"/api/v1/tickets/{tid}/{survey}", {"score": second}, token=cu, headers=h2)
            assert again.status == 200 and again.json == r.json, again
            assert again.header("Idempotent-Replayed") == "true"
            again = s.post(f"/api/v1/tickets/{tid}/{survey}", {"score": first}, token=cu, headers=h1)
            assert again.status == 201 and again.json["score"] == first, again
