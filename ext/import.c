/* SPDX-License-Identifier: MIT */
/*
** import.c -- moving samples in: tsm_import(text, format).
**
**   SELECT tsm_import(readfile('metrics.prom'), 'prometheus');
**   SELECT tsm_import(:body, 'influx');
**
** Reads text in one of the formats of format.h ('prometheus': the text
** exposition format or OpenMetrics, 'influx': the line protocol, 'jsonl':
** VictoriaMetrics /api/v1/export) and records every sample through
** INSERT INTO tsm_samples, so that it follows the transaction like
** tsm_record.  Returns the number of samples recorded.
**
** All or nothing: the call opens a savepoint and rolls back to it when a
** line is malformed or a sample is refused, reporting the line number.
** Where SQLite cannot open a savepoint (the call is part of a statement
** that writes, e.g. INSERT INTO log SELECT tsm_import(...)), that
** statement's own statement transaction undoes the call with it.
**
** Memory: the text is read in place, line by line, and the samples go
** through the connection's buffer, which flushes itself past its bound;
** nothing holds the whole input a second time.
*/
#include "tsm.h"
#include "parse.h"
#include "format.h"
#include <stdlib.h>
#include <string.h>

typedef struct ImportCtx {
  sqlite3_stmt *pInsert;     /* INSERT INTO tsm_samples(...) */
  int64_t nSample;           /* recorded so far */
  int64_t tsNow;             /* the time of samples without a timestamp */
} ImportCtx;

/* TsmSampleFn: record n samples of one series. */
static int importSamples(void *pArg, const char *zMetric, const TsmLabels *pL,
                         const int64_t *aTs, const double *aVal, int n){
  ImportCtx *pI = (ImportCtx*)pArg;
  char *zLabels = tsmLabelsToJson(pL);
  int i, rc = SQLITE_OK;
  if( zLabels==0 ) return SQLITE_NOMEM;
  sqlite3_bind_text(pI->pInsert, 1, zMetric, -1, SQLITE_STATIC);
  sqlite3_bind_text(pI->pInsert, 2, zLabels, -1, SQLITE_STATIC);
  for(i=0; rc==SQLITE_OK && i<n; i++){
    sqlite3_int64 iBits;
    memcpy(&iBits, &aVal[i], 8);
    sqlite3_bind_int64(pI->pInsert, 3, aTs[i]==TSM_TS_NOW ? pI->tsNow : aTs[i]);
    sqlite3_bind_int64(pI->pInsert, 4, iBits);
    sqlite3_step(pI->pInsert);
    rc = sqlite3_reset(pI->pInsert);
    if( rc==SQLITE_OK ) pI->nSample++;
  }
  sqlite3_clear_bindings(pI->pInsert);
  tsmFree(zLabels);
  return rc;
}

void tsmImportFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  static const struct { const char *zName; int eFormat; } aFormat[] = {
    { "prometheus", TSM_FMT_PROMETHEUS },
    { "influx",     TSM_FMT_INFLUX },
    { "jsonl",      TSM_FMT_JSONL },
  };
  TsmCtx *p = sqlite3_user_data(ctx);
  sqlite3 *db = p->db;
  ImportCtx imp;
  const char *zFormat = (const char*)sqlite3_value_text(argv[1]);
  const char *zText;
  char zMsg[512];
  char *zErr = 0;
  int64_t iLine = 0;
  int rc, i, bSavepoint, bTxn = sqlite3_get_autocommit(db);
  sqlite3_stmt *pUndo = 0;   /* ROLLBACK, when this call begins the txn */
  (void)argc;

  for(i=0; i<3 && (zFormat==0 || strcmp(zFormat, aFormat[i].zName)!=0); i++){}
  if( i==3 || sqlite3_value_type(argv[1])!=SQLITE_TEXT ){
    tsmErr(ctx, "invalid format \"%s\": must be 'prometheus', 'influx' or "
           "'jsonl'", zFormat ? zFormat : "");
    return;
  }
  if( sqlite3_value_type(argv[0])!=SQLITE_TEXT
   && sqlite3_value_type(argv[0])!=SQLITE_BLOB ){
    tsmErr(ctx, "invalid text: must be TEXT (or a BLOB) in the %s format",
           zFormat);
    return;
  }
  zText = sqlite3_value_type(argv[0])==SQLITE_BLOB
        ? (const char*)sqlite3_value_blob(argv[0])
        : (const char*)sqlite3_value_text(argv[0]);
  memset(&imp, 0, sizeof(imp));
  imp.tsNow = tsmWallClock();         /* one "now" for the whole call */
  rc = sqlite3_prepare_v2(db,
      "INSERT INTO main.tsm_samples(metric, labels, ts, value_bits) "
      "VALUES(?1, ?2, ?3, ?4)", -1, &imp.pInsert, 0);
  if( rc==SQLITE_OK && bTxn ){
    rc = sqlite3_prepare_v2(db, "ROLLBACK", -1, &pUndo, 0);
  }
  if( rc ){
    sqlite3_finalize(imp.pInsert);
    tsmResultError(ctx, p, rc, 0);
    return;
  }

  bSavepoint = sqlite3_exec(db, "SAVEPOINT tsm_import", 0, 0, 0)==SQLITE_OK;
  zMsg[0] = 0;
  rc = tsmParse(aFormat[i].eFormat, zText ? zText : "",
                (size_t)sqlite3_value_bytes(argv[0]), importSamples, &imp,
                &iLine, zMsg, sizeof(zMsg));
  if( rc<0 ){
    zErr = tsmErrMsg("invalid %s text at line %lld: %s",
                           zFormat, (long long)iLine, zMsg);
    rc = SQLITE_ERROR;
  }else if( rc ){
    const char *zWhy = sqlite3_errmsg(db);
    if( strncmp(zWhy, "tsm: ", 5)==0 ) zWhy += 5;
    zErr = tsmErrMsg("cannot import line %lld of the %s text: %s",
                           (long long)iLine, zFormat, zWhy);
  }
  sqlite3_finalize(imp.pInsert);
  if( bSavepoint ){
    if( rc ) sqlite3_exec(db, "ROLLBACK TO tsm_import", 0, 0, 0);
    i = sqlite3_exec(db, "RELEASE tsm_import", 0, 0, 0);
    if( rc==SQLITE_OK && i!=SQLITE_OK ){
      rc = i;
      zErr = tsmErrMsg("cannot import: %s", sqlite3_errmsg(db));
    }
    /* In autocommit mode the savepoint began a transaction and RELEASE
    ** committed it: when that fails (an I/O error at the flush or the
    ** commit), the transaction is still open: end it (the ROLLBACK was
    ** prepared first, as stepping it allocates nothing). */
    if( bTxn && !sqlite3_get_autocommit(db) ){
      sqlite3_step(pUndo);
      sqlite3_reset(pUndo);
    }
  }
  sqlite3_finalize(pUndo);
  if( rc ){
    if( zErr==0 && rc==SQLITE_NOMEM ){ sqlite3_result_error_nomem(ctx); return; }
    tsmResultError(ctx, p, rc, zErr);
    return;
  }
  sqlite3_result_int64(ctx, imp.nSample);
}
