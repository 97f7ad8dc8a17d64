/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The general BLAS family, beyond vAccel's vaccel_sgemm: any precision
 * (VACCEL_BLAS_S/D/C/Z), CBLAS layout and flag values, 64-bit dimensions.
 * Scalars are passed as doubles (complex as re, im) whatever the precision;
 * buffers are raw arrays of the precision's element type, used in place.
 */

#include "../ops/blas.h"
#include "ops_gen.h"
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The precisions and CBLAS's enum values, as the op spec declares them
 * (its const lines, VACCEL_SPEC_*). */
enum vaccel_blas_prec {
	VACCEL_BLAS_S = VACCEL_SPEC_S,
	VACCEL_BLAS_D = VACCEL_SPEC_D,
	VACCEL_BLAS_C = VACCEL_SPEC_C,
	VACCEL_BLAS_Z = VACCEL_SPEC_Z,
};
enum vaccel_blas_layout {
	VACCEL_BLAS_ROW = VACCEL_SPEC_ROW,
	VACCEL_BLAS_COL = VACCEL_SPEC_COL,
};
enum vaccel_blas_trans {
	VACCEL_BLAS_NOTRANS = VACCEL_SPEC_NOTRANS,
	VACCEL_BLAS_TRANS = VACCEL_SPEC_TRANS,
	VACCEL_BLAS_CONJTRANS = VACCEL_SPEC_CONJTRANS,
};
enum vaccel_blas_uplo {
	VACCEL_BLAS_UPPER = VACCEL_SPEC_UPPER,
	VACCEL_BLAS_LOWER = VACCEL_SPEC_LOWER,
};
enum vaccel_blas_diag {
	VACCEL_BLAS_NONUNIT = VACCEL_SPEC_NONUNIT,
	VACCEL_BLAS_UNIT = VACCEL_SPEC_UNIT,
};
enum vaccel_blas_side {
	VACCEL_BLAS_LEFT = VACCEL_SPEC_LEFT,
	VACCEL_BLAS_RIGHT = VACCEL_SPEC_RIGHT,
};

int vaccel_blas_gemm(struct vaccel_session *sess, int prec, int layout,
		     int transa, int transb, int64_t m, int64_t n, int64_t k,
		     const double alpha[2], const void *a, int64_t lda,
		     const void *b, int64_t ldb, const double beta[2], void *c,
		     int64_t ldc);
int vaccel_blas_symm(struct vaccel_session *sess, int prec, int layout,
		     int side, int uplo, int64_t m, int64_t n,
		     const double alpha[2], const void *a, int64_t lda,
		     const void *b, int64_t ldb, const double beta[2], void *c,
		     int64_t ldc);
int vaccel_blas_hemm(struct vaccel_session *sess, int prec, int layout,
		     int side, int uplo, int64_t m, int64_t n,
		     const double alpha[2], const void *a, int64_t lda,
		     const void *b, int64_t ldb, const double beta[2], void *c,
		     int64_t ldc);
int vaccel_blas_syrk(struct vaccel_session *sess, int prec, int layout,
		     int uplo, int trans, int64_t n, int64_t k,
		     const double alpha[2], const void *a, int64_t lda,
		     const double beta[2], void *c, int64_t ldc);
int vaccel_blas_herk(struct vaccel_session *sess, int prec, int layout,
		     int uplo, int trans, int64_t n, int64_t k, double alpha,
		     const void *a, int64_t lda, double beta, void *c,
		     int64_t ldc);
int vaccel_blas_syr2k(struct vaccel_session *sess, int prec, int layout,
		      int uplo, int trans, int64_t n, int64_t k,
		      const double alpha[2], const void *a, int64_t lda,
		      const void *b, int64_t ldb, const double beta[2], void *c,
		      int64_t ldc);
int vaccel_blas_her2k(struct vaccel_session *sess, int prec, int layout,
		      int uplo, int trans, int64_t n, int64_t k,
		      const double alpha[2], const void *a, int64_t lda,
		      const void *b, int64_t ldb, double beta, void *c,
		      int64_t ldc);
int vaccel_blas_trmm(struct vaccel_session *sess, int prec, int layout,
		     int side, int uplo, int transa, int diag, int64_t m,
		     int64_t n, const double alpha[2], const void *a,
		     int64_t lda, void *b, int64_t ldb);
int vaccel_blas_trsm(struct vaccel_session *sess, int prec, int layout,
		     int side, int uplo, int transa, int diag, int64_t m,
		     int64_t n, const double alpha[2], const void *a,
		     int64_t lda, void *b, int64_t ldb);

#ifdef __cplusplus
}
#endif
