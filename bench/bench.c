/* SPDX-License-Identifier: MIT */
/*
** bench.c -- `make bench`: tsm against the tables users write themselves
** (and DuckDB), on one deterministic workload, side by side in one run.
**
** Usage (from bench/):
**     ./bench [--scale N] [--ext PATH] [--out DIR] [--nab DIR] [--no-duckdb]
**             [--no-vm]
**
** --scale N multiplies the samples per series of W1 (default 1: 100 series
** x 20,000 samples); --ext is the extension without its suffix (default
** ../dist/tsm); --out the directory for the databases (default out); --nab
** the NAB data (default ../../shared/data/nab-aws, beside the repository).
**
** What it does, in order:
**   1. generates W1 (workload.c) once;
**   2. for each SQLite contender, in a forked child: loads all of W1,
**      interleaved across series (sample i of series 0..99, then i+1),
**      100,000 samples per transaction, timing it and measuring the peak
**      RSS growth of the child; then, in another child, 20,000 samples in
**      autocommit mode into a fresh database;
**   3. in this process: checkpoints each loaded database and measures its
**      size, times q1, q2 and q3 (prepared once, repeated to >= 0.2 s, the
**      median counts), then the retention of the oldest half;
**   4. runs duckdb.mjs (node, @duckdb/node-api) on the same workload
**      written to a binary file, if it is installed; n/a otherwise;
**   5. runs vm.mjs (node), which starts Debian's victoria-metrics on
**      127.0.0.1 with its own data directory, imports the same workload
**      and times q1-q3 over HTTP; skipped with a reason when absent;
**   6. cross-checks the q1/q2/q3 results of every contender against the
**      WITHOUT ROWID table, then prints one markdown table with the ratios.
**
** Contenders.  All SQLite databases use journal_mode=WAL, synchronous=NORMAL
** and the default page cache; every statement is prepared once.
**   tsm            INSERT INTO tsm_samples(metric, labels, ts, value) and
**                  SELECT tsm_record(metric, value, labels, ts), with the
**                  metric and labels bound as text on every sample.
**   seed table     metrics(id INTEGER PRIMARY KEY AUTOINCREMENT, ...) with
**                  three indexes, as small daemons ship it today.
**   WITHOUT ROWID  samples(series_id, ts, value, PRIMARY KEY(series_id, ts))
**                  WITHOUT ROWID plus a series table; the application keeps
**                  the series ids it has seen in memory, as a careful user
**                  would (the best case for this table).
**   DuckDB         the same two tables (no primary key), loaded with the
**                  appender; see duckdb.mjs.
**   VictoriaMetrics  the Debian package, bulk-loaded through /api/v1/import;
**                  bytes of its whole data directory and of data/ alone,
**                  queries over HTTP on loopback (included in the times);
**                  see vm.mjs.  It keeps values to 12 significant digits, so
**                  its results are checked to a relative 1e-11.
**
** Queries.  Every query returns fixed columns so one reader can check it:
**   q1   (bucket, avg, min, max, count)             one series, 1 m buckets
**   q2   (series, bucket, avg, min, max, count)     every series, 1 h buckets
**   q3   (series, value)                            latest value per series
** where "series" is either the contender's integer series id or the metric
** name as text.  Parameters are bound by name (:id, :metric, :labels, :wan,
** :selector, :start, :end, :cutoff, :keep), so each contender's SQL uses
** only what it needs.
*/
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

#define BENCH_SEED        0x74736D2D62656E63ULL   /* "tsm-benc" */
#define BENCH_BATCH       100000   /* samples per transaction, figure 1 */
#define BENCH_AUTOCOMMIT  20000    /* samples in autocommit mode, figure 2 */
#define BENCH_MIN_SECONDS 0.2      /* repeat short queries at least this long */
#define BENCH_MIN_RUNS    3
#define BENCH_MAX_RUNS    2001
#define BENCH_BUDGET      3.0      /* stop repeating a slow query after this */
#define BENCH_ROUNDS      2        /* ingest rounds; the best one counts */
#define BENCH_Q1_SERIES   0        /* app_gauge_0 */
#define BENCH_W1_START    1767225600000LL

/* Columns of the table. */
enum { C_TSM, C_SEED, C_WR, C_DUCK, C_VM, N_COL };
static const char *azColName[N_COL] = {
  "tsm", "seed table", "WITHOUT ROWID", "DuckDB", "VictoriaMetrics"
};

/* How a figure compares: the ratio column always says how many times better
** tsm is, so bigger is better for tsm. */
enum { K_RATE, K_TIME, K_SIZE };

/* Rows of the table. */
enum {
  R_INGEST, R_INGEST_REC, R_AUTO, R_AUTO_REC, R_AUTO_PRUNE, R_BYTES, R_BYTES_NAB,
  R_DATA, R_DATA_NAB,
  R_Q1, R_Q1_TSMQ, R_Q2, R_Q2_TSMQ, R_Q3, R_Q3_LATEST, R_RETENTION, R_RSS,
  R_RSS_ABS,
  N_ROW
};
typedef struct Figure {
  const char *zName;
  int eKind;
  int iSame;          /* for baseline columns, repeat this row (-1: none) */
} Figure;
static const Figure aFigure[N_ROW] = {
  { "1. ingest, samples/s, 100,000 per transaction",         K_RATE, -1 },
  { "1b. ingest, samples/s, 100,000 per txn, tsm_record()",  K_RATE, R_INGEST },
  { "2. ingest, samples/s, autocommit (20,000 samples)",     K_RATE, -1 },
  { "2b. autocommit, tsm_record()",                          K_RATE, R_AUTO },
  { "2c. autocommit, policies, auto maintenance every 0.25 s", K_RATE, R_AUTO },
  { "3. bytes per sample, W1, after checkpoint",             K_SIZE, -1 },
  { "3b. bytes per sample, NAB real data (67,740 samples)",  K_SIZE, -1 },
  { "3c. bytes per sample of sample data, W1 (tsm: chunks and heads; VictoriaMetrics: data/)", K_SIZE, -1 },
  { "3d. bytes per sample of sample data, NAB", K_SIZE, -1 },
  { "4. q1: one series, 1 m buckets, ms",                    K_TIME, -1 },
  { "4b. q1 through tsm_query(), ms",                        K_TIME, R_Q1 },
  { "5. q2: every series, 1 h buckets, ms",                  K_TIME, -1 },
  { "5b. q2 through tsm_query(), ms",                        K_TIME, R_Q2 },
  { "6. q3: latest value of every series, ms",               K_TIME, -1 },
  { "6b. q3 through tsm_latest(), ms",                       K_TIME, R_Q3 },
  { "7. retention: drop the oldest half, ms",                K_TIME, -1 },
  { "8. peak RSS growth during ingest (fig. 1), MiB",        K_SIZE, -1 },
  { "8b. peak RSS of the ingest process, MiB (incl. W1 arrays)", K_SIZE, -1 },
};

/* Every measured number; NAN means n/a. */
static double aResult[N_ROW][N_COL];

/* Figure 2c: the share of the ingest time spent in automatic prunes, as
** tsm_stats() reports it (wall time on a shared machine is too noisy to
** show a few percent between two runs), and how many ran. */
static double gAutoPruneShare = NAN;
static long long gAutoPrunes = 0;

/* Schema, insert and queries of one SQLite contender. */
typedef struct Contender {
  int iCol;
  const char *zFile;        /* database stem under the out directory */
  int bTsm;                 /* needs the extension */
  const char *zSchema;      /* run on a fresh database, NULL for none */
  const char *zInsert;      /* one sample, figure 1 and 2 */
  const char *zInsertAlt;   /* the same through tsm_record(), or NULL */
  const char *zSeriesId;    /* application side: series id, or NULL */
  const char *zSeriesNew;   /* application side: create the series */
  const char *zSeriesMap;   /* (id, metric, labels) of every series or NULL */
  const char *zQ1, *zQ2, *zQ3;
  const char *zRetention;   /* DELETE ... :cutoff, NULL for a special case */
  const char *zCount;       /* number of samples stored */
  const char *zData;        /* bytes of sample data alone (3c, 3d), or NULL */
} Contender;

static const Contender aContender[] = {
  { C_TSM, "tsm", 1, 0,
    "INSERT INTO tsm_samples(metric, labels, ts, value) "
    "VALUES (:metric, :labels, :ts, :value)",
    "SELECT tsm_record(:metric, :value, :labels, :ts)",
    0, 0,
    "SELECT series_id, metric, labels FROM tsm_series",
    "SELECT ts/60000*60000 AS b, avg(value), min(value), max(value), count(*) "
    "FROM tsm_samples WHERE series_id=:id GROUP BY b",
    "SELECT series_id, ts/3600000*3600000 AS b, avg(value), min(value), "
    "max(value), count(*) FROM tsm_samples GROUP BY series_id, b",
    "SELECT series_id, last_value FROM tsm_series",
    0,
    "SELECT count(*) FROM tsm_samples",
    "SELECT (SELECT coalesce(sum(length(data)), 0) FROM tsm_chunks)"
    " + (SELECT coalesce(sum(length(data)), 0) FROM tsm_heads)" },

  { C_SEED, "seed", 0,
    "CREATE TABLE metrics(id INTEGER PRIMARY KEY AUTOINCREMENT, "
    "timestamp INTEGER, wan_name TEXT, metric_name TEXT, value REAL, "
    "labels TEXT, granularity TEXT DEFAULT 'raw');"
    "CREATE INDEX metrics_ts ON metrics(timestamp);"
    "CREATE INDEX metrics_name_ts ON metrics(metric_name, timestamp);"
    "CREATE INDEX metrics_wan_name_gran_ts "
    "ON metrics(wan_name, metric_name, granularity, timestamp);",
    "INSERT INTO metrics(timestamp, wan_name, metric_name, value, labels) "
    "VALUES (:ts, :wan, :metric, :value, :labels)",
    0, 0, 0, 0,
    "SELECT timestamp/60000*60000 AS b, avg(value), min(value), max(value), "
    "count(*) FROM metrics WHERE wan_name=:wan AND metric_name=:metric "
    "AND granularity='raw' GROUP BY b",
    "SELECT metric_name, timestamp/3600000*3600000 AS b, avg(value), "
    "min(value), max(value), count(*) FROM metrics WHERE granularity='raw' "
    "GROUP BY metric_name, labels, b",
    "SELECT metric_name, value, max(timestamp) FROM metrics "
    "WHERE granularity='raw' GROUP BY metric_name, labels",
    "DELETE FROM metrics WHERE timestamp < :cutoff",
    "SELECT count(*) FROM metrics", 0 },

  { C_WR, "wr", 0,
    "CREATE TABLE series(id INTEGER PRIMARY KEY, metric TEXT NOT NULL, "
    "labels TEXT NOT NULL, UNIQUE(metric, labels));"
    "CREATE TABLE samples(series_id INTEGER NOT NULL, ts INTEGER NOT NULL, "
    "value REAL, PRIMARY KEY(series_id, ts)) WITHOUT ROWID;",
    "INSERT OR REPLACE INTO samples(series_id, ts, value) "
    "VALUES (:id, :ts, :value)",
    0,
    "SELECT id FROM series WHERE metric=:metric AND labels=:labels",
    "INSERT OR IGNORE INTO series(metric, labels) VALUES (:metric, :labels)",
    "SELECT id, metric, labels FROM series",
    "SELECT ts/60000*60000 AS b, avg(value), min(value), max(value), count(*) "
    "FROM samples WHERE series_id=:id GROUP BY b",
    "SELECT series_id, ts/3600000*3600000 AS b, avg(value), min(value), "
    "max(value), count(*) FROM samples GROUP BY series_id, b",
    "SELECT id, (SELECT value FROM samples WHERE series_id=series.id "
    "ORDER BY ts DESC LIMIT 1) FROM series",
    "DELETE FROM samples WHERE ts < :cutoff",
    "SELECT count(*) FROM samples", 0 },
};
#define N_CONTENDER ((int)(sizeof(aContender)/sizeof(aContender[0])))

/*
** ---- tsm variants: extra rows for tsm features that may not exist yet ----
**
** Each statement is prepared first; if that fails (no such function or
** table yet) the row shows n/a and the reason goes to stderr.  To add a
** variant: add a row to the enum and aFigure above (iSame names the row
** whose baseline numbers it is compared with) and an entry here.  The
** statement must return the columns of the query it stands for (see the
** top of the file).
*/
typedef struct Variant {
  int iRow;
  int eQuery;               /* 1, 2 or 3: the result layout to check */
  const char *zSql;
} Variant;
static const Variant aVariant[] = {
  { R_Q1_TSMQ, 1,
    "SELECT ts, avg, min, max, count "
    "FROM tsm_query(:selector, :start, :end, '1m')" },
  { R_Q2_TSMQ, 2,
    "SELECT series_id, ts, avg, min, max, count "
    "FROM tsm_query('{__name__=~\"app_.+\"}', :start, :end, '1h')" },
  { R_Q3_LATEST, 3,
    "SELECT series_id, tsm_latest(metric, labels) FROM tsm_series" },
};
#define N_VARIANT ((int)(sizeof(aVariant)/sizeof(aVariant[0])))

/* Retention through tsm: a policy for raw data, then one prune. */
#define TSM_RETENTION_POLICY \
  "INSERT INTO tsm_retention(metric, resolution, keep) VALUES ('*', 'raw', :keep)"
#define TSM_RETENTION_PRUNE "SELECT tsm_prune()"

/* Figure 2c: figure 2 again with retention policies and a 1 m tier, and
** automatic maintenance (folding and pruning) every 0.25 s instead of
** every 5 s, so that a short run pays for it many times.  Every W1
** series starts with two samples an hour old, folded, so that the tier
** has state from the start (every commit then checks for late samples). */
#define TSM_AUTO_PRUNE_SETUP \
  "INSERT INTO tsm_retention(metric, resolution, keep) VALUES " \
  "('*', 'raw', '1m'), ('*', '1m', '1h');" \
  "SELECT tsm_auto('250ms');" \
  "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM s WHERE i<99) " \
  "INSERT INTO tsm_samples(metric, labels, ts, value) " \
  "SELECT 'app_' || CASE i%5 WHEN 0 THEN 'gauge' WHEN 1 THEN 'counter' " \
  "WHEN 2 THEN 'state' WHEN 3 THEN 'rate' ELSE 'ratio' END || '_' || (i/5), " \
  "json_object('dir', CASE i%2 WHEN 1 THEN 'down' ELSE 'up' END, 'host', 'h' || (i/2)), " \
  "1767225600000 - 3600000 + k*60000, 0 FROM s, (SELECT 0 AS k UNION ALL SELECT 1);" \
  "SELECT tsm_downsample();"

/* ---- the run's shared state ---------------------------------------------- */
typedef struct Bench {
  int scale;
  const char *zExt;         /* extension path, without suffix */
  const char *zOut;         /* output directory */
  int bDuck;                /* try DuckDB */
  int bVm;                  /* try VictoriaMetrics */
  BenchSeries *aSeries;     /* W1 */
  int nSeries;
  int nPer;                 /* samples per series */
  int64_t nTotal;           /* samples in W1 */
  BenchSeries *aNab;        /* NAB real data, or NULL */
  int nNab;
  int64_t nNabTotal;
  char azWan[128][32];      /* "host" label of each W1 series (seed table) */
  int64_t iStart, iEnd;     /* [start, end) of W1 */
  int64_t iCutoff;          /* retention: keep ts >= iCutoff */
  char zTsmVersion[64];
  char azVersion[N_COL][64];  /* of the contenders run through node */
  int nWarn;
} Bench;

/* A result row of q1/q2/q3, mapped to the workload's series index. */
typedef struct QRow {
  int s;
  int64_t b;
  int64_t n;
  double mn, mx, avg;
} QRow;
typedef struct QResult {
  QRow *a;
  int n, nAlloc;
  int bBad;                 /* a row could not be mapped to a series */
} QResult;

/* A map from a contender's series id to the workload's series index. */
typedef struct SeriesMap {
  int64_t aId[256];
  int aS[256];
  int n;
} SeriesMap;

/* ---- small helpers ------------------------------------------------------- */
static double benchNow(void){
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void benchWarn(Bench *p, const char *zFmt, ...){
  va_list ap;
  va_start(ap, zFmt);
  fprintf(stderr, "bench: WARNING: ");
  vfprintf(stderr, zFmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  if( p ) p->nWarn++;
}

static void benchNote(const char *zFmt, ...){
  va_list ap;
  va_start(ap, zFmt);
  fprintf(stderr, "bench: ");
  vfprintf(stderr, zFmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
}

static void *benchAlloc(size_t n){
  void *p = malloc(n ? n : 1);
  if( p==0 ){
    fprintf(stderr, "bench: out of memory\n");
    exit(1);
  }
  return p;
}

static char *benchPath(const Bench *p, const char *zStem, const char *zSuffix){
  size_t n = strlen(p->zOut) + strlen(zStem) + strlen(zSuffix) + 2;
  char *z = benchAlloc(n);
  snprintf(z, n, "%s/%s%s", p->zOut, zStem, zSuffix);
  return z;
}

/* Remove a database and its -wal and -shm files. */
static void benchRemoveDb(const char *zDb){
  char z[1024];
  unlink(zDb);
  snprintf(z, sizeof(z), "%s-wal", zDb); unlink(z);
  snprintf(z, sizeof(z), "%s-shm", zDb); unlink(z);
  snprintf(z, sizeof(z), "%s-journal", zDb); unlink(z);
}

static int64_t benchFileSize(const char *z){
  struct stat st;
  if( stat(z, &st)!=0 ) return 0;
  return (int64_t)st.st_size;
}

/* One value in kB of /proc/self/status ("VmRSS", "VmHWM"), or -1. */
static long benchProcStatus(const char *zKey){
  FILE *f = fopen("/proc/self/status", "r");
  char zLine[256];
  long v = -1;
  size_t n = strlen(zKey);
  if( f==0 ) return -1;
  while( fgets(zLine, sizeof(zLine), f) ){
    if( strncmp(zLine, zKey, n)==0 && zLine[n]==':' ){
      v = strtol(zLine + n + 1, 0, 10);
      break;
    }
  }
  fclose(f);
  return v;
}

/* Reset the peak-RSS mark of this process (Linux >= 4.0); 0 on success. */
static int benchResetPeak(void){
  int fd = open("/proc/self/clear_refs", O_WRONLY);
  int rc = 1;
  if( fd>=0 ){
    rc = write(fd, "5", 1)==1 ? 0 : 1;
    close(fd);
  }
  return rc;
}

/* ---- SQLite plumbing ----------------------------------------------------- */

/* Open zDb with the pragmas every contender uses; load tsm if bTsm. */
static int benchOpen(const Bench *p, const char *zDb, int bTsm,
                     sqlite3 **ppDb, char *zErr, int nErr){
  sqlite3 *db = 0;
  char *zMsg = 0;
  int rc = sqlite3_open(zDb, &db);
  if( rc==SQLITE_OK ){
    rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                      0, 0, &zMsg);
  }
  if( rc==SQLITE_OK && bTsm ){
    sqlite3_enable_load_extension(db, 1);
    rc = sqlite3_load_extension(db, p->zExt, "sqlite3_tsm_init", &zMsg);
  }
  if( rc!=SQLITE_OK ){
    snprintf(zErr, (size_t)nErr, "%s: %s", zDb,
             zMsg ? zMsg : (db ? sqlite3_errmsg(db) : "cannot open"));
    sqlite3_free(zMsg);
    sqlite3_close(db);
    *ppDb = 0;
    return rc ? rc : SQLITE_ERROR;
  }
  *ppDb = db;
  return SQLITE_OK;
}

static int benchPrepare(sqlite3 *db, const char *zSql, sqlite3_stmt **pp,
                        char *zErr, int nErr){
  int rc = sqlite3_prepare_v2(db, zSql, -1, pp, 0);
  if( rc!=SQLITE_OK ){
    snprintf(zErr, (size_t)nErr, "%s  [in: %.60s...]", sqlite3_errmsg(db), zSql);
  }
  return rc;
}

static int benchExec(sqlite3 *db, const char *zSql, char *zErr, int nErr){
  char *zMsg = 0;
  int rc = sqlite3_exec(db, zSql, 0, 0, &zMsg);
  if( rc!=SQLITE_OK ){
    snprintf(zErr, (size_t)nErr, "%s", zMsg ? zMsg : sqlite3_errstr(rc));
  }
  sqlite3_free(zMsg);
  return rc;
}

static void benchBindText(sqlite3_stmt *pStmt, const char *zName, const char *z){
  int i = sqlite3_bind_parameter_index(pStmt, zName);
  if( i>0 ) sqlite3_bind_text(pStmt, i, z, -1, SQLITE_STATIC);
}
static void benchBindInt(sqlite3_stmt *pStmt, const char *zName, int64_t v){
  int i = sqlite3_bind_parameter_index(pStmt, zName);
  if( i>0 ) sqlite3_bind_int64(pStmt, i, v);
}
static void benchBindDouble(sqlite3_stmt *pStmt, const char *zName, double v){
  int i = sqlite3_bind_parameter_index(pStmt, zName);
  if( i>0 ) sqlite3_bind_double(pStmt, i, v);
}

/* A single integer from zSql, or -1. */
static int64_t benchQueryInt(sqlite3 *db, const char *zSql){
  sqlite3_stmt *pStmt = 0;
  int64_t v = -1;
  if( sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0)==SQLITE_OK
   && sqlite3_step(pStmt)==SQLITE_ROW ){
    v = sqlite3_column_int64(pStmt, 0);
  }
  sqlite3_finalize(pStmt);
  return v;
}

/* ---- ingest -------------------------------------------------------------- */

/* One ingest run, executed in a child process. */
typedef struct Ingest {
  const Contender *pC;
  int bAlt;                 /* use zInsertAlt (tsm_record) */
  BenchSeries *aSeries;
  int nSeries;
  int64_t nSample;          /* how many of the interleaved samples */
  int nBatch;               /* samples per transaction, 0 for autocommit */
  const char *zDb;
  int bSeedWanFromLabels;
  const char *zSetup;       /* run before the timing (figure 2c), or NULL */
} Ingest;

/* What a child reports through its pipe. */
typedef struct ChildResult {
  int rc;
  double seconds;
  double cpu;               /* user + system seconds of the whole child */
  long rssStartKb;
  long hwmKb;
  int bPeakReset;
  int64_t nStored;
  double pruneMs;           /* figure 2c: tsm_stats() auto_prune_ms */
  long long nPrunes;        /* ... auto_prunes */
  char zErr[512];
} ChildResult;

/* The "host" label value of a W1/NAB labels text, or the metric name. */
static void benchWanName(const BenchSeries *pS, char *zOut, int nOut){
  const char *z = strstr(pS->zLabels, "\"host\":\"");
  if( z==0 ) z = strstr(pS->zLabels, "\"instance\":\"");
  if( z ){
    const char *zVal = strchr(z + 1, ':') + 2;
    const char *zEnd = strchr(zVal, '"');
    int n = zEnd ? (int)(zEnd - zVal) : 0;
    if( n >= nOut ) n = nOut - 1;
    memcpy(zOut, zVal, (size_t)n);
    zOut[n] = 0;
  }else{
    snprintf(zOut, (size_t)nOut, "%s", "default");
  }
}

static int benchIngestRun(const Bench *pB, const Ingest *pI, ChildResult *pR){
  const Contender *pC = pI->pC;
  sqlite3 *db = 0;
  sqlite3_stmt *pIns = 0, *pSid = 0, *pSnew = 0, *pBegin = 0, *pCommit = 0;
  int64_t *aId = 0;
  char (*azWan)[32] = 0;
  int64_t k, nDone = 0, iMax = 0;
  double t0, t1;
  int rc, s;
  char *zErr = pR->zErr;
  int nErr = (int)sizeof(pR->zErr);

  benchRemoveDb(pI->zDb);
  for(s = 0; s < pI->nSeries; s++){
    if( pI->aSeries[s].n > iMax ) iMax = pI->aSeries[s].n;
  }
  aId = benchAlloc(sizeof(int64_t) * (size_t)pI->nSeries);
  azWan = benchAlloc(sizeof(azWan[0]) * (size_t)pI->nSeries);
  for(s = 0; s < pI->nSeries; s++){
    aId[s] = -1;
    benchWanName(&pI->aSeries[s], azWan[s], (int)sizeof(azWan[0]));
  }

  pR->rssStartKb = benchProcStatus("VmRSS");
  pR->bPeakReset = benchResetPeak()==0;
  if( pR->bPeakReset ) pR->rssStartKb = benchProcStatus("VmRSS");

  rc = benchOpen(pB, pI->zDb, pC->bTsm, &db, zErr, nErr);
  if( rc==SQLITE_OK && pC->zSchema ) rc = benchExec(db, pC->zSchema, zErr, nErr);
  if( rc==SQLITE_OK && pI->zSetup ) rc = benchExec(db, pI->zSetup, zErr, nErr);
  if( rc==SQLITE_OK ){
    rc = benchPrepare(db, pI->bAlt ? pC->zInsertAlt : pC->zInsert, &pIns, zErr, nErr);
  }
  if( rc==SQLITE_OK && pC->zSeriesId ){
    rc = benchPrepare(db, pC->zSeriesId, &pSid, zErr, nErr);
    if( rc==SQLITE_OK ) rc = benchPrepare(db, pC->zSeriesNew, &pSnew, zErr, nErr);
  }
  if( rc==SQLITE_OK ) rc = benchPrepare(db, "BEGIN", &pBegin, zErr, nErr);
  if( rc==SQLITE_OK ) rc = benchPrepare(db, "COMMIT", &pCommit, zErr, nErr);

  t0 = benchNow();
  for(k = 0; rc==SQLITE_OK && nDone < pI->nSample; k++){
    int64_t i = k / pI->nSeries;
    const BenchSeries *pS;
    s = (int)(k % pI->nSeries);
    pS = &pI->aSeries[s];
    if( i >= pS->n ){
      if( i >= iMax ) break;
      continue;                     /* a shorter series (NAB) has ended */
    }
    if( pI->nBatch && (nDone % pI->nBatch)==0 ){
      rc = sqlite3_step(pBegin);
      sqlite3_reset(pBegin);
      if( rc!=SQLITE_DONE ) break;
      rc = SQLITE_OK;
    }
    if( pSid && aId[s] < 0 ){
      /* The application learns each series id once and keeps it. */
      benchBindText(pSnew, ":metric", pS->zMetric);
      benchBindText(pSnew, ":labels", pS->zLabels);
      rc = sqlite3_step(pSnew);
      sqlite3_reset(pSnew);
      if( rc!=SQLITE_DONE ) break;
      benchBindText(pSid, ":metric", pS->zMetric);
      benchBindText(pSid, ":labels", pS->zLabels);
      rc = sqlite3_step(pSid);
      if( rc==SQLITE_ROW ) aId[s] = sqlite3_column_int64(pSid, 0);
      sqlite3_reset(pSid);
      if( rc!=SQLITE_ROW ) break;
      rc = SQLITE_OK;
    }
    benchBindText(pIns, ":metric", pS->zMetric);
    benchBindText(pIns, ":labels", pS->zLabels);
    benchBindText(pIns, ":wan", azWan[s]);
    benchBindInt(pIns, ":id", aId[s]);
    benchBindInt(pIns, ":ts", pS->aTs[i]);
    benchBindDouble(pIns, ":value", pS->aVal[i]);
    rc = sqlite3_step(pIns);
    sqlite3_reset(pIns);
    if( rc!=SQLITE_DONE && rc!=SQLITE_ROW ) break;
    rc = SQLITE_OK;
    nDone++;
    if( pI->nBatch && (nDone % pI->nBatch)==0 ){
      rc = sqlite3_step(pCommit);
      sqlite3_reset(pCommit);
      if( rc!=SQLITE_DONE ) break;
      rc = SQLITE_OK;
    }
  }
  if( rc==SQLITE_OK && sqlite3_get_autocommit(db)==0 ){
    rc = sqlite3_step(pCommit)==SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
  }
  t1 = benchNow();
  if( rc!=SQLITE_OK && rc!=SQLITE_DONE && zErr[0]==0 ){
    snprintf(zErr, (size_t)nErr, "%s", sqlite3_errmsg(db));
  }
  pR->seconds = t1 - t0;
  pR->hwmKb = benchProcStatus("VmHWM");
  {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    if( pR->hwmKb < 0 ) pR->hwmKb = ru.ru_maxrss;
    pR->cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6
            + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
  }
  sqlite3_finalize(pIns);
  sqlite3_finalize(pSid);
  sqlite3_finalize(pSnew);
  sqlite3_finalize(pBegin);
  sqlite3_finalize(pCommit);
  if( db && rc==SQLITE_OK ) pR->nStored = benchQueryInt(db, pC->zCount);
  if( db && rc==SQLITE_OK && pI->zSetup ){
    sqlite3_stmt *pStats = 0;
    if( sqlite3_prepare_v2(db, "SELECT tsm_stats() ->> '$.auto_prune_ms', "
                           "tsm_stats() ->> '$.auto_prunes'", -1, &pStats, 0)==SQLITE_OK
     && sqlite3_step(pStats)==SQLITE_ROW ){
      pR->pruneMs = sqlite3_column_double(pStats, 0);
      pR->nPrunes = sqlite3_column_int64(pStats, 1);
    }
    sqlite3_finalize(pStats);
  }
  sqlite3_close(db);
  free(aId);
  free(azWan);
  pR->rc = rc==SQLITE_DONE ? SQLITE_OK : rc;
  return pR->rc;
}

/* Run one ingest in a forked child, so that its memory and its heap are its
** own.  Returns the child's report (rc!=0 and zErr on failure). */
static void benchIngestChild(const Bench *pB, const Ingest *pI, ChildResult *pR){
  int aFd[2];
  pid_t pid;
  memset(pR, 0, sizeof(*pR));
  fflush(stdout);
  fflush(stderr);
  if( pipe(aFd)!=0 ){
    pR->rc = 1;
    snprintf(pR->zErr, sizeof(pR->zErr), "pipe: %s", strerror(errno));
    return;
  }
  pid = fork();
  if( pid<0 ){
    pR->rc = 1;
    snprintf(pR->zErr, sizeof(pR->zErr), "fork: %s", strerror(errno));
    close(aFd[0]);
    close(aFd[1]);
    return;
  }
  if( pid==0 ){
    ChildResult r;
    ssize_t nw;
    memset(&r, 0, sizeof(r));
    close(aFd[0]);
    benchIngestRun(pB, pI, &r);
    nw = write(aFd[1], &r, sizeof(r));
    close(aFd[1]);
    _exit(nw==(ssize_t)sizeof(r) ? 0 : 1);
  }else{
    size_t nGot = 0;
    int status = 0;
    close(aFd[1]);
    while( nGot < sizeof(*pR) ){
      ssize_t n = read(aFd[0], (char *)pR + nGot, sizeof(*pR) - nGot);
      if( n<=0 ) break;
      nGot += (size_t)n;
    }
    close(aFd[0]);
    waitpid(pid, &status, 0);
    if( nGot!=sizeof(*pR) ){
      memset(pR, 0, sizeof(*pR));
      pR->rc = 1;
      if( WIFSIGNALED(status) ){
        snprintf(pR->zErr, sizeof(pR->zErr), "child killed by signal %d",
                 WTERMSIG(status));
      }else{
        snprintf(pR->zErr, sizeof(pR->zErr), "child exited with status %d",
                 WEXITSTATUS(status));
      }
    }
  }
}

/* ---- queries ------------------------------------------------------------- */

static void benchResultAdd(QResult *p, const QRow *pRow){
  if( p->n==p->nAlloc ){
    p->nAlloc = p->nAlloc ? p->nAlloc * 2 : 1024;
    p->a = realloc(p->a, sizeof(QRow) * (size_t)p->nAlloc);
    if( p->a==0 ){ fprintf(stderr, "bench: out of memory\n"); exit(1); }
  }
  p->a[p->n++] = *pRow;
}

static void benchResultReset(QResult *p){
  free(p->a);
  memset(p, 0, sizeof(*p));
}

static int benchCmpRow(const void *a, const void *b){
  const QRow *x = a, *y = b;
  if( x->s!=y->s ) return x->s < y->s ? -1 : 1;
  if( x->b!=y->b ) return x->b < y->b ? -1 : 1;
  return 0;
}

/* Workload series index of a metric name, or -1. */
static int benchSeriesByName(const Bench *p, const char *zMetric, const char *zLabels){
  int s;
  if( zMetric==0 ) return -1;
  for(s = 0; s < p->nSeries; s++){
    if( strcmp(p->aSeries[s].zMetric, zMetric)==0
     && (zLabels==0 || strcmp(p->aSeries[s].zLabels, zLabels)==0) ){
      return s;
    }
  }
  return -1;
}

/* Map the first column of a result row (id or metric name) to a series. */
static int benchKey(const Bench *p, const SeriesMap *pMap, sqlite3_stmt *pStmt, int iCol){
  int i;
  if( sqlite3_column_type(pStmt, iCol)==SQLITE_TEXT ){
    return benchSeriesByName(p, (const char *)sqlite3_column_text(pStmt, iCol), 0);
  }else{
    int64_t id = sqlite3_column_int64(pStmt, iCol);
    for(i = 0; i < pMap->n; i++){
      if( pMap->aId[i]==id ) return pMap->aS[i];
    }
  }
  return -1;
}

/* Read every row of pStmt (layout eQuery) into pRes. */
static int benchCollect(const Bench *p, const SeriesMap *pMap, sqlite3_stmt *pStmt,
                        int eQuery, QResult *pRes){
  int rc;
  while( (rc = sqlite3_step(pStmt))==SQLITE_ROW ){
    QRow r;
    int i = 0;
    memset(&r, 0, sizeof(r));
    if( eQuery==1 ){
      r.s = BENCH_Q1_SERIES;
    }else{
      r.s = benchKey(p, pMap, pStmt, 0);
      i = 1;
      if( r.s<0 ) pRes->bBad = 1;
    }
    if( eQuery==3 ){
      r.avg = sqlite3_column_double(pStmt, 1);
    }else{
      r.b = sqlite3_column_int64(pStmt, i);
      r.avg = sqlite3_column_double(pStmt, i + 1);
      r.mn = sqlite3_column_double(pStmt, i + 2);
      r.mx = sqlite3_column_double(pStmt, i + 3);
      r.n = sqlite3_column_int64(pStmt, i + 4);
    }
    benchResultAdd(pRes, &r);
  }
  sqlite3_reset(pStmt);
  if( pRes->n > 1 ) qsort(pRes->a, (size_t)pRes->n, sizeof(QRow), benchCmpRow);
  return rc==SQLITE_DONE ? SQLITE_OK : rc;
}

static int benchCmpDouble(const void *a, const void *b){
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : (x > y ? 1 : 0);
}

/* Median seconds of running pStmt to completion, repeated until at least
** BENCH_MIN_SECONDS and BENCH_MIN_RUNS, but no more once BENCH_BUDGET
** seconds are spent (slow queries: one or two runs after the warm-up run).
** Returns NAN on error. */
static double benchTimeQuery(sqlite3_stmt *pStmt){
  static double aT[BENCH_MAX_RUNS];
  volatile double sink = 0.0;
  double tTotal = 0.0;
  int nRun = 0;
  while( nRun < BENCH_MAX_RUNS
      && (nRun < BENCH_MIN_RUNS || tTotal < BENCH_MIN_SECONDS)
      && (nRun==0 || tTotal < BENCH_BUDGET) ){
    double t0 = benchNow(), t;
    int rc, nCol = sqlite3_column_count(pStmt);
    while( (rc = sqlite3_step(pStmt))==SQLITE_ROW ){
      int i;
      for(i = 0; i < nCol; i++) sink += sqlite3_column_double(pStmt, i);
    }
    sqlite3_reset(pStmt);
    if( rc!=SQLITE_DONE ) return NAN;
    t = benchNow() - t0;
    aT[nRun++] = t;
    tTotal += t;
  }
  (void)sink;
  qsort(aT, (size_t)nRun, sizeof(double), benchCmpDouble);
  return aT[nRun / 2];
}

/* Selector text of a series: metric{k="v",...} from canonical JSON labels
** made of plain strings (as in W1). */
static void benchSelector(const BenchSeries *pS, char *zOut, int nOut){
  const char *z = pS->zLabels;
  int j = snprintf(zOut, (size_t)nOut, "%s{", pS->zMetric);
  int bFirst = 1;
  while( (z = strchr(z, '"'))!=0 && j < nOut - 8 ){
    const char *zK = z + 1, *zKe = strchr(zK, '"'), *zV, *zVe;
    if( zKe==0 ) break;
    zV = strchr(zKe + 1, '"');
    if( zV==0 ) break;
    zV++;
    zVe = strchr(zV, '"');
    if( zVe==0 ) break;
    j += snprintf(zOut + j, (size_t)(nOut - j), "%s%.*s=\"%.*s\"", bFirst ? "" : ",",
                  (int)(zKe - zK), zK, (int)(zVe - zV), zV);
    bFirst = 0;
    z = zVe + 1;
  }
  if( j < nOut - 1 ) snprintf(zOut + j, (size_t)(nOut - j), "}");
}

/* Bind every named parameter a query may use. */
static void benchBindQuery(const Bench *p, const SeriesMap *pMap, sqlite3_stmt *pStmt){
  const BenchSeries *pS = &p->aSeries[BENCH_Q1_SERIES];
  static char zSel[256];     /* bound SQLITE_STATIC: must outlive the statement */
  int i;
  benchSelector(pS, zSel, sizeof(zSel));
  for(i = 0; i < pMap->n; i++){
    if( pMap->aS[i]==BENCH_Q1_SERIES ) benchBindInt(pStmt, ":id", pMap->aId[i]);
  }
  benchBindText(pStmt, ":metric", pS->zMetric);
  benchBindText(pStmt, ":labels", pS->zLabels);
  benchBindText(pStmt, ":wan", p->azWan[BENCH_Q1_SERIES]);
  benchBindText(pStmt, ":selector", zSel);
  benchBindInt(pStmt, ":start", p->iStart);
  benchBindInt(pStmt, ":end", p->iEnd);
  benchBindInt(pStmt, ":cutoff", p->iCutoff);
}

/* Read a contender's (id, metric, labels) table into pMap. */
static int benchLoadMap(const Bench *p, sqlite3 *db, const char *zSql, SeriesMap *pMap,
                        char *zErr, int nErr){
  sqlite3_stmt *pStmt = 0;
  int rc;
  memset(pMap, 0, sizeof(*pMap));
  if( zSql==0 ) return SQLITE_OK;
  rc = benchPrepare(db, zSql, &pStmt, zErr, nErr);
  while( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ){
    const char *zM = (const char *)sqlite3_column_text(pStmt, 1);
    const char *zL = (const char *)sqlite3_column_text(pStmt, 2);
    int s = benchSeriesByName(p, zM, zL);
    if( s<0 ){
      snprintf(zErr, (size_t)nErr, "series %s %s is not in the workload",
               zM ? zM : "NULL", zL ? zL : "NULL");
      rc = SQLITE_ERROR;
    }else if( pMap->n < (int)(sizeof(pMap->aId)/sizeof(pMap->aId[0])) ){
      pMap->aId[pMap->n] = sqlite3_column_int64(pStmt, 0);
      pMap->aS[pMap->n] = s;
      pMap->n++;
    }
  }
  if( rc==SQLITE_OK && pMap->n!=p->nSeries ){
    snprintf(zErr, (size_t)nErr, "%d series listed, expected %d", pMap->n, p->nSeries);
    rc = SQLITE_ERROR;
  }
  sqlite3_finalize(pStmt);
  return rc;
}

/* Results kept for the cross-check: [query 1..3][column] and variants. */
static QResult aRes[4][N_COL];
static QResult aResVariant[N_VARIANT];

/* Time one query of contender column iCol into aResult[iRow][iCol] and keep
** its rows in *pRes.  A failure leaves n/a and says why. */
static void benchOneQuery(Bench *p, sqlite3 *db, const SeriesMap *pMap, const char *zSql,
                          int eQuery, int iRow, int iCol, QResult *pRes){
  sqlite3_stmt *pStmt = 0;
  char zErr[512] = "";
  int rc = benchPrepare(db, zSql, &pStmt, zErr, sizeof(zErr));
  if( rc==SQLITE_OK ){
    benchBindQuery(p, pMap, pStmt);
    rc = benchCollect(p, pMap, pStmt, eQuery, pRes);   /* also warms the cache */
    if( rc!=SQLITE_OK ) snprintf(zErr, sizeof(zErr), "%s", sqlite3_errmsg(db));
  }
  if( rc==SQLITE_OK ){
    aResult[iRow][iCol] = benchTimeQuery(pStmt);
  }else{
    benchNote("%s, %s: n/a (%s)", azColName[iCol], aFigure[iRow].zName, zErr);
  }
  sqlite3_finalize(pStmt);
}

/* Retention through tsm: declare the policy, prune once; n/a until both
** tsm_retention and tsm_prune() exist. */
static void benchTsmRetention(Bench *p, sqlite3 *db){
  sqlite3_stmt *pPolicy = 0, *pPrune = 0;
  char zErr[512] = "";
  int rc = benchPrepare(db, TSM_RETENTION_POLICY, &pPolicy, zErr, sizeof(zErr));
  if( rc==SQLITE_OK ) rc = benchPrepare(db, TSM_RETENTION_PRUNE, &pPrune, zErr, sizeof(zErr));
  if( rc==SQLITE_OK ){
    int64_t nBefore = benchQueryInt(db, "SELECT count(*) FROM tsm_samples");
    int64_t nAfter;
    double t0, t1;
    /* keep = from the cutoff up to tsm's now: the newest sample of the
    ** store, but not after the wall clock (README, tsm_retention). */
    struct timespec now;
    int64_t iNow, iNewest = benchQueryInt(db, "SELECT max(last_ts) FROM tsm_series");
    clock_gettime(CLOCK_REALTIME, &now);
    iNow = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    if( iNewest > 0 && iNewest < iNow ) iNow = iNewest;
    benchBindInt(pPolicy, ":keep", iNow - p->iCutoff);
    t0 = benchNow();
    rc = sqlite3_step(pPolicy);
    if( rc==SQLITE_DONE ) rc = sqlite3_step(pPrune);
    if( rc==SQLITE_ROW || rc==SQLITE_DONE ) rc = SQLITE_OK;
    t1 = benchNow();
    if( rc!=SQLITE_OK ) snprintf(zErr, sizeof(zErr), "%s", sqlite3_errmsg(db));
    sqlite3_reset(pPrune);
    sqlite3_reset(pPolicy);
    if( rc==SQLITE_OK ){
      aResult[R_RETENTION][C_TSM] = t1 - t0;
      nAfter = benchQueryInt(db, "SELECT count(*) FROM tsm_samples");
      benchNote("tsm retention: %lld -> %lld samples (%lld expected)",
                (long long)nBefore, (long long)nAfter, (long long)(p->nTotal / 2));
      if( nAfter > p->nTotal / 2 + p->nTotal / 20 || nAfter < p->nTotal / 2 ){
        benchWarn(p, "tsm retention kept %lld of %lld samples, not about half",
                  (long long)nAfter, (long long)nBefore);
      }
    }
  }
  if( rc!=SQLITE_OK ){
    benchNote("tsm, %s: n/a (%s)", aFigure[R_RETENTION].zName, zErr);
  }
  sqlite3_finalize(pPolicy);
  sqlite3_finalize(pPrune);
}

/* Figures 3 to 7 on the database loaded by figure 1. */
static void benchQueries(Bench *p, const Contender *pC){
  char *zDb = benchPath(p, pC->zFile, ".db");
  char zErr[512] = "";
  sqlite3 *db = 0;
  SeriesMap map;
  int rc, iCol = pC->iCol, i;

  rc = benchOpen(p, zDb, pC->bTsm, &db, zErr, sizeof(zErr));
  if( rc==SQLITE_OK ){
    char *zWal = benchPath(p, pC->zFile, ".db-wal");
    rc = benchExec(db, "PRAGMA wal_checkpoint(TRUNCATE)", zErr, sizeof(zErr));
    if( rc==SQLITE_OK ){
      aResult[R_BYTES][iCol] = (double)(benchFileSize(zDb) + benchFileSize(zWal))
                             / (double)p->nTotal;
      if( pC->zData ){
        aResult[R_DATA][iCol] = (double)benchQueryInt(db, pC->zData) / (double)p->nTotal;
      }
    }
    free(zWal);
  }
  if( rc==SQLITE_OK ) rc = benchLoadMap(p, db, pC->zSeriesMap, &map, zErr, sizeof(zErr));
  if( rc!=SQLITE_OK ){
    benchNote("%s: queries n/a (%s)", azColName[iCol], zErr);
    sqlite3_close(db);
    free(zDb);
    return;
  }

  benchOneQuery(p, db, &map, pC->zQ1, 1, R_Q1, iCol, &aRes[1][iCol]);
  benchOneQuery(p, db, &map, pC->zQ2, 2, R_Q2, iCol, &aRes[2][iCol]);
  benchOneQuery(p, db, &map, pC->zQ3, 3, R_Q3, iCol, &aRes[3][iCol]);
  if( pC->bTsm ){
    for(i = 0; i < N_VARIANT; i++){
      benchOneQuery(p, db, &map, aVariant[i].zSql, aVariant[i].eQuery,
                    aVariant[i].iRow, iCol, &aResVariant[i]);
    }
  }

  /* Retention last: it changes the database. */
  if( pC->zRetention ){
    sqlite3_stmt *pStmt = 0;
    rc = benchPrepare(db, pC->zRetention, &pStmt, zErr, sizeof(zErr));
    if( rc==SQLITE_OK ){
      double t0, t1;
      int64_t nAfter;
      benchBindQuery(p, &map, pStmt);
      t0 = benchNow();
      rc = sqlite3_step(pStmt);
      t1 = benchNow();
      if( rc==SQLITE_DONE ){
        rc = SQLITE_OK;
        aResult[R_RETENTION][iCol] = t1 - t0;
        nAfter = benchQueryInt(db, pC->zCount);
        if( nAfter!=p->nTotal - p->nTotal / 2 ){
          benchWarn(p, "%s: %lld samples left after retention, expected %lld",
                    azColName[iCol], (long long)nAfter,
                    (long long)(p->nTotal - p->nTotal / 2));
        }
      }else{
        snprintf(zErr, sizeof(zErr), "%s", sqlite3_errmsg(db));
      }
    }
    if( rc!=SQLITE_OK ){
      benchNote("%s, retention: n/a (%s)", azColName[iCol], zErr);
    }
    sqlite3_finalize(pStmt);
  }else if( pC->bTsm ){
    benchTsmRetention(p, db);
  }
  sqlite3_close(db);
  free(zDb);
}

/* ---- cross-check --------------------------------------------------------- */

static int benchSameDouble(double a, double b, double rel){
  if( a==b ) return 1;
  if( isnan(a) && isnan(b) ) return 1;
  return fabs(a - b) <= rel * fmax(fabs(a), fabs(b));
}

/* Compare pGot with the reference pRef; warn on the first difference.
** Minima, maxima and q3 values must be equal, up to a relative rel; the
** averages up to 1e-9 (or rel if larger): summation order differs. */
static void benchCheck(Bench *p, const char *zWhat, const QResult *pRef,
                       const QResult *pGot, int eQuery, double rel){
  int i;
  if( pGot->n==0 && pRef->n==0 ) return;
  if( pGot->bBad ){
    benchWarn(p, "%s: rows that name no known series", zWhat);
    return;
  }
  if( pGot->n!=pRef->n ){
    benchWarn(p, "%s: %d rows, the WITHOUT ROWID table gives %d", zWhat,
              pGot->n, pRef->n);
    return;
  }
  for(i = 0; i < pRef->n; i++){
    const QRow *x = &pRef->a[i], *y = &pGot->a[i];
    int bSame = x->s==y->s && x->b==y->b && x->n==y->n
             && benchSameDouble(x->mn, y->mn, rel)
             && benchSameDouble(x->mx, y->mx, rel)
             && benchSameDouble(x->avg, y->avg, eQuery==3 ? rel : fmax(rel, 1e-9));
    if( !bSame ){
      benchWarn(p, "%s differs at row %d (series %d, bucket %lld): "
                "count %lld/%lld min %.17g/%.17g max %.17g/%.17g avg-or-value %.17g/%.17g",
                zWhat, i, y->s, (long long)y->b, (long long)x->n, (long long)y->n,
                x->mn, y->mn, x->mx, y->mx, x->avg, y->avg);
      return;
    }
  }
  benchNote("check %s: same %d rows as the WITHOUT ROWID table", zWhat, pRef->n);
}

static void benchCrossCheck(Bench *p){
  int q, c, i;
  for(q = 1; q <= 3; q++){
    const QResult *pRef = &aRes[q][C_WR];
    if( pRef->n==0 ) continue;
    for(c = 0; c < N_COL; c++){
      char zWhat[128];
      if( c==C_WR || aRes[q][c].n==0 ) continue;
      snprintf(zWhat, sizeof(zWhat), "q%d %s", q, azColName[c]);
      benchCheck(p, zWhat, pRef, &aRes[q][c], q, c==C_VM ? 1e-11 : 0.0);
    }
  }
  for(i = 0; i < N_VARIANT; i++){
    char zWhat[128];
    const QResult *pRef = &aRes[aVariant[i].eQuery][C_WR];
    if( aResVariant[i].n==0 || pRef->n==0 ) continue;
    snprintf(zWhat, sizeof(zWhat), "%s", aFigure[aVariant[i].iRow].zName);
    benchCheck(p, zWhat, pRef, &aResVariant[i], aVariant[i].eQuery, 0.0);
  }
}

/* ---- DuckDB (duckdb.mjs) ------------------------------------------------- */

/* Write series to a file duckdb.mjs reads:
**   8 bytes   "TSMWL01\0"
**   8 bytes   number of series (int64, little-endian like everything here)
**   per series, 176 bytes: metric[64], labels[96], n (int64), reserved (int64)
**   per series in order: n int64 timestamps, then n doubles.
*/
static int benchWriteWorkload(const char *zFile, const BenchSeries *a, int n){
  FILE *f = fopen(zFile, "wb");
  int64_t nS = n, zero = 0;
  int s, ok = 1;
  if( f==0 ) return 1;
  ok = ok && fwrite("TSMWL01", 8, 1, f)==1;
  ok = ok && fwrite(&nS, 8, 1, f)==1;
  for(s = 0; s < n; s++){
    int64_t nSample = a[s].n;
    ok = ok && fwrite(a[s].zMetric, 64, 1, f)==1;
    ok = ok && fwrite(a[s].zLabels, 96, 1, f)==1;
    ok = ok && fwrite(&nSample, 8, 1, f)==1;
    ok = ok && fwrite(&zero, 8, 1, f)==1;
  }
  for(s = 0; s < n; s++){
    ok = ok && fwrite(a[s].aTs, sizeof(int64_t), (size_t)a[s].n, f)==(size_t)a[s].n;
    ok = ok && fwrite(a[s].aVal, sizeof(double), (size_t)a[s].n, f)==(size_t)a[s].n;
  }
  if( fclose(f)!=0 ) ok = 0;
  return ok ? 0 : 1;
}

/* Parse one result line of duckdb.mjs: "r<q> <s> <b> <n> <min> <max> <avg>". */
static void benchDuckRow(const char *z, int eQuery, QResult *pRes){
  QRow r;
  long long s = 0, b = 0, n = 0;
  memset(&r, 0, sizeof(r));
  if( eQuery==3 ){
    if( sscanf(z, "%lld %lf", &s, &r.avg)!=2 ) return;
  }else{
    char *zEnd;
    s = strtoll(z, &zEnd, 10);
    b = strtoll(zEnd, &zEnd, 10);
    n = strtoll(zEnd, &zEnd, 10);
    r.mn = strtod(zEnd, &zEnd);
    r.mx = strtod(zEnd, &zEnd);
    r.avg = strtod(zEnd, &zEnd);
  }
  r.s = (int)s;
  r.b = b;
  r.n = n;
  benchResultAdd(pRes, &r);
}

/* What the lines "key value" of a node contender mean: a figure, as
** value/scale (scale 0: samples of W1 / value, a rate), or just a note. */
typedef struct NodeKey {
  const char *zKey;
  int iRow;                 /* -1: a note for stderr */
  int eScale;
} NodeKey;
enum { S_ONE, S_RATE_W1, S_RATE_AUTO, S_PER_W1, S_PER_NAB, S_KIB };
static const NodeKey aNodeKey[] = {
  { "ingest",         R_INGEST,    S_RATE_W1 },
  { "autocommit",     R_AUTO,      S_RATE_AUTO },
  { "bytes",          R_BYTES,     S_PER_W1 },
  { "nab_bytes",      R_BYTES_NAB, S_PER_NAB },
  { "data_bytes",     R_DATA,      S_PER_W1 },
  { "nab_data_bytes", R_DATA_NAB,  S_PER_NAB },
  { "q1",             R_Q1,        S_ONE },
  { "q2",             R_Q2,        S_ONE },
  { "q3",             R_Q3,        S_ONE },
  { "retention",      R_RETENTION, S_ONE },
  { "rss_kb",         R_RSS,       S_KIB },
  { "rss_peak_kb",    R_RSS_ABS,   S_KIB },
  { "load",           -1,          S_ONE },
};

/*
** Run a contender script through node (duckdb.mjs, vm.mjs) on the workload
** files zW and zN (zN empty: no NAB data) and read its lines: "version",
** "error" and "skip" texts, result rows "r1".."r3", and "key value"
** figures (aNodeKey).
*/
static void benchNode(Bench *p, int iCol, const char *zScript, const char *zArgs,
                      const char *zW, const char *zN){
  char zCmd[2048];
  char zLine[512];
  FILE *f;
  int q, k;
  snprintf(zCmd, sizeof(zCmd),
           "node %s --workload '%s' --nab '%s' --out '%s' --cutoff %lld "
           "--q1 %d --min-seconds %g --min-runs %d --budget %g "
           "--start %lld --end %lld %s",
           zScript, zW, zN, p->zOut, (long long)p->iCutoff, BENCH_Q1_SERIES,
           BENCH_MIN_SECONDS, BENCH_MIN_RUNS, BENCH_BUDGET,
           (long long)p->iStart, (long long)p->iEnd, zArgs);
  fflush(stdout);
  fflush(stderr);
  f = popen(zCmd, "r");
  if( f==0 ){
    benchNote("%s: n/a (cannot run node)", azColName[iCol]);
    return;
  }
  while( fgets(zLine, sizeof(zLine), f) ){
    char zKey[32];
    double v;
    zLine[strcspn(zLine, "\r\n")] = 0;
    if( zLine[0]=='r' && zLine[1]>='1' && zLine[1]<='3' && zLine[2]==' ' ){
      q = zLine[1] - '0';
      benchDuckRow(zLine + 3, q, &aRes[q][iCol]);
      continue;
    }
    if( strncmp(zLine, "version ", 8)==0 ){
      snprintf(p->azVersion[iCol], sizeof(p->azVersion[iCol]), "%.63s", zLine + 8);
      continue;
    }
    if( strncmp(zLine, "error ", 6)==0 ){
      benchWarn(p, "%s: %s", azColName[iCol], zLine + 6);
      continue;
    }
    if( strncmp(zLine, "skip ", 5)==0 ){
      benchNote("- %s skipped: %s", azColName[iCol], zLine + 5);
      continue;
    }
    if( sscanf(zLine, "%31s %lf", zKey, &v)!=2 ) continue;
    for(k = 0; k < (int)(sizeof(aNodeKey)/sizeof(aNodeKey[0])); k++){
      const NodeKey *pK = &aNodeKey[k];
      double x = v;
      if( strcmp(zKey, pK->zKey)!=0 ) continue;
      switch( pK->eScale ){
        case S_RATE_W1:   x = (double)p->nTotal / v; break;
        case S_RATE_AUTO: x = BENCH_AUTOCOMMIT / v; break;
        case S_PER_W1:    x = v / (double)p->nTotal; break;
        case S_PER_NAB:   x = p->nNabTotal ? v / (double)p->nNabTotal : NAN; break;
        case S_KIB:       x = v / 1024.0; break;
      }
      if( pK->iRow>=0 ){
        aResult[pK->iRow][iCol] = x;
      }else{
        benchNote("%s: %s %.2f s", azColName[iCol], zKey, v);
      }
    }
  }
  q = pclose(f);
  if( q!=0 ) benchNote("%s: %s exited with status %d", azColName[iCol], zScript, q);
  for(q = 1; q <= 3; q++){
    QResult *pR = &aRes[q][iCol];
    if( pR->n > 1 ) qsort(pR->a, (size_t)pR->n, sizeof(QRow), benchCmpRow);
  }
}

/* DuckDB and VictoriaMetrics, through node, on the workload written once. */
static void benchNodeContenders(Bench *p){
  char *zW = benchPath(p, "workload", ".bin");
  char *zN = benchPath(p, "nab", ".bin");
  char zArgs[256];
  double t0;
  if( !p->bDuck && !p->bVm ) goto done;
  if( benchWriteWorkload(zW, p->aSeries, p->nSeries)
   || (p->aNab && benchWriteWorkload(zN, p->aNab, p->nNab)) ){
    benchNote("DuckDB, VictoriaMetrics: n/a (cannot write %s)", zW);
    goto done;
  }
  t0 = benchNow();
  if( !p->bDuck ){
    benchNote("DuckDB: skipped (--no-duckdb)");
  }else if( access("node_modules/@duckdb/node-api/package.json", R_OK)!=0 ){
    benchNote("DuckDB: n/a (node_modules/@duckdb/node-api is not installed; "
              "`npm install` in bench/ installs it)");
  }else{
    snprintf(zArgs, sizeof(zArgs), "--autocommit %d --batch %d --rounds %d",
             BENCH_AUTOCOMMIT, BENCH_BATCH, BENCH_ROUNDS);
    benchNode(p, C_DUCK, "duckdb.mjs", zArgs, zW, p->aNab ? zN : "");
    benchNote("DuckDB: %.1f s", benchNow() - t0);
  }
  t0 = benchNow();
  if( !p->bVm ){
    benchNote("VictoriaMetrics: skipped (--no-vm)");
  }else{
    benchNode(p, C_VM, "vm.mjs", "", zW, p->aNab ? zN : "");
    benchNote("VictoriaMetrics: %.1f s", benchNow() - t0);
  }
 done:
  unlink(zW);
  unlink(zN);
  free(zW);
  free(zN);
}

/* ---- printing ------------------------------------------------------------ */

/* Integer with thousands separators. */
static void benchFmtInt(char *z, int n, double v){
  char zDigits[64];
  int nD, i, j = 0;
  snprintf(zDigits, sizeof(zDigits), "%.0f", v);
  nD = (int)strlen(zDigits);
  for(i = 0; i < nD && j < n - 2; i++){
    if( i > 0 && (nD - i) % 3==0 ) z[j++] = ',';
    z[j++] = zDigits[i];
  }
  z[j] = 0;
}

static void benchFmtValue(char *z, int n, int iRow, double v){
  if( isnan(v) ){
    snprintf(z, (size_t)n, "n/a");
  }else if( aFigure[iRow].eKind==K_RATE ){
    benchFmtInt(z, n, v);
  }else if( aFigure[iRow].eKind==K_TIME ){
    double ms = v * 1e3;
    snprintf(z, (size_t)n, ms < 1 ? "%.3f" : (ms < 100 ? "%.2f" : "%.0f"), ms);
  }else if( iRow==R_RSS || iRow==R_RSS_ABS ){
    snprintf(z, (size_t)n, "%.1f", v);
  }else{
    snprintf(z, (size_t)n, "%.2f", v);
  }
}

/* How many times better tsm is than column c in row r, or NAN. */
static double benchRatio(int r, int c){
  double t = aResult[r][C_TSM], x = aResult[r][c];
  if( isnan(t) || isnan(x) || t<=0 || x<=0 ) return NAN;
  return aFigure[r].eKind==K_RATE ? t / x : x / t;
}

static void benchFmtRatio(char *z, int n, double v){
  if( isnan(v) ) snprintf(z, (size_t)n, "n/a");
  else if( v < 0.095 ) snprintf(z, (size_t)n, "%.3f×", v);
  else if( v < 0.95 ) snprintf(z, (size_t)n, "%.2f×", v);
  else if( v < 1000 ) snprintf(z, (size_t)n, "%.1f×", v);
  else snprintf(z, (size_t)n, "%.0f×", v);
}

static void benchGoal(const char *zGoal, double v, double target, int bAtLeast){
  char z[32];
  benchFmtRatio(z, sizeof(z), v);
  printf("- %s: %s — %s\n", zGoal, isnan(v) ? "n/a" : z,
         isnan(v) ? "not measured" :
         ((bAtLeast ? v >= target : v <= target) ? "met" : "NOT met"));
}

static void benchPrint(Bench *p, double tRun){
  struct utsname u;
  char zCpu[128] = "unknown CPU";
  char zDate[64];
  time_t now = time(0);
  FILE *f = fopen("/proc/cpuinfo", "r");
  int r, c;
  double v;

  if( f ){
    char zLine[256];
    while( fgets(zLine, sizeof(zLine), f) ){
      if( strncmp(zLine, "model name", 10)==0 ){
        char *z = strchr(zLine, ':');
        if( z ){
          snprintf(zCpu, sizeof(zCpu), "%s", z + 2);
          zCpu[strcspn(zCpu, "\n")] = 0;
        }
        break;
      }
    }
    fclose(f);
  }
  uname(&u);
  strftime(zDate, sizeof(zDate), "%Y-%m-%d %H:%M UTC", gmtime(&now));

  printf("\n## tsm benchmark (make bench SCALE=%d)\n\n", p->scale);
  printf("- date: %s\n", zDate);
  printf("- machine: %s %s %s, %s, %ld cores\n", u.sysname, u.release, u.machine,
         zCpu, sysconf(_SC_NPROCESSORS_ONLN));
  printf("- SQLite %s; tsm %s; DuckDB %s; VictoriaMetrics %s\n", sqlite3_libversion(),
         p->zTsmVersion[0] ? p->zTsmVersion : "(tsm_version() n/a)",
         p->azVersion[C_DUCK][0] ? p->azVersion[C_DUCK] : "n/a",
         p->azVersion[C_VM][0] ? p->azVersion[C_VM] : "n/a");
  printf("- workload W1: %d series x %d samples = %lld samples, 1 s interval, "
         "interleaved across series\n", p->nSeries, p->nPer, (long long)p->nTotal);
  printf("- VictoriaMetrics: bulk-loaded through /api/v1/import, flushed; bytes of its "
         "whole data directory (3, 3b) and of data/ alone (3c, 3d); q1-q3 over HTTP on "
         "127.0.0.1, the round trip and the JSON included; values kept to 12 "
         "significant digits\n");
  printf("- ratio columns: how many times better tsm is (speed: tsm ÷ X; "
         "bytes, time and memory: X ÷ tsm); > 1× means tsm wins\n\n");

  printf("| figure |");
  for(c = 0; c < N_COL; c++) printf(" %s |", azColName[c]);
  for(c = 1; c < N_COL; c++) printf(" tsm vs %s |", azColName[c]);
  printf("\n|---|");
  for(c = 0; c < 2 * N_COL - 1; c++) printf("---:|");
  printf("\n");
  for(r = 0; r < N_ROW; r++){
    printf("| %s |", aFigure[r].zName);
    for(c = 0; c < N_COL; c++){
      char z[64];
      benchFmtValue(z, sizeof(z), r, aResult[r][c]);
      printf(" %s |", z);
    }
    for(c = 1; c < N_COL; c++){
      char z[64];
      benchFmtRatio(z, sizeof(z), benchRatio(r, c));
      printf(" %s |", z);
    }
    printf("\n");
  }

  printf("\nGoals (tsm against the WITHOUT ROWID table unless named):\n");
  v = benchRatio(R_INGEST, C_WR);
  benchGoal("ingest ≥ 5×", v, 5.0, 1);
  benchGoal("autocommit ≥ 1.2×", benchRatio(R_AUTO, C_WR), 1.2, 1);
  v = aResult[R_BYTES][C_TSM];
  if( isnan(v) ){
    printf("- ≤ 2.2 bytes per sample: n/a — not measured\n");
  }else{
    printf("- ≤ 2.2 bytes per sample: %.2f — %s\n", v, v <= 2.2 ? "met" : "NOT met");
  }
  /* q2 the way a tsm user asks it: through tsm_query() (row 5b). */
  benchGoal("q2 (tsm_query) ≥ 25×", benchRatio(R_Q2_TSMQ, C_WR), 25.0, 1);
  benchGoal("q2 (tsm_query) no slower than DuckDB (≥ 1×)",
            benchRatio(R_Q2_TSMQ, C_DUCK), 1.0, 1);
  benchGoal("retention ≥ 35× faster than DELETE", benchRatio(R_RETENTION, C_WR), 35.0, 1);
  benchGoal("sample data no larger than VictoriaMetrics' data/, W1 (≥ 1×)",
            benchRatio(R_DATA, C_VM), 1.0, 1);
  benchGoal("sample data no larger than VictoriaMetrics' data/, NAB (≥ 1×)",
            benchRatio(R_DATA_NAB, C_VM), 1.0, 1);
  for(r = 0; r < 2; r++){
    double f = aResult[r ? R_BYTES_NAB : R_BYTES][C_TSM];
    double d = aResult[r ? R_DATA_NAB : R_DATA][C_TSM];
    if( isnan(f / d) ){
      printf("- whole file ≤ 1.10× the sample data, %s: n/a — not measured\n",
             r ? "NAB" : "W1");
    }else{
      printf("- whole file ≤ 1.10× the sample data, %s: %.3f× (%.2f / %.2f) — %s\n",
             r ? "NAB" : "W1", f / d, f, d, f / d <= 1.10 ? "met" : "NOT met");
    }
  }
  v = gAutoPruneShare;
  if( isnan(v) ){
    printf("- automatic maintenance adds < 5%% to autocommit ingest: n/a — not measured\n");
  }else{
    printf("- automatic maintenance adds < 5%% to autocommit ingest: %+.2f%% (%lld runs "
           "every 0.25 s, 20x the default rate; 2c vs 2 wall time %+.1f%%) — %s\n",
           v * 100.0, gAutoPrunes,
           (aResult[R_AUTO][C_TSM] / aResult[R_AUTO_PRUNE][C_TSM] - 1.0) * 100.0,
           v <= 0.05 ? "met" : "NOT met");
  }
  printf("\n%d warning(s); whole run %.0f s.\n", p->nWarn, tRun);
}

/* ---- main ---------------------------------------------------------------- */

/* Keep the better of an existing figure and a new one. */
static void benchBest(int iRow, int iCol, double v){
  double *p = &aResult[iRow][iCol];
  if( isnan(*p) ) *p = v;
  else if( aFigure[iRow].eKind==K_RATE ) *p = fmax(*p, v);
  else if( iRow==R_RSS || iRow==R_RSS_ABS ) *p = fmax(*p, v);
  else *p = fmin(*p, v);
}

/* Round iRound of figures 1 and 2 (and 8) for one contender; bAlt selects
** tsm_record() instead of INSERT.  The figure-1 database is kept for the
** queries (every round writes the same one). */
static void benchIngestFigures(Bench *p, const Contender *pC, int bAlt, int iRound){
  int iCol = pC->iCol;
  Ingest in;
  ChildResult res;
  const char *zVia = bAlt ? " (tsm_record)" : "";
  char *zDb = benchPath(p, pC->zFile, bAlt ? "-record.db" : ".db");
  char *zAuto = benchPath(p, pC->zFile, bAlt ? "-record-auto.db" : "-auto.db");

  memset(&in, 0, sizeof(in));
  in.pC = pC;
  in.bAlt = bAlt;
  in.aSeries = p->aSeries;
  in.nSeries = p->nSeries;
  in.nSample = p->nTotal;
  in.nBatch = BENCH_BATCH;
  in.zDb = zDb;
  benchIngestChild(p, &in, &res);
  if( res.rc==0 ){
    benchBest(bAlt ? R_INGEST_REC : R_INGEST, iCol, (double)p->nTotal / res.seconds);
    if( !bAlt ){
      benchBest(R_RSS, iCol, (double)(res.hwmKb - res.rssStartKb) / 1024.0);
      benchBest(R_RSS_ABS, iCol, (double)res.hwmKb / 1024.0);
    }
    if( res.nStored!=p->nTotal ){
      benchWarn(p, "%s%s: %lld samples stored, expected %lld", azColName[iCol],
                zVia, (long long)res.nStored, (long long)p->nTotal);
    }
    if( !res.bPeakReset && !bAlt && iRound==0 ){
      benchNote("%s: could not reset the peak-RSS mark; RSS growth is "
                "measured from the child's start", azColName[iCol]);
    }
    benchNote("%s%s: round %d: ingest %.2f s (CPU %.2f s)", azColName[iCol], zVia,
              iRound + 1, res.seconds, res.cpu);
  }else{
    benchNote("%s%s, ingest: n/a (%s)", azColName[iCol], zVia, res.zErr);
  }

  in.zDb = zAuto;
  in.nSample = BENCH_AUTOCOMMIT;
  in.nBatch = 0;
  benchIngestChild(p, &in, &res);
  if( res.rc==0 ){
    benchBest(bAlt ? R_AUTO_REC : R_AUTO, iCol, BENCH_AUTOCOMMIT / res.seconds);
    if( res.nStored!=BENCH_AUTOCOMMIT ){
      benchWarn(p, "%s%s autocommit: %lld samples stored, expected %d",
                azColName[iCol], zVia, (long long)res.nStored, BENCH_AUTOCOMMIT);
    }
    benchNote("%s%s: round %d: autocommit %.2f s (CPU %.2f s)", azColName[iCol],
              zVia, iRound + 1, res.seconds, res.cpu);
  }else{
    benchNote("%s%s, autocommit: n/a (%s)", azColName[iCol], zVia, res.zErr);
  }
  benchRemoveDb(zAuto);

  /* Figure 2c: the same with retention policies and automatic pruning. */
  if( pC->bTsm && !bAlt ){
    in.zSetup = TSM_AUTO_PRUNE_SETUP;
    benchIngestChild(p, &in, &res);
    if( res.rc==0 ){
      double v = res.pruneMs / (res.seconds * 1000.0 - res.pruneMs);
      benchBest(R_AUTO_PRUNE, iCol, BENCH_AUTOCOMMIT / res.seconds);
      if( isnan(gAutoPruneShare) || v < gAutoPruneShare ){
        gAutoPruneShare = v;
        gAutoPrunes = res.nPrunes;
      }
      benchNote("%s: round %d: autocommit with auto-prune %.2f s (CPU %.2f s), "
                "%lld automatic prunes took %.1f ms", azColName[iCol], iRound + 1,
                res.seconds, res.cpu, res.nPrunes, res.pruneMs);
    }else{
      benchNote("%s, autocommit with auto-prune: n/a (%s)", azColName[iCol],
                res.zErr);
    }
    benchRemoveDb(zAuto);
    in.zSetup = 0;
  }
  if( bAlt ) benchRemoveDb(zDb);
  free(zDb);
  free(zAuto);
}

static void benchUsage(const char *zArgv0){
  fprintf(stderr, "usage: %s [--scale N] [--ext PATH] [--out DIR] [--nab DIR] "
                  "[--no-duckdb] [--no-vm]\n",
          zArgv0);
  exit(2);
}

/* Bytes per sample of the NAB data in one contender (figure 3b). */
static void benchNabBytes(Bench *p, const Contender *pC){
  Ingest in;
  ChildResult res;
  char *zDb = benchPath(p, pC->zFile, "-nab.db");
  memset(&in, 0, sizeof(in));
  in.pC = pC;
  in.aSeries = p->aNab;
  in.nSeries = p->nNab;
  in.nBatch = BENCH_BATCH;
  in.zDb = zDb;
  {
    int s, iMax = 0;
    for(s = 0; s < p->nNab; s++) if( p->aNab[s].n > iMax ) iMax = p->aNab[s].n;
    in.nSample = (int64_t)iMax * p->nNab;
  }
  benchIngestChild(p, &in, &res);
  if( res.rc==0 ){
    sqlite3 *db = 0;
    char zErr[512];
    if( benchOpen(p, zDb, pC->bTsm, &db, zErr, sizeof(zErr))==SQLITE_OK
     && benchExec(db, "PRAGMA wal_checkpoint(TRUNCATE)", zErr, sizeof(zErr))==SQLITE_OK ){
      char *zWal = benchPath(p, pC->zFile, "-nab.db-wal");
      aResult[R_BYTES_NAB][pC->iCol] =
        (double)(benchFileSize(zDb) + benchFileSize(zWal)) / (double)p->nNabTotal;
      if( pC->zData ){
        aResult[R_DATA_NAB][pC->iCol] =
          (double)benchQueryInt(db, pC->zData) / (double)p->nNabTotal;
      }
      free(zWal);
    }
    sqlite3_close(db);
  }else{
    benchNote("%s, NAB load: n/a (%s)", azColName[pC->iCol], res.zErr);
  }
  free(zDb);
}

int main(int argc, char **argv){
  Bench b;
  int i, r, c, s;
  double tStart = benchNow(), t0;
  const char *zNab = "../../shared/data/nab-aws";

  memset(&b, 0, sizeof(b));
  b.scale = 1;
  b.zExt = "../dist/tsm";
  b.zOut = "out";
  b.bDuck = 1;
  b.bVm = 1;
  for(i = 1; i < argc; i++){
    if( strcmp(argv[i], "--scale")==0 && i + 1 < argc ){
      b.scale = atoi(argv[++i]);
    }else if( strcmp(argv[i], "--ext")==0 && i + 1 < argc ){
      b.zExt = argv[++i];
    }else if( strcmp(argv[i], "--out")==0 && i + 1 < argc ){
      b.zOut = argv[++i];
    }else if( strcmp(argv[i], "--nab")==0 && i + 1 < argc ){
      zNab = argv[++i];
    }else if( strcmp(argv[i], "--no-duckdb")==0 ){
      b.bDuck = 0;
    }else if( strcmp(argv[i], "--no-vm")==0 ){
      b.bVm = 0;
    }else{
      benchUsage(argv[0]);
    }
  }
  if( b.scale < 1 ) benchUsage(argv[0]);
  for(r = 0; r < N_ROW; r++) for(c = 0; c < N_COL; c++) aResult[r][c] = NAN;
  if( mkdir(b.zOut, 0777)!=0 && errno!=EEXIST ){
    fprintf(stderr, "bench: cannot create %s: %s\n", b.zOut, strerror(errno));
    return 1;
  }

  t0 = benchNow();
  b.aSeries = benchW1(b.scale, BENCH_SEED, &b.nSeries);
  b.nPer = b.aSeries[0].n;
  b.nTotal = (int64_t)b.nSeries * b.nPer;
  b.iStart = BENCH_W1_START;
  b.iEnd = BENCH_W1_START + (int64_t)b.nPer * 1000;
  b.iCutoff = BENCH_W1_START + (int64_t)(b.nPer / 2) * 1000;
  for(s = 0; s < b.nSeries && s < 128; s++){
    benchWanName(&b.aSeries[s], b.azWan[s], (int)sizeof(b.azWan[0]));
  }
  benchNote("W1: %d series x %d samples generated in %.2f s",
            b.nSeries, b.nPer, benchNow() - t0);
  b.aNab = benchNab(zNab, &b.nNab);
  for(s = 0; s < b.nNab; s++) b.nNabTotal += b.aNab[s].n;
  if( b.nNab==0 ) benchNote("NAB data not found: figure 3b n/a");

  /* tsm version, and whether the extension loads at all. */
  {
    sqlite3 *db = 0;
    char zErr[512];
    if( benchOpen(&b, ":memory:", 1, &db, zErr, sizeof(zErr))==SQLITE_OK ){
      sqlite3_stmt *pStmt = 0;
      if( sqlite3_prepare_v2(db, "SELECT tsm_version()", -1, &pStmt, 0)==SQLITE_OK
       && sqlite3_step(pStmt)==SQLITE_ROW ){
        snprintf(b.zTsmVersion, sizeof(b.zTsmVersion), "%s",
                 (const char *)sqlite3_column_text(pStmt, 0));
      }
      sqlite3_finalize(pStmt);
    }else{
      benchNote("tsm does not load: %s", zErr);
    }
    sqlite3_close(db);
  }

  /* Figures 1, 2 and 8: every ingest BENCH_ROUNDS times, the contenders
  ** interleaved so that a noisy spell of the machine does not hit only one
  ** of them; the fastest round counts (the largest RSS). */
  for(r = 0; r < BENCH_ROUNDS; r++){
    for(i = 0; i < N_CONTENDER; i++){
      const Contender *pC = &aContender[i];
      int bAlt;
      for(bAlt = 0; bAlt <= (pC->zInsertAlt ? 1 : 0); bAlt++){
        benchIngestFigures(&b, pC, bAlt, r);
      }
    }
  }

  /* Figures 3 to 7 on the databases of figure 1, then 3b. */
  for(i = 0; i < N_CONTENDER; i++){
    const Contender *pC = &aContender[i];
    if( !isnan(aResult[R_INGEST][pC->iCol]) ){
      t0 = benchNow();
      benchQueries(&b, pC);
      benchNote("%s: queries and retention %.1f s", azColName[pC->iCol],
                benchNow() - t0);
    }
    if( b.nNab ) benchNabBytes(&b, pC);
  }

  benchNodeContenders(&b);

  /* Rows that compare a tsm variant with the baselines' main figure. */
  for(r = 0; r < N_ROW; r++){
    if( aFigure[r].iSame < 0 ) continue;
    for(c = 1; c < N_COL; c++) aResult[r][c] = aResult[aFigure[r].iSame][c];
  }

  benchCrossCheck(&b);
  benchPrint(&b, benchNow() - tStart);

  for(i = 1; i <= 3; i++) for(c = 0; c < N_COL; c++) benchResultReset(&aRes[i][c]);
  for(i = 0; i < N_VARIANT; i++) benchResultReset(&aResVariant[i]);
  benchSeriesFree(b.aSeries, b.nSeries);
  benchSeriesFree(b.aNab, b.nNab);
  return 0;
}
