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
#   SELECTOR  which series (default '{}': every series)
#   LAG       ms: ship only samples older than now-LAG (default 60000)
#   SLICE     ms of samples per slice (default 600000)
#   TARGET    name of this destination's position (default: URL)
#   SPOOL     directory for the slice in flight (default: DB.ship/<hash>)
#
# How it keeps its place.  The position is a timestamp per target, kept in
# the store itself in the table ship_position(target, shipped_to): every
# sample with ts < shipped_to was sent.  A run cuts [shipped_to, now-LAG)
# into slices.  Each slice is exported once into the spool directory (one
# file per request) together with its bounds; each file is deleted after
# the server answered 2xx; when the spool is empty the position moves to
# the end of the slice, in one transaction.  A run that fails (server down,
# killed mid-slice, machine off) exits non-zero and leaves the rest of the
# slice in the spool; the next run sends what is left first.  So a sample
# is sent once, except a request whose 2xx answer was lost, which is sent
# again (the server received it twice: VictoriaMetrics keeps both copies
# unless run with -dedup.minScrapeInterval=1ms; Prometheus and InfluxDB
# drop an identical sample).
#
# Late samples.  A sample recorded less than LAG after its timestamp is
# shipped in time order with the others.  One recorded later than that,
# with a timestamp before shipped_to, is not sent by later runs: ship such
# backfills explicitly with FROM/TO (ms), which sends [FROM, TO) again
# without moving the position:  FROM=... TO=... tsm-ship.sh DB URL
set -eu

DB=${1:?usage: tsm-ship.sh DB URL}
URL=${2:?usage: tsm-ship.sh DB URL}
TSM_EXT=${TSM_EXT:-tsm}
FORMAT=${FORMAT:-jsonl}
SELECTOR=${SELECTOR:-'{}'}
LAG=${LAG:-60000}
SLICE=${SLICE:-600000}
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

# Export [$1, $2) into the spool: one file per request, then the bounds.
spool_slice() {
  rm -rf "$SPOOL"
  mkdir -p "$SPOOL"
  if [ "$FORMAT" = remote_write ]; then
    sql "SELECT count(writefile(printf('%s/%08d.req', $(lit "$SPOOL"), rowid), data))
           FROM tsm_export($(lit "$SELECTOR"), $1, $2, 'remote_write');" >/dev/null
  else
    sql "SELECT data FROM tsm_export($(lit "$SELECTOR"), $1, $2, '$FORMAT');" \
      > "$SPOOL/00000001.req"
    [ -s "$SPOOL/00000001.req" ] || rm -f "$SPOOL/00000001.req"
  fi
  echo "$1 $2" > "$SPOOL/slice"
}

# POST every file left in the spool, oldest first, deleting each on 2xx.
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

# A backfill: send [FROM, TO) again, position untouched.
if [ -n "${FROM:-}" ]; then
  SPOOL=$SPOOL.backfill
  spool_slice "$FROM" "${TO:?TO is needed with FROM}"
  send_spool
  rm -rf "$SPOOL"
  exit 0
fi

sql "CREATE TABLE IF NOT EXISTS ship_position(
       target TEXT PRIMARY KEY, shipped_to INTEGER NOT NULL);" >/dev/null
# The end of this run, fixed at its start.
now=$(sql "SELECT CAST((julianday('now')-2440587.5)*86400000 AS INTEGER);")
end=$((now - LAG))

while :; do
  pos=$(sql "SELECT shipped_to FROM ship_position WHERE target=$(lit "$TARGET");")
  # A slice in flight: finish it first (unless it was finished already and
  # only the clean-up was missed).
  if [ -f "$SPOOL/slice" ]; then
    read -r from to < "$SPOOL/slice"
    if [ -z "$pos" ] || [ "$to" -gt "$pos" ]; then
      send_spool
      sql "INSERT INTO ship_position(target, shipped_to) VALUES ($(lit "$TARGET"), $to)
           ON CONFLICT(target) DO UPDATE SET shipped_to=excluded.shipped_to;" >/dev/null
      pos=$to
    fi
    rm -rf "$SPOOL"
  fi
  if [ -z "$pos" ]; then
    pos=$(sql "SELECT coalesce(min(first_ts), $end) FROM tsm_series;")
  fi
  [ "$pos" -lt "$end" ] || break
  to=$((pos + SLICE))
  [ "$to" -le "$end" ] || to=$end
  spool_slice "$pos" "$to"
done
