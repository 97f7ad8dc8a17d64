// SPDX-License-Identifier: Apache-2.0
/*
 * shim-blas-prog: an ordinary BLAS program, linked with -lopenblas, that
 * knows nothing of vAccel. The shim tests run it with and without
 * LD_PRELOAD=libvaccel-shim-blas.so and compare what it writes byte for
 * byte; scripts/run uses it as the C example of an unmodified program.
 *
 *   shim-blas-prog [-n N] [-i ITERS] [-p PAUSE] [-o FILE]
 *
 * It calls cblas_dgemm and dgemm_ on N x N matrices (default 512), a few
 * level 1 and level 2 routines in both spellings, then ITERS more dgemm
 * calls (alternating the spellings), each feeding the next. After PAUSE of
 * those iterations it prints "paused" and waits for a line on stdin (the
 * test kills the agent there). Every result is printed as a checksum and,
 * with -o, written to FILE in the order printed. The last line is "done".
 */
#include <cblas.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The Fortran spellings, with gfortran's hidden CHARACTER lengths. */
void dgemm_(const char *transa, const char *transb, const int *m, const int *n,
	    const int *k, const double *alpha, const double *a, const int *lda,
	    const double *b, const int *ldb, const double *beta, double *c,
	    const int *ldc, size_t transa_len, size_t transb_len);
void dgemv_(const char *trans, const int *m, const int *n, const double *alpha,
	    const double *a, const int *lda, const double *x, const int *incx,
	    const double *beta, double *y, const int *incy, size_t trans_len);
double ddot_(const int *n, const double *x, const int *incx, const double *y,
	     const int *incy);
void daxpy_(const int *n, const double *alpha, const double *x, const int *incx,
	    double *y, const int *incy);

static FILE *out_file;

/* FNV-1a over the bytes: equal outputs print equal checksums. */
static uint64_t fnv1a(const void *p, size_t len)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Print a result's checksum and sum; append its bytes to the output. */
static int emit(const char *what, const double *v, size_t count)
{
	double sum = 0;
	for (size_t i = 0; i < count; i++)
		sum += v[i];
	printf("%-24s fnv=%016" PRIx64 " sum=%.17g\n", what,
	       fnv1a(v, count * sizeof(*v)), sum);
	fflush(stdout);
	if (out_file && fwrite(v, sizeof(*v), count, out_file) != count) {
		fprintf(stderr, "shim-blas-prog: writing the output: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

/* Deterministic values in [-1, 1): a 64-bit LCG, the same on every run. */
static void fill(double *v, size_t count, uint64_t seed)
{
	uint64_t s = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	for (size_t i = 0; i < count; i++) {
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		v[i] = (double)(s >> 11) / (double)(1ULL << 52) - 1.0;
	}
}

static int parse_int(const char *s, int min, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > 1 << 20)
		return -1;
	*out = (int)v;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: shim-blas-prog [-n N] [-i ITERS] [-p PAUSE] "
		   "[-o FILE]\n");
}

int main(int argc, char **argv)
{
	int n = 512, iters = 0, pause_after = -1;
	const char *out_path = NULL;
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i];
		if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (i + 1 >= argc)
			goto bad_usage;
		const char *val = argv[++i];
		if (strcmp(opt, "-n") == 0) {
			if (parse_int(val, 1, &n))
				goto bad_usage;
		} else if (strcmp(opt, "-i") == 0) {
			if (parse_int(val, 0, &iters))
				goto bad_usage;
		} else if (strcmp(opt, "-p") == 0) {
			if (parse_int(val, 0, &pause_after))
				goto bad_usage;
		} else if (strcmp(opt, "-o") == 0) {
			out_path = val;
		} else {
			goto bad_usage;
		}
	}

	size_t nn = (size_t)n * (size_t)n;
	double *a = malloc(nn * sizeof(*a));
	double *b = malloc(nn * sizeof(*b));
	double *c = malloc(nn * sizeof(*c));
	double *x = malloc((size_t)n * sizeof(*x));
	double *y = malloc((size_t)n * sizeof(*y));
	if (!a || !b || !c || !x || !y) {
		fprintf(stderr, "shim-blas-prog: out of memory (n=%d)\n", n);
		goto free_all;
	}
	if (out_path) {
		out_file = fopen(out_path, "wb");
		if (!out_file) {
			fprintf(stderr, "shim-blas-prog: %s: %s\n", out_path,
				strerror(errno));
			goto free_all;
		}
	}
	fill(a, nn, 1);
	fill(b, nn, 2);
	fill(c, nn, 3);
	fill(x, (size_t)n, 4);
	fill(y, (size_t)n, 5);
	printf("shim-blas-prog n=%d iters=%d\n", n, iters);

	/* Level 3: both spellings, transposes on one side each. */
	cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0, a, n,
		    b, n, 0.5, c, n);
	if (emit("cblas_dgemm", c, nn))
		goto free_all;
	const double alpha = 0.75, beta = -0.25, one = 1.0, zero = 0.0;
	const int inc = 1, inc2 = 2, half = n / 2;
	dgemm_("T", "N", &n, &n, &n, &alpha, a, &n, b, &n, &beta, c, &n, 1, 1);
	if (emit("dgemm_", c, nn))
		goto free_all;

	/* Level 2. */
	cblas_dgemv(CblasRowMajor, CblasNoTrans, n, n, 1.0, c, n, x, 1, 0.5, y,
		    1);
	if (emit("cblas_dgemv", y, (size_t)n))
		goto free_all;
	dgemv_("T", &n, &n, &alpha, a, &n, y, &inc, &zero, x, &inc, 1);
	if (emit("dgemv_", x, (size_t)n))
		goto free_all;

	/* Level 1: a strided call among them. */
	double dots[4];
	dots[0] = cblas_ddot(n, x, 1, y, 1);
	dots[1] = ddot_(&half, x, &inc2, y, &inc2);
	cblas_daxpy(n, 0.125, x, 1, y, 1);
	daxpy_(&half, &one, y, &inc2, x, &inc2);
	dots[2] = cblas_dnrm2(n, x, 1);
	dots[3] = (double)cblas_idamax(n, y, 1);
	if (emit("ddot,ddot_,dnrm2,idamax", dots, 4) ||
	    emit("daxpy,daxpy_ x", x, (size_t)n) ||
	    emit("daxpy,daxpy_ y", y, (size_t)n))
		goto free_all;

	/* A chain of products, each feeding the next. */
	double scale = 1.0 / n;
	for (int it = 0; it < iters; it++) {
		if (it == pause_after) {
			printf("paused\n");
			fflush(stdout);
			char line[16];
			if (!fgets(line, sizeof(line), stdin)) {
				fprintf(stderr, "shim-blas-prog: stdin closed "
						"while paused\n");
				goto free_all;
			}
		}
		char what[32];
		if (it % 2 == 0) {
			cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans,
				    n, n, n, scale, a, n, c, n, 0.5, b, n);
			snprintf(what, sizeof(what), "iter %d cblas", it);
		} else {
			dgemm_("N", "T", &n, &n, &n, &scale, b, &n, a, &n,
			       &zero, c, &n, 1, 1);
			snprintf(what, sizeof(what), "iter %d f77", it);
		}
		if (emit(what, it % 2 == 0 ? b : c, nn))
			goto free_all;
	}
	if (out_file && fclose(out_file) != 0) {
		out_file = NULL;
		fprintf(stderr, "shim-blas-prog: closing %s: %s\n", out_path,
			strerror(errno));
		goto free_all;
	}
	out_file = NULL;
	printf("done\n");
	rc = 0;

free_all:
	if (out_file)
		fclose(out_file);
	free(a);
	free(b);
	free(c);
	free(x);
	free(y);
	return rc;

bad_usage:
	usage(stderr);
	return 2;
}
