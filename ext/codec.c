/* SPDX-License-Identifier: MIT */
/*
** codec.c -- the tsm chunk codec.
**
** The byte layout is specified in docs/FORMAT.md ("Chunk encoding"); this
** comment is a summary.  All multi-byte words are little-endian, varints are
** LEB128 (7 bits per byte, low group first), "zz" is zigzag (0,-1,1,-2..),
** and all integer arithmetic wraps modulo 2^64.
**
**   chunk        := version (1; 2 when a DICT block is present)
**                   flags(bit 0 = mode, bit 1 = unordered)
**                   varint(n)
**                   [ts-column  value-block*]          (nothing when n==0)
**   ts-column    := 0 RAW     n x int64
**                 | 1 VARDOD  n x zz-varint: t0, t1-t0, delta-of-delta
**                 | 2 PACKED  packed-int(n)
**   value-block  := one per 1024 samples (the last may be shorter):
**                   0 RAW     m x 8 bytes (IEEE bits)
**                 | 1 CONST   8 bytes
**                 | 2 DECVAR  e, m x zz-varint(delta of N = v*10^e)
**                 | 5 DECVARC e, m x (varint(zz(delta N)*2+f) [zz-varint])
**                 | 3 DEC     e|corr<<7, packed-int(m) [packed-int(m)]
**                 | 4 XOR     bit stream (Gorilla-style)
**                 | 6 DICT    varint(k), value-block(k) (the distinct values,
**                             sorted; not DICT), packed-int(m) of indices
**   packed-int   := transform, zz-varint(x0), [zz-varint(s)], varint(d),
**                   zz-varint(base), w, varint(nExc), ceil((m-1)*w/8) bytes
**                   of bit-packed fields, nExc x (varint gap, zz-varint)
**
** TSM_CODEC_FAST writes VARDOD and CONST/DECVAR(C)/RAW in one cheap pass
** each.  TSM_CODEC_BEST tries the candidates and keeps the smallest: PACKED
** with the best of four transforms (frame of reference, linear, delta,
** delta-of-delta), a common divisor and patched exceptions, for timestamps
** and for decimal-scaled values (ALP-style exponent; a second packed
** column holds ulp corrections for the values that are not exact
** decimals); XOR or RAW when values are not decimals; DICT instead when a
** block has few distinct values and that is smaller still.
**
** Nothing here allocates.  The BEST encoder keeps its scratch on the stack
** (about 80 KiB at most: three 1024-word arrays for a value block and the
** planner's samples, the DICT index column and table, and the encoding of
** that table as a value block of its own), the decoder about 30 KiB; that
** is why values are coded in blocks of 1024.
*/
#include "codec.h"
#include <assert.h>
#include <string.h>

/* Format version, first byte of every chunk: 1, or 2 for a chunk with a
** DICT value block (version 2 is version 1 plus that tag). */
#define CODEC_VERSION 1
#define CODEC_VERSION_DICT 2

/* Flag bit 1: some timestamp is not greater than the one before it (equal
** timestamps of a "keep" series).  Set by the encoder; tells the store
** that the chunk is not a legacy one (see tsmCodecUnordered). */
#define CODEC_F_UNORDERED 2

/* Values are coded in blocks of at most this many samples. */
#define CODEC_BLOCK 1024

/* Timestamp column tags. */
#define CODEC_TS_RAW    0    /* n x int64 */
#define CODEC_TS_VARDOD 1    /* zigzag varints of delta-of-delta */
#define CODEC_TS_PACKED 2    /* packed integer column */

/* Value block tags. */
#define CODEC_VAL_RAW    0   /* m x 8 bytes, IEEE bits */
#define CODEC_VAL_CONST  1   /* 8 bytes: every value has these bits */
#define CODEC_VAL_DECVAR 2   /* e, zigzag varints of deltas of v*10^e */
#define CODEC_VAL_DECVARC 5  /* DECVAR with flagged ulp corrections */
#define CODEC_VAL_DEC    3   /* e, packed scaled ints, packed corrections */
#define CODEC_VAL_XOR    4   /* Gorilla-style XOR bit stream */
#define CODEC_VAL_DICT   6   /* k distinct values, packed indices (v2) */

/* Flag in the exponent byte of a DEC block: a correction column follows. */
#define CODEC_DEC_CORR 0x80

/* Transforms of a packed integer column (y is what gets packed, y_0=0):
**   FOR     x_i = x_0 + y_i
**   LINEAR  x_i = x_0 + i*s + y_i
**   DELTA   x_i = x_{i-1} + y_i
**   DOD     x_i = x_{i-1} + D_i, D_i = D_{i-1} + y_i, D_0 = s
** and y_i = d * (base + u_i) where u_i is the packed w-bit field, or the
** exception value when position i is in the exception list. */
#define CODEC_X_FOR    0
#define CODEC_X_LINEAR 1
#define CODEC_X_DELTA  2
#define CODEC_X_DOD    3
#define CODEC_X_ALL    0x0f   /* mask of the transforms to try */

/* Internal: codecIntWrite() found fewer exceptions than planned (a bug;
** the caller writes the column raw rather than a corrupt chunk). */
#define CODEC_EPLAN (-100)

/* Largest decimal exponent: 10^e is exact in a double up to 10^22, and the
** scaled integers must stay below 2^51 anyway. */
#define CODEC_MAX_EXP 18

/* Scaled integers are kept strictly inside (-2^51, 2^51): there, adding and
** subtracting 1.5*2^52 rounds to the nearest integer exactly. */
#define CODEC_ROUND_MAGIC 6755399441055744.0
#define CODEC_SCALED_MAX  2251799813685248.0

/* Samples looked at to choose a transform or an exponent. */
#define CODEC_SAMPLE_INT 64
#define CODEC_SAMPLE_DEC 32

static const double aCodecPow10[CODEC_MAX_EXP+1] = {
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
  1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18
};

/* Small helpers on hot paths: inlined where the compiler allows. */
#if defined(__GNUC__)
# define CODEC_INLINE static inline __attribute__((always_inline))
#else
# define CODEC_INLINE static inline
#endif

/*
** Two-lane vectors (GCC vector extension) where SSE2 or NEON makes them
** native: a few loops handle two 64-bit lanes per instruction.  Plain C
** elsewhere gives the same results.
*/
#if defined(__GNUC__) && (defined(__SSE2__) || defined(__aarch64__))
# define CODEC_SIMD 1
typedef double CodecV2d __attribute__((vector_size(16)));
typedef uint64_t CodecV2u __attribute__((vector_size(16)));
typedef int64_t CodecV2i __attribute__((vector_size(16)));
#else
# define CODEC_SIMD 0
#endif

/*************************************************************************
** Small helpers: bits, little-endian words, varints, zigzag.
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

static uint64_t codecGet64(const uint8_t *p){
  uint64_t v;
  memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__==__ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}
static void codecPut64(uint8_t *p, uint64_t v){
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__==__ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  memcpy(p, &v, 8);
}

/* Number of significant bits of v: 0 for 0, 64 for values >= 2^63. */
static int codecBitLen(uint64_t v){
#if defined(__GNUC__)
  /* no branch on v==0: residuals are often 0, and unpredictably so */
  return (63 - __builtin_clzll(v | 1)) + (v!=0);
#else
  int n = 0;
  while( v ){ v >>= 1; n++; }
  return n;
#endif
}
static int codecCtz(uint64_t v){   /* v != 0 */
#if defined(__GNUC__)
  return __builtin_ctzll(v);
#else
  int n = 0;
  while( (v & 1)==0 ){ v >>= 1; n++; }
  return n;
#endif
}

/* Mask of the low w bits, 0 <= w <= 64. */
static uint64_t codecMask(int w){
  return w>=64 ? ~(uint64_t)0 : ((uint64_t)1 << w) - 1;
}

static uint64_t codecZigzag(uint64_t u){
  return (u << 1) ^ (0 - (u >> 63));
}
static uint64_t codecUnzigzag(uint64_t z){
  return (z >> 1) ^ (0 - (z & 1));
}

/* Bytes taken by the LEB128 varint of v (1..10). */
static int codecVarintLen(uint64_t v){
#if defined(__GNUC__)
  return 1 + (63 - __builtin_clzll(v | 1)) / 7;
#else
  return 1 + (codecBitLen(v | 1) - 1) / 7;
#endif
}

/* Write the varint of v at p (room for 10 bytes); return its size. */
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
  if( p && p<pEnd && *p<0x80 ){ *pv = *p; return p+1; }
  while( p && p<pEnd ){
    uint64_t c = *p++;
    if( sh==63 && c>1 ) return 0;
    v |= (c & 0x7f) << sh;
    if( (c & 0x80)==0 ){ *pv = v; return p; }
    sh += 7;
  }
  return 0;
}

/* codecGetVarint() with the cases of one and two bytes inline. */
CODEC_INLINE const uint8_t *codecGetVarint2(const uint8_t *p,
                                            const uint8_t *pEnd,
                                            uint64_t *pv){
  if( p && pEnd - p>=2 ){
    if( p[0]<0x80 ){
      *pv = p[0];
      return p + 1;
    }
    if( p[1]<0x80 ){
      *pv = (p[0] & 0x7f) | ((uint64_t)p[1] << 7);
      return p + 2;
    }
  }
  return codecGetVarint(p, pEnd, pv);
}

/* Arithmetic shift right of a 64-bit two's complement word, 0 <= k < 64. */
CODEC_INLINE uint64_t codecSar(uint64_t v, int k){
#if defined(__GNUC__)
  /* GCC and Clang define >> of a negative signed integer as arithmetic */
  return (uint64_t)((int64_t)v >> k);
#else
  if( k==0 ) return v;
  return (v >> k) | ((0 - (v >> 63)) << (64 - k));
#endif
}

/* Greatest common divisor (binary method: shifts, no division). */
static uint64_t codecGcd(uint64_t a, uint64_t b){
  int k;
  if( a==0 ) return b;
  if( b==0 ) return a;
  k = codecCtz(a | b);
  a >>= codecCtz(a);
  do{
    b >>= codecCtz(b);
    if( a>b ){ uint64_t t = a; a = b; b = t; }
    b -= a;
  }while( b );
  return a << k;
}

/* Magnitude of a two's complement word, as unsigned (2^63 for INT64_MIN). */
static uint64_t codecAbs(uint64_t v){
  return (v >> 63) ? 0 - v : v;
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
** Exact division by a constant: y/d for the y that d divides, by a shift
** and a multiplication by the inverse of the odd part of d modulo 2^64.
*/
typedef struct CodecDiv CodecDiv;
struct CodecDiv {
  uint64_t d;            /* divisor, 1 <= d <= 2^62 */
  int k;                 /* d = m * 2^k, m odd */
  uint64_t inv;          /* m * inv == 1 (mod 2^64) */
  int64_t qMin, qMax;    /* the quotients q with m*q in int64 range */
};

static void codecDivInit(CodecDiv *p, uint64_t d){
  uint64_t m;
  int i;
  p->d = d;
  p->k = codecCtz(d);
  m = d >> p->k;
  p->inv = (3*m) ^ 2;            /* correct to 5 bits for odd m */
  for(i=0; i<4; i++) p->inv *= 2 - m*p->inv;    /* Newton: 10,20,40,80 */
  if( m==1 ){
    p->qMax = INT64_MAX;
    p->qMin = INT64_MIN;
  }else{
    p->qMax = INT64_MAX / (int64_t)m;
    p->qMin = INT64_MIN / (int64_t)m;
  }
}

/* If d divides y (both two's complement), set *pR = y/d and return 1. */
CODEC_INLINE int codecDivExact(const CodecDiv *p, uint64_t y, uint64_t *pR){
  uint64_t q;
  if( p->d==1 ){ *pR = y; return 1; }
  if( y & codecMask(p->k) ) return 0;
  q = codecSar(y, p->k) * p->inv;
  if( (int64_t)q < p->qMin || (int64_t)q > p->qMax ) return 0;
  *pR = q;
  return 1;
}

/*************************************************************************
** Output cursor and bit writer.
*/
typedef struct CodecOut CodecOut;
struct CodecOut {
  uint8_t *a;            /* output buffer */
  size_t n;              /* its size */
  size_t iOff;           /* bytes used */
  int bDict;             /* a DICT block was written (chunk version 2) */
};

static size_t codecRoom(const CodecOut *p){ return p->n - p->iOff; }

/* Append a varint; the caller has checked the room. */
static void codecOutVarint(CodecOut *p, uint64_t v){
  p->iOff += codecPutVarint(&p->a[p->iOff], v);
}

/* LSB-first bit writer into a buffer with room for all bits written. */
typedef struct CodecBits CodecBits;
struct CodecBits {
  uint8_t *a;            /* next byte to write */
  uint64_t acc;          /* pending bits, low nAcc bits valid */
  int nAcc;              /* 0..63 */
};

static void codecBitsPut(CodecBits *p, uint64_t v, int w){
  /* v < 2^w, 0 < w <= 64 */
  p->acc |= v << p->nAcc;
  if( p->nAcc + w>=64 ){
    int nUsed = 64 - p->nAcc;
    codecPut64(p->a, p->acc);
    p->a += 8;
    p->acc = nUsed<64 ? v >> nUsed : 0;
    p->nAcc = p->nAcc + w - 64;
  }else{
    p->nAcc += w;
  }
}

/* Flush the pending bits; return the end of the written bytes. */
static uint8_t *codecBitsFlush(CodecBits *p){
  while( p->nAcc>0 ){
    *p->a++ = (uint8_t)p->acc;
    p->acc >>= 8;
    p->nAcc -= 8;
  }
  p->nAcc = 0;
  return p->a;
}

/*************************************************************************
** Packed integer column: encoder.
**
** codecIntPlan() looks at a sample to choose the transform (and a divisor
** and a center), then makes exact passes over the column, a block of
** CODEC_RBLOCK residuals at a time, for the range, and -- only when the
** sample or the range hint at outliers -- for the exception plan.
*/
typedef struct CodecPlan CodecPlan;
struct CodecPlan {
  int eXform;            /* CODEC_X_* */
  uint64_t iFirst;       /* x_0 */
  uint64_t iSlope;       /* s of LINEAR and DOD */
  uint64_t iDiv;         /* d >= 1 */
  uint64_t iBase;        /* base */
  int nBit;              /* w, 0..64 */
  int nExc;              /* exceptions */
  size_t nByte;          /* encoded size of the column */
};

/* Residuals computed per block in the exact passes. */
#define CODEC_RBLOCK 256

/* y_i of transform eX at 1 <= i < n. */
static uint64_t codecY(const int64_t *aX, int i, int eX, uint64_t s){
  uint64_t x = (uint64_t)aX[i];
  uint64_t x1 = (uint64_t)aX[i-1];
  switch( eX ){
    case CODEC_X_FOR:    return x - (uint64_t)aX[0];
    case CODEC_X_LINEAR: return x - (uint64_t)aX[0] - (uint64_t)i*s;
    case CODEC_X_DELTA:  return x - x1;
    default:
      return (x - x1) - (i>1 ? x1 - (uint64_t)aX[i-2] : s);
  }
}

/*
** The residuals r_i = y_i / d for i in [i0, i0+nBlk), 1 <= i0, into aR[].
** If bCheck, verify that d divides each y_i and return the index in the
** block of the first that it does not divide (aR[] is then incomplete), or
** -1.  Without bCheck, d must divide every y_i; return -1.
*/
static int codecResiduals(const int64_t *aX, int i0, int nBlk,
                          int eX, uint64_t s, const CodecDiv *pDv,
                          int bCheck, uint64_t *aR){
  const uint64_t *aU = (const uint64_t*)aX;
  int k = 0;
  switch( eX ){
    case CODEC_X_FOR: {
      uint64_t x0 = aU[0];
      for(k=0; k<nBlk; k++) aR[k] = aU[i0+k] - x0;
      break;
    }
    case CODEC_X_LINEAR: {
      uint64_t iLine = aU[0] + (uint64_t)(i0-1)*s;
      for(k=0; k<nBlk; k++){
        iLine += s;
        aR[k] = aU[i0+k] - iLine;
      }
      break;
    }
    case CODEC_X_DELTA:
      for(k=0; k<nBlk; k++) aR[k] = aU[i0+k] - aU[i0+k-1];
      break;
    default:
      if( i0==1 ){
        aR[0] = (aU[1] - aU[0]) - s;
        k = 1;
      }
      for(; k<nBlk; k++){
        uint64_t i = (uint64_t)(i0 + k);
        aR[k] = (aU[i] - aU[i-1]) - (aU[i-1] - aU[i-2]);
      }
      break;
  }
  if( pDv->d>1 ){
    /* y is a multiple of d = m*2^k: shift out 2^k, multiply by 1/m */
    int sh = pDv->k;
    uint64_t inv = pDv->inv;
    if( bCheck ){
      uint64_t mLow = codecMask(sh);
      for(k=0; k<nBlk; k++){
        uint64_t q = codecSar(aR[k], sh) * inv;
        if( (aR[k] & mLow)!=0
         || (int64_t)q < pDv->qMin || (int64_t)q > pDv->qMax ){
          return k;
        }
        aR[k] = q;
      }
    }else{
      for(k=0; k<nBlk; k++) aR[k] = codecSar(aR[k], sh) * inv;
    }
  }
  return -1;
}

/*
** codecResiduals() with bCheck set, fused with codecRange(): the residuals
** of [i0, i0+nBlk) into aR[] and their range (as unsigned words xor the
** sign bit) widened into [*puMin, *puMax], in one pass.  Return as
** codecResiduals() does; the range is then not set.  eX and bDiv are
** constants in each of the callers in codecResRange(), so that each
** loop is specialised.
*/
CODEC_INLINE int codecResRangeBody(const uint64_t *aU, int i0, int nBlk,
                                   const int eX, const int bDiv, uint64_t s,
                                   const CodecDiv *pDv, uint64_t *aR,
                                   uint64_t *puMin, uint64_t *puMax){
  const uint64_t iSign = (uint64_t)1 << 63;
  const uint64_t mLow = codecMask(pDv->k), inv = pDv->inv;
  const int64_t qMin = pDv->qMin, qMax = pDv->qMax;
  const int sh = pDv->k;
  uint64_t uMin = *puMin, uMax = *puMax;
  uint64_t iLine = aU[0] + (uint64_t)(i0-1)*s;
  int k;
  for(k=0; k<nBlk; k++){
    int i = i0 + k;
    uint64_t y, u;
    switch( eX ){
      case CODEC_X_FOR:    y = aU[i] - aU[0];  break;
      case CODEC_X_LINEAR: iLine += s; y = aU[i] - iLine;  break;
      case CODEC_X_DELTA:  y = aU[i] - aU[i-1];  break;
      default:
        y = (aU[i] - aU[i-1]) - (i>1 ? aU[i-1] - aU[i-2] : s);
        break;
    }
    if( bDiv ){
      uint64_t q = codecSar(y, sh) * inv;
      if( (y & mLow)!=0 || (int64_t)q < qMin || (int64_t)q > qMax ) return k;
      y = q;
    }
    aR[k] = y;
    u = y ^ iSign;
    uMin = u<uMin ? u : uMin;
    uMax = u>uMax ? u : uMax;
  }
  *puMin = uMin;
  *puMax = uMax;
  return -1;
}
static int codecResRange(const int64_t *aX, int i0, int nBlk, int eX,
                         uint64_t s, const CodecDiv *pDv, uint64_t *aR,
                         uint64_t *puMin, uint64_t *puMax){
  const uint64_t *aU = (const uint64_t*)aX;
#define CODEC_RR(E, D) \
  codecResRangeBody(aU, i0, nBlk, E, D, s, pDv, aR, puMin, puMax)
  if( pDv->d>1 ){
    switch( eX ){
      case CODEC_X_FOR:    return CODEC_RR(CODEC_X_FOR, 1);
      case CODEC_X_LINEAR: return CODEC_RR(CODEC_X_LINEAR, 1);
      case CODEC_X_DELTA:  return CODEC_RR(CODEC_X_DELTA, 1);
      default:             return CODEC_RR(CODEC_X_DOD, 1);
    }
  }
  switch( eX ){
    case CODEC_X_FOR:    return CODEC_RR(CODEC_X_FOR, 0);
    case CODEC_X_LINEAR: return CODEC_RR(CODEC_X_LINEAR, 0);
    case CODEC_X_DELTA:  return CODEC_RR(CODEC_X_DELTA, 0);
    default:             return CODEC_RR(CODEC_X_DOD, 0);
  }
#undef CODEC_RR
}

/* The slope s that transform eX uses on aX[0..n). */
static uint64_t codecSlope(const int64_t *aX, int n, int eX){
  if( n<2 ) return 0;
  if( eX==CODEC_X_LINEAR ){
    /* (x_{n-1} - x_0) / (n-1), rounded to nearest */
    int64_t iDiff = (int64_t)((uint64_t)aX[n-1] - (uint64_t)aX[0]);
    int64_t q = iDiff / (n-1), r = iDiff % (n-1);
    if( r>0 && (uint64_t)r*2>=(uint64_t)(n-1) ) q++;
    if( r<0 && (uint64_t)(-r)*2>=(uint64_t)(n-1) ) q--;
    return (uint64_t)q;
  }
  if( eX==CODEC_X_DOD ) return (uint64_t)aX[1] - (uint64_t)aX[0];
  return 0;
}

/* Bytes of the column header of plan p. */
static size_t codecPlanHeader(const CodecPlan *p){
  size_t n = 2;    /* transform byte and w byte */
  n += codecVarintLen(codecZigzag(p->iFirst));
  if( p->eXform==CODEC_X_LINEAR || p->eXform==CODEC_X_DOD ){
    n += codecVarintLen(codecZigzag(p->iSlope));
  }
  n += codecVarintLen(p->iDiv);
  n += codecVarintLen(codecZigzag(p->iBase));
  n += codecVarintLen((uint64_t)p->nExc);
  return n;
}

/* Bits added to the cost of each exception when choosing a width: an
** exception takes the slow path of the decoder (a varint pair, a
** mispredicted branch), so many of them are worth avoiding even when they
** would save a little space. */
#define CODEC_EXC_PENALTY 16

/* Estimated cost in bits of an exception whose zigzag offset has L bits:
** a one-byte gap and the varint. */
static const unsigned char aCodecExcBits[65] = {
   16, 16, 16, 16, 16, 16, 16, 16, 24, 24, 24, 24, 24, 24, 24, 32, 32,
   32, 32, 32, 32, 32, 40, 40, 40, 40, 40, 40, 40, 48, 48, 48, 48, 48,
   48, 48, 56, 56, 56, 56, 56, 56, 56, 64, 64, 64, 64, 64, 64, 64, 72,
   72, 72, 72, 72, 72, 72, 80, 80, 80, 80, 80, 80, 80, 88
};

/*
** Best width for values whose zigzag offsets from a center have the bit
** length histogram aHist[0..64], nVal values in all: minimise nVal*w plus
** the estimated cost of the exceptions (values outside the window of 2^w
** around the center).  Return w, set *pnCost (bits).
*/
static int codecBestWidth(const int *aHist, int nVal, uint64_t *pnCost){
  uint64_t nExcCost = 0;
  uint64_t nBest;
  int w, wBest;
  for(wBest=64; wBest>0 && aHist[wBest]==0; wBest--);
  nBest = (uint64_t)nVal * wBest;
  /* walk w downwards, adding the values of length w+1 to the exceptions */
  for(w=wBest-1; w>=0; w--){
    uint64_t nCost;
    nExcCost += (uint64_t)aHist[w+1] * (aCodecExcBits[w+1] + CODEC_EXC_PENALTY);
    nCost = (uint64_t)nVal*w + nExcCost;
    if( nCost<=nBest ){ nBest = nCost; wBest = w; }
  }
  *pnCost = nBest;
  return wBest;
}

/*
** Quickselect: the k-th smallest of a[0..n) (reorders a).  The partitions
** swap without branching on the data (the sampled residuals are often
** equal or nearly so, and a branch per element mispredicted half the
** time): a[lo..i) < pivot <= a[i..hi), then, if the answer lies right of
** the values equal to the pivot, a[i..i+nEq) == pivot < a[i+nEq..hi).
*/
static int64_t codecSelect(int64_t *a, int n, int k){
  int lo = 0, hi = n;          /* the answer is in a[lo..hi) */
  while( hi - lo>1 ){
    int64_t piv = a[lo + (hi - lo)/2];
    int i = lo, j, nEq = 0;
    for(j=lo; j<hi; j++){
      int64_t t = a[j];
      a[j] = a[i];
      a[i] = t;
      i += t<piv;
      nEq += t==piv;
    }
    if( k<i ){
      hi = i;
    }else if( k<i + nEq ){
      return piv;
    }else{
      int iEq = i;
      for(j=i; j<hi; j++){
        int64_t t = a[j];
        a[j] = a[iEq];
        a[iEq] = t;
        iEq += t==piv;
      }
      lo = iEq;
    }
  }
  return a[lo];
}

/* What the sample says about one transform. */
typedef struct CodecEst CodecEst;
struct CodecEst {
  uint64_t nBit;         /* estimated bits for the sample */
  int64_t iCenter;       /* median of the sample */
  int wFull;             /* bits of the sample's range */
  int bExc;              /* exceptions look worthwhile */
};

/*
** Estimate, from m sampled residuals aR[], the bits of the best packing:
** plain frame of reference, or a window around the median with
** exceptions.
*/
static void codecEstimate(const int64_t *aR, int m, CodecEst *pEst){
  int64_t aMed[32];
  int aHist[65];
  uint64_t nFull, nExc;
  int64_t iMin = aR[0], iMax = aR[0], c;
  int i, nMed;
  for(i=1; i<m; i++){
    if( aR[i]<iMin ) iMin = aR[i];
    if( aR[i]>iMax ) iMax = aR[i];
  }
  pEst->wFull = codecBitLen((uint64_t)iMax - (uint64_t)iMin);
  nFull = (uint64_t)m * pEst->wFull;
  /* the median of at most 32 of them */
  if( m<=32 ){
    nMed = m;
    for(i=0; i<m; i++) aMed[i] = aR[i];
  }else{
    nMed = 32;
    for(i=0; i<32; i++) aMed[i] = aR[(i*m) >> 5];
  }
  c = codecSelect(aMed, nMed, nMed/2);
  pEst->iCenter = c;
  if( pEst->wFull<=1 ){
    pEst->nBit = nFull;
    pEst->bExc = 0;
    return;
  }
  memset(aHist, 0, sizeof(aHist));
  for(i=0; i<m; i++){
    aHist[codecBitLen(codecZigzag((uint64_t)aR[i] - (uint64_t)c))]++;
  }
  codecBestWidth(aHist, m, &nExc);
  pEst->bExc = nExc<nFull;
  pEst->nBit = pEst->bExc ? nExc : nFull;
}

/*
** Widen [*puMin, *puMax] to hold (aR[k] - iOff) ^ 2^63 (residuals ordered
** as unsigned words) for k in [0, n).  Two accumulators per bound halve
** the dependency chains.
*/
static void codecRange(const uint64_t *aR, int n, uint64_t iOff,
                       uint64_t *puMin, uint64_t *puMax){
  const uint64_t iSign = (uint64_t)1 << 63;
  uint64_t uMin0 = *puMin, uMax0 = *puMax, uMin1 = uMin0, uMax1 = uMax0;
  uint64_t iXor = iSign;
  int k;
  for(k=0; k+2<=n; k+=2){
    uint64_t u0 = (aR[k] - iOff) ^ iXor, u1 = (aR[k+1] - iOff) ^ iXor;
    uMin0 = u0<uMin0 ? u0 : uMin0;
    uMax0 = u0>uMax0 ? u0 : uMax0;
    uMin1 = u1<uMin1 ? u1 : uMin1;
    uMax1 = u1>uMax1 ? u1 : uMax1;
  }
  if( k<n ){
    uint64_t u0 = (aR[k] - iOff) ^ iXor;
    uMin0 = u0<uMin0 ? u0 : uMin0;
    uMax0 = u0>uMax0 ? u0 : uMax0;
  }
  *puMin = uMin0<uMin1 ? uMin0 : uMin1;
  *puMax = uMax0>uMax1 ? uMax0 : uMax1;
}

/*
** Histogram of the bit lengths of the zigzag offsets of aR[0..n) from c,
** added to aHist (4 interleaved copies, so that equal buckets do not
** serialise the increments).
*/
static void codecHistAdd(const uint64_t *aR, int n, uint64_t c,
                         int aHist[4][65]){
  int k;
  for(k=0; k+4<=n; k+=4){
    aHist[0][codecBitLen(codecZigzag(aR[k] - c))]++;
    aHist[1][codecBitLen(codecZigzag(aR[k+1] - c))]++;
    aHist[2][codecBitLen(codecZigzag(aR[k+2] - c))]++;
    aHist[3][codecBitLen(codecZigzag(aR[k+3] - c))]++;
  }
  for(; k<n; k++) aHist[0][codecBitLen(codecZigzag(aR[k] - c))]++;
}

/*
** Residuals of the block [i0, i0+nBlk) of plan p: from the cache when
** there is one, else computed into aTmp.
*/
static const uint64_t *codecBlock(const int64_t *aX, int i0, int nBlk,
                                  const CodecPlan *p, const CodecDiv *pDv,
                                  const uint64_t *aCache, uint64_t *aTmp){
  if( aCache ) return &aCache[i0-1];
  codecResiduals(aX, i0, nBlk, p->eXform, p->iSlope, pDv, 0, aTmp);
  return aTmp;
}

/*
** Second half of a plan: with the range [uMin, uMax] of the residuals (as
** unsigned words xor the sign bit) and, if aHist is not NULL, the
** histogram of the bit lengths of their zigzag offsets from iCenter, set
** the plain frame of reference, then keep instead the window of the 2^w
** values around iCenter with exceptions if the histogram says it is
** smaller.  The histogram gives the number of exceptions and the size of
** their values exactly; their position gaps are counted at the largest
** varint a gap can take, so p->nByte is an upper bound when p->nExc > 0.
*/
static void codecPlanFinish(int n, CodecPlan *p, uint64_t uMin, uint64_t uMax,
                            uint64_t iCenter, int aHist[4][65]){
  const uint64_t iSign = (uint64_t)1 << 63;
  int aSum[65];
  uint64_t nCost;
  size_t nFullByte, nExcByte = 0, nByte;
  CodecPlan t;
  int w, wFull, L, nGap;

  wFull = codecBitLen(uMax - uMin);
  p->iBase = uMin ^ iSign;
  p->nBit = wFull;
  p->nExc = 0;
  nFullByte = codecPlanHeader(p) + (((size_t)(n-1)*wFull + 7) >> 3);
  p->nByte = nFullByte;
  if( aHist==0 || wFull<=1 ) return;

  for(w=0; w<=64; w++){
    aSum[w] = aHist[0][w] + aHist[1][w] + aHist[2][w] + aHist[3][w];
  }
  w = codecBestWidth(aSum, n-1, &nCost);
  if( w>=wFull || nCost + 64>=(uint64_t)(n-1)*wFull ) return;

  t = *p;
  t.iBase = w>0 ? iCenter - ((uint64_t)1 << (w-1)) : iCenter;
  t.nBit = w;
  nGap = codecVarintLen((uint64_t)n);
  for(L=w+1; L<=64; L++){
    t.nExc += aSum[L];
    nExcByte += (size_t)aSum[L] * (nGap + codecVarintLen(codecMask(L)));
  }
  nByte = codecPlanHeader(&t) + (((size_t)(n-1)*w + 7) >> 3) + nExcByte;
  if( nByte<nFullByte ){
    t.nByte = nByte;
    *p = t;
  }
}

/*
** Exact passes for plan p, whose transform and slope are chosen: the
** divisor p->iDiv is checked (and shrunk to the gcd if the sample was
** wrong), then p->nByte and, when exceptions pay, p->iBase/nBit/nExc are
** set.  Passes over the residuals, CODEC_RBLOCK at a time, or over the
** whole cache when aCache is not NULL (n-1 <= CODEC_BLOCK):
**
**   1. range (and divisor check; histogram too if the sample predicts
**      that exceptions pay);
**   2. histogram, if not done in 1 and the range is wider than the
**      sample's by more than a bit (outliers that the sample missed);
**   3. codecPlanFinish().
*/
static void codecIntPlanExact(const int64_t *aX, int n, CodecPlan *p,
                              const CodecEst *pEst, uint64_t *aCache){
  uint64_t aTmp[CODEC_RBLOCK];
  int aHist[4][65];
  uint64_t uMin, uMax, iCenter = (uint64_t)pEst->iCenter;
  int i0, bHist = 0;
  int nStep = aCache ? n : CODEC_RBLOCK;
  CodecDiv dv;

  codecDivInit(&dv, p->iDiv);

  /* 1: range; u = r ^ sign orders the residuals as unsigned words. */
 restart:
  uMin = ~(uint64_t)0;
  uMax = 0;
  bHist = pEst->bExc;
  if( bHist ) memset(aHist, 0, sizeof(aHist));
  for(i0=1; i0<n; i0+=nStep){
    int nBlk = n - i0 < nStep ? n - i0 : nStep;
    uint64_t *aR = aCache ? &aCache[i0-1] : aTmp;
    int iBad = codecResRange(aX, i0, nBlk, p->eXform, p->iSlope, &dv, aR,
                             &uMin, &uMax);
    if( iBad>=0 ){
      /* the sample's divisor does not divide this y: use the gcd */
      uint64_t y = codecY(aX, i0 + iBad, p->eXform, p->iSlope);
      uint64_t g = codecGcd(dv.d, codecAbs(y));
      if( g>=dv.d ) g = 1;     /* cannot happen; be sure to terminate */
      iCenter *= dv.d / g;
      codecDivInit(&dv, g);
      p->iDiv = g;
      goto restart;
    }
    if( bHist ) codecHistAdd(aR, nBlk, iCenter, aHist);
  }

  /* 2: histogram, when the sample may have missed outliers. */
  if( !bHist && codecBitLen(uMax - uMin)>pEst->wFull + 1 ){
    memset(aHist, 0, sizeof(aHist));
    bHist = 1;
    for(i0=1; i0<n; i0+=CODEC_RBLOCK){
      int nBlk = n - i0 < CODEC_RBLOCK ? n - i0 : CODEC_RBLOCK;
      const uint64_t *aR = codecBlock(aX, i0, nBlk, p, &dv, aCache, aTmp);
      codecHistAdd(aR, nBlk, iCenter, aHist);
    }
  }

  codecPlanFinish(n, p, uMin, uMax, iCenter, bHist ? aHist : 0);
}

/*
** Choose how to pack aX[0..n) (n >= 1): the transform among those in mask
** mXform, the divisor, base, width and exceptions; set *p, including the
** exact encoded size p->nByte.  If aCache is not NULL (room for
** CODEC_BLOCK words, n-1 <= CODEC_BLOCK), leave the residuals there for
** codecIntWrite().
*/
static void codecIntPlan(const int64_t *aX, int n, int mXform, CodecPlan *p,
                         uint64_t *aCache){
  uint64_t aY[4][2*CODEC_SAMPLE_INT];
  int64_t aR[2*CODEC_SAMPLE_INT];
  int aPos[2*CODEC_SAMPLE_INT];
  CodecEst est, estBest;
  int m, k, eX;
  CodecDiv dv;

  memset(p, 0, sizeof(*p));
  memset(&estBest, 0, sizeof(estBest));
  p->iFirst = (uint64_t)aX[0];
  p->iDiv = 1;
  if( n<2 ){
    p->nByte = codecPlanHeader(p);
    return;
  }

  /* A constant step (regular timestamps, a flat series): LINEAR, w = 0. */
  if( mXform & (1<<CODEC_X_LINEAR) ){
    const uint64_t *aU = (const uint64_t*)aX;
    uint64_t s = aU[1] - aU[0], iDiff = 0;
    int i = 2, j;
    /* 64 steps at a time, without a branch per step */
    for(; iDiff==0 && i+64<=n; i+=64){
      uint64_t d0 = 0, d1 = 0;
      for(j=i; j<i+64; j+=2){
        d0 |= (aU[j] - aU[j-1]) ^ s;
        d1 |= (aU[j+1] - aU[j]) ^ s;
      }
      iDiff = d0 | d1;
    }
    for(; iDiff==0 && i<n; i++) iDiff = (aU[i] - aU[i-1]) ^ s;
    if( iDiff==0 ){
      p->eXform = CODEC_X_LINEAR;
      p->iSlope = s;
      p->nByte = codecPlanHeader(p);
      return;
    }
  }

  /* Positions sampled: all of them for short columns. */
  if( n-1<=2*CODEC_SAMPLE_INT ){
    m = n - 1;
    for(k=0; k<m; k++) aPos[k] = k + 1;
  }else{
    int64_t iAcc = 0;
    m = CODEC_SAMPLE_INT;
    for(k=0; k<m; k++){
      aPos[k] = 1 + (int)(iAcc / m);
      iAcc += n - 1;
    }
  }

  /* The y of every transform at the sampled positions. */
  {
    const uint64_t *aU = (const uint64_t*)aX;
    uint64_t x0 = aU[0];
    uint64_t sLin = codecSlope(aX, n, CODEC_X_LINEAR);
    uint64_t sDod = codecSlope(aX, n, CODEC_X_DOD);
    for(k=0; k<m; k++){
      int i = aPos[k];
      uint64_t x = aU[i], x1 = aU[i-1];
      aY[CODEC_X_FOR][k] = x - x0;
      aY[CODEC_X_LINEAR][k] = x - x0 - (uint64_t)i*sLin;
      aY[CODEC_X_DELTA][k] = x - x1;
      aY[CODEC_X_DOD][k] = (x - x1) - (i>1 ? x1 - aU[i-2] : sDod);
    }
  }

  /* Pick the transform that packs the sample best. */
  p->eXform = -1;
  for(eX=0; eX<4; eX++){
    uint64_t s = codecSlope(aX, n, eX);
    uint64_t g = 0, r;
    if( (mXform & (1<<eX))==0 ) continue;
    codecDivInit(&dv, 1);
    for(k=0; k<m; k++){
      uint64_t y = aY[eX][k];
      aR[k] = (int64_t)y;
      if( g!=1 && (g==0 || !codecDivExact(&dv, y, &r)) ){
        /* a divisor test by multiplication; gcd only when it fails */
        g = codecGcd(g, codecAbs(y));
        if( g>((uint64_t)1<<62) ) g = 1;
        codecDivInit(&dv, g ? g : 1);
      }
    }
    if( g==0 ) g = 1;
    if( g>1 ){
      for(k=0; k<m; k++) codecDivExact(&dv, (uint64_t)aR[k], (uint64_t*)&aR[k]);
    }
    codecEstimate(aR, m, &est);
    if( p->eXform<0 || est.nBit<estBest.nBit ){
      estBest = est;
      p->eXform = eX;
      p->iSlope = s;
      p->iDiv = g;
    }
  }
  codecIntPlanExact(aX, n, p, &estBest, n-1<=CODEC_BLOCK ? aCache : 0);
}

/*
** The field widths that the packer (1..32) and the unpacker (1..56) have a
** copy of their loop for, with the width a constant: X(W) for each.
*/
#define CODEC_WIDTHS_1_32(X) \
  X(1)  X(2)  X(3)  X(4)  X(5)  X(6)  X(7)  X(8)  X(9)  X(10) X(11) X(12) \
  X(13) X(14) X(15) X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23) X(24) \
  X(25) X(26) X(27) X(28) X(29) X(30) X(31) X(32)
#define CODEC_WIDTHS_33_56(X) \
  X(33) X(34) X(35) X(36) X(37) X(38) X(39) X(40) X(41) X(42) X(43) X(44) \
  X(45) X(46) X(47) X(48) X(49) X(50) X(51) X(52) X(53) X(54) X(55) X(56)

/* Exceptions that codecIntWrite() keeps while packing (more are found by
** a second pass). */
#define CODEC_EXC_KEEP 256

/* Exceptions met while packing: the first CODEC_EXC_KEEP, and a count. */
typedef struct CodecExcList CodecExcList;
struct CodecExcList {
  int nExc;
  int aPos[CODEC_EXC_KEEP];
  uint64_t aR[CODEC_EXC_KEEP];
};

/* Append one exception: the varint gap and the zigzag varint offset. */
static int codecExcWrite(CodecOut *pOut, int iGap, uint64_t iOffset){
  uint64_t z = codecZigzag(iOffset);
  if( codecRoom(pOut)
      < (size_t)(codecVarintLen((uint64_t)iGap) + codecVarintLen(z)) ){
    return TSM_CODEC_TOOSMALL;
  }
  codecOutVarint(pOut, (uint64_t)iGap);
  codecOutVarint(pOut, z);
  return 0;
}

/* Some of the 8 residuals aR[0..8) (positions iPos..) are exceptions,
** r - base > mask: note them in *pList, and copy aR[] to aClean[] with
** the base in their place. */
static void codecPackExc(const uint64_t *aR, int iPos, uint64_t iBase,
                         uint64_t mask, CodecExcList *pList,
                         uint64_t *aClean){
  int j;
  for(j=0; j<8; j++){
    aClean[j] = aR[j];
    if( aR[j] - iBase<=mask ) continue;
    aClean[j] = iBase;
    if( pList->nExc<CODEC_EXC_KEEP ){
      pList->aPos[pList->nExc] = iPos + j;
      pList->aR[pList->nExc] = aR[j];
    }
    pList->nExc++;
  }
}

/* One field of codecPack8(): nAcc and W are constants after inlining. */
#define CODEC_PACK_STEP(j)                                                  \
  u = aSrc[j] - iBase;                                                      \
  bad |= u & ~mask;                                                         \
  acc |= u << nAcc;                                                         \
  if( nAcc + W<64 ){                                                        \
    nAcc += W;                                                              \
  }else{                                                                    \
    codecPut64(q, acc);                                                     \
    q += 8;                                                                 \
    acc = nAcc + W>64 ? u >> (64 - nAcc) : 0;                               \
    nAcc = nAcc + W - 64;                                                   \
  }

/*
** Pack the residuals aR[0..8*nGroup) minus iBase as fields of W bits
** (1 <= W <= 64), LSB first, 8 per group into W bytes at q; exceptions go
** to *pList (iPos is the position of aR[0]).  The last 8-byte store of a
** group may write up to 8 bytes past its W bytes (zeros; the next group
** overwrites them), so q needs room for nGroup*W + 8 bytes.  Inlined
** with W constant by codecPack(), so that every shift is an immediate.
** A group with an exception is packed again from a copy where the
** exceptions are replaced by the base (field 0).
*/
CODEC_INLINE void codecPack8(const uint64_t *aR, int nGroup, uint64_t iBase,
                             uint8_t *q, int iPos, CodecExcList *pList,
                             const int W){
  const uint64_t mask = codecMask(W);
  int g;
  for(g=0; g<nGroup; g++, aR+=8, iPos+=8){
    const uint64_t *aSrc = aR;
    uint64_t aClean[8];
    uint8_t *q0 = q;
    while( 1 ){
      uint64_t u, bad = 0, acc = 0;
      int nAcc = 0;
      CODEC_PACK_STEP(0) CODEC_PACK_STEP(1) CODEC_PACK_STEP(2)
      CODEC_PACK_STEP(3) CODEC_PACK_STEP(4) CODEC_PACK_STEP(5)
      CODEC_PACK_STEP(6) CODEC_PACK_STEP(7)
      if( nAcc>0 ) codecPut64(q, acc);
      q += nAcc/8;
      if( bad==0 ) break;
      codecPackExc(aR, iPos, iBase, mask, pList, aClean);
      aSrc = aClean;
      q = q0;
    }
  }
}
#undef CODEC_PACK_STEP

static void codecPack(const uint64_t *aR, int nGroup, uint64_t iBase,
                      uint8_t *q, int iPos, CodecExcList *pList, int w){
  switch( w ){
#define CODEC_PACK_CASE(W) \
    case W: codecPack8(aR, nGroup, iBase, q, iPos, pList, W); break;
    CODEC_WIDTHS_1_32(CODEC_PACK_CASE)
#undef CODEC_PACK_CASE
    default: codecPack8(aR, nGroup, iBase, q, iPos, pList, w); break;
  }
}

/*
** Pack the nBlk residuals aR[] (positions iPos.. of the column, iPos-1 a
** multiple of 8, so that every group starts on a byte) at a, which has
** nRoom bytes.  Groups whose 8-byte stores fit are packed in place; the
** last ones, and the padded tail, through a small buffer.  Return the byte
** after the last whole byte written; the tail's last partial byte is
** included.
*/
static uint8_t *codecPackBlock(const uint64_t *aR, int nBlk, uint64_t iBase,
                               int w, uint8_t *a, size_t nRoom, int iPos,
                               CodecExcList *pList){
  uint8_t aStage[64 + 8];
  uint64_t aPad[8];
  int nGroup = nBlk/8, nDirect = 0, g, nTail = nBlk - 8*nGroup;
  if( nRoom>=(size_t)w + 8 ){
    nDirect = (int)((nRoom - 8)/(size_t)w);
    if( nDirect>nGroup ) nDirect = nGroup;
  }
  codecPack(aR, nDirect, iBase, a, iPos, pList, w);
  a += (size_t)nDirect*w;
  for(g=nDirect; g<nGroup; g++){
    codecPack(&aR[8*g], 1, iBase, aStage, iPos + 8*g, pList, w);
    memcpy(a, aStage, (size_t)w);
    a += w;
  }
  if( nTail>0 ){
    int j;
    for(j=0; j<8; j++) aPad[j] = j<nTail ? aR[8*nGroup + j] : iBase;
    codecPack(aPad, 1, iBase, aStage, iPos + 8*nGroup, pList, w);
    memcpy(a, aStage, (size_t)(nTail*w + 7)/8);
    a += (nTail*w + 7)/8;
  }
  return a;
}

/*
** Write the packed column planned in *p, with the residuals from aCache if
** not NULL.  A residual r outside the window [base, base + 2^w) is written
** as 0 in the packed field and listed as an exception: varint gap to the
** previous exception position (or to 0), zigzag varint of r - center,
** where center = base + 2^(w-1) (base when w==0).  Return 0 or
** TSM_CODEC_TOOSMALL.
*/
static int codecIntWrite(CodecOut *pOut, const int64_t *aX, int n,
                         const CodecPlan *p, const uint64_t *aCache){
  uint64_t aTmp[CODEC_RBLOCK];
  uint64_t mask = codecMask(p->nBit);
  uint64_t iBase = p->iBase;
  uint64_t iCenter = iBase + (p->nBit>0 ? (uint64_t)1 << (p->nBit-1) : 0);
  CodecExcList exc;
  int nExc = 0, iPrev = 0;
  size_t nFixed;
  CodecDiv dv;
  int i0, k;
  int nStep = aCache ? n : CODEC_RBLOCK;

  /* header and packed fields: exact; exceptions are checked one by one */
  nFixed = codecPlanHeader(p) + (((size_t)(n-1)*p->nBit + 7) >> 3);
  if( codecRoom(pOut)<nFixed ) return TSM_CODEC_TOOSMALL;
  codecDivInit(&dv, p->iDiv);
  pOut->a[pOut->iOff++] = (uint8_t)p->eXform;
  codecOutVarint(pOut, codecZigzag(p->iFirst));
  if( p->eXform==CODEC_X_LINEAR || p->eXform==CODEC_X_DOD ){
    codecOutVarint(pOut, codecZigzag(p->iSlope));
  }
  codecOutVarint(pOut, p->iDiv);
  codecOutVarint(pOut, codecZigzag(iBase));
  pOut->a[pOut->iOff++] = (uint8_t)p->nBit;
  codecOutVarint(pOut, (uint64_t)p->nExc);
  exc.nExc = 0;
  if( p->nBit>0 ){
    uint8_t *a = &pOut->a[pOut->iOff];
    uint8_t *aEnd = pOut->a + pOut->n;
    for(i0=1; i0<n; i0+=nStep){
      int nBlk = n - i0 < nStep ? n - i0 : nStep;
      const uint64_t *aR = codecBlock(aX, i0, nBlk, p, &dv, aCache, aTmp);
      a = codecPackBlock(aR, nBlk, iBase, p->nBit, a, (size_t)(aEnd - a), i0,
                         &exc);
    }
    pOut->iOff = (size_t)(a - pOut->a);
  }
  if( p->nBit>0 && exc.nExc<=CODEC_EXC_KEEP ){
    /* the exceptions were all kept while packing */
    for(k=0; k<exc.nExc; k++){
      if( codecExcWrite(pOut, exc.aPos[k] - iPrev - 1, exc.aR[k] - iCenter) ){
        return TSM_CODEC_TOOSMALL;
      }
      iPrev = exc.aPos[k];
    }
    nExc = exc.nExc;
  }else if( p->nExc>0 ){
    /* w == 0, or too many to keep: find them again */
    for(i0=1; i0<n; i0+=nStep){
      int nBlk = n - i0 < nStep ? n - i0 : nStep;
      const uint64_t *aR = codecBlock(aX, i0, nBlk, p, &dv, aCache, aTmp);
      for(k=0; k<nBlk; k++){
        if( aR[k] - iBase<=mask ) continue;
        if( codecExcWrite(pOut, i0 + k - iPrev - 1, aR[k] - iCenter) ){
          return TSM_CODEC_TOOSMALL;
        }
        iPrev = i0 + k;
        nExc++;
      }
    }
  }
  assert( nExc==p->nExc );
  if( nExc!=p->nExc ) return CODEC_EPLAN;
  return 0;
}

/*************************************************************************
** Packed integer column: decoder.
*/

/* Read w <= 64 bits at bit offset iBit of a[0..nByte), bounds checked by
** the caller. */
static uint64_t codecBitsAt(const uint8_t *a, size_t nByte, uint64_t iBit,
                            int w){
  size_t iByte = (size_t)(iBit >> 3);
  int sh = (int)(iBit & 7);
  uint64_t v = 0;
  int nGot = 0;
  if( iByte + 8<=nByte && w + sh<=64 ){
    return (codecGet64(&a[iByte]) >> sh) & codecMask(w);
  }
  /* slow path: byte by byte */
  v = (uint64_t)(a[iByte++] >> sh);
  nGot = 8 - sh;
  while( nGot<w ){
    v |= (uint64_t)a[iByte++] << nGot;
    nGot += 8;
  }
  return v & codecMask(w);
}

/*
** Unpack 8*nGroup fields of W bits (1 <= W <= 56) from q into a[]: each
** field is one 8-byte load, a shift and a mask.  Inlined with W constant by
** codecUnpack(), so that every offset and shift is an immediate.
*/
CODEC_INLINE void codecUnpack8(const uint8_t *q, uint64_t *a, int nGroup,
                               const int W){
  const uint64_t m = codecMask(W);
  int g;
  for(g=0; g<nGroup; g++, q+=W, a+=8){
    a[0] = (codecGet64(q) & m);
    a[1] = (codecGet64(q + (1*W>>3)) >> (1*W & 7)) & m;
    a[2] = (codecGet64(q + (2*W>>3)) >> (2*W & 7)) & m;
    a[3] = (codecGet64(q + (3*W>>3)) >> (3*W & 7)) & m;
    a[4] = (codecGet64(q + (4*W>>3)) >> (4*W & 7)) & m;
    a[5] = (codecGet64(q + (5*W>>3)) >> (5*W & 7)) & m;
    a[6] = (codecGet64(q + (6*W>>3)) >> (6*W & 7)) & m;
    a[7] = (codecGet64(q + (7*W>>3)) >> (7*W & 7)) & m;
  }
}

/*
** Unpack nField fields of w bits (1 <= w <= 64), LSB first, from p into
** aF[].  p has nAvail bytes, at least the ceil(nField*w/8) of the fields.
** Groups of 8 fields whose 8-byte loads stay inside p take the fast path,
** specialised per width; the rest are read one by one.
*/
static void codecUnpack(const uint8_t *p, size_t nAvail, int w, int nField,
                        uint64_t *aF){
  size_t nSpan = 8 + (size_t)((7*w) >> 3);   /* bytes a group's loads touch */
  int nGroup = 0, i;
  if( w<=56 && nAvail>=nSpan ){
    /* group g loads bytes [g*w, g*w + nSpan) */
    size_t nFit = (nAvail - nSpan)/(size_t)w + 1;
    nGroup = nFit < (size_t)(nField/8) ? (int)nFit : nField/8;
  }
  switch( w ){
#define CODEC_UNPACK_CASE(W) case W: codecUnpack8(p, aF, nGroup, W); break;
    CODEC_WIDTHS_1_32(CODEC_UNPACK_CASE)
    CODEC_WIDTHS_33_56(CODEC_UNPACK_CASE)
#undef CODEC_UNPACK_CASE
  }
  for(i=nGroup*8; i<nField; i++){
    aF[i] = codecBitsAt(p, nAvail, (uint64_t)i*(uint64_t)w, w);
  }
}

/* The header of a packed integer column. */
typedef struct CodecIntHdr CodecIntHdr;
struct CodecIntHdr {
  int eX;                /* transform */
  int w;                 /* bits per packed field */
  uint64_t iFirst, iSlope, iDiv, iBase;
  uint64_t nExc;         /* exceptions, < n */
  size_t nPack;          /* bytes of packed fields */
};

/* Read the header of a packed column of n values; return the first byte
** of the packed fields (all present in the input), or NULL. */
static const uint8_t *codecIntHeader(const uint8_t *p, const uint8_t *pEnd,
                                     int n, CodecIntHdr *h){
  uint64_t z = 0;
  memset(h, 0, sizeof(*h));
  if( p>=pEnd ) return 0;
  h->eX = *p++;
  if( h->eX>CODEC_X_DOD ) return 0;
  p = codecGetVarint(p, pEnd, &z);
  h->iFirst = codecUnzigzag(z);
  if( p && (h->eX==CODEC_X_LINEAR || h->eX==CODEC_X_DOD) ){
    p = codecGetVarint(p, pEnd, &z);
    h->iSlope = codecUnzigzag(z);
  }
  p = codecGetVarint(p, pEnd, &h->iDiv);
  p = codecGetVarint(p, pEnd, &z);
  h->iBase = codecUnzigzag(z);
  if( p==0 || p>=pEnd ) return 0;
  h->w = *p++;
  p = codecGetVarint(p, pEnd, &h->nExc);
  if( p==0 || h->w>64 || h->nExc>=(uint64_t)n ) return 0;
  h->nPack = (size_t)(((uint64_t)(n-1)*h->w + 7) >> 3);
  if( (size_t)(pEnd - p)<h->nPack ) return 0;
  return p;
}

/* a[i] = c + i*s for 0 <= i < n. */
static void codecLineFill(uint64_t *a, int n, uint64_t c, uint64_t s){
  int i = 0;
#if CODEC_SIMD
  CodecV2u v = { c, c + s };
  const CodecV2u vStep = { 2*s, 2*s };
  for(; i+2<=n; i+=2){
    memcpy(&a[i], &v, 16);
    v += vStep;
  }
  c = v[0];
#endif
  for(; i<n; i++){ a[i] = c; c += s; }
}

/* a[i] = c + i*s + a[i]*d for 0 <= i < n (FOR: s = 0; LINEAR).  A divisor
** that is a power of two (1 included) is a shift, two lanes at a time. */
static void codecLine(uint64_t *a, int n, uint64_t c, uint64_t s,
                      uint64_t d){
  int i = 0;
#if CODEC_SIMD
  if( d!=0 && (d & (d - 1))==0 ){
    CodecV2u v = { c, c + s };
    const CodecV2u vStep = { 2*s, 2*s };
    const int k = codecCtz(d);
    for(; i+2<=n; i+=2){
      CodecV2u x;
      memcpy(&x, &a[i], 16);
      x = (x << k) + v;
      memcpy(&a[i], &x, 16);
      v += vStep;
    }
    c = v[0];
  }
#endif
  for(; i<n; i++){ a[i] = c + a[i]*d; c += s; }
}

/*
** Decode a packed integer column of n values from [p, pEnd) into aX[].
** Return the byte after it, or NULL if it is corrupt.
**
** Three passes over aX[], which stays in L1: unpack the fields of values
** 1..n-1 into aX[1..n-1]; overwrite the exception positions with their
** offsets from the base; undo the transform, x_i from f_i = aX[i] and
** r_i = (base + f_i) * div.  All arithmetic is modulo 2^64.
*/
static const uint8_t *codecIntRead(const uint8_t *p, const uint8_t *pEnd,
                                   int n, int64_t *aX){
  CodecIntHdr h;
  uint64_t *aU = (uint64_t*)aX;
  uint64_t iDiv, c, iPos = 0;
  uint64_t k;
  int i;

  p = codecIntHeader(p, pEnd, n, &h);
  if( p==0 ) return 0;
  if( h.w==0 && h.nExc==0 && h.eX<=CODEC_X_LINEAR ){
    /* every field is 0: a constant or a line */
    uint64_t iSlope = h.eX==CODEC_X_LINEAR ? h.iSlope : 0;
    aU[0] = h.iFirst;
    codecLineFill(&aU[1], n-1, h.iFirst + h.iBase*h.iDiv + iSlope, iSlope);
    return p;
  }
  if( h.w==0 ){
    memset(&aU[1], 0, sizeof(uint64_t)*(size_t)(n-1));
  }else{
    codecUnpack(p, (size_t)(pEnd - p), h.w, n-1, &aU[1]);
  }

  /* exceptions follow the packed fields: varint gap to the previous
  ** position (or 0), zigzag varint of r - center */
  p += h.nPack;
  for(k=0; k<h.nExc; k++){
    uint64_t iGap = 0, z = 0;
    p = codecGetVarint2(p, pEnd, &iGap);
    p = codecGetVarint2(p, pEnd, &z);
    if( p==0 || iGap>=(uint64_t)(n-1) - iPos ) return 0;
    iPos += iGap + 1;
    aU[iPos] = (h.w>0 ? (uint64_t)1 << (h.w-1) : 0) + codecUnzigzag(z);
  }

  iDiv = h.iDiv;
  c = h.iBase*iDiv;
  aU[0] = h.iFirst;
  switch( h.eX ){
    case CODEC_X_FOR:
      codecLine(&aU[1], n-1, h.iFirst + c, 0, iDiv);
      break;
    case CODEC_X_LINEAR:
      codecLine(&aU[1], n-1, h.iFirst + c + h.iSlope, h.iSlope, iDiv);
      break;
    case CODEC_X_DELTA: {
      uint64_t x = h.iFirst;
      for(i=1; i<n; i++){ x += c + aU[i]*iDiv; aU[i] = x; }
      break;
    }
    default: {
      uint64_t x = h.iFirst, d = h.iSlope;
      for(i=1; i<n; i++){ d += c + aU[i]*iDiv; x += d; aU[i] = x; }
      break;
    }
  }
  return p;
}

/*************************************************************************
** Timestamp column.
*/

/* Raw timestamp column.  Return 0 or TSM_CODEC_TOOSMALL. */
static int codecTsRaw(CodecOut *p, const int64_t *aTs, int n){
  int i;
  if( codecRoom(p) < 1 + (size_t)n*8 ) return TSM_CODEC_TOOSMALL;
  p->a[p->iOff++] = CODEC_TS_RAW;
  for(i=0; i<n; i++){
    codecPut64(&p->a[p->iOff], (uint64_t)aTs[i]);
    p->iOff += 8;
  }
  return 0;
}

/* Delta-of-delta varint timestamp column, or raw when that is smaller:
** zz(t0), zz(t1-t0), then zz((ti - ti-1) - (ti-1 - ti-2)). */
static int codecTsVardod(CodecOut *p, const int64_t *aTs, int n){
  size_t nLimit = codecRoom(p);
  size_t nRaw = 1 + (size_t)n*8;
  size_t iOff = 1;
  uint64_t iPrev = 0, iDelta = 0;
  uint8_t *a = &p->a[p->iOff];
  int i;
  if( nLimit>nRaw ) nLimit = nRaw;
  if( nLimit<1 ) return TSM_CODEC_TOOSMALL;
  a[0] = CODEC_TS_VARDOD;
  for(i=0; i<n; i++){
    uint64_t x = (uint64_t)aTs[i];
    uint64_t d = x - iPrev;
    uint64_t z = codecZigzag(d - iDelta);
    if( iOff + 10>nLimit && iOff + codecVarintLen(z)>nLimit ){
      return codecTsRaw(p, aTs, n);
    }
    iOff += codecPutVarint(&a[iOff], z);
    iPrev = x;
    iDelta = d;
    if( i==0 ) iDelta = 0;     /* the first delta counts from 0 */
  }
  p->iOff += iOff;
  return 0;
}

/* Packed timestamp column, or raw when that is smaller. */
static int codecTsPacked(CodecOut *p, const int64_t *aTs, int n){
  uint64_t aCache[CODEC_BLOCK];
  CodecPlan plan;
  const uint64_t *pCache = n-1<=CODEC_BLOCK ? aCache : 0;
  size_t iStart = p->iOff;
  int rc;
  codecIntPlan(aTs, n, CODEC_X_ALL, &plan, aCache);
  if( plan.nByte>=(size_t)n*8 ) return codecTsRaw(p, aTs, n);
  if( codecRoom(p)<1 ) return TSM_CODEC_TOOSMALL;
  p->a[p->iOff++] = CODEC_TS_PACKED;
  rc = codecIntWrite(p, aTs, n, &plan, pCache);
  if( rc==CODEC_EPLAN ){
    p->iOff = iStart;
    rc = codecTsRaw(p, aTs, n);
  }
  return rc;
}

static const uint8_t *codecReadTs(const uint8_t *p, const uint8_t *pEnd,
                                  int64_t *aTs, int n, unsigned flags){
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
      uint64_t iPrev, iDelta = 0, z;
      p = codecGetVarint2(p, pEnd, &z);
      if( p==0 ) return 0;
      iPrev = codecUnzigzag(z);
      aTs[0] = (int64_t)iPrev;
      /* the first delta counts from 0 (from t0 in legacy chunks) */
      if( flags & TSM_CODEC_LEGACY_DOD ) iDelta = iPrev;
      for(i=1; i<n; i++){
        p = codecGetVarint2(p, pEnd, &z);
        if( p==0 ) return 0;
        iDelta += codecUnzigzag(z);
        iPrev += iDelta;
        aTs[i] = (int64_t)iPrev;
      }
      return p;
    }
    case CODEC_TS_PACKED:
      return codecIntRead(p, pEnd, n, aTs);
  }
  return 0;
}

/*************************************************************************
** Value blocks: encoders.  Each writes one block of n <= CODEC_BLOCK
** values and returns 0 or TSM_CODEC_TOOSMALL.
*/

static int codecValRaw(CodecOut *p, const double *aVal, int n){
  int i;
  if( codecRoom(p) < 1 + (size_t)n*8 ) return TSM_CODEC_TOOSMALL;
  p->a[p->iOff++] = CODEC_VAL_RAW;
  for(i=0; i<n; i++){
    codecPut64(&p->a[p->iOff], codecDoubleBits(aVal[i]));
    p->iOff += 8;
  }
  return 0;
}

/* Return 1 if every value has the bits of the first. */
static int codecValIsConst(const double *aVal, int n){
  uint64_t u = codecDoubleBits(aVal[0]);
  int i;
  for(i=1; i<n; i++){
    if( codecDoubleBits(aVal[i])!=u ) return 0;
  }
  return 1;
}

static int codecValConst(CodecOut *p, const double *aVal){
  if( codecRoom(p)<9 ) return TSM_CODEC_TOOSMALL;
  p->a[p->iOff] = CODEC_VAL_CONST;
  codecPut64(&p->a[p->iOff+1], codecDoubleBits(aVal[0]));
  p->iOff += 9;
  return 0;
}

/*
** DECVAR (the FAST value block): with the smallest exponent e that makes
** the values exact decimals v = N/10^e, one varint per value:
** zigzag(N - previous N).  DECVARC when some values are not exactly
** N/10^e (a float artefact such as 0.1+0.2, a NaN, -0.0): the varint is
** zigzag(N - previous N) * 2 + f, and when the flag f is set a zigzag
** varint correction follows: the value is the bits of N/10^e plus the
** correction.  N is kept within +-2^51 (a value out of that range keeps
** the previous N), so the shifted zigzag fits 64 bits.  Raw when
** corrections are too many or raw is smaller.
*/
static int codecValDecvar(CodecOut *p, const double *aVal, int n){
  size_t nRoom = codecRoom(p);
  size_t nRaw = 1 + (size_t)n*8;
  uint8_t *a = &p->a[p->iOff];
  int e = 0, nGiveUp = 0, bFlag = 0;
  if( nRoom<2 ) return TSM_CODEC_TOOSMALL;
 restart:
  {
    /* Bytes past the room are counted, not written, so that the choice
    ** between DECVAR(C) and RAW does not depend on the room. */
    size_t iOff = 2;
    uint64_t iPrev = 0;
    double rPow = aCodecPow10[e];
    int i, nCorr = 0;
    a[0] = bFlag ? CODEC_VAL_DECVARC : CODEC_VAL_DECVAR;
    a[1] = (uint8_t)e;
    for(i=0; i<n; i++){
      double v = aVal[i];
      double x = v * rPow;
      uint64_t iN = iPrev, c, z;
      if( x < CODEC_SCALED_MAX && x > -CODEC_SCALED_MAX ){
        iN = (uint64_t)(int64_t)((x + CODEC_ROUND_MAGIC) - CODEC_ROUND_MAGIC);
      }
      c = codecDoubleBits(v) - codecDoubleBits((double)(int64_t)iN / rPow);
      if( c!=0 ){
        /* a decimal with more digits restarts with a larger exponent;
        ** give up looking after a few values that are not decimals */
        if( nGiveUp<8 ){
          int64_t iN2;
          int e2;
          for(e2=e+1; e2<=CODEC_MAX_EXP; e2++){
            if( codecDecScale(v, e2, &iN2) ){
              e = e2;
              goto restart;
            }
          }
          nGiveUp++;
        }
        if( ++nCorr*4>n ) return codecValRaw(p, aVal, n);
        if( !bFlag ){
          bFlag = 1;
          goto restart;
        }
      }
      z = codecZigzag(iN - iPrev);
      if( bFlag ) z = (z << 1) | (c!=0);
      c = codecZigzag(c);
      if( iOff + 20<=nRoom ){
        iOff += codecPutVarint(&a[iOff], z);
        if( c ) iOff += codecPutVarint(&a[iOff], c);
      }else{
        size_t nLen = codecVarintLen(z) + (c ? codecVarintLen(c) : 0);
        if( iOff + nLen<=nRoom ){
          codecPutVarint(&a[iOff], z);
          if( c ) codecPutVarint(&a[iOff + codecVarintLen(z)], c);
        }
        iOff += nLen;
      }
      if( iOff>nRaw ) return codecValRaw(p, aVal, n);
      iPrev = iN;
    }
    if( iOff>nRoom ) return TSM_CODEC_TOOSMALL;
    p->iOff += iOff;
    return 0;
  }
}

/*
** XOR: Gorilla-style (Pelkonen et al., VLDB 2015).  The first value is 64
** raw bits; then for each value x = bits ^ previous bits:
**   x == 0                              '0'
**   x fits the previous window          '1' '0' then the window's bits
**   otherwise                           '1' '1' lz:6 (len-1):6 then len bits
** where lz/tz count the leading/trailing zero bits of x, len = 64-lz-tz and
** the window is the (lz, tz) of the last value written with a header.
** Bits are written LSB first.  codecXor() writes when pOut is not NULL and
** returns the size in bytes either way.
*/
static size_t codecXor(const double *aVal, int n, CodecBits *pOut){
  uint64_t iPrev = codecDoubleBits(aVal[0]);
  uint64_t nBit = 64;
  int lzW = 65, tzW = 0;     /* no window yet */
  int i;
  if( pOut ) codecBitsPut(pOut, iPrev, 64);
  for(i=1; i<n; i++){
    uint64_t u = codecDoubleBits(aVal[i]);
    uint64_t x = u ^ iPrev;
    iPrev = u;
    if( x==0 ){
      nBit += 1;
      if( pOut ) codecBitsPut(pOut, 0, 1);
    }else{
      int lz = 64 - codecBitLen(x);
      int tz = codecCtz(x);
      int len = 64 - lz - tz;
      int lenW = 64 - lzW - tzW;
      if( lz>=lzW && tz>=tzW && lenW<=len + 13 ){
        nBit += 2 + lenW;
        if( pOut ){
          codecBitsPut(pOut, 1, 2);               /* '1' then '0' */
          codecBitsPut(pOut, x >> tzW, lenW);
        }
      }else{
        nBit += 14 + len;
        if( pOut ){
          codecBitsPut(pOut, 3, 2);               /* '1' then '1' */
          codecBitsPut(pOut, (uint64_t)lz | ((uint64_t)(len-1) << 6), 12);
          codecBitsPut(pOut, x >> tz, len);
        }
        lzW = lz;
        tzW = tz;
      }
    }
  }
  return (size_t)((nBit + 7) >> 3);
}

/*
** Choose the decimal exponent for aVal[0..n): look at a sample, find for
** each sampled value the smallest e that makes it an exact decimal, and
** take the largest e that at least 1/16 of the sample needs.  Return -1
** when too few sampled values are decimals.
*/
static int codecDecExponent(const double *aVal, int n){
  int aCnt[CODEC_MAX_EXP+1];
  int m = n<CODEC_SAMPLE_DEC ? n : CODEC_SAMPLE_DEC;
  int nOk = 0, nThresh, eMax = -1, e, k;
  memset(aCnt, 0, sizeof(aCnt));
  for(k=0; k<m; k++){
    double v = aVal[(int)((int64_t)k*n/m)];
    int64_t iN;
    for(e=0; e<=CODEC_MAX_EXP; e++){
      if( codecDecScale(v, e, &iN) ){
        aCnt[e]++;
        nOk++;
        if( e>eMax ) eMax = e;
        break;
      }
    }
  }
  if( nOk*4<m ) return -1;
  nThresh = m/16 > 1 ? m/16 : 1;
  for(e=CODEC_MAX_EXP; e>=0; e--){
    if( aCnt[e]>=nThresh ) return e;
  }
  return eMax;
}

/*
** Plan of a correction column aC[0..n): frame of reference (the
** corrections cluster around 0), no divisor; one pass for the range and
** the histogram of the zigzag offsets from 0.
*/
static void codecCorrPlan(const int64_t *aC, int n, int nNonZero,
                          CodecPlan *p){
  int aHist[4][65];
  const uint64_t iSign = (uint64_t)1 << 63;
  uint64_t c0 = (uint64_t)aC[0];
  uint64_t uMin = ~(uint64_t)0, uMax = 0;
  int i, bHist = 0;
  memset(p, 0, sizeof(*p));
  p->eXform = CODEC_X_FOR;
  p->iFirst = c0;
  p->iDiv = 1;
  if( n<2 ){
    p->nByte = codecPlanHeader(p);
    return;
  }
  memset(aHist, 0, sizeof(aHist));
  if( nNonZero*16<n ){
    /* sparse: the zeros in one go, then the others one by one */
    int nZero = n - 1;
    uMin = uMax = (0 - c0) ^ iSign;
    for(i=1; i<n; i++){
      uint64_t c = (uint64_t)aC[i];
      if( c!=0 ){
        uint64_t u = (c - c0) ^ iSign;
        uMin = u<uMin ? u : uMin;
        uMax = u>uMax ? u : uMax;
        aHist[0][codecBitLen(codecZigzag(c))]++;
        nZero--;
      }
    }
    aHist[1][0] += nZero;
    bHist = 1;
  }else{
    /* dense: the range; the histogram only if the range is wide (an
    ** outlier such as a NaN among ulp corrections) */
    codecRange((const uint64_t*)&aC[1], n-1, c0, &uMin, &uMax);
    if( codecBitLen(uMax - uMin)>3 ){
      bHist = 1;
      codecHistAdd((const uint64_t*)&aC[1], n-1, 0, aHist);
    }
  }
  codecPlanFinish(n, p, uMin, uMax, 0 - c0, bHist ? aHist : 0);
}

/*
** Write N_i / rDiv, for i in [0, n), as doubles at pOut (a double array,
** or an int64 array that then holds their bits), where N_i are the int64
** at pIn (an int64 array, or the bits held in a double array; pIn may be
** pOut: each pair is read before it is written).  The encoder keeps
** |N_i| <= 2^51, where (double)N_i is exact and equals the bits of
** 1.5*2^52 plus N_i, minus 1.5*2^52: that form lets two divisions run as
** one SIMD instruction (GCC vector extension; plain C elsewhere).  Outside
** that range (corrupt input only) the result is some double, never
** undefined.
*/
static void codecUnscale(const void *pIn, void *pOut, int n, double rDiv){
  const uint8_t *aIn = (const uint8_t*)pIn;
  uint8_t *aOut = (uint8_t*)pOut;
  const uint64_t iMagic = 0x4338000000000000ULL;   /* 1.5 * 2^52 */
  const double rMagic = 6755399441055744.0;
  int i = 0;
#if CODEC_SIMD
  {
    const CodecV2u vMagicU = { iMagic, iMagic };
    const CodecV2d vMagic = { rMagic, rMagic };
    const CodecV2d vDiv = { rDiv, rDiv };
    for(; i+2<=n; i+=2){
      CodecV2u u;
      CodecV2d d;
      memcpy(&u, &aIn[8*i], 16);
      u += vMagicU;
      memcpy(&d, &u, 16);
      d = (d - vMagic) / vDiv;
      memcpy(&aOut[8*i], &d, 16);
    }
  }
#endif
  for(; i<n; i++){
    uint64_t u;
    double d;
    memcpy(&u, &aIn[8*i], 8);
    u += iMagic;
    d = (codecBitsDouble(u) - rMagic) / rDiv;
    memcpy(&aOut[8*i], &d, 8);
  }
}

/*
** Scale aVal[0..n) by rMul = 10^e into the rounded integers aN[] and set
** aC[i] = bits(aVal[i]) - bits(aN[i] / rDiv), the corrections, in one
** pass (two values per SIMD instruction where available).  (x + 1.5*2^52)
** - 1.5*2^52 rounds x to the nearest integer exactly, and its bits minus
** those of 1.5*2^52 are that integer, for |x| < 2^51.  Return the number of
** nonzero corrections, or -1 if some scaled value is out of that range or
** NaN (aN[] and aC[] are then incomplete).
*/
static int codecScale(const double *aVal, int n, double rMul, double rDiv,
                      int64_t *aN, int64_t *aC){
  const uint64_t iMagic = 0x4338000000000000ULL;   /* 1.5 * 2^52 */
  const double rMagic = CODEC_ROUND_MAGIC;
  int i = 0, nNonZero = 0, bIn = 1;
#if CODEC_SIMD
  {
    const CodecV2u vMagicU = { iMagic, iMagic };
    const CodecV2d vMagic = { rMagic, rMagic };
    const CodecV2d vMul = { rMul, rMul };
    const CodecV2d vDiv = { rDiv, rDiv };
    const CodecV2d vMax = { CODEC_SCALED_MAX, CODEC_SCALED_MAX };
    const CodecV2u vAbs = { ~(uint64_t)0 >> 1, ~(uint64_t)0 >> 1 };
    CodecV2i vIn = { -1, -1 };
    CodecV2u vNz = { 0, 0 };
    for(; i+2<=n; i+=2){
      CodecV2d v, x, r, a;
      CodecV2u uV, uR, uA, uX;
      memcpy(&v, &aVal[i], 16);
      x = v * vMul;
      r = x + vMagic;
      a = (r - vMagic) / vDiv;
      memcpy(&uX, &x, 16);
      memcpy(&uR, &r, 16);
      memcpy(&uV, &v, 16);
      memcpy(&uA, &a, 16);
      uX &= vAbs;               /* |x|; false below for a NaN */
      memcpy(&x, &uX, 16);
      vIn &= x < vMax;
      uR -= vMagicU;
      uV -= uA;
      vNz += (uV | (0 - uV)) >> 63;   /* 1 where the correction is not 0 */
      memcpy(&aN[i], &uR, 16);
      memcpy(&aC[i], &uV, 16);
    }
    bIn = vIn[0]!=0 && vIn[1]!=0;
    nNonZero = (int)(vNz[0] + vNz[1]);
  }
#endif
  for(; i<n; i++){
    double v = aVal[i];
    double x = v * rMul;
    double r = x + rMagic;
    uint64_t c = codecDoubleBits(v) - codecDoubleBits((r - rMagic) / rDiv);
    bIn &= x < CODEC_SCALED_MAX && x > -CODEC_SCALED_MAX;
    aN[i] = (int64_t)(codecDoubleBits(r) - iMagic);
    aC[i] = (int64_t)c;
    nNonZero += c!=0;
  }
  return bIn ? nNonZero : -1;
}

/* Decode an XOR block of n values. */
static const uint8_t *codecReadXor(const uint8_t *p, const uint8_t *pEnd,
                                   double *aVal, int n){
  size_t nByte = (size_t)(pEnd - p);
  uint64_t nBitAvail = (uint64_t)nByte * 8;
  uint64_t iBit = 64, iPrev;
  int lzW = 0, tzW = 0, bWindow = 0;
  int i;
  if( nByte<8 ) return 0;
  iPrev = codecBitsAt(p, nByte, 0, 64);
  aVal[0] = codecBitsDouble(iPrev);
  for(i=1; i<n; i++){
    uint64_t x;
    if( iBit + 1>nBitAvail ) return 0;
    if( codecBitsAt(p, nByte, iBit++, 1)==0 ){
      aVal[i] = codecBitsDouble(iPrev);
      continue;
    }
    if( iBit + 1>nBitAvail ) return 0;
    if( codecBitsAt(p, nByte, iBit++, 1)==0 ){
      int len = 64 - lzW - tzW;
      if( !bWindow || iBit + len>nBitAvail ) return 0;
      x = codecBitsAt(p, nByte, iBit, len) << tzW;
      iBit += len;
    }else{
      uint64_t h;
      int len;
      if( iBit + 12>nBitAvail ) return 0;
      h = codecBitsAt(p, nByte, iBit, 12);
      iBit += 12;
      lzW = (int)(h & 63);
      len = (int)(h >> 6) + 1;
      if( lzW + len>64 || iBit + len>nBitAvail ) return 0;
      tzW = 64 - lzW - len;
      bWindow = 1;
      x = codecBitsAt(p, nByte, iBit, len) << tzW;
      iBit += len;
    }
    iPrev ^= x;
    aVal[i] = codecBitsDouble(iPrev);
  }
  return p + ((iBit + 7) >> 3);
}

/*
** BEST value block: the smallest of CONST, DEC, XOR and RAW.
**
** DEC scales every value by 10^e (exponent chosen as in ALP, Afroozeh,
** Kuffo and Boncz, SIGMOD 2024) into aN[], packed as an integer column.
** A value that is not exactly aN[i]/10^e -- a float artefact such as
** 0.1+0.2, a NaN, -0.0 -- keeps the nearest aN[i] (or the previous one when
** out of range) and gets a correction aC[i] = bits(v) - bits(aN[i]/10^e),
** mostly +-1 or 2 ulp, packed as a second integer column.  DICT
** (codecValDict) when bDict and it is smaller still.  eHint >= 0 is the
** exponent to use (the caller knows it), else it is chosen from a sample;
** mX the transforms the integer column may use.
*/
static int codecValDict(CodecOut *p, const double *aVal, const int64_t *aN,
                        int e, int bCorr, int n, size_t nBest);

static int codecValBest(CodecOut *p, const double *aVal, int n, int bDict,
                        int eHint, int mX){
  int64_t aN[CODEC_BLOCK];
  int64_t aC[CODEC_BLOCK];
  uint64_t aCache[CODEC_BLOCK];
  size_t nRaw = (size_t)n*8;
  size_t nDec = (size_t)-1, nXor = (size_t)-1;
  CodecPlan planN, planC;
  size_t iStart = p->iOff;
  int e, bCorr = 0, i;

  if( codecValIsConst(aVal, n) ) return codecValConst(p, aVal);

  e = eHint>=0 ? eHint : codecDecExponent(aVal, n);
  if( e>=0 ){
    double rMul = aCodecPow10[e], rDiv = aCodecPow10[e];
    int nNonZero = codecScale(aVal, n, rMul, rDiv, aN, aC);
    if( nNonZero<0 ){
      /* some value out of range (or NaN): it keeps the previous N */
      int64_t iPrev = 0;
      nNonZero = 0;
      for(i=0; i<n; i++){
        double x = aVal[i] * rMul;
        int64_t iN = iPrev;
        if( x < CODEC_SCALED_MAX && x > -CODEC_SCALED_MAX ){
          iN = (int64_t)((x + CODEC_ROUND_MAGIC) - CODEC_ROUND_MAGIC);
        }
        aN[i] = iN;
        iPrev = iN;
      }
      /* the decoder's approximations, then the corrections */
      codecUnscale(aN, aC, n, rDiv);
      for(i=0; i<n; i++){
        uint64_t c = codecDoubleBits(aVal[i]) - (uint64_t)aC[i];
        aC[i] = (int64_t)c;
        nNonZero += c!=0;
      }
    }
    bCorr = nNonZero>0;
    codecIntPlan(aN, n, mX, &planN, aCache);
    nDec = 1 + planN.nByte;
    if( bCorr ){
      codecCorrPlan(aC, n, nNonZero, &planC);
      nDec += planC.nByte;
    }
  }
  if( nDec > (size_t)n*5 ){
    nXor = codecXor(aVal, n, 0);
  }
  if( bDict ){
    size_t nBest = nDec<nXor ? nDec : nXor;
    int rc = codecValDict(p, aVal, e>=0 ? aN : 0, e, bCorr, n,
                          nBest<nRaw ? nBest : nRaw);
    if( rc!=0 ) return rc<0 ? rc : 0;
  }
  if( nDec<=nXor && nDec<nRaw ){
    int rc;
    if( codecRoom(p)<2 ) return TSM_CODEC_TOOSMALL;
    p->a[p->iOff++] = CODEC_VAL_DEC;
    p->a[p->iOff++] = (uint8_t)(e | (bCorr ? CODEC_DEC_CORR : 0));
    rc = codecIntWrite(p, aN, n, &planN, aCache);
    if( rc==0 && bCorr ){
      /* the correction column's residuals c_i - c_0, in place */
      uint64_t c0 = (uint64_t)aC[0];
      if( c0 ) for(i=1; i<n; i++) aC[i] = (int64_t)((uint64_t)aC[i] - c0);
      rc = codecIntWrite(p, aC, n, &planC, (const uint64_t*)&aC[1]);
    }
    if( rc==CODEC_EPLAN ){
      p->iOff = iStart;
      rc = codecValRaw(p, aVal, n);
    }
    return rc;
  }
  if( nXor<nRaw ){
    CodecBits b;
    if( codecRoom(p)<1 + nXor ) return TSM_CODEC_TOOSMALL;
    p->a[p->iOff++] = CODEC_VAL_XOR;
    b.a = &p->a[p->iOff];
    b.acc = 0;
    b.nAcc = 0;
    codecXor(aVal, n, &b);
    p->iOff = (size_t)(codecBitsFlush(&b) - p->a);
    return 0;
  }
  return codecValRaw(p, aVal, n);
}

/*
** DICT: a block with few distinct values (CPU percentages on a 0.002 grid,
** request counts, states) as the table of its k distinct bit patterns in
** increasing order of value, written as a value block of k values (any tag
** but DICT), then the index of each value in the table as a packed integer
** column.  The table costs about what the distinct values cost in a DEC
** block, the indices log2(k) bits or less each (PFOR exceptions for rare
** values); decoding is an unpack and a gather.
*/

/* Slots of the hash table of distinct values: a power of two, at least
** twice the most distinct values a block keeps (CODEC_BLOCK/2). */
#define CODEC_DICT_HASH 1024

/* A block has at most this many distinct values when DICT is tried. */
#define CODEC_DICT_MAX (CODEC_BLOCK/2)

/* Positions sampled before DICT is tried at all. */
#define CODEC_DICT_SAMPLE 64

/* Sortable form of the bits of a double: unsigned order is numeric order
** (-NaN < -inf < ... < -0 < +0 < ... < +inf < NaN). */
static uint64_t codecOrderKey(uint64_t u){
  return u ^ ((0 - (u >> 63)) | ((uint64_t)1 << 63));
}

/* How many of CODEC_DICT_SAMPLE values sampled from aVal[0..n) repeat
** one sampled before.  With c repeats, a block of K equally frequent
** values has about K = CODEC_DICT_SAMPLE^2 / (2c) distinct ones (fewer
** when some are frequent): an estimate that lets blocks of many distinct
** values (noisy gauges, counters) skip DICT cheaply. */
static int codecDictRepeats(const double *aVal, int n){
  uint64_t aSlot[2*CODEC_DICT_SAMPLE];
  uint64_t mUsed[2] = {0, 0};
  int k, c = 0;
  for(k=0; k<CODEC_DICT_SAMPLE; k++){
    uint64_t u = codecDoubleBits(aVal[(int)((int64_t)k*n/CODEC_DICT_SAMPLE)]);
    unsigned h = (unsigned)((u*0x9E3779B97F4A7C15ULL) >> 57);   /* 0..127 */
    while( mUsed[h>>6] & ((uint64_t)1 << (h & 63)) ){
      if( aSlot[h]==u ){ c++; break; }
      h = (h + 1) & (2*CODEC_DICT_SAMPLE - 1);
    }
    mUsed[h>>6] |= (uint64_t)1 << (h & 63);
    aSlot[h] = u;
  }
  return c;
}

/*
** The most distinct values with which a DICT block of n values may still
** be smaller than nBest bytes: the indices take about w = bitlen(k-1)
** bits each, and the table, sorted, about half of what its k values cost
** in the block (nBest/n each).  An estimate; 0 when DICT cannot pay.
*/
static int codecDictMax(int n, size_t nBest){
  int w, kMax = 0;
  for(w=1; w<=10; w++){
    int64_t nBudget = (int64_t)nBest - 4 - ((int64_t)n*w + 7)/8;
    int64_t kFit, kLo = w==1 ? 2 : ((int64_t)1 << (w-1)) + 1;
    if( nBudget<=0 ) break;
    kFit = nBudget*2*n/(int64_t)nBest;
    if( kFit>((int64_t)1 << w) ) kFit = (int64_t)1 << w;
    if( kFit>=kLo ) kMax = (int)kFit;
  }
  return kMax<CODEC_DICT_MAX ? kMax : CODEC_DICT_MAX;
}

/*
** The distinct bit patterns of aVal[0..n) in order of first appearance
** into aKey[], and for each value the position of its pattern there into
** aEntry[].  Return their number k, or 0 if there are more than kMax
** (<= CODEC_DICT_MAX).
*/
static int codecDictBuild(const double *aVal, int n, int kMax, uint64_t *aKey,
                          uint16_t *aEntry){
  uint16_t aHash[CODEC_DICT_HASH];     /* entry + 1, 0 for an empty slot */
  int k = 0, i;
  memset(aHash, 0, sizeof(aHash));
  for(i=0; i<n; i++){
    uint64_t u = codecDoubleBits(aVal[i]);
    unsigned h = (unsigned)((u*0x9E3779B97F4A7C15ULL) >> 54);   /* 10 bits */
    while( 1 ){
      int e = aHash[h];
      if( e==0 ){
        if( k==kMax ) return 0;
        aKey[k] = u;
        aHash[h] = (uint16_t)++k;
        aEntry[i] = (uint16_t)(k - 1);
        break;
      }
      if( aKey[e-1]==u ){
        aEntry[i] = (uint16_t)(e - 1);
        break;
      }
      h = (h + 1) & (CODEC_DICT_HASH - 1);
    }
  }
  return k;
}

/*
** Sort the k entries of aKey[] by value: aRank[j] gets the place of entry
** j in increasing order (codecOrderKey), aSorted[r] the bits of place r.
** LSD radix sort, 8 bits a pass, skipping the bytes that every key shares.
*/
static void codecDictSort(const uint64_t *aKey, int k, uint16_t *aRank,
                          uint64_t *aSorted){
  uint64_t aA[CODEC_DICT_MAX], aB[CODEC_DICT_MAX];
  uint16_t aIa[CODEC_DICT_MAX], aIb[CODEC_DICT_MAX];
  uint64_t *pK = aA, *pK2 = aB;
  uint16_t *pI = aIa, *pI2 = aIb;
  uint64_t mOr = 0, mAnd = ~(uint64_t)0;
  int j, sh;
  for(j=0; j<k; j++){
    uint64_t x = codecOrderKey(aKey[j]);
    aA[j] = x;
    aIa[j] = (uint16_t)j;
    mOr |= x;
    mAnd &= x;
  }
  for(sh=0; sh<64; sh+=8){
    int aCnt[257];
    if( (((mOr ^ mAnd) >> sh) & 0xff)==0 ) continue;
    memset(aCnt, 0, sizeof(aCnt));
    for(j=0; j<k; j++) aCnt[((pK[j] >> sh) & 0xff) + 1]++;
    for(j=1; j<257; j++) aCnt[j] += aCnt[j-1];
    for(j=0; j<k; j++){
      int d = aCnt[(pK[j] >> sh) & 0xff]++;
      pK2[d] = pK[j];
      pI2[d] = pI[j];
    }
    { uint64_t *t = pK; pK = pK2; pK2 = t; }
    { uint16_t *t = pI; pI = pI2; pI2 = t; }
  }
  for(j=0; j<k; j++){
    aRank[pI[j]] = (uint16_t)j;
    aSorted[j] = aKey[pI[j]];
  }
}

/* Largest range of scaled integers that codecDictInts() takes (a bitmap
** of 16 KiB). */
#define CODEC_DICT_RANGE (1<<17)

/* Ranges below this get a table of ranks (16 KiB, sharing the stack of the
** larger bitmap) instead of a popcount per value. */
#define CODEC_DICT_RANK (1<<13)

/* Bits set in v (SWAR: no dependence on a popcount instruction). */
static int codecPopcount(uint64_t v){
  v = v - ((v >> 1) & 0x5555555555555555ULL);
  v = (v & 0x3333333333333333ULL) + ((v >> 2) & 0x3333333333333333ULL);
  v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
  return (int)((v * 0x0101010101010101ULL) >> 56);
}

/*
** The table and indices of a DICT block whose values are decimals
** aN[i] / 10^e (plus a correction of a few ulps, when they are not exact)
** with a range of at most CODEC_DICT_RANGE: a bitmap over [min, max] gives
** the distinct integers in order, and the rank of each, without a hash
** table or a sort.  The rank of an integer is read from a table filled at
** the set bits only (ranges under CODEC_DICT_RANK), else counted with a
** popcount.  That is the order of the values, and each integer must stand
** for one value: when some value needed a correction (bCorr), every value
** is compared with the table entry of its integer, and if two values of
** one integer have different bits (a correction, a NaN), return -1, as for
** a range too wide.  Without corrections each value is N / 10^e, one value
** per integer.  Set aIdx[], aDict[] and return k; 0 if k > kMax.
*/
static int codecDictInts(const int64_t *aN, const double *aVal, int n,
                         int bCorr, int kMax, int64_t *aIdx, double *aDict){
  union {
    struct { uint64_t aBit[CODEC_DICT_RANGE/64];
             uint16_t aPre[CODEC_DICT_RANGE/64]; } wide;
    struct { uint64_t aBit[CODEC_DICT_RANK/64];
             uint16_t aRank[CODEC_DICT_RANK]; } narrow;
  } u;
  int64_t iMin = aN[0], iMax = aN[0];
  uint64_t *aBit;
  int i, w, nWord, k = 0;
  for(i=1; i<n; i++){
    iMin = aN[i]<iMin ? aN[i] : iMin;
    iMax = aN[i]>iMax ? aN[i] : iMax;
  }
  if( (uint64_t)iMax - (uint64_t)iMin>=CODEC_DICT_RANGE ) return -1;
  nWord = (int)(((uint64_t)iMax - (uint64_t)iMin) >> 6) + 1;
  aBit = nWord<=CODEC_DICT_RANK/64 ? u.narrow.aBit : u.wide.aBit;
  memset(aBit, 0, sizeof(uint64_t)*(size_t)nWord);
  for(i=0; i<n; i++){
    uint64_t b = (uint64_t)aN[i] - (uint64_t)iMin;
    aBit[b >> 6] |= (uint64_t)1 << (b & 63);
  }
  if( nWord<=CODEC_DICT_RANK/64 ){
    uint16_t *aRank = u.narrow.aRank;
    for(w=0; w<nWord; w++){
      uint64_t m = aBit[w];
      while( m ){
        aRank[64*w + codecCtz(m)] = (uint16_t)k++;
        m &= m - 1;
      }
      if( k>kMax ) return 0;
    }
    for(i=0; i<n; i++){
      aIdx[i] = aRank[(uint64_t)aN[i] - (uint64_t)iMin];
    }
  }else{
    uint16_t *aPre = u.wide.aPre;
    for(w=0; w<nWord; w++){
      aPre[w] = (uint16_t)k;
      k += codecPopcount(aBit[w]);
    }
    if( k>kMax ) return 0;
    for(i=0; i<n; i++){
      uint64_t b = (uint64_t)aN[i] - (uint64_t)iMin;
      aIdx[i] = aPre[b >> 6]
              + codecPopcount(aBit[b >> 6] & (((uint64_t)1 << (b & 63)) - 1));
    }
  }
  for(i=0; i<n; i++) aDict[aIdx[i]] = aVal[i];
  if( bCorr ){
    for(i=0; i<n; i++){
      if( codecDoubleBits(aDict[aIdx[i]])!=codecDoubleBits(aVal[i]) ) return -1;
    }
  }
  return k;
}

/*
** Plan of the index column aIdx[0..n) of a DICT block of k values:
** frame of reference, from the count of each index (no sampling, no pass
** over the column): its range, its median as the center, and the
** histogram of the bit lengths of the offsets from it, for
** codecPlanFinish().
*/
static void codecDictIdxPlan(const int64_t *aIdx, int n, int k,
                             CodecPlan *p){
  const uint64_t iSign = (uint64_t)1 << 63;
  int aCnt[CODEC_DICT_MAX];
  int aHist[4][65];
  uint64_t x0 = (uint64_t)aIdx[0];
  int i, j, jMin = -1, jMax = 0, jMed = 0, nCum = 0;
  memset(aCnt, 0, sizeof(int)*(size_t)k);
  memset(aHist, 0, sizeof(aHist));
  for(i=1; i<n; i++) aCnt[aIdx[i]]++;
  for(j=0; j<k; j++){
    if( aCnt[j]==0 ) continue;
    if( jMin<0 ) jMin = j;
    jMax = j;
    if( 2*nCum<n-1 ) jMed = j;
    nCum += aCnt[j];
  }
  for(j=jMin; j<=jMax; j++){
    aHist[0][codecBitLen(codecZigzag((uint64_t)(j - jMed)))] += aCnt[j];
  }
  memset(p, 0, sizeof(*p));
  p->eXform = CODEC_X_FOR;
  p->iFirst = x0;
  p->iDiv = 1;
  codecPlanFinish(n, p, ((uint64_t)jMin - x0) ^ iSign,
                  ((uint64_t)jMax - x0) ^ iSign, (uint64_t)jMed - x0, aHist);
}

/*
** Write aVal[0..n) as a DICT block if its size is estimated below nBest
** (aN[] the scaled integers of exponent e and bCorr whether some value
** needed a correction, or aN NULL)
** (the estimate does not depend on the room left).  Return 1 if written, 0
** if not (nothing written), or TSM_CODEC_TOOSMALL.
*/
static int codecValDict(CodecOut *p, const double *aVal, const int64_t *aN,
                        int e, int bCorr, int n, size_t nBest){
  double aDict[CODEC_DICT_MAX];
  int64_t aIdx[CODEC_BLOCK];
  uint8_t aTab[1 + 8*CODEC_DICT_MAX];
  CodecOut tab;
  CodecPlan plan;
  size_t nHdr, nDict, iStart;
  int k, kMax, i, rc;

  if( n<2*CODEC_DICT_SAMPLE ) return 0;
  kMax = codecDictMax(n, nBest);
  if( kMax<2
   || codecDictRepeats(aVal, n)*kMax < CODEC_DICT_SAMPLE*CODEC_DICT_SAMPLE/4 ){
    return 0;
  }
  k = aN ? codecDictInts(aN, aVal, n, bCorr, kMax, aIdx, aDict) : -1;
  if( k<0 ){
    /* any values: a hash table of their bits, then a sort */
    uint64_t aKey[CODEC_DICT_MAX];
    uint64_t aSorted[CODEC_DICT_MAX];
    uint16_t aEntry[CODEC_BLOCK];
    uint16_t aRank[CODEC_DICT_MAX];
    e = -1;
    k = codecDictBuild(aVal, n, kMax, aKey, aEntry);
    if( k<2 ) return 0;
    codecDictSort(aKey, k, aRank, aSorted);
    for(i=0; i<n; i++) aIdx[i] = aRank[aEntry[i]];
    memcpy(aDict, aSorted, sizeof(double)*(size_t)k);
  }
  if( k<2 ) return 0;
  nHdr = 1 + (size_t)codecVarintLen((uint64_t)k);
  if( nHdr + (size_t)k>=nBest ) return 0;
  codecDictIdxPlan(aIdx, n, k, &plan);
  if( nHdr + plan.nByte>=nBest ) return 0;

  /* the table, a value block of its own (never a DICT) */
  tab.a = aTab;
  tab.n = sizeof(aTab);
  tab.iOff = 0;
  tab.bDict = 0;
  rc = codecValBest(&tab, aDict, k, 0, e, 1<<CODEC_X_DELTA);
  if( rc ) return rc;
  nDict = nHdr + tab.iOff + plan.nByte;
  if( nDict>=nBest ) return 0;

  if( codecRoom(p)<nHdr + tab.iOff ) return TSM_CODEC_TOOSMALL;
  iStart = p->iOff;
  p->a[p->iOff++] = CODEC_VAL_DICT;
  codecOutVarint(p, (uint64_t)k);
  memcpy(&p->a[p->iOff], aTab, tab.iOff);
  p->iOff += tab.iOff;
  rc = codecIntWrite(p, aIdx, n, &plan, 0);
  if( rc==CODEC_EPLAN ){
    p->iOff = iStart;          /* the other encodings instead */
    return 0;
  }
  if( rc ) return rc;
  p->bDict = 1;
  return 1;
}

/*************************************************************************
** Value blocks: decoder.
*/

/*
** Add a correction column of n values to the bits of aVal[].  When every
** correction but the exceptions is 0 (frame of reference, w==0, base 0 --
** the usual case), only the exceptions are visited; otherwise the column
** is decoded into aTmp[] first.
*/
static const uint8_t *codecReadCorr(const uint8_t *p, const uint8_t *pEnd,
                                    double *aVal, int n, int64_t *aTmp){
  CodecIntHdr h;
  const uint8_t *pPack = codecIntHeader(p, pEnd, n, &h);
  int i;
  if( pPack==0 ) return 0;
  if( h.eX==CODEC_X_FOR && h.w==0 && h.iFirst + h.iBase*h.iDiv==0 ){
    uint64_t iPos = 0, iGap, z;
    const uint8_t *q = pPack;
    aVal[0] = codecBitsDouble(codecDoubleBits(aVal[0]) + h.iFirst);
    for(i=0; i<(int)h.nExc; i++){
      q = codecGetVarint2(q, pEnd, &iGap);
      q = codecGetVarint2(q, pEnd, &z);
      if( q==0 || iGap>=(uint64_t)n ) return 0;
      iPos += iGap + 1;
      if( iPos>=(uint64_t)n ) return 0;
      aVal[iPos] = codecBitsDouble(codecDoubleBits(aVal[iPos])
                      + h.iFirst + (h.iBase + codecUnzigzag(z))*h.iDiv);
    }
    return q;
  }
  p = codecIntRead(p, pEnd, n, aTmp);
  if( p==0 ) return 0;
  for(i=0; i<n; i++){
    aVal[i] = codecBitsDouble(codecDoubleBits(aVal[i]) + (uint64_t)aTmp[i]);
  }
  return p;
}

static const uint8_t *codecReadVal(const uint8_t *p, const uint8_t *pEnd,
                                   double *aVal, int n, int bDict);

/*
** Decode a DICT block of n values (after its tag): k, the table (a value
** block that is not DICT), the packed indices, each < k.
*/
static const uint8_t *codecReadDict(const uint8_t *p, const uint8_t *pEnd,
                                    double *aVal, int n){
  double aDict[CODEC_BLOCK];
  int64_t aIdx[CODEC_BLOCK];
  uint64_t k = 0, bad = 0;
  int i;
  p = codecGetVarint(p, pEnd, &k);
  if( p==0 || k<1 || k>(uint64_t)n ) return 0;
  p = codecReadVal(p, pEnd, aDict, (int)k, 0);
  if( p ) p = codecIntRead(p, pEnd, n, aIdx);
  if( p==0 ) return 0;
  for(i=0; i<n; i++) bad |= (uint64_t)aIdx[i]>=k;
  if( bad ) return 0;
  for(i=0; i<n; i++) aVal[i] = aDict[aIdx[i]];
  return p;
}

/* Decode a value block of n values; DICT only if bDict (chunk version 2,
** and not inside a DICT). */
static const uint8_t *codecReadVal(const uint8_t *p, const uint8_t *pEnd,
                                   double *aVal, int n, int bDict){
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
    case CODEC_VAL_DECVAR:
    case CODEC_VAL_DECVARC: {
      /* the scaled integers into aVal[] (their bits), divided after in
      ** one vectorised pass; the flagged corrections applied last */
      int aPos[CODEC_BLOCK];
      uint64_t aCorr[CODEC_BLOCK];
      uint64_t iN = 0;
      double rDiv;
      int bFlag = p[-1]==CODEC_VAL_DECVARC, nCorr = 0;
      if( p>=pEnd || *p>CODEC_MAX_EXP ) return 0;
      rDiv = aCodecPow10[*p++];
      for(i=0; i<n; i++){
        uint64_t z;
        p = codecGetVarint2(p, pEnd, &z);
        if( p==0 ) return 0;
        if( !bFlag ){
          iN += codecUnzigzag(z);
          memcpy(&aVal[i], &iN, 8);
          continue;
        }
        iN += codecUnzigzag(z >> 1);
        memcpy(&aVal[i], &iN, 8);
        if( z & 1 ){
          uint64_t c;
          p = codecGetVarint(p, pEnd, &c);
          if( p==0 ) return 0;
          aPos[nCorr] = i;
          aCorr[nCorr++] = codecUnzigzag(c);
        }
      }
      codecUnscale(aVal, aVal, n, rDiv);
      for(i=0; i<nCorr; i++){
        aVal[aPos[i]] = codecBitsDouble(codecDoubleBits(aVal[aPos[i]])
                                        + aCorr[i]);
      }
      return p;
    }
    case CODEC_VAL_DEC: {
      int64_t aTmp[CODEC_BLOCK];
      int e, bCorr;
      double rDiv;
      if( p>=pEnd ) return 0;
      e = *p & 0x7f;
      bCorr = (*p & CODEC_DEC_CORR)!=0;
      p++;
      if( e>CODEC_MAX_EXP ) return 0;
      rDiv = aCodecPow10[e];
      p = codecIntRead(p, pEnd, n, aTmp);
      if( p==0 ) return 0;
      codecUnscale(aTmp, aVal, n, rDiv);
      if( bCorr ) p = codecReadCorr(p, pEnd, aVal, n, aTmp);
      return p;
    }
    case CODEC_VAL_XOR:
      return codecReadXor(p, pEnd, aVal, n);
    case CODEC_VAL_DICT:
      return bDict ? codecReadDict(p, pEnd, aVal, n) : 0;
  }
  return 0;
}

/*************************************************************************
** Public interface.
*/

size_t tsmCodecBound(int n){
  size_t nBlock;
  if( n<0 ) n = 0;
  nBlock = ((size_t)n + CODEC_BLOCK - 1) / CODEC_BLOCK;
  /* header: version, flags, varint(n); ts tag; a tag per value block; the
  ** raw columns are never exceeded */
  return 2 + 10 + 1 + nBlock + (size_t)n*16;
}

int tsmCodecEncode(const int64_t *aTs, const double *aVal, int n, int eMode,
                   uint8_t *aOut, size_t nOut){
  CodecOut out;
  int rc = 0, i;
  if( n<0 || n>TSM_CODEC_MAX_SAMPLES ) return TSM_CODEC_RANGE;
  if( eMode!=TSM_CODEC_FAST && eMode!=TSM_CODEC_BEST ) return TSM_CODEC_RANGE;
  if( nOut < 2 + (size_t)codecVarintLen((uint64_t)n) ){
    return TSM_CODEC_TOOSMALL;
  }
  out.a = aOut;
  out.n = nOut;
  out.bDict = 0;
  out.a[0] = CODEC_VERSION;
  out.a[1] = (uint8_t)eMode;
  out.iOff = 2 + codecPutVarint(&aOut[2], (uint64_t)n);
  if( n==0 ) return (int)out.iOff;
  for(i=1; i<n; i++){
    if( aTs[i]<=aTs[i-1] ){
      out.a[1] |= CODEC_F_UNORDERED;
      break;
    }
  }

  if( eMode==TSM_CODEC_FAST ){
    rc = codecTsVardod(&out, aTs, n);
  }else{
    rc = codecTsPacked(&out, aTs, n);
  }
  for(i=0; rc==0 && i<n; i+=CODEC_BLOCK){
    int nBlock = n - i < CODEC_BLOCK ? n - i : CODEC_BLOCK;
    if( eMode==TSM_CODEC_FAST ){
      if( codecValIsConst(&aVal[i], nBlock) ){
        rc = codecValConst(&out, &aVal[i]);
      }else{
        rc = codecValDecvar(&out, &aVal[i], nBlock);
      }
    }else{
      rc = codecValBest(&out, &aVal[i], nBlock, 1, -1,
                        (1<<CODEC_X_FOR)|(1<<CODEC_X_DELTA));
    }
  }
  if( out.bDict ) out.a[0] = CODEC_VERSION_DICT;
  return rc ? rc : (int)out.iOff;
}

/* Read the header.  Return a pointer to the first column or NULL. */
static const uint8_t *codecHeader(const uint8_t *a, size_t n, int *pnSample,
                                  int *peMode){
  uint64_t nSample;
  const uint8_t *p;
  if( a==0 || n<3 || (a[1] & ~3)!=0 ) return 0;
  if( a[0]!=CODEC_VERSION && a[0]!=CODEC_VERSION_DICT ) return 0;
  p = codecGetVarint(&a[2], a+n, &nSample);
  if( p==0 || nSample>TSM_CODEC_MAX_SAMPLES ) return 0;
  *pnSample = (int)nSample;
  *peMode = a[1] & 1;
  return p;
}

int tsmCodecUnordered(const uint8_t *a, size_t n){
  int nSample, eMode;
  if( codecHeader(a, n, &nSample, &eMode)==0 ) return TSM_CODEC_CORRUPT;
  return (a[1] & CODEC_F_UNORDERED)!=0;
}

int tsmCodecPeek(const uint8_t *a, size_t n, int *pnSample, int *peMode){
  int nSample, eMode;
  if( codecHeader(a, n, &nSample, &eMode)==0 ) return TSM_CODEC_CORRUPT;
  if( pnSample ) *pnSample = nSample;
  if( peMode ) *peMode = eMode;
  return 0;
}

int tsmCodecDecode(const uint8_t *a, size_t n, int64_t *aTs, double *aVal,
                   int nMax){
  return tsmCodecDecodeEx(a, n, aTs, aVal, nMax, 0);
}

int tsmCodecDecodeEx(const uint8_t *a, size_t n, int64_t *aTs, double *aVal,
                     int nMax, unsigned flags){
  int nSample, eMode, i;
  const uint8_t *p = codecHeader(a, n, &nSample, &eMode);
  const uint8_t *pEnd = a + n;
  if( p==0 ) return TSM_CODEC_CORRUPT;
  if( nSample>nMax ) return TSM_CODEC_TOOSMALL;
  if( nSample==0 ) return p==pEnd ? 0 : TSM_CODEC_CORRUPT;
  p = codecReadTs(p, pEnd, aTs, nSample, flags);
  for(i=0; p && i<nSample; i+=CODEC_BLOCK){
    int nBlock = nSample - i < CODEC_BLOCK ? nSample - i : CODEC_BLOCK;
    p = codecReadVal(p, pEnd, &aVal[i], nBlock, a[0]==CODEC_VERSION_DICT);
  }
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

/*************************************************************************
** Appending to a FAST chunk.  The FAST encoders are single passes whose
** state after sample i depends only on the samples up to i (VARDOD: the
** last timestamp and delta; DECVAR: the exponent and the last N), except
** for their give-ups (RAW, a larger exponent, DECVARC), which depend on
** later samples or on n.  So when the old chunk is VARDOD + CONST or
** VARDOD + DECVAR and every new sample continues that state without a
** give-up (timestamps increasing, values exact decimals at the same
** exponent, each column within its raw size for the new n), the chunk of
** all n samples is the old one with the new varints appended to each
** column and the new n in the header: the bytes tsmCodecEncode writes.
** In every other case this returns 0 and the caller encodes from scratch.
*/

/* Offset of the value block of a FAST chunk of n > 0 samples whose
** timestamp column is VARDOD, or 0. */
static size_t codecFastValOffset(const uint8_t *a, size_t nByte, int n){
  const uint8_t *p = &a[2 + codecVarintLen((uint64_t)n)];
  const uint8_t *pEnd = a + nByte;
  int i;
  if( p>=pEnd || *p!=CODEC_TS_VARDOD ) return 0;
  p++;
  for(i=0; i<n; i++){
    uint64_t z;
    p = codecGetVarint(p, pEnd, &z);
    if( p==0 ) return 0;
  }
  return p<pEnd ? (size_t)(p - a) : 0;
}

/* Most new samples appended in place at once (the stack buffers). */
#define CODEC_APPEND_MAX 32

int tsmCodecFastAppend(const int64_t *aTs, const double *aVal, int nOld,
                       int n, uint8_t *a, size_t nByte, size_t nMax,
                       size_t *piVal){
  uint8_t aTsNew[CODEC_APPEND_MAX*10], aValNew[CODEC_APPEND_MAX*10];
  size_t nTsNew = 0, nValNew = 0, iVal = *piVal, nHdr, nTsCol, nValBlk;
  uint64_t iPrev, iDelta;
  int i, eTag;
  if( nOld<1 || n<=nOld || n>TSM_CODEC_MAX_SAMPLES || n-nOld>CODEC_APPEND_MAX
   || n>CODEC_BLOCK
   || codecVarintLen((uint64_t)n)!=codecVarintLen((uint64_t)nOld) ){
    return 0;
  }
  nHdr = 2 + (size_t)codecVarintLen((uint64_t)nOld);
  if( nByte<nHdr+3 || a[0]!=CODEC_VERSION || a[1]!=TSM_CODEC_FAST ) return 0;
  if( iVal==0 ) iVal = codecFastValOffset(a, nByte, nOld);
  if( iVal<=nHdr || iVal>=nByte || a[nHdr]!=CODEC_TS_VARDOD ) return 0;
  nTsCol = iVal - nHdr;
  nValBlk = nByte - iVal;

  /* Timestamps: strictly increasing (else the unordered flag), each
  ** varint within the raw column size of the n samples. */
  iPrev = (uint64_t)aTs[nOld-1];
  iDelta = nOld>=2 ? iPrev - (uint64_t)aTs[nOld-2] : 0;
  for(i=nOld; i<n; i++){
    uint64_t x = (uint64_t)aTs[i], d = x - iPrev;
    if( aTs[i]<=aTs[i-1] ) return 0;
    nTsNew += codecPutVarint(&aTsNew[nTsNew], codecZigzag(d - iDelta));
    if( nTsCol + nTsNew > 1 + (size_t)n*8 ) return 0;
    iPrev = x;
    iDelta = d;
  }

  /* Values. */
  eTag = a[iVal];
  if( eTag==CODEC_VAL_CONST ){
    uint64_t u;
    if( nValBlk!=9 ) return 0;
    u = codecGet64(&a[iVal+1]);
    for(i=nOld; i<n; i++){
      if( codecDoubleBits(aVal[i])!=u ) return 0;
    }
  }else if( eTag==CODEC_VAL_DECVAR ){
    int e = a[iVal+1];
    double rPow, x;
    uint64_t iN;
    if( nValBlk<3 || e>CODEC_MAX_EXP ) return 0;
    rPow = aCodecPow10[e];
    x = aVal[nOld-1] * rPow;
    if( !(x < CODEC_SCALED_MAX && x > -CODEC_SCALED_MAX) ) return 0;
    iN = (uint64_t)(int64_t)((x + CODEC_ROUND_MAGIC) - CODEC_ROUND_MAGIC);
    if( codecDoubleBits(aVal[nOld-1])
        !=codecDoubleBits((double)(int64_t)iN / rPow) ){
      return 0;
    }
    for(i=nOld; i<n; i++){
      uint64_t iNew;
      x = aVal[i] * rPow;
      if( !(x < CODEC_SCALED_MAX && x > -CODEC_SCALED_MAX) ) return 0;
      iNew = (uint64_t)(int64_t)((x + CODEC_ROUND_MAGIC) - CODEC_ROUND_MAGIC);
      if( codecDoubleBits(aVal[i])
          !=codecDoubleBits((double)(int64_t)iNew / rPow) ){
        return 0;
      }
      nValNew += codecPutVarint(&aValNew[nValNew], codecZigzag(iNew - iN));
      if( nValBlk + nValNew > 1 + (size_t)n*8 ) return 0;
      iN = iNew;
    }
  }else{
    return 0;
  }

  /* Write: the header's n, the new timestamps before the value block,
  ** the new values after it. */
  if( nByte + nTsNew + nValNew > nMax ) return TSM_CODEC_TOOSMALL;
  codecPutVarint(&a[2], (uint64_t)n);
  memmove(&a[iVal + nTsNew], &a[iVal], nValBlk);
  memcpy(&a[iVal], aTsNew, nTsNew);
  iVal += nTsNew;
  memcpy(&a[iVal + nValBlk], aValNew, nValNew);
  *piVal = iVal;
  return (int)(nByte + nTsNew + nValNew);
}
