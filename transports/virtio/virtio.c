// SPDX-License-Identifier: Apache-2.0
/*
 * virtio: a VM's virtio-serial port, which QEMU joins to the agent's UNIX
 * socket (docs/transports.md, "virtio").
 *
 *   guest:  virtio://vaccel.0       the port of that name (sysfs)
 *           virtio:///dev/vport0p1  a device path; a UNIX socket path
 *                                   is connected to instead (tests)
 *   agent:  virtio:///path/agent.sock  listens where QEMU connects
 *
 * The host sees one stream per VM that never ends: a guest program that
 * closes the port, or dies mid-frame, leaves no mark in it, and the next
 * program's bytes follow whatever was left. So bytes travel in chunks
 * (struct vio_chunk) and each guest program starts its conversation with
 * a filler longer than any chunk, then a START chunk with a random nonce:
 * whatever the agent was in the middle of, it runs into the filler, loses
 * the chunk rhythm, scans for the START and echoes it; the guest drops
 * everything before its own echo (replies meant for a dead program). The
 * agent then serves the new conversation as a fresh connection.
 */
#include "transport.h"
#include "unix.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#define VIO_MAGIC 0x434f4956u /* "VIOC" */
#define VIO_START 0x80000000u
#define VIO_MAX_CHUNK 65536u
#define VIO_NONCE 16
/* chunks per writev */
#define VIO_BATCH 256

struct vio_chunk {
	uint32_t magic;
	/* VIO_START, or the payload length (1..VIO_MAX_CHUNK) */
	uint32_t word;
};

struct vio_conn {
	/* payload bytes left in the current chunk */
	uint32_t left;
	/* the agent side: a START came in (its nonce here) and ended the
	 * conversation, or the chunk rhythm was lost */
	bool start_seen, lost;
	/* the agent's side */
	bool server;
	uint8_t nonce[VIO_NONCE];
};

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Exactly n bytes from the stream, waiting at most the receive timeout
 * for the first (a port is no socket: SO_RCVTIMEO does not apply). */
static int vio_read(struct tconn *c, void *dst, uint64_t n)
{
	if (!rbuf_has_data(&c->rb) && c->recv_ms > 0) {
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		int r;
		do
			r = poll(&p, 1, c->recv_ms);
		while (r < 0 && errno == EINTR);
		if (r == 0)
			return -ETIMEDOUT;
	}
	return rbuf_read(c->fd, &c->rb, dst, n);
}

static int send_start(struct tconn *c, const uint8_t nonce[VIO_NONCE])
{
	uint8_t b[8 + VIO_NONCE];
	put32(b, VIO_MAGIC);
	put32(b + 4, VIO_START | VIO_NONCE);
	memcpy(b + 8, nonce, VIO_NONCE);
	struct iovec iov = {b, sizeof(b)};
	return io_writev_all(c->fd, &iov, 1, NULL);
}

/* Read bytes until a START chunk has come whole; its nonce in nonce. */
static int scan_start(struct tconn *c, uint8_t nonce[VIO_NONCE])
{
	uint8_t w[8];
	int r = vio_read(c, w, sizeof(w));
	for (;;) {
		if (r)
			return r;
		if (get32(w) == VIO_MAGIC &&
		    get32(w + 4) == (VIO_START | VIO_NONCE))
			return vio_read(c, nonce, VIO_NONCE);
		memmove(w, w + 1, sizeof(w) - 1);
		r = vio_read(c, w + sizeof(w) - 1, 1);
	}
}

/* The next chunk's header. A START, or anything but a DATA header, ends
 * the conversation (-ECONNRESET): the agent then scans (restart). */
static int next_chunk(struct tconn *c, struct vio_conn *v)
{
	uint8_t h[8];
	int r = vio_read(c, h, sizeof(h));
	if (r)
		return r;
	uint32_t word = get32(h + 4);
	if (get32(h) == VIO_MAGIC && word == (VIO_START | VIO_NONCE)) {
		r = vio_read(c, v->nonce, VIO_NONCE);
		if (r)
			return r;
		v->start_seen = true;
		return -ECONNRESET;
	}
	if (get32(h) != VIO_MAGIC || !word || word > VIO_MAX_CHUNK) {
		v->lost = true;
		return -ECONNRESET;
	}
	v->left = word;
	return 0;
}

static int vio_recv(struct tconn *c, void *dst, uint64_t n)
{
	struct vio_conn *v = c->priv;
	uint8_t *d = dst;
	while (n) {
		if (!v->left) {
			int r = next_chunk(c, v);
			if (r)
				return r;
			continue;
		}
		uint32_t k = n < v->left ? (uint32_t)n : v->left;
		int r = vio_read(c, d, k);
		if (r)
			return r;
		v->left -= k;
		n -= k;
		if (d)
			d += k;
	}
	return 0;
}

static int vio_sendv(struct tconn *c, struct iovec *iov, int n, uint64_t *sent,
		     int pass_fd)
{
	uint8_t hdr[VIO_BATCH][8];
	struct iovec out[2 * VIO_BATCH];
	uint64_t total = 0, done = 0;
	int nout = 0, r = 0;
	(void)pass_fd; /* never set: tconn_sendv refuses it (no pass_fds) */
	for (int i = 0; i < n; i++) {
		const uint8_t *p = iov[i].iov_base;
		size_t left = iov[i].iov_len;
		while (left) {
			uint32_t k = left < VIO_MAX_CHUNK ? (uint32_t)left
							  : VIO_MAX_CHUNK;
			uint8_t *h = hdr[nout / 2];
			put32(h, VIO_MAGIC);
			put32(h + 4, k);
			out[nout++] = (struct iovec){h, 8};
			out[nout++] = (struct iovec){(void *)p, k};
			p += k;
			left -= k;
			total += k;
			if (nout == 2 * VIO_BATCH) {
				r = io_writev_all(c->fd, out, nout, NULL);
				nout = 0;
				if (r)
					goto out;
				done = total;
			}
		}
	}
	if (nout)
		r = io_writev_all(c->fd, out, nout, NULL);
	if (!r)
		done = total;
out:
	if (sent)
		*sent = done;
	return r;
}

/* The guest side: filler, START, then everything up to our echo
 * dropped. */
static int guest_start(struct tconn *c, struct vio_conn *v)
{
	static const uint8_t zeros[4096];
	struct iovec fill[VIO_MAX_CHUNK / sizeof(zeros) + 1];
	for (size_t i = 0; i < sizeof(fill) / sizeof(fill[0]); i++)
		fill[i] = (struct iovec){(void *)zeros, sizeof(zeros)};
	uint8_t nonce[VIO_NONCE], echo[VIO_NONCE];
	if (getrandom(nonce, sizeof(nonce), 0) != sizeof(nonce))
		return -EIO;
	int r =
	    io_writev_all(c->fd, fill, sizeof(fill) / sizeof(fill[0]), NULL);
	if (!r)
		r = send_start(c, nonce);
	while (!r) {
		r = scan_start(c, echo);
		if (!r && memcmp(echo, nonce, sizeof(nonce)) == 0)
			break;
	}
	v->left = 0;
	return r;
}

/* A new conversation on the stream. The agent waits for the next one
 * and answers its START; the guest starts one. 0, or -errno when the
 * stream itself ended. */
static int vio_restart(struct tconn *c)
{
	struct vio_conn *v = c->priv;
	if (!v->server)
		return guest_start(c, v);
	int r = 0;
	if (!v->start_seen)
		r = scan_start(c, v->nonce);
	v->start_seen = v->lost = false;
	v->left = 0;
	return r ? r : send_start(c, v->nonce);
}

static int vio_open(struct tconn *c, const struct url *u, bool server)
{
	(void)u;
	struct vio_conn *v = calloc(1, sizeof(*v));
	int r = -ENOMEM;
	if (!v || rbuf_init(&c->rb, 65536))
		goto free_conn;
	if (server)
		sock_set_timeouts(c->fd, c->recv_ms, c->send_ms);
	c->priv = v;
	v->server = server;
	r = vio_restart(c);
	if (!r)
		return 0;
	c->priv = NULL;
free_conn:
	rbuf_free(&c->rb);
	free(v);
	close(c->fd);
	c->fd = -1;
	return r;
}

static void vio_close(struct tconn *c)
{
	free(c->priv);
	c->priv = NULL;
	rbuf_free(&c->rb);
	close(c->fd);
}

static int vio_parse(const char *rest, struct url *u, char *err, size_t errlen)
{
	if (!*rest || strlen(rest) >= sizeof(u->path) ||
	    (*rest != '/' && strchr(rest, '/'))) {
		snprintf(err, errlen,
			 "want virtio://PORT-NAME or virtio:///path (1-%zu "
			 "bytes)",
			 sizeof(u->path) - 1);
		return -1;
	}
	strcpy(u->path, rest);
	return 0;
}

/* The device of the port named `name`: /dev/<vportNpM>, made from its
 * sysfs numbers where nothing (udev) made it. */
static int port_by_name(const char *name, char *dev, size_t len)
{
	DIR *d = opendir("/sys/class/virtio-ports");
	if (!d)
		return -ENODEV;
	struct dirent *e;
	int r = -ENOENT;
	while (r && (e = readdir(d))) {
		char path[600], got[128] = "";
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/virtio-ports/%s/name",
			 e->d_name);
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		if (!fgets(got, sizeof(got), f))
			got[0] = '\0';
		fclose(f);
		got[strcspn(got, "\n")] = '\0';
		if (strcmp(got, name) != 0)
			continue;
		if (strlen(e->d_name) + 6 > len)
			continue;
		memcpy(dev, "/dev/", 5);
		memcpy(dev + 5, e->d_name, strlen(e->d_name) + 1);
		r = 0;
		if (access(dev, F_OK) == 0)
			break;
		unsigned int maj, min;
		snprintf(path, sizeof(path), "/sys/class/virtio-ports/%s/dev",
			 e->d_name);
		f = fopen(path, "re");
		if (!f || fscanf(f, "%u:%u", &maj, &min) != 2)
			r = -ENODEV;
		if (f)
			fclose(f);
		if (!r && mknod(dev, S_IFCHR | 0600, makedev(maj, min)))
			r = -errno;
	}
	closedir(d);
	return r;
}

static int vio_connect(const struct url *u, int timeout_ms)
{
	char dev[sizeof(u->path) + 8];
	if (u->path[0] != '/') {
		int r = port_by_name(u->path, dev, sizeof(dev));
		if (r)
			return r;
	} else {
		snprintf(dev, sizeof(dev), "%s", u->path);
	}
	struct stat st;
	if (stat(dev, &st))
		return -errno;
	if (S_ISSOCK(st.st_mode)) {
		struct url su = *u;
		if (strlen(dev) >= sizeof(su.path))
			return -ENAMETOOLONG;
		memcpy(su.path, dev, strlen(dev) + 1);
		return unix_connect(&su, timeout_ms);
	}
	int fd = open(dev, O_RDWR | O_CLOEXEC | O_NOCTTY);
	return fd < 0 ? -errno : fd;
}

static int vio_listen(const struct url *u, unsigned int mode)
{
	if (u->path[0] != '/')
		return -EINVAL;
	return unix_listen(u, mode);
}

const struct transport transport_virtio = {
    .scheme = "virtio",
    .parse = vio_parse,
    .connect = vio_connect,
    .listen = vio_listen,
    .unlisten = unix_unlisten,
    .one_conn = true,
    .open = vio_open,
    .sendv = vio_sendv,
    .recv = vio_recv,
    .ready = stream_ready,
    .wait = stream_poll,
    .discard = stream_discard,
    .close = vio_close,
    .restart = vio_restart,
};
