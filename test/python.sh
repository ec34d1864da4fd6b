#!/bin/sh
# SPDX-License-Identifier: MIT
# python.sh -- the Python package bindings/python (sqlite-tsm) installed
# offline with pip into a fresh virtual environment of Debian's
# /usr/bin/python3, its own tests (bindings/python/test_sqlite_tsm.py), and
# the Python example of README.md run with it from another directory.
NAME=python.sh
. "$(dirname "$0")/helpers/client.sh"
PY=/usr/bin/python3
[ -x $PY ] || skip_all "no /usr/bin/python3"
$PY -c 'import ensurepip, venv' 2>/dev/null || skip_all "no venv module (Debian: python3-venv)"
$PY -c 'import setuptools, wheel' 2>/dev/null || skip_all "no setuptools or wheel (Debian: python3-setuptools python3-wheel)"

# 1: pip installs the package offline: it runs make and ships tsm.so.
VENV=$TMP/venv
pip_install() {
  $PY -m venv --system-site-packages "$VENV" &&
  (cd "$TMP" && "$VENV/bin/pip" install -q --no-index --no-build-isolation \
     "$ROOT/bindings/python") >"$TMP/pip.log" 2>&1
}
if ! timed pip pip_install; then
  echo "! $NAME 1.0: pip install failed"; tail -20 "$TMP/pip.log"
  nfail=$((nfail+1)); finish
fi
check 1.0 "$("$VENV/bin/python" -c 'import sqlite_tsm, os; print(os.path.exists(sqlite_tsm.loadable_path() + ".so"))')" True
rm -rf "$ROOT/bindings/python/build" "$ROOT/bindings/python/sqlite_tsm.egg-info"

# 2: the package's own tests, run from outside the checkout so that they
# import the installed package.
cp bindings/python/test_sqlite_tsm.py "$TMP/"
OUT=$(cd "$TMP" && "$VENV/bin/python" test_sqlite_tsm.py 2>&1)
RC=$?
check 2.0 "$RC" 0
[ $RC -eq 0 ] || printf '%s\n' "$OUT" | tail -20

# 3: the README example.
mkdir -p "$TMP/example"
snippet python > "$TMP/example/example.py"
OUT=$(cd "$TMP/example" && "$VENV/bin/python" example.py 2>&1)
check 3.0 "$OUT" '[(1767225600000, 30, 145.0), (1767225900000, 30, 150.0)]'
finish
