// SPDX-License-Identifier: Apache-2.0
/*
 * Ops of a user's spec, registered at run time (vaccel_ops_register): their
 * ids in the namespace's block, the refusals (a malformed descriptor, an id
 * outside its block, an id or a block taken otherwise), the lookups, and
 * calls served by a plugin loaded before the ops were registered.
 */
#include "common.h"
#include "noop_pattern.h"
#include <string.h>

TestSuite(user_ops, .init = test_boot_noop, .fini = test_cleanup);

static int64_t n_elems(const struct vaccel_oparg *a)
{
	return a[0].v.i;
}

static const struct vaccel_op_argdesc fill_args[] = {
    {.name = "n", .kind = VACCEL_ARGK_SCALAR, .type = VACCEL_ARGT_I64},
    {.name = "out",
     .kind = VACCEL_ARGK_OUT,
     .type = VACCEL_ARGT_U8,
     .nelems = n_elems},
};

/* FNV-1a-32("utest") & 0x7fff is 0x03b4 */
#define UTEST_FILL 0x83b40001u

static const struct vaccel_op_desc fill = {
    .id = UTEST_FILL,
    .name = "utest.fill",
    .nr_args = 2,
    .args = fill_args,
    .prec_arg = -1,
    .sig_hash = 0x1234,
};

Test(user_ops, ids_are_the_namespace_block)
{
	cr_assert_eq(vaccel_user_opid("utest", 5, 1), UTEST_FILL);
	cr_assert_eq(vaccel_user_opid("utest", 5, 65535), 0x83b4ffffu);
	cr_assert_eq(vaccel_user_opid("utest", 5, 0), 0);
	cr_assert_eq(vaccel_user_opid("utest", 5, 65536), 0);
	cr_assert_eq(vaccel_user_opid("", 0, 1), 0);
	/* above every op of the project */
	for (unsigned int i = 0; i < VACCEL_OPS_COUNT; i++)
		cr_assert_lt(vaccel_op_desc_at(i)->id, VACCEL_OPID_USER);
}

Test(user_ops, registered_ops_are_found)
{
	unsigned int before = vaccel_op_count();
	cr_assert_eq(before, VACCEL_OPS_COUNT);
	cr_assert_null(vaccel_op_desc_by_id(UTEST_FILL));
	assert_ok(vaccel_ops_register(&fill, 1));
	cr_assert_eq(vaccel_op_desc_by_id(UTEST_FILL), &fill);
	cr_assert_eq(vaccel_op_desc_by_name("utest.fill"), &fill);
	cr_assert_str_eq(vaccel_op_name(UTEST_FILL), "utest.fill");
	cr_assert_eq(vaccel_op_count(), before + 1);
	cr_assert_eq(vaccel_op_desc_at(before), &fill);
	cr_assert_null(vaccel_op_desc_at(before + 1));
	/* the same again (a shim and a plugin in one process): taken */
	struct vaccel_op_desc same = fill;
	assert_ok(vaccel_ops_register(&same, 1));
	cr_assert_eq(vaccel_op_count(), before + 1);
	cr_assert_eq(vaccel_op_desc_by_id(UTEST_FILL), &fill);
}

Test(user_ops, refusals)
{
	struct vaccel_op_desc d = fill;
	assert_ok(vaccel_ops_register(&fill, 1));
	/* the same id with another signature, or another name */
	d.sig_hash = 0x5678;
	assert_ret(vaccel_ops_register(&d, 1), VACCEL_EEXIST);
	d = fill;
	d.name = "utest.other";
	assert_ret(vaccel_ops_register(&d, 1), VACCEL_EEXIST);
	/* an id outside the namespace's block */
	d = fill;
	d.id = UTEST_FILL + 0x10000;
	assert_ret(vaccel_ops_register(&d, 1), VACCEL_EINVAL);
	d.id = 7;
	assert_ret(vaccel_ops_register(&d, 1), VACCEL_EINVAL);
	/* names without a namespace */
	d = fill;
	d.name = "fill";
	assert_ret(vaccel_ops_register(&d, 1), VACCEL_EINVAL);
	d.name = ".fill";
	assert_ret(vaccel_ops_register(&d, 1), VACCEL_EINVAL);
	/* arguments without a list, a prec argument that is not one */
	d = fill;
	d.id = UTEST_FILL + 1;
	d.name = "utest.two";
	d.args = NULL;
	assert_ret(vaccel_ops_register(&d, 1), VACCEL_EINVAL);
	d.args = fill_args;
	d.prec_arg = 2;
	assert_ret(vaccel_ops_register(&d, 1), VACCEL_EINVAL);
	/* one bad descriptor: none of the list is added */
	struct vaccel_op_desc two[2] = {fill, fill};
	two[0].id = UTEST_FILL + 2;
	two[0].name = "utest.three";
	two[1].name = "nope";
	unsigned int n = vaccel_op_count();
	assert_ret(vaccel_ops_register(two, 2), VACCEL_EINVAL);
	cr_assert_eq(vaccel_op_count(), n);
	cr_assert_null(vaccel_op_desc_by_id(UTEST_FILL + 2));
}

/* "nsbll" and "nsgla" have the same block (FNV-1a-32 & 0x7fff: 1380) */
Test(user_ops, two_namespaces_in_one_block_are_refused)
{
	static const struct vaccel_op_desc a = {
	    .id = 0x80000000u | 1380u << 16 | 1,
	    .name = "nsbll.f",
	    .prec_arg = -1,
	    .sig_hash = 1,
	};
	static const struct vaccel_op_desc b = {
	    .id = 0x80000000u | 1380u << 16 | 2,
	    .name = "nsgla.g",
	    .prec_arg = -1,
	    .sig_hash = 2,
	};
	cr_assert_eq(vaccel_user_opid("nsbll", 5, 1), a.id);
	cr_assert_eq(vaccel_user_opid("nsgla", 5, 2), b.id);
	assert_ok(vaccel_ops_register(&a, 1));
	assert_ret(vaccel_ops_register(&b, 1), VACCEL_EEXIST);
	cr_assert_null(vaccel_op_desc_by_id(b.id));
}

/* noop, loaded before the op was registered, serves it */
Test(user_ops, a_loaded_plugin_serves_them)
{
	struct vaccel_session sess;
	assert_ok(vaccel_session_init(&sess, 0));
	uint8_t out[64];
	memset(out, 0, sizeof(out));
	struct vaccel_oparg a[2] = {{.v.i = 64}, {.buf = out}};
	assert_ret(vaccel_op_call(&sess, UTEST_FILL, a, 2), VACCEL_ENOTSUP);
	assert_ok(vaccel_ops_register(&fill, 1));
	cr_assert_str_eq(vaccel_plugin_for_op(UTEST_FILL, 0), "noop");
	a[1].len = sizeof(out);
	assert_ok(vaccel_op_call(&sess, UTEST_FILL, a, 2));
	for (unsigned int j = 0; j < sizeof(out); j++)
		cr_assert_eq(out[j], vaccel_noop_byte(UTEST_FILL, 1, j),
			     "byte %u", j);
	/* its size rule is checked */
	a[0].v.i = 65;
	assert_ret(vaccel_op_call(&sess, UTEST_FILL, a, 2), VACCEL_EINVAL);
	assert_ok(vaccel_session_release(&sess));
}
