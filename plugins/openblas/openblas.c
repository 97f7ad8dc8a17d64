// SPDX-License-Identifier: Apache-2.0
/*
 * openblas: the BLAS ops on OpenBLAS's CBLAS, in all four precisions and
 * both layouts. Level 3 (gemm symm hemm syrk herk syr2k her2k trmm trsm)
 * is the typed ops' generated CBLAS calls (openblas_typed_gen.h, from
 * blas-level3.spec): the core has run the reference BLAS checks, and only
 * OpenBLAS's int width is checked here.
 *
 * Levels 2 and 1 of ops.spec (gemv ger trsv trmv symv, axpy scal dot
 * nrm2): the core has checked every buffer's length against the op's
 * size rule, but those rules accept calls that the routines do not: a
 * flag that is no CBLAS value, a leading dimension too small for the
 * layout, a zero increment, 64-bit values that OpenBLAS's 32-bit int
 * cannot hold. Each op checks its scalars first, as the reference BLAS
 * does, and refuses with one log line naming the op and the argument, so
 * OpenBLAS's own xerbla (which prints to stdout and carries on; the
 * reference BLAS's stops the program) is never reached.
 */
#include "coretype.h"
#include "symv_f77.h"
#include <cblas.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vaccel/remote.h>

#define TAG "openblas"

/* Largest value OpenBLAS's integer arguments hold: int in the usual LP64
 * build (Debian's libopenblas0), 64 bits in an INTERFACE64 one. */
#ifdef OPENBLAS_USE64BITINT
#define BLASINT_MAX INT64_MAX
#else
#define BLASINT_MAX ((int64_t)INT_MAX)
#endif

/* Ops that share one implementation must agree on every argument
 * position (the spec could reorder one of them). */
#define SAME_ARG(op1, op2, arg)                                                \
	_Static_assert((int)VACCEL_##op1##_##arg == (int)VACCEL_##op2##_##arg, \
		       #op1 " and " #op2 " differ in argument " #arg)

static const char prec_char[4] = {'s', 'd', 'c', 'z'};

static bool is_complex(int prec)
{
	return prec == VACCEL_BLAS_C || prec == VACCEL_BLAS_Z;
}

/* ---- argument checks ---------------------------------------------------
 * A check returns true when the argument is fine. The first one that fails
 * logs a line, records the error and returns false, so a chain of checks
 * joined with && stops there.
 */
struct check {
	const struct vaccel_op_desc *op;
	const struct vaccel_oparg *args;
	/* VACCEL_EINVAL: not a valid BLAS call; VACCEL_ENOTSUP: valid, but
	 * beyond what this OpenBLAS build's int arguments can express */
	int err;
};

__attribute__((format(printf, 3, 4))) static bool fail(struct check *c, int err,
						       const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vaccel_log(VACCEL_LOG_ERROR, TAG, "%s: %s", c->op->name, msg);
	c->err = err;
	return false;
}

static int64_t val(const struct check *c, uint32_t i)
{
	return c->args[i].v.i;
}

static const char *name(const struct check *c, uint32_t i)
{
	return c->op->args[i].name;
}

static bool prec_ok(struct check *c, uint32_t i, bool complex_only)
{
	int64_t p = val(c, i);

	if (p < VACCEL_BLAS_S || p > VACCEL_BLAS_Z)
		return fail(c, VACCEL_EINVAL,
			    "%s = %" PRId64 " is not a precision "
			    "(0 s, 1 d, 2 c, 3 z)",
			    name(c, i), p);
	if (complex_only && !is_complex((int)p))
		return fail(c, VACCEL_EINVAL,
			    "%s = %" PRId64 " (%c) is real; %s is defined for "
			    "the complex precisions only (2 c, 3 z)",
			    name(c, i), p, prec_char[p], c->op->name);
	return true;
}

static bool layout_ok(struct check *c, uint32_t i)
{
	int64_t v = val(c, i);

	if (v != CblasRowMajor && v != CblasColMajor)
		return fail(c, VACCEL_EINVAL,
			    "%s = %" PRId64 " is not a CBLAS layout "
			    "(101 RowMajor, 102 ColMajor)",
			    name(c, i), v);
	return true;
}

/* Two-valued CBLAS flags: uplo, diag, side. */
static bool flag_ok(struct check *c, uint32_t i, int a, const char *a_name,
		    int b, const char *b_name)
{
	int64_t v = val(c, i);

	if (v != a && v != b)
		return fail(c, VACCEL_EINVAL,
			    "%s = %" PRId64 " is not a CBLAS value "
			    "(%d %s, %d %s)",
			    name(c, i), v, a, a_name, b, b_name);
	return true;
}

static bool uplo_ok(struct check *c, uint32_t i)
{
	return flag_ok(c, i, CblasUpper, "Upper", CblasLower, "Lower");
}

/* conj of ger and dot: 0 or 1 (no effect in the real precisions) */
static bool bool_ok(struct check *c, uint32_t i)
{
	int64_t v = val(c, i);

	if (v != 0 && v != 1)
		return fail(c, VACCEL_EINVAL, "%s = %" PRId64 " is not 0 or 1",
			    name(c, i), v);
	return true;
}

enum { T_N = 1u << 0, T_T = 1u << 1, T_C = 1u << 2, T_ALL = 7 };

static const char *const trans_name[3] = {"NoTrans", "Trans", "ConjTrans"};

/* A transpose flag, one of `allowed` (T_* mask). OpenBLAS's extension
 * ConjNoTrans (114) is not part of the spec and is refused. */
static bool trans_ok(struct check *c, uint32_t i, unsigned int allowed)
{
	int64_t v = val(c, i);

	if (v < CblasNoTrans || v > CblasConjTrans)
		return fail(c, VACCEL_EINVAL,
			    "%s = %" PRId64 " is not a CBLAS transpose value "
			    "(111 NoTrans, 112 Trans, 113 ConjTrans)",
			    name(c, i), v);
	if (!(allowed & (1u << (v - CblasNoTrans)))) {
		const char *first = NULL, *second = NULL;
		for (unsigned int t = 0; t < 3; t++) {
			if (!(allowed & (1u << t)))
				continue;
			if (!first)
				first = trans_name[t];
			else
				second = trans_name[t];
		}
		return fail(c, VACCEL_EINVAL,
			    "%s = %" PRId64 " (%s) is not allowed: %s in "
			    "precision %c takes %s or %s",
			    name(c, i), v, trans_name[v - CblasNoTrans],
			    c->op->name,
			    prec_char[c->args[c->op->prec_arg].v.i], first,
			    second ? second : "?");
	}
	return true;
}

/* A dimension: not negative, and representable in OpenBLAS's int. */
static bool dim_ok(struct check *c, uint32_t i)
{
	int64_t v = val(c, i);

	if (v < 0)
		return fail(c, VACCEL_EINVAL, "%s = %" PRId64 " is negative",
			    name(c, i), v);
	if (v > BLASINT_MAX)
		return fail(c, VACCEL_ENOTSUP,
			    "%s = %" PRId64 " does not fit OpenBLAS's "
			    "%zu-bit integer arguments",
			    name(c, i), v, sizeof(blasint) * CHAR_BIT);
	return true;
}

/*
 * The leading dimension of a rows x cols matrix (as stored: the spec's
 * mat(layout, ld, rows, cols)). As in the reference BLAS, it must be at
 * least max(1, rows) in column-major and max(1, cols) in row-major order.
 * rows and cols have passed dim_ok.
 */
static bool ld_ok(struct check *c, uint32_t i, int64_t layout, int64_t rows,
		  int64_t cols)
{
	int64_t v = val(c, i);
	bool col = layout == CblasColMajor;
	int64_t need = col ? rows : cols;

	if (need < 1)
		need = 1;
	if (v < need)
		return fail(c, VACCEL_EINVAL,
			    "%s = %" PRId64 " is less than max(1, %s) = "
			    "%" PRId64 " for a %" PRId64 "x%" PRId64
			    " %s-major matrix",
			    name(c, i), v, col ? "rows" : "columns", need, rows,
			    cols, col ? "column" : "row");
	if (v > BLASINT_MAX)
		return fail(c, VACCEL_ENOTSUP,
			    "%s = %" PRId64 " does not fit OpenBLAS's "
			    "%zu-bit integer arguments",
			    name(c, i), v, sizeof(blasint) * CHAR_BIT);
	return true;
}

/*
 * The increment of an n-element vector (n has passed dim_ok). Zero is
 * refused as the reference BLAS does for level 2 (OpenBLAS would misread
 * it in level 1). For a negative increment OpenBLAS's interface moves the
 * pointer by (n - 1) * inc elements (times 2 for complex) computed in int:
 * refuse what would overflow there.
 */
static bool inc_ok(struct check *c, uint32_t i, int64_t n, int prec)
{
	int64_t v = val(c, i);
	int64_t span;

	if (v == 0)
		return fail(c, VACCEL_EINVAL, "%s must not be 0", name(c, i));
	if (v > BLASINT_MAX || v < -BLASINT_MAX)
		return fail(c, VACCEL_ENOTSUP,
			    "%s = %" PRId64 " does not fit OpenBLAS's "
			    "%zu-bit integer arguments",
			    name(c, i), v, sizeof(blasint) * CHAR_BIT);
	if (v < 0 && n > 1 &&
	    (__builtin_mul_overflow(n - 1, -v, &span) ||
	     __builtin_mul_overflow(span, is_complex(prec) ? 2 : 1, &span) ||
	     span > BLASINT_MAX))
		return fail(c, VACCEL_ENOTSUP,
			    "%s = %" PRId64 " over %" PRId64 " elements spans "
			    "more than OpenBLAS's integer arguments hold",
			    name(c, i), v, n);
	return true;
}

/* Start a check of this call. */
static struct check check_of(const struct vaccel_op_desc *op,
			     const struct vaccel_oparg *args)
{
	return (struct check){.op = op, .args = args, .err = VACCEL_OK};
}

/* ---- scalars -----------------------------------------------------------
 * alpha and beta arrive as complex doubles; the real precisions use the
 * real part.
 */
union scalar {
	float s;
	double d;
	float c[2];
	double z[2];
};

static union scalar scalar_of(int prec, const double v[2])
{
	union scalar r;

	memset(&r, 0, sizeof(r));
	switch (prec) {
	case VACCEL_BLAS_S:
		r.s = (float)v[0];
		break;
	case VACCEL_BLAS_D:
		r.d = v[0];
		break;
	case VACCEL_BLAS_C:
		r.c[0] = (float)v[0];
		r.c[1] = (float)v[1];
		break;
	default:
		r.z[0] = v[0];
		r.z[1] = v[1];
	}
	return r;
}

/* ---- the typed ops, generated from their routines (cblas_<op>, after
 * the core's reference checks): level 3, gemv, trmv, trsv ------------- */

/*
 * What OpenBLAS refuses beyond the reference (the typed ops' ints and
 * vector spans are checked in the generated code): row-major, the
 * reference CBLAS maps every transpose of a rank-k update to one the
 * routine takes, OpenBLAS's takes the column-major ones only (complex
 * syrk/syr2k NoTrans or Trans, herk/her2k NoTrans or ConjTrans); gemv
 * sizes its work buffer as m + n elements (twice that for complex) plus
 * a few, in int.
 */
static int openblas_limits(const struct vaccel_op_desc *op,
			   const struct vaccel_oparg *a)
{
	struct check c = check_of(op, a);
	int prec = (int)a[0].v.i;
	if (op->id == VACCEL_OPID_GEMV) {
		int64_t m = a[VACCEL_GEMV_M].v.i, n = a[VACCEL_GEMV_N].v.i,
			work;
		if (m && n &&
		    (__builtin_add_overflow(m, n, &work) ||
		     __builtin_mul_overflow(work, is_complex(prec) ? 2 : 1,
					    &work) ||
		     work > BLASINT_MAX - 64)) {
			fail(&c, VACCEL_ENOTSUP,
			     "m + n = %" PRId64 " + %" PRId64 " is too large "
			     "for OpenBLAS's gemv work buffer",
			     m, n);
			return c.err;
		}
		return VACCEL_OK;
	}
	bool herm = op->id == VACCEL_OPID_HERK || op->id == VACCEL_OPID_HER2K;
	if (!herm && op->id != VACCEL_OPID_SYRK && op->id != VACCEL_OPID_SYR2K)
		return VACCEL_OK;
	SAME_ARG(SYRK, SYR2K, TRANS);
	SAME_ARG(SYRK, HERK, TRANS);
	SAME_ARG(SYRK, HER2K, TRANS);
	if (a[VACCEL_SYRK_LAYOUT].v.i != CblasRowMajor || !is_complex(prec))
		return VACCEL_OK;
	return trans_ok(&c, VACCEL_SYRK_TRANS, herm ? T_N | T_C : T_N | T_T)
		   ? VACCEL_OK
		   : c.err;
}
#define CBLAS_LIMITS openblas_limits
#include "openblas_typed_gen.h"

/* ---- level 2 ----------------------------------------------------------- */

/* conj selects gerc over geru in the complex precisions. */
static int op_ger(void *priv, struct vaccel_session *sess,
		  const struct vaccel_op_desc *op, struct vaccel_oparg *args)
{
	struct check c = check_of(op, args);
	(void)priv;
	(void)sess;

	if (!(prec_ok(&c, VACCEL_GER_PREC, false) &&
	      layout_ok(&c, VACCEL_GER_LAYOUT) &&
	      bool_ok(&c, VACCEL_GER_CONJ) && dim_ok(&c, VACCEL_GER_M) &&
	      dim_ok(&c, VACCEL_GER_N)))
		return c.err;

	const int prec = (int)args[VACCEL_GER_PREC].v.i;
	const enum CBLAS_ORDER lay = args[VACCEL_GER_LAYOUT].v.i;
	const bool conj = args[VACCEL_GER_CONJ].v.i;
	const blasint m = args[VACCEL_GER_M].v.i;
	const blasint n = args[VACCEL_GER_N].v.i;

	if (!(inc_ok(&c, VACCEL_GER_INCX, m, prec) &&
	      inc_ok(&c, VACCEL_GER_INCY, n, prec) &&
	      ld_ok(&c, VACCEL_GER_LDA, lay, m, n)))
		return c.err;

	const blasint incx = args[VACCEL_GER_INCX].v.i;
	const blasint incy = args[VACCEL_GER_INCY].v.i;
	const blasint lda = args[VACCEL_GER_LDA].v.i;
	const void *x = args[VACCEL_GER_X].buf;
	const void *y = args[VACCEL_GER_Y].buf;
	void *a = args[VACCEL_GER_A].buf;
	union scalar al = scalar_of(prec, args[VACCEL_GER_ALPHA].v.c128);

	switch (prec) {
	case VACCEL_BLAS_S:
		cblas_sger(lay, m, n, al.s, x, incx, y, incy, a, lda);
		break;
	case VACCEL_BLAS_D:
		cblas_dger(lay, m, n, al.d, x, incx, y, incy, a, lda);
		break;
	case VACCEL_BLAS_C:
		if (conj)
			cblas_cgerc(lay, m, n, al.c, x, incx, y, incy, a, lda);
		else
			cblas_cgeru(lay, m, n, al.c, x, incx, y, incy, a, lda);
		break;
	default:
		if (conj)
			cblas_zgerc(lay, m, n, al.z, x, incx, y, incy, a, lda);
		else
			cblas_zgeru(lay, m, n, al.z, x, incx, y, incy, a, lda);
	}
	return VACCEL_OK;
}

/* trsv and trmv share their arguments. */
static int op_symv(void *priv, struct vaccel_session *sess,
		   const struct vaccel_op_desc *op, struct vaccel_oparg *args)
{
	struct check c = check_of(op, args);
	(void)priv;
	(void)sess;

	if (!(prec_ok(&c, VACCEL_SYMV_PREC, false) &&
	      layout_ok(&c, VACCEL_SYMV_LAYOUT) &&
	      uplo_ok(&c, VACCEL_SYMV_UPLO) && dim_ok(&c, VACCEL_SYMV_N)))
		return c.err;

	const int prec = (int)args[VACCEL_SYMV_PREC].v.i;
	const enum CBLAS_ORDER lay = args[VACCEL_SYMV_LAYOUT].v.i;
	const enum CBLAS_UPLO uplo = args[VACCEL_SYMV_UPLO].v.i;
	const blasint n = args[VACCEL_SYMV_N].v.i;

	if (!(ld_ok(&c, VACCEL_SYMV_LDA, lay, n, n) &&
	      inc_ok(&c, VACCEL_SYMV_INCX, n, prec) &&
	      inc_ok(&c, VACCEL_SYMV_INCY, n, prec)))
		return c.err;

	const blasint lda = args[VACCEL_SYMV_LDA].v.i;
	const blasint incx = args[VACCEL_SYMV_INCX].v.i;
	const blasint incy = args[VACCEL_SYMV_INCY].v.i;
	const void *a = args[VACCEL_SYMV_A].buf;
	const void *x = args[VACCEL_SYMV_X].buf;
	void *y = args[VACCEL_SYMV_Y].buf;
	union scalar al = scalar_of(prec, args[VACCEL_SYMV_ALPHA].v.c128);
	union scalar be = scalar_of(prec, args[VACCEL_SYMV_BETA].v.c128);
	const char ul = symv_f77_uplo(lay, uplo);

	switch (prec) {
	case VACCEL_BLAS_S:
		cblas_ssymv(lay, uplo, n, al.s, a, lda, x, incx, be.s, y, incy);
		break;
	case VACCEL_BLAS_D:
		cblas_dsymv(lay, uplo, n, al.d, a, lda, x, incx, be.d, y, incy);
		break;
	case VACCEL_BLAS_C:
		csymv_(&ul, &n, al.c, a, &lda, x, &incx, be.c, y, &incy, 1);
		break;
	default:
		zsymv_(&ul, &n, al.z, a, &lda, x, &incx, be.z, y, &incy, 1);
	}
	return VACCEL_OK;
}

/* ---- level 1 ----------------------------------------------------------- */

static int op_axpy(void *priv, struct vaccel_session *sess,
		   const struct vaccel_op_desc *op, struct vaccel_oparg *args)
{
	struct check c = check_of(op, args);
	(void)priv;
	(void)sess;

	if (!(prec_ok(&c, VACCEL_AXPY_PREC, false) &&
	      dim_ok(&c, VACCEL_AXPY_N)))
		return c.err;

	const int prec = (int)args[VACCEL_AXPY_PREC].v.i;
	const blasint n = args[VACCEL_AXPY_N].v.i;

	if (!(inc_ok(&c, VACCEL_AXPY_INCX, n, prec) &&
	      inc_ok(&c, VACCEL_AXPY_INCY, n, prec)))
		return c.err;

	const blasint incx = args[VACCEL_AXPY_INCX].v.i;
	const blasint incy = args[VACCEL_AXPY_INCY].v.i;
	const void *x = args[VACCEL_AXPY_X].buf;
	void *y = args[VACCEL_AXPY_Y].buf;
	union scalar al = scalar_of(prec, args[VACCEL_AXPY_ALPHA].v.c128);

	switch (prec) {
	case VACCEL_BLAS_S:
		cblas_saxpy(n, al.s, x, incx, y, incy);
		break;
	case VACCEL_BLAS_D:
		cblas_daxpy(n, al.d, x, incx, y, incy);
		break;
	case VACCEL_BLAS_C:
		cblas_caxpy(n, al.c, x, incx, y, incy);
		break;
	default:
		cblas_zaxpy(n, al.z, x, incx, y, incy);
	}
	return VACCEL_OK;
}

/* As in the reference BLAS, a negative incx leaves x as it is. */
static int op_scal(void *priv, struct vaccel_session *sess,
		   const struct vaccel_op_desc *op, struct vaccel_oparg *args)
{
	struct check c = check_of(op, args);
	(void)priv;
	(void)sess;

	if (!(prec_ok(&c, VACCEL_SCAL_PREC, false) &&
	      dim_ok(&c, VACCEL_SCAL_N)))
		return c.err;

	const int prec = (int)args[VACCEL_SCAL_PREC].v.i;
	const blasint n = args[VACCEL_SCAL_N].v.i;

	if (!inc_ok(&c, VACCEL_SCAL_INCX, n, prec))
		return c.err;

	const blasint incx = args[VACCEL_SCAL_INCX].v.i;
	void *x = args[VACCEL_SCAL_X].buf;
	union scalar al = scalar_of(prec, args[VACCEL_SCAL_ALPHA].v.c128);

	switch (prec) {
	case VACCEL_BLAS_S:
		cblas_sscal(n, al.s, x, incx);
		break;
	case VACCEL_BLAS_D:
		cblas_dscal(n, al.d, x, incx);
		break;
	case VACCEL_BLAS_C:
		cblas_cscal(n, al.c, x, incx);
		break;
	default:
		cblas_zscal(n, al.z, x, incx);
	}
	return VACCEL_OK;
}

/* The result is a c128 (re, im) whatever the precision; conj selects dotc
 * over dotu in the complex precisions. */
static int op_dot(void *priv, struct vaccel_session *sess,
		  const struct vaccel_op_desc *op, struct vaccel_oparg *args)
{
	struct check c = check_of(op, args);
	(void)priv;
	(void)sess;

	if (!(prec_ok(&c, VACCEL_DOT_PREC, false) &&
	      bool_ok(&c, VACCEL_DOT_CONJ) && dim_ok(&c, VACCEL_DOT_N)))
		return c.err;

	const int prec = (int)args[VACCEL_DOT_PREC].v.i;
	const blasint n = args[VACCEL_DOT_N].v.i;

	if (!(inc_ok(&c, VACCEL_DOT_INCX, n, prec) &&
	      inc_ok(&c, VACCEL_DOT_INCY, n, prec)))
		return c.err;

	const bool conj = args[VACCEL_DOT_CONJ].v.i;
	const blasint incx = args[VACCEL_DOT_INCX].v.i;
	const blasint incy = args[VACCEL_DOT_INCY].v.i;
	const void *x = args[VACCEL_DOT_X].buf;
	const void *y = args[VACCEL_DOT_Y].buf;
	double res[2] = {0, 0};
	float cres[2];

	switch (prec) {
	case VACCEL_BLAS_S:
		res[0] = cblas_sdot(n, x, incx, y, incy);
		break;
	case VACCEL_BLAS_D:
		res[0] = cblas_ddot(n, x, incx, y, incy);
		break;
	case VACCEL_BLAS_C:
		if (conj)
			cblas_cdotc_sub(n, x, incx, y, incy, cres);
		else
			cblas_cdotu_sub(n, x, incx, y, incy, cres);
		res[0] = cres[0];
		res[1] = cres[1];
		break;
	default:
		if (conj)
			cblas_zdotc_sub(n, x, incx, y, incy, res);
		else
			cblas_zdotu_sub(n, x, incx, y, incy, res);
	}
	/* the out buffer may come straight off the wire: no alignment */
	memcpy(args[VACCEL_DOT_RESULT].buf, res, sizeof(res));
	return VACCEL_OK;
}

/*
 * The result is an f64 whatever the precision. A negative incx is taken
 * as its absolute value: the norm of the same elements, as the reference
 * BLAS (3.10 on) and later OpenBLAS releases give, where OpenBLAS 0.3.21's
 * x86-64 kernels return 0.
 */
static int op_nrm2(void *priv, struct vaccel_session *sess,
		   const struct vaccel_op_desc *op, struct vaccel_oparg *args)
{
	struct check c = check_of(op, args);
	(void)priv;
	(void)sess;

	if (!(prec_ok(&c, VACCEL_NRM2_PREC, false) &&
	      dim_ok(&c, VACCEL_NRM2_N)))
		return c.err;

	const int prec = (int)args[VACCEL_NRM2_PREC].v.i;
	const blasint n = args[VACCEL_NRM2_N].v.i;

	if (!inc_ok(&c, VACCEL_NRM2_INCX, n, prec))
		return c.err;

	const blasint incx = args[VACCEL_NRM2_INCX].v.i < 0
				 ? -args[VACCEL_NRM2_INCX].v.i
				 : args[VACCEL_NRM2_INCX].v.i;
	const void *x = args[VACCEL_NRM2_X].buf;
	double res;

	switch (prec) {
	case VACCEL_BLAS_S:
		res = cblas_snrm2(n, x, incx);
		break;
	case VACCEL_BLAS_D:
		res = cblas_dnrm2(n, x, incx);
		break;
	case VACCEL_BLAS_C:
		res = cblas_scnrm2(n, x, incx);
		break;
	default:
		res = cblas_dznrm2(n, x, incx);
	}
	memcpy(args[VACCEL_NRM2_RESULT].buf, &res, sizeof(res));
	return VACCEL_OK;
}

/* ---- the plugin --------------------------------------------------------- */

static int openblas_init(void *priv)
{
	(void)priv;
	const char *config = openblas_get_config();
	const char *core = openblas_get_corename();

	vaccel_log(VACCEL_LOG_INFO, TAG, "%s, core %s, %d thread(s)",
		   config ? config : "OpenBLAS (no config string)",
		   core ? core : "unknown", openblas_get_num_threads());
	const char *asked = getenv("OPENBLAS_CORETYPE");
	if (asked && *asked && core && strcasecmp(asked, core))
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "OPENBLAS_CORETYPE asks for the %s kernels; "
			   "OpenBLAS runs its %s ones (its build may lack "
			   "those)",
			   asked, core);
	const char *better = openblas_core_better(core, openblas_cpu_isa());
	if (better)
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "OpenBLAS runs its %s kernels on a CPU with %s: "
			   "calls run several times slower than it allows; "
			   "start the agent with --blas-coretype %s "
			   "(docs/plugins.md)",
			   core,
			   strcmp(better, "SkylakeX") ? "AVX2" : "AVX-512",
			   better);
	return VACCEL_OK;
}

// clang-format off: a macro of entries, then entries
static const struct vaccel_plugin_op openblas_ops[] = {
    CBLAS_TYPED_OPS{.op_id = VACCEL_OPID_GER, .fn = op_ger},
    {.op_id = VACCEL_OPID_SYMV, .fn = op_symv},
    {.op_id = VACCEL_OPID_AXPY, .fn = op_axpy},
    {.op_id = VACCEL_OPID_SCAL, .fn = op_scal},
    {.op_id = VACCEL_OPID_DOT, .fn = op_dot},
    {.op_id = VACCEL_OPID_NRM2, .fn = op_nrm2},
};
// clang-format on

/*
 * OpenBLAS's optimised kernels read (never write) a little outside their
 * arrays: 0.3.21, each array against a guard page, read up to 48 bytes
 * before the start (complex dot and gemv with a negative increment) and
 * up to 304 past the end (docs/security.md). The host keeps this much
 * readable memory around every buffer.
 */
#define OPENBLAS_READ_SLACK (16u << 10)

VACCEL_PLUGIN_DEFINE(.name = "openblas", .version = "1.0",
		     .type = VACCEL_PLUGIN_CPU | VACCEL_PLUGIN_SOFTWARE,
		     .init = openblas_init, .ops = openblas_ops,
		     .nr_ops = sizeof(openblas_ops) / sizeof(openblas_ops[0]),
		     .read_slack = OPENBLAS_READ_SLACK);
