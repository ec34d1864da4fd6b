/* SPDX-License-Identifier: MIT */
/*
** vtab_retention.c -- the tsm_retention eponymous, writable virtual table.
**
**   INSERT INTO tsm_retention(metric, resolution, keep, max_bytes)
**     VALUES ('*', 'raw', '7d', NULL), ('*', '1m', '90d', NULL);
**   UPDATE tsm_retention SET keep = '30d' WHERE resolution = 'raw';
**   DELETE FROM tsm_retention WHERE metric = 'debug_*';
**   SELECT metric, resolution, keep, series, samples, bytes FROM tsm_retention;
**
** One row per policy (table tsm_policies; the rowid is its rowid):
**   metric      GLOB pattern over metric names; NULL or omitted means '*'
**   resolution  'raw' (the default) or the width of a rollup tier: TEXT
**               like '1m' or INTEGER ms; reported as text ('1m', '1h')
**   keep        duration (TEXT or INTEGER ms); NULL keeps forever
**   max_bytes   INTEGER > 0, a cap on the bytes of that resolution for the
**               series that follow the policy; NULL for none
**   series, samples, bytes, oldest_ts   read only: the series that follow
**               the policy and what they hold at its resolution (samples
**               of a tier: its buckets); computed only when read
** The same (metric, resolution) twice is a constraint error; INSERT OR
** REPLACE replaces, INSERT OR IGNORE skips.  Policies and status follow
** the transaction like any table.  See retention.c for their meaning.
**
** This file is the SQL surface only: it checks the values written and
** calls policy.c, which holds every statement on tsm_policies.
**
** xBestIndex: idxNum bit 1 = a status column is used.
*/
#include "tsm.h"
#include "parse.h"
#include <string.h>

enum { COL_METRIC, COL_RES, COL_KEEP, COL_MAXBYTES, COL_SERIES, COL_SAMPLES,
       COL_BYTES, COL_OLDEST, COL_COUNT };

typedef struct RetCursor {
  sqlite3_vtab_cursor base;
  TsmCtx *p;
  TsmPolicies pol;
  TsmUsage *aUsage;          /* status of every policy, once one is read */
  int bUsage;                /* status columns may be read (idxNum) */
  int i;                     /* current row */
} RetCursor;

static int retConnect(sqlite3 *db, void *pAux, int argc,
                      const char *const *argv, sqlite3_vtab **ppVtab,
                      char **pzErr){
  int rc;
  (void)argc; (void)argv; (void)pzErr;
  rc = tsmVtabConnect(db, pAux,
      "CREATE TABLE x(metric TEXT, resolution TEXT, keep TEXT, "
      "max_bytes INTEGER, series INTEGER, samples INTEGER, bytes INTEGER, "
      "oldest_ts INTEGER)", ppVtab);
  /* INSERT OR REPLACE / OR IGNORE: xUpdate asks sqlite3_vtab_on_conflict */
  if( rc==SQLITE_OK ) sqlite3_vtab_config(db, SQLITE_VTAB_CONSTRAINT_SUPPORT, 1);
  return rc;
}

static int retDisconnect(sqlite3_vtab *pVtab){
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

static int retBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo){
  (void)pVtab;
  pInfo->idxNum = (pInfo->colUsed & (((sqlite3_uint64)0xF)<<COL_SERIES)) ? 1 : 0;
  pInfo->estimatedCost = pInfo->idxNum ? 10000 : 10;
  pInfo->estimatedRows = 10;
  return SQLITE_OK;
}

static int retOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCur){
  RetCursor *pCur = tsmCursorOpen(pVtab, sizeof(*pCur), ppCur);
  if( pCur==0 ) return SQLITE_NOMEM;
  return SQLITE_OK;
}

static void retReset(RetCursor *pCur){
  tsmPoliciesFree(&pCur->pol);
  sqlite3_free(pCur->aUsage);
  pCur->aUsage = 0;
  pCur->i = 0;
}

static int retClose(sqlite3_vtab_cursor *pCursor){
  RetCursor *pCur = (RetCursor*)pCursor;
  retReset(pCur);
  sqlite3_free(pCur);
  return SQLITE_OK;
}

static void retSetErr(sqlite3_vtab *pVtab, char *zErr){
  tsmVtabError(pVtab, SQLITE_ERROR, zErr);
}

static int retFilter(sqlite3_vtab_cursor *pCursor, int idxNum,
                     const char *idxStr, int argc, sqlite3_value **argv){
  RetCursor *pCur = (RetCursor*)pCursor;
  TsmCtx *p = pCur->p;
  char *zErr = 0;
  int rc;
  (void)idxStr; (void)argc; (void)argv;
  retReset(pCur);
  rc = tsmStoreFlush(p, 0, &zErr);
  if( rc==SQLITE_OK ) rc = tsmStoreReady(p, 0, 0, &zErr);
  if( rc==SQLITE_OK ) rc = tsmPoliciesLoad(p, &pCur->pol);
  pCur->bUsage = (idxNum & 1)!=0;
  return tsmVtabError(pCursor->pVtab, rc, zErr);
}

/* The status of every policy, computed when a status column is first read
** (an UPDATE does not read them: see sqlite3_vtab_nochange). */
static int retUsage(RetCursor *pCur){
  char *zErr = 0;
  int rc;
  if( pCur->aUsage || !pCur->bUsage || pCur->pol.n==0 ) return SQLITE_OK;
  pCur->aUsage = sqlite3_malloc64(sizeof(TsmUsage)*pCur->pol.n);
  if( pCur->aUsage==0 ) return SQLITE_NOMEM;
  rc = tsmRetentionUsage(pCur->p, &pCur->pol, pCur->aUsage, &zErr);
  if( rc ){
    sqlite3_free(pCur->aUsage);
    pCur->aUsage = 0;
  }
  return tsmVtabError(pCur->base.pVtab, rc, zErr);
}

static int retNext(sqlite3_vtab_cursor *pCursor){
  ((RetCursor*)pCursor)->i++;
  return SQLITE_OK;
}

static int retEof(sqlite3_vtab_cursor *pCursor){
  RetCursor *pCur = (RetCursor*)pCursor;
  return pCur->i>=pCur->pol.n;
}

static int retColumn(sqlite3_vtab_cursor *pCursor, sqlite3_context *ctx,
                     int i){
  RetCursor *pCur = (RetCursor*)pCursor;
  const TsmPolicy *pP = &pCur->pol.a[pCur->i];
  const TsmUsage *pU;
  if( i>=COL_SERIES ){
    int rc;
    if( sqlite3_vtab_nochange(ctx) ) return SQLITE_OK;
    rc = retUsage(pCur);
    if( rc ) return rc;
  }
  pU = pCur->aUsage ? &pCur->aUsage[pCur->i] : 0;
  switch( i ){
    case COL_METRIC:
      sqlite3_result_text(ctx, pP->zPattern, -1, SQLITE_TRANSIENT);
      break;
    case COL_RES:
      if( pP->iRes==0 ) sqlite3_result_text(ctx, "raw", 3, SQLITE_STATIC);
      else tsmResultDuration(ctx, pP->iRes);
      break;
    case COL_KEEP:
      if( pP->iKeep>0 ) tsmResultDuration(ctx, pP->iKeep);
      break;
    case COL_MAXBYTES:
      if( pP->nMaxBytes>0 ) sqlite3_result_int64(ctx, pP->nMaxBytes);
      break;
    case COL_SERIES:
      if( pU ) sqlite3_result_int64(ctx, pU->nSeries);
      break;
    case COL_SAMPLES:
      if( pU ) sqlite3_result_int64(ctx, pU->nSamples);
      break;
    case COL_BYTES:
      if( pU ) sqlite3_result_int64(ctx, pU->nBytes);
      break;
    case COL_OLDEST:
      if( pU && pU->tsOldest!=INT64_MAX ) sqlite3_result_int64(ctx, pU->tsOldest);
      break;
  }
  return SQLITE_OK;
}

static int retRowid(sqlite3_vtab_cursor *pCursor, sqlite3_int64 *piRowid){
  RetCursor *pCur = (RetCursor*)pCursor;
  *piRowid = pCur->pol.a[pCur->i].iRowid;
  return SQLITE_OK;
}

static const char *const azColName[] = {
  "metric", "resolution", "keep", "max_bytes", "series", "samples", "bytes",
  "oldest_ts"
};

static int retWrite(sqlite3_vtab *pVtab, int argc, sqlite3_value **argv,
                    sqlite3_int64 *pRowid){
  TsmCtx *p = ((TsmVtab*)pVtab)->p;
  char *zErr = 0;
  const char *zMetric = "*";
  int64_t iRes = 0, iKeep = 0, nMax = 0, iOld = 0, iOther = -1;
  int rc = SQLITE_OK, i, bInsert;

  rc = tsmStoreReady(p, TSM_HAVE_TIERS, 0, &zErr);
  if( rc ){ retSetErr(pVtab, zErr); return rc; }

  if( argc==1 ){
    return tsmPolicyDelete(p, sqlite3_value_int64(argv[0]));
  }

  bInsert = sqlite3_value_type(argv[0])==SQLITE_NULL;
  if( !bInsert ){
    iOld = sqlite3_value_int64(argv[0]);
    if( sqlite3_value_type(argv[1])==SQLITE_NULL
     || sqlite3_value_int64(argv[1])!=iOld ){
      retSetErr(pVtab, tsmErrMsg("the rowid of tsm_retention "
          "cannot be changed"));
      return SQLITE_ERROR;
    }
  }
  /* Read-only columns: NULL in INSERT, untouched in UPDATE. */
  for(i=COL_SERIES; i<COL_COUNT; i++){
    sqlite3_value *pV = argv[2+i];
    if( bInsert ? sqlite3_value_type(pV)!=SQLITE_NULL
                : !sqlite3_value_nochange(pV) ){
      retSetErr(pVtab, tsmErrMsg("column %s of tsm_retention is "
          "read only: it reports what the policy holds", azColName[i]));
      return SQLITE_ERROR;
    }
  }
  if( sqlite3_value_type(argv[2+COL_METRIC])!=SQLITE_NULL ){
    if( sqlite3_value_type(argv[2+COL_METRIC])!=SQLITE_TEXT ){
      retSetErr(pVtab, tsmErrMsg("invalid metric pattern: must be "
          "TEXT, a GLOB pattern over metric names such as 'node_*'"));
      return SQLITE_ERROR;
    }
    rc = tsmValueText(argv[2+COL_METRIC], "metric pattern", &zMetric, &zErr);
    if( rc==SQLITE_OK ) rc = tsmPatternCheck(zMetric, &zErr);
  }
  if( rc==SQLITE_OK ){
    rc = tsmResolutionFromValue(argv[2+COL_RES], 1, &iRes, &zErr);
  }
  if( rc==SQLITE_OK ) rc = tsmKeepFromValue(argv[2+COL_KEEP], &iKeep, &zErr);
  if( rc==SQLITE_OK ){
    sqlite3_value *pV = argv[2+COL_MAXBYTES];
    int eType = sqlite3_value_numeric_type(pV);
    if( eType==SQLITE_NULL ){
      nMax = 0;
    }else if( eType==SQLITE_INTEGER && sqlite3_value_int64(pV)>0 ){
      nMax = sqlite3_value_int64(pV);
    }else{
      char zQ[TSM_QUOTE_BUF];
      zErr = tsmErrMsg("invalid max_bytes %s: must be a positive INTEGER "
          "number of bytes, or NULL for no cap", tsmValueQuote(zQ, pV));
      rc = SQLITE_ERROR;
    }
  }
  if( rc ){ retSetErr(pVtab, zErr); return rc; }

  /* The same (metric, resolution) in another row? */
  rc = tsmPolicyFind(p, zMetric, iRes, &iOther);
  if( rc ) return rc;
  if( iOther>=0 && (bInsert || iOther!=iOld) ){
    int eConflict = sqlite3_vtab_on_conflict(p->db);
    if( eConflict==SQLITE_REPLACE ){
      rc = tsmPolicyDelete(p, iOther);
      if( rc ) return rc;
    }else{
      char zRes[TSM_DURATION_BUF];
      if( iRes==0 ) memcpy(zRes, "raw", 4);
      else tsmDurationFormat(iRes, zRes);
      retSetErr(pVtab, tsmErrMsg("a policy for metric \"%s\" and "
          "resolution %s exists already: UPDATE it, or use INSERT OR REPLACE",
          zMetric, zRes));
      return SQLITE_CONSTRAINT;
    }
  }

  if( bInsert ){
    return tsmPolicyPut(p, 1, zMetric, iRes, iKeep, nMax, (int64_t*)pRowid);
  }
  return tsmPolicyPut(p, 0, zMetric, iRes, iKeep, nMax, &iOld);
}

/* xUpdate: retWrite, and a message for every error. */
static int retUpdate(sqlite3_vtab *pVtab, int argc, sqlite3_value **argv,
                     sqlite3_int64 *pRowid){
  return tsmVtabError(pVtab, retWrite(pVtab, argc, argv, pRowid), 0);
}

sqlite3_module tsmRetentionModule = {
  /* iVersion    */ 0,
  /* xCreate     */ 0,              /* eponymous only */
  /* xConnect    */ retConnect,
  /* xBestIndex  */ retBestIndex,
  /* xDisconnect */ retDisconnect,
  /* xDestroy    */ 0,
  /* xOpen       */ retOpen,
  /* xClose      */ retClose,
  /* xFilter     */ retFilter,
  /* xNext       */ retNext,
  /* xEof        */ retEof,
  /* xColumn     */ retColumn,
  /* xRowid      */ retRowid,
  /* xUpdate     */ retUpdate,
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
