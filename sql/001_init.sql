-- SPDX-License-Identifier: MIT
-- 001_init.sql: the first tsm store (format 1).
-- Applied by store.c in one transaction; the format version is recorded in
-- tsm_meta('format') after each migration.  See docs/FORMAT.md.

CREATE TABLE IF NOT EXISTS tsm_meta(
  key   TEXT PRIMARY KEY,
  value ANY
) WITHOUT ROWID;

-- One row per series.  AUTOINCREMENT: a deleted series_id is never reused.
CREATE TABLE IF NOT EXISTS tsm_ids(
  series_id INTEGER PRIMARY KEY AUTOINCREMENT,
  metric    TEXT NOT NULL,
  labels    TEXT NOT NULL,        -- canonical JSON, sorted keys
  UNIQUE(metric, labels)
);

-- Sealed chunks: up to 1024 samples each, never overlapping within a series.
-- Aggregate columns ignore NaN samples (n counts them, n_val does not).
CREATE TABLE IF NOT EXISTS tsm_chunks(
  chunk_id  INTEGER PRIMARY KEY,
  series_id INTEGER NOT NULL,
  ts_first  INTEGER NOT NULL,
  ts_last   INTEGER NOT NULL,
  n         INTEGER NOT NULL,
  n_val     INTEGER NOT NULL,
  v_min     REAL,
  v_max     REAL,
  v_sum     REAL,
  v_first   REAL,
  v_last    REAL,
  data      BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS tsm_chunks_series
  ON tsm_chunks(series_id, ts_first);

-- The open head of each series: its newest samples (fewer than 128), all
-- later than sealed_last, the last timestamp of its sealed chunks.
CREATE TABLE IF NOT EXISTS tsm_heads(
  series_id   INTEGER PRIMARY KEY,
  sealed_last INTEGER,
  n           INTEGER NOT NULL,
  data        BLOB
);
