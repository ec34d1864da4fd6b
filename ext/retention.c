/* SPDX-License-Identifier: MIT */
/*
** retention.c -- what retention policies do: tsm_prune(), and the
** automatic maintenance at commit with tsm_auto().
**
**   INSERT INTO tsm_retention(metric, resolution, keep) VALUES
**     ('*', 'raw', '7d'), ('*', '1m', '90d'), ('*', '1h', NULL);
**   SELECT tsm_prune();          -- raw samples removed
**
** Policies (table tsm_policies, written through tsm_retention): a GLOB
** pattern over metric names, a resolution (0 = raw samples, else the width
** of a rollup tier), keep (ms, NULL = forever) and max_bytes.  policy.c
** loads them and says which one a series follows (tsmPolicyFor).
**
** Layers: tsm_prune() reads top-down.  This file drives rollup.c (TsmRun:
** the series, their tiers, the fold), which reads the policies through
** policy.c, which reads the store through store.c.  Nothing below calls
** back into this file.  Chunks and heads are cut through store.c
** (tsmChunksDrop, tsmChunksDropAll, tsmHeadGet/Put), which keeps
** tsm_counts; usage and max_bytes read them through tsmChunksScan, and
** the tiers through rollup.c (tsmRollupUsage, tsmRollupBuckets).  This
** file runs no SQL statement of its own.
**
** Now.  Retention counts back from the store's now: the newest sample of
** the store, but never later than the wall clock (as Prometheus does), so
** a backdated store keeps its data and a sample stamped in the future
** cannot make everything look old.
**
** Pruning, per series:
**   1. Rollups are brought up to date first (rollup.c).
**   2. Raw samples before cut = max(now - keep, the max_bytes cut) go,
**      but never those a tier that reads raw samples has not folded yet
**      (before the lowest of their done_ts).  Whole chunks are deleted;
**      the one chunk that straddles the cut gets the ts_first and metadata
**      of what is left (its blob stays: see store.c chunkTrim); the head is
**      rewritten only when it is older than the cut (a series that
**      stopped).  raw pruned_ts records the cut for rollup.c.
**   With no tier, no max_bytes and one keep for every series, pruneBulk()
**   does 2. for all series with one statement.
**   3. Buckets of a tier whose ts is before its cut go, but never those a
**      coarser tier built from this one has not folded yet.
**   4. Tiers that no policy declares any more are dropped, and a series
**      left without samples and buckets is deleted.
** max_bytes: when the series that follow a policy hold more than
** max_bytes at its resolution, the oldest chunks (or buckets) across those
** series go first: the cut is the time that frees enough.  Raw bytes are
** those of tsm_series.bytes (chunks and heads); a bucket counts 64 bytes
** plus its sketch.
**
** Automatic maintenance: tsm_samples' xSync (vtab_samples.c), after the
** flush, calls tsmRetentionCommit(): at most once per interval of
** wall-clock time per connection (tsm_auto(): TSM_AUTO_INTERVAL_MS by
** default, 0 for every commit, or off), and only when some policy exists,
** it maintains the store inside the committing transaction, series after
** series, resuming where the last run stopped:
**   - every tier of the series is brought up to date (at most
**     TSM_AUTO_FOLD_MAX new buckets per tier and run: a tier far behind
**     catches up over several commits);
**   - raw samples before the cut go in whole chunks; the chunk that
**     straddles the cut (and the head) is cut too once it holds samples
**     older than the slack, max(1 hour, keep/10), so no raw sample
**     outlives keep by more than the slack (and a chunk is not cut at
**     every commit for one expired sample);
**   - at most TSM_PRUNE_SERIES_CHUNKS chunks and TSM_PRUNE_SERIES_BUCKETS
**     buckets per series.
** The work of a run is bounded by a budget of TSM_AUTO_WORK units (a
** series visited costs TSM_AUTO_SERIES_COST, a chunk dropped or cut and a
** bucket written 1, TSM_AUTO_DELETE_PER_UNIT buckets deleted 1), so a
** store of any number of series pays a bounded time per commit and every
** series gets its turn.
** Failures.  A series that fails (a corrupt chunk, say) is skipped: the
** error is counted and kept for tsm_stats(), and the next run tries again;
** the commit goes on.  Each series' steps are ordered so that stopping
** after any statement leaves a consistent store (state before deletes;
** buckets are rewritten idempotently).  SQLite itself rolls back the whole
** transaction on some errors (out of memory or disk full in a statement
** without a statement journal): then the error is returned, so the
** commit fails visibly instead of being lost silently.
*/
#include "tsm.h"
#include "parse.h"
#include "codec.h"
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>

#define TSM_AUTO_WORK            4096   /* budget of a maintenance run */
#define TSM_AUTO_SERIES_COST     4
#define TSM_AUTO_DELETE_PER_UNIT 16
#define TSM_AUTO_FOLD_MAX        1440   /* new buckets per tier and run */
#define TSM_AUTO_SLACK_MIN       3600000   /* 1 hour */
#define TSM_PRUNE_SERIES_CHUNKS  64
#define TSM_PRUNE_SERIES_BUCKETS 4096

/**************************************************************************
** Usage per policy: the status columns of tsm_retention
*/
typedef struct UsageScan {
  TsmRun *pRun;
  const TsmPolicies *pSet;
  const int *aRaw;           /* raw policy of each series of the run */
  TsmUsage *aU;
} UsageScan;

/* Count a chunk in the usage of its series' raw policy. */
static int usageChunk(void *pArg, const TsmChunk *pChunk){
  UsageScan *pS = (UsageScan*)pArg;
  int j = tsmRunFind(pS->pRun, pChunk->iSeries);
  TsmUsage *pU;
  if( j<0 || pS->aRaw[j]<0 ) return SQLITE_OK;
  pU = &pS->aU[pS->aRaw[j]];
  pU->nSamples += pChunk->n;
  pU->nBytes += pChunk->nByte;
  if( pChunk->tsFirst<pU->tsOldest ) pU->tsOldest = pChunk->tsFirst;
  return SQLITE_OK;
}

/* Count a tier of a series (rollup.c tsmRollupUsage) in the usage of the
** policy it follows at that resolution. */
static int usageTier(void *pArg, int64_t iSeries, int64_t iRes,
                     int64_t nBucket, int64_t nByte, int64_t tsOldest){
  UsageScan *pS = (UsageScan*)pArg;
  int j = tsmRunFind(pS->pRun, iSeries);
  int iPol;
  TsmUsage *pU;
  if( j<0 ) return SQLITE_OK;
  iPol = tsmPolicyFor(pS->pSet, tsmRunSeriesAt(pS->pRun, j)->zMetric, iRes);
  if( iPol<0 ) return SQLITE_OK;
  pU = &pS->aU[iPol];
  pU->nSamples += nBucket;
  pU->nBytes += nByte;
  if( tsOldest<pU->tsOldest ) pU->tsOldest = tsOldest;
  return SQLITE_OK;
}

int tsmRetentionUsage(TsmCtx *p, const TsmPolicies *pSet, TsmUsage *aU,
                      char **pzErr){
  TsmRun *pRun = 0;
  UsageScan u;
  int *aRaw = 0;             /* raw policy of each series of the run */
  int rc, i, k;

  for(i=0; i<pSet->n; i++){
    memset(&aU[i], 0, sizeof(aU[i]));
    aU[i].tsOldest = INT64_MAX;
  }
  if( !tsmStoreHas(p, TSM_HAVE_SAMPLES) ) return SQLITE_OK;   /* no series */
  rc = tsmRunOpen(p, 0, &pRun, pzErr);
  if( rc ) return rc;
  aRaw = sqlite3_malloc64(sizeof(int)*(tsmRunSeriesCount(pRun)+1));
  if( aRaw==0 ) rc = SQLITE_NOMEM;

  /* Series, and the heads of those under a raw policy. */
  for(i=0; rc==SQLITE_OK && i<tsmRunSeriesCount(pRun); i++){
    TsmRunSeries *pS = tsmRunSeriesAt(pRun, i);
    for(k=0; k<pSet->n; k++){
      int iPol;
      if( k>0 && pSet->a[k].iRes==pSet->a[k-1].iRes ) continue;
      iPol = tsmPolicyFor(pSet, pS->zMetric, pSet->a[k].iRes);
      if( iPol>=0 ) aU[iPol].nSeries++;
      if( pSet->a[k].iRes==0 ) aRaw[i] = iPol;
    }
    if( pSet->n==0 || pSet->a[0].iRes!=0 ) aRaw[i] = -1;
    if( aRaw[i]>=0 ){
      TsmUsage *pU = &aU[aRaw[i]];
      pU->nSamples += pS->nHead;
      pU->nBytes += pS->nHeadBytes;
      if( pS->tsHeadFirst<pU->tsOldest ) pU->tsOldest = pS->tsHeadFirst;
    }
  }

  /* Chunks, then buckets. */
  u.pRun = pRun;
  u.pSet = pSet;
  u.aRaw = aRaw;
  u.aU = aU;
  if( rc==SQLITE_OK ) rc = tsmChunksScan(p, usageChunk, &u);   /* store.c */
  if( rc==SQLITE_OK ) rc = tsmRollupUsage(p, usageTier, &u);   /* rollup.c */
  sqlite3_free(aRaw);
  tsmRunClose(pRun);
  return rc;
}

/**************************************************************************
** Pruning
*/
typedef struct Prune {
  TsmCtx *p;
  TsmRun *pRun;
  int bAuto;
  int64_t nRemoved;          /* raw samples removed (tsm_prune() only) */
  int nBudget;               /* work left (automatic maintenance) */
  int64_t *aRawCut;          /* max_bytes cut of raw samples per series */
  int64_t *aTierCut;         /* ... of tier j of series i at [i*nRes+j] */
  int nRes;
  int64_t *aCut, *aOld;      /* per tier of a series: its cut, its oldest
                             ** bucket (as many as tier widths) */
} Prune;

static int64_t maxI64(int64_t a, int64_t b){ return a>b ? a : b; }
static int64_t minI64(int64_t a, int64_t b){ return a<b ? a : b; }

typedef struct Item { int64_t ts; int64_t nByte; } Item;

static int cmpItem(const void *a, const void *b){
  int64_t x = ((const Item*)a)->ts, y = ((const Item*)b)->ts;
  return x<y ? -1 : x>y;
}

/* The chunks (or buckets) of the series that follow one policy. */
typedef struct ByteCut {
  TsmRun *pRun;
  const int *aWin;           /* policy of each series of the run */
  int iPol;
  Item *a;
  int n, nAlloc;
  int64_t nTotal;            /* bytes */
} ByteCut;

/* Add the item of series iSeries that ends before ts, nByte bytes. */
static int byteCutAdd(ByteCut *pB, int64_t iSeries, int64_t ts,
                      int64_t nByte){
  int j = tsmRunFind(pB->pRun, iSeries);
  if( j<0 || pB->aWin[j]!=pB->iPol ) return SQLITE_OK;
  if( pB->n>=pB->nAlloc ){
    int nNew = pB->nAlloc ? pB->nAlloc*2 : 256;
    Item *aNew = sqlite3_realloc64(pB->a, sizeof(Item)*nNew);
    if( aNew==0 ) return SQLITE_NOMEM;
    pB->a = aNew;
    pB->nAlloc = nNew;
  }
  pB->a[pB->n].ts = ts;
  pB->a[pB->n].nByte = nByte;
  pB->nTotal += nByte;
  pB->n++;
  return SQLITE_OK;
}

static int byteCutChunk(void *pArg, const TsmChunk *pChunk){
  return byteCutAdd((ByteCut*)pArg, pChunk->iSeries,
                    tsmAddSat(pChunk->tsLast, 1), pChunk->nByte);
}
static int byteCutBucket(void *pArg, int64_t iSeries, int64_t tsEnd,
                         int64_t nByte){
  return byteCutAdd((ByteCut*)pArg, iSeries, tsEnd, nByte);
}

/*
** The max_bytes cuts of policy iPol (resolution iRes): collect the chunks
** (or buckets) of the series that follow it, oldest first, and find the
** time before which everything must go to fit.
*/
static int pruneByteCut(Prune *pP, int iPol, const int *aWin){
  TsmRun *pRun = pP->pRun;
  const TsmPolicies *pSet = tsmRunPolicies(pRun);
  const TsmPolicy *pPol = &pSet->a[iPol];
  ByteCut b;
  int i, iRes = -1, rc;
  int64_t tCut = INT64_MIN;

  memset(&b, 0, sizeof(b));
  b.pRun = pRun;
  b.aWin = aWin;
  b.iPol = iPol;
  for(i=0; i<pSet->nRes; i++) if( pSet->aRes[i]==pPol->iRes ) iRes = i;
  if( pPol->iRes==0 ){
    for(i=0; i<tsmRunSeriesCount(pRun); i++){
      if( aWin[i]==iPol ) b.nTotal += tsmRunSeriesAt(pRun, i)->nHeadBytes;
    }
    rc = tsmChunksScan(pP->p, byteCutChunk, &b);      /* store.c */
  }else{
    rc = tsmRollupBuckets(pP->p, pPol->iRes, byteCutBucket, &b); /* rollup.c */
  }
  if( rc==SQLITE_OK && b.nTotal>pPol->nMaxBytes ){
    qsort(b.a, (size_t)b.n, sizeof(Item), cmpItem);
    for(i=0; i<b.n && b.nTotal>pPol->nMaxBytes; i++){
      b.nTotal -= b.a[i].nByte;
      tCut = b.a[i].ts;
    }
    for(i=0; i<tsmRunSeriesCount(pRun); i++){
      if( aWin[i]!=iPol ) continue;
      if( pPol->iRes==0 ){
        pP->aRawCut[i] = maxI64(pP->aRawCut[i], tCut);
      }else if( iRes>=0 ){
        int64_t *pCut = &pP->aTierCut[(size_t)i*pP->nRes + iRes];
        *pCut = maxI64(*pCut, tCut);
      }
    }
  }
  sqlite3_free(b.a);
  return rc;
}

/* Every max_bytes cut (none when no policy has max_bytes). */
static int pruneByteCuts(Prune *pP){
  TsmRun *pRun = pP->pRun;
  const TsmPolicies *pSet = tsmRunPolicies(pRun);
  int nSeries = tsmRunSeriesCount(pRun);
  int *aWin = 0, i, k, rc = SQLITE_OK;
  for(k=0; k<pSet->n && pSet->a[k].nMaxBytes==0; k++){}
  if( k==pSet->n || nSeries==0 ) return SQLITE_OK;
  pP->nRes = pSet->nRes;
  pP->aRawCut = sqlite3_malloc64(sizeof(int64_t)*nSeries);
  pP->aTierCut = sqlite3_malloc64(sizeof(int64_t)*nSeries*(pSet->nRes+1));
  aWin = sqlite3_malloc64(sizeof(int)*nSeries);
  if( pP->aRawCut==0 || pP->aTierCut==0 || aWin==0 ) rc = SQLITE_NOMEM;
  for(i=0; rc==SQLITE_OK && i<nSeries; i++){
    pP->aRawCut[i] = INT64_MIN;
    for(k=0; k<pSet->nRes; k++){
      pP->aTierCut[(size_t)i*pSet->nRes + k] = INT64_MIN;
    }
  }
  for(k=0; rc==SQLITE_OK && k<pSet->n; k++){
    if( pSet->a[k].nMaxBytes==0 ) continue;
    for(i=0; i<nSeries; i++){
      aWin[i] = tsmPolicyFor(pSet, tsmRunSeriesAt(pRun, i)->zMetric,
                             pSet->a[k].iRes);
    }
    rc = pruneByteCut(pP, k, aWin);
  }
  sqlite3_free(aWin);
  return rc;
}

/* Keep the samples of pC at or after tCut; return how many went. */
static int colsKeepFrom(TsmCols *pC, int64_t tCut){
  int i = 0;
  while( i<pC->n && pC->aTs[i]<tCut ) i++;
  if( i>0 ){
    memmove(pC->aTs, &pC->aTs[i], sizeof(int64_t)*(size_t)(pC->n-i));
    memmove(pC->aVal, &pC->aVal[i], sizeof(double)*(size_t)(pC->n-i));
    pC->n -= i;
  }
  return i;
}

/* Remove the samples of the head of pS before tCut (rewrite the head). */
static int pruneHead(Prune *pP, TsmRunSeries *pS, int64_t tCut,
                     char **pzErr){
  TsmCtx *p = pP->p;
  TsmCols *pC = tsmRunCols(pP->pRun);
  TsmHeadRow row;
  int nByte = 0;
  int rc = tsmHeadGet(p, pS->iSeries, &row, pC, pzErr);     /* store.c */
  if( rc==SQLITE_OK ){
    colsKeepFrom(pC, tCut);
    rc = tsmHeadPut(p, &row, pC, &nByte);
  }
  if( rc==SQLITE_OK ){
    pS->nHead = pC->n;
    pS->nHeadBytes = nByte;
    pS->tsHeadFirst = pC->n>0 ? pC->aTs[0] : INT64_MAX;
  }
  return rc;
}

/* Remove the raw samples of pS before tCut: in whole chunks, and those of
** the chunk that straddles tCut and of the head when they hold a sample
** before tTrim (tsm_prune(): INT64_MAX, always; automatic maintenance: the
** cut less the slack).  The head of a series that stopped goes too. */
static int pruneRaw(Prune *pP, TsmRunSeries *pS, int64_t tCut, int64_t tTrim,
                    char **pzErr){
  int nWork = 0;
  int rc;

  /* 1. Whole chunks, 2. the chunk that straddles the cut (store.c).
  ** (tsmPrune() counts the samples removed.) */
  rc = tsmChunksDrop(pP->p, pS->iSeries, tCut, tTrim, &nWork, pzErr);
  pP->nBudget -= nWork;

  /* 3. The head, when it is older than the cut too. */
  if( rc==SQLITE_OK && pS->nHead>0 && pS->tsHeadFirst<tCut
   && (pS->tsHeadFirst<tTrim || pS->tsNewest<tCut) ){
    rc = pruneHead(pP, pS, tCut, pzErr);
  }
  return rc;
}

/* Is series iSeries left without samples and buckets? */
static int seriesEmpty(TsmCtx *p, TsmRunSeries *pS, int *pbEmpty){
  int rc = SQLITE_OK, bAny = 0;
  *pbEmpty = pS->nHead==0;
  if( *pbEmpty ){
    int64_t tFirst, tLast;
    rc = tsmChunkNth(p, pS->iSeries, 0, &tFirst, &tLast);    /* store.c */
    if( tFirst!=INT64_MAX ) *pbEmpty = 0;
  }
  if( rc==SQLITE_OK && *pbEmpty ){
    rc = tsmRollupAny(p, pS->iSeries, &bAny);          /* rollup.c */
    if( bAny ) *pbEmpty = 0;
  }
  return rc;
}

/* Prune series i of the run (automatic maintenance: fold its tiers
** first).  State rows are written before the deletes they describe, so
** that stopping after any statement leaves a consistent store. */
static int pruneSeries(Prune *pP, int i, char **pzErr){
  TsmRun *pRun = pP->pRun;
  TsmCtx *p = pP->p;
  const TsmPolicies *pSet = tsmRunPolicies(pRun);
  TsmRunSeries *pS = tsmRunSeriesAt(pRun, i);
  int64_t tNow = tsmRunNow(pRun);
  int64_t *aCut = pP->aCut, *aOld = pP->aOld;
  int64_t tRawCut = INT64_MIN, tRawOld = INT64_MAX, tGuard = INT64_MAX;
  int64_t tTrim = INT64_MAX, tSlack = TSM_AUTO_SLACK_MIN;
  TsmSeriesTiers *pT;
  int rc, k, u, bNeed = 0, bRaw = 0, nBucket = 0;

  if( pS->zCorrupt ){
    *pzErr = sqlite3_mprintf("%s", pS->zCorrupt);
    return SQLITE_CORRUPT;
  }
  rc = tsmRunTiers(pRun, pS, &pT);
  if( rc ) return rc;
  if( pP->bAuto && pT->nTier>0 ){
    rc = tsmRunFold(pRun, pS, &nBucket);
    pP->nBudget -= nBucket;
    if( rc ) return rc;
  }

  /* The cuts, and whether anything is older. */
  if( pT->iRawPolicy>=0 && pSet->a[pT->iRawPolicy].iKeep>0
   && tNow!=INT64_MIN ){
    tRawCut = tNow - pSet->a[pT->iRawPolicy].iKeep;
    tSlack = maxI64(tSlack, pSet->a[pT->iRawPolicy].iKeep/10);
  }
  if( pP->aRawCut ) tRawCut = maxI64(tRawCut, pP->aRawCut[i]);
  if( tRawCut!=INT64_MIN ){
    rc = tsmRunRawOldest(pRun, pS, &tRawOld);
    if( rc==SQLITE_OK && pP->bAuto ){
      /* Something older than the slack, or a whole chunk before the cut? */
      int64_t tFirst, tEnd;
      tTrim = tRawCut - tSlack;
      rc = tsmChunkNth(p, pS->iSeries, 0, &tFirst, &tEnd);
      if( tEnd<tRawCut || tRawOld<tTrim
       || (pS->nHead>0 && pS->tsNewest<tRawCut) ){
        bNeed = 1;
      }
    }else if( tRawOld<tRawCut ){
      bNeed = 1;
    }
  }
  for(k=0; rc==SQLITE_OK && k<pT->nTier; k++){
    const TsmPolicy *pPol = &pSet->a[pT->aTier[k].iPolicy];
    aCut[k] = INT64_MIN;
    aOld[k] = INT64_MAX;
    if( pPol->iKeep>0 && tNow!=INT64_MIN ) aCut[k] = tNow - pPol->iKeep;
    if( pP->aTierCut ){
      int j;
      for(j=0; j<pSet->nRes && pSet->aRes[j]!=pT->aTier[k].iRes; j++){}
      aCut[k] = maxI64(aCut[k], pP->aTierCut[(size_t)i*pP->nRes + j]);
    }
    if( aCut[k]!=INT64_MIN ){
      rc = tsmRunTierOldest(pRun, pS->iSeries, pT->aTier[k].iRes, &aOld[k]);
      if( aOld[k]<aCut[k] ) bNeed = 1;
    }
  }
  if( rc || (!bNeed && pT->nOrphan==0) ) return rc;

  /* Raw samples, up to what the tiers that read them have folded. */
  for(k=0; k<pT->nTier; k++){
    if( pT->aTier[k].iSrc<0 ){
      tGuard = minI64(tGuard, pT->aTier[k].bState ? pT->aTier[k].iDone
                                                  : INT64_MIN);
    }
  }
  tRawCut = minI64(tRawCut, tGuard);
  if( pP->bAuto && tRawCut>tRawOld ){
    int64_t tNth, tNthLast;
    rc = tsmChunkNth(p, pS->iSeries, TSM_PRUNE_SERIES_CHUNKS, &tNth,
                     &tNthLast);
    tRawCut = minI64(tRawCut, tNth);
  }
  if( rc==SQLITE_OK && tRawCut!=INT64_MIN && tRawCut>tRawOld ){
    /* The horizon matters to tiers only (rollup.c never refolds before it) */
    if( tRawCut>pT->iRawPruned
     && (pT->nTier>0 || pT->iRawPruned!=INT64_MIN) ){
      pT->iRawPruned = tRawCut;
      rc = tsmRunStatePut(pRun, pS->iSeries, 0, tRawCut);
    }
    if( rc==SQLITE_OK ) rc = pruneRaw(pP, pS, tRawCut, tTrim, pzErr);
    bRaw = 1;
  }

  /* Buckets, up to what the coarser tiers built from them have folded. */
  for(k=0; rc==SQLITE_OK && k<pT->nTier; k++){
    TsmTier *pTier = &pT->aTier[k];
    int64_t tCut = aCut[k], nDel = 0;
    if( tCut==INT64_MIN || aOld[k]>=tCut ) continue;
    for(u=k+1; u<pT->nTier; u++){
      if( pT->aTier[u].iSrc==k ){
        tCut = minI64(tCut, pT->aTier[u].bState ? pT->aTier[u].iDone
                                                : INT64_MIN);
      }
    }
    if( pP->bAuto && tCut-aOld[k]>TSM_PRUNE_SERIES_BUCKETS*pTier->iRes ){
      /* buckets start on multiples of iRes: at most that many go */
      tCut = aOld[k] + TSM_PRUNE_SERIES_BUCKETS*pTier->iRes;
    }
    if( rc || tCut==INT64_MIN || tCut<=aOld[k] ) continue;
    if( tCut>pTier->iPruned ){
      pTier->iPruned = tCut;
      rc = tsmRunStatePut(pRun, pS->iSeries, pTier, 0);
    }
    if( rc==SQLITE_OK ){
      rc = tsmRunDeleteBuckets(pRun, pS->iSeries, pTier->iRes, INT64_MIN,
                               tCut, &nDel);
      pP->nBudget -= (int)(nDel/TSM_AUTO_DELETE_PER_UNIT);
    }
  }

  /* Tiers that no policy declares any more. */
  for(k=0; rc==SQLITE_OK && k<pT->nOrphan; k++){
    rc = tsmRunDropTier(pRun, pS->iSeries, pT->aOrphan[k]);
  }

  /* A series whose samples all expired (and has no buckets) goes. */
  if( rc==SQLITE_OK && bRaw && pS->nHead==0 ){
    int bEmpty = 0;
    rc = seriesEmpty(p, pS, &bEmpty);
    if( rc==SQLITE_OK && bEmpty ) rc = tsmSeriesDelete(p, pS->iSeries);
  }
  return rc;
}

/*
** tsm_prune() in the most common case, with one statement over all chunks
** instead of a few per series: no rollup tier anywhere, no max_bytes, and
** every series under a raw policy with the same keep, so that they all
** have the same cut.  *pbDone is 0 when the case does not apply.
*/
static int pruneBulk(Prune *pP, char **pzErr, int *pbDone){
  TsmRun *pRun = pP->pRun;
  TsmCtx *p = pP->p;
  const TsmPolicies *pSet = tsmRunPolicies(pRun);
  int64_t tNow = tsmRunNow(pRun), tCut = INT64_MIN;
  int n = tsmRunSeriesCount(pRun), i, k;
  int rc;

  *pbDone = 0;
  if( pP->bAuto || pSet->nRes>0 || !tsmRunNoState(pRun) || tNow==INT64_MIN ){
    return SQLITE_OK;
  }
  for(k=0; k<pSet->n; k++) if( pSet->a[k].nMaxBytes ) return SQLITE_OK;
  for(i=0; i<n; i++){
    int iPol = tsmPolicyFor(pSet, tsmRunSeriesAt(pRun, i)->zMetric, 0);
    int64_t t;
    if( iPol<0 || pSet->a[iPol].iKeep==0 ) return SQLITE_OK;
    t = tNow - pSet->a[iPol].iKeep;
    if( i>0 && t!=tCut ) return SQLITE_OK;
    tCut = t;
  }
  *pbDone = 1;

  /* 1. Whole chunks, 2. the straddlers (store.c). */
  rc = tsmChunksDropAll(p, tCut, pzErr);

  /* 3. Heads older than the cut; 4. series left empty. */
  for(i=0; rc==SQLITE_OK && i<n; i++){
    TsmRunSeries *pS = tsmRunSeriesAt(pRun, i);
    if( pS->nHead>0 && pS->tsHeadFirst<tCut ){
      rc = pruneHead(pP, pS, tCut, pzErr);
    }
    if( rc==SQLITE_OK && pS->nHead==0 && pS->bHead ){
      int bEmpty = 0;
      rc = seriesEmpty(p, pS, &bEmpty);
      if( rc==SQLITE_OK && bEmpty ) rc = tsmSeriesDelete(p, pS->iSeries);
    }
  }
  return rc;
}

/*
** Prune the store.  bAuto: automatic maintenance (see the top of this
** file): bounded work, resuming where the previous run stopped, folding
** each series before pruning it, skipping (and recording) a series that
** fails; otherwise every tier is brought up to date first and everything
** due is removed.  *pnRemoved: raw samples removed (not counted by
** automatic maintenance).  The store must exist.
*/
/*
** A step of automatic maintenance failed with rc: keep its message for
** tsm_stats() and carry on (return SQLITE_OK), unless SQLite rolled the
** transaction back, or rc is SQLITE_NOMEM (then return rc: the commit must
** fail visibly).  After an out-of-memory inside the COMMIT, SQLite reports
** SQLITE_NOMEM for it even when it goes on and commits: the application
** would take a committed transaction for a failed one (test/fault).
*/
static int autoFailed(TsmCtx *p, int rc, char **pzErr, TsmRun *pRun){
  char *zMsg = *pzErr;
  *pzErr = 0;
  if( zMsg==0 && pRun && *tsmRunErr(pRun) ){
    zMsg = *tsmRunErr(pRun);
    *tsmRunErr(pRun) = 0;
  }
  if( zMsg==0 ){
    zMsg = tsmErrMsg("automatic maintenance: %s",
        rc==SQLITE_NOMEM ? sqlite3_errstr(rc) : sqlite3_errmsg(p->db));
  }
  sqlite3_free(pRun ? *tsmRunErr(pRun) : 0);
  if( pRun ) *tsmRunErr(pRun) = 0;
  sqlite3_free(p->zAutoError);
  p->zAutoError = zMsg;
  p->nAutoError++;
  if( rc==SQLITE_NOMEM ) return rc;
  return sqlite3_txn_state(p->db, "main")==SQLITE_TXN_WRITE ? SQLITE_OK : rc;
}

int tsmPrune(TsmCtx *p, int bAuto, int64_t *pnRemoved, char **pzErr){
  Prune prune;
  int rc, i, n, i0 = 0, nBucket = 0, bBulk = 0;
  int64_t nBefore = 0, nAfter = 0;

  memset(&prune, 0, sizeof(prune));
  prune.p = p;
  prune.bAuto = bAuto;
  prune.nBudget = TSM_AUTO_WORK;
  *pnRemoved = 0;
  rc = tsmRunOpen(p, bAuto, &prune.pRun, pzErr);
  if( rc ) return bAuto ? autoFailed(p, rc, pzErr, 0) : rc;
  n = tsmRunSeriesCount(prune.pRun);
  if( tsmRunPolicies(prune.pRun)->n==0 || n==0 ){
    tsmRunClose(prune.pRun);
    return SQLITE_OK;
  }
  /* A series has at most one tier per tier width of the policies. */
  prune.aCut = sqlite3_malloc64(sizeof(int64_t)*2
                                *(tsmRunPolicies(prune.pRun)->nRes+1));
  if( prune.aCut==0 ){
    tsmRunClose(prune.pRun);
    return bAuto ? autoFailed(p, SQLITE_NOMEM, pzErr, 0) : SQLITE_NOMEM;
  }
  prune.aOld = &prune.aCut[tsmRunPolicies(prune.pRun)->nRes+1];
  if( !bAuto && tsmRunPolicies(prune.pRun)->nRes>0 ){
    for(i=0; rc==SQLITE_OK && i<n; i++){
      rc = tsmRunDownsample(prune.pRun, tsmRunSeriesAt(prune.pRun, i),
                            INT64_MAX, 0, 0, 0, &nBucket);
    }
  }
  if( bAuto ){
    tsmRunFoldLimit(prune.pRun, TSM_AUTO_FOLD_MAX);
    while( i0<n && tsmRunSeriesAt(prune.pRun, i0)->iSeries<p->iPruneNext ) i0++;
    if( i0==n ) i0 = 0;
  }
  if( rc==SQLITE_OK ) rc = pruneByteCuts(&prune);
  if( rc==SQLITE_OK && !bAuto ) rc = tsmSampleTotal(p, &nBefore);
  if( rc==SQLITE_OK ) rc = pruneBulk(&prune, pzErr, &bBulk);
  if( rc && bAuto ) rc = autoFailed(p, rc, pzErr, prune.pRun);
  for(i=0; rc==SQLITE_OK && !bBulk && i<n; i++){
    int j = (i0+i) % n;
    rc = pruneSeries(&prune, j, pzErr);
    if( bAuto ){
      /* A series that fails waits for the next run; the others go on. */
      if( rc ) rc = autoFailed(p, rc, pzErr, prune.pRun);
      prune.nBudget -= TSM_AUTO_SERIES_COST;
      if( prune.nBudget<=0 ){
        p->iPruneNext = j+1<n ? tsmRunSeriesAt(prune.pRun, j+1)->iSeries : 0;
        break;
      }
    }
  }
  if( rc==SQLITE_OK && bAuto && prune.nBudget>0 ) p->iPruneNext = 0;
  if( rc && *pzErr==0 && *tsmRunErr(prune.pRun) ){
    *pzErr = *tsmRunErr(prune.pRun);
    *tsmRunErr(prune.pRun) = 0;
  }
  if( rc==SQLITE_OK && !bAuto ){
    rc = tsmSampleTotal(p, &nAfter);
    prune.nRemoved = nBefore - nAfter;
  }
  *pnRemoved = prune.nRemoved;
  sqlite3_free(prune.aRawCut);
  sqlite3_free(prune.aTierCut);
  sqlite3_free(prune.aCut);
  tsmRunClose(prune.pRun);
  return rc;
}

/* A monotonic clock in ms, for tsm_stats' auto_prune_ms. */
static double monotonicMs(void){
#ifdef CLOCK_MONOTONIC
  struct timespec t;
  if( clock_gettime(CLOCK_MONOTONIC, &t)==0 ){
    return (double)t.tv_sec*1e3 + (double)t.tv_nsec*1e-6;
  }
#endif
  return (double)tsmWallClock();
}

/* Is it too soon for another maintenance run? */
static int autoTooSoon(TsmCtx *p, int64_t tNow){
  return p->iPruneLast!=0 && tNow>=p->iPruneLast
      && tNow-p->iPruneLast<p->iPruneInterval;
}

/*
** The commit hook (vtab_samples.c xSync, after the flush): maintain the
** store within the committing transaction (see the top of this file), at
** most once per interval (tsm_auto) per connection, and only when some
** policy exists.  Returns an error only when the transaction is lost.
*/
int tsmRetentionCommit(TsmCtx *p, char **pzErr){
  double t0;
  int64_t tNow, nRemoved = 0;
  int rc, eFlags = 0, bExists = 0;
  if( p->bPruning || p->iPruneInterval<0 ) return SQLITE_OK;
  tNow = tsmWallClock();
  if( (p->eRollup & TSM_ROLLUP_KNOWN) && autoTooSoon(p, tNow) ){
    return SQLITE_OK;                      /* the common case: too soon */
  }
  rc = tsmStoreReady(p, 0, &bExists, pzErr);
  if( rc==SQLITE_OK && bExists ) rc = tsmRollupFlags(p, &eFlags);
  if( rc ) return autoFailed(p, rc, pzErr, 0);
  if( !bExists || autoTooSoon(p, tNow) ) return SQLITE_OK;
  p->iPruneLast = tNow;
  if( (eFlags & TSM_ROLLUP_POLICIES)==0 ) return SQLITE_OK;
  p->bPruning = 1;
  t0 = monotonicMs();
  rc = tsmPrune(p, 1, &nRemoved, pzErr);
  p->rAutoPruneMs += monotonicMs() - t0;
  p->nAutoPrune++;
  p->bPruning = 0;
  return rc;
}

/* tsm_prune(): bring rollups up to date, remove what the policies say;
** returns the number of raw samples removed. */
void tsmPruneFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  TsmCtx *p = sqlite3_user_data(ctx);
  char *zErr = 0;
  int64_t nRemoved = 0;
  int rc, bOwn = 0, bExists = 0;
  (void)argc; (void)argv;
  if( p->bPruning ){
    tsmErr(ctx, "tsm_prune() cannot run inside tsm_downsample() or "
           "tsm_prune()");
    return;
  }
  rc = tsmTxnBegin(p, &bOwn);
  if( rc==SQLITE_OK ) rc = tsmStoreFlush(p, 0, &zErr);
  if( rc==SQLITE_OK ) rc = tsmStoreReady(p, 0, &bExists, &zErr);
  if( rc==SQLITE_OK && bExists ){
    p->bPruning = 1;
    rc = tsmPrune(p, 0, &nRemoved, &zErr);
    p->bPruning = 0;
  }
  tsmErrFromDb(p, rc, &zErr);        /* before the ROLLBACK resets it */
  rc = tsmTxnEnd(p, bOwn, rc);
  if( rc ){ tsmResultError(ctx, p, rc, zErr); return; }
  sqlite3_result_int64(ctx, nRemoved);
}


/* Return the interval of automatic maintenance as tsm_auto() takes it. */
static void autoResult(sqlite3_context *ctx, int64_t ms){
  if( ms<0 ){
    sqlite3_result_text(ctx, "off", -1, SQLITE_STATIC);
  }else if( ms==0 ){
    sqlite3_result_int(ctx, 0);
  }else{
    tsmResultDuration(ctx, ms);
  }
}

/*
** tsm_auto([interval]): this connection's interval of automatic
** maintenance at commit: a duration ('5s', or INTEGER ms), 0 for every
** commit, or 'off'.  Returns the previous setting (in a form tsm_auto
** takes back); without an argument, only returns it.
*/
void tsmAutoFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  TsmCtx *p = sqlite3_user_data(ctx);
  int64_t iOld = p->iPruneInterval, ms = 0;
  if( argc>0 ){
    sqlite3_value *pVal = argv[0];
    int eType = sqlite3_value_type(pVal);
    const char *z = eType==SQLITE_TEXT ? (const char*)sqlite3_value_text(pVal)
                                       : "";
    if( z==0 || (eType==SQLITE_TEXT
                 && strlen(z)!=(size_t)sqlite3_value_bytes(pVal)) ){
      z = "";                               /* (a NUL inside) */
    }
    if( eType==SQLITE_TEXT && sqlite3_stricmp(z, "off")==0 ){
      ms = -1;
    }else if( (eType==SQLITE_INTEGER && sqlite3_value_int64(pVal)==0)
           || (eType==SQLITE_TEXT && strcmp(z, "0")==0) ){
      ms = 0;
    }else if( eType==SQLITE_NULL || tsmDurationFromValue(pVal, &ms)!=SQLITE_OK ){
      char zQ[TSM_QUOTE_BUF];
      tsmErr(ctx, "invalid interval %s: expected a duration like 5s, "
             "0 (every commit) or 'off'",
             tsmValueQuote(zQ, pVal));
      return;
    }
    p->iPruneInterval = ms;
    p->iPruneLast = 0;        /* the next commit that records runs it */
  }
  autoResult(ctx, iOld);
}
