// SPDX-License-Identifier: Apache-2.0
/*
 * The cuda plugin, loaded before openblas (meson sets VACCEL_PLUGINS to
 * both, in that order, and VACCEL_LOG_LEVEL to warn).
 *
 * Without a CUDA device (or driver): the plugin declines at load with one
 * log line saying why, gemm is served by openblas, and a gemm's result is
 * right. With a device: gemm is the cuda plugin's, and its results in
 * every precision and layout match OpenBLAS's within 10 n eps. Each test
 * skips, saying why, where the other case holds.
 */
#include "capture.h"
#include <cblas.h>
#include <complex.h>
#include <criterion/criterion.h>
#include <cuda_runtime.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <vaccel/remote.h>

/* Whether a device is there, and what CUDA says when it is not. */
static bool have_device(const char **why)
{
	int n = 0;
	cudaError_t e = cudaGetDeviceCount(&n);
	*why = e != cudaSuccess ? cudaGetErrorString(e) : "no device found";
	return e == cudaSuccess && n > 0;
}

Test(cuda, declines_without_a_device)
{
	const char *why;
	if (have_device(&why))
		cr_skip_test(
		    "a CUDA device is here: the plugin serves, it does "
		    "not decline (cuda::gemm_matches_openblas)");
	struct capture cap;
	capture_begin(&cap);
	/* the first call bootstraps from VACCEL_PLUGINS */
	const char *who = vaccel_plugin_for_op(VACCEL_OPID_GEMM, 0);
	char *log = capture_end(&cap);
	cr_assert_str_eq(who ? who : "(none)", "openblas",
			 "gemm goes to %s, want openblas",
			 who ? who : "nobody");
	cr_expect_not_null(strstr(log, "cuda: no CUDA device here"),
			   "no decline line; the log was: %s", log);
	cr_expect_not_null(strstr(log, why), "the line lacks CUDA's '%s': %s",
			   why, log);
	/* one line, and no error from the loader */
	const char *first = strstr(log, "cuda:");
	cr_expect(first && !strstr(first + 1, "cuda:"),
		  "more than one line: %s", log);
	cr_expect_null(strstr(log, "ERROR"), "an error was logged: %s", log);
	free(log);

	/* the call itself, served by openblas: C = A B, row-major 2x2 */
	struct vaccel_session sess;
	cr_assert_eq(vaccel_session_init(&sess, 0), VACCEL_OK);
	float a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8}, c[4] = {0};
	cr_assert_eq(vaccel_sgemm(&sess, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2),
		     VACCEL_OK);
	const float want[4] = {19, 22, 43, 50};
	for (int i = 0; i < 4; i++)
		cr_expect_eq(c[i], want[i], "c[%d] = %g, want %g", i, c[i],
			     want[i]);
	cr_assert_eq(vaccel_session_release(&sess), VACCEL_OK);
}

static const size_t elem_size[4] = {4, 8, 8, 16};

static void fill(void *p, size_t n, int prec, unsigned int seed)
{
	srand(seed);
	size_t reals = n * (prec >= VACCEL_BLAS_C ? 2 : 1);
	for (size_t i = 0; i < reals; i++) {
		double v = (double)rand() / RAND_MAX - 0.5;
		if (prec == VACCEL_BLAS_S || prec == VACCEL_BLAS_C)
			((float *)p)[i] = (float)v;
		else
			((double *)p)[i] = v;
	}
}

static double get(const void *p, size_t i, int prec)
{
	return prec == VACCEL_BLAS_S || prec == VACCEL_BLAS_C
		   ? (double)((const float *)p)[i]
		   : ((const double *)p)[i];
}

static void ref_gemm(int prec, int layout, int ta, int tb, int n,
		     const double al[2], const void *a, const void *b,
		     const double be[2], void *c)
{
	float fa[2] = {(float)al[0], (float)al[1]},
	      fb[2] = {(float)be[0], (float)be[1]};
	switch (prec) {
	case VACCEL_BLAS_S:
		cblas_sgemm(layout, ta, tb, n, n, n, fa[0], a, n, b, n, fb[0],
			    c, n);
		break;
	case VACCEL_BLAS_D:
		cblas_dgemm(layout, ta, tb, n, n, n, al[0], a, n, b, n, be[0],
			    c, n);
		break;
	case VACCEL_BLAS_C:
		cblas_cgemm(layout, ta, tb, n, n, n, fa, a, n, b, n, fb, c, n);
		break;
	default:
		cblas_zgemm(layout, ta, tb, n, n, n, al, a, n, b, n, be, c, n);
	}
}

Test(cuda, gemm_matches_openblas)
{
	const char *why;
	if (!have_device(&why))
		cr_skip_test("no CUDA device here (%s): the plugin declines "
			     "(cuda::declines_without_a_device)",
			     why);
	cr_assert_str_eq(vaccel_plugin_for_op(VACCEL_OPID_GEMM, 0), "cuda");
	struct vaccel_session sess;
	cr_assert_eq(vaccel_session_init(&sess, 0), VACCEL_OK);
	enum { N = 67 };
	const int layouts[2] = {VACCEL_BLAS_ROW, VACCEL_BLAS_COL};
	const int trans[3] = {VACCEL_BLAS_NOTRANS, VACCEL_BLAS_TRANS,
			      VACCEL_BLAS_CONJTRANS};
	const double al[2] = {0.75, -0.25}, be[2] = {0.5, 0.125};
	for (int prec = 0; prec < 4; prec++) {
		size_t bytes = (size_t)N * N * elem_size[prec];
		void *a = malloc(bytes), *b = malloc(bytes), *c = malloc(bytes),
		     *r = malloc(bytes);
		double eps = prec == VACCEL_BLAS_S || prec == VACCEL_BLAS_C
				 ? FLT_EPSILON
				 : DBL_EPSILON;
		size_t reals = (size_t)N * N * (prec >= VACCEL_BLAS_C ? 2 : 1);
		for (int l = 0; l < 2; l++)
			for (int x = 0; x < 3; x++)
				for (int y = 0; y < 3; y++) {
					fill(a, (size_t)N * N, prec, 1);
					fill(b, (size_t)N * N, prec, 2);
					fill(c, (size_t)N * N, prec, 3);
					memcpy(r, c, bytes);
					cr_assert_eq(vaccel_blas_gemm(
							 &sess, prec,
							 layouts[l], trans[x],
							 trans[y], N, N, N, al,
							 a, N, b, N, be, c, N),
						     VACCEL_OK);
					ref_gemm(prec, layouts[l], trans[x],
						 trans[y], N, al, a, b, be, r);
					for (size_t i = 0; i < reals; i++)
						cr_assert(
						    fabs(get(c, i, prec) -
							 get(r, i, prec)) <=
							10 * N * eps,
						    "prec %d layout %d trans "
						    "%d/%d: element %zu is %g, "
						    "OpenBLAS %g",
						    prec, layouts[l], trans[x],
						    trans[y], i,
						    get(c, i, prec),
						    get(r, i, prec));
				}
		free(a);
		free(b);
		free(c);
		free(r);
	}
	cr_assert_eq(vaccel_session_release(&sess), VACCEL_OK);
}
