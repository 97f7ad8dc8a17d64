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
#include <unistd.h>

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
