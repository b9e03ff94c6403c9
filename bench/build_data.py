#!/usr/bin/env python3
"""Builds the shared benchmark data dirs once: build/bench/data-100k (gen
output imported through the API, exactly as bench/run.py does) and
build/bench/data-1m (10 copies of it, run.py's replicate()). Each gets a
`token.txt` (admin token) and, when finished, a `.complete` marker; a dir that
is already complete is left alone. Run it under the benchmark lock:

    flock /tmp/casebook-bench.lock timeout 3000 python3 bench/build_data.py

Consumers copy a complete dir before mutating it (never in place).
CASEBOOK_BIN picks the binary that creates and imports (default
build/casebook); its migrations are the ones the dirs are left at.
"""
import os, shutil, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402

if os.environ.get("CASEBOOK_BIN"):
    run.BIN = os.environ["CASEBOOK_BIN"]
run.WORK = os.path.join(run.OUT, "work-data")
D100 = os.path.join(run.OUT, "data-100k")
D1M = os.path.join(run.OUT, "data-1m")


def complete(d):
    return os.path.exists(os.path.join(d, ".complete"))


def main():
    n = int(os.environ.get("N", "100000"))
    if not complete(D100):
        shutil.rmtree(D100, ignore_errors=True)
        nd, dj = run.generate(n, "100k")
        data, token = run.init_dir("100k")
        srv = run.Server(data).start()
        cl = run.Client(srv.port, token)
        run.setup_directory(cl, dj)
        run.log(f"import {n} tickets through the API ...")
        imp = run.import_api(cl, nd)
        run.log(f"import: {imp}")
        run.wait_jobs_drained(data)
        srv.stop()
        shutil.copytree(data, D100)
        with open(os.path.join(D100, "token.txt"), "w") as f:
            f.write(token + "\n")
        open(os.path.join(D100, ".complete"), "w").close()
        shutil.rmtree(run.WORK, ignore_errors=True)
    if not complete(D1M):
        shutil.rmtree(D1M, ignore_errors=True)
        fig = run.replicate(os.path.join(D100, "casebook.db"), D1M, 10)
        run.log(f"replicate: {fig}")
        shutil.copy(os.path.join(D100, "token.txt"), os.path.join(D1M, "token.txt"))
        open(os.path.join(D1M, ".complete"), "w").close()
    run.log("data dirs complete")


if __name__ == "__main__":
    main()
