"""Business calendars and SLA policies through the real server (docs/openapi.yaml,
docs/metrics.md sections 2 and 4): CRUD, every validation error with its field
path, iCalendar holiday import, 409s, roles; the background re-fold after a
policy change; and the job scheduler firing SLA timers: overdue timers at
start-up (exactly once, also across a restart) and a timer that comes due
while the server runs."""
import datetime as dt
import json
import os
import re
import sqlite3
import subprocess
import time

from lib import BIN, Server, concurrent, problem

CAL = {"name": "ny-business", "timezone": "America/New_York",
       "hours": {"mon": [["09:00", "17:00"]], "tue": [["13:00", "17:00"], ["09:00", "12:00"]],
                 "wed": [["09:00", "17:00"]], "thu": [["09:00", "17:00"]],
                 "fri": [["09:00", "17:00"]]},
       "holidays": ["2026-12-25", "2026-01-01", "2026-12-25"]}


def utc(s):
    """An RFC 3339 UTC time of the API (milliseconds when not zero)."""
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def now_s():
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def items(s, path):
    """Every item of a list endpoint, following cursors."""
    out, cursor = [], None
    while True:
        sep = "&" if "?" in path else "?"
        r = s.get(path + f"{sep}limit=500" + (f"&cursor={cursor}" if cursor else ""))
        assert r.status == 200, r
        out += r.json["items"]
        cursor = r.json["next_cursor"]
        if not cursor:
            return out


def metric(s, name, kind):
    body = s.get("/metrics", token=None).body
    m = re.search(r'^%s\{kind="%s"\} (\d+)$' % (re.escape(name), re.escape(kind)), body, re.M)
    assert m, f"{name}{{kind={kind}}} missing from /metrics"
    return int(m.group(1))


def wait_for(fn, timeout, what):
    end = time.time() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def people(s):
    """An enterprise account with a customer, agents, an engineer, a group;
    returns tokens by role."""
    assert s.post("/api/v1/accounts", {"name": "acme", "tier": "enterprise",
                                       "domains": ["acme.test"]}).status == 201
    tokens = {"admin": s.token}
    for email, role in (("agent1@support.test", "agent"), ("eng1@support.test", "engineer"),
                        ("alice@acme.test", "customer")):
        body = {"email": email, "role": role}
        if role == "customer":
            body["account"] = "acme"
        assert s.post("/api/v1/users", body).status == 201
        r = s.post("/api/v1/tokens", {"user": email})
        assert r.status == 201, r
        tokens[role] = r.json["token"]
    for name in ("tier1", "tier2"):
        assert s.post("/api/v1/groups", {"name": name, "members": ["agent1@support.test"]}).status == 201
    return tokens


def timeline_sla(s, tid):
    r = s.get(f"/api/v1/tickets/{tid}/events?limit=500")
    assert r.status == 200, r
    return [e for e in r.json["items"] if e["type"] == "sla"]


# ---- calendars ----

def test_calendars_crud_and_validation():
    with Server() as s:
        tok = people(s)
        r = s.post("/api/v1/calendars", CAL)
        assert r.status == 201, r
        c = r.json
        assert c["name"] == "ny-business" and c["timezone"] == "America/New_York"
        assert c["builtin"] is False
        # normalized: all seven days, sorted intervals, distinct sorted holidays
        assert c["hours"]["tue"] == [["09:00", "12:00"], ["13:00", "17:00"]]
        assert c["hours"]["sat"] == [] and c["hours"]["sun"] == []
        assert c["holidays"] == ["2026-01-01", "2026-12-25"]
        assert c["created_at"] == c["updated_at"] and c["created_at"].endswith("Z")
        cid = c["id"]
        assert s.get(f"/api/v1/calendars/{cid}").json == c

        # the built-in 24x7 is listed first, id 0
        cals = items(s, "/api/v1/calendars")
        assert [x["id"] for x in cals] == [0, cid]
        b = cals[0]
        assert b["name"] == "24x7" and b["builtin"] is True and b["timezone"] == "UTC"
        assert all(b["hours"][d] == [["00:00", "24:00"]] for d in
                   ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
        assert s.get("/api/v1/calendars/0").json == b
        # pagination walks the built-in then the rows
        r = s.get("/api/v1/calendars?limit=1")
        assert [x["id"] for x in r.json["items"]] == [0] and r.json["next_cursor"]
        r = s.get(f"/api/v1/calendars?limit=1&cursor={r.json['next_cursor']}")
        assert [x["id"] for x in r.json["items"]] == [cid] and r.json["next_cursor"] is None

        def bad(body, field, status=422):
            before = len(items(s, "/api/v1/calendars"))
            problem(s.post("/api/v1/calendars", body), status, field)
            assert len(items(s, "/api/v1/calendars")) == before, body

        good = {"name": "x", "timezone": "UTC", "hours": {"mon": [["09:00", "17:00"]]}}
        bad(good | {"timezone": "Mars/Olympus_Mons"}, "timezone")
        bad(good | {"timezone": 5}, "timezone")
        bad(good | {"hours": {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}}, "hours.mon[1]")
        bad(good | {"hours": {"wed": [["17:00", "09:00"]]}}, "hours.wed[0]")
        bad(good | {"hours": {"mon": [["9am", "17:00"]]}}, "hours.mon[0]")
        bad(good | {"hours": {"mon": [["24:00", "24:00"]]}}, "hours.mon[0]")
        bad(good | {"hours": {"xyz": [["09:00", "17:00"]]}}, "hours.xyz")
        bad(good | {"hours": {"mon": [], "sun": []}}, "hours")
        bad(good | {"hours": {}}, "hours")
        bad(good | {"holidays": ["2026-12-25", "2026-02-30"]}, "holidays[1]")
        bad(good | {"holidays": ["25/12/2026"]}, "holidays[0]")
        bad(good | {"name": "24x7"}, "name")
        bad(good | {"name": "24X7"}, "name")
        bad(good | {"name": ""}, "name")
        bad({k: v for k, v in good.items() if k != "name"}, "name")
        bad({k: v for k, v in good.items() if k != "hours"}, "hours")
        bad(good | {"color": "red"}, "color")
        # several problems at once, each named
        p = problem(s.post("/api/v1/calendars", {"name": "24x7", "timezone": "Nowhere/City",
                                                 "hours": {"mon": [["10:00", "09:00"]]}}), 422)
        assert {"name", "timezone", "hours.mon[0]"} <= {e["field"] for e in p["errors"]}, p
        # a duplicate name (case-insensitive) is a conflict
        bad(good | {"name": "NY-Business"}, "name", 409)
        # malformed JSON and wrong media type
        problem(s.post("/api/v1/calendars", raw="{"), 400)
        problem(s.post("/api/v1/calendars", good, content_type="text/plain"), 415)

        # PATCH merges keys and validates the whole
        r = s.patch(f"/api/v1/calendars/{cid}", {"name": "nyc", "holidays": []})
        assert r.status == 200, r
        assert r.json["name"] == "nyc" and r.json["holidays"] == []
        assert r.json["hours"] == c["hours"] and utc(r.json["updated_at"]) > utc(c["updated_at"])
        problem(s.patch(f"/api/v1/calendars/{cid}", {"hours": {"mon": [["09:00", "10:00"], ["09:30", "11:00"]]}}),
                422, "hours.mon[1]")
        problem(s.patch(f"/api/v1/calendars/{cid}", {"timezone": "Nowhere/City"}), 422, "timezone")
        problem(s.patch(f"/api/v1/calendars/{cid}", {"id": 4}), 422, "id")
        problem(s.patch(f"/api/v1/calendars/{cid}", {"name": "24x7"}), 422, "name")
        assert s.get(f"/api/v1/calendars/{cid}").json["name"] == "nyc"
        assert s.post("/api/v1/calendars", good | {"name": "other"}).status == 201
        problem(s.patch(f"/api/v1/calendars/{cid}", {"name": "OTHER"}), 409, "name")
        problem(s.patch("/api/v1/calendars/0", {"name": "x"}), 409)
        problem(s.patch("/api/v1/calendars/999", {"name": "x"}), 404)
        problem(s.get("/api/v1/calendars/999"), 404)
        problem(s.get("/api/v1/calendars/abc"), 404)

        # roles: engineers and agents read, only admins write, customers see nothing
        for role in ("agent", "engineer"):
            assert s.get("/api/v1/calendars", token=tok[role]).status == 200
            assert s.get(f"/api/v1/calendars/{cid}", token=tok[role]).status == 200
            problem(s.post("/api/v1/calendars", good | {"name": "z"}, token=tok[role]), 403)
            problem(s.patch(f"/api/v1/calendars/{cid}", {"name": "z"}, token=tok[role]), 403)
        problem(s.get("/api/v1/calendars", token=tok["customer"]), 404)
        problem(s.get("/api/v1/calendars", token=None), 401)


ICS = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//casebook//test//EN\r\n"
       "BEGIN:VEVENT\r\nUID:ind-{y}@test\r\nDTSTART;VALUE=DATE:{y}0704\r\n"
       "SUMMARY:Independence Day\r\nEND:VEVENT\r\n"
       "BEGIN:VEVENT\r\nUID:tg-{y}@test\r\nDTSTART;VALUE=DATE:{y}1126\r\n"
       "DTEND;VALUE=DATE:{y}1128\r\nSUMMARY:Thanksgiving\r\nEND:VEVENT\r\n"
       "BEGIN:VEVENT\r\nUID:old@test\r\nDTSTART;VALUE=DATE:19990101\r\n"
       "SUMMARY:Out of range\r\nEND:VEVENT\r\n"
       "BEGIN:VEVENT\r\nUID:meeting@test\r\nDTSTART:{y}0310T150000Z\r\n"
       "DTEND:{y}0310T160000Z\r\nSUMMARY:Timed, ignored\r\nEND:VEVENT\r\n"
       "END:VCALENDAR\r\n")


def test_calendar_holidays_from_ics():
    with Server() as s:
        tok = people(s)
        y = now_s().year
        c = s.post("/api/v1/calendars", CAL | {"holidays": [f"{y}-12-25"]}).json
        path = f"/api/v1/calendars/{c['id']}/holidays"
        r = s.post(path, raw=ICS.format(y=y), content_type="text/calendar; charset=utf-8")
        assert r.status == 200, r
        assert r.json["holidays"] == [f"{y}-07-04", f"{y}-11-26", f"{y}-11-27", f"{y}-12-25"]
        assert r.json["hours"] == c["hours"] and r.json["id"] == c["id"]
        assert s.get(f"/api/v1/calendars/{c['id']}").json["holidays"] == r.json["holidays"]
        # importing the same feed again changes nothing
        r2 = s.post(path, raw=ICS.format(y=y), content_type="text/calendar")
        assert r2.status == 200 and r2.json["holidays"] == r.json["holidays"]
        # errors write nothing
        problem(s.post(path, raw="this is not a calendar", content_type="text/calendar"), 422, "ics")
        problem(s.post(path, raw="BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:no start\r\n"
                                 "END:VEVENT\r\nEND:VCALENDAR\r\n", content_type="text/calendar"),
                422, "ics")
        problem(s.post(path, raw=ICS.format(y=y), content_type="application/json"), 415)
        problem(s.post(path, raw="", content_type="text/calendar"), 400)
        problem(s.post("/api/v1/calendars/0/holidays", raw=ICS.format(y=y),
                       content_type="text/calendar"), 409)
        problem(s.post("/api/v1/calendars/999/holidays", raw=ICS.format(y=y),
                       content_type="text/calendar"), 404)
        problem(s.post(path, raw=ICS.format(y=y), content_type="text/calendar",
                       token=tok["agent"]), 403)
        assert s.get(f"/api/v1/calendars/{c['id']}").json["holidays"] == r.json["holidays"]


# ---- policies ----

def test_policies_crud_and_validation():
    with Server() as s:
        tok = people(s)
        cal = s.post("/api/v1/calendars", CAL).json
        g1 = s.get("/api/v1/groups").json["items"][0]
        body = {"name": "enterprise-urgent", "position": 20,
                "conditions": {"priority": ["P1", "P2"], "tier": "enterprise",
                               "category": ["sso", "billing"], "group": ["tier2", g1["id"]]},
                "calendar": "ny-business",
                "targets": {"first_response": 60, "next_update": 240, "resolution": 960}}
        r = s.post("/api/v1/sla-policies", body)
        assert r.status == 201, r
        p = r.json
        assert p["name"] == "enterprise-urgent" and p["position"] == 20
        assert p["calendar"] == {"id": cal["id"], "name": "ny-business"}
        assert p["targets"] == body["targets"]
        assert p["conditions"]["priority"] == ["P1", "P2"]
        assert p["conditions"]["tier"] == "enterprise"
        assert p["conditions"]["category"] == ["sso", "billing"]
        names = {g["name"]: g["id"] for g in s.get("/api/v1/groups").json["items"]}
        assert p["conditions"]["group"] == [{"id": names["tier2"], "name": "tier2"},
                                            {"id": g1["id"], "name": g1["name"]}]
        assert s.get(f"/api/v1/sla-policies/{p['id']}").json == p

        # calendar by id, the built-in by name or absent; default position after the last
        r = s.post("/api/v1/sla-policies", {"name": "by-id", "position": 10, "calendar": cal["id"],
                                            "conditions": {"group": "tier1"},
                                            "targets": {"resolution": 480}})
        assert r.status == 201, r
        assert r.json["calendar"]["id"] == cal["id"]
        assert r.json["conditions"] == {"group": {"id": names["tier1"], "name": "tier1"}}
        r = s.post("/api/v1/sla-policies", {"name": "catch-all", "calendar": "24x7",
                                            "targets": {"first_response": 480}})
        assert r.status == 201, r
        assert r.json["calendar"] == {"id": 0, "name": "24x7"} and r.json["position"] == 21
        assert r.json["conditions"] == {}
        r = s.post("/api/v1/sla-policies", {"name": "no-cal", "position": 5,
                                            "targets": {"next_update": 30}})
        assert r.json["calendar"] == {"id": 0, "name": "24x7"}
        # lists are in position order
        pols = items(s, "/api/v1/sla-policies")
        assert [x["name"] for x in pols] == ["no-cal", "by-id", "enterprise-urgent", "catch-all"]
        r = s.get("/api/v1/sla-policies?limit=3")
        assert len(r.json["items"]) == 3 and r.json["next_cursor"]
        r = s.get(f"/api/v1/sla-policies?limit=3&cursor={r.json['next_cursor']}")
        assert [x["name"] for x in r.json["items"]] == ["catch-all"] and r.json["next_cursor"] is None

        def bad(b, field, status=422):
            before = len(items(s, "/api/v1/sla-policies"))
            problem(s.post("/api/v1/sla-policies", b), status, field)
            assert len(items(s, "/api/v1/sla-policies")) == before, b

        ok = {"name": "new", "targets": {"first_response": 30}}
        bad(ok | {"position": 20}, "position", 409)
        bad(ok | {"name": "Enterprise-Urgent"}, "name", 409)
        bad(ok | {"conditions": {"priority": "P5"}}, "conditions.priority")
        bad(ok | {"conditions": {"priority": ["P1", "urgent"]}}, "conditions.priority[1]")
        bad(ok | {"conditions": {"priority": []}}, "conditions.priority")
        bad(ok | {"conditions": {"tier": "gold"}}, "conditions.tier")
        bad(ok | {"conditions": {"tier": ["standard", "platinum"]}}, "conditions.tier[1]")
        bad(ok | {"conditions": {"group": "nope"}}, "conditions.group")
        bad(ok | {"conditions": {"group": ["tier1", 9999]}}, "conditions.group[1]")
        bad(ok | {"conditions": {"category": ""}}, "conditions.category")
        bad(ok | {"conditions": {"colour": "red"}}, "conditions.colour")
        bad(ok | {"conditions": "P1"}, "conditions")
        bad(ok | {"color": "red"}, "color")
        bad(ok | {"targets": {"first_reply": 30}}, "targets.first_reply")
        bad(ok | {"targets": {"first_response": 0}}, "targets.first_response")
        bad(ok | {"targets": {"first_response": -5}}, "targets.first_response")
        bad(ok | {"targets": {"first_response": 1.5}}, "targets.first_response")
        bad(ok | {"targets": {"first_response": "60"}}, "targets.first_response")
        bad(ok | {"targets": {}}, "targets")
        bad({"name": "new"}, "targets")
        bad({"targets": {"first_response": 30}}, "name")
        bad(ok | {"name": "  "}, "name")
        bad(ok | {"calendar": "no-such-calendar"}, "calendar")
        bad(ok | {"calendar": 999}, "calendar")
        bad(ok | {"calendar": True}, "calendar")
        bad(ok | {"position": -1}, "position")
        bad(ok | {"position": "1"}, "position")

        # PATCH: given fields replace the stored ones
        r = s.patch(f"/api/v1/sla-policies/{p['id']}", {"conditions": {"priority": "P1"},
                                                         "targets": {"resolution": 120}})
        assert r.status == 200, r
        assert r.json["conditions"] == {"priority": "P1"} and r.json["targets"] == {"resolution": 120}
        assert r.json["name"] == p["name"] and r.json["calendar"] == p["calendar"]
        r = s.patch(f"/api/v1/sla-policies/{p['id']}", {"calendar": None, "position": 1})
        assert r.json["calendar"] == {"id": 0, "name": "24x7"} and r.json["position"] == 1
        problem(s.patch(f"/api/v1/sla-policies/{p['id']}", {"position": 10}), 409, "position")
        problem(s.patch(f"/api/v1/sla-policies/{p['id']}", {"name": "CATCH-ALL"}), 409, "name")
        problem(s.patch(f"/api/v1/sla-policies/{p['id']}", {"targets": {}}), 422, "targets")
        problem(s.patch(f"/api/v1/sla-policies/{p['id']}", {"conditions": {"tier": "x"}}), 422,
                "conditions.tier")
        problem(s.patch(f"/api/v1/sla-policies/{p['id']}", {"id": 3}), 422, "id")
        problem(s.patch("/api/v1/sla-policies/9999", {"name": "x"}), 404)
        problem(s.get("/api/v1/sla-policies/9999"), 404)
        assert s.get(f"/api/v1/sla-policies/{p['id']}").json["position"] == 1

        # roles: agents read, admins write, engineers are refused, customers see nothing
        assert s.get("/api/v1/sla-policies", token=tok["agent"]).status == 200
        assert s.get(f"/api/v1/sla-policies/{p['id']}", token=tok["agent"]).status == 200
        problem(s.post("/api/v1/sla-policies", ok, token=tok["agent"]), 403)
        problem(s.patch(f"/api/v1/sla-policies/{p['id']}", {"name": "x"}, token=tok["agent"]), 403)
        problem(s.get("/api/v1/sla-policies", token=tok["engineer"]), 403)
        problem(s.get("/api/v1/sla-policies", token=tok["customer"]), 404)

        # audit rows
        assert s.stop() == 0
        con = sqlite3.connect(os.path.join(s.dir, "casebook.db"))
        actions = [a for (a,) in con.execute(
            "SELECT action FROM audit WHERE action LIKE 'sla_policy.%' OR action LIKE 'calendar.%'")]
        con.close()
        assert actions.count("sla_policy.create") == 4 and actions.count("sla_policy.update") == 2
        assert actions.count("calendar.create") == 1


# ---- clocks, re-fold and the scheduler ----

def test_ticket_clock_and_background_refold():
    with Server() as s:
        people(s)
        r = s.post("/api/v1/sla-policies", {"name": "all", "position": 1,
                                            "targets": {"first_response": 240}})
        assert r.status == 201, r
        pid = r.json["id"]
        t = s.post("/api/v1/tickets", {"subject": "Export fails", "requester": "alice@acme.test",
                                       "priority": "P2"}).json
        tid = t["id"]
        created = utc(t["created_at"])
        sla = s.get(f"/api/v1/tickets/{tid}").json["sla"]
        fr = sla["first_response"]
        assert sla["policy"] == "all"
        assert fr["state"] == "running" and fr["target_s"] == 14400 and fr["at_risk"] is False
        assert abs((utc(fr["due_at"]) - created).total_seconds() - 14400) <= 1
        # a solved ticket is not re-folded; an open one is
        solved = s.post("/api/v1/tickets", {"subject": "done", "requester": "alice@acme.test"}).json["id"]
        assert s.patch(f"/api/v1/tickets/{solved}", {"status": "solved"}).status == 200

        runs = metric(s, "casebook_jobs_run_total", "sla.refold")
        r = s.patch(f"/api/v1/sla-policies/{pid}", {"targets": {"first_response": 480}})
        assert r.status == 200, r
        # the answer does not wait for the re-fold; the scheduler does it at once
        wait_for(lambda: metric(s, "casebook_jobs_run_total", "sla.refold") > runs
                 and metric(s, "casebook_jobs_pending", "sla.refold") == 0, 5, "the re-fold")
        fr = s.get(f"/api/v1/tickets/{tid}").json["sla"]["first_response"]
        assert fr["state"] == "running" and fr["target_s"] == 28800
        assert abs((utc(fr["due_at"]) - created).total_seconds() - 28800) <= 1
        # the stored clock and its timers follow the new target
        assert s.stop() == 0
        con = sqlite3.connect(os.path.join(s.dir, "casebook.db"))
        try:
            [(target,)] = con.execute("SELECT target_ms FROM sla_instances WHERE ticket_id = ?"
                                      " AND clock = 'first_response'", (tid,)).fetchall()
            assert target == 28800000
            due = dict(con.execute("SELECT kind, due_at FROM jobs WHERE ticket_id = ?",
                                   (tid,)).fetchall())
            cms = int(created.timestamp() * 1000)
            assert abs(due["sla.breached"] - cms - 28800000) < 1000, due
            assert abs(due["sla.at_risk"] - cms - 21600000) < 1000, due
            assert con.execute("SELECT count(*) FROM jobs WHERE kind = 'sla.refold'").fetchone()[0] == 0
            [(old,)] = con.execute("SELECT target_ms FROM sla_instances WHERE ticket_id = ?"
                                   " AND clock = 'first_response'", (solved,)).fetchall()
            assert old in (14400000,), old
        finally:
            con.close()


def import_ticket(s, ext, created):
    line = {"external_id": ext, "subject": f"imported {ext}", "requester": "alice@acme.test",
            "account": "acme", "priority": "P2", "created_at": iso(created), "events": []}
    r = s.post("/api/v1/import/tickets", raw=json.dumps(line) + "\n",
               content_type="application/x-ndjson")
    assert r.status == 200 and r.json["imported"] == 1, r
    return r.json["results"][0]["id"]


@concurrent
def test_overdue_timers_fire_once_also_after_restart():
    with Server() as s:
        people(s)
        assert s.post("/api/v1/sla-policies", {"name": "hour", "position": 1, "calendar": "24x7",
                                               "targets": {"first_response": 60}}).status == 201
        created = now_s() - dt.timedelta(hours=2)
        tid = import_ticket(s, "OLD-1", created)

        def fired():
            ev = timeline_sla(s, tid)
            return ev if len(ev) >= 2 else None

        ev = wait_for(fired, 5, "the overdue at-risk and breach events")
        time.sleep(1.5)  # more re-checks of the queue must not add anything
        ev = timeline_sla(s, tid)
        got = sorted((e["data"]["kind"], e["data"]["clock"], e["at"]) for e in ev)
        assert got == [("at_risk", "first_response", iso(created + dt.timedelta(minutes=45))),
                       ("breached", "first_response", iso(created + dt.timedelta(minutes=60)))], ev
        fr = s.get(f"/api/v1/tickets/{tid}").json["sla"]["first_response"]
        assert fr["state"] == "breached" and fr["due_at"] is None
        assert fr["breached_at"] == iso(created + dt.timedelta(minutes=60))
        assert metric(s, "casebook_jobs_pending", "sla.breached") == 0

        # a restart finds nothing left to fire, and fires nothing twice
        assert s.stop() == 0
        s.start()
        time.sleep(1.5)
        assert sorted((e["data"]["kind"], e["at"]) for e in timeline_sla(s, tid)) == \
            [(k, a) for k, _, a in got]
        assert metric(s, "casebook_jobs_run_total", "sla.breached") == 0

        # timers overdue at start-up (the server was down when they came due) run at once
        assert s.stop() == 0
        con = sqlite3.connect(os.path.join(s.dir, "casebook.db"))
        try:
            [(jobs,)] = con.execute("SELECT count(*) FROM jobs").fetchall()
            assert jobs == 0
        finally:
            con.close()
        # imported by the CLI while the server is down: the at-risk timer is
        # already overdue when the server starts, the breach is 10 minutes away
        created2 = now_s() - dt.timedelta(minutes=50)
        path = os.path.join(s.dir, "late.ndjson")
        with open(path, "w") as f:
            f.write(json.dumps({"external_id": "OLD-2", "subject": "late", "account": "acme",
                                "requester": "alice@acme.test", "created_at": iso(created2),
                                "events": []}) + "\n")
        out = subprocess.run([BIN, "import", "--data", s.dir, path], capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        s.start()
        tid2 = s.get("/api/v1/tickets?external_id=OLD-2").json["items"][0]["id"]
        ev = wait_for(lambda: timeline_sla(s, tid2), 5, "the at-risk event after a restart")
        assert [(e["data"]["kind"], e["at"]) for e in ev] == \
            [("at_risk", iso(created2 + dt.timedelta(minutes=45)))]
        fr = s.get(f"/api/v1/tickets/{tid2}").json["sla"]["first_response"]
        assert fr["state"] == "running" and fr["at_risk"] is True
        assert fr["due_at"] == iso(created2 + dt.timedelta(minutes=60))
        assert metric(s, "casebook_jobs_pending", "sla.breached") == 1


@concurrent
def test_breach_timer_fires_while_running():
    with Server() as s:
        people(s)
        assert s.post("/api/v1/sla-policies", {"name": "hour", "position": 1,
                                               "targets": {"first_response": 60}}).status == 201
        created = now_s() - dt.timedelta(minutes=59, seconds=55)
        tid = import_ticket(s, "SOON-1", created)
        due = created + dt.timedelta(minutes=60)
        # not breached yet (due in 4 to 5 s); the overdue at-risk timer fires at once
        fr = s.get(f"/api/v1/tickets/{tid}").json["sla"]["first_response"]
        assert fr["state"] == "running" and fr["due_at"] == iso(due), fr
        before = metric(s, "casebook_jobs_run_total", "sla.breached")
        ev = wait_for(lambda: [e for e in timeline_sla(s, tid) if e["data"]["kind"] == "breached"],
                      12, "the breach event")
        assert now_s() >= due
        assert [(e["data"]["clock"], e["at"]) for e in ev] == [("first_response", iso(due))]
        kinds = sorted(e["data"]["kind"] for e in timeline_sla(s, tid))
        assert kinds == ["at_risk", "breached"], kinds
        fr = s.get(f"/api/v1/tickets/{tid}").json["sla"]["first_response"]
        assert fr["state"] == "breached" and fr["breached_at"] == iso(due)
        assert metric(s, "casebook_jobs_run_total", "sla.breached") == before + 1
        assert metric(s, "casebook_jobs_pending", "sla.breached") == 0
