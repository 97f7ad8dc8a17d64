// SPDX-License-Identifier: Apache-2.0
/*
 * vaccel-bench-blas: gemm locally, through the BLAS shim and through the
 * native API, and the cost of a call the shim declines (scripts/bench
 * `blas` runs it and prints the tables). One program linked against
 * OpenBLAS and libvaccel: the shim's figures are this same binary started
 * under LD_PRELOAD=libvaccel-shim-blas.so. One calling thread; OpenBLAS's
 * own threads and the pinning are the caller's (OPENBLAS_NUM_THREADS,
 * taskset). Each subcommand prints one line of key=value figures.
 *
 *   vaccel-bench-blas gemm s|d N REPS [nocheck]
 *       cblas_sgemm/cblas_dgemm of square column-major N x N matrices,
 *       alpha 1, beta 0, through the normal symbol: OpenBLAS itself, or
 *       the shim's wrapper when the shim is preloaded. Warm-up calls
 *       (untimed), then REPS timed calls: median and min.
 *   vaccel-bench-blas native s|d N REPS [nocheck]
 *       the same product through the native API in one session:
 *       vaccel_sgemm (vAccel's) for s, vaccel_blas_gemm with
 *       VACCEL_BLAS_D for d; VACCEL_PLUGINS picks the plugin.
 *   vaccel-bench-blas shape M N K LD REPS
 *       cblas_dgemm on blocks of column-major arrays with leading
 *       dimension LD (beta 1): flops, the bytes the call would move, their
 *       ratio, median and min time. scripts/bench `cost` calibrates
 *       VACCEL_SHIM_MIN_INTENSITY with it.
 *   vaccel-bench-blas pair d N REPS
 *       cblas_dgemm as in `gemm`, each rep timed twice in one process:
 *       through the normal symbol (the shim's wrapper when preloaded, on
 *       matrices from aligned_alloc, which the allocator shim places in
 *       the shared heap) and through OpenBLAS's own symbol on a copy in
 *       anonymous memory of this process (what the program would have
 *       without the shims), the order alternating rep by rep. Both see the
 *       same moment of a noisy machine: median and min of each, and the
 *       median of the per-rep ratios (shim / local).
 *   vaccel-bench-blas overhead CALLS BATCHES
 *       tiny calls (cblas_sgemm m = n = k = 2, cblas_ddot n = 1) through
 *       the normal symbol and through OpenBLAS's own symbol resolved by
 *       handle, BATCHES alternating batches of CALLS calls each: ns per
 *       call, min and median over the batches, and the difference.
 *
 * Every gemm run checks sampled entries of C against a product computed
 * here in double precision, so a figure is never that of a call that did
 * nothing; `nocheck` is for a backend that does nothing on purpose
 * (bench-null: the transport's own cost).
 */
#include "stats.h"
#include <cblas.h>
#include <dlfcn.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <vaccel/remote.h>

static void die(const char *what)
{
	fprintf(stderr, "vaccel-bench-blas: %s\n", what);
	exit(1);
}

/* ---- gemm ---------------------------------------------------------------- */

/* Deterministic values in [-1, 1). */
static double val(size_t i, unsigned int seed)
{
	uint32_t x = (uint32_t)i * 2654435761u + seed * 40503u + 1u;
	x ^= x >> 15;
	x *= 2246822519u;
	x ^= x >> 13;
	return (double)(x & 0xffffu) / 32768.0 - 1.0;
}

struct mats {
	char prec; /* 's' or 'd' */
	size_t n, es;
	void *a, *b, *c;
};

static void mats_init(struct mats *m, char prec, size_t n)
{
	m->prec = prec;
	m->n = n;
	m->es = prec == 's' ? sizeof(float) : sizeof(double);
	size_t bytes = n * n * m->es;
	bytes = (bytes + 4095) & ~(size_t)4095;
	m->a = aligned_alloc(4096, bytes);
	m->b = aligned_alloc(4096, bytes);
	m->c = aligned_alloc(4096, bytes);
	if (!m->a || !m->b || !m->c)
		die("out of memory");
	for (size_t i = 0; i < n * n; i++) {
		if (prec == 's') {
			((float *)m->a)[i] = (float)val(i, 1);
			((float *)m->b)[i] = (float)val(i, 2);
			/* a value the product never has: an entry the call
			 * did not write fails the check */
			((float *)m->c)[i] = 1e30f;
		} else {
			((double *)m->a)[i] = val(i, 1);
			((double *)m->b)[i] = val(i, 2);
			((double *)m->c)[i] = 1e300;
		}
	}
}

static void mats_free(struct mats *m)
{
	free(m->a);
	free(m->b);
	free(m->c);
}

static double elem(const struct mats *m, const void *p, size_t i)
{
	return m->prec == 's' ? (double)((const float *)p)[i]
			      : ((const double *)p)[i];
}

/* Checks 64 sampled entries of C = A * B (column-major) against a double
 * precision sum; the bound is the usual n * eps * sum |a| |b| with room. */
static void mats_check(const struct mats *m)
{
	size_t n = m->n;
	double eps = m->prec == 's' ? 0x1p-24 : 0x1p-53;
	for (unsigned int s = 0; s < 64; s++) {
		size_t i = (s * 7919u + 13u) % n, j = (s * 104729u + 7u) % n;
		if (s == 0)
			i = 0, j = 0;
		if (s == 1)
			i = n - 1, j = n - 1;
		double ref = 0, mag = 0;
		for (size_t k = 0; k < n; k++) {
			double x =
			    elem(m, m->a, k * n + i) * elem(m, m->b, j * n + k);
			ref += x;
			mag += fabs(x);
		}
		double got = elem(m, m->c, j * n + i);
		if (!(fabs(got - ref) <= 4.0 * (double)n * eps * mag + 1e-30)) {
			fprintf(stderr,
				"vaccel-bench-blas: %cgemm n=%zu: C(%zu,%zu) = "
				"%g, expected %g\n",
				m->prec, n, i, j, got, ref);
			exit(1);
		}
	}
}

enum mode { MODE_CBLAS, MODE_NATIVE };

static int gemm_call(enum mode mode, struct vaccel_session *sess,
		     const struct mats *m)
{
	int n = (int)m->n;
	if (mode == MODE_CBLAS) {
		if (m->prec == 's')
			cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans,
				    n, n, n, 1.0f, m->a, n, m->b, n, 0.0f, m->c,
				    n);
		else
			cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans,
				    n, n, n, 1.0, m->a, n, m->b, n, 0.0, m->c,
				    n);
		return 0;
	}
	if (m->prec == 's')
		return vaccel_sgemm(sess, n, n, n, 1.0f, m->a, n, m->b, n, 0.0f,
				    m->c, n);
	const double one[2] = {1, 0}, zero[2] = {0, 0};
	return vaccel_blas_gemm(sess, VACCEL_BLAS_D, VACCEL_BLAS_COL,
				VACCEL_BLAS_NOTRANS, VACCEL_BLAS_NOTRANS, n, n,
				n, one, m->a, n, m->b, n, zero, m->c, n);
}

static int gemm(enum mode mode, char prec, size_t n, unsigned int reps,
		bool check)
{
	struct vaccel_session sess;
	if (mode == MODE_NATIVE) {
		int ret = vaccel_session_init(&sess, 0);
		if (ret) {
			fprintf(stderr,
				"vaccel-bench-blas: vaccel_session_init: %s\n",
				vaccel_strerror(ret));
			return 1;
		}
	}
	struct mats m;
	mats_init(&m, prec, n);
	uint64_t *t = calloc(reps, sizeof(*t));
	if (!t)
		die("out of memory");
	/* untimed: OpenBLAS's thread start, first touch of C, the
	 * connection and the agent's buffers for remote calls */
	unsigned int warm = n >= 2048 ? 1 : 3;
	for (unsigned int i = 0; i < warm + reps; i++) {
		uint64_t t0 = bench_now_ns();
		int ret = gemm_call(mode, &sess, &m);
		uint64_t t1 = bench_now_ns();
		if (ret) {
			fprintf(stderr, "vaccel-bench-blas: %cgemm: %s\n", prec,
				vaccel_strerror(ret));
			return 1;
		}
		if (i >= warm)
			t[i - warm] = t1 - t0;
	}
	if (check)
		mats_check(&m);
	struct bench_stats s = bench_stats(t, reps);
	double flop = 2.0 * (double)n * (double)n * (double)n;
	printf("gemm mode=%s prec=%c n=%zu reps=%u calls=%u p50_ms=%.6g "
	       "min_ms=%.6g max_ms=%.6g gflops=%.2f\n",
	       mode == MODE_CBLAS ? "cblas" : "native", prec, n, reps,
	       warm + reps, s.p50 / 1e6, s.min / 1e6, s.max / 1e6,
	       flop / s.p50);
	free(t);
	mats_free(&m);
	if (mode == MODE_NATIVE)
		vaccel_session_release(&sess);
	return 0;
}

/* ---- declined-call overhead ---------------------------------------------- */

typedef void sgemm_fn(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE,
		      enum CBLAS_TRANSPOSE, blasint, blasint, blasint, float,
		      const float *, blasint, const float *, blasint, float,
		      float *, blasint);
typedef double ddot_fn(blasint, const double *, blasint, const double *,
		       blasint);

/*
 * OpenBLAS's own symbol. Not dlsym(): the shim interposes dlsym and hands
 * out its wrapper for every name it wraps, whatever the handle (that is
 * how it catches ctypes). glibc's dlsym, asked for by version, does not
 * bind to the shim's unversioned one.
 */
static void *real_sym(const char *name)
{
	void *(*dsym)(void *, const char *) =
	    (void *(*)(void *, const char *))dlvsym(RTLD_DEFAULT, "dlsym",
						    "GLIBC_2.34");
	if (!dsym)
		dsym = (void *(*)(void *, const char *))dlvsym(
		    RTLD_DEFAULT, "dlsym", "GLIBC_2.2.5");
	void *h = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_NOLOAD);
	if (!dsym || !h)
		die("cannot find libopenblas.so.0 or glibc's dlsym");
	void *p = dsym(h, name);
	if (!p)
		die("libopenblas.so.0 lacks a symbol");
	dlclose(h);
	return p;
}

/* The file name of the object that holds p. */
static const char *obj_of(void *p)
{
	Dl_info di;
	if (!dladdr(p, &di) || !di.dli_fname)
		return "?";
	const char *s = strrchr(di.dli_fname, '/');
	return s ? s + 1 : di.dli_fname;
}

#define MAX_BATCHES 101

struct ns {
	double min, med;
};

static struct ns ns_of(uint64_t *v, unsigned int n, unsigned long calls)
{
	struct bench_stats s = bench_stats(v, n);
	return (struct ns){s.min / (double)calls, s.p50 / (double)calls};
}

static volatile double sink;

static int overhead(unsigned long calls, unsigned int batches)
{
	/* volatile: the compiler loads and calls through the pointer */
	sgemm_fn *volatile dsgemm = (sgemm_fn *)real_sym("cblas_sgemm");
	ddot_fn *volatile dddot = (ddot_fn *)real_sym("cblas_ddot");
	sgemm_fn *volatile symsgemm = cblas_sgemm;
	float a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8}, c[4] = {0};
	double x[1] = {1.5}, y[1] = {2.5};
	uint64_t ts_d[MAX_BATCHES], ts_s[MAX_BATCHES], td_d[MAX_BATCHES],
	    td_s[MAX_BATCHES];
	double acc = 0;

	/* one call each before timing: the shim resolves its real symbol
	 * and its counters on the first local call */
	dsgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, 2, 2, 2, 1.0f, a, 2,
	       b, 2, 0.0f, c, 2);
	cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, 2, 2, 2, 1.0f, a,
		    2, b, 2, 0.0f, c, 2);
	acc += dddot(1, x, 1, y, 1) + cblas_ddot(1, x, 1, y, 1);
	/* alternating batches: drift on the machine hits both sides alike */
	for (unsigned int k = 0; k < batches; k++) {
		uint64_t t0 = bench_now_ns();
		for (unsigned long i = 0; i < calls; i++)
			dsgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, 2, 2,
			       2, 1.0f, a, 2, b, 2, 0.0f, c, 2);
		uint64_t t1 = bench_now_ns();
		for (unsigned long i = 0; i < calls; i++)
			cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans,
				    2, 2, 2, 1.0f, a, 2, b, 2, 0.0f, c, 2);
		uint64_t t2 = bench_now_ns();
		for (unsigned long i = 0; i < calls; i++)
			acc += dddot(1, x, 1, y, 1);
		uint64_t t3 = bench_now_ns();
		for (unsigned long i = 0; i < calls; i++)
			acc += cblas_ddot(1, x, 1, y, 1);
		uint64_t t4 = bench_now_ns();
		ts_d[k] = t1 - t0;
		ts_s[k] = t2 - t1;
		td_d[k] = t3 - t2;
		td_s[k] = t4 - t3;
	}
	sink = acc;
	if (c[0] != 23 || c[3] != 46)
		die("sgemm 2x2 gave a wrong product");
	struct ns sd = ns_of(ts_d, batches, calls),
		  ss = ns_of(ts_s, batches, calls),
		  dd = ns_of(td_d, batches, calls),
		  ds = ns_of(td_s, batches, calls);
	printf("overhead calls=%lu batches=%u direct_obj=%s symbol_obj=%s "
	       "sgemm_direct_min_ns=%.2f sgemm_direct_med_ns=%.2f "
	       "sgemm_symbol_min_ns=%.2f sgemm_symbol_med_ns=%.2f "
	       "sgemm_diff_min_ns=%.2f sgemm_diff_med_ns=%.2f "
	       "ddot_direct_min_ns=%.2f ddot_direct_med_ns=%.2f "
	       "ddot_symbol_min_ns=%.2f ddot_symbol_med_ns=%.2f "
	       "ddot_diff_min_ns=%.2f ddot_diff_med_ns=%.2f\n",
	       calls, batches, obj_of((void *)dsgemm), obj_of((void *)symsgemm),
	       sd.min, sd.med, ss.min, ss.med, ss.min - sd.min, ss.med - sd.med,
	       dd.min, dd.med, ds.min, ds.med, ds.min - dd.min,
	       ds.med - dd.med);
	return 0;
}

/* ---- gemm shapes: flops against the bytes a call would move -------- */

/* Elements from a column-major matrix's first to its last. */
static double span(size_t ld, size_t rows, size_t cols)
{
	return rows && cols ? (double)ld * (double)(cols - 1) + (double)rows
			    : 0;
}

/*
 * cblas_dgemm of an M x K by a K x N matrix into M x N, beta 1, every
 * matrix a block of a column-major array with leading dimension LD (the
 * strided sub-matrices LAPACK's blocked routines hand to gemm). Prints the
 * flops and the bytes the call would move as spans (A and B out, C out
 * and back), their ratio (the intensity) and the median time.
 */
static int shape(size_t m, size_t n, size_t k, size_t ld, unsigned int reps)
{
	if (ld < m || ld < k)
		die("LD must be at least M and K");
	size_t cols = n > k ? n : k;
	double *a = calloc(ld * k, sizeof(double));
	double *b = calloc(ld * cols, sizeof(double));
	double *c = calloc(ld * n, sizeof(double));
	uint64_t *t = calloc(reps, sizeof(uint64_t));
	if (!a || !b || !c || !t)
		die("out of memory");
	for (size_t i = 0; i < ld * k; i++)
		a[i] = val(i, 1);
	for (size_t i = 0; i < ld * cols; i++)
		b[i] = val(i, 2);
	for (unsigned int i = 0; i < 2 + reps; i++) {
		uint64_t t0 = bench_now_ns();
		cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans,
			    (blasint)m, (blasint)n, (blasint)k, 1.0, a,
			    (blasint)ld, b, (blasint)ld, 1.0, c, (blasint)ld);
		uint64_t t1 = bench_now_ns();
		if (i >= 2)
			t[i - 2] = t1 - t0;
	}
	/* C accumulated 2 + reps products: check one entry */
	double want = 0;
	for (size_t p = 0; p < k; p++)
		want += a[p * ld] * b[p];
	want *= 2 + reps;
	if (fabs(c[0] - want) > 1e-9 * (fabs(want) + 1))
		die("wrong product");
	struct bench_stats st = bench_stats(t, reps);
	double flop = 2.0 * (double)m * (double)n * (double)k;
	double bytes =
	    8.0 * (span(ld, m, k) + span(ld, k, n) + 2 * span(ld, m, n));
	printf("shape m=%zu n=%zu k=%zu ld=%zu reps=%u flops=%.6g bytes=%.6g "
	       "intensity=%.4g p50_ms=%.6g min_ms=%.6g\n",
	       m, n, k, ld, reps, flop, bytes, flop / bytes, st.p50 / 1e6,
	       st.min / 1e6);
	free(a);
	free(b);
	free(c);
	free(t);
	return 0;
}

/* ---- the same product through the shim and locally, interleaved --------- */

typedef void dgemm_fn(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE,
		      enum CBLAS_TRANSPOSE, blasint, blasint, blasint, double,
		      const double *, blasint, const double *, blasint, double,
		      double *, blasint);

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void *anon_copy(const void *src, size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("out of memory");
	memcpy(p, src, bytes);
	return p;
}

static int pair(size_t n, unsigned int reps)
{
	dgemm_fn *local = (dgemm_fn *)real_sym("cblas_dgemm");
	struct mats m, l;
	mats_init(&m, 'd', n);
	size_t bytes = n * n * sizeof(double);
	l = m;
	l.a = anon_copy(m.a, bytes);
	l.b = anon_copy(m.b, bytes);
	l.c = anon_copy(m.c, bytes);
	uint64_t *ts = calloc(reps, sizeof(*ts));
	uint64_t *tl = calloc(reps, sizeof(*tl));
	double *ratio = calloc(reps, sizeof(*ratio));
	if (!ts || !tl || !ratio)
		die("out of memory");
	int in = (int)n;
	for (unsigned int i = 0; i < 3 + reps; i++) {
		uint64_t t[2];
		for (int k = 0; k < 2; k++) {
			/* shim first on even reps, local first on odd */
			bool shim = (k == 0) == (i % 2 == 0);
			uint64_t t0 = bench_now_ns();
			if (shim)
				cblas_dgemm(CblasColMajor, CblasNoTrans,
					    CblasNoTrans, in, in, in, 1.0, m.a,
					    in, m.b, in, 0.0, m.c, in);
			else
				local(CblasColMajor, CblasNoTrans, CblasNoTrans,
				      in, in, in, 1.0, l.a, in, l.b, in, 0.0,
				      l.c, in);
			t[shim ? 0 : 1] = bench_now_ns() - t0;
		}
		if (i < 3)
			continue;
		ts[i - 3] = t[0];
		tl[i - 3] = t[1];
		ratio[i - 3] = (double)t[0] / (double)t[1];
	}
	mats_check(&m);
	mats_check(&l);
	qsort(ratio, reps, sizeof(*ratio), cmp_double);
	struct bench_stats s = bench_stats(ts, reps);
	struct bench_stats o = bench_stats(tl, reps);
	printf("pair prec=d n=%zu reps=%u shim_p50_ms=%.6g shim_min_ms=%.6g "
	       "local_p50_ms=%.6g local_min_ms=%.6g ratio_p50=%.4f "
	       "ratio_min=%.4f\n",
	       n, reps, s.p50 / 1e6, s.min / 1e6, o.p50 / 1e6, o.min / 1e6,
	       ratio[reps / 2], s.min / o.min);
	munmap(l.a, bytes);
	munmap(l.b, bytes);
	munmap(l.c, bytes);
	mats_free(&m);
	free(ts);
	free(tl);
	free(ratio);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	if ((!strcmp(cmd, "gemm") || !strcmp(cmd, "native")) &&
	    (argc == 5 || (argc == 6 && !strcmp(argv[5], "nocheck"))) &&
	    (!strcmp(argv[2], "s") || !strcmp(argv[2], "d"))) {
		unsigned long n = strtoul(argv[3], NULL, 10);
		unsigned long reps = strtoul(argv[4], NULL, 10);
		if (n && n <= 65536 && reps && reps <= 100000)
			return gemm(
			    !strcmp(cmd, "gemm") ? MODE_CBLAS : MODE_NATIVE,
			    argv[2][0], n, (unsigned int)reps, argc == 5);
	} else if (!strcmp(cmd, "shape") && argc == 7) {
		unsigned long v[5];
		for (int i = 0; i < 5; i++)
			v[i] = strtoul(argv[2 + i], NULL, 10);
		if (v[0] && v[1] && v[2] && v[3] <= 65536 && v[4] &&
		    v[4] <= 100000)
			return shape(v[0], v[1], v[2], v[3],
				     (unsigned int)v[4]);
	} else if (!strcmp(cmd, "pair") && argc == 5 && !strcmp(argv[2], "d")) {
		unsigned long n = strtoul(argv[3], NULL, 10);
		unsigned long reps = strtoul(argv[4], NULL, 10);
		if (n && n <= 65536 && reps && reps <= 100000)
			return pair(n, (unsigned int)reps);
	} else if (!strcmp(cmd, "overhead") && argc == 4) {
		unsigned long calls = strtoul(argv[2], NULL, 10);
		unsigned long batches = strtoul(argv[3], NULL, 10);
		if (calls && batches && batches <= MAX_BATCHES)
			return overhead(calls, (unsigned int)batches);
	}
	fprintf(stderr,
		"usage: %s gemm|native s|d N REPS [nocheck]\n"
		"       %s pair d N REPS\n"
		"       %s shape M N K LD REPS\n"
		"       %s overhead CALLS BATCHES (BATCHES <= %d)\n",
		argv[0], argv[0], argv[0], argv[0], MAX_BATCHES);
	return 2;
}
