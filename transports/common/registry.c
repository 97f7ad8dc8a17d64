// SPDX-License-Identifier: Apache-2.0
/* The transports, by URL scheme: adding one is its module and one line. */
#include "transport.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

extern const struct transport transport_unix;
extern const struct transport transport_tcp;
extern const struct transport transport_vsock;
extern const struct transport transport_shm;
extern const struct transport transport_virtio;
#ifdef VACCEL_TRANSPORT_TLS
extern const struct transport transport_tls;
#endif

const struct transport *const vaccel_transports[] = {
    &transport_unix,   /* unix:///path */
    &transport_tcp,    /* tcp://host:port */
    &transport_vsock,  /* vsock://cid:port */
    &transport_shm,    /* shm:///path */
    &transport_virtio, /* virtio://name, virtio:///path */
#ifdef VACCEL_TRANSPORT_TLS
    &transport_tls, /* tls://host:port?options */
#endif
    NULL,
};

int url_parse(const char *text, struct url *u, char *err, size_t errlen)
{
	memset(u, 0, sizeof(*u));
	if (!text) {
		snprintf(err, errlen, "no address given");
		return -1;
	}
	for (const struct transport *const *t = vaccel_transports; *t; t++) {
		size_t n = strlen((*t)->scheme);
		if (strncmp(text, (*t)->scheme, n) == 0 &&
		    strncmp(text + n, "://", 3) == 0) {
			u->t = *t;
			if ((*t)->parse(text + n + 3, u, err, errlen) == 0)
				return 0;
			/* the module's reason, with the address (its start
			 * only where long, so that the reason fits) */
			char why[192];
			int tl = (int)strnlen(text, 97);
			snprintf(why, sizeof(why), "%s", err);
			snprintf(err, errlen, "'%.*s%s': %s", tl > 96 ? 96 : tl,
				 text, tl > 96 ? "..." : "", why);
			return -1;
		}
	}
	size_t off =
	    (size_t)snprintf(err, errlen, "'%s': unknown scheme (use", text);
	for (const struct transport *const *t = vaccel_transports;
	     *t && off < errlen; t++)
		off += (size_t)snprintf(err + off, errlen - off, "%s %s://",
					t == vaccel_transports ? "" : ",",
					(*t)->scheme);
	if (off < errlen)
		snprintf(err + off, errlen - off, ")");
	return -1;
}

int url_check(const struct url *u, bool server, char *err, size_t errlen)
{
	if (!u->t) {
		snprintf(err, errlen, "no address parsed");
		return -1;
	}
	return u->t->check ? u->t->check(u, server, err, errlen) : 0;
}

int url_connect(const struct url *u, int timeout_ms)
{
	return u->t ? u->t->connect(u, timeout_ms) : -EINVAL;
}

int url_listen(const struct url *u, unsigned int mode)
{
	return u->t ? u->t->listen(u, mode) : -EINVAL;
}

void tconn_init(struct tconn *c)
{
	*c = (struct tconn){.fd = -1};
}

static int tconn_open(struct tconn *c, const struct url *u, int fd, bool server,
		      int recv_ms, int send_ms)
{
	tconn_init(c);
	c->t = u->t;
	c->fd = fd;
	c->recv_ms = recv_ms;
	c->send_ms = send_ms;
	int r = u->t->open(c, u, server);
	if (r)
		tconn_init(c);
	return r;
}

void tconn_set_recv_ms(struct tconn *c, int recv_ms)
{
	c->recv_ms = recv_ms;
	if (c->fd >= 0) {
		sock_set_timeouts(c->fd, recv_ms, c->send_ms);
		c->rcv_set_ms = recv_ms;
	}
}

int tconn_connect(struct tconn *c, const struct url *u, int connect_ms,
		  int recv_ms, int send_ms)
{
	tconn_init(c);
	int fd = url_connect(u, connect_ms);
	if (fd < 0)
		return fd;
	return tconn_open(c, u, fd, false, recv_ms, send_ms);
}

int tconn_accept(struct tconn *c, const struct url *u, int fd, int recv_ms,
		 int send_ms)
{
	return tconn_open(c, u, fd, true, recv_ms, send_ms);
}

void tconn_close(struct tconn *c)
{
	if (c->t)
		c->t->close(c);
	tconn_init(c);
}
