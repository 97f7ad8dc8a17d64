// SPDX-License-Identifier: Apache-2.0
/*
 * shm:///path/agent.sock: same host (containers that share the agent's
 * UNIX socket). The guest side connects the socket, passes a sealed
 * memfd and four eventfds (shm.h), and from then on frames go through two
 * byte rings in that memory; the socket stays open only so that each
 * side sees the other's death. A waiting side spins for VACCEL_SHM_SPIN_US
 * (default 50), yielding its CPU as it goes, before it sleeps on a
 * doorbell.
 */
#include "shm.h"
#include "transport.h"
#include "unix.h"
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <vaccel/remote.h>

/* How long a setup may take, each way, when the connection has no
 * timeout of its own. */
#define SHM_SETUP_MS 10000
#define SHM_SPIN_DEFAULT_US 50
/* A large write is published in pieces of at most ring / SHM_PIECES, so
 * that the reader copies out while the writer copies in. */
#define SHM_PIECES 4

struct shm_conn {
	uint8_t *base;
	size_t len;
	struct shm_ctl *ctl;
	/* the ring this side writes (tx) and reads (rx) */
	uint8_t *tx, *rx;
	enum shm_dir txd, rxd;
	enum shm_side me;
	uint64_t ring, mask;
	/* this side's own indices; the region's copies are for the peer */
	uint64_t tx_head, rx_tail;
	/* the doorbells, by ring and what they wait for (shm.h) */
	int bell[2][2];
	unsigned int spin_us;
	/* the guest's shared heap as this side maps it; NULL when none */
	uint8_t *heap;
	size_t heap_len;
	/* the agent's reservation around it (heap_span bytes, at least
	 * SHM_SLACK each side) */
	uint8_t *heap_map;
	size_t heap_span;
};

/* Readable zero bytes the agent maps on each side of a guest's heap: a
 * backend may read a little past a buffer (OpenBLAS does), and a buffer
 * may end where the heap does. */
#define SHM_SLACK (64u << 10)
#define SHM_HUGE (2u << 20)

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* Bytes readable in rx: 0..ring, or -1 when the peer's head is not
 * within a ring of our tail. */
static int64_t rx_avail(struct shm_conn *s)
{
	uint64_t head =
	    atomic_load_explicit(&s->ctl->head[s->rxd].v, memory_order_acquire);
	uint64_t n = head - s->rx_tail;
	return n > s->ring ? -1 : (int64_t)n;
}

/* Bytes writable in tx: 0..ring, or -1 when the peer's tail is not
 * within a ring behind our head. */
static int64_t tx_space(struct shm_conn *s)
{
	uint64_t tail =
	    atomic_load_explicit(&s->ctl->tail[s->txd].v, memory_order_acquire);
	uint64_t used = s->tx_head - tail;
	return used > s->ring ? -1 : (int64_t)(s->ring - used);
}

/* After moving one of our indices: wake the peer if it sleeps waiting
 * for what moved (`what` of `ring`). */
static void ring_bell(struct shm_conn *s, enum shm_dir ring,
		      enum shm_bell what)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&s->ctl->sleeping[ring][what].v,
				 memory_order_relaxed)) {
		uint64_t one = 1;
		/* non-blocking; a full counter means it is awake anyway */
		ssize_t w = write(s->bell[ring][what], &one, sizeof(one));
		(void)w;
	}
}

/* -EPROTO, said in the log. */
static int broken(struct shm_conn *s, const char *which)
{
	vaccel_log(VACCEL_LOG_WARN, "shm",
		   "the %s's %s index is outside the ring; closing",
		   s->me == SHM_AGENT ? "guest" : "agent", which);
	return -EPROTO;
}

typedef int64_t (*shm_cond)(struct shm_conn *s);

/*
 * Wait until cond() is non-zero (a count, or -1 for a broken peer): spin
 * first, then sleep on our doorbell and the socket. 0 when cond holds,
 * -ETIMEDOUT, or -ECONNRESET when the socket shows the peer gone (for a
 * reader, any readiness: nothing else is ever sent there; for a writer,
 * only a hang-up, so that an agent stopping its reads still answers).
 */
static int shm_block(struct tconn *c, shm_cond cond, bool writing,
		     int timeout_ms)
{
	struct shm_conn *s = c->priv;
	uint64_t start = now_us();
	if (cond(s))
		return 0;
	while (now_us() - start < s->spin_us) {
		for (int i = 0; i < 64; i++) {
			if (cond(s))
				return 0;
			cpu_relax();
		}
		/* a peer waiting for this CPU gets it */
		sched_yield();
	}
	uint64_t deadline =
	    timeout_ms > 0 ? start + (uint64_t)timeout_ms * 1000u : UINT64_MAX;
	/* a writer waits for room in its ring, a reader for bytes in its */
	enum shm_dir ring = writing ? s->txd : s->rxd;
	enum shm_bell what = writing ? SHM_SPACE : SHM_DATA;
	_Atomic uint64_t *sleeping = &s->ctl->sleeping[ring][what].v;
	int bell = s->bell[ring][what];
	for (;;) {
		atomic_store_explicit(sleeping, 1, memory_order_seq_cst);
		atomic_thread_fence(memory_order_seq_cst);
		if (cond(s)) {
			atomic_store_explicit(sleeping, 0,
					      memory_order_relaxed);
			return 0;
		}
		uint64_t now = now_us();
		if (now >= deadline) {
			atomic_store_explicit(sleeping, 0,
					      memory_order_relaxed);
			return -ETIMEDOUT;
		}
		int wait = deadline == UINT64_MAX
			       ? -1
			       : (int)((deadline - now + 999) / 1000);
		struct pollfd p[2] = {
		    {.fd = bell, .events = POLLIN},
		    {.fd = c->fd, .events = writing ? 0 : POLLIN},
		};
		int n = poll(p, 2, wait);
		atomic_store_explicit(sleeping, 0, memory_order_relaxed);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0 && (p[0].revents & POLLIN)) {
			uint64_t v;
			ssize_t r = read(bell, &v, sizeof(v));
			(void)r;
		}
		if (cond(s))
			return 0;
		if (n > 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			return -ECONNRESET;
	}
}

static int shm_sendv(struct tconn *c, struct iovec *iov, int n, uint64_t *sent,
		     int pass_fd)
{
	struct shm_conn *s = c->priv;
	uint64_t total = 0, piece = s->ring / SHM_PIECES;
	int r = 0;
	(void)pass_fd; /* never set: tconn_sendv refuses it (no pass_fds) */
	for (int i = 0; i < n; i++) {
		const uint8_t *p = iov[i].iov_base;
		size_t left = iov[i].iov_len;
		while (left) {
			int64_t space = tx_space(s);
			if (space < 0) {
				r = broken(s, "tail");
				goto out;
			}
			if (space == 0) {
				r = shm_block(c, tx_space, true, c->send_ms);
				if (r)
					goto out;
				continue;
			}
			uint64_t k =
			    (uint64_t)space < left ? (uint64_t)space : left;
			if (k > piece)
				k = piece;
			uint64_t off = s->tx_head & s->mask;
			uint64_t first = s->ring - off < k ? s->ring - off : k;
			memcpy(s->tx + off, p, first);
			memcpy(s->tx, p + first, k - first);
			s->tx_head += k;
			p += k;
			left -= k;
			total += k;
			/* publish a large write piece by piece */
			if (left || k == piece) {
				atomic_store_explicit(&s->ctl->head[s->txd].v,
						      s->tx_head,
						      memory_order_release);
				ring_bell(s, s->txd, SHM_DATA);
			}
		}
	}
	atomic_store_explicit(&s->ctl->head[s->txd].v, s->tx_head,
			      memory_order_release);
	ring_bell(s, s->txd, SHM_DATA);
out:
	if (sent)
		*sent = total;
	return r;
}

static int shm_recv(struct tconn *c, void *dst, uint64_t n)
{
	struct shm_conn *s = c->priv;
	uint8_t *d = dst;
	while (n) {
		int64_t avail = rx_avail(s);
		if (avail < 0)
			return broken(s, "head");
		if (avail == 0) {
			int r = shm_block(c, rx_avail, false, c->recv_ms);
			if (r)
				return r;
			continue;
		}
		uint64_t k = (uint64_t)avail < n ? (uint64_t)avail : n;
		uint64_t off = s->rx_tail & s->mask;
		uint64_t first = s->ring - off < k ? s->ring - off : k;
		if (d) {
			memcpy(d, s->rx + off, first);
			memcpy(d + first, s->rx, k - first);
			d += k;
		}
		s->rx_tail += k;
		n -= k;
		atomic_store_explicit(&s->ctl->tail[s->rxd].v, s->rx_tail,
				      memory_order_release);
		ring_bell(s, s->rxd, SHM_SPACE);
	}
	return 0;
}

static bool shm_ready(struct tconn *c)
{
	return rx_avail(c->priv) != 0;
}

static int shm_wait(struct tconn *c, int timeout_ms)
{
	if (timeout_ms == 0)
		return shm_ready(c);
	int r = shm_block(c, rx_avail, false, timeout_ms < 0 ? 0 : timeout_ms);
	/* the peer's close counts as readable: the read reports it */
	return r == -ETIMEDOUT ? 0 : 1;
}

static int shm_region(struct tconn *c, uint8_t **base, size_t *len)
{
	struct shm_conn *s = c->priv;
	if (!s->heap)
		return -1;
	*base = s->heap;
	*len = s->heap_len;
	return 0;
}

static void shm_free(struct shm_conn *s)
{
	if (!s)
		return;
	if (s->base)
		munmap(s->base, s->len);
	if (s->heap_map)
		munmap(s->heap_map, s->heap_span);
	for (int i = 0; i < 4; i++)
		if (s->bell[i / 2][i % 2] >= 0)
			close(s->bell[i / 2][i % 2]);
	free(s);
}

static void shm_close(struct tconn *c)
{
	shm_free(c->priv);
	c->priv = NULL;
	close(c->fd);
}

static unsigned int spin_us(void)
{
	const char *v = getenv("VACCEL_SHM_SPIN_US");
	if (!v || !*v)
		return SHM_SPIN_DEFAULT_US;
	char *end;
	unsigned long n = strtoul(v, &end, 10);
	if (*end || *v == '-' || n > 1000000) {
		vaccel_log(VACCEL_LOG_ERROR, "shm",
			   "VACCEL_SHM_SPIN_US='%s' is not 0-1000000 "
			   "microseconds; using %u",
			   v, SHM_SPIN_DEFAULT_US);
		return SHM_SPIN_DEFAULT_US;
	}
	return (unsigned int)n;
}

static bool ring_ok(uint64_t ring)
{
	return ring >= SHM_RING_MIN && ring <= SHM_RING_MAX &&
	       !(ring & (ring - 1));
}

static uint64_t ring_size(void)
{
	const char *v = getenv("VACCEL_SHM_RING");
	uint64_t n;
	if (!v || !*v)
		return SHM_RING_DEFAULT;
	if (vaccel_config_parse_size(v, &n) || !ring_ok(n)) {
		vaccel_log(VACCEL_LOG_ERROR, "shm",
			   "VACCEL_SHM_RING='%s' is not a power of two from "
			   "4K to 1G; using %u",
			   v, SHM_RING_DEFAULT);
		return SHM_RING_DEFAULT;
	}
	return n;
}

/* Point s at its region, as side `me`. */
static void shm_layout(struct shm_conn *s, enum shm_side me)
{
	s->ctl = (struct shm_ctl *)s->base;
	s->me = me;
	s->txd = me == SHM_GUEST ? SHM_UP : SHM_DOWN;
	s->rxd = me == SHM_GUEST ? SHM_DOWN : SHM_UP;
	uint8_t *up = s->base + SHM_CTL_SIZE;
	s->tx = s->txd == SHM_UP ? up : up + s->ring;
	s->rx = s->rxd == SHM_UP ? up : up + s->ring;
	s->mask = s->ring - 1;
}

/* Wait up to ms for the socket to be readable: 0, or -errno. */
static int wait_in(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int n;
	do
		n = poll(&p, 1, ms > 0 ? ms : SHM_SETUP_MS);
	while (n < 0 && errno == EINTR);
	return n > 0 ? 0 : n == 0 ? -ETIMEDOUT : -errno;
}

/* The placing allocator's heap, where it is loaded and has one to share
 * (transports/shm/shm.h). */
static bool guest_heap(struct shm_heap *h)
{
	static _Atomic(shm_heap_fn) heap_of;
	static _Atomic bool looked;
	if (!atomic_load(&looked)) {
		atomic_store(&heap_of,
			     (shm_heap_fn)dlsym(RTLD_DEFAULT, SHM_HEAP_SYM));
		atomic_store(&looked, true);
	}
	shm_heap_fn f = atomic_load(&heap_of);
	return f && f(h) == 0 && h->fd >= 0;
}

static bool shm_stale(struct tconn *c)
{
	struct shm_conn *s = c->priv;
	struct shm_heap h;
	return s->me == SHM_GUEST && !s->heap && guest_heap(&h);
}

static int guest_open(struct tconn *c, struct shm_conn *s)
{
	s->ring = ring_size();
	s->len = SHM_CTL_SIZE + 2 * s->ring;
	int mfd = memfd_create("vaccel-shm", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return -errno;
	int r = 0;
	if (ftruncate(mfd, (off_t)s->len) ||
	    fcntl(mfd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) {
		r = -errno;
		goto close_memfd;
	}
	void *p =
	    mmap(NULL, s->len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (p == MAP_FAILED) {
		r = -errno;
		goto close_memfd;
	}
	s->base = p;
	shm_layout(s, SHM_GUEST);
	int fds[SHM_SETUP_FDS + 1] = {mfd};
	for (int i = 0; i < 4; i++) {
		int *b = &s->bell[i / 2][i % 2];
		*b = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (*b < 0) {
			r = -errno;
			goto close_memfd;
		}
		fds[shm_fd_bell(i / 2, i % 2)] = *b;
	}
	/* the placing allocator's heap, where it is loaded */
	struct shm_heap heap;
	if (!guest_heap(&heap))
		heap = (struct shm_heap){.fd = -1};
	struct shm_setup msg = {SHM_MAGIC, SHM_VERSION, s->ring,
				heap.fd >= 0 ? heap.len : 0};
	fds[SHM_SETUP_FDS] = heap.fd;
	r = sock_send_fds(c->fd, &msg, sizeof(msg), fds,
			  SHM_SETUP_FDS + (heap.fd >= 0));
	if (r)
		goto close_memfd;
	struct shm_setup_reply rep;
	r = wait_in(c->fd, c->recv_ms);
	if (r)
		goto close_memfd;
	ssize_t got = recv(c->fd, &rep, sizeof(rep), MSG_WAITALL);
	if (got != (ssize_t)sizeof(rep) || rep.magic != SHM_MAGIC) {
		r = got < 0 ? -errno : -ECONNRESET;
		goto close_memfd;
	}
	if (rep.status) {
		vaccel_log(VACCEL_LOG_ERROR, "shm",
			   "the agent refused the shared region: %s",
			   vaccel_strerror(rep.status));
		r = -EPROTO;
	}
	if (!r && heap.fd >= 0) {
		s->heap = heap.base;
		s->heap_len = heap.len;
	}
close_memfd:
	/* the mapping and the agent's copy keep the memory */
	close(mfd);
	return r;
}

/* Whether fd is an eventfd (anything else could block or grow when we
 * ring it). */
static bool is_eventfd(int fd)
{
	char path[64], link[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	return strcmp(link, "anon_inode:[eventfd]") == 0;
}

/* Map the guest's heap (fd, len bytes) between SHM_SLACK of zero pages.
 * 0, or a vAccel status. */
static int map_heap(struct shm_conn *s, int fd, uint64_t len)
{
	struct stat st;
	int seals = fcntl(fd, F_GET_SEALS);
	if (len > SHM_HEAP_MAX || len % 4096 || seals < 0 ||
	    !(seals & F_SEAL_SHRINK) || fstat(fd, &st) ||
	    (uint64_t)st.st_size < len) {
		vaccel_log(VACCEL_LOG_WARN, "shm",
			   "the heap is not a memfd sealed against shrinking, "
			   "of %llu bytes, page-sized, at most 1 TiB",
			   (unsigned long long)len);
		return VACCEL_EINVAL;
	}
	/* the heap at a huge-page boundary, so that the kernel can back it
	 * with huge pages where it allows them for shared memory */
	size_t span = (size_t)len + 2 * SHM_SLACK + SHM_HUGE;
	uint8_t *r = mmap(NULL, span, PROT_READ,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		return VACCEL_ENOMEM;
	uint8_t *at = (uint8_t *)(((uintptr_t)r + SHM_SLACK + SHM_HUGE - 1) &
				  ~(uintptr_t)(SHM_HUGE - 1));
	if (mmap(at, (size_t)len, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED | MAP_NORESERVE, fd, 0) == MAP_FAILED) {
		munmap(r, span);
		return VACCEL_ENOMEM;
	}
	/* as the guest's allocator asks (shmem_enabled: advise) */
	madvise(at, (size_t)len, MADV_HUGEPAGE);
	s->heap_map = r;
	s->heap_span = span;
	s->heap = at;
	s->heap_len = (size_t)len;
	return 0;
}

/* The agent's side: take and check the guest's region. 0, a positive
 * vAccel status to tell the guest, or -errno (nothing to tell). */
static int agent_take(struct tconn *c, struct shm_conn *s)
{
	struct shm_setup msg;
	int fds[SHM_SETUP_FDS + 1];
	unsigned int nfds = 0;
	int r = wait_in(c->fd, c->recv_ms);
	if (r)
		return r;
	ssize_t got = sock_recv_fds(c->fd, &msg, sizeof(msg), fds,
				    SHM_SETUP_FDS + 1, &nfds);
	if (got == 0)
		return -ECONNRESET;
	if (got < 0)
		return (int)got;
	r = VACCEL_EINVAL;
	struct stat st;
	int seals;
	if (got != (ssize_t)sizeof(msg) || msg.magic != SHM_MAGIC ||
	    nfds != SHM_SETUP_FDS + (msg.heap != 0)) {
		vaccel_log(VACCEL_LOG_WARN, "shm", "malformed setup message");
		goto close_fds;
	}
	if (msg.version != SHM_VERSION) {
		vaccel_log(VACCEL_LOG_WARN, "shm",
			   "setup of version %u; this agent speaks %u",
			   msg.version, SHM_VERSION);
		r = VACCEL_EPROTO_VERSION;
		goto close_fds;
	}
	if (!ring_ok(msg.ring)) {
		vaccel_log(VACCEL_LOG_WARN, "shm",
			   "ring of %llu bytes: not a power of two from 4K to "
			   "1G",
			   (unsigned long long)msg.ring);
		goto close_fds;
	}
	s->ring = msg.ring;
	s->len = SHM_CTL_SIZE + 2 * s->ring;
	seals = fcntl(fds[0], F_GET_SEALS);
	if (seals < 0 || !(seals & F_SEAL_SHRINK) || fstat(fds[0], &st) ||
	    (uint64_t)st.st_size < s->len) {
		vaccel_log(VACCEL_LOG_WARN, "shm",
			   "the region is not a memfd sealed against "
			   "shrinking, of at least %zu bytes",
			   s->len);
		goto close_fds;
	}
	for (int i = 1; i < SHM_SETUP_FDS; i++)
		if (!is_eventfd(fds[i])) {
			vaccel_log(VACCEL_LOG_WARN, "shm",
				   "the doorbells are not eventfds");
			goto close_fds;
		}
	void *p =
	    mmap(NULL, s->len, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
	if (p == MAP_FAILED) {
		r = VACCEL_ENOMEM;
		goto close_fds;
	}
	s->base = p;
	shm_layout(s, SHM_AGENT);
	if (msg.heap) {
		r = map_heap(s, fds[SHM_SETUP_FDS], msg.heap);
		if (r)
			goto close_fds;
		close(fds[SHM_SETUP_FDS]);
	}
	for (int i = 0; i < 4; i++) {
		int *b = &s->bell[i / 2][i % 2];
		*b = fds[shm_fd_bell(i / 2, i % 2)];
		fcntl(*b, F_SETFL, O_NONBLOCK);
	}
	/* the peer's indices are whatever it left: start from them, each
	 * checked on every use */
	s->tx_head = atomic_load(&s->ctl->head[s->txd].v);
	s->rx_tail = atomic_load(&s->ctl->tail[s->rxd].v);
	close(fds[0]);
	return 0;
close_fds:
	for (unsigned int i = 0; i < nfds; i++)
		close(fds[i]);
	return r;
}

static int shm_tconn_open(struct tconn *c, const struct url *u, bool server)
{
	(void)u;
	struct shm_conn *s = calloc(1, sizeof(*s));
	int r = -ENOMEM;
	if (!s)
		goto close_fd;
	for (int i = 0; i < 4; i++)
		s->bell[i / 2][i % 2] = -1;
	s->spin_us = spin_us();
	if (!server) {
		r = guest_open(c, s);
	} else {
		r = agent_take(c, s);
		struct shm_setup_reply rep = {SHM_MAGIC, r > 0 ? r : 0};
		if (r >= 0 && send(c->fd, &rep, sizeof(rep), MSG_NOSIGNAL) !=
				  (ssize_t)sizeof(rep))
			r = -EPIPE;
		if (r > 0)
			r = -EPROTO;
	}
	if (r)
		goto free_conn;
	c->priv = s;
	return 0;
free_conn:
	shm_free(s);
close_fd:
	close(c->fd);
	c->fd = -1;
	return r;
}

const struct transport transport_shm = {
    .scheme = "shm",
    /* the addresses are the unix transport's */
    .parse = unix_parse,
    .connect = unix_connect,
    .listen = unix_listen,
    .unlisten = unix_unlisten,
    .open = shm_tconn_open,
    .sendv = shm_sendv,
    .recv = shm_recv,
    .ready = shm_ready,
    .wait = shm_wait,
    .region = shm_region,
    .stale = shm_stale,
    .close = shm_close,
};
