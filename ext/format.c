/* SPDX-License-Identifier: MIT */
/*
** format.c -- the exchange formats of tsm_export and tsm_import (see
** format.h): writers for OpenMetrics, VictoriaMetrics JSON lines, InfluxDB
** line protocol and Prometheus remote-write 1.0, and readers for the
** Prometheus text exposition / OpenMetrics, the line protocol and JSON
** lines.  Pure C: no SQLite types.
**
**   1. Buffers and numbers
**   2. Writers
**   3. remote-write: protobuf by hand, snappy from libsnappy
**   4. Readers
*/
#include "format.h"
#include "alloc.h"
#include <snappy-c.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/**************************************************************************
** 1. Buffers and numbers
*/
static int outReserve(TsmOut *p, size_t n){
  if( p->bOom ) return -1;
  if( p->n+n > p->nAlloc ){
    size_t nNew = p->nAlloc ? p->nAlloc*2 : 256;
    char *a;
    while( nNew < p->n+n ) nNew *= 2;
    a = tsmRealloc(p->a, nNew);
    if( a==0 ){ p->bOom = 1; return -1; }
    p->a = a;
    p->nAlloc = nNew;
  }
  return 0;
}

void tsmOutAppend(TsmOut *p, const void *a, size_t n){
  if( n==0 || outReserve(p, n) ) return;
  memcpy(&p->a[p->n], a, n);
  p->n += n;
}

void tsmOutStr(TsmOut *p, const char *z){
  tsmOutAppend(p, z, strlen(z));
}

static void outChar(TsmOut *p, char c){
  if( outReserve(p, 1)==0 ) p->a[p->n++] = c;
}

static void outPrintf(TsmOut *p, const char *zFmt, ...){
  char z[64];
  int n;
  va_list ap;
  va_start(ap, zFmt);
  n = vsnprintf(z, sizeof(z), zFmt, ap);
  va_end(ap);
  if( n>0 ) tsmOutAppend(p, z, (size_t)n<sizeof(z) ? (size_t)n : sizeof(z)-1);
}

void tsmOutFree(TsmOut *p){
  tsmFree(p->a);
  memset(p, 0, sizeof(*p));
}

int tsmFmtDouble(char *z, double v){
  int i, n = 0;
  for(i=15; i<=17; i++){
    n = snprintf(z, 32, "%.*g", i, v);
    if( strtod(z, 0)==v ) break;
  }
  return n;
}

/* Append v, spelling NaN and the infinities as zNan, zPos, zNeg. */
static void outDouble(TsmOut *p, double v, const char *zNan,
                      const char *zPos, const char *zNeg){
  char z[32];
  if( isnan(v) ) tsmOutStr(p, zNan);
  else if( isinf(v) ) tsmOutStr(p, v>0 ? zPos : zNeg);
  else tsmOutAppend(p, z, (size_t)tsmFmtDouble(z, v));
}

static int endsWith(const char *z, const char *zSuffix){
  size_t n = strlen(z), m = strlen(zSuffix);
  return n>=m && memcmp(&z[n-m], zSuffix, m)==0;
}

/**************************************************************************
** 2. Writers
*/

/* Append z with \\, \" and \n escaped (Prometheus and OpenMetrics label
** values and OpenMetrics help). */
static void outPromEscaped(TsmOut *p, const char *z){
  const char *zStart = z;
  for(; *z; z++){
    const char *zEsc = 0;
    if( *z=='\\' ) zEsc = "\\\\";
    else if( *z=='"' ) zEsc = "\\\"";
    else if( *z=='\n' ) zEsc = "\\n";
    if( zEsc ){
      tsmOutAppend(p, zStart, (size_t)(z-zStart));
      tsmOutStr(p, zEsc);
      zStart = z+1;
    }
  }
  tsmOutStr(p, zStart);
}

void tsmOmFamily(TsmOut *pOut, const char *zMetric, int eType,
                 const char *zHelp){
  size_t n = strlen(zMetric);
  const char *zType = "unknown";
  if( eType==TSM_TYPE_COUNTER && endsWith(zMetric, "_total") ){
    n -= 6;
    zType = "counter";
  }else if( eType==TSM_TYPE_GAUGE ){
    zType = "gauge";
  }
  tsmOutStr(pOut, "# TYPE ");
  tsmOutAppend(pOut, zMetric, n);
  outChar(pOut, ' ');
  tsmOutStr(pOut, zType);
  outChar(pOut, '\n');
  if( zHelp ){
    tsmOutStr(pOut, "# HELP ");
    tsmOutAppend(pOut, zMetric, n);
    outChar(pOut, ' ');
    outPromEscaped(pOut, zHelp);
    outChar(pOut, '\n');
  }
}

/* OpenMetrics timestamps are seconds.  Prometheus reads them as a double
** and takes int64(s*1000) (or rounds it); write ms/1000 with 3 decimals,
** and where the double of that text times 1000 falls just below ms, add a
** little (far less than 1 ms) until it no longer does. */
static void outOmTs(TsmOut *p, int64_t ms){
  static const char *const azExtra[] = { "", "001", "01", "1" };
  char z[48];
  unsigned long long a = ms<0 ? (unsigned long long)-(ms+1)+1
                              : (unsigned long long)ms;
  int i, n = 0;
  for(i=0; i<4; i++){
    double d;
    n = snprintf(z, sizeof(z), "%s%llu.%03llu%s", ms<0 ? "-" : "", a/1000,
                 a%1000, azExtra[i]);
    d = strtod(z, 0)*1000.0;
    if( (int64_t)d==ms && (int64_t)llround(d)==ms ) break;
  }
  tsmOutAppend(p, z, (size_t)n);
}

static void outPromSeries(TsmOut *p, const char *zMetric, const TsmLabels *pL){
  int j;
  tsmOutStr(p, zMetric);
  if( pL->n==0 ) return;
  for(j=0; j<pL->n; j++){
    outChar(p, j ? ',' : '{');
    tsmOutStr(p, pL->a[j].zName);
    tsmOutStr(p, "=\"");
    outPromEscaped(p, pL->a[j].zValue);
    outChar(p, '"');
  }
  outChar(p, '}');
}

void tsmOmSamples(TsmOut *pOut, const char *zMetric, const TsmLabels *pL,
                  const int64_t *aTs, const double *aVal, int n){
  size_t iStart = pOut->n, nPrefix;
  int i;
  if( n<=0 ) return;
  outPromSeries(pOut, zMetric, pL);
  outChar(pOut, ' ');
  nPrefix = pOut->n - iStart;
  for(i=0; i<n && !pOut->bOom; i++){
    if( i>0 ){
      if( outReserve(pOut, nPrefix) ) return;
      memcpy(&pOut->a[pOut->n], &pOut->a[iStart], nPrefix);
      pOut->n += nPrefix;
    }
    outDouble(pOut, aVal[i], "NaN", "+Inf", "-Inf");
    outChar(pOut, ' ');
    outOmTs(pOut, aTs[i]);
    outChar(pOut, '\n');
  }
}

void tsmPromFamily(TsmOut *pOut, const char *zMetric, int eType,
                   const char *zHelp){
  tsmOutStr(pOut, "# HELP ");
  tsmOutStr(pOut, zMetric);
  outChar(pOut, ' ');
  while( *zHelp ){                     /* the text format escapes \\ \n */
    if( *zHelp=='\\' ) tsmOutStr(pOut, "\\\\");
    else if( *zHelp=='\n' ) tsmOutStr(pOut, "\\n");
    else outChar(pOut, *zHelp);
    zHelp++;
  }
  tsmOutStr(pOut, "\n# TYPE ");
  tsmOutStr(pOut, zMetric);
  tsmOutStr(pOut, eType==TSM_TYPE_COUNTER ? " counter\n" :
                  eType==TSM_TYPE_GAUGE ? " gauge\n" : " untyped\n");
}

void tsmPromSample(TsmOut *pOut, const char *zMetric, const TsmLabels *pL,
                   double v, int64_t ts, int bTs){
  outPromSeries(pOut, zMetric, pL);
  outChar(pOut, ' ');
  outDouble(pOut, v, "NaN", "+Inf", "-Inf");
  if( bTs ) outPrintf(pOut, " %lld", (long long)ts);
  outChar(pOut, '\n');
}

/* Append z as a JSON string. */
static void outJsonString(TsmOut *p, const char *z){
  const char *zStart = z;
  outChar(p, '"');
  for(; *z; z++){
    unsigned char c = (unsigned char)*z;
    if( c=='"' || c=='\\' || c<0x20 ){
      char zEsc[8];
      tsmOutAppend(p, zStart, (size_t)(z-zStart));
      switch( c ){
        case '"':  tsmOutStr(p, "\\\""); break;
        case '\\': tsmOutStr(p, "\\\\"); break;
        case '\n': tsmOutStr(p, "\\n"); break;
        case '\t': tsmOutStr(p, "\\t"); break;
        case '\r': tsmOutStr(p, "\\r"); break;
        default:
          snprintf(zEsc, sizeof(zEsc), "\\u%04x", c);
          tsmOutStr(p, zEsc);
      }
      zStart = z+1;
    }
  }
  tsmOutStr(p, zStart);
  outChar(p, '"');
}

void tsmJsonlLine(TsmOut *pOut, const char *zMetric, const TsmLabels *pL,
                  const int64_t *aTs, const double *aVal, int n){
  int i, j, bAny = 0;
  for(i=0; i<n && isnan(aVal[i]); i++){}
  if( i==n ) return;                       /* nothing but NaN */
  tsmOutStr(pOut, "{\"metric\":{\"__name__\":");
  outJsonString(pOut, zMetric);
  for(j=0; j<pL->n; j++){
    outChar(pOut, ',');
    outJsonString(pOut, pL->a[j].zName);
    outChar(pOut, ':');
    outJsonString(pOut, pL->a[j].zValue);
  }
  tsmOutStr(pOut, "},\"values\":[");
  for(i=0; i<n; i++){
    if( isnan(aVal[i]) ) continue;
    if( bAny ) outChar(pOut, ',');
    outDouble(pOut, aVal[i], "", "Inf", "-Inf");
    bAny = 1;
  }
  tsmOutStr(pOut, "],\"timestamps\":[");
  for(i=0, bAny=0; i<n; i++){
    if( isnan(aVal[i]) ) continue;
    if( bAny ) outChar(pOut, ',');
    outPrintf(pOut, "%lld", (long long)aTs[i]);
    bAny = 1;
  }
  tsmOutStr(pOut, "]}\n");
}

/* Append a tag value of the line protocol: ',', '=' and ' ' escaped. */
static void outInfluxEscaped(TsmOut *p, const char *z){
  for(; *z; z++){
    if( *z==',' || *z=='=' || *z==' ' ) outChar(p, '\\');
    outChar(p, *z);
  }
}

int tsmInfluxLines(TsmOut *pOut, const char *zMetric, const TsmLabels *pL,
                   const int64_t *aTs, const double *aVal, int n,
                   char *zErr, size_t nErr){
  size_t iStart = pOut->n, nPrefix;
  int i, j, bFirst = 1;
  for(j=0; j<pL->n; j++){
    if( strpbrk(pL->a[j].zValue, "\n\r") ){
      snprintf(zErr, nErr, "cannot write series %s as influx: the value "
               "of label \"%s\" holds a line break, which the line "
               "protocol cannot carry", zMetric, pL->a[j].zName);
      return -1;
    }
  }
  /* Metric and label names need no escaping: [a-zA-Z0-9_:] only. */
  tsmOutStr(pOut, zMetric);
  for(j=0; j<pL->n; j++){
    outChar(pOut, ',');
    tsmOutStr(pOut, pL->a[j].zName);
    outChar(pOut, '=');
    outInfluxEscaped(pOut, pL->a[j].zValue);
  }
  tsmOutStr(pOut, " value=");
  nPrefix = pOut->n - iStart;
  for(i=0; i<n && !pOut->bOom; i++){
    int64_t ms = aTs[i];
    if( !isfinite(aVal[i]) ) continue;
    if( !bFirst ){
      if( outReserve(pOut, nPrefix) ) break;
      memcpy(&pOut->a[pOut->n], &pOut->a[iStart], nPrefix);
      pOut->n += nPrefix;
    }
    bFirst = 0;
    outDouble(pOut, aVal[i], "", "", "");
    if( ms>-9223372036854LL && ms<9223372036854LL ){
      outPrintf(pOut, " %lld\n", (long long)ms*1000000);
    }else{
      outPrintf(pOut, " %lld000000\n", (long long)ms);  /* out of range */
    }
  }
  if( bFirst ) pOut->n = iStart;        /* nothing finite: no prefix */
  return 0;
}

/**************************************************************************
** 3. remote-write 1.0 (prometheus/prompb/remote.proto, types.proto):
**
**   WriteRequest   { repeated TimeSeries timeseries = 1;
**                    repeated MetricMetadata metadata = 3; }
**   TimeSeries     { repeated Label labels = 1; repeated Sample samples = 2; }
**   Label          { string name = 1; string value = 2; }
**   Sample         { double value = 1; int64 timestamp = 2; }
**   MetricMetadata { MetricType type = 1; string metric_family_name = 2;
**                    string help = 4; string unit = 5; }
**
** Every field is written, zeros included (-0.0 must keep its sign).  The
** body is snappy-compressed in the block format.
*/
static size_t varintLen(uint64_t v){
  size_t n = 1;
  while( v>=0x80 ){ v >>= 7; n++; }
  return n;
}

static void outVarint(TsmOut *p, uint64_t v){
  unsigned char a[10];
  size_t n = 0;
  while( v>=0x80 ){ a[n++] = (unsigned char)(v|0x80); v >>= 7; }
  a[n++] = (unsigned char)v;
  tsmOutAppend(p, a, n);
}

/* A length-delimited field: tag byte, length, bytes. */
static void outBytesField(TsmOut *p, int iField, const char *z, size_t n){
  outChar(p, (char)(iField<<3 | 2));
  outVarint(p, n);
  tsmOutAppend(p, z, n);
}

static size_t rwLabelLen(const char *zName, const char *zValue){
  size_t a = strlen(zName), b = strlen(zValue);
  return 1+varintLen(a)+a + 1+varintLen(b)+b;
}

static void outRwLabel(TsmOut *p, const char *zName, const char *zValue){
  outChar(p, 0x0a);
  outVarint(p, rwLabelLen(zName, zValue));
  outBytesField(p, 1, zName, strlen(zName));
  outBytesField(p, 2, zValue, strlen(zValue));
}

static size_t rwSampleLen(int64_t ts){
  return 1+8 + 1+varintLen((uint64_t)ts);
}

void tsmRwSeries(TsmOut *pBody, const char *zMetric, const TsmLabels *pL,
                 const int64_t *aTs, const double *aVal, int n){
  size_t nSeries = 0, nLab;
  int i, j, bName = 0;
  nLab = rwLabelLen("__name__", zMetric);
  nSeries += 1+varintLen(nLab)+nLab;
  for(j=0; j<pL->n; j++){
    nLab = rwLabelLen(pL->a[j].zName, pL->a[j].zValue);
    nSeries += 1+varintLen(nLab)+nLab;
  }
  for(i=0; i<n; i++){
    size_t nS = rwSampleLen(aTs[i]);
    nSeries += 1+varintLen(nS)+nS;
  }
  outChar(pBody, 0x0a);
  outVarint(pBody, nSeries);
  /* Labels sorted by name, bytewise, __name__ among them. */
  for(j=0; j<=pL->n; j++){
    if( !bName && (j==pL->n || strcmp("__name__", pL->a[j].zName)<0) ){
      outRwLabel(pBody, "__name__", zMetric);
      bName = 1;
    }
    if( j<pL->n ) outRwLabel(pBody, pL->a[j].zName, pL->a[j].zValue);
  }
  for(i=0; i<n; i++){
    unsigned char a[8];
    uint64_t u;
    int k;
    outChar(pBody, 0x12);
    outVarint(pBody, rwSampleLen(aTs[i]));
    outChar(pBody, 0x09);
    memcpy(&u, &aVal[i], 8);
    for(k=0; k<8; k++){ a[k] = (unsigned char)(u>>(8*k)); }
    tsmOutAppend(pBody, a, 8);
    outChar(pBody, 0x10);
    outVarint(pBody, (uint64_t)aTs[i]);
  }
}

void tsmRwMetadata(TsmOut *pBody, const char *zMetric, int eType,
                   const char *zHelp){
  size_t nName = strlen(zMetric), nHelp = zHelp ? strlen(zHelp) : 0;
  size_t nMeta = 2 + 1+varintLen(nName)+nName;
  if( zHelp ) nMeta += 1+varintLen(nHelp)+nHelp;
  outChar(pBody, 0x1a);
  outVarint(pBody, nMeta);
  outChar(pBody, 0x08);
  outChar(pBody, (char)eType);
  outBytesField(pBody, 2, zMetric, nName);
  if( zHelp ) outBytesField(pBody, 4, zHelp, nHelp);
}

int tsmRwCompress(const TsmOut *pBody, TsmOut *pOut){
  size_t nMax = snappy_max_compressed_length(pBody->n);
  pOut->n = 0;
  if( pBody->bOom || outReserve(pOut, nMax) ) return -1;
  if( snappy_compress(pBody->a, pBody->n, pOut->a, &nMax)!=SNAPPY_OK ){
    return -1;
  }
  pOut->n = nMax;
  return 0;
}

/**************************************************************************
** 4. Readers
*/
typedef struct Parse {
  const char *z;             /* the current line */
  size_t n;                  /* its length */
  size_t i;                  /* position in it */
  char *zErr; size_t nErr;
  TsmLabels labels;
  TsmOut name, value, metric;   /* scratch */
  int64_t *aTs; double *aVal; int nArr, nArrAlloc;   /* jsonl */
  int bOm;                   /* OpenMetrics: timestamps in seconds */
} Parse;

static int perr(Parse *p, const char *zFmt, ...){
  va_list ap;
  va_start(ap, zFmt);
  vsnprintf(p->zErr, p->nErr, zFmt, ap);
  va_end(ap);
  return -1;
}

static int isBlank(char c){ return c==' ' || c=='\t'; }
static void skipBlank(Parse *p){
  while( p->i<p->n && isBlank(p->z[p->i]) ) p->i++;
}

/* Finish a scratch buffer as a C string. */
static const char *outZ(TsmOut *p){
  outChar(p, 0);
  if( p->bOom ) return 0;
  p->n--;
  return p->a;
}

/* Parse the number a[0..n): decimal, NaN, [+-]Inf(inity), as Go's
** strconv.ParseFloat reads them (case-insensitive specials). */
static int parseDouble(Parse *p, const char *a, size_t n, double *pV){
  char z[80], *zEnd;
  if( n==0 || n>=sizeof(z) ){
    return perr(p, "invalid value \"%.*s\": must be a number",
                (int)(n<60 ? n : 60), a);
  }
  memcpy(z, a, n);
  z[n] = 0;
  if( (z[0]=='+' && (z[1]=='n' || z[1]=='N')) ) zEnd = z;   /* +NaN */
  else *pV = strtod(z, &zEnd);
  if( zEnd!=z+n || (n>1 && z[0]=='0' && (z[1]=='x' || z[1]=='X')) ){
    return perr(p, "invalid value \"%s\": must be a number", z);
  }
  return 0;
}

static int parseInt64(Parse *p, const char *a, size_t n, const char *zWhat,
                      int64_t *pV){
  char z[32], *zEnd;
  long long v;
  if( n==0 || n>=sizeof(z) ) goto bad;
  memcpy(z, a, n);
  z[n] = 0;
  if( !((z[0]>='0' && z[0]<='9') || z[0]=='-' || z[0]=='+') ) goto bad;
  v = strtoll(z, &zEnd, 10);
  if( zEnd!=z+n || v==LLONG_MAX || v==LLONG_MIN ) goto bad;
  *pV = v;
  return 0;
 bad:
  return perr(p, "invalid %s \"%.*s\": must be an integer", zWhat,
              (int)(n<40 ? n : 40), a);
}

static int metricCheck(Parse *p, const char *z){
  if( !tsmMetricValid(z, strlen(z)) ){
    return perr(p, "invalid metric name \"%.100s\": must match "
                "[a-zA-Z_:][a-zA-Z0-9_:]*", z);
  }
  return 0;
}

static int labelAdd(Parse *p){
  const char *zName = outZ(&p->name), *zValue = outZ(&p->value);
  if( zName==0 || zValue==0 ) return perr(p, "out of memory");
  return tsmLabelsAdd(&p->labels, zName, zValue, p->zErr, p->nErr);
}

/* --- Prometheus text exposition 0.0.4 and OpenMetrics 1.0 ------------ */

/* A quoted label value with \\ \" \n escapes, into p->value. */
static int promQuoted(Parse *p){
  p->value.n = 0;
  if( p->i>=p->n || p->z[p->i]!='"' ){
    return perr(p, "expected '\"' at column %d", (int)p->i+1);
  }
  for(p->i++; p->i<p->n && p->z[p->i]!='"'; p->i++){
    char c = p->z[p->i];
    if( c=='\\' ){
      c = ++p->i<p->n ? p->z[p->i] : 0;
      if( c=='n' ) c = '\n';
      else if( c!='\\' && c!='"' ){
        return perr(p, "invalid escape in label value at column %d: only "
                    "\\\\, \\\" and \\n are allowed", (int)p->i);
      }
    }
    outChar(&p->value, c);
  }
  if( p->i>=p->n ) return perr(p, "unterminated label value");
  p->i++;
  return 0;
}

static int promLine(Parse *p, TsmSampleFn xSample, void *pArg, int *pRc){
  size_t iTok;
  double v;
  int64_t ts = TSM_TS_NOW;
  const char *zMetric;
  skipBlank(p);
  if( p->i>=p->n || p->z[p->i]=='#' ) return 0;
  tsmLabelsFree(&p->labels);
  p->metric.n = 0;
  while( p->i<p->n && p->z[p->i]!='{' && !isBlank(p->z[p->i]) ){
    outChar(&p->metric, p->z[p->i++]);
  }
  if( (zMetric = outZ(&p->metric))==0 ) return perr(p, "out of memory");
  if( metricCheck(p, zMetric) ) return -1;
  if( p->i<p->n && p->z[p->i]=='{' ){
    p->i++;
    for(;;){
      skipBlank(p);
      if( p->i<p->n && p->z[p->i]=='}' ){ p->i++; break; }
      p->name.n = 0;
      while( p->i<p->n && p->z[p->i]!='=' && !isBlank(p->z[p->i])
          && p->z[p->i]!='}' && p->z[p->i]!=',' ){
        outChar(&p->name, p->z[p->i++]);
      }
      skipBlank(p);
      if( p->i>=p->n || p->z[p->i]!='=' ){
        return perr(p, "expected '=' after label name \"%.*s\"",
                    (int)(p->name.n<60 ? p->name.n : 60), p->name.a);
      }
      p->i++;
      skipBlank(p);
      if( promQuoted(p) || labelAdd(p) ) return -1;
      skipBlank(p);
      if( p->i<p->n && p->z[p->i]==',' ){ p->i++; continue; }
      if( p->i<p->n && p->z[p->i]=='}' ){ p->i++; break; }
      return perr(p, "expected ',' or '}' at column %d", (int)p->i+1);
    }
  }
  if( p->i>=p->n || !isBlank(p->z[p->i]) ){
    return perr(p, "expected a space and a value after the series");
  }
  skipBlank(p);
  for(iTok=p->i; p->i<p->n && !isBlank(p->z[p->i]); p->i++){}
  if( parseDouble(p, &p->z[iTok], p->i-iTok, &v) ) return -1;
  skipBlank(p);
  if( p->i<p->n && p->z[p->i]!='#' ){
    for(iTok=p->i; p->i<p->n && !isBlank(p->z[p->i]); p->i++){}
    if( p->bOm ){
      double s;
      if( parseDouble(p, &p->z[iTok], p->i-iTok, &s) ) return -1;
      s = floor(s*1000.0+0.5);
      if( !(s>-9.2e18 && s<9.2e18) ){
        return perr(p, "invalid timestamp \"%.*s\"",
                    (int)(p->i-iTok<40 ? p->i-iTok : 40), &p->z[iTok]);
      }
      ts = (int64_t)s;
    }else if( parseInt64(p, &p->z[iTok], p->i-iTok, "timestamp", &ts) ){
      return -1;
    }
    skipBlank(p);
    if( p->i<p->n && p->z[p->i]!='#' ){     /* '#': an exemplar */
      return perr(p, "unexpected text after the timestamp at column %d",
                  (int)p->i+1);
    }
  }
  *pRc = xSample(pArg, zMetric, &p->labels, &ts, &v, 1);
  return 0;
}

/* --- InfluxDB line protocol ------------------------------------------ */

/* An element up to an unescaped character of zStop (or the end), with
** backslash escapes of ',', '=', ' ' and '\\' removed, into pOut. */
static void influxToken(Parse *p, TsmOut *pOut, const char *zStop){
  pOut->n = 0;
  while( p->i<p->n && !strchr(zStop, p->z[p->i]) ){
    char c = p->z[p->i];
    if( c=='\\' && p->i+1<p->n && strchr(",= \\", p->z[p->i+1]) ){
      c = p->z[++p->i];
    }
    outChar(pOut, c);
    p->i++;
  }
}

static int influxLine(Parse *p, TsmSampleFn xSample, void *pArg, int *pRc){
  size_t iFields, iTok, nMeasure;
  int64_t ts = TSM_TS_NOW;
  int bAny = 0;
  skipBlank(p);
  if( p->i>=p->n || p->z[p->i]=='#' ) return 0;
  tsmLabelsFree(&p->labels);
  influxToken(p, &p->metric, ", ");
  nMeasure = p->metric.n;
  if( nMeasure==0 ) return perr(p, "missing measurement");
  while( p->i<p->n && p->z[p->i]==',' ){
    p->i++;
    influxToken(p, &p->name, ",= ");
    if( p->i>=p->n || p->z[p->i]!='=' ){
      return perr(p, "expected '=' after tag key \"%.*s\"",
                  (int)(p->name.n<60 ? p->name.n : 60), p->name.a);
    }
    p->i++;
    influxToken(p, &p->value, ", ");
    if( labelAdd(p) ) return -1;
  }
  if( p->i>=p->n || p->z[p->i]!=' ' ) return perr(p, "missing fields");
  skipBlank(p);
  /* Fields: first find where they end (quoted strings may hold spaces),
  ** then read the timestamp, then record each numeric field. */
  iFields = p->i;
  while( p->i<p->n && !isBlank(p->z[p->i]) ){
    if( p->z[p->i]=='"' ){
      for(p->i++; p->i<p->n && p->z[p->i]!='"'; p->i++){
        if( p->z[p->i]=='\\' && p->i+1<p->n ) p->i++;
      }
      if( p->i>=p->n ) return perr(p, "unterminated string field");
    }else if( p->z[p->i]=='\\' && p->i+1<p->n ){
      p->i++;
    }
    p->i++;
  }
  iTok = p->i;
  skipBlank(p);
  if( p->i<p->n ){
    size_t i0 = p->i;
    while( p->i<p->n && !isBlank(p->z[p->i]) ) p->i++;
    if( parseInt64(p, &p->z[i0], p->i-i0, "timestamp", &ts) ) return -1;
    /* nanoseconds to milliseconds, rounding down */
    ts = ts/1000000 - (ts%1000000<0);
    skipBlank(p);
    if( p->i<p->n ) return perr(p, "unexpected text after the timestamp");
  }
  p->n = iTok;
  p->i = iFields;
  while( p->i<p->n ){
    double v = 0;
    int bNum = 1;
    const char *zMetric;
    influxToken(p, &p->name, "=, ");
    if( p->name.n==0 || p->i>=p->n || p->z[p->i]!='=' ){
      return perr(p, "expected field=value at column %d", (int)p->i+1);
    }
    p->i++;
    if( p->i<p->n && p->z[p->i]=='"' ){
      for(p->i++; p->i<p->n && p->z[p->i]!='"'; p->i++){
        if( p->z[p->i]=='\\' && p->i+1<p->n ) p->i++;
      }
      p->i++;
      bNum = 0;                        /* string fields are not samples */
    }else{
      size_t i0 = p->i, n;
      const char *a = &p->z[i0];
      while( p->i<p->n && p->z[p->i]!=',' ) p->i++;
      n = p->i-i0;
      if( n==1 && strchr("tTfF", a[0]) ){
        v = (a[0]=='t' || a[0]=='T');
      }else if( (n==4 && (!memcmp(a,"true",4) || !memcmp(a,"True",4)
                          || !memcmp(a,"TRUE",4))) ){
        v = 1;
      }else if( (n==5 && (!memcmp(a,"false",5) || !memcmp(a,"False",5)
                          || !memcmp(a,"FALSE",5))) ){
        v = 0;
      }else if( n>1 && (a[n-1]=='i' || a[n-1]=='u') ){
        int64_t iv;
        if( parseInt64(p, a, n-1, "integer field", &iv) ) return -1;
        if( a[n-1]=='u' && iv<0 ){
          return perr(p, "invalid unsigned field \"%.*s\"", (int)n, a);
        }
        v = (double)iv;
      }else if( parseDouble(p, a, n, &v) ){
        return -1;
      }
    }
    if( p->i<p->n ){
      if( p->z[p->i]!=',' ) return perr(p, "expected ',' between fields");
      p->i++;
    }
    if( !bNum ) continue;
    p->metric.n = nMeasure;
    outChar(&p->metric, '_');
    tsmOutAppend(&p->metric, p->name.a, p->name.n);
    if( (zMetric = outZ(&p->metric))==0 ) return perr(p, "out of memory");
    if( metricCheck(p, zMetric) ) return -1;
    bAny = 1;
    *pRc = xSample(pArg, zMetric, &p->labels, &ts, &v, 1);
    if( *pRc ) return 0;
  }
  (void)bAny;
  return 0;
}

/* --- VictoriaMetrics JSON lines ------------------------------------- */

static void jsonSkipSpace(Parse *p){
  while( p->i<p->n && strchr(" \t\r\n", p->z[p->i]) && p->z[p->i] ) p->i++;
}

static int jsonExpect(Parse *p, char c){
  jsonSkipSpace(p);
  if( p->i>=p->n || p->z[p->i]!=c ){
    return perr(p, "expected '%c' at column %d", c, (int)p->i+1);
  }
  p->i++;
  return 0;
}

static int hex4(const char *z, unsigned *pc){
  int k;
  *pc = 0;
  for(k=0; k<4; k++){
    char c = z[k];
    *pc <<= 4;
    if( c>='0' && c<='9' ) *pc |= (unsigned)(c-'0');
    else if( c>='a' && c<='f' ) *pc |= (unsigned)(c-'a'+10);
    else if( c>='A' && c<='F' ) *pc |= (unsigned)(c-'A'+10);
    else return -1;
  }
  return 0;
}

static void outUtf8(TsmOut *p, unsigned c){
  char a[4];
  size_t n;
  if( c<0x80 ){ a[0] = (char)c; n = 1; }
  else if( c<0x800 ){ a[0] = (char)(0xc0|c>>6); a[1] = (char)(0x80|(c&0x3f)); n = 2; }
  else if( c<0x10000 ){
    a[0] = (char)(0xe0|c>>12); a[1] = (char)(0x80|((c>>6)&0x3f));
    a[2] = (char)(0x80|(c&0x3f)); n = 3;
  }else{
    a[0] = (char)(0xf0|c>>18); a[1] = (char)(0x80|((c>>12)&0x3f));
    a[2] = (char)(0x80|((c>>6)&0x3f)); a[3] = (char)(0x80|(c&0x3f)); n = 4;
  }
  tsmOutAppend(p, a, n);
}

/* A JSON string into pOut. */
static int jsonString(Parse *p, TsmOut *pOut){
  pOut->n = 0;
  if( jsonExpect(p, '"') ) return -1;
  while( p->i<p->n && p->z[p->i]!='"' ){
    char c = p->z[p->i++];
    if( (unsigned char)c<0x20 ) return perr(p, "control character in string");
    if( c=='\\' ){
      unsigned u, u2;
      c = p->i<p->n ? p->z[p->i++] : 0;
      switch( c ){
        case '"': case '\\': case '/': break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case 'u':
          if( p->i+4>p->n || hex4(&p->z[p->i], &u) ) goto bad_escape;
          p->i += 4;
          if( u>=0xd800 && u<0xdc00 ){
            if( p->i+6>p->n || p->z[p->i]!='\\' || p->z[p->i+1]!='u'
             || hex4(&p->z[p->i+2], &u2) || u2<0xdc00 || u2>=0xe000 ){
              goto bad_escape;
            }
            p->i += 6;
            u = 0x10000 + ((u-0xd800)<<10) + (u2-0xdc00);
          }else if( u>=0xdc00 && u<0xe000 ){
            goto bad_escape;
          }
          outUtf8(pOut, u);
          continue;
        default:
          goto bad_escape;
      }
    }
    outChar(pOut, c);
  }
  if( p->i>=p->n ) return perr(p, "unterminated string");
  p->i++;
  return 0;
 bad_escape:
  return perr(p, "invalid escape in string at column %d", (int)p->i);
}

/* Skip any JSON value (for members we do not use). */
static int jsonSkip(Parse *p, int nDepth){
  jsonSkipSpace(p);
  if( nDepth>64 ) return perr(p, "nested too deeply");
  if( p->i>=p->n ) return perr(p, "expected a value");
  switch( p->z[p->i] ){
    case '"': return jsonString(p, &p->value);
    case '{': case '[': {
      char cEnd = p->z[p->i]=='{' ? '}' : ']';
      p->i++;
      jsonSkipSpace(p);
      if( p->i<p->n && p->z[p->i]==cEnd ){ p->i++; return 0; }
      for(;;){
        if( cEnd=='}' && (jsonString(p, &p->value) || jsonExpect(p, ':')) ){
          return -1;
        }
        if( jsonSkip(p, nDepth+1) ) return -1;
        jsonSkipSpace(p);
        if( p->i<p->n && p->z[p->i]==',' ){ p->i++; continue; }
        return jsonExpect(p, cEnd);
      }
    }
    default:
      while( p->i<p->n && !strchr(",]} \t\r", p->z[p->i]) ) p->i++;
      return 0;
  }
}

/* An array of numbers (bTs: integers) into p->aVal or p->aTs. */
static int jsonNumbers(Parse *p, int bTs, int *pn){
  int n = 0;
  if( jsonExpect(p, '[') ) return -1;
  jsonSkipSpace(p);
  if( p->i<p->n && p->z[p->i]==']' ){ p->i++; *pn = 0; return 0; }
  for(;;){
    size_t i0;
    jsonSkipSpace(p);
    i0 = p->i;
    while( p->i<p->n && !strchr(",] \t\r", p->z[p->i]) ) p->i++;
    if( n>=p->nArrAlloc ){
      int nNew = p->nArrAlloc ? p->nArrAlloc*2 : 64;
      int64_t *aTs = tsmRealloc(p->aTs, sizeof(int64_t)*(size_t)nNew);
      double *aVal;
      if( aTs ) p->aTs = aTs;
      aVal = aTs ? tsmRealloc(p->aVal, sizeof(double)*(size_t)nNew) : 0;
      if( aVal==0 ) return perr(p, "out of memory");
      p->aVal = aVal;
      p->nArrAlloc = nNew;
    }
    if( bTs ){
      if( n>=p->nArr ){
        return perr(p, "more timestamps than values");
      }
      if( parseInt64(p, &p->z[i0], p->i-i0, "timestamp", &p->aTs[n]) ){
        return -1;
      }
    }else{
      const char *a = &p->z[i0];
      size_t m = p->i-i0;
      if( m==4 && !memcmp(a, "null", 4) ){
        return perr(p, "invalid value null: must be a number");
      }
      if( parseDouble(p, a, m, &p->aVal[n]) ) return -1;
    }
    n++;
    jsonSkipSpace(p);
    if( p->i<p->n && p->z[p->i]==',' ){ p->i++; continue; }
    if( jsonExpect(p, ']') ) return -1;
    break;
  }
  *pn = n;
  return 0;
}

static int jsonlLine(Parse *p, TsmSampleFn xSample, void *pArg, int *pRc){
  int bMetric = 0, bValues = 0, bTs = 0, nTs = 0;
  const char *zMetric;
  jsonSkipSpace(p);
  if( p->i>=p->n ) return 0;
  tsmLabelsFree(&p->labels);
  p->metric.n = 0;
  p->nArr = 0;
  if( jsonExpect(p, '{') ) return -1;
  jsonSkipSpace(p);
  if( p->i<p->n && p->z[p->i]=='}' ){
    return perr(p, "missing \"metric\", \"values\" and \"timestamps\"");
  }
  for(;;){
    if( jsonString(p, &p->name) || jsonExpect(p, ':') ) return -1;
    if( p->name.n==6 && memcmp(p->name.a, "metric", 6)==0 ){
      int bName = 0;
      if( jsonExpect(p, '{') ) return -1;
      jsonSkipSpace(p);
      if( p->i<p->n && p->z[p->i]=='}' ) p->i++;
      else for(;;){
        if( jsonString(p, &p->name) || jsonExpect(p, ':') ) return -1;
        if( jsonString(p, &p->value) ) return -1;
        if( p->name.n==8 && memcmp(p->name.a, "__name__", 8)==0 ){
          tsmOutAppend(&p->metric, p->value.a, p->value.n);
          bName = 1;
        }else if( labelAdd(p) ){
          return -1;
        }
        jsonSkipSpace(p);
        if( p->i<p->n && p->z[p->i]==',' ){ p->i++; continue; }
        if( jsonExpect(p, '}') ) return -1;
        break;
      }
      if( !bName ) return perr(p, "the metric has no \"__name__\"");
      bMetric = 1;
    }else if( p->name.n==6 && memcmp(p->name.a, "values", 6)==0 ){
      if( bTs ) return perr(p, "\"values\" must come before \"timestamps\"");
      if( jsonNumbers(p, 0, &p->nArr) ) return -1;
      bValues = 1;
    }else if( p->name.n==10 && memcmp(p->name.a, "timestamps", 10)==0 ){
      if( !bValues ){
        return perr(p, "\"values\" must come before \"timestamps\"");
      }
      if( jsonNumbers(p, 1, &nTs) ) return -1;
      bTs = 1;
    }else if( jsonSkip(p, 0) ){
      return -1;
    }
    jsonSkipSpace(p);
    if( p->i<p->n && p->z[p->i]==',' ){ p->i++; continue; }
    if( jsonExpect(p, '}') ) return -1;
    break;
  }
  jsonSkipSpace(p);
  if( p->i<p->n ) return perr(p, "unexpected text after the object");
  if( !bMetric || !bValues || !bTs ){
    return perr(p, "missing \"%s\"", !bMetric ? "metric"
                : !bValues ? "values" : "timestamps");
  }
  if( nTs!=p->nArr ){
    return perr(p, "%d values but %d timestamps", p->nArr, nTs);
  }
  if( (zMetric = outZ(&p->metric))==0 ) return perr(p, "out of memory");
  if( metricCheck(p, zMetric) ) return -1;
  if( p->nArr>0 ) *pRc = xSample(pArg, zMetric, &p->labels, p->aTs, p->aVal,
                                 p->nArr);
  return 0;
}

/* 1 if the text ends with the line "# EOF" (OpenMetrics). */
static int isOpenMetrics(const char *z, size_t n){
  while( n>0 && strchr(" \t\r\n", z[n-1]) && z[n-1] ) n--;
  return n>=5 && memcmp(&z[n-5], "# EOF", 5)==0
      && (n==5 || z[n-6]=='\n');
}

int tsmParse(int eFormat, const char *z, size_t n, TsmSampleFn xSample,
             void *pArg, int64_t *piLine, char *zErr, size_t nErr){
  Parse s;
  size_t iPos = 0;
  int rc = 0, rcCb = 0;
  int (*xLine)(Parse*, TsmSampleFn, void*, int*) =
      eFormat==TSM_FMT_INFLUX ? influxLine :
      eFormat==TSM_FMT_JSONL ? jsonlLine : promLine;
  memset(&s, 0, sizeof(s));
  tsmLabelsInit(&s.labels);
  s.zErr = zErr;
  s.nErr = nErr;
  s.bOm = eFormat==TSM_FMT_PROMETHEUS && isOpenMetrics(z, n);
  *piLine = 0;
  while( iPos<n && rc==0 && rcCb==0 ){
    const char *zEol = memchr(&z[iPos], '\n', n-iPos);
    size_t nLine = zEol ? (size_t)(zEol-&z[iPos]) : n-iPos;
    ++*piLine;
    s.z = &z[iPos];
    s.n = nLine;
    if( s.n>0 && s.z[s.n-1]=='\r' ) s.n--;
    s.i = 0;
    if( memchr(s.z, 0, s.n) ){
      rc = perr(&s, "NUL byte in the text");
    }else{
      rc = xLine(&s, xSample, pArg, &rcCb);
    }
    iPos += nLine+1;
  }
  tsmLabelsFree(&s.labels);
  tsmOutFree(&s.name);
  tsmOutFree(&s.value);
  tsmOutFree(&s.metric);
  tsmFree(s.aTs);
  tsmFree(s.aVal);
  if( rc ) return -1;
  return rcCb;
}
