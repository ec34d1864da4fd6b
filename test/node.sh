#!/bin/sh
# SPDX-License-Identifier: MIT
# node.sh -- the Node package bindings/node (sqlite-tsm): its tests
# (bindings/node/test.js, with better-sqlite3 and node-sqlite3), packed
# with npm pack and installed from the tarball, and the Node example of
# README.md run with it from another directory.
#
# better-sqlite3 (and sqlite3) come from npm into build/npm (git-ignored),
# installed by tools/npm-modules.sh (.ci/run runs it); this test never
# installs anything and skips when they are missing.
NAME=node.sh
. "$(dirname "$0")/helpers/client.sh"
command -v node >/dev/null 2>&1 || skip_all "no node (Debian: nodejs)"
NPMDIR=$ROOT/build/npm
[ -d "$NPMDIR/node_modules/better-sqlite3" ] ||
  skip_all "better-sqlite3 is not installed (sh tools/npm-modules.sh installs it; .ci/run does)"

# 1: the package's tests, with the package linked to this checkout (as
# `npm install <repo>/bindings/node` does): it loads dist/tsm.so.
mkdir -p "$TMP/linked/node_modules"
ln -s "$ROOT/bindings/node" "$TMP/linked/node_modules/sqlite-tsm"
OUT=$(cd "$TMP/linked" && NODE_PATH="$TMP/linked/node_modules:$NPMDIR/node_modules" \
      node "$ROOT/bindings/node/test.js" 2>&1)
check 1.0 "$(printf '%s\n' "$OUT" | tail -1)" "4 passed, 0 failed"
printf '%s\n' "$OUT" | grep -E '^(!|-) ' | head -20

# 2: npm pack makes a tarball that carries lib/tsm.so; installed from it,
# the package loads its own copy and passes the same tests.
if command -v npm >/dev/null 2>&1; then
  (cd bindings/node && npm pack --pack-destination "$TMP" >"$TMP/pack.log" 2>&1)
  rm -rf bindings/node/lib
  TGZ=$(ls "$TMP"/sqlite-tsm-*.tgz 2>/dev/null)
  mkdir -p "$TMP/packed/node_modules/sqlite-tsm"
  tar -xzf "$TGZ" -C "$TMP/packed/node_modules/sqlite-tsm" --strip-components=1
  check 2.0 "$(cd "$TMP/packed/node_modules/sqlite-tsm" && find . -type f | sort | tr '\n' ' ')" \
    "./README.md ./index.d.ts ./index.js ./lib/tsm.so ./package.json "
  OUT=$(cd "$TMP/packed" && NODE_PATH="$TMP/packed/node_modules:$NPMDIR/node_modules" \
        node -e "console.log(require('sqlite-tsm').getLoadablePath())" 2>&1)
  check 2.1 "$OUT" "$TMP/packed/node_modules/sqlite-tsm/lib/tsm.so"
  OUT=$(cd "$TMP/packed" && NODE_PATH="$TMP/packed/node_modules:$NPMDIR/node_modules" \
        node "$ROOT/bindings/node/test.js" 2>&1)
  check 2.2 "$(printf '%s\n' "$OUT" | tail -1)" "4 passed, 0 failed"
  MODS=$TMP/packed/node_modules
else
  skip 2 "no npm (Debian: npm)"
  MODS=$TMP/linked/node_modules
fi

# 3: the README example.
mkdir -p "$TMP/example"
snippet node > "$TMP/example/example.js"
OUT=$(cd "$TMP/example" && NODE_PATH="$MODS:$NPMDIR/node_modules" node example.js 2>&1)
check 3.0 "$OUT" '1767225600000 30 145
1767225900000 30 150'
finish
