# SPDX-License-Identifier: MIT
# writer.tcl -- a child process of concurrency.test: writes one store at the
# same time as other writers and reports exactly what it committed.
#
#   tclsh writer.tcl EXT DBFILE ID NWRITERS NBATCH GOFILE ?AUTO?
#
# AUTO, if given, is passed to tsm_auto() (automatic maintenance at commit).
# EXT is the extension to load (dist/tsm or dist/asan/tsm), ID is 0..NWRITERS-1.
# The writer waits until GOFILE exists, then commits NBATCH batches.  Batch b
# uses mode b%4:
#   0  autocommit tsm_record() calls, one statement per sample
#   1  autocommit multi-row INSERT INTO tsm_samples
#   2  BEGIN IMMEDIATE, tsm_record() and INSERT, tsm_flush() half-way, COMMIT
#   3  plain (deferred) BEGIN that reads first, then writes, COMMIT; and
#      samples recorded after a SAVEPOINT that is rolled back to
# Every 5th batch is followed by a transaction that records and rolls back.
# Rolled-back samples ("phantoms") are all before T0, value -1.
# A statement or transaction that fails with SQLITE_BUSY is rolled back and
# retried; anything else is an error.
#
# Series: shared{k="0"}, shared{k="1"} (every writer; timestamps interleave:
# writer ID writes ts = T0 + (seq*NWRITERS + ID)*1000, so the ranges overlap
# but no two writers write the same timestamp), and private{w="ID",k="0|1"}.
# Sequence numbers are shuffled in windows, so samples arrive out of order
# and late samples land in chunks that are already sealed.
#
# Output: one line per series "S metric labels count sum tssum", then
# "retries N", then "done".  Errors: "ERROR ..." and exit status 1.
lassign $argv ext dbfile id nWriters nBatch gofile auto
source [file join [file dirname [info script]] child.tcl]
child_open $ext $dbfile 30000
if {$auto ne ""} { db eval {SELECT tsm_auto($auto)} }

expr {srand(7919*$id + 17)}
set T0 1700000000000
set perBatch 100

# The series this writer writes, with the labels of each.
# The labels are given in different spellings; canon() is how tsm reports
# them back (sorted keys; the metric without {labels}).
set series [list shared {{"k":"0"}} {shared{k="1"}} {{}} \
    private "{\"k\":\"0\",\"w\":\"$id\"}" \
    private "{\"w\":\"$id\",\"k\":\"1\"}"]
set canon [list {{"k":"0"}} {{"k":"1"}} \
    "{\"k\":\"0\",\"w\":\"$id\"}" "{\"k\":\"1\",\"w\":\"$id\"}"]
set nSeries [expr {[llength $series]/2}]

# Per series: a queue of sequence numbers, shuffled in windows of 300.
proc shuffled {n window} {
  set out {}
  for {set lo 0} {$lo < $n} {incr lo $window} {
    set w {}
    for {set i $lo} {$i < $lo+$window && $i < $n} {incr i} { lappend w $i }
    for {set i [expr {[llength $w]-1}]} {$i > 0} {incr i -1} {
      set j [expr {int(rand()*($i+1))}]
      set t [lindex $w $i]; lset w $i [lindex $w $j]; lset w $j $t
    }
    lappend out {*}$w
  }
  return $out
}
set total [expr {$nBatch*$perBatch}]
for {set s 0} {$s < $nSeries} {incr s} {
  set queue($s) [shuffled $total 300]
  set qpos($s) 0
}

# Sample i of a batch: which series (60% shared), its ts and value.
proc next_sample {} {
  global series nSeries queue qpos T0 id nWriters
  set r [expr {rand()}]
  set s [expr {$r < 0.3 ? 0 : $r < 0.6 ? 1 : $r < 0.8 ? 2 : 3}]
  set seq [lindex $queue($s) $qpos($s)]
  incr qpos($s)
  if {$s < 2} {
    set ts [expr {$T0 + ($seq*$nWriters + $id)*1000}]
  } else {
    set ts [expr {$T0 + $seq*1000}]
  }
  set v [expr {$id*1000000.0 + $seq + 0.25}]
  return [list $s [lindex $series [expr {2*$s}]] \
              [lindex $series [expr {2*$s+1}]] $ts $v]
}

# N samples that are always rolled back: in the shared series and in a
# series of their own, all before T0.
proc phantoms {n} {
  global T0 id
  for {set i 0} {$i < $n} {incr i} {
    set ts [expr {$T0 - 1000000000 + int(rand()*1000000)*1000 + $id}]
    if {$i % 2} {
      db eval {SELECT tsm_record('shared', -1, '{"k":"0"}', $ts)}
    } else {
      db eval {INSERT INTO tsm_samples(metric, labels, ts, value)
               VALUES('phantom', '{"w":"' || $id || '"}', $ts, -1)}
    }
  }
}

proc is_busy {msg} {
  return [regexp {database is locked|database table is locked|busy} $msg]
}

# Run SCRIPT until it does not fail with SQLITE_BUSY.
proc retry {script} {
  while 1 {
    set rc [catch {uplevel 1 $script} msg]
    if {$rc == 0} return
    if {![is_busy $msg]} { fail $msg }
    catch {db eval ROLLBACK}
    incr ::retries
    after [expr {1 + int(rand()*5)}]
  }
}

set retries 0
array set cnt {}; array set sum {}; array set tssum {}
for {set s 0} {$s < $nSeries} {incr s} {
  set cnt($s) 0; set sum($s) 0.0; set tssum($s) 0
}

# Wait for the start signal so that the writers really overlap.
child_wait $gofile

for {set b 0} {$b < $nBatch} {incr b} {
  set batch {}
  for {set i 0} {$i < $perBatch} {incr i} { lappend batch [next_sample] }
  set mode [expr {$b % 4}]
  switch $mode {
    0 {
      foreach smp $batch {
        lassign $smp s m l ts v
        retry { db eval {SELECT tsm_record($m, $v, $l, $ts)} }
      }
    }
    1 {
      # 4 statements of 25 rows each, autocommit
      for {set k 0} {$k < $perBatch} {incr k 25} {
        set sql "INSERT INTO tsm_samples(metric, labels, ts, value) VALUES "
        set sep ""
        set j 0
        foreach smp [lrange $batch $k [expr {$k+24}]] {
          lassign $smp s m l ts v
          set M($j) $m; set L($j) $l; set TS($j) $ts; set V($j) $v
          append sql "${sep}(\$M($j), \$L($j), \$TS($j), \$V($j))"
          set sep ", "
          incr j
        }
        retry { db eval $sql }
      }
    }
    2 {
      retry {
        db eval {BEGIN IMMEDIATE}
        set j 0
        foreach smp $batch {
          lassign $smp s m l ts v
          if {$j == $perBatch/2} { db eval {SELECT tsm_flush()} }
          if {$j % 2} {
            db eval {SELECT tsm_record($m, $v, $l, $ts)}
          } else {
            db eval {INSERT INTO tsm_samples(metric, labels, ts, value)
                     VALUES($m, $l, $ts, $v)}
          }
          incr j
        }
        db eval {COMMIT}
      }
    }
    3 {
      retry {
        db eval {BEGIN}
        # read first: the write later may find the snapshot stale (BUSY)
        set n0 [db one {SELECT count(*) FROM tsm_series}]
        # samples recorded after a savepoint and rolled back to it
        db eval {SAVEPOINT sp}
        phantoms 10
        db eval {ROLLBACK TO sp; RELEASE sp}
        foreach smp $batch {
          lassign $smp s m l ts v
          db eval {SELECT tsm_record($m, $v, $l, $ts)}
        }
        db eval {COMMIT}
      }
    }
  }
  # a transaction that rolls back: none of it may show up
  if {$b % 5 == 4} {
    retry {
      db eval {BEGIN}
      phantoms 20
      db eval {ROLLBACK}
    }
  }
  # committed: count it
  foreach smp $batch {
    lassign $smp s m l ts v
    incr cnt($s)
    set sum($s) [expr {$sum($s) + $v}]
    incr tssum($s) $ts
  }
  # This connection reads its own committed private samples.
  if {$b % 10 == 9} {
    set got [db one {SELECT count(*) FROM tsm_samples
                     WHERE metric='private' AND labels->>'w'=CAST($id AS TEXT)}]
    set want [expr {$cnt(2) + $cnt(3)}]
    if {$got != $want} { fail "batch $b: reads $got private samples, committed $want" }
  }
}

for {set s 0} {$s < $nSeries} {incr s} {
  set m [lindex {shared shared private private} $s]
  set l [lindex $canon $s]
  puts [list S $m $l $cnt($s) $sum($s) $tssum($s)]
}
puts [list retries $retries]
puts done
db close
exit 0
