/* SPDX-License-Identifier: MIT */
/*
** agg.c -- the bucket accumulator (agg.h says what it computes and who
** uses it).  Pure C: no SQLite types.
**
** Every way into a bucket ends in the same few lines, so that the chunk
** metadata, the rollup tiers and tsm_query cannot drift apart: one sample
** (tsmAggAdd), a part that is already aggregated (partAdd: a chunk's
** metadata or a finer bucket), and the counter step (tsmCounterStep).
*/
#include "agg.h"
#include <math.h>
#include <string.h>

void tsmAggInit(TsmAgg *a, unsigned mFlags){
  memset(a, 0, sizeof(*a));
  tsmSketchInit(&a->sk);
  a->mFlags = mFlags;
  a->min = INFINITY;
  a->max = -INFINITY;
}

void tsmAggFree(TsmAgg *a){
  unsigned mFlags = a->mFlags;
  tsmSketchFree(&a->sk);
  tsmAggInit(a, mFlags);
}

void tsmAggStart(TsmAgg *a, int64_t b){
  a->b = b;
  a->bValid = 1;
  a->n = 0;
  a->sum = 0.0;
  a->min = INFINITY;
  a->max = -INFINITY;
  a->first = a->last = 0.0;
  a->inc = 0.0;
  a->tsFirst = a->tsLast = 0;
  if( (a->mFlags & TSM_AGG_CARRY)==0 ){
    a->bPrev = 0;
    a->prev = 0.0;
  }
  tsmSketchClear(&a->sk);
}

void tsmAggSwap(TsmAgg *a, TsmAgg *p){
  TsmAgg t = *a;
  *a = *p;
  *p = t;
  /* the flags and the counter stay where they were */
  p->mFlags = a->mFlags;  a->mFlags = t.mFlags;
  p->bPrev = a->bPrev;    a->bPrev = t.bPrev;
  p->prev = a->prev;      a->prev = t.prev;
}

int tsmAggAdd(TsmAgg *a, int64_t ts, double v){
  if( v!=v ) return TSM_SKETCH_OK;          /* NaN */
  if( a->n==0 ){
    a->first = v;
    a->tsFirst = ts;
  }
  a->last = v;
  a->tsLast = ts;
  a->n++;
  a->sum += v;
  if( v<a->min ) a->min = v;
  if( v>a->max ) a->max = v;
  if( a->mFlags & TSM_AGG_INC ){
    if( a->bPrev ) a->inc += tsmCounterStep(a->prev, v);
    a->bPrev = 1;
    a->prev = v;
  }
  if( a->mFlags & TSM_AGG_SKETCH ) return tsmSketchAdd(&a->sk, v);
  return TSM_SKETCH_OK;
}

int tsmAggAddRun(TsmAgg *a, const int64_t *aTs, const double *aVal, int n){
  int rc = TSM_SKETCH_OK, k;
  if( (a->mFlags & (TSM_AGG_INC|TSM_AGG_SKETCH))==0 ){
    /* tsmAggAdd's loop without its per-sample call and flag tests (chunk
    ** metadata when a chunk is sealed or trimmed): the same operations in
    ** the same order, so the same bits */
    double sum = a->sum, mn = a->min, mx = a->max;
    int64_t nAdd = 0;
    int iLast = -1;
    for(k=0; k<n; k++){
      double v = aVal[k];
      if( v!=v ) continue;                  /* NaN */
      if( iLast<0 && a->n==0 ){
        a->first = v;
        a->tsFirst = aTs[k];
      }
      iLast = k;
      nAdd++;
      sum += v;
      mn = v<mn ? v : mn;
      mx = v>mx ? v : mx;
    }
    if( iLast>=0 ){
      a->last = aVal[iLast];
      a->tsLast = aTs[iLast];
      a->n += nAdd;
      a->sum = sum;
      a->min = mn;
      a->max = mx;
    }
    return TSM_SKETCH_OK;
  }
  for(k=0; k<n; k++){
    int rc2 = tsmAggAdd(a, aTs[k], aVal[k]);
    if( rc==TSM_SKETCH_OK ) rc = rc2;
  }
  return rc;
}

int tsmAggAddLanes(TsmAgg *a, const int64_t *aTs, const double *aVal, int n){
  if( n<=0 ) return TSM_SKETCH_OK;
  if( (a->mFlags & (TSM_AGG_INC|TSM_AGG_SKETCH))==0 ){
    /* A NaN never wins a comparison, so min and max come out right with
    ** one; the sum turns NaN, and the run is added up again one by one. */
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, sum;
    double n0 = a->min, n1 = a->min, n2 = a->min, n3 = a->min, mn;
    double x0 = a->max, x1 = a->max, x2 = a->max, x3 = a->max, mx;
    int k;
    for(k=0; k+4<=n; k+=4){
      double v0 = aVal[k], v1 = aVal[k+1], v2 = aVal[k+2], v3 = aVal[k+3];
      s0 += v0; s1 += v1; s2 += v2; s3 += v3;
      n0 = v0<n0 ? v0 : n0;  n1 = v1<n1 ? v1 : n1;
      n2 = v2<n2 ? v2 : n2;  n3 = v3<n3 ? v3 : n3;
      x0 = v0>x0 ? v0 : x0;  x1 = v1>x1 ? v1 : x1;
      x2 = v2>x2 ? v2 : x2;  x3 = v3>x3 ? v3 : x3;
    }
    for(; k<n; k++){
      double v = aVal[k];
      s0 += v;
      n0 = v<n0 ? v : n0;
      x0 = v>x0 ? v : x0;
    }
    sum = a->sum + ((s0 + s1) + (s2 + s3));
    mn = n0<n1 ? n0 : n1;  mn = n2<mn ? n2 : mn;  mn = n3<mn ? n3 : mn;
    mx = x0>x1 ? x0 : x1;  mx = x2>mx ? x2 : mx;  mx = x3>mx ? x3 : mx;
    if( sum==sum ){
      /* no NaN sample (a NaN sum from inf + -inf takes the slow path,
      ** which gives the same answer) */
      if( a->n==0 ){
        a->first = aVal[0];
        a->tsFirst = aTs[0];
      }
      a->last = aVal[n-1];
      a->tsLast = aTs[n-1];
      a->n += n;
      a->sum = sum;
      a->min = mn;
      a->max = mx;
      return TSM_SKETCH_OK;
    }
  }
  return tsmAggAddRun(a, aTs, aVal, n);
}

/* Add the aggregates of a part (pP->n > 0): the one place that merges. */
static void partAdd(TsmAgg *a, const TsmAggPart *pP){
  if( a->n==0 ){
    /* taken as they are (a NaN read from a damaged row stays NaN) */
    a->first = pP->first;
    a->tsFirst = pP->tsFirst;
    a->min = pP->min;
    a->max = pP->max;
  }else{
    if( pP->min<a->min ) a->min = pP->min;
    if( pP->max>a->max ) a->max = pP->max;
  }
  a->last = pP->last;
  a->tsLast = pP->tsLast;
  a->n += pP->n;
  a->sum += pP->sum;
}

void tsmAggAddChunk(TsmAgg *a, const TsmAggPart *pPart){
  if( pPart->n<=0 ) return;
  partAdd(a, pPart);
}

int tsmAggMerge(TsmAgg *a, const TsmAggPart *pPart){
  if( pPart->n<=0 ) return TSM_SKETCH_OK;
  if( a->mFlags & TSM_AGG_INC ){
    if( a->bPrev ){
      a->inc += tsmCounterStep(a->prev, pPart->first) + pPart->inc;
    }else{
      a->inc += pPart->inc;
    }
    a->bPrev = 1;
    a->prev = pPart->last;
  }
  partAdd(a, pPart);
  if( (a->mFlags & TSM_AGG_SKETCH) && pPart->nSk>=0 ){
    return tsmSketchDeserialize(&a->sk, (const uint8_t*)pPart->aSk,
                                (size_t)pPart->nSk);
  }
  return TSM_SKETCH_OK;
}
