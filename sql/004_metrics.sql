-- SPDX-License-Identifier: MIT
-- 004_metrics.sql: metric metadata and duplicate policies (format 4).
-- Applied by store.c after the earlier migrations; idempotent.  See
-- docs/FORMAT.md, "Metric rules".

-- One row per rule of tsm_metrics; the rowid is the rowid of tsm_metrics.
-- metric is a GLOB pattern over metric names (the most specific matching
-- pattern wins, as for tsm_policies); type is 'counter', 'gauge',
-- 'untyped' or NULL (the default from the name); duplicates is 'replace',
-- 'keep', 'sum', 'first', 'min', 'max' or NULL ('replace'); help is the
-- text of "# HELP" or NULL.
CREATE TABLE IF NOT EXISTS tsm_metric_rules(
  metric     TEXT NOT NULL UNIQUE,
  type       TEXT,
  duplicates TEXT,
  help       TEXT
);
