// SPDX-License-Identifier: Apache-2.0
#include "sock.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int sock_parse_u32(const char *s, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v > UINT32_MAX || *s == '-')
		return -1;
	*out = (uint32_t)v;
	return 0;
}

void sock_set_timeouts(int fd, int recv_ms, int send_ms)
{
	struct timeval tv = {.tv_sec = recv_ms / 1000,
			     .tv_usec = (recv_ms % 1000) * 1000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	tv = (struct timeval){.tv_sec = send_ms / 1000,
			      .tv_usec = (send_ms % 1000) * 1000};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int sock_connect_timeout(int fd, const struct sockaddr *sa, socklen_t len,
			 int timeout_ms)
{
	int flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	int ret = connect(fd, sa, len);
	if (ret < 0 && errno == EINPROGRESS) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		int n;
		do
			n = poll(&p, 1, timeout_ms > 0 ? timeout_ms : -1);
		while (n < 0 && errno == EINTR);
		if (n == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		if (soerr) {
			errno = soerr;
			return -1;
		}
		ret = 0;
	}
	if (ret < 0)
		return -1;
	fcntl(fd, F_SETFL, flags);
	return 0;
}

int sock_connect_to(int family, const struct sockaddr *sa, socklen_t len,
		    int timeout_ms)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sock_connect_timeout(fd, sa, len, timeout_ms) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int sock_listen_fd(int fd)
{
	if (listen(fd, 128) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int io_writev_all(int fd, struct iovec *iov, int n, uint64_t *sent)
{
	return io_writev_fd(fd, iov, n, sent, -1);
}

int io_writev_fd(int fd, struct iovec *iov, int n, uint64_t *sent, int pass_fd)
{
	uint64_t total = 0;
	bool is_sock = true;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	while (n > 0) {
		int cnt = n > IOV_MAX ? IOV_MAX : n;
		ssize_t w;
		if (is_sock) {
			struct msghdr m = {.msg_iov = iov,
					   .msg_iovlen = (size_t)cnt};
			if (pass_fd >= 0) {
				memset(&ctl, 0, sizeof(ctl));
				m.msg_control = ctl.buf;
				m.msg_controllen = sizeof(ctl.buf);
				struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
				cm->cmsg_level = SOL_SOCKET;
				cm->cmsg_type = SCM_RIGHTS;
				cm->cmsg_len = CMSG_LEN(sizeof(int));
				memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
			}
			w = sendmsg(fd, &m, MSG_NOSIGNAL);
			if (w > 0)
				pass_fd = -1; /* it went with these bytes */
			if (w < 0 && errno == ENOTSOCK) {
				if (pass_fd >= 0) {
					if (sent)
						*sent = total;
					return -ENOTSOCK;
				}
				is_sock = false;
				continue;
			}
		} else {
			w = writev(fd, iov, cnt);
		}
		if (w < 0) {
			if (errno == EINTR)
				continue;
			int e = errno == EAGAIN ? ETIMEDOUT : errno;
			if (sent)
				*sent = total;
			return -e;
		}
		total += (uint64_t)w;
		size_t left = (size_t)w;
		while (n > 0 && left >= iov->iov_len) {
			left -= iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0 && left) {
			iov->iov_base = (char *)iov->iov_base + left;
			iov->iov_len -= left;
		}
	}
	if (sent)
		*sent = total;
	return 0;
}

int rbuf_init(struct rbuf *rb, size_t cap)
{
	rb->buf = malloc(cap);
	rb->cap = rb->buf ? cap : 0;
	rb->off = rb->len = 0;
	rb->want_fds = false;
	rb->nr_fds = 0;
	return rb->buf ? 0 : -ENOMEM;
}

int rbuf_take_fd(struct rbuf *rb)
{
	if (!rb->nr_fds)
		return -1;
	int fd = rb->fds[0];
	memmove(rb->fds, rb->fds + 1, --rb->nr_fds * sizeof(int));
	return fd;
}

void rbuf_drop_fds(struct rbuf *rb)
{
	while (rb->nr_fds)
		close(rb->fds[--rb->nr_fds]);
}

void rbuf_free(struct rbuf *rb)
{
	rbuf_drop_fds(rb);
	free(rb->buf);
	*rb = (struct rbuf){0};
}

void rbuf_clear(struct rbuf *rb)
{
	rb->off = rb->len = 0;
}

bool rbuf_has_data(const struct rbuf *rb)
{
	return rb->len > rb->off;
}

/* Keep descriptors that came with the bytes; beyond RBUF_MAX_FDS (or when
 * not wanted) they are closed at once. */
static void stash_fds(struct rbuf *rb, struct msghdr *m)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(m); cm;
	     cm = CMSG_NXTHDR(m, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			       sizeof(int));
			if (rb->want_fds && rb->nr_fds < RBUF_MAX_FDS)
				rb->fds[rb->nr_fds++] = fd;
			else
				close(fd);
		}
	}
}

static ssize_t read_some(int fd, struct rbuf *rb, void *dst, size_t n)
{
	for (;;) {
		ssize_t r;
		if (rb->want_fds) {
			union {
				struct cmsghdr align;
				char
				    buf[CMSG_SPACE(RBUF_MAX_FDS * sizeof(int))];
			} ctl;
			struct iovec iov = {dst, n};
			struct msghdr m = {.msg_iov = &iov,
					   .msg_iovlen = 1,
					   .msg_control = ctl.buf,
					   .msg_controllen = sizeof(ctl.buf)};
			r = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
			if (r >= 0)
				stash_fds(rb, &m);
		} else {
			r = read(fd, dst, n);
		}
		if (r > 0)
			return r;
		if (r == 0)
			return -ECONNRESET;
		if (errno == EINTR)
			continue;
		return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT
							       : -errno;
	}
}

bool rbuf_holds(const struct rbuf *rb, uint64_t n)
{
	return rb->len - rb->off >= n;
}

ssize_t rbuf_fill(int fd, struct rbuf *rb)
{
	if (rb->off == rb->len)
		rb->off = rb->len = 0;
	if (rb->len == rb->cap)
		return 0;
	ssize_t r = read_some(fd, rb, rb->buf + rb->len, rb->cap - rb->len);
	if (r > 0)
		rb->len += (size_t)r;
	return r;
}

int rbuf_read(int fd, struct rbuf *rb, void *dst, uint64_t n)
{
	uint8_t *d = dst;
	while (n) {
		if (rb->len > rb->off) {
			size_t take = rb->len - rb->off;
			if (take > n)
				take = (size_t)n;
			if (d) {
				memcpy(d, rb->buf + rb->off, take);
				d += take;
			}
			rb->off += take;
			n -= take;
			continue;
		}
		rb->off = rb->len = 0;
		if (d && n >= rb->cap / 2) {
			size_t chunk = n > (1u << 30) ? (1u << 30) : (size_t)n;
			ssize_t r = read_some(fd, rb, d, chunk);
			if (r < 0)
				return (int)r;
			d += r;
			n -= (uint64_t)r;
			continue;
		}
		ssize_t r = read_some(fd, rb, rb->buf, rb->cap);
		if (r < 0)
			return (int)r;
		rb->len = (size_t)r;
	}
	return 0;
}

int array_grow(void **v, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 8;
	void *p = realloc(*v, nc * elem);
	if (!p)
		return -1;
	*v = p;
	*cap = nc;
	return 0;
}

int sock_send_fds(int fd, const void *buf, size_t len, const int *fds,
		  unsigned int n)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(SOCK_MAX_FDS * sizeof(int))];
	} ctl;
	if (n > SOCK_MAX_FDS)
		return -EINVAL;
	memset(&ctl, 0, sizeof(ctl));
	struct iovec iov = {(void *)buf, len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	if (n) {
		m.msg_control = ctl.buf;
		m.msg_controllen = CMSG_SPACE(n * sizeof(int));
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(n * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	}
	ssize_t w;
	do
		w = sendmsg(fd, &m, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -errno;
	return (size_t)w == len ? 0 : -EPIPE;
}

ssize_t sock_recv_fds(int fd, void *buf, size_t len, int *fds, unsigned int max,
		      unsigned int *nfds)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE((SOCK_MAX_FDS + 1) * sizeof(int))];
	} ctl;
	struct iovec iov = {buf, len};
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = ctl.buf,
			   .msg_controllen = sizeof(ctl.buf)};
	*nfds = 0;
	ssize_t got;
	do
		got = recvmsg(fd, &m, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return -errno;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm;
	     cm = CMSG_NXTHDR(&m, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int got_fd;
			memcpy(&got_fd, CMSG_DATA(cm) + i * sizeof(int),
			       sizeof(int));
			if (*nfds < max)
				fds[(*nfds)++] = got_fd;
			else
				close(got_fd);
		}
	}
	return got;
}

int sock_wait_readable(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int n;
	do
		n = poll(&p, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	return n > 0;
}
