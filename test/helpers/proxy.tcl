# SPDX-License-Identifier: MIT
# proxy.tcl -- a child process of proxy.test: one thread of an LLM proxy
# that logs every API call as a row of `requests`, in autocommit mode; the
# table's trigger (README, "Triggers") records the metrics.
#
#   tclsh proxy.tcl EXT DBFILE ID NREQ T0 GOFILE
#
# Request i of writer ID is at ts = T0 + (i/4)*250 ms: every writer sends
# four requests per timestamp, the writers the same timestamps, so many
# requests of one model share a millisecond.  A third of the requests are
# not streamed: their ttft_ms is NULL.  A statement that fails with
# SQLITE_BUSY is retried; anything else is an error.
# Output: "inserted N", then "done".  Errors: "ERROR ..." and exit status 1.
lassign $argv ext dbfile id nReq T0 gofile
source [file join [file dirname [info script]] child.tcl]
child_open $ext $dbfile 60000
# proxy.test folds the tier itself and counts what that call writes
db eval {SELECT tsm_auto('off')}

expr {srand(104729*$id + 3)}
set models {gpt-4o claude-3 llama-70b "mistral \"large\"" gemini}
child_wait $gofile
set n 0
for {set i 0} {$i < $nReq} {incr i} {
  set ts [expr {$T0 + ($i/4)*250}]
  set model [lindex $models [expr {int(rand()*5)}]]
  set latency [expr {50 + int(rand()*2000)}]
  set tokens [expr {1 + int(rand()*4000)}]
  set cost [expr {$tokens * 0.000002 + int(rand()*7) * 0.0001}]
  set ttft [expr {rand() < 0.33 ? "" : 5 + int(rand()*500)}]
  set rid "$id-$i"
  while 1 {
    set rc [catch {
      db eval {
        INSERT INTO requests(rid, ts, model, latency_ms, tokens, cost_usd, ttft_ms)
        VALUES($rid, $ts, $model, $latency, $tokens, $cost, nullif($ttft, ''))
      }
    } msg]
    if {$rc == 0} break
    if {![regexp {locked|busy} $msg]} { fail $msg }
    after [expr {1 + int(rand()*3)}]
  }
  incr n
}
puts "inserted $n"
puts done
db close
exit 0
