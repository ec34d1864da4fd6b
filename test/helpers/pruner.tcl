# SPDX-License-Identifier: MIT
# pruner.tcl -- a child process of retention.test: records, downsamples and
# prunes one store at the same time as another pruner.
#
#   tclsh pruner.tcl EXT DBFILE ID NITER T0 GOFILE
#
# Waits until GOFILE exists, then NITER times: records 60 samples of its own
# series p{id="ID"} (one per second, continuing from T0 + 3 h), in one
# transaction; then SELECT tsm_downsample() and SELECT tsm_prune() (each
# its own transaction; SQLITE_BUSY is retried).  Prints "removed N" (the
# sum of what its tsm_prune() calls returned), "retries N", then "done".
# Errors: "ERROR ..." and exit status 1.
lassign $argv ext dbfile id nIter T0 gofile
source [file join [file dirname [info script]] child.tcl]
child_open $ext $dbfile 20000
child_wait $gofile

set removed 0
set retries 0
proc retry {script} {
  for {set k 0} {$k < 100} {incr k} {
    if {![catch {uplevel 1 $script} res]} { return $res }
    catch {db eval ROLLBACK}
    if {![string match "*locked*" $res] && ![string match "*busy*" $res]} {
      fail $res
    }
    incr ::retries
    after 5
  }
  fail "still busy after 100 tries"
}

set t [expr {$T0 + 3*3600000}]
for {set i 0} {$i < $nIter} {incr i} {
  retry {
    db eval BEGIN
    for {set k 0} {$k < 60} {incr k} {
      set ts [expr {$t + ($i*60 + $k)*1000}]
      db eval { INSERT INTO tsm_samples(metric, labels, ts, value)
                  VALUES ('p', json_object('id', $id), $ts, $k) }
    }
    db eval COMMIT
  }
  retry { db eval { SELECT tsm_downsample() } }
  incr removed [retry { db one { SELECT tsm_prune() } }]
}
puts "removed $removed"
puts "retries $retries"
puts done
db close
