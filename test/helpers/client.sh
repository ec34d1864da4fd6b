# SPDX-License-Identifier: MIT
# client.sh -- sourced by the client tests (test/install.sh, test/go.sh,
# ...): counting, skipping, and the README snippets they run.
#
#   NAME=go; . test/helpers/client.sh   cd to the root, TMP=build/tmp/$NAME
#   check CASE GOT WANT                 count a pass or print a failure
#   skip CASE WHY                       count a skipped case
#   skip_all WHY                        one skipped case, then exit
#   snippet ID                          the code block of README.md that
#                                       follows the line <!-- snippet: ID -->,
#                                       with /usr/local/lib/tsm (where make
#                                       install puts it) replaced by $EXT
#   finish                              print the result line and exit
#   timed CASE CMD...                   run CMD, print "# NAME CASE: N s"
#   build_or_finish WHAT CMD...         timed build of the README example by
#                                       CMD (output in $TMP/build.log); on
#                                       failure print the log's end and finish
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
TMP=$ROOT/build/tmp/$NAME
EXT=$ROOT/dist/tsm
npass=0
nfail=0
nskip=0

check() {
  if [ "$2" = "$3" ]; then
    npass=$((npass+1))
  else
    nfail=$((nfail+1))
    echo "! $NAME $1 failed"
    echo "!   expected: $3"
    echo "!   got:      $2"
  fi
}

skip() {
  nskip=$((nskip+1))
  echo "- $NAME $1 skipped: $2"
}

skip_all() {
  echo "- $NAME skipped: $1"
  echo "$npass passed, $nfail failed, $((nskip+1)) skipped"
  exit 0
}

finish() {
  if [ $nskip -gt 0 ]; then
    echo "$npass passed, $nfail failed, $nskip skipped"
  else
    echo "$npass passed, $nfail failed"
  fi
  [ $nfail -eq 0 ]
  exit
}

snippet() {
  awk -v id="<!-- snippet: $1 -->" '
    $0 == id { found = 1; next }
    found == 1 && /^```/ { found = 2; next }
    found == 2 && /^```/ { exit }
    found == 2 { print }
  ' "$ROOT/README.md" | sed "s|/usr/local/lib/tsm|$EXT|g"
}

timed() {
  _case=$1; shift
  _t0=$(date +%s)
  "$@"
  _rc=$?
  echo "# $NAME $_case: $(( $(date +%s) - _t0 )) s"
  return $_rc
}

_to_build_log() { "$@" >"$TMP/build.log" 2>&1; }

build_or_finish() {
  _what=$1; shift
  timed build _to_build_log "$@" && return 0
  echo "! $NAME 1.0: $_what failed"; tail -20 "$TMP/build.log"
  nfail=$((nfail+1)); finish
}

# The client tests run the normal build only: under make check (ASan) the
# toolchains' own programs would need the ASan runtime.
[ -z "$TSM_SANITIZE" ] || skip_all "client examples run under make test, not make check"
rm -rf "$TMP"
mkdir -p "$TMP"
