/* SPDX-License-Identifier: MIT */
/*
** buffer.c -- the per-connection buffer of recorded samples.
**
** Samples recorded in a transaction are appended here, grouped by series,
** and written to chunks when the transaction commits (xSync), at a
** savepoint, before a read, or when the buffer passes TSM_BUFFER_MAX
** samples.  ROLLBACK and ROLLBACK TO discard it.  Appending is O(1): the
** series last appended to is checked first, then a small hash table.
*/
#include "tsm.h"
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

/* The value kept when a sample of value b meets one of value a (earlier)
** at the same timestamp, under duplicate policy eDup (not TSM_DUP_KEEP).
** Used here and by store.c's merge of a flush into stored samples. */
double tsmDupCombine(int eDup, double a, double b){
  switch( eDup ){
    case TSM_DUP_SUM:   return a+b;
    case TSM_DUP_FIRST: return a;
    case TSM_DUP_MIN:   return isnan(a) ? b : (isnan(b) || a<=b) ? a : b;
    case TSM_DUP_MAX:   return isnan(a) ? b : (isnan(b) || a>=b) ? a : b;
  }
  return b;                  /* TSM_DUP_REPLACE */
}

static unsigned bufHash(int64_t iSeries, int nHash){
  uint64_t h = (uint64_t)iSeries * 0x9E3779B97F4A7C15ull;
  return (unsigned)(h >> 32) & (unsigned)(nHash-1);
}

/* Find or add the entry of series iSeries; return its index or -1 (OOM). */
static int bufSeries(TsmBuffer *p, int64_t iSeries){
  unsigned h;
  if( p->nSeries>0 && p->aSeries[p->iLast].iSeries==iSeries ) return p->iLast;
  if( p->nHash>0 ){
    for(h=bufHash(iSeries, p->nHash); p->aHash[h]; h=(h+1)&(p->nHash-1)){
      int i = p->aHash[h]-1;
      if( p->aSeries[i].iSeries==iSeries ) return (p->iLast = i);
    }
  }
  if( p->nSeries+1 > p->nHash/2 ){
    int nNew = p->nHash ? p->nHash*2 : 64;
    int *aNew = sqlite3_malloc64(sizeof(int)*(sqlite3_uint64)nNew);
    int i;
    if( aNew==0 ) return -1;
    memset(aNew, 0, sizeof(int)*(size_t)nNew);
    for(i=0; i<p->nSeries; i++){
      unsigned g = bufHash(p->aSeries[i].iSeries, nNew);
      while( aNew[g] ) g = (g+1)&(nNew-1);
      aNew[g] = i+1;
    }
    sqlite3_free(p->aHash);
    p->aHash = aNew;
    p->nHash = nNew;
  }
  if( p->nSeries>=p->nSeriesAlloc ){
    int nNew = p->nSeriesAlloc ? p->nSeriesAlloc*2 : 16;
    TsmBufSeries *aNew = sqlite3_realloc64(p->aSeries, sizeof(TsmBufSeries)*(size_t)nNew);
    if( aNew==0 ) return -1;
    memset(&aNew[p->nSeriesAlloc], 0,
           sizeof(TsmBufSeries)*(size_t)(nNew-p->nSeriesAlloc));
    p->aSeries = aNew;
    p->nSeriesAlloc = nNew;
  }
  for(h=bufHash(iSeries, p->nHash); p->aHash[h]; h=(h+1)&(p->nHash-1)){}
  p->aHash[h] = p->nSeries+1;
  p->aSeries[p->nSeries].iSeries = iSeries;
  p->aSeries[p->nSeries].n = 0;
  p->aSeries[p->nSeries].bSorted = 1;
  p->aSeries[p->nSeries].nEq = 0;
  return (p->iLast = p->nSeries++);
}

/* Rebuild the hash after the entries were reordered. */
void tsmBufferReindex(TsmBuffer *p){
  int i;
  if( p->nHash==0 ) return;
  memset(p->aHash, 0, sizeof(int)*(size_t)p->nHash);
  for(i=0; i<p->nSeries; i++){
    unsigned h = bufHash(p->aSeries[i].iSeries, p->nHash);
    while( p->aHash[h] ) h = (h+1)&(unsigned)(p->nHash-1);
    p->aHash[h] = i+1;
  }
  p->iLast = 0;
}

#ifndef NDEBUG
/*
** The buffer's invariants (debug builds; O(samples), so asserted where a
** pass over the buffer happens anyway): nSample is the sum of the series'
** n; every series is in the hash once; a series marked sorted is; nEq
** counts at most its adjacent equal timestamps (tsmBufferPrepare zeroes
** it).
*/
int tsmBufferOk(const TsmBuffer *p){
  int i, j, nSample = 0, nFound = 0;
  if( p->nSeries<0 || p->nSeries>p->nSeriesAlloc ) return 0;
  if( p->nHash & (p->nHash-1) ) return 0;
  if( p->nSeries>0 && (p->nHash==0 || p->nSeries>p->nHash/2) ) return 0;
  if( p->iLast<0 || (p->nSeries>0 && p->iLast>=p->nSeries) ) return 0;
  for(i=0; i<p->nSeries; i++){
    const TsmBufSeries *pS = &p->aSeries[i];
    int nEq = 0;
    unsigned h;
    if( pS->n<0 || pS->n>pS->nAlloc ) return 0;
    for(j=1; j<pS->n; j++){
      if( pS->aTs[j-1]>pS->aTs[j] && pS->bSorted ) return 0;
      if( pS->aTs[j-1]==pS->aTs[j] ) nEq++;
    }
    if( pS->nEq>nEq ) return 0;
    /* found where bufSeries() looks for it */
    for(h=bufHash(pS->iSeries, p->nHash); p->aHash[h] && p->aHash[h]!=i+1;
        h=(h+1)&(unsigned)(p->nHash-1)){}
    if( p->aHash[h]!=i+1 ) return 0;
    nSample += pS->n;
  }
  for(j=0; j<p->nHash; j++) nFound += p->aHash[j]>0;   /* and no other */
  return nSample==p->nSample && nFound==p->nSeries;
}
#endif

int tsmBufferAdd(TsmBuffer *p, int64_t iSeries, int64_t ts, double v,
                 int eDup){
  int i = bufSeries(p, iSeries);
  TsmBufSeries *pS;
  if( i<0 ) return SQLITE_NOMEM;
  pS = &p->aSeries[i];
  pS->eDup = eDup;
  if( pS->n>=pS->nAlloc ){
    int nNew = pS->nAlloc ? pS->nAlloc*2 : 64;
    int64_t *aTs = sqlite3_realloc64(pS->aTs, sizeof(int64_t)*(size_t)nNew);
    double *aVal;
    if( aTs==0 ) return SQLITE_NOMEM;
    pS->aTs = aTs;
    aVal = sqlite3_realloc64(pS->aVal, sizeof(double)*(size_t)nNew);
    if( aVal==0 ) return SQLITE_NOMEM;
    pS->aVal = aVal;
    pS->nAlloc = nNew;
  }
  if( pS->n>0 && ts<=pS->aTs[pS->n-1] ){
    if( ts<pS->aTs[pS->n-1] ) pS->bSorted = 0;
    else pS->nEq++;
  }
  pS->aTs[pS->n] = ts;
  pS->aVal[pS->n] = v;
  pS->n++;
  p->nSample++;
  /* cheap ones per sample; tsmBufferOk at the flush */
  assert( pS->n<=pS->nAlloc && pS->iSeries==iSeries && i==p->iLast );
  assert( !pS->bSorted || pS->n<2 || pS->aTs[pS->n-2]<=ts );
  return SQLITE_OK;
}

/* Forget every sample; keep the allocations of the first series arrays
** small enough to be worth reusing. */
void tsmBufferClear(TsmBuffer *p){
  int i;
  for(i=0; i<p->nSeries; i++){
    TsmBufSeries *pS = &p->aSeries[i];
    pS->n = 0;
    if( pS->nAlloc>4096 ){
      sqlite3_free(pS->aTs); sqlite3_free(pS->aVal);
      pS->aTs = 0; pS->aVal = 0; pS->nAlloc = 0;
    }
  }
  /* The entries keep their arrays for reuse: bufSeries() resets n. */
  if( p->aHash ) memset(p->aHash, 0, sizeof(int)*(size_t)p->nHash);
  p->nSeries = 0;
  p->nSample = 0;
  p->iLast = 0;
  assert( tsmBufferOk(p) );
}

void tsmBufferFree(TsmBuffer *p){
  int i;
  for(i=0; i<p->nSeriesAlloc; i++){
    sqlite3_free(p->aSeries[i].aTs);
    sqlite3_free(p->aSeries[i].aVal);
  }
  sqlite3_free(p->aSeries);
  sqlite3_free(p->aHash);
  memset(p, 0, sizeof(*p));
}

/*
** Sort one series by time, stable, and apply its duplicate policy to
** samples with the same timestamp: keep them all in arrival order
** (TSM_DUP_KEEP) or fold them into one (store.c dupCombine; the default
** keeps the last: "a second sample for the same series and timestamp
** replaces the first").  *pnDup counts the samples that met an earlier
** one.  Merge sort on an index array.
*/
int tsmBufferPrepare(TsmBufSeries *pS, int64_t *pnDup){
  int n = pS->n, i, w;
  int *aBase, *aIdx, *aTmp;
  int64_t *aTs;
  double *aVal;
  if( pS->bSorted && (pS->nEq==0 || pS->eDup==TSM_DUP_KEEP) ){
    *pnDup += pS->nEq;       /* in order already: nothing to sort or fold */
    pS->nEq = 0;
    return SQLITE_OK;
  }
  aBase = aIdx = sqlite3_malloc64(sizeof(int)*(size_t)n*2);
  aTs = sqlite3_malloc64(sizeof(int64_t)*(size_t)n);
  aVal = sqlite3_malloc64(sizeof(double)*(size_t)n);
  if( aIdx==0 || aTs==0 || aVal==0 ){
    sqlite3_free(aIdx); sqlite3_free(aTs); sqlite3_free(aVal);
    return SQLITE_NOMEM;
  }
  aTmp = &aIdx[n];
  for(i=0; i<n; i++) aIdx[i] = i;
  {
    int width;
    for(width=1; width<n; width*=2){
      int lo;
      for(lo=0; lo<n; lo+=2*width){
        int mid = lo+width < n ? lo+width : n;
        int hi = lo+2*width < n ? lo+2*width : n;
        int a = lo, b = mid, k = lo;
        while( a<mid && b<hi ){
          /* <= keeps equal timestamps in arrival order (stable) */
          if( pS->aTs[aIdx[a]]<=pS->aTs[aIdx[b]] ) aTmp[k++] = aIdx[a++];
          else aTmp[k++] = aIdx[b++];
        }
        while( a<mid ) aTmp[k++] = aIdx[a++];
        while( b<hi ) aTmp[k++] = aIdx[b++];
      }
      { int *t = aIdx; aIdx = aTmp; aTmp = t; }
    }
  }
  for(i=0, w=0; i<n; i++){
    int j = aIdx[i];
    if( w>0 && aTs[w-1]==pS->aTs[j] ){
      (*pnDup)++;
      if( pS->eDup!=TSM_DUP_KEEP ){
        aVal[w-1] = tsmDupCombine(pS->eDup, aVal[w-1], pS->aVal[j]);
        continue;
      }
    }
    aTs[w] = pS->aTs[j];
    aVal[w] = pS->aVal[j];
    w++;
  }
  memcpy(pS->aTs, aTs, sizeof(int64_t)*(size_t)w);
  memcpy(pS->aVal, aVal, sizeof(double)*(size_t)w);
  pS->n = w;
  pS->bSorted = 1;
  pS->nEq = 0;
  sqlite3_free(aBase);
  sqlite3_free(aTs); sqlite3_free(aVal);
  return SQLITE_OK;
}
