/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * A hand-made call table standing in for the generated one: a few
 * OpenBLAS routines in both spellings (CBLAS by value, Fortran by
 * reference with hidden CHARACTER lengths), every C type the executor
 * passes, a LAPACK workspace, and entries that must be refused. The op
 * ids are outside the core's table, so each op's descriptor is here too.
 */

#include "../callspec.h"
#include <vaccel/remote.h>

enum test_op {
	T_CBLAS_DDOT = 5000, /* cblas_ddot: int by value, double result */
	T_DDOT,		     /* ddot_: the same by reference */
	T_DGEMV,	     /* dgemv_: CHARACTER trans + hidden length */
	T_CBLAS_DGEMV,	     /* cblas_dgemv: enums by value */
	T_CBLAS_SSCAL,	     /* cblas_sscal: float by value */
	T_CBLAS_ZSCAL,	     /* cblas_zscal: double complex by pointer */
	T_CSCAL,	     /* cscal_: float complex by reference */
	T_CDOTU,	     /* cdotu_: float complex result */
	T_ZDOTU,	     /* zdotu_: double complex result */
	T_CBLAS_IDAMAX,	     /* cblas_idamax: size_t result */
	T_ISAMAX,	     /* isamax_: INTEGER result */
	T_SNRM2,	     /* snrm2_: float result */
	T_DSYEV,	     /* dsyev_: workspace, INFO, two hidden lengths */
	T_MISSING_SYM,	     /* a symbol OpenBLAS lacks */
	T_MISSING_LIB,	     /* an api whose library does not exist */
	T_BAD_WORK,	     /* dsyev_ with a workspace size rule that fails */
	T_MISMATCH,	     /* a pointer taken from a scalar: a bad table */
	T_END
};

/* Argument positions. */
enum { DOT_N, DOT_X, DOT_INCX, DOT_Y, DOT_INCY, DOT_RES, DOT_NR };
enum {
	GEMV_TRANS,
	GEMV_M,
	GEMV_N,
	GEMV_ALPHA,
	GEMV_A,
	GEMV_LDA,
	GEMV_X,
	GEMV_INCX,
	GEMV_BETA,
	GEMV_Y,
	GEMV_INCY,
	GEMV_NR
};
/* cblas_dgemv: layout first, then as above */
enum { CGEMV_LAYOUT, CGEMV_REST };
enum { SCAL_N, SCAL_ALPHA, SCAL_X, SCAL_INCX, SCAL_NR };
enum { AMAX_N, AMAX_X, AMAX_INCX, AMAX_RES, AMAX_NR };
enum {
	SYEV_JOBZ,
	SYEV_UPLO,
	SYEV_N,
	SYEV_A,
	SYEV_LDA,
	SYEV_W,
	SYEV_WORK,
	SYEV_LWORK,
	SYEV_INFO,
	SYEV_NR
};

/* The descriptor of a test op; NULL for other ids. */
const struct vaccel_op_desc *test_op(uint32_t id);
