#!/bin/sh
# SPDX-License-Identifier: MIT
# shell.sh -- tsm from the sqlite3 command-line shell: .load dist/tsm,
# record, read back, error messages, and a clean exit (no "unable to close"
# complaint about unfinalized statements).  Prints "N passed, N failed".
#
# With TSM_SANITIZE=1 it loads dist/asan/tsm and runs the shell with the
# ASan runtime preloaded.
cd "$(dirname "$0")/.." || exit 1
TMP=build/tmp/shell
rm -rf "$TMP"
mkdir -p "$TMP"
DB=$TMP/shell.db
npass=0
nfail=0
nskip=0

EXT=dist/tsm
if [ -n "$TSM_SANITIZE" ]; then
  EXT=dist/asan/tsm
  case "$LD_PRELOAD" in
    *libasan*) ;;
    *)
      lib=$(gcc -print-file-name=libasan.so 2>/dev/null)
      if [ -z "$lib" ] || [ ! -e "$lib" ]; then
        echo "- shell.sh skipped: TSM_SANITIZE=1 needs libasan and gcc did not find it"
        echo "0 passed, 0 failed, 1 skipped"
        exit 0
      fi
      LD_PRELOAD="$lib${LD_PRELOAD:+ $LD_PRELOAD}"
      export LD_PRELOAD
      ;;
  esac
  ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
  export ASAN_OPTIONS
fi
if ! command -v sqlite3 >/dev/null 2>&1; then
  echo "- shell.sh skipped: no sqlite3 shell"
  echo "0 passed, 0 failed, 1 skipped"
  exit 0
fi

# check NAME GOT WANT
check() {
  if [ "$2" = "$3" ]; then
    npass=$((npass+1))
  else
    nfail=$((nfail+1))
    echo "! shell.sh $1 failed"
    echo "!   expected: $3"
    echo "!   got:      $2"
  fi
}

# run NAME: the shell on $DB with the script on stdin; sets OUT (stdout),
# ERR (stderr) and RC (exit status).
run() {
  OUT=$(sqlite3 "$DB" 2>"$TMP/$1.err")
  RC=$?
  ERR=$(cat "$TMP/$1.err")
}

# 1: record and read back in one session.
run 1 <<EOF
.load $EXT
PRAGMA journal_mode=WAL;
SELECT tsm_record('sh_temp', 21.5, '{"room":"b","floor":"1"}', '2026-01-25 18:59:19');
INSERT INTO tsm_samples(metric, labels, ts, value)
  VALUES ('sh_temp{room="b",floor="1"}', NULL, 1769367560000, 22),
         ('sh_temp', '{"floor":"1","room":"b"}', '2026-01-25T18:59:21.5Z', -0.0),
         ('sh_hum', NULL, 1769367560000, 40);
SELECT series_id, metric, labels, ts, value FROM tsm_samples;
.quit
EOF
check 1.0 "$OUT" 'wal
1
1|sh_temp|{"floor":"1","room":"b"}|1769367559000|21.5
1|sh_temp|{"floor":"1","room":"b"}|1769367560000|22.0
1|sh_temp|{"floor":"1","room":"b"}|1769367561500|0.0
2|sh_hum|{}|1769367560000|40.0'
check 1.1 "$ERR" ""
check 1.2 "$RC" 0

# 2: a new session reads what the first committed.  (The shell prints -0.0
# as 0.0; value_bits shows the sign bit.)
run 2 <<EOF
.load $EXT
SELECT metric, labels, first_ts, last_ts, last_value, samples FROM tsm_series;
SELECT tsm_latest('sh_temp{floor="1",room="b"}');
SELECT printf('%x', value_bits) FROM tsm_samples WHERE metric='sh_temp' AND ts=1769367561500;
SELECT tsm_check();
EOF
check 2.0 "$OUT" 'sh_temp|{"floor":"1","room":"b"}|1769367559000|1769367561500|0.0|3
sh_hum|{}|1769367560000|1769367560000|40.0|1
0.0
8000000000000000
ok'
check 2.1 "$ERR" ""
check 2.2 "$RC" 0

# 3: errors name the argument and the rule; nothing is recorded.
run 3 <<EOF
.load $EXT
SELECT tsm_record('1abc', 1);
INSERT INTO tsm_samples(metric, ts, value) VALUES ('sh_ok', 1, 1), ('1abc', 2, 2);
SELECT count(*) FROM tsm_samples;
SELECT count(*) FROM tsm_series WHERE metric='sh_ok';
EOF
check 3.0 "$OUT" '4
0'
check 3.1 "$(printf '%s\n' "$ERR" | grep -c -F 'tsm: invalid metric name "1abc": must match [a-zA-Z_:][a-zA-Z0-9_:]*')" 2
check 3.2 "$(printf '%s\n' "$ERR" | grep -c -v -F 'tsm: ')" 0
check 3.3 "$(printf '%s\n' "$ERR" | grep -c 'unable to close')" 0

# 4: a clean exit after using every statement tsm caches, also with an
# open transaction (rolled back) and after an error.
run 4 <<EOF
.load $EXT
SELECT tsm_record('sh_x', 1, NULL, 1);
INSERT INTO tsm_samples(metric, ts, value) VALUES ('sh_x', 2, 2);
SELECT count(*) FROM tsm_samples WHERE metric='sh_x';
SELECT samples FROM tsm_series WHERE metric='sh_x';
SELECT tsm_latest('sh_x'), tsm_flush(), tsm_check(), tsm_stats() IS NOT NULL;
DELETE FROM tsm_series WHERE metric='sh_hum';
BEGIN;
SELECT tsm_record('sh_x', 3, NULL, 3);
SELECT tsm_record('sh_pending', 3, NULL, 3);
EOF
check 4.0 "$OUT" '3
2
2
2.0|0|ok|1
3
4'
check 4.1 "$ERR" ""
check 4.2 "$RC" 0
run 4.3 <<EOF
.load $EXT
SELECT group_concat(ts) FROM tsm_samples WHERE metric='sh_x';
SELECT count(*) FROM tsm_series WHERE metric IN ('sh_pending', 'sh_hum');
SELECT tsm_record('sh_x', 1, 'not json');
EOF
check 4.3 "$OUT" '1,2
0'
check 4.4 "$(printf '%s\n' "$ERR" | grep -c 'tsm: ')" 1
check 4.5 "$(printf '%s\n' "$ERR" | grep -c 'unable to close')" 0

# 5: SQL given on the command line, the extension loaded with -cmd.
OUT=$(sqlite3 -cmd ".load $EXT" "$DB" \
      "SELECT tsm_record('sh_cmd', 7, '{\"a\":\"1\"}', 10)" \
      "SELECT labels, value FROM tsm_samples WHERE metric='sh_cmd'" 2>"$TMP/5.err")
RC=$?
check 5.0 "$OUT" '4
{"a":"1"}|7.0'
check 5.1 "$(cat "$TMP/5.err")" ""
check 5.2 "$RC" 0

# 6: a fresh database file: the store is created on first use.
DB=$TMP/fresh.db
run 6 <<EOF
.load $EXT
SELECT tsm_stats() ->> 'series';
SELECT tsm_record('sh_new', 1, NULL, 1);
SELECT tsm_stats() ->> 'series', tsm_check();
EOF
check 6.0 "$OUT" '0
1
1|ok'
check 6.1 "$ERR" ""

if [ $nskip -gt 0 ]; then
  echo "$npass passed, $nfail failed, $nskip skipped"
else
  echo "$npass passed, $nfail failed"
fi
[ $nfail -eq 0 ]
