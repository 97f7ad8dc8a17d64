// SPDX-License-Identifier: Apache-2.0
#include "codec.h"
#include <msgpack.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...)                                                              \
	do {                                                                   \
		if (err)                                                       \
			snprintf(err, errlen, __VA_ARGS__);                    \
		return VACCEL_EBACKEND;                                        \
	} while (0)

const char *wire_kind_to_str(unsigned int kind)
{
	switch (kind) {
#define X(name, value)                                                         \
	case value:                                                            \
		return #name;
		WIRE_KINDS_LIST(X)
#undef X
	default:
		return "?";
	}
}

void wire_limits_default(struct wire_limits *lim)
{
	lim->max_meta = 64u << 20;
	lim->max_buffer = 16ull << 30;
	lim->max_raw = 64ull << 30;
	lim->max_list = 1u << 16;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

void wire_hdr_encode(const struct wire_hdr *h, uint8_t out[WIRE_HDR_SIZE])
{
	put_le(out, h->magic, 4);
	put_le(out + 4, h->version, 2);
	put_le(out + 6, h->kind, 2);
	put_le(out + 8, h->req_id, 8);
	put_le(out + 16, h->meta_len, 4);
	put_le(out + 20, h->flags, 4);
	put_le(out + 24, h->raw_len, 8);
}

int wire_hdr_decode(const uint8_t in[WIRE_HDR_SIZE], struct wire_hdr *h,
		    const struct wire_limits *lim, char *err, size_t errlen)
{
	h->magic = (uint32_t)get_le(in, 4);
	h->version = (uint16_t)get_le(in + 4, 2);
	h->kind = (uint16_t)get_le(in + 6, 2);
	h->req_id = get_le(in + 8, 8);
	h->meta_len = (uint32_t)get_le(in + 16, 4);
	h->flags = (uint32_t)get_le(in + 20, 4);
	h->raw_len = get_le(in + 24, 8);
	if (h->magic != WIRE_MAGIC)
		FAIL("bad magic 0x%08x", h->magic);
	if (h->kind < WIRE_HELLO || h->kind > WIRE_CTRL_REPLY)
		FAIL("unknown frame kind %u", h->kind);
	if (h->meta_len > lim->max_meta) {
		if (err)
			snprintf(err, errlen,
				 "meta of %u bytes exceeds the limit of %u",
				 h->meta_len, lim->max_meta);
		return VACCEL_EMSGSIZE;
	}
	if (h->raw_len > lim->max_raw) {
		if (err)
			snprintf(
			    err, errlen,
			    "raw part of %llu bytes exceeds the limit of %llu",
			    (unsigned long long)h->raw_len,
			    (unsigned long long)lim->max_raw);
		return VACCEL_EMSGSIZE;
	}
	return VACCEL_OK;
}

/* ---- writing ---------------------------------------------------------- */

static int wbuf_write(void *data, const char *buf, size_t len)
{
	struct wbuf *b = data;
	if (b->failed)
		return -1;
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + len)
			cap *= 2;
		uint8_t *n = realloc(b->data, cap);
		if (!n) {
			b->failed = true;
			return -1;
		}
		b->data = n;
		b->cap = cap;
	}
	memcpy(b->data + b->len, buf, len);
	b->len += len;
	return 0;
}

void wbuf_reset(struct wbuf *b)
{
	b->len = 0;
	b->failed = false;
}

void wbuf_free(struct wbuf *b)
{
	free(b->data);
	*b = (struct wbuf){0};
}

#define PACKER(b) msgpack_packer pk = {.data = (b), .callback = wbuf_write}

void mp_put_nil(struct wbuf *b)
{
	PACKER(b);
	msgpack_pack_nil(&pk);
}

void mp_put_bool(struct wbuf *b, bool v)
{
	PACKER(b);
	if (v)
		msgpack_pack_true(&pk);
	else
		msgpack_pack_false(&pk);
}

void mp_put_uint(struct wbuf *b, uint64_t v)
{
	PACKER(b);
	msgpack_pack_uint64(&pk, v);
}

void mp_put_int(struct wbuf *b, int64_t v)
{
	PACKER(b);
	msgpack_pack_int64(&pk, v);
}

void mp_put_f64(struct wbuf *b, double v)
{
	PACKER(b);
	msgpack_pack_double(&pk, v);
}

void mp_put_str(struct wbuf *b, const char *s, size_t len)
{
	PACKER(b);
	msgpack_pack_str(&pk, len);
	msgpack_pack_str_body(&pk, s, len);
}

void mp_put_bin(struct wbuf *b, const void *p, size_t len)
{
	PACKER(b);
	msgpack_pack_bin(&pk, len);
	msgpack_pack_bin_body(&pk, p, len);
}

void mp_put_array(struct wbuf *b, uint32_t n)
{
	PACKER(b);
	msgpack_pack_array(&pk, n);
}

/* ---- reading ---------------------------------------------------------- */

static int need(const struct mp_reader *r, size_t n)
{
	return (size_t)(r->end - r->p) >= n ? 0 : VACCEL_EBACKEND;
}

static uint64_t be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Read any integer; *neg set for negative values (v then holds int64). */
static int get_integer(struct mp_reader *r, uint64_t *v, bool *neg)
{
	if (need(r, 1))
		return VACCEL_EBACKEND;
	uint8_t t = *r->p;
	*neg = false;
	if (t <= 0x7f) {
		*v = t;
		r->p++;
		return 0;
	}
	if (t >= 0xe0) {
		*v = (uint64_t)(int64_t)(int8_t)t;
		*neg = true;
		r->p++;
		return 0;
	}
	int n;
	bool s;
	switch (t) {
	case 0xcc:
		n = 1;
		s = false;
		break;
	case 0xcd:
		n = 2;
		s = false;
		break;
	case 0xce:
		n = 4;
		s = false;
		break;
	case 0xcf:
		n = 8;
		s = false;
		break;
	case 0xd0:
		n = 1;
		s = true;
		break;
	case 0xd1:
		n = 2;
		s = true;
		break;
	case 0xd2:
		n = 4;
		s = true;
		break;
	case 0xd3:
		n = 8;
		s = true;
		break;
	default:
		return VACCEL_EBACKEND;
	}
	if (need(r, 1 + (size_t)n))
		return VACCEL_EBACKEND;
	uint64_t raw = be(r->p + 1, n);
	r->p += 1 + n;
	if (s) {
		int64_t sv;
		switch (n) {
		case 1:
			sv = (int8_t)raw;
			break;
		case 2:
			sv = (int16_t)raw;
			break;
		case 4:
			sv = (int32_t)raw;
			break;
		default:
			sv = (int64_t)raw;
			break;
		}
		*v = (uint64_t)sv;
		*neg = sv < 0;
	} else {
		*v = raw;
	}
	return 0;
}

int mp_get_uint(struct mp_reader *r, uint64_t *v)
{
	bool neg;
	const uint8_t *save = r->p;
	if (get_integer(r, v, &neg) || neg) {
		r->p = save;
		return VACCEL_EBACKEND;
	}
	return 0;
}

int mp_get_int(struct mp_reader *r, int64_t *v)
{
	bool neg;
	uint64_t u;
	const uint8_t *save = r->p;
	if (get_integer(r, &u, &neg) || (!neg && u > INT64_MAX)) {
		r->p = save;
		return VACCEL_EBACKEND;
	}
	*v = (int64_t)u;
	return 0;
}

int mp_get_f64(struct mp_reader *r, double *v)
{
	if (need(r, 1))
		return VACCEL_EBACKEND;
	if (*r->p == 0xcb) {
		if (need(r, 9))
			return VACCEL_EBACKEND;
		uint64_t b = be(r->p + 1, 8);
		memcpy(v, &b, 8);
		r->p += 9;
		return 0;
	}
	if (*r->p == 0xca) {
		if (need(r, 5))
			return VACCEL_EBACKEND;
		uint32_t b = (uint32_t)be(r->p + 1, 4);
		float f;
		memcpy(&f, &b, 4);
		*v = f;
		r->p += 5;
		return 0;
	}
	return VACCEL_EBACKEND;
}

int mp_get_bool(struct mp_reader *r, bool *v)
{
	if (need(r, 1) || (*r->p != 0xc2 && *r->p != 0xc3))
		return VACCEL_EBACKEND;
	*v = *r->p++ == 0xc3;
	return 0;
}

bool mp_next_is_nil(const struct mp_reader *r)
{
	return r->p < r->end && *r->p == 0xc0;
}

int mp_get_nil(struct mp_reader *r)
{
	if (!mp_next_is_nil(r))
		return VACCEL_EBACKEND;
	r->p++;
	return 0;
}

static int get_lenobj(struct mp_reader *r, bool str, const void **p,
		      uint32_t *len)
{
	if (need(r, 1))
		return VACCEL_EBACKEND;
	uint8_t t = *r->p;
	int n;
	uint64_t l;
	if (str && t >= 0xa0 && t <= 0xbf) {
		n = 0;
		l = t & 0x1f;
	} else if (t == (str ? 0xd9 : 0xc4)) {
		n = 1;
	} else if (t == (str ? 0xda : 0xc5)) {
		n = 2;
	} else if (t == (str ? 0xdb : 0xc6)) {
		n = 4;
	} else {
		return VACCEL_EBACKEND;
	}
	if (need(r, 1 + (size_t)n))
		return VACCEL_EBACKEND;
	if (n)
		l = be(r->p + 1, n);
	if ((uint64_t)(r->end - r->p) - 1 - (uint64_t)n < l)
		return VACCEL_EBACKEND;
	*p = r->p + 1 + n;
	*len = (uint32_t)l;
	r->p += 1 + n + l;
	return 0;
}

int mp_get_str(struct mp_reader *r, const char **s, uint32_t *len)
{
	return get_lenobj(r, true, (const void **)s, len);
}

int mp_get_bin(struct mp_reader *r, const void **p, uint32_t *len)
{
	return get_lenobj(r, false, p, len);
}

int mp_get_array(struct mp_reader *r, uint32_t *n)
{
	if (need(r, 1))
		return VACCEL_EBACKEND;
	uint8_t t = *r->p;
	int w;
	uint64_t c;
	if (t >= 0x90 && t <= 0x9f) {
		w = 0;
		c = t & 0x0f;
	} else if (t == 0xdc) {
		w = 2;
	} else if (t == 0xdd) {
		w = 4;
	} else {
		return VACCEL_EBACKEND;
	}
	if (need(r, 1 + (size_t)w))
		return VACCEL_EBACKEND;
	if (w)
		c = be(r->p + 1, w);
	/* Every element takes at least one byte. */
	if (c > (uint64_t)(r->end - r->p) - 1 - (uint64_t)w)
		return VACCEL_EBACKEND;
	r->p += 1 + w;
	*n = (uint32_t)c;
	return 0;
}

/* ---- segments --------------------------------------------------------- */

void segs_reset(struct segs *s)
{
	s->n = 0;
	s->total = 0;
	s->failed = false;
}

void segs_free(struct segs *s)
{
	free(s->v);
	*s = (struct segs){0};
}

void segs_add(struct segs *s, void *buf, uint64_t len)
{
	if (!len || s->failed)
		return;
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 8;
		struct wire_seg *v = realloc(s->v, cap * sizeof(*v));
		if (!v) {
			s->failed = true;
			return;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = (struct wire_seg){.buf = buf, .len = len};
	s->total += len;
}

/* ---- calls: client side ----------------------------------------------- */

static bool is_int_type(enum vaccel_arg_type t)
{
	return t == VACCEL_ARGT_I32 || t == VACCEL_ARGT_U32 ||
	       t == VACCEL_ARGT_I64 || t == VACCEL_ARGT_U64 ||
	       t == VACCEL_ARGT_U8;
}

static void put_scalar(struct wbuf *m, const struct vaccel_op_argdesc *d,
		       const struct vaccel_oparg *a)
{
	switch (d->type) {
	case VACCEL_ARGT_F32:
		mp_put_f64(m, a->v.f32);
		break;
	case VACCEL_ARGT_F64:
		mp_put_f64(m, a->v.f64);
		break;
	case VACCEL_ARGT_C64:
		mp_put_array(m, 2);
		mp_put_f64(m, a->v.c64[0]);
		mp_put_f64(m, a->v.c64[1]);
		break;
	case VACCEL_ARGT_C128:
		mp_put_array(m, 2);
		mp_put_f64(m, a->v.c128[0]);
		mp_put_f64(m, a->v.c128[1]);
		break;
	default:
		mp_put_int(m, a->v.i);
	}
}

/* A tensor list as [[dtype, [dims...], size], ...], data as segments. */
static void put_tensors(struct wbuf *meta, struct segs *out,
			const struct vaccel_tensor *t, uint64_t n)
{
	mp_put_array(meta, (uint32_t)n);
	for (uint64_t j = 0; j < n; j++) {
		/* [dtype, dims, size] or, for a strided view, [dtype, dims,
		 * size, strides, offset] */
		bool strided = vaccel_tensor_strided(&t[j]);
		mp_put_array(meta, strided ? 5 : 3);
		mp_put_uint(meta, t[j].dtype);
		mp_put_array(meta, t[j].ndim);
		for (uint32_t k = 0; k < t[j].ndim; k++)
			mp_put_int(meta, t[j].dims[k]);
		mp_put_uint(meta, t[j].size);
		if (strided) {
			mp_put_array(meta, t[j].ndim);
			for (uint32_t k = 0; k < t[j].ndim; k++)
				mp_put_int(meta, t[j].strides[k]);
			mp_put_uint(meta, t[j].offset);
		}
		segs_add(out, t[j].data, t[j].size);
	}
}

static bool is_buffer_kind(enum vaccel_arg_kind k)
{
	return k == VACCEL_ARGK_IN || k == VACCEL_ARGK_OUT ||
	       k == VACCEL_ARGK_INOUT;
}

bool wire_alias_plan(const struct vaccel_op_desc *op,
		     const struct vaccel_oparg *args, struct wire_alias *plan)
{
	uint32_t n = op->nr_args;
	bool any = false;
	for (uint32_t i = 0; i < n; i++)
		plan[i] = (struct wire_alias){.lead = -1, .back = -1};
	if (n > WIRE_ALIAS_MAX_ARGS)
		return false;
	/* Groups by repeated merging: a buffer joins the group of the first
	 * earlier one it overlaps, and groups it bridges merge. O(n^2) over
	 * a handful of arguments. */
	uintptr_t lo[WIRE_ALIAS_MAX_ARGS], hi[WIRE_ALIAS_MAX_ARGS];
	int32_t grp[WIRE_ALIAS_MAX_ARGS];
	for (uint32_t i = 0; i < n; i++) {
		grp[i] = -1;
		if (!is_buffer_kind(op->args[i].kind) || !args[i].len ||
		    !args[i].buf)
			continue;
		lo[i] = (uintptr_t)args[i].buf;
		if (__builtin_add_overflow(lo[i], args[i].len, &hi[i]))
			return false;
		grp[i] = (int32_t)i;
		for (uint32_t j = 0; j < i; j++) {
			if (grp[j] < 0 || lo[j] >= hi[i] || lo[i] >= hi[j])
				continue;
			int32_t from = grp[i], to = grp[j];
			if (from == to)
				continue;
			if (from < to) {
				int32_t t = from;
				from = to;
				to = t;
			}
			for (uint32_t k = 0; k <= i; k++)
				if (grp[k] == from)
					grp[k] = to;
			any = true;
		}
	}
	if (!any)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		int32_t g = grp[i];
		if (g < 0)
			continue;
		bool shared = false;
		for (uint32_t k = 0; k < n && !shared; k++)
			shared = k != i && grp[k] == g;
		if (!shared)
			continue;
		struct wire_alias *L = &plan[g];
		L->lead = g;
		if (i == (uint32_t)g) {
			uintptr_t base = lo[i], end = hi[i];
			for (uint32_t k = i + 1; k < n; k++) {
				if (grp[k] != g)
					continue;
				base = lo[k] < base ? lo[k] : base;
				end = hi[k] > end ? hi[k] : end;
			}
			L->span = end - base;
			/* offsets of the members follow from the base */
			for (uint32_t k = i; k < n; k++)
				if (grp[k] == g)
					plan[k].off = lo[k] - base;
		}
		plan[i].lead = g;
		if (L->back < 0 && op->args[i].kind != VACCEL_ARGK_IN)
			L->back = (int32_t)i;
	}
	return true;
}

int wire_encode_call(struct wbuf *meta, struct segs *out,
		     const struct vaccel_op_desc *op,
		     const struct vaccel_oparg *args, int64_t remote_sess,
		     uint64_t sig_hash)
{
	struct wire_alias plan[WIRE_ALIAS_MAX_ARGS];
	bool aliased = wire_alias_plan(op, args, plan);
	mp_put_array(meta, 4);
	mp_put_uint(meta, op->id);
	mp_put_uint(meta, sig_hash);
	mp_put_int(meta, remote_sess);
	mp_put_array(meta, op->nr_args);
	for (uint32_t i = 0; i < op->nr_args; i++) {
		const struct vaccel_op_argdesc *d = &op->args[i];
		const struct vaccel_oparg *a = &args[i];
		if (aliased && plan[i].lead >= 0) {
			/* [len, lead, offset] and, at the lead, the region's
			 * span, whose bytes travel there once */
			uint32_t lead = (uint32_t)plan[i].lead;
			mp_put_array(meta, lead == i ? 4 : 3);
			mp_put_uint(meta, a->len);
			mp_put_uint(meta, lead);
			mp_put_uint(meta, plan[i].off);
			if (lead == i) {
				mp_put_uint(meta, plan[i].span);
				segs_add(out, wire_alias_base(args, plan, i),
					 plan[i].span);
			}
			continue;
		}
		switch (d->kind) {
		case VACCEL_ARGK_SCALAR:
			put_scalar(meta, d, a);
			break;
		case VACCEL_ARGK_IN:
		case VACCEL_ARGK_INOUT:
			mp_put_uint(meta, a->len);
			if (!wire_arg_overwritten(d, args))
				segs_add(out, a->buf, a->len);
			break;
		case VACCEL_ARGK_OUT:
			mp_put_uint(meta, a->len);
			break;
		case VACCEL_ARGK_STRING:
			mp_put_str(meta, a->buf, a->len);
			break;
		case VACCEL_ARGK_RESOURCE:
			mp_put_int(meta,
				   ((const struct vaccel_resource *)a->buf)
				       ->remote_id);
			break;
		case VACCEL_ARGK_ARGS_IN:
		case VACCEL_ARGK_ARGS_OUT: {
			const struct vaccel_arg *l = a->buf;
			mp_put_array(meta, (uint32_t)a->len);
			for (uint64_t j = 0; j < a->len; j++) {
				mp_put_array(meta, 2);
				mp_put_uint(meta, l[j].argtype);
				mp_put_uint(meta, l[j].size);
				if (d->kind == VACCEL_ARGK_ARGS_IN)
					segs_add(out, l[j].buf, l[j].size);
			}
			break;
		}
		case VACCEL_ARGK_TENSORS_IN: {
			const struct vaccel_tensor *t = a->buf;
			put_tensors(meta, out, t, a->len);
			break;
		}
		case VACCEL_ARGK_TENSORS_OUT: {
			const struct vaccel_tensor *t = a->buf;
			mp_put_array(meta, (uint32_t)a->len);
			for (uint64_t j = 0; j < a->len; j++)
				mp_put_uint(meta, t[j].size);
			break;
		}
		}
	}
	return (meta->failed || out->failed) ? VACCEL_ENOMEM : VACCEL_OK;
}

/* ---- calls: agent side ------------------------------------------------ */

static int add_buf(struct wire_call *c, uint32_t *cap, uint32_t arg,
		   uint32_t elem, enum wire_buf_role role, bool on_wire,
		   uint64_t len)
{
	if (c->nr_bufs == *cap) {
		uint32_t n = *cap ? *cap * 2 : 8;
		struct wire_buf *b = realloc(c->bufs, n * sizeof(*b));
		if (!b)
			return VACCEL_ENOMEM;
		c->bufs = b;
		*cap = n;
	}
	c->bufs[c->nr_bufs++] = (struct wire_buf){.arg = arg,
						  .elem = elem,
						  .role = role,
						  .on_wire = on_wire,
						  .len = len};
	return VACCEL_OK;
}

void wire_call_free(struct wire_call *c)
{
	if (c->op) {
		for (uint32_t i = 0; i < c->op->nr_args; i++) {
			const struct vaccel_op_argdesc *d = &c->op->args[i];
			/* a framework's outputs: the op allocated them */
			if (c->lists && c->lists[i] && c->args &&
			    d->kind == VACCEL_ARGK_TENSORS_OUT &&
			    d->type == VACCEL_ARGT_RAW) {
				struct vaccel_tensor *t = c->lists[i];
				for (uint64_t j = 0; j < c->args[i].len; j++)
					free(t[j].data);
			}
			if (c->lists)
				free(c->lists[i]);
			if (c->strings)
				free(c->strings[i]);
		}
	}
	free(c->lists);
	free(c->strings);
	free(c->args);
	free(c->res_ids);
	free(c->bufs);
	free(c->alias);
	*c = (struct wire_call){0};
}

/* n msgpack ints into v; nonzero if any is not one. */
static int get_ints(struct mp_reader *r, uint32_t n, int64_t *v)
{
	for (uint32_t k = 0; k < n; k++)
		if (mp_get_int(r, &v[k]))
			return -1;
	return 0;
}

static bool next_is_array(const struct mp_reader *r)
{
	return r->p < r->end &&
	       ((*r->p & 0xf0) == 0x90 || *r->p == 0xdc || *r->p == 0xdd);
}

/* One aliased buffer argument: [len, lead, offset] or, at the lead,
 * [len, lead, offset, span] (wire_encode_call). */
static int get_aliased(struct mp_reader *r, struct wire_call *c,
		       uint32_t *cap, uint32_t i, const struct wire_limits *lim,
		       uint64_t *in_bytes, char *err, size_t errlen)
{
	const struct vaccel_op_desc *op = c->op;
	const char *name = op->args[i].name;
	uint32_t n;
	uint64_t len, lead, off, span = 0;
	if (mp_get_array(r, &n) || (n != 3 && n != 4) ||
	    mp_get_uint(r, &len) || mp_get_uint(r, &lead) ||
	    mp_get_uint(r, &off) || (n == 4 && mp_get_uint(r, &span))) {
		snprintf(err, errlen, "op '%s' argument '%s': malformed alias",
			 op->name, name);
		return VACCEL_EINVAL;
	}
	if (op->nr_args > WIRE_ALIAS_MAX_ARGS || lead > i ||
	    (n == 4) != (lead == i)) {
		snprintf(err, errlen,
			 "op '%s' argument '%s': alias of argument %llu",
			 op->name, name, (unsigned long long)lead);
		return VACCEL_EINVAL;
	}
	if (!c->alias) {
		c->alias = malloc(op->nr_args * sizeof(*c->alias));
		if (!c->alias) {
			snprintf(err, errlen, "out of memory");
			return VACCEL_ENOMEM;
		}
		for (uint32_t k = 0; k < op->nr_args; k++)
			c->alias[k] = (struct wire_alias){.lead = -1,
							  .back = -1};
	}
	struct wire_alias *L = &c->alias[lead];
	if (n == 4) {
		if (span > lim->max_buffer) {
			snprintf(err, errlen,
				 "op '%s' argument '%s': a region of %llu "
				 "bytes exceeds the buffer limit",
				 op->name, name, (unsigned long long)span);
			return VACCEL_EMSGSIZE;
		}
		L->lead = (int32_t)i;
		L->span = span;
		int ret = add_buf(c, cap, i, 0, WB_REGION, true, span);
		if (ret) {
			snprintf(err, errlen, "out of memory");
			return ret;
		}
		if (__builtin_add_overflow(*in_bytes, span, in_bytes)) {
			snprintf(err, errlen, "op '%s': input sizes overflow",
				 op->name);
			return VACCEL_EINVAL;
		}
	} else if (L->lead != (int32_t)lead) {
		snprintf(err, errlen,
			 "op '%s' argument '%s': argument %llu leads no "
			 "region",
			 op->name, name, (unsigned long long)lead);
		return VACCEL_EINVAL;
	}
	if (off > L->span || len > L->span - off || !len) {
		snprintf(err, errlen,
			 "op '%s' argument '%s': %llu bytes at %llu lie outside "
			 "its region of %llu",
			 op->name, name, (unsigned long long)len,
			 (unsigned long long)off, (unsigned long long)L->span);
		return VACCEL_EINVAL;
	}
	c->alias[i].lead = (int32_t)lead;
	c->alias[i].off = off;
	if (L->back < 0 && op->args[i].kind != VACCEL_ARGK_IN)
		L->back = (int32_t)i;
	c->args[i].len = len;
	return VACCEL_OK;
}

/* Whether the members of a region (offsets and lengths, none empty) are
 * one group by overlap, as wire_alias_plan() groups a call's buffers:
 * members that merely lie in one span, with a gap or only touching, are
 * not. */
static bool members_connected(const uint64_t *off, const uint64_t *len,
			      unsigned int n)
{
	bool in[WIRE_ALIAS_MAX_ARGS] = {true};
	unsigned int reached = 1;
	for (bool grew = true; grew;) {
		grew = false;
		for (unsigned int k = 0; k < n; k++)
			for (unsigned int j = 0; !in[k] && j < n; j++)
				if (in[j] && off[j] < off[k] + len[k] &&
				    off[k] < off[j] + len[j]) {
					in[k] = grew = true;
					reached++;
				}
	}
	return reached == n;
}

/* The regions' members cover them exactly, from their first byte to their
 * last, overlapping one another into one group, none empty, and no region
 * has a single member: what the agent's own plan of the reply will find
 * again. */
static int check_regions(const struct wire_call *c, char *err,
			 size_t errlen)
{
	const struct vaccel_op_desc *op = c->op;
	for (uint32_t g = 0; c->alias && g < op->nr_args; g++) {
		if (c->alias[g].lead != (int32_t)g)
			continue;
		uint64_t lo = UINT64_MAX, hi = 0;
		uint64_t offs[WIRE_ALIAS_MAX_ARGS], lens[WIRE_ALIAS_MAX_ARGS];
		unsigned int members = 0;
		bool empty = false;
		for (uint32_t k = g; k < op->nr_args; k++) {
			if (c->alias[k].lead != (int32_t)g)
				continue;
			uint64_t o = c->alias[k].off;
			if (members < WIRE_ALIAS_MAX_ARGS) {
				offs[members] = o;
				lens[members] = c->args[k].len;
			}
			members++;
			empty = empty || !c->args[k].len;
			lo = o < lo ? o : lo;
			hi = o + c->args[k].len > hi ? o + c->args[k].len : hi;
		}
		if (members < 2 || members > WIRE_ALIAS_MAX_ARGS || empty ||
		    lo != 0 || hi != c->alias[g].span ||
		    !members_connected(offs, lens, members)) {
			snprintf(err, errlen,
				 "op '%s' argument '%s': its region is not "
				 "the union of two or more arguments",
				 op->name, op->args[g].name);
			return VACCEL_EINVAL;
		}
	}
	return VACCEL_OK;
}

#define BAD(...)                                                               \
	do {                                                                   \
		snprintf(err, errlen, __VA_ARGS__);                            \
		ret = ret ? ret : VACCEL_EINVAL;                               \
		goto fail;                                                     \
	} while (0)

int wire_decode_call(const uint8_t *meta, size_t len, uint64_t raw_len,
		     const struct wire_limits *lim, struct wire_call *c,
		     char *err, size_t errlen)
{
	struct mp_reader r = {meta, meta + len};
	uint32_t n, cap = 0;
	uint64_t op_id, in_bytes = 0;
	int ret = 0;
	*c = (struct wire_call){0};
	if (mp_get_array(&r, &n) || n != 4 || mp_get_uint(&r, &op_id) ||
	    mp_get_uint(&r, &c->sig_hash) || mp_get_int(&r, &c->sess_id)) {
		ret = VACCEL_EBACKEND;
		BAD("malformed call header");
	}
	c->op =
	    op_id <= UINT32_MAX ? vaccel_op_desc_by_id((uint32_t)op_id) : NULL;
	if (!c->op) {
		ret = VACCEL_ENOTSUP;
		BAD("unknown op id %llu", (unsigned long long)op_id);
	}
	const struct vaccel_op_desc *op = c->op;
	c->op_id = op->id;
	if (c->sig_hash != op->sig_hash) {
		ret = VACCEL_EBACKEND;
		BAD("op '%s': its signature differs between guest and host "
		    "(guest %016llx, host %016llx)",
		    op->name, (unsigned long long)c->sig_hash,
		    (unsigned long long)op->sig_hash);
	}
	if (mp_get_array(&r, &n) || n != op->nr_args) {
		ret = VACCEL_EBACKEND;
		BAD("op '%s' takes %u arguments", op->name, op->nr_args);
	}
	c->args = calloc(op->nr_args ? op->nr_args : 1, sizeof(*c->args));
	c->res_ids = calloc(op->nr_args ? op->nr_args : 1, sizeof(int64_t));
	c->lists = calloc(op->nr_args ? op->nr_args : 1, sizeof(void *));
	c->strings = calloc(op->nr_args ? op->nr_args : 1, sizeof(char *));
	if (!c->args || !c->res_ids || !c->lists || !c->strings) {
		ret = VACCEL_ENOMEM;
		BAD("out of memory");
	}
	for (uint32_t i = 0; i < op->nr_args; i++) {
		const struct vaccel_op_argdesc *d = &op->args[i];
		struct vaccel_oparg *a = &c->args[i];
		uint64_t u;
		switch (d->kind) {
		case VACCEL_ARGK_SCALAR:
			if (is_int_type(d->type)) {
				if (mp_get_int(&r, &a->v.i))
					BAD("op '%s' argument '%s': expected "
					    "an "
					    "integer",
					    op->name, d->name);
				if ((d->type == VACCEL_ARGT_U32 &&
				     (a->v.i < 0 || a->v.i > UINT32_MAX)) ||
				    (d->type == VACCEL_ARGT_I32 &&
				     (a->v.i < INT32_MIN ||
				      a->v.i > INT32_MAX)))
					BAD("op '%s' argument '%s': out of "
					    "range",
					    op->name, d->name);
			} else if (d->type == VACCEL_ARGT_F32 ||
				   d->type == VACCEL_ARGT_F64) {
				double f;
				if (mp_get_f64(&r, &f))
					BAD("op '%s' argument '%s': expected a "
					    "float",
					    op->name, d->name);
				if (d->type == VACCEL_ARGT_F32)
					a->v.f32 = (float)f;
				else
					a->v.f64 = f;
			} else {
				double re, im;
				if (mp_get_array(&r, &n) || n != 2 ||
				    mp_get_f64(&r, &re) || mp_get_f64(&r, &im))
					BAD("op '%s' argument '%s': expected a "
					    "complex pair",
					    op->name, d->name);
				if (d->type == VACCEL_ARGT_C64) {
					a->v.c64[0] = (float)re;
					a->v.c64[1] = (float)im;
				} else {
					a->v.c128[0] = re;
					a->v.c128[1] = im;
				}
			}
			break;
		case VACCEL_ARGK_IN:
		case VACCEL_ARGK_INOUT:
		case VACCEL_ARGK_OUT:
			if (next_is_array(&r)) {
				ret = get_aliased(&r, c, &cap, i, lim,
						  &in_bytes, err, errlen);
				if (ret)
					goto fail;
				break;
			}
			if (mp_get_uint(&r, &u))
				BAD("op '%s' argument '%s': expected a length",
				    op->name, d->name);
			if (u > lim->max_buffer) {
				ret = VACCEL_EMSGSIZE;
				BAD("op '%s' argument '%s': %llu bytes exceeds "
				    "the buffer limit",
				    op->name, d->name, (unsigned long long)u);
			}
			a->len = u;
			/* Described here, in argument order, as the encoder
			 * sends them; the size rule is checked below, once
			 * every scalar is known. */
			ret = add_buf(c, &cap, i, 0,
				      d->kind == VACCEL_ARGK_OUT ? WB_OUT_ARG
								 : WB_IN_ARG,
				      d->kind != VACCEL_ARGK_OUT, u);
			if (ret)
				BAD("out of memory");
			if (d->kind != VACCEL_ARGK_OUT &&
			    __builtin_add_overflow(in_bytes, u, &in_bytes))
				BAD("op '%s': input sizes overflow", op->name);
			break;
		case VACCEL_ARGK_STRING: {
			const char *s;
			uint32_t sl;
			if (mp_get_str(&r, &s, &sl) || memchr(s, 0, sl))
				BAD("op '%s' argument '%s': expected a string",
				    op->name, d->name);
			c->strings[i] = strndup(s, sl);
			if (!c->strings[i]) {
				ret = VACCEL_ENOMEM;
				BAD("out of memory");
			}
			a->buf = c->strings[i];
			a->len = sl;
			break;
		}
		case VACCEL_ARGK_RESOURCE:
			if (mp_get_int(&r, &c->res_ids[i]))
				BAD("op '%s' argument '%s': expected a "
				    "resource "
				    "id",
				    op->name, d->name);
			break;
		case VACCEL_ARGK_ARGS_IN:
		case VACCEL_ARGK_ARGS_OUT: {
			if (mp_get_array(&r, &n) || n > lim->max_list)
				BAD("op '%s' argument '%s': bad argument list",
				    op->name, d->name);
			struct vaccel_arg *l = calloc(n ? n : 1, sizeof(*l));
			if (!l) {
				ret = VACCEL_ENOMEM;
				BAD("out of memory");
			}
			c->lists[i] = l;
			a->buf = l;
			a->len = n;
			bool in = d->kind == VACCEL_ARGK_ARGS_IN;
			for (uint32_t j = 0; j < n; j++) {
				uint32_t two;
				uint64_t type, size;
				if (mp_get_array(&r, &two) || two != 2 ||
				    mp_get_uint(&r, &type) ||
				    mp_get_uint(&r, &size) ||
				    type > UINT32_MAX || size > UINT32_MAX ||
				    size > lim->max_buffer)
					BAD("op '%s' argument '%s': bad entry "
					    "%u",
					    op->name, d->name, j);
				l[j].argtype = (uint32_t)type;
				l[j].size = (uint32_t)size;
				ret = add_buf(c, &cap, i, j,
					      in ? WB_IN_LIST : WB_OUT_LIST, in,
					      size);
				if (ret)
					BAD("out of memory");
				if (in && __builtin_add_overflow(in_bytes, size,
								 &in_bytes))
					BAD("op '%s': input sizes overflow",
					    op->name);
			}
			break;
		}
		case VACCEL_ARGK_TENSORS_IN:
		case VACCEL_ARGK_TENSORS_OUT: {
			if (mp_get_array(&r, &n) || n > lim->max_list)
				BAD("op '%s' argument '%s': bad tensor list",
				    op->name, d->name);
			struct vaccel_tensor *t = calloc(n ? n : 1, sizeof(*t));
			if (!t) {
				ret = VACCEL_ENOMEM;
				BAD("out of memory");
			}
			c->lists[i] = t;
			a->buf = t;
			a->len = n;
			bool in = d->kind == VACCEL_ARGK_TENSORS_IN;
			bool raw = d->type == VACCEL_ARGT_RAW;
			for (uint32_t j = 0; j < n; j++) {
				uint64_t dtype = 0, size;
				uint32_t parts, nd = 0;
				if (in) {
					/* 3 parts, or 5 for a strided view */
					if (mp_get_array(&r, &parts) ||
					    (parts != 3 && parts != 5) ||
					    mp_get_uint(&r, &dtype) ||
					    (!raw &&
					     dtype >= VACCEL_DTYPE_MAX) ||
					    dtype > UINT32_MAX ||
					    mp_get_array(&r, &nd) ||
					    nd > VACCEL_TENSOR_MAX_DIMS)
						BAD("op '%s' argument '%s': "
						    "bad "
						    "tensor %u",
						    op->name, d->name, j);
					uint32_t snd = nd;
					if (get_ints(&r, nd, t[j].dims) ||
					    mp_get_uint(&r, &size) ||
					    (parts == 5 &&
					     (mp_get_array(&r, &snd) ||
					      snd != nd ||
					      get_ints(&r, nd, t[j].strides) ||
					      mp_get_uint(&r, &t[j].offset))))
						BAD("op '%s' argument '%s': "
						    "bad tensor %u",
						    op->name, d->name, j);
					t[j].dtype = (uint32_t)dtype;
					t[j].ndim = nd;
					/* a framework's element size is its
					 * own: its views are checked as
					 * bytes */
					uint64_t span;
					bool strided =
					    vaccel_tensor_strided(&t[j]);
					/* strings: their bytes are checked
					 * once they are in
					 * (vaccel_tensor_strings_ok) */
					bool strs =
					    !raw &&
					    dtype == VACCEL_DTYPE_STRING;
					if (vaccel_tensor_span(
						&t[j],
						raw ? 1
						    : vaccel_dtype_size(
							  (uint32_t)dtype),
						&span) ||
					    (parts == 5 && !strided) ||
					    (strs && strided) ||
					    (strided ? span > size
						     : !raw && !strs &&
							   span != size))
						BAD("op '%s' argument '%s': "
						    "tensor %u size does not "
						    "match its shape",
						    op->name, d->name, j);
				} else if (mp_get_uint(&r, &size)) {
					BAD("op '%s' argument '%s': bad tensor "
					    "%u",
					    op->name, d->name, j);
				} else if (raw && size) {
					BAD("op '%s' argument '%s': tensor %u "
					    "has a capacity, but the op "
					    "allocates these outputs",
					    op->name, d->name, j);
				}
				if (size > lim->max_buffer) {
					ret = VACCEL_EMSGSIZE;
					BAD("op '%s' argument '%s': tensor %u "
					    "exceeds the buffer limit",
					    op->name, d->name, j);
				}
				t[j].dtype = (uint32_t)dtype;
				t[j].ndim = nd;
				t[j].size = size;
				if (raw && !in)
					continue; /* allocated by the op */
				ret = add_buf(c, &cap, i, j,
					      in ? WB_IN_LIST : WB_OUT_LIST, in,
					      size);
				if (ret)
					BAD("out of memory");
				if (in && __builtin_add_overflow(in_bytes, size,
								 &in_bytes))
					BAD("op '%s': input sizes overflow",
					    op->name);
			}
			break;
		}
		}
	}
	if (r.p != r.end)
		BAD("op '%s': %zu trailing bytes", op->name,
		    (size_t)(r.end - r.p));
	/* Size rules, now that every scalar they depend on is known. */
	for (uint32_t i = 0; i < op->nr_args; i++) {
		const struct vaccel_op_argdesc *d = &op->args[i];
		if (d->kind < VACCEL_ARGK_IN || d->kind > VACCEL_ARGK_INOUT ||
		    !d->nelems)
			continue;
		size_t es = vaccel_op_elem_size(op, c->args, i);
		int64_t ne = d->nelems(c->args), bytes;
		if (!es || ne < 0 ||
		    __builtin_mul_overflow(ne, (int64_t)es, &bytes) ||
		    (uint64_t)bytes != c->args[i].len)
			BAD("op '%s' argument '%s': %llu bytes do not "
			    "match its size rule",
			    op->name, d->name,
			    (unsigned long long)c->args[i].len);
	}
	if (check_regions(c, err, errlen))
		goto fail;
	/* Inout buffers this call overwrites whole travel back only. */
	for (uint32_t b = 0; b < c->nr_bufs; b++) {
		struct wire_buf *wb = &c->bufs[b];
		if (wb->role == WB_IN_ARG &&
		    wire_arg_overwritten(&op->args[wb->arg], c->args)) {
			wb->on_wire = false;
			wb->overwritten = true;
			in_bytes -= wb->len;
		}
	}
	if ((raw_len != WIRE_RAW_ANY && in_bytes != raw_len))
		BAD("op '%s': frame carries %llu raw bytes, arguments declare "
		    "%llu",
		    op->name, (unsigned long long)raw_len,
		    (unsigned long long)in_bytes);
	return VACCEL_OK;
fail:
	wire_call_free(c);
	return ret ? ret : VACCEL_EINVAL;
}

void wire_call_bind(struct wire_call *c, void **mem)
{
	for (uint32_t b = 0; b < c->nr_bufs; b++) {
		struct wire_buf *wb = &c->bufs[b];
		struct vaccel_oparg *a = &c->args[wb->arg];
		switch (wb->role) {
		case WB_IN_ARG:
		case WB_OUT_ARG:
			a->buf = mem[b];
			break;
		case WB_REGION:
			for (uint32_t k = wb->arg; k < c->op->nr_args; k++)
				if (c->alias[k].lead == (int32_t)wb->arg)
					c->args[k].buf =
					    (uint8_t *)mem[b] + c->alias[k].off;
			break;
		case WB_IN_LIST:
		case WB_OUT_LIST:
			if (c->op->args[wb->arg].kind == VACCEL_ARGK_ARGS_IN ||
			    c->op->args[wb->arg].kind == VACCEL_ARGK_ARGS_OUT)
				((struct vaccel_arg *)a->buf)[wb->elem].buf =
				    mem[b];
			else
				((struct vaccel_tensor *)a->buf)[wb->elem]
				    .data = mem[b];
			break;
		}
	}
}

/* ---- replies ---------------------------------------------------------- */

int wire_encode_reply(struct wbuf *meta, struct segs *out, int status,
		      const char *msg, const struct vaccel_op_desc *op,
		      const struct vaccel_oparg *args)
{
	mp_put_array(meta, 3);
	mp_put_int(meta, status);
	mp_put_str(meta, msg ? msg : "", msg ? strlen(msg) : 0);
	if (status != VACCEL_OK || !op) {
		mp_put_array(meta, 0);
		return meta->failed ? VACCEL_ENOMEM : VACCEL_OK;
	}
	uint32_t nouts = 0;
	for (uint32_t i = 0; i < op->nr_args; i++) {
		enum vaccel_arg_kind k = op->args[i].kind;
		nouts += k == VACCEL_ARGK_OUT || k == VACCEL_ARGK_INOUT ||
			 k == VACCEL_ARGK_ARGS_OUT ||
			 k == VACCEL_ARGK_TENSORS_OUT;
	}
	/* an alias group's region comes back once, at its first written
	 * member; the others say 0 bytes */
	struct wire_alias plan[WIRE_ALIAS_MAX_ARGS];
	bool aliased = wire_alias_plan(op, args, plan);
	mp_put_array(meta, nouts);
	for (uint32_t i = 0; i < op->nr_args; i++) {
		const struct vaccel_oparg *a = &args[i];
		switch (op->args[i].kind) {
		case VACCEL_ARGK_OUT:
		case VACCEL_ARGK_INOUT:
			if (aliased && plan[i].lead >= 0) {
				uint32_t g = (uint32_t)plan[i].lead;
				bool back = plan[g].back == (int32_t)i;
				mp_put_uint(meta, back ? plan[g].span : 0);
				if (back)
					segs_add(out,
						 wire_alias_base(args, plan, g),
						 plan[g].span);
				break;
			}
			mp_put_uint(meta, a->len);
			segs_add(out, a->buf, a->len);
			break;
		case VACCEL_ARGK_ARGS_OUT: {
			const struct vaccel_arg *l = a->buf;
			mp_put_array(meta, (uint32_t)a->len);
			for (uint64_t j = 0; j < a->len; j++) {
				mp_put_uint(meta, l[j].size);
				segs_add(out, l[j].buf, l[j].size);
			}
			break;
		}
		case VACCEL_ARGK_TENSORS_OUT: {
			const struct vaccel_tensor *t = a->buf;
			put_tensors(meta, out, t, a->len);
			break;
		}
		default:
			break;
		}
	}
	return (meta->failed || out->failed) ? VACCEL_ENOMEM : VACCEL_OK;
}

int wire_decode_reply(const uint8_t *meta, size_t len, uint64_t raw_len,
		      const struct vaccel_op_desc *op,
		      struct vaccel_oparg *args, int *status, char *msgbuf,
		      size_t msglen, struct segs *in)
{
	struct mp_reader r = {meta, meta + len};
	uint32_t n, sl;
	int64_t st;
	const char *s;
	if (mp_get_array(&r, &n) || n != 3 || mp_get_int(&r, &st) || st < 0 ||
	    st > 4096 || mp_get_str(&r, &s, &sl) || mp_get_array(&r, &n))
		return VACCEL_EBACKEND;
	*status = (int)st;
	if (msgbuf && msglen) {
		size_t m = sl < msglen - 1 ? sl : msglen - 1;
		memcpy(msgbuf, s, m);
		msgbuf[m] = '\0';
	}
	if (st != VACCEL_OK || !op)
		return (n == 0 && (raw_len == 0 || raw_len == WIRE_RAW_ANY))
			   ? VACCEL_OK
			   : VACCEL_EBACKEND;
	uint32_t outs = 0;
	struct wire_alias plan[WIRE_ALIAS_MAX_ARGS];
	bool aliased = wire_alias_plan(op, args, plan);
	for (uint32_t i = 0; i < op->nr_args; i++) {
		struct vaccel_oparg *a = &args[i];
		uint64_t u;
		uint32_t m;
		switch (op->args[i].kind) {
		case VACCEL_ARGK_OUT:
		case VACCEL_ARGK_INOUT:
			outs++;
			if (aliased && plan[i].lead >= 0) {
				uint32_t g = (uint32_t)plan[i].lead;
				bool back = plan[g].back == (int32_t)i;
				if (mp_get_uint(&r, &u) ||
				    u != (back ? plan[g].span : 0))
					goto bad_reply;
				if (back)
					segs_add(in,
						 wire_alias_base(args, plan, g),
						 u);
				break;
			}
			if (mp_get_uint(&r, &u) || u != a->len)
				goto bad_reply;
			segs_add(in, a->buf, u);
			break;
		case VACCEL_ARGK_ARGS_OUT: {
			struct vaccel_arg *l = a->buf;
			outs++;
			if (mp_get_array(&r, &m) || m != a->len)
				goto bad_reply;
			for (uint32_t j = 0; j < m; j++) {
				if (mp_get_uint(&r, &u) || u != l[j].size)
					goto bad_reply;
				segs_add(in, l[j].buf, u);
			}
			break;
		}
		case VACCEL_ARGK_TENSORS_OUT: {
			struct vaccel_tensor *t = a->buf;
			bool raw = op->args[i].type == VACCEL_ARGT_RAW;
			outs++;
			if (mp_get_array(&r, &m) || m != a->len)
				goto bad_reply;
			for (uint32_t j = 0; j < m; j++) {
				uint32_t three, nd;
				uint64_t dtype;
				if (mp_get_array(&r, &three) || three != 3 ||
				    mp_get_uint(&r, &dtype) ||
				    (!raw && dtype >= VACCEL_DTYPE_MAX) ||
				    dtype > UINT32_MAX ||
				    mp_get_array(&r, &nd) ||
				    nd > VACCEL_TENSOR_MAX_DIMS)
					goto bad_reply;
				int64_t dims[VACCEL_TENSOR_MAX_DIMS];
				for (uint32_t k = 0; k < nd; k++)
					if (mp_get_int(&r, &dims[k]) ||
					    dims[k] < 0)
						goto bad_reply;
				if (mp_get_uint(&r, &u) ||
				    (!raw && u > t[j].size) ||
				    (raw && raw_len != WIRE_RAW_ANY &&
				     u > raw_len))
					goto bad_reply;
				/* a framework's output: allocated here,
				 * as the op would have in-process (the
				 * frame's length bounds it) */
				if (raw) {
					t[j].data = u ? malloc(u) : NULL;
					if (u && !t[j].data)
						goto bad_reply;
				}
				t[j].dtype = (uint32_t)dtype;
				t[j].ndim = nd;
				memcpy(t[j].dims, dims, nd * sizeof(dims[0]));
				t[j].size = u;
				segs_add(in, t[j].data, u);
			}
			break;
		}
		default:
			break;
		}
	}
	if (outs != n || r.p != r.end || in->failed ||
	    (raw_len != WIRE_RAW_ANY && in->total != raw_len))
		goto bad_reply;
	return VACCEL_OK;

bad_reply:
	wire_reply_free_outputs(op, args);
	return VACCEL_EBACKEND;
}

void wire_reply_free_outputs(const struct vaccel_op_desc *op,
			     struct vaccel_oparg *args)
{
	for (uint32_t i = 0; i < op->nr_args; i++) {
		if (op->args[i].kind != VACCEL_ARGK_TENSORS_OUT ||
		    op->args[i].type != VACCEL_ARGT_RAW)
			continue;
		struct vaccel_tensor *t = args[i].buf;
		for (uint64_t j = 0; j < args[i].len; j++) {
			free(t[j].data);
			t[j].data = NULL;
			t[j].size = 0;
		}
	}
}

bool wire_op_allocates(const struct vaccel_op_desc *op)
{
	for (uint32_t i = 0; i < op->nr_args; i++)
		if (op->args[i].kind == VACCEL_ARGK_TENSORS_OUT &&
		    op->args[i].type == VACCEL_ARGT_RAW)
			return true;
	return false;
}
