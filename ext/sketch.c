/* SPDX-License-Identifier: MIT */
/*
** sketch.c -- the quantile sketch of the rollup buckets (see sketch.h).
**
** Design: DDSketch (C. Masson, J. E. Rim, H. K. Lee, PVLDB 12(12), 2019),
** with alpha = 0.01, gamma = (1+alpha)/(1-alpha), bucket index
** ceil(log_gamma(x)), a positive and a negative store, a zero count and two
** infinity counts, at most TSM_SKETCH_MAX_BUCKETS buckets per store with the
** lowest ones folded ("collapsing lowest dense store" in the paper).
**
** IN MEMORY
**
** A store is a dense window aCount[] over the bucket indexes
** [iBase, iBase+nAlloc).  Slots outside [iMin, iMax] are always zero.  The
** window grows by doubling up to TSM_SKETCH_MAX_BUCKETS slots and slides
** (memmove) when the values drift.  The highest bucket H fixes the lowest
** bucket kept, H-(TSM_SKETCH_MAX_BUCKETS-1): a value of bucket i is counted
** in bucket max(i, H-2047).  As H only grows, the state of a store is a
** function of the multiset of its values alone, whatever the order in
** which they were added or merged: merging is exact.
**
** Every change goes in two steps so that an error leaves the sketch as it
** was: storePlan() computes the new bucket range and allocates a bigger
** window if one is needed (the only step that can fail), then storeApply()
** folds and moves the old counts and storeAddAt() adds the new ones.
**
** SERIALIZED FORM (docs/SKETCH.md has the full specification)
**
**   byte 0     version, 1
**   byte 1     mapping, 1 (log, alpha 0.01, zero below DBL_MIN, 2048 buckets)
**   byte 2     flags: 0x01 zero count, 0x02 +inf count, 0x04 -inf count,
**              0x08 positive store, 0x10 negative store follow; 0xe0 are 0
**   varint     zero count      (if 0x01; >= 1)
**   varint     +inf count      (if 0x02; >= 1)
**   varint     -inf count      (if 0x04; >= 1)
**   store      positive store  (if 0x08)
**   store      negative store  (if 0x10)
**
**   store:     varint (nEntry<<1 | mode), zigzag varint lowest index, then
**              mode 0 (dense):  nEntry counts of consecutive buckets, the
**                               first and the last >= 1;
**              mode 1 (sparse): nEntry non-empty buckets, each a varint
**                               (nGap<<1 | c>1) and, if c>1, a varint c-2,
**                               where c is the count and nGap the number of
**                               empty buckets since the previous entry (0
**                               for the first: it is at the lowest index).
**              The writer uses the smaller of the two, dense on a tie.
**
** Varints are unsigned LEB128 (7 bits per byte, least significant first,
** 0x80 = more bytes follow), minimal length.  Every count is at most
** INT64_MAX and so is their total.  The reader rejects anything else,
** including trailing bytes, so the form is canonical.
*/
#include "sketch.h"
#include "alloc.h"

#include <float.h>
#include <math.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define SKETCH_VERSION 1
#define SKETCH_MAPPING 1

/* log(gamma) = log((1+alpha)/(1-alpha)) = 2*atanh(alpha), alpha = 0.01.
** The representative 2*gamma^i/(gamma+1) equals (1-alpha)*gamma^i, so its
** logarithm is i*log(gamma) + log(1-alpha). */
#define SKETCH_LN_GAMMA 0.020000666706669525
#define SKETCH_LN_1MALPHA (-0.010050335853501442)

/* Bucket indexes of DBL_MIN and DBL_MAX: every index lies in between. */
#define SKETCH_INDEX_MIN (-35418)
#define SKETCH_INDEX_MAX 35488

/* Flags of byte 2. */
#define SKETCH_F_ZERO   0x01
#define SKETCH_F_POSINF 0x02
#define SKETCH_F_NEGINF 0x04
#define SKETCH_F_POS    0x08
#define SKETCH_F_NEG    0x10
#define SKETCH_F_ALL    0x1f

/* Store encodings. */
#define SKETCH_DENSE  0
#define SKETCH_SPARSE 1

#define SKETCH_MAX_COUNT ((uint64_t)TSM_SKETCH_MAX_COUNT)

/**************************************************************************
** Mapping between values and buckets.
*/

/* Bucket of x, DBL_MIN <= x <= DBL_MAX. */
static int sketchIndex(double x){
  double r = ceil(log(x) / SKETCH_LN_GAMMA);
  if( r<SKETCH_INDEX_MIN ) return SKETCH_INDEX_MIN;
  if( r>SKETCH_INDEX_MAX ) return SKETCH_INDEX_MAX;
  return (int)r;
}

/* Representative value of bucket i, kept finite. */
static double sketchValue(int i){
  double v = exp((double)i*SKETCH_LN_GAMMA + SKETCH_LN_1MALPHA);
  return v>DBL_MAX ? DBL_MAX : v;
}

/* Lowest bucket a store keeps when its highest bucket is iHi. */
static int storeFloor(int iHi){
  return iHi - (TSM_SKETCH_MAX_BUCKETS-1);
}

/**************************************************************************
** Varints.
*/

static int varintLen(uint64_t v){
  int n = 1;
  while( v>=0x80 ){ v >>= 7; n++; }
  return n;
}

/* Write v at a[*piOff]; the caller has checked the room. */
static void putVarint(uint8_t *a, size_t *piOff, uint64_t v){
  size_t i = *piOff;
  while( v>=0x80 ){
    a[i++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  a[i++] = (uint8_t)v;
  *piOff = i;
}

/* Read a varint at a[*piOff..n).  TSM_SKETCH_CORRUPT if it is truncated,
** does not fit 64 bits, or is not of minimal length. */
static int getVarint(const uint8_t *a, size_t n, size_t *piOff, uint64_t *pv){
  size_t i = *piOff;
  uint64_t v = 0;
  int iShift = 0;
  for(;;){
    uint8_t b;
    if( i>=n ) return TSM_SKETCH_CORRUPT;
    b = a[i++];
    if( iShift==63 && (b & 0xfe)!=0 ) return TSM_SKETCH_CORRUPT;
    v |= (uint64_t)(b & 0x7f) << iShift;
    if( (b & 0x80)==0 ){
      if( b==0 && iShift>0 ) return TSM_SKETCH_CORRUPT;
      break;
    }
    iShift += 7;
  }
  *piOff = i;
  *pv = v;
  return TSM_SKETCH_OK;
}

/* Zigzag form of a bucket index. */
static uint64_t zigzag(int i){
  return i<0 ? (uint64_t)(-(int64_t)i)*2 - 1 : (uint64_t)i*2;
}

/**************************************************************************
** Stores in memory.
*/

/* What storePlan() decided. */
typedef struct StorePlan StorePlan;
struct StorePlan {
  int iLo, iHi;           /* non-empty bucket range once the change is done */
  uint64_t *aNew;         /* new window, or NULL to keep p->aCount */
  int iBase;              /* bucket index of the first slot of the window */
  int nAlloc;             /* slots in the window */
};

/*
** Prepare store p to hold the buckets [iLo, iHi] once its old counts below
** iLo are folded into iLo.  The caller computed the range with
** storeTarget(), so 1 <= iHi-iLo+1 <= TSM_SKETCH_MAX_BUCKETS.  Allocates a
** new window if the current one is too small, and changes nothing in p.
*/
static int storePlan(const TsmSketchStore *p, int iLo, int iHi,
                     StorePlan *pPlan){
  int nNeed = iHi - iLo + 1;
  memset(pPlan, 0, sizeof(*pPlan));
  pPlan->iLo = iLo;
  pPlan->iHi = iHi;
  if( p->aCount && iLo>=p->iBase && iHi<p->iBase+p->nAlloc ){
    pPlan->iBase = p->iBase;
    pPlan->nAlloc = p->nAlloc;
    return TSM_SKETCH_OK;
  }
  if( p->aCount && p->nAlloc>=nNeed ){
    pPlan->nAlloc = p->nAlloc;          /* slide the window */
  }else{
    int nNew = p->nAlloc>0 ? p->nAlloc*2 : 16;
    while( nNew<nNeed ) nNew *= 2;
    if( nNew>TSM_SKETCH_MAX_BUCKETS ) nNew = TSM_SKETCH_MAX_BUCKETS;
    pPlan->aNew = (uint64_t*)tsmMallocZero((size_t)nNew*sizeof(uint64_t));
    if( pPlan->aNew==0 ) return TSM_SKETCH_NOMEM;
    pPlan->nAlloc = nNew;
  }
  /* Leave the free slots on the side towards which the store grows. */
  if( p->nTotal>0 && iLo<p->iMin ){
    pPlan->iBase = iHi - pPlan->nAlloc + 1;
  }else{
    pPlan->iBase = iLo;
  }
  return TSM_SKETCH_OK;
}

/* Carry out a plan: fold the counts below pPlan->iLo into it, move the
** window.  Cannot fail. */
static void storeApply(TsmSketchStore *p, const StorePlan *pPlan){
  uint64_t nFold = 0;
  int iKeepLo = 1, iKeepHi = 0;       /* old buckets that stay where they are */
  if( p->nTotal>0 ){
    int i;
    for(i=p->iMin; i<=p->iMax && i<pPlan->iLo; i++){
      nFold += p->aCount[i - p->iBase];
      p->aCount[i - p->iBase] = 0;
    }
    iKeepLo = p->iMin>pPlan->iLo ? p->iMin : pPlan->iLo;
    iKeepHi = p->iMax;
  }
  if( pPlan->aNew ){
    if( iKeepLo<=iKeepHi ){
      memcpy(&pPlan->aNew[iKeepLo - pPlan->iBase],
             &p->aCount[iKeepLo - p->iBase],
             (size_t)(iKeepHi - iKeepLo + 1)*sizeof(uint64_t));
    }
    tsmFree(p->aCount);
    p->aCount = pPlan->aNew;
  }else if( pPlan->iBase!=p->iBase && iKeepLo<=iKeepHi ){
    int iFrom = iKeepLo - pPlan->iBase;
    int iTo = iKeepHi - pPlan->iBase + 1;
    memmove(&p->aCount[iFrom], &p->aCount[iKeepLo - p->iBase],
            (size_t)(iTo - iFrom)*sizeof(uint64_t));
    memset(p->aCount, 0, (size_t)iFrom*sizeof(uint64_t));
    memset(&p->aCount[iTo], 0, (size_t)(pPlan->nAlloc - iTo)*sizeof(uint64_t));
  }
  p->iBase = pPlan->iBase;
  p->nAlloc = pPlan->nAlloc;
  p->aCount[pPlan->iLo - p->iBase] += nFold;
  p->iMin = pPlan->iLo;
  p->iMax = pPlan->iHi;
}

/* Range store p will cover once the non-empty buckets [iLo, iHi] of
** another store of at most TSM_SKETCH_MAX_BUCKETS buckets join it. */
static void storeTarget(const TsmSketchStore *p, int iLo, int iHi,
                        int *piLo, int *piHi){
  int iFloor;
  if( p->nTotal>0 ){
    if( p->iMin<iLo ) iLo = p->iMin;
    if( p->iMax>iHi ) iHi = p->iMax;
  }
  iFloor = storeFloor(iHi);
  *piLo = iLo<iFloor ? iFloor : iLo;
  *piHi = iHi;
}

/* Count c more in bucket i (folded if below the floor).  The store must
** have been prepared by storePlan() and storeApply(). */
static void storeAddAt(TsmSketchStore *p, int i, uint64_t c){
  int iFloor = storeFloor(p->iMax);
  if( i<iFloor ) i = iFloor;
  p->aCount[i - p->iBase] += c;
  p->nTotal += c;
}

static void storeClear(TsmSketchStore *p){
  if( p->nTotal>0 ){
    memset(&p->aCount[p->iMin - p->iBase], 0,
           (size_t)(p->iMax - p->iMin + 1)*sizeof(uint64_t));
  }
  p->nTotal = 0;
  p->iMin = p->iMax = 0;
}

/*
** What a change brings to a sketch: the total count and, per store, the
** range of its non-empty buckets.  sketchReserve() checks the count and
** prepares both stores, so that the caller can then add without failing.
*/
typedef struct SketchDelta SketchDelta;
struct SketchDelta {
  uint64_t nCount;        /* values added in all */
  int bStore[2];          /* true if store 0 (pos) / 1 (neg) gets values */
  int iLo[2], iHi[2];     /* their non-empty bucket ranges */
};

static TsmSketchStore *sketchStore(TsmSketch *p, int iStore){
  return iStore==0 ? &p->pos : &p->neg;
}

static int sketchReserve(TsmSketch *p, const SketchDelta *pDelta){
  StorePlan aPlan[2];
  int rc = TSM_SKETCH_OK;
  int k;
  if( pDelta->nCount>SKETCH_MAX_COUNT - p->nCount ) return TSM_SKETCH_RANGE;
  memset(aPlan, 0, sizeof(aPlan));
  for(k=0; k<2 && rc==TSM_SKETCH_OK; k++){
    if( pDelta->bStore[k] ){
      int iLo, iHi;
      storeTarget(sketchStore(p, k), pDelta->iLo[k], pDelta->iHi[k],
                  &iLo, &iHi);
      rc = storePlan(sketchStore(p, k), iLo, iHi, &aPlan[k]);
    }
  }
  if( rc!=TSM_SKETCH_OK ){
    tsmFree(aPlan[0].aNew);
    tsmFree(aPlan[1].aNew);
    return rc;
  }
  for(k=0; k<2; k++){
    if( pDelta->bStore[k] ) storeApply(sketchStore(p, k), &aPlan[k]);
  }
  return TSM_SKETCH_OK;
}

/**************************************************************************
** Public functions: building and querying.
*/

void tsmSketchInit(TsmSketch *p){
  memset(p, 0, sizeof(*p));
}

void tsmSketchClear(TsmSketch *p){
  storeClear(&p->pos);
  storeClear(&p->neg);
  p->nZero = p->nPosInf = p->nNegInf = p->nCount = 0;
}

void tsmSketchFree(TsmSketch *p){
  tsmFree(p->pos.aCount);
  tsmFree(p->neg.aCount);
  tsmSketchInit(p);
}

int tsmSketchAddN(TsmSketch *p, double v, int64_t nCount){
  uint64_t c = (uint64_t)nCount;
  if( nCount<0 ) return TSM_SKETCH_RANGE;
  if( nCount==0 || isnan(v) ) return TSM_SKETCH_OK;
  if( c>SKETCH_MAX_COUNT - p->nCount ) return TSM_SKETCH_RANGE;
  if( isinf(v) ){
    if( v>0 ) p->nPosInf += c; else p->nNegInf += c;
  }else if( fabs(v)<DBL_MIN ){
    p->nZero += c;
  }else{
    SketchDelta d;
    int k = v>0 ? 0 : 1;
    int i = sketchIndex(fabs(v));
    int rc;
    memset(&d, 0, sizeof(d));
    d.nCount = c;
    d.bStore[k] = 1;
    d.iLo[k] = d.iHi[k] = i;
    rc = sketchReserve(p, &d);
    if( rc!=TSM_SKETCH_OK ) return rc;
    storeAddAt(sketchStore(p, k), i, c);
  }
  p->nCount += c;
  return TSM_SKETCH_OK;
}

int tsmSketchAdd(TsmSketch *p, double v){
  return tsmSketchAddN(p, v, 1);
}

int tsmSketchMerge(TsmSketch *p, const TsmSketch *pOther){
  SketchDelta d;
  const TsmSketchStore *aOther[2];
  int k, rc;
  aOther[0] = &pOther->pos;
  aOther[1] = &pOther->neg;
  memset(&d, 0, sizeof(d));
  d.nCount = pOther->nCount;
  for(k=0; k<2; k++){
    if( aOther[k]->nTotal>0 ){
      d.bStore[k] = 1;
      d.iLo[k] = aOther[k]->iMin;
      d.iHi[k] = aOther[k]->iMax;
    }
  }
  rc = sketchReserve(p, &d);
  if( rc!=TSM_SKETCH_OK ) return rc;
  /* If pOther==p, the reserve changed nothing (the ranges are the same)
  ** and each bucket below is read once before it is doubled. */
  for(k=0; k<2; k++){
    if( d.bStore[k] ){
      const TsmSketchStore *pFrom = aOther[k];
      int iLo = d.iLo[k], iHi = d.iHi[k], i;
      for(i=iLo; i<=iHi; i++){
        uint64_t c = pFrom->aCount[i - pFrom->iBase];
        if( c ) storeAddAt(sketchStore(p, k), i, c);
      }
    }
  }
  p->nZero += pOther->nZero;
  p->nPosInf += pOther->nPosInf;
  p->nNegInf += pOther->nNegInf;
  p->nCount += d.nCount;
  return TSM_SKETCH_OK;
}

int64_t tsmSketchCount(const TsmSketch *p){
  return (int64_t)p->nCount;
}

double tsmSketchQuantile(const TsmSketch *p, double q){
  uint64_t r;
  double x;
  int i;
  if( p->nCount==0 || !(q>=0.0 && q<=1.0) ) return NAN;
  x = floor(q * (double)(p->nCount - 1));
  r = x>=(double)(p->nCount - 1) ? p->nCount - 1 : (uint64_t)x;

  if( r<p->nNegInf ) return -INFINITY;
  r -= p->nNegInf;
  if( r<p->neg.nTotal ){
    for(i=p->neg.iMax; i>=p->neg.iMin; i--){
      uint64_t c = p->neg.aCount[i - p->neg.iBase];
      if( r<c ) return -sketchValue(i);
      r -= c;
    }
  }
  r -= p->neg.nTotal;
  if( r<p->nZero ) return 0.0;
  r -= p->nZero;
  if( r<p->pos.nTotal ){
    for(i=p->pos.iMin; i<=p->pos.iMax; i++){
      uint64_t c = p->pos.aCount[i - p->pos.iBase];
      if( r<c ) return sketchValue(i);
      r -= c;
    }
  }
  return INFINITY;
}

/* Values of store p in buckets i with iLo <= i <= iHi. */
static uint64_t storeCountRange(const TsmSketchStore *p, int iLo, int iHi){
  uint64_t n = 0;
  int i;
  if( p->nTotal==0 ) return 0;
  if( iLo<p->iMin ) iLo = p->iMin;
  if( iHi>p->iMax ) iHi = p->iMax;
  for(i=iLo; i<=iHi; i++) n += p->aCount[i - p->iBase];
  return n;
}

double tsmSketchRank(const TsmSketch *p, double x){
  uint64_t n;
  if( p->nCount==0 || isnan(x) ) return NAN;
  n = p->nNegInf;
  if( x==-INFINITY ){
    /* only -inf */
  }else if( x<=-DBL_MIN ){
    /* v <= x < 0: |v| >= |x|, the bucket of x included */
    n += storeCountRange(&p->neg, sketchIndex(-x), INT_MAX);
  }else{
    n += p->neg.nTotal + p->nZero;
    if( x==INFINITY ){
      n += p->pos.nTotal + p->nPosInf;
    }else if( x>=DBL_MIN ){
      n += storeCountRange(&p->pos, INT_MIN, sketchIndex(x));
    }
  }
  return (double)n / (double)p->nCount;
}

/**************************************************************************
** Serialization.
*/

/*
** Sizes of the two encodings of one store, accumulated over its non-empty
** buckets in ascending order.  The writer and the reader both use it, so
** they agree on which encoding is the canonical one.
*/
typedef struct StoreSize StoreSize;
struct StoreSize {
  int nEntry;             /* non-empty buckets so far */
  int iFirst, iPrev;      /* lowest and latest non-empty bucket */
  size_t nDense;          /* bytes of the dense counts */
  size_t nSparse;         /* bytes of the sparse counts and gaps */
};

/* Size of one sparse entry: nGap empty buckets before it, count c >= 1. */
static int sparseLen(int nGap, uint64_t c){
  int n = varintLen((uint64_t)nGap<<1 | (c>1));
  if( c>1 ) n += varintLen(c-2);
  return n;
}

static void putSparse(uint8_t *a, size_t *piOff, int nGap, uint64_t c){
  putVarint(a, piOff, (uint64_t)nGap<<1 | (c>1));
  if( c>1 ) putVarint(a, piOff, c-2);
}

static void storeSizeAdd(StoreSize *pSize, int i, uint64_t c){
  if( pSize->nEntry==0 ){
    pSize->iFirst = i;
    pSize->nDense = (size_t)varintLen(c);
    pSize->nSparse = (size_t)sparseLen(0, c);
  }else{
    int nGap = i - pSize->iPrev - 1;
    pSize->nDense += (size_t)nGap + (size_t)varintLen(c);
    pSize->nSparse += (size_t)sparseLen(nGap, c);
  }
  pSize->iPrev = i;
  pSize->nEntry++;
}

/* Encoding to use, and its header word (nEntry<<1 | mode). */
static int storeSizeMode(const StoreSize *p, uint64_t *pHdr, size_t *pnByte){
  uint64_t hDense = (uint64_t)(p->iPrev - p->iFirst + 1)<<1 | SKETCH_DENSE;
  uint64_t hSparse = (uint64_t)p->nEntry<<1 | SKETCH_SPARSE;
  size_t nDense = (size_t)varintLen(hDense) + p->nDense;
  size_t nSparse = (size_t)varintLen(hSparse) + p->nSparse;
  size_t nIdx = (size_t)varintLen(zigzag(p->iFirst));
  if( nDense<=nSparse ){
    *pHdr = hDense;
    *pnByte = nDense + nIdx;
    return SKETCH_DENSE;
  }
  *pHdr = hSparse;
  *pnByte = nSparse + nIdx;
  return SKETCH_SPARSE;
}

static void storeSize(const TsmSketchStore *p, StoreSize *pSize){
  int i;
  memset(pSize, 0, sizeof(*pSize));
  for(i=p->iMin; i<=p->iMax; i++){
    uint64_t c = p->aCount[i - p->iBase];
    if( c ) storeSizeAdd(pSize, i, c);
  }
}

/* Size of the serialized store p (non-empty). */
static size_t storeBytes(const TsmSketchStore *p){
  StoreSize sz;
  uint64_t h;
  size_t nByte;
  storeSize(p, &sz);
  storeSizeMode(&sz, &h, &nByte);
  return nByte;
}

/* Write store p (non-empty) at a[*piOff]; the room has been checked. */
static void storeWrite(const TsmSketchStore *p, uint8_t *a, size_t *piOff){
  StoreSize sz;
  uint64_t h;
  size_t nByte;
  int eMode, i, iPrev;
  storeSize(p, &sz);
  eMode = storeSizeMode(&sz, &h, &nByte);
  putVarint(a, piOff, h);
  putVarint(a, piOff, zigzag(p->iMin));
  iPrev = p->iMin - 1;
  for(i=p->iMin; i<=p->iMax; i++){
    uint64_t c = p->aCount[i - p->iBase];
    if( eMode==SKETCH_DENSE ){
      putVarint(a, piOff, c);
    }else if( c ){
      putSparse(a, piOff, i - iPrev - 1, c);
      iPrev = i;
    }
  }
}

int tsmSketchSerializedSize(const TsmSketch *p){
  size_t n = 3;
  if( p->nZero ) n += (size_t)varintLen(p->nZero);
  if( p->nPosInf ) n += (size_t)varintLen(p->nPosInf);
  if( p->nNegInf ) n += (size_t)varintLen(p->nNegInf);
  if( p->pos.nTotal ) n += storeBytes(&p->pos);
  if( p->neg.nTotal ) n += storeBytes(&p->neg);
  return (int)n;
}

int tsmSketchSerialize(const TsmSketch *p, uint8_t *a, size_t n){
  size_t nNeed = (size_t)tsmSketchSerializedSize(p);
  size_t iOff = 3;
  uint8_t flags = 0;
  if( n<nNeed ) return TSM_SKETCH_TOOSMALL;
  if( p->nZero ) flags |= SKETCH_F_ZERO;
  if( p->nPosInf ) flags |= SKETCH_F_POSINF;
  if( p->nNegInf ) flags |= SKETCH_F_NEGINF;
  if( p->pos.nTotal ) flags |= SKETCH_F_POS;
  if( p->neg.nTotal ) flags |= SKETCH_F_NEG;
  a[0] = SKETCH_VERSION;
  a[1] = SKETCH_MAPPING;
  a[2] = flags;
  if( p->nZero ) putVarint(a, &iOff, p->nZero);
  if( p->nPosInf ) putVarint(a, &iOff, p->nPosInf);
  if( p->nNegInf ) putVarint(a, &iOff, p->nNegInf);
  if( p->pos.nTotal ) storeWrite(&p->pos, a, &iOff);
  if( p->neg.nTotal ) storeWrite(&p->neg, a, &iOff);
  return (int)iOff;
}

/*
** Read one serialized store at a[*piOff..n): check it, set *piLo, *piHi
** and *pnTotal to its bucket range and total, and, if pTo is not NULL, add
** its counts to pTo (prepared beforehand to hold them).
*/
static int storeRead(const uint8_t *a, size_t n, size_t *piOff,
                     int *piLo, int *piHi, uint64_t *pnTotal,
                     TsmSketchStore *pTo){
  StoreSize sz;
  uint64_t h, v, hCanon;
  uint64_t nTotal = 0;
  size_t nByte;
  int64_t iLo;
  int eMode, nEntry, k, i;
  int rc;

  rc = getVarint(a, n, piOff, &h);
  if( rc ) return rc;
  eMode = (int)(h & 1);
  if( (h>>1)<1 || (h>>1)>TSM_SKETCH_MAX_BUCKETS ) return TSM_SKETCH_CORRUPT;
  nEntry = (int)(h>>1);

  rc = getVarint(a, n, piOff, &v);
  if( rc ) return rc;
  if( v>zigzag(SKETCH_INDEX_MAX) ) return TSM_SKETCH_CORRUPT;  /* largest */
  iLo = (v & 1) ? -(int64_t)((v+1)/2) : (int64_t)(v/2);
  if( iLo<SKETCH_INDEX_MIN || iLo>SKETCH_INDEX_MAX ) return TSM_SKETCH_CORRUPT;

  memset(&sz, 0, sizeof(sz));
  i = (int)iLo - 1;
  for(k=0; k<nEntry; k++){
    uint64_t c;
    if( eMode==SKETCH_SPARSE ){
      uint64_t t;
      rc = getVarint(a, n, piOff, &t);
      if( rc ) return rc;
      /* The first entry is at iLo; a gap is shorter than a store. */
      if( (t>>1)>=TSM_SKETCH_MAX_BUCKETS || (k==0 && (t>>1)!=0) ){
        return TSM_SKETCH_CORRUPT;
      }
      i += (int)(t>>1) + 1;
      if( t & 1 ){
        rc = getVarint(a, n, piOff, &c);
        if( rc ) return rc;
        if( c>SKETCH_MAX_COUNT-2 ) return TSM_SKETCH_CORRUPT;
        c += 2;
      }else{
        c = 1;
      }
    }else{
      i++;
      rc = getVarint(a, n, piOff, &c);
      if( rc ) return rc;
      if( c==0 && (k==0 || k==nEntry-1) ) return TSM_SKETCH_CORRUPT;
    }
    if( i>SKETCH_INDEX_MAX || i-iLo>=TSM_SKETCH_MAX_BUCKETS ){
      return TSM_SKETCH_CORRUPT;
    }
    if( c>SKETCH_MAX_COUNT - nTotal ) return TSM_SKETCH_CORRUPT;
    nTotal += c;
    if( c ){
      storeSizeAdd(&sz, i, c);
      if( pTo ) storeAddAt(pTo, i, c);
    }
  }

  /* The writer would have used the other encoding if it were smaller. */
  if( storeSizeMode(&sz, &hCanon, &nByte)!=eMode ) return TSM_SKETCH_CORRUPT;

  *piLo = (int)iLo;
  *piHi = i;
  *pnTotal = nTotal;
  return TSM_SKETCH_OK;
}

/* What the checking pass learns of a serialized sketch. */
typedef struct SketchView SketchView;
struct SketchView {
  uint64_t nZero, nPosInf, nNegInf;   /* counts, 0 if absent */
  SketchDelta delta;                  /* total and bucket ranges */
  size_t aStoreOff[2];                /* offsets of the stores */
};

/* Read a count of the header: present, so >= 1. */
static int sketchReadCount(const uint8_t *a, size_t n, size_t *piOff,
                           uint64_t *pnTotal, uint64_t *pv){
  int rc = getVarint(a, n, piOff, pv);
  if( rc==TSM_SKETCH_OK ){
    if( *pv==0 || *pv>SKETCH_MAX_COUNT - *pnTotal ) return TSM_SKETCH_CORRUPT;
    *pnTotal += *pv;
  }
  return rc;
}

/* The checking pass: validate a[0..n) entirely, fill *pView. */
static int sketchParse(const uint8_t *a, size_t n, SketchView *pView){
  size_t iOff = 3;
  uint64_t *pnTotal = &pView->delta.nCount;
  int flags, k;
  int rc = TSM_SKETCH_OK;

  memset(pView, 0, sizeof(*pView));
  if( n<3 || a[0]!=SKETCH_VERSION || a[1]!=SKETCH_MAPPING
   || (a[2] & ~SKETCH_F_ALL)!=0
  ){
    return TSM_SKETCH_CORRUPT;
  }
  flags = a[2];
  if( rc==TSM_SKETCH_OK && (flags & SKETCH_F_ZERO) ){
    rc = sketchReadCount(a, n, &iOff, pnTotal, &pView->nZero);
  }
  if( rc==TSM_SKETCH_OK && (flags & SKETCH_F_POSINF) ){
    rc = sketchReadCount(a, n, &iOff, pnTotal, &pView->nPosInf);
  }
  if( rc==TSM_SKETCH_OK && (flags & SKETCH_F_NEGINF) ){
    rc = sketchReadCount(a, n, &iOff, pnTotal, &pView->nNegInf);
  }
  for(k=0; k<2 && rc==TSM_SKETCH_OK; k++){
    if( flags & (k==0 ? SKETCH_F_POS : SKETCH_F_NEG) ){
      uint64_t nStore = 0;
      pView->aStoreOff[k] = iOff;
      pView->delta.bStore[k] = 1;
      rc = storeRead(a, n, &iOff, &pView->delta.iLo[k], &pView->delta.iHi[k],
                     &nStore, 0);
      if( rc==TSM_SKETCH_OK && nStore>SKETCH_MAX_COUNT - *pnTotal ){
        rc = TSM_SKETCH_CORRUPT;
      }
      if( rc==TSM_SKETCH_OK ) *pnTotal += nStore;
    }
  }
  if( rc==TSM_SKETCH_OK && iOff!=n ) rc = TSM_SKETCH_CORRUPT;
  return rc;
}

int tsmSketchCheck(const uint8_t *a, size_t n, int64_t *pnCount){
  SketchView view;
  int rc = sketchParse(a, n, &view);
  if( rc==TSM_SKETCH_OK && pnCount ) *pnCount = (int64_t)view.delta.nCount;
  return rc;
}

int tsmSketchDeserialize(TsmSketch *p, const uint8_t *a, size_t n){
  SketchView view;
  int rc, k;

  rc = sketchParse(a, n, &view);
  if( rc==TSM_SKETCH_OK ) rc = sketchReserve(p, &view.delta);
  if( rc!=TSM_SKETCH_OK ) return rc;

  /* Second pass over bytes known to be valid: add the counts.  It cannot
  ** fail, the stores having been prepared by sketchReserve(). */
  for(k=0; k<2; k++){
    if( view.delta.bStore[k] ){
      size_t iOff = view.aStoreOff[k];
      int iLo, iHi;
      uint64_t nStore;
      (void)storeRead(a, n, &iOff, &iLo, &iHi, &nStore, sketchStore(p, k));
    }
  }
  p->nZero += view.nZero;
  p->nPosInf += view.nPosInf;
  p->nNegInf += view.nNegInf;
  p->nCount += view.delta.nCount;
  return TSM_SKETCH_OK;
}

const char *tsmSketchErrstr(int rc){
  switch( rc ){
    case TSM_SKETCH_OK:       return "not an error";
    case TSM_SKETCH_CORRUPT:  return "malformed sketch";
    case TSM_SKETCH_TOOSMALL: return "output buffer too small";
    case TSM_SKETCH_RANGE:    return "sketch count out of range";
    case TSM_SKETCH_NOMEM:    return "out of memory";
  }
  return "unknown sketch error";
}
