// SPDX-License-Identifier: Apache-2.0
/*
 * What tearing down n sessions and n resources costs per object, at two
 * sizes: linear when the per-object cost does not grow with n (the ratio
 * of the large to the small is near 1), as when the agent releases a
 * client holding many. In-process, no plugin serves anything.
 *
 *   vaccel-bench-teardown [SMALL LARGE]   (default 16384 262144)
 * Prints, per size: n=N session_ns=.. resource_ns=..; then the ratios.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <vaccel.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ns per object to release n sessions and n resources, in creation order */
static int run(size_t n, double *sess_ns, double *res_ns)
{
	struct vaccel_session *s = calloc(n, sizeof(*s));
	struct vaccel_resource **r = calloc(n, sizeof(*r));
	static char byte = 'x';
	if (!s || !r)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (vaccel_session_init(&s[i], 0) ||
		    vaccel_resource_from_buf(&r[i], &byte, 1,
					     VACCEL_RESOURCE_DATA, "b"))
			return -1;
	double t0 = now_ns();
	for (size_t i = 0; i < n; i++)
		vaccel_session_release(&s[i]);
	double t1 = now_ns();
	for (size_t i = 0; i < n; i++)
		vaccel_resource_delete(r[i]);
	double t2 = now_ns();
	*sess_ns = (t1 - t0) / (double)n;
	*res_ns = (t2 - t1) / (double)n;
	free(s);
	free(r);
	return 0;
}

int main(int argc, char **argv)
{
	size_t n[2] = {16384, 262144};
	if (argc == 3) {
		n[0] = strtoul(argv[1], NULL, 10);
		n[1] = strtoul(argv[2], NULL, 10);
	}
	double sn[2], rn[2];
	for (int k = 0; k < 2; k++) {
		if (!n[k] || run(n[k], &sn[k], &rn[k])) {
			fprintf(stderr, "vaccel-bench-teardown: cannot make %zu "
					"objects\n",
				n[k]);
			return 1;
		}
		printf("n=%zu session_ns=%.1f resource_ns=%.1f\n", n[k], sn[k],
		       rn[k]);
	}
	printf("session_ratio=%.2f resource_ratio=%.2f\n", sn[1] / sn[0],
	       rn[1] / rn[0]);
	return 0;
}
