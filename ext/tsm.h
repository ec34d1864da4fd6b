/*
** tsm.h -- private header of the SQLite side of tsm.
**
** Rooms:
**   tsm.c           entry point; the table of every function and module;
**                   the error helper
**   store.c         schema and migrations, every internal statement, series
**                   registry and cache, chunk reads and the flush (merge of
**                   buffered samples into chunks), tsm_check, tsm_stats
**   buffer.c        the per-connection buffer of recorded samples
**   func.c          scalar SQL functions
**   vtab_samples.c  tsm_samples (read, INSERT) and the transaction hooks
**   vtab_series.c   tsm_series (read, DELETE)
**   codec.c parse.c sketch.c   pure modules (no SQLite types)
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

/* The buffer flushes itself past this many samples (24 bytes each). */
#define TSM_BUFFER_MAX (256*1024)

typedef struct TsmCtx TsmCtx;
typedef struct TsmBuffer TsmBuffer;
typedef struct TsmChunk TsmChunk;
typedef struct TsmCache TsmCache;
typedef struct TsmCols TsmCols;
typedef struct TsmReader TsmReader;

/* A growable pair of columns: timestamps and values. */
struct TsmCols {
  int n, nAlloc;
  int64_t *aTs;
  double *aVal;
};

/* The buffer keeps one column pair per series, in arrival order.  bSorted
** stays set while every timestamp is greater than the previous one. */
typedef struct TsmBufSeries {
  int64_t iSeries;
  int n, nAlloc;
  int bSorted;
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
  struct TsmCacheEntry { char *zKey; int nKey; int64_t iSeries; } *aSlot;
};

/* Per-chunk metadata, as stored beside the blob.  Aggregates ignore NaN. */
struct TsmChunk {
  int64_t iRowid;
  int64_t iSeries;
  int64_t tsFirst, tsLast;   /* time range, inclusive */
  int n;                     /* samples, NaN included */
  int nVal;                  /* samples that are not NaN */
  double vMin, vMax, vSum, vFirst, vLast;   /* over non-NaN samples */
};

/* Internal statements, one place: the SQL text is in store.c. */
enum {
  TSM_STMT_META_GET,
  TSM_STMT_SERIES_FIND,
  TSM_STMT_SERIES_INSERT,
  TSM_STMT_SERIES_GET,
  TSM_STMT_SERIES_DELETE,
  TSM_STMT_HEAD_GET,
  TSM_STMT_HEAD_PUT,
  TSM_STMT_HEAD_DELETE,
  TSM_STMT_CHUNK_AFFECTED,   /* chunks a merge of [a,b] must rewrite */
  TSM_STMT_CHUNK_LAST,
  TSM_STMT_CHUNK_WARM,
  TSM_STMT_CHUNK_GET,
  TSM_STMT_CHUNK_INSERT,
  TSM_STMT_CHUNK_DELETE,
  TSM_STMT_CHUNK_DELETE_SERIES,
  TSM_STMT_COUNT
};

/* Per-connection state, the user data of every function and module. */
struct TsmCtx {
  sqlite3 *db;
  sqlite3_stmt *aStmt[TSM_STMT_COUNT];
  sqlite3_stmt *pRecord;     /* INSERT INTO tsm_samples, for tsm_record() */
  int bReady;                /* store checked (and migrated) */
  int bFlushing;             /* inside tsmStoreFlush() */
  int bGuard;                /* tsm_series is connected (see tsmStmt) */
  unsigned int iDataVersion; /* SQLITE_FCNTL_DATA_VERSION cache is valid for */
  int64_t iLastSeries;       /* series of the last sample recorded */
  int64_t nDecoded;          /* chunks decoded by this connection */
  TsmBuffer buf;
  TsmCache cache;
  TsmCols head, merge, chunk, acc;   /* scratch for the flush */
  uint8_t *aOut; size_t nOut;        /* scratch for encoding */
  int nChunkBytes, nChunkBytesMax;   /* sealed chunk size (chunkSizing) */
};

/* tsm.c */
void tsmErr(sqlite3_context *ctx, const char *zFmt, ...);
char *tsmMprintf(const char *zFmt, ...);
void tsmVtabErr(sqlite3_vtab *pVtab, const char *zFmt, ...);

/* store.c */
int tsmStoreReady(TsmCtx *p, int bCreate, int *pbExists, char **pzErr);
int tsmStmt(TsmCtx *p, int eStmt, sqlite3_stmt **ppStmt);
int tsmGuardClose(TsmCtx *p);
int tsmSeriesResolve(TsmCtx *p, const char *zMetric, const char *zLabels,
                     int64_t *piSeries, char **pzErr);
int tsmSeriesExists(TsmCtx *p, int64_t iSeries, int *pbExists);
int tsmSeriesDelete(TsmCtx *p, int64_t iSeries);
int tsmSeriesLast(TsmCtx *p, int64_t iSeries, int *pbFound, int64_t *pTs,
                  double *pV, char **pzErr);
int tsmChunkDecode(TsmCtx *p, int64_t iSeries, int64_t tsFirst,
                   int64_t tsLast, const uint8_t *a, int n, TsmCols *pOut,
                   char **pzErr);
void tsmCacheClear(TsmCache *pCache);
void tsmCacheValidate(TsmCtx *p);
void tsmCacheCommitted(TsmCtx *p);
int tsmStoreFlush(TsmCtx *p, int *pnFlushed, char **pzErr);
int tsmStoreCheck(TsmCtx *p, char **pzOut, char **pzErr);
int tsmStoreStats(TsmCtx *p, char **pzOut, char **pzErr);
void tsmStoreClose(TsmCtx *p);
void tsmStoreFree(TsmCtx *p);
int tsmColsReserve(TsmCols *p, int n);
void tsmColsFree(TsmCols *p);
int tsmTsFromValue(sqlite3_value *pVal, const char *zArg, int64_t *pTs,
                   char **pzErr);

/* Reading the samples of one series, chunk by chunk, in time order. */
int tsmReaderOpen(TsmCtx *p, TsmReader **ppReader);
int tsmReaderSeek(TsmReader *pR, int64_t iSeries, int64_t lo, int64_t hi);
int tsmReaderNext(TsmReader *pR, const TsmCols **ppCols, char **pzErr);
void tsmReaderClose(TsmReader *pR);

/* buffer.c */
int tsmBufferAdd(TsmBuffer *p, int64_t iSeries, int64_t ts, double v);
void tsmBufferClear(TsmBuffer *p);
void tsmBufferFree(TsmBuffer *p);
int tsmBufferPrepare(TsmBufSeries *pS);
void tsmBufferReindex(TsmBuffer *p);

/* func.c, vtab_*.c */
int tsmFuncRegister(sqlite3 *db, TsmCtx *p);
int tsmRecord(TsmCtx *p, sqlite3_value *pMetric, sqlite3_value *pLabels,
              sqlite3_value *pTs, sqlite3_value *pValue, int bBits,
              int64_t iSeries, char **pzErr);
extern sqlite3_module tsmSamplesModule;
extern sqlite3_module tsmSeriesModule;

#endif /* TSM_H */
