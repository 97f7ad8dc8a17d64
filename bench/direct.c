// SPDX-License-Identifier: Apache-2.0
/*
 * The baseline of the in-process dispatch benchmark: noop-like functions
 * in their own shared object, which vaccel-bench calls through function
 * pointers (as a program calls a library it loaded), with the arguments
 * of vaccel_noop() and vaccel_sgemm().
 */
__attribute__((visibility("default"))) int bench_direct_noop(void *sess);
__attribute__((visibility("default"))) int
bench_direct_sgemm(void *sess, long long m, long long n, long long k,
		   float alpha, float *a, long long lda, float *b,
		   long long ldb, float beta, float *c, long long ldc);

int bench_direct_noop(void *sess)
{
	(void)sess;
	return 0;
}

int bench_direct_sgemm(void *sess, long long m, long long n, long long k,
		       float alpha, float *a, long long lda, float *b,
		       long long ldb, float beta, float *c, long long ldc)
{
	(void)sess, (void)m, (void)n, (void)k, (void)alpha, (void)a;
	(void)lda, (void)b, (void)ldb, (void)beta, (void)c, (void)ldc;
	return 0;
}
