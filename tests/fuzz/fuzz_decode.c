// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_decode: a libFuzzer target for every decoder that reads bytes from
 * the wire, on both sides of a connection.
 *
 * An input is one whole frame: the 32-byte header, meta_len bytes of
 * msgpack meta, then the raw part. The header is decoded as the agent and
 * the rpc transport decode it; the meta then goes, by the frame's kind, to
 *   HELLO, CTRL          the agent's parsing of them (mirrored below: the
 *                        agent's own functions are static),
 *   CALL                 wire_decode_call() as the agent runs it, then the
 *                        buffers it describes are allocated, filled from
 *                        the raw part, bound and checked with
 *                        vaccel_op_validate(); the agent's reply to that call
 *                        is decoded as the client would, and the client's
 *                        own encoding of it must decode to the same call,
 *   CALL_REPLY           wire_decode_reply() against every prepared client
 *                        call of fuzz_cases.c, the raw part then read into
 *                        the destinations it names,
 *   HELLO_/CTRL_REPLY    the rpc transport's parsing of them (mirrored),
 * and every input is also walked with the msgpack reader on its own.
 *
 * The point is: no crash, no leak, no allocation the input did not pay for.
 * Limits are set small (1 MiB buffers, 64-entry lists) so that a valid but
 * large call costs little; a second decode of each CALL uses the agent's
 * default limits and allocates nothing. Invariants that must hold trap
 * (__builtin_trap) with a line saying which.
 */
#include "fuzz_cases.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr,                                        \
				"fuzz_decode: invariant failed at %s:%d: "     \
				"%s\n",                                        \
				__FILE__, __LINE__, #cond);                    \
			__builtin_trap();                                      \
		}                                                              \
	} while (0)

/* Receiver limits of this target: small, so a call costs little. */
static const struct wire_limits lim = {
    .max_meta = 64u << 10,
    .max_buffer = 1u << 20,
    .max_raw = 4u << 20,
    .max_list = 64,
};
/* Largest sum of a decoded call's buffers that is actually allocated. */
#define MAX_ALLOC (4u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* FUZZ_DECODE_VERBOSE=1: say what each input decoded to (to check that
 * seeds reach where they are meant to). */
static bool verbose(void)
{
	static int v = -1;
	if (v < 0) {
		const char *e = getenv("FUZZ_DECODE_VERBOSE");
		v = e && *e && *e != '0';
	}
	return v;
}

#define SAY(...)                                                               \
	do {                                                                   \
		if (verbose())                                                 \
			fprintf(stderr, __VA_ARGS__);                          \
	} while (0)

/* A live resource for RESOURCE arguments, so that a decoded call can pass
 * vaccel_op_validate() as the agent's would once it looked the id up. */
static struct vaccel_resource *live_resource(void)
{
	static struct vaccel_resource *res;
	static bool tried;
	if (!tried) {
		static const uint8_t byte = 0x2a;
		tried = true;
		if (vaccel_resource_from_buf(&res, &byte, 1,
					     VACCEL_RESOURCE_DATA, "fuzz.bin"))
			res = NULL;
	}
	return res;
}

/* ---- the msgpack reader on its own ------------------------------------ */

/*
 * Read values one after another from any position. A failed read leaves
 * the cursor where it was; a successful one moves it forward and never
 * past the end; counts and lengths fit the bytes left; the integer readers
 * agree with each other.
 */
static void walk_msgpack(const uint8_t *p, size_t n)
{
	struct mp_reader r = {p, p + n};
	while (r.p < r.end) {
		const uint8_t *at = r.p;
		struct mp_reader t;
		uint64_t u;
		int64_t i;
		double f;
		bool b;
		const char *s;
		const void *bin;
		uint32_t len;

		t = r;
		if (!mp_get_array(&t, &len)) {
			CHECK(t.p > at && t.p <= t.end);
			CHECK(len <= (size_t)(t.end - t.p));
			r = t;
			continue;
		}
		CHECK(t.p == at);

		t = r;
		bool uok = !mp_get_uint(&t, &u);
		const uint8_t *uend = t.p;
		CHECK(uok ? (uend > at && uend <= r.end) : uend == at);
		t = r;
		bool iok = !mp_get_int(&t, &i);
		CHECK(iok ? (t.p > at && t.p <= r.end) : t.p == at);
		if (uok && u <= INT64_MAX)
			CHECK(iok && (uint64_t)i == u && t.p == uend);
		if (iok && i >= 0)
			CHECK(uok && (uint64_t)i == u && t.p == uend);
		if (uok || iok) {
			r.p = uok ? uend : t.p;
			continue;
		}

		t = r;
		if (!mp_get_f64(&t, &f)) {
			CHECK(t.p == at + 5 || t.p == at + 9);
			CHECK(t.p <= t.end);
			r = t;
			continue;
		}
		CHECK(t.p == at);

		t = r;
		if (!mp_get_bool(&t, &b)) {
			CHECK(t.p == at + 1);
			r = t;
			continue;
		}
		CHECK(t.p == at);

		CHECK(mp_next_is_nil(&r) == (*at == 0xc0));
		t = r;
		if (!mp_get_nil(&t)) {
			CHECK(t.p == at + 1);
			r = t;
			continue;
		}
		CHECK(t.p == at);

		t = r;
		if (!mp_get_str(&t, &s, &len)) {
			CHECK((const uint8_t *)s > at && t.p <= t.end);
			CHECK((const uint8_t *)s + len == t.p);
			r = t;
			continue;
		}
		CHECK(t.p == at);

		t = r;
		if (!mp_get_bin(&t, &bin, &len)) {
			CHECK((const uint8_t *)bin > at && t.p <= t.end);
			CHECK((const uint8_t *)bin + len == t.p);
			r = t;
			continue;
		}
		CHECK(t.p == at);

		/* A type the protocol never uses (maps, ext, ...): skip. */
		r.p++;
	}
	CHECK(r.p == r.end);
}

/* ---- HELLO / HELLO_REPLY / CTRL / CTRL_REPLY ------------------------- */

/* The agent's handle_hello(): [version, key(bin 16), token|nil,
 * [[op id, sig hash]...]]. */
static void parse_hello(const uint8_t *meta, size_t len)
{
	struct mp_reader r = {meta, meta + len};
	uint32_t n, klen, tlen, nops;
	uint64_t ver;
	const void *key;
	const char *tok;
	if (mp_get_array(&r, &n) || n != 4 || mp_get_uint(&r, &ver) ||
	    mp_get_bin(&r, &key, &klen) || klen != WIRE_KEY_SIZE)
		return;
	if (mp_next_is_nil(&r))
		CHECK(!mp_get_nil(&r));
	else if (mp_get_str(&r, &tok, &tlen))
		return;
	if (mp_get_array(&r, &nops))
		return;
	for (uint32_t i = 0; i < nops; i++) {
		uint64_t id, hash;
		if (mp_get_array(&r, &n) || n != 2 || mp_get_uint(&r, &id) ||
		    mp_get_uint(&r, &hash))
			return;
		const struct vaccel_op_desc *d =
		    id <= UINT32_MAX ? vaccel_op_desc_by_id((uint32_t)id)
				     : NULL;
		CHECK(!d || d->id == id);
	}
}

/* The rpc transport's hello(): [status, msg, instance, known,
 * [[op id, sig hash]...]] or [status, msg, ...] when refused. */
static void parse_hello_reply(const uint8_t *meta, size_t len)
{
	struct mp_reader r = {meta, meta + len};
	uint32_t n, msglen, nops;
	int64_t status;
	const char *msg;
	uint64_t instance;
	bool known;
	if (mp_get_array(&r, &n) || n < 3 || mp_get_int(&r, &status) ||
	    mp_get_str(&r, &msg, &msglen) || status != VACCEL_OK || n != 5)
		return;
	if (mp_get_uint(&r, &instance) || mp_get_bool(&r, &known) ||
	    mp_get_array(&r, &nops))
		return;
	for (uint32_t i = 0; i < nops; i++) {
		uint64_t id, hash;
		if (mp_get_array(&r, &n) || n != 2 || mp_get_uint(&r, &id) ||
		    mp_get_uint(&r, &hash))
			return;
	}
	CHECK(r.p <= r.end);
}

/* The agent's handle_ctrl() and ctrl_res_new(), up to the point where
 * they would touch sessions and resources. */
static void parse_ctrl(const uint8_t *meta, size_t len,
		       const struct wire_hdr *h)
{
	struct mp_reader r = {meta, meta + len};
	uint32_t n, nfiles, two, nl;
	uint64_t op, u, total = 0;
	int64_t a, b;
	const char *name;
	if (mp_get_array(&r, &n) || n < 2 || mp_get_uint(&r, &op))
		return;
	switch (op) {
	case WIRE_CTRL_SESS_NEW:
		if (n != 2 || mp_get_uint(&r, &u) || u > UINT32_MAX)
			return;
		break;
	case WIRE_CTRL_SESS_FREE:
	case WIRE_CTRL_RES_FREE:
		if (n != 2 || mp_get_int(&r, &a))
			return;
		break;
	case WIRE_CTRL_RES_REG:
	case WIRE_CTRL_RES_UNREG:
		if (n != 3 || mp_get_int(&r, &a) || mp_get_int(&r, &b))
			return;
		break;
	case WIRE_CTRL_RES_NEW:
		if (n != 3 || mp_get_uint(&r, &u) || u >= VACCEL_RESOURCE_MAX ||
		    mp_get_array(&r, &nfiles) || nfiles == 0 ||
		    nfiles > lim.max_list)
			return;
		for (uint32_t i = 0; i < nfiles; i++) {
			if (mp_get_array(&r, &two) || two != 2 ||
			    mp_get_str(&r, &name, &nl) || mp_get_uint(&r, &u) ||
			    nl == 0 || nl > 255 || memchr(name, '/', nl) ||
			    memchr(name, 0, nl) || u > lim.max_buffer ||
			    (nl <= 2 && name[0] == '.' &&
			     (nl == 1 || name[1] == '.')))
				return;
			total += u;
		}
		CHECK(total <= (uint64_t)nfiles * lim.max_buffer);
		(void)h;
		break;
	default:
		return;
	}
}

/* The rpc transport's ctrl(): [status, msg, id]. */
static void parse_ctrl_reply(const uint8_t *meta, size_t len)
{
	struct mp_reader r = {meta, meta + len};
	uint32_t n, msglen;
	int64_t status, id;
	const char *msg;
	if (mp_get_array(&r, &n) || n != 3 || mp_get_int(&r, &status) ||
	    mp_get_str(&r, &msg, &msglen) || mp_get_int(&r, &id))
		return;
	CHECK((const uint8_t *)msg + msglen <= meta + len);
}

/* ---- CALL ------------------------------------------------------------- */

static bool is_list(enum vaccel_arg_kind k)
{
	return k >= VACCEL_ARGK_ARGS_IN;
}

static bool is_buffer_kind(enum vaccel_arg_kind k)
{
	return k == VACCEL_ARGK_IN || k == VACCEL_ARGK_OUT ||
	       k == VACCEL_ARGK_INOUT;
}

static bool is_args_list(enum vaccel_arg_kind k)
{
	return k == VACCEL_ARGK_ARGS_IN || k == VACCEL_ARGK_ARGS_OUT;
}

/* What must hold of any call wire_decode_call() accepted. */
static void check_call(const struct wire_call *c, uint64_t raw_len,
		       const struct wire_limits *l, uint64_t *all_bytes)
{
	const struct vaccel_op_desc *op = c->op;
	CHECK(op && op == vaccel_op_desc_by_id(c->op_id));
	CHECK(c->sig_hash == op->sig_hash);
	uint64_t in = 0, all = 0;
	for (uint32_t i = 0; i < c->nr_bufs; i++) {
		const struct wire_buf *b = &c->bufs[i];
		CHECK(b->arg < op->nr_args);
		CHECK(b->len <= l->max_buffer);
		enum vaccel_arg_kind k = op->args[b->arg].kind;
		const struct vaccel_oparg *a = &c->args[b->arg];
		switch (b->role) {
		case WB_IN_ARG:
			CHECK(k == VACCEL_ARGK_IN || k == VACCEL_ARGK_INOUT);
			CHECK(b->on_wire && b->len == a->len && !b->elem);
			break;
		case WB_OUT_ARG:
			CHECK(k == VACCEL_ARGK_OUT && !b->on_wire);
			CHECK(b->len == a->len && !b->elem);
			break;
		case WB_IN_LIST:
		case WB_OUT_LIST:
			CHECK(is_list(k) && b->elem < a->len);
			CHECK(b->on_wire == (k == VACCEL_ARGK_ARGS_IN ||
					     k == VACCEL_ARGK_TENSORS_IN));
			CHECK(b->on_wire == (b->role == WB_IN_LIST));
			if (is_args_list(k)) {
				const struct vaccel_arg *l = a->buf;
				CHECK(l[b->elem].size == b->len);
			} else {
				const struct vaccel_tensor *t = a->buf;
				CHECK(t[b->elem].size == b->len);
			}
			break;
		case WB_REGION:
			/* every member lies inside it */
			CHECK(is_buffer_kind(k) && b->on_wire && c->alias);
			CHECK(c->alias[b->arg].lead == (int32_t)b->arg);
			CHECK(c->alias[b->arg].span == b->len);
			for (uint32_t m = b->arg; m < op->nr_args; m++)
				if (c->alias[m].lead == (int32_t)b->arg)
					CHECK(c->alias[m].off <= b->len &&
					      c->args[m].len <=
						  b->len - c->alias[m].off);
			break;
		default:
			CHECK(!"unknown buffer role");
		}
		if (b->on_wire)
			in += b->len;
		all += b->len;
	}
	/* The raw part is exactly the described input buffers. */
	CHECK(in == raw_len);
	for (uint32_t i = 0; i < op->nr_args; i++) {
		const struct vaccel_oparg *a = &c->args[i];
		switch (op->args[i].kind) {
		case VACCEL_ARGK_STRING:
			CHECK(a->buf && strlen(a->buf) == a->len);
			break;
		case VACCEL_ARGK_ARGS_IN:
		case VACCEL_ARGK_ARGS_OUT:
		case VACCEL_ARGK_TENSORS_IN:
		case VACCEL_ARGK_TENSORS_OUT:
			CHECK(a->buf && a->len <= l->max_list);
			break;
		default:
			break;
		}
	}
	*all_bytes = all;
}

/* The same call, decoded twice, field by field (buffers unbound). */
static void check_same_call(const struct wire_call *x,
			    const struct wire_call *y)
{
	const struct vaccel_op_desc *op = x->op;
	CHECK(y->op == op && y->sess_id == x->sess_id);
	CHECK(y->sig_hash == x->sig_hash && y->nr_bufs == x->nr_bufs);
	for (uint32_t i = 0; i < x->nr_bufs; i++)
		CHECK(x->bufs[i].arg == y->bufs[i].arg &&
		      x->bufs[i].elem == y->bufs[i].elem &&
		      x->bufs[i].role == y->bufs[i].role &&
		      x->bufs[i].on_wire == y->bufs[i].on_wire &&
		      x->bufs[i].len == y->bufs[i].len);
	for (uint32_t i = 0; i < op->nr_args; i++) {
		const struct vaccel_oparg *a = &x->args[i], *b = &y->args[i];
		switch (op->args[i].kind) {
		case VACCEL_ARGK_SCALAR:
			CHECK(memcmp(&a->v, &b->v, sizeof(a->v)) == 0);
			break;
		case VACCEL_ARGK_STRING:
			CHECK(a->len == b->len &&
			      memcmp(a->buf, b->buf, a->len) == 0);
			break;
		case VACCEL_ARGK_RESOURCE:
			CHECK(x->res_ids[i] == y->res_ids[i]);
			break;
		case VACCEL_ARGK_ARGS_IN:
		case VACCEL_ARGK_ARGS_OUT:
			CHECK(a->len == b->len);
			for (uint64_t j = 0; j < a->len; j++) {
				const struct vaccel_arg *p = a->buf;
				const struct vaccel_arg *q = b->buf;
				CHECK(p[j].argtype == q[j].argtype &&
				      p[j].size == q[j].size);
			}
			break;
		case VACCEL_ARGK_TENSORS_IN:
		case VACCEL_ARGK_TENSORS_OUT:
			CHECK(a->len == b->len);
			for (uint64_t j = 0; j < a->len; j++) {
				const struct vaccel_tensor *p = a->buf,
							   *q = b->buf;
				CHECK(p[j].dtype == q[j].dtype &&
				      p[j].ndim == q[j].ndim &&
				      p[j].size == q[j].size);
				size_t dl = p[j].ndim * sizeof(p[j].dims[0]);
				CHECK(memcmp(p[j].dims, q[j].dims, dl) == 0);
			}
			break;
		default:
			CHECK(a->len == b->len);
		}
	}
}

/*
 * What the agent does with an accepted call, short of running it: give
 * every described buffer memory (input bytes from the raw part), bind,
 * validate. Then the two round trips: the reply the agent would send must
 * decode on the client against the same arguments, and the client's
 * encoding of the call must carry the same segments in the same order and
 * decode to the same call.
 */
static void exercise_call(struct wire_call *c, uint64_t raw_len,
			  const uint8_t *raw, size_t raw_avail)
{
	const struct vaccel_op_desc *op = c->op;
	void **mem = calloc(c->nr_bufs ? c->nr_bufs : 1, sizeof(*mem));
	struct vaccel_oparg *args2 =
	    calloc(op->nr_args ? op->nr_args : 1, sizeof(*args2));
	struct vaccel_resource *fakes =
	    calloc(op->nr_args ? op->nr_args : 1, sizeof(*fakes));
	struct wbuf meta = {0};
	struct segs out = {0}, in = {0};
	struct wire_call c2;
	char err[256], msg[64];
	int status, ret;
	if (!mem || !args2 || !fakes)
		goto out;
	for (uint32_t i = 0; i < c->nr_bufs; i++) {
		const struct wire_buf *b = &c->bufs[i];
		uint8_t *m = malloc(b->len ? b->len : 1);
		if (!m)
			goto out;
		mem[i] = m;
		uint64_t take = 0;
		if (b->on_wire) {
			take = b->len < raw_avail ? b->len : raw_avail;
			memcpy(m, raw, take);
			raw += take;
			raw_avail -= take;
		}
		memset(m + take, 0, b->len - take);
	}
	wire_call_bind(c, mem);
	struct vaccel_resource *res = live_resource();
	bool all_res = true;
	for (uint32_t i = 0; i < op->nr_args; i++) {
		if (op->args[i].kind != VACCEL_ARGK_RESOURCE)
			continue;
		c->args[i].buf = res;
		all_res = all_res && res;
	}
	uint32_t bad = UINT32_MAX;
	ret = vaccel_op_validate(op, c->args, &bad);
	/* What the decoder accepted, the dispatcher accepts, but for the
	 * values an op's own checks refuse (the typed BLAS ops' reference
	 * checks, which only look at scalars: the decoder knows sizes, not
	 * BLAS) */
	if (all_res)
		CHECK(ret == VACCEL_OK ||
		      (bad < op->nr_args &&
		       op->args[bad].kind == VACCEL_ARGK_SCALAR));

	/* The agent's successful reply decodes on the client. */
	ret = wire_encode_reply(&meta, &out, VACCEL_OK, "", op, c->args);
	CHECK(ret == VACCEL_OK);
	ret = wire_decode_reply(meta.data, meta.len, out.total, op, c->args,
				&status, msg, sizeof(msg), &in);
	CHECK(ret == VACCEL_OK && status == VACCEL_OK);
	CHECK(in.n == out.n && in.total == out.total);
	for (uint32_t i = 0; i < in.n; i++)
		CHECK(in.v[i].buf == out.v[i].buf &&
		      in.v[i].len == out.v[i].len);

	/* The client's encoding of this call is the same call. */
	memcpy(args2, c->args, op->nr_args * sizeof(*args2));
	for (uint32_t i = 0; i < op->nr_args; i++) {
		if (op->args[i].kind != VACCEL_ARGK_RESOURCE)
			continue;
		fakes[i].remote_id = c->res_ids[i];
		args2[i].buf = &fakes[i];
	}
	wbuf_reset(&meta);
	segs_reset(&out);
	ret = wire_encode_call(&meta, &out, op, args2, c->sess_id, c->sig_hash);
	CHECK(ret == VACCEL_OK && out.total == raw_len);
	/* Its segments are the described input buffers, in order. */
	uint32_t k = 0;
	for (uint32_t i = 0; i < c->nr_bufs; i++) {
		if (!c->bufs[i].on_wire || !c->bufs[i].len)
			continue;
		CHECK(k < out.n && out.v[k].buf == mem[i] &&
		      out.v[k].len == c->bufs[i].len);
		k++;
	}
	CHECK(k == out.n);
	ret = wire_decode_call(meta.data, meta.len, out.total, &lim, &c2, err,
			       sizeof(err));
	CHECK(ret == VACCEL_OK);
	check_same_call(c, &c2);
	wire_call_free(&c2);
out:
	wbuf_free(&meta);
	segs_free(&out);
	segs_free(&in);
	for (uint32_t i = 0; mem && i < c->nr_bufs; i++)
		free(mem[i]);
	free(mem);
	free(args2);
	free(fakes);
}

static void fuzz_call(const uint8_t *meta, size_t len, const struct wire_hdr *h,
		      const uint8_t *raw, size_t raw_avail)
{
	struct wire_call c;
	struct wire_limits agent;
	char err[256];
	uint64_t all;

	/* The agent's own limits: decoding allocates only what the meta's
	 * bytes can describe. */
	wire_limits_default(&agent);
	err[0] = '\0';
	if (wire_decode_call(meta, len, h->raw_len, &agent, &c, err,
			     sizeof(err)) == VACCEL_OK) {
		check_call(&c, h->raw_len, &agent, &all);
		wire_call_free(&c);
	} else {
		CHECK(err[0] && memchr(err, '\0', sizeof(err)));
	}
	CHECK(!c.op && !c.args && !c.bufs && !c.lists && !c.strings &&
	      !c.nr_bufs);

	/* This target's small limits: accepted calls are carried out. */
	err[0] = '\0';
	int ret =
	    wire_decode_call(meta, len, h->raw_len, &lim, &c, err, sizeof(err));
	SAY("  call: %s\n", ret ? err : c.op->name);
	if (ret) {
		/* On error the call holds nothing and err says why. */
		CHECK(!c.op && !c.args && !c.bufs && !c.nr_bufs);
		CHECK(err[0] && memchr(err, '\0', sizeof(err)));
		return;
	}
	check_call(&c, h->raw_len, &lim, &all);
	if (all <= MAX_ALLOC)
		exercise_call(&c, h->raw_len, raw, raw_avail);
	wire_call_free(&c);
}

/* ---- CALL_REPLY ------------------------------------------------------- */

static void fuzz_reply_case(unsigned int which, const uint8_t *meta, size_t len,
			    const struct wire_hdr *h, const uint8_t *raw,
			    size_t raw_avail)
{
	struct fuzz_case fc;
	struct segs in = {0};
	char msg[32];
	int status = -1;
	if (fuzz_case_init(&fc, which)) {
		fuzz_case_release(&fc);
		return;
	}
	/* The tensors' capacities, which a reply may only shrink. */
	uint64_t cap[FUZZ_MAX_ARGS][FUZZ_MAX_LIST];
	for (uint32_t i = 0; i < fc.op->nr_args; i++)
		for (unsigned int j = 0; j < FUZZ_MAX_LIST; j++)
			cap[i][j] = fc.tensors[i][j].size;
	memset(msg, 0x55, sizeof(msg));
	int ret = wire_decode_reply(meta, len, h->raw_len, fc.op, fc.args,
				    &status, msg, sizeof(msg), &in);
	if (ret == VACCEL_OK)
		SAY("  reply as %s: status %d\n", fc.name, status);
	if (ret == VACCEL_OK) {
		CHECK(status >= 0 && status <= 4096);
		CHECK(memchr(msg, '\0', sizeof(msg)));
		if (status != VACCEL_OK)
			CHECK(in.n == 0 && h->raw_len == 0);
		CHECK(!in.failed && in.total == h->raw_len);
		for (uint32_t i = 0; i < fc.op->nr_args; i++) {
			if (fc.op->args[i].kind != VACCEL_ARGK_TENSORS_OUT)
				continue;
			for (uint64_t j = 0; j < fc.args[i].len; j++) {
				const struct vaccel_tensor *t =
				    &fc.tensors[i][j];
				CHECK(t->size <= cap[i][j]);
				CHECK(t->ndim <= VACCEL_TENSOR_MAX_DIMS);
				CHECK(t->dtype < VACCEL_DTYPE_MAX);
			}
		}
		/* The client reads the raw part into what the reply named:
		 * every destination is the caller's, within its capacity. */
		for (uint32_t i = 0; i < in.n; i++) {
			CHECK(fuzz_case_owns(&fc, in.v[i].buf, in.v[i].len));
			uint64_t take =
			    in.v[i].len < raw_avail ? in.v[i].len : raw_avail;
			memcpy(in.v[i].buf, raw, take);
			memset((uint8_t *)in.v[i].buf + take, 0,
			       in.v[i].len - take);
			raw += take;
			raw_avail -= take;
		}
	}
	segs_free(&in);
	fuzz_case_release(&fc);
}

static void fuzz_reply(const uint8_t *meta, size_t len,
		       const struct wire_hdr *h, const uint8_t *raw,
		       size_t raw_avail)
{
	int status = -1;
	struct segs in = {0};
	/* No op: a reply to a request that had none (status only). */
	if (wire_decode_reply(meta, len, h->raw_len, NULL, NULL, &status, NULL,
			      0, &in) == VACCEL_OK)
		CHECK(in.n == 0 && h->raw_len == 0);
	segs_free(&in);
	for (unsigned int i = 0; i < fuzz_nr_cases(); i++)
		fuzz_reply_case(i, meta, len, h, raw, raw_avail);
}

/* ---- entry point ------------------------------------------------------ */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_hdr h;
	char err[160];
	walk_msgpack(data, size);
	if (size < WIRE_HDR_SIZE)
		return 0;
	if (wire_hdr_decode(data, &h, &lim, err, sizeof(err)) != VACCEL_OK) {
		CHECK(memchr(err, '\0', sizeof(err)));
		SAY("  header: %s\n", err);
		return 0;
	}
	CHECK(h.magic == WIRE_MAGIC && h.meta_len <= lim.max_meta &&
	      h.raw_len <= lim.max_raw);
	CHECK(h.kind >= WIRE_HELLO && h.kind <= WIRE_CTRL_REPLY);
	CHECK(strcmp(wire_kind_to_str(h.kind), "?") != 0);
	uint8_t again[WIRE_HDR_SIZE];
	wire_hdr_encode(&h, again);
	CHECK(memcmp(again, data, WIRE_HDR_SIZE) == 0);

	size_t avail = size - WIRE_HDR_SIZE;
	if (h.meta_len > avail)
		return 0; /* the peer would still be waiting for it */
	/* The meta in its own allocation, exactly its size, as the agent and
	 * the client hold it: a read past it is caught. */
	uint8_t *meta = malloc(h.meta_len ? h.meta_len : 1);
	if (!meta)
		return 0;
	memcpy(meta, data + WIRE_HDR_SIZE, h.meta_len);
	const uint8_t *raw = data + WIRE_HDR_SIZE + h.meta_len;
	size_t raw_avail = avail - h.meta_len;
	walk_msgpack(meta, h.meta_len);
	SAY("  %s frame, meta %u, raw %llu\n", wire_kind_to_str(h.kind),
	    h.meta_len, (unsigned long long)h.raw_len);
	switch (h.kind) {
	case WIRE_HELLO:
		parse_hello(meta, h.meta_len);
		break;
	case WIRE_HELLO_REPLY:
		parse_hello_reply(meta, h.meta_len);
		break;
	case WIRE_CALL:
		fuzz_call(meta, h.meta_len, &h, raw, raw_avail);
		break;
	case WIRE_CALL_REPLY:
		fuzz_reply(meta, h.meta_len, &h, raw, raw_avail);
		break;
	case WIRE_CTRL:
		parse_ctrl(meta, h.meta_len, &h);
		break;
	case WIRE_CTRL_REPLY:
		parse_ctrl_reply(meta, h.meta_len);
		break;
	}
	free(meta);
	return 0;
}
