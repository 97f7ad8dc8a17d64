/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The OpenCV family's part of a generated interposer (the opencv spec).
 * Its wrappers are C++ (they take OpenCV's own types), so this piece has
 * two sides: the bridge below, C functions over the common runtime
 * (shim.h is C), and cvshim.hpp, the C++ the wrappers call. Every symbol
 * gets a struct shim_opencv_fn as its shim_fn.info.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vaccel/remote/op.h>

#ifdef __cplusplus
extern "C" {
#endif

struct shim_opencv_fn {
	uint32_t op_id;
	/* flops per element of the first input */
	double cost;
};

/* Function k of the table: not inside another intercepted call, and its
 * class is offloaded. */
bool shim_cv_bridge_wants(unsigned int k);
/* Whether a call of `cost` flops is worth offloading (VACCEL_SHIM_MIN_FLOPS). */
bool shim_cv_bridge_worth(double cost);
void *shim_cv_bridge_real(unsigned int k);
void shim_cv_bridge_local_enter(unsigned int k);
void shim_cv_bridge_local_leave(void);
/* shim_call for function k: 0 done, else run locally. */
int shim_cv_bridge_call(unsigned int k, uint32_t op_id,
			struct vaccel_oparg *a, uint32_t nr_args, double cost);
/* shim_local_sym for function k's library. */
void *shim_cv_bridge_sym(unsigned int k, const char *name);
void shim_cv_bridge_say(const char *msg);
/* A resource holding one file, registered with the shim's session: 0, or
 * nonzero (no session, no memory). */
int shim_cv_bridge_upload(const char *name, const void *data, size_t size,
			  struct vaccel_resource **res);
/* Unregister and free it. */
void shim_cv_bridge_drop(struct vaccel_resource *res);

#ifdef __cplusplus
}
#else
#include "shim.h"
extern const struct shim_family shim_opencv_family;
#endif
