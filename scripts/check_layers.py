#!/usr/bin/env python3
"""The layering rules of docs/architecture.md that a machine can check, as one
suite of `make test` (tests/run.py runs it; it also runs alone):

- sql: no string literal outside src/store/ holds SQL (a statement keyword
  at its start, or a clause keyword between spaces): statements are named in
  src/store/sql.h and their text lives in src/store/;
- includes: the #include graph of src/ has no cycle (file level), and no
  header outside src/store/ includes a store-private header;
- prefixes: a public function's prefix (cb_<noun>_) belongs to one layer
  (app/ modules whose noun core/, store/ or mail/ also uses take the svc
  suffix: cb_slasvc_, cb_ticketsvc_, cb_mailsvc_, cb_searchsvc_);
- libraries: sqlite3.h only in src/store/; microhttpd only in src/http/;
  GMime and libxml2 only in src/mail/; libcurl only in src/mail/, src/jobs/
  and src/auth/; core/ reads no clock and does no I/O;
- unit tests: tests/unit/ mirrors src/: every tests/unit/<path>.c but the
  runner (main.c) tests src/<path>.c (or a header-only src/<path>.h).
- functions_fit: no function in src/**/*.c is longer than 80 lines (its
  opening `{` to its closing `}` at column 0) unless the comment directly
  above it, or its first line inside, says "long: <reason>".

Prints one "ok - NAME" or "FAIL - NAME" line per rule, with the places that
break it, and exits 1 when one fails."""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "src")

STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
SQL_START = re.compile(r"^\s*(SELECT(\s+[a-z_*(]|\s*$)|INSERT\s+(OR\s+\w+\s+)?INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b|"
                       r"CREATE\s+(TABLE|INDEX|UNIQUE|VIRTUAL|TRIGGER|VIEW)\b|DROP\s+(TABLE|INDEX|TRIGGER)\b|"
                       r"ALTER\s+TABLE\b|PRAGMA\b|SAVEPOINT\b|RELEASE\b|ROLLBACK\b|COMMIT\b|BEGIN(\s+IMMEDIATE)?$|WITH\s+\w+\s+AS\b)")
SQL_CLAUSE = re.compile(r"\s(FROM\s+[a-z_]+|WHERE\s+[a-z_.]+\s*(=|<|>|IN\b|IS\b|LIKE\b|MATCH\b)|ORDER\s+BY|GROUP\s+BY|LEFT\s+JOIN|"
                        r"JOIN\s+[a-z_]+\s+\w+\s+ON)\b")


def sources():
    for d, _, files in os.walk(SRC):
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                p = os.path.join(d, f)
                yield os.path.relpath(p, ROOT), open(p, encoding="utf-8", errors="replace").read()


def strip_comments(text):
    return re.sub(r"/\*.*?\*/|//[^\n]*", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)


def check_sql(files):
    bad = []
    for path, text in files:
        if path.startswith("src/store/"):
            continue
        code = strip_comments(text)
        for n, line in enumerate(code.split("\n"), 1):
            for m in STRING.finditer(line):
                s = m.group(1)
                if SQL_START.search(s) or SQL_CLAUSE.search(s):
                    bad.append(f"{path}:{n}: {s[:70]}")
    return bad


def includes(files):
    graph = {}
    for path, text in files:
        deps = []
        for m in re.finditer(r'^\s*#\s*include\s+"([^"]+)"', strip_comments(text), re.M):
            target = os.path.join("src", m.group(1))
            if os.path.exists(os.path.join(ROOT, target)):
                deps.append(target)
        graph[path] = deps
    return graph


def check_cycles(files):
    """File-level include cycles, and cycles between the .c/.h pairs of
    modules (a module = a .c with its .h: a.c includes b.h and b.c includes
    a.h is a cycle of modules)."""
    graph = includes(files)
    mod = lambda p: p[:-2]
    mgraph = {}
    for p, deps in graph.items():
        mgraph.setdefault(mod(p), set()).update(mod(d) for d in deps if mod(d) != mod(p))
    bad = []
    color = {}
    stack = []

    def visit(n):
        color[n] = 1
        stack.append(n)
        for m in sorted(mgraph.get(n, ())):
            if color.get(m) == 1:
                cyc = stack[stack.index(m):] + [m]
                bad.append(" -> ".join(cyc))
            elif not color.get(m):
                visit(m)
        stack.pop()
        color[n] = 2

    for n in sorted(mgraph):
        if not color.get(n):
            visit(n)
    return bad


LIBS = [
    (r'#include\s*[<"](sqlite3|libpq-fe)\.h', ("src/store/",), "the database client"),
    (r'#include\s*[<"]microhttpd\.h', ("src/http/",), "the HTTP server library"),
    (r'#include\s*[<"]gmime/', ("src/mail/",), "GMime"),
    (r'#include\s*[<"]libxml/', ("src/mail/",), "libxml2"),
    (r'#include\s*[<"]curl/curl\.h', ("src/mail/", "src/jobs/", "src/auth/"), "libcurl"),
    (r'#include\s*"store/(internal|sql_cols|sql_rollup)\.h"', ("src/store/",), "a store-private header"),
]


def check_libs(files):
    bad = []
    for path, text in files:
        for pat, allowed, what in LIBS:
            if re.search(pat, text) and not path.startswith(allowed):
                bad.append(f"{path} includes {what} (only {', '.join(allowed)} may)")
        if path.startswith("src/core/") and path.endswith(".c"):
            if re.search(r"\b(time\(|clock_gettime|gettimeofday|fopen|socket\(|sqlite3_)", strip_comments(text)):
                bad.append(f"{path} (core/) reads the clock or does I/O")
    return bad


def check_prefixes(files):
    """The cb_<noun>_ prefix of each function a header declares, by layer
    (the first folder under src/): a prefix in two layers is ambiguous."""
    seen = {}
    decl = re.compile(r"^[A-Za-z_][\w \t*]*?\b(cb_[a-z0-9]+)_\w*\s*\(", re.M)
    for path, text in files:
        if not path.endswith(".h"):
            continue
        layer = path.split("/")[1]
        for m in decl.finditer(strip_comments(text)):
            seen.setdefault(m.group(1) + "_", {}).setdefault(layer, path)
    return [f"{p} is used by {', '.join(f'{l} ({w})' for l, w in sorted(ls.items()))}"
            for p, ls in sorted(seen.items()) if len(ls) > 1]


def check_unit_tests(files):
    """tests/unit/ mirrors src/: each test file is named after the source it
    tests, so a new file cannot drift from the layout."""
    unit = os.path.join(ROOT, "tests", "unit")
    bad = []
    for d, _, names in os.walk(unit):
        for f in sorted(names):
            if not f.endswith(".c"):
                continue
            rel = os.path.relpath(os.path.join(d, f), unit)
            if rel == "main.c":
                continue
            src = os.path.join(SRC, rel)
            if not (os.path.exists(src) or os.path.exists(src[:-2] + ".h")):
                bad.append(f"tests/unit/{rel} names no src/{rel} (nor src/{rel[:-2]}.h)")
    return sorted(bad)


MAX_FUNCTION_LINES = 80
LONG_REASON = re.compile(r"\blong:\s*\S")


def comment_above(lines, i):
    """The comment block that ends on line i (0-based), or ""."""
    if i < 0:
        return ""
    if lines[i].lstrip().startswith("//"):
        j = i
        while j - 1 >= 0 and lines[j - 1].lstrip().startswith("//"):
            j -= 1
        return "\n".join(lines[j:i + 1])
    if not lines[i].rstrip().endswith("*/"):
        return ""
    j = i
    while j >= 0 and "/*" not in lines[j]:
        j -= 1
    return "\n".join(lines[max(j, 0):i + 1])


def comment_below(lines, i):
    """The comment block that starts on line i (0-based), or ""."""
    if i >= len(lines):
        return ""
    head = lines[i].lstrip()
    if head.startswith("//"):
        return lines[i]
    if not head.startswith("/*"):
        return ""
    j = i
    while j < len(lines) and "*/" not in lines[j]:
        j += 1
    return "\n".join(lines[i:j + 1])


def check_function_length(files):
    """Function definitions (a `{` at column 0 after the signature, which
    starts at column 0 and continues on indented lines) longer than
    MAX_FUNCTION_LINES, counted from the `{` line to the `}` at column 0."""
    bad = []
    for path, text in files:
        if not path.endswith(".c"):
            continue
        lines = text.split("\n")
        for i, line in enumerate(lines):
            if not line.startswith("{"):
                continue
            start = i - 1
            while start > 0 and lines[start][:1] in (" ", "\t"):
                start -= 1
            end = i + 1
            while end < len(lines) and not lines[end].startswith("}"):
                end += 1
            length = end - i + 1
            if length <= MAX_FUNCTION_LINES:
                continue
            m = re.search(r"(\w+)\s*\(", " ".join(lines[start:i]))
            name = m.group(1) if m else "?"
            if LONG_REASON.search(comment_above(lines, start - 1)) or \
               LONG_REASON.search(comment_below(lines, i + 1)):
                continue
            bad.append(f"{path}:{start + 1} {name} ({length} lines)")
    return bad


def main():
    files = list(sources())
    failed = 0
    for name, fn in [("sql_only_in_store", check_sql), ("no_include_cycles", check_cycles),
                     ("libraries_in_their_layer", check_libs),
                     ("prefixes_say_the_layer", check_prefixes),
                     ("unit_tests_mirror_src", check_unit_tests),
                     ("functions_fit", check_function_length)]:
        bad = fn(files)
        if bad:
            failed += 1
            print(f"FAIL - {name}")
            for b in bad[:40]:
                print(f"    {b}")
            if len(bad) > 40:
                print(f"    ... and {len(bad) - 40} more")
        else:
            print(f"ok - {name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
