// SPDX-License-Identifier: Apache-2.0
#include "harness.h"
#include <criterion/hooks.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct agent itest_agent;

static const char *const transport_names[] = {
#define X(name, str) str,
    ITEST_TRANSPORTS_LIST(X)
#undef X
};

/* Set in main() for the test processes (they inherit the environment). */
#define VSOCK_PROBE_VAR "ITEST_VSOCK_PROBE"

double itest_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

const char *itest_path(const char *var)
{
	const char *p = getenv(var);
	cr_assert(p && *p, "%s is not set (run the tests through meson test)",
		  var);
	return p;
}

bool itest_sanitized(void)
{
	const char *s = getenv("ITEST_SANITIZED");
	return s && strcmp(s, "1") == 0;
}

/* ---- vsock availability ------------------------------------------------- */

/* NULL when a stream can be bound and connected over vsock on this host;
 * otherwise why not (static storage). */
static const char *vsock_probe(void)
{
	static char why[200];
	int l = -1, c = -1;
	const char *res = why;
	l = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0) {
		snprintf(why, sizeof(why), "socket(AF_VSOCK): %s",
			 strerror(errno));
		goto out;
	}
	struct sockaddr_vm sa = {.svm_family = AF_VSOCK,
				 .svm_cid = VMADDR_CID_ANY};
	int bound = -1;
	for (int i = 0; i < 20 && bound < 0; i++) {
		sa.svm_port =
		    20000 + (uint32_t)((getpid() * 7919 + i * 104729) % 40000);
		bound = bind(l, (struct sockaddr *)&sa, sizeof(sa));
	}
	if (bound < 0 || listen(l, 4) < 0) {
		snprintf(why, sizeof(why),
			 "binding AF_VSOCK (VMADDR_CID_ANY): %s",
			 strerror(errno));
		goto out;
	}
	c = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c < 0) {
		snprintf(why, sizeof(why), "socket(AF_VSOCK): %s",
			 strerror(errno));
		goto out;
	}
	struct sockaddr_vm to = {.svm_family = AF_VSOCK,
				 .svm_cid = VMADDR_CID_LOCAL,
				 .svm_port = sa.svm_port};
	int r = connect(c, (struct sockaddr *)&to, sizeof(to));
	if (r < 0 && errno == EINPROGRESS) {
		struct pollfd p = {.fd = c, .events = POLLOUT};
		int n = poll(&p, 1, 1000);
		int soerr = ETIMEDOUT;
		socklen_t sl = sizeof(soerr);
		if (n > 0)
			getsockopt(c, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		errno = soerr;
		r = soerr ? -1 : 0;
	}
	if (r < 0) {
		snprintf(why, sizeof(why),
			 "bound AF_VSOCK, but connecting to VMADDR_CID_LOCAL "
			 "(cid 1) fails: %s (no vsock loopback transport)",
			 strerror(errno));
		goto out;
	}
	res = NULL;
out:
	if (c >= 0)
		close(c);
	if (l >= 0)
		close(l);
	return res;
}

static const char *vsock_unavailable(void)
{
	const char *v = getenv(VSOCK_PROBE_VAR);
	if (v && *v)
		return strcmp(v, "ok") == 0 ? NULL : v;
	return vsock_probe();
}

/* ---- files --------------------------------------------------------------- */

static void make_dir(struct agent *a);

/* The last `max` bytes of the log from `from` on; malloc'd. */
static char *log_tail(const struct agent *a, size_t from, size_t max)
{
	size_t len = 0;
	char *all = test_read_file(a->log_path, &len);
	if (!all)
		return strdup("(no log)");
	if (from > len)
		from = len;
	if (len - from > max)
		from = len - max;
	char *t = strdup(all + from);
	free(all);
	return t;
}

long agent_status(const struct agent *a, const char *field)
{
	char path[64], line[256];
	size_t n = strlen(field);
	long v = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)a->pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

unsigned int agent_log_count(const struct agent *a, const char *needle)
{
	itest_need_own_agent("its log");
	char *all = test_read_file(a->log_path, NULL);
	unsigned int n = 0;
	for (const char *p = all; p && (p = strstr(p, needle)); p++)
		n++;
	free(all);
	return n;
}

static size_t log_size(const struct agent *a)
{
	struct stat st;
	return stat(a->log_path, &st) == 0 ? (size_t)st.st_size : 0;
}

char *itest_write_file(const char *name, const void *data, size_t len)
{
	char *path = NULL;
	if (!itest_agent.dir[0])
		make_dir(&itest_agent);
	cr_assert(asprintf(&path, "%s/%s", itest_agent.dir, name) > 0);
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f, "cannot create %s: %s", path, strerror(errno));
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
	return path;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* ---- tls certificates ---------------------------------------------------- */

const char *itest_tls_unavailable(void)
{
	for (const struct transport *const *t = vaccel_transports; *t; t++)
		if (strcmp((*t)->scheme, "tls") == 0)
			return NULL;
	return "the tls transport is not built (no GnuTLS: meson feature "
	       "transport-tls)";
}

/* The path of the openssl program on PATH, or NULL. */
static const char *find_openssl(char *buf, size_t len)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		snprintf(buf, len, "%.*s/openssl", (int)n, path);
		if (n && access(buf, X_OK) == 0)
			return buf;
		path += n + (path[n] == ':');
	}
	return NULL;
}

/* openssl req, making a P-256 key and a certificate of `ext` (a section
 * of the directory's openssl.cnf) for subject `cn`, signed by ca/ca_key
 * (NULL: self-signed). Asserts, with openssl's output. */
static void make_cert(const char *openssl, const char *cnf, const char *ext,
		      const char *cn, const char *cert, const char *key,
		      const char *ca, const char *ca_key)
{
	char subj[64], log[160];
	snprintf(subj, sizeof(subj), "/CN=%s", cn);
	snprintf(log, sizeof(log), "%s/openssl.log", itest_agent.dir);
	/* options and their values; a NULL value leaves its option out */
	const char *opts[][2] = {
	    {"-config", cnf},  {"-extensions", ext},
	    {"-newkey", "ec"}, {"-pkeyopt", "ec_paramgen_curve:prime256v1"},
	    {"-days", "2"},    {"-subj", subj},
	    {"-keyout", key},  {"-out", cert},
	    {"-CA", ca},       {"-CAkey", ca_key},
	};
	const char *argv[32] = {openssl, "req", "-x509", "-nodes"};
	int n = 4;
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (!opts[i][1])
			continue;
		argv[n++] = opts[i][0];
		argv[n++] = opts[i][1];
	}
	int logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert_geq(logfd, 0, "%s: %s", log, strerror(errno));
	pid_t pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		if (dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0)
			_exit(127);
		execv(openssl, (char *const *)argv);
		_exit(127);
	}
	close(logfd);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		cr_assert_eq(errno, EINTR, "waitpid: %s", strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char *out = test_read_file(log, NULL);
		cr_assert_fail("openssl req for %s failed (status 0x%x):\n%s",
			       cert, st, out ? out : "(no output)");
	}
}

const struct itest_tls *itest_tls_files(void)
{
	static struct itest_tls f;
	static const char cnf_text[] =
	    "[req]\n"
	    "distinguished_name = dn\n"
	    "prompt = no\n"
	    "[dn]\n"
	    "CN = unused\n"
	    "[ca]\n"
	    "basicConstraints = critical,CA:TRUE\n"
	    "keyUsage = critical,keyCertSign,cRLSign\n"
	    "subjectKeyIdentifier = hash\n"
	    "[server]\n"
	    "basicConstraints = critical,CA:FALSE\n"
	    "keyUsage = critical,digitalSignature\n"
	    "extendedKeyUsage = serverAuth\n"
	    "subjectAltName = DNS:localhost,IP:127.0.0.1\n"
	    "[client]\n"
	    "basicConstraints = critical,CA:FALSE\n"
	    "keyUsage = critical,digitalSignature\n"
	    "extendedKeyUsage = clientAuth\n";
	if (f.ca[0])
		return &f;
	char buf[PATH_MAX];
	const char *openssl = find_openssl(buf, sizeof(buf));
	if (!openssl)
		cr_skip_test("no openssl on PATH (Debian's openssl package): "
			     "the tls tests make their certificates with it");
	char *cnf =
	    itest_write_file("openssl.cnf", cnf_text, sizeof(cnf_text) - 1);
	const char *d = itest_agent.dir;
#define TLS_FILE(field, name)                                                  \
	snprintf(f.field, sizeof(f.field), "%s/%s", d, name)
	TLS_FILE(server_cert, "server.pem");
	TLS_FILE(server_key, "server.key");
	TLS_FILE(client_cert, "client.pem");
	TLS_FILE(client_key, "client.key");
	TLS_FILE(other_ca, "other-ca.pem");
	TLS_FILE(other_cert, "other-client.pem");
	TLS_FILE(other_key, "other-client.key");
#undef TLS_FILE
	char ca_key[128], other_ca_key[128], ca[128];
	snprintf(ca, sizeof(ca), "%s/ca.pem", d);
	snprintf(ca_key, sizeof(ca_key), "%s/ca.key", d);
	snprintf(other_ca_key, sizeof(other_ca_key), "%s/other-ca.key", d);
	make_cert(openssl, cnf, "ca", "itest CA", ca, ca_key, NULL, NULL);
	make_cert(openssl, cnf, "server", "localhost", f.server_cert,
		  f.server_key, ca, ca_key);
	make_cert(openssl, cnf, "client", "itest client", f.client_cert,
		  f.client_key, ca, ca_key);
	make_cert(openssl, cnf, "ca", "itest other CA", f.other_ca,
		  other_ca_key, NULL, NULL);
	make_cert(openssl, cnf, "client", "itest other client", f.other_cert,
		  f.other_key, f.other_ca, other_ca_key);
	free(cnf);
	/* last: set once every file is there */
	snprintf(f.ca, sizeof(f.ca), "%s", ca);
	return &f;
}

/* ---- the agent ---------------------------------------------------------- */

static void describe_status(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "exit status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
	else
		snprintf(buf, len, "wait status 0x%x", st);
}

static void make_dir(struct agent *a)
{
	snprintf(a->dir, sizeof(a->dir), "/tmp/vaccel-itest.XXXXXX");
	cr_assert_not_null(mkdtemp(a->dir), "mkdtemp: %s", strerror(errno));
	snprintf(a->log_path, sizeof(a->log_path), "%s/agent.log", a->dir);
}

/* A loopback TCP port the kernel just handed out; another process could
 * take it before the agent binds, so the start retries. */
static unsigned int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0,
		     "bind 127.0.0.1:0: %s", strerror(errno));
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static void pick_address(struct agent *a)
{
	switch (a->transport) {
	case ITEST_UNIX:
	case ITEST_SHM:
	case ITEST_VIRTIO:
		snprintf(a->sock_path, sizeof(a->sock_path), "%s/agent.sock",
			 a->dir);
		snprintf(a->url, sizeof(a->url), "%s://%s",
			 transport_names[a->transport], a->sock_path);
		snprintf(a->client_url, sizeof(a->client_url), "%s", a->url);
		break;
	case ITEST_TCP:
		snprintf(a->url, sizeof(a->url), "tcp://127.0.0.1:%u",
			 free_port());
		snprintf(a->client_url, sizeof(a->client_url), "%s", a->url);
		break;
	case ITEST_TLS: {
		const struct itest_tls *f = itest_tls_files();
		unsigned int port = free_port();
		int n = snprintf(a->url, sizeof(a->url),
				 "tls://127.0.0.1:%u?cert=%s&key=%s%s", port,
				 f->server_cert, f->server_key,
				 a->tls_server_opts ? a->tls_server_opts : "");
		cr_assert_lt((size_t)n, sizeof(a->url), "tls address too long");
		snprintf(a->client_url, sizeof(a->client_url),
			 "tls://127.0.0.1:%u?ca=%s", port, f->ca);
		break;
	}
	case ITEST_VSOCK: {
		uint32_t r;
		cr_assert_eq(getrandom(&r, sizeof(r), 0), (ssize_t)sizeof(r));
		unsigned int port = 20000 + r % 40000;
		snprintf(a->url, sizeof(a->url), "vsock://%u:%u",
			 (unsigned int)VMADDR_CID_ANY, port);
		snprintf(a->client_url, sizeof(a->client_url), "vsock://%u:%u",
			 (unsigned int)VMADDR_CID_LOCAL, port);
		break;
	}
	case ITEST_NR:
		break;
	}
}

static pid_t spawn(struct agent *a)
{
	const char *agent = itest_path("VACCEL_AGENT");
	const char *noop = itest_path("NOOP_PLUGIN");
	const char *argv[8 + ITEST_MAX_EXTRA] = {
	    agent, "-a", a->url, "--plugins", noop,
	};
	int n = 5;
	for (int i = 0; i < a->nr_extra; i++)
		argv[n++] = a->extra[i];
	argv[n] = NULL;
	int logfd =
	    open(a->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	cr_assert_geq(logfd, 0, "%s: %s", a->log_path, strerror(errno));
	pid_t parent = getpid();
	pid_t pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		/* Never outlive the test, whatever happens to it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		int null = open("/dev/null", O_RDONLY);
		if (null < 0 || dup2(null, 0) < 0 || dup2(logfd, 1) < 0 ||
		    dup2(logfd, 2) < 0)
			_exit(127);
		/* Criterion's pipes must not stay open in the agent. */
		if (syscall(SYS_close_range, 3u, ~0u, 0u) < 0)
			for (int fd = 3; fd < 1024; fd++)
				close(fd);
		execv(agent, (char *const *)argv);
		dprintf(2, "itest: exec %s: %s\n", agent, strerror(errno));
		_exit(127);
	}
	close(logfd);
	return pid;
}

/* 0 once the socket accepts; -1 if the agent exited (status in *st). */
static int wait_ready(struct agent *a, size_t log_from, int *st)
{
	struct url u;
	char err[200];
	cr_assert_eq(url_parse(a->client_url, &u, err, sizeof(err)), 0, "%s",
		     err);
	double until = itest_now_ms() + 30000;
	while (itest_now_ms() < until) {
		if (waitpid(a->pid, st, WNOHANG) == a->pid) {
			a->pid = 0;
			return -1;
		}
		char *t = log_tail(a, log_from, 1 << 16);
		bool ready = strstr(t, "vaccel-agent: ready") != NULL;
		free(t);
		if (ready) {
			int fd = url_connect(&u, 1000);
			if (fd >= 0) {
				close(fd);
				return 0;
			}
		}
		usleep(5000);
	}
	char *t = log_tail(a, log_from, 4000);
	cr_assert_fail("the agent at %s did not accept within 30 s; log:\n%s",
		       a->url, t);
	return -1;
}

void itest_need_own_agent(const char *what)
{
	if (itest_agent.external)
		cr_skip_test("needs %s of an agent of its own; the agent at "
			     "%s is not the test's",
			     what, itest_agent.client_url);
}

void itest_need_connections(const char *what)
{
	if (itest_agent.external && itest_agent.transport == ITEST_VIRTIO)
		cr_skip_test("needs %s; the port %s carries one connection "
			     "at a time",
			     what, itest_agent.client_url);
}

void agent_start(struct agent *a, const char *const *extra)
{
	cr_assert_eq(a->pid, 0, "agent already running");
	if (a->external) {
		if (a->starts || (extra && extra[0]))
			itest_need_own_agent(a->starts ? "a restart"
						       : "other arguments");
		a->starts++;
		return;
	}
	if (!a->dir[0])
		make_dir(a);
	if (extra) {
		a->nr_extra = 0;
		for (; extra[a->nr_extra]; a->nr_extra++) {
			cr_assert_lt(a->nr_extra, ITEST_MAX_EXTRA);
			a->extra[a->nr_extra] = extra[a->nr_extra];
		}
	}
	for (int attempt = 0;; attempt++) {
		if (a->starts == 0)
			pick_address(a);
		size_t from = log_size(a);
		a->pid = spawn(a);
		int st = 0;
		if (wait_ready(a, from, &st) == 0)
			break;
		char *t = log_tail(a, from, 4000);
		bool in_use = strstr(t, "in use") != NULL;
		if (a->starts == 0 && in_use && attempt < 8) {
			free(t);
			continue;
		}
		char how[80];
		describe_status(st, how, sizeof(how));
		cr_assert_fail("the agent at %s did not start (%s); log:\n%s",
			       a->url, how, t);
	}
	a->starts++;
}

bool agent_alive(struct agent *a)
{
	if (a->pid <= 0)
		return false;
	int st;
	if (waitpid(a->pid, &st, WNOHANG) == a->pid) {
		char how[80];
		describe_status(st, how, sizeof(how));
		cr_log_error("agent %d exited: %s", (int)a->pid, how);
		a->pid = 0;
		return false;
	}
	return true;
}

/* Reap with a deadline; returns the wait status, or -1 on timeout. */
static int reap(pid_t pid, int timeout_ms)
{
	double until = itest_now_ms() + timeout_ms;
	int st;
	do {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return st;
		if (r < 0 && errno != EINTR)
			return -1;
		usleep(2000);
	} while (itest_now_ms() < until);
	return -1;
}

void agent_kill(struct agent *a, int sig)
{
	itest_need_own_agent("a kill");
	cr_assert_gt(a->pid, 0, "no agent to kill");
	cr_assert_eq(kill(a->pid, sig), 0, "kill: %s", strerror(errno));
	int st = reap(a->pid, 30000);
	cr_assert_neq(st, -1, "agent did not die on signal %d", sig);
	a->pid = 0;
}

void agent_check_log(const struct agent *a)
{
	static const char *const reports[] = {
	    "Sanitizer",
	    "runtime error:",
	    "SUMMARY:",
	};
	char *log = test_read_file(a->log_path, NULL);
	cr_assert_not_null(log, "cannot read %s", a->log_path);
	for (size_t i = 0; i < sizeof(reports) / sizeof(reports[0]); i++) {
		const char *hit = strstr(log, reports[i]);
		if (!hit)
			continue;
		size_t off = (size_t)(hit - log);
		size_t from = off > 2000 ? off - 2000 : 0;
		cr_assert_fail("the agent's log has a sanitizer report "
			       "('%s'):\n%.6000s",
			       reports[i], log + from);
	}
	free(log);
}

void agent_stop_check(struct agent *a)
{
	itest_need_own_agent("a stop");
	cr_assert_gt(a->pid, 0, "the agent is not running (it died?)");
	cr_assert_eq(kill(a->pid, SIGTERM), 0, "kill: %s", strerror(errno));
	int st = reap(a->pid, 60000);
	if (st == -1) {
		kill(a->pid, SIGKILL);
		reap(a->pid, 10000);
		a->pid = 0;
		char *t = log_tail(a, 0, 4000);
		cr_assert_fail("the agent did not stop within 60 s of SIGTERM; "
			       "log:\n%s",
			       t);
	}
	a->pid = 0;
	char how[80];
	describe_status(st, how, sizeof(how));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char *t = log_tail(a, 0, 6000);
		cr_assert_fail("the agent ended with %s after SIGTERM, want "
			       "exit status 0; log:\n%s",
			       how, t);
	}
	if (a->transport == ITEST_UNIX || a->transport == ITEST_SHM ||
	    a->transport == ITEST_VIRTIO) {
		struct stat sb;
		cr_assert_neq(lstat(a->sock_path, &sb), 0,
			      "the agent left its socket %s behind",
			      a->sock_path);
	}
	agent_check_log(a);
}

/* ---- the test's agent and client ---------------------------------------- */

void client_env(const struct agent *a)
{
	setenv("VACCEL_PLUGINS", itest_path("RPC_PLUGIN"), 1);
	setenv("VACCEL_RPC_ADDRESS", a->client_url, 1);
	setenv("VACCEL_RPC_CONNECT_TIMEOUT_MS", "1000", 1);
	/* generous: a 1 GiB call under ASan takes a while */
	setenv("VACCEL_RPC_TIMEOUT_MS", "120000", 1);
	setenv("VACCEL_LOG_LEVEL", "error", 1);
	unsetenv("VACCEL_RPC_TOKEN");
}

void itest_init(void)
{
	static const char *const clear[] = {
	    "VACCEL_PLUGINS",
	    "VACCEL_LOG_LEVEL",
	    "VACCEL_LOG_FILE",
	    "VACCEL_PROFILING_ENABLED",
	    "VACCEL_VERSION_IGNORE",
	    "VACCEL_RPC_ADDRESS",
	    "VACCEL_RPC_TOKEN",
	    "VACCEL_RPC_TIMEOUT_MS",
	    "VACCEL_RPC_CONNECT_TIMEOUT_MS",
	};
	for (size_t i = 0; i < sizeof(clear) / sizeof(clear[0]); i++)
		unsetenv(clear[i]);
	memset(&itest_agent, 0, sizeof(itest_agent));
	const char *t = getenv("ITEST_TRANSPORT");
	if (!t || !*t)
		t = "unix";
	bool found = false;
	for (int i = 0; i < ITEST_NR; i++) {
		if (strcmp(t, transport_names[i]) == 0) {
			itest_agent.transport = (enum itest_transport)i;
			found = true;
		}
	}
	cr_assert(found,
		  "ITEST_TRANSPORT='%s': want unix, tcp, vsock, shm, virtio "
		  "or tls",
		  t);
	const char *ext = getenv("ITEST_AGENT_URL");
	if (ext && *ext) {
		cr_assert_lt(strlen(ext), sizeof(itest_agent.client_url),
			     "ITEST_AGENT_URL is too long");
		cr_assert_eq(strncmp(ext, t, strlen(t)), 0,
			     "ITEST_AGENT_URL %s is no %s URL", ext, t);
		itest_agent.external = true;
		snprintf(itest_agent.url, sizeof(itest_agent.url), "%s", ext);
		snprintf(itest_agent.client_url, sizeof(itest_agent.client_url),
			 "%s", ext);
		return;
	}
	if (itest_agent.transport == ITEST_VSOCK) {
		const char *why = vsock_unavailable();
		if (why)
			cr_skip_test("vsock unavailable here: %s", why);
	}
	if (itest_agent.transport == ITEST_TLS) {
		const char *why = itest_tls_unavailable();
		if (why)
			cr_skip_test("%s", why);
	}
}

void itest_fini(void)
{
	vaccel_cleanup();
	if (itest_agent.pid > 0) {
		kill(itest_agent.pid, SIGKILL);
		reap(itest_agent.pid, 10000);
		itest_agent.pid = 0;
	}
	if (itest_agent.dir[0])
		nftw(itest_agent.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void itest_begin(const char *const *extra_args)
{
	agent_start(&itest_agent, extra_args);
	client_env(&itest_agent);
	assert_ok(vaccel_bootstrap());
}

void itest_end(void)
{
	assert_ok(vaccel_cleanup());
	if (!itest_agent.external)
		agent_stop_check(&itest_agent);
}

/* ---- raw connections ---------------------------------------------------- */

void raw_open(struct raw *r, const struct agent *a, int timeout_ms)
{
	struct url u;
	char err[200];
	memset(r, 0, sizeof(*r));
	cr_assert_eq(url_parse(a->client_url, &u, err, sizeof(err)), 0, "%s",
		     err);
	int ret = tconn_connect(&r->tc, &u, 5000, timeout_ms, timeout_ms);
	if (ret == -EBUSY)
		itest_need_connections("a raw connection beside the rpc "
				       "plugin's");
	cr_assert_eq(ret, 0, "connect to %s: %s", a->client_url,
		     strerror(-ret));
	r->next_req = 1;
}

void raw_close(struct raw *r)
{
	tconn_close(&r->tc);
}

int raw_write(struct raw *r, const void *p, size_t n)
{
	struct iovec iov = {(void *)p, n};
	return tconn_sendv(&r->tc, &iov, 1, NULL, -1);
}

static int raw_frame_flags(struct raw *r, uint16_t kind, uint64_t req,
			   uint32_t flags, const struct wbuf *meta,
			   const void *raw, uint64_t raw_len)
{
	uint8_t hdr[WIRE_HDR_SIZE];
	struct wire_hdr h = {
	    .magic = WIRE_MAGIC,
	    .version = WIRE_VERSION,
	    .kind = kind,
	    .req_id = req,
	    .meta_len = meta ? (uint32_t)meta->len : 0,
	    .flags = flags,
	    .raw_len = raw_len,
	};
	wire_hdr_encode(&h, hdr);
	struct iovec iov[3] = {
	    {hdr, sizeof(hdr)},
	    {meta ? meta->data : NULL, meta ? meta->len : 0},
	    {(void *)raw, raw ? (size_t)raw_len : 0},
	};
	return tconn_sendv(&r->tc, iov, 3, NULL, -1);
}

int raw_frame(struct raw *r, uint16_t kind, uint64_t req,
	      const struct wbuf *meta, const void *raw, uint64_t raw_len)
{
	return raw_frame_flags(r, kind, req, 0, meta, raw, raw_len);
}

void raw_partial_call(struct raw *r, uint64_t req, uint32_t meta_len,
		      const void *meta, size_t n)
{
	uint8_t hdr[WIRE_HDR_SIZE];
	struct wire_hdr h = {.magic = WIRE_MAGIC,
			     .version = WIRE_VERSION,
			     .kind = WIRE_CALL,
			     .req_id = req,
			     .meta_len = meta_len};
	wire_hdr_encode(&h, hdr);
	cr_assert_eq(raw_write(r, hdr, sizeof(hdr)), 0);
	cr_assert_eq(raw_write(r, meta, n), 0);
}

void raw_expect_end(struct raw *r, const char *what)
{
	struct reply rep;
	if (itest_agent.transport != ITEST_VIRTIO) {
		cr_assert_eq(raw_reply(r, &rep), -ECONNRESET,
			     "the agent should close after %s", what);
		return;
	}
	/* A VM's port outlives its conversations: the agent ends this one
	 * and answers nothing more until the next starts. */
	cr_assert_eq(raw_frame(r, WIRE_HELLO, 99, NULL, NULL, 0), 0);
	r->tc.recv_ms = 1000;
	cr_assert_eq(raw_reply(r, &rep), -ETIMEDOUT,
		     "the agent should end the conversation after %s", what);
}

void reply_free(struct reply *rep)
{
	free(rep->meta);
	free(rep->raw);
	rep->meta = rep->raw = NULL;
}

int raw_reply(struct raw *r, struct reply *rep)
{
	uint8_t hb[WIRE_HDR_SIZE];
	char err[160];
	struct wire_limits lim;
	memset(rep, 0, sizeof(*rep));
	int ret = tconn_recv(&r->tc, hb, sizeof(hb));
	if (ret)
		return ret == -ETIMEDOUT ? -ETIMEDOUT : -ECONNRESET;
	wire_limits_default(&lim);
	cr_assert_eq(wire_hdr_decode(hb, &rep->h, &lim, err, sizeof(err)), 0,
		     "the agent sent a bad header: %s", err);
	cr_assert(rep->h.kind == WIRE_HELLO_REPLY ||
		      rep->h.kind == WIRE_CALL_REPLY ||
		      rep->h.kind == WIRE_CTRL_REPLY,
		  "the agent sent a %s frame", wire_kind_to_str(rep->h.kind));
	cr_assert_eq(rep->h.version, WIRE_VERSION);
	rep->meta_len = rep->h.meta_len;
	rep->meta = malloc(rep->meta_len + 1);
	cr_assert_not_null(rep->meta);
	ret = tconn_recv(&r->tc, rep->meta, rep->meta_len);
	cr_assert_eq(ret, 0, "reply cut short in its meta: %s", strerror(-ret));
	if (rep->h.raw_len) {
		cr_assert_leq(rep->h.raw_len, 2ull << 30);
		rep->raw_len = rep->h.raw_len;
		rep->raw = malloc((size_t)rep->raw_len);
		cr_assert_not_null(rep->raw);
		ret = tconn_recv(&r->tc, rep->raw, rep->raw_len);
		cr_assert_eq(ret, 0, "reply cut short in its raw part: %s",
			     strerror(-ret));
	}
	struct mp_reader rd = {rep->meta, rep->meta + rep->meta_len};
	uint32_t n, sl;
	const char *s;
	cr_assert(mp_get_array(&rd, &n) == 0 && n >= 3 &&
		      mp_get_int(&rd, &rep->status) == 0 &&
		      mp_get_str(&rd, &s, &sl) == 0,
		  "malformed %s meta", wire_kind_to_str(rep->h.kind));
	size_t m = sl < sizeof(rep->msg) - 1 ? sl : sizeof(rep->msg) - 1;
	memcpy(rep->msg, s, m);
	rep->msg[m] = '\0';
	if (rep->h.kind == WIRE_CTRL_REPLY)
		cr_assert(n == 3 && mp_get_int(&rd, &rep->id) == 0,
			  "malformed CTRL_REPLY meta");
	return 0;
}

int64_t raw_hello(struct raw *r, const char *token, const uint8_t *key)
{
	struct wbuf m = {0};
	uint8_t k[WIRE_KEY_SIZE];
	if (key)
		memcpy(k, key, sizeof(k));
	else
		cr_assert_eq(getrandom(k, sizeof(k), 0), (ssize_t)sizeof(k));
	mp_put_array(&m, 4);
	mp_put_uint(&m, WIRE_VERSION);
	mp_put_bin(&m, k, sizeof(k));
	if (token)
		mp_put_str(&m, token, strlen(token));
	else
		mp_put_nil(&m);
	mp_put_array(&m, VACCEL_OPS_COUNT);
	for (unsigned int i = 0; vaccel_op_desc_at(i); i++) {
		mp_put_array(&m, 2);
		mp_put_uint(&m, vaccel_op_desc_at(i)->id);
		mp_put_uint(&m, vaccel_op_desc_at(i)->sig_hash);
	}
	uint64_t req = r->next_req++;
	int ret =
	    raw_frame_flags(r, WIRE_HELLO, req,
			    r->concurrent ? WIRE_F_CONCURRENT : 0, &m, NULL, 0);
	wbuf_free(&m);
	cr_assert_eq(ret, 0, "sending HELLO: %s", strerror(-ret));
	struct reply rep;
	ret = raw_reply(r, &rep);
	cr_assert_eq(ret, 0, "no HELLO_REPLY: %s", strerror(-ret));
	cr_assert_eq(rep.h.kind, WIRE_HELLO_REPLY);
	cr_assert_eq(rep.h.req_id, req);
	reply_free(&rep);
	return rep.status;
}

int64_t raw_sess_new(struct raw *r)
{
	struct wbuf m = {0};
	mp_put_array(&m, 2);
	mp_put_uint(&m, WIRE_CTRL_SESS_NEW);
	mp_put_uint(&m, 0);
	uint64_t req = r->next_req++;
	int ret = raw_frame(r, WIRE_CTRL, req, &m, NULL, 0);
	wbuf_free(&m);
	cr_assert_eq(ret, 0, "sending SESS_NEW: %s", strerror(-ret));
	struct reply rep;
	ret = raw_reply(r, &rep);
	cr_assert_eq(ret, 0, "no CTRL_REPLY: %s", strerror(-ret));
	cr_assert_eq(rep.h.kind, WIRE_CTRL_REPLY);
	cr_assert_eq(rep.h.req_id, req);
	cr_assert_eq(rep.status, VACCEL_OK, "SESS_NEW: %s (%s)",
		     vaccel_error_to_str((int)rep.status), rep.msg);
	cr_assert_gt(rep.id, 0);
	reply_free(&rep);
	return rep.id;
}

void meta_call_head(struct wbuf *m, uint64_t op_id, uint64_t sig_hash,
		    int64_t sess, uint32_t nr_args)
{
	mp_put_array(m, 4);
	mp_put_uint(m, op_id);
	mp_put_uint(m, sig_hash);
	mp_put_int(m, sess);
	mp_put_array(m, nr_args);
}

int64_t raw_noop(struct raw *r, int64_t sess)
{
	struct wbuf m = {0};
	meta_call_head(&m, VACCEL_OPID_NOOP,
		       vaccel_op_desc_by_id(VACCEL_OPID_NOOP)->sig_hash, sess,
		       0);
	uint64_t req = r->next_req++;
	int ret = raw_frame(r, WIRE_CALL, req, &m, NULL, 0);
	wbuf_free(&m);
	cr_assert_eq(ret, 0, "sending a noop CALL: %s", strerror(-ret));
	struct reply rep;
	ret = raw_reply(r, &rep);
	cr_assert_eq(ret, 0, "no CALL_REPLY to a noop: %s", strerror(-ret));
	cr_assert(rep.h.kind == WIRE_CALL_REPLY && rep.h.req_id == req,
		  "a noop (req %llu) got a %s for req %llu: %s (%s)",
		  (unsigned long long)req, wire_kind_to_str(rep.h.kind),
		  (unsigned long long)rep.h.req_id,
		  vaccel_error_to_str((int)rep.status), rep.msg);
	reply_free(&rep);
	return rep.status;
}

/* ---- main: vsock probe once, SKIP (77) when every test skipped ---------- */

static size_t nr_tests, nr_skipped;

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	nr_tests = stats->nb_tests;
	nr_skipped = stats->tests_skipped;
}

int main(int argc, char *argv[])
{
	const char *t = getenv("ITEST_TRANSPORT");
	if (t && strcmp(t, "vsock") == 0 && !getenv(VSOCK_PROBE_VAR)) {
		const char *why = vsock_probe();
		setenv(VSOCK_PROBE_VAR, why ? why : "ok", 1);
		if (why)
			fprintf(stderr, "vsock unavailable here: %s\n", why);
	}
	struct criterion_test_set *tests = criterion_initialize();
	int result = 0;
	if (criterion_handle_args(argc, argv, true))
		result = !criterion_run_all_tests(tests);
	criterion_finalize(tests);
	/* meson reports 77 as SKIP: a transport that cannot run here must
	 * not look like a pass. */
	if (result == 0 && nr_tests && nr_skipped == nr_tests)
		return 77;
	return result;
}
