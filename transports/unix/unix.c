// SPDX-License-Identifier: Apache-2.0
/* unix:///abs/path: a UNIX stream socket; passes descriptors (memfds). */
#include "sock.h"
#include "transport.h"
#include "unix.h"
#include <errno.h>
#include <limits.h>
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

/*
 * The socket's directory must be one that no other user can change: owned
 * by this user or root, a directory (not a link to one), and not writable
 * by group or others unless sticky (there others can neither remove nor
 * rename what this user puts in it, as in /tmp). Otherwise another user
 * could replace the socket with their own, between its creation and a
 * client's connect, and read what clients send (their tokens). Created
 * when missing, searchable by those the socket's mode lets connect. 0, or
 * -errno with the reason in why.
 */
static int check_dir(const char *path, unsigned int mode, char *why, size_t len)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	mode_t dmode =
	    0700 | (mode & 0060 ? 0050 : 0) | (mode & 0006 ? 0005 : 0);
	if (mkdir(dir, dmode) < 0 && errno != EEXIST) {
		int e = errno;
		snprintf(why, len,
			 "cannot create the socket's directory %s: %s", dir,
			 strerror(e));
		return -e;
	}
	struct stat st;
	if (lstat(dir, &st) < 0) {
		int e = errno;
		snprintf(why, len, "%s: %s", dir, strerror(e));
		return -e;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, len,
			 "the socket's directory %s is not a directory (a "
			 "symbolic link?)",
			 dir);
		return -ENOTDIR;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(why, len,
			 "the socket's directory %s belongs to uid %u, not to "
			 "this user (%u) or root: its owner could replace the "
			 "socket",
			 dir, (unsigned int)st.st_uid, (unsigned int)geteuid());
		return -EPERM;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
		snprintf(why, len,
			 "the socket's directory %s is writable by %s (mode "
			 "%04o, not sticky): they could replace the socket",
			 dir,
			 st.st_mode & S_IWOTH ? "other users" : "its group",
			 (unsigned int)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

int unix_listen(const struct url *u, unsigned int mode)
{
	struct sockaddr_un sa = unix_addr(u);
	char why[PATH_MAX + 200];
	int r = check_dir(u->path, mode, why, sizeof(why));
	if (r) {
		fprintf(stderr, "vaccel-agent: %s\n", why);
		return r;
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
	/* the mode is the file's from its creation: never changed by path
	 * afterwards, when the name might already be someone else's */
	mode_t old = umask(0777 & ~mode);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
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
