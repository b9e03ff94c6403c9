#!/usr/bin/env python3
"""List and queue pages, two builds in the same run (bench/README.md).

    python3 bench/pages.py --old OLD_BINARY [--new build/casebook]

Generates and imports a data set of SIZE tickets (the same generator, seed,
directory and import path as run.py) once, with the new binary, then serves
a copy of it with each binary in turn (old, new, new, old: a drift of the
machine between the two shows up as a difference between the rounds) and
measures the read pages of run.py with wrk (DUR seconds per figure, CONNS
clients): GET /api/v1/tickets?status=open and the all_open, at_risk and
breached queues (50 tickets a page), plus GET /api/v1/tickets/{random id}
as a control. Prints a markdown table of requests/s and p99 per build and
the ratio new/old (mean of the two rounds); raw figures go to
build/bench/pages-<date>.json. Nothing is written to docs/.
"""
import argparse
import datetime
import json
import os
import shutil
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (the suite's helpers: generator, import, server, wrk)

NAMES = ["list", "all_open", "at_risk", "breached", "get"]


def load(binary, data, token, files, conns):
    run.BIN = binary
    srv = run.Server(data).start()
    try:
        run.warm_up(srv, token, files, NAMES)
        return run.load_matrix(srv, token, files, NAMES, conns)
    finally:
        srv.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", required=True, help="the binary built before the change")
    ap.add_argument("--new", default=run.BIN)
    a = ap.parse_args()
    old, new = os.path.abspath(a.old), os.path.abspath(a.new)
    for b in (old, new, run.GEN):
        if not os.access(b, os.X_OK):
            sys.exit(f"pages.py: {b} missing")
    signal.signal(signal.SIGTERM, run.on_signal)
    signal.signal(signal.SIGINT, run.on_signal)
    threading.Thread(target=run.watchdog, daemon=True).start()
    run.BIN = new
    nd, dj = run.generate(run.SIZE, run.SIZE_S)
    data, token = run.init_dir(run.SIZE_S)
    srv = run.Server(data).start()
    cl = run.Client(srv.port, token)
    run.setup_directory(cl, dj)
    run.log(f"import {run.SIZE} tickets ...")
    imp = run.import_api(cl, nd)
    run.wait_jobs_drained(data)
    facts = run.db_facts(data)
    srv.stop()
    run.log(f"data set: {facts}")
    files = run.id_files(data, run.SIZE_S)
    R = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
         "commit": run.git_commit(), "size": run.SIZE, "dur_s": run.DUR, "conns": run.CONNS,
         "import": imp, "dataset": facts, "old": [], "new": []}
    for rnd, (label, binary) in enumerate([("old", old), ("new", new), ("new", new), ("old", old)]):
        # each build serves its own copy of the imported data (the servers
        # write nothing on reads, but timers and caches start alike)
        d = os.path.join(run.WORK, f"pages-{rnd}")
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(data, d)
        run.log(f"round {rnd}: {label} ({binary})")
        R[label].append(load(binary, d, token, files, run.CONNS))
        shutil.rmtree(d, ignore_errors=True)
    lines = ["| page | clients | old req/s | new req/s | new/old | old p99 ms | new p99 ms |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name in NAMES:
        for c in run.CONNS:
            o = [r[name][c] for r in R["old"]]
            n = [r[name][c] for r in R["new"]]
            orps = sum(x["rps"] for x in o) / len(o)
            nrps = sum(x["rps"] for x in n) / len(n)
            op99 = sum(x["p99_us"] for x in o) / len(o) / 1000
            np99 = sum(x["p99_us"] for x in n) / len(n) / 1000
            lines.append(f"| {name} | {c} | {orps:,.0f} | {nrps:,.0f} | {nrps / orps:.2f} |"
                         f" {op99:.1f} | {np99:.1f} |")
    table = "\n".join(lines)
    print(table)
    out = os.path.join(run.OUT, f"pages-{time.strftime('%Y%m%d-%H%M%S')}.json")
    with open(out, "w") as f:
        json.dump(R, f, indent=1, default=str)
    run.log(f"raw figures: {out}")
    if not run.KEEP:
        shutil.rmtree(run.WORK, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    finally:
        run.kill_all()
