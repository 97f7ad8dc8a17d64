/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The plugin ABI. A plugin is a shared object exporting exactly one
 * symbol, VACCEL_PLUGIN_SYMBOL, a `struct vaccel_plugin_desc` declared with
 * VACCEL_PLUGIN_DEFINE(). The descriptor starts with its ABI version and
 * size; members are only ever appended, and the core reads a member only
 * when the plugin's desc_size covers it and it is non-NULL. A different
 * major version is refused; an older or newer minor loads with a warning.
 */

#include "op.h"
#include "resource.h"
#include "session.h"
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VACCEL_PLUGIN_ABI_MAJOR 1
#define VACCEL_PLUGIN_ABI_MINOR 0
#define VACCEL_PLUGIN_SYMBOL vaccel_plugin_descriptor
#define VACCEL_PLUGIN_SYMBOL_STR "vaccel_plugin_descriptor"

/* Plugin types (vAccel's values), used for session hints. */
#define VACCEL_PLUGIN_TYPES_LIST(X)                                            \
	X(CPU, 0x0001)                                                         \
	X(GPU, 0x0002) X(FPGA, 0x0004) X(SOFTWARE, 0x0008)                     \
	    X(TENSORFLOW, 0x0010) X(TORCH, 0x0020) X(JETSON, 0x0040)           \
		X(GENERIC, 0x0080) X(DEBUG, 0x0100) X(REMOTE, 0x4000)          \
		    X(ALL, 0xffff)
#define VACCEL_PLUGIN_ENUM_ITEM(name, value) VACCEL_PLUGIN_##name = (value),
typedef enum {
	VACCEL_PLUGIN_TYPES_LIST(VACCEL_PLUGIN_ENUM_ITEM)
} vaccel_plugin_type_t;
#undef VACCEL_PLUGIN_ENUM_ITEM

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

/* Load one plugin by path or name (libvaccel-<name>.so, searched in
 * VACCEL_PLUGIN_PATH, then the install dir, then the loader's path).
 * Errors: VACCEL_ENOENT (no such file), VACCEL_ELIBBAD (not loadable or
 * no descriptor symbol), VACCEL_ENOEXEC (ABI major mismatch),
 * VACCEL_EEXIST (a plugin of that name is loaded), or init's error. */
int vaccel_plugin_load(const char *name_or_path);
/* Load a ':'-separated list, in order; earlier plugins take precedence.
 * Keeps going past failures and returns the first error. */
int vaccel_plugin_parse_and_load(const char *list);
/* Number of loaded plugins. */
unsigned int vaccel_plugin_count(void);
/* Name of the plugin serving op_id for a session with this hint; NULL if
 * none. */
const char *vaccel_plugin_for_op(uint32_t op_id, unsigned int hint);

#ifdef __cplusplus
}
#endif
