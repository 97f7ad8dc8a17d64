// SPDX-License-Identifier: Apache-2.0
/*
 * cuda: the BLAS gemm op on cuBLAS, on the first CUDA device.
 *
 * Where there is no device (or no driver), init declines with one log line
 * and VACCEL_ENODEV: the plugin is not loaded and the next plugin that
 * implements gemm serves it.
 *
 * A call normalises to cuBLAS's column-major form (a row-major product is
 * the column-major product of the transposes, operands swapped), copies
 * each matrix as stored (its rows x cols at its leading dimension) into a
 * dense device buffer, multiplies and copies C back. The device buffers
 * are kept between calls and grown when a call needs more, so calls of a
 * size reuse them. One call at a time runs on the device (one handle, one
 * stream, under a lock).
 *
 * The core has run gemm's reference checks before the plugin is called
 * (lengths, leading dimensions, flags, the precision); what is left here
 * is what cuBLAS's int arguments cannot express (VACCEL_ENOTSUP) and the
 * device's own failures (VACCEL_ENOMEM, VACCEL_EBACKEND).
 */
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <vaccel/remote.h>
#include "ops_internal_gen.h"

#define TAG "cuda"

/* One device buffer, kept between calls. */
struct dbuf {
	void *ptr;
	size_t cap;
};

struct cuda {
	pthread_mutex_t lock;
	cublasHandle_t blas;
	cudaStream_t stream;
	/* A, B and C of the call running */
	struct dbuf buf[3];
	char device[256];
};

static const size_t elem_size[4] = {4, 8, 8, 16};

static int cuda_init(void *priv)
{
	struct cuda *g = priv;
	int n = 0;
	cudaError_t e = cudaGetDeviceCount(&n);
	if (e != cudaSuccess || n == 0) {
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "no CUDA device here (%s): the plugin declines; its "
			   "ops go to the next plugin that has them",
			   e != cudaSuccess ? cudaGetErrorString(e)
					    : "no device found");
		return VACCEL_ENODEV;
	}
	struct cudaDeviceProp prop;
	if (cudaSetDevice(0) != cudaSuccess ||
	    cudaGetDeviceProperties(&prop, 0) != cudaSuccess) {
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "CUDA device 0 cannot be used: the plugin declines");
		return VACCEL_ENODEV;
	}
	snprintf(g->device, sizeof(g->device), "%s", prop.name);
	if (cudaStreamCreateWithFlags(&g->stream, cudaStreamNonBlocking) !=
	    cudaSuccess)
		return VACCEL_ENODEV;
	if (cublasCreate(&g->blas) != CUBLAS_STATUS_SUCCESS) {
		cudaStreamDestroy(g->stream);
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "cuBLAS does not start on %s: the plugin declines",
			   g->device);
		return VACCEL_ENODEV;
	}
	cublasSetStream(g->blas, g->stream);
	pthread_mutex_init(&g->lock, NULL);
	vaccel_log(VACCEL_LOG_INFO, TAG, "serving gemm on %s (%d device(s))",
		   g->device, n);
	return VACCEL_OK;
}

static void cuda_fini(void *priv)
{
	struct cuda *g = priv;
	for (int i = 0; i < 3; i++)
		cudaFree(g->buf[i].ptr);
	cublasDestroy(g->blas);
	cudaStreamDestroy(g->stream);
	pthread_mutex_destroy(&g->lock);
}

/* b holds at least bytes: the one it has, or a larger one. */
static int dbuf_reserve(struct dbuf *b, size_t bytes)
{
	if (bytes <= b->cap)
		return VACCEL_OK;
	cudaFree(b->ptr);
	b->ptr = NULL;
	b->cap = 0;
	if (cudaMalloc(&b->ptr, bytes) != cudaSuccess) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "gemm: %zu bytes of device memory are not there",
			   bytes);
		return VACCEL_ENOMEM;
	}
	b->cap = bytes;
	return VACCEL_OK;
}

/* A column-major rows x cols matrix at leading dimension ld, as stored. */
struct mat {
	const void *host;
	int64_t rows, cols, ld;
};

static int put(struct cuda *g, struct dbuf *b, const struct mat *m, size_t es)
{
	int ret = dbuf_reserve(b, (size_t)(m->rows * m->cols) * es);
	if (ret || !m->rows || !m->cols)
		return ret;
	return cudaMemcpy2DAsync(b->ptr, (size_t)m->rows * es, m->host,
				 (size_t)m->ld * es, (size_t)m->rows * es,
				 (size_t)m->cols, cudaMemcpyHostToDevice,
				 g->stream) == cudaSuccess
		   ? VACCEL_OK
		   : VACCEL_EBACKEND;
}

static bool fits_int(int64_t v)
{
	return v >= 0 && v <= INT_MAX;
}

static cublasOperation_t op_of(int64_t trans)
{
	return trans == VACCEL_BLAS_NOTRANS ? CUBLAS_OP_N
	       : trans == VACCEL_BLAS_TRANS ? CUBLAS_OP_T
					    : CUBLAS_OP_C;
}

static int gemm(void *priv, struct vaccel_session *sess,
		const struct vaccel_op_desc *op, struct vaccel_oparg *a)
{
	struct cuda *g = priv;
	(void)sess;
	(void)op;
	const int prec = (int)a[VACCEL_GEMM_PREC].v.i;
	const size_t es = elem_size[prec];
	bool row = a[VACCEL_GEMM_LAYOUT].v.i == VACCEL_BLAS_ROW;
	/* column-major: C = op(A) op(B); row-major, the same product of
	 * the transposes: C^T = op(B)^T op(A)^T, B first */
	int64_t m = a[VACCEL_GEMM_M].v.i, n = a[VACCEL_GEMM_N].v.i,
		k = a[VACCEL_GEMM_K].v.i;
	int64_t ta = a[VACCEL_GEMM_TRANSA].v.i, tb = a[VACCEL_GEMM_TRANSB].v.i;
	struct mat A = {a[VACCEL_GEMM_A].buf, ta == VACCEL_BLAS_NOTRANS ? m : k,
			ta == VACCEL_BLAS_NOTRANS ? k : m,
			a[VACCEL_GEMM_LDA].v.i};
	struct mat B = {a[VACCEL_GEMM_B].buf, tb == VACCEL_BLAS_NOTRANS ? k : n,
			tb == VACCEL_BLAS_NOTRANS ? n : k,
			a[VACCEL_GEMM_LDB].v.i};
	struct mat C = {a[VACCEL_GEMM_C].buf, m, n, a[VACCEL_GEMM_LDC].v.i};
	if (row) {
		struct mat t = A;
		A = B;
		B = t;
		int64_t s = ta;
		ta = tb;
		tb = s;
		s = m;
		m = n;
		n = s;
		/* as stored, a row-major r x c matrix is a column-major c x r
		 */
		s = A.rows, A.rows = A.cols, A.cols = s;
		s = B.rows, B.rows = B.cols, B.cols = s;
		C.rows = m;
		C.cols = n;
	}
	if (!fits_int(m) || !fits_int(n) || !fits_int(k) || !fits_int(A.ld) ||
	    !fits_int(B.ld) || !fits_int(C.ld)) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "gemm: a dimension or leading dimension does not "
			   "fit cuBLAS's int arguments");
		return VACCEL_ENOTSUP;
	}
	const double *al = a[VACCEL_GEMM_ALPHA].v.c128;
	const double *be = a[VACCEL_GEMM_BETA].v.c128;
	bool read_c = be[0] != 0 || be[1] != 0;

	pthread_mutex_lock(&g->lock);
	int ret = put(g, &g->buf[0], &A, es);
	if (!ret)
		ret = put(g, &g->buf[1], &B, es);
	if (!ret)
		ret = read_c ? put(g, &g->buf[2], &C, es)
			     : dbuf_reserve(&g->buf[2], (size_t)(m * n) * es);
	if (ret)
		goto unlock;
	/* dense on the device: each leading dimension its rows (at least 1) */
	int lda = (int)(A.rows ? A.rows : 1), ldb = (int)(B.rows ? B.rows : 1),
	    ldc = (int)(m ? m : 1);
	cublasOperation_t oa = op_of(ta), ob = op_of(tb);
	void *dA = g->buf[0].ptr, *dB = g->buf[1].ptr, *dC = g->buf[2].ptr;
	cublasStatus_t st;
	switch (prec) {
	case VACCEL_BLAS_S: {
		float fa = (float)al[0], fb = (float)be[0];
		st = cublasSgemm(g->blas, oa, ob, (int)m, (int)n, (int)k, &fa,
				 dA, lda, dB, ldb, &fb, dC, ldc);
		break;
	}
	case VACCEL_BLAS_D:
		st = cublasDgemm(g->blas, oa, ob, (int)m, (int)n, (int)k,
				 &al[0], dA, lda, dB, ldb, &be[0], dC, ldc);
		break;
	case VACCEL_BLAS_C: {
		cuComplex ca = {(float)al[0], (float)al[1]},
			  cb = {(float)be[0], (float)be[1]};
		st = cublasCgemm(g->blas, oa, ob, (int)m, (int)n, (int)k, &ca,
				 dA, lda, dB, ldb, &cb, dC, ldc);
		break;
	}
	default: {
		cuDoubleComplex za = {al[0], al[1]}, zb = {be[0], be[1]};
		st = cublasZgemm(g->blas, oa, ob, (int)m, (int)n, (int)k, &za,
				 dA, lda, dB, ldb, &zb, dC, ldc);
	}
	}
	if (st != CUBLAS_STATUS_SUCCESS) {
		vaccel_log(VACCEL_LOG_ERROR, TAG, "gemm: cuBLAS: %s",
			   cublasGetStatusString(st));
		ret = VACCEL_EBACKEND;
		goto unlock;
	}
	if (m && n &&
	    cudaMemcpy2DAsync((void *)C.host, (size_t)C.ld * es, dC,
			      (size_t)m * es, (size_t)m * es, (size_t)n,
			      cudaMemcpyDeviceToHost, g->stream) != cudaSuccess)
		ret = VACCEL_EBACKEND;
	cudaError_t e = cudaStreamSynchronize(g->stream);
	if (!ret && e != cudaSuccess) {
		vaccel_log(VACCEL_LOG_ERROR, TAG, "gemm: %s",
			   cudaGetErrorString(e));
		ret = VACCEL_EBACKEND;
	}
unlock:
	pthread_mutex_unlock(&g->lock);
	return ret;
}

static const struct vaccel_plugin_op cuda_ops[] = {
    {VACCEL_OPID_GEMM, gemm},
};

VACCEL_PLUGIN_DEFINE(.name = "cuda", .version = "0.1",
		     .type = VACCEL_PLUGIN_GPU,
		     .priv_size = sizeof(struct cuda), .init = cuda_init,
		     .fini = cuda_fini, .ops = cuda_ops,
		     .nr_ops = sizeof(cuda_ops) / sizeof(cuda_ops[0]),
		     /* beside a CPU BLAS, calls from 2 * 512^3 flops (a
		      * 512 x 512 x 512 real gemm): below it the matrices'
		      * trips over PCIe cost more than the CPU's work */
		     .min_cost = UINT64_C(1) << 28);
