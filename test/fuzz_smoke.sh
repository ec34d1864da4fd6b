#!/bin/sh
# SPDX-License-Identifier: MIT
# fuzz_smoke.sh -- build every libFuzzer target of test/fuzz (fuzz_*.c) and
# run each for a second (FUZZ_SMOKE_SECONDS, default 1) from its
# corpus in build/fuzz/corpus/.  A fuzzer that builds and runs clean counts
# as passed.  Without clang and libFuzzer the test is skipped, and under
# make check (the fuzzers are the same ASan builds as under make test).
# `make fuzz` runs the same fuzzers longer.
cd "$(dirname "$0")/.." || exit 1
# make check preloads gcc's ASan runtime for the interpreters; the fuzzers
# link clang's own.
unset LD_PRELOAD
SECS=${FUZZ_SMOKE_SECONDS:-1}
CLANG=${CLANG:-clang}
OUT=build/fuzz

skip(){
  echo "- fuzz_smoke.sh skipped: $1"
  echo "0 passed, 0 failed, 1 skipped"
  exit 0
}

[ -z "$TSM_SANITIZE" ] || skip "the fuzzers ran under make test"
command -v "$CLANG" >/dev/null 2>&1 || skip "$CLANG not found"
mkdir -p $OUT/smoke
printf 'int LLVMFuzzerTestOneInput(const unsigned char *a, unsigned long n)\n{ (void)a; (void)n; return 0; }\n' > $OUT/smoke/probe.c
"$CLANG" -fsanitize=fuzzer -o $OUT/smoke/probe $OUT/smoke/probe.c \
  >/dev/null 2>&1 || skip "$CLANG cannot link libFuzzer (-fsanitize=fuzzer)"

npass=0
nfail=0
for src in test/fuzz/fuzz_*.c; do
  [ -f "$src" ] || continue
  name=$(basename "$src" .c)
  log=$OUT/smoke/$name.log
  if ! make -s -C test/fuzz CLANG="$CLANG" "../../$OUT/$name" >"$log" 2>&1; then
    echo "! $name: build failed (see $log)"
    tail -5 "$log"
    nfail=$((nfail+1))
    continue
  fi
  mkdir -p "$OUT/corpus/$name"
  dict=""
  [ -f "test/fuzz/$name.dict" ] && dict="-dict=test/fuzz/$name.dict"
  if "$OUT/$name" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="$OUT/" $dict "$OUT/corpus/$name" >"$log" 2>&1; then
    npass=$((npass+1))
  else
    echo "! $name: fuzzer failed (see $log)"
    grep -E "ERROR|SUMMARY|Test unit written" "$log" | head -5
    nfail=$((nfail+1))
  fi
done
echo "$npass passed, $nfail failed"
[ $nfail -eq 0 ]
