/* SPDX-License-Identifier: MIT */
/*
** policy.c -- retention policies (table tsm_policies) and the SQL values
** that tsm's functions and tables take: times, durations, resolutions.
**
** Below rollup.c and retention.c, above store.c: it calls only store.c
** (cached statements), the pure parse.c and tsm.c's error helpers.  Every statement on
** tsm_policies is in this file (azPStmt); vtab_retention.c is the SQL
** surface of the table, rollup.c and retention.c read the policies through
** tsmPoliciesLoad() and tsmPolicyFor().
**
** Policies: a GLOB pattern over metric names, a resolution (0 = raw
** samples, else the width of a rollup tier), keep (ms, NULL = forever) and
** max_bytes (NULL = no cap); their meaning is in retention.c.  For each
** resolution separately, a series follows the most specific pattern that
** matches its metric: a pattern without wildcards beats any pattern with
** one; otherwise the higher score wins (2 per literal character, 1 per ?
** or [...], 0 per *), then the pattern that sorts first.  tsm_metrics
** rules (metrics.c) are matched the same way (tsmPatternScore,
** tsmPatternBetter, tsmPatternCheck).
**
** Values:
**   tsmTsFromValue          a timestamp: INTEGER ms, ISO-8601 text; NULL = now
**   tsmWallClock            now, ms since the epoch (the VFS's clock): the one
**                           clock of tsm
**   tsmDurationFromValue    '1m', '90d', or INTEGER ms > 0
**   tsmResolutionFromValue  'raw' or a duration
**   tsmKeepFromValue        a duration, or NULL for forever
**   tsmDurationFormat       ms back to text that the parsers read
*/
#include "tsm.h"
#include "parse.h"
#include <string.h>
#include <math.h>

/**************************************************************************
** Values
*/

#define TSM_TS_MIN (-62167219200000LL)   /* 0000-01-01T00:00:00Z */
#define TSM_TS_MAX (253402300799999LL)   /* 9999-12-31T23:59:59.999Z */

/* Convert a SQL value to a timestamp (ms).  NULL means now.  zArg names the
** argument in errors. */
int tsmTsFromValue(sqlite3_value *pVal, const char *zArg, int64_t *pTs,
                   char **pzErr){
  switch( sqlite3_value_type(pVal) ){
    case SQLITE_NULL:
      *pTs = tsmWallClock();
      return SQLITE_OK;
    case SQLITE_INTEGER:
      *pTs = sqlite3_value_int64(pVal);
      break;
    case SQLITE_FLOAT: {
      double r = sqlite3_value_double(pVal);
      if( !(r>=(double)TSM_TS_MIN && r<=(double)TSM_TS_MAX) || r!=floor(r) ){
        *pzErr = tsmErrMsg("invalid %s %!.17g: must be whole "
            "milliseconds since the Unix epoch (INTEGER) or ISO-8601 text",
            zArg, r);
        return SQLITE_ERROR;
      }
      *pTs = (int64_t)r;
      break;
    }
    case SQLITE_TEXT: {
      char zMsg[256];
      const char *z;
      int rc = tsmValueText(pVal, zArg, &z, pzErr);
      if( rc ) return rc;
      if( tsmTimeParse(z, pTs, zMsg, sizeof(zMsg)) ){
        *pzErr = tsmErrMsg("%s: %s", zArg, zMsg);
        return SQLITE_ERROR;
      }
      break;
    }
    default:
      *pzErr = tsmErrMsg("invalid %s: a BLOB is not a time; give "
          "INTEGER milliseconds since the Unix epoch or ISO-8601 text", zArg);
      return SQLITE_ERROR;
  }
  if( *pTs<TSM_TS_MIN || *pTs>TSM_TS_MAX ){
    *pzErr = tsmErrMsg("invalid %s %lld: must be between %lld "
        "(year 0) and %lld (year 9999) milliseconds since the Unix epoch",
        zArg, (long long)*pTs, TSM_TS_MIN, TSM_TS_MAX);
    return SQLITE_ERROR;
  }
  return SQLITE_OK;
}

/* Wall clock, ms since the Unix epoch (the VFS's clock, as SQLite's). */
int64_t tsmWallClock(void){
  sqlite3_int64 iJd = 0;
  sqlite3_vfs *pVfs = sqlite3_vfs_find(0);
  if( pVfs && pVfs->iVersion>=2 && pVfs->xCurrentTimeInt64 ){
    pVfs->xCurrentTimeInt64(pVfs, &iJd);
  }
  return iJd - 210866760000000LL;   /* Julian day ms -> Unix ms */
}

/* A duration value (TEXT like '1m', or INTEGER ms > 0; a whole REAL too):
** SQLITE_OK, or SQLITE_ERROR with no message. */
int tsmDurationFromValue(sqlite3_value *pVal, int64_t *pMs){
  switch( sqlite3_value_type(pVal) ){
    case SQLITE_INTEGER:
      *pMs = sqlite3_value_int64(pVal);
      return *pMs>0 ? SQLITE_OK : SQLITE_ERROR;
    case SQLITE_FLOAT: {
      double r = sqlite3_value_double(pVal);
      if( !(r>=1.0 && r<9.0e18) || r!=(double)(int64_t)r ) return SQLITE_ERROR;
      *pMs = (int64_t)r;
      return SQLITE_OK;
    }
    case SQLITE_TEXT: {
      char zMsg[128];
      const char *z = (const char*)sqlite3_value_text(pVal);
      if( z==0 || strlen(z)!=(size_t)sqlite3_value_bytes(pVal) ){
        return SQLITE_ERROR;          /* (a NUL inside) */
      }
      return tsmDurationParse(z, pMs, zMsg, sizeof(zMsg)) ? SQLITE_ERROR
                                                          : SQLITE_OK;
    }
  }
  return SQLITE_ERROR;
}

/*
** A resolution: 'raw' (only with bRawOk; NULL too then) or a duration.
** *piRes is 0 for raw, else the width in ms.
*/
int tsmResolutionFromValue(sqlite3_value *pVal, int bRawOk, int64_t *piRes,
                           char **pzErr){
  char zQ[TSM_QUOTE_BUF];
  if( bRawOk && sqlite3_value_type(pVal)==SQLITE_NULL ){
    *piRes = 0;
    return SQLITE_OK;
  }
  if( sqlite3_value_type(pVal)==SQLITE_TEXT
   && sqlite3_value_bytes(pVal)==3
   && sqlite3_stricmp((const char*)sqlite3_value_text(pVal), "raw")==0 ){
    if( bRawOk ){
      *piRes = 0;
      return SQLITE_OK;
    }
    *pzErr = tsmErrMsg("invalid resolution \"raw\": expected a "
        "rollup resolution like 1m, 1h");
    return SQLITE_ERROR;
  }
  if( tsmDurationFromValue(pVal, piRes)==SQLITE_OK ) return SQLITE_OK;
  *pzErr = tsmErrMsg("invalid resolution %s: expected %sa duration like 1m, "
      "1h", tsmValueQuote(zQ, pVal), bRawOk ? "'raw' or " : "");
  return SQLITE_ERROR;
}

/* keep: a duration, or NULL for forever (*piKeep = 0). */
int tsmKeepFromValue(sqlite3_value *pVal, int64_t *piKeep, char **pzErr){
  char zQ[TSM_QUOTE_BUF];
  if( sqlite3_value_type(pVal)==SQLITE_NULL ){
    *piKeep = 0;
    return SQLITE_OK;
  }
  if( tsmDurationFromValue(pVal, piKeep)==SQLITE_OK ) return SQLITE_OK;
  *pzErr = tsmErrMsg("invalid keep %s: expected a duration like 7d, 90d, or "
      "NULL to keep forever", tsmValueQuote(zQ, pVal));
  return SQLITE_ERROR;
}

/* Format ms as a duration that tsmDurationParse reads back: 1y, 90d,
** 1h30m, 250ms, into zBuf (TSM_DURATION_BUF bytes: the longest, that of
** INT64_MAX ms, takes 28). */
void tsmDurationFormat(int64_t ms, char *zBuf){
  static const struct { const char *z; int64_t ms; } aUnit[] = {
    { "y", 365*86400000LL }, { "d", 86400000LL }, { "h", 3600000LL },
    { "m", 60000LL }, { "s", 1000LL }, { "ms", 1LL },
  };
  int i, n = 0;
  zBuf[0] = 0;
  if( ms<=0 ){
    sqlite3_snprintf(TSM_DURATION_BUF, zBuf, "%lldms", (long long)ms);
    return;
  }
  for(i=0; i<6; i++){
    if( ms>=aUnit[i].ms ){
      sqlite3_snprintf(TSM_DURATION_BUF-n, &zBuf[n], "%lld%s",
                       (long long)(ms/aUnit[i].ms), aUnit[i].z);
      n += (int)strlen(&zBuf[n]);
      ms %= aUnit[i].ms;
    }
  }
}


/* Set ms as the result of a function or a column, as tsmDurationFormat
** writes it. */
void tsmResultDuration(sqlite3_context *ctx, int64_t ms){
  char zBuf[TSM_DURATION_BUF];
  tsmDurationFormat(ms, zBuf);
  sqlite3_result_text(ctx, zBuf, -1, SQLITE_TRANSIENT);
}

/**************************************************************************
** Patterns: GLOB over metric names (tsm_retention, tsm_metrics)
*/

/* Specificity of a valid pattern (see the top of this file); tsm_metrics
** rules (metrics.c) are matched the same way. */
void tsmPatternScore(const char *z, int *pbExact, int *piScore){
  int bExact = 1, iScore = 0;
  while( *z ){
    if( *z=='*' ){
      bExact = 0;
      z++;
    }else if( *z=='?' ){
      bExact = 0;
      iScore++;
      z++;
    }else if( *z=='[' ){
      bExact = 0;
      iScore++;
      z++;
      if( *z=='^' ) z++;
      if( *z ) z++;
      while( *z && *z!=']' ) z++;
      if( *z ) z++;
    }else{
      iScore += 2;
      z++;
    }
  }
  *pbExact = bExact;
  *piScore = iScore;
}

/* 1 if pattern A (scored by tsmPatternScore) is more specific than B: an
** exact name first, then the higher score, then the bytewise smaller. */
int tsmPatternBetter(const char *zA, int bExactA, int iScoreA,
                     const char *zB, int bExactB, int iScoreB){
  if( bExactA!=bExactB ) return bExactA;
  if( iScoreA!=iScoreB ) return iScoreA>iScoreB;
  return strcmp(zA, zB)<0;
}

/* Check a metric pattern: a GLOB over metric names. */
int tsmPatternCheck(const char *z, char **pzErr){
  const char *zIn = z;
  char zQ[TSM_QUOTE_BUF];
  int n = 0;
  while( z[0] ){
    if( z[0]=='[' ){
      const char *zStart = z++;
      if( *z=='^' ) z++;
      if( *z==']' || *z==0 ) goto bad;
      while( *z && *z!=']' ){
        if( !tsmNameChar(*z, 1, 0) && !(*z=='-' && z>zStart+1 && z[1]!=']') ) goto bad;
        z++;
      }
      if( *z!=']' ) goto bad;
      z++;
    }else if( z[0]=='*' || z[0]=='?' || tsmNameChar(z[0], 1, 0) ){
      z++;
    }else{
      goto bad;
    }
    n++;
  }
  if( n>0 && (z-zIn)<=TSM_NAME_MAX ) return SQLITE_OK;
 bad:
  *pzErr = tsmErrMsg("invalid metric pattern %s: must be a GLOB pattern "
      "over metric names: [a-zA-Z0-9_:] with *, ? and [...]",
      tsmQuote(zQ, zIn, strlen(zIn)));
  return SQLITE_ERROR;
}

/**************************************************************************
** Policies: the statements on tsm_policies
*/
enum {
  POLICY_ANY,                /* is there a policy? */
  POLICY_LOAD,               /* every policy, by resolution then pattern */
  POLICY_COUNT
};
static const char *const azPStmt[POLICY_COUNT] = {
  [POLICY_ANY] = "SELECT EXISTS(SELECT 1 FROM main.tsm_policies)",
  [POLICY_LOAD] =
    "SELECT rowid, metric, resolution, keep, max_bytes FROM main.tsm_policies"
    " ORDER BY resolution, metric",
};

typedef char policyStmtsFit[POLICY_COUNT==TSM_PSTMT_COUNT ? 1 : -1];

/* The cached statement e, reset and with no bindings. */
static int policyStmt(TsmCtx *p, int e, sqlite3_stmt **ppStmt){
  return tsmStmtCached(p, &p->aPolicyStmt[e], azPStmt[e], ppStmt);
}

/* Finalize the cached statements (tsmHooks.xClose). */
void tsmPolicyClose(TsmCtx *p){
  tsmStmtsFinalize(p->aPolicyStmt, POLICY_COUNT);
}

/* *pbAny: does tsm_policies have a row?  (The store must exist.) */
int tsmPoliciesExist(TsmCtx *p, int *pbAny){
  sqlite3_stmt *pStmt;
  int rc = policyStmt(p, POLICY_ANY, &pStmt);
  *pbAny = 0;
  if( rc ) return rc;
  if( sqlite3_step(pStmt)==SQLITE_ROW ) *pbAny = sqlite3_column_int(pStmt, 0);
  return sqlite3_reset(pStmt);
}

void tsmPoliciesFree(TsmPolicies *pSet){
  int i;
  for(i=0; i<pSet->n; i++) sqlite3_free(pSet->a[i].zPattern);
  sqlite3_free(pSet->a);
  sqlite3_free(pSet->aRes);
  memset(pSet, 0, sizeof(*pSet));
}

/* Load every policy of the store (none without the table of policies). */
int tsmPoliciesLoad(TsmCtx *p, TsmPolicies *pSet){
  sqlite3_stmt *pStmt;
  int rc, nAlloc = 0;
  memset(pSet, 0, sizeof(*pSet));
  if( !tsmStoreHas(p, TSM_HAVE_TIERS) ) return SQLITE_OK;   /* no table */
  rc = policyStmt(p, POLICY_LOAD, &pStmt);
  while( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ){
    TsmPolicy *pP;
    if( pSet->n>=nAlloc ){
      int nNew = nAlloc ? nAlloc*2 : 8;
      TsmPolicy *aNew = sqlite3_realloc64(pSet->a, sizeof(TsmPolicy)*nNew);
      int64_t *aRes = sqlite3_realloc64(pSet->aRes, sizeof(int64_t)*nNew);
      if( aNew ) pSet->a = aNew;
      if( aRes ) pSet->aRes = aRes;
      if( aNew==0 || aRes==0 ){ rc = SQLITE_NOMEM; break; }
      nAlloc = nNew;
    }
    pP = &pSet->a[pSet->n];
    memset(pP, 0, sizeof(*pP));
    pP->iRowid = sqlite3_column_int64(pStmt, 0);
    pP->zPattern = sqlite3_mprintf("%s", sqlite3_column_text(pStmt, 1));
    if( pP->zPattern==0 ){ rc = SQLITE_NOMEM; break; }
    pP->iRes = sqlite3_column_int64(pStmt, 2);
    pP->iKeep = sqlite3_column_int64(pStmt, 3);
    pP->nMaxBytes = sqlite3_column_int64(pStmt, 4);
    if( pP->iKeep<0 ) pP->iKeep = 0;
    if( pP->nMaxBytes<0 ) pP->nMaxBytes = 0;
    tsmPatternScore(pP->zPattern, &pP->bExact, &pP->iScore);
    pSet->n++;
    /* Rows come ordered by resolution: distinct tier widths ascending. */
    if( pP->iRes>0 && (pSet->nRes==0 || pSet->aRes[pSet->nRes-1]!=pP->iRes) ){
      pSet->aRes[pSet->nRes++] = pP->iRes;
    }
  }
  rc = tsmReset(pStmt, rc);
  if( rc ) tsmPoliciesFree(pSet);
  return rc;
}

/* The policy that zMetric follows at resolution iRes, or -1. */
int tsmPolicyFor(const TsmPolicies *pSet, const char *zMetric, int64_t iRes){
  int i, iBest = -1;
  for(i=0; i<pSet->n; i++){
    const TsmPolicy *pP = &pSet->a[i], *pB;
    if( pP->iRes!=iRes ) continue;
    if( sqlite3_strglob(pP->zPattern, zMetric)!=0 ) continue;
    if( iBest<0 ){ iBest = i; continue; }
    pB = &pSet->a[iBest];
    if( tsmPatternBetter(pP->zPattern, pP->bExact, pP->iScore,
                         pB->zPattern, pB->bExact, pB->iScore) ){
      iBest = i;
    }
  }
  return iBest;
}


/* Run one statement on tsm_policies; *piOut gets the first column of its
** first row, if any (or is left alone). */
static int policyExec(TsmCtx *p, const char *zSql, int64_t iRowid,
                      const char *zMetric, int64_t iRes, int64_t iKeep,
                      int64_t nMaxBytes, int64_t *piOut){
  sqlite3_stmt *pStmt = 0;
  int rc = sqlite3_prepare_v2(p->db, zSql, -1, &pStmt, 0);
  int i, n;
  if( rc ) return rc;
  n = sqlite3_bind_parameter_count(pStmt);
  for(i=1; i<=n; i++){
    const char *zName = sqlite3_bind_parameter_name(pStmt, i);
    if( zName==0 ) continue;
    if( strcmp(zName, ":rowid")==0 ) sqlite3_bind_int64(pStmt, i, iRowid);
    else if( strcmp(zName, ":metric")==0 ){
      sqlite3_bind_text(pStmt, i, zMetric, -1, SQLITE_STATIC);
    }
    else if( strcmp(zName, ":res")==0 ) sqlite3_bind_int64(pStmt, i, iRes);
    else if( strcmp(zName, ":keep")==0 && iKeep>0 ){
      sqlite3_bind_int64(pStmt, i, iKeep);
    }
    else if( strcmp(zName, ":max")==0 && nMaxBytes>0 ){
      sqlite3_bind_int64(pStmt, i, nMaxBytes);
    }
  }
  if( sqlite3_step(pStmt)==SQLITE_ROW && piOut ){
    *piOut = sqlite3_column_int64(pStmt, 0);
  }
  return sqlite3_finalize(pStmt);
}

/* *piRowid: the policy for exactly (zMetric, iRes), or -1. */
int tsmPolicyFind(TsmCtx *p, const char *zMetric, int64_t iRes,
                  int64_t *piRowid){
  *piRowid = -1;
  return policyExec(p, "SELECT rowid FROM main.tsm_policies "
                    "WHERE metric=:metric AND resolution=:res",
                    0, zMetric, iRes, 0, 0, piRowid);
}

/* Delete policy iRowid. */
int tsmPolicyDelete(TsmCtx *p, int64_t iRowid){
  int rc = policyExec(p, "DELETE FROM main.tsm_policies WHERE rowid=:rowid",
                      iRowid, 0, 0, 0, 0, 0);
  p->eRollup = 0;                    /* policies may be gone: look again */
  return rc;
}

/*
** Write a policy (iKeep, nMaxBytes: 0 for NULL): with bInsert a new row
** (*piRowid gets its rowid), else row *piRowid.  The caller checked the
** values, and that no other row has the same (metric, resolution).
*/
int tsmPolicyPut(TsmCtx *p, int bInsert, const char *zMetric, int64_t iRes,
                 int64_t iKeep, int64_t nMaxBytes, int64_t *piRowid){
  int rc;
  if( bInsert ){
    rc = policyExec(p, "INSERT INTO main.tsm_policies(metric, resolution,"
                    " keep, max_bytes) VALUES(:metric, :res, :keep, :max)"
                    " RETURNING rowid", 0, zMetric, iRes, iKeep, nMaxBytes,
                    piRowid);
  }else{
    rc = policyExec(p, "UPDATE main.tsm_policies SET metric=:metric,"
                    " resolution=:res, keep=:keep, max_bytes=:max"
                    " WHERE rowid=:rowid", *piRowid, zMetric, iRes, iKeep,
                    nMaxBytes, 0);
  }
  if( rc==SQLITE_OK && p->eRollup ) p->eRollup |= TSM_ROLLUP_POLICIES;
  return rc;
}

/*
** tsm_check() (store.c, through tsmHooks.xCheck): every policy holds what
** an INSERT into tsm_retention checks.
*/
int tsmPolicyCheck(TsmCtx *p, void (*xLine)(void*, const char*), void *pArg){
  sqlite3_stmt *pStmt = 0;
  int rc, rc2;
  if( !tsmStoreHas(p, TSM_HAVE_TIERS) ) return SQLITE_OK;
  rc = sqlite3_prepare_v2(p->db,
      "SELECT rowid, metric,"
      " typeof(metric)='text' AND typeof(resolution)='integer'"
      "   AND resolution>=0"
      "   AND (keep IS NULL OR (typeof(keep)='integer' AND keep>0))"
      "   AND (max_bytes IS NULL OR (typeof(max_bytes)='integer'"
      "                              AND max_bytes>0))"
      " FROM main.tsm_policies", -1, &pStmt, 0);
  while( rc==SQLITE_OK && sqlite3_step(pStmt)==SQLITE_ROW ){
    char *zErr = 0, *zLine = 0;
    long long iRow = sqlite3_column_int64(pStmt, 0);
    const char *zPat = (const char*)sqlite3_column_text(pStmt, 1);
    if( !sqlite3_column_int(pStmt, 2) || zPat==0 ){
      zLine = sqlite3_mprintf("policy %lld: a column of the wrong type or "
                              "out of range", iRow);
    }else if( (size_t)sqlite3_column_bytes(pStmt, 1)!=strlen(zPat)
           || tsmPatternCheck(zPat, &zErr) ){
      zLine = sqlite3_mprintf("policy %lld: %s", iRow,
                              zErr ? zErr+5 : "metric pattern holds a NUL");
    }
    sqlite3_free(zErr);
    if( zLine ) xLine(pArg, zLine);
    sqlite3_free(zLine);
  }
  rc2 = sqlite3_finalize(pStmt);
  return rc==SQLITE_OK ? rc2 : rc;
}

