// SPDX-License-Identifier: Apache-2.0
/*
 * noop: implements every op. It logs the call's arguments (at debug level)
 * and fills every output deterministically (noop_pattern.h), so tests and
 * the transports can check what came back without a real backend.
 */
#include "noop_pattern.h"
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <vaccel.h>

static void fill(uint32_t op, uint32_t arg, uint8_t *buf, uint64_t len,
		 uint64_t *pos)
{
	for (uint64_t j = 0; j < len; j++)
		buf[j] = vaccel_noop_byte(op, arg, (*pos)++);
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
			if (d->type == VACCEL_ARGT_F64 || d->type == VACCEL_ARGT_F32)
				n = snprintf(line + off, sizeof(line) - off,
					     "%s%s=%g", sep, d->name,
					     d->type == VACCEL_ARGT_F32 ?
						     (double)a->v.f32 :
						     a->v.f64);
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
			n = snprintf(line + off, sizeof(line) - off,
				     "%s%s=resource#%lld", sep, d->name,
				     (long long)((struct vaccel_resource *)
							 a->buf)->id);
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
	for (uint32_t i = 0; i < op->nr_args; i++) {
		struct vaccel_oparg *a = &args[i];
		uint64_t pos = 0;
		switch (op->args[i].kind) {
		case VACCEL_ARGK_OUT:
		case VACCEL_ARGK_INOUT:
			fill(op->id, i, a->buf, a->len, &pos);
			break;
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
		default:
			break;
		}
	}
	return VACCEL_OK;
}

VACCEL_PLUGIN_DEFINE(.name = "noop", .version = "1.0",
		     .type = VACCEL_PLUGIN_DEBUG | VACCEL_PLUGIN_SOFTWARE,
		     .any_op = noop_any);
