// SPDX-License-Identifier: Apache-2.0
/*
 * vaccel-agent: the host side. Listens on unix/tcp/vsock URLs, decodes and
 * validates each request against the op table compiled in, runs it through
 * libvaccel's host plugins and answers. A pool of threads serves the
 * connections that have something to read, each read and served in turn
 * (on a connection that several guest threads share, its calls run as
 * jobs of their own and are answered as each finishes); idle connections
 * wait in one poller without a thread. Connections that
 * present the same client key share one table of sessions and resources;
 * nothing a client holds can be named by another, and all of it is
 * released when the client's last connection goes away. Limits are those
 * of the peer identity that connected (struct peer), whatever keys it
 * presents.
 */
#include "client.h"
#include "coretype.h"
#include "memfd.h"
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <arpa/inet.h>
#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <vaccel/remote.h>
#include "ops_internal_gen.h"

#define TAG "agent"
#define MAX_LISTEN 16

struct opts {
	const char *addrs[MAX_LISTEN];
	int nr_addrs;
	const char *plugins;
	char *token;
	unsigned int socket_mode;
	struct wire_limits lim;
	uint64_t max_memory;
	uint64_t max_total_memory;
	uint32_t max_resources;
	uint32_t max_sessions;
	/* per peer identity: connections, client keys */
	uint32_t max_peer_conns;
	uint32_t max_peer_clients;
	/* ms a read may wait before the HELLO is done / within a frame */
	int handshake_ms;
	int frame_ms;
	/* log lines a second one peer's doings may cause */
	uint32_t log_rate;
	/* the pool's most threads; jobs of one peer running at once */
	uint32_t threads;
	uint32_t max_peer_calls;
};

static struct opts opt;
static uint64_t instance_id;

/* ---- peers: who connected ----------------------------------------------- */

/*
 * A peer identity: what the kernel says of the other end, which the peer
 * cannot choose: a UNIX socket peer's uid (SO_PEERCRED) on that socket
 * (guests given sockets of their own are apart even under one uid), a
 * TCP peer's source address (not its port), a vsock peer's CID. The limits are
 * the identity's, whatever keys it presents: its connections
 * (--max-peer-connections), its client keys (--max-peer-clients), and the
 * sessions, resources and memory of all its keys together (--max-sessions,
 * --max-resources, --max-memory). A key belongs to the identity that
 * presented it first. Guarded by clients_lock, except the atomics.
 */
struct peer {
	char id[160];
	unsigned int conns, clients;
	/* bytes held on its behalf: buffers, resources, frame metadata */
	_Atomic uint64_t mem;
	_Atomic uint64_t nr_sess, nr_res;
	/* connections refused and not yet said (one line a minute) */
	double said_at;
	unsigned int unsaid;
	/* its jobs: submitted and not done, running (at most
	 * --max-peer-calls), and those waiting for one of those to end */
	unsigned int jobs, active;
	struct job *waiting, **waiting_tail;
	/* whether any waits: read without the lock (conn_may_linger) */
	_Atomic bool has_waiting;
	/* its log budget (peer_log): lines it may still cause now, when
	 * that was reckoned, lines suppressed since the last one said;
	 * guarded by log_lock */
	double log_lines, log_at;
	unsigned long log_dropped;
	struct peer *next;
};

static struct peer *peers;

struct obj_sess {
	int64_t id;
	struct vaccel_session *sess;
};
/* A resource file's bytes kept by content (WIRE_BY_HASH_MIN), shared by
 * the resources made of it, whoever sent it. */
struct blob {
	uint8_t hash[VACCEL_SHA256_SIZE];
	uint8_t *data;
	size_t size;
	unsigned int refs;
	struct blob *next;
};

struct obj_res {
	int64_t id;
	struct vaccel_resource *res;
	uint64_t bytes;
	/* the kept copies of its files it holds */
	struct blob **blobs;
	uint32_t nr_blobs;
};

struct client {
	uint8_t key[WIRE_KEY_SIZE];
	/* the identity the key belongs to; holds one of its clients */
	struct peer *peer;
	/* connections attached; guarded by clients_lock */
	unsigned int conns;
	/* calls hold it shared, control requests exclusive */
	pthread_rwlock_t lock;
	struct obj_sess *sess;
	size_t nr_sess, cap_sess;
	struct obj_res *res;
	size_t nr_res, cap_res;
	int64_t next_id;
	struct client *next;
};

static struct client *clients;
static pthread_mutex_t clients_lock = PTHREAD_MUTEX_INITIALIZER;

/* Stop state: connection threads, and their sockets to wake on SIGTERM. */
static pthread_mutex_t conns_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t conns_cond = PTHREAD_COND_INITIALIZER;
static int live_fds[65536];
static unsigned int nr_conns;
static volatile sig_atomic_t stopping;
/* SIGUSR1 asked for the served counts */
static volatile sig_atomic_t report_asked;
static int stop_pipe[2] = {-1, -1};

/* Monotonic milliseconds. */
static double now_ms(void);

/*
 * Log what a peer's doings caused: each peer may put LOG_BURST lines in
 * the log at once and --log-rate lines a second after that; the lines
 * over its budget are dropped and counted, and the count is said with
 * its next line or when the peer goes. Guest strings in fmt's arguments
 * are escaped by vaccel_log itself.
 */
#define LOG_BURST_SECONDS 5
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void peer_log(struct peer *p, vaccel_log_level_t level, const char *fmt,
		     ...) __attribute__((format(printf, 3, 4)));
/* May p cause one more line now? Says first how many it lost, if any. */
static bool peer_log_allow(struct peer *p, vaccel_log_level_t level)
{
	double burst = (double)opt.log_rate * LOG_BURST_SECONDS, t = now_ms();
	pthread_mutex_lock(&log_lock);
	if (p->log_at == 0)
		p->log_lines = burst;
	p->log_lines += (t - p->log_at) * opt.log_rate / 1e3;
	if (p->log_lines > burst)
		p->log_lines = burst;
	p->log_at = t;
	bool say = p->log_lines >= 1;
	unsigned long dropped = 0;
	if (say) {
		p->log_lines -= 1;
		dropped = p->log_dropped;
		p->log_dropped = 0;
	} else {
		p->log_dropped++;
	}
	pthread_mutex_unlock(&log_lock);
	if (dropped)
		vaccel_log(level, TAG,
			   "%s: %lu line(s) suppressed (over --log-rate %u)",
			   p->id, dropped, opt.log_rate);
	return say;
}

static void peer_log(struct peer *p, vaccel_log_level_t level, const char *fmt,
		     ...)
{
	if (!vaccel_log_enabled(level) || !peer_log_allow(p, level))
		return;
	va_list ap;
	va_start(ap, fmt);
	vaccel_vlog(level, TAG, fmt, ap);
	va_end(ap);
}

/* Drop p if nothing holds it; clients_lock held. */
static void peer_put_locked(struct peer *p)
{
	if (p->conns || p->clients || p->jobs)
		return;
	for (struct peer **pp = &peers; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	if (p->log_dropped)
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "%s: gone; %lu line(s) suppressed (over --log-rate "
			   "%u)",
			   p->id, p->log_dropped, opt.log_rate);
	free(p);
}

/* The client of key, attached to one more connection of peer p; NULL
 * with *why set: the key is another identity's (VACCEL_EACCES), p has
 * its most keys (VACCEL_EUSERS), no memory (VACCEL_ENOMEM). */
static struct client *client_attach(const uint8_t *key, struct peer *p,
				    bool *known, int *why)
{
	pthread_mutex_lock(&clients_lock);
	struct client *c;
	for (c = clients; c; c = c->next)
		if (memcmp(c->key, key, WIRE_KEY_SIZE) == 0)
			break;
	*known = c != NULL;
	if (c && c->peer != p) {
		*why = VACCEL_EACCES;
		c = NULL;
	} else if (!c && p->clients >= opt.max_peer_clients) {
		*why = VACCEL_EUSERS;
	} else if (!c) {
		c = calloc(1, sizeof(*c));
		*why = VACCEL_ENOMEM;
		if (c) {
			memcpy(c->key, key, WIRE_KEY_SIZE);
			pthread_rwlock_init(&c->lock, NULL);
			c->next_id = 1;
			c->peer = p;
			p->clients++;
			c->next = clients;
			clients = c;
		}
	}
	if (c)
		c->conns++;
	pthread_mutex_unlock(&clients_lock);
	return c;
}

static void mem_give(struct peer *p, uint64_t bytes);

/* The identity of fd's peer, accepted on the address `where`, as text
 * ("uid 1000 on unix:///run/vaccel/a.sock", "tcp 10.0.0.7",
 * "vsock cid 3"). */
static void peer_identity(int fd, const char *where, char *out, size_t n)
{
	struct sockaddr_storage me, them;
	socklen_t ml = sizeof(me), tl = sizeof(them);
	if (getsockname(fd, (struct sockaddr *)&me, &ml)) {
		snprintf(out, n, "unknown");
		return;
	}
	if (me.ss_family == AF_UNIX) {
		struct ucred cr;
		socklen_t cl = sizeof(cr);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl))
			snprintf(out, n, "no credentials on %s", where);
		else
			snprintf(out, n, "uid %u on %s", (unsigned int)cr.uid,
				 where);
		return;
	}
	char addr[INET6_ADDRSTRLEN] = "?";
	if (getpeername(fd, (struct sockaddr *)&them, &tl)) {
		snprintf(out, n, "family %d, no address", me.ss_family);
	} else if (them.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&them)->sin_addr,
			  addr, sizeof(addr));
		snprintf(out, n, "tcp %s", addr);
	} else if (them.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&them)->sin6_addr,
			  addr, sizeof(addr));
		snprintf(out, n, "tcp %s", addr);
	} else if (them.ss_family == AF_VSOCK) {
		snprintf(out, n, "vsock cid %u",
			 ((struct sockaddr_vm *)&them)->svm_cid);
	} else {
		snprintf(out, n, "family %d", them.ss_family);
	}
}

/* One more connection of the identity id; NULL when it has its most
 * (--max-peer-connections: said once a minute per identity, with how many
 * were refused meanwhile) or no memory. */
static struct peer *peer_join(const char *id, const char *where)
{
	pthread_mutex_lock(&clients_lock);
	struct peer *p;
	for (p = peers; p; p = p->next)
		if (!strcmp(p->id, id))
			break;
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p) {
			pthread_mutex_unlock(&clients_lock);
			return NULL;
		}
		snprintf(p->id, sizeof(p->id), "%s", id);
		p->said_at = -1e9;
		p->waiting_tail = &p->waiting;
		p->next = peers;
		peers = p;
	}
	if (p->conns < opt.max_peer_conns) {
		p->conns++;
		pthread_mutex_unlock(&clients_lock);
		return p;
	}
	bool say = now_ms() - p->said_at >= 60000;
	unsigned int unsaid = p->unsaid;
	if (say) {
		p->said_at = now_ms();
		p->unsaid = 0;
	} else {
		p->unsaid++;
	}
	pthread_mutex_unlock(&clients_lock);
	if (say)
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "%s: refused a connection from %s: it has %u "
			   "(--max-peer-connections); %u more refused in the "
			   "last minute",
			   where, id, opt.max_peer_conns, unsaid);
	return NULL;
}

static void peer_leave(struct peer *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&clients_lock);
	p->conns--;
	peer_put_locked(p);
	pthread_mutex_unlock(&clients_lock);
}

/* ---- files kept by content ------------------------------------------- */

/*
 * A resource file of WIRE_BY_HASH_MIN bytes or more is kept once by its
 * SHA-256, which the agent computes itself, while any resource holds it:
 * another client that has the same bytes names them by their hash
 * instead of sending them again (a model two guests load). Each resource
 * made of a kept copy is still its client's, charged to it at its size;
 * the copy itself is bounded by what those charges allow. A client that
 * presents a hash learns whether the agent keeps such a file: only one
 * that has its bytes can know the hash (--no-shared-uploads turns this
 * off).
 */
static struct {
	pthread_mutex_t lock;
	struct blob *head;
	bool off;
	/* files sent, and files made from a kept copy */
	atomic_ullong sent, sent_bytes, shared, shared_bytes;
} blobs = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The kept copy of hash with size bytes, held once more; NULL if none. */
static struct blob *blob_find(const uint8_t *hash, size_t size)
{
	pthread_mutex_lock(&blobs.lock);
	struct blob *b = blobs.head;
	while (b && (b->size != size || memcmp(b->hash, hash, sizeof(b->hash))))
		b = b->next;
	if (b)
		b->refs++;
	pthread_mutex_unlock(&blobs.lock);
	return b;
}

/* Keep *data (size bytes, malloc'd) by content, held once; the copy kept
 * already when there is one (then *data stays the caller's), else *data
 * itself (then *data is NULL on return). NULL when there is no memory. */
static struct blob *blob_keep(uint8_t **data, size_t size)
{
	uint8_t hash[VACCEL_SHA256_SIZE];
	vaccel_sha256(*data, size, hash);
	struct blob *b = blob_find(hash, size);
	if (b)
		return b;
	struct blob *fresh = calloc(1, sizeof(*fresh));
	if (!fresh)
		return NULL;
	memcpy(fresh->hash, hash, sizeof(hash));
	fresh->size = size;
	fresh->refs = 1;
	pthread_mutex_lock(&blobs.lock);
	/* kept meanwhile by another upload of the same bytes */
	b = blobs.head;
	while (b && (b->size != size || memcmp(b->hash, hash, sizeof(hash))))
		b = b->next;
	if (b) {
		b->refs++;
		pthread_mutex_unlock(&blobs.lock);
		free(fresh);
		return b;
	}
	fresh->data = *data;
	*data = NULL;
	fresh->next = blobs.head;
	blobs.head = fresh;
	pthread_mutex_unlock(&blobs.lock);
	return fresh;
}

static void blob_drop(struct blob *b)
{
	pthread_mutex_lock(&blobs.lock);
	bool last = --b->refs == 0;
	if (last)
		for (struct blob **bp = &blobs.head; *bp; bp = &(*bp)->next)
			if (*bp == b) {
				*bp = b->next;
				break;
			}
	pthread_mutex_unlock(&blobs.lock);
	if (last) {
		free(b->data);
		free(b);
	}
}

static void obj_res_drop_blobs(struct obj_res *o)
{
	for (uint32_t i = 0; i < o->nr_blobs; i++)
		blob_drop(o->blobs[i]);
	free(o->blobs);
	o->blobs = NULL;
	o->nr_blobs = 0;
}

static void client_free_objects(struct client *c)
{
	for (size_t i = 0; i < c->nr_sess; i++)
		vaccel_session_delete(c->sess[i].sess);
	for (size_t i = 0; i < c->nr_res; i++) {
		vaccel_resource_delete(c->res[i].res);
		obj_res_drop_blobs(&c->res[i]);
		mem_give(c->peer, c->res[i].bytes);
	}
	atomic_fetch_sub(&c->peer->nr_sess, c->nr_sess);
	atomic_fetch_sub(&c->peer->nr_res, c->nr_res);
	free(c->sess);
	free(c->res);
}

static void client_detach(struct client *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&clients_lock);
	bool last = --c->conns == 0;
	if (last) {
		for (struct client **pp = &clients; *pp; pp = &(*pp)->next) {
			if (*pp == c) {
				*pp = c->next;
				break;
			}
		}
	}
	pthread_mutex_unlock(&clients_lock);
	if (!last)
		return;
	/* No connection refers to it any more: nobody else can lock it. */
	peer_log(c->peer, VACCEL_LOG_INFO,
		 "client gone: releasing %zu session(s), %zu resource(s)",
		 c->nr_sess, c->nr_res);
	client_free_objects(c);
	pthread_rwlock_destroy(&c->lock);
	pthread_mutex_lock(&clients_lock);
	c->peer->clients--;
	peer_put_locked(c->peer);
	pthread_mutex_unlock(&clients_lock);
	free(c);
}

static struct vaccel_session *find_sess(struct client *c, int64_t id,
					size_t *idx)
{
	for (size_t i = 0; i < c->nr_sess; i++)
		if (c->sess[i].id == id) {
			if (idx)
				*idx = i;
			return c->sess[i].sess;
		}
	return NULL;
}

static struct vaccel_resource *find_res(struct client *c, int64_t id,
					size_t *idx)
{
	for (size_t i = 0; i < c->nr_res; i++)
		if (c->res[i].id == id) {
			if (idx)
				*idx = i;
			return c->res[i].res;
		}
	return NULL;
}

/* Take bytes from a budget of `limit`; false if it would overflow it. */
static bool budget_take(_Atomic uint64_t *used, uint64_t limit, uint64_t bytes)
{
	uint64_t cur = *used;
	do {
		if (bytes > limit || cur > limit - bytes)
			return false;
	} while (!atomic_compare_exchange_weak_explicit(used, &cur, cur + bytes,
							memory_order_relaxed,
							memory_order_relaxed));
	return true;
}

/* All clients together may hold at most max_total_memory. */
static _Atomic uint64_t total_mem;

static bool mem_take(struct peer *p, uint64_t bytes)
{
	if (!budget_take(&p->mem, opt.max_memory, bytes))
		return false;
	if (!budget_take(&total_mem, opt.max_total_memory, bytes)) {
		atomic_fetch_sub_explicit(&p->mem, bytes, memory_order_relaxed);
		return false;
	}
	return true;
}

static void mem_give(struct peer *p, uint64_t bytes)
{
	atomic_fetch_sub_explicit(&p->mem, bytes, memory_order_relaxed);
	atomic_fetch_sub_explicit(&total_mem, bytes, memory_order_relaxed);
}

/* ---- connection ------------------------------------------------------- */

/*
 * A call whose buffers add up to LARGE_CALL bytes or more gets them from
 * one block that the connection keeps for its next call: fresh memory
 * costs a page fault per 4 KiB page (about 4 us here, i.e. 1 GB/s), more
 * than moving the bytes does. The block asks for transparent huge pages
 * and is given back once the connection has been idle for LARGE_IDLE_MS,
 * before its client changes, when the connection ends, and right after a
 * call that leaves the client or all clients using more than half of
 * their budget. While kept it stays charged to the client's budgets (as
 * the largest call total it served; its rounding is overhead, as malloc's
 * is), so keeping blocks on many connections cannot exceed --max-memory
 * or --max-total-memory.
 * Smaller calls use malloc, which keeps its own free memory.
 */
#define LARGE_CALL (1u << 20)
/* a frame metadata buffer larger than this is freed after its frame */
#define META_KEEP (64u << 10)
#define LARGE_IDLE_MS 1000
#define LARGE_ALIGN 64
/*
 * Readable bytes kept before and after every buffer a backend gets: the
 * most any loaded plugin asks for (its descriptor's read_slack: optimised
 * kernels that read a little outside their arrays), rounded up to whole
 * pages. Where a buffer starts or ends a mapping, such a read would be a
 * crash, so the slack is always there. Set once, before serving.
 */
static size_t read_slack;
#define HUGE_PAGE (2u << 20)

/*
 * A connection whose HELLO carries WIRE_F_CONCURRENT is shared by several
 * guest threads: its reader hands each call, read whole, to the pool
 * (struct job), where it runs and is answered as soon as it is done, and
 * reads on while at most CONN_QUEUE calls wait or run. Other connections
 * have one request in flight at a time (their client waits for each
 * reply), so their reader serves each call itself, with no hand-off.
 */
#define CONN_QUEUE 64

/*
 * Work for the pool's threads: a connection's turn to read (and serve
 * what it reads), or one call of a shared connection. Each goes through
 * the gate of the peer it is for (gate_submit).
 */
struct reply_bufs;
struct job {
	void (*fn)(struct job *j, struct reply_bufs *rb);
	struct peer *p;
	void *arg;
	struct job *next;
};

/* A memfd mapped between read_slack bytes of zero pages each side; its
 * mapped length is charged to a peer while it is mapped. */
struct memfd_map {
	uint8_t *p;
	size_t len;
	dev_t dev;
	ino_t ino;
	struct peer *charged_to;
};

/* What a reply is built in: one per thread that sends replies. */
struct reply_bufs {
	struct wbuf out;
	struct segs segs;
	/* a reply's segments outside the shared region (WIRE_F_REGION) */
	struct segs reg;
};

struct req;

struct conn {
	/* the accepted descriptor (in live_fds), the address it was
	 * accepted on (main's, which outlives every connection) and its
	 * transport; the connection is opened on it in its first turn */
	int fd;
	const struct url *url;
	const struct transport *t;
	struct tconn tc;
	bool opened;
	/* idle, it waits in the poller without a thread (the transport is
	 * pollable and the connection is not a VM's port); else it has a
	 * thread of its own */
	bool pooled;
	/* its turn to read, as a job; set up once */
	struct job turn;
	/* parked in the poller: armed in its epoll set; in a deadline list
	 * (and which), its deadline; woken by that deadline */
	bool armed, expired;
	int dl_list;
	double deadline, opened_at;
	struct conn *dl_prev, *dl_next;
	/* the reader's and every call job's hold; freed at 0 (qlock) */
	unsigned int refs;
	struct client *client;
	/* who connected (holds one of its connections) */
	struct peer *who;
	/* the frame metadata buffer, its capacity charged to who */
	uint8_t *meta;
	size_t meta_cap;
	/* the reader's */
	struct reply_bufs rb;
	char peer[64];
	/* the large-call block (mmap'd) and its length; NULL when none.
	 * Only calls the reader serves itself use it. */
	uint8_t *large;
	size_t large_len;
	/* bytes charged for it to large_owner's budgets (0: none) */
	uint64_t large_charged;
	struct client *large_owner;
	/* the client's memfd, kept while it sends the same one (calls the
	 * reader serves itself; a pooled call maps its own) */
	struct memfd_map map;
	/* every frame goes out whole under it */
	pthread_mutex_t send_lock;
	/* the calls run on the pool (WIRE_F_CONCURRENT) */
	bool concurrent;
	pthread_mutex_t qlock;
	/* the reader waits in it for room or quiet */
	pthread_cond_t room;
	/* calls read and not started, and those running */
	struct req *qhead, **qtail;
	unsigned int queued, running;
};

/* One call, from its frame to its reply. */
struct req {
	struct wire_hdr h;
	/* the meta; owned by the request when a worker serves it */
	uint8_t *meta;
	bool own_meta;
	/* bytes of it charged to the peer (own_meta) */
	size_t meta_charged;
	struct wire_call call;
	bool decoded;
	void **mem;
	bool *placed;
	/* bytes of buffers allocated for the call, charged when mem_held */
	uint64_t total;
	bool mem_held, large, shm;
	int shm_fd;
	/* the memfd's mapping: the connection's, or this call's own */
	struct memfd_map *map;
	struct memfd_map own_map;
	uint8_t *rbase;
	size_t rlen;
	/* who the backend's own allocations are charged to while the
	 * call runs (what it still holds is given back in req_free), and
	 * the charge it was refused, if any */
	struct call_caller {
		struct vaccel_caller c;
		struct peer *p;
		uint64_t refused;
	} caller;
	/* non-zero: the call was refused with this status and err */
	int status;
	char err[256];
	struct req *next;
};

static void memfd_unmap(struct memfd_map *m)
{
	if (m->p) {
		munmap(m->p - read_slack, m->len + 2 * read_slack);
		mem_give(m->charged_to, m->len);
	}
	m->p = NULL;
	m->len = 0;
	m->charged_to = NULL;
}

/*
 * Point mem[] at a call's buffers in the client's memfd (WIRE_F_MEMFD):
 * each buffer, in argument order, at the next MEMFD_ALIGN boundary.
 * The descriptor must be sealed against shrinking, so the mapping cannot
 * lose pages under us. Its whole size is charged to peer p before it is
 * mapped, whatever the call uses of it. Nothing in it is written here:
 * what out buffers hold before the backend writes them is the guest's
 * (its rpc plugin zeroes them). m keeps the mapping while the same memfd
 * comes again.
 */
static int shm_buffers(struct memfd_map *m, struct peer *p, int fd,
		       const struct wire_call *call, void **mem, char *err,
		       size_t errlen)
{
	uint64_t span = 0;
	for (uint32_t i = 0; i < call->nr_bufs; i++) {
		uint64_t step = memfd_step(call->bufs[i].len);
		if (!step || __builtin_add_overflow(span, step, &span)) {
			snprintf(err, errlen, "memfd layout overflows");
			return VACCEL_EINVAL;
		}
	}
	int seals = fcntl(fd, F_GET_SEALS);
	struct stat st;
	if (seals < 0 || !(seals & F_SEAL_SHRINK) || fstat(fd, &st) != 0) {
		snprintf(err, errlen,
			 "the descriptor is not a memfd sealed against "
			 "shrinking");
		return VACCEL_EINVAL;
	}
	if (st.st_size <= 0 || (uint64_t)st.st_size < span) {
		snprintf(err, errlen,
			 "memfd of %lld bytes is smaller than the call's "
			 "%llu",
			 (long long)st.st_size, (unsigned long long)span);
		return VACCEL_EINVAL;
	}
	if (!m->p || m->dev != st.st_dev || m->ino != st.st_ino ||
	    m->len != (size_t)st.st_size || m->charged_to != p) {
		memfd_unmap(m);
		size_t len = (size_t)st.st_size;
		if (!mem_take(p, len)) {
			snprintf(err, errlen,
				 "a memfd of %zu bytes is over the memory "
				 "limit of %s",
				 len, p->id);
			return VACCEL_ENOMEM;
		}
		uint8_t *r = len > SIZE_MAX - 2 * read_slack
				 ? MAP_FAILED
				 : mmap(NULL, len + 2 * read_slack, PROT_READ,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		void *q = r == MAP_FAILED ? MAP_FAILED
					  : mmap(r + read_slack, len,
						 PROT_READ | PROT_WRITE,
						 MAP_SHARED | MAP_FIXED, fd, 0);
		if (q == MAP_FAILED) {
			snprintf(err, errlen, "cannot map the memfd: %s",
				 strerror(errno));
			if (r != MAP_FAILED)
				munmap(r, len + 2 * read_slack);
			mem_give(p, len);
			return VACCEL_ENOMEM;
		}
		m->p = q;
		m->len = len;
		m->dev = st.st_dev;
		m->ino = st.st_ino;
		m->charged_to = p;
	}
	uint64_t off = 0;
	for (uint32_t i = 0; i < call->nr_bufs; i++) {
		mem[i] = m->p + off;
		off += memfd_step(call->bufs[i].len);
	}
	return VACCEL_OK;
}

static void large_release(struct conn *k)
{
	if (k->large)
		munmap(k->large, k->large_len);
	if (k->large_charged)
		mem_give(k->large_owner->peer, k->large_charged);
	k->large = NULL;
	k->large_len = 0;
	k->large_charged = 0;
	k->large_owner = NULL;
}

/*
 * Point mem[] at a large call's buffers in the connection's block, each at
 * a LARGE_ALIGN boundary, out buffers zeroed as calloc would. false with
 * nothing held for the call when the block cannot be had (the caller then
 * allocates as for any call), and *over set if the client's budget refused
 * it.
 */
static bool large_buffers(struct conn *k, const struct wire_call *call,
			  uint64_t total, void **mem, bool *over)
{
	size_t span = 0;
	for (uint32_t i = 0; i < call->nr_bufs; i++) {
		size_t step = (call->bufs[i].len + LARGE_ALIGN) &
			      ~(size_t)(LARGE_ALIGN - 1);
		if (step < call->bufs[i].len ||
		    __builtin_add_overflow(span, step, &span))
			return false;
	}
	if (span > SIZE_MAX - 2 * read_slack ||
	    k->large_len < span + 2 * read_slack || k->large_owner != k->client)
		large_release(k);
	if (total > k->large_charged) {
		if (!mem_take(k->client->peer, total - k->large_charged)) {
			*over = true;
			return false;
		}
		k->large_charged = total;
		k->large_owner = k->client;
	}
	if (!k->large) {
		size_t want = span > SIZE_MAX - HUGE_PAGE - 2 * read_slack
				  ? 0
				  : (span + 2 * read_slack + HUGE_PAGE - 1) &
					~(size_t)(HUGE_PAGE - 1);
		void *p = want ? mmap(NULL, want, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
			       : MAP_FAILED;
		if (p == MAP_FAILED) {
			large_release(k);
			return false;
		}
		/* Best effort: where THP is off this changes nothing. */
		madvise(p, want, MADV_HUGEPAGE);
		k->large = p;
		k->large_len = want;
	}
	size_t off = read_slack;
	for (uint32_t i = 0; i < call->nr_bufs; i++) {
		const struct wire_buf *b = &call->bufs[i];
		mem[i] = k->large + off;
		/* the block serves one client: an overwritten buffer's old
		 * bytes are that client's own */
		if (!b->on_wire && !b->overwritten)
			memset(mem[i], 0, b->len);
		off += (b->len + LARGE_ALIGN) & ~(size_t)(LARGE_ALIGN - 1);
	}
	return true;
}

/* Send one frame whole; replies from several threads never interleave. */
static int conn_send(struct conn *k, uint16_t kind, uint64_t req,
		     uint32_t flags, struct wbuf *meta, struct segs *segs)
{
	pthread_mutex_lock(&k->send_lock);
	int r = frame_send_ex(&k->tc, kind, req, flags, meta, segs, NULL, -1);
	pthread_mutex_unlock(&k->send_lock);
	return r;
}

static int status_send(struct conn *k, struct reply_bufs *rb, uint16_t kind,
		       uint64_t req, int status, const char *msg, int64_t id)
{
	wbuf_reset(&rb->out);
	mp_put_array(&rb->out, 3);
	mp_put_int(&rb->out, status);
	mp_put_str(&rb->out, msg, strlen(msg));
	if (kind == WIRE_CTRL_REPLY)
		mp_put_int(&rb->out, id);
	else
		mp_put_array(&rb->out, 0);
	return conn_send(k, kind, req, 0, &rb->out, NULL);
}

/* The reader's replies. */
static int send_status(struct conn *k, uint16_t kind, uint64_t req, int status,
		       const char *msg, int64_t id)
{
	return status_send(k, &k->rb, kind, req, status, msg, id);
}

static void conn_quiesce(struct conn *k);

static int handle_hello(struct conn *k, const struct wire_hdr *h, size_t len)
{
	struct mp_reader r = {k->meta, k->meta + len};
	uint32_t n, klen, tlen = 0, nops;
	uint64_t ver;
	const void *key;
	const char *tok = NULL;
	char msg[200];
	/* Name the version that is actually wrong: the header's, else the
	 * hello's own; a hello that does not parse is malformed, not a
	 * version mismatch. */
	ver = h->version;
	if (ver == WIRE_VERSION &&
	    (mp_get_array(&r, &n) || n != 4 || mp_get_uint(&r, &ver))) {
		snprintf(msg, sizeof(msg), "malformed hello");
		goto refuse;
	}
	if (ver != WIRE_VERSION) {
		snprintf(msg, sizeof(msg),
			 "protocol version %llu is not supported: this agent "
			 "speaks version %u",
			 (unsigned long long)ver, WIRE_VERSION);
		goto refuse_version;
	}
	if (mp_get_bin(&r, &key, &klen) || klen != WIRE_KEY_SIZE) {
		snprintf(msg, sizeof(msg), "malformed hello");
		goto refuse;
	}
	if (mp_next_is_nil(&r))
		mp_get_nil(&r);
	else if (mp_get_str(&r, &tok, &tlen)) {
		snprintf(msg, sizeof(msg), "malformed hello");
		goto refuse;
	}
	if (opt.token) {
		size_t want = strlen(opt.token);
		unsigned int diff = tok ? (unsigned int)(tlen ^ want) : 1;
		for (size_t i = 0; tok && i < tlen && i < want; i++)
			diff |= (unsigned char)(tok[i] ^ opt.token[i]);
		if (diff) {
			snprintf(msg, sizeof(msg), "bad or missing token");
			peer_log(k->who, VACCEL_LOG_WARN, "%s: %s", k->peer,
				 msg);
			send_status(k, WIRE_HELLO_REPLY, h->req_id,
				    VACCEL_EACCES, msg, 0);
			return -1;
		}
	}
	if (mp_get_array(&r, &nops)) {
		snprintf(msg, sizeof(msg), "malformed hello");
		goto refuse;
	}
	/* ops whose signature differs on the guest: one line for all */
	const struct vaccel_op_desc *first = NULL;
	uint32_t differ = 0;
	for (uint32_t i = 0; i < nops; i++) {
		uint64_t id, hash;
		if (mp_get_array(&r, &n) || n != 2 || mp_get_uint(&r, &id) ||
		    mp_get_uint(&r, &hash)) {
			snprintf(msg, sizeof(msg), "malformed hello");
			goto refuse;
		}
		const struct vaccel_op_desc *d =
		    id <= UINT32_MAX ? vaccel_op_desc_by_id((uint32_t)id)
				     : NULL;
		if (d && d->sig_hash != hash && !differ++)
			first = d;
	}
	if (differ)
		peer_log(k->who, VACCEL_LOG_WARN,
			 "%s: %u op(s) have a different signature on the "
			 "guest ('%s'%s); they will be refused",
			 k->peer, differ, first->name,
			 differ > 1 ? " and others" : "");
	/* A hello starts a new conversation on this stream: the last one's
	 * calls finish first. */
	conn_quiesce(k);
	k->concurrent = h->flags & WIRE_F_CONCURRENT;
	large_release(k);
	memfd_unmap(&k->map);
	client_detach(k->client);
	bool known;
	int why;
	k->client = client_attach(key, k->who, &known, &why);
	if (!k->client) {
		if (why == VACCEL_EACCES)
			snprintf(msg, sizeof(msg),
				 "this client key belongs to another peer");
		else if (why == VACCEL_EUSERS)
			snprintf(msg, sizeof(msg),
				 "%s has its most client keys (%u)", k->who->id,
				 opt.max_peer_clients);
		else
			snprintf(msg, sizeof(msg), "out of memory");
		peer_log(k->who, VACCEL_LOG_WARN, "%s: %s", k->peer, msg);
		send_status(k, WIRE_HELLO_REPLY, h->req_id, why, msg, 0);
		return -1;
	}
	wbuf_reset(&k->rb.out);
	mp_put_array(&k->rb.out, 5);
	mp_put_int(&k->rb.out, VACCEL_OK);
	mp_put_str(&k->rb.out, "", 0);
	mp_put_uint(&k->rb.out, instance_id);
	mp_put_bool(&k->rb.out, known);
	unsigned int nr_ops = vaccel_op_count();
	mp_put_array(&k->rb.out, nr_ops);
	for (unsigned int i = 0; i < nr_ops; i++) {
		mp_put_array(&k->rb.out, 2);
		mp_put_uint(&k->rb.out, vaccel_op_desc_at(i)->id);
		mp_put_uint(&k->rb.out, vaccel_op_desc_at(i)->sig_hash);
	}
	return conn_send(k, WIRE_HELLO_REPLY, h->req_id, 0, &k->rb.out, NULL)
		   ? -1
		   : 0;
refuse_version:
	peer_log(k->who, VACCEL_LOG_WARN, "%s: %s", k->peer, msg);
	send_status(k, WIRE_HELLO_REPLY, h->req_id, VACCEL_EPROTO_VERSION, msg,
		    0);
	return -1;
refuse:
	peer_log(k->who, VACCEL_LOG_WARN, "%s: %s", k->peer, msg);
	send_status(k, WIRE_HELLO_REPLY, h->req_id, VACCEL_EINVAL, msg, 0);
	return -1;
}

static int drain(struct conn *k, uint64_t n);

/* What the host spends on each file of a resource besides its bytes and
 * name (its structures, its directory entry), charged as bytes. */
#define RES_FILE_COST 256

/* RES_NEW: [3, type, [[name, size]...]] + file bytes, or [3, type,
 * [[name, size, sha256]...]] and no bytes: the files kept by content. */
static int ctrl_res_new(struct conn *k, struct mp_reader *r,
			const struct wire_hdr *h, int64_t *id, char *msg,
			size_t msglen)
{
	struct client *c = k->client;
	uint64_t type;
	uint32_t nfiles = 0;
	int ret = VACCEL_EINVAL;
	struct vaccel_file *files = NULL;
	const struct vaccel_file **fp = NULL;
	/* file bytes declared and read so far */
	uint64_t total = 0, got = 0;
	/* what it costs: the bytes, each name and the host's structures
	 * for each file (which 65536 empty files would cost too) */
	uint64_t charge = 0;
	bool mem_held = false, counted = false;
	/* by hash: the kept copies named; else those the upload makes */
	struct blob **held = NULL;
	uint32_t nr_held = 0;
	bool by_hash = false;
	if (mp_get_uint(r, &type) || type >= VACCEL_RESOURCE_MAX ||
	    mp_get_array(r, &nfiles) || nfiles == 0 ||
	    nfiles > opt.lim.max_list) {
		snprintf(msg, msglen, "malformed resource");
		goto out;
	}
	files = calloc(nfiles, sizeof(*files));
	fp = calloc(nfiles, sizeof(*fp));
	held = calloc(nfiles, sizeof(*held));
	if (!files || !fp || !held) {
		ret = VACCEL_ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < nfiles; i++) {
		const char *name;
		const void *hash = NULL;
		uint32_t nl, parts, hl = 0;
		uint64_t size;
		if (mp_get_array(r, &parts) || (parts != 2 && parts != 3) ||
		    (i && (parts == 3) != by_hash) ||
		    mp_get_str(r, &name, &nl) || mp_get_uint(r, &size) ||
		    (parts == 3 &&
		     (mp_get_bin(r, &hash, &hl) || hl != VACCEL_SHA256_SIZE ||
		      size < WIRE_BY_HASH_MIN)) ||
		    nl == 0 || nl > 255 || memchr(name, '/', nl) ||
		    memchr(name, 0, nl) || size > opt.lim.max_buffer ||
		    (nl <= 2 && name[0] == '.' &&
		     (nl == 1 || name[1] == '.'))) {
			snprintf(msg, msglen, "malformed resource file %u", i);
			goto out;
		}
		by_hash = parts == 3;
		files[i].name = strndup(name, nl);
		files[i].size = size;
		if (!files[i].name) {
			ret = VACCEL_ENOMEM;
			goto out;
		}
		if (by_hash) {
			held[nr_held] =
			    blobs.off ? NULL : blob_find(hash, size);
			if (!held[nr_held]) {
				snprintf(msg, msglen,
					 "file %u is not kept by the agent", i);
				ret = VACCEL_ENOENT;
				goto out;
			}
			files[i].data = held[nr_held++]->data;
		}
		fp[i] = &files[i];
		total += size;
		charge += nl + 1 + RES_FILE_COST;
	}
	charge += total;
	if (r->p != r->end || (by_hash ? 0 : total) != h->raw_len) {
		snprintf(
		    msg, msglen,
		    "resource files declare %llu bytes, frame carries %llu",
		    (unsigned long long)(by_hash ? 0 : total),
		    (unsigned long long)h->raw_len);
		goto out;
	}
	if (!budget_take(&c->peer->nr_res, opt.max_resources, 1)) {
		snprintf(msg, msglen, "too many resources (limit %u)",
			 opt.max_resources);
		ret = VACCEL_EUSERS;
		goto out;
	}
	counted = true;
	if (!mem_take(c->peer, charge)) {
		snprintf(msg, msglen, "memory limit reached");
		ret = VACCEL_ENOMEM;
		goto out;
	}
	mem_held = true;
	for (uint32_t i = 0; !by_hash && i < nfiles; i++) {
		files[i].data = malloc(files[i].size ? files[i].size : 1);
		if (!files[i].data) {
			ret = VACCEL_ENOMEM;
			goto out;
		}
		if (tconn_recv(&k->tc, files[i].data, files[i].size)) {
			ret = -1;
			goto out;
		}
		got += files[i].size;
	}
	struct vaccel_resource *res = NULL;
	ret = vaccel_resource_from_files(&res, fp, nfiles,
					 (vaccel_resource_type_t)type);
	if (ret) {
		snprintf(msg, msglen, "cannot create resource: %s",
			 vaccel_strerror(ret));
		goto out;
	}
	if (array_grow((void **)&c->res, &c->cap_res, c->nr_res,
		       sizeof(*c->res))) {
		vaccel_resource_delete(res);
		ret = VACCEL_ENOMEM;
		goto out;
	}
	/* what was sent is kept by content (a file already kept is
	 * dropped here and the copy held) */
	for (uint32_t i = 0; !by_hash && !blobs.off && i < nfiles; i++)
		if (files[i].size >= WIRE_BY_HASH_MIN &&
		    (held[nr_held] = blob_keep(&files[i].data, files[i].size)))
			nr_held++;
	*id = c->next_id++;
	c->res[c->nr_res++] = (struct obj_res){*id, res, charge, held, nr_held};
	held = NULL;
	nr_held = 0;
	mem_held = counted = false;
	ret = VACCEL_OK;
	atomic_fetch_add(by_hash ? &blobs.shared : &blobs.sent, 1);
	atomic_fetch_add(by_hash ? &blobs.shared_bytes : &blobs.sent_bytes,
			 total);
	peer_log(k->who, by_hash ? VACCEL_LOG_INFO : VACCEL_LOG_DEBUG,
		 "%s: resource %lld: %u file(s), %llu bytes%s", k->peer,
		 (long long)*id, nfiles, (unsigned long long)total,
		 by_hash ? ", from the agent's kept copy (not sent again)"
			 : "");
out:
	/* A refused upload's bytes are read and dropped, so the stream
	 * stays in step (drain() closes the connection past 64 MiB). */
	if (ret > 0 && got < h->raw_len && drain(k, h->raw_len - got))
		ret = -1;
	if (mem_held)
		mem_give(c->peer, charge);
	if (counted)
		atomic_fetch_sub(&c->peer->nr_res, 1);
	for (uint32_t i = 0; files && i < nfiles; i++) {
		free(files[i].name);
		if (!by_hash)
			free(files[i].data);
	}
	for (uint32_t i = 0; i < nr_held; i++)
		blob_drop(held[i]);
	free(held);
	free(files);
	free(fp);
	return ret;
}

static int handle_ctrl(struct conn *k, const struct wire_hdr *h, size_t len)
{
	struct mp_reader r = {k->meta, k->meta + len};
	struct client *c = k->client;
	uint32_t n;
	uint64_t op;
	int64_t a = 0, b = 0, id = 0;
	char msg[256] = "";
	int ret = VACCEL_EINVAL;
	bool drained = false;
	pthread_rwlock_wrlock(&c->lock);
	if (mp_get_array(&r, &n) || n < 2 || mp_get_uint(&r, &op)) {
		snprintf(msg, sizeof(msg), "malformed control request");
		goto reply;
	}
	switch (op) {
	case WIRE_CTRL_SESS_NEW: {
		uint64_t hint;
		if (n != 2 || mp_get_uint(&r, &hint) || hint > UINT32_MAX)
			break;
		if (!budget_take(&c->peer->nr_sess, opt.max_sessions, 1)) {
			snprintf(msg, sizeof(msg),
				 "too many sessions (limit %u)",
				 opt.max_sessions);
			ret = VACCEL_EUSERS;
			break;
		}
		struct vaccel_session *s;
		if (array_grow((void **)&c->sess, &c->cap_sess, c->nr_sess,
			       sizeof(*c->sess))) {
			atomic_fetch_sub(&c->peer->nr_sess, 1);
			ret = VACCEL_ENOMEM;
			break;
		}
		ret = vaccel_session_new(&s, (uint32_t)hint);
		if (ret) {
			atomic_fetch_sub(&c->peer->nr_sess, 1);
			break;
		}
		id = c->next_id++;
		c->sess[c->nr_sess++] = (struct obj_sess){id, s};
		break;
	}
	case WIRE_CTRL_SESS_FREE: {
		size_t i;
		if (n != 2 || mp_get_int(&r, &a))
			break;
		struct vaccel_session *s = find_sess(c, a, &i);
		if (!s) {
			ret = VACCEL_ENOENT;
			snprintf(msg, sizeof(msg), "unknown session %lld",
				 (long long)a);
			break;
		}
		ret = vaccel_session_delete(s);
		c->sess[i] = c->sess[--c->nr_sess];
		atomic_fetch_sub(&c->peer->nr_sess, 1);
		break;
	}
	case WIRE_CTRL_RES_NEW:
		if (n != 3)
			break;
		drained = true;
		ret = ctrl_res_new(k, &r, h, &id, msg, sizeof(msg));
		if (ret < 0) {
			pthread_rwlock_unlock(&c->lock);
			return -1;
		}
		break;
	case WIRE_CTRL_RES_FREE: {
		size_t i;
		if (n != 2 || mp_get_int(&r, &a))
			break;
		struct vaccel_resource *res = find_res(c, a, &i);
		if (!res) {
			ret = VACCEL_ENOENT;
			snprintf(msg, sizeof(msg), "unknown resource %lld",
				 (long long)a);
			break;
		}
		ret = vaccel_resource_delete(res);
		if (ret == VACCEL_OK) {
			obj_res_drop_blobs(&c->res[i]);
			mem_give(c->peer, c->res[i].bytes);
			c->res[i] = c->res[--c->nr_res];
			atomic_fetch_sub(&c->peer->nr_res, 1);
		} else {
			snprintf(msg, sizeof(msg), "resource %lld: %s",
				 (long long)a, vaccel_strerror(ret));
		}
		break;
	}
	case WIRE_CTRL_RES_REG:
	case WIRE_CTRL_RES_UNREG: {
		if (n != 3 || mp_get_int(&r, &a) || mp_get_int(&r, &b))
			break;
		struct vaccel_resource *res = find_res(c, a, NULL);
		struct vaccel_session *s = find_sess(c, b, NULL);
		if (!res || !s) {
			ret = VACCEL_ENOENT;
			snprintf(msg, sizeof(msg), "unknown %s %lld",
				 res ? "session" : "resource",
				 (long long)(res ? b : a));
			break;
		}
		ret = op == WIRE_CTRL_RES_REG
			  ? vaccel_resource_register(res, s)
			  : vaccel_resource_unregister(res, s);
		break;
	}
	default:
		snprintf(msg, sizeof(msg), "unknown control request %llu",
			 (unsigned long long)op);
	}
reply:
	pthread_rwlock_unlock(&c->lock);
	if (!drained && h->raw_len) {
		/* Nothing legitimate carries raw bytes here: drop the link
		 * rather than read an arbitrary amount. */
		send_status(k, WIRE_CTRL_REPLY, h->req_id, VACCEL_EINVAL,
			    "unexpected raw data", 0);
		return -1;
	}
	if (ret && !msg[0])
		snprintf(msg, sizeof(msg), "%s", vaccel_strerror(ret));
	return send_status(k, WIRE_CTRL_REPLY, h->req_id, ret, msg, id) ? -1
									: 0;
}

/* Drain n raw bytes of a refused request so the stream stays in sync;
 * larger amounts close the connection instead. */
static int drain(struct conn *k, uint64_t n)
{
	if (n > (64u << 20))
		return -1;
	return tconn_recv(&k->tc, NULL, n) ? -1 : 0;
}

/*
 * A shared-region call (WIRE_F_REGION): read the offset table that opens
 * the raw part and point mem[] at the buffers it places in the region
 * (used in place, never zeroed: they are the guest's own memory), each
 * checked to lie inside it. *placed (malloc'd) marks them; *unread drops
 * by what was read. 0, a vAccel status (refused: the rest of the raw
 * part is still to drain), or -1 when the stream failed.
 */
static int region_buffers(struct conn *k, struct wire_call *call,
			  uint8_t *rbase, size_t rlen, void **mem,
			  bool **placed, uint64_t *unread, char *err,
			  size_t errlen)
{
	uint64_t n = call->nr_bufs, inline_bytes = 0;
	if (*unread < 8 * n) {
		snprintf(err, errlen, "shared-region call without its table");
		return VACCEL_EINVAL;
	}
	uint8_t *table = malloc(n ? 8 * n : 1);
	*placed = calloc(n ? n : 1, sizeof(bool));
	if (!table || !*placed) {
		free(table);
		snprintf(err, errlen, "out of memory");
		return VACCEL_ENOMEM;
	}
	int r = tconn_recv(&k->tc, table, 8 * n) ? -1 : 0;
	*unread -= 8 * n;
	for (uint32_t i = 0; !r && i < n; i++) {
		uint64_t off = 0, blen = call->bufs[i].len;
		for (int b = 0; b < 8; b++)
			off |= (uint64_t)table[8 * i + b] << (8 * b);
		if (off == WIRE_REGION_NONE) {
			if (call->bufs[i].on_wire)
				inline_bytes += blen;
			continue;
		}
		if (!blen || off > rlen || blen > rlen - off) {
			snprintf(err, errlen,
				 "buffer %u of %llu bytes at %llu lies outside "
				 "the shared region of %zu",
				 i, (unsigned long long)blen,
				 (unsigned long long)off, rlen);
			r = VACCEL_EINVAL;
			break;
		}
		mem[i] = rbase + off;
		(*placed)[i] = true;
	}
	free(table);
	if (!r) {
		uint32_t in_place = 0;
		for (uint32_t i = 0; i < n; i++)
			in_place += (*placed)[i];
		peer_log(k->who, VACCEL_LOG_DEBUG,
			 "%s: op '%s': %u of %llu buffers in place", k->peer,
			 call->op->name, in_place, (unsigned long long)n);
	}
	if (!r && inline_bytes != *unread) {
		snprintf(err, errlen,
			 "shared-region call of %llu raw bytes for %llu "
			 "inline",
			 (unsigned long long)*unread,
			 (unsigned long long)inline_bytes);
		r = VACCEL_EINVAL;
	}
	return r;
}

/* The session of call in *s, and its resources bound to their arguments:
 * 0, or VACCEL_ENOENT with err saying which is unknown. c->lock held. */
static int call_refs(struct client *c, struct wire_call *call,
		     struct vaccel_session **s, char *err, size_t errlen)
{
	*s = find_sess(c, call->sess_id, NULL);
	if (!*s) {
		snprintf(err, errlen, "op '%s': unknown session %lld",
			 call->op->name, (long long)call->sess_id);
		return VACCEL_ENOENT;
	}
	for (uint32_t i = 0; i < call->op->nr_args; i++) {
		if (call->op->args[i].kind != VACCEL_ARGK_RESOURCE)
			continue;
		call->args[i].buf = find_res(c, call->res_ids[i], NULL);
		if (!call->args[i].buf) {
			snprintf(err, errlen, "op '%s': unknown resource %lld",
				 call->op->name, (long long)call->res_ids[i]);
			return VACCEL_ENOENT;
		}
	}
	return VACCEL_OK;
}

/*
 * Read the rest of a CALL whose header is q->h and whose meta is q->meta:
 * decode it and read its buffers into memory of their own (or point at
 * them in a memfd or the shared region). 0 with q ready to run, or with
 * q->status set when the call was refused (its raw part drained); -1 when
 * the stream failed. Either way req_free() undoes what q holds.
 */
static int call_read(struct conn *k, struct req *q)
{
	const struct wire_hdr *h = &q->h;
	struct wire_call *call = &q->call;
	bool region = h->flags & WIRE_F_REGION;
	/* raw bytes of the request not read yet */
	uint64_t unread = h->raw_len;
	int ret;
	q->shm = h->flags & WIRE_F_MEMFD;
	q->shm_fd = q->shm ? tconn_take_fd(&k->tc) : -1;
	if (q->shm && (q->shm_fd < 0 || h->raw_len)) {
		ret = VACCEL_EINVAL;
		snprintf(q->err, sizeof(q->err), "%s",
			 q->shm_fd < 0 ? "memfd call without its descriptor"
				       : "memfd call with a raw part");
		goto refused;
	}
	if (region && (q->shm || tconn_region(&k->tc, &q->rbase, &q->rlen))) {
		ret = VACCEL_EINVAL;
		snprintf(q->err, sizeof(q->err),
			 "shared-region call on a connection without one");
		goto refused;
	}
	ret = wire_decode_call(q->meta, h->meta_len,
			       q->shm || region ? WIRE_RAW_ANY : h->raw_len,
			       &opt.lim, call, q->err, sizeof(q->err));
	if (ret) {
	refused:
		peer_log(k->who, VACCEL_LOG_WARN, "%s: refused call: %s",
			 k->peer, q->err);
		q->status = ret;
		return drain(k, unread);
	}
	q->decoded = true;
	/* What the call names exists before anything is allocated, mapped
	 * or read for it (call_run looks again: a session may go
	 * meanwhile). */
	struct vaccel_session *sess;
	pthread_rwlock_rdlock(&k->client->lock);
	ret = call_refs(k->client, call, &sess, q->err, sizeof(q->err));
	pthread_rwlock_unlock(&k->client->lock);
	if (ret)
		goto drain_out;
	q->mem = calloc(call->nr_bufs ? call->nr_bufs : 1, sizeof(void *));
	if (!q->mem) {
		ret = VACCEL_ENOMEM;
		snprintf(q->err, sizeof(q->err), "out of memory");
		goto drain_out;
	}
	if (region) {
		ret =
		    region_buffers(k, call, q->rbase, q->rlen, q->mem,
				   &q->placed, &unread, q->err, sizeof(q->err));
		if (ret < 0)
			return -1;
		if (ret)
			goto drain_out;
	}
	for (uint32_t i = 0; i < call->nr_bufs; i++)
		if (!q->placed || !q->placed[i])
			q->total += call->bufs[i].len;
	if (q->shm) {
		q->map = k->concurrent ? &q->own_map : &k->map;
		ret = shm_buffers(q->map, k->client->peer, q->shm_fd, call,
				  q->mem, q->err, sizeof(q->err));
		if (ret)
			goto drain_out;
		return 0;
	}
	bool over = false;
	if (!region && !k->concurrent && q->total >= LARGE_CALL)
		q->large = large_buffers(k, call, q->total, q->mem, &over);
	if (over || (!q->large && !mem_take(k->client->peer, q->total))) {
		ret = VACCEL_ENOMEM;
		snprintf(q->err, sizeof(q->err),
			 "op '%s': %llu bytes of buffers exceed the client's "
			 "memory limit",
			 call->op->name, (unsigned long long)q->total);
		goto drain_out;
	}
	q->mem_held = !q->large;
	for (uint32_t i = 0; !q->large && i < call->nr_bufs; i++) {
		struct wire_buf *b = &call->bufs[i];
		if (q->placed && q->placed[i])
			continue;
		uint8_t *p = b->on_wire ? malloc(b->len + 2 * read_slack)
					: calloc(1, b->len + 2 * read_slack);
		q->mem[i] = p ? p + read_slack : NULL;
		if (!q->mem[i]) {
			ret = VACCEL_ENOMEM;
			snprintf(q->err, sizeof(q->err), "out of memory");
			goto drain_out;
		}
	}
	for (uint32_t i = 0; i < call->nr_bufs; i++)
		if (call->bufs[i].on_wire && !(q->placed && q->placed[i]) &&
		    tconn_recv(&k->tc, q->mem[i], call->bufs[i].len))
			return -1;
	return 0;

drain_out:
	peer_log(k->who, VACCEL_LOG_WARN, "%s: %s", k->peer, q->err);
	q->status = ret;
	return drain(k, unread);
}

/* A backend's allocations on a call's behalf (vaccel_call_charge) count
 * against its caller's budgets; the lines it makes the core log, against
 * its caller's log rate. c is the first member of struct call_caller. */
static bool caller_take(struct vaccel_caller *c, uint64_t bytes)
{
	struct call_caller *cc = (struct call_caller *)c;
	if (mem_take(cc->p, bytes))
		return true;
	cc->refused = bytes;
	return false;
}

static void caller_give(struct vaccel_caller *c, uint64_t bytes)
{
	mem_give(((struct call_caller *)c)->p, bytes);
}

static bool caller_log_allowed(struct vaccel_caller *c)
{
	return peer_log_allow(((struct call_caller *)c)->p, VACCEL_LOG_WARN);
}

/* Run a call call_read() made ready, or refuse it, and answer; the reply
 * is built in rb. 0, or -1 when the answer could not be sent. */
static int call_run(struct conn *k, struct req *q, struct reply_bufs *rb)
{
	struct client *c = k->client;
	struct wire_call *call = &q->call;
	char *err = q->err;
	size_t errlen = sizeof(q->err);
	int ret = q->status;
	if (ret)
		return status_send(k, rb, WIRE_CALL_REPLY, q->h.req_id, ret,
				   err, 0)
			   ? -1
			   : 0;
	wire_call_bind(call, q->mem);

	pthread_rwlock_rdlock(&c->lock);
	struct vaccel_session *s;
	ret = call_refs(c, call, &s, err, errlen);
	if (!ret) {
		q->caller =
		    (struct call_caller){.c = {.take = caller_take,
					       .give = caller_give,
					       .may_log = caller_log_allowed},
					 .p = c->peer};
		vaccel_caller_enter(&q->caller.c);
		/* the decoder checked every length against its rule */
		ret = vaccel_op_call_sized(s, call->op_id, call->args,
					   call->op->nr_args);
		vaccel_caller_leave();
		/* a failed op leaves nothing allocated: its charges end
		 * now, before the reply lets the guest send its next call */
		if (ret && q->caller.c.held) {
			mem_give(q->caller.p, q->caller.c.held);
			q->caller.c.held = 0;
		}
		if (ret && q->caller.refused)
			snprintf(err, errlen,
				 "op '%s': the %llu bytes its backend needed "
				 "exceed the client's memory limit",
				 call->op->name,
				 (unsigned long long)q->caller.refused);
		else if (ret)
			snprintf(err, errlen, "op '%s': %s", call->op->name,
				 vaccel_strerror(ret));
	}
	pthread_rwlock_unlock(&c->lock);
	if (ret && q->caller.refused)
		peer_log(k->who, VACCEL_LOG_WARN, "%s: %s", k->peer, err);

	wbuf_reset(&rb->out);
	segs_reset(&rb->segs);
	if (wire_encode_reply(&rb->out, &rb->segs, ret, ret ? err : "",
			      call->op, call->args)) {
		wbuf_reset(&rb->out);
		segs_reset(&rb->segs);
		wire_encode_reply(&rb->out, &rb->segs, VACCEL_ENOMEM,
				  "out of memory", NULL, NULL);
	}
	/* With a memfd the outputs are in place already; with a shared
	 * region, those in it. */
	bool region = q->h.flags & WIRE_F_REGION;
	struct segs *out = q->shm ? NULL : &rb->segs;
	if (region) {
		segs_reset(&rb->reg);
		for (uint32_t i = 0; i < rb->segs.n; i++) {
			const uint8_t *b = rb->segs.v[i].buf;
			if (b < q->rbase || b >= q->rbase + q->rlen)
				segs_add(&rb->reg, rb->segs.v[i].buf,
					 rb->segs.v[i].len);
		}
		out = &rb->reg;
	}
	return conn_send(k, WIRE_CALL_REPLY, q->h.req_id,
			 q->shm	  ? WIRE_F_MEMFD
			 : region ? WIRE_F_REGION
				  : 0,
			 &rb->out, out)
		   ? -1
		   : 0;
}

static void req_free(struct conn *k, struct req *q)
{
	struct client *c = k->client;
	/* Keep the block only while the budgets have room to spare, so
	 * that it seldom stands in the way of the client's other calls. */
	if (q->large &&
	    (atomic_load_explicit(&c->peer->mem, memory_order_relaxed) >
		 opt.max_memory / 2 ||
	     atomic_load_explicit(&total_mem, memory_order_relaxed) >
		 opt.max_total_memory / 2))
		large_release(k);
	for (uint32_t i = 0;
	     q->mem && !q->large && !q->shm && i < q->call.nr_bufs; i++)
		if (q->mem[i] && !(q->placed && q->placed[i]))
			free((uint8_t *)q->mem[i] - read_slack);
	free(q->placed);
	memfd_unmap(&q->own_map);
	if (q->shm_fd >= 0)
		close(q->shm_fd);
	free(q->mem);
	if (q->mem_held)
		mem_give(c->peer, q->total);
	/* the backend's outputs go with the call */
	if (q->caller.c.held)
		mem_give(q->caller.p, q->caller.c.held);
	if (q->decoded)
		wire_call_free(&q->call);
	if (q->own_meta) {
		free(q->meta);
		mem_give(k->who, q->meta_charged);
	}
}

/* A call could not be answered: cut the stream, so that the reader fails
 * and the connection closes. */
static void conn_cut(struct conn *k)
{
	shutdown(k->tc.fd, SHUT_RDWR);
}

/* ---- the pool ----------------------------------------------------------- */

/*
 * Connections on a pollable transport (the stream ones) have no thread
 * while idle: when the thread serving one finds nothing more to read, it
 * parks the connection in the poller (conn_park) and goes back to the
 * pool; a readable or closed descriptor, or the connection's deadline,
 * makes it a job again. A VM's port, and shm's ring, whose data does not
 * show on a descriptor, keep a thread each (conn_thread). Jobs run on at
 * most --threads threads, made as work comes and ended after POOL_IDLE_MS
 * without any; each goes through its peer's gate: at most
 * --max-peer-calls jobs of one identity run at once, and the others wait
 * their turn in order, so that no identity holds every thread.
 */
#define POOL_IDLE_MS 10000
#define POOL_KEEP 2
#define LINGER_MS 20

static struct {
	pthread_mutex_t lock;
	pthread_cond_t work;
	struct job *head, **tail;
	unsigned int queued, threads, idle;
	/* jobs wait for a thread the pool cannot add: read without the
	 * lock (conn_may_linger) */
	_Atomic bool short_of_threads;
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER,
	  .work = PTHREAD_COND_INITIALIZER,
	  .tail = &pool.head};

/* pool.lock held */
static void pool_reckon_locked(void)
{
	atomic_store_explicit(&pool.short_of_threads,
			      pool.queued > pool.idle &&
				  pool.threads >= opt.threads,
			      memory_order_relaxed);
}

static void gate_done(struct peer *p);

static void *pool_main(void *arg)
{
	(void)arg;
	struct reply_bufs rb = {0};
	pthread_mutex_lock(&pool.lock);
	for (;;) {
		while (!pool.head) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += POOL_IDLE_MS / 1000;
			pool.idle++;
			pool_reckon_locked();
			int r = pthread_cond_timedwait(&pool.work, &pool.lock,
						       &until);
			pool.idle--;
			if (r == ETIMEDOUT && !pool.head &&
			    pool.threads > POOL_KEEP)
				goto end;
		}
		struct job *j = pool.head;
		pool.head = j->next;
		if (!pool.head)
			pool.tail = &pool.head;
		pool.queued--;
		pool_reckon_locked();
		pthread_mutex_unlock(&pool.lock);
		/* the job may free itself and what it is for */
		struct peer *p = j->p;
		j->fn(j, &rb);
		gate_done(p);
		pthread_mutex_lock(&pool.lock);
	}
end:
	pool.threads--;
	pool_reckon_locked();
	pthread_mutex_unlock(&pool.lock);
	wbuf_free(&rb.out);
	segs_free(&rb.segs);
	segs_free(&rb.reg);
	return NULL;
}

/* Start one more pool thread; pool.lock held. */
static bool pool_grow_locked(void)
{
	pthread_attr_t attr;
	pthread_t th;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int r = pthread_create(&th, &attr, pool_main, NULL);
	pthread_attr_destroy(&attr);
	if (r)
		errno = r;
	else
		pool.threads++;
	return r == 0;
}

static void pool_submit(struct job *j)
{
	pthread_mutex_lock(&pool.lock);
	j->next = NULL;
	*pool.tail = j;
	pool.tail = &j->next;
	/* a thread for each job that no idle one will take */
	if (++pool.queued > pool.idle && pool.threads < opt.threads &&
	    !pool_grow_locked() && !pool.threads)
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "no thread to serve with: %s; the work waits",
			   strerror(errno));
	pool_reckon_locked();
	pthread_cond_signal(&pool.work);
	pthread_mutex_unlock(&pool.lock);
}

/* Run j for its peer j->p as soon as the peer has fewer than
 * --max-peer-calls jobs running. */
static void gate_submit(struct job *j)
{
	struct peer *p = j->p;
	pthread_mutex_lock(&clients_lock);
	p->jobs++;
	bool now = p->active < opt.max_peer_calls;
	if (now) {
		p->active++;
	} else {
		j->next = NULL;
		*p->waiting_tail = j;
		p->waiting_tail = &j->next;
		atomic_store_explicit(&p->has_waiting, true,
				      memory_order_relaxed);
	}
	pthread_mutex_unlock(&clients_lock);
	if (now)
		pool_submit(j);
}

/* A thread of its own (a VM's port, shm's ring) runs its calls itself,
 * but through its peer's gate too: it waits for its turn as a job does
 * (a job with no fn, woken by gate_done), and gate_done ends it. */
static pthread_cond_t gate_turn = PTHREAD_COND_INITIALIZER;

static void gate_enter(struct peer *p)
{
	struct job j = {.p = p};
	pthread_mutex_lock(&clients_lock);
	p->jobs++;
	if (p->active < opt.max_peer_calls) {
		p->active++;
	} else {
		j.arg = &j;
		*p->waiting_tail = &j;
		p->waiting_tail = &j.next;
		atomic_store_explicit(&p->has_waiting, true,
				      memory_order_relaxed);
		while (j.arg)
			pthread_cond_wait(&gate_turn, &clients_lock);
	}
	pthread_mutex_unlock(&clients_lock);
}

/* One of p's jobs is done: the next that waits runs. */
static void gate_done(struct peer *p)
{
	pthread_mutex_lock(&clients_lock);
	p->jobs--;
	struct job *next = p->waiting;
	if (next) {
		p->waiting = next->next;
		if (!p->waiting) {
			p->waiting_tail = &p->waiting;
			atomic_store_explicit(&p->has_waiting, false,
					      memory_order_relaxed);
		}
	} else {
		p->active--;
	}
	peer_put_locked(p);
	if (next && !next->fn) {
		/* a thread waiting in gate_enter: its turn */
		next->arg = NULL;
		pthread_cond_broadcast(&gate_turn);
		next = NULL;
	}
	pthread_mutex_unlock(&clients_lock);
	if (next)
		pool_submit(next);
}

/* ---- the poller --------------------------------------------------------- */

/*
 * Parked connections wait in one epoll set (one-shot: a connection is
 * handed to one thread at a time). Those with a deadline are also in one
 * of two lists, each in deadline order because its deadlines are all the
 * same span from when they were set: a new connection's HELLO
 * (--handshake-timeout from its accept) and a kept large-call block's
 * release (LARGE_IDLE_MS from its last call).
 */
enum { DL_NONE, DL_HELLO, DL_LARGE, DL_LISTS };

static struct {
	int ep, wake;
	pthread_mutex_t lock;
	struct conn *head[DL_LISTS], *tail[DL_LISTS];
} poller = {-1, -1, PTHREAD_MUTEX_INITIALIZER, {0}, {0}};

static void dl_unlink_locked(struct conn *k)
{
	if (k->dl_list == DL_NONE)
		return;
	int l = k->dl_list;
	if (k->dl_prev)
		k->dl_prev->dl_next = k->dl_next;
	else
		poller.head[l] = k->dl_next;
	if (k->dl_next)
		k->dl_next->dl_prev = k->dl_prev;
	else
		poller.tail[l] = k->dl_prev;
	k->dl_prev = k->dl_next = NULL;
	k->dl_list = DL_NONE;
}

/* Put k in list l at its place by k->deadline (from the tail: the lists
 * are nearly in arrival order). Whether it went to the head. */
static bool dl_insert_locked(struct conn *k, int l)
{
	struct conn *after = poller.tail[l];
	while (after && after->deadline > k->deadline)
		after = after->dl_prev;
	k->dl_list = l;
	k->dl_prev = after;
	k->dl_next = after ? after->dl_next : poller.head[l];
	if (k->dl_next)
		k->dl_next->dl_prev = k;
	else
		poller.tail[l] = k;
	if (after)
		after->dl_next = k;
	else
		poller.head[l] = k;
	return !after;
}

/*
 * Park k until its descriptor is readable (or closed), or until the
 * deadline of list l (DL_NONE: none) at k->deadline. The caller lets go
 * of k: from here another thread may serve it.
 */
static void conn_park(struct conn *k, int l)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT,
				 .data.ptr = k};
	pthread_mutex_lock(&poller.lock);
	bool first = l != DL_NONE && dl_insert_locked(k, l);
	int r = epoll_ctl(poller.ep, k->armed ? EPOLL_CTL_MOD : EPOLL_CTL_ADD,
			  k->tc.fd, &ev);
	if (r == 0)
		k->armed = true;
	else
		dl_unlink_locked(k);
	pthread_mutex_unlock(&poller.lock);
	if (r) {
		/* cannot wait for it: cut it, and let its turn end it */
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "%s: cannot poll: %s; closing", k->peer,
			   strerror(errno));
		conn_cut(k);
		gate_submit(&k->turn);
		return;
	}
	if (first) {
		uint64_t one = 1;
		ssize_t w = write(poller.wake, &one, sizeof(one));
		(void)w;
	}
}

#define POLL_BATCH 64

static void *poller_main(void *arg)
{
	(void)arg;
	struct epoll_event ev[POLL_BATCH];
	struct conn *due[2 * POLL_BATCH];
	for (;;) {
		int timeout = -1;
		double now = now_ms();
		pthread_mutex_lock(&poller.lock);
		for (int l = DL_NONE + 1; l < DL_LISTS; l++) {
			if (!poller.head[l])
				continue;
			double left = poller.head[l]->deadline - now;
			int ms = left <= 0 ? 0 : (int)left + 1;
			if (timeout < 0 || ms < timeout)
				timeout = ms;
		}
		pthread_mutex_unlock(&poller.lock);
		int n = epoll_wait(poller.ep, ev, POLL_BATCH, timeout);
		if (n < 0 && errno != EINTR) {
			vaccel_log(VACCEL_LOG_ERROR, TAG, "epoll_wait: %s",
				   strerror(errno));
			n = 0;
		}
		unsigned int nr = 0;
		now = now_ms();
		pthread_mutex_lock(&poller.lock);
		for (int i = 0; i < n; i++) {
			struct conn *k = ev[i].data.ptr;
			if (!k) {
				uint64_t v;
				ssize_t r = read(poller.wake, &v, sizeof(v));
				(void)r;
				continue;
			}
			dl_unlink_locked(k);
			k->expired = false;
			due[nr++] = k;
		}
		for (int l = DL_NONE + 1; l < DL_LISTS; l++) {
			struct conn *k;
			while ((k = poller.head[l]) && k->deadline <= now &&
			       nr < sizeof(due) / sizeof(due[0])) {
				dl_unlink_locked(k);
				epoll_ctl(poller.ep, EPOLL_CTL_DEL, k->tc.fd,
					  NULL);
				k->armed = false;
				k->expired = true;
				due[nr++] = k;
			}
		}
		pthread_mutex_unlock(&poller.lock);
		for (unsigned int i = 0; i < nr; i++)
			gate_submit(&due[i]->turn);
	}
	return NULL;
}

static int serve_start(void)
{
	pthread_t th;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	poller.ep = epoll_create1(EPOLL_CLOEXEC);
	poller.wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (poller.ep < 0 || poller.wake < 0 ||
	    epoll_ctl(poller.ep, EPOLL_CTL_ADD, poller.wake, &ev) ||
	    pthread_create(&th, NULL, poller_main, NULL))
		return -1;
	pthread_detach(th);
	pthread_mutex_lock(&pool.lock);
	for (unsigned int i = 0; i < POOL_KEEP; i++)
		pool_grow_locked();
	pthread_mutex_unlock(&pool.lock);
	return 0;
}

/* ---- shared connections' calls ------------------------------------------ */

static void conn_free(struct conn *k)
{
	pthread_mutex_destroy(&k->send_lock);
	pthread_mutex_destroy(&k->qlock);
	pthread_cond_destroy(&k->room);
	free(k);
}

/* Let go of k (the reader's hold, or a call job's): freed by the last. */
static void conn_unref(struct conn *k)
{
	pthread_mutex_lock(&k->qlock);
	bool last = --k->refs == 0;
	pthread_mutex_unlock(&k->qlock);
	if (last)
		conn_free(k);
}

/* Take k's oldest waiting call and run it with rb; false when none waits.
 * k->qlock held, and held again on return. */
static bool conn_run_one_locked(struct conn *k, struct reply_bufs *rb)
{
	struct req *q = k->qhead;
	if (!q)
		return false;
	k->qhead = q->next;
	if (!k->qhead)
		k->qtail = &k->qhead;
	k->queued--;
	k->running++;
	pthread_mutex_unlock(&k->qlock);
	int io = call_run(k, q, rb);
	req_free(k, q);
	free(q);
	if (io)
		conn_cut(k);
	pthread_mutex_lock(&k->qlock);
	k->running--;
	pthread_cond_broadcast(&k->room);
	return true;
}

/* A call job: one of the connection's waiting calls (any: the reader may
 * have run the one it was made for). */
static void call_job(struct job *j, struct reply_bufs *rb)
{
	struct conn *k = j->arg;
	free(j);
	pthread_mutex_lock(&k->qlock);
	conn_run_one_locked(k, rb);
	pthread_mutex_unlock(&k->qlock);
	conn_unref(k);
}

/*
 * Hand q to the pool; while CONN_QUEUE calls wait or run, the reader runs
 * waiting ones itself, or waits for a running one to end (it never waits
 * on work that has not started: that could be behind it in its peer's
 * gate). false when there is no memory for the job (q is then the
 * caller's).
 */
static bool conn_queue(struct conn *k, struct req *q)
{
	struct job *j = malloc(sizeof(*j));
	if (!j)
		return false;
	*j = (struct job){.fn = call_job, .p = k->who, .arg = k};
	pthread_mutex_lock(&k->qlock);
	while (k->queued + k->running >= CONN_QUEUE)
		if (!conn_run_one_locked(k, &k->rb))
			pthread_cond_wait(&k->room, &k->qlock);
	q->next = NULL;
	*k->qtail = q;
	k->qtail = &q->next;
	k->queued++;
	k->refs++;
	pthread_mutex_unlock(&k->qlock);
	gate_submit(j);
	return true;
}

/* Until no call of k waits or runs: the reader runs the waiting ones
 * itself and waits for the running ones. */
static void conn_quiesce(struct conn *k)
{
	pthread_mutex_lock(&k->qlock);
	while (k->queued + k->running)
		if (!conn_run_one_locked(k, &k->rb))
			pthread_cond_wait(&k->room, &k->qlock);
	pthread_mutex_unlock(&k->qlock);
}

static int handle_call(struct conn *k, const struct wire_hdr *h)
{
	struct req one = {.h = *h, .meta = k->meta, .shm_fd = -1};
	struct req *q = &one;
	if (k->concurrent) {
		q = malloc(sizeof(*q));
		if (!q)
			return -1;
		*q = one;
		/* the request takes the meta and its charge; the next frame
		 * gets its own */
		q->own_meta = true;
		q->meta_charged = k->meta_cap;
		k->meta = NULL;
		k->meta_cap = 0;
	}
	int io = call_read(k, q);
	if (!io && !q->status && q != &one && conn_queue(k, q))
		return 0;
	/* a pooled connection's turn has its gate's place already */
	if (!io && !k->pooled) {
		gate_enter(k->who);
		io = call_run(k, q, &k->rb);
		gate_done(k->who);
	} else if (!io) {
		io = call_run(k, q, &k->rb);
	}
	req_free(k, q);
	if (q != &one)
		free(q);
	return io;
}

/* ---- a connection's turns ----------------------------------------------- */

/* What ends a connection: its calls finish (or fail to be answered), and
 * then, on a stream that outlives its conversations, the next one starts
 * (true: serve on); else everything it holds goes. */
static bool conn_end(struct conn *k)
{
	/* where the connection ends here, a call blocked sending to a
	 * guest that stopped reading must fail, not wait */
	pthread_mutex_lock(&k->qlock);
	bool busy = k->queued + k->running;
	pthread_mutex_unlock(&k->qlock);
	if (busy && !(k->t->restart && !stopping))
		conn_cut(k);
	conn_quiesce(k);
	/* A stream that outlives its conversations (a VM's port): the next
	 * one starts from nothing. */
	if (k->t->restart && !stopping && tconn_is_open(&k->tc)) {
		large_release(k);
		memfd_unmap(&k->map);
		client_detach(k->client);
		k->client = NULL;
		peer_log(k->who, VACCEL_LOG_INFO,
			 "%s: conversation ended; waiting for the next",
			 k->peer);
		if (k->t->restart(&k->tc) == 0)
			return true;
	}
	if (k->armed) {
		pthread_mutex_lock(&poller.lock);
		epoll_ctl(poller.ep, EPOLL_CTL_DEL, k->tc.fd, NULL);
		pthread_mutex_unlock(&poller.lock);
	}
	large_release(k);
	memfd_unmap(&k->map);
	client_detach(k->client);
	pthread_mutex_lock(&conns_lock);
	for (unsigned int i = 0; i < nr_conns; i++)
		if (live_fds[i] == k->fd) {
			live_fds[i] = live_fds[--nr_conns];
			break;
		}
	pthread_cond_broadcast(&conns_cond);
	pthread_mutex_unlock(&conns_lock);
	tconn_close(&k->tc);
	free(k->meta);
	mem_give(k->who, k->meta_cap);
	peer_leave(k->who);
	wbuf_free(&k->rb.out);
	segs_free(&k->rb.segs);
	segs_free(&k->rb.reg);
	conn_unref(k);
	return false;
}

/* Read one frame whose first byte is in, and serve it: 0 to go on, -1
 * when the connection ends. */
static int conn_frame(struct conn *k, bool deadlines)
{
	uint8_t hb[WIRE_HDR_SIZE];
	struct wire_hdr h;
	char err[160];
	int rr = tconn_recv(&k->tc, hb, sizeof(hb));
	if (rr) {
		if (rr == -ETIMEDOUT || rr == -EAGAIN)
			peer_log(k->who, VACCEL_LOG_WARN, "%s: %s; closing",
				 k->peer,
				 k->client ? "a frame's header stalled"
					   : "no HELLO in time");
		return -1;
	}
	int ret = wire_hdr_decode(hb, &h, &opt.lim, err, sizeof(err));
	if (ret) {
		peer_log(k->who, VACCEL_LOG_WARN, "%s: %s; closing", k->peer,
			 err);
		send_status(k, WIRE_CALL_REPLY, h.req_id, ret, err, 0);
		return -1;
	}
	if (h.kind != WIRE_HELLO && h.kind != WIRE_CALL &&
	    h.kind != WIRE_CTRL) {
		peer_log(k->who, VACCEL_LOG_WARN,
			 "%s: unexpected %s frame; closing", k->peer,
			 wire_kind_to_str(h.kind));
		return -1;
	}
	if (h.meta_len > k->meta_cap || !k->meta) {
		/* charged before it is allocated */
		size_t more = h.meta_len - k->meta_cap;
		if (!mem_take(k->who, more)) {
			peer_log(k->who, VACCEL_LOG_WARN,
				 "%s: a %s frame's %u bytes of meta are over "
				 "the memory limit of %s; closing",
				 k->peer, wire_kind_to_str(h.kind), h.meta_len,
				 k->who->id);
			return -1;
		}
		uint8_t *m = realloc(k->meta, h.meta_len ? h.meta_len : 1);
		if (!m) {
			mem_give(k->who, more);
			return -1;
		}
		k->meta = m;
		k->meta_cap = h.meta_len;
	}
	rr = tconn_recv(&k->tc, k->meta, h.meta_len);
	if (rr) {
		if (rr == -ETIMEDOUT || rr == -EAGAIN)
			peer_log(k->who, VACCEL_LOG_WARN,
				 "%s: a %s frame stalled after its header (%u "
				 "bytes of meta announced); closing",
				 k->peer, wire_kind_to_str(h.kind), h.meta_len);
		return -1;
	}
	if (h.kind == WIRE_HELLO) {
		if (handle_hello(k, &h, h.meta_len))
			return -1;
		if (deadlines && k->client)
			tconn_set_recv_ms(&k->tc, opt.frame_ms);
		return 0;
	}
	if (!k->client) {
		peer_log(k->who, VACCEL_LOG_WARN,
			 "%s: request before hello; closing", k->peer);
		send_status(
		    k, h.kind == WIRE_CTRL ? WIRE_CTRL_REPLY : WIRE_CALL_REPLY,
		    h.req_id, VACCEL_EPERM, "hello required first", 0);
		return -1;
	}
	if (h.version != WIRE_VERSION)
		return -1;
	return h.kind == WIRE_CALL ? handle_call(k, &h)
				   : handle_ctrl(k, &h, h.meta_len);
}

/* Whether k's turn may keep its thread a little while nothing is read:
 * not while other jobs of its peer wait for their turn, or jobs wait for
 * a thread the pool cannot add. No lock: a stale answer costs at most
 * one linger. */
static bool conn_may_linger(struct conn *k)
{
	return !atomic_load_explicit(&k->who->has_waiting,
				     memory_order_relaxed) &&
	       !atomic_load_explicit(&pool.short_of_threads,
				     memory_order_relaxed);
}

/*
 * A connection's turn: open it if new, then serve every frame that can be
 * read, and when none can, park it (pooled) or wait for the next (its own
 * thread). Deadlines: the HELLO must be done --handshake-timeout after the
 * accept, and every read of a frame once its first byte is in has
 * --frame-timeout; a connection that has said HELLO may then sit idle.
 * Not on a VM's port, which is the VM's one connection for its whole
 * life (its guest stalls only itself).
 */
static void conn_turn(struct job *j, struct reply_bufs *rb)
{
	struct conn *k = j->arg;
	(void)rb;
	bool deadlines = k->t->restart == NULL;
	/* woken by a byte (or the peer's end), or by its deadline */
	bool woken = k->opened && !k->expired, expired = k->expired;
	k->expired = false;
	if (!k->opened) {
		k->opened = true;
		int r = tconn_accept(&k->tc, k->url, k->fd,
				     deadlines ? opt.handshake_ms : 0,
				     deadlines ? opt.frame_ms : 0);
		if (r) {
			/* a peer that closes at once only probed the
			 * address */
			peer_log(k->who,
				 r == -ECONNRESET ? VACCEL_LOG_DEBUG
						  : VACCEL_LOG_WARN,
				 "%s: cannot open: %s", k->peer, strerror(-r));
			k->tc.fd = -1;
			conn_end(k);
			return;
		}
	}
serve:
	for (;;) {
		/* A large meta buffer is not kept for the next frame. */
		if (k->meta_cap > META_KEEP) {
			free(k->meta);
			mem_give(k->who, k->meta_cap);
			k->meta = NULL;
			k->meta_cap = 0;
		}
		if (!woken && !tconn_ready(&k->tc)) {
			/* nothing read ahead: wait, until what */
			int l = DL_NONE;
			if (deadlines && !k->client) {
				l = DL_HELLO;
				k->deadline = k->opened_at + opt.handshake_ms;
			} else if (k->large && !expired) {
				l = DL_LARGE;
				k->deadline = now_ms() + LARGE_IDLE_MS;
			}
			/* a pooled connection lingers a little before it
			 * parks: a client between two calls keeps its
			 * thread */
			int ms = expired	      ? 0
				 : !k->pooled	      ? -1
				 : conn_may_linger(k) ? LINGER_MS
						      : 0;
			double left = k->deadline - now_ms();
			if (l != DL_NONE && (ms < 0 || left < ms))
				ms = left > 0 ? (int)left + 1 : 0;
			if (tconn_wait(&k->tc, ms) != 1) {
				bool due = l != DL_NONE &&
					   (expired || now_ms() >= k->deadline);
				expired = false;
				if (due && l == DL_HELLO) {
					peer_log(k->who, VACCEL_LOG_WARN,
						 "%s: no HELLO in time; "
						 "closing",
						 k->peer);
					break;
				}
				/* the client went quiet: the large-call
				 * block goes back */
				if (due) {
					large_release(k);
					continue;
				}
				if (k->pooled) {
					conn_park(k, l);
					return;
				}
				continue;
			}
		}
		woken = expired = false;
		if (conn_frame(k, deadlines))
			break;
	}
	/* only a connection of its own thread serves on (a VM's port) */
	if (conn_end(k))
		goto serve;
}

/* A connection with a thread of its own: its turn never parks, and ends
 * with the connection. */
static void *conn_thread(void *arg)
{
	struct conn *k = arg;
	conn_turn(&k->turn, NULL);
	return NULL;
}

static void start_conn(int fd, const char *where, const struct url *url)
{
	const struct transport *t = url->t;
	struct conn *k = calloc(1, sizeof(*k));
	if (!k) {
		close(fd);
		return;
	}
	char id[sizeof(((struct peer *)0)->id)];
	peer_identity(fd, where, id, sizeof(id));
	k->who = peer_join(id, where);
	if (!k->who) {
		free(k);
		close(fd);
		return;
	}
	k->fd = fd;
	k->url = url;
	k->t = t;
	k->pooled = t->pollable && !t->restart;
	k->turn = (struct job){.fn = conn_turn, .p = k->who, .arg = k};
	k->opened_at = now_ms();
	k->refs = 1;
	tconn_init(&k->tc);
	pthread_mutex_init(&k->send_lock, NULL);
	pthread_mutex_init(&k->qlock, NULL);
	pthread_cond_init(&k->room, NULL);
	k->qtail = &k->qhead;
	snprintf(k->peer, sizeof(k->peer), "%s#%d", where, fd);
	pthread_mutex_lock(&conns_lock);
	if (nr_conns == sizeof(live_fds) / sizeof(live_fds[0])) {
		pthread_mutex_unlock(&conns_lock);
		vaccel_log(VACCEL_LOG_WARN, TAG, "too many connections");
		peer_leave(k->who);
		conn_free(k);
		close(fd);
		return;
	}
	live_fds[nr_conns++] = fd;
	pthread_mutex_unlock(&conns_lock);
	if (k->pooled) {
		gate_submit(&k->turn);
		return;
	}
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_t th;
	if (pthread_create(&th, &attr, conn_thread, k)) {
		pthread_mutex_lock(&conns_lock);
		live_fds[--nr_conns] = -1;
		pthread_mutex_unlock(&conns_lock);
		peer_leave(k->who);
		conn_free(k);
		close(fd);
	}
	pthread_attr_destroy(&attr);
}

/* ---- main --------------------------------------------------------------- */

/* Monotonic milliseconds. */
static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		report_asked = 1;
	else
		stopping = 1;
	if (stop_pipe[1] >= 0) {
		ssize_t w = write(stop_pipe[1], "x", 1);
		(void)w;
	}
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: vaccel-agent -a URL [-a URL ...] [options]\n"
	    "\n"
	    "Serves vAccel operations to remote clients (the rpc transport "
	    "plugin)\nand runs them on this host's plugins.\n"
	    "\n"
	    "  -a, --address URL      listen on URL; repeatable. "
	    "unix:///path,\n"
	    "                         tcp://host:port, tcp://[v6]:port,"
	    " vsock://cid:port,\n"
	    "                         shm:///path, virtio:///path,\n"
	    "                         tls://host:port?cert=FILE&key=FILE"
	    "[&ca=FILE]\n"
	    "                         (with ca, clients must present a "
	    "certificate\n"
	    "                         it signed; docs/transports.md)\n"
	    "  -p, --plugins LIST     ':'-separated plugin names or paths, as\n"
	    "                         VACCEL_PLUGINS (default: "
	    "$VACCEL_PLUGINS)\n"
	    "  -t, --token-file FILE  require clients to present the secret in"
	    " FILE\n"
	    "                         (clients set VACCEL_RPC_TOKEN)\n"
	    "  -m, --socket-mode OCT  permissions of unix sockets (default "
	    "0600)\n"
	    "      --max-meta BYTES   largest msgpack part of a frame "
	    "(default 64M)\n"
	    "      --max-buffer BYTES largest single buffer (default 16G)\n"
	    "      --max-memory BYTES buffers, resources and frame metadata "
	    "one peer\n"
	    "                         may hold at once (default: half the "
	    "RAM)\n"
	    "      --max-total-memory BYTES  the same for all peers "
	    "together\n"
	    "                         (default: three quarters of the RAM)\n"
	    "      --max-resources N  resources per peer (default 1024)\n"
	    "      --max-sessions N   sessions per peer (default 1024)\n"
	    "      --max-peer-connections N  connections per peer (default "
	    "1024)\n"
	    "      --max-peer-clients N  client keys per peer (default 256)\n"
	    "                         A peer is who connected: a unix "
	    "socket's uid,\n"
	    "                         a tcp source address, a vsock CID\n"
	    "      --max-peer-calls N  requests of one peer served at once; "
	    "the\n"
	    "                         others wait their turn (default 32)\n"
	    "      --threads N        most threads serving requests (default "
	    "256);\n"
	    "                         idle connections have none\n"
	    "      --log-rate N       log lines a second one peer may cause,"
	    " after a\n"
	    "                         burst of 5 s worth; the rest are "
	    "counted\n"
	    "                         (default 10)\n"
	    "      --exec-allow LIST  let vAccel's exec run functions of these "
	    "host\n"
	    "                         libraries: ':'-separated absolute paths,"
	    "\n"
	    "                         compared by realpath; repeatable. Sets\n"
	    "                         VACCEL_EXEC_ALLOW (default: exec is "
	    "refused)\n"
	    "      --exec-allow-uploads  let exec_with_resource load shared "
	    "objects\n"
	    "                         that clients upload: their code runs on "
	    "this\n"
	    "                         host. Sets VACCEL_EXEC_ALLOW_UPLOADS=1\n"
	    "      --no-shared-uploads  make every resource from its own "
	    "upload:\n"
	    "                         a client cannot name a file another "
	    "sent by\n"
	    "                         its hash (default: files of 64 KiB and "
	    "more\n"
	    "                         are kept by content and shared)\n"
	    "      --handshake-timeout MS  a new connection's reads until its "
	    "HELLO\n"
	    "                         is done may each wait this long "
	    "(default 10000)\n"
	    "      --frame-timeout MS  each read of a frame once its first "
	    "byte is\n"
	    "                         in may wait this long (default 30000);"
	    " an idle\n"
	    "                         connection past its HELLO waits for "
	    "ever.\n"
	    "                         Neither applies to a VM's virtio port\n"
	    "      --blas-coretype NAME\n"
	    "                         run OpenBLAS's NAME kernels (sets\n"
	    "                         OPENBLAS_CORETYPE for the plugins): "
	    "Haswell,\n"
	    "                         SkylakeX, Zen, ...; the openblas plugin"
	    " warns\n"
	    "                         when OpenBLAS fell back to old ones\n"
	    "      --min-cost PLUGIN=N, --min-cost PLUGIN/OP=N\n"
	    "                         where another plugin implements the "
	    "op, PLUGIN\n"
	    "                         serves only calls costing N and more "
	    "(a BLAS\n"
	    "                         op's flops, else its buffers' bytes); "
	    "repeatable;\n"
	    "                         adds to VACCEL_MIN_COST "
	    "(docs/plugins.md)\n"
	    "  -v, --verbose          more logging (repeat for debug)\n"
	    "  -h, --help             this text\n"
	    "      --version          this project's version, the vAccel API "
	    "version\n"
	    "                         it implements and its plugin ABI\n"
	    "\n"
	    "Sizes take K, M or G suffixes. SIGTERM or SIGINT stops the "
	    "agent after\nin-flight calls finish; unix socket files are "
	    "removed. SIGUSR1, and the stop,\nprint which plugin served "
	    "how many calls of each op.\n");
}

/* Who served what since the start, one line per plugin and op. */
static void report_served(void)
{
	size_t n = vaccel_served_get(NULL, 0);
	struct vaccel_served *s = n ? calloc(n, sizeof(*s)) : NULL;
	if (n && !s)
		return;
	n = vaccel_served_get(s, n);
	if (!n)
		fprintf(stderr, "vaccel-agent: no call served yet\n");
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "vaccel-agent: %s served %llu %s call(s)\n",
			s[i].plugin, (unsigned long long)s[i].calls, s[i].op);
	free(s);
}

/* --min-cost entries so far, ','-joined onto VACCEL_MIN_COST's. */
static int add_min_cost(const char *entry)
{
	const char *eq = strchr(entry, '=');
	const char *slash =
	    eq ? memchr(entry, '/', (size_t)(eq - entry)) : NULL;
	uint64_t v;
	if (!eq || eq == entry || slash == entry ||
	    (slash && slash + 1 == eq) || strchr(entry, ',') ||
	    vaccel_config_parse_size(eq + 1, &v)) {
		fprintf(stderr,
			"vaccel-agent: --min-cost: '%s' is not PLUGIN=N or "
			"PLUGIN/OP=N (N a count, K, M or G suffixed)\n",
			entry);
		return -1;
	}
	const char *was = getenv("VACCEL_MIN_COST");
	char *joined = NULL;
	if (asprintf(&joined, "%s%s%s", was ? was : "", was && *was ? "," : "",
		     entry) < 0) {
		fprintf(stderr, "vaccel-agent: out of memory\n");
		return -1;
	}
	setenv("VACCEL_MIN_COST", joined, 1);
	free(joined);
	return 0;
}

static char *read_token(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	char buf[512];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf[0] ? strdup(buf) : NULL;
}

/* --exec-allow entries so far, ':'-joined (the options replace the
 * environment's VACCEL_EXEC_ALLOW); malloc'd, kept until exit. */
static char *exec_allow;

/* Add a --exec-allow LIST: every entry must be an absolute path. */
static int add_exec_allow(const char *list)
{
	const char *e = list;
	for (;;) {
		size_t len = strcspn(e, ":");
		if (len && e[0] != '/') {
			fprintf(stderr,
				"vaccel-agent: --exec-allow: '%.*s' is not an "
				"absolute path\n",
				(int)len, e);
			return -1;
		}
		if (!e[len])
			break;
		e += len + 1;
	}
	char *joined = NULL;
	if (asprintf(&joined, "%s%s%s", exec_allow ? exec_allow : "",
		     exec_allow ? ":" : "", list) < 0) {
		fprintf(stderr, "vaccel-agent: out of memory\n");
		return -1;
	}
	free(exec_allow);
	exec_allow = joined;
	return 0;
}

static int parse_opts(int argc, char **argv)
{
	static const struct option longs[] = {
	    {"address", required_argument, NULL, 'a'},
	    {"plugins", required_argument, NULL, 'p'},
	    {"token-file", required_argument, NULL, 't'},
	    {"socket-mode", required_argument, NULL, 'm'},
	    {"max-meta", required_argument, NULL, 1},
	    {"max-buffer", required_argument, NULL, 2},
	    {"max-memory", required_argument, NULL, 3},
	    {"max-resources", required_argument, NULL, 4},
	    {"max-sessions", required_argument, NULL, 5},
	    {"max-total-memory", required_argument, NULL, 6},
	    {"exec-allow", required_argument, NULL, 7},
	    {"exec-allow-uploads", no_argument, NULL, 8},
	    {"handshake-timeout", required_argument, NULL, 9},
	    {"frame-timeout", required_argument, NULL, 10},
	    {"max-peer-connections", required_argument, NULL, 11},
	    {"max-peer-clients", required_argument, NULL, 12},
	    {"log-rate", required_argument, NULL, 13},
	    {"threads", required_argument, NULL, 14},
	    {"max-peer-calls", required_argument, NULL, 15},
	    {"no-shared-uploads", no_argument, NULL, 16},
	    {"blas-coretype", required_argument, NULL, 17},
	    {"min-cost", required_argument, NULL, 18},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {0},
	};
	int c, verbose = 0;
	uint64_t v;
	bool exec_uploads = false;
	wire_limits_default(&opt.lim);
	opt.socket_mode = 0600;
	opt.handshake_ms = 10000;
	opt.frame_ms = 30000;
	/* Half the machine's memory by default: enough for a 4 GiB in+out
	 * buffer on this kind of host, not enough for one client to starve
	 * the others. */
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	uint64_t ram = pages > 0 && psize > 0
			   ? (uint64_t)pages * (uint64_t)psize
			   : (16ull << 30);
	opt.max_memory = ram / 2;
	opt.max_total_memory = ram / 4 * 3;
	opt.max_resources = 1024;
	opt.max_sessions = 1024;
	opt.max_peer_conns = 1024;
	opt.max_peer_clients = 256;
	opt.log_rate = 10;
	opt.threads = 256;
	opt.max_peer_calls = 32;
	opt.plugins = getenv("VACCEL_PLUGINS");
	while ((c = getopt_long(argc, argv, "a:p:t:m:vh", longs, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (opt.nr_addrs == MAX_LISTEN) {
				fprintf(stderr,
					"vaccel-agent: at most %d "
					"addresses\n",
					MAX_LISTEN);
				return -1;
			}
			opt.addrs[opt.nr_addrs++] = optarg;
			break;
		case 'p':
			opt.plugins = optarg;
			break;
		case 't':
			free(opt.token);
			opt.token = read_token(optarg);
			if (!opt.token) {
				fprintf(stderr,
					"vaccel-agent: cannot read a token "
					"from '%s'\n",
					optarg);
				return -1;
			}
			break;
		case 'm': {
			char *end;
			unsigned long m = strtoul(optarg, &end, 8);
			if (*end || m > 0777) {
				fprintf(stderr,
					"vaccel-agent: --socket-mode takes an "
					"octal mode like 0600\n");
				return -1;
			}
			opt.socket_mode = (unsigned int)m;
			break;
		}
		case 1:
		case 2:
		case 3:
		case 6:
			if (vaccel_config_parse_size(optarg, &v) || v == 0 ||
			    (c == 1 && v > UINT32_MAX)) {
				fprintf(stderr,
					"vaccel-agent: '%s' is not a valid "
					"size\n",
					optarg);
				return -1;
			}
			if (c == 1)
				opt.lim.max_meta = (uint32_t)v;
			else if (c == 2)
				opt.lim.max_buffer = v;
			else if (c == 3)
				opt.max_memory = v;
			else
				opt.max_total_memory = v;
			break;
		case 4:
		case 5:
		case 11:
		case 12:
		case 13:
		case 14:
		case 15:
			if (vaccel_config_parse_size(optarg, &v) || v == 0 ||
			    v > UINT32_MAX) {
				fprintf(stderr,
					"vaccel-agent: '%s' is not a valid "
					"count\n",
					optarg);
				return -1;
			}
			if (c == 4)
				opt.max_resources = (uint32_t)v;
			else if (c == 5)
				opt.max_sessions = (uint32_t)v;
			else if (c == 11)
				opt.max_peer_conns = (uint32_t)v;
			else if (c == 12)
				opt.max_peer_clients = (uint32_t)v;
			else if (c == 13)
				opt.log_rate = (uint32_t)v;
			else if (c == 14)
				opt.threads = (uint32_t)v;
			else
				opt.max_peer_calls = (uint32_t)v;
			break;
		case 7:
			if (add_exec_allow(optarg))
				return -1;
			break;
		case 8:
			exec_uploads = true;
			break;
		case 16:
			blobs.off = true;
			break;
		case 18:
			if (add_min_cost(optarg))
				return -1;
			break;
		case 17:
#if defined(__x86_64__)
			if (openblas_core_isa(optarg) < 0) {
				fprintf(stderr,
					"vaccel-agent: --blas-coretype: '%s' "
					"is not one of OpenBLAS's kernel sets "
					"(Haswell, Zen, SkylakeX, Cooperlake, "
					"Sandybridge, Prescott, ...: "
					"docs/plugins.md)\n",
					optarg);
				return -1;
			}
#endif
			/* read by OpenBLAS when the plugin loads it */
			setenv("OPENBLAS_CORETYPE", optarg, 1);
			break;
		case 9:
		case 10: {
			char *end;
			errno = 0;
			unsigned long ms = strtoul(optarg, &end, 10);
			if (errno || *end || optarg[0] == '-' || ms == 0 ||
			    ms > 3600000) {
				fprintf(stderr,
					"vaccel-agent: --%s takes "
					"milliseconds, 1 to 3600000\n",
					c == 9 ? "handshake-timeout"
					       : "frame-timeout");
				return -1;
			}
			if (c == 9)
				opt.handshake_ms = (int)ms;
			else
				opt.frame_ms = (int)ms;
			break;
		}
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf(
			    "vaccel-agent %s (vAccel API %s, plugin ABI %s)\n",
			    VACCEL_REMOTE_VERSION, VACCEL_VERSION,
			    VACCEL_PLUGIN_ABI_STR);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vaccel-agent: unexpected argument '%s'\n",
			argv[optind]);
		return -1;
	}
	if (!opt.nr_addrs) {
		fprintf(stderr, "vaccel-agent: no address given (-a URL)\n\n");
		usage(stderr);
		return -1;
	}
	if (opt.lim.max_raw < opt.lim.max_buffer)
		opt.lim.max_raw = opt.lim.max_buffer;
	/* The plugins read these when they load (ffi: docs/security.md). */
	if ((exec_allow && setenv("VACCEL_EXEC_ALLOW", exec_allow, 1)) ||
	    (exec_uploads && setenv("VACCEL_EXEC_ALLOW_UPLOADS", "1", 1))) {
		fprintf(stderr, "vaccel-agent: cannot set the exec "
				"configuration\n");
		return -1;
	}
	return verbose;
}

int main(int argc, char **argv)
{
	int verbose = parse_opts(argc, argv);
	if (verbose < 0)
		return 2;
	/* static: a url is large (tls's paths) */
	static struct url urls[MAX_LISTEN];
	int lfd[MAX_LISTEN];
	char err[256];
	for (int i = 0; i < opt.nr_addrs; i++) {
		if (url_parse(opt.addrs[i], &urls[i], err, sizeof(err))) {
			fprintf(stderr, "vaccel-agent: %s\n", err);
			return 2;
		}
		if (url_check(&urls[i], true, err, sizeof(err))) {
			fprintf(stderr, "vaccel-agent: '%s': %s\n",
				opt.addrs[i], err);
			return 2;
		}
	}

	vaccel_log_level_t level = VACCEL_LOG_WARN;
	const char *env_level = getenv("VACCEL_LOG_LEVEL");
	if (env_level)
		vaccel_config_parse_log_level(env_level, &level);
	if (verbose)
		level = verbose > 1 ? VACCEL_LOG_DEBUG : VACCEL_LOG_INFO;
	struct vaccel_config cfg;
	if (vaccel_config_init(&cfg, opt.plugins, level,
			       getenv("VACCEL_LOG_FILE"), false, false)) {
		fprintf(stderr, "vaccel-agent: bad configuration\n");
		return 2;
	}
	int ret = vaccel_bootstrap_with_config(&cfg);
	vaccel_config_release(&cfg);
	if (ret) {
		fprintf(stderr,
			"vaccel-agent: could not load plugins '%s': %s\n",
			opt.plugins ? opt.plugins : "", vaccel_strerror(ret));
		vaccel_cleanup();
		return 1;
	}
	/* the stats: who served what (SIGUSR1, the stop) */
	vaccel_served_counting(true);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	read_slack = (vaccel_plugins_read_slack() + page - 1) & ~(page - 1);
	if (read_slack)
		vaccel_log(VACCEL_LOG_INFO, "agent",
			   "buffers keep %zu bytes of read slack on each side "
			   "(asked for by the plugins)",
			   read_slack);
	if (getrandom(&instance_id, sizeof(instance_id), 0) < 0)
		instance_id = (uint64_t)getpid();

	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	if (pipe2(stop_pipe, O_CLOEXEC) < 0)
		return 1;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	for (int i = 0; i < opt.nr_addrs; i++) {
		lfd[i] = url_listen(&urls[i], opt.socket_mode);
		if (lfd[i] < 0) {
			fprintf(stderr,
				"vaccel-agent: cannot listen on %s: %s\n",
				opt.addrs[i], strerror(-lfd[i]));
			for (int j = 0; j < i; j++) {
				close(lfd[j]);
				if (urls[j].t->unlisten)
					urls[j].t->unlisten(&urls[j]);
			}
			vaccel_cleanup();
			return 1;
		}
		vaccel_log(VACCEL_LOG_INFO, TAG, "listening on %s",
			   opt.addrs[i]);
	}
	if (serve_start()) {
		fprintf(stderr, "vaccel-agent: cannot start serving: %s\n",
			strerror(errno));
		vaccel_cleanup();
		return 1;
	}
	/* the kernel set the host's BLAS runs, where a plugin loaded
	 * OpenBLAS */
	char blas[96] = "";
	void *ob = dlopen("libopenblas.so.0", RTLD_LAZY | RTLD_NOLOAD);
	const char *(*corename)(void) =
	    ob ? (const char *(*)(void))dlsym(ob, "openblas_get_corename")
	       : NULL;
	if (corename && corename())
		snprintf(blas, sizeof(blas), ", OpenBLAS kernels: %s",
			 corename());
	if (ob)
		dlclose(ob);
	fprintf(stderr, "vaccel-agent: ready (%d address(es), plugins: %s%s)\n",
		opt.nr_addrs, opt.plugins ? opt.plugins : "none", blas);

	struct pollfd pfd[MAX_LISTEN + 1];
	/* ms to wait before accepting again: out of descriptors (or memory
	 * for them), a pending connection stays pending and would wake the
	 * poll at once, forever; 0 while accepting */
	int backoff_ms = 0;
	/* the shortage is said at most once a minute (its start; how often
	 * it came back meanwhile), and its end only when its start was */
	double said_at = -1e12;
	unsigned int unsaid = 0;
	bool said = false;
	while (!stopping) {
		for (int i = 0; i < opt.nr_addrs; i++)
			pfd[i] = (struct pollfd){.fd = backoff_ms ? -1 : lfd[i],
						 .events = POLLIN};
		pfd[opt.nr_addrs] =
		    (struct pollfd){.fd = stop_pipe[0], .events = POLLIN};
		int n = poll(pfd, (nfds_t)opt.nr_addrs + 1,
			     backoff_ms ? backoff_ms : -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[opt.nr_addrs].revents & POLLIN) {
			char drain[64];
			ssize_t r = read(stop_pipe[0], drain, sizeof(drain));
			(void)r;
		}
		if (report_asked) {
			report_asked = 0;
			report_served();
		}
		bool waited = backoff_ms && n == 0, starved = false;
		for (int i = 0; i < opt.nr_addrs && !stopping; i++) {
			if (!waited && !(pfd[i].revents & POLLIN))
				continue;
			int fd = accept4(lfd[i], NULL, NULL,
					 SOCK_CLOEXEC |
					     (waited ? SOCK_NONBLOCK : 0));
			if (fd < 0 && (errno == EMFILE || errno == ENFILE ||
				       errno == ENOBUFS || errno == ENOMEM)) {
				if (!backoff_ms && now_ms() - said_at < 60000) {
					unsaid++;
				} else if (!backoff_ms) {
					int e = errno;
					pthread_mutex_lock(&conns_lock);
					unsigned int nc = nr_conns;
					pthread_mutex_unlock(&conns_lock);
					vaccel_log(
					    VACCEL_LOG_ERROR, TAG,
					    "cannot accept on %s: %s (%u "
					    "connections; %u more time(s) "
					    "in the last minute); "
					    "retrying until descriptors "
					    "free up",
					    opt.addrs[i], strerror(e), nc,
					    unsaid);
					said_at = now_ms();
					said = true;
					unsaid = 0;
				}
				starved = true;
				backoff_ms = backoff_ms ? backoff_ms * 2 : 10;
				if (backoff_ms > 1000)
					backoff_ms = 1000;
				break;
			}
			if (fd < 0)
				continue;
			if (waited) {
				int fl = fcntl(fd, F_GETFL);
				if (fl >= 0)
					fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
			}
			if (backoff_ms && said)
				vaccel_log(VACCEL_LOG_INFO, TAG,
					   "accepting connections again");
			if (backoff_ms)
				backoff_ms = 0, said = false;
			if (urls[i].t->accepted)
				urls[i].t->accepted(fd);
			start_conn(fd, opt.addrs[i], &urls[i]);
		}
		/* waited, and nothing was short: nobody is pending now */
		if (waited && !starved && backoff_ms) {
			if (said)
				vaccel_log(VACCEL_LOG_INFO, TAG,
					   "accepting connections again");
			backoff_ms = 0, said = false;
		}
	}

	/* Graceful stop: no new clients, wake idle connections, let
	 * in-flight calls finish and answer. */
	for (int i = 0; i < opt.nr_addrs; i++) {
		close(lfd[i]);
		if (urls[i].t->unlisten)
			urls[i].t->unlisten(&urls[i]);
	}
	pthread_mutex_lock(&conns_lock);
	for (unsigned int i = 0; i < nr_conns; i++)
		shutdown(live_fds[i], SHUT_RD);
	/* A client that stops reading could hold a reply's send forever:
	 * after a grace period, cut the write side too. */
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 10;
	while (nr_conns) {
		if (pthread_cond_timedwait(&conns_cond, &conns_lock,
					   &deadline) == ETIMEDOUT) {
			vaccel_log(VACCEL_LOG_WARN, TAG,
				   "%u connection(s) still busy after 10 s; "
				   "closing them",
				   nr_conns);
			for (unsigned int i = 0; i < nr_conns; i++)
				shutdown(live_fds[i], SHUT_RDWR);
			while (nr_conns)
				pthread_cond_wait(&conns_cond, &conns_lock);
		}
	}
	pthread_mutex_unlock(&conns_lock);
	vaccel_log(VACCEL_LOG_INFO, TAG,
		   "resources: %llu sent (%llu bytes), %llu made from kept "
		   "copies (%llu bytes not sent again)",
		   (unsigned long long)blobs.sent,
		   (unsigned long long)blobs.sent_bytes,
		   (unsigned long long)blobs.shared,
		   (unsigned long long)blobs.shared_bytes);
	report_served();
	vaccel_cleanup();
	free(opt.token);
	fprintf(stderr, "vaccel-agent: stopped\n");
	return 0;
}
