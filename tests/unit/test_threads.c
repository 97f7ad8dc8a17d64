// SPDX-License-Identifier: Apache-2.0
/* Many threads at once: sessions, a shared resource, op calls, plugin
 * loads and the first-use bootstrap. */
#include "common.h"
#include "noop_pattern.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NR_THREADS 16
#define ROUNDS 10
#define CALLS_PER_ROUND 100

struct shared {
	pthread_barrier_t start;
	struct vaccel_resource *res;
	atomic_int errors;
	atomic_int calls;
	/* session ids seen, to check they are distinct */
	vaccel_id_t ids[NR_THREADS * ROUNDS];
	atomic_int nr_ids;
	/* first failure, for the report */
	atomic_int first_error;
	/* hands out thread numbers, to stagger the first calls */
	atomic_int next_thread;
};

static void fail(struct shared *sh, int ret)
{
	int zero = 0;
	atomic_fetch_add(&sh->errors, 1);
	atomic_compare_exchange_strong(&sh->first_error, &zero, ret);
}

/* One call of each flavour: plain, wrapped with computed sizes, checked
 * with a resource. */
static int one_call(struct vaccel_session *s, struct vaccel_resource *res,
		    int i)
{
	switch (i % 3) {
	case 0:
		return vaccel_noop(s);
	case 1: {
		float a[4] = {1, 2, 3, 4}, b[4] = {1, 0, 0, 1}, c[4];
		int ret = vaccel_sgemm(s, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2);
		const uint8_t *cb = (const uint8_t *)c;
		for (size_t j = 0; !ret && j < sizeof(c); j++)
			if (cb[j] != vaccel_noop_byte(VACCEL_OPID_GEMM,
						      VACCEL_GEMM_C, j))
				ret = VACCEL_EBACKEND;
		return ret;
	}
	default: {
		uint8_t out[8];
		struct vaccel_arg w = {.size = sizeof(out), .buf = out};
		int ret =
		    vaccel_exec_with_resource(s, res, "f", NULL, 0, &w, 1);
		if (!ret && out[7] != vaccel_noop_byte(
					  VACCEL_OPID_EXEC_WITH_RESOURCE,
					  VACCEL_EXEC_WITH_RESOURCE_WRITE, 7))
			ret = VACCEL_EBACKEND;
		return ret;
	}
	}
}

static void *worker(void *arg)
{
	struct shared *sh = arg;
	int me = atomic_fetch_add(&sh->next_thread, 1);
	pthread_barrier_wait(&sh->start);
	/* Staggered starts: some threads arrive while another one is still
	 * bootstrapping (loading plugins), not only before or after. */
	struct timespec ts = {0, me * 25000L};
	nanosleep(&ts, NULL);
	for (int r = 0; r < ROUNDS; r++) {
		struct vaccel_session s;
		int ret = vaccel_session_init(&s, 0);
		if (ret) {
			fail(sh, ret);
			continue;
		}
		sh->ids[atomic_fetch_add(&sh->nr_ids, 1)] = s.id;
		ret = vaccel_resource_register(sh->res, &s);
		if (ret)
			fail(sh, ret);
		for (int i = 0; i < CALLS_PER_ROUND; i++) {
			ret = one_call(&s, sh->res, i);
			if (ret)
				fail(sh, ret);
			atomic_fetch_add(&sh->calls, 1);
		}
		/* half unregister explicitly, half leave it to release */
		if (r % 2 && (ret = vaccel_resource_unregister(sh->res, &s)))
			fail(sh, ret);
		if ((ret = vaccel_session_release(&s)))
			fail(sh, ret);
	}
	return NULL;
}

static void run_workers(struct shared *sh)
{
	pthread_t t[NR_THREADS];
	cr_assert_eq(pthread_barrier_init(&sh->start, NULL, NR_THREADS), 0);
	for (int i = 0; i < NR_THREADS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, worker, sh), 0);
	for (int i = 0; i < NR_THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&sh->start);
}

static void check_results(struct shared *sh)
{
	int first = atomic_load(&sh->first_error);
	cr_expect_eq(atomic_load(&sh->errors), 0, "%d failures, the first %s",
		     atomic_load(&sh->errors), vaccel_error_to_str(first));
	cr_expect_eq(atomic_load(&sh->calls),
		     NR_THREADS * ROUNDS * CALLS_PER_ROUND);
	int n = atomic_load(&sh->nr_ids);
	cr_expect_eq(n, NR_THREADS * ROUNDS);
	for (int i = 0; i < n; i++) {
		cr_expect_gt(sh->ids[i], 0);
		for (int j = 0; j < i; j++)
			cr_assert_neq(sh->ids[i], sh->ids[j],
				      "session id %lld handed out twice",
				      (long long)sh->ids[i]);
	}
	cr_expect_eq(vaccel_resource_refcount(sh->res), 0);
}

Test(threads, sessions_resource_and_calls, .init = test_boot_noop,
     .fini = test_cleanup, .timeout = 60)
{
	static struct shared sh;
	struct vaccel_resource res;
	assert_ok(vaccel_resource_init_from_buf(&res, "shared", 6,
						VACCEL_RESOURCE_LIB, "lib.so"));
	sh.res = &res;
	run_workers(&sh);
	check_results(&sh);
	assert_ok(vaccel_resource_release(&res));
}

/* No explicit bootstrap: all threads race to the first use. */
Test(threads, concurrent_first_use, .timeout = 60, .fini = test_cleanup)
{
	test_env_clear();
	setenv("VACCEL_PLUGINS", test_noop_path(), 1);
	cr_assert(!vaccel_is_initialized());
	static struct shared sh;
	struct vaccel_resource res;
	/* the resource does not bootstrap; the threads' sessions do */
	assert_ok(vaccel_resource_init_from_buf(&res, "shared", 6,
						VACCEL_RESOURCE_LIB, "lib.so"));
	sh.res = &res;
	run_workers(&sh);
	check_results(&sh);
	cr_expect_eq(vaccel_plugin_count(), 1, "noop loaded more than once");
	assert_ok(vaccel_resource_release(&res));
}

/* Plugins load while calls are in flight: the dispatch table is swapped
 * under the callers' feet. */
struct loader_arg {
	pthread_barrier_t *start;
	atomic_bool *done;
	atomic_int *errors;
};

static void *caller(void *arg)
{
	struct loader_arg *la = arg;
	struct vaccel_session s;
	if (vaccel_session_init(&s, 0)) {
		atomic_fetch_add(la->errors, 1);
		return NULL;
	}
	pthread_barrier_wait(la->start);
	while (!atomic_load(la->done))
		if (vaccel_noop(&s))
			atomic_fetch_add(la->errors, 1);
	vaccel_session_release(&s);
	return NULL;
}

Test(threads, plugin_loads_during_calls, .init = test_boot_noop,
     .fini = test_cleanup, .timeout = 60)
{
	enum { CALLERS = 4 };
	pthread_barrier_t start;
	atomic_bool done = false;
	atomic_int errors = 0;
	struct loader_arg la = {&start, &done, &errors};
	pthread_t t[CALLERS];
	cr_assert_eq(pthread_barrier_init(&start, NULL, CALLERS + 1), 0);
	for (int i = 0; i < CALLERS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, caller, &la), 0);
	pthread_barrier_wait(&start);
	static const char *const names[] = {"a", "b", "minor", "hooks"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *p = test_plugin_path(names[i]);
		expect_ret(vaccel_plugin_load(p), VACCEL_OK);
		free(p);
	}
	atomic_store(&done, true);
	for (int i = 0; i < CALLERS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
	cr_expect_eq(atomic_load(&errors), 0);
	cr_expect_eq(vaccel_plugin_count(), 5);
	cr_expect_str_eq(vaccel_plugin_for_op(VACCEL_OPID_NOOP, 0), "noop");
}
