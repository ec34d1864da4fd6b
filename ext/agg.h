/* SPDX-License-Identifier: MIT */
/*
** agg.h -- buckets: the one bucket accumulator of tsm, the one bucket
** alignment and the one counter-increase rule.  Pure C (libc, libm and
** sketch.c): no SQLite types, no global state.  Unit-tested in
** test/unit/test_agg.c, fuzzed in test/fuzz/fuzz_agg.c.
**
** Users (they read and write the SQL; agg.c only adds numbers):
**   store.c      the metadata kept beside each chunk (n_val, v_min, v_max,
**                v_sum, v_first, v_last) and tsm_check's recomputation
**   retention.c  the metadata of a chunk cut by a prune
**   rollup.c     tier buckets, from raw samples or from a finer tier
**   query.c      tsm_query buckets, from raw samples, chunk metadata and
**                tier rows
**
** Buckets.  A bucket of width w > 0 is [b, b+w) with b a multiple of w
** since the epoch (tsmBucketOf).  Timestamps read from a damaged store may
** be anything, so the arithmetic saturates instead of overflowing.
**
** Aggregates.  A bucket holds the count, sum, min, max, first and last of
** its samples that are not NaN (NaN samples are skipped everywhere), the
** times of the first and last, and, when asked for (the mFlags of
** tsmAggInit), the counter increase and a quantile sketch (sketch.h).
** The sum is added up from 0.0 in the order the samples come (except in
** tsmAggAddLanes, see there); min and max start at +inf and -inf and take
** a value that compares less (greater).
**
** Counter increase (README "tsm_query", docs/FORMAT.md "Rollups"): between
** two consecutive samples p then v, the step is v-p, or v when v < p (a
** reset: the counter restarted from zero): tsmCounterStep.  Each step
** belongs to the bucket of v.  With TSM_AGG_CARRY (tsm_query) the first
** sample of a bucket steps from the last sample before it, so that the
** increases of consecutive buckets add up; without (rollup buckets) the
** increase is the one between the first and the last sample inside.
**
** Merging.  A finer bucket (tsmAggMerge) or a chunk's metadata
** (tsmAggAddChunk) is added as a whole: count, sum (one addition), min,
** max, first, last; a finer bucket also brings its increase and its
** serialized sketch.  Merging is exact for count, min, max, first, last,
** the sketch and the times; sums may round differently from adding the
** samples one by one.
*/
#ifndef TSM_AGG_H
#define TSM_AGG_H

#include <stdint.h>
#include "sketch.h"

/* Time arithmetic that saturates instead of overflowing: timestamps from
** users are checked (year 0 to 9999), but values read from a damaged store
** may be anything. */
static inline int64_t tsmAddSat(int64_t a, int64_t b){
  if( b>=0 ) return a>INT64_MAX-b ? INT64_MAX : a+b;
  return a<INT64_MIN-b ? INT64_MIN : a+b;
}
/* ts rounded down to a multiple of w (w > 0); INT64_MIN below that.  The
** start of the bucket of width w that holds ts. */
static inline int64_t tsmBucketOf(int64_t ts, int64_t w){
  int64_t r = ts % w;
  int64_t b = ts - r;                   /* towards zero: cannot overflow */
  if( r<0 ) b = tsmAddSat(b, -w);
  return b;
}
/* ts rounded up to a multiple of w (w > 0); INT64_MAX above that.  The
** first bucket start at or after ts.  Exact down to INT64_MIN (rounding a
** negative ts towards zero rounds it up), where tsmBucketOf saturates. */
static inline int64_t tsmBucketUp(int64_t ts, int64_t w){
  int64_t r = ts % w;
  if( r==0 ) return ts;
  if( r<0 ) return ts - r;              /* towards zero: cannot overflow */
  return tsmAddSat(ts - r, w);
}

/* The counter increase from sample p to the next sample v: v-p, or v when
** v < p (a reset from zero).  Neither is NaN (NaN samples are skipped);
** from +inf to +inf (or -inf to -inf) the step is NaN. */
static inline double tsmCounterStep(double p, double v){
  return v>=p ? v - p : v;
}

/* mFlags of tsmAggInit. */
#define TSM_AGG_INC    0x01   /* keep the counter increase */
#define TSM_AGG_SKETCH 0x02   /* keep a sketch of the values */
#define TSM_AGG_CARRY  0x04   /* the counter steps across buckets */

/* One bucket being built.  The fields are read by the users; they change
** them only through the functions below. */
typedef struct TsmAgg TsmAgg;
struct TsmAgg {
  unsigned mFlags;           /* TSM_AGG_xxx */
  int bValid;                /* a bucket is started: b is set */
  int64_t b;                 /* bucket start */
  int64_t n;                 /* samples that are not NaN */
  double sum, min, max;      /* 0.0, +inf, -inf while n==0 */
  double first, last;        /* 0.0 while n==0 */
  double inc;                /* counter increase (TSM_AGG_INC) */
  int64_t tsFirst, tsLast;   /* times of first and last; 0 while n==0 */
  int bPrev;                 /* prev holds the counter's previous value */
  double prev;               /* (TSM_AGG_INC; kept by Start with CARRY) */
  TsmSketch sk;              /* of the values (TSM_AGG_SKETCH) */
};

/* A finer bucket or a chunk's metadata, as stored beside it. */
typedef struct TsmAggPart TsmAggPart;
struct TsmAggPart {
  int64_t n;                 /* samples that are not NaN; <= 0: nothing */
  double sum, min, max, first, last;
  double inc;                /* tsmAggMerge only */
  int64_t tsFirst, tsLast;   /* times of first and last */
  const void *aSk;           /* serialized sketch (tsmAggMerge only) */
  int nSk;                   /* its size; < 0: the part has no sketch */
};

/* An empty accumulator, no bucket started, no counter value.  Allocates
** nothing (the sketch allocates as values come, with TSM_AGG_SKETCH). */
void tsmAggInit(TsmAgg *a, unsigned mFlags);

/* Release the memory of the sketch; a is then as after tsmAggInit. */
void tsmAggFree(TsmAgg *a);

/* Start bucket b: empty aggregates, the sketch cleared (memory kept).  The
** counter's previous value is kept with TSM_AGG_CARRY, forgotten without. */
void tsmAggStart(TsmAgg *a, int64_t b);

/* Swap the buckets of a and p (aggregates and sketch); each keeps its
** flags and its counter. */
void tsmAggSwap(TsmAgg *a, TsmAgg *p);

/* Add one sample; NaN is skipped.  Returns TSM_SKETCH_OK or the error of
** tsmSketchAdd (the other aggregates are updated either way). */
int tsmAggAdd(TsmAgg *a, int64_t ts, double v);

/* Add aTs/aVal[0..n) in order: the same as n calls of tsmAggAdd.  Returns
** the first error of the sketch, TSM_SKETCH_OK if none. */
int tsmAggAddRun(TsmAgg *a, const int64_t *aTs, const double *aVal, int n);

/* Like tsmAggAddRun, faster: without TSM_AGG_INC and TSM_AGG_SKETCH the
** values are added in four interleaved lanes, so that additions do not
** wait on each other (tsm_query over raw samples).  The sum then rounds
** differently from one by one, and a zero min or max may differ in sign;
** a run with a NaN (or whose sum is NaN) is added one by one instead. */
int tsmAggAddLanes(TsmAgg *a, const int64_t *aTs, const double *aVal, int n);

/* Add a chunk's metadata without decoding it: n, sum, min, max, first,
** last, tsFirst, tsLast of pPart (inc and the sketch are not used).  Only
** for an accumulator without TSM_AGG_INC and TSM_AGG_SKETCH, which need
** every sample; the counter is left alone. */
void tsmAggAddChunk(TsmAgg *a, const TsmAggPart *pPart);

/* Merge a finer bucket (a tier row): its aggregates, and with TSM_AGG_INC
** the step from the counter's previous value to its first plus its
** increase (one addition), and with TSM_AGG_SKETCH its serialized sketch
** when it has one (nSk >= 0).  Returns TSM_SKETCH_OK or the error of
** tsmSketchDeserialize (the other aggregates are updated either way). */
int tsmAggMerge(TsmAgg *a, const TsmAggPart *pPart);

#endif /* TSM_AGG_H */
