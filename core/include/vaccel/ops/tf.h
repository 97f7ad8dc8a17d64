/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * vAccel's TensorFlow ops and their types. The data-type values are the
 * framework's own. Tensors, buffers, nodes and statuses: *_init fills
 * caller storage, *_new allocates, *_release and *_delete undo them; a tensor
 * frees its data on release only when it owns it (*_allocate, or outputs
 * an op returned), *_set_data borrows, *_take_data hands the data over.
 * Outputs of a session run are allocated by the op (each out[i] a new
 * tensor the caller deletes).
 */

#include "../resource.h"
#include "../session.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum vaccel_tf_data_type {
	VACCEL_TF_FLOAT = 1,
	VACCEL_TF_DOUBLE = 2,
	VACCEL_TF_INT32 = 3,
	VACCEL_TF_UINT8 = 4,
	VACCEL_TF_INT16 = 5,
	VACCEL_TF_INT8 = 6,
	VACCEL_TF_STRING = 7,
	VACCEL_TF_COMPLEX64 = 8,
	VACCEL_TF_COMPLEX = 8,
	VACCEL_TF_INT64 = 9,
	VACCEL_TF_BOOL = 10,
	VACCEL_TF_QINT8 = 11,
	VACCEL_TF_QUINT8 = 12,
	VACCEL_TF_QINT32 = 13,
	VACCEL_TF_BFLOAT16 = 14,
	VACCEL_TF_QINT16 = 15,
	VACCEL_TF_QUINT16 = 16,
	VACCEL_TF_UINT16 = 17,
	VACCEL_TF_COMPLEX128 = 18,
	VACCEL_TF_HALF = 19,
	VACCEL_TF_RESOURCE = 20,
	VACCEL_TF_VARIANT = 21,
	VACCEL_TF_UINT32 = 22,
	VACCEL_TF_UINT64 = 23,
};

struct vaccel_tf_buffer {
	void *data;
	size_t size;
};

int vaccel_tf_buffer_init(struct vaccel_tf_buffer *buffer, void *data,
			  size_t size);

int vaccel_tf_buffer_release(struct vaccel_tf_buffer *buffer);

int vaccel_tf_buffer_new(struct vaccel_tf_buffer **buffer, void *data,
			 size_t size);

int vaccel_tf_buffer_delete(struct vaccel_tf_buffer *buffer);

int vaccel_tf_buffer_take_data(struct vaccel_tf_buffer *buffer, void **data,
			       size_t *size);

struct vaccel_tf_node {
	char *name;
	int id;
};

int vaccel_tf_node_init(struct vaccel_tf_node *node, const char *name, int id);

int vaccel_tf_node_release(struct vaccel_tf_node *node);

int vaccel_tf_node_new(struct vaccel_tf_node **node, const char *name, int id);

int vaccel_tf_node_delete(struct vaccel_tf_node *node);

struct vaccel_tf_tensor {
	void *data;
	size_t size;
	bool owned;
	int nr_dims;
	int64_t *dims;
	enum vaccel_tf_data_type data_type;
};

int vaccel_tf_tensor_init(struct vaccel_tf_tensor *tensor, int nr_dims,
			  const int64_t *dims, enum vaccel_tf_data_type type);

int vaccel_tf_tensor_release(struct vaccel_tf_tensor *tensor);

int vaccel_tf_tensor_new(struct vaccel_tf_tensor **tensor, int nr_dims,
			 const int64_t *dims, enum vaccel_tf_data_type type);

int vaccel_tf_tensor_allocate(struct vaccel_tf_tensor **tensor, int nr_dims,
			      const int64_t *dims,
			      enum vaccel_tf_data_type type, size_t total_size);

int vaccel_tf_tensor_delete(struct vaccel_tf_tensor *tensor);

int vaccel_tf_tensor_set_data(struct vaccel_tf_tensor *tensor, void *data,
			      size_t size);

int vaccel_tf_tensor_take_data(struct vaccel_tf_tensor *tensor, void **data,
			       size_t *size);

struct vaccel_tf_status {
	uint8_t error_code;
	char *message;
};

int vaccel_tf_status_init(struct vaccel_tf_status *status, uint8_t error_code,
			  const char *message);

int vaccel_tf_status_release(struct vaccel_tf_status *status);

int vaccel_tf_status_new(struct vaccel_tf_status **status, uint8_t error_code,
			 const char *message);

int vaccel_tf_status_delete(struct vaccel_tf_status *status);

int vaccel_tf_session_load(struct vaccel_session *sess,
			   struct vaccel_resource *model,
			   struct vaccel_tf_status *status);

int vaccel_tf_session_run(struct vaccel_session *sess,
			  const struct vaccel_resource *model,
			  const struct vaccel_tf_buffer *run_options,
			  const struct vaccel_tf_node *in_nodes,
			  struct vaccel_tf_tensor *const *in, int nr_inputs,
			  const struct vaccel_tf_node *out_nodes,
			  struct vaccel_tf_tensor **out, int nr_outputs,
			  struct vaccel_tf_status *status);

int vaccel_tf_session_delete(struct vaccel_session *sess,
			     struct vaccel_resource *model,
			     struct vaccel_tf_status *status);

#ifdef __cplusplus
}
#endif
