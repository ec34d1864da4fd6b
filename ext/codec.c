/*
** codec.c -- the tsm chunk codec.
**
** The byte layout is specified in docs/FORMAT.md ("Chunk encoding").  In
** short:
**
**   chunk   := version(1) flags(1) varint(n) [ts-column value-column]
**
** This first version writes the FAST layout for both modes:
**   timestamps: zigzag varints of delta-of-delta, or raw;
**   values:     decimal-scaled integers as zigzag varint deltas, or raw.
*/
#include "codec.h"
#include <string.h>

/* Format version, first byte of every chunk. */
#define CODEC_VERSION 1

/* Timestamp column tags. */
#define CODEC_TS_RAW    0    /* n x int64 little-endian */
#define CODEC_TS_VARDOD 1    /* zigzag varints of delta-of-delta */

/* Value column tags. */
#define CODEC_VAL_RAW    0   /* n x 8 bytes, IEEE bits little-endian */
#define CODEC_VAL_CONST  1   /* 8 bytes: every value has these bits */
#define CODEC_VAL_DECVAR 2   /* e, zigzag varints of deltas of v*10^e */

/* Largest decimal exponent tried: 10^e is exact in a double up to 10^22;
** scaled integers must stay below 2^51 anyway. */
#define CODEC_MAX_EXP 18

/* Scaled integers are kept strictly inside (-2^51, 2^51): then adding and
** subtracting 1.5*2^52 rounds to the nearest integer exactly. */
#define CODEC_ROUND_MAGIC 6755399441055744.0
#define CODEC_SCALED_MAX  2251799813685248.0

static const double aCodecPow10[CODEC_MAX_EXP+1] = {
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
  1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18
};

/*************************************************************************
** Small helpers: little-endian words, varints, zigzag.
*/
static uint64_t codecDoubleBits(double v){
  uint64_t u;
  memcpy(&u, &v, 8);
  return u;
}
static double codecBitsDouble(uint64_t u){
  double v;
  memcpy(&v, &u, 8);
  return v;
}

static void codecPut64(uint8_t *p, uint64_t v){
  int i;
  for(i=0; i<8; i++) p[i] = (uint8_t)(v >> (8*i));
}
static uint64_t codecGet64(const uint8_t *p){
  uint64_t v = 0;
  int i;
  for(i=0; i<8; i++) v |= (uint64_t)p[i] << (8*i);
  return v;
}

static uint64_t codecZigzag(uint64_t u){
  return (u << 1) ^ (0 - (u >> 63));
}
static uint64_t codecUnzigzag(uint64_t z){
  return (z >> 1) ^ (0 - (z & 1));
}

/* Bytes taken by the LEB128 varint of v (1..10). */
static int codecVarintLen(uint64_t v){
  int n = 1;
  while( v>=0x80 ){ v >>= 7; n++; }
  return n;
}

/* Write the LEB128 varint of v at p (room for 10 bytes); return its size. */
static int codecPutVarint(uint8_t *p, uint64_t v){
  int i = 0;
  while( v>=0x80 ){
    p[i++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  p[i++] = (uint8_t)v;
  return i;
}

/* Read a varint from [p, pEnd).  Return the byte after it, or NULL if it
** runs past pEnd or does not fit 64 bits. */
static const uint8_t *codecGetVarint(const uint8_t *p, const uint8_t *pEnd,
                                     uint64_t *pv){
  uint64_t v = 0;
  int sh = 0;
  while( p<pEnd ){
    uint64_t c = *p++;
    if( sh==63 && c>1 ) return 0;
    v |= (c & 0x7f) << sh;
    if( (c & 0x80)==0 ){ *pv = v; return p; }
    sh += 7;
    if( sh>63 ) return 0;
  }
  return 0;
}

/*
** Scale v by 10^e and round.  Return 1 and set *pN if v is exactly
** (double)*pN / 10^e (bit for bit), else 0.
*/
static int codecDecScale(double v, int e, int64_t *pN){
  double x = v * aCodecPow10[e];
  int64_t iN;
  if( !(x < CODEC_SCALED_MAX && x > -CODEC_SCALED_MAX) ) return 0;
  iN = (int64_t)((x + CODEC_ROUND_MAGIC) - CODEC_ROUND_MAGIC);
  if( codecDoubleBits((double)iN / aCodecPow10[e])!=codecDoubleBits(v) ){
    return 0;
  }
  *pN = iN;
  return 1;
}

/*************************************************************************
** Encoder.
*/

/* Output cursor: aOut[0..nOut), iOff bytes used. */
typedef struct CodecOut CodecOut;
struct CodecOut {
  uint8_t *a;
  size_t n;
  size_t iOff;
};

/* Raw timestamp column.  Return 0 or TSM_CODEC_TOOSMALL. */
static int codecTsRaw(CodecOut *p, const int64_t *aTs, int n){
  int i;
  if( p->n - p->iOff < 1 + (size_t)n*8 ) return TSM_CODEC_TOOSMALL;
  p->a[p->iOff++] = CODEC_TS_RAW;
  for(i=0; i<n; i++){
    codecPut64(&p->a[p->iOff], (uint64_t)aTs[i]);
    p->iOff += 8;
  }
  return 0;
}

/* Delta-of-delta varint timestamp column, or raw when that is smaller. */
static int codecTsVardod(CodecOut *p, const int64_t *aTs, int n){
  size_t iStart = p->iOff;
  size_t nLimit = p->n - p->iOff;
  size_t nRaw = 1 + (size_t)n*8;
  size_t iOff = 1;
  uint64_t iPrev = 0, iDelta = 0;
  uint8_t *a = &p->a[iStart];
  int i;
  if( nLimit>nRaw ) nLimit = nRaw;
  if( nLimit<1 ) return TSM_CODEC_TOOSMALL;
  a[0] = CODEC_TS_VARDOD;
  for(i=0; i<n; i++){
    uint64_t x = (uint64_t)aTs[i];
    uint64_t d = x - iPrev;
    uint64_t z = codecZigzag(d - iDelta);
    if( iOff + codecVarintLen(z) > nLimit ) return codecTsRaw(p, aTs, n);
    iOff += codecPutVarint(&a[iOff], z);
    iPrev = x;
    iDelta = d;
  }
  p->iOff += iOff;
  return 0;
}

/* Raw value column. */
static int codecValRaw(CodecOut *p, const double *aVal, int n){
  int i;
  if( p->n - p->iOff < 1 + (size_t)n*8 ) return TSM_CODEC_TOOSMALL;
  p->a[p->iOff++] = CODEC_VAL_RAW;
  for(i=0; i<n; i++){
    codecPut64(&p->a[p->iOff], codecDoubleBits(aVal[i]));
    p->iOff += 8;
  }
  return 0;
}

/*
** Decimal varint value column: find the smallest exponent e that makes
** every value an exact v = N/10^e, write zigzag varint deltas of N.  Fall
** back to raw when some value has no such e or raw is smaller.
*/
static int codecValDecvar(CodecOut *p, const double *aVal, int n){
  size_t nLimit = p->n - p->iOff;
  size_t nRaw = 1 + (size_t)n*8;
  uint8_t *a = &p->a[p->iOff];
  int e = 0;
  if( nLimit>nRaw ) nLimit = nRaw;
  if( nLimit<2 ) return codecValRaw(p, aVal, n);
  while( 1 ){
    size_t iOff = 2;
    uint64_t iPrev = 0;
    int i;
    a[0] = CODEC_VAL_DECVAR;
    a[1] = (uint8_t)e;
    for(i=0; i<n; i++){
      int64_t iN;
      uint64_t z;
      if( !codecDecScale(aVal[i], e, &iN) ) break;
      z = codecZigzag((uint64_t)iN - iPrev);
      if( iOff + codecVarintLen(z) > nLimit ) return codecValRaw(p, aVal, n);
      iOff += codecPutVarint(&a[iOff], z);
      iPrev = (uint64_t)iN;
    }
    if( i==n ){
      p->iOff += iOff;
      return 0;
    }
    /* aVal[i] needs a larger exponent.  Every earlier value still
    ** round-trips at that exponent unless it leaves the 2^51 range, which
    ** the restarted loop checks again. */
    {
      int64_t iN;
      int e2;
      for(e2=e+1; e2<=CODEC_MAX_EXP; e2++){
        if( codecDecScale(aVal[i], e2, &iN) ) break;
      }
      if( e2>CODEC_MAX_EXP ) return codecValRaw(p, aVal, n);
      e = e2;
    }
  }
}

/* Constant value column if every value has the same bits: return 0 when
** written, 1 when the column is not constant, or an error code. */
static int codecValConst(CodecOut *p, const double *aVal, int n){
  uint64_t u = codecDoubleBits(aVal[0]);
  int i;
  for(i=1; i<n; i++){
    if( codecDoubleBits(aVal[i])!=u ) return 1;
  }
  if( p->n - p->iOff < 9 ) return TSM_CODEC_TOOSMALL;
  p->a[p->iOff] = CODEC_VAL_CONST;
  codecPut64(&p->a[p->iOff+1], u);
  p->iOff += 9;
  return 0;
}

size_t tsmCodecBound(int n){
  if( n<0 ) n = 0;
  /* header: version, flags, varint(n) <= 10; two tags; raw columns */
  return 12 + 2 + (size_t)n*16;
}

int tsmCodecEncode(const int64_t *aTs, const double *aVal, int n, int eMode,
                   uint8_t *aOut, size_t nOut){
  CodecOut out;
  int rc = 0;
  if( n<0 || n>TSM_CODEC_MAX_SAMPLES ) return TSM_CODEC_RANGE;
  if( eMode!=TSM_CODEC_FAST && eMode!=TSM_CODEC_BEST ) return TSM_CODEC_RANGE;
  if( nOut < 2 + (size_t)codecVarintLen((uint64_t)n) ){
    return TSM_CODEC_TOOSMALL;
  }
  out.a = aOut;
  out.n = nOut;
  out.a[0] = CODEC_VERSION;
  out.a[1] = (uint8_t)eMode;
  out.iOff = 2 + codecPutVarint(&aOut[2], (uint64_t)n);
  if( n>0 ){
    rc = codecTsVardod(&out, aTs, n);
    if( rc==0 ) rc = codecValConst(&out, aVal, n);
    if( rc>0 ) rc = codecValDecvar(&out, aVal, n);
  }
  return rc ? rc : (int)out.iOff;
}

/*************************************************************************
** Decoder.  Every read is checked against the end of the input.
*/

/* Read the header.  Return a pointer to the first column or NULL. */
static const uint8_t *codecHeader(const uint8_t *a, size_t n, int *pnSample,
                                  int *peMode){
  uint64_t nSample;
  const uint8_t *p;
  if( a==0 || n<3 || a[0]!=CODEC_VERSION || (a[1] & ~1)!=0 ) return 0;
  p = codecGetVarint(&a[2], a+n, &nSample);
  if( p==0 || nSample>TSM_CODEC_MAX_SAMPLES ) return 0;
  *pnSample = (int)nSample;
  *peMode = a[1];
  return p;
}

int tsmCodecPeek(const uint8_t *a, size_t n, int *pnSample, int *peMode){
  int nSample, eMode;
  if( codecHeader(a, n, &nSample, &eMode)==0 ) return TSM_CODEC_CORRUPT;
  if( pnSample ) *pnSample = nSample;
  if( peMode ) *peMode = eMode;
  return 0;
}

static const uint8_t *codecReadTs(const uint8_t *p, const uint8_t *pEnd,
                                  int64_t *aTs, int n){
  int i;
  if( p>=pEnd ) return 0;
  switch( *p++ ){
    case CODEC_TS_RAW:
      if( (size_t)(pEnd - p) < (size_t)n*8 ) return 0;
      for(i=0; i<n; i++){
        aTs[i] = (int64_t)codecGet64(p);
        p += 8;
      }
      return p;
    case CODEC_TS_VARDOD: {
      uint64_t iPrev = 0, iDelta = 0;
      for(i=0; i<n; i++){
        uint64_t z;
        p = codecGetVarint(p, pEnd, &z);
        if( p==0 ) return 0;
        iDelta += codecUnzigzag(z);
        iPrev += iDelta;
        aTs[i] = (int64_t)iPrev;
      }
      return p;
    }
  }
  return 0;
}

static const uint8_t *codecReadVal(const uint8_t *p, const uint8_t *pEnd,
                                   double *aVal, int n){
  int i;
  if( p>=pEnd ) return 0;
  switch( *p++ ){
    case CODEC_VAL_RAW:
      if( (size_t)(pEnd - p) < (size_t)n*8 ) return 0;
      for(i=0; i<n; i++){
        aVal[i] = codecBitsDouble(codecGet64(p));
        p += 8;
      }
      return p;
    case CODEC_VAL_CONST: {
      double v;
      if( pEnd - p < 8 ) return 0;
      v = codecBitsDouble(codecGet64(p));
      for(i=0; i<n; i++) aVal[i] = v;
      return p + 8;
    }
    case CODEC_VAL_DECVAR: {
      uint64_t iN = 0;
      double rDiv;
      if( p>=pEnd || *p>CODEC_MAX_EXP ) return 0;
      rDiv = aCodecPow10[*p++];
      for(i=0; i<n; i++){
        uint64_t z;
        p = codecGetVarint(p, pEnd, &z);
        if( p==0 ) return 0;
        iN += codecUnzigzag(z);
        aVal[i] = (double)(int64_t)iN / rDiv;
      }
      return p;
    }
  }
  return 0;
}

int tsmCodecDecode(const uint8_t *a, size_t n, int64_t *aTs, double *aVal,
                   int nMax){
  int nSample, eMode;
  const uint8_t *p = codecHeader(a, n, &nSample, &eMode);
  const uint8_t *pEnd = a + n;
  if( p==0 ) return TSM_CODEC_CORRUPT;
  if( nSample>nMax ) return TSM_CODEC_TOOSMALL;
  if( nSample==0 ) return p==pEnd ? 0 : TSM_CODEC_CORRUPT;
  p = codecReadTs(p, pEnd, aTs, nSample);
  if( p ) p = codecReadVal(p, pEnd, aVal, nSample);
  if( p!=pEnd ) return TSM_CODEC_CORRUPT;
  return nSample;
}

const char *tsmCodecErrstr(int rc){
  switch( rc ){
    case TSM_CODEC_CORRUPT:  return "corrupt chunk";
    case TSM_CODEC_TOOSMALL: return "buffer too small";
    case TSM_CODEC_RANGE:    return "sample count or mode out of range";
  }
  return rc>=0 ? "not an error" : "unknown error";
}
