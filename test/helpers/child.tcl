# SPDX-License-Identifier: MIT
# child.tcl -- sourced by the child processes of the concurrency tests
# (proxy.tcl, pruner.tcl, writer.tcl): how a child fails, opens the store
# and waits for the start signal.
#
#   fail MSG                      print "ERROR <role> <id>: MSG", exit 1
#   child_open EXT DBFILE MS      db: the store, tsm loaded, busy timeout MS,
#                                 synchronous=NORMAL (durability is
#                                 crash.test's business; here many commits)
#   child_wait GOFILE             until GOFILE exists (a minute at most)
package require sqlite3

proc fail {msg} {
  puts "ERROR [file rootname [file tail $::argv0]] $::id: $msg"
  flush stdout
  exit 1
}

proc child_open {ext dbfile ms} {
  if {[catch {
    sqlite3 db $dbfile
    db enable_load_extension 1
    db eval {SELECT load_extension($ext)}
    db timeout $ms
    db eval {PRAGMA synchronous=NORMAL}
  } msg]} { fail "open: $msg" }
}

proc child_wait {gofile} {
  set t0 [clock milliseconds]
  while {![file exists $gofile]} {
    if {[clock milliseconds] - $t0 > 60000} { fail "no start signal" }
    after 5
  }
}
