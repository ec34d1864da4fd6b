/* SPDX-License-Identifier: MIT */
/*
** test_sketch.c -- unit tests of the quantile sketch (ext/sketch.c).
**
**   make build/test_sketch && build/test_sketch
**
** 1.x   accuracy: every quantile within 1% of the exact lower nearest-rank
**       quantile, for many distributions
** 2.x   NaN, infinities, zeros, the ends of the double range
** 3.x   merging is exact: same bytes as one sketch of all the values
** 4.x   serialization round trip, sizes
** 5.x   malformed input: truncations, mutations, hand-made cases
** 6.x   folding of the lowest buckets past TSM_SKETCH_MAX_BUCKETS
** 7.x   API corners: AddN, Clear, Free, counts, errors
*/
#include "sketch.h"
#include "unit.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/**************************************************************************
** Helpers.
*/

/* splitmix64: a small deterministic generator. */
static uint64_t iRand = 0x1234567887654321ULL;
static uint64_t rnd64(void){
  uint64_t z = (iRand += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z>>30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z>>27)) * 0x94d049bb133111ebULL;
  return z ^ (z>>31);
}
static double rndUnit(void){            /* in (0, 1) */
  return ((double)(rnd64()>>11) + 0.5) / 9007199254740992.0;
}
static double rndNormal(void){
  return sqrt(-2.0*log(rndUnit())) * cos(6.283185307179586*rndUnit());
}

static int cmpDouble(const void *a, const void *b){
  double x = *(const double*)a, y = *(const double*)b;
  return x<y ? -1 : x>y ? 1 : 0;
}

/* Exact lower nearest-rank quantile of sorted a[0..n). */
static double exactQuantile(const double *a, int n, double q){
  return a[(int)floor(q*(double)(n-1))];
}

/* Worst relative error seen by relError(). */
static double rWorst = 0.0;

/* Relative error of est against exact (0 if both are the same 0/inf). */
static double relError(double est, double exact){
  double r;
  if( exact==0.0 || isinf(exact) ) return est==exact ? 0.0 : INFINITY;
  r = fabs(est - exact) / fabs(exact);
  if( r>rWorst ) rWorst = r;
  return r;
}

/* True if est is within the sketch's guarantee of exact.  The bound is
** alpha, up to the rounding of log() and exp() (1e-12 relative). */
static int withinAlpha(double est, double exact){
  return relError(est, exact) <= TSM_SKETCH_ALPHA*(1.0 + 1e-12);
}

/* Serialize p into a malloc'ed buffer, *pn bytes. */
static uint8_t *serialize(const TsmSketch *p, int *pn){
  int n = tsmSketchSerializedSize(p);
  uint8_t *a = (uint8_t*)malloc((size_t)n);
  int rc = tsmSketchSerialize(p, a, (size_t)n);
  if( rc!=n ){
    fprintf(stderr, "serialize: %d != %d\n", rc, n);
    exit(2);
  }
  *pn = n;
  return a;
}

/* True if p and pOther serialize to the same bytes. */
static int sameBytes(const TsmSketch *p, const TsmSketch *pOther){
  int n1, n2, bSame;
  uint8_t *a1 = serialize(p, &n1);
  uint8_t *a2 = serialize(pOther, &n2);
  bSame = n1==n2 && memcmp(a1, a2, (size_t)n1)==0;
  free(a1);
  free(a2);
  return bSame;
}

/* True if p serializes to a[0..n). */
static int bytesAre(const TsmSketch *p, const uint8_t *a, int n){
  int n1, bSame;
  uint8_t *a1 = serialize(p, &n1);
  bSame = n1==n && memcmp(a1, a, (size_t)n)==0;
  free(a1);
  return bSame;
}

static void sketchOf(TsmSketch *p, const double *a, int n){
  int i;
  tsmSketchInit(p);
  for(i=0; i<n; i++){
    if( tsmSketchAdd(p, a[i])!=TSM_SKETCH_OK ){
      fprintf(stderr, "add failed\n");
      exit(2);
    }
  }
}

static const double aQ[] = { 0.0, 0.01, 0.5, 0.9, 0.99, 0.999, 1.0 };
#define N_Q ((int)(sizeof(aQ)/sizeof(aQ[0])))

/*
** Check the quantiles of a sketch of a[0..n) (a[] is sorted here): one
** CHECK per q of aQ[], and one for a grid of 10001 q.  zName for messages.
*/
static void checkAccuracy(const char *zName, double *a, int n){
  TsmSketch s;
  int i, nBad = 0;
  sketchOf(&s, a, n);
  qsort(a, (size_t)n, sizeof(double), cmpDouble);
  CHECK_EQ_INT(tsmSketchCount(&s), n);
  for(i=0; i<N_Q; i++){
    double est = tsmSketchQuantile(&s, aQ[i]);
    double exact = exactQuantile(a, n, aQ[i]);
    int bOk = withinAlpha(est, exact);
    if( !bOk ){
      fprintf(stderr, "%s q=%g: est %.17g exact %.17g\n",
              zName, aQ[i], est, exact);
    }
    CHECK(bOk);
  }
  for(i=0; i<=10000; i++){
    double q = i/10000.0;
    if( !withinAlpha(tsmSketchQuantile(&s, q), exactQuantile(a, n, q)) ){
      if( nBad++<5 ) fprintf(stderr, "%s grid q=%g\n", zName, q);
    }
  }
  CHECK_EQ_INT(nBad, 0);
  tsmSketchFree(&s);
}

/**************************************************************************
** 1.x Accuracy.
*/
#define NACC 50000

static void test_accuracy(void){
  double *a = (double*)malloc(NACC*sizeof(double));
  int i;

  /* 1.1 uniform on [0, 1000) */
  for(i=0; i<NACC; i++) a[i] = 1000.0*rndUnit();
  checkAccuracy("1.1 uniform", a, NACC);

  /* 1.2 exponential, mean 1 */
  for(i=0; i<NACC; i++) a[i] = -log(rndUnit());
  checkAccuracy("1.2 exponential", a, NACC);

  /* 1.3 lognormal, sigma 3: about 10 orders of magnitude */
  for(i=0; i<NACC; i++) a[i] = exp(3.0*rndNormal());
  checkAccuracy("1.3 lognormal", a, NACC);

  /* 1.4 negative and positive, lognormal magnitudes */
  for(i=0; i<NACC; i++){
    a[i] = exp(2.0*rndNormal()) * ((rnd64() & 1) ? 1.0 : -1.0);
  }
  checkAccuracy("1.4 mixed signs", a, NACC);

  /* 1.5 a third zeros (+0, -0, subnormal), rest of both signs */
  for(i=0; i<NACC; i++){
    switch( rnd64()%6 ){
      case 0: a[i] = 0.0; break;
      case 1: a[i] = -0.0; break;
      case 2: a[i] = 4.9e-324; break;
      case 3: a[i] = -rndUnit()*50.0; break;
      default: a[i] = rndUnit()*50.0; break;
    }
  }
  for(i=0; i<NACC; i++){                  /* exact rank of a zero is 0.0 */
    if( fabs(a[i])<DBL_MIN ) a[i] = 0.0;
  }
  checkAccuracy("1.5 zeros", a, NACC);

  /* 1.6 tiny values, down to the smallest normal double */
  for(i=0; i<NACC; i++) a[i] = 1e-305*exp(2.0*rndNormal());
  for(i=0; i<NACC; i++) if( a[i]<DBL_MIN ) a[i] = DBL_MIN;
  a[0] = DBL_MIN;
  checkAccuracy("1.6 tiny", a, NACC);

  /* 1.7 huge values, up to the largest double */
  for(i=0; i<NACC; i++) a[i] = 1e305*exp(2.0*rndNormal());
  for(i=0; i<NACC; i++) if( a[i]>DBL_MAX ) a[i] = DBL_MAX;
  a[0] = DBL_MAX;
  a[1] = -DBL_MAX;
  checkAccuracy("1.7 huge", a, NACC);

  /* 1.8 a noisy gauge: 50 +- 10%, and a constant */
  for(i=0; i<NACC; i++) a[i] = 50.0 + 5.0*rndNormal();
  checkAccuracy("1.8 gauge", a, NACC);
  for(i=0; i<NACC; i++) a[i] = 42.0;
  checkAccuracy("1.8 constant", a, NACC);

  /* 1.9 integers 1..n, and small n */
  for(i=0; i<NACC; i++) a[i] = (double)(i+1);
  checkAccuracy("1.9 integers", a, NACC);
  for(i=1; i<=7; i++){
    int k;
    for(k=0; k<i; k++) a[k] = (double)(k*k + 1) * ((k & 1) ? -1.0 : 1.0);
    checkAccuracy("1.9 small", a, i);
  }

  /* 1.10 every bucket boundary region: gamma^k and neighbours */
  {
    double g = (1.0+TSM_SKETCH_ALPHA)/(1.0-TSM_SKETCH_ALPHA);
    int n = 0;
    for(i=-1000; i<1000 && n+3<=NACC; i++){
      double x = pow(g, i);
      a[n++] = x;
      a[n++] = nextafter(x, 0.0);
      a[n++] = nextafter(x, INFINITY);
    }
    checkAccuracy("1.10 boundaries", a, n);
  }

  printf("worst relative error seen: %.17g\n", rWorst);
  free(a);
}

/**************************************************************************
** 2.x NaN, infinities, zeros and extremes.
*/
static void test_special(void){
  TsmSketch s;
  int i;

  /* 2.1 empty: NaN */
  tsmSketchInit(&s);
  CHECK_EQ_INT(tsmSketchCount(&s), 0);
  CHECK(isnan(tsmSketchQuantile(&s, 0.5)));
  CHECK(isnan(tsmSketchQuantile(&s, 0.0)));

  /* 2.2 NaN ignored */
  CHECK_EQ_INT(tsmSketchAdd(&s, NAN), TSM_SKETCH_OK);
  CHECK_EQ_INT(tsmSketchAdd(&s, -NAN), TSM_SKETCH_OK);
  CHECK_EQ_INT(tsmSketchAddN(&s, NAN, 5), TSM_SKETCH_OK);
  CHECK_EQ_INT(tsmSketchCount(&s), 0);
  CHECK_EQ_INT(tsmSketchSerializedSize(&s), 3);

  /* 2.3 q out of range or NaN */
  tsmSketchAdd(&s, 1.0);
  CHECK(isnan(tsmSketchQuantile(&s, -0.01)));
  CHECK(isnan(tsmSketchQuantile(&s, 1.01)));
  CHECK(isnan(tsmSketchQuantile(&s, NAN)));
  CHECK(isnan(tsmSketchQuantile(&s, INFINITY)));
  CHECK(withinAlpha(tsmSketchQuantile(&s, 0.5), 1.0));

  /* 2.4 +inf and -inf counted, at the ends */
  tsmSketchClear(&s);
  for(i=1; i<=98; i++) tsmSketchAdd(&s, (double)i);
  CHECK_EQ_INT(tsmSketchAdd(&s, INFINITY), TSM_SKETCH_OK);
  CHECK_EQ_INT(tsmSketchAdd(&s, -INFINITY), TSM_SKETCH_OK);
  CHECK_EQ_INT(tsmSketchCount(&s), 100);
  CHECK(tsmSketchQuantile(&s, 0.0)==-INFINITY);
  CHECK(tsmSketchQuantile(&s, 1.0)==INFINITY);
  CHECK(withinAlpha(tsmSketchQuantile(&s, 0.02), 1.0));
  CHECK(withinAlpha(tsmSketchQuantile(&s, 0.5), 49.0));
  CHECK(withinAlpha(tsmSketchQuantile(&s, 0.99), 98.0));

  /* 2.5 only infinities */
  tsmSketchClear(&s);
  tsmSketchAddN(&s, INFINITY, 3);
  CHECK(tsmSketchQuantile(&s, 0.0)==INFINITY);
  tsmSketchAdd(&s, -INFINITY);
  CHECK(tsmSketchQuantile(&s, 0.0)==-INFINITY);
  CHECK(tsmSketchQuantile(&s, 0.34)==INFINITY);
  CHECK_EQ_INT(tsmSketchCount(&s), 4);

  /* 2.6 zeros: +0, -0, subnormals; reported as +0.0 */
  tsmSketchClear(&s);
  tsmSketchAdd(&s, -0.0);
  tsmSketchAdd(&s, 4.9e-324);
  tsmSketchAdd(&s, -nextafter(DBL_MIN, 0.0));
  CHECK_EQ_INT(tsmSketchCount(&s), 3);
  CHECK(tsmSketchQuantile(&s, 0.0)==0.0 && !signbit(tsmSketchQuantile(&s, 0)));
  CHECK(tsmSketchQuantile(&s, 1.0)==0.0);
  tsmSketchAdd(&s, DBL_MIN);
  tsmSketchAdd(&s, -DBL_MIN);
  CHECK(withinAlpha(tsmSketchQuantile(&s, 1.0), DBL_MIN));
  CHECK(withinAlpha(tsmSketchQuantile(&s, 0.0), -DBL_MIN));

  /* 2.7 the ends of the double range, and the index bounds they set */
  tsmSketchClear(&s);
  tsmSketchAdd(&s, DBL_MAX);
  tsmSketchAdd(&s, -DBL_MAX);
  CHECK(withinAlpha(tsmSketchQuantile(&s, 1.0), DBL_MAX));
  CHECK(withinAlpha(tsmSketchQuantile(&s, 0.0), -DBL_MAX));
  CHECK(tsmSketchQuantile(&s, 1.0)<=DBL_MAX);
  CHECK_EQ_INT(s.pos.iMax, 35488);
  CHECK_EQ_INT(s.neg.iMax, 35488);
  tsmSketchClear(&s);
  tsmSketchAdd(&s, DBL_MIN);
  CHECK_EQ_INT(s.pos.iMin, -35418);
  tsmSketchFree(&s);
}

/**************************************************************************
** 3.x Merging.
*/
#define NMERGE 30000

/* A mixed data set: both signs, zeros, infinities, 6 orders of magnitude. */
static void mixedData(double *a, int n){
  int i;
  for(i=0; i<n; i++){
    uint64_t r = rnd64()%100;
    if( r==0 ) a[i] = 0.0;
    else if( r==1 ) a[i] = INFINITY;
    else if( r==2 ) a[i] = -INFINITY;
    else if( r<30 ) a[i] = -exp(3.0*rndNormal());
    else a[i] = exp(3.0*rndNormal());
  }
}

/* Split a[0..n) in nPart parts at random, sketch each, merge them
** (bMode 0: tsmSketchMerge, 1: tsmSketchDeserialize of their bytes, in
** reverse order) and compare with the sketch of everything. */
static int mergeMatches(const double *a, int n, int nPart, int bMode){
  TsmSketch all, merged;
  TsmSketch *aPart = (TsmSketch*)calloc((size_t)nPart, sizeof(TsmSketch));
  int i, bOk = 1;
  sketchOf(&all, a, n);
  for(i=0; i<nPart; i++) tsmSketchInit(&aPart[i]);
  for(i=0; i<n; i++){
    tsmSketchAdd(&aPart[rnd64() % (uint64_t)nPart], a[i]);
  }
  tsmSketchInit(&merged);
  for(i=0; i<nPart; i++){
    if( bMode==0 ){
      if( tsmSketchMerge(&merged, &aPart[i]) ) bOk = 0;
    }else{
      int nByte;
      uint8_t *aByte = serialize(&aPart[nPart-1-i], &nByte);
      if( tsmSketchDeserialize(&merged, aByte, (size_t)nByte) ) bOk = 0;
      free(aByte);
    }
  }
  if( !sameBytes(&all, &merged) ) bOk = 0;
  if( tsmSketchCount(&all)!=tsmSketchCount(&merged) ) bOk = 0;
  for(i=0; i<nPart; i++) tsmSketchFree(&aPart[i]);
  free(aPart);
  tsmSketchFree(&all);
  tsmSketchFree(&merged);
  return bOk;
}

static void test_merge(void){
  double *a = (double*)malloc(NMERGE*sizeof(double));
  TsmSketch s1, s2;
  int i, nPart;

  /* 3.1 random splits, both ways of merging */
  mixedData(a, NMERGE);
  for(nPart=1; nPart<=64; nPart*=4){
    CHECK(mergeMatches(a, NMERGE, nPart, 0));
    CHECK(mergeMatches(a, NMERGE, nPart, 1));
  }

  /* 3.2 split by value: disjoint ranges that meet only when merged */
  for(i=0; i<NMERGE; i++) a[i] = exp(0.001*i) * (i%3==0 ? -1.0 : 1.0);
  CHECK(mergeMatches(a, NMERGE, 2, 0));
  {
    TsmSketch lo, hi, all;
    sketchOf(&all, a, NMERGE);
    sketchOf(&lo, a, NMERGE/2);
    sketchOf(&hi, a+NMERGE/2, NMERGE-NMERGE/2);
    CHECK_EQ_INT(tsmSketchMerge(&hi, &lo), TSM_SKETCH_OK);
    CHECK(sameBytes(&hi, &all));
    tsmSketchFree(&lo);
    tsmSketchFree(&all);
    tsmSketchFree(&hi);
  }

  /* 3.3 merging a sketch into itself doubles every count */
  mixedData(a, 1000);
  sketchOf(&s1, a, 1000);
  tsmSketchInit(&s2);
  for(i=0; i<1000; i++) tsmSketchAddN(&s2, a[i], 2);
  CHECK_EQ_INT(tsmSketchMerge(&s1, &s1), TSM_SKETCH_OK);
  CHECK(sameBytes(&s1, &s2));
  CHECK_EQ_INT(tsmSketchCount(&s1), 2000);

  /* 3.4 merging an empty sketch changes nothing; into empty copies */
  {
    TsmSketch e, c;
    tsmSketchInit(&e);
    tsmSketchInit(&c);
    CHECK_EQ_INT(tsmSketchMerge(&s1, &e), TSM_SKETCH_OK);
    CHECK(sameBytes(&s1, &s2));
    CHECK_EQ_INT(tsmSketchMerge(&c, &s1), TSM_SKETCH_OK);
    CHECK(sameBytes(&c, &s1));
    tsmSketchFree(&c);
  }
  tsmSketchFree(&s1);
  tsmSketchFree(&s2);
  free(a);
}

/**************************************************************************
** 4.x Round trip and sizes.
*/

/* Serialize, deserialize into an empty sketch, serialize again. */
static int roundTrips(const TsmSketch *p){
  TsmSketch t;
  int n, i, bOk = 1;
  uint8_t *a = serialize(p, &n);
  int64_t nCount = -1;
  tsmSketchInit(&t);
  if( tsmSketchCheck(a, (size_t)n, &nCount)!=TSM_SKETCH_OK ) bOk = 0;
  if( nCount!=tsmSketchCount(p) ) bOk = 0;
  if( tsmSketchDeserialize(&t, a, (size_t)n)!=TSM_SKETCH_OK ) bOk = 0;
  if( !bytesAre(&t, a, n) ) bOk = 0;
  if( tsmSketchCount(&t)!=tsmSketchCount(p) ) bOk = 0;
  for(i=0; i<=100; i++){
    double x = tsmSketchQuantile(p, i/100.0);
    double y = tsmSketchQuantile(&t, i/100.0);
    if( !(x==y || (isnan(x) && isnan(y))) ) bOk = 0;
  }
  free(a);
  tsmSketchFree(&t);
  return bOk;
}

/* Size of a sketch of n samples of a noisy gauge and of a latency. */
static int gaugeSize(int n, int bLatency){
  TsmSketch s;
  int i, nByte;
  tsmSketchInit(&s);
  for(i=0; i<n; i++){
    if( bLatency ){
      tsmSketchAdd(&s, 20.0*exp(0.5*rndNormal()));
    }else{
      tsmSketchAdd(&s, 50.0 + 5.0*rndNormal());
    }
  }
  CHECK(roundTrips(&s));
  nByte = tsmSketchSerializedSize(&s);
  tsmSketchFree(&s);
  return nByte;
}

static void test_roundtrip(void){
  TsmSketch s;
  double *a = (double*)malloc(NMERGE*sizeof(double));
  int i, n, nByte;
  uint8_t aBuf[64];

  /* 4.1 empty, single values, mixed data */
  tsmSketchInit(&s);
  CHECK(roundTrips(&s));
  tsmSketchAdd(&s, 3.5);
  CHECK(roundTrips(&s));
  tsmSketchAdd(&s, -0.0);
  tsmSketchAdd(&s, INFINITY);
  tsmSketchAdd(&s, -INFINITY);
  tsmSketchAdd(&s, -1e-200);
  CHECK(roundTrips(&s));
  mixedData(a, NMERGE);
  for(i=0; i<NMERGE; i++) tsmSketchAdd(&s, a[i]);
  CHECK(roundTrips(&s));

  /* 4.2 the exact bytes of small sketches */
  tsmSketchClear(&s);
  CHECK_EQ_INT(tsmSketchSerialize(&s, aBuf, sizeof(aBuf)), 3);
  CHECK(aBuf[0]==1 && aBuf[1]==1 && aBuf[2]==0);
  tsmSketchAdd(&s, 1.0);                 /* bucket 0 */
  tsmSketchAdd(&s, 0.0);
  CHECK_EQ_INT(tsmSketchSerialize(&s, aBuf, sizeof(aBuf)), 7);
  CHECK(aBuf[2]==0x09 && aBuf[3]==1 && aBuf[4]==2 && aBuf[5]==0 && aBuf[6]==1);
  tsmSketchAdd(&s, 1.02);                /* bucket 1: dense run of 2 */
  n = tsmSketchSerialize(&s, aBuf, sizeof(aBuf));
  CHECK_EQ_INT(n, 8);
  CHECK(aBuf[4]==4 && aBuf[5]==0 && aBuf[6]==1 && aBuf[7]==1);
  tsmSketchAdd(&s, 1000.0);              /* bucket 346, far: sparse */
  n = tsmSketchSerialize(&s, aBuf, sizeof(aBuf));
  CHECK_EQ_INT(n, 10);
  CHECK(aBuf[4]==(3<<1|1) && aBuf[5]==0 && aBuf[6]==0 && aBuf[7]==0
        && aBuf[8]==(0x80|((344<<1) & 0x7f)) && aBuf[9]==((344<<1)>>7));
  tsmSketchAddN(&s, 1000.0, 9);          /* count 10: flag and 10-2 */
  n = tsmSketchSerialize(&s, aBuf, sizeof(aBuf));
  CHECK_EQ_INT(n, 11);
  CHECK(aBuf[8]==(0x80|((344<<1|1) & 0x7f)) && aBuf[10]==8);
  CHECK_EQ_INT(tsmSketchSerialize(&s, aBuf, (size_t)n-1), TSM_SKETCH_TOOSMALL);
  CHECK_EQ_INT(tsmSketchSerialize(&s, aBuf, 0), TSM_SKETCH_TOOSMALL);

  /* 4.3 typical rollup buckets */
  for(i=0; i<3; i++){
    int n60 = gaugeSize(60, 0), n3600 = gaugeSize(3600, 0);
    int l60 = gaugeSize(60, 1), l3600 = gaugeSize(3600, 1);
    printf("sizes: gauge 60 -> %d bytes, 3600 -> %d bytes; "
           "latency 60 -> %d bytes, 3600 -> %d bytes\n",
           n60, n3600, l60, l3600);
    CHECK(n60<=48);
    CHECK(n3600<=128);
    CHECK(l60<=96);
    CHECK(l3600<=320);
  }

  /* 4.4 a full store of large counts fits TSM_SKETCH_MAX_BYTES */
  tsmSketchClear(&s);
  {
    double g = (1.0+TSM_SKETCH_ALPHA)/(1.0-TSM_SKETCH_ALPHA);
    for(i=0; i<TSM_SKETCH_MAX_BUCKETS; i++){
      tsmSketchAddN(&s, pow(g, i-0.5), (int64_t)1<<50);
      tsmSketchAddN(&s, -pow(g, i-0.5), (int64_t)1<<50);
    }
    tsmSketchAddN(&s, 0.0, (int64_t)1<<60);
    tsmSketchAddN(&s, INFINITY, (int64_t)1<<60);
    tsmSketchAddN(&s, -INFINITY, (int64_t)1<<60);
    nByte = tsmSketchSerializedSize(&s);
    CHECK(nByte<=TSM_SKETCH_MAX_BYTES);
    CHECK(nByte>2*8*TSM_SKETCH_MAX_BUCKETS);
    CHECK_EQ_INT(s.pos.iMax - s.pos.iMin + 1, TSM_SKETCH_MAX_BUCKETS);
    CHECK(roundTrips(&s));
  }
  tsmSketchFree(&s);
  free(a);
}

/**************************************************************************
** 5.x Malformed input.
*/

/* Build a byte string in aOut from a list of values written as varints
** (-1 ends the list): bytes below 0x80 stand for themselves. */
static int bytesOf(uint8_t *aOut, const long long *aV){
  int n = 0;
  for(; *aV>=0; aV++){
    uint64_t v = (uint64_t)*aV;
    while( v>=0x80 ){ aOut[n++] = (uint8_t)(v|0x80); v >>= 7; }
    aOut[n++] = (uint8_t)v;
  }
  return n;
}

/* Deserialize a[0..n) into a copy of pBase: returns the code, checks that
** an error leaves the sketch unchanged and that tsmSketchCheck agrees, and
** that a success is canonical (deserializing into an empty sketch and
** serializing gives the input).  *pbOk cleared on any violation. */
static int tryBytes(const TsmSketch *pBase, const uint8_t *a, size_t n,
                    int *pbOk){
  TsmSketch t, e;
  int rc, rcCheck;
  tsmSketchInit(&t);
  tsmSketchInit(&e);
  tsmSketchMerge(&t, pBase);
  rc = tsmSketchDeserialize(&t, a, n);
  rcCheck = tsmSketchCheck(a, n, 0);
  if( rc==TSM_SKETCH_OK ){
    if( rcCheck!=TSM_SKETCH_OK ) *pbOk = 0;
    if( tsmSketchDeserialize(&e, a, n)!=TSM_SKETCH_OK ) *pbOk = 0;
    if( !bytesAre(&e, a, (int)n) ) *pbOk = 0;
    if( tsmSketchMerge(&e, pBase)!=TSM_SKETCH_OK || !sameBytes(&e, &t) ){
      *pbOk = 0;
    }
  }else{
    if( !sameBytes(&t, pBase) ) *pbOk = 0;
    if( rc==TSM_SKETCH_CORRUPT && rcCheck!=TSM_SKETCH_CORRUPT ) *pbOk = 0;
    if( rc!=TSM_SKETCH_CORRUPT && rc!=TSM_SKETCH_RANGE ) *pbOk = 0;
  }
  tsmSketchFree(&t);
  tsmSketchFree(&e);
  return rc;
}

static int corrupt(const long long *aV){
  uint8_t a[256];
  int n = bytesOf(a, aV);
  TsmSketch e;
  int rc, bOk = 1;
  tsmSketchInit(&e);
  rc = tryBytes(&e, a, (size_t)n, &bOk);
  return rc==TSM_SKETCH_CORRUPT && bOk;
}
static int valid(const long long *aV){
  uint8_t a[256];
  int n = bytesOf(a, aV);
  TsmSketch e;
  int rc, bOk = 1;
  tsmSketchInit(&e);
  rc = tryBytes(&e, a, (size_t)n, &bOk);
  return rc==TSM_SKETCH_OK && bOk;
}

static void test_malformed(void){
  TsmSketch aSrc[6], base;
  double *a = (double*)malloc(NMERGE*sizeof(double));
  int k, i;

  /* Sketches to damage: empty, small, mixed, sparse, gauge, big counts. */
  for(k=0; k<6; k++) tsmSketchInit(&aSrc[k]);
  tsmSketchAdd(&aSrc[1], 7.0);
  tsmSketchAdd(&aSrc[1], 0.0);
  mixedData(a, 3000);
  for(i=0; i<3000; i++) tsmSketchAdd(&aSrc[2], a[i]);
  for(i=0; i<40; i++) tsmSketchAdd(&aSrc[3], pow(10.0, i-20));
  for(i=0; i<40; i++) tsmSketchAdd(&aSrc[3], -pow(10.0, 2*i-20));
  for(i=0; i<60; i++) tsmSketchAdd(&aSrc[4], 50.0 + 5.0*rndNormal());
  tsmSketchAddN(&aSrc[5], 1.0, INT64_MAX/4);
  tsmSketchAddN(&aSrc[5], -2.0, INT64_MAX/4);
  tsmSketchAddN(&aSrc[5], INFINITY, INT64_MAX/4);
  tsmSketchAddN(&aSrc[5], 0.0, INT64_MAX/4);
  tsmSketchInit(&base);
  for(i=0; i<100; i++) tsmSketchAdd(&base, (double)i - 30.0);

  for(k=0; k<6; k++){
    int n, nBadTrunc = 0, nOkFlip = 0, nErrFlip = 0, bOk = 1;
    uint8_t *aByte = serialize(&aSrc[k], &n);
    uint8_t *aMut = (uint8_t*)malloc((size_t)n + 8);

    /* 5.1 every truncation is an error, into an empty and a full sketch */
    for(i=0; i<n; i++){
      uint8_t *aCopy = (uint8_t*)malloc((size_t)(i ? i : 1));
      TsmSketch e;
      tsmSketchInit(&e);
      memcpy(aCopy, aByte, (size_t)i);  /* exact-size buffer for ASan */
      if( tryBytes(&e, aCopy, (size_t)i, &bOk)!=TSM_SKETCH_CORRUPT ){
        nBadTrunc++;
      }
      if( tryBytes(&base, aCopy, (size_t)i, &bOk)!=TSM_SKETCH_CORRUPT ){
        nBadTrunc++;
      }
      free(aCopy);
    }
    CHECK_EQ_INT(nBadTrunc, 0);

    /* 5.2 trailing bytes */
    memcpy(aMut, aByte, (size_t)n);
    aMut[n] = 0;
    CHECK_EQ_INT(tryBytes(&base, aMut, (size_t)n+1, &bOk), TSM_SKETCH_CORRUPT);

    /* 5.3 random mutations: bit flips, byte sets, insertions, deletions */
    for(i=0; i<4000; i++){
      size_t nMut = (size_t)n;
      size_t iPos = (size_t)(rnd64() % (uint64_t)n);
      int rc;
      memcpy(aMut, aByte, (size_t)n);
      switch( rnd64()%4 ){
        case 0: aMut[iPos] ^= (uint8_t)(1u << (rnd64()%8)); break;
        case 1: aMut[iPos] = (uint8_t)rnd64(); break;
        case 2:
          memmove(&aMut[iPos+1], &aMut[iPos], (size_t)n - iPos);
          aMut[iPos] = (uint8_t)rnd64();
          nMut++;
          break;
        default:
          memmove(&aMut[iPos], &aMut[iPos+1], (size_t)n - iPos - 1);
          nMut--;
          break;
      }
      rc = tryBytes((i & 1) ? &base : &aSrc[0], aMut, nMut, &bOk);
      if( rc==TSM_SKETCH_OK ) nOkFlip++; else nErrFlip++;
    }
    CHECK(bOk);
    CHECK(nErrFlip>0);
    if( k==0 ) printf("mutations: ");
    printf("%d ok/%d err%s", nOkFlip, nErrFlip, k==5 ? "\n" : ", ");
    free(aMut);
    free(aByte);
  }

  /* 5.4 hand-made cases */
  {
    static const long long v0[] = { 1, 1, 0, -1 };               /* empty */
    static const long long v1[] = { 2, 1, 0, -1 };               /* version */
    static const long long v2[] = { 1, 2, 0, -1 };               /* mapping */
    static const long long v3[] = { 1, 1, 0x20, -1 };            /* flag */
    static const long long v4[] = { 1, 1, 0x01, 0, -1 };         /* zero 0 */
    static const long long v5[] = { 1, 1, 0x01, 5, -1 };
    static const long long v6[] = { 1, 1, 0x08, 2, 0, 1, -1 };   /* [0]=1 */
    static const long long v7[] = { 1, 1, 0x08, 0, 0, -1 };      /* 0 entry */
    static const long long v8[] = { 1, 1, 0x08, 2, 0, 0, -1 };   /* count 0 */
    static const long long v9[] = { 1, 1, 0x08, 6, 0, 1, 0, 0, -1 };
    static const long long v10[] = { 1, 1, 0x08, 6, 0, 5, 0, 5, -1 };
    static const long long v11[] = { 1, 1, 0x08, 6, 0, 0, 0, 1, -1 };
    static const long long v12[] = { 1, 1, 0x08, 5, 0, 0, 0, -1 };
    static const long long v13[] = { 1, 1, 0x08, 5, 0, 0, 4, -1 };
    static const long long v14[] = { 1, 1, 0x08, 5, 0, 2, 0, -1 };
    static const long long v15[] = { 1, 1, 0x08, 2, 70976, 1, -1 };
    static const long long v16[] = { 1, 1, 0x08, 2, 70978, 1, -1 };
    static const long long v17[] = { 1, 1, 0x08, 2, 70835, 1, -1 };
    static const long long v18[] = { 1, 1, 0x08, 2, 70837, 1, -1 };
    static const long long v19[] = { 1, 1, 0x08, 5, 0, 0, 2046<<1, -1 };
    static const long long v20[] = { 1, 1, 0x08, 5, 0, 0, 2047<<1, -1 };
    static const long long v21[] = { 1, 1, 0x08, 4098, 0, -1 };
    static const long long v22[] = { 1, 1, 0x18, 2, 0, 1, -1 };  /* no neg */
    static const long long v23[] = { 1, 1, 0x1f, 1,1,1, 2,0,1, 2,0,1, -1 };
    static const long long v24[] = { 1, 1, 0x02, 0x7fffffffffffffffLL, -1 };
    static const long long v25[] = { 1, 1, 0x06, 0x7fffffffffffffffLL, 1,-1};
    static const long long v26[] = { 1, 1, 0x10, 2, 70976, 1, -1 };
    static const long long v27[] = { 1, 1, 0x08, 5, 0, 1, 5, 8, -1 };
    static const long long v28[] = { 1, 1, 0x08, 5, 0, 1,
                                     0x7ffffffffffffffeLL, 8, -1 };
    static const long long v29[] = { 1, 1, 0x08, 5, 0, 1,
                                     0x7ffffffffffffffcLL, 8, -1 };
    static const long long v30[] = { 1, 1, 0x08, 5, 0, 0, 2048<<1, -1 };
    static const long long v31[] = { 1, 1, 0x08, 3, 0, 1, 5, -1 };
    CHECK(valid(v0));
    CHECK(corrupt(v1));
    CHECK(corrupt(v2));
    CHECK(corrupt(v3));
    CHECK(corrupt(v4));
    CHECK(valid(v5));
    CHECK(valid(v6));
    CHECK(corrupt(v7));
    CHECK(corrupt(v8));
    CHECK(corrupt(v9));     /* dense, last count 0 */
    CHECK(valid(v10));      /* dense 5,0,5 (3 bytes) vs sparse 1,3,5,3 */
    CHECK(corrupt(v11));    /* dense, first count 0 */
    CHECK(corrupt(v12));    /* sparse where dense is as small: 1,1 */
    CHECK(valid(v13));      /* sparse 1,(gap 2)1: 4 bytes, dense 6 */
    CHECK(corrupt(v14));    /* sparse, first entry with a gap */
    CHECK(valid(v15));      /* highest index */
    CHECK(corrupt(v16));    /* beyond it */
    CHECK(valid(v17));      /* lowest index */
    CHECK(corrupt(v18));    /* beyond it */
    CHECK(valid(v19));      /* span 2048 */
    CHECK(corrupt(v20));    /* span 2049 */
    CHECK(corrupt(v21));    /* 2049 entries */
    CHECK(corrupt(v22));    /* flag without its store */
    CHECK(valid(v23));      /* everything */
    CHECK(valid(v24));      /* count INT64_MAX */
    CHECK(corrupt(v25));    /* total above INT64_MAX */
    CHECK(valid(v26));      /* -DBL_MAX */
    CHECK(valid(v27));      /* sparse, count 7 then (gap 4)1 */
    CHECK(corrupt(v28));    /* sparse count INT64_MAX+1 */
    CHECK(valid(v29));      /* sparse counts INT64_MAX-1 and 1 */
    CHECK(corrupt(v30));    /* sparse gap of 2048 */
    CHECK(corrupt(v31));    /* sparse, 1 entry of 7: dense is smaller */
  }

  /* 5.5 varints: non-minimal, too long, beyond 64 bits */
  {
    static const uint8_t a1[] = { 1, 1, 0x01, 0x81, 0x00 };
    static const uint8_t a2[] = { 1, 1, 0x01, 0x80, 0x80, 0x80, 0x80, 0x80,
                                  0x80, 0x80, 0x80, 0x80, 0x80, 0x01 };
    static const uint8_t a3[] = { 1, 1, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff,
                                  0xff, 0xff, 0xff, 0xff, 0x02 };
    static const uint8_t a4[] = { 1, 1, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff,
                                  0xff, 0xff, 0xff, 0xff, 0x01 };
    static const uint8_t a5[] = { 1, 1, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff,
                                  0xff, 0xff, 0xff, 0x7f };
    static const uint8_t a6[] = { 1, 1, 0x01, 0x80, 0x01 };
    int bOk = 1;
    TsmSketch e;
    tsmSketchInit(&e);
    CHECK_EQ_INT(tryBytes(&e, a1, sizeof(a1), &bOk), TSM_SKETCH_CORRUPT);
    CHECK_EQ_INT(tryBytes(&e, a2, sizeof(a2), &bOk), TSM_SKETCH_CORRUPT);
    CHECK_EQ_INT(tryBytes(&e, a3, sizeof(a3), &bOk), TSM_SKETCH_CORRUPT);
    CHECK_EQ_INT(tryBytes(&e, a4, sizeof(a4), &bOk), TSM_SKETCH_CORRUPT);
    CHECK_EQ_INT(tryBytes(&e, a5, sizeof(a5), &bOk), TSM_SKETCH_OK);
    CHECK_EQ_INT(tryBytes(&e, a6, sizeof(a6), &bOk), TSM_SKETCH_OK);
    CHECK(bOk);
  }

  /* 5.6 a total above TSM_SKETCH_MAX_COUNT after merging: RANGE */
  {
    TsmSketch big;
    int n, bOk = 1;
    uint8_t *aByte = serialize(&aSrc[5], &n);   /* count 4*(INT64_MAX/4) */
    tsmSketchInit(&big);
    tsmSketchAdd(&big, 1.0);
    tsmSketchAdd(&big, 2.0);
    tsmSketchAdd(&big, 3.0);
    tsmSketchAdd(&big, 4.0);
    CHECK_EQ_INT(tryBytes(&big, aByte, (size_t)n, &bOk), TSM_SKETCH_RANGE);
    CHECK(bOk);
    CHECK_EQ_INT(tsmSketchMerge(&big, &aSrc[5]), TSM_SKETCH_RANGE);
    CHECK_EQ_INT(tsmSketchCount(&big), 4);
    tsmSketchFree(&big);
    free(aByte);
  }

  for(k=0; k<6; k++) tsmSketchFree(&aSrc[k]);
  tsmSketchFree(&base);
  free(a);
}

/**************************************************************************
** 6.x Folding of the lowest buckets.
*/
static void test_collapse(void){
  int n = 40000, i, nBad = 0, nOver = 0;
  double *a = (double*)malloc((size_t)n*sizeof(double));
  TsmSketch s;
  double g = (1.0+TSM_SKETCH_ALPHA)/(1.0-TSM_SKETCH_ALPHA);
  double rFloor;

  /* 6.1 values over 600 orders of magnitude, in random order */
  for(i=0; i<n; i++) a[i] = pow(10.0, -300.0 + 600.0*rndUnit());
  sketchOf(&s, a, n);
  CHECK_EQ_INT(tsmSketchCount(&s), n);
  CHECK_EQ_INT(s.pos.iMax - s.pos.iMin + 1, TSM_SKETCH_MAX_BUCKETS);
  CHECK(tsmSketchSerializedSize(&s)<=TSM_SKETCH_MAX_BYTES);
  CHECK(roundTrips(&s));
  qsort(a, (size_t)n, sizeof(double), cmpDouble);
  /* Values above gamma^(H-2047) keep the guarantee; below, the estimate
  ** is that bucket's, an over-estimate. */
  rFloor = pow(g, (double)(s.pos.iMax - TSM_SKETCH_MAX_BUCKETS));
  for(i=0; i<=1000; i++){
    double q = i/1000.0;
    double exact = exactQuantile(a, n, q);
    double est = tsmSketchQuantile(&s, q);
    if( exact>rFloor ){
      if( !withinAlpha(est, exact) ) nBad++;
    }else{
      if( est<exact ) nBad++;
      nOver++;
    }
  }
  CHECK_EQ_INT(nBad, 0);
  CHECK(nOver>0 && nOver<1000);
  CHECK(withinAlpha(tsmSketchQuantile(&s, 1.0), a[n-1]));
  CHECK(withinAlpha(tsmSketchQuantile(&s, 0.99), exactQuantile(a, n, 0.99)));
  tsmSketchFree(&s);

  /* 6.2 merging stays exact when folding happens */
  CHECK(mergeMatches(a, n, 3, 0));
  CHECK(mergeMatches(a, n, 17, 1));
  for(i=0; i<n; i++) a[i] = -a[i];
  CHECK(mergeMatches(a, n, 5, 0));
  {
    /* ascending then descending insertion, small then big merge order */
    TsmSketch up, down, lo, hi;
    for(i=0; i<n; i++) a[i] = -a[i];
    qsort(a, (size_t)n, sizeof(double), cmpDouble);
    sketchOf(&up, a, n);
    tsmSketchInit(&down);
    for(i=n-1; i>=0; i--) tsmSketchAdd(&down, a[i]);
    CHECK(sameBytes(&up, &down));
    sketchOf(&lo, a, n/2);
    sketchOf(&hi, a+n/2, n-n/2);
    CHECK_EQ_INT(tsmSketchMerge(&lo, &hi), TSM_SKETCH_OK);
    CHECK(sameBytes(&lo, &up));
    tsmSketchFree(&up);
    tsmSketchFree(&down);
    tsmSketchFree(&lo);
    tsmSketchFree(&hi);
  }

  /* 6.3 a window that slides upwards many times, then downwards */
  tsmSketchInit(&s);
  for(i=0; i<20000; i++) tsmSketchAdd(&s, pow(g, i*1.5));
  CHECK_EQ_INT(s.pos.iMax - s.pos.iMin + 1, TSM_SKETCH_MAX_BUCKETS);
  CHECK_EQ_INT(tsmSketchCount(&s), 20000);
  CHECK(roundTrips(&s));
  tsmSketchClear(&s);
  for(i=0; i<20000; i++) tsmSketchAdd(&s, pow(g, 10000 - i*1.5));
  CHECK_EQ_INT(s.pos.iMax - s.pos.iMin + 1, TSM_SKETCH_MAX_BUCKETS);
  CHECK(roundTrips(&s));
  tsmSketchFree(&s);
  free(a);
}

/**************************************************************************
** 7.x API corners.
*/
static void test_api(void){
  TsmSketch s, t;
  int i;

  /* 7.1 AddN is n times Add */
  tsmSketchInit(&s);
  tsmSketchInit(&t);
  for(i=0; i<1000; i++){
    double v = (i%7) * 3.25 - 5.0;
    CHECK_EQ_INT(tsmSketchAddN(&s, v, 3), TSM_SKETCH_OK);
    tsmSketchAdd(&t, v);
    tsmSketchAdd(&t, v);
    tsmSketchAdd(&t, v);
  }
  CHECK(sameBytes(&s, &t));
  CHECK_EQ_INT(tsmSketchAddN(&s, 1.0, 0), TSM_SKETCH_OK);
  CHECK_EQ_INT(tsmSketchAddN(&s, 1.0, -1), TSM_SKETCH_RANGE);
  CHECK(sameBytes(&s, &t));

  /* 7.2 the count limit */
  tsmSketchClear(&s);
  CHECK_EQ_INT(tsmSketchAddN(&s, 5.0, INT64_MAX), TSM_SKETCH_OK);
  CHECK_EQ_INT(tsmSketchAdd(&s, 5.0), TSM_SKETCH_RANGE);
  CHECK_EQ_INT(tsmSketchAdd(&s, 0.0), TSM_SKETCH_RANGE);
  CHECK_EQ_INT(tsmSketchAdd(&s, INFINITY), TSM_SKETCH_RANGE);
  CHECK_EQ_INT(tsmSketchCount(&s), INT64_MAX);
  CHECK(withinAlpha(tsmSketchQuantile(&s, 0.5), 5.0));
  CHECK(withinAlpha(tsmSketchQuantile(&s, 1.0), 5.0));
  CHECK(roundTrips(&s));

  /* 7.3 Clear keeps memory and empties; Free releases, reusable */
  tsmSketchClear(&s);
  CHECK_EQ_INT(tsmSketchCount(&s), 0);
  CHECK(s.pos.aCount!=0);
  CHECK_EQ_INT(tsmSketchSerializedSize(&s), 3);
  tsmSketchAdd(&s, 1e10);                      /* far from the old window */
  tsmSketchAdd(&s, 2.0);
  CHECK(withinAlpha(tsmSketchQuantile(&s, 1.0), 1e10));
  CHECK(withinAlpha(tsmSketchQuantile(&s, 0.0), 2.0));
  CHECK(roundTrips(&s));
  tsmSketchFree(&s);
  CHECK(s.pos.aCount==0 && tsmSketchCount(&s)==0);
  tsmSketchAdd(&s, 3.0);
  CHECK(withinAlpha(tsmSketchQuantile(&s, 0.5), 3.0));
  tsmSketchFree(&s);
  tsmSketchFree(&s);                           /* twice is harmless */

  /* 7.4 a zero-filled struct is an empty sketch */
  memset(&s, 0, sizeof(s));
  CHECK_EQ_INT(tsmSketchCount(&s), 0);
  tsmSketchAdd(&s, -4.0);
  CHECK(withinAlpha(tsmSketchQuantile(&s, 0.5), -4.0));
  tsmSketchFree(&s);

  /* 7.5 error strings */
  CHECK_EQ_STR(tsmSketchErrstr(TSM_SKETCH_CORRUPT), "malformed sketch");
  CHECK_EQ_STR(tsmSketchErrstr(TSM_SKETCH_TOOSMALL), "output buffer too small");
  CHECK_EQ_STR(tsmSketchErrstr(TSM_SKETCH_RANGE), "sketch count out of range");
  CHECK_EQ_STR(tsmSketchErrstr(TSM_SKETCH_NOMEM), "out of memory");
  CHECK_EQ_STR(tsmSketchErrstr(12345), "unknown sketch error");

  /* 7.6 quantiles are monotone in q */
  {
    double a[5000], prev = -INFINITY;
    int bMono = 1;
    mixedData(a, 5000);
    sketchOf(&s, a, 5000);
    for(i=0; i<=20000; i++){
      double x = tsmSketchQuantile(&s, i/20000.0);
      if( x<prev ) bMono = 0;
      prev = x;
    }
    CHECK(bMono);
    tsmSketchFree(&s);
  }
  tsmSketchFree(&t);
}

/* tsmSketchRank(): exact on small integers; elsewhere off only by the
** values within alpha of x. */
static void test_rank(void){
  TsmSketch sk;
  double aV[2000];
  int i, j;
  tsmSketchInit(&sk);
  CHECK(isnan(tsmSketchRank(&sk, 1.0)));
  /* states: 0 x 5, 1 x 3, 2 x 2 */
  for(i=0; i<5; i++) tsmSketchAdd(&sk, 0.0);
  for(i=0; i<3; i++) tsmSketchAdd(&sk, 1.0);
  for(i=0; i<2; i++) tsmSketchAdd(&sk, 2.0);
  CHECK(tsmSketchRank(&sk, -1.0)==0.0);
  CHECK(tsmSketchRank(&sk, 0.0)==0.5);
  CHECK(tsmSketchRank(&sk, 0.5)==0.5);
  CHECK(tsmSketchRank(&sk, 1.0)==0.8);
  CHECK(tsmSketchRank(&sk, 1.5)==0.8);
  CHECK(tsmSketchRank(&sk, 2.0)==1.0);
  CHECK(tsmSketchRank(&sk, INFINITY)==1.0);
  CHECK(isnan(tsmSketchRank(&sk, NAN)));
  tsmSketchClear(&sk);
  /* every integer -49..49, once each, plus the infinities */
  for(i=-49; i<=49; i++) tsmSketchAdd(&sk, (double)i);
  tsmSketchAdd(&sk, INFINITY);
  tsmSketchAdd(&sk, -INFINITY);
  for(i=-49; i<=49; i++){
    CHECK_EQ_INT((int)llround(tsmSketchRank(&sk, (double)i)*101.0), i+51);
  }
  CHECK(tsmSketchRank(&sk, -INFINITY)==1.0/101.0);
  CHECK(tsmSketchRank(&sk, -1e300)==1.0/101.0);
  CHECK(tsmSketchRank(&sk, 1e300)==100.0/101.0);
  CHECK(tsmSketchRank(&sk, INFINITY)==1.0);
  tsmSketchClear(&sk);
  /* random values: the rank is between the exact fraction <= x and the
  ** fraction <= x moved up by one bucket width (gamma = (1+a)/(1-a)) */
  srand(7);
  for(i=0; i<2000; i++){
    aV[i] = exp((rand()%2000)/100.0 - 10.0) * (rand()%4==0 ? -1 : 1);
    tsmSketchAdd(&sk, aV[i]);
  }
  for(j=0; j<300; j++){
    double x = exp((rand()%2400)/100.0 - 12.0) * (rand()%3==0 ? -1 : 1);
    double g = (1+TSM_SKETCH_ALPHA)/(1-TSM_SKETCH_ALPHA);
    double lo = x*(1+1e-12);
    double hi = x>0 ? x*g*(1+1e-12) : x/g*(1-1e-12);
    if( x<0 ) lo = x*(1-1e-12);
    int nLo = 0, nHi = 0;
    double r = tsmSketchRank(&sk, x);
    for(i=0; i<2000; i++){
      nLo += aV[i]<=lo;
      nHi += aV[i]<=hi;
    }
    CHECK(r*2000.0>=nLo-1e-9 && r*2000.0<=nHi+1e-9);
  }
  tsmSketchFree(&sk);
}

int main(void){
  test_accuracy();
  test_special();
  test_merge();
  test_roundtrip();
  test_malformed();
  test_collapse();
  test_api();
  test_rank();
  return UNIT_DONE();
}
