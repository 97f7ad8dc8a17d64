// SPDX-License-Identifier: Apache-2.0
/*
 * The TensorFlow, TFLite and Torch types' helpers of vAccel's API: tensors,
 * buffers, nodes and statuses. The three frameworks' tensors differ only
 * in their dimension types, so one macro writes each family.
 */
#include "internal.h"
#include <stdlib.h>
#include <string.h>

/* Tensors: PFX ## _tensor_{init,release,new,allocate,delete,set_data,
 * take_data} for struct PFX ## _tensor with `NDT nr_dims` and `DT *dims`. */
#define TENSOR_FAMILY(PFX, ENUM, NDT, DT)                                      \
	int PFX##_tensor_init(struct PFX##_tensor *tensor, NDT nr_dims,        \
			      const DT *dims, enum ENUM type)                  \
	{                                                                      \
		if (!tensor || nr_dims < 1)                                    \
			return VACCEL_EINVAL;                                  \
		tensor->data_type = type;                                      \
		tensor->data = NULL;                                           \
		tensor->size = 0;                                              \
		tensor->owned = false;                                         \
		tensor->nr_dims = nr_dims;                                     \
		tensor->dims = calloc((size_t)nr_dims, sizeof(DT));            \
		if (!tensor->dims)                                             \
			return VACCEL_ENOMEM;                                  \
		if (dims)                                                      \
			memcpy(tensor->dims, dims,                             \
			       (size_t)nr_dims * sizeof(DT));                  \
		return VACCEL_OK;                                              \
	}                                                                      \
                                                                               \
	int PFX##_tensor_release(struct PFX##_tensor *tensor)                  \
	{                                                                      \
		if (!tensor)                                                   \
			return VACCEL_EINVAL;                                  \
		free(tensor->dims);                                            \
		if (tensor->owned)                                             \
			free(tensor->data);                                    \
		tensor->data = NULL;                                           \
		tensor->size = 0;                                              \
		tensor->owned = false;                                         \
		tensor->nr_dims = 0;                                           \
		tensor->dims = NULL;                                           \
		return VACCEL_OK;                                              \
	}                                                                      \
                                                                               \
	int PFX##_tensor_new(struct PFX##_tensor **tensor, NDT nr_dims,        \
			     const DT *dims, enum ENUM type)                   \
	{                                                                      \
		if (!tensor)                                                   \
			return VACCEL_EINVAL;                                  \
		struct PFX##_tensor *t = calloc(1, sizeof(*t));                \
		if (!t)                                                        \
			return VACCEL_ENOMEM;                                  \
		int ret = PFX##_tensor_init(t, nr_dims, dims, type);           \
		if (ret) {                                                     \
			free(t);                                               \
			return ret;                                            \
		}                                                              \
		*tensor = t;                                                   \
		return VACCEL_OK;                                              \
	}                                                                      \
                                                                               \
	int PFX##_tensor_delete(struct PFX##_tensor *tensor)                   \
	{                                                                      \
		int ret = PFX##_tensor_release(tensor);                        \
		if (ret)                                                       \
			return ret;                                            \
		free(tensor);                                                  \
		return VACCEL_OK;                                              \
	}                                                                      \
                                                                               \
	int PFX##_tensor_allocate(struct PFX##_tensor **tensor, NDT nr_dims,   \
				  const DT *dims, enum ENUM type,              \
				  size_t total_size)                           \
	{                                                                      \
		int ret = PFX##_tensor_new(tensor, nr_dims, dims, type);       \
		if (ret || !total_size)                                        \
			return ret;                                            \
		(*tensor)->data = malloc(total_size);                          \
		if (!(*tensor)->data) {                                        \
			PFX##_tensor_delete(*tensor);                          \
			*tensor = NULL;                                        \
			return VACCEL_ENOMEM;                                  \
		}                                                              \
		(*tensor)->size = total_size;                                  \
		(*tensor)->owned = true;                                       \
		return VACCEL_OK;                                              \
	}                                                                      \
                                                                               \
	int PFX##_tensor_set_data(struct PFX##_tensor *tensor, void *data,     \
				  size_t size)                                 \
	{                                                                      \
		if (!tensor)                                                   \
			return VACCEL_EINVAL;                                  \
		if (tensor->data && tensor->owned)                             \
			vaccel_warn("tensor data it owned is replaced and "    \
				    "will not be freed by its release");       \
		tensor->data = data;                                           \
		tensor->size = size;                                           \
		tensor->owned = false;                                         \
		return VACCEL_OK;                                              \
	}                                                                      \
                                                                               \
	int PFX##_tensor_take_data(struct PFX##_tensor *tensor, void **data,   \
				   size_t *size)                               \
	{                                                                      \
		if (!tensor || !data || !size)                                 \
			return VACCEL_EINVAL;                                  \
		*data = tensor->data;                                          \
		*size = tensor->size;                                          \
		tensor->data = NULL;                                           \
		tensor->size = 0;                                              \
		tensor->owned = false;                                         \
		return VACCEL_OK;                                              \
	}

TENSOR_FAMILY(vaccel_tf, vaccel_tf_data_type, int, int64_t)
TENSOR_FAMILY(vaccel_tflite, vaccel_tflite_data_type, int, int32_t)
TENSOR_FAMILY(vaccel_torch, vaccel_torch_data_type, int64_t, int64_t)

/* Buffers own their data (release frees it). */
#define BUFFER_FAMILY(PFX, DT)                                                 \
	int PFX##_buffer_init(struct PFX##_buffer *buffer, DT *data,           \
			      size_t size)                                     \
	{                                                                      \
		if (!buffer)                                                   \
			return VACCEL_EINVAL;                                  \
		buffer->data = data;                                           \
		buffer->size = size;                                           \
		return VACCEL_OK;                                              \
	}                                                                      \
                                                                               \
	int PFX##_buffer_release(struct PFX##_buffer *buffer)                  \
	{                                                                      \
		if (!buffer)                                                   \
			return VACCEL_EINVAL;                                  \
		free(buffer->data);                                            \
		buffer->data = NULL;                                           \
		buffer->size = 0;                                              \
		return VACCEL_OK;                                              \
	}                                                                      \
                                                                               \
	int PFX##_buffer_new(struct PFX##_buffer **buffer, DT *data,           \
			     size_t size)                                      \
	{                                                                      \
		if (!buffer)                                                   \
			return VACCEL_EINVAL;                                  \
		struct PFX##_buffer *b = calloc(1, sizeof(*b));                \
		if (!b)                                                        \
			return VACCEL_ENOMEM;                                  \
		PFX##_buffer_init(b, data, size);                              \
		*buffer = b;                                                   \
		return VACCEL_OK;                                              \
	}                                                                      \
                                                                               \
	int PFX##_buffer_delete(struct PFX##_buffer *buffer)                   \
	{                                                                      \
		int ret = PFX##_buffer_release(buffer);                        \
		if (ret)                                                       \
			return ret;                                            \
		free(buffer);                                                  \
		return VACCEL_OK;                                              \
	}                                                                      \
                                                                               \
	int PFX##_buffer_take_data(struct PFX##_buffer *buffer, void **data,   \
				   size_t *size)                               \
	{                                                                      \
		if (!buffer || !data || !size)                                 \
			return VACCEL_EINVAL;                                  \
		*data = buffer->data;                                          \
		*size = buffer->size;                                          \
		buffer->data = NULL;                                           \
		buffer->size = 0;                                              \
		return VACCEL_OK;                                              \
	}

BUFFER_FAMILY(vaccel_tf, void)
BUFFER_FAMILY(vaccel_torch, char)

int vaccel_tf_node_init(struct vaccel_tf_node *node, const char *name, int id)
{
	if (!node || !name)
		return VACCEL_EINVAL;
	node->name = strdup(name);
	if (!node->name)
		return VACCEL_ENOMEM;
	node->id = id;
	return VACCEL_OK;
}

int vaccel_tf_node_release(struct vaccel_tf_node *node)
{
	if (!node)
		return VACCEL_EINVAL;
	free(node->name);
	node->name = NULL;
	node->id = -1;
	return VACCEL_OK;
}

int vaccel_tf_node_new(struct vaccel_tf_node **node, const char *name, int id)
{
	if (!node)
		return VACCEL_EINVAL;
	struct vaccel_tf_node *n = calloc(1, sizeof(*n));
	if (!n)
		return VACCEL_ENOMEM;
	int ret = vaccel_tf_node_init(n, name, id);
	if (ret) {
		free(n);
		return ret;
	}
	*node = n;
	return VACCEL_OK;
}

int vaccel_tf_node_delete(struct vaccel_tf_node *node)
{
	int ret = vaccel_tf_node_release(node);
	if (ret)
		return ret;
	free(node);
	return VACCEL_OK;
}

int vaccel_tf_status_init(struct vaccel_tf_status *status, uint8_t error_code,
			  const char *message)
{
	if (!status || !message)
		return VACCEL_EINVAL;
	status->error_code = error_code;
	status->message = strdup(message);
	return status->message ? VACCEL_OK : VACCEL_ENOMEM;
}

int vaccel_tf_status_release(struct vaccel_tf_status *status)
{
	if (!status)
		return VACCEL_EINVAL;
	free(status->message);
	status->error_code = 0;
	status->message = NULL;
	return VACCEL_OK;
}

int vaccel_tf_status_new(struct vaccel_tf_status **status, uint8_t error_code,
			 const char *message)
{
	if (!status)
		return VACCEL_EINVAL;
	struct vaccel_tf_status *s = calloc(1, sizeof(*s));
	if (!s)
		return VACCEL_ENOMEM;
	int ret = vaccel_tf_status_init(s, error_code, message);
	if (ret) {
		free(s);
		return ret;
	}
	*status = s;
	return VACCEL_OK;
}

int vaccel_tf_status_delete(struct vaccel_tf_status *status)
{
	int ret = vaccel_tf_status_release(status);
	if (ret)
		return ret;
	free(status);
	return VACCEL_OK;
}

int vaccel_str_to_lower(char *str, size_t size, char **alloc_lower)
{
	if (!str || (!alloc_lower && !size))
		return VACCEL_EINVAL;
	char *lower = str;
	if (alloc_lower) {
		size = strlen(str);
		lower = strdup(str);
		if (!lower)
			return VACCEL_ENOMEM;
		*alloc_lower = lower;
	}
	for (size_t i = 0; i < size && lower[i]; i++)
		if (lower[i] >= 'A' && lower[i] <= 'Z')
			lower[i] = (char)(lower[i] - 'A' + 'a');
	return VACCEL_OK;
}
