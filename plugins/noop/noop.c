// SPDX-License-Identifier: Apache-2.0
/*
 * noop: implements every op and logs each call's arguments (at debug
 * level). vAccel's ops answer as vAccel's own noop plugin does (exec copies
 * its input to its output, minmax gives -1 and 10000, the image ops write
 * fixed strings, ...), since vAccel programs and tests rely on those
 * values. Our own ops fill every output deterministically
 * (noop_pattern.h), so tests and the transports can check what came back
 * without a real backend.
 */
#include "noop_pattern.h"
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Whether each call is logged: the core sets its level at bootstrap,
 * before it loads plugins, so it is read once, at init (a call then costs
 * no call into the core). */
static bool log_calls;

static int noop_init(void *priv)
{
	(void)priv;
	log_calls = vaccel_log_enabled(VACCEL_LOG_DEBUG);
	for (unsigned int i = 0; i < sizeof(ramp); i++)
		ramp[i] = (uint8_t)(0xA5u ^ (uint8_t)(3u * i));
	const struct vaccel_op_desc *op;
	for (unsigned int i = 0; (op = vaccel_op_desc_at(i)); i++) {
		/* users' ops (registered ones) are looked at per call */
		if (op->id >= VACCEL_OPID_LIMIT)
			continue;
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
			else if (d->type == VACCEL_ARGT_C128)
				n = snprintf(line + off, sizeof(line) - off,
					     "%s%s=(%g,%g)", sep, d->name,
					     a->v.c128[0], a->v.c128[1]);
			else if (d->type == VACCEL_ARGT_C64)
				n = snprintf(line + off, sizeof(line) - off,
					     "%s%s=(%g,%g)", sep, d->name,
					     (double)a->v.c64[0],
					     (double)a->v.c64[1]);
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
	if (log_calls)
		log_call(sess, op, args);
	const uint8_t *list;
	unsigned int nr;
	uint8_t scan[MAX_OUTS];
	if (op->id < VACCEL_OPID_LIMIT) {
		list = outs[op->id];
		nr = nr_outs[op->id];
	} else {
		nr = 0;
		for (uint32_t a = 0; a < op->nr_args; a++)
			if (is_output(op->args[a].kind)) {
				if (nr == MAX_OUTS)
					return VACCEL_ENOTSUP;
				scan[nr++] = (uint8_t)a;
			}
		list = scan;
	}
	for (unsigned int o = 0; o < nr; o++) {
		uint32_t i = list[o];
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
			/* a framework's outputs are the op's to allocate:
			 * NOOP_RAW_BYTES(j) bytes each */
			uint64_t ticket;
			if (op->args[i].type == VACCEL_ARGT_RAW)
				for (uint64_t j = 0; j < a->len; j++) {
					t[j].size = NOOP_RAW_BYTES(j);
					t[j].data = vaccel_call_charge(t[j].size,
								       &ticket)
							? NULL
							: malloc(t[j].size);
					if (!t[j].data) {
						for (uint64_t k = 0; k < j; k++)
							free(t[k].data),
							    t[k].data = NULL;
						return VACCEL_ENOMEM;
					}
				}
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

/* ---- vAccel's answers ---------------------------------------------------- */
#ifndef NOOP_PATTERN_ONLY

/* gemm in vaccel_sgemm's form is vAccel's sgemm, whose noop leaves C as it
 * was; the BLAS family's other forms get the pattern. */
static int noop_gemm(void *priv, struct vaccel_session *sess,
		     const struct vaccel_op_desc *op, struct vaccel_oparg *args)
{
	if (args[VACCEL_GEMM_PREC].v.i == VACCEL_BLAS_S &&
	    args[VACCEL_GEMM_LAYOUT].v.i == VACCEL_BLAS_ROW &&
	    args[VACCEL_GEMM_TRANSA].v.i == VACCEL_BLAS_NOTRANS &&
	    args[VACCEL_GEMM_TRANSB].v.i == VACCEL_BLAS_NOTRANS) {
		if (log_calls)
			log_call(sess, op, args);
		return VACCEL_OK;
	}
	return noop_any(priv, sess, op, args);
}

/* Logs, and leaves every output as it was. */
static int noop_quiet(void *priv, struct vaccel_session *sess,
		      const struct vaccel_op_desc *op,
		      struct vaccel_oparg *args)
{
	(void)priv;
	if (log_calls)
		log_call(sess, op, args);
	return VACCEL_OK;
}

/* exec: one write arg as large as the first read arg, in whole ints, gets
 * a copy of it. */
static void exec_copy(struct vaccel_oparg *read, struct vaccel_oparg *write)
{
	const struct vaccel_arg *r = read->buf;
	struct vaccel_arg *w = write->buf;
	if (write->len == 1 && read->len >= 1 && w[0].size == r[0].size &&
	    w[0].size % sizeof(int) == 0 && w[0].size)
		memcpy(w[0].buf, r[0].buf, w[0].size);
}

static int noop_exec(void *priv, struct vaccel_session *sess,
		     const struct vaccel_op_desc *op, struct vaccel_oparg *args)
{
	noop_quiet(priv, sess, op, args);
	exec_copy(&args[VACCEL_EXEC_READ], &args[VACCEL_EXEC_WRITE]);
	return VACCEL_OK;
}

static int noop_exec_with_resource(void *priv, struct vaccel_session *sess,
				   const struct vaccel_op_desc *op,
				   struct vaccel_oparg *args)
{
	noop_quiet(priv, sess, op, args);
	const struct vaccel_resource *res =
	    args[VACCEL_EXEC_WITH_RESOURCE_OBJECT].buf;
	if (!res->nr_files) {
		vaccel_log(VACCEL_LOG_ERROR, "noop",
			   "exec_with_resource: resource %lld has no file",
			   (long long)res->id);
		return VACCEL_EINVAL;
	}
	exec_copy(&args[VACCEL_EXEC_WITH_RESOURCE_READ],
		  &args[VACCEL_EXEC_WITH_RESOURCE_WRITE]);
	return VACCEL_OK;
}

static int noop_minmax(void *priv, struct vaccel_session *sess,
		       const struct vaccel_op_desc *op,
		       struct vaccel_oparg *args)
{
	noop_quiet(priv, sess, op, args);
	if (args[VACCEL_MINMAX_INDATA].len)
		memcpy(args[VACCEL_MINMAX_OUTDATA].buf,
		       args[VACCEL_MINMAX_INDATA].buf,
		       args[VACCEL_MINMAX_INDATA].len);
	const double min = -1.0, max = 10000.0;
	memcpy(args[VACCEL_MINMAX_MIN].buf, &min, sizeof(min));
	memcpy(args[VACCEL_MINMAX_MAX].buf, &max, sizeof(max));
	return VACCEL_OK;
}

/* The image ops write fixed strings, NUL-terminated, truncated to the
 * buffer (snprintf's rules). */
static void put_text(struct vaccel_oparg *a, const char *text)
{
	if (a->buf && a->len)
		snprintf(a->buf, a->len, "%s", text);
}

static int noop_image(void *priv, struct vaccel_session *sess,
		      const struct vaccel_op_desc *op, struct vaccel_oparg *args)
{
	noop_quiet(priv, sess, op, args);
	if (!args[0].buf) {
		vaccel_log(VACCEL_LOG_ERROR, "noop", "%s: no image", op->name);
		return VACCEL_EINVAL;
	}
	if (op->id == VACCEL_OPID_IMAGE_CLASSIFY) {
		put_text(&args[VACCEL_IMAGE_CLASSIFY_OUT_TEXT],
			 "This is a dummy classification tag!");
		put_text(&args[VACCEL_IMAGE_CLASSIFY_OUT_NAME],
			 "This is a dummy imgname!");
	} else {
		put_text(&args[1], "This is a dummy imgname!");
	}
	return VACCEL_OK;
}

static int noop_fpga(void *priv, struct vaccel_session *sess,
		     const struct vaccel_op_desc *op, struct vaccel_oparg *args)
{
	noop_quiet(priv, sess, op, args);
	switch (op->id) {
	case VACCEL_OPID_FPGA_ARRAYCOPY:
		if (args[VACCEL_FPGA_ARRAYCOPY_A].len)
			memcpy(args[VACCEL_FPGA_ARRAYCOPY_OUT_A].buf,
			       args[VACCEL_FPGA_ARRAYCOPY_A].buf,
			       args[VACCEL_FPGA_ARRAYCOPY_A].len);
		break;
	case VACCEL_OPID_FPGA_MMULT: {
		float *c = args[VACCEL_FPGA_MMULT_C].buf;
		for (int64_t i = 0; i < args[VACCEL_FPGA_MMULT_LEN_A].v.i; i++)
			c[i] = 9.1F;
		break;
	}
	case VACCEL_OPID_FPGA_PARALLEL: {
		const float *a = args[VACCEL_FPGA_PARALLEL_A].buf;
		const float *b = args[VACCEL_FPGA_PARALLEL_B].buf;
		float *add = args[VACCEL_FPGA_PARALLEL_ADD_OUTPUT].buf;
		float *mult = args[VACCEL_FPGA_PARALLEL_MULT_OUTPUT].buf;
		for (int64_t i = 0; i < args[VACCEL_FPGA_PARALLEL_LEN_A].v.i;
		     i++) {
			add[i] = a[i] + b[i];
			mult[i] = 1;
		}
		break;
	}
	default: { /* vadd: c = a + b over len_a (b has len_b) */
		const float *a = args[VACCEL_FPGA_VADD_A].buf;
		const float *b = args[VACCEL_FPGA_VADD_B].buf;
		float *c = args[VACCEL_FPGA_VADD_C].buf;
		int64_t n = args[VACCEL_FPGA_VADD_LEN_A].v.i;
		int64_t nb = args[VACCEL_FPGA_VADD_LEN_B].v.i;
		for (int64_t i = 0; i < n; i++)
			c[i] = a[i] + (i < nb ? b[i] : 0);
	}
	}
	return VACCEL_OK;
}

/* opencv: each write arg large enough for it starts with its size in
 * floats, as a size_t. */
static int noop_opencv(void *priv, struct vaccel_session *sess,
		       const struct vaccel_op_desc *op,
		       struct vaccel_oparg *args)
{
	noop_quiet(priv, sess, op, args);
	struct vaccel_arg *w = args[VACCEL_OPENCV_WRITE].buf;
	for (uint64_t i = 0; i < args[VACCEL_OPENCV_WRITE].len; i++) {
		size_t n = w[i].size / sizeof(float);
		if (w[i].size >= sizeof(n))
			memcpy(w[i].buf, &n, sizeof(n));
	}
	return VACCEL_OK;
}

static const char noop_status[] = "Operation handled by noop plugin";

/* A status buffer: code 0, then the message. */
static void put_status(struct vaccel_oparg *a)
{
	uint8_t *st = a->buf;
	if (!a->len)
		return;
	st[0] = 0;
	if (a->len > 1)
		snprintf((char *)st + 1, a->len - 1, "%s", noop_status);
}

/* The framework runs' outputs are copies of the inputs of the same index
 * (empty where there is none), allocated here as the op's contract asks. */
static int copy_tensors(const struct vaccel_oparg *in, struct vaccel_oparg *out)
{
	const struct vaccel_tensor *ti = in->buf;
	struct vaccel_tensor *to = out->buf;
	for (uint64_t i = 0; i < out->len; i++) {
		if (i >= in->len)
			continue;
		to[i] = ti[i];
		to[i].data = NULL;
		uint64_t ticket;
		if (ti[i].size) {
			/* the caller's until its reply has gone */
			to[i].data = vaccel_call_charge(ti[i].size, &ticket)
					 ? NULL
					 : malloc(ti[i].size);
			if (!to[i].data) {
				for (uint64_t j = 0; j < i; j++) {
					free(to[j].data);
					to[j].data = NULL;
				}
				return VACCEL_ENOMEM;
			}
			memcpy(to[i].data, ti[i].data, ti[i].size);
		}
	}
	return VACCEL_OK;
}

static int noop_framework(void *priv, struct vaccel_session *sess,
			  const struct vaccel_op_desc *op,
			  struct vaccel_oparg *args)
{
	noop_quiet(priv, sess, op, args);
	switch (op->id) {
	case VACCEL_OPID_TF_SESSION_LOAD:
		put_status(&args[VACCEL_TF_SESSION_LOAD_STATUS]);
		return VACCEL_OK;
	case VACCEL_OPID_TF_SESSION_DELETE:
		put_status(&args[VACCEL_TF_SESSION_DELETE_STATUS]);
		return VACCEL_OK;
	case VACCEL_OPID_TF_SESSION_RUN: {
		int ret = copy_tensors(&args[VACCEL_TF_SESSION_RUN_INPUTS],
				       &args[VACCEL_TF_SESSION_RUN_OUTPUTS]);
		if (!ret)
			put_status(&args[VACCEL_TF_SESSION_RUN_STATUS]);
		return ret;
	}
	case VACCEL_OPID_TFLITE_SESSION_RUN: {
		int ret =
		    copy_tensors(&args[VACCEL_TFLITE_SESSION_RUN_INPUTS],
				 &args[VACCEL_TFLITE_SESSION_RUN_OUTPUTS]);
		if (!ret)
			*(uint8_t *)args[VACCEL_TFLITE_SESSION_RUN_STATUS].buf =
			    0;
		return ret;
	}
	case VACCEL_OPID_TORCH_JITLOAD_FORWARD:
		return copy_tensors(
		    &args[VACCEL_TORCH_JITLOAD_FORWARD_INPUTS],
		    &args[VACCEL_TORCH_JITLOAD_FORWARD_OUTPUTS]);
	default: /* the loads and deletes, torch_sgemm: nothing to answer */
		return VACCEL_OK;
	}
}

static const struct vaccel_plugin_op noop_ops[] = {
    {VACCEL_OPID_NOOP, noop_quiet},
    {VACCEL_OPID_GEMM, noop_gemm},
    {VACCEL_OPID_EXEC, noop_exec},
    {VACCEL_OPID_EXEC_WITH_RESOURCE, noop_exec_with_resource},
    {VACCEL_OPID_MINMAX, noop_minmax},
    {VACCEL_OPID_IMAGE_CLASSIFY, noop_image},
    {VACCEL_OPID_IMAGE_DETECT, noop_image},
    {VACCEL_OPID_IMAGE_SEGMENT, noop_image},
    {VACCEL_OPID_IMAGE_POSE, noop_image},
    {VACCEL_OPID_IMAGE_DEPTH, noop_image},
    {VACCEL_OPID_FPGA_ARRAYCOPY, noop_fpga},
    {VACCEL_OPID_FPGA_MMULT, noop_fpga},
    {VACCEL_OPID_FPGA_PARALLEL, noop_fpga},
    {VACCEL_OPID_FPGA_VADD, noop_fpga},
    {VACCEL_OPID_OPENCV, noop_opencv},
    {VACCEL_OPID_TF_SESSION_LOAD, noop_framework},
    {VACCEL_OPID_TF_SESSION_RUN, noop_framework},
    {VACCEL_OPID_TF_SESSION_DELETE, noop_framework},
    {VACCEL_OPID_TFLITE_SESSION_LOAD, noop_framework},
    {VACCEL_OPID_TFLITE_SESSION_RUN, noop_framework},
    {VACCEL_OPID_TFLITE_SESSION_DELETE, noop_framework},
    {VACCEL_OPID_TORCH_JITLOAD_FORWARD, noop_framework},
    {VACCEL_OPID_TORCH_SGEMM, noop_framework},
};
#endif

#ifdef NOOP_PATTERN_ONLY
/* The tests' build: every op gets the pattern. */
#define NOOP_OPS NULL
#define NOOP_NR_OPS 0
#else
#define NOOP_OPS noop_ops
#define NOOP_NR_OPS (sizeof(noop_ops) / sizeof(noop_ops[0]))
#endif

VACCEL_PLUGIN_DEFINE(.name = "noop", .version = "1.0",
		     .type = VACCEL_PLUGIN_DEBUG | VACCEL_PLUGIN_SOFTWARE,
		     .init = noop_init, .ops = NOOP_OPS, .nr_ops = NOOP_NR_OPS,
		     .any_op = noop_any);
