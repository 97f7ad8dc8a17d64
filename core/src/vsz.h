/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Size-rule arithmetic for the generated descriptors. Values are int64_t;
 * any negative operand or overflow yields -1, and -1 propagates, so a
 * rule's result is either a valid element count or negative.
 */

#include <vaccel/remote/op.h>
#include <stdint.h>

static inline int64_t vsz_arg(const struct vaccel_oparg *a)
{
	return a->v.i;
}

static inline int64_t vsz_add(int64_t a, int64_t b)
{
	int64_t r;
	if (a < 0 || b < 0 || __builtin_add_overflow(a, b, &r))
		return -1;
	return r;
}

static inline int64_t vsz_sub(int64_t a, int64_t b)
{
	if (a < 0 || b < 0 || b > a)
		return -1;
	return a - b;
}

static inline int64_t vsz_mul(int64_t a, int64_t b)
{
	int64_t r;
	if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r))
		return -1;
	return r;
}

static inline int64_t vsz_div(int64_t a, int64_t b)
{
	if (a < 0 || b <= 0)
		return -1;
	return a / b;
}

static inline int64_t vsz_max(int64_t a, int64_t b)
{
	if (a < 0 || b < 0)
		return -1;
	return a > b ? a : b;
}

static inline int64_t vsz_min(int64_t a, int64_t b)
{
	if (a < 0 || b < 0)
		return -1;
	return a < b ? a : b;
}

/* Elements spanned by a rows x cols matrix with leading dimension ld in
 * `layout` (the op spec's CBLAS ROW or COL). */
static inline int64_t vsz_mat(int64_t layout, int64_t ld, int64_t rows,
			      int64_t cols)
{
	if (rows < 0 || cols < 0 || ld < 0)
		return -1;
	if (rows == 0 || cols == 0)
		return 0;
	if (layout == VACCEL_SPEC_COL)
		return vsz_add(vsz_mul(ld, cols - 1), rows);
	if (layout == VACCEL_SPEC_ROW)
		return vsz_add(vsz_mul(ld, rows - 1), cols);
	return -1;
}

/* Elements spanned by an n-vector with stride inc (either sign). */
static inline int64_t vsz_vec(int64_t n, int64_t inc)
{
	if (n < 0 || inc == INT64_MIN)
		return -1;
	if (n == 0)
		return 0;
	return vsz_add(vsz_mul(n - 1, inc < 0 ? -inc : inc), 1);
}
