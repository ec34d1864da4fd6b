/* SPDX-License-Identifier: MIT */
/*
** workload.c -- the deterministic benchmark workloads of workload.h.
**
** W1: 100 series x (20000*scale) samples.  Sample i of every series is
** stamped 1767225600000 + i*1000 + U{0..6} ms (2026-01-01T00:00:00Z, 1 s
** interval, uniform 0..6 ms jitter).  Series s has kind s%5 and number s/5:
**
**   kind 0  app_gauge_<n>    20 + 5*sin(i/300) + U(0,3), rounded to 0.01
**   kind 1  app_counter_<n>  running sum of uniform integers 0..1999
**   kind 2  app_state_<n>    0, 1 or 2; changes with probability 1/5000
**   kind 3  app_rate_<n>     50000000 + U{0..9999999}
**   kind 4  app_ratio_<n>    0.5 + 0.3*sin(i/1000) + U(0,0.1), rounded to 0.001
**
** Labels are {"dir":"up"|"down","host":"h<s/2>"} (dir is "down" for odd s).
**
** Randomness: splitmix64, one generator per series seeded from (seed, s),
** so series s does not depend on the other series, and the first N samples
** of a series are the same at every scale.  Rounding is round(x*100)/100,
** which yields the double nearest to the 2-decimal value.
**
** NAB: every *.csv of a directory (header "timestamp,value", rows
** "YYYY-MM-DD HH:MM:SS,<decimal>" in UTC), in file-name order.  The metric is
** the file name without ".csv" and without a trailing "_<hex>" suffix, which
** becomes the label {"instance":"<hex>"}; a name without such a suffix is
** sanitized to [a-zA-Z0-9_] and gets the labels {}.  Values are parsed with
** strtod.  Rows are kept as in the file: two NAB files repeat one timestamp
** (a DST artefact), so timestamps there are non-decreasing, not strictly
** increasing.
*/
#include "workload.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W1_SERIES   100
#define W1_SAMPLES  20000
#define W1_START_MS 1767225600000LL

/* splitmix64 (Steele, Lea, Flood 2014). */
static uint64_t benchRand(uint64_t *pState){
  uint64_t z = (*pState += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/* Uniform integer in [0, n), by multiply-shift (no modulo bias to speak of). */
static uint64_t benchRandBelow(uint64_t *pState, uint64_t n){
  return (uint64_t)(((unsigned __int128)benchRand(pState) * n) >> 64);
}

/* Uniform double in [0, 1), 53 random bits. */
static double benchRandUnit(uint64_t *pState){
  return (double)(benchRand(pState) >> 11) * 0x1.0p-53;
}

static void *benchMalloc(size_t n){
  void *p = malloc(n ? n : 1);
  if( p==0 ){
    fprintf(stderr, "workload: out of memory (%zu bytes)\n", n);
    exit(1);
  }
  return p;
}

static void benchW1Series(BenchSeries *p, int s, int nSample, uint64_t seed){
  static const char *azKind[5] = { "gauge", "counter", "state", "rate", "ratio" };
  int kind = s % 5;
  uint64_t st = seed ^ (0xA0761D6478BD642FULL * (uint64_t)(s + 1));
  double sum = 0.0;
  int state = 0;
  int i;

  benchRand(&st);                 /* mix the seed once before use */
  snprintf(p->zMetric, sizeof(p->zMetric), "app_%s_%d", azKind[kind], s / 5);
  snprintf(p->zLabels, sizeof(p->zLabels), "{\"dir\":\"%s\",\"host\":\"h%d\"}",
           (s % 2) ? "down" : "up", s / 2);
  p->n = nSample;
  p->aTs = benchMalloc(sizeof(int64_t) * (size_t)nSample);
  p->aVal = benchMalloc(sizeof(double) * (size_t)nSample);

  for(i = 0; i < nSample; i++){
    double v = 0.0;
    p->aTs[i] = W1_START_MS + (int64_t)i * 1000 + (int64_t)benchRandBelow(&st, 7);
    switch( kind ){
      case 0:
        v = 20.0 + 5.0 * sin(i / 300.0) + 3.0 * benchRandUnit(&st);
        v = round(v * 100.0) / 100.0;
        break;
      case 1:
        sum += (double)benchRandBelow(&st, 2000);
        v = sum;
        break;
      case 2:
        if( benchRandBelow(&st, 5000)==0 ){
          state = (state + 1 + (int)benchRandBelow(&st, 2)) % 3;
        }
        v = state;
        break;
      case 3:
        v = 50000000.0 + (double)benchRandBelow(&st, 10000000);
        break;
      default:
        v = 0.5 + 0.3 * sin(i / 1000.0) + 0.1 * benchRandUnit(&st);
        v = round(v * 1000.0) / 1000.0;
        break;
    }
    p->aVal[i] = v;
  }
}

BenchSeries *benchW1(int scale, uint64_t seed, int *pnSeries){
  BenchSeries *a;
  int s;
  if( scale < 1 ) scale = 1;
  a = benchMalloc(sizeof(BenchSeries) * W1_SERIES);
  memset(a, 0, sizeof(BenchSeries) * W1_SERIES);
  for(s = 0; s < W1_SERIES; s++){
    benchW1Series(&a[s], s, W1_SAMPLES * scale, seed);
  }
  *pnSeries = W1_SERIES;
  return a;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm). */
static int64_t benchDaysFromCivil(int y, int m, int d){
  int64_t era, yoe, doy, doe;
  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* "YYYY-MM-DD HH:MM:SS" (UTC) -> ms since the epoch; 0 if malformed. */
static int benchParseTime(const char *z, int64_t *piMs){
  int y, mo, d, h, mi, sec;
  if( sscanf(z, "%4d-%2d-%2d %2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec)!=6 ) return 0;
  if( mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 ) return 0;
  *piMs = ((benchDaysFromCivil(y, mo, d) * 86400) + h * 3600 + mi * 60 + sec) * 1000LL;
  return 1;
}

static int benchIsHex(const char *z, int n){
  int i;
  if( n < 4 ) return 0;
  for(i = 0; i < n; i++){
    char c = z[i];
    if( !((c>='0' && c<='9') || (c>='a' && c<='f') || (c>='A' && c<='F')) ) return 0;
  }
  return 1;
}

/* Metric and labels of one NAB file name (without ".csv"). */
static void benchNabName(BenchSeries *p, const char *zBase, int nBase){
  const char *zUnder = 0;
  int nMetric = nBase;
  int i, j = 0;
  for(i = nBase - 1; i >= 0; i--){
    if( zBase[i]=='_' ){ zUnder = &zBase[i]; break; }
  }
  if( zUnder && benchIsHex(zUnder + 1, nBase - (int)(zUnder - zBase) - 1) ){
    nMetric = (int)(zUnder - zBase);
    snprintf(p->zLabels, sizeof(p->zLabels), "{\"instance\":\"%.*s\"}",
             nBase - nMetric - 1, zUnder + 1);
  }else{
    snprintf(p->zLabels, sizeof(p->zLabels), "{}");
  }
  if( nMetric > 0 && zBase[0]>='0' && zBase[0]<='9' ) p->zMetric[j++] = '_';
  for(i = 0; i < nMetric && j < (int)sizeof(p->zMetric) - 1; i++){
    char c = zBase[i];
    int ok = (c>='a' && c<='z') || (c>='A' && c<='Z') || (c>='0' && c<='9') || c=='_';
    p->zMetric[j++] = ok ? c : '_';
  }
  p->zMetric[j] = 0;
}

/* Read one NAB csv into *p.  Returns 0 on success. */
static int benchNabFile(BenchSeries *p, const char *zPath){
  FILE *f = fopen(zPath, "r");
  char zLine[256];
  int nAlloc = 1024;
  int iLine = 0;
  if( f==0 ) return 1;
  p->n = 0;
  p->aTs = benchMalloc(sizeof(int64_t) * (size_t)nAlloc);
  p->aVal = benchMalloc(sizeof(double) * (size_t)nAlloc);
  while( fgets(zLine, sizeof(zLine), f) ){
    char *zComma = strchr(zLine, ',');
    char *zEnd = 0;
    int64_t iMs;
    double v;
    if( iLine++==0 ) continue;                   /* header */
    if( zComma==0 ) continue;
    *zComma = 0;
    if( !benchParseTime(zLine, &iMs) ) continue;
    v = strtod(zComma + 1, &zEnd);
    if( zEnd==zComma + 1 ) continue;
    if( p->n==nAlloc ){
      nAlloc *= 2;
      p->aTs = realloc(p->aTs, sizeof(int64_t) * (size_t)nAlloc);
      p->aVal = realloc(p->aVal, sizeof(double) * (size_t)nAlloc);
      if( p->aTs==0 || p->aVal==0 ){
        fprintf(stderr, "workload: out of memory\n");
        exit(1);
      }
    }
    p->aTs[p->n] = iMs;
    p->aVal[p->n] = v;
    p->n++;
  }
  fclose(f);
  return 0;
}

static int benchCmpName(const void *a, const void *b){
  return strcmp(*(char *const *)a, *(char *const *)b);
}

BenchSeries *benchNab(const char *zDir, int *pnSeries){
  DIR *d = opendir(zDir);
  struct dirent *e;
  char **azName = 0;
  int nName = 0, nAlloc = 0;
  BenchSeries *a;
  int i, nOut = 0;

  *pnSeries = 0;
  if( d==0 ) return 0;
  while( (e = readdir(d))!=0 ){
    size_t n = strlen(e->d_name);
    if( n <= 4 || strcmp(e->d_name + n - 4, ".csv")!=0 ) continue;
    if( nName==nAlloc ){
      nAlloc = nAlloc ? nAlloc * 2 : 32;
      azName = realloc(azName, sizeof(char *) * (size_t)nAlloc);
      if( azName==0 ){ fprintf(stderr, "workload: out of memory\n"); exit(1); }
    }
    azName[nName] = benchMalloc(n + 1);
    memcpy(azName[nName], e->d_name, n + 1);
    nName++;
  }
  closedir(d);
  if( nName > 1 ) qsort(azName, (size_t)nName, sizeof(char *), benchCmpName);

  a = benchMalloc(sizeof(BenchSeries) * (size_t)(nName ? nName : 1));
  memset(a, 0, sizeof(BenchSeries) * (size_t)(nName ? nName : 1));
  for(i = 0; i < nName; i++){
    size_t nPath = strlen(zDir) + strlen(azName[i]) + 2;
    char *zPath = benchMalloc(nPath);
    snprintf(zPath, nPath, "%s/%s", zDir, azName[i]);
    benchNabName(&a[nOut], azName[i], (int)strlen(azName[i]) - 4);
    if( benchNabFile(&a[nOut], zPath)==0 ){
      nOut++;
    }else{
      free(a[nOut].aTs);
      free(a[nOut].aVal);
      memset(&a[nOut], 0, sizeof(BenchSeries));
    }
    free(zPath);
    free(azName[i]);
  }
  free(azName);
  *pnSeries = nOut;
  return a;
}

void benchSeriesFree(BenchSeries *a, int n){
  int i;
  if( a==0 ) return;
  for(i = 0; i < n; i++){
    free(a[i].aTs);
    free(a[i].aVal);
  }
  free(a);
}
