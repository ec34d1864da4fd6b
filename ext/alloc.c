/* SPDX-License-Identifier: MIT */
/*
** alloc.c -- the allocator of the pure modules (see alloc.h).
*/
#include "alloc.h"
#include <stdlib.h>
#include <string.h>

static void *libcMalloc(size_t n){ return malloc(n); }
static void *libcRealloc(void *p, size_t n){ return realloc(p, n); }
static void libcFree(void *p){ free(p); }

static TsmAllocator gAlloc = { libcMalloc, libcRealloc, libcFree };

void tsmAllocatorSet(const TsmAllocator *pNew){
  /* Compare first: every connection's init calls this with the same
  ** functions, possibly from several threads. */
  if( gAlloc.xMalloc!=pNew->xMalloc || gAlloc.xRealloc!=pNew->xRealloc
   || gAlloc.xFree!=pNew->xFree ){
    gAlloc = *pNew;
  }
}

void *tsmMalloc(size_t n){ return gAlloc.xMalloc(n ? n : 1); }
void *tsmRealloc(void *p, size_t n){ return gAlloc.xRealloc(p, n ? n : 1); }
void tsmFree(void *p){ if( p ) gAlloc.xFree(p); }

void *tsmMallocZero(size_t n){
  void *p = tsmMalloc(n);
  if( p ) memset(p, 0, n);
  return p;
}
