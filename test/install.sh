#!/bin/sh
# SPDX-License-Identifier: MIT
# install.sh -- make install / make uninstall into a temporary DESTDIR:
# the files, the one exported symbol, loading the installed extension from
# another directory, and the C example of README.md linked with the
# installed static library (sqlite3_auto_extension).
NAME=install.sh
. "$(dirname "$0")/helpers/client.sh"
STAGE=$TMP/stage
P=$STAGE/usr/local

# 1: make install puts the four files under DESTDIR + PREFIX.
make_install() { make -s install DESTDIR="$STAGE" >"$TMP/install.log" 2>&1; }
if ! timed install make_install; then
  echo "! $NAME: make install failed"; cat "$TMP/install.log"
  nfail=$((nfail+1)); finish
fi
check 1.0 "$(cd "$STAGE" && find . -type f | sort)" './usr/local/include/tsm.h
./usr/local/lib/libtsm.a
./usr/local/lib/pkgconfig/tsm.pc
./usr/local/lib/tsm.so'
VERSION=$(sed -n 's/^#define TSM_VERSION "\(.*\)"/\1/p' ext/tsm.h)
check 1.1 "$(grep '^Version:' "$P/lib/pkgconfig/tsm.pc")" "Version: $VERSION"

# 2: the loadable extension exports sqlite3_tsm_init and nothing else; the
# static library has no other global symbol.
if command -v nm >/dev/null 2>&1; then
  check 2.0 "$(nm -D --defined-only "$P/lib/tsm.so" | awk '{print $NF}')" sqlite3_tsm_init
  check 2.1 "$(nm -g --defined-only "$P/lib/libtsm.a" | awk 'NF==3 {print $NF}')" sqlite3_tsm_init
else
  skip 2 "no nm (binutils)"
fi

# 3: loaded by its installed path from another directory, and by the path
# without the suffix, as `.load /usr/local/lib/tsm`.
if command -v sqlite3 >/dev/null 2>&1; then
  mkdir -p "$TMP/elsewhere"
  OUT=$(cd "$TMP/elsewhere" && sqlite3 :memory: ".load $P/lib/tsm" \
        "SELECT tsm_version()" "SELECT tsm_debug() LIKE 'tsm $VERSION' || char(10) || 'commit: %'" 2>&1)
  check 3.0 "$OUT" "$VERSION
1"
else
  skip 3 "no sqlite3 shell"
fi

# 4: the C example, statically linked with libtsm.a, run from another
# directory.
if command -v cc >/dev/null 2>&1 && [ -f /usr/include/sqlite3.h ]; then
  mkdir -p "$TMP/c"
  snippet c > "$TMP/c/app.c"
  # the README's command: pkg-config, with the staged tree as the sysroot
  if command -v pkg-config >/dev/null 2>&1; then
    FLAGS=$(PKG_CONFIG_PATH="$P/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$STAGE" \
            pkg-config --cflags --static --libs tsm)
  else
    FLAGS="-I$P/include -L$P/lib -ltsm -lsqlite3 $(sed -n 's/^Libs.private: //p' "$P/lib/pkgconfig/tsm.pc")"
  fi
  LIBS_PRIVATE="-lsqlite3 $(sed -n 's/^Libs.private: //p' "$P/lib/pkgconfig/tsm.pc")"
  if cc -Wall -Wextra "$TMP/c/app.c" $FLAGS -o "$TMP/c/app" >"$TMP/c/cc.log" 2>&1; then
    OUT=$(cd "$TMP/c" && ./app 2>&1)
    check 4.0 "$OUT" '1767225600000 30 145.0
1767225900000 30 150.0'
    check 4.1 "$(cat "$TMP/c/cc.log")" ""
    # the application's own build: tsm_debug() says so
    cat > "$TMP/c/debug.c" <<'CEOF'
#include <stdio.h>
#include <sqlite3.h>
#include <tsm.h>
int main(void){
  sqlite3 *db; sqlite3_stmt *q;
  sqlite3_auto_extension((void(*)(void))sqlite3_tsm_init);
  sqlite3_open(":memory:", &db);
  sqlite3_prepare_v2(db, "SELECT tsm_debug()", -1, &q, 0);
  if( sqlite3_step(q)==SQLITE_ROW ) printf("%s\n", sqlite3_column_text(q, 0));
  else printf("%s\n", sqlite3_errmsg(db));
  sqlite3_finalize(q); sqlite3_close(db);
  return 0;
}
CEOF
    cc -o "$TMP/c/debug" "$TMP/c/debug.c" -I"$P/include" -L"$P/lib" -ltsm $LIBS_PRIVATE
    check 4.2 "$("$TMP/c/debug" | sed -n 3p)" "build: static library, asserts off"
  else
    echo "! $NAME 4.0: cc failed"; cat "$TMP/c/cc.log"
    nfail=$((nfail+1))
  fi
else
  skip 4 "no C compiler or SQLite headers"
fi

# 5: make uninstall removes every file it installed.
make -s uninstall DESTDIR="$STAGE" >/dev/null 2>&1
check 5.0 "$(cd "$STAGE" && find . -type f | sort)" ""
finish
