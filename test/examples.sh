#!/bin/sh
# SPDX-License-Identifier: MIT
# examples.sh -- the shell and Tcl examples of README.md ("Use it from your
# language"), run as written from another directory with the built
# extension, and their output checked; and make demo's script.
NAME=examples.sh
. "$(dirname "$0")/helpers/client.sh"

# 1: the shell.
if command -v sqlite3 >/dev/null 2>&1; then
  snippet shell > "$TMP/example.sh"
  OUT=$(cd "$TMP" && sh example.sh 2>&1)
  check 1.0 "$OUT" '1767225600000|30|145.0
1767225900000|30|150.0'
  # a second run records the same samples again: the same result
  OUT=$(cd "$TMP" && sh example.sh 2>&1)
  check 1.1 "$OUT" '1767225600000|30|145.0
1767225900000|30|150.0'
else
  skip 1 "no sqlite3 shell"
fi

# 3: make demo's script (sql/demo.sql, run from the root as make demo
# does): no error, and the store checks out.
if command -v sqlite3 >/dev/null 2>&1; then
  OUT=$(sqlite3 "$TMP/demo.db" < sql/demo.sql 2>"$TMP/demo.err")
  check 3.0 "$(cat "$TMP/demo.err")" ""
  check 3.1 "$(printf '%s\n' "$OUT" | grep -c '^│ ok ')" 1
  check 3.2 "$(printf '%s\n' "$OUT" | grep -c '^wanctl_rtt_ms{wan="fiber"} 9.5$')" 1
  check 3.3 "$(printf '%s\n' "$OUT" | grep -c '^wanctl_rtt_ms,wan=lte value=36.5 1767311970000000000$')" 1
else
  skip 3 "no sqlite3 shell"
fi

# 2: Tcl (the test suite's own interpreter).
mkdir -p "$TMP/tcl"
snippet tcl > "$TMP/tcl/example.tcl"
OUT=$(cd "$TMP/tcl" && tclsh example.tcl 2>&1)
check 2.0 "$OUT" '1767225600000 30 145.0
1767225900000 30 150.0'
finish
