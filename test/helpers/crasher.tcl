# SPDX-License-Identifier: MIT
# crasher.tcl -- a child process of crash.test: records batches of known
# content until it is killed.
#
#   tclsh crasher.tcl EXT DBFILE FIRSTBATCH
#
# With synchronous=FULL, commits batch FIRSTBATCH, FIRSTBATCH+1, ... and
# prints "committed B" after each COMMIT has returned.  Batch B holds
# (see batch_rows, also used by crash.test to check):
#   crash{s="0".."3"}  100 samples each at ts T0 + (B*100+i)*1000
#   late               100 samples at ts T0 + (i*1000+B)*1000: spread over the
#                      whole time range, so every batch rewrites sealed chunks
#   crash_nan          one NaN with payload B (written through value_bits)
# Every value except the NaN is B*1000 + i + 0.5: its batch is value/1000.
# Batch B%3==2 is a long transaction with tsm_flush() in the middle.
package require sqlite3

set T0 1600000000000

proc batch_rows {b} {
  global T0
  set rows {}
  for {set s 0} {$s < 4} {incr s} {
    for {set i 0} {$i < 100} {incr i} {
      lappend rows crash "{\"s\":\"$s\"}" [expr {$T0 + ($b*100+$i)*1000}] \
          [expr {$b*1000 + $i + 0.5}]
    }
  }
  for {set i 0} {$i < 100} {incr i} {
    lappend rows late {{}} [expr {$T0 + ($i*1000+$b)*1000}] \
        [expr {$b*1000 + $i + 0.5}]
  }
  return $rows
}

# The NaN of batch B: its bits.
proc batch_nan {b} { return [expr {0x7ff8000000000000 | $b}] }

# crash.test sources this file for batch_rows; run only as a program.
if {[file tail $argv0] eq "crasher.tcl"} {
  lassign $argv ext dbfile first
  sqlite3 db $dbfile
  db enable_load_extension 1
  db eval {SELECT load_extension($ext)}
  db timeout 10000
  db eval {PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL}
  fconfigure stdout -buffering line
  for {set b $first} {1} {incr b} {
    set rows [batch_rows $b]
    set half [expr {[llength $rows]/2}]
    set nan [batch_nan $b]
    db eval {BEGIN IMMEDIATE}
    set k 0
    foreach {m l ts v} $rows {
      if {$k == $half && $b % 3 == 2} { db eval {SELECT tsm_flush()} }
      db eval {INSERT INTO tsm_samples(metric, labels, ts, value)
               VALUES($m, $l, $ts, $v)}
      incr k 4
    }
    db eval {INSERT INTO tsm_samples(metric, ts, value_bits)
             VALUES('crash_nan', $T0 + $b, $nan)}
    db eval {COMMIT}
    puts "committed $b"
  }
}
