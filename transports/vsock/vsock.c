// SPDX-License-Identifier: Apache-2.0
/* vsock://cid:port: an AF_VSOCK stream (a VM and its host). */
#include "sock.h"
#include "transport.h"
#include <errno.h>
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int vsock_parse(const char *p, struct url *u, char *err, size_t errlen)
{
	char cid[16];
	const char *colon = strchr(p, ':');
	if (!colon || (size_t)(colon - p) >= sizeof(cid)) {
		snprintf(err, errlen, "expected vsock://cid:port");
		return -1;
	}
	memcpy(cid, p, (size_t)(colon - p));
	cid[colon - p] = '\0';
	if (sock_parse_u32(cid, &u->cid) ||
	    sock_parse_u32(colon + 1, &u->vport)) {
		snprintf(err, errlen, "bad cid or port");
		return -1;
	}
	return 0;
}

static struct sockaddr_vm vsock_addr(const struct url *u)
{
	return (struct sockaddr_vm){
	    .svm_family = AF_VSOCK, .svm_cid = u->cid, .svm_port = u->vport};
}

static int vsock_connect(const struct url *u, int timeout_ms)
{
	struct sockaddr_vm sa = vsock_addr(u);
	return sock_connect_to(AF_VSOCK, (struct sockaddr *)&sa, sizeof(sa),
			       timeout_ms);
}

static int vsock_listen(const struct url *u, unsigned int mode)
{
	(void)mode;
	struct sockaddr_vm sa = vsock_addr(u);
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return sock_listen_fd(fd);
}

const struct transport transport_vsock = {
    .scheme = "vsock",
    .parse = vsock_parse,
    .connect = vsock_connect,
    .listen = vsock_listen,
    TRANSPORT_STREAM_OPS,
};
