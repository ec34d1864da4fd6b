/* SPDX-License-Identifier: MIT */
/*
** vtab_series.c -- the tsm_series eponymous virtual table.
**
**   SELECT series_id, metric, labels, first_ts, last_ts, last_value,
**          samples, bytes FROM tsm_series WHERE metric = 'm';
**   DELETE FROM tsm_series WHERE labels ->> 'host' = 'h1';
**
** One row per series of store.c's registry (TsmSeriesScan, constraints
** bound as SQL compares them); the rowid is the series_id.  The statistics columns
** (first_ts .. bytes) are computed only when asked for, from chunk metadata
** and the head (store.c tsmSeriesStat; the last sample is decoded:
** tsmSeriesLast).  DELETE removes the series and
** all its data.  Reading flushes this connection's buffer first.
**
** xBestIndex idxNum: bit 0 series_id =, bit 1 metric =, bit 2 labels =
** (compared in canonical form: JSON in any key order); the arguments
** come in that order.
*/
#include "tsm.h"
#include "alloc.h"
#include <stdlib.h>
#include <string.h>

enum { COL_SERIES, COL_METRIC, COL_LABELS, COL_FIRST, COL_LAST, COL_LASTV,
       COL_SAMPLES, COL_BYTES };

typedef struct SeriesCursor {
  sqlite3_vtab_cursor base;
  TsmCtx *p;
  TsmSeriesScan *pList;      /* store.c: the series that match */
  const TsmSeriesRow *pRow;  /* the current one */
  int bEof;
  int bStat;                 /* first_ts, samples, bytes are loaded */
  int bLast;                 /* last_ts, last_value are loaded */
  int bHasFirst, bHasLast;
  int64_t tsFirst, tsLast, tsHeadFirst, nSamples, nBytes;
  double vLast;
} SeriesCursor;

static int seriesConnect(sqlite3 *db, void *pAux, int argc,
                         const char *const *argv, sqlite3_vtab **ppVtab,
                         char **pzErr){
  int rc;
  (void)argc; (void)argv; (void)pzErr;
  rc = tsmVtabConnect(db, pAux,
      "CREATE TABLE x(series_id INTEGER, metric TEXT, labels TEXT, "
      "first_ts INTEGER, last_ts INTEGER, last_value REAL, samples INTEGER, "
      "bytes INTEGER)", ppVtab);
  if( rc==SQLITE_OK ) ((TsmCtx*)pAux)->bGuard = 1;
  return rc;
}

static int seriesDisconnect(sqlite3_vtab *pVtab){
  TsmVtab *pTab = (TsmVtab*)pVtab;
  pTab->p->bGuard = 0;
  tsmStoreClose(pTab->p);     /* see tsmGuardClose() */
  sqlite3_free(pTab);
  return SQLITE_OK;
}

static int seriesBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo){
  int i, j, nArg = 0;
  int aCol[3] = {-1, -1, -1};     /* constraint of series_id, metric, labels */
  (void)pVtab;
  for(i=0; i<pInfo->nConstraint; i++){
    const struct sqlite3_index_constraint *pC = &pInfo->aConstraint[i];
    if( !pC->usable || pC->op!=SQLITE_INDEX_CONSTRAINT_EQ ) continue;
    if( pC->iColumn==COL_SERIES || pC->iColumn<0 ) aCol[0] = i;
    else if( pC->iColumn==COL_METRIC ) aCol[1] = i;
    else if( pC->iColumn==COL_LABELS ) aCol[2] = i;
  }
  pInfo->idxNum = 0;
  for(j=0; j<3; j++){
    if( aCol[j]<0 ) continue;
    pInfo->idxNum |= 1<<j;
    pInfo->aConstraintUsage[aCol[j]].argvIndex = ++nArg;
    pInfo->aConstraintUsage[aCol[j]].omit = 1;
  }
  if( pInfo->idxNum & 1 ){
    pInfo->estimatedCost = 1;
    pInfo->estimatedRows = 1;
    pInfo->idxFlags = SQLITE_INDEX_SCAN_UNIQUE;
  }else if( pInfo->idxNum ){
    pInfo->estimatedCost = (pInfo->idxNum & 2) ? 10 : 100;
    pInfo->estimatedRows = (pInfo->idxNum & 2) ? 10 : 100;
    if( pInfo->idxNum==6 ) pInfo->estimatedCost = pInfo->estimatedRows = 2;
  }else{
    pInfo->estimatedCost = 1000;
    pInfo->estimatedRows = 1000;
  }
  if( pInfo->nOrderBy==1 && pInfo->aOrderBy[0].iColumn==COL_SERIES
   && !pInfo->aOrderBy[0].desc ){
    pInfo->orderByConsumed = 1;
  }
  return SQLITE_OK;
}

static int seriesOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCur){
  SeriesCursor *pCur = tsmCursorOpen(pVtab, sizeof(*pCur), ppCur);
  if( pCur==0 ) return SQLITE_NOMEM;
  pCur->bEof = 1;
  return SQLITE_OK;
}

static int seriesClose(sqlite3_vtab_cursor *pCursor){
  SeriesCursor *pCur = (SeriesCursor*)pCursor;
  tsmSeriesScanClose(pCur->pList);
  sqlite3_free(pCur);
  return SQLITE_OK;
}

static int seriesNext(sqlite3_vtab_cursor *pCursor){
  SeriesCursor *pCur = (SeriesCursor*)pCursor;
  int rc;
  pCur->bStat = pCur->bLast = 0;
  rc = tsmSeriesScanNext(pCur->pList, &pCur->pRow);
  if( rc || pCur->pRow==0 ){
    pCur->bEof = 1;
    return tsmVtabError(pCursor->pVtab, rc, 0);
  }
  return SQLITE_OK;
}

static int seriesFilter(sqlite3_vtab_cursor *pCursor, int idxNum,
                        const char *idxStr, int argc, sqlite3_value **argv){
  SeriesCursor *pCur = (SeriesCursor*)pCursor;
  char *zErr = 0, *zLabels = 0;
  int rc, bExists = 0, iArg = 0;
  (void)idxStr;
  pCur->bEof = 1;
  tsmSeriesScanClose(pCur->pList);
  pCur->pList = 0;
  pCur->pRow = 0;
  rc = tsmStoreFlush(pCur->p, 0, &zErr);
  if( rc==SQLITE_OK ) rc = tsmStoreReady(pCur->p, 0, &bExists, &zErr);
  if( rc ) return tsmVtabError(pCursor->pVtab, rc, zErr);
  if( !bExists ) return SQLITE_OK;
  if( idxNum & 4 ){
    /* labels = ?: compared in canonical form (JSON in any key order) */
    rc = tsmLabelsCanonical(argv[argc-1], &zLabels);
    if( rc ) return tsmVtabError(pCursor->pVtab, rc, 0);
    if( zLabels==0 ) return SQLITE_OK;   /* no series has such labels */
  }
  {
    sqlite3_value *pId = 0, *pMetric = 0;
    if( (idxNum & 1) && iArg<argc ) pId = argv[iArg++];
    if( (idxNum & 2) && iArg<argc ) pMetric = argv[iArg++];
    rc = tsmSeriesScanOpen(pCur->p, pId, pMetric, 0, zLabels, 0,
                           &pCur->pList);                    /* store.c */
  }
  tsmFree(zLabels);
  if( rc ) return tsmVtabError(pCursor->pVtab, rc, 0);
  pCur->bEof = 0;
  return seriesNext(pCursor);
}

static int seriesEof(sqlite3_vtab_cursor *pCursor){
  return ((SeriesCursor*)pCursor)->bEof;
}

/* Load the last sample of the current row (last_ts, last_value; also
** first_ts when the series has only a head). */
static int seriesLast(SeriesCursor *pCur){
  char *zErr = 0;
  int rc;
  if( pCur->bLast ) return SQLITE_OK;
  rc = tsmSeriesLast(pCur->p, pCur->pRow->iSeries,
                     &pCur->bHasLast, &pCur->tsLast, &pCur->vLast, &zErr);
  if( rc==SQLITE_OK && pCur->bHasLast && pCur->p->chunk.n>0 ){
    pCur->tsHeadFirst = pCur->p->chunk.aTs[0];   /* used when only a head */
  }
  pCur->bLast = rc==SQLITE_OK;
  return tsmVtabError(pCur->base.pVtab, rc, zErr);
}

/* Load first_ts, samples and bytes of the current row from the metadata. */
static int seriesStat(SeriesCursor *pCur){
  int64_t iSeries = pCur->pRow->iSeries;
  int rc = SQLITE_OK;
  if( pCur->bStat ) return SQLITE_OK;
  rc = tsmSeriesStat(pCur->p, iSeries, &pCur->bHasFirst, &pCur->tsFirst,
                     &pCur->nSamples, &pCur->nBytes);        /* store.c */
  if( rc==SQLITE_OK && !pCur->bHasFirst ){
    /* No sealed chunk: the first sample is the head's. */
    rc = seriesLast(pCur);
    if( rc==SQLITE_OK && pCur->bHasLast ){
      pCur->bHasFirst = 1;
      pCur->tsFirst = pCur->tsHeadFirst;
    }
  }
  pCur->bStat = rc==SQLITE_OK;
  return rc;
}

static int seriesColumn(sqlite3_vtab_cursor *pCursor, sqlite3_context *ctx,
                        int i){
  SeriesCursor *pCur = (SeriesCursor*)pCursor;
  int rc;
  if( i==COL_SERIES ){
    sqlite3_result_int64(ctx, pCur->pRow->iSeries);
    return SQLITE_OK;
  }else if( i==COL_METRIC || i==COL_LABELS ){
    sqlite3_result_value(ctx, tsmSeriesScanValue(pCur->pList,
                                                 i==COL_LABELS));
    return SQLITE_OK;
  }
  rc = (i==COL_LAST || i==COL_LASTV) ? seriesLast(pCur) : seriesStat(pCur);
  if( rc ) return tsmVtabError(pCursor->pVtab, rc, 0);
  switch( i ){
    case COL_FIRST:
      if( pCur->bHasFirst ) sqlite3_result_int64(ctx, pCur->tsFirst);
      break;
    case COL_LAST:
      if( pCur->bHasLast ) sqlite3_result_int64(ctx, pCur->tsLast);
      break;
    case COL_LASTV:
      if( pCur->bHasLast ) sqlite3_result_double(ctx, pCur->vLast);
      break;
    case COL_SAMPLES:
      sqlite3_result_int64(ctx, pCur->nSamples);
      break;
    case COL_BYTES:
      sqlite3_result_int64(ctx, pCur->nBytes);
      break;
  }
  return SQLITE_OK;
}

static int seriesRowid(sqlite3_vtab_cursor *pCursor, sqlite3_int64 *piRowid){
  *piRowid = ((SeriesCursor*)pCursor)->pRow->iSeries;
  return SQLITE_OK;
}

static int seriesUpdate(sqlite3_vtab *pVtab, int argc, sqlite3_value **argv,
                        sqlite3_int64 *pRowid){
  TsmVtab *pTab = (TsmVtab*)pVtab;
  (void)pRowid;
  if( argc!=1 ){
    sqlite3_free(pVtab->zErrMsg);
    pVtab->zErrMsg = tsmErrMsg("tsm_series only takes DELETE; "
        "series are created by recording samples");
    return SQLITE_ERROR;
  }
  return tsmVtabError(pVtab,
                      tsmSeriesDelete(pTab->p, sqlite3_value_int64(argv[0])), 0);
}

sqlite3_module tsmSeriesModule = {
  /* iVersion    */ 0,
  /* xCreate     */ 0,              /* eponymous only */
  /* xConnect    */ seriesConnect,
  /* xBestIndex  */ seriesBestIndex,
  /* xDisconnect */ seriesDisconnect,
  /* xDestroy    */ 0,
  /* xOpen       */ seriesOpen,
  /* xClose      */ seriesClose,
  /* xFilter     */ seriesFilter,
  /* xNext       */ seriesNext,
  /* xEof        */ seriesEof,
  /* xColumn     */ seriesColumn,
  /* xRowid      */ seriesRowid,
  /* xUpdate     */ seriesUpdate,
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
