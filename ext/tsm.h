/* SPDX-License-Identifier: MIT */
/*
** tsm.h -- private header of the SQLite side of tsm.
**
** Rooms:
**   tsm.c           entry point; the table of every function and module;
**                   the error helper; tsmHooks (the seam below)
**   store.c         schema and migrations, the store's statements
**                   (TSM_STMT_*), the statement cache (tsmStmtCached),
**                   transaction helpers, series registry and cache, head cache,
**                   the flush (merge of buffered samples into chunks);
**                   the owner of tsm_ids, tsm_chunks, tsm_heads and
**                   tsm_counts: every statement on them is there, and
**                   other files use the registry, chunk and head API
**                   below (TsmSeriesScan, TsmChunks, TsmReader, tsmHead*,
**                   tsmChunksDrop ...); tsm_check, tsm_stats
**   buffer.c        the per-connection buffer of recorded samples
**   func.c          scalar SQL functions
**   vtab_samples.c  tsm_samples (read, INSERT) and the transaction hooks
**   vtab_series.c   tsm_series (read, DELETE)
**   query.c         tsm_query (buckets over raw chunks and rollup tiers),
**                   tsm_bucket, tsm_selector
**   export.c        tsm_prometheus, tsm_export
**   import.c        tsm_import
**   policy.c        retention policies (tsm_policies: every statement),
**                   metric patterns, the SQL values of times, durations,
**                   resolutions; tsmWallClock
**   rollup.c        rollup tiers: tsm_downsample, the flush hook that marks
**                   late samples, tsm_quantile, tsm_rank, tsm_sketch_merge;
**                   every statement on tsm_rollup and tsm_rollup_state
**                   (azRStmt, private; TsmTierRows, tsmTierStateScan for
**                   query.c and vtab_rollups.c), TsmRun
**   retention.c     tsm_prune, automatic maintenance at commit, tsm_auto
**   vtab_rollups.c  tsm_rollups (read)
**   vtab_retention.c  tsm_retention (policies: read, INSERT, UPDATE, DELETE)
**   metrics.c       tsm_metrics (rules: type, duplicates, help) and the
**                   lookups of a metric's rule (tsmMetricDup, tsmMetricMeta)
**   codec.c parse.c sketch.c format.c agg.c   pure modules (no SQLite
**                   types); format.c: the exchange formats of export and
**                   import; agg.c: the bucket accumulator, bucket
**                   alignment and the counter-increase rule
**
** docs/ARCHITECTURE.md is the map: these files as layers, which file owns
** which table, and where statements on a table are still spread out.
**
** Naming follows FTS5: tsmXxx crosses files, static helpers are lower-case,
** TsmXxx are types.  z string, n count, a array, p pointer, b flag, i integer,
** rc result code.
*/
#ifndef TSM_H
#define TSM_H

#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3
#include <stdint.h>
#include "codec.h"
#include "agg.h"

#define TSM_VERSION "0.1.0"

/* Chunk sizing (see store.c chunkSizing and docs/FORMAT.md).  A sealed
** chunk holds up to TSM_CHUNK_MAX samples and encodes to just over a page,
** so that it fills one overflow page; the newest sealed chunk of a series
** is topped up in place until it gets there.  TSM_CHUNK_META is the room
** taken by the other columns of a chunk row.  The open head of a series
** (its newest samples, rewritten on every commit) holds fewer than
** TSM_HEAD_MAX samples and is encoded TSM_CODEC_FAST. */
#define TSM_CHUNK_MAX   16384
#define TSM_CHUNK_META  80
#define TSM_HEAD_MAX    128

/* tsm_query refuses a range of more buckets than this per series. */
#define TSM_QUERY_BUCKETS_MAX 1000000

/* The buffer flushes itself past this many samples (24 bytes each). */
#define TSM_BUFFER_MAX (256*1024)

/* tsmAddSat, tsmBucketOf, tsmBucketUp, tsmCounterStep: agg.h. */

typedef struct TsmCtx TsmCtx;
typedef struct TsmHead TsmHead;
typedef struct TsmBuffer TsmBuffer;
typedef struct TsmCache TsmCache;
typedef struct TsmCols TsmCols;
typedef struct TsmReader TsmReader;
typedef struct TsmRules TsmRules;

/* Duplicate policies of tsm_metrics (metrics.c): what a sample does when
** its series has a sample at that timestamp already (store.c tsmDupMerge). */
#define TSM_DUP_REPLACE 0     /* the later one wins (the default) */
#define TSM_DUP_KEEP    1     /* both stay, in recording order */
#define TSM_DUP_SUM     2
#define TSM_DUP_FIRST   3     /* the earlier one wins */
#define TSM_DUP_MIN     4
#define TSM_DUP_MAX     5

/* A growable pair of columns: timestamps and values. */
struct TsmCols {
  int n, nAlloc;
  int64_t *aTs;
  double *aVal;
};

/* The buffer keeps one column pair per series, in arrival order.  bSorted
** stays set while no timestamp is less than the previous one; nEq counts
** those equal to the previous one. */
typedef struct TsmBufSeries {
  int64_t iSeries;
  int n, nAlloc;
  int bSorted;
  int nEq;
  int eDup;                  /* TSM_DUP_xxx of the series */
  int64_t *aTs;
  double *aVal;
} TsmBufSeries;

struct TsmBuffer {
  int nSample;               /* samples in all series */
  int nSeries, nSeriesAlloc;
  TsmBufSeries *aSeries;
  int *aHash;                /* open addressing: index+1 into aSeries, or 0 */
  int nHash;                 /* slots in aHash, power of two */
  int iLast;                 /* index of the series last appended to */
};

/* Series cache: (metric, canonical labels) -> series_id, open hashing. */
struct TsmCache {
  int nSlot;                 /* power of two, or 0 */
  int nUsed;
  struct TsmCacheEntry {
    char *zKey; int nKey;
    int eDup;                /* TSM_DUP_xxx of the series (metrics.c) */
    int64_t iSeries;
  } *aSlot;
};

/* Cached statements of the store tables: the SQL text is in store.c
** (azStmt).  Every statement on tsm_chunks, tsm_heads and tsm_counts is
** there (or prepared by store.c itself); the rest of ext/ goes through
** the chunk and head functions below.  So is every statement on tsm_ids
** (the series registry: tsmSeriesNames, TsmSeriesScan, tsmSeriesFound). */
enum {
  TSM_STMT_META_GET,
  TSM_STMT_SERIES_FIND,
  TSM_STMT_SERIES_INSERT,
  TSM_STMT_SERIES_GET,
  TSM_STMT_SERIES_DELETE,
  TSM_STMT_SERIES_STAT,      /* first_ts, samples, bytes (tsm_series) */
  TSM_STMT_HEAD_GET,
  TSM_STMT_HEAD_PUT,
  TSM_STMT_HEAD_UPDATE,      /* HEAD_PUT for a row known to exist */
  TSM_STMT_HEAD_DELETE,
  TSM_STMT_HEAD_SCAN,        /* every head, in series order */
  TSM_STMT_CHUNK_AFFECTED,   /* chunks a merge of [a,b] must rewrite */
  TSM_STMT_CHUNK_LAST,
  TSM_STMT_CHUNK_WARM,
  TSM_STMT_CHUNK_GET,
  TSM_STMT_CHUNK_INSERT,
  TSM_STMT_CHUNK_DELETE,
  TSM_STMT_CHUNK_DELETE_SERIES,
  TSM_STMT_CHUNK_NTH,        /* ts_first, ts_last of the n-th oldest */
  TSM_STMT_CHUNK_DROP_SIZE,  /* rows and samples TSM_STMT_CHUNK_DROP takes */
  TSM_STMT_CHUNK_DROP,
  TSM_STMT_CHUNK_STRADDLE,
  TSM_STMT_CHUNK_TRIM,       /* new start and metadata of a cut chunk */
  TSM_STMT_SAMPLE_TOTAL,     /* samples in chunks and heads */
  TSM_STMT_SERIES_COUNT,     /* tsm_counts of ?1: n_chunks, n_sealed += */
  TSM_STMT_COUNT_DELETE,
  TSM_STMT_BEGIN,            /* tsmTxnBegin, tsmTxnEnd */
  TSM_STMT_COMMIT,
  TSM_STMT_ROLLBACK,
  TSM_STMT_COUNT
};

#define TSM_RSTMT_COUNT 13         /* cached statements of rollup.c */
#define TSM_PSTMT_COUNT 2          /* cached statements of policy.c */
#define TSM_ROLLUP_KNOWN    0x01   /* eRollup is valid */
#define TSM_ROLLUP_POLICIES 0x02   /* tsm_policies has rows */
#define TSM_ROLLUP_STATE    0x04   /* tsm_rollup_state has rows */
#define TSM_AUTO_INTERVAL_MS 5000  /* default time between automatic
                                   ** maintenance runs (tsm_auto) */

/* Per-connection state, the user data of every function and module. */
struct TsmCtx {
  sqlite3 *db;
  sqlite3_stmt *aStmt[TSM_STMT_COUNT];
  sqlite3_stmt *pRecord;     /* INSERT INTO tsm_samples, for tsm_record() */
  int bReady;                /* store checked (and migrated) */
  int bSamplesTxn;           /* tsm_samples is in a transaction: between
                             ** its xBegin and xCommit/xRollback (only
                             ** asserts read it) */
  int mHave;                 /* TSM_HAVE_xxx: table groups present (with
                             ** bReady) */
  int bGroupMade;            /* this connection created a group, and no
                             ** commit followed yet: look again at every
                             ** use (the creation may be rolled back) */
  unsigned int iGroupVersion;        /* data version when it did */
  int bFlushing;             /* inside tsmStoreFlush() */
  int bGuard;                /* tsm_series is connected (see tsmStmt) */
  unsigned int iDataVersion; /* SQLITE_FCNTL_DATA_VERSION cache is valid for */
  int64_t iLastSeries;       /* series of the last sample recorded */
  int64_t nDecoded;          /* chunks decoded by this connection */
  TsmBuffer buf;
  TsmCache cache;
  TsmHead **apHead;          /* head cache, TSM_HEAD_CACHE slots (store.c) */
  TsmCols head, merge, chunk, acc;   /* scratch for the flush */
  uint8_t *aOut; size_t nOut;        /* scratch for encoding */
  int nChunkBytes, nChunkBytesMax;   /* sealed chunk size (chunkSizing) */
  /* Rollups and retention (rollup.c, retention.c) */
  int eRollup;               /* TSM_ROLLUP_xxx flags; 0 = not known */
  int bPruning;              /* inside tsm_prune/tsm_downsample */
  int64_t iPruneLast;        /* wall clock (ms) of the last maintenance */
  int64_t iPruneInterval;    /* ms between maintenance runs (tsm_auto);
                             ** 0: every commit; -1: off */
  int64_t iPruneNext;        /* series the next maintenance starts at */
  sqlite3_stmt *aRollupStmt[TSM_RSTMT_COUNT];   /* see rollup.c */
  sqlite3_stmt *aPolicyStmt[TSM_PSTMT_COUNT];   /* see policy.c */
  struct TsmDoneCache *pDone;        /* rollup.c: highest done_ts per series */
  int64_t nAutoPrune;        /* maintenance runs of this connection */
  double rAutoPruneMs;       /* ... and the time they took (tsm_stats) */
  int64_t nAutoError;        /* ... the errors they met and skipped */
  char *zAutoError;          /* ... the last one (sqlite3_malloc) */
  TsmRules *pRules;          /* metrics.c: the rules of tsm_metrics */
  int64_t nDup;              /* samples that met another at their ts */
};

/* Every tsm virtual table: the connection's TsmCtx beside the base. */
typedef struct TsmVtab {
  sqlite3_vtab base;
  TsmCtx *p;
} TsmVtab;

/* Every cursor of the five tables begins with these members. */
typedef struct TsmCursor {
  sqlite3_vtab_cursor base;
  TsmCtx *p;
} TsmCursor;

/*
** The seam between the store and the layers above it.  store.c (layer 2 in
** docs/ARCHITECTURE.md) never names a function of rollup.c, policy.c or
** metrics.c: what it must tell them, or ask them, goes through these
** hooks, which tsm.c fills in (tsmHooks).
*/
typedef struct TsmHooks {
  /* The flush wrote samples of iSeries from tsMin to tsMax: mark tiers
  ** that folded some of them dirty (rollup.c tsmRollupFlushed). */
  int (*xFlushed)(TsmCtx*, int64_t iSeries, int64_t tsMin, int64_t tsMax);
  /* Series iSeries is being deleted: drop its buckets and tier state
  ** (rollup.c tsmRollupForget). */
  int (*xForget)(TsmCtx*, int64_t iSeries);
  /* tsm_check() of the tables above the store: one call of xLine per
  ** problem (rollup.c tsmRollupCheck, then policy.c tsmPolicyCheck). */
  int (*xCheck)(TsmCtx*, void (*xLine)(void*, const char*), void *pArg);
  /* Finalize cached statements, free caches (tsmStoreClose: rollup.c
  ** tsmRollupClose, policy.c tsmPolicyClose). */
  void (*xClose)(TsmCtx*);
  /* The duplicate policy of a metric, for a series first seen (metrics.c
  ** tsmMetricDup). */
  int (*xMetricDup)(TsmCtx*, const char *zMetric, int *peDup);
  /* Forget the cached rules of tsm_metrics (metrics.c tsmRulesFree). */
  void (*xRulesFree)(TsmCtx*);
} TsmHooks;
extern const TsmHooks tsmHooks;

/* tsm.c */
char *tsmErrMsg(const char *zFmt, ...);
void tsmErr(sqlite3_context *ctx, const char *zFmt, ...);
int tsmValueText(sqlite3_value *pVal, const char *zArg, const char **pz,
                 char **pzErr);
const char *tsmValueQuote(char *zOut, sqlite3_value *pVal);
const char *tsmErrText(int rc, const char *zMsg);
void tsmResultError(sqlite3_context *ctx, TsmCtx *p, int rc, char *zErr);
void tsmErrFromDb(TsmCtx *p, int rc, char **pzErr);
int tsmVtabError(sqlite3_vtab *pVtab, int rc, char *zErr);
int tsmVtabConnect(sqlite3 *db, void *pAux, const char *zSchema,
                   sqlite3_vtab **ppVtab);
void *tsmCursorOpen(sqlite3_vtab *pVtab, size_t nByte,
                    sqlite3_vtab_cursor **ppCur);

/* store.c */
/* Groups of tables, each created when first needed (format 7; see
** docs/FORMAT.md, "Tables created when needed").  The mCreate argument of
** tsmStoreReady() is a mask of them: 1 (TSM_HAVE_SAMPLES) for every
** caller that records samples. */
#define TSM_HAVE_SAMPLES 0x01  /* tsm_ids, tsm_heads, tsm_chunks, tsm_counts */
#define TSM_HAVE_TIERS   0x02  /* tsm_policies, tsm_rollup, tsm_rollup_state */
#define TSM_HAVE_RULES   0x04  /* tsm_metric_rules */
#define TSM_HAVE_STORE   0x08  /* tsm_meta alone: the store (tsm_init) */
int tsmStoreReady(TsmCtx *p, int mCreate, int *pbExists, char **pzErr);
int tsmStoreHas(TsmCtx *p, int mGroup);
int tsmStmt(TsmCtx *p, int eStmt, sqlite3_stmt **ppStmt);
int tsmStmtCached(TsmCtx *p, sqlite3_stmt **ppSlot, const char *zSql,
                  sqlite3_stmt **ppStmt);
int tsmStmtRun(sqlite3_stmt *pStmt);
void tsmStmtsFinalize(sqlite3_stmt **aStmt, int n);
void tsmBindReal(sqlite3_stmt *pStmt, int i, double v);   /* NaN: NULL */
double tsmColumnReal(sqlite3_stmt *pStmt, int i);        /* NULL: NaN */
int tsmTxnBegin(TsmCtx *p, int *pbOwn);
int tsmTxnEnd(TsmCtx *p, int bOwn, int rc);
int tsmGuardClose(TsmCtx *p);
int tsmFinalize(sqlite3_stmt **ppStmt, int rc);
int tsmReset(sqlite3_stmt *pStmt, int rc);
int tsmSeriesResolve(TsmCtx *p, const char *zMetric, const char *zLabels,
                     int bCreate, int64_t *piSeries, int *peDup,
                     char **pzErr);
int tsmSeriesExists(TsmCtx *p, int64_t iSeries, int *pbExists, int *peDup);
int tsmLabelsCanonical(sqlite3_value *pVal, char **pzOut);
/* The series registry (store.c owns tsm_ids).  tsmSeriesNames: metric
** and labels of one series, in one sqlite3_malloc block ("metric NUL
** labels NUL"; both NULL: no such series).  A TsmSeriesScan cursor yields
** the series that match every constraint given, in series_id order:
** series_id = pId, metric = pMetric (values compared as SQL compares
** them) or zMetric, labels = zLabels (canonical text,
** tsmLabelsCanonical); NULL: no constraint.  *ppRow is NULL at the end
** and stays valid until the next call; zMetric and zLabels are the text
** of metric and labels when bText was given (NULL then only out of
** memory), else NULL.  tsmSeriesScanValue: the metric (0) or labels (1)
** column of the current row, for sqlite3_result_value. */
typedef struct TsmSeriesScan TsmSeriesScan;
typedef struct TsmSeriesRow {
  int64_t iSeries;
  const char *zMetric; int nMetric;
  const char *zLabels; int nLabels;
} TsmSeriesRow;
int tsmSeriesNames(TsmCtx *p, int64_t iSeries, char **pzMetric,
                   char **pzLabels);
int tsmSeriesFound(TsmCtx *p, sqlite3_value *pId, int *pbFound);
int tsmSeriesScanOpen(TsmCtx *p, sqlite3_value *pId, sqlite3_value *pMetric,
                      const char *zMetric, const char *zLabels, int bText,
                      TsmSeriesScan **ppScan);
int tsmSeriesScanNext(TsmSeriesScan *pScan, const TsmSeriesRow **ppRow);
sqlite3_value *tsmSeriesScanValue(TsmSeriesScan *pScan, int bLabels);
void tsmSeriesScanClose(TsmSeriesScan *pScan);
int tsmSeriesDelete(TsmCtx *p, int64_t iSeries);
int tsmSeriesLast(TsmCtx *p, int64_t iSeries, int *pbFound, int64_t *pTs,
                  double *pV, char **pzErr);
void tsmCacheClear(TsmCache *pCache);
void tsmCacheValidate(TsmCtx *p);
void tsmCacheCommitted(TsmCtx *p);
void tsmHeadsForget(TsmCtx *p);
int tsmStoreFlush(TsmCtx *p, int *pnFlushed, char **pzErr);
int tsmStoreCheck(TsmCtx *p, char **pzOut, char **pzErr);
int tsmStoreStats(TsmCtx *p, char **pzOut, char **pzErr);
void tsmStoreClose(TsmCtx *p);
void tsmStoreFree(TsmCtx *p);
int tsmColsReserve(TsmCols *p, int n);
void tsmColsFree(TsmCols *p);

int tsmSeriesStat(TsmCtx *p, int64_t iSeries, int *pbFirst, int64_t *pFirst,
                  int64_t *pnSamples, int64_t *pnBytes);
int tsmSampleTotal(TsmCtx *p, int64_t *pn);

/* Reading the samples of one series, chunk by chunk, in time order. */
int tsmReaderOpen(TsmCtx *p, TsmReader **ppReader);
int tsmReaderSeek(TsmReader *pR, int64_t iSeries, int64_t lo, int64_t hi);
int tsmReaderNext(TsmReader *pR, const TsmCols **ppCols, char **pzErr);
void tsmReaderClose(TsmReader *pR);

/* The sealed chunks of a series (store.c owns tsm_chunks).  A TsmChunks
** cursor yields each chunk's metadata; tsmChunksDecode() reads and decodes
** the samples of the chunk it is on, only when asked (the blob is often in
** an overflow page).  tsmChunksSeek: the chunks that overlap [lo, hi],
** oldest first; tsmChunksSeekBefore: those starting before ts, newest
** first.  *ppChunk is NULL at the end; it stays valid until the next call.
** tsmChunksReset releases the statement before the next seek. */
typedef struct TsmChunks TsmChunks;
typedef struct TsmChunk {
  int64_t iChunk;            /* chunk_id */
  int64_t iSeries;
  int64_t tsFirst, tsLast;
  int n;                     /* samples */
  int nVal;                  /* samples that are not NaN */
  int nByte;                 /* bytes of the blob (tsmChunksScan only) */
  double vMin, vMax, vSum, vFirst, vLast;   /* of those; when nVal>0.
                             ** vSum is NaN when its column is NULL (the
                             ** sum of +inf and -inf) */
} TsmChunk;
int tsmChunksOpen(TsmCtx *p, TsmChunks **ppC);
int tsmChunksSeek(TsmChunks *pC, int64_t iSeries, int64_t lo, int64_t hi);
int tsmChunksSeekBefore(TsmChunks *pC, int64_t iSeries, int64_t ts);
int tsmChunksNext(TsmChunks *pC, const TsmChunk **ppChunk);
int tsmChunksDecode(TsmChunks *pC, TsmCols *pOut, char **pzErr);
void tsmChunksReset(TsmChunks *pC);
void tsmChunksClose(TsmChunks *pC);
/* Every chunk of the store, in no order (iSeries, tsFirst, tsLast, n and
** nByte filled): xChunk returns an SQLite code, not SQLITE_OK stops. */
int tsmChunksScan(TsmCtx *p, int (*xChunk)(void*, const TsmChunk*),
                  void *pArg);
/* ts_first and ts_last of the n-th oldest chunk of iSeries (0: the
** oldest): INT64_MAX when there is none. */
int tsmChunkNth(TsmCtx *p, int64_t iSeries, int n, int64_t *pFirst,
                int64_t *pLast);
/* Remove the samples before tCut from the sealed chunks of iSeries: whole
** chunks are deleted, and the chunk that straddles tCut is cut when its
** ts_first is before tTrim.  *pnWork (may be NULL) gets the rows deleted,
** plus one when a straddler was read.  tsmChunksDropAll: of every series,
** cutting every straddler.  tsm_counts is kept. */
int tsmChunksDrop(TsmCtx *p, int64_t iSeries, int64_t tCut, int64_t tTrim,
                  int *pnWork, char **pzErr);
int tsmChunksDropAll(TsmCtx *p, int64_t tCut, char **pzErr);

/* The head row of a series (store.c owns tsm_heads): bRow is 0 when the
** series has none (then it has no sealed chunk either: bSealed 0).  aData
** is the blob, valid only inside a tsmHeadScan() callback. */
typedef struct TsmHeadRow {
  int64_t iSeries;
  int bRow;                  /* the row exists */
  int bSealed;               /* sealed_last is not NULL */
  int64_t iSealedLast;       /* the ts_last of the newest sealed chunk */
  int n;                     /* samples (column n) */
  int nByte;                 /* bytes of the blob */
  const uint8_t *aData;
} TsmHeadRow;
/* The head of iSeries (into pRow, if not NULL), and its samples decoded
** into pOut (if not NULL; empty without a row). */
int tsmHeadGet(TsmCtx *p, int64_t iSeries, TsmHeadRow *pRow, TsmCols *pOut,
               char **pzErr);
/* Write the head row of pRow->iSeries (its bSealed and iSealedLast) with
** the samples of pC, all later than sealed_last (fewer than TSM_HEAD_MAX);
** *pnByte gets the size of the blob.  The head cache is forgotten. */
int tsmHeadPut(TsmCtx *p, const TsmHeadRow *pRow, const TsmCols *pC,
               int *pnByte);
/* Every head row in series order, then decoded (tsmHeadDecode) if the
** callback wants: xHead returns an SQLite code, not SQLITE_OK stops. */
int tsmHeadScan(TsmCtx *p, int (*xHead)(void*, const TsmHeadRow*),
                void *pArg);
int tsmHeadDecode(TsmCtx *p, const TsmHeadRow *pRow, TsmCols *pOut,
                  char **pzErr);

/* buffer.c */
double tsmDupCombine(int eDup, double a, double b);
#ifndef NDEBUG
int tsmBufferOk(const TsmBuffer*);     /* its invariants (debug builds) */
#endif
int tsmBufferAdd(TsmBuffer *p, int64_t iSeries, int64_t ts, double v,
                 int eDup);
void tsmBufferClear(TsmBuffer *p);
void tsmBufferFree(TsmBuffer *p);
int tsmBufferPrepare(TsmBufSeries *pS, int64_t *pnDup);
void tsmBufferReindex(TsmBuffer *p);

/* func.c, vtab_*.c */
int tsmRecord(TsmCtx *p, sqlite3_value *pMetric, sqlite3_value *pLabels,
              sqlite3_value *pTs, sqlite3_value *pValue, int bBits,
              int64_t iSeries, char **pzErr);
/* SQL functions and modules, all registered by the one table in tsm.c. */
#define TSM_FUNC(x) void x(sqlite3_context*, int, sqlite3_value**)
TSM_FUNC(tsmVersionFunc);       /* func.c */
TSM_FUNC(tsmDebugFunc);
TSM_FUNC(tsmInitFunc);
TSM_FUNC(tsmRecordFunc);
TSM_FUNC(tsmFlushFunc);
TSM_FUNC(tsmLatestFunc);
TSM_FUNC(tsmCheckFunc);
TSM_FUNC(tsmStatsFunc);
TSM_FUNC(tsmDownsampleFunc);    /* rollup.c */
TSM_FUNC(tsmQuantileFunc);
TSM_FUNC(tsmRankFunc);
TSM_FUNC(tsmSketchMergeStep);
void tsmSketchMergeFinal(sqlite3_context*);
TSM_FUNC(tsmPruneFunc);         /* retention.c */
TSM_FUNC(tsmAutoFunc);
TSM_FUNC(tsmBucketFunc);        /* query.c */
TSM_FUNC(tsmSelectorFunc);
TSM_FUNC(tsmPrometheusFunc);    /* export.c */
TSM_FUNC(tsmImportFunc);        /* import.c */
#undef TSM_FUNC
extern sqlite3_module tsmQueryModule;
extern sqlite3_module tsmSamplesModule;
extern sqlite3_module tsmSeriesModule;
extern sqlite3_module tsmExportModule;

/**************************************************************************
** Querying and export (query.c, export.c): tsm_query, tsm_bucket,
** tsm_prometheus.
*/
struct TsmSelector;          /* parse.h */
typedef struct TsmSeriesItem {
  int64_t iSeries;
  char *zMetric;             /* one allocation: metric NUL labels NUL */
  char *zLabels;             /* canonical JSON, inside zMetric's block */
} TsmSeriesItem;
typedef struct TsmSeriesList {
  int n;
  TsmSeriesItem *a;          /* in series_id order */
} TsmSeriesList;
int tsmSelectorFromValue(sqlite3_value *pVal, struct TsmSelector *pSel,
                         char **pzErr);
int tsmSeriesSelect(TsmCtx *p, const struct TsmSelector *pSel,
                    TsmSeriesList *pOut, char **pzErr);
void tsmSeriesListFree(TsmSeriesList *pList);

/**************************************************************************
** Rollups and retention (rollup.c, retention.c, vtab_rollups.c,
** vtab_retention.c): tsm_downsample, tsm_prune, tsm_quantile,
** tsm_sketch_merge, tsm_rollups, tsm_retention.  Tables in
** sql/002_rollups.sql; design in docs/FORMAT.md "Rollups and retention".
*/
/* A retention policy: one row of tsm_policies. */
typedef struct TsmPolicy {
  int64_t iRowid;
  char *zPattern;            /* GLOB pattern over metric names */
  int64_t iRes;              /* 0 = raw samples, else tier width in ms */
  int64_t iKeep;             /* ms; 0 = forever */
  int64_t nMaxBytes;         /* 0 = no cap */
  int bExact;                /* the pattern has no wildcard */
  int iScore;                /* specificity: 2 per literal, 1 per ? or [] */
} TsmPolicy;
typedef struct TsmPolicies {
  int n;
  TsmPolicy *a;              /* by resolution, then pattern */
  int nRes;
  int64_t *aRes;             /* distinct tier widths (> 0), ascending */
} TsmPolicies;

/* policy.c: policies, patterns, and the SQL values of times, durations,
** resolutions (below rollup.c and retention.c, above store.c). */
int tsmPoliciesLoad(TsmCtx *p, TsmPolicies *pSet);
void tsmPoliciesFree(TsmPolicies *pSet);
int tsmPolicyFor(const TsmPolicies *pSet, const char *zMetric, int64_t iRes);
int tsmPoliciesExist(TsmCtx *p, int *pbAny);
int tsmPolicyFind(TsmCtx *p, const char *zMetric, int64_t iRes,
                  int64_t *piRowid);
int tsmPolicyPut(TsmCtx *p, int bInsert, const char *zMetric, int64_t iRes,
                 int64_t iKeep, int64_t nMaxBytes, int64_t *piRowid);
int tsmPolicyDelete(TsmCtx *p, int64_t iRowid);
int tsmPolicyCheck(TsmCtx *p, void (*xLine)(void*, const char*), void *pArg);
void tsmPolicyClose(TsmCtx *p);
int tsmPatternCheck(const char *zPattern, char **pzErr);
void tsmPatternScore(const char *zPattern, int *pbExact, int *piScore);
int tsmPatternBetter(const char *zA, int bExactA, int iScoreA,
                     const char *zB, int bExactB, int iScoreB);
int tsmTsFromValue(sqlite3_value *pVal, const char *zArg, int64_t *pTs,
                   char **pzErr);
int64_t tsmWallClock(void);
int tsmDurationFromValue(sqlite3_value *pVal, int64_t *pMs);
int tsmResolutionFromValue(sqlite3_value *pVal, int bRawOk, int64_t *piRes,
                           char **pzErr);
int tsmKeepFromValue(sqlite3_value *pVal, int64_t *piKeep, char **pzErr);
#define TSM_DURATION_BUF 48        /* room for any tsmDurationFormat text */
void tsmDurationFormat(int64_t ms, char *zBuf);   /* TSM_DURATION_BUF bytes */
void tsmResultDuration(sqlite3_context *ctx, int64_t ms);

/* retention.c */
int tsmPrune(TsmCtx *p, int bAuto, int64_t *pnRemoved, char **pzErr);
int tsmRetentionCommit(TsmCtx *p, char **pzErr);

/* rollup.c */
int tsmRollupFlags(TsmCtx *p, int *peFlags);
void tsmRollupClose(TsmCtx *p);
int tsmRollupFlushed(TsmCtx *p, int64_t iSeries, int64_t tsMin,
                     int64_t tsMax);
int tsmRollupForget(TsmCtx *p, int64_t iSeries);
int tsmRollupCheck(TsmCtx *p, void (*xLine)(void*, const char*), void *pArg);
int tsmRollupAny(TsmCtx *p, int64_t iSeries, int *pbAny);
#define TSM_BUCKET_BYTES 64        /* a bucket's row, sketch aside */
int tsmRollupUsage(TsmCtx *p, int (*xTier)(void*, int64_t iSeries,
                   int64_t iRes, int64_t nBucket, int64_t nByte,
                   int64_t tsOldest), void *pArg);
int tsmRollupBuckets(TsmCtx *p, int64_t iRes, int (*xBucket)(void*,
                     int64_t iSeries, int64_t tsEnd, int64_t nByte),
                     void *pArg);

/* One series during a downsample or prune run (rollup.c). */
typedef struct TsmRun TsmRun;
typedef struct TsmRunSeries {
  int64_t iSeries;
  char *zMetric;
  int64_t tsNewest;          /* newest sample; INT64_MIN if none */
  int64_t tsHeadFirst;       /* oldest sample of the head; INT64_MAX if none */
  int nHead;                 /* samples in the head */
  int nHeadBytes;            /* bytes of the head blob */
  int bHead;                 /* the series has a head row */
  int bSealed;               /* sealed_last is not NULL */
  int64_t iSealedLast;       /* sealed_last of the head row */
  char *zCorrupt;            /* its head does not decode (bSkipCorrupt) */
} TsmRunSeries;

/* One rollup tier of one series, and its state. */
typedef struct TsmTier {
  int64_t iRes;              /* width, ms */
  int iSrc;                  /* source: index of a finer tier, -1 = raw */
  int iPolicy;               /* the policy that declares it (TsmPolicies.a) */
  int bState;                /* has folded something: iDone is valid */
  int64_t iDone;             /* watermark: buckets before it are complete */
  int64_t iDirty;            /* late samples from here; INT64_MAX: none */
  int64_t iDirtyTo;          /* ... to here (inclusive) */
  int64_t iPruned;           /* buckets before it pruned; INT64_MIN: none */
} TsmTier;
typedef struct TsmSeriesTiers {
  int nTier;
  TsmTier *aTier;            /* ascending width */
  int iRawPolicy;            /* policy of the raw samples, -1 = none */
  int64_t iRawPruned;        /* raw samples before it pruned; INT64_MIN */
  int nOrphan, nOrphanAlloc;
  int64_t *aOrphan;          /* tiers with state but no policy */
} TsmSeriesTiers;

/* rollup.c owns tsm_rollup and tsm_rollup_state: the rest of ext/ reads
** them through these.  The tables of tiers may not exist yet: callers
** ask tsmStoreHas(p, TSM_HAVE_TIERS) first.
**
** A TsmTierRows cursor yields the buckets of tier iRes of a series (iRes
** 0: of every tier, by resolution, only with bSketch) with lo <= ts <= hi,
** in ts order.  *ppRow is NULL at the end, and stays valid until the next
** call; Next reads iRes, ts and part.n, tsmTierRowsPart() the rest of
** part (only when asked: most of the cost of a row), as the fold merges
** it: a NULL column (a NaN, stored as NULL) reads NaN; aSk/nSk the
** sketch, when the cursor was opened with bSketch and the column is a
** BLOB (else nSk is -1). */
typedef struct TsmTierRows TsmTierRows;
typedef struct TsmTierRow {
  int64_t iRes;              /* resolution, ms */
  int64_t ts;                /* bucket start */
  TsmAggPart part;           /* n; the rest after tsmTierRowsPart() */
} TsmTierRow;
int tsmTierRowsOpen(TsmCtx *p, int bSketch, TsmTierRows **ppT);
int tsmTierRowsSeek(TsmTierRows *pT, int64_t iSeries, int64_t iRes,
                    int64_t lo, int64_t hi);
int tsmTierRowsNext(TsmTierRows *pT, const TsmTierRow **ppRow);
const TsmAggPart *tsmTierRowsPart(TsmTierRows *pT);
void tsmTierRowsReset(TsmTierRows *pT);
void tsmTierRowsClose(TsmTierRows *pT);
/* The state rows of a series by resolution (resolution 0: the raw
** samples', only iPruned), NULL columns as TsmTier's defaults; xState
** returns an SQLite code, not SQLITE_OK stops. */
int tsmTierStateScan(TsmCtx *p, int64_t iSeries,
                     int (*xState)(void*, const TsmTier*), void *pArg);
/* The last value of the newest bucket of tier iRes that ends by ts, and
** its time (*pbFound 0: none, or its last is NULL). */
int tsmTierLastBefore(TsmCtx *p, int64_t iSeries, int64_t iRes, int64_t ts,
                      int *pbFound, double *pLast, int64_t *pTsLast);

int tsmRunOpen(TsmCtx *p, int bSkipCorrupt, TsmRun **ppRun, char **pzErr);
void tsmRunClose(TsmRun *pRun);
int tsmRunSeriesCount(TsmRun *pRun);
TsmRunSeries *tsmRunSeriesAt(TsmRun *pRun, int i);
int tsmRunFind(TsmRun *pRun, int64_t iSeries);
const TsmPolicies *tsmRunPolicies(TsmRun *pRun);
int64_t tsmRunNow(TsmRun *pRun);
int tsmRunNoState(TsmRun *pRun);
TsmCols *tsmRunCols(TsmRun *pRun);
char **tsmRunErr(TsmRun *pRun);
int tsmRunTiers(TsmRun *pRun, TsmRunSeries *pS, TsmSeriesTiers **ppTiers);
int tsmRunDownsample(TsmRun *pRun, TsmRunSeries *pS, int64_t iUpTo,
                     int64_t iRebuildRes, int64_t iFrom, int64_t iTo,
                     int *pnBucket);
int tsmRunFold(TsmRun *pRun, TsmRunSeries *pS, int *pnBucket);
void tsmRunFoldLimit(TsmRun *pRun, int nBucket);
int tsmRunStatePut(TsmRun *pRun, int64_t iSeries, const TsmTier *pTier,
                   int64_t iRawPruned);
int tsmRunRawOldest(TsmRun *pRun, TsmRunSeries *pS, int64_t *pTs);
int tsmRunTierOldest(TsmRun *pRun, int64_t iSeries, int64_t iRes,
                     int64_t *pTs);
int tsmRunDeleteBuckets(TsmRun *pRun, int64_t iSeries, int64_t iRes,
                        int64_t a, int64_t b, int64_t *pn);
int tsmRunDropTier(TsmRun *pRun, int64_t iSeries, int64_t iRes);

/* The status columns of tsm_retention, per policy (retention.c). */
typedef struct TsmUsage {
  int64_t nSeries, nSamples, nBytes, tsOldest;  /* tsOldest INT64_MAX: none */
} TsmUsage;
int tsmRetentionUsage(TsmCtx *p, const TsmPolicies *pSet, TsmUsage *aUsage,
                      char **pzErr);

extern sqlite3_module tsmRollupsModule;
extern sqlite3_module tsmMetricsModule;

/* metrics.c */
int tsmMetricDup(TsmCtx *p, const char *zMetric, int *peDup);
int tsmMetricMeta(TsmCtx *p, const char *zMetric, const char **pzType,
                  const char **pzHelp);
const char *tsmDupName(int eDup);
void tsmRulesFree(TsmCtx *p);
void tsmRulesChanged(TsmCtx *p);
extern sqlite3_module tsmRetentionModule;

#endif /* TSM_H */
