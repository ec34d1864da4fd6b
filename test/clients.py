# SPDX-License-Identifier: MIT
"""clients.py -- tsm from Python's standard sqlite3 module (Debian's
/usr/bin/python3): loading, tsm_record, executemany into tsm_samples with
Python's implicit transactions, exact read-back, rollback, errors, labels.

Prints "N passed, N failed[, N skipped]" and exits non-zero on failure.
With TSM_SANITIZE=1 it loads dist/asan/tsm; Python then needs the ASan
runtime preloaded, so the script re-executes itself with LD_PRELOAD set
(or skips if there is no gcc to find libasan).
"""
import json
import math
import os
import random
import shutil
import sqlite3
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "helpers"))
from tsmtest import ROOT, SANITIZE, EXT, check, skip, finish, ensure_asan, bits, connect  # noqa: E402

TMP = os.path.join(ROOT, "build", "tmp", "clients")


def error_of(conn, sql, params=()):
    """(exception class name, message) of running sql, or None."""
    try:
        conn.execute(sql, params).fetchall()
    except sqlite3.Error as e:
        return (type(e).__name__, str(e))
    return None


def main():
    if not ensure_asan():
        skip("all", "TSM_SANITIZE=1 needs libasan preloaded and gcc was "
             "not found to locate it")
        finish()
    shutil.rmtree(TMP, ignore_errors=True)
    os.makedirs(TMP)
    path = os.path.join(TMP, "clients.db")
    conn = connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    other = connect(path)

    # 1: loading and tsm_record.  A SELECT does not open Python's implicit
    # transaction: each tsm_record() below commits on its own.
    check("1.0", conn.execute("SELECT tsm_version() GLOB '[0-9]*.[0-9]*.[0-9]*'")
          .fetchone()[0], 1)
    sid = conn.execute("SELECT tsm_record(?, ?, ?, ?)",
                       ("py_rtt_ms", 12.5, '{"wan":"b","dir":"up"}', 1000)).fetchone()[0]
    check("1.1", sid, 1)
    check("1.2", conn.in_transaction, False)
    check("1.3", other.execute("SELECT series_id, metric, labels, ts, value "
                               "FROM tsm_samples").fetchall(),
          [(1, "py_rtt_ms", '{"dir":"up","wan":"b"}', 1000, 12.5)])
    check("1.4", conn.execute("SELECT tsm_record(?, ?, NULL, ?)",
                              ('py_rtt_ms{dir="up",wan="b"}', 13, "1970-01-01T00:00:02Z"))
          .fetchone()[0], 1)
    check("1.5", other.execute("SELECT ts, value, typeof(value) FROM tsm_samples "
                               "WHERE series_id=1").fetchall(),
          [(1000, 12.5, "real"), (2000, 13.0, "real")])

    # 2: executemany of 50,000 rows in Python's implicit transaction.
    rnd = random.Random(20260125)
    specials = [0.0, -0.0, math.inf, -math.inf, 5e-324, -5e-324,
                2.2250738585072014e-308, 1.7976931348623157e308,
                0.1, 1 / 3, 2 ** 53, -(2 ** 53), 123456789.123456789]
    spellings = [  # (metric, labels) -> all the same series per host
        lambda h: ("py_load", '{"host":"%s","dc":"eu"}' % h),
        lambda h: ("py_load", '{ "dc" : "eu", "host" : "%s" }' % h),
        lambda h: ('py_load{host="%s",dc="eu"}' % h, None),
        lambda h: ('py_load{dc="eu"}', '{"host":"%s"}' % h),
        lambda h: ("py_load", '{"host":"%s","dc":"eu","empty":""}' % h),
    ]
    rows = []
    expect = {}  # canonical labels -> {ts: bits}
    t0 = 1769367559000
    for i in range(50000):
        host = "h%d" % (i % 8)
        ts = t0 + (i // 8) * 1000 + rnd.randrange(0, 1000)
        if i % 97 == 0:
            ts -= rnd.randrange(0, 10 ** 6)          # late sample
        kind = i % 5
        if kind == 0:
            v = rnd.choice(specials)
        elif kind == 1:
            v = rnd.randrange(-10 ** 6, 10 ** 6)     # Python int
        elif kind == 2:
            v = struct.unpack("<d", struct.pack("<q", rnd.getrandbits(62)))[0]
        else:
            v = round(rnd.uniform(0, 100), rnd.randrange(0, 6))
        m, l = rnd.choice(spellings)(host)
        rows.append((m, l, ts, v))
        canon = '{"dc":"eu","host":"%s"}' % host
        expect.setdefault(canon, {})[ts] = bits(float(v))   # later wins
    n_expect = sum(len(d) for d in expect.values())
    before = other.execute("SELECT count(*) FROM tsm_samples").fetchone()[0]
    t = time.time()
    conn.executemany("INSERT INTO tsm_samples(metric, labels, ts, value) "
                     "VALUES (?,?,?,?)", rows)
    t_many = time.time() - t
    check("2.0", conn.in_transaction, True)
    # this connection reads its own buffered samples; the other does not
    check("2.1", conn.execute("SELECT count(*) FROM tsm_samples WHERE metric='py_load'")
          .fetchone()[0], n_expect)
    check("2.2", other.execute("SELECT count(*) FROM tsm_samples").fetchone()[0], before)
    t = time.time()
    conn.commit()
    t_commit = time.time() - t
    check("2.3", conn.in_transaction, False)
    check("2.4", other.execute("SELECT count(*) FROM tsm_series WHERE metric='py_load'")
          .fetchone()[0], 8)
    check("2.5", sorted(r[0] for r in other.execute(
        "SELECT labels FROM tsm_series WHERE metric='py_load'")), sorted(expect))
    # every sample, bit-exact, in time order, via value_bits and via value
    bad = []
    for canon, d in sorted(expect.items()):
        want = [(ts, d[ts]) for ts in sorted(d)]
        got = other.execute("SELECT ts, value_bits FROM tsm_samples "
                            "WHERE metric='py_load' AND labels=?", (canon,)).fetchall()
        if got != want:
            bad.append(canon)
        got2 = [(ts, bits(v)) for ts, v in other.execute(
            "SELECT ts, value FROM tsm_samples WHERE metric='py_load' AND labels=?",
            (canon,))]
        if got2 != want:
            bad.append(canon + " (value)")
    check("2.6", bad, [])
    check("2.7", other.execute("SELECT sum(samples) FROM tsm_series WHERE metric='py_load'")
          .fetchone()[0], n_expect)
    check("2.8", json.loads(other.execute("SELECT tsm_stats()").fetchone()[0])["buffered"], 0)
    # an INTEGER value comes back as a REAL
    check("2.9", other.execute("SELECT typeof(value) FROM tsm_samples "
                               "WHERE metric='py_load' LIMIT 1").fetchone()[0], "real")

    # 3: rollback discards; a failed statement in a transaction discards
    # only itself.
    n0 = other.execute("SELECT count(*) FROM tsm_samples").fetchone()[0]
    conn.executemany("INSERT INTO tsm_samples(metric, labels, ts, value) VALUES (?,?,?,?)",
                     [("py_rb", None, i, i) for i in range(1000)])
    conn.execute("SELECT tsm_record('py_rb2', 1)")
    check("3.0", conn.execute("SELECT count(*) FROM tsm_samples WHERE metric='py_rb'")
          .fetchone()[0], 1000)
    conn.rollback()
    # (the SELECT ran inside the implicit transaction: rolled back too)
    check("3.1", conn.execute("SELECT count(*) FROM tsm_samples").fetchone()[0], n0)
    check("3.2", conn.execute("SELECT count(*) FROM tsm_series WHERE metric GLOB 'py_rb*'")
          .fetchone()[0], 0)
    check("3.3", other.execute("SELECT count(*) FROM tsm_samples").fetchone()[0], n0)
    # executemany stops at the bad row; the rows before it stay in the
    # transaction, the bad one records nothing
    err = None
    try:
        conn.executemany("INSERT INTO tsm_samples(metric, labels, ts, value) VALUES (?,?,?,?)",
                         [("py_part", None, i, i) for i in range(10)]
                         + [("py_part", '{"__x":"1"}', 10, 10)]
                         + [("py_part", None, i, i) for i in range(11, 20)])
    except sqlite3.Error as e:
        err = (type(e).__name__, str(e)[:5])
    check("3.4", err, ("OperationalError", "tsm: "))
    check("3.5", conn.in_transaction, True)
    conn.commit()
    check("3.6", other.execute("SELECT group_concat(ts) FROM tsm_samples WHERE metric='py_part'")
          .fetchone()[0], "0,1,2,3,4,5,6,7,8,9")
    # with conn: commits, and rolls back on an exception
    with conn:
        conn.execute("INSERT INTO tsm_samples(metric, ts, value) VALUES ('py_with', 1, 1)")
    try:
        with conn:
            conn.execute("INSERT INTO tsm_samples(metric, ts, value) VALUES ('py_with', 2, 2)")
            raise KeyError("boom")
    except KeyError:
        pass
    check("3.7", other.execute("SELECT group_concat(ts) FROM tsm_samples WHERE metric='py_with'")
          .fetchone()[0], "1")

    # closing a connection with an open transaction discards its samples
    c2 = connect(path)
    c2.executemany("INSERT INTO tsm_samples(metric, ts, value) VALUES (?,?,?)",
                   [("py_closed", i, i) for i in range(100)])
    check("3.8", c2.execute("SELECT count(*) FROM tsm_samples WHERE metric='py_closed'")
          .fetchone()[0], 100)
    c2.close()
    check("3.9", other.execute("SELECT count(*) FROM tsm_samples WHERE metric='py_closed'")
          .fetchone()[0], 0)
    check("3.10", other.execute("SELECT count(*) FROM tsm_series WHERE metric='py_closed'")
          .fetchone()[0], 0)

    # 4: errors are OperationalError "tsm: ..." and record nothing.
    n0 = other.execute("SELECT count(*) FROM tsm_samples").fetchone()[0]
    check("4.0", error_of(conn, "SELECT tsm_record('1abc', 1)"),
          ("OperationalError",
           'tsm: invalid metric name "1abc": must match [a-zA-Z_:][a-zA-Z0-9_:]*'))
    check("4.1", error_of(conn, "INSERT INTO tsm_samples(metric, ts, value) VALUES (?,?,?)",
                          ("1abc", 1, 1)),
          ("OperationalError",
           'tsm: invalid metric name "1abc": must match [a-zA-Z_:][a-zA-Z0-9_:]*'))
    conn.rollback()
    cases = [
        ("4.2", "SELECT tsm_record('ok', 1, ?)", ('{"__name__":"x"}',)),
        ("4.3", "SELECT tsm_record('ok', 1, ?)", ('{"a":1}',)),
        ("4.4", "SELECT tsm_record('ok', 1, ?)", ("not json",)),
        ("4.5", "SELECT tsm_record('ok', 1, NULL, ?)", ("yesterday",)),
        ("4.6", "SELECT tsm_record('ok', ?)", ("12",)),
        ("4.9", "SELECT tsm_record('ok', 1, NULL, ?)", (1.5,)),
        ("4.10", "SELECT tsm_record(?, 1)", (b"blob",)),
        ("4.11", "INSERT INTO tsm_samples(metric, labels, ts, value) VALUES (?,?,?,?)",
         ("ok", '{"1a":"x"}', 1, 1)),
        ("4.12", "DELETE FROM tsm_samples", ()),
        ("4.13", "SELECT tsm_record('ok{a=\"1\"', 1)", ()),
    ]
    for name, sql, params in cases:
        e = error_of(conn, sql, params)
        check(name, (e[0], e[1][:5]) if e else None, ("OperationalError", "tsm: "))
        conn.rollback()
    # None (and NaN, which SQLite binds as NULL) is "nothing measured":
    # no error, NULL result, nothing recorded
    check("4.7", conn.execute("SELECT tsm_record('ok', ?)", (None,)).fetchone()[0], None)
    check("4.8", conn.execute("SELECT tsm_record('ok', ?)", (float("nan"),)).fetchone()[0],
          None)
    conn.commit()
    check("4.20", other.execute("SELECT count(*) FROM tsm_samples").fetchone()[0], n0)
    check("4.21", other.execute("SELECT count(*) FROM tsm_series WHERE metric='ok'")
          .fetchone()[0], 0)
    # NaN goes through value_bits, with its payload
    nan_bits = 0x7ff8000000000123
    conn.executemany("INSERT INTO tsm_samples(metric, ts, value_bits) VALUES (?,?,?)",
                     [("py_nan", 1, nan_bits), ("py_nan", 2, -1), ("py_nan", 3, bits(-0.0))])
    conn.commit()
    r = other.execute("SELECT ts, value, value_bits FROM tsm_samples "
                      "WHERE metric='py_nan'").fetchall()
    check("4.22", [(ts, v is None, b) for ts, v, b in r],
          [(1, True, nan_bits), (2, True, -1), (3, False, bits(-0.0))])
    check("4.23", math.copysign(1, r[2][1]), -1.0)

    # 5: labels canonicalised: sorted keys, any spelling, UTF-8 values.
    ids = [conn.execute("SELECT tsm_record(?, 1, ?, ?)", (m, l, ts)).fetchone()[0]
           for ts, (m, l) in enumerate([
               ("py_lab", '{"zone":"b","app":"a"}'),
               ("py_lab", '{"app":"a","zone":"b"}'),
               ("py_lab", ' {\n"app" :\t"a" , "zone":"b"}'),
               ('py_lab{zone="b",app="a"}', None),
               ('py_lab{app="a"}', '{"zone":"b"}'),
               ("py_lab", '{"app":"a","zone":"b","none":""}'),
           ])]
    check("5.0", len(set(ids)), 1)
    check("5.1", other.execute("SELECT labels, samples FROM tsm_series WHERE metric='py_lab'")
          .fetchall(), [('{"app":"a","zone":"b"}', 6)])
    uni = {"host": "z\u00fcrich \u2603", "q": 'say "hi"\\', "nl": "a\nb"}
    sid = conn.execute("SELECT tsm_record('py_uni', 1, ?)", (json.dumps(uni),)).fetchone()[0]
    labels = other.execute("SELECT labels FROM tsm_series WHERE series_id=?",
                           (sid,)).fetchone()[0]
    check("5.2", json.loads(labels), uni)
    check("5.3", list(json.loads(labels)), sorted(uni))
    check("5.4", conn.execute("SELECT tsm_record('py_uni', 2, ?)",
                              (json.dumps(uni, ensure_ascii=False),)).fetchone()[0], sid)
    check("5.5", conn.execute("SELECT tsm_latest('py_uni', ?)",
                              (json.dumps(dict(reversed(list(uni.items())))),)).fetchone()[0], 2.0)

    # 6: an autocommit connection (isolation_level=None), and tsm_check.
    # (one commit per row: synchronous=NORMAL keeps the fsyncs out)
    auto = connect(path, isolation_level=None)
    auto.execute("PRAGMA synchronous=NORMAL")
    auto.executemany("INSERT INTO tsm_samples(metric, ts, value) VALUES (?,?,?)",
                     [("py_auto", i, i * 0.5) for i in range(500)])
    check("6.0", auto.in_transaction, False)
    check("6.1", other.execute("SELECT count(*), sum(value) FROM tsm_samples "
                               "WHERE metric='py_auto'").fetchone(), (500, 62375.0))
    check("6.2", other.execute("SELECT tsm_check()").fetchone()[0], "ok")
    check("6.3", conn.execute("SELECT tsm_check()").fetchone()[0], "ok")
    for c in (auto, other, conn):
        c.close()
    print("# clients.py: executemany of %d rows %.2f s, commit %.2f s"
          % (len(rows), t_many, t_commit))
    finish()


if __name__ == "__main__":
    main()
