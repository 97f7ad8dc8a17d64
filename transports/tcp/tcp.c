// SPDX-License-Identifier: Apache-2.0
/* tcp://host:port, tcp://[v6]:port: a TCP stream, TCP_NODELAY on both
 * ends. */
#include "sock.h"
#include "tcp.h"
#include "transport.h"
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int tcp_parse(const char *p, struct url *u, char *err, size_t errlen)
{
	const char *scheme = u->t ? u->t->scheme : "tcp";
	const char *colon;
	if (*p == '[') {
		const char *close = strchr(p, ']');
		if (!close || close[1] != ':') {
			snprintf(err, errlen, "expected %s://[v6addr]:port",
				 scheme);
			return -1;
		}
		if ((size_t)(close - p - 1) >= sizeof(u->host))
			goto too_long;
		memcpy(u->host, p + 1, (size_t)(close - p - 1));
		colon = close + 1;
	} else {
		colon = strrchr(p, ':');
		if (!colon || colon == p) {
			snprintf(err, errlen, "expected %s://host:port",
				 scheme);
			return -1;
		}
		if ((size_t)(colon - p) >= sizeof(u->host))
			goto too_long;
		memcpy(u->host, p, (size_t)(colon - p));
	}
	uint32_t port;
	if (sock_parse_u32(colon + 1, &port) || port > 65535) {
		snprintf(err, errlen, "bad port");
		return -1;
	}
	snprintf(u->port, sizeof(u->port), "%u", port);
	return 0;
too_long:
	snprintf(err, errlen, "host name too long");
	return -1;
}

void tcp_accepted(int fd)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int tcp_connect(const struct url *u, int timeout_ms)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
	if (getaddrinfo(u->host, u->port, &hints, &res))
		return -EHOSTUNREACH;
	int fd = -1, err = ECONNREFUSED;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0)
			continue;
		if (sock_connect_timeout(fd, ai->ai_addr, ai->ai_addrlen,
					 timeout_ms) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return -err;
	tcp_accepted(fd);
	return fd;
}

int tcp_listen(const struct url *u, unsigned int mode)
{
	(void)mode;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE},
			*res;
	if (getaddrinfo(u->host, u->port, &hints, &res))
		return -EADDRNOTAVAIL;
	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0) {
		freeaddrinfo(res);
		return -errno;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	int r = bind(fd, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	if (r < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return sock_listen_fd(fd);
}

const struct transport transport_tcp = {
    .scheme = "tcp",
    .parse = tcp_parse,
    .connect = tcp_connect,
    .listen = tcp_listen,
    .accepted = tcp_accepted,
    TRANSPORT_STREAM_OPS,
};
