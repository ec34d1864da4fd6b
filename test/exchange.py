# SPDX-License-Identifier: MIT
"""exchange.py -- tsm_export, tsm_import and tools/tsm-ship.sh against the
real servers, each started here on 127.0.0.1 with its own temporary data
directory and a free port, and stopped at the end:

  1. VictoriaMetrics: 'jsonl' to /api/v1/import and 'remote_write' to
     /api/v1/write, read back with /api/v1/export: every sample bit-exact
     (VictoriaMetrics keeps 12 significant digits, so the values here have
     at most 10); then its /api/v1/export into tsm_import(.., 'jsonl').
  2. Prometheus with --web.enable-remote-write-receiver: 'remote_write',
     then /api/v1/query_range agrees with tsm_query on counts and sums.
  3. promtool tsdb create-blocks-from openmetrics takes 'openmetrics', and
     promtool tsdb dump shows every sample bit-exact (-0, 5e-324, 1e308,
     the infinities, NaN).
  4. InfluxDB 1.6: 'influx' to /write, read back with InfluxQL; and line
     protocol written to InfluxDB and to tsm_import reads back equal.
  5. node_exporter's /metrics into tsm_import(.., 'prometheus').
  6. tools/tsm-ship.sh to VictoriaMetrics: ship, record more (late samples,
     an offline device's backlog), kill the server in the middle of a run,
     restart, ship again: the server holds every sample exactly once.

A part whose program is missing is skipped with the reason.  Prints
"N passed, N failed[, N skipped]".
"""
import json
import math
import os
import random
import shutil
import socket
import subprocess
import struct
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "helpers"))
import tsmtest  # noqa: E402
from tsmtest import ROOT, SANITIZE, EXT, check, skip, finish, bits  # noqa: E402

TMP = os.path.join(ROOT, "build", "tmp", "exchange")
procs = []
tsmtest.AT_FINISH.append(lambda: [stop(p) for p in procs])


def connect(path):
    return tsmtest.connect(path, isolation_level=None)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http(url, data=None, headers=None, method=None):
    """(status, body bytes); status 0 when the server cannot be reached."""
    req = urllib.request.Request(url, data=data, headers=headers or {},
                                 method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (urllib.error.URLError, ConnectionError, socket.timeout):
        return 0, b""


def start(name, argv, ready_url):
    """Start a server; wait until ready_url answers 2xx (up to 60 s)."""
    log = open(os.path.join(TMP, name + ".log"), "ab")
    p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    procs.append(p)
    for _ in range(600):
        if p.poll() is not None:
            break
        code, _ = http(ready_url)
        if 200 <= code < 300:
            return p
        time.sleep(0.1)
    print("! exchange.py: %s did not start; see %s" % (name, log.name))
    stop(p)
    return None


def stop(p):
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def canon(labels):
    """Canonical key of a label dict (empty values are absent)."""
    return json.dumps({k: v for k, v in sorted(labels.items()) if v != ""},
                      ensure_ascii=False, separators=(",", ":"))


def tsm_samples(conn, where, params=()):
    """{(metric, labels): [(ts, bits), ...]} of the store, in time order."""
    out = {}
    for m, l, ts, b in conn.execute(
            "SELECT metric, labels, ts, value_bits FROM tsm_samples WHERE "
            + where + " ORDER BY series_id, ts", params):
        out.setdefault((m, canon(json.loads(l))), []).append((ts, b))
    return out


def export(conn, sel, start, end, fmt):
    rows = conn.execute("SELECT data FROM tsm_export(?, ?, ?, ?)",
                        (sel, start, end, fmt)).fetchall()
    return [r[0] for r in rows]


def parse_vm_export(text):
    out = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        d = json.loads(line)
        labels = dict(d["metric"])
        name = labels.pop("__name__")
        s = out.setdefault((name, canon(labels)), [])
        s.extend((t, bits(float(v))) for t, v in zip(d["timestamps"], d["values"]))
    for s in out.values():
        s.sort()
    return out


NOW = int(time.time() * 1000)
BASE = NOW - 50 * 60 * 1000           # Prometheus takes the last hour only
rnd = random.Random(15)


def fill(conn, prefix, odd=True):
    """Three gauges and two counters every 5 s over 50 minutes; values with
    at most 10 significant digits; never on a whole second (bucket edges).
    With odd, one more series whose label needs escaping everywhere."""
    rows = []
    for h in range(3):
        labels = json.dumps({"host": "h%d" % h, "path": 'a "q", b=c d/é'})
        for i in range(600):
            rows.append((prefix + "_gauge", labels, BASE + i * 5000 + 137 + h,
                         round(rnd.uniform(-1000, 1000), 6)))
    for code in ("200", "500"):
        c = 0
        for i in range(600):
            c += rnd.randint(0, 50)
            rows.append((prefix + "_requests_total", json.dumps({"code": code}),
                         BASE + i * 5000 + 411, c))
    if odd:
        for i in range(10):
            rows.append((prefix + "_odd", json.dumps({"v": 'x\\y\nz"'}),
                         BASE + i * 60000 + 7, i * 0.25))
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO tsm_samples(metric, labels, ts, value) "
                     "VALUES (?, ?, ?, ?)", rows)
    conn.execute("COMMIT")
    return len(rows)


def which(name):
    return shutil.which(name)


RW_HEADERS = {"Content-Type": "application/x-protobuf",
              "Content-Encoding": "snappy",
              "X-Prometheus-Remote-Write-Version": "0.1.0"}


# ---------------------------------------------------------------------------
def part_vm(conn):
    if not which("victoria-metrics"):
        return skip("1", "victoria-metrics not installed (Debian package victoria-metrics; .ci/run installs it)")
    port = free_port()
    url = "http://127.0.0.1:%d" % port
    vm = start("vm", ["victoria-metrics", "-storageDataPath=" + os.path.join(TMP, "vm"),
                      "-httpListenAddr=127.0.0.1:%d" % port, "-retentionPeriod=100y",
                      "-search.disableCache"], url + "/health")
    if vm is None:
        return check("1.0 start", False, True)
    fill(conn, "vj")
    fill(conn, "vr")
    # 1.1 jsonl to /api/v1/import
    body = "".join(export(conn, "{__name__=~\"vj_.*\"}", 0, NOW, "jsonl"))
    check("1.1", http(url + "/api/v1/import", body.encode())[0], 204)
    # 1.2 remote_write to /api/v1/write, request by request
    reqs = export(conn, "{__name__=~\"vr_.*\"}", 0, NOW, "remote_write")
    codes = {http(url + "/api/v1/write", r, RW_HEADERS)[0] for r in reqs}
    check("1.2", codes, {204})
    http(url + "/internal/force_flush")
    q = urllib.parse.urlencode({"match[]": '{__name__=~"vj_.*|vr_.*"}',
                                "start": BASE // 1000 - 10, "end": NOW // 1000 + 10})
    code, text = http(url + "/api/v1/export?" + q)
    got = parse_vm_export(text.decode())
    want = tsm_samples(conn, "metric GLOB 'v[jr]_*'")
    check("1.3 every sample bit-exact", got, want)
    check("1.4", sum(len(s) for s in got.values()), 2 * 3010)
    # 1.5 VictoriaMetrics' export into tsm_import: equal to the source
    other = connect(os.path.join(TMP, "vm_import.db"))
    n = other.execute("SELECT tsm_import(?, 'jsonl')", (text.decode(),)).fetchone()[0]
    check("1.5", n, 2 * 3010)
    check("1.6", tsm_samples(other, "1"), got)
    other.close()
    stop(vm)


# ---------------------------------------------------------------------------
def part_prometheus(conn):
    if not which("prometheus"):
        return skip("2", "prometheus not installed (Debian package prometheus; .ci/run installs it)")
    port = free_port()
    url = "http://127.0.0.1:%d" % port
    cfg = os.path.join(TMP, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 1h\nscrape_configs: []\n")
    prom = start("prometheus", ["prometheus", "--config.file=" + cfg,
                                "--storage.tsdb.path=" + os.path.join(TMP, "prom"),
                                "--web.listen-address=127.0.0.1:%d" % port,
                                "--web.enable-remote-write-receiver"],
                 url + "/-/ready")
    if prom is None:
        return check("2.0 start", False, True)
    fill(conn, "pr", odd=False)
    reqs = export(conn, "{__name__=~\"pr_.*\"}", 0, NOW, "remote_write")
    check("2.1 requests", len(reqs) >= 1, True)
    codes = {http(url + "/api/v1/write", r, RW_HEADERS)[0] for r in reqs}
    check("2.2", codes, {204})
    step = 600000
    t0 = BASE // step * step
    t1 = (NOW // step + 1) * step
    for metric in ("pr_gauge", "pr_requests_total"):
        want = {}
        for l, ts, c, s in conn.execute(
                "SELECT labels, ts, count, sum FROM tsm_query(?, ?, ?, ?)",
                (metric, t0, t1, step)):
            # tsm's bucket [ts, ts+step) is PromQL's (t-step, t] at t=ts+step:
            # no sample sits on an edge
            want[(canon(json.loads(l)), ts + step)] = (c, s)
        got = {}
        for fn in ("count_over_time", "sum_over_time"):
            q = urllib.parse.urlencode({"query": "%s(%s[10m])" % (fn, metric),
                                        "start": (t0 + step) / 1000,
                                        "end": t1 / 1000, "step": step / 1000})
            code, body = http(url + "/api/v1/query_range?" + q)
            for r in json.loads(body)["data"]["result"]:
                for t, v in r["values"]:
                    got.setdefault((canon(r["metric"]), int(round(t * 1000))), {})[fn] = float(v)
        got = {k: (int(v["count_over_time"]), v["sum_over_time"])
               for k, v in got.items() if v.get("count_over_time")}
        check("2.3 %s buckets" % metric, sorted(got), sorted(want))
        bad = [k for k in want if k in got and (got[k][0] != want[k][0] or
               not math.isclose(got[k][1], want[k][1], rel_tol=1e-12, abs_tol=1e-9))]
        check("2.4 %s counts and sums" % metric, bad, [])
        check("2.5 %s samples" % metric, sum(c for c, s in got.values()),
              conn.execute("SELECT count(*) FROM tsm_samples WHERE metric=?",
                           (metric,)).fetchone()[0])
    stop(prom)


# ---------------------------------------------------------------------------
def part_promtool(conn):
    if not which("promtool"):
        return skip("3", "promtool not installed (Debian package prometheus; .ci/run installs it)")
    fill(conn, "om")
    specials = [0.0, -0.0, 5e-324, -5e-324, 1.7976931348623157e308, 1e-300,
                math.inf, -math.inf, 0.1, 1 / 3, 123456789.123456789, 2.0 ** 60]
    conn.execute("BEGIN")
    for i, v in enumerate(specials):
        conn.execute("SELECT tsm_record('om_special', ?, NULL, ?)", (v, BASE + i * 1000 + 999))
    conn.execute("INSERT INTO tsm_samples(metric, ts, value_bits) VALUES "
                 "('om_special', ?, 0x7ff8000000000000)", (BASE + 60000 + 1,))
    conn.execute("COMMIT")
    text = "".join(export(conn, "{__name__=~\"om_.*\"}", 0, NOW, "openmetrics"))
    check("3.1 ends with # EOF", text.endswith("# EOF\n"), True)
    src = os.path.join(TMP, "export.om")
    with open(src, "w", encoding="utf-8") as f:
        f.write(text)
    blocks = os.path.join(TMP, "blocks")
    r = subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", src, blocks],
                       capture_output=True, text=True)
    check("3.2 create-blocks-from", (r.returncode, r.stderr[-300:]), (0, ""))
    os.makedirs(os.path.join(blocks, "wal"), exist_ok=True)   # dump wants one
    r = subprocess.run(["promtool", "tsdb", "dump", blocks], capture_output=True, text=True)
    got = {}
    for line in r.stdout.splitlines():
        lbls, v, ts = line.rsplit(" ", 2)
        labels = {}
        for part in split_labels(lbls[1:-1]):
            k, val = part.split("=", 1)
            labels[k] = json.loads(val)
        name = labels.pop("__name__")
        got.setdefault((name, canon(labels)), []).append((int(ts), bits(float(v))))
    for s in got.values():
        s.sort()
    want = tsm_samples(conn, "metric GLOB 'om_*'")
    # a NaN comes back as Prometheus' NaN: text carries no payload
    check("3.3 every sample bit-exact", nan_as_text(got), nan_as_text(want))
    check("3.4", sum(len(s) for s in got.values()), 3010 + 13)


def nan_as_text(series):
    def one(b):
        return "NaN" if math.isnan(struct.unpack("<d", struct.pack("<q", b))[0]) else b
    return {k: [(t, one(b)) for t, b in v] for k, v in series.items()}


def split_labels(s):
    """Split 'a="x", b="y, z"' (promtool dump) at the commas between labels."""
    out, cur, q, esc = [], "", False, False
    for c in s:
        if esc:
            cur += c
            esc = False
        elif c == "\\":
            cur += c
            esc = True
        elif c == '"':
            cur += c
            q = not q
        elif c == "," and not q:
            out.append(cur.strip())
            cur = ""
        else:
            cur += c
    if cur.strip():
        out.append(cur.strip())
    return out


# ---------------------------------------------------------------------------
def part_influx(conn):
    if not which("influxd"):
        return skip("4", "influxd not installed (Debian package influxdb; .ci/run installs it)")
    port, port2 = free_port(), free_port()
    url = "http://127.0.0.1:%d" % port
    d = os.path.join(TMP, "influx")
    cfg = os.path.join(TMP, "influxdb.conf")
    with open(cfg, "w") as f:
        f.write('reporting-disabled = true\nbind-address = "127.0.0.1:%d"\n'
                '[meta]\n  dir = "%s/meta"\n[data]\n  dir = "%s/data"\n'
                '  wal-dir = "%s/wal"\n  query-log-enabled = false\n'
                '[http]\n  bind-address = "127.0.0.1:%d"\n  log-enabled = false\n'
                '[monitor]\n  store-enabled = false\n' % (port2, d, d, d, port))
    influx = start("influxd", ["influxd", "-config", cfg], url + "/ping")
    if influx is None:
        return check("4.0 start", False, True)

    def query(db, q):
        code, body = http(url + "/query?" + urllib.parse.urlencode(
            {"db": db, "epoch": "ms", "q": q}), data=b"" if not q.startswith("SELECT") else None)
        return json.loads(body)

    query("", "CREATE DATABASE tsm")
    query("", "CREATE DATABASE src")
    fill(conn, "ix", odd=False)
    conn.execute("BEGIN")
    # (-0 is left out: InfluxDB 1.6 reads it back as 0)
    for i, v in enumerate([5e-324, 1.7976931348623157e308, 1 / 3, 1e-300, math.inf]):
        conn.execute("SELECT tsm_record('ix_special', ?, NULL, ?)", (v, BASE + i * 1000 + 5))
    conn.execute("COMMIT")
    body = "".join(export(conn, "{__name__=~\"ix_.*\"}", 0, NOW, "influx"))
    check("4.1", http(url + "/write?db=tsm", body.encode())[0], 204)
    got = {}
    for m in ("ix_gauge", "ix_requests_total", "ix_special"):
        res = query("tsm", 'SELECT "value" FROM "%s" GROUP BY *' % m)
        for s in res["results"][0].get("series", []):
            got[(m, canon(s.get("tags", {})))] = [(t, bits(v)) for t, v in s["values"]]
    want = tsm_samples(conn, "metric GLOB 'ix_*'")
    # the line protocol has no infinities: tsm_export leaves them out
    want[("ix_special", "{}")] = want[("ix_special", "{}")][:-1]
    check("4.2 every sample bit-exact", got, want)

    # 4.3 line protocol into InfluxDB and into tsm_import: equal
    t = (NOW - 60000) * 1000000
    lp = ("weather,station=a\\ b,region=n\\,e temp=21.5,hum=40i,ok=t,note=\"x, y=z\" %d\n"
          "weather,station=c temp=-3.25,hum=-2i,ok=false %d\n"
          "# a comment\n\n"
          "disk,dev=sda used=0.1,free=1e+300 %d\n" % (t, t + 1000000000, t + 123456789))
    check("4.3", http(url + "/write?db=src", lp.encode())[0], 204)
    other = connect(os.path.join(TMP, "influx_import.db"))
    n = other.execute("SELECT tsm_import(?, 'influx')", (lp,)).fetchone()[0]
    check("4.4", n, 8)
    src = {}
    for meas in ("weather", "disk"):
        res = query("src", 'SELECT * FROM "%s" GROUP BY *' % meas)
        for s in res["results"][0]["series"]:
            cols = s["columns"]
            for row in s["values"]:
                for c, v in zip(cols, row):
                    if c == "time" or v is None or isinstance(v, str):
                        continue
                    key = ("%s_%s" % (meas, c), canon(s.get("tags", {})))
                    src.setdefault(key, []).append((row[0], bits(float(v))))
    check("4.5 equal to the source", tsm_samples(other, "1"), src)
    other.close()
    stop(influx)


# ---------------------------------------------------------------------------
def parse_exposition(text):
    """{(metric, labels): bits} of a text exposition without timestamps."""
    import re
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$', line)
        labels = {}
        for k, v in re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2) or ""):
            labels[k] = v.replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")
        out[(m.group(1), canon(labels))] = bits(float(m.group(3)))
    return out


def part_node_exporter():
    if not which("prometheus-node-exporter"):
        return skip("5", "prometheus-node-exporter not installed")
    port = free_port()
    url = "http://127.0.0.1:%d" % port
    ne = start("node_exporter", ["prometheus-node-exporter",
                                 "--web.listen-address=127.0.0.1:%d" % port],
               url + "/metrics")
    if ne is None:
        return check("5.0 start", False, True)
    code, body = http(url + "/metrics")
    stop(ne)
    text = body.decode()
    conn = connect(os.path.join(TMP, "node.db"))
    before = int(time.time() * 1000)
    n = conn.execute("SELECT tsm_import(?, 'prometheus')", (text,)).fetchone()[0]
    after = int(time.time() * 1000)
    want = parse_exposition(text)
    check("5.1", n, len(want))
    got = {}
    stamps = set()
    for k, s in tsm_samples(conn, "1").items():
        got[k] = s[-1][1]
        stamps.update(t for t, b in s)
    check("5.2 every sample", got, want)
    check("5.3 one 'now' for the call", len(stamps) == 1 and before <= min(stamps) <= after, True)
    conn.close()


# ---------------------------------------------------------------------------
def part_ship():
    if not which("victoria-metrics") or not which("curl") or not which("sqlite3"):
        return skip("6", "needs victoria-metrics, curl and the sqlite3 shell")
    port = free_port()
    url = "http://127.0.0.1:%d" % port
    vmdir = os.path.join(TMP, "vm_ship")
    argv = ["victoria-metrics", "-storageDataPath=" + vmdir, "-retentionPeriod=100y",
            "-httpListenAddr=127.0.0.1:%d" % port, "-search.disableCache"]
    vm = start("vm_ship", argv, url + "/health")
    if vm is None:
        return check("6.0 start", False, True)
    path = os.path.join(TMP, "edge.db")
    conn = connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    now = int(time.time() * 1000)

    def record(rows):
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO tsm_samples(metric, value, labels, ts) "
                         "VALUES (?, ?, ?, ?)", rows)
        conn.execute("COMMIT")

    # A: three series, every 10 s over the last 40 minutes, up to 2 min ago
    a = [("edge_temp", round(rnd.uniform(0, 100), 3), json.dumps({"room": r}), t)
         for r in ("a", "b", "c") for t in range(now - 40 * 60000 + 3, now - 120000, 10000)]
    record(a)
    bin_dir = os.path.join(TMP, "bin")
    os.makedirs(bin_dir, exist_ok=True)
    shim = os.path.join(bin_dir, "curl")
    with open(shim, "w") as f:
        f.write('#!/bin/sh\nn=$(cat "$SHIM_COUNT" 2>/dev/null || echo 0)\n'
                'n=$((n+1)); echo $n > "$SHIM_COUNT"\n'
                'if [ "$n" -eq "${SHIM_KILL_AT:-0}" ]; then\n'
                '  kill -TERM "$SHIM_PID"\n'
                '  while %s -s -o /dev/null "$SHIM_HEALTH"; do sleep 0.1; done\n'
                'fi\nexec %s "$@"\n' % (which("curl"), which("curl")))
    os.chmod(shim, 0o755)
    env = dict(os.environ, TSM_EXT=EXT,
               SHIM_COUNT=os.path.join(TMP, "shim_count"),
               SHIM_HEALTH=url + "/health")
    script = os.path.join(ROOT, "tools", "tsm-ship.sh")

    def ship(lag, kill_at=0, pid=0):
        e = dict(env, LAG=str(lag), SHIM_KILL_AT=str(kill_at), SHIM_PID=str(pid),
                 PATH=bin_dir + os.pathsep + os.environ["PATH"])
        return subprocess.run(["sh", script, path, url + "/api/v1/import"], env=e, timeout=120,
                              capture_output=True, text=True)

    # 1: ship up to 30 minutes ago
    r = ship(30 * 60000)
    check("6.1 first run", (r.returncode, r.stderr), (0, ""))
    pos = dict(conn.execute("SELECT labels, shipped_to FROM ship_position "
                            "JOIN tsm_series USING (series_id)").fetchall())
    newest = {l: conn.execute(
        "SELECT max(ts) + 1 FROM tsm_samples WHERE labels = ? AND ts < ?",
        (l, p)).fetchone()[0] for l, p in pos.items()}
    check("6.2 positions: one past the newest sample sent", pos, newest)
    check("6.2.1", all(now - 30 * 60000 - 10000 < p <= now - 29 * 60000
                       for p in pos.values()), True)
    # 2: more samples: late ones (older than the series' newest, after its
    #    position), the backlog of a device that was offline (room e, times
    #    before the first run's end) and new ones
    pb = pos['{"room":"b"}']
    b = [("edge_temp", 1000 + i, json.dumps({"room": "b"}), pb + 5 + i * 37000)
         for i in range(20)]
    e = [("edge_temp", 3000 + i, json.dumps({"room": "e"}), now - 35 * 60000 + i * 10000)
         for i in range(25)]
    c = [("edge_temp", 2000 + i, json.dumps({"room": r}), now - 110000 + i * 1000)
         for r in ("a", "d") for i in range(40)]
    record(b + e + c)
    # 3: a run during which the server goes away at the third request
    os.unlink(env["SHIM_COUNT"])
    r = ship(60000, kill_at=3, pid=vm.pid)
    check("6.3 the run fails", r.returncode != 0, True)
    vm.wait()
    vm = start("vm_ship", argv, url + "/health")
    # 4: the next run finishes the job; a fourth sends nothing new
    r = ship(60000)
    check("6.4 resumed", (r.returncode, r.stderr), (0, ""))
    r = ship(60000)
    check("6.5 again", (r.returncode, r.stderr), (0, ""))
    http(url + "/internal/force_flush")
    q = urllib.parse.urlencode({"match[]": '{__name__="edge_temp"}',
                                "start": (now - 3600000) // 1000, "end": now // 1000 + 60})
    code, text = http(url + "/api/v1/export?" + q)
    got = parse_vm_export(text.decode())
    want = tsm_samples(conn, "metric='edge_temp' AND ts < (SELECT shipped_to "
                       "FROM ship_position p WHERE p.series_id=tsm_samples.series_id)")
    check("6.6 every sample exactly once", got, want)
    check("6.7", sum(len(s) for s in got.values()),
          len([x for x in a + b + e + c if x[3] < now - 60000]))
    check("6.8 late samples and the backlog",
          [len(got.get(("edge_temp", '{"room":"%s"}' % r), [])) for r in "abcde"],
          [len([x for x in a + b + e + c if x[3] < now - 60000 and json.loads(x[2])["room"] == r])
           for r in "abcde"])
    stop(vm)
    conn.close()


def main():
    shutil.rmtree(TMP, ignore_errors=True)
    os.makedirs(TMP)
    if SANITIZE:
        skip("all", "the servers are exercised by the normal build only")
        finish()
    conn = connect(os.path.join(TMP, "tsm.db"))
    conn.execute("PRAGMA journal_mode=WAL")
    only = sys.argv[1] if len(sys.argv) > 1 else ""
    for part in (part_vm, part_prometheus, part_promtool, part_influx):
        if only not in part.__name__:
            continue
        try:
            part(conn)
        except Exception as e:  # a broken part is a failure, not a crash
            check(part.__name__, "exception: %r" % e, "no exception")
    for part in (part_node_exporter, part_ship):
        if only not in part.__name__:
            continue
        try:
            part()
        except Exception as e:
            check(part.__name__, "exception: %r" % e, "no exception")
    finish()


if __name__ == "__main__":
    main()
