// SPDX-License-Identifier: Apache-2.0
/*
 * Runtime shared by the generated interposers: policy from the
 * environment, the session calls go through, local symbol resolution,
 * error reporting through the program's own xerbla_/cblas_xerbla, the
 * exit report, and the dlsym interposer that catches ctypes/cffi lookups.
 */
#include "shim.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <vaccel.h>

struct shim_policy shim_policy;
SHIM_TLS _Thread_local int shim_depth;
SHIM_TLS _Thread_local struct shim_stats *shim_tstats;

enum fallback { FALLBACK_LOCAL, FALLBACK_FAIL };

static struct {
	enum fallback fallback;
	const char *report;
	unsigned int retry_ms;
	/* all threads' counters */
	struct shim_stats *_Atomic stats;
	pthread_mutex_t session_lock;
	_Atomic bool have_session;
	/* why there is none */
	int session_err;
	struct vaccel_session session;
	/* monotonic ms before which remote calls are not tried again */
	_Atomic uint64_t pause_until;
	_Atomic bool warned;
	/* ILP64 (`64_`) lookups passed through */
	_Atomic uint64_t ilp64_lookups;
} g = { .session_lock = PTHREAD_MUTEX_INITIALIZER, .retry_ms = 1000 };

#define TAG "vaccel-shim-%s: "

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), TAG, shim_api.name);
	va_list ap;
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(buf))
		vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	size_t len = strnlen(buf, sizeof(buf) - 2);
	buf[len++] = '\n';
	/* one write: lines of concurrent threads do not interleave */
	ssize_t w = write(STDERR_FILENO, buf, len);
	(void)w;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- policy ------------------------------------------------------------ */

static unsigned int parse_levels(const char *v)
{
	if (!v || !*v)
		return 1u << 3 | 1u << 4;
	if (!strcmp(v, "all"))
		return 1u << 1 | 1u << 2 | 1u << 3 | 1u << 4;
	if (!strcmp(v, "none"))
		return 0;
	unsigned int m = 0;
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", v);
	for (char *save, *t = strtok_r(buf, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "1") || !strcmp(t, "2") || !strcmp(t, "3"))
			m |= 1u << (t[0] - '0');
		else if (!strcmp(t, "lapack"))
			m |= 1u << 4;
		else
			say("VACCEL_SHIM_LEVELS: '%s' is not 1, 2, 3, lapack, "
			    "all or none; ignored",
			    t);
	}
	return m;
}

static void report_at_exit(void);

__attribute__((constructor)) static void shim_init(void)
{
	const char *v = getenv("VACCEL_SHIM_MIN_FLOPS");
	double min = 2e6;
	if (v && *v) {
		char *end;
		errno = 0;
		double d = strtod(v, &end);
		if (errno || *end || !(d >= 0))
			say("VACCEL_SHIM_MIN_FLOPS='%s' is not a number >= 0; "
			    "using %g",
			    v, min);
		else
			min = d;
	}
	/* 0 offloads everything, including calls whose dimensions are
	 * invalid (their errors are then reported by the shim's checks) */
	shim_policy.min_flops = min > 0 ? min : -INFINITY;
	v = getenv("VACCEL_SHIM_FALLBACK");
	if (v && !strcmp(v, "fail"))
		g.fallback = FALLBACK_FAIL;
	else if (v && *v && strcmp(v, "local"))
		say("VACCEL_SHIM_FALLBACK='%s' is not local or fail; using "
		    "local",
		    v);
	v = getenv("VACCEL_SHIM_RETRY_MS");
	if (v && *v) {
		char *end;
		errno = 0;
		unsigned long ms = strtoul(v, &end, 10);
		if (errno || *end || v[0] == '-' || ms > 3600000)
			say("VACCEL_SHIM_RETRY_MS='%s' is not a number of ms "
			    "up to 3600000; using %u",
			    v, g.retry_ms);
		else
			g.retry_ms = (unsigned int)ms;
	}
	v = getenv("VACCEL_SHIM_REPORT");
	if (v && *v && strcmp(v, "0")) {
		g.report = v;
		/* atexit, not a destructor: runs on exit() before libraries
		 * are torn down */
		atexit(report_at_exit);
	}
	/* last: from here on calls may be offloaded */
	atomic_thread_fence(memory_order_seq_cst);
	shim_policy.levels = parse_levels(getenv("VACCEL_SHIM_LEVELS"));
}

/* ---- counters and the report ----------------------------------------- */

static struct shim_stats *stats_alloc(void)
{
	size_t sz = sizeof(struct shim_stats) +
		    shim_api.nr_fns * sizeof(uint64_t[SHIM_C_NR]);
	struct shim_stats *s = calloc(1, sz);
	if (!s)
		return NULL;
	s->next = atomic_load(&g.stats);
	while (!atomic_compare_exchange_weak(&g.stats, &s->next, s))
		;
	return s;
}

/* Counters for threads whose own could not be allocated (shared, so
 * approximate), allocated with the first ones. */
static struct shim_stats *_Atomic shared_stats;

struct shim_stats *shim_stats_new(void)
{
	struct shim_stats *sh = atomic_load(&shared_stats);
	if (!sh) {
		sh = stats_alloc();
		struct shim_stats *expected = NULL;
		if (!sh || !atomic_compare_exchange_strong(&shared_stats,
							   &expected, sh))
			sh = atomic_load(&shared_stats);
		if (!sh) {
			say("out of memory for the call counters");
			abort();
		}
	}
	struct shim_stats *s = stats_alloc();
	/* counting never fails a call: without its own row, a thread
	 * counts into the shared one */
	shim_tstats = s ? s : sh;
	return shim_tstats;
}

static bool anything_caught(void)
{
	for (struct shim_stats *s = atomic_load(&g.stats); s; s = s->next)
		for (unsigned int i = 0; i < shim_api.nr_fns; i++)
			for (int k = 0; k < SHIM_C_NR; k++)
				if (s->c[i][k])
					return true;
	return atomic_load(&g.ilp64_lookups) != 0;
}

static void report_at_exit(void)
{
	/* helpers the program runs (a shell, timeout) inherit LD_PRELOAD:
	 * a process that called nothing reports nothing */
	if (!anything_caught())
		return;
	FILE *out = stderr;
	if (g.report[0] == '/') {
		out = fopen(g.report, "a");
		if (!out) {
			say("cannot open report file %s: %s", g.report,
			    strerror(errno));
			return;
		}
	}
	uint64_t tot[SHIM_C_NR] = { 0 };
	fprintf(out, "vaccel-shim-%s: report pid=%d\n", shim_api.name,
		(int)getpid());
	for (unsigned int i = 0; i < shim_api.nr_fns; i++) {
		uint64_t c[SHIM_C_NR] = { 0 };
		for (struct shim_stats *s = atomic_load(&g.stats); s;
		     s = s->next)
			for (int k = 0; k < SHIM_C_NR; k++)
				c[k] += s->c[i][k];
		uint64_t caught = c[SHIM_C_LOCAL] + c[SHIM_C_OFFLOADED] +
				  c[SHIM_C_ERRORS];
		for (int k = 0; k < SHIM_C_NR; k++)
			tot[k] += c[k];
		if (!caught)
			continue;
		fprintf(out,
			"vaccel-shim-%s: fn=%s caught=%" PRIu64
			" offloaded=%" PRIu64 " local=%" PRIu64
			" failed=%" PRIu64 " errors=%" PRIu64
			" bytes_out=%" PRIu64 " bytes_in=%" PRIu64 "\n",
			shim_api.name, shim_api.fns[i].name, caught,
			c[SHIM_C_OFFLOADED], c[SHIM_C_LOCAL], c[SHIM_C_FAILED],
			c[SHIM_C_ERRORS], c[SHIM_C_BYTES_OUT],
			c[SHIM_C_BYTES_IN]);
	}
	uint64_t ilp = atomic_load(&g.ilp64_lookups);
	if (ilp)
		fprintf(out,
			"vaccel-shim-%s: unsupported ilp64_lookups=%" PRIu64
			"\n",
			shim_api.name, ilp);
	fprintf(out,
		"vaccel-shim-%s: total caught=%" PRIu64 " offloaded=%" PRIu64
		" local=%" PRIu64 " failed=%" PRIu64 " errors=%" PRIu64
		" bytes_out=%" PRIu64 " bytes_in=%" PRIu64 "\n",
		shim_api.name,
		tot[SHIM_C_LOCAL] + tot[SHIM_C_OFFLOADED] + tot[SHIM_C_ERRORS],
		tot[SHIM_C_OFFLOADED], tot[SHIM_C_LOCAL], tot[SHIM_C_FAILED],
		tot[SHIM_C_ERRORS], tot[SHIM_C_BYTES_OUT], tot[SHIM_C_BYTES_IN]);
	if (out != stderr)
		fclose(out);
	else
		fflush(out);
}

/* ---- the local library -------------------------------------------------- */

static void *(*get_real_dlsym(void))(void *, const char *);

void *shim_resolve(struct shim_fn *f)
{
	void *(*dsym)(void *, const char *) = get_real_dlsym();
	void *p = dsym(RTLD_NEXT, f->name);
	/* libraries loaded RTLD_LOCAL (Python extensions) are not in the
	 * global scope: ask them by soname */
	for (unsigned int i = 0; !p && shim_api.sonames[i]; i++) {
		void *h = dlopen(shim_api.sonames[i], RTLD_LAZY | RTLD_NOLOAD);
		if (!h)
			continue;
		p = dsym(h, f->name);
		dlclose(h);
	}
	if (!p || p == f->wrapper) {
		say("%s: no local library provides it (looked in the global "
		    "scope and %s...); cannot run it locally",
		    f->name, shim_api.sonames[0]);
		abort();
	}
	void *expected = NULL;
	atomic_compare_exchange_strong(&f->real, &expected, p);
	return atomic_load(&f->real);
}

/* ---- remote calls ------------------------------------------------------ */

static void open_session(void)
{
	struct vaccel_config cfg;
	/* values the environment gets wrong are logged by the core and
	 * replaced by defaults; they do not stop remote execution */
	vaccel_config_init_from_env(&cfg);
	int ret = VACCEL_OK;
	if (!cfg.plugins) {
		/* a program that is not a vAccel program sets no
		 * VACCEL_PLUGINS: remote execution is what it wants */
		vaccel_log_level_t level = cfg.log_level;
		vaccel_config_release(&cfg);
		ret = vaccel_config_init(&cfg, "rpc", level, NULL, false,
					 false);
	}
	if (ret == VACCEL_OK) {
		ret = vaccel_bootstrap_with_config(&cfg);
		if (ret == VACCEL_EEXIST)
			ret = VACCEL_OK;
	}
	vaccel_config_release(&cfg);
	if (ret == VACCEL_OK)
		ret = vaccel_session_init(&g.session, 0);
	if (ret != VACCEL_OK) {
		g.session_err = ret;
		/* tried again after the pause */
		atomic_store(&g.pause_until, now_ms() + g.retry_ms);
		if (g.fallback == FALLBACK_LOCAL &&
		    !atomic_exchange(&g.warned, true))
			say("no vAccel session (%s); calls run locally, the "
			    "agent is tried again every %u ms",
			    vaccel_strerror(ret), g.retry_ms);
		return;
	}
	atomic_store(&g.have_session, true);
}

static bool session_ready(void)
{
	if (atomic_load(&g.have_session))
		return true;
	pthread_mutex_lock(&g.session_lock);
	if (!atomic_load(&g.have_session))
		open_session();
	pthread_mutex_unlock(&g.session_lock);
	return atomic_load(&g.have_session);
}

/* inout bytes kept across a remote call */
#define SHIM_KEEP_MAX (256 * 1024)

static void save_inout(const struct vaccel_op_desc *d,
		       struct vaccel_oparg *a, unsigned char *keep,
		       bool restore)
{
	for (uint32_t i = 0; i < d->nr_args; i++) {
		if (d->args[i].kind != VACCEL_ARGK_INOUT || !a[i].len ||
		    (d->args[i].unread && d->args[i].unread(a)))
			continue;
		if (restore)
			memcpy(a[i].buf, keep, a[i].len);
		else
			memcpy(keep, a[i].buf, a[i].len);
		keep += a[i].len;
	}
}

int shim_call(struct shim_fn *f, uint32_t op_id, struct vaccel_oparg *a,
	      uint32_t nr_args)
{
	struct shim_stats *st = shim_stats();
	uint64_t *c = st->c[f - shim_fns];
	const struct vaccel_op_desc *d = vaccel_op_desc_by_id(op_id);
	if (!d || d->nr_args != nr_args)
		return -1;
	uint64_t out = 0, in = 0;
	for (uint32_t i = 0; i < nr_args; i++) {
		const struct vaccel_op_argdesc *ad = &d->args[i];
		if (ad->kind != VACCEL_ARGK_IN && ad->kind != VACCEL_ARGK_OUT &&
		    ad->kind != VACCEL_ARGK_INOUT)
			continue;
		int64_t n = ad->nelems ? ad->nelems(a) : -1;
		size_t es = vaccel_op_elem_size(d, a, i);
		if (n < 0 || !es || (uint64_t)n > UINT64_MAX / es)
			return -1; /* the local library handles it */
		a[i].len = (uint64_t)n * es;
		if (!a[i].len)
			a[i].buf = NULL;
		/* an inout array the op overwrites whole is not sent */
		bool read = ad->kind == VACCEL_ARGK_IN ||
			    (ad->kind == VACCEL_ARGK_INOUT &&
			     !(ad->unread && ad->unread(a)));
		if (read)
			out += a[i].len;
		if (ad->kind != VACCEL_ARGK_IN)
			in += a[i].len;
	}
	uint64_t pause = atomic_load_explicit(&g.pause_until,
					      memory_order_relaxed);
	uint64_t unsup = atomic_load_explicit(&f->unsupported_until,
					      memory_order_relaxed);
	if ((pause || unsup) && now_ms() < (pause > unsup ? pause : unsup))
		return -1;
	bool have = session_ready();
	int ret = g.session_err;
	if (have) {
		/* a reply cut short may leave inout arrays partly written;
		 * small ones are kept so the local fallback starts from the
		 * caller's values (large calls travel in a memfd, copied
		 * back only once complete) */
		uint64_t inout = 0;
		for (uint32_t i = 0; i < nr_args; i++)
			if (d->args[i].kind == VACCEL_ARGK_INOUT &&
			    !(d->args[i].unread && d->args[i].unread(a)))
				inout += a[i].len;
		unsigned char *keep = NULL;
		if (inout && inout <= SHIM_KEEP_MAX) {
			keep = malloc(inout);
			if (!keep)
				return -1;
			save_inout(d, a, keep, false);
		}
		shim_depth++;
		ret = vaccel_op_call(&g.session, op_id, a, nr_args);
		shim_depth--;
		if (ret == VACCEL_EIO) {
			if (inout > SHIM_KEEP_MAX) {
				say("%s: the agent was lost while writing "
				    "this call's outputs; the caller's arrays "
				    "are partly overwritten and it cannot run "
				    "locally",
				    f->name);
				abort();
			}
			if (keep)
				save_inout(d, a, keep, true);
		}
		free(keep);
	}
	if (ret == VACCEL_OK) {
		c[SHIM_C_OFFLOADED]++;
		c[SHIM_C_BYTES_OUT] += out;
		c[SHIM_C_BYTES_IN] += in;
		return 0;
	}
	c[SHIM_C_FAILED]++;
	if (g.fallback == FALLBACK_FAIL) {
		say("%s: %s (%s) and VACCEL_SHIM_FALLBACK=fail", f->name,
		    have ? "remote call failed" : "no vAccel session",
		    vaccel_strerror(ret));
		abort();
	}
	if (ret == VACCEL_ENOTSUP && have)
		/* the agent has no backend for it: ask again much later */
		atomic_store(&f->unsupported_until,
			     now_ms() + 60 * (uint64_t)g.retry_ms);
	else if (ret != VACCEL_ENOTSUP && ret != VACCEL_EINVAL)
		atomic_store(&g.pause_until, now_ms() + g.retry_ms);
	if (!atomic_exchange(&g.warned, true))
		say("%s: remote call failed (%s); running locally%s", f->name,
		    vaccel_strerror(ret),
		    ret != VACCEL_ENOTSUP && ret != VACCEL_EINVAL
			    ? " (remote retried after VACCEL_SHIM_RETRY_MS)"
			    : "");
	return -1;
}

/* ---- argument errors ---------------------------------------------------- */

void shim_xerbla(struct shim_fn *f, int info)
{
	shim_stats()->c[f - shim_fns][SHIM_C_ERRORS]++;
	/* the global scope's xerbla_: the program's own if it has one (the
	 * reference testers do), else the BLAS library's */
	void (*xerbla)(const char *, const int *, size_t) =
		(void (*)(const char *, const int *, size_t))get_real_dlsym()(
			RTLD_DEFAULT, "xerbla_");
	if (!xerbla) {
		say(" ** On entry to %s parameter number %d had an illegal "
		    "value",
		    f->xname, info);
		return;
	}
	shim_depth++;
	xerbla(f->xname, &info, strlen(f->xname));
	shim_depth--;
}

void shim_cblas_xerbla(struct shim_fn *f, int pos, int raw, bool row_major)
{
	shim_stats()->c[f - shim_fns][SHIM_C_ERRORS]++;
	void *(*dsym)(void *, const char *) = get_real_dlsym();
	void (*cx)(int, const char *, const char *, ...) =
		(void (*)(int, const char *, const char *, ...))dsym(
			RTLD_DEFAULT, "cblas_xerbla");
	int *rms = dsym(RTLD_DEFAULT, "RowMajorStrg");
	if (!cx) {
		say("Parameter %d to routine %s was incorrect", pos, f->name);
		return;
	}
	shim_depth++;
	if (rms) {
		*rms = row_major;
		cx(raw, f->name, "");
		*rms = 0;
	} else {
		cx(pos, f->name, "");
	}
	shim_depth--;
}

/* ---- dlsym -------------------------------------------------------------- */

/*
 * Interposers of every api preloaded into a process register here; the
 * first preloaded shim's registry (and dlsym) serves them all, since the
 * registration call binds to the first definition in the global scope.
 */
#define SHIM_MAX_APIS 8
static const struct shim_api *_Atomic apis[SHIM_MAX_APIS];

SHIM_EXPORT void vaccel_shim_register(const struct shim_api *api)
{
	for (int i = 0; i < SHIM_MAX_APIS; i++) {
		const struct shim_api *expected = NULL;
		if (atomic_compare_exchange_strong(&apis[i], &expected, api) ||
		    expected == api)
			return;
	}
}

__attribute__((constructor(101))) static void shim_register_self(void)
{
	vaccel_shim_register(&shim_api);
}

/*
 * The dlsym path runs before a sanitizer runtime preloaded ahead of the
 * shim has set itself up (it looks up its interceptors through dlsym):
 * it must not be instrumented.
 */
#define SHIM_NO_SANITIZE __attribute__((no_sanitize("address", "undefined")))

SHIM_NO_SANITIZE static struct shim_fn *find_fn(const char *name)
{
	for (int i = 0; i < SHIM_MAX_APIS; i++) {
		const struct shim_api *api = atomic_load(&apis[i]);
		if (!api)
			break;
		size_t lo = 0, hi = api->nr_fns;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			struct shim_fn *f = &api->fns[api->sorted[mid]];
			int c = strcmp(name, f->name);
			if (!c)
				return f;
			if (c < 0)
				hi = mid;
			else
				lo = mid + 1;
		}
	}
	return NULL;
}

/* Called by name by the asm entry below; not static. */
void *(*vaccel_shim_real_dlsym)(void *, const char *)
	__attribute__((visibility("hidden")));

SHIM_NO_SANITIZE __attribute__((visibility("hidden"))) void *(
	*vaccel_shim_dlsym_resolve(void))(void *, const char *)
{
	void *(*p)(void *, const char *) = vaccel_shim_real_dlsym;
	if (p)
		return p;
	p = (void *(*)(void *, const char *))dlvsym(RTLD_NEXT, "dlsym",
						    "GLIBC_2.34");
	if (!p)
		p = (void *(*)(void *, const char *))dlvsym(RTLD_NEXT, "dlsym",
							    "GLIBC_2.2.5");
	if (!p)
		abort();
	__atomic_store_n(&vaccel_shim_real_dlsym, p, __ATOMIC_RELEASE);
	return p;
}

static void *(*get_real_dlsym(void))(void *, const char *)
{
	return vaccel_shim_dlsym_resolve();
}

SHIM_NO_SANITIZE static bool is_ilp64_name(const char *name)
{
	size_t n = strlen(name);
	if (n < 4 || strcmp(name + n - 3, "64_"))
		return false;
	char base[128];
	if (n - 3 >= sizeof(base) - 1)
		return false;
	memcpy(base, name, n - 3);
	base[n - 3] = '\0';
	/* sgemm_64_ -> sgemm_; cblas_sgemm64_ -> cblas_sgemm */
	if (find_fn(base))
		return true;
	if (n - 3 > 0 && base[n - 4] == '_')
		base[n - 4] = '\0';
	return find_fn(base) != NULL;
}

/* dlsym(handle, name) for every handle but RTLD_NEXT. */
SHIM_NO_SANITIZE __attribute__((visibility("hidden"))) void *
vaccel_shim_dlsym_c(void *handle, const char *name)
{
	void *p = vaccel_shim_dlsym_resolve()(handle, name);
	if (!name)
		return p;
	struct shim_fn *f = find_fn(name);
	if (!f) {
		/* found or not, the lookup is the caller asking for ILP64 */
		if (is_ilp64_name(name))
			atomic_fetch_add(&g.ilp64_lookups, 1);
		return p;
	}
	if (!p || p == f->wrapper)
		return p;
	/* the library behind this handle is the one this caller means */
	void *expected = NULL;
	atomic_compare_exchange_strong(&f->real, &expected, p);
	return f->wrapper;
}

#if defined(__x86_64__)
/*
 * dlsym(RTLD_NEXT, ...) searches after the object of its caller, which it
 * finds from the return address: that request is passed on by a jump, so
 * the real dlsym sees the original caller. Everything else goes to
 * vaccel_shim_dlsym_c.
 */
__asm__(".text\n"
	".globl dlsym\n"
	".type dlsym, @function\n"
	"dlsym:\n"
	"	cmpq $-1, %rdi\n"
	"	jne vaccel_shim_dlsym_c\n"
	"	movq vaccel_shim_real_dlsym(%rip), %rax\n"
	"	testq %rax, %rax\n"
	"	jz 1f\n"
	"	jmp *%rax\n"
	"1:	pushq %rdi\n"
	"	pushq %rsi\n"
	"	subq $8, %rsp\n"
	"	call vaccel_shim_dlsym_resolve\n"
	"	addq $8, %rsp\n"
	"	popq %rsi\n"
	"	popq %rdi\n"
	"	jmp *%rax\n"
	".size dlsym, .-dlsym\n");
#else
SHIM_EXPORT void *dlsym(void *handle, const char *name)
{
	/* without the jump, RTLD_NEXT is resolved relative to the shim */
	return vaccel_shim_dlsym_c(handle, name);
}
#endif
