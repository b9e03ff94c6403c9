"""Search index of migration 011 and the knowledge base around it: the
article_linked timeline event, portal activity recorded through the writer
queue (still counted exactly), visibility and filters inside the FTS5 MATCH
(meta tokens never match user terms), and the bounded ranking window with
paging that still reaches every match in one total order."""
import os
import time
import urllib.parse

from lib import Server, problem
from test_kb import article, keys, search, setup, ticket, token


def test_search_article_linked_event():
    with Server() as s:
        agent, alice, _ = setup(s)
        t = ticket(s, "Printer offline", "the printer is offline")
        pub = article(s, title="Printer troubleshooting", body="power cycle it")
        internal = article(s, title="Secret runbook zebra", body="x", visibility="internal",
                           type="runbook")
        for a in (pub, internal):
            r = s.post(f"/api/v1/tickets/{t}/articles", {"article": a["id"]}, token=agent)
            assert r.status == 201, r
        # linking again keeps one link and adds no event
        assert s.post(f"/api/v1/tickets/{t}/articles", {"article": pub["id"]}, token=agent).status == 201
        ev = s.get(f"/api/v1/tickets/{t}/events", token=agent).json["items"]
        linked = [e for e in ev if e["type"] == "article_linked"]
        assert [e["data"]["article"] for e in linked] == [pub["id"], internal["id"]], ev
        assert linked[0]["data"]["title"] == "Printer troubleshooting"
        assert linked[1]["data"]["visibility"] == "internal" and linked[1]["data"]["type"] == "runbook"
        assert linked[0]["actor"], linked[0]
        # a failed link writes nothing
        problem(s.post(f"/api/v1/tickets/{t}/articles", {"article": 999}, token=agent), 422, "article")
        ev2 = s.get(f"/api/v1/tickets/{t}/events", token=agent).json["items"]
        assert len(ev2) == len(ev)
        # the customer's timeline shows no link events (internal titles stay inside)
        cev = s.get(f"/api/v1/tickets/{t}/events", token=alice).json["items"]
        assert cev and not [e for e in cev if e["type"] == "article_linked"], cev
        assert "zebra" not in str(cev).lower()


def test_search_activity_queued_and_counted():
    s = Server().start()
    try:
        agent, alice, gina = setup(s)
        a = article(s, title="Printer jams", body="Open tray two")
        for _ in range(7):
            search(s, "printer", tok=alice)
        for _ in range(3):
            assert s.get(f"/api/v1/articles/{a['id']}", token=gina).status == 200
        later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2 * 86400))
        # the reads wait for the queued rows: exact counts at once
        rep = s.get(f"/api/v1/reports/knowledge?as_of={later}").json
        assert rep["deflection"]["search"] == {"total": 7, "deflected": 7, "pending": 0}, rep
        st = s.get(f"/api/v1/articles/{a['id']}/stats?as_of={later}").json
        assert st["views"] == 3 and st["deflections"] == 3, st
        # rows queued just before a clean shutdown are written, not lost
        for _ in range(5):
            search(s, "tray", tok=gina)
        assert s.stop() == 0
        s.start()
        rep = s.get(f"/api/v1/reports/knowledge?as_of={later}").json
        assert rep["deflection"]["search"]["total"] == 12, rep
    finally:
        s.stop()


def test_search_filters_and_meta_tokens():
    with Server() as s:
        agent, alice, gina = setup(s)
        acme = s.get("/api/v1/accounts").json["items"]
        acme_id = [x["id"] for x in acme if x["name"] == "acme"][0]
        t1 = ticket(s, "Walrus sync fails", "walrus data")
        t2 = ticket(s, "Walrus export", "walrus", account="globex", requester="gina@globex.test")
        assert s.patch(f"/api/v1/tickets/{t1}", {"status": "on_hold"}, token=agent).status == 200, \
            s.patch(f"/api/v1/tickets/{t1}", {"status": "on_hold"}, token=agent)
        ke = article(s, type="known_error", title="Walrus known error", body="walrus")
        rev = article(s, title="Walrus draft", body="walrus", state="in_review")
        # the index's own tokens are not searchable text, for anyone
        for q in (f"a{acme_id}", "sonhold", "sopen", "spublished", "vpublic", "tknownerror", "meta"):
            assert search(s, q, tok=agent) == [], q
            assert search(s, q, tok=alice) == [], q
        # status / state filters (values with an underscore too), type, account
        assert keys(search(s, "walrus", status="on_hold")) == [("ticket", t1)]
        assert keys(search(s, "walrus", status="in_review")) == [("article", rev["id"])]
        assert keys(search(s, "walrus", type="known_error")) == [("article", ke["id"])]
        assert keys(search(s, "walrus", account="globex")) == [("ticket", t2)]
        assert sorted(keys(search(s, "walrus", type="ticket"))) == sorted([("ticket", t1), ("ticket", t2)])
        # a customer: own account's tickets and published public articles, whatever the filters
        assert sorted(keys(search(s, "walrus", tok=alice))) == sorted([("ticket", t1), ("article", ke["id"])])
        assert search(s, "walrus", tok=alice, account="globex") == []
        assert search(s, "walrus", tok=alice, status="in_review") == []
        # time range on creation
        past = "2000-01-01T00:00:00Z"
        assert search(s, "walrus", to=past) == []
        assert len(search(s, "walrus", **{"from": past})) == 4
        problem(s.get("/api/v1/search?q=walrus&type=blog"), 400, "type")
        # an account that does not exist is no different from another's (it
        # used to match account 1: a customer of account 1, the instance's
        # default account, got their own tickets back, telling the two apart)
        default = [x for x in acme if x["id"] == 1][0]["name"]
        assert s.post("/api/v1/users", {"email": "dan@default.test", "role": "customer",
                                        "account": default}).status == 201
        dan = token(s, "dan@default.test")
        t3 = ticket(s, "Walrus at home", "walrus", account=default, requester="dan@default.test")
        assert keys(search(s, "walrus", tok=dan, type="ticket")) == [("ticket", t3)]
        assert search(s, "walrus", tok=dan, account="globex") == []
        assert search(s, "walrus", tok=dan, account="nosuch") == []


def test_search_window_ranks_newest_then_pages_everything():
    os.environ["CASEBOOK_SEARCH_WINDOW"] = "3"
    try:
        s = Server().start()
    finally:
        del os.environ["CASEBOOK_SEARCH_WINDOW"]
    try:
        agent, alice, _ = setup(s)
        # the oldest ticket is the best match (title hit); five newer body hits
        best = ticket(s, "Narwhal narwhal", "narwhal narwhal outage")
        rest = [ticket(s, f"Case {i}", f"a narwhal note {'x ' * i}") for i in range(5)]
        items = search(s, "narwhal", tok=agent, limit=50)
        got = keys(items)
        assert sorted(got) == sorted([("ticket", t) for t in [best] + rest]), got
        # the three newest are ranked by score; then the older ones newest first
        window = [t for t in rest[-3:]]
        assert sorted(k[1] for k in got[:3]) == sorted(window), got
        scores = [i["score"] for i in items[:3]]
        assert scores == sorted(scores, reverse=True), items
        assert [k[1] for k in got[3:]] == [rest[1], rest[0], best], got
        # paging with limit 1 walks the same total order, each match once
        seen, cursor = [], None
        for _ in range(10):
            qs = urllib.parse.urlencode({"q": "narwhal", "limit": 1, **({"cursor": cursor} if cursor else {})})
            page = s.get(f"/api/v1/search?{qs}", token=agent).json
            seen += keys(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                break
        assert seen == got, (seen, got)
        # a cursor far past the end: an empty page, nothing sized by it
        far = s.get("/api/v1/search?q=narwhal&cursor=c1y2p0ij32e8e7", token=agent)
        assert far.status == 200 and far.json["items"] == [], far
        # the customer's window is over their own matches only
        assert keys(search(s, "narwhal", tok=alice, limit=50)) == got
    finally:
        s.stop()
    # without the small window the old title hit ranks first
    with Server() as s2:
        setup(s2)
        best = ticket(s2, "Narwhal narwhal", "narwhal narwhal outage")
        for i in range(5):
            ticket(s2, f"Case {i}", f"a narwhal note {'x ' * i}")
        assert keys(search(s2, "narwhal"))[0] == ("ticket", best)


def test_search_plan_keeps_every_conjunct():
    """The planner reorders and nests the conjuncts (meta tokens and terms)
    by document frequency: every query still returns exactly the documents
    holding all of its terms that the caller may see, for an agent (notes
    included), a customer (own account, no internal notes, published public
    articles) and with filters, for 1 to 5 terms, a prefix and a phrase."""
    import random
    rnd = random.Random(7)
    words = ["zq1", "zq2", "zq3", "zq4", "zq5", "zq6"]
    freq = [0.9, 0.7, 0.5, 0.3, 0.2, 0.1]  # zq1 in most documents, zq6 in few
    with Server() as s:
        agent, alice, _ = setup(s)

        def fields(n):
            """n word lists; each word is in the document with its frequency,
            in one of the lists (a phrase pair may land together)"""
            out = [[] for _ in range(n)]
            for w, f in zip(words, freq):
                if rnd.random() < f:
                    out[rnd.randrange(n)].append(w)
            for o in out:
                rnd.shuffle(o)
            return out

        docs = []  # (key, texts an agent sees, texts the acme customer sees or None)
        for i in range(40):
            acct = "acme" if i % 3 else "globex"
            req = "alice@acme.test" if acct == "acme" else "gina@globex.test"
            subj, desc, pub, note = fields(4)
            t = ticket(s, "Case " + " ".join(subj), "x " + " ".join(desc), account=acct, requester=req)
            r = s.post(f"/api/v1/tickets/{t}/comments", {"body": "fyi " + " ".join(pub), "public": True},
                       token=agent)
            assert r.status == 201, r
            r = s.post(f"/api/v1/tickets/{t}/comments", {"body": "inside " + " ".join(note), "public": False},
                       token=agent)
            assert r.status == 201, r
            docs.append((("ticket", t), [subj, desc, pub, note], [subj, desc, pub] if acct == "acme" else None))
        for i in range(15):
            title, body = fields(2)
            state = "published" if i % 3 else "draft"
            vis = "public" if i % 2 else "internal"
            a = article(s, title="Note " + " ".join(title), body="x " + " ".join(body), state=state,
                        visibility=vis)
            docs.append((("article", a["id"]), [title, body],
                         [title, body] if state == "published" and vis == "public" else None))

        def has(texts, term):
            if term.endswith("*"):
                return any(w.startswith(term[:-1]) for t in texts for w in t)
            if " " in term:
                a, b = term.split()
                return any(t[i:i + 2] == [a, b] for t in texts for i in range(len(t)))
            return any(term in t for t in texts)

        queries = [["zq1"], ["zq1", "zq2"], ["zq6", "zq1"], ["zq1", "zq2", "zq3"], ["zq4", "zq1", "zq5"],
                   ["zq1", "zq2", "zq3", "zq4"], ["zq2", "zq3", "zq4", "zq5", "zq1"], ["zq3*", "zq1"],
                   ["zq1", "zq2 zq3", "zq4"]]
        for terms in queries:
            q = " ".join(f'"{t}"' if " " in t else t for t in terms)
            want_agent = sorted(k for k, ag, _ in docs if all(has(ag, t) for t in terms))
            want_alice = sorted(k for k, _, cu in docs if cu and all(has(cu, t) for t in terms))
            assert sorted(keys(search(s, q, tok=agent, limit=100))) == want_agent, (q, want_agent)
            assert sorted(keys(search(s, q, tok=alice, limit=100))) == want_alice, (q, want_alice)
            want_globex = sorted(k for k in want_agent if k[0] == "ticket" and k[1] in
                                 [d[0][1] for d in docs if d[0][0] == "ticket" and d[2] is None])
            assert sorted(keys(search(s, q, tok=agent, account="globex", limit=100))) == want_globex, q
        assert any(len(sorted(k for k, ag, _ in docs if all(has(ag, t) for t in qq))) > 3 for qq in queries[3:])
