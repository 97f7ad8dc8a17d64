/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* vAccel's untyped argument: a byte buffer with a caller-chosen tag. Used
 * by exec, exec_with_resource and genop. The buffer is borrowed. */
struct vaccel_arg {
	uint32_t argtype;
	uint32_t size;
	void *buf;
};

/* A growable list of args (vAccel's helper for exec callers). */
struct vaccel_arg_list {
	uint32_t size;
	struct vaccel_arg *list;
	int curr_idx;
	/* 1 where list[i].buf was malloc'd here and is freed on delete */
	int *idcs_allocated_space;
};

struct vaccel_arg_list *vaccel_args_init(uint32_t size);
int vaccel_add_serial_arg(struct vaccel_arg_list *args, void *buf,
			  uint32_t size);
int vaccel_add_nonserial_arg(struct vaccel_arg_list *args, void *buf,
			     uint32_t argtype,
			     void *(*serializer)(void *, uint32_t *));
int vaccel_expect_serial_arg(struct vaccel_arg_list *args, void *buf,
			     uint32_t size);
int vaccel_expect_nonserial_arg(struct vaccel_arg_list *args,
				uint32_t expected_size);
void *vaccel_extract_serial_arg(struct vaccel_arg *args, int idx);
void *vaccel_extract_nonserial_arg(struct vaccel_arg *args, int idx,
				   void *(*deserializer)(void *, uint32_t));
int vaccel_write_serial_arg(struct vaccel_arg *args, int idx, void *buf);
int vaccel_write_nonserial_arg(struct vaccel_arg *args, int idx, void *buf,
			       void *(*serializer)(void *, uint32_t *));
int vaccel_delete_args(struct vaccel_arg_list *args);

#ifdef __cplusplus
}
#endif
