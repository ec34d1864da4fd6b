# SPDX-License-Identifier: MIT
# soak.tcl -- make soak: hundreds of kill -9 at random points.
#
#   tclsh test/soak.tcl ?KILLS?        (default 300; SOAK_KILLS in make)
#
# Each round starts a writer (test/helpers/crasher.tcl) in a journal mode
# (WAL, DELETE) and synchronous setting (OFF, NORMAL, FULL) drawn at random,
# half of the rounds with rollup tiers and maintenance (tsm_record in a
# savepoint, tsm_downsample, tsm_prune, the automatic maintenance at every
# commit), and kills it with SIGKILL after 0 to 5 reported commits and 0 to
# 60 ms more: during startup, recording, flushing, committing or
# maintenance.  Then every batch it reported is there, complete and
# bit-exact, at most one unreported batch is there and complete, nothing
# else, and tsm_check() is ok.  A new store every 40 rounds keeps the
# checks fast.  Not part of make test (it runs for minutes); prints
# "N passed, N failed" like every test.
source [file join [file dirname [info script]] tester.tcl]
source [file join $::testdir helpers crasher.tcl]

set nKill [expr {[llength $argv] ? [lindex $argv 0] : 300}]
set seed [expr {[info exists env(SOAK_SEED)] ? $env(SOAK_SEED) : [clock seconds]}]
expr {srand($seed)}
puts "# soak: seed $seed (SOAK_SEED=$seed to repeat)"

set t0 [clock milliseconds]
set nBatch 0
set nExtra 0
array set nMode {}
for {set r 1} {$r <= $nKill} {incr r} {
  if {$r % 40 == 1} {
    set file [tmpfile soak[expr {$r/40}].db]
    set first 0
    set next 0
  }
  set journal [lindex {WAL DELETE} [expr {int(rand()*2)}]]
  set sync [lindex {OFF NORMAL FULL} [expr {int(rand()*3)}]]
  set maint [expr {int(rand()*2)}]
  incr nMode($journal/$sync)
  set nWait [expr {int(rand()*6)}]
  set delay [expr {int(rand()*60)}]
  set reported [run_child $::ext $file $next $nWait $delay $journal $sync $maint]
  set last [expr {[llength $reported] ? [lindex $reported end] : $next-1}]
  do_test $r.0 {
    set ok 1
    set b $next
    foreach x $reported { if {$x != $b} { set ok 0 }; incr b }
    list $ok $::childOutput
  } {1 {}}
  sqlite3 db $file
  load_tsm db
  do_test $r.1 { verify $last $first } {}
  do_check_test $r.2
  db close
  if {$::committed > $last} { incr nExtra }
  incr nBatch [expr {$::committed + 1 - $next}]
  set next [expr {$::committed + 1}]
}
set modes {}
foreach k [lsort [array names nMode]] { lappend modes "$k $nMode($k)" }
puts "# soak: $nKill kills, $nBatch batches committed ($nExtra committed\
      but unreported), [expr {([clock milliseconds]-$t0)/1000}] s;\
      [join $modes {, }]"
finish_test
