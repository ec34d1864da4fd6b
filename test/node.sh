#!/bin/sh
# SPDX-License-Identifier: MIT
# node.sh -- the Node package bindings/node (sqlite-tsm): its tests
# (bindings/node/test.js, with better-sqlite3 and node-sqlite3), packed
# with npm pack and installed from the tarball, and the Node example of
# README.md run with it from another directory.
#
# better-sqlite3 (and sqlite3) come from npm into build/npm (git-ignored).
# This test installs them only under CI (CI set, as .ci/run is run), or
# when they are already there; otherwise it skips with the command to run.
NAME=node.sh
. "$(dirname "$0")/helpers/client.sh"
command -v node >/dev/null 2>&1 || skip_all "no node (Debian: nodejs)"
NPMDIR=$ROOT/build/npm
if [ ! -d "$NPMDIR/node_modules/better-sqlite3" ]; then
  [ -n "$CI" ] || skip_all "better-sqlite3 is not installed (CI installs it; or: npm install --prefix build/npm --nodedir=/usr better-sqlite3 sqlite3)"
  command -v npm >/dev/null 2>&1 || skip_all "no npm (Debian: npm)"
  # Native modules build from source (no prebuilt download) against
  # Debian's node headers; node-sqlite3 links Debian's libsqlite3, quicker
  # than compiling its own copy.
  npm_install() {
    mkdir -p "$NPMDIR" &&
    npm_config_build_from_source=true npm install --prefix "$NPMDIR" \
      --no-audit --no-fund --nodedir=/usr better-sqlite3 >"$TMP/npm.log" 2>&1 &&
    npm_config_build_from_source=true npm_config_sqlite=/usr npm install \
      --prefix "$NPMDIR" --no-audit --no-fund --nodedir=/usr sqlite3 >>"$TMP/npm.log" 2>&1
  }
  if ! timed npm-install npm_install; then
    echo "! $NAME: npm install failed"; tail -20 "$TMP/npm.log"
    nfail=$((nfail+1)); finish
  fi
fi

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
