// SPDX-License-Identifier: Apache-2.0
/*
 * End-to-end through a real agent process: many client processes and
 * threads at once, clients killed mid-call, the agent killed and restarted
 * under a live client, fork, and hostile frames (the hand-made ones and
 * every file of the fuzz seed corpus) thrown at the agent while a
 * well-behaved client keeps working. Run once per transport.
 */
#include "client.h"
#include "frames.h"
#include "workload.h"
#include "noop_pattern.h"
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <arpa/inet.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <grp.h>
#include <pwd.h>
#include <libgen.h>
#include <unistd.h>

TestSuite(e2e, .init = itest_init, .fini = itest_fini, .timeout = 300);

/* ---- children ------------------------------------------------------------ */

static void write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		c += w;
		n -= (size_t)w;
	}
}

/* Read a child's result; false if it died before writing one. */
static bool read_result(int fd, struct child_result *r)
{
	size_t got = 0;
	memset(r, 0, sizeof(*r));
	while (got < sizeof(*r)) {
		ssize_t n = read(fd, (char *)r + got, sizeof(*r) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

static void child_fail(struct child_result *r, int ret, const char *what)
{
	if (!r->errors++) {
		r->first_err = ret;
		snprintf(r->what, sizeof(r->what), "%s", what);
	}
}

/* The body of a client process: a session of its own, n workload calls. */
static void child_client(int out_fd, unsigned int n, unsigned int seed)
{
	struct child_result r = {0};
	struct vaccel_session s;
	int ret = vaccel_session_init(&s, 0);
	if (ret) {
		child_fail(&r, ret, "vaccel_session_init");
	} else {
		workload_run(&s, NULL, n, seed, &r);
		ret = vaccel_session_release(&s);
		if (ret)
			child_fail(&r, ret, "vaccel_session_release");
	}
	write_all(out_fd, &r, sizeof(r));
	_exit(0);
}

static pid_t fork_child(int *rfd, void (*body)(int, unsigned int, unsigned int),
			unsigned int n, unsigned int seed)
{
	itest_need_connections("child processes with connections of their "
			       "own");
	int p[2];
	cr_assert_eq(pipe(p), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		/* never outlive the test */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		body(p[1], n, seed);
		_exit(0);
	}
	close(p[1]);
	*rfd = p[0];
	return pid;
}

static void reap_ok(pid_t pid, const char *who)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		cr_assert_eq(errno, EINTR, "waitpid: %s", strerror(errno));
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		  "%s ended with status 0x%x", who, st);
}

static void assert_clean(const struct child_result *r, unsigned int want,
			 const char *who)
{
	cr_assert_eq(r->errors, 0, "%s: %u of %u calls failed; first: %s -> %s",
		     who, r->errors, r->calls, r->what,
		     r->first_err == -1 ? "wrong output"
					: vaccel_error_to_str(r->first_err));
	if (want)
		cr_assert_eq(r->calls, want, "%s made %u calls, want %u", who,
			     r->calls, want);
}

/* Run n workload calls here and assert they all worked. */
static void calls_ok(struct vaccel_session *s, struct vaccel_resource *res,
		     unsigned int n, unsigned int seed, const char *who)
{
	struct child_result r = {0};
	workload_run(s, res, n, seed, &r);
	assert_clean(&r, n, who);
}

/* ---- many clients -------------------------------------------------------- */

#define NR_CLIENTS 32
#define CALLS_PER_CLIENT 1000

Test(e2e, concurrent_clients)
{
	itest_begin(NULL);
	pid_t pids[NR_CLIENTS];
	int fds[NR_CLIENTS];
	double t0 = itest_now_ms();
	for (int i = 0; i < NR_CLIENTS; i++)
		pids[i] = fork_child(&fds[i], child_client, CALLS_PER_CLIENT,
				     (unsigned int)i * 7919);
	for (int i = 0; i < NR_CLIENTS; i++) {
		struct child_result r;
		char who[32];
		snprintf(who, sizeof(who), "client process %d", i);
		bool got = read_result(fds[i], &r);
		close(fds[i]);
		reap_ok(pids[i], who);
		cr_assert(got, "%s died before reporting", who);
		assert_clean(&r, CALLS_PER_CLIENT, who);
	}
	cr_log_info("%d clients x %d calls over %s in %.0f ms", NR_CLIENTS,
		    CALLS_PER_CLIENT, itest_agent.client_url,
		    itest_now_ms() - t0);
	cr_assert(agent_alive(&itest_agent));
	itest_end();
}

#define NR_THREADS 8

struct thread_arg {
	struct vaccel_session *sess;
	struct vaccel_resource *res;
	unsigned int seed;
	struct child_result r;
};

static void *thread_main(void *p)
{
	struct thread_arg *t = p;
	workload_run(t->sess, t->res, 400, t->seed, &t->r);
	return NULL;
}

Test(e2e, threads_share_sessions)
{
	itest_begin(NULL);
	struct vaccel_session s[2];
	struct vaccel_resource res;
	assert_ok(vaccel_session_init(&s[0], 0));
	assert_ok(vaccel_session_init(&s[1], 0));
	assert_ok(vaccel_resource_init_from_buf(
	    &res, "lib bytes", 9, VACCEL_RESOURCE_LIB, "libshared.so"));
	assert_ok(vaccel_resource_register(&res, &s[0]));
	assert_ok(vaccel_resource_register(&res, &s[1]));

	struct thread_arg args[NR_THREADS];
	pthread_t th[NR_THREADS];
	for (int i = 0; i < NR_THREADS; i++) {
		args[i] = (struct thread_arg){.sess = &s[i % 2],
					      .res = &res,
					      .seed = (unsigned int)i * 1000};
		cr_assert_eq(
		    pthread_create(&th[i], NULL, thread_main, &args[i]), 0);
	}
	/* control traffic from this thread meanwhile */
	for (int i = 0; i < 20; i++) {
		struct vaccel_session tmp;
		assert_ok(vaccel_session_init(&tmp, 0));
		assert_ok(vaccel_resource_register(&res, &tmp));
		assert_ok(vaccel_noop(&tmp));
		assert_ok(vaccel_session_release(&tmp));
	}
	for (int i = 0; i < NR_THREADS; i++) {
		char who[32];
		cr_assert_eq(pthread_join(th[i], NULL), 0);
		snprintf(who, sizeof(who), "thread %d", i);
		assert_clean(&args[i].r, 400, who);
	}
	assert_ok(vaccel_resource_unregister(&res, &s[0]));
	assert_ok(vaccel_resource_unregister(&res, &s[1]));
	assert_ok(vaccel_resource_release(&res));
	assert_ok(vaccel_session_release(&s[0]));
	assert_ok(vaccel_session_release(&s[1]));
	itest_end();
}

/* ---- clients killed mid-call --------------------------------------------- */

#define BIG_CALL (256ull << 20)

/* A raw client that starts a 256 MiB scal, sends 1 MiB of it, says so on
 * out_fd and waits to be killed. No Criterion asserts: it is a child. */
static void child_partial_sender(int out_fd, unsigned int n, unsigned int seed)
{
	(void)n;
	(void)seed;
	struct url u;
	char err[200];
	struct wbuf m = {0};
	struct tconn c;
	uint8_t key[WIRE_KEY_SIZE] = {0x5e, 0xed};
	uint8_t hb[WIRE_HDR_SIZE];
	if (url_parse(itest_agent.client_url, &u, err, sizeof(err)))
		_exit(2);
	if (tconn_connect(&c, &u, 5000, 0, 0))
		_exit(3);
	mp_put_array(&m, 4);
	mp_put_uint(&m, WIRE_VERSION);
	mp_put_bin(&m, key, sizeof(key));
	mp_put_nil(&m);
	mp_put_array(&m, 0);
	if (frame_send(&c, WIRE_HELLO, 1, &m, NULL, NULL))
		_exit(4);
	wbuf_reset(&m);
	mp_put_array(&m, 2);
	mp_put_uint(&m, WIRE_CTRL_SESS_NEW);
	mp_put_uint(&m, 0);
	if (frame_send(&c, WIRE_CTRL, 2, &m, NULL, NULL))
		_exit(5);
	/* the two replies: skip them whole */
	for (int i = 0; i < 2; i++) {
		struct wire_hdr h;
		struct wire_limits lim;
		wire_limits_default(&lim);
		if (tconn_recv(&c, hb, sizeof(hb)) ||
		    wire_hdr_decode(hb, &h, &lim, NULL, 0) ||
		    tconn_recv(&c, NULL, h.meta_len + h.raw_len))
			_exit(6);
	}
	wbuf_reset(&m);
	const struct vaccel_op_desc *op =
	    vaccel_op_desc_by_id(VACCEL_OPID_SCAL);
	meta_call_head(&m, op->id, op->sig_hash, 1, VACCEL_SCAL_NR_ARGS);
	mp_put_int(&m, VACCEL_BLAS_S);
	mp_put_int(&m, (int64_t)(BIG_CALL / 4));
	mp_put_array(&m, 2);
	mp_put_f64(&m, 1.0);
	mp_put_f64(&m, 0.0);
	mp_put_uint(&m, BIG_CALL);
	mp_put_int(&m, 1);
	struct wire_hdr h = {.magic = WIRE_MAGIC,
			     .version = WIRE_VERSION,
			     .kind = WIRE_CALL,
			     .req_id = 3,
			     .meta_len = (uint32_t)m.len,
			     .raw_len = BIG_CALL};
	wire_hdr_encode(&h, hb);
	static uint8_t chunk[1 << 20];
	struct iovec iov[3] = {
	    {hb, sizeof(hb)}, {m.data, m.len}, {chunk, sizeof(chunk)}};
	if (tconn_sendv(&c, iov, 3, NULL, -1))
		_exit(7);
	write_all(out_fd, "x", 1);
	for (;;)
		pause();
}

/* An rpc client that calls a 256 MiB scal in a loop until killed, after
 * saying on out_fd that it is about to start. */
static void child_big_caller(int out_fd, unsigned int n, unsigned int seed)
{
	(void)n;
	(void)seed;
	struct vaccel_session s;
	if (vaccel_session_init(&s, 0))
		_exit(2);
	uint8_t *x = malloc(BIG_CALL);
	if (!x)
		_exit(3);
	memset(x, 1, BIG_CALL);
	struct vaccel_oparg a[VACCEL_SCAL_NR_ARGS] = {0};
	a[VACCEL_SCAL_PREC].v.i = VACCEL_BLAS_S;
	a[VACCEL_SCAL_N].v.i = (int64_t)(BIG_CALL / 4);
	a[VACCEL_SCAL_X].buf = x;
	a[VACCEL_SCAL_X].len = BIG_CALL;
	a[VACCEL_SCAL_INCX].v.i = 1;
	write_all(out_fd, "x", 1);
	for (;;)
		if (vaccel_op_call(&s, VACCEL_OPID_SCAL, a,
				   VACCEL_SCAL_NR_ARGS))
			_exit(4);
}

/* Wait for the child's byte (it is in place), let it run `delay_ms`, kill
 * it and reap it. */
static void kill_when_ready(pid_t pid, int fd, int delay_ms, const char *who)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int n = poll(&p, 1, 60000);
	char c = 0;
	bool ready = n == 1 && read(fd, &c, 1) == 1;
	close(fd);
	if (ready && delay_ms)
		usleep((useconds_t)delay_ms * 1000);
	kill(pid, SIGKILL);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	cr_assert(ready, "%s never got going (status 0x%x)", who, st);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
		  "%s ended by itself (status 0x%x) instead of being killed",
		  who, st);
}

Test(e2e, client_killed_mid_call)
{
	itest_begin(NULL);
	struct vaccel_session s;
	assert_ok(vaccel_session_init(&s, 0));
	calls_ok(&s, NULL, 30, 0, "watcher before");
	long rss0 = agent_status(&itest_agent, "VmRSS");

	/* killed while sending the 256 MiB buffer of a call */
	for (int i = 0; i < 2; i++) {
		int fd;
		pid_t pid = fork_child(&fd, child_partial_sender, 0, 0);
		kill_when_ready(pid, fd, 50, "the partial sender");
		calls_ok(&s, NULL, 30, 100 + (unsigned int)i,
			 "watcher after a sender was killed");
	}
	/* real rpc clients killed at some point of a 256 MiB round trip:
	 * sending, being served, or reading the reply */
	static const int delays[] = {0, 15, 60, 150, 400};
	for (size_t i = 0; i < sizeof(delays) / sizeof(delays[0]); i++) {
		int fd;
		pid_t pid = fork_child(&fd, child_big_caller, 0, 0);
		kill_when_ready(pid, fd, delays[i], "the big caller");
		calls_ok(&s, NULL, 30, 200 + (unsigned int)i,
			 "watcher after a caller was killed");
	}
	cr_assert(agent_alive(&itest_agent), "the agent died");

	/* The killed clients' buffers are gone: the agent's resident memory
	 * comes back down. (Sanitized builds keep freed memory in
	 * quarantine; there LeakSanitizer at the agent's exit checks.) */
	if (!itest_sanitized() && rss0 > 0) {
		long rss = 0;
		double until = itest_now_ms() + 10000;
		do {
			rss = agent_status(&itest_agent, "VmRSS");
			if (rss < rss0 + 96 * 1024)
				break;
			usleep(20000);
		} while (itest_now_ms() < until);
		cr_assert_lt(rss, rss0 + 96 * 1024,
			     "the agent holds %ld KiB, %ld KiB before the "
			     "killed clients",
			     rss, rss0);
	}
	calls_ok(&s, NULL, 30, 300, "watcher at the end");
	assert_ok(vaccel_session_release(&s));
	itest_end();
}

/* ---- agent killed and restarted ------------------------------------------ */

Test(e2e, agent_killed_and_restarted)
{
	itest_begin(NULL);
	uint8_t blob[3000];
	for (size_t i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)i;
	char *path = itest_write_file("model.bin", blob, sizeof(blob));
	struct vaccel_session s, s2;
	struct vaccel_resource res;
	assert_ok(vaccel_session_init(&s, 0));
	assert_ok(vaccel_session_init(&s2, 0));
	assert_ok(vaccel_resource_init(&res, path, VACCEL_RESOURCE_MODEL));
	assert_ok(vaccel_resource_register(&res, &s));
	calls_ok(&s, &res, 40, 0, "before the kill");

	agent_kill(&itest_agent, SIGKILL);

	/* down: calls fail, and fail fast */
	double t0 = itest_now_ms();
	assert_ret(vaccel_noop(&s), VACCEL_EREMOTEIO);
	uint8_t out[16];
	struct vaccel_arg wr = {.size = sizeof(out), .buf = out};
	assert_ret(
	    vaccel_exec_with_resource(&s, &res, "entry", NULL, 0, &wr, 1),
	    VACCEL_EREMOTEIO);
	double dt = itest_now_ms() - t0;
	cr_assert_lt(dt, 5000, "failing with the agent down took %.0f ms", dt);

	/* back on the same address: the next idempotent call reconnects and
	 * re-creates the sessions and the registered resource */
	agent_start(&itest_agent, NULL);
	assert_ok(vaccel_noop(&s));
	assert_ok(
	    vaccel_exec_with_resource(&s, &res, "entry", NULL, 0, &wr, 1));
	cr_assert_eq(pattern_find_mismatch(out, sizeof(out),
					   VACCEL_OPID_EXEC_WITH_RESOURCE,
					   VACCEL_EXEC_WITH_RESOURCE_WRITE, 0),
		     sizeof(out));
	uint64_t handle;
	assert_ok(vaccel_model_load(&s, &res, &handle));
	assert_ok(vaccel_model_unload(&s, handle));
	calls_ok(&s, &res, 40, 50, "after the restart");
	calls_ok(&s2, NULL, 20, 90, "the other session after the restart");

	/* and once more, this time with the first call a big one */
	agent_kill(&itest_agent, SIGKILL);
	agent_start(&itest_agent, NULL);
	struct opcall c;
	opcall_build(&c, vaccel_op_desc_by_id(VACCEL_OPID_GEMM), 6, NULL);
	assert_ok(
	    vaccel_op_call(&s, VACCEL_OPID_GEMM, c.args, VACCEL_GEMM_NR_ARGS));
	opcall_check(&c, "gemm after the second restart");
	opcall_free(&c);
	assert_ok(vaccel_model_load(&s, &res, &handle));

	assert_ok(vaccel_resource_unregister(&res, &s));
	assert_ok(vaccel_resource_release(&res));
	assert_ok(vaccel_session_release(&s2));
	assert_ok(vaccel_session_release(&s));
	free(path);
	itest_end();
}

/* ---- fork ---------------------------------------------------------------- */

static struct vaccel_session *fork_sess;
static struct vaccel_resource *fork_res;

static void child_forked_client(int out_fd, unsigned int n, unsigned int seed)
{
	struct child_result r = {0};
	/* the parent's session and resource, through our own connection */
	workload_run(fork_sess, fork_res, n, seed, &r);
	write_all(out_fd, &r, sizeof(r));
	_exit(0);
}

Test(e2e, fork_child_has_its_own_connection)
{
	itest_begin(NULL);
	struct vaccel_session s;
	struct vaccel_resource res;
	assert_ok(vaccel_session_init(&s, 0));
	assert_ok(vaccel_resource_init_from_buf(&res, "bytes", 5,
						VACCEL_RESOURCE_LIB, "lib.so"));
	assert_ok(vaccel_resource_register(&res, &s));
	calls_ok(&s, &res, 20, 0, "parent before fork");
	fork_sess = &s;
	fork_res = &res;

	int fd;
	pid_t pid = fork_child(&fd, child_forked_client, 300, 1000);
	/* both at once: replies would cross if they shared a stream */
	calls_ok(&s, &res, 300, 2000, "parent while the child runs");
	struct child_result r;
	bool got = read_result(fd, &r);
	close(fd);
	reap_ok(pid, "the forked child");
	cr_assert(got, "the forked child died before reporting");
	assert_clean(&r, 300, "the forked child");

	/* the child's exit released its copies, not ours */
	calls_ok(&s, &res, 50, 3000, "parent after the child");
	assert_ok(vaccel_resource_unregister(&res, &s));
	assert_ok(vaccel_resource_release(&res));
	assert_ok(vaccel_session_release(&s));
	itest_end();
}

/* A 1 MiB resource, the same bytes whoever makes it. */
static void big_resource(struct vaccel_resource *res, uint8_t **bytes)
{
	size_t n = 1u << 20;
	*bytes = malloc(n);
	cr_assert_not_null(*bytes);
	for (size_t i = 0; i < n; i++)
		(*bytes)[i] = (uint8_t)(i * 2654435761u >> 13);
	assert_ok(vaccel_resource_init_from_buf(res, *bytes, n,
						VACCEL_RESOURCE_MODEL,
						"model.onnx"));
}

/* The forked child re-creates the parent's objects on its own
 * connection as a client of its own, then makes its calls. */
static void child_big_resource(int out_fd, unsigned int n, unsigned int seed)
{
	struct child_result r = {0};
	workload_run(fork_sess, fork_res, n, seed, &r);
	write_all(out_fd, &r, sizeof(r));
	_exit(0);
}

/*
 * A resource file of 64 KiB or more is sent once: the agent keeps it by
 * content while a resource holds it, and another client with the same
 * bytes names them by their SHA-256 (here a forked child, which makes
 * the parent's 1 MiB resource again as a client of its own). The agent
 * says so, and at its end counts one sent and one made from its copy;
 * a hash it does not keep is VACCEL_ENOENT. With --no-shared-uploads the
 * child sends the bytes again.
 */
static void uploads_for(bool shared)
{
	itest_begin(shared ? (const char *const[]){"-v", NULL}
			   : (const char *const[]){"-v", "--no-shared-uploads",
						   NULL});
	struct vaccel_session s;
	struct vaccel_resource res;
	uint8_t *bytes;
	assert_ok(vaccel_session_init(&s, 0));
	big_resource(&res, &bytes);
	assert_ok(vaccel_resource_register(&res, &s));
	calls_ok(&s, &res, 20, 0, "the client that sent the resource");
	fork_sess = &s;
	fork_res = &res;
	int fd;
	pid_t pid = fork_child(&fd, child_big_resource, 50, 10);
	struct child_result r;
	bool got = read_result(fd, &r);
	close(fd);
	reap_ok(pid, "the forked child");
	cr_assert(got, "the forked child died before reporting");
	assert_clean(&r, 50, "the forked child");
	cr_assert_eq(agent_log_count(&itest_agent,
				     "from the agent's kept copy"),
		     shared ? 1u : 0u,
		     "the child's resource %s from the kept copy",
		     shared ? "was not made" : "was made");

	/* a hash the agent does not keep */
	struct raw rw;
	raw_open(&rw, &itest_agent, 10000);
	cr_assert_eq(raw_hello(&rw, NULL, NULL), VACCEL_OK);
	struct wbuf m = {0};
	uint8_t hash[VACCEL_SHA256_SIZE];
	vaccel_sha256("not kept", 8, hash);
	mp_put_array(&m, 3);
	mp_put_uint(&m, WIRE_CTRL_RES_NEW);
	mp_put_uint(&m, VACCEL_RESOURCE_MODEL);
	mp_put_array(&m, 1);
	mp_put_array(&m, 3);
	mp_put_str(&m, "m", 1);
	mp_put_uint(&m, 1u << 20);
	mp_put_bin(&m, hash, sizeof(hash));
	cr_assert_eq(raw_frame(&rw, WIRE_CTRL, rw.next_req++, &m, NULL, 0), 0);
	wbuf_free(&m);
	struct reply rep;
	cr_assert_eq(raw_reply(&rw, &rep), 0);
	cr_assert_eq(rep.status, VACCEL_ENOENT, "an unknown hash: %s",
		     vaccel_error_to_str((int)rep.status));
	reply_free(&rep);
	raw_close(&rw);

	calls_ok(&s, &res, 20, 100, "the client after");
	assert_ok(vaccel_resource_unregister(&res, &s));
	assert_ok(vaccel_resource_release(&res));
	free(bytes);
	assert_ok(vaccel_session_release(&s));
	itest_end();
	cr_assert_eq(agent_log_count(&itest_agent,
				     shared ? "resources: 1 sent (1048576 "
					      "bytes), 1 made from kept copies "
					      "(1048576 bytes not sent again)"
					    : "resources: 2 sent (2097152 "
					      "bytes), 0 made from kept copies"),
		     1u, "the agent's count of uploads");
}

Test(e2e, same_file_is_sent_once)
{
	uploads_for(true);
}

Test(e2e, no_shared_uploads_sends_again)
{
	uploads_for(false);
}

/* ---- hostile frames ------------------------------------------------------ */

/* A client looping calls until the stop pipe is closed (or it sees 100
 * errors); reports on out_fd. */
static int good_stop_fd = -1, good_stop_wfd = -1;

static void child_good_client(int out_fd, unsigned int n, unsigned int seed)
{
	(void)n;
	struct child_result r = {0};
	struct vaccel_session s;
	struct vaccel_resource res;
	int ret = vaccel_session_init(&s, 0);
	if (!ret)
		ret = vaccel_resource_init_from_buf(
		    &res, "abc", 3, VACCEL_RESOURCE_LIB, "good.so");
	if (!ret)
		ret = vaccel_resource_register(&res, &s);
	if (ret) {
		child_fail(&r, ret, "setting up");
		goto out;
	}
	char what[96];
	close(good_stop_wfd);
	for (unsigned int i = seed; r.errors < 100; i++) {
		struct pollfd p = {.fd = good_stop_fd, .events = POLLIN};
		if (poll(&p, 1, 0) != 0)
			break;
		r.calls++;
		ret = workload_call(&s, &res, i, what, sizeof(what));
		if (ret)
			child_fail(&r, ret, what);
	}
out:
	write_all(out_fd, &r, sizeof(r));
	_exit(0);
}

/* Read replies until the agent closes; false on a timeout. */
static bool drain_replies(struct raw *r, unsigned int *replies,
			  unsigned int *ok_replies)
{
	struct reply rep;
	int ret;
	while ((ret = raw_reply(r, &rep)) == 0) {
		(*replies)++;
		*ok_replies += rep.status == VACCEL_OK;
		reply_free(&rep);
	}
	return ret == -ECONNRESET;
}

/* One hand-made frame, with its exact expected outcome. */
static void run_case(const struct fx_frame *f)
{
	struct raw r;
	struct reply rep;
	raw_open(&r, &itest_agent, 10000);
	if (f->after_hello) {
		cr_assert_eq(raw_hello(&r, NULL, NULL), VACCEL_OK);
		cr_assert_eq(raw_sess_new(&r), FX_SESSION);
	}
	int w = raw_write(&r, f->data, f->len);
	if (f->usable) {
		cr_assert_eq(w, 0, "%s: write: %s", f->name, strerror(-w));
		int ret = raw_reply(&r, &rep);
		cr_assert_eq(ret, 0, "%s (%s): no reply: %s", f->name, f->why,
			     strerror(-ret));
		cr_assert_eq(rep.h.req_id, FX_REQ);
		cr_assert_eq(rep.status, f->expect,
			     "%s (%s): got %s (%s), want %s", f->name, f->why,
			     vaccel_error_to_str((int)rep.status), rep.msg,
			     vaccel_error_to_str(f->expect));
		reply_free(&rep);
		/* the conversation goes on */
		int64_t sess = FX_SESSION;
		if (!f->after_hello)
			sess = raw_sess_new(&r);
		cr_log_info("%s: checking the connection", f->name);
		cr_assert_eq(raw_noop(&r, sess), VACCEL_OK,
			     "%s: the connection is no longer usable", f->name);
	} else {
		shutdown(r.tc.fd, SHUT_WR);
		int ret = raw_reply(&r, &rep);
		cr_assert_neq(ret, -ETIMEDOUT,
			      "%s (%s): the agent neither answered nor closed",
			      f->name, f->why);
		if (f->expect == FX_CLOSE) {
			cr_assert_neq(ret, 0,
				      "%s (%s): got %s (%s), want the "
				      "connection closed",
				      f->name, f->why,
				      vaccel_error_to_str((int)rep.status),
				      rep.msg);
		} else {
			cr_assert_eq(ret, 0,
				     "%s (%s): closed without a reply, want "
				     "%s",
				     f->name, f->why,
				     vaccel_error_to_str(f->expect));
			cr_assert_eq(rep.status, f->expect,
				     "%s (%s): got %s (%s), want %s", f->name,
				     f->why,
				     vaccel_error_to_str((int)rep.status),
				     rep.msg, vaccel_error_to_str(f->expect));
			reply_free(&rep);
			unsigned int n = 0, ok = 0;
			cr_assert(drain_replies(&r, &n, &ok),
				  "%s: the agent did not close", f->name);
			cr_assert_eq(ok, 0, "%s: a success after the error",
				     f->name);
		}
	}
	raw_close(&r);
}

/* Any file: it must get well-formed replies or a closed connection, and
 * nothing but a HELLO may succeed as the first frame of a connection. */
static void replay_file(const char *name, const uint8_t *data, size_t len)
{
	uint16_t kind = 0;
	if (len >= 8 && data[0] == 'V' && data[1] == 'A' && data[2] == 'C' &&
	    data[3] == 'L')
		kind = (uint16_t)(data[6] | data[7] << 8);
	for (int mode = 0; mode < 2; mode++) {
		struct raw r;
		unsigned int n = 0, ok = 0;
		raw_open(&r, &itest_agent, 10000);
		if (mode == 1) {
			cr_assert_eq(raw_hello(&r, NULL, NULL), VACCEL_OK);
			cr_assert_eq(raw_sess_new(&r), FX_SESSION);
		}
		raw_write(&r, data, len);
		shutdown(r.tc.fd, SHUT_WR);
		cr_assert(drain_replies(&r, &n, &ok),
			  "corpus file %s: the agent neither answered nor "
			  "closed",
			  name);
		if (mode == 0 && kind != WIRE_HELLO)
			cr_assert_eq(ok, 0,
				     "corpus file %s: a success before any "
				     "HELLO",
				     name);
		raw_close(&r);
	}
}

static int only_files(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

Test(e2e, hostile_frames_while_a_client_works)
{
	itest_begin((const char *const[]){"--max-memory", FX_MAX_MEMORY, NULL});
	int stop[2];
	cr_assert_eq(pipe(stop), 0);
	good_stop_fd = stop[0];
	good_stop_wfd = stop[1];
	int fd;
	pid_t pid = fork_child(&fd, child_good_client, 0, 0);
	close(stop[0]);
	double t0 = itest_now_ms();

	unsigned int nfx = fx_count();
	for (unsigned int i = 0; i < nfx; i++) {
		struct fx_frame f;
		cr_assert_eq(fx_build(&f, i), 0);
		run_case(&f);
		fx_free(&f);
		cr_assert(agent_alive(&itest_agent), "the agent died");
	}

	const char *dir = itest_path("ITEST_CORPUS_DIR");
	struct dirent **names;
	int nfiles = scandir(dir, &names, only_files, alphasort);
	cr_assert_geq(nfiles, 0, "%s: %s", dir, strerror(errno));
	unsigned int replayed = 0;
	for (int i = 0; i < nfiles; i++) {
		char *path = NULL;
		size_t len = 0;
		cr_assert(asprintf(&path, "%s/%s", dir, names[i]->d_name) > 0);
		uint8_t *data = (uint8_t *)test_read_file(path, &len);
		cr_assert_not_null(data, "cannot read %s", path);
		replay_file(names[i]->d_name, data, len);
		replayed++;
		free(data);
		free(path);
		free(names[i]);
		cr_assert(agent_alive(&itest_agent), "the agent died");
	}
	free(names);
	cr_assert_geq(replayed, nfx, "only %u files in %s", replayed, dir);

	/* the good client works alongside for at least half a second, however
	 * fast the frames went */
	while (itest_now_ms() - t0 < 500)
		usleep(10 * 1000);
	close(stop[1]);
	struct child_result r;
	bool got = read_result(fd, &r);
	close(fd);
	reap_ok(pid, "the good client");
	cr_assert(got, "the good client died before reporting");
	assert_clean(&r, 0, "the good client");
	cr_assert_gt(r.calls, 0, "the good client made no calls");
	cr_log_info("%u hand-made frames, %u corpus files replayed; the good "
		    "client made %u calls meanwhile",
		    nfx, replayed, r.calls);
	itest_end();
}

/* The hand-made frames are in the seed corpus, byte for byte. */
Test(e2e, corpus_has_the_hand_made_frames)
{
	const char *dir = itest_path("ITEST_CORPUS_DIR");
	for (unsigned int i = 0; i < fx_count(); i++) {
		struct fx_frame f;
		char *path = NULL;
		size_t len = 0;
		cr_assert_eq(fx_build(&f, i), 0);
		cr_assert(asprintf(&path, "%s/%s", dir, f.name) > 0);
		uint8_t *data = (uint8_t *)test_read_file(path, &len);
		cr_assert(data && len == f.len &&
			      memcmp(data, f.data, len) == 0,
			  "%s is %s; regenerate the corpus with "
			  "itest-gen-corpus %s",
			  path, data ? "out of date" : "missing", dir);
		free(data);
		free(path);
		fx_free(&f);
	}
	/* and no stale ones */
	struct dirent **names;
	int n = scandir(dir, &names, only_files, alphasort);
	cr_assert_geq(n, 0);
	for (int i = 0; i < n; i++) {
		bool known = strncmp(names[i]->d_name, "itest-", 6) != 0;
		for (unsigned int j = 0; !known && j < fx_count(); j++) {
			struct fx_frame f;
			cr_assert_eq(fx_build(&f, j), 0);
			known = strcmp(f.name, names[i]->d_name) == 0;
			fx_free(&f);
		}
		cr_assert(known, "%s/%s is no hand-made frame any more", dir,
			  names[i]->d_name);
		free(names[i]);
	}
	free(names);
}

/* ---- a client that stops reading ----------------------------------------- */

Test(e2e, stalled_reader_does_not_block_shutdown)
{
	const uint64_t bytes = 64ull << 20;
	itest_begin(NULL);
	struct raw r;
	raw_open(&r, &itest_agent, 10000);
	cr_assert_eq(raw_hello(&r, NULL, NULL), VACCEL_OK);
	int64_t s = raw_sess_new(&r);
	/* a 64 MiB scal whose 64 MiB answer this client never reads */
	const struct vaccel_op_desc *op =
	    vaccel_op_desc_by_id(VACCEL_OPID_SCAL);
	struct wbuf m = {0};
	meta_call_head(&m, op->id, op->sig_hash, s, VACCEL_SCAL_NR_ARGS);
	mp_put_int(&m, VACCEL_BLAS_S);
	mp_put_int(&m, (int64_t)(bytes / 4));
	mp_put_array(&m, 2);
	mp_put_f64(&m, 1.0);
	mp_put_f64(&m, 0.0);
	mp_put_uint(&m, bytes);
	mp_put_int(&m, 1);
	uint8_t *x = calloc(1, bytes);
	cr_assert_not_null(x);
	cr_assert_eq(raw_frame(&r, WIRE_CALL, r.next_req++, &m, x, bytes), 0);
	wbuf_free(&m);
	free(x);
	/* let the agent block writing the answer */
	usleep(500 * 1000);
	double t0 = itest_now_ms();
	agent_stop_check(&itest_agent);
	double dt = itest_now_ms() - t0;
	/* 10 s of grace for in-flight replies, then the agent cuts them */
	cr_assert_lt(dt, 30000, "the agent took %.0f ms to stop", dt);
	cr_log_info("the agent stopped %.0f ms after SIGTERM", dt);
	raw_close(&r);
	assert_ok(vaccel_cleanup());
}

/* ---- out of descriptors -------------------------------------------------- */

/* The agent's user + system CPU time, in clock ticks. */
static long agent_cpu_ticks(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* after "(comm)": state is field 3, utime 14, stime 15 */
	char *p = strrchr(buf, ')');
	long ut = 0, st = 0;
	if (!p || sscanf(p + 2,
			 "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%ld %ld",
			 &ut, &st) != 2)
		return -1;
	return ut + st;
}

#define FD_LIMIT 40
#define FD_FLOOD 80

/*
 * An agent at its descriptor limit: pending connections cannot be
 * accepted. It says so once, does not spin waiting (its CPU time over a
 * second stays low), and serves again once descriptors free up.
 */
Test(e2e, out_of_descriptors_backs_off_and_recovers)
{
	if (itest_agent.transport != ITEST_UNIX &&
	    itest_agent.transport != ITEST_TCP)
		cr_skip_test("one descriptor per connection: unix and tcp");
	itest_need_own_agent("a descriptor limit of its own");
	struct rlimit old, low;
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = FD_LIMIT;
	/* the agent inherits the low limit; this process gets its own back */
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	agent_start(&itest_agent, NULL);
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	client_env(&itest_agent);

	struct url u;
	char err[200];
	cr_assert_eq(url_parse(itest_agent.client_url, &u, err, sizeof(err)),
		     0);
	int fds[FD_FLOOD];
	int nfd = 0;
	for (; nfd < FD_FLOOD; nfd++) {
		fds[nfd] = url_connect(&u, 2000);
		if (fds[nfd] < 0)
			break;
	}
	cr_assert_gt(nfd, FD_LIMIT, "only %d connections could be made", nfd);
	double until = itest_now_ms() + 10000;
	while (!agent_log_count(&itest_agent, "cannot accept on") &&
	       itest_now_ms() < until)
		usleep(10000);
	cr_assert_eq(agent_log_count(&itest_agent, "cannot accept on"), 1u,
		     "the agent did not say once that it cannot accept");
	long hz = sysconf(_SC_CLK_TCK);
	long t0 = agent_cpu_ticks(itest_agent.pid);
	usleep(1000 * 1000);
	long t1 = agent_cpu_ticks(itest_agent.pid);
	cr_assert(t0 >= 0 && t1 >= 0);
	cr_assert_lt(t1 - t0, hz / 4,
		     "the agent used %ld ms of CPU in 1 s at its descriptor "
		     "limit",
		     (t1 - t0) * 1000 / hz);
	cr_assert(agent_alive(&itest_agent), "the agent died");
	cr_assert_eq(agent_log_count(&itest_agent, "cannot accept on"), 1u,
		     "the agent said it more than once");

	/* freed: the next client is served (within the 10 s of raw_open's
	 * reply timeout; the agent retries at least once a second) */
	for (int i = 0; i < nfd; i++)
		close(fds[i]);
	struct raw r;
	raw_open(&r, &itest_agent, 10000);
	assert_ok((int)raw_hello(&r, NULL, NULL));
	int64_t s = raw_sess_new(&r);
	assert_ok((int)raw_noop(&r, s));
	raw_close(&r);
	cr_log_info("%d connections against a limit of %d: %ld ms of CPU in "
		    "the second after; served again",
		    nfd, FD_LIMIT, (t1 - t0) * 1000 / hz);
	assert_ok(vaccel_bootstrap());
	itest_end();
}

/* ---- deadlines ------------------------------------------------------------
 */

/* ms until the agent ends the conversation on r (raw_reply sees the
 * close), at most 10 s */
static double ms_to_close(struct raw *r)
{
	struct reply rep;
	double t0 = itest_now_ms();
	r->tc.recv_ms = 10000;
	int ret = raw_reply(r, &rep);
	if (ret == 0)
		reply_free(&rep);
	cr_assert_eq(ret, -ECONNRESET, "the agent %s instead of closing",
		     ret == 0 ? "answered" : "waited");
	return itest_now_ms() - t0;
}

/*
 * A connection that says nothing, or stops in the middle of a frame, is
 * cut once a read has waited --handshake-timeout / --frame-timeout; one
 * that has said HELLO may sit idle longer; a client working meanwhile is
 * served throughout.
 */
Test(e2e, silent_and_stalled_peers_are_cut)
{
	if (itest_agent.transport != ITEST_UNIX &&
	    itest_agent.transport != ITEST_TCP &&
	    itest_agent.transport != ITEST_SHM &&
	    itest_agent.transport != ITEST_TLS)
		cr_skip_test("a VM's port has no deadlines (it is the VM's one "
			     "connection); unix, tcp, shm and tls have");
	itest_begin((const char *const[]){"--handshake-timeout", "300",
					  "--frame-timeout", "300", NULL});
	struct vaccel_session s;
	assert_ok(vaccel_session_init(&s, 0));

	/* silent from the start */
	struct raw r;
	raw_open(&r, &itest_agent, 10000);
	double dt = ms_to_close(&r);
	raw_close(&r);
	cr_assert_lt(dt, 5000, "a silent connection lived %.0f ms", dt);
	calls_ok(&s, NULL, 20, 1, "the good client after a silent one");

	/* a header that announces more meta than ever comes */
	raw_open(&r, &itest_agent, 10000);
	assert_ok((int)raw_hello(&r, NULL, NULL));
	int64_t sid = raw_sess_new(&r);
	assert_ok((int)raw_noop(&r, sid));
	raw_partial_call(&r, 99, 1000, "ten bytes!", 10);
	dt = ms_to_close(&r);
	raw_close(&r);
	cr_assert_lt(dt, 5000, "a stalled frame held its connection %.0f ms",
		     dt);
	calls_ok(&s, NULL, 20, 2, "the good client after a stalled frame");

	/* idle after its HELLO, for longer than either deadline: kept */
	raw_open(&r, &itest_agent, 10000);
	assert_ok((int)raw_hello(&r, NULL, NULL));
	sid = raw_sess_new(&r);
	usleep(1000 * 1000);
	cr_assert_eq(raw_noop(&r, sid), VACCEL_OK,
		     "an idle connection was cut");
	raw_close(&r);

	cr_assert_geq(agent_log_count(&itest_agent, "no HELLO in time"), 1u);
	cr_assert_geq(agent_log_count(&itest_agent, "stalled after its header"),
		      1u);
	assert_ok(vaccel_session_release(&s));
	itest_end();
}

/* ---- limits per peer identity --------------------------------------------
 */

/* A raw connection to the agent's TCP address from source address src (a
 * loopback address of its own: another peer identity). */
static void raw_open_from(struct raw *r, const char *src)
{
	struct url u;
	char err[200];
	memset(r, 0, sizeof(*r));
	cr_assert_eq(url_parse(itest_agent.client_url, &u, err, sizeof(err)),
		     0, "%s", err);
	struct sockaddr_in me = {.sin_family = AF_INET}, to = me;
	cr_assert_eq(inet_pton(AF_INET, src, &me.sin_addr), 1);
	cr_assert_eq(inet_pton(AF_INET, u.host, &to.sin_addr), 1,
		     "the agent's address %s is not IPv4", u.host);
	to.sin_port = htons((uint16_t)atoi(u.port));
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0,
		     "bind %s: %s", src, strerror(errno));
	cr_assert_eq(connect(fd, (struct sockaddr *)&to, sizeof(to)), 0,
		     "connect from %s: %s", src, strerror(errno));
	/* a stream's two ends are opened alike (stream.c) */
	cr_assert_eq(tconn_accept(&r->tc, &u, fd, 5000, 5000), 0);
	r->next_req = 1;
}

/* HELLO with key; its status, or -ECONNRESET when the agent closed the
 * connection instead of answering. */
static int64_t hello_status(struct raw *r, const uint8_t *key)
{
	struct wbuf m = {0};
	mp_put_array(&m, 4);
	mp_put_uint(&m, WIRE_VERSION);
	mp_put_bin(&m, key, WIRE_KEY_SIZE);
	mp_put_nil(&m);
	mp_put_array(&m, 0);
	uint64_t req = r->next_req++;
	int ret = raw_frame(r, WIRE_HELLO, req, &m, NULL, 0);
	wbuf_free(&m);
	struct reply rep;
	if (ret || raw_reply(r, &rep))
		return -ECONNRESET;
	int64_t st = rep.status;
	reply_free(&rep);
	return st;
}

/* SESS_NEW's status (its id in *id). */
static int64_t sess_new_status(struct raw *r, int64_t *id)
{
	struct wbuf m = {0};
	mp_put_array(&m, 2);
	mp_put_uint(&m, WIRE_CTRL_SESS_NEW);
	mp_put_uint(&m, 0);
	uint64_t req = r->next_req++;
	cr_assert_eq(raw_frame(r, WIRE_CTRL, req, &m, NULL, 0), 0);
	wbuf_free(&m);
	struct reply rep;
	cr_assert_eq(raw_reply(r, &rep), 0);
	int64_t st = rep.status;
	*id = rep.id;
	reply_free(&rep);
	return st;
}

#define PEER_CONNS 8
#define PEER_CLIENTS 3
#define PEER_SESSIONS 5

/*
 * Connections, client keys, sessions and memory are limited per peer
 * identity (here the TCP source address 127.0.0.2), however many keys it
 * makes; a key is its first identity's; the well-behaved client
 * (127.0.0.1) is served throughout.
 */
Test(e2e, limits_are_per_peer_identity)
{
	if (itest_agent.transport != ITEST_TCP)
		cr_skip_test("the identity chosen by the test is a TCP source "
			     "address");
	itest_begin((const char *const[]){
	    "--max-peer-connections", "8", "--max-peer-clients", "3",
	    "--max-sessions", "5", "--max-memory", "8M", NULL});
	struct vaccel_session s;
	assert_ok(vaccel_session_init(&s, 0));
	const char *other = "127.0.0.2";

	/* idle connections: the ninth on is refused, said once */
	struct raw flood[3 * PEER_CONNS];
	for (unsigned int i = 0; i < 3 * PEER_CONNS; i++)
		raw_open_from(&flood[i], other);
	calls_ok(&s, NULL, 20, 1, "the good client during a connection flood");
	double until = itest_now_ms() + 5000;
	while (!agent_log_count(&itest_agent,
				"refused a connection from tcp 127.0.0.2") &&
	       itest_now_ms() < until)
		usleep(10000);
	usleep(200 * 1000);
	unsigned int served = 0;
	uint8_t one[WIRE_KEY_SIZE] = {0x77};
	for (unsigned int i = 0; i < 3 * PEER_CONNS; i++)
		served += hello_status(&flood[i], one) == VACCEL_OK;
	cr_assert_eq(served, PEER_CONNS,
		     "%u of %u connections of one identity were served, want "
		     "%d",
		     served, 3 * PEER_CONNS, PEER_CONNS);
	cr_assert_eq(agent_log_count(&itest_agent,
				     "refused a connection from tcp 127.0.0.2"),
		     1u, "the refusals were not said once");
	for (unsigned int i = 0; i < 3 * PEER_CONNS; i++)
		raw_close(&flood[i]);

	/* a key flood: three keys, five sessions among them, and no more */
	struct raw r[PEER_CLIENTS];
	uint8_t keys[PEER_CLIENTS][WIRE_KEY_SIZE];
	int64_t sid = 0, first = 0;
	unsigned int made = 0, refused = 0;
	/* the agent forgets a closed connection's peer asynchronously */
	usleep(200 * 1000);
	for (unsigned int i = 0; i < PEER_CLIENTS; i++) {
		cr_assert_eq(getrandom(keys[i], WIRE_KEY_SIZE, 0),
			     WIRE_KEY_SIZE);
		raw_open_from(&r[i], other);
		cr_assert_eq(hello_status(&r[i], keys[i]), VACCEL_OK);
		for (int j = 0; j < 3; j++) {
			int64_t st = sess_new_status(&r[i], &sid);
			if (st == VACCEL_OK && !made++)
				first = sid;
			refused += st == VACCEL_EUSERS;
		}
	}
	cr_assert_eq(made, PEER_SESSIONS,
		     "%u sessions over %d keys of one identity, want %d", made,
		     PEER_CLIENTS, PEER_SESSIONS);
	cr_assert_eq(refused, 3 * PEER_CLIENTS - PEER_SESSIONS);
	/* and a fourth key is refused */
	struct raw extra;
	uint8_t fourth[WIRE_KEY_SIZE] = {0x44};
	raw_open_from(&extra, other);
	cr_assert_eq(hello_status(&extra, fourth), VACCEL_EUSERS,
		     "a fourth key of one identity was taken");
	raw_close(&extra);
	cr_assert_geq(agent_log_count(&itest_agent,
				      "has its most client keys (3)"),
		      1u);
	calls_ok(&s, NULL, 20, 2, "the good client during a key flood");

	/* the key of 127.0.0.2's first client, from 127.0.0.1: refused */
	struct raw thief;
	raw_open_from(&thief, "127.0.0.1");
	cr_assert_eq(hello_status(&thief, keys[0]), VACCEL_EACCES,
		     "another identity joined a key");
	raw_close(&thief);
	cr_assert_geq(agent_log_count(&itest_agent,
				      "belongs to another peer"),
		      1u);
	/* and from its own identity: joined, its session there */
	struct raw again;
	raw_open_from(&again, other);
	cr_assert_eq(hello_status(&again, keys[0]), VACCEL_OK);
	raw_close(&r[0]);
	cr_assert_eq(raw_noop(&again, first), VACCEL_OK,
		     "the key's session is not there from its own identity");
	raw_close(&again);
	for (unsigned int i = 1; i < PEER_CLIENTS; i++)
		raw_close(&r[i]);

	/* a HELLO padded to 16 MiB against an 8 MiB budget: cut before
	 * it is held */
	usleep(200 * 1000);
	struct raw big;
	raw_open_from(&big, other);
	size_t pad = 16u << 20;
	struct wbuf m = {0};
	mp_put_array(&m, 4);
	mp_put_uint(&m, WIRE_VERSION);
	uint8_t key[WIRE_KEY_SIZE] = {1};
	mp_put_bin(&m, key, sizeof(key));
	mp_put_nil(&m);
	mp_put_array(&m, 0);
	uint8_t *zeros = calloc(1, pad);
	cr_assert(zeros);
	mp_put_bin(&m, zeros, pad);
	free(zeros);
	raw_frame(&big, WIRE_HELLO, 1, &m, NULL, 0);
	wbuf_free(&m);
	raw_expect_end(&big, "a HELLO over the memory limit");
	raw_close(&big);
	cr_assert_geq(agent_log_count(&itest_agent, "over the memory limit of "
						    "tcp 127.0.0.2"),
		      1u);
	calls_ok(&s, NULL, 20, 3, "the good client after a padded HELLO");
	cr_assert(agent_alive(&itest_agent), "the agent died");
	assert_ok(vaccel_session_release(&s));
	itest_end();
}

/* On a UNIX socket the identity is the peer's uid on that socket: this
 * process's connections count together, and the refusal names it. */
Test(e2e, unix_peer_is_its_uid)
{
	if (itest_agent.transport != ITEST_UNIX)
		cr_skip_test("a UNIX socket's peer credentials");
	itest_begin((const char *const[]){"--max-peer-connections", "4",
					  NULL});
	struct raw c[8];
	for (int i = 0; i < 8; i++)
		raw_open(&c[i], &itest_agent, 5000);
	char want[96];
	snprintf(want, sizeof(want), "refused a connection from uid %u on ",
		 (unsigned int)getuid());
	double until = itest_now_ms() + 5000;
	while (!agent_log_count(&itest_agent, want) && itest_now_ms() < until)
		usleep(10000);
	usleep(200 * 1000);
	unsigned int served = 0;
	uint8_t key[WIRE_KEY_SIZE] = {0x55};
	for (int i = 0; i < 8; i++) {
		served += hello_status(&c[i], key) == VACCEL_OK;
		raw_close(&c[i]);
	}
	/* this process's own rpc connection, where libvaccel's boot made
	 * one (the memfd variant), is one of the 4 */
	cr_assert(served == 4u || served == 3u,
		  "%u of 8 connections of uid %u served, want 4 (3 beside "
		  "this process's own)",
		  served, (unsigned int)getuid());
	cr_assert_eq(agent_log_count(&itest_agent, want), 1u,
		     "'%s' not said once", want);
	itest_end();
}

/*
 * A key is its identity's: on one UNIX socket, a process of another uid
 * (a throwaway user the test makes and removes) that presents this
 * process's key is refused, and is served under a key of its own; the
 * key's owner goes on meanwhile.
 */
Test(e2e, key_reuse_from_another_uid)
{
	if (itest_agent.transport != ITEST_UNIX)
		cr_skip_test("a UNIX socket's peer credentials");
	if (geteuid() != 0)
		cr_skip_test("making a throwaway user and running as it needs "
			     "root");
	itest_begin((const char *const[]){"--socket-mode", "0666", NULL});
	struct url u;
	char err[200], dir[sizeof(u.path)], user[32], cmd[128];
	cr_assert_eq(url_parse(itest_agent.client_url, &u, err, sizeof(err)),
		     0, "%s", err);
	snprintf(dir, sizeof(dir), "%s", u.path);
	/* the other user may pass through the socket's directory */
	cr_assert_eq(chmod(dirname(dir), 0711), 0, "chmod: %s",
		     strerror(errno));
	snprintf(user, sizeof(user), "vaccel-it%d", (int)getpid());
	snprintf(cmd, sizeof(cmd),
		 "useradd --system --no-create-home --shell /usr/sbin/nologin "
		 "%s",
		 user);
	if (system(cmd) != 0) {
		itest_end();
		cr_skip_test("cannot make a throwaway user (%s)", cmd);
	}
	struct passwd *pw = getpwnam(user);
	cr_assert_not_null(pw, "%s was made but is not found", user);
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;

	uint8_t key[WIRE_KEY_SIZE];
	cr_assert_eq(getrandom(key, sizeof(key), 0), (ssize_t)sizeof(key));
	struct raw mine;
	raw_open(&mine, &itest_agent, 5000);
	cr_assert_eq(hello_status(&mine, key), VACCEL_OK);
	int64_t sid = raw_sess_new(&mine);

	pid_t pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (setgroups(0, NULL) || setgid(gid) || setuid(uid))
			_exit(10);
		struct raw theirs, own;
		raw_open(&theirs, &itest_agent, 5000);
		/* the stolen key: refused; a key of its own: served */
		int64_t st = hello_status(&theirs, key);
		raw_close(&theirs);
		if (st != VACCEL_EACCES)
			_exit(11);
		uint8_t other[WIRE_KEY_SIZE] = {0x99, 0x17};
		raw_open(&own, &itest_agent, 5000);
		if (hello_status(&own, other) != VACCEL_OK)
			_exit(12);
		int64_t s2 = raw_sess_new(&own);
		_exit(raw_noop(&own, s2) == VACCEL_OK ? 0 : 13);
	}
	int wst = 0;
	while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
		;
	snprintf(cmd, sizeof(cmd), "userdel %s", user);
	int del = system(cmd);
	cr_assert(WIFEXITED(wst) && WEXITSTATUS(wst) == 0,
		  "the other uid's process: status 0x%x (10: cannot become "
		  "%s, 11: the stolen key was not refused, 12/13: its own "
		  "key was not served)",
		  wst, user);
	cr_assert_eq(del, 0, "%s was not removed", user);
	cr_assert_eq(getpwnam(user), NULL, "%s is still there", user);
	cr_assert_geq(agent_log_count(&itest_agent,
				      "belongs to another peer"),
		      1u);
	cr_assert_eq(raw_noop(&mine, sid), VACCEL_OK,
		     "the key's owner was not served after");
	raw_close(&mine);
	itest_end();
}

/* RES_NEW of n empty files with names of name_len bytes; its status. */
static int64_t res_new_empty_files(struct raw *r, uint32_t n,
				   unsigned int name_len)
{
	struct wbuf m = {0};
	char name[256];
	mp_put_array(&m, 3);
	mp_put_uint(&m, WIRE_CTRL_RES_NEW);
	mp_put_uint(&m, VACCEL_RESOURCE_DATA);
	mp_put_array(&m, n);
	for (uint32_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%08x", i);
		memset(name + 8, 'f', name_len - 8);
		mp_put_array(&m, 2);
		mp_put_str(&m, name, name_len);
		mp_put_uint(&m, 0);
	}
	uint64_t req = r->next_req++;
	cr_assert_eq(raw_frame(r, WIRE_CTRL, req, &m, NULL, 0), 0);
	wbuf_free(&m);
	struct reply rep;
	cr_assert_eq(raw_reply(r, &rep), 0);
	int64_t st = rep.status;
	reply_free(&rep);
	return st;
}

/*
 * A resource's metadata is charged: each file its name and 256 bytes for
 * the host's structures, so that many empty files cost as their bytes
 * would. Under a 4 MiB budget, 4096 empty files with 100-byte names
 * (about 1.4 MiB) are taken, two at most, and 16384 (about 5.6 MiB)
 * refused; the well-behaved client is served.
 */
Test(e2e, resource_metadata_is_charged)
{
	itest_begin((const char *const[]){"--max-memory", "4M", NULL});
	struct vaccel_session s;
	assert_ok(vaccel_session_init(&s, 0));
	struct raw r;
	raw_open(&r, &itest_agent, 10000);
	cr_assert_eq(raw_hello(&r, NULL, NULL), VACCEL_OK);
	int64_t st = res_new_empty_files(&r, 16384, 100);
	cr_assert_eq(st, VACCEL_ENOMEM,
		     "16384 empty files under a 4 MiB budget: got %s",
		     vaccel_error_to_str((int)st));
	calls_ok(&s, NULL, 20, 1, "the good client after a metadata flood");
	/* held: two fit (one where the good client's memfd, 2 MiB, is
	 * charged too), never three; uncharged, ten would */
	unsigned int held = 0;
	while (held < 10 && (st = res_new_empty_files(&r, 4096, 100)) ==
				VACCEL_OK)
		held++;
	cr_assert(held >= 1 && held <= 2,
		  "%u resources of 4096 empty files fit in 4 MiB (then %s)",
		  held, vaccel_error_to_str((int)st));
	cr_assert_eq(st, VACCEL_ENOMEM);
	raw_close(&r);
	calls_ok(&s, NULL, 20, 2, "the good client after");
	assert_ok(vaccel_session_release(&s));
	itest_end();
}

/* A torch_jitload_forward call asking noop for n outputs, each an empty
 * tensor that noop allocates (NOOP_RAW_BYTES(j) bytes for output j). */
static int many_outputs(struct vaccel_session *s, struct vaccel_resource *res,
			uint64_t n)
{
	const struct vaccel_op_desc *op =
	    vaccel_op_desc_by_id(VACCEL_OPID_TORCH_JITLOAD_FORWARD);
	struct opcall c;
	opcall_build(&c, op, 0, res);
	struct vaccel_tensor *t = calloc(n, sizeof(*t));
	cr_assert_not_null(t);
	c.args[VACCEL_TORCH_JITLOAD_FORWARD_OUTPUTS].buf = t;
	c.args[VACCEL_TORCH_JITLOAD_FORWARD_OUTPUTS].len = n;
	int ret = vaccel_op_call(s, op->id, c.args, op->nr_args);
	if (!ret) {
		cr_assert_eq(t[n - 1].size, NOOP_RAW_BYTES(n - 1));
		for (uint64_t j = 0; j < n; j++)
			free(t[j].data);
	}
	free(t);
	c.args[VACCEL_TORCH_JITLOAD_FORWARD_OUTPUTS].buf = NULL;
	opcall_free(&c);
	return ret;
}

/*
 * What a backend allocates on a call's behalf is charged to the caller
 * before it is allocated (vaccel_call_charge): here noop's framework
 * outputs, which a guest asks for with one empty tensor header each, so
 * that 3000 outputs are a 0.3 MB request for 180 MB of the host's memory.
 * Under a 16 MiB budget they are refused, with the reason in the agent's
 * log; 300 (1.8 MB) are served, and the charge ends with each call
 * (twenty in a row pass).
 */
Test(e2e, backend_allocations_are_charged)
{
	itest_begin((const char *const[]){"--max-memory", "16M", NULL});
	struct vaccel_session s;
	struct vaccel_resource res;
	assert_ok(vaccel_session_init(&s, 0));
	assert_ok(vaccel_resource_init_from_buf(&res, "bytes", 5,
						VACCEL_RESOURCE_MODEL,
						"model.pt"));
	assert_ok(vaccel_resource_register(&res, &s));
	int ret = many_outputs(&s, &res, 3000);
	cr_assert_eq(ret, VACCEL_ENOMEM,
		     "3000 outputs (180 MB) under a 16 MiB budget: %s",
		     vaccel_error_to_str(ret));
	cr_assert(agent_log_count(&itest_agent,
				  "bytes its backend needed exceed the "
				  "client's memory limit") > 0,
		  "the agent's log does not say why");
	for (int i = 0; i < 20; i++)
		assert_ok(many_outputs(&s, &res, 300));
	calls_ok(&s, NULL, 20, 1, "the client after");
	assert_ok(vaccel_resource_unregister(&res, &s));
	assert_ok(vaccel_resource_release(&res));
	assert_ok(vaccel_session_release(&s));
	itest_end();
}

/* ---- the log -------------------------------------------------------------
 */

#define LOG_RATE 5
#define LOG_FLOOD 2000

/* The sum of the counts in the agent log's "N line(s) suppressed". */
static unsigned long log_suppressed_sum(void)
{
	FILE *f = fopen(itest_agent.log_path, "re");
	cr_assert_not_null(f, "%s: %s", itest_agent.log_path, strerror(errno));
	char line[1024];
	unsigned long sum = 0;
	while (fgets(line, sizeof(line), f)) {
		char *at = strstr(line, " line(s) suppressed");
		if (!at)
			continue;
		while (at > line && at[-1] >= '0' && at[-1] <= '9')
			at--;
		sum += strtoul(at, NULL, 10);
	}
	fclose(f);
	return sum;
}

/*
 * What one peer makes the agent log is rate limited (--log-rate): a HELLO
 * naming every op with a wrong signature is one line, and 2000 refused
 * calls leave at most the burst and the rate's worth of lines, then one
 * line counting the rest; the well-behaved client is served meanwhile.
 */
Test(e2e, log_flood_is_rate_limited)
{
	itest_begin((const char *const[]){"--log-rate", "5", NULL});
	struct vaccel_session s;
	assert_ok(vaccel_session_init(&s, 0));
	struct raw r;
	raw_open(&r, &itest_agent, 10000);
	struct wbuf m = {0};
	uint8_t key[WIRE_KEY_SIZE];
	cr_assert_eq(getrandom(key, sizeof(key), 0), (ssize_t)sizeof(key));
	mp_put_array(&m, 4);
	mp_put_uint(&m, WIRE_VERSION);
	mp_put_bin(&m, key, sizeof(key));
	mp_put_nil(&m);
	mp_put_array(&m, VACCEL_OPS_COUNT);
	for (unsigned int i = 0; vaccel_op_desc_at(i); i++) {
		mp_put_array(&m, 2);
		mp_put_uint(&m, vaccel_op_desc_at(i)->id);
		mp_put_uint(&m, ~vaccel_op_desc_at(i)->sig_hash);
	}
	cr_assert_eq(raw_frame(&r, WIRE_HELLO, r.next_req++, &m, NULL, 0), 0);
	wbuf_free(&m);
	struct reply rep;
	cr_assert_eq(raw_reply(&r, &rep), 0);
	cr_assert_eq(rep.status, VACCEL_OK);
	reply_free(&rep);
	int64_t sid = raw_sess_new(&r);

	double t0 = itest_now_ms();
	for (unsigned int i = 0; i < LOG_FLOOD; i++) {
		meta_call_head(&m, VACCEL_OPID_NOOP, 0x1234, sid, 0);
		uint64_t req = r.next_req++;
		cr_assert_eq(raw_frame(&r, WIRE_CALL, req, &m, NULL, 0), 0);
		wbuf_free(&m);
		cr_assert_eq(raw_reply(&r, &rep), 0);
		cr_assert_neq(rep.status, VACCEL_OK,
			      "a call with a wrong signature ran");
		reply_free(&rep);
		if (i % 500 == 0)
			calls_ok(&s, NULL, 5, i, "the good client in a log flood");
	}
	double secs = (itest_now_ms() - t0) / 1e3;
	unsigned int said = agent_log_count(&itest_agent, "refused call");
	/* a burst of 5 s worth, the rate's worth since, the HELLO's line */
	double most = LOG_RATE * 5 + LOG_RATE * secs + 1;
	cr_assert(said >= 1 && said <= most,
		  "%u lines for %d refused calls in %.1f s, want 1 to %.0f",
		  said, LOG_FLOOD, secs, most);
	cr_assert_eq(agent_log_count(&itest_agent, "different signature"), 1u,
		     "a HELLO with every op's signature wrong is one line");
	/* once the budget has room again, the count of what was dropped */
	usleep(1000 * 1000 / LOG_RATE + 100 * 1000);
	meta_call_head(&m, VACCEL_OPID_NOOP, 0x1234, sid, 0);
	cr_assert_eq(raw_frame(&r, WIRE_CALL, r.next_req++, &m, NULL, 0), 0);
	wbuf_free(&m);
	cr_assert_eq(raw_reply(&r, &rep), 0);
	reply_free(&rep);
	/* every refusal was said or counted, once */
	said = agent_log_count(&itest_agent, "refused call");
	unsigned long dropped = log_suppressed_sum();
	cr_assert_geq(agent_log_count(&itest_agent, "line(s) suppressed"), 1u);
	cr_assert_eq(said + dropped, LOG_FLOOD + 1ul,
		     "%u refusals said and %lu counted as suppressed, of %d",
		     said, dropped, LOG_FLOOD + 1);
	raw_close(&r);
	calls_ok(&s, NULL, 20, 3, "the good client after a log flood");
	assert_ok(vaccel_session_release(&s));
	itest_end();
}

/* ---- the serving model ---------------------------------------------------
 */

/* The agent's threads. */
static unsigned int agent_threads(void)
{
	long n = agent_status(&itest_agent, "Threads");
	cr_assert_gt(n, 0, "the agent's thread count cannot be read");
	return (unsigned int)n;
}

#define IDLE_CONNS 200
#define STALLED_CONNS 8
#define PEER_CALLS 4

/*
 * Idle connections hold no thread, and one identity's work runs on at
 * most --max-peer-calls threads: 200 connections past their HELLO leave
 * the agent's thread count where it was; 8 connections stalled mid-frame
 * from one identity are served (and cut) 4 at a time, while a client of
 * another identity is served at once.
 */
Test(e2e, idle_connections_hold_no_thread)
{
	if (itest_agent.transport != ITEST_TCP)
		cr_skip_test("the identities chosen by the test are TCP source "
			     "addresses");
	itest_begin((const char *const[]){"--max-peer-calls", "4",
					  "--frame-timeout", "1500", NULL});
	struct vaccel_session s;
	assert_ok(vaccel_session_init(&s, 0));
	calls_ok(&s, NULL, 20, 1, "the good client before");
	unsigned int t0 = agent_threads();

	static struct raw idle[IDLE_CONNS];
	for (unsigned int i = 0; i < IDLE_CONNS; i++) {
		uint8_t key[WIRE_KEY_SIZE] = {0x21, (uint8_t)i};
		raw_open_from(&idle[i], "127.0.0.2");
		cr_assert_eq(hello_status(&idle[i], key), VACCEL_OK);
	}
	usleep(300 * 1000);
	unsigned int t1 = agent_threads();
	cr_assert_lt(t1, t0 + 16,
		     "%d idle connections took the agent from %u to %u "
		     "threads",
		     IDLE_CONNS, t0, t1);
	calls_ok(&s, NULL, 20, 2, "the good client beside idle connections");

	/* stalled mid-frame: each holds its turn until --frame-timeout */
	struct raw stalled[STALLED_CONNS];
	uint8_t part[10] = {0x94};
	for (unsigned int i = 0; i < STALLED_CONNS; i++) {
		uint8_t key[WIRE_KEY_SIZE] = {0x31, (uint8_t)i};
		raw_open_from(&stalled[i], "127.0.0.3");
		cr_assert_eq(hello_status(&stalled[i], key), VACCEL_OK);
	}
	for (unsigned int i = 0; i < STALLED_CONNS; i++)
		raw_partial_call(&stalled[i], stalled[i].next_req++, 1000, part,
				 sizeof(part));
	usleep(300 * 1000);
	unsigned int t2 = agent_threads();
	cr_assert_leq(t2, t1 + PEER_CALLS + 2,
		      "%d stalled connections of one identity took the agent "
		      "from %u to %u threads (--max-peer-calls %d)",
		      STALLED_CONNS, t1, t2, PEER_CALLS);
	double t = itest_now_ms();
	calls_ok(&s, NULL, 20, 3, "the good client beside stalled ones");
	double dt = itest_now_ms() - t;
	cr_assert_lt(dt, 1000, "the good client took %.0f ms beside stalled "
			       "connections", dt);
	/* 4 at a time, 1.5 s each: all cut within two rounds and a bit */
	double until = itest_now_ms() + 6000;
	while (agent_log_count(&itest_agent, "stalled after its header") <
		   STALLED_CONNS &&
	       itest_now_ms() < until)
		usleep(50 * 1000);
	cr_assert_eq(agent_log_count(&itest_agent, "stalled after its header"),
		     (unsigned int)STALLED_CONNS);
	for (unsigned int i = 0; i < STALLED_CONNS; i++)
		raw_close(&stalled[i]);
	/* the idle ones are still served */
	for (unsigned int i = 0; i < IDLE_CONNS; i += 40) {
		int64_t sid = raw_sess_new(&idle[i]);
		cr_assert_eq(raw_noop(&idle[i], sid), VACCEL_OK,
			     "idle connection %u was not served", i);
	}
	for (unsigned int i = 0; i < IDLE_CONNS; i++)
		raw_close(&idle[i]);
	calls_ok(&s, NULL, 20, 4, "the good client after");
	assert_ok(vaccel_session_release(&s));
	itest_end();
}

/* ---- soak ----------------------------------------------------------------
 */

/* The agent's open descriptors and resident memory (KiB). */
static unsigned int agent_fds(void)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)itest_agent.pid);
	DIR *d = opendir(path);
	cr_assert_not_null(d, "%s: %s", path, strerror(errno));
	unsigned int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static double soak_until;

/* A client that runs the workload until soak_until. */
static void soak_child(int out_fd, unsigned int n, unsigned int seed)
{
	struct child_result r = {0};
	struct vaccel_session s;
	int ret = vaccel_session_init(&s, 0);
	if (ret) {
		child_fail(&r, ret, "vaccel_session_init");
	} else {
		for (unsigned int i = 0; itest_now_ms() < soak_until; i++)
			workload_run(&s, NULL, n, seed + i, &r);
		ret = vaccel_session_release(&s);
		if (ret)
			child_fail(&r, ret, "vaccel_session_release");
	}
	ssize_t w = write(out_fd, &r, sizeof(r));
	(void)w;
}

/* One round of every attack that a TCP peer can make, each from its own
 * source address. */
static void soak_attacks(unsigned int round)
{
	/* idle connections past their HELLO, and silent ones */
	static struct raw idle[64];
	for (unsigned int i = 0; i < 64; i++) {
		uint8_t key[WIRE_KEY_SIZE] = {0x41, (uint8_t)i};
		raw_open_from(&idle[i], "127.0.0.2");
		if (i % 2)
			hello_status(&idle[i], key);
	}
	/* frames stalled mid-way */
	struct raw slow[6];
	uint8_t part[10] = {0x94};
	for (unsigned int i = 0; i < 6; i++) {
		uint8_t key[WIRE_KEY_SIZE] = {0x51, (uint8_t)i};
		raw_open_from(&slow[i], "127.0.0.3");
		hello_status(&slow[i], key);
		raw_partial_call(&slow[i], slow[i].next_req++, 1000, part,
				 sizeof(part));
	}
	/* a key flood */
	struct raw keys;
	raw_open_from(&keys, "127.0.0.4");
	for (unsigned int i = 0; i < 300; i++) {
		uint8_t key[WIRE_KEY_SIZE] = {0x61, (uint8_t)i,
					      (uint8_t)round};
		if (hello_status(&keys, key) != VACCEL_OK)
			break;
	}
	raw_close(&keys);
	/* a HELLO padded past the budget, and a log flood */
	struct raw big;
	raw_open_from(&big, "127.0.0.5");
	struct wbuf m = {0};
	mp_put_array(&m, 4);
	mp_put_uint(&m, WIRE_VERSION);
	uint8_t key[WIRE_KEY_SIZE] = {0x71};
	mp_put_bin(&m, key, sizeof(key));
	mp_put_nil(&m);
	mp_put_array(&m, 0);
	size_t pad = 24u << 20;
	uint8_t *zeros = calloc(1, pad);
	cr_assert(zeros);
	mp_put_bin(&m, zeros, pad);
	free(zeros);
	raw_frame(&big, WIRE_HELLO, 1, &m, NULL, 0);
	wbuf_free(&m);
	raw_close(&big);
	struct raw noisy;
	raw_open_from(&noisy, "127.0.0.6");
	cr_assert_eq(raw_hello(&noisy, NULL, NULL), VACCEL_OK);
	int64_t sid = raw_sess_new(&noisy);
	for (unsigned int i = 0; i < 300; i++) {
		struct reply rep;
		meta_call_head(&m, VACCEL_OPID_NOOP, 0x1234, sid, 0);
		if (raw_frame(&noisy, WIRE_CALL, noisy.next_req++, &m, NULL,
			      0) ||
		    raw_reply(&noisy, &rep)) {
			wbuf_free(&m);
			break;
		}
		wbuf_free(&m);
		reply_free(&rep);
	}
	raw_close(&noisy);
	usleep(200 * 1000);
	for (unsigned int i = 0; i < 6; i++)
		raw_close(&slow[i]);
	for (unsigned int i = 0; i < 64; i++)
		raw_close(&idle[i]);
}

#define SOAK_CLIENTS 32

/*
 * Load from 32 clients and every attack above together, for
 * ITEST_SOAK_SECONDS (scripts/test soak; not in the default run): every
 * client call right, and the agent's descriptors, threads and resident
 * memory back near where they were once it is over.
 */
Test(e2e, soak)
{
	if (!getenv("ITEST_SOAK_SECONDS"))
		cr_skip_test("the soak test runs in `scripts/test soak` "
			     "(ITEST_SOAK_SECONDS)");
	if (itest_agent.transport != ITEST_TCP)
		cr_skip_test("the attackers are TCP source addresses");
	itest_begin((const char *const[]){"--max-memory", "16M",
					  "--frame-timeout", "2000",
					  "--handshake-timeout", "2000", NULL});
	double secs = atof(getenv("ITEST_SOAK_SECONDS"));
	cr_assert_gt(secs, 0, "ITEST_SOAK_SECONDS must be a number of seconds");
	usleep(200 * 1000);
	unsigned int fd0 = agent_fds(), th0 = agent_threads();
	long rss0 = agent_status(&itest_agent, "VmRSS");
	soak_until = itest_now_ms() + secs * 1e3;
	pid_t pids[SOAK_CLIENTS];
	int fds[SOAK_CLIENTS];
	for (int i = 0; i < SOAK_CLIENTS; i++)
		pids[i] = fork_child(&fds[i], soak_child, 200,
				     (unsigned int)i * 7919);
	unsigned int rounds = 0;
	unsigned int th_most = th0;
	while (itest_now_ms() < soak_until) {
		soak_attacks(rounds++);
		unsigned int th = agent_threads();
		if (th > th_most)
			th_most = th;
	}
	uint64_t calls = 0;
	for (int i = 0; i < SOAK_CLIENTS; i++) {
		struct child_result r;
		char who[32];
		snprintf(who, sizeof(who), "client process %d", i);
		bool got = read_result(fds[i], &r);
		close(fds[i]);
		reap_ok(pids[i], who);
		cr_assert(got, "%s died before reporting", who);
		assert_clean(&r, 0, who);
		calls += r.calls;
	}
	cr_assert(agent_alive(&itest_agent), "the agent died");
	/* the pool's idle threads end after 10 s */
	usleep(12 * 1000 * 1000);
	unsigned int fd1 = agent_fds(), th1 = agent_threads();
	long rss1 = agent_status(&itest_agent, "VmRSS");
	cr_log_info("soak: %.0f s, %llu client calls, %u attack rounds; "
		    "agent fds %u -> %u, threads %u -> %u (most %u), RSS %ld "
		    "-> %ld KiB",
		    secs, (unsigned long long)calls, rounds, fd0, fd1, th0,
		    th1, th_most, rss0, rss1);
	cr_assert_leq(fd1, fd0 + 2, "descriptors grew from %u to %u", fd0,
		      fd1);
	cr_assert_leq(th1, th0 + 2, "threads grew from %u to %u", th0, th1);
	cr_assert_lt(rss1, rss0 + 64 * 1024, "RSS grew from %ld to %ld KiB",
		     rss0, rss1);
	itest_end();
}
