/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Valid calls of any op, built from its descriptor, and the check of what
 * noop wrote into them (shared by the unit and the integration tests): byte j
 * of output argument i of op o is vaccel_noop_byte(o, i, j) (noop_pattern.h).
 */

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>
#include <vaccel/remote.h>
#include "ops_internal_gen.h"

#define OPCALL_MAX_ARGS 32

struct opcall {
	const struct vaccel_op_desc *op;
	struct vaccel_oparg args[OPCALL_MAX_ARGS];
	/* copies of IN buffers, to check they came back untouched */
	uint8_t *in_copy[OPCALL_MAX_ARGS];
	/* everything malloc'd for the call */
	void *owned[4 * OPCALL_MAX_ARGS];
	size_t nr_owned;
};

/*
 * Build a valid call of `op`, variant v (precisions, layouts, transposes
 * and sides vary with v). Outputs are prefilled with the complement of
 * what noop writes. RESOURCE arguments get `res` (must be non-NULL for ops
 * that take one).
 */
void opcall_build(struct opcall *c, const struct vaccel_op_desc *op,
		  unsigned int v, struct vaccel_resource *res);
/* Assert every output holds noop's bytes and every input is unchanged;
 * `what` prefixes the messages. */
void opcall_check(const struct opcall *c, const char *what);
/* After a successful call: the outputs the op allocated (RAW tensor
 * lists) are freed with the call. */
void opcall_take_outputs(struct opcall *c);
void opcall_free(struct opcall *c);

/* Fill `len` bytes with noop's pattern for (op, arg) from position pos,
 * or its complement; check a buffer against it. Fast for large buffers. */
void pattern_fill(uint8_t *buf, uint64_t len, uint32_t op, uint32_t arg,
		  uint64_t pos, bool complement);
/* Index of the first byte that differs from the pattern, or len. */
uint64_t pattern_find_mismatch(const uint8_t *buf, uint64_t len, uint32_t op,
			       uint32_t arg, uint64_t pos);
