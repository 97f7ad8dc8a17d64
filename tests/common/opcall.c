// SPDX-License-Identifier: Apache-2.0
#include "opcall.h"
#include "ops_fill_gen.h"
#include "noop_pattern.h"
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

/*
 * noop's byte depends on j only through 3 * j mod 256, so the pattern
 * repeats every 256 bytes: a block of whole periods lets large buffers be
 * filled and compared with memcpy/memcmp.
 */
#define BLOCK (64 * 1024)

static void make_block(uint8_t *blk, uint32_t op, uint32_t arg, uint64_t pos,
		       bool complement)
{
	for (uint64_t j = 0; j < BLOCK; j++) {
		uint8_t b = vaccel_noop_byte(op, arg, pos + j);
		blk[j] = complement ? (uint8_t)~b : b;
	}
}

void pattern_fill(uint8_t *buf, uint64_t len, uint32_t op, uint32_t arg,
		  uint64_t pos, bool complement)
{
	static _Thread_local uint8_t blk[BLOCK];
	if (len <= BLOCK) {
		for (uint64_t j = 0; j < len; j++) {
			uint8_t b = vaccel_noop_byte(op, arg, pos + j);
			buf[j] = complement ? (uint8_t)~b : b;
		}
		return;
	}
	make_block(blk, op, arg, pos, complement);
	for (uint64_t off = 0; off < len; off += BLOCK) {
		uint64_t n = len - off < BLOCK ? len - off : BLOCK;
		memcpy(buf + off, blk, (size_t)n);
	}
}

uint64_t pattern_find_mismatch(const uint8_t *buf, uint64_t len, uint32_t op,
			       uint32_t arg, uint64_t pos)
{
	static _Thread_local uint8_t blk[BLOCK];
	if (len <= BLOCK) {
		for (uint64_t j = 0; j < len; j++)
			if (buf[j] != vaccel_noop_byte(op, arg, pos + j))
				return j;
		return len;
	}
	make_block(blk, op, arg, pos, false);
	for (uint64_t off = 0; off < len; off += BLOCK) {
		uint64_t n = len - off < BLOCK ? len - off : BLOCK;
		if (memcmp(buf + off, blk, (size_t)n) == 0)
			continue;
		for (uint64_t j = 0; j < n; j++)
			if (buf[off + j] != blk[j])
				return off + j;
	}
	return len;
}

static void *own(struct opcall *c, void *p)
{
	cr_assert_not_null(p, "out of memory");
	cr_assert_lt(c->nr_owned, sizeof(c->owned) / sizeof(c->owned[0]));
	c->owned[c->nr_owned++] = p;
	return p;
}

/* A scalar's value for variant v; every size rule of the spec stays
 * satisfiable with small buffers. */
static void set_scalar(struct vaccel_oparg *a,
		       const struct vaccel_op_argdesc *d, unsigned int v,
		       unsigned int alt)
{
	static const struct {
		const char *name;
		int64_t value;
	} fixed[] = {
	    {"m", 2},	    {"n", 3},
	    {"k", 4},	    {"lda", 5},
	    {"ldb", 6},	    {"ldc", 7},
	    {"incy", 2},    {"uplo", VACCEL_BLAS_LOWER},
	    {"handle", 42}, {"diag", VACCEL_BLAS_UNIT},
	};
	const char *n = d->name;
	memset(a, 0, sizeof(*a));
	switch (d->type) {
	case VACCEL_ARGT_F32:
		a->v.f32 = 0.25f;
		return;
	case VACCEL_ARGT_F64:
		a->v.f64 = -2.5;
		return;
	case VACCEL_ARGT_C64:
		a->v.c64[0] = 1.5f;
		a->v.c64[1] = -0.5f;
		return;
	case VACCEL_ARGT_C128:
		a->v.c128[0] = 1.5;
		a->v.c128[1] = -0.5;
		return;
	default:
		break;
	}
	/* alt: the how-manieth try of opcall_build at values the op's
	 * argument check takes (the precisions a routine has, the
	 * transposes complex rank-k updates take) */
	if (strcmp(n, "prec") == 0)
		a->v.i = (v + alt) % 4;
	else if (strcmp(n, "layout") == 0)
		a->v.i = (v / 4) % 2 ? VACCEL_BLAS_ROW : VACCEL_BLAS_COL;
	else if (strncmp(n, "trans", 5) == 0)
		a->v.i = v % 2 ? ((alt / 4) % 2 ? VACCEL_BLAS_TRANS
						: VACCEL_BLAS_CONJTRANS)
			       : VACCEL_BLAS_NOTRANS;
	else if (strcmp(n, "side") == 0)
		a->v.i = (v / 2) % 2 ? VACCEL_BLAS_RIGHT : VACCEL_BLAS_LEFT;
	else if (strcmp(n, "conj") == 0)
		a->v.i = v % 2;
	else if (strcmp(n, "incx") == 0)
		a->v.i = v % 2 ? -3 : 1;
	else {
		a->v.i = 1;
		for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
			if (strcmp(n, fixed[i].name) == 0)
				a->v.i = fixed[i].value;
	}
}

void opcall_build(struct opcall *c, const struct vaccel_op_desc *op,
		  unsigned int v, struct vaccel_resource *res)
{
	memset(c, 0, sizeof(*c));
	c->op = op;
	cr_assert_leq(op->nr_args, OPCALL_MAX_ARGS);
	/* the scalars: the first of eight tries that the op's own check
	 * (a typed BLAS op's reference checks, generated) takes */
	for (unsigned int alt = 0; alt < 8; alt++) {
		for (uint32_t i = 0; i < op->nr_args; i++)
			if (op->args[i].kind == VACCEL_ARGK_SCALAR)
				set_scalar(&c->args[i], &op->args[i], v, alt);
		const char *why;
		if (op->id >= VACCEL_OPID_LIMIT ||
		    check_op(op->id, c->args, &why) < 0)
			break;
	}

	for (uint32_t i = 0; i < op->nr_args; i++) {
		const struct vaccel_op_argdesc *d = &op->args[i];
		struct vaccel_oparg *a = &c->args[i];
		switch (d->kind) {
		case VACCEL_ARGK_SCALAR:
			break;
		case VACCEL_ARGK_IN:
		case VACCEL_ARGK_OUT:
		case VACCEL_ARGK_INOUT: {
			/* `*`: any length; vary it with the variant */
			uint64_t bytes = 5 + i + 97 * v;
			if (d->nelems) {
				int64_t n = d->nelems(c->args);
				size_t es = vaccel_op_elem_size(op, c->args, i);
				cr_assert_geq(n, 0, "%s.%s: size rule fails",
					      op->name, d->name);
				cr_assert_gt(es, 0, "%s.%s: no element size",
					     op->name, d->name);
				bytes = (uint64_t)n * es;
			}
			uint8_t *buf = own(c, malloc(bytes ? bytes : 1));
			if (d->kind == VACCEL_ARGK_IN) {
				for (uint64_t j = 0; j < bytes; j++)
					buf[j] = (uint8_t)(i * 31 + j * 7 + v);
				c->in_copy[i] = own(c, malloc(bytes + 1));
				memcpy(c->in_copy[i], buf, bytes);
			} else {
				pattern_fill(buf, bytes, op->id, i, 0, true);
			}
			a->buf = buf;
			a->len = bytes;
			break;
		}
		case VACCEL_ARGK_STRING: {
			char *s = own(c, malloc(48));
			snprintf(s, 48, "%s_%s_%u", op->name, d->name, v);
			a->buf = s;
			a->len = strlen(s);
			break;
		}
		case VACCEL_ARGK_RESOURCE:
			cr_assert_not_null(res, "%s needs a resource",
					   op->name);
			a->buf = res;
			break;
		case VACCEL_ARGK_ARGS_IN:
		case VACCEL_ARGK_ARGS_OUT: {
			/* an empty entry in the middle */
			const uint32_t sizes[3] = {3 + v, 0, 70000};
			uint64_t pos = 0;
			struct vaccel_arg *l = own(c, calloc(3, sizeof(*l)));
			for (int j = 0; j < 3; j++) {
				l[j].size = sizes[j];
				l[j].argtype = (uint32_t)j + 10;
				if (!sizes[j])
					continue;
				l[j].buf = own(c, malloc(sizes[j]));
				if (d->kind == VACCEL_ARGK_ARGS_IN)
					memset(l[j].buf, 'a' + j, sizes[j]);
				else
					pattern_fill(l[j].buf, sizes[j], op->id,
						     i, pos, true);
				pos += sizes[j];
			}
			a->buf = l;
			a->len = 3;
			break;
		}
		case VACCEL_ARGK_TENSORS_IN: {
			struct vaccel_tensor *t = own(c, calloc(2, sizeof(*t)));
			/* a framework's code, outside our dtypes, for RAW */
			t[0].dtype = d->type == VACCEL_ARGT_RAW
					 ? 1000 + v
					 : VACCEL_DTYPE_F32;
			t[0].ndim = 2;
			t[0].dims[0] = 2;
			t[0].dims[1] = 3;
			t[0].size = 24;
			t[0].data = own(c, calloc(1, 24));
			/* a 0-d (scalar) tensor */
			t[1].dtype = VACCEL_DTYPE_BOOL;
			t[1].ndim = 0;
			t[1].size = 1;
			t[1].data = own(c, calloc(1, 1));
			a->buf = t;
			a->len = 2;
			break;
		}
		case VACCEL_ARGK_TENSORS_OUT: {
			const uint64_t caps[2] = {8 + v, 100000};
			uint64_t pos = 0;
			struct vaccel_tensor *t = own(c, calloc(2, sizeof(*t)));
			a->buf = t;
			a->len = 2;
			/* a framework's outputs come in empty: the op
			 * allocates them */
			if (d->type == VACCEL_ARGT_RAW)
				break;
			for (int j = 0; j < 2; j++) {
				/* garbage the backend must overwrite */
				t[j].dtype = VACCEL_DTYPE_F64;
				t[j].ndim = 3;
				t[j].dims[0] = 99;
				t[j].size = caps[j];
				t[j].data = own(c, malloc(caps[j]));
				pattern_fill(t[j].data, caps[j], op->id, i, pos,
					     true);
				pos += caps[j];
			}
			a->buf = t;
			a->len = 2;
			break;
		}
		default:
			cr_assert_fail("%s.%s: kind %s not handled by the test",
				       op->name, d->name,
				       vaccel_arg_kind_to_str(d->kind));
		}
	}
}

static void check_bytes(const uint8_t *buf, uint64_t len, uint32_t op,
			uint32_t arg, uint64_t pos, const char *what)
{
	uint64_t bad = pattern_find_mismatch(buf, len, op, arg, pos);
	cr_assert_eq(bad, len, "%s: byte %llu of %llu is 0x%02x, want 0x%02x",
		     what, (unsigned long long)(pos + bad),
		     (unsigned long long)len, bad < len ? buf[bad] : 0,
		     bad < len ? vaccel_noop_byte(op, arg, pos + bad) : 0);
}

/*
 * An output with gaps: its elements must hold noop's bytes. noop writes the
 * whole span, but a remote call brings back only what the op may write
 * (docs/protocol.md, "Calls"), so a gap byte holds either noop's byte (a
 * local backend) or the complement the call was built with, never
 * anything else.
 */
static bool check_gapped(const struct opcall *c, uint32_t i, const char *w)
{
	const struct vaccel_op_desc *op = c->op;
	const struct vaccel_oparg *a = &c->args[i];
	const uint8_t *buf = a->buf;
	struct vaccel_layout l;
	size_t es = vaccel_op_elem_size(op, c->args, i);
	if (!op->args[i].layout || op->args[i].layout(c->args, &l) ||
	    l.count < 2 || l.stride <= l.block ||
	    ((l.count - 1) * l.stride + l.block) * es != a->len)
		return false;
	for (uint64_t k = 0; k < l.count; k++)
		check_bytes(buf + k * l.stride * es, l.block * es, op->id, i,
			    k * l.stride * es, w);
	for (uint64_t j = 0; j < a->len; j++) {
		uint8_t p = vaccel_noop_byte(op->id, i, j), q = (uint8_t)~p;
		cr_assert(buf[j] == p || buf[j] == q,
			  "%s: gap byte %llu is 0x%02x, want 0x%02x or 0x%02x",
			  w, (unsigned long long)j, buf[j], p, q);
	}
	return true;
}

void opcall_check(const struct opcall *c, const char *what)
{
	const struct vaccel_op_desc *op = c->op;
	char w[160];
	for (uint32_t i = 0; i < op->nr_args; i++) {
		const struct vaccel_op_argdesc *d = &op->args[i];
		const struct vaccel_oparg *a = &c->args[i];
		snprintf(w, sizeof(w), "%s: %s.%s", what, op->name, d->name);
		switch (d->kind) {
		case VACCEL_ARGK_IN:
			cr_assert_eq(memcmp(a->buf, c->in_copy[i], a->len), 0,
				     "%s: an input was modified", w);
			break;
		case VACCEL_ARGK_OUT:
		case VACCEL_ARGK_INOUT:
			if (!check_gapped(c, i, w))
				check_bytes(a->buf, a->len, op->id, i, 0, w);
			break;
		case VACCEL_ARGK_ARGS_OUT: {
			const struct vaccel_arg *l = a->buf;
			uint64_t pos = 0;
			for (uint64_t j = 0; j < a->len; j++) {
				check_bytes(l[j].buf, l[j].size, op->id, i, pos,
					    w);
				pos += l[j].size;
			}
			cr_assert_eq(l[1].size, 0, "%s: empty entry resized",
				     w);
			break;
		}
		case VACCEL_ARGK_TENSORS_OUT: {
			const struct vaccel_tensor *t = a->buf;
			uint64_t pos = 0;
			for (uint64_t j = 0; j < a->len; j++) {
				cr_assert_eq(t[j].dtype, VACCEL_DTYPE_U8,
					     "%s[%llu]: dtype %s", w,
					     (unsigned long long)j,
					     vaccel_dtype_to_str(t[j].dtype));
				cr_assert_eq(t[j].ndim, 1, "%s[%llu]: ndim %u",
					     w, (unsigned long long)j,
					     t[j].ndim);
				cr_assert_eq((uint64_t)t[j].dims[0], t[j].size,
					     "%s[%llu]: shape", w,
					     (unsigned long long)j);
				if (op->args[i].type == VACCEL_ARGT_RAW)
					cr_assert_eq(t[j].size, NOOP_RAW_BYTES(j),
						     "%s[%llu]: size %llu", w,
						     (unsigned long long)j,
						     (unsigned long long)t[j]
							 .size);
				check_bytes(t[j].data, t[j].size, op->id, i,
					    pos, w);
				pos += t[j].size;
			}
			break;
		}
		default:
			break;
		}
	}
}

void opcall_take_outputs(struct opcall *c)
{
	for (uint32_t i = 0; i < c->op->nr_args; i++) {
		if (c->op->args[i].kind != VACCEL_ARGK_TENSORS_OUT ||
		    c->op->args[i].type != VACCEL_ARGT_RAW)
			continue;
		struct vaccel_tensor *t = c->args[i].buf;
		for (uint64_t j = 0; j < c->args[i].len; j++)
			if (t[j].data)
				own(c, t[j].data);
	}
}

void opcall_free(struct opcall *c)
{
	for (size_t i = 0; i < c->nr_owned; i++)
		free(c->owned[i]);
	c->nr_owned = 0;
}
