// SPDX-License-Identifier: Apache-2.0
/* The connection slots of the stream transports (unix, tcp, vsock, and
 * the virtio port): frames go over the descriptor itself. */
#include "transport.h"
#include <errno.h>
#include <poll.h>
#include <unistd.h>

/* Bytes a connection reads ahead: a small frame costs one read. */
#define STREAM_RBUF 65536

int stream_open(struct tconn *c, const struct url *u, bool server)
{
	(void)u;
	(void)server;
	if (rbuf_init(&c->rb, STREAM_RBUF)) {
		close(c->fd);
		c->fd = -1;
		return -ENOMEM;
	}
	c->rb.want_fds = c->t->pass_fds;
	sock_set_timeouts(c->fd, c->recv_ms, c->send_ms);
	return 0;
}

int stream_sendv(struct tconn *c, struct iovec *iov, int n, uint64_t *sent,
		 int pass_fd)
{
	return io_writev_fd(c->fd, iov, n, sent, pass_fd);
}

int stream_recv(struct tconn *c, void *dst, uint64_t n)
{
	return rbuf_read(c->fd, &c->rb, dst, n);
}

bool stream_ready(struct tconn *c)
{
	return rbuf_has_data(&c->rb);
}

int stream_wait(struct tconn *c, int timeout_ms)
{
	if (rbuf_has_data(&c->rb))
		return 1;
	return sock_wait_readable(c->fd, timeout_ms);
}

int stream_take_fd(struct tconn *c)
{
	return rbuf_take_fd(&c->rb);
}

void stream_drop_fds(struct tconn *c)
{
	rbuf_drop_fds(&c->rb);
}

void stream_discard(struct tconn *c)
{
	rbuf_clear(&c->rb);
}

void stream_close(struct tconn *c)
{
	rbuf_free(&c->rb);
	close(c->fd);
}
