// SPDX-License-Identifier: Apache-2.0
/* Bootstrap: automatic and explicit, cleanup and re-bootstrap, and plugin
 * failures that must not stop the library from coming up. */
#include "common.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

TestSuite(bootstrap, .init = test_env_clear, .fini = test_cleanup);

Test(bootstrap, not_initialized_before_use)
{
	cr_expect(!vaccel_is_initialized());
	cr_expect_null(vaccel_config());
	/* cleanup of nothing is fine */
	assert_ok(vaccel_cleanup());
}

Test(bootstrap, auto_bootstrap_then_explicit)
{
	setenv("VACCEL_PLUGINS", test_noop_path(), 1);
	struct vaccel_session sess;
	/* first use bootstraps from the environment */
	assert_ok(vaccel_session_init(&sess, 0));
	cr_expect(vaccel_is_initialized());
	cr_expect_eq(vaccel_plugin_count(), 1);
	assert_ok(vaccel_noop(&sess));
	assert_ret(vaccel_bootstrap(), VACCEL_EEXIST);
	struct vaccel_config c;
	assert_ok(
	    vaccel_config_init(&c, NULL, VACCEL_LOG_ERROR, NULL, false, false));
	assert_ret(vaccel_bootstrap_with_config(&c), VACCEL_EEXIST);
	vaccel_config_release(&c);
	/* the failed bootstraps changed nothing */
	cr_expect_eq(vaccel_plugin_count(), 1);
	assert_ok(vaccel_noop(&sess));
	assert_ok(vaccel_session_release(&sess));
}

Test(bootstrap, explicit_twice)
{
	assert_ok(vaccel_bootstrap());
	assert_ret(vaccel_bootstrap(), VACCEL_EEXIST);
}

Test(bootstrap, cleanup_then_bootstrap_with_config)
{
	setenv("VACCEL_PLUGINS", test_noop_path(), 1);
	assert_ok(vaccel_bootstrap());
	cr_expect_eq(vaccel_plugin_count(), 1);
	assert_ok(vaccel_cleanup());
	cr_expect(!vaccel_is_initialized());
	cr_expect_eq(vaccel_plugin_count(), 0);
	cr_expect_null(vaccel_config());

	char *list = NULL;
	char *a = test_plugin_path("a");
	cr_assert(asprintf(&list, "%s:%s", a, test_noop_path()) > 0);
	struct vaccel_config c;
	assert_ok(
	    vaccel_config_init(&c, list, VACCEL_LOG_ERROR, NULL, false, false));
	assert_ok(vaccel_bootstrap_with_config(&c));
	/* the library keeps its own copy */
	assert_ok(vaccel_config_release(&c));
	cr_assert_not_null(vaccel_config());
	cr_expect_str_eq(vaccel_config()->plugins, list);
	cr_expect_eq(vaccel_plugin_count(), 2);
	cr_expect_str_eq(vaccel_plugin_for_op(VACCEL_OPID_DOT, 0), "test-a");
	struct vaccel_session sess;
	assert_ok(vaccel_session_init(&sess, 0));
	assert_ok(vaccel_noop(&sess));
	assert_ok(vaccel_session_release(&sess));
	free(list);
	free(a);
}

Test(bootstrap, with_null_config)
{
	assert_ret(vaccel_bootstrap_with_config(NULL), VACCEL_EINVAL);
	cr_expect(!vaccel_is_initialized());
}

Test(bootstrap, bad_plugin_does_not_stop_good_one)
{
	char *list = NULL;
	char *nosym = test_plugin_path("nosym");
	cr_assert(asprintf(&list, "/nonexistent/libvaccel-x.so:%s:%s", nosym,
			   test_noop_path()) > 0);
	setenv("VACCEL_PLUGINS", list, 1);
	/* the first failure is reported, the library is up regardless */
	assert_ret(vaccel_bootstrap(), VACCEL_ENOENT);
	cr_expect(vaccel_is_initialized());
	cr_expect_eq(vaccel_plugin_count(), 1);
	struct vaccel_session sess;
	assert_ok(vaccel_session_init(&sess, 0));
	assert_ok(vaccel_noop(&sess));
	assert_ok(vaccel_session_release(&sess));
	free(list);
	free(nosym);
}

Test(bootstrap, bad_plugin_in_auto_bootstrap)
{
	char *list = NULL;
	char *major = test_plugin_path("major");
	cr_assert(asprintf(&list, "%s:%s", major, test_noop_path()) > 0);
	setenv("VACCEL_PLUGINS", list, 1);
	struct vaccel_session sess;
	assert_ok(vaccel_session_init(&sess, 0));
	cr_expect_eq(vaccel_plugin_count(), 1);
	assert_ok(vaccel_noop(&sess));
	assert_ok(vaccel_session_release(&sess));
	free(list);
	free(major);
}

Test(bootstrap, bad_env_values_still_bootstrap)
{
	setenv("VACCEL_LOG_LEVEL", "banana", 1);
	setenv("VACCEL_PROFILING_ENABLED", "maybe", 1);
	setenv("VACCEL_PLUGINS", test_noop_path(), 1);
	/* reported, defaulted, and the library is up with the good values */
	assert_ret(vaccel_bootstrap(), VACCEL_EINVAL);
	cr_assert(vaccel_is_initialized());
	cr_expect_eq(vaccel_config()->log_level, VACCEL_LOG_ERROR);
	cr_expect(!vaccel_prof_enabled());
	cr_expect_eq(vaccel_plugin_count(), 1);
	struct vaccel_session sess;
	assert_ok(vaccel_session_init(&sess, 0));
	assert_ok(vaccel_noop(&sess));
	assert_ok(vaccel_session_release(&sess));
}

Test(bootstrap, bad_env_config_is_usable)
{
	setenv("VACCEL_LOG_LEVEL", "banana", 1);
	setenv("VACCEL_PROFILING_ENABLED", "maybe", 1);
	setenv("VACCEL_PLUGINS", test_noop_path(), 1);
	struct vaccel_config c;
	assert_ret(vaccel_config_init_from_env(&c), VACCEL_EINVAL);
	assert_ok(vaccel_bootstrap_with_config(&c));
	vaccel_config_release(&c);
	cr_expect_eq(vaccel_plugin_count(), 1);
}

Test(bootstrap, auto_bootstrap_with_bad_env)
{
	setenv("VACCEL_LOG_LEVEL", "banana", 1);
	setenv("VACCEL_PLUGINS", test_noop_path(), 1);
	struct vaccel_session sess;
	assert_ok(vaccel_session_init(&sess, 0));
	cr_expect(vaccel_is_initialized());
	assert_ok(vaccel_noop(&sess));
	assert_ok(vaccel_session_release(&sess));
}

Test(bootstrap, rundir)
{
	char *tmp = test_tmpdir();
	setenv("VACCEL_RUNDIR", tmp, 1);
	assert_ok(vaccel_bootstrap());
	const char *dir = vaccel_rundir();
	cr_assert_not_null(dir);
	cr_expect_eq(strncmp(dir, tmp, strlen(tmp)), 0, "%s not under %s", dir,
		     tmp);
	struct stat st;
	cr_assert_eq(stat(dir, &st), 0);
	cr_expect(S_ISDIR(st.st_mode));
	cr_expect_eq(vaccel_rundir(), dir, "created once");
	char *copy = strdup(dir);
	/* cleanup removes the (empty) run directory */
	assert_ok(vaccel_cleanup());
	cr_expect_neq(stat(copy, &st), 0, "%s survived cleanup", copy);
	free(copy);
	test_rm_rf(tmp);
	free(tmp);
}

Test(bootstrap, cleanup_with_live_objects)
{
	setenv("VACCEL_PLUGINS", test_noop_path(), 1);
	assert_ok(vaccel_bootstrap());
	struct vaccel_session sess;
	struct vaccel_resource res;
	assert_ok(vaccel_session_init(&sess, 0));
	assert_ok(vaccel_resource_init_from_buf(&res, "x", 1,
						VACCEL_RESOURCE_DATA, "x"));
	assert_ok(vaccel_resource_register(&res, &sess));
	/* warned about, not refused */
	assert_ok(vaccel_cleanup());
	/* the objects survive and can still be released */
	assert_ok(vaccel_session_release(&sess));
	assert_ok(vaccel_resource_release(&res));
}
