/* SPDX-License-Identifier: MIT */
/*
** bench_codec.c -- microbenchmark of the pure chunk codec (ext/codec.c).
**
**   bench_codec [NAB-DIR [ROUNDS]]
**
** Cuts every series of W1 (bench/workload.h, scale 1) and of the nab-aws
** files into chunks of 1024 samples (the store's sealed chunk size; the last
** chunk of a series is shorter), then for each mode measures:
**
**   B/sample   encoded bytes / samples
**   ts B/s     bytes of the timestamp column alone (chunks encoded with a
**              constant value column, minus its fixed 9 bytes)
**   encode     million samples per second, one core, and cycles/sample
**   decode     million samples per second, one core, and cycles/sample
**
** Cycles per sample use the clock measured just before each round by a
** chain of dependent additions (one cycle each): on a shared or virtual
** machine the clock varies, the cycles per sample much less.
**
** Each timing is the best of ROUNDS rounds (default 7) of at least 0.15 s
** of thread CPU time.
** Every chunk is checked to decode bit for bit before timing.
*/
#include "codec.h"
#include "workload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_SEED  0x74736D2D62656E63ULL   /* same seed as bench/bench.c */
#define CHUNK       1024

typedef struct Chunk Chunk;
struct Chunk {
  const int64_t *aTs;
  const double *aVal;
  int n;
  int iKind;              /* W1 kind 0..4, or -1 */
  uint8_t *aEnc[2];       /* encoded, per mode */
  int nEnc[2];
};

typedef struct Set Set;
struct Set {
  const char *zName;
  Chunk *aChunk;
  int nChunk;
  long nSample;
};

/* CPU time of this thread: the machine may be shared with other jobs, and
** the rate per core is what is measured. */
static double now(void){
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec*1e-9;
}

static void *xmalloc(size_t n){
  void *p = malloc(n ? n : 1);
  if( p==0 ){ fprintf(stderr, "bench_codec: out of memory\n"); exit(1); }
  return p;
}

static void setBuild(Set *pSet, const char *zName, BenchSeries *a, int nSeries,
                     int bKind){
  int s, nChunk = 0;
  for(s=0; s<nSeries; s++) nChunk += (a[s].n + CHUNK - 1) / CHUNK;
  pSet->zName = zName;
  pSet->aChunk = xmalloc(sizeof(Chunk)*(size_t)nChunk);
  pSet->nChunk = 0;
  pSet->nSample = 0;
  for(s=0; s<nSeries; s++){
    int i;
    for(i=0; i<a[s].n; i+=CHUNK){
      Chunk *p = &pSet->aChunk[pSet->nChunk++];
      memset(p, 0, sizeof(*p));
      p->aTs = &a[s].aTs[i];
      p->aVal = &a[s].aVal[i];
      p->n = a[s].n - i < CHUNK ? a[s].n - i : CHUNK;
      p->iKind = bKind ? s % 5 : -1;
      pSet->nSample += p->n;
    }
  }
}

/* Encode every chunk once in mode eMode, check the round trip. */
static int setEncodeCheck(Set *pSet, int eMode){
  static int64_t aTs[CHUNK];
  static double aVal[CHUNK];
  int c;
  for(c=0; c<pSet->nChunk; c++){
    Chunk *p = &pSet->aChunk[c];
    size_t nBound = tsmCodecBound(p->n);
    int nGot;
    p->aEnc[eMode] = xmalloc(nBound);
    p->nEnc[eMode] = tsmCodecEncode(p->aTs, p->aVal, p->n, eMode,
                                    p->aEnc[eMode], nBound);
    if( p->nEnc[eMode]<=0 ){
      fprintf(stderr, "%s: encode failed: %s\n", pSet->zName,
              tsmCodecErrstr(p->nEnc[eMode]));
      return 1;
    }
    nGot = tsmCodecDecode(p->aEnc[eMode], p->nEnc[eMode], aTs, aVal, CHUNK);
    if( nGot!=p->n
     || memcmp(aTs, p->aTs, sizeof(int64_t)*p->n)
     || memcmp(aVal, p->aVal, sizeof(double)*p->n) ){
      fprintf(stderr, "%s: chunk %d does not round-trip\n", pSet->zName, c);
      return 1;
    }
  }
  return 0;
}

/* Bytes of the timestamp column alone over the whole set. */
static double setTsBytes(Set *pSet, int eMode){
  static double aZero[CHUNK];
  static uint8_t aBuf[16*CHUNK + 64];
  double nByte = 0;
  int c;
  for(c=0; c<pSet->nChunk; c++){
    Chunk *p = &pSet->aChunk[c];
    int nHdr = 2 + (p->n<128 ? 1 : p->n<16384 ? 2 : 3);
    int nEnc = tsmCodecEncode(p->aTs, aZero, p->n, eMode, aBuf, sizeof(aBuf));
    nByte += nEnc - nHdr - 9;
  }
  return nByte;
}

/*
** The effective clock of this core now, in Hz: a chain of dependent
** additions takes one cycle each.  On a shared or virtual machine the clock
** a process gets varies from minute to minute; cycles per sample (clock /
** rate, taken round by round) vary much less than samples per second.
*/
static double clockHz(void){
#if defined(__GNUC__)
  uint64_t x = 1;
  long i, n = 20000000;
  double t0 = now(), t1;
  for(i=0; i<n; i++){
    __asm__ volatile("" : "+r"(x));
    x += (uint64_t)i;
  }
  t1 = now();
  if( x==0 ) printf(" ");
  return n/(t1 - t0);
#else
  return 0;
#endif
}

/* Results go here so that the timed calls are not optimised away. */
static volatile long nBenchSink;

/*
** Best rate, in million samples/s, of nRound rounds of encode or decode;
** *prCycles gets the fewest cycles per sample of a round (0 if unknown).
*/
static double setTime(Set *pSet, int eMode, int bDecode, int nRound,
                      double *prCycles){
  static int64_t aTs[CHUNK];
  static double aVal[CHUNK];
  static uint8_t aBuf[16*CHUNK + 64];
  double rBest = 0;
  int r;
  *prCycles = 0;
  for(r=0; r<nRound; r++){
    double rHz = clockHz();
    double t0 = now(), t1;
    long nDone = 0;
    do{
      int c;
      for(c=0; c<pSet->nChunk; c++){
        Chunk *p = &pSet->aChunk[c];
        if( bDecode ){
          nBenchSink += tsmCodecDecode(p->aEnc[eMode], p->nEnc[eMode], aTs, aVal,
                                  CHUNK);
        }else{
          nBenchSink += tsmCodecEncode(p->aTs, p->aVal, p->n, eMode, aBuf,
                                  sizeof(aBuf));
        }
      }
      nDone += pSet->nSample;
      t1 = now();
    }while( t1 - t0 < 0.15 );
    if( nDone/(t1-t0) > rBest ) rBest = nDone/(t1-t0);
    if( rHz>0 ){
      double rCyc = rHz*(t1-t0)/nDone;
      if( *prCycles==0 || rCyc<*prCycles ) *prCycles = rCyc;
    }
  }
  return rBest / 1e6;
}

static double setBytes(Set *pSet, int eMode, int iKind, long *pnSample){
  double nByte = 0;
  long nSample = 0;
  int c;
  for(c=0; c<pSet->nChunk; c++){
    Chunk *p = &pSet->aChunk[c];
    if( iKind>=0 && p->iKind!=iKind ) continue;
    nByte += p->nEnc[eMode];
    nSample += p->n;
  }
  *pnSample = nSample;
  return nByte;
}

int main(int argc, char **argv){
  static const char *azMode[2] = { "FAST", "BEST" };
  static const char *azKind[5] = { "gauge", "counter", "state", "rate", "ratio" };
  const char *zNab = argc>1 ? argv[1] : "../../../shared/data/nab-aws";
  int nRound = argc>2 ? atoi(argv[2]) : 7;
  BenchSeries *aW1, *aNab;
  double rEncMin = 1e300, rDecMin = 1e300;
  int nW1, nNab = 0, nSet = 0, s, m, k;
  Set aSet[2];

  if( nRound<1 ) nRound = 1;
  aW1 = benchW1(1, BENCH_SEED, &nW1);
  setBuild(&aSet[nSet++], "W1", aW1, nW1, 1);
  aNab = benchNab(zNab, &nNab);
  if( aNab && nNab>0 ){
    setBuild(&aSet[nSet++], "nab-aws", aNab, nNab, 0);
  }else{
    fprintf(stderr, "bench_codec: cannot read %s; nab-aws skipped\n", zNab);
  }
  for(s=0; s<nSet; s++){
    for(m=0; m<2; m++){
      if( setEncodeCheck(&aSet[s], m) ) return 1;
    }
  }

  printf("tsm codec, %d-sample chunks, best of %d rounds, CPU time of one core\n\n",
         CHUNK, nRound);
  printf("%-8s %-4s %8s %8s %7s %11s %8s %11s %8s\n", "data", "mode",
         "samples", "B/sample", "ts B/s", "encode M/s", "cyc/smp",
         "decode M/s", "cyc/smp");
  for(s=0; s<nSet; s++){
    for(m=1; m>=0; m--){
      long nSample;
      double nByte = setBytes(&aSet[s], m, -1, &nSample);
      double cEnc, cDec;
      double rEnc = setTime(&aSet[s], m, 0, nRound, &cEnc);
      double rDec = setTime(&aSet[s], m, 1, nRound, &cDec);
      if( m==TSM_CODEC_BEST ){
        if( rEnc<rEncMin ) rEncMin = rEnc;
        if( rDec<rDecMin ) rDecMin = rDec;
      }
      printf("%-8s %-4s %8ld %8.3f %7.3f %11.1f %8.1f %11.1f %8.1f\n",
             aSet[s].zName, azMode[m], nSample, nByte/nSample,
             setTsBytes(&aSet[s], m)/nSample, rEnc, cEnc, rDec, cDec);
    }
  }
  {
    double rHz = 0;
    int r;
    for(r=0; r<5; r++){
      double x = clockHz();
      if( x>rHz ) rHz = x;
    }
    if( rHz>0 ){
      printf("\neffective clock now: %.2f GHz (cycles per sample = clock "
             "/ rate, best round)\n", rHz/1e9);
    }
  }

  printf("\ngoals, BEST (the mode of every sealed chunk; FAST only writes "
         "the open\nhead of each series, under 128 samples):\n"
         "  encode >= 50 M/s:  %-7s (slowest %.1f)\n"
         "  decode >= 200 M/s: %-7s (slowest %.1f)\n"
         "  (bytes per sample of the whole store file: make bench)\n",
         rEncMin>=50 ? "met" : "NOT MET", rEncMin,
         rDecMin>=200 ? "met" : "NOT MET", rDecMin);

  printf("\nW1 bytes per sample by kind\n%-4s", "mode");
  for(k=0; k<5; k++) printf(" %8s", azKind[k]);
  printf("\n");
  for(m=1; m>=0; m--){
    printf("%-4s", azMode[m]);
    for(k=0; k<5; k++){
      long nSample;
      double nByte = setBytes(&aSet[0], m, k, &nSample);
      printf(" %8.3f", nByte/nSample);
    }
    printf("\n");
  }

  for(s=0; s<nSet; s++){
    int c;
    for(c=0; c<aSet[s].nChunk; c++){
      free(aSet[s].aChunk[c].aEnc[0]);
      free(aSet[s].aChunk[c].aEnc[1]);
    }
    free(aSet[s].aChunk);
  }
  benchSeriesFree(aW1, nW1);
  if( aNab ) benchSeriesFree(aNab, nNab);
  return 0;
}
