#!/bin/sh
# SPDX-License-Identifier: MIT
# layers.sh -- the layers of ext/ (docs/ARCHITECTURE.md) hold: every
# ext/*.c is compiled on its own, and each function or variable it uses
# from another file (nm) must come from a lower layer.  So store.c reaches
# rollup.c, policy.c and metrics.c only through tsmHooks, and policy.c,
# rollup.c, retention.c call each other top-down only.  One check per
# file; prints "N passed, N failed".
#
# Allowed besides "lower layer": tsm.c (the entry point) calls anything,
# and its error helpers and tsmHooks are used by everyone; the files of
# the SQL surface (layer 4) call each other.
cd "$(dirname "$0")/.." || exit 1
TMP=build/tmp/layers
rm -rf "$TMP"
mkdir -p "$TMP"

if ! command -v nm >/dev/null 2>&1 || ! command -v "${CC:-cc}" >/dev/null 2>&1
then
  echo "- layers.sh skipped: needs a C compiler and nm"
  echo "0 passed, 0 failed, 1 skipped"
  exit 0
fi
if [ ! -f build/migrations.h ] || [ ! -f build/buildinfo.h ]; then
  echo "- layers.sh skipped: build/ headers missing (make dist/tsm.so first)"
  echo "0 passed, 0 failed, 1 skipped"
  exit 0
fi

# The layer of each file, as in docs/ARCHITECTURE.md (a new file must be
# added here).
# Within a layer, a file may use those ranked before it (format.c uses
# parse.c; within maintenance, retention.c > rollup.c > policy.c).
rank() {
  case "$1" in
    alloc) echo 9 ;;
    codec|parse|sketch) echo 10 ;;
    format|agg) echo 11 ;;
    buffer) echo 20 ;;
    store) echo 21 ;;
    policy) echo 30 ;;
    rollup) echo 31 ;;
    retention) echo 32 ;;
    func|vtab_samples|vtab_series|vtab_rollups|vtab_retention|metrics|query|export|import) echo 40 ;;
    tsm) echo 50 ;;
    *) echo 0 ;;
  esac
}

nfail=0
for f in ext/*.c; do
  b=$(basename "$f" .c)
  if ! ${CC:-cc} -c -O0 -Iext -Ibuild -o "$TMP/$b.o" "$f" 2>"$TMP/$b.err"; then
    echo "! layers.sh: $f does not compile on its own:"
    sed 's/^/!   /' "$TMP/$b.err" | head -5
    nfail=$((nfail+1))
  fi
done
for o in "$TMP"/*.o; do
  b=$(basename "$o" .o)
  nm "$o" | awk -v f="$b" '$2 ~ /^[TDRBC]$/ {print "D", f, $3}
                           $1=="U" {print "U", f, $2}'
done > "$TMP/syms"

# caller callee symbol, one line per use of another file's symbol
awk '$1=="D" {d[$3]=$2} $1=="U" {u[++n]=$2" "$3}
     END {for(i=1;i<=n;i++){split(u[i],a," ");
            if((a[2] in d) && d[a[2]]!=a[1]) print a[1], d[a[2]], a[2]}}' \
  "$TMP/syms" | sort -u > "$TMP/uses"

npass=0
for f in ext/*.c; do
  b=$(basename "$f" .c)
  rb=$(rank "$b")
  if [ "$rb" = 0 ]; then
    echo "! layers.sh: $f has no layer: add it to rank() here and to docs/ARCHITECTURE.md"
    nfail=$((nfail+1))
    continue
  fi
  bad=0
  while read -r caller callee sym; do
    [ "$caller" = "$b" ] || continue
    rc=$(rank "$callee")
    if [ "$b" = tsm ] || [ "$callee" = tsm ] || [ "$rc" -lt "$rb" ]; then
      continue
    fi
    if [ "$rb" = 40 ] && [ "$rc" = 40 ]; then continue; fi
    echo "! layers.sh: $b.c (rank $rb) uses $sym of $callee.c (rank $rc), not below it"
    bad=1
  done < "$TMP/uses"
  if [ $bad = 0 ]; then npass=$((npass+1)); else nfail=$((nfail+1)); fi
done

# Every allocation reaches SQLite's allocator (issue #10: the fault harness
# fails them there): only alloc.c calls libc's allocator; the pure modules
# use alloc.h, the glue sqlite3_malloc or alloc.h.
libc=$(awk '$1=="U" && $2!="alloc" && $3 ~ /^(malloc|calloc|realloc|free|strdup|strndup|reallocarray|posix_memalign|aligned_alloc)$/ {print $2 ".c: " $3}' \
  "$TMP/syms" | sort -u)
if [ -n "$libc" ]; then
  echo "! layers.sh: libc's allocator used outside alloc.c (use alloc.h):"
  echo "$libc" | sed 's/^/!   /'
  nfail=$((nfail+1))
else
  npass=$((npass+1))
fi
echo "$npass passed, $nfail failed"
[ $nfail = 0 ]
