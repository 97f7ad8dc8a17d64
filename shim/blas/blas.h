/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The BLAS family's part of a generated interposer (the blas and lapack
 * specs): its offload classes (the BLAS levels and LAPACK, picked by
 * VACCEL_SHIM_LEVELS), the ILP64 spellings it does not serve, argument
 * errors reported through the program's own xerbla_ / cblas_xerbla, and
 * the CBLAS letter constants. The generated source gives every symbol a
 * struct shim_blas_fn as its shim_fn.info.
 */

#include "shim.h"

struct shim_blas_fn {
	/* the name given to xerbla_ / cblas_xerbla */
	const char *xname;
	/* a CBLAS spelling (errors through cblas_xerbla) */
	bool cblas;
};

extern const struct shim_family shim_blas_family;

static inline const struct shim_blas_fn *shim_blas(const struct shim_fn *f)
{
	return (const struct shim_blas_fn *)f->info;
}

static inline int shim_upper(char c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : (unsigned char)c;
}

/* CBLAS enum value of a checked letter: base + its index in letters. */
static inline int64_t shim_enum(int64_t letter, const char *letters,
				int64_t base)
{
	for (int64_t i = 0; letters[i]; i++)
		if (letters[i] == letter)
			return base + i;
	return -1;
}

/* Report argument `info` of f through the program's xerbla_, as the
 * reference BLAS does. */
void shim_xerbla(struct shim_fn *f, int info);
/* Report a CBLAS argument error through the program's cblas_xerbla: with
 * the reference's RowMajorStrg global present, `raw` with it set for
 * row-major (as the reference CBLAS does); else the CBLAS position. */
void shim_cblas_xerbla(struct shim_fn *f, int pos, int raw, bool row_major);
