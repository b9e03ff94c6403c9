#!/usr/bin/env python3
"""Issue 6: search index throughput and search latency (bench/README.md,
"Search").

One run on one data dir, copied first (the source is never modified):
  1. opens the copy with build/casebook (migrations, 011 included: the old
     index carried over), timed;
  2. optionally rewrites every ticket's subject, description and comment
     bodies with a realistic vocabulary (--corpus realistic: Zipf-distributed
     words over a 40,000-word vocabulary with product and error names), by
     SQL;
  3. inserts --articles articles by SQL (text from the same vocabulary),
     empties the index and lists every ticket and article in search_pending;
  4. starts `casebook serve`: its background indexer indexes everything
     (the app path: stemming, one FTS row per document, batches of 500 per
     write transaction); the time from start to the server's
     "search_indexed" log line gives documents/s;
  5. GET /api/v1/search p50/p95 for 1, 2 and 3 term queries with an agent
     and a customer token (a warm-up request per query first), beside raw
     FTS5 in the same run on the same file (Python's sqlite3): (a) MATCH +
     bm25() top 20 over every match (plain FTS5 ranking), (b) the server's
     query shape with FTS5's own bm25() (window boundary, then bm25 over the
     window; bm25() still counts every match for its IDF, which the server's
     cb_rank() takes from a cache).
Prints one JSON object. Every server started is killed by pid; every step is
bounded by a timeout.
"""
import argparse, json, os, random, re, shutil, signal, sqlite3
import subprocess, sys, time

from common import PROCS, SERVE_FLAGS, Client, free_port, kill_all, stats

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("CASEBOOK_BIN") or os.path.join(ROOT, "build/casebook")
WINDOW = 1000  # CB_SEARCH_WINDOW (src/store/search.h)

WORST_QUERIES = {  # the generator's words (bench/gen.c problem texts): stems = words
    1: ["slow", "export", "webhook", "card", "sync", "crash", "okta", "seat"],
    2: ["search slow", "credit card", "slack workspace", "export audit", "webhook endpoint",
        "saml idp", "okta sync", "crash android"],
    3: ["search slow project", "credit card bank", "export full audit", "webhook endpoint order",
        "okta sync admin", "crash ios android", "saml idp tenant", "api quota plan"],
}


# ---- realistic vocabulary ----
COMMON = ("issu error fail user login page report export import sync data api account "
          "custom server servic updat instal configur set access email password time "
          "file support connect network timeout request respons applic system version "
          "databas queri perform slow crash restart upgrad migrat backup restor "
          "permiss role admin dashboard integr webhook token certif licens invoic "
          "payment billing subscript plan seat workspac project team mobil android ios "
          "browser chrome firefox window linux mac desktop notif alert schedul job "
          "queue worker cach memori disk cpu log trace").split()
PRODUCTS = ["okta", "salesforc", "slack", "jira", "zendesk", "stripe", "azur", "aws",
            "gcp", "sap", "oracl", "postgr", "mysql", "redi", "kafka", "nginx",
            "kubernet", "docker", "terraform", "github", "gitlab", "jenkin", "sentri",
            "datadog", "splunk", "twilio", "sendgrid", "hubspot", "intercom", "shopifi"]


def vocabulary(n=40000, seed=11):
    rnd = random.Random(seed)
    words = list(COMMON) + PRODUCTS + [f"e{c}" for c in rnd.sample(range(1000, 9999), 400)]
    syll = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "pe", "do", "fu", "gra", "bri",
            "sto", "ple", "xan", "qui", "wen", "yor", "hal"]
    seen = set(words)
    while len(words) < n:
        w = "".join(rnd.choice(syll) for _ in range(rnd.randint(2, 4)))
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words


class Zipf:
    def __init__(self, words, s=1.07, seed=5):
        import bisect, itertools
        self.words, self.bisect = words, bisect.bisect
        w = [1.0 / (i + 1) ** s for i in range(len(words))]
        self.cum = list(itertools.accumulate(w))
        self.rnd = random.Random(seed)

    def text(self, n):
        tot = self.cum[-1]
        return " ".join(self.words[min(len(self.words) - 1, self.bisect(self.cum, self.rnd.random() * tot))]
                        for _ in range(n))


def realistic_queries(words, seed=3):
    """1-3 term queries: a product or error name or a mid-frequency word,
    with common words (ranks 1-150) and mid words (150-5000)."""
    rnd = random.Random(seed)
    mid = words[150:5000]
    names = PRODUCTS + [w for w in words if re.fullmatch(r"e\d{4}", w)][:50]
    q = {1: [], 2: [], 3: []}
    for _ in range(8):
        q[1].append(rnd.choice(names + mid))
        q[2].append(f"{rnd.choice(names)} {rnd.choice(words[:150])}")
        q[3].append(f"{rnd.choice(names)} {rnd.choice(words[:150])} {rnd.choice(mid)}")
    return q


# ---- plumbing ----
def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def serve(data, logf):
    port = free_port()
    p = subprocess.Popen([BIN, "serve", "--data", data, "--listen", f"127.0.0.1:{port}"] + SERVE_FLAGS,
                         stdout=subprocess.PIPE, stderr=open(logf, "ab"))
    PROCS.append(p)
    line = p.stdout.readline().decode()
    if not line.startswith("listening"):
        raise RuntimeError(f"server did not start: {line!r}")
    return p, port


def stop(p):
    p.send_signal(signal.SIGTERM)
    p.wait(120)


def rewrite_realistic(db, words):
    z = Zipf(words)
    n = 0
    db.execute("BEGIN")
    for (tid,) in db.execute("SELECT id FROM tickets").fetchall():
        db.execute("UPDATE tickets SET subject = ?, description = ? WHERE id = ?",
                   (z.text(6).capitalize(), z.text(40), tid))
        n += 1
    m = 0
    rows = db.execute("SELECT id FROM events WHERE type = 'comment'").fetchall()
    for (eid,) in rows:
        db.execute("UPDATE events SET data = json_set(data, '$.body', ?) WHERE id = ?", (z.text(25), eid))
        m += 1
    db.execute("COMMIT")
    return {"tickets": n, "comments": m}


def add_articles(db, n, words):
    z = Zipf(words, seed=9)
    now = int(time.time() * 1000)
    db.execute("BEGIN")
    for i in range(n):
        db.execute("INSERT INTO articles(type, state, visibility, title, body, version, created_at,"
                   " updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
                   (["kb", "runbook", "known_error", "faq"][i % 4],
                    "published" if i % 5 else "draft", "public" if i % 2 else "internal",
                    z.text(6).capitalize(), z.text(120), now - (n - i) * 1000, now - (n - i) * 1000))
    db.execute("COMMIT")


def reset_index(db):
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'search_index'").fetchone()[0]
    db.execute("DROP TABLE search_index")
    db.execute(sql)
    db.execute("DELETE FROM search_pending")
    db.execute("INSERT INTO search_pending SELECT 1, id FROM tickets")
    db.execute("INSERT INTO search_pending SELECT 2, id FROM articles")
    return db.execute("SELECT count(*) FROM search_pending").fetchone()[0]


def raw_window(db, match, positive=True):
    """The server's SQL for one kind: window boundary, then bm25 top 21."""
    rng = "rowid > 0" if positive else "rowid < 0"
    b = db.execute(f"SELECT rowid FROM search_index WHERE search_index MATCH ? AND {rng}"
                   f" ORDER BY rowid {'DESC' if positive else 'ASC'} LIMIT 1 OFFSET ?",
                   (match, WINDOW - 1)).fetchone()
    cond = "" if not b else (f" AND rowid >= {b[0]}" if positive else f" AND rowid <= {b[0]}")
    return db.execute(f"SELECT rowid, bm25(search_index, 10.0, 1.0, 1.0, 0.0) FROM search_index"
                      f" WHERE search_index MATCH ? AND {rng}{cond} ORDER BY 2, 1 LIMIT 21",
                      (match,)).fetchall()


def timed(fn, runs):
    v = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        v.append(time.perf_counter() - t0)
    return v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True, help="a complete data dir (copied, never modified)")
    ap.add_argument("--work", required=True, help="where the copy goes (replaced)")
    ap.add_argument("--corpus", choices=["worst", "realistic"], default="worst")
    ap.add_argument("--articles", type=int, default=50000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--timeout", type=int, default=2400)
    ap.add_argument("--reuse", action="store_true",
                    help="--work is already indexed by an earlier run: only the searches")
    ap.add_argument("--window", type=int, default=0,
                    help="CASEBOOK_SEARCH_WINDOW for the server (0: its default)")
    a = ap.parse_args()
    global WINDOW
    if a.window:
        WINDOW = a.window
        os.environ["CASEBOOK_SEARCH_WINDOW"] = str(a.window)
    signal.signal(signal.SIGTERM, lambda *_: (kill_all(), sys.exit(1)))
    t_end = time.time() + a.timeout
    R = {"src": os.path.basename(a.src.rstrip("/")), "corpus": a.corpus, "window": WINDOW}
    try:
        if a.reuse:
            token = open(os.path.join(a.work, "token.txt")).read().strip()
            logf = os.path.join(a.work, "bench-server.log")
            p, port = serve(a.work, logf)
            words = vocabulary()
        else:
            shutil.rmtree(a.work, ignore_errors=True)
            t0 = time.perf_counter()
            shutil.copytree(a.src, a.work, ignore=shutil.ignore_patterns(".complete"))
            log(f"copied in {time.perf_counter() - t0:.0f} s")
            token = open(os.path.join(a.work, "token.txt")).read().strip()
            logf = os.path.join(a.work, "bench-server.log")
            pre = sqlite3.connect(os.path.join(a.work, "casebook.db")).execute("PRAGMA user_version").fetchone()[0]
            t0 = time.perf_counter()
            p, port = serve(a.work, logf)  # migrates
            R["open_with_migrations_s"] = round(time.perf_counter() - t0, 1)
            R["user_version_before"] = pre
            stop(p)
            db = sqlite3.connect(os.path.join(a.work, "casebook.db"), isolation_level=None, timeout=60)
            db.execute("PRAGMA synchronous=OFF")
            words = vocabulary()
            if a.corpus == "realistic":
                t0 = time.perf_counter()
                R["rewrite"] = rewrite_realistic(db, words)
                log(f"realistic text: {R['rewrite']} in {time.perf_counter() - t0:.0f} s")
            add_articles(db, a.articles, words)
            R["pending"] = reset_index(db)
            R["tickets"] = db.execute("SELECT count(*) FROM tickets").fetchone()[0]
            R["articles"] = db.execute("SELECT count(*) FROM articles").fetchone()[0]
            R["comments"] = db.execute("SELECT count(*) FROM events WHERE type = 'comment'").fetchone()[0]
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            db.close()
            log(f"indexing {R['pending']} documents through the app ...")
            open(logf, "w").close()
            t0 = time.perf_counter()
            p, port = serve(a.work, logf)
            while time.time() < t_end:
                m = re.search(r'\{"event":"search_index(ed|_failed)"[^\n]*', open(logf).read())
                if m:
                    break
                time.sleep(0.5)
            dt = time.perf_counter() - t0
            line = json.loads(m.group(0))
            R["index"] = {"documents": line["documents"], "server_ms": line["ms"],
                          "wall_s": round(dt, 1), "docs_per_s": round(line["documents"] / (line["ms"] / 1e3), 1),
                          "log": line}
            log(f"index: {R['index']}")
        db = sqlite3.connect(os.path.join(a.work, "casebook.db"), timeout=60)
        R["db_mb"] = round(os.path.getsize(os.path.join(a.work, "casebook.db")) / 1e6, 1)
        # a customer of the account with the most tickets
        acct, nacct = db.execute("SELECT account_id, count(*) n FROM tickets WHERE account_id IS NOT NULL"
                                 " GROUP BY account_id ORDER BY n DESC LIMIT 1").fetchone()
        email = db.execute("SELECT email FROM users WHERE role = 'customer' AND account_id = ? LIMIT 1",
                           (acct,)).fetchone()[0]
        admin = Client(port, token)
        ctok = json.loads(admin.req("POST", "/api/v1/tokens", {"user": email})[1])["token"]
        R["customer"] = {"account": acct, "account_tickets": nacct}
        cust = Client(port, ctok)
        queries = WORST_QUERIES if a.corpus == "worst" else realistic_queries(words)
        S = {}
        for nterms, qs in queries.items():
            ag, cu, rf, rw, matches = [], [], [], [], []
            for q in qs:
                match = "{title body notes} : (" + " ".join(f'"{w}"' for w in q.split()) + ")"
                matches.append(db.execute("SELECT count(*) FROM search_index WHERE search_index MATCH ?"
                                          " AND rowid > 0", (match,)).fetchone()[0])
                path = "/api/v1/search?q=" + q.replace(" ", "+")
                admin.req("GET", path)  # warm: the first request of a query pays its cold pages
                cust.req("GET", path)
                for _ in range(max(1, a.runs // len(qs))):
                    ag.append(admin.req("GET", path)[0])
                    cu.append(cust.req("GET", path)[0])
                full = ("SELECT rowid, bm25(search_index, 10.0, 1.0, 1.0, 0.0) r FROM search_index"
                        " WHERE search_index MATCH ? ORDER BY r LIMIT 20")
                rf += timed(lambda: db.execute(full, (match,)).fetchall(), max(1, a.runs // len(qs)))
                rw += timed(lambda: (raw_window(db, match, True), raw_window(db, "{title body} : (" +
                            " ".join(f'"{w}"' for w in q.split()) + ")", False)), max(1, a.runs // len(qs)))
            S[nterms] = {"queries": qs, "matches_avg": round(sum(matches) / len(matches)),
                         "matches_max": max(matches), "agent": stats(ag), "customer": stats(cu),
                         "raw_fts5_bm25_top20": stats(rf), "raw_fts5_window_bm25": stats(rw)}
            log(f"{nterms} terms: {S[nterms]}")
        R["search"] = S
        stop(p)
    finally:
        kill_all()
    print(json.dumps(R, indent=1))


if __name__ == "__main__":
    main()
