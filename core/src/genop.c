// SPDX-License-Identifier: Apache-2.0
/*
 * vaccel_genop: vAccel's generic op. read[0] holds a vaccel_op_type_t; the
 * other read and write args are the real op's, in the order of vAccel's
 * *_unpack functions. The real op is dispatched here, before any plugin, so
 * that it runs (and travels) as the op it is.
 *
 * Two callers. A program's vaccel_genop passes its own memory: as in
 * vAccel, scalars are read at their type's size and strings up to their
 * NUL, whatever the args' sizes say, and the real op is checked as its
 * native function would be. An op call of `genop` (from vaccel_op_call or
 * the agent) passes buffers that are exactly `size` bytes: every scalar
 * and string must fit in its arg, and every buffer must hold what the real
 * op's size rules ask for.
 */
#include "internal.h"
#include "op_desc.h"
#include <string.h>

#define TAG "genop"

struct genop {
	struct vaccel_session *sess;
	struct vaccel_arg *read;
	uint32_t nr_read;
	struct vaccel_arg *write;
	uint32_t nr_write;
	/* buffers are exactly `size` bytes (an op call), not caller memory */
	bool bounded;
	vaccel_op_type_t type;
	int ret;
};

static bool counts(struct genop *g, uint32_t nr_read, uint32_t nr_write,
		   bool at_least)
{
	bool ok = at_least ? g->nr_read >= nr_read
			   : g->nr_read == nr_read && g->nr_write == nr_write;
	if (!ok) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "%s takes %s%u read and %u write arguments, got %u "
			   "and %u",
			   vaccel_op_type_to_str(g->type),
			   at_least ? "at least " : "", nr_read,
			   at_least ? 0 : nr_write, g->nr_read, g->nr_write);
		g->ret = VACCEL_EINVAL;
	}
	return ok;
}

static bool fail(struct genop *g, const char *what, uint32_t idx)
{
	if (!g->ret) {
		vaccel_log(VACCEL_LOG_ERROR, TAG, "%s: read argument %u: %s",
			   vaccel_op_type_to_str(g->type), idx, what);
		g->ret = VACCEL_EINVAL;
	}
	return false;
}

/* read[idx] as a scalar of `size` bytes. */
static bool scalar(struct genop *g, uint32_t idx, void *out, size_t size)
{
	const struct vaccel_arg *a = &g->read[idx];
	if (!a->buf)
		return fail(g, "NULL scalar", idx);
	if (g->bounded && a->size < size)
		return fail(g, "scalar shorter than its type", idx);
	memcpy(out, a->buf, size);
	return true;
}

static bool int64_arg(struct genop *g, uint32_t idx, int64_t *out)
{
	long long v = 0;
	bool ok = scalar(g, idx, &v, sizeof(v));
	*out = v;
	return ok;
}

static bool int_arg(struct genop *g, uint32_t idx, int64_t *out)
{
	int v = 0;
	bool ok = scalar(g, idx, &v, sizeof(v));
	*out = v;
	return ok;
}

/* read[idx] as a NUL-terminated string. */
static bool string(struct genop *g, uint32_t idx, struct vaccel_oparg *out)
{
	const struct vaccel_arg *a = &g->read[idx];
	if (!a->buf)
		return fail(g, "NULL string", idx);
	size_t len = g->bounded ? strnlen(a->buf, a->size) : strlen(a->buf);
	if (g->bounded && len == a->size)
		return fail(g, "string without its NUL", idx);
	*out = (struct vaccel_oparg){.buf = a->buf, .len = len};
	return true;
}

/* A buffer: its length is the arg's size where the op has no size rule,
 * else the rule's (checked against the size when bounded). */
static struct vaccel_oparg buf(const struct vaccel_arg *a)
{
	return (struct vaccel_oparg){.buf = a->buf, .len = a->size};
}

/*
 * Run op `id` with args. Sized buffers get their rule's length; when
 * bounded, an arg smaller than that is refused. Then the op is checked in
 * full and dispatched, as vaccel_op_call does.
 */
static int run(struct genop *g, uint32_t id, struct vaccel_oparg *args)
{
	if (g->ret)
		return g->ret;
	const struct vaccel_op_desc *op = vaccel_op_desc_by_id(id);
	uint64_t given[64];
	for (uint32_t i = 0; i < op->nr_args && i < 64; i++)
		given[i] = args[i].len;
	if (op_fill_lengths(op, args)) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "%s: invalid dimensions or NULL buffer",
			   vaccel_op_type_to_str(g->type));
		return VACCEL_EINVAL;
	}
	for (uint32_t i = 0; g->bounded && i < op->nr_args && i < 64; i++) {
		const struct vaccel_op_argdesc *d = &op->args[i];
		if (!d->nelems || (d->kind != VACCEL_ARGK_IN &&
				   d->kind != VACCEL_ARGK_OUT &&
				   d->kind != VACCEL_ARGK_INOUT))
			continue;
		if (given[i] < args[i].len) {
			vaccel_log(VACCEL_LOG_ERROR, TAG,
				   "%s: argument '%s' holds %llu bytes, the op "
				   "needs %llu",
				   vaccel_op_type_to_str(g->type), d->name,
				   (unsigned long long)given[i],
				   (unsigned long long)args[i].len);
			return VACCEL_EINVAL;
		}
	}
	return vaccel_op_call(g->sess, id, args, op->nr_args);
}

static int do_noop(struct genop *g)
{
	if (!counts(g, 0, 0, false))
		return g->ret;
	return run(g, VACCEL_OPID_NOOP, NULL);
}

static int do_sgemm(struct genop *g)
{
	if (!counts(g, 10, 1, false))
		return g->ret;
	int64_t m = 0, n = 0, k = 0, lda = 0, ldb = 0, ldc = 0;
	float alpha = 0, beta = 0;
	bool ok = int64_arg(g, 0, &m) && int64_arg(g, 1, &n) &&
		  int64_arg(g, 2, &k) && scalar(g, 3, &alpha, sizeof(alpha)) &&
		  int64_arg(g, 5, &lda) && int64_arg(g, 7, &ldb) &&
		  scalar(g, 8, &beta, sizeof(beta)) && int64_arg(g, 9, &ldc);
	if (!ok)
		return g->ret;
	struct vaccel_oparg a[VACCEL_GEMM_NR_ARGS] = {
	    [VACCEL_GEMM_PREC] = {.v.i = VACCEL_BLAS_S},
	    [VACCEL_GEMM_LAYOUT] = {.v.i = VACCEL_BLAS_ROW},
	    [VACCEL_GEMM_TRANSA] = {.v.i = VACCEL_BLAS_NOTRANS},
	    [VACCEL_GEMM_TRANSB] = {.v.i = VACCEL_BLAS_NOTRANS},
	    [VACCEL_GEMM_M] = {.v.i = m},
	    [VACCEL_GEMM_N] = {.v.i = n},
	    [VACCEL_GEMM_K] = {.v.i = k},
	    [VACCEL_GEMM_ALPHA] = {.v.c128 = {alpha, 0}},
	    [VACCEL_GEMM_A] = buf(&g->read[4]),
	    [VACCEL_GEMM_LDA] = {.v.i = lda},
	    [VACCEL_GEMM_B] = buf(&g->read[6]),
	    [VACCEL_GEMM_LDB] = {.v.i = ldb},
	    [VACCEL_GEMM_BETA] = {.v.c128 = {beta, 0}},
	    [VACCEL_GEMM_C] = buf(&g->write[0]),
	    [VACCEL_GEMM_LDC] = {.v.i = ldc},
	};
	return run(g, VACCEL_OPID_GEMM, a);
}

static int do_image(struct genop *g)
{
	uint32_t nw = g->type == VACCEL_OP_IMAGE_CLASSIFY ? 2 : 1;
	if (!counts(g, 1, nw, false))
		return g->ret;
	struct vaccel_oparg a[3] = {buf(&g->read[0]), buf(&g->write[0])};
	if (nw == 2)
		a[2] = buf(&g->write[1]);
	return run(g, vaccel_op_of_type(g->type), a);
}

static int do_exec(struct genop *g)
{
	if (!counts(g, 2, 0, true))
		return g->ret;
	struct vaccel_oparg a[VACCEL_EXEC_NR_ARGS] = {0};
	if (!string(g, 0, &a[VACCEL_EXEC_LIBRARY]) ||
	    !string(g, 1, &a[VACCEL_EXEC_SYMBOL]))
		return g->ret;
	a[VACCEL_EXEC_READ] =
	    (struct vaccel_oparg){.buf = g->read + 2, .len = g->nr_read - 2};
	a[VACCEL_EXEC_WRITE] =
	    (struct vaccel_oparg){.buf = g->write, .len = g->nr_write};
	return run(g, VACCEL_OPID_EXEC, a);
}

static int do_exec_with_resource(struct genop *g)
{
	if (!counts(g, 2, 0, true))
		return g->ret;
	int64_t id = 0;
	struct vaccel_oparg a[VACCEL_EXEC_WITH_RESOURCE_NR_ARGS] = {0};
	if (!int64_arg(g, 0, &id) ||
	    !string(g, 1, &a[VACCEL_EXEC_WITH_RESOURCE_SYMBOL]))
		return g->ret;
	/* A program names any of its resources, as in vAccel; an op call
	 * only those registered with its session (the agent's ids are
	 * per client). */
	struct vaccel_resource *res = NULL;
	int ret = g->bounded
		      ? vaccel_session_resource_by_id(g->sess, &res, id)
		      : vaccel_resource_get_by_id(&res, id);
	if (ret) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "%s: no resource with id %lld",
			   vaccel_op_type_to_str(g->type), (long long)id);
		return ret;
	}
	a[VACCEL_EXEC_WITH_RESOURCE_OBJECT].buf = res;
	a[VACCEL_EXEC_WITH_RESOURCE_READ] =
	    (struct vaccel_oparg){.buf = g->read + 2, .len = g->nr_read - 2};
	a[VACCEL_EXEC_WITH_RESOURCE_WRITE] =
	    (struct vaccel_oparg){.buf = g->write, .len = g->nr_write};
	return run(g, VACCEL_OPID_EXEC_WITH_RESOURCE, a);
}

static int do_minmax(struct genop *g)
{
	if (!counts(g, 4, 3, false))
		return g->ret;
	int64_t ndata = 0, low = 0, high = 0;
	if (!int_arg(g, 1, &ndata) || !int_arg(g, 2, &low) ||
	    !int_arg(g, 3, &high))
		return g->ret;
	struct vaccel_oparg a[VACCEL_MINMAX_NR_ARGS] = {
	    [VACCEL_MINMAX_INDATA] = buf(&g->read[0]),
	    [VACCEL_MINMAX_NDATA] = {.v.i = ndata},
	    [VACCEL_MINMAX_LOW] = {.v.i = low},
	    [VACCEL_MINMAX_HIGH] = {.v.i = high},
	    [VACCEL_MINMAX_OUTDATA] = buf(&g->write[0]),
	    [VACCEL_MINMAX_MIN] = buf(&g->write[1]),
	    [VACCEL_MINMAX_MAX] = buf(&g->write[2]),
	};
	return run(g, VACCEL_OPID_MINMAX, a);
}

/* The fpga ops take their lengths from the first read arg's size. */
static int do_fpga(struct genop *g)
{
	uint32_t nr = g->type == VACCEL_OP_FPGA_ARRAYCOPY ? 1 : 2;
	uint32_t nw = g->type == VACCEL_OP_FPGA_PARALLEL ? 2 : 1;
	if (!counts(g, nr, nw, false))
		return g->ret;
	/* int and float elements alike are 4 bytes */
	uint64_t len_a = g->read[0].size / sizeof(float);
	switch (g->type) {
	case VACCEL_OP_FPGA_ARRAYCOPY: {
		struct vaccel_oparg a[VACCEL_FPGA_ARRAYCOPY_NR_ARGS] = {
		    buf(&g->read[0]), buf(&g->write[0]), {.v.i = (int64_t)len_a}};
		return run(g, VACCEL_OPID_FPGA_ARRAYCOPY, a);
	}
	case VACCEL_OP_FPGA_MMULT: {
		struct vaccel_oparg a[VACCEL_FPGA_MMULT_NR_ARGS] = {
		    buf(&g->read[0]), buf(&g->read[1]), buf(&g->write[0]),
		    {.v.i = (int64_t)len_a}};
		return run(g, VACCEL_OPID_FPGA_MMULT, a);
	}
	case VACCEL_OP_FPGA_PARALLEL: {
		struct vaccel_oparg a[VACCEL_FPGA_PARALLEL_NR_ARGS] = {
		    buf(&g->read[0]), buf(&g->read[1]), buf(&g->write[0]),
		    buf(&g->write[1]), {.v.i = (int64_t)len_a}};
		return run(g, VACCEL_OPID_FPGA_PARALLEL, a);
	}
	default: {
		uint64_t len_b = g->read[1].size / sizeof(float);
		struct vaccel_oparg a[VACCEL_FPGA_VADD_NR_ARGS] = {
		    buf(&g->read[0]), buf(&g->read[1]), buf(&g->write[0]),
		    {.v.i = (int64_t)len_a}, {.v.i = (int64_t)len_b}};
		return run(g, VACCEL_OPID_FPGA_VADD, a);
	}
	}
}

static int do_opencv(struct genop *g)
{
	struct vaccel_oparg a[VACCEL_OPENCV_NR_ARGS] = {
	    {.buf = g->read, .len = g->nr_read},
	    {.buf = g->write, .len = g->nr_write},
	};
	return run(g, VACCEL_OPID_OPENCV, a);
}

static int no_generic_form(struct genop *g)
{
	vaccel_log(VACCEL_LOG_ERROR, TAG,
		   "%s has no generic form: call its own function",
		   vaccel_op_type_to_str(g->type));
	return VACCEL_ENOTSUP;
}

/* vAccel's genop table: the op types it unpacks. The TensorFlow model
 * types and the Torch ones map to noop there, as here; TFLite's have no
 * entry. */
static int (*const table[VACCEL_OP_MAX])(struct genop *) = {
    [VACCEL_OP_NOOP] = do_noop,
    [VACCEL_OP_BLAS_SGEMM] = do_sgemm,
    [VACCEL_OP_IMAGE_CLASSIFY] = do_image,
    [VACCEL_OP_IMAGE_DETECT] = do_image,
    [VACCEL_OP_IMAGE_SEGMENT] = do_image,
    [VACCEL_OP_IMAGE_POSE] = do_image,
    [VACCEL_OP_IMAGE_DEPTH] = do_image,
    [VACCEL_OP_EXEC] = do_exec,
    [VACCEL_OP_TF_MODEL_NEW] = do_noop,
    [VACCEL_OP_TF_MODEL_DESTROY] = do_noop,
    [VACCEL_OP_TF_MODEL_REGISTER] = do_noop,
    [VACCEL_OP_TF_MODEL_UNREGISTER] = do_noop,
    [VACCEL_OP_TF_SESSION_LOAD] = do_noop,
    [VACCEL_OP_TF_SESSION_RUN] = do_noop,
    [VACCEL_OP_TF_SESSION_DELETE] = do_noop,
    [VACCEL_OP_MINMAX] = do_minmax,
    [VACCEL_OP_FPGA_ARRAYCOPY] = do_fpga,
    [VACCEL_OP_FPGA_MMULT] = do_fpga,
    [VACCEL_OP_FPGA_PARALLEL] = do_fpga,
    [VACCEL_OP_FPGA_VECTORADD] = do_fpga,
    [VACCEL_OP_EXEC_WITH_RESOURCE] = do_exec_with_resource,
    [VACCEL_OP_TORCH_JITLOAD_FORWARD] = do_noop,
    [VACCEL_OP_TORCH_SGEMM] = do_noop,
    [VACCEL_OP_OPENCV] = do_opencv,
    [VACCEL_OP_TFLITE_SESSION_LOAD] = no_generic_form,
    [VACCEL_OP_TFLITE_SESSION_RUN] = no_generic_form,
    [VACCEL_OP_TFLITE_SESSION_DELETE] = no_generic_form,
};

int genop_dispatch(struct vaccel_session *sess, struct vaccel_arg *read,
		   uint64_t nr_read, struct vaccel_arg *write,
		   uint64_t nr_write, bool bounded)
{
	if (!nr_read || !read || !read[0].buf || !read[0].size) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "genop without an op type in read[0]");
		return VACCEL_EINVAL;
	}
	if (nr_read > INT32_MAX || nr_write > INT32_MAX ||
	    (nr_write && !write))
		return VACCEL_EINVAL;
	/* The type is read at the size the caller gave (vAccel's own tests
	 * pass it as one byte), at most a vaccel_op_type_t's. */
	uint32_t type;
	switch (read[0].size) {
	case 1:
		type = *(const uint8_t *)read[0].buf;
		break;
	case 2:
	case 3:
		type = *(const uint16_t *)read[0].buf;
		break;
	default:
		type = (uint32_t) * (const vaccel_op_type_t *)read[0].buf;
	}
	if (type >= VACCEL_OP_MAX) {
		vaccel_log(VACCEL_LOG_ERROR, TAG, "invalid op type %u", type);
		return VACCEL_EINVAL;
	}
	struct genop g = {
	    .sess = sess,
	    .read = read + 1,
	    .nr_read = (uint32_t)nr_read - 1,
	    .write = write,
	    .nr_write = (uint32_t)nr_write,
	    .bounded = bounded,
	    .type = (vaccel_op_type_t)type,
	};
	return table[type](&g);
}

int vaccel_genop(struct vaccel_session *sess, struct vaccel_arg *read,
		 int nr_read, struct vaccel_arg *write, int nr_write)
{
	core_ensure();
	if (!session_live(sess) || nr_read < 0 || nr_write < 0)
		return VACCEL_EINVAL;
	return genop_dispatch(sess, read, (uint64_t)nr_read, write,
			      (uint64_t)nr_write, false);
}
