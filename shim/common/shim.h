/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The runtime of a generated interposer (shim/<api>). The generated source
 * defines one wrapper per symbol of the api's spec and the table shim_fns;
 * this header gives the wrappers their fast path (decline locally without
 * leaving the wrapper) and the calls they make on the slow path.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vaccel/remote/op.h>

#define SHIM_EXPORT __attribute__((visibility("default")))
#define SHIM_TLS __attribute__((tls_model("initial-exec")))

/* One intercepted symbol. */
struct shim_fn {
	const char *name;
	/* the name given to xerbla_ / cblas_xerbla */
	const char *xname;
	/* 1, 2, 3, or 4 for LAPACK: bit `level` of VACCEL_SHIM_LEVELS */
	uint8_t level;
	uint8_t cblas;
	/* this shim's wrapper, handed out by the dlsym interposer */
	void *wrapper;
	/* the local library's symbol, resolved on first local use */
	void *_Atomic real;
	/* monotonic ms until which the agent is not asked again: it said it
	 * has no backend for this op */
	_Atomic uint64_t unsupported_until;
};

struct shim_api {
	const char *name;
	struct shim_fn *fns;
	unsigned int nr_fns;
	/* indices of fns sorted by name, for the dlsym interposer */
	const uint16_t *sorted;
	/* NULL-terminated: libraries to look in when RTLD_NEXT fails */
	const char *const *sonames;
};

/* Generated. */
extern struct shim_fn shim_fns[];
extern const struct shim_api shim_api;

/* Policy, read from the environment once. levels is 0 until then, which
 * makes every call local. */
struct shim_policy {
	unsigned int levels;
	double min_flops;
	/* flops per byte that would move (spans out and back, an alias
	 * region once) below which a call stays local: a thin gemm on
	 * strided sub-matrices ships far more than it computes */
	double min_intensity;
};
extern struct shim_policy shim_policy;
/* flops per byte moved: scripts/bench `cost` on a 2-CPU machine with the
 * agent beside the program (docs/performance.md, "Offload cost") */
#define SHIM_DEFAULT_MIN_INTENSITY 32.0
extern SHIM_TLS _Thread_local int shim_depth;

/* Per-thread counters, one row per function. */
enum { SHIM_C_LOCAL, SHIM_C_OFFLOADED, SHIM_C_FAILED, SHIM_C_ERRORS,
       SHIM_C_BYTES_OUT, SHIM_C_BYTES_IN, SHIM_C_NR };
struct shim_stats {
	struct shim_stats *next;
	uint64_t c[][SHIM_C_NR];
};
extern SHIM_TLS _Thread_local struct shim_stats *shim_tstats;
struct shim_stats *shim_stats_new(void);

static inline struct shim_stats *shim_stats(void)
{
	struct shim_stats *s = shim_tstats;
	return s ? s : shim_stats_new();
}

/* Offload this call? Not from inside another intercepted call (the
 * library calling itself), not for a level that is off, not below the
 * cost threshold. */
#define SHIM_WANTS(f, cost)                                                    \
	(!shim_depth && (shim_policy.levels >> (f)->level & 1u) &&             \
	 (cost) >= shim_policy.min_flops)

void *shim_resolve(struct shim_fn *f);

static inline void *shim_real(struct shim_fn *f)
{
	void *p = f->real;
	return p ? p : shim_resolve(f);
}

static inline void shim_local_enter(struct shim_fn *f)
{
	shim_stats()->c[f - shim_fns][SHIM_C_LOCAL]++;
	shim_depth++;
}

static inline void shim_local_leave(void)
{
	shim_depth--;
}

static inline int shim_upper(char c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : (unsigned char)c;
}

/* CBLAS enum value of a checked letter: base + its index in letters. */
static inline int64_t shim_enum(int64_t letter, const char *letters,
				int64_t base)
{
	for (int64_t i = 0; letters[i]; i++)
		if (letters[i] == letter)
			return base + i;
	return -1;
}

static inline double shim_max(double a, double b)
{
	return a > b ? a : b;
}

static inline double shim_min(double a, double b)
{
	return a < b ? a : b;
}

/*
 * Run op `op_id` remotely. `cost` is the call's flops, weighed against
 * the bytes it would move (shim_policy.min_intensity). 0: done, outputs
 * written. Nonzero: the caller runs the local symbol (not worth its
 * bytes, agent unreachable, op unsupported, a size the wire cannot
 * carry); with VACCEL_SHIM_FALLBACK=fail a failed remote call does not
 * return.
 */
int shim_call(struct shim_fn *f, uint32_t op_id, struct vaccel_oparg *a,
	      uint32_t nr_args, double cost);

/* Report argument `info` of f through the program's xerbla_, as the
 * reference BLAS does. */
void shim_xerbla(struct shim_fn *f, int info);
/* Report a CBLAS argument error through the program's cblas_xerbla: with
 * the reference's RowMajorStrg global present, `raw` with it set for
 * row-major (as the reference CBLAS does); else the CBLAS position. */
void shim_cblas_xerbla(struct shim_fn *f, int pos, int raw, bool row_major);
