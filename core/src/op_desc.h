/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <vaccel/remote/op.h>
#include "ops_internal_gen.h"

/* The generated tables (ops_gen.c). */
extern const struct vaccel_op_desc vaccel_op_descs[];
extern const unsigned int vaccel_op_descs_count;
/* The op a vAccel op type is (ops.spec's vaccel=), UINT32_MAX for none. */
uint32_t vaccel_op_of_type(uint32_t type);
extern const struct vaccel_op_desc
    *const vaccel_op_descs_by_id[VACCEL_OPID_LIMIT];
/* Per op id, the function that fills its sized buffers' lengths from
 * their rules (NULL: the op has none); VACCEL_OK or VACCEL_EINVAL. */
typedef int (*vaccel_fill_fn)(struct vaccel_oparg *args);
extern const vaccel_fill_fn vaccel_op_fills_by_id[VACCEL_OPID_LIMIT];
/* An op's argument check beyond its size rules (the typed BLAS ops': the
 * reference BLAS checks): the index of the first argument refused and in
 * *why what the check says, -1 when the call is fine. */
typedef int (*vaccel_check_fn)(const struct vaccel_oparg *args,
			       const char **why);
extern const vaccel_check_fn vaccel_op_checks_by_id[VACCEL_OPID_LIMIT];
