// SPDX-License-Identifier: Apache-2.0
/*
 * A program written the way vAccel v0.7.1's examples and tests are: one
 * header, vAccel's functions only, vAccel's argument conventions
 * (row-major sgemm with lda = K, ldb = N, ldc = N; genop with the op type
 * in read[0]; exec's int in, int out). It asserts vAccel's answers for the
 * backend it is told is behind VACCEL_PLUGINS (in-process or through the
 * rpc transport, it cannot tell):
 *
 *   vaccel_prog noop     vAccel's noop answers, for every op
 *   vaccel_prog blas     a real BLAS (openblas): sgemm and genop sgemm
 *                        give the product; the other ops are not served
 *   vaccel_prog vstyle   the vAccel-style test plugin (vstyle_plugin.c):
 *                        sgemm and minmax computed, noop
 *
 * Prints one PASS/FAIL line per check; exits 1 if any failed.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vaccel.h>

static int failures;
static const char *backend;

static void check(bool ok, const char *what, int ret)
{
	printf("%s %s (%s, ret %d)\n", ok ? "PASS" : "FAIL", what, backend,
	       ret);
	failures += !ok;
}

static bool is(const char *b)
{
	return strcmp(backend, b) == 0;
}

/* ---- sgemm, direct and through genop -------------------------------- */

enum { M = 37, N = 19, K = 23 };

static void sgemm_ref(const float *a, const float *b, const float *c0,
		      float alpha, float beta, double *want)
{
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			double s = 0;
			for (int p = 0; p < K; p++)
				s += (double)a[i * K + p] * b[p * N + j];
			want[i * N + j] = alpha * s + beta * c0[i * N + j];
		}
}

static bool sgemm_ok(const float *c, const float *c0, const double *want)
{
	for (int i = 0; i < M * N; i++) {
		if (is("noop") ? c[i] != c0[i]
			       : fabs(c[i] - want[i]) > 1e-3 * (1 + fabs(want[i])))
			return false;
	}
	return true;
}

static void test_sgemm(struct vaccel_session *s)
{
	static float a[M * K], b[K * N], c[M * N], c0[M * N];
	static double want[M * N];
	const float alpha = 2, beta = 0.5f;
	for (int i = 0; i < M * K; i++)
		a[i] = (float)((i * 7) % 11 - 5);
	for (int i = 0; i < K * N; i++)
		b[i] = (float)((i * 3) % 13 - 6);
	for (int i = 0; i < M * N; i++)
		c[i] = c0[i] = (float)(i % 5);
	sgemm_ref(a, b, c0, alpha, beta, want);

	int ret = vaccel_sgemm(s, M, N, K, alpha, a, K, b, N, beta, c, N);
	check(ret == VACCEL_OK && sgemm_ok(c, c0, want),
	      is("noop") ? "sgemm 37x19x23 row-major: C left as it was"
			 : "sgemm 37x19x23 row-major: C = 2 A B + 0.5 C",
	      ret);

	memcpy(c, c0, sizeof(c));
	long long m = M, n = N, k = K, lda = K, ldb = N, ldc = N;
	vaccel_op_type_t type = VACCEL_OP_BLAS_SGEMM;
	struct vaccel_arg read[] = {
	    {.size = sizeof(type), .buf = &type},
	    {.size = sizeof(m), .buf = &m},
	    {.size = sizeof(n), .buf = &n},
	    {.size = sizeof(k), .buf = &k},
	    {.size = sizeof(alpha), .buf = (void *)&alpha},
	    {.size = sizeof(a), .buf = a},
	    {.size = sizeof(lda), .buf = &lda},
	    {.size = sizeof(b), .buf = b},
	    {.size = sizeof(ldb), .buf = &ldb},
	    {.size = sizeof(beta), .buf = (void *)&beta},
	    {.size = sizeof(ldc), .buf = &ldc},
	};
	struct vaccel_arg write[] = {{.size = sizeof(c), .buf = c}};
	ret = vaccel_genop(s, read, 11, write, 1);
	check(ret == VACCEL_OK && sgemm_ok(c, c0, want),
	      "genop BLAS_SGEMM: the same answer", ret);
	ret = vaccel_genop(s, read, 10, write, 1);
	check(ret == VACCEL_EINVAL, "genop BLAS_SGEMM with 9 args: EINVAL",
	      ret);
}

/* ---- minmax --------------------------------------------------------- */

static void test_minmax(struct vaccel_session *s)
{
	double in[6] = {3, -7.5, 12, 0.25, 99, 4}, out[6] = {0}, mn = 0,
	       mx = 0;
	int ret = vaccel_minmax(s, in, 6, 1, 50, out, &mn, &mx);
	bool copied = memcmp(in, out, sizeof(in)) == 0;
	if (is("noop"))
		check(ret == VACCEL_OK && copied && mn == -1 && mx == 10000,
		      "minmax: outdata = indata, min -1, max 10000", ret);
	else
		check(ret == VACCEL_OK && copied && mn == -7.5 && mx == 99,
		      "minmax: the data's min and max", ret);

	vaccel_op_type_t type = VACCEL_OP_MINMAX;
	int nd = 6, lo = 1, hi = 50;
	memset(out, 0, sizeof(out));
	mn = mx = 0;
	struct vaccel_arg read[] = {{.size = sizeof(type), .buf = &type},
				    {.size = sizeof(in), .buf = in},
				    {.size = sizeof(nd), .buf = &nd},
				    {.size = sizeof(lo), .buf = &lo},
				    {.size = sizeof(hi), .buf = &hi}};
	struct vaccel_arg write[] = {{.size = sizeof(out), .buf = out},
				     {.size = sizeof(mn), .buf = &mn},
				     {.size = sizeof(mx), .buf = &mx}};
	ret = vaccel_genop(s, read, 5, write, 3);
	check(ret == VACCEL_OK && memcmp(in, out, sizeof(in)) == 0 &&
		  mn == (is("noop") ? -1 : -7.5) &&
		  mx == (is("noop") ? 10000 : 99),
	      "genop MINMAX: the same answer", ret);
}

/* ---- noop's other answers ------------------------------------------- */

static void test_exec(struct vaccel_session *s, struct vaccel_resource *lib)
{
	int input = 10, output = 0;
	struct vaccel_arg read[] = {{.size = sizeof(input), .buf = &input}};
	struct vaccel_arg write[] = {{.size = sizeof(output), .buf = &output}};
	int ret = vaccel_exec(s, "libmytestlib.so", "mytestfunc", read, 1,
			      write, 1);
	check(ret == VACCEL_OK && output == 10, "exec: output = input", ret);

	output = 0;
	ret = vaccel_exec_with_resource(s, lib, "mytestfunc", read, 1, write,
					1);
	check(ret == VACCEL_OK && output == 10,
	      "exec_with_resource: output = input", ret);

	/* genop exec, as vAccel's test_exec calls it: the type in one
	 * byte, the strings sized as pointers */
	output = 0;
	vaccel_op_type_t type = VACCEL_OP_EXEC;
	const char *libname = "libmytestlib.so", *fn = "mytestfunc";
	struct vaccel_arg gread[] = {
	    {.size = sizeof(uint8_t), .buf = &type},
	    {.size = sizeof(libname), .buf = (void *)libname},
	    {.size = sizeof(fn), .buf = (void *)fn},
	    {.size = sizeof(input), .buf = &input}};
	ret = vaccel_genop(s, gread, 4, write, 1);
	check(ret == VACCEL_OK && output == 10, "genop EXEC: output = input",
	      ret);

	output = 0;
	type = VACCEL_OP_EXEC_WITH_RESOURCE;
	vaccel_id_t id = lib->id;
	struct vaccel_arg rread[] = {{.size = sizeof(type), .buf = &type},
				     {.size = sizeof(id), .buf = &id},
				     {.size = sizeof(fn), .buf = (void *)fn},
				     {.size = sizeof(input), .buf = &input}};
	ret = vaccel_genop(s, rread, 4, write, 1);
	check(ret == VACCEL_OK && output == 10,
	      "genop EXEC_WITH_RESOURCE: output = input", ret);
}

static void test_image(struct vaccel_session *s)
{
	char img[64] = "not a jpeg", text[512], name[512];
	int ret = vaccel_image_classification(s, img, (unsigned char *)text,
					      (unsigned char *)name,
					      sizeof(img), sizeof(text),
					      sizeof(name));
	check(ret == VACCEL_OK &&
		  strcmp(text, "This is a dummy classification tag!") == 0 &&
		  strcmp(name, "This is a dummy imgname!") == 0,
	      "image_classification: the fixed tag and name", ret);
	int (*fns[])(struct vaccel_session *, const void *, unsigned char *,
		     size_t, size_t) = {
	    vaccel_image_detection, vaccel_image_segmentation,
	    vaccel_image_pose, vaccel_image_depth};
	for (int i = 0; i < 4; i++) {
		memset(name, 'x', sizeof(name));
		ret = fns[i](s, img, (unsigned char *)name, sizeof(img),
			     sizeof(name));
		check(ret == VACCEL_OK &&
			  strcmp(name, "This is a dummy imgname!") == 0,
		      "image detection/segmentation/pose/depth: the fixed "
		      "name, NUL-terminated",
		      ret);
	}
	/* genop, as vAccel's test_image_generic does */
	vaccel_op_type_t type = VACCEL_OP_IMAGE_CLASSIFY;
	struct vaccel_arg read[] = {{.size = sizeof(type), .buf = &type},
				    {.size = sizeof(img), .buf = img}};
	struct vaccel_arg write[] = {{.size = sizeof(text), .buf = text},
				     {.size = sizeof(name), .buf = name}};
	memset(text, 0, sizeof(text));
	ret = vaccel_genop(s, read, 2, write, 2);
	check(ret == VACCEL_OK &&
		  strcmp(text, "This is a dummy classification tag!") == 0,
	      "genop IMAGE_CLASSIFY: the fixed tag", ret);
}

static void test_fpga(struct vaccel_session *s)
{
	int ia[4] = {1, 2, 3, 4}, io[4] = {0};
	float a[4] = {1, 2, 3, 4}, b[4] = {10, 20, 30, 40}, c[4] = {0},
	      d[4] = {0};
	int ret = vaccel_fpga_arraycopy(s, ia, io, 4);
	check(ret == VACCEL_OK && memcmp(ia, io, sizeof(ia)) == 0,
	      "fpga_arraycopy: a copy", ret);
	ret = vaccel_fpga_vadd(s, a, b, c, 4, 4);
	check(ret == VACCEL_OK && c[0] == 11 && c[3] == 44,
	      "fpga_vadd: a + b", ret);
	ret = vaccel_fpga_mmult(s, a, b, c, 4);
	check(ret == VACCEL_OK && c[0] == 9.1F && c[3] == 9.1F,
	      "fpga_mmult: 9.1 everywhere", ret);
	ret = vaccel_fpga_parallel(s, a, b, c, d, 4);
	check(ret == VACCEL_OK && c[2] == 33 && d[2] == 1,
	      "fpga_parallel: a + b, and 1", ret);
}

static void test_frameworks(struct vaccel_session *s,
			    struct vaccel_resource *model)
{
	struct vaccel_tf_status st = {0};
	int ret = vaccel_tf_session_load(s, model, &st);
	check(ret == VACCEL_OK && st.message &&
		  strcmp(st.message, "Operation handled by noop plugin") == 0,
	      "tf_session_load: noop's status message", ret);
	vaccel_tf_status_release(&st);

	int64_t dims[2] = {2, 3};
	float data[6] = {1, 2, 3, 4, 5, 6};
	struct vaccel_tf_tensor *in = NULL, *out = NULL;
	vaccel_tf_tensor_new(&in, 2, dims, VACCEL_TF_FLOAT);
	vaccel_tf_tensor_set_data(in, data, sizeof(data));
	struct vaccel_tf_node nin, nout;
	vaccel_tf_node_init(&nin, "serving_default_input_1", 0);
	vaccel_tf_node_init(&nout, "StatefulPartitionedCall", 0);
	ret = vaccel_tf_session_run(s, model, NULL, &nin, &in, 1, &nout, &out,
				    1, &st);
	check(ret == VACCEL_OK && out && out->nr_dims == 2 &&
		  out->dims[1] == 3 && out->data_type == VACCEL_TF_FLOAT &&
		  out->size == sizeof(data) && out->owned &&
		  memcmp(out->data, data, sizeof(data)) == 0 &&
		  st.error_code == 0,
	      "tf_session_run: the output is a copy of the input", ret);
	if (out)
		vaccel_tf_tensor_delete(out);
	vaccel_tf_status_release(&st);
	ret = vaccel_tf_session_delete(s, model, &st);
	check(ret == VACCEL_OK && st.message, "tf_session_delete", ret);
	vaccel_tf_status_release(&st);
	vaccel_tf_node_release(&nin);
	vaccel_tf_node_release(&nout);
	vaccel_tf_tensor_delete(in);

	int32_t d32[1] = {6};
	struct vaccel_tflite_tensor *lin = NULL, *lout = NULL;
	vaccel_tflite_tensor_new(&lin, 1, d32, VACCEL_TFLITE_FLOAT32);
	vaccel_tflite_tensor_set_data(lin, data, sizeof(data));
	uint8_t status = 9;
	ret = vaccel_tflite_session_load(s, model);
	check(ret == VACCEL_OK, "tflite_session_load", ret);
	ret = vaccel_tflite_session_run(s, model, &lin, 1, &lout, 1, &status);
	check(ret == VACCEL_OK && lout && lout->dims[0] == 6 && status == 0 &&
		  memcmp(lout->data, data, sizeof(data)) == 0,
	      "tflite_session_run: a copy, status 0", ret);
	if (lout)
		vaccel_tflite_tensor_delete(lout);
	ret = vaccel_tflite_session_delete(s, model);
	check(ret == VACCEL_OK, "tflite_session_delete", ret);
	vaccel_tflite_tensor_delete(lin);

	struct vaccel_torch_tensor *tin = NULL, *tout = NULL;
	vaccel_torch_tensor_new(&tin, 2, dims, VACCEL_TORCH_FLOAT);
	vaccel_torch_tensor_set_data(tin, data, sizeof(data));
	struct vaccel_torch_buffer opts = {0};
	ret = vaccel_torch_jitload_forward(s, model, &opts, &tin, 1, &tout, 1);
	check(ret == VACCEL_OK && tout && tout->nr_dims == 2 &&
		  memcmp(tout->data, data, sizeof(data)) == 0,
	      "torch_jitload_forward: a copy", ret);
	if (tout)
		vaccel_torch_tensor_delete(tout);
	struct vaccel_torch_tensor *res = NULL;
	ret = vaccel_torch_sgemm(s, &tin, &tin, &tin, 2, 3, 3, &res);
	check(ret == VACCEL_OK && !res,
	      "torch_sgemm: answered, no output tensor", ret);
	vaccel_torch_tensor_delete(tin);

	/* vAccel's checks: an unregistered model is EPERM */
	struct vaccel_resource other;
	vaccel_resource_init_from_buf(&other, "m", 1, VACCEL_RESOURCE_MODEL,
				      "m.bin");
	ret = vaccel_tflite_session_load(s, &other);
	check(ret == VACCEL_EPERM, "tflite_session_load, not registered: EPERM",
	      ret);
	vaccel_resource_release(&other);
}

static void test_opencv(struct vaccel_session *s)
{
	float out[8] = {0};
	struct vaccel_arg write[] = {{.size = sizeof(out), .buf = out}};
	int ret = vaccel_opencv(s, NULL, 0, write, 1);
	size_t n;
	memcpy(&n, out, sizeof(n));
	check(ret == VACCEL_OK && n == 8, "opencv: the size header", ret);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s noop|blas|vstyle\n", argv[0]);
		return 2;
	}
	backend = argv[1];
	struct vaccel_session s;
	int ret = vaccel_session_init(&s, 0);
	check(ret == VACCEL_OK, "session_init", ret);
	if (ret)
		return 1;
	int ver = strcmp(VACCEL_VERSION, "0.7.1") >= 0;
	check(ver, "VACCEL_VERSION is at least 0.7.1", 0);
#ifndef VACCEL_EINVAL
	check(false, "VACCEL_EINVAL is a macro", 0);
#endif

	ret = vaccel_noop(&s);
	if (is("blas"))
		check(ret == VACCEL_ENOTSUP, "noop, not a BLAS op: ENOTSUP", ret);
	else
		check(ret == VACCEL_OK, "noop", ret);
	test_sgemm(&s);
	if (!is("blas"))
		test_minmax(&s);
	if (is("noop")) {
		struct vaccel_resource lib, model;
		ret = vaccel_resource_init(&lib, argv[0], VACCEL_RESOURCE_LIB);
		check(ret == VACCEL_OK, "resource from a file", ret);
		vaccel_resource_register(&lib, &s);
		vaccel_resource_init_from_buf(&model, "model bytes", 11,
					      VACCEL_RESOURCE_MODEL,
					      "model.pb");
		vaccel_resource_register(&model, &s);
		test_exec(&s, &lib);
		test_image(&s);
		test_fpga(&s);
		test_frameworks(&s, &model);
		test_opencv(&s);
		vaccel_resource_unregister(&model, &s);
		vaccel_resource_unregister(&lib, &s);
		vaccel_resource_release(&model);
		vaccel_resource_release(&lib);
	} else {
		/* what the backend does not serve says so */
		double d = 0;
		ret = vaccel_minmax(&s, &d, 1, 0, 0, &d, &d, &d);
		if (is("blas"))
			check(ret == VACCEL_ENOTSUP,
			      "minmax, no plugin serves it: ENOTSUP", ret);
		char img[4] = "abc", name[8];
		ret = vaccel_image_detection(&s, img, (unsigned char *)name, 4,
					     8);
		check(ret == VACCEL_ENOTSUP,
		      "image_detection, no plugin serves it: ENOTSUP", ret);
	}
	vaccel_session_release(&s);
	printf("%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
