"""Knowledge base and search end to end: articles and their versions and
diffs, stemmed full-text search with phrase and prefix queries and bm25
ranking, strict customer visibility (snippets included), suggestions,
links, votes and deflection counts, the public known-issues list."""
import json
import time
import urllib.parse

from lib import Server, problem


def token(s, user):
    r = s.post("/api/v1/tokens", {"user": user})
    assert r.status == 201, r
    return r.json["token"]


def setup(s):
    for name in ("acme", "globex"):
        assert s.post("/api/v1/accounts", {"name": name, "tier": "business"}).status == 201
    assert s.post("/api/v1/users", {"email": "agent1@support.test", "role": "agent"}).status == 201
    assert s.post("/api/v1/users", {"email": "alice@acme.test", "role": "customer", "account": "acme"}).status == 201
    assert s.post("/api/v1/users", {"email": "bob@acme.test", "role": "customer", "account": "acme"}).status == 201
    assert s.post("/api/v1/users", {"email": "gina@globex.test", "role": "customer", "account": "globex"}).status == 201
    return token(s, "agent1@support.test"), token(s, "alice@acme.test"), token(s, "gina@globex.test")


def article(s, **kw):
    body = {"type": "kb", "title": "untitled", "body": "", "visibility": "public", "state": "published"}
    body.update(kw)
    r = s.post("/api/v1/articles", body)
    assert r.status == 201, r
    return r.json


def ticket(s, subject, description, account="acme", requester="alice@acme.test", tok="default"):
    r = s.post("/api/v1/tickets", {"subject": subject, "description": description,
                                   "account": account, "requester": requester, "priority": "P3"},
               token=tok)
    assert r.status == 201, r
    return r.json["id"]


def search(s, q, tok="default", **params):
    qs = urllib.parse.urlencode(dict(q=q, **params))
    r = s.get(f"/api/v1/search?{qs}", token=tok)
    assert r.status == 200, r
    return r.json["items"]


def keys(items):
    return [(i["kind"], i["id"]) for i in items]


def test_kb_articles_versions_and_diff():
    with Server() as s:
        a = article(s, title="Reset a password", body="Open settings.\nClick reset.\n",
                    state="draft", visibility="internal", tags=["auth"], review_by="2020-01-01")
        assert a["version"] == 1 and a["state"] == "draft" and a["tags"] == ["auth"]
        assert a["owner"]["email"]
        r = s.patch(f"/api/v1/articles/{a['id']}", {"body": "Open settings.\nClick forgot password.\n",
                                                    "state": "in_review"})
        assert r.status == 200 and r.json["version"] == 2, r
        r = s.patch(f"/api/v1/articles/{a['id']}", {"state": "published"})
        assert r.status == 200 and r.json["version"] == 3
        problem(s.patch(f"/api/v1/articles/{a['id']}", {"state": "bogus"}), 422, "state")
        problem(s.patch(f"/api/v1/articles/{a['id']}", {"colour": "red"}), 422, "colour")
        r = s.get(f"/api/v1/articles/{a['id']}/versions")
        assert r.status == 200, r
        vs = r.json["items"]
        assert [v["version"] for v in vs] == [1, 2, 3]
        assert vs[0]["author"]["email"] and vs[0]["at"] and vs[0]["data"]["state"] == "draft"
        r = s.get(f"/api/v1/articles/{a['id']}/diff?from=1&to=2")
        assert r.status == 200, r
        d = r.json
        assert set(d["fields"]) == {"body", "state"}
        ops = [(l["op"], l["text"]) for l in d["lines"]]
        assert ("-", "Click reset.") in ops and ("+", "Click forgot password.") in ops
        assert (" ", "Open settings.") in ops
        assert ("-", "state: draft") in ops and ("+", "state: in_review") in ops
        problem(s.get(f"/api/v1/articles/{a['id']}/diff?from=1&to=9"), 422, "to")
        # stale view: review_by in the past
        fresh = article(s, title="Fresh", review_by="2999-01-01")
        stale = [x["id"] for x in s.get("/api/v1/articles?stale=true").json["items"]]
        assert a["id"] in stale and fresh["id"] not in stale
        problem(s.post("/api/v1/articles", {"type": "blog", "title": "x"}), 422, "type")
        problem(s.post("/api/v1/articles", {"type": "kb"}), 422, "title")


def test_kb_search_stemming_phrase_prefix_ranking():
    with Server() as s:
        setup(s)
        body_hit = article(s, title="Network notes", body="The replication job failed twice last night.")
        title_hit = article(s, title="Replication troubleshooting", body="Checks to run first.")
        t = ticket(s, "Exports failed", "The nightly export failed with a timeout")
        # stemming: "failing" finds "failed"
        found = keys(search(s, "failing"))
        assert ("ticket", t) in found and ("article", body_hit["id"]) in found, found
        # a title hit ranks above a body hit
        items = search(s, "replication")
        assert keys(items)[:2] == [("article", title_hit["id"]), ("article", body_hit["id"])], items
        assert items[0]["score"] > items[1]["score"]
        # snippet from the original text, matches marked
        hit = [i for i in search(s, "failing") if i["id"] == body_hit["id"] and i["kind"] == "article"][0]
        assert "<mark>failed</mark>" in hit["snippet"], hit
        # phrase
        assert keys(search(s, '"nightly export"')) == [("ticket", t)]
        assert search(s, '"export nightly"') == []
        # prefix
        assert ("article", title_hit["id"]) in keys(search(s, "troubleshoot*"))
        assert ("article", title_hit["id"]) in keys(search(s, "replic*"))
        # filters and pagination
        assert keys(search(s, "failed", type="ticket")) == [("ticket", t)]
        assert ("ticket", t) not in keys(search(s, "failed", type="article"))
        page = s.get("/api/v1/search?q=failed&limit=1").json
        assert len(page["items"]) == 1 and page["next_cursor"]
        page2 = s.get(f"/api/v1/search?q=failed&limit=1&cursor={page['next_cursor']}").json
        assert keys(page2["items"]) != keys(page["items"]) and len(page2["items"]) == 1
        problem(s.get("/api/v1/search"), 400, "q")
        problem(s.get("/api/v1/search?q=x&bogus=1"), 400, "bogus")


def test_kb_search_customer_visibility():
    with Server() as s:
        agent, alice, gina = setup(s)
        pub = article(s, title="Quokka public guide", body="quokka steps")
        draft = article(s, title="Quokka draft", body="quokka", state="draft")
        internal = article(s, title="Quokka internal", body="quokka", visibility="internal")
        mine = ticket(s, "Quokka error in acme", "the quokka broke")
        other = ticket(s, "Quokka error in globex", "quokka too", account="globex",
                       requester="gina@globex.test")
        # an internal note with a secret word, and a public comment
        r = s.post(f"/api/v1/tickets/{mine}/comments", {"body": "zebrasecret quokka internal note", "public": False})
        assert r.status == 201, r
        r = s.post(f"/api/v1/tickets/{mine}/comments", {"body": "public reply about quokka", "public": True})
        assert r.status == 201, r
        # agents see everything
        all_agent = keys(search(s, "quokka", tok=agent))
        for k in [("article", pub["id"]), ("article", draft["id"]), ("article", internal["id"]),
                  ("ticket", mine), ("ticket", other)]:
            assert k in all_agent, (k, all_agent)
        assert keys(search(s, "zebrasecret", tok=agent)) == [("ticket", mine)]
        # customers: published public articles and their own account's tickets only
        items = search(s, "quokka", tok=alice)
        assert sorted(keys(items)) == sorted([("article", pub["id"]), ("ticket", mine)]), items
        for i in items:
            assert "zebrasecret" not in i["snippet"] and "internal note" not in i["snippet"], i
        assert search(s, "zebrasecret", tok=alice) == []
        assert search(s, "zebrasecret", tok=alice, account="acme") == []
        assert keys(search(s, "quokka", tok=gina)) == sorted(keys(search(s, "quokka", tok=gina)))
        assert sorted(keys(search(s, "quokka", tok=gina))) == sorted([("article", pub["id"]), ("ticket", other)])
        assert search(s, "quokka", tok=alice, account="globex") == []
        # articles: a customer sees only published public ones
        assert s.get(f"/api/v1/articles/{pub['id']}", token=alice).status == 200
        for a in (draft, internal):
            problem(s.get(f"/api/v1/articles/{a['id']}", token=alice), 404)
        listed = [a["id"] for a in s.get("/api/v1/articles", token=alice).json["items"]]
        assert listed == [pub["id"]]
        problem(s.get(f"/api/v1/articles/{pub['id']}/versions", token=alice), 404)
        problem(s.post("/api/v1/articles", {"title": "x"}, token=alice), 404)
        # an article moved back to draft disappears from customer search
        assert s.patch(f"/api/v1/articles/{pub['id']}", {"state": "archived"}).status == 200
        assert keys(search(s, "quokka", tok=alice)) == [("ticket", mine)]


def test_kb_suggestions_links_votes_stats():
    with Server() as s:
        agent, alice, _ = setup(s)
        related = article(s, title="SAML login loop after enabling SSO",
                          body="When SAML single sign-on loops, check the clock skew of the IdP.")
        article(s, title="Billing invoices", body="How invoices are issued")
        old = ticket(s, "SSO login loops with SAML", "customers loop on login after SAML was enabled")
        assert s.patch(f"/api/v1/tickets/{old}", {"status": "solved"}).status == 200
        open_similar = ticket(s, "SAML login problem", "login loop")
        new = ticket(s, "Login loop after enabling SAML", "Our users loop on the SAML login page")
        r = s.get(f"/api/v1/tickets/{new}/suggestions")
        assert r.status == 200, r
        sug = r.json
        assert sug["articles"][0]["id"] == related["id"] and sug["articles"][0]["score"] > 0, sug
        tids = [t["id"] for t in sug["tickets"]]
        assert new not in tids and tids[0] == old and open_similar in tids, sug
        problem(s.get(f"/api/v1/tickets/{new}/suggestions", token=alice), 404)
        # link and vote
        r = s.post(f"/api/v1/tickets/{new}/articles", {"article": related["id"]}, token=agent)
        assert r.status == 201 and r.json["article"]["id"] == related["id"], r
        assert len(s.get(f"/api/v1/tickets/{new}/articles").json["items"]) == 1
        problem(s.post(f"/api/v1/tickets/{new}/articles", {"article": 999}), 422, "article")
        assert s.post(f"/api/v1/articles/{related['id']}/votes", {"helpful": True}, token=alice).status == 201
        assert s.post(f"/api/v1/articles/{related['id']}/votes", {"helpful": False}, token=agent).status == 201
        st = s.get(f"/api/v1/articles/{related['id']}/stats").json
        assert st["links"] == 1 and st["votes"] == {"helpful": 1, "not_helpful": 1}, st


def test_kb_deflection_counting():
    with Server() as s:
        agent, alice, gina = setup(s)
        a = article(s, title="Printer jams", body="Open tray two")
        # alice views and searches, then files no ticket: deflected (once 24 h pass)
        assert s.get(f"/api/v1/articles/{a['id']}", token=alice).status == 200
        search(s, "printer", tok=alice)
        # gina views, then files a ticket: not deflected
        assert s.get(f"/api/v1/articles/{a['id']}", token=gina).status == 200
        r = s.post("/api/v1/tickets", {"subject": "Printer still jams", "description": "tray two"}, token=gina)
        assert r.status == 201, r
        # agent views count as views, never as deflections
        assert s.get(f"/api/v1/articles/{a['id']}", token=agent).status == 200
        now = time.time()
        later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 2 * 86400))
        st = s.get(f"/api/v1/articles/{a['id']}/stats?as_of={later}").json
        assert st["views"] == 3 and st["deflections"] == 1, st
        st = s.get(f"/api/v1/articles/{a['id']}/stats").json
        assert st["deflections"] == 0, st  # the 24 h have not passed yet
        rep = s.get(f"/api/v1/reports/knowledge?as_of={later}").json
        assert rep["deflection"]["search"] == {"total": 1, "deflected": 1, "pending": 0}, rep
        # a period without activity still has both keys, with zeros
        empty = s.get("/api/v1/reports/knowledge?from=2000-01-01T00:00:00Z&to=2000-02-01T00:00:00Z").json
        assert empty["deflection"] == {k: {"total": 0, "deflected": 0, "pending": 0}
                                       for k in ("search", "view")}, empty
        assert rep["deflection"]["view"]["total"] == 2 and rep["deflection"]["view"]["deflected"] == 1, rep
        assert rep["authors"][0]["articles_created"] == 1


def test_kb_known_issues_public():
    with Server() as s:
        ke = article(s, type="known_error", title="Exports <stall> on Mondays", symptoms="Export spins",
                     cause="Lock contention", workaround="Retry after 10 minutes", defect="ENG-42")
        article(s, type="known_error", title="Hidden issue", visibility="internal")
        article(s, type="kb", title="Not an issue")
        r = s.get("/known-issues.json", token=None)
        assert r.status == 200, r
        items = r.json["items"]
        assert [i["id"] for i in items] == [ke["id"]] and items[0]["workaround"] == "Retry after 10 minutes"
        r = s.get("/known-issues", token=None)
        assert r.status == 200 and r.header("Content-Type").startswith("text/html"), r
        assert "Exports &lt;stall&gt; on Mondays" in r.body and "Hidden issue" not in r.body
