// SPDX-License-Identifier: Apache-2.0
/*
 * exec and exec_with_resource through the native API and the real plugin
 * (meson sets VACCEL_PLUGINS to it, and FFI_TEST_EXEC_LIB, _DEP, _USER to
 * the test libraries). Each test sets VACCEL_EXEC_ALLOW and
 * VACCEL_EXEC_ALLOW_UPLOADS before its first vAccel call, which loads the
 * plugin; Criterion runs each test in its own process.
 */
#include "capture.h"
#include "status.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vaccel/remote.h>


static const char *env_path(const char *name)
{
	const char *p = getenv(name);
	cr_assert(p && *p, "%s is not set (run through meson test)", name);
	return p;
}

#define expect_refused(expr, want, needle)                                     \
	expect_status_log(expr, want, needle, NULL)

/* ---- fixture ----------------------------------------------------------- */

static struct vaccel_session sess;

/* Configure exec, then start vAccel (which loads the plugin). */
static void start(const char *allow, const char *uploads)
{
	if (allow)
		cr_assert_eq(setenv("VACCEL_EXEC_ALLOW", allow, 1), 0);
	else
		cr_assert_eq(unsetenv("VACCEL_EXEC_ALLOW"), 0);
	if (uploads)
		cr_assert_eq(setenv("VACCEL_EXEC_ALLOW_UPLOADS", uploads, 1),
			     0);
	else
		cr_assert_eq(unsetenv("VACCEL_EXEC_ALLOW_UPLOADS"), 0);
	cr_assert_eq(unsetenv("FFI_EXEC_TEST_LOADED"), 0);
	assert_ok(vaccel_session_init(&sess, 0));
	const char *p = vaccel_plugin_for_op(VACCEL_OPID_EXEC, 0);
	cr_assert(p && strcmp(p, "ffi") == 0, "exec is served by %s",
		  p ? p : "nothing");
}

static void teardown(void)
{
	if (sess.id)
		vaccel_session_release(&sess);
	vaccel_cleanup();
}

TestSuite(ffi, .fini = teardown);

static bool loaded(void)
{
	return getenv("FFI_EXEC_TEST_LOADED") != NULL;
}

/* One call of ffi_test_mul (or another symbol of its shape). */
struct mul {
	int32_t a, b, r;
	struct vaccel_arg read[2], write[1];
};

static void mul_init(struct mul *m, int32_t a, int32_t b)
{
	m->a = a;
	m->b = b;
	m->r = -1;
	m->read[0] = (struct vaccel_arg){.size = 4, .buf = &m->a};
	m->read[1] = (struct vaccel_arg){.size = 4, .buf = &m->b};
	m->write[0] = (struct vaccel_arg){.size = 4, .buf = &m->r};
}

static int exec_mul(const char *lib, const char *sym, struct mul *m)
{
	return vaccel_exec(&sess, lib, sym, m->read, 2, m->write, 1);
}

static void *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	cr_assert_gt(n, 0);
	rewind(f);
	void *buf = malloc((size_t)n);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*size = (size_t)n;
	return buf;
}

/* A resource carrying the bytes of these files, as the agent makes one
 * from a guest's upload. */
static struct vaccel_resource *upload(const char *const *paths, size_t n)
{
	struct vaccel_file *files[4];
	cr_assert_leq(n, 4u);
	for (size_t i = 0; i < n; i++) {
		size_t size;
		void *buf = read_file(paths[i], &size);
		char name[32];
		snprintf(name, sizeof(name), "lib%zu.so", i);
		assert_ok(vaccel_file_from_buf(&files[i], buf, size, name, NULL,
					       false));
		free(buf);
	}
	struct vaccel_resource *res = NULL;
	assert_ok(vaccel_resource_from_files(
	    &res, (const struct vaccel_file **)files, n, VACCEL_RESOURCE_LIB));
	for (size_t i = 0; i < n; i++)
		vaccel_file_delete(files[i]);
	return res;
}

/* ---- exec -------------------------------------------------------------- */

Test(ffi, exec_off_without_allow_list)
{
	start(NULL, NULL);
	struct mul m;
	mul_init(&m, 6, 7);
	expect_refused(
	    exec_mul(env_path("FFI_TEST_EXEC_LIB"), "ffi_test_mul", &m),
	    VACCEL_EPERM, "exec is off on this host");
	cr_expect_eq(m.r, -1);
	cr_expect(!loaded(), "a refused exec loaded the library");
}

Test(ffi, exec_refused_off_the_list)
{
	const char *lib = env_path("FFI_TEST_EXEC_LIB");
	start(env_path("FFI_TEST_EXEC_DEP"), NULL);
	struct mul m;
	mul_init(&m, 6, 7);
	expect_refused(exec_mul(lib, "ffi_test_mul", &m), VACCEL_EPERM,
		       "is not on the allow-list");
	expect_refused(exec_mul("/nonexistent/libx.so", "f", &m), VACCEL_EPERM,
		       "is not on the allow-list");
	expect_refused(
	    exec_mul("libvaccel-ffi-exec-test.so", "ffi_test_mul", &m),
	    VACCEL_EPERM, "is not on the allow-list");
	cr_expect_eq(m.r, -1);
	cr_expect(!loaded(), "a refused exec loaded the library");
}

Test(ffi, exec_allowed)
{
	const char *lib = env_path("FFI_TEST_EXEC_LIB");
	char allow[4096];
	/* a relative entry is ignored with a warning, the rest still
	 * counts */
	snprintf(allow, sizeof(allow), "relative/libx.so:%s", lib);
	start(allow, NULL);
	struct mul m;
	mul_init(&m, 6, 7);
	assert_ok(exec_mul(lib, "ffi_test_mul", &m));
	cr_expect_eq(m.r, 43);
	cr_expect(loaded());

	/* the same file by another name: compared by realpath */
	char dir[] = "/tmp/ffi-exec-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char link[sizeof(dir) + 16];
	snprintf(link, sizeof(link), "%s/alias.so", dir);
	cr_assert_eq(symlink(lib, link), 0);
	mul_init(&m, -3, 5);
	assert_ok(exec_mul(link, "ffi_test_mul", &m));
	cr_expect_eq(m.r, -14);
	unlink(link);
	rmdir(dir);

	/* vAccel's errors: no such symbol, and a function that fails */
	expect_refused(exec_mul(lib, "ffi_test_nothing", &m), VACCEL_EINVAL,
		       "has no symbol ffi_test_nothing");
	cr_expect_eq(exec_mul(lib, "ffi_test_fail", &m), VACCEL_ENOEXEC);
}

Test(ffi, exec_only_the_allowed_librarys_own_functions)
{
	const char *lib = env_path("FFI_TEST_EXEC_LIB");
	start(lib, NULL);
	struct mul m;
	mul_init(&m, 6, 7);
	/* dlsym on the library finds libc's functions too (a dependency):
	 * system() would run a command spelled by read[0]'s first bytes */
	m.read[0].argtype = 0x6469; /* "id" */
	expect_refused(exec_mul(lib, "system", &m), VACCEL_EPERM,
		       "exec of system refused: ");
	expect_refused(exec_mul(lib, "getenv", &m), VACCEL_EPERM,
		       "does not define it");
	/* a variable is not something to call */
	expect_refused(exec_mul(lib, "ffi_test_data", &m), VACCEL_EINVAL,
		       "ffi_test_data in ");
	cr_expect_eq(m.r, -1);
	assert_ok(exec_mul(lib, "ffi_test_mul", &m));
	cr_expect_eq(m.r, 43);
}

Test(ffi, exec_allow_list_through_a_link)
{
	const char *lib = env_path("FFI_TEST_EXEC_LIB");
	char dir[] = "/tmp/ffi-exec-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char link[sizeof(dir) + 16];
	snprintf(link, sizeof(link), "%s/alias.so", dir);
	cr_assert_eq(symlink(lib, link), 0);
	start(link, NULL);
	unlink(link);
	rmdir(dir);
	struct mul m;
	mul_init(&m, 2, 2);
	assert_ok(exec_mul(lib, "ffi_test_mul", &m));
	cr_expect_eq(m.r, 5);
}

/* ---- exec_with_resource ----------------------------------------------------
 */

Test(ffi, exec_with_resource_refused_without_uploads)
{
	const char *lib = env_path("FFI_TEST_EXEC_LIB");
	/* even with the library itself on the allow-list: an upload is an
	 * upload */
	start(lib, NULL);
	struct vaccel_resource *res = upload(&lib, 1);
	struct mul m;
	mul_init(&m, 6, 7);
	expect_refused(vaccel_exec_with_resource(&sess, res, "ffi_test_mul",
						 m.read, 2, m.write, 1),
		       VACCEL_EPERM, "uploads are off");
	cr_expect_eq(m.r, -1);
	cr_expect(!loaded(), "a refused upload was loaded");
	vaccel_resource_delete(res);
}

Test(ffi, exec_with_resource_uploads_allowed)
{
	start(NULL, "1");
	const char *lib = env_path("FFI_TEST_EXEC_LIB");
	struct vaccel_resource *res = upload(&lib, 1);
	struct mul m;
	mul_init(&m, 6, 7);
	assert_ok(vaccel_exec_with_resource(&sess, res, "ffi_test_mul", m.read,
					    2, m.write, 1));
	cr_expect_eq(m.r, 43);
	cr_expect(loaded());
	cr_expect_eq(vaccel_exec_with_resource(&sess, res, "ffi_test_fail",
					       m.read, 2, m.write, 1),
		     VACCEL_ENOEXEC);
	expect_refused(vaccel_exec_with_resource(&sess, res, "nothing", m.read,
						 2, m.write, 1),
		       VACCEL_EINVAL, "has no symbol nothing");
	vaccel_resource_delete(res);

	/* two files: the first a dependency the second links against */
	const char *two[2] = {env_path("FFI_TEST_EXEC_DEP"),
			      env_path("FFI_TEST_EXEC_USER")};
	res = upload(two, 2);
	int32_t v = 0;
	struct vaccel_arg w = {.size = 4, .buf = &v};
	assert_ok(vaccel_exec_with_resource(&sess, res, "ffi_test_use_dep",
					    NULL, 0, &w, 1));
	cr_expect_eq(v, 42);
	vaccel_resource_delete(res);
}

Test(ffi, exec_with_resource_from_an_allowed_path)
{
	const char *lib = env_path("FFI_TEST_EXEC_LIB");
	start(lib, NULL);
	struct vaccel_resource res;
	assert_ok(vaccel_resource_init(&res, lib, VACCEL_RESOURCE_LIB));
	struct mul m;
	mul_init(&m, 4, 5);
	assert_ok(vaccel_exec_with_resource(&sess, &res, "ffi_test_mul", m.read,
					    2, m.write, 1));
	cr_expect_eq(m.r, 21);
	vaccel_resource_release(&res);

	/* a host path that is not on the list is treated as an upload */
	struct vaccel_resource dep;
	assert_ok(vaccel_resource_init(&dep, env_path("FFI_TEST_EXEC_DEP"),
				       VACCEL_RESOURCE_LIB));
	expect_refused(
	    vaccel_exec_with_resource(&sess, &dep, "f", m.read, 2, m.write, 1),
	    VACCEL_EPERM, "uploads are off");
	vaccel_resource_release(&dep);
}
