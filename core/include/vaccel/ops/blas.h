/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* vAccel's BLAS op; the general family is in vaccel/remote/blas.h. */

#include "../session.h"
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* vAccel: C = alpha * A * B + beta * C, row-major (A[i * lda + p]),
 * single precision. */
int vaccel_sgemm(struct vaccel_session *sess, long long int m, long long int n,
		 long long int k, float alpha, float *a, long long int lda,
		 float *b, long long int ldb, float beta, float *c,
		 long long int ldc);

#ifdef __cplusplus
}
#endif
