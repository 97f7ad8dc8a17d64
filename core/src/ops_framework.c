// SPDX-License-Identifier: Apache-2.0
/*
 * vAccel's TensorFlow, TFLite and Torch ops as ops of the spec. Each
 * framework tensor becomes a `struct vaccel_tensor` of a RAW list (dtype
 * the framework's code, at most VACCEL_TENSOR_MAX_DIMS dimensions); the op
 * allocates the outputs, which come back as new framework tensors that own
 * their data, as vAccel's plugins return them. A status travels as one
 * buffer: its code, then a NUL-terminated message.
 */
#include "internal.h"
#include <stdlib.h>
#include <string.h>

#define TAG "ops"
/* code byte + message */
#define STATUS_BUF 256

static int model_check(struct vaccel_session *sess,
		       const struct vaccel_resource *model, const char *fn)
{
	core_ensure();
	if (!session_live(sess) || !model)
		return VACCEL_EINVAL;
	if (model->type != VACCEL_RESOURCE_MODEL) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "%s: resource %lld is not a model", fn,
			   (long long)model->id);
		return VACCEL_EINVAL;
	}
	if (!vaccel_session_has_resource(sess, model)) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "%s: resource %lld is not registered with session "
			   "%lld",
			   fn, (long long)model->id, (long long)sess->id);
		return VACCEL_EPERM;
	}
	return VACCEL_OK;
}

/* Framework tensors in: t[i] from src[i] (all three frameworks' tensors
 * have the same member names). */
#define TENSORS_IN(t, src, n, fn)                                              \
	({                                                                     \
		int r_ = VACCEL_OK;                                            \
		for (int i_ = 0; i_ < (n) && !r_; i_++) {                      \
			if (!(src)[i_] || (src)[i_]->nr_dims < 0 ||            \
			    (src)[i_]->nr_dims > VACCEL_TENSOR_MAX_DIMS ||     \
			    ((src)[i_]->nr_dims && !(src)[i_]->dims)) {        \
				vaccel_log(VACCEL_LOG_ERROR, TAG,              \
					   "%s: input tensor %d is NULL or "   \
					   "has more than %d dimensions",      \
					   fn, i_, VACCEL_TENSOR_MAX_DIMS);    \
				r_ = VACCEL_EINVAL;                            \
				break;                                         \
			}                                                      \
			(t)[i_].dtype = (uint32_t)(src)[i_]->data_type;        \
			(t)[i_].ndim = (uint32_t)(src)[i_]->nr_dims;           \
			for (uint32_t k_ = 0; k_ < (t)[i_].ndim; k_++)         \
				(t)[i_].dims[k_] = (src)[i_]->dims[k_];        \
			(t)[i_].data = (src)[i_]->data;                        \
			(t)[i_].size = (src)[i_]->size;                        \
		}                                                              \
		r_;                                                            \
	})

/* Outputs the op allocated, as new framework tensors out[i] that own
 * them. On failure nothing is left: neither out[] nor the op's data. */
#define TENSORS_OUT(TYPE, ENUM, out, t, n)                                     \
	({                                                                     \
		int r_ = VACCEL_OK;                                            \
		int i_ = 0;                                                    \
		for (; i_ < (n); i_++) {                                       \
			TYPE *o_ = calloc(1, sizeof(*o_));                     \
			uint32_t nd_ = (t)[i_].ndim;                           \
			if (o_)                                                \
				o_->dims = calloc(nd_ ? nd_ : 1,               \
						  sizeof(*o_->dims));          \
			if (!o_ || !o_->dims) {                                \
				free(o_);                                      \
				r_ = VACCEL_ENOMEM;                            \
				break;                                         \
			}                                                      \
			o_->nr_dims = nd_;                                     \
			for (uint32_t k_ = 0; k_ < nd_; k_++)                  \
				o_->dims[k_] = (t)[i_].dims[k_];               \
			o_->data_type = (enum ENUM)(t)[i_].dtype;              \
			o_->data = (t)[i_].data;                               \
			o_->size = (t)[i_].size;                               \
			o_->owned = true;                                      \
			(out)[i_] = o_;                                        \
		}                                                              \
		if (r_) {                                                      \
			for (int j_ = 0; j_ < i_; j_++) {                      \
				free((out)[j_]->dims);                         \
				free((out)[j_]);                               \
				(out)[j_] = NULL;                              \
			}                                                      \
			for (int j_ = 0; j_ < (n); j_++)                       \
				free((t)[j_].data);                            \
		}                                                              \
		r_;                                                            \
	})

static void status_out(struct vaccel_tf_status *status, const uint8_t *buf)
{
	if (!status)
		return;
	status->error_code = buf[0];
	status->message = strndup((const char *)buf + 1, STATUS_BUF - 1);
}

/* Room for a tensor list of n (at least one entry, so never NULL). */
static struct vaccel_tensor *tensors(int n)
{
	return calloc(n > 0 ? (size_t)n : 1, sizeof(struct vaccel_tensor));
}

_Static_assert(VACCEL_TF_SESSION_LOAD_NR_ARGS == 2 &&
		   VACCEL_TF_SESSION_DELETE_NR_ARGS == 2 &&
		   VACCEL_TFLITE_SESSION_LOAD_NR_ARGS == 1 &&
		   VACCEL_TFLITE_SESSION_DELETE_NR_ARGS == 1,
	       "the model ops' shapes changed in ops.spec");

/* The TF ops with a model and a status only (load, delete). */
static int tf_model_op(struct vaccel_session *sess,
		       struct vaccel_resource *model,
		       struct vaccel_tf_status *status, uint32_t id,
		       const char *fn)
{
	int ret = model_check(sess, model, fn);
	if (ret)
		return ret;
	uint8_t st[STATUS_BUF] = {0};
	struct vaccel_oparg args[2] = {{.buf = model},
				       {.buf = st, .len = sizeof(st)}};
	ret = vaccel_op_call(sess, id, args, 2);
	if (!ret)
		status_out(status, st);
	return ret;
}

int vaccel_tf_session_load(struct vaccel_session *sess,
			   struct vaccel_resource *model,
			   struct vaccel_tf_status *status)
{
	return tf_model_op(sess, model, status, VACCEL_OPID_TF_SESSION_LOAD,
			   __func__);
}

int vaccel_tf_session_delete(struct vaccel_session *sess,
			     struct vaccel_resource *model,
			     struct vaccel_tf_status *status)
{
	return tf_model_op(sess, model, status, VACCEL_OPID_TF_SESSION_DELETE,
			   __func__);
}

/* Nodes as args: the name with its NUL, the id as the tag. */
static int nodes(struct vaccel_arg *l, const struct vaccel_tf_node *n,
		 int count, const char *which)
{
	for (int i = 0; i < count; i++) {
		size_t len = n[i].name ? strlen(n[i].name) + 1 : 0;
		if (!len || len > UINT32_MAX) {
			vaccel_log(VACCEL_LOG_ERROR, TAG,
				   "vaccel_tf_session_run: %s node %d has no "
				   "name",
				   which, i);
			return VACCEL_EINVAL;
		}
		l[i] = (struct vaccel_arg){.argtype = (uint32_t)n[i].id,
					   .size = (uint32_t)len,
					   .buf = n[i].name};
	}
	return VACCEL_OK;
}

int vaccel_tf_session_run(struct vaccel_session *sess,
			  const struct vaccel_resource *model,
			  const struct vaccel_tf_buffer *run_options,
			  const struct vaccel_tf_node *in_nodes,
			  struct vaccel_tf_tensor *const *in, int nr_inputs,
			  const struct vaccel_tf_node *out_nodes,
			  struct vaccel_tf_tensor **out, int nr_outputs,
			  struct vaccel_tf_status *status)
{
	int ret = model_check(sess, model, __func__);
	if (ret)
		return ret;
	if (nr_inputs < 0 || nr_outputs < 0 ||
	    (nr_inputs && (!in || !in_nodes)) ||
	    (nr_outputs && (!out || !out_nodes)))
		return VACCEL_EINVAL;
	struct vaccel_tensor *ti = tensors(nr_inputs);
	struct vaccel_tensor *to = tensors(nr_outputs);
	struct vaccel_arg *ni = calloc((size_t)nr_inputs + 1, sizeof(*ni));
	struct vaccel_arg *no = calloc((size_t)nr_outputs + 1, sizeof(*no));
	if (!ti || !to || !ni || !no) {
		ret = VACCEL_ENOMEM;
		goto free_lists;
	}
	ret = TENSORS_IN(ti, in, nr_inputs, __func__);
	if (!ret)
		ret = nodes(ni, in_nodes, nr_inputs, "input");
	if (!ret)
		ret = nodes(no, out_nodes, nr_outputs, "output");
	if (ret)
		goto free_lists;
	uint8_t st[STATUS_BUF] = {0};
	struct vaccel_oparg args[VACCEL_TF_SESSION_RUN_NR_ARGS] = {
	    [VACCEL_TF_SESSION_RUN_MODEL] = {.buf = (void *)model},
	    [VACCEL_TF_SESSION_RUN_RUN_OPTIONS] =
		{.buf = run_options ? run_options->data : NULL,
		 .len = run_options && run_options->data ? run_options->size
							 : 0},
	    [VACCEL_TF_SESSION_RUN_IN_NODES] = {.buf = ni,
						.len = (uint64_t)nr_inputs},
	    [VACCEL_TF_SESSION_RUN_INPUTS] = {.buf = ti,
					      .len = (uint64_t)nr_inputs},
	    [VACCEL_TF_SESSION_RUN_OUT_NODES] = {.buf = no,
						 .len = (uint64_t)nr_outputs},
	    [VACCEL_TF_SESSION_RUN_OUTPUTS] = {.buf = to,
					       .len = (uint64_t)nr_outputs},
	    [VACCEL_TF_SESSION_RUN_STATUS] = {.buf = st, .len = sizeof(st)},
	};
	ret = vaccel_op_call(sess, VACCEL_OPID_TF_SESSION_RUN, args,
			     VACCEL_TF_SESSION_RUN_NR_ARGS);
	if (!ret)
		ret = TENSORS_OUT(struct vaccel_tf_tensor, vaccel_tf_data_type,
				  out, to, nr_outputs);
	if (!ret)
		status_out(status, st);
free_lists:
	free(no);
	free(ni);
	free(to);
	free(ti);
	return ret;
}

/* The TFLite ops with a model only (load, delete). */
static int tflite_model_op(struct vaccel_session *sess,
			   struct vaccel_resource *model, uint32_t id,
			   const char *fn)
{
	int ret = model_check(sess, model, fn);
	if (ret)
		return ret;
	struct vaccel_oparg args[1] = {{.buf = model}};
	return vaccel_op_call(sess, id, args, 1);
}

int vaccel_tflite_session_load(struct vaccel_session *sess,
			       struct vaccel_resource *model)
{
	return tflite_model_op(sess, model, VACCEL_OPID_TFLITE_SESSION_LOAD,
			       __func__);
}

int vaccel_tflite_session_delete(struct vaccel_session *sess,
				 struct vaccel_resource *model)
{
	return tflite_model_op(sess, model, VACCEL_OPID_TFLITE_SESSION_DELETE,
			       __func__);
}

int vaccel_tflite_session_run(struct vaccel_session *sess,
			      const struct vaccel_resource *model,
			      struct vaccel_tflite_tensor *const *in,
			      int nr_inputs, struct vaccel_tflite_tensor **out,
			      int nr_outputs, uint8_t *status)
{
	int ret = model_check(sess, model, __func__);
	if (ret)
		return ret;
	if (nr_inputs < 0 || nr_outputs < 0 || (nr_inputs && !in) ||
	    (nr_outputs && !out))
		return VACCEL_EINVAL;
	struct vaccel_tensor *ti = tensors(nr_inputs);
	struct vaccel_tensor *to = tensors(nr_outputs);
	if (!ti || !to) {
		ret = VACCEL_ENOMEM;
		goto free_lists;
	}
	ret = TENSORS_IN(ti, in, nr_inputs, __func__);
	if (ret)
		goto free_lists;
	uint8_t st = 0;
	struct vaccel_oparg args[VACCEL_TFLITE_SESSION_RUN_NR_ARGS] = {
	    [VACCEL_TFLITE_SESSION_RUN_MODEL] = {.buf = (void *)model},
	    [VACCEL_TFLITE_SESSION_RUN_INPUTS] = {.buf = ti,
						  .len = (uint64_t)nr_inputs},
	    [VACCEL_TFLITE_SESSION_RUN_OUTPUTS] = {.buf = to,
						   .len =
						       (uint64_t)nr_outputs},
	    [VACCEL_TFLITE_SESSION_RUN_STATUS] = {.buf = &st, .len = 1},
	};
	ret = vaccel_op_call(sess, VACCEL_OPID_TFLITE_SESSION_RUN, args,
			     VACCEL_TFLITE_SESSION_RUN_NR_ARGS);
	if (!ret)
		ret = TENSORS_OUT(struct vaccel_tflite_tensor,
				  vaccel_tflite_data_type, out, to, nr_outputs);
	if (!ret && status)
		*status = st;
free_lists:
	free(to);
	free(ti);
	return ret;
}

int vaccel_torch_jitload_forward(struct vaccel_session *sess,
				 const struct vaccel_resource *model,
				 const struct vaccel_torch_buffer *run_options,
				 struct vaccel_torch_tensor **in_tensor,
				 int nr_read,
				 struct vaccel_torch_tensor **out_tensor,
				 int nr_write)
{
	int ret = model_check(sess, model, __func__);
	if (ret)
		return ret;
	if (nr_read < 0 || nr_write < 0 || (nr_read && !in_tensor) ||
	    (nr_write && !out_tensor))
		return VACCEL_EINVAL;
	struct vaccel_tensor *ti = tensors(nr_read);
	struct vaccel_tensor *to = tensors(nr_write);
	if (!ti || !to) {
		ret = VACCEL_ENOMEM;
		goto free_lists;
	}
	ret = TENSORS_IN(ti, in_tensor, nr_read, __func__);
	if (ret)
		goto free_lists;
	struct vaccel_oparg args[VACCEL_TORCH_JITLOAD_FORWARD_NR_ARGS] = {
	    [VACCEL_TORCH_JITLOAD_FORWARD_MODEL] = {.buf = (void *)model},
	    [VACCEL_TORCH_JITLOAD_FORWARD_RUN_OPTIONS] =
		{.buf = run_options ? run_options->data : NULL,
		 .len = run_options && run_options->data ? run_options->size
							 : 0},
	    [VACCEL_TORCH_JITLOAD_FORWARD_INPUTS] = {.buf = ti,
						     .len = (uint64_t)nr_read},
	    [VACCEL_TORCH_JITLOAD_FORWARD_OUTPUTS] = {.buf = to,
						      .len =
							  (uint64_t)nr_write},
	};
	ret = vaccel_op_call(sess, VACCEL_OPID_TORCH_JITLOAD_FORWARD, args,
			     VACCEL_TORCH_JITLOAD_FORWARD_NR_ARGS);
	if (!ret)
		ret = TENSORS_OUT(struct vaccel_torch_tensor,
				  vaccel_torch_data_type, out_tensor, to,
				  nr_write);
free_lists:
	free(to);
	free(ti);
	return ret;
}

/* A, B and C are one tensor each; *out is set when the op returns one
 * (vAccel's noop returns none and leaves it as it was). */
int vaccel_torch_sgemm(struct vaccel_session *sess,
		       struct vaccel_torch_tensor **in_A,
		       struct vaccel_torch_tensor **in_B,
		       struct vaccel_torch_tensor **in_C, int M, int N, int K,
		       struct vaccel_torch_tensor **out)
{
	core_ensure();
	if (!session_live(sess) || !in_A || !in_B || !in_C || !out)
		return VACCEL_EINVAL;
	struct vaccel_tensor t[4] = {0};
	int ret = TENSORS_IN(&t[0], in_A, 1, __func__);
	if (!ret)
		ret = TENSORS_IN(&t[1], in_B, 1, __func__);
	if (!ret)
		ret = TENSORS_IN(&t[2], in_C, 1, __func__);
	if (ret)
		return ret;
	struct vaccel_oparg args[VACCEL_TORCH_SGEMM_NR_ARGS] = {
	    [VACCEL_TORCH_SGEMM_A] = {.buf = &t[0], .len = 1},
	    [VACCEL_TORCH_SGEMM_B] = {.buf = &t[1], .len = 1},
	    [VACCEL_TORCH_SGEMM_C] = {.buf = &t[2], .len = 1},
	    [VACCEL_TORCH_SGEMM_M] = {.v.i = M},
	    [VACCEL_TORCH_SGEMM_N] = {.v.i = N},
	    [VACCEL_TORCH_SGEMM_K] = {.v.i = K},
	    [VACCEL_TORCH_SGEMM_OUT] = {.buf = &t[3], .len = 1},
	};
	ret = vaccel_op_call(sess, VACCEL_OPID_TORCH_SGEMM, args,
			     VACCEL_TORCH_SGEMM_NR_ARGS);
	if (ret || (!t[3].data && !t[3].ndim))
		return ret;
	return TENSORS_OUT(struct vaccel_torch_tensor, vaccel_torch_data_type,
			   out, &t[3], 1);
}
