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
#include <vaccel/remote.h>
#include "ops_internal_gen.h"
#include "status.h"
#include "util.h"

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
