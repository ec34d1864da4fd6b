/* SPDX-License-Identifier: MIT */
/*
** func.c -- the scalar SQL functions of the core.
**
**   tsm_version()                       text
**   tsm_debug()                         version, commit, build, SQLite
**   tsm_init()                          create the store; its format version
**   tsm_record(metric, value [, labels [, ts]])   series_id
**   tsm_flush()                         samples written now
**   tsm_latest(metric [, labels])       latest value of one series
**   tsm_check()                         'ok' or one line per problem
**   tsm_stats()                         JSON
**
** The table of every function and module is in tsm.c.
*/
#include "tsm.h"
#include "parse.h"
#include "buildinfo.h"
#include <stdlib.h>
#include <string.h>

void tsmVersionFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  (void)argc; (void)argv;
  sqlite3_result_text(ctx, TSM_VERSION, -1, SQLITE_STATIC);
}

/* The build this is: the git commit and CFLAGS come from the Makefile
** (build/buildinfo.h, "unknown" outside a git checkout), the rest from
** the compiler. */
#ifndef TSM_CFLAGS
# define TSM_CFLAGS "unknown"
#endif
#ifdef SQLITE_CORE
# define TSM_LINKAGE "static library"
#else
# define TSM_LINKAGE "loadable extension"
#endif
#if defined(__SANITIZE_ADDRESS__)
# define TSM_SANITIZED ", AddressSanitizer"
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define TSM_SANITIZED ", AddressSanitizer"
# endif
#endif
#ifndef TSM_SANITIZED
# define TSM_SANITIZED ""
#endif
#ifdef NDEBUG
# define TSM_ASSERTS ", asserts off"
#else
# define TSM_ASSERTS ", asserts on"
#endif
#if defined(__clang__)
# define TSM_COMPILER __VERSION__
#elif defined(__GNUC__)
# define TSM_COMPILER "gcc " __VERSION__
#else
# define TSM_COMPILER "unknown compiler"
#endif

void tsmDebugFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  char *z;
  (void)argc; (void)argv;
  z = sqlite3_mprintf(
      "tsm %s\n"
      "commit: %s\n"
      "build: %s" TSM_SANITIZED TSM_ASSERTS "\n"
      "compiler: %s\n"
      "cflags: %s\n"
      "sqlite: %s (compiled with %s)",
      TSM_VERSION, TSM_COMMIT, TSM_LINKAGE, TSM_COMPILER, TSM_CFLAGS,
      sqlite3_libversion(), SQLITE_VERSION);
  if( z==0 ) sqlite3_result_error_nomem(ctx);
  else sqlite3_result_text(ctx, z, -1, sqlite3_free);
}

void tsmInitFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  TsmCtx *p = sqlite3_user_data(ctx);
  char *zErr = 0;
  int rc = tsmStoreReady(p, TSM_HAVE_STORE, 0, &zErr);
  (void)argc; (void)argv;
  if( rc ){ tsmResultError(ctx, p, rc, zErr); return; }
  sqlite3_result_int(ctx, 1);
}

/* tsm_record(metric, value [, labels [, ts]]): runs the cached
** INSERT INTO tsm_samples, so that SQLite enlists tsm_samples in the
** transaction (see vtab_samples.c), and returns the series_id. */
void tsmRecordFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  TsmCtx *p = sqlite3_user_data(ctx);
  int rc = SQLITE_OK;
  if( sqlite3_db_readonly(p->db, "main")==1 ){
    /* INSERT INTO tsm_samples cannot say this: SQLite refuses it before
    ** calling the table (README "Errors"). */
    tsmErr(ctx, "cannot record: the database is read-only");
    return;
  }
  if( p->pRecord==0 ){
    rc = tsmGuardClose(p);
    if( rc==SQLITE_OK ) rc = sqlite3_prepare_v3(p->db,
        "INSERT INTO main.tsm_samples(metric, value, labels, ts) "
        "VALUES(?1, ?2, ?3, ?4)", -1, SQLITE_PREPARE_PERSISTENT,
        &p->pRecord, 0);
    if( rc ){ tsmResultError(ctx, p, rc, 0); return; }
  }
  sqlite3_bind_value(p->pRecord, 1, argv[0]);
  sqlite3_bind_value(p->pRecord, 2, argv[1]);
  if( argc>2 ) sqlite3_bind_value(p->pRecord, 3, argv[2]);
  else sqlite3_bind_null(p->pRecord, 3);
  if( argc>3 ) sqlite3_bind_value(p->pRecord, 4, argv[3]);
  else sqlite3_bind_null(p->pRecord, 4);
  p->iLastSeries = 0;
  sqlite3_step(p->pRecord);
  rc = sqlite3_reset(p->pRecord);
  if( rc ){ tsmResultError(ctx, p, rc, 0); return; }
  if( p->iLastSeries ) sqlite3_result_int64(ctx, p->iLastSeries);
  /* else a NULL value: nothing recorded, the result is NULL */
}

void tsmFlushFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  TsmCtx *p = sqlite3_user_data(ctx);
  char *zErr = 0;
  int n = 0, rc = tsmStoreFlush(p, &n, &zErr);
  (void)argc; (void)argv;
  if( rc ){ tsmResultError(ctx, p, rc, zErr); return; }
  sqlite3_result_int(ctx, n);
}

void tsmLatestFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  TsmCtx *p = sqlite3_user_data(ctx);
  char *zErr = 0;
  const char *zMetric = 0, *zLabels = 0;
  int rc = SQLITE_OK, bExists = 0, bFound = 0;
  int64_t iSeries = 0, ts;
  double v;
  if( sqlite3_value_type(argv[0])!=SQLITE_TEXT ){
    tsmErr(ctx, "invalid metric: must be TEXT, a metric name optionally "
           "with {labels}");
    return;
  }
  if( argc>1 && sqlite3_value_type(argv[1])!=SQLITE_NULL ){
    if( sqlite3_value_type(argv[1])!=SQLITE_TEXT ){
      tsmErr(ctx, "invalid labels: must be TEXT holding a JSON object of "
             "strings, or NULL");
      return;
    }
    rc = tsmValueText(argv[1], "labels", &zLabels, &zErr);
  }
  if( rc==SQLITE_OK ) rc = tsmValueText(argv[0], "metric", &zMetric, &zErr);
  if( rc ){ tsmResultError(ctx, p, rc, zErr); return; }
  rc = tsmStoreFlush(p, 0, &zErr);
  if( rc==SQLITE_OK ) rc = tsmStoreReady(p, 0, &bExists, &zErr);
  if( rc==SQLITE_OK && bExists ){
    /* store.c: the connection's cache knows the series it saw */
    int eDup;
    rc = tsmSeriesResolve(p, zMetric, zLabels, 0, &iSeries, &eDup, &zErr);
    if( rc==SQLITE_OK && iSeries>0 ){
      rc = tsmSeriesLast(p, iSeries, &bFound, &ts, &v, &zErr);
    }
  }else if( rc==SQLITE_OK ){
    /* no store yet: nothing to find, but the arguments are still checked */
    char *zM = 0, *zL = 0, zMsg[512];
    if( tsmSeriesKey(zMetric, zLabels, &zM, &zL, zMsg, sizeof(zMsg)) ){
      tsmErr(ctx, "%s", zMsg);
      return;
    }
    tsmFree(zM);
    tsmFree(zL);
  }
  if( rc ){ tsmResultError(ctx, p, rc, zErr); return; }
  if( bFound ) sqlite3_result_double(ctx, v);
}

void tsmCheckFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  TsmCtx *p = sqlite3_user_data(ctx);
  char *zOut = 0, *zErr = 0;
  int rc = tsmStoreCheck(p, &zOut, &zErr);
  (void)argc; (void)argv;
  if( rc ){ tsmResultError(ctx, p, rc, zErr); return; }
  sqlite3_result_text(ctx, zOut, -1, sqlite3_free);
}

void tsmStatsFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  TsmCtx *p = sqlite3_user_data(ctx);
  char *zOut = 0, *zErr = 0;
  int rc = tsmStoreStats(p, &zOut, &zErr);
  (void)argc; (void)argv;
  if( rc ){ tsmResultError(ctx, p, rc, zErr); return; }
  sqlite3_result_text(ctx, zOut, -1, sqlite3_free);
  sqlite3_result_subtype(ctx, 'J');
}
