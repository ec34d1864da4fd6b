# SPDX-License-Identifier: MIT
# tester.tcl -- the harness every test/*.test file sources.
#
#   open_db DB ?FILE?            open FILE (default: a fresh database) as
#                                command DB, with tsm loaded
#   do_test NAME SCRIPT EXPECTED result of SCRIPT must equal EXPECTED
#   do_execsql_test NAME SQL EXPECTED   rows of SQL on [db]
#   do_catchsql_test NAME SQL EXPECTED  {0 rows} or {1 "error message"}
#   do_check_test NAME           tsm_check() on [db] must say ok
#   skip NAME WHY                count a skipped case
#   finish_test                  print "N passed, N failed" and exit
package require sqlite3

set ::testdir [file dirname [file normalize [info script]]]
set ::root [file dirname $::testdir]
set ::ext [file join $::root dist tsm]
if {[info exists ::env(TSM_SANITIZE)]} { set ::ext [file join $::root dist asan tsm] }
set ::tmpdir [file join $::root build tmp [file rootname [file tail $::argv0]]]
file delete -force $::tmpdir
file mkdir $::tmpdir
set ::nPass 0
set ::nFail 0
set ::nSkip 0
set ::dbSeq 0

proc tmpfile {name} { return [file join $::tmpdir $name] }

# Load tsm into an open Tcl sqlite3 handle.
proc load_tsm {db} {
  $db enable_load_extension 1
  $db eval {SELECT load_extension($::ext)}
  $db timeout 10000
}

proc open_db {{cmd db} {file ""}} {
  if {$file eq ""} { set file [tmpfile "t[incr ::dbSeq].db"] }
  catch {$cmd close}
  sqlite3 $cmd $file
  load_tsm $cmd
  $cmd eval {PRAGMA journal_mode=WAL}
  # gen: 1, 2, 3, ... (use with LIMIT); the Tcl binding has no
  # generate_series.
  $cmd eval {CREATE TEMP VIEW gen(value) AS WITH RECURSIVE s(value) AS
             (SELECT 1 UNION ALL SELECT value+1 FROM s) SELECT value FROM s}
  return $file
}

proc do_test {name script expected} {
  set rc [catch {uplevel #0 $script} result]
  if {$rc} { set result "ERROR: $result" }
  if {$result eq $expected} {
    incr ::nPass
  } else {
    incr ::nFail
    puts "! $::argv0 $name failed"
    puts "!   expected: [string range $expected 0 400]"
    puts "!   got:      [string range $result 0 400]"
  }
}

proc do_execsql_test {name sql expected} {
  uplevel #0 [list do_test $name [list db eval $sql] [list {*}$expected]]
}

proc catchsql {sql {cmd db}} {
  set rc [catch {uplevel #0 [list $cmd eval $sql]} res]
  return [list $rc $res]
}

proc do_catchsql_test {name sql expected} {
  do_test $name [list catchsql $sql] $expected
}

proc do_check_test {name {cmd db}} {
  do_test $name [list $cmd one {SELECT tsm_check()}] ok
}

proc skip {name why} {
  incr ::nSkip
  puts "- $::argv0 $name skipped: $why"
}

proc finish_test {} {
  catch {db close}
  set line "$::nPass passed, $::nFail failed"
  if {$::nSkip} { append line ", $::nSkip skipped" }
  puts $line
  exit [expr {$::nFail ? 1 : 0}]
}
