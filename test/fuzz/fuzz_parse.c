/* SPDX-License-Identifier: MIT */
/*
** fuzz_parse.c -- libFuzzer target for the parsers of ext/parse.c.
**
**   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iext \
**         -o build/fuzz_parse test/fuzz/fuzz_parse.c ext/parse.c -lpcre2-8
**   build/fuzz_parse -max_total_time=60
**
** The input is split at its first NUL byte into A and B (B empty if there
** is none).  Then:
**   - tsmUtf8Valid() on the raw bytes agrees with a reference decoder;
**   - tsmLabelsFromJson(A): a success is sorted, valid, within the limits,
**     and its canonical JSON parses back to the same canonical JSON;
**   - tsmSelectorParse(A), then tsmSelectorMatch() against a series built
**     from B's labels and against a series built from the selector's own
**     "=" matchers (which must match), and plain-text regexes must match
**     exactly their text (a regex that hits a PCRE2 limit must say so);
**   - tsmSeriesKey(A, B): a success is a valid metric and canonical labels,
**     feeding the result back in gives the same key, and so does the same
**     series written in selector syntax;
**   - tsmDurationParse(A): > 0, and the value written back in compound
**     units parses to the same value;
**   - tsmTimeParse(A): formatting the result and parsing it again gives the
**     same value (years 0000-9999);
**   - tsmTimeFormat() of the first 8 bytes as an int64.
** Every failing call must leave a NUL-terminated UTF-8 message within the
** (sometimes tiny, exactly allocated) error buffer.  Any violation aborts.
*/
#include "parse.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(x) do{ if( !(x) ){ \
  fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed\n", __FILE__, __LINE__, #x); \
  abort(); } }while(0)

/* The error buffer: exactly nErr bytes of heap, so ASan sees an overrun. */
static char *zErr;
static size_t nErr;

static void checkErr(int rc){
  if( rc==0 ) return;
  FUZZ_CHECK(rc==-1);
  if( nErr>0 ){
    size_t n = strnlen(zErr, nErr);
    FUZZ_CHECK(n<nErr);
    FUZZ_CHECK(tsmUtf8Valid(zErr, n));
    FUZZ_CHECK(nErr==1 || n>0);
  }
}

/* Reference UTF-8 check, written from the code point ranges. */
static int refUtf8(const unsigned char *a, size_t n){
  size_t i = 0;
  while( i<n ){
    unsigned c = a[i], v;
    int k, j;
    if( c<0x80 ){ i++; continue; }
    if( (c & 0xE0)==0xC0 ){ k = 1; v = c & 0x1F; }
    else if( (c & 0xF0)==0xE0 ){ k = 2; v = c & 0x0F; }
    else if( (c & 0xF8)==0xF0 ){ k = 3; v = c & 0x07; }
    else return 0;
    if( i+(size_t)k>=n ) return 0;
    for(j=1; j<=k; j++){
      if( (a[i+j] & 0xC0)!=0x80 ) return 0;
      v = (v<<6) | (a[i+j] & 0x3F);
    }
    if( k==1 && v<0x80 ) return 0;
    if( k==2 && v<0x800 ) return 0;
    if( k==3 && v<0x10000 ) return 0;
    if( v>0x10FFFF || (v>=0xD800 && v<=0xDFFF) ) return 0;
    i += (size_t)k+1;
  }
  return 1;
}

/* Check that p is a well-formed label set. */
static void checkLabels(const TsmLabels *p){
  int i;
  FUZZ_CHECK(p->n>=0 && p->n<=TSM_LABELS_MAX);
  for(i=0; i<p->n; i++){
    const char *zN = p->a[i].zName, *zV = p->a[i].zValue;
    size_t nV = strlen(zV);
    FUZZ_CHECK(tsmLabelNameValid(zN, strlen(zN)));
    FUZZ_CHECK(nV>0 && nV<=TSM_LABEL_VALUE_MAX);
    FUZZ_CHECK(tsmUtf8Valid(zV, nV));
    FUZZ_CHECK(tsmLabelsGet(p, zN)==zV);
    if( i>0 ) FUZZ_CHECK(strcmp(p->a[i-1].zName, zN)<0);
  }
}

/* Canonical JSON of p, re-parsed: must give the same set and text. */
static char *checkCanonical(const TsmLabels *p){
  char *zJson = tsmLabelsToJson(p), *zJson2;
  TsmLabels l2;
  int i;
  FUZZ_CHECK(zJson!=0);
  tsmLabelsInit(&l2);
  FUZZ_CHECK(tsmLabelsFromJson(&l2, zJson, zErr, nErr)==0);
  FUZZ_CHECK(l2.n==p->n);
  for(i=0; i<p->n; i++){
    FUZZ_CHECK(strcmp(l2.a[i].zName, p->a[i].zName)==0);
    FUZZ_CHECK(strcmp(l2.a[i].zValue, p->a[i].zValue)==0);
  }
  zJson2 = tsmLabelsToJson(&l2);
  FUZZ_CHECK(zJson2!=0 && strcmp(zJson, zJson2)==0);
  free(zJson2);
  tsmLabelsFree(&l2);
  return zJson;
}

/* Append z to zOut as the inside of a double-quoted selector string. */
static char *selQuote(char *zOut, const char *z){
  for(; *z; z++){
    if( *z=='"' || *z=='\\' ){ *zOut++ = '\\'; *zOut++ = *z; }
    else if( *z=='\n' ){ *zOut++ = '\\'; *zOut++ = 'n'; }
    else *zOut++ = *z;
  }
  return zOut;
}

/* Selector text for series (zMetric, p), malloc'ed. */
static char *selectorText(const char *zMetric, const TsmLabels *p){
  size_t n = strlen(zMetric) + 3;
  char *zSel, *z;
  int i;
  for(i=0; i<p->n; i++){
    n += strlen(p->a[i].zName) + 2*strlen(p->a[i].zValue) + 4;
  }
  zSel = malloc(n);
  FUZZ_CHECK(zSel!=0);
  z = zSel;
  memcpy(z, zMetric, strlen(zMetric));
  z += strlen(zMetric);
  *z++ = '{';
  for(i=0; i<p->n; i++){
    if( i ) *z++ = ',';
    memcpy(z, p->a[i].zName, strlen(p->a[i].zName));
    z += strlen(p->a[i].zName);
    *z++ = '=';
    *z++ = '"';
    z = selQuote(z, p->a[i].zValue);
    *z++ = '"';
  }
  *z++ = '}';
  *z = 0;
  FUZZ_CHECK((size_t)(z - zSel) < n);
  return zSel;
}

static void fuzzJson(const char *zA){
  TsmLabels l;
  int rc;
  tsmLabelsInit(&l);
  rc = tsmLabelsFromJson(&l, zA, zErr, nErr);
  checkErr(rc);
  if( rc==0 ){
    checkLabels(&l);
    free(checkCanonical(&l));
  }
  tsmLabelsFree(&l);
}

static void fuzzSelector(const char *zA, const char *zB){
  TsmSelector s;
  TsmLabels lB, lOwn;
  const char *zName = 0;
  int i, rc, bAllEq = 1, bOk = 1;
  rc = tsmSelectorParse(zA, &s, zErr, nErr);
  checkErr(rc);
  if( rc ){
    FUZZ_CHECK(s.zMetric==0 && s.nMatch==0 && s.aMatch==0);
    return;
  }
  FUZZ_CHECK(s.nMatch>=0 && s.nMatch<=TSM_MATCHERS_MAX);
  if( s.zMetric ) FUZZ_CHECK(tsmMetricValid(s.zMetric, strlen(s.zMetric)));

  /* against B's labels: must not crash */
  tsmLabelsInit(&lB);
  if( tsmLabelsFromJson(&lB, zB, zErr, nErr)==0 ){
    /* -1 (a regex hit a limit) leaves a message */
    rc = tsmSelectorMatch(&s, s.zMetric ? s.zMetric : "m", &lB, zErr, nErr);
    FUZZ_CHECK(rc>=-1 && rc<=1);
    if( rc<0 ) checkErr(rc);
    rc = tsmSelectorMatch(&s, "m", &lB, zErr, nErr);
    FUZZ_CHECK(rc>=-1 && rc<=1);
    if( rc<0 ) checkErr(rc);
  }
  tsmLabelsFree(&lB);

  /* against the series its own "=" matchers describe */
  tsmLabelsInit(&lOwn);
  zName = s.zMetric;
  for(i=0; i<s.nMatch; i++){
    const TsmMatcher *pM = &s.aMatch[i];
    FUZZ_CHECK(pM->eOp>=TSM_MATCH_EQ && pM->eOp<=TSM_MATCH_NRE);
    FUZZ_CHECK((pM->pRe!=0)==(pM->eOp>=TSM_MATCH_RE));
    FUZZ_CHECK(strlen(pM->zValue)<=TSM_LABEL_VALUE_MAX);
    if( pM->eOp!=TSM_MATCH_EQ ){
      bAllEq = 0;
    }else if( strcmp(pM->zName, "__name__")==0 ){
      if( zName && strcmp(zName, pM->zValue)!=0 ) bOk = 0;
      zName = pM->zValue;
    }else if( tsmLabelsAdd(&lOwn, pM->zName, pM->zValue, zErr, nErr) ){
      bOk = 0;
    }
  }
  /* a="x",a="" is accepted by tsmLabelsAdd() (empty is a no-op) but no
  ** series matches it: recheck every "=" */
  for(i=0; bOk && i<s.nMatch; i++){
    const TsmMatcher *pM = &s.aMatch[i];
    if( pM->eOp==TSM_MATCH_EQ && strcmp(pM->zName, "__name__")!=0 ){
      const char *zV = tsmLabelsGet(&lOwn, pM->zName);
      if( strcmp(zV ? zV : "", pM->zValue)!=0 ) bOk = 0;
    }
  }
  if( bAllEq && bOk && (zName==0 || zName[0]) ){
    FUZZ_CHECK(tsmSelectorMatch(&s, zName ? zName : "m", &lOwn, zErr,
                                nErr)==1);
  }
  tsmLabelsFree(&lOwn);

  /* a regex without special characters matches exactly its text */
  for(i=0; i<s.nMatch; i++){
    const TsmMatcher *pM = &s.aMatch[i];
    const char *z = pM->zValue;
    size_t n = strlen(z), k;
    TsmSelector one;
    TsmLabels l;
    char *zLong;
    if( pM->eOp!=TSM_MATCH_RE || n==0 || n>100 ) continue;
    if( strcmp(pM->zName, "__name__")==0 ) continue;
    for(k=0; k<n; k++){
      char c = z[k];
      if( !((c>='a' && c<='z') || (c>='A' && c<='Z') || (c>='0' && c<='9')
            || c=='_' || c==' ' || c==',' || c=='-' || c=='/') ) break;
    }
    if( k<n ) continue;
    one = s;
    one.zMetric = 0;
    one.nMatch = 1;
    one.aMatch = (TsmMatcher*)pM;
    tsmLabelsInit(&l);
    FUZZ_CHECK(tsmLabelsAdd(&l, pM->zName, z, zErr, nErr)==0);
    FUZZ_CHECK(tsmSelectorMatch(&one, "m", &l, zErr, nErr)==1);
    tsmLabelsFree(&l);
    zLong = malloc(n+2);
    FUZZ_CHECK(zLong!=0);
    memcpy(zLong, z, n);
    memcpy(&zLong[n], "x", 2);
    FUZZ_CHECK(tsmLabelsAdd(&l, pM->zName, zLong, zErr, nErr)==0);
    FUZZ_CHECK(tsmSelectorMatch(&one, "m", &l, zErr, nErr)==0);
    tsmLabelsFree(&l);
    memcpy(zLong, "x", 1);
    memcpy(&zLong[1], z, n+1);
    FUZZ_CHECK(tsmLabelsAdd(&l, pM->zName, zLong, zErr, nErr)==0);
    FUZZ_CHECK(tsmSelectorMatch(&one, "m", &l, zErr, nErr)==0);
    tsmLabelsFree(&l);
    free(zLong);
  }
  tsmSelectorFree(&s);
}

static void fuzzSeriesKey(const char *zA, const char *zB){
  char *zM = 0, *zL = 0, *zM2 = 0, *zL2 = 0, *zSel;
  TsmLabels l;
  TsmSelector s;
  int rc = tsmSeriesKey(zA, zB[0] ? zB : 0, &zM, &zL, zErr, nErr);
  checkErr(rc);
  if( rc ){
    FUZZ_CHECK(zM==0 && zL==0);
    return;
  }
  FUZZ_CHECK(tsmMetricValid(zM, strlen(zM)));
  tsmLabelsInit(&l);
  FUZZ_CHECK(tsmLabelsFromJson(&l, zL, zErr, nErr)==0);
  checkLabels(&l);
  free(checkCanonical(&l));

  /* the key is a fixed point */
  FUZZ_CHECK(tsmSeriesKey(zM, zL, &zM2, &zL2, zErr, nErr)==0);
  FUZZ_CHECK(strcmp(zM, zM2)==0 && strcmp(zL, zL2)==0);
  free(zM2);
  free(zL2);

  /* the same series in selector syntax */
  zSel = selectorText(zM, &l);
  FUZZ_CHECK(tsmSeriesKey(zSel, 0, &zM2, &zL2, zErr, nErr)==0);
  FUZZ_CHECK(strcmp(zM, zM2)==0 && strcmp(zL, zL2)==0);
  free(zM2);
  free(zL2);
  FUZZ_CHECK(tsmSelectorParse(zSel, &s, zErr, nErr)==0);
  FUZZ_CHECK(tsmSelectorMatch(&s, zM, &l, zErr, nErr)==1);
  tsmSelectorFree(&s);
  free(zSel);

  tsmLabelsFree(&l);
  free(zM);
  free(zL);
}

static void fuzzDuration(const char *zA){
  static const struct { const char *z; int64_t ms; } aUnit[] = {
    {"y", 31536000000LL}, {"w", 604800000LL}, {"d", 86400000LL},
    {"h", 3600000LL}, {"m", 60000LL}, {"s", 1000LL}, {"ms", 1LL},
  };
  int64_t ms = 0, ms2 = 0, r;
  char zBuf[200];
  size_t n = 0;
  int i;
  int rc = tsmDurationParse(zA, &ms, zErr, nErr);
  checkErr(rc);
  if( rc ) return;
  FUZZ_CHECK(ms>0);
  r = ms;
  for(i=0; i<7; i++){
    if( r>=aUnit[i].ms ){
      n += (size_t)snprintf(&zBuf[n], sizeof(zBuf)-n, "%lld%s",
                            (long long)(r/aUnit[i].ms), aUnit[i].z);
      r %= aUnit[i].ms;
    }
  }
  FUZZ_CHECK(tsmDurationParse(zBuf, &ms2, zErr, nErr)==0);
  FUZZ_CHECK(ms2==ms);
}

static void fuzzTime(const char *zA){
  int64_t ms = 0, ms2 = 0;
  char zBuf[32];
  int rc = tsmTimeParse(zA, &ms, zErr, nErr);
  checkErr(rc);
  if( rc ) return;
  /* 0000-01-01 minus 24h to 9999-12-31 plus 24h */
  FUZZ_CHECK(ms>=-62167219200000LL-86400000LL);
  FUZZ_CHECK(ms<253402300800000LL+86400000LL);
  tsmTimeFormat(ms, zBuf);
  FUZZ_CHECK(strlen(zBuf)<32);
  if( ms>=-62167219200000LL && ms<253402300800000LL ){
    FUZZ_CHECK(tsmTimeParse(zBuf, &ms2, zErr, nErr)==0);
    FUZZ_CHECK(ms2==ms);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData){
  char *zA = malloc(nData+2), *zB;
  size_t nA;
  FUZZ_CHECK(zA!=0);
  memcpy(zA, aData, nData);
  zA[nData] = 0;
  zA[nData+1] = 0;
  nA = strlen(zA);
  zB = &zA[nA<nData ? nA+1 : nData+1];

  /* mostly a roomy error buffer, sometimes a tiny one */
  nErr = (nData%5==1) ? (nData>0 ? aData[0]%24 : 0) : 512;
  zErr = nErr ? malloc(nErr) : 0;

  FUZZ_CHECK(tsmUtf8Valid((const char*)aData, nData)
             == refUtf8(aData, nData));

  fuzzJson(zA);
  fuzzSelector(zA, zB);
  fuzzSeriesKey(zA, zB);
  fuzzDuration(zA);
  fuzzTime(zA);
  if( nData>=8 ){
    int64_t ms;
    char zBuf[32];
    memcpy(&ms, aData, 8);
    tsmTimeFormat(ms, zBuf);
    FUZZ_CHECK(strlen(zBuf)<32);
  }

  free(zErr);
  free(zA);
  return 0;
}
