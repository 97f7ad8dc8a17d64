// SPDX-License-Identifier: Apache-2.0
/*
 * vAccel's plugin ABI beside ours: a plugin built with VACCEL_PLUGIN(...)
 * exports `vaccel_plugin`; its init registers ops, each a function with
 * the signature of the op type's native function. The loader wraps such a
 * plugin in one of our descriptors whose ops are adapters: each unpacks our
 * argument vector into the vAccel function's arguments (and the framework
 * tensors back), so the plugin serves calls from this process and, in the
 * agent, from guests, like any other.
 */
#include "internal.h"
#include "op_desc.h"
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG "plugin"

struct legacy {
	/* our descriptor for it (the loader's p->desc points here) */
	struct vaccel_plugin_desc desc;
	struct vaccel_plugin_op ops[VACCEL_OP_MAX];
	/* the registered function of each op type, NULL if none */
	void *funcs[VACCEL_OP_MAX];
	struct vaccel_plugin *vp;
};

/* The plugin whose init is running (the loader holds its lock). */
static struct legacy *registering;

#define FN(priv, type) (((struct legacy *)(priv))->funcs[type])
#define SZ(a) ((size_t)(a).len)

static int a_noop(void *priv, struct vaccel_session *sess,
		  const struct vaccel_op_desc *op, struct vaccel_oparg *args)
{
	(void)op;
	(void)args;
	int (*f)(struct vaccel_session *) = FN(priv, VACCEL_OP_NOOP);
	return f(sess);
}

/* vAccel's sgemm serves gemm in vaccel_sgemm's form only. */
static int a_sgemm(void *priv, struct vaccel_session *sess,
		   const struct vaccel_op_desc *op, struct vaccel_oparg *a)
{
	if (a[VACCEL_GEMM_PREC].v.i != VACCEL_BLAS_S ||
	    a[VACCEL_GEMM_LAYOUT].v.i != VACCEL_BLAS_ROW ||
	    a[VACCEL_GEMM_TRANSA].v.i != VACCEL_BLAS_NOTRANS ||
	    a[VACCEL_GEMM_TRANSB].v.i != VACCEL_BLAS_NOTRANS) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "op '%s': a vAccel plugin's sgemm serves only "
			   "row-major single precision without transposes",
			   op->name);
		return VACCEL_ENOTSUP;
	}
	int (*f)(struct vaccel_session *, long long, long long, long long,
		 float, float *, long long, float *, long long, float, float *,
		 long long) = FN(priv, VACCEL_OP_BLAS_SGEMM);
	return f(sess, a[VACCEL_GEMM_M].v.i, a[VACCEL_GEMM_N].v.i,
		 a[VACCEL_GEMM_K].v.i, (float)a[VACCEL_GEMM_ALPHA].v.c128[0],
		 a[VACCEL_GEMM_A].buf, a[VACCEL_GEMM_LDA].v.i,
		 a[VACCEL_GEMM_B].buf, a[VACCEL_GEMM_LDB].v.i,
		 (float)a[VACCEL_GEMM_BETA].v.c128[0], a[VACCEL_GEMM_C].buf,
		 a[VACCEL_GEMM_LDC].v.i);
}

static int a_image(void *priv, struct vaccel_session *sess,
		   const struct vaccel_op_desc *op, struct vaccel_oparg *a)
{
	for (int t = VACCEL_OP_IMAGE_CLASSIFY; t <= VACCEL_OP_IMAGE_DEPTH; t++)
		if (vaccel_op_of_type((uint32_t)t) == op->id) {
			if (t == VACCEL_OP_IMAGE_CLASSIFY) {
				int (*f)(struct vaccel_session *, const void *,
					 unsigned char *, unsigned char *,
					 size_t, size_t, size_t) =
				    FN(priv, t);
				return f(sess, a[0].buf, a[1].buf, a[2].buf,
					 SZ(a[0]), SZ(a[1]), SZ(a[2]));
			}
			int (*f)(struct vaccel_session *, const void *,
				 unsigned char *, size_t, size_t) = FN(priv, t);
			return f(sess, a[0].buf, a[1].buf, SZ(a[0]), SZ(a[1]));
		}
	return VACCEL_ENOTSUP;
}

static int a_exec(void *priv, struct vaccel_session *sess,
		  const struct vaccel_op_desc *op, struct vaccel_oparg *a)
{
	(void)op;
	int (*f)(struct vaccel_session *, const char *, const char *,
		 struct vaccel_arg *, size_t, struct vaccel_arg *, size_t) =
	    FN(priv, VACCEL_OP_EXEC);
	return f(sess, a[VACCEL_EXEC_LIBRARY].buf, a[VACCEL_EXEC_SYMBOL].buf,
		 a[VACCEL_EXEC_READ].buf, SZ(a[VACCEL_EXEC_READ]),
		 a[VACCEL_EXEC_WRITE].buf, SZ(a[VACCEL_EXEC_WRITE]));
}

static int a_exec_with_resource(void *priv, struct vaccel_session *sess,
				const struct vaccel_op_desc *op,
				struct vaccel_oparg *a)
{
	(void)op;
	int (*f)(struct vaccel_session *, struct vaccel_resource *,
		 const char *, struct vaccel_arg *, size_t, struct vaccel_arg *,
		 size_t) = FN(priv, VACCEL_OP_EXEC_WITH_RESOURCE);
	return f(sess, a[VACCEL_EXEC_WITH_RESOURCE_OBJECT].buf,
		 a[VACCEL_EXEC_WITH_RESOURCE_SYMBOL].buf,
		 a[VACCEL_EXEC_WITH_RESOURCE_READ].buf,
		 SZ(a[VACCEL_EXEC_WITH_RESOURCE_READ]),
		 a[VACCEL_EXEC_WITH_RESOURCE_WRITE].buf,
		 SZ(a[VACCEL_EXEC_WITH_RESOURCE_WRITE]));
}

static int a_minmax(void *priv, struct vaccel_session *sess,
		    const struct vaccel_op_desc *op, struct vaccel_oparg *a)
{
	(void)op;
	int (*f)(struct vaccel_session *, const double *, int, int, int,
		 double *, double *, double *) = FN(priv, VACCEL_OP_MINMAX);
	return f(sess, a[VACCEL_MINMAX_INDATA].buf,
		 (int)a[VACCEL_MINMAX_NDATA].v.i, (int)a[VACCEL_MINMAX_LOW].v.i,
		 (int)a[VACCEL_MINMAX_HIGH].v.i, a[VACCEL_MINMAX_OUTDATA].buf,
		 a[VACCEL_MINMAX_MIN].buf, a[VACCEL_MINMAX_MAX].buf);
}

static int a_fpga(void *priv, struct vaccel_session *sess,
		  const struct vaccel_op_desc *op, struct vaccel_oparg *a)
{
	switch (op->id) {
	case VACCEL_OPID_FPGA_ARRAYCOPY: {
		int (*f)(struct vaccel_session *, int *, int *, size_t) =
		    FN(priv, VACCEL_OP_FPGA_ARRAYCOPY);
		return f(sess, a[0].buf, a[1].buf, (size_t)a[2].v.i);
	}
	case VACCEL_OPID_FPGA_MMULT: {
		int (*f)(struct vaccel_session *, float *, float *, float *,
			 size_t) = FN(priv, VACCEL_OP_FPGA_MMULT);
		return f(sess, a[0].buf, a[1].buf, a[2].buf, (size_t)a[3].v.i);
	}
	case VACCEL_OPID_FPGA_PARALLEL: {
		int (*f)(struct vaccel_session *, float *, float *, float *,
			 float *, size_t) = FN(priv, VACCEL_OP_FPGA_PARALLEL);
		return f(sess, a[0].buf, a[1].buf, a[2].buf, a[3].buf,
			 (size_t)a[4].v.i);
	}
	default: {
		int (*f)(struct vaccel_session *, float *, float *, float *,
			 size_t, size_t) = FN(priv, VACCEL_OP_FPGA_VECTORADD);
		return f(sess, a[0].buf, a[1].buf, a[2].buf, (size_t)a[3].v.i,
			 (size_t)a[4].v.i);
	}
	}
}

static int a_opencv(void *priv, struct vaccel_session *sess,
		    const struct vaccel_op_desc *op, struct vaccel_oparg *a)
{
	(void)op;
	int (*f)(struct vaccel_session *, struct vaccel_arg *, int,
		 struct vaccel_arg *, int) = FN(priv, VACCEL_OP_OPENCV);
	return f(sess, a[0].buf, (int)a[0].len, a[1].buf, (int)a[1].len);
}

/* A TF status into our status buffer (code, then the message). */
static void status_in(struct vaccel_oparg *buf, struct vaccel_tf_status *st)
{
	uint8_t *b = buf->buf;
	if (buf->len) {
		b[0] = st->error_code;
		if (buf->len > 1)
			snprintf((char *)b + 1, buf->len - 1, "%s",
				 st->message ? st->message : "");
	}
	free(st->message);
}

/* Framework tensors the plugin returned, moved into our output list (the
 * plugin allocated them with malloc, as vAccel's own do). */
#define MOVE_OUTPUTS(TYPE, outs, t, n)                                         \
	({                                                                     \
		int r_ = VACCEL_OK;                                            \
		for (uint64_t i_ = 0; i_ < (n); i_++) {                        \
			TYPE *o_ = (outs)[i_];                                 \
			if (!o_)                                               \
				continue;                                      \
			if (!r_ && (o_->nr_dims < 0 ||                         \
				    o_->nr_dims > VACCEL_TENSOR_MAX_DIMS)) {   \
				vaccel_log(VACCEL_LOG_ERROR, TAG,              \
					   "output %llu has %lld dimensions",  \
					   (unsigned long long)i_,             \
					   (long long)o_->nr_dims);            \
				r_ = VACCEL_EBACKEND;                          \
			}                                                      \
			if (!r_) {                                             \
				(t)[i_].dtype = (uint32_t)o_->data_type;       \
				(t)[i_].ndim = (uint32_t)o_->nr_dims;          \
				for (uint32_t k_ = 0; k_ < (t)[i_].ndim; k_++) \
					(t)[i_].dims[k_] = o_->dims[k_];       \
				(t)[i_].size = o_->size;                       \
				(t)[i_].data = o_->data;                       \
				if (!o_->owned && o_->size) {                  \
					(t)[i_].data = malloc(o_->size);       \
					if ((t)[i_].data)                      \
						memcpy((t)[i_].data, o_->data, \
						       o_->size);              \
					else                                   \
						r_ = VACCEL_ENOMEM;            \
				}                                              \
			} else if (o_->owned) {                                \
				free(o_->data);                                \
			}                                                      \
			free(o_->dims);                                        \
			free(o_);                                              \
		}                                                              \
		if (r_)                                                        \
			for (uint64_t i_ = 0; i_ < (n); i_++) {                \
				free((t)[i_].data);                            \
				(t)[i_].data = NULL;                           \
				(t)[i_].size = 0;                              \
			}                                                      \
		r_;                                                            \
	})

/* Our input tensors as framework tensors; dims point into ours where the
 * types agree (dims64), else are copied into dims32. */
#define FRAMEWORK_INPUTS(TYPE, ENUM, ft, t, n, dims32)                         \
	for (uint64_t i_ = 0; i_ < (n); i_++) {                                \
		ft[i_] = (TYPE){.data = (t)[i_].data,                          \
				.size = (t)[i_].size,                          \
				.nr_dims = (t)[i_].ndim,                       \
				.data_type = (enum ENUM)(t)[i_].dtype};        \
		if (dims32) {                                                  \
			for (uint32_t k_ = 0; k_ < (t)[i_].ndim; k_++)         \
				(dims32)[i_ * VACCEL_TENSOR_MAX_DIMS + k_] =   \
				    (int32_t)(t)[i_].dims[k_];                 \
			ft[i_].dims = (void *)&(                               \
			    dims32)[i_ * VACCEL_TENSOR_MAX_DIMS];              \
		} else {                                                       \
			ft[i_].dims = (void *)(t)[i_].dims;                    \
		}                                                              \
	}

static void *calloc1(uint64_t n, size_t size)
{
	return calloc(n ? (size_t)n : 1, size);
}

static int a_framework(void *priv, struct vaccel_session *sess,
		       const struct vaccel_op_desc *op, struct vaccel_oparg *a)
{
	int ret = VACCEL_ENOMEM;
	switch (op->id) {
	case VACCEL_OPID_TF_SESSION_LOAD:
	case VACCEL_OPID_TF_SESSION_DELETE: {
		int (*f)(struct vaccel_session *, struct vaccel_resource *,
			 struct vaccel_tf_status *) =
		    FN(priv, op->id == VACCEL_OPID_TF_SESSION_LOAD
				 ? VACCEL_OP_TF_SESSION_LOAD
				 : VACCEL_OP_TF_SESSION_DELETE);
		struct vaccel_tf_status st = {0};
		ret = f(sess, a[0].buf, &st);
		status_in(&a[1], &st);
		return ret;
	}
	case VACCEL_OPID_TFLITE_SESSION_LOAD:
	case VACCEL_OPID_TFLITE_SESSION_DELETE: {
		int (*f)(struct vaccel_session *, struct vaccel_resource *) =
		    FN(priv, op->id == VACCEL_OPID_TFLITE_SESSION_LOAD
				 ? VACCEL_OP_TFLITE_SESSION_LOAD
				 : VACCEL_OP_TFLITE_SESSION_DELETE);
		return f(sess, a[0].buf);
	}
	case VACCEL_OPID_TF_SESSION_RUN: {
		struct vaccel_oparg *in = &a[VACCEL_TF_SESSION_RUN_INPUTS];
		struct vaccel_oparg *out = &a[VACCEL_TF_SESSION_RUN_OUTPUTS];
		const struct vaccel_arg *ni =
		    a[VACCEL_TF_SESSION_RUN_IN_NODES].buf;
		const struct vaccel_arg *no =
		    a[VACCEL_TF_SESSION_RUN_OUT_NODES].buf;
		if (a[VACCEL_TF_SESSION_RUN_IN_NODES].len != in->len ||
		    a[VACCEL_TF_SESSION_RUN_OUT_NODES].len != out->len)
			return VACCEL_EINVAL;
		struct vaccel_tf_tensor *ft = calloc1(in->len, sizeof(*ft));
		struct vaccel_tf_tensor **fi = calloc1(in->len, sizeof(*fi));
		struct vaccel_tf_tensor **fo = calloc1(out->len, sizeof(*fo));
		struct vaccel_tf_node *nin = calloc1(in->len, sizeof(*nin));
		struct vaccel_tf_node *nout = calloc1(out->len, sizeof(*nout));
		if (!ft || !fi || !fo || !nin || !nout)
			goto free_tf;
		int32_t *no_dims = NULL;
		FRAMEWORK_INPUTS(struct vaccel_tf_tensor, vaccel_tf_data_type,
				 ft, (struct vaccel_tensor *)in->buf, in->len,
				 no_dims);
		for (uint64_t i = 0; i < in->len; i++) {
			fi[i] = &ft[i];
			nin[i] = (struct vaccel_tf_node){
			    .name = ni[i].buf, .id = (int)ni[i].argtype};
		}
		for (uint64_t i = 0; i < out->len; i++)
			nout[i] = (struct vaccel_tf_node){
			    .name = no[i].buf, .id = (int)no[i].argtype};
		struct vaccel_tf_buffer opts = {
		    a[VACCEL_TF_SESSION_RUN_RUN_OPTIONS].buf,
		    SZ(a[VACCEL_TF_SESSION_RUN_RUN_OPTIONS])};
		struct vaccel_tf_status st = {0};
		int (*f)(struct vaccel_session *, const struct vaccel_resource *,
			 const struct vaccel_tf_buffer *,
			 const struct vaccel_tf_node *,
			 struct vaccel_tf_tensor *const *, int,
			 const struct vaccel_tf_node *,
			 struct vaccel_tf_tensor **, int,
			 struct vaccel_tf_status *) =
		    FN(priv, VACCEL_OP_TF_SESSION_RUN);
		ret = f(sess, a[0].buf, &opts, nin, fi, (int)in->len, nout, fo,
			(int)out->len, &st);
		status_in(&a[VACCEL_TF_SESSION_RUN_STATUS], &st);
		int moved = MOVE_OUTPUTS(struct vaccel_tf_tensor, fo,
					 (struct vaccel_tensor *)out->buf,
					 out->len);
		if (!ret)
			ret = moved;
	free_tf:
		free(nout);
		free(nin);
		free(fo);
		free(fi);
		free(ft);
		return ret;
	}
	case VACCEL_OPID_TFLITE_SESSION_RUN: {
		struct vaccel_oparg *in = &a[VACCEL_TFLITE_SESSION_RUN_INPUTS];
		struct vaccel_oparg *out =
		    &a[VACCEL_TFLITE_SESSION_RUN_OUTPUTS];
		struct vaccel_tflite_tensor *ft = calloc1(in->len, sizeof(*ft));
		struct vaccel_tflite_tensor **fi =
		    calloc1(in->len, sizeof(*fi));
		struct vaccel_tflite_tensor **fo =
		    calloc1(out->len, sizeof(*fo));
		int32_t *dims32 = calloc1(in->len * VACCEL_TENSOR_MAX_DIMS,
					  sizeof(*dims32));
		if (!ft || !fi || !fo || !dims32)
			goto free_tflite;
		FRAMEWORK_INPUTS(struct vaccel_tflite_tensor,
				 vaccel_tflite_data_type, ft,
				 (struct vaccel_tensor *)in->buf, in->len,
				 dims32);
		for (uint64_t i = 0; i < in->len; i++)
			fi[i] = &ft[i];
		int (*f)(struct vaccel_session *, const struct vaccel_resource *,
			 struct vaccel_tflite_tensor *const *, int,
			 struct vaccel_tflite_tensor **, int, uint8_t *) =
		    FN(priv, VACCEL_OP_TFLITE_SESSION_RUN);
		ret = f(sess, a[0].buf, fi, (int)in->len, fo, (int)out->len,
			a[VACCEL_TFLITE_SESSION_RUN_STATUS].buf);
		int moved = MOVE_OUTPUTS(struct vaccel_tflite_tensor, fo,
					 (struct vaccel_tensor *)out->buf,
					 out->len);
		if (!ret)
			ret = moved;
	free_tflite:
		free(dims32);
		free(fo);
		free(fi);
		free(ft);
		return ret;
	}
	case VACCEL_OPID_TORCH_JITLOAD_FORWARD: {
		struct vaccel_oparg *in =
		    &a[VACCEL_TORCH_JITLOAD_FORWARD_INPUTS];
		struct vaccel_oparg *out =
		    &a[VACCEL_TORCH_JITLOAD_FORWARD_OUTPUTS];
		struct vaccel_torch_tensor *ft = calloc1(in->len, sizeof(*ft));
		struct vaccel_torch_tensor **fi = calloc1(in->len, sizeof(*fi));
		struct vaccel_torch_tensor **fo =
		    calloc1(out->len, sizeof(*fo));
		if (!ft || !fi || !fo)
			goto free_torch;
		int32_t *no_dims = NULL;
		FRAMEWORK_INPUTS(struct vaccel_torch_tensor,
				 vaccel_torch_data_type, ft,
				 (struct vaccel_tensor *)in->buf, in->len,
				 no_dims);
		for (uint64_t i = 0; i < in->len; i++)
			fi[i] = &ft[i];
		struct vaccel_torch_buffer opts = {
		    a[VACCEL_TORCH_JITLOAD_FORWARD_RUN_OPTIONS].buf,
		    SZ(a[VACCEL_TORCH_JITLOAD_FORWARD_RUN_OPTIONS])};
		int (*f)(struct vaccel_session *, const struct vaccel_resource *,
			 const struct vaccel_torch_buffer *,
			 struct vaccel_torch_tensor **, int,
			 struct vaccel_torch_tensor **, int) =
		    FN(priv, VACCEL_OP_TORCH_JITLOAD_FORWARD);
		ret = f(sess, a[0].buf, &opts, fi, (int)in->len, fo,
			(int)out->len);
		int moved = MOVE_OUTPUTS(struct vaccel_torch_tensor, fo,
					 (struct vaccel_tensor *)out->buf,
					 out->len);
		if (!ret)
			ret = moved;
	free_torch:
		free(fo);
		free(fi);
		free(ft);
		return ret;
	}
	default: { /* torch_sgemm */
		struct vaccel_torch_tensor ft[3], *fp[3], *fo = NULL;
		int32_t *no_dims = NULL;
		for (int i = 0; i < 3; i++) {
			FRAMEWORK_INPUTS(struct vaccel_torch_tensor,
					 vaccel_torch_data_type, (&ft[i]),
					 (struct vaccel_tensor *)a[i].buf, 1,
					 no_dims);
			fp[i] = &ft[i];
		}
		int (*f)(struct vaccel_session *, struct vaccel_torch_tensor **,
			 struct vaccel_torch_tensor **,
			 struct vaccel_torch_tensor **, int, int, int,
			 struct vaccel_torch_tensor **) =
		    FN(priv, VACCEL_OP_TORCH_SGEMM);
		ret = f(sess, &fp[0], &fp[1], &fp[2],
			(int)a[VACCEL_TORCH_SGEMM_M].v.i,
			(int)a[VACCEL_TORCH_SGEMM_N].v.i,
			(int)a[VACCEL_TORCH_SGEMM_K].v.i, &fo);
		int moved = MOVE_OUTPUTS(struct vaccel_torch_tensor, (&fo),
					 (struct vaccel_tensor *)
					     a[VACCEL_TORCH_SGEMM_OUT]
						 .buf,
					 1);
		return ret ? ret : moved;
	}
	}
}

/* The adapter of each op type that is one of our ops. */
static vaccel_op_fn adapter(vaccel_op_type_t type)
{
	switch (type) {
	case VACCEL_OP_NOOP:
		return a_noop;
	case VACCEL_OP_BLAS_SGEMM:
		return a_sgemm;
	case VACCEL_OP_IMAGE_CLASSIFY:
	case VACCEL_OP_IMAGE_DETECT:
	case VACCEL_OP_IMAGE_SEGMENT:
	case VACCEL_OP_IMAGE_POSE:
	case VACCEL_OP_IMAGE_DEPTH:
		return a_image;
	case VACCEL_OP_EXEC:
		return a_exec;
	case VACCEL_OP_EXEC_WITH_RESOURCE:
		return a_exec_with_resource;
	case VACCEL_OP_MINMAX:
		return a_minmax;
	case VACCEL_OP_FPGA_ARRAYCOPY:
	case VACCEL_OP_FPGA_MMULT:
	case VACCEL_OP_FPGA_PARALLEL:
	case VACCEL_OP_FPGA_VECTORADD:
		return a_fpga;
	case VACCEL_OP_OPENCV:
		return a_opencv;
	case VACCEL_OP_TF_SESSION_LOAD:
	case VACCEL_OP_TF_SESSION_RUN:
	case VACCEL_OP_TF_SESSION_DELETE:
	case VACCEL_OP_TFLITE_SESSION_LOAD:
	case VACCEL_OP_TFLITE_SESSION_RUN:
	case VACCEL_OP_TFLITE_SESSION_DELETE:
	case VACCEL_OP_TORCH_JITLOAD_FORWARD:
	case VACCEL_OP_TORCH_SGEMM:
		return a_framework;
	default:
		return NULL;
	}
}

int vaccel_plugin_register_op(struct vaccel_op *op)
{
	if (!op || !op->func) {
		vaccel_log(VACCEL_LOG_ERROR, TAG, "register_op: NULL op");
		return VACCEL_EINVAL;
	}
	if ((unsigned int)op->type >= VACCEL_OP_MAX) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "register_op: unknown op type %d", (int)op->type);
		return VACCEL_EINVAL;
	}
	struct legacy *l = registering;
	if (!l || op->owner != l->vp) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "register_op: %s from outside the init of the "
			   "plugin it belongs to",
			   vaccel_op_type_to_str(op->type));
		return VACCEL_EINVAL;
	}
	if (!adapter(op->type) || vaccel_op_of_type(op->type) == UINT32_MAX) {
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "'%s' registers %s, which no function of this "
			   "library calls: ignored",
			   l->desc.name, vaccel_op_type_to_str(op->type));
		return VACCEL_OK;
	}
	if (l->funcs[op->type])
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "'%s' registers %s twice: the first one serves it",
			   l->desc.name, vaccel_op_type_to_str(op->type));
	else
		l->funcs[op->type] = op->func;
	return VACCEL_OK;
}

int vaccel_plugin_register_ops(struct vaccel_op *ops, size_t nr_ops)
{
	if (!ops && nr_ops)
		return VACCEL_EINVAL;
	for (size_t i = 0; i < nr_ops; i++) {
		int ret = vaccel_plugin_register_op(&ops[i]);
		if (ret)
			return ret;
	}
	return VACCEL_OK;
}

void vaccel_plugin_print_all_by_op_type(vaccel_op_type_t op_type)
{
	uint32_t id = vaccel_op_of_type(op_type);
	unsigned int n;
	struct plugin *const *p = plugins_snapshot(&n);
	for (unsigned int i = 0; id != UINT32_MAX && i < n; i++) {
		const struct vaccel_plugin_desc *d = p[i]->desc;
		bool has = PLUGIN_HAS(p[i], any_op);
		for (size_t k = 0; !has && k < d->nr_ops; k++)
			has = d->ops[k].op_id == id;
		if (has)
			vaccel_log(VACCEL_LOG_INFO, TAG, "%s: %s (%s)",
				   vaccel_op_type_to_str(op_type), d->name,
				   vaccel_plugin_type_to_str(
				       (vaccel_plugin_type_t)d->type));
	}
}

/* "0.7.1", "v0.7.1", "0.7.1-extra" */
static bool parse_version(const char *s, int v[3], const char **extra)
{
	int n = 0;
	if (!s)
		return false;
	if (*s == 'v')
		s++;
	if (sscanf(s, "%d.%d.%d%n", &v[0], &v[1], &v[2], &n) != 3)
		return false;
	*extra = s + n;
	return true;
}

/* vAccel's check of the version a plugin was built against. */
static int check_version(const struct vaccel_plugin_info *info)
{
	if (core_version_ignore())
		return VACCEL_OK;
	int pv[3], ov[3];
	const char *pe, *oe;
	if (!info->vaccel_version) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "'%s' has no vaccel_version", info->name);
		return VACCEL_EINVAL;
	}
	if (!parse_version(info->vaccel_version, pv, &pe) ||
	    !parse_version(VACCEL_VERSION, ov, &oe)) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "'%s': cannot read vaccel_version '%s'", info->name,
			   info->vaccel_version);
		return VACCEL_EINVAL;
	}
	if (pv[0] != ov[0]) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "'%s' was built for vAccel %s; this library "
			   "implements vAccel %s (major versions must match)",
			   info->name, info->vaccel_version, VACCEL_VERSION);
		return VACCEL_EINVAL;
	}
	if (pv[1] != ov[1] || pv[2] != ov[2] || strcmp(pe, oe) != 0)
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "'%s' was built for vAccel %s; this library "
			   "implements vAccel %s: loading it (set "
			   "VACCEL_VERSION_IGNORE=1 to silence)",
			   info->name, info->vaccel_version, VACCEL_VERSION);
	return VACCEL_OK;
}

static int legacy_init(void *priv)
{
	(void)priv;
	return VACCEL_OK;
}

static void legacy_fini(void *priv)
{
	struct legacy *l = priv;
	int ret = l->vp->info->fini();
	if (ret)
		vaccel_log(VACCEL_LOG_WARN, TAG, "'%s' fini failed: %s",
			   l->desc.name, vaccel_strerror(ret));
}

static int legacy_session_init(void *priv, struct vaccel_session *sess,
			       uint32_t flags)
{
	return ((struct legacy *)priv)->vp->info->session_init(sess, flags);
}

static int legacy_session_release(void *priv, struct vaccel_session *sess)
{
	return ((struct legacy *)priv)->vp->info->session_release(sess);
}

static int legacy_resource_register(void *priv, struct vaccel_resource *res,
				    struct vaccel_session *sess)
{
	return ((struct legacy *)priv)->vp->info->resource_register(res, sess);
}

static int legacy_resource_unregister(void *priv, struct vaccel_resource *res,
				      struct vaccel_session *sess)
{
	return ((struct legacy *)priv)->vp->info->resource_unregister(res,
								       sess);
}

int plugin_vaccel_wrap(void *dl, const char *path, struct plugin *p)
{
	struct vaccel_plugin *const *sym = dlsym(dl, "vaccel_plugin");
	struct vaccel_plugin *vp = sym ? *sym : NULL;
	struct vaccel_plugin_info *info = vp ? vp->info : NULL;
	if (!info) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "'%s' is not a vAccel plugin: no '%s' nor "
			   "'vaccel_plugin' symbol",
			   path, VACCEL_PLUGIN_SYMBOL_STR);
		return VACCEL_ELIBBAD;
	}
	if (!info->name || !*info->name || !info->version || !info->init ||
	    !info->fini) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "'%s': a vAccel plugin needs a name, a version, an "
			   "init and a fini",
			   path);
		return VACCEL_EINVAL;
	}
	int ret = check_version(info);
	if (ret)
		return ret;
	struct legacy *l = calloc(1, sizeof(*l));
	if (!l)
		return VACCEL_ENOMEM;
	l->vp = vp;
	vp->dl_handle = dl;
	l->desc = (struct vaccel_plugin_desc){
	    .abi_major = VACCEL_PLUGIN_ABI_MAJOR,
	    .abi_minor = VACCEL_PLUGIN_ABI_MINOR,
	    .desc_size = sizeof(l->desc),
	    .name = info->name,
	    .version = info->version,
	    .type = (uint32_t)info->type,
	    .init = legacy_init,
	    .fini = legacy_fini,
	    .ops = l->ops,
	};
	if (info->session_init && info->session_release) {
		l->desc.session_init = legacy_session_init;
		l->desc.session_release = legacy_session_release;
	}
	if (info->resource_register && info->resource_unregister) {
		l->desc.resource_register = legacy_resource_register;
		l->desc.resource_unregister = legacy_resource_unregister;
	}
	registering = l;
	ret = info->init();
	registering = NULL;
	if (ret) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "'%s' failed to initialize: %s", info->name,
			   vaccel_strerror(ret));
		free(l);
		return ret;
	}
	for (int t = 0; t < VACCEL_OP_MAX; t++)
		if (l->funcs[t])
			l->ops[l->desc.nr_ops++] = (struct vaccel_plugin_op){
			    vaccel_op_of_type((uint32_t)t),
			    adapter((vaccel_op_type_t)t)};
	p->desc = &l->desc;
	p->desc_size = sizeof(l->desc);
	p->priv = l;
	return VACCEL_OK;
}
