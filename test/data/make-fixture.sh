#!/bin/sh
# make-fixture.sh TSM_SO OUT.db -- write the compatibility fixture: the
# samples of fixture.sql, recorded by the tsm extension TSM_SO, in an
# order that exercises late samples (fx_count's second half first).
# store-v0.db was made with the tsm of commit 2668ee9:
#   git worktree add /tmp/tsm-old 2668ee9 && make -C /tmp/tsm-old
#   sh test/data/make-fixture.sh /tmp/tsm-old/dist/tsm.so test/data/store-v0.db
set -e
SO=$1
OUT=$2
HERE=$(dirname "$0")
rm -f "$OUT"
sqlite3 "$OUT" <<SQL
.load ${SO%.so}
.read $HERE/fixture.sql
BEGIN;
INSERT INTO tsm_samples(metric, labels, ts, value)
  SELECT metric, labels, ts, value FROM fixture
   WHERE value IS NOT NULL AND NOT (metric='fx_count' AND ts<1767228600000);
INSERT INTO tsm_samples(metric, labels, ts, value_bits)
  SELECT metric, labels, ts, value_bits FROM fixture WHERE value IS NULL;
COMMIT;
INSERT INTO tsm_samples(metric, labels, ts, value)
  SELECT metric, labels, ts, value FROM fixture
   WHERE metric='fx_count' AND ts<1767228600000;
PRAGMA journal_mode=DELETE;
VACUUM;
SQL
