# SPDX-License-Identifier: MIT
# sizing.tcl -- bytes per raw sample and per rollup bucket, the figures of
# README.md "Sizing and retention".  Run from the repository root after
# make:  tclsh bench/sizing.tcl
#
#   A. the real NAB data (../shared/data/nab-aws, 5-minute samples), with a
#      1h tier;
#   B. an agent: 50 series every 10 s for 2 days (25 gauges, a random
#      walk to 0.1; 25 counters), with the README's starting policy's
#      tiers (5m and 1h).
# Each prints the bytes per raw sample (compressed chunks) and per bucket
# (rows of tsm_rollups, sketch included), from tsm_retention's status.
package require sqlite3
set root [file dirname [file dirname [file normalize [info script]]]]
set tmp [file join $root build tmp sizing]
file delete -force $tmp
file mkdir $tmp

proc open_store {name} {
  global tmp root
  sqlite3 db [file join $tmp $name.db]
  db enable_load_extension 1
  db eval {SELECT load_extension($root || '/dist/tsm')}
  db eval {PRAGMA journal_mode=WAL}
}
proc report {label} {
  db eval {SELECT tsm_downsample()}
  db eval {SELECT resolution, samples, bytes FROM tsm_retention} {
    if {$samples == 0} continue
    set what [expr {$resolution eq "raw" ? "raw sample" : "$resolution bucket"}]
    puts [format "%s: %-11s %8d, %6.2f bytes each" $label $what $samples \
            [expr {double($bytes)/$samples}]]
  }
  puts [format "%s: file %.1f KiB, tsm_check %s" $label \
          [expr {[db one {SELECT page_count*page_size FROM pragma_page_count, pragma_page_size}]/1024.0}] \
          [db one {SELECT tsm_check()}]]
  db close
}

# A. NAB
set files [glob -nocomplain -directory [file join [file dirname $root] shared data nab-aws] *.csv]
if {[llength $files]} {
  open_store nab
  db eval {INSERT INTO tsm_retention(metric, resolution, keep) VALUES ('*', 'raw', NULL), ('*', '1h', NULL)}
  db transaction {
    foreach f $files {
      set m [file rootname [file tail $f]]
      regsub -all {[^a-zA-Z0-9_]} $m _ m
      set fd [open $f]; gets $fd
      while {[gets $fd line] >= 0} {
        lassign [split $line ,] t v
        db eval {INSERT INTO tsm_samples(metric, ts, value) VALUES ('nab_' || $m, $t, CAST($v AS REAL))}
      }
      close $fd
    }
  }
  report "A. NAB (5 min)"
} else {
  puts "A. NAB: no data in ../shared/data/nab-aws"
}

# B. agent
open_store agent
db eval {INSERT INTO tsm_retention(metric, resolution, keep) VALUES
           ('*', 'raw', NULL), ('*', '5m', NULL), ('*', '1h', NULL)}
expr {srand(20260101)}
set t0 1767225600000
db transaction {
  for {set s 0} {$s < 50} {incr s} {
    set v [expr {10.0 + $s}]
    set c 0
    for {set i 0} {$i < 17280} {incr i} {
      set ts [expr {$t0 + $i*10000 + int(rand()*5)}]
      if {$s < 25} {
        set v [expr {max(0.0, round(($v + (rand()-0.5))*10)/10.0)}]
        db eval {INSERT INTO tsm_samples(metric, labels, ts, value)
                 VALUES ('agent_gauge', json_object('n', CAST($s AS TEXT)), $ts, $v)}
      } else {
        incr c [expr {int(rand()*20)}]
        db eval {INSERT INTO tsm_samples(metric, labels, ts, value)
                 VALUES ('agent_total', json_object('n', CAST($s AS TEXT)), $ts, $c)}
      }
    }
  }
}
report "B. agent (10 s)"
