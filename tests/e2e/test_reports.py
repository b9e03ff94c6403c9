"""Reports end to end: every KPI of docs/metrics.md section 5 over a small
imported history, computed by hand below (not by running the code), under
every group_by; buckets across the DST change of America/New_York; CSV read
back equal to the JSON; the operational reports; CSAT and CES through the
API; the business gauges of /metrics checked by promtool; the CLI table.

Calendar ny-business: America/New_York, Mon-Fri 09:00-17:00, holiday
2026-03-09 (Mon). EST (UTC-5) before Sun 2026-03-08, EDT (UTC-4) from it, so
open hours are 14:00Z-22:00Z before and 13:00Z-21:00Z after. Policy p2:
priority P2 -> first_response 60, next_update 240, resolution 960 minutes.
P1, P3, P4 have no policy (no clocks, so no business times).

The history (all instants UTC; "now" is the real time, long after it):
A  P2 acme sso tier1 agent1. created Mon 03-02 15:00 (10:00 EST)
   16:00 agent reply: frt 3600 s; FR elapsed 60 min = target, reply at its
         due instant: met, business 3600. NU#1 starts.
   18:00 solved: ttr 10800; RES 10:00-13:00 EST = 180 min met, business
         10800; NU#1 (120 min) cancelled. fcr yes.
   03-03 10:00 csat 5.
B  P3 acme billing, no group, unassigned. created Tue 03-03 14:00 (09:00 EST)
   20:00 agent reply: frt 21600 (as P3, no clock: left out of business).
   03-04 15:00 priority P2: p2 applies; RES had no target and now counts
         from creation on ny-business: 03-03 480 + 03-04 60 = 540 min; NU#1
         (from the reply) 15:00-17:00 EST 120 + 60 = 180 min.
   03-04 15:30 solved (as P2): ttr 91800; RES 570 min met -> business
         34200; NU#1 210 min cancelled. fcr yes.
   03-05 12:00 ces 6 (as P2).
C  P1 globex sso tier2. created Thu 03-05 10:00, unassigned
   10:30 assigned to agent2 (the created fact stays unassigned)
   11:00 agent reply: frt 3600 (no policy).
   12:00 escalation #1; 14:00 ack (mtte 7200); 15:00 returned (decision: not
         accepted).
   03-06 10:00 solved (first solve); 03-07 10:00 customer reply -> reopen;
   03-07 12:00 agent reply; 13:00 escalation #2; 13:30 accepted (mtte 1800,
         decision accepted); 03-08 10:00 solved (final): ttr 259200;
   03-08 11:00 closed; csat 2 at 03-08 12:00, then 3 at 03-09 12:00 (the
         latest counts). fcr no.
D  P2 acme sso tier1, unassigned. created Fri 03-06 21:30 (16:30 EST)
   FR due Tue 03-10 09:30 EDT = 13:30Z (docs/metrics.md section 6): breached.
   03-10 15:00:01 agent reply: frt 322201; FR elapsed 30 + 120 min + 1 s =
         9001 s (breached, fulfilled by this reply: in business). NU#1 due
         19:00:01Z, no later event: breached. RES 960 min: Fri 30, Tue 480,
         Wed 450 -> due 03-11 16:30 EDT = 20:30Z: breached. Open.
E  P4, no account (requested by an agent), no category. created 03-09 03:30
   (03-08 23:30 EDT). Open.
F  P3 globex billing tier2 agent2. created 03-09 04:30 (00:30 EDT)
   06:00 agent reply: frt 5400; 07:00 pending; 03-20 10:00 solved: ttr
   970200. fcr yes. ces 3 at 03-21 09:00.
G  P2 acme sso tier2 agent2. created Tue 03-31 12:00 (08:00 EDT). Open.
   FR due 10:00 EDT = 14:00Z: breached. RES due 04-01 21:00Z (April).
H  P1 globex, no category. created 03-20 00:00. Open.
I  P1 acme network. created 03-29 00:00. Open.
J  P3, no account. created 03-31 00:00. Open.
K  P4 globex billing. created 03-25 00:00, solved 04-01 00:00 exactly.
"""
import csv
import io
import json
import shutil
import subprocess
import tempfile

from lib import BIN, Server, problem

AG1, AG2, ENG = "agent1@support.test", "agent2@support.test", "eng1@support.test"
ALICE, BOB = "alice@acme.test", "bob@globex.test"


def setup(s):
    for name, tier in (("acme", "enterprise"), ("globex", "standard")):
        assert s.post("/api/v1/accounts", {"name": name, "tier": tier}).status == 201
    for email, role in ((AG1, "agent"), (AG2, "agent"), (ENG, "engineer")):
        assert s.post("/api/v1/users", {"email": email, "role": role}).status == 201
    assert s.post("/api/v1/users", {"email": ALICE, "role": "customer", "account": "acme"}).status == 201
    assert s.post("/api/v1/users", {"email": BOB, "role": "customer", "account": "globex"}).status == 201
    for g in ("tier1", "tier2", "engineering"):
        assert s.post("/api/v1/groups", {"name": g}).status == 201
    r = s.post("/api/v1/calendars", {"name": "ny-business", "timezone": "America/New_York",
                                      "hours": {d: [["09:00", "17:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]},
                                      "holidays": ["2026-03-09"]})
    assert r.status == 201, r
    r = s.post("/api/v1/sla-policies", {"name": "p2", "position": 1, "conditions": {"priority": "P2"},
                                         "calendar": "ny-business",
                                         "targets": {"first_response": 60, "next_update": 240, "resolution": 960}})
    assert r.status == 201, r


def reply(at, who, public=True):
    return {"at": at, "type": "comment", "author": who, "public": public, "body": "b"}


def status(at, st, who=AG1):
    return {"at": at, "type": "status", "status": st, "author": who}


def T(ext, subj, prio, created, events=(), **kw):
    d = {"external_id": ext, "subject": subj, "priority": prio, "created_at": created,
         "events": list(events)}
    d.update(kw)
    return d


HISTORY = [
    T("A", "a", "P2", "2026-03-02T15:00:00Z", requester=ALICE, category="sso", group="tier1",
      assignee=AG1, events=[
          reply("2026-03-02T16:00:00Z", AG1),
          status("2026-03-02T18:00:00Z", "solved"),
          {"at": "2026-03-03T10:00:00Z", "type": "csat", "score": 5, "author": ALICE}]),
    T("B", "b", "P3", "2026-03-03T14:00:00Z", requester=ALICE, category="billing", events=[
        reply("2026-03-03T20:00:00Z", AG1),
        {"at": "2026-03-04T15:00:00Z", "type": "priority", "priority": "P2", "author": AG1},
        status("2026-03-04T15:30:00Z", "solved"),
        {"at": "2026-03-05T12:00:00Z", "type": "ces", "score": 6, "author": ALICE}]),
    T("C", "c", "P1", "2026-03-05T10:00:00Z", requester=BOB, category="sso", group="tier2", events=[
        {"at": "2026-03-05T10:30:00Z", "type": "assign", "assignee": AG2, "author": AG2},
        reply("2026-03-05T11:00:00Z", AG2),
        {"at": "2026-03-05T12:00:00Z", "type": "escalation", "group": "engineering", "author": AG2,
         "summary": "x"},
        {"at": "2026-03-05T14:00:00Z", "type": "escalation_ack", "author": ENG},
        {"at": "2026-03-05T15:00:00Z", "type": "escalation_returned", "author": ENG},
        status("2026-03-06T10:00:00Z", "solved", AG2),
        reply("2026-03-07T10:00:00Z", BOB),
        reply("2026-03-07T12:00:00Z", AG2),
        {"at": "2026-03-07T13:00:00Z", "type": "escalation", "group": "engineering", "author": AG2,
         "summary": "y"},
        {"at": "2026-03-07T13:30:00Z", "type": "escalation_accepted", "author": ENG},
        status("2026-03-08T10:00:00Z", "solved", AG2),
        status("2026-03-08T11:00:00Z", "closed", AG2),
        {"at": "2026-03-08T12:00:00Z", "type": "csat", "score": 2, "author": BOB},
        {"at": "2026-03-09T12:00:00Z", "type": "csat", "score": 3, "author": BOB}]),
    T("D", "d", "P2", "2026-03-06T21:30:00Z", requester=ALICE, category="sso", group="tier1", events=[
        reply("2026-03-10T15:00:01Z", AG1)]),
    T("E", "e", "P4", "2026-03-09T03:30:00Z", requester=AG2),
    T("F", "f", "P3", "2026-03-09T04:30:00Z", requester=BOB, category="billing", group="tier2",
      assignee=AG2, events=[
          reply("2026-03-09T06:00:00Z", AG2),
          status("2026-03-09T07:00:00Z", "pending", AG2),
          status("2026-03-20T10:00:00Z", "solved", AG2),
          {"at": "2026-03-21T09:00:00Z", "type": "ces", "score": 3, "author": BOB}]),
    T("G", "g", "P2", "2026-03-31T12:00:00Z", requester=ALICE, category="sso", group="tier2", assignee=AG2),
    T("H", "h", "P1", "2026-03-20T00:00:00Z", requester=BOB),
    T("I", "i", "P1", "2026-03-29T00:00:00Z", requester=ALICE, category="network"),
    T("J", "j", "P3", "2026-03-31T00:00:00Z", requester=AG1),
    T("K", "k", "P4", "2026-03-25T00:00:00Z", requester=BOB, category="billing", events=[
        status("2026-04-01T00:00:00Z", "solved")]),
]

MARCH = "from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z"


def load(s):
    setup(s)
    body = "".join(json.dumps(t) + "\n" for t in HISTORY)
    r = s.request("POST", "/api/v1/import/tickets", raw=body, content_type="application/x-ndjson")
    assert r.status == 200 and r.json["imported"] == len(HISTORY), r


def dist(count, median=None, p90=None, p95=None, mean=None):
    return {"count": count, "median_s": median, "p90_s": p90, "p95_s": p95, "mean_s": mean}


def rate(n, k, name):
    return {"count": n, name: k, "rate": round(k / n, 4) if n else None}


def ages(t=0, a=0, b=0, c=0, d=0, e=0):
    return {"total": t, "<1d": a, "1-3d": b, "3-7d": c, "7-14d": d, ">=14d": e}


def sla(met, breached, r):
    return {"met": met, "breached": breached, "rate": r}


EMPTY = dist(0)

# The whole of March, all tickets.
# frt: A 3600, B 21600, C 3600, D 322201, F 5400 -> sorted 3600 3600 5400
#   21600 322201 (n = 5, odd): p50 rank ceil(2.5) = 3 -> 5400; p90 rank
#   ceil(4.5) = 5 and p95 rank ceil(4.75) = 5 -> 322201; mean 356401 / 5 =
#   71280.2. business: A 3600, D 9001 (n = 2, even): p50 rank 1 -> 3600 (the
#   lower middle), p90/p95 rank 2 -> 9001, mean 12601 / 2 = 6300.5.
# ttr (final solve in March; K's solve at `to` is not): A 10800, B 91800,
#   C 259200, F 970200 -> p50 rank 2 -> 91800, p90 rank ceil(3.6) = 4 ->
#   970200, mean 1332000 / 4 = 333000. business: A 10800, B 34200 -> mean 22500.
# sla: FR A met, D breached (03-10 13:30), G breached (03-31 14:00) -> 1/3 =
#   0.3333; NU: A#1 and B#1 cancelled, D#1 breached -> 0/1 = 0; RES: A, B met,
#   D breached 03-11 20:30, G's breach is in April -> 2/3 = 0.6667.
# reopen_rate: first solves A, B, C, F; C reopened -> 1/4. fcr: final solves
#   A, B, C, F; C has two replies, a reopen and escalations -> 3/4.
# escalation_rate: 11 created, C escalated -> 1/11 = 0.0909. mtte: C 7200 and
#   1800 -> p50 1800, p90 7200, mean 4500. acceptance: returned, accepted -> 1/2.
# backlog at 04-01 00:00 (K's solve at `to` excluded): G 12 h <1d (P2), J 1 d
#   1-3d (P3, lower bound inclusive), I 3 d 3-7d (P1), H 12 d 7-14d (P1), K
#   7 d 7-14d (P4), D 25 d and E 22 d >=14d (P2, P4).
# csat: A 5, C 3 (its latest) -> mean 4.0, positive 1/2. ces: B 6, F 3 -> 4.5.
# volume: 11 created, 4 solved, 1 reopened (C).
MARCH_ALL = {
    "frt": dict(dist(5, 5400, 322201, 322201, 71280.2), business=dist(2, 3600, 9001, 9001, 6300.5)),
    "ttr": dict(dist(4, 91800, 970200, 970200, 333000.0), business=dist(2, 10800, 34200, 34200, 22500.0)),
    "sla_attainment": {"first_response": sla(1, 2, 0.3333), "next_update": sla(0, 1, 0.0),
                       "resolution": sla(2, 1, 0.6667)},
    "reopen_rate": {"count": 4, "reopened": 1, "rate": 0.25},
    "fcr": {"count": 4, "first_contact": 3, "rate": 0.75},
    "escalation_rate": {"count": 11, "escalated": 1, "rate": 0.0909},
    "mtte": dist(2, 1800, 7200, 7200, 4500.0),
    "escalation_acceptance_rate": {"count": 2, "accepted": 1, "rate": 0.5},
    "backlog_aging": dict(ages(7, 1, 1, 1, 2, 2), by_priority={
        "P1": ages(2, 0, 0, 1, 1, 0), "P2": ages(2, 1, 0, 0, 0, 1),
        "P3": ages(1, 0, 1, 0, 0, 0), "P4": ages(2, 0, 0, 0, 1, 1)}),
    "csat": {"count": 2, "mean": 4.0, "positive_rate": 0.5},
    "ces": {"count": 2, "mean": 4.5},
    "volume": {"created": 11, "solved": 4, "reopened": 1},
}


def nosla():
    return {"first_response": sla(0, 0, None), "next_update": sla(0, 0, None),
            "resolution": sla(0, 0, None)}


def only(p, row):
    """backlog_aging with `row` under priority p and zeros elsewhere."""
    return dict(row, by_priority={q: (row if q == p else ages()) for q in ("P1", "P2", "P3", "P4")})


# group_by=priority, the value right after each KPI's event:
# P1 (C, H, I): frt C 3600 (n = 1: every percentile is that sample); no
#   business; ttr C 259200; C's first solve was reopened (1/1); fcr 0/1;
#   created C, H, I with C escalated: 1/3 = 0.3333; both escalations and
#   decisions; backlog I 3-7d, H 7-14d; C's latest csat 3 (positive 0/1).
# P2 (A, D, G, and B from its priority change on): frt A 3600, D 322201 ->
#   p50 3600, mean 325801 / 2 = 162900.5, business 3600, 9001; ttr A 10800,
#   B 91800 (B was solved as P2) -> mean 51300, business 10800, 34200; every
#   SLA fact is P2; first solves A, B not reopened: 0/2; fcr 2/2; created A,
#   D, G (B was created as P3): 0/3; backlog G <1d, D >=14d; csat A 5; ces
#   B 6 (answered after B became P2).
# P3 (B's creation and reply, F, J): frt B 21600, F 5400 -> p50 5400 (lower
#   middle), p90 21600, mean 13500; ttr F 970200; reopen 0/1, fcr 1/1;
#   created B, F, J: 0/3; backlog J 1-3d; no csat (count 0, nulls); ces F 3.
# P4 (E, K): only creations (0/2 escalated) and the backlog E >=14d, K
#   7-14d; every other population is empty: counts 0, statistics null.
MARCH_BY_PRIORITY = [
    ("P1", {"frt": dict(dist(1, 3600, 3600, 3600, 3600.0), business=EMPTY),
            "ttr": dict(dist(1, 259200, 259200, 259200, 259200.0), business=EMPTY),
            "sla_attainment": nosla(),
            "reopen_rate": {"count": 1, "reopened": 1, "rate": 1.0},
            "fcr": {"count": 1, "first_contact": 0, "rate": 0.0},
            "escalation_rate": {"count": 3, "escalated": 1, "rate": 0.3333},
            "mtte": dist(2, 1800, 7200, 7200, 4500.0),
            "escalation_acceptance_rate": {"count": 2, "accepted": 1, "rate": 0.5},
            "backlog_aging": only("P1", ages(2, 0, 0, 1, 1, 0)),
            "csat": {"count": 1, "mean": 3.0, "positive_rate": 0.0},
            "ces": {"count": 0, "mean": None},
            "volume": {"created": 3, "solved": 1, "reopened": 1}}),
    ("P2", {"frt": dict(dist(2, 3600, 322201, 322201, 162900.5), business=dist(2, 3600, 9001, 9001, 6300.5)),
            "ttr": dict(dist(2, 10800, 91800, 91800, 51300.0), business=dist(2, 10800, 34200, 34200, 22500.0)),
            "sla_attainment": MARCH_ALL["sla_attainment"],
            "reopen_rate": {"count": 2, "reopened": 0, "rate": 0.0},
            "fcr": {"count": 2, "first_contact": 2, "rate": 1.0},
            "escalation_rate": {"count": 3, "escalated": 0, "rate": 0.0},
            "mtte": EMPTY,
            "escalation_acceptance_rate": {"count": 0, "accepted": 0, "rate": None},
            "backlog_aging": only("P2", ages(2, 1, 0, 0, 0, 1)),
            "csat": {"count": 1, "mean": 5.0, "positive_rate": 1.0},
            "ces": {"count": 1, "mean": 6.0},
            "volume": {"created": 3, "solved": 2, "reopened": 0}}),
    ("P3", {"frt": dict(dist(2, 5400, 21600, 21600, 13500.0), business=EMPTY),
            "ttr": dict(dist(1, 970200, 970200, 970200, 970200.0), business=EMPTY),
            "sla_attainment": nosla(),
            "reopen_rate": {"count": 1, "reopened": 0, "rate": 0.0},
            "fcr": {"count": 1, "first_contact": 1, "rate": 1.0},
            "escalation_rate": {"count": 3, "escalated": 0, "rate": 0.0},
            "mtte": EMPTY,
            "escalation_acceptance_rate": {"count": 0, "accepted": 0, "rate": None},
            "backlog_aging": only("P3", ages(1, 0, 1, 0, 0, 0)),
            "csat": {"count": 0, "mean": None, "positive_rate": None},
            "ces": {"count": 1, "mean": 3.0},
            "volume": {"created": 3, "solved": 1, "reopened": 0}}),
    ("P4", {"frt": dict(EMPTY, business=EMPTY), "ttr": dict(EMPTY, business=EMPTY),
            "sla_attainment": nosla(),
            "reopen_rate": {"count": 0, "reopened": 0, "rate": None},
            "fcr": {"count": 0, "first_contact": 0, "rate": None},
            "escalation_rate": {"count": 2, "escalated": 0, "rate": 0.0},
            "mtte": EMPTY,
            "escalation_acceptance_rate": {"count": 0, "accepted": 0, "rate": None},
            "backlog_aging": only("P4", ages(2, 0, 0, 0, 1, 1)),
            "csat": {"count": 0, "mean": None, "positive_rate": None},
            "ces": {"count": 0, "mean": None},
            "volume": {"created": 2, "solved": 0, "reopened": 0}}),
]


def test_kpis_of_a_hand_computed_history():
    with Server() as s:
        load(s)
        r = s.get(f"/api/v1/reports/kpis?{MARCH}")
        assert r.status == 200, r
        o = r.json
        assert o["from"] == "2026-03-01T00:00:00Z" and o["to"] == "2026-04-01T00:00:00Z"
        assert o["group_by"] is None and "groups" not in o
        for k, v in MARCH_ALL.items():
            assert o["kpis"][k] == v, (k, o["kpis"][k], v)
        assert o["kpis"] == MARCH_ALL
        # decimals are printed as computed, never as binary noise
        assert '"mean_s":71280.2' in r.body and '"rate":0.3333' in r.body, r.body[:400]

        o = s.get(f"/api/v1/reports/kpis?{MARCH}&group_by=priority").json
        assert o["group_by"] == "priority" and o["kpis"] == MARCH_ALL
        assert [g["key"] for g in o["groups"]] == ["P1", "P2", "P3", "P4"]
        for (key, want), got in zip(MARCH_BY_PRIORITY, o["groups"]):
            for k in want:
                assert got["kpis"][k] == want[k], (key, k, got["kpis"][k], want[k])

        # the other keys; null is a group of its own, sorted last
        def groups(by):
            o = s.get(f"/api/v1/reports/kpis?{MARCH}&group_by={by}").json
            assert o["group_by"] == by and o["kpis"] == MARCH_ALL
            return {g["key"]: g["kpis"] for g in o["groups"]}, [g["key"] for g in o["groups"]]

        # created: acme A B D G I, globex C F H K, none E J
        g, keys = groups("account")
        assert keys == ["acme", "globex", None]
        assert [g[k]["volume"]["created"] for k in keys] == [5, 4, 2]
        assert g["globex"]["ttr"]["count"] == 2 and g["globex"]["ttr"]["median_s"] == 259200  # C, F
        assert g[None]["backlog_aging"]["total"] == 2 and g[None]["frt"]["count"] == 0   # E, J
        g, keys = groups("tier")
        assert keys == ["enterprise", "standard", None]
        assert [g[k]["volume"]["created"] for k in keys] == [5, 4, 2]
        assert g["enterprise"]["sla_attainment"] == MARCH_ALL["sla_attainment"]  # all acme
        # categories at creation: billing B F K, network I, sso A C D G, none E H J
        g, keys = groups("category")
        assert keys == ["billing", "network", "sso", None]
        assert [g[k]["volume"]["created"] for k in keys] == [3, 1, 4, 3]
        # frt sso: A 3600, C 3600, D 322201 -> p50 rank 2 = 3600, mean 329401/3 = 109800.33
        assert g["sso"]["frt"] == dict(dist(3, 3600, 322201, 322201, 109800.33),
                                       business=dist(2, 3600, 9001, 9001, 6300.5))
        # groups: tier1 A D, tier2 C F G, none B E H I J K
        g, keys = groups("group")
        assert keys == ["tier1", "tier2", None]
        assert [g[k]["volume"]["created"] for k in keys] == [2, 3, 6]
        # ttr tier2: C 259200, F 970200 -> p50 259200, mean 614700
        assert g["tier2"]["ttr"] == dict(dist(2, 259200, 970200, 970200, 614700.0), business=EMPTY)
        # assignee: C was created unassigned and assigned before its reply
        g, keys = groups("assignee")
        assert keys == [AG1, AG2, None]
        assert [g[k]["volume"]["created"] for k in keys] == [1, 2, 8]     # A; F G; the rest
        assert [g[k]["escalation_rate"]["escalated"] for k in keys] == [0, 0, 1]
        # frt agent2: C 3600, F 5400; none: B 21600, D 322201 -> mean 171900.5
        assert g[AG2]["frt"] == dict(dist(2, 3600, 5400, 5400, 4500.0), business=EMPTY)
        assert g[None]["frt"] == dict(dist(2, 21600, 322201, 322201, 171900.5),
                                      business=dist(1, 9001, 9001, 9001, 9001.0))
        assert g[AG2]["mtte"]["count"] == 2 and g[None]["mtte"]["count"] == 0

        # a period with nothing in it: counts 0, statistics null, never 0
        o = s.get("/api/v1/reports/kpis?from=2025-01-01T00:00:00Z&to=2025-02-01T00:00:00Z").json
        k = o["kpis"]
        assert k["frt"] == dict(EMPTY, business=EMPTY) and k["mtte"] == EMPTY
        assert k["reopen_rate"]["rate"] is None and k["csat"]["mean"] is None
        assert k["backlog_aging"]["total"] == 0 and k["volume"]["created"] == 0

        # bad parameters
        problem(s.get("/api/v1/reports/kpis?from=2026-03-01T00:00:00Z"), 422, "to")
        problem(s.get(f"/api/v1/reports/kpis?{MARCH}&group_by=colour"), 422, "group_by")
        problem(s.get("/api/v1/reports/kpis?from=2026-04-01T00:00:00Z&to=2026-03-01T00:00:00Z"), 422, "to")
        problem(s.get(f"/api/v1/reports/kpis?{MARCH}&bucket=hour"), 422, "bucket")
        problem(s.get(f"/api/v1/reports/kpis?{MARCH}&bucket=day&tz=Mars/Olympus"), 422, "tz")
        problem(s.get(f"/api/v1/reports/kpis?{MARCH}&colour=red"), 400, "colour")
        ctok = s.post("/api/v1/tokens", {"user": ALICE}).json["token"]
        problem(s.get(f"/api/v1/reports/kpis?{MARCH}", token=ctok), 404)


def test_buckets_follow_local_midnight_across_dst_and_months():
    with Server() as s:
        load(s)
        # America/New_York days around the spring-forward of Sun 2026-03-08:
        # Sat 00:00 EST = 05:00Z, Sun 00:00 EST = 05:00Z, Mon 00:00 EDT = 04:00Z
        # (the Sunday is 23 hours long), Tue 00:00 EDT = 04:00Z.
        o = s.get("/api/v1/reports/kpis?from=2026-03-07T05:00:00Z&to=2026-03-10T04:00:00Z"
                  "&bucket=day&tz=America/New_York").json
        assert o["bucket"] == "day" and o["tz"] == "America/New_York"
        b = o["buckets"]
        assert [(x["from"], x["to"]) for x in b] == [
            ("2026-03-07T05:00:00Z", "2026-03-08T05:00:00Z"),
            ("2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z"),
            ("2026-03-09T04:00:00Z", "2026-03-10T04:00:00Z")]
        # Sat: C reopened. Sun (local): C's final solve; E created at 03-09
        # 03:30Z = Sun 23:30 EDT. Mon: F created at 04:30Z = 00:30 EDT; C's
        # latest csat (12:00Z).
        assert [x["kpis"]["volume"] for x in b] == [
            {"created": 0, "solved": 0, "reopened": 1},
            {"created": 1, "solved": 1, "reopened": 0},
            {"created": 1, "solved": 0, "reopened": 0}]
        assert [x["kpis"]["csat"]["count"] for x in b] == [0, 0, 1]
        # backlog at each bucket's end: Sat end: C (reopened; age 2d19h) and D
        # (1d7.5h), both 1-3d. Sun end: D 2d6.5h 1-3d, E 30 min <1d. Mon end:
        # D 3d6.5h 3-7d, E 1d0.5h 1-3d, F (pending) 23.5 h <1d.
        assert [{k: v for k, v in x["kpis"]["backlog_aging"].items() if k != "by_priority"} for x in b] == [
            ages(2, 0, 2, 0, 0, 0), ages(2, 1, 1, 0, 0, 0), ages(3, 1, 1, 1, 0, 0)]
        # the same instants in UTC days cut at 00:00Z instead
        o = s.get("/api/v1/reports/kpis?from=2026-03-08T00:00:00Z&to=2026-03-10T00:00:00Z&bucket=day").json
        assert o["tz"] == "UTC"
        assert [x["kpis"]["volume"]["created"] for x in o["buckets"]] == [0, 2]   # E and F on 03-09

        # months: March as above; April: K solved at 04-01 00:00 (ttr 7 d =
        # 604800, P4), G's resolution breach at 04-01 21:00Z; backlog at 05-01
        # is D E G H I J (K solved).
        o = s.get("/api/v1/reports/kpis?from=2026-03-01T00:00:00Z&to=2026-05-01T00:00:00Z"
                  "&bucket=month&group_by=priority").json
        mar, apr = o["buckets"]
        assert (mar["from"], mar["to"], apr["to"]) == ("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z",
                                                        "2026-05-01T00:00:00Z")
        assert mar["kpis"] == MARCH_ALL
        assert apr["kpis"]["ttr"] == dict(dist(1, 604800, 604800, 604800, 604800.0), business=EMPTY)
        assert apr["kpis"]["sla_attainment"]["resolution"] == sla(0, 1, 0.0)
        assert apr["kpis"]["backlog_aging"]["total"] == 6
        assert apr["kpis"]["frt"]["count"] == 0 and apr["kpis"]["frt"]["median_s"] is None
        assert [g["key"] for g in apr["groups"]] == ["P1", "P2", "P3", "P4"]
        assert {g["key"]: g["kpis"]["volume"]["solved"] for g in apr["groups"]} == {
            "P1": 0, "P2": 0, "P3": 0, "P4": 1}


def unflatten(row):
    out = {}
    for k, v in row.items():
        if v == "":
            v = None
        elif "." in v or "e" in v:
            v = float(v)
        else:
            v = int(v)
        d = out
        parts = k.split(".")
        for p in parts[:-1]:
            d = d.setdefault(p, {})
        d[parts[-1]] = v
    return out


def test_csv_parses_back_to_the_json():
    with Server() as s:
        load(s)
        for q in (f"{MARCH}&group_by=priority", f"{MARCH}&group_by=category",
                  "from=2026-03-01T00:00:00Z&to=2026-05-01T00:00:00Z&bucket=month&group_by=account"):
            j = s.get(f"/api/v1/reports/kpis?{q}").json
            r = s.get(f"/api/v1/reports/kpis?{q}", headers={"Accept": "text/csv"})
            assert r.status == 200 and r.header("Content-Type").startswith("text/csv"), r
            rows = list(csv.DictReader(io.StringIO(r.body)))
            blocks = j.get("buckets") or [j]
            want = []
            for b in blocks:
                want.append((b["from"], b["to"], "all", None, b["kpis"]))
                want += [(b["from"], b["to"], "group", g["key"], g["kpis"]) for g in b["groups"]]
            assert len(rows) == len(want)
            for row, (f, t, scope, key, kpis) in zip(rows, want):
                meta = {k: row.pop(k) for k in ("from", "to", "group_by", "scope", "key")}
                assert meta == {"from": f, "to": t, "group_by": j["group_by"], "scope": scope,
                                "key": key or ""}, meta
                assert unflatten(row) == kpis


def test_operational_reports():
    with Server() as s:
        load(s)
        # backlog at the end of March, by group: tier1 D; tier2 G; none E H I J K
        o = s.get("/api/v1/reports/backlog?at=2026-04-01T00:00:00Z&group_by=group").json
        assert o["backlog_aging"] == MARCH_ALL["backlog_aging"]
        assert [(g["key"], g["backlog_aging"]["total"]) for g in o["groups"]] == [
            ("tier1", 1), ("tier2", 1), (None, 5)]
        # now: K is solved, so D E G H I J; queue health per group at now:
        # every P2 clock of D and G has breached; the others have no clock
        o = s.get("/api/v1/reports/queue-health").json
        assert o["total"] == {"open": 6, "at_risk": 0, "breached": 2}
        assert [(g["key"], g["open"], g["breached"]) for g in o["groups"]] == [
            ("tier1", 1, 1), ("tier2", 1, 1), (None, 4, 0)]
        # top drivers of March against February (nothing then)
        o = s.get(f"/api/v1/reports/top-drivers?{MARCH}").json
        assert o["previous"] == {"from": "2026-01-29T00:00:00Z", "to": "2026-03-01T00:00:00Z"}
        assert o["categories"] == [
            {"key": "sso", "count": 4, "previous": 0, "change": 4},
            {"key": "billing", "count": 3, "previous": 0, "change": 3},
            {"key": None, "count": 3, "previous": 0, "change": 3},
            {"key": "network", "count": 1, "previous": 0, "change": 1}]
        assert o["tags"] == []
        # April against March: only K's... none created in April
        o = s.get("/api/v1/reports/top-drivers?from=2026-04-01T00:00:00Z&to=2026-05-01T00:00:00Z").json
        assert o["categories"] == []
        # throughput: final solves in March by assignee at the solve: A agent1
        # (P2: 4), C agent2 (P1: 8) and F agent2 (P3: 2), B unassigned (P2: 4)
        o = s.get(f"/api/v1/reports/throughput?{MARCH}").json
        assert o["weights"] == {"P1": 8, "P2": 4, "P3": 2, "P4": 1}
        assert [(i["key"], i["solved"], i["weighted"]) for i in o["items"]] == [
            (AG2, 2, 10), (AG1, 1, 4), (None, 1, 4)]
        o = s.get(f"/api/v1/reports/throughput?{MARCH}&by=group&weights=P1:1,P2:1,P3:5").json
        # tier1 A (P2: 1); tier2 C (P1: 1) + F (P3: 5) = 6; none B (P2: 1)
        assert [(i["key"], i["weighted"]) for i in o["items"]] == [("tier2", 6), ("tier1", 1), (None, 1)]
        assert o["items"][0]["by_priority"] == {"P1": 1, "P2": 0, "P3": 1, "P4": 0}
        problem(s.get(f"/api/v1/reports/throughput?{MARCH}&weights=P9:1"), 422, "weights")
        problem(s.get(f"/api/v1/reports/throughput?{MARCH}&by=moon"), 422, "by")


def test_csat_and_ces_through_the_api():
    with Server() as s:
        load(s)
        alice = s.post("/api/v1/tokens", {"user": ALICE}).json["token"]
        bob = s.post("/api/v1/tokens", {"user": BOB}).json["token"]
        agent = s.post("/api/v1/tokens", {"user": AG1}).json["token"]
        eng = s.post("/api/v1/tokens", {"user": ENG}).json["token"]
        ids = {t["external_id"]: t["id"] for t in s.get("/api/v1/tickets?limit=50").json["items"]}
        d, a, c = ids["D"], ids["A"], ids["C"]
        r = s.post(f"/api/v1/tickets/{d}/csat", {"score": 2, "comment": "slow"}, token=alice)
        assert r.status == 201, r
        first = r.json
        assert first["score"] == 2 and first["comment"] == "slow" and first["survey"] == "csat"
        r = s.post(f"/api/v1/tickets/{d}/csat", {"score": 4}, token=agent)   # on her behalf
        assert r.status == 200 and r.json["responded_at"] == first["responded_at"], r
        assert s.post(f"/api/v1/tickets/{d}/ces", {"score": 7}, token=alice).status == 201
        problem(s.post(f"/api/v1/tickets/{d}/csat", {"score": 6}, token=alice), 422, "score")
        problem(s.post(f"/api/v1/tickets/{d}/ces", {"score": 0}, token=alice), 422, "score")
        problem(s.post(f"/api/v1/tickets/{d}/ces", {"score": 3, "comment": "x"}, token=alice), 422, "comment")
        problem(s.post(f"/api/v1/tickets/{d}/csat", {"score": 3}, token=bob), 404)      # not his account
        problem(s.post(f"/api/v1/tickets/{d}/csat", {"score": 3}, token=eng), 403)
        # A's csat (imported 2026-03-03) is more than 7 days old: no change
        problem(s.post(f"/api/v1/tickets/{a}/csat", {"score": 1}, token=alice), 409)
        # a closed ticket still takes its first survey answer
        assert s.post(f"/api/v1/tickets/{c}/ces", {"score": 5}, token=bob).status == 201
        # the KPIs take the latest response, at its instant (now)
        o = s.get(f"/api/v1/reports/kpis?from=2026-03-01T00:00:00Z&to=2099-01-01T00:00:00Z").json
        # csat: A 5, C 3, D 4 (latest) -> mean 4.0, positive 2/3; ces: B 6, F 3, D 7, C 5 -> 5.25
        assert o["kpis"]["csat"] == {"count": 3, "mean": 4.0, "positive_rate": 0.6667}
        assert o["kpis"]["ces"] == {"count": 4, "mean": 5.25}
        ev = s.get(f"/api/v1/tickets/{d}/events?limit=100").json["items"]
        assert [e["data"]["score"] for e in ev if e["type"] == "csat"] == [2, 4]


def test_metrics_business_gauges_pass_promtool():
    with Server() as s:
        load(s)
        body = s.get("/metrics", token=None).body
        # open now: D (P2 open), E (P4 new), G (P2 open), H (P1 new), I (P1 new), J (P3 new)
        assert 'casebook_tickets_open{priority="P2",status="open"} 2' in body
        assert 'casebook_tickets_open{priority="P1",status="new"} 2' in body
        assert 'casebook_tickets_open{priority="P4",status="new"} 1' in body
        # D: FR met-late (settled), NU and RES breached; G: FR and RES breached
        assert 'casebook_sla_clocks{clock="resolution",state="breached"} 2' in body
        assert 'casebook_sla_clocks{clock="first_response",state="breached"} 1' in body
        assert 'casebook_sla_clocks{clock="next_update",state="breached"} 1' in body
        assert 'casebook_sla_clocks{clock="resolution",state="running"} 0' in body
        # breaches so far: FR D G, NU D, RES D G
        assert 'casebook_sla_breaches_total{clock="first_response"} 2' in body
        assert 'casebook_sla_breaches_total{clock="resolution"} 2' in body
        assert 'casebook_http_requests_total' in body
        r = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0, (r.stdout, r.stderr)


def test_cli_prints_a_table():
    s = Server(data_dir=tempfile.mkdtemp(prefix="cb-report-"))
    with s:
        load(s)
    r = subprocess.run([BIN, "report", "kpis", "--data", s.dir, "--from", "2026-03-01T00:00:00Z",
                        "--to", "2026-04-01T00:00:00Z", "--group-by", "priority"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "KPIs 2026-03-01T00:00:00Z .. 2026-04-01T00:00:00Z by priority"
    assert lines[1].split() == ["all", "P1", "P2", "P3", "P4"]
    row = next(l for l in lines if l.startswith("frt.median_s "))
    assert row.split()[1:] == ["5400", "3600", "3600", "5400", "-"]
    row = next(l for l in lines if l.startswith("volume.created "))
    assert row.split()[1:] == ["11", "3", "3", "3", "2"]
    r = subprocess.run([BIN, "report", "kpis", "--data", s.dir, "--from", "x", "--to", "y"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "from" in r.stderr
    r = subprocess.run([BIN, "report", "rebuild", "--data", s.dir], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0 and "rebuilt 11 tickets" in r.stdout, r.stderr
    # the rebuilt facts give the same report
    r = subprocess.run([BIN, "report", "kpis", "--data", s.dir, "--from", "2026-03-01T00:00:00Z",
                        "--to", "2026-04-01T00:00:00Z", "--json"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0 and json.loads(r.stdout)["kpis"] == MARCH_ALL
    shutil.rmtree(s.dir, ignore_errors=True)
