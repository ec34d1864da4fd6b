/* SPDX-License-Identifier: MIT */
/*
** vtab_rollups.c -- the tsm_rollups eponymous virtual table (read only).
**
**   SELECT ts, count, avg, max, tsm_quantile(sketch, 0.99) FROM tsm_rollups
**    WHERE metric = 'api_latency_ms' AND resolution = '1m'
**      AND ts >= 1767225600000;
**
** One row per bucket of table tsm_rollup (rollup.c):
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
*/
#include "tsm.h"
#include <string.h>

enum { COL_SERIES, COL_METRIC, COL_LABELS, COL_RES, COL_TS, COL_COUNT,
       COL_SUM, COL_MIN, COL_MAX, COL_AVG, COL_FIRST, COL_LAST, COL_SKETCH,
       COL_INCREASE, COL_FIRST_TS, COL_LAST_TS };

typedef struct RollupsCursor {
  sqlite3_vtab_cursor base;
  TsmCtx *p;
  sqlite3_stmt *pStmt;       /* per cursor, finalized in xClose */
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
  sqlite3_finalize(pCur->pStmt);
  sqlite3_free(pCur);
  return SQLITE_OK;
}

static int rollupsNext(sqlite3_vtab_cursor *pCursor){
  RollupsCursor *pCur = (RollupsCursor*)pCursor;
  if( sqlite3_step(pCur->pStmt)!=SQLITE_ROW ){
    pCur->bEof = 1;
    return tsmVtabError(pCursor->pVtab, sqlite3_reset(pCur->pStmt), 0);
  }
  pCur->iRowid++;
  return SQLITE_OK;
}

static int rollupsFilter(sqlite3_vtab_cursor *pCursor, int idxNum,
                         const char *idxStr, int argc, sqlite3_value **argv){
  RollupsCursor *pCur = (RollupsCursor*)pCursor;
  TsmCtx *p = pCur->p;
  sqlite3_str *pSql;
  char *zSql, *zErr = 0;
  int rc, i, bExists = 0;
  (void)idxNum;

  sqlite3_finalize(pCur->pStmt);
  pCur->pStmt = 0;
  pCur->bEof = 1;
  pCur->iRowid = 0;
  rc = tsmStoreReady(p, 0, &bExists, &zErr);
  if( rc ) return tsmVtabError(pCursor->pVtab, rc, zErr);
  if( !bExists || !tsmStoreHas(p, TSM_HAVE_TIERS) ) return SQLITE_OK;

  /* The SQL only holds fixed text; every value is bound. */
  pSql = sqlite3_str_new(p->db);
  sqlite3_str_appendall(pSql,
      "SELECT r.series_id, i.metric, i.labels, r.resolution, r.ts, r.count,"
      " r.sum, r.min, r.max, r.sum/r.count, r.first, r.last, r.sketch,"
      " r.increase, r.first_ts, r.last_ts"
      " FROM main.tsm_rollup r JOIN main.tsm_ids i USING(series_id)"
      " WHERE 1");
  for(i=0; i<argc && idxStr[i]; i++){
    switch( idxStr[i] ){
      case 'S': sqlite3_str_appendf(pSql, " AND r.series_id=?%d", i+1); break;
      case 'M': sqlite3_str_appendf(pSql, " AND i.metric=?%d", i+1); break;
      case 'R': sqlite3_str_appendf(pSql, " AND r.resolution=?%d", i+1); break;
      case '>': sqlite3_str_appendf(pSql, " AND r.ts>?%d", i+1); break;
      case 'G': sqlite3_str_appendf(pSql, " AND r.ts>=?%d", i+1); break;
      case '<': sqlite3_str_appendf(pSql, " AND r.ts<?%d", i+1); break;
      case 'L': sqlite3_str_appendf(pSql, " AND r.ts<=?%d", i+1); break;
      case '=': sqlite3_str_appendf(pSql, " AND r.ts=?%d", i+1); break;
    }
  }
  sqlite3_str_appendall(pSql, " ORDER BY r.series_id, r.resolution, r.ts");
  zSql = sqlite3_str_finish(pSql);
  if( zSql==0 ) return SQLITE_NOMEM;
  rc = sqlite3_prepare_v2(p->db, zSql, -1, &pCur->pStmt, 0);
  sqlite3_free(zSql);
  if( rc ) return tsmVtabError(pCursor->pVtab, rc, 0);
  for(i=0; i<argc && idxStr[i]; i++){
    if( idxStr[i]=='R' ){
      int64_t iRes = 0;
      if( sqlite3_value_type(argv[i])==SQLITE_NULL ) return SQLITE_OK;
      rc = tsmResolutionFromValue(argv[i], 1, &iRes, &zErr);
      if( rc ) return tsmVtabError(pCursor->pVtab, rc, zErr);
      if( iRes==0 ) return SQLITE_OK;        /* 'raw': no rollup rows */
      sqlite3_bind_int64(pCur->pStmt, i+1, iRes);
    }else{
      sqlite3_bind_value(pCur->pStmt, i+1, argv[i]);
    }
  }
  pCur->bEof = 0;
  return rollupsNext(pCursor);
}

static int rollupsEof(sqlite3_vtab_cursor *pCursor){
  return ((RollupsCursor*)pCursor)->bEof;
}

static int rollupsColumn(sqlite3_vtab_cursor *pCursor, sqlite3_context *ctx,
                         int i){
  RollupsCursor *pCur = (RollupsCursor*)pCursor;
  if( i==COL_RES ){
    tsmResultDuration(ctx, sqlite3_column_int64(pCur->pStmt, i));
  }else{
    sqlite3_result_value(ctx, sqlite3_column_value(pCur->pStmt, i));
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
