// SPDX-License-Identifier: Apache-2.0
/*
 * vAccel's API beyond the plain calls: genop as an op call (bounded by its
 * args' sizes), a plugin in vAccel's style loaded beside ours, the
 * framework types' helpers, RAW tensor lists.
 */
#include "common.h"
#include <stdlib.h>
#include <string.h>

TestSuite(vaccel_api, .fini = test_cleanup);

static struct vaccel_session *sess_new(void)
{
	struct vaccel_session *s = NULL;
	assert_ok(vaccel_session_new(&s, 0));
	return s;
}

/* vaccel_op_call(GENOP): the args are buffers of exactly `size` bytes, and
 * the real op's needs are checked against them. */
static int genop_call(struct vaccel_session *s, struct vaccel_arg *r,
		      uint64_t nr, struct vaccel_arg *w, uint64_t nw)
{
	struct vaccel_oparg a[VACCEL_GENOP_NR_ARGS] = {{.buf = r, .len = nr},
						       {.buf = w, .len = nw}};
	return vaccel_op_call(s, VACCEL_OPID_GENOP, a, VACCEL_GENOP_NR_ARGS);
}

Test(vaccel_api, genop_op_call_is_bounded, .init = test_boot_noop)
{
	struct vaccel_session *s = sess_new();
	uint32_t type = VACCEL_OP_BLAS_SGEMM;
	long long m = 2, n = 2, k = 2, ld = 2;
	float alpha = 1, beta = 0, a[4] = {0}, b[4] = {0}, c[4] = {0};
	struct vaccel_arg r[11] = {
	    {.size = 4, .buf = &type},	 {.size = 8, .buf = &m},
	    {.size = 8, .buf = &n},	 {.size = 8, .buf = &k},
	    {.size = 4, .buf = &alpha},	 {.size = sizeof(a), .buf = a},
	    {.size = 8, .buf = &ld},	 {.size = sizeof(b), .buf = b},
	    {.size = 8, .buf = &ld},	 {.size = 4, .buf = &beta},
	    {.size = 8, .buf = &ld},
	};
	struct vaccel_arg w[1] = {{.size = sizeof(c), .buf = c}};
	assert_ok(genop_call(s, r, 11, w, 1));
	/* A holds 12 bytes, the op needs 16 */
	r[5].size = 12;
	assert_ret(genop_call(s, r, 11, w, 1), VACCEL_EINVAL);
	r[5].size = sizeof(a);
	/* m given in 4 bytes: a long long needs 8 */
	r[1].size = 4;
	assert_ret(genop_call(s, r, 11, w, 1), VACCEL_EINVAL);
	r[1].size = 8;
	/* a program's own genop reads its memory as vAccel does */
	r[5].size = 1;
	assert_ok(vaccel_genop(s, r, 11, w, 1));

	/* exec's strings must end inside their args */
	uint32_t exec = VACCEL_OP_EXEC;
	char lib[4] = {'l', 'i', 'b', 'x'}, sym[] = "f";
	struct vaccel_arg er[3] = {{.size = 4, .buf = &exec},
				   {.size = sizeof(lib), .buf = lib},
				   {.size = sizeof(sym), .buf = sym}};
	assert_ret(genop_call(s, er, 3, NULL, 0), VACCEL_EINVAL);

	uint32_t bad = VACCEL_OP_MAX;
	struct vaccel_arg br[1] = {{.size = 4, .buf = &bad}};
	assert_ret(genop_call(s, br, 1, NULL, 0), VACCEL_EINVAL);
	assert_ret(vaccel_genop(s, br, 0, NULL, 0), VACCEL_EINVAL);
	uint32_t lite = VACCEL_OP_TFLITE_SESSION_RUN;
	br[0].buf = &lite;
	assert_ret(vaccel_genop(s, br, 1, NULL, 0), VACCEL_ENOTSUP);
	uint8_t noop = VACCEL_OP_NOOP;
	br[0] = (struct vaccel_arg){.size = 1, .buf = &noop};
	assert_ok(vaccel_genop(s, br, 1, NULL, 0));
	assert_ret(vaccel_genop(s, br, 1, w, 1), VACCEL_EINVAL);
	assert_ok(vaccel_session_delete(s));
}

Test(vaccel_api, vaccel_style_plugin, .init = test_boot_none)
{
	char *path = test_plugin_path("vstyle");
	assert_ok(vaccel_plugin_load(path));
	free(path);
	cr_expect_str_eq(vaccel_plugin_for_op(VACCEL_OPID_MINMAX, 0),
			 "vstyle");
	cr_expect_null(vaccel_plugin_for_op(VACCEL_OPID_EXEC, 0));
	struct vaccel_session *s = sess_new();
	double in[3] = {4, -2, 9}, out[3], mn = 0, mx = 0;
	assert_ok(vaccel_minmax(s, in, 3, 0, 0, out, &mn, &mx));
	cr_expect(mn == -2 && mx == 9, "min %g max %g", mn, mx);
	/* a vAccel plugin's sgemm serves vaccel_sgemm's form only */
	float a[4] = {1, 2, 3, 4}, b[4] = {1, 0, 0, 1}, c[4] = {0};
	assert_ok(vaccel_sgemm(s, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2));
	cr_expect(memcmp(a, c, sizeof(a)) == 0, "A * I != A");
	const double one[2] = {1, 0}, zero[2] = {0, 0};
	assert_ret(vaccel_blas_gemm(s, VACCEL_BLAS_S, VACCEL_BLAS_COL,
				    VACCEL_BLAS_NOTRANS, VACCEL_BLAS_NOTRANS,
				    2, 2, 2, one, a, 2, b, 2, zero, c, 2),
		   VACCEL_ENOTSUP);
	/* registering from outside a plugin's init */
	struct vaccel_op op = {.type = VACCEL_OP_NOOP, .func = (void *)abort};
	assert_ret(vaccel_plugin_register_op(&op), VACCEL_EINVAL);
	assert_ret(vaccel_plugin_register_op(NULL), VACCEL_EINVAL);
	vaccel_plugin_print_all_by_op_type(VACCEL_OP_MINMAX);
	assert_ok(vaccel_session_delete(s));
}

Test(vaccel_api, framework_helpers, .init = test_boot_noop)
{
	int64_t dims[3] = {2, 3, 4};
	struct vaccel_tf_tensor *t = NULL;
	assert_ret(vaccel_tf_tensor_new(&t, 0, dims, VACCEL_TF_FLOAT),
		   VACCEL_EINVAL);
	assert_ok(vaccel_tf_tensor_allocate(&t, 3, dims, VACCEL_TF_FLOAT, 96));
	cr_assert(t->owned && t->size == 96 && t->data && t->dims[2] == 4);
	void *data;
	size_t size;
	assert_ok(vaccel_tf_tensor_take_data(t, &data, &size));
	cr_expect(size == 96 && !t->data && !t->owned);
	assert_ok(vaccel_tf_tensor_delete(t));
	free(data);

	struct vaccel_torch_buffer *b = NULL;
	char *bytes = strdup("options");
	assert_ok(vaccel_torch_buffer_new(&b, bytes, 7));
	assert_ok(vaccel_torch_buffer_delete(b)); /* frees bytes */
	struct vaccel_tf_status st;
	assert_ok(vaccel_tf_status_init(&st, 3, "bad"));
	cr_expect(st.error_code == 3 && strcmp(st.message, "bad") == 0);
	assert_ok(vaccel_tf_status_release(&st));
	struct vaccel_tf_node node;
	assert_ret(vaccel_tf_node_init(&node, NULL, 1), VACCEL_EINVAL);

	char s[] = "MiXeD Case";
	char *low = NULL;
	assert_ok(vaccel_str_to_lower(s, 0, &low));
	cr_expect_str_eq(low, "mixed case");
	free(low);
	assert_ok(vaccel_str_to_lower(s, 3, NULL));
	cr_expect_str_eq(s, "mixeD Case");
	assert_ret(vaccel_str_to_lower(s, 0, NULL), VACCEL_EINVAL);
}

/* A framework's tensors: the op allocates the outputs; inputs of more
 * dimensions than a tensor holds are refused before any call. */
Test(vaccel_api, raw_tensor_lists, .init = test_boot_noop)
{
	struct vaccel_session *s = sess_new();
	struct vaccel_resource model;
	assert_ok(vaccel_resource_init_from_buf(&model, "m", 1,
						VACCEL_RESOURCE_MODEL, "m"));
	assert_ok(vaccel_resource_register(&model, s));
	int64_t dims[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
	float x = 1;
	struct vaccel_torch_tensor *in = NULL, *out = NULL;
	assert_ok(vaccel_torch_tensor_new(&in, 9, dims, VACCEL_TORCH_FLOAT));
	vaccel_torch_tensor_set_data(in, &x, sizeof(x));
	assert_ret(vaccel_torch_jitload_forward(s, &model, NULL, &in, 1, &out,
						1),
		   VACCEL_EINVAL);
	cr_expect_null(out);
	assert_ok(vaccel_torch_tensor_delete(in));
	/* the pattern build of noop allocates NOOP_RAW_BYTES(j) per output */
	assert_ok(vaccel_torch_tensor_new(&in, 1, dims, VACCEL_TORCH_FLOAT));
	vaccel_torch_tensor_set_data(in, &x, sizeof(x));
	struct vaccel_torch_tensor *outs[2] = {NULL, NULL};
	assert_ok(
	    vaccel_torch_jitload_forward(s, &model, NULL, &in, 1, outs, 2));
	cr_assert(outs[0] && outs[1] && outs[0]->owned);
	cr_expect_eq(outs[0]->size, 24);
	cr_expect_eq(outs[1]->size, 64);
	vaccel_torch_tensor_delete(outs[0]);
	vaccel_torch_tensor_delete(outs[1]);
	/* a RAW output that comes with a buffer of its own is refused */
	struct vaccel_tensor ti = {.dtype = 7, .ndim = 1, .dims = {1},
				   .data = &x, .size = 4};
	struct vaccel_tensor to = {.data = &x, .size = 4};
	struct vaccel_oparg a[VACCEL_TORCH_JITLOAD_FORWARD_NR_ARGS] = {
	    {.buf = &model}, {.len = 0}, {.buf = &ti, .len = 1},
	    {.buf = &to, .len = 1}};
	assert_ret(vaccel_op_call(s, VACCEL_OPID_TORCH_JITLOAD_FORWARD, a,
				  VACCEL_TORCH_JITLOAD_FORWARD_NR_ARGS),
		   VACCEL_EINVAL);
	assert_ok(vaccel_torch_tensor_delete(in));
	assert_ok(vaccel_resource_unregister(&model, s));
	assert_ok(vaccel_resource_release(&model));
	assert_ok(vaccel_session_delete(s));
}
