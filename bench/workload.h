/* SPDX-License-Identifier: MIT */
/*
** workload.h -- deterministic benchmark workloads, shared by bench/bench.c
** (make bench) and bench/codec/ (make bench-codec).
**
** W1 (see README "Benchmarks"): 100 series x (20000*scale) samples, 1 s
** interval plus uniform 0..6 ms jitter from 2026-01-01T00:00:00Z; five kinds
** round-robin (gauge, counter, state, rate, ratio); names app_<kind>_<n>,
** labels {"dir":"up"|"down","host":"h<k>"}.
*/
#ifndef TSM_BENCH_WORKLOAD_H
#define TSM_BENCH_WORKLOAD_H
#include <stdint.h>

typedef struct BenchSeries {
  char zMetric[64];     /* e.g. "app_gauge_0" */
  char zLabels[96];     /* canonical JSON, e.g. {"dir":"up","host":"h0"} */
  int n;                /* samples */
  int64_t *aTs;         /* ms since epoch, increasing */
  double *aVal;
} BenchSeries;

/* W1 with 20000*scale samples per series; same seed, same data. */
BenchSeries *benchW1(int scale, uint64_t seed, int *pnSeries);

/* Every *.csv in zDir ("timestamp,value" with a header) as one series:
** metric from the file name without its hex suffix, label instance=<suffix>.
** Returns NULL if the directory cannot be read. */
BenchSeries *benchNab(const char *zDir, int *pnSeries);

void benchSeriesFree(BenchSeries *a, int n);
#endif
