// SPDX-License-Identifier: Apache-2.0
/*
 * vaccel-bench: the native API's side of the benchmarks (scripts/bench
 * runs them and prints the tables). One thread; pinning is the caller's
 * (taskset). Each subcommand prints one line of key=value figures per
 * measurement.
 *
 *   vaccel-bench rt ITERS [WARMUP]
 *       vaccel_noop() round trips through whatever VACCEL_PLUGINS loads
 *       (the rpc transport, to an agent), each timed; also the sizes of the
 *       CALL and CALL_REPLY frames one noop puts on the wire, for the raw
 *       ping-pong baseline.
 *   vaccel-bench bw SIZE ITERS
 *       an in+out buffer op (scal, x INOUT: SIZE bytes to the agent and
 *       SIZE bytes back) through VACCEL_PLUGINS, next to memcpy of SIZE
 *       bytes measured in the same run.
 *   vaccel-bench inproc ITERS DIRECT_SO
 *       vaccel_noop() and vaccel_sgemm() dispatched in-process to the
 *       plugin VACCEL_PLUGINS loads (noop), next to a direct call of a
 *       noop-like function in DIRECT_SO through a function pointer.
 */
#include "codec.h"
#include "stats.h"
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what, int ret)
{
	fprintf(stderr, "vaccel-bench: %s: %s\n", what,
		ret ? vaccel_strerror(ret) : "failed");
	exit(1);
}

/* Bytes one noop CALL and its CALL_REPLY put on the wire: the same
 * encoders the rpc transport and the agent use, with our session's id. */
static void noop_frame_sizes(const struct vaccel_session *sess, size_t *req,
			     size_t *rep)
{
	const struct vaccel_op_desc *op =
	    vaccel_op_desc_by_id(VACCEL_OPID_NOOP);
	struct wbuf m = {0};
	struct segs s = {0};
	if (!op ||
	    wire_encode_call(&m, &s, op, NULL, sess->remote_id, op->sig_hash))
		die("encoding a noop call", 0);
	*req = WIRE_HDR_SIZE + m.len + s.total;
	wbuf_reset(&m);
	segs_reset(&s);
	if (wire_encode_reply(&m, &s, VACCEL_OK, "", op, NULL))
		die("encoding a noop reply", 0);
	*rep = WIRE_HDR_SIZE + m.len + s.total;
	wbuf_free(&m);
	segs_free(&s);
}

static int rt(unsigned long iters, unsigned long warmup)
{
	struct vaccel_session sess;
	int ret = vaccel_session_init(&sess, 0);
	if (ret)
		die("vaccel_session_init", ret);
	uint64_t *lat = calloc(iters, sizeof(*lat));
	if (!lat)
		die("out of memory", 0);
	for (unsigned long i = 0; i < warmup + iters; i++) {
		uint64_t t0 = bench_now_ns();
		ret = vaccel_noop(&sess);
		uint64_t t1 = bench_now_ns();
		if (ret)
			die("vaccel_noop", ret);
		if (i >= warmup)
			lat[i - warmup] = t1 - t0;
	}
	size_t req, rep;
	noop_frame_sizes(&sess, &req, &rep);
	struct bench_stats s = bench_stats(lat, iters);
	printf("rt req_bytes=%zu rep_bytes=%zu iters=%lu p50_us=%.2f "
	       "p99_us=%.2f mean_us=%.2f min_us=%.2f\n",
	       req, rep, iters, s.p50 / 1e3, s.p99 / 1e3, s.mean / 1e3,
	       s.min / 1e3);
	free(lat);
	vaccel_session_release(&sess);
	return 0;
}

/* Median seconds of `reps` memcpy()s of size bytes between two buffers
 * that are already mapped. */
static double memcpy_seconds(uint8_t *dst, const uint8_t *src, size_t size,
			     unsigned int reps)
{
	uint64_t *t = calloc(reps, sizeof(*t));
	if (!t)
		die("out of memory", 0);
	for (unsigned int i = 0; i < reps; i++) {
		uint64_t t0 = bench_now_ns();
		memcpy(dst, src, size);
		__asm__ volatile("" : : "r"(dst) : "memory");
		t[i] = bench_now_ns() - t0;
	}
	double s = bench_stats(t, reps).p50 / 1e9;
	free(t);
	return s;
}

static int bw(size_t size, unsigned int iters)
{
	struct vaccel_session sess;
	int ret = vaccel_session_init(&sess, 0);
	if (ret)
		die("vaccel_session_init", ret);
	size_t n = size / sizeof(float);
	size = n * sizeof(float);
	uint8_t *x = aligned_alloc(4096, size), *y = aligned_alloc(4096, size);
	uint64_t *t = calloc(iters, sizeof(*t));
	if (!x || !y || !t)
		die("out of memory", 0);
	for (size_t i = 0; i < size; i++)
		x[i] = (uint8_t)(i * 7 + 1);
	memset(y, 0, size);

	struct vaccel_oparg args[VACCEL_SCAL_NR_ARGS] = {0};
	args[VACCEL_SCAL_PREC].v.i = VACCEL_BLAS_S;
	args[VACCEL_SCAL_N].v.i = (int64_t)n;
	args[VACCEL_SCAL_ALPHA].v.c128[0] = 1;
	args[VACCEL_SCAL_X].buf = x;
	args[VACCEL_SCAL_X].len = size;
	args[VACCEL_SCAL_INCX].v.i = 1;
	/* one untimed call: connection, agent-side warm-up */
	for (unsigned int i = 0; i < iters + 1; i++) {
		uint64_t t0 = bench_now_ns();
		ret = vaccel_op_call(&sess, VACCEL_OPID_SCAL, args,
				     VACCEL_SCAL_NR_ARGS);
		uint64_t t1 = bench_now_ns();
		if (ret)
			die("scal", ret);
		if (i)
			t[i - 1] = t1 - t0;
	}
	/* The bytes came back as they went (the bench-null backend). */
	for (size_t i = 0; i < size; i += 4093)
		if (x[i] != (uint8_t)(i * 7 + 1))
			die("the buffer came back changed", 0);
	/* The frames this call puts on the wire, for the raw baseline. */
	const struct vaccel_op_desc *op =
	    vaccel_op_desc_by_id(VACCEL_OPID_SCAL);
	struct wbuf m = {0};
	struct segs sg = {0};
	size_t req, rep;
	if (wire_encode_call(&m, &sg, op, args, sess.remote_id, op->sig_hash))
		die("encoding the call", 0);
	req = WIRE_HDR_SIZE + m.len + sg.total;
	wbuf_reset(&m);
	segs_reset(&sg);
	if (wire_encode_reply(&m, &sg, VACCEL_OK, "", op, args))
		die("encoding the reply", 0);
	rep = WIRE_HDR_SIZE + m.len + sg.total;
	wbuf_free(&m);
	segs_free(&sg);

	struct bench_stats s = bench_stats(t, iters);
	double call = s.p50 / 1e9;
	double mc = memcpy_seconds(y, x, size, iters < 5 ? 5 : iters);
	double gb = 1e9;
	printf("bw size=%zu iters=%u req_bytes=%zu rep_bytes=%zu "
	       "in_bytes=%zu out_bytes=%zu "
	       "call_ms_p50=%.3f call_ms_min=%.3f dir_gbps=%.2f both_gbps=%.2f "
	       "memcpy_ms=%.3f memcpy_gbps=%.2f ratio_dir=%.2f "
	       "ratio_both=%.2f\n",
	       size, iters, req, rep, size, size, call * 1e3, s.min / 1e6,
	       (double)size / call / gb, 2.0 * (double)size / call / gb,
	       mc * 1e3, (double)size / mc / gb, mc / call, 2.0 * mc / call);
	free(x);
	free(y);
	free(t);
	vaccel_session_release(&sess);
	return 0;
}

typedef int (*direct_noop_fn)(void *sess);
typedef int (*direct_sgemm_fn)(void *sess, long long m, long long n,
			       long long k, float alpha, float *a,
			       long long lda, float *b, long long ldb,
			       float beta, float *c, long long ldc);

#define ROUNDS 9

/* ns per call over ROUNDS rounds of `iters` calls: the median round and
 * the fastest (the least disturbed by other work on the machine). */
struct per_call {
	double med, min;
};

#define TIME_LOOP(out, iters, call)                                            \
	do {                                                                   \
		uint64_t r_[ROUNDS];                                           \
		for (int k_ = 0; k_ < ROUNDS; k_++) {                          \
			uint64_t t0_ = bench_now_ns();                         \
			for (unsigned long i_ = 0; i_ < (iters); i_++) {       \
				if (call)                                      \
					die(#call, 0);                         \
			}                                                      \
			r_[k_] = bench_now_ns() - t0_;                         \
		}                                                              \
		struct bench_stats s_ = bench_stats(r_, ROUNDS);               \
		(out).med = s_.p50 / (double)(iters);                          \
		(out).min = s_.min / (double)(iters);                          \
	} while (0)

static int inproc(unsigned long iters, const char *direct_so)
{
	void *dl = dlopen(direct_so, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		fprintf(stderr, "vaccel-bench: %s\n", dlerror());
		return 1;
	}
	/* volatile: the compiler must load and call through the pointer */
	direct_noop_fn volatile dnoop =
	    (direct_noop_fn)dlsym(dl, "bench_direct_noop");
	direct_sgemm_fn volatile dsgemm =
	    (direct_sgemm_fn)dlsym(dl, "bench_direct_sgemm");
	if (!dnoop || !dsgemm)
		die("direct functions not found", 0);
	struct vaccel_session sess;
	int ret = vaccel_session_init(&sess, 0);
	if (ret)
		die("vaccel_session_init", ret);
	const char *plugin = vaccel_plugin_for_op(VACCEL_OPID_GEMM, 0);
	float a[1] = {1}, b[1] = {2}, c[1] = {3};
	struct per_call t_dnoop, t_dsgemm, t_noop, t_sgemm;

	TIME_LOOP(t_dnoop, iters, dnoop(&sess));
	TIME_LOOP(t_noop, iters, vaccel_noop(&sess));
	TIME_LOOP(t_dsgemm, iters,
		  dsgemm(&sess, 1, 1, 1, 1.0f, a, 1, b, 1, 0.0f, c, 1));
	TIME_LOOP(t_sgemm, iters,
		  vaccel_sgemm(&sess, 1, 1, 1, 1.0f, a, 1, b, 1, 0.0f, c, 1));
	printf("inproc plugin=%s iters=%lu rounds=%d direct_noop_ns=%.2f "
	       "vaccel_noop_ns=%.2f diff_noop_ns=%.2f direct_sgemm_ns=%.2f "
	       "vaccel_sgemm_ns=%.2f diff_sgemm_ns=%.2f "
	       "min_direct_noop_ns=%.2f min_vaccel_noop_ns=%.2f "
	       "min_direct_sgemm_ns=%.2f min_vaccel_sgemm_ns=%.2f\n",
	       plugin ? plugin : "none", iters, ROUNDS, t_dnoop.med, t_noop.med,
	       t_noop.med - t_dnoop.med, t_dsgemm.med, t_sgemm.med,
	       t_sgemm.med - t_dsgemm.med, t_dnoop.min, t_noop.min,
	       t_dsgemm.min, t_sgemm.min);
	vaccel_session_release(&sess);
	dlclose(dl);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	if (strcmp(cmd, "rt") == 0 && (argc == 3 || argc == 4)) {
		unsigned long iters = strtoul(argv[2], NULL, 10);
		unsigned long warmup =
		    argc == 4 ? strtoul(argv[3], NULL, 10) : iters / 10;
		if (iters)
			return rt(iters, warmup);
	} else if (strcmp(cmd, "bw") == 0 && argc == 4) {
		char *end;
		unsigned long long size = strtoull(argv[2], &end, 10);
		if (*end == 'K' || *end == 'k')
			size <<= 10;
		else if (*end == 'M' || *end == 'm')
			size <<= 20;
		else if (*end == 'G' || *end == 'g')
			size <<= 30;
		unsigned long iters = strtoul(argv[3], NULL, 10);
		if (size >= sizeof(float) && iters)
			return bw((size_t)size, (unsigned int)iters);
	} else if (strcmp(cmd, "inproc") == 0 && argc == 4) {
		unsigned long iters = strtoul(argv[2], NULL, 10);
		if (iters)
			return inproc(iters, argv[3]);
	}
	fprintf(stderr,
		"usage: %s rt ITERS [WARMUP]\n"
		"       %s bw SIZE[K|M|G] ITERS\n"
		"       %s inproc ITERS DIRECT_SO\n",
		argv[0], argv[0], argv[0]);
	return 2;
}
