/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * vAccel's op types and its plugin-side op registration record. Each op
 * type is one of our ops (docs/api.md has the table); the op descriptors,
 * typed argument vectors and vaccel_op_call are in vaccel/remote/op.h.
 */

#include "list.h"
#include "utils/enum.h"
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* vaccel_op_type_t, with _to_str and _to_base_str; vAccel's values. */
#define VACCEL_OP_TYPE_ENUM_LIST(ITEM)                                         \
	ITEM(NOOP, 0, VACCEL_OP)                                               \
	ITEM(BLAS_SGEMM, VACCEL_OP)                                            \
	ITEM(IMAGE_CLASSIFY, VACCEL_OP)                                        \
	ITEM(IMAGE_DETECT, VACCEL_OP)                                          \
	ITEM(IMAGE_SEGMENT, VACCEL_OP)                                         \
	ITEM(IMAGE_POSE, VACCEL_OP)                                            \
	ITEM(IMAGE_DEPTH, VACCEL_OP)                                           \
	ITEM(EXEC, VACCEL_OP)                                                  \
	ITEM(TF_MODEL_NEW, VACCEL_OP)                                          \
	ITEM(TF_MODEL_DESTROY, VACCEL_OP)                                      \
	ITEM(TF_MODEL_REGISTER, VACCEL_OP)                                     \
	ITEM(TF_MODEL_UNREGISTER, VACCEL_OP)                                   \
	ITEM(TF_SESSION_LOAD, VACCEL_OP)                                       \
	ITEM(TF_SESSION_RUN, VACCEL_OP)                                        \
	ITEM(TF_SESSION_DELETE, VACCEL_OP)                                     \
	ITEM(MINMAX, VACCEL_OP)                                                \
	ITEM(FPGA_ARRAYCOPY, VACCEL_OP)                                        \
	ITEM(FPGA_MMULT, VACCEL_OP)                                            \
	ITEM(FPGA_PARALLEL, VACCEL_OP)                                         \
	ITEM(FPGA_VECTORADD, VACCEL_OP)                                        \
	ITEM(EXEC_WITH_RESOURCE, VACCEL_OP)                                    \
	ITEM(TORCH_JITLOAD_FORWARD, VACCEL_OP)                                 \
	ITEM(TORCH_SGEMM, VACCEL_OP)                                           \
	ITEM(OPENCV, VACCEL_OP)                                                \
	ITEM(TFLITE_SESSION_LOAD, VACCEL_OP)                                   \
	ITEM(TFLITE_SESSION_RUN, VACCEL_OP)                                    \
	ITEM(TFLITE_SESSION_DELETE, VACCEL_OP)

VACCEL_ENUM_DEF_WITH_STR_FUNCS(vaccel_op_type, VACCEL_OP,
			       VACCEL_OP_TYPE_ENUM_LIST)

struct vaccel_plugin;

/* One op a vAccel-style plugin implements: registered from its init with
 * vaccel_plugin_register_op(s). `func` has the signature of the op's
 * native function (vaccel_sgemm's for VACCEL_OP_BLAS_SGEMM, ...). */
struct vaccel_op {
	vaccel_op_type_t type;
	void *func;
	/* the plugin it belongs to (VACCEL_OP_INIT sets it) */
	struct vaccel_plugin *owner;
	vaccel_list_entry_t plugin_entry;
	vaccel_list_entry_t func_entry;
};

/* Defined by VACCEL_PLUGIN() in each vAccel-style plugin. */
extern struct vaccel_plugin vaccel_this_plugin;

#define VACCEL_OP_INIT(name, type, func)                                       \
	{(type), (void *)(func), (&vaccel_this_plugin),                        \
	 LIST_ENTRY_INIT((name).plugin_entry),                                 \
	 LIST_ENTRY_INIT((name).func_entry)}

#ifdef __cplusplus
}
#endif
