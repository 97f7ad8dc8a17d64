/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Helpers shared by the unit tests. Every test runs in its own process
 * (Criterion forks), so a fixture may set the environment, bootstrap and
 * leave the rest to the next test's fresh process.
 */

#include <criterion/criterion.h>
#include <stddef.h>
#include <stdio.h>
#include <vaccel.h>
#include "util.h"

/* Compare a vAccel status with the expected one; print both by name. */
#define assert_ret(expr, want)                                                 \
	do {                                                                   \
		int got_ = (expr);                                             \
		int want_ = (want);                                            \
		cr_assert_eq(got_, want_, "%s: got %s, want %s", #expr,        \
			     vaccel_error_to_str(got_),                        \
			     vaccel_error_to_str(want_));                      \
	} while (0)
#define assert_ok(expr) assert_ret(expr, VACCEL_OK)

/* Non-fatal variant, for loops that should report every mismatch. */
#define expect_ret(expr, want)                                                 \
	do {                                                                   \
		int got_ = (expr);                                             \
		int want_ = (want);                                            \
		cr_expect_eq(got_, want_, "%s: got %s, want %s", #expr,        \
			     vaccel_error_to_str(got_),                        \
			     vaccel_error_to_str(want_));                      \
	} while (0)

/* Unset every VACCEL_* variable the library reads, so the caller's shell
 * cannot change what a test sees. */
void test_env_clear(void);
/* Path of the noop plugin (NOOP_PLUGIN, set by meson). */
const char *test_noop_path(void);
/* Path of test plugin `name` (TEST_PLUGIN_DIR/libvaccel-test-NAME.so);
 * malloc'd. */
char *test_plugin_path(const char *name);
/* Clear the environment, set VACCEL_PLUGINS (NULL: none) and bootstrap;
 * asserts the bootstrap succeeded. */
void test_boot(const char *plugins);
/* Fixtures: boot with the noop plugin / with no plugin; clean up (and,
 * under AddressSanitizer, fail the test if anything leaked). */
void test_boot_noop(void);
void test_boot_none(void);
void test_cleanup(void);

/* A fresh directory under $TMPDIR (or /tmp); malloc'd. */
char *test_tmpdir(void);
/* Remove a directory tree made by the tests. */
void test_rm_rf(const char *path);
/* Write `len` bytes to dir/name; returns the malloc'd path. */
char *test_write_file(const char *dir, const char *name, const void *data,
		      size_t len);
