/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Capture what a call writes to stderr (the library's log lines), for
 * Criterion tests that check a refusal says why. Header-only: the plugin
 * test suites include it without linking tests/common.
 */

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vaccel/remote.h>

struct capture {
	int saved;
	FILE *tmp;
};

static inline void capture_begin(struct capture *c)
{
	fflush(stderr);
	c->tmp = tmpfile();
	cr_assert_not_null(c->tmp);
	c->saved = dup(STDERR_FILENO);
	cr_assert_geq(c->saved, 0);
	cr_assert_geq(dup2(fileno(c->tmp), STDERR_FILENO), 0);
}

/* The text written to stderr since capture_begin; malloc'd. */
static inline char *capture_end(struct capture *c)
{
	fflush(stderr);
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	long len = ftell(c->tmp);
	char *s = calloc(1, len > 0 ? (size_t)len + 1 : 1);
	cr_assert_not_null(s);
	rewind(c->tmp);
	if (len > 0 && fread(s, 1, (size_t)len, c->tmp) != (size_t)len)
		s[0] = '\0';
	fclose(c->tmp);
	return s;
}

/*
 * Run expr with stderr captured: it must return the vAccel status `want`
 * and, when needle is non-NULL, log a line containing it. The log is
 * handed to *logp (malloc'd) for further checks, or freed if logp is NULL.
 */
#define expect_status_log(expr, want, needle, logp)                            \
	do {                                                                   \
		struct capture cap_;                                           \
		const char *needle_ = (needle);                                \
		char **logp_ = (logp);                                         \
		capture_begin(&cap_);                                          \
		int got_ = (expr);                                             \
		char *log_ = capture_end(&cap_);                               \
		int want_ = (want);                                            \
		cr_expect_eq(got_, want_, "%s: got %s, want %s", #expr,        \
			     vaccel_error_to_str(got_),                        \
			     vaccel_error_to_str(want_));                      \
		cr_expect(!needle_ || strstr(log_, needle_),                   \
			  "%s: the log lacks \"%s\": %s", #expr,               \
			  needle_ ? needle_ : "", log_);                       \
		if (logp_)                                                     \
			*logp_ = log_;                                         \
		else                                                           \
			free(log_);                                            \
	} while (0)
