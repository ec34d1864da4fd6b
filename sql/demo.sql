-- SPDX-License-Identifier: MIT
-- demo.sql: a two-minute tour of tsm, run by `make demo` on demo.db.
.load dist/tsm
.headers on
.mode box
PRAGMA journal_mode=WAL;

-- A router records RTT for two WAN links every second for ten minutes.
BEGIN;
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM s WHERE i < 599)
SELECT count(tsm_record('wanctl_rtt_ms', 20 + (i % 7) * 0.5,
                        json_object('wan', 'spectrum'), 1767225600000 + i*1000))
         AS spectrum_samples,
       count(tsm_record('wanctl_rtt_ms{wan="att"}', 35 + (i % 11) * 0.25,
                        NULL, 1767225600000 + i*1000))
         AS att_samples
FROM s;
COMMIT;

-- Bulk insert through the table, as executemany clients do.
INSERT INTO tsm_samples(metric, labels, ts, value) VALUES
  ('proxy_tokens_total', '{"model":"small"}', '2026-01-01T00:00:00Z', 120),
  ('proxy_tokens_total', '{"model":"small"}', '2026-01-01T00:01:00Z', 310);

SELECT series_id, metric, labels, samples, last_value FROM tsm_series;

SELECT ts, value FROM tsm_samples
WHERE metric = 'wanctl_rtt_ms' AND labels ->> 'wan' = 'att'
  AND ts >= 1767225600000 AND ts < 1767225605000;

SELECT ts / 60000 * 60000 AS minute, labels ->> 'wan' AS wan,
       round(avg(value), 2) AS avg_rtt, max(value) AS max_rtt
FROM tsm_samples WHERE metric = 'wanctl_rtt_ms'
GROUP BY 1, 2 ORDER BY 1, 2 LIMIT 4;

SELECT tsm_latest('wanctl_rtt_ms{wan="spectrum"}') AS latest_spectrum;
SELECT tsm_check() AS check_result;
PRAGMA wal_checkpoint(TRUNCATE);
SELECT tsm_stats() AS stats;
