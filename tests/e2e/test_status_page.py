"""The public status page end to end: /status, /status.json and /status.atom
without a token; only public incidents and only their public updates (an
internal update, a private incident, roles, accounts and linked tickets
never appear); HTML escaping; the Atom 1.0 feed parsed by a real XML parser;
/status.json validated against the StatusPage schema of docs/openapi.yaml
(Ajv, through tests/e2e/status_schema.mjs and the pinned packages of
tests/openapi)."""
import datetime as dt
import json
import os
import subprocess
import xml.etree.ElementTree as ET

from lib import Server, problem

ATOM = "{http://www.w3.org/2005/Atom}"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def utc(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def setup(s):
    """Components, a public incident with public and internal updates, a
    private incident, a resolved public one; returns ids."""
    assert s.post("/api/v1/accounts", {"name": "secretcorp", "tier": "enterprise"}).status == 201
    assert s.post("/api/v1/users", {"email": "cmdr.hidden@support.test", "role": "agent"}).status == 201
    for name, desc in (("API", "Public REST API"), ("Dashboard", "Web <app>")):
        assert s.post("/api/v1/components", {"name": name, "description": desc}).status == 201
    r = s.post("/api/v1/incidents", {"title": "Elevated <script>alert(1)</script> errors", "severity": "SEV1",
                                     "public": True, "components": ["API"],
                                     "component_states": {"API": "partial_outage"},
                                     "commander": "cmdr.hidden@support.test", "accounts": ["secretcorp"]})
    assert r.status == 201, r
    pub = r.json["id"]
    for body, public in (("publicupdatealpha: investigating & looking", True),
                         ("zanzibarquux internal only", False),
                         ("publicupdatebeta: fix deployed", True)):
        r = s.post(f"/api/v1/incidents/{pub}/updates", {"body": body, "public": public})
        assert r.status == 201, r
    r = s.post("/api/v1/incidents", {"title": "hiddenincidentxyz", "severity": "SEV2", "public": False})
    priv = r.json["id"]
    assert s.post(f"/api/v1/incidents/{priv}/updates", {"body": "privateupdateomega", "public": True}).status == 201
    r = s.post("/api/v1/incidents", {"title": "Past outage", "severity": "SEV3", "public": True})
    past = r.json["id"]
    assert s.post(f"/api/v1/incidents/{past}/updates",
                  {"body": "pastupdategamma resolved", "public": True, "status": "resolved"}).status == 201
    return pub, priv, past


SECRETS = ["zanzibarquux", "hiddenincidentxyz", "privateupdateomega", "cmdr.hidden", "secretcorp"]


def test_public_page_shows_only_public_incidents_and_updates():
    with Server() as s:
        pub, priv, past = setup(s)
        pages = {p: s.get(p, token=None) for p in ("/status", "/status.json", "/status.atom")}
        for path, r in pages.items():
            assert r.status == 200, (path, r)
            for word in SECRETS:
                assert word not in r.body, (path, word)
            assert "publicupdatealpha" in r.body and "publicupdatebeta" in r.body, path
            assert "pastupdategamma" in r.body, path
        assert pages["/status"].header("Content-Type").startswith("text/html")
        assert pages["/status.atom"].header("Content-Type").startswith("application/atom+xml")
        j = pages["/status.json"].json
        assert j["overall"] == "partial_outage" and j["days"] == 14
        assert [(c["name"], c["state"]) for c in j["components"]] == [("API", "partial_outage"),
                                                                    ("Dashboard", "operational")]
        assert [i["id"] for i in j["active_incidents"]] == [pub]
        assert [i["id"] for i in j["past_incidents"]] == [past]
        act = j["active_incidents"][0]
        assert act["components"] == ["API"] and act["severity"] == "SEV1"
        assert [u["body"] for u in act["updates"]] == ["publicupdatebeta: fix deployed",
                                                       "publicupdatealpha: investigating & looking"]
        assert set(act) == {"id", "title", "severity", "status", "started_at", "resolved_at",
                            "updated_at", "components", "updates"}
        # HTML: escaped, structured, linked to the feed
        html = pages["/status"].body
        assert "<script>alert(1)</script>" not in html
        assert "Elevated &lt;script&gt;alert(1)&lt;/script&gt; errors" in html
        assert "Web &lt;app&gt;" in html and "investigating &amp; looking" in html
        assert '<html lang="en">' in html and "<h1>" in html and 'role="status"' in html
        assert 'href="/status.atom"' in html and f'id="incident-{pub}"' in html
        assert "Partial outage" in html  # states are written out, not only coloured
        # the staff view still has everything
        assert len([e for e in s.get(f"/api/v1/incidents/{pub}/timeline").json["items"]
                    if e["kind"] == "update"]) == 3
        # a window of past incidents
        problem(s.get("/status.json?days=0", token=None), 400, "days")
        problem(s.get("/status.json?days=91", token=None), 400, "days")
        problem(s.get("/status.json?colour=red", token=None), 400, "colour")
        assert s.get("/status.json?days=90", token=None).json["days"] == 90
        # making the private incident public shows it (and its public update)
        assert s.patch(f"/api/v1/incidents/{priv}", {"public": True}).status == 200
        j = s.get("/status.json", token=None).json
        assert sorted(i["id"] for i in j["active_incidents"]) == sorted([pub, priv])
        # resolving restores the component and moves the incident to the past
        assert s.patch(f"/api/v1/incidents/{pub}", {"status": "resolved"}).status == 200
        j = s.get("/status.json", token=None).json
        assert j["overall"] == "operational"
        assert sorted(i["id"] for i in j["past_incidents"]) == sorted([pub, past])
        assert "All systems operational" in s.get("/status", token=None).body


def test_atom_feed_is_valid_atom():
    with Server() as s:
        pub, priv, past = setup(s)
        r = s.get("/status.atom", token=None)
        root = ET.fromstring(r.body.encode())
        assert root.tag == ATOM + "feed"
        feed_id = root.findtext(ATOM + "id")
        assert feed_id.startswith("urn:uuid:") and len(feed_id) == 45
        assert root.findtext(ATOM + "title")
        assert root.find(ATOM + "author/" + ATOM + "name").text
        links = {l.get("rel"): l.get("href") for l in root.findall(ATOM + "link")}
        assert links == {"self": "/status.atom", "alternate": "/status"}
        entries = root.findall(ATOM + "entry")
        # one entry per public update of a public incident, newest first
        assert [e.findtext(ATOM + "content") for e in entries] == [
            "pastupdategamma resolved", "publicupdatebeta: fix deployed",
            "publicupdatealpha: investigating & looking"]
        ids = [e.findtext(ATOM + "id") for e in entries]
        assert len(set(ids)) == 3 and all(i.startswith("urn:uuid:") and i != feed_id for i in ids)
        updated = [utc(e.findtext(ATOM + "updated")) for e in entries]
        assert updated == sorted(updated, reverse=True)
        assert utc(root.findtext(ATOM + "updated")) == updated[0]
        for e in entries:
            assert e.findtext(ATOM + "title")
            assert e.find(ATOM + "content").get("type") == "text"
            link = e.find(ATOM + "link")
            assert link.get("rel") == "alternate" and link.get("href").startswith("/status#incident-")
        assert entries[1].find(ATOM + "link").get("href") == f"/status#incident-{pub}"
        assert "Elevated <script>alert(1)</script> errors" in entries[1].findtext(ATOM + "title")
        # ids are stable: a new update adds one entry and keeps the others
        assert s.post(f"/api/v1/incidents/{pub}/updates",
                      {"body": "newest \u0001 update", "public": True}).status == 201
        root2 = ET.fromstring(s.get("/status.atom", token=None).body.encode())
        ids2 = [e.findtext(ATOM + "id") for e in root2.findall(ATOM + "entry")]
        assert ids2[1:] == ids and ids2[0] not in ids
        assert root2.findtext(ATOM + "id") == feed_id
        assert root2.find(ATOM + "entry").findtext(ATOM + "content") == "newest  update"


def validate(doc, schema):
    """Validates doc against docs/openapi.yaml#/components/schemas/<schema>."""
    here = os.path.join(ROOT, "tests", "openapi")
    if not os.path.exists(os.path.join(here, "node_modules", "ajv")):
        out = subprocess.run(["sh", os.path.join(here, "check.sh")], capture_output=True, text=True,
                             cwd=ROOT, timeout=600)  # installs the pinned packages
        assert os.path.exists(os.path.join(here, "node_modules", "ajv")), out.stderr
    out = subprocess.run(["node", os.path.join(ROOT, "tests", "e2e", "status_schema.mjs"), schema],
                         input=json.dumps(doc), capture_output=True, text=True, timeout=120)
    return out.returncode == 0 and out.stdout.strip() == "ok", out.stdout + out.stderr


def test_status_json_matches_the_documented_schema():
    with Server() as s:
        empty = s.get("/status.json", token=None).json
        assert empty["components"] == [] and empty["overall"] == "operational"
        ok, why = validate(empty, "StatusPage")
        assert ok, why
        setup(s)
        full = s.get("/status.json", token=None).json
        assert full["active_incidents"] and full["past_incidents"]
        ok, why = validate(full, "StatusPage")
        assert ok, why
        # the validator does reject what breaks the schema
        bad = dict(full, overall="on_fire")
        ok, why = validate(bad, "StatusPage")
        assert not ok and "overall" in why
        bad = json.loads(json.dumps(full))
        bad["active_incidents"][0]["updates"][0]["internal_note"] = "x"
        assert not validate(bad, "StatusPage")[0]
