/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Criterion checks of vAccel status codes that print both by name.
 * Header-only, for every test suite (the plugins' included). */

#include <criterion/criterion.h>
#include <vaccel/remote.h>

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
