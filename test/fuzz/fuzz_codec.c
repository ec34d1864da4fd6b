/* SPDX-License-Identifier: MIT */
/*
** fuzz_codec.c -- libFuzzer target for the chunk codec (ext/codec.c).
**
**   make -C test/fuzz run SECONDS=60        (every fuzz_*.c)
**   build/fuzz/fuzz_codec -max_total_time=60 build/fuzz/corpus/fuzz_codec
**
** Each input is used three ways:
**   1. As a chunk.  tsmCodecDecode() must return an error or a count within
**      nMax, agree with tsmCodecPeek() and with the legacy reading
**      (TSM_CODEC_LEGACY_DOD), and whatever it decodes must round-trip
**      through both modes bit for bit.
**   2. As samples (first byte: mode and layout, see samplesFrom()), which
**      must round-trip bit for bit in the mode chosen, fit tsmCodecBound(),
**      and encode to the same bytes into a buffer of exactly that size.
**   3. The chunk of 2 with a byte changed and truncated as the input says,
**      decoded again: an error or a count within nMax, never a crash.
**   4. The samples of 2 grown as a head is, commit by commit (steps of 1
**      to 40 samples as the input says): each tsmCodecFastAppend() that
**      succeeds must leave the very bytes of a full FAST encode.
** Any violation calls abort().
*/
#include "codec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAXN TSM_CODEC_MAX_SAMPLES

static int64_t aTs[MAXN], aTs2[MAXN];
static double aVal[MAXN], aVal2[MAXN];

static uint64_t get64(const uint8_t *p){
  uint64_t v = 0;
  int i;
  for(i=0; i<8; i++) v |= (uint64_t)p[i] << (8*i);
  return v;
}

static uint64_t bitsOf(double v){ uint64_t u; memcpy(&u, &v, 8); return u; }
static double ofBits(uint64_t u){ double v; memcpy(&v, &u, 8); return v; }

/* Encode aTs/aVal[0..n) in mode eMode into a new buffer of exactly the
** bound (so ASan sees overruns); check the size contract. */
static uint8_t *encode(int n, int eMode, int *pnByte){
  size_t nBound = tsmCodecBound(n);
  uint8_t *a = (uint8_t*)malloc(nBound);
  int nByte;
  if( a==0 ) abort();
  nByte = tsmCodecEncode(aTs, aVal, n, eMode, a, nBound);
  if( nByte<=0 || (size_t)nByte>nBound ) abort();
  *pnByte = nByte;
  return a;
}

/* Decode a[0..nByte), expecting exactly aTs/aVal[0..n). */
static void expectRoundTrip(const uint8_t *a, int nByte, int n, int eMode){
  int nS = -1, eM = -1, i;
  uint8_t *aCopy = (uint8_t*)malloc((size_t)nByte);
  if( aCopy==0 ) abort();
  memcpy(aCopy, a, (size_t)nByte);
  if( tsmCodecPeek(aCopy, (size_t)nByte, &nS, &eM)!=0 ) abort();
  if( nS!=n || eM!=eMode ) abort();
  if( tsmCodecDecode(aCopy, (size_t)nByte, aTs2, aVal2, n)!=n ) abort();
  for(i=0; i<n; i++){
    if( aTs2[i]!=aTs[i] || bitsOf(aVal2[i])!=bitsOf(aVal[i]) ) abort();
  }
  if( n>0 && tsmCodecDecode(aCopy, (size_t)nByte, aTs2, aVal2, n-1)
             !=TSM_CODEC_TOOSMALL ){
    abort();
  }
  free(aCopy);
}

/* Decode untrusted bytes: an error or a count within nMax. */
static int decodeAny(const uint8_t *a, size_t n, int nMax){
  uint8_t *aCopy = (uint8_t*)malloc(n ? n : 1);
  int rc, nS = -1, eM = -1;
  if( aCopy==0 ) abort();
  memcpy(aCopy, a, n);
  rc = tsmCodecDecode(aCopy, n, aTs, aVal, nMax);
  if( rc<TSM_CODEC_RANGE || rc>nMax ) abort();
  if( rc>=0 ){
    if( tsmCodecPeek(aCopy, n, &nS, &eM)!=0 || nS!=rc ) abort();
    if( eM!=TSM_CODEC_FAST && eM!=TSM_CODEC_BEST ) abort();
  }
  /* the legacy reading accepts and rejects the same inputs */
  if( tsmCodecDecodeEx(aCopy, n, aTs2, aVal2, nMax, TSM_CODEC_LEGACY_DOD)
      !=rc ){
    abort();
  }
  free(aCopy);
  return rc;
}

/*
** Samples from fuzz bytes.  a[0]: bit 0 the mode, bits 1-2 the layout
** (bit 3 set: layout 4):
**   0  16-byte records: int64 timestamp, IEEE bits of the value
**   1  2-byte records: timestamp step (signed byte, x1000 ms) and a value
**      step (signed byte) of a decimal with a[1]%8 fraction digits
**   2  9-byte records: int64 timestamp, value from a table of specials
**   3  3-byte records: timestamp jitter and a 16-bit pattern in the high
**      bits of the value (few mantissa bits: the XOR path)
**   4  1-byte records, 5-minute steps: one of 8 decimals (bits 0-2), one
**      ulp more (bit 3, a float artefact), a NaN (bit 4), -0.0 (bit 5):
**      few distinct values, the DICT path
** Returns n; sets *peMode.
*/
static int samplesFrom(const uint8_t *a, size_t nA, int *peMode){
  static const uint64_t aSpecial[16] = {
    0x0000000000000000ULL, 0x8000000000000000ULL, 0x7ff0000000000000ULL,
    0xfff0000000000000ULL, 0x7ff8000000000000ULL, 0x7ff0000000000002ULL,
    0xfff8000000000001ULL, 0x0000000000000001ULL, 0x000fffffffffffffULL,
    0x7fefffffffffffffULL, 0x3fb999999999999aULL, 0x3fd3333333333334ULL,
    0x4059000000000000ULL, 0xc059000000000000ULL, 0x3ff0000000000000ULL,
    0x4330000000000001ULL
  };
  int eLayout, n = 0, i;
  if( nA<2 ) return 0;
  *peMode = a[0] & 1;
  eLayout = (a[0] & 8) ? 4 : (a[0] >> 1) & 3;
  switch( eLayout ){
    case 0:
      for(i=0; n<MAXN && (size_t)(2 + 16*i + 16)<=nA; i++, n++){
        aTs[n] = (int64_t)get64(&a[2 + 16*i]);
        aVal[n] = ofBits(get64(&a[2 + 16*i + 8]));
      }
      break;
    case 1: {
      double rScale = 1;
      int64_t t = 1767225600000LL, v = 0;
      for(i=0; i<a[1]%8; i++) rScale *= 10;
      for(i=0; n<MAXN && (size_t)(2 + 2*i + 2)<=nA; i++, n++){
        t += (int64_t)(int8_t)a[2 + 2*i] * 1000;
        v += (int8_t)a[2 + 2*i + 1];
        aTs[n] = t;
        aVal[n] = (double)v / rScale;
      }
      break;
    }
    case 2:
      for(i=0; n<MAXN && (size_t)(2 + 9*i + 9)<=nA; i++, n++){
        aTs[n] = (int64_t)get64(&a[2 + 9*i]);
        aVal[n] = ofBits(aSpecial[a[2 + 9*i + 8] & 15]);
      }
      break;
    case 4: {
      static const double aDec[8] = {
        0.066, 0.068, 51.846, -3.25, 1e6, 0.0, 94.79799999999999, 1e15 + 1
      };
      for(i=0; n<MAXN && (size_t)(2 + i + 1)<=nA; i++, n++){
        uint8_t b = a[2 + i];
        double v = aDec[b & 7];
        if( b & 8 ) v = ofBits(bitsOf(v) + 1);
        if( b & 16 ) v = ofBits(0x7ff0000000000002ULL);
        if( b & 32 ) v = -0.0;
        aTs[n] = 1767225600000LL + 300000LL*i;
        aVal[n] = v;
      }
      break;
    }
    default: {
      int64_t t = 0;
      for(i=0; n<MAXN && (size_t)(2 + 3*i + 3)<=nA; i++, n++){
        t += 1000 + (a[2 + 3*i] & 7);
        aTs[n] = t;
        aVal[n] = ofBits(((uint64_t)a[2 + 3*i + 1] << 56)
                         | ((uint64_t)a[2 + 3*i + 2] << 48));
      }
      break;
    }
  }
  return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData){
  int n, eMode = 0, nByte, rc;
  uint8_t *aEnc;

  /* 1: the input as a chunk */
  rc = decodeAny(aData, nData, MAXN);
  decodeAny(aData, nData, 3);
  if( rc>0 ){
    int m;
    for(m=0; m<2; m++){
      /* aTs/aVal hold what was decoded */
      aEnc = encode(rc, m, &nByte);
      expectRoundTrip(aEnc, nByte, rc, m);
      free(aEnc);
    }
  }

  /* 2: the input as samples */
  n = samplesFrom(aData, nData, &eMode);
  aEnc = encode(n, eMode, &nByte);
  expectRoundTrip(aEnc, nByte, n, eMode);
  {
    uint8_t *aExact = (uint8_t*)malloc((size_t)nByte);
    if( aExact==0 ) abort();
    if( tsmCodecEncode(aTs, aVal, n, eMode, aExact, (size_t)nByte)!=nByte ){
      abort();
    }
    if( memcmp(aExact, aEnc, (size_t)nByte) ) abort();
    if( tsmCodecEncode(aTs, aVal, n, eMode, aExact, (size_t)nByte-1)
        !=TSM_CODEC_TOOSMALL ){
      abort();
    }
    free(aExact);
  }

  /* 3: that chunk damaged as the input's last bytes say */
  if( nData>=3 && nByte>0 ){
    size_t iPos = (aData[nData-1] | (size_t)aData[nData-2] << 8)
                  % (size_t)nByte;
    size_t nCut = (size_t)nByte - (aData[nData-3] % 4);
    aEnc[iPos] ^= aData[nData-3] | 1;
    decodeAny(aEnc, nCut, n);
    aEnc[iPos] ^= aData[nData-3] | 1;
    decodeAny(aEnc, (size_t)nByte - 1 - iPos % 7 % (size_t)nByte, n);
  }
  free(aEnc);

  /* 4: the samples appended to a FAST head, step by step (again: 3
  ** decoded over them) */
  n = samplesFrom(aData, nData, &eMode);
  if( n>=2 ){
    size_t nMax = tsmCodecBound(n), iVal = 0;
    uint8_t *aHead = (uint8_t*)malloc(nMax);
    int k = 1 + aData[0] % 3, j = 0;
    if( k>=n ) k = n-1;
    if( aHead==0 ) abort();
    nByte = tsmCodecEncode(aTs, aVal, k, TSM_CODEC_FAST, aHead, nMax);
    if( nByte<=0 ) abort();
    while( k<n ){
      int kNew = k + 1 + (nData>0 ? aData[j++ % nData] % 40 : 0);
      if( kNew>n ) kNew = n;
      rc = tsmCodecFastAppend(aTs, aVal, k, kNew, aHead, (size_t)nByte, nMax,
                              &iVal);
      if( rc>0 ){
        int nFull;
        aEnc = encode(kNew, TSM_CODEC_FAST, &nFull);
        if( rc!=nFull || memcmp(aEnc, aHead, (size_t)nFull) ) abort();
        free(aEnc);
        nByte = rc;
      }else{
        if( rc!=0 ) abort();
        nByte = tsmCodecEncode(aTs, aVal, kNew, TSM_CODEC_FAST, aHead, nMax);
        if( nByte<=0 ) abort();
        iVal = 0;
      }
      k = kNew;
    }
    free(aHead);
  }
  return 0;
}
