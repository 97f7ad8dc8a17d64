// SPDX-License-Identifier: Apache-2.0
/*
 * The executor, white-box: the plugin's source is compiled into this test
 * (with the hand-made call table of callspecs_test.c in place of the
 * generated one) and its op function called with the test ops'
 * descriptors, which the core does not know. Every result is compared bit
 * for bit with OpenBLAS called directly on copies of the same data (same
 * library, OPENBLAS_NUM_THREADS=1, set by meson), inputs included. Then
 * the refusals: failed checks, unknown ops, missing libraries and
 * symbols, a bad table, the workspace limit, values that do not fit.
 *
 * Criterion runs each test in its own process, so each starts the plugin
 * afresh (after setting the environment it wants).
 */
#include "../ffi.c"
#include "callspecs_test.h"
#include <cblas.h>
#include <complex.h>
#include "capture.h"
#include "status.h"
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The Fortran entry points, as gfortran passes them. */
double ddot_(const int *n, const double *x, const int *incx, const double *y,
	     const int *incy);
void dgemv_(const char *trans, const int *m, const int *n, const double *alpha,
	    const double *a, const int *lda, const double *x, const int *incx,
	    const double *beta, double *y, const int *incy, size_t trans_len);
void cscal_(const int *n, const float complex *alpha, float complex *x,
	    const int *incx);
float complex cdotu_(const int *n, const float complex *x, const int *incx,
		     const float complex *y, const int *incy);
double complex zdotu_(const int *n, const double complex *x, const int *incx,
		      const double complex *y, const int *incy);
int isamax_(const int *n, const float *x, const int *incx);
float snrm2_(const int *n, const float *x, const int *incx);
void dsyev_(const char *jobz, const char *uplo, const int *n, double *a,
	    const int *lda, double *w, double *work, const int *lwork,
	    int *info, size_t jobz_len, size_t uplo_len);


/* ---- fixture ----------------------------------------------------------- */

static struct ffi_priv st;

static void start(void)
{
	memset(&st, 0, sizeof(st));
	assert_ok(ffi_init(&st));
}

static void stop(void)
{
	ffi_fini(&st);
}

TestSuite(ffi, .fini = stop);

static int call(uint32_t id, struct vaccel_oparg *args)
{
	const struct vaccel_op_desc *op = test_op(id);
	cr_assert_not_null(op);
	return op_ffi(&st, NULL, op, args);
}

/* ---- arguments --------------------------------------------------------- */

static struct vaccel_oparg Int(int64_t v)
{
	struct vaccel_oparg a = {.v.i = v};
	return a;
}

static struct vaccel_oparg F32(float v) {
	struct vaccel_oparg a = {.v.f32 = v};
	return a;
}

static struct vaccel_oparg
F64(double v) {
	struct vaccel_oparg a = {.v.f64 = v};
	return a;
}

static struct vaccel_oparg
C64(float re, float im) {
	struct vaccel_oparg a = {.v.c64 = {re, im}};
	return a;
}

static struct vaccel_oparg
C128(double re, double im) {
	struct vaccel_oparg a = {.v.c128 = {re, im}};
	return a;
}

static struct vaccel_oparg
B(void *p, size_t bytes) {
	struct vaccel_oparg a = {.buf = p, .len = bytes};
	return a;
}

/* ---- data -------------------------------------------------------------- */

static uint64_t rng_state = 0x243f6a8885a308d3ull;

/* A value in [-1, 1) with a full mantissa's worth of noise. */
static double rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (double)(rng_state >> 11) / (double)(1ull << 52) - 1.0;
}

static double *dvec(size_t n)
{
	double *p = malloc(n * sizeof(*p) + 1);
	cr_assert_not_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = rnd();
	return p;
}

static float *svec(size_t n)
{
	float *p = malloc(n * sizeof(*p) + 1);
	cr_assert_not_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (float)rnd();
	return p;
}

static void *dup_of(const void *p, size_t bytes)
{
	void *q = malloc(bytes ? bytes : 1);
	cr_assert_not_null(q);
	memcpy(q, p, bytes);
	return q;
}

static size_t span(int n, int inc)
{
	return n ? (size_t)(n - 1) * (size_t)(inc < 0 ? -inc : inc) + 1 : 0;
}

#define expect_same(a, b, bytes, what)                                         \
	cr_expect(memcmp((a), (b), (bytes)) == 0, "%s differs", (what))

/* The call returns `want` and logs a line containing `needle` (or, with
 * needle NULL, nothing at ERROR level). */
#define expect_refused(expr, want, needle)                                     \
	do {                                                                   \
		char *l_;                                                      \
		expect_status_log(expr, want, needle, &l_);                    \
		if (!(needle))                                                 \
			cr_expect(!strstr(l_, "ERROR"),                        \
				  "%s: unexpected error log: %s", #expr, l_);  \
		free(l_);                                                      \
	} while (0)

/* ---- level 1: every C type ---------------------------------------------- */

Test(ffi, ddot_both_spellings)
{
	start();
	const int n = 37, incx = 2, incy = -3;
	const size_t nx = span(n, incx), ny = span(n, incy);
	double *x = dvec(nx), *y = dvec(ny);
	double *x0 = dup_of(x, nx * 8), *y0 = dup_of(y, ny * 8);
	double r1 = 0, r2 = 0;
	struct vaccel_oparg a[DOT_NR] = {
	    Int(n), B(x, nx * 8), Int(incx), B(y, ny * 8), Int(incy), B(&r1, 8),
	};

	assert_ok(call(T_CBLAS_DDOT, a));
	a[DOT_RES] = B(&r2, 8);
	assert_ok(call(T_DDOT, a));

	double want1 = cblas_ddot(n, x0, incx, y0, incy);
	double want2 = ddot_(&n, x0, &incx, y0, &incy);
	expect_same(&r1, &want1, 8, "cblas_ddot's result");
	expect_same(&r2, &want2, 8, "ddot_'s result");
	cr_expect_neq(r1, 0.0);
	expect_same(x, x0, nx * 8, "x");
	expect_same(y, y0, ny * 8, "y");
	free(x), free(y), free(x0), free(y0);
}

Test(ffi, float_by_value)
{
	start();
	const int n = 19, incx = 3;
	const size_t nx = span(n, incx);
	float *x = svec(nx), *ref = dup_of(x, nx * 4);
	struct vaccel_oparg a[SCAL_NR] = {Int(n), F32(1.1f), B(x, nx * 4),
					  Int(incx)};

	assert_ok(call(T_CBLAS_SSCAL, a));
	cblas_sscal(n, 1.1f, ref, incx);
	expect_same(x, ref, nx * 4, "x");
	free(x), free(ref);
}

Test(ffi, complex_scalars_by_pointer_and_reference)
{
	start();
	const int n = 23, incx = 2;
	const size_t nx = span(n, incx);
	double *z = dvec(2 * nx), *zref = dup_of(z, nx * 16);
	float *c = svec(2 * nx), *cref = dup_of(c, nx * 8);
	struct vaccel_oparg za[SCAL_NR] = {Int(n), C128(0.3, -1.7),
					   B(z, nx * 16), Int(incx)};
	struct vaccel_oparg ca[SCAL_NR] = {Int(n), C64(-0.6f, 2.25f),
					   B(c, nx * 8), Int(incx)};

	assert_ok(call(T_CBLAS_ZSCAL, za));
	assert_ok(call(T_CSCAL, ca));

	const double zalpha[2] = {0.3, -1.7};
	cblas_zscal(n, zalpha, zref, incx);
	const float complex calpha = CMPLXF(-0.6f, 2.25f);
	cscal_(&n, &calpha, (float complex *)cref, &incx);
	expect_same(z, zref, nx * 16, "zscal's x");
	expect_same(c, cref, nx * 8, "cscal_'s x");
	free(z), free(zref), free(c), free(cref);
}

Test(ffi, complex_results)
{
	start();
	const int n = 29, incx = 1, incy = -2;
	const size_t nx = span(n, incx), ny = span(n, incy);
	float *cx = svec(2 * nx), *cy = svec(2 * ny);
	double *zx = dvec(2 * nx), *zy = dvec(2 * ny);
	/* results travel in wire buffers, which need not be aligned */
	unsigned char cres[1 + 8], zres[1 + 16];
	struct vaccel_oparg a[DOT_NR] = {
	    Int(n),	   B(cx, nx * 8), Int(incx),
	    B(cy, ny * 8), Int(incy),	  B(cres + 1, 8),
	};

	assert_ok(call(T_CDOTU, a));
	a[DOT_X] = B(zx, nx * 16);
	a[DOT_Y] = B(zy, ny * 16);
	a[DOT_RES] = B(zres + 1, 16);
	assert_ok(call(T_ZDOTU, a));

	float complex cwant = cdotu_(&n, (const float complex *)cx, &incx,
				     (const float complex *)cy, &incy);
	double complex zwant = zdotu_(&n, (const double complex *)zx, &incx,
				      (const double complex *)zy, &incy);
	expect_same(cres + 1, &cwant, 8, "cdotu_'s result");
	expect_same(zres + 1, &zwant, 16, "zdotu_'s result");
	cr_expect_neq(cimagf(cwant), 0.0f);
	free(cx), free(cy), free(zx), free(zy);
}

Test(ffi, integer_and_float_results)
{
	start();
	const int n = 41, incx = 2;
	const size_t nx = span(n, incx);
	double *dx = dvec(nx);
	float *sx = svec(nx);
	uint64_t idx = 99;
	int32_t iidx = 99;
	float nrm = 0;
	struct vaccel_oparg a[AMAX_NR] = {Int(n), B(dx, nx * 8), Int(incx),
					  B(&idx, 8)};

	assert_ok(call(T_CBLAS_IDAMAX, a));
	a[AMAX_X] = B(sx, nx * 4);
	a[AMAX_RES] = B(&iidx, 4);
	assert_ok(call(T_ISAMAX, a));
	a[AMAX_RES] = B(&nrm, 4);
	assert_ok(call(T_SNRM2, a));

	size_t want_idx = cblas_idamax(n, dx, incx);
	int want_iidx = isamax_(&n, sx, &incx);
	float want_nrm = snrm2_(&n, sx, &incx);
	cr_expect_eq(idx, (uint64_t)want_idx, "idamax: %" PRIu64 " vs %zu", idx,
		     want_idx);
	cr_expect_eq(iidx, want_iidx, "isamax_: %d vs %d", iidx, want_iidx);
	expect_same(&nrm, &want_nrm, 4, "snrm2_'s result");
	free(dx), free(sx);
}

/* ---- level 2: CHARACTER arguments with hidden lengths ------------------- */

struct gemv_case {
	int m, n, lda, incx, incy;
	double *a, *x, *y;
	size_t na, nx, ny;
};

static void gemv_make(struct gemv_case *g, char trans, int m, int n, int incx,
		      int incy)
{
	bool nt = trans == 'N' || trans == 'n';
	g->m = m;
	g->n = n;
	g->lda = m + 3;
	g->incx = incx;
	g->incy = incy;
	g->na = (size_t)g->lda * (size_t)n;
	g->nx = span(nt ? n : m, incx);
	g->ny = span(nt ? m : n, incy);
	g->a = dvec(g->na);
	g->x = dvec(g->nx);
	g->y = dvec(g->ny);
}

static void gemv_free(struct gemv_case *g)
{
	free(g->a), free(g->x), free(g->y);
}

static void gemv_args(struct vaccel_oparg *a, struct gemv_case *g, char trans,
		      double *y)
{
	a[GEMV_TRANS] = Int(trans);
	a[GEMV_M] = Int(g->m);
	a[GEMV_N] = Int(g->n);
	a[GEMV_ALPHA] = F64(0.7);
	a[GEMV_A] = B(g->a, g->na * 8);
	a[GEMV_LDA] = Int(g->lda);
	a[GEMV_X] = B(g->x, g->nx * 8);
	a[GEMV_INCX] = Int(g->incx);
	a[GEMV_BETA] = F64(-1.3);
	a[GEMV_Y] = B(y, g->ny * 8);
	a[GEMV_INCY] = Int(g->incy);
}

Test(ffi, dgemv_fortran_hidden_length)
{
	start();
	const char transes[] = "NTCnt";
	for (const char *t = transes; *t; t++) {
		struct gemv_case g;
		gemv_make(&g, *t, 7, 5, *t == 'T' ? -2 : 1, 2);
		double *a0 = dup_of(g.a, g.na * 8), *x0 = dup_of(g.x, g.nx * 8);
		double *yref = dup_of(g.y, g.ny * 8);
		struct vaccel_oparg a[GEMV_NR];
		gemv_args(a, &g, *t, g.y);

		assert_ok(call(T_DGEMV, a));
		const double alpha = 0.7, beta = -1.3;
		dgemv_(t, &g.m, &g.n, &alpha, a0, &g.lda, x0, &g.incx, &beta,
		       yref, &g.incy, 1);
		expect_same(g.y, yref, g.ny * 8, "dgemv_'s y");
		expect_same(g.a, a0, g.na * 8, "dgemv_'s a");
		expect_same(g.x, x0, g.nx * 8, "dgemv_'s x");
		free(a0), free(x0), free(yref);
		gemv_free(&g);
	}
}

Test(ffi, cblas_dgemv_enums_by_value)
{
	start();
	const int layouts[2] = {CblasRowMajor, CblasColMajor};
	const int transes[2] = {CblasNoTrans, CblasTrans};
	for (int l = 0; l < 2; l++)
		for (int t = 0; t < 2; t++) {
			const int m = 6, n = 9, lda = 12;
			bool nt = transes[t] == CblasNoTrans;
			size_t na = (size_t)lda * (size_t)(l == 0 ? m : n);
			size_t nx = span(nt ? n : m, 1),
			       ny = span(nt ? m : n, 1);
			double *a = dvec(na), *x = dvec(nx), *y = dvec(ny);
			double *yref = dup_of(y, ny * 8);
			struct vaccel_oparg args[1 + GEMV_NR] = {
			    Int(layouts[l]), Int(transes[t]), Int(m),
			    Int(n),	     F64(1.5),	      B(a, na * 8),
			    Int(lda),	     B(x, nx * 8),    Int(1),
			    F64(0.25),	     B(y, ny * 8),    Int(1),
			};

			assert_ok(call(T_CBLAS_DGEMV, args));
			cblas_dgemv(layouts[l], transes[t], m, n, 1.5, a, lda,
				    x, 1, 0.25, yref, 1);
			expect_same(y, yref, ny * 8, "cblas_dgemv's y");
			free(a), free(x), free(y), free(yref);
		}
}

/* ---- LAPACK: a workspace, its query, INFO -------------------------------- */

static double *sym_matrix(int n, int lda)
{
	double *a = dvec((size_t)lda * (size_t)n);
	for (int j = 0; j < n; j++)
		for (int i = 0; i < j; i++)
			a[j * lda + i] = a[i * lda + j];
	return a;
}

static void syev_args(struct vaccel_oparg *a, char jobz, char uplo, int n,
		      double *m, int lda, double *w, double *work, int lwork,
		      int32_t *info)
{
	a[SYEV_JOBZ] = Int(jobz);
	a[SYEV_UPLO] = Int(uplo);
	a[SYEV_N] = Int(n);
	a[SYEV_A] = B(m, (size_t)lda * (size_t)n * 8);
	a[SYEV_LDA] = Int(lda);
	a[SYEV_W] = B(w, (size_t)n * 8);
	a[SYEV_WORK] = B(work, 8);
	a[SYEV_LWORK] = Int(lwork);
	a[SYEV_INFO] = B(info, 4);
}

Test(ffi, dsyev_workspace_query_then_call)
{
	start();
	const int n = 24, lda = 26;
	double *m = sym_matrix(n, lda);
	double *mref = dup_of(m, (size_t)lda * n * 8);
	double *w = calloc(n, 8), *wref = calloc(n, 8);
	double work = -1, qref = -1;
	int32_t info = 99;
	int iref = 99, minus1 = -1;
	struct vaccel_oparg a[SYEV_NR];

	/* the query: lwork -1, the optimal size comes back in work */
	syev_args(a, 'V', 'U', n, m, lda, w, &work, -1, &info);
	assert_ok(call(T_DSYEV, a));
	dsyev_("V", "U", &n, mref, &lda, wref, &qref, &minus1, &iref, 1, 1);
	expect_same(&work, &qref, 8, "the optimal lwork");
	cr_expect_eq(info, 0);
	cr_expect_geq(work, 3.0 * n - 1);

	/* the call with it: eigenvalues, eigenvectors, INFO, work[0] */
	const int lwork = (int)work;
	double *wk = calloc((size_t)lwork, 8);
	cr_assert_not_null(wk);
	syev_args(a, 'V', 'U', n, m, lda, w, &work, lwork, &info);
	assert_ok(call(T_DSYEV, a));
	dsyev_("V", "U", &n, mref, &lda, wref, wk, &lwork, &iref, 1, 1);
	cr_expect_eq(info, iref);
	cr_expect_eq(info, 0);
	expect_same(w, wref, (size_t)n * 8, "the eigenvalues");
	expect_same(m, mref, (size_t)lda * n * 8, "the eigenvectors");
	expect_same(&work, &wk[0], 8, "work[0]");
	cr_expect_lt(w[0], w[n - 1]);
	free(m), free(mref), free(w), free(wref), free(wk);
}

/* ---- refusals --------------------------------------------------------------
 */

Test(ffi, failed_check_is_einval)
{
	start();
	struct gemv_case g;
	gemv_make(&g, 'N', 4, 3, 1, 1);
	double *y0 = dup_of(g.y, g.ny * 8);
	struct vaccel_oparg a[GEMV_NR];

	gemv_args(a, &g, 'X', g.y);
	expect_refused(call(T_DGEMV, a), VACCEL_EINVAL, "dgemv_: parameter 1 ");
	gemv_args(a, &g, 'N', g.y);
	a[GEMV_LDA] = Int(3);
	expect_refused(call(T_DGEMV, a), VACCEL_EINVAL, "dgemv_: parameter 6 ");
	a[GEMV_LDA] = Int(g.lda);
	a[GEMV_INCY] = Int(0);
	expect_refused(call(T_DGEMV, a), VACCEL_EINVAL,
		       "dgemv_: parameter 11 ");
	expect_same(g.y, y0, g.ny * 8, "y after refusals");

	double m[16] = {0}, w[4] = {0}, work = 0;
	int32_t info = 7;
	struct vaccel_oparg s[SYEV_NR];
	syev_args(s, 'V', 'U', 4, m, 4, w, &work, 2, &info);
	expect_refused(call(T_DSYEV, s), VACCEL_EINVAL, "dsyev_: parameter 8 ");
	syev_args(s, 'V', 'X', 4, m, 4, w, &work, 20, &info);
	expect_refused(call(T_DSYEV, s), VACCEL_EINVAL, "dsyev_: parameter 2 ");
	cr_expect_eq(info, 7, "INFO written by a refused call");
	free(y0);
	gemv_free(&g);
}

Test(ffi, unknown_op_is_enotsup)
{
	start();
	const struct vaccel_op_desc other = {
	    .id = T_END + 7, .name = "t_other", .prec_arg = -1};

	expect_refused(op_ffi(&st, NULL, &other, NULL), VACCEL_ENOTSUP,
		       "op 't_other' (id 5024) has no host call");
}

Test(ffi, missing_symbol_and_library_are_enotsup)
{
	start();
	double x[4] = {1, 2, 3, 4}, r = 0;
	struct vaccel_oparg a[DOT_NR] = {Int(4),   B(x, 32), Int(1),
					 B(x, 32), Int(1),   B(&r, 8)};

	expect_refused(call(T_MISSING_SYM, a), VACCEL_ENOTSUP,
		       "vaccel_no_such_symbol_: no such symbol in "
		       "libopenblas.so.0");
	/* the failure is kept, and reported once */
	expect_refused(call(T_MISSING_SYM, a), VACCEL_ENOTSUP, NULL);
	expect_refused(call(T_MISSING_LIB, a), VACCEL_ENOTSUP,
		       "api 'nowhere': none of its host libraries loads "
		       "(libvaccel-no-such-library.so.9, "
		       "/nonexistent/libvaccel-none.so)");
	expect_refused(call(T_MISSING_LIB, a), VACCEL_ENOTSUP, NULL);
	cr_expect_eq(r, 0.0);
	/* the api that loads is unaffected */
	assert_ok(call(T_DDOT, a));
	cr_expect_eq(r, 30.0);
}

Test(ffi, table_mismatch_is_enotsup)
{
	start();
	double x[2] = {1, 2}, r = 0;
	struct vaccel_oparg a[DOT_NR] = {Int(2),   B(x, 16), Int(1),
					 B(x, 16), Int(1),   B(&r, 8)};

	expect_refused(call(T_MISMATCH, a), VACCEL_ENOTSUP,
		       "ddot_: the call table does not match op 't_mismatch'");
	expect_refused(call(T_MISMATCH, a), VACCEL_ENOTSUP, NULL);
}

Test(ffi, int_that_does_not_fit_is_enotsup)
{
	start();
	double x[2] = {1, 2}, r = 0;
	struct vaccel_oparg a[DOT_NR] = {Int(1ll << 40), B(x, 16), Int(1),
					 B(x, 16),	 Int(1),   B(&r, 8)};

	/* (the core would have refused the buffer lengths first; here the
	 * executor's own conversion is what is tested) */
	expect_refused(call(T_CBLAS_DDOT, a), VACCEL_ENOTSUP,
		       "cblas_ddot: n = 1099511627776 does not fit");
	a[DOT_N] = Int(2);
	a[DOT_INCY] = Int((int64_t)INT32_MIN - 1);
	expect_refused(call(T_CBLAS_DDOT, a), VACCEL_ENOTSUP,
		       "incy = -2147483649 does not fit");
	cr_expect_eq(r, 0.0);
}

Test(ffi, workspace_limit_is_enomem)
{
	cr_assert_eq(setenv("VACCEL_FFI_MAX_WORK", "4K", 1), 0);
	start();
	cr_expect_eq(st.max_work, 4096u);
	const int n = 10;
	double *m = sym_matrix(n, n), *m0 = dup_of(m, n * n * 8);
	double w[10] = {0}, work = 0;
	int32_t info = 7;
	struct vaccel_oparg a[SYEV_NR];

	/* 1000 doubles: 8000 bytes */
	syev_args(a, 'N', 'L', n, m, n, w, &work, 1000, &info);
	expect_refused(call(T_DSYEV, a), VACCEL_ENOMEM,
		       "(VACCEL_FFI_MAX_WORK)");
	expect_same(m, m0, n * n * 8, "a after a refusal");
	cr_expect_eq(info, 7);
	/* 512 doubles: exactly the limit */
	syev_args(a, 'N', 'L', n, m, n, w, &work, 512, &info);
	assert_ok(call(T_DSYEV, a));
	cr_expect_eq(info, 0);
	free(m), free(m0);
}

Test(ffi, workspace_limit_default_and_malformed)
{
	/* the warning's level: read once, on the first log call */
	cr_assert_eq(setenv("VACCEL_LOG_LEVEL", "warn", 1), 0);
	cr_assert_eq(unsetenv("VACCEL_FFI_MAX_WORK"), 0);
	start();
	cr_expect_eq(st.max_work, 1ull << 30);
	stop();

	cr_assert_eq(setenv("VACCEL_FFI_MAX_WORK", "12X", 1), 0);
	struct capture cap;
	capture_begin(&cap);
	memset(&st, 0, sizeof(st));
	int ret = ffi_init(&st);
	char *log = capture_end(&cap);
	cr_expect_eq(ret, VACCEL_OK);
	cr_expect_eq(st.max_work, 1ull << 30);
	cr_expect(strstr(log, "VACCEL_FFI_MAX_WORK='12X' is not a byte count"),
		  "log: %s", log);
	free(log);
}

Test(ffi, workspace_of_no_elements_is_einval)
{
	start();
	double m[4] = {1, 0, 0, 1}, w[2], work = 0;
	int32_t info = 7;
	struct vaccel_oparg a[SYEV_NR];

	syev_args(a, 'N', 'U', 2, m, 2, w, &work, 5, &info);
	expect_refused(call(T_BAD_WORK, a), VACCEL_EINVAL,
		       "dsyev_: workspace 'work' of -1 elements");
	cr_expect_eq(info, 7);
}

/* ---- threads: the first calls race to prepare and resolve -------------- */

#define NR_THREADS 8

static pthread_barrier_t barrier;

struct thread_job {
	struct gemv_case *g;
	double *y;
	int ret;
};

static void *gemv_thread(void *arg)
{
	struct thread_job *j = arg;
	struct vaccel_oparg a[GEMV_NR];

	gemv_args(a, j->g, 'T', j->y);
	pthread_barrier_wait(&barrier);
	j->ret = op_ffi(&st, NULL, test_op(T_DGEMV), a);
	return NULL;
}

Test(ffi, concurrent_first_calls)
{
	start();
	struct gemv_case g;
	gemv_make(&g, 'T', 33, 17, 1, 1);
	double *yref = dup_of(g.y, g.ny * 8);
	const double alpha = 0.7, beta = -1.3;
	dgemv_("T", &g.m, &g.n, &alpha, g.a, &g.lda, g.x, &g.incx, &beta, yref,
	       &g.incy, 1);

	pthread_t th[NR_THREADS];
	struct thread_job jobs[NR_THREADS];
	cr_assert_eq(pthread_barrier_init(&barrier, NULL, NR_THREADS), 0);
	for (int i = 0; i < NR_THREADS; i++) {
		jobs[i] =
		    (struct thread_job){.g = &g, .y = dup_of(g.y, g.ny * 8)};
		cr_assert_eq(
		    pthread_create(&th[i], NULL, gemv_thread, &jobs[i]), 0);
	}
	for (int i = 0; i < NR_THREADS; i++) {
		pthread_join(th[i], NULL);
		cr_expect_eq(jobs[i].ret, VACCEL_OK, "thread %d: %s", i,
			     vaccel_error_to_str(jobs[i].ret));
		expect_same(jobs[i].y, yref, g.ny * 8, "a thread's y");
		free(jobs[i].y);
	}
	pthread_barrier_destroy(&barrier);
	free(yref);
	gemv_free(&g);
}

/* ---- the ops table the core reads -----------------------------------------
 */

Test(ffi, ops_table)
{
	start();
	const size_t cap = sizeof(ffi_ops) / sizeof(ffi_ops[0]);
	size_t exec = 0, exec_res = 0, table = 0, want_table = 0;

	for (unsigned int i = 0; i < vaccel_callspecs_count; i++)
		want_table += vaccel_callspecs[i].op_id < VACCEL_OPID_LIMIT;
	for (size_t i = 0; i < cap; i++) {
		const struct vaccel_plugin_op *o = &ffi_ops[i];
		if (!o->fn) {
			cr_expect_eq(o->op_id, 0u);
			continue;
		}
		exec += o->op_id == VACCEL_OPID_EXEC && o->fn == op_exec;
		exec_res += o->op_id == VACCEL_OPID_EXEC_WITH_RESOURCE &&
			    o->fn == op_exec_with_resource;
		if (o->fn == op_ffi) {
			table++;
			cr_expect_geq(cs_find(o->op_id), 0);
		}
	}
	cr_expect_eq(exec, 1u);
	cr_expect_eq(exec_res, 1u);
	/* ids the core does not know are left out */
	cr_expect_eq(table, want_table);
	cr_expect_eq(cap, (size_t)VACCEL_OPID_LIMIT);
}
