// SPDX-License-Identifier: Apache-2.0
/*
 * Runtime shared by the generated interposers of every api family: policy
 * from the environment (the classes offloaded are the family's), the
 * session calls go through, local symbol resolution, the exit report, and
 * the dlsym interposer that catches ctypes/cffi lookups.
 */
#include "shim.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <vaccel/remote.h>

struct shim_policy shim_policy;
SHIM_TLS _Thread_local int shim_depth;
SHIM_TLS _Thread_local struct shim_stats *shim_tstats;

enum fallback { FALLBACK_LOCAL, FALLBACK_FAIL };
enum report_state { REPORT_NONE, REPORT_WRITING, REPORT_DONE };
typedef void exit_fn(int);

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
	/* lookups through dlsym of names the family passes through (BLAS:
	 * ILP64 spellings), counted by the shim whose dlsym served them */
	_Atomic uint64_t foreign_lookups;
	/* the process the counters belong to: a vfork child shares them
	 * with its parent and must not report them as its own */
	pid_t pid;
	/* enum report_state: one report per process, however it ends */
	_Atomic int report_state;
	/* the next _exit, _Exit and quick_exit (another shim's or libc's),
	 * resolved at load time: looking them up on the way out could take
	 * the loader's locks in a vfork child */
	exit_fn *_Atomic real_exit;
	exit_fn *_Atomic real_Exit;
	exit_fn *_Atomic real_quick_exit;
} g = { .session_lock = PTHREAD_MUTEX_INITIALIZER, .retry_ms = 1000 };

#define TAG "vaccel-shim-%s: "

void shim_say(const char *fmt, ...)
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

/* The bits of a comma-separated list of class names, "all" or "none". */
static unsigned int parse_classes(const char *what, const char *v)
{
	unsigned int all = 0;
	char names[128] = "";
	for (unsigned int i = 0; shim_classes[i] && i < 32; i++) {
		if (!*shim_classes[i])
			continue;
		all |= 1u << i;
		size_t l = strlen(names);
		snprintf(names + l, sizeof(names) - l, "%s, ", shim_classes[i]);
	}
	if (!strcmp(v, "all"))
		return all;
	if (!strcmp(v, "none"))
		return 0;
	unsigned int m = 0;
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", v);
	for (char *save, *t = strtok_r(buf, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		unsigned int i = 0;
		while (shim_classes[i] && i < 32 &&
		       !(*shim_classes[i] && !strcmp(t, shim_classes[i])))
			i++;
		if (shim_classes[i] && i < 32)
			m |= 1u << i;
		else
			shim_say("%s: '%s' is not %sall or none; ignored", what,
				 t, names);
	}
	return m;
}

static void report_once(void);
static void reset_in_child(void);
static exit_fn *next_exit(exit_fn *_Atomic *slot, const char *name);

__attribute__((constructor)) static void shim_init(void)
{
	/* now, not on the way out (g.real_exit says why) */
	next_exit(&g.real_exit, "_exit");
	next_exit(&g.real_Exit, "_Exit");
	next_exit(&g.real_quick_exit, "quick_exit");
	const char *v = getenv("VACCEL_SHIM_MIN_FLOPS");
	double min = 2e6;
	if (v && *v) {
		char *end;
		errno = 0;
		double d = strtod(v, &end);
		if (errno || *end || !(d >= 0))
			shim_say(
			    "VACCEL_SHIM_MIN_FLOPS='%s' is not a number >= 0; "
			    "using %g",
			    v, min);
		else
			min = d;
	}
	/* 0 offloads everything, including calls whose dimensions are
	 * invalid (their errors are then reported by the shim's checks) */
	shim_policy.min_flops = min > 0 ? min : -INFINITY;
	/* the default intensity is scripts/bench `cost`'s calibration
	 * (docs/performance.md); VACCEL_SHIM_MIN_FLOPS=0, "offload
	 * everything", turns it off unless it is given */
	double intensity = min > 0 ? SHIM_DEFAULT_MIN_INTENSITY : 0;
	v = getenv("VACCEL_SHIM_MIN_INTENSITY");
	if (v && *v) {
		char *end;
		errno = 0;
		double d = strtod(v, &end);
		if (errno || *end || !(d >= 0) || d == INFINITY)
			shim_say(
			    "VACCEL_SHIM_MIN_INTENSITY='%s' is not a number "
			    ">= 0 (flops per byte moved); using %g",
			    v, intensity);
		else
			intensity = d;
	}
	shim_policy.min_intensity = intensity;
	v = getenv("VACCEL_SHIM_FALLBACK");
	if (v && !strcmp(v, "fail"))
		g.fallback = FALLBACK_FAIL;
	else if (v && *v && strcmp(v, "local"))
		shim_say(
		    "VACCEL_SHIM_FALLBACK='%s' is not local or fail; using "
		    "local",
		    v);
	v = getenv("VACCEL_SHIM_RETRY_MS");
	if (v && *v) {
		char *end;
		errno = 0;
		unsigned long ms = strtoul(v, &end, 10);
		if (errno || *end || v[0] == '-' || ms > 3600000)
			shim_say(
			    "VACCEL_SHIM_RETRY_MS='%s' is not a number of ms "
			    "up to 3600000; using %u",
			    v, g.retry_ms);
		else
			g.retry_ms = (unsigned int)ms;
	}
	v = getenv("VACCEL_SHIM_REPORT");
	if (v && *v && strcmp(v, "0")) {
		g.pid = getpid();
		g.report = v;
		/* atexit, not a destructor: runs on exit() before libraries
		 * are torn down; _exit, _Exit and quick_exit, which run no
		 * handlers, report through their interposers below */
		atexit(report_once);
		int err = pthread_atfork(NULL, NULL, reset_in_child);
		if (err)
			shim_say("pthread_atfork: %s; forked children will not "
				 "report",
				 strerror(err));
	}
	/* last: from here on calls may be offloaded */
	atomic_thread_fence(memory_order_seq_cst);
	const struct shim_family *fam = shim_api.family;
	v = getenv(fam->classes_env);
	shim_policy.classes =
	    v && *v ? parse_classes(fam->classes_env, v)
		    : parse_classes(fam->name, fam->default_classes);
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
			shim_say("out of memory for the call counters");
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
	return atomic_load(&g.foreign_lookups) != 0;
}

/*
 * The report is written on the way out of a process, possibly from _exit
 * while other threads hold stdio's or malloc's locks: it is formatted
 * here by hand into a static buffer (one report per process uses it) and
 * written with one write(2), O_APPEND for a file, so that the reports of
 * processes ending at once do not interleave.
 */
#define REPORT_MAX (128 * 1024)
/* room kept for the lines after the functions' */
#define REPORT_TAIL 1024

struct text {
	char *buf;
	size_t len;
	size_t cap;
};

static void put_str(struct text *t, const char *s)
{
	while (*s && t->len < t->cap)
		t->buf[t->len++] = *s++;
}

static void put_u64(struct text *t, const char *key, uint64_t v)
{
	char d[20];
	int n = 0;
	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put_str(t, " ");
	put_str(t, key);
	put_str(t, "=");
	while (n && t->len < t->cap)
		t->buf[t->len++] = d[--n];
}

static void put_prefix(struct text *t)
{
	put_str(t, "vaccel-shim-");
	put_str(t, shim_api.name);
	put_str(t, ": ");
}

static void put_counters(struct text *t, const uint64_t c[SHIM_C_NR])
{
	put_u64(t, "caught",
		c[SHIM_C_LOCAL] + c[SHIM_C_OFFLOADED] + c[SHIM_C_ERRORS]);
	put_u64(t, "offloaded", c[SHIM_C_OFFLOADED]);
	put_u64(t, "local", c[SHIM_C_LOCAL]);
	put_u64(t, "failed", c[SHIM_C_FAILED]);
	put_u64(t, "errors", c[SHIM_C_ERRORS]);
	put_u64(t, "bytes_out", c[SHIM_C_BYTES_OUT]);
	put_u64(t, "bytes_in", c[SHIM_C_BYTES_IN]);
	put_str(t, "\n");
}

/* The text of this process's report into t. */
static void report_format(struct text *t)
{
	uint64_t tot[SHIM_C_NR] = { 0 };
	unsigned int left_out = 0;
	put_prefix(t);
	put_str(t, "report");
	put_u64(t, "pid", (uint64_t)getpid());
	put_str(t, "\n");
	/* a line that does not fit whole is left out, and the lines after
	 * the functions' always fit */
	size_t cap = t->cap;
	t->cap -= REPORT_TAIL;
	for (unsigned int i = 0; i < shim_api.nr_fns; i++) {
		uint64_t c[SHIM_C_NR] = { 0 };
		for (struct shim_stats *s = atomic_load(&g.stats); s;
		     s = s->next)
			for (int k = 0; k < SHIM_C_NR; k++)
				c[k] += s->c[i][k];
		for (int k = 0; k < SHIM_C_NR; k++)
			tot[k] += c[k];
		if (!(c[SHIM_C_LOCAL] + c[SHIM_C_OFFLOADED] + c[SHIM_C_ERRORS]))
			continue;
		size_t mark = t->len;
		put_prefix(t);
		put_str(t, "fn=");
		put_str(t, shim_api.fns[i].name);
		put_counters(t, c);
		if (t->len == t->cap) {
			t->len = mark;
			left_out++;
		}
	}
	t->cap = cap;
	if (left_out) {
		put_prefix(t);
		put_str(t, "report too long:");
		put_u64(t, "fn_lines_left_out", left_out);
		put_str(t, "\n");
	}
	uint64_t ilp = atomic_load(&g.foreign_lookups);
	if (ilp) {
		put_prefix(t);
		put_str(t, "unsupported");
		put_u64(t, shim_api.family->foreign_label, ilp);
		put_str(t, "\n");
	}
	put_prefix(t);
	put_str(t, "total");
	put_counters(t, tot);
}

/* glibc's strerror translates, which may take gettext's locks: not on
 * the way out */
static const char *errdesc(int err)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 32)
	const char *s = strerrordesc_np(err);
	return s ? s : "unknown error";
#else
	return strerror(err);
#endif
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int report_write(void)
{
	static char buf[REPORT_MAX];
	struct text t = { .buf = buf, .cap = sizeof(buf) };
	report_format(&t);
	int fd = STDERR_FILENO;
	if (g.report[0] == '/') {
		fd = open(g.report, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
			  0666);
		if (fd < 0) {
			int err = errno;
			shim_say("cannot open report file %s: %s", g.report,
				 errdesc(err));
			return -1;
		}
	}
	int ret = write_all(fd, t.buf, t.len);
	if (ret) {
		int err = errno;
		shim_say("cannot write the report to %s: %s",
			 fd == STDERR_FILENO ? "stderr" : g.report,
			 errdesc(err));
	}
	if (fd != STDERR_FILENO)
		close(fd);
	return ret;
}

/*
 * At exit(), _exit(), _Exit() or quick_exit(): the report, once. Not in
 * a child that shares its parent's memory (vfork: the counters and the
 * flag are the parent's), and not for a process that called nothing
 * (helpers the program runs, a shell, timeout, inherit LD_PRELOAD).
 */
static void report_once(void)
{
	if (!g.report || getpid() != g.pid)
		return;
	int state = REPORT_NONE;
	if (!atomic_compare_exchange_strong(&g.report_state, &state,
					    REPORT_WRITING)) {
		/* another thread is writing it (exit() there, _exit() here):
		 * the process must not end under it, but a writer stuck on a
		 * full pipe must not keep it either */
		struct timespec ms = { .tv_nsec = 1000000 };
		for (int i = 0; i < 2000 && atomic_load(&g.report_state) ==
						    REPORT_WRITING;
		     i++)
			nanosleep(&ms, NULL);
		return;
	}
	if (anything_caught())
		(void)report_write();
	atomic_store(&g.report_state, REPORT_DONE);
}

/*
 * A forked child inherits its parent's counts and, when the parent had
 * already reported, the flag: it starts from zero, so that its report
 * (at its own exit) holds its own calls only. Runs in the child before
 * fork() returns there, with the forking thread the only one: nothing
 * else touches the counters.
 */
static void reset_in_child(void)
{
	size_t sz = shim_api.nr_fns * sizeof(uint64_t[SHIM_C_NR]);
	for (struct shim_stats *s = atomic_load(&g.stats); s; s = s->next)
		memset(s->c, 0, sz);
	atomic_store(&g.foreign_lookups, 0);
	g.pid = getpid();
	atomic_store(&g.report_state, REPORT_NONE);
}

/* ---- the ways out that run no exit handlers --------------------------- */

static void *(*get_real_dlsym(void))(void *, const char *);

/* The next definition after this shim: with several shims preloaded each
 * one's interposer reports and passes on to the next. */
static exit_fn *next_exit(exit_fn *_Atomic *slot, const char *name)
{
	exit_fn *p = atomic_load(slot);
	if (p)
		return p;
	p = (exit_fn *)get_real_dlsym()(RTLD_NEXT, name);
	atomic_store(slot, p);
	return p;
}

static _Noreturn void leave(exit_fn *_Atomic *slot, const char *name,
			    int status)
{
	report_once();
	exit_fn *next = next_exit(slot, name);
	if (next)
		next(status);
	/* no next definition (it cannot be looked up): end the process
	 * as _exit would */
	for (;;)
		syscall(SYS_exit_group, status);
}

/* os._exit of Python (multiprocessing's workers and every child it forks
 * leave through it), and what programs call after fork() */
SHIM_EXPORT void _exit(int status)
{
	leave(&g.real_exit, "_exit", status);
}

SHIM_EXPORT void _Exit(int status)
{
	leave(&g.real_Exit, "_Exit", status);
}

/* the report comes before the at_quick_exit handlers run: what they call
 * is not in it */
SHIM_EXPORT void quick_exit(int status)
{
	leave(&g.real_quick_exit, "quick_exit", status);
}

/* ---- the local library -------------------------------------------------- */

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
		shim_say(
		    "%s: no local library provides it (looked in the global "
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
			shim_say(
			    "no vAccel session (%s); calls run locally, the "
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

struct vaccel_session *shim_session(void)
{
	uint64_t pause = atomic_load_explicit(&g.pause_until,
					      memory_order_relaxed);
	if (pause && now_ms() < pause)
		return NULL;
	return session_ready() ? &g.session : NULL;
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

/*
 * The bytes a call moves each way, as the transport sends them: buffers
 * that overlap travel as one region, sent whole and, if any member is
 * written, returned whole (the codec's alias plan); any other buffer out
 * if read, back if written.
 */
#define SHIM_MAX_BUFS 32
struct span {
	uintptr_t lo, hi;
	bool read, written;
};

static void moved_bytes(struct span *s, unsigned int n, uint64_t *out,
			uint64_t *in)
{
	/* insertion sort by start: a handful of arguments */
	for (unsigned int i = 1; i < n; i++)
		for (unsigned int j = i; j > 0 && s[j].lo < s[j - 1].lo; j--) {
			struct span t = s[j];
			s[j] = s[j - 1];
			s[j - 1] = t;
		}
	*out = *in = 0;
	for (unsigned int i = 0; i < n;) {
		struct span g = s[i];
		unsigned int members = 1;
		for (i++; i < n && s[i].lo < g.hi; i++, members++) {
			g.hi = s[i].hi > g.hi ? s[i].hi : g.hi;
			g.read |= s[i].read;
			g.written |= s[i].written;
		}
		if (g.read || members > 1)
			*out += g.hi - g.lo;
		if (g.written)
			*in += g.hi - g.lo;
	}
}

int shim_call(struct shim_fn *f, uint32_t op_id, struct vaccel_oparg *a,
	      uint32_t nr_args, double cost)
{
	struct shim_stats *st = shim_stats();
	uint64_t *c = st->c[f - shim_fns];
	const struct vaccel_op_desc *d = vaccel_op_desc_by_id(op_id);
	if (!d || d->nr_args != nr_args)
		return -1;
	uint64_t out = 0, in = 0;
	struct span spans[SHIM_MAX_BUFS];
	unsigned int nr_spans = 0;
	for (uint32_t i = 0; i < nr_args; i++) {
		const struct vaccel_op_argdesc *ad = &d->args[i];
		if (ad->kind != VACCEL_ARGK_IN && ad->kind != VACCEL_ARGK_OUT &&
		    ad->kind != VACCEL_ARGK_INOUT)
			continue;
		if (nr_spans == SHIM_MAX_BUFS)
			return -1; /* no spec has so many */
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
		if (a[i].len)
			spans[nr_spans++] = (struct span){
			    .lo = (uintptr_t)a[i].buf,
			    .hi = (uintptr_t)a[i].buf + a[i].len,
			    .read = read,
			    .written = ad->kind != VACCEL_ARGK_IN};
	}
	moved_bytes(spans, nr_spans, &out, &in);
	/* not worth the bytes it would move */
	if (cost < shim_policy.min_intensity * (double)(out + in))
		return -1;
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
		/* the lengths are the rules' (above) */
		ret = vaccel_op_call_sized(&g.session, op_id, a, nr_args);
		shim_depth--;
		if (ret == VACCEL_EIO) {
			if (inout > SHIM_KEEP_MAX) {
				shim_say(
				    "%s: the agent was lost while writing "
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
		/* tensors (images) too, in the report: they are not weighed
		 * by min_intensity, whose calibration is the buffers' */
		for (uint32_t i = 0; i < nr_args; i++) {
			enum vaccel_arg_kind k = d->args[i].kind;
			if (k != VACCEL_ARGK_TENSORS_IN &&
			    k != VACCEL_ARGK_TENSORS_OUT)
				continue;
			const struct vaccel_tensor *t = a[i].buf;
			for (uint64_t j = 0; j < a[i].len; j++) {
				if (k == VACCEL_ARGK_TENSORS_IN)
					out += t[j].size;
				else
					in += t[j].size;
			}
		}
		c[SHIM_C_OFFLOADED]++;
		c[SHIM_C_BYTES_OUT] += out;
		c[SHIM_C_BYTES_IN] += in;
		return 0;
	}
	c[SHIM_C_FAILED]++;
	if (g.fallback == FALLBACK_FAIL) {
		shim_say("%s: %s (%s) and VACCEL_SHIM_FALLBACK=fail", f->name,
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
		shim_say("%s: remote call failed (%s); running locally%s",
			 f->name, vaccel_strerror(ret),
			 ret != VACCEL_ENOTSUP && ret != VACCEL_EINVAL
			     ? " (remote retried after VACCEL_SHIM_RETRY_MS)"
			     : "");
	return -1;
}

/* ---- the local library's other symbols -------------------------------- */

void *shim_local_sym(struct shim_fn *f, const char *name)
{
	void *(*dsym)(void *, const char *) = get_real_dlsym();
	void *p = dsym(RTLD_DEFAULT, name);
	Dl_info info;
	if (p || !dladdr(shim_real(f), &info) || !info.dli_fname)
		return p;
	void *h = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
	if (h) {
		p = dsym(h, name);
		dlclose(h);
	}
	return p;
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

/* A name some registered api's family passes through (BLAS: ILP64). */
SHIM_NO_SANITIZE static bool is_foreign_name(const char *name)
{
	for (int i = 0; i < SHIM_MAX_APIS; i++) {
		const struct shim_api *api = atomic_load(&apis[i]);
		if (!api)
			break;
		if (api->family->foreign && api->family->foreign(name, find_fn))
			return true;
	}
	return false;
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
		/* found or not, the lookup is the caller asking for what the
		 * shim passes through */
		if (is_foreign_name(name))
			atomic_fetch_add(&g.foreign_lookups, 1);
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
