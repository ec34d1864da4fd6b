/*
** tsm.c -- entry point of the tsm extension.
**
**   .load dist/tsm          (sqlite3 shell)
**   SELECT load_extension('dist/tsm');
**
** Registers every function (func.c) and module (vtab_*.c) with one
** per-connection TsmCtx as user data.  The TsmCtx is freed with the
** tsm_samples module when the connection closes.
*/
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1
#include "tsm.h"
#include <stdarg.h>
#include <string.h>

/* Set "tsm: <message>" as the error of a function call. */
void tsmErr(sqlite3_context *ctx, const char *zFmt, ...){
  va_list ap;
  char *zMsg;
  va_start(ap, zFmt);
  zMsg = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  if( zMsg==0 ){
    sqlite3_result_error_nomem(ctx);
  }else{
    char *zFull = sqlite3_mprintf("tsm: %s", zMsg);
    if( zFull ) sqlite3_result_error(ctx, zFull, -1);
    else sqlite3_result_error_nomem(ctx);
    sqlite3_free(zFull);
    sqlite3_free(zMsg);
  }
}

/* Report rc from a function: zErr ("tsm: ..." from sqlite3_mprintf, taken
** over) if there is one, else the connection's message. */
void tsmResultError(sqlite3_context *ctx, TsmCtx *p, int rc, char *zErr){
  if( zErr ){
    sqlite3_result_error(ctx, zErr, -1);
    sqlite3_free(zErr);
  }else if( rc==SQLITE_NOMEM ){
    sqlite3_result_error_nomem(ctx);
  }else{
    const char *zMsg = sqlite3_errmsg(p->db);
    if( strncmp(zMsg, "tsm: ", 5)==0 ) sqlite3_result_error(ctx, zMsg, -1);
    else tsmErr(ctx, "%s", zMsg);
  }
  if( rc!=SQLITE_NOMEM ) sqlite3_result_error_code(ctx, rc);
}

/* Set zErr (from sqlite3_mprintf, taken over) as the error of a virtual
** table; nothing when zErr is NULL. */
void tsmVtabError(sqlite3_vtab *pVtab, char *zErr){
  if( zErr ){
    sqlite3_free(pVtab->zErrMsg);
    pVtab->zErrMsg = zErr;
  }
}

static void ctxDestroy(void *pArg){
  tsmStoreFree((TsmCtx*)pArg);
}

#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_tsm_init(sqlite3 *db, char **pzErrMsg,
                     const sqlite3_api_routines *pApi){
  static const struct {
    const char *zName;
    sqlite3_module *pModule;
  } aModule[] = {
    { "tsm_samples", &tsmSamplesModule },
    { "tsm_series",  &tsmSeriesModule },
  };
  TsmCtx *p;
  int rc = SQLITE_OK, i;
  SQLITE_EXTENSION_INIT2(pApi);

  if( sqlite3_libversion_number()<3038000 ){
    *pzErrMsg = sqlite3_mprintf("tsm: needs SQLite 3.38 or newer, "
                                "this is %s", sqlite3_libversion());
    return SQLITE_ERROR;
  }
  p = sqlite3_malloc(sizeof(*p));
  if( p==0 ) return SQLITE_NOMEM;
  memset(p, 0, sizeof(*p));
  p->db = db;

  /* The first module owns p: its destructor runs when the connection
  ** closes, after every table has disconnected. */
  for(i=0; rc==SQLITE_OK && i<(int)(sizeof(aModule)/sizeof(aModule[0])); i++){
    rc = sqlite3_create_module_v2(db, aModule[i].zName, aModule[i].pModule,
                                  p, i==0 ? ctxDestroy : 0);
    if( rc && i==0 ) p = 0;    /* the destructor already freed it */
  }
  if( rc==SQLITE_OK ) rc = tsmFuncRegister(db, p);
  if( rc==SQLITE_OK ) rc = tsmQueryRegister(db, p);    /* query.c */
  if( rc==SQLITE_OK ) rc = tsmExportRegister(db, p);   /* export.c */
  if( rc==SQLITE_OK ) rc = tsmRollupRegister(db, p);   /* rollup.c */
  if( rc!=SQLITE_OK ){
    *pzErrMsg = sqlite3_mprintf("tsm: cannot register functions: %s",
                                sqlite3_errstr(rc));
  }
  return rc;
}
