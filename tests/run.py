#!/usr/bin/env python3
"""Runs every test suite and ends with one line "N passed, N failed".

Suites: the C unit tests (one binary), the end-to-end tests (tests/e2e/
test_*.py, each test_* function against the real binary), the OpenAPI
document check, the browser tests of the web pages (tests/web/run.sh), and
the layering check (scripts/check_layers.py), the fuzz replay (one test per harness: every file of
fuzz/corpus/<name> and fuzz/regress/<name> through the harness built with
the standalone driver), and, with --tsan BIN, the concurrent end-to-end
tests (those marked @concurrent in tests/e2e/lib.py) again against a
ThreadSanitizer build, with the unit tests built with it (`make
check-tsan`; any report fails the test).
Usage: tests/run.py [--bin BIN --unit UNIT] [--fuzz DIR] [--tsan BIN [--tsan-unit UNIT]]
[-k SUBSTRING]"""
import argparse
import importlib.util
import os
import re
import subprocess
import sys
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_unit(path, only, suite="unit"):
    out = subprocess.run([path], capture_output=True, text=True, cwd=ROOT)
    passed = failed = 0
    for line in out.stdout.splitlines():
        m = re.match(r"^(ok|FAIL) - (\S+)$", line)
        if not m or (only and only not in f"{suite}/{m.group(2)}"):
            continue
        if m.group(1) == "ok":
            passed += 1
        else:
            failed += 1
            print(f"FAIL {suite}/{m.group(2)}")
    if out.returncode not in (0, 1) or (passed + failed == 0 and not only):
        print(out.stdout[-3000:], out.stderr[-5000:])
        failed += 1
        print(f"FAIL {suite} (runner crashed, or a sanitizer report)")
    elif out.stderr.strip() and failed:
        print(out.stderr[-5000:])
    print(f"  {suite}: {passed} ok, {failed} failing")
    return passed, failed


def run_e2e(only, suite="e2e", select=None):
    """Each test_* function of tests/e2e/test_*.py (those `select` accepts)
    against os.environ["CASEBOOK_BIN"]; named SUITE/test_file/test_name."""
    e2e_dir = os.path.join(ROOT, "tests", "e2e")
    if e2e_dir not in sys.path:
        sys.path.insert(0, e2e_dir)
    # fresh helper modules: lib.BIN is read from the environment at import
    for name, m in list(sys.modules.items()):
        if os.path.dirname(os.path.abspath(getattr(m, "__file__", None) or "/")) == e2e_dir:
            del sys.modules[name]
    passed = failed = 0
    files = sorted(f for f in os.listdir(e2e_dir) if f.startswith("test_") and f.endswith(".py"))
    for f in files:
        spec = importlib.util.spec_from_file_location(f[:-3], os.path.join(ROOT, "tests", "e2e", f))
        mod = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(mod)
        except Exception:
            traceback.print_exc()
            failed += 1
            print(f"FAIL {suite}/{f} (import)")
            continue
        for name in [n for n in dir(mod) if n.startswith("test_")]:
            full = f"{suite}/{f[:-3]}/{name}"
            if (only and only not in full) or (select and not select(getattr(mod, name))):
                continue
            t0 = time.time()
            try:
                getattr(mod, name)()
                passed += 1
                print(f"ok   {full} ({time.time() - t0:.1f}s)")
            except Exception:
                failed += 1
                print(f"FAIL {full}")
                traceback.print_exc()
    print(f"  {suite}: {passed} ok, {failed} failing")
    return passed, failed


def run_tsan(binary, unit, only):
    """tsan: the unit tests (tsan-unit/NAME) and the concurrent end-to-end
    tests (tsan/test_file/test_name) against the ThreadSanitizer build.
    halt_on_error stops a process at its first report: the unit runner then
    fails, and lib.Server raises the report from the server's stderr.
    Third-party false positives are suppressed in tests/tsan.supp."""
    if not binary:
        return 0, 0
    saved = dict(os.environ)
    os.environ["CASEBOOK_BIN"] = os.path.abspath(os.path.join(ROOT, binary))
    os.environ.setdefault("TSAN_OPTIONS", "halt_on_error=1:second_deadlock_stack=1:suppressions="
                          + os.path.join(ROOT, "tests", "tsan.supp"))
    # GLib 2.74's slice allocator hands blocks between threads under GMutex,
    # a futex ThreadSanitizer cannot see: plain malloc instead (tests/tsan.supp)
    os.environ["G_SLICE"] = "always-malloc"
    t0 = time.time()
    p = f = 0
    try:
        if unit:
            p, f = run_unit(os.path.join(ROOT, unit), only, suite="tsan-unit")
        p2, f2 = run_e2e(only, suite="tsan", select=lambda fn: getattr(fn, "concurrent", False))
        p, f = p + p2, f + f2
    finally:
        os.environ.clear()
        os.environ.update(saved)
    print(f"  tsan (unit and e2e): {time.time() - t0:.1f}s")
    return p, f


def run_openapi(only):
    script = os.path.join(ROOT, "tests", "openapi", "check.sh")
    if not os.path.exists(script) or (only and only not in "openapi"):
        return 0, 0
    out = subprocess.run(["sh", script], capture_output=True, text=True, cwd=ROOT)
    print(out.stdout[-2000:], out.stderr[-2000:])
    ok = out.returncode == 0
    print(f"{'ok  ' if ok else 'FAIL'} openapi/validate")
    return (1, 0) if ok else (0, 1)


def run_web(only):
    """web: the browser scenarios of tests/web/run.mjs (chromium driven by
    playwright-core against the real binary), one test each."""
    script = os.path.join(ROOT, "tests", "web", "run.sh")
    if not os.path.exists(script) or (only and not only.startswith("web")):
        return 0, 0
    env = dict(os.environ, K=only or "")
    t0 = time.time()
    try:
        out = subprocess.run(["sh", script, os.environ["CASEBOOK_BIN"]], capture_output=True,
                             text=True, cwd=ROOT, env=env, timeout=600)
        stdout, stderr, rc = out.stdout, out.stderr, out.returncode
    except subprocess.TimeoutExpired as e:
        stdout, stderr, rc = (e.stdout or b"").decode(), "timed out", -1
    passed = failed = 0
    for line in stdout.splitlines():
        m = re.match(r"^(ok|FAIL) - (\S+)", line)
        if m:
            ok = m.group(1) == "ok"
            passed += ok
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'} web/{m.group(2)}{line[m.end():]}")
    if failed or rc != 0:
        print(stdout[-6000:], stderr[-3000:])
    if rc != 0 and not failed:
        failed += 1
        print("FAIL web (runner)")
    print(f"  web: {passed} ok, {failed} failing ({time.time() - t0:.1f}s)")
    return passed, failed


def run_fuzz_replay(bindir, only):
    """fuzz-replay: each build/asan/fuzz/fuzz_<name> replays its seeds and past crashes."""
    if not bindir:
        return 0, 0
    names = sorted(f[len("fuzz_"):-2] for f in os.listdir(os.path.join(ROOT, "fuzz"))
                   if f.startswith("fuzz_") and f.endswith(".c"))
    passed = failed = 0
    for name in names:
        full = f"fuzz-replay/{name}"
        if only and only not in full:
            continue
        exe = os.path.join(ROOT, bindir, f"fuzz_{name}")
        dirs = [os.path.join(ROOT, "fuzz", "corpus", name), os.path.join(ROOT, "fuzz", "regress", name)]
        t0 = time.time()
        try:
            out = subprocess.run([exe] + dirs, capture_output=True, text=True, cwd=ROOT,
                                 timeout=120)
            ok = out.returncode == 0 and "ok " in out.stdout
        except (OSError, subprocess.TimeoutExpired) as e:
            out, ok = None, False
            print(f"  {full}: {e}")
        if ok:
            passed += 1
            n = out.stdout.strip().splitlines()[-1]
            print(f"ok   {full} ({n}, {time.time() - t0:.1f}s)")
        else:
            failed += 1
            if out is not None:
                print(out.stdout[-1500:], out.stderr[-5000:])
            print(f"FAIL {full}")
    print(f"  fuzz-replay: {passed} ok, {failed} failing")
    return passed, failed


def run_layers(only):
    """scripts/check_layers.py: one test per layering rule (SQL only in
    src/store/, no include cycles, libraries in their layer, prefixes that
    say the layer, tests/unit/ mirroring src/, functions that fit)."""
    if only and only not in "layers":
        return 0, 0
    out = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "check_layers.py")],
                         capture_output=True, text=True, cwd=ROOT)
    passed = failed = 0
    for line in out.stdout.splitlines():
        if line.startswith("ok - "):
            passed += 1
        elif line.startswith("FAIL - "):
            failed += 1
            print(f"FAIL layers/{line[7:]}")
        elif line.startswith("    "):
            print(line)
    if passed + failed == 0:
        print(out.stdout[-2000:], out.stderr[-2000:])
        failed += 1
    print(f"  layers: {passed} ok, {failed} failing")
    return passed, failed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", help="the binary of the unit, e2e, openapi and web suites")
    ap.add_argument("--unit", help="the unit test binary (with --bin)")
    ap.add_argument("--fuzz", help="directory of the fuzz replay binaries (build/asan/fuzz)")
    ap.add_argument("--tsan", help="the ThreadSanitizer build: runs the tsan suite against it")
    ap.add_argument("--tsan-unit", help="the unit tests built with ThreadSanitizer (with --tsan)")
    ap.add_argument("-k", default=os.environ.get("K"))
    a = ap.parse_args()
    if bool(a.bin) != bool(a.unit) or not (a.bin or a.tsan):
        ap.error("give --bin and --unit, or --tsan, or both")
    suites = []
    if a.bin:
        os.environ["CASEBOOK_BIN"] = os.path.abspath(os.path.join(ROOT, a.bin))
        os.environ.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        os.environ.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        suites += [lambda: run_layers(a.k),
                   lambda: run_unit(os.path.join(ROOT, a.unit), a.k), lambda: run_e2e(a.k),
                   lambda: run_openapi(a.k), lambda: run_web(a.k),
                   lambda: run_fuzz_replay(a.fuzz, a.k)]
    suites.append(lambda: run_tsan(a.tsan, a.tsan_unit, a.k))
    total_p = total_f = 0
    for suite in suites:
        p, f = suite()
        total_p += p
        total_f += f
    print(f"{total_p} passed, {total_f} failed")
    sys.exit(1 if total_f else 0)


if __name__ == "__main__":
    main()
