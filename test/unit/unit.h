/* SPDX-License-Identifier: MIT */
/*
** unit.h -- a tiny harness for the C unit tests of the pure modules.
**
**   CHECK(cond)              one assertion
**   CHECK_EQ_INT(a, b)       with both values printed on failure
**   UNIT_DONE()              prints "N passed, N failed", returns exit code
*/
#ifndef TSM_UNIT_H
#define TSM_UNIT_H
#include <stdio.h>
#include <string.h>

static int nUnitPass = 0, nUnitFail = 0;

#define CHECK(cond) do { \
  if( cond ){ nUnitPass++; } else { nUnitFail++; \
    fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); } \
} while(0)

#define CHECK_EQ_INT(a, b) do { \
  long long a_ = (long long)(a), b_ = (long long)(b); \
  if( a_==b_ ){ nUnitPass++; } else { nUnitFail++; \
    fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", \
            __FILE__, __LINE__, #a, #b, a_, b_); } \
} while(0)

#define CHECK_EQ_STR(a, b) do { \
  const char *a_ = (a), *b_ = (b); \
  if( a_ && b_ && strcmp(a_, b_)==0 ){ nUnitPass++; } else { nUnitFail++; \
    fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", \
            __FILE__, __LINE__, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } \
} while(0)

#define UNIT_DONE() ( printf("%d passed, %d failed\n", nUnitPass, nUnitFail), \
                      nUnitFail ? 1 : 0 )
#endif
