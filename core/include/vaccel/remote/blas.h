/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The general BLAS family, beyond vAccel's vaccel_sgemm: any precision
 * (VACCEL_BLAS_S/D/C/Z), CBLAS layout and flag values, 64-bit dimensions.
 * Scalars are passed as doubles (complex as re, im) whatever the precision;
 * buffers are raw arrays of the precision's element type, used in place.
 */

#include "../ops/blas.h"
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum vaccel_blas_prec {
	VACCEL_BLAS_S = 0,
	VACCEL_BLAS_D = 1,
	VACCEL_BLAS_C = 2,
	VACCEL_BLAS_Z = 3,
};

/* CBLAS's enum values. */
enum vaccel_blas_layout { VACCEL_BLAS_ROW = 101, VACCEL_BLAS_COL = 102 };
enum vaccel_blas_trans {
	VACCEL_BLAS_NOTRANS = 111,
	VACCEL_BLAS_TRANS = 112,
	VACCEL_BLAS_CONJTRANS = 113,
};
enum vaccel_blas_uplo { VACCEL_BLAS_UPPER = 121, VACCEL_BLAS_LOWER = 122 };
enum vaccel_blas_diag { VACCEL_BLAS_NONUNIT = 131, VACCEL_BLAS_UNIT = 132 };
enum vaccel_blas_side { VACCEL_BLAS_LEFT = 141, VACCEL_BLAS_RIGHT = 142 };

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
