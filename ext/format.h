/* SPDX-License-Identifier: MIT */
/*
** format.h -- the exchange formats of tsm_export and tsm_import: writing
** and reading OpenMetrics / Prometheus text, VictoriaMetrics JSON lines,
** InfluxDB line protocol and Prometheus remote-write 1.0.
**
** Pure C (libc, parse.c's label sets, libsnappy): no SQLite types, so it is
** unit-tested (test/unit/test_format.c) and fuzzed (test/fuzz/fuzz_format.c)
** on its own.  Memory: tsmMalloc()/tsmFree() (alloc.h).  Errors: as
** parse.h, a message without the "tsm: " prefix in (zErr, nErr).
*/
#ifndef TSM_FORMAT_H
#define TSM_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include "parse.h"

/* Formats: tsm_export writes the first four, tsm_import reads the last
** three. */
enum {
  TSM_FMT_OPENMETRICS,       /* OpenMetrics 1.0 text, ends "# EOF" */
  TSM_FMT_JSONL,             /* VictoriaMetrics /api/v1/import, /export */
  TSM_FMT_INFLUX,            /* InfluxDB line protocol */
  TSM_FMT_REMOTE_WRITE,      /* snappy-compressed prometheus.WriteRequest */
  TSM_FMT_PROMETHEUS         /* text exposition 0.0.4 or OpenMetrics */
};

/* Metric types, as remote-write's MetricMetadata numbers them. */
#define TSM_TYPE_UNTYPED 0
#define TSM_TYPE_COUNTER 1
#define TSM_TYPE_GAUGE   2

/* A growable byte buffer.  bOom is set (and appends stop) when tsmMalloc
** fails; the content is not NUL-terminated unless tsmOutStr0 is used. */
typedef struct TsmOut {
  char *a;
  size_t n, nAlloc;
  int bOom;
} TsmOut;
void tsmOutAppend(TsmOut *p, const void *a, size_t n);
void tsmOutStr(TsmOut *p, const char *z);
void tsmOutFree(TsmOut *p);

/* The shortest of %.15g, %.16g, %.17g that reads back as v (finite v),
** into z (at least 32 bytes).  Returns its length. */
int tsmFmtDouble(char *z, double v);

/*
** Writing.  A series is (zMetric, pLabels); its samples are written in
** pieces (aTs[i], aVal[i]) for i < n.  Each function appends to pOut.
*/
/* OpenMetrics: "# TYPE" and "# HELP" (zHelp may be NULL) of the family of
** zMetric, then samples "name{labels} value seconds.mmm".  The family of
** a counter is its name without "_total"; a counter whose name does not
** end in "_total", and an untyped metric, are declared "unknown". */
void tsmOmFamily(TsmOut *pOut, const char *zMetric, int eType,
                 const char *zHelp);
void tsmOmSamples(TsmOut *pOut, const char *zMetric, const TsmLabels *pL,
                  const int64_t *aTs, const double *aVal, int n);
/* Prometheus text exposition 0.0.4: "# HELP" and "# TYPE" of a metric,
** and one sample with its millisecond timestamp unless bTs is 0. */
void tsmPromFamily(TsmOut *pOut, const char *zMetric, int eType,
                   const char *zHelp);
void tsmPromSample(TsmOut *pOut, const char *zMetric, const TsmLabels *pL,
                   double v, int64_t ts, int bTs);
/* JSON line {"metric":{...},"values":[...],"timestamps":[...]}\n; NaN
** samples are left out (JSON has no NaN; VictoriaMetrics drops them). */
void tsmJsonlLine(TsmOut *pOut, const char *zMetric, const TsmLabels *pL,
                  const int64_t *aTs, const double *aVal, int n);
/* Line protocol "metric,tag=v value=1.5 <ns>\n"; NaN and infinities are
** left out (InfluxDB has no way to store them).  Returns -1 with zErr if
** a label value holds a newline or a carriage return, which the line
** protocol cannot carry. */
int tsmInfluxLines(TsmOut *pOut, const char *zMetric, const TsmLabels *pL,
                   const int64_t *aTs, const double *aVal, int n,
                   char *zErr, size_t nErr);
/* remote-write: append one TimeSeries (field 1 of WriteRequest) holding
** the samples, labels sorted with __name__, to the uncompressed body. */
void tsmRwSeries(TsmOut *pBody, const char *zMetric, const TsmLabels *pL,
                 const int64_t *aTs, const double *aVal, int n);
/* remote-write: append one MetricMetadata (field 3) for zMetric. */
void tsmRwMetadata(TsmOut *pBody, const char *zMetric, int eType,
                   const char *zHelp);
/* Snappy-compress (block format, as remote-write requires) pBody into
** pOut (replacing its content).  Returns 0, or -1 when out of memory. */
int tsmRwCompress(const TsmOut *pBody, TsmOut *pOut);

/*
** Reading.  The parser calls xSample once per series and line with n
** samples; aTs[i]==TSM_TS_NOW means "no timestamp" (the glue uses now).
** It returns 0 when all went well, -1 on a malformed line (message in
** zErr without the line number; *piLine is the 1-based line), or the
** first nonzero value xSample returned (then it stops at once).
*/
#define TSM_TS_NOW INT64_MIN
typedef int (*TsmSampleFn)(void *pArg, const char *zMetric,
                           const TsmLabels *pL, const int64_t *aTs,
                           const double *aVal, int n);
/* eFormat is TSM_FMT_PROMETHEUS, TSM_FMT_INFLUX or TSM_FMT_JSONL. */
int tsmParse(int eFormat, const char *z, size_t n, TsmSampleFn xSample,
             void *pArg, int64_t *piLine, char *zErr, size_t nErr);

#endif /* TSM_FORMAT_H */
