/* SPDX-License-Identifier: MIT */
/*
** test_agg.c -- unit tests of the bucket accumulator (ext/agg.c).
**
**   make build/test_agg && build/test_agg
**
** 1.x   tsmBucketOf / tsmBucketUp: hand-computed buckets, negative times,
**       the ends of int64 (saturation), monotone and inside the bucket
** 2.x   tsmCounterStep: increase, reset, infinities
** 3.x   one bucket from samples: hand-computed, NaN, infinities, counters
**       with and without carry, Start, Swap
** 4.x   tsmAggAddLanes against tsmAggAddRun; tsmAggAddRun against
**       tsmAggAdd one by one (bit for bit)
** 5.x   merging finer buckets (and chunk metadata) equals adding the
**       samples directly, sketches byte for byte
** 6.x   parts: empty, damaged (NaN), corrupt sketch, extreme times
*/
#include "agg.h"
#include "unit.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* splitmix64: a small deterministic generator. */
static uint64_t iRand = 0x2545f4914f6cdd1dULL;
static uint64_t rnd64(void){
  uint64_t z = (iRand += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z>>30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z>>27)) * 0x94d049bb133111ebULL;
  return z ^ (z>>31);
}

/* Same double, bit for bit (any NaN equals any NaN). */
static int sameBits(double a, double b){
  if( a!=a || b!=b ) return a!=a && b!=b;
  return memcmp(&a, &b, sizeof(a))==0;
}

/* Serialize the sketch of a into a[]; return its size. */
static int skBytes(const TsmAgg *a, uint8_t *aOut){
  return tsmSketchSerialize(&a->sk, aOut, TSM_SKETCH_MAX_BYTES);
}

static uint8_t aSk1[TSM_SKETCH_MAX_BYTES], aSk2[TSM_SKETCH_MAX_BYTES];

/* Every field of two buckets agree (the sketch too, when kept). */
static int sameAgg(const TsmAgg *a, const TsmAgg *b){
  if( a->n!=b->n || a->b!=b->b || a->bValid!=b->bValid ) return 0;
  if( !sameBits(a->sum, b->sum) || !sameBits(a->min, b->min)
   || !sameBits(a->max, b->max) || !sameBits(a->first, b->first)
   || !sameBits(a->last, b->last) ) return 0;
  if( a->tsFirst!=b->tsFirst || a->tsLast!=b->tsLast ) return 0;
  if( (a->mFlags & TSM_AGG_INC) && !sameBits(a->inc, b->inc) ) return 0;
  if( a->mFlags & TSM_AGG_SKETCH ){
    int n1 = skBytes(a, aSk1), n2 = skBytes(b, aSk2);
    if( n1<0 || n1!=n2 || memcmp(aSk1, aSk2, (size_t)n1)!=0 ) return 0;
  }
  return 1;
}

/**************************************************************************
** 1.x buckets
*/
static void test_bucket(void){
  int i;
  /* 1.1 hand-computed */
  CHECK_EQ_INT(tsmBucketOf(0, 5), 0);
  CHECK_EQ_INT(tsmBucketOf(4, 5), 0);
  CHECK_EQ_INT(tsmBucketOf(5, 5), 5);
  CHECK_EQ_INT(tsmBucketOf(59999, 60000), 0);
  CHECK_EQ_INT(tsmBucketOf(60000, 60000), 60000);
  CHECK_EQ_INT(tsmBucketOf(1767225600123LL, 3600000), 1767225600000LL);
  /* 1.2 before the epoch: towards minus infinity, not towards zero */
  CHECK_EQ_INT(tsmBucketOf(-1, 5), -5);
  CHECK_EQ_INT(tsmBucketOf(-5, 5), -5);
  CHECK_EQ_INT(tsmBucketOf(-6, 5), -10);
  CHECK_EQ_INT(tsmBucketOf(-60000, 60000), -60000);
  CHECK_EQ_INT(tsmBucketOf(-60001, 60000), -120000);
  CHECK_EQ_INT(tsmBucketUp(-1, 5), 0);
  CHECK_EQ_INT(tsmBucketUp(-5, 5), -5);
  CHECK_EQ_INT(tsmBucketUp(1, 5), 5);
  CHECK_EQ_INT(tsmBucketUp(0, 5), 0);
  CHECK_EQ_INT(tsmBucketUp(7, 1), 7);
  /* 1.3 the ends of int64: saturation, no overflow (UBSan watches) */
  CHECK_EQ_INT(tsmBucketOf(INT64_MIN, 1), INT64_MIN);
  CHECK_EQ_INT(tsmBucketOf(INT64_MAX, 1), INT64_MAX);
  CHECK_EQ_INT(tsmBucketOf(INT64_MIN, 1000), INT64_MIN);   /* saturated */
  CHECK_EQ_INT(tsmBucketOf(INT64_MIN+808, 1000), INT64_MIN+808);
  CHECK_EQ_INT(tsmBucketOf(INT64_MAX, 1000), 9223372036854775000LL);
  CHECK_EQ_INT(tsmBucketUp(INT64_MAX, 1000), INT64_MAX);   /* saturated */
  CHECK_EQ_INT(tsmBucketUp(INT64_MIN, 1000), INT64_MIN+808);
  CHECK_EQ_INT(tsmBucketOf(-1, INT64_MAX), -INT64_MAX);
  CHECK_EQ_INT(tsmBucketOf(INT64_MIN, INT64_MAX), INT64_MIN);
  CHECK_EQ_INT(tsmBucketOf(INT64_MAX, INT64_MAX), INT64_MAX);
  CHECK_EQ_INT(tsmBucketOf(INT64_MAX-1, INT64_MAX), 0);
  CHECK_EQ_INT(tsmBucketUp(1, INT64_MAX), INT64_MAX);
  CHECK_EQ_INT(tsmBucketUp(INT64_MIN, INT64_MAX), -INT64_MAX);
  CHECK_EQ_INT(tsmBucketUp(INT64_MIN+5, 1000), INT64_MIN+808);
  CHECK_EQ_INT(tsmBucketUp(INT64_MIN+5, INT64_MAX), 0);
  CHECK_EQ_INT(tsmBucketUp(-INT64_MAX, INT64_MAX), -INT64_MAX);
  CHECK_EQ_INT(tsmAddSat(INT64_MAX, 1), INT64_MAX);
  CHECK_EQ_INT(tsmAddSat(INT64_MIN, -1), INT64_MIN);
  CHECK_EQ_INT(tsmAddSat(INT64_MIN, INT64_MAX), -1);
  /* 1.4 random: inside the bucket, a multiple of w, monotone, Up >= ts */
  {
    int nBad = 0;
    for(i=0; i<200000; i++){
      int64_t w = (int64_t)(rnd64() % (i%3==0 ? 1000 : 86400000)) + 1;
      int64_t ts = (int64_t)rnd64();
      int64_t ts2, b, b2, u;
      if( i%2 ) ts /= 1000;
      ts2 = tsmAddSat(ts, (int64_t)(rnd64() % 100000));
      b = tsmBucketOf(ts, w);
      b2 = tsmBucketOf(ts2, w);
      u = tsmBucketUp(ts, w);
      if( b>ts || b2<b || u<ts ) nBad++;
      if( b!=INT64_MIN && ((uint64_t)ts - (uint64_t)b >= (uint64_t)w
                           || b % w!=0) ) nBad++;
      if( u!=INT64_MAX && ((uint64_t)u - (uint64_t)ts >= (uint64_t)w
                           || u % w!=0) ) nBad++;
      if( u!=INT64_MAX && b!=INT64_MIN && (u==ts)!=(b==ts) ) nBad++;
    }
    CHECK_EQ_INT(nBad, 0);
  }
}

/**************************************************************************
** 2.x counter step
*/
static void test_counter(void){
  CHECK(tsmCounterStep(1.0, 3.0)==2.0);
  CHECK(tsmCounterStep(3.0, 3.0)==0.0);
  CHECK(tsmCounterStep(3.0, 1.0)==1.0);      /* reset: from zero */
  CHECK(tsmCounterStep(3.0, 0.0)==0.0);
  CHECK(tsmCounterStep(-2.0, -1.0)==1.0);
  CHECK(tsmCounterStep(5.0, INFINITY)==INFINITY);
  CHECK(tsmCounterStep(INFINITY, 5.0)==5.0);
  CHECK(isnan(tsmCounterStep(INFINITY, INFINITY)));
  CHECK(isnan(tsmCounterStep(-INFINITY, -INFINITY)));
  CHECK(tsmCounterStep(-1e308, 1e308)==INFINITY);
}

/**************************************************************************
** 3.x one bucket from samples
*/
static void test_samples(void){
  TsmAgg a, p;
  int64_t aTs[] = {10, 20, 30, 40, 50};
  double aV[] = {1.0, NAN, 4.0, 2.0, 5.0};

  /* 3.1 hand-computed: NaN skipped, counter reset 4 -> 2 counts 2 */
  tsmAggInit(&a, TSM_AGG_INC);
  tsmAggStart(&a, 0);
  CHECK_EQ_INT(tsmAggAddRun(&a, aTs, aV, 5), TSM_SKETCH_OK);
  CHECK_EQ_INT(a.b, 0);
  CHECK_EQ_INT(a.n, 4);
  CHECK(a.sum==12.0 && a.min==1.0 && a.max==5.0);
  CHECK(a.first==1.0 && a.last==5.0);
  CHECK_EQ_INT(a.tsFirst, 10);
  CHECK_EQ_INT(a.tsLast, 50);
  CHECK(a.inc==3.0 + 2.0 + 3.0);

  /* 3.2 no carry: the next bucket starts its counter afresh */
  tsmAggStart(&a, 60);
  tsmAggAdd(&a, 60, 7.0);
  tsmAggAdd(&a, 70, 8.0);
  CHECK(a.inc==1.0);
  CHECK(a.first==7.0 && a.n==2);

  /* 3.3 carry: the first sample steps from the last one before it */
  tsmAggInit(&a, TSM_AGG_INC|TSM_AGG_CARRY);
  tsmAggStart(&a, 0);
  tsmAggAddRun(&a, aTs, aV, 5);
  tsmAggStart(&a, 60);
  tsmAggAdd(&a, 60, 7.0);
  tsmAggAdd(&a, 70, 1.0);                    /* reset */
  CHECK(a.inc==2.0 + 1.0);
  CHECK(a.n==2 && a.min==1.0 && a.max==7.0);

  /* 3.4 only NaN: an empty bucket */
  tsmAggInit(&a, TSM_AGG_INC|TSM_AGG_SKETCH);
  tsmAggStart(&a, 100);
  tsmAggAdd(&a, 100, NAN);
  tsmAggAdd(&a, 101, -NAN);
  CHECK_EQ_INT(a.n, 0);
  CHECK(a.sum==0.0 && a.inc==0.0 && a.min==INFINITY && a.max==-INFINITY);
  CHECK_EQ_INT(tsmSketchCount(&a.sk), 0);

  /* 3.5 infinities: inf + -inf sums to NaN; min and max are the ends */
  tsmAggStart(&a, 0);
  tsmAggAdd(&a, 1, INFINITY);
  tsmAggAdd(&a, 2, -INFINITY);
  tsmAggAdd(&a, 3, 2.0);
  CHECK(isnan(a.sum));
  CHECK(a.min==-INFINITY && a.max==INFINITY);
  CHECK(a.first==INFINITY && a.last==2.0);
  /* steps: inf -> -inf a reset (-inf), -inf -> 2 is +inf: NaN in all */
  CHECK(isnan(a.inc));
  CHECK_EQ_INT(tsmSketchCount(&a.sk), 3);
  tsmAggStart(&a, 0);
  tsmAggAdd(&a, 1, INFINITY);
  tsmAggAdd(&a, 2, INFINITY);
  CHECK(isnan(a.inc));                       /* inf - inf */

  /* 3.6 Start clears the sketch; Swap moves buckets, not counters */
  tsmAggStart(&a, 0);
  CHECK_EQ_INT(tsmSketchCount(&a.sk), 0);
  tsmAggInit(&p, 0);
  tsmAggFree(&a);
  tsmAggInit(&a, TSM_AGG_INC|TSM_AGG_SKETCH|TSM_AGG_CARRY);
  tsmAggStart(&a, 0);
  tsmAggAdd(&a, 1, 3.0);
  tsmAggSwap(&a, &p);
  CHECK_EQ_INT(p.n, 1);
  CHECK_EQ_INT(tsmSketchCount(&p.sk), 1);
  CHECK_EQ_INT(a.n, 0);
  CHECK_EQ_INT(p.mFlags, 0);
  CHECK_EQ_INT(a.mFlags, TSM_AGG_INC|TSM_AGG_SKETCH|TSM_AGG_CARRY);
  CHECK(a.bPrev==1 && a.prev==3.0 && p.bPrev==0);
  tsmAggStart(&a, 10);
  tsmAggAdd(&a, 11, 5.0);
  CHECK(a.inc==2.0);
  tsmAggFree(&a);
  tsmAggFree(&p);
  CHECK_EQ_INT(tsmSketchCount(&p.sk), 0);
}

/**************************************************************************
** 4.x lanes
*/
static void test_lanes(void){
  enum { N = 1000 };
  static int64_t aTs[N];
  static double aV[N];
  TsmAgg a, b;
  int i, k, nBad = 0;
  for(k=0; k<300; k++){
    int n = (int)(rnd64() % N) + 1, j0 = (int)(rnd64() % 7);
    unsigned m = k%3==0 ? 0 : k%3==1 ? TSM_AGG_INC : TSM_AGG_SKETCH;
    for(i=0; i<n; i++){
      aTs[i] = i*10;
      aV[i] = (double)((int64_t)(rnd64() % 2001) - 1000);   /* exact sums */
      if( k%5==1 && rnd64()%50==0 ) aV[i] = NAN;
      if( k%7==2 && rnd64()%90==0 ) aV[i] = (rnd64()&1) ? INFINITY : -INFINITY;
    }
    tsmAggInit(&a, m);
    tsmAggInit(&b, m);
    tsmAggStart(&a, 0);
    tsmAggStart(&b, 0);
    /* two runs, so that the second starts from a non-empty bucket */
    if( j0>n ) j0 = n;
    tsmAggAddLanes(&a, aTs, aV, j0);
    tsmAggAddLanes(&a, aTs+j0, aV+j0, n-j0);
    tsmAggAddRun(&b, aTs, aV, n);
    if( !sameAgg(&a, &b) ) nBad++;
    tsmAggFree(&a);
    tsmAggFree(&b);
  }
  CHECK_EQ_INT(nBad, 0);

  /* 4.2 the lanes add in another order: 1e16 + 1 + 1 + 1 */
  {
    int64_t t4[] = {0, 1, 2, 3};
    double v4[] = {1e16, 1.0, 1.0, 1.0};
    tsmAggInit(&a, 0);
    tsmAggStart(&a, 0);
    tsmAggAddRun(&a, t4, v4, 4);
    CHECK(a.sum==1e16);                 /* each 1 rounds away */
    tsmAggStart(&a, 0);
    tsmAggAddLanes(&a, t4, v4, 4);
    CHECK(a.sum==1e16 + 2.0);           /* (1e16 + 1) + (1 + 1) */
  }

  /* 4.3 a run is n calls of tsmAggAdd, bit for bit (its loop without the
  ** calls): NaN first, last and in between, zeros of both signs, infinities,
  ** sums that round, from an empty and from a non-empty bucket, each
  ** combination of flags */
  {
    static const unsigned aM[] = {0, TSM_AGG_INC, TSM_AGG_SKETCH,
                                  TSM_AGG_INC|TSM_AGG_SKETCH};
    int64_t aT[40];
    double aX[40];
    int nDiff = 0;
    for(k=0; k<4000; k++){
      unsigned m = aM[k%4];
      int n = (int)(rnd64()%40), j0 = (int)(rnd64()%8), i;
      for(i=0; i<n; i++){
        uint64_t r = rnd64();
        aT[i] = 1000 + i*7;
        switch( r%11 ){
          case 0:  aX[i] = NAN; break;
          case 1:  aX[i] = -0.0; break;
          case 2:  aX[i] = 0.0; break;
          case 3:  aX[i] = (r>>8)&1 ? INFINITY : -INFINITY; break;
          case 4:  aX[i] = 1e16; break;
          default: aX[i] = (double)(int64_t)((r>>8)%2001 - 1000) / 7.0;
        }
      }
      if( j0>n ) j0 = n;
      tsmAggInit(&a, m);
      tsmAggInit(&b, m);
      tsmAggStart(&a, 0);
      tsmAggStart(&b, 0);
      tsmAggAddRun(&a, aT, aX, j0);
      tsmAggAddRun(&a, aT+j0, aX+j0, n-j0);
      for(i=0; i<n; i++) tsmAggAdd(&b, aT[i], aX[i]);
      if( !sameAgg(&a, &b) ) nDiff++;
      tsmAggFree(&a);
      tsmAggFree(&b);
    }
    CHECK_EQ_INT(nDiff, 0);
  }
}

/**************************************************************************
** 5.x merging
*/

/* Fold samples into buckets of width wFine (a part each, no carry, as a
** rollup tier from raw samples), then merge those into width wCoarse; and
** add the same samples directly at width wCoarse.  Both must agree. */
static int mergeCase(const int64_t *aTs, const double *aV, int n,
                     int64_t wFine, int64_t wCoarse, unsigned mFlags){
  TsmAgg fine, coarse, direct;
  uint8_t *aBuf = malloc(TSM_SKETCH_MAX_BYTES);
  int i = 0, bOk = 1;
  tsmAggInit(&fine, mFlags);
  tsmAggInit(&coarse, mFlags);
  tsmAggInit(&direct, mFlags);
  while( i<n ){
    int64_t bf = tsmBucketOf(aTs[i], wFine);
    int64_t bc = tsmBucketOf(aTs[i], wCoarse);
    TsmAggPart part;
    tsmAggStart(&fine, bf);
    while( i<n && tsmBucketOf(aTs[i], wFine)==bf ){
      if( !direct.bValid || direct.b!=bc ){
        if( direct.bValid ) bOk = bOk && sameAgg(&coarse, &direct);
        tsmAggStart(&direct, bc);
        tsmAggStart(&coarse, bc);
      }
      tsmAggAdd(&fine, aTs[i], aV[i]);
      tsmAggAdd(&direct, aTs[i], aV[i]);
      i++;
    }
    if( tsmBucketOf(bf, wCoarse)!=bc ) bOk = 0;    /* buckets nest */
    part.n = fine.n;
    part.sum = fine.sum; part.min = fine.min; part.max = fine.max;
    part.first = fine.first; part.last = fine.last; part.inc = fine.inc;
    part.tsFirst = fine.tsFirst; part.tsLast = fine.tsLast;
    part.aSk = aBuf;
    part.nSk = tsmSketchSerialize(&fine.sk, aBuf, TSM_SKETCH_MAX_BYTES);
    if( mFlags & TSM_AGG_INC ){
      if( tsmAggMerge(&coarse, &part)!=TSM_SKETCH_OK ) bOk = 0;
    }else{
      tsmAggAddChunk(&coarse, &part);
    }
  }
  if( direct.bValid ) bOk = bOk && sameAgg(&coarse, &direct);
  tsmAggFree(&fine);
  tsmAggFree(&coarse);
  tsmAggFree(&direct);
  free(aBuf);
  return bOk;
}

static void test_merge(void){
  enum { N = 3000 };
  static int64_t aTs[N];
  static double aV[N];
  int i, k, nBad = 0;

  /* 5.1 hand-made: 1m buckets merged into 5m equal the samples */
  {
    int64_t t[] = {0, 30000, 60000, 61000, 150000, 299999, 300000};
    double v[] = {5, 7, 3, NAN, 4, 10, 1};
    TsmAgg c;
    CHECK(mergeCase(t, v, 7, 60000, 300000, TSM_AGG_INC|TSM_AGG_SKETCH));
    /* and the numbers by hand: 5 7 3 4 10 in [0, 5m), 1 in [5m, 10m) */
    tsmAggInit(&c, TSM_AGG_INC);
    tsmAggStart(&c, 0);
    tsmAggAddRun(&c, t, v, 6);
    CHECK(c.n==5 && c.sum==29.0 && c.min==3.0 && c.max==10.0);
    CHECK(c.inc==2.0 + 3.0 + 1.0 + 6.0);  /* 5>7 +2, 7>3 reset 3, ... */
  }

  /* 5.2 random: integer values (exact sums), NaN, infinities, resets;
  ** timestamps around the epoch and at both ends of int64 */
  for(k=0; k<400; k++){
    int n = (int)(rnd64() % N) + 1;
    int64_t wFine = (int64_t)(rnd64() % 1000) + 1;
    int64_t wCoarse = wFine * ((int64_t)(rnd64() % 20) + 1);
    int64_t t = (int64_t)(rnd64() % 2000000) - 1000000;
    unsigned m = (k&1) ? TSM_AGG_INC|TSM_AGG_SKETCH : 0;
    double c = 0.0;
    if( k%10==3 ) t = INT64_MIN;
    if( k%10==4 ) t = INT64_MAX - (int64_t)(rnd64() % 100000);
    for(i=0; i<n; i++){
      uint64_t r = rnd64();
      aTs[i] = t;
      t = tsmAddSat(t, (int64_t)(r % 300));
      c = (r>>20)%17==0 ? 0.0 : c + (double)((r>>8)%50);   /* a counter */
      aV[i] = k%4<2 ? c : (double)((int64_t)((r>>8)%201) - 100);
      if( (r>>40)%41==0 ) aV[i] = NAN;
      if( k%8==5 && (r>>48)%53==0 ) aV[i] = (r&1) ? INFINITY : -INFINITY;
      if( k%8==6 && (r>>48)%13==0 ) aV[i] = -0.0;
    }
    if( !mergeCase(aTs, aV, n, wFine, wCoarse, m) ) nBad++;
  }
  CHECK_EQ_INT(nBad, 0);
}

/**************************************************************************
** 6.x parts
*/
static void test_parts(void){
  TsmAgg a;
  TsmAggPart part;
  static const uint8_t aJunk[] = {0xff, 0x01, 0x02};
  memset(&part, 0, sizeof(part));
  part.nSk = -1;

  /* 6.1 an empty part changes nothing */
  tsmAggInit(&a, TSM_AGG_INC|TSM_AGG_SKETCH);
  tsmAggStart(&a, 0);
  part.n = 0; part.sum = 5.0;
  CHECK_EQ_INT(tsmAggMerge(&a, &part), TSM_SKETCH_OK);
  tsmAggAddChunk(&a, &part);
  part.n = -3;
  CHECK_EQ_INT(tsmAggMerge(&a, &part), TSM_SKETCH_OK);
  CHECK(a.n==0 && a.sum==0.0 && a.bPrev==0);

  /* 6.2 a damaged row: a NaN min taken first stays (as rollup.c did) */
  part.n = 2; part.sum = 3.0; part.min = NAN; part.max = 2.0;
  part.first = 1.0; part.last = 2.0; part.inc = 1.0;
  part.tsFirst = INT64_MIN; part.tsLast = INT64_MAX;
  CHECK_EQ_INT(tsmAggMerge(&a, &part), TSM_SKETCH_OK);
  CHECK(isnan(a.min) && a.max==2.0);
  CHECK_EQ_INT(a.tsFirst, INT64_MIN);
  CHECK_EQ_INT(a.tsLast, INT64_MAX);
  /* a second part: step 2 -> 0.5 is a reset (0.5), plus its increase */
  part.min = 0.5; part.first = 0.5; part.last = 4.0; part.inc = 3.5;
  part.max = 4.0; part.sum = 4.5;
  CHECK_EQ_INT(tsmAggMerge(&a, &part), TSM_SKETCH_OK);
  CHECK(a.n==4 && a.sum==7.5 && a.inc==1.0 + (0.5 + 3.5));
  CHECK(a.first==1.0 && a.last==4.0 && a.max==4.0);

  /* 6.3 a corrupt sketch is reported; the other aggregates are added */
  part.aSk = aJunk; part.nSk = (int)sizeof(aJunk);
  CHECK_EQ_INT(tsmAggMerge(&a, &part), TSM_SKETCH_CORRUPT);
  CHECK_EQ_INT(a.n, 6);
  CHECK_EQ_INT(tsmSketchCount(&a.sk), 0);
  /* without TSM_AGG_SKETCH the bytes are not looked at */
  a.mFlags = TSM_AGG_INC;
  CHECK_EQ_INT(tsmAggMerge(&a, &part), TSM_SKETCH_OK);
  tsmAggFree(&a);

  /* 6.4 chunk metadata leaves the counter alone */
  tsmAggInit(&a, TSM_AGG_CARRY);
  tsmAggStart(&a, 0);
  part.n = 3; part.sum = 6.0; part.min = 1.0; part.max = 3.0;
  part.first = 1.0; part.last = 3.0; part.inc = 99.0;
  tsmAggAddChunk(&a, &part);
  CHECK(a.n==3 && a.sum==6.0 && a.inc==0.0 && a.bPrev==0);
  tsmAggFree(&a);

  /* 6.5 samples at the ends of int64 */
  tsmAggInit(&a, TSM_AGG_INC);
  tsmAggStart(&a, tsmBucketOf(INT64_MIN, 60000));
  tsmAggAdd(&a, INT64_MIN, 1.0);
  tsmAggAdd(&a, INT64_MIN+1, 2.0);
  CHECK_EQ_INT(a.b, INT64_MIN);
  CHECK_EQ_INT(a.tsFirst, INT64_MIN);
  CHECK(a.inc==1.0);
  tsmAggStart(&a, tsmBucketOf(INT64_MAX, 60000));
  tsmAggAdd(&a, INT64_MAX, 1.0);
  CHECK_EQ_INT(a.tsLast, INT64_MAX);
  CHECK_EQ_INT(a.b, INT64_MAX - INT64_MAX % 60000);
  tsmAggFree(&a);
}

int main(void){
  test_bucket();
  test_counter();
  test_samples();
  test_lanes();
  test_merge();
  test_parts();
  return UNIT_DONE();
}
