/* SPDX-License-Identifier: MIT */
/*
** alloc.h -- the allocator of the pure modules (codec, parse, sketch,
** format).
**
** They stay free of SQLite types, yet every allocation must reach SQLite's
** allocator: the fault harness (test/fault/fault.c) fails allocations
** there, and an application's SQLITE_CONFIG_MALLOC or heap limit applies
** to all of tsm.  So they allocate through tsmMalloc, tsmRealloc and
** tsmFree, which call libc's malloc, realloc and free until
** tsmAllocatorSet() points them elsewhere: the extension's init (tsm.c)
** points them at sqlite3_malloc64, sqlite3_realloc64 and sqlite3_free;
** unit tests and fuzzers keep libc.  What a pure module returns is freed
** with tsmFree (or its own tsmXxxFree), never with free() or
** sqlite3_free() directly.
**
** tsmMalloc(0) and tsmRealloc(p, 0) ask for one byte, so that NULL always
** means out of memory (sqlite3_malloc64(0) is NULL).
*/
#ifndef TSM_ALLOC_H
#define TSM_ALLOC_H

#include <stddef.h>

typedef struct TsmAllocator {
  void *(*xMalloc)(size_t);
  void *(*xRealloc)(void*, size_t);
  void (*xFree)(void*);
} TsmAllocator;

/* Set once before the first allocation (later calls must pass the same
** functions: what was allocated is freed by them). */
void tsmAllocatorSet(const TsmAllocator *pNew);

void *tsmMalloc(size_t n);
void *tsmRealloc(void *p, size_t n);
void *tsmMallocZero(size_t n);       /* tsmMalloc, then zeroed */
void tsmFree(void *p);

#endif /* TSM_ALLOC_H */
