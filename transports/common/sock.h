/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Stream plumbing shared by the transports: whole-buffer I/O with
 * timeouts, a buffered reader that takes passed descriptors. Addresses
 * and connections are transport.h's; nothing but transports/ uses these
 * on a connection. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <sys/socket.h>

/* The transports' shared pieces. A decimal u32 (0 or -1). */
int sock_parse_u32(const char *s, uint32_t *out);
/* Non-blocking connect bounded by timeout_ms (0: none), then back to
 * blocking. 0, or -1 with errno. */
int sock_connect_timeout(int fd, const struct sockaddr *sa, socklen_t len,
			 int timeout_ms);
/* listen(fd) with the common backlog: fd, or -errno (fd closed). */
int sock_listen_fd(int fd);
/* Block up to timeout_ms (-1: forever) until fd is readable or its peer
 * closed: 1, or 0 on timeout. */
int sock_wait_readable(int fd, int timeout_ms);
/* A stream socket of `family` connected to sa within timeout_ms:
 * the descriptor, or -errno. */
int sock_connect_to(int family, const struct sockaddr *sa, socklen_t len,
		    int timeout_ms);

/* One message of len bytes with descriptors fds[0..n) (SCM_RIGHTS, n at
 * most SOCK_MAX_FDS) on a UNIX socket; the caller keeps its descriptors.
 * 0, or -errno (-EPIPE when the message went out short). */
#define SOCK_MAX_FDS 8
int sock_send_fds(int fd, const void *buf, size_t len, const int *fds,
		  unsigned int n);
/* Receive one message of up to len bytes (waiting for all of them) and
 * the descriptors that came with it, close-on-exec: up to max into fds
 * (the caller owns them), *nfds set; more are closed. The byte count, 0
 * when the peer closed, or -errno. */
ssize_t sock_recv_fds(int fd, void *buf, size_t len, int *fds, unsigned int max,
		      unsigned int *nfds);

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
/* Whether a byte is buffered. */
bool rbuf_has_data(const struct rbuf *rb);
/* Whether n bytes are buffered: rbuf_read of them makes no read. */
bool rbuf_holds(const struct rbuf *rb, uint64_t n);
/* One read into the buffer's free space (the buffer empty: from its
 * start): the bytes read, or what rbuf_read returns on failure. */
ssize_t rbuf_fill(int fd, struct rbuf *rb);
/* The oldest descriptor received so far (the caller owns it), or -1. */
int rbuf_take_fd(struct rbuf *rb);
/* Close every descriptor received and not taken. */
void rbuf_drop_fds(struct rbuf *rb);

/* Make room for one more element in a malloc'd array of n (capacity
 * *cap, doubled as needed). 0, or -1 out of memory (the array is kept). */
int array_grow(void **v, size_t *cap, size_t n, size_t elem);
