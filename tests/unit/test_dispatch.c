// SPDX-License-Identifier: Apache-2.0
/*
 * Dispatch through the noop plugin: every op of the spec with a valid
 * argument vector built from its descriptor, the native wrappers, and the
 * validation that refuses malformed calls. noop writes
 * vaccel_noop_byte(op, arg, j) into byte j of every output, so each output
 * byte is checked against it.
 */
#include "common.h"
#include "noop_pattern.h"
#include "opcall.h"
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

TestSuite(dispatch, .init = test_boot_noop, .fini = test_cleanup);

#define NR_VARIANTS 8

/* A valid call of an op (tests/common/opcall.h) on a session, with the
 * resource it needs, if any, created and registered for it. */
struct call {
	struct opcall oc;
	const struct vaccel_op_desc *op;
	/* oc.args */
	struct vaccel_oparg *args;
	struct vaccel_session *sess;
	struct vaccel_resource *res;
};

static void check_out(const uint8_t *buf, uint64_t len, uint32_t op,
		      uint32_t arg, uint64_t *pos, const char *what)
{
	for (uint64_t j = 0; j < len; j++, (*pos)++) {
		uint8_t want = vaccel_noop_byte(op, arg, *pos);
		cr_assert_eq(buf[j], want,
			     "%s: byte %llu is 0x%02x, want 0x%02x", what,
			     (unsigned long long)*pos, buf[j], want);
	}
}

static void build_call(struct call *c, struct vaccel_session *sess,
		       const struct vaccel_op_desc *op, unsigned int v)
{
	memset(c, 0, sizeof(*c));
	c->op = op;
	c->sess = sess;
	for (uint32_t i = 0; i < op->nr_args; i++) {
		if (op->args[i].kind != VACCEL_ARGK_RESOURCE)
			continue;
		cr_assert_null(c->res, "one resource per op supported");
		c->res = malloc(sizeof(*c->res));
		cr_assert_not_null(c->res);
		assert_ok(vaccel_resource_init_from_buf(
		    c->res, "resource bytes", 14, VACCEL_RESOURCE_MODEL,
		    "res.bin"));
		assert_ok(vaccel_resource_register(c->res, sess));
	}
	opcall_build(&c->oc, op, v, c->res);
	c->args = c->oc.args;
}

static void check_call(struct call *c)
{
	opcall_check(&c->oc, "in-process");
}

static void free_call(struct call *c)
{
	if (c->res) {
		assert_ok(vaccel_resource_unregister(c->res, c->sess));
		assert_ok(vaccel_resource_release(c->res));
		free(c->res);
	}
	opcall_free(&c->oc);
}

/* One test per op, so a failure names the op. */
static unsigned int op_indices[VACCEL_OPS_COUNT];

ParameterizedTestParameters(dispatch, every_op)
{
	for (unsigned int i = 0; i < VACCEL_OPS_COUNT; i++)
		op_indices[i] = i;
	return cr_make_param_array(unsigned int, op_indices, VACCEL_OPS_COUNT);
}

ParameterizedTest(unsigned int *idx, dispatch, every_op)
{
	const struct vaccel_op_desc *op = vaccel_op_desc_at(*idx);
	cr_assert_not_null(op, "no op at %u", *idx);
	/* genop becomes the op it names: wrapper_genop and the genop tests */
	if (op->id == VACCEL_OPID_GENOP)
		return;
	cr_expect_str_eq(vaccel_plugin_for_op(op->id, 0), "noop");
	struct vaccel_session sess;
	assert_ok(vaccel_session_init(&sess, 0));
	for (unsigned int v = 0; v < NR_VARIANTS; v++) {
		struct call c;
		build_call(&c, &sess, op, v);
		uint32_t bad = UINT32_MAX;
		int ret = vaccel_op_validate(op, c.args, &bad);
		cr_assert_eq(ret, VACCEL_OK, "%s variant %u: %s (arg %u)",
			     op->name, v, vaccel_error_to_str(ret), bad);
		ret = vaccel_op_call(&sess, op->id, c.args, op->nr_args);
		cr_assert_eq(ret, VACCEL_OK, "%s variant %u: got %s", op->name,
			     v, vaccel_error_to_str(ret));
		opcall_take_outputs(&c.oc);
		check_call(&c);
		free_call(&c);
	}
	assert_ok(vaccel_session_release(&sess));
}

Test(dispatch, op_parameters_cover_every_op)
{
	cr_assert_not_null(vaccel_op_desc_at(VACCEL_OPS_COUNT - 1));
	cr_assert_null(vaccel_op_desc_at(VACCEL_OPS_COUNT));
}

/* ---- native wrappers ---------------------------------------------------- */

static struct vaccel_session *sess_new(void)
{
	struct vaccel_session *s = NULL;
	assert_ok(vaccel_session_new(&s, 0));
	return s;
}

#define GUARD 0x5a

/* A buffer of `bytes` followed by 16 guard bytes; prefilled so that noop's
 * bytes show. */
static uint8_t *out_buf(size_t bytes)
{
	uint8_t *b = malloc(bytes + 16);
	cr_assert_not_null(b);
	memset(b, 0, bytes);
	memset(b + bytes, GUARD, 16);
	return b;
}

static void check_out_buf(const uint8_t *b, size_t bytes, uint32_t op,
			  uint32_t arg, const char *what)
{
	uint64_t pos = 0;
	check_out(b, bytes, op, arg, &pos, what);
	for (size_t j = 0; j < 16; j++)
		cr_assert_eq(b[bytes + j], GUARD,
			     "%s: written past its %zu bytes", what, bytes);
}

Test(dispatch, wrapper_noop)
{
	struct vaccel_session *s = sess_new();
	assert_ok(vaccel_noop(s));
	assert_ok(vaccel_op_call(s, VACCEL_OPID_NOOP, NULL, 0));
	assert_ok(vaccel_session_delete(s));
}

Test(dispatch, wrapper_sgemm)
{
	struct vaccel_session *s = sess_new();
	/* row-major, no transpose: C spans ldc * (m - 1) + n floats */
	const long long m = 2, n = 3, k = 4, lda = 4, ldb = 3, ldc = 5;
	float a[8], b[12];
	for (int i = 0; i < 8; i++)
		a[i] = (float)i;
	for (int i = 0; i < 12; i++)
		b[i] = (float)-i;
	size_t cbytes = (size_t)(ldc * (m - 1) + n) * sizeof(float);
	uint8_t *c = out_buf(cbytes);
	assert_ok(vaccel_sgemm(s, m, n, k, 1.0f, a, lda, b, ldb, 0.0f,
			       (float *)c, ldc));
	check_out_buf(c, cbytes, VACCEL_OPID_GEMM, VACCEL_GEMM_C, "sgemm C");
	for (int i = 0; i < 8; i++)
		cr_expect_eq(a[i], (float)i, "A was modified");
	free(c);
	assert_ok(vaccel_session_delete(s));
}

Test(dispatch, wrapper_blas_gemm_all_precisions)
{
	static const size_t es[4] = {4, 8, 8, 16};
	struct vaccel_session *s = sess_new();
	const double alpha[2] = {1, 0}, beta[2] = {0, 0};
	const int64_t m = 3, n = 2, k = 4;
	for (int p = VACCEL_BLAS_S; p <= VACCEL_BLAS_Z; p++) {
		/* row-major, A transposed (k x m, lda >= m), B not (k x n) */
		const int64_t lda = 3, ldb = 2, ldc = 5;
		uint8_t *a = calloc((size_t)(lda * (k - 1) + m), es[p]);
		uint8_t *b = calloc((size_t)(ldb * (k - 1) + n), es[p]);
		size_t cbytes = (size_t)(ldc * (m - 1) + n) * es[p];
		uint8_t *c = out_buf(cbytes);
		assert_ok(vaccel_blas_gemm(s, p, VACCEL_BLAS_ROW,
					   VACCEL_BLAS_TRANS,
					   VACCEL_BLAS_NOTRANS, m, n, k, alpha,
					   a, lda, b, ldb, beta, c, ldc));
		check_out_buf(c, cbytes, VACCEL_OPID_GEMM, VACCEL_GEMM_C,
			      "gemm C");
		free(a);
		free(b);
		free(c);
	}
	assert_ok(vaccel_session_delete(s));
}

Test(dispatch, wrapper_blas_level3_family)
{
	struct vaccel_session *s = sess_new();
	const double one[2] = {1, 0};
	/* column-major, n x n everywhere, 8-byte elements: double precision,
	 * single complex for the Hermitian ops (complex only) */
	enum { N = 3, LD = 4, BYTES = (LD * (N - 1) + N) * 8 };
	double a[LD * N], b[LD * N];
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	uint8_t *c;
#define RUN(call, opid, argidx, name)                                          \
	do {                                                                   \
		c = out_buf(BYTES);                                            \
		assert_ok(call);                                               \
		check_out_buf(c, BYTES, opid, argidx, name);                   \
		free(c);                                                       \
	} while (0)
	RUN(vaccel_blas_symm(s, VACCEL_BLAS_D, VACCEL_BLAS_COL,
			     VACCEL_BLAS_LEFT, VACCEL_BLAS_UPPER, N, N, one, a,
			     LD, b, LD, one, c, LD),
	    VACCEL_OPID_SYMM, VACCEL_SYMM_C, "symm");
	RUN(vaccel_blas_hemm(s, VACCEL_BLAS_C, VACCEL_BLAS_COL,
			     VACCEL_BLAS_RIGHT, VACCEL_BLAS_LOWER, N, N, one, a,
			     LD, b, LD, one, c, LD),
	    VACCEL_OPID_HEMM, VACCEL_HEMM_C, "hemm");
	RUN(vaccel_blas_syrk(s, VACCEL_BLAS_D, VACCEL_BLAS_COL,
			     VACCEL_BLAS_UPPER, VACCEL_BLAS_NOTRANS, N, N, one,
			     a, LD, one, c, LD),
	    VACCEL_OPID_SYRK, VACCEL_SYRK_C, "syrk");
	RUN(vaccel_blas_herk(s, VACCEL_BLAS_C, VACCEL_BLAS_COL,
			     VACCEL_BLAS_UPPER, VACCEL_BLAS_NOTRANS, N, N, 1.0,
			     a, LD, 1.0, c, LD),
	    VACCEL_OPID_HERK, VACCEL_HERK_C, "herk");
	RUN(vaccel_blas_syr2k(s, VACCEL_BLAS_D, VACCEL_BLAS_COL,
			      VACCEL_BLAS_UPPER, VACCEL_BLAS_NOTRANS, N, N, one,
			      a, LD, b, LD, one, c, LD),
	    VACCEL_OPID_SYR2K, VACCEL_SYR2K_C, "syr2k");
	RUN(vaccel_blas_her2k(s, VACCEL_BLAS_C, VACCEL_BLAS_COL,
			      VACCEL_BLAS_UPPER, VACCEL_BLAS_NOTRANS, N, N, one,
			      a, LD, b, LD, 1.0, c, LD),
	    VACCEL_OPID_HER2K, VACCEL_HER2K_C, "her2k");
	RUN(vaccel_blas_trmm(s, VACCEL_BLAS_D, VACCEL_BLAS_COL,
			     VACCEL_BLAS_LEFT, VACCEL_BLAS_UPPER,
			     VACCEL_BLAS_NOTRANS, VACCEL_BLAS_UNIT, N, N, one,
			     a, LD, c, LD),
	    VACCEL_OPID_TRMM, VACCEL_TRMM_B, "trmm");
	RUN(vaccel_blas_trsm(s, VACCEL_BLAS_D, VACCEL_BLAS_COL,
			     VACCEL_BLAS_LEFT, VACCEL_BLAS_UPPER,
			     VACCEL_BLAS_NOTRANS, VACCEL_BLAS_UNIT, N, N, one,
			     a, LD, c, LD),
	    VACCEL_OPID_TRSM, VACCEL_TRSM_B, "trsm");
#undef RUN
	assert_ok(vaccel_session_delete(s));
}

Test(dispatch, wrapper_genop)
{
	struct vaccel_session *s = sess_new();
	vaccel_op_type_t type = VACCEL_OP_IMAGE_CLASSIFY;
	char img[] = "not really an image";
	struct vaccel_arg_list *read = vaccel_args_init(2);
	struct vaccel_arg_list *write = vaccel_args_init(2);
	cr_assert(read && write);
	assert_ok(vaccel_add_serial_arg(read, &type, sizeof(type)));
	assert_ok(vaccel_add_serial_arg(read, img, sizeof(img)));
	assert_ret(vaccel_add_serial_arg(read, img, 1), VACCEL_EINVAL);
	assert_ok(vaccel_expect_nonserial_arg(write, 10));
	assert_ok(vaccel_expect_nonserial_arg(write, 6));
	assert_ok(vaccel_genop(s, read->list, (int)read->size, write->list,
			       (int)write->size));
	/* it ran as image_classify, with the write args as its outputs */
	uint64_t pos = 0;
	check_out(write->list[0].buf, 10, VACCEL_OPID_IMAGE_CLASSIFY,
		  VACCEL_IMAGE_CLASSIFY_OUT_TEXT, &pos, "genop write[0]");
	pos = 0;
	check_out(write->list[1].buf, 6, VACCEL_OPID_IMAGE_CLASSIFY,
		  VACCEL_IMAGE_CLASSIFY_OUT_NAME, &pos, "genop write[1]");
	cr_expect_eq(
	    *(vaccel_op_type_t *)vaccel_extract_serial_arg(read->list, 0),
	    VACCEL_OP_IMAGE_CLASSIFY);
	assert_ret(vaccel_genop(s, read->list, -1, write->list, 1),
		   VACCEL_EINVAL);
	assert_ret(vaccel_genop(s, NULL, 2, write->list, 1), VACCEL_EINVAL);
	assert_ok(vaccel_delete_args(read));
	assert_ok(vaccel_delete_args(write));
	assert_ok(vaccel_session_delete(s));
}

Test(dispatch, wrapper_exec)
{
	struct vaccel_session *s = sess_new();
	int in = 7;
	uint8_t out[12];
	memset(out, 0, sizeof(out));
	struct vaccel_arg read[1] = {{.size = sizeof(in), .buf = &in}};
	struct vaccel_arg write[1] = {{.size = sizeof(out), .buf = out}};
	assert_ok(vaccel_exec(s, "/usr/lib/libmytestlib.so", "mytestfunc", read,
			      1, write, 1));
	uint64_t pos = 0;
	check_out(out, sizeof(out), VACCEL_OPID_EXEC, VACCEL_EXEC_WRITE, &pos,
		  "exec write");
	cr_expect_eq(in, 7);
	assert_ret(vaccel_exec(s, NULL, "f", read, 1, write, 1), VACCEL_EINVAL);
	assert_ret(vaccel_exec(s, "lib", NULL, read, 1, write, 1),
		   VACCEL_EINVAL);
	/* no arguments at all is fine */
	assert_ok(vaccel_exec(s, "lib", "f", NULL, 0, NULL, 0));

	struct vaccel_resource lib;
	assert_ok(vaccel_resource_init_from_buf(&lib,
						"\x7f"
						"ELF",
						4, VACCEL_RESOURCE_LIB,
						"l.so"));
	assert_ok(vaccel_resource_register(&lib, s));
	memset(out, 0, sizeof(out));
	assert_ok(vaccel_exec_with_resource(s, &lib, "mytestfunc", read, 1,
					    write, 1));
	pos = 0;
	check_out(out, sizeof(out), VACCEL_OPID_EXEC_WITH_RESOURCE,
		  VACCEL_EXEC_WITH_RESOURCE_WRITE, &pos, "exec_with_resource");
	assert_ret(vaccel_exec_with_resource(s, NULL, "f", read, 1, write, 1),
		   VACCEL_EINVAL);
	assert_ok(vaccel_session_delete(s));
	assert_ok(vaccel_resource_release(&lib));
	/* a released resource is refused */
	s = sess_new();
	assert_ret(vaccel_exec_with_resource(s, &lib, "f", read, 1, write, 1),
		   VACCEL_EINVAL);
	assert_ok(vaccel_session_delete(s));
}

Test(dispatch, wrapper_image)
{
	struct vaccel_session *s = sess_new();
	static const uint8_t img[64] = {0xff, 0xd8, 0xff};
	uint8_t *text = out_buf(20), *name = out_buf(9);
	assert_ok(vaccel_image_classification(s, img, text, name, sizeof(img),
					      20, 9));
	check_out_buf(text, 20, VACCEL_OPID_IMAGE_CLASSIFY,
		      VACCEL_IMAGE_CLASSIFY_OUT_TEXT, "classify text");
	check_out_buf(name, 9, VACCEL_OPID_IMAGE_CLASSIFY,
		      VACCEL_IMAGE_CLASSIFY_OUT_NAME, "classify name");
	free(text);
	free(name);

	static const struct {
		int (*fn)(struct vaccel_session *, const void *,
			  unsigned char *, size_t, size_t);
		uint32_t op;
	} ops[] = {
	    {vaccel_image_detection, VACCEL_OPID_IMAGE_DETECT},
	    {vaccel_image_segmentation, VACCEL_OPID_IMAGE_SEGMENT},
	    {vaccel_image_pose, VACCEL_OPID_IMAGE_POSE},
	    {vaccel_image_depth, VACCEL_OPID_IMAGE_DEPTH},
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		name = out_buf(13);
		assert_ok(ops[i].fn(s, img, name, sizeof(img), 13));
		check_out_buf(name, 13, ops[i].op, 1,
			      vaccel_op_name(ops[i].op));
		free(name);
	}
	/* a NULL output with a length is refused */
	assert_ret(vaccel_image_detection(s, img, NULL, sizeof(img), 4),
		   VACCEL_EINVAL);
	assert_ok(vaccel_session_delete(s));
}

Test(dispatch, wrapper_model)
{
	struct vaccel_session *s = sess_new();
	struct vaccel_resource model;
	assert_ok(vaccel_resource_init_from_buf(
	    &model, "onnx", 4, VACCEL_RESOURCE_MODEL, "model.onnx"));
	assert_ok(vaccel_resource_register(&model, s));
	uint64_t handle = 0;
	assert_ok(vaccel_model_load(s, &model, &handle));
	uint64_t pos = 0;
	check_out((const uint8_t *)&handle, sizeof(handle),
		  VACCEL_OPID_MODEL_LOAD, VACCEL_MODEL_LOAD_HANDLE, &pos,
		  "model handle");

	float input[6] = {1, 2, 3, 4, 5, 6};
	struct vaccel_tensor in = {
	    .dtype = VACCEL_DTYPE_F32,
	    .ndim = 2,
	    .dims = {2, 3},
	    .data = input,
	    .size = sizeof(input),
	};
	uint8_t o1[10], o2[3];
	struct vaccel_tensor out[2] = {
	    {.data = o1, .size = sizeof(o1)},
	    {.data = o2, .size = sizeof(o2)},
	};
	assert_ok(vaccel_model_run(s, handle, &in, 1, out, 2));
	pos = 0;
	check_out(o1, sizeof(o1), VACCEL_OPID_MODEL_RUN,
		  VACCEL_MODEL_RUN_OUTPUTS, &pos, "output 0");
	check_out(o2, sizeof(o2), VACCEL_OPID_MODEL_RUN,
		  VACCEL_MODEL_RUN_OUTPUTS, &pos, "output 1");
	for (int i = 0; i < 2; i++) {
		cr_expect_eq(out[i].dtype, VACCEL_DTYPE_U8);
		cr_expect_eq(out[i].ndim, 1);
		cr_expect_eq(out[i].dims[0], (int64_t)out[i].size);
	}
	cr_expect_eq(out[0].size, sizeof(o1));
	assert_ok(vaccel_model_unload(s, handle));

	/* misuse */
	assert_ret(vaccel_model_load(s, NULL, &handle), VACCEL_EINVAL);
	assert_ret(vaccel_model_load(s, &model, NULL), VACCEL_EINVAL);
	in.size = 20; /* does not match 2 x 3 floats */
	assert_ret(vaccel_model_run(s, handle, &in, 1, out, 2), VACCEL_EINVAL);
	in.size = sizeof(input);
	in.dims[1] = -3;
	assert_ret(vaccel_model_run(s, handle, &in, 1, out, 2), VACCEL_EINVAL);
	/* two negative dimensions make a positive count: still refused */
	in.dims[0] = -2;
	assert_ret(vaccel_model_run(s, handle, &in, 1, out, 2), VACCEL_EINVAL);
	in.dims[0] = 2;
	in.dims[1] = 3;
	in.dtype = VACCEL_DTYPE_MAX;
	assert_ret(vaccel_model_run(s, handle, &in, 1, out, 2), VACCEL_EINVAL);
	in.dtype = VACCEL_DTYPE_F32;
	in.ndim = VACCEL_TENSOR_MAX_DIMS + 1;
	assert_ret(vaccel_model_run(s, handle, &in, 1, out, 2), VACCEL_EINVAL);
	in.ndim = 2;
	out[1].data = NULL;
	assert_ret(vaccel_model_run(s, handle, &in, 1, out, 2), VACCEL_EINVAL);
	assert_ret(vaccel_model_run(s, handle, NULL, 1, out, 1), VACCEL_EINVAL);

	assert_ok(vaccel_session_delete(s));
	assert_ok(vaccel_resource_release(&model));
	s = sess_new();
	assert_ret(vaccel_model_load(s, &model, &handle), VACCEL_EINVAL);
	assert_ok(vaccel_session_delete(s));
}

/* ---- validation ---------------------------------------------------------- */

/* A valid gemm call (variant 0: single precision, column-major). */
static void valid_gemm(struct call *c, struct vaccel_session *s)
{
	build_call(c, s, vaccel_op_desc_by_id(VACCEL_OPID_GEMM), 0);
	assert_ok(vaccel_op_validate(c->op, c->args, NULL));
}

static void expect_gemm_einval(struct call *c, uint32_t bad_arg)
{
	uint32_t bad = UINT32_MAX;
	assert_ret(vaccel_op_validate(c->op, c->args, &bad), VACCEL_EINVAL);
	cr_expect_eq(bad, bad_arg, "blamed '%s', want '%s'",
		     bad < c->op->nr_args ? c->op->args[bad].name : "?",
		     c->op->args[bad_arg].name);
	assert_ret(vaccel_op_call(c->sess, VACCEL_OPID_GEMM, c->args,
				  VACCEL_GEMM_NR_ARGS),
		   VACCEL_EINVAL);
}

Test(dispatch, wrong_nr_args)
{
	struct vaccel_session *s = sess_new();
	struct call c;
	valid_gemm(&c, s);
	assert_ret(vaccel_op_call(s, VACCEL_OPID_GEMM, c.args,
				  VACCEL_GEMM_NR_ARGS - 1),
		   VACCEL_EINVAL);
	assert_ret(vaccel_op_call(s, VACCEL_OPID_GEMM, c.args,
				  VACCEL_GEMM_NR_ARGS + 1),
		   VACCEL_EINVAL);
	assert_ret(vaccel_op_call(s, VACCEL_OPID_NOOP, c.args, 1),
		   VACCEL_EINVAL);
	assert_ret(
	    vaccel_op_call(s, VACCEL_OPID_GEMM, NULL, VACCEL_GEMM_NR_ARGS),
	    VACCEL_EINVAL);
	/* nothing was written */
	uint8_t *cbuf = c.args[VACCEL_GEMM_C].buf;
	cr_expect_neq(cbuf[0],
		      vaccel_noop_byte(VACCEL_OPID_GEMM, VACCEL_GEMM_C, 0));
	free_call(&c);
	assert_ok(vaccel_session_delete(s));
}

Test(dispatch, buffer_length_mismatch)
{
	struct vaccel_session *s = sess_new();
	struct call c;
	valid_gemm(&c, s);
	c.args[VACCEL_GEMM_C].len -= 1;
	expect_gemm_einval(&c, VACCEL_GEMM_C);
	c.args[VACCEL_GEMM_C].len += 1 + 4;
	expect_gemm_einval(&c, VACCEL_GEMM_C);
	c.args[VACCEL_GEMM_C].len -= 4;
	c.args[VACCEL_GEMM_A].len = 0;
	expect_gemm_einval(&c, VACCEL_GEMM_A);
	free_call(&c);
	assert_ok(vaccel_session_delete(s));
}

/* The reference BLAS checks run in the core, before any plugin: noop,
 * which checks nothing itself, never sees a call they refuse. */
Test(dispatch, blas_checks_come_before_the_plugin)
{
	struct vaccel_session *s = sess_new();
	const double one[2] = {1, 0};
	float a[8], b[8], c[8];
	memset(c, 0x5a, sizeof(c));
	/* column-major 3 x 2 A with lda 2: the size rule takes it (2 * 1 +
	 * 3 elements), the reference check wants lda >= max(1, m) = 3 */
	assert_ret(vaccel_blas_gemm(s, VACCEL_BLAS_S, VACCEL_BLAS_COL,
				    VACCEL_BLAS_NOTRANS, VACCEL_BLAS_NOTRANS, 3,
				    2, 2, one, a, 2, b, 2, one, c, 3),
		   VACCEL_EINVAL);
	for (size_t i = 0; i < sizeof(c); i++)
		cr_assert_eq(((uint8_t *)c)[i], 0x5a, "C byte %zu written", i);
	/* the same through vaccel_op_call and vaccel_op_validate, which
	 * blames lda; a Hermitian op in a real precision blames prec */
	struct call g;
	valid_gemm(&g, s);
	/* variant 0: single precision, column-major, A m x k = 2 x 4; lda 1,
	 * and A's length as its rule now gives (shorter: the buffer holds
	 * it) */
	g.args[VACCEL_GEMM_LDA].v.i = 1;
	g.args[VACCEL_GEMM_A].len =
	    (uint64_t)g.op->args[VACCEL_GEMM_A].nelems(g.args) * 4;
	uint32_t bad = UINT32_MAX;
	assert_ret(vaccel_op_validate(g.op, g.args, &bad), VACCEL_EINVAL);
	cr_expect_eq(bad, VACCEL_GEMM_LDA, "blamed %u", bad);
	assert_ret(
	    vaccel_op_call(s, VACCEL_OPID_GEMM, g.args, VACCEL_GEMM_NR_ARGS),
	    VACCEL_EINVAL);
	assert_ret(vaccel_op_call_sized(s, VACCEL_OPID_GEMM, g.args,
					VACCEL_GEMM_NR_ARGS),
		   VACCEL_EINVAL);
	free_call(&g);
	assert_ret(vaccel_blas_herk(s, VACCEL_BLAS_D, VACCEL_BLAS_COL,
				    VACCEL_BLAS_UPPER, VACCEL_BLAS_NOTRANS, 2,
				    2, 1.0, a, 2, 1.0, c, 2),
		   VACCEL_EINVAL);
	/* and what they take passes: the same gemm with lda 3 */
	assert_ok(vaccel_blas_gemm(s, VACCEL_BLAS_S, VACCEL_BLAS_COL,
				   VACCEL_BLAS_NOTRANS, VACCEL_BLAS_NOTRANS, 3,
				   2, 2, one, a, 3, b, 2, one, c, 3));
	assert_ok(vaccel_session_delete(s));
}

/* vaccel_op_call_sized takes the lengths as given (its caller set them
 * from the rules) and checks everything else as vaccel_op_call does. */
Test(dispatch, sized_call_checks_all_but_the_rules)
{
	struct vaccel_session *s = sess_new();
	struct call c;
	valid_gemm(&c, s);
	assert_ok(vaccel_op_call_sized(s, VACCEL_OPID_GEMM, c.args,
				       VACCEL_GEMM_NR_ARGS));
	uint8_t *cbuf = c.args[VACCEL_GEMM_C].buf;
	cr_expect_eq(cbuf[0],
		     vaccel_noop_byte(VACCEL_OPID_GEMM, VACCEL_GEMM_C, 0));
	/* a length the rule does not give: refused by the checked call, the
	 * sized call's caller vouched for it */
	c.args[VACCEL_GEMM_C].len -= 1;
	assert_ret(
	    vaccel_op_call(s, VACCEL_OPID_GEMM, c.args, VACCEL_GEMM_NR_ARGS),
	    VACCEL_EINVAL);
	assert_ok(vaccel_op_call_sized(s, VACCEL_OPID_GEMM, c.args,
				       VACCEL_GEMM_NR_ARGS));
	c.args[VACCEL_GEMM_C].len += 1;
	/* the rest is still checked */
	void *b = c.args[VACCEL_GEMM_B].buf;
	c.args[VACCEL_GEMM_B].buf = NULL;
	assert_ret(vaccel_op_call_sized(s, VACCEL_OPID_GEMM, c.args,
					VACCEL_GEMM_NR_ARGS),
		   VACCEL_EINVAL);
	c.args[VACCEL_GEMM_B].buf = b;
	assert_ret(vaccel_op_call_sized(s, VACCEL_OPID_GEMM, c.args,
					VACCEL_GEMM_NR_ARGS - 1),
		   VACCEL_EINVAL);
	assert_ret(vaccel_op_call_sized(NULL, VACCEL_OPID_GEMM, c.args,
					VACCEL_GEMM_NR_ARGS),
		   VACCEL_EINVAL);
	assert_ret(vaccel_op_call_sized(s, UINT32_MAX - 1, NULL, 0),
		   VACCEL_ENOTSUP);
	free_call(&c);
	assert_ok(vaccel_session_delete(s));
}

Test(dispatch, null_buffer)
{
	struct vaccel_session *s = sess_new();
	struct call c;
	valid_gemm(&c, s);
	void *b = c.args[VACCEL_GEMM_B].buf;
	c.args[VACCEL_GEMM_B].buf = NULL;
	expect_gemm_einval(&c, VACCEL_GEMM_B);
	c.args[VACCEL_GEMM_B].buf = b;
	float x = 0;
	assert_ret(vaccel_sgemm(s, 1, 1, 1, 1, NULL, 1, &x, 1, 0, &x, 1),
		   VACCEL_EINVAL);
	free_call(&c);
	assert_ok(vaccel_session_delete(s));
}

Test(dispatch, negative_dimension)
{
	struct vaccel_session *s = sess_new();
	struct call c;
	valid_gemm(&c, s);
	c.args[VACCEL_GEMM_M].v.i = -1;
	expect_gemm_einval(&c, VACCEL_GEMM_A);
	c.args[VACCEL_GEMM_M].v.i = 2;
	c.args[VACCEL_GEMM_LDB].v.i = -6;
	expect_gemm_einval(&c, VACCEL_GEMM_B);
	free_call(&c);

	const double one[2] = {1, 0};
	float buf[64] = {0};
	assert_ret(vaccel_blas_gemm(s, VACCEL_BLAS_S, VACCEL_BLAS_COL,
				    VACCEL_BLAS_NOTRANS, VACCEL_BLAS_NOTRANS,
				    -2, 2, 2, one, buf, 2, buf, 2, one, buf, 2),
		   VACCEL_EINVAL);
	assert_ret(vaccel_sgemm(s, 2, 2, -2, 1, buf, 2, buf, 2, 0, buf, 2),
		   VACCEL_EINVAL);
	assert_ok(vaccel_session_delete(s));
}

Test(dispatch, overflowing_dimensions)
{
	struct vaccel_session *s = sess_new();
	const int64_t big = INT64_C(1) << 40;
	const double one[2] = {1, 0};
	/* tiny buffers: the library must refuse before touching them */
	float a[16] = {0}, b[16] = {0}, cbuf[16] = {0};
	for (int p = VACCEL_BLAS_S; p <= VACCEL_BLAS_Z; p++)
		expect_ret(
		    vaccel_blas_gemm(s, p, VACCEL_BLAS_COL, VACCEL_BLAS_NOTRANS,
				     VACCEL_BLAS_NOTRANS, big, big, big, one, a,
				     big, b, big, one, cbuf, big),
		    VACCEL_EINVAL);
	assert_ret(
	    vaccel_sgemm(s, big, big, big, 1, a, big, b, big, 0, cbuf, big),
	    VACCEL_EINVAL);
	/* the element count fits in int64, its bytes do not */
	assert_ret(vaccel_blas_gemm(s, VACCEL_BLAS_Z, VACCEL_BLAS_COL,
				    VACCEL_BLAS_NOTRANS, VACCEL_BLAS_NOTRANS, 1,
				    2, 1, one, a, 1, b, 1, one, cbuf,
				    INT64_C(1) << 61),
		   VACCEL_EINVAL);
	cr_expect_eq(cbuf[0], 0.0f);

	struct call c;
	valid_gemm(&c, s);
	c.args[VACCEL_GEMM_M].v.i = big;
	c.args[VACCEL_GEMM_N].v.i = big;
	c.args[VACCEL_GEMM_K].v.i = big;
	c.args[VACCEL_GEMM_LDA].v.i = big;
	expect_gemm_einval(&c, VACCEL_GEMM_A);
	c.args[VACCEL_GEMM_M].v.i = INT64_MAX;
	expect_gemm_einval(&c, VACCEL_GEMM_A);
	free_call(&c);
	assert_ok(vaccel_session_delete(s));
}

Test(dispatch, invalid_precision_and_layout)
{
	struct vaccel_session *s = sess_new();
	struct call c;
	valid_gemm(&c, s);
	static const int64_t bad_prec[] = {4, -1, 1000};
	for (size_t i = 0; i < 3; i++) {
		c.args[VACCEL_GEMM_PREC].v.i = bad_prec[i];
		expect_gemm_einval(&c, VACCEL_GEMM_A);
	}
	c.args[VACCEL_GEMM_PREC].v.i = VACCEL_BLAS_S;
	c.args[VACCEL_GEMM_LAYOUT].v.i = 100;
	expect_gemm_einval(&c, VACCEL_GEMM_A);
	free_call(&c);

	const double one[2] = {1, 0};
	float buf[64] = {0};
	assert_ret(vaccel_blas_gemm(s, 4, VACCEL_BLAS_COL, VACCEL_BLAS_NOTRANS,
				    VACCEL_BLAS_NOTRANS, 2, 2, 2, one, buf, 2,
				    buf, 2, one, buf, 2),
		   VACCEL_EINVAL);
	assert_ok(vaccel_session_delete(s));
}

Test(dispatch, unknown_op)
{
	struct vaccel_session *s = sess_new();
	static const uint32_t ids[] = {18,    19,	 59, VACCEL_OPID_LIMIT,
				       99999, UINT32_MAX};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		cr_assert_null(vaccel_op_desc_by_id(ids[i]));
		expect_ret(vaccel_op_call(s, ids[i], NULL, 0), VACCEL_ENOTSUP);
	}
	assert_ok(vaccel_session_delete(s));
}

Test(dispatch, released_session)
{
	struct vaccel_session sess;
	assert_ok(vaccel_session_init(&sess, 0));
	struct call c;
	valid_gemm(&c, &sess);
	assert_ok(vaccel_op_call(&sess, VACCEL_OPID_GEMM, c.args,
				 VACCEL_GEMM_NR_ARGS));
	assert_ok(vaccel_session_release(&sess));
	assert_ret(vaccel_op_call(&sess, VACCEL_OPID_GEMM, c.args,
				  VACCEL_GEMM_NR_ARGS),
		   VACCEL_EINVAL);
	assert_ret(vaccel_op_call(NULL, VACCEL_OPID_NOOP, NULL, 0),
		   VACCEL_EINVAL);
	assert_ret(vaccel_noop(&sess), VACCEL_EINVAL);
	assert_ret(vaccel_noop(NULL), VACCEL_EINVAL);
	float x[4] = {0};
	assert_ret(vaccel_sgemm(&sess, 1, 1, 1, 1, x, 1, x, 1, 0, x, 1),
		   VACCEL_EINVAL);
	assert_ret(vaccel_exec(&sess, "l", "f", NULL, 0, NULL, 0),
		   VACCEL_EINVAL);
	assert_ret(vaccel_genop(&sess, NULL, 0, NULL, 0), VACCEL_EINVAL);
	assert_ret(vaccel_model_unload(&sess, 1), VACCEL_EINVAL);
	/* free_call unregisters resources; gemm has none */
	free_call(&c);
}

Test(dispatch, malformed_strings_lists_resources)
{
	struct vaccel_session *s = sess_new();
	const struct vaccel_op_desc *op =
	    vaccel_op_desc_by_id(VACCEL_OPID_EXEC_WITH_RESOURCE);
	struct call c;
	build_call(&c, s, op, 0);
	uint32_t bad;
	assert_ok(vaccel_op_call(s, op->id, c.args, op->nr_args));

	/* a string whose length is not its strlen */
	struct vaccel_oparg *sym = &c.args[VACCEL_EXEC_WITH_RESOURCE_SYMBOL];
	sym->len -= 1;
	assert_ret(vaccel_op_validate(op, c.args, &bad), VACCEL_EINVAL);
	cr_expect_eq(bad, VACCEL_EXEC_WITH_RESOURCE_SYMBOL);
	assert_ret(vaccel_op_call(s, op->id, c.args, op->nr_args),
		   VACCEL_EINVAL);
	sym->len += 1;
	/* a NUL inside the string */
	static char embedded[] = "ab\0cd";
	void *str = sym->buf;
	sym->buf = embedded;
	sym->len = sizeof(embedded) - 1;
	assert_ret(vaccel_op_validate(op, c.args, &bad), VACCEL_EINVAL);
	cr_expect_eq(bad, VACCEL_EXEC_WITH_RESOURCE_SYMBOL);
	sym->len = 2;
	assert_ok(vaccel_op_validate(op, c.args, &bad));
	sym->len = strlen(str);
	sym->buf = NULL;
	assert_ret(vaccel_op_call(s, op->id, c.args, op->nr_args),
		   VACCEL_EINVAL);
	sym->buf = str;

	/* a list entry with bytes but no buffer */
	struct vaccel_arg *l = c.args[VACCEL_EXEC_WITH_RESOURCE_WRITE].buf;
	void *keep = l[0].buf;
	l[0].buf = NULL;
	assert_ret(vaccel_op_validate(op, c.args, &bad), VACCEL_EINVAL);
	cr_expect_eq(bad, VACCEL_EXEC_WITH_RESOURCE_WRITE);
	l[0].buf = keep;
	/* a list with entries but no array */
	c.args[VACCEL_EXEC_WITH_RESOURCE_READ].buf = NULL;
	assert_ret(vaccel_op_call(s, op->id, c.args, op->nr_args),
		   VACCEL_EINVAL);

	/* a resource that is not live */
	struct vaccel_resource dead = {0};
	c.args[VACCEL_EXEC_WITH_RESOURCE_READ].len = 0;
	assert_ok(vaccel_op_call(s, op->id, c.args, op->nr_args));
	c.args[VACCEL_EXEC_WITH_RESOURCE_OBJECT].buf = &dead;
	assert_ret(vaccel_op_validate(op, c.args, &bad), VACCEL_EINVAL);
	cr_expect_eq(bad, VACCEL_EXEC_WITH_RESOURCE_OBJECT);
	c.args[VACCEL_EXEC_WITH_RESOURCE_OBJECT].buf = NULL;
	assert_ret(vaccel_op_call(s, op->id, c.args, op->nr_args),
		   VACCEL_EINVAL);
	free_call(&c);
	assert_ok(vaccel_session_delete(s));
}
