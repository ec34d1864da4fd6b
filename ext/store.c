/* SPDX-License-Identifier: MIT */
/*
** store.c -- the tsm store: schema and migrations, the store's
** statements (azStmt) and the statement cache every module uses
** (tsmStmtCached), transactions of tsm's own (tsmTxnBegin/End), the series
** registry and its cache, the flush of buffered samples into chunks, chunk
** reading, tsm_check and tsm_stats.
**
** The one owner of tsm_ids, tsm_chunks, tsm_heads and tsm_counts (as
** FTS5's fts5_index.c owns %_data): every statement on them is in this
** file, and the rest of ext/ goes through the API of tsm.h: the series
** registry (tsmSeriesResolve, tsmSeriesNames, the TsmSeriesScan cursor
** over series_id/metric/labels =, tsmSeriesFound), the TsmChunks cursor
** (chunk metadata, then tsmChunksDecode on demand; zChunksOverlap is the
** one "chunks overlapping a range" statement), TsmReader (samples in a
** range), tsmHeadGet/Put/Scan (TsmHeadRow: bRow, bSealed), the questions
** of rollups and retention (tsmChunkNth, tsmChunksScan,
** tsmSampleTotal, tsmSeriesStat) and the prune's deletes (tsmChunksDrop,
** tsmChunksDropAll), which keep tsm_counts themselves.
**
** The lowest layer with SQL (docs/ARCHITECTURE.md): it calls up into
** rollup.c, policy.c and metrics.c only through the hooks of tsm.h
** (tsmHooks: a flush wrote a range, a series is deleted, tsm_check, close,
** a metric's duplicate policy, rules to forget).
**
** Tables (sql/001_init.sql, docs/FORMAT.md):
**   tsm_meta(key, value)          format version and creator
**   tsm_ids(series_id, metric, labels)
**   tsm_counts(series_id, n_chunks, n_sealed)
**   tsm_chunks(chunk_id, series_id, ts_first, ts_last, n, n_val,
**              v_min, v_max, v_sum, v_first, v_last, data)
**   tsm_heads(series_id, sealed_last, n, data)
**
** Invariants per series: tsm_counts counts its sealed chunks and their
** samples (kept by seriesCount, checked by tsm_check, which so sees a
** lost chunk row; no row: no chunks); it has one head row from its
** first flush on; sealed chunks never overlap, each holds 1 to
** TSM_CHUNK_MAX samples in increasing time order (equal timestamps only
** for series with the "keep" policy, never split between two chunks); the head holds fewer than
** TSM_HEAD_MAX samples, all later than sealed_last, which is at least the
** ts_last of every sealed chunk.
**
** The flush, per series with buffered samples B (sorted, deduplicated):
**   1. Samples at or before sealed_last are merged into the sealed chunks
**      they fall in (storeMergeSealed): those chunks are decoded, deleted
**      and rewritten (chunkSeal).
**   2. The rest are merged with the head.  When that makes TSM_HEAD_MAX
**      samples or more, they are sealed (chunkSeal: pieces sized for the
**      page; the last sealed chunk, while still small, is topped up in
**      place), but for a last piece of fewer than TSM_HEAD_MAX, which stays
**      the head (encoded TSM_CODEC_FAST, cheap to rewrite every commit).
*/
#include "tsm.h"
#include "parse.h"
#include "migrations.h"
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <stdarg.h>
#include <assert.h>

static void headsFree(TsmCtx*);
/* The format is the version of the last migration (numbers may skip). */
#define TSM_NMIGRATION ((int)(sizeof(aTsmMigration)/sizeof(aTsmMigration[0])))
#define TSM_FORMAT (aTsmMigration[TSM_NMIGRATION-1].iVersion)

/* The columns of a chunk row but its blob, as chunkRow() reads them. */
#define CHUNK_COLS "chunk_id, series_id, ts_first, ts_last, n, n_val, " \
                   "v_min, v_max, v_sum, v_first, v_last"

/* The chunks of one series that overlap [?2, ?3], in time order: the chunk
** starting at or before ?2 (it may reach into the range) and every chunk
** starting inside it.  The one statement of this: TsmChunks cursors
** prepare it each, the merge of late samples has it cached. */
static const char zChunksOverlap[] =
  "SELECT " CHUNK_COLS " FROM main.tsm_chunks "
  "WHERE series_id=?1 AND ts_first<=?3 AND ts_first>=coalesce("
  "  (SELECT max(ts_first) FROM main.tsm_chunks"
  "   WHERE series_id=?1 AND ts_first<=?2), -9223372036854775808) "
  "ORDER BY ts_first";

/* The chunks of one series starting before ?2, newest first. */
static const char zChunksBefore[] =
  "SELECT " CHUNK_COLS " FROM main.tsm_chunks "
  "WHERE series_id=?1 AND ts_first<?2 ORDER BY ts_first DESC";

/* Every internal statement, by TSM_STMT_xxx. */
static const char *const azStmt[TSM_STMT_COUNT] = {
  [TSM_STMT_META_GET] =
    "SELECT value FROM main.tsm_meta WHERE key='format'",
  [TSM_STMT_SERIES_FIND] =
    "SELECT series_id FROM main.tsm_ids WHERE metric=?1 AND labels=?2",
  [TSM_STMT_SERIES_INSERT] =
    "INSERT INTO main.tsm_ids(metric, labels) VALUES(?1, ?2) "
    "RETURNING series_id",
  [TSM_STMT_SERIES_GET] =
    "SELECT metric, labels FROM main.tsm_ids WHERE series_id=?1",
  [TSM_STMT_SERIES_DELETE] =
    "DELETE FROM main.tsm_ids WHERE series_id=?1",
  [TSM_STMT_SERIES_STAT] =
    "SELECT (SELECT min(ts_first) FROM main.tsm_chunks WHERE series_id=?1),"
    " (SELECT total(n) FROM main.tsm_chunks WHERE series_id=?1)"
    "   + coalesce((SELECT n FROM main.tsm_heads WHERE series_id=?1), 0),"
    " (SELECT total(length(data)) FROM main.tsm_chunks WHERE series_id=?1)"
    "   + coalesce((SELECT length(data) FROM main.tsm_heads"
    "               WHERE series_id=?1), 0)",
  [TSM_STMT_HEAD_GET] =            /* the columns headRow() reads */
    "SELECT sealed_last, n, data FROM main.tsm_heads WHERE series_id=?1",
  [TSM_STMT_HEAD_SCAN] =
    "SELECT sealed_last, n, data, series_id FROM main.tsm_heads"
    " ORDER BY series_id",
  [TSM_STMT_HEAD_PUT] =          /* an upsert updates in place */
    "INSERT INTO main.tsm_heads(series_id, sealed_last, n, data) "
    "VALUES(?1, ?2, ?3, ?4) ON CONFLICT(series_id) DO UPDATE SET "
    "sealed_last=excluded.sealed_last, n=excluded.n, data=excluded.data",
  [TSM_STMT_HEAD_UPDATE] =
    "UPDATE main.tsm_heads SET sealed_last=?2, n=?3, data=?4 "
    "WHERE series_id=?1",
  [TSM_STMT_HEAD_DELETE] =
    "DELETE FROM main.tsm_heads WHERE series_id=?1",
  [TSM_STMT_CHUNK_AFFECTED] = zChunksOverlap,
  [TSM_STMT_CHUNK_LAST] =
    "SELECT ts_first, ts_last, data, n, n_val, v_last FROM main.tsm_chunks "
    "WHERE series_id=?1 ORDER BY ts_first DESC LIMIT 1",
  [TSM_STMT_CHUNK_WARM] =
    "SELECT chunk_id, length(data), n FROM main.tsm_chunks WHERE series_id=?1 "
    "ORDER BY ts_first DESC LIMIT 1",
  [TSM_STMT_CHUNK_GET] =
    "SELECT ts_first, ts_last, data FROM main.tsm_chunks WHERE chunk_id=?1",
  [TSM_STMT_CHUNK_INSERT] =
    "INSERT INTO main.tsm_chunks(series_id, ts_first, ts_last, n, n_val, "
    "v_min, v_max, v_sum, v_first, v_last, data, chunk_id) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, CASE WHEN ?12 "
    "THEN (SELECT CASE WHEN w IS NULL THEN -4611686018427387904 "
    "  WHEN w<-1 THEN w+1 "
    "  ELSE (SELECT min(coalesce(min(chunk_id), 0), 0) - 1 FROM main.tsm_chunks) "
    "  END FROM (SELECT max(chunk_id) AS w FROM main.tsm_chunks "
    "  WHERE chunk_id<=0)) "
    "ELSE (SELECT max(coalesce(max(chunk_id), 0), 0) + 1 FROM main.tsm_chunks) "
    "END)",
  [TSM_STMT_CHUNK_DELETE] =
    "DELETE FROM main.tsm_chunks WHERE chunk_id=?1 RETURNING n",
  [TSM_STMT_SERIES_COUNT] =
    "INSERT INTO main.tsm_counts(series_id, n_chunks, n_sealed) "
    "VALUES(?1, ?2, ?3) ON CONFLICT(series_id) DO UPDATE SET "
    "n_chunks=n_chunks+excluded.n_chunks, n_sealed=n_sealed+excluded.n_sealed",
  [TSM_STMT_COUNT_DELETE] =
    "DELETE FROM main.tsm_counts WHERE series_id=?1",
  [TSM_STMT_CHUNK_DELETE_SERIES] =
    "DELETE FROM main.tsm_chunks WHERE series_id=?1",
  [TSM_STMT_CHUNK_NTH] =
    "SELECT ts_first, ts_last FROM main.tsm_chunks WHERE series_id=?1"
    " ORDER BY ts_first LIMIT 1 OFFSET ?2",
  [TSM_STMT_CHUNK_DROP_SIZE] =
    "SELECT count(*), coalesce(sum(n), 0) FROM main.tsm_chunks"
    " WHERE series_id=?1 AND ts_first<?2 AND ts_last<?2",
  [TSM_STMT_CHUNK_DROP] =          /* (RETURNING would cost twice as much) */
    "DELETE FROM main.tsm_chunks WHERE series_id=?1 AND ts_first<?2"
    " AND ts_last<?2",
  [TSM_STMT_CHUNK_STRADDLE] =
    "SELECT chunk_id, ts_first FROM main.tsm_chunks"
    " WHERE series_id=?1 AND ts_first<?2 AND ts_last>=?2",
  [TSM_STMT_CHUNK_TRIM] =
    "UPDATE main.tsm_chunks SET ts_first=?2, n=?3, n_val=?4, v_min=?5,"
    " v_max=?6, v_sum=?7, v_first=?8, v_last=?9 WHERE chunk_id=?1",
  [TSM_STMT_SAMPLE_TOTAL] =
    "SELECT (SELECT total(n) FROM main.tsm_chunks)"
    " + (SELECT total(n) FROM main.tsm_heads)",
  [TSM_STMT_BEGIN] = "BEGIN IMMEDIATE",     /* tsmTxnBegin, tsmTxnEnd */
  [TSM_STMT_COMMIT] = "COMMIT",
  [TSM_STMT_ROLLBACK] = "ROLLBACK",
};

/*
** Cached statements and sqlite3_close().  sqlite3_close() refuses to close a
** connection with unfinalized statements, but before it checks, it
** disconnects every eponymous virtual table that no statement holds.  Both
** of our tables finalize every cached statement when they disconnect.  The
** cached statements may hold tsm_samples (tsm_record's INSERT does) but
** never tsm_series, so tsm_series is connected before the first statement
** is cached: its disconnection finalizes the rest, and then tsm_samples
** disconnects too.
*/
int tsmGuardClose(TsmCtx *p){
  if( p->bGuard ) return SQLITE_OK;
  return sqlite3_exec(p->db, "SELECT 0 FROM main.tsm_series WHERE 0", 0,0,0);
}

/* The statement cached in *ppSlot (zSql, prepared the first time), reset
** and with no bindings, in *ppStmt.  Every cache of statements (azStmt
** here, rollup.c, policy.c) goes through this. */
int tsmStmtCached(TsmCtx *p, sqlite3_stmt **ppSlot, const char *zSql,
                  sqlite3_stmt **ppStmt){
  int rc = SQLITE_OK;
  if( *ppSlot==0 ){
    rc = tsmGuardClose(p);
    if( rc==SQLITE_OK ){
      rc = sqlite3_prepare_v3(p->db, zSql, -1, SQLITE_PREPARE_PERSISTENT,
                              ppSlot, 0);
    }
  }else{
    sqlite3_reset(*ppSlot);
    sqlite3_clear_bindings(*ppSlot);
  }
  *ppStmt = *ppSlot;
  return rc;
}

/* Return the cached statement eStmt, reset and with no bindings. */
int tsmStmt(TsmCtx *p, int eStmt, sqlite3_stmt **ppStmt){
  return tsmStmtCached(p, &p->aStmt[eStmt], azStmt[eStmt], ppStmt);
}

/* Finalize the n cached statements of a[] and clear them.  Finalizing
** p->pRecord may disconnect tsm_samples, which closes the store again:
** each pointer is cleared before its statement is finalized. */
void tsmStmtsFinalize(sqlite3_stmt **a, int n){
  int i;
  for(i=0; i<n; i++){
    sqlite3_stmt *pStmt = a[i];
    a[i] = 0;
    sqlite3_finalize(pStmt);
  }
}

/* Step a statement that returns no rows (or whose rows do not matter) and
** reset it; return the reset's result. */
int tsmStmtRun(sqlite3_stmt *pStmt){
  while( sqlite3_step(pStmt)==SQLITE_ROW ){}
  return sqlite3_reset(pStmt);
}

/* SQLite stores NaN as NULL; bind a double so that NaN becomes NULL. */
void tsmBindReal(sqlite3_stmt *pStmt, int i, double v){
  if( isnan(v) ) sqlite3_bind_null(pStmt, i);
  else sqlite3_bind_double(pStmt, i, v);
}

/* Column i of pStmt as a double; NULL (a NaN that SQLite stored) is NaN.
** The type is asked only when the value reads 0.0 (one call per column
** otherwise: a tier row reads six of them). */
double tsmColumnReal(sqlite3_stmt *pStmt, int i){
  double v = sqlite3_column_double(pStmt, i);
  if( v==0.0 && sqlite3_column_type(pStmt, i)==SQLITE_NULL ) return NAN;
  return v;
}

/*
** Own transaction for tsm_downsample() and tsm_prune() called in autocommit
** mode: BEGIN IMMEDIATE takes the write lock first (two connections that
** prune at once wait for each other instead of failing on a stale
** snapshot), and the work is atomic.  Inside a transaction, or under a
** statement that writes (which would make COMMIT fail), the work simply
** joins the current transaction.
**
** COMMIT and ROLLBACK are prepared before the transaction begins: stepping
** a prepared ROLLBACK allocates nothing, so no out-of-memory can leave the
** connection inside this transaction, holding the write lock, with later
** writes never committed (issue #10).  SQLite does not end it for us: the
** failing statement (SELECT tsm_prune()) reads no table.
*/
int tsmTxnBegin(TsmCtx *p, int *pbOwn){
  sqlite3_stmt *pStmt;
  int rc;
  *pbOwn = 0;
  if( !sqlite3_get_autocommit(p->db) ) return SQLITE_OK;
  for(pStmt=sqlite3_next_stmt(p->db, 0); pStmt;
      pStmt=sqlite3_next_stmt(p->db, pStmt)){
    if( sqlite3_stmt_busy(pStmt) && !sqlite3_stmt_readonly(pStmt) ){
      return SQLITE_OK;
    }
  }
  rc = tsmStmt(p, TSM_STMT_COMMIT, &pStmt);
  if( rc==SQLITE_OK ) rc = tsmStmt(p, TSM_STMT_ROLLBACK, &pStmt);
  if( rc==SQLITE_OK ) rc = tsmStmt(p, TSM_STMT_BEGIN, &pStmt);
  if( rc==SQLITE_OK ) rc = tsmStmtRun(pStmt);
  if( rc==SQLITE_OK ) *pbOwn = 1;
  return rc;
}

/* End what tsmTxnBegin began: COMMIT if rc is SQLITE_OK, else ROLLBACK. */
int tsmTxnEnd(TsmCtx *p, int bOwn, int rc){
  sqlite3_stmt *pStmt;
  int i;
  if( !bOwn ) return rc;
  if( rc==SQLITE_OK ){
    rc = tsmStmt(p, TSM_STMT_COMMIT, &pStmt);
    if( rc==SQLITE_OK ) rc = tsmStmtRun(pStmt);
    if( rc==SQLITE_OK ) tsmCacheCommitted(p);
  }
  for(i=0; rc!=SQLITE_OK && i<3 && !sqlite3_get_autocommit(p->db); i++){
    if( tsmStmt(p, TSM_STMT_ROLLBACK, &pStmt)==SQLITE_OK ) tsmStmtRun(pStmt);
  }
  return rc;
}

/* Finalize *ppStmt (which may be NULL) and clear it; return rc, or the
** error of the statement if rc is SQLITE_OK. */
int tsmFinalize(sqlite3_stmt **ppStmt, int rc){
  int rc2 = sqlite3_finalize(*ppStmt);
  *ppStmt = 0;
  return rc==SQLITE_OK ? rc2 : rc;
}

/* Reset pStmt (which may be NULL); return the first error of rc and the
** reset's. */
int tsmReset(sqlite3_stmt *pStmt, int rc){
  int rc2 = pStmt ? sqlite3_reset(pStmt) : SQLITE_OK;
  return rc==SQLITE_OK ? rc2 : rc;
}

/* Finalize every cached statement (they are prepared again when needed). */
void tsmStoreClose(TsmCtx *p){
  tsmStmtsFinalize(&p->pRecord, 1);
  tsmStmtsFinalize(p->aStmt, TSM_STMT_COUNT);
  tsmHooks.xClose(p);         /* rollup.c, policy.c: theirs */
}

void tsmStoreFree(TsmCtx *p){
  tsmStoreClose(p);
  tsmHooks.xRulesFree(p);
  tsmBufferFree(&p->buf);
  tsmCacheClear(&p->cache);
  sqlite3_free(p->cache.aSlot);
  headsFree(p);
  tsmColsFree(&p->head);
  tsmColsFree(&p->merge);
  tsmColsFree(&p->chunk);
  tsmColsFree(&p->acc);
  sqlite3_free(p->aOut);
  sqlite3_free(p->zAutoError);
  sqlite3_free(p);
}

/**************************************************************************
** Columns
*/
int tsmColsReserve(TsmCols *p, int n){
  if( n>p->nAlloc ){
    int nNew = p->nAlloc ? p->nAlloc : 256;
    int64_t *aTs;
    double *aVal;
    while( nNew<n ) nNew *= 2;
    aTs = sqlite3_realloc64(p->aTs, sizeof(int64_t)*(size_t)nNew);
    if( aTs==0 ) return SQLITE_NOMEM;
    p->aTs = aTs;
    aVal = sqlite3_realloc64(p->aVal, sizeof(double)*(size_t)nNew);
    if( aVal==0 ) return SQLITE_NOMEM;
    p->aVal = aVal;
    p->nAlloc = nNew;
  }
  return SQLITE_OK;
}

void tsmColsFree(TsmCols *p){
  sqlite3_free(p->aTs);
  sqlite3_free(p->aVal);
  memset(p, 0, sizeof(*p));
}

static int colsAppend(TsmCols *p, const int64_t *aTs, const double *aVal,
                      int n){
  int rc = tsmColsReserve(p, p->n+n);
  if( rc==SQLITE_OK && n>0 ){
    memcpy(&p->aTs[p->n], aTs, sizeof(int64_t)*(size_t)n);
    memcpy(&p->aVal[p->n], aVal, sizeof(double)*(size_t)n);
    p->n += n;
  }
  return rc;
}

/* Append the merge of sorted runs A (stored) and B (newer) to pOut.  On
** equal timestamps eDup decides (tsmDupCombine; TSM_DUP_KEEP: the samples of
** A, then those of B).  *pnDup counts the timestamps of B that A has. */
static int colsMerge(TsmCols *pOut,
                     const int64_t *aTsA, const double *aValA, int nA,
                     const int64_t *aTsB, const double *aValB, int nB,
                     int eDup, int64_t *pnDup){
  int rc = tsmColsReserve(pOut, pOut->n+nA+nB);
  int a = 0, b = 0, k = pOut->n, k0 = pOut->n;
  if( rc ) return rc;
  while( a<nA && b<nB ){
    if( aTsA[a]<aTsB[b] || (aTsA[a]==aTsB[b] && eDup==TSM_DUP_KEEP) ){
      pOut->aTs[k] = aTsA[a]; pOut->aVal[k++] = aValA[a++];
    }else if( aTsA[a]==aTsB[b] ){
      pOut->aTs[k] = aTsB[b];
      pOut->aVal[k++] = tsmDupCombine(eDup, aValA[a++], aValB[b++]);
      (*pnDup)++;
    }else{
      if( k>k0 && pOut->aTs[k-1]==aTsB[b] && (b==0 || aTsB[b-1]!=aTsB[b]) ){
        (*pnDup)++;          /* TSM_DUP_KEEP: B's first at a time of A */
      }
      pOut->aTs[k] = aTsB[b]; pOut->aVal[k++] = aValB[b++];
    }
  }
  while( a<nA ){ pOut->aTs[k] = aTsA[a]; pOut->aVal[k++] = aValA[a++]; }
  if( b<nB && k>k0 && pOut->aTs[k-1]==aTsB[b] && (b==0 || aTsB[b-1]!=aTsB[b]) ){
    (*pnDup)++;
  }
  while( b<nB ){ pOut->aTs[k] = aTsB[b]; pOut->aVal[k++] = aValB[b++]; }
  pOut->n = k;
  return SQLITE_OK;
}

/**************************************************************************
** Schema and migrations
*/
/*
** Groups of tables created when first needed (format 7).  Each is the
** text of the migrations that define its tables (all CREATE ... IF NOT
** EXISTS), run again when the group is created in a format-7 store; a
** later migration that changes a group's tables must be added to its
** list (and must itself skip a store without the group).  A group is
** present when any of its tables is (a store that lost one of them reads
** as damaged, with "no such table" errors, not as one without the group).
*/
static const struct {
  int mGroup;                /* TSM_HAVE_xxx */
  const char *azTable[4];    /* its tables, 0 after the last */
  int aVersion[2];           /* its migrations, 0 for none */
} aStoreGroup[] = {
  { TSM_HAVE_SAMPLES, { "tsm_ids", "tsm_heads", "tsm_chunks", "tsm_counts" },
                      { 1, 3 } },
  { TSM_HAVE_TIERS,   { "tsm_policies", "tsm_rollup", "tsm_rollup_state", 0 },
                      { 2, 0 } },
  { TSM_HAVE_RULES,   { "tsm_metric_rules", 0, 0, 0 }, { 4, 0 } },
};
#define TSM_NGROUP ((int)(sizeof(aStoreGroup)/sizeof(aStoreGroup[0])))

/* The first format that creates groups when needed; a store migrated from
** an earlier one has every group. */
#define TSM_FORMAT_LAZY 7

/* The table tsm_meta (as in sql/001_init.sql), all a new store has. */
static const char zStoreMeta[] =
  "CREATE TABLE IF NOT EXISTS main.tsm_meta(key TEXT PRIMARY KEY, value ANY)"
  " WITHOUT ROWID";

/* The text of migration iVersion, or NULL. */
static const char *storeMigration(int iVersion){
  int i;
  for(i=0; i<TSM_NMIGRATION; i++){
    if( aTsmMigration[i].iVersion==iVersion ) return aTsmMigration[i].zSql;
  }
  return 0;
}

/* Run zSql on db; on error set *pzErr. */
static int migrateExec(sqlite3 *db, const char *zSql, char **pzErr){
  char *zMsg = 0;
  int rc = zSql ? sqlite3_exec(db, zSql, 0, 0, &zMsg) : SQLITE_NOMEM;
  if( rc!=SQLITE_OK ){
    *pzErr = tsmErrMsg("cannot prepare the store: %s",
                             zMsg ? zMsg : sqlite3_errstr(rc));
  }
  sqlite3_free(zMsg);
  return rc;
}

/* Record format iVersion in tsm_meta on db. */
static int migrateFormat(sqlite3 *db, int iVersion, char **pzErr){
  char *zSql = sqlite3_mprintf(
    "INSERT OR REPLACE INTO main.tsm_meta(key, value) "
    "VALUES('format', %d), ('written_by', '%q')", iVersion, TSM_VERSION);
  int rc = migrateExec(db, zSql, pzErr);
  sqlite3_free(zSql);
  return rc;
}

/*
** Bring the store on db up to date and create the groups of tables in
** mGroup (the caller holds the transaction): with iFrom < 0, a new store
** (tsm_meta alone, recorded as of the current format); else apply every
** migration newer than iFrom, each recording its version.
*/
static int migrateApply(sqlite3 *db, int iFrom, int mGroup, char **pzErr){
  int rc = SQLITE_OK, i, j;
  if( iFrom<0 ){
    rc = migrateExec(db, zStoreMeta, pzErr);
    if( rc==SQLITE_OK ) rc = migrateFormat(db, TSM_FORMAT, pzErr);
  }else{
    for(i=0; rc==SQLITE_OK && i<TSM_NMIGRATION; i++){
      if( aTsmMigration[i].iVersion<=iFrom ) continue;
      rc = migrateExec(db, aTsmMigration[i].zSql, pzErr);
      if( rc==SQLITE_OK ) rc = migrateFormat(db, aTsmMigration[i].iVersion, pzErr);
    }
  }
  for(i=0; rc==SQLITE_OK && i<TSM_NGROUP; i++){
    if( (mGroup & aStoreGroup[i].mGroup)==0 ) continue;
    for(j=0; rc==SQLITE_OK && j<2 && aStoreGroup[i].aVersion[j]; j++){
      const char *zSql = storeMigration(aStoreGroup[i].aVersion[j]);
      if( zSql ) rc = migrateExec(db, zSql, pzErr);
    }
  }
  return rc;
}

/* The integer a "PRAGMA main.<zName>" returns on db (0 if none), or its
** text in zOut (nOut bytes, "" if none).  SQLITE_OK or an error. */
static int pragmaGet(sqlite3 *db, const char *zName, int *piOut,
                     char *zOut, int nOut){
  sqlite3_stmt *pStmt = 0;
  char *zSql = sqlite3_mprintf("PRAGMA main.%s", zName);
  int rc = zSql ? sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0) : SQLITE_NOMEM;
  sqlite3_free(zSql);
  if( piOut ) *piOut = 0;
  if( zOut ) zOut[0] = 0;
  if( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ){
    const char *z = (const char*)sqlite3_column_text(pStmt, 0);
    if( piOut ) *piOut = sqlite3_column_int(pStmt, 0);
    if( zOut && z ) sqlite3_snprintf(nOut, zOut, "%s", z);
  }
  if( rc==SQLITE_OK ) rc = sqlite3_finalize(pStmt);
  return rc;
}

/*
** The migrations on a connection of their own to the same file (same
** VFS), in a transaction of its own: *pbDone=1 when they were applied
** there (or another connection had), *pbDone=0 when this way is not
** open (no file: an in-memory or temporary database).
**
** Why: a migration runs inside the application's statement (tsm_init(),
** tsm_record(), INSERT INTO tsm_samples...).  When an allocation fails
** inside a running statement, SQLite keeps the connection in its
** out-of-memory state until that outer statement ends: it refuses to
** prepare or step anything, even a ROLLBACK prepared in advance, so a
** transaction tsm began there could not be ended and the connection
** stayed inside it (issue #10, test/fault/fault.c --kind init).  A
** connection of its own ends its transaction by closing, whatever
** failed.  Used only when this connection is in autocommit mode and holds
** no lock on main (nothing else it could see or block): then the new
** schema is simply what its next statement reads.  Not when this
** connection may not write (read-only, PRAGMA query_only): its own
** attempt gives its own error.
**
** A store created on an empty file gets main's pending page_size,
** auto_vacuum, encoding and WAL mode, which the first write fixes in the
** file.
*/
static int migrateAside(TsmCtx *p, int mGroup, int *pbDone, char **pzErr){
  const char *zFile = sqlite3_db_filename(p->db, "main");
  sqlite3_vfs *pVfs = 0;
  sqlite3 *db = 0;
  sqlite3_stmt *pStmt = 0;
  int rc, iFormat = 0, bExists = 0, nPage = 0, iTimeout = 0, bQueryOnly = 0;
  *pbDone = 0;
  if( zFile==0 || zFile[0]==0 || sqlite3_db_readonly(p->db, "main")!=0 ){
    return SQLITE_OK;        /* this connection's own error, if any */
  }
  if( sqlite3_file_control(p->db, "main", SQLITE_FCNTL_VFS_POINTER, &pVfs)
   || pVfs==0 ){
    return SQLITE_OK;
  }
  rc = pragmaGet(p->db, "query_only", &bQueryOnly, 0, 0);
  if( rc || bQueryOnly ) return rc;
  rc = pragmaGet(p->db, "busy_timeout", &iTimeout, 0, 0);
  if( rc==SQLITE_OK ){
    rc = sqlite3_open_v2(zFile, &db, SQLITE_OPEN_READWRITE, pVfs->zName);
  }
  if( rc==SQLITE_OK ){
    sqlite3_busy_timeout(db, iTimeout);
    rc = pragmaGet(db, "page_count", &nPage, 0, 0);
  }
  if( rc==SQLITE_OK && nPage==0 ){
    static const char *const azCopy[] = {
      "page_size", "auto_vacuum", "encoding", "journal_mode"
    };
    int i;
    for(i=0; rc==SQLITE_OK && i<4; i++){
      char zVal[40];
      rc = pragmaGet(p->db, azCopy[i], 0, zVal, (int)sizeof(zVal));
      if( rc==SQLITE_OK && (i<3 || sqlite3_stricmp(zVal, "wal")==0) ){
        char *zSql = sqlite3_mprintf("PRAGMA main.%s='%q'", azCopy[i], zVal);
        rc = zSql ? sqlite3_exec(db, zSql, 0, 0, 0) : SQLITE_NOMEM;
        sqlite3_free(zSql);
      }
    }
  }
  if( rc==SQLITE_OK ) rc = sqlite3_exec(db, "BEGIN IMMEDIATE", 0, 0, 0);
  /* Another connection may have created or upgraded it meanwhile. */
  if( rc==SQLITE_OK ){
    rc = sqlite3_prepare_v2(db,
        "SELECT 1 FROM main.sqlite_schema WHERE type='table' "
        "AND name='tsm_meta'", -1, &pStmt, 0);
    if( rc==SQLITE_OK ){
      bExists = sqlite3_step(pStmt)==SQLITE_ROW;
      rc = sqlite3_finalize(pStmt);
    }
  }
  if( rc==SQLITE_OK && bExists ){
    rc = sqlite3_prepare_v2(db, azStmt[TSM_STMT_META_GET], -1, &pStmt, 0);
    if( rc==SQLITE_OK ){
      if( sqlite3_step(pStmt)==SQLITE_ROW ) iFormat = sqlite3_column_int(pStmt, 0);
      rc = sqlite3_finalize(pStmt);
    }
  }
  if( rc!=SQLITE_OK ){
    *pzErr = tsmErrMsg("cannot prepare the store: %s",
                             db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  }else if( iFormat>TSM_FORMAT ){
    *pzErr = tsmErrMsg("this store has format %d but this tsm "
        "(%s) reads formats up to %d: load a newer tsm",
        iFormat, TSM_VERSION, TSM_FORMAT);
    rc = SQLITE_ERROR;
  }else{
    rc = migrateApply(db, bExists ? iFormat : -1, mGroup, pzErr);
  }
  if( rc==SQLITE_OK ){
    rc = sqlite3_exec(db, "COMMIT", 0, 0, 0);
    if( rc ){
      *pzErr = tsmErrMsg("cannot prepare the store: %s",
                               sqlite3_errmsg(db));
    }
  }
  sqlite3_close_v2(db);      /* rolls back what did not commit */
  if( rc==SQLITE_OK ) *pbDone = 1;
  return rc;
}

/*
** Bring the store up to date and create the groups of tables in mGroup:
** with iFrom < 0, a new store (tsm_meta alone, recorded as of the current
** format); else apply every migration newer than iFrom, each recording its
** version.
**
** On a connection of its own when this one is in autocommit mode and
** holds no lock (migrateAside).  Otherwise on this connection, in a
** savepoint when SQLite allows one (not while a statement writes in
** autocommit mode; then the statement's own transaction covers it); the
** statements that end it are prepared first, since stepping a prepared
** ROLLBACK allocates nothing.  Not airtight: after an out-of-memory
** inside a running statement SQLite refuses to step or prepare anything
** until that statement ends (see migrateAside).  Inside the
** application's transaction that is the application's to roll back; in
** autocommit mode with a read lock held (a reading statement is running)
** SQLite rolls back the transaction when that statement fails with the
** out-of-memory error, if the statement reads.
*/
static int storeMigrate(TsmCtx *p, int iFrom, int mGroup, char **pzErr){
  int bTxn = sqlite3_get_autocommit(p->db);
  sqlite3_stmt *pRelease = 0, *pUndo = 0;
  int bSavepoint, rc, i, bDone = 0;
  if( bTxn && sqlite3_txn_state(p->db, "main")==SQLITE_TXN_NONE ){
    rc = migrateAside(p, mGroup, &bDone, pzErr);
    if( rc || bDone ) return rc;
  }
  rc = sqlite3_prepare_v2(p->db, "RELEASE tsm_migrate", -1, &pRelease, 0);
  if( rc==SQLITE_OK ){
    rc = sqlite3_prepare_v2(p->db, bTxn ? "ROLLBACK" : "ROLLBACK TO tsm_migrate",
                            -1, &pUndo, 0);
  }
  if( rc ){
    sqlite3_finalize(pRelease);
    return rc;
  }
  bSavepoint = sqlite3_exec(p->db, "SAVEPOINT tsm_migrate",0,0,0)==0;
  rc = migrateApply(p->db, iFrom, mGroup, pzErr);
  if( bSavepoint && rc==SQLITE_OK ){
    sqlite3_step(pRelease);
    rc = sqlite3_reset(pRelease);
    if( rc ){
      *pzErr = tsmErrMsg("cannot prepare the store: %s",
                               sqlite3_errmsg(p->db));
    }
  }
  if( bSavepoint && rc!=SQLITE_OK ){
    sqlite3_step(pUndo);
    sqlite3_reset(pUndo);
    for(i=0; bTxn && i<3 && !sqlite3_get_autocommit(p->db); i++){
      sqlite3_exec(p->db, "ROLLBACK", 0, 0, 0);
    }
    if( !bTxn ){                 /* the savepoint is still there */
      sqlite3_reset(pRelease);
      sqlite3_step(pRelease);
    }
  }
  sqlite3_finalize(pRelease);
  sqlite3_finalize(pUndo);
  return rc;
}

/*
** Which groups of tables the store has (*pmHave, TSM_HAVE_STORE when it
** exists at all) and its format (*piFormat, 0 without a store).
*/
static int storeLook(TsmCtx *p, int *pmHave, int *piFormat){
  sqlite3_stmt *pStmt = 0;
  int rc, mHave = 0, i;
  *piFormat = 0;
  rc = sqlite3_prepare_v2(p->db,
      "SELECT name FROM main.sqlite_schema WHERE type='table'"
      " AND name GLOB 'tsm_*'",
      -1, &pStmt, 0);
  while( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ){
    const char *z = (const char*)sqlite3_column_text(pStmt, 0);
    if( z && strcmp(z, "tsm_meta")==0 ) mHave |= TSM_HAVE_STORE;
    for(i=0; z && i<TSM_NGROUP; i++){
      int j;
      for(j=0; j<4 && aStoreGroup[i].azTable[j]; j++){
        if( strcmp(z, aStoreGroup[i].azTable[j])==0 ){
          mHave |= aStoreGroup[i].mGroup;
        }
      }
    }
  }
  if( rc==SQLITE_OK ) rc = sqlite3_finalize(pStmt);
  else sqlite3_finalize(pStmt);
  if( rc==SQLITE_OK && (mHave & TSM_HAVE_STORE) ){
    rc = sqlite3_prepare_v2(p->db, azStmt[TSM_STMT_META_GET], -1, &pStmt, 0);
    if( rc==SQLITE_OK ){
      if( sqlite3_step(pStmt)==SQLITE_ROW ) *piFormat = sqlite3_column_int(pStmt, 0);
      rc = sqlite3_finalize(pStmt);
    }
  }
  *pmHave = mHave;
  return rc;
}

static unsigned int dataVersion(TsmCtx *p);

/*
** Make sure the store is there and current.  mCreate is a mask of the
** groups of tables to create if they are missing (TSM_HAVE_xxx; the store
** itself with any of them); 0 creates nothing.  *pbExists is set to
** whether the store has its sample tables (without them, readers see an
** empty store).  A store of a newer format is refused.  Errors: *pzErr
** (from sqlite3_mprintf, "tsm: ...").
*/
int tsmStoreReady(TsmCtx *p, int mCreate, int *pbExists, char **pzErr){
  int rc, iFormat = 0, mNeed;
  tsmCacheValidate(p);
  if( p->bReady && p->bGroupMade ){
    p->bReady = 0;        /* the transaction that made a group may still
                          ** roll back (its COMMIT may fail): look again */
  }
  if( !p->bReady ){
    int mHave = 0, mHad = p->mHave;
    p->mHave = 0;
    /* A rollback leaves the data version as it was, a commit moves it:
    ** once it has moved, what is seen now stays. */
    p->bGroupMade = p->bGroupMade && dataVersion(p)==p->iGroupVersion;
    rc = storeLook(p, &mHave, &iFormat);
    if( rc!=SQLITE_OK ){
      *pzErr = tsmErrMsg("cannot read the store: %s",
                               sqlite3_errmsg(p->db));
      return rc;
    }
    if( (mHave & TSM_HAVE_STORE) && iFormat>TSM_FORMAT ){
      *pzErr = tsmErrMsg("this store has format %d but this tsm "
          "(%s) reads formats up to %d: load a newer tsm",
          iFormat, TSM_VERSION, TSM_FORMAT);
      return SQLITE_ERROR;
    }
    if( (mHave & TSM_HAVE_STORE) && iFormat<TSM_FORMAT ){
      /* an older store: it gets every group, as formats before 7 did */
      rc = storeMigrate(p, iFormat, 0, pzErr);
      if( rc ) return rc;
      if( iFormat<TSM_FORMAT_LAZY ){
        mHave |= TSM_HAVE_SAMPLES | TSM_HAVE_TIERS | TSM_HAVE_RULES;
      }
    }
    if( mHad & ~mHave ){
      /* a group made by a transaction that rolled back: what this
      ** connection cached of its tables is gone with it */
      p->eRollup = 0;
      tsmHooks.xRulesFree(p);
    }
    p->mHave = mHave;
    p->bReady = (mHave & TSM_HAVE_STORE)!=0;
  }
  mNeed = mCreate & ~p->mHave;
  if( mNeed ){
    rc = storeMigrate(p, p->bReady ? TSM_FORMAT : -1,
                      mNeed & ~TSM_HAVE_STORE, pzErr);
    if( rc ) return rc;
    p->mHave |= mNeed | TSM_HAVE_STORE;
    p->bReady = 1;
    p->bGroupMade = 1;
    p->iGroupVersion = dataVersion(p);
  }
  if( pbExists ) *pbExists = (p->mHave & TSM_HAVE_SAMPLES)!=0;
  return SQLITE_OK;
}

/*
** Does the store have the groups of tables in mGroup?  0 also when the
** store cannot be read (the caller then reads nothing there).
*/
int tsmStoreHas(TsmCtx *p, int mGroup){
  if( !p->bReady || p->bGroupMade ){
    char *zErr = 0;
    int rc = tsmStoreReady(p, 0, 0, &zErr);
    sqlite3_free(zErr);
    if( rc ) return 0;
  }
  return (p->mHave & mGroup)==mGroup;
}

/**************************************************************************
** Series cache.  Keys are metric "\0" labels, both as the caller wrote
** them and in canonical form, so a repeated call skips label parsing.
** The cache is cleared when another connection commits (data version),
** on rollback, and when a series is deleted.
*/
static uint64_t cacheHash(const char *z, int n){
  uint64_t h = (uint64_t)n * 0x9E3779B97F4A7C15ull;
  while( n>=8 ){                 /* eight bytes at a time */
    uint64_t w;
    memcpy(&w, z, 8);
    h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
    h ^= h>>31;
    z += 8;
    n -= 8;
  }
  if( n>0 ){
    uint64_t w = 0;
    memcpy(&w, z, (size_t)n);
    h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
    h ^= h>>31;
  }
  return h ^ (h>>29);
}

void tsmCacheClear(TsmCache *p){
  int i;
  for(i=0; i<p->nSlot; i++){
    sqlite3_free(p->aSlot[i].zKey);
    p->aSlot[i].zKey = 0;
  }
  p->nUsed = 0;
}

static int cacheFind(TsmCache *p, const char *zKey, int nKey, int64_t *pi,
                     int *peDup){
  unsigned h;
  if( p->nSlot==0 ) return 0;
  for(h=(unsigned)cacheHash(zKey, nKey)&(unsigned)(p->nSlot-1);
      p->aSlot[h].zKey; h=(h+1)&(unsigned)(p->nSlot-1)){
    if( p->aSlot[h].nKey==nKey && memcmp(p->aSlot[h].zKey, zKey, nKey)==0 ){
      *pi = p->aSlot[h].iSeries;
      *peDup = p->aSlot[h].eDup;
      return 1;
    }
  }
  return 0;
}

#define TSM_CACHE_MAX 65536

static int cacheAdd(TsmCache *p, const char *zKey, int nKey, int64_t i,
                    int eDup){
  unsigned h;
  char *zCopy;
  if( p->nUsed>=TSM_CACHE_MAX ) tsmCacheClear(p);
  if( (p->nUsed+1)*2 > p->nSlot ){
    int nNew = p->nSlot ? p->nSlot*2 : 256;
    struct TsmCacheEntry *aNew = sqlite3_malloc64(sizeof(*aNew)*(size_t)nNew);
    int j;
    if( aNew==0 ) return SQLITE_NOMEM;
    memset(aNew, 0, sizeof(*aNew)*(size_t)nNew);
    for(j=0; j<p->nSlot; j++){
      if( p->aSlot[j].zKey ){
        unsigned g = (unsigned)cacheHash(p->aSlot[j].zKey, p->aSlot[j].nKey)
                   & (unsigned)(nNew-1);
        while( aNew[g].zKey ) g = (g+1)&(unsigned)(nNew-1);
        aNew[g] = p->aSlot[j];
      }
    }
    sqlite3_free(p->aSlot);
    p->aSlot = aNew;
    p->nSlot = nNew;
  }
  zCopy = sqlite3_malloc64((size_t)nKey+1);
  if( zCopy==0 ) return SQLITE_NOMEM;
  memcpy(zCopy, zKey, (size_t)nKey);
  zCopy[nKey] = 0;
  for(h=(unsigned)cacheHash(zKey, nKey)&(unsigned)(p->nSlot-1);
      p->aSlot[h].zKey; h=(h+1)&(unsigned)(p->nSlot-1)){}
  p->aSlot[h].zKey = zCopy;
  p->aSlot[h].nKey = nKey;
  p->aSlot[h].iSeries = i;
  p->aSlot[h].eDup = eDup;
  p->nUsed++;
  return SQLITE_OK;
}

static unsigned int dataVersion(TsmCtx *p){
  unsigned int v = 0;
  sqlite3_file_control(p->db, "main", SQLITE_FCNTL_DATA_VERSION, &v);
  return v;
}

/* Forget what another connection may have changed since we last looked. */
void tsmCacheValidate(TsmCtx *p){
  unsigned int v = dataVersion(p);
  if( v!=p->iDataVersion ){
    tsmCacheClear(&p->cache);
    tsmHeadsForget(p);
    p->bReady = 0;
    p->eRollup = 0;           /* rollup.c: policies or tiers may be new */
    tsmHooks.xRulesFree(p);   /* metrics.c: so may the rules */
    p->iDataVersion = v;
  }
}

/* This connection committed: what it cached is still right. */
void tsmCacheCommitted(TsmCtx *p){
  p->iDataVersion = dataVersion(p);
}

/*
** Head cache.  The flush of a series reads and decodes its head row, merges
** the new samples and writes the row back; under one sample per commit
** that read is most of the work.  So the flush keeps the decoded head (and
** sealed_last) of the series it wrote, in a direct-mapped cache of
** TSM_HEAD_CACHE slots, and the next flush of the series takes it from
** there.  An entry is exactly the row as this connection last wrote it.
** It is valid while no other connection wrote the store: the flush runs
** with the write lock held, after tsmStoreReady() compared the data
** version (tsmCacheValidate), so another connection's commit is always
** seen.  Everything is forgotten (tsmHeadsForget) on rollback and ROLLBACK
** TO (the rows written since are gone), when a flush fails, when a series
** is deleted and when a prune rewrites a head.  Writing tsm_heads with
** plain SQL on the same connection is not seen (other connections' writes
** are).
**
** An entry also keeps the row's data, the head's FAST encoding, so that
** the common flush (samples after the head that do not fill it) appends
** them in place with tsmCodecFastAppend instead of encoding the whole head
** again (headAppend): the same bytes, about 300 instructions a commit
** instead of 5,600 for a head of 64 samples.  The bytes are allocated as
** they grow (a few hundred bytes a head).
*/
#define TSM_HEAD_CACHE 1024          /* slots: at most about 2.5 MiB */
struct TsmHead {
  int64_t iSeries;                   /* 0: empty */
  int bSealed;                       /* sealed_last is not NULL */
  int64_t iSealedLast;
  int n;                             /* samples (< TSM_HEAD_MAX) */
  int64_t aTs[TSM_HEAD_MAX];
  double aVal[TSM_HEAD_MAX];
  uint8_t *aEnc;                     /* the row's data: nEnc bytes (0: n */
  size_t nEnc, nEncAlloc;            /* is 0, or not kept) of nEncAlloc */
  size_t iVal;                       /* for tsmCodecFastAppend, 0: unknown */
};

static TsmHead **headSlot(TsmCtx *p, int64_t iSeries){
  unsigned h = (unsigned)(((uint64_t)iSeries*0x9E3779B97F4A7C15ull)>>40);
  return &p->apHead[h & (TSM_HEAD_CACHE-1)];
}

void tsmHeadsForget(TsmCtx *p){
  int i;
  if( p->apHead==0 ) return;
  for(i=0; i<TSM_HEAD_CACHE; i++){
    if( p->apHead[i] ) p->apHead[i]->iSeries = 0;
  }
}

/* The cached head of iSeries, or NULL. */
static const TsmHead *headCacheGet(TsmCtx *p, int64_t iSeries){
  TsmHead *pH;
  if( p->apHead==0 ) return 0;
  pH = *headSlot(p, iSeries);
  return pH && pH->iSeries==iSeries ? pH : 0;
}

/* Remember the head row just written for iSeries (nothing if out of
** memory: the cache is only a shortcut). */
static int headEncReserve(TsmHead *pH, size_t nNeed){
  if( nNeed>pH->nEncAlloc ){
    size_t nNew = pH->nEncAlloc ? pH->nEncAlloc*2 : 256;
    uint8_t *aNew;
    while( nNew<nNeed ) nNew *= 2;
    aNew = sqlite3_realloc64(pH->aEnc, nNew);
    if( aNew==0 ) return SQLITE_NOMEM;
    pH->aEnc = aNew;
    pH->nEncAlloc = nNew;
  }
  return SQLITE_OK;
}

/* Remember the head row just written for iSeries: n samples, encoded in
** aEnc[0..nEnc) (nothing if out of memory: the cache is only a
** shortcut). */
static void headCachePut(TsmCtx *p, int64_t iSeries, int bSealed,
                         int64_t iSealedLast, const int64_t *aTs,
                         const double *aVal, int n, const uint8_t *aEnc,
                         int nEnc){
  TsmHead **ppH, *pH;
  assert( n>=0 && n<TSM_HEAD_MAX );    /* chunkSeal leaves fewer */
  if( n<0 || n>=TSM_HEAD_MAX ){
    tsmHeadsForget(p);
    return;
  }
  if( p->apHead==0 ){
    p->apHead = sqlite3_malloc64(sizeof(TsmHead*)*TSM_HEAD_CACHE);
    if( p->apHead==0 ) return;
    memset(p->apHead, 0, sizeof(TsmHead*)*TSM_HEAD_CACHE);
  }
  ppH = headSlot(p, iSeries);
  if( *ppH==0 ){
    *ppH = sqlite3_malloc64(sizeof(TsmHead));
    if( *ppH==0 ) return;
    (*ppH)->aEnc = 0;
    (*ppH)->nEncAlloc = 0;
  }
  pH = *ppH;
  pH->nEnc = 0;
  pH->iVal = 0;
  if( n>0 && headEncReserve(pH, (size_t)nEnc)==SQLITE_OK ){
    memcpy(pH->aEnc, aEnc, (size_t)nEnc);
    pH->nEnc = (size_t)nEnc;
  }
  pH->iSeries = iSeries;
  pH->bSealed = bSealed;
  pH->iSealedLast = iSealedLast;
  pH->n = n;
  memcpy(pH->aTs, aTs, sizeof(int64_t)*(size_t)n);
  memcpy(pH->aVal, aVal, sizeof(double)*(size_t)n);
}

static void headsFree(TsmCtx *p){
  int i;
  if( p->apHead==0 ) return;
  for(i=0; i<TSM_HEAD_CACHE; i++){
    if( p->apHead[i] ) sqlite3_free(p->apHead[i]->aEnc);
    sqlite3_free(p->apHead[i]);
  }
  sqlite3_free(p->apHead);
  p->apHead = 0;
}

/* Build the cache key "metric\0labels" in a buffer of the caller. */
static char *cacheKey(const char *zMetric, const char *zLabels, int *pn,
                      char *zBuf, int nBuf){
  int nM = (int)strlen(zMetric);
  int nL = zLabels ? (int)strlen(zLabels) : 0;
  char *z = nM+nL+2<=nBuf ? zBuf : sqlite3_malloc64((size_t)(nM+nL+2));
  if( z==0 ) return 0;
  memcpy(z, zMetric, (size_t)nM);
  z[nM] = 0;
  if( nL ) memcpy(&z[nM+1], zLabels, (size_t)nL);
  *pn = nM+1+nL;
  return z;
}

/*
** Find or create (bCreate) the series (zMetric, zLabels), where zMetric
** may carry {labels} and zLabels is a JSON object or NULL.  *peDup
** receives its duplicate policy (TSM_DUP_xxx, from tsm_metrics).  Without
** bCreate the caller has seen the sample tables exist (tsmStoreReady) and
** *piSeries is 0 when there is no such series.  The connection's cache
** answers the series it saw before without parsing, once a transaction
** is open: before that (a lookup from a statement that reads no table)
** the data version tsmCacheValidate read may be older than what another
** connection committed.  Errors: *pzErr is "tsm: ..." from
** sqlite3_mprintf.
*/
int tsmSeriesResolve(TsmCtx *p, const char *zMetric, const char *zLabels,
                     int bCreate, int64_t *piSeries, int *peDup,
                     char **pzErr){
  char aBuf[256], aBuf2[256];
  int nKey = 0, nKey2 = 0, rc = SQLITE_OK;
  char *zKey, *zKey2 = 0;
  char *zM = 0, *zL = 0;
  char zMsg[512];
  sqlite3_stmt *pStmt;
  int bCache = bCreate || sqlite3_txn_state(p->db, "main")!=SQLITE_TXN_NONE;

  zKey = cacheKey(zMetric, zLabels, &nKey, aBuf, sizeof(aBuf));
  if( zKey==0 ) return SQLITE_NOMEM;
  if( bCache && cacheFind(&p->cache, zKey, nKey, piSeries, peDup) ){
    goto done;
  }

  if( tsmSeriesKey(zMetric, zLabels, &zM, &zL, zMsg, sizeof(zMsg)) ){
    *pzErr = tsmErrMsg("%s", zMsg);
    rc = SQLITE_ERROR;
    goto done;
  }
  zKey2 = cacheKey(zM, zL, &nKey2, aBuf2, sizeof(aBuf2));
  if( zKey2==0 ){ rc = SQLITE_NOMEM; goto done; }
  *piSeries = 0;
  if( !bCache || !cacheFind(&p->cache, zKey2, nKey2, piSeries, peDup) ){
    rc = bCreate ? tsmStoreReady(p, 1, 0, pzErr) : SQLITE_OK;
    if( rc==SQLITE_OK ) rc = tsmHooks.xMetricDup(p, zM, peDup);
    if( rc==SQLITE_OK ) rc = tsmStmt(p, TSM_STMT_SERIES_FIND, &pStmt);
    if( rc==SQLITE_OK ){
      sqlite3_bind_text(pStmt, 1, zM, -1, SQLITE_STATIC);
      sqlite3_bind_text(pStmt, 2, zL, -1, SQLITE_STATIC);
      if( sqlite3_step(pStmt)==SQLITE_ROW ){
        *piSeries = sqlite3_column_int64(pStmt, 0);
        rc = sqlite3_reset(pStmt);
      }else{
        rc = sqlite3_reset(pStmt);
        if( rc==SQLITE_OK && !bCreate ) goto done;   /* no such series */
        if( rc==SQLITE_OK ){
          /* Inserting must not change the caller's last_insert_rowid. */
          sqlite3_int64 iRowid = sqlite3_last_insert_rowid(p->db);
          rc = tsmStmt(p, TSM_STMT_SERIES_INSERT, &pStmt);
          if( rc==SQLITE_OK ){
            sqlite3_bind_text(pStmt, 1, zM, -1, SQLITE_STATIC);
            sqlite3_bind_text(pStmt, 2, zL, -1, SQLITE_STATIC);
            if( sqlite3_step(pStmt)==SQLITE_ROW ){
              *piSeries = sqlite3_column_int64(pStmt, 0);
            }
            rc = sqlite3_reset(pStmt);
          }
          sqlite3_set_last_insert_rowid(p->db, iRowid);
        }
      }
    }
    if( rc==SQLITE_OK ) rc = cacheAdd(&p->cache, zKey2, nKey2, *piSeries,
                                      *peDup);
  }
  if( rc==SQLITE_OK && (nKey!=nKey2 || memcmp(zKey, zKey2, nKey)) ){
    rc = cacheAdd(&p->cache, zKey, nKey, *piSeries, *peDup);
  }
 done:
  if( zKey!=aBuf ) sqlite3_free(zKey);
  if( zKey2!=aBuf2 ) sqlite3_free(zKey2);
  tsmFree(zM);
  tsmFree(zL);
  return rc;
}

/*
** The value of a "labels = ?" constraint in the canonical form of
** tsm_ids.labels (JSON in any key order matches), malloc'ed in *pzOut; or
** *pzOut NULL when no series can have those labels (not TEXT, not an
** object of label strings).
*/
int tsmLabelsCanonical(sqlite3_value *pVal, char **pzOut){
  TsmLabels labels;
  char zMsg[256];
  int rc = SQLITE_OK;
  *pzOut = 0;
  if( sqlite3_value_type(pVal)!=SQLITE_TEXT || sqlite3_value_bytes(pVal)==0 ){
    return SQLITE_OK;
  }
  tsmLabelsInit(&labels);
  if( tsmLabelsFromJson(&labels, (const char*)sqlite3_value_text(pVal),
                        zMsg, sizeof(zMsg))==0 ){
    *pzOut = tsmLabelsToJson(&labels);
    if( *pzOut==0 ) rc = SQLITE_NOMEM;
  }
  tsmLabelsFree(&labels);
  return rc;
}

/* Whether series iSeries exists, and if so its duplicate policy. */
int tsmSeriesExists(TsmCtx *p, int64_t iSeries, int *pbExists, int *peDup){
  sqlite3_stmt *pStmt;
  int rc = tsmStmt(p, TSM_STMT_SERIES_GET, &pStmt);
  char *zMetric = 0;
  *pbExists = 0;
  *peDup = TSM_DUP_REPLACE;
  if( rc==SQLITE_OK ){
    sqlite3_bind_int64(pStmt, 1, iSeries);
    if( sqlite3_step(pStmt)==SQLITE_ROW ){
      *pbExists = 1;
      zMetric = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 0));
      if( zMetric==0 ) rc = SQLITE_NOMEM;
    }
    rc = tsmReset(pStmt, rc);
  }
  if( rc==SQLITE_OK && zMetric ) rc = tsmHooks.xMetricDup(p, zMetric, peDup);
  sqlite3_free(zMetric);
  return rc;
}

/*
** Metric and labels of series iSeries in one allocation (sqlite3_malloc):
** *pzMetric is "metric NUL labels NUL", *pzLabels points inside it.  Both
** NULL when there is no such series.
*/
int tsmSeriesNames(TsmCtx *p, int64_t iSeries, char **pzMetric,
                   char **pzLabels){
  sqlite3_stmt *pStmt;
  int rc = tsmStmt(p, TSM_STMT_SERIES_GET, &pStmt);
  *pzMetric = *pzLabels = 0;
  if( rc ) return rc;
  sqlite3_bind_int64(pStmt, 1, iSeries);
  if( sqlite3_step(pStmt)==SQLITE_ROW ){
    const char *zM = (const char*)sqlite3_column_text(pStmt, 0);
    const char *zL = (const char*)sqlite3_column_text(pStmt, 1);
    size_t nM = zM ? strlen(zM) : 0, nL = zL ? strlen(zL) : 0;
    char *z = sqlite3_malloc64(nM + nL + 2);
    if( z==0 ){
      rc = SQLITE_NOMEM;
    }else{
      if( nM ) memcpy(z, zM, nM);
      z[nM] = 0;
      if( nL ) memcpy(&z[nM+1], zL, nL);
      z[nM+1+nL] = 0;
      *pzMetric = z;
      *pzLabels = &z[nM+1];
    }
  }
  return tsmReset(pStmt, rc);
}

/* *pbFound: is there a series whose series_id = pId (compared as SQL
** compares the value: tsm_check looks up the series_id of other tables)? */
int tsmSeriesFound(TsmCtx *p, sqlite3_value *pId, int *pbFound){
  sqlite3_stmt *pStmt;
  int rc = tsmStmt(p, TSM_STMT_SERIES_GET, &pStmt);
  *pbFound = 0;
  if( rc ) return rc;
  sqlite3_bind_value(pStmt, 1, pId);
  if( sqlite3_step(pStmt)==SQLITE_ROW ) *pbFound = 1;
  return sqlite3_reset(pStmt);
}

/*
** The series of the registry that match every constraint given, in
** series_id order (see tsm.h).  One statement per cursor, prepared for the
** constraints given, so that it stays open while other statements run.
*/
struct TsmSeriesScan {
  sqlite3_stmt *pStmt;
  int bText;                         /* fill row.zMetric, row.zLabels */
  TsmSeriesRow row;
};

int tsmSeriesScanOpen(TsmCtx *p, sqlite3_value *pId, sqlite3_value *pMetric,
                      const char *zMetric, const char *zLabels, int bText,
                      TsmSeriesScan **ppScan){
  TsmSeriesScan *pScan;
  char *zSql;
  int rc, i = 0;
  *ppScan = 0;
  pScan = sqlite3_malloc(sizeof(*pScan));
  if( pScan==0 ) return SQLITE_NOMEM;
  memset(pScan, 0, sizeof(*pScan));
  pScan->bText = bText;
  zSql = sqlite3_mprintf("SELECT series_id, metric, labels FROM main.tsm_ids"
      " WHERE 1%s%s%s ORDER BY series_id",
      pId ? " AND series_id=?" : "",
      (pMetric || zMetric) ? " AND metric=?" : "",
      zLabels ? " AND labels=?" : "");
  rc = zSql ? sqlite3_prepare_v2(p->db, zSql, -1, &pScan->pStmt, 0)
            : SQLITE_NOMEM;
  sqlite3_free(zSql);
  if( rc==SQLITE_OK ){
    if( pId ) sqlite3_bind_value(pScan->pStmt, ++i, pId);
    if( pMetric ) sqlite3_bind_value(pScan->pStmt, ++i, pMetric);
    else if( zMetric ) sqlite3_bind_text(pScan->pStmt, ++i, zMetric, -1,
                                         SQLITE_TRANSIENT);
    if( zLabels ) sqlite3_bind_text(pScan->pStmt, ++i, zLabels, -1,
                                    SQLITE_TRANSIENT);
  }
  if( rc ){
    tsmSeriesScanClose(pScan);
    return rc;
  }
  *ppScan = pScan;
  return SQLITE_OK;
}

int tsmSeriesScanNext(TsmSeriesScan *pScan, const TsmSeriesRow **ppRow){
  sqlite3_stmt *pS = pScan->pStmt;
  *ppRow = 0;
  if( sqlite3_step(pS)!=SQLITE_ROW ) return sqlite3_reset(pS);
  pScan->row.iSeries = sqlite3_column_int64(pS, 0);
  if( pScan->bText ){
    pScan->row.zMetric = (const char*)sqlite3_column_text(pS, 1);
    pScan->row.nMetric = sqlite3_column_bytes(pS, 1);
    pScan->row.zLabels = (const char*)sqlite3_column_text(pS, 2);
    pScan->row.nLabels = sqlite3_column_bytes(pS, 2);
  }
  *ppRow = &pScan->row;
  return SQLITE_OK;
}

sqlite3_value *tsmSeriesScanValue(TsmSeriesScan *pScan, int bLabels){
  return sqlite3_column_value(pScan->pStmt, bLabels ? 2 : 1);
}

void tsmSeriesScanClose(TsmSeriesScan *pScan){
  if( pScan==0 ) return;
  sqlite3_finalize(pScan->pStmt);
  sqlite3_free(pScan);
}

/* Delete one series and all its data.  The caller flushed the buffer. */
int tsmSeriesDelete(TsmCtx *p, int64_t iSeries){
  static const int aDel[] = {
    TSM_STMT_CHUNK_DELETE_SERIES, TSM_STMT_COUNT_DELETE, TSM_STMT_HEAD_DELETE,
    TSM_STMT_SERIES_DELETE
  };
  int rc = SQLITE_OK, i;
  for(i=0; rc==SQLITE_OK && i<(int)(sizeof(aDel)/sizeof(aDel[0])); i++){
    sqlite3_stmt *pStmt;
    rc = tsmStmt(p, aDel[i], &pStmt);
    if( rc==SQLITE_OK ){
      sqlite3_bind_int64(pStmt, 1, iSeries);
      sqlite3_step(pStmt);
      rc = sqlite3_reset(pStmt);
    }
  }
  if( rc==SQLITE_OK ) rc = tsmHooks.xForget(p, iSeries);  /* its rollups */
  tsmCacheClear(&p->cache);
  tsmHeadsForget(p);
  return rc;
}

/**************************************************************************
** Chunks
*/

/* Decode blob a[0..n) of chunk pChunk (NULL: the head) of series iSeries
** into pOut (replacing its contents).  Errors name the series and the time
** range of the chunk. */
static int chunkDecode(TsmCtx *p, int64_t iSeries, const TsmChunk *pChunk,
                       const uint8_t *a, int n, TsmCols *pOut, char **pzErr){
  int nSample = 0, rc;
  rc = tsmCodecPeek(a, (size_t)n, &nSample, 0);
  if( rc==0 ){
    rc = tsmColsReserve(pOut, nSample>0 ? nSample : 1);
    if( rc ) return rc;
    rc = tsmCodecDecode(a, (size_t)n, pOut->aTs, pOut->aVal, nSample);
    if( rc>=2 && pOut->aTs[1]<=pOut->aTs[0]
     && tsmCodecUnordered(a, (size_t)n)==0 ){
      /* Not increasing, and not flagged unordered (equal timestamps of a
      ** "keep" series): perhaps a chunk of the first tsm, whose VARDOD
      ** timestamps read this way come out as x_i - i*x_0 (docs/FORMAT.md,
      ** "Legacy chunks").  Keep that reading if it increases. */
      int rc2 = tsmCodecDecodeEx(a, (size_t)n, pOut->aTs, pOut->aVal,
                                 nSample, TSM_CODEC_LEGACY_DOD);
      if( rc2<2 || pOut->aTs[1]<=pOut->aTs[0] ){
        rc = tsmCodecDecode(a, (size_t)n, pOut->aTs, pOut->aVal, nSample);
      }
    }
  }
  p->nDecoded++;
  if( rc<0 ){
    if( pChunk==0 ){
      *pzErr = tsmErrMsg("corrupt head chunk of series %lld: %s",
          (long long)iSeries, tsmCodecErrstr(rc));
    }else{
      char z1[32], z2[32];
      tsmTimeFormat(pChunk->tsFirst, z1);
      tsmTimeFormat(pChunk->tsLast, z2);
      *pzErr = tsmErrMsg("corrupt chunk of series %lld "
          "from %s to %s: %s", (long long)iSeries, z1, z2,
          tsmCodecErrstr(rc));
    }
    pOut->n = 0;
    return SQLITE_CORRUPT;
  }
  pOut->n = rc;
  /* retention.c: a chunk cut by a prune keeps the samples before its new
  ** ts_first in its blob (not re-encoded); they are gone from the series. */
  if( pChunk && rc>0 && pOut->aTs[0]<pChunk->tsFirst ){
    int i = 1;
    while( i<rc && pOut->aTs[i]<pChunk->tsFirst ) i++;
    memmove(pOut->aTs, &pOut->aTs[i], sizeof(int64_t)*(size_t)(rc-i));
    memmove(pOut->aVal, &pOut->aVal[i], sizeof(double)*(size_t)(rc-i));
    pOut->n = rc-i;
  }
  return SQLITE_OK;
}

/* Decode the head blob a[0..n) of series iSeries into pOut. */
static int headDecode(TsmCtx *p, int64_t iSeries, const uint8_t *a, int n,
                      TsmCols *pOut, char **pzErr){
  return chunkDecode(p, iSeries, 0, a, n, pOut, pzErr);
}

/* Read the row of chunk_id iChunk (series iSeries) and decode it into
** pOut.  *pbFound is 0 (and pOut empty) when there is no row. */
static int chunkLoad(TsmCtx *p, int64_t iChunk, int64_t iSeries,
                     TsmCols *pOut, int *pbFound, char **pzErr){
  sqlite3_stmt *pStmt;
  int rc = tsmStmt(p, TSM_STMT_CHUNK_GET, &pStmt);
  *pbFound = 0;
  pOut->n = 0;
  if( rc ) return rc;
  sqlite3_bind_int64(pStmt, 1, iChunk);
  if( sqlite3_step(pStmt)==SQLITE_ROW ){
    TsmChunk c;
    memset(&c, 0, sizeof(c));
    c.iChunk = iChunk;
    c.iSeries = iSeries;
    c.tsFirst = sqlite3_column_int64(pStmt, 0);
    c.tsLast = sqlite3_column_int64(pStmt, 1);
    rc = chunkDecode(p, iSeries, &c, sqlite3_column_blob(pStmt, 2),
                     sqlite3_column_bytes(pStmt, 2), pOut, pzErr);
    *pbFound = rc==SQLITE_OK;
  }
  return tsmReset(pStmt, rc);
}

static int ensureOut(TsmCtx *p, int n){
  size_t nNeed = tsmCodecBound(n);
  if( nNeed>p->nOut ){
    uint8_t *a = sqlite3_realloc64(p->aOut, nNeed);
    if( a==0 ) return SQLITE_NOMEM;
    p->aOut = a;
    p->nOut = nNeed;
  }
  return SQLITE_OK;
}

/* Encode aTs/aVal[0..n) with TSM_CODEC_BEST into p->aOut; return the size
** or a negative number. */
static int chunkEncode(TsmCtx *p, const int64_t *aTs, const double *aVal,
                       int n){
  if( ensureOut(p, n) ) return -1;
  return tsmCodecEncode(aTs, aVal, n, TSM_CODEC_BEST, p->aOut, p->nOut);
}

/*
** The one place that keeps tsm_counts (n_chunks, n_sealed per series) in
** step with tsm_chunks: every path that adds, removes or trims chunk rows (the
** flush, the merge of late samples, tsmChunksDrop and tsmChunksDropAll)
** reports here the change in rows (dChunks) and in samples (dSamples) of
** series iSeries.  tsmSeriesDelete deletes its row.
*/
static int seriesCount(TsmCtx *p, int64_t iSeries, int64_t dChunks,
                       int64_t dSamples){
  sqlite3_stmt *pStmt;
  int rc = tsmStmt(p, TSM_STMT_SERIES_COUNT, &pStmt);
  if( rc ) return rc;
  sqlite3_bind_int64(pStmt, 1, iSeries);
  sqlite3_bind_int64(pStmt, 2, dChunks);
  sqlite3_bind_int64(pStmt, 3, dSamples);
  sqlite3_step(pStmt);
  return sqlite3_reset(pStmt);
}

/* Delete chunk iChunk of series iSeries (and count it out). */
static int chunkDelete(TsmCtx *p, int64_t iSeries, int64_t iChunk){
  sqlite3_stmt *pStmt;
  int64_t n = -1;
  int rc = tsmStmt(p, TSM_STMT_CHUNK_DELETE, &pStmt);
  if( rc ) return rc;
  sqlite3_bind_int64(pStmt, 1, iChunk);
  if( sqlite3_step(pStmt)==SQLITE_ROW ) n = sqlite3_column_int64(pStmt, 0);
  rc = sqlite3_reset(pStmt);
  if( rc==SQLITE_OK && n>=0 ) rc = seriesCount(p, iSeries, -1, -n);
  return rc;
}

/* Slack of a sealed chunk below its aim, in bytes: see chunkSizing. */
#define CHUNK_SLACK_AIM   40
#define CHUNK_SLACK_GROW  80
#define CHUNK_SLACK_WARM  200

/* Insert the chunk of aTs/aVal[0..n), already encoded in p->aOut[0..nByte),
** with its metadata, in place of chunk iReplace (deleted first) if that is
** not 0. */
static int chunkInsert(TsmCtx *p, int64_t iSeries, const int64_t *aTs,
                       const double *aVal, int n, int nByte,
                       int64_t iReplace){
  sqlite3_stmt *pStmt;
  TsmAgg agg;
  int rc;
  /* a chunk: 1 to TSM_CODEC_MAX_SAMPLES samples, first and last in order,
  ** encoded into p->aOut */
  assert( n>=1 && n<=TSM_CODEC_MAX_SAMPLES );
  assert( aTs[0]<=aTs[n-1] );
  assert( nByte>=0 && (size_t)nByte<=p->nOut );
  tsmAggInit(&agg, 0);
  tsmAggAddRun(&agg, aTs, aVal, n);
  if( iReplace ){
    /* Delete and insert rather than update in place: a row that grows in
    ** place splits its leaf page again and again. */
    rc = chunkDelete(p, iSeries, iReplace);
    if( rc ) return rc;
  }
  rc = seriesCount(p, iSeries, 1, n);
  if( rc ) return rc;
  rc = tsmStmt(p, TSM_STMT_CHUNK_INSERT, &pStmt);
  if( rc ) return rc;
  sqlite3_bind_int64(pStmt, 1, iSeries);
  sqlite3_bind_int64(pStmt, 2, aTs[0]);
  sqlite3_bind_int64(pStmt, 3, aTs[n-1]);
  sqlite3_bind_int(pStmt, 4, n);
  sqlite3_bind_int64(pStmt, 5, agg.n);
  tsmBindReal(pStmt, 6, agg.n>0 ? agg.min : NAN);
  tsmBindReal(pStmt, 7, agg.n>0 ? agg.max : NAN);
  tsmBindReal(pStmt, 8, agg.n>0 ? agg.sum : NAN);
  tsmBindReal(pStmt, 9, agg.n>0 ? agg.first : NAN);
  tsmBindReal(pStmt, 10, agg.n>0 ? agg.last : NAN);
  sqlite3_bind_blob(pStmt, 11, p->aOut, nByte, SQLITE_STATIC);
  /* A chunk that may be topped up (chunkWarm) takes a chunk_id of 0 or
  ** less, the next above the other warm ones (from -2^62 up; below every
  ** other when that range is used up); the others one above every other,
  ** 1 or more.  See chunkSizing. */
  sqlite3_bind_int(pStmt, 12, nByte<p->nChunkBytes-CHUNK_SLACK_WARM);
  sqlite3_step(pStmt);
  return sqlite3_reset(pStmt);
}

/*
** How big a sealed chunk should be, from the page size.  A table row whose
** payload P exceeds the page spills into overflow pages; SQLite keeps
** minLocal + (P - minLocal) % (U - 4) bytes in the leaf when that fits, else
** minLocal (U: usable page size; minLocal = (U-12)*32/255 - 23).  Rows
** between a third of a page and a page waste much of their leaf page, but
** a row with P just below minLocal + U - 4 keeps only minLocal bytes (489
** for 4 KiB pages) in the leaf and fills its one overflow page: leaves hold
** eight such rows and overflow pages are full.  So chunks aim at a blob of
** p->nChunkBytes and never exceed p->nChunkBytesMax.
**
** Slack, in bytes: the aim is CHUNK_SLACK_AIM below the maximum, so that
** a piece sized from a guess of bytes per sample rarely passes it;
** chunkSeal adds samples to a piece only while it is more than
** CHUNK_SLACK_GROW below the aim; the newest chunk is topped up
** (chunkWarm) only while it is more than CHUNK_SLACK_WARM below the aim,
** so that a nearly full chunk is not rewritten for a few more samples.
**
** Such a chunk, which may be topped up, deleted and written again, gets a
** chunk_id below every other (0 or less: chunkInsert), the full ones
** the next above every other.  So the rows that come and go (a few
** hundred bytes to a page each, all kept in the leaf) share the leaf
** pages at the low end of the table, and full chunks (489 bytes in the
** leaf) fill the pages at the high end; appended among the full ones,
** the warm rows left holes in their leaf pages when they were replaced
** (W1 in make bench: 174 leaf pages for 820 chunks, 153 this way).
** Warm ids go up from -2^62 rather than down from 0: a b-tree filled
** from its low end splits the leaf it fills again and again, leaving
** pages a third full (100 series topped up by 3 to 30 transactions: 97
** leaf pages for 100 chunks when taken downwards, 52 upwards).
*/
static void chunkSizing(TsmCtx *p){
  sqlite3_stmt *pStmt = 0;
  int nPage = 4096, nTop;
  if( sqlite3_prepare_v2(p->db, "PRAGMA main.page_size", -1, &pStmt, 0)==0
   && sqlite3_step(pStmt)==SQLITE_ROW ){
    nPage = sqlite3_column_int(pStmt, 0);
  }
  sqlite3_finalize(pStmt);
  nTop = (nPage-12)*32/255 - 23 + (nPage-4);
  p->nChunkBytesMax = nTop - TSM_CHUNK_META;
  p->nChunkBytes = p->nChunkBytesMax - CHUNK_SLACK_AIM;
}

#ifndef NDEBUG
/* aTs[0..n) in time order (equal timestamps allowed: "keep" series). */
static int colsSorted(const int64_t *aTs, int n){
  int i;
  for(i=1; i<n; i++) if( aTs[i-1]>aTs[i] ) return 0;
  return 1;
}
#endif

/*
** Seal aTs/aVal[0..n) into chunks sized for the database page (see
** chunkSizing): each piece takes as many samples as encode to about
** p->nChunkBytes, up to TSM_CHUNK_MAX samples.  A last piece of fewer than
** nKeep samples is not written (it stays in the head).  The first piece
** replaces chunk iReplace when that is not 0.  nGuess, if not 0, is a
** guess of the number of samples that fit.  *pnDone receives the number of
** samples sealed.
*/
static int chunkSeal(TsmCtx *p, int64_t iSeries, const int64_t *aTs,
                     const double *aVal, int n, int nKeep, int64_t iReplace,
                     int nGuess, int *pnDone){
  int off = 0, rc = SQLITE_OK;
  assert( colsSorted(aTs, n) );
  if( nGuess<=0 ) nGuess = 1024;
  if( p->nChunkBytes==0 ) chunkSizing(p);
  while( rc==SQLITE_OK && n-off>0 ){
    int nRem = n-off;
    int c = nRem<nGuess ? nRem : nGuess;
    int nByte, nTry;
    if( nRem<nKeep ) break;
    nByte = chunkEncode(p, &aTs[off], &aVal[off], c);
    for(nTry=0; nByte>=0 && nTry<8; nTry++){
      /* The sample count that should encode to nChunkBytes. */
      double r = (double)p->nChunkBytes/(nByte>0 ? nByte : 1);
      int cFit = r*c>TSM_CHUNK_MAX ? TSM_CHUNK_MAX : (int)(r*c);
      if( cFit<1 ) cFit = 1;
      nGuess = cFit;
      if( nByte>p->nChunkBytesMax && c>1 ){
        c = cFit<c ? cFit : c-1;              /* too big: fewer samples */
      }else if( c<nRem && cFit>c && nByte<p->nChunkBytes-CHUNK_SLACK_GROW ){
        c = cFit<nRem ? cFit : nRem;          /* room left: more samples */
      }else{
        break;
      }
      nByte = chunkEncode(p, &aTs[off], &aVal[off], c);
    }
    if( off+c<n && aTs[off+c-1]==aTs[off+c] && nByte>=0 ){
      /* Samples of one timestamp ("keep") stay in one chunk, so that
      ** chunks never overlap: end the piece before them, or if they
      ** start it, after them. */
      int e = off+c-1;
      while( e>off && aTs[e-1]==aTs[e] ) e--;
      if( e>off ){
        c = e-off;
      }else{
        while( off+c<n && aTs[off+c]==aTs[off] ) c++;
        if( c>TSM_CODEC_MAX_SAMPLES ) return SQLITE_TOOBIG;
      }
      nByte = chunkEncode(p, &aTs[off], &aVal[off], c);
    }
    if( nByte<0 ) return SQLITE_NOMEM;
    /* a piece inside the input, never ending between samples of one
    ** timestamp (chunks of a series must not overlap) */
    assert( c>=1 && off+c<=n );
    assert( off+c==n || aTs[off+c-1]<aTs[off+c] );
    rc = chunkInsert(p, iSeries, &aTs[off], &aVal[off], c, nByte,
                     off==0 ? iReplace : 0);
    off += c;
  }
  assert( off<=n );
  assert( rc!=SQLITE_OK || n-off<nKeep || n-off==0 );
  *pnDone = off;
  return rc;
}

/*
** The last sealed chunk of series iSeries, when it is still smaller than a
** big chunk ("warm"): its id in *piWarm and its samples in p->chunk; else
** *piWarm is 0.  New samples top it up (chunkSeal with iReplace) instead of
** starting a small chunk, so a series fed a little at a time still ends up
** in big chunks.
*/
static int chunkWarm(TsmCtx *p, int64_t iSeries, int64_t *piWarm,
                     int *pnGuess, char **pzErr){
  sqlite3_stmt *pStmt;
  int64_t iChunk = 0;
  int rc = tsmStmt(p, TSM_STMT_CHUNK_WARM, &pStmt);
  *piWarm = 0;
  if( rc ) return rc;
  if( p->nChunkBytes==0 ) chunkSizing(p);
  sqlite3_bind_int64(pStmt, 1, iSeries);
  if( sqlite3_step(pStmt)==SQLITE_ROW
   && sqlite3_column_int(pStmt, 1)<p->nChunkBytes-CHUNK_SLACK_WARM
   && sqlite3_column_int(pStmt, 2)<TSM_CHUNK_MAX ){
    /* Its bytes per sample tell how many samples a full chunk takes. */
    double nByte = sqlite3_column_int(pStmt, 1);
    iChunk = sqlite3_column_int64(pStmt, 0);
    *pnGuess = (int)(sqlite3_column_int(pStmt, 2)*p->nChunkBytes/(nByte+1));
  }
  rc = sqlite3_reset(pStmt);
  if( rc==SQLITE_OK && iChunk ){
    int bFound = 0;
    rc = chunkLoad(p, iChunk, iSeries, &p->chunk, &bFound, pzErr);
    if( bFound ) *piWarm = iChunk;
  }
  return rc;
}

/*
** Merge sorted samples aTs/aVal[0..n), all at or before the series'
** sealed_last, into its sealed chunks.  Memory stays bounded: chunks are
** rewritten one at a time through the accumulator p->acc.
*/
static int storeMergeSealed(TsmCtx *p, int64_t iSeries, const int64_t *aTs,
                            const double *aVal, int n, int eDup,
                            char **pzErr){
  sqlite3_stmt *pStmt;
  int64_t *aId = 0, *aFirst = 0;
  int nAff = 0, nAlloc = 0, i, j = 0, rc;
  TsmCols *pAcc = &p->acc;

  assert( n>0 && colsSorted(aTs, n) );
  rc = tsmStmt(p, TSM_STMT_CHUNK_AFFECTED, &pStmt);
  if( rc ) return rc;
  sqlite3_bind_int64(pStmt, 1, iSeries);
  sqlite3_bind_int64(pStmt, 2, aTs[0]);
  sqlite3_bind_int64(pStmt, 3, aTs[n-1]);
  while( sqlite3_step(pStmt)==SQLITE_ROW ){
    if( nAff>=nAlloc ){
      int nNew = nAlloc ? nAlloc*2 : 16;
      int64_t *a1 = sqlite3_realloc64(aId, sizeof(int64_t)*(size_t)nNew);
      int64_t *a2;
      if( a1==0 ){ rc = SQLITE_NOMEM; break; }
      aId = a1;
      a2 = sqlite3_realloc64(aFirst, sizeof(int64_t)*(size_t)nNew);
      if( a2==0 ){ rc = SQLITE_NOMEM; break; }
      aFirst = a2;
      nAlloc = nNew;
    }
    aId[nAff] = sqlite3_column_int64(pStmt, 0);
    aFirst[nAff] = sqlite3_column_int64(pStmt, 2);     /* CHUNK_COLS */
    nAff++;
  }
  if( rc==SQLITE_OK ) rc = sqlite3_reset(pStmt);
  else sqlite3_reset(pStmt);

  pAcc->n = 0;
  for(i=0; rc==SQLITE_OK && i<nAff; i++){
    int64_t tsLimit = i+1<nAff ? aFirst[i+1] : INT64_MAX;
    int j2 = j;
    int bFound;
    rc = chunkLoad(p, aId[i], iSeries, &p->chunk, &bFound, pzErr);
    if( rc==SQLITE_OK ) rc = chunkDelete(p, iSeries, aId[i]);
    while( j2<n && aTs[j2]<tsLimit ) j2++;
    if( rc==SQLITE_OK ){
      rc = colsMerge(pAcc, p->chunk.aTs, p->chunk.aVal, p->chunk.n,
                     &aTs[j], &aVal[j], j2-j, eDup, &p->nDup);
    }
    j = j2;
    if( rc==SQLITE_OK && pAcc->n>=2*TSM_CHUNK_MAX ){
      int nDone = 0, nSeal = pAcc->n-TSM_CHUNK_MAX;
      /* never between samples of one timestamp (chunks must not overlap) */
      while( nSeal>0 && pAcc->aTs[nSeal-1]==pAcc->aTs[nSeal] ) nSeal--;
      if( nSeal>0 ) rc = chunkSeal(p, iSeries, pAcc->aTs, pAcc->aVal,
                                   nSeal, 0, 0, 0, &nDone);
      memmove(pAcc->aTs, &pAcc->aTs[nDone],
              sizeof(int64_t)*(size_t)(pAcc->n-nDone));
      memmove(pAcc->aVal, &pAcc->aVal[nDone],
              sizeof(double)*(size_t)(pAcc->n-nDone));
      pAcc->n -= nDone;
    }
  }
  if( rc==SQLITE_OK && j<n ){
    rc = colsAppend(pAcc, &aTs[j], &aVal[j], n-j);
  }
  if( rc==SQLITE_OK && pAcc->n>0 ){
    int nDone = 0;
    rc = chunkSeal(p, iSeries, pAcc->aTs, pAcc->aVal, pAcc->n, 0, 0, 0,
                   &nDone);
  }
  sqlite3_free(aId);
  sqlite3_free(aFirst);
  return rc;
}

/* Flush the buffered samples of one series (sorted, deduplicated). */
/*
** Write the head row of iSeries: n samples, encoded in p->aOut[0..nByte).
** bRow: the row exists (an UPDATE, cheaper than the upsert; should the row
** have gone behind the head cache's back, the upsert after all).
*/
static int headWrite(TsmCtx *p, int bRow, int64_t iSeries, int bSealed,
                     int64_t iSealedLast, int n, const uint8_t *aData,
                     int nByte){
  int rc, bAgain;
  do{
    sqlite3_stmt *pStmt;
    rc = tsmStmt(p, bRow ? TSM_STMT_HEAD_UPDATE : TSM_STMT_HEAD_PUT, &pStmt);
    if( rc ) return rc;
    sqlite3_bind_int64(pStmt, 1, iSeries);
    if( bSealed ) sqlite3_bind_int64(pStmt, 2, iSealedLast);
    sqlite3_bind_int(pStmt, 3, n);
    if( n>0 ) sqlite3_bind_blob(pStmt, 4, aData, nByte, SQLITE_STATIC);
    sqlite3_step(pStmt);
    rc = sqlite3_reset(pStmt);
    bAgain = rc==SQLITE_OK && bRow && sqlite3_changes(p->db)==0;
    bRow = 0;
  }while( bAgain );
  return rc;
}

/*
** Append nNew samples, all later than its last, to the cached head pH (the
** head row as it is), keeping pH the row as written.  On error pH is
** dropped (and the caller's flush forgets every head).
*/
static int headAppend(TsmCtx *p, TsmHead *pH, const int64_t *aTs,
                      const double *aVal, int nNew){
  int n = pH->n + nNew, nByte, rc;
  assert( pH->n>0 && n<TSM_HEAD_MAX && aTs[0]>pH->aTs[pH->n-1] );
  memcpy(&pH->aTs[pH->n], aTs, sizeof(int64_t)*(size_t)nNew);
  memcpy(&pH->aVal[pH->n], aVal, sizeof(double)*(size_t)nNew);
  rc = headEncReserve(pH, pH->nEnc + 20*(size_t)nNew);
  if( rc ) goto fail;
  nByte = tsmCodecFastAppend(pH->aTs, pH->aVal, pH->n, n, pH->aEnc, pH->nEnc,
                             pH->nEncAlloc, &pH->iVal);
  if( nByte<=0 ){
    /* the encoder changes its mind about earlier samples: from scratch */
    rc = headEncReserve(pH, tsmCodecBound(n));
    if( rc ) goto fail;
    nByte = tsmCodecEncode(pH->aTs, pH->aVal, n, TSM_CODEC_FAST, pH->aEnc,
                           pH->nEncAlloc);
    pH->iVal = 0;
    if( nByte<=0 ){ rc = SQLITE_ERROR; goto fail; }
  }
  pH->nEnc = (size_t)nByte;
  pH->n = n;
  rc = headWrite(p, 1, pH->iSeries, pH->bSealed, pH->iSealedLast, n,
                 pH->aEnc, nByte);
  if( rc==SQLITE_OK ) return SQLITE_OK;
 fail:
  pH->iSeries = 0;
  return rc;
}

static int storeFlushSeries(TsmCtx *p, TsmBufSeries *pS, char **pzErr){
  int rc, bSealed = 0, k = 0, off = 0, nByte = 0;
  int64_t iSealedLast = 0;
  TsmCols *pHead = &p->head, *pM = &p->merge;

  /* The head (from the head cache, or its row), and the boundary between
  ** sealed chunks and head. */
  const TsmHead *pCached = headCacheGet(p, pS->iSeries);
  int bRow = pCached!=0;     /* the head row exists */
  pHead->n = 0;
  if( pCached ){
    bSealed = pCached->bSealed;
    iSealedLast = pCached->iSealedLast;
  }else{
    TsmHeadRow row;
    rc = tsmHeadGet(p, pS->iSeries, &row, pHead, pzErr);
    if( rc ) return rc;
    bRow = row.bRow;
    bSealed = row.bSealed;
    iSealedLast = row.iSealedLast;
  }

  /* 1. Late samples into the sealed chunks. */
  if( bSealed ){
    while( k<pS->n && pS->aTs[k]<=iSealedLast ) k++;
    if( k>0 ){
      rc = storeMergeSealed(p, pS->iSeries, pS->aTs, pS->aVal, k, pS->eDup,
                            pzErr);
      if( rc ) return rc;
    }
  }
  assert( k<=pS->n && (!bSealed || k==pS->n || pS->aTs[k]>iSealedLast) );
  if( k==pS->n ) return SQLITE_OK;

  /* The common case, one commit after another: samples after the cached
  ** head that do not fill it.  Appended to the cached head and to its
  ** encoding in place, without the merge and (mostly) without encoding
  ** the head again. */
  if( pCached && pCached->n>0 && pCached->nEnc>0
   && pCached->n + (pS->n-k) < TSM_HEAD_MAX
   && pS->aTs[k]>pCached->aTs[pCached->n-1] ){
    return headAppend(p, (TsmHead*)pCached, &pS->aTs[k], &pS->aVal[k],
                      pS->n-k);
  }

  /* 2. The rest with the head: seal what is big enough, topping up the
  ** last sealed chunk while it is warm.  pM ends up holding the samples
  ** and off the number sealed; the head is pM[off..]. */
  pM->n = 0;
  if( pCached ){
    rc = colsMerge(pM, pCached->aTs, pCached->aVal, pCached->n,
                   &pS->aTs[k], &pS->aVal[k], pS->n-k, pS->eDup, &p->nDup);
  }else{
    rc = colsMerge(pM, pHead->aTs, pHead->aVal, pHead->n,
                   &pS->aTs[k], &pS->aVal[k], pS->n-k, pS->eDup, &p->nDup);
  }
  if( rc==SQLITE_OK && pM->n>=TSM_HEAD_MAX ){
    int64_t iWarm = 0;
    int nGuess = 0;
    if( bSealed ) rc = chunkWarm(p, pS->iSeries, &iWarm, &nGuess, pzErr);
    if( rc==SQLITE_OK && iWarm ){
      /* pM = warm chunk + pM, through p->acc */
      TsmCols tmp;
      p->acc.n = 0;
      rc = colsAppend(&p->acc, p->chunk.aTs, p->chunk.aVal, p->chunk.n);
      if( rc==SQLITE_OK ) rc = colsAppend(&p->acc, pM->aTs, pM->aVal, pM->n);
      tmp = p->acc; p->acc = p->merge; p->merge = tmp;
      pM = &p->merge;
    }
    if( rc==SQLITE_OK ){
      rc = chunkSeal(p, pS->iSeries, pM->aTs, pM->aVal, pM->n, TSM_HEAD_MAX,
                     iWarm, nGuess, &off);
    }
    if( off>0 ){
      bSealed = 1;
      iSealedLast = pM->aTs[off-1];
    }
  }
  if( rc ) return rc;
  /* sealed: pM[0..off), all before the head pM[off..] */
  assert( off>=0 && off<=pM->n && colsSorted(pM->aTs, pM->n) );
  assert( !bSealed || off==pM->n || pM->aTs[off]>iSealedLast );

  /* The new head (possibly empty: the row keeps sealed_last). */
  if( pM->n-off>0 ){
    rc = ensureOut(p, pM->n-off);
    if( rc ) return rc;
    nByte = tsmCodecEncode(&pM->aTs[off], &pM->aVal[off], pM->n-off,
                           TSM_CODEC_FAST, p->aOut, p->nOut);
    if( nByte<0 ) return SQLITE_ERROR;
  }
  rc = headWrite(p, bRow, pS->iSeries, bSealed, iSealedLast, pM->n-off,
                 p->aOut, nByte);
  if( rc==SQLITE_OK ){
    headCachePut(p, pS->iSeries, bSealed, iSealedLast, &pM->aTs[off],
                 &pM->aVal[off], pM->n-off, p->aOut, nByte);
  }
  return rc;
}

static int cmpSeries(const void *a, const void *b){
  int64_t x = ((const TsmBufSeries*)a)->iSeries;
  int64_t y = ((const TsmBufSeries*)b)->iSeries;
  return x<y ? -1 : x>y;
}

/*
** Write every buffered sample into the store and empty the buffer.  On
** error the buffer is left as it is; the caller's statement fails and
** SQLite rolls back what was written.
*/
int tsmStoreFlush(TsmCtx *p, int *pnFlushed, char **pzErr){
  TsmBuffer *pBuf = &p->buf;
  int rc = SQLITE_OK, i;
  if( pnFlushed ) *pnFlushed = 0;
  if( pBuf->nSample==0 || p->bFlushing ) return SQLITE_OK;
  assert( tsmBufferOk(pBuf) );
  p->bFlushing = 1;
  rc = tsmStoreReady(p, 1, 0, pzErr);
  if( rc==SQLITE_OK ){
    /* Series in id order: writes land near each other in the index. The
    ** hash of the buffer is rebuilt by the next append after a clear. */
    qsort(pBuf->aSeries, (size_t)pBuf->nSeries, sizeof(TsmBufSeries),
          cmpSeries);
    for(i=0; rc==SQLITE_OK && i<pBuf->nSeries; i++){
      TsmBufSeries *pS = &pBuf->aSeries[i];
      if( pS->n==0 ) continue;
      rc = tsmBufferPrepare(pS, &p->nDup);
      if( rc==SQLITE_OK ) rc = storeFlushSeries(p, pS, pzErr);
      /* rollup.c: tiers that folded these times already must refold */
      if( rc==SQLITE_OK ){
        rc = tsmHooks.xFlushed(p, pS->iSeries, pS->aTs[0], pS->aTs[pS->n-1]);
      }
    }
  }
  if( rc==SQLITE_OK ){
    if( pnFlushed ) *pnFlushed = pBuf->nSample;
    tsmBufferClear(pBuf);
  }else{
    tsmHeadsForget(p);        /* the statement that failed is rolled back */
    /* The series order changed: the hash must be rebuilt. */
    tsmBufferReindex(pBuf);
  }
  p->bFlushing = 0;
  return rc;
}

/**************************************************************************
** Head rows
*/
static void headRow(sqlite3_stmt *pStmt, TsmHeadRow *pRow){
  pRow->bRow = 1;
  pRow->bSealed = sqlite3_column_type(pStmt, 0)!=SQLITE_NULL;
  pRow->iSealedLast = pRow->bSealed ? sqlite3_column_int64(pStmt, 0) : 0;
  pRow->n = sqlite3_column_int(pStmt, 1);
  pRow->aData = sqlite3_column_blob(pStmt, 2);
  pRow->nByte = sqlite3_column_bytes(pStmt, 2);
}

int tsmHeadGet(TsmCtx *p, int64_t iSeries, TsmHeadRow *pRow, TsmCols *pOut,
               char **pzErr){
  sqlite3_stmt *pStmt;
  int rc = tsmStmt(p, TSM_STMT_HEAD_GET, &pStmt);
  if( pRow ){
    memset(pRow, 0, sizeof(*pRow));
    pRow->iSeries = iSeries;
  }
  if( pOut ) pOut->n = 0;
  if( rc ) return rc;
  sqlite3_bind_int64(pStmt, 1, iSeries);
  if( sqlite3_step(pStmt)==SQLITE_ROW ){
    /* without pRow only the data is read (tsm_series' last values) */
    int nByte = sqlite3_column_bytes(pStmt, 2);
    if( pRow ){
      headRow(pStmt, pRow);
      pRow->aData = 0;
    }
    if( pOut && nByte>0 ){
      rc = headDecode(p, iSeries, sqlite3_column_blob(pStmt, 2), nByte, pOut,
                      pzErr);
    }
  }
  return tsmReset(pStmt, rc);
}

int tsmHeadDecode(TsmCtx *p, const TsmHeadRow *pRow, TsmCols *pOut,
                  char **pzErr){
  return headDecode(p, pRow->iSeries, pRow->aData, pRow->nByte, pOut, pzErr);
}

int tsmHeadScan(TsmCtx *p, int (*xHead)(void*, const TsmHeadRow*),
                void *pArg){
  sqlite3_stmt *pStmt;
  int rc = tsmStmt(p, TSM_STMT_HEAD_SCAN, &pStmt);
  if( rc ) return rc;
  while( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ){
    TsmHeadRow row;
    memset(&row, 0, sizeof(row));
    row.iSeries = sqlite3_column_int64(pStmt, 3);
    headRow(pStmt, &row);
    rc = xHead(pArg, &row);
  }
  return tsmReset(pStmt, rc);
}

/* Not through the head cache: the rows a prune rewrites are not worth
** keeping there, so the cache is forgotten. */
int tsmHeadPut(TsmCtx *p, const TsmHeadRow *pRow, const TsmCols *pC,
               int *pnByte){
  int rc = SQLITE_OK, nByte = 0;
  if( pC->n>0 ){
    rc = ensureOut(p, pC->n);
    if( rc ) return rc;
    nByte = tsmCodecEncode(pC->aTs, pC->aVal, pC->n, TSM_CODEC_FAST,
                           p->aOut, p->nOut);
    if( nByte<0 ) return SQLITE_ERROR;
  }
  rc = headWrite(p, 0, pRow->iSeries, pRow->bSealed, pRow->iSealedLast,
                 pC->n, p->aOut, nByte);
  tsmHeadsForget(p);
  *pnByte = nByte;
  return rc;
}

/**************************************************************************
** Chunk metadata: the TsmChunks cursor, and the questions rollups and
** retention ask of a series' chunks.
*/
struct TsmChunks {
  TsmCtx *p;
  sqlite3_stmt *pOverlap;    /* zChunksOverlap */
  sqlite3_stmt *pBefore;     /* zChunksBefore, prepared when first needed */
  sqlite3_stmt *pStmt;       /* the one seeked, NULL at the end */
  TsmChunk chunk;            /* the row it is on */
};

/* Read the CHUNK_COLS of pStmt's row into *pC. */
static void chunkRow(sqlite3_stmt *pStmt, TsmChunk *pC){
  pC->iChunk = sqlite3_column_int64(pStmt, 0);
  pC->iSeries = sqlite3_column_int64(pStmt, 1);
  pC->tsFirst = sqlite3_column_int64(pStmt, 2);
  pC->tsLast = sqlite3_column_int64(pStmt, 3);
  pC->n = sqlite3_column_int(pStmt, 4);
  pC->nVal = sqlite3_column_int(pStmt, 5);
  pC->nByte = 0;
  pC->vMin = tsmColumnReal(pStmt, 6);
  pC->vMax = tsmColumnReal(pStmt, 7);
  pC->vSum = tsmColumnReal(pStmt, 8);
  pC->vFirst = tsmColumnReal(pStmt, 9);
  pC->vLast = tsmColumnReal(pStmt, 10);
}

int tsmChunksOpen(TsmCtx *p, TsmChunks **ppC){
  TsmChunks *pC = sqlite3_malloc(sizeof(*pC));
  int rc;
  *ppC = 0;
  if( pC==0 ) return SQLITE_NOMEM;
  memset(pC, 0, sizeof(*pC));
  pC->p = p;
  rc = sqlite3_prepare_v3(p->db, zChunksOverlap, -1,
                          SQLITE_PREPARE_PERSISTENT, &pC->pOverlap, 0);
  if( rc ){
    tsmChunksClose(pC);
    return rc;
  }
  *ppC = pC;
  return SQLITE_OK;
}

void tsmChunksClose(TsmChunks *pC){
  if( pC ){
    sqlite3_finalize(pC->pOverlap);
    sqlite3_finalize(pC->pBefore);
    sqlite3_free(pC);
  }
}

/* Release the statement (the cursor is at its end until the next seek). */
void tsmChunksReset(TsmChunks *pC){
  if( pC->pStmt ) sqlite3_reset(pC->pStmt);
  pC->pStmt = 0;
}

int tsmChunksSeek(TsmChunks *pC, int64_t iSeries, int64_t lo, int64_t hi){
  if( pC->pStmt ) sqlite3_reset(pC->pStmt);
  pC->pStmt = pC->pOverlap;
  sqlite3_bind_int64(pC->pStmt, 1, iSeries);
  sqlite3_bind_int64(pC->pStmt, 2, lo);
  sqlite3_bind_int64(pC->pStmt, 3, hi);
  return SQLITE_OK;
}

int tsmChunksSeekBefore(TsmChunks *pC, int64_t iSeries, int64_t ts){
  int rc = SQLITE_OK;
  if( pC->pStmt ) sqlite3_reset(pC->pStmt);
  pC->pStmt = 0;
  if( pC->pBefore==0 ){
    rc = sqlite3_prepare_v3(pC->p->db, zChunksBefore, -1,
                            SQLITE_PREPARE_PERSISTENT, &pC->pBefore, 0);
    if( rc ) return rc;
  }
  pC->pStmt = pC->pBefore;
  sqlite3_bind_int64(pC->pStmt, 1, iSeries);
  sqlite3_bind_int64(pC->pStmt, 2, ts);
  return rc;
}

int tsmChunksNext(TsmChunks *pC, const TsmChunk **ppChunk){
  int rc = SQLITE_OK;
  *ppChunk = 0;
  if( pC->pStmt==0 ) return SQLITE_OK;
  if( sqlite3_step(pC->pStmt)==SQLITE_ROW ){
    chunkRow(pC->pStmt, &pC->chunk);
    *ppChunk = &pC->chunk;
  }else{
    rc = sqlite3_reset(pC->pStmt);
    pC->pStmt = 0;
  }
  return rc;
}

/* Decode the chunk the cursor is on (pOut empty if it went meanwhile). */
int tsmChunksDecode(TsmChunks *pC, TsmCols *pOut, char **pzErr){
  int bFound;
  return chunkLoad(pC->p, pC->chunk.iChunk, pC->chunk.iSeries, pOut, &bFound,
                   pzErr);
}

int tsmChunksScan(TsmCtx *p, int (*xChunk)(void*, const TsmChunk*),
                  void *pArg){
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(p->db, "SELECT series_id, ts_first, ts_last,"
      " n, length(data) FROM main.tsm_chunks", -1, &pStmt, 0);
  while( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ){
    TsmChunk c;
    memset(&c, 0, sizeof(c));
    c.iSeries = sqlite3_column_int64(pStmt, 0);
    c.tsFirst = sqlite3_column_int64(pStmt, 1);
    c.tsLast = sqlite3_column_int64(pStmt, 2);
    c.n = sqlite3_column_int(pStmt, 3);
    c.nByte = sqlite3_column_int(pStmt, 4);
    rc = xChunk(pArg, &c);
  }
  return tsmFinalize(&pStmt, rc);
}

int tsmChunkNth(TsmCtx *p, int64_t iSeries, int n, int64_t *pFirst,
                int64_t *pLast){
  sqlite3_stmt *pStmt;
  int rc = tsmStmt(p, TSM_STMT_CHUNK_NTH, &pStmt);
  *pFirst = *pLast = INT64_MAX;
  if( rc ) return rc;
  sqlite3_bind_int64(pStmt, 1, iSeries);
  sqlite3_bind_int(pStmt, 2, n);
  if( sqlite3_step(pStmt)==SQLITE_ROW ){
    *pFirst = sqlite3_column_int64(pStmt, 0);
    *pLast = sqlite3_column_int64(pStmt, 1);
  }
  return sqlite3_reset(pStmt);
}

/* Samples in every chunk and head. */
int tsmSampleTotal(TsmCtx *p, int64_t *pn){
  sqlite3_stmt *pStmt;
  int rc = tsmStmt(p, TSM_STMT_SAMPLE_TOTAL, &pStmt);
  if( rc ) return rc;
  if( sqlite3_step(pStmt)==SQLITE_ROW ) *pn = sqlite3_column_int64(pStmt, 0);
  return sqlite3_reset(pStmt);
}

/* first_ts (*pbFirst 0: no sealed chunk), samples and bytes of a series,
** from the metadata (tsm_series). */
int tsmSeriesStat(TsmCtx *p, int64_t iSeries, int *pbFirst, int64_t *pFirst,
                  int64_t *pnSamples, int64_t *pnBytes){
  sqlite3_stmt *pStmt;
  int rc = tsmStmt(p, TSM_STMT_SERIES_STAT, &pStmt);
  if( rc ) return rc;
  sqlite3_bind_int64(pStmt, 1, iSeries);
  if( sqlite3_step(pStmt)==SQLITE_ROW ){
    *pbFirst = sqlite3_column_type(pStmt, 0)!=SQLITE_NULL;
    *pFirst = sqlite3_column_int64(pStmt, 0);
    *pnSamples = sqlite3_column_int64(pStmt, 1);
    *pnBytes = sqlite3_column_int64(pStmt, 2);
  }
  return sqlite3_reset(pStmt);
}

/**************************************************************************
** Dropping chunks (retention.c)
*/

/*
** Cut chunk iChunk of series iSeries, which straddles tCut (ts_last >= tCut,
** so at least one sample stays): its row gets ts_first and the metadata of
** the samples from tCut on, and its blob stays as it is.  Every reader
** decodes through chunkDecode(), which drops the samples before ts_first;
** the next rewrite of the chunk (a late sample merged into it) or the prune
** that takes it whole frees their bytes.  Re-encoding what is left instead
** took two thirds of the time of a prune.  *pbFound: the chunk was read.
*/
static int chunkTrim(TsmCtx *p, int64_t iChunk, int64_t iSeries,
                     int64_t tCut, int *pbFound, char **pzErr){
  TsmCols *pC = &p->chunk;
  sqlite3_stmt *pStmt;
  int rc = chunkLoad(p, iChunk, iSeries, pC, pbFound, pzErr);
  if( rc==SQLITE_OK && *pbFound ){
    TsmAgg agg;
    int i = 0;
    while( i<pC->n && pC->aTs[i]<tCut ) i++;
    if( i==0 || i>=pC->n ) return SQLITE_OK;
    tsmAggInit(&agg, 0);
    tsmAggAddRun(&agg, &pC->aTs[i], &pC->aVal[i], pC->n-i);
    rc = tsmStmt(p, TSM_STMT_CHUNK_TRIM, &pStmt);
    if( rc ) return rc;
    sqlite3_bind_int64(pStmt, 1, iChunk);
    sqlite3_bind_int64(pStmt, 2, pC->aTs[i]);
    sqlite3_bind_int(pStmt, 3, pC->n-i);
    sqlite3_bind_int64(pStmt, 4, agg.n);
    tsmBindReal(pStmt, 5, agg.n>0 ? agg.min : NAN);
    tsmBindReal(pStmt, 6, agg.n>0 ? agg.max : NAN);
    tsmBindReal(pStmt, 7, agg.n>0 ? agg.sum : NAN);
    tsmBindReal(pStmt, 8, agg.n>0 ? agg.first : NAN);
    tsmBindReal(pStmt, 9, agg.n>0 ? agg.last : NAN);
    sqlite3_step(pStmt);
    rc = sqlite3_reset(pStmt);
    if( rc==SQLITE_OK ) rc = seriesCount(p, iSeries, 0, -i);
  }
  return rc;
}

int tsmChunksDrop(TsmCtx *p, int64_t iSeries, int64_t tCut, int64_t tTrim,
                  int *pnWork, char **pzErr){
  sqlite3_stmt *pStmt;
  int64_t iChunk = 0;
  int rc, nWork = 0, bFound = 0;

  /* 1. Whole chunks, counted out first. */
  rc = tsmStmt(p, TSM_STMT_CHUNK_DROP_SIZE, &pStmt);
  if( rc ) return rc;
  sqlite3_bind_int64(pStmt, 1, iSeries);
  sqlite3_bind_int64(pStmt, 2, tCut);
  if( sqlite3_step(pStmt)==SQLITE_ROW && sqlite3_column_int64(pStmt, 0)>0 ){
    int64_t nDrop = sqlite3_column_int64(pStmt, 0);
    int64_t nSample = sqlite3_column_int64(pStmt, 1);
    rc = sqlite3_reset(pStmt);
    if( rc==SQLITE_OK ) rc = seriesCount(p, iSeries, -nDrop, -nSample);
  }else{
    rc = sqlite3_reset(pStmt);
  }
  if( rc ) return rc;
  rc = tsmStmt(p, TSM_STMT_CHUNK_DROP, &pStmt);
  if( rc ) return rc;
  sqlite3_bind_int64(pStmt, 1, iSeries);
  sqlite3_bind_int64(pStmt, 2, tCut);
  sqlite3_step(pStmt);
  rc = sqlite3_reset(pStmt);
  if( rc==SQLITE_OK ) nWork = sqlite3_changes(p->db);

  /* 2. The chunk that straddles the cut. */
  if( rc==SQLITE_OK ) rc = tsmStmt(p, TSM_STMT_CHUNK_STRADDLE, &pStmt);
  if( rc==SQLITE_OK ){
    sqlite3_bind_int64(pStmt, 1, iSeries);
    sqlite3_bind_int64(pStmt, 2, tCut);
    if( sqlite3_step(pStmt)==SQLITE_ROW
     && sqlite3_column_int64(pStmt, 1)<tTrim ){
      iChunk = sqlite3_column_int64(pStmt, 0);
    }
    rc = sqlite3_reset(pStmt);
    if( rc==SQLITE_OK && iChunk ){
      rc = chunkTrim(p, iChunk, iSeries, tCut, &bFound, pzErr);
      nWork += bFound;
    }
  }
  if( pnWork ) *pnWork = nWork;
  return rc;
}

/* tsm_prune() of every series with one cut: one statement over all chunks
** instead of a few per series. */
int tsmChunksDropAll(TsmCtx *p, int64_t tCut, char **pzErr){
  int64_t *aChunk = 0;       /* (chunk_id, series_id) of each straddler */
  int nChunk = 0, nAlloc = 0, k;
  sqlite3_stmt *pStmt = 0;
  int rc;

  /* 1. Whole chunks (counted out per series first), 2. the straddlers
  ** (listed first, cut after). */
  rc = sqlite3_prepare_v2(p->db,
      "SELECT series_id, count(*), sum(n) FROM main.tsm_chunks"
      " WHERE ts_last<?1 GROUP BY series_id", -1, &pStmt, 0);
  if( rc==SQLITE_OK ) sqlite3_bind_int64(pStmt, 1, tCut);
  while( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ){
    rc = seriesCount(p, sqlite3_column_int64(pStmt, 0),
                     -sqlite3_column_int64(pStmt, 1),
                     -sqlite3_column_int64(pStmt, 2));
  }
  rc = tsmFinalize(&pStmt, rc);
  if( rc==SQLITE_OK ){
    rc = sqlite3_prepare_v2(p->db,
        "DELETE FROM main.tsm_chunks WHERE ts_last<?1", -1, &pStmt, 0);
  }
  if( rc==SQLITE_OK ){
    sqlite3_bind_int64(pStmt, 1, tCut);
    sqlite3_step(pStmt);
    rc = sqlite3_finalize(pStmt);
  }
  if( rc==SQLITE_OK ){
    rc = sqlite3_prepare_v2(p->db, "SELECT chunk_id, series_id FROM "
        "main.tsm_chunks WHERE ts_first<?1 AND ts_last>=?1", -1, &pStmt, 0);
  }
  if( rc==SQLITE_OK ) sqlite3_bind_int64(pStmt, 1, tCut);
  while( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ){
    if( nChunk>=nAlloc ){
      int64_t *aNew;
      nAlloc = nAlloc ? nAlloc*2 : 256;
      aNew = sqlite3_realloc64(aChunk, sizeof(int64_t)*2*nAlloc);
      if( aNew==0 ){ rc = SQLITE_NOMEM; break; }
      aChunk = aNew;
    }
    aChunk[2*nChunk] = sqlite3_column_int64(pStmt, 0);
    aChunk[2*nChunk+1] = sqlite3_column_int64(pStmt, 1);
    nChunk++;
  }
  rc = tsmFinalize(&pStmt, rc);
  for(k=0; rc==SQLITE_OK && k<nChunk; k++){
    int bFound;
    rc = chunkTrim(p, aChunk[2*k], aChunk[2*k+1], tCut, &bFound, pzErr);
  }
  sqlite3_free(aChunk);
  return rc;
}

/**************************************************************************
** Reading one series: the samples of its chunks in range, then its head.
*/
struct TsmReader {
  TsmCtx *p;
  TsmChunks *pChunks;
  int64_t iSeries, lo, hi;
  int eState;                /* 0: chunks, 1: head, 2: done */
  TsmCols cols;
};

int tsmReaderOpen(TsmCtx *p, TsmReader **ppR){
  TsmReader *pR = sqlite3_malloc(sizeof(*pR));
  int rc;
  *ppR = 0;
  if( pR==0 ) return SQLITE_NOMEM;
  memset(pR, 0, sizeof(*pR));
  pR->p = p;
  rc = tsmChunksOpen(p, &pR->pChunks);
  if( rc ){
    tsmReaderClose(pR);
    return rc;
  }
  *ppR = pR;
  return SQLITE_OK;
}

/* Position the reader on series iSeries, samples with lo <= ts <= hi. */
int tsmReaderSeek(TsmReader *pR, int64_t iSeries, int64_t lo, int64_t hi){
  pR->iSeries = iSeries;
  pR->lo = lo;
  pR->hi = hi;
  pR->eState = 0;
  return tsmChunksSeek(pR->pChunks, iSeries, lo, hi);
}

/* Keep only the samples of pC inside [lo, hi]. */
static void colsClip(TsmCols *pC, int64_t lo, int64_t hi){
  int a = 0, b = pC->n;
  while( a<b && pC->aTs[a]<lo ) a++;
  while( b>a && pC->aTs[b-1]>hi ) b--;
  if( a>0 ){
    memmove(pC->aTs, &pC->aTs[a], sizeof(int64_t)*(size_t)(b-a));
    memmove(pC->aVal, &pC->aVal[a], sizeof(double)*(size_t)(b-a));
  }
  pC->n = b-a;
}

/*
** Decode the next chunk (sealed chunks, then the head) with samples in
** range.  *ppCols is NULL at the end.  Chunks that turn out to have no
** sample in range are skipped.
*/
int tsmReaderNext(TsmReader *pR, const TsmCols **ppCols, char **pzErr){
  int rc = SQLITE_OK;
  *ppCols = 0;
  while( pR->eState==0 ){
    const TsmChunk *pChunk;
    rc = tsmChunksNext(pR->pChunks, &pChunk);
    if( rc ) return rc;
    if( pChunk==0 ){
      pR->eState = 1;
      break;
    }
    if( pChunk->tsLast<pR->lo ) continue;
    rc = tsmChunksDecode(pR->pChunks, &pR->cols, pzErr);
    if( rc ) return rc;
    colsClip(&pR->cols, pR->lo, pR->hi);
    if( pR->cols.n>0 ){ *ppCols = &pR->cols; return SQLITE_OK; }
  }
  if( pR->eState==1 ){
    TsmHeadRow row;
    pR->eState = 2;
    rc = tsmHeadGet(pR->p, pR->iSeries, &row, &pR->cols, pzErr);
    if( rc==SQLITE_OK ){
      colsClip(&pR->cols, pR->lo, pR->hi);
      if( pR->cols.n>0 ) *ppCols = &pR->cols;
    }
  }
  return rc;
}

void tsmReaderClose(TsmReader *pR){
  if( pR ){
    tsmChunksClose(pR->pChunks);
    tsmColsFree(&pR->cols);
    sqlite3_free(pR);
  }
}

/**************************************************************************
** The last sample of a series (tsm_latest, tsm_series, tsm_prometheus):
** the head's last, or else the last sealed chunk's.  That one comes from
** the chunk's metadata when every sample of the chunk has a value
** (n_val == n, so v_last is the last sample's value) and v_last is not 0
** (a REAL column does not keep the sign of a zero); otherwise the chunk is
** decoded.  A decoded head or chunk is left in p->chunk.
*/
int tsmSeriesLast(TsmCtx *p, int64_t iSeries, int *pbFound, int64_t *pTs,
                  double *pV, char **pzErr){
  sqlite3_stmt *pStmt;
  TsmCols *pC = &p->chunk;
  int rc = tsmHeadGet(p, iSeries, 0, pC, pzErr);     /* the head's samples */
  *pbFound = 0;
  if( rc==SQLITE_OK && pC->n==0 ){
    rc = tsmStmt(p, TSM_STMT_CHUNK_LAST, &pStmt);
    if( rc ) return rc;
    sqlite3_bind_int64(pStmt, 1, iSeries);
    if( sqlite3_step(pStmt)==SQLITE_ROW ){
      double vLast = sqlite3_column_double(pStmt, 5);
      if( sqlite3_column_int64(pStmt, 3)==sqlite3_column_int64(pStmt, 4)
       && sqlite3_column_type(pStmt, 5)!=SQLITE_NULL && vLast!=0.0 ){
        *pbFound = 1;
        *pTs = sqlite3_column_int64(pStmt, 1);
        *pV = vLast;
      }else{
        TsmChunk c;
        memset(&c, 0, sizeof(c));
        c.tsFirst = sqlite3_column_int64(pStmt, 0);
        c.tsLast = sqlite3_column_int64(pStmt, 1);
        rc = chunkDecode(p, iSeries, &c, sqlite3_column_blob(pStmt, 2),
                         sqlite3_column_bytes(pStmt, 2), pC, pzErr);
      }
    }
    rc = tsmReset(pStmt, rc);
  }
  if( rc==SQLITE_OK && pC->n>0 ){
    *pbFound = 1;
    *pTs = pC->aTs[pC->n-1];
    *pV = pC->aVal[pC->n-1];
  }
  return rc;
}

/**************************************************************************
** tsm_check: decode every chunk, check every piece of metadata.
*/
typedef struct CheckOut { char *z; int nLine; } CheckOut;

static void checkLine(CheckOut *pOut, const char *zFmt, ...){
  va_list ap;
  char *zLine;
  va_start(ap, zFmt);
  zLine = sqlite3_vmprintf(zFmt, ap);
  va_end(ap);
  if( pOut->nLine<100 ){
    char *zNew = sqlite3_mprintf("%z%s%s", pOut->z, pOut->z ? "\n" : "",
                                 zLine);
    pOut->z = zNew;
  }
  pOut->nLine++;
  sqlite3_free(zLine);
}

/* Same double, NaN (NULL in SQL) included. */
static int sameReal(sqlite3_stmt *pStmt, int iCol, double v, int bValid){
  if( !bValid || isnan(v) ) return sqlite3_column_type(pStmt, iCol)==SQLITE_NULL;
  return sqlite3_column_type(pStmt, iCol)!=SQLITE_NULL
      && sqlite3_column_double(pStmt, iCol)==v;
}

static void checkSamples(CheckOut *pOut, const char *zWhat, int64_t iSeries,
                         const TsmCols *pC){
  int i;
  /* Equal timestamps are those of a "keep" series. */
  for(i=1; i<pC->n; i++){
    if( pC->aTs[i]<pC->aTs[i-1] ){
      checkLine(pOut, "series %lld: %s: timestamps decreasing at sample %d",
                (long long)iSeries, zWhat, i);
      return;
    }
  }
}

/* Report a line of tsmHooks.xCheck (rollup.c, policy.c). */
static void checkLineCb(void *pArg, const char *zLine){
  checkLine((CheckOut*)pArg, "%s", zLine);
}

int tsmStoreCheck(TsmCtx *p, char **pzOut, char **pzErr){
  CheckOut out = {0, 0};
  sqlite3_stmt *pStmt = 0;
  int rc, bExists = 0;
  int64_t iPrevSeries = INT64_MIN, iPrevLast = 0;
  TsmCols cols = {0, 0, 0, 0};

  rc = tsmStoreFlush(p, 0, pzErr);
  if( rc==SQLITE_OK ) rc = tsmStoreReady(p, 0, &bExists, pzErr);
  if( rc || !bExists ){
    *pzOut = rc ? 0 : sqlite3_mprintf("ok");
    return rc;
  }

  /* Sealed chunks, in order. */
  rc = sqlite3_prepare_v2(p->db,
      "SELECT c.series_id, ts_first, ts_last, n, n_val, v_min, v_max, v_sum,"
      " v_first, v_last, data, i.series_id IS NOT NULL"
      " FROM main.tsm_chunks c LEFT JOIN main.tsm_ids i USING(series_id)"
      " ORDER BY c.series_id, ts_first", -1, &pStmt, 0);
  while( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ){
    int64_t iSeries = sqlite3_column_int64(pStmt, 0);
    int64_t tsFirst = sqlite3_column_int64(pStmt, 1);
    int64_t tsLast = sqlite3_column_int64(pStmt, 2);
    char *zErr = 0;
    char zWhat[80];
    char z1[32], z2[32];
    TsmChunk c;
    memset(&c, 0, sizeof(c));
    c.tsFirst = tsFirst;
    c.tsLast = tsLast;
    tsmTimeFormat(tsFirst, z1);
    tsmTimeFormat(tsLast, z2);
    sqlite3_snprintf(sizeof(zWhat), zWhat, "chunk %s..%s", z1, z2);
    if( !sqlite3_column_int(pStmt, 11) ){
      checkLine(&out, "series %lld: %s belongs to no series",
                (long long)iSeries, zWhat);
    }
    if( iSeries==iPrevSeries && tsFirst<=iPrevLast ){
      checkLine(&out, "series %lld: %s overlaps the previous chunk",
                (long long)iSeries, zWhat);
    }
    iPrevSeries = iSeries;
    iPrevLast = tsLast;
    if( chunkDecode(p, iSeries, &c, sqlite3_column_blob(pStmt, 10),
                    sqlite3_column_bytes(pStmt, 10), &cols, &zErr) ){
      checkLine(&out, "%s", zErr ? zErr+5 : "out of memory");
      sqlite3_free(zErr);
      continue;
    }
    checkSamples(&out, zWhat, iSeries, &cols);
    if( cols.n!=sqlite3_column_int(pStmt, 3) || cols.n==0
     || cols.aTs[0]!=tsFirst || cols.aTs[cols.n-1]!=tsLast ){
      checkLine(&out, "series %lld: %s: count or time range differs from "
                "its metadata", (long long)iSeries, zWhat);
    }else{
      TsmAgg agg;
      tsmAggInit(&agg, 0);
      tsmAggAddRun(&agg, cols.aTs, cols.aVal, cols.n);
      if( agg.n!=sqlite3_column_int64(pStmt, 4)
       || !sameReal(pStmt, 5, agg.min, agg.n>0)
       || !sameReal(pStmt, 6, agg.max, agg.n>0)
       || !sameReal(pStmt, 7, agg.sum, agg.n>0)
       || !sameReal(pStmt, 8, agg.first, agg.n>0)
       || !sameReal(pStmt, 9, agg.last, agg.n>0) ){
        checkLine(&out, "series %lld: %s: aggregates differ from its "
                  "metadata", (long long)iSeries, zWhat);
      }
    }
  }
  rc = tsmFinalize(&pStmt, rc);

  /* Heads. */
  if( rc==SQLITE_OK ){
    rc = sqlite3_prepare_v2(p->db,
        "SELECT h.series_id, sealed_last, n, data,"
        " (SELECT max(ts_last) FROM main.tsm_chunks c"
        "   WHERE c.series_id=h.series_id),"
        " (SELECT 1 FROM main.tsm_ids i WHERE i.series_id=h.series_id)"
        " FROM main.tsm_heads h ORDER BY h.series_id", -1, &pStmt, 0);
  }
  while( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ){
    int64_t iSeries = sqlite3_column_int64(pStmt, 0);
    int bSealed = sqlite3_column_type(pStmt, 1)!=SQLITE_NULL;
    int64_t iSealed = sqlite3_column_int64(pStmt, 1);
    char *zErr = 0;
    cols.n = 0;
    if( sqlite3_column_type(pStmt, 5)==SQLITE_NULL ){
      checkLine(&out, "series %lld: head belongs to no series",
                (long long)iSeries);
    }
    if( sqlite3_column_type(pStmt, 4)!=SQLITE_NULL
     && (!bSealed || sqlite3_column_int64(pStmt, 4)>iSealed) ){
      checkLine(&out, "series %lld: head: sealed_last is before the last "
                "sealed chunk", (long long)iSeries);
    }
    if( sqlite3_column_bytes(pStmt, 3)>0
     && headDecode(p, iSeries, sqlite3_column_blob(pStmt, 3),
                   sqlite3_column_bytes(pStmt, 3), &cols, &zErr) ){
      checkLine(&out, "%s", zErr ? zErr+5 : "out of memory");
      sqlite3_free(zErr);
      continue;
    }
    checkSamples(&out, "head", iSeries, &cols);
    if( cols.n!=sqlite3_column_int(pStmt, 2) || cols.n>=TSM_HEAD_MAX ){
      checkLine(&out, "series %lld: head: count differs from its metadata",
                (long long)iSeries);
    }else if( cols.n>0 && bSealed && cols.aTs[0]<=iSealed ){
      checkLine(&out, "series %lld: head: overlaps the sealed chunks",
                (long long)iSeries);
    }
  }
  rc = tsmFinalize(&pStmt, rc);
  tsmColsFree(&cols);

  /* Series: their names, and the counts that show a lost chunk or head. */
  if( rc==SQLITE_OK ){
    rc = sqlite3_prepare_v2(p->db,
        "SELECT i.series_id, i.metric, i.labels,"
        " coalesce(k.n_chunks, 0), coalesce(k.n_sealed, 0),"
        " (SELECT count(*) FROM main.tsm_chunks c"
        "   WHERE c.series_id=i.series_id),"
        " (SELECT coalesce(sum(n), 0) FROM main.tsm_chunks c"
        "   WHERE c.series_id=i.series_id),"
        " (SELECT 1 FROM main.tsm_heads h WHERE h.series_id=i.series_id),"
        " typeof(i.metric)='text' AND typeof(i.labels)='text'"
        "   AND typeof(k.n_chunks) IN ('integer','null')"
        "   AND typeof(k.n_sealed) IN ('integer','null')"
        " FROM main.tsm_ids i LEFT JOIN main.tsm_counts k USING(series_id)"
        " UNION ALL"
        " SELECT k.series_id, NULL, NULL, 0, 0, 0, 0, 1, 2"
        " FROM main.tsm_counts k LEFT JOIN main.tsm_ids i USING(series_id)"
        " WHERE i.series_id IS NULL"
        " ORDER BY 1", -1, &pStmt, 0);
  }
  while( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ){
    long long iSeries = sqlite3_column_int64(pStmt, 0);
    const char *zM = (const char*)sqlite3_column_text(pStmt, 1);
    const char *zL = (const char*)sqlite3_column_text(pStmt, 2);
    int nM = sqlite3_column_bytes(pStmt, 1);
    if( sqlite3_column_int(pStmt, 8)==2 ){
      checkLine(&out, "series %lld: counts belong to no series", iSeries);
      continue;
    }
    if( !sqlite3_column_int(pStmt, 8) || zM==0 || zL==0 ){
      checkLine(&out, "series %lld: tsm_ids or tsm_counts row of the wrong "
                "types", iSeries);
      continue;
    }
    if( !tsmMetricValid(zM, (size_t)nM) ){
      checkLine(&out, "series %lld: invalid metric name in tsm_ids",
                iSeries);
    }else{
      TsmLabels labels;
      char zMsg[256];
      char *zCanon = 0;
      tsmLabelsInit(&labels);
      if( tsmLabelsFromJson(&labels, zL, zMsg, sizeof(zMsg))==0 ){
        zCanon = tsmLabelsToJson(&labels);
      }
      if( zCanon==0 || strcmp(zCanon, zL)!=0
       || (size_t)sqlite3_column_bytes(pStmt, 2)!=strlen(zL) ){
        checkLine(&out, "series %lld: labels in tsm_ids are not canonical "
                  "JSON", iSeries);
      }
      tsmFree(zCanon);
      tsmLabelsFree(&labels);
    }
    if( sqlite3_column_int64(pStmt, 3)!=sqlite3_column_int64(pStmt, 5)
     || sqlite3_column_int64(pStmt, 4)!=sqlite3_column_int64(pStmt, 6) ){
      checkLine(&out, "series %lld: tsm_counts says %lld chunks of %lld "
          "samples but tsm_chunks holds %lld of %lld (chunk rows lost?)",
          iSeries, (long long)sqlite3_column_int64(pStmt, 3),
          (long long)sqlite3_column_int64(pStmt, 4),
          (long long)sqlite3_column_int64(pStmt, 5),
          (long long)sqlite3_column_int64(pStmt, 6));
    }
    if( sqlite3_column_type(pStmt, 7)==SQLITE_NULL ){
      checkLine(&out, "series %lld: no head row (lost?)", iSeries);
    }
  }
  rc = tsmFinalize(&pStmt, rc);

  /* rollup.c: the buckets of rollup tiers and their state */
  if( rc==SQLITE_OK ) rc = tsmHooks.xCheck(p, checkLineCb, &out);
  if( rc ){
    sqlite3_free(out.z);
    if( *pzErr==0 ){
      *pzErr = tsmErrMsg("check failed: %s", sqlite3_errmsg(p->db));
    }
    return rc;
  }
  if( out.nLine>100 ){
    out.z = sqlite3_mprintf("%z\n... and %d more problems", out.z,
                            out.nLine-100);
  }
  *pzOut = out.z ? out.z : sqlite3_mprintf("ok");
  return *pzOut ? SQLITE_OK : SQLITE_NOMEM;
}

/**************************************************************************
** tsm_stats: JSON with the size of the store.
*/

/* z as a JSON string ("..." with escapes), or null; from sqlite3_malloc. */
static char *jsonQuote(const char *z){
  sqlite3_str *pOut;
  if( z==0 ) return sqlite3_mprintf("null");
  pOut = sqlite3_str_new(0);
  sqlite3_str_appendchar(pOut, 1, '"');
  for(; *z; z++){
    unsigned char c = (unsigned char)*z;
    if( c=='"' || c=='\\' ) sqlite3_str_appendf(pOut, "\\%c", c);
    else if( c<0x20 ) sqlite3_str_appendf(pOut, "\\u%04x", c);
    else sqlite3_str_appendchar(pOut, 1, (char)c);
  }
  sqlite3_str_appendchar(pOut, 1, '"');
  return sqlite3_str_finish(pOut);
}
int tsmStoreStats(TsmCtx *p, char **pzOut, char **pzErr){
  sqlite3_stmt *pStmt = 0;
  int rc, bExists = 0;
  sqlite3_int64 nSeries = 0, nSamples = 0, nChunks = 0, nBytes = 0, nFile = 0;
  char *zAutoError;
  rc = tsmStoreReady(p, 0, &bExists, pzErr);
  if( rc ) return rc;
  if( bExists ){
    rc = sqlite3_prepare_v2(p->db,
        "SELECT (SELECT count(*) FROM main.tsm_ids),"
        " (SELECT total(n) FROM main.tsm_chunks)"
        "   + (SELECT total(n) FROM main.tsm_heads),"
        " (SELECT count(*) FROM main.tsm_chunks)"
        "   + (SELECT count(*) FROM main.tsm_heads WHERE n>0),"
        " (SELECT total(length(data)) FROM main.tsm_chunks)"
        "   + (SELECT total(length(data)) FROM main.tsm_heads),"
        " (SELECT page_count*page_size FROM pragma_page_count, pragma_page_size)",
        -1, &pStmt, 0);
    if( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ){
      nSeries = sqlite3_column_int64(pStmt, 0);
      nSamples = sqlite3_column_int64(pStmt, 1);
      nChunks = sqlite3_column_int64(pStmt, 2);
      nBytes = sqlite3_column_int64(pStmt, 3);
      nFile = sqlite3_column_int64(pStmt, 4);
    }
    if( rc==SQLITE_OK ) rc = sqlite3_finalize(pStmt);
    else sqlite3_finalize(pStmt);
    if( rc ){
      *pzErr = tsmErrMsg("stats failed: %s", sqlite3_errmsg(p->db));
      return rc;
    }
  }
  zAutoError = jsonQuote(p->zAutoError);
  if( zAutoError==0 ) return SQLITE_NOMEM;
  *pzOut = sqlite3_mprintf("{\"series\":%lld,\"samples\":%lld,"
      "\"chunks\":%lld,\"bytes\":%lld,\"bytes_per_sample\":%.3f,"
      "\"file_bytes\":%lld,\"file_bytes_per_sample\":%.3f,"
      "\"buffered\":%d,\"duplicates\":%lld,\"decoded_chunks\":%lld,"
      "\"auto_prunes\":%lld,\"auto_prune_ms\":%.3f,"
      "\"auto_errors\":%lld,\"auto_error\":%s}",
      nSeries, nSamples + p->buf.nSample, nChunks, nBytes,
      nSamples ? (double)nBytes/(double)nSamples : 0.0, nFile,
      nSamples ? (double)nFile/(double)nSamples : 0.0,
      p->buf.nSample, (long long)p->nDup, (long long)p->nDecoded,
      (long long)p->nAutoPrune, p->rAutoPruneMs,    /* retention.c */
      (long long)p->nAutoError, zAutoError);
  sqlite3_free(zAutoError);
  return *pzOut ? SQLITE_OK : SQLITE_NOMEM;
}
