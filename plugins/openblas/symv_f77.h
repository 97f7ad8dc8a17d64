/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Complex symmetric (not Hermitian) matrix-vector product. CBLAS has no
 * csymv/zsymv; OpenBLAS exports the Fortran routines (as LAPACK's
 * auxiliary BLAS), which take every argument by reference and are
 * column-major only. The trailing size_t is the hidden length gfortran
 * passes for a CHARACTER argument: OpenBLAS's C implementation ignores it,
 * a Fortran one would not. Shared by the plugin and its tests.
 */

#include <cblas.h>
#include <stddef.h>

void csymv_(const char *uplo, const blasint *n, const void *alpha,
	    const void *a, const blasint *lda, const void *x,
	    const blasint *incx, const void *beta, void *y, const blasint *incy,
	    size_t uplo_len);
void zsymv_(const char *uplo, const blasint *n, const void *alpha,
	    const void *a, const blasint *lda, const void *x,
	    const blasint *incx, const void *beta, void *y, const blasint *incy,
	    size_t uplo_len);

/* Row-major A is column-major A^T, and a symmetric A^T is A with its
 * triangles swapped: the Fortran uplo for a CBLAS layout and uplo. */
static inline char symv_f77_uplo(enum CBLAS_ORDER layout, enum CBLAS_UPLO uplo)
{
	int upper = uplo == CblasUpper;
	if (layout == CblasRowMajor)
		upper = !upper;
	return upper ? 'U' : 'L';
}
