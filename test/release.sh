#!/bin/sh
# SPDX-License-Identifier: MIT
# release.sh -- what a release needs to agree on: the version (TSM_VERSION
# in ext/tsm.h, the one place it is written) in tsm_version(), the latest
# release of CHANGELOG.md and the Node package (the Python package reads
# ext/tsm.h itself); the MIT LICENSE; an SPDX-License-Identifier line in
# every source file.
NAME=release.sh
. "$(dirname "$0")/helpers/client.sh"

VERSION=$(sed -n 's/^#define TSM_VERSION "\(.*\)"/\1/p' ext/tsm.h)
check 1.0 "$(printf '%s' "$VERSION" | grep -cE '^[0-9]+\.[0-9]+\.[0-9]+$')" 1
if command -v sqlite3 >/dev/null 2>&1; then
  check 1.1 "$(sqlite3 :memory: ".load $EXT" 'SELECT tsm_version()')" "$VERSION"
else
  skip 1.1 "no sqlite3 shell"
fi
check 1.2 "$(sed -n 's/^## \([0-9][0-9.]*\)$/\1/p' CHANGELOG.md | head -1)" "$VERSION"
check 1.3 "$(sed -n 's/^  "version": "\(.*\)",$/\1/p' bindings/node/package.json)" "$VERSION"
check 1.4 "$(grep -c 'version=tsm_version()' bindings/python/setup.py)" 1

check 2.0 "$(head -1 LICENSE) / $(grep -c 'Copyright (c) 2026 the tsm authors' LICENSE)" "MIT License / 1"

# every file of these kinds that git tracks (or all of them outside git)
files=$(git ls-files 2>/dev/null) ||
  files=$(find . \( -path ./build -o -path ./dist -o -name node_modules -o -name .git \) -prune \
            -o -type f -print | sed 's|^\./||')
missing=$(printf '%s\n' "$files" |
  grep -E '\.(c|h|sh|tcl|test|py|js|sql)$|^\.ci/run$' |
  grep -v -E '^test/data/' |
  while read -r f; do
    [ -f "$f" ] && ! head -3 "$f" | grep -q 'SPDX-License-Identifier: MIT' && echo "$f"
  done)
check 3.0 "$missing" ""
[ -z "$missing" ] || echo "! $NAME: add an SPDX-License-Identifier: MIT line at the top of the files above"
finish
