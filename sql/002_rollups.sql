-- SPDX-License-Identifier: MIT
-- 002_rollups.sql: retention policies and rollup tiers (format 2).
-- Applied by store.c after 001_init.sql; idempotent.  See docs/FORMAT.md,
-- "Rollups and retention".

-- One row per policy of tsm_retention.  metric is a GLOB pattern over
-- metric names; resolution 0 is raw samples, otherwise the width of a
-- rollup tier in ms; keep in ms (NULL = forever); max_bytes NULL = no cap.
-- The rowid is the rowid of tsm_retention.
CREATE TABLE IF NOT EXISTS tsm_policies(
  metric     TEXT NOT NULL,
  resolution INTEGER NOT NULL,
  keep       INTEGER,
  max_bytes  INTEGER,
  PRIMARY KEY(metric, resolution)
);

-- One row per series, tier and bucket.  ts is the bucket start, a multiple
-- of resolution (ms) since the epoch; the bucket is [ts, ts+resolution).
-- Aggregates ignore NaN samples: count is the number of non-NaN samples
-- (a bucket with none has no row); first/last are the values of the
-- earliest/latest of them, at first_ts/last_ts; increase is the counter
-- increase between them inside the bucket, a drop counting as a reset
-- from 0 (Prometheus); sketch is a DDSketch (docs/SKETCH.md).
CREATE TABLE IF NOT EXISTS tsm_rollup(
  series_id  INTEGER NOT NULL,
  resolution INTEGER NOT NULL,
  ts         INTEGER NOT NULL,
  count      INTEGER NOT NULL,
  sum        REAL,
  min        REAL,
  max        REAL,
  first      REAL,
  last       REAL,
  first_ts   INTEGER,
  last_ts    INTEGER,
  increase   REAL,
  sketch     BLOB,
  PRIMARY KEY(series_id, resolution, ts)
) WITHOUT ROWID;

-- Progress of each tier of each series.
--   done_ts     watermark, a multiple of resolution: every bucket before it
--               is complete (holds every sample recorded before it was
--               folded); NULL on the raw row (resolution 0)
--   dirty_from, dirty_to   samples between these times (inclusive), before
--               done_ts, were recorded after their buckets were folded:
--               the next tsm_downsample() refolds the buckets that hold them
--   pruned_ts   data of this resolution before this time was pruned
CREATE TABLE IF NOT EXISTS tsm_rollup_state(
  series_id  INTEGER NOT NULL,
  resolution INTEGER NOT NULL,
  done_ts    INTEGER,
  dirty_from INTEGER,
  dirty_to   INTEGER,
  pruned_ts  INTEGER,
  PRIMARY KEY(series_id, resolution)
) WITHOUT ROWID;
