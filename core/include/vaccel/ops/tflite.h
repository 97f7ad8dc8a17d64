/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * vAccel's TensorFlow Lite ops and their types. The data-type values are the
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

enum vaccel_tflite_data_type {
	VACCEL_TFLITE_NOTYPE = 0,
	VACCEL_TFLITE_FLOAT32 = 1,
	VACCEL_TFLITE_INT32 = 2,
	VACCEL_TFLITE_UINT8 = 3,
	VACCEL_TFLITE_INT64 = 4,
	VACCEL_TFLITE_STRING = 5,
	VACCEL_TFLITE_BOOL = 6,
	VACCEL_TFLITE_INT16 = 7,
	VACCEL_TFLITE_COMPLEX64 = 8,
	VACCEL_TFLITE_INT8 = 9,
	VACCEL_TFLITE_FLOAT16 = 10,
	VACCEL_TFLITE_FLOAT64 = 11,
	VACCEL_TFLITE_COMPLEX128 = 12,
	VACCEL_TFLITE_UINT64 = 13,
	VACCEL_TFLITE_RESOURCE = 14,
	VACCEL_TFLITE_VARIANT = 15,
	VACCEL_TFLITE_UINT32 = 16,
	VACCEL_TFLITE_UINT16 = 17,
	VACCEL_TFLITE_INT4 = 18,
};

struct vaccel_tflite_tensor {
	void *data;
	size_t size;
	bool owned;
	int nr_dims;
	int32_t *dims;
	enum vaccel_tflite_data_type data_type;
};

int vaccel_tflite_tensor_init(struct vaccel_tflite_tensor *tensor, int nr_dims,
			      const int32_t *dims,
			      enum vaccel_tflite_data_type type);

int vaccel_tflite_tensor_release(struct vaccel_tflite_tensor *tensor);

int vaccel_tflite_tensor_new(struct vaccel_tflite_tensor **tensor, int nr_dims,
			     const int32_t *dims,
			     enum vaccel_tflite_data_type type);

int vaccel_tflite_tensor_allocate(struct vaccel_tflite_tensor **tensor,
				  int nr_dims, const int32_t *dims,
				  enum vaccel_tflite_data_type type,
				  size_t total_size);

int vaccel_tflite_tensor_delete(struct vaccel_tflite_tensor *tensor);

int vaccel_tflite_tensor_set_data(struct vaccel_tflite_tensor *tensor,
				  void *data, size_t size);

int vaccel_tflite_tensor_take_data(struct vaccel_tflite_tensor *tensor,
				   void **data, size_t *size);

int vaccel_tflite_session_load(struct vaccel_session *sess,
			       struct vaccel_resource *model);

int vaccel_tflite_session_run(struct vaccel_session *sess,
			      const struct vaccel_resource *model,
			      struct vaccel_tflite_tensor *const *in,
			      int nr_inputs, struct vaccel_tflite_tensor **out,
			      int nr_outputs, uint8_t *status);

int vaccel_tflite_session_delete(struct vaccel_session *sess,
				 struct vaccel_resource *model);

#ifdef __cplusplus
}
#endif
