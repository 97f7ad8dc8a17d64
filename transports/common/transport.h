/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Transports: each is one module (transports/<name>/<name>.c) exporting a
 * `const struct transport` for its URL scheme, listed once in
 * common/registry.c. The rpc client and the agent reach the wire only
 * through these slots: addresses, listening and connecting work on
 * descriptors; a connected descriptor then becomes a `struct tconn`, and
 * every byte of every frame goes through the tconn slots.
 *
 * The stream transports (unix, tcp, vsock) share one implementation of
 * the tconn slots (stream.c, TRANSPORT_STREAM_OPS); shm has its own, a
 * ring in shared memory set up over a UNIX socket.
 */

#include "sock.h"
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct transport;

/* A parsed address. `t` says which transport owns it; the other members
 * are that transport's (each uses its own). About 13 KiB (tls's paths):
 * keep it in static or heap storage, or a few on a stack. */
struct url {
	const struct transport *t;
	/* unix, shm: socket path */
	char path[108];
	/* tcp, tls: host (brackets stripped for IPv6) and port */
	char host[256];
	char port[8];
	/* vsock */
	uint32_t cid, vport;
	/* tls: the options of the address's query string; "" where not
	 * given */
	struct url_tls {
		/* PEM files: the CA certificates a peer's certificate must
		 * chain to; this side's certificate chain and its key */
		char ca[PATH_MAX];
		char cert[PATH_MAX];
		char key[PATH_MAX];
		/* the name the server's certificate must carry (the client's
		 * side; "": host) */
		char name[256];
	} tls;
};

/* One connection, the caller's storage. Made by tconn_connect() or
 * tconn_accept(); used by one thread at a time (the agent's connection
 * thread, or the rpc plugin's calling thread); released by tconn_close().
 */
struct tconn {
	/* the transport that made it; NULL when closed */
	const struct transport *t;
	/* the connected descriptor (the shm transport's setup socket, where
	 * the peer's death shows). Another thread may shutdown(2) it to
	 * wake a blocked receive, on every transport. -1 when closed. */
	int fd;
	/* bytes read ahead of the caller, and descriptors passed with them
	 * (stream transports) */
	struct rbuf rb;
	/* receive and send timeouts in ms (0: none) */
	int recv_ms, send_ms;
	/* the receive timeout set on fd now: a stream wait sets its own
	 * (it waits in a read), the next read a buffer cannot serve sets
	 * recv_ms back */
	int rcv_set_ms;
	/* the transport's own state (shm: the mapped region); owned */
	void *priv;
};

struct transport {
	/* the URL scheme, without "://" */
	const char *scheme;
	/* Fill u from the text after "scheme://". 0, or -1 with a reason
	 * in err. Pure: no I/O. */
	int (*parse)(const char *rest, struct url *u, char *err, size_t errlen);
	/* A connected descriptor (close-on-exec, blocking), or -errno.
	 * Blocks up to timeout_ms (0: the system's limit). The caller owns
	 * the descriptor. */
	int (*connect)(const struct url *u, int timeout_ms);
	/* A listening descriptor, or -errno; `mode` is the permission of
	 * what listening creates in the file system, where anything. May
	 * block briefly (probing a stale unix socket). The caller owns the
	 * descriptor. */
	int (*listen)(const struct url *u, unsigned int mode);
	/* Undo what listen left outside the descriptor (the unix socket
	 * file), after the caller closed it. May be NULL. */
	void (*unlisten)(const struct url *u);
	/* Set up a descriptor accept() returned (TCP_NODELAY). May be NULL.
	 * Never blocks. */
	void (*accepted)(int fd);
	/* The connection passes descriptors alongside frames (SCM_RIGHTS):
	 * calls may take the memfd path. */
	bool pass_fds;
	/* The address admits one connection at a time (a VM's virtio
	 * port): the rpc plugin shares it among a program's threads. */
	bool one_conn;
	/* A byte for recv shows as readability of c->fd once ready() says
	 * none is buffered: the agent parks an idle connection in its
	 * poller instead of keeping a thread on it. */
	bool pollable;

	/* ---- the connection: every slot below is non-NULL unless it says
	 * it may be NULL ---- */

	/* Make c a connection over fd, from connect() (server false) or an
	 * accepted one (server true); u is the address connected to or
	 * listened on, borrowed for the call. c->fd, timeouts are set; fd
	 * belongs to c from here on, also on failure (open closes it then).
	 * Blocks up to c's timeouts for what setup the transport needs (shm:
	 * the region's handshake; tls: its handshake). 0 or -errno. */
	int (*open)(struct tconn *c, const struct url *u, bool server);
	/* Write every byte of iov[0..n) (n may exceed IOV_MAX; iov is
	 * consumed), passing `pass_fd` (>= 0, only where pass_fds) with the
	 * first bytes; the caller keeps its descriptor. Blocks until all is
	 * written or the send timeout. 0 or -errno (-ETIMEDOUT, -EPIPE,
	 * -ECONNRESET); *sent (if non-NULL) counts the bytes that left, also
	 * on failure. The memory is only read. */
	int (*sendv)(struct tconn *c, struct iovec *iov, int n, uint64_t *sent,
		     int pass_fd);
	/* Read exactly n bytes into dst (NULL: discard them). Blocks up to
	 * the receive timeout between bytes. 0, -ETIMEDOUT, -ECONNRESET when
	 * the peer closed, -EPROTO when the peer broke the transport's own
	 * rules (shm: an index outside the ring), or -errno. */
	int (*recv)(struct tconn *c, void *dst, uint64_t n);
	/* Whether a byte can be read without blocking. Never blocks. */
	bool (*ready)(struct tconn *c);
	/* Block up to timeout_ms (-1: forever) until a byte can be read or
	 * the peer closed: 1, 0 on timeout. */
	int (*wait)(struct tconn *c, int timeout_ms);
	/* The memory both sides of c map (shm: the guest's shared heap),
	 * as this side sees it: 0 with *base and *len, or -1 when c has
	 * none. A call's buffers that lie in it travel as offsets
	 * (WIRE_F_REGION) and are used in place. Never blocks. May be NULL
	 * (never any). */
	int (*region)(struct tconn *c, uint8_t **base, size_t *len);
	/* The guest's side: whether reopening c would serve better (shm: the
	 * program's shared heap appeared after c was set up, so its buffers
	 * are copied where they could be used in place). Never blocks. May
	 * be NULL (never). */
	bool (*stale)(struct tconn *c);
	/* The oldest descriptor received and not taken (the caller owns
	 * it), or -1. May be NULL with drop_fds: no descriptors pass. */
	int (*take_fd)(struct tconn *c);
	/* Close every descriptor received and not taken. */
	void (*drop_fds)(struct tconn *c);
	/* Forget bytes read ahead (a connection given up mid-frame). May be
	 * NULL: nothing is read ahead. */
	void (*discard)(struct tconn *c);
	/* Release everything c holds and close c->fd; never writes to the
	 * peer (a forked child drops its parent's connection this way). */
	void (*close)(struct tconn *c);
	/* A stream that outlives its conversations (a VM's port): start
	 * the next conversation on it. The agent's side, after one ended (a
	 * receive failed with -ECONNRESET, or a frame made no sense), waits
	 * for the guest's next start and acknowledges it; the guest's side
	 * starts one, dropping what the agent still sent for the last.
	 * Blocks up to the receive timeout (the agent's: none). 0, or
	 * -errno when the stream itself is gone. NULL: a conversation is
	 * the connection. */
	int (*restart)(struct tconn *c);

	/* Whether u serves to listen on (server) or to connect to (tls: a
	 * client needs a CA to verify the server, a server its certificate).
	 * 0, or -1 with a reason in err. Pure: no I/O. May be NULL (every
	 * address serves both). */
	int (*check)(const struct url *u, bool server, char *err,
		     size_t errlen);
};

/* Every transport, in registry order, NULL-terminated. */
extern const struct transport *const vaccel_transports[];

/* Parse "scheme://rest" with the registered transport of that scheme.
 * 0, or -1 with a reason in err. */
int url_parse(const char *text, struct url *u, char *err, size_t errlen);
/* u->t's check: whether a parsed u serves to listen on (server) or to
 * connect to. 0, or -1 with a reason in err. */
int url_check(const struct url *u, bool server, char *err, size_t errlen);
/* u->t's listen. */
int url_listen(const struct url *u, unsigned int mode);
/* u->t's connect, without a connection on top: a descriptor or -errno
 * (probes, benchmarks' raw floor). */
int url_connect(const struct url *u, int timeout_ms);

/* A closed connection (tconn_is_open() false). */
void tconn_init(struct tconn *c);
static inline bool tconn_is_open(const struct tconn *c)
{
	return c->t != NULL;
}
/* Connect to u and open a connection on it with these timeouts (ms, 0:
 * none); connect_ms bounds the connect. 0 or -errno (c stays closed). */
int tconn_connect(struct tconn *c, const struct url *u, int connect_ms,
		  int recv_ms, int send_ms);
/* Open the server side of a descriptor fd accepted on u's listener (fd
 * is c's from here on, also on failure; u is read during the call only).
 * 0 or -errno. */
int tconn_accept(struct tconn *c, const struct url *u, int fd, int recv_ms,
		 int send_ms);
/* Close c if open; c is then closed (tconn_init state). */
void tconn_close(struct tconn *c);

static inline int tconn_sendv(struct tconn *c, struct iovec *iov, int n,
			      uint64_t *sent, int pass_fd)
{
	if (pass_fd >= 0 && !c->t->pass_fds) {
		if (sent)
			*sent = 0;
		return -EOPNOTSUPP;
	}
	return c->t->sendv(c, iov, n, sent, pass_fd);
}
/* How long one read may wait from now on (0: for ever); the stream
 * transports apply it to their socket, shm to its ring waits. */
void tconn_set_recv_ms(struct tconn *c, int recv_ms);
static inline int tconn_recv(struct tconn *c, void *dst, uint64_t n)
{
	return c->t->recv(c, dst, n);
}
static inline bool tconn_ready(struct tconn *c)
{
	return c->t->ready(c);
}
static inline int tconn_wait(struct tconn *c, int timeout_ms)
{
	return c->t->wait(c, timeout_ms);
}
static inline int tconn_region(struct tconn *c, uint8_t **base, size_t *len)
{
	return c->t->region ? c->t->region(c, base, len) : -1;
}
static inline bool tconn_stale(struct tconn *c)
{
	return c->t->stale && c->t->stale(c);
}
static inline int tconn_take_fd(struct tconn *c)
{
	return c->t->take_fd ? c->t->take_fd(c) : -1;
}
static inline void tconn_drop_fds(struct tconn *c)
{
	if (c->t->drop_fds)
		c->t->drop_fds(c);
}
static inline void tconn_discard(struct tconn *c)
{
	if (c->t->discard)
		c->t->discard(c);
}

/* The stream transports' connection slots (stream.c): frames go over the
 * descriptor itself through c->rb. */
int stream_open(struct tconn *c, const struct url *u, bool server);
int stream_sendv(struct tconn *c, struct iovec *iov, int n, uint64_t *sent,
		 int pass_fd);
int stream_recv(struct tconn *c, void *dst, uint64_t n);
bool stream_ready(struct tconn *c);
int stream_wait(struct tconn *c, int timeout_ms);
/* stream_wait's way for a descriptor without SO_RCVTIMEO (virtio's
 * port): poll(2). */
int stream_poll(struct tconn *c, int timeout_ms);
int stream_take_fd(struct tconn *c);
void stream_drop_fds(struct tconn *c);
void stream_discard(struct tconn *c);
void stream_close(struct tconn *c);

#define TRANSPORT_STREAM_OPS                                                   \
	.pollable = true, .open = stream_open, .sendv = stream_sendv,          \
	.recv = stream_recv, .ready = stream_ready, .wait = stream_wait,       \
	.take_fd = stream_take_fd, .drop_fds = stream_drop_fds,                \
	.discard = stream_discard, .close = stream_close
