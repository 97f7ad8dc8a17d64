// SPDX-License-Identifier: Apache-2.0
/*
 * vaccel-bench-infer: model inference through vAccel's model ops, with
 * whatever VACCEL_PLUGINS serves them (the onnx plugin in-process: the
 * local figure; the rpc transport to an agent: the remote one).
 *
 *   vaccel-bench-infer run MODEL N C H W ITERS
 *       loads MODEL, runs it ITERS times on one N x C x H x W float input
 *       (random values, the same each run) after 3 warm-up runs, and
 *       prints "run n=N c=C h=H w=W p50=US min=US max=US" (microseconds
 *       per run); the output's capacity is the input's size (what these
 *       models answer fits: the capacity travels and is zeroed, so a
 *       program gives what the model's output needs)
 *   vaccel-bench-infer upload MODEL
 *       registers MODEL as a resource and loads it (first time: its bytes
 *       go), then a forked child, a client of its own, does the same while
 *       the parent holds it (second time: the agent has the file); prints
 *       "upload first=US second=US" (register + load, microseconds)
 */
#include "stats.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vaccel.h>
#include <vaccel/remote.h>

static int load(struct vaccel_session *s, struct vaccel_resource *res,
		const char *path, uint64_t *handle)
{
	int ret = vaccel_resource_init(res, path, VACCEL_RESOURCE_MODEL);
	if (!ret)
		ret = vaccel_resource_register(res, s);
	if (!ret)
		ret = vaccel_model_load(s, res, handle);
	if (ret)
		fprintf(stderr, "vaccel-bench-infer: loading %s: %s\n", path,
			vaccel_strerror(ret));
	return ret;
}

static int run(const char *model, int64_t n, int64_t c, int64_t h, int64_t w,
	       unsigned int iters)
{
	struct vaccel_session s;
	struct vaccel_resource res;
	uint64_t handle;
	if (vaccel_session_init(&s, 0) || load(&s, &res, model, &handle))
		return 1;
	size_t count = (size_t)(n * c * h * w);
	float *in = malloc(count * sizeof(float));
	size_t cap =
	    count * sizeof(float) > 4096 ? count * sizeof(float) : 4096;
	void *out = malloc(cap);
	uint64_t *t = calloc(iters, sizeof(*t));
	if (!in || !out || !t)
		return 1;
	srand(1);
	for (size_t i = 0; i < count; i++)
		in[i] = (float)rand() / RAND_MAX * 2 - 1;
	struct vaccel_tensor ti = {.dtype = VACCEL_DTYPE_F32,
				   .ndim = 4,
				   .data = in,
				   .size = count * sizeof(float)};
	ti.dims[0] = n;
	ti.dims[1] = c;
	ti.dims[2] = h;
	ti.dims[3] = w;
	for (unsigned int i = 0; i < iters + 3; i++) {
		struct vaccel_tensor to = {.data = out, .size = cap};
		uint64_t t0 = bench_now_ns();
		int ret = vaccel_model_run(&s, handle, &ti, 1, &to, 1);
		if (ret) {
			fprintf(stderr, "vaccel-bench-infer: run: %s\n",
				vaccel_strerror(ret));
			return 1;
		}
		if (i >= 3)
			t[i - 3] = bench_now_ns() - t0;
	}
	struct bench_stats st = bench_stats(t, iters);
	printf("run n=%lld c=%lld h=%lld w=%lld p50=%.1f min=%.1f max=%.1f\n",
	       (long long)n, (long long)c, (long long)h, (long long)w,
	       st.p50 / 1e3, st.min / 1e3, st.max / 1e3);
	vaccel_model_unload(&s, handle);
	vaccel_resource_unregister(&res, &s);
	vaccel_resource_release(&res);
	vaccel_session_release(&s);
	free(in);
	free(out);
	free(t);
	return 0;
}

/* Register and load model in a fresh session; microseconds, or -1. */
static double timed_load(const char *model, struct vaccel_session *s,
			 struct vaccel_resource *res, uint64_t *handle)
{
	uint64_t t0 = bench_now_ns();
	if (vaccel_session_init(s, 0) || load(s, res, model, handle))
		return -1;
	return (double)(bench_now_ns() - t0) / 1e3;
}

static int upload(const char *model)
{
	struct vaccel_session s;
	struct vaccel_resource res;
	uint64_t handle;
	/* the connection first, so that only the upload is timed */
	struct vaccel_session warm;
	if (vaccel_session_init(&warm, 0))
		return 1;
	double first = timed_load(model, &s, &res, &handle);
	if (first < 0)
		return 1;
	int p[2];
	if (pipe(p))
		return 1;
	pid_t pid = fork();
	if (pid == 0) {
		struct vaccel_session s2;
		struct vaccel_resource r2;
		uint64_t h2;
		/* this process's own connection and client, first (it
		 * makes the parent's objects again there) */
		vaccel_session_init(&warm, 0);
		double second = timed_load(model, &s2, &r2, &h2);
		if (write(p[1], &second, sizeof(second)) != sizeof(second))
			_exit(1);
		_exit(second < 0);
	}
	close(p[1]);
	double second = -1;
	if (read(p[0], &second, sizeof(second)) != sizeof(second))
		second = -1;
	int st;
	waitpid(pid, &st, 0);
	printf("upload first=%.1f second=%.1f\n", first, second);
	vaccel_model_unload(&s, handle);
	vaccel_resource_unregister(&res, &s);
	vaccel_resource_release(&res);
	vaccel_session_release(&s);
	vaccel_session_release(&warm);
	return second < 0;
}

int main(int argc, char **argv)
{
	if (argc == 8 && !strcmp(argv[1], "run"))
		return run(argv[2], atoll(argv[3]), atoll(argv[4]),
			   atoll(argv[5]), atoll(argv[6]),
			   (unsigned int)atoi(argv[7]));
	if (argc == 3 && !strcmp(argv[1], "upload"))
		return upload(argv[2]);
	fprintf(stderr, "usage: vaccel-bench-infer run MODEL N C H W ITERS\n"
			"       vaccel-bench-infer upload MODEL\n");
	return 2;
}
