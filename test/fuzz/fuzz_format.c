/* SPDX-License-Identifier: MIT */
/*
** fuzz_format.c -- libFuzzer target for the readers of ext/format.c.
**
**   make -C test/fuzz && build/fuzz/fuzz_format -max_total_time=60
**
** The first byte picks the reader (prometheus, influx, jsonl), the rest is
** the text.  Every sample a reader yields must have a valid metric name
** and labels; written back by the JSON-lines writer (finite values) and
** by the exposition writer (samples with a timestamp), and read again, it
** must come back the same, bit for bit.  A failure must leave a message.
*/
#include "format.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(x) do{ if( !(x) ){ \
  fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed\n", __FILE__, __LINE__, #x); \
  abort(); } }while(0)

typedef struct Want {
  const char *zMetric;
  char *zJson;
  int64_t ts;
  double v;
  int nSeen;
} Want;

static int same(void *pArg, const char *zMetric, const TsmLabels *pL,
                const int64_t *aTs, const double *aVal, int n){
  Want *p = (Want*)pArg;
  char *zJson = tsmLabelsToJson(pL);
  FUZZ_CHECK(n==1);
  FUZZ_CHECK(strcmp(zMetric, p->zMetric)==0);
  FUZZ_CHECK(zJson && strcmp(zJson, p->zJson)==0);
  FUZZ_CHECK(aTs[0]==p->ts);
  FUZZ_CHECK(memcmp(&aVal[0], &p->v, 8)==0 || (isnan(aVal[0]) && isnan(p->v)));
  p->nSeen++;
  free(zJson);
  return 0;
}

static int check(void *pArg, const char *zMetric, const TsmLabels *pL,
                 const int64_t *aTs, const double *aVal, int n){
  int i, j;
  (void)pArg;
  FUZZ_CHECK(n>=1);
  FUZZ_CHECK(tsmMetricValid(zMetric, strlen(zMetric)));
  for(j=0; j<pL->n; j++){
    FUZZ_CHECK(tsmLabelNameValid(pL->a[j].zName, strlen(pL->a[j].zName)));
    FUZZ_CHECK(pL->a[j].zValue[0]!=0);
  }
  for(i=0; i<n; i++){
    Want w;
    TsmOut o = {0};
    int64_t iLine;
    char zErr[256];
    w.zMetric = zMetric;
    w.zJson = tsmLabelsToJson(pL);
    w.ts = aTs[i];
    w.v = aVal[i];
    w.nSeen = 0;
    FUZZ_CHECK(w.zJson);
    if( aTs[i]!=TSM_TS_NOW && !isnan(aVal[i]) ){
      tsmJsonlLine(&o, zMetric, pL, &aTs[i], &aVal[i], 1);
      FUZZ_CHECK(tsmParse(TSM_FMT_JSONL, o.a, o.n, same, &w, &iLine,
                          zErr, sizeof(zErr))==0);
      FUZZ_CHECK(w.nSeen==1);
    }
    if( aTs[i]!=TSM_TS_NOW ){
      o.n = 0;
      w.nSeen = 0;
      tsmPromSample(&o, zMetric, pL, aVal[i], aTs[i], 1);
      FUZZ_CHECK(tsmParse(TSM_FMT_PROMETHEUS, o.a, o.n, same, &w, &iLine,
                          zErr, sizeof(zErr))==0);
      FUZZ_CHECK(w.nSeen==1);
    }
    tsmOutFree(&o);
    free(w.zJson);
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData){
  static const int aFormat[] = {
    TSM_FMT_PROMETHEUS, TSM_FMT_INFLUX, TSM_FMT_JSONL
  };
  char *zErr;
  int64_t iLine = 0;
  int rc;
  if( nData<1 ) return 0;
  zErr = malloc(64);
  zErr[0] = 0;
  rc = tsmParse(aFormat[aData[0]%3], (const char*)&aData[1], nData-1, check,
                0, &iLine, zErr, 64);
  FUZZ_CHECK(rc==0 || rc==-1);
  if( rc ){
    FUZZ_CHECK(zErr[0]!=0 && memchr(zErr, 0, 64)!=0);
    FUZZ_CHECK(iLine>=1);
  }
  free(zErr);
  return 0;
}
