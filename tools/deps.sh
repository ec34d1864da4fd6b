#!/bin/sh
# Install what building and testing tsm needs, when it is missing (Debian).
missing=""
[ -f /usr/include/sqlite3.h ] || missing="$missing libsqlite3-dev"
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
echo "tools/deps.sh: installing$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq && $SUDO apt-get install -y -qq $missing >/dev/null
