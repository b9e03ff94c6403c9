#!/usr/bin/env python3
"""Issue 5 (KPI report latency) and issue 6 (search indexing and latency).

One run on one loaded data dir (bench/README.md, "Reports and search"):
  1. optionally `casebook report rebuild` (refills kpi_facts and the search
     index: ticket indexing throughput), timed;
  2. starts build/casebook serve --quiet on a free loopback port;
  3. POSTs --articles articles (4 client threads), timed;
  4. GET /api/v1/search p50/p95 for 1, 2 and 3 term queries, agent and
     customer token, beside raw FTS5 (MATCH + bm25 top 20, and the server's
     own candidate SQL) through Python's sqlite3 on the same file;
  5. GET /api/v1/reports/kpis over 90 days without and with group_by, beside
     the raw SQL aggregation over kpi_facts and over events.
Prints one JSON object. Every server started is killed by pid; every step
is bounded by a timeout.
"""
import argparse, json, os, random, socket, sqlite3, subprocess
import sys, threading, time

from common import PROCS, SERVE_FLAGS, Client, free_port, kill_all, stats

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("CASEBOOK_BIN", os.path.join(ROOT, "build/casebook"))

QUERIES = {  # words whose Snowball stem is the word itself (raw MATCH uses them as is)
    1: ["slow", "export", "webhook", "card", "sync", "crash", "okta", "seat"],
    2: ["search slow", "credit card", "slack workspace", "export audit", "webhook endpoint",
        "saml idp", "okta sync", "crash android"],
    3: ["search slow project", "credit card bank", "export full audit", "webhook endpoint order",
        "okta sync admin", "crash ios android", "saml idp tenant", "api quota plan"],
}
WORDS = ("search slow export webhook card sync crash okta seat saml login idp slack "
         "workspace invoice payment form rows audit csv dashboard release quota rate "
         "limit endpoint role group import users spreadsheet ios android outage").split()


def cli(args, timeout=120):
    p = subprocess.run([BIN] + args, capture_output=True, text=True, timeout=timeout)
    if p.returncode:
        raise RuntimeError(f"casebook {args[0]}: {p.stderr[-400:]}")
    return p.stdout


def timed_ms(db, sql, args=(), runs=20):
    v = []
    for _ in range(runs):
        t0 = time.perf_counter()
        db.execute(sql, args).fetchall()
        v.append(time.perf_counter() - t0)
    return v


def post_articles(port, token, n, threads=4):
    rnd = random.Random(7)
    def one(i):
        words = [rnd.choice(WORDS) for _ in range(60)]
        return {"type": ["kb", "runbook", "known_error", "faq"][i % 4],
                "title": " ".join(words[:6]).capitalize(),
                "body": " ".join(words[6:]) + f". Article {i}.",
                "visibility": "public" if i % 2 else "internal",
                "state": "published" if i % 5 else "draft"}
    bodies = [one(i) for i in range(n)]
    errs = []
    def worker(k):
        c = Client(port, token)
        try:
            for i in range(k, n, threads):
                c.req("POST", "/api/v1/articles", bodies[i])
        except Exception as e:
            errs.append(str(e))
    t0 = time.perf_counter()
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    dt = time.perf_counter() - t0
    return {"articles": n, "seconds": round(dt, 2), "per_s": round(n / dt, 1), "errors": errs[:3]}


def copy_index(dst_data, src_data, copies, nt):
    """The 1M search index without re-indexing through the app: the data dir
    was made by bench/run.py replicate() (ticket ids + k*nt), so the search
    rows of the source's first nt tickets (rowid = id*4 + part) are copied
    with rowid + k*4*nt, and its articles (rowid = id*4 + 2) once. Timed."""
    c = sqlite3.connect(os.path.join(dst_data, "casebook.db"), isolation_level=None)
    c.execute("PRAGMA synchronous=OFF")
    c.execute("PRAGMA cache_size=-262144")
    c.execute("ATTACH ? AS s", ("file:" + os.path.join(src_data, "casebook.db") + "?mode=ro",))
    t0 = time.perf_counter()
    c.execute("BEGIN")
    c.execute("DELETE FROM search_docs")
    c.execute("DELETE FROM search_fts")
    for t in ("article_versions", "articles"):
        c.execute(f"DELETE FROM {t}")
    for t in ("articles", "article_versions"):
        c.execute(f"INSERT INTO {t} SELECT * FROM s.{t}")
    c.execute("INSERT INTO search_docs SELECT * FROM s.search_docs WHERE kind = 2")
    c.execute("INSERT INTO search_fts(rowid, title, body) SELECT rowid, title, body FROM s.search_fts"
              " WHERE rowid IN (SELECT id FROM s.search_docs WHERE kind = 2)")
    for k in range(copies):
        sh = k * 4 * nt
        c.execute(f"INSERT INTO search_docs(id, kind, ref_id, part, account_id, status, type, public, at)"
                  f" SELECT id + {sh}, kind, ref_id + {k * nt}, part, account_id, status, type, public, at"
                  f" FROM s.search_docs WHERE kind = 1 AND ref_id <= {nt}")
        c.execute(f"INSERT INTO search_fts(rowid, title, body) SELECT rowid + {sh}, title, body"
                  f" FROM s.search_fts WHERE rowid < {4 * nt + 4} AND rowid % 4 IN (0, 1)")
    c.execute("COMMIT")
    dt = time.perf_counter() - t0
    n = c.execute("SELECT count(*) FROM search_docs").fetchone()[0]
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()
    return {"path": f"SQL copy of the index of {nt} tickets x{copies} + articles", "rows": n,
            "seconds": round(dt, 1), "rows_per_s": round(n / dt, 1),
            "tickets_per_s": round(copies * nt / dt, 1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--label", default="")
    ap.add_argument("--token", required=True, help="admin token of the data dir")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--articles", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--timeout", type=int, default=1500)
    ap.add_argument("--copy-index-from", help="data dir whose search index is copied (see copy_index)")
    ap.add_argument("--copies", type=int, default=10)
    ap.add_argument("--copy-tickets", type=int, default=100000)
    ap.add_argument("--only-kpis", action="store_true", help="skip articles and search (issue 5 only)")
    ap.add_argument("--no-events-ref", action="store_true", help="skip the (slow) events reference")
    a = ap.parse_args()
    threading.Timer(a.timeout, lambda: (kill_all(), os._exit(3))).start()
    R = {"label": a.label, "data": a.data}
    dbf = os.path.join(a.data, "casebook.db")
    if a.copy_index_from:
        R["copy_index"] = copy_index(a.data, a.copy_index_from, a.copies, a.copy_tickets)
    if a.rebuild:
        t0 = time.perf_counter()
        out = cli(["report", "rebuild", "--data", a.data], timeout=a.timeout)
        dt = time.perf_counter() - t0
        n = sqlite3.connect(dbf).execute("SELECT count(*) FROM tickets").fetchone()[0]
        R["rebuild"] = {"tickets": n, "seconds": round(dt, 1), "tickets_per_s": round(n / dt, 1),
                        "out": out.strip()[-200:]}
    db = sqlite3.connect(dbf)
    email, acct = db.execute("SELECT u.email, u.account_id FROM users u WHERE role='customer'"
                             " AND account_id = (SELECT account_id FROM tickets GROUP BY account_id"
                             " ORDER BY count(*) DESC LIMIT 1) LIMIT 1").fetchone()
    ctoken = cli(["token", "create", "--data", a.data, "--user", email]).strip().splitlines()[-1]
    port = free_port()
    srv = subprocess.Popen([BIN, "serve", "--data", a.data, "--listen", f"127.0.0.1:{port}"]
                           + SERVE_FLAGS, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    PROCS.append(srv)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        ag, cu = Client(port, a.token), Client(port, ctoken)
        if a.articles and not a.only_kpis:
            R["articles"] = post_articles(port, a.token, a.articles)
        db = sqlite3.connect(f"file:{dbf}?mode=ro", uri=True)
        if not a.only_kpis:
            R["index"] = {"fts_rows": db.execute("SELECT count(*) FROM search_docs").fetchone()[0],
                          "articles": db.execute("SELECT count(*) FROM articles").fetchone()[0]}
        # ---- search (issue 6)
        S = {}
        raw_top = ("SELECT rowid, bm25(search_fts, 10.0, 1.0) AS r FROM search_fts"
                   " WHERE search_fts MATCH ? ORDER BY r LIMIT 20")
        raw_srv = ("WITH m AS MATERIALIZED (SELECT rowid AS id, bm25(search_fts, 10.0, 1.0) AS r"
                   " FROM search_fts WHERE search_fts MATCH ?1) SELECT d.kind, d.ref_id, min(m.r) AS s"
                   " FROM m JOIN search_docs d ON d.id = m.id WHERE 1 GROUP BY d.kind, d.ref_id"
                   " ORDER BY s, d.kind, d.ref_id LIMIT 21")
        for nt, qs in ({} if a.only_kpis else QUERIES).items():
            row = {}
            for who, c in (("agent", ag), ("customer", cu)):
                v = []
                for i in range(a.runs):
                    q = qs[i % len(qs)]
                    v.append(c.req("GET", "/api/v1/search?q=" + q.replace(" ", "+"))[0])
                row[who] = stats(v)
            v1, v2, hits = [], [], []
            for i in range(a.runs):
                m = " ".join(f'"{w}"' for w in qs[i % len(qs)].split())
                v1 += timed_ms(db, raw_top, (m,), 1)
                v2 += timed_ms(db, raw_srv, (m,), 1)
                if i < len(qs):
                    hits.append(db.execute("SELECT count(*) FROM search_fts WHERE search_fts MATCH ?",
                                           (m,)).fetchone()[0])
            row["raw_fts_top20"], row["raw_server_sql"] = stats(v1), stats(v2)
            row["matches_median"] = sorted(hits)[len(hits) // 2]
            row["agent_vs_raw_top20"] = round(row["agent"]["p95_ms"] / row["raw_fts_top20"]["p95_ms"], 1)
            row["agent_vs_server_sql"] = round(row["agent"]["p95_ms"] / row["raw_server_sql"]["p95_ms"], 2)
            S[f"{nt}_term"] = row
        R["search"] = S
        # ---- KPIs (issue 5)
        now = int(time.time())
        frm, to = now - 90 * 86400, now
        iso = lambda s: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(s))
        K = {}
        shapes = {"none": "", "priority": "&group_by=priority", "assignee": "&group_by=assignee",
                  "tier": "&group_by=tier", "day_ny": "&bucket=day&tz=America/New_York",
                  "day_ny_priority": "&bucket=day&tz=America/New_York&group_by=priority",
                  "day_kolkata": "&bucket=day&tz=Asia/Kolkata"}
        for name, q in shapes.items():
            path = f"/api/v1/reports/kpis?from={iso(frm)}&to={iso(to)}" + q
            ag.req("GET", path)  # warm
            K[name] = stats([ag.req("GET", path)[0] for _ in range(a.runs)])
        fm, tm = frm * 1000, to * 1000
        ref_facts = ("SELECT priority, count(*), avg(v1) FROM kpi_facts WHERE kind = 2 AND span = 0"
                     " AND at >= ? AND at < ? GROUP BY priority")
        ref_facts_all = ("SELECT kind, priority, count(*), avg(v1), avg(v2), sum(flag) FROM kpi_facts"
                         " WHERE kind IN (1,2,3,4,5,6,7,8,9,10,11,12) AND span = 0 AND at >= ? AND at < ? GROUP BY kind, priority")
        ref_events = ("SELECT t.priority, count(*), avg(f.fr - t.created_at) FROM tickets t JOIN"
                      " (SELECT ticket_id, min(at) AS fr FROM events WHERE type = 'comment'"
                      " AND at >= ? AND data ->> '$.public' AND data ->> '$.side' = 'agent'"
                      " GROUP BY ticket_id) f ON f.ticket_id = t.id"
                      " WHERE t.created_at >= ? AND t.created_at < ? GROUP BY t.priority")
        K["raw_facts_frt_by_priority"] = stats(timed_ms(db, ref_facts, (fm, tm), a.runs))
        K["raw_facts_all_kinds_by_priority"] = stats(timed_ms(db, ref_facts_all, (fm, tm), a.runs))
        # what the report reads since migration 010: the hourly rollups of
        # the count/sum KPIs, and the per-ticket values of frt, ttr, mtte
        # and reopens (percentiles, distinct tickets)
        ref_rollup = ("SELECT key, sum(n), sum(created), sum(escalated), sum(solved1), sum(reopened1),"
                      " sum(decided), sum(accepted), sum(csat_n), sum(csat_sum), sum(ces_n), sum(ces_sum),"
                      " sum(fr_met), sum(fr_breached + fr_due), sum(nu_met), sum(nu_breached + nu_due),"
                      " sum(res_met), sum(res_breached + res_due) FROM kpi_rollup"
                      " WHERE dim = 1 AND hour >= ? AND hour < ? GROUP BY key")
        ref_values = ("SELECT kind, priority, count(*), avg(v1), avg(v2), sum(flag) FROM kpi_facts"
                      " WHERE kind IN (2, 3, 5, 6) AND span = 0 AND at >= ? AND at < ? GROUP BY kind, priority")
        has_rollup = db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'kpi_rollup'").fetchone()[0]
        if has_rollup:
            K["raw_rollups_by_priority"] = stats(timed_ms(db, ref_rollup, (fm, tm), a.runs))
            K["raw_value_facts_by_priority"] = stats(timed_ms(db, ref_values, (fm, tm), a.runs))
            K["rollup_rows_in_window"] = db.execute("SELECT dim, count(*) FROM kpi_rollup WHERE hour >= ?"
                                                    " AND hour < ? GROUP BY dim", (fm, tm)).fetchall()
        if not a.no_events_ref:
            K["raw_events_frt_by_priority"] = stats(timed_ms(db, ref_events, (fm, fm, tm), max(3, a.runs // 4)))
        K["facts_in_window"] = db.execute("SELECT count(*) FROM kpi_facts WHERE span = 0 AND at >= ?"
                                          " AND at < ?", (fm, tm)).fetchone()[0]
        base = K["raw_facts_all_kinds_by_priority"]["p50_ms"]
        for gb in shapes:
            K[gb]["vs_raw_facts_all_p50"] = round(K[gb]["p50_ms"] / base, 1)
            if "raw_events_frt_by_priority" in K:
                K[gb]["vs_raw_events_frt_p50"] = round(K[gb]["p50_ms"] / K["raw_events_frt_by_priority"]["p50_ms"], 3)
        R["kpis"] = K
        with open(f"/proc/{srv.pid}/status") as f:
            R["server_vmhwm"] = [l.split(":")[1].strip() for l in f if l.startswith("VmHWM")][0]
    finally:
        kill_all()
    print(json.dumps(R, indent=1))
    os._exit(0)


if __name__ == "__main__":
    try:
        main()
    except BaseException as e:
        kill_all()
        print("error:", e, file=sys.stderr)
        os._exit(1)
