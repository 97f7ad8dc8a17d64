/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The runtime of a generated interposer (shim/<api>), common to every api
 * family. The generated source defines one wrapper per symbol of the
 * api's spec and the table shim_fns; this header gives the wrappers their
 * fast path (decline locally without leaving the wrapper) and the calls
 * they make on the slow path. What a family adds (BLAS: xerbla, the
 * levels) is in its own piece, shim/<family>/, through struct
 * shim_family and shim_fn.info.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vaccel/remote/op.h>

#define SHIM_EXPORT __attribute__((visibility("default")))
#define SHIM_TLS __attribute__((tls_model("initial-exec")))

struct shim_fn;

/*
 * What an api family (BLAS, ...) adds to the runtime, from the family's
 * own piece (shim/<family>/): its offload classes and the names its
 * libraries have that the shim does not serve.
 */
struct shim_family {
	const char *name;
	/* the variable that picks the classes offloaded: comma-separated
	 * names of shim_classes, "all" or "none" */
	const char *classes_env;
	/* its value while it is unset */
	const char *default_classes;
	/* a name of the family's libraries that the shim passes through
	 * (BLAS: the ILP64 spellings): its lookups through dlsym are counted
	 * in the report under foreign_label. find() says whether a name is
	 * served. May be NULL. */
	bool (*foreign)(const char *name,
			struct shim_fn *(*find)(const char *name));
	const char *foreign_label;
};

/* One intercepted symbol. */
struct shim_fn {
	const char *name;
	/* its offload class: bit `cls` of shim_policy.classes */
	uint8_t cls;
	/* this shim's wrapper, handed out by the dlsym interposer */
	void *wrapper;
	/* the family's data for it (struct shim_blas_fn for BLAS) */
	const void *info;
	/* the local library's symbol, resolved on first local use */
	void *_Atomic real;
	/* monotonic ms until which the agent is not asked again: it said it
	 * has no backend for this op */
	_Atomic uint64_t unsupported_until;
};

struct shim_api {
	const char *name;
	const struct shim_family *family;
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
/* The spec's offload classes by number (shim_fn.cls), NULL-terminated;
 * "" where a number names none. */
extern const char *const shim_classes[];

/* Policy, read from the environment once. classes is 0 until then, which
 * makes every call local. */
struct shim_policy {
	unsigned int classes;
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
 * library calling itself), not for a class that is off, not below the
 * cost threshold. */
#define SHIM_WANTS(f, cost)                                                    \
	(!shim_depth && (shim_policy.classes >> (f)->cls & 1u) &&              \
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

/* The session remote calls go through, opened if need be; NULL while
 * there is none (the agent unreachable: tried again after the pause). */
struct vaccel_session *shim_session(void);

/* `name` as f's local library binds it: from the global scope (the
 * program's own definition, or a library loaded there), else from the
 * library that holds f's local symbol and its dependencies (one loaded
 * RTLD_LOCAL, as ctypes and Python extensions load them). */
void *shim_local_sym(struct shim_fn *f, const char *name);

/* One line on stderr, "vaccel-shim-<api>: ...", written at once. */
void shim_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The dlsym path runs before a sanitizer runtime preloaded ahead of the
 * shim has set itself up (it looks up its interceptors through dlsym):
 * what it calls must not be instrumented. */
#define SHIM_NO_SANITIZE __attribute__((no_sanitize("address", "undefined")))
