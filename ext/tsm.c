/* SPDX-License-Identifier: MIT */
/*
** tsm.c -- entry point of the tsm extension.
**
**   .load dist/tsm          (sqlite3 shell)
**   SELECT load_extension('dist/tsm');
**   sqlite3_auto_extension((void(*)(void))sqlite3_tsm_init);
**                           (static library libtsm.a, -DSQLITE_CORE)
**
** Registers every function and module, from the one table below, with one
** per-connection TsmCtx as user data.  The TsmCtx is freed with the
** tsm_samples module when the connection closes.
*/
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1
#include "tsm.h"
#include "parse.h"
#include "../include/tsm.h"       /* the public declaration */
#include <stdarg.h>
#include <string.h>

/*
** The seam of tsm.h (TsmHooks): what store.c calls in the layers above it.
** Only this file, which registers everything, knows both sides.
*/
static int hookCheck(TsmCtx *p, void (*xLine)(void*, const char*),
                     void *pArg){
  int rc = tsmRollupCheck(p, xLine, pArg);
  if( rc==SQLITE_OK ) rc = tsmPolicyCheck(p, xLine, pArg);
  return rc;
}
static void hookClose(TsmCtx *p){
  tsmRollupClose(p);
  tsmPolicyClose(p);
}
const TsmHooks tsmHooks = {
  /* xFlushed   */ tsmRollupFlushed,
  /* xForget    */ tsmRollupForget,
  /* xCheck     */ hookCheck,
  /* xClose     */ hookClose,
  /* xMetricDup */ tsmMetricDup,
  /* xRulesFree */ tsmRulesFree,
};

/* "tsm: <message>" from sqlite3_malloc (NULL if out of memory): the one
** place that adds the prefix. */
static char *errVMsg(const char *zFmt, va_list ap){
  char *zMsg = sqlite3_vmprintf(zFmt, ap);
  char *zFull = zMsg ? sqlite3_mprintf("tsm: %s", zMsg) : 0;
  sqlite3_free(zMsg);
  return zFull;
}
char *tsmErrMsg(const char *zFmt, ...){
  va_list ap;
  char *z;
  va_start(ap, zFmt);
  z = errVMsg(zFmt, ap);
  va_end(ap);
  return z;
}

/* Set "tsm: <message>" as the error of a function call. */
void tsmErr(sqlite3_context *ctx, const char *zFmt, ...){
  va_list ap;
  char *zFull;
  va_start(ap, zFmt);
  zFull = errVMsg(zFmt, ap);
  va_end(ap);
  if( zFull ) sqlite3_result_error(ctx, zFull, -1);
  else sqlite3_result_error_nomem(ctx);
  sqlite3_free(zFull);
}

/*
** The text of pVal, argument zArg, in *pz.  Text holding a NUL byte is
** refused: C code would read only what is before it ("up\0down" would
** record "up").  SQLITE_NOMEM if the text cannot be had.
*/
int tsmValueText(sqlite3_value *pVal, const char *zArg, const char **pz,
                 char **pzErr){
  const char *z = (const char*)sqlite3_value_text(pVal);
  size_t n = (size_t)sqlite3_value_bytes(pVal);
  *pz = 0;
  if( z==0 ) return SQLITE_NOMEM;
  if( strlen(z)!=n ){
    char zQ[TSM_QUOTE_BUF];
    *pzErr = tsmErrMsg("invalid %s %s: contains a NUL character", zArg,
                       tsmQuote(zQ, z, n));
    return SQLITE_ERROR;
  }
  *pz = z;
  return SQLITE_OK;
}

/*
** pVal quoted for an error message into zOut (TSM_QUOTE_BUF bytes): its
** text with NUL, control characters and bytes that are not UTF-8 escaped
** (tsmQuote), or "BLOB" or "NULL".  Returns zOut.
*/
const char *tsmValueQuote(char *zOut, sqlite3_value *pVal){
  const char *z;
  switch( sqlite3_value_type(pVal) ){
    case SQLITE_BLOB: return strcpy(zOut, "\"BLOB\"");
    case SQLITE_NULL: return strcpy(zOut, "\"NULL\"");
  }
  z = (const char*)sqlite3_value_text(pVal);
  return tsmQuote(zOut, z, z ? (size_t)sqlite3_value_bytes(pVal) : 0);
}

/*
** After a failure rc that set no message of its own (*pzErr NULL): take the
** connection's message now, before a later call (a ROLLBACK, a reset)
** replaces it, as "tsm: <message>".  Nothing for SQLITE_NOMEM, whose
** message SQLite supplies.
*/
void tsmErrFromDb(TsmCtx *p, int rc, char **pzErr){
  if( rc!=SQLITE_OK ){
    /* The statement that fails may roll back what this call did, the
    ** creation of the store included: look at the store again next time. */
    p->bReady = 0;
    p->eRollup = 0;
  }
  if( rc!=SQLITE_OK && rc!=SQLITE_NOMEM && *pzErr==0 ){
    const char *zMsg = tsmErrText(rc, sqlite3_errmsg(p->db));
    *pzErr = strncmp(zMsg, "tsm: ", 5)==0 ? sqlite3_mprintf("%s", zMsg)
                                           : tsmErrMsg("%s", zMsg);
  }
}

/* Report rc from a function: zErr ("tsm: ..." from sqlite3_mprintf, taken
** over) if there is one, else the connection's message. */
void tsmResultError(sqlite3_context *ctx, TsmCtx *p, int rc, char *zErr){
  tsmErrFromDb(p, rc, &zErr);
  if( zErr ){
    sqlite3_result_error(ctx, zErr, -1);
    sqlite3_free(zErr);
  }else{
    sqlite3_result_error_nomem(ctx);
  }
  if( rc!=SQLITE_NOMEM ) sqlite3_result_error_code(ctx, rc);
}

/* Return rc from a method of a tsm virtual table, with its message: zErr
** (from sqlite3_mprintf, taken over) if there is one, else one set
** already during this call, else the connection's (tsmErrFromDb), so that
** no error reaches the user without "tsm: " and a reason. */
int tsmVtabError(sqlite3_vtab *pVtab, int rc, char *zErr){
  if( rc==SQLITE_OK ){
    sqlite3_free(zErr);
    return rc;
  }
  if( pVtab->zErrMsg ){
    tsmErrFromDb(((TsmVtab*)pVtab)->p, rc, &pVtab->zErrMsg);
  }else{
    tsmErrFromDb(((TsmVtab*)pVtab)->p, rc, &zErr);
  }
  if( zErr ){
    sqlite3_free(pVtab->zErrMsg);
    pVtab->zErrMsg = zErr;
  }
  return rc;
}

/* xConnect of every tsm table: declare zSchema, allocate a TsmVtab. */
int tsmVtabConnect(sqlite3 *db, void *pAux, const char *zSchema,
                   sqlite3_vtab **ppVtab){
  TsmVtab *pTab;
  int rc = sqlite3_declare_vtab(db, zSchema);
  if( rc ) return rc;
  pTab = sqlite3_malloc(sizeof(*pTab));
  if( pTab==0 ) return SQLITE_NOMEM;
  memset(pTab, 0, sizeof(*pTab));
  pTab->p = (TsmCtx*)pAux;
  *ppVtab = &pTab->base;
  return SQLITE_OK;
}

/*
** xOpen of every table: a zeroed cursor of nByte bytes (a struct that
** begins like TsmCursor) for table pVtab, in *ppCur.  NULL if out of
** memory.
*/
void *tsmCursorOpen(sqlite3_vtab *pVtab, size_t nByte,
                    sqlite3_vtab_cursor **ppCur){
  TsmCursor *pCur = sqlite3_malloc64(nByte);
  if( pCur==0 ) return 0;
  memset(pCur, 0, nByte);
  pCur->p = ((TsmVtab*)pVtab)->p;
  *ppCur = &pCur->base;
  return pCur;
}

static void ctxDestroy(void *pArg){
  tsmStoreFree((TsmCtx*)pArg);
}

/* The pure modules allocate through SQLite's allocator (alloc.h). */
static void *sqlMalloc(size_t n){ return sqlite3_malloc64(n); }
static void *sqlRealloc(void *p, size_t n){ return sqlite3_realloc64(p, n); }
static void sqlFree(void *p){ sqlite3_free(p); }

/* The one symbol the loadable extension exports (it is built with
** -fvisibility=hidden; test/install.sh checks with nm). */
#if defined(_WIN32)
__declspec(dllexport)
#elif defined(__GNUC__)
__attribute__((visibility("default")))
#endif
int sqlite3_tsm_init(sqlite3 *db, char **pzErrMsg,
                     const sqlite3_api_routines *pApi){
  static const TsmAllocator sAlloc = { sqlMalloc, sqlRealloc, sqlFree };
  /* Every module.  The first one owns p: its destructor runs when the
  ** connection closes, after every table has disconnected. */
  static const struct {
    const char *zName;
    sqlite3_module *pModule;
  } aModule[] = {
    { "tsm_samples",   &tsmSamplesModule },     /* vtab_samples.c */
    { "tsm_series",    &tsmSeriesModule },      /* vtab_series.c */
    { "tsm_rollups",   &tsmRollupsModule },     /* vtab_rollups.c */
    { "tsm_retention", &tsmRetentionModule },   /* vtab_retention.c */
    { "tsm_metrics",   &tsmMetricsModule },     /* metrics.c */
    { "tsm_query",     &tsmQueryModule },       /* query.c */
    { "tsm_export",    &tsmExportModule },      /* export.c */
  };
  /* Every function.  Pure ones are innocuous and deterministic; those that
  ** read or write the store are neither (README "Safety"). */
#define PURE  (SQLITE_UTF8|SQLITE_INNOCUOUS|SQLITE_DETERMINISTIC)
#define STORE (SQLITE_UTF8)
  static const struct {
    const char *zName;
    signed char nArgMin, nArgMax;
    int eFlags;
    void (*xFunc)(sqlite3_context*, int, sqlite3_value**);
    void (*xStep)(sqlite3_context*, int, sqlite3_value**);
    void (*xFinal)(sqlite3_context*);
  } aFunc[] = {
    { "tsm_version",      0, 0, PURE,  tsmVersionFunc, 0, 0 },
    { "tsm_debug",        0, 0, PURE,  tsmDebugFunc, 0, 0 },
    { "tsm_init",         0, 0, STORE, tsmInitFunc, 0, 0 },
    { "tsm_record",       2, 4, STORE, tsmRecordFunc, 0, 0 },
    { "tsm_flush",        0, 0, STORE, tsmFlushFunc, 0, 0 },
    { "tsm_latest",       1, 2, STORE, tsmLatestFunc, 0, 0 },
    { "tsm_check",        0, 0, STORE, tsmCheckFunc, 0, 0 },
    { "tsm_stats",        0, 0, STORE, tsmStatsFunc, 0, 0 },
    { "tsm_downsample",   0, 3, STORE, tsmDownsampleFunc, 0, 0 },
    { "tsm_prune",        0, 0, STORE, tsmPruneFunc, 0, 0 },
    { "tsm_auto",         0, 1, STORE, tsmAutoFunc, 0, 0 },
    { "tsm_quantile",     2, 2, PURE,  tsmQuantileFunc, 0, 0 },
    { "tsm_rank",         2, 2, PURE,  tsmRankFunc, 0, 0 },
    { "tsm_sketch_merge", 1, 1, PURE,  0, tsmSketchMergeStep,
                                          tsmSketchMergeFinal },
    { "tsm_bucket",       2, 2, PURE,  tsmBucketFunc, 0, 0 },
    { "tsm_selector",     2, 2, PURE,  tsmSelectorFunc, 0, 0 },
    { "tsm_prometheus",   0, 2, STORE, tsmPrometheusFunc, 0, 0 },
    { "tsm_import",       2, 2, STORE, tsmImportFunc, 0, 0 },
  };
#undef PURE
#undef STORE
  TsmCtx *p;
  int rc = SQLITE_OK, i, n;
  SQLITE_EXTENSION_INIT2(pApi);
  tsmAllocatorSet(&sAlloc);

  if( sqlite3_libversion_number()<3038000 ){
    *pzErrMsg = tsmErrMsg("needs SQLite 3.38 or newer, "
                                "this is %s", sqlite3_libversion());
    return SQLITE_ERROR;
  }
  p = sqlite3_malloc(sizeof(*p));
  if( p==0 ) return SQLITE_NOMEM;
  memset(p, 0, sizeof(*p));
  p->db = db;
  p->iPruneInterval = TSM_AUTO_INTERVAL_MS;      /* tsm_auto() */

  for(i=0; rc==SQLITE_OK && i<(int)(sizeof(aModule)/sizeof(aModule[0])); i++){
    rc = sqlite3_create_module_v2(db, aModule[i].zName, aModule[i].pModule,
                                  p, i==0 ? ctxDestroy : 0);
    if( rc && i==0 ) p = 0;    /* the destructor already freed it */
  }
  for(i=0; rc==SQLITE_OK && i<(int)(sizeof(aFunc)/sizeof(aFunc[0])); i++){
    for(n=aFunc[i].nArgMin; rc==SQLITE_OK && n<=aFunc[i].nArgMax; n++){
      rc = sqlite3_create_function(db, aFunc[i].zName, n, aFunc[i].eFlags,
                                   p, aFunc[i].xFunc, aFunc[i].xStep,
                                   aFunc[i].xFinal);
    }
  }
  if( rc!=SQLITE_OK ){
    *pzErrMsg = tsmErrMsg("cannot register functions: %s",
                                sqlite3_errstr(rc));
  }
  return rc;
}

/* The message for failure rc: zMsg, the connection's, unless it says
** nothing ("not an error": a later call reset it). */
const char *tsmErrText(int rc, const char *zMsg){
  if( rc!=SQLITE_OK && (zMsg==0 || strcmp(zMsg, "not an error")==0) ){
    return sqlite3_errstr(rc);
  }
  return zMsg;
}
