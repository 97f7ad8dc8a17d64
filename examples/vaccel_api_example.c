// SPDX-License-Identifier: Apache-2.0
/*
 * A program written against vAccel's public C API only, the way vAccel
 * v0.7.1 programs are written: one header, a session, a resource made from
 * a file, the noop op and a small sgemm. It builds unchanged against vAccel
 * and against this project (`cc ... $(pkg-config --cflags --libs vaccel)`).
 *
 *   vaccel_api_example [--verify] [FILE]
 *
 * FILE becomes a data resource (default: this program itself). The backend
 * is whatever VACCEL_PLUGINS loads; the noop plugin leaves C as it was (as
 * vAccel's noop does), so the product is only checked with --verify (for
 * a real BLAS backend). Exits 0 when every call succeeded.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <vaccel.h>

/* C (m x n) = alpha * A (m x k) * B (k x n) + beta * C, row-major, as
 * vAccel's own examples call vaccel_sgemm (lda = K, ldb = N, ldc = N). */
enum { M = 2, N = 4, K = 3 };

static void sgemm_reference(float alpha, const float *a, const float *b,
			    float beta, float *c)
{
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			float sum = 0;
			for (int p = 0; p < K; p++)
				sum += a[i * K + p] * b[p * N + j];
			c[i * N + j] = alpha * sum + beta * c[i * N + j];
		}
}

static void print_matrix(const char *name, const float *c)
{
	printf("  %s =", name);
	for (int i = 0; i < M; i++) {
		printf(" [");
		for (int j = 0; j < N; j++)
			printf(" %g", (double)c[i * N + j]);
		printf(" ]");
	}
	printf("\n");
}

static int run_sgemm(struct vaccel_session *sess, bool verify)
{
	/* Row-major: A = [1 2 3; 4 5 6], B = [1 0 2 0; 0 1 0 2; 1 1 1 1]. */
	float a[M * K] = {1, 2, 3, 4, 5, 6};
	float b[K * N] = {1, 0, 2, 0, 0, 1, 0, 2, 1, 1, 1, 1};
	float c[M * N] = {1, 1, 1, 1, 1, 1, 1, 1};
	float expect[M * N];
	const float alpha = 2.0f, beta = 0.5f;

	memcpy(expect, c, sizeof(c));
	sgemm_reference(alpha, a, b, beta, expect);

	int ret = vaccel_sgemm(sess, M, N, K, alpha, a, K, b, N, beta, c, N);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "vaccel_sgemm failed: %d (%s)\n", ret,
			strerror(ret));
		return ret;
	}
	printf("vaccel_sgemm(m=%d, n=%d, k=%d): ok\n", M, N, K);
	print_matrix("C (from the backend)", c);
	print_matrix("C (computed here)   ", expect);

	bool same = true;
	for (int i = 0; i < M * N; i++) {
		float diff = c[i] - expect[i];
		float tol = 1e-4f * (expect[i] < 0 ? -expect[i] : expect[i]);
		/* written so that a NaN counts as different */
		if (!(diff <= tol && -diff <= tol))
			same = false;
	}
	printf("  the backend's C %s the local product\n",
	       same ? "matches" : "differs from");
	if (verify && !same) {
		fprintf(stderr, "--verify: wrong sgemm result\n");
		return 1;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	bool verify = false;
	const char *path = argv[0];
	/* keep stdout and stderr in order when both go to one file */
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--verify") == 0) {
			verify = true;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "usage: %s [--verify] [FILE]\n",
				argv[0]);
			return 2;
		} else {
			path = argv[i];
		}
	}

#ifdef VACCEL_VERSION
	printf("built against vAccel API headers %s\n", VACCEL_VERSION);
#endif

	int status = 1;
	struct vaccel_session sess;
	int ret = vaccel_session_init(&sess, 0);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "vaccel_session_init failed: %d (%s)\n", ret,
			strerror(ret));
		return 1;
	}
	printf("session %" PRId64 ": initialized\n", (int64_t)sess.id);

	struct vaccel_resource res;
	ret = vaccel_resource_init(&res, path, VACCEL_RESOURCE_DATA);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "vaccel_resource_init(%s) failed: %d (%s)\n",
			path, ret, strerror(ret));
		goto release_session;
	}
	printf("resource %" PRId64 ": created from %s\n", (int64_t)res.id,
	       path);

	ret = vaccel_resource_register(&res, &sess);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "vaccel_resource_register failed: %d (%s)\n",
			ret, strerror(ret));
		goto release_resource;
	}
	printf("resource %" PRId64 ": registered with session %" PRId64 "\n",
	       (int64_t)res.id, (int64_t)sess.id);

	ret = vaccel_noop(&sess);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "vaccel_noop failed: %d (%s)\n", ret,
			strerror(ret));
		goto unregister_resource;
	}
	printf("vaccel_noop: ok\n");

	if (run_sgemm(&sess, verify) != 0)
		goto unregister_resource;

	status = 0;

unregister_resource:
	ret = vaccel_resource_unregister(&res, &sess);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "vaccel_resource_unregister failed: %d (%s)\n",
			ret, strerror(ret));
		status = 1;
	} else {
		printf("resource %" PRId64 ": unregistered\n", (int64_t)res.id);
	}
release_resource:
	ret = vaccel_resource_release(&res);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "vaccel_resource_release failed: %d (%s)\n",
			ret, strerror(ret));
		status = 1;
	} else {
		printf("resource: released\n");
	}
release_session:
	ret = vaccel_session_release(&sess);
	if (ret != VACCEL_OK) {
		fprintf(stderr, "vaccel_session_release failed: %d (%s)\n", ret,
			strerror(ret));
		status = 1;
	} else {
		printf("session: released\n");
	}

	printf("%s\n", status == 0 ? "vaccel_api_example: OK"
				   : "vaccel_api_example: FAILED");
	return status;
}
