/* SPDX-License-Identifier: MIT */
/*
** rollup.c -- rollup tiers: tsm_downsample(), the runs that fold tiers
** (TsmRun, also driven by retention.c), the flush hook that marks late
** samples, tsm_quantile() and tsm_sketch_merge().
**
**   INSERT INTO tsm_retention(metric, resolution, keep)
**     VALUES ('*', '1m', '90d'), ('*', '1h', NULL);
**   SELECT tsm_downsample();                  -- every tier, incremental
**   SELECT tsm_downsample('1m', '2026-01-01', '2026-01-02');   -- rebuild
**   SELECT ts, avg, tsm_quantile(sketch, 0.99) FROM tsm_rollups
**    WHERE series_id = 1 AND resolution = '1m';
**
** Tables (sql/002_rollups.sql; docs/FORMAT.md "Rollups and retention"):
**   tsm_rollup(series_id, resolution, ts, count, sum, min, max, first,
**              last, first_ts, last_ts, increase, sketch)   one bucket
**   tsm_rollup_state(series_id, resolution, done_ts, dirty_from, pruned_ts)
**
** Tiers.  The tiers of a series are the resolutions r > 0 for which some
** policy of tsm_retention matches its metric.  The source of tier r is the
** coarsest of its other tiers whose width divides r (1h from 1m, 1d from
** 1h), or the raw samples when there is none.  Buckets are [ts, ts+r) with
** ts a multiple of r since the epoch.  A bucket from raw samples holds the
** count, sum, min, max, first and last of its non-NaN samples, the times
** of the first and last, the counter increase between them (a drop counts
** as a reset from 0) and a DDSketch of the values; a bucket from a finer
** tier merges those of the finer buckets (exact, except that floating
** point sums may round differently).  The arithmetic is agg.c's (the same
** accumulator, bucket alignment and counter rule as tsm_query).
**
** Watermarks.  done_ts (a multiple of r) says that every bucket before it
** is complete: folded from every sample recorded before it was folded.  A
** bucket [t, t+r) is complete, so folded, when
**   - from raw samples: t+r <= max(newest sample of the series + 1, now),
**     now being the store's now (retention.c: the newest sample of the
**     store, at most the wall clock).  So a bucket is folded once the
**     series has a sample at its last millisecond or later, or once the
**     store as a whole has moved past it (a series that stopped);
**   - from a finer tier: t+r <= done_ts of that tier.
** Buckets are written once, when complete; the open bucket at the end of a
** series is not written (readers take it from the raw samples).
**
** Late samples.  The flush (store.c) calls tsmRollupFlushed() for every
** series it writes, with the earliest timestamp written; when that is
** before a tier's done_ts, the tier gets dirty_from = that time, and the
** next run refolds from the bucket that holds it (coarser tiers too, since
** their done_ts is later still).  The check costs nothing when no tier was
** ever folded (one flag per connection), one UPDATE per series and commit
** otherwise.
**
** A run never refolds what its source no longer has: buckets before the
** source's pruned_ts (raw: the raw row of tsm_rollup_state) are kept as
** they are, so pruning raw samples never loses a bucket.  retention.c
** never prunes raw samples (or a finer tier) that a tier has not folded.
**
** Every statement on tsm_rollup and tsm_rollup_state is in this file
** (azRStmt, tsm_check's, the scans retention.c needs for the usage and
** max_bytes: tsmRollupUsage, tsmRollupBuckets, and the readers of query.c
** and vtab_rollups.c: TsmTierRows, tsmTierStateScan, tsmTierLastBefore).
** Series come from store.c's registry (TsmSeriesScan, tsmSeriesFound);
** raw samples and heads from store.c too (TsmReader, tsmHeadScan,
** tsmChunkNth).
** Policies come from policy.c, now from tsmWallClock
** (policy.c), transactions from store.c (tsmTxnBegin).  Nothing here
** calls retention.c; store.c calls this file only through tsmHooks
** (tsm.h): tsmRollupFlushed, tsmRollupForget, tsmRollupCheck,
** tsmRollupClose.
*/
#include "tsm.h"
#include "sketch.h"
#include <stdlib.h>
#include <string.h>
#include <math.h>

/* The cached statements of this file, private to it (retention.c reads
** the tiers through tsmRun*, tsmRollupUsage and tsmRollupBuckets; query.c
** and vtab_rollups.c through TsmTierRows, tsmTierStateScan and
** tsmTierLastBefore).  No statement here reads another module's table:
** series come from store.c (TsmSeriesScan, tsmSeriesFound). */
enum {
  RSTMT_STATE_ANY,       /* rollup state exists? */
  RSTMT_STATE_GET,
  RSTMT_STATE_PUT,
  RSTMT_STATE_DIRTY,     /* the flush hook: late samples */
  RSTMT_STATE_MAX_DONE,  /* the flush hook: highest watermark */
  RSTMT_STATE_DELETE,
  RSTMT_STATE_DELETE_SERIES,
  RSTMT_ROLLUP_INSERT,
  RSTMT_ROLLUP_BEFORE,   /* last value of the newest bucket ending by ?3 */
  RSTMT_ROLLUP_DELETE_RANGE,
  RSTMT_ROLLUP_DELETE_SERIES,
  RSTMT_ROLLUP_OLDEST,
  RSTMT_ROLLUP_ANY,
  RSTMT_COUNT
};
typedef char rollupStmtsFit[RSTMT_COUNT==TSM_RSTMT_COUNT ? 1 : -1];

static const char *const azRStmt[RSTMT_COUNT] = {
  [RSTMT_STATE_ANY] =
    "SELECT EXISTS(SELECT 1 FROM main.tsm_rollup_state)",
  [RSTMT_STATE_GET] =
    "SELECT resolution, done_ts, dirty_from, dirty_to, pruned_ts"
    " FROM main.tsm_rollup_state WHERE series_id=?1 ORDER BY resolution",
  [RSTMT_STATE_PUT] =
    "INSERT OR REPLACE INTO main.tsm_rollup_state(series_id, resolution,"
    " done_ts, dirty_from, dirty_to, pruned_ts) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
  [RSTMT_STATE_DIRTY] =
    "UPDATE main.tsm_rollup_state SET dirty_from=min(coalesce(dirty_from,?2),?2),"
    " dirty_to=max(coalesce(dirty_to,min(?3,done_ts-1)),min(?3,done_ts-1))"
    " WHERE series_id=?1 AND done_ts>?2",
  [RSTMT_STATE_MAX_DONE] =
    "SELECT max(done_ts) FROM main.tsm_rollup_state"
    " WHERE series_id=?1 AND resolution>0",
  [RSTMT_STATE_DELETE] =
    "DELETE FROM main.tsm_rollup_state WHERE series_id=?1 AND resolution=?2",
  [RSTMT_STATE_DELETE_SERIES] =
    "DELETE FROM main.tsm_rollup_state WHERE series_id=?1",
  [RSTMT_ROLLUP_INSERT] =
    "INSERT OR REPLACE INTO main.tsm_rollup(series_id, resolution, ts, count,"
    " sum, min, max, first, last, first_ts, last_ts, increase, sketch)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
  [RSTMT_ROLLUP_BEFORE] =
    "SELECT last, last_ts FROM main.tsm_rollup WHERE series_id=?1"
    " AND resolution=?2 AND ts<=?3-?2 ORDER BY ts DESC LIMIT 1",
  [RSTMT_ROLLUP_DELETE_RANGE] =
    "DELETE FROM main.tsm_rollup"
    " WHERE series_id=?1 AND resolution=?2 AND ts>=?3 AND ts<?4",
  [RSTMT_ROLLUP_DELETE_SERIES] =
    "DELETE FROM main.tsm_rollup WHERE series_id=?1",
  [RSTMT_ROLLUP_OLDEST] =
    "SELECT min(ts) FROM main.tsm_rollup WHERE series_id=?1 AND resolution=?2",
  [RSTMT_ROLLUP_ANY] =
    "SELECT 1 FROM main.tsm_rollup WHERE series_id=?1 LIMIT 1",
};

/* Return the cached statement eStmt, reset and with no bindings. */
static int rollupStmt(TsmCtx *p, int eStmt, sqlite3_stmt **ppStmt){
  return tsmStmtCached(p, &p->aRollupStmt[eStmt], azRStmt[eStmt], ppStmt);
}

/*
** The highest done_ts of the tiers of each series the flush wrote: a
** sample is late for some tier exactly when it is before that, so the
** flush hook runs no statement for samples that are not late (nearly
** always).  Open addressing, series_id 0 marks a free slot; INT64_MIN+1:
** no tier.  Emptied whenever it may be wrong: tier state written by this
** connection (tsmRunStatePut), or the flags reloaded after another
** connection committed (rollupFlagsLoad).  A ROLLBACK only lowers
** watermarks, which leaves the cache on the safe side (an UPDATE that
** finds nothing).
*/
struct TsmDoneCache {
  int nSlot, nUsed;          /* nSlot: power of two */
  struct TsmDoneEntry { int64_t iSeries, iMax; } *a;
};
#define TSM_DONE_CACHE_MAX 65536

static void doneCacheClear(TsmCtx *p){
  if( p->pDone && p->pDone->nUsed>0 ){
    memset(p->pDone->a, 0, sizeof(p->pDone->a[0])*(size_t)p->pDone->nSlot);
    p->pDone->nUsed = 0;
  }
}

static struct TsmDoneEntry *doneCacheFind(TsmCtx *p, int64_t iSeries,
                                          int bAdd){
  struct TsmDoneCache *pC = p->pDone;
  unsigned h, mask;
  if( pC==0 ){
    if( !bAdd ) return 0;
    pC = p->pDone = sqlite3_malloc(sizeof(*pC));
    if( pC==0 ) return 0;
    pC->nSlot = 256;
    pC->nUsed = 0;
    pC->a = sqlite3_malloc64(sizeof(pC->a[0])*256);
    if( pC->a==0 ){ sqlite3_free(pC); p->pDone = 0; return 0; }
    memset(pC->a, 0, sizeof(pC->a[0])*256);
  }
  if( bAdd && (pC->nUsed+1)*2>pC->nSlot ){
    if( pC->nSlot>=TSM_DONE_CACHE_MAX ){
      doneCacheClear(p);
    }else{
      struct TsmDoneEntry *aNew;
      int nNew = pC->nSlot*2, i;
      aNew = sqlite3_malloc64(sizeof(aNew[0])*(size_t)nNew);
      if( aNew==0 ) return 0;
      memset(aNew, 0, sizeof(aNew[0])*(size_t)nNew);
      for(i=0; i<pC->nSlot; i++){
        if( pC->a[i].iSeries ){
          unsigned g = (unsigned)((uint64_t)pC->a[i].iSeries*0x9E3779B97F4A7C15ull>>40)
                     & (unsigned)(nNew-1);
          while( aNew[g].iSeries ) g = (g+1) & (unsigned)(nNew-1);
          aNew[g] = pC->a[i];
        }
      }
      sqlite3_free(pC->a);
      pC->a = aNew;
      pC->nSlot = nNew;
    }
  }
  mask = (unsigned)(pC->nSlot-1);
  for(h=(unsigned)((uint64_t)iSeries*0x9E3779B97F4A7C15ull>>40) & mask;
      pC->a[h].iSeries; h=(h+1) & mask){
    if( pC->a[h].iSeries==iSeries ) return &pC->a[h];
  }
  if( !bAdd ) return 0;
  pC->a[h].iSeries = iSeries;
  pC->a[h].iMax = INT64_MIN;                 /* not loaded yet */
  pC->nUsed++;
  return &pC->a[h];
}

/* Finalize the cached statements, free the cache of watermarks (called by
** tsmStoreClose). */
void tsmRollupClose(TsmCtx *p){
  tsmStmtsFinalize(p->aRollupStmt, RSTMT_COUNT);
  if( p->pDone ){
    sqlite3_free(p->pDone->a);
    sqlite3_free(p->pDone);
    p->pDone = 0;
  }
}

/*
** Is there any policy, any tier state?  Cached in p->eRollup until another
** connection commits (tsmCacheValidate clears it).  This connection sets
** the bits itself when it writes policies or state.
*/
static int rollupFlagsLoad(TsmCtx *p, int *peFlags){
  sqlite3_stmt *pStmt;
  int rc = SQLITE_OK;
  if( (p->eRollup & TSM_ROLLUP_KNOWN)==0 && !tsmStoreHas(p, TSM_HAVE_TIERS) ){
    p->eRollup = TSM_ROLLUP_KNOWN;      /* no tables of policies or tiers */
    doneCacheClear(p);
  }
  if( (p->eRollup & TSM_ROLLUP_KNOWN)==0 ){
    int bPolicies = 0;
    rc = tsmPoliciesExist(p, &bPolicies);          /* policy.c */
    if( rc==SQLITE_OK ) rc = rollupStmt(p, RSTMT_STATE_ANY, &pStmt);
    if( rc==SQLITE_OK ){
      int e = TSM_ROLLUP_KNOWN;
      if( bPolicies ) e |= TSM_ROLLUP_POLICIES;
      if( sqlite3_step(pStmt)==SQLITE_ROW && sqlite3_column_int(pStmt, 0) ){
        e |= TSM_ROLLUP_STATE;
      }
      rc = sqlite3_reset(pStmt);
      if( rc==SQLITE_OK ) p->eRollup = e;
      doneCacheClear(p);       /* another connection may have folded */
    }
  }
  *peFlags = rc==SQLITE_OK ? p->eRollup : 0;
  return rc;
}
int tsmRollupFlags(TsmCtx *p, int *peFlags){
  tsmCacheValidate(p);
  return rollupFlagsLoad(p, peFlags);
}

/*
** The flush hook (store.c): samples of iSeries from tsMin to tsMax were
** just written.  Tiers that already folded some of them (done_ts > tsMin)
** get [dirty_from, dirty_to] widened to cover those.
*/
int tsmRollupFlushed(TsmCtx *p, int64_t iSeries, int64_t tsMin,
                     int64_t tsMax){
  sqlite3_stmt *pStmt;
  struct TsmDoneEntry *pE;
  int rc, eFlags = p->eRollup;
  if( (eFlags & TSM_ROLLUP_KNOWN)==0 ){
    rc = rollupFlagsLoad(p, &eFlags);    /* the flush validated the cache */
    if( rc ) return rc;
  }
  if( (eFlags & TSM_ROLLUP_STATE)==0 ) return SQLITE_OK;
  pE = doneCacheFind(p, iSeries, 1);
  if( pE && pE->iMax==INT64_MIN ){
    rc = rollupStmt(p, RSTMT_STATE_MAX_DONE, &pStmt);
    if( rc ) return rc;
    sqlite3_bind_int64(pStmt, 1, iSeries);
    pE->iMax = INT64_MIN+1;
    if( sqlite3_step(pStmt)==SQLITE_ROW
     && sqlite3_column_type(pStmt, 0)!=SQLITE_NULL ){
      pE->iMax = sqlite3_column_int64(pStmt, 0);
    }
    rc = sqlite3_reset(pStmt);
    if( rc ){ pE->iMax = INT64_MIN; return rc; }
  }
  if( pE && tsMin>=pE->iMax ) return SQLITE_OK;    /* in order: not late */
  rc = rollupStmt(p, RSTMT_STATE_DIRTY, &pStmt);
  if( rc ) return rc;
  sqlite3_bind_int64(pStmt, 1, iSeries);
  sqlite3_bind_int64(pStmt, 2, tsMin);
  sqlite3_bind_int64(pStmt, 3, tsMax);
  return tsmStmtRun(pStmt);
}

/* A series is deleted (store.c tsmSeriesDelete): drop its rollups. */
int tsmRollupForget(TsmCtx *p, int64_t iSeries){
  static const int aStmt[] = {
    RSTMT_ROLLUP_DELETE_SERIES, RSTMT_STATE_DELETE_SERIES
  };
  int rc = SQLITE_OK, i;
  if( !tsmStoreHas(p, TSM_HAVE_TIERS) ) return SQLITE_OK;
  for(i=0; rc==SQLITE_OK && i<2; i++){
    sqlite3_stmt *pStmt;
    rc = rollupStmt(p, aStmt[i], &pStmt);
    if( rc==SQLITE_OK ){
      sqlite3_bind_int64(pStmt, 1, iSeries);
      rc = tsmStmtRun(pStmt);
    }
  }
  return rc;
}

/*
** tsm_check() (store.c): every bucket belongs to a series, starts at a
** multiple of its width, holds its first and last sample, and has a valid
** sketch that counts `count` values; every state row belongs to a series
** and has its watermark on a bucket boundary.
*/
int tsmRollupCheck(TsmCtx *p, void (*xLine)(void*, const char*), void *pArg){
  sqlite3_stmt *pStmt = 0;
  int rc, rc2;
  if( !tsmStoreHas(p, TSM_HAVE_TIERS) ) return SQLITE_OK;
  rc = sqlite3_prepare_v2(p->db,
      "SELECT r.series_id, r.resolution, r.ts, r.count, r.sketch,"
      " r.resolution>0 AND r.ts % r.resolution=0,"
      " r.first_ts>=r.ts AND r.last_ts>=r.first_ts"
      "   AND r.last_ts<r.ts+r.resolution AND r.count>=1"
      "   AND (r.min IS NULL OR r.max IS NULL OR r.min<=r.max)"
      " FROM main.tsm_rollup r", -1, &pStmt, 0);
  while( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ){
    int64_t iSeries = sqlite3_column_int64(pStmt, 0);
    int64_t nSketch = -1;
    int bFound = 0;
    char *zWhat = sqlite3_mprintf("series %lld: %lld ms bucket at %lld",
        (long long)iSeries, (long long)sqlite3_column_int64(pStmt, 1),
        (long long)sqlite3_column_int64(pStmt, 2));
    char *zLine = 0;
    if( zWhat==0 ){ rc = SQLITE_NOMEM; break; }
    rc = tsmSeriesFound(p, sqlite3_column_value(pStmt, 0), &bFound);
    if( rc ){ sqlite3_free(zWhat); break; }
    if( !bFound ){
      zLine = sqlite3_mprintf("%s belongs to no series", zWhat);
    }else if( !sqlite3_column_int(pStmt, 5) ){
      zLine = sqlite3_mprintf("%s is not on a bucket boundary", zWhat);
    }else if( !sqlite3_column_int(pStmt, 6) ){
      zLine = sqlite3_mprintf("%s: count, times or min/max out of range",
                              zWhat);
    }else if( tsmSketchCheck(sqlite3_column_blob(pStmt, 4),
                             (size_t)sqlite3_column_bytes(pStmt, 4),
                             &nSketch)!=TSM_SKETCH_OK ){
      zLine = sqlite3_mprintf("%s: corrupt sketch", zWhat);
    }else if( nSketch!=sqlite3_column_int64(pStmt, 3) ){
      zLine = sqlite3_mprintf("%s: the sketch counts %lld values, not %lld",
          zWhat, (long long)nSketch,
          (long long)sqlite3_column_int64(pStmt, 3));
    }
    if( zLine ) xLine(pArg, zLine);
    sqlite3_free(zLine);
    sqlite3_free(zWhat);
  }
  rc2 = sqlite3_finalize(pStmt);
  if( rc==SQLITE_OK ) rc = rc2;
  if( rc ) return rc;

  rc = sqlite3_prepare_v2(p->db,
      "SELECT s.series_id, s.resolution,"
      " s.resolution=0 OR s.done_ts IS NULL OR s.done_ts % s.resolution=0,"
      " typeof(s.series_id)='integer' AND typeof(s.resolution)='integer'"
      "   AND s.resolution>=0"
      "   AND typeof(s.done_ts) IN ('integer','null')"
      "   AND typeof(s.dirty_from) IN ('integer','null')"
      "   AND typeof(s.dirty_to) IN ('integer','null')"
      "   AND typeof(s.pruned_ts) IN ('integer','null')"
      "   AND (s.resolution>0 OR s.done_ts IS NULL)"
      "   AND (s.dirty_from IS NOT NULL OR s.dirty_to IS NULL)"
      "   AND (s.dirty_to IS NULL OR s.dirty_from<=s.dirty_to)"
      " FROM main.tsm_rollup_state s", -1, &pStmt, 0);
  while( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ){
    char *zLine = 0;
    long long iSeries = sqlite3_column_int64(pStmt, 0);
    long long iRes = sqlite3_column_int64(pStmt, 1);
    int bFound = 0;
    rc = tsmSeriesFound(p, sqlite3_column_value(pStmt, 0), &bFound);
    if( rc ) break;
    if( !sqlite3_column_int(pStmt, 3) ){
      zLine = sqlite3_mprintf("series %lld: %lld ms tier state: a column "
          "of the wrong type or out of range", iSeries, iRes);
    }else if( !bFound ){
      zLine = sqlite3_mprintf("series %lld: %lld ms tier state belongs to no "
          "series", iSeries, iRes);
    }else if( !sqlite3_column_int(pStmt, 2) ){
      zLine = sqlite3_mprintf("series %lld: %lld ms tier watermark is not on "
          "a bucket boundary", iSeries, iRes);
    }
    if( zLine ) xLine(pArg, zLine);
    sqlite3_free(zLine);
  }
  rc2 = sqlite3_finalize(pStmt);
  if( rc==SQLITE_OK ) rc = rc2;
  return rc;
}

/**************************************************************************
** Buckets
*/

static int sketchRc(int rc){
  if( rc==TSM_SKETCH_OK ) return SQLITE_OK;
  if( rc==TSM_SKETCH_NOMEM ) return SQLITE_NOMEM;
  if( rc==TSM_SKETCH_CORRUPT ) return SQLITE_CORRUPT;
  return SQLITE_RANGE;
}


/*
** The buckets of a tier, for query.c, vtab_rollups.c and the fold from a
** finer tier (runFoldTier): the one reader of tsm_rollup rows.  Each
** cursor prepares its own statements (they stay open across calls, while
** other statements of this file run).  The sketch column is selected only
** when the cursor is opened with bSketch (it is often the largest part
** of a row).
*/
#define TIER_ROW_COLS \
  "resolution, ts, count, sum, min, max, first, last, first_ts, last_ts," \
  " increase"
static const char *const azTierRows[3] = {
  "SELECT " TIER_ROW_COLS " FROM main.tsm_rollup WHERE series_id=?1"
  " AND resolution=?2 AND ts>=?3 AND ts<=?4 ORDER BY ts",
  "SELECT " TIER_ROW_COLS ", sketch FROM main.tsm_rollup WHERE series_id=?1"
  " AND resolution=?2 AND ts>=?3 AND ts<=?4 ORDER BY ts",
  "SELECT " TIER_ROW_COLS ", sketch FROM main.tsm_rollup WHERE series_id=?1"
  " AND ts>=?3 AND ts<=?4 ORDER BY resolution, ts",
};
struct TsmTierRows {
  TsmCtx *p;
  int bSketch;
  sqlite3_stmt *aStmt[3];    /* azTierRows, prepared when first used */
  sqlite3_stmt *pStmt;       /* the one of the last seek, or NULL */
  TsmTierRow row;
  int bPart;                 /* row.part is read (but for n) */
};

int tsmTierRowsOpen(TsmCtx *p, int bSketch, TsmTierRows **ppT){
  TsmTierRows *pT = sqlite3_malloc(sizeof(*pT));
  *ppT = pT;
  if( pT==0 ) return SQLITE_NOMEM;
  memset(pT, 0, sizeof(*pT));
  pT->p = p;
  pT->bSketch = bSketch;
  return SQLITE_OK;
}

int tsmTierRowsSeek(TsmTierRows *pT, int64_t iSeries, int64_t iRes,
                    int64_t lo, int64_t hi){
  int i = iRes==0 ? 2 : pT->bSketch;
  int rc = SQLITE_OK;
  tsmTierRowsReset(pT);
  if( iRes==0 && !pT->bSketch ) return SQLITE_MISUSE;
  if( pT->aStmt[i]==0 ){
    rc = sqlite3_prepare_v3(pT->p->db, azTierRows[i], -1,
                            SQLITE_PREPARE_PERSISTENT, &pT->aStmt[i], 0);
    if( rc ) return rc;
  }
  pT->pStmt = pT->aStmt[i];
  sqlite3_bind_int64(pT->pStmt, 1, iSeries);
  if( iRes ) sqlite3_bind_int64(pT->pStmt, 2, iRes);
  sqlite3_bind_int64(pT->pStmt, 3, lo);
  sqlite3_bind_int64(pT->pStmt, 4, hi);
  return SQLITE_OK;
}

int tsmTierRowsNext(TsmTierRows *pT, const TsmTierRow **ppRow){
  sqlite3_stmt *pS = pT->pStmt;
  int rc;
  *ppRow = 0;
  if( pS==0 ) return SQLITE_OK;
  if( sqlite3_step(pS)!=SQLITE_ROW ){
    pT->pStmt = 0;
    rc = sqlite3_reset(pS);
    return rc;
  }
  pT->row.iRes = sqlite3_column_int64(pS, 0);
  pT->row.ts = sqlite3_column_int64(pS, 1);
  pT->row.part.n = sqlite3_column_int64(pS, 2);
  pT->bPart = 0;
  *ppRow = &pT->row;
  return SQLITE_OK;
}

const TsmAggPart *tsmTierRowsPart(TsmTierRows *pT){
  sqlite3_stmt *pS = pT->pStmt;
  TsmAggPart *pP = &pT->row.part;
  if( !pT->bPart && pS ){
    pP->sum = tsmColumnReal(pS, 3);
    pP->min = tsmColumnReal(pS, 4);
    pP->max = tsmColumnReal(pS, 5);
    pP->first = tsmColumnReal(pS, 6);
    pP->last = tsmColumnReal(pS, 7);
    pP->tsFirst = sqlite3_column_int64(pS, 8);
    pP->tsLast = sqlite3_column_int64(pS, 9);
    pP->inc = tsmColumnReal(pS, 10);
    pP->aSk = 0;
    pP->nSk = -1;
    if( pT->bSketch && sqlite3_column_type(pS, 11)==SQLITE_BLOB ){
      pP->aSk = sqlite3_column_blob(pS, 11);
      pP->nSk = sqlite3_column_bytes(pS, 11);
    }
    pT->bPart = 1;
  }
  return pP;
}

void tsmTierRowsReset(TsmTierRows *pT){
  if( pT && pT->pStmt ){
    sqlite3_reset(pT->pStmt);
    pT->pStmt = 0;
  }
}

void tsmTierRowsClose(TsmTierRows *pT){
  int i;
  if( pT==0 ) return;
  for(i=0; i<3; i++) sqlite3_finalize(pT->aStmt[i]);
  sqlite3_free(pT);
}

/*
** The state rows of series iSeries, by resolution: xState once per row,
** with the defaults of TsmTier for NULL columns (bState 0; iDirty
** INT64_MAX, none; iDirtyTo done_ts-1 when dirty_to is NULL; iPruned
** INT64_MIN, none).  The row of resolution 0 is the raw samples' (only
** iPruned).  The tables of tiers must exist (tsmStoreHas).
*/
int tsmTierStateScan(TsmCtx *p, int64_t iSeries,
                     int (*xState)(void*, const TsmTier*), void *pArg){
  sqlite3_stmt *pStmt;
  int rc = rollupStmt(p, RSTMT_STATE_GET, &pStmt);
  if( rc ) return rc;
  sqlite3_bind_int64(pStmt, 1, iSeries);
  while( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ){
    TsmTier t;
    memset(&t, 0, sizeof(t));
    t.iRes = sqlite3_column_int64(pStmt, 0);
    t.iSrc = t.iPolicy = -1;
    t.iDirty = INT64_MAX;
    t.iPruned = INT64_MIN;
    if( t.iRes!=0 ){
      if( sqlite3_column_type(pStmt, 1)!=SQLITE_NULL ){
        t.bState = 1;
        t.iDone = sqlite3_column_int64(pStmt, 1);
      }
      if( sqlite3_column_type(pStmt, 2)!=SQLITE_NULL ){
        t.iDirty = sqlite3_column_int64(pStmt, 2);
        t.iDirtyTo = sqlite3_column_type(pStmt, 3)!=SQLITE_NULL
                   ? sqlite3_column_int64(pStmt, 3) : tsmAddSat(t.iDone, -1);
      }
    }
    if( sqlite3_column_type(pStmt, 4)!=SQLITE_NULL ){
      t.iPruned = sqlite3_column_int64(pStmt, 4);
    }
    rc = xState(pArg, &t);
  }
  return tsmReset(pStmt, rc);
}

/*
** The counter's last value before ts in tier iRes of iSeries: the last
** value of the newest bucket that ends by ts (*pbFound 0 when there is
** none, or its last is NULL).
*/
int tsmTierLastBefore(TsmCtx *p, int64_t iSeries, int64_t iRes, int64_t ts,
                      int *pbFound, double *pLast, int64_t *pTsLast){
  sqlite3_stmt *pStmt;
  int rc = rollupStmt(p, RSTMT_ROLLUP_BEFORE, &pStmt);
  *pbFound = 0;
  if( rc ) return rc;
  sqlite3_bind_int64(pStmt, 1, iSeries);
  sqlite3_bind_int64(pStmt, 2, iRes);
  sqlite3_bind_int64(pStmt, 3, ts);
  if( sqlite3_step(pStmt)==SQLITE_ROW
   && sqlite3_column_type(pStmt, 0)!=SQLITE_NULL ){
    *pbFound = 1;
    *pLast = sqlite3_column_double(pStmt, 0);
    *pTsLast = sqlite3_column_int64(pStmt, 1);
  }
  return sqlite3_reset(pStmt);
}

/**************************************************************************
** Runs: the state shared by the series of one tsm_downsample/tsm_prune.
*/
struct TsmRun {
  TsmCtx *p;
  TsmPolicies pol;
  int nSeries;
  TsmRunSeries *aSeries;     /* in series_id order */
  int64_t tsNewest;          /* newest sample of the store, INT64_MIN if none */
  int64_t tsNow;             /* min(wall clock, tsNewest) */
  TsmSeriesTiers tiers;      /* of the series last loaded */
  TsmReader *pReader;        /* raw samples */
  TsmTierRows *pTierRows;    /* buckets of a finer tier */
  TsmAgg acc;                /* TSM_AGG_INC|TSM_AGG_SKETCH, no carry */
  uint8_t *aSk;              /* sketch serialization, TSM_SKETCH_MAX_BYTES */
  TsmCols cols;              /* scratch for retention.c */
  char *zErr;                /* first error message, "tsm: ..." */
  int bNoState;              /* tsm_rollup_state was empty at the start */
  int nFoldMax;              /* new buckets per tier and fold; 0: no limit */
};

int tsmRunSeriesCount(TsmRun *pRun){ return pRun->nSeries; }
TsmRunSeries *tsmRunSeriesAt(TsmRun *pRun, int i){ return &pRun->aSeries[i]; }
const TsmPolicies *tsmRunPolicies(TsmRun *pRun){ return &pRun->pol; }
int64_t tsmRunNow(TsmRun *pRun){ return pRun->tsNow; }
int tsmRunNoState(TsmRun *pRun){ return pRun->bNoState; }
TsmCols *tsmRunCols(TsmRun *pRun){ return &pRun->cols; }
char **tsmRunErr(TsmRun *pRun){ return &pRun->zErr; }

void tsmRunClose(TsmRun *pRun){
  int i;
  if( pRun==0 ) return;
  for(i=0; i<pRun->nSeries; i++){
    sqlite3_free(pRun->aSeries[i].zMetric);
    sqlite3_free(pRun->aSeries[i].zCorrupt);
  }
  sqlite3_free(pRun->aSeries);
  tsmPoliciesFree(&pRun->pol);
  sqlite3_free(pRun->tiers.aTier);
  sqlite3_free(pRun->tiers.aOrphan);
  tsmReaderClose(pRun->pReader);
  tsmTierRowsClose(pRun->pTierRows);
  tsmAggFree(&pRun->acc);
  sqlite3_free(pRun->aSk);
  tsmColsFree(&pRun->cols);
  sqlite3_free(pRun->zErr);
  sqlite3_free(pRun);
}

/* tsmRunOpen's walk over the heads, beside the series (both in order). */
typedef struct RunHeads {
  TsmRun *pRun;
  int i;                     /* series at or before the current head */
  int bSkipCorrupt;
  char **pzErr;
  TsmCols head;
} RunHeads;

static int runHead(void *pArg, const TsmHeadRow *pRow){
  RunHeads *pH = (RunHeads*)pArg;
  TsmRun *pRun = pH->pRun;
  TsmRunSeries *pS;
  int rc;
  while( pH->i<pRun->nSeries && pRun->aSeries[pH->i].iSeries<pRow->iSeries ){
    pH->i++;
  }
  if( pH->i>=pRun->nSeries || pRun->aSeries[pH->i].iSeries!=pRow->iSeries ){
    return SQLITE_OK;
  }
  pS = &pRun->aSeries[pH->i];
  pS->bHead = 1;
  if( pRow->bSealed ){
    pS->bSealed = 1;
    pS->iSealedLast = pRow->iSealedLast;
    pS->tsNewest = pS->iSealedLast;
  }
  pS->nHeadBytes = pRow->nByte;
  if( pRow->n>0 && pS->nHeadBytes>0 ){
    rc = tsmHeadDecode(pRun->p, pRow, &pH->head,
                       pH->bSkipCorrupt ? &pS->zCorrupt : pH->pzErr);
    if( rc==SQLITE_CORRUPT && pH->bSkipCorrupt ) return SQLITE_OK;
    if( rc ) return rc;
    if( pH->head.n>0 ){
      pS->nHead = pH->head.n;
      pS->tsHeadFirst = pH->head.aTs[0];
      pS->tsNewest = pH->head.aTs[pH->head.n-1];
    }
  }
  if( pS->tsNewest>pRun->tsNewest ) pRun->tsNewest = pS->tsNewest;
  return SQLITE_OK;
}

/*
** Start a run: load the policies, every series with its head, and the
** store's now.  The store must exist.  With bSkipCorrupt (automatic
** maintenance), a head that does not decode does not fail the run: its
** series gets the message in zCorrupt, and the run leaves it alone.
*/
int tsmRunOpen(TsmCtx *p, int bSkipCorrupt, TsmRun **ppRun, char **pzErr){
  TsmRun *pRun = sqlite3_malloc(sizeof(*pRun));
  TsmSeriesScan *pScan = 0;
  int rc, nAlloc = 0, eFlags = 0;

  *ppRun = 0;
  if( pRun==0 ) return SQLITE_NOMEM;
  memset(pRun, 0, sizeof(*pRun));
  tsmAggInit(&pRun->acc, TSM_AGG_INC|TSM_AGG_SKETCH);
  pRun->p = p;
  pRun->tsNewest = INT64_MIN;
  rc = tsmRollupFlags(p, &eFlags);
  pRun->bNoState = (eFlags & TSM_ROLLUP_STATE)==0;
  if( rc==SQLITE_OK ) rc = tsmPoliciesLoad(p, &pRun->pol);
  if( rc==SQLITE_OK ){
    int n = pRun->pol.nRes>0 ? pRun->pol.nRes : 1;
    pRun->tiers.aTier = sqlite3_malloc64(sizeof(TsmTier)*n);
    if( pRun->tiers.aTier==0 ) rc = SQLITE_NOMEM;
  }

  /* Every series, in id order (store.c's registry). */
  if( rc==SQLITE_OK ) rc = tsmSeriesScanOpen(p, 0, 0, 0, 0, 1, &pScan);
  while( rc==SQLITE_OK ){
    const TsmSeriesRow *pRow = 0;
    TsmRunSeries *pS;
    rc = tsmSeriesScanNext(pScan, &pRow);
    if( rc || pRow==0 ) break;
    if( pRun->nSeries>=nAlloc ){
      int nNew = nAlloc ? nAlloc*2 : 64;
      TsmRunSeries *aNew = sqlite3_realloc64(pRun->aSeries,
                                             sizeof(TsmRunSeries)*nNew);
      if( aNew==0 ){ rc = SQLITE_NOMEM; break; }
      pRun->aSeries = aNew;
      nAlloc = nNew;
    }
    pS = &pRun->aSeries[pRun->nSeries];
    memset(pS, 0, sizeof(*pS));
    pS->iSeries = pRow->iSeries;
    pS->zMetric = sqlite3_mprintf("%s", pRow->zMetric);
    pS->tsNewest = INT64_MIN;
    pS->tsHeadFirst = INT64_MAX;
    if( pS->zMetric==0 ){ rc = SQLITE_NOMEM; break; }
    pRun->nSeries++;
  }
  tsmSeriesScanClose(pScan);

  /* Their heads: the newest sample of each series. */
  if( rc==SQLITE_OK ){
    RunHeads h;
    memset(&h, 0, sizeof(h));
    h.pRun = pRun;
    h.bSkipCorrupt = bSkipCorrupt;
    h.pzErr = pzErr;
    rc = tsmHeadScan(p, runHead, &h);
    tsmColsFree(&h.head);
  }

  /* Prometheus-style now: the newest sample, but never after the clock. */
  pRun->tsNow = tsmWallClock();
  if( pRun->tsNewest<pRun->tsNow ) pRun->tsNow = pRun->tsNewest;

  if( rc ){
    tsmRunClose(pRun);
    return rc;
  }
  *ppRun = pRun;
  return SQLITE_OK;
}

/* The index of series iSeries in the run, or -1. */
int tsmRunFind(TsmRun *pRun, int64_t iSeries){
  int lo = 0, hi = pRun->nSeries-1;
  while( lo<=hi ){
    int mid = (lo+hi)/2;
    if( pRun->aSeries[mid].iSeries==iSeries ) return mid;
    if( pRun->aSeries[mid].iSeries<iSeries ) lo = mid+1; else hi = mid-1;
  }
  return -1;
}

/* tsmRunTiers: one state row of the series, into its tier, the raw
** samples' row, or the orphans (tiers with state but no policy). */
static int runTierState(void *pArg, const TsmTier *pState){
  TsmSeriesTiers *pT = (TsmSeriesTiers*)pArg;
  TsmTier *pTier = 0;
  int i;
  if( pState->iRes==0 ){
    if( pState->iPruned!=INT64_MIN ) pT->iRawPruned = pState->iPruned;
    return SQLITE_OK;
  }
  for(i=0; i<pT->nTier; i++){
    if( pT->aTier[i].iRes==pState->iRes ){ pTier = &pT->aTier[i]; break; }
  }
  if( pTier==0 ){
    if( pT->nOrphan>=pT->nOrphanAlloc ){
      int nNew = pT->nOrphanAlloc ? pT->nOrphanAlloc*2 : 8;
      int64_t *aNew = sqlite3_realloc64(pT->aOrphan, sizeof(int64_t)*nNew);
      if( aNew==0 ) return SQLITE_NOMEM;
      pT->aOrphan = aNew;
      pT->nOrphanAlloc = nNew;
    }
    pT->aOrphan[pT->nOrphan++] = pState->iRes;
    return SQLITE_OK;
  }
  pTier->bState = pState->bState;
  pTier->iDone = pState->iDone;
  pTier->iDirty = pState->iDirty;
  pTier->iDirtyTo = pState->iDirtyTo;
  pTier->iPruned = pState->iPruned;
  return SQLITE_OK;
}

/*
** Load the tiers of series pS (policies that match its metric) with their
** sources and state.  The result stays valid until the next call.
*/
int tsmRunTiers(TsmRun *pRun, TsmRunSeries *pS, TsmSeriesTiers **ppTiers){
  TsmSeriesTiers *pT = &pRun->tiers;
  const TsmPolicies *pPol = &pRun->pol;
  int i, j;

  pT->nTier = 0;
  pT->nOrphan = 0;
  pT->iRawPruned = INT64_MIN;
  pT->iRawPolicy = tsmPolicyFor(pPol, pS->zMetric, 0);
  for(i=0; i<pPol->nRes; i++){
    int iPol = tsmPolicyFor(pPol, pS->zMetric, pPol->aRes[i]);
    TsmTier *pTier;
    if( iPol<0 ) continue;
    pTier = &pT->aTier[pT->nTier];
    memset(pTier, 0, sizeof(*pTier));
    pTier->iRes = pPol->aRes[i];
    pTier->iPolicy = iPol;
    pTier->iSrc = -1;
    pTier->iDirty = INT64_MAX;
    pTier->iPruned = INT64_MIN;
    /* Source: the coarsest finer tier whose width divides this one. */
    for(j=pT->nTier-1; j>=0; j--){
      if( pTier->iRes % pT->aTier[j].iRes==0 ){ pTier->iSrc = j; break; }
    }
    pT->nTier++;
  }

  *ppTiers = pT;
  if( pT->nTier==0 && pRun->bNoState ) return SQLITE_OK;  /* nothing to load */
  return tsmTierStateScan(pRun->p, pS->iSeries, runTierState, pT);
}

/* Drop tier iRes of a series (no policy declares it any more): its
** buckets, then its state row. */
int tsmRunDropTier(TsmRun *pRun, int64_t iSeries, int64_t iRes){
  sqlite3_stmt *pStmt;
  int rc = tsmRunDeleteBuckets(pRun, iSeries, iRes, INT64_MIN, INT64_MAX, 0);
  if( rc==SQLITE_OK ) rc = rollupStmt(pRun->p, RSTMT_STATE_DELETE, &pStmt);
  if( rc==SQLITE_OK ){
    sqlite3_bind_int64(pStmt, 1, iSeries);
    sqlite3_bind_int64(pStmt, 2, iRes);
    rc = tsmStmtRun(pStmt);
  }
  return rc;
}

/* *pbAny: has series iSeries a bucket in some tier? */
int tsmRollupAny(TsmCtx *p, int64_t iSeries, int *pbAny){
  sqlite3_stmt *pStmt;
  int rc = rollupStmt(p, RSTMT_ROLLUP_ANY, &pStmt);
  *pbAny = 0;
  if( rc ) return rc;
  sqlite3_bind_int64(pStmt, 1, iSeries);
  if( sqlite3_step(pStmt)==SQLITE_ROW ) *pbAny = 1;
  return sqlite3_reset(pStmt);
}

/*
** What the tiers hold, for retention.c (tsm_retention's status columns and
** the max_bytes cuts): a bucket counts TSM_BUCKET_BYTES plus its sketch.
** tsmRollupUsage: xTier once per series and tier, with its buckets, their
** bytes and the oldest bucket.  tsmRollupBuckets: xBucket once per bucket
** of tier iRes, with its series, ts+1 and bytes.  A callback that fails
** stops the scan with its error.
*/
int tsmRollupUsage(TsmCtx *p, int (*xTier)(void*, int64_t iSeries,
                   int64_t iRes, int64_t nBucket, int64_t nByte,
                   int64_t tsOldest), void *pArg){
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(p->db,
      "SELECT series_id, resolution, count(*), total(length(sketch)), min(ts)"
      " FROM main.tsm_rollup GROUP BY series_id, resolution", -1, &pStmt, 0);
  while( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ){
    int64_t nBucket = sqlite3_column_int64(pStmt, 2);
    rc = xTier(pArg, sqlite3_column_int64(pStmt, 0),
               sqlite3_column_int64(pStmt, 1), nBucket,
               TSM_BUCKET_BYTES*nBucket + sqlite3_column_int64(pStmt, 3),
               sqlite3_column_int64(pStmt, 4));
  }
  return tsmFinalize(&pStmt, rc);
}
int tsmRollupBuckets(TsmCtx *p, int64_t iRes, int (*xBucket)(void*,
                     int64_t iSeries, int64_t tsEnd, int64_t nByte),
                     void *pArg){
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(p->db, "SELECT series_id, ts+1, length(sketch)"
      " FROM main.tsm_rollup WHERE resolution=?1", -1, &pStmt, 0);
  if( rc==SQLITE_OK ) sqlite3_bind_int64(pStmt, 1, iRes);
  while( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ){
    int64_t nByte = 0;         /* (no sketch: not counted, as ever) */
    if( sqlite3_column_type(pStmt, 2)!=SQLITE_NULL ){
      nByte = TSM_BUCKET_BYTES + sqlite3_column_int64(pStmt, 2);
    }
    rc = xBucket(pArg, sqlite3_column_int64(pStmt, 0),
                 sqlite3_column_int64(pStmt, 1), nByte);
  }
  return tsmFinalize(&pStmt, rc);
}

/* Write the state row of tier pTier (or of raw samples when pTier is 0). */
int tsmRunStatePut(TsmRun *pRun, int64_t iSeries, const TsmTier *pTier,
                   int64_t iRawPruned){
  sqlite3_stmt *pStmt;
  int rc = rollupStmt(pRun->p, RSTMT_STATE_PUT, &pStmt);
  if( rc ) return rc;
  sqlite3_bind_int64(pStmt, 1, iSeries);
  if( pTier ){
    sqlite3_bind_int64(pStmt, 2, pTier->iRes);
    if( pTier->bState ) sqlite3_bind_int64(pStmt, 3, pTier->iDone);
    if( pTier->iDirty!=INT64_MAX ){
      sqlite3_bind_int64(pStmt, 4, pTier->iDirty);
      sqlite3_bind_int64(pStmt, 5, pTier->iDirtyTo);
    }
    if( pTier->iPruned!=INT64_MIN ) sqlite3_bind_int64(pStmt, 6, pTier->iPruned);
  }else{
    sqlite3_bind_int64(pStmt, 2, 0);
    sqlite3_bind_int64(pStmt, 6, iRawPruned);
  }
  rc = tsmStmtRun(pStmt);
  if( pTier ) doneCacheClear(pRun->p);   /* watermarks moved */
  if( rc==SQLITE_OK && pTier && pRun->p->eRollup ){
    pRun->p->eRollup |= TSM_ROLLUP_STATE;      /* known: now true */
  }
  return rc;
}

/* Oldest raw sample of a series, or INT64_MAX. */
int tsmRunRawOldest(TsmRun *pRun, TsmRunSeries *pS, int64_t *pTs){
  int64_t tFirst, tLast;
  int rc = tsmChunkNth(pRun->p, pS->iSeries, 0, &tFirst, &tLast);
  *pTs = tFirst<pS->tsHeadFirst ? tFirst : pS->tsHeadFirst;
  return rc;
}

/* Oldest bucket of one tier of a series, or INT64_MAX. */
int tsmRunTierOldest(TsmRun *pRun, int64_t iSeries, int64_t iRes,
                     int64_t *pTs){
  sqlite3_stmt *pStmt;
  int rc = rollupStmt(pRun->p, RSTMT_ROLLUP_OLDEST, &pStmt);
  *pTs = INT64_MAX;
  if( rc ) return rc;
  sqlite3_bind_int64(pStmt, 1, iSeries);
  sqlite3_bind_int64(pStmt, 2, iRes);
  if( sqlite3_step(pStmt)==SQLITE_ROW
   && sqlite3_column_type(pStmt, 0)!=SQLITE_NULL ){
    *pTs = sqlite3_column_int64(pStmt, 0);
  }
  return sqlite3_reset(pStmt);
}

/* Delete the buckets [a, b) of one tier of a series; *pn: how many. */
int tsmRunDeleteBuckets(TsmRun *pRun, int64_t iSeries, int64_t iRes,
                        int64_t a, int64_t b, int64_t *pn){
  sqlite3_stmt *pStmt;
  int rc = rollupStmt(pRun->p, RSTMT_ROLLUP_DELETE_RANGE, &pStmt);
  if( rc ) return rc;
  sqlite3_bind_int64(pStmt, 1, iSeries);
  sqlite3_bind_int64(pStmt, 2, iRes);
  sqlite3_bind_int64(pStmt, 3, a);
  sqlite3_bind_int64(pStmt, 4, b);
  rc = tsmStmtRun(pStmt);
  if( pn ) *pn += sqlite3_changes(pRun->p->db);
  return rc;
}

/*
** Write the bucket in pRun->acc (if it holds a sample).  With pCursor, the
** fold is a refold: buckets between *pCursor and this one are stale and
** deleted first, and *pCursor moves past this bucket.
*/
static int runEmit(TsmRun *pRun, int64_t iSeries, int64_t iRes,
                   int64_t *pCursor, int *pnBucket){
  TsmAgg *pA = &pRun->acc;
  sqlite3_stmt *pStmt;
  int rc = SQLITE_OK, nByte;
  if( pA->n==0 ) return SQLITE_OK;
  if( pCursor ){
    if( *pCursor<pA->b ){
      rc = tsmRunDeleteBuckets(pRun, iSeries, iRes, *pCursor, pA->b, 0);
    }
    *pCursor = pA->b + iRes;
  }
  if( rc ) return rc;
  if( pRun->aSk==0 ){
    pRun->aSk = sqlite3_malloc(TSM_SKETCH_MAX_BYTES);
    if( pRun->aSk==0 ) return SQLITE_NOMEM;
  }
  nByte = tsmSketchSerialize(&pA->sk, pRun->aSk, TSM_SKETCH_MAX_BYTES);
  if( nByte<0 ) return SQLITE_ERROR;
  rc = rollupStmt(pRun->p, RSTMT_ROLLUP_INSERT, &pStmt);
  if( rc ) return rc;
  sqlite3_bind_int64(pStmt, 1, iSeries);
  sqlite3_bind_int64(pStmt, 2, iRes);
  sqlite3_bind_int64(pStmt, 3, pA->b);
  sqlite3_bind_int64(pStmt, 4, pA->n);
  tsmBindReal(pStmt, 5, pA->sum);
  tsmBindReal(pStmt, 6, pA->min);
  tsmBindReal(pStmt, 7, pA->max);
  tsmBindReal(pStmt, 8, pA->first);
  tsmBindReal(pStmt, 9, pA->last);
  sqlite3_bind_int64(pStmt, 10, pA->tsFirst);
  sqlite3_bind_int64(pStmt, 11, pA->tsLast);
  tsmBindReal(pStmt, 12, pA->inc);
  sqlite3_bind_blob(pStmt, 13, pRun->aSk, nByte, SQLITE_STATIC);
  rc = tsmStmtRun(pStmt);
  if( rc==SQLITE_OK ) (*pnBucket)++;
  return rc;
}

/* Fold the raw samples of [a, b) into buckets of width r. */
static int runFoldRaw(TsmRun *pRun, TsmRunSeries *pS, int64_t r,
                      int64_t a, int64_t b, int bRefold, int *pnBucket){
  TsmAgg *pA = &pRun->acc;
  int64_t iCursor = a;
  int64_t *pCursor = bRefold ? &iCursor : 0;
  const TsmCols *pC = 0;
  int rc = SQLITE_OK, i;

  if( pRun->pReader==0 ){
    rc = tsmReaderOpen(pRun->p, &pRun->pReader);
    if( rc ) return rc;
  }
  tsmReaderSeek(pRun->pReader, pS->iSeries, a, b-1);
  tsmAggStart(pA, INT64_MIN);
  while( rc==SQLITE_OK ){
    rc = tsmReaderNext(pRun->pReader, &pC, &pRun->zErr);
    if( rc || pC==0 ) break;
    for(i=0; rc==SQLITE_OK && i<pC->n; i++){
      double v = pC->aVal[i];
      int64_t t;
      if( isnan(v) ) continue;
      t = tsmBucketOf(pC->aTs[i], r);
      if( t!=pA->b ){
        rc = runEmit(pRun, pS->iSeries, r, pCursor, pnBucket);
        tsmAggStart(pA, t);
      }
      if( rc==SQLITE_OK ) rc = sketchRc(tsmAggAdd(pA, pC->aTs[i], v));
    }
  }
  if( rc==SQLITE_OK ) rc = runEmit(pRun, pS->iSeries, r, pCursor, pnBucket);
  if( rc==SQLITE_OK && bRefold && iCursor<b ){
    rc = tsmRunDeleteBuckets(pRun, pS->iSeries, r, iCursor, b, 0);
  }
  return rc;
}

/* Fold the buckets of tier iSrcRes in [a, b) into buckets of width r. */
static int runFoldTier(TsmRun *pRun, TsmRunSeries *pS, int64_t r,
                       int64_t iSrcRes, int64_t a, int64_t b, int bRefold,
                       int *pnBucket){
  TsmAgg *pA = &pRun->acc;
  int64_t iCursor = a;
  int64_t *pCursor = bRefold ? &iCursor : 0;
  const TsmTierRow *pRow = 0;
  int rc = SQLITE_OK;

  /* The cursor stays open while buckets are written (to another
  ** resolution): it has statements of its own. */
  if( pRun->pTierRows==0 ) rc = tsmTierRowsOpen(pRun->p, 1, &pRun->pTierRows);
  if( rc==SQLITE_OK ){
    rc = tsmTierRowsSeek(pRun->pTierRows, pS->iSeries, iSrcRes, a, b-1);
  }
  tsmAggStart(pA, INT64_MIN);
  while( rc==SQLITE_OK ){
    int64_t t;
    rc = tsmTierRowsNext(pRun->pTierRows, &pRow);
    if( rc || pRow==0 ) break;
    t = tsmBucketOf(pRow->ts, r);
    if( t!=pA->b ){
      rc = runEmit(pRun, pS->iSeries, r, pCursor, pnBucket);
      tsmAggStart(pA, t);
    }
    if( rc==SQLITE_OK ){
      rc = sketchRc(tsmAggMerge(pA, tsmTierRowsPart(pRun->pTierRows)));
      if( rc==SQLITE_CORRUPT ){
        pRun->zErr = tsmErrMsg("corrupt sketch in the %lld ms "
            "rollup of series %lld at %lld", (long long)iSrcRes,
            (long long)pS->iSeries, (long long)pRow->ts);
      }
    }
  }
  if( pRun->pTierRows ) tsmTierRowsReset(pRun->pTierRows);
  if( rc==SQLITE_OK ) rc = runEmit(pRun, pS->iSeries, r, pCursor, pnBucket);
  if( rc==SQLITE_OK && bRefold && iCursor<b ){
    rc = tsmRunDeleteBuckets(pRun, pS->iSeries, r, iCursor, b, 0);
  }
  return rc;
}

/* A range of buckets to fold: [a, b); bRefold: buckets may exist there. */
typedef struct Range { int64_t a, b; int bRefold; } Range;

static void rangeAdd(Range *aR, int *pnR, int64_t a, int64_t b, int bRefold){
  if( a<b ){
    aR[*pnR].a = a;
    aR[*pnR].b = b;
    aR[*pnR].bRefold = bRefold;
    (*pnR)++;
  }
}

/*
** Bring tier k of series pS up to date.
**   iUpTo      fold no bucket that starts at or after the bucket holding
**              iUpTo (INT64_MAX: no limit)
**   bRebuild   refold [iFrom, iTo) as well (tsm_downsample(res, a, b))
** The work is up to three ranges: the rebuild, the buckets of late samples
** ([dirty_from, dirty_to]) and the new complete buckets [done_ts, E).
*/
static int runTier(TsmRun *pRun, TsmRunSeries *pS, int k, int64_t iUpTo,
                   int bRebuild, int64_t iFrom, int64_t iTo, int *pnBucket){
  TsmSeriesTiers *pT = &pRun->tiers;
  TsmTier *pTier = &pT->aTier[k];
  const TsmTier *pSrc = pTier->iSrc>=0 ? &pT->aTier[pTier->iSrc] : 0;
  int64_t r = pTier->iRes;
  int64_t E, iCov, iOldest = INT64_MAX, iDoneNew;
  int bFromRaw = pSrc==0;
  int rc = SQLITE_OK, nR = 0, i, j;
  Range aR[3];

  /* E: buckets before E are complete. */
  if( pSrc==0 ){
    int64_t hi = pS->tsNewest==INT64_MIN ? INT64_MIN
                                          : tsmAddSat(pS->tsNewest, 1);
    if( pRun->tsNow!=INT64_MIN && pRun->tsNow>hi ) hi = pRun->tsNow;
    if( hi==INT64_MIN ) return SQLITE_OK;        /* an empty store */
    E = tsmBucketOf(hi, r);
  }else{
    if( !pSrc->bState ) return SQLITE_OK;        /* nothing to fold yet */
    E = tsmBucketOf(pSrc->iDone, r);
  }
  if( iUpTo!=INT64_MAX && tsmBucketUp(iUpTo, r)<E ) E = tsmBucketUp(iUpTo, r);

  /* A fresh tier, or a rebuild, reads the source that reaches furthest
  ** back: the designated finer tier, or raw samples if they are older. */
  if( !pTier->bState || bRebuild ){
    int64_t iRawOldest;
    rc = tsmRunRawOldest(pRun, pS, &iRawOldest);
    if( rc==SQLITE_OK && pSrc ){
      rc = tsmRunTierOldest(pRun, pS->iSeries, pSrc->iRes, &iOldest);
      if( rc==SQLITE_OK && iRawOldest<iOldest ){
        bFromRaw = 1;
        iOldest = iRawOldest;
      }
    }else{
      iOldest = iRawOldest;
    }
    if( rc ) return rc;
  }

  if( !pTier->bState ){
    int64_t iHave;
    if( iOldest==INT64_MAX ) return SQLITE_OK;   /* no data */
    {
      int64_t a = tsmBucketOf(iOldest, r);
      if( pRun->nFoldMax>0 && E>a
       && (uint64_t)E-(uint64_t)a>(uint64_t)pRun->nFoldMax*(uint64_t)r ){
        E = tsmAddSat(a, pRun->nFoldMax*r);       /* the rest next time */
      }
      if( E<=a ) return SQLITE_OK;                /* none complete yet */
    }
    /* Buckets left behind without state (there should be none) would be
    ** stale: fold in refold mode then. */
    rc = tsmRunTierOldest(pRun, pS->iSeries, r, &iHave);
    if( rc ) return rc;
    rangeAdd(aR, &nR, tsmBucketOf(iOldest, r), E, iHave!=INT64_MAX);
    iDoneNew = E;
  }else{
    if( bRebuild ){
      int64_t a = iFrom==INT64_MIN ? INT64_MIN : tsmBucketOf(iFrom, r);
      int64_t b = iTo==INT64_MAX ? E : tsmBucketUp(iTo, r);
      if( iOldest!=INT64_MAX && tsmBucketOf(iOldest, r)>a ) a = tsmBucketOf(iOldest, r);
      if( b>E ) b = E;
      rangeAdd(aR, &nR, a, b, 1);
    }
    if( pTier->iDirty!=INT64_MAX ){
      int64_t b = pTier->iDirtyTo>=tsmAddSat(pTier->iDone, -1) ? pTier->iDone
                  : tsmBucketUp(tsmAddSat(pTier->iDirtyTo, 1), r);
      rangeAdd(aR, &nR, tsmBucketOf(pTier->iDirty, r), b, 1);
    }
    if( pRun->nFoldMax>0 && E>pTier->iDone
     && (uint64_t)E-(uint64_t)pTier->iDone
        >(uint64_t)pRun->nFoldMax*(uint64_t)r ){
      E = tsmAddSat(pTier->iDone, pRun->nFoldMax*r);  /* the rest next time */
    }
    rangeAdd(aR, &nR, pTier->iDone, E, 0);
    iDoneNew = E>pTier->iDone ? E : pTier->iDone;
  }

  /* Never refold what the source no longer has. */
  iCov = bFromRaw ? pT->iRawPruned : pSrc->iPruned;
  if( iCov!=INT64_MIN ){
    for(i=0; i<nR; i++){
      if( tsmBucketUp(iCov, r)>aR[i].a ) aR[i].a = tsmBucketUp(iCov, r);
    }
  }

  /* Sort the ranges (at most three), merge those that touch, fold. */
  for(i=0; i<nR; i++){
    for(j=i+1; j<nR; j++){
      if( aR[j].a<aR[i].a ){ Range t = aR[i]; aR[i] = aR[j]; aR[j] = t; }
    }
  }
  for(i=0, j=0; i<nR; i++){
    if( aR[i].a>=aR[i].b ) continue;
    if( j>0 && aR[i].a<=aR[j-1].b ){
      if( aR[i].b>aR[j-1].b ) aR[j-1].b = aR[i].b;
      aR[j-1].bRefold |= aR[i].bRefold;
    }else{
      aR[j++] = aR[i];
    }
  }
  nR = j;
  for(i=0; rc==SQLITE_OK && i<nR; i++){
    if( bFromRaw ){
      rc = runFoldRaw(pRun, pS, r, aR[i].a, aR[i].b, aR[i].bRefold, pnBucket);
    }else{
      rc = runFoldTier(pRun, pS, r, pSrc->iRes, aR[i].a, aR[i].b,
                       aR[i].bRefold, pnBucket);
    }
    /* Coarser tiers must fold a refolded range again. */
    for(j=k+1; rc==SQLITE_OK && aR[i].bRefold && j<pT->nTier; j++){
      TsmTier *pUp = &pT->aTier[j];
      int64_t b;
      if( !pUp->bState || pUp->iDone<=aR[i].a ) continue;
      b = tsmAddSat(aR[i].b<pUp->iDone ? aR[i].b : pUp->iDone, -1);
      if( pUp->iDirty==INT64_MAX ){
        pUp->iDirty = aR[i].a;
        pUp->iDirtyTo = b;
      }else{
        if( aR[i].a<pUp->iDirty ) pUp->iDirty = aR[i].a;
        if( b>pUp->iDirtyTo ) pUp->iDirtyTo = b;
      }
    }
  }
  if( rc ) return rc;

  if( pTier->bState && iDoneNew==pTier->iDone && pTier->iDirty==INT64_MAX ){
    return SQLITE_OK;
  }
  pTier->bState = 1;
  pTier->iDone = iDoneNew;
  pTier->iDirty = INT64_MAX;
  return tsmRunStatePut(pRun, pS->iSeries, pTier, 0);
}

/*
** Bring every tier of series pS up to date, folding nothing at or after
** the bucket that holds iUpTo (INT64_MAX: everything complete).  With
** iRebuildRes > 0, refold that tier over [iFrom, iTo) first.
*/
int tsmRunDownsample(TsmRun *pRun, TsmRunSeries *pS, int64_t iUpTo,
                     int64_t iRebuildRes, int64_t iFrom, int64_t iTo,
                     int *pnBucket){
  TsmSeriesTiers *pT;
  int rc = tsmRunTiers(pRun, pS, &pT), k;
  for(k=0; rc==SQLITE_OK && k<pT->nTier; k++){
    int bRebuild = pT->aTier[k].iRes==iRebuildRes;
    rc = runTier(pRun, pS, k, iUpTo, bRebuild, iFrom, iTo, pnBucket);
  }
  return rc;
}

/* Bring every tier of pS up to date, its tiers being those that the last
** tsmRunTiers() call loaded for it (automatic maintenance). */
int tsmRunFold(TsmRun *pRun, TsmRunSeries *pS, int *pnBucket){
  int rc = SQLITE_OK, k;
  for(k=0; rc==SQLITE_OK && k<pRun->tiers.nTier; k++){
    rc = runTier(pRun, pS, k, INT64_MAX, 0, 0, 0, pnBucket);
  }
  return rc;
}

/* Fold at most nBucket new buckets per tier and call (0: no limit), so
** that a tier far behind catches up over several runs. */
void tsmRunFoldLimit(TsmRun *pRun, int nBucket){
  pRun->nFoldMax = nBucket;
}

/**************************************************************************
** SQL functions
*/

/*
** tsm_downsample([resolution [, start [, end]]]): bring every tier up to
** date; with a resolution, rebuild that tier over [start, end) first.
** Returns the number of buckets written.
*/
void tsmDownsampleFunc(sqlite3_context *ctx, int argc,
                           sqlite3_value **argv){
  TsmCtx *p = sqlite3_user_data(ctx);
  TsmRun *pRun = 0;
  char *zErr = 0;
  int64_t iRes = 0, iFrom = INT64_MIN, iTo = INT64_MAX;
  int rc = SQLITE_OK, bExists = 0, bOwn = 0, nBucket = 0, i;

  if( argc>0 ){
    rc = tsmResolutionFromValue(argv[0], 0, &iRes, &zErr);
    if( rc==SQLITE_OK && argc>1 && sqlite3_value_type(argv[1])!=SQLITE_NULL ){
      rc = tsmTsFromValue(argv[1], "start", &iFrom, &zErr);
    }
    if( rc==SQLITE_OK && argc>2 && sqlite3_value_type(argv[2])!=SQLITE_NULL ){
      rc = tsmTsFromValue(argv[2], "end", &iTo, &zErr);
    }
    if( rc==SQLITE_OK && iFrom>=iTo ){
      zErr = tsmErrMsg("invalid range: start must be before end");
      rc = SQLITE_ERROR;
    }
    if( rc ){ tsmResultError(ctx, p, rc, zErr); return; }
  }
  if( p->bPruning ){
    tsmErr(ctx, "tsm_downsample() cannot run inside tsm_downsample() or "
           "tsm_prune()");
    return;
  }
  rc = tsmTxnBegin(p, &bOwn);
  if( rc==SQLITE_OK ) rc = tsmStoreFlush(p, 0, &zErr);
  if( rc==SQLITE_OK ) rc = tsmStoreReady(p, 0, &bExists, &zErr);
  p->bPruning = 1;
  if( rc==SQLITE_OK && bExists ){
    rc = tsmRunOpen(p, 0, &pRun, &zErr);
    if( rc==SQLITE_OK && iRes>0 ){
      for(i=0; i<pRun->pol.nRes && pRun->pol.aRes[i]!=iRes; i++){}
      if( i==pRun->pol.nRes ){
        char zRes[TSM_DURATION_BUF];
        tsmDurationFormat(iRes, zRes);
        zErr = tsmErrMsg("invalid resolution \"%s\": no policy "
            "in tsm_retention declares this rollup tier", zRes);
        rc = SQLITE_ERROR;
      }
    }
    for(i=0; rc==SQLITE_OK && pRun->pol.nRes>0 && i<pRun->nSeries; i++){
      rc = tsmRunDownsample(pRun, &pRun->aSeries[i], INT64_MAX, iRes,
                            iFrom, iTo, &nBucket);
    }
    if( rc && zErr==0 && pRun && pRun->zErr ){
      zErr = pRun->zErr;
      pRun->zErr = 0;
    }
    tsmRunClose(pRun);
  }
  p->bPruning = 0;
  tsmErrFromDb(p, rc, &zErr);        /* before the ROLLBACK resets it */
  rc = tsmTxnEnd(p, bOwn, rc);
  if( rc ){ tsmResultError(ctx, p, rc, zErr); return; }
  sqlite3_result_int(ctx, nBucket);
}

/* The sketch argument: NULL, or a valid sketch merged into *pSk. */
static int sketchArg(sqlite3_context *ctx, sqlite3_value *pVal,
                     TsmSketch *pSk){
  int rc;
  if( sqlite3_value_type(pVal)==SQLITE_NULL ) return SQLITE_OK;
  if( sqlite3_value_type(pVal)!=SQLITE_BLOB ){
    tsmErr(ctx, "invalid sketch: must be a BLOB from the sketch column of "
           "tsm_rollups or tsm_query, or NULL");
    return SQLITE_ERROR;
  }
  rc = tsmSketchDeserialize(pSk, sqlite3_value_blob(pVal),
                            (size_t)sqlite3_value_bytes(pVal));
  if( rc==TSM_SKETCH_NOMEM ){
    sqlite3_result_error_nomem(ctx);
    return SQLITE_NOMEM;
  }
  if( rc ){
    tsmErr(ctx, "invalid sketch: %s", tsmSketchErrstr(rc));
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

/* tsm_quantile(sketch, q): the q-quantile (lower nearest rank), within 1%;
** NULL for a NULL or empty sketch. */
void tsmQuantileFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  TsmSketch sk;
  double q, v;
  int eType = sqlite3_value_numeric_type(argv[1]);
  (void)argc;
  if( eType!=SQLITE_INTEGER && eType!=SQLITE_FLOAT ){
    tsmErr(ctx, "invalid q: must be a number between 0 and 1");
    return;
  }
  q = sqlite3_value_double(argv[1]);
  if( !(q>=0.0 && q<=1.0) ){
    tsmErr(ctx, "invalid q %g: must be between 0 and 1", q);
    return;
  }
  tsmSketchInit(&sk);
  if( sketchArg(ctx, argv[0], &sk)==SQLITE_OK ){
    v = tsmSketchQuantile(&sk, q);
    if( !isnan(v) ) sqlite3_result_double(ctx, v);
  }
  tsmSketchFree(&sk);
}

/* tsm_rank(sketch, x): the fraction of the values counted that are <= x
** (sketch.h: values in the bucket of x count too); NULL for a NULL or
** empty sketch or a NULL x. */
void tsmRankFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  TsmSketch sk;
  double r;
  int eType = sqlite3_value_numeric_type(argv[1]);
  (void)argc;
  if( eType==SQLITE_NULL ) return;
  if( eType!=SQLITE_INTEGER && eType!=SQLITE_FLOAT ){
    tsmErr(ctx, "invalid x: must be a number");
    return;
  }
  tsmSketchInit(&sk);
  if( sketchArg(ctx, argv[0], &sk)==SQLITE_OK ){
    r = tsmSketchRank(&sk, sqlite3_value_double(argv[1]));
    if( !isnan(r) ) sqlite3_result_double(ctx, r);
  }
  tsmSketchFree(&sk);
}

/* tsm_sketch_merge(sketch): aggregate, the sketch of every value counted
** by the sketches merged (NULLs skipped; NULL when there is none). */
typedef struct MergeCtx { TsmSketch sk; int bAny; } MergeCtx;

void tsmSketchMergeStep(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  MergeCtx *pM = sqlite3_aggregate_context(ctx, sizeof(*pM));
  (void)argc;
  if( pM==0 ){ sqlite3_result_error_nomem(ctx); return; }
  if( sqlite3_value_type(argv[0])==SQLITE_NULL ) return;
  if( sketchArg(ctx, argv[0], &pM->sk)==SQLITE_OK ) pM->bAny = 1;
}

void tsmSketchMergeFinal(sqlite3_context *ctx){
  MergeCtx *pM = sqlite3_aggregate_context(ctx, 0);
  if( pM==0 ) return;
  if( pM->bAny ){
    int n = tsmSketchSerializedSize(&pM->sk);
    uint8_t *a = sqlite3_malloc(n);
    if( a==0 ){
      sqlite3_result_error_nomem(ctx);
    }else{
      tsmSketchSerialize(&pM->sk, a, (size_t)n);
      sqlite3_result_blob(ctx, a, n, sqlite3_free);
    }
  }
  tsmSketchFree(&pM->sk);
}

