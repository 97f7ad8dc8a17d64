/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Generic model inference: load a model resource, run it on tensors,
 * unload. Handles are per session. */

#include "op.h"
#include "../resource.h"
#include "../session.h"
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

int vaccel_model_load(struct vaccel_session *sess,
		      struct vaccel_resource *model, uint64_t *handle);
/* outputs[i].data/size are caller buffers; the backend fills dtype, ndim,
 * dims and sets size to the bytes written. */
int vaccel_model_run(struct vaccel_session *sess, uint64_t handle,
		     const struct vaccel_tensor *inputs, size_t nr_inputs,
		     struct vaccel_tensor *outputs, size_t nr_outputs);
int vaccel_model_unload(struct vaccel_session *sess, uint64_t handle);

#ifdef __cplusplus
}
#endif
