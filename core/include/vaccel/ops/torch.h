/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * vAccel's Torch ops and their types. The data-type values are the
 * framework's own. Tensors, buffers, nodes and statuses: *_init fills
 * caller storage, *_new allocates, *_release and *_delete undo them; a tensor
 * frees its data on release only when it owns it (*_allocate, or outputs
 * an op returned), *_set_data borrows, *_take_data hands the data over.
 * Outputs of a session run are allocated by the op (each out[i] a new
 * tensor the caller deletes).
 */

#include "../resource.h"
#include "../session.h"
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum vaccel_torch_data_type {
	VACCEL_TORCH_BYTE = 1,
	VACCEL_TORCH_CHAR = 2,
	VACCEL_TORCH_SHORT = 3,
	VACCEL_TORCH_INT = 4,
	VACCEL_TORCH_LONG = 5,
	VACCEL_TORCH_HALF = 6,
	VACCEL_TORCH_FLOAT = 7
};

struct vaccel_torch_buffer {
	char *data;
	size_t size;
};

int vaccel_torch_buffer_init(struct vaccel_torch_buffer *buffer, char *data,
			     size_t size);

int vaccel_torch_buffer_release(struct vaccel_torch_buffer *buffer);

int vaccel_torch_buffer_new(struct vaccel_torch_buffer **buffer, char *data,
			    size_t size);

int vaccel_torch_buffer_delete(struct vaccel_torch_buffer *buffer);

int vaccel_torch_buffer_take_data(struct vaccel_torch_buffer *buffer,
				  void **data, size_t *size);

struct vaccel_torch_tensor {
	void *data;
	size_t size;
	bool owned;
	int64_t nr_dims;
	int64_t *dims;
	enum vaccel_torch_data_type data_type;
};

int vaccel_torch_tensor_init(struct vaccel_torch_tensor *tensor,
			     int64_t nr_dims, const int64_t *dims,
			     enum vaccel_torch_data_type type);

int vaccel_torch_tensor_release(struct vaccel_torch_tensor *tensor);

int vaccel_torch_tensor_new(struct vaccel_torch_tensor **tensor,
			    int64_t nr_dims, const int64_t *dims,
			    enum vaccel_torch_data_type type);

int vaccel_torch_tensor_allocate(struct vaccel_torch_tensor **tensor,
				 int64_t nr_dims, const int64_t *dims,
				 enum vaccel_torch_data_type type,
				 size_t total_size);

int vaccel_torch_tensor_delete(struct vaccel_torch_tensor *tensor);

int vaccel_torch_tensor_set_data(struct vaccel_torch_tensor *tensor, void *data,
				 size_t size);

int vaccel_torch_tensor_take_data(struct vaccel_torch_tensor *tensor,
				  void **data, size_t *size);

int vaccel_torch_jitload_forward(struct vaccel_session *sess,
				 const struct vaccel_resource *model,
				 const struct vaccel_torch_buffer *run_options,
				 struct vaccel_torch_tensor **in_tensor,
				 int nr_read,
				 struct vaccel_torch_tensor **out_tensor,
				 int nr_write);

int vaccel_torch_sgemm(struct vaccel_session *sess,
		       struct vaccel_torch_tensor **in_A,
		       struct vaccel_torch_tensor **in_B,
		       struct vaccel_torch_tensor **in_C, int M, int N, int K,
		       struct vaccel_torch_tensor **out);

#ifdef __cplusplus
}
#endif
