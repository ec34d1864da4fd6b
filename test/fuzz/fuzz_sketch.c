/* SPDX-License-Identifier: MIT */
/*
** fuzz_sketch.c -- libFuzzer target for the quantile sketch (ext/sketch.c).
**
**   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iext \
**         -o build/fuzz_sketch test/fuzz/fuzz_sketch.c ext/sketch.c -lm
**   build/fuzz_sketch -max_total_time=60
**
** Two uses of each input:
**   1. As a serialized sketch.  tsmSketchDeserialize() and tsmSketchCheck()
**      must agree; an error must leave the sketch untouched; a success must
**      be canonical (serializing again gives the input bytes), give
**      monotone quantiles, and survive merging with itself.
**   2. As an array of doubles.  Their sketch must round-trip through its
**      serialized form, and, unless buckets were folded, every quantile
**      must be within 1% of the exact lower nearest-rank quantile.
** Any violation calls abort().
*/
#include "sketch.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int cmpDouble(const void *a, const void *b){
  double x = *(const double*)a, y = *(const double*)b;
  return x<y ? -1 : x>y ? 1 : 0;
}

/* Serialize p into a new buffer; abort on any inconsistency. */
static uint8_t *serialize(const TsmSketch *p, int *pn){
  int n = tsmSketchSerializedSize(p);
  uint8_t *a;
  if( n<3 || n>TSM_SKETCH_MAX_BYTES ) abort();
  a = (uint8_t*)malloc((size_t)n);
  if( a==0 ) abort();
  if( tsmSketchSerialize(p, a, (size_t)n)!=n ) abort();
  if( tsmSketchSerialize(p, a, (size_t)n-1)!=TSM_SKETCH_TOOSMALL ) abort();
  *pn = n;
  return a;
}

/* Quantiles of p must be monotone in q and NaN only if p is empty. */
static void checkQuantiles(const TsmSketch *p){
  double prev = -INFINITY;
  int i;
  for(i=0; i<=16; i++){
    double x = tsmSketchQuantile(p, i/16.0);
    if( isnan(x) ){
      if( tsmSketchCount(p)!=0 ) abort();
      return;
    }
    if( x<prev ) abort();
    prev = x;
  }
}

static void asSerialized(const uint8_t *a, size_t n){
  TsmSketch s;
  int64_t nCount = -1;
  int rc, rcCheck;

  tsmSketchInit(&s);
  rc = tsmSketchDeserialize(&s, a, n);
  rcCheck = tsmSketchCheck(a, n, &nCount);
  if( rc!=rcCheck ) abort();
  if( rc!=TSM_SKETCH_OK ){
    if( rc!=TSM_SKETCH_CORRUPT ) abort();
    if( tsmSketchCount(&s)!=0 || tsmSketchSerializedSize(&s)!=3 ) abort();
  }else{
    int nOut, rc2;
    uint8_t *aOut = serialize(&s, &nOut);
    if( (size_t)nOut!=n || memcmp(aOut, a, n)!=0 ) abort();
    if( tsmSketchCount(&s)!=nCount ) abort();
    checkQuantiles(&s);

    /* Merge the same bytes in again: twice the counts, or RANGE. */
    rc2 = tsmSketchDeserialize(&s, a, n);
    if( rc2==TSM_SKETCH_OK ){
      TsmSketch t;
      if( tsmSketchCount(&s)!=2*nCount ) abort();
      tsmSketchInit(&t);
      if( tsmSketchMerge(&t, &s)!=TSM_SKETCH_OK ) abort();
      if( tsmSketchMerge(&s, &s)==TSM_SKETCH_OK ){
        if( tsmSketchCount(&s)!=4*nCount ) abort();
      }else if( tsmSketchCount(&s)!=2*nCount ){
        abort();
      }
      checkQuantiles(&s);
      tsmSketchFree(&t);
    }else if( rc2!=TSM_SKETCH_RANGE || tsmSketchCount(&s)!=nCount ){
      abort();
    }
    free(aOut);
  }
  tsmSketchFree(&s);
}

static void asDoubles(const uint8_t *a, size_t n){
  int nVal = (int)(n/8), nReal = 0, i;
  double *aVal;
  TsmSketch s, t;
  uint8_t *aOut;
  int nOut;

  if( nVal==0 ) return;
  aVal = (double*)malloc((size_t)nVal*sizeof(double));
  if( aVal==0 ) abort();
  tsmSketchInit(&s);
  for(i=0; i<nVal; i++){
    double v;
    memcpy(&v, &a[i*8], 8);
    if( tsmSketchAdd(&s, v)!=TSM_SKETCH_OK ) abort();
    if( !isnan(v) ) aVal[nReal++] = (fabs(v)<2.2250738585072014e-308) ? 0.0 : v;
  }
  if( tsmSketchCount(&s)!=nReal ) abort();

  aOut = serialize(&s, &nOut);
  tsmSketchInit(&t);
  if( tsmSketchDeserialize(&t, aOut, (size_t)nOut)!=TSM_SKETCH_OK ) abort();
  if( tsmSketchSerializedSize(&t)!=nOut ) abort();
  checkQuantiles(&s);

  /* Accuracy, when no bucket was folded. */
  if( nReal>0
   && (s.pos.nTotal==0 || s.pos.iMax-s.pos.iMin+1<TSM_SKETCH_MAX_BUCKETS)
   && (s.neg.nTotal==0 || s.neg.iMax-s.neg.iMin+1<TSM_SKETCH_MAX_BUCKETS)
  ){
    qsort(aVal, (size_t)nReal, sizeof(double), cmpDouble);
    for(i=0; i<=16; i++){
      double q = i/16.0;
      double exact = aVal[(int)floor(q*(nReal-1))];
      double est = tsmSketchQuantile(&t, q);
      if( exact==0.0 || isinf(exact) ){
        if( est!=exact ) abort();
      }else if( fabs(est-exact) > TSM_SKETCH_ALPHA*(1+1e-12)*fabs(exact) ){
        abort();
      }
    }
  }
  free(aOut);
  free(aVal);
  tsmSketchFree(&s);
  tsmSketchFree(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *a, size_t n){
  asSerialized(a, n);
  asDoubles(a, n);
  return 0;
}
