# SPDX-License-Identifier: MIT
# crasher.tcl -- a child process of crash.test and soak.tcl: records
# batches of known content until it is killed.  Sourced by them for the
# parent's side (batch_rows, run_child, verify).
#
#   tclsh crasher.tcl EXT DBFILE FIRSTBATCH ?JOURNAL SYNCHRONOUS MAINT?
#
# In JOURNAL mode (default WAL) with SYNCHRONOUS (default FULL), commits
# batch FIRSTBATCH, FIRSTBATCH+1, ... and prints "committed B" after each
# COMMIT has returned.  Batch B holds (see batch_rows, also used to check):
#   crash{s="0".."3"}  100 samples each at ts T0 + (B*100+i)*1000
#   late               100 samples at ts T0 + (i*1000+B)*1000: spread over the
#                      whole time range, so every batch rewrites sealed chunks
#   crash_nan          one NaN with payload B (written through value_bits)
# Every value except the NaN is B*1000 + i + 0.5: its batch is value/1000.
# Batch B%3==2 is a long transaction with tsm_flush() in the middle.  With
# MAINT 1, the store declares rollup tiers (raw samples kept forever), every
# commit runs the automatic maintenance, batch B%4==1 records through
# tsm_record() inside a savepoint, and tsm_downsample() or tsm_prune() run
# between batches.
package require sqlite3
set crasherPath [file normalize [info script]]

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

# The parent's side.  Start the child at batch FIRST (options: journal
# mode, synchronous, maint); after it reported NWAIT batches wait DELAY ms
# and kill it with SIGKILL.  Returns the batches it reported; the child's
# other output goes to ::childOutput.
proc run_child {ext file first nWait delay {journal WAL} {sync FULL} {maint 0}} {
  set fd [open |[list [info nameofexecutable] $::crasherPath $ext $file $first \
                  $journal $sync $maint 2>@1] r]
  set pid [lindex [pid $fd] 0]
  set reported {}
  set other {}
  while {[llength $reported] < $nWait && [gets $fd line] >= 0} {
    if {[regexp {^committed (\d+)$} $line -> b]} {
      lappend reported $b
    } else {
      lappend other $line
    }
  }
  after $delay
  catch {exec kill -9 $pid}
  while {[gets $fd line] >= 0} {
    if {[regexp {^committed (\d+)$} $line -> b]} {
      lappend reported $b
    } else {
      lappend other $line
    }
  }
  catch {close $fd}
  set ::childOutput [join $other \n]
  return $reported
}

# Expected count, sum(value) and sum(ts) of batch B (without the NaN).
proc batch_expect {b} {
  set n 0; set s 0.0; set t 0
  foreach {m l ts v} [batch_rows $b] {
    incr n; set s [expr {$s + $v}]; incr t $ts
  }
  return [list $n $s $t]
}

# Check the store (open as DB) after a crash.  LAST is the last reported
# batch (-1: none), FIRST the first batch of this file.  Returns "" or the
# problems; sets ::committed to the last batch that is in the store.
proc verify {last {first 0} {cmd db}} {
  set problems {}
  set have {}
  $cmd eval {
    SELECT CAST(value/1000 AS INTEGER) AS b, count(*) AS n,
           sum(value) AS s, sum(ts) AS t
    FROM tsm_samples WHERE metric IN ('crash', 'late') GROUP BY 1 ORDER BY 1
  } {
    dict set have $b [list $n $s $t]
  }
  set nans {}
  $cmd eval {
    SELECT ts - 1600000000000 AS b, value_bits FROM tsm_samples
    WHERE metric='crash_nan' ORDER BY ts
  } {
    dict set nans $b $value_bits
  }
  set ::committed $last
  for {set b $first} {$b <= $last} {incr b} {
    if {![dict exists $have $b]} {
      lappend problems "batch $b was reported committed but is missing"
    } elseif {[dict get $have $b] ne [batch_expect $b]} {
      lappend problems "batch $b: [dict get $have $b], expected [batch_expect $b]"
    }
    if {![dict exists $nans $b] || [dict get $nans $b] != [batch_nan $b]} {
      lappend problems "batch $b: NaN sample missing or wrong"
    }
  }
  foreach b [dict keys $have] {
    if {$b <= $last} continue
    if {$b > $last+1} {
      lappend problems "batch $b is there but was never started"
    } elseif {[dict get $have $b] ne [batch_expect $b]} {
      lappend problems "batch $b is partial: [dict get $have $b], expected [batch_expect $b]"
    } else {
      set ::committed $b
    }
  }
  foreach b [dict keys $nans] {
    if {$b > $::committed} {
      lappend problems "NaN of batch $b is there, its batch is not"
    }
  }
  return [join $problems \n]
}

# Run only as a program: the child.
if {[file tail $argv0] eq "crasher.tcl"} {
  lassign $argv ext dbfile first journal sync maint
  if {$journal eq ""} { set journal WAL }
  if {$sync eq ""} { set sync FULL }
  if {$maint eq ""} { set maint 0 }
  sqlite3 db $dbfile
  db enable_load_extension 1
  db eval {SELECT load_extension($ext)}
  db timeout 10000
  db eval "PRAGMA journal_mode=$journal; PRAGMA synchronous=$sync"
  if {$maint} {
    db eval {
      BEGIN IMMEDIATE;
      DELETE FROM tsm_retention;
      INSERT INTO tsm_retention(metric, resolution, keep) VALUES
        ('*', 'raw', NULL), ('*', '1m', NULL), ('*', '1h', NULL);
      COMMIT;
      SELECT tsm_auto(0);
    }
  }
  fconfigure stdout -buffering line
  for {set b $first} {1} {incr b} {
    set rows [batch_rows $b]
    set half [expr {[llength $rows]/2}]
    set nan [batch_nan $b]
    set sp [expr {$maint && $b % 4 == 1}]
    db eval {BEGIN IMMEDIATE}
    if {$sp} { db eval {SAVEPOINT s1} }
    set k 0
    foreach {m l ts v} $rows {
      if {$k == $half && $b % 3 == 2} { db eval {SELECT tsm_flush()} }
      if {$sp} {
        db eval {SELECT tsm_record($m, $v, $l, $ts)}
      } else {
        db eval {INSERT INTO tsm_samples(metric, labels, ts, value)
                 VALUES($m, $l, $ts, $v)}
      }
      incr k 4
    }
    db eval {INSERT INTO tsm_samples(metric, ts, value_bits)
             VALUES('crash_nan', $T0 + $b, $nan)}
    if {$sp} { db eval {RELEASE s1} }
    db eval {COMMIT}
    puts "committed $b"
    if {$maint && $b % 5 == 3} { db eval {SELECT tsm_downsample()} }
    if {$maint && $b % 7 == 4} { db eval {SELECT tsm_prune()} }
  }
}
