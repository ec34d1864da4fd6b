-- fixture.sql -- the samples of test/data/store-v0.db, as a view.
--
-- test/data/store-v0.db was written by tsm at commit 2668ee9 (the first
-- store: chunk codec v1 in its first BEST layout, schema format 1) by
-- test/data/make-fixture.sh.  test/compat.test opens a copy with the
-- current tsm and compares every sample, bit for bit, with this view.
--
-- Series (metric, labels, samples):
--   fx_gauge {"host":"a"}  6000, 10 s apart, two decimals      (sealed chunks)
--   fx_count {"host":"a"}  6000, 1 s + 0..6 ms jitter, counter (sealed chunks)
--   fx_noise {"host":"b"}  3000, 15 s apart, 64-bit patterns   (sealed chunks)
--   fx_head  {}              40, 60 s apart, small integers    (open head)
-- Each row has a value or, for fx_noise, value_bits: hashes of n with
-- -0.0, +-inf, a NaN payload (the stale marker) and a subnormal mixed in.
-- Integer arithmetic only, so that every SQLite computes the same doubles.
CREATE TEMP VIEW IF NOT EXISTS fixture(metric, labels, ts, value, value_bits)
AS WITH RECURSIVE i(n) AS (SELECT 0 UNION ALL SELECT n+1 FROM i WHERE n<5999)
SELECT 'fx_gauge', '{"host":"a"}', 1767225600000 + n*10000,
       ((n*7919) % 10007) / 100.0, NULL
  FROM i
UNION ALL
SELECT 'fx_count', '{"host":"a"}', 1767225600000 + n*1000 + (n*7919) % 7,
       CAST(n*1000 + (n*n) % 1000 AS REAL), NULL
  FROM i
UNION ALL
SELECT 'fx_noise', '{"host":"b"}', 1767225600000 + n*15000, NULL,
       CASE n % 50
         WHEN 0 THEN 0x7ff0000000000002          -- the stale marker
         WHEN 1 THEN -9223372036854775808        -- -0.0
         WHEN 2 THEN 0x7ff0000000000000          -- +inf
         WHEN 3 THEN -4503599627370496           -- -inf (0xfff0...)
         WHEN 4 THEN 0x000000000000beef          -- a subnormal
         ELSE (((n*1103515245 + 12345) % 2147483648) << 33)
              | (((n*2654435761) % 4294967296) << 1) | (n & 1)
       END
  FROM i WHERE n<3000
UNION ALL
SELECT 'fx_head', '{}', 1767225600000 + n*60000, CAST(n % 5 AS REAL), NULL
  FROM i WHERE n<40;
