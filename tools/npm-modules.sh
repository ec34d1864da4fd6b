#!/bin/sh
# SPDX-License-Identifier: MIT
# npm-modules.sh -- install better-sqlite3 and sqlite3 from npm into
# build/npm (git-ignored) for test/node.sh.  .ci/run calls it; on your own
# machine run it yourself if you want the Node tests (make test never does).
# Native modules build from source (no prebuilt download) against Debian's
# node headers; node-sqlite3 links Debian's libsqlite3.
set -e
cd "$(dirname "$0")/.."
[ -d build/npm/node_modules/better-sqlite3 ] && exit 0
mkdir -p build/npm
npm_config_build_from_source=true npm install --prefix build/npm \
  --no-audit --no-fund --nodedir=/usr better-sqlite3
npm_config_build_from_source=true npm_config_sqlite=/usr npm install \
  --prefix build/npm --no-audit --no-fund --nodedir=/usr sqlite3
