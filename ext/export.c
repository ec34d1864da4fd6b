/* SPDX-License-Identifier: MIT */
/*
** export.c -- moving samples out: tsm_prometheus and tsm_export.
**
**   SELECT tsm_prometheus();                         -- every series
**   SELECT tsm_prometheus('{job="wan"}', 0);         -- no timestamps
**   SELECT data FROM tsm_export('{}', '2026-01-01', '2026-01-02', 'jsonl');
**
** tsm_prometheus([selector [, timestamps]]) returns the latest sample of
** each matching series in the Prometheus text exposition format (version
** 0.0.4), ready for a scrape or for node_exporter's textfile collector:
**
**   # HELP wanctl_rtt_seconds Latest sample of wanctl_rtt_seconds from tsm.
**   # TYPE wanctl_rtt_seconds untyped
**   wanctl_rtt_seconds{dir="up",wan="spectrum"} 0.0235 1767225600000
**
** Series are grouped by metric (a family must be contiguous), metrics and
** label sets in bytewise order; # TYPE and # HELP come from the rules of
** tsm_metrics (without a type: counter for a name ending in "_total",
** else untyped).
** The timestamp (ms since the epoch) is appended unless the timestamps
** argument is 0: node_exporter's textfile collector refuses samples with
** timestamps.  Series without samples are left out; no series gives ''.
**
** tsm_export(selector, start, end, format) (table-valued, column data and
** the hidden argument columns; the selector may also be an INTEGER
** series_id: exactly that series) writes every sample of the matching series
** in [start, end), series by series (metric, then labels, bytewise), in
** time order, in one of the formats of format.h.  Its rows, concatenated,
** are the document: text rows end at a line end once past EXPORT_ROW_BYTES;
** a remote_write row is one snappy-compressed WriteRequest of at most
** EXPORT_RW_SAMPLES samples.  Memory: the list of matching series, one
** decoded chunk and one row, whatever the size of the export.
**
** xBestIndex: every argument is an "=" constraint on a hidden column,
** passed to xFilter in column order; idxNum bit i says argument i is
** there.  An unusable argument constraint makes the plan
** SQLITE_CONSTRAINT; a missing one is reported by xFilter.
*/
#include "tsm.h"
#include "parse.h"
#include "format.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#define EXPORT_ROW_BYTES   65536    /* text rows end past this many bytes */
#define EXPORT_LINE_MAX    1000     /* samples per call of a writer */
#define EXPORT_RW_SAMPLES  5000     /* samples per remote-write request */
#define EXPORT_RW_BYTES    (1<<20)  /* ... and uncompressed bytes */

/* The type (TSM_TYPE_xxx) and help (or NULL) of metric zMetric from
** tsm_metrics (metrics.c tsmMetricMeta); the help stays valid until the
** rules change. */
static int exportMeta(TsmCtx *p, const char *zMetric, int *peType,
                      const char **pzHelp){
  const char *zType = 0;
  int rc = tsmMetricMeta(p, zMetric, &zType, pzHelp);
  *peType = rc ? TSM_TYPE_UNTYPED
          : strcmp(zType, "counter")==0 ? TSM_TYPE_COUNTER
          : strcmp(zType, "gauge")==0 ? TSM_TYPE_GAUGE : TSM_TYPE_UNTYPED;
  return rc;
}

static int cmpItem(const void *a, const void *b){
  const TsmSeriesItem *x = (const TsmSeriesItem*)a;
  const TsmSeriesItem *y = (const TsmSeriesItem*)b;
  int c = strcmp(x->zMetric, y->zMetric);
  return c ? c : strcmp(x->zLabels, y->zLabels);
}

/* The one series iSeries (none if there is no such series). */
static int exportOneSeries(TsmCtx *p, int64_t iSeries, TsmSeriesList *pList){
  char *zMetric = 0, *zLabels = 0;
  int rc = tsmSeriesNames(p, iSeries, &zMetric, &zLabels);    /* store.c */
  if( rc==SQLITE_OK && zMetric ){
    pList->a = sqlite3_malloc(sizeof(pList->a[0]));
    if( pList->a==0 ){
      sqlite3_free(zMetric);
      return SQLITE_NOMEM;
    }
    pList->a[0].iSeries = iSeries;
    pList->a[0].zMetric = zMetric;      /* metric NUL labels NUL */
    pList->a[0].zLabels = zLabels;
    pList->n = 1;
  }
  return rc;
}

/* The series matched by the selector value (NULL: every series; an
** INTEGER: that series_id), sorted by metric and labels, after flushing
** this connection's samples. */
static int exportSeries(TsmCtx *p, sqlite3_value *pSel, TsmSeriesList *pList,
                        char **pzErr){
  TsmSelector sel;
  int rc, bExists = 0;
  memset(&sel, 0, sizeof(sel));
  if( pSel && sqlite3_value_type(pSel)==SQLITE_INTEGER ){
    rc = tsmStoreFlush(p, 0, pzErr);
    if( rc==SQLITE_OK ) rc = tsmStoreReady(p, 0, &bExists, pzErr);
    if( rc==SQLITE_OK && bExists ){
      rc = exportOneSeries(p, sqlite3_value_int64(pSel), pList);
    }
    return rc;
  }
  if( pSel && sqlite3_value_type(pSel)!=SQLITE_NULL ){
    rc = tsmSelectorFromValue(pSel, &sel, pzErr);
  }else{
    char zMsg[64];
    rc = tsmSelectorParse("{}", &sel, zMsg, sizeof(zMsg)) ? SQLITE_NOMEM : 0;
  }
  if( rc==SQLITE_OK ) rc = tsmStoreFlush(p, 0, pzErr);
  if( rc==SQLITE_OK ) rc = tsmStoreReady(p, 0, &bExists, pzErr);
  if( rc==SQLITE_OK && bExists ) rc = tsmSeriesSelect(p, &sel, pList, pzErr);
  tsmSelectorFree(&sel);
  if( rc==SQLITE_OK && pList->n>1 ){
    qsort(pList->a, (size_t)pList->n, sizeof(pList->a[0]), cmpItem);
  }
  return rc;
}

/* The labels of a series from its canonical JSON. */
static int itemLabels(const TsmSeriesItem *pItem, TsmLabels *pL, char **pzErr){
  char zMsg[256];
  tsmLabelsFree(pL);
  if( tsmLabelsFromJson(pL, pItem->zLabels, zMsg, sizeof(zMsg)) ){
    *pzErr = tsmErrMsg("corrupt labels of series %lld: %s",
                             (long long)pItem->iSeries, zMsg);
    return SQLITE_CORRUPT;
  }
  return SQLITE_OK;
}

/* tsm_prometheus([selector [, timestamps]]) */
void tsmPrometheusFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  TsmCtx *p = sqlite3_user_data(ctx);
  TsmSeriesList list;
  TsmLabels labels;
  TsmOut out;
  char *zErr = 0;
  int rc = SQLITE_OK, bTs = 1, i;
  const char *zPrevMetric = 0;

  memset(&list, 0, sizeof(list));
  memset(&out, 0, sizeof(out));
  tsmLabelsInit(&labels);
  if( argc>1 && sqlite3_value_type(argv[1])!=SQLITE_NULL ){
    if( sqlite3_value_numeric_type(argv[1])!=SQLITE_INTEGER ){
      zErr = tsmErrMsg("invalid timestamps: must be 1 (append "
          "millisecond timestamps) or 0 (none, for node_exporter's textfile "
          "collector)");
      rc = SQLITE_ERROR;
    }else{
      bTs = sqlite3_value_int64(argv[1])!=0;
    }
  }
  if( rc==SQLITE_OK ) rc = exportSeries(p, argc>0 ? argv[0] : 0, &list, &zErr);

  for(i=0; rc==SQLITE_OK && i<list.n; i++){
    const TsmSeriesItem *pItem = &list.a[i];
    int bFound = 0;
    int64_t ts = 0;
    double v = 0.0;
    rc = tsmSeriesLast(p, pItem->iSeries, &bFound, &ts, &v, &zErr);
    if( rc || !bFound ) continue;
    rc = itemLabels(pItem, &labels, &zErr);
    if( rc ) break;
    if( zPrevMetric==0 || strcmp(zPrevMetric, pItem->zMetric)!=0 ){
      int eType;
      const char *zHelp = 0;
      rc = exportMeta(p, pItem->zMetric, &eType, &zHelp);
      if( rc ) break;
      if( zHelp ){
        tsmPromFamily(&out, pItem->zMetric, eType, zHelp);
      }else{
        char *zDefault = sqlite3_mprintf("Latest sample of %s from tsm.",
                                         pItem->zMetric);
        if( zDefault==0 ){ rc = SQLITE_NOMEM; break; }
        tsmPromFamily(&out, pItem->zMetric, eType, zDefault);
        sqlite3_free(zDefault);
      }
      zPrevMetric = pItem->zMetric;
    }
    tsmPromSample(&out, pItem->zMetric, &labels, v, ts, bTs);
  }
  if( rc==SQLITE_OK && out.bOom ) rc = SQLITE_NOMEM;

  tsmSeriesListFree(&list);
  tsmLabelsFree(&labels);
  if( rc ){
    tsmOutFree(&out);
    tsmResultError(ctx, p, rc, zErr);
    return;
  }
  sqlite3_result_text64(ctx, out.n ? out.a : "", out.n, SQLITE_TRANSIENT,
                        SQLITE_UTF8);
  tsmOutFree(&out);
}

/**************************************************************************
** tsm_export
*/
enum { ECOL_DATA, ECOL_SELECTOR, ECOL_START, ECOL_END, ECOL_FORMAT };
#define EARG_FIRST ECOL_SELECTOR
#define EARG_COUNT 4

typedef struct ExportCursor {
  sqlite3_vtab_cursor base;
  TsmCtx *p;
  int eFormat;               /* TSM_FMT_xxx */
  int64_t lo, hi;            /* samples with lo <= ts <= hi */
  TsmSeriesList list;        /* matching series, by metric and labels */
  int iNext;                 /* index in list of the next series to open */
  TsmReader *pReader;
  const TsmSeriesItem *pItem;   /* the open series, or NULL */
  TsmLabels labels;          /* ... its labels */
  int nLineMax;              /* samples per writer call for this series */
  const TsmCols *pCols;      /* its decoded chunk, or NULL */
  int iRow;                  /* first sample of pCols not written yet */
  char *zFamily;             /* metric whose header was last written */
  int bDone;                 /* every sample is in a row */
  TsmOut body;               /* the row being built (remote-write: body) */
  TsmOut packed;             /* remote-write: the compressed row */
  int nBodySamples;
  int bEof;
  int64_t iRowid;
} ExportCursor;

static int exportConnect(sqlite3 *db, void *pAux, int argc,
                         const char *const *argv, sqlite3_vtab **ppVtab,
                         char **pzErr){
  (void)argc; (void)argv; (void)pzErr;
  return tsmVtabConnect(db, pAux,
      "CREATE TABLE x(data, selector HIDDEN, start HIDDEN, \"end\" HIDDEN, "
      "format HIDDEN)", ppVtab);
}

static int exportDisconnect(sqlite3_vtab *pVtab){
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

static int exportBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo){
  int aArg[EARG_COUNT];
  int i, nArg = 0, idxNum = 0;
  (void)pVtab;
  for(i=0; i<EARG_COUNT; i++) aArg[i] = -1;
  for(i=0; i<pInfo->nConstraint; i++){
    const struct sqlite3_index_constraint *pC = &pInfo->aConstraint[i];
    int iArg = pC->iColumn - EARG_FIRST;
    if( iArg<0 || pC->op!=SQLITE_INDEX_CONSTRAINT_EQ ) continue;
    if( !pC->usable ) return SQLITE_CONSTRAINT;
    aArg[iArg] = i;
  }
  for(i=0; i<EARG_COUNT; i++){
    if( aArg[i]<0 ) continue;
    idxNum |= 1<<i;
    pInfo->aConstraintUsage[aArg[i]].argvIndex = ++nArg;
    pInfo->aConstraintUsage[aArg[i]].omit = 1;
  }
  pInfo->idxNum = idxNum;
  pInfo->estimatedCost = 1000.0;
  pInfo->estimatedRows = 1000;
  return SQLITE_OK;
}

static int exportOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCur){
  ExportCursor *pCur = tsmCursorOpen(pVtab, sizeof(*pCur), ppCur);
  if( pCur==0 ) return SQLITE_NOMEM;
  tsmLabelsInit(&pCur->labels);
  pCur->bEof = 1;
  return SQLITE_OK;
}

static void exportReset(ExportCursor *pCur){
  tsmSeriesListFree(&pCur->list);
  tsmLabelsFree(&pCur->labels);
  sqlite3_free(pCur->zFamily);
  pCur->zFamily = 0;
  pCur->pItem = 0;
  pCur->pCols = 0;
  pCur->iNext = 0;
  pCur->bDone = 0;
  pCur->bEof = 1;
  pCur->iRowid = 0;
}

static int exportClose(sqlite3_vtab_cursor *pCursor){
  ExportCursor *pCur = (ExportCursor*)pCursor;
  exportReset(pCur);
  tsmReaderClose(pCur->pReader);
  tsmOutFree(&pCur->body);
  tsmOutFree(&pCur->packed);
  sqlite3_free(pCur);
  return SQLITE_OK;
}

static int exportError(ExportCursor *pCur, int rc, char *zErr){
  pCur->bEof = 1;
  return tsmVtabError(pCur->base.pVtab, rc, zErr);
}

/* Is the row being built complete? */
static int exportFull(const ExportCursor *pCur){
  if( pCur->eFormat==TSM_FMT_REMOTE_WRITE ){
    return pCur->nBodySamples>=EXPORT_RW_SAMPLES
        || pCur->body.n>=EXPORT_RW_BYTES;
  }
  return pCur->body.n>=EXPORT_ROW_BYTES;
}

/* Write the family header (OpenMetrics) or metadata (remote-write, once
** per request) of the open series if it is not the last one written. */
static int exportFamily(ExportCursor *pCur){
  const char *zMetric = pCur->pItem->zMetric;
  int eType, rc;
  const char *zHelp = 0;
  if( pCur->eFormat!=TSM_FMT_OPENMETRICS
   && pCur->eFormat!=TSM_FMT_REMOTE_WRITE ) return SQLITE_OK;
  if( pCur->zFamily && strcmp(pCur->zFamily, zMetric)==0 ) return SQLITE_OK;
  rc = exportMeta(pCur->p, zMetric, &eType, &zHelp);
  if( rc ) return rc;
  if( pCur->eFormat==TSM_FMT_OPENMETRICS ){
    tsmOmFamily(&pCur->body, zMetric, eType, zHelp);
  }else{
    tsmRwMetadata(&pCur->body, zMetric, eType, zHelp);
  }
  sqlite3_free(pCur->zFamily);
  pCur->zFamily = sqlite3_mprintf("%s", zMetric);
  return pCur->zFamily ? SQLITE_OK : SQLITE_NOMEM;
}

/* The first i in [iRow, iRow+n) whose sample has the same timestamp as
** the next one (a sample a later one at that timestamp supersedes), or
** iRow+n. */
static int exportRunEnd(const TsmCols *pC, int iRow, int n){
  int i;
  for(i=iRow; i<iRow+n; i++){
    if( i+1<pC->n && pC->aTs[i]==pC->aTs[i+1] ) break;
  }
  return i;
}

/* Build the next row in pCur->body (and pCur->packed); bEof when there is
** none. */
static int exportStep(ExportCursor *pCur){
  int rc = SQLITE_OK;
  char *zErr = 0;
  pCur->body.n = 0;
  pCur->nBodySamples = 0;
  if( pCur->eFormat==TSM_FMT_REMOTE_WRITE ){
    sqlite3_free(pCur->zFamily);       /* metadata again in each request */
    pCur->zFamily = 0;
  }
  while( rc==SQLITE_OK && !pCur->bDone && !exportFull(pCur) ){
    const TsmCols *pC = pCur->pCols;
    const TsmSeriesItem *pItem = pCur->pItem;
    int n;
    if( pC==0 || pCur->iRow>=pC->n ){
      if( pItem ){
        pCur->iRow = 0;
        rc = tsmReaderNext(pCur->pReader, &pCur->pCols, &zErr);
        if( rc==SQLITE_OK && pCur->pCols==0 ) pCur->pItem = 0;
        continue;
      }
      if( pCur->iNext>=pCur->list.n ){
        if( pCur->eFormat==TSM_FMT_OPENMETRICS ) tsmOutStr(&pCur->body, "# EOF\n");
        pCur->bDone = 1;
        break;
      }
      pItem = pCur->pItem = &pCur->list.a[pCur->iNext++];
      rc = itemLabels(pItem, &pCur->labels, &zErr);
      if( rc ) break;
      /* Keep one writer call near EXPORT_ROW_BYTES even for long labels. */
      pCur->nLineMax = EXPORT_ROW_BYTES
                     / (int)(strlen(pItem->zMetric)+strlen(pItem->zLabels)+64);
      if( pCur->nLineMax>EXPORT_LINE_MAX ) pCur->nLineMax = EXPORT_LINE_MAX;
      if( pCur->nLineMax<1 ) pCur->nLineMax = 1;
      tsmReaderSeek(pCur->pReader, pItem->iSeries, pCur->lo, pCur->hi);
      pCur->pCols = 0;
      continue;
    }
    rc = exportFamily(pCur);
    if( rc ) break;
    n = pC->n - pCur->iRow;
    if( n>pCur->nLineMax ) n = pCur->nLineMax;
    if( pCur->eFormat!=TSM_FMT_JSONL ){
      /* A 'keep' series may hold several samples at one timestamp (never
      ** split between chunks).  Only jsonl can carry them (VictoriaMetrics
      ** keeps them all); Prometheus refuses them and InfluxDB keeps the
      ** last, so the other formats write the last one recorded. */
      int j = exportRunEnd(pC, pCur->iRow, n);
      if( j==pCur->iRow ){ pCur->iRow++; continue; }
      n = j - pCur->iRow;
    }
    if( pCur->eFormat==TSM_FMT_REMOTE_WRITE
     && n>EXPORT_RW_SAMPLES-pCur->nBodySamples ){
      n = EXPORT_RW_SAMPLES-pCur->nBodySamples;
    }
    switch( pCur->eFormat ){
      case TSM_FMT_OPENMETRICS:
        tsmOmSamples(&pCur->body, pItem->zMetric, &pCur->labels,
                     &pC->aTs[pCur->iRow], &pC->aVal[pCur->iRow], n);
        break;
      case TSM_FMT_JSONL:
        tsmJsonlLine(&pCur->body, pItem->zMetric, &pCur->labels,
                     &pC->aTs[pCur->iRow], &pC->aVal[pCur->iRow], n);
        break;
      case TSM_FMT_INFLUX: {
        char zMsg[512];
        if( tsmInfluxLines(&pCur->body, pItem->zMetric, &pCur->labels,
                           &pC->aTs[pCur->iRow], &pC->aVal[pCur->iRow], n,
                           zMsg, sizeof(zMsg)) ){
          zErr = tsmErrMsg("%s", zMsg);
          rc = SQLITE_ERROR;
        }
        break;
      }
      default:
        tsmRwSeries(&pCur->body, pItem->zMetric, &pCur->labels,
                    &pC->aTs[pCur->iRow], &pC->aVal[pCur->iRow], n);
        break;
    }
    pCur->iRow += n;
    pCur->nBodySamples += n;
  }
  if( rc==SQLITE_OK && pCur->body.bOom ) rc = SQLITE_NOMEM;
  if( rc==SQLITE_OK && pCur->eFormat==TSM_FMT_REMOTE_WRITE
   && pCur->nBodySamples>0 && tsmRwCompress(&pCur->body, &pCur->packed) ){
    rc = SQLITE_NOMEM;
  }
  if( rc ) return exportError(pCur, rc, zErr);
  /* A remote-write request carries samples; a text row carries bytes. */
  pCur->bEof = pCur->eFormat==TSM_FMT_REMOTE_WRITE
             ? pCur->nBodySamples==0 : pCur->body.n==0;
  pCur->iRowid++;
  return SQLITE_OK;
}

static int exportFilter(sqlite3_vtab_cursor *pCursor, int idxNum,
                        const char *idxStr, int argc, sqlite3_value **argv){
  static const char *const azArg[EARG_COUNT] = {
    "selector", "start", "end", "format"
  };
  static const char *const azFormat[] = {
    "openmetrics", "jsonl", "influx", "remote_write"
  };
  ExportCursor *pCur = (ExportCursor*)pCursor;
  TsmCtx *p = pCur->p;
  sqlite3_value *apArg[EARG_COUNT];
  TsmSelector sel;
  char *zErr = 0;
  int rc = SQLITE_OK, i, j = 0;
  int64_t iStart = 0, iEnd = 0;
  (void)idxStr;

  exportReset(pCur);
  for(i=0; i<EARG_COUNT; i++){
    apArg[i] = (idxNum & (1<<i)) && j<argc ? argv[j++] : 0;
    if( apArg[i]==0 ){
      return exportError(pCur, SQLITE_ERROR, tsmErrMsg(
          "tsm_export needs the argument %s: "
          "tsm_export(selector, start, end, format)", azArg[i]));
    }
  }
  /* Arguments in order, so that the first bad one is reported. */
  memset(&sel, 0, sizeof(sel));
  if( sqlite3_value_type(apArg[0])!=SQLITE_INTEGER ){
    rc = tsmSelectorFromValue(apArg[0], &sel, &zErr);
    tsmSelectorFree(&sel);
  }
  if( rc==SQLITE_OK ) rc = tsmTsFromValue(apArg[1], "start", &iStart, &zErr);
  if( rc==SQLITE_OK ) rc = tsmTsFromValue(apArg[2], "end", &iEnd, &zErr);
  if( rc==SQLITE_OK ){
    const char *z = (const char*)sqlite3_value_text(apArg[3]);
    size_t n = (size_t)sqlite3_value_bytes(apArg[3]);
    for(i=0; i<4 && (z==0 || n!=strlen(z) || strcmp(z, azFormat[i])!=0); i++){}
    if( i==4 || sqlite3_value_type(apArg[3])!=SQLITE_TEXT ){
      char zQ[TSM_QUOTE_BUF];
      zErr = tsmErrMsg("invalid format %s: must be 'openmetrics', 'jsonl', "
          "'influx' or 'remote_write'", tsmValueQuote(zQ, apArg[3]));
      rc = SQLITE_ERROR;
    }
    pCur->eFormat = i;
  }
  if( rc==SQLITE_OK && iEnd>iStart ){
    rc = exportSeries(p, apArg[0], &pCur->list, &zErr);
  }
  if( rc==SQLITE_OK && pCur->list.n>0 && pCur->pReader==0 ){
    rc = tsmReaderOpen(p, &pCur->pReader);   /* no series: no sample tables */
  }
  if( rc ) return exportError(pCur, rc, zErr);
  pCur->lo = iStart;
  pCur->hi = iEnd-1;
  pCur->bEof = 0;
  return exportStep(pCur);
}

static int exportNext(sqlite3_vtab_cursor *pCursor){
  return exportStep((ExportCursor*)pCursor);
}

static int exportEof(sqlite3_vtab_cursor *pCursor){
  return ((ExportCursor*)pCursor)->bEof;
}

static int exportColumn(sqlite3_vtab_cursor *pCursor, sqlite3_context *ctx,
                        int i){
  ExportCursor *pCur = (ExportCursor*)pCursor;
  if( i!=ECOL_DATA ) return SQLITE_OK;   /* arguments read back as NULL */
  if( pCur->eFormat==TSM_FMT_REMOTE_WRITE ){
    sqlite3_result_blob64(ctx, pCur->packed.a, pCur->packed.n,
                          SQLITE_TRANSIENT);
  }else{
    sqlite3_result_text64(ctx, pCur->body.a, pCur->body.n, SQLITE_TRANSIENT,
                          SQLITE_UTF8);
  }
  return SQLITE_OK;
}

static int exportRowid(sqlite3_vtab_cursor *pCursor, sqlite3_int64 *piRowid){
  *piRowid = ((ExportCursor*)pCursor)->iRowid;
  return SQLITE_OK;
}

sqlite3_module tsmExportModule = {
  /* iVersion    */ 0,
  /* xCreate     */ 0,              /* eponymous only */
  /* xConnect    */ exportConnect,
  /* xBestIndex  */ exportBestIndex,
  /* xDisconnect */ exportDisconnect,
  /* xDestroy    */ 0,
  /* xOpen       */ exportOpen,
  /* xClose      */ exportClose,
  /* xFilter     */ exportFilter,
  /* xNext       */ exportNext,
  /* xEof        */ exportEof,
  /* xColumn     */ exportColumn,
  /* xRowid      */ exportRowid,
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
