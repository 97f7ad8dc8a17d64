// SPDX-License-Identifier: Apache-2.0
/* The plugin loader: failures by kind, ABI checks, precedence and hints. */
#include "capture.h"
#include "common.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TestSuite(plugin, .init = test_boot_none, .fini = test_cleanup);

/* Call `dot` with n = 0 and return what the serving plugin wrote. */
static double call_dot(struct vaccel_session *sess, int *ret)
{
	double result[2] = {-1.0, -1.0};
	struct vaccel_oparg args[VACCEL_DOT_NR_ARGS] = {0};
	args[VACCEL_DOT_PREC].v.i = VACCEL_BLAS_D;
	args[VACCEL_DOT_N].v.i = 0;
	args[VACCEL_DOT_INCX].v.i = 1;
	args[VACCEL_DOT_INCY].v.i = 1;
	args[VACCEL_DOT_RESULT].buf = result;
	args[VACCEL_DOT_RESULT].len = sizeof(result);
	*ret = vaccel_op_call(sess, VACCEL_OPID_DOT, args, VACCEL_DOT_NR_ARGS);
	return result[0];
}

static void load_test_plugin(const char *name, int want)
{
	char *path = test_plugin_path(name);
	assert_ret(vaccel_plugin_load(path), want);
	free(path);
}

/* Loads `list` (names of test plugins or "noop", ':'-separated). */
static int load_list(const char *names)
{
	char *list = NULL, *copy = strdup(names), *save = NULL;
	for (char *n = strtok_r(copy, ":", &save); n;
	     n = strtok_r(NULL, ":", &save)) {
		char *p = strcmp(n, "noop") == 0 ? strdup(test_noop_path())
						 : test_plugin_path(n);
		char *l = NULL;
		cr_assert(asprintf(&l, "%s%s%s", list ? list : "",
				   list ? ":" : "", p) > 0);
		free(list);
		free(p);
		list = l;
	}
	free(copy);
	int ret = vaccel_plugin_parse_and_load(list);
	free(list);
	return ret;
}

Test(plugin, invalid_arguments)
{
	assert_ret(vaccel_plugin_load(NULL), VACCEL_EINVAL);
	assert_ret(vaccel_plugin_load(""), VACCEL_EINVAL);
	assert_ret(vaccel_plugin_parse_and_load(NULL), VACCEL_EINVAL);
	cr_expect_eq(vaccel_plugin_count(), 0);
}

Test(plugin, missing_path)
{
	assert_ret(vaccel_plugin_load("/nonexistent/dir/libvaccel-x.so"),
		   VACCEL_ENOENT);
	cr_expect_eq(vaccel_plugin_count(), 0);
}

Test(plugin, missing_name)
{
	assert_ret(vaccel_plugin_load("doesnotexist"), VACCEL_ENOENT);
	assert_ret(vaccel_plugin_load("libvaccel-doesnotexist.so"),
		   VACCEL_ENOENT);
	cr_expect_eq(vaccel_plugin_count(), 0);
}

Test(plugin, name_found_in_plugin_path)
{
	char *list = NULL;
	cr_assert(
	    asprintf(&list, "/nonexistent:%s", getenv("TEST_PLUGIN_DIR")) > 0);
	setenv("VACCEL_PLUGIN_PATH", list, 1);
	free(list);
	assert_ok(vaccel_plugin_load("test-a"));
	cr_expect_eq(vaccel_plugin_count(), 1);
	cr_expect_str_eq(vaccel_plugin_for_op(VACCEL_OPID_DOT, 0), "test-a");
}

Test(plugin, no_descriptor_symbol)
{
	load_test_plugin("nosym", VACCEL_ELIBBAD);
	cr_expect_eq(vaccel_plugin_count(), 0);
}

Test(plugin, not_a_shared_object)
{
	static const char text[] = "this is not an ELF file\n";
	char *dir = test_tmpdir();
	char *path = test_write_file(dir, "libvaccel-garbage.so", text,
				     sizeof(text) - 1);
	assert_ret(vaccel_plugin_load(path), VACCEL_ELIBBAD);
	/* a directory is not one either */
	assert_ret(vaccel_plugin_load(dir), VACCEL_ELIBBAD);
	cr_expect_eq(vaccel_plugin_count(), 0);
	free(path);
	test_rm_rf(dir);
	free(dir);
}

Test(plugin, wrong_major_abi)
{
	load_test_plugin("major", VACCEL_ENOEXEC);
	cr_expect_eq(vaccel_plugin_count(), 0);
	cr_expect_null(vaccel_plugin_for_op(VACCEL_OPID_DOT, 0));
}

Test(plugin, read_slack_is_the_largest_asked_for)
{
	cr_expect_eq(vaccel_plugins_read_slack(), 0);
	assert_ok(load_list("noop"));
	cr_expect_eq(vaccel_plugins_read_slack(), 0, "noop asks for none");
	load_test_plugin("slack", VACCEL_OK);
	cr_expect_eq(vaccel_plugins_read_slack(), 5000);
	/* an ABI 1.0 descriptor has no read_slack: the bytes after its end
	 * (9000 here) are not read */
	load_test_plugin("oldslack", VACCEL_OK);
	cr_expect_eq(vaccel_plugins_read_slack(), 5000);
}

Test(plugin, malformed_descriptor)
{
	load_test_plugin("noname", VACCEL_ELIBBAD);
	cr_expect_eq(vaccel_plugin_count(), 0);
}

/* Bootstraps with VACCEL_LOG_LEVEL=warn into a log file, loads the
 * minor-mismatch plugin, returns the log. */
static char *load_minor_and_read_log(bool ignore)
{
	vaccel_cleanup();
	char *dir = test_tmpdir();
	char *path = NULL;
	cr_assert(asprintf(&path, "%s/log", dir) > 0);
	setenv("VACCEL_LOG_FILE", path, 1);
	setenv("VACCEL_LOG_LEVEL", "warn", 1);
	if (ignore)
		setenv("VACCEL_VERSION_IGNORE", "1", 1);
	assert_ok(vaccel_bootstrap());
	load_test_plugin("minor", VACCEL_OK);
	cr_expect_eq(vaccel_plugin_count(), 1);

	struct vaccel_session sess;
	int ret;
	assert_ok(vaccel_session_init(&sess, 0));
	double v = call_dot(&sess, &ret);
	assert_ok(ret);
	cr_expect_eq(v, 3.0, "the minor-mismatch plugin did not serve dot");
	assert_ok(vaccel_session_release(&sess));
	assert_ok(vaccel_cleanup());

	char *log = test_read_file(path, NULL);
	cr_assert_not_null(log);
	free(path);
	test_rm_rf(dir);
	free(dir);
	return log;
}

Test(plugin, wrong_minor_abi_loads_with_warning)
{
	char *log = load_minor_and_read_log(false);
	cr_expect_not_null(strstr(log, "WARN plugin: 'test-minor' was built "
				       "for plugin ABI"),
			   "no ABI warning in the log:\n%s", log);
	free(log);
}

Test(plugin, version_ignore_silences_minor_warning)
{
	char *log = load_minor_and_read_log(true);
	cr_expect_null(strstr(log, "ABI"), "unexpected ABI warning:\n%s", log);
	free(log);
}

Test(plugin, init_failure_returns_its_error)
{
	load_test_plugin("initfail", VACCEL_ENODEV);
	cr_expect_eq(vaccel_plugin_count(), 0);
	cr_expect_null(vaccel_plugin_for_op(VACCEL_OPID_DOT, 0));
}

Test(plugin, duplicate_name)
{
	assert_ok(vaccel_plugin_load(test_noop_path()));
	/* the same file again */
	assert_ret(vaccel_plugin_load(test_noop_path()), VACCEL_EEXIST);
	/* another file claiming the same name */
	load_test_plugin("dupnoop", VACCEL_EEXIST);
	cr_expect_eq(vaccel_plugin_count(), 1);
	cr_expect_str_eq(vaccel_plugin_for_op(VACCEL_OPID_DOT, 0), "noop");
}

Test(plugin, list_keeps_going_and_returns_first_error)
{
	assert_ret(load_list("nosym:a:major:b"), VACCEL_ELIBBAD);
	cr_expect_eq(vaccel_plugin_count(), 2);
	cr_expect_str_eq(vaccel_plugin_for_op(VACCEL_OPID_DOT, 0), "test-a");
}

/* A plugin that declines at init (VACCEL_ENODEV: its device is not here)
 * is no failure of the list: the next plugin serves its ops. */
Test(plugin, list_goes_past_a_plugin_that_declines)
{
	assert_ok(load_list("initfail:a"));
	cr_expect_eq(vaccel_plugin_count(), 1);
	cr_expect_str_eq(vaccel_plugin_for_op(VACCEL_OPID_DOT, 0), "test-a");
}

Test(plugin, first_listed_serves)
{
	assert_ok(load_list("a:b"));
	cr_expect_str_eq(vaccel_plugin_for_op(VACCEL_OPID_DOT, 0), "test-a");
	struct vaccel_session sess;
	int ret;
	assert_ok(vaccel_session_init(&sess, 0));
	cr_expect_eq(call_dot(&sess, &ret), 1.0);
	assert_ok(ret);
	assert_ok(vaccel_session_release(&sess));
}

Test(plugin, first_listed_serves_reversed)
{
	assert_ok(load_list("b:a"));
	cr_expect_str_eq(vaccel_plugin_for_op(VACCEL_OPID_DOT, 0), "test-b");
	struct vaccel_session sess;
	int ret;
	assert_ok(vaccel_session_init(&sess, 0));
	cr_expect_eq(call_dot(&sess, &ret), 2.0);
	assert_ok(ret);
	assert_ok(vaccel_session_release(&sess));
}

Test(plugin, session_hint_selects_plugin_type)
{
	assert_ok(load_list("a:b"));
	cr_expect_str_eq(
	    vaccel_plugin_for_op(VACCEL_OPID_DOT, VACCEL_PLUGIN_GPU), "test-b");
	cr_expect_str_eq(
	    vaccel_plugin_for_op(VACCEL_OPID_DOT, VACCEL_PLUGIN_CPU), "test-a");
	/* no plugin of that type: the first one serves */
	cr_expect_str_eq(
	    vaccel_plugin_for_op(VACCEL_OPID_DOT, VACCEL_PLUGIN_FPGA),
	    "test-a");

	struct vaccel_session gpu, cpu, fpga;
	int ret;
	assert_ok(vaccel_session_init(&gpu, VACCEL_PLUGIN_GPU));
	assert_ok(vaccel_session_init(&cpu, VACCEL_PLUGIN_CPU));
	assert_ok(vaccel_session_init(&fpga, VACCEL_PLUGIN_FPGA));
	cr_expect_eq(call_dot(&gpu, &ret), 2.0);
	assert_ok(ret);
	cr_expect_eq(call_dot(&cpu, &ret), 1.0);
	assert_ok(ret);
	cr_expect_eq(call_dot(&fpga, &ret), 1.0);
	assert_ok(ret);
	/* the hint can change during the session's life */
	assert_ok(vaccel_session_update(&cpu, VACCEL_PLUGIN_GPU));
	cr_expect_eq(call_dot(&cpu, &ret), 2.0);
	assert_ok(ret);
	assert_ok(vaccel_session_release(&gpu));
	assert_ok(vaccel_session_release(&cpu));
	assert_ok(vaccel_session_release(&fpga));
}

Test(plugin, hint_with_noop_first)
{
	assert_ok(load_list("noop:a"));
	cr_expect_str_eq(vaccel_plugin_for_op(VACCEL_OPID_DOT, 0), "noop");
	cr_expect_str_eq(
	    vaccel_plugin_for_op(VACCEL_OPID_DOT, VACCEL_PLUGIN_CPU), "test-a");
	/* test-a does not implement gemm: noop serves CPU sessions too */
	cr_expect_str_eq(
	    vaccel_plugin_for_op(VACCEL_OPID_GEMM, VACCEL_PLUGIN_CPU), "noop");
	cr_expect_str_eq(
	    vaccel_plugin_for_op(VACCEL_OPID_GEMM, VACCEL_PLUGIN_DEBUG),
	    "noop");
}

Test(plugin, unimplemented_op)
{
	assert_ok(load_list("a"));
	cr_expect_null(vaccel_plugin_for_op(VACCEL_OPID_GEMM, 0));
	cr_expect_null(vaccel_plugin_for_op(VACCEL_OPID_NOOP, 0));
	struct vaccel_session sess;
	assert_ok(vaccel_session_init(&sess, 0));
	assert_ret(vaccel_noop(&sess), VACCEL_ENOTSUP);
	float a[1] = {0}, b[1] = {0}, c[1] = {0};
	assert_ret(vaccel_sgemm(&sess, 1, 1, 1, 1.0f, a, 1, b, 1, 0.0f, c, 1),
		   VACCEL_ENOTSUP);
	assert_ok(vaccel_session_release(&sess));
}

Test(plugin, no_plugin_loaded)
{
	cr_expect_eq(vaccel_plugin_count(), 0);
	struct vaccel_session sess;
	int ret;
	assert_ok(vaccel_session_init(&sess, 0));
	assert_ret(vaccel_noop(&sess), VACCEL_ENOTSUP);
	call_dot(&sess, &ret);
	assert_ret(ret, VACCEL_ENOTSUP);
	assert_ok(vaccel_session_release(&sess));
}

Test(plugin, for_op_unknown_op)
{
	assert_ok(load_list("noop"));
	cr_expect_null(vaccel_plugin_for_op(18, 0));
	cr_expect_null(vaccel_plugin_for_op(VACCEL_OPID_LIMIT, 0));
	cr_expect_null(vaccel_plugin_for_op(UINT32_MAX, 0));
}

Test(plugin, cleanup_unloads)
{
	assert_ok(load_list("a:b"));
	cr_expect_eq(vaccel_plugin_count(), 2);
	assert_ok(vaccel_cleanup());
	cr_expect_eq(vaccel_plugin_count(), 0);
	/* and the same plugins load again afterwards */
	assert_ok(vaccel_bootstrap());
	assert_ok(load_list("b:a"));
	cr_expect_str_eq(vaccel_plugin_for_op(VACCEL_OPID_DOT, 0), "test-b");
}

Test(plugin, session_hook_refusal)
{
	assert_ok(load_list("hooks:noop"));
	struct vaccel_session sess;
	assert_ret(vaccel_session_init(&sess, 0x2000), VACCEL_EPERM);
	cr_expect_eq(sess.id, 0, "a refused session keeps id %lld",
		     (long long)sess.id);
	assert_ret(vaccel_noop(&sess), VACCEL_EINVAL);
	struct vaccel_session *heap = NULL;
	assert_ret(vaccel_session_new(&heap, 0x2000), VACCEL_EPERM);
	cr_expect_null(heap);
	assert_ok(vaccel_session_init(&sess, 0));
	assert_ok(vaccel_noop(&sess));
	assert_ok(vaccel_session_release(&sess));
}

Test(plugin, resource_hook_refusal)
{
	assert_ok(load_list("hooks:noop"));
	static const char data[] = "weights";
	struct vaccel_session sess;
	struct vaccel_resource model, lib;
	assert_ok(vaccel_session_init(&sess, 0));
	assert_ok(vaccel_resource_init_from_buf(&model, data, sizeof(data),
						VACCEL_RESOURCE_MODEL, "m"));
	assert_ok(vaccel_resource_init_from_buf(&lib, data, sizeof(data),
						VACCEL_RESOURCE_LIB, "l"));
	assert_ret(vaccel_resource_register(&model, &sess), VACCEL_EACCES);
	cr_expect_eq(vaccel_resource_refcount(&model), 0);
	cr_expect(!vaccel_session_has_resource(&sess, &model));
	assert_ok(vaccel_resource_register(&lib, &sess));
	cr_expect_eq(vaccel_resource_refcount(&lib), 1);
	assert_ok(vaccel_session_release(&sess));
	assert_ok(vaccel_resource_release(&model));
	assert_ok(vaccel_resource_release(&lib));
}

/* ---- the choice by cost, and who served what ------------------------- */

/* Call `dot` over n doubles (its cost: 16 n + 16 bytes) and return what
 * the serving plugin wrote. */
static double call_dot_n(struct vaccel_session *sess, int64_t n, int *ret)
{
	double *x = calloc((size_t)n + 1, sizeof(double));
	double *y = calloc((size_t)n + 1, sizeof(double));
	double result[2] = {-1.0, -1.0};
	cr_assert(x && y);
	struct vaccel_oparg args[VACCEL_DOT_NR_ARGS] = {0};
	args[VACCEL_DOT_PREC].v.i = VACCEL_BLAS_D;
	args[VACCEL_DOT_N].v.i = n;
	args[VACCEL_DOT_INCX].v.i = 1;
	args[VACCEL_DOT_INCY].v.i = 1;
	args[VACCEL_DOT_X].buf = x;
	args[VACCEL_DOT_X].len = (uint64_t)n * sizeof(double);
	args[VACCEL_DOT_Y].buf = y;
	args[VACCEL_DOT_Y].len = (uint64_t)n * sizeof(double);
	args[VACCEL_DOT_RESULT].buf = result;
	args[VACCEL_DOT_RESULT].len = sizeof(result);
	*ret = vaccel_op_call(sess, VACCEL_OPID_DOT, args, VACCEL_DOT_NR_ARGS);
	free(x);
	free(y);
	return result[0];
}

/* How many calls of op plugin served, by vaccel_served_get. */
static uint64_t served(const char *plugin, uint32_t op)
{
	struct vaccel_served s[32];
	size_t n = vaccel_served_get(s, 32);
	cr_assert_leq(n, 32);
	for (size_t i = 0; i < n; i++)
		if (strcmp(s[i].plugin, plugin) == 0 && s[i].op_id == op)
			return s[i].calls;
	return 0;
}

Test(plugin, min_cost_sends_small_calls_to_the_next)
{
	/* test-big (GPU) serves calls of 1 MiB and more, test-a the rest */
	assert_ok(load_list("big:a"));
	struct vaccel_session sess, gpu;
	int ret;
	assert_ok(vaccel_session_init(&sess, 0));
	cr_expect_eq(call_dot_n(&sess, 16, &ret), 1.0);
	assert_ok(ret);
	cr_expect_eq(call_dot_n(&sess, 65534, &ret), 1.0, "1 MiB - 16 bytes");
	assert_ok(ret);
	cr_expect_eq(call_dot_n(&sess, 65535, &ret), 5.0, "1 MiB");
	assert_ok(ret);
	/* what serves the cheapest call */
	cr_expect_str_eq(vaccel_plugin_for_op(VACCEL_OPID_DOT, 0), "test-a");
	/* a session asking for a GPU gets it, whatever the call's size */
	assert_ok(vaccel_session_init(&gpu, VACCEL_PLUGIN_GPU));
	cr_expect_eq(call_dot_n(&gpu, 16, &ret), 5.0);
	assert_ok(ret);
	cr_expect_str_eq(
	    vaccel_plugin_for_op(VACCEL_OPID_DOT, VACCEL_PLUGIN_GPU),
	    "test-big");
	assert_ok(vaccel_session_release(&gpu));
	assert_ok(vaccel_session_release(&sess));
}

Test(plugin, min_cost_of_a_later_plugin_does_not_matter)
{
	/* the first listed takes any call: the order says so */
	assert_ok(load_list("a:big"));
	struct vaccel_session sess;
	int ret;
	assert_ok(vaccel_session_init(&sess, 0));
	cr_expect_eq(call_dot_n(&sess, 1 << 17, &ret), 1.0);
	assert_ok(ret);
	assert_ok(vaccel_session_release(&sess));
}

Test(plugin, min_cost_alone_serves_every_call)
{
	assert_ok(load_list("big"));
	struct vaccel_session sess;
	int ret;
	assert_ok(vaccel_session_init(&sess, 0));
	cr_expect_eq(call_dot_n(&sess, 1, &ret), 5.0);
	assert_ok(ret);
	assert_ok(vaccel_session_release(&sess));
}

Test(plugin, gemm_cost_is_its_flops)
{
	/* 2mnk real flops, four times that in complex: 2 * 64^3 = 0.5 Mi
	 * stays on noop, 2 * 128^3 = 4 Mi and complex 64^3 go to test-big */
	assert_ok(load_list("big:noop"));
	vaccel_served_counting(true);
	struct vaccel_session sess;
	assert_ok(vaccel_session_init(&sess, 0));
	size_t n = 128;
	float *a = calloc(n * n, sizeof(float)), *b = calloc(n * n, 8);
	double *c = calloc(n * n * 2, sizeof(double));
	cr_assert(a && b && c);
	const double one[2] = {1, 0}, zero[2] = {0, 0};
	assert_ok(vaccel_sgemm(&sess, 64, 64, 64, 1.0f, a, 64, b, 64, 0.0f,
			       (float *)c, 64));
	cr_expect_neq(((float *)c)[0], 5.0f);
	cr_expect_eq(served("noop", VACCEL_OPID_GEMM), 1);
	assert_ok(vaccel_sgemm(&sess, 128, 128, 128, 1.0f, a, 128, b, 128, 0.0f,
			       (float *)c, 128));
	cr_expect_eq(((float *)c)[0], 5.0f);
	cr_expect_eq(served("test-big", VACCEL_OPID_GEMM), 1);
	assert_ok(vaccel_blas_gemm(&sess, VACCEL_BLAS_D, VACCEL_BLAS_COL,
				   VACCEL_BLAS_NOTRANS, VACCEL_BLAS_NOTRANS, 64,
				   64, 64, one, a, 64, b, 64, zero, c, 64));
	cr_expect_eq(served("noop", VACCEL_OPID_GEMM), 2);
	c[0] = 0;
	assert_ok(vaccel_blas_gemm(&sess, VACCEL_BLAS_Z, VACCEL_BLAS_COL,
				   VACCEL_BLAS_NOTRANS, VACCEL_BLAS_NOTRANS, 64,
				   64, 64, one, c, 64, c, 64, zero, c, 64));
	cr_expect_eq(c[0], 5.0);
	cr_expect_eq(served("test-big", VACCEL_OPID_GEMM), 2);
	free(a);
	free(b);
	free(c);
	assert_ok(vaccel_session_release(&sess));
}

Test(plugin, min_cost_from_the_environment)
{
	/* per plugin, per op, and what is malformed said and ignored */
	setenv("VACCEL_MIN_COST",
	       "test-big/dot=4M,junk,test-a=x,nobody=5,test-big/nosuchop=1", 1);
	struct capture cap;
	capture_begin(&cap);
	int ret = load_list("big:a");
	char *log = capture_end(&cap);
	unsetenv("VACCEL_MIN_COST");
	assert_ok(ret);
	cr_expect(strstr(log, "VACCEL_MIN_COST: 'junk' is not PLUGIN=N"), "%s",
		  log);
	cr_expect(strstr(log, "'test-a=x' is not PLUGIN=N"), "%s", log);
	cr_expect(strstr(log, "no op is named 'nosuchop'"), "%s", log);
	free(log);
	struct vaccel_session sess;
	assert_ok(vaccel_session_init(&sess, 0));
	cr_expect_eq(call_dot_n(&sess, 1 << 17, &ret), 1.0, "2 MiB < 4 MiB");
	assert_ok(ret);
	cr_expect_eq(call_dot_n(&sess, 1 << 18, &ret), 5.0, "4 MiB + 16");
	assert_ok(ret);
	assert_ok(vaccel_session_release(&sess));
}

Test(plugin, min_cost_zero_from_the_environment)
{
	setenv("VACCEL_MIN_COST", "test-big=0", 1);
	int ret = load_list("big:a");
	unsetenv("VACCEL_MIN_COST");
	assert_ok(ret);
	struct vaccel_session sess;
	assert_ok(vaccel_session_init(&sess, 0));
	cr_expect_eq(call_dot_n(&sess, 16, &ret), 5.0);
	assert_ok(ret);
	assert_ok(vaccel_session_release(&sess));
}

Test(plugin, min_cost_past_an_old_descriptor_is_not_read)
{
	/* an ABI 2.0 plugin ends before min_cost: it serves every call */
	assert_ok(load_list("oldcost:a"));
	struct vaccel_session sess;
	int ret;
	assert_ok(vaccel_session_init(&sess, 0));
	cr_expect_eq(call_dot_n(&sess, 16, &ret), 6.0);
	assert_ok(ret);
	assert_ok(vaccel_session_release(&sess));
}

Test(plugin, served_counts_who_served_what)
{
	assert_ok(load_list("big:a"));
	struct vaccel_session sess;
	int ret;
	assert_ok(vaccel_session_init(&sess, 0));
	/* off by default */
	call_dot_n(&sess, 16, &ret);
	assert_ok(ret);
	cr_expect_eq(vaccel_served_get(NULL, 0), 0);
	vaccel_served_counting(true);
	call_dot_n(&sess, 16, &ret);
	call_dot_n(&sess, 16, &ret);
	call_dot_n(&sess, 1 << 17, &ret);
	struct vaccel_served s[4];
	cr_assert_eq(vaccel_served_get(s, 4), 2);
	/* plugins in load order */
	cr_expect_str_eq(s[0].plugin, "test-big");
	cr_expect_str_eq(s[0].op, "dot");
	cr_expect_eq(s[0].calls, 1);
	cr_expect_str_eq(s[1].plugin, "test-a");
	cr_expect_eq(s[1].op_id, VACCEL_OPID_DOT);
	cr_expect_eq(s[1].calls, 2);
	/* a plugin loaded meanwhile keeps the counts made */
	assert_ok(load_list("noop"));
	call_dot_n(&sess, 16, &ret);
	cr_expect_eq(served("test-a", VACCEL_OPID_DOT), 3);
	/* turned off: the counts stay, no more are made */
	vaccel_served_counting(false);
	call_dot_n(&sess, 16, &ret);
	cr_expect_eq(served("test-a", VACCEL_OPID_DOT), 3);
	cr_expect_eq(vaccel_served_get(s, 1), 2, "how many there are");
	assert_ok(vaccel_session_release(&sess));
}
