/* SPDX-License-Identifier: MIT */
/*
** fuzz_agg.c -- libFuzzer target for the bucket accumulator (ext/agg.c).
**
**   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iext \
**         -o build/fuzz_agg test/fuzz/fuzz_agg.c ext/agg.c ext/sketch.c \
**         ext/alloc.c -lm
**   build/fuzz_agg -max_total_time=60
**
** The input is read as a header (where the timestamps start, a bucket
** width, a coarser multiple) and then samples, three bytes each: a time
** step, a value (a small integer, NaN, +-inf or -0.0: sums of these are
** exact in any order) and a chunk break.  Timestamps start anywhere,
** INT64_MIN and INT64_MAX included, and saturate.  Invariants:
**   1. tsmBucketOf(ts, w) <= ts < bucket + w, a multiple of w (unless
**      saturated at INT64_MIN), monotone in ts; tsmBucketUp(ts, w) >= ts,
**      the next multiple (unless saturated at INT64_MAX); a fine bucket
**      lies in one coarse bucket.
**   2. Buckets of width w merged into buckets of a multiple of w
**      (tsmAggMerge, as rollup tiers are built) equal the samples added
**      directly: count, sum, min, max, first, last, times, increase, and
**      the sketch byte for byte.
**   3. Chunks answered from their metadata when they lie in one bucket
**      (tsmAggAddChunk, as tsm_query does) and sample by sample otherwise
**      equal the samples added directly.
**   4. tsmAggAddLanes equals tsmAggAddRun (zeros compared by value).
**   5. tsmAggAddRun equals tsmAggAdd sample by sample, bit for bit.
** Any violation calls abort().
*/
#include "agg.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAXN 4096

static int64_t aTs[MAXN];
static double aV[MAXN];
static int aBreak[MAXN];
static uint8_t aSk1[TSM_SKETCH_MAX_BYTES], aSk2[TSM_SKETCH_MAX_BYTES];
static uint8_t aPart[TSM_SKETCH_MAX_BYTES];

static int sameBits(double a, double b){
  if( a!=a || b!=b ) return a!=a && b!=b;
  return memcmp(&a, &b, sizeof(a))==0;
}
static int sameVal(double a, double b){
  if( a!=a || b!=b ) return a!=a && b!=b;
  return a==b;
}

static void check(int b){ if( !b ) abort(); }

static void checkSame(const TsmAgg *a, const TsmAgg *b, int bExactZero){
  int (*eq)(double, double) = bExactZero ? sameBits : sameVal;
  check(a->n==b->n && a->b==b->b);
  check(sameBits(a->sum, b->sum));
  check(eq(a->min, b->min) && eq(a->max, b->max));
  check(sameBits(a->first, b->first) && sameBits(a->last, b->last));
  check(a->tsFirst==b->tsFirst && a->tsLast==b->tsLast);
  if( a->mFlags & TSM_AGG_INC ) check(sameBits(a->inc, b->inc));
  if( a->mFlags & TSM_AGG_SKETCH ){
    int n1 = tsmSketchSerialize(&a->sk, aSk1, sizeof(aSk1));
    int n2 = tsmSketchSerialize(&b->sk, aSk2, sizeof(aSk2));
    check(n1>0 && n1==n2 && memcmp(aSk1, aSk2, (size_t)n1)==0);
  }
}

static void checkBuckets(int n, int64_t w, int64_t wc){
  int i;
  int64_t bPrev = INT64_MIN;
  for(i=0; i<n; i++){
    int64_t ts = aTs[i];
    int64_t b = tsmBucketOf(ts, w), u = tsmBucketUp(ts, w);
    check(b<=ts && u>=ts && b>=bPrev);
    if( b!=INT64_MIN ){
      check((uint64_t)ts - (uint64_t)b < (uint64_t)w && b % w==0);
      if( u!=INT64_MAX ) check((u==ts)==(b==ts));
    }
    if( u!=INT64_MAX ){
      check((uint64_t)u - (uint64_t)ts < (uint64_t)w && u % w==0);
    }
    check(tsmBucketOf(b, wc)==tsmBucketOf(ts, wc));
    bPrev = b;
  }
}

/* 2: fine buckets merged into coarse ones against the samples directly. */
static void checkMerge(int n, int64_t w, int64_t wc, unsigned m){
  TsmAgg fine, coarse, direct;
  int i = 0;
  tsmAggInit(&fine, m);
  tsmAggInit(&coarse, m);
  tsmAggInit(&direct, m);
  while( i<n ){
    int64_t bf = tsmBucketOf(aTs[i], w);
    TsmAggPart part;
    tsmAggStart(&fine, bf);
    while( i<n && tsmBucketOf(aTs[i], w)==bf ){
      int64_t bc = tsmBucketOf(aTs[i], wc);
      if( !direct.bValid || direct.b!=bc ){
        if( direct.bValid ) checkSame(&coarse, &direct, 1);
        tsmAggStart(&direct, bc);
        tsmAggStart(&coarse, bc);
      }
      check(tsmAggAdd(&fine, aTs[i], aV[i])==TSM_SKETCH_OK);
      check(tsmAggAdd(&direct, aTs[i], aV[i])==TSM_SKETCH_OK);
      i++;
    }
    part.n = fine.n;
    part.sum = fine.sum; part.min = fine.min; part.max = fine.max;
    part.first = fine.first; part.last = fine.last; part.inc = fine.inc;
    part.tsFirst = fine.tsFirst; part.tsLast = fine.tsLast;
    part.aSk = aPart;
    part.nSk = tsmSketchSerialize(&fine.sk, aPart, sizeof(aPart));
    check(part.nSk>0);
    check(tsmAggMerge(&coarse, &part)==TSM_SKETCH_OK);
  }
  if( direct.bValid ) checkSame(&coarse, &direct, 1);
  tsmAggFree(&fine);
  tsmAggFree(&coarse);
  tsmAggFree(&direct);
}

/* 3: chunks (aBreak) from their metadata or their samples.  Without
** sketches a TsmAgg holds no memory, so buckets are kept by value. */
static TsmAgg aDirect[MAXN];
static int nDirect, iAcc;

static void accStart(TsmAgg *pAcc, int64_t b){
  if( pAcc->bValid && pAcc->b==b ) return;
  if( pAcc->bValid ){
    check(iAcc<nDirect);
    checkSame(pAcc, &aDirect[iAcc++], 1);
  }
  tsmAggStart(pAcc, b);
}

static void checkChunks(int n, int64_t w){
  TsmAgg chunk, acc, direct;
  int i = 0, j;
  tsmAggInit(&chunk, 0);
  tsmAggInit(&acc, 0);
  tsmAggInit(&direct, 0);
  nDirect = iAcc = 0;
  for(j=0; j<n; j++){
    int64_t b = tsmBucketOf(aTs[j], w);
    if( !direct.bValid || direct.b!=b ){
      if( direct.bValid ) aDirect[nDirect++] = direct;
      tsmAggStart(&direct, b);
    }
    tsmAggAdd(&direct, aTs[j], aV[j]);
  }
  if( direct.bValid ) aDirect[nDirect++] = direct;
  while( i<n ){
    int k = i+1;
    int64_t b0 = tsmBucketOf(aTs[i], w);
    while( k<n && !aBreak[k] ) k++;
    if( tsmBucketOf(aTs[k-1], w)==b0 ){
      TsmAggPart part;
      tsmAggStart(&chunk, 0);
      tsmAggAddRun(&chunk, &aTs[i], &aV[i], k-i);
      memset(&part, 0, sizeof(part));
      part.n = chunk.n;
      part.sum = chunk.sum; part.min = chunk.min; part.max = chunk.max;
      part.first = chunk.first; part.last = chunk.last;
      part.tsFirst = chunk.tsFirst; part.tsLast = chunk.tsLast;
      part.nSk = -1;
      accStart(&acc, b0);
      tsmAggAddChunk(&acc, &part);
    }else{
      for(j=i; j<k; j++){
        accStart(&acc, tsmBucketOf(aTs[j], w));
        tsmAggAdd(&acc, aTs[j], aV[j]);
      }
    }
    i = k;
  }
  if( acc.bValid ){
    check(iAcc==nDirect-1);
    checkSame(&acc, &aDirect[iAcc], 1);
  }
  tsmAggFree(&chunk);
  tsmAggFree(&acc);
  tsmAggFree(&direct);
}

/* 4 (bLanes): tsmAggAddLanes against tsmAggAddRun, zeros by value;
** 5: tsmAggAddRun against tsmAggAdd one sample at a time, bit for bit.
** The whole input as one bucket, the first accumulator fed in two parts. */
static void checkRuns(int n, int bLanes){
  int (*xRun)(TsmAgg*, const int64_t*, const double*, int) =
      bLanes ? tsmAggAddLanes : tsmAggAddRun;
  TsmAgg a, b;
  int h = n/3, i;
  tsmAggInit(&a, 0);
  tsmAggInit(&b, 0);
  tsmAggStart(&a, 0);
  tsmAggStart(&b, 0);
  xRun(&a, aTs, aV, h);
  xRun(&a, aTs+h, aV+h, n-h);
  if( bLanes ){
    tsmAggAddRun(&b, aTs, aV, n);
  }else{
    for(i=0; i<n; i++) tsmAggAdd(&b, aTs[i], aV[i]);
  }
  checkSame(&a, &b, !bLanes);
}

int LLVMFuzzerTestOneInput(const uint8_t *a, size_t n){
  int64_t t, w, wc;
  uint8_t f;
  int nSample = 0, i;
  if( n<12 ) return 0;
  f = a[0];
  switch( f & 3 ){
    case 0: t = (int64_t)((a[1]<<8) | a[2]) * 1000 - 32768000; break;
    case 1: t = INT64_MIN + a[1]; break;
    case 2: t = INT64_MAX - (int64_t)a[1]*256*64; break;
    default: {
      uint64_t u = 0;
      for(i=0; i<8; i++) u = (u<<8) | a[1+i];
      memcpy(&t, &u, sizeof(t));
    }
  }
  if( f & 4 ){
    uint64_t u = ((uint64_t)a[9]<<56) | ((uint64_t)a[10]<<48) | a[11];
    w = (int64_t)(u & (uint64_t)INT64_MAX);
    if( w==0 ) w = 1;
  }else{
    w = (int64_t)((a[9]<<8) | a[10]) + 1;
  }
  wc = w <= INT64_MAX/((a[11] & 15) + 1) ? w * ((a[11] & 15) + 1) : w;
  a += 12; n -= 12;
  while( n>=3 && nSample<MAXN ){
    uint8_t v = a[1];
    aTs[nSample] = t;
    t = tsmAddSat(t, (int64_t)a[0] * ((f & 8) ? 1000 : 1));
    if( v==250 ) aV[nSample] = NAN;
    else if( v==251 ) aV[nSample] = INFINITY;
    else if( v==252 ) aV[nSample] = -INFINITY;
    else if( v==253 ) aV[nSample] = -0.0;
    else aV[nSample] = (double)v - 100.0;
    aBreak[nSample] = (a[2] & 7)==0;
    nSample++;
    a += 3; n -= 3;
  }
  checkBuckets(nSample, w, wc);
  checkMerge(nSample, w, wc, TSM_AGG_INC|TSM_AGG_SKETCH);
  checkMerge(nSample, w, wc, 0);
  checkChunks(nSample, w);
  checkRuns(nSample, 1);
  checkRuns(nSample, 0);
  return 0;
}
