// SPDX-License-Identifier: Apache-2.0
/* unix:///abs/path: a UNIX stream socket; passes descriptors (memfds). */
#include "sock.h"
#include "transport.h"
#include "unix.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int unix_parse(const char *rest, struct url *u, char *err, size_t errlen)
{
	if (!*rest || strlen(rest) >= sizeof(u->path)) {
		snprintf(err, errlen, "a unix socket path must be 1-%zu bytes",
			 sizeof(u->path) - 1);
		return -1;
	}
	strcpy(u->path, rest);
	return 0;
}

static struct sockaddr_un unix_addr(const struct url *u)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, u->path);
	return sa;
}

int unix_connect(const struct url *u, int timeout_ms)
{
	struct sockaddr_un sa = unix_addr(u);
	return sock_connect_to(AF_UNIX, (struct sockaddr *)&sa, sizeof(sa),
			       timeout_ms);
}

int unix_listen(const struct url *u, unsigned int mode)
{
	struct sockaddr_un sa = unix_addr(u);
	/* the socket's directory, if it is missing */
	char dir[sizeof(u->path)];
	snprintf(dir, sizeof(dir), "%s", u->path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct stat st;
	/* Replace a stale socket, never another kind of file. */
	if (lstat(u->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			close(fd);
			return -EEXIST;
		}
		int probe = socket(AF_UNIX, SOCK_STREAM, 0);
		bool alive =
		    probe >= 0 &&
		    connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		if (probe >= 0)
			close(probe);
		if (alive) {
			close(fd);
			return -EADDRINUSE;
		}
		unlink(u->path);
	}
	mode_t old = umask(0777 & ~mode);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	chmod(u->path, mode);
	return sock_listen_fd(fd);
}

void unix_unlisten(const struct url *u)
{
	unlink(u->path);
}

const struct transport transport_unix = {
    .scheme = "unix",
    .parse = unix_parse,
    .connect = unix_connect,
    .listen = unix_listen,
    .unlisten = unix_unlisten,
    .pass_fds = true,
    TRANSPORT_STREAM_OPS,
};
