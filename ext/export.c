/* SPDX-License-Identifier: MIT */
/*
** export.c -- tsm_prometheus([selector [, timestamps]]).
**
**   SELECT tsm_prometheus();                         -- every series
**   SELECT tsm_prometheus('{job="wan"}', 0);         -- no timestamps
**
** Returns the latest sample of each matching series in the Prometheus text
** exposition format (version 0.0.4), ready for a scrape or for
** node_exporter's textfile collector:
**
**   # HELP wanctl_rtt_seconds Latest sample of wanctl_rtt_seconds from tsm.
**   # TYPE wanctl_rtt_seconds untyped
**   wanctl_rtt_seconds{dir="up",wan="spectrum"} 0.0235 1767225600000
**
** Series are grouped by metric (a family must be contiguous), metrics and
** label sets in bytewise order.  # TYPE and # HELP come from the rules of
** tsm_metrics (metrics.c tsmMetricMeta): without a type, a metric whose
** name ends in "_total" is declared a counter, every other one untyped.  Label values are escaped as the format requires (\\, \"
** and \n); values are written in the shortest form that reads back to the
** same double, NaN as NaN and infinities as +Inf and -Inf.  The timestamp
** (ms since the epoch) is appended unless the timestamps argument is 0:
** node_exporter's textfile collector refuses samples with timestamps.
** Series without samples are left out; no series gives ''.
*/
#include "tsm.h"
#include "parse.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

static int cmpItem(const void *a, const void *b){
  const TsmSeriesItem *x = (const TsmSeriesItem*)a;
  const TsmSeriesItem *y = (const TsmSeriesItem*)b;
  int c = strcmp(x->zMetric, y->zMetric);
  return c ? c : strcmp(x->zLabels, y->zLabels);
}

/* Append v as the exposition format writes a float. */
static void appendValue(sqlite3_str *pOut, double v){
  char z[40];
  int i;
  if( isnan(v) ){
    sqlite3_str_appendall(pOut, "NaN");
    return;
  }
  if( isinf(v) ){
    sqlite3_str_appendall(pOut, v>0 ? "+Inf" : "-Inf");
    return;
  }
  /* The shortest %.Ng that reads back as the same double. */
  for(i=15; i<=17; i++){
    snprintf(z, sizeof(z), "%.*g", i, v);
    if( strtod(z, 0)==v ) break;
  }
  sqlite3_str_appendall(pOut, z);
}

/* Append a label value (bQuote) with \\, \" and \n escaped, or a help
** text with \\ and \n escaped, as the exposition format requires. */
static void appendEscaped(sqlite3_str *pOut, const char *z, int bQuote){
  const char *zStart = z;
  for(; *z; z++){
    const char *zEsc = 0;
    if( *z=='\\' ) zEsc = "\\\\";
    else if( *z=='"' && bQuote ) zEsc = "\\\"";
    else if( *z=='\n' ) zEsc = "\\n";
    if( zEsc ){
      sqlite3_str_append(pOut, zStart, (int)(z-zStart));
      sqlite3_str_appendall(pOut, zEsc);
      zStart = z+1;
    }
  }
  sqlite3_str_appendall(pOut, zStart);
}

/* tsm_prometheus([selector [, timestamps]]) */
void tsmPrometheusFunc(sqlite3_context *ctx, int argc,
                           sqlite3_value **argv){
  TsmCtx *p = sqlite3_user_data(ctx);
  TsmSelector sel;
  TsmSeriesList list;
  TsmLabels labels;
  sqlite3_str *pOut = 0;
  char *zErr = 0;
  int rc = SQLITE_OK, bExists = 0, bTs = 1, i, j;
  const char *zPrevMetric = 0;

  memset(&sel, 0, sizeof(sel));
  memset(&list, 0, sizeof(list));
  tsmLabelsInit(&labels);
  if( argc>0 && sqlite3_value_type(argv[0])!=SQLITE_NULL ){
    rc = tsmSelectorFromValue(argv[0], &sel, &zErr);
  }else{
    char zMsg[64];
    rc = tsmSelectorParse("{}", &sel, zMsg, sizeof(zMsg)) ? SQLITE_NOMEM : 0;
  }
  if( rc==SQLITE_OK && argc>1 && sqlite3_value_type(argv[1])!=SQLITE_NULL ){
    if( sqlite3_value_numeric_type(argv[1])!=SQLITE_INTEGER ){
      zErr = sqlite3_mprintf("tsm: invalid timestamps: must be 1 (append "
          "millisecond timestamps) or 0 (none, for node_exporter's textfile "
          "collector)");
      rc = SQLITE_ERROR;
    }else{
      bTs = sqlite3_value_int64(argv[1])!=0;
    }
  }
  if( rc==SQLITE_OK ) rc = tsmStoreFlush(p, 0, &zErr);
  if( rc==SQLITE_OK ) rc = tsmStoreReady(p, 0, &bExists, &zErr);
  if( rc==SQLITE_OK && bExists ) rc = tsmSeriesSelect(p, &sel, &list, &zErr);
  if( rc ) goto out;
  if( list.n>1 ) qsort(list.a, (size_t)list.n, sizeof(list.a[0]), cmpItem);

  pOut = sqlite3_str_new(p->db);
  for(i=0; rc==SQLITE_OK && i<list.n; i++){
    const TsmSeriesItem *pItem = &list.a[i];
    int bFound = 0;
    int64_t ts = 0;
    double v = 0.0;
    char zMsg[256];
    rc = tsmSeriesLast(p, pItem->iSeries, &bFound, &ts, &v, &zErr);
    if( rc || !bFound ) continue;
    tsmLabelsFree(&labels);
    if( tsmLabelsFromJson(&labels, pItem->zLabels, zMsg, sizeof(zMsg)) ){
      zErr = sqlite3_mprintf("tsm: corrupt labels of series %lld: %s",
                             (long long)pItem->iSeries, zMsg);
      rc = SQLITE_CORRUPT;
      break;
    }
    if( zPrevMetric==0 || strcmp(zPrevMetric, pItem->zMetric)!=0 ){
      const char *zType, *zHelp;
      rc = tsmMetricMeta(p, pItem->zMetric, &zType, &zHelp);   /* metrics.c */
      if( rc ) break;
      sqlite3_str_appendf(pOut, "# HELP %s ", pItem->zMetric);
      if( zHelp ){
        appendEscaped(pOut, zHelp, 0);
      }else{
        sqlite3_str_appendf(pOut, "Latest sample of %s from tsm.",
                            pItem->zMetric);
      }
      sqlite3_str_appendf(pOut, "\n# TYPE %s %s\n", pItem->zMetric, zType);
      zPrevMetric = pItem->zMetric;
    }
    sqlite3_str_appendall(pOut, pItem->zMetric);
    if( labels.n>0 ){
      for(j=0; j<labels.n; j++){
        sqlite3_str_appendf(pOut, "%s%s=\"", j ? "," : "{",
                            labels.a[j].zName);
        appendEscaped(pOut, labels.a[j].zValue, 1);
        sqlite3_str_appendchar(pOut, 1, '"');
      }
      sqlite3_str_appendchar(pOut, 1, '}');
    }
    sqlite3_str_appendchar(pOut, 1, ' ');
    appendValue(pOut, v);
    if( bTs ) sqlite3_str_appendf(pOut, " %lld", (long long)ts);
    sqlite3_str_appendchar(pOut, 1, '\n');
  }
  if( rc==SQLITE_OK ) rc = sqlite3_str_errcode(pOut);

 out:
  tsmSelectorFree(&sel);
  tsmSeriesListFree(&list);
  tsmLabelsFree(&labels);
  if( rc ){
    sqlite3_free(sqlite3_str_finish(pOut));
    tsmResultError(ctx, p, rc, zErr);
    return;
  }
  if( pOut && sqlite3_str_length(pOut)>0 ){
    int n = sqlite3_str_length(pOut);
    sqlite3_result_text(ctx, sqlite3_str_finish(pOut), n, sqlite3_free);
  }else{
    sqlite3_free(sqlite3_str_finish(pOut));
    sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
  }
}

