// SPDX-License-Identifier: Apache-2.0
/* Configuration: the parsers, the environment reader, bad values. */
#include "common.h"
#include "capture.h"
#include <stdlib.h>
#include <string.h>

TestSuite(config, .init = test_env_clear, .fini = test_cleanup);

Test(config, parse_log_level_accepts)
{
	static const struct {
		const char *text;
		vaccel_log_level_t level;
	} good[] = {
	    {"1", VACCEL_LOG_ERROR},	 {"error", VACCEL_LOG_ERROR},
	    {"ERROR", VACCEL_LOG_ERROR}, {"2", VACCEL_LOG_WARN},
	    {"warn", VACCEL_LOG_WARN},	 {"Warning", VACCEL_LOG_WARN},
	    {"3", VACCEL_LOG_INFO},	 {"info", VACCEL_LOG_INFO},
	    {"4", VACCEL_LOG_DEBUG},	 {"DeBuG", VACCEL_LOG_DEBUG},
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		vaccel_log_level_t out = 0;
		expect_ret(vaccel_config_parse_log_level(good[i].text, &out),
			   VACCEL_OK);
		cr_expect_eq(out, good[i].level, "'%s' gave %s", good[i].text,
			     vaccel_log_level_to_str(out));
	}
}

Test(config, parse_log_level_rejects)
{
	static const char *const bad[] = {
	    "", "0", "5", "banana", "debug ", " info", "-1", "errors", "4x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vaccel_log_level_t out = VACCEL_LOG_INFO;
		expect_ret(vaccel_config_parse_log_level(bad[i], &out),
			   VACCEL_EINVAL);
		cr_expect_eq(out, VACCEL_LOG_INFO, "'%s' changed the output",
			     bad[i]);
	}
	vaccel_log_level_t out;
	assert_ret(vaccel_config_parse_log_level(NULL, &out), VACCEL_EINVAL);
	assert_ret(vaccel_config_parse_log_level("info", NULL), VACCEL_EINVAL);
}

Test(config, parse_bool_accepts)
{
	static const char *const yes[] = {"1", "true", "TRUE", "yes", "On"};
	static const char *const no[] = {"0", "false", "No", "off", "OFF"};
	for (size_t i = 0; i < 5; i++) {
		bool out = false;
		expect_ret(vaccel_config_parse_bool(yes[i], &out), VACCEL_OK);
		cr_expect(out, "'%s' is not true", yes[i]);
		out = true;
		expect_ret(vaccel_config_parse_bool(no[i], &out), VACCEL_OK);
		cr_expect(!out, "'%s' is not false", no[i]);
	}
}

Test(config, parse_bool_rejects)
{
	static const char *const bad[] = {"",  "maybe", "2",  "y",
					  "n", "truee", " 1", "-1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool out = true;
		expect_ret(vaccel_config_parse_bool(bad[i], &out),
			   VACCEL_EINVAL);
		cr_expect(out, "'%s' changed the output", bad[i]);
	}
	bool out;
	assert_ret(vaccel_config_parse_bool(NULL, &out), VACCEL_EINVAL);
	assert_ret(vaccel_config_parse_bool("1", NULL), VACCEL_EINVAL);
}

Test(config, env_defaults)
{
	struct vaccel_config c;
	assert_ok(vaccel_config_init_from_env(&c));
	cr_expect_null(c.plugins);
	cr_expect_null(c.log_file);
	cr_expect_eq(c.log_level, VACCEL_LOG_ERROR);
	cr_expect(!c.profiling_enabled);
	cr_expect(!c.version_ignore);
	assert_ok(vaccel_config_release(&c));
}

Test(config, env_good_values)
{
	setenv("VACCEL_PLUGINS", "noop:/x/libvaccel-y.so", 1);
	setenv("VACCEL_LOG_LEVEL", "debug", 1);
	setenv("VACCEL_LOG_FILE", "/tmp/vaccel-test.log", 1);
	setenv("VACCEL_PROFILING_ENABLED", "on", 1);
	setenv("VACCEL_VERSION_IGNORE", "1", 1);
	struct vaccel_config c;
	assert_ok(vaccel_config_init_from_env(&c));
	cr_expect_str_eq(c.plugins, "noop:/x/libvaccel-y.so");
	cr_expect_str_eq(c.log_file, "/tmp/vaccel-test.log");
	cr_expect_eq(c.log_level, VACCEL_LOG_DEBUG, "got %s",
		     vaccel_log_level_to_str(c.log_level));
	cr_expect(c.profiling_enabled);
	cr_expect(c.version_ignore);
	assert_ok(vaccel_config_release(&c));
	cr_expect_null(c.plugins);
	cr_expect_null(c.log_file);
}

Test(config, env_numeric_level)
{
	setenv("VACCEL_LOG_LEVEL", "3", 1);
	struct vaccel_config c;
	assert_ok(vaccel_config_init_from_env(&c));
	cr_expect_eq(c.log_level, VACCEL_LOG_INFO);
	vaccel_config_release(&c);
}

Test(config, env_empty_values_are_unset)
{
	setenv("VACCEL_PLUGINS", "", 1);
	setenv("VACCEL_LOG_FILE", "", 1);
	setenv("VACCEL_LOG_LEVEL", "", 1);
	setenv("VACCEL_PROFILING_ENABLED", "", 1);
	struct vaccel_config c;
	assert_ok(vaccel_config_init_from_env(&c));
	cr_expect_null(c.plugins);
	cr_expect_null(c.log_file);
	cr_expect_eq(c.log_level, VACCEL_LOG_ERROR);
	cr_expect(!c.profiling_enabled);
	vaccel_config_release(&c);
}

Test(config, env_bad_values_default_and_report)
{
	setenv("VACCEL_LOG_LEVEL", "banana", 1);
	setenv("VACCEL_PROFILING_ENABLED", "maybe", 1);
	setenv("VACCEL_PLUGINS", "noop", 1);
	struct vaccel_config c;
	memset(&c, 0xa5, sizeof(c));
	assert_ret(vaccel_config_init_from_env(&c), VACCEL_EINVAL);
	/* still fully initialized, with defaults for the bad values */
	cr_expect_eq(c.log_level, VACCEL_LOG_ERROR, "got %s",
		     vaccel_log_level_to_str(c.log_level));
	cr_expect(!c.profiling_enabled);
	cr_expect(!c.version_ignore);
	cr_expect_str_eq(c.plugins, "noop");
	cr_expect_null(c.log_file);
	assert_ok(vaccel_config_release(&c));
}

Test(config, env_each_bad_value_alone)
{
	static const char *const vars[] = {"VACCEL_LOG_LEVEL",
					   "VACCEL_PROFILING_ENABLED",
					   "VACCEL_VERSION_IGNORE"};
	for (size_t i = 0; i < 3; i++) {
		test_env_clear();
		setenv(vars[i], "banana", 1);
		struct vaccel_config c;
		expect_ret(vaccel_config_init_from_env(&c), VACCEL_EINVAL);
		cr_expect_eq(c.log_level, VACCEL_LOG_ERROR);
		cr_expect(!c.profiling_enabled && !c.version_ignore,
			  "%s=banana set a flag", vars[i]);
		vaccel_config_release(&c);
	}
}

Test(config, heap_from_env_keeps_config_on_einval)
{
	setenv("VACCEL_PROFILING_ENABLED", "maybe", 1);
	struct vaccel_config *c = NULL;
	assert_ret(vaccel_config_from_env(&c), VACCEL_EINVAL);
	cr_assert_not_null(c);
	cr_expect(!c->profiling_enabled);
	assert_ok(vaccel_config_delete(c));
}

Test(config, init_values)
{
	struct vaccel_config c;
	assert_ok(vaccel_config_init(&c, "a:b", VACCEL_LOG_WARN, "/tmp/l", true,
				     false));
	cr_expect_str_eq(c.plugins, "a:b");
	cr_expect_str_eq(c.log_file, "/tmp/l");
	cr_expect_eq(c.log_level, VACCEL_LOG_WARN);
	cr_expect(c.profiling_enabled);
	cr_expect(!c.version_ignore);

	struct vaccel_config copy;
	assert_ok(vaccel_config_init_from(&copy, &c));
	cr_expect_neq(copy.plugins, c.plugins, "strings must be copied");
	cr_expect_str_eq(copy.plugins, "a:b");
	cr_expect_str_eq(copy.log_file, "/tmp/l");
	cr_expect_eq(copy.log_level, VACCEL_LOG_WARN);
	assert_ok(vaccel_config_release(&copy));
	assert_ok(vaccel_config_release(&c));
}

Test(config, init_bad_level)
{
	struct vaccel_config c;
	assert_ret(vaccel_config_init(&c, NULL, (vaccel_log_level_t)0, NULL,
				      false, false),
		   VACCEL_EINVAL);
	assert_ret(vaccel_config_init(&c, NULL, (vaccel_log_level_t)5, NULL,
				      false, false),
		   VACCEL_EINVAL);
	assert_ret(vaccel_config_init(&c, NULL, (vaccel_log_level_t)-1, NULL,
				      false, false),
		   VACCEL_EINVAL);
	struct vaccel_config *p = NULL;
	assert_ret(vaccel_config_new(&p, "x", (vaccel_log_level_t)9, NULL,
				     false, false),
		   VACCEL_EINVAL);
	cr_expect_null(p);
}

Test(config, null_arguments)
{
	struct vaccel_config c, *p;
	assert_ret(vaccel_config_init(NULL, NULL, VACCEL_LOG_ERROR, NULL, false,
				      false),
		   VACCEL_EINVAL);
	assert_ret(vaccel_config_init_from_env(NULL), VACCEL_EINVAL);
	assert_ret(vaccel_config_init_from(NULL, &c), VACCEL_EINVAL);
	assert_ret(vaccel_config_init_from(&c, NULL), VACCEL_EINVAL);
	assert_ret(vaccel_config_release(NULL), VACCEL_EINVAL);
	assert_ret(
	    vaccel_config_new(NULL, NULL, VACCEL_LOG_ERROR, NULL, false, false),
	    VACCEL_EINVAL);
	assert_ret(vaccel_config_from_env(NULL), VACCEL_EINVAL);
	assert_ret(vaccel_config_from(NULL, &c), VACCEL_EINVAL);
	assert_ret(vaccel_config_from(&p, NULL), VACCEL_EINVAL);
	assert_ret(vaccel_config_delete(NULL), VACCEL_EINVAL);
	/* must not crash */
	vaccel_config_print_debug(NULL);
}

Test(config, heap_lifecycle)
{
	struct vaccel_config *c = NULL, *d = NULL;
	assert_ok(
	    vaccel_config_new(&c, "noop", VACCEL_LOG_INFO, NULL, false, true));
	assert_ok(vaccel_config_from(&d, c));
	cr_expect_str_eq(d->plugins, "noop");
	cr_expect_eq(d->log_level, VACCEL_LOG_INFO);
	cr_expect(d->version_ignore);
	assert_ok(vaccel_config_delete(c));
	assert_ok(vaccel_config_delete(d));
}

/* The level in force filters what reaches the log file. */
Test(config, log_level_filters_log_file)
{
	char *dir = test_tmpdir();
	char *path = NULL;
	cr_assert(asprintf(&path, "%s/log", dir) > 0);
	setenv("VACCEL_LOG_FILE", path, 1);
	setenv("VACCEL_LOG_LEVEL", "warn", 1);
	assert_ok(vaccel_bootstrap());
	cr_expect_eq(vaccel_config()->log_level, VACCEL_LOG_WARN);
	cr_expect(vaccel_log_enabled(VACCEL_LOG_WARN));
	cr_expect(!vaccel_log_enabled(VACCEL_LOG_INFO));
	vaccel_log(VACCEL_LOG_WARN, "test", "shown %d", 1);
	vaccel_log(VACCEL_LOG_INFO, "test", "hidden %d", 2);
	vaccel_log(VACCEL_LOG_ERROR, "test", "shown %d", 3);
	assert_ok(vaccel_cleanup());

	char *log = test_read_file(path, NULL);
	cr_assert_not_null(log);
	cr_expect_not_null(strstr(log, "WARN test: shown 1"), "log: %s", log);
	cr_expect_not_null(strstr(log, "ERROR test: shown 3"), "log: %s", log);
	cr_expect_null(strstr(log, "hidden"), "log: %s", log);
	free(log);
	free(path);
	test_rm_rf(dir);
	free(dir);
}

Test(config, parse_size)
{
	const struct {
		const char *text;
		uint64_t want;
	} good[] = {{"0", 0},		{"4096", 4096},
		    {"3K", 3072},	{"16m", 16 << 20},
		    {"2G", 2ull << 30}, {"17179869184", 1ull << 34}};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint64_t v = 7;
		expect_ret(vaccel_config_parse_size(good[i].text, &v),
			   VACCEL_OK);
		cr_expect_eq(v, good[i].want, "%s: got %llu", good[i].text,
			     (unsigned long long)v);
	}
	const char *bad[] = {"",
			     "-1",
			     "K",
			     "1KB",
			     "1T",
			     " 1",
			     "1.5G",
			     "18446744073709551616",
			     "17179869184G",
			     NULL};
	for (size_t i = 0; bad[i]; i++) {
		uint64_t v = 7;
		expect_ret(vaccel_config_parse_size(bad[i], &v), VACCEL_EINVAL);
		cr_expect_eq(v, 7, "%s changed the output", bad[i]);
	}
	expect_ret(vaccel_config_parse_size(NULL, &(uint64_t){0}),
		   VACCEL_EINVAL);
}

/* A message carrying a peer's string stays one line: newlines and other
 * control characters are written as escapes, so nothing can forge the
 * start of another log line. */
Test(config, log_escapes_control_characters)
{
	setenv("VACCEL_LOG_LEVEL", "warn", 1);
	struct capture c;
	capture_begin(&c);
	vaccel_log(VACCEL_LOG_WARN, "test", "name '%s' and\ta tab",
		   "lib.so\n1 [vaccel] ERROR agent: forged\r\x1b[2J\x7f");
	char *out = capture_end(&c);
	cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1,
		     "the message is not one line: '%s'", out);
	cr_assert_not_null(
	    strstr(out, "name 'lib.so\\n1 [vaccel] ERROR agent: forged\\r"
			"\\x1b[2J\\x7f' and\ta tab\n"),
	    "got '%s'", out);
	free(out);
}
