"""Long CLI work shows its progress on a terminal (cli/progress.c): run
under a pseudo-terminal, import, export (tickets and --all), import --all,
demo, check, report rebuild, backup and restore write a progress line with
counts and a rate to stderr, closed by a summary; with stderr not a
terminal they write nothing to it, and stdout is the same either way."""
import json
import os
import pty
import re
import shutil
import subprocess
import tempfile

from lib import BIN

# "\r\x1b[K<what>: <done> <unit> in <time>, <rate> <unit>/s\n" ends every progress line
SUMMARY = re.compile(r"\r\x1b\[K([a-z ]+): ([\d,]+) (\w+) in [^,]+, ([\d,]+) \w+/s\r?\n")
UPDATE = re.compile(r"\r\x1b\[K([a-z ]+): ([\d,]+)/([\d,]+) (\w+) \((\d+)%\), [\d,]+ \w+/s")


def on_tty(*args):
    """Runs BIN with stderr on a pseudo-terminal: (code, stdout, stderr)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([BIN] + list(args), stdout=subprocess.PIPE, stderr=slave,
                         stdin=subprocess.DEVNULL)
    os.close(slave)
    err = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        err += chunk
    out = p.stdout.read()
    p.stdout.close()
    code = p.wait(timeout=300)
    os.close(master)
    return code, out.decode(), err.decode()


def piped(*args):
    r = subprocess.run([BIN] + list(args), capture_output=True, text=True, timeout=300,
                       stdin=subprocess.DEVNULL)
    return r.returncode, r.stdout, r.stderr


def test_progress_on_a_terminal_only():
    tmp = tempfile.mkdtemp(prefix="cb-progress-")
    try:
        d = os.path.join(tmp, "d")
        assert piped("init", "--data", d)[0] == 0
        steps = [
            (("demo", "--data", d, "--tickets", "250"), "loading demo data", "tickets", 250),
            (("export", "--data", d, os.path.join(tmp, "t.ndjson")), "exporting", "tickets", 250),
            (("export", "--all", "--data", d, os.path.join(tmp, "all.ndjson")), "exporting", "lines", None),
            (("check", "--data", d), "checking", "tickets", 250),
            (("report", "rebuild", "--data", d), "rebuilding", "tickets", 250),
            (("backup", "--data", d, os.path.join(tmp, "b.db")), "backing up", "pages", None),
            (("restore", "--data", os.path.join(tmp, "r"), os.path.join(tmp, "b.db")), "restoring", "pages", None),
            (("import", "--all", "--data", os.path.join(tmp, "n"), os.path.join(tmp, "all.ndjson")),
             "importing", "lines", None),
        ]
        for args, what, unit, count in steps:
            code, out, err = on_tty(*args)
            assert code == 0, (args, out, err)
            s = SUMMARY.search(err)
            assert s and s.group(1) == what and s.group(3) == unit, (args, err)
            if count is not None:
                assert s.group(2) == f"{count:,}", (args, err)
            # every update is of the same work, never past its total
            for u in UPDATE.finditer(err):
                assert u.group(1) == what and u.group(4) == unit, (args, err)
                done, total = int(u.group(2).replace(",", "")), int(u.group(3).replace(",", ""))
                assert done <= total and int(u.group(5)) == 100 * done // total, (args, u.group(0))
            assert err.endswith("\n") and "\r\x1b[K" in err
        # the export's total is known: its updates carry it
        code, out, err = on_tty("export", "--data", d, os.path.join(tmp, "t2.ndjson"))
        assert any(u.group(3) == "250" for u in UPDATE.finditer(err)), err

        # ticket import: its own line count as the total
        lines = [json.loads(l) for l in open(os.path.join(tmp, "t.ndjson"))][:40]

        def again(prefix):  # the same tickets under new external ids
            path = os.path.join(tmp, prefix + ".ndjson")
            with open(path, "w") as f:
                for t in lines:
                    f.write(json.dumps(dict(t, external_id=prefix + t["external_id"])) + "\n")
            return path
        code, out, err = on_tty("import", "--data", d, "--batch", "7", again("tty-"))
        assert code == 0 and out == "imported 40, failed 0\n", (out, err)
        s = SUMMARY.search(err)
        assert s and s.group(1) == "importing" and s.group(2) == "40" and s.group(3) == "lines", err
        assert "7/40 lines (17%)" in err, err  # the first batch is drawn at once

        # not a terminal: not a byte on stderr, the same stdout
        for args in (("check", "--data", d), ("export", "--data", d, os.path.join(tmp, "t3.ndjson")),
                     ("report", "rebuild", "--data", d),
                     ("backup", "--data", d, os.path.join(tmp, "b2.db")),
                     ("restore", "--data", os.path.join(tmp, "r2"), os.path.join(tmp, "b2.db")),
                     ("export", "--all", "--data", d, os.path.join(tmp, "all2.ndjson")),
                     ("import", "--all", "--data", os.path.join(tmp, "n2"), os.path.join(tmp, "all2.ndjson"))):
            code, out, err = piped(*args)
            assert code == 0 and err == "", (args, err)
        assert piped("check", "--data", d)[1] == on_tty("check", "--data", d)[1]
        c = os.path.join(tmp, "c")
        assert piped("init", "--data", c)[0] == 0
        code, out, err = piped("demo", "--data", c, "--tickets", "20")
        assert code == 0 and err == "", err
        code, out, err = piped("import", "--data", d, again("pipe-"))
        assert code == 0 and out == "imported 40, failed 0\n" and err == "", err
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
