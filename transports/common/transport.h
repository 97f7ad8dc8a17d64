/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Transports: each is one module (transports/<name>/<name>.c) exporting a
 * `const struct transport` for its URL scheme, listed once in
 * common/registry.c. The rpc client and the agent reach the wire only
 * through these slots and the stream helpers of sock.h.
 *
 * This is the connection half of the interface: addressing, listening,
 * connecting, per-connection setup, what the stream can carry besides
 * bytes. Frames still go over the connected descriptor with sock.h's
 * helpers.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct transport;

/* A parsed address. `t` says which transport owns it; the other members
 * are that transport's (each uses its own). */
struct url {
	const struct transport *t;
	/* unix: socket path */
	char path[108];
	/* tcp: host (brackets stripped for IPv6) and port */
	char host[256];
	char port[8];
	/* vsock */
	uint32_t cid, vport;
};

struct transport {
	/* the URL scheme, without "://" */
	const char *scheme;
	/* Fill u from the text after "scheme://". 0, or -1 with a reason
	 * in err. Pure: no I/O. */
	int (*parse)(const char *rest, struct url *u, char *err,
		     size_t errlen);
	/* A connected stream descriptor (close-on-exec, blocking), or
	 * -errno. Blocks up to timeout_ms (0: the system's limit). The
	 * caller owns the descriptor. */
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
	/* The stream passes descriptors (SCM_RIGHTS): the memfd path. */
	bool pass_fds;
};

/* Every transport, in registry order, NULL-terminated. */
extern const struct transport *const vaccel_transports[];

/* Parse "scheme://rest" with the registered transport of that scheme.
 * 0, or -1 with a reason in err. */
int url_parse(const char *text, struct url *u, char *err, size_t errlen);
/* u->t's connect and listen. */
int url_connect(const struct url *u, int timeout_ms);
int url_listen(const struct url *u, unsigned int mode);
