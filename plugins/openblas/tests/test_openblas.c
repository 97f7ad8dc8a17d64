// SPDX-License-Identifier: Apache-2.0
/*
 * The openblas plugin, called through the native API (vaccel_blas_* and
 * vaccel_sgemm for level 3, vaccel_op_call for levels 1 and 2, which have
 * no native wrapper), against OpenBLAS called directly on copies of the
 * same inputs. Same library, OPENBLAS_NUM_THREADS=1 (set by meson): every
 * buffer, inputs included, must come back bit for bit identical. Then the
 * calls the plugin must refuse, with the exact error, one log line naming
 * the op and the argument, and no call to OpenBLAS's xerbla.
 *
 * meson sets VACCEL_PLUGINS to the plugin; the library bootstraps from the
 * environment on first use. Criterion runs each test in its own process.
 */
#include "symv_f77.h"
#include <cblas.h>
#include "capture.h"
#include "status.h"
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vaccel/remote.h>


enum {
	S = VACCEL_BLAS_S,
	D = VACCEL_BLAS_D,
	C = VACCEL_BLAS_C,
	Z = VACCEL_BLAS_Z
};
enum { ROW = CblasRowMajor, COL = CblasColMajor };
enum { NT = CblasNoTrans, TR = CblasTrans, CT = CblasConjTrans };
enum { UP = CblasUpper, LO = CblasLower };
enum { NU = CblasNonUnit, UN = CblasUnit };
enum { LE = CblasLeft, RI = CblasRight };

static const char prec_char[4] = {'s', 'd', 'c', 'z'};
static const size_t elem_size[4] = {4, 8, 8, 16};
static const int layouts[2] = {ROW, COL};
static const int transes[3] = {NT, TR, CT};

static bool is_complex(int prec)
{
	return prec == C || prec == Z;
}

/* ---- OpenBLAS's xerbla, replaced ---------------------------------------
 * OpenBLAS defines xerbla_ weak; this one (exported: export_dynamic)
 * takes its place, so a test can see whether OpenBLAS rejected a call.
 */
static int xerbla_calls;
static char xerbla_name[8];
static int xerbla_info;

int xerbla_(char *name, blasint *info, blasint len);
int xerbla_(char *name, blasint *info, blasint len)
{
	(void)len;
	snprintf(xerbla_name, sizeof(xerbla_name), "%.6s", name);
	xerbla_info = (int)*info;
	xerbla_calls++;
	return 0;
}

/* ---- fixture ----------------------------------------------------------- */

static struct vaccel_session sess;

static void setup(void)
{
	assert_ok(vaccel_session_init(&sess, 0));
}

static void teardown(void)
{
	vaccel_session_release(&sess);
	vaccel_cleanup();
}

TestSuite(openblas, .init = setup, .fini = teardown);

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

/* Elements spanned by a stored rows x cols matrix (the spec's mat()). */
static int64_t mat_elems(int lay, int64_t ld, int64_t rows, int64_t cols)
{
	if (!rows || !cols)
		return 0;
	return lay == COL ? ld * (cols - 1) + rows : ld * (rows - 1) + cols;
}

/* Elements spanned by an n-vector with stride inc (the spec's vec()). */
static int64_t vec_elems(int64_t n, int64_t inc)
{
	return n ? (n - 1) * (inc < 0 ? -inc : inc) + 1 : 0;
}

/* A leading dimension two larger than the minimum, so padding is there. */
static int64_t ld_for(int lay, int64_t rows, int64_t cols)
{
	return (lay == COL ? rows : cols) + 2;
}

/*
 * The buffers of one call: each filled with random values, with a copy
 * for the direct OpenBLAS call. check() compares every pair and frees
 * them.
 */
struct bufs {
	unsigned int n;
	void *p[4];
	void *ref[4];
	size_t bytes[4];
};

static void *add_buf(struct bufs *b, int prec, int64_t nelem)
{
	cr_assert_lt(b->n, 4u);
	size_t bytes = (size_t)nelem * elem_size[prec];
	size_t nscal = (size_t)nelem * (is_complex(prec) ? 2 : 1);
	void *p = malloc(bytes ? bytes : 1);
	cr_assert_not_null(p);
	for (size_t i = 0; i < nscal; i++) {
		if (prec == S || prec == C)
			((float *)p)[i] = (float)rnd();
		else
			((double *)p)[i] = rnd();
	}
	b->p[b->n] = p;
	b->ref[b->n] = malloc(bytes ? bytes : 1);
	cr_assert_not_null(b->ref[b->n]);
	memcpy(b->ref[b->n], p, bytes);
	b->bytes[b->n] = bytes;
	return b->p[b->n++];
}

/* Make the n x n triangle of a square matrix well conditioned (diagonal
 * much larger than the rest) so solves stay finite. */
static void strengthen_diag(int prec, void *a, int64_t ld, int64_t n)
{
	for (int64_t i = 0; i < n; i++) {
		size_t at = (size_t)(i * ld + i) * (is_complex(prec) ? 2 : 1);
		if (prec == S || prec == C)
			((float *)a)[at] += 4.0f + (float)n;
		else
			((double *)a)[at] += 4.0 + (double)n;
	}
}

static unsigned int compared;

static void check(struct bufs *b, const char *what)
{
	for (unsigned int i = 0; i < b->n; i++) {
		cr_expect(memcmp(b->p[i], b->ref[i], b->bytes[i]) == 0,
			  "%s: buffer %u differs from OpenBLAS's", what, i);
		free(b->p[i]);
		free(b->ref[i]);
	}
	b->n = 0;
	compared++;
}

/* alpha and beta as the plugin gets them, and as OpenBLAS takes them. */
union scalar {
	float s;
	double d;
	float c[2];
	double z[2];
};

static union scalar sc(int prec, const double v[2])
{
	union scalar r;
	memset(&r, 0, sizeof(r));
	if (prec == S)
		r.s = (float)v[0];
	else if (prec == D)
		r.d = v[0];
	else if (prec == C)
		r.c[0] = (float)v[0], r.c[1] = (float)v[1];
	else
		r.z[0] = v[0], r.z[1] = v[1];
	return r;
}

static const double alpha[2] = {0.75, -0.5};
static const double beta[2] = {-1.25, 0.375};

/* ---- calling ops without a native wrapper ------------------------------ */

static struct vaccel_oparg a_int(int64_t v)
{
	return (struct vaccel_oparg){.v.i = v};
}

static struct vaccel_oparg a_cplx(const double v[2])
{
	return (struct vaccel_oparg){.v.c128 = {v[0], v[1]}};
}

static struct vaccel_oparg a_buf(void *p)
{
	return (struct vaccel_oparg){.buf = p};
}

/* vaccel_op_call with every sized buffer's length set from its rule. */
static int call_op(uint32_t id, struct vaccel_oparg *args)
{
	const struct vaccel_op_desc *op = vaccel_op_desc_by_id(id);
	cr_assert_not_null(op);
	for (uint32_t i = 0; i < op->nr_args; i++) {
		enum vaccel_arg_kind k = op->args[i].kind;
		if ((k != VACCEL_ARGK_IN && k != VACCEL_ARGK_OUT &&
		     k != VACCEL_ARGK_INOUT) ||
		    !op->args[i].nelems)
			continue;
		int64_t n = op->args[i].nelems(args);
		size_t es = vaccel_op_elem_size(op, args, i);
		args[i].len = n > 0 ? (uint64_t)n * es : 0;
	}
	return vaccel_op_call(&sess, id, args, op->nr_args);
}

/* ---- the plugin is there ----------------------------------------------- */

Test(openblas, serves_every_blas_op)
{
	static const uint32_t ids[] = {
	    VACCEL_OPID_GEMM,  VACCEL_OPID_SYMM, VACCEL_OPID_HEMM,
	    VACCEL_OPID_SYRK,  VACCEL_OPID_HERK, VACCEL_OPID_SYR2K,
	    VACCEL_OPID_HER2K, VACCEL_OPID_TRMM, VACCEL_OPID_TRSM,
	    VACCEL_OPID_GEMV,  VACCEL_OPID_GER,	 VACCEL_OPID_TRSV,
	    VACCEL_OPID_TRMV,  VACCEL_OPID_SYMV, VACCEL_OPID_AXPY,
	    VACCEL_OPID_SCAL,  VACCEL_OPID_DOT,	 VACCEL_OPID_NRM2,
	};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		const char *who = vaccel_plugin_for_op(ids[i], 0);
		cr_expect(who && strcmp(who, "openblas") == 0,
			  "op %s served by %s", vaccel_op_name(ids[i]),
			  who ? who : "nobody");
	}
	cr_expect_null(vaccel_plugin_for_op(VACCEL_OPID_EXEC, 0));
	cr_expect_null(vaccel_plugin_for_op(VACCEL_OPID_NOOP, 0));
}

/* The xerbla hook works: OpenBLAS called directly with a bad flag. */
Test(openblas, xerbla_hook_sees_openblas_rejections)
{
	float a = 1, b = 1, c = 1;
	cblas_sgemm(CblasColMajor, (enum CBLAS_TRANSPOSE)115, CblasNoTrans, 1,
		    1, 1, 1, &a, 1, &b, 1, 0, &c, 1);
	cr_expect_eq(xerbla_calls, 1);
	cr_expect_str_eq(xerbla_name, "SGEMM ");
	cr_expect_eq(xerbla_info, 1, "parameter %d", xerbla_info);
}

/* ---- level 3 ----------------------------------------------------------- */

/* vAccel's sgemm: row-major, as vAccel's examples call it (M, N, K all
 * different, padded rows), checked against a hand product (small integers:
 * exact) and against OpenBLAS. */
Test(openblas, sgemm)
{
	enum { M = 4, N = 3, K = 5, LDA = 6, LDB = 7, LDC = 5 };
	float a[M * LDA], b[K * LDB], c[M * LDC], c_ref[M * LDC];
	for (int i = 0; i < M * LDA; i++)
		a[i] = (float)(i % 7 - 3);
	for (int i = 0; i < K * LDB; i++)
		b[i] = (float)(i % 5 - 2);
	for (int i = 0; i < M * LDC; i++)
		c[i] = c_ref[i] = (float)(i % 3);
	float want[M * LDC];
	memcpy(want, c, sizeof(want));
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			float s = 0;
			for (int p = 0; p < K; p++)
				s += a[i * LDA + p] * b[p * LDB + j];
			want[i * LDC + j] = 2 * s + 0.5f * c[i * LDC + j];
		}

	assert_ok(
	    vaccel_sgemm(&sess, M, N, K, 2, a, LDA, b, LDB, 0.5f, c, LDC));
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 2, a,
		    LDA, b, LDB, 0.5f, c_ref, LDC);
	cr_expect(memcmp(c, c_ref, sizeof(c)) == 0, "differs from OpenBLAS");
	cr_expect(memcmp(c, want, sizeof(c)) == 0,
		  "differs from the hand product");
}

/* The exact call of vAccel's examples: lda = K, ldb = N, ldc = N, with
 * M, N and K all different (a column-major reading refuses it, since
 * lda = K < M). */
Test(openblas, sgemm_vaccel_example_form)
{
	enum { M = 37, N = 19, K = 23 };
	static float a[M * K], b[K * N], c[M * N];
	double want[M * N];
	for (int i = 0; i < M * K; i++)
		a[i] = (float)((i * 7) % 11 - 5);
	for (int i = 0; i < K * N; i++)
		b[i] = (float)((i * 3) % 13 - 6);
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			double s = 0;
			for (int p = 0; p < K; p++)
				s += (double)a[i * K + p] * b[p * N + j];
			want[i * N + j] = s;
		}
	assert_ok(vaccel_sgemm(&sess, M, N, K, 1, a, K, b, N, 0, c, N));
	for (int i = 0; i < M * N; i++)
		cr_assert_eq(c[i], (float)want[i], "C[%d] = %g, want %g", i,
			     (double)c[i], want[i]);
}

Test(openblas, gemm)
{
	/* k = 0: C is only scaled by beta */
	static const int64_t shapes[][3] = {{5, 3, 4}, {2, 6, 0}};
	char what[128];

	for (int prec = S; prec <= Z; prec++)
		for (int l = 0; l < 2; l++)
			for (int ta = 0; ta < 3; ta++)
				for (int tb = 0; tb < 3; tb++)
					for (int s = 0; s < 2; s++) {
						const int lay = layouts[l];
						const int tra = transes[ta],
							  trb = transes[tb];
						const int64_t m = shapes[s][0],
							      n = shapes[s][1],
							      k = shapes[s][2];
						const int64_t ar = tra == NT
								       ? m
								       : k,
							      ac = tra == NT
								       ? k
								       : m;
						const int64_t br = trb == NT
								       ? k
								       : n,
							      bc = trb == NT
								       ? n
								       : k;
						const int64_t lda =
						    ld_for(lay, ar, ac);
						const int64_t ldb =
						    ld_for(lay, br, bc);
						const int64_t ldc =
						    ld_for(lay, m, n);
						struct bufs bs = {0};
						void *a =
						    add_buf(&bs, prec,
							    mat_elems(lay, lda,
								      ar, ac));
						void *b =
						    add_buf(&bs, prec,
							    mat_elems(lay, ldb,
								      br, bc));
						void *c = add_buf(
						    &bs, prec,
						    mat_elems(lay, ldc, m, n));
						union scalar al = sc(prec,
								     alpha),
							     be =
								 sc(prec, beta);

						snprintf(what, sizeof(what),
							 "%cgemm layout %d %d "
							 "%d %ldx%ldx%ld",
							 prec_char[prec], lay,
							 tra, trb, (long)m,
							 (long)n, (long)k);
						expect_ret(vaccel_blas_gemm(
							       &sess, prec, lay,
							       tra, trb, m, n,
							       k, alpha, a, lda,
							       b, ldb, beta, c,
							       ldc),
							   VACCEL_OK);
						void **r = bs.ref;
						switch (prec) {
						case S:
							cblas_sgemm(
							    lay, tra, trb, m, n,
							    k, al.s, r[0], lda,
							    r[1], ldb, be.s,
							    r[2], ldc);
							break;
						case D:
							cblas_dgemm(
							    lay, tra, trb, m, n,
							    k, al.d, r[0], lda,
							    r[1], ldb, be.d,
							    r[2], ldc);
							break;
						case C:
							cblas_cgemm(
							    lay, tra, trb, m, n,
							    k, al.c, r[0], lda,
							    r[1], ldb, be.c,
							    r[2], ldc);
							break;
						default:
							cblas_zgemm(
							    lay, tra, trb, m, n,
							    k, al.z, r[0], lda,
							    r[1], ldb, be.z,
							    r[2], ldc);
						}
						check(&bs, what);
					}
	cr_expect_eq(compared, 4 * 2 * 3 * 3 * 2);
}

/* symm in every precision, hemm in the complex ones. */
static void symm_case(int prec, int lay, int side, int uplo, bool herm)
{
	const int64_t m = 5, n = 3, ka = side == LE ? m : n;
	const int64_t lda = ld_for(lay, ka, ka), ldb = ld_for(lay, m, n),
		      ldc = ld_for(lay, m, n) + 1;
	struct bufs bs = {0};
	void *a = add_buf(&bs, prec, mat_elems(lay, lda, ka, ka));
	void *b = add_buf(&bs, prec, mat_elems(lay, ldb, m, n));
	void *c = add_buf(&bs, prec, mat_elems(lay, ldc, m, n));
	union scalar al = sc(prec, alpha), be = sc(prec, beta);
	void **r = bs.ref;
	char what[96];

	snprintf(what, sizeof(what), "%c%s layout %d side %d uplo %d",
		 prec_char[prec], herm ? "hemm" : "symm", lay, side, uplo);
	if (herm)
		expect_ret(vaccel_blas_hemm(&sess, prec, lay, side, uplo, m, n,
					    alpha, a, lda, b, ldb, beta, c,
					    ldc),
			   VACCEL_OK);
	else
		expect_ret(vaccel_blas_symm(&sess, prec, lay, side, uplo, m, n,
					    alpha, a, lda, b, ldb, beta, c,
					    ldc),
			   VACCEL_OK);
	switch (prec) {
	case S:
		cblas_ssymm(lay, side, uplo, m, n, al.s, r[0], lda, r[1], ldb,
			    be.s, r[2], ldc);
		break;
	case D:
		cblas_dsymm(lay, side, uplo, m, n, al.d, r[0], lda, r[1], ldb,
			    be.d, r[2], ldc);
		break;
	case C:
		(herm ? cblas_chemm : cblas_csymm)(lay, side, uplo, m, n, al.c,
						   r[0], lda, r[1], ldb, be.c,
						   r[2], ldc);
		break;
	default:
		(herm ? cblas_zhemm : cblas_zsymm)(lay, side, uplo, m, n, al.z,
						   r[0], lda, r[1], ldb, be.z,
						   r[2], ldc);
	}
	check(&bs, what);
}

Test(openblas, symm)
{
	for (int prec = S; prec <= Z; prec++)
		for (int l = 0; l < 2; l++)
			for (int side = LE; side <= RI; side++)
				for (int uplo = UP; uplo <= LO; uplo++)
					symm_case(prec, layouts[l], side, uplo,
						  false);
	cr_expect_eq(compared, 4 * 2 * 2 * 2);
}

Test(openblas, hemm)
{
	for (int prec = C; prec <= Z; prec++)
		for (int l = 0; l < 2; l++)
			for (int side = LE; side <= RI; side++)
				for (int uplo = UP; uplo <= LO; uplo++)
					symm_case(prec, layouts[l], side, uplo,
						  true);
	cr_expect_eq(compared, 2 * 2 * 2 * 2);
}

/* syrk (two = false) and syr2k (two = true) in every precision and every
 * transpose the precision allows. */
static void syrk_case(int prec, int lay, int uplo, int tr, bool two)
{
	const int64_t n = 4, k = 6;
	const int64_t ar = tr == NT ? n : k, ac = tr == NT ? k : n;
	const int64_t lda = ld_for(lay, ar, ac), ldb = lda + 1,
		      ldc = ld_for(lay, n, n);
	struct bufs bs = {0};
	void *a = add_buf(&bs, prec, mat_elems(lay, lda, ar, ac));
	void *b = add_buf(&bs, prec, mat_elems(lay, ldb, ar, ac));
	void *c = add_buf(&bs, prec, mat_elems(lay, ldc, n, n));
	union scalar al = sc(prec, alpha), be = sc(prec, beta);
	void **r = bs.ref;
	char what[96];

	snprintf(what, sizeof(what), "%c%s layout %d uplo %d trans %d",
		 prec_char[prec], two ? "syr2k" : "syrk", lay, uplo, tr);
	if (two)
		expect_ret(vaccel_blas_syr2k(&sess, prec, lay, uplo, tr, n, k,
					     alpha, a, lda, b, ldb, beta, c,
					     ldc),
			   VACCEL_OK);
	else
		expect_ret(vaccel_blas_syrk(&sess, prec, lay, uplo, tr, n, k,
					    alpha, a, lda, beta, c, ldc),
			   VACCEL_OK);
	switch (prec) {
	case S:
		if (two)
			cblas_ssyr2k(lay, uplo, tr, n, k, al.s, r[0], lda, r[1],
				     ldb, be.s, r[2], ldc);
		else
			cblas_ssyrk(lay, uplo, tr, n, k, al.s, r[0], lda, be.s,
				    r[2], ldc);
		break;
	case D:
		if (two)
			cblas_dsyr2k(lay, uplo, tr, n, k, al.d, r[0], lda, r[1],
				     ldb, be.d, r[2], ldc);
		else
			cblas_dsyrk(lay, uplo, tr, n, k, al.d, r[0], lda, be.d,
				    r[2], ldc);
		break;
	case C:
		if (two)
			cblas_csyr2k(lay, uplo, tr, n, k, al.c, r[0], lda, r[1],
				     ldb, be.c, r[2], ldc);
		else
			cblas_csyrk(lay, uplo, tr, n, k, al.c, r[0], lda, be.c,
				    r[2], ldc);
		break;
	default:
		if (two)
			cblas_zsyr2k(lay, uplo, tr, n, k, al.z, r[0], lda, r[1],
				     ldb, be.z, r[2], ldc);
		else
			cblas_zsyrk(lay, uplo, tr, n, k, al.z, r[0], lda, be.z,
				    r[2], ldc);
	}
	check(&bs, what);
}

Test(openblas, syrk_and_syr2k)
{
	unsigned int want = 0;
	for (int two = 0; two < 2; two++)
		for (int prec = S; prec <= Z; prec++)
			for (int l = 0; l < 2; l++)
				for (int uplo = UP; uplo <= LO; uplo++)
					for (int t = 0; t < 3; t++) {
						/* complex syrk/syr2k take
						 * NoTrans or Trans only */
						if (is_complex(prec) &&
						    transes[t] == CT)
							continue;
						syrk_case(prec, layouts[l],
							  uplo, transes[t],
							  two);
						want++;
					}
	cr_expect_eq(compared, want);
	cr_expect_eq(want, 2 * 2 * 2 * (2 * 3 + 2 * 2));
}

/* herk (two = false) and her2k (two = true): complex, NoTrans/ConjTrans;
 * herk's alpha and beta and her2k's beta are real. */
static void herk_case(int prec, int lay, int uplo, int tr, bool two)
{
	const int64_t n = 5, k = 3;
	const int64_t ar = tr == NT ? n : k, ac = tr == NT ? k : n;
	const int64_t lda = ld_for(lay, ar, ac), ldb = lda + 3,
		      ldc = ld_for(lay, n, n);
	struct bufs bs = {0};
	void *a = add_buf(&bs, prec, mat_elems(lay, lda, ar, ac));
	void *b = add_buf(&bs, prec, mat_elems(lay, ldb, ar, ac));
	void *c = add_buf(&bs, prec, mat_elems(lay, ldc, n, n));
	union scalar al = sc(prec, alpha);
	const double ral = 0.625, rbe = -0.875;
	void **r = bs.ref;
	char what[96];

	snprintf(what, sizeof(what), "%c%s layout %d uplo %d trans %d",
		 prec_char[prec], two ? "her2k" : "herk", lay, uplo, tr);
	if (two)
		expect_ret(vaccel_blas_her2k(&sess, prec, lay, uplo, tr, n, k,
					     alpha, a, lda, b, ldb, rbe, c,
					     ldc),
			   VACCEL_OK);
	else
		expect_ret(vaccel_blas_herk(&sess, prec, lay, uplo, tr, n, k,
					    ral, a, lda, rbe, c, ldc),
			   VACCEL_OK);
	if (prec == C && two)
		cblas_cher2k(lay, uplo, tr, n, k, al.c, r[0], lda, r[1], ldb,
			     (float)rbe, r[2], ldc);
	else if (prec == C)
		cblas_cherk(lay, uplo, tr, n, k, (float)ral, r[0], lda,
			    (float)rbe, r[2], ldc);
	else if (two)
		cblas_zher2k(lay, uplo, tr, n, k, al.z, r[0], lda, r[1], ldb,
			     rbe, r[2], ldc);
	else
		cblas_zherk(lay, uplo, tr, n, k, ral, r[0], lda, rbe, r[2],
			    ldc);
	check(&bs, what);
}

Test(openblas, herk_and_her2k)
{
	for (int two = 0; two < 2; two++)
		for (int prec = C; prec <= Z; prec++)
			for (int l = 0; l < 2; l++)
				for (int uplo = UP; uplo <= LO; uplo++) {
					herk_case(prec, layouts[l], uplo, NT,
						  two);
					herk_case(prec, layouts[l], uplo, CT,
						  two);
				}
	cr_expect_eq(compared, 2 * 2 * 2 * 2 * 2);
}

/* trmm (solve = false) and trsm (solve = true). */
static void trxm_case(int prec, int lay, int side, int uplo, int ta, int diag,
		      bool solve)
{
	const int64_t m = 6, n = 3, ka = side == LE ? m : n;
	const int64_t lda = ld_for(lay, ka, ka), ldb = ld_for(lay, m, n);
	struct bufs bs = {0};
	void *a = add_buf(&bs, prec, mat_elems(lay, lda, ka, ka));
	strengthen_diag(prec, a, lda, ka);
	memcpy(bs.ref[0], a, bs.bytes[0]);
	void *b = add_buf(&bs, prec, mat_elems(lay, ldb, m, n));
	union scalar al = sc(prec, alpha);
	void **r = bs.ref;
	char what[128];

	snprintf(what, sizeof(what),
		 "%c%s layout %d side %d uplo %d trans %d diag %d",
		 prec_char[prec], solve ? "trsm" : "trmm", lay, side, uplo, ta,
		 diag);
	if (solve)
		expect_ret(vaccel_blas_trsm(&sess, prec, lay, side, uplo, ta,
					    diag, m, n, alpha, a, lda, b, ldb),
			   VACCEL_OK);
	else
		expect_ret(vaccel_blas_trmm(&sess, prec, lay, side, uplo, ta,
					    diag, m, n, alpha, a, lda, b, ldb),
			   VACCEL_OK);
	switch (prec) {
	case S:
		(solve ? cblas_strsm : cblas_strmm)(lay, side, uplo, ta, diag,
						    m, n, al.s, r[0], lda, r[1],
						    ldb);
		break;
	case D:
		(solve ? cblas_dtrsm : cblas_dtrmm)(lay, side, uplo, ta, diag,
						    m, n, al.d, r[0], lda, r[1],
						    ldb);
		break;
	case C:
		(solve ? cblas_ctrsm : cblas_ctrmm)(lay, side, uplo, ta, diag,
						    m, n, al.c, r[0], lda, r[1],
						    ldb);
		break;
	default:
		(solve ? cblas_ztrsm : cblas_ztrmm)(lay, side, uplo, ta, diag,
						    m, n, al.z, r[0], lda, r[1],
						    ldb);
	}
	check(&bs, what);
}

static void trxm_all(bool solve)
{
	for (int prec = S; prec <= Z; prec++)
		for (int l = 0; l < 2; l++)
			for (int side = LE; side <= RI; side++)
				for (int uplo = UP; uplo <= LO; uplo++)
					for (int t = 0; t < 3; t++)
						for (int diag = NU; diag <= UN;
						     diag++)
							trxm_case(prec,
								  layouts[l],
								  side, uplo,
								  transes[t],
								  diag, solve);
	cr_expect_eq(compared, 4 * 2 * 2 * 2 * 3 * 2);
}

Test(openblas, trmm)
{
	trxm_all(false);
}

Test(openblas, trsm)
{
	trxm_all(true);
}

/* ---- level 2 ----------------------------------------------------------- */

static const int64_t inc_pairs[][2] = {{1, 1}, {2, -3}, {-1, 2}};
#define NR_INC_PAIRS (sizeof(inc_pairs) / sizeof(inc_pairs[0]))

Test(openblas, gemv)
{
	const int64_t m = 5, n = 3;
	char what[96];

	for (int prec = S; prec <= Z; prec++)
		for (int l = 0; l < 2; l++)
			for (int t = 0; t < 3; t++)
				for (size_t p = 0; p < NR_INC_PAIRS; p++) {
					const int lay = layouts[l],
						  tr = transes[t];
					const int64_t incx = inc_pairs[p][0],
						      incy = inc_pairs[p][1];
					const int64_t lenx = tr == NT ? n : m,
						      leny = tr == NT ? m : n;
					const int64_t lda = ld_for(lay, m, n);
					struct bufs bs = {0};
					void *a =
					    add_buf(&bs, prec,
						    mat_elems(lay, lda, m, n));
					void *x = add_buf(
					    &bs, prec, vec_elems(lenx, incx));
					void *y = add_buf(
					    &bs, prec, vec_elems(leny, incy));
					union scalar al = sc(prec, alpha),
						     be = sc(prec, beta);
					void **r = bs.ref;
					struct vaccel_oparg
					    args[VACCEL_GEMV_NR_ARGS] = {
						[VACCEL_GEMV_PREC] = a_int(prec),
						[VACCEL_GEMV_LAYOUT] = a_int(lay),
						[VACCEL_GEMV_TRANS] = a_int(tr),
						[VACCEL_GEMV_M] = a_int(m),
						[VACCEL_GEMV_N] = a_int(n),
						[VACCEL_GEMV_ALPHA] = a_cplx(alpha),
						[VACCEL_GEMV_A] = a_buf(a),
						[VACCEL_GEMV_LDA] = a_int(lda),
						[VACCEL_GEMV_X] = a_buf(x),
						[VACCEL_GEMV_INCX] = a_int(incx),
						[VACCEL_GEMV_BETA] = a_cplx(beta),
						[VACCEL_GEMV_Y] = a_buf(y),
						[VACCEL_GEMV_INCY] = a_int(incy),
					    };

					snprintf(what, sizeof(what),
						 "%cgemv layout %d trans %d "
						 "inc %ld %ld",
						 prec_char[prec], lay, tr,
						 (long)incx, (long)incy);
					expect_ret(
					    call_op(VACCEL_OPID_GEMV, args),
					    VACCEL_OK);
					switch (prec) {
					case S:
						cblas_sgemv(lay, tr, m, n, al.s,
							    r[0], lda, r[1],
							    incx, be.s, r[2],
							    incy);
						break;
					case D:
						cblas_dgemv(lay, tr, m, n, al.d,
							    r[0], lda, r[1],
							    incx, be.d, r[2],
							    incy);
						break;
					case C:
						cblas_cgemv(lay, tr, m, n, al.c,
							    r[0], lda, r[1],
							    incx, be.c, r[2],
							    incy);
						break;
					default:
						cblas_zgemv(lay, tr, m, n, al.z,
							    r[0], lda, r[1],
							    incx, be.z, r[2],
							    incy);
					}
					check(&bs, what);
				}
	cr_expect_eq(compared, 4 * 2 * 3 * NR_INC_PAIRS);
}

Test(openblas, ger)
{
	const int64_t m = 4, n = 6;
	char what[96];

	for (int prec = S; prec <= Z; prec++)
		for (int l = 0; l < 2; l++)
			for (int conj = 0; conj < 2; conj++)
				for (size_t p = 0; p < NR_INC_PAIRS; p++) {
					const int lay = layouts[l];
					const int64_t incx = inc_pairs[p][0],
						      incy = inc_pairs[p][1];
					const int64_t lda = ld_for(lay, m, n);
					struct bufs bs = {0};
					void *x = add_buf(&bs, prec,
							  vec_elems(m, incx));
					void *y = add_buf(&bs, prec,
							  vec_elems(n, incy));
					void *a =
					    add_buf(&bs, prec,
						    mat_elems(lay, lda, m, n));
					union scalar al = sc(prec, alpha);
					void **r = bs.ref;
					struct vaccel_oparg
					    args[VACCEL_GER_NR_ARGS] = {
						[VACCEL_GER_PREC] = a_int(prec),
						[VACCEL_GER_LAYOUT] = a_int(lay),
						[VACCEL_GER_CONJ] = a_int(conj),
						[VACCEL_GER_M] = a_int(m),
						[VACCEL_GER_N] = a_int(n),
						[VACCEL_GER_ALPHA] = a_cplx(alpha),
						[VACCEL_GER_X] = a_buf(x),
						[VACCEL_GER_INCX] = a_int(incx),
						[VACCEL_GER_Y] = a_buf(y),
						[VACCEL_GER_INCY] = a_int(incy),
						[VACCEL_GER_A] = a_buf(a),
						[VACCEL_GER_LDA] = a_int(lda),
					    };

					snprintf(what, sizeof(what),
						 "%cger layout %d conj %d inc "
						 "%ld %ld",
						 prec_char[prec], lay, conj,
						 (long)incx, (long)incy);
					expect_ret(
					    call_op(VACCEL_OPID_GER, args),
					    VACCEL_OK);
					switch (prec) {
					case S:
						cblas_sger(lay, m, n, al.s,
							   r[0], incx, r[1],
							   incy, r[2], lda);
						break;
					case D:
						cblas_dger(lay, m, n, al.d,
							   r[0], incx, r[1],
							   incy, r[2], lda);
						break;
					case C:
						(conj ? cblas_cgerc
						      : cblas_cgeru)(
						    lay, m, n, al.c, r[0], incx,
						    r[1], incy, r[2], lda);
						break;
					default:
						(conj ? cblas_zgerc
						      : cblas_zgeru)(
						    lay, m, n, al.z, r[0], incx,
						    r[1], incy, r[2], lda);
					}
					check(&bs, what);
				}
	cr_expect_eq(compared, 4 * 2 * 2 * NR_INC_PAIRS);
}

/* trmv (solve = false) and trsv (solve = true). */
static void trxv_all(bool solve)
{
	static const int64_t incs[] = {1, -2, 3};
	const int64_t n = 6;
	const uint32_t id = solve ? VACCEL_OPID_TRSV : VACCEL_OPID_TRMV;
	char what[128];

	for (int prec = S; prec <= Z; prec++)
		for (int l = 0; l < 2; l++)
			for (int uplo = UP; uplo <= LO; uplo++)
				for (int t = 0; t < 3; t++)
					for (int diag = NU; diag <= UN; diag++)
						for (size_t i = 0; i < 3; i++) {
							const int
							    lay = layouts[l],
							    tr = transes[t];
							const int64_t
							    incx = incs[i],
							    lda = ld_for(lay, n,
									 n);
							struct bufs bs = {0};
							void *a = add_buf(
							    &bs, prec,
							    mat_elems(lay, lda,
								      n, n));
							strengthen_diag(prec, a,
									lda, n);
							memcpy(bs.ref[0], a,
							       bs.bytes[0]);
							void *x = add_buf(
							    &bs, prec,
							    vec_elems(n, incx));
							void **r = bs.ref;
							struct vaccel_oparg args[VACCEL_TRMV_NR_ARGS] = {
							    [VACCEL_TRMV_PREC] = a_int(prec),
							    [VACCEL_TRMV_LAYOUT] = a_int(lay),
							    [VACCEL_TRMV_UPLO] = a_int(uplo),
							    [VACCEL_TRMV_TRANS] = a_int(tr),
							    [VACCEL_TRMV_DIAG] = a_int(diag),
							    [VACCEL_TRMV_N] = a_int(n),
							    [VACCEL_TRMV_A] = a_buf(a),
							    [VACCEL_TRMV_LDA] = a_int(lda),
							    [VACCEL_TRMV_X] = a_buf(x),
							    [VACCEL_TRMV_INCX] = a_int(incx),
							};

							snprintf(
							    what, sizeof(what),
							    "%c%s layout %d "
							    "uplo %d trans %d "
							    "diag %d incx %ld",
							    prec_char[prec],
							    solve ? "trsv"
								  : "trmv",
							    lay, uplo, tr, diag,
							    (long)incx);
							expect_ret(
							    call_op(id, args),
							    VACCEL_OK);
							switch (prec) {
							case S:
								(solve
								     ? cblas_strsv
								     : cblas_strmv)(
								    lay, uplo,
								    tr, diag, n,
								    r[0], lda,
								    r[1], incx);
								break;
							case D:
								(solve
								     ? cblas_dtrsv
								     : cblas_dtrmv)(
								    lay, uplo,
								    tr, diag, n,
								    r[0], lda,
								    r[1], incx);
								break;
							case C:
								(solve
								     ? cblas_ctrsv
								     : cblas_ctrmv)(
								    lay, uplo,
								    tr, diag, n,
								    r[0], lda,
								    r[1], incx);
								break;
							default:
								(solve
								     ? cblas_ztrsv
								     : cblas_ztrmv)(
								    lay, uplo,
								    tr, diag, n,
								    r[0], lda,
								    r[1], incx);
							}
							check(&bs, what);
						}
	cr_expect_eq(compared, 4 * 2 * 2 * 3 * 2 * 3);
}

#define SAME_ARG(arg)                                                          \
	_Static_assert((int)VACCEL_TRMV_##arg == (int)VACCEL_TRSV_##arg,       \
		       "trmv and trsv differ in argument " #arg)
SAME_ARG(NR_ARGS);
SAME_ARG(PREC);
SAME_ARG(LAYOUT);
SAME_ARG(UPLO);
SAME_ARG(TRANS);
SAME_ARG(DIAG);
SAME_ARG(N);
SAME_ARG(A);
SAME_ARG(LDA);
SAME_ARG(X);
SAME_ARG(INCX);
#undef SAME_ARG

Test(openblas, trmv)
{
	trxv_all(false);
}

Test(openblas, trsv)
{
	trxv_all(true);
}

static void symv_call(int prec, int lay, int uplo, int64_t n, void *a,
		      int64_t lda, void *x, int64_t incx, void *y, int64_t incy)
{
	struct vaccel_oparg args[VACCEL_SYMV_NR_ARGS] = {
	    [VACCEL_SYMV_PREC] = a_int(prec),
	    [VACCEL_SYMV_LAYOUT] = a_int(lay),
	    [VACCEL_SYMV_UPLO] = a_int(uplo),
	    [VACCEL_SYMV_N] = a_int(n),
	    [VACCEL_SYMV_ALPHA] = a_cplx(alpha),
	    [VACCEL_SYMV_A] = a_buf(a),
	    [VACCEL_SYMV_LDA] = a_int(lda),
	    [VACCEL_SYMV_X] = a_buf(x),
	    [VACCEL_SYMV_INCX] = a_int(incx),
	    [VACCEL_SYMV_BETA] = a_cplx(beta),
	    [VACCEL_SYMV_Y] = a_buf(y),
	    [VACCEL_SYMV_INCY] = a_int(incy),
	};
	expect_ret(call_op(VACCEL_OPID_SYMV, args), VACCEL_OK);
}

/* Complex symv has no CBLAS form: the reference is OpenBLAS's Fortran
 * csymv_/zsymv_, which is what the plugin calls (row-major as the
 * column-major transpose); symv_row_major_semantics checks that mapping
 * independently. */
Test(openblas, symv)
{
	const int64_t n = 5;
	char what[96];

	for (int prec = S; prec <= Z; prec++)
		for (int l = 0; l < 2; l++)
			for (int uplo = UP; uplo <= LO; uplo++)
				for (size_t p = 0; p < NR_INC_PAIRS; p++) {
					const int lay = layouts[l];
					const int64_t incx = inc_pairs[p][0],
						      incy = inc_pairs[p][1];
					const int64_t lda = ld_for(lay, n, n);
					struct bufs bs = {0};
					void *a =
					    add_buf(&bs, prec,
						    mat_elems(lay, lda, n, n));
					void *x = add_buf(&bs, prec,
							  vec_elems(n, incx));
					void *y = add_buf(&bs, prec,
							  vec_elems(n, incy));
					union scalar al = sc(prec, alpha),
						     be = sc(prec, beta);
					void **r = bs.ref;
					const blasint fn = n, flda = lda,
						      fincx = incx,
						      fincy = incy;
					const char ul =
					    symv_f77_uplo(lay, uplo);

					snprintf(what, sizeof(what),
						 "%csymv layout %d uplo %d inc "
						 "%ld %ld",
						 prec_char[prec], lay, uplo,
						 (long)incx, (long)incy);
					symv_call(prec, lay, uplo, n, a, lda, x,
						  incx, y, incy);
					switch (prec) {
					case S:
						cblas_ssymv(lay, uplo, n, al.s,
							    r[0], lda, r[1],
							    incx, be.s, r[2],
							    incy);
						break;
					case D:
						cblas_dsymv(lay, uplo, n, al.d,
							    r[0], lda, r[1],
							    incx, be.d, r[2],
							    incy);
						break;
					case C:
						csymv_(&ul, &fn, al.c, r[0],
						       &flda, r[1], &fincx,
						       be.c, r[2], &fincy, 1);
						break;
					default:
						zsymv_(&ul, &fn, al.z, r[0],
						       &flda, r[1], &fincx,
						       be.z, r[2], &fincy, 1);
					}
					check(&bs, what);
				}
	cr_expect_eq(compared, 4 * 2 * 2 * NR_INC_PAIRS);
}

/* Row-major complex symv computes with the logical matrix: compare with
 * column-major on an explicit copy (different rounding: a tolerance). */
Test(openblas, symv_row_major_semantics)
{
	enum { N = 5, LDA = 7 };
	for (int uplo = UP; uplo <= LO; uplo++) {
		double a[LDA * N * 2], at[LDA * N * 2];
		double x[N * 2], y[N * 2], y_col[N * 2];
		for (int i = 0; i < LDA * N * 2; i++)
			a[i] = at[i] = rnd();
		for (int i = 0; i < N; i++)
			for (int j = 0; j < N; j++) {
				/* at column-major holds A(i,j) = a[i*LDA+j] */
				at[2 * (j * LDA + i)] = a[2 * (i * LDA + j)];
				at[2 * (j * LDA + i) + 1] =
				    a[2 * (i * LDA + j) + 1];
			}
		for (int i = 0; i < N * 2; i++)
			x[i] = rnd(), y[i] = y_col[i] = rnd();
		symv_call(Z, ROW, uplo, N, a, LDA, x, 1, y, 1);
		symv_call(Z, COL, uplo, N, at, LDA, x, 1, y_col, 1);
		for (int i = 0; i < N * 2; i++)
			cr_expect(fabs(y[i] - y_col[i]) < 1e-12,
				  "uplo %d element %d: %g vs %g", uplo, i / 2,
				  y[i], y_col[i]);
	}
}

/* ---- level 1 ----------------------------------------------------------- */

Test(openblas, axpy)
{
	const int64_t n = 7;
	char what[64];

	for (int prec = S; prec <= Z; prec++)
		for (size_t p = 0; p < NR_INC_PAIRS; p++) {
			const int64_t incx = inc_pairs[p][0],
				      incy = inc_pairs[p][1];
			struct bufs bs = {0};
			void *x = add_buf(&bs, prec, vec_elems(n, incx));
			void *y = add_buf(&bs, prec, vec_elems(n, incy));
			union scalar al = sc(prec, alpha);
			void **r = bs.ref;
			struct vaccel_oparg args[VACCEL_AXPY_NR_ARGS] = {
			    [VACCEL_AXPY_PREC] = a_int(prec),
			    [VACCEL_AXPY_N] = a_int(n),
			    [VACCEL_AXPY_ALPHA] = a_cplx(alpha),
			    [VACCEL_AXPY_X] = a_buf(x),
			    [VACCEL_AXPY_INCX] = a_int(incx),
			    [VACCEL_AXPY_Y] = a_buf(y),
			    [VACCEL_AXPY_INCY] = a_int(incy),
			};

			snprintf(what, sizeof(what), "%caxpy inc %ld %ld",
				 prec_char[prec], (long)incx, (long)incy);
			expect_ret(call_op(VACCEL_OPID_AXPY, args), VACCEL_OK);
			switch (prec) {
			case S:
				cblas_saxpy(n, al.s, r[0], incx, r[1], incy);
				break;
			case D:
				cblas_daxpy(n, al.d, r[0], incx, r[1], incy);
				break;
			case C:
				cblas_caxpy(n, al.c, r[0], incx, r[1], incy);
				break;
			default:
				cblas_zaxpy(n, al.z, r[0], incx, r[1], incy);
			}
			check(&bs, what);
		}
	cr_expect_eq(compared, 4 * NR_INC_PAIRS);
}

/* A negative incx leaves x alone (reference BLAS and OpenBLAS alike). */
Test(openblas, scal)
{
	static const int64_t incs[] = {1, 3, -2};
	const int64_t n = 6;
	char what[64];

	for (int prec = S; prec <= Z; prec++)
		for (size_t i = 0; i < 3; i++) {
			const int64_t incx = incs[i];
			struct bufs bs = {0};
			void *x = add_buf(&bs, prec, vec_elems(n, incx));
			union scalar al = sc(prec, alpha);
			void **r = bs.ref;
			struct vaccel_oparg args[VACCEL_SCAL_NR_ARGS] = {
			    [VACCEL_SCAL_PREC] = a_int(prec),
			    [VACCEL_SCAL_N] = a_int(n),
			    [VACCEL_SCAL_ALPHA] = a_cplx(alpha),
			    [VACCEL_SCAL_X] = a_buf(x),
			    [VACCEL_SCAL_INCX] = a_int(incx),
			};

			snprintf(what, sizeof(what), "%cscal incx %ld",
				 prec_char[prec], (long)incx);
			expect_ret(call_op(VACCEL_OPID_SCAL, args), VACCEL_OK);
			switch (prec) {
			case S:
				cblas_sscal(n, al.s, r[0], incx);
				break;
			case D:
				cblas_dscal(n, al.d, r[0], incx);
				break;
			case C:
				cblas_cscal(n, al.c, r[0], incx);
				break;
			default:
				cblas_zscal(n, al.z, r[0], incx);
			}
			check(&bs, what);
		}
	cr_expect_eq(compared, 4 * 3);
}

Test(openblas, dot)
{
	const int64_t n = 9;
	char what[64];

	for (int prec = S; prec <= Z; prec++)
		for (int conj = 0; conj < 2; conj++)
			for (size_t p = 0; p < NR_INC_PAIRS; p++) {
				const int64_t incx = inc_pairs[p][0],
					      incy = inc_pairs[p][1];
				struct bufs bs = {0};
				void *x =
				    add_buf(&bs, prec, vec_elems(n, incx));
				void *y =
				    add_buf(&bs, prec, vec_elems(n, incy));
				void **r = bs.ref;
				double got[2] = {-7, -7}, want[2] = {0, 0};
				float cw[2];
				struct vaccel_oparg args[VACCEL_DOT_NR_ARGS] = {
				    [VACCEL_DOT_PREC] = a_int(prec),
				    [VACCEL_DOT_CONJ] = a_int(conj),
				    [VACCEL_DOT_N] = a_int(n),
				    [VACCEL_DOT_X] = a_buf(x),
				    [VACCEL_DOT_INCX] = a_int(incx),
				    [VACCEL_DOT_Y] = a_buf(y),
				    [VACCEL_DOT_INCY] = a_int(incy),
				    [VACCEL_DOT_RESULT] = a_buf(got),
				};

				snprintf(what, sizeof(what),
					 "%cdot conj %d inc %ld %ld",
					 prec_char[prec], conj, (long)incx,
					 (long)incy);
				expect_ret(call_op(VACCEL_OPID_DOT, args),
					   VACCEL_OK);
				switch (prec) {
				case S:
					want[0] = cblas_sdot(n, r[0], incx,
							     r[1], incy);
					break;
				case D:
					want[0] = cblas_ddot(n, r[0], incx,
							     r[1], incy);
					break;
				case C:
					(conj ? cblas_cdotc_sub
					      : cblas_cdotu_sub)(
					    n, r[0], incx, r[1], incy, cw);
					want[0] = cw[0];
					want[1] = cw[1];
					break;
				default:
					(conj ? cblas_zdotc_sub
					      : cblas_zdotu_sub)(
					    n, r[0], incx, r[1], incy, want);
				}
				cr_expect(memcmp(got, want, sizeof(got)) == 0,
					  "%s: (%a, %a), OpenBLAS (%a, %a)",
					  what, got[0], got[1], want[0],
					  want[1]);
				if (is_complex(prec))
					cr_expect(want[1] != 0,
						  "%s: a real result?", what);
				check(&bs, what);
			}
	cr_expect_eq(compared, 4 * 2 * NR_INC_PAIRS);
}

/* A negative incx is the norm of the same elements: OpenBLAS called with
 * |incx|, and close to a plain sum of squares. */
Test(openblas, nrm2)
{
	static const int64_t incs[] = {1, 2, -3};
	const int64_t n = 8;
	char what[64];

	for (int prec = S; prec <= Z; prec++)
		for (size_t i = 0; i < 3; i++) {
			const int64_t incx = incs[i],
				      ainc = incx < 0 ? -incx : incx;
			struct bufs bs = {0};
			void *x = add_buf(&bs, prec, vec_elems(n, incx));
			void **r = bs.ref;
			double got = -1, want, naive = 0;
			struct vaccel_oparg args[VACCEL_NRM2_NR_ARGS] = {
			    [VACCEL_NRM2_PREC] = a_int(prec),
			    [VACCEL_NRM2_N] = a_int(n),
			    [VACCEL_NRM2_X] = a_buf(x),
			    [VACCEL_NRM2_INCX] = a_int(incx),
			    [VACCEL_NRM2_RESULT] = a_buf(&got),
			};

			snprintf(what, sizeof(what), "%cnrm2 incx %ld",
				 prec_char[prec], (long)incx);
			expect_ret(call_op(VACCEL_OPID_NRM2, args), VACCEL_OK);
			switch (prec) {
			case S:
				want = cblas_snrm2(n, r[0], ainc);
				break;
			case D:
				want = cblas_dnrm2(n, r[0], ainc);
				break;
			case C:
				want = cblas_scnrm2(n, r[0], ainc);
				break;
			default:
				want = cblas_dznrm2(n, r[0], ainc);
			}
			for (int64_t j = 0; j < n; j++)
				for (int part = 0;
				     part < (is_complex(prec) ? 2 : 1);
				     part++) {
					size_t at =
					    (size_t)(j * ainc) *
						(is_complex(prec) ? 2 : 1) +
					    part;
					double v = prec == S || prec == C
						       ? ((float *)r[0])[at]
						       : ((double *)r[0])[at];
					naive += v * v;
				}
			cr_expect(memcmp(&got, &want, sizeof(got)) == 0,
				  "%s: %a, OpenBLAS %a", what, got, want);
			cr_expect(fabs(got - sqrt(naive)) < 1e-5 * sqrt(naive),
				  "%s: %g, sum of squares says %g", what, got,
				  sqrt(naive));
			check(&bs, what);
		}
	cr_expect_eq(compared, 4 * 3);
}

/* ---- refusals ------------------------------------------------------------
 * Each refused call must return the exact code, log a line containing
 * `needle` (op and argument; NULL where the core refuses first), never
 * reach OpenBLAS's xerbla and leave its buffers as they were.
 */

#define expect_refused(expr, want, needle)                                     \
	do {                                                                   \
		expect_status_log(expr, want, needle, NULL);                   \
		cr_expect_eq(xerbla_calls, 0, "%s reached xerbla", #expr);     \
	} while (0)

/* Small buffers for calls refused before any element is read. */
static float fa[64], fb[64], fc[64];
static float fa0[64], fb0[64], fc0[64];

static void fill_small(void)
{
	for (int i = 0; i < 64; i++) {
		fa[i] = fa0[i] = (float)i;
		fb[i] = fb0[i] = (float)-i;
		fc[i] = fc0[i] = (float)(i * 2);
	}
}

static void expect_small_untouched(void)
{
	cr_expect(memcmp(fa, fa0, sizeof(fa)) == 0, "a was written");
	cr_expect(memcmp(fb, fb0, sizeof(fb)) == 0, "b was written");
	cr_expect(memcmp(fc, fc0, sizeof(fc)) == 0, "c was written");
}

Test(openblas, refuses_bad_flags)
{
	static const double one[2] = {1, 0};
	fill_small();

	/* transa 115 and ConjNoTrans (114, an OpenBLAS extension) */
	expect_refused(vaccel_blas_gemm(&sess, S, COL, 115, NT, 2, 2, 2, one,
					fa, 2, fb, 2, one, fc, 2),
		       VACCEL_EINVAL, "gemm: transa = 115");
	expect_refused(vaccel_blas_gemm(&sess, D, ROW, NT, 114, 2, 2, 2, one,
					fa, 2, fb, 2, one, fc, 2),
		       VACCEL_EINVAL, "gemm: transb = 114");
	/* a bad layout with empty matrices passes the size rules: the
	 * plugin is what refuses it */
	expect_refused(vaccel_blas_gemm(&sess, S, 100, NT, NT, 0, 0, 0, one, fa,
					1, fb, 1, one, fc, 1),
		       VACCEL_EINVAL, "gemm: layout = 100");
	/* with elements the size rule itself fails */
	expect_refused(vaccel_blas_gemm(&sess, S, 100, NT, NT, 2, 2, 2, one, fa,
					2, fb, 2, one, fc, 2),
		       VACCEL_EINVAL, NULL);
	expect_refused(vaccel_blas_symm(&sess, S, COL, 140, UP, 2, 2, one, fa,
					2, fb, 2, one, fc, 2),
		       VACCEL_EINVAL, "symm: side = 140");
	expect_refused(vaccel_blas_symm(&sess, C, ROW, LE, 0, 2, 2, one, fa, 2,
					fb, 2, one, fc, 2),
		       VACCEL_EINVAL, "symm: uplo = 0");
	expect_refused(vaccel_blas_syrk(&sess, D, COL, 123, NT, 2, 2, one, fa,
					2, one, fc, 2),
		       VACCEL_EINVAL, "syrk: uplo = 123");
	expect_refused(vaccel_blas_trmm(&sess, S, COL, LE, UP, NT, 130, 2, 2,
					one, fa, 2, fb, 2),
		       VACCEL_EINVAL, "trmm: diag = 130");
	expect_refused(vaccel_blas_trsm(&sess, Z, ROW, LE, UP, 110, NU, 1, 1,
					one, fa, 1, fb, 1),
		       VACCEL_EINVAL, "trsm: transa = 110");

	struct vaccel_oparg gemv[VACCEL_GEMV_NR_ARGS] = {
	    [VACCEL_GEMV_PREC] = a_int(S),    [VACCEL_GEMV_LAYOUT] = a_int(COL),
	    [VACCEL_GEMV_TRANS] = a_int(0),   [VACCEL_GEMV_M] = a_int(2),
	    [VACCEL_GEMV_N] = a_int(2),	      [VACCEL_GEMV_ALPHA] = a_cplx(one),
	    [VACCEL_GEMV_A] = a_buf(fa),      [VACCEL_GEMV_LDA] = a_int(2),
	    [VACCEL_GEMV_X] = a_buf(fb),      [VACCEL_GEMV_INCX] = a_int(1),
	    [VACCEL_GEMV_BETA] = a_cplx(one), [VACCEL_GEMV_Y] = a_buf(fc),
	    [VACCEL_GEMV_INCY] = a_int(1),
	};
	expect_refused(call_op(VACCEL_OPID_GEMV, gemv), VACCEL_EINVAL,
		       "gemv: trans = 0");

	struct vaccel_oparg ger[VACCEL_GER_NR_ARGS] = {
	    [VACCEL_GER_PREC] = a_int(C), [VACCEL_GER_LAYOUT] = a_int(ROW),
	    [VACCEL_GER_CONJ] = a_int(2), [VACCEL_GER_M] = a_int(2),
	    [VACCEL_GER_N] = a_int(2),	  [VACCEL_GER_ALPHA] = a_cplx(one),
	    [VACCEL_GER_X] = a_buf(fa),	  [VACCEL_GER_INCX] = a_int(1),
	    [VACCEL_GER_Y] = a_buf(fb),	  [VACCEL_GER_INCY] = a_int(1),
	    [VACCEL_GER_A] = a_buf(fc),	  [VACCEL_GER_LDA] = a_int(2),
	};
	expect_refused(call_op(VACCEL_OPID_GER, ger), VACCEL_EINVAL,
		       "ger: conj = 2");

	double res[2];
	struct vaccel_oparg dot[VACCEL_DOT_NR_ARGS] = {
	    [VACCEL_DOT_PREC] = a_int(Z), [VACCEL_DOT_CONJ] = a_int(-1),
	    [VACCEL_DOT_N] = a_int(1),	  [VACCEL_DOT_X] = a_buf(fa),
	    [VACCEL_DOT_INCX] = a_int(1), [VACCEL_DOT_Y] = a_buf(fb),
	    [VACCEL_DOT_INCY] = a_int(1), [VACCEL_DOT_RESULT] = a_buf(res),
	};
	expect_refused(call_op(VACCEL_OPID_DOT, dot), VACCEL_EINVAL,
		       "dot: conj = -1");

	/* a precision out of range: the size rules have no element size */
	expect_refused(vaccel_blas_gemm(&sess, 4, COL, NT, NT, 1, 1, 1, one, fa,
					1, fb, 1, one, fc, 1),
		       VACCEL_EINVAL, NULL);
	expect_small_untouched();
}

Test(openblas, refuses_real_precision_for_hermitian_ops)
{
	static const double one[2] = {1, 0};
	fill_small();

	expect_refused(vaccel_blas_herk(&sess, S, COL, UP, NT, 2, 2, 1.0, fa, 2,
					1.0, fc, 2),
		       VACCEL_EINVAL,
		       "herk: prec = 0 is refused: prec is not one of");
	expect_refused(vaccel_blas_herk(&sess, D, ROW, LO, CT, 2, 2, 1.0, fa, 2,
					1.0, fc, 2),
		       VACCEL_EINVAL,
		       "herk: prec = 1 is refused: prec is not one of");
	expect_refused(vaccel_blas_hemm(&sess, D, COL, LE, UP, 2, 2, one, fa, 2,
					fb, 2, one, fc, 2),
		       VACCEL_EINVAL,
		       "hemm: prec = 1 is refused: prec is not one of");
	expect_refused(vaccel_blas_her2k(&sess, S, COL, UP, NT, 2, 2, one, fa,
					 2, fb, 2, 1.0, fc, 2),
		       VACCEL_EINVAL,
		       "her2k: prec = 0 is refused: prec is not one of");
	expect_small_untouched();
}

/* The transposes the spec's size rules accept but a routine does not:
 * column-major, the reference checks refuse them (the core, before any
 * plugin); row-major, where the reference CBLAS maps them to ones the
 * routine takes, the plugin refuses what OpenBLAS's CBLAS does not take. */
Test(openblas, refuses_transposes_the_routine_lacks)
{
	static const double one[2] = {1, 0};
	fill_small();

	expect_refused(
	    vaccel_blas_syrk(&sess, C, COL, UP, CT, 2, 2, one, fa, 2, one, fc,
			     2),
	    VACCEL_EINVAL,
	    "syrk: trans = 113 is refused: reference csyrk argument 2");
	expect_refused(vaccel_blas_syr2k(&sess, Z, ROW, LO, CT, 1, 1, one, fa,
					 1, fb, 1, one, fc, 1),
		       VACCEL_EINVAL, "syr2k: trans = 113 (ConjTrans)");
	expect_refused(
	    vaccel_blas_herk(&sess, C, COL, UP, TR, 2, 2, 1.0, fa, 2, 1.0, fc,
			     2),
	    VACCEL_EINVAL,
	    "herk: trans = 112 is refused: reference cherk argument 2");
	expect_refused(vaccel_blas_her2k(&sess, Z, ROW, UP, TR, 1, 1, one, fa,
					 1, fb, 1, 1.0, fc, 1),
		       VACCEL_EINVAL, "her2k: trans = 112 (Trans)");
	expect_small_untouched();
}

Test(openblas, refuses_leading_dimensions_too_small)
{
	static const double one[2] = {1, 0};
	fill_small();

	/* column-major A is m x k = 3 x 2: lda must be >= 3 */
	expect_refused(vaccel_blas_gemm(&sess, S, COL, NT, NT, 3, 2, 2, one, fa,
					2, fb, 2, one, fc, 3),
		       VACCEL_EINVAL,
		       "gemm: lda = 2 is refused: reference sgemm argument 8: "
		       "lda < max(1, m if transa == 'N' else k)");
	/* row-major A^T stored k x m = 2 x 3: lda must be >= 3 */
	expect_refused(vaccel_blas_gemm(&sess, D, ROW, TR, NT, 3, 2, 2, one, fa,
					2, fb, 2, one, fc, 2),
		       VACCEL_EINVAL,
		       "gemm: lda = 2 is refused: reference dgemm argument 10");
	/* empty matrices still need ld >= 1, as in the reference BLAS */
	expect_refused(vaccel_blas_gemm(&sess, S, COL, NT, NT, 0, 0, 0, one, fa,
					1, fb, 1, one, fc, 0),
		       VACCEL_EINVAL, "gemm: ldc = 0");
	expect_refused(vaccel_blas_symm(&sess, C, ROW, RI, UP, 2, 3, one, fa, 3,
					fb, 2, one, fc, 3),
		       VACCEL_EINVAL, "symm: ldb = 2");
	expect_refused(vaccel_blas_syrk(&sess, Z, COL, UP, TR, 2, 3, one, fa, 2,
					one, fc, 2),
		       VACCEL_EINVAL, "syrk: lda = 2");
	expect_refused(vaccel_blas_her2k(&sess, C, COL, UP, NT, 3, 1, one, fa,
					 3, fb, 2, 1.0, fc, 3),
		       VACCEL_EINVAL, "her2k: ldb = 2");
	expect_refused(vaccel_blas_trsm(&sess, S, COL, RI, UP, NT, NU, 2, 3,
					one, fa, 2, fb, 2),
		       VACCEL_EINVAL, "trsm: lda = 2");

	struct vaccel_oparg gemv[VACCEL_GEMV_NR_ARGS] = {
	    [VACCEL_GEMV_PREC] = a_int(S),    [VACCEL_GEMV_LAYOUT] = a_int(ROW),
	    [VACCEL_GEMV_TRANS] = a_int(NT),  [VACCEL_GEMV_M] = a_int(2),
	    [VACCEL_GEMV_N] = a_int(3),	      [VACCEL_GEMV_ALPHA] = a_cplx(one),
	    [VACCEL_GEMV_A] = a_buf(fa),      [VACCEL_GEMV_LDA] = a_int(2),
	    [VACCEL_GEMV_X] = a_buf(fb),      [VACCEL_GEMV_INCX] = a_int(1),
	    [VACCEL_GEMV_BETA] = a_cplx(one), [VACCEL_GEMV_Y] = a_buf(fc),
	    [VACCEL_GEMV_INCY] = a_int(1),
	};
	expect_refused(call_op(VACCEL_OPID_GEMV, gemv), VACCEL_EINVAL,
		       "gemv: lda = 2");
	expect_small_untouched();
}

Test(openblas, refuses_zero_increments)
{
	static const double one[2] = {1, 0};
	double res[2];
	fill_small();

	struct vaccel_oparg axpy[VACCEL_AXPY_NR_ARGS] = {
	    [VACCEL_AXPY_PREC] = a_int(S),     [VACCEL_AXPY_N] = a_int(3),
	    [VACCEL_AXPY_ALPHA] = a_cplx(one), [VACCEL_AXPY_X] = a_buf(fa),
	    [VACCEL_AXPY_INCX] = a_int(1),     [VACCEL_AXPY_Y] = a_buf(fc),
	    [VACCEL_AXPY_INCY] = a_int(0),
	};
	expect_refused(call_op(VACCEL_OPID_AXPY, axpy), VACCEL_EINVAL,
		       "axpy: incy must not be 0");

	struct vaccel_oparg scal[VACCEL_SCAL_NR_ARGS] = {
	    [VACCEL_SCAL_PREC] = a_int(C),     [VACCEL_SCAL_N] = a_int(3),
	    [VACCEL_SCAL_ALPHA] = a_cplx(one), [VACCEL_SCAL_X] = a_buf(fc),
	    [VACCEL_SCAL_INCX] = a_int(0),
	};
	expect_refused(call_op(VACCEL_OPID_SCAL, scal), VACCEL_EINVAL,
		       "scal: incx must not be 0");

	struct vaccel_oparg dot[VACCEL_DOT_NR_ARGS] = {
	    [VACCEL_DOT_PREC] = a_int(D), [VACCEL_DOT_CONJ] = a_int(0),
	    [VACCEL_DOT_N] = a_int(2),	  [VACCEL_DOT_X] = a_buf(fa),
	    [VACCEL_DOT_INCX] = a_int(0), [VACCEL_DOT_Y] = a_buf(fb),
	    [VACCEL_DOT_INCY] = a_int(1), [VACCEL_DOT_RESULT] = a_buf(res),
	};
	expect_refused(call_op(VACCEL_OPID_DOT, dot), VACCEL_EINVAL,
		       "dot: incx must not be 0");

	struct vaccel_oparg nrm2[VACCEL_NRM2_NR_ARGS] = {
	    [VACCEL_NRM2_PREC] = a_int(S),     [VACCEL_NRM2_N] = a_int(4),
	    [VACCEL_NRM2_X] = a_buf(fa),       [VACCEL_NRM2_INCX] = a_int(0),
	    [VACCEL_NRM2_RESULT] = a_buf(res),
	};
	expect_refused(call_op(VACCEL_OPID_NRM2, nrm2), VACCEL_EINVAL,
		       "nrm2: incx must not be 0");

	struct vaccel_oparg trsv[VACCEL_TRSV_NR_ARGS] = {
	    [VACCEL_TRSV_PREC] = a_int(S),  [VACCEL_TRSV_LAYOUT] = a_int(COL),
	    [VACCEL_TRSV_UPLO] = a_int(UP), [VACCEL_TRSV_TRANS] = a_int(NT),
	    [VACCEL_TRSV_DIAG] = a_int(NU), [VACCEL_TRSV_N] = a_int(2),
	    [VACCEL_TRSV_A] = a_buf(fa),    [VACCEL_TRSV_LDA] = a_int(2),
	    [VACCEL_TRSV_X] = a_buf(fc),    [VACCEL_TRSV_INCX] = a_int(0),
	};
	expect_refused(call_op(VACCEL_OPID_TRSV, trsv), VACCEL_EINVAL,
		       "trsv: incx = 0 is refused: reference strsv argument 8");

	struct vaccel_oparg symv[VACCEL_SYMV_NR_ARGS] = {
	    [VACCEL_SYMV_PREC] = a_int(C),
	    [VACCEL_SYMV_LAYOUT] = a_int(ROW),
	    [VACCEL_SYMV_UPLO] = a_int(LO),
	    [VACCEL_SYMV_N] = a_int(2),
	    [VACCEL_SYMV_ALPHA] = a_cplx(one),
	    [VACCEL_SYMV_A] = a_buf(fa),
	    [VACCEL_SYMV_LDA] = a_int(2),
	    [VACCEL_SYMV_X] = a_buf(fb),
	    [VACCEL_SYMV_INCX] = a_int(1),
	    [VACCEL_SYMV_BETA] = a_cplx(one),
	    [VACCEL_SYMV_Y] = a_buf(fc),
	    [VACCEL_SYMV_INCY] = a_int(0),
	};
	expect_refused(call_op(VACCEL_OPID_SYMV, symv), VACCEL_EINVAL,
		       "symv: incy must not be 0");

	struct vaccel_oparg ger[VACCEL_GER_NR_ARGS] = {
	    [VACCEL_GER_PREC] = a_int(D), [VACCEL_GER_LAYOUT] = a_int(COL),
	    [VACCEL_GER_CONJ] = a_int(0), [VACCEL_GER_M] = a_int(2),
	    [VACCEL_GER_N] = a_int(2),	  [VACCEL_GER_ALPHA] = a_cplx(one),
	    [VACCEL_GER_X] = a_buf(fa),	  [VACCEL_GER_INCX] = a_int(0),
	    [VACCEL_GER_Y] = a_buf(fb),	  [VACCEL_GER_INCY] = a_int(1),
	    [VACCEL_GER_A] = a_buf(fc),	  [VACCEL_GER_LDA] = a_int(2),
	};
	expect_refused(call_op(VACCEL_OPID_GER, ger), VACCEL_EINVAL,
		       "ger: incx must not be 0");
	expect_small_untouched();
}

/*
 * Values that are valid BLAS but do not fit OpenBLAS's int: VACCEL_ENOTSUP.
 * Where a refused call's size rules ask for more than the small buffers
 * hold, the lengths are only declared: the plugin refuses before it reads.
 */
Test(openblas, refuses_values_beyond_int)
{
	static const double one[2] = {1, 0};
	const int64_t big = (int64_t)INT32_MAX + 1;
	double res[2];
	fill_small();

	/* row-major m x 0 C, A m x 0, B 0 x 0: all empty, lds of 1 */
	expect_refused(vaccel_blas_gemm(&sess, S, ROW, NT, NT, big, 0, 0, one,
					fa, 1, fb, 1, one, fc, 1),
		       VACCEL_ENOTSUP, "gemm: m = 2147483648 does not fit");
	expect_refused(vaccel_blas_herk(&sess, Z, ROW, UP, CT, 0, big, 1.0, fa,
					1, 1.0, fc, 1),
		       VACCEL_ENOTSUP, "herk: k = 2147483648 does not fit");
	expect_refused(vaccel_blas_gemm(&sess, D, COL, NT, NT, 0, 0, 0, one, fa,
					big, fb, 1, one, fc, 1),
		       VACCEL_ENOTSUP, "gemm: lda = 2147483648 does not fit");
	expect_refused(vaccel_blas_trmm(&sess, C, COL, LE, UP, NT, NU, 0, 0,
					one, fa, 1, fb, INT64_MAX),
		       VACCEL_ENOTSUP, "trmm: ldb = 9223372036854775807");

	/* one element with a 2^31 stride */
	struct vaccel_oparg axpy[VACCEL_AXPY_NR_ARGS] = {
	    [VACCEL_AXPY_PREC] = a_int(S),     [VACCEL_AXPY_N] = a_int(1),
	    [VACCEL_AXPY_ALPHA] = a_cplx(one), [VACCEL_AXPY_X] = a_buf(fa),
	    [VACCEL_AXPY_INCX] = a_int(big),   [VACCEL_AXPY_Y] = a_buf(fc),
	    [VACCEL_AXPY_INCY] = a_int(1),
	};
	expect_refused(call_op(VACCEL_OPID_AXPY, axpy), VACCEL_ENOTSUP,
		       "axpy: incx = 2147483648 does not fit");
	/* INT_MIN fits an int but OpenBLAS negates increments */
	axpy[VACCEL_AXPY_INCX] = a_int(INT32_MIN);
	expect_refused(call_op(VACCEL_OPID_AXPY, axpy), VACCEL_ENOTSUP,
		       "axpy: incx = -2147483648 does not fit");

	/* a negative stride whose span (n - 1) * |inc| * 2 wraps an int in
	 * OpenBLAS's pointer arithmetic (declared length: 16 GiB) */
	struct vaccel_oparg dot[VACCEL_DOT_NR_ARGS] = {
	    [VACCEL_DOT_PREC] = a_int(C),
	    [VACCEL_DOT_CONJ] = a_int(1),
	    [VACCEL_DOT_N] = a_int(3),
	    [VACCEL_DOT_X] = a_buf(fa),
	    [VACCEL_DOT_INCX] = a_int(1),
	    [VACCEL_DOT_Y] = a_buf(fb),
	    [VACCEL_DOT_INCY] = a_int(-(1 << 30)),
	    [VACCEL_DOT_RESULT] = a_buf(res),
	};
	expect_refused(call_op(VACCEL_OPID_DOT, dot), VACCEL_ENOTSUP,
		       "dot: incy = -1073741824 over 3 elements");

	/* m + n wraps OpenBLAS's int-sized gemv work buffer */
	struct vaccel_oparg gemv[VACCEL_GEMV_NR_ARGS] = {
	    [VACCEL_GEMV_PREC] = a_int(Z),
	    [VACCEL_GEMV_LAYOUT] = a_int(COL),
	    [VACCEL_GEMV_TRANS] = a_int(NT),
	    [VACCEL_GEMV_M] = a_int(INT32_MAX),
	    [VACCEL_GEMV_N] = a_int(1),
	    [VACCEL_GEMV_ALPHA] = a_cplx(one),
	    [VACCEL_GEMV_A] = a_buf(fa),
	    [VACCEL_GEMV_LDA] = a_int(INT32_MAX),
	    [VACCEL_GEMV_X] = a_buf(fb),
	    [VACCEL_GEMV_INCX] = a_int(1),
	    [VACCEL_GEMV_BETA] = a_cplx(one),
	    [VACCEL_GEMV_Y] = a_buf(fc),
	    [VACCEL_GEMV_INCY] = a_int(1),
	};
	expect_refused(call_op(VACCEL_OPID_GEMV, gemv), VACCEL_ENOTSUP,
		       "gemv: m + n");

	/* negative dimensions fail the size rules in the core already */
	expect_refused(vaccel_blas_gemm(&sess, S, COL, NT, NT, -1, 1, 1, one,
					fa, 1, fb, 1, one, fc, 1),
		       VACCEL_EINVAL, NULL);
	expect_small_untouched();
}
