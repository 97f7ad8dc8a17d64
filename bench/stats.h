/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Timing helpers shared by the benchmark programs. */

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

struct bench_stats {
	double p50, p99, mean, min, max;
};

/* Sorts v in place; figures in the unit of v. */
static inline struct bench_stats bench_stats(uint64_t *v, size_t n)
{
	struct bench_stats s = {0};
	if (!n)
		return s;
	qsort(v, n, sizeof(*v), bench_cmp_u64);
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += (double)v[i];
	s.p50 = (double)v[n / 2];
	s.p99 = (double)v[(size_t)((double)(n - 1) * 0.99)];
	s.mean = sum / (double)n;
	s.min = (double)v[0];
	s.max = (double)v[n - 1];
	return s;
}
