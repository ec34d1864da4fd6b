-- SPDX-License-Identifier: MIT
-- 003_counts.sql: per-series counts of the sealed chunks (format 3).
-- Applied by store.c after 002_rollups.sql; idempotent (the counts are
-- computed again from tsm_chunks).  tsm_check() compares them with
-- tsm_chunks, so that a lost chunk row is seen: the counts of rows and of
-- samples no longer agree.  Every path that adds, removes or trims chunk
-- rows keeps them through one helper (store.c, tsmSeriesCount); deleting a
-- series deletes its row.  A series without a row has no chunks.  See
-- docs/FORMAT.md.
--   n_chunks   rows of tsm_chunks of the series
--   n_sealed   samples in them (the sum of their n)
CREATE TABLE IF NOT EXISTS tsm_counts(
  series_id INTEGER PRIMARY KEY,
  n_chunks  INTEGER NOT NULL,
  n_sealed  INTEGER NOT NULL
);
INSERT OR REPLACE INTO tsm_counts(series_id, n_chunks, n_sealed)
  SELECT series_id, count(*), sum(n) FROM tsm_chunks GROUP BY series_id;
