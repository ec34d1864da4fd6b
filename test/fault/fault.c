/* SPDX-License-Identifier: MIT */
/*
** fault.c -- fault injection for tsm, in the manner of SQLite's own
** "anomaly testing": out-of-memory at every allocation and I/O errors at
** every write and sync of a representative workload.
**
**   build/test_fault                 a stride of the points (make test)
**   build/test_fault --all           every point (make fault, .ci/run)
**   build/test_fault --stride N      every Nth point
**   build/test_fault --point KIND:N  one point, with its details
**
** Built with the extension's sources and the system libsqlite3 under
** AddressSanitizer + UBSan + LeakSanitizer (Makefile: build/test_fault).
**
** The workload (aStep) is a list of SQL scripts: transactions that record
** (bulk INSERT, tsm_record, tsm_flush mid-transaction, late samples into
** sealed chunks, a savepoint rolled back, an app ROLLBACK, NaN payloads and
** -0.0), tsm_downsample, tsm_prune and the automatic prune at every commit,
** queries, DELETE FROM tsm_series, retention edits.  A step is acknowledged
** when every statement of it returned SQLITE_OK.
**
** Faults.  Allocations: SQLITE_CONFIG_MALLOC with a wrapper whose Nth
** xMalloc/xRealloc call fails (KIND "oom1": only that one, "oom": that one
** and every later one).  I/O: a VFS shim over the default one whose Nth
** xWrite fails with SQLITE_IOERR_WRITE ("wio1", "wio") or SQLITE_FULL
** ("full1", "full"), or whose Nth xSync fails ("sync1", "sync"); each in
** WAL and in DELETE journal mode.  N counts from the first step, after the
** connection was opened and the store set up.
**
** After each point, faults off, on the same connection:
**   - nothing crashed, no step left the connection inside a transaction
**     (sqlite3_get_autocommit), a one-shot fault failed at most one step;
**   - tsm_check() is 'ok';
**   - the store holds exactly what a fault-free replay of the acknowledged
**     steps holds (every sample bit-exact, series, rollups, policies), and
**     the acknowledged queries returned what the replay returned;
**   - the connection still records and commits;
** then the database is closed and opened again (the same content and
** tsm_check() ok there), and every allocation made through SQLite was freed.
** LeakSanitizer checks the rest at exit.
**
** Besides the sweep, named regression cases (defects of issue #10) run at
** every allocation of their one call.
*/
#include <sqlite3.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

int sqlite3_tsm_init(sqlite3*, char**, const void*);

/**************************************************************************
** Failing malloc
*/
static sqlite3_mem_methods gMem;       /* the default allocator */
static struct {
  int bArmed;
  int bPersist;
  long iFail;                          /* index of the first failure */
  long nCall;                          /* xMalloc/xRealloc calls counted */
  long nFail;                          /* failures returned */
  long long nOut;                      /* bytes outstanding */
} gM;

static int memFail(void){
  if( !gM.bArmed ) return 0;
  gM.nCall++;
  if( gM.nCall==gM.iFail || (gM.bPersist && gM.nCall>gM.iFail) ){
    gM.nFail++;
    return 1;
  }
  return 0;
}
static void *memMalloc(int n){
  void *p;
  if( memFail() ) return 0;
  p = gMem.xMalloc(n);
  if( p ) gM.nOut += gMem.xSize(p);
  return p;
}
static void memFree(void *p){
  if( p ) gM.nOut -= gMem.xSize(p);
  gMem.xFree(p);
}
static void *memRealloc(void *p, int n){
  int nOld = p ? gMem.xSize(p) : 0;
  void *pNew;
  if( memFail() ) return 0;
  pNew = gMem.xRealloc(p, n);
  if( pNew ) gM.nOut += gMem.xSize(pNew) - nOld;
  return pNew;
}
static int memSize(void *p){ return gMem.xSize(p); }
static int memRoundup(int n){ return gMem.xRoundup(n); }
static int memInit(void *x){ return gMem.xInit(x); }
static void memShutdown(void *x){ gMem.xShutdown(x); }

/**************************************************************************
** Failing VFS: a shim over the default VFS.  xSync does not reach the disk
** (speed); it only counts and fails.
*/
enum { IO_WRITE, IO_SYNC };
static struct {
  int bArmed;
  int bPersist;
  int eOp;                             /* IO_WRITE or IO_SYNC */
  int rcFail;                          /* error returned */
  long iFail;
  long nCall[2];
  long nFail;
} gIo;
static sqlite3_vfs *gpReal;
typedef struct FaultFile { sqlite3_file base; sqlite3_file *pReal; } FaultFile;

static int ioFail(int eOp){
  if( !gIo.bArmed ) return 0;
  gIo.nCall[eOp]++;
  if( eOp!=gIo.eOp ) return 0;
  if( gIo.nCall[eOp]==gIo.iFail || (gIo.bPersist && gIo.nCall[eOp]>gIo.iFail) ){
    gIo.nFail++;
    return 1;
  }
  return 0;
}
#define REAL(f) (((FaultFile*)(f))->pReal)
static int ffClose(sqlite3_file *f){
  int rc = REAL(f)->pMethods ? REAL(f)->pMethods->xClose(REAL(f)) : SQLITE_OK;
  return rc;
}
static int ffRead(sqlite3_file *f, void *a, int n, sqlite3_int64 o){
  return REAL(f)->pMethods->xRead(REAL(f), a, n, o);
}
static int ffWrite(sqlite3_file *f, const void *a, int n, sqlite3_int64 o){
  if( ioFail(IO_WRITE) ) return gIo.rcFail;
  return REAL(f)->pMethods->xWrite(REAL(f), a, n, o);
}
static int ffTruncate(sqlite3_file *f, sqlite3_int64 n){
  return REAL(f)->pMethods->xTruncate(REAL(f), n);
}
static int ffSync(sqlite3_file *f, int flags){
  (void)f; (void)flags;
  if( ioFail(IO_SYNC) ) return gIo.rcFail;
  return SQLITE_OK;
}
static int ffFileSize(sqlite3_file *f, sqlite3_int64 *p){
  return REAL(f)->pMethods->xFileSize(REAL(f), p);
}
static int ffLock(sqlite3_file *f, int e){
  return REAL(f)->pMethods->xLock(REAL(f), e);
}
static int ffUnlock(sqlite3_file *f, int e){
  return REAL(f)->pMethods->xUnlock(REAL(f), e);
}
static int ffCheckReservedLock(sqlite3_file *f, int *p){
  return REAL(f)->pMethods->xCheckReservedLock(REAL(f), p);
}
static int ffFileControl(sqlite3_file *f, int op, void *p){
  return REAL(f)->pMethods->xFileControl(REAL(f), op, p);
}
static int ffSectorSize(sqlite3_file *f){
  return REAL(f)->pMethods->xSectorSize(REAL(f));
}
static int ffDeviceCharacteristics(sqlite3_file *f){
  return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int ffShmMap(sqlite3_file *f, int i, int n, int b, void volatile **pp){
  return REAL(f)->pMethods->xShmMap(REAL(f), i, n, b, pp);
}
static int ffShmLock(sqlite3_file *f, int o, int n, int fl){
  return REAL(f)->pMethods->xShmLock(REAL(f), o, n, fl);
}
static void ffShmBarrier(sqlite3_file *f){
  REAL(f)->pMethods->xShmBarrier(REAL(f));
}
static int ffShmUnmap(sqlite3_file *f, int b){
  return REAL(f)->pMethods->xShmUnmap(REAL(f), b);
}
static int ffFetch(sqlite3_file *f, sqlite3_int64 o, int n, void **pp){
  return REAL(f)->pMethods->xFetch(REAL(f), o, n, pp);
}
static int ffUnfetch(sqlite3_file *f, sqlite3_int64 o, void *p){
  return REAL(f)->pMethods->xUnfetch(REAL(f), o, p);
}
static const sqlite3_io_methods gFileMethods = {
  3, ffClose, ffRead, ffWrite, ffTruncate, ffSync, ffFileSize, ffLock,
  ffUnlock, ffCheckReservedLock, ffFileControl, ffSectorSize,
  ffDeviceCharacteristics, ffShmMap, ffShmLock, ffShmBarrier, ffShmUnmap,
  ffFetch, ffUnfetch
};
static int fvOpen(sqlite3_vfs *pVfs, const char *zName, sqlite3_file *f,
                  int flags, int *pOut){
  FaultFile *p = (FaultFile*)f;
  int rc;
  (void)pVfs;
  p->pReal = (sqlite3_file*)&p[1];
  rc = gpReal->xOpen(gpReal, zName, p->pReal, flags, pOut);
  f->pMethods = p->pReal->pMethods ? &gFileMethods : 0;
  return rc;
}
static int fvDelete(sqlite3_vfs *v, const char *z, int b){
  (void)v; return gpReal->xDelete(gpReal, z, b);
}
static int fvAccess(sqlite3_vfs *v, const char *z, int f, int *p){
  (void)v; return gpReal->xAccess(gpReal, z, f, p);
}
static int fvFullPathname(sqlite3_vfs *v, const char *z, int n, char *zOut){
  (void)v; return gpReal->xFullPathname(gpReal, z, n, zOut);
}
static void *fvDlOpen(sqlite3_vfs *v, const char *z){
  (void)v; return gpReal->xDlOpen(gpReal, z);
}
static void fvDlError(sqlite3_vfs *v, int n, char *z){
  (void)v; gpReal->xDlError(gpReal, n, z);
}
static void (*fvDlSym(sqlite3_vfs *v, void *p, const char *z))(void){
  (void)v; return gpReal->xDlSym(gpReal, p, z);
}
static void fvDlClose(sqlite3_vfs *v, void *p){
  (void)v; gpReal->xDlClose(gpReal, p);
}
static int fvRandomness(sqlite3_vfs *v, int n, char *z){
  (void)v; return gpReal->xRandomness(gpReal, n, z);
}
static int fvSleep(sqlite3_vfs *v, int n){
  (void)v; return gpReal->xSleep(gpReal, n);
}
static int fvCurrentTime(sqlite3_vfs *v, double *p){
  (void)v; return gpReal->xCurrentTime(gpReal, p);
}
static int fvGetLastError(sqlite3_vfs *v, int n, char *z){
  (void)v; return gpReal->xGetLastError(gpReal, n, z);
}
static int fvCurrentTimeInt64(sqlite3_vfs *v, sqlite3_int64 *p){
  (void)v; return gpReal->xCurrentTimeInt64(gpReal, p);
}
static sqlite3_vfs gVfs = {
  2, 0, 0, 0, "fault", 0, fvOpen, fvDelete, fvAccess, fvFullPathname,
  fvDlOpen, fvDlError, fvDlSym, fvDlClose, fvRandomness, fvSleep,
  fvCurrentTime, fvGetLastError, fvCurrentTimeInt64, 0, 0, 0
};

static void faultsOff(void){ gM.bArmed = 0; gIo.bArmed = 0; }

/**************************************************************************
** The workload
*/
#define T0 "1577836800000"             /* 2020-01-01, far before the clock */
#define GEN(n) "WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i+1 " \
               "FROM g WHERE i<" #n "-1) "

typedef struct Step {
  const char *zSql;
  int bOutput;                         /* compare its rows with the replay */
} Step;

static const Step aStep[] = {
  { "INSERT INTO tsm_retention(metric, resolution, keep) VALUES"
    "  ('*', 'raw', '2h'), ('*', '1m', '1d'), ('f*', '1h', NULL)", 0 },
  { "BEGIN;"
    GEN(300) "INSERT INTO tsm_samples(metric, labels, ts, value)"
    "  SELECT 'fa', '{\"h\":\"a\"}', " T0 "+i*10000, i*0.5 FROM g;"
    "SELECT tsm_record('fb', 1.25, '{\"h\":\"b\"}', " T0 "+1000);"
    "SELECT tsm_record('fb{h=\"b\"}', 2.5, NULL, " T0 "+2000);"
    "SELECT tsm_record('fb', -3, '{\"h\":\"c\"}', " T0 "+2000);"
    "COMMIT", 0 },
  { "SELECT tsm_record('fb', 7.75, '{\"h\":\"b\"}', " T0 "+5000)", 1 },
  { "BEGIN;"
    GEN(200) "INSERT INTO tsm_samples(metric, labels, ts, value)"
    "  SELECT 'fc', NULL, " T0 "+i*30000, i FROM g;"
    "SELECT tsm_flush();"
    GEN(300) "INSERT INTO tsm_samples(metric, labels, ts, value)"
    "  SELECT 'fa', '{\"h\":\"a\"}', " T0 "+(300+i)*10000, 1e300/(i+1) FROM g;"
    "INSERT INTO tsm_samples(metric, ts, value_bits) VALUES"
    "  ('fnan', " T0 ", 0x7ff8000000000123), ('fnan', " T0 "+1, "
    "   -9223372036854775808);"
    "COMMIT", 0 },
  { "SELECT tsm_downsample()", 1 },
  { "BEGIN;"
    GEN(50) "INSERT INTO tsm_samples(metric, labels, ts, value)"
    "  SELECT 'fa', '{\"h\":\"a\"}', " T0 "+i*10000+5000, -i FROM g;"
    "SAVEPOINT sp;"
    "INSERT INTO tsm_samples(metric, labels, ts, value) VALUES"
    "  ('fb', '{\"h\":\"b\"}', " T0 "+9000, 99);"
    "ROLLBACK TO sp; RELEASE sp;"
    "INSERT INTO tsm_samples(metric, labels, ts, value) VALUES"
    "  ('fb', '{\"h\":\"b\"}', " T0 "+1000, 1.5);"
    "COMMIT", 0 },
  { "SELECT tsm_prune()", 1 },
  { "BEGIN;"
    GEN(500) "INSERT INTO tsm_samples(metric, labels, ts, value)"
    "  SELECT 'fa', '{\"h\":\"a\"}', " T0 "+(600+i)*10000, i%7 FROM g;"
    GEN(100) "INSERT INTO tsm_samples(metric, labels, ts, value)"
    "  SELECT 'fb', '{\"h\":\"b\"}', " T0 "+10800000+i*1000, i FROM g;"
    "COMMIT", 0 },
  { "SELECT series_id, ts, count, sum, min, max, first, last, increase, "
    "  sketch FROM tsm_query('fa', " T0 ", " T0 "+14400000, 600000)", 1 },
  { "SELECT series_id, ts, value_bits FROM tsm_samples"
    "  WHERE metric='fb' AND ts>" T0 " ORDER BY ts", 1 },
  { "UPDATE tsm_retention SET keep='90m' WHERE resolution='raw'", 0 },
  { "SELECT tsm_prune()", 1 },
  { "DELETE FROM tsm_series WHERE metric='fc'", 0 },
  { "SELECT tsm_downsample('1m', " T0 ", " T0 "+3600000)", 1 },
  { "SELECT series_id, ts, count, sum, sketch FROM tsm_rollups"
    "  WHERE resolution='1h' ORDER BY 1, 2", 1 },
  { "BEGIN;"
    "INSERT INTO tsm_samples(metric, ts, value) VALUES ('fe', " T0 ", 1);"
    "ROLLBACK", 0 },
  { "DELETE FROM tsm_retention WHERE resolution='1h'", 0 },
  { "SELECT tsm_prometheus()", 1 },
  { "SELECT tsm_latest('fa', '{\"h\":\"a\"}'), tsm_latest('fb{h=\"c\"}')", 1 },
  { "INSERT INTO tsm_samples(metric, labels, ts, value) VALUES"
    "  ('fd', '{\"x\":\"1\"}', " T0 "+1, 1), ('fd', '{\"x\":\"2\"}', "
    T0 "+1, 2), ('fd', NULL, " T0 "+3, 0.1)", 0 },
  /* the pure modules' allocations (alloc.h): PCRE2, the exchange
  ** formats, sketches */
  { "SELECT series_id, ts, count, sum FROM tsm_query("
    "  '{__name__=~\"f[ab]\", h!~\"(?i)C|x+\"}', " T0 ", " T0 "+3600000, '10m')",
    1 },
  { "SELECT data FROM tsm_export('{__name__=~\"f.*\"}', " T0 ", "
    T0 "+600000, 'openmetrics')", 1 },
  { "SELECT length(data) FROM tsm_export('fb', " T0 ", " T0 "+20000000, "
    "  'remote_write')", 1 },
  { "SELECT tsm_import('{\"metric\":{\"__name__\":\"fi\",\"k\":\"v\"},"
    "\"values\":[1.5,2],\"timestamps\":[" T0 "," T0 "1]}', 'jsonl')", 1 },
  { "SELECT series_id, tsm_quantile(tsm_sketch_merge(sketch), 0.9) "
    "  FROM tsm_rollups GROUP BY 1 ORDER BY 1", 1 },
};
#define N_STEP ((int)(sizeof(aStep)/sizeof(aStep[0])))

/* After the workload, faults off: the connection still records. */
#define PROBE "INSERT INTO tsm_samples(metric, ts, value) VALUES" \
              "('probe', 1, 1); SELECT tsm_record('probe', 2, NULL, 2)"

/* What must be the same as the replay's. */
static const char *const azDump[] = {
  "SELECT series_id, metric, labels FROM tsm_series ORDER BY 1",
  "SELECT series_id, ts, value_bits FROM tsm_samples ORDER BY 1, 2",
  "SELECT series_id, resolution, ts, count, sum, min, max, first, last, "
  "  sketch FROM tsm_rollups ORDER BY 1, 2, 3",
  "SELECT metric, resolution, keep, max_bytes FROM tsm_retention ORDER BY 1, 2",
};

/* A growable string. */
typedef struct Str { char *z; size_t n, nAlloc; } Str;
static void strAppend(Str *p, const char *z, size_t n){
  if( p->n+n+1>p->nAlloc ){
    p->nAlloc = (p->n+n+1)*2;
    p->z = realloc(p->z, p->nAlloc);
    if( p->z==0 ){ fprintf(stderr, "out of memory\n"); exit(2); }
  }
  memcpy(p->z+p->n, z, n);
  p->n += n;
  p->z[p->n] = 0;
}
static void strPrintf(Str *p, const char *zFmt, ...){
  char zBuf[256];
  va_list ap;
  int n;
  va_start(ap, zFmt);
  n = vsnprintf(zBuf, sizeof(zBuf), zFmt, ap);
  va_end(ap);
  strAppend(p, zBuf, (size_t)n<sizeof(zBuf) ? (size_t)n : sizeof(zBuf)-1);
}
static void strFree(Str *p){ free(p->z); memset(p, 0, sizeof(*p)); }

/* Append a row of pStmt, every value exact (REAL as its bits). */
static void rowAppend(Str *pOut, sqlite3_stmt *pStmt){
  int i, n = sqlite3_column_count(pStmt);
  for(i=0; i<n; i++){
    switch( sqlite3_column_type(pStmt, i) ){
      case SQLITE_INTEGER:
        strPrintf(pOut, " i%lld", (long long)sqlite3_column_int64(pStmt, i));
        break;
      case SQLITE_FLOAT: {
        double r = sqlite3_column_double(pStmt, i);
        uint64_t u;
        memcpy(&u, &r, 8);
        strPrintf(pOut, " r%016llx", (unsigned long long)u);
        break;
      }
      case SQLITE_NULL:
        strAppend(pOut, " n", 2);
        break;
      default: {
        const unsigned char *a = sqlite3_column_blob(pStmt, i);
        int k, nb = sqlite3_column_bytes(pStmt, i);
        strPrintf(pOut, " %c%d:", sqlite3_column_type(pStmt, i)==SQLITE_TEXT
                  ? 't' : 'b', nb);
        for(k=0; a && k<nb; k++) strPrintf(pOut, "%02x", a[k]);
      }
    }
  }
  strAppend(pOut, "\n", 1);
}

/* Run every statement of zSql; rows appended to pOut (may be NULL).
** Returns SQLITE_OK or the first error (and stops there). */
static int runScript(sqlite3 *db, const char *zSql, Str *pOut){
  int rc = SQLITE_OK;
  while( rc==SQLITE_OK && zSql && zSql[0] ){
    sqlite3_stmt *pStmt = 0;
    const char *zTail = 0;
    rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, &zTail);
    if( rc==SQLITE_OK && pStmt ){
      while( (rc = sqlite3_step(pStmt))==SQLITE_ROW ){
        if( pOut ) rowAppend(pOut, pStmt);
      }
      if( rc==SQLITE_DONE ) rc = SQLITE_OK;
      sqlite3_finalize(pStmt);
    }
    zSql = zTail;
  }
  return rc;
}

/* Everything azDump shows, in *pOut; SQLITE_OK or an error. */
static int dumpStore(sqlite3 *db, Str *pOut){
  int rc = SQLITE_OK, i;
  for(i=0; rc==SQLITE_OK && i<(int)(sizeof(azDump)/sizeof(azDump[0])); i++){
    strPrintf(pOut, "-- %d\n", i);
    rc = runScript(db, azDump[i], pOut);
  }
  return rc;
}

static char zDir[512];                 /* where the databases go */

static void removeDb(const char *zFile){
  static const char *azSuffix[] = { "", "-wal", "-shm", "-journal" };
  char zPath[600];
  int i;
  for(i=0; i<4; i++){
    snprintf(zPath, sizeof(zPath), "%s%s", zFile, azSuffix[i]);
    unlink(zPath);
  }
}

/* Open zFile through the fault VFS with tsm registered; exit on failure
** (faults are off while this runs). */
static sqlite3 *openDb(const char *zFile, const char *zJournal){
  sqlite3 *db = 0;
  char *zErr = 0, *zSql;
  if( sqlite3_open_v2(zFile, &db, SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE,
                      "fault")
   || sqlite3_tsm_init(db, &zErr, 0) ){
    fprintf(stderr, "cannot open %s: %s %s\n", zFile, sqlite3_errmsg(db),
            zErr ? zErr : "");
    exit(2);
  }
  zSql = sqlite3_mprintf("PRAGMA journal_mode=%s; PRAGMA synchronous=FULL;"
                         "PRAGMA cache_size=50; SELECT tsm_auto(0)", zJournal);
  if( runScript(db, zSql, 0) ){
    fprintf(stderr, "cannot set up %s: %s\n", zFile, sqlite3_errmsg(db));
    exit(2);
  }
  sqlite3_free(zSql);
  return db;
}

/* A fresh store (a copy of the template made once); openDb made the
** automatic maintenance run at every commit (deterministic). */
static sqlite3 *openFresh(const char *zFile, const char *zJournal){
  static char zTmpl[600];
  char aBuf[8192];
  FILE *pIn, *pOut;
  size_t n;
  if( zTmpl[0]==0 ){
    sqlite3 *db;
    snprintf(zTmpl, sizeof(zTmpl), "%s/template.db", zDir);
    removeDb(zTmpl);
    db = openDb(zTmpl, "DELETE");
    if( runScript(db, "SELECT tsm_init()", 0) ){
      fprintf(stderr, "cannot create the store: %s\n", sqlite3_errmsg(db));
      exit(2);
    }
    sqlite3_close(db);
  }
  removeDb(zFile);
  pIn = fopen(zTmpl, "rb");
  pOut = fopen(zFile, "wb");
  if( pIn==0 || pOut==0 ){ fprintf(stderr, "cannot copy %s\n", zTmpl); exit(2); }
  while( (n = fread(aBuf, 1, sizeof(aBuf), pIn))>0 ) fwrite(aBuf, 1, n, pOut);
  fclose(pIn);
  if( fclose(pOut) ){ fprintf(stderr, "cannot write %s\n", zFile); exit(2); }
  return openDb(zFile, zJournal);
}

/* The outcome of one run of the workload. */
typedef struct Run {
  int aOk[N_STEP];                     /* step acknowledged */
  Str aOut[N_STEP];                    /* rows of each step */
  char zProblem[400];                  /* first problem seen while running */
} Run;

static void runFree(Run *p){
  int i;
  for(i=0; i<N_STEP; i++) strFree(&p->aOut[i]);
}

/*
** Run the workload on db.  After a failed step the app rolls back what it
** began (faults off for that, as an app would retry): a failed step never
** leaves its own transaction behind.  A step that began no transaction
** must leave none: that is tsm's job.
*/
static void runWorkload(sqlite3 *db, Run *pRun, int (*xArm)(int),
                        uint64_t mSkip){
  int i;
  for(i=0; i<N_STEP; i++){
    int rc, bBegins = strncmp(aStep[i].zSql, "BEGIN", 5)==0;
    if( mSkip & ((uint64_t)1<<i) ) continue;
    if( xArm ) xArm(1);
    rc = runScript(db, aStep[i].zSql, &pRun->aOut[i]);
    faultsOff();
    if( rc!=SQLITE_OK && gM.nFail==0 && gIo.nFail==0
     && pRun->zProblem[0]==0 ){
      snprintf(pRun->zProblem, sizeof(pRun->zProblem),
               "step %d failed without a fault (rc=%d %s)",
               i, rc, sqlite3_errmsg(db));
    }
    pRun->aOk[i] = rc==SQLITE_OK;
    if( !sqlite3_get_autocommit(db) ){
      if( !bBegins && pRun->zProblem[0]==0 ){
        snprintf(pRun->zProblem, sizeof(pRun->zProblem),
                 "step %d (rc=%d %s) left the connection in a transaction",
                 i, rc, sqlite3_errmsg(db));
      }
      sqlite3_exec(db, "ROLLBACK", 0, 0, 0);
    }
  }
}

/* Replays of the acknowledged steps, by the set of failed steps. */
typedef struct Ref { uint64_t mFailed; Str dump; Run run; } Ref;
static Ref *aRef;
static int nRef;

static Ref *refFor(uint64_t mFailed, const char *zJournal){
  char zFile[600];
  sqlite3 *db;
  Ref *p;
  int i;
  for(i=0; i<nRef; i++){
    if( aRef[i].mFailed==mFailed ) return &aRef[i];
  }
  aRef = realloc(aRef, sizeof(Ref)*(size_t)(nRef+1));
  if( aRef==0 ) exit(2);
  p = &aRef[nRef++];
  memset(p, 0, sizeof(*p));
  p->mFailed = mFailed;
  snprintf(zFile, sizeof(zFile), "%s/ref.db", zDir);
  db = openFresh(zFile, zJournal);
  runWorkload(db, &p->run, 0, mFailed);
  if( runScript(db, PROBE, 0) || dumpStore(db, &p->dump) ){
    fprintf(stderr, "replay: dump failed: %s\n", sqlite3_errmsg(db));
    exit(2);
  }
  sqlite3_close(db);
  return p;
}

static void refClear(void){
  int i;
  for(i=0; i<nRef; i++){ strFree(&aRef[i].dump); runFree(&aRef[i].run); }
  nRef = 0;
}

/* The first line where a and b differ, for a report. */
static void firstDiff(const char *a, const char *b, char *zOut, int nOut){
  int iLine = 1;
  const char *a0 = a, *b0 = b;
  while( *a && *a==*b ){
    if( *a=='\n' ){ iLine++; a0 = a+1; b0 = b+1; }
    a++; b++;
  }
  snprintf(zOut, (size_t)nOut, "line %d: got \"%.80s\" want \"%.80s\"",
           iLine, a0, b0);
  { char *z; for(z=zOut; *z; z++) if( *z=='\n' ) *z = '|'; }
}

/**************************************************************************
** Points
*/
typedef struct Kind {
  const char *zName;
  int bIo;                             /* I/O, else allocation */
  int bPersist;
  int eOp, rcFail;                     /* for I/O */
} Kind;
static const Kind aKind[] = {
  { "oom1",  0, 0, 0, 0 },
  { "oom",   0, 1, 0, 0 },
  { "wio1",  1, 0, IO_WRITE, SQLITE_IOERR_WRITE },
  { "wio",   1, 1, IO_WRITE, SQLITE_IOERR_WRITE },
  { "full1", 1, 0, IO_WRITE, SQLITE_FULL },
  { "full",  1, 1, IO_WRITE, SQLITE_FULL },
  { "sync1", 1, 0, IO_SYNC,  SQLITE_IOERR_FSYNC },
  { "sync",  1, 1, IO_SYNC,  SQLITE_IOERR_FSYNC },
};
#define N_KIND ((int)(sizeof(aKind)/sizeof(aKind[0])))

static const Kind *gpKind;
static long giPoint;
static int armPoint(int bOn){
  if( gpKind->bIo ) gIo.bArmed = bOn;
  else gM.bArmed = bOn;
  return 0;
}

static int nPointFail;
static int bVerbose;

static void pointFail(const char *zJournal, const char *zFmt, ...){
  char zMsg[600];
  va_list ap;
  va_start(ap, zFmt);
  vsnprintf(zMsg, sizeof(zMsg), zFmt, ap);
  va_end(ap);
  nPointFail++;
  if( nPointFail<=20 || bVerbose ){
    printf("! fault %s:%ld (%s): %s\n", gpKind->zName, giPoint, zJournal, zMsg);
  }
}

/*
** One point: run the workload with fault K at index iPoint, check.  Returns
** how many faults fired (0: the point is past the end of the workload).
*/
static long runPoint(const Kind *pK, long iPoint, const char *zJournal){
  char zFile[600], zDiff[300];
  sqlite3 *db;
  Run run;
  Ref *pRef;
  Str dump = {0,0,0};
  uint64_t mFailed = 0;
  long nFired;
  int i;
  long long nOut0 = gM.nOut;

  gpKind = pK;
  giPoint = iPoint;
  memset(&run, 0, sizeof(run));
  snprintf(zFile, sizeof(zFile), "%s/fault.db", zDir);
  db = openFresh(zFile, zJournal);
  memset(&gIo, 0, sizeof(gIo));
  gM.nCall = 0; gM.nFail = 0;
  gM.iFail = iPoint; gM.bPersist = pK->bPersist;
  gIo.iFail = iPoint; gIo.bPersist = pK->bPersist;
  gIo.eOp = pK->eOp; gIo.rcFail = pK->rcFail;
  runWorkload(db, &run, armPoint, 0);
  faultsOff();
  nFired = pK->bIo ? gIo.nFail : gM.nFail;

  /* The replay skips the steps that failed (one-shot: the first one); the
  ** other steps must do there what they did here. */
  for(i=0; i<N_STEP; i++){
    if( !run.aOk[i] && (pK->bPersist || mFailed==0) ){
      mFailed |= (uint64_t)1<<i;
    }
  }
  if( run.zProblem[0] ) pointFail(zJournal, "%s", run.zProblem);
  if( nFired==0 && mFailed ){
    pointFail(zJournal, "steps failed without a fault (0x%llx)",
              (unsigned long long)mFailed);
  }
  pRef = refFor(mFailed, zJournal);
  for(i=0; i<N_STEP; i++){
    if( (mFailed & ((uint64_t)1<<i))==0 && run.aOk[i]!=pRef->run.aOk[i] ){
      pointFail(zJournal, "step %d %s here, %s in the replay (skipping 0x%llx)",
                i, run.aOk[i] ? "succeeded" : "failed",
                pRef->run.aOk[i] ? "succeeded" : "failed",
                (unsigned long long)mFailed);
    }
  }
  for(i=0; i<N_STEP; i++){
    if( run.aOk[i] && aStep[i].bOutput && run.aOut[i].n
     && strcmp(run.aOut[i].z, pRef->run.aOut[i].z ? pRef->run.aOut[i].z : "") ){
      firstDiff(run.aOut[i].z, pRef->run.aOut[i].z ? pRef->run.aOut[i].z : "",
                zDiff, sizeof(zDiff));
      pointFail(zJournal, "step %d returned other rows: %s", i, zDiff);
    }
  }
  {
    sqlite3_stmt *pStmt = 0;
    const char *z = 0;
    if( sqlite3_prepare_v2(db, "SELECT tsm_check()", -1, &pStmt, 0)==SQLITE_OK
     && sqlite3_step(pStmt)==SQLITE_ROW ){
      z = (const char*)sqlite3_column_text(pStmt, 0);
    }
    if( z==0 || strcmp(z, "ok") ){
      pointFail(zJournal, "tsm_check(): %s", z ? z : sqlite3_errmsg(db));
    }
    sqlite3_finalize(pStmt);
  }
  if( runScript(db, PROBE, 0) || !sqlite3_get_autocommit(db) ){
    pointFail(zJournal, "the connection cannot commit: %s",
              sqlite3_errmsg(db));
  }
  if( dumpStore(db, &dump) ){
    pointFail(zJournal, "cannot read the store: %s", sqlite3_errmsg(db));
  }else if( strcmp(dump.z, pRef->dump.z) ){
    firstDiff(dump.z, pRef->dump.z, zDiff, sizeof(zDiff));
    pointFail(zJournal, "store differs from the replay of the acknowledged "
              "steps (failed 0x%llx): %s", (unsigned long long)mFailed, zDiff);
  }
  if( sqlite3_close(db)!=SQLITE_OK ){
    pointFail(zJournal, "sqlite3_close: %s", sqlite3_errmsg(db));
    sqlite3_close_v2(db);
  }
  strFree(&dump);

  /* The file as another connection finds it. */
  db = openDb(zFile, zJournal);
  if( dumpStore(db, &dump) ){
    pointFail(zJournal, "reopened: %s", sqlite3_errmsg(db));
  }else if( strcmp(dump.z, pRef->dump.z) ){
    firstDiff(dump.z, pRef->dump.z, zDiff, sizeof(zDiff));
    pointFail(zJournal, "reopened store differs: %s", zDiff);
  }
  sqlite3_close(db);
  strFree(&dump);
  runFree(&run);
  if( gM.nOut!=nOut0 ){
    pointFail(zJournal, "%lld bytes allocated through SQLite not freed",
              gM.nOut-nOut0);
  }
  return nFired;
}

/* Allocations (or writes, or syncs) of the workload without faults. */
static long countCalls(const Kind *pK, const char *zJournal){
  char zFile[600];
  sqlite3 *db;
  Run run;
  memset(&run, 0, sizeof(run));
  snprintf(zFile, sizeof(zFile), "%s/fault.db", zDir);
  db = openFresh(zFile, zJournal);
  memset(&gIo, 0, sizeof(gIo));
  gM.nCall = 0; gM.nFail = 0;
  gM.iFail = gIo.iFail = -1;
  gM.bPersist = gIo.bPersist = 0;
  gpKind = pK;
  giPoint = 0;
  runWorkload(db, &run, armPoint, 0);
  if( run.zProblem[0] ) pointFail(zJournal, "%s", run.zProblem);
  sqlite3_close(db);
  runFree(&run);
  return pK->bIo ? gIo.nCall[pK->eOp] : gM.nCall;
}

static double nowSec(void){
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + t.tv_nsec/1e9;
}

/**************************************************************************
** Regression cases of issue #10, each at every allocation of its call.
*/
static int nCase, nCaseFail;

/* Run zSetup, then zSql with persistent (bPersist) or one-shot OOM at
** every index until zSql succeeds; after each: no transaction left, a
** write commits and is there, tsm_check() ok.  Returns the indexes run. */
static long gnStride;                  /* --stride, --all; 0 for default */
static long oomSweep(const char *zName, const char *zSetup, const char *zSql,
                     int bPersist, long nDefaultStride){
  long nStride = gnStride ? gnStride : nDefaultStride;
  long i, nBad = 0;
  char zFile[600];
  double t0 = nowSec();
  snprintf(zFile, sizeof(zFile), "%s/case.db", zDir);
  for(i=1; i<1000000; i+=nStride){
    long long nOut0 = gM.nOut;
    sqlite3 *db;
    sqlite3 *db2;
    int rc;
    if( zSetup==0 ){                      /* an empty database */
      removeDb(zFile);
      db = openDb(zFile, "WAL");
    }else{
      db = openFresh(zFile, "WAL");
    }
    if( zSetup && runScript(db, zSetup, 0) ){
      fprintf(stderr, "%s: setup: %s\n", zName, sqlite3_errmsg(db));
      exit(2);
    }
    gM.nCall = 0; gM.nFail = 0; gM.iFail = i; gM.bPersist = bPersist;
    gM.bArmed = 1;
    rc = runScript(db, zSql, 0);
    faultsOff();
    if( !sqlite3_get_autocommit(db) ){
      if( nBad++<3 ) printf("! %s: OOM at %ld: left in a transaction (rc=%d)\n",
                            zName, i, rc);
      sqlite3_exec(db, "ROLLBACK", 0, 0, 0);
    }
    /* A write in autocommit mode commits: another connection sees it. */
    runScript(db, "SELECT tsm_record('after', 1, NULL, " T0 "+20000000)", 0);
    db2 = openDb(zFile, "WAL");
    {
      Str s = {0,0,0};
      runScript(db2, "SELECT count(*), tsm_check() FROM tsm_samples "
                     "WHERE metric='after'", &s);
      if( s.z==0 || strcmp(s.z, " i1 t2:6f6b\n") ){
        if( nBad++<3 ) printf("! %s: OOM at %ld: a later write was not "
                              "committed or the store is damaged: %s\n",
                              zName, i, s.z ? s.z : sqlite3_errmsg(db2));
      }
      strFree(&s);
    }
    sqlite3_close(db2);
    sqlite3_close(db);
    if( gM.nOut!=nOut0 && nBad++<3 ){
      printf("! %s: OOM at %ld: %lld bytes leaked\n", zName, i, gM.nOut-nOut0);
    }
    if( gM.nFail==0 ) break;             /* the call is done without fault */
  }
  printf("# fault %s: %ld points, %.1fs\n", zName, (i-1)/nStride+1,
         nowSec()-t0);
  nCase++;
  if( nBad ) nCaseFail++;
  return i;
}

static void regressionCases(void){
  const char *zData =
    "INSERT INTO tsm_retention(metric, resolution, keep) VALUES"
    "  ('*', 'raw', '1h'), ('*', '1m', NULL);"
    GEN(400) "INSERT INTO tsm_samples(metric, labels, ts, value)"
    "  SELECT 'm', '{\"k\":\"' || (i%4) || '\"}', " T0 "+i*30000, i FROM g;";
  /* #10.1: OOM inside tsm_downsample() and tsm_prune() in autocommit mode:
  ** their own transaction must end, whatever fails. */
  oomSweep("oom.1.1 tsm_downsample() persistent", zData,
           "SELECT tsm_downsample()", 1, 29);
  oomSweep("oom.1.2 tsm_prune() persistent", zData, "SELECT tsm_prune()", 1,
           29);
  oomSweep("oom.1.3 tsm_prune() one-shot", zData, "SELECT tsm_prune()", 0,
           29);
  /* #10.3: OOM in tsm_record() and INSERT: no crash. */
  oomSweep("oom.3.1 tsm_record()", "",
           "SELECT tsm_record('r', 1, '{\"a\":\"b\"}', 5)", 0, 13);
  oomSweep("oom.3.2 INSERT", "",
           "INSERT INTO tsm_samples(metric, labels, ts, value) VALUES"
           "  ('r{x=\"y\"}', '{\"a\":\"b\"}', '2020-01-01 00:00:01', 1)",
           0, 13);
  oomSweep("oom.3.3 tsm_record() persistent", "",
           "SELECT tsm_record('r', 1, '{\"a\":\"b\"}', '2020-01-01')", 1, 13);
}

/* The store's creation on an empty file (#10: an out-of-memory inside a
** migration left the connection in the savepoint of storeMigrate; now
** migrateAside in store.c). */
static void initCases(void){
  oomSweep("oom.0.1 tsm_init() one-shot", 0, "SELECT tsm_init()", 0, 37);
  oomSweep("oom.0.2 tsm_init() persistent", 0, "SELECT tsm_init()", 1, 37);
}

/**************************************************************************
** Main
*/

int main(int argc, char **argv){
  static const char *azJournal[] = { "WAL", "DELETE" };
  long nStride = 0, nPoint = 0, nSweepFail = 0, nSweep = 0;
  const char *zOnly = 0, *zKind = 0;
  double t0 = nowSec();
  int i, k, j;
  sqlite3_mem_methods mem;

  for(i=1; i<argc; i++){
    if( strcmp(argv[i], "--all")==0 ) nStride = 1;
    else if( strcmp(argv[i], "--stride")==0 && i+1<argc ){
      nStride = atol(argv[++i]);
    }else if( strcmp(argv[i], "--kind")==0 && i+1<argc ){
      zKind = argv[++i];
    }else if( strcmp(argv[i], "--point")==0 && i+1<argc ){
      zOnly = argv[++i]; bVerbose = 1;
    }else{
      fprintf(stderr, "usage: %s [--all | --stride N] [--kind KIND|cases|init] "
              "[--point KIND:N]\n",
              argv[0]);
      return 2;
    }
  }
  if( nStride<=0 ) nStride = 0;        /* 0: the default stride per kind */
  setvbuf(stdout, 0, _IOLBF, 0);

  sqlite3_config(SQLITE_CONFIG_GETMALLOC, &gMem);
  mem = gMem;
  mem.xMalloc = memMalloc; mem.xFree = memFree; mem.xRealloc = memRealloc;
  mem.xSize = memSize; mem.xRoundup = memRoundup; mem.xInit = memInit;
  mem.xShutdown = memShutdown;
  sqlite3_config(SQLITE_CONFIG_MALLOC, &mem);
  sqlite3_initialize();
  gpReal = sqlite3_vfs_find(0);
  gVfs.szOsFile = (int)sizeof(FaultFile) + gpReal->szOsFile;
  gVfs.mxPathname = gpReal->mxPathname;
  sqlite3_vfs_register(&gVfs, 0);

  snprintf(zDir, sizeof(zDir), "%s",
           getenv("TSM_FAULT_DIR") ? getenv("TSM_FAULT_DIR") : "build/tmp/fault");
  {
    char zCmd[600];
    snprintf(zCmd, sizeof(zCmd), "mkdir -p '%s'", zDir);
    if( system(zCmd) ) return 2;
  }

  if( zOnly ){
    const char *zColon = strchr(zOnly, ':');
    for(k=0; k<N_KIND; k++){
      if( zColon && strncmp(aKind[k].zName, zOnly, (size_t)(zColon-zOnly))==0
       && aKind[k].zName[zColon-zOnly]==0 ){
        for(j=0; j<2; j++){
          refClear();
          runPoint(&aKind[k], atol(zColon+1), azJournal[j]);
        }
        printf("%d passed, %d failed\n", nPointFail==0, nPointFail!=0);
        return nPointFail!=0;
      }
    }
    fprintf(stderr, "unknown point %s\n", zOnly);
    return 2;
  }

  gnStride = nStride;
  if( zKind==0 || strcmp(zKind, "cases")==0 ) regressionCases();
  if( zKind==0 || strcmp(zKind, "init")==0 ) initCases();

  for(k=0; k<N_KIND; k++){
    for(j=0; j<2; j++){
      const char *zJ = azJournal[j];
      long n, iStep, iPt, nRun = 0;
      int nFail0 = nPointFail;
      double t1 = nowSec();
      if( !aKind[k].bIo && j==1 ) continue;   /* OOM: WAL only */
      if( zKind && strcmp(zKind, aKind[k].zName) ) continue;   /* --kind */
      n = countCalls(&aKind[k], zJ);
      /* default (make test): 50 allocation points, 12 I/O points */
      iStep = nStride ? nStride : n/(aKind[k].bIo ? 12 : 50)+1;
      refClear();
      for(iPt=1; iPt<=n+1; iPt+=iStep){
        runPoint(&aKind[k], iPt, zJ);
        nRun++;
      }
      nPoint += nRun;
      nSweep++;
      if( nPointFail>nFail0 ) nSweepFail++;
      printf("# fault %-5s %-6s %6ld calls, %6ld points, %3d failed, %.1fs\n",
             aKind[k].zName, zJ, n, nRun, nPointFail-nFail0, nowSec()-t1);
    }
  }
  refClear();
  free(aRef);
  printf("# fault: %ld points in %.1fs\n", nPoint, nowSec()-t0);
  printf("%ld passed, %ld failed\n", nSweep-nSweepFail+nCase-nCaseFail,
         nSweepFail+nCaseFail);
  return (nSweepFail+nCaseFail)!=0;
}
