/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <vaccel/remote/op.h>
#include "ops_internal_gen.h"

/* The generated tables (ops_gen.c). */
extern const struct vaccel_op_desc vaccel_op_descs[];
extern const unsigned int vaccel_op_descs_count;
extern const struct vaccel_op_desc
    *const vaccel_op_descs_by_id[VACCEL_OPID_LIMIT];
