# SPDX-License-Identifier: MIT
"""tsmtest.py -- what the Python tests (test/*.py) share: the pass/fail/skip
tally and its last line "N passed, N failed[, N skipped]", the path of the
extension (dist/asan/tsm under TSM_SANITIZE=1), a connection with tsm
loaded, and the IEEE-754 bits of a float.

A script sets NAME (its own name, printed before each failure and skip),
and may add callables to AT_FINISH (run before the total line, e.g. to
stop servers).
"""
import os
import sqlite3
import struct
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SANITIZE = bool(os.environ.get("TSM_SANITIZE"))
EXT = os.path.join(ROOT, "dist", "asan" if SANITIZE else "", "tsm")

NAME = os.path.basename(sys.argv[0])
AT_FINISH = []
n_pass = n_fail = n_skip = 0


def check(name, got, want):
    """One test: passes when got == want, else prints both."""
    global n_pass, n_fail
    if got == want:
        n_pass += 1
    else:
        n_fail += 1
        print("! %s %s failed" % (NAME, name))
        print("!   expected: %s" % repr(want)[:600])
        print("!   got:      %s" % repr(got)[:600])


def skip(name, why):
    global n_skip
    n_skip += 1
    print("- %s %s skipped: %s" % (NAME, name, why))


def finish():
    """Run AT_FINISH, print the total line, exit non-zero on a failure."""
    for f in AT_FINISH:
        f()
    line = "%d passed, %d failed" % (n_pass, n_fail)
    if n_skip:
        line += ", %d skipped" % n_skip
    print(line)
    sys.exit(1 if n_fail else 0)


def ensure_asan():
    """Under TSM_SANITIZE, re-run this script with libasan preloaded (the
    sanitizer build of the extension needs its runtime loaded first).
    Returns False when that cannot be done (then skip everything)."""
    if not SANITIZE or "libasan" in os.environ.get("LD_PRELOAD", ""):
        return True
    if os.environ.get("TSM_PY_REEXEC"):
        return False
    try:
        lib = subprocess.run(["gcc", "-print-file-name=libasan.so"],
                             capture_output=True, text=True).stdout.strip()
    except OSError:
        return False
    if not lib or not os.path.isabs(lib) or not os.path.exists(lib):
        return False
    env = dict(os.environ)
    env["LD_PRELOAD"] = (lib + " " + env.get("LD_PRELOAD", "")).strip()
    env["ASAN_OPTIONS"] = ("detect_leaks=0:" + env.get("ASAN_OPTIONS", "")).rstrip(":")
    env["TSM_PY_REEXEC"] = "1"
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def bits(x):
    """IEEE-754 bits of a float as a signed 64-bit integer (like value_bits)."""
    return struct.unpack("<q", struct.pack("<d", x))[0]


def connect(path, **kw):
    """A connection to path with tsm loaded (extension loading off again)."""
    conn = sqlite3.connect(path, timeout=10, **kw)
    conn.enable_load_extension(True)
    conn.load_extension(EXT)
    conn.enable_load_extension(False)
    return conn
