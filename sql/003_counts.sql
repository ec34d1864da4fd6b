-- 003_counts.sql: per-series counts of the sealed chunks (format 3).
-- Applied by store.c after 002_rollups.sql.  tsm_check() compares them with
-- tsm_chunks, so that a lost chunk row is seen: the count of rows and of
-- samples would no longer agree.  Every write path keeps them in step
-- through one helper (store.c, tsmSeriesCount).  See docs/FORMAT.md.
--   n_chunks   rows of tsm_chunks of the series
--   n_sealed   samples in them (the sum of their n)
ALTER TABLE tsm_ids ADD COLUMN n_chunks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tsm_ids ADD COLUMN n_sealed INTEGER NOT NULL DEFAULT 0;
UPDATE tsm_ids SET
  n_chunks = (SELECT count(*) FROM tsm_chunks c
              WHERE c.series_id=tsm_ids.series_id),
  n_sealed = (SELECT coalesce(sum(n), 0) FROM tsm_chunks c
              WHERE c.series_id=tsm_ids.series_id);
