/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Cross-file internals of libvaccel. Not installed. */

#include <vaccel/remote.h>
#include "ops_internal_gen.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define SESSION_MAGIC 0x53455353u  /* "SESS" */
#define RESOURCE_MAGIC 0x52455352u /* "RESR" */

/* ---- bootstrap.c -------------------------------------------------------- */
extern atomic_bool vaccel_ready;
/* Bootstrap from the environment if nobody did yet. */
void core_auto_bootstrap(void);
static inline void core_ensure(void)
{
	if (unlikely(
		!atomic_load_explicit(&vaccel_ready, memory_order_acquire)))
		core_auto_bootstrap();
}
bool core_version_ignore(void);

/* ---- caller.c --------------------------------------------------------- */
/* May the call this thread runs log a line now (its caller's rate)? */
bool caller_may_log(void);

/* ---- log.c ------------------------------------------------------------ */
void log_configure(vaccel_log_level_t level, const char *file);
void log_reset(void);

/* ---- prof.c ----------------------------------------------------------- */
void prof_set_enabled(bool enabled);

/* ---- plugin.c --------------------------------------------------------- */
/* A plugin's minimum cost for one op (VACCEL_MIN_COST's PLUGIN/OP=N). */
struct op_min_cost {
	uint32_t op;
	uint64_t min;
};

struct plugin {
	const struct vaccel_plugin_desc *desc;
	/* bytes of desc the plugin provided */
	size_t desc_size;
	void *dl;
	void *priv;
	char *path;
	/* the smallest call worth serving where another plugin implements
	 * the op: the descriptor's min_cost or VACCEL_MIN_COST's PLUGIN=N,
	 * and per op PLUGIN/OP=N */
	uint64_t min_cost;
	struct op_min_cost *op_min;
	unsigned int nr_op_min;
};
/* p's minimum cost for op. */
uint64_t plugin_min_cost(const struct plugin *p, uint32_t op);

/* Does the plugin's descriptor cover member `m` (append-only ABI)? */
#define PLUGIN_COVERS(p, m)                                                    \
	((p)->desc_size >=                                                     \
	 offsetof(struct vaccel_plugin_desc, m) + sizeof((p)->desc->m))
/* ... and is that pointer member set? */
#define PLUGIN_HAS(p, m) (PLUGIN_COVERS(p, m) && (p)->desc->m != NULL)

/* Snapshot of loaded plugins in precedence order; *n set. The array stays
 * valid until plugins_unload_all(). Callers must not free it. */
struct plugin *const *plugins_snapshot(unsigned int *n);
void plugins_unload_all(void);
/* plugin_vaccel.c: wrap a plugin written for vAccel (its `vaccel_plugin`
 * symbol) into p: checks it, runs its init, fills p's desc and priv. */
int plugin_vaccel_wrap(void *dl, const char *path, struct plugin *p);
/* Load a ':' list without bootstrapping first; first error returned. */
int plugins_load_list(const char *list);

/* ---- dispatch.c ------------------------------------------------------- */
/* The calls one plugin served of one op (vaccel_served_get); kept across
 * the table's rebuilds, freed by dispatch_reset(). */
struct served_count {
	_Atomic uint64_t calls;
	uint32_t op;
	const struct plugin *owner;
	struct served_count *next;
};

struct op_impl {
	vaccel_op_fn fn;
	void *priv;
	const struct plugin *owner;
	/* the owner's minimum cost for the op (plugin_min_cost) */
	uint64_t min_cost;
	struct served_count *served;
};
/* Rebuild the per-op table from the loaded plugins. Call with plugins
 * locked. */
int dispatch_rebuild(struct plugin *const *plugins, unsigned int n);
void dispatch_reset(void);
/* Rebuild the table with the loaded plugins, as ops were registered
 * (vaccel_ops_register) or counting turned on or off. */
void plugins_dispatch_refresh(void);
/* Every op known now, the project's then the users' sorted by id, in a
 * new array (*out, to free); how many, 0 with *out NULL when out of
 * memory. */
unsigned int ops_snapshot(const struct vaccel_op_desc ***out);
/* The op's own argument check (the typed BLAS ops: the reference BLAS's
 * checks, generated): the index of the argument it refuses and in *why
 * what the check says, -1 when it takes the call. */
int op_check(const struct vaccel_op_desc *op, const struct vaccel_oparg *args,
	     const char **why);
/* Log that op_check refused argument bad, saying why. */
void op_log_refused(const struct vaccel_op_desc *op,
		    const struct vaccel_oparg *args, int bad, const char *why);
/* vaccel_op_validate, without the size rules when !sizes (the caller
 * set the lengths from them); *why (when why is not NULL) says what the
 * op's own check refused, NULL when another check did. */
int op_validate(const struct vaccel_op_desc *op,
		const struct vaccel_oparg *args, uint32_t *bad_arg, bool sizes,
		const char **why);
/* Set every sized buffer's len from its rule; VACCEL_EINVAL if a rule
 * fails or a non-empty buffer is NULL. */
int op_fill_lengths(const struct vaccel_op_desc *op, struct vaccel_oparg *args);

/* A registered user op's implementations (ids above the dense part). */
struct user_slot {
	uint32_t id;
	uint32_t count;
	const struct op_impl *impls;
};

/*
 * Sized by what is loaded: every implementation in one pool, op after op,
 * in precedence order; the project's ops found through a dense index of
 * pointers into it (NULL where the first does not serve every call
 * without a hint: there is a choice by cost to make, or calls are
 * counted), their counts beside it; the users' through a sorted list. Rebuilt
 * whole when a plugin loads or ops are registered and published in dispatch_now
 * with one atomic store, so a call reads it without a lock.
 */
struct dispatch_table {
	const struct op_impl *first[VACCEL_OPID_LIMIT];
	const struct op_impl *impls[VACCEL_OPID_LIMIT];
	uint8_t count[VACCEL_OPID_LIMIT];
	struct user_slot *user;
	unsigned int nr_user;
	struct op_impl *pool;
	struct dispatch_table *retired;
};
extern __attribute__((
    visibility("hidden"))) _Atomic(const struct dispatch_table *) dispatch_now;

/* op_call_trusted's way for a session with a hint, a user's op, an op
 * served by cost or counted, or one no plugin implements (logged,
 * VACCEL_ENOTSUP). */
__attribute__((visibility("hidden"))) int
op_call_picked(struct vaccel_session *sess, const struct vaccel_op_desc *op,
	       struct vaccel_oparg *args);

/* Run without validating args: for wrappers that computed them. Inline:
 * the native API's hot path is one load of the index and the plugin's
 * call. */
static inline int op_call_trusted(struct vaccel_session *sess,
				  const struct vaccel_op_desc *op,
				  struct vaccel_oparg *args)
{
	const struct dispatch_table *t =
	    atomic_load_explicit(&dispatch_now, memory_order_acquire);
	if (likely(!sess->hint && op->id < VACCEL_OPID_LIMIT)) {
		const struct op_impl *impl = t->first[op->id];
		if (likely(impl))
			return impl->fn(impl->priv, sess, op, args);
	}
	return op_call_picked(sess, op, args);
}

/* ---- genop.c ---------------------------------------------------------- */
/* Unpack vAccel's generic op and run the op it names. bounded: the args
 * are exactly `size` bytes each (an op call), not a program's memory. */
int genop_dispatch(struct vaccel_session *sess, struct vaccel_arg *read,
		   uint64_t nr_read, struct vaccel_arg *write,
		   uint64_t nr_write, bool bounded);

/* ---- session.c / resource.c ------------------------------------------- */
struct session_resources {
	uint32_t magic;
	struct vaccel_resource **res;
	size_t nr, cap;
};
static inline bool session_live(const struct vaccel_session *sess)
{
	return sess && sess->resources &&
	       sess->resources->magic == SESSION_MAGIC;
}
bool resource_live(const struct vaccel_resource *res);
/* Guards the session and resource registries and every session's resource
 * list. */
extern pthread_mutex_t objects_lock;
int sessions_live_count(void);
int resources_live_count(void);
