// SPDX-License-Identifier: Apache-2.0
/*
 * vaccel-bench-pingpong: the raw socket baseline for the remote noop and
 * the large in+out buffer op.
 *
 *   vaccel-bench-pingpong server URL REQ REP
 *       listen on URL (unix:// or tcp://, set up by the same code as the
 *       agent's); like the agent, the main thread accepts and one thread
 *       per connection serves it: read REQ bytes, answer REP bytes.
 *       Prints "ready" once listening.
 *   vaccel-bench-pingpong client URL REQ REP ITERS [WARMUP]
 *       ITERS round trips of REQ bytes out, REP bytes back, each timed;
 *       prints one line of key=value figures (microseconds).
 *
 * REQ and REP are the sizes of the op's CALL and CALL_REPLY frames
 * (vaccel-bench rt and bw print them), so both sides move the same bytes
 * with the same socket kind and options (TCP_NODELAY on both ends). Each
 * side reads into and writes from one buffer mapped beforehand.
 */
#include "transport.h"
#include "stats.h"
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static size_t req_bytes, rep_bytes;

/* Read exactly n bytes into buf (as the agent reads a frame: small ones
 * take one read(), big payloads land straight in their buffer). */
static int read_frame(int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r == 0)
			return -1;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

/* One buffer for both directions, mapped before the first exchange, as
 * the agent's reused large-call block and the caller's own buffer are. */
static uint8_t *frame_buffer(void)
{
	size_t n = req_bytes > rep_bytes ? req_bytes : rep_bytes;
	uint8_t *p = malloc(n);
	if (p)
		memset(p, 0x5a, n);
	return p;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void *serve(void *arg)
{
	int fd = (int)(intptr_t)arg;
	uint8_t *buf = frame_buffer();
	if (buf)
		while (!read_frame(fd, buf, req_bytes) &&
		       !write_all(fd, buf, rep_bytes))
			;
	free(buf);
	close(fd);
	return NULL;
}

static int server(const char *addr)
{
	struct url u;
	char err[256];
	if (url_parse(addr, &u, err, sizeof(err))) {
		fprintf(stderr, "pingpong: %s\n", err);
		return 2;
	}
	int lfd = url_listen(&u, 0600);
	if (lfd < 0) {
		fprintf(stderr, "pingpong: cannot listen on %s: %s\n", addr,
			strerror(-lfd));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (u.t->accepted)
			u.t->accepted(fd);
		pthread_t t;
		if (pthread_create(&t, NULL, serve, (void *)(intptr_t)fd))
			close(fd);
		else
			pthread_detach(t);
	}
}

static int client(const char *addr, unsigned long iters, unsigned long warmup)
{
	struct url u;
	char err[256];
	if (url_parse(addr, &u, err, sizeof(err))) {
		fprintf(stderr, "pingpong: %s\n", err);
		return 2;
	}
	int fd = url_connect(&u, 3000);
	if (fd < 0) {
		fprintf(stderr, "pingpong: cannot connect to %s: %s\n", addr,
			strerror(-fd));
		return 1;
	}
	uint8_t *buf = frame_buffer();
	uint64_t *lat = calloc(iters, sizeof(*lat));
	if (!buf || !lat)
		return 1;
	for (unsigned long i = 0; i < warmup + iters; i++) {
		uint64_t t0 = bench_now_ns();
		if (write_all(fd, buf, req_bytes) ||
		    read_frame(fd, buf, rep_bytes)) {
			fprintf(stderr, "pingpong: connection lost\n");
			return 1;
		}
		if (i >= warmup)
			lat[i - warmup] = bench_now_ns() - t0;
	}
	struct bench_stats s = bench_stats(lat, iters);
	printf("pingpong url=%s req_bytes=%zu rep_bytes=%zu iters=%lu "
	       "p50_us=%.2f p99_us=%.2f mean_us=%.2f min_us=%.2f "
	       "both_gbps=%.2f\n",
	       addr, req_bytes, rep_bytes, iters, s.p50 / 1e3, s.p99 / 1e3,
	       s.mean / 1e3, s.min / 1e3,
	       (double)(req_bytes + rep_bytes) / s.p50);
	close(fd);
	free(buf);
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5) {
		req_bytes = strtoull(argv[3], NULL, 10);
		rep_bytes = strtoull(argv[4], NULL, 10);
	}
	if (argc == 5 && strcmp(argv[1], "server") == 0 && req_bytes &&
	    rep_bytes)
		return server(argv[2]);
	if ((argc == 6 || argc == 7) && strcmp(argv[1], "client") == 0 &&
	    req_bytes && rep_bytes) {
		unsigned long iters = strtoul(argv[5], NULL, 10);
		unsigned long warmup =
		    argc == 7 ? strtoul(argv[6], NULL, 10) : iters / 10;
		if (iters)
			return client(argv[2], iters, warmup);
	}
	fprintf(stderr,
		"usage: %s server URL REQ REP\n"
		"       %s client URL REQ REP ITERS [WARMUP]\n",
		argv[0], argv[0]);
	return 2;
}
