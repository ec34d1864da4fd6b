/* SPDX-License-Identifier: MIT */
/*
** test_format.c -- unit tests of ext/format.c: numbers, the writers (the
** remote-write protobuf byte by byte), OpenMetrics timestamps as
** Prometheus reads them, snappy, and the three readers.
*/
#include "format.h"
#include "unit.h"
#include <math.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>

static const char *outZ(TsmOut *p){
  tsmOutAppend(p, "", 1);
  p->n--;
  return p->a ? p->a : "";
}

static void testDouble(void){
  char z[32];
  tsmFmtDouble(z, 0.1);      CHECK_EQ_STR(z, "0.1");
  tsmFmtDouble(z, 1.0/3);    CHECK_EQ_STR(z, "0.3333333333333333");
  tsmFmtDouble(z, -0.0);     CHECK_EQ_STR(z, "-0");
  tsmFmtDouble(z, 1e-300);   CHECK_EQ_STR(z, "1e-300");
  tsmFmtDouble(z, 5e-324);   CHECK_EQ_STR(z, "4.94065645841247e-324");
  tsmFmtDouble(z, 1234567);  CHECK_EQ_STR(z, "1234567");
  tsmFmtDouble(z, 1.7976931348623157e308);
  CHECK_EQ_STR(z, "1.7976931348623157e+308");
  /* every double reads back */
  {
    int i, bad = 0;
    srand(15);
    for(i=0; i<100000; i++){
      uint64_t u = ((uint64_t)rand()<<40) ^ ((uint64_t)rand()<<20) ^ (uint64_t)rand();
      double v;
      memcpy(&v, &u, 8);
      if( !isfinite(v) ) continue;
      tsmFmtDouble(z, v);
      if( strtod(z, 0)!=v ) bad++;
    }
    CHECK_EQ_INT(bad, 0);
  }
}

/* OpenMetrics seconds: Prometheus takes int64(s*1000); tsm's text must
** give back every millisecond that way, and rounded too. */
static void testOmTimestamps(void){
  TsmOut o = {0};
  TsmLabels l;
  int i, bad = 0;
  tsmLabelsInit(&l);
  srand(7);
  for(i=0; i<200000; i++){
    int64_t ms = i<100000 ? 1767225600000LL + i
                          : ((int64_t)rand()*1000 + rand()%1000) % 253402300799999LL;
    double v = 1, d;
    const char *z;
    o.n = 0;
    tsmOmSamples(&o, "m", &l, &ms, &v, 1);
    z = strrchr(outZ(&o), ' ');
    d = strtod(z+1, 0)*1000.0;
    if( (int64_t)d!=ms || (int64_t)llround(d)!=ms ) bad++;
  }
  CHECK_EQ_INT(bad, 0);
  tsmOutFree(&o);
}

static void testWriters(void){
  TsmOut o = {0};
  TsmLabels l;
  char zErr[200];
  int64_t aTs[3] = { 1767225600000LL, 1767225600001LL, 1767225600002LL };
  double aVal[3] = { 1.5, NAN, INFINITY };
  tsmLabelsInit(&l);
  tsmLabelsAdd(&l, "b", "x \"y\"\n,=\\", zErr, sizeof(zErr));
  tsmLabelsAdd(&l, "a", "1", zErr, sizeof(zErr));

  tsmOmFamily(&o, "req_total", TSM_TYPE_COUNTER, "Requests \"served\"\n");
  tsmOmFamily(&o, "temp", TSM_TYPE_COUNTER, 0);
  tsmOmFamily(&o, "temp", TSM_TYPE_GAUGE, 0);
  tsmOmSamples(&o, "m", &l, aTs, aVal, 3);
  CHECK_EQ_STR(outZ(&o),
    "# TYPE req counter\n# HELP req Requests \\\"served\\\"\\n\n"
    "# TYPE temp unknown\n# TYPE temp gauge\n"
    "m{a=\"1\",b=\"x \\\"y\\\"\\n,=\\\\\"} 1.5 1767225600.000\n"
    "m{a=\"1\",b=\"x \\\"y\\\"\\n,=\\\\\"} NaN 1767225600.001\n"
    "m{a=\"1\",b=\"x \\\"y\\\"\\n,=\\\\\"} +Inf 1767225600.002\n");

  o.n = 0;
  tsmJsonlLine(&o, "m", &l, aTs, aVal, 3);
  CHECK_EQ_STR(outZ(&o),
    "{\"metric\":{\"__name__\":\"m\",\"a\":\"1\",\"b\":\"x \\\"y\\\"\\n,=\\\\\"},"
    "\"values\":[1.5,Inf],\"timestamps\":[1767225600000,1767225600002]}\n");
  o.n = 0;
  tsmJsonlLine(&o, "m", &l, &aTs[1], &aVal[1], 1);    /* NaN only: nothing */
  CHECK_EQ_INT(o.n, 0);

  CHECK_EQ_INT(tsmInfluxLines(&o, "m", &l, aTs, aVal, 3, zErr, sizeof(zErr)), -1);
  CHECK_EQ_STR(zErr, "cannot write series m as influx: the value of label "
               "\"b\" holds a line break, which the line protocol cannot carry");
  tsmLabelsFree(&l);
  tsmLabelsAdd(&l, "b", "x y,z=w", zErr, sizeof(zErr));
  o.n = 0;
  CHECK_EQ_INT(tsmInfluxLines(&o, "m", &l, aTs, aVal, 3, zErr, sizeof(zErr)), 0);
  CHECK_EQ_STR(outZ(&o), "m,b=x\\ y\\,z\\=w value=1.5 1767225600000000000\n");
  o.n = 0;
  tsmInfluxLines(&o, "m", &l, &aTs[1], &aVal[1], 2, zErr, sizeof(zErr));
  CHECK_EQ_INT(o.n, 0);                                /* nothing finite */

  o.n = 0;
  tsmPromFamily(&o, "m", TSM_TYPE_UNTYPED, "a\\b\nc\"");
  tsmPromSample(&o, "m", &l, -0.0, 5, 1);
  tsmPromSample(&o, "m", &l, -INFINITY, 5, 0);
  CHECK_EQ_STR(outZ(&o), "# HELP m a\\\\b\\nc\"\n# TYPE m untyped\n"
               "m{b=\"x y,z=w\"} -0 5\nm{b=\"x y,z=w\"} -Inf\n");
  tsmLabelsFree(&l);
  tsmOutFree(&o);
}

/* remote-write, byte by byte */
static void testRemoteWrite(void){
  static const unsigned char aWant[] = {
    0x0a, 0x24,                                        /* TimeSeries, 36 */
      0x0a, 0x0d, 0x0a, 0x08, '_','_','n','a','m','e','_','_',
                  0x12, 0x01, 'm',                     /* __name__="m" */
      0x0a, 0x06, 0x0a, 0x01, 'a', 0x12, 0x01, 'b',    /* a="b" */
      0x12, 0x0b, 0x09, 0,0,0,0,0,0,0xf0,0x3f,         /* value 1.0 */
                  0x10, 0x01,                          /* timestamp 1 */
    0x1a, 0x08, 0x08, 0x01, 0x12, 0x01, 'm', 0x22, 0x01, 'h'  /* metadata */
  };
  static const unsigned char aNeg[] = {
    0x0a, 0x2d,
      0x0a, 0x06, 0x0a, 0x01, 'A', 0x12, 0x01, 'x',    /* A sorts first */
      0x0a, 0x0d, 0x0a, 0x08, '_','_','n','a','m','e','_','_',
                  0x12, 0x01, 'm',
      0x12, 0x14, 0x09, 0,0,0,0,0,0,0,0x80,            /* -0.0 */
                  0x10, 0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0xff,0x01
  };
  TsmOut o = {0}, c = {0};
  TsmLabels l;
  char zErr[100];
  int64_t ts = 1;
  double v = 1.0;
  char *aPlain;
  size_t nPlain = 0;
  tsmLabelsInit(&l);
  tsmLabelsAdd(&l, "a", "b", zErr, sizeof(zErr));
  tsmRwSeries(&o, "m", &l, &ts, &v, 1);
  tsmRwMetadata(&o, "m", TSM_TYPE_COUNTER, "h");
  CHECK_EQ_INT(o.n, sizeof(aWant));
  CHECK(o.n==sizeof(aWant) && memcmp(o.a, aWant, o.n)==0);

  CHECK_EQ_INT(tsmRwCompress(&o, &c), 0);
  CHECK(snappy_uncompressed_length(c.a, c.n, &nPlain)==SNAPPY_OK);
  CHECK_EQ_INT(nPlain, o.n);
  aPlain = malloc(nPlain);
  CHECK(snappy_uncompress(c.a, c.n, aPlain, &nPlain)==SNAPPY_OK
        && nPlain==o.n && memcmp(aPlain, o.a, o.n)==0);
  free(aPlain);

  tsmLabelsFree(&l);
  tsmLabelsAdd(&l, "A", "x", zErr, sizeof(zErr));
  o.n = 0;
  ts = -1;
  v = -0.0;
  tsmRwSeries(&o, "m", &l, &ts, &v, 1);
  CHECK_EQ_INT(o.n, sizeof(aNeg));
  CHECK(o.n==sizeof(aNeg) && memcmp(o.a, aNeg, o.n)==0);
  tsmLabelsFree(&l);
  tsmOutFree(&o);
  tsmOutFree(&c);
}

/* The readers: every sample as "metric labels ts value;" */
static TsmOut got;
static int collect(void *pArg, const char *zMetric, const TsmLabels *pL,
                   const int64_t *aTs, const double *aVal, int n){
  int i;
  char *zJson = tsmLabelsToJson(pL);
  (void)pArg;
  for(i=0; i<n; i++){
    char z[64];
    tsmOutStr(&got, zMetric);
    tsmOutStr(&got, zJson);
    if( aTs[i]==TSM_TS_NOW ) snprintf(z, sizeof(z), " now ");
    else snprintf(z, sizeof(z), " %lld ", (long long)aTs[i]);
    tsmOutStr(&got, z);
    tsmFmtDouble(z, aVal[i]);
    tsmOutStr(&got, isnan(aVal[i]) ? "NaN" : isinf(aVal[i]) ? (aVal[i]>0 ? "+Inf" : "-Inf") : z);
    tsmOutStr(&got, ";");
  }
  free(zJson);
  return 0;
}

static const char *parse(int eFormat, const char *z, int64_t *piLine,
                         char *zErr, size_t nErr){
  int rc;
  got.n = 0;
  zErr[0] = 0;
  rc = tsmParse(eFormat, z, strlen(z), collect, 0, piLine, zErr, nErr);
  if( rc ) return zErr;
  return outZ(&got);
}

static void testReaders(void){
  char zErr[200];
  int64_t iLine;
  CHECK_EQ_STR(parse(TSM_FMT_PROMETHEUS,
      "# HELP x y\r\n\r\nm{a=\"1\",b=\"q\\\"\\\\\\n\"} 1.5 -3\n"
      "m 2\t\n  n_total{} +Inf 4 # exemplar\n", &iLine, zErr, sizeof(zErr)),
      "m{\"a\":\"1\",\"b\":\"q\\\"\\\\\\n\"} -3 1.5;m{} now 2;n_total{} 4 +Inf;");
  CHECK_EQ_INT(iLine, 5);
  CHECK_EQ_STR(parse(TSM_FMT_PROMETHEUS, "m 1 1767225600.0005\nm -0 1.5\n# EOF\n",
                     &iLine, zErr, sizeof(zErr)),
      "m{} 1767225600001 1;m{} 1500 -0;");
  CHECK_EQ_STR(parse(TSM_FMT_PROMETHEUS, "m{a=\"1\"", &iLine, zErr, sizeof(zErr)),
      "expected ',' or '}' at column 8");
  CHECK_EQ_STR(parse(TSM_FMT_PROMETHEUS, "\nm{a=\"\\t\"} 1", &iLine, zErr, sizeof(zErr)),
      "invalid escape in label value at column 6: only \\\\, \\\" and \\n are allowed");
  CHECK_EQ_INT(iLine, 2);

  CHECK_EQ_STR(parse(TSM_FMT_INFLUX,
      "cpu,host=a\\ b,dc=x\\=y\\,z u=1,s=\"a b, c=\\\"d\\\"\",n=-3i,ok=T 1999999\n"
      "cpu u=0x1 -1\n", &iLine, zErr, sizeof(zErr)),
      "invalid value \"0x1\": must be a number");
  CHECK_EQ_INT(iLine, 2);
  CHECK_EQ_STR(parse(TSM_FMT_INFLUX,
      "cpu,host=a\\ b,dc=x\\=y\\,z u=1,s=\"a b, c=\\\"d\\\"\",n=-3i,ok=T 1999999\n"
      "mem free=2u -1\n", &iLine, zErr, sizeof(zErr)),
      "cpu_u{\"dc\":\"x=y,z\",\"host\":\"a b\"} 1 1;"
      "cpu_n{\"dc\":\"x=y,z\",\"host\":\"a b\"} 1 -3;"
      "cpu_ok{\"dc\":\"x=y,z\",\"host\":\"a b\"} 1 1;mem_free{} -1 2;");

  CHECK_EQ_STR(parse(TSM_FMT_JSONL,
      "{\"timestamps\":[1],\"metric\":{\"__name__\":\"m\"},\"values\":[1]}",
      &iLine, zErr, sizeof(zErr)),
      "\"values\" must come before \"timestamps\"");
  CHECK_EQ_STR(parse(TSM_FMT_JSONL,
      " {\"metric\":{\"__name__\":\"m\",\"a\":\"\\u00e9\\/\"},\"values\":[1,-Inf,NaN],"
      "\"timestamps\":[1,2,3]}\n\n", &iLine, zErr, sizeof(zErr)),
      "m{\"a\":\"\xc3\xa9/\"} 1 1;m{\"a\":\"\xc3\xa9/\"} 2 -Inf;m{\"a\":\"\xc3\xa9/\"} 3 NaN;");
  CHECK_EQ_STR(parse(TSM_FMT_JSONL,
      "{\"metric\":{\"__name__\":\"m\",\"a\":\"\\ud800\"},\"values\":[],\"timestamps\":[]}",
      &iLine, zErr, sizeof(zErr)),
      "invalid escape in string at column 37");
  tsmOutFree(&got);
}

int main(void){
  testDouble();
  testOmTimestamps();
  testWriters();
  testRemoteWrite();
  testReaders();
  return UNIT_DONE();
}
