/* SPDX-License-Identifier: MIT */
/*
** test_codec.c -- unit and property tests of the chunk codec (ext/codec.c).
**
** Every generated series is encoded in both modes and must decode bit for
** bit; every truncation and many random byte flips of valid chunks must
** decode to an error or to at most nMax samples, never crash (the Makefile
** builds this file under ASan + UBSan).
*/
#include "codec.h"
#include "unit.h"
#include <stdlib.h>
#include <stdint.h>
#include <math.h>
#include <float.h>

/* splitmix64: deterministic, seedable. */
static uint64_t iRand = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void){
  uint64_t z = (iRand += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
static int rndInt(int n){ return (int)(rnd() % (uint64_t)n); }
static double rndUnit(void){ return (double)(rnd() >> 11) / 9007199254740992.0; }

static uint64_t bitsOf(double v){ uint64_t u; memcpy(&u, &v, 8); return u; }
static double ofBits(uint64_t u){ double v; memcpy(&v, &u, 8); return v; }

#define MAXN 65536
static int64_t aTs[MAXN], aTs2[MAXN + 8];
static double aVal[MAXN], aVal2[MAXN + 8];
static uint8_t aBuf[16*MAXN + 256], aBuf2[16*MAXN + 256];

/*************************************************************************
** Generators.
*/
#define N_TSKIND 9
static void genTs(int eKind, int n){
  int i;
  int64_t t = 1767225600000LL + (int64_t)rndInt(1000);
  for(i=0; i<n; i++){
    switch( eKind ){
      case 0: aTs[i] = t + (int64_t)i*1000; break;              /* regular */
      case 1: aTs[i] = t + (int64_t)i*1000 + rndInt(7); break;   /* jitter */
      case 2: t += 1 + rndInt(100000); aTs[i] = t; break;        /* irregular */
      case 3: aTs[i] = t + rndInt(1000000) - 500000; break;      /* unordered */
      case 4: if( rndInt(3)==0 ) t += 1000; aTs[i] = t; break;   /* dups */
      case 5: {                                                  /* extremes */
        int k = rndInt(6);
        aTs[i] = k==0 ? INT64_MIN : k==1 ? INT64_MAX : k==2 ? 0
               : k==3 ? -1 : (int64_t)rnd();
        break;
      }
      case 6:                                                    /* gaps */
        t += rndInt(50)==0 ? 300000LL*(1+rndInt(1000)) : 300000;
        aTs[i] = t;
        break;
      case 7: t -= 1 + rndInt(10); aTs[i] = t; break;            /* falling */
      default: aTs[i] = (int64_t)(rnd() >> rndInt(64)); break;   /* wide */
    }
  }
}

static double specialValue(void){
  static const uint64_t aSpecial[] = {
    0x8000000000000000ULL,   /* -0.0 */
    0x7ff0000000000000ULL,   /* +inf */
    0xfff0000000000000ULL,   /* -inf */
    0x7ff8000000000000ULL,   /* quiet NaN */
    0x7ff0000000000002ULL,   /* Prometheus stale marker */
    0xfff8000000000001ULL,   /* negative NaN with payload */
    0x7ff4000000000000ULL,   /* signalling NaN */
    0x0000000000000001ULL,   /* smallest subnormal */
    0x000fffffffffffffULL,   /* largest subnormal */
    0x0010000000000000ULL,   /* DBL_MIN */
    0x7fefffffffffffffULL,   /* DBL_MAX */
    0xffefffffffffffffULL,   /* -DBL_MAX */
  };
  int k = rndInt(16);
  if( k<12 ) return ofBits(aSpecial[k]);
  if( k==12 ) return 1e300;
  if( k==13 ) return -1e-300;
  if( k==14 ) return 9007199254740993.0;
  return 0.0;
}

#define N_VALKIND 16
static void genVal(int eKind, int n){
  int i;
  double x = 0;
  int e = rndInt(7);
  double rPow = 1;
  int k;
  for(k=0; k<e; k++) rPow *= 10;
  for(i=0; i<n; i++){
    switch( eKind ){
      case 0: aVal[i] = 42.5; break;                              /* const */
      case 1: x += rndInt(2000); aVal[i] = x; break;              /* counter */
      case 2:                                                     /* decimal */
        x += rndInt(201) - 100;
        aVal[i] = x / rPow;
        break;
      case 3: aVal[i] = rndUnit(); break;                         /* random */
      case 4: aVal[i] = ofBits(rnd()); break;                     /* bits */
      case 5:                                                     /* specials */
        aVal[i] = rndInt(4)==0 ? specialValue() : (double)rndInt(1000)/100;
        break;
      case 6:                                                     /* gauge */
        aVal[i] = round((20 + 5*sin(i/300.0) + 3*rndUnit())*100)/100;
        break;
      case 7:                                                     /* state */
        if( rndInt(500)==0 ) x = rndInt(3);
        aVal[i] = x;
        break;
      case 8: aVal[i] = (double)(float)(rndUnit()*100); break;   /* float32 */
      case 9:                                                     /* big ints */
        aVal[i] = (double)((int64_t)(rnd() >> 10)) * (rndInt(2) ? 1 : -1);
        break;
      case 10:                                                    /* artifacts */
        aVal[i] = (double)rndInt(100000)/1000 + (double)rndInt(1000)/1000;
        break;
      case 11: aVal[i] = specialValue(); break;                   /* all special */
      case 12:                                                    /* counter+reset */
        x = rndInt(300)==0 ? 0 : x + rndInt(50);
        aVal[i] = x;
        break;
      case 13:                                                    /* mixed scales */
        aVal[i] = (double)rndInt(100000) / (rndInt(10)==0 ? 1e7 : 1e2);
        break;
      case 14: aVal[i] = (i & 1) ? -0.0 : 0.0; break;             /* signed 0 */
      default:                                                    /* tiny/huge */
        aVal[i] = (rndUnit() - 0.5) * pow(10, rndInt(600) - 300);
        break;
    }
  }
}

/*************************************************************************
** Round trip of aTs/aVal[0..n) in mode eMode.  Returns the encoded size or
** -1 after recording a failure.
*/
static int roundTrip(int n, int eMode, const char *zWhat){
  int nByte, nGot, nPeek = -1, ePeek = -1, i;
  size_t nBound = tsmCodecBound(n);
  nByte = tsmCodecEncode(aTs, aVal, n, eMode, aBuf, sizeof(aBuf));
  if( nByte<=0 || (size_t)nByte>nBound ){
    CHECK(0);
    fprintf(stderr, "  %s n=%d mode=%d: encode returned %d (bound %d)\n",
            zWhat, n, eMode, nByte, (int)nBound);
    return -1;
  }
  if( tsmCodecPeek(aBuf, nByte, &nPeek, &ePeek)!=0
   || nPeek!=n || ePeek!=eMode ){
    CHECK(0);
    fprintf(stderr, "  %s n=%d mode=%d: peek failed\n", zWhat, n, eMode);
    return -1;
  }
  for(i=0; i<n+8; i++){ aTs2[i] = 0x5a5a5a5a; aVal2[i] = -7.25; }
  nGot = tsmCodecDecode(aBuf, nByte, aTs2, aVal2, n);
  if( nGot!=n ){
    CHECK(0);
    fprintf(stderr, "  %s n=%d mode=%d: decode returned %d\n",
            zWhat, n, eMode, nGot);
    return -1;
  }
  for(i=0; i<n; i++){
    if( aTs2[i]!=aTs[i] || bitsOf(aVal2[i])!=bitsOf(aVal[i]) ){
      CHECK(0);
      fprintf(stderr, "  %s n=%d mode=%d: sample %d: ts %lld/%lld "
              "val %016llx/%016llx\n", zWhat, n, eMode, i,
              (long long)aTs[i], (long long)aTs2[i],
              (unsigned long long)bitsOf(aVal[i]),
              (unsigned long long)bitsOf(aVal2[i]));
      return -1;
    }
  }
  if( aTs2[n]!=0x5a5a5a5a || aVal2[n]!=-7.25 ){
    CHECK(0);
    fprintf(stderr, "  %s n=%d: decoder wrote past n\n", zWhat, n);
    return -1;
  }
  CHECK(1);
  return nByte;
}

/* Encoding is deterministic and fits a buffer of exactly its size. */
static void checkExactBuffer(int n, int eMode, int nByte){
  int rc;
  rc = tsmCodecEncode(aTs, aVal, n, eMode, aBuf2, (size_t)nByte);
  CHECK_EQ_INT(rc, nByte);
  CHECK(rc==nByte && memcmp(aBuf, aBuf2, nByte)==0);
  rc = tsmCodecEncode(aTs, aVal, n, eMode, aBuf2, (size_t)nByte - 1);
  CHECK_EQ_INT(rc, TSM_CODEC_TOOSMALL);
}

/*
** Decode a damaged chunk: any return is fine as long as it is an error or
** a count within nMax; the sanitizers catch bad reads and writes.
*/
static int decodeDamaged(const uint8_t *a, size_t n, int nMax){
  int rc;
  uint8_t *aCopy = (uint8_t*)malloc(n ? n : 1);   /* exact size for ASan */
  memcpy(aCopy, a, n);
  rc = tsmCodecDecode(aCopy, n, aTs2, aVal2, nMax);
  tsmCodecPeek(aCopy, n, 0, 0);
  free(aCopy);
  return (rc<0 && rc>=TSM_CODEC_RANGE) || (rc>=0 && rc<=nMax);
}

static void checkDamage(int n, int eMode, int nFlip){
  int nByte = tsmCodecEncode(aTs, aVal, n, eMode, aBuf, sizeof(aBuf));
  int i, bOk = 1;
  if( nByte<=0 ){ CHECK(0); return; }
  for(i=0; i<nByte; i++){
    /* every truncation of small chunks, a sample of those of large ones */
    if( nByte>600 && i>200 && i<nByte-200 && rndInt(16) ) continue;
    bOk &= decodeDamaged(aBuf, i, n);
    bOk &= tsmCodecDecode(aBuf, i, aTs2, aVal2, n)<0;
  }
  for(i=0; i<nFlip; i++){
    int iPos = rndInt(nByte);
    uint8_t c = aBuf[iPos];
    aBuf[iPos] = rndInt(2) ? (uint8_t)rnd() : (uint8_t)(c ^ (1 << rndInt(8)));
    bOk &= decodeDamaged(aBuf, nByte, n + 16);
    aBuf[iPos] = c;
  }
  CHECK(bOk);
}

/*************************************************************************
** Test cases.
*/
static void testErrors(void){
  uint8_t a[64];
  int nS = -1, eM = -1;
  CHECK_EQ_INT(tsmCodecEncode(aTs, aVal, -1, TSM_CODEC_FAST, aBuf, 100),
               TSM_CODEC_RANGE);
  CHECK_EQ_INT(tsmCodecEncode(aTs, aVal, TSM_CODEC_MAX_SAMPLES+1,
               TSM_CODEC_BEST, aBuf, sizeof(aBuf)), TSM_CODEC_RANGE);
  CHECK_EQ_INT(tsmCodecEncode(aTs, aVal, 1, 7, aBuf, 100), TSM_CODEC_RANGE);
  CHECK_EQ_INT(tsmCodecEncode(aTs, aVal, 0, TSM_CODEC_FAST, aBuf, 0),
               TSM_CODEC_TOOSMALL);
  CHECK_EQ_INT(tsmCodecPeek(a, 0, &nS, &eM), TSM_CODEC_CORRUPT);
  CHECK_EQ_INT(tsmCodecDecode(a, 0, aTs2, aVal2, 10), TSM_CODEC_CORRUPT);
  memset(a, 0, sizeof(a));
  CHECK_EQ_INT(tsmCodecPeek(a, sizeof(a), &nS, &eM), TSM_CODEC_CORRUPT);
  CHECK(strcmp(tsmCodecErrstr(TSM_CODEC_CORRUPT), "corrupt chunk")==0);
  CHECK(tsmCodecErrstr(TSM_CODEC_TOOSMALL)!=0);
  CHECK(tsmCodecErrstr(TSM_CODEC_RANGE)!=0);
  CHECK(tsmCodecErrstr(-99)!=0);
  CHECK(tsmCodecErrstr(0)!=0);

  /* n == 0: a valid, tiny chunk */
  {
    int nByte = tsmCodecEncode(0, 0, 0, TSM_CODEC_BEST, a, sizeof(a));
    CHECK(nByte>0 && (size_t)nByte<=tsmCodecBound(0));
    CHECK_EQ_INT(tsmCodecPeek(a, nByte, &nS, &eM), 0);
    CHECK_EQ_INT(nS, 0);
    CHECK_EQ_INT(eM, TSM_CODEC_BEST);
    CHECK_EQ_INT(tsmCodecDecode(a, nByte, 0, 0, 0), 0);
    CHECK_EQ_INT(tsmCodecPeek(a, nByte, 0, 0), 0);
  }
  /* nMax smaller than the chunk */
  genTs(0, 10); genVal(2, 10);
  {
    int nByte = tsmCodecEncode(aTs, aVal, 10, TSM_CODEC_FAST, aBuf,
                               sizeof(aBuf));
    CHECK(nByte>0);
    CHECK_EQ_INT(tsmCodecDecode(aBuf, nByte, aTs2, aVal2, 9),
                 TSM_CODEC_TOOSMALL);
    CHECK_EQ_INT(tsmCodecDecode(aBuf, nByte, aTs2, aVal2, 10), 10);
    /* trailing garbage is corruption */
    aBuf[nByte] = 0;
    CHECK_EQ_INT(tsmCodecDecode(aBuf, nByte+1, aTs2, aVal2, 10),
                 TSM_CODEC_CORRUPT);
  }
}

/* Every kind of timestamps x every kind of values x many sizes. */
static void testRoundTrips(void){
  static const int aN[] = {
    1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 100, 127, 128,
    129, 255, 256, 257, 500, 1000, 1023, 1024, 1025, 2047, 3000, 4096
  };
  int iN, eTs, eVal, eMode;
  for(iN=0; iN<(int)(sizeof(aN)/sizeof(aN[0])); iN++){
    for(eTs=0; eTs<N_TSKIND; eTs++){
      for(eVal=0; eVal<N_VALKIND; eVal++){
        genTs(eTs, aN[iN]);
        genVal(eVal, aN[iN]);
        for(eMode=0; eMode<2; eMode++){
          char zWhat[64];
          snprintf(zWhat, sizeof(zWhat), "ts%d/val%d", eTs, eVal);
          roundTrip(aN[iN], eMode, zWhat);
        }
      }
    }
  }
  /* every n from 0 to 1100 on store-like data */
  for(iN=0; iN<=1100; iN++){
    genTs(1, iN);
    genVal(iN % N_VALKIND, iN);
    for(eMode=0; eMode<2; eMode++){
      int nByte = roundTrip(iN, eMode, "0..1100");
      if( nByte>0 && (iN % 97)==0 ) checkExactBuffer(iN, eMode, nByte);
    }
  }
}

/* The largest chunks. */
static void testLarge(void){
  int eVal, eMode;
  for(eVal=0; eVal<N_VALKIND; eVal++){
    genTs(eVal % N_TSKIND, MAXN);
    genVal(eVal, MAXN);
    for(eMode=0; eMode<2; eMode++){
      int nByte = roundTrip(MAXN, eMode, "65536");
      if( nByte>0 && eVal<3 ) checkExactBuffer(MAXN, eMode, nByte);
    }
  }
}

/* Mixtures inside one chunk: a few samples of another kind spliced in. */
static void testMixtures(void){
  int iRound, eMode;
  for(iRound=0; iRound<3000; iRound++){
    int n = 1 + rndInt(rndInt(4)==0 ? 3000 : 1024);
    int i, nSplice = rndInt(8);
    genTs(rndInt(N_TSKIND), n);
    genVal(rndInt(N_VALKIND), n);
    for(i=0; i<nSplice; i++){
      int k = rndInt(n);
      switch( rndInt(4) ){
        case 0: aVal[k] = specialValue(); break;
        case 1: aVal[k] = ofBits(rnd()); break;
        case 2: aTs[k] = (int64_t)rnd(); break;
        default: aVal[k] = (double)rndInt(1000000) / 1e6; break;
      }
    }
    for(eMode=0; eMode<2; eMode++){
      int nByte = roundTrip(n, eMode, "mixture");
      if( nByte>0 ) checkExactBuffer(n, eMode, nByte);
    }
  }
}

/*
** Tiny chunks of specials, artefacts and decimals of growing precision
** (FAST restarts with larger exponents): any buffer of the encoded size
** must do, whatever was tried first.
*/
static void testTinyExact(void){
  static const double aPick[] = {
    0.1, 0.30000000000000004, 0.0, -100.0, 1.5, 0.123456, 42.0, 1e-9,
    51.846000000000004, 7.25, 1e300, -0.001
  };
  int iRound, bOk = 1;
  for(iRound=0; iRound<20000; iRound++){
    int n = 1 + rndInt(8), i, eMode;
    for(i=0; i<n; i++){
      aTs[i] = rndInt(3) ? 1767225600000LL + i*1000 : (int64_t)rnd();
      aVal[i] = rndInt(5) ? aPick[rndInt(12)] : specialValue();
    }
    for(eMode=0; eMode<2; eMode++){
      int nByte = tsmCodecEncode(aTs, aVal, n, eMode, aBuf, sizeof(aBuf));
      int rc = tsmCodecEncode(aTs, aVal, n, eMode, aBuf2, (size_t)nByte);
      bOk &= nByte>0 && rc==nByte && memcmp(aBuf, aBuf2, nByte)==0;
      rc = tsmCodecEncode(aTs, aVal, n, eMode, aBuf2, (size_t)nByte-1);
      bOk &= rc==TSM_CODEC_TOOSMALL;
      bOk &= tsmCodecDecode(aBuf, nByte, aTs2, aVal2, n)==n;
      for(i=0; i<n; i++){
        bOk &= aTs2[i]==aTs[i] && bitsOf(aVal2[i])==bitsOf(aVal[i]);
      }
    }
  }
  CHECK(bOk);
}

/* Store-like use: the head chunk decoded and re-encoded per sample. */
static void testAppend(void){
  int n, bOk = 1;
  genTs(1, 200);
  genVal(6, 200);
  for(n=1; n<=128; n++){
    int nByte = tsmCodecEncode(aTs, aVal, n, TSM_CODEC_FAST, aBuf,
                               sizeof(aBuf));
    int nGot = tsmCodecDecode(aBuf, nByte, aTs2, aVal2, 128);
    int nByte2;
    bOk &= nGot==n;
    aTs2[n] = aTs[n]; aVal2[n] = aVal[n];
    nByte2 = tsmCodecEncode(aTs2, aVal2, n+1, TSM_CODEC_FAST, aBuf2,
                            sizeof(aBuf2));
    nByte = tsmCodecEncode(aTs, aVal, n+1, TSM_CODEC_FAST, aBuf,
                           sizeof(aBuf));
    bOk &= nByte==nByte2 && memcmp(aBuf, aBuf2, nByte)==0;
  }
  CHECK(bOk);
}

/* tsmCodecFastAppend: whenever it extends a chunk, the bytes are exactly
** those of a full FAST encode; when it declines (0), the caller re-encodes.
** Grown by random steps, as the head of a series grows commit by commit,
** over every timestamp and value kind, past n = 127 (where the header's
** varint grows) and with mixed-in changes of exponent. */
static void testFastAppend(void){
  int eTs, eVal, iRep, nHit = 0, nMiss = 0, bOk = 1;
  for(iRep=0; iRep<6; iRep++){
    for(eTs=0; eTs<N_TSKIND; eTs++){
      for(eVal=0; eVal<N_VALKIND; eVal++){
        int nOld, nByte, nTotal = 60 + rndInt(200);
        size_t iVal = 0;
        genTs(eTs, nTotal);
        genVal(eVal, nTotal);
        if( iRep&1 ){               /* a few values with more digits */
          int i;
          for(i=0; i<nTotal; i++){
            if( rndInt(40)==0 ) aVal[i] = (double)rndInt(100000)/1000;
          }
        }
        nOld = 1 + rndInt(3);
        nByte = tsmCodecEncode(aTs, aVal, nOld, TSM_CODEC_FAST, aBuf2,
                               sizeof(aBuf2));
        while( nOld<nTotal ){
          int n = nOld + (rndInt(8) ? 1 : 1 + rndInt(40));
          int nFull, nGot;
          if( n>nTotal ) n = nTotal;
          nFull = tsmCodecEncode(aTs, aVal, n, TSM_CODEC_FAST, aBuf,
                                 sizeof(aBuf));
          if( rndInt(10)==0 ){
            /* too small: declines or refuses, leaving the chunk alone */
            uint8_t aCopy[64];
            size_t iV2 = iVal;
            int nCmp = nByte<64 ? nByte : 64;
            memcpy(aCopy, aBuf2, nCmp);
            nGot = tsmCodecFastAppend(aTs, aVal, nOld, n, aBuf2,
                                      (size_t)nByte, (size_t)nByte, &iV2);
            bOk &= (nGot==0 || nGot==TSM_CODEC_TOOSMALL) && iV2==iVal
                   && memcmp(aCopy, aBuf2, nCmp)==0;
          }
          nGot = tsmCodecFastAppend(aTs, aVal, nOld, n, aBuf2, (size_t)nByte,
                                    sizeof(aBuf2), &iVal);
          if( nGot>0 ){
            nHit++;
            if( nGot!=nFull || memcmp(aBuf, aBuf2, (size_t)nFull)!=0 ){
              bOk = 0;
              fprintf(stderr, "append ts %d val %d n %d->%d: differs\n",
                      eTs, eVal, nOld, n);
            }
          }else{
            bOk &= nGot==0;
            nMiss++;
            memcpy(aBuf2, aBuf, (size_t)nFull);
            iVal = 0;                 /* unknown: read from the chunk */
          }
          nByte = nFull;
          nOld = n;
        }
      }
    }
  }
  CHECK(bOk);
  CHECK(nHit>1000);             /* 8,233 of 42,540 steps append */
  CHECK(nMiss>0);
}

/* Truncations and byte flips of valid chunks of every kind. */
static void testCorrupt(void){
  int eVal, eMode;
  static const int aN[] = { 1, 2, 5, 64, 300, 1024, 1500 };
  int iN;
  for(iN=0; iN<(int)(sizeof(aN)/sizeof(aN[0])); iN++){
    for(eVal=0; eVal<N_VALKIND; eVal++){
      genTs(eVal % N_TSKIND, aN[iN]);
      genVal(eVal, aN[iN]);
      for(eMode=0; eMode<2; eMode++) checkDamage(aN[iN], eMode, 300);
    }
  }
  /* pure garbage */
  {
    int i, bOk = 1;
    for(i=0; i<20000; i++){
      int n = rndInt(200), k;
      for(k=0; k<n; k++) aBuf[k] = (uint8_t)rnd();
      if( n>2 && rndInt(2) ){ aBuf[0] = 1; aBuf[1] = (uint8_t)rndInt(2); }
      bOk &= decodeDamaged(aBuf, n, 1 + rndInt(100));
    }
    CHECK(bOk);
  }
}

/* Size sanity: store-like series must compress well in BEST mode. */
static void testSizes(void){
  int n = 1024, nBest, nFast, nRaw = 16*n;
  genTs(0, n);
  genVal(0, n);
  nBest = roundTrip(n, TSM_CODEC_BEST, "const");
  CHECK(nBest>0 && nBest<64);
  genTs(1, n);
  genVal(6, n);
  nBest = roundTrip(n, TSM_CODEC_BEST, "gauge");
  nFast = roundTrip(n, TSM_CODEC_FAST, "gauge");
  CHECK(nBest>0 && nBest<nRaw/4);
  CHECK(nFast>0 && nFast<nRaw/3);
  genTs(6, n);
  genVal(1, n);
  nBest = roundTrip(n, TSM_CODEC_BEST, "counter");
  CHECK(nBest>0 && nBest<nRaw/4);
}

/*
** A chunk in the first tsm's layout (TSM_CODEC_LEGACY_DOD): its VARDOD
** column counts the second timestamp's delta-of-delta from the first
** timestamp.  Built byte by byte: version 1, mode FAST, n = 4; VARDOD
** zigzag varints of 100, (110-100)-100, (125-110)-(110-100), (130-125)-
** (125-110); a CONST value column.
*/
static void testLegacyDod(void){
  static const uint8_t a[] = {
    1, 0, 4,
    1, 0xc8, 0x01, 0xb3, 0x01, 0x0a, 0x13,   /* zz: 200, 179, 10, 19 */
    1, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f          /* CONST 1.0 */
  };
  int64_t ts[4];
  double v[4];
  CHECK_EQ_INT(tsmCodecDecodeEx(a, sizeof(a), ts, v, 4, TSM_CODEC_LEGACY_DOD),
               4);
  CHECK_EQ_INT(ts[0], 100);
  CHECK_EQ_INT(ts[1], 110);
  CHECK_EQ_INT(ts[2], 125);
  CHECK_EQ_INT(ts[3], 130);
  CHECK(v[0]==1.0 && v[3]==1.0);
  /* read as today's layout: x_i - i*x_0 */
  CHECK_EQ_INT(tsmCodecDecode(a, sizeof(a), ts, v, 4), 4);
  CHECK_EQ_INT(ts[1], 10);
  CHECK_EQ_INT(ts[3], 130 - 3*100);
  /* today's chunks are unchanged by the flag when the first is 0 */
  aTs[0] = 0; aTs[1] = 7; aTs[2] = 9;
  aVal[0] = aVal[1] = aVal[2] = 2.5;
  {
    uint8_t b[128];
    int nb = tsmCodecEncode(aTs, aVal, 3, TSM_CODEC_FAST, b, sizeof(b));
    CHECK(nb>0);
    CHECK_EQ_INT(tsmCodecDecodeEx(b, (size_t)nb, ts, v, 4,
                                  TSM_CODEC_LEGACY_DOD), 3);
    CHECK_EQ_INT(ts[2], 9);
  }
}

/*
** Golden byte vectors, one per tag: the encoder must write exactly these
** bytes for these inputs, and the decoder read them back bit for bit.
** They pin the format of docs/FORMAT.md ("Chunk encoding"); cases 0-5 are
** version-1 chunks (case 0 with the unordered flag: its timestamps are
** random), case 6 a version-2 chunk.
*/
static int goldenInput(int iCase){
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  int i, n = 0;
  switch( iCase ){
    case 0:     /* ts RAW, values RAW (BEST), unordered */
      n = 3;
      for(i=0; i<n; i++){
        x = x*6364136223846793005ULL + 1442695040888963407ULL;
        aTs[i] = (int64_t)x;
        aVal[i] = ofBits(x);
      }
      break;
    case 1:     /* ts VARDOD, values DECVAR (FAST) */
    case 2:     /* ts PACKED, values DEC (BEST) */
      n = 8;
      for(i=0; i<n; i++){
        aTs[i] = 1767225600000LL + 1000*i + (i%3);
        aVal[i] = (double)(i*i) / 100;
      }
      break;
    case 3:     /* values CONST (BEST) */
      n = 5;
      for(i=0; i<n; i++){ aTs[i] = 1000*i; aVal[i] = 42.5; }
      break;
    case 4:     /* values DECVARC (FAST): a float artefact */
      n = 4;
      for(i=0; i<n; i++){ aTs[i] = 1000*i; aVal[i] = i==2 ? 0.1 + 0.2 : i*0.5; }
      break;
    case 5:     /* values XOR (BEST): float32 readings */
      n = 6;
      for(i=0; i<n; i++){ aTs[i] = 1000*i; aVal[i] = (double)(float)(1.0/(i + 3)); }
      break;
    case 6:     /* values DICT (BEST, version 2): three decimals */
      n = 256;
      for(i=0; i<n; i++){
        aTs[i] = 300000LL*i;
        aVal[i] = i%7==0 ? 0.134 : (i%3 ? 0.066 : 0.068);
      }
      break;
  }
  return n;
}

static const uint8_t aGolden0[53] = {
    0x01, 0x03, 0x03, 0x00, 0x00, 0xbc, 0x46, 0xbf, 0x21, 0xee, 0xea, 0x2c,
    0x4f, 0x8d, 0x1a, 0x1a, 0x4d, 0x75, 0x80, 0xaa, 0x32, 0x89, 0x27, 0x6d,
    0x4a, 0x90, 0xc4, 0xb3, 0x00, 0x00, 0xbc, 0x46, 0xbf, 0x21, 0xee, 0xea,
    0x2c, 0x4f, 0x8d, 0x1a, 0x1a, 0x4d, 0x75, 0x80, 0xaa, 0x32, 0x89, 0x27,
    0x6d, 0x4a, 0x90, 0xc4, 0xb3,
};
static const uint8_t aGolden1[28] = {
    0x01, 0x00, 0x08, 0x01, 0x80, 0xa0, 0xd5, 0xed, 0xee, 0x66, 0xd2, 0x0f,
    0x00, 0x05, 0x06, 0x00, 0x05, 0x06, 0x02, 0x02, 0x00, 0x02, 0x06, 0x0a,
    0x0e, 0x12, 0x16, 0x1a,
};
static const uint8_t aGolden2[31] = {
    0x01, 0x01, 0x08, 0x02, 0x01, 0x80, 0xa0, 0xd5, 0xed, 0xee, 0x66, 0xd0,
    0x0f, 0x01, 0x00, 0x02, 0x00, 0x49, 0x12, 0x03, 0x02, 0x02, 0x00, 0x01,
    0x02, 0x04, 0x00, 0x20, 0x64, 0xa8, 0x0c,
};
static const uint8_t aGolden3[21] = {
    0x01, 0x01, 0x05, 0x02, 0x01, 0x00, 0xd0, 0x0f, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x45, 0x40,
};
static const uint8_t aGolden4[16] = {
    0x01, 0x00, 0x04, 0x01, 0x00, 0xd0, 0x0f, 0x00, 0x00, 0x05, 0x01, 0x00,
    0x14, 0x07, 0x02, 0x30,
};
static const uint8_t aGolden5[40] = {
    0x01, 0x01, 0x06, 0x02, 0x01, 0x00, 0xd0, 0x0f, 0x01, 0x00, 0x00, 0x00,
    0x04, 0x00, 0x00, 0x00, 0x60, 0x55, 0x55, 0xd5, 0x3f, 0x37, 0xd5, 0xaa,
    0xaa, 0xfa, 0x72, 0x35, 0x33, 0x33, 0x67, 0x66, 0x66, 0x96, 0xe3, 0x38,
    0x4e, 0x25, 0x49, 0x12,
};
static const uint8_t aGolden6[97] = {
    0x02, 0x01, 0x80, 0x02, 0x02, 0x01, 0x00, 0xc0, 0xcf, 0x24, 0x01, 0x00,
    0x00, 0x00, 0x06, 0x03, 0x03, 0x03, 0x02, 0x84, 0x01, 0x02, 0x02, 0x06,
    0x00, 0x00, 0x08, 0x00, 0x04, 0x01, 0x03, 0x02, 0x00, 0x10, 0x24, 0x41,
    0x18, 0x04, 0x42, 0x90, 0x04, 0x61, 0x10, 0x08, 0x41, 0x12, 0x84, 0x41,
    0x20, 0x04, 0x49, 0x10, 0x06, 0x81, 0x10, 0x24, 0x41, 0x18, 0x04, 0x42,
    0x90, 0x04, 0x61, 0x10, 0x08, 0x41, 0x12, 0x84, 0x41, 0x20, 0x04, 0x49,
    0x10, 0x06, 0x81, 0x10, 0x24, 0x41, 0x18, 0x04, 0x42, 0x90, 0x04, 0x61,
    0x10, 0x08, 0x41, 0x12, 0x84, 0x41, 0x20, 0x04, 0x49, 0x10, 0x06, 0x81,
    0x10,
};
static const struct { const uint8_t *a; int n; int eMode; } aGolden[] = {
  { aGolden0, (int)sizeof(aGolden0), TSM_CODEC_BEST },
  { aGolden1, (int)sizeof(aGolden1), TSM_CODEC_FAST },
  { aGolden2, (int)sizeof(aGolden2), TSM_CODEC_BEST },
  { aGolden3, (int)sizeof(aGolden3), TSM_CODEC_BEST },
  { aGolden4, (int)sizeof(aGolden4), TSM_CODEC_FAST },
  { aGolden5, (int)sizeof(aGolden5), TSM_CODEC_BEST },
  { aGolden6, (int)sizeof(aGolden6), TSM_CODEC_BEST },
};

static void testGolden(void){
  int c, i;
  for(c=0; c<(int)(sizeof(aGolden)/sizeof(aGolden[0])); c++){
    int n = goldenInput(c), nByte, bSame = 1;
    nByte = tsmCodecEncode(aTs, aVal, n, aGolden[c].eMode, aBuf, sizeof(aBuf));
    CHECK_EQ_INT(nByte, aGolden[c].n);
    CHECK(nByte==aGolden[c].n && memcmp(aBuf, aGolden[c].a, (size_t)nByte)==0);
    CHECK_EQ_INT(tsmCodecDecode(aGolden[c].a, (size_t)aGolden[c].n, aTs2, aVal2,
                                MAXN), n);
    for(i=0; i<n; i++){
      bSame &= aTs2[i]==aTs[i] && bitsOf(aVal2[i])==bitsOf(aVal[i]);
    }
    CHECK(bSame);
  }
  /* the tags of each vector, where FORMAT.md puts them */
  CHECK(aGolden0[3]==0 && aGolden0[28]==0);        /* ts RAW, values RAW */
  CHECK(aGolden1[3]==1 && aGolden1[18]==2);        /* VARDOD, DECVAR */
  CHECK(aGolden2[3]==2 && aGolden2[19]==3);        /* PACKED, DEC */
  CHECK(aGolden3[12]==1);                          /* CONST */
  CHECK(aGolden4[9]==5);                           /* DECVARC */
  CHECK(aGolden5[12]==4);                          /* XOR */
  CHECK(aGolden6[0]==2 && aGolden6[14]==6);        /* version 2, DICT */
  /* DICT is a version-2 tag: in a version-1 chunk it is corrupt */
  memcpy(aBuf, aGolden6, sizeof(aGolden6));
  aBuf[0] = 1;
  CHECK_EQ_INT(tsmCodecDecode(aBuf, sizeof(aGolden6), aTs2, aVal2, MAXN),
               TSM_CODEC_CORRUPT);
  aBuf[0] = 3;
  CHECK_EQ_INT(tsmCodecDecode(aBuf, sizeof(aGolden6), aTs2, aVal2, MAXN),
               TSM_CODEC_CORRUPT);
}

/*
** DICT blocks (chunk version 2): each way the encoder builds the table --
** the bitmap of decimal integers (ranks from a table for a narrow range,
** by popcount for a wider one), the hash table of bit patterns when
** some integer stands for two values (a float artefact, a NaN) or the
** range is wide, values that are not decimals -- must round-trip bit for
** bit and be chosen where they pay; blocks of many distinct values stay
** version 1.
*/
static void testDict(void){
  static const double aSet[][6] = {
    { 0.066, 0.068, 0.134, 0.1, 0.102, 0.132 },              /* bitmap */
    { 0.5, 3000.5, 8000.5, 12.5, 100.0, 9999.5 },   /* bitmap, popcount ranks */
    { 51.846, 51.846000000000004, 44.508, 48.56800000000001,
      46.714, 41.244 },                                      /* artefacts */
    { 1.5, 2.25, 0.0, 3.0, 4.125, 0.0 },                     /* NaN below */
    { -12.5, -0.25, 7.75, -3.0, 0.5, 100.0 },                /* negative */
    { 0.0, 0.0, 1000.5, 2.25, 30.125, 400.0 },               /* -0.0 below */
    { 1e12+7, 3e12+1, 7e12+13, 2e12+3, 5e12+11, 9e12+5 },    /* wide range */
  };
  int nSet = (int)(sizeof(aSet)/sizeof(aSet[0])), s, i, n = 3000, nByte;
  for(s=0; s<=nSet; s++){
    char zWhat[32];
    snprintf(zWhat, sizeof(zWhat), "dict set %d", s);
    genTs(1, n);
    for(i=0; i<n; i++){
      int j = (int)((rnd() >> 33) % 36);
      j = j<20 ? 0 : j<28 ? 1 : j<32 ? 2 : j<34 ? 3 : j<35 ? 4 : 5;
      if( s<nSet ){
        aVal[i] = aSet[s][j];
      }else{
        aVal[i] = (double)(float)(1.0/(j + 3));               /* not decimal */
      }
    }
    if( s==3 ) aVal[17] = ofBits(0x7ff0000000000002ULL);     /* stale NaN */
    if( s==5 ) aVal[5] = -0.0;
    nByte = roundTrip(n, TSM_CODEC_BEST, zWhat);
    CHECK(nByte>0 && aBuf[0]==2);
    if( nByte>0 ) checkExactBuffer(n, TSM_CODEC_BEST, nByte);
  }
  /* many distinct values: no DICT */
  genTs(1, n);
  for(i=0; i<n; i++) aVal[i] = (double)(rnd() % 1000000) / 1000;
  nByte = roundTrip(n, TSM_CODEC_BEST, "dict many");
  CHECK(nByte>0 && aBuf[0]==1);
  /* a chunk whose blocks differ: DICT, DEC, CONST */
  for(i=0; i<n; i++){
    aVal[i] = i<1024 ? aSet[0][rnd() % 6]*1000 + aSet[3][rnd() % 6]
            : i<2048 ? (double)i/8 : 2.5;
  }
  nByte = roundTrip(n, TSM_CODEC_BEST, "dict mixed");
  CHECK(nByte>0 && aBuf[0]==2);
}

/* The unordered flag: set exactly when some timestamp is not greater than
** the one before; such chunks decode as they were; other flag bits are
** still refused. */
static void testUnordered(void){
  int64_t ts[8];
  double v[8];
  int eMode, i;
  for(eMode=0; eMode<2; eMode++){
    int nb;
    for(i=0; i<6; i++){ aTs[i] = 1767225600000LL + i*1000; aVal[i] = i; }
    nb = tsmCodecEncode(aTs, aVal, 6, eMode, aBuf, sizeof(aBuf));
    CHECK(nb>0);
    CHECK_EQ_INT(tsmCodecUnordered(aBuf, (size_t)nb), 0);
    CHECK_EQ_INT(aBuf[1], eMode);
    aTs[1] = aTs[0];                        /* equal: a "keep" series */
    aTs[4] = aTs[3];
    nb = tsmCodecEncode(aTs, aVal, 6, eMode, aBuf, sizeof(aBuf));
    CHECK(nb>0);
    CHECK_EQ_INT(tsmCodecUnordered(aBuf, (size_t)nb), 1);
    CHECK_EQ_INT(aBuf[1], eMode | 2);
    CHECK_EQ_INT(tsmCodecDecode(aBuf, (size_t)nb, ts, v, 8), 6);
    for(i=0; i<6; i++) CHECK(ts[i]==aTs[i] && v[i]==aVal[i]);
    aBuf[1] |= 4;
    CHECK_EQ_INT(tsmCodecDecode(aBuf, (size_t)nb, ts, v, 8), TSM_CODEC_CORRUPT);
    CHECK_EQ_INT(tsmCodecUnordered(aBuf, (size_t)nb), TSM_CODEC_CORRUPT);
  }
}

int main(void){
  testGolden();
  testDict();
  testUnordered();
  testLegacyDod();
  testErrors();
  testRoundTrips();
  testLarge();
  testMixtures();
  testTinyExact();
  testAppend();
  testFastAppend();
  testCorrupt();
  testSizes();
  return UNIT_DONE();
}
