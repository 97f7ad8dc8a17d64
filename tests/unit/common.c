// SPDX-License-Identifier: Apache-2.0
#include "common.h"
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_LSAN 1
#endif
#endif
#ifdef HAVE_LSAN
#include <sanitizer/lsan_interface.h>
#endif

void test_env_clear(void)
{
	static const char *const vars[] = {
	    "VACCEL_PLUGINS",	     "VACCEL_LOG_LEVEL",
	    "VACCEL_LOG_FILE",	     "VACCEL_PROFILING_ENABLED",
	    "VACCEL_VERSION_IGNORE", "VACCEL_PLUGIN_PATH",
	    "VACCEL_RUNDIR",
	};
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
}

const char *test_noop_path(void)
{
	const char *p = getenv("NOOP_PLUGIN");
	cr_assert(p && *p, "NOOP_PLUGIN is not set (run through meson test)");
	return p;
}

char *test_plugin_path(const char *name)
{
	const char *dir = getenv("TEST_PLUGIN_DIR");
	cr_assert(dir && *dir,
		  "TEST_PLUGIN_DIR is not set (run through meson test)");
	char *path = NULL;
	cr_assert(asprintf(&path, "%s/libvaccel-test-%s.so", dir, name) > 0);
	return path;
}

void test_boot(const char *plugins)
{
	test_env_clear();
	if (plugins)
		setenv("VACCEL_PLUGINS", plugins, 1);
	assert_ok(vaccel_bootstrap());
}

void test_boot_noop(void)
{
	test_boot(test_noop_path());
}

void test_boot_none(void)
{
	test_boot(NULL);
}

#ifdef HAVE_LSAN
/*
 * Criterion counts a test as passed whatever happens in its .fini, and a
 * leak report at the test process's exit is only a warning. So the .fini
 * checks for leaks itself and appends the test's name to a file that
 * main() (below) reads once every test has run.
 */
#define LEAKS_ENV "VACCEL_TEST_LEAKS_FILE"

static void leak_check(void)
{
	if (!__lsan_do_recoverable_leak_check())
		return;
	const char *path = getenv(LEAKS_ENV);
	FILE *f = path ? fopen(path, "a") : NULL;
	if (f) {
		fprintf(f, "%s::%s\n", criterion_current_suite->name,
			criterion_current_test->name);
		fclose(f);
	}
	cr_log_error("memory leaked: see the LeakSanitizer report above");
}

int main(int argc, char **argv)
{
	const char *base = getenv("TMPDIR");
	char *path = NULL;
	if (!base || !*base)
		base = "/tmp";
	if (asprintf(&path, "%s/vaccel-test-leaks.XXXXXX", base) < 0)
		return 1;
	int fd = mkstemp(path);
	if (fd < 0) {
		perror("mkstemp");
		free(path);
		return 1;
	}
	close(fd);
	setenv(LEAKS_ENV, path, 1);
	struct criterion_test_set *tests = criterion_initialize();
	int result = 0;
	if (criterion_handle_args(argc, argv, true))
		result = !criterion_run_all_tests(tests);
	criterion_finalize(tests);
	char *leaks = test_read_file(path, NULL);
	if (leaks && *leaks) {
		fprintf(stderr, "FAIL: tests that leaked memory:\n%s", leaks);
		result = 1;
	}
	free(leaks);
	unlink(path);
	free(path);
	return result;
}
#else
static void leak_check(void)
{
}
#endif

void test_cleanup(void)
{
	vaccel_cleanup();
	leak_check();
}

char *test_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *dir = NULL;
	if (!base || !*base)
		base = "/tmp";
	cr_assert(asprintf(&dir, "%s/vaccel-test.XXXXXX", base) > 0);
	cr_assert_not_null(mkdtemp(dir), "mkdtemp under %s failed", base);
	return dir;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void test_rm_rf(const char *path)
{
	if (path)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *test_write_file(const char *dir, const char *name, const void *data,
		      size_t len)
{
	char *path = NULL;
	cr_assert(asprintf(&path, "%s/%s", dir, name) > 0);
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f, "cannot create %s", path);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
	return path;
}
