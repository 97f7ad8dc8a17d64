/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Our plugin ABI, the recommended one (vAccel's, VACCEL_PLUGIN(), is in
 * vaccel/plugin.h and loads too). A plugin is a shared object exporting
 * one symbol, VACCEL_PLUGIN_SYMBOL, a `struct vaccel_plugin_desc` declared with
 * VACCEL_PLUGIN_DEFINE(). The descriptor starts with its ABI version and
 * size; members are only ever appended, and the core reads a member only
 * when the plugin's desc_size covers it and it is non-NULL. A different
 * major version is refused; an older or newer minor loads with a warning.
 */

#include "../plugin.h"
#include "op.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VACCEL_PLUGIN_ABI_MAJOR 2
#define VACCEL_PLUGIN_ABI_MINOR 1
#define VACCEL_PLUGIN_ABI_STR_(major, minor) #major "." #minor
#define VACCEL_PLUGIN_ABI_STR_X(major, minor)                                  \
	VACCEL_PLUGIN_ABI_STR_(major, minor)
/* "MAJOR.MINOR", from the two numbers above */
#define VACCEL_PLUGIN_ABI_STR                                                  \
	VACCEL_PLUGIN_ABI_STR_X(VACCEL_PLUGIN_ABI_MAJOR,                       \
				VACCEL_PLUGIN_ABI_MINOR)
#define VACCEL_PLUGIN_SYMBOL vaccel_plugin_descriptor
#define VACCEL_PLUGIN_SYMBOL_STR "vaccel_plugin_descriptor"

/*
 * An op implementation. `priv` is the plugin's state (allocated by the
 * core, priv_size bytes, zeroed); `op` the descriptor of the op being
 * called, so one function may serve several ops; `args` has op->nr_args
 * entries, already checked against the descriptor. Returns a VACCEL_E*
 * code. May be called from many threads at once.
 */
typedef int (*vaccel_op_fn)(void *priv, struct vaccel_session *sess,
			    const struct vaccel_op_desc *op,
			    struct vaccel_oparg *args);

struct vaccel_plugin_op {
	uint32_t op_id;
	vaccel_op_fn fn;
};

struct vaccel_plugin_desc {
	/* must be VACCEL_PLUGIN_ABI_MAJOR of the core loading it */
	uint32_t abi_major;
	uint32_t abi_minor;
	/* sizeof(struct vaccel_plugin_desc) as the plugin was built */
	uint32_t desc_size;
	/* a short unique name (what VACCEL_PLUGINS may say); not NULL */
	const char *name;
	/* the plugin's own version; may be NULL */
	const char *version;
	/* vaccel_plugin_type_t mask */
	uint32_t type;
	/* bytes of private state the core allocates (zeroed) and passes to
	 * every callback; 0 for none (priv is then NULL) */
	size_t priv_size;
	/* called once after loading; non-zero refuses the plugin. May be NULL
	 */
	int (*init)(void *priv);
	/* called once before unloading. May be NULL */
	void (*fini)(void *priv);
	/* implemented ops; ids unknown to the core are ignored with a warning
	 */
	const struct vaccel_plugin_op *ops;
	size_t nr_ops;
	/* if non-NULL, implements every op the core knows (noop, transports);
	 * entries in `ops` take precedence */
	vaccel_op_fn any_op;
	/* session and resource hooks, for plugins that mirror objects
	 * elsewhere (transports). Each may be NULL. A failing session_init or
	 * resource_register fails the caller's call. */
	int (*session_init)(void *priv, struct vaccel_session *sess,
			    uint32_t flags);
	int (*session_release)(void *priv, struct vaccel_session *sess);
	int (*resource_register)(void *priv, struct vaccel_resource *res,
				 struct vaccel_session *sess);
	int (*resource_unregister)(void *priv, struct vaccel_resource *res,
				   struct vaccel_session *sess);
	/* ABI 1.1: bytes before and after every buffer argument that the
	 * libraries behind this plugin may read (never write), as some
	 * optimised kernels do; a host serving such calls (the agent) keeps
	 * that much readable memory on both sides. 0 for none */
	size_t read_slack;
	/* ABI 2.1: where another loaded plugin implements the same op, the
	 * smallest call this one is worth serving, in the op's cost (a
	 * typed BLAS op's real flops, e.g. 2mnk for gemm; else the bytes of
	 * its buffers): smaller calls go to the other (docs/plugins.md,
	 * "Which plugin serves a call"). VACCEL_MIN_COST overrides it. 0
	 * for any call */
	uint64_t min_cost;
};

#ifdef __cplusplus
#define VACCEL_PLUGIN_EXTERN extern "C"
#else
#define VACCEL_PLUGIN_EXTERN
#endif

/* Declare the plugin's descriptor: VACCEL_PLUGIN_DEFINE(.name = "x", ...) */
#define VACCEL_PLUGIN_DEFINE(...)                                              \
	VACCEL_PLUGIN_EXTERN __attribute__((visibility("default")))            \
	const struct vaccel_plugin_desc VACCEL_PLUGIN_SYMBOL = {               \
	    .abi_major = VACCEL_PLUGIN_ABI_MAJOR,                              \
	    .abi_minor = VACCEL_PLUGIN_ABI_MINOR,                              \
	    .desc_size = sizeof(struct vaccel_plugin_desc),                    \
	    __VA_ARGS__}

/* The largest read_slack of the loaded plugins (0 when none asks). */
size_t vaccel_plugins_read_slack(void);
/* Number of loaded plugins (either ABI). */
unsigned int vaccel_plugin_count(void);
/* Name of the plugin serving op_id for a session with this hint; NULL if
 * none. Where the choice depends on the call's cost, the plugin that
 * serves the cheapest calls. */
const char *vaccel_plugin_for_op(uint32_t op_id, unsigned int hint);

/*
 * Who served what: per op and plugin, the calls a plugin served since
 * counting started. Counting is off unless vaccel_served_counting(true)
 * (the agent turns it on); while on, every call takes the dispatch's
 * slower path and an atomic add. Turning it off keeps the counts.
 */
struct vaccel_served {
	uint32_t op_id;
	/* the op's and the plugin's names, valid until the plugins unload */
	const char *op;
	const char *plugin;
	uint64_t calls;
};
void vaccel_served_counting(bool on);
/* The counts that are not zero into out (at most cap of them, in load
 * order of the plugins, then op id); how many there are. */
size_t vaccel_served_get(struct vaccel_served *out, size_t cap);

/*
 * Memory a plugin allocates on a call's behalf (workspaces, outputs it
 * makes, a framework's tensors) is charged to whoever the call runs for,
 * before it is allocated: in the agent, the guest's budgets
 * (--max-memory, --max-total-memory); in-process, nobody, and the charge
 * always succeeds. vaccel_call_charge() returns VACCEL_OK and sets
 * *ticket, or VACCEL_ENOMEM when the bytes do not fit: allocate nothing
 * and fail the call with it. A charge lasts until vaccel_call_uncharge()
 * with its ticket during the same call (later, the ticket is stale and
 * nothing happens), or at the latest until the call's reply has gone.
 * Memory a plugin keeps beyond the call is not charged here.
 */
int vaccel_call_charge(uint64_t bytes, uint64_t *ticket);
void vaccel_call_uncharge(uint64_t ticket, uint64_t bytes);
/* Whether the call this thread runs is charged to a caller (a host
 * serves it). */
bool vaccel_call_charged(void);

/*
 * For a host serving calls (the agent): who the calls that this thread
 * runs between vaccel_caller_enter() and vaccel_caller_leave() are for.
 * take and give move bytes against the caller's budgets (take: false
 * when they do not fit); may_log, if not NULL, says whether a line that
 * the call makes the core log may be written now (a rate limit per
 * caller). held is what the call's plugins have charged and not given
 * back: the host gives it back once the reply is gone.
 */
struct vaccel_caller {
	bool (*take)(struct vaccel_caller *c, uint64_t bytes);
	void (*give)(struct vaccel_caller *c, uint64_t bytes);
	bool (*may_log)(struct vaccel_caller *c);
	/* set by the core */
	uint64_t held;
	uint64_t serial;
};
void vaccel_caller_enter(struct vaccel_caller *c);
void vaccel_caller_leave(void);

#ifdef __cplusplus
}
#endif
