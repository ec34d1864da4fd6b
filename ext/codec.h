/* SPDX-License-Identifier: MIT */
/*
** codec.h -- the tsm chunk codec.
**
** A chunk is an array of n samples (int64 timestamp in ms, IEEE double
** value) encoded into one self-describing byte string.  This module is pure
** C: no SQLite types, no global state, no allocation visible to the caller.
** It is unit-tested (test/unit/test_codec.c) and fuzzed (test/fuzz) on its
** own.  The byte layout is specified in docs/FORMAT.md.
**
** Contract:
**   - Any array round-trips exactly: timestamps are any int64 values in any
**     order (the store passes strictly increasing ones, but the codec does
**     not depend on it); values round-trip bit for bit (-0.0, +-inf, NaN
**     payloads, subnormals).
**   - The decoder never reads outside [a, a+n) nor writes more than nMax
**     samples, whatever the input bytes; bad input returns TSM_CODEC_CORRUPT.
*/
#ifndef TSM_CODEC_H
#define TSM_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* Encoding modes. */
#define TSM_CODEC_FAST 0  /* cheap to write: for the open head chunk of a
                          ** series, rewritten on every commit */
#define TSM_CODEC_BEST 1  /* smallest: tries the candidate encodings per
                          ** column and keeps the smallest */

/* Largest number of samples in one chunk. */
#define TSM_CODEC_MAX_SAMPLES 65536

/* Error codes (negative). */
#define TSM_CODEC_CORRUPT  (-1)   /* input bytes are not a valid chunk */
#define TSM_CODEC_TOOSMALL (-2)   /* output buffer too small */
#define TSM_CODEC_RANGE    (-3)   /* n out of range */

/* Upper bound of the encoded size of n samples, in bytes. */
size_t tsmCodecBound(int n);

/*
** Encode n samples (0 <= n <= TSM_CODEC_MAX_SAMPLES) into aOut[0..nOut).
** Returns the number of bytes written (> 0), or a negative error code.
** nOut >= tsmCodecBound(n) always suffices.
*/
int tsmCodecEncode(const int64_t *aTs, const double *aVal, int n, int eMode,
                   uint8_t *aOut, size_t nOut);

/*
** Extend a TSM_CODEC_FAST chunk in place.  a[0..nByte) holds the FAST
** encoding of aTs[0..nOld), aVal[0..nOld) (as tsmCodecEncode or this
** function wrote it) and *piVal the offset of its value block as this
** function last set it, or 0 (then it is found by reading the timestamp
** column).  On success a[] holds the FAST encoding of all n samples, the
** very bytes tsmCodecEncode(aTs, aVal, n, TSM_CODEC_FAST, ...) writes,
** *piVal is updated and the new size (> 0) is returned.  Returns 0 when
** the chunk cannot simply be extended (the encoder would change its mind
** about an earlier sample: unordered timestamps, a value that is not an
** exact decimal at the chunk's exponent, a column that would be raw, more
** than 32 new samples...): the caller encodes from scratch.  Returns
** TSM_CODEC_TOOSMALL, leaving a[] as it was, when nMax is below the new
** size (nByte + 20 per new sample always suffices).
*/
int tsmCodecFastAppend(const int64_t *aTs, const double *aVal, int nOld,
                       int n, uint8_t *a, size_t nByte, size_t nMax,
                       size_t *piVal);

/*
** Read the header only: set *pnSample to the sample count and *peMode to the
** mode the chunk was written with (TSM_CODEC_FAST or TSM_CODEC_BEST).
** Returns 0, or TSM_CODEC_CORRUPT.  Either output pointer may be NULL.
*/
int tsmCodecPeek(const uint8_t *a, size_t n, int *pnSample, int *peMode);

/*
** 1 if the chunk's header carries the "unordered" flag, which the encoder
** sets when some timestamp is not greater than the one before it (equal
** timestamps of a series that keeps duplicates); 0 if not;
** TSM_CODEC_CORRUPT.  Chunks written before the flag existed never carry
** it.
*/
int tsmCodecUnordered(const uint8_t *a, size_t n);

/*
** Decode a chunk into aTs[] and aVal[], which have room for nMax samples.
** Returns the number of samples decoded, or a negative error code
** (TSM_CODEC_TOOSMALL if the chunk holds more than nMax samples).
*/
int tsmCodecDecode(const uint8_t *a, size_t n, int64_t *aTs, double *aVal,
                   int nMax);

/*
** tsmCodecDecode() with flags:
**
**   TSM_CODEC_LEGACY_DOD  read a delta-of-delta (VARDOD) timestamp column
**       as the tsm of commits 2668ee9 to cf533b4 (exclusive) wrote it:
**       the second timestamp's delta-of-delta counted from the first
**       timestamp as a delta, where it now counts from 0.  Both layouts
**       carry the same tag; docs/FORMAT.md says how the store tells them
**       apart.
*/
#define TSM_CODEC_LEGACY_DOD 1
int tsmCodecDecodeEx(const uint8_t *a, size_t n, int64_t *aTs, double *aVal,
                     int nMax, unsigned flags);

/* Static English text for an error code. */
const char *tsmCodecErrstr(int rc);

#endif /* TSM_CODEC_H */
