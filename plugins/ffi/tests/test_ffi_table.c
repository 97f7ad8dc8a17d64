// SPDX-License-Identifier: Apache-2.0
/*
 * The call table this build compiles into the plugin (generated from the
 * interposer specs by `vaccel_codegen.py ffi`, or the empty stand-in):
 * every entry must fit the descriptor of its op in the core's table
 * (generated from the same specs), be served, and name a symbol that this
 * host's library provides. The plugin's source is compiled in, as in
 * test_ffi_call.c.
 */
#include "../ffi.c"
#include <criterion/criterion.h>

static struct ffi_priv st;

static void setup(void)
{
	memset(&st, 0, sizeof(st));
	int ret = ffi_init(&st);
	cr_assert_eq(ret, VACCEL_OK, "ffi_init: %s", vaccel_error_to_str(ret));
}

static void teardown(void)
{
	ffi_fini(&st);
}

TestSuite(ffi, .init = setup, .fini = teardown);

Test(ffi, every_entry_fits_its_op)
{
	for (unsigned int i = 0; i < vaccel_callspecs_count; i++) {
		const struct vaccel_callspec *cs = &vaccel_callspecs[i];
		const struct vaccel_op_desc *op =
		    vaccel_op_desc_by_id(cs->op_id);
		cr_expect_not_null(op,
				   "%s: op id %u is not in the core's table",
				   cs->symbol, cs->op_id);
		if (!op)
			continue;
		int ret = cs_prepare(&st, cs, &st.slots[i], op);
		cr_expect_eq(ret, VACCEL_OK, "%s (op %s): %s", cs->symbol,
			     op->name, vaccel_error_to_str(ret));
	}
}

Test(ffi, every_entry_is_served)
{
	const size_t cap = sizeof(ffi_ops) / sizeof(ffi_ops[0]);
	size_t served = 0;

	for (size_t i = 0; i < cap; i++)
		served += ffi_ops[i].fn == op_ffi;
	cr_expect_eq(served, (size_t)vaccel_callspecs_count);
}

Test(ffi, every_symbol_resolves_here)
{
	for (unsigned int i = 0; i < vaccel_callspecs_count; i++) {
		const struct vaccel_callspec *cs = &vaccel_callspecs[i];
		int ret = cs_resolve(&st, cs, &st.slots[i]);
		cr_expect_eq(ret, VACCEL_OK, "%s (api %s): %s", cs->symbol,
			     vaccel_cs_apis[cs->api].name,
			     vaccel_error_to_str(ret));
	}
}

/*
 * The generated test vectors (one valid call per op, found by the
 * generator from the spec's checks and size rules): the core's compiled
 * size rules accept the arrays the generator sized, the compiled checks
 * pass, the executor runs the call, and a Fortran spelling and its CBLAS
 * twin (column-major, same data) give bitwise the same outputs.
 */
struct vcall {
	const struct vaccel_op_desc *op;
	struct vaccel_oparg a[32];
};

static uint64_t vrand(uint64_t *s)
{
	*s = *s * 6364136223846793005u + 1442695040888963407u;
	return *s >> 11;
}

static void vcall_make(struct vcall *c, uint32_t op_id,
		       const struct vaccel_oparg *scalars, uint32_t skip,
		       uint64_t seed)
{
	c->op = vaccel_op_desc_by_id(op_id);
	cr_assert_not_null(c->op, "op %u", op_id);
	cr_assert_leq(c->op->nr_args, 32);
	for (uint32_t i = 0; i < c->op->nr_args; i++)
		c->a[i] = scalars[i];
	for (uint32_t i = 0; i < c->op->nr_args; i++) {
		const struct vaccel_op_argdesc *d = &c->op->args[i];
		if (d->kind == VACCEL_ARGK_SCALAR)
			continue;
		int64_t n = d->nelems(c->a);
		cr_assert_geq(n, 0, "%s: arg %s has no size", c->op->name,
			      d->name);
		size_t es = vaccel_op_elem_size(c->op, c->a, i);
		c->a[i].len = (uint64_t)n * es;
		c->a[i].buf = calloc(1, c->a[i].len + 1);
		cr_assert_not_null(c->a[i].buf);
		/* the same values for the same argument position after the
		 * layout, whichever spelling: twins see the same data */
		uint64_t s = seed + 7919u * (i - skip);
		if (d->type == VACCEL_ARGT_F32 || d->type == VACCEL_ARGT_C64)
			for (uint64_t k = 0; k < c->a[i].len / 4; k++)
				((float *)c->a[i].buf)[k] =
				    (float)(vrand(&s) % 2001) / 1000.0f - 1.0f;
		else if (d->type == VACCEL_ARGT_F64 ||
			 d->type == VACCEL_ARGT_C128)
			for (uint64_t k = 0; k < c->a[i].len / 8; k++)
				((double *)c->a[i].buf)[k] =
				    (double)(vrand(&s) % 2001) / 1000.0 - 1.0;
		else if (d->type == VACCEL_ARGT_I32)
			for (uint64_t k = 0; k < c->a[i].len / 4; k++)
				((int32_t *)c->a[i].buf)[k] = 1;
	}
}

static void vcall_free(struct vcall *c)
{
	for (uint32_t i = 0; i < c->op->nr_args; i++)
		if (c->op->args[i].kind != VACCEL_ARGK_SCALAR)
			free(c->a[i].buf);
}

static const struct vaccel_callspec *spec_of(uint32_t op_id)
{
	for (unsigned int i = 0; i < vaccel_callspecs_count; i++)
		if (vaccel_callspecs[i].op_id == op_id)
			return &vaccel_callspecs[i];
	return NULL;
}

Test(ffi, every_test_vector_runs_and_twins_agree)
{
	cr_assert_gt(vaccel_cs_vectors_count, 0);
	unsigned int twins = 0, with_twin = 0;
	for (unsigned int v = 0; v < vaccel_cs_vectors_count; v++) {
		const struct vaccel_cs_vector *tv = &vaccel_cs_vectors[v];
		const struct vaccel_callspec *cs = spec_of(tv->op_id);
		cr_assert_not_null(cs, "vector for op %u has no callspec",
				   tv->op_id);
		struct vcall f;
		vcall_make(&f, tv->op_id, tv->args, 0, tv->op_id);
		uint32_t bad = 0;
		cr_expect_eq(
		    vaccel_op_validate(f.op, f.a, &bad), VACCEL_OK,
		    "%s: the generator's sizes and the core's disagree "
		    "at arg %u",
		    cs->symbol, bad);
		cr_expect_eq(cs->check(f.a), 0, "%s: vector fails its checks",
			     cs->symbol);
		int ret = op_ffi(&st, NULL, f.op, f.a);
		cr_expect_eq(ret, VACCEL_OK, "%s: %s", cs->symbol,
			     vaccel_error_to_str(ret));
		with_twin += tv->twin_op_id != 0;
		if (tv->twin_op_id && spec_of(tv->twin_op_id)) {
			twins++;
			const struct vaccel_cs_vector *tw = NULL;
			for (unsigned int w = 0; w < vaccel_cs_vectors_count;
			     w++)
				if (vaccel_cs_vectors[w].op_id ==
				    tv->twin_op_id)
					tw = &vaccel_cs_vectors[w];
			cr_assert_not_null(tw);
			/* the twin's vector holds the same values (letters
			 * as enums, behind a column-major layout) */
			struct vcall t;
			uint32_t skip =
			    vaccel_op_desc_by_id(tw->op_id)->nr_args !=
			    f.op->nr_args;
			vcall_make(&t, tw->op_id, tw->args, skip, tv->op_id);
			ret = op_ffi(&st, NULL, t.op, t.a);
			cr_expect_eq(ret, VACCEL_OK, "%s: %s",
				     vaccel_op_name(tw->op_id),
				     vaccel_error_to_str(ret));
			for (uint32_t i = 0; i < f.op->nr_args; i++) {
				const struct vaccel_op_argdesc *d =
				    &f.op->args[i];
				if (d->kind != VACCEL_ARGK_OUT &&
				    d->kind != VACCEL_ARGK_INOUT)
					continue;
				if (!strcmp(d->name, "ret_") &&
				    d->type == VACCEL_ARGT_I32)
					continue; /* i?amax: 1- vs 0-based */
				cr_expect(f.a[i].len == t.a[i + skip].len &&
					      !memcmp(f.a[i].buf,
						      t.a[i + skip].buf,
						      f.a[i].len),
					  "%s and its CBLAS twin differ in %s",
					  cs->symbol, d->name);
			}
			vcall_free(&t);
		}
		vcall_free(&f);
	}
	/* every Fortran routine that has a CBLAS spelling was compared */
	cr_expect_eq(twins, with_twin, "%u of %u twins compared", twins,
		     with_twin);
	/* level 1, ger and symv: the routines that do not travel as typed
	 * ops, some 54 pairs (a floor against an empty table) */
	cr_expect_gt(twins, 40, "only %u Fortran/CBLAS pairs compared", twins);
}
