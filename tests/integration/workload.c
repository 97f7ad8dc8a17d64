// SPDX-License-Identifier: Apache-2.0
#include "workload.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int workload_call(struct vaccel_session *s, struct vaccel_resource *res,
		  unsigned int i, char *what, size_t what_len)
{
	int ret;
	if (res && i % 7 == 6) {
		uint8_t in[5] = {1, 2, 3, 4, 5}, out[9];
		struct vaccel_arg rd = {.size = sizeof(in), .buf = in};
		struct vaccel_arg wr = {.size = sizeof(out), .buf = out};
		snprintf(what, what_len, "exec_with_resource #%u", i);
		ret =
		    vaccel_exec_with_resource(s, res, "entry", &rd, 1, &wr, 1);
		if (ret)
			return ret;
		return pattern_find_mismatch(
			   out, sizeof(out), VACCEL_OPID_EXEC_WITH_RESOURCE,
			   VACCEL_EXEC_WITH_RESOURCE_WRITE, 0) == sizeof(out)
			   ? VACCEL_OK
			   : -1;
	}
	switch (i % 3) {
	case 0:
		snprintf(what, what_len, "noop #%u", i);
		return vaccel_noop(s);
	case 1: {
		long long m = 2 + i % 4, n = 3, k = 2 + i % 5;
		float a[64], b[64], c[64];
		for (int j = 0; j < 64; j++)
			a[j] = b[j] = (float)j;
		uint64_t cb = (uint64_t)(m * n) * sizeof(float);
		pattern_fill((uint8_t *)c, cb, VACCEL_OPID_GEMM, VACCEL_GEMM_C,
			     0, true);
		snprintf(what, what_len, "sgemm #%u (%lldx%lldx%lld)", i, m, n,
			 k);
		ret = vaccel_sgemm(s, m, n, k, 1.0f, a, k, b, n, 0.5f, c, n);
		if (ret)
			return ret;
		return pattern_find_mismatch((uint8_t *)c, cb, VACCEL_OPID_GEMM,
					     VACCEL_GEMM_C, 0) == cb
			   ? VACCEL_OK
			   : -1;
	}
	default: {
		uint8_t img[300], text[40], name[24];
		size_t il = 1 + i % sizeof(img);
		memset(img, (int)i, sizeof(img));
		snprintf(what, what_len, "image_classification #%u", i);
		ret = vaccel_image_classification(s, img, text, name, il,
						  sizeof(text), sizeof(name));
		if (ret)
			return ret;
		bool ok = pattern_find_mismatch(text, sizeof(text),
						VACCEL_OPID_IMAGE_CLASSIFY,
						VACCEL_IMAGE_CLASSIFY_OUT_TEXT,
						0) == sizeof(text) &&
			  pattern_find_mismatch(name, sizeof(name),
						VACCEL_OPID_IMAGE_CLASSIFY,
						VACCEL_IMAGE_CLASSIFY_OUT_NAME,
						0) == sizeof(name);
		return ok ? VACCEL_OK : -1;
	}
	}
}

void workload_run(struct vaccel_session *s, struct vaccel_resource *res,
		  unsigned int n, unsigned int seed, struct child_result *r)
{
	char what[96];
	for (unsigned int i = 0; i < n; i++) {
		int ret = workload_call(s, res, seed + i, what, sizeof(what));
		r->calls++;
		if (ret == VACCEL_OK)
			continue;
		if (!r->errors++) {
			r->first_err = ret;
			snprintf(r->what, sizeof(r->what), "%s", what);
		}
	}
}
