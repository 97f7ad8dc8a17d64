// SPDX-License-Identifier: Apache-2.0
/*
 * rpc: the guest-side transport plugin. It implements every op by shipping
 * it to a vaccel-agent over any registered transport (VACCEL_RPC_ADDRESS:
 * unix, tcp, vsock, shm, virtio; transports/common/registry.c).
 *
 * Connections are per thread, opened lazily, so a multithreaded program's
 * calls run concurrently; where the transport admits one connection only
 * (virtio), or VACCEL_RPC_SHARED=1, the threads share one, with replies
 * matched to calls by request id. All connections of a process share one random
 * client key, so the agent gives them one table of sessions and resources.
 * When the agent does not know the key (first contact, agent restarted,
 * or we are a forked child with a fresh key) every mirrored object is
 * re-created before the call proceeds.
 */
#include "client.h"
#include "memfd.h"
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>
#include <vaccel/remote.h>
#include "ops_internal_gen.h"

#define TAG "rpc"
#define DEFAULT_ADDRESS "unix:///run/vaccel/agent.sock"

struct out_slot {
	void *dst;
	uint64_t off;
};

struct conn {
	/* every thread's connection, for rpc_fini; guarded by conns_lock */
	struct conn *next;
	/* the connection this thread's frames use: its own, or the shared
	 * one (mux) */
	struct tconn *tc;
	/* its own; closed between failures */
	struct tconn own;
	pid_t pid;
	uint64_t next_req;
	/* the request in flight and the reply it waits for */
	uint64_t req;
	uint16_t want_kind;
	/* the shared connection's generation the request went out on */
	uint64_t gen;
	/* shared connection: the next waiting thread; set when the reply
	 * is in (result: 0, or why there is none) */
	struct conn *next_waiting;
	bool done;
	int result;
	/* the reply's header and meta length, once read */
	struct wire_hdr rh;
	size_t rlen;
	/* run on the reply once its meta is in, by whichever thread reads
	 * it: takes the rest of the frame (NULL: there is none) */
	int (*finish)(struct conn *c);
	/* the call in flight, for finish_call() */
	const struct vaccel_op_desc *op;
	struct vaccel_oparg *args;
	bool shm;
	int *status;
	bool *touched;
	/* the call's buffers in the connection's shared region (offsets in
	 * the frame, WIRE_F_REGION): the region, the offset table, and the
	 * segments that still travel */
	bool in_region;
	uint8_t *reg_base;
	size_t reg_len;
	uint8_t *reg_table;
	size_t reg_table_cap;
	uint32_t reg_n;
	struct segs reg_segs;
	struct wbuf meta;
	struct segs segs;
	/* reply meta storage */
	uint8_t *rmeta;
	size_t rmeta_cap;
	/* this thread's memfd for large calls over UNIX sockets, mapped;
	 * kept for the next call (fresh memory costs a page fault per page) */
	int mfd;
	uint8_t *map;
	size_t map_len;
	/* the current call's outputs of non-zero capacity, in order: their
	 * destination and where they lie in the map */
	struct out_slot *outs;
	uint32_t nr_outs, out_cap;
	/* an output with gaps, or a region, is read here first and only its
	 * written elements are copied on (put_seg); kept for the next call
	 * while no larger than BOUNCE_KEEP */
	uint8_t *bounce;
	size_t bounce_cap;
};

/* Bytes of bounce buffer a connection keeps across calls. */
#define BOUNCE_KEEP (1u << 20)

/* Bytes of memfd kept mapped across calls by all threads. */
static _Atomic uint64_t memfd_kept;

static void memfd_drop(struct conn *c)
{
	if (c->map) {
		munmap(c->map, c->map_len);
		atomic_fetch_sub(&memfd_kept, c->map_len);
	}
	if (c->mfd >= 0)
		close(c->mfd);
	c->map = NULL;
	c->map_len = 0;
	c->mfd = -1;
}

struct reg {
	struct vaccel_resource *res;
	struct vaccel_session *sess;
};

/* The users' ops an agent has: (id, signature hash), sorted by id. */
struct agent_user_ops {
	uint32_t n;
	struct agent_user_ops *old;
	struct {
		uint32_t id;
		uint64_t hash;
	} op[];
};

static struct {
	struct url url;
	char address[512];
	char *token;
	int timeout_ms, connect_timeout_ms;
	/* calls whose buffers span at least this go through a memfd on
	 * UNIX sockets; 0: never */
	uint64_t memfd_min;
	/* a thread's memfd is kept for its next call while no larger than
	 * memfd_keep and while all kept ones stay within memfd_keep_total;
	 * a larger one is released after its call */
	uint64_t memfd_keep, memfd_keep_total;
	struct wire_limits lim;
	pthread_key_t conn_key;
	/* guards everything below */
	pthread_mutex_t lock;
	uint8_t key[WIRE_KEY_SIZE];
	pid_t key_pid;
	bool have_ops;
	uint64_t agent_hash[VACCEL_OPID_LIMIT];
	bool agent_has[VACCEL_OPID_LIMIT];
	/* the agent's users' ops (ids from VACCEL_OPID_USER): replaced
	 * whole by a handshake, the old ones kept (calls read them without
	 * the lock) */
	_Atomic(struct agent_user_ops *) agent_user;
	struct agent_user_ops *agent_user_old;
	/* mirrored objects */
	struct vaccel_session **sessions;
	size_t nr_sessions, cap_sessions;
	struct vaccel_resource **resources;
	size_t nr_resources, cap_resources;
	struct reg *regs;
	size_t nr_regs, cap_regs;
} g = {.lock = PTHREAD_MUTEX_INITIALIZER};

/*
 * The shared connection. Where the transport admits one connection at a
 * time (a VM's virtio port) or VACCEL_RPC_SHARED=1 asks for it, every
 * thread's frames go over this one, each request under its own id. A
 * frame is written whole under send_lock; replies are matched by id, not
 * by order: the one thread reading at a time takes the next reply,
 * whoever's it is, into that thread's destinations (its finish), marks
 * it done and wakes the waiters.
 */
static struct {
	bool on;
	/* a frame's writer; taken before `lock` */
	pthread_mutex_t send_lock;
	/* guards what follows */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct tconn tc;
	/* handshaken: threads may send (get_conn) */
	_Atomic bool ready;
	pid_t pid;
	uint64_t next_req;
	/* bumped at every connect: a late failure report from an older
	 * connection never closes a newer one */
	uint64_t gen;
	/* a thread is reading a reply */
	bool reading;
	/* threads waiting for their reply */
	struct conn *waiting;
} mux = {.send_lock = PTHREAD_MUTEX_INITIALIZER,
	 .lock = PTHREAD_MUTEX_INITIALIZER,
	 .cond = PTHREAD_COND_INITIALIZER};

/* Close the shared connection and fail every waiting call with r. Holds
 * send_lock and lock; no thread is reading. */
static void mux_close_locked(int r)
{
	tconn_close(&mux.tc);
	atomic_store(&mux.ready, false);
	for (struct conn *w = mux.waiting; w; w = w->next_waiting) {
		w->done = true;
		w->result = r;
	}
	mux.waiting = NULL;
	pthread_cond_broadcast(&mux.cond);
}

/* The shared connection of generation gen failed: close it, or, while a
 * thread reads from it, cut it so that the reader fails and closes it. */
static void mux_break(uint64_t gen, int r)
{
	pthread_mutex_lock(&mux.send_lock);
	pthread_mutex_lock(&mux.lock);
	if (gen == mux.gen && tconn_is_open(&mux.tc)) {
		atomic_store(&mux.ready, false);
		if (mux.reading)
			shutdown(mux.tc.fd, SHUT_RDWR);
		else
			mux_close_locked(r);
	}
	pthread_mutex_unlock(&mux.lock);
	pthread_mutex_unlock(&mux.send_lock);
}

static void conn_close(struct conn *c)
{
	if (mux.on)
		mux_break(c->gen, -ECONNRESET);
	else
		tconn_close(&c->own);
}

static struct conn *conns;
static pthread_mutex_t conns_lock = PTHREAD_MUTEX_INITIALIZER;

static void conn_free(void *p)
{
	struct conn *c = p;
	if (!c)
		return;
	pthread_mutex_lock(&conns_lock);
	for (struct conn **pp = &conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	pthread_mutex_unlock(&conns_lock);
	/* a forked child's copy too: closing it writes nothing */
	tconn_close(&c->own);
	memfd_drop(c);
	free(c->outs);
	free(c->bounce);
	free(c->reg_table);
	segs_free(&c->reg_segs);
	wbuf_free(&c->meta);
	segs_free(&c->segs);
	free(c->rmeta);
	free(c);
}

static int env_int(const char *name, int def)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return def;
	char *end;
	long n = strtol(v, &end, 10);
	if (*end || n < 0 || n > 86400000) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "%s='%s' is not a number of milliseconds; using %d",
			   name, v, def);
		return def;
	}
	return (int)n;
}

static uint64_t env_size(const char *name, uint64_t def)
{
	const char *v = getenv(name);
	uint64_t n;
	if (!v || !*v)
		return def;
	if (vaccel_config_parse_size(v, &n)) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "%s='%s' is not a byte count (digits, optional K, "
			   "M or G); using %llu",
			   name, v, (unsigned long long)def);
		return def;
	}
	return n;
}

/*
 * This process's id, for the fork checks on every call: getpid() is a
 * system call each time, so it is read once and again in a child of
 * fork() (pthread_atfork; a dlclose'd plugin's handler goes with it). A
 * child made by a raw clone() that calls us without exec is not seen.
 */
static _Atomic pid_t self_pid;

static void self_pid_update(void)
{
	atomic_store_explicit(&self_pid, getpid(), memory_order_relaxed);
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void atfork_register(void)
{
	pthread_atfork(NULL, NULL, self_pid_update);
}

static int rpc_init(void *priv)
{
	(void)priv;
	char err[256];
	self_pid_update();
	pthread_once(&atfork_once, atfork_register);
	const char *addr = getenv("VACCEL_RPC_ADDRESS");
	if (!addr || !*addr)
		addr = DEFAULT_ADDRESS;
	if (url_parse(addr, &g.url, err, sizeof(err))) {
		vaccel_log(VACCEL_LOG_ERROR, TAG, "VACCEL_RPC_ADDRESS: %s",
			   err);
		return VACCEL_EINVAL;
	}
	if (url_check(&g.url, false, err, sizeof(err))) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "VACCEL_RPC_ADDRESS: '%s': %s", addr, err);
		return VACCEL_EINVAL;
	}
	snprintf(g.address, sizeof(g.address), "%s", addr);
	const char *tok = getenv("VACCEL_RPC_TOKEN");
	g.token = tok && *tok ? strdup(tok) : NULL;
	g.timeout_ms = env_int("VACCEL_RPC_TIMEOUT_MS", 60000);
	g.connect_timeout_ms = env_int("VACCEL_RPC_CONNECT_TIMEOUT_MS", 3000);
	g.memfd_min = 256u << 10;
	const char *mm = getenv("VACCEL_RPC_MEMFD_MIN");
	if (mm && *mm) {
		char *end;
		unsigned long long v = strtoull(mm, &end, 10);
		if (*end || *mm == '-')
			vaccel_log(VACCEL_LOG_ERROR, TAG,
				   "VACCEL_RPC_MEMFD_MIN='%s' is not a number "
				   "of bytes; using %llu",
				   mm, (unsigned long long)g.memfd_min);
		else
			g.memfd_min = v;
	}
	g.memfd_keep = env_size("VACCEL_RPC_MEMFD_KEEP", 64u << 20);
	g.memfd_keep_total =
	    env_size("VACCEL_RPC_MEMFD_KEEP_TOTAL", 256u << 20);
	wire_limits_default(&g.lim);
	const char *shared = getenv("VACCEL_RPC_SHARED");
	mux.on = g.url.t->one_conn || (shared && strcmp(shared, "1") == 0);
	if (pthread_key_create(&g.conn_key, conn_free))
		return VACCEL_ENOMEM;
	g.key_pid = 0;
	vaccel_log(VACCEL_LOG_INFO, TAG, "agent at %s", g.address);
	return VACCEL_OK;
}

static void rpc_fini(void *priv)
{
	(void)priv;
	/* Other threads' connections too: once the key is deleted their
	 * destructors will not run. Using the library after cleanup is not
	 * allowed, so none of them is in use. */
	pthread_setspecific(g.conn_key, NULL);
	while (conns)
		conn_free(conns);
	tconn_close(&mux.tc);
	atomic_store(&mux.ready, false);
	mux.pid = 0;
	pthread_key_delete(g.conn_key);
	free(g.token);
	free(g.sessions);
	free(g.resources);
	free(g.regs);
	free(atomic_load(&g.agent_user));
	while (g.agent_user_old) {
		struct agent_user_ops *old = g.agent_user_old->old;
		free(g.agent_user_old);
		g.agent_user_old = old;
	}
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	memset(&g, 0, sizeof(g));
	g.lock = lock;
}

/* The waiting thread whose request is req, taken off the list; NULL if
 * none. Under mux.lock. */
static struct conn *mux_take(uint64_t req)
{
	for (struct conn **pp = &mux.waiting; *pp; pp = &(*pp)->next_waiting) {
		if ((*pp)->req == req) {
			struct conn *w = *pp;
			*pp = w->next_waiting;
			return w;
		}
	}
	return NULL;
}

/*
 * Read the next reply on tc: its header, then its meta into its
 * thread's rmeta, then the rest through that thread's finish. Without
 * the shared connection the reply must be self's. *to receives the
 * thread it was for (NULL: none, or it could not be told). 0, or why the
 * stream is no longer usable (the reply's thread gets that as result).
 */
static int read_one(struct tconn *tc, struct conn *self, struct conn **to)
{
	uint8_t hb[WIRE_HDR_SIZE];
	char err[128];
	struct wire_hdr h;
	struct conn *c = self;
	*to = NULL;
	int r = tconn_recv(tc, hb, sizeof(hb));
	if (r)
		return r;
	if (wire_hdr_decode(hb, &h, &g.lim, err, sizeof(err))) {
		vaccel_log(VACCEL_LOG_ERROR, TAG, "bad reply from agent: %s",
			   err);
		return -EPROTO;
	}
	if (mux.on) {
		pthread_mutex_lock(&mux.lock);
		c = mux_take(h.req_id);
		pthread_mutex_unlock(&mux.lock);
	}
	if (!c || h.kind != c->want_kind || h.req_id != c->req) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "reply %s %llu answers no request waiting for it",
			   wire_kind_to_str(h.kind),
			   (unsigned long long)h.req_id);
		*to = c;
		return -EPROTO;
	}
	*to = c;
	if (h.meta_len > c->rmeta_cap) {
		uint8_t *m = realloc(c->rmeta, h.meta_len);
		if (!m)
			return -ENOMEM;
		c->rmeta = m;
		c->rmeta_cap = h.meta_len;
	}
	r = tconn_recv(tc, c->rmeta, h.meta_len);
	if (r)
		return r;
	c->rh = h;
	c->rlen = h.meta_len;
	return c->finish ? c->finish(c) : 0;
}

/* Send one frame from c under a fresh request id, expecting a reply of
 * reply_kind, which await_reply() then waits for. On the shared
 * connection c is listed as waiting before a byte leaves. 0 or -errno;
 * *sent counts the bytes that left. */
static int send_frame(struct conn *c, uint16_t kind, uint32_t flags,
		      const struct wbuf *meta, const struct segs *segs,
		      uint64_t *sent, int pass_fd, uint16_t reply_kind)
{
	c->want_kind = reply_kind;
	c->done = false;
	c->result = 0;
	if (sent)
		*sent = 0;
	if (!mux.on) {
		c->req = c->next_req++;
		return frame_send_ex(c->tc, kind, c->req, flags, meta, segs,
				     sent, pass_fd);
	}
	pthread_mutex_lock(&mux.send_lock);
	pthread_mutex_lock(&mux.lock);
	int r = -ECONNRESET;
	if (tconn_is_open(&mux.tc)) {
		c->req = mux.next_req++;
		c->gen = mux.gen;
		c->next_waiting = mux.waiting;
		mux.waiting = c;
		r = 0;
	}
	pthread_mutex_unlock(&mux.lock);
	if (!r)
		r = frame_send_ex(&mux.tc, kind, c->req, flags, meta, segs,
				  sent, pass_fd);
	if (r) {
		pthread_mutex_lock(&mux.lock);
		mux_take(c->req);
		pthread_mutex_unlock(&mux.lock);
	}
	pthread_mutex_unlock(&mux.send_lock);
	if (r && r != -ECONNRESET)
		mux_break(c->gen, r);
	return r;
}

/* Wait for the reply to c's request (it is in c->rmeta, c->rh, c->rlen,
 * and c->finish has run on it). 0 or -errno. */
static int await_reply(struct conn *c)
{
	struct conn *to;
	if (!mux.on)
		return read_one(c->tc, c, &to);
	pthread_mutex_lock(&mux.lock);
	while (!c->done) {
		if (mux.reading) {
			pthread_cond_wait(&mux.cond, &mux.lock);
			continue;
		}
		mux.reading = true;
		pthread_mutex_unlock(&mux.lock);
		int r = read_one(&mux.tc, NULL, &to);
		if (r) {
			/* unblock a sender first: it may hold send_lock in a
			 * write the agent can no longer take */
			shutdown(mux.tc.fd, SHUT_RDWR);
			pthread_mutex_lock(&mux.send_lock);
			pthread_mutex_lock(&mux.lock);
			mux.reading = false;
			if (to) {
				to->done = true;
				to->result = r;
			}
			mux_close_locked(r);
			pthread_mutex_unlock(&mux.send_lock);
			continue;
		}
		pthread_mutex_lock(&mux.lock);
		mux.reading = false;
		to->done = true;
		to->result = 0;
		pthread_cond_broadcast(&mux.cond);
	}
	int r = c->result;
	pthread_mutex_unlock(&mux.lock);
	return r;
}

/* Handshake on a fresh connection; *known tells whether the agent already
 * had state for our key. Called with g.lock held. */
static int hello(struct conn *c, bool *known)
{
	wbuf_reset(&c->meta);
	mp_put_array(&c->meta, 4);
	mp_put_uint(&c->meta, WIRE_VERSION);
	mp_put_bin(&c->meta, g.key, sizeof(g.key));
	if (g.token)
		mp_put_str(&c->meta, g.token, strlen(g.token));
	else
		mp_put_nil(&c->meta);
	unsigned int nr_ops = vaccel_op_count();
	mp_put_array(&c->meta, nr_ops);
	for (unsigned int i = 0; i < nr_ops; i++) {
		mp_put_array(&c->meta, 2);
		mp_put_uint(&c->meta, vaccel_op_desc_at(i)->id);
		mp_put_uint(&c->meta, vaccel_op_desc_at(i)->sig_hash);
	}
	if (c->meta.failed)
		return -ENOMEM;
	c->finish = NULL;
	/* a shared connection's calls may be served at once */
	int r = send_frame(c, WIRE_HELLO, mux.on ? WIRE_F_CONCURRENT : 0,
			   &c->meta, NULL, NULL, -1, WIRE_HELLO_REPLY);
	if (!r)
		r = await_reply(c);
	if (r)
		return r;
	struct wire_hdr h = c->rh;
	struct mp_reader rd = {c->rmeta, c->rmeta + c->rlen};
	uint32_t n, nops;
	int64_t status;
	const char *msg;
	uint32_t msglen;
	uint64_t instance;
	if (mp_get_array(&rd, &n) || n < 3 || mp_get_int(&rd, &status) ||
	    mp_get_str(&rd, &msg, &msglen))
		return -EPROTO;
	if (status != VACCEL_OK) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "agent at %s refused us: %.*s", g.address,
			   (int)msglen, msg);
		return -(int)status;
	}
	if (h.version != WIRE_VERSION || n != 5)
		return h.version != WIRE_VERSION ? -EPROTONOSUPPORT : -EPROTO;
	if (mp_get_uint(&rd, &instance) || mp_get_bool(&rd, known) ||
	    mp_get_array(&rd, &nops))
		return -EPROTO;
	/* Built aside and copied over: calls on other threads read these
	 * tables without the lock, and must never see a transient "unknown"
	 * while this thread reconnects to the same agent. */
	bool has[VACCEL_OPID_LIMIT] = {false};
	uint64_t hashes[VACCEL_OPID_LIMIT] = {0};
	struct agent_user_ops *user = NULL;
	for (uint32_t i = 0; i < nops; i++) {
		uint64_t id, hash;
		if (mp_get_array(&rd, &n) || n != 2 || mp_get_uint(&rd, &id) ||
		    mp_get_uint(&rd, &hash))
			goto malformed;
		if (id < VACCEL_OPID_LIMIT) {
			has[id] = true;
			hashes[id] = hash;
		} else if (id >= VACCEL_OPID_USER && id <= UINT32_MAX) {
			/* the agent's order is its table's: sorted by id */
			if (!user) {
				user = malloc(sizeof(*user) +
					      (nops - i) * sizeof(user->op[0]));
				if (!user)
					return -ENOMEM;
				user->n = 0;
				user->old = NULL;
			}
			if (user->n && user->op[user->n - 1].id >= id)
				goto malformed;
			user->op[user->n].id = (uint32_t)id;
			user->op[user->n++].hash = hash;
		}
	}
	for (unsigned int i = 0; i < VACCEL_OPID_LIMIT; i++) {
		if (g.agent_hash[i] != hashes[i])
			g.agent_hash[i] = hashes[i];
		if (g.agent_has[i] != has[i])
			g.agent_has[i] = has[i];
	}
	struct agent_user_ops *was = atomic_exchange(&g.agent_user, user);
	if (was) {
		was->old = g.agent_user_old;
		g.agent_user_old = was;
	}
	g.have_ops = true;
	return 0;
malformed:
	free(user);
	return -EPROTO;
}

/* Whether the agent has op and, if so, its signature hash. */
static bool agent_op(const struct vaccel_op_desc *op, uint64_t *hash)
{
	if (op->id < VACCEL_OPID_LIMIT) {
		*hash = g.agent_hash[op->id];
		return g.agent_has[op->id];
	}
	const struct agent_user_ops *u = atomic_load(&g.agent_user);
	uint32_t lo = 0, hi = u ? u->n : 0;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (u->op[mid].id < op->id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!u || lo == u->n || u->op[lo].id != op->id)
		return false;
	*hash = u->op[lo].hash;
	return true;
}

/* One control request on c; *id receives the returned id if any. */
/* A control request; a refusal with status `expected` is not logged. */
static int ctrl_expect(struct conn *c, struct wbuf *meta, struct segs *segs,
		       int64_t *id, int expected)
{
	c->finish = NULL;
	int r =
	    send_frame(c, WIRE_CTRL, 0, meta, segs, NULL, -1, WIRE_CTRL_REPLY);
	if (!r)
		r = await_reply(c);
	if (r)
		goto broken;
	struct mp_reader rd = {c->rmeta, c->rmeta + c->rlen};
	uint32_t n, msglen;
	int64_t status, rid = 0;
	const char *msg;
	if (mp_get_array(&rd, &n) || n != 3 || mp_get_int(&rd, &status) ||
	    mp_get_str(&rd, &msg, &msglen) || mp_get_int(&rd, &rid)) {
		r = -EPROTO;
		goto broken;
	}
	if (status) {
		if (status != expected)
			vaccel_log(VACCEL_LOG_ERROR, TAG, "agent: %.*s",
				   (int)msglen, msg);
		return (int)status;
	}
	if (id)
		*id = rid;
	return VACCEL_OK;
broken:
	vaccel_log(VACCEL_LOG_ERROR, TAG, "lost the agent at %s: %s", g.address,
		   strerror(-r));
	conn_close(c);
	return VACCEL_EREMOTEIO;
}

static int ctrl(struct conn *c, struct wbuf *meta, struct segs *segs,
		int64_t *id)
{
	return ctrl_expect(c, meta, segs, id, VACCEL_OK);
}

static int remote_sess_new(struct conn *c, struct vaccel_session *s)
{
	struct wbuf *m = &c->meta;
	wbuf_reset(m);
	mp_put_array(m, 2);
	mp_put_uint(m, WIRE_CTRL_SESS_NEW);
	mp_put_uint(m, s->hint);
	return ctrl(c, m, NULL, &s->remote_id);
}

/*
 * RES_NEW for res into m: each file as [name, size] with its bytes in sg,
 * or, with sg NULL, as [name, size, sha256] and no bytes.
 */
static int res_new_put(struct wbuf *m, struct segs *sg,
		       const struct vaccel_resource *res)
{
	wbuf_reset(m);
	if (sg)
		segs_reset(sg);
	mp_put_array(m, 3);
	mp_put_uint(m, WIRE_CTRL_RES_NEW);
	mp_put_uint(m, (uint64_t)res->type);
	mp_put_array(m, (uint32_t)res->nr_files);
	for (size_t i = 0; i < res->nr_files; i++) {
		size_t size = 0;
		uint8_t *data = vaccel_file_data(res->files[i], &size);
		if (!data) {
			vaccel_log(VACCEL_LOG_ERROR, TAG,
				   "cannot read resource file %s",
				   res->files[i]->path ? res->files[i]->path
						       : res->files[i]->name);
			return VACCEL_EIO;
		}
		const char *name = res->files[i]->name;
		mp_put_array(m, sg ? 2 : 3);
		mp_put_str(m, name, strlen(name));
		mp_put_uint(m, size);
		if (sg) {
			segs_add(sg, data, size);
		} else {
			uint8_t hash[VACCEL_SHA256_SIZE];
			vaccel_sha256(data, size, hash);
			mp_put_bin(m, hash, sizeof(hash));
		}
	}
	return m->failed || (sg && sg->failed) ? VACCEL_ENOMEM : VACCEL_OK;
}

/*
 * A resource whose files are all of WIRE_BY_HASH_MIN bytes or more is
 * first named by their hashes: the agent may keep them already (another
 * client sent the same model), and then nothing is sent. 0 when it made
 * the resource so, else a status (then the files are sent).
 */
static int remote_res_by_hash(struct conn *c, struct vaccel_resource *res)
{
	for (size_t i = 0; i < res->nr_files; i++) {
		size_t size = 0;
		if (!vaccel_file_data(res->files[i], &size) ||
		    size < WIRE_BY_HASH_MIN)
			return VACCEL_ENOENT;
	}
	int ret = res_new_put(&c->meta, NULL, res);
	if (ret)
		return ret;
	return ctrl_expect(c, &c->meta, NULL, &res->remote_id, VACCEL_ENOENT);
}

static int remote_res_new(struct conn *c, struct vaccel_resource *res)
{
	int ret = remote_res_by_hash(c, res);
	/* an agent without kept copies refuses the form (EINVAL): sent */
	if (ret == VACCEL_OK || ret == VACCEL_ENOMEM || ret == VACCEL_EREMOTEIO)
		return ret;
	ret = res_new_put(&c->meta, &c->segs, res);
	if (ret)
		return ret;
	return ctrl(c, &c->meta, &c->segs, &res->remote_id);
}

static int remote_pair(struct conn *c, unsigned int op, int64_t a, int64_t b)
{
	struct wbuf *m = &c->meta;
	wbuf_reset(m);
	mp_put_array(m, b >= 0 ? 3 : 2);
	mp_put_uint(m, op);
	mp_put_int(m, a);
	if (b >= 0)
		mp_put_int(m, b);
	return ctrl(c, m, NULL, NULL);
}

/* Re-create every mirrored object on a fresh agent state. g.lock held. */
static int rebuild(struct conn *c)
{
	int ret;
	for (size_t i = 0; i < g.nr_sessions; i++)
		if ((ret = remote_sess_new(c, g.sessions[i])))
			return ret;
	for (size_t i = 0; i < g.nr_resources; i++)
		if ((ret = remote_res_new(c, g.resources[i])))
			return ret;
	for (size_t i = 0; i < g.nr_regs; i++)
		if ((ret = remote_pair(c, WIRE_CTRL_RES_REG,
				       g.regs[i].res->remote_id,
				       g.regs[i].sess->remote_id)))
			return ret;
	if (g.nr_sessions || g.nr_resources)
		vaccel_log(VACCEL_LOG_INFO, TAG,
			   "re-created %zu session(s) and %zu resource(s) on "
			   "the agent",
			   g.nr_sessions, g.nr_resources);
	return VACCEL_OK;
}

/* This thread's connection, (re)connected and handshaken. g.lock must NOT
 * be held. Returns NULL with *err set. */
static struct conn *get_conn(int *err)
{
	struct conn *c = pthread_getspecific(g.conn_key);
	pid_t pid = atomic_load_explicit(&self_pid, memory_order_relaxed);
	if (c && c->pid == pid &&
	    (mux.on ? atomic_load(&mux.ready) && mux.pid == pid
		    : tconn_is_open(&c->own)))
		return c;
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c) {
			*err = VACCEL_ENOMEM;
			return NULL;
		}
		tconn_init(&c->own);
		c->tc = mux.on ? &mux.tc : &c->own;
		c->mfd = -1;
		c->pid = pid;
		pthread_setspecific(g.conn_key, c);
		pthread_mutex_lock(&conns_lock);
		c->next = conns;
		conns = c;
		pthread_mutex_unlock(&conns_lock);
	}
	if (c->pid != pid) {
		/* Forked: the connection is the parent's conversation. Drop
		 * our copy without a word on the wire. */
		tconn_close(&c->own);
		c->pid = pid;
		/* The memfd is shared with the parent: never write to it. */
		memfd_drop(c);
	}
	pthread_mutex_lock(&g.lock);
	if (g.key_pid != pid) {
		if (getrandom(g.key, sizeof(g.key), 0) != sizeof(g.key)) {
			pthread_mutex_unlock(&g.lock);
			*err = VACCEL_EIO;
			return NULL;
		}
		g.key_pid = pid;
	}
	int cr;
	if (mux.on) {
		if (mux.pid == pid && atomic_load(&mux.ready)) {
			/* another thread connected meanwhile */
			pthread_mutex_unlock(&g.lock);
			return c;
		}
		if (mux.pid != pid) {
			/* forked: the parent's conversation, and locks its
			 * other threads may have held */
			pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
			pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
			mux.send_lock = m;
			mux.lock = m;
			mux.cond = cv;
			tconn_close(&mux.tc);
			atomic_store(&mux.ready, false);
			mux.reading = false;
			mux.waiting = NULL;
			mux.pid = pid;
		}
		pthread_mutex_lock(&mux.send_lock);
		pthread_mutex_lock(&mux.lock);
		cr = -EAGAIN;
		if (!mux.reading) {
			if (tconn_is_open(&mux.tc))
				mux_close_locked(-ECONNRESET);
			cr =
			    tconn_connect(&mux.tc, &g.url, g.connect_timeout_ms,
					  g.timeout_ms, g.timeout_ms);
			mux.gen++;
			mux.next_req = 1;
		}
		pthread_mutex_unlock(&mux.lock);
		pthread_mutex_unlock(&mux.send_lock);
	} else {
		cr = tconn_connect(&c->own, &g.url, g.connect_timeout_ms,
				   g.timeout_ms, g.timeout_ms);
	}
	if (cr) {
		pthread_mutex_unlock(&g.lock);
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "cannot reach the agent at %s: %s", g.address,
			   strerror(-cr));
		*err = VACCEL_EREMOTEIO;
		return NULL;
	}
	c->next_req = 1;
	bool known = false;
	int r = hello(c, &known);
	if (r) {
		conn_close(c);
		pthread_mutex_unlock(&g.lock);
		if (r != -EPROTO && r != -ECONNRESET && r != -ETIMEDOUT &&
		    r != -EPIPE && r > -4096)
			*err = -r;
		else
			*err = VACCEL_EREMOTEIO;
		if (r == -EPROTONOSUPPORT)
			*err = VACCEL_EPROTO_VERSION;
		return NULL;
	}
	if (!known) {
		r = rebuild(c);
		if (r) {
			conn_close(c);
			pthread_mutex_unlock(&g.lock);
			*err = r;
			return NULL;
		}
	}
	if (mux.on)
		atomic_store(&mux.ready, true);
	pthread_mutex_unlock(&g.lock);
	return c;
}

static int rpc_session_init(void *priv, struct vaccel_session *sess,
			    uint32_t flags)
{
	(void)priv;
	(void)flags;
	int err;
	struct conn *c = get_conn(&err);
	if (!c)
		return err;
	pthread_mutex_lock(&g.lock);
	int ret = remote_sess_new(c, sess);
	if (!ret && array_grow((void **)&g.sessions, &g.cap_sessions,
			       g.nr_sessions, sizeof(*g.sessions)))
		ret = VACCEL_ENOMEM;
	if (!ret)
		g.sessions[g.nr_sessions++] = sess;
	pthread_mutex_unlock(&g.lock);
	return ret;
}

static int rpc_session_release(void *priv, struct vaccel_session *sess)
{
	(void)priv;
	pthread_mutex_lock(&g.lock);
	for (size_t i = 0; i < g.nr_sessions; i++)
		if (g.sessions[i] == sess)
			g.sessions[i] = g.sessions[--g.nr_sessions];
	pthread_mutex_unlock(&g.lock);
	/* Best effort: a dead agent has freed it already. */
	int err;
	struct conn *c = get_conn(&err);
	if (c) {
		pthread_mutex_lock(&g.lock);
		remote_pair(c, WIRE_CTRL_SESS_FREE, sess->remote_id, -1);
		pthread_mutex_unlock(&g.lock);
	}
	sess->remote_id = 0;
	return VACCEL_OK;
}

static bool res_mirrored(const struct vaccel_resource *res)
{
	for (size_t i = 0; i < g.nr_resources; i++)
		if (g.resources[i] == res)
			return true;
	return false;
}

static int rpc_resource_register(void *priv, struct vaccel_resource *res,
				 struct vaccel_session *sess)
{
	(void)priv;
	int err;
	struct conn *c = get_conn(&err);
	if (!c)
		return err;
	pthread_mutex_lock(&g.lock);
	int ret = VACCEL_OK;
	bool uploaded = false;
	if (!res_mirrored(res)) {
		if (array_grow((void **)&g.resources, &g.cap_resources,
			       g.nr_resources, sizeof(*g.resources))) {
			ret = VACCEL_ENOMEM;
			goto out;
		}
		ret = remote_res_new(c, res);
		if (ret)
			goto out;
		g.resources[g.nr_resources++] = res;
		uploaded = true;
	}
	if (array_grow((void **)&g.regs, &g.cap_regs, g.nr_regs,
		       sizeof(*g.regs))) {
		ret = VACCEL_ENOMEM;
		goto out;
	}
	ret =
	    remote_pair(c, WIRE_CTRL_RES_REG, res->remote_id, sess->remote_id);
	if (ret) {
		if (uploaded) {
			g.nr_resources--;
			remote_pair(c, WIRE_CTRL_RES_FREE, res->remote_id, -1);
		}
		goto out;
	}
	g.regs[g.nr_regs++] = (struct reg){res, sess};
out:
	pthread_mutex_unlock(&g.lock);
	return ret;
}

static int rpc_resource_unregister(void *priv, struct vaccel_resource *res,
				   struct vaccel_session *sess)
{
	(void)priv;
	int err;
	struct conn *c = get_conn(&err);
	pthread_mutex_lock(&g.lock);
	bool still_used = false;
	for (size_t i = 0; i < g.nr_regs;) {
		if (g.regs[i].res == res && g.regs[i].sess == sess) {
			g.regs[i] = g.regs[--g.nr_regs];
			continue;
		}
		still_used |= g.regs[i].res == res;
		i++;
	}
	bool usable =
	    c && (mux.on ? atomic_load(&mux.ready) : tconn_is_open(&c->own));
	if (usable)
		remote_pair(c, WIRE_CTRL_RES_UNREG, res->remote_id,
			    sess->remote_id);
	if (!still_used) {
		for (size_t i = 0; i < g.nr_resources; i++)
			if (g.resources[i] == res)
				g.resources[i] = g.resources[--g.nr_resources];
		if (usable)
			remote_pair(c, WIRE_CTRL_RES_FREE, res->remote_id, -1);
		res->remote_id = 0;
	}
	pthread_mutex_unlock(&g.lock);
	return VACCEL_OK;
}

/* Calls a buffer of the layout (argument order, list entries in order):
 * ptr, len, whether it goes in and whether it comes out. */
typedef void (*layout_fn)(void *ctx, void *ptr, uint64_t len, bool in,
			  bool out);

/* The buffers of a call in the order they travel: an alias group's
 * region once, at its lead (codec.h, "aliasing"). */
static void layout(const struct vaccel_op_desc *op,
		   const struct vaccel_oparg *args,
		   const struct wire_alias *plan, layout_fn fn, void *ctx)
{
	for (uint32_t i = 0; i < op->nr_args; i++) {
		const struct vaccel_oparg *a = &args[i];
		enum vaccel_arg_kind k = op->args[i].kind;
		if (plan && plan[i].lead >= 0) {
			if (plan[i].lead == (int32_t)i)
				fn(ctx, wire_alias_base(args, plan, i),
				   plan[i].span, true, plan[i].back >= 0);
			continue;
		}
		switch (k) {
		case VACCEL_ARGK_IN:
		case VACCEL_ARGK_OUT:
		case VACCEL_ARGK_INOUT:
			fn(ctx, a->buf, a->len,
			   k != VACCEL_ARGK_OUT &&
			       !wire_arg_overwritten(&op->args[i], args),
			   k != VACCEL_ARGK_IN);
			break;
		case VACCEL_ARGK_ARGS_IN:
		case VACCEL_ARGK_ARGS_OUT: {
			const struct vaccel_arg *l = a->buf;
			for (uint64_t j = 0; j < a->len; j++)
				fn(ctx, l[j].buf, l[j].size,
				   k == VACCEL_ARGK_ARGS_IN,
				   k == VACCEL_ARGK_ARGS_OUT);
			break;
		}
		case VACCEL_ARGK_TENSORS_IN:
		case VACCEL_ARGK_TENSORS_OUT: {
			const struct vaccel_tensor *t = a->buf;
			for (uint64_t j = 0; j < a->len; j++)
				fn(ctx, t[j].data, t[j].size,
				   k == VACCEL_ARGK_TENSORS_IN,
				   k == VACCEL_ARGK_TENSORS_OUT);
			break;
		}
		default:
			break;
		}
	}
}

struct layout_ctx {
	struct conn *c;
	uint64_t off;
	uint32_t nr_out;
	bool failed;
};

static void span_cb(void *ctx, void *ptr, uint64_t len, bool in, bool out)
{
	struct layout_ctx *l = ctx;
	(void)ptr;
	(void)in;
	uint64_t step = memfd_step(len);
	if (!step || __builtin_add_overflow(l->off, step, &l->off))
		l->failed = true;
	l->nr_out += out;
}

static void fill_cb(void *ctx, void *ptr, uint64_t len, bool in, bool out)
{
	struct layout_ctx *l = ctx;
	if (in && len)
		memcpy(l->c->map + l->off, ptr, len);
	/* An output starts as zeros, as the agent's own buffers do: the
	 * agent writes nothing in a memfd but what the backend does. */
	else if (len)
		memset(l->c->map + l->off, 0, len);
	if (out && len)
		l->c->outs[l->nr_out++] = (struct out_slot){ptr, l->off};
	l->off += memfd_step(len);
}

/* This thread's memfd, at least span bytes, sealed so the agent can rely
 * on its size. */
static int memfd_ensure(struct conn *c, uint64_t span)
{
	if (c->map && c->map_len >= span)
		return 0;
	memfd_drop(c);
	uint64_t len = (span + (2u << 20) - 1) & ~(uint64_t)((2u << 20) - 1);
	if (len < span || len > SIZE_MAX)
		return -ENOMEM;
	int fd = memfd_create("vaccel-rpc", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	void *p = MAP_FAILED;
	if (ftruncate(fd, (off_t)len) == 0 &&
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) ==
		0)
		p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED,
			 fd, 0);
	if (p == MAP_FAILED) {
		int e = errno;
		close(fd);
		return -e;
	}
	c->mfd = fd;
	c->map = p;
	c->map_len = (size_t)len;
	atomic_fetch_add(&memfd_kept, c->map_len);
	return 0;
}

/* After a call: give a memfd back that is over what may be kept, so that
 * one large call leaves no shared memory resident in the program. */
static void memfd_trim(struct conn *c)
{
	if (c->map && (c->map_len > g.memfd_keep ||
		       atomic_load(&memfd_kept) > g.memfd_keep_total))
		memfd_drop(c);
}

/* Lay a large call's buffers out in the memfd; false to send it the
 * ordinary way. */
static bool memfd_prepare(struct conn *c, const struct vaccel_op_desc *op,
			  const struct vaccel_oparg *args)
{
	/* outputs the op allocates have no place laid out in advance */
	if (!g.url.t->pass_fds || !g.memfd_min || wire_op_allocates(op))
		return false;
	struct wire_alias plan[WIRE_ALIAS_MAX_ARGS];
	bool aliased = wire_alias_plan(op, args, plan);
	struct layout_ctx l = {.c = c};
	layout(op, args, aliased ? plan : NULL, span_cb, &l);
	if (l.failed || l.off < g.memfd_min)
		return false;
	if (l.nr_out > c->out_cap) {
		struct out_slot *o = realloc(c->outs, l.nr_out * sizeof(*o));
		if (!o)
			return false;
		c->outs = o;
		c->out_cap = l.nr_out;
	}
	if (memfd_ensure(c, l.off)) {
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "no memfd for a %llu-byte call; sending it inline",
			   (unsigned long long)l.off);
		return false;
	}
	l = (struct layout_ctx){.c = c};
	layout(op, args, aliased ? plan : NULL, fill_cb, &l);
	c->nr_outs = l.nr_out;
	return true;
}

/* Whether [p, p + len) lies in c's shared region. */
static bool in_region(const struct conn *c, const void *p, uint64_t len)
{
	const uint8_t *b = p;
	return len && b >= c->reg_base && len <= c->reg_len &&
	       (size_t)(b - c->reg_base) <= c->reg_len - len;
}

struct reg_ctx {
	struct conn *c;
	uint32_t n, placed;
	bool failed;
};

static void reg_count_cb(void *ctx, void *ptr, uint64_t len, bool in, bool out)
{
	struct reg_ctx *r = ctx;
	(void)in;
	(void)out;
	r->n++;
	r->placed += in_region(r->c, ptr, len);
}

static void reg_fill_cb(void *ctx, void *ptr, uint64_t len, bool in, bool out)
{
	struct reg_ctx *r = ctx;
	(void)in;
	(void)out;
	uint64_t off = in_region(r->c, ptr, len)
			   ? (uint64_t)((uint8_t *)ptr - r->c->reg_base)
			   : WIRE_REGION_NONE;
	for (int b = 0; b < 8; b++)
		r->c->reg_table[8 * r->n + b] = (uint8_t)(off >> (8 * b));
	r->n++;
}

/*
 * Where the connection has a shared region (the shm transport with the
 * placing allocator) and some of the call's buffers lie in it: the
 * offset table and the segments that still travel (c->reg_segs). false
 * to send the call the ordinary way.
 */
static bool region_prepare(struct conn *c, const struct vaccel_op_desc *op,
			   const struct vaccel_oparg *args)
{
	c->in_region = false;
	if (tconn_region(c->tc, &c->reg_base, &c->reg_len) ||
	    wire_op_allocates(op))
		return false;
	struct wire_alias plan[WIRE_ALIAS_MAX_ARGS];
	bool aliased = wire_alias_plan(op, args, plan);
	struct reg_ctx r = {.c = c};
	layout(op, args, aliased ? plan : NULL, reg_count_cb, &r);
	if (!r.placed)
		return false;
	size_t need = 8 * (size_t)r.n;
	if (need > c->reg_table_cap) {
		uint8_t *t = realloc(c->reg_table, need);
		if (!t)
			return false;
		c->reg_table = t;
		c->reg_table_cap = need;
	}
	c->reg_n = r.n;
	r = (struct reg_ctx){.c = c};
	layout(op, args, aliased ? plan : NULL, reg_fill_cb, &r);
	segs_reset(&c->reg_segs);
	segs_add(&c->reg_segs, c->reg_table, need);
	for (uint32_t i = 0; i < c->segs.n; i++)
		if (!in_region(c, c->segs.v[i].buf, c->segs.v[i].len))
			segs_add(&c->reg_segs, c->segs.v[i].buf,
				 c->segs.v[i].len);
	if (c->reg_segs.failed)
		return false;
	c->in_region = true;
	return true;
}

/* Where an output's written elements lie in its span, in bytes. */
struct gaps {
	uint64_t count, block, stride;
};

/* Whether OUT/INOUT argument i of this call has gaps between the elements
 * the op may write (its descriptor's layout; docs/protocol.md, "Calls"),
 * which must then stay as the caller has them: another thread may be
 * writing there. */
static bool out_gaps(const struct vaccel_op_desc *op,
		     const struct vaccel_oparg *args, uint32_t i,
		     struct gaps *g)
{
	const struct vaccel_op_argdesc *d = &op->args[i];
	struct vaccel_layout l;
	uint64_t span;
	if (!d->layout || d->layout(args, &l) || l.count < 2 ||
	    l.stride <= l.block)
		return false;
	size_t es = vaccel_op_elem_size(op, args, i);
	/* A layout that does not end where the size rule's span does would
	 * scatter outside the buffer: such a one goes back whole. */
	if (!es || __builtin_mul_overflow(l.count - 1, l.stride, &span) ||
	    __builtin_add_overflow(span, l.block, &span) ||
	    __builtin_mul_overflow(span, es, &span) || span != args[i].len)
		return false;
	*g = (struct gaps){l.count, l.block * es, l.stride * es};
	return true;
}

static void scatter(uint8_t *dst, const uint8_t *src, const struct gaps *g)
{
	for (uint64_t k = 0; k < g->count; k++)
		memcpy(dst + k * g->stride, src + k * g->stride, g->block);
}

/* This connection's bounce buffer, filled with the next n reply bytes. */
static int bounce_read(struct conn *c, uint64_t n)
{
	if (n > c->bounce_cap) {
		if (n > SIZE_MAX)
			return -ENOMEM;
		/* not realloc: the old bytes are not wanted */
		free(c->bounce);
		c->bounce_cap = 0;
		c->bounce = malloc((size_t)n);
		if (!c->bounce)
			return -ENOMEM;
		c->bounce_cap = (size_t)n;
	}
	return tconn_recv(c->tc, c->bounce, n);
}

/* After a call: one grown for a large output is not kept. */
static void bounce_trim(struct conn *c)
{
	if (c->bounce_cap > BOUNCE_KEEP) {
		free(c->bounce);
		c->bounce = NULL;
		c->bounce_cap = 0;
	}
}

/* Writing a reply's output segments back, in the order they come. */
struct put {
	struct conn *c;
	bool shm;
	/* the next segment, and the memfd slot looked at last */
	uint32_t seg, slot;
	const struct vaccel_op_desc *op;
	const struct vaccel_oparg *args;
	const struct wire_alias *plan;
	bool *touched;
};

enum put_way {
	/* the segment is the output, byte for byte */
	PUT_WHOLE,
	/* only the blocks of `gaps` are the op's */
	PUT_GAPS,
	/* the region of alias group `lead`: only its written members */
	PUT_REGION,
};

/* Where segment sg lies in the memfd. */
static const uint8_t *map_slot(struct put *p, const struct wire_seg *sg)
{
	struct conn *c = p->c;
	/* Segments are the non-empty outputs; decode_reply checked each
	 * length against the capacity asked for, so the copy stays inside
	 * the output's slot. A region comes back at its first written
	 * member but was laid out at its lead, so the order may differ:
	 * look from the start when not next. */
	uint32_t o = p->slot;
	if (o >= c->nr_outs || c->outs[o].dst != sg->buf)
		for (o = 0; o < c->nr_outs && c->outs[o].dst != sg->buf; o++)
			;
	if (o == c->nr_outs)
		return NULL;
	p->slot = o + 1;
	return c->map + c->outs[o].off;
}

/*
 * Take the next segment, which must be for dst, into the caller's memory.
 * Nothing of a span but what the op may write is written: the gaps of a
 * strided output and the bytes of a region that only inputs cover hold
 * the caller's values, which other threads may be changing meanwhile.
 */
static int put_seg(struct put *p, void *dst, enum put_way way,
		   const struct gaps *g, int32_t lead)
{
	struct conn *c = p->c;
	if (p->seg >= c->segs.n || c->segs.v[p->seg].buf != dst)
		return -EPROTO;
	const struct wire_seg *sg = &c->segs.v[p->seg++];
	const uint8_t *src;
	/* the agent wrote it in place */
	if (c->in_region && in_region(c, sg->buf, sg->len))
		return 0;
	if (p->shm) {
		src = map_slot(p, sg);
		if (!src)
			return -EPROTO;
	} else if (way == PUT_WHOLE) {
		/* read straight into the caller's output: a reply cut short
		 * leaves it partly written */
		*p->touched = true;
		return tconn_recv(c->tc, sg->buf, sg->len);
	} else {
		/* whole first: a reply cut short leaves this one untouched */
		int r = bounce_read(c, sg->len);
		if (r)
			return r;
		src = c->bounce;
		*p->touched = true;
	}
	if (way == PUT_WHOLE)
		memcpy(sg->buf, src, sg->len);
	else if (way == PUT_GAPS)
		scatter(sg->buf, src, g);
	for (uint32_t m = 0; way == PUT_REGION && m < p->op->nr_args; m++) {
		struct gaps mg;
		if (p->plan[m].lead != lead ||
		    p->op->args[m].kind == VACCEL_ARGK_IN)
			continue;
		if (out_gaps(p->op, p->args, m, &mg))
			scatter(p->args[m].buf, src + p->plan[m].off, &mg);
		else
			memcpy(p->args[m].buf, src + p->plan[m].off,
			       p->args[m].len);
	}
	return 0;
}

/* Write a successful reply's outputs back, walking the arguments in the
 * order wire_decode_reply() listed their segments. */
static int put_outputs(struct conn *c, bool shm,
		       const struct vaccel_op_desc *op,
		       const struct vaccel_oparg *args, bool *touched)
{
	struct wire_alias plan[WIRE_ALIAS_MAX_ARGS];
	bool aliased = c->segs.n && wire_alias_plan(op, args, plan);
	struct put p = {.c = c,
			.shm = shm,
			.op = op,
			.args = args,
			.plan = plan,
			.touched = touched};
	int r = 0;
	for (uint32_t i = 0; i < op->nr_args && !r; i++) {
		const struct vaccel_oparg *a = &args[i];
		struct gaps g;
		switch (op->args[i].kind) {
		case VACCEL_ARGK_OUT:
		case VACCEL_ARGK_INOUT:
			if (aliased && plan[i].lead >= 0) {
				int32_t lead = plan[i].lead;
				if (plan[lead].back == (int32_t)i)
					r = put_seg(
					    &p,
					    wire_alias_base(args, plan, lead),
					    PUT_REGION, NULL, lead);
			} else if (a->len) {
				bool gaps = out_gaps(op, args, i, &g);
				r = put_seg(&p, a->buf,
					    gaps ? PUT_GAPS : PUT_WHOLE, &g,
					    -1);
			}
			break;
		case VACCEL_ARGK_ARGS_OUT: {
			const struct vaccel_arg *l = a->buf;
			for (uint64_t j = 0; j < a->len && !r; j++)
				if (l[j].size)
					r = put_seg(&p, l[j].buf, PUT_WHOLE,
						    NULL, -1);
			break;
		}
		case VACCEL_ARGK_TENSORS_OUT: {
			const struct vaccel_tensor *t = a->buf;
			for (uint64_t j = 0; j < a->len && !r; j++)
				if (t[j].size)
					r = put_seg(&p, t[j].data, PUT_WHOLE,
						    NULL, -1);
			break;
		}
		default:
			break;
		}
	}
	if (!r && p.seg != c->segs.n)
		r = -EPROTO;
	return r;
}

/* The rest of a call's reply, into the caller's outputs: c->finish for
 * calls, run by the thread that reads the reply. */
static int finish_call(struct conn *c)
{
	const struct vaccel_op_desc *op = c->op;
	char msg[256];
	if (c->shm && c->rh.raw_len) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "op '%s': memfd reply with a raw part", op->name);
		return -EPROTO;
	}
	segs_reset(&c->segs);
	bool any = c->shm || c->in_region;
	if (wire_decode_reply(c->rmeta, c->rlen,
			      any ? WIRE_RAW_ANY : c->rh.raw_len, op, c->args,
			      c->status, msg, sizeof(msg), &c->segs)) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "op '%s': malformed reply from the agent", op->name);
		return -EPROTO;
	}
	if (c->in_region && !*c->status) {
		/* what travels: the outputs outside the region */
		uint64_t raw = 0;
		for (uint32_t i = 0; i < c->segs.n; i++)
			if (!in_region(c, c->segs.v[i].buf, c->segs.v[i].len))
				raw += c->segs.v[i].len;
		if (raw != c->rh.raw_len || !(c->rh.flags & WIRE_F_REGION)) {
			vaccel_log(VACCEL_LOG_ERROR, TAG,
				   "op '%s': the agent's reply does not match "
				   "the call's shared buffers",
				   op->name);
			return -EPROTO;
		}
	} else if (c->in_region && c->rh.raw_len) {
		return -EPROTO;
	}
	/* a failed call has no outputs */
	int r =
	    *c->status ? 0 : put_outputs(c, c->shm, op, c->args, c->touched);
	if (r) {
		wire_reply_free_outputs(op, c->args);
		return r;
	}
	if (*c->status)
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "op '%s' failed on the agent: %s", op->name, msg);
	return 0;
}

/* Send one call and wait for its reply. *sent_any tells whether any
 * request byte left us (the agent may then have run it). */
static int roundtrip(struct conn *c, struct vaccel_session *sess,
		     const struct vaccel_op_desc *op, struct vaccel_oparg *args,
		     bool *sent_any, bool *touched, int *status)
{
	wbuf_reset(&c->meta);
	segs_reset(&c->segs);
	*sent_any = false;
	int r = wire_encode_call(&c->meta, &c->segs, op, args, sess->remote_id,
				 op->sig_hash);
	if (r)
		return r;
	bool shm = memfd_prepare(c, op, args);
	bool region = !shm && region_prepare(c, op, args);
	uint64_t sent = 0;
	c->finish = finish_call;
	c->op = op;
	c->args = args;
	c->shm = shm;
	c->status = status;
	c->touched = touched;
	r = send_frame(c, WIRE_CALL,
		       shm	? WIRE_F_MEMFD
		       : region ? WIRE_F_REGION
				: 0,
		       &c->meta,
		       shm	? NULL
		       : region ? &c->reg_segs
				: &c->segs,
		       &sent, shm ? c->mfd : -1, WIRE_CALL_REPLY);
	*sent_any = sent > 0;
	if (r)
		return r;
	*sent_any = true;
	return await_reply(c);
}

static int rpc_any(void *priv, struct vaccel_session *sess,
		   const struct vaccel_op_desc *op, struct vaccel_oparg *args)
{
	(void)priv;
	bool retried = false, reopened = false;
	int err;
again:;
	struct conn *c = get_conn(&err);
	if (!c)
		return err;
	/* a better connection to be had (shm: the heap came after this
	 * one's setup): reopen it, once */
	if (!mux.on && !reopened && tconn_stale(c->tc)) {
		vaccel_log(VACCEL_LOG_INFO, TAG,
			   "reopening the connection to use the shared heap");
		conn_close(c);
		reopened = true;
		goto again;
	}
	uint64_t agent_hash = 0;
	if (!agent_op(op, &agent_hash)) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "the agent does not know op '%s'", op->name);
		return VACCEL_ENOTSUP;
	}
	if (agent_hash != op->sig_hash) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "op '%s' has a different signature on the agent; "
			   "refusing to call it",
			   op->name);
		return VACCEL_ENOTSUP;
	}
	bool sent_any, touched = false;
	int status = VACCEL_OK;
	int r = roundtrip(c, sess, op, args, &sent_any, &touched, &status);
	memfd_trim(c);
	bounce_trim(c);
	if (!r)
		return status;
	conn_close(c);
	/* before ENOMEM: a bounce buffer that could not grow may come after
	 * outputs already written */
	if (touched) {
		/* neither a retry nor the caller's own fallback may start
		 * from outputs (inout inputs) that are partly overwritten */
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "op '%s': lost the agent at %s while receiving "
			   "outputs (%s); they are partly written",
			   op->name, g.address, strerror(-r));
		return VACCEL_EIO;
	}
	if (r == -ENOMEM)
		return VACCEL_ENOMEM;
	bool may_retry = !sent_any || (op->flags & VACCEL_OPF_IDEMPOTENT);
	if (!retried && may_retry && r != -ETIMEDOUT && r != -EPROTO) {
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "op '%s': connection lost (%s); reconnecting",
			   op->name, strerror(-r));
		retried = true;
		goto again;
	}
	vaccel_log(VACCEL_LOG_ERROR, TAG, "op '%s': lost the agent at %s: %s",
		   op->name, g.address, strerror(-r));
	return VACCEL_EREMOTEIO;
}

VACCEL_PLUGIN_DEFINE(.name = "rpc", .version = "1.0",
		     .type = VACCEL_PLUGIN_REMOTE, .init = rpc_init,
		     .fini = rpc_fini, .any_op = rpc_any,
		     .session_init = rpc_session_init,
		     .session_release = rpc_session_release,
		     .resource_register = rpc_resource_register,
		     .resource_unregister = rpc_resource_unregister);
