/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * vAccel's plugin ABI: a plugin declares itself with VACCEL_PLUGIN(...)
 * (name, version, vaccel_version, init, fini, type, ...) and registers its
 * ops from init with vaccel_plugin_register_ops(). The loader takes such a
 * plugin beside ours (vaccel/remote/plugin.h) and says which it loaded;
 * its ops are dispatched like any plugin's, remotely too.
 */

#include "list.h"
#include "op.h"
#include "resource.h"
#include "session.h"
#include "utils/enum.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* vaccel_plugin_type_t (a bit mask; VACCEL_PLUGIN_MAX after ALL), with
 * _to_str and _to_base_str. */
#define VACCEL_PLUGIN_TYPE_ENUM_LIST(ITEM)                                     \
	ITEM(CPU, 0x0001, VACCEL_PLUGIN)                                       \
	ITEM(GPU, 0x0002, VACCEL_PLUGIN)                                       \
	ITEM(FPGA, 0x0004, VACCEL_PLUGIN)                                      \
	ITEM(SOFTWARE, 0x0008, VACCEL_PLUGIN)                                  \
	ITEM(TENSORFLOW, 0x0010, VACCEL_PLUGIN)                                \
	ITEM(TORCH, 0x0020, VACCEL_PLUGIN)                                     \
	ITEM(JETSON, 0x0040, VACCEL_PLUGIN)                                    \
	ITEM(GENERIC, 0x0080, VACCEL_PLUGIN)                                   \
	ITEM(DEBUG, 0x0100, VACCEL_PLUGIN)                                     \
	ITEM(REMOTE, 0x4000, VACCEL_PLUGIN)                                    \
	ITEM(ALL, 0xffff, VACCEL_PLUGIN)

VACCEL_ENUM_DEF_WITH_STR_FUNCS(vaccel_plugin_type, VACCEL_PLUGIN,
			       VACCEL_PLUGIN_TYPE_ENUM_LIST)

struct vaccel_plugin_info {
	/* required */
	const char *name;
	/* required */
	const char *version;
	/* the vAccel version it was built against ("0.7.1" or "v0.7.1"): a
	 * different major is refused, a different minor or patch warned
	 * about, unless VACCEL_VERSION_IGNORE */
	const char *vaccel_version;
	/* required; registers the ops */
	int (*init)(void);
	/* required */
	int (*fini)(void);
	/* a transport plugin: handles sessions and resources itself */
	bool is_virtio;
	vaccel_plugin_type_t type;
	/* session and resource hooks; each may be NULL */
	int (*session_init)(struct vaccel_session *sess, uint32_t flags);
	int (*session_update)(struct vaccel_session *sess, uint32_t flags);
	int (*session_release)(struct vaccel_session *sess);
	int (*resource_register)(struct vaccel_resource *res,
				 struct vaccel_session *sess);
	int (*resource_unregister)(struct vaccel_resource *res,
				   struct vaccel_session *sess);
};

struct vaccel_plugin {
	/* set by the loader */
	void *dl_handle;
	vaccel_list_entry_t entry;
	/* the ops registered from init */
	vaccel_list_t ops;
	struct vaccel_plugin_info *info;
};

/* In a vAccel-style plugin's one source file: its info, the plugin record
 * its ops point to (VACCEL_OP_INIT), and the exported `vaccel_plugin`
 * symbol the loader looks for (exported even under -fvisibility=hidden). */
#define VACCEL_PLUGIN(...)                                                     \
	static struct vaccel_plugin_info _vaccel_plugin_info = {__VA_ARGS__};  \
	__attribute__((visibility(                                             \
	    "hidden"))) struct vaccel_plugin vaccel_this_plugin = {            \
	    .dl_handle = NULL,                                                 \
	    .entry = LIST_ENTRY_INIT(vaccel_this_plugin.entry),                \
	    .ops = LIST_ENTRY_INIT(vaccel_this_plugin.ops),                    \
	    .info = &_vaccel_plugin_info};                                     \
	__attribute__((visibility(                                             \
	    "default"))) const struct vaccel_plugin *vaccel_plugin =           \
	    &vaccel_this_plugin;

/* Register ops of the plugin being loaded (from its init only): each op's
 * owner must be that plugin. VACCEL_EINVAL for a NULL op or func, an
 * unknown type or a foreign owner. */
int vaccel_plugin_register_op(struct vaccel_op *op);
int vaccel_plugin_register_ops(struct vaccel_op *ops, size_t nr_ops);
/* Log (at info) the loaded plugins implementing op_type, in precedence
 * order. */
void vaccel_plugin_print_all_by_op_type(vaccel_op_type_t op_type);

/* Load one plugin by path or name (libvaccel-<name>.so, searched in
 * VACCEL_PLUGIN_PATH, then the install dir, then the loader's path), of
 * either ABI. Errors: VACCEL_ENOENT (no such file), VACCEL_ELIBBAD (not
 * loadable, no descriptor, malformed), VACCEL_ENOEXEC (our ABI's major
 * differs), VACCEL_EINVAL (a vAccel plugin's vaccel_version major
 * differs or is missing), VACCEL_EEXIST (a plugin of that name is
 * loaded), or init's error. */
int vaccel_plugin_load(const char *lib);
/* Load a ':'-separated list, in order; earlier plugins take precedence.
 * Keeps going past failures and returns the first error. */
int vaccel_plugin_parse_and_load(const char *lib_str);

/* Older names. */
#define VACCEL_MODULE(...)                                                     \
	_Pragma("GCC warning \"VACCEL_MODULE() is deprecated: use "            \
		"VACCEL_PLUGIN()\"") VACCEL_PLUGIN(__VA_ARGS__)

__attribute__((deprecated(
    "use vaccel_plugin_register_op()"))) static inline int
register_plugin_function(struct vaccel_op *plugin_op)
{
	return vaccel_plugin_register_op(plugin_op);
}

__attribute__((deprecated(
    "use vaccel_plugin_register_ops()"))) static inline int
register_plugin_functions(struct vaccel_op *plugin_ops, size_t nr_ops)
{
	return vaccel_plugin_register_ops(plugin_ops, nr_ops);
}

#ifdef __cplusplus
}
#endif
