/* SPDX-License-Identifier: MIT */
/*
** sketch.h -- a mergeable quantile sketch with bounded relative error.
**
** The sketch kept with every rollup bucket: tsm_quantile() reads it,
** tsm_sketch_merge() merges it, coarser tiers are built by merging finer
** ones.  The design is DDSketch (C. Masson, J. E. Rim, H. K. Lee, "DDSketch:
** A Fast and Fully-Mergeable Quantile Sketch with Relative-Error
** Guarantees", PVLDB 12(12), 2019): values are counted in logarithmic
** buckets, so every quantile is returned with a relative error of at most
** alpha = 1%.  Pure C (libc and libm only): no SQLite types, no global
** state.  Unit-tested in test/unit/test_sketch.c, fuzzed in
** test/fuzz/fuzz_sketch.c.  The serialized form is specified byte by byte
** in docs/SKETCH.md.
**
** What is counted where:
**   - a finite x with |x| >= DBL_MIN (the smallest normal double) goes to
**     bucket i = ceil(log(|x|) / log(gamma)), gamma = (1+alpha)/(1-alpha),
**     of the positive or the negative store.  Bucket i stands for the
**     interval (gamma^(i-1), gamma^i] and is reported as its representative
**     value 2*gamma^i/(gamma+1), which is within alpha of every point of
**     the interval (up to floating-point rounding, below 1e-12 relative);
**   - +0.0, -0.0 and subnormals (|x| < DBL_MIN) are counted as zero and
**     reported as 0.0;
**   - +inf and -inf have a count each and are reported as +inf and -inf:
**     they sort above / below every finite value, so the count stays right
**     and only the quantiles that land on them are infinite;
**   - NaN is ignored: it is not counted.
**
** Quantiles.  tsmSketchQuantile(p, q) estimates the "lower nearest-rank"
** quantile: the value at 0-based rank floor(q*(n-1)) of the n counted values
** sorted in ascending order (so q=0 is the minimum, q=1 the maximum, q=0.5
** the lower median).  The estimate v satisfies |v - x| <= alpha*|x| for the
** exact value x (x and v are 0 together, or both the same infinity).
**
** Bounded memory.  Each store keeps at most TSM_SKETCH_MAX_BUCKETS (2048)
** consecutive buckets, which cover a ratio of gamma^2048 (about 6e17, i.e.
** 17 orders of magnitude) between the largest and the smallest magnitude of
** one sign.  If the values of one sign spread wider, the buckets of the
** smallest magnitudes are folded into the lowest bucket kept, as DDSketch
** does: the 1% guarantee then holds for every value of magnitude above
** gamma^(H-2048), H being the highest bucket of that store, i.e. for the
** upper quantiles of the positive values and the lower quantiles of the
** negative values; quantiles that land on folded values are over-estimated
** in magnitude.  Folding depends only on the highest bucket, so it commutes
** with merging: merging stays exact.
**
** Merging is exact: tsmSketchMerge(sketch(A), sketch(B)) holds the same
** buckets as sketch(A u B), and serializes to the same bytes.  The
** serialized form is canonical (one byte string per sketch): deserializing
** into an empty sketch and serializing again returns the input bytes.
**
** Memory comes from tsmMalloc() (alloc.h); a sketch of n buckets per store
** holds about 8*n bytes per store.  A TsmSketch filled with zero bytes is a valid empty
** sketch (so it may live in memory from sqlite3_aggregate_context()).
*/
#ifndef TSM_SKETCH_H
#define TSM_SKETCH_H

#include <stddef.h>
#include <stdint.h>

#define TSM_SKETCH_ALPHA 0.01        /* relative accuracy */
#define TSM_SKETCH_MAX_BUCKETS 2048  /* most buckets kept per store */

/* Largest possible serialized size, in bytes (see docs/SKETCH.md). */
#define TSM_SKETCH_MAX_BYTES (3 + 3*9 + 2*(2 + 3 + 9*TSM_SKETCH_MAX_BUCKETS))

/* Largest total count of a sketch (counts fit an SQL INTEGER). */
#define TSM_SKETCH_MAX_COUNT INT64_MAX

/* Return codes: 0 for success, negative for errors. */
#define TSM_SKETCH_OK         0
#define TSM_SKETCH_CORRUPT  (-1)   /* input bytes are not a valid sketch */
#define TSM_SKETCH_TOOSMALL (-2)   /* output buffer too small */
#define TSM_SKETCH_RANGE    (-3)   /* negative count, or the total count
                                   ** would exceed TSM_SKETCH_MAX_COUNT */
#define TSM_SKETCH_NOMEM    (-4)   /* tsmMalloc() failed */

/* One store: the buckets of the values of one sign.  Private to sketch.c. */
typedef struct TsmSketchStore TsmSketchStore;
struct TsmSketchStore {
  uint64_t *aCount;       /* aCount[k] counts bucket iBase+k; NULL if none */
  int iBase;              /* bucket index of aCount[0] */
  int nAlloc;             /* allocated entries of aCount[] */
  int iMin, iMax;         /* lowest and highest non-empty bucket */
  uint64_t nTotal;        /* sum of the counts; 0 means empty */
};

/* A sketch.  The fields are private to sketch.c: use the functions. */
typedef struct TsmSketch TsmSketch;
struct TsmSketch {
  TsmSketchStore pos;     /* values >= DBL_MIN, by bucket of x */
  TsmSketchStore neg;     /* values <= -DBL_MIN, by bucket of -x */
  uint64_t nZero;         /* values with |x| < DBL_MIN */
  uint64_t nPosInf;       /* +inf */
  uint64_t nNegInf;       /* -inf */
  uint64_t nCount;        /* total of all the above */
};

/* Make *p an empty sketch.  Allocates nothing; same as zero-filling *p. */
void tsmSketchInit(TsmSketch *p);

/* Remove every value from p, keeping its memory for reuse. */
void tsmSketchClear(TsmSketch *p);

/* Release the memory held by p (not p itself); p is then empty, as after
** tsmSketchInit(), and may be reused. */
void tsmSketchFree(TsmSketch *p);

/* Count value v once.  NaN is ignored (returns TSM_SKETCH_OK, counts
** nothing).  Returns TSM_SKETCH_OK, TSM_SKETCH_RANGE or TSM_SKETCH_NOMEM;
** on error p is unchanged. */
int tsmSketchAdd(TsmSketch *p, double v);

/* Count value v nCount times (nCount >= 0; 0 does nothing).  Same result as
** nCount calls of tsmSketchAdd(p, v); TSM_SKETCH_RANGE if nCount < 0. */
int tsmSketchAddN(TsmSketch *p, double v, int64_t nCount);

/* Merge pOther into p (pOther may be p).  Returns TSM_SKETCH_OK,
** TSM_SKETCH_RANGE or TSM_SKETCH_NOMEM; on error p is unchanged. */
int tsmSketchMerge(TsmSketch *p, const TsmSketch *pOther);

/* Number of values counted (NaN excluded, infinities and zeros included). */
int64_t tsmSketchCount(const TsmSketch *p);

/* The q-quantile, 0 <= q <= 1, as defined above.  NaN if p is empty or q
** is not in [0, 1]. */
double tsmSketchQuantile(const TsmSketch *p, double q);

/* The fraction of the counted values that are <= x.  Every value in the
** bucket of x counts, so a value above x by less than one bucket width
** (gamma, about 2%) may count too; every value <= x counts.  Integers
** from -49 to 49 never share a bucket, so the ranks of small integers
** such as states 0/1/2 are exact, and so are those of values further
** apart than gamma (error codes 200/404/500).  Zeros count as 0,
** infinities as themselves.  NaN if p is empty or x is NaN. */
double tsmSketchRank(const TsmSketch *p, double x);

/* Exact size in bytes of the serialized form of p
** (3 <= size <= TSM_SKETCH_MAX_BYTES). */
int tsmSketchSerializedSize(const TsmSketch *p);

/* Write the serialized form of p to a[0..n).  Returns the number of bytes
** written, or TSM_SKETCH_TOOSMALL if n < tsmSketchSerializedSize(p). */
int tsmSketchSerialize(const TsmSketch *p, uint8_t *a, size_t n);

/* Merge the serialized sketch a[0..n) into p.  Reads nothing outside
** a[0..n) and allocates at most what the merged sketch needs, whatever the
** bytes.  Returns TSM_SKETCH_OK, TSM_SKETCH_CORRUPT (any malformed or
** non-canonical input), TSM_SKETCH_RANGE (the total count would exceed
** TSM_SKETCH_MAX_COUNT) or TSM_SKETCH_NOMEM; on error p is unchanged. */
int tsmSketchDeserialize(TsmSketch *p, const uint8_t *a, size_t n);

/* Check that a[0..n) is a valid serialized sketch, without allocating.
** Returns TSM_SKETCH_OK or TSM_SKETCH_CORRUPT; on success and if pnCount
** is not NULL, sets *pnCount to its total count. */
int tsmSketchCheck(const uint8_t *a, size_t n, int64_t *pnCount);

/* Static English text for a return code. */
const char *tsmSketchErrstr(int rc);

#endif /* TSM_SKETCH_H */
