-- SPDX-License-Identifier: MIT
-- 006_dict.sql: sealed chunks may be of codec version 2 (format 6).
-- No table changes: version 2 adds DICT value blocks (a table of the
-- distinct values and packed indices) to the chunk encoding, which a tsm
-- of an earlier format cannot read.  Recording the format makes such a tsm
-- refuse the store ("load a newer tsm") instead of reporting corrupt
-- chunks.  See docs/FORMAT.md, "Value blocks".
SELECT 1;
