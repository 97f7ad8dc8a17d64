// SPDX-License-Identifier: Apache-2.0
/*
 * The hand-made call table of callspecs_test.h, in the form
 * `vaccel_codegen.py ffi` generates, with the descriptors of its ops.
 */
#include "callspecs_test.h"
#include <stddef.h>

#define SCALAR(n, t)                                                           \
	{                                                                      \
		.name = (n), .kind = VACCEL_ARGK_SCALAR,                       \
		.type = VACCEL_ARGT_##t                                        \
	}
#define BUF(n, k, t)                                                           \
	{                                                                      \
		.name = (n), .kind = VACCEL_ARGK_##k, .type = VACCEL_ARGT_##t  \
	}
#define P(a, ct, how)                                                          \
	{                                                                      \
		.arg = (a), .ctype = VACCEL_CS_##ct, .pass = VACCEL_CS_##how   \
	}
#define HIDDEN_LEN                                                             \
	{                                                                      \
		.arg = -1, .ctype = VACCEL_CS_LEN, .pass = VACCEL_CS_BYVAL     \
	}
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- descriptors -------------------------------------------------------- */

#define DOT_ARGS(name, t, rt)                                                  \
	static const struct vaccel_op_argdesc name[DOT_NR] = {                 \
	    SCALAR("n", I64), BUF("x", IN, t),	   SCALAR("incx", I64),        \
	    BUF("y", IN, t),  SCALAR("incy", I64), BUF("result", OUT, rt),     \
	}
DOT_ARGS(ddot_args, F64, F64);
DOT_ARGS(cdot_args, C64, C64);
DOT_ARGS(zdot_args, C128, C128);

static const struct vaccel_op_argdesc gemv_args[GEMV_NR] = {
    SCALAR("trans", U8),  SCALAR("m", I64),    SCALAR("n", I64),
    SCALAR("alpha", F64), BUF("a", IN, F64),   SCALAR("lda", I64),
    BUF("x", IN, F64),	  SCALAR("incx", I64), SCALAR("beta", F64),
    BUF("y", INOUT, F64), SCALAR("incy", I64),
};

static const struct vaccel_op_argdesc cgemv_args[1 + GEMV_NR] = {
    SCALAR("layout", U32), SCALAR("trans", U32), SCALAR("m", I64),
    SCALAR("n", I64),	   SCALAR("alpha", F64), BUF("a", IN, F64),
    SCALAR("lda", I64),	   BUF("x", IN, F64),	 SCALAR("incx", I64),
    SCALAR("beta", F64),   BUF("y", INOUT, F64), SCALAR("incy", I64),
};

#define SCAL_ARGS(name, t)                                                     \
	static const struct vaccel_op_argdesc name[SCAL_NR] = {                \
	    SCALAR("n", I64),                                                  \
	    SCALAR("alpha", t),                                                \
	    BUF("x", INOUT, t),                                                \
	    SCALAR("incx", I64),                                               \
	}
SCAL_ARGS(sscal_args, F32);
SCAL_ARGS(zscal_args, C128);
SCAL_ARGS(cscal_args, C64);

#define AMAX_ARGS(name, t, rt)                                                 \
	static const struct vaccel_op_argdesc name[AMAX_NR] = {                \
	    SCALAR("n", I64),                                                  \
	    BUF("x", IN, t),                                                   \
	    SCALAR("incx", I64),                                               \
	    BUF("result", OUT, rt),                                            \
	}
AMAX_ARGS(idamax_args, F64, U64);
AMAX_ARGS(isamax_args, F32, I32);
AMAX_ARGS(snrm2_args, F32, F32);

static const struct vaccel_op_argdesc syev_args[SYEV_NR] = {
    SCALAR("jobz", U8),	   SCALAR("uplo", U8),	 SCALAR("n", I64),
    BUF("a", INOUT, F64),  SCALAR("lda", I64),	 BUF("w", OUT, F64),
    BUF("work", OUT, F64), SCALAR("lwork", I64), BUF("info", OUT, I32),
};

#define DESC(id_, name_, args_)                                                \
	[(id_)-T_CBLAS_DDOT] = {.id = (id_),                                   \
				.name = (name_),                               \
				.nr_args = N_OF(args_),                        \
				.args = (args_),                               \
				.prec_arg = -1}

static const struct vaccel_op_desc descs[T_END - T_CBLAS_DDOT] = {
    DESC(T_CBLAS_DDOT, "t_cblas_ddot", ddot_args),
    DESC(T_DDOT, "t_ddot", ddot_args),
    DESC(T_DGEMV, "t_dgemv", gemv_args),
    DESC(T_CBLAS_DGEMV, "t_cblas_dgemv", cgemv_args),
    DESC(T_CBLAS_SSCAL, "t_cblas_sscal", sscal_args),
    DESC(T_CBLAS_ZSCAL, "t_cblas_zscal", zscal_args),
    DESC(T_CSCAL, "t_cscal", cscal_args),
    DESC(T_CDOTU, "t_cdotu", cdot_args),
    DESC(T_ZDOTU, "t_zdotu", zdot_args),
    DESC(T_CBLAS_IDAMAX, "t_cblas_idamax", idamax_args),
    DESC(T_ISAMAX, "t_isamax", isamax_args),
    DESC(T_SNRM2, "t_snrm2", snrm2_args),
    DESC(T_DSYEV, "t_dsyev", syev_args),
    DESC(T_MISSING_SYM, "t_missing_sym", ddot_args),
    DESC(T_MISSING_LIB, "t_missing_lib", ddot_args),
    DESC(T_BAD_WORK, "t_bad_work", syev_args),
    DESC(T_MISMATCH, "t_mismatch", ddot_args),
};

const struct vaccel_op_desc *test_op(uint32_t id)
{
	if (id < T_CBLAS_DDOT || id >= T_END)
		return NULL;
	return &descs[id - T_CBLAS_DDOT];
}

/* ---- checks, as the generator writes them -------------------------------
 * 0 when the call is valid, else the position the reference reports.
 */

static int upper(int64_t c)
{
	return c >= 'a' && c <= 'z' ? (int)(c - 'a' + 'A') : (int)c;
}

/* LSAME against any of `letters`. */
static int one_of(int64_t c, const char *letters)
{
	for (const char *l = letters; *l; l++)
		if (upper(c) == *l)
			return 1;
	return 0;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static int check_dgemv(const struct vaccel_oparg *a)
{
	if (!one_of(a[GEMV_TRANS].v.i, "NTC"))
		return 1;
	if (a[GEMV_M].v.i < 0)
		return 2;
	if (a[GEMV_N].v.i < 0)
		return 3;
	if (a[GEMV_LDA].v.i < max64(1, a[GEMV_M].v.i))
		return 6;
	if (a[GEMV_INCX].v.i == 0)
		return 8;
	if (a[GEMV_INCY].v.i == 0)
		return 11;
	return 0;
}

static int check_dsyev(const struct vaccel_oparg *a)
{
	int64_t n = a[SYEV_N].v.i, lwork = a[SYEV_LWORK].v.i;

	if (!one_of(a[SYEV_JOBZ].v.i, "NV"))
		return 1;
	if (!one_of(a[SYEV_UPLO].v.i, "UL"))
		return 2;
	if (n < 0)
		return 3;
	if (a[SYEV_LDA].v.i < max64(1, n))
		return 5;
	if (lwork < max64(1, 3 * n - 1) && lwork != -1)
		return 8;
	return 0;
}

/* ---- workspaces ---------------------------------------------------------- */

static int64_t syev_work(const struct vaccel_oparg *a)
{
	int64_t lwork = a[SYEV_LWORK].v.i;
	return lwork == -1 ? 1 : lwork;
}

static int64_t bad_work(const struct vaccel_oparg *a)
{
	(void)a;
	return -1;
}

/* ---- the table ----------------------------------------------------------- */

static const char *const blas_libs[] = {"libopenblas.so.0", NULL};
static const char *const nowhere_libs[] = {
    "libvaccel-no-such-library.so.9", "/nonexistent/libvaccel-none.so", NULL};

const struct vaccel_cs_api vaccel_cs_apis[] = {
    {.name = "blas", .libs = blas_libs},
    {.name = "nowhere", .libs = nowhere_libs},
};
const unsigned int vaccel_cs_apis_count = N_OF(vaccel_cs_apis);

static const struct vaccel_cs_param cblas_ddot_p[] = {
    P(DOT_N, I32, BYVAL), P(DOT_X, PTR, BYVAL),	   P(DOT_INCX, I32, BYVAL),
    P(DOT_Y, PTR, BYVAL), P(DOT_INCY, I32, BYVAL),
};
static const struct vaccel_cs_param f77_dot_p[] = {
    P(DOT_N, I32, BYREF), P(DOT_X, PTR, BYVAL),	   P(DOT_INCX, I32, BYREF),
    P(DOT_Y, PTR, BYVAL), P(DOT_INCY, I32, BYREF),
};
static const struct vaccel_cs_param dgemv_p[] = {
    P(GEMV_TRANS, U8, BYREF), P(GEMV_M, I32, BYREF),
    P(GEMV_N, I32, BYREF),    P(GEMV_ALPHA, F64, BYREF),
    P(GEMV_A, PTR, BYVAL),    P(GEMV_LDA, I32, BYREF),
    P(GEMV_X, PTR, BYVAL),    P(GEMV_INCX, I32, BYREF),
    P(GEMV_BETA, F64, BYREF), P(GEMV_Y, PTR, BYVAL),
    P(GEMV_INCY, I32, BYREF), HIDDEN_LEN,
};
#define CG(x) (CGEMV_REST + (x))
static const struct vaccel_cs_param cblas_dgemv_p[] = {
    P(CGEMV_LAYOUT, I32, BYVAL),   P(CG(GEMV_TRANS), I32, BYVAL),
    P(CG(GEMV_M), I32, BYVAL),	   P(CG(GEMV_N), I32, BYVAL),
    P(CG(GEMV_ALPHA), F64, BYVAL), P(CG(GEMV_A), PTR, BYVAL),
    P(CG(GEMV_LDA), I32, BYVAL),   P(CG(GEMV_X), PTR, BYVAL),
    P(CG(GEMV_INCX), I32, BYVAL),  P(CG(GEMV_BETA), F64, BYVAL),
    P(CG(GEMV_Y), PTR, BYVAL),	   P(CG(GEMV_INCY), I32, BYVAL),
};
static const struct vaccel_cs_param cblas_sscal_p[] = {
    P(SCAL_N, I32, BYVAL), P(SCAL_ALPHA, F32, BYVAL), P(SCAL_X, PTR, BYVAL),
    P(SCAL_INCX, I32, BYVAL)};
static const struct vaccel_cs_param cblas_zscal_p[] = {
    P(SCAL_N, I32, BYVAL), P(SCAL_ALPHA, C128, BYREF), P(SCAL_X, PTR, BYVAL),
    P(SCAL_INCX, I32, BYVAL)};
static const struct vaccel_cs_param cscal_p[] = {
    P(SCAL_N, I32, BYREF), P(SCAL_ALPHA, C64, BYREF), P(SCAL_X, PTR, BYVAL),
    P(SCAL_INCX, I32, BYREF)};
static const struct vaccel_cs_param cblas_amax_p[] = {
    P(AMAX_N, I32, BYVAL), P(AMAX_X, PTR, BYVAL), P(AMAX_INCX, I32, BYVAL)};
static const struct vaccel_cs_param f77_amax_p[] = {
    P(AMAX_N, I32, BYREF), P(AMAX_X, PTR, BYVAL), P(AMAX_INCX, I32, BYREF)};
static const struct vaccel_cs_param dsyev_p[] = {
    P(SYEV_JOBZ, U8, BYREF),
    P(SYEV_UPLO, U8, BYREF),
    P(SYEV_N, I32, BYREF),
    P(SYEV_A, PTR, BYVAL),
    P(SYEV_LDA, I32, BYREF),
    P(SYEV_W, PTR, BYVAL),
    P(SYEV_WORK, PTR, BYVAL),
    P(SYEV_LWORK, I32, BYREF),
    P(SYEV_INFO, PTR, BYVAL),
    HIDDEN_LEN,
    HIDDEN_LEN,
};
static const struct vaccel_cs_work dsyev_w[] = {
    {.arg = SYEV_WORK, .nelems = syev_work}};
static const struct vaccel_cs_work bad_w[] = {
    {.arg = SYEV_WORK, .nelems = bad_work}};
static const struct vaccel_cs_param mismatch_p[] = {P(DOT_N, PTR, BYVAL)};

#define CS(id, sym, api_, params_, rt, ra)                                     \
	{                                                                      \
		.op_id = (id), .symbol = (sym), .api = (api_),                 \
		.nr_params = N_OF(params_), .params = (params_),               \
		.ret_ctype = VACCEL_CS_##rt, .ret_arg = (ra)                   \
	}

const struct vaccel_callspec vaccel_callspecs[] = {
    CS(T_CBLAS_DDOT, "cblas_ddot", 0, cblas_ddot_p, F64, DOT_RES),
    CS(T_DDOT, "ddot_", 0, f77_dot_p, F64, DOT_RES),
    {.op_id = T_DGEMV,
     .symbol = "dgemv_",
     .nr_params = N_OF(dgemv_p),
     .params = dgemv_p,
     .ret_ctype = VACCEL_CS_VOID,
     .ret_arg = -1,
     .check = check_dgemv},
    CS(T_CBLAS_DGEMV, "cblas_dgemv", 0, cblas_dgemv_p, VOID, -1),
    CS(T_CBLAS_SSCAL, "cblas_sscal", 0, cblas_sscal_p, VOID, -1),
    CS(T_CBLAS_ZSCAL, "cblas_zscal", 0, cblas_zscal_p, VOID, -1),
    CS(T_CSCAL, "cscal_", 0, cscal_p, VOID, -1),
    CS(T_CDOTU, "cdotu_", 0, f77_dot_p, C64, DOT_RES),
    CS(T_ZDOTU, "zdotu_", 0, f77_dot_p, C128, DOT_RES),
    CS(T_CBLAS_IDAMAX, "cblas_idamax", 0, cblas_amax_p, U64, AMAX_RES),
    CS(T_ISAMAX, "isamax_", 0, f77_amax_p, I32, AMAX_RES),
    CS(T_SNRM2, "snrm2_", 0, f77_amax_p, F32, AMAX_RES),
    {.op_id = T_DSYEV,
     .symbol = "dsyev_",
     .nr_params = N_OF(dsyev_p),
     .params = dsyev_p,
     .ret_ctype = VACCEL_CS_VOID,
     .ret_arg = -1,
     .nr_work = N_OF(dsyev_w),
     .work = dsyev_w,
     .check = check_dsyev},
    CS(T_MISSING_SYM, "vaccel_no_such_symbol_", 0, f77_dot_p, VOID, -1),
    CS(T_MISSING_LIB, "ddot_", 1, f77_dot_p, F64, DOT_RES),
    {.op_id = T_BAD_WORK,
     .symbol = "dsyev_",
     .nr_params = N_OF(dsyev_p),
     .params = dsyev_p,
     .ret_ctype = VACCEL_CS_VOID,
     .ret_arg = -1,
     .nr_work = N_OF(bad_w),
     .work = bad_w},
    CS(T_MISMATCH, "ddot_", 0, mismatch_p, VOID, -1),
};
const unsigned int vaccel_callspecs_count = N_OF(vaccel_callspecs);
