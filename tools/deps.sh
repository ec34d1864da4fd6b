#!/bin/sh
# SPDX-License-Identifier: MIT
# Install what building and testing tsm needs, when it is missing (Debian):
# compilers, SQLite's headers, Tcl and the libraries the extension links.
# Never a server or a client toolchain: the tests that need those skip
# with a reason, and .ci/run installs them for CI.
missing=""
[ -f /usr/include/sqlite3.h ] || missing="$missing libsqlite3-dev"
[ -f /usr/include/pcre2.h ] || missing="$missing libpcre2-dev"
[ -f /usr/include/snappy-c.h ] || missing="$missing libsnappy-dev"
[ -f /usr/include/zstd.h ] || missing="$missing libzstd-dev"
command -v sqlite3 >/dev/null 2>&1 || missing="$missing sqlite3"
command -v tclsh >/dev/null 2>&1 || missing="$missing tcl"
command -v cc >/dev/null 2>&1 || missing="$missing gcc"
if command -v tclsh >/dev/null 2>&1; then
  echo 'if {[catch {package require sqlite3}]} {exit 1}' | tclsh || missing="$missing libsqlite3-tcl"
else
  missing="$missing libsqlite3-tcl"
fi
[ -x /usr/bin/python3 ] || missing="$missing python3"
[ -z "$missing" ] && exit 0
exec sh "$(dirname "$0")/apt-install.sh" $missing
