// SPDX-License-Identifier: Apache-2.0
/*
 * The tls transport against a real agent: calls over a verified
 * connection, servers and clients refused for the wrong certificates (the
 * agent serving a good client after each), client certificates required
 * with ca= on the agent's address, addresses and credential files
 * refused with their reason, credentials kept once loaded (the token, like
 * every case of the conformance and e2e suites, is tested over tls by
 * those suites' -tls variants). Certificates are made at test time (harness: openssl). Runs with
 * ITEST_TRANSPORT=tls; skips, saying why, without GnuTLS or openssl.
 */
#include "harness.h"
#include "workload.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

TestSuite(tls, .init = itest_init, .fini = itest_fini, .timeout = 120);

/* ---- helpers ------------------------------------------------------------- */

/* The test's client log (VACCEL_LOG_FILE), which the tls module's reasons
 * go to. */
static char client_log[128];

/* Point the rpc plugin at the agent through `opts` (the query string
 * after '?'), logging to client_log. */
static void client_at(const char *opts)
{
	char url[1024];
	size_t n = strcspn(itest_agent.client_url, "?");
	snprintf(url, sizeof(url), "%.*s?%s", (int)n, itest_agent.client_url,
		 opts);
	client_env(&itest_agent);
	setenv("VACCEL_RPC_ADDRESS", url, 1);
	snprintf(client_log, sizeof(client_log), "%s/client.log",
		 itest_agent.dir);
	setenv("VACCEL_LOG_FILE", client_log, 1);
}

/* How often the client log has needle. */
static unsigned int client_log_count(const char *needle)
{
	char *all = test_read_file(client_log, NULL);
	unsigned int n = 0;
	for (const char *p = all; p && (p = strstr(p, needle)); p++)
		n++;
	free(all);
	return n;
}

/* Bootstrap, open a session and run one noop on the current address:
 * the first failing status, or VACCEL_OK. The library is cleaned up. */
static int try_session(void)
{
	struct vaccel_session s;
	assert_ok(vaccel_bootstrap());
	int ret = vaccel_session_init(&s, 0);
	if (ret == VACCEL_OK) {
		ret = vaccel_noop(&s);
		int rel = vaccel_session_release(&s);
		if (ret == VACCEL_OK)
			ret = rel;
	}
	assert_ok(vaccel_cleanup());
	return ret;
}

/* A client on `opts` that must be refused: the reason (needle) lands in
 * the client's log (client_needle, NULL: not checked) and the agent's
 * (agent_needle, NULL: not checked). */
static void refused(const char *opts, const char *client_needle,
		    const char *agent_needle)
{
	client_at(opts);
	unsigned int c0 = client_needle ? client_log_count(client_needle) : 0;
	unsigned int a0 =
	    agent_needle ? agent_log_count(&itest_agent, agent_needle) : 0;
	int ret = try_session();
	cr_assert_neq(ret, VACCEL_OK, "a client on ?%s was served", opts);
	if (client_needle) {
		char *log = test_read_file(client_log, NULL);
		cr_assert_gt(client_log_count(client_needle), c0,
			     "the client's log does not say '%s':\n%s",
			     client_needle, log ? log : "(none)");
		free(log);
	}
	/* the agent logs a refusal as it happens, maybe after the client
	 * gave up */
	for (int i = 0; agent_needle && i < 200; i++) {
		if (agent_log_count(&itest_agent, agent_needle) > a0)
			return;
		usleep(10000);
	}
	cr_assert(!agent_needle, "the agent's log does not say '%s'",
		  agent_needle);
}

/* A client on `opts` is served: a session and a mixed workload (noop,
 * sgemm, image classification), its outputs checked. */
static void served(const char *opts, const char *who)
{
	client_at(opts);
	assert_ok(vaccel_bootstrap());
	struct vaccel_session s;
	assert_ok(vaccel_session_init(&s, 0));
	struct child_result r = {0};
	workload_run(&s, NULL, 30, 7, &r);
	cr_assert_eq(r.errors, 0, "%s: %u of %u calls failed; first: %s -> %s",
		     who, r.errors, r.calls, r.what,
		     r.first_err == -1 ? "wrong output"
				       : vaccel_error_to_str(r.first_err));
	assert_ok(vaccel_session_release(&s));
	assert_ok(vaccel_cleanup());
}

/* "ca=FILE" and the like, into a static buffer per call site. */
#define OPTS(buf, ...) (snprintf(buf, sizeof(buf), __VA_ARGS__), buf)

/* ---- calls --------------------------------------------------------------- */

Test(tls, calls_over_a_verified_connection)
{
	itest_begin(NULL);
	const struct itest_tls *f = itest_tls_files();
	struct vaccel_session s;
	assert_ok(vaccel_session_init(&s, 0));
	struct child_result r = {0};
	workload_run(&s, NULL, 90, 1, &r);
	cr_assert_eq(r.errors, 0, "%u of %u calls failed; first: %s -> %s",
		     r.errors, r.calls, r.what,
		     r.first_err == -1 ? "wrong output"
				       : vaccel_error_to_str(r.first_err));
	assert_ok(vaccel_session_release(&s));
	assert_ok(vaccel_cleanup());

	/* the server's name given apart from the address it is reached at */
	char o[512];
	served(OPTS(o, "ca=%s&name=localhost", f->ca), "name=localhost");
	/* a %-escaped path */
	char esc[384];
	size_t n = 0;
	for (const char *p = f->ca; *p && n + 4 < sizeof(esc); p++)
		n += (size_t)(*p == '/' ? snprintf(esc + n, 4, "%%2F")
					: snprintf(esc + n, 2, "%c", *p));
	served(OPTS(o, "ca=%s", esc), "a %-escaped ca=");

	/* raw frames through the transport's own connection */
	struct raw w;
	raw_open(&w, &itest_agent, 10000);
	assert_ok((int)raw_hello(&w, NULL, NULL));
	int64_t sid = raw_sess_new(&w);
	for (int i = 0; i < 10; i++)
		assert_ok((int)raw_noop(&w, sid));
	raw_close(&w);
	itest_end();
}

/* ---- the server's certificate ------------------------------------------- */

Test(tls, server_certificate_is_verified)
{
	agent_start(&itest_agent, NULL);
	const struct itest_tls *f = itest_tls_files();
	char o[512];
	/* a CA that did not sign the agent's certificate */
	refused(OPTS(o, "ca=%s", f->other_ca), "NOT trusted", NULL);
	served(OPTS(o, "ca=%s", f->ca), "the good client after a wrong CA");
	/* the right CA, another name */
	refused(OPTS(o, "ca=%s&name=not-the-agent.example", f->ca),
		"does not match", NULL);
	served(OPTS(o, "ca=%s", f->ca), "the good client after a wrong name");
	cr_assert(agent_alive(&itest_agent));
	agent_stop_check(&itest_agent);
}

/* ---- client certificates ------------------------------------------------- */

Test(tls, client_certificates_required_with_ca)
{
	const struct itest_tls *f = itest_tls_files();
	char so[256];
	itest_agent.tls_server_opts = OPTS(so, "&ca=%s", f->ca);
	agent_start(&itest_agent, NULL);
	char o[1024];
	/* no certificate */
	refused(OPTS(o, "ca=%s", f->ca), NULL, "sent no certificate");
	/* one the agent's CA did not sign */
	refused(
	    OPTS(o, "ca=%s&cert=%s&key=%s", f->ca, f->other_cert, f->other_key),
	    NULL, "the peer's certificate is refused");
	/* one it signed */
	served(OPTS(o, "ca=%s&cert=%s&key=%s", f->ca, f->client_cert,
		    f->client_key),
	       "a client with a certificate of the agent's CA");
	cr_assert(agent_alive(&itest_agent));
	agent_stop_check(&itest_agent);
}

/* ---- addresses and files ------------------------------------------------- */

/* url_parse (and, where it parses, url_check for `server`) refuses text
 * with a reason holding needle. */
static void bad_address(const char *text, bool server, const char *needle)
{
	struct url *u = malloc(sizeof(*u));
	char err[512];
	cr_assert_not_null(u);
	int r = url_parse(text, u, err, sizeof(err));
	if (r == 0)
		r = url_check(u, server, err, sizeof(err));
	cr_assert_neq(r, 0, "'%s' was taken", text);
	cr_assert_not_null(strstr(err, needle),
			   "'%s': the reason '%s' does not say '%s'", text, err,
			   needle);
	free(u);
}

Test(tls, addresses_are_checked)
{
	struct url *u = malloc(sizeof(*u));
	char err[512];
	cr_assert_not_null(u);
	cr_assert_eq(url_parse("tls://[::1]:4433?ca=/a%26b%25c&cert=/c&key=/k"
			       "&name=agent.example",
			       u, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_str_eq(u->host, "::1");
	cr_assert_str_eq(u->port, "4433");
	cr_assert_str_eq(u->tls.ca, "/a&b%c");
	cr_assert_str_eq(u->tls.cert, "/c");
	cr_assert_str_eq(u->tls.key, "/k");
	cr_assert_str_eq(u->tls.name, "agent.example");
	assert_ok(url_check(u, false, err, sizeof(err)));
	free(u);

	bad_address("tls://h:4433", false, "no credentials");
	bad_address("tls://h:4433?ca=/x&colour=blue", false,
		    "unknown option 'colour'");
	bad_address("tls://h:4433?ca=", false, "option 'ca' is empty");
	bad_address("tls://h:4433?ca", false, "option 'ca' needs a value");
	bad_address("tls://h:4433?ca=/a&ca=/b", false, "given twice");
	bad_address("tls://h:4433?ca=/a%zz", false, "bad %-escape");
	bad_address("tls://h:4433?ca=/a%00", false, "bad %-escape");
	bad_address("tls://h:4433?ca=/a&cert=/c", false, "go together");
	bad_address("tls://h?ca=/a", false, "expected tls://host:port");
	/* a client never connects unverified */
	bad_address("tls://h:4433?cert=/c&key=/k", false, "needs ca=FILE");
	bad_address("tls://h:4433?ca=/a", true, "needs cert=FILE&key=FILE");
	bad_address("tls://h:4433?cert=/c&key=/k&name=n", true,
		    "name= is a client's option");
	char *big = malloc(PATH_MAX + 64);
	cr_assert_not_null(big);
	int n = snprintf(big, PATH_MAX + 64, "tls://h:1?ca=/");
	memset(big + n, 'a', PATH_MAX);
	big[n + PATH_MAX] = '\0';
	bad_address(big, false, "longer than");
	free(big);

	/* the rpc plugin refuses a client address without ca= at start */
	client_env(&itest_agent);
	char *log = itest_write_file("client.log", "", 0);
	snprintf(client_log, sizeof(client_log), "%s", log);
	free(log);
	setenv("VACCEL_LOG_FILE", client_log, 1);
	setenv("VACCEL_RPC_ADDRESS", "tls://127.0.0.1:4433?cert=/c&key=/k", 1);
	struct vaccel_session s;
	int b = vaccel_bootstrap();
	if (b == VACCEL_OK) {
		cr_assert_neq(vaccel_session_init(&s, 0), VACCEL_OK,
			      "a session over an unverified address");
		vaccel_cleanup();
	}
	cr_assert_geq(client_log_count("needs ca=FILE"), 1u,
		      "the client's log does not say why");
}

/* vaccel-agent on `url` exits non-zero at start, saying needle. */
static void agent_refuses(const char *url, const char *needle)
{
	char log[160];
	snprintf(log, sizeof(log), "%s/refused.log", itest_agent.dir);
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0, "%s: %s", log, strerror(errno));
	const char *agent = itest_path("VACCEL_AGENT");
	pid_t pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		if (dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		execl(agent, agent, "-a", url, "--plugins",
		      itest_path("NOOP_PLUGIN"), (char *)NULL);
		_exit(127);
	}
	close(fd);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		cr_assert_eq(errno, EINTR);
	char *out = test_read_file(log, NULL);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) != 0 &&
		      WEXITSTATUS(st) != 127,
		  "the agent on %s did not refuse to start (0x%x):\n%s", url,
		  st, out ? out : "");
	cr_assert(out && strstr(out, needle),
		  "the agent on %s did not say '%s':\n%s", url, needle,
		  out ? out : "");
	free(out);
}

Test(tls, credential_files_are_checked)
{
	const struct itest_tls *f = itest_tls_files();
	char missing[160], garbage[160], url[1024];
	snprintf(missing, sizeof(missing), "%s/missing.pem", itest_agent.dir);
	free(itest_write_file("garbage.pem", "not PEM\n", 8));
	snprintf(garbage, sizeof(garbage), "%s/garbage.pem", itest_agent.dir);
	char why[320];

	snprintf(why, sizeof(why), "cert file '%s': No such file", missing);
	agent_refuses(OPTS(url, "tls://127.0.0.1:1?cert=%s&key=%s", missing,
			   f->server_key),
		      why);
	snprintf(why, sizeof(why), "key file '%s': No such file", missing);
	agent_refuses(OPTS(url, "tls://127.0.0.1:1?cert=%s&key=%s",
			   f->server_cert, missing),
		      why);
	snprintf(why, sizeof(why), "cert file '%s'", garbage);
	agent_refuses(OPTS(url, "tls://127.0.0.1:1?cert=%s&key=%s", garbage,
			   f->server_key),
		      why);
	snprintf(why, sizeof(why), "key file '%s'", garbage);
	agent_refuses(OPTS(url, "tls://127.0.0.1:1?cert=%s&key=%s",
			   f->server_cert, garbage),
		      why);
	/* a key that is not the certificate's: both named */
	snprintf(why, sizeof(why), "cert file '%s' with key file '%s'",
		 f->server_cert, f->client_key);
	agent_refuses(OPTS(url, "tls://127.0.0.1:1?cert=%s&key=%s",
			   f->server_cert, f->client_key),
		      why);
	snprintf(why, sizeof(why), "ca file '%s'", garbage);
	agent_refuses(OPTS(url, "tls://127.0.0.1:1?cert=%s&key=%s&ca=%s",
			   f->server_cert, f->server_key, garbage),
		      why);
	agent_refuses("tls://127.0.0.1:1?ca=/x", "needs cert=FILE&key=FILE");

	/* the client's side: a bad CA file is said, and nothing is served */
	agent_start(&itest_agent, NULL);
	char o[512];
	snprintf(why, sizeof(why), "ca file '%s': No such file", missing);
	refused(OPTS(o, "ca=%s", missing), why, NULL);
	snprintf(why, sizeof(why), "ca file '%s'", garbage);
	refused(OPTS(o, "ca=%s", garbage), why, NULL);
	served(OPTS(o, "ca=%s", f->ca), "the good client after bad files");
	agent_stop_check(&itest_agent);
}

/* ---- credentials loaded once -------------------------------------------- */

static void *session_in_thread(void *arg)
{
	struct vaccel_session s;
	int *ret = arg;
	*ret = vaccel_session_init(&s, 0);
	if (*ret == VACCEL_OK) {
		*ret = vaccel_noop(&s);
		vaccel_session_release(&s);
	}
	return NULL;
}

/*
 * The agent reads its files when it starts listening, a client when it
 * first connects: with the files gone, the agent still serves new
 * connections, and a second thread of the client (a connection of its
 * own) still verifies the agent with the CA it loaded.
 */
Test(tls, credentials_are_loaded_once)
{
	const struct itest_tls *f = itest_tls_files();
	char ca[160], so[256], o[512];
	snprintf(ca, sizeof(ca), "%s/ca-copy.pem", itest_agent.dir);
	char *pem = test_read_file(f->ca, NULL);
	cr_assert_not_null(pem);
	free(itest_write_file("ca-copy.pem", pem, strlen(pem)));
	free(pem);
	itest_agent.tls_server_opts = OPTS(so, "&ca=%s", ca);
	agent_start(&itest_agent, NULL);
	client_at(
	    OPTS(o, "ca=%s&cert=%s&key=%s", ca, f->client_cert, f->client_key));
	assert_ok(vaccel_bootstrap());
	struct vaccel_session s;
	assert_ok(vaccel_session_init(&s, 0));
	/* the CA file both sides use, gone */
	cr_assert_eq(unlink(ca), 0, "%s: %s", ca, strerror(errno));
	int ret = -1;
	pthread_t th;
	cr_assert_eq(pthread_create(&th, NULL, session_in_thread, &ret), 0);
	pthread_join(th, NULL);
	assert_ok(ret);
	assert_ok(vaccel_noop(&s));
	assert_ok(vaccel_session_release(&s));
	assert_ok(vaccel_cleanup());
	/* a new process (here: the library loaded again) reads them again */
	cr_assert_neq(try_session(), VACCEL_OK,
		      "a client verified the agent with a CA file now gone");
	agent_stop_check(&itest_agent);
}

/* ---- deadlines ----------------------------------------------------------- */

/*
 * A TCP peer that never starts the TLS handshake, or stops in the middle
 * of it, is cut once --handshake-timeout has passed; a client meanwhile
 * is served.
 */
Test(tls, handshake_is_bounded)
{
	itest_begin((const char *const[]){"--handshake-timeout", "300", NULL});
	struct url *u = malloc(sizeof(*u));
	char err[256];
	cr_assert_not_null(u);
	cr_assert_eq(url_parse(itest_agent.client_url, u, err, sizeof(err)), 0,
		     "%s", err);
	/* silent; then a ClientHello's first bytes only */
	static const unsigned char part[] = {0x16, 0x03, 0x01,
					     0x02, 0x00, 0x01};
	for (int i = 0; i < 2; i++) {
		int fd = url_connect(u, 2000);
		cr_assert_geq(fd, 0, "connect: %s", strerror(-fd));
		if (i == 1)
			cr_assert_eq(write(fd, part, sizeof(part)),
				     (ssize_t)sizeof(part));
		struct timeval tv = {.tv_sec = 10};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		double t0 = itest_now_ms();
		char b[64];
		ssize_t n;
		do
			n = read(fd, b, sizeof(b));
		while (n > 0);
		double dt = itest_now_ms() - t0;
		close(fd);
		cr_assert_lt(dt, 5000, "a stalled handshake lived %.0f ms", dt);
		struct vaccel_session s;
		assert_ok(vaccel_session_init(&s, 0));
		assert_ok(vaccel_noop(&s));
		assert_ok(vaccel_session_release(&s));
	}
	free(u);
	itest_end();
}

/* ---- the agent's usage -------------------------------------------------- */

Test(tls, agent_usage_names_tls)
{
	const char *agent = itest_path("VACCEL_AGENT");
	char cmd[PATH_MAX + 32];
	snprintf(cmd, sizeof(cmd), "'%s' --help", agent);
	FILE *p = popen(cmd, "re");
	cr_assert_not_null(p);
	char buf[8192];
	size_t n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = '\0';
	pclose(p);
	cr_assert_not_null(strstr(buf, "tls://host:port?cert=FILE&key=FILE"),
			   "--help does not name tls addresses:\n%s", buf);
}
