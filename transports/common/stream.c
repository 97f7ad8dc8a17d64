// SPDX-License-Identifier: Apache-2.0
/* The connection slots of the stream transports (unix, tcp, vsock, and
 * the virtio port): frames go over the descriptor itself. */
#include "transport.h"
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
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
	c->rcv_set_ms = c->recv_ms;
	return 0;
}

static void set_rcv_ms(struct tconn *c, int ms)
{
	if (c->rcv_set_ms == ms)
		return;
	struct timeval tv = {.tv_sec = ms / 1000,
			     .tv_usec = (ms % 1000) * 1000};
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	c->rcv_set_ms = ms;
}

int stream_sendv(struct tconn *c, struct iovec *iov, int n, uint64_t *sent,
		 int pass_fd)
{
	return io_writev_fd(c->fd, iov, n, sent, pass_fd);
}

int stream_recv(struct tconn *c, void *dst, uint64_t n)
{
	/* a read that blocks waits as long as a frame's reads may */
	if (!rbuf_holds(&c->rb, n))
		set_rcv_ms(c, c->recv_ms);
	return rbuf_read(c->fd, &c->rb, dst, n);
}

bool stream_ready(struct tconn *c)
{
	return rbuf_has_data(&c->rb);
}

/* The wait is the read itself, bounded by the wait's time: a request
 * that comes costs one read, as a server blocked in read(2) pays, not a
 * poll(2) and a read. Its bytes stay buffered for stream_recv. */
int stream_wait(struct tconn *c, int timeout_ms)
{
	if (rbuf_has_data(&c->rb))
		return 1;
	if (timeout_ms == 0)
		return sock_wait_readable(c->fd, 0);
	/* SO_RCVTIMEO 0 is no limit, as a wait of -1 */
	set_rcv_ms(c, timeout_ms < 0 ? 0 : timeout_ms);
	ssize_t r = rbuf_fill(c->fd, &c->rb);
	/* end of stream, an error: readable, the next read says which */
	return r == -ETIMEDOUT ? 0 : 1;
}

int stream_poll(struct tconn *c, int timeout_ms)
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
