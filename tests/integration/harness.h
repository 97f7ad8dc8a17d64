/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The integration harness: a real vaccel-agent process on a real socket,
 * serving the noop plugin, and clients in the test process (through the
 * rpc transport plugin) or on raw sockets speaking hand-made frames.
 *
 * One test binary runs once per transport; ITEST_TRANSPORT (unix, tcp,
 * vsock, shm, virtio, the last through its socket path as QEMU would
 * connect it, or tls, with certificates the harness makes) picks it. Every
 * Criterion test runs in its own process and starts its own agent:
 * itest_begin() starts it and boots libvaccel on the rpc plugin; itest_end()
 * closes the library, stops the agent with SIGTERM and asserts that it exited
 * 0, removed its unix socket and printed no sanitizer report. Assertions made
 * in a .fini fixture do not fail a Criterion test, so every test must end with
 * itest_end().
 *
 * Paths come from meson through the environment: VACCEL_AGENT, RPC_PLUGIN,
 * NOOP_PLUGIN, ITEST_CORPUS_DIR; ITEST_SANITIZED is 1 in sanitized builds.
 *
 * ITEST_AGENT_URL names an agent that is already running elsewhere (on a
 * VM's host, serving NOOP_PLUGIN with no other arguments), reached on the
 * ITEST_TRANSPORT URL it names: the tests then start no agent, and those
 * that need one of their own (other arguments, a restart, its log) or more
 * connections than the transport carries at once skip, saying why.
 */

#include "client.h"
#include "status.h"
#include "util.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <vaccel/remote.h>
#include "ops_internal_gen.h"

#define ITEST_TRANSPORTS_LIST(X)                                               \
	X(UNIX, "unix")                                                        \
	X(TCP, "tcp")                                                          \
	X(VSOCK, "vsock") X(SHM, "shm") X(VIRTIO, "virtio") X(TLS, "tls")
#define ITEST_T_ENUM_ITEM(name, str) ITEST_##name,
enum itest_transport { ITEST_TRANSPORTS_LIST(ITEST_T_ENUM_ITEM) ITEST_NR };
#undef ITEST_T_ENUM_ITEM

#define ITEST_MAX_EXTRA 8

struct agent {
	/* 0 when not running */
	pid_t pid;
	enum itest_transport transport;
	/* private directory: socket, log, token, files */
	char dir[64];
	/* what the agent listens on, and what clients connect to (they
	 * differ for vsock: the agent binds any CID, clients dial local;
	 * for tls: the server's credentials, the client's CA) */
	char url[512];
	char client_url[512];
	/* tls: appended to the agent's address at its first start (e.g.
	 * "&ca=FILE"); NULL: nothing */
	const char *tls_server_opts;
	/* unix only */
	char sock_path[100];
	/* the agent's stdout and stderr, across restarts */
	char log_path[100];
	/* extra command-line arguments, kept for restarts */
	const char *extra[ITEST_MAX_EXTRA];
	int nr_extra;
	/* times started */
	int starts;
	/* ITEST_AGENT_URL: the agent is not ours (pid stays 0) */
	bool external;
};

/* The agent of the running test (each test is its own process). */
extern struct agent itest_agent;

/* Fixtures for .init/.fini: pick the transport (skipping, with the
 * reason, where the kernel does not offer it) / kill what is left. */
void itest_init(void);
void itest_fini(void);

/* Start the test's agent with extra arguments (NULL-terminated list, may
 * be NULL), point the rpc plugin at it and bootstrap libvaccel. */
void itest_begin(const char *const *extra_args);
/* vaccel_cleanup(), then agent_stop_check() (an external agent goes on). */
void itest_end(void);

/* Start (or restart, on the same address) an agent; waits until its
 * socket accepts. */
void agent_start(struct agent *a, const char *const *extra_args);
/* SIGTERM; assert exit status 0, socket file removed, clean log. */
void agent_stop_check(struct agent *a);
/* Send `sig` and reap the process. */
void agent_kill(struct agent *a, int sig);
/* True while the process has not exited. */
bool agent_alive(struct agent *a);
/* Assert the agent's log holds no sanitizer report. */
void agent_check_log(const struct agent *a);
/* How often the agent's log (all of it) has needle. */
unsigned int agent_log_count(const struct agent *a, const char *needle);
/* A number field of the agent's /proc/PID/status ("Threads", "VmRSS",
 * "VmSize": kB ones in KiB); -1 when it cannot be read. */
long agent_status(const struct agent *a, const char *field);

/* Set VACCEL_PLUGINS, VACCEL_RPC_ADDRESS and the rpc timeouts for a
 * client of `a` (in this process and the children it forks). */
void client_env(const struct agent *a);

/* Skip the test when the agent is external: it needs `what` of an agent
 * of its own. */
void itest_need_own_agent(const char *what);
/* Skip the test when the transport carries one connection at a time to
 * an external agent (a VM's port) and the test needs `what`, a second. */
void itest_need_connections(const char *what);

/* tls: certificates made with openssl in the test's directory on first
 * use (PEM; keys unencrypted). A CA; a server certificate it signed, for
 * localhost and 127.0.0.1; a client certificate it signed; an unrelated
 * CA with a client certificate of its own. Skips the test, saying why,
 * where openssl is not installed. */
struct itest_tls {
	char ca[128], server_cert[128], server_key[128];
	char client_cert[128], client_key[128];
	char other_ca[128], other_cert[128], other_key[128];
};
const struct itest_tls *itest_tls_files(void);
/* NULL when the tls transport is built in; otherwise why not. */
const char *itest_tls_unavailable(void);

/* Environment helpers. */
const char *itest_path(const char *var);
bool itest_sanitized(void);
/* A file of `len` bytes in the agent's directory; returns its path
 * (static storage per call site is the caller's business: malloc'd). */
char *itest_write_file(const char *name, const void *data, size_t len);
/* Monotonic milliseconds. */
double itest_now_ms(void);

/* ---- raw connections: hand-made frames ---------------------------------- */

struct raw {
	/* the connection, on the test's transport */
	struct tconn tc;
	uint64_t next_req;
	/* raw_hello says several threads share the stream
	 * (WIRE_F_CONCURRENT): the agent may answer out of order */
	bool concurrent;
};

struct reply {
	struct wire_hdr h;
	int64_t status;
	char msg[512];
	/* CTRL_REPLY: the id; others 0 */
	int64_t id;
	/* the whole meta, malloc'd */
	uint8_t *meta;
	size_t meta_len;
	/* the raw part, malloc'd (NULL when empty) */
	uint8_t *raw;
	uint64_t raw_len;
};

/* Connect to the agent; asserts. Replies are waited for timeout_ms. */
void raw_open(struct raw *r, const struct agent *a, int timeout_ms);
void raw_close(struct raw *r);
/* Write bytes; 0 or -errno (the agent may have closed already). */
int raw_write(struct raw *r, const void *p, size_t n);
/* Send one frame with WIRE_MAGIC and WIRE_VERSION; 0 or -errno. */
int raw_frame(struct raw *r, uint16_t kind, uint64_t req,
	      const struct wbuf *meta, const void *raw, uint64_t raw_len);
/* The start of a CALL frame (request `req`) whose header announces
 * meta_len bytes of meta, then only the n bytes at meta: a peer that
 * stops mid-frame. Asserts that both writes went out. */
void raw_partial_call(struct raw *r, uint64_t req, uint32_t meta_len,
		      const void *meta, size_t n);
/* Read one frame from the agent: 0, -ECONNRESET when the agent closed,
 * -ETIMEDOUT. Asserts that what arrives is a well-formed reply. */
int raw_reply(struct raw *r, struct reply *rep);
void reply_free(struct reply *rep);
/* The agent ended the conversation after `what`: it closed the
 * connection, or, on a stream that outlives conversations (virtio), it
 * answers nothing more on it. */
void raw_expect_end(struct raw *r, const char *what);
/* HELLO with a random key (or `key` if non-NULL) and `token` (NULL: nil);
 * returns the reply's status. */
int64_t raw_hello(struct raw *r, const char *token, const uint8_t *key);
/* SESS_NEW; asserts success; returns the session id. */
int64_t raw_sess_new(struct raw *r);
/* A valid noop CALL on session `sess`; returns the reply's status. */
int64_t raw_noop(struct raw *r, int64_t sess);

/* Encode a CALL meta with op id / sig hash / session and leave the args
 * array open for `nr_args` entries. */
void meta_call_head(struct wbuf *m, uint64_t op_id, uint64_t sig_hash,
		    int64_t sess, uint32_t nr_args);

/* ---- results from forked children --------------------------------------- */

struct child_result {
	uint32_t calls;
	uint32_t errors;
	/* first failing status and where */
	int32_t first_err;
	char what[96];
};
