/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "../arg.h"
#include "../session.h"

#ifdef __cplusplus
extern "C" {
#endif

/* vAccel's generic op: read[0] holds the vaccel_op_type_t. */
int vaccel_genop(struct vaccel_session *sess, struct vaccel_arg *read,
		 int nr_read, struct vaccel_arg *write, int nr_write);

#ifdef __cplusplus
}
#endif
