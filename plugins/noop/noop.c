// SPDX-License-Identifier: Apache-2.0
/*
 * noop: implements every op. It logs the call's arguments (at debug level)
 * and fills every output deterministically (noop_pattern.h), so tests and
 * the transports can check what came back without a real backend.
 */
#include "noop_pattern.h"
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <vaccel/remote.h>
#include "ops_internal_gen.h"

/*
 * vaccel_noop_byte(op, arg, j) = 0xA5 ^ (base + 3j) mod 256 with
 * base = 13 op + 7 arg. As 3 is invertible mod 256 (3 * 171 = 1), that is
 * ramp[(j + 171 base) mod 256] with ramp[i] = 0xA5 ^ 3i: every output is a
 * repeat of one 256-byte window of the ramp, copied with memcpy.
 */
static uint8_t ramp[512];

/* Per op, the positions of its output arguments, so a call visits only
 * those. */
#define MAX_OUTS 32
static uint8_t outs[VACCEL_OPID_LIMIT][MAX_OUTS];
static uint8_t nr_outs[VACCEL_OPID_LIMIT];

static bool is_output(enum vaccel_arg_kind k)
{
	return k == VACCEL_ARGK_OUT || k == VACCEL_ARGK_INOUT ||
	       k == VACCEL_ARGK_ARGS_OUT || k == VACCEL_ARGK_TENSORS_OUT;
}

static int noop_init(void *priv)
{
	(void)priv;
	for (unsigned int i = 0; i < sizeof(ramp); i++)
		ramp[i] = (uint8_t)(0xA5u ^ (uint8_t)(3u * i));
	const struct vaccel_op_desc *op;
	for (unsigned int i = 0; (op = vaccel_op_desc_at(i)); i++) {
		for (uint32_t a = 0; a < op->nr_args; a++) {
			if (!is_output(op->args[a].kind))
				continue;
			if (nr_outs[op->id] == MAX_OUTS)
				return VACCEL_ENOTSUP;
			outs[op->id][nr_outs[op->id]++] = (uint8_t)a;
		}
	}
	return VACCEL_OK;
}

static void fill(uint32_t op, uint32_t arg, uint8_t *buf, uint64_t len,
		 uint64_t *pos)
{
	uint8_t base = (uint8_t)(op * 13u + arg * 7u);
	unsigned int off = (uint8_t)(171u * base + *pos);
	*pos += len;
	if (len <= 64) {
		/* Short outputs (BLAS results, handles): a call to memcpy
		 * would cost more than the bytes. */
		const uint8_t *src = ramp + off; /* off + len < 512 */
		for (; len >= 8; len -= 8, src += 8, buf += 8) {
			uint64_t w;
			memcpy(&w, src, 8);
			memcpy(buf, &w, 8);
		}
		while (len--)
			*buf++ = *src++;
		return;
	}
	while (len) {
		size_t n = len < 256 ? (size_t)len : 256;
		memcpy(buf, ramp + off, n);
		buf += n;
		len -= n;
	}
}

static void log_call(struct vaccel_session *sess,
		     const struct vaccel_op_desc *op,
		     const struct vaccel_oparg *args)
{
	char line[768];
	size_t off = 0;
	off += (size_t)snprintf(line + off, sizeof(line) - off,
				"session %lld op %s(", (long long)sess->id,
				op->name);
	for (uint32_t i = 0; i < op->nr_args && off < sizeof(line); i++) {
		const struct vaccel_op_argdesc *d = &op->args[i];
		const struct vaccel_oparg *a = &args[i];
		const char *sep = i ? ", " : "";
		int n;
		switch (d->kind) {
		case VACCEL_ARGK_SCALAR:
			if (d->type == VACCEL_ARGT_F64 ||
			    d->type == VACCEL_ARGT_F32)
				n = snprintf(line + off, sizeof(line) - off,
					     "%s%s=%g", sep, d->name,
					     d->type == VACCEL_ARGT_F32
						 ? (double)a->v.f32
						 : a->v.f64);
			else if (d->type == VACCEL_ARGT_C128 ||
				 d->type == VACCEL_ARGT_C64)
				n = snprintf(line + off, sizeof(line) - off,
					     "%s%s=(%g,%g)", sep, d->name,
					     a->v.c128[0], a->v.c128[1]);
			else
				n = snprintf(line + off, sizeof(line) - off,
					     "%s%s=%" PRId64, sep, d->name,
					     a->v.i);
			break;
		case VACCEL_ARGK_STRING:
			n = snprintf(line + off, sizeof(line) - off,
				     "%s%s=\"%.40s\"", sep, d->name,
				     (const char *)a->buf);
			break;
		case VACCEL_ARGK_RESOURCE:
			n = snprintf(
			    line + off, sizeof(line) - off,
			    "%s%s=resource#%lld", sep, d->name,
			    (long long)((struct vaccel_resource *)a->buf)->id);
			break;
		default:
			n = snprintf(line + off, sizeof(line) - off,
				     "%s%s=%s[%" PRIu64 "]", sep, d->name,
				     vaccel_arg_kind_to_str(d->kind), a->len);
		}
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (off < sizeof(line))
		snprintf(line + off, sizeof(line) - off, ")");
	vaccel_log(VACCEL_LOG_DEBUG, "noop", "%s", line);
}

static int noop_any(void *priv, struct vaccel_session *sess,
		    const struct vaccel_op_desc *op, struct vaccel_oparg *args)
{
	(void)priv;
	if (vaccel_log_enabled(VACCEL_LOG_DEBUG))
		log_call(sess, op, args);
	for (unsigned int o = 0; o < nr_outs[op->id]; o++) {
		uint32_t i = outs[op->id][o];
		struct vaccel_oparg *a = &args[i];
		uint64_t pos = 0;
		switch (op->args[i].kind) {
		case VACCEL_ARGK_ARGS_OUT: {
			struct vaccel_arg *l = a->buf;
			for (uint64_t j = 0; j < a->len; j++)
				fill(op->id, i, l[j].buf, l[j].size, &pos);
			break;
		}
		case VACCEL_ARGK_TENSORS_OUT: {
			struct vaccel_tensor *t = a->buf;
			for (uint64_t j = 0; j < a->len; j++) {
				t[j].dtype = VACCEL_DTYPE_U8;
				t[j].ndim = 1;
				t[j].dims[0] = (int64_t)t[j].size;
				fill(op->id, i, t[j].data, t[j].size, &pos);
			}
			break;
		}
		default: /* OUT, INOUT */
			fill(op->id, i, a->buf, a->len, &pos);
		}
	}
	return VACCEL_OK;
}

VACCEL_PLUGIN_DEFINE(.name = "noop", .version = "1.0",
		     .type = VACCEL_PLUGIN_DEBUG | VACCEL_PLUGIN_SOFTWARE,
		     .init = noop_init, .any_op = noop_any);
