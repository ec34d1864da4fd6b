-- SPDX-License-Identifier: MIT
-- demo.sql: a walk through tsm, run by `make demo` on demo.db (a new file
-- each time) with the sqlite3 shell.  One generated day of data: the
-- round-trip time of two WAN links and the request counter of two models,
-- every 30 seconds on 2026-01-01.
.load dist/tsm
.headers on
.mode box
PRAGMA journal_mode=WAL;

.print
.print 1. Record: a day of samples in one transaction (INSERT INTO tsm_samples
.print    is the bulk path; tsm_record() records one sample).
BEGIN;
INSERT INTO tsm_samples(metric, labels, ts, value)
  WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM s WHERE i < 2879),
  t(i, ts, hour) AS (SELECT i, 1767225600000 + i*30000, i / 120 FROM s)
  -- RTT: a base per link, slower in the evening peak, a spike now and then
  SELECT 'wanctl_rtt_ms', '{"wan":"fiber"}', ts,
         8 + (i*7 % 5) * 0.5 + CASE WHEN hour BETWEEN 18 AND 22 THEN 6 ELSE 0 END
           + CASE WHEN i % 97 = 0 THEN 40 ELSE 0 END FROM t
  UNION ALL
  SELECT 'wanctl_rtt_ms', '{"wan":"lte"}', ts,
         35 + (i*11 % 13) * 1.5 + CASE WHEN hour BETWEEN 18 AND 22 THEN 25 ELSE 0 END FROM t
  UNION ALL
  -- a counter: requests served so far; the small model restarts at 12:00
  SELECT 'llm_requests_total', '{"model":"small"}', ts,
         CASE WHEN i < 1440 THEN 1000 + i*6 + i % 5 ELSE (i-1440)*6 + i % 5 END FROM t
  UNION ALL
  SELECT 'llm_requests_total', '{"model":"big"}', ts, i*2 + i % 3 FROM t;
SELECT tsm_record('deploys_total', 1, '{"model":"big"}', '2026-01-01 09:15:00') AS series_id;
COMMIT;
SELECT count(*) AS samples_recorded FROM tsm_samples;

.print
.print 2. The series: one per metric and label set, with a summary.
SELECT series_id, metric, labels, samples,
       datetime(first_ts/1000, 'unixepoch') AS first,
       datetime(last_ts/1000, 'unixepoch') AS last, last_value
  FROM tsm_series;

.print
.print 3. Query with buckets: the evening peak of the links, per hour.
SELECT strftime('%H:%M', ts/1000, 'unixepoch') AS hour, labels ->> 'wan' AS wan,
       count AS samples, round(avg, 2) AS avg_ms, max AS max_ms
  FROM tsm_query('wanctl_rtt_ms', '2026-01-01 17:00', '2026-01-01 20:00', '1h');

.print
.print 4. A counter as a rate: requests per second per model, 4-hour buckets.
.print    The small model restarted at 12:00; the increase counts it as a reset.
SELECT strftime('%H:%M', ts/1000, 'unixepoch') AS bucket, labels ->> 'model' AS model,
       increase, round(rate, 3) AS req_per_s
  FROM tsm_query('llm_requests_total', '2026-01-01', '2026-01-02', '4h')
 ORDER BY model, bucket;

.print
.print 5. A tier and a policy: keep raw samples 6 hours, 5-minute buckets
.print    30 days and hourly buckets forever.  Commits that record samples
.print    keep the tiers up to date and prune by themselves (tsm_auto(), every
.print    5 s by default); here tsm_downsample() and tsm_prune() do it at once.
INSERT INTO tsm_retention(metric, resolution, keep) VALUES
  ('*', 'raw', '6h'), ('*', '5m', '30d'), ('*', '1h', NULL);
SELECT tsm_downsample() AS buckets_written, tsm_prune() AS raw_samples_removed;
SELECT metric, resolution, keep, series, samples, bytes,
       datetime(oldest_ts/1000, 'unixepoch') AS oldest
  FROM tsm_retention;

.print
.print    The morning's raw samples are gone; the same query is answered from
.print    the tiers.
SELECT strftime('%H:%M', ts/1000, 'unixepoch') AS bucket, labels ->> 'model' AS model,
       increase, round(rate, 3) AS req_per_s
  FROM tsm_query('llm_requests_total{model="small"}', '2026-01-01', '2026-01-01 12:00', '4h');

.print
.print 6. Quantiles from the hourly sketches (1% relative error): the
.print    median and p99 RTT of each link over the day.
SELECT labels ->> 'wan' AS wan,
       round(tsm_quantile(tsm_sketch_merge(sketch), 0.5), 1) AS p50_ms,
       round(tsm_quantile(tsm_sketch_merge(sketch), 0.99), 1) AS p99_ms
  FROM tsm_rollups WHERE metric = 'wanctl_rtt_ms' AND resolution = '1h'
 GROUP BY series_id;

.print
.print 7. The Prometheus export of the latest samples (for a scrape
.print    endpoint or node_exporter's textfile collector); a rule in
.print    tsm_metrics gives a metric its # TYPE and # HELP.
INSERT INTO tsm_metrics(metric, type, help)
  VALUES ('wanctl_rtt_ms', 'gauge', 'Round-trip time of each WAN link in ms.');
.mode list
.headers off
SELECT rtrim(tsm_prometheus('{__name__=~"wanctl_rtt_ms|llm_requests_total"}', 0), char(10));

.print
.print 8. Moving samples out and in: tsm_export writes any range of samples
.print    (Influx line protocol here; also Prometheus text, OpenMetrics, JSON
.print    lines and remote_write); tsm_import records such text.
SELECT rtrim(group_concat(data, ''), char(10))
  FROM tsm_export('wanctl_rtt_ms{wan="lte"}', '2026-01-01 23:58:30', '2026-01-02', 'influx');
.mode box
.headers on
SELECT tsm_import('room_temp_celsius{room="lab"} 21.5 1767311990000' || char(10), 'prometheus')
         AS imported,
       tsm_latest('room_temp_celsius{room="lab"}') AS latest;

.print
.print 9. Health and size: tsm_check() decodes and checks everything.
.mode box
.headers on
SELECT tsm_check() AS check_result, tsm_stats() ->> 'samples' AS raw_samples,
       tsm_stats() ->> 'bytes_per_sample' AS raw_bytes_per_sample,
       tsm_stats() ->> 'file_bytes' AS file_bytes;
