// SPDX-License-Identifier: Apache-2.0
/* vAccel's argument-list helpers, for exec and genop callers. */
#include "internal.h"
#include <stdlib.h>
#include <string.h>

struct vaccel_arg_list *vaccel_args_init(uint32_t size)
{
	struct vaccel_arg_list *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->list = calloc(size ? size : 1, sizeof(*l->list));
	l->idcs_allocated_space = calloc(size ? size : 1, sizeof(int));
	if (!l->list || !l->idcs_allocated_space) {
		free(l->list);
		free(l->idcs_allocated_space);
		free(l);
		return NULL;
	}
	l->size = size;
	return l;
}

static int next_slot(struct vaccel_arg_list *args)
{
	if (!args || args->curr_idx < 0 ||
	    (uint32_t)args->curr_idx >= args->size)
		return -1;
	return args->curr_idx++;
}

int vaccel_add_serial_arg(struct vaccel_arg_list *args, void *buf,
			  uint32_t size)
{
	if (!buf && size)
		return VACCEL_EINVAL;
	int i = next_slot(args);
	if (i < 0)
		return VACCEL_EINVAL;
	args->list[i] =
	    (struct vaccel_arg){.argtype = 0, .size = size, .buf = buf};
	return VACCEL_OK;
}

int vaccel_add_nonserial_arg(struct vaccel_arg_list *args, void *buf,
			     uint32_t argtype,
			     void *(*serializer)(void *, uint32_t *))
{
	if (!serializer)
		return VACCEL_EINVAL;
	int i = next_slot(args);
	if (i < 0)
		return VACCEL_EINVAL;
	uint32_t size = 0;
	void *ser = serializer(buf, &size);
	if (!ser) {
		args->curr_idx--;
		return VACCEL_EINVAL;
	}
	args->list[i] =
	    (struct vaccel_arg){.argtype = argtype, .size = size, .buf = ser};
	args->idcs_allocated_space[i] = 1;
	return VACCEL_OK;
}

int vaccel_expect_serial_arg(struct vaccel_arg_list *args, void *buf,
			     uint32_t size)
{
	return vaccel_add_serial_arg(args, buf, size);
}

int vaccel_expect_nonserial_arg(struct vaccel_arg_list *args,
				uint32_t expected_size)
{
	int i = next_slot(args);
	if (i < 0)
		return VACCEL_EINVAL;
	void *buf = calloc(1, expected_size ? expected_size : 1);
	if (!buf) {
		args->curr_idx--;
		return VACCEL_ENOMEM;
	}
	args->list[i] = (struct vaccel_arg){
	    .argtype = 0, .size = expected_size, .buf = buf};
	args->idcs_allocated_space[i] = 1;
	return VACCEL_OK;
}

void *vaccel_extract_serial_arg(struct vaccel_arg *args, int idx)
{
	if (!args || idx < 0)
		return NULL;
	return args[idx].buf;
}

void *vaccel_extract_nonserial_arg(struct vaccel_arg *args, int idx,
				   void *(*deserializer)(void *, uint32_t))
{
	if (!args || idx < 0 || !deserializer)
		return NULL;
	return deserializer(args[idx].buf, args[idx].size);
}

int vaccel_write_serial_arg(struct vaccel_arg *args, int idx, void *buf)
{
	if (!args || idx < 0 || !buf || !args[idx].buf)
		return VACCEL_EINVAL;
	memcpy(args[idx].buf, buf, args[idx].size);
	return VACCEL_OK;
}

int vaccel_write_nonserial_arg(struct vaccel_arg *args, int idx, void *buf,
			       void *(*serializer)(void *, uint32_t *))
{
	if (!args || idx < 0 || !serializer || !args[idx].buf)
		return VACCEL_EINVAL;
	uint32_t size = 0;
	void *ser = serializer(buf, &size);
	if (!ser)
		return VACCEL_EINVAL;
	int ret = VACCEL_OK;
	if (size > args[idx].size)
		ret = VACCEL_ENOSPC;
	else
		memcpy(args[idx].buf, ser, size);
	free(ser);
	return ret;
}

int vaccel_delete_args(struct vaccel_arg_list *args)
{
	if (!args)
		return VACCEL_EINVAL;
	for (uint32_t i = 0; i < args->size; i++)
		if (args->idcs_allocated_space[i])
			free(args->list[i].buf);
	free(args->list);
	free(args->idcs_allocated_space);
	free(args);
	return VACCEL_OK;
}
