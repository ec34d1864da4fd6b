/* SPDX-License-Identifier: MIT */
/*
** vtab_samples.c -- the tsm_samples eponymous virtual table.
**
**   SELECT series_id, metric, labels, ts, value FROM tsm_samples
**     WHERE series_id IN (...) AND ts BETWEEN a AND b;
**   INSERT INTO tsm_samples(metric, labels, ts, value) VALUES (...);
**
** Columns: series_id, metric, labels, ts, value, and the hidden value_bits:
** the IEEE-754 bits of the value as an INTEGER.  SQLite turns a NaN REAL
** into NULL, so value_bits is the only way to write or read a NaN (with its
** payload) through SQL.
**
** Notes on transactions.  INSERT adds the sample to the connection's
** buffer (buffer.c); SQLite then enlists this table in the transaction:
**   xSync        flush the buffer into the store (commit is about to happen),
**                then automatic maintenance (retention.c)
**   xCommit      the cache of series ids is still valid
**   xRollback    discard the buffer (and the series cache: series created
**                in the transaction are gone; and the head cache)
**   xSavepoint   flush, so the buffer never holds samples from before the
**                savepoint; then xRollbackTo can simply discard it
**   xRollbackTo  discard the buffer (and the caches)
** So the buffer is empty outside a transaction of this table (from xBegin
** to xCommit or xRollback: p->bSamplesTxn), and at xCommit; debug builds
** assert it in every method that depends on it.
** tsm_record() runs a cached INSERT on this table, so it takes the same
** path.  Readers (xFilter) flush first: within the transaction, so a later
** rollback still discards, and a connection reads its own samples.
**
** xBestIndex: idxStr holds one letter per argument passed to xFilter:
**   'S' series_id =      'I' series_id IN (all values at once)
**   'M' metric =         'N' metric IN (all values at once)
**   'B' labels = (compared in canonical form: JSON in any key order)
**   '>' ts >   'G' ts >=   '<' ts <   'L' ts <=   '=' ts =
** idxNum bit 1: rows come out ordered by (series_id, ts).
*/
#include "tsm.h"
#include <assert.h>
#include "parse.h"
#include <stdlib.h>
#include <string.h>
#include <math.h>

enum { COL_SERIES, COL_METRIC, COL_LABELS, COL_TS, COL_VALUE, COL_BITS };

typedef struct SamplesCursor {
  sqlite3_vtab_cursor base;
  TsmCtx *p;
  TsmReader *pReader;
  int64_t *aSeries;          /* series to visit, ascending */
  int nSeries, iSeries;      /* count, and index of the current one */
  int64_t lo, hi;            /* ts range */
  const TsmCols *pCols;      /* decoded samples of the current chunk */
  int iRow;                  /* index in pCols */
  char *zMetric, *zLabels;   /* of the current series */
  char *zWant;               /* labels = constraint, canonical (malloc) */
  int bEof;
  int64_t iRowid;
} SamplesCursor;

static int samplesConnect(sqlite3 *db, void *pAux, int argc,
                          const char *const *argv, sqlite3_vtab **ppVtab,
                          char **pzErr){
  (void)argc; (void)argv; (void)pzErr;
  return tsmVtabConnect(db, pAux,
      "CREATE TABLE x(series_id INTEGER, metric TEXT, labels TEXT, "
      "ts INTEGER, value REAL, value_bits INTEGER HIDDEN)", ppVtab);
}

static int samplesDisconnect(sqlite3_vtab *pVtab){
  TsmVtab *pTab = (TsmVtab*)pVtab;
  tsmStoreClose(pTab->p);     /* see tsmGuardClose() */
  sqlite3_free(pTab);
  return SQLITE_OK;
}

static int samplesBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo){
  char zIdx[64];
  int nIdx = 0, i, nArg = 0;
  int bSeries = 0, bMetric = 0, bTs = 0, bLabels = 0;
  (void)pVtab;
  for(i=0; i<pInfo->nConstraint && nIdx<(int)sizeof(zIdx)-1; i++){
    const struct sqlite3_index_constraint *pC = &pInfo->aConstraint[i];
    char c = 0;
    if( !pC->usable ) continue;
    if( pC->iColumn==COL_SERIES && pC->op==SQLITE_INDEX_CONSTRAINT_EQ ){
      c = sqlite3_vtab_in(pInfo, i, 1) ? 'I' : 'S';
      bSeries = 1;
    }else if( pC->iColumn==COL_METRIC && pC->op==SQLITE_INDEX_CONSTRAINT_EQ ){
      c = sqlite3_vtab_in(pInfo, i, 1) ? 'N' : 'M';
      bMetric = 1;
    }else if( pC->iColumn==COL_LABELS && pC->op==SQLITE_INDEX_CONSTRAINT_EQ
           && !bLabels ){
      c = 'B';
      bLabels = 1;
    }else if( pC->iColumn==COL_TS ){
      switch( pC->op ){
        case SQLITE_INDEX_CONSTRAINT_GT: c = '>'; break;
        case SQLITE_INDEX_CONSTRAINT_GE: c = 'G'; break;
        case SQLITE_INDEX_CONSTRAINT_LT: c = '<'; break;
        case SQLITE_INDEX_CONSTRAINT_LE: c = 'L'; break;
        case SQLITE_INDEX_CONSTRAINT_EQ: c = '='; break;
      }
      if( c ) bTs++;
    }
    if( c ){
      zIdx[nIdx++] = c;
      pInfo->aConstraintUsage[i].argvIndex = ++nArg;
      /* ts constraints on INTEGER are exact; others SQLite re-checks;
      ** labels are compared by xFilter in canonical form, not as text */
      pInfo->aConstraintUsage[i].omit = c=='B';
    }
  }
  zIdx[nIdx] = 0;
  pInfo->idxStr = sqlite3_mprintf("%s", zIdx);
  if( pInfo->idxStr==0 ) return SQLITE_NOMEM;   /* xFilter reads it */
  pInfo->needToFreeIdxStr = 1;
  {
    double nRows = 1e6;
    if( bSeries ) nRows /= 100;
    else if( bMetric && bLabels ) nRows /= 100;
    else if( bMetric ) nRows /= 50;
    else if( bLabels ) nRows /= 20;
    if( bTs ) nRows /= 10*bTs;
    pInfo->estimatedRows = (sqlite3_int64)nRows;
    pInfo->estimatedCost = nRows;
  }
  /* Rows come out by (series_id, ts). */
  if( pInfo->nOrderBy>=1 && pInfo->nOrderBy<=2 ){
    const struct sqlite3_index_orderby *aO = pInfo->aOrderBy;
    int bOk = 0;
    if( pInfo->nOrderBy==1 ){
      bOk = !aO[0].desc && (aO[0].iColumn==COL_SERIES
                            || (aO[0].iColumn==COL_TS && bSeries));
    }else{
      bOk = !aO[0].desc && !aO[1].desc && aO[0].iColumn==COL_SERIES
         && aO[1].iColumn==COL_TS;
    }
    if( bOk && !strchr(zIdx, 'I') ){
      pInfo->orderByConsumed = 1;
      pInfo->idxNum |= 1;
    }
  }
  return SQLITE_OK;
}

static int samplesOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCur){
  SamplesCursor *pCur = tsmCursorOpen(pVtab, sizeof(*pCur), ppCur);
  if( pCur==0 ) return SQLITE_NOMEM;
  pCur->bEof = 1;
  return SQLITE_OK;
}

static void cursorReset(SamplesCursor *pCur){
  sqlite3_free(pCur->aSeries);
  pCur->aSeries = 0;
  pCur->nSeries = pCur->iSeries = 0;
  sqlite3_free(pCur->zMetric);          /* zLabels is inside */
  pCur->zMetric = pCur->zLabels = 0;
  tsmFree(pCur->zWant);
  pCur->zWant = 0;
  pCur->pCols = 0;
  pCur->bEof = 1;
}

static int samplesClose(sqlite3_vtab_cursor *pCursor){
  SamplesCursor *pCur = (SamplesCursor*)pCursor;
  cursorReset(pCur);
  tsmReaderClose(pCur->pReader);
  sqlite3_free(pCur);
  return SQLITE_OK;
}

static int cmpI64(const void *a, const void *b){
  int64_t x = *(const int64_t*)a, y = *(const int64_t*)b;
  return x<y ? -1 : x>y;
}

/* Append the series of the registry that match (store.c, see
** tsmSeriesScanOpen) to the cursor's list. */
static int addSeries(SamplesCursor *pCur, sqlite3_value *pMetric,
                     const char *zLabels, int *pnAlloc){
  TsmSeriesScan *pScan = 0;
  const TsmSeriesRow *pRow = 0;
  int rc = tsmSeriesScanOpen(pCur->p, 0, pMetric, 0, zLabels, 0, &pScan);
  while( rc==SQLITE_OK ){
    rc = tsmSeriesScanNext(pScan, &pRow);
    if( rc || pRow==0 ) break;
    if( pCur->nSeries>=*pnAlloc ){
      int nNew = *pnAlloc ? *pnAlloc*2 : 64;
      int64_t *a = sqlite3_realloc64(pCur->aSeries, sizeof(int64_t)*nNew);
      if( a==0 ){ rc = SQLITE_NOMEM; break; }
      pCur->aSeries = a;
      *pnAlloc = nNew;
    }
    pCur->aSeries[pCur->nSeries++] = pRow->iSeries;
  }
  tsmSeriesScanClose(pScan);
  return rc;
}

/* Load metric and labels of the current series (one allocation). */
static int cursorSeriesNames(SamplesCursor *pCur){
  sqlite3_free(pCur->zMetric);
  pCur->zMetric = pCur->zLabels = 0;
  return tsmSeriesNames(pCur->p, pCur->aSeries[pCur->iSeries],
                        &pCur->zMetric, &pCur->zLabels);     /* store.c */
}

/* Move to the next sample, across chunks and series. */
static int cursorAdvance(SamplesCursor *pCur){
  int rc = SQLITE_OK;
  char *zErr = 0;
  pCur->iRow++;
  while( pCur->pCols==0 || pCur->iRow>=pCur->pCols->n ){
    if( pCur->pCols==0 && pCur->iSeries>=pCur->nSeries ){
      pCur->bEof = 1;
      return SQLITE_OK;
    }
    rc = tsmReaderNext(pCur->pReader, &pCur->pCols, &zErr);
    if( rc ) return tsmVtabError(pCur->base.pVtab, rc, zErr);
    pCur->iRow = 0;
    if( pCur->pCols==0 ){
      /* This series is done: on to the next one that exists. */
      if( ++pCur->iSeries>=pCur->nSeries ){
        pCur->bEof = 1;
        return SQLITE_OK;
      }
      tsmReaderSeek(pCur->pReader, pCur->aSeries[pCur->iSeries],
                    pCur->lo, pCur->hi);
      rc = cursorSeriesNames(pCur);
      if( rc ) return tsmVtabError(pCur->base.pVtab, rc, 0);
    }
  }
  pCur->iRowid++;
  return SQLITE_OK;
}

static int samplesFilter(sqlite3_vtab_cursor *pCursor, int idxNum,
                         const char *idxStr, int argc, sqlite3_value **argv){
  SamplesCursor *pCur = (SamplesCursor*)pCursor;
  TsmCtx *p = pCur->p;
  int rc = SQLITE_OK, i, bExists = 0, nAlloc = 0;
  int bSeries = 0, bMetric = 0;
  char *zErr = 0, *zLabels;
  sqlite3_value *pLabels = 0;
  (void)idxNum;
  assert( p->bSamplesTxn || p->buf.nSample==0 );

  cursorReset(pCur);
  pCur->lo = INT64_MIN;
  pCur->hi = INT64_MAX;
  pCur->iRowid = 0;

  /* Read this connection's own samples: flush them first. */
  rc = tsmStoreFlush(p, 0, &zErr);
  if( rc==SQLITE_OK ) rc = tsmStoreReady(p, 0, &bExists, &zErr);
  if( rc ) goto filter_err;
  if( !bExists ) return SQLITE_OK;

  /* Time bounds, and which kinds of series constraints there are. */
  for(i=0; i<argc && idxStr[i]; i++){
    sqlite3_value *pV = argv[i];
    int64_t t;
    switch( idxStr[i] ){
      case 'S': case 'I': bSeries = 1; continue;
      case 'M': case 'N': bMetric = 1; continue;
      case 'B': pLabels = pV; continue;
    }
    if( sqlite3_value_numeric_type(pV)==SQLITE_INTEGER ){
      t = sqlite3_value_int64(pV);
    }else if( sqlite3_value_type(pV)==SQLITE_FLOAT ){
      double r = sqlite3_value_double(pV);
      if( isnan(r) ){ return SQLITE_OK; }
      if( r>=9.2e18 || r<=-9.2e18 ){
        /* Beyond every timestamp (-9e999 is -inf): the bound holds for
        ** every row or for none. */
        int bLower = idxStr[i]=='>' || idxStr[i]=='G';
        int bUpper = idxStr[i]=='<' || idxStr[i]=='L';
        if( (bLower && r<0) || (bUpper && r>0) ) continue;
        return SQLITE_OK;
      }
      /* Round towards the inside of the range (|t| < 9.2e18: t-1 and t+1
      ** below cannot overflow). */
      if( idxStr[i]=='>' || idxStr[i]=='G' ) t = (int64_t)ceil(r);
      else t = (int64_t)floor(r);
      if( (double)t!=r ){
        if( idxStr[i]=='>' ) t--;
        else if( idxStr[i]=='<' ) t++;
        else if( idxStr[i]=='=' ) return SQLITE_OK;
      }
    }else if( sqlite3_value_type(pV)==SQLITE_NULL ){
      return SQLITE_OK;      /* comparisons with NULL match nothing */
    }else{
      /* TEXT compares greater than any number: SQLite decides the rows */
      continue;
    }
    if( (idxStr[i]=='>' && t==INT64_MAX) || (idxStr[i]=='<' && t==INT64_MIN) ){
      return SQLITE_OK;
    }
    if( idxStr[i]=='>' ) t++;
    if( idxStr[i]=='<' ) t--;
    if( strchr(">G=", idxStr[i]) && t>pCur->lo ) pCur->lo = t;
    if( strchr("<L=", idxStr[i]) && t<pCur->hi ) pCur->hi = t;
  }
  if( pCur->lo>pCur->hi ) return SQLITE_OK;
  if( pLabels ){
    rc = tsmLabelsCanonical(pLabels, &pCur->zWant);
    if( rc ) return rc;
    if( pCur->zWant==0 ) return SQLITE_OK;   /* no series has such labels */
  }
  zLabels = pCur->zWant;

  /* The series to visit. */
  if( bSeries ){
    for(i=0; i<argc && idxStr[i]; i++){
      sqlite3_value *pV;
      if( idxStr[i]=='S' ){
        if( sqlite3_value_numeric_type(argv[i])!=SQLITE_INTEGER ) continue;
        if( nAlloc==0 ){
          pCur->aSeries = sqlite3_malloc64(sizeof(int64_t)*8);
          if( pCur->aSeries==0 ) return SQLITE_NOMEM;
          nAlloc = 8;
        }
        if( pCur->nSeries==0 ){
          pCur->aSeries[pCur->nSeries++] = sqlite3_value_int64(argv[i]);
        }else if( pCur->aSeries[0]!=sqlite3_value_int64(argv[i]) ){
          pCur->nSeries = 0;        /* series_id=a AND series_id=b */
          break;
        }
      }else if( idxStr[i]=='I' ){
        for(rc=sqlite3_vtab_in_first(argv[i], &pV);
            rc==SQLITE_OK && pV; rc=sqlite3_vtab_in_next(argv[i], &pV)){
          if( sqlite3_value_numeric_type(pV)!=SQLITE_INTEGER ) continue;
          if( pCur->nSeries>=nAlloc ){
            int nNew = nAlloc ? nAlloc*2 : 64;
            int64_t *a = sqlite3_realloc64(pCur->aSeries, sizeof(int64_t)*nNew);
            if( a==0 ) return SQLITE_NOMEM;
            pCur->aSeries = a;
            nAlloc = nNew;
          }
          pCur->aSeries[pCur->nSeries++] = sqlite3_value_int64(pV);
        }
        if( rc==SQLITE_DONE ) rc = SQLITE_OK;
        if( rc ) goto filter_err;
      }
    }
  }else if( bMetric ){
    for(i=0; rc==SQLITE_OK && i<argc && idxStr[i]; i++){
      sqlite3_value *pV;
      if( idxStr[i]=='M' ){
        rc = addSeries(pCur, argv[i], 0, &nAlloc);
      }else if( idxStr[i]=='N' ){
        for(rc=sqlite3_vtab_in_first(argv[i], &pV);
            rc==SQLITE_OK && pV; rc=sqlite3_vtab_in_next(argv[i], &pV)){
          rc = addSeries(pCur, pV, 0, &nAlloc);
        }
        if( rc==SQLITE_DONE ) rc = SQLITE_OK;
      }
    }
  }else{
    rc = addSeries(pCur, 0, zLabels, &nAlloc);
  }
  if( rc==SQLITE_OK && zLabels && (bSeries || bMetric) ){
    /* keep the series listed that have those labels */
    int w = 0;
    for(i=0; rc==SQLITE_OK && i<pCur->nSeries; i++){
      char *zM = 0, *zL = 0;
      rc = tsmSeriesNames(p, pCur->aSeries[i], &zM, &zL);
      if( zL && strcmp(zL, zLabels)==0 ) pCur->aSeries[w++] = pCur->aSeries[i];
      sqlite3_free(zM);
    }
    pCur->nSeries = w;
  }
  if( rc ) goto filter_err;
  if( pCur->nSeries==0 ) return SQLITE_OK;
  qsort(pCur->aSeries, (size_t)pCur->nSeries, sizeof(int64_t), cmpI64);
  {
    int w = 1;
    for(i=1; i<pCur->nSeries; i++){
      if( pCur->aSeries[i]!=pCur->aSeries[w-1] ){
        pCur->aSeries[w++] = pCur->aSeries[i];
      }
    }
    pCur->nSeries = w;
  }

  if( pCur->pReader==0 ){
    rc = tsmReaderOpen(p, &pCur->pReader);
    if( rc ) goto filter_err;
  }
  pCur->bEof = 0;
  pCur->iSeries = 0;
  tsmReaderSeek(pCur->pReader, pCur->aSeries[0], pCur->lo, pCur->hi);
  rc = cursorSeriesNames(pCur);
  if( rc ) goto filter_err;
  pCur->pCols = 0;
  pCur->iRow = -1;
  return cursorAdvance(pCur);

 filter_err:
  return tsmVtabError(pCursor->pVtab, rc, zErr);
}

static int samplesNext(sqlite3_vtab_cursor *pCursor){
  return cursorAdvance((SamplesCursor*)pCursor);
}

static int samplesEof(sqlite3_vtab_cursor *pCursor){
  return ((SamplesCursor*)pCursor)->bEof;
}

static int samplesColumn(sqlite3_vtab_cursor *pCursor, sqlite3_context *ctx,
                         int i){
  SamplesCursor *pCur = (SamplesCursor*)pCursor;
  switch( i ){
    case COL_SERIES:
      sqlite3_result_int64(ctx, pCur->aSeries[pCur->iSeries]);
      break;
    case COL_METRIC:
      sqlite3_result_text(ctx, pCur->zMetric, -1, SQLITE_TRANSIENT);
      break;
    case COL_LABELS:
      sqlite3_result_text(ctx, pCur->zLabels, -1, SQLITE_TRANSIENT);
      break;
    case COL_TS:
      sqlite3_result_int64(ctx, pCur->pCols->aTs[pCur->iRow]);
      break;
    case COL_VALUE:
      sqlite3_result_double(ctx, pCur->pCols->aVal[pCur->iRow]);
      break;
    case COL_BITS: {
      int64_t iBits;
      memcpy(&iBits, &pCur->pCols->aVal[pCur->iRow], 8);
      sqlite3_result_int64(ctx, iBits);
      break;
    }
  }
  return SQLITE_OK;
}

static int samplesRowid(sqlite3_vtab_cursor *pCursor, sqlite3_int64 *piRowid){
  *piRowid = ((SamplesCursor*)pCursor)->iRowid;
  return SQLITE_OK;
}

/*
** Record one sample: the work of INSERT INTO tsm_samples and tsm_record().
** pMetric/pLabels name the series (or iSeries>0 when the caller gave a
** series_id and no metric); pTs may be NULL (now); pValue is the value,
** or with bBits an INTEGER holding its IEEE-754 bits.
** On success the sample is buffered and p->iLastSeries is its series.
*/
int tsmRecord(TsmCtx *p, sqlite3_value *pMetric, sqlite3_value *pLabels,
              sqlite3_value *pTs, sqlite3_value *pValue, int bBits,
              int64_t iSeries, char **pzErr){
  int64_t ts;
  double v;
  int rc, bNull = 0, eDup = TSM_DUP_REPLACE;

  if( bBits ){
    int64_t iBits = sqlite3_value_int64(pValue);
    memcpy(&v, &iBits, 8);
  }else switch( sqlite3_value_type(pValue) ){
    case SQLITE_INTEGER:
    case SQLITE_FLOAT:
      v = sqlite3_value_double(pValue);
      break;
    case SQLITE_NULL:
      bNull = 1;             /* nothing measured: checked, not recorded */
      v = 0.0;
      break;
    default:
      *pzErr = tsmErrMsg("invalid value of type %s: must be a "
          "number (INTEGER or REAL)",
          sqlite3_value_type(pValue)==SQLITE_TEXT ? "TEXT" : "BLOB");
      return SQLITE_ERROR;
  }
  rc = tsmTsFromValue(pTs, "ts", &ts, pzErr);
  if( rc ) return rc;

  /* The series cache was validated when this table joined the transaction
  ** (samplesBegin); no other connection can commit while it lasts. */
  if( pMetric && sqlite3_value_type(pMetric)!=SQLITE_NULL ){
    const char *zMetric = 0, *zLabels = 0;
    if( sqlite3_value_type(pMetric)!=SQLITE_TEXT ){
      *pzErr = tsmErrMsg("invalid metric: must be TEXT, a name "
          "matching [a-zA-Z_:][a-zA-Z0-9_:]* optionally with {labels}");
      return SQLITE_ERROR;
    }
    if( pLabels && sqlite3_value_type(pLabels)!=SQLITE_NULL ){
      if( sqlite3_value_type(pLabels)!=SQLITE_TEXT ){
        *pzErr = tsmErrMsg("invalid labels: must be TEXT holding "
            "a JSON object of strings, or NULL");
        return SQLITE_ERROR;
      }
      rc = tsmValueText(pLabels, "labels", &zLabels, pzErr);
      if( rc ) return rc;
    }
    rc = tsmValueText(pMetric, "metric", &zMetric, pzErr);
    if( rc ) return rc;
    if( bNull ){
      /* The arguments are still checked: a misuse is an error. */
      char *zM = 0, *zL = 0, zMsg[512];
      if( tsmSeriesKey(zMetric, zLabels, &zM, &zL, zMsg, sizeof(zMsg)) ){
        *pzErr = tsmErrMsg("%s", zMsg);
        return SQLITE_ERROR;
      }
      tsmFree(zM);
      tsmFree(zL);
      return SQLITE_OK;
    }
    rc = tsmSeriesResolve(p, zMetric, zLabels, 1, &iSeries, &eDup, pzErr);
    if( rc ) return rc;
  }else if( bNull ){
    return SQLITE_OK;
  }else if( iSeries>0 ){
    int bExists = 0;
    rc = tsmStoreReady(p, 1, 0, pzErr);
    if( rc==SQLITE_OK ) rc = tsmSeriesExists(p, iSeries, &bExists, &eDup);
    if( rc ) return rc;
    if( !bExists ){
      *pzErr = tsmErrMsg("invalid series_id %lld: no such series",
                               (long long)iSeries);
      return SQLITE_ERROR;
    }
  }else{
    *pzErr = tsmErrMsg("invalid metric NULL: give a metric name "
        "(or the series_id of an existing series)");
    return SQLITE_ERROR;
  }

  rc = tsmBufferAdd(&p->buf, iSeries, ts, v, eDup);
  if( rc ) return rc;
  p->iLastSeries = iSeries;
  if( p->buf.nSample>=TSM_BUFFER_MAX ){
    rc = tsmStoreFlush(p, 0, pzErr);
  }
  return rc;
}

static int samplesUpdate(sqlite3_vtab *pVtab, int argc, sqlite3_value **argv,
                         sqlite3_int64 *pRowid){
  TsmVtab *pTab = (TsmVtab*)pVtab;
  char *zErr = 0;
  int rc;
  sqlite3_value *pValue;
  int64_t iSeries = 0;
  (void)pRowid;
  assert( pTab->p->bSamplesTxn );       /* OP_VBegin ran before */
  if( argc==1 || sqlite3_value_type(argv[0])!=SQLITE_NULL ){
    sqlite3_free(pVtab->zErrMsg);
    pVtab->zErrMsg = tsmErrMsg("tsm_samples only takes INSERT; "
        "delete series with DELETE FROM tsm_series, old samples with "
        "tsm_retention");
    return SQLITE_ERROR;
  }
  /* argv[1] rowid, then the columns */
  pValue = argv[2+COL_VALUE];
  if( sqlite3_value_type(argv[2+COL_BITS])!=SQLITE_NULL ){
    if( sqlite3_value_type(pValue)!=SQLITE_NULL
     || sqlite3_value_type(argv[2+COL_BITS])!=SQLITE_INTEGER ){
      pVtab->zErrMsg = tsmErrMsg("invalid value_bits: must be an "
          "INTEGER (IEEE-754 bits of the value) given instead of value");
      return SQLITE_ERROR;
    }
    pValue = argv[2+COL_BITS];
  }
  if( sqlite3_value_type(argv[2+COL_SERIES])!=SQLITE_NULL ){
    if( sqlite3_value_type(argv[2+COL_SERIES])!=SQLITE_INTEGER
     || sqlite3_value_type(argv[2+COL_METRIC])!=SQLITE_NULL ){
      pVtab->zErrMsg = tsmErrMsg("invalid series_id: give either "
          "an INTEGER series_id or metric and labels, not both");
      return SQLITE_ERROR;
    }
    iSeries = sqlite3_value_int64(argv[2+COL_SERIES]);
    if( iSeries<=0 ) iSeries = INT64_MAX;   /* reported as no such series */
  }
  rc = tsmRecord(pTab->p, argv[2+COL_METRIC], argv[2+COL_LABELS],
                 argv[2+COL_TS], pValue, pValue==argv[2+COL_BITS],
                 iSeries, &zErr);
  return tsmVtabError(pVtab, rc, zErr);
}

/* The INSERT that brings this table into a transaction holds the write
** lock from its start: what another connection committed before is visible
** now, and nothing else commits until this transaction ends.  So the
** series cache is checked here, once per transaction, not per sample. */
static int samplesBegin(sqlite3_vtab *pVtab){
  TsmCtx *p = ((TsmVtab*)pVtab)->p;
  assert( !p->bSamplesTxn && p->buf.nSample==0 );
  p->bSamplesTxn = 1;
  tsmCacheValidate(p);
  return SQLITE_OK;
}

static int samplesFlush(sqlite3_vtab *pVtab){
  char *zErr = 0;
  int rc = tsmStoreFlush(((TsmVtab*)pVtab)->p, 0, &zErr);
  return tsmVtabError(pVtab, rc, zErr);
}

/* Commit: flush, then automatic maintenance (retention.c; at most once per
** interval, bounded work, inside the committing transaction; an error of
** its own never fails the commit). */
static int samplesSync(sqlite3_vtab *pVtab){
  char *zErr = 0;
  int rc;
  assert( ((TsmVtab*)pVtab)->p->bSamplesTxn );
  rc = samplesFlush(pVtab);
  if( rc==SQLITE_OK ) rc = tsmRetentionCommit(((TsmVtab*)pVtab)->p, &zErr);
  return tsmVtabError(pVtab, rc, zErr);
}

static int samplesCommit(sqlite3_vtab *pVtab){
  TsmCtx *p = ((TsmVtab*)pVtab)->p;
  assert( p->bSamplesTxn && p->buf.nSample==0 );   /* xSync flushed */
  p->bSamplesTxn = 0;
  tsmCacheCommitted(p);
  return SQLITE_OK;
}

/* Discard what the transaction (or since the savepoint) recorded. */
static void samplesDiscard(TsmCtx *p){
  assert( p->bSamplesTxn );
  tsmBufferClear(&p->buf);
  tsmCacheClear(&p->cache);
  tsmHeadsForget(p);          /* the head rows written since are gone */
  p->bReady = 0;
}

static int samplesRollback(sqlite3_vtab *pVtab){
  TsmCtx *p = ((TsmVtab*)pVtab)->p;
  samplesDiscard(p);
  p->bSamplesTxn = 0;
  return SQLITE_OK;
}

static int samplesSavepoint(sqlite3_vtab *pVtab, int iSavepoint){
  (void)iSavepoint;
  assert( ((TsmVtab*)pVtab)->p->bSamplesTxn );
  return samplesFlush(pVtab);
}

static int samplesRelease(sqlite3_vtab *pVtab, int iSavepoint){
  (void)iSavepoint;
  assert( ((TsmVtab*)pVtab)->p->bSamplesTxn );
  (void)pVtab;
  return SQLITE_OK;
}

static int samplesRollbackTo(sqlite3_vtab *pVtab, int iSavepoint){
  (void)iSavepoint;
  samplesDiscard(((TsmVtab*)pVtab)->p);
  return SQLITE_OK;
}

sqlite3_module tsmSamplesModule = {
  /* iVersion    */ 3,
  /* xCreate     */ 0,              /* eponymous only */
  /* xConnect    */ samplesConnect,
  /* xBestIndex  */ samplesBestIndex,
  /* xDisconnect */ samplesDisconnect,
  /* xDestroy    */ 0,
  /* xOpen       */ samplesOpen,
  /* xClose      */ samplesClose,
  /* xFilter     */ samplesFilter,
  /* xNext       */ samplesNext,
  /* xEof        */ samplesEof,
  /* xColumn     */ samplesColumn,
  /* xRowid      */ samplesRowid,
  /* xUpdate     */ samplesUpdate,
  /* xBegin      */ samplesBegin,
  /* xSync       */ samplesSync,
  /* xCommit     */ samplesCommit,
  /* xRollback   */ samplesRollback,
  /* xFindMethod */ 0,
  /* xRename     */ 0,
  /* xSavepoint  */ samplesSavepoint,
  /* xRelease    */ samplesRelease,
  /* xRollbackTo */ samplesRollbackTo,
  /* xShadowName */ 0
};
