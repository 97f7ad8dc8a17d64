/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Socket plumbing shared by the rpc transport and the agent: URLs,
 * connect/listen, and whole-buffer I/O with timeouts. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#define URL_KINDS_LIST(X) X(UNIX, "unix") X(TCP, "tcp") X(VSOCK, "vsock")
#define URL_KIND_ENUM_ITEM(name, scheme) URL_##name,
enum url_kind { URL_KINDS_LIST(URL_KIND_ENUM_ITEM) };
#undef URL_KIND_ENUM_ITEM

struct url {
	enum url_kind kind;
	/* UNIX: socket path */
	char path[108];
	/* TCP: host (brackets stripped for IPv6) and port */
	char host[256];
	char port[8];
	/* VSOCK */
	uint32_t cid, vport;
};

/* unix:///abs/path, tcp://host:port, tcp://[v6]:port, vsock://cid:port.
 * Returns 0 or -1 with a reason in err. */
int url_parse(const char *text, struct url *u, char *err, size_t errlen);
/* Connected socket (TCP_NODELAY for tcp) or -errno. */
int url_connect(const struct url *u, int timeout_ms);
/* Listening socket or -errno. UNIX sockets get `mode` and a stale socket
 * file is replaced. */
int url_listen(const struct url *u, unsigned int mode);

/* Set SO_RCVTIMEO/SO_SNDTIMEO (ms; 0 = none). */
void sock_set_timeouts(int fd, int recv_ms, int send_ms);

/* Write every byte of iov[0..n) (n may exceed IOV_MAX). 0 or -errno;
 * *sent (if non-NULL) counts bytes written even on failure. */
int io_writev_all(int fd, struct iovec *iov, int n, uint64_t *sent);
/* The same, passing `pass_fd` (if >= 0) with SCM_RIGHTS alongside the
 * first bytes. */
int io_writev_fd(int fd, struct iovec *iov, int n, uint64_t *sent, int pass_fd);

/* Buffered reader: small frames cost one read; big payloads bypass the
 * buffer and land straight in the destination. */
#define RBUF_MAX_FDS 4

struct rbuf {
	uint8_t *buf;
	size_t cap, off, len;
	/* accept descriptors passed with SCM_RIGHTS (UNIX sockets) */
	bool want_fds;
	/* received descriptors, oldest first; owned */
	int fds[RBUF_MAX_FDS];
	unsigned int nr_fds;
};
int rbuf_init(struct rbuf *rb, size_t cap);
void rbuf_free(struct rbuf *rb);
void rbuf_clear(struct rbuf *rb);
/* Read exactly n bytes into dst (NULL to discard). 0, -ETIMEDOUT,
 * -ECONNRESET on EOF, or -errno. */
int rbuf_read(int fd, struct rbuf *rb, void *dst, uint64_t n);
/* Wait until a byte is available (buffered or on the fd). */
bool rbuf_has_data(const struct rbuf *rb);
/* The oldest descriptor received so far (the caller owns it), or -1. */
int rbuf_take_fd(struct rbuf *rb);
/* Close every descriptor received and not taken. */
void rbuf_drop_fds(struct rbuf *rb);

/* Make room for one more element in a malloc'd array of n (capacity
 * *cap, doubled as needed). 0, or -1 out of memory (the array is kept). */
int array_grow(void **v, size_t *cap, size_t n, size_t elem);
