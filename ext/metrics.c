/* SPDX-License-Identifier: MIT */
/*
** metrics.c -- metric rules: the tsm_metrics eponymous, writable virtual
** table, and the lookups of the rule a metric follows.
**
**   INSERT INTO tsm_metrics(metric, type, duplicates, help)
**     VALUES ('proxy_*', 'gauge', 'keep', 'Per-request metrics of the proxy');
**   UPDATE tsm_metrics SET duplicates = 'sum' WHERE metric = 'proxy_*';
**   DELETE FROM tsm_metrics WHERE metric = 'proxy_*';
**
** One row per rule (table tsm_metric_rules, sql/004_metrics.sql; the rowid
** is its rowid):
**   metric      GLOB pattern over metric names; NULL or omitted means '*'
**   type        'counter', 'gauge', 'untyped', or NULL: the default, counter
**               for a name ending in _total, else untyped
**   duplicates  what a sample does when its series already has one at that
**               timestamp: 'replace' (NULL, the default), 'keep', 'sum',
**               'first', 'min', 'max' (TSM_DUP_xxx, see store.c)
**   help        the text of "# HELP" in tsm_prometheus, or NULL
** A metric follows the most specific matching pattern, as for
** tsm_retention (policy.c tsmPatternBetter): the whole rule of that
** pattern, NULL columns meaning the defaults.  The same pattern twice is a
** constraint error; INSERT OR REPLACE replaces, INSERT OR IGNORE skips.
**
** Each connection keeps the rules in memory (p->pRules) and the policy of
** each series in its series cache (store.c); both are dropped when another
** connection commits, and when this one writes tsm_metrics or rolls such a
** write back.  A rule applies to the samples recorded after it.
*/
#include "tsm.h"
#include "parse.h"
#include <stdlib.h>
#include <string.h>

enum { COL_METRIC, COL_TYPE, COL_DUP, COL_HELP, COL_COUNT };

typedef struct TsmRule {
  int64_t iRowid;
  char *zPattern;
  int bExact, iScore;        /* tsmPatternScore */
  int eType;                 /* TSM_TYPE_xxx, 0 = default */
  int eDup;                  /* TSM_DUP_xxx */
  char *zHelp;               /* or NULL */
} TsmRule;

struct TsmRules {
  int n;
  TsmRule *a;                /* in pattern order */
};

static const char *const azType[] = { 0, "counter", "gauge", "untyped" };
static const char *const azDup[] = {
  "replace", "keep", "sum", "first", "min", "max"
};

static int nameIndex(const char *const *az, int n, const char *z){
  int i;
  for(i=0; i<n; i++) if( az[i] && z && strcmp(az[i], z)==0 ) return i;
  return -1;
}

const char *tsmDupName(int eDup){
  return eDup>=0 && eDup<(int)(sizeof(azDup)/sizeof(azDup[0])) ? azDup[eDup] : "?";
}

static void rulesFree(TsmRules *pR){
  int i;
  if( pR==0 ) return;
  for(i=0; i<pR->n; i++){
    sqlite3_free(pR->a[i].zPattern);
    sqlite3_free(pR->a[i].zHelp);
  }
  sqlite3_free(pR->a);
  sqlite3_free(pR);
}

void tsmRulesFree(TsmCtx *p){
  TsmRules *pR = p->pRules;
  p->pRules = 0;
  rulesFree(pR);
}

/* The rules changed (or may have): forget them and the policies cached
** with the series. */
void tsmRulesChanged(TsmCtx *p){
  tsmRulesFree(p);
  tsmCacheClear(&p->cache);
}

/* Read the rules of the store (none when it has none yet) into *ppR. */
static int rulesRead(TsmCtx *p, TsmRules **ppR){
  sqlite3_stmt *pStmt = 0;
  TsmRules *pR;
  int rc, nAlloc = 0, bExists = 0;
  char *zErr = 0;
  *ppR = 0;
  pR = sqlite3_malloc(sizeof(*pR));
  if( pR==0 ) return SQLITE_NOMEM;
  memset(pR, 0, sizeof(*pR));
  rc = tsmStoreReady(p, 0, 0, &zErr);
  sqlite3_free(zErr);
  bExists = rc==SQLITE_OK && tsmStoreHas(p, TSM_HAVE_RULES);
  if( bExists ){
    rc = sqlite3_prepare_v2(p->db, "SELECT rowid, metric, type, duplicates,"
        " help FROM main.tsm_metric_rules ORDER BY metric", -1, &pStmt, 0);
  }
  while( rc==SQLITE_OK && pStmt && sqlite3_step(pStmt)==SQLITE_ROW ){
    TsmRule *pRule;
    if( pR->n>=nAlloc ){
      int nNew = nAlloc ? nAlloc*2 : 8;
      TsmRule *aNew = sqlite3_realloc64(pR->a, sizeof(TsmRule)*nNew);
      if( aNew==0 ){ rc = SQLITE_NOMEM; break; }
      pR->a = aNew;
      nAlloc = nNew;
    }
    pRule = &pR->a[pR->n++];
    memset(pRule, 0, sizeof(*pRule));
    pRule->iRowid = sqlite3_column_int64(pStmt, 0);
    pRule->zPattern = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 1));
    if( sqlite3_column_type(pStmt, 4)!=SQLITE_NULL ){
      pRule->zHelp = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 4));
      if( pRule->zHelp==0 ) rc = SQLITE_NOMEM;
    }
    if( pRule->zPattern==0 ){ rc = SQLITE_NOMEM; break; }
    tsmPatternScore(pRule->zPattern, &pRule->bExact, &pRule->iScore);
    pRule->eType = nameIndex(azType, 4, (const char*)sqlite3_column_text(pStmt, 2));
    if( pRule->eType<0 ) pRule->eType = 0;
    pRule->eDup = nameIndex(azDup, 6, (const char*)sqlite3_column_text(pStmt, 3));
    if( pRule->eDup<0 ) pRule->eDup = TSM_DUP_REPLACE;
  }
  rc = tsmFinalize(&pStmt, rc);
  if( rc ){
    rulesFree(pR);
    return rc;
  }
  *ppR = pR;
  return SQLITE_OK;
}

/* Make sure p->pRules holds the rules. */
static int rulesLoad(TsmCtx *p){
  if( p->pRules ) return SQLITE_OK;
  return rulesRead(p, &p->pRules);
}

/* The rule metric zMetric follows, or NULL. */
static const TsmRule *ruleFor(const TsmRules *pR, const char *zMetric){
  const TsmRule *pBest = 0;
  int i;
  for(i=0; i<pR->n; i++){
    const TsmRule *pRule = &pR->a[i];
    if( sqlite3_strglob(pRule->zPattern, zMetric)!=0 ) continue;
    if( pBest==0 || tsmPatternBetter(pRule->zPattern, pRule->bExact,
                        pRule->iScore, pBest->zPattern, pBest->bExact,
                        pBest->iScore) ){
      pBest = pRule;
    }
  }
  return pBest;
}

/* The duplicate policy of metric zMetric (TSM_DUP_xxx). */
int tsmMetricDup(TsmCtx *p, const char *zMetric, int *peDup){
  const TsmRule *pRule;
  int rc = rulesLoad(p);
  *peDup = TSM_DUP_REPLACE;
  if( rc ) return rc;
  pRule = ruleFor(p->pRules, zMetric);
  if( pRule ) *peDup = pRule->eDup;
  return SQLITE_OK;
}

/*
** The Prometheus type ("counter", "gauge" or "untyped") and help text (or
** NULL) of metric zMetric, from its rule and the defaults.  For every
** exporter (tsm_prometheus, tsm_export).  The strings stay valid until
** the rules change (the next write of tsm_metrics or commit of another
** connection): copy them to keep them longer.
*/
int tsmMetricMeta(TsmCtx *p, const char *zMetric, const char **pzType,
                  const char **pzHelp){
  const TsmRule *pRule;
  size_t n = strlen(zMetric);
  int rc = rulesLoad(p);
  *pzHelp = 0;
  *pzType = n>=6 && strcmp(&zMetric[n-6], "_total")==0 ? "counter" : "untyped";
  if( rc ) return rc;
  pRule = ruleFor(p->pRules, zMetric);
  if( pRule ){
    if( pRule->eType ) *pzType = azType[pRule->eType];
    *pzHelp = pRule->zHelp;
  }
  return SQLITE_OK;
}

/**************************************************************************
** The tsm_metrics table
*/
typedef struct MetricsCursor {
  sqlite3_vtab_cursor base;
  TsmCtx *p;
  TsmRules *pR;              /* its own copy: an UPDATE may change them */
  int i;
} MetricsCursor;

static int metricsConnect(sqlite3 *db, void *pAux, int argc,
                          const char *const *argv, sqlite3_vtab **ppVtab,
                          char **pzErr){
  int rc;
  (void)argc; (void)argv; (void)pzErr;
  rc = tsmVtabConnect(db, pAux,
      "CREATE TABLE x(metric TEXT, type TEXT, duplicates TEXT, help TEXT)",
      ppVtab);
  if( rc==SQLITE_OK ) sqlite3_vtab_config(db, SQLITE_VTAB_CONSTRAINT_SUPPORT, 1);
  return rc;
}

static int metricsDisconnect(sqlite3_vtab *pVtab){
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

static int metricsBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo){
  (void)pVtab;
  pInfo->estimatedCost = 10;
  pInfo->estimatedRows = 10;
  return SQLITE_OK;
}

static int metricsOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCur){
  MetricsCursor *pCur = tsmCursorOpen(pVtab, sizeof(*pCur), ppCur);
  return pCur ? SQLITE_OK : SQLITE_NOMEM;
}

static int metricsClose(sqlite3_vtab_cursor *pCursor){
  rulesFree(((MetricsCursor*)pCursor)->pR);
  sqlite3_free(pCursor);
  return SQLITE_OK;
}

static int metricsFilter(sqlite3_vtab_cursor *pCursor, int idxNum,
                         const char *idxStr, int argc, sqlite3_value **argv){
  MetricsCursor *pCur = (MetricsCursor*)pCursor;
  (void)idxNum; (void)idxStr; (void)argc; (void)argv;
  pCur->i = 0;
  rulesFree(pCur->pR);
  pCur->pR = 0;
  tsmCacheValidate(pCur->p);
  return tsmVtabError(pCursor->pVtab, rulesRead(pCur->p, &pCur->pR), 0);
}

static int metricsNext(sqlite3_vtab_cursor *pCursor){
  ((MetricsCursor*)pCursor)->i++;
  return SQLITE_OK;
}

static int metricsEof(sqlite3_vtab_cursor *pCursor){
  MetricsCursor *pCur = (MetricsCursor*)pCursor;
  return pCur->pR==0 || pCur->i>=pCur->pR->n;
}

static int metricsColumn(sqlite3_vtab_cursor *pCursor, sqlite3_context *ctx,
                         int i){
  MetricsCursor *pCur = (MetricsCursor*)pCursor;
  const TsmRule *pRule = &pCur->pR->a[pCur->i];
  switch( i ){
    case COL_METRIC:
      sqlite3_result_text(ctx, pRule->zPattern, -1, SQLITE_TRANSIENT);
      break;
    case COL_TYPE:
      if( pRule->eType ) sqlite3_result_text(ctx, azType[pRule->eType], -1,
                                             SQLITE_STATIC);
      break;
    case COL_DUP:
      sqlite3_result_text(ctx, azDup[pRule->eDup], -1, SQLITE_STATIC);
      break;
    case COL_HELP:
      if( pRule->zHelp ) sqlite3_result_text(ctx, pRule->zHelp, -1,
                                             SQLITE_TRANSIENT);
      break;
  }
  return SQLITE_OK;
}

static int metricsRowid(sqlite3_vtab_cursor *pCursor, sqlite3_int64 *piRowid){
  MetricsCursor *pCur = (MetricsCursor*)pCursor;
  *piRowid = pCur->pR->a[pCur->i].iRowid;
  return SQLITE_OK;
}

/* Check a name column (type, duplicates): NULL or one of az[]. */
static int nameArg(sqlite3_value *pV, const char *zCol,
                   const char *const *az, int n, const char *zRule,
                   int *pi, char **pzErr){
  *pi = -1;
  if( sqlite3_value_type(pV)==SQLITE_NULL ) return SQLITE_OK;
  if( sqlite3_value_type(pV)==SQLITE_TEXT ){
    const char *z = (const char*)sqlite3_value_text(pV);
    if( z && strlen(z)==(size_t)sqlite3_value_bytes(pV) ){
      *pi = nameIndex(az, n, z);
      if( *pi>=0 ) return SQLITE_OK;
    }
  }
  {
    char zQ[TSM_QUOTE_BUF];
    *pzErr = tsmErrMsg("invalid %s %s: must be %s, or NULL for the default",
                       zCol, tsmValueQuote(zQ, pV), zRule);
  }
  return SQLITE_ERROR;
}

static int metricsWrite(sqlite3_vtab *pVtab, int argc, sqlite3_value **argv,
                        sqlite3_int64 *pRowid){
  TsmCtx *p = ((TsmVtab*)pVtab)->p;
  sqlite3_stmt *pStmt = 0;
  char *zErr = 0;
  const char *zMetric = "*";
  int rc, bInsert, eType = -1, eDup = -1;
  int64_t iOld = 0, iOther = -1;

  rc = tsmStoreReady(p, TSM_HAVE_RULES, 0, &zErr);
  if( rc ) return tsmVtabError(pVtab, rc, zErr);
  tsmRulesChanged(p);
  if( argc==1 ){
    rc = sqlite3_prepare_v2(p->db,
        "DELETE FROM main.tsm_metric_rules WHERE rowid=?1", -1, &pStmt, 0);
    if( rc==SQLITE_OK ){
      sqlite3_bind_value(pStmt, 1, argv[0]);
      sqlite3_step(pStmt);
    }
    return tsmFinalize(&pStmt, rc);
  }
  bInsert = sqlite3_value_type(argv[0])==SQLITE_NULL;
  if( !bInsert ){
    iOld = sqlite3_value_int64(argv[0]);
    if( sqlite3_value_type(argv[1])==SQLITE_NULL
     || sqlite3_value_int64(argv[1])!=iOld ){
      return tsmVtabError(pVtab, SQLITE_ERROR, tsmErrMsg("the rowid of "
          "tsm_metrics cannot be changed"));
    }
  }
  if( sqlite3_value_type(argv[2+COL_METRIC])!=SQLITE_NULL ){
    if( sqlite3_value_type(argv[2+COL_METRIC])!=SQLITE_TEXT ){
      return tsmVtabError(pVtab, SQLITE_ERROR, tsmErrMsg("invalid metric "
          "pattern: must be TEXT, a GLOB pattern over metric names such as "
          "'proxy_*'"));
    }
    rc = tsmValueText(argv[2+COL_METRIC], "metric pattern", &zMetric, &zErr);
    if( rc==SQLITE_OK ) rc = tsmPatternCheck(zMetric, &zErr);
  }
  if( rc==SQLITE_OK ){
    rc = nameArg(argv[2+COL_TYPE], "type", azType, 4,
                 "'counter', 'gauge' or 'untyped'", &eType, &zErr);
  }
  if( rc==SQLITE_OK ){
    rc = nameArg(argv[2+COL_DUP], "duplicates", azDup, 6,
                 "'replace', 'keep', 'sum', 'first', 'min' or 'max'",
                 &eDup, &zErr);
  }
  if( rc==SQLITE_OK && sqlite3_value_type(argv[2+COL_HELP])!=SQLITE_NULL
   && sqlite3_value_type(argv[2+COL_HELP])!=SQLITE_TEXT ){
    zErr = tsmErrMsg("invalid help: must be TEXT (the text of "
        "# HELP) or NULL");
    rc = SQLITE_ERROR;
  }
  if( rc ) return tsmVtabError(pVtab, rc, zErr);

  /* The same pattern in another row? */
  rc = sqlite3_prepare_v2(p->db,
      "SELECT rowid FROM main.tsm_metric_rules WHERE metric=?1", -1, &pStmt, 0);
  if( rc==SQLITE_OK ){
    sqlite3_bind_text(pStmt, 1, zMetric, -1, SQLITE_STATIC);
    if( sqlite3_step(pStmt)==SQLITE_ROW ) iOther = sqlite3_column_int64(pStmt, 0);
  }
  rc = tsmFinalize(&pStmt, rc);
  if( rc ) return rc;
  if( iOther>=0 && (bInsert || iOther!=iOld) ){
    if( sqlite3_vtab_on_conflict(p->db)!=SQLITE_REPLACE ){
      return tsmVtabError(pVtab, SQLITE_CONSTRAINT, tsmErrMsg("a rule for "
          "metric \"%s\" exists already: UPDATE it, or use INSERT OR "
          "REPLACE", zMetric));
    }
    rc = sqlite3_prepare_v2(p->db,
        "DELETE FROM main.tsm_metric_rules WHERE rowid=?1", -1, &pStmt, 0);
    if( rc==SQLITE_OK ){
      sqlite3_bind_int64(pStmt, 1, iOther);
      sqlite3_step(pStmt);
    }
    rc = tsmFinalize(&pStmt, rc);
    if( rc ) return rc;
  }
  rc = sqlite3_prepare_v2(p->db, bInsert ?
      "INSERT INTO main.tsm_metric_rules(metric, type, duplicates, help)"
      " VALUES(?1, ?2, ?3, ?4) RETURNING rowid" :
      "UPDATE main.tsm_metric_rules SET metric=?1, type=?2, duplicates=?3,"
      " help=?4 WHERE rowid=?5", -1, &pStmt, 0);
  if( rc==SQLITE_OK ){
    sqlite3_bind_text(pStmt, 1, zMetric, -1, SQLITE_STATIC);
    if( eType>0 ) sqlite3_bind_text(pStmt, 2, azType[eType], -1, SQLITE_STATIC);
    if( eDup>=0 ) sqlite3_bind_text(pStmt, 3, azDup[eDup], -1, SQLITE_STATIC);
    sqlite3_bind_value(pStmt, 4, argv[2+COL_HELP]);
    if( !bInsert ) sqlite3_bind_int64(pStmt, 5, iOld);
    if( sqlite3_step(pStmt)==SQLITE_ROW ) *pRowid = sqlite3_column_int64(pStmt, 0);
  }
  return tsmFinalize(&pStmt, rc);
}

/* xUpdate: metricsWrite, and a message for every error. */
static int metricsUpdate(sqlite3_vtab *pVtab, int argc, sqlite3_value **argv,
                         sqlite3_int64 *pRowid){
  return tsmVtabError(pVtab, metricsWrite(pVtab, argc, argv, pRowid), 0);
}

/* A write of tsm_metrics rolled back: the rules in memory may be wrong. */
static int metricsBegin(sqlite3_vtab *pVtab){
  (void)pVtab;
  return SQLITE_OK;
}
static int metricsRollback(sqlite3_vtab *pVtab){
  tsmRulesChanged(((TsmVtab*)pVtab)->p);
  return SQLITE_OK;
}
static int metricsSavepoint(sqlite3_vtab *pVtab, int iSavepoint){
  (void)pVtab; (void)iSavepoint;
  return SQLITE_OK;
}
static int metricsRollbackTo(sqlite3_vtab *pVtab, int iSavepoint){
  (void)iSavepoint;
  return metricsRollback(pVtab);
}

sqlite3_module tsmMetricsModule = {
  /* iVersion    */ 2,
  /* xCreate     */ 0,              /* eponymous only */
  /* xConnect    */ metricsConnect,
  /* xBestIndex  */ metricsBestIndex,
  /* xDisconnect */ metricsDisconnect,
  /* xDestroy    */ 0,
  /* xOpen       */ metricsOpen,
  /* xClose      */ metricsClose,
  /* xFilter     */ metricsFilter,
  /* xNext       */ metricsNext,
  /* xEof        */ metricsEof,
  /* xColumn     */ metricsColumn,
  /* xRowid      */ metricsRowid,
  /* xUpdate     */ metricsUpdate,
  /* xBegin      */ metricsBegin,
  /* xSync       */ 0,
  /* xCommit     */ 0,
  /* xRollback   */ metricsRollback,
  /* xFindMethod */ 0,
  /* xRename     */ 0,
  /* xSavepoint  */ metricsSavepoint,
  /* xRelease    */ 0,
  /* xRollbackTo */ metricsRollbackTo,
  /* xShadowName */ 0
};
