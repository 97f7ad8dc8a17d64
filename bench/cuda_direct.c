// SPDX-License-Identifier: Apache-2.0
/*
 * vaccel-bench-cuda: the floor of the cuda plugin's figures, cuBLAS
 * called directly in this process on the same kind of call.
 *
 *   vaccel-bench-cuda gemm s|d N REPS
 *       square column-major N x N sgemm/dgemm, alpha 1, beta 0, from
 *       host memory (malloc'd, as a program's) to host memory: each timed
 *       call copies A and B to the device, multiplies and copies C back
 *       (the transfers a remote call also makes), on device buffers
 *       allocated once. One warm-up call, then REPS timed: median and
 *       min, one line of key=value figures as vaccel-bench-blas prints.
 */
#include "stats.h"
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what)
{
	fprintf(stderr, "vaccel-bench-cuda: %s\n", what);
	exit(1);
}

int main(int argc, char **argv)
{
	if (argc != 5 || strcmp(argv[1], "gemm") ||
	    (strcmp(argv[2], "s") && strcmp(argv[2], "d")))
		die("usage: vaccel-bench-cuda gemm s|d N REPS");
	bool dbl = argv[2][0] == 'd';
	size_t n = strtoul(argv[3], NULL, 10);
	unsigned int reps = (unsigned int)strtoul(argv[4], NULL, 10);
	if (!n || n > 65536 || !reps || reps > 1000)
		die("N in 1..65536, REPS in 1..1000");
	size_t es = dbl ? 8 : 4, bytes = n * n * es;
	char *a = malloc(bytes), *b = malloc(bytes), *c = malloc(bytes);
	if (!a || !b || !c)
		die("out of host memory");
	for (size_t i = 0; i < n * n; i++) {
		double v = (double)(i % 97) / 97.0 - 0.5;
		if (dbl) {
			((double *)a)[i] = v;
			((double *)b)[i] = -v;
		} else {
			((float *)a)[i] = (float)v;
			((float *)b)[i] = (float)-v;
		}
	}
	int devices = 0;
	cudaError_t e = cudaGetDeviceCount(&devices);
	if (e != cudaSuccess || !devices) {
		fprintf(stderr, "vaccel-bench-cuda: no CUDA device here (%s)\n",
			e != cudaSuccess ? cudaGetErrorString(e)
					 : "no device found");
		return 1;
	}
	void *da, *db, *dc;
	cublasHandle_t h;
	if (cudaMalloc(&da, bytes) || cudaMalloc(&db, bytes) ||
	    cudaMalloc(&dc, bytes))
		die("out of device memory");
	if (cublasCreate(&h) != CUBLAS_STATUS_SUCCESS)
		die("cuBLAS does not start");
	uint64_t *t = calloc(reps, sizeof(*t));
	const double one = 1, zero = 0;
	const float onef = 1, zerof = 0;
	int ni = (int)n;
	for (unsigned int r = 0; r <= reps; r++) {
		uint64_t t0 = bench_now_ns();
		cudaMemcpy(da, a, bytes, cudaMemcpyHostToDevice);
		cudaMemcpy(db, b, bytes, cudaMemcpyHostToDevice);
		cublasStatus_t st =
		    dbl ? cublasDgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, ni, ni, ni,
				      &one, da, ni, db, ni, &zero, dc, ni)
			: cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, ni, ni, ni,
				      &onef, da, ni, db, ni, &zerof, dc, ni);
		if (st != CUBLAS_STATUS_SUCCESS)
			die("cuBLAS gemm failed");
		if (cudaMemcpy(c, dc, bytes, cudaMemcpyDeviceToHost))
			die("the copy back failed");
		if (r)
			t[r - 1] = bench_now_ns() - t0;
	}
	struct bench_stats s = bench_stats(t, reps);
	double flops = 2.0 * (double)n * (double)n * (double)n;
	printf("cuda prec=%c n=%zu reps=%u p50_ms=%.6g min_ms=%.6g "
	       "gflops=%.6g\n",
	       argv[2][0], n, reps, s.p50 / 1e6, s.min / 1e6, flops / s.p50);
	cublasDestroy(h);
	cudaFree(da);
	cudaFree(db);
	cudaFree(dc);
	free(t);
	free(a);
	free(b);
	free(c);
	return 0;
}
