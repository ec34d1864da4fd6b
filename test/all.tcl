# SPDX-License-Identifier: MIT
# all.tcl -- run every test and print one total line.
#
# Runs: the C unit tests (build/test_*), every test/*.test (tclsh), every
# test/*.py (Debian's /usr/bin/python3), every test/*.sh.  Each prints a last
# line "N passed, N failed[, N skipped]"; a program that exits non-zero
# without such a line counts as one failure.  Lines starting "! " (a
# failure), "- " (a skip) and "# " (a measurement) are shown.
set root [file dirname [file dirname [file normalize [info script]]]]
cd $root
set tot(pass) 0; set tot(fail) 0; set tot(skip) 0

proc run {label cmd} {
  global tot
  set t0 [clock milliseconds]
  set rc [catch {exec -ignorestderr {*}$cmd 2>@1} out opts]
  set ms [expr {[clock milliseconds]-$t0}]
  set last ""
  foreach line [split $out \n] {
    if {[regexp {^(?:\w+: )?(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$} $line -> p f s]} {
      set last [list $p $f [expr {$s eq "" ? 0 : $s}]]
    } elseif {[string match "!*" $line] || [string match "-*skipped*" $line]
              || [string match "# *" $line]} {
      puts $line
    }
  }
  if {$last eq ""} {
    puts "! $label: no result line (exit [expr {$rc ? [lindex [dict get $opts -errorcode] end] : 0}])"
    puts [string range $out end-3000 end]
    set last {0 1 0}
  } elseif {$rc && [lindex $last 1]==0} {
    puts "! $label: exited non-zero"
    puts [string range $out end-3000 end]
    lset last 1 1
  } elseif {[lindex $last 1] > 0} {
    puts [string range $out end-3000 end]
  }
  lassign $last p f s
  incr tot(pass) $p; incr tot(fail) $f; incr tot(skip) $s
  puts [format "%-28s %5d passed %3d failed %3d skipped  %6.1fs" $label $p $f $s [expr {$ms/1000.0}]]
}

set only [lindex $argv 0]
foreach bin [lsort [glob -nocomplain build/test_*]] {
  if {$only ne "" && ![string match *$only* $bin]} continue
  run [file tail $bin] [list $bin]
}
# TSM_SANITIZE=1 (make check): tclsh, python3 and sqlite3 load
# dist/asan/tsm, which needs the ASan runtime loaded first; the
# interpreters' own leaks are not ours.  (After the unit binaries: they
# link the runtime themselves and keep leak checking.)
if {[info exists env(TSM_SANITIZE)]
 && !([info exists env(LD_PRELOAD)] && [string match *libasan* $env(LD_PRELOAD)])
 && ![catch {exec gcc -print-file-name=libasan.so} lib] && [file exists $lib]} {
  set env(LD_PRELOAD) $lib
  set env(ASAN_OPTIONS) [join [concat detect_leaks=0 \
      [expr {[info exists env(ASAN_OPTIONS)] ? $env(ASAN_OPTIONS) : ""}]] :]
}
foreach f [lsort [glob -nocomplain test/*.test]] {
  if {$only ne "" && ![string match *$only* $f]} continue
  run [file tail $f] [list tclsh $f]
}
foreach f [lsort [glob -nocomplain test/*.py]] {
  if {$only ne "" && ![string match *$only* $f]} continue
  run [file tail $f] [list /usr/bin/python3 $f]
}
foreach f [lsort [glob -nocomplain test/*.sh]] {
  if {$only ne "" && ![string match *$only* $f]} continue
  run [file tail $f] [list sh $f]
}
set line "$tot(pass) passed, $tot(fail) failed"
if {$tot(skip)} { append line ", $tot(skip) skipped" }
puts $line
exit [expr {$tot(fail) ? 1 : 0}]
