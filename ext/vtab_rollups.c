/* SPDX-License-Identifier: MIT */
/*
** vtab_rollups.c -- the tsm_rollups eponymous virtual table (read only).
**
**   SELECT ts, count, avg, max, tsm_quantile(sketch, 0.99) FROM tsm_rollups
**    WHERE metric = 'api_latency_ms' AND resolution = '1m'
**      AND ts >= 1767225600000;
**
** One row per bucket of table tsm_rollup, read through rollup.c's
** TsmTierRows cursor, series by series from store.c's registry
** (TsmSeriesScan):
**   series_id, metric, labels, resolution (TEXT like '1m'), ts (bucket
**   start), count, sum, min, max, avg, first, last, sketch
** and the hidden columns increase (counter increase between the first and
** the last sample of the bucket, resets counted from 0), first_ts, last_ts.
** Rows come out by (series_id, resolution, ts).  The table shows what
** tsm_downsample() has written; it does not fold anything itself.
**
** xBestIndex: idxStr holds one letter per argument passed to xFilter:
**   'S' series_id =    'M' metric =    'R' resolution = (TEXT like '1m' or
**   INTEGER ms; SQLite does not check it again, the text may differ)
**   '>' ts >   'G' ts >=   '<' ts <   'L' ts <=   '=' ts =
** Only 'R' is omitted: SQLite checks the others again, so xFilter narrows
** the rows by them where it can and may return more.
*/
#include "tsm.h"
#include <string.h>
#include <math.h>

enum { COL_SERIES, COL_METRIC, COL_LABELS, COL_RES, COL_TS, COL_COUNT,
       COL_SUM, COL_MIN, COL_MAX, COL_AVG, COL_FIRST, COL_LAST, COL_SKETCH,
       COL_INCREASE, COL_FIRST_TS, COL_LAST_TS };

typedef struct RollupsCursor {
  sqlite3_vtab_cursor base;
  TsmCtx *p;
  TsmSeriesScan *pSeries;    /* store.c: the series to visit */
  const TsmSeriesRow *pSer;  /* the current one */
  TsmTierRows *pRows;        /* rollup.c: its buckets */
  const TsmTierRow *pRow;    /* the current one */
  int64_t iRes;              /* resolution =, or 0: every tier */
  int64_t lo, hi;            /* ts range */
  int bEof;
  sqlite3_int64 iRowid;
} RollupsCursor;

static int rollupsConnect(sqlite3 *db, void *pAux, int argc,
                          const char *const *argv, sqlite3_vtab **ppVtab,
                          char **pzErr){
  (void)argc; (void)argv; (void)pzErr;
  return tsmVtabConnect(db, pAux,
      "CREATE TABLE x(series_id INTEGER, metric TEXT, labels TEXT, "
      "resolution TEXT, ts INTEGER, count INTEGER, sum REAL, min REAL, "
      "max REAL, avg REAL, first REAL, last REAL, sketch BLOB, "
      "increase REAL HIDDEN, first_ts INTEGER HIDDEN, "
      "last_ts INTEGER HIDDEN)", ppVtab);
}

static int rollupsDisconnect(sqlite3_vtab *pVtab){
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

static int rollupsBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo){
  char zIdx[32];
  int nIdx = 0, i, nArg = 0;
  double nRows = 1e6;
  (void)pVtab;
  for(i=0; i<pInfo->nConstraint && nIdx<(int)sizeof(zIdx)-1; i++){
    const struct sqlite3_index_constraint *pC = &pInfo->aConstraint[i];
    char c = 0;
    if( !pC->usable ) continue;
    switch( pC->iColumn ){
      case COL_SERIES:
        if( pC->op==SQLITE_INDEX_CONSTRAINT_EQ ){ c = 'S'; nRows /= 100; }
        break;
      case COL_METRIC:
        if( pC->op==SQLITE_INDEX_CONSTRAINT_EQ ){ c = 'M'; nRows /= 20; }
        break;
      case COL_RES:
        if( pC->op==SQLITE_INDEX_CONSTRAINT_EQ ){ c = 'R'; nRows /= 3; }
        break;
      case COL_TS:
        switch( pC->op ){
          case SQLITE_INDEX_CONSTRAINT_GT: c = '>'; break;
          case SQLITE_INDEX_CONSTRAINT_GE: c = 'G'; break;
          case SQLITE_INDEX_CONSTRAINT_LT: c = '<'; break;
          case SQLITE_INDEX_CONSTRAINT_LE: c = 'L'; break;
          case SQLITE_INDEX_CONSTRAINT_EQ: c = '='; break;
        }
        if( c ) nRows /= 4;
        break;
    }
    if( c ){
      zIdx[nIdx++] = c;
      pInfo->aConstraintUsage[i].argvIndex = ++nArg;
      pInfo->aConstraintUsage[i].omit = c=='R';
    }
  }
  zIdx[nIdx] = 0;
  pInfo->idxStr = sqlite3_mprintf("%s", zIdx);
  if( pInfo->idxStr==0 ) return SQLITE_NOMEM;   /* xFilter reads it */
  pInfo->needToFreeIdxStr = 1;
  pInfo->estimatedRows = (sqlite3_int64)nRows + 1;
  pInfo->estimatedCost = nRows + 1;
  return SQLITE_OK;
}

static int rollupsOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCur){
  RollupsCursor *pCur = tsmCursorOpen(pVtab, sizeof(*pCur), ppCur);
  if( pCur==0 ) return SQLITE_NOMEM;
  pCur->bEof = 1;
  return SQLITE_OK;
}

static int rollupsClose(sqlite3_vtab_cursor *pCursor){
  RollupsCursor *pCur = (RollupsCursor*)pCursor;
  tsmSeriesScanClose(pCur->pSeries);
  tsmTierRowsClose(pCur->pRows);
  sqlite3_free(pCur);
  return SQLITE_OK;
}

/* The next bucket: of the current series, else of the next series. */
static int rollupsNext(sqlite3_vtab_cursor *pCursor){
  RollupsCursor *pCur = (RollupsCursor*)pCursor;
  int rc = SQLITE_OK;
  for(;;){
    if( pCur->pSer ){
      rc = tsmTierRowsNext(pCur->pRows, &pCur->pRow);
      if( rc ) break;
      if( pCur->pRow ){
        pCur->iRowid++;
        return SQLITE_OK;
      }
    }
    rc = tsmSeriesScanNext(pCur->pSeries, &pCur->pSer);
    if( rc || pCur->pSer==0 ) break;
    rc = tsmTierRowsSeek(pCur->pRows, pCur->pSer->iSeries, pCur->iRes,
                         pCur->lo, pCur->hi);
    if( rc ) break;
  }
  pCur->bEof = 1;
  return tsmVtabError(pCursor->pVtab, rc, 0);
}

/* Narrow [lo, hi] by the ts constraint c with value pV (SQLite checks it
** again: the bounds may be wider).  Returns 0 when no row can match. */
static int rollupsBound(RollupsCursor *pCur, char c, sqlite3_value *pV){
  int64_t lo = INT64_MIN, hi = INT64_MAX;
  if( sqlite3_value_type(pV)==SQLITE_INTEGER ){
    int64_t t = sqlite3_value_int64(pV);
    lo = hi = t;
    if( c=='>' ){ if( t==INT64_MAX ) return 0; lo = t+1; }
    if( c=='<' ){ if( t==INT64_MIN ) return 0; hi = t-1; }
  }else if( sqlite3_value_type(pV)==SQLITE_FLOAT ){
    double r = sqlite3_value_double(pV);
    if( isnan(r) ) return 0;
    if( r>-9.2e18 && r<9.2e18 ){
      lo = (int64_t)floor(r);
      hi = (int64_t)ceil(r);
    }
  }else if( sqlite3_value_type(pV)==SQLITE_NULL ){
    return 0;                /* comparisons with NULL match nothing */
  }else{
    return 1;                /* TEXT, BLOB: SQLite decides */
  }
  if( strchr(">G=", c) && lo>pCur->lo ) pCur->lo = lo;
  if( strchr("<L=", c) && hi<pCur->hi ) pCur->hi = hi;
  return 1;
}

static int rollupsFilter(sqlite3_vtab_cursor *pCursor, int idxNum,
                         const char *idxStr, int argc, sqlite3_value **argv){
  RollupsCursor *pCur = (RollupsCursor*)pCursor;
  TsmCtx *p = pCur->p;
  sqlite3_value *pId = 0, *pMetric = 0;
  char *zErr = 0;
  int rc, i, bExists = 0;
  (void)idxNum;

  tsmSeriesScanClose(pCur->pSeries);
  pCur->pSeries = 0;
  pCur->pSer = 0;
  pCur->pRow = 0;
  tsmTierRowsReset(pCur->pRows);
  pCur->bEof = 1;
  pCur->iRowid = 0;
  pCur->iRes = 0;
  pCur->lo = INT64_MIN;
  pCur->hi = INT64_MAX;
  rc = tsmStoreReady(p, 0, &bExists, &zErr);
  if( rc ) return tsmVtabError(pCursor->pVtab, rc, zErr);
  if( !bExists || !tsmStoreHas(p, TSM_HAVE_TIERS) ) return SQLITE_OK;

  for(i=0; i<argc && idxStr[i]; i++){
    switch( idxStr[i] ){
      case 'S': pId = argv[i]; break;
      case 'M': pMetric = argv[i]; break;
      case 'R': {
        int64_t iRes = 0;
        if( sqlite3_value_type(argv[i])==SQLITE_NULL ) return SQLITE_OK;
        rc = tsmResolutionFromValue(argv[i], 1, &iRes, &zErr);
        if( rc ) return tsmVtabError(pCursor->pVtab, rc, zErr);
        if( iRes==0 ) return SQLITE_OK;      /* 'raw': no rollup rows */
        if( pCur->iRes && pCur->iRes!=iRes ) return SQLITE_OK;
        pCur->iRes = iRes;
        break;
      }
      default:
        if( !rollupsBound(pCur, idxStr[i], argv[i]) ) return SQLITE_OK;
        break;
    }
  }
  if( pCur->lo>pCur->hi ) return SQLITE_OK;
  if( pCur->pRows==0 ) rc = tsmTierRowsOpen(p, 1, &pCur->pRows);
  if( rc==SQLITE_OK ){
    rc = tsmSeriesScanOpen(p, pId, pMetric, 0, 0, 0, &pCur->pSeries);
  }
  if( rc ) return tsmVtabError(pCursor->pVtab, rc, 0);
  pCur->bEof = 0;
  return rollupsNext(pCursor);
}

static int rollupsEof(sqlite3_vtab_cursor *pCursor){
  return ((RollupsCursor*)pCursor)->bEof;
}

static int rollupsColumn(sqlite3_vtab_cursor *pCursor, sqlite3_context *ctx,
                         int i){
  RollupsCursor *pCur = (RollupsCursor*)pCursor;
  const TsmTierRow *pRow = pCur->pRow;
  const TsmAggPart *pP = &pRow->part;
  if( i>COL_COUNT ) pP = tsmTierRowsPart(pCur->pRows);   /* read when asked */
  switch( i ){
    case COL_SERIES:   sqlite3_result_int64(ctx, pCur->pSer->iSeries); break;
    case COL_METRIC:
      sqlite3_result_value(ctx, tsmSeriesScanValue(pCur->pSeries, 0));
      break;
    case COL_LABELS:
      sqlite3_result_value(ctx, tsmSeriesScanValue(pCur->pSeries, 1));
      break;
    case COL_RES:      tsmResultDuration(ctx, pRow->iRes); break;
    case COL_TS:       sqlite3_result_int64(ctx, pRow->ts); break;
    case COL_COUNT:    sqlite3_result_int64(ctx, pP->n); break;
    /* a NaN (a NULL column) is returned as NULL */
    case COL_SUM:      sqlite3_result_double(ctx, pP->sum); break;
    case COL_MIN:      sqlite3_result_double(ctx, pP->min); break;
    case COL_MAX:      sqlite3_result_double(ctx, pP->max); break;
    case COL_AVG:
      if( pP->n!=0 ) sqlite3_result_double(ctx, pP->sum/(double)pP->n);
      break;
    case COL_FIRST:    sqlite3_result_double(ctx, pP->first); break;
    case COL_LAST:     sqlite3_result_double(ctx, pP->last); break;
    case COL_SKETCH:
      if( pP->nSk>0 ){
        sqlite3_result_blob(ctx, pP->aSk, pP->nSk, SQLITE_TRANSIENT);
      }else if( pP->nSk==0 ){
        sqlite3_result_zeroblob(ctx, 0);
      }
      break;
    case COL_INCREASE: sqlite3_result_double(ctx, pP->inc); break;
    case COL_FIRST_TS: sqlite3_result_int64(ctx, pP->tsFirst); break;
    case COL_LAST_TS:  sqlite3_result_int64(ctx, pP->tsLast); break;
  }
  return SQLITE_OK;
}

static int rollupsRowid(sqlite3_vtab_cursor *pCursor, sqlite3_int64 *piRowid){
  *piRowid = ((RollupsCursor*)pCursor)->iRowid;
  return SQLITE_OK;
}

sqlite3_module tsmRollupsModule = {
  /* iVersion    */ 0,
  /* xCreate     */ 0,              /* eponymous only */
  /* xConnect    */ rollupsConnect,
  /* xBestIndex  */ rollupsBestIndex,
  /* xDisconnect */ rollupsDisconnect,
  /* xDestroy    */ 0,
  /* xOpen       */ rollupsOpen,
  /* xClose      */ rollupsClose,
  /* xFilter     */ rollupsFilter,
  /* xNext       */ rollupsNext,
  /* xEof        */ rollupsEof,
  /* xColumn     */ rollupsColumn,
  /* xRowid      */ rollupsRowid,
  /* xUpdate     */ 0,              /* read only */
  /* xBegin      */ 0,
  /* xSync       */ 0,
  /* xCommit     */ 0,
  /* xRollback   */ 0,
  /* xFindMethod */ 0,
  /* xRename     */ 0,
  /* xSavepoint  */ 0,
  /* xRelease    */ 0,
  /* xRollbackTo */ 0,
  /* xShadowName */ 0
};
