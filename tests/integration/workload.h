/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The mixed client workload of the end-to-end tests. */

#include "harness.h"
#include "opcall.h"

/*
 * One call of the mixed client workload (no Criterion asserts: it runs in
 * forked children and threads). Call i is a noop, a small sgemm or an
 * image classification, with `res` (if non-NULL) used by an
 * exec_with_resource every 7th call. Outputs are checked against noop's
 * pattern. Returns VACCEL_OK, the failing status, or -1 for a wrong output;
 * `what` says which.
 */
int workload_call(struct vaccel_session *s, struct vaccel_resource *res,
		  unsigned int i, char *what, size_t what_len);
/* Run n workload calls, counting into r. */
void workload_run(struct vaccel_session *s, struct vaccel_resource *res,
		  unsigned int n, unsigned int seed, struct child_result *r);
