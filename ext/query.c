/* SPDX-License-Identifier: MIT */
/*
** query.c -- tsm_query (table-valued function) and tsm_bucket (scalar).
**
**   SELECT series_id, labels ->> 'host', ts, avg, max, rate
**     FROM tsm_query('http_requests_total{code=~"5.."}',
**                    '2026-01-01', '2026-01-02', '1h', 'null');
**
**   SELECT tsm_bucket(ts, '5m') AS b, avg(value) FROM tsm_samples GROUP BY b;
**
** tsm_query(selector, start, end, step [, fill]) returns one row per
** matching series and bucket of width step, columns
**   series_id, metric, labels, ts, count, sum, min, max, avg, first, last,
**   increase, rate, sketch
** and the hidden argument columns selector, start, end, step, fill.
**
** Semantics (README "tsm_query" says the same for users):
**   - Buckets are aligned to multiples of step since the epoch, so a row's
**     ts is tsm_bucket(sample ts, step); [start, end) selects the samples.
**     A bucket cut by start or end holds only the samples inside.
**   - Aggregates ignore NaN samples; a bucket exists when it holds at least
**     one sample that is not NaN ("count" counts those).
**   - increase: the series is read as a counter.  Between two consecutive
**     samples p then v, the increase is v-p, or v when v < p (a reset: the
**     counter restarted from zero).  Each such step belongs to the bucket of
**     v, the later sample, so a bucket's increase includes the step from
**     the last sample before it (even before start), and the increases of
**     consecutive buckets add up to the increase over the whole range.
**     rate = increase / step in seconds.  (agg.c tsmCounterStep: from
**     +inf to +inf the step is v-p, NaN, so the increase is NULL.)
**   - fill: 'none' (default) returns only buckets with samples.  The others
**     return every bucket from tsm_bucket(start) to the bucket of end-1 for
**     each series that has at least one bucket in the range; an empty
**     bucket has count 0 and NULL sum, increase, rate and sketch, and
**     min, max, avg, first, last are NULL ('null'), those of the nearest
**     earlier bucket ('previous'), or interpolated linearly in ts between
**     the nearest earlier and later buckets ('linear'); NULL where there is
**     no such bucket.
**   - sketch: a serialized quantile sketch (ext/sketch.h) of the bucket's
**     values, for tsm_quantile().  Built only when the column is read.
**
** Sources, per series.  The range is cut into segments, each read from
** one source: a rollup tier (table tsm_rollup, see below) or the raw
** chunks.  See querySegments().  Raw chunks whose samples all fall into
** one bucket and inside the segment are answered from the chunk metadata
** (n_val, v_min, v_max, v_sum, v_first, v_last) without decoding, unless
** increase, rate or sketch are read (they need every sample).  Buckets are
** built by agg.c (TsmAgg, with the counter carried across buckets), tier
** rows merged as the rollup fold merges them.
**
** xBestIndex: every argument is an "=" constraint on a hidden column; they
** are passed to xFilter in column order, and idxNum says which:
**   bits 0..4   selector, start, end, step, fill present
**   bit  8      the sketch column is used
**   bit  9      increase or rate is used
** A constraint on an argument that is not usable makes the plan
** SQLITE_CONSTRAINT (SQLite then orders the join so that it is); a missing
** argument is reported by xFilter.  Rows come out ordered by
** (series_id, ts).
*/
#include "tsm.h"
#include <assert.h>
#include "parse.h"
#include "sketch.h"
#include <stdlib.h>
#include <string.h>
#include <math.h>

enum {
  QCOL_SERIES, QCOL_METRIC, QCOL_LABELS, QCOL_TS, QCOL_COUNT, QCOL_SUM,
  QCOL_MIN, QCOL_MAX, QCOL_AVG, QCOL_FIRST, QCOL_LAST, QCOL_INCREASE,
  QCOL_RATE, QCOL_SKETCH,
  /* hidden: the arguments */
  QCOL_SELECTOR, QCOL_START, QCOL_END, QCOL_STEP, QCOL_FILL
};
#define QARG_FIRST QCOL_SELECTOR
#define QARG_COUNT 5

#define QIDX_SKETCH   0x100
#define QIDX_INCREASE 0x200

enum { FILL_NONE, FILL_NULL, FILL_PREVIOUS, FILL_LINEAR };

/**************************************************************************
** Series selection (shared with export.c)
*/
void tsmSeriesListFree(TsmSeriesList *pList){
  int i;
  for(i=0; i<pList->n; i++) sqlite3_free(pList->a[i].zMetric);
  sqlite3_free(pList->a);
  memset(pList, 0, sizeof(*pList));
}

/*
** Every series matched by pSel, in series_id order.  The store must exist.
** When the selector names the metric (m{...} or {__name__="m"}), only the
** series of that metric are looked at.
*/
int tsmSeriesSelect(TsmCtx *p, const TsmSelector *pSel, TsmSeriesList *pOut,
                    char **pzErr){
  TsmSeriesScan *pScan = 0;
  const TsmSeriesRow *pRow = 0;
  const char *zMetric = pSel->zMetric;
  int rc, i, nAlloc = 0, bLabels = 0;
  TsmLabels labels;

  memset(pOut, 0, sizeof(*pOut));
  for(i=0; i<pSel->nMatch; i++){
    const TsmMatcher *pM = &pSel->aMatch[i];
    if( strcmp(pM->zName, "__name__")!=0 ) bLabels = 1;
    else if( pM->eOp==TSM_MATCH_EQ && zMetric==0 ) zMetric = pM->zValue;
  }
  rc = tsmSeriesScanOpen(p, 0, 0, zMetric, 0, 1, &pScan);   /* store.c */
  tsmLabelsInit(&labels);
  while( rc==SQLITE_OK ){
    const char *zM, *zL;
    int nM, nL;
    TsmSeriesItem *pItem;
    rc = tsmSeriesScanNext(pScan, &pRow);
    if( rc || pRow==0 ) break;
    zM = pRow->zMetric;
    zL = pRow->zLabels;
    nM = pRow->nMetric;
    nL = pRow->nLabels;
    if( zM==0 || zL==0 ){ rc = SQLITE_NOMEM; break; }
    if( bLabels ){
      char zMsg[256];
      tsmLabelsFree(&labels);
      if( tsmLabelsFromJson(&labels, zL, zMsg, sizeof(zMsg)) ){
        *pzErr = tsmErrMsg("corrupt labels of series %lld: %s",
            (long long)pRow->iSeries, zMsg);
        rc = SQLITE_CORRUPT;
        break;
      }
    }
    {
      char zMsg[1024];
      int bMatch = tsmSelectorMatch(pSel, zM, &labels, zMsg, sizeof(zMsg));
      if( bMatch<0 ){
        *pzErr = tsmErrMsg("%s", zMsg);
        rc = SQLITE_ERROR;
        break;
      }
      if( !bMatch ) continue;
    }
    if( pOut->n>=nAlloc ){
      int nNew = nAlloc ? nAlloc*2 : 16;
      TsmSeriesItem *aNew = sqlite3_realloc64(pOut->a, sizeof(*aNew)*nNew);
      if( aNew==0 ){ rc = SQLITE_NOMEM; break; }
      pOut->a = aNew;
      nAlloc = nNew;
    }
    pItem = &pOut->a[pOut->n];
    pItem->iSeries = pRow->iSeries;
    /* metric and labels in one allocation */
    pItem->zMetric = sqlite3_malloc(nM + nL + 2);
    if( pItem->zMetric==0 ){ rc = SQLITE_NOMEM; break; }
    memcpy(pItem->zMetric, zM, (size_t)nM+1);
    pItem->zLabels = &pItem->zMetric[nM+1];
    memcpy(pItem->zLabels, zL, (size_t)nL+1);
    pOut->n++;
  }
  tsmLabelsFree(&labels);
  tsmSeriesScanClose(pScan);
  if( rc!=SQLITE_OK ){
    if( *pzErr==0 && rc!=SQLITE_NOMEM ){
      *pzErr = tsmErrMsg("cannot list series: %s",
                               sqlite3_errmsg(p->db));
    }
    tsmSeriesListFree(pOut);
  }
  return rc;
}

/* Parse a selector argument into *pSel (freed with tsmSelectorFree). */
int tsmSelectorFromValue(sqlite3_value *pVal, TsmSelector *pSel,
                         char **pzErr){
  char zMsg[512];
  const char *z;
  int rc;
  memset(pSel, 0, sizeof(*pSel));
  if( sqlite3_value_type(pVal)!=SQLITE_TEXT ){
    *pzErr = tsmErrMsg("invalid selector: must be TEXT like "
        "'metric{label=\"value\"}' or '{label=~\"regex\"}'");
    return SQLITE_ERROR;
  }
  rc = tsmValueText(pVal, "selector", &z, pzErr);
  if( rc ) return rc;
  if( tsmSelectorParse(z, pSel, zMsg, sizeof(zMsg)) ){
    *pzErr = tsmErrMsg("%s", zMsg);
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

/* tsm_selector(metric, labels): selector text with the label values of
** the JSON object quoted for PromQL (parse.c tsmSelectorBuild). */
void tsmSelectorFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  char zMsg[512];
  char *z;
  (void)argc;
  if( sqlite3_value_type(argv[0])!=SQLITE_NULL
   && sqlite3_value_type(argv[0])!=SQLITE_TEXT ){
    tsmErr(ctx, "invalid metric: must be TEXT, a name matching "
           "[a-zA-Z_:][a-zA-Z0-9_:]*, or NULL");
    return;
  }
  if( sqlite3_value_type(argv[1])!=SQLITE_NULL
   && sqlite3_value_type(argv[1])!=SQLITE_TEXT ){
    tsmErr(ctx, "invalid labels: must be TEXT holding a JSON object of "
           "strings, or NULL");
    return;
  }
  z = tsmSelectorBuild((const char*)sqlite3_value_text(argv[0]),
                       (const char*)sqlite3_value_text(argv[1]),
                       zMsg, sizeof(zMsg));
  if( z==0 ){
    tsmErr(ctx, "%s", zMsg);
    return;
  }
  sqlite3_result_text(ctx, z, -1, SQLITE_TRANSIENT);
  tsmFree(z);
}

/**************************************************************************
** Durations and buckets
*/

/* A width (step, tsm_bucket's width) from duration TEXT or INTEGER ms
** (TEXT that is an integer, as some clients bind numbers, counts as ms). */
static int queryWidth(sqlite3_value *pVal, const char *zArg, int64_t *pMs,
                      char **pzErr){
  switch( sqlite3_value_numeric_type(pVal) ){
    case SQLITE_INTEGER: {
      int64_t v = sqlite3_value_int64(pVal);
      if( v<=0 ){
        *pzErr = tsmErrMsg("invalid %s %lld: must be greater "
            "than 0", zArg, (long long)v);
        return SQLITE_ERROR;
      }
      *pMs = v;
      return SQLITE_OK;
    }
    case SQLITE_TEXT: {
      char zMsg[256];
      const char *z;
      int rc = tsmValueText(pVal, zArg, &z, pzErr);
      if( rc ) return rc;
      if( tsmDurationParse(z, pMs, zMsg, sizeof(zMsg)) ){
        /* "invalid duration ..." -> "invalid <arg> ..." */
        const char *zRest = zMsg;
        if( strncmp(zRest, "invalid duration ", 17)==0 ) zRest += 17;
        *pzErr = tsmErrMsg("invalid %s %s", zArg, zRest);
        return SQLITE_ERROR;
      }
      return SQLITE_OK;
    }
    default:
      *pzErr = tsmErrMsg("invalid %s: must be a duration like "
          "'5m' or INTEGER milliseconds", zArg);
      return SQLITE_ERROR;
  }
}

/* tsm_bucket(ts, width) */
void tsmBucketFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  int64_t ts, w;
  char *zErr = 0;
  (void)argc;
  if( sqlite3_value_type(argv[0])==SQLITE_NULL
   || sqlite3_value_type(argv[1])==SQLITE_NULL ){
    return;   /* NULL in, NULL out (a NULL ts is not "now" here: pure) */
  }
  if( tsmTsFromValue(argv[0], "ts", &ts, &zErr)
   || queryWidth(argv[1], "width", &w, &zErr) ){
    sqlite3_result_error(ctx, zErr, -1);
    sqlite3_free(zErr);
    return;
  }
  sqlite3_result_int64(ctx, tsmBucketOf(ts, w));
}

/**************************************************************************
** The raw source of one series: chunk metadata first, data decoded only
** when needed.  Samples and chunks come in time order; a segment consumes
** the part it covers and leaves the rest for the next raw segment.
*/

typedef struct QRaw QRaw;
struct QRaw {
  TsmChunks *pChunks;        /* store.c: chunk metadata, decoded on demand */
  const TsmChunk *pChunk;    /* a chunk not consumed yet, or NULL */
  int64_t iSeries;
  int eState;                /* 0: stepping pChunks, 1: head next, 2: done */
  TsmCols cols;              /* decoded samples; [iPos, cols.n) are left */
  int iPos;
};

/**************************************************************************
** Rollup tiers (sql/002_rollups.sql, rollup.c).  Tier r of a series holds
** complete buckets [ts, ts+r) for ts before its done_ts, except after
** pruned_ts only, and except the buckets between dirty_from and dirty_to
** (late samples not folded yet: those are read from raw samples).  Raw
** samples exist from the raw row's pruned_ts on.  The state and the rows
** are read through rollup.c (tsmTierStateScan, TsmTierRows,
** tsmTierLastBefore).
*/
#define QTIER_MAX 16
typedef struct QTier QTier;
struct QTier {
  int64_t r;                 /* resolution, divides the step */
  int64_t lo, hi;            /* complete buckets have lo <= ts < hi */
  int64_t dlo, dhi;          /* ... except dlo <= ts < dhi (dlo==dhi: none) */
};

/* A piece of the range and its source: samples (or buckets) with
** lo <= ts < hi, from tier r, or raw samples when r is 0. */
typedef struct QSeg QSeg;
struct QSeg {
  int64_t lo, hi, r;
};
#define QSEG_MAX (2*QTIER_MAX+8)

/**************************************************************************
** The cursor
*/
typedef struct QueryCursor QueryCursor;
struct QueryCursor {
  sqlite3_vtab_cursor base;
  TsmCtx *p;

  /* Arguments */
  int64_t iStart, iEnd;      /* [start, end) */
  int64_t iStep;
  int eFill;
  int bSketch;               /* build sketches */
  int bInc;                  /* compute increase */
  int bMeta;                 /* chunk metadata may answer whole chunks */

  TsmSeriesList list;        /* matching series */
  int iSeries;               /* index in list of the current series */

  /* Per series */
  QRaw raw;
  int bTiers;                /* the store has the tables of tiers */
  TsmTierRows *pTier;        /* rollup.c: tier rows (with sketches when
                             ** bSketch), opened by the first xFilter
                             ** that needs it */
  const TsmTierRow *pTierRow;  /* the row pending when eTier is 2 */
  int nTier;
  QTier aTier[QTIER_MAX];    /* coarsest first */
  int64_t iRawLo;            /* raw samples exist from here on */
  int nSeg, iSeg;
  QSeg aSeg[QSEG_MAX];
  int eTier;                 /* pTier: 0 not bound, 1 stepping, 2 on a row */
  int bSrcEof;               /* no more buckets in this series */
  TsmAgg acc;                /* the bucket being built; its counter (bPrev,
                             ** prev) carries across buckets */
  TsmAgg next;                 /* next complete bucket (valid if bNext) */
  int bNext;

  /* Fill */
  int bAny;                  /* this series has produced a bucket */
  int64_t tsFill;            /* next bucket ts to output when filling */
  int64_t tsLastBucket;      /* bucket of end-1 */
  int bPrevRow;              /* prevRow holds the last data bucket */
  int64_t tsPrevRow;
  double aPrevRow[5];        /* min, max, avg, first, last */

  /* The current row */
  TsmAgg row;                  /* data of the row (row.n==0: a filled row) */
  int bFilled;               /* the row is a filled gap */
  int bFillVals;             /* ... with aFill values */
  double aFill[5];           /* min, max, avg, first, last */
  int bEof;
  int64_t iRowid;
};

static int queryConnect(sqlite3 *db, void *pAux, int argc,
                        const char *const *argv, sqlite3_vtab **ppVtab,
                        char **pzErr){
  (void)argc; (void)argv; (void)pzErr;
  return tsmVtabConnect(db, pAux,
      "CREATE TABLE x(series_id INTEGER, metric TEXT, labels TEXT, "
      "ts INTEGER, count INTEGER, sum REAL, min REAL, max REAL, avg REAL, "
      "first REAL, last REAL, increase REAL, rate REAL, sketch BLOB, "
      "selector HIDDEN, start HIDDEN, \"end\" HIDDEN, step HIDDEN, "
      "fill HIDDEN)", ppVtab);
}

static int queryDisconnect(sqlite3_vtab *pVtab){
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

static int queryBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo){
  int aArg[QARG_COUNT];
  int i, nArg = 0, idxNum = 0;
  (void)pVtab;
  for(i=0; i<QARG_COUNT; i++) aArg[i] = -1;
  for(i=0; i<pInfo->nConstraint; i++){
    const struct sqlite3_index_constraint *pC = &pInfo->aConstraint[i];
    int iArg = pC->iColumn - QARG_FIRST;
    if( iArg<0 || pC->op!=SQLITE_INDEX_CONSTRAINT_EQ ) continue;
    if( !pC->usable ) return SQLITE_CONSTRAINT;
    aArg[iArg] = i;
  }
  for(i=0; i<QARG_COUNT; i++){
    if( aArg[i]<0 ) continue;
    idxNum |= 1<<i;
    pInfo->aConstraintUsage[aArg[i]].argvIndex = ++nArg;
    pInfo->aConstraintUsage[aArg[i]].omit = 1;
  }
  if( pInfo->colUsed & ((sqlite3_uint64)1<<QCOL_SKETCH) ) idxNum |= QIDX_SKETCH;
  if( pInfo->colUsed & (((sqlite3_uint64)1<<QCOL_INCREASE)
                        | ((sqlite3_uint64)1<<QCOL_RATE)) ){
    idxNum |= QIDX_INCREASE;
  }
  pInfo->idxNum = idxNum;
  pInfo->estimatedCost = 1000.0;
  pInfo->estimatedRows = 1000;
  /* Rows come out by (series_id, ts). */
  if( pInfo->nOrderBy>=1 && pInfo->nOrderBy<=2 ){
    const struct sqlite3_index_orderby *aO = pInfo->aOrderBy;
    int bOk = !aO[0].desc && aO[0].iColumn==QCOL_SERIES;
    if( pInfo->nOrderBy==2 ){
      bOk = bOk && !aO[1].desc && aO[1].iColumn==QCOL_TS;
    }
    if( bOk ) pInfo->orderByConsumed = 1;
  }
  return SQLITE_OK;
}

static int queryOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCur){
  QueryCursor *pCur = tsmCursorOpen(pVtab, sizeof(*pCur), ppCur);
  if( pCur==0 ) return SQLITE_NOMEM;
  pCur->bEof = 1;
  return SQLITE_OK;
}

static void rawReset(QRaw *pRaw){
  if( pRaw->pChunks ) tsmChunksReset(pRaw->pChunks);
  pRaw->eState = 2;
  pRaw->pChunk = 0;
  pRaw->cols.n = 0;
  pRaw->iPos = 0;
}

static int queryClose(sqlite3_vtab_cursor *pCursor){
  QueryCursor *pCur = (QueryCursor*)pCursor;
  tsmSeriesListFree(&pCur->list);
  tsmChunksClose(pCur->raw.pChunks);
  tsmTierRowsClose(pCur->pTier);
  tsmColsFree(&pCur->raw.cols);
  tsmAggFree(&pCur->acc);
  tsmAggFree(&pCur->next);
  tsmAggFree(&pCur->row);
  sqlite3_free(pCur);
  return SQLITE_OK;
}

/* Set the cursor's error: zErr (taken over) or the connection's message. */
static int queryError(QueryCursor *pCur, int rc, char *zErr){
  return tsmVtabError(pCur->base.pVtab, rc, zErr);
}

/* Take the last non-NaN sample of pC earlier than start, if any, as the
** counter's value before start. */
static void rawPrevIn(QueryCursor *pCur, const TsmCols *pC){
  int i;
  for(i=pC->n-1; i>=0; i--){
    if( pC->aTs[i]<pCur->iStart && !isnan(pC->aVal[i]) ){
      pCur->acc.bPrev = 1;
      pCur->acc.prev = pC->aVal[i];
      return;
    }
  }
}

/* Position the chunks of the raw source on [start, end). */
static int rawPosition(QueryCursor *pCur){
  QRaw *pRaw = &pCur->raw;
  pRaw->eState = 0;
  return tsmChunksSeek(pRaw->pChunks, pRaw->iSeries, pCur->iStart,
                       pCur->iEnd-1);
}

/*
** The counter's value before start: the last sample that is not NaN and
** is earlier than start, from the head or the chunks before start.  The
** chunks are read through the raw source's cursor, positioned again after.
*/
static int rawBefore(QueryCursor *pCur, char **pzErr){
  QRaw *pRaw = &pCur->raw;
  TsmHeadRow head;
  int rc;
  pCur->acc.bPrev = 0;

  /* The head: its samples are later than those of every chunk. */
  rc = tsmHeadGet(pCur->p, pRaw->iSeries, &head, &pRaw->cols, pzErr);
  if( rc==SQLITE_OK ) rawPrevIn(pCur, &pRaw->cols);
  pRaw->cols.n = 0;
  if( rc || pCur->acc.bPrev ) return rc;

  /* The chunks, newest first, until one has a value before start. */
  rc = tsmChunksSeekBefore(pRaw->pChunks, pRaw->iSeries, pCur->iStart);
  while( rc==SQLITE_OK && !pCur->acc.bPrev ){
    const TsmChunk *pChunk;
    rc = tsmChunksNext(pRaw->pChunks, &pChunk);
    if( rc || pChunk==0 ) break;
    if( pChunk->nVal==0 ) continue;                 /* all NaN */
    if( pChunk->tsLast<pCur->iStart ){
      pCur->acc.bPrev = 1;
      pCur->acc.prev = pChunk->vLast;
      break;
    }
    rc = tsmChunksDecode(pRaw->pChunks, &pRaw->cols, pzErr);
    if( rc==SQLITE_OK ) rawPrevIn(pCur, &pRaw->cols);
  }
  pRaw->cols.n = 0;
  if( rc==SQLITE_OK ) rc = rawPosition(pCur);
  return rc;
}

/* Position the raw source on series iSeries, range [start, end). */
static int rawSeek(QueryCursor *pCur, int64_t iSeries){
  QRaw *pRaw = &pCur->raw;
  int rc = SQLITE_OK;
  rawReset(pRaw);
  if( pRaw->pChunks==0 ) rc = tsmChunksOpen(pCur->p, &pRaw->pChunks);
  if( rc ) return rc;
  pRaw->iSeries = iSeries;
  return rawPosition(pCur);
}

/*
** Aggregate decoded samples from pRaw->iPos while ts < lim into a;
** pRaw->iPos moves past them.  This is the hot loop of a query over raw
** samples (tsmAggAddLanes: four lanes without increase and sketch).  An
** error of the sketch leaves the value out of it, as before.
*/
static void rawAggregate(QueryCursor *pCur, TsmAgg *a, int64_t lim){
  QRaw *pRaw = &pCur->raw;
  const int64_t *aTs = pRaw->cols.aTs;
  int i = pRaw->iPos, j;

  /* j: the first sample at or after lim */
  {
    int lo = i, hi = pRaw->cols.n;
    while( lo<hi ){
      int m = lo + (hi-lo)/2;
      if( aTs[m]<lim ) lo = m+1; else hi = m;
    }
    j = lo;
  }
  pRaw->iPos = j;
  if( i>=j ) return;
  (void)tsmAggAddLanes(a, &aTs[i], &pRaw->cols.aVal[i], j-i);
}

/* Merge the metadata of chunk pC into a. */
static void rawAggregateMeta(const TsmChunk *pC, TsmAgg *a){
  TsmAggPart part;
  part.n = pC->nVal;
  part.sum = pC->vSum;
  part.min = pC->vMin;
  part.max = pC->vMax;
  part.first = pC->vFirst;
  part.last = pC->vLast;
  part.inc = 0.0;
  part.tsFirst = pC->tsFirst;        /* bounds of the chunk: unused here */
  part.tsLast = pC->tsLast;
  part.aSk = 0;
  part.nSk = -1;
  tsmAggAddChunk(a, &part);
}

/* Skip decoded samples earlier than lo. */
static void rawSkipTo(QRaw *pRaw, int64_t lo){
  int i = pRaw->iPos, n = pRaw->cols.n;
  const int64_t *aTs = pRaw->cols.aTs;
  if( i<n && aTs[i]<lo ){
    /* binary search: the first index with ts >= lo */
    int a = i, b = n;
    while( a<b ){
      int m = a + (b-a)/2;
      if( aTs[m]<lo ) a = m+1; else b = m;
    }
    pRaw->iPos = a;
  }
}

/*
** Feed the raw samples in [lo, hi) into the cursor's buckets, emitting
** complete buckets to pCur->next.  Returns with *pbDone set when the
** segment is exhausted, or clear when a bucket was completed (pCur->bNext)
** and more may follow.
*/
static int rawFeed(QueryCursor *pCur, int64_t lo, int64_t hi, int *pbDone,
                   char **pzErr){
  QRaw *pRaw = &pCur->raw;
  TsmAgg *a = &pCur->acc;
  int rc = SQLITE_OK;
  *pbDone = 0;
  for(;;){
    /* 1. Decoded samples left over. */
    if( pRaw->iPos<pRaw->cols.n ){
      int64_t ts, b;
      rawSkipTo(pRaw, lo);
      if( pRaw->iPos>=pRaw->cols.n ) continue;
      ts = pRaw->cols.aTs[pRaw->iPos];
      if( ts>=hi ){ *pbDone = 1; return SQLITE_OK; }
      b = tsmBucketOf(ts, pCur->iStep);
      if( a->bValid && a->b!=b ){
        if( a->n>0 ){ tsmAggSwap(a, &pCur->next); pCur->bNext = 1; }
        a->bValid = 0;
        if( pCur->bNext ) return SQLITE_OK;
      }
      if( !a->bValid ) tsmAggStart(a, b);
      {
        int64_t lim = tsmAddSat(b, pCur->iStep);
        rawAggregate(pCur, a, lim<hi ? lim : hi);
      }
      continue;
    }

    /* 2. A chunk not consumed yet. */
    if( pRaw->pChunk ){
      const TsmChunk *pC = pRaw->pChunk;
      if( pC->tsLast<lo ){ pRaw->pChunk = 0; continue; }
      if( pC->tsFirst>=hi ){ *pbDone = 1; return SQLITE_OK; }
      if( pCur->bMeta && pC->tsFirst>=lo && pC->tsLast<hi ){
        int64_t b = tsmBucketOf(pC->tsFirst, pCur->iStep);
        if( b==tsmBucketOf(pC->tsLast, pCur->iStep) ){
          if( a->bValid && a->b!=b ){
            if( a->n>0 ){ tsmAggSwap(a, &pCur->next); pCur->bNext = 1; }
            a->bValid = 0;
            if( pCur->bNext ) return SQLITE_OK;
          }
          if( !a->bValid ) tsmAggStart(a, b);
          rawAggregateMeta(pC, a);
          pRaw->pChunk = 0;
          continue;
        }
      }
      rc = tsmChunksDecode(pRaw->pChunks, &pRaw->cols, pzErr);
      if( rc ) return rc;
      pRaw->iPos = 0;
      pRaw->pChunk = 0;
      continue;
    }

    /* 3. The next chunk, then the head. */
    if( pRaw->eState==0 ){
      rc = tsmChunksNext(pRaw->pChunks, &pRaw->pChunk);
      if( rc ) return rc;
      if( pRaw->pChunk==0 ) pRaw->eState = 1;
      continue;
    }
    if( pRaw->eState==1 ){
      TsmHeadRow head;
      pRaw->eState = 2;
      rc = tsmHeadGet(pCur->p, pRaw->iSeries, &head, &pRaw->cols, pzErr);
      pRaw->iPos = 0;
      if( rc ) return rc;
      continue;
    }
    *pbDone = 1;
    return SQLITE_OK;
  }
}

/*
** Feed the buckets of tier seg->r with seg->lo <= ts < seg->hi into the
** cursor's buckets, like rawFeed().
*/
static int tierFeed(QueryCursor *pCur, const QSeg *pSeg, int *pbDone){
  TsmAgg *a = &pCur->acc;
  int rc;
  *pbDone = 0;
  if( pCur->eTier==0 ){
    rc = tsmTierRowsSeek(pCur->pTier, pCur->raw.iSeries, pSeg->r, pSeg->lo,
                         pSeg->hi-1);
    if( rc ) return rc;
    pCur->eTier = 1;
  }
  for(;;){
    int64_t b;
    TsmAggPart part;
    if( pCur->eTier==1 ){
      rc = tsmTierRowsNext(pCur->pTier, &pCur->pTierRow);
      if( rc || pCur->pTierRow==0 ){
        pCur->eTier = 0;
        if( rc==SQLITE_OK ) *pbDone = 1;
        return rc;
      }
      pCur->eTier = 2;
    }
    if( pCur->pTierRow->part.n<=0 ){ pCur->eTier = 1; continue; }
    b = tsmBucketOf(pCur->pTierRow->ts, pCur->iStep);
    if( a->bValid && a->b!=b ){
      if( a->n>0 ){ tsmAggSwap(a, &pCur->next); pCur->bNext = 1; }
      a->bValid = 0;
      if( pCur->bNext ) return SQLITE_OK;     /* this row stays pending */
    }
    if( !a->bValid ) tsmAggStart(a, b);
    /* A NULL column of a tier row (a NaN sum of inf and -inf, a NaN
    ** increase) reads NaN, as in the fold and in raw samples: the
    ** bucket's sum is then NULL, never 0.  The sketch is taken when it
    ** has bytes. */
    part = *tsmTierRowsPart(pCur->pTier);
    if( !pCur->bSketch || part.nSk<=0 ){
      part.aSk = 0;
      part.nSk = -1;
    }
    /* a corrupt sketch is left out of the bucket's sketch */
    if( tsmAggMerge(a, &part)==TSM_SKETCH_NOMEM ) return SQLITE_NOMEM;
    pCur->eTier = 1;
  }
}

/*
** Produce the next complete bucket of the current series into pCur->next
** (pCur->bNext set), or set pCur->bSrcEof.  The segments are read in
** order; a bucket may take samples from several.
*/
static int sourceNext(QueryCursor *pCur, char **pzErr){
  int rc = SQLITE_OK;
  pCur->bNext = 0;
  while( !pCur->bNext && !pCur->bSrcEof ){
    int bDone = 0;
    if( pCur->iSeg<pCur->nSeg ){
      const QSeg *pSeg = &pCur->aSeg[pCur->iSeg];
      if( pSeg->r==0 ){
        rc = rawFeed(pCur, pSeg->lo, pSeg->hi, &bDone, pzErr);
      }else{
        rc = tierFeed(pCur, pSeg, &bDone);
      }
      if( rc ) return rc;
      if( bDone ) pCur->iSeg++;
    }else{
      TsmAgg *a = &pCur->acc;
      if( a->bValid && a->n>0 ){
        tsmAggSwap(a, &pCur->next);
        pCur->bNext = 1;
      }
      a->bValid = 0;
      pCur->bSrcEof = 1;
    }
  }
  return rc;
}

/* The first bucket start c >= t of tier pT that is usable in [.., end):
** complete, not dirty, inside the range.  INT64_MAX if none. */
static int64_t tierNext(const QTier *pT, int64_t t, int64_t end){
  int64_t c = tsmBucketUp(t>pT->lo ? t : pT->lo, pT->r);
  if( pT->dlo<pT->dhi && c>=pT->dlo && c<pT->dhi ) c = pT->dhi;
  if( c>=pT->hi || tsmAddSat(c, pT->r)>end ) return INT64_MAX;
  return c;
}

#ifndef NDEBUG
/* querySegments' result: in order, without overlap, inside [start, end);
** a tier's segment starts on one of its bucket edges. */
static int segmentsOk(const QueryCursor *pCur){
  int i;
  int64_t t = pCur->iStart;
  if( pCur->nSeg>QSEG_MAX || pCur->iSeg!=0 ) return 0;
  for(i=0; i<pCur->nSeg; i++){
    const QSeg *pSeg = &pCur->aSeg[i];
    if( pSeg->lo<t || pSeg->hi<pSeg->lo || pSeg->hi>pCur->iEnd ) return 0;
    if( pSeg->r<0 ) return 0;
    if( pSeg->r>0 && tsmBucketOf(pSeg->lo, pSeg->r)!=pSeg->lo ) return 0;
    t = pSeg->hi;
  }
  return 1;
}
#endif

/*
** Cut [start, end) into segments for the current series.  At each point
** the coarsest tier that has a complete bucket there answers, for as long
** as it can and until a coarser one can take over; raw samples answer the
** rest; what neither has (pruned raw samples inside a tier bucket cut by
** start or end) is left out.
*/
static void querySegments(QueryCursor *pCur){
  int64_t t = pCur->iStart, end = pCur->iEnd;
  int i, j;
  pCur->nSeg = 0;
  pCur->iSeg = 0;
  while( t<end && pCur->nSeg<QSEG_MAX-1 ){
    QSeg *pSeg = &pCur->aSeg[pCur->nSeg];
    int64_t e = INT64_MAX;
    for(i=0; i<pCur->nTier; i++){
      const QTier *pT = &pCur->aTier[i];
      if( tierNext(pT, t, end)==t ){
        /* tier i from t: until its coverage ends, a dirty range starts, the
        ** range's last whole bucket, or a coarser tier can answer */
        e = pT->hi;
        if( pT->dlo<pT->dhi && pT->dlo>t && pT->dlo<e ) e = pT->dlo;
        if( tsmBucketOf(end, pT->r)<e ) e = tsmBucketOf(end, pT->r);
        for(j=0; j<i; j++){
          if( pCur->aTier[j].r % pT->r==0 ){   /* same bucket edges */
            int64_t c = tierNext(&pCur->aTier[j], t+1, end);
            if( c<e ) e = c;
          }
        }
        pSeg->r = pT->r;
        break;
      }
    }
    if( i==pCur->nTier ){
      /* raw samples, until a tier can answer */
      for(j=0; j<pCur->nTier; j++){
        int64_t c = tierNext(&pCur->aTier[j], t+1, end);
        if( c<e ) e = c;
      }
      if( e>end ) e = end;
      if( t<pCur->iRawLo ){
        if( pCur->iRawLo>=e ){ t = e; continue; }   /* nothing there */
        t = pCur->iRawLo;
      }
      pSeg->r = 0;
    }
    if( e<=t ) break;          /* not expected: raw samples below */
    pSeg->lo = t;
    pSeg->hi = e;
    pCur->nSeg++;
    t = e;
  }
  if( t<end ){
    /* too many pieces (not expected): raw samples for the rest */
    if( t<pCur->iRawLo ) t = pCur->iRawLo<end ? pCur->iRawLo : end;
    QSeg *pSeg = &pCur->aSeg[pCur->nSeg++];
    pSeg->lo = t;
    pSeg->hi = end;
    pSeg->r = 0;
  }
  assert( segmentsOk(pCur) );
}

/* tiersLoad: one state row of the series (rollup.c tsmTierStateScan, by
** ascending resolution).  The tiers whose width divides the step are kept,
** coarsest first, the QTIER_MAX coarsest if there are more. */
static int tierState(void *pArg, const TsmTier *pState){
  QueryCursor *pCur = (QueryCursor*)pArg;
  int64_t r = pState->iRes;
  QTier *pT;
  if( r==0 ){
    if( pState->iPruned!=INT64_MIN ) pCur->iRawLo = pState->iPruned;
    return SQLITE_OK;
  }
  if( r<0 || pCur->iStep%r!=0 || !pState->bState ) return SQLITE_OK;
  if( pCur->nTier>=QTIER_MAX ) pCur->nTier--;       /* the finest goes */
  memmove(&pCur->aTier[1], &pCur->aTier[0], sizeof(QTier)*pCur->nTier);
  pCur->nTier++;
  pT = &pCur->aTier[0];
  pT->r = r;
  pT->hi = pState->iDone;
  pT->lo = pState->iPruned;
  pT->dlo = pT->dhi = 0;
  if( pState->iDirty!=INT64_MAX ){
    pT->dlo = tsmBucketOf(pState->iDirty, r);
    pT->dhi = tsmAddSat(tsmBucketOf(pState->iDirtyTo, r), r);
  }
  return SQLITE_OK;
}

/* Load the tiers of the current series that can answer buckets of step. */
static int tiersLoad(QueryCursor *pCur){
  int rc, i;
  pCur->nTier = 0;
  pCur->iRawLo = INT64_MIN;
  if( !pCur->bTiers ) return SQLITE_OK;
  rc = tsmTierStateScan(pCur->p, pCur->raw.iSeries, tierState, pCur);
  for(i=0; i<pCur->nTier; i++){
    /* A dirty bucket is read from raw samples only where they still exist;
    ** before that, the tier's bucket is the best there is. */
    QTier *pT = &pCur->aTier[i];
    if( pT->dlo<pT->dhi && pCur->iRawLo>INT64_MIN ){
      int64_t c = tsmBucketUp(pCur->iRawLo, pT->r);
      if( pT->dlo<c ) pT->dlo = c<pT->dhi ? c : pT->dhi;
    }
  }
  if( rc==SQLITE_OK && pCur->nTier>0 && pCur->pTier==0 ){
    rc = tsmTierRowsOpen(pCur->p, pCur->bSketch, &pCur->pTier);
  }
  return rc;
}

/* The counter's value before start from the tiers, when the raw samples
** have none (they were pruned). */
static int tierBefore(QueryCursor *pCur){
  int rc = SQLITE_OK, i;
  int64_t tsBest = INT64_MIN;
  for(i=0; rc==SQLITE_OK && i<pCur->nTier; i++){
    int bFound = 0;
    double v = 0.0;
    int64_t ts = 0;
    rc = tsmTierLastBefore(pCur->p, pCur->raw.iSeries, pCur->aTier[i].r,
                           pCur->iStart, &bFound, &v, &ts);
    if( rc==SQLITE_OK && bFound && ts>tsBest ){
      tsBest = ts;
      pCur->acc.bPrev = 1;
      pCur->acc.prev = v;
    }
  }
  return rc;
}

/* Start series pCur->iSeries: plan the segments, position the sources. */
static int seriesStart(QueryCursor *pCur, char **pzErr){
  int rc;
  int64_t iSeries = pCur->list.a[pCur->iSeries].iSeries;
  pCur->bSrcEof = 0;
  pCur->bNext = 0;
  pCur->acc.bValid = 0;
  pCur->bAny = 0;
  pCur->bPrevRow = 0;
  pCur->acc.bPrev = 0;
  pCur->eTier = 0;
  rc = rawSeek(pCur, iSeries);
  if( rc==SQLITE_OK ) rc = tiersLoad(pCur);
  if( rc==SQLITE_OK ) querySegments(pCur);
  if( rc==SQLITE_OK && pCur->bInc ){
    rc = rawBefore(pCur, pzErr);
    if( rc==SQLITE_OK && !pCur->acc.bPrev && pCur->nTier>0 ) rc = tierBefore(pCur);
  }
  if( rc==SQLITE_OK ) rc = sourceNext(pCur, pzErr);
  if( rc==SQLITE_OK && pCur->bNext ){
    pCur->bAny = 1;
    pCur->tsFill = tsmBucketOf(pCur->iStart, pCur->iStep);
  }
  return rc;
}

/* Values of a filled row at ts, from the buckets around it. */
static void fillRow(QueryCursor *pCur, int64_t ts){
  int i;
  pCur->bFilled = 1;
  pCur->bFillVals = 0;
  pCur->row.b = ts;
  pCur->row.n = 0;
  if( pCur->eFill==FILL_PREVIOUS && pCur->bPrevRow ){
    pCur->bFillVals = 1;
    memcpy(pCur->aFill, pCur->aPrevRow, sizeof(pCur->aFill));
  }else if( pCur->eFill==FILL_LINEAR && pCur->bPrevRow && pCur->bNext ){
    const TsmAgg *n = &pCur->next;
    double aNext[5];
    double f = (double)(ts - pCur->tsPrevRow)
             / (double)(n->b - pCur->tsPrevRow);
    aNext[0] = n->min; aNext[1] = n->max; aNext[2] = n->sum/(double)n->n;
    aNext[3] = n->first; aNext[4] = n->last;
    pCur->bFillVals = 1;
    for(i=0; i<5; i++){
      pCur->aFill[i] = pCur->aPrevRow[i] + (aNext[i]-pCur->aPrevRow[i])*f;
    }
  }
}

/*
** Move to the next output row: within the series (data buckets, and gaps
** when filling), then to the next series.
*/
static int queryAdvance(QueryCursor *pCur){
  char *zErr = 0;
  int rc = SQLITE_OK;
  for(;;){
    if( pCur->iSeries>=pCur->list.n ){
      pCur->bEof = 1;
      return SQLITE_OK;
    }
    if( pCur->eFill==FILL_NONE ){
      if( pCur->bNext ){
        tsmAggSwap(&pCur->row, &pCur->next);
        pCur->bFilled = 0;
        rc = sourceNext(pCur, &zErr);
        break;
      }
    }else if( pCur->bAny && pCur->tsFill<=pCur->tsLastBucket ){
      int64_t ts = pCur->tsFill;
      pCur->tsFill = tsmAddSat(ts, pCur->iStep);
      if( pCur->bNext && pCur->next.b==ts ){
        TsmAgg *r = &pCur->row;
        tsmAggSwap(r, &pCur->next);
        pCur->bFilled = 0;
        pCur->bPrevRow = 1;
        pCur->tsPrevRow = ts;
        pCur->aPrevRow[0] = r->min;
        pCur->aPrevRow[1] = r->max;
        pCur->aPrevRow[2] = r->sum/(double)r->n;
        pCur->aPrevRow[3] = r->first;
        pCur->aPrevRow[4] = r->last;
        rc = sourceNext(pCur, &zErr);
      }else{
        fillRow(pCur, ts);
      }
      break;
    }
    /* This series is done: the next one. */
    if( ++pCur->iSeries>=pCur->list.n ) continue;
    rc = seriesStart(pCur, &zErr);
    if( rc ) break;
  }
  if( rc ) return queryError(pCur, rc, zErr);
  pCur->iRowid++;
  return SQLITE_OK;
}

/* Does the store have rollup tiers (the tables may not exist yet)? */
static void queryHasTiers(QueryCursor *pCur){
  pCur->bTiers = tsmStoreHas(pCur->p, TSM_HAVE_TIERS);
  if( pCur->bTiers && pCur->pTier ){
    /* the sketch column may be read now and not before, or the reverse */
    tsmTierRowsClose(pCur->pTier);
    pCur->pTier = 0;
  }
}

static int queryFilter(sqlite3_vtab_cursor *pCursor, int idxNum,
                       const char *idxStr, int argc, sqlite3_value **argv){
  static const char *const azArg[QARG_COUNT] = {
    "selector", "start", "end", "step", "fill"
  };
  QueryCursor *pCur = (QueryCursor*)pCursor;
  TsmCtx *p = pCur->p;
  sqlite3_value *apArg[QARG_COUNT];
  TsmSelector sel;
  char *zErr = 0;
  int rc = SQLITE_OK, i, j = 0, bExists = 0;
  (void)idxStr;

  memset(&sel, 0, sizeof(sel));
  tsmSeriesListFree(&pCur->list);
  rawReset(&pCur->raw);
  pCur->bEof = 1;
  pCur->iRowid = 0;
  pCur->iSeries = 0;
  pCur->bNext = 0;

  for(i=0; i<QARG_COUNT; i++){
    apArg[i] = (idxNum & (1<<i)) && j<argc ? argv[j++] : 0;
  }
  for(i=0; i<4; i++){
    if( apArg[i]==0 ){
      zErr = tsmErrMsg("tsm_query needs the argument %s: "
          "tsm_query(selector, start, end, step [, fill])", azArg[i]);
      return queryError(pCur, SQLITE_ERROR, zErr);
    }
  }
  pCur->bSketch = (idxNum & QIDX_SKETCH)!=0;
  pCur->bInc = (idxNum & QIDX_INCREASE)!=0;
  pCur->bMeta = !pCur->bSketch && !pCur->bInc;
  tsmAggFree(&pCur->acc);
  tsmAggInit(&pCur->acc, TSM_AGG_CARRY | (pCur->bInc ? TSM_AGG_INC : 0)
                         | (pCur->bSketch ? TSM_AGG_SKETCH : 0));

  /* Arguments, in order, so the first bad one is reported. */
  rc = tsmSelectorFromValue(apArg[0], &sel, &zErr);
  if( rc==SQLITE_OK ) rc = tsmTsFromValue(apArg[1], "start", &pCur->iStart, &zErr);
  if( rc==SQLITE_OK ) rc = tsmTsFromValue(apArg[2], "end", &pCur->iEnd, &zErr);
  if( rc==SQLITE_OK ) rc = queryWidth(apArg[3], "step", &pCur->iStep, &zErr);
  pCur->eFill = FILL_NONE;
  if( rc==SQLITE_OK && apArg[4]
   && sqlite3_value_type(apArg[4])!=SQLITE_NULL ){
    static const char *const azFill[] = { "none", "null", "previous", "linear" };
    const char *z = (const char*)sqlite3_value_text(apArg[4]);
    int n = sqlite3_value_bytes(apArg[4]);
    for(i=0; i<4 && (z==0 || (size_t)n!=strlen(azFill[i])
                     || sqlite3_stricmp(z, azFill[i])!=0); i++){}
    if( i==4 || sqlite3_value_type(apArg[4])!=SQLITE_TEXT ){
      char zQ[TSM_QUOTE_BUF];
      zErr = tsmErrMsg("invalid fill %s: must be 'none', 'null', "
          "'previous' or 'linear'", tsmValueQuote(zQ, apArg[4]));
      rc = SQLITE_ERROR;
    }else{
      pCur->eFill = i;
    }
  }
  if( rc ) goto filter_out;
  if( pCur->iEnd<=pCur->iStart ) goto filter_out;     /* empty range */
  pCur->tsLastBucket = tsmBucketOf(pCur->iEnd-1, pCur->iStep);
  {
    /* Timestamps are checked (years 0 to 9999): no overflow here. */
    int64_t nBucket = (pCur->tsLastBucket
                       - tsmBucketOf(pCur->iStart, pCur->iStep))/pCur->iStep + 1;
    if( nBucket>TSM_QUERY_BUCKETS_MAX ){
      char zStep[TSM_DURATION_BUF];
      tsmDurationFormat(pCur->iStep, zStep);
      zErr = tsmErrMsg("invalid range: %lld buckets of %s per series from "
          "start to end, more than the limit of %d: use a larger step or a "
          "shorter range", (long long)nBucket, zStep, TSM_QUERY_BUCKETS_MAX);
      rc = SQLITE_ERROR;
      goto filter_out;
    }
  }

  /* Read this connection's own samples: flush them first. */
  rc = tsmStoreFlush(p, 0, &zErr);
  if( rc==SQLITE_OK ) rc = tsmStoreReady(p, 0, &bExists, &zErr);
  if( rc || !bExists ) goto filter_out;
  rc = tsmSeriesSelect(p, &sel, &pCur->list, &zErr);
  if( rc || pCur->list.n==0 ) goto filter_out;
  queryHasTiers(pCur);

  pCur->bEof = 0;
  rc = seriesStart(pCur, &zErr);
  if( rc==SQLITE_OK ){
    tsmSelectorFree(&sel);
    pCur->iRowid = -1;
    return queryAdvance(pCur);
  }

 filter_out:
  tsmSelectorFree(&sel);
  pCur->bEof = 1;
  if( rc ) return queryError(pCur, rc, zErr);
  return SQLITE_OK;
}

static int queryNext(sqlite3_vtab_cursor *pCursor){
  return queryAdvance((QueryCursor*)pCursor);
}

static int queryEof(sqlite3_vtab_cursor *pCursor){
  return ((QueryCursor*)pCursor)->bEof;
}

static int queryColumn(sqlite3_vtab_cursor *pCursor, sqlite3_context *ctx,
                       int iCol){
  QueryCursor *pCur = (QueryCursor*)pCursor;
  const TsmSeriesItem *pItem = &pCur->list.a[pCur->iSeries];
  const TsmAgg *r = &pCur->row;
  int iFill = -1;
  if( iCol==QCOL_SERIES ){
    sqlite3_result_int64(ctx, pItem->iSeries);
    return SQLITE_OK;
  }else if( iCol==QCOL_METRIC ){
    sqlite3_result_text(ctx, pItem->zMetric, -1, SQLITE_TRANSIENT);
    return SQLITE_OK;
  }else if( iCol==QCOL_LABELS ){
    sqlite3_result_text(ctx, pItem->zLabels, -1, SQLITE_TRANSIENT);
    return SQLITE_OK;
  }else if( iCol==QCOL_TS ){
    sqlite3_result_int64(ctx, r->b);
    return SQLITE_OK;
  }else if( iCol==QCOL_COUNT ){
    sqlite3_result_int64(ctx, pCur->bFilled ? 0 : r->n);
    return SQLITE_OK;
  }
  if( pCur->bFilled ){
    switch( iCol ){
      case QCOL_MIN:   iFill = 0; break;
      case QCOL_MAX:   iFill = 1; break;
      case QCOL_AVG:   iFill = 2; break;
      case QCOL_FIRST: iFill = 3; break;
      case QCOL_LAST:  iFill = 4; break;
    }
    if( iFill>=0 && pCur->bFillVals ){
      sqlite3_result_double(ctx, pCur->aFill[iFill]);
    }
    return SQLITE_OK;      /* otherwise NULL */
  }
  switch( iCol ){
    case QCOL_SUM:      sqlite3_result_double(ctx, r->sum); break;
    case QCOL_MIN:      sqlite3_result_double(ctx, r->min); break;
    case QCOL_MAX:      sqlite3_result_double(ctx, r->max); break;
    case QCOL_AVG:      sqlite3_result_double(ctx, r->sum/(double)r->n); break;
    case QCOL_FIRST:    sqlite3_result_double(ctx, r->first); break;
    case QCOL_LAST:     sqlite3_result_double(ctx, r->last); break;
    case QCOL_INCREASE:
      if( pCur->bInc ) sqlite3_result_double(ctx, r->inc);
      break;
    case QCOL_RATE:
      if( pCur->bInc ){
        sqlite3_result_double(ctx, r->inc/((double)pCur->iStep/1000.0));
      }
      break;
    case QCOL_SKETCH:
      if( pCur->bSketch ){
        int nByte = tsmSketchSerializedSize(&r->sk);
        uint8_t *a = sqlite3_malloc(nByte);
        if( a==0 ) return SQLITE_NOMEM;
        tsmSketchSerialize(&r->sk, a, (size_t)nByte);
        sqlite3_result_blob(ctx, a, nByte, sqlite3_free);
      }
      break;
    case QCOL_SELECTOR: case QCOL_START: case QCOL_END: case QCOL_STEP:
    case QCOL_FILL:
      break;        /* arguments are not returned */
  }
  return SQLITE_OK;
}

static int queryRowid(sqlite3_vtab_cursor *pCursor, sqlite3_int64 *piRowid){
  *piRowid = ((QueryCursor*)pCursor)->iRowid;
  return SQLITE_OK;
}

sqlite3_module tsmQueryModule = {
  /* iVersion    */ 0,
  /* xCreate     */ 0,              /* eponymous only */
  /* xConnect    */ queryConnect,
  /* xBestIndex  */ queryBestIndex,
  /* xDisconnect */ queryDisconnect,
  /* xDestroy    */ 0,
  /* xOpen       */ queryOpen,
  /* xClose      */ queryClose,
  /* xFilter     */ queryFilter,
  /* xNext       */ queryNext,
  /* xEof        */ queryEof,
  /* xColumn     */ queryColumn,
  /* xRowid      */ queryRowid,
  /* xUpdate     */ 0,              /* read-only */
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

