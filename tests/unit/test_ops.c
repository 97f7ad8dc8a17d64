// SPDX-License-Identifier: Apache-2.0
/* Op descriptors: the generated tables, lookups and size rules. */
#include "common.h"
#include "vsz.h"
#include <string.h>

TestSuite(ops, .fini = test_cleanup);

Test(ops, ids_unique_and_lookups_round_trip)
{
	unsigned int n = 0;
	bool seen[VACCEL_OPID_LIMIT] = {false};
	for (const struct vaccel_op_desc *d; (d = vaccel_op_desc_at(n)); n++) {
		cr_assert_lt(d->id, VACCEL_OPID_LIMIT, "%s", d->name);
		cr_expect(!seen[d->id], "id %u used twice", d->id);
		seen[d->id] = true;
		cr_expect_eq(vaccel_op_desc_by_id(d->id), d, "%s", d->name);
		cr_expect_eq(vaccel_op_desc_by_name(d->name), d, "%s", d->name);
		cr_expect_str_eq(vaccel_op_name(d->id), d->name);
	}
	cr_expect_eq(n, VACCEL_OPS_COUNT);
	/* ids with no op */
	for (uint32_t id = 0; id < VACCEL_OPID_LIMIT; id++)
		if (!seen[id])
			cr_expect_null(vaccel_op_desc_by_id(id), "id %u", id);
	cr_expect_null(vaccel_op_desc_by_id(VACCEL_OPID_LIMIT));
	cr_expect_null(vaccel_op_desc_by_id(UINT32_MAX));
	cr_expect_str_eq(vaccel_op_name(VACCEL_OPID_LIMIT), "unknown");
	cr_expect_null(vaccel_op_desc_by_name("no_such_op"));
	cr_expect_null(vaccel_op_desc_by_name(""));
	cr_expect_null(vaccel_op_desc_by_name(NULL));
	cr_expect_null(vaccel_op_desc_by_name("GEMM"), "names are exact");
}

Test(ops, known_ids)
{
	cr_expect_str_eq(vaccel_op_name(VACCEL_OPID_NOOP), "noop");
	cr_expect_str_eq(vaccel_op_name(VACCEL_OPID_GEMM), "gemm");
	cr_expect_str_eq(vaccel_op_name(VACCEL_OPID_MODEL_RUN), "model_run");
	cr_expect_eq(vaccel_op_desc_by_name("exec")->id, VACCEL_OPID_EXEC);
	cr_expect_eq(vaccel_op_desc_by_id(VACCEL_OPID_GEMM)->nr_args,
		     VACCEL_GEMM_NR_ARGS);
	cr_expect(vaccel_op_desc_by_id(VACCEL_OPID_GEMM)->flags &
		  VACCEL_OPF_IDEMPOTENT);
	cr_expect(!(vaccel_op_desc_by_id(VACCEL_OPID_EXEC)->flags &
		    VACCEL_OPF_IDEMPOTENT));
}

Test(ops, sig_hashes_distinct)
{
	for (unsigned int i = 0; vaccel_op_desc_at(i); i++) {
		const struct vaccel_op_desc *a = vaccel_op_desc_at(i);
		cr_expect_neq(a->sig_hash, 0, "%s", a->name);
		for (unsigned int j = i + 1; vaccel_op_desc_at(j); j++)
			cr_expect_neq(a->sig_hash,
				      vaccel_op_desc_at(j)->sig_hash,
				      "%s and %s share a signature hash",
				      a->name, vaccel_op_desc_at(j)->name);
	}
}

Test(ops, descriptors_well_formed)
{
	for (unsigned int i = 0; vaccel_op_desc_at(i); i++) {
		const struct vaccel_op_desc *d = vaccel_op_desc_at(i);
		bool has_prec_buffer = false;
		cr_assert(d->nr_args == 0 || d->args, "%s", d->name);
		for (uint32_t a = 0; a < d->nr_args; a++) {
			const struct vaccel_op_argdesc *ad = &d->args[a];
			cr_assert_not_null(ad->name);
			cr_expect_leq(ad->kind, VACCEL_ARGK_TENSORS_OUT);
			cr_expect_str_neq(vaccel_arg_kind_to_str(ad->kind),
					  "?");
			cr_expect_str_neq(vaccel_arg_type_to_str(ad->type),
					  "?");
			bool buffer = ad->kind == VACCEL_ARGK_IN ||
				      ad->kind == VACCEL_ARGK_OUT ||
				      ad->kind == VACCEL_ARGK_INOUT;
			if (!buffer)
				cr_expect_null(ad->nelems, "%s.%s", d->name,
					       ad->name);
			if (ad->type == VACCEL_ARGT_PREC) {
				cr_expect(buffer, "%s.%s", d->name, ad->name);
				has_prec_buffer = true;
			}
			for (uint32_t b = 0; b < a; b++)
				cr_expect_str_neq(d->args[b].name, ad->name,
						  "%s: two args named %s",
						  d->name, ad->name);
		}
		if (has_prec_buffer) {
			cr_assert_geq(d->prec_arg, 0, "%s", d->name);
			cr_assert_lt((uint32_t)d->prec_arg, d->nr_args);
			cr_expect_str_eq(d->args[d->prec_arg].name, "prec");
			cr_expect_eq(d->args[d->prec_arg].kind,
				     VACCEL_ARGK_SCALAR);
		} else {
			cr_expect_eq(d->prec_arg, -1, "%s", d->name);
		}
	}
}

/* Elements of a rows x cols matrix, computed by hand. */
static int64_t hand_mat(int layout, int64_t ld, int64_t rows, int64_t cols)
{
	if (!rows || !cols)
		return 0;
	return layout == VACCEL_BLAS_COL ? ld * (cols - 1) + rows
					 : ld * (rows - 1) + cols;
}

Test(ops, gemm_size_rule_matches_hand_computation)
{
	static const int layouts[] = {VACCEL_BLAS_ROW, VACCEL_BLAS_COL};
	static const int trans[] = {VACCEL_BLAS_NOTRANS, VACCEL_BLAS_TRANS,
				    VACCEL_BLAS_CONJTRANS};
	static const size_t es[] = {4, 8, 8, 16};
	const struct vaccel_op_desc *d = vaccel_op_desc_by_id(VACCEL_OPID_GEMM);
	const int64_t m = 3, n = 5, k = 7, lda = 11, ldb = 13, ldc = 17;
	/* every layout x transa x transb */
	for (int i = 0; i < 2 * 3 * 3; i++) {
		int l = i / 9, ta = (i / 3) % 3, tb = i % 3;
		struct vaccel_oparg args[VACCEL_GEMM_NR_ARGS] = {0};
		args[VACCEL_GEMM_LAYOUT].v.i = layouts[l];
		args[VACCEL_GEMM_TRANSA].v.i = trans[ta];
		args[VACCEL_GEMM_TRANSB].v.i = trans[tb];
		args[VACCEL_GEMM_M].v.i = m;
		args[VACCEL_GEMM_N].v.i = n;
		args[VACCEL_GEMM_K].v.i = k;
		args[VACCEL_GEMM_LDA].v.i = lda;
		args[VACCEL_GEMM_LDB].v.i = ldb;
		args[VACCEL_GEMM_LDC].v.i = ldc;
		bool na = trans[ta] == VACCEL_BLAS_NOTRANS;
		bool nb = trans[tb] == VACCEL_BLAS_NOTRANS;
		int64_t want_a =
		    hand_mat(layouts[l], lda, na ? m : k, na ? k : m);
		int64_t want_b =
		    hand_mat(layouts[l], ldb, nb ? k : n, nb ? n : k);
		int64_t want_c = hand_mat(layouts[l], ldc, m, n);
		cr_expect_eq(d->args[VACCEL_GEMM_A].nelems(args), want_a,
			     "A, layout %d transa %d", layouts[l], trans[ta]);
		cr_expect_eq(d->args[VACCEL_GEMM_B].nelems(args), want_b,
			     "B, layout %d transb %d", layouts[l], trans[tb]);
		cr_expect_eq(d->args[VACCEL_GEMM_C].nelems(args), want_c,
			     "C, layout %d", layouts[l]);

		/* and validation wants exactly those bytes, per precision */
		static uint8_t buf[4096];
		for (int p = 0; p < 4; p++) {
			args[VACCEL_GEMM_PREC].v.i = p;
			args[VACCEL_GEMM_A].buf = buf;
			args[VACCEL_GEMM_B].buf = buf;
			args[VACCEL_GEMM_C].buf = buf;
			args[VACCEL_GEMM_A].len = (uint64_t)want_a * es[p];
			args[VACCEL_GEMM_B].len = (uint64_t)want_b * es[p];
			args[VACCEL_GEMM_C].len = (uint64_t)want_c * es[p];
			expect_ret(vaccel_op_validate(d, args, NULL),
				   VACCEL_OK);
			args[VACCEL_GEMM_C].len += es[p];
			expect_ret(vaccel_op_validate(d, args, NULL),
				   VACCEL_EINVAL);
		}
	}
}

Test(ops, empty_matrices_have_no_elements)
{
	const struct vaccel_op_desc *d = vaccel_op_desc_by_id(VACCEL_OPID_GEMM);
	struct vaccel_oparg args[VACCEL_GEMM_NR_ARGS] = {0};
	args[VACCEL_GEMM_LAYOUT].v.i = VACCEL_BLAS_COL;
	args[VACCEL_GEMM_TRANSA].v.i = VACCEL_BLAS_NOTRANS;
	args[VACCEL_GEMM_TRANSB].v.i = VACCEL_BLAS_NOTRANS;
	args[VACCEL_GEMM_M].v.i = 0;
	args[VACCEL_GEMM_N].v.i = 4;
	args[VACCEL_GEMM_K].v.i = 4;
	args[VACCEL_GEMM_LDA].v.i = 1;
	args[VACCEL_GEMM_LDB].v.i = 4;
	args[VACCEL_GEMM_LDC].v.i = 1;
	cr_expect_eq(d->args[VACCEL_GEMM_A].nelems(args), 0);
	cr_expect_eq(d->args[VACCEL_GEMM_C].nelems(args), 0);
	cr_expect_eq(d->args[VACCEL_GEMM_B].nelems(args), 16);
}

Test(ops, vector_rule_with_increments)
{
	const struct vaccel_op_desc *d = vaccel_op_desc_by_id(VACCEL_OPID_AXPY);
	struct vaccel_oparg args[VACCEL_AXPY_NR_ARGS] = {0};
	args[VACCEL_AXPY_N].v.i = 4;
	args[VACCEL_AXPY_INCX].v.i = -3;
	args[VACCEL_AXPY_INCY].v.i = 2;
	cr_expect_eq(d->args[VACCEL_AXPY_X].nelems(args), 10);
	cr_expect_eq(d->args[VACCEL_AXPY_Y].nelems(args), 7);
	args[VACCEL_AXPY_INCX].v.i = 0;
	cr_expect_eq(d->args[VACCEL_AXPY_X].nelems(args), 1);
	args[VACCEL_AXPY_INCX].v.i = INT64_MIN;
	cr_expect_eq(d->args[VACCEL_AXPY_X].nelems(args), -1);
	args[VACCEL_AXPY_N].v.i = -1;
	cr_expect_eq(d->args[VACCEL_AXPY_Y].nelems(args), -1);
}

Test(ops, gemm_rule_overflow_is_minus_one)
{
	const struct vaccel_op_desc *d = vaccel_op_desc_by_id(VACCEL_OPID_GEMM);
	const int64_t big = INT64_C(1) << 40;
	struct vaccel_oparg args[VACCEL_GEMM_NR_ARGS] = {0};
	args[VACCEL_GEMM_LAYOUT].v.i = VACCEL_BLAS_COL;
	args[VACCEL_GEMM_TRANSA].v.i = VACCEL_BLAS_NOTRANS;
	args[VACCEL_GEMM_TRANSB].v.i = VACCEL_BLAS_NOTRANS;
	args[VACCEL_GEMM_M].v.i = big;
	args[VACCEL_GEMM_N].v.i = big;
	args[VACCEL_GEMM_K].v.i = big;
	args[VACCEL_GEMM_LDA].v.i = big;
	args[VACCEL_GEMM_LDB].v.i = big;
	args[VACCEL_GEMM_LDC].v.i = big;
	cr_expect_eq(d->args[VACCEL_GEMM_A].nelems(args), -1);
	cr_expect_eq(d->args[VACCEL_GEMM_B].nelems(args), -1);
	cr_expect_eq(d->args[VACCEL_GEMM_C].nelems(args), -1);
	/* 2^32 * (2^32 - 1) + 2^32 wraps to 0 in 64 bits */
	const int64_t wrap = INT64_C(1) << 32;
	args[VACCEL_GEMM_M].v.i = wrap;
	args[VACCEL_GEMM_N].v.i = wrap;
	args[VACCEL_GEMM_LDC].v.i = wrap;
	cr_expect_eq(d->args[VACCEL_GEMM_C].nelems(args), -1);
	args[VACCEL_GEMM_LAYOUT].v.i = 7;
	args[VACCEL_GEMM_M].v.i = 2;
	cr_expect_eq(d->args[VACCEL_GEMM_C].nelems(args), -1,
		     "a bad layout must fail the rule");
}

Test(ops, vsz_arithmetic)
{
	cr_expect_eq(vsz_add(2, 3), 5);
	cr_expect_eq(vsz_add(INT64_MAX, 1), -1);
	cr_expect_eq(vsz_add(-1, 1), -1);
	cr_expect_eq(vsz_sub(5, 3), 2);
	cr_expect_eq(vsz_sub(3, 5), -1);
	cr_expect_eq(vsz_mul(6, 7), 42);
	cr_expect_eq(vsz_mul(INT64_MAX, 2), -1);
	cr_expect_eq(vsz_mul(INT64_C(1) << 32, INT64_C(1) << 31), -1);
	/* wraps to exactly 0 */
	cr_expect_eq(vsz_mul(INT64_C(1) << 32, INT64_C(1) << 32), -1);
	cr_expect_eq(vsz_mul(-2, 3), -1);
	cr_expect_eq(vsz_div(7, 2), 3);
	cr_expect_eq(vsz_div(7, 0), -1);
	cr_expect_eq(vsz_max(3, 9), 9);
	cr_expect_eq(vsz_max(-1, 9), -1);
	cr_expect_eq(vsz_min(3, 9), 3);
	cr_expect_eq(vsz_min(3, -9), -1);
	cr_expect_eq(vsz_mat(102, 10, 3, 4), 33);
	cr_expect_eq(vsz_mat(101, 10, 3, 4), 24);
	cr_expect_eq(vsz_mat(102, 10, 0, 4), 0);
	cr_expect_eq(vsz_mat(103, 10, 3, 4), -1);
	cr_expect_eq(
	    vsz_mat(102, INT64_C(1) << 40, INT64_C(1) << 40, INT64_C(1) << 40),
	    -1);
	cr_expect_eq(vsz_mat(102, -1, 3, 4), -1);
	cr_expect_eq(vsz_vec(3, -2), 5);
	cr_expect_eq(vsz_vec(0, 5), 0);
	cr_expect_eq(vsz_vec(INT64_MAX, 2), -1);
	cr_expect_eq(vsz_vec(2, INT64_MIN), -1);
}

Test(ops, elem_sizes)
{
	const struct vaccel_op_desc *g = vaccel_op_desc_by_id(VACCEL_OPID_GEMM);
	const struct vaccel_op_desc *dot =
	    vaccel_op_desc_by_id(VACCEL_OPID_DOT);
	static const size_t want[4] = {4, 8, 8, 16};
	struct vaccel_oparg args[VACCEL_GEMM_NR_ARGS] = {0};
	for (int p = 0; p < 4; p++) {
		args[VACCEL_GEMM_PREC].v.i = p;
		cr_expect_eq(vaccel_op_elem_size(g, args, VACCEL_GEMM_A),
			     want[p], "prec %d", p);
	}
	args[VACCEL_GEMM_PREC].v.i = 4;
	cr_expect_eq(vaccel_op_elem_size(g, args, VACCEL_GEMM_A), 0);
	args[VACCEL_GEMM_PREC].v.i = -1;
	cr_expect_eq(vaccel_op_elem_size(g, args, VACCEL_GEMM_C), 0);
	cr_expect_eq(vaccel_op_elem_size(g, args, VACCEL_GEMM_NR_ARGS), 0);
	cr_expect_eq(vaccel_op_elem_size(NULL, args, 0), 0);
	cr_expect_eq(vaccel_op_elem_size(g, NULL, 0), 0);
	struct vaccel_oparg dargs[VACCEL_DOT_NR_ARGS] = {0};
	/* the result's type is fixed, whatever prec says */
	dargs[VACCEL_DOT_PREC].v.i = 9;
	cr_expect_eq(vaccel_op_elem_size(dot, dargs, VACCEL_DOT_RESULT), 16);
}

Test(ops, dtype_and_names)
{
	cr_expect_eq(vaccel_dtype_size(VACCEL_DTYPE_F32), 4);
	cr_expect_eq(vaccel_dtype_size(VACCEL_DTYPE_F64), 8);
	cr_expect_eq(vaccel_dtype_size(VACCEL_DTYPE_BOOL), 1);
	cr_expect_eq(vaccel_dtype_size(VACCEL_DTYPE_F16), 2);
	cr_expect_eq(vaccel_dtype_size(VACCEL_DTYPE_MAX), 0);
	cr_expect_str_eq(vaccel_dtype_to_str(VACCEL_DTYPE_I64), "I64");
	cr_expect_str_eq(vaccel_dtype_to_str(VACCEL_DTYPE_MAX), "?");
	cr_expect_str_eq(vaccel_arg_kind_to_str(VACCEL_ARGK_TENSORS_OUT),
			 "TENSORS_OUT");
	cr_expect_str_eq(vaccel_arg_kind_to_str((enum vaccel_arg_kind)99), "?");
	cr_expect_str_eq(vaccel_arg_type_to_str(VACCEL_ARGT_C128), "C128");
	cr_expect_str_eq(vaccel_arg_type_to_str((enum vaccel_arg_type)99), "?");
}

Test(ops, validate_null_arguments)
{
	const struct vaccel_op_desc *g = vaccel_op_desc_by_id(VACCEL_OPID_GEMM);
	assert_ret(vaccel_op_validate(NULL, NULL, NULL), VACCEL_EINVAL);
	assert_ret(vaccel_op_validate(g, NULL, NULL), VACCEL_EINVAL);
	assert_ok(vaccel_op_validate(vaccel_op_desc_by_id(VACCEL_OPID_NOOP),
				     NULL, NULL));
}

/* The layout of argument idx of op id for args; asserts the op has one. */
static int layout_of(uint32_t id, uint32_t idx, const struct vaccel_oparg *args,
		     struct vaccel_layout *l)
{
	const struct vaccel_op_desc *d = vaccel_op_desc_by_id(id);
	cr_assert_not_null(d);
	cr_assert_not_null(d->args[idx].layout, "%s.%s has no layout", d->name,
			   d->args[idx].name);
	*l = (struct vaccel_layout){0};
	return d->args[idx].layout(args, l);
}

static void expect_layout(const struct vaccel_layout *l, uint64_t count,
			  uint64_t block, uint64_t stride, const char *what)
{
	cr_expect_eq(l->count, count, "%s: count %llu", what,
		     (unsigned long long)l->count);
	cr_expect_eq(l->block, block, "%s: block %llu", what,
		     (unsigned long long)l->block);
	cr_expect_eq(l->stride, stride, "%s: stride %llu", what,
		     (unsigned long long)l->stride);
}

Test(ops, layouts_of_strided_vectors)
{
	struct vaccel_oparg a[VACCEL_DROT__NR_ARGS] = {0};
	struct vaccel_layout l;
	a[VACCEL_DROT__N].v.i = 5;
	a[VACCEL_DROT__INCX].v.i = 3;
	a[VACCEL_DROT__INCY].v.i = -2;
	cr_assert_eq(layout_of(VACCEL_OPID_DROT_, VACCEL_DROT__X, a, &l), 0);
	expect_layout(&l, 5, 1, 3, "drot x, incx 3");
	cr_assert_eq(layout_of(VACCEL_OPID_DROT_, VACCEL_DROT__Y, a, &l), 0);
	expect_layout(&l, 5, 1, 2, "drot y, incy -2");
	/* `vec(n, incx) if n > 0 else 0`: no elements, nothing to scatter */
	a[VACCEL_DROT__N].v.i = 0;
	cr_expect_neq(layout_of(VACCEL_OPID_DROT_, VACCEL_DROT__X, a, &l), 0);
	a[VACCEL_DROT__N].v.i = -4;
	cr_expect_neq(layout_of(VACCEL_OPID_DROT_, VACCEL_DROT__X, a, &l), 0);
}

Test(ops, layouts_of_matrices)
{
	struct vaccel_oparg a[VACCEL_DGER__NR_ARGS] = {0};
	struct vaccel_layout l;
	a[VACCEL_DGER__M].v.i = 4;
	a[VACCEL_DGER__N].v.i = 6;
	a[VACCEL_DGER__LDA].v.i = 10;
	cr_assert_eq(layout_of(VACCEL_OPID_DGER_, VACCEL_DGER__A, a, &l), 0);
	expect_layout(&l, 6, 4, 10, "dger A, m 4 n 6 lda 10");

	/* row-major CBLAS: a block per row */
	struct vaccel_oparg c[VACCEL_CBLAS_DGER_NR_ARGS] = {0};
	c[VACCEL_CBLAS_DGER_LAYOUT].v.i = VACCEL_BLAS_ROW;
	c[VACCEL_CBLAS_DGER_M].v.i = 4;
	c[VACCEL_CBLAS_DGER_N].v.i = 6;
	c[VACCEL_CBLAS_DGER_LDA].v.i = 10;
	cr_assert_eq(
	    layout_of(VACCEL_OPID_CBLAS_DGER, VACCEL_CBLAS_DGER_A, c, &l), 0);
	expect_layout(&l, 4, 6, 10, "cblas_dger A, row-major");
	c[VACCEL_CBLAS_DGER_LAYOUT].v.i = VACCEL_BLAS_COL;
	cr_assert_eq(
	    layout_of(VACCEL_OPID_CBLAS_DGER, VACCEL_CBLAS_DGER_A, c, &l), 0);
	expect_layout(&l, 6, 4, 10, "cblas_dger A, column-major");

	/* gemm's C takes the layout argument at run time */
	struct vaccel_oparg g[VACCEL_GEMM_NR_ARGS] = {0};
	g[VACCEL_GEMM_LAYOUT].v.i = VACCEL_BLAS_COL;
	g[VACCEL_GEMM_M].v.i = 3;
	g[VACCEL_GEMM_N].v.i = 5;
	g[VACCEL_GEMM_LDC].v.i = 3;
	cr_assert_eq(layout_of(VACCEL_OPID_GEMM, VACCEL_GEMM_C, g, &l), 0);
	expect_layout(&l, 5, 3, 3, "gemm C, ldc = m: no gaps");
	g[VACCEL_GEMM_LAYOUT].v.i = VACCEL_BLAS_ROW;
	g[VACCEL_GEMM_LDC].v.i = 8;
	cr_assert_eq(layout_of(VACCEL_OPID_GEMM, VACCEL_GEMM_C, g, &l), 0);
	expect_layout(&l, 3, 5, 8, "gemm C, row-major ldc 8");
	g[VACCEL_GEMM_LAYOUT].v.i = 7;
	cr_expect_neq(layout_of(VACCEL_OPID_GEMM, VACCEL_GEMM_C, g, &l), 0,
		      "a bad layout has none");
}

Test(ops, layouts_follow_conditional_rules)
{
	struct vaccel_oparg a[VACCEL_DGESDD__NR_ARGS] = {0};
	struct vaccel_layout l;
	a[VACCEL_DGESDD__M].v.i = 5;
	a[VACCEL_DGESDD__N].v.i = 3;
	a[VACCEL_DGESDD__LDU].v.i = 7;
	a[VACCEL_DGESDD__JOBZ].v.i = 'A';
	cr_assert_eq(layout_of(VACCEL_OPID_DGESDD_, VACCEL_DGESDD__U, a, &l),
		     0);
	expect_layout(&l, 5, 5, 7, "dgesdd U, jobz A: mat(ldu, m, m)");
	a[VACCEL_DGESDD__JOBZ].v.i = 'S';
	cr_assert_eq(layout_of(VACCEL_OPID_DGESDD_, VACCEL_DGESDD__U, a, &l),
		     0);
	expect_layout(&l, 3, 5, 7, "dgesdd U, jobz S: mat(ldu, m, min)");
	a[VACCEL_DGESDD__JOBZ].v.i = 'N';
	cr_expect_neq(layout_of(VACCEL_OPID_DGESDD_, VACCEL_DGESDD__U, a, &l),
		      0, "jobz N: U is not referenced");
}

Test(ops, no_layout_where_the_rule_is_no_matrix_or_vector)
{
	const struct vaccel_op_desc *spr =
	    vaccel_op_desc_by_id(VACCEL_OPID_SPR);
	const struct vaccel_op_desc *gemv =
	    vaccel_op_desc_by_id(VACCEL_OPID_GEMV);
	cr_expect_null(spr->args[VACCEL_SPR_AP].layout,
		       "packed storage is written back whole");
	/* an input is never written back */
	cr_expect_null(gemv->args[VACCEL_GEMV_A].layout);
}

/*
 * Every layout agrees with its size rule: for scalars drawn from values
 * the rules test (letters, CBLAS enums, small and negative numbers), a
 * layout that is given spans exactly nelems elements. The client checks
 * this too before it scatters; here a generator bug shows by name.
 */
Test(ops, layouts_span_what_size_rules_do)
{
	static const int64_t vals[] = {-2,  -1,	 0,   1,   2,	3,   5,	  8,
				       13,  'N', 'T', 'U', 'L', 'A', 'S', 'O',
				       101, 102, 111, 112, 121, 131, 141};
	const unsigned int nv = sizeof(vals) / sizeof(vals[0]);
	unsigned int checked = 0;
	uint64_t x = 88172645463325252u;
	for (unsigned int i = 0; vaccel_op_desc_at(i); i++) {
		const struct vaccel_op_desc *d = vaccel_op_desc_at(i);
		struct vaccel_oparg a[64] = {0};
		cr_assert_leq(d->nr_args, 64);
		for (int round = 0; round < 200; round++) {
			for (uint32_t k = 0; k < d->nr_args; k++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				a[k].v.i = vals[x % nv];
			}
			for (uint32_t k = 0; k < d->nr_args; k++) {
				const struct vaccel_op_argdesc *ad =
				    &d->args[k];
				struct vaccel_layout l;
				if (!ad->layout || ad->layout(a, &l))
					continue;
				int64_t n = ad->nelems(a);
				cr_assert_gt(l.count, 0, "%s.%s", d->name,
					     ad->name);
				cr_assert_eq((l.count - 1) * l.stride + l.block,
					     (uint64_t)n,
					     "%s.%s: layout %llu x %llu / %llu "
					     "spans other than nelems %lld",
					     d->name, ad->name,
					     (unsigned long long)l.count,
					     (unsigned long long)l.block,
					     (unsigned long long)l.stride,
					     (long long)n);
				checked++;
			}
		}
	}
	cr_expect_gt(checked, 1000, "only %u layouts checked", checked);
}

/* A STRING tensor's bytes are exactly its strings, each NUL-ended; a
 * model_run input that lies about them is refused before any plugin. */
Test(ops, string_tensors_are_checked)
{
	struct vaccel_tensor t = {.dtype = VACCEL_DTYPE_STRING, .ndim = 1};
	t.dims[0] = 2;
	char two[] = "ab\0c";
	t.data = two;
	t.size = sizeof(two); /* "ab", "c" and the literal's NUL */
	cr_expect(vaccel_tensor_strings_ok(&t));
	t.size = 3; /* "ab" and "c" without its NUL */
	cr_expect_not(vaccel_tensor_strings_ok(&t));
	t.size = sizeof(two);
	t.dims[0] = 3; /* three strings said, two given */
	cr_expect_not(vaccel_tensor_strings_ok(&t));
	t.dims[0] = 1; /* one said, two given */
	cr_expect_not(vaccel_tensor_strings_ok(&t));
	t.dims[0] = 0;
	t.size = 0;
	cr_expect(vaccel_tensor_strings_ok(&t), "no strings, no bytes");
	t.dtype = VACCEL_DTYPE_U8;
	cr_expect_not(vaccel_tensor_strings_ok(&t), "not a STRING tensor");

	const struct vaccel_op_desc *run =
	    vaccel_op_desc_by_id(VACCEL_OPID_MODEL_RUN);
	char out_buf[16];
	struct vaccel_tensor in = {
	    .dtype = VACCEL_DTYPE_STRING, .ndim = 1, .data = two, .size = 3};
	in.dims[0] = 2;
	struct vaccel_tensor out = {.data = out_buf, .size = sizeof(out_buf)};
	struct vaccel_oparg args[VACCEL_MODEL_RUN_NR_ARGS] = {0};
	args[VACCEL_MODEL_RUN_INPUTS].buf = &in;
	args[VACCEL_MODEL_RUN_INPUTS].len = 1;
	args[VACCEL_MODEL_RUN_OUTPUTS].buf = &out;
	args[VACCEL_MODEL_RUN_OUTPUTS].len = 1;
	uint32_t bad = 99;
	cr_expect_eq(vaccel_op_validate(run, args, &bad), VACCEL_EINVAL);
	cr_expect_eq(bad, VACCEL_MODEL_RUN_INPUTS);
	in.size = sizeof(two);
	cr_expect_eq(vaccel_op_validate(run, args, NULL), VACCEL_OK);
}
