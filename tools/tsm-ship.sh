#!/bin/sh
# SPDX-License-Identifier: MIT
# tsm-ship.sh -- send the samples of a tsm store that were not sent before
# to a central server; for cron or a sidecar loop.  README "Edge to center".
#
#   tsm-ship.sh DB URL
#
#   DB    the SQLite database holding the tsm store
#   URL   where to POST, e.g.
#           http://vm:8428/api/v1/import          (FORMAT=jsonl, the default)
#           http://vm:8428/api/v1/write           (FORMAT=remote_write)
#           http://prometheus:9090/api/v1/write   (FORMAT=remote_write)
#           http://influx:8086/write?db=edge      (FORMAT=influx)
#
# Environment:
#   TSM_EXT   the tsm extension to load (default: tsm, found by SQLite)
#   FORMAT    jsonl, influx or remote_write (default jsonl)
#   METRICS   GLOB pattern of the metrics to ship (default '*')
#   LAG       ms: ship only samples older than now-LAG (default 60000)
#   TARGET    name of this destination's positions (default: URL)
#   SPOOL     directory of the run in flight (default: DB.ship/<hash>)
#
# How it keeps its place.  The positions are kept in the store itself, in
# the table ship_position(target, series_id, shipped_to): every sample of
# that series with ts < shipped_to was sent, and shipped_to is one past the
# newest sample sent.  A run exports, in one read transaction, each
# series' samples from its position up to now-LAG into the spool directory
# (one file per request, requests of at most 64 KiB of text or 5000
# samples), then writes there the SQL that moves the positions.  Each file
# is deleted after the server answered 2xx; when none is left the
# positions move, in one transaction.  A run that fails (server down,
# killed mid-run, machine off) exits non-zero and leaves the rest in the
# spool; the next run sends what is left first.  So a sample is sent once,
# except a request whose 2xx answer was lost, which is sent again (the
# server got it twice: VictoriaMetrics keeps both copies unless run with
# -dedup.minScrapeInterval=1ms; Prometheus and InfluxDB drop an identical
# sample).
#
# Late samples.  A series whose samples arrive late (a device that was
# offline uploads its backlog) is shipped from its own position, however
# long after their time they were recorded.  A sample recorded less than
# LAG after its timestamp is shipped in order even when it arrives out of
# order within its series.  Only a sample older than the newest one
# already sent for its series is not sent by later runs; send such
# backfills explicitly with FROM/TO (ms), which sends [FROM, TO) of the
# METRICS again without moving the positions:
#   FROM=... TO=... tsm-ship.sh DB URL
set -eu

DB=${1:?usage: tsm-ship.sh DB URL}
URL=${2:?usage: tsm-ship.sh DB URL}
TSM_EXT=${TSM_EXT:-tsm}
FORMAT=${FORMAT:-jsonl}
METRICS=${METRICS:-*}
LAG=${LAG:-60000}
TARGET=${TARGET:-$URL}
SPOOL=${SPOOL:-$DB.ship/$(printf '%s' "$TARGET" | cksum | cut -d' ' -f1)}

case $FORMAT in
  jsonl|influx) CTYPE="text/plain" ;;
  remote_write) CTYPE="application/x-protobuf" ;;
  *) echo "tsm-ship.sh: FORMAT must be jsonl, influx or remote_write" >&2; exit 2 ;;
esac

# SQL text literal of $1.
lit() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/''/g")"; }
sql() {
  sqlite3 -bail -batch -newline '' -cmd ".load $TSM_EXT" -cmd ".timeout 30000" \
    "$DB" "$@"
}
TS_MIN=-62167219200000       # 0000-01-01, the oldest time tsm takes

# POST every file left in the spool, in order, deleting each on 2xx.
send_spool() {
  for f in "$SPOOL"/*.req; do
    [ -e "$f" ] || continue
    if [ "$FORMAT" = remote_write ]; then
      curl -sS --fail -X POST --data-binary "@$f" \
        -H "Content-Type: $CTYPE" -H "Content-Encoding: snappy" \
        -H "X-Prometheus-Remote-Write-Version: 0.1.0" "$URL" >/dev/null
    else
      curl -sS --fail -X POST --data-binary "@$f" -H "Content-Type: $CTYPE" \
        "$URL" >/dev/null
    fi
    rm -f "$f"
  done
}

# A backfill: send [FROM, TO) again, positions untouched.
if [ -n "${FROM:-}" ]; then
  SPOOL=$SPOOL.backfill
  rm -rf "$SPOOL"
  mkdir -p "$SPOOL"
  sql "SELECT count(writefile(printf('%s/%012d-%08d.req', $(lit "$SPOOL"), s.series_id, e.rowid), e.data))
         FROM tsm_series s, tsm_export(s.series_id, $FROM, ${TO:?TO is needed with FROM}, '$FORMAT') e
        WHERE s.metric GLOB $(lit "$METRICS");" >/dev/null
  send_spool
  rm -rf "$SPOOL"
  exit 0
fi

sql "CREATE TABLE IF NOT EXISTS ship_position(
       target TEXT NOT NULL, series_id INTEGER NOT NULL,
       shipped_to INTEGER NOT NULL, PRIMARY KEY(target, series_id));" >/dev/null

# 1. The run in flight, if any: finish it.  (A spool without done.sql was
#    cut short while being written: nothing of it was sent.)
if [ -f "$SPOOL/done.sql" ]; then
  send_spool
  sql ".read $SPOOL/done.sql" >/dev/null
fi
rm -rf "$SPOOL"
mkdir -p "$SPOOL"

# 2. This run: every series from its position to now-LAG, and the new
#    positions, from one snapshot of the store.
T=$(lit "$TARGET")
sql "BEGIN;
CREATE TEMP TABLE todo AS
  SELECT s.series_id AS id, coalesce(p.shipped_to, $TS_MIN) AS lo,
         CAST((julianday('now')-2440587.5)*86400000 AS INTEGER) - $LAG AS hi
    FROM tsm_series s LEFT JOIN ship_position p ON p.target=$T AND p.series_id=s.series_id
   WHERE s.metric GLOB $(lit "$METRICS") AND s.last_ts >= coalesce(p.shipped_to, $TS_MIN);
SELECT count(writefile(printf('%s/%012d-%08d.req', $(lit "$SPOOL"), t.id, e.rowid), e.data))
  FROM todo t, tsm_export(t.id, t.lo, t.hi, '$FORMAT') e;
SELECT writefile($(lit "$SPOOL/done.sql.tmp"),
  'BEGIN;' || char(10) || coalesce(group_concat(printf(
    'INSERT INTO ship_position VALUES (%Q, %d, %d) ON CONFLICT(target, series_id) DO UPDATE SET shipped_to=excluded.shipped_to;',
    $T, id, m + 1), char(10)), '') || char(10) || 'COMMIT;' || char(10))
  FROM (SELECT t.id, (SELECT max(ts) FROM tsm_samples x
                       WHERE x.series_id=t.id AND x.ts>=t.lo AND x.ts<t.hi) AS m
          FROM todo t) WHERE m IS NOT NULL;
COMMIT;" >/dev/null
mv "$SPOOL/done.sql.tmp" "$SPOOL/done.sql"

# 3. Send it, then move the positions.
send_spool
sql ".read $SPOOL/done.sql" >/dev/null
rm -rf "$SPOOL"
