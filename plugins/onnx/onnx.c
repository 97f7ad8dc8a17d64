// SPDX-License-Identifier: Apache-2.0
/*
 * plugins/onnx: models run by ONNX Runtime (libonnxruntime.so.1, opened
 * at load: VACCEL_ONNXRUNTIME_LIB, else the path the build found, else
 * the loader's search). Ops: model_load, model_run, model_unload.
 *
 * A model is loaded once per content: a second load of the same bytes
 * (by SHA-256), from any session, shares the loaded copy, which goes when
 * its last handle does. Handles are per session: random 64-bit numbers
 * found only among the calling session's own, dropped with the session.
 * Without the library the plugin declines at load with one line.
 */
#include "ort.h"
#ifdef ONNX_IMAGES
#include "image.h"
#endif
#include <dlfcn.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <vaccel/remote.h>
#include "ops_internal_gen.h"

#define TAG "onnx"
#define ENV_LIB "VACCEL_ONNXRUNTIME_LIB"
#define ENV_THREADS "VACCEL_ONNX_THREADS"
#define ENV_MODELS "VACCEL_ONNX_MODELS"
#ifndef ONNX_DEFAULT_LIB
#define ONNX_DEFAULT_LIB "libonnxruntime.so.1"
#endif

/* One loaded copy of a model's bytes. */
struct model {
	uint8_t hash[VACCEL_SHA256_SIZE];
	OrtSession *sess;
	size_t nr_in, nr_out;
	char **in_names, **out_names;
	/* the handles on it */
	unsigned int refs;
	struct model *next;
};

/* A session's handle on a model. */
struct handle {
	uint64_t id;
	const struct vaccel_session *owner;
	struct model *m;
	struct handle *next;
};

struct onnx_priv {
	void *lib;
	struct ort_api api;
	OrtEnv *env;
	OrtMemoryInfo *cpu;
	OrtAllocator *alloc;
	int threads;
	pthread_mutex_t lock;
	struct model *models;
	struct handle *handles;
#ifdef ONNX_IMAGES
	/* vAccel's image classification: the registered model */
	struct onnx_image_conf cls;
	struct model *cls_model;
#endif
};

/* ---- status -------------------------------------------------------------- */

/* VACCEL_OK for no status; else log what ONNX Runtime said (`what` and
 * its message), release it and map its code. */
static int ort_status(struct onnx_priv *st, OrtStatus *s, const char *what)
{
	if (!s)
		return VACCEL_OK;
	int code = st->api.GetErrorCode(s);
	vaccel_log(VACCEL_LOG_WARN, TAG, "%s: %s", what,
		   st->api.GetErrorMessage(s));
	st->api.ReleaseStatus(s);
	switch (code) {
	case 2:	 /* invalid argument */
	case 3:	 /* no such file */
	case 4:	 /* no model */
	case 7:	 /* invalid protobuf */
	case 10: /* invalid graph */
		return VACCEL_EINVAL;
	case 9: /* ORT_NOT_IMPLEMENTED: no kernel for a node */
		return VACCEL_ENOTSUP;
	default:
		return VACCEL_EBACKEND;
	}
}

/* ---- models -------------------------------------------------------------- */

static void model_free(struct onnx_priv *st, struct model *m)
{
	for (size_t i = 0; m->in_names && i < m->nr_in; i++)
		if (m->in_names[i])
			st->api.AllocatorFree(st->alloc, m->in_names[i]);
	for (size_t i = 0; m->out_names && i < m->nr_out; i++)
		if (m->out_names[i])
			st->api.AllocatorFree(st->alloc, m->out_names[i]);
	free(m->in_names);
	free(m->out_names);
	if (m->sess)
		st->api.ReleaseSession(m->sess);
	free(m);
}

/* A new loaded copy of len bytes of a model; its names read. */
static int model_new(struct onnx_priv *st, const uint8_t *data, size_t len,
		     const uint8_t hash[VACCEL_SHA256_SIZE], struct model **out)
{
	struct ort_api *a = &st->api;
	struct model *m = calloc(1, sizeof(*m));
	if (!m)
		return VACCEL_ENOMEM;
	memcpy(m->hash, hash, VACCEL_SHA256_SIZE);
	OrtSessionOptions *o = NULL;
	int ret = ort_status(st, a->CreateSessionOptions(&o), "options");
	if (!ret && st->threads > 0)
		ret = ort_status(st, a->SetIntraOpNumThreads(o, st->threads),
				 "options");
	if (!ret)
		ret = ort_status(
		    st,
		    a->CreateSessionFromArray(st->env, data, len, o, &m->sess),
		    "model_load");
	if (o)
		a->ReleaseSessionOptions(o);
	if (!ret)
		ret =
		    ort_status(st, a->SessionGetInputCount(m->sess, &m->nr_in),
			       "model_load");
	if (!ret)
		ret = ort_status(st,
				 a->SessionGetOutputCount(m->sess, &m->nr_out),
				 "model_load");
	if (!ret) {
		m->in_names = calloc(m->nr_in + 1, sizeof(char *));
		m->out_names = calloc(m->nr_out + 1, sizeof(char *));
		if (!m->in_names || !m->out_names)
			ret = VACCEL_ENOMEM;
	}
	for (size_t i = 0; !ret && i < m->nr_in; i++)
		ret = ort_status(st,
				 a->SessionGetInputName(m->sess, i, st->alloc,
							&m->in_names[i]),
				 "model_load");
	for (size_t i = 0; !ret && i < m->nr_out; i++)
		ret = ort_status(st,
				 a->SessionGetOutputName(m->sess, i, st->alloc,
							 &m->out_names[i]),
				 "model_load");
	if (ret) {
		model_free(st, m);
		return ret;
	}
	*out = m;
	return VACCEL_OK;
}

/* The handle `id` of session `owner`; st->lock held. */
static struct handle *handle_find(struct onnx_priv *st,
				  const struct vaccel_session *owner,
				  uint64_t id)
{
	for (struct handle *h = st->handles; h; h = h->next)
		if (h->id == id && h->owner == owner)
			return h;
	return NULL;
}

/* One hold on m less; with the last, m goes. st->lock held. */
static void model_put_locked(struct onnx_priv *st, struct model *m)
{
	if (--m->refs)
		return;
	for (struct model **mp = &st->models; *mp; mp = &(*mp)->next)
		if (*mp == m) {
			*mp = m->next;
			break;
		}
	model_free(st, m);
}

/* The model of session sess's handle id, held for a run (a release of
 * the handle meanwhile leaves it until model_release); NULL if none. */
static struct model *model_hold(struct onnx_priv *st,
				const struct vaccel_session *sess, uint64_t id)
{
	pthread_mutex_lock(&st->lock);
	struct handle *h = handle_find(st, sess, id);
	struct model *m = h ? h->m : NULL;
	if (m)
		m->refs++;
	pthread_mutex_unlock(&st->lock);
	return m;
}

static void model_release(struct onnx_priv *st, struct model *m)
{
	pthread_mutex_lock(&st->lock);
	model_put_locked(st, m);
	pthread_mutex_unlock(&st->lock);
}

/* Drop handle *hp and its hold on its model; st->lock held. */
static void handle_drop_locked(struct onnx_priv *st, struct handle **hp)
{
	struct handle *h = *hp;
	*hp = h->next;
	model_put_locked(st, h->m);
	free(h);
}

static int op_load(void *priv, struct vaccel_session *sess,
		   const struct vaccel_op_desc *op, struct vaccel_oparg *args)
{
	(void)op;
	struct onnx_priv *st = priv;
	struct vaccel_resource *res = args[VACCEL_MODEL_LOAD_MODEL].buf;
	struct vaccel_oparg *out = &args[VACCEL_MODEL_LOAD_HANDLE];
	if (!res || res->nr_files != 1 || !out->buf) {
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "model_load: the resource must hold one file, the "
			   ".onnx model");
		return VACCEL_EINVAL;
	}
	size_t len = 0;
	const uint8_t *data = vaccel_file_data(res->files[0], &len);
	if (!data || !len)
		return VACCEL_EINVAL;
	uint8_t hash[VACCEL_SHA256_SIZE];
	vaccel_sha256(data, len, hash);
	struct handle *h = calloc(1, sizeof(*h));
	if (!h)
		return VACCEL_ENOMEM;
	h->owner = sess;

	pthread_mutex_lock(&st->lock);
	struct model *m = st->models;
	while (m && memcmp(m->hash, hash, sizeof(hash)))
		m = m->next;
	pthread_mutex_unlock(&st->lock);
	if (!m) {
		/* loaded outside the lock; a load of the same bytes meanwhile
		 * keeps the first copy */
		struct model *fresh;
		int ret = model_new(st, data, len, hash, &fresh);
		if (ret) {
			free(h);
			return ret;
		}
		pthread_mutex_lock(&st->lock);
		m = st->models;
		while (m && memcmp(m->hash, hash, sizeof(hash)))
			m = m->next;
		if (!m) {
			fresh->next = st->models;
			st->models = m = fresh;
			fresh = NULL;
		}
		pthread_mutex_unlock(&st->lock);
		if (fresh)
			model_free(st, fresh);
		vaccel_log(VACCEL_LOG_DEBUG, TAG,
			   "model_load: %zu bytes, %zu inputs, %zu outputs",
			   len, m->nr_in, m->nr_out);
	}
	pthread_mutex_lock(&st->lock);
	do {
		if (getrandom(&h->id, sizeof(h->id), 0) != sizeof(h->id))
			h->id = 0;
	} while (!h->id || handle_find(st, sess, h->id));
	h->m = m;
	m->refs++;
	h->next = st->handles;
	st->handles = h;
	uint64_t id = h->id;
	pthread_mutex_unlock(&st->lock);
	memcpy(out->buf, &id, sizeof(id));
	return VACCEL_OK;
}

/* A string tensor's value: its strings copied in. */
static int strings_in(struct onnx_priv *st, const struct vaccel_tensor *t,
		      OrtValue **v)
{
	uint64_t count;
	vaccel_tensor_span(t, 1, &count);
	const char **s = calloc(count ? count : 1, sizeof(*s));
	if (!s)
		return VACCEL_ENOMEM;
	const char *p = t->data;
	for (uint64_t k = 0; k < count; k++) {
		s[k] = p;
		p += strlen(p) + 1;
	}
	int ret =
	    ort_status(st,
		       st->api.CreateTensorAsOrtValue(
			   st->alloc, t->dims, t->ndim, ORT_ELEM_STRING, v),
		       "model_run");
	if (!ret)
		ret = ort_status(st, st->api.FillStringTensor(*v, s, count),
				 "model_run");
	free(s);
	return ret;
}

/* The ONNX Runtime values of the call's inputs, over its bytes. */
static int inputs_of(struct onnx_priv *st, const struct vaccel_tensor *t,
		     size_t n, OrtValue **v)
{
	for (size_t i = 0; i < n; i++) {
		int elem = ort_elem_of_dtype(t[i].dtype);
		uint64_t need;
		bool strs = t[i].dtype == VACCEL_DTYPE_STRING;
		if (elem < 0 || vaccel_tensor_strided(&t[i]) ||
		    (strs ? !vaccel_tensor_strings_ok(&t[i])
			  : vaccel_tensor_span(
				&t[i], vaccel_dtype_size(t[i].dtype), &need) ||
				need != t[i].size)) {
			vaccel_log(VACCEL_LOG_WARN, TAG,
				   "model_run: input %zu: a dense tensor of a "
				   "known dtype, its size its shape's",
				   i);
			return VACCEL_EINVAL;
		}
		if (strs) {
			int ret = strings_in(st, &t[i], &v[i]);
			if (ret)
				return ret;
			continue;
		}
		/* ONNX Runtime does not write inputs */
		int ret = ort_status(
		    st,
		    st->api.CreateTensorWithDataAsOrtValue(
			st->cpu, t[i].data ? t[i].data : (void *)"", t[i].size,
			t[i].dims, t[i].ndim, elem, &v[i]),
		    "model_run");
		if (ret)
			return ret;
	}
	return VACCEL_OK;
}

/* A string output's strings into t, each NUL-ended; *bytes set. */
static int strings_out(struct onnx_priv *st, size_t i, OrtValue *v,
		       size_t count, struct vaccel_tensor *t, uint64_t *bytes)
{
	struct ort_api *a = &st->api;
	size_t len = 0;
	int ret =
	    ort_status(st, a->GetStringTensorDataLength(v, &len), "model_run");
	if (ret)
		return ret;
	if ((uint64_t)len + count > t->size) {
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "model_run: output %zu takes %zu bytes of strings, "
			   "%" PRIu64 " given",
			   i, len + count, t->size);
		return VACCEL_ENOSPC;
	}
	char *s = malloc(len ? len : 1);
	size_t *off = calloc(count ? count : 1, sizeof(*off));
	if (!s || !off) {
		free(s);
		free(off);
		return VACCEL_ENOMEM;
	}
	ret = ort_status(st, a->GetStringTensorContent(v, s, len, off, count),
			 "model_run");
	char *o = t->data;
	for (size_t k = 0; !ret && k < count; k++) {
		size_t end = k + 1 < count ? off[k + 1] : len;
		if (off[k] > end || end > len ||
		    memchr(s + off[k], 0, end - off[k])) {
			vaccel_log(VACCEL_LOG_WARN, TAG,
				   "model_run: output %zu: string %zu holds a "
				   "NUL",
				   i, k);
			ret = VACCEL_ENOTSUP;
			break;
		}
		memcpy(o, s + off[k], end - off[k]);
		o += end - off[k];
		*o++ = '\0';
	}
	free(s);
	free(off);
	*bytes = (uint64_t)(o - (char *)t->data);
	return ret;
}

/* What output i's value v is: a tensor of a vAccel dtype (*dtype), its
 * dims and element count; VACCEL_ENOTSUP, said, when it is not one the
 * model ops carry (a sequence, a map, more than VACCEL_TENSOR_MAX_DIMS
 * dims, an element type with no dtype). */
static int output_shape(struct onnx_priv *st, const char *what, size_t i,
			OrtValue *v, int *dtype, size_t *nd, int64_t *dims,
			size_t *count)
{
	struct ort_api *a = &st->api;
	OrtTensorTypeAndShapeInfo *info = NULL;
	int is = 0, elem = 0;
	int ret = ort_status(st, a->IsTensor(v, &is), what);
	if (!ret && !is) {
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "%s: output %zu is not a tensor", what, i);
		return VACCEL_ENOTSUP;
	}
	if (!ret)
		ret = ort_status(st, a->GetTensorTypeAndShape(v, &info), what);
	if (!ret)
		ret =
		    ort_status(st, a->GetTensorElementType(info, &elem), what);
	if (!ret)
		ret = ort_status(st, a->GetDimensionsCount(info, nd), what);
	if (!ret && *nd > VACCEL_TENSOR_MAX_DIMS) {
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "%s: output %zu has %zu dims (at most %d)", what, i,
			   *nd, VACCEL_TENSOR_MAX_DIMS);
		ret = VACCEL_ENOTSUP;
	}
	if (!ret)
		ret = ort_status(st, a->GetDimensions(info, dims, *nd), what);
	if (!ret)
		ret = ort_status(st, a->GetTensorShapeElementCount(info, count),
				 what);
	if (info)
		a->ReleaseTensorTypeAndShapeInfo(info);
	if (ret)
		return ret;
	*dtype = ort_dtype_of_elem(elem);
	if (*dtype < 0) {
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "%s: output %zu: ONNX element type %d has no dtype "
			   "here",
			   what, i, elem);
		return VACCEL_ENOTSUP;
	}
	return VACCEL_OK;
}

/* Output value v into the caller's tensor t (its size the capacity). */
/* A run's values, each released (those made), then the array. */
static void values_free(struct onnx_priv *st, OrtValue **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		if (v[i])
			st->api.ReleaseValue(v[i]);
	free(v);
}

static int output_into(struct onnx_priv *st, size_t i, OrtValue *v,
		       struct vaccel_tensor *t)
{
	struct ort_api *a = &st->api;
	int dtype;
	size_t nd = 0, count = 0;
	int64_t dims[VACCEL_TENSOR_MAX_DIMS];
	int ret =
	    output_shape(st, "model_run", i, v, &dtype, &nd, dims, &count);
	if (ret)
		return ret;
	uint64_t bytes = (uint64_t)count * vaccel_dtype_size((uint32_t)dtype);
	if (dtype == VACCEL_DTYPE_STRING) {
		ret = strings_out(st, i, v, count, t, &bytes);
		if (ret)
			return ret;
	} else if (bytes > t->size) {
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "model_run: output %zu takes %" PRIu64
			   " bytes, %" PRIu64 " given",
			   i, bytes, t->size);
		return VACCEL_ENOSPC;
	}
	void *p = NULL;
	if (bytes && dtype != VACCEL_DTYPE_STRING) {
		ret =
		    ort_status(st, a->GetTensorMutableData(v, &p), "model_run");
		if (ret)
			return ret;
		memcpy(t->data, p, bytes);
	}
	t->dtype = (uint32_t)dtype;
	t->ndim = (uint32_t)nd;
	memcpy(t->dims, dims, nd * sizeof(dims[0]));
	t->size = bytes;
	return VACCEL_OK;
}

static int op_run(void *priv, struct vaccel_session *sess,
		  const struct vaccel_op_desc *op, struct vaccel_oparg *args)
{
	(void)op;
	struct onnx_priv *st = priv;
	uint64_t id = (uint64_t)args[VACCEL_MODEL_RUN_HANDLE].v.i;
	const struct vaccel_tensor *in = args[VACCEL_MODEL_RUN_INPUTS].buf;
	size_t nr_in = args[VACCEL_MODEL_RUN_INPUTS].len;
	struct vaccel_tensor *out = args[VACCEL_MODEL_RUN_OUTPUTS].buf;
	size_t nr_out = args[VACCEL_MODEL_RUN_OUTPUTS].len;

	struct model *m = model_hold(st, sess, id);
	if (!m) {
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "model_run: no model handle %" PRIu64
			   " in this session",
			   id);
		return VACCEL_ENOENT;
	}
	int ret = VACCEL_OK;
	if (nr_in != m->nr_in || !nr_out || nr_out > m->nr_out) {
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "model_run: %zu inputs and %zu outputs for a model "
			   "of %zu and %zu",
			   nr_in, nr_out, m->nr_in, m->nr_out);
		ret = VACCEL_EINVAL;
	}
	OrtValue **iv = NULL, **ov = NULL;
	if (!ret) {
		iv = calloc(nr_in + 1, sizeof(*iv));
		ov = calloc(nr_out, sizeof(*ov));
		if (!iv || !ov)
			ret = VACCEL_ENOMEM;
	}
	if (!ret)
		ret = inputs_of(st, in, nr_in, iv);
	if (!ret)
		ret = ort_status(
		    st,
		    st->api.Run(m->sess, NULL, (const char *const *)m->in_names,
				(const OrtValue *const *)iv, nr_in,
				(const char *const *)m->out_names, nr_out, ov),
		    "model_run");
	for (size_t i = 0; !ret && i < nr_out; i++)
		ret = output_into(st, i, ov[i], &out[i]);
	values_free(st, iv, nr_in);
	values_free(st, ov, nr_out);

	model_release(st, m);
	return ret;
}

/* The index of the name at *p among n names (NUL-ended, back to back,
 * within end), *p moved past it; -1 when it is none of them or does not
 * end within the buffer. */
static long name_index(const char **p, const char *end, char *const *names,
		       size_t n)
{
	const char *s = *p;
	const char *nul = memchr(s, 0, (size_t)(end - s));
	if (!nul)
		return -1;
	*p = nul + 1;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], s))
			return (long)i;
	return -1;
}

/* The status out argument: code (byte 0) and message. */
static void put_status(struct vaccel_oparg *a, int code, const char *msg)
{
	uint8_t *st = a->buf;
	if (!st || !a->len)
		return;
	st[0] = (uint8_t)code;
	if (a->len > 1)
		snprintf((char *)st + 1, a->len - 1, "%s", msg);
}

/* Output value v as a new allocation in t (charged to the caller). */
static int output_alloc(struct onnx_priv *st, size_t i, OrtValue *v,
			struct vaccel_tensor *t)
{
	struct ort_api *a = &st->api;
	int dtype;
	size_t count = 0, nd = 0;
	struct vaccel_tensor o = {0};
	int ret = output_shape(st, "model_run_named", i, v, &dtype, &nd, o.dims,
			       &count);
	if (ret)
		return ret;
	uint64_t bytes = (uint64_t)count * vaccel_dtype_size((uint32_t)dtype);
	if (dtype == VACCEL_DTYPE_STRING) {
		size_t len = 0;
		ret = ort_status(st, a->GetStringTensorDataLength(v, &len),
				 "model_run_named");
		bytes = len + count;
	}
	uint64_t ticket;
	if (!ret && vaccel_call_charge(bytes, &ticket))
		ret = VACCEL_ENOMEM;
	if (ret)
		return ret;
	o.dtype = (uint32_t)dtype;
	o.ndim = (uint32_t)nd;
	o.size = bytes;
	o.data = malloc(bytes ? bytes : 1);
	if (!o.data)
		return VACCEL_ENOMEM;
	/* the bytes into o (strings_out writes them NUL-ended) */
	if (dtype == VACCEL_DTYPE_STRING) {
		ret = strings_out(st, i, v, count, &o, &bytes);
		o.size = bytes;
	} else if (bytes) {
		void *p = NULL;
		ret = ort_status(st, a->GetTensorMutableData(v, &p),
				 "model_run_named");
		if (!ret)
			memcpy(o.data, p, bytes);
	}
	if (ret) {
		free(o.data);
		return ret;
	}
	*t = o;
	return VACCEL_OK;
}

static int op_run_named(void *priv, struct vaccel_session *sess,
			const struct vaccel_op_desc *op,
			struct vaccel_oparg *args)
{
	(void)op;
	struct onnx_priv *st = priv;
	uint64_t id = (uint64_t)args[VACCEL_MODEL_RUN_NAMED_HANDLE].v.i;
	const struct vaccel_oparg *inn = &args[VACCEL_MODEL_RUN_NAMED_IN_NAMES];
	const struct vaccel_oparg *outn =
	    &args[VACCEL_MODEL_RUN_NAMED_OUT_NAMES];
	const struct vaccel_tensor *in =
	    args[VACCEL_MODEL_RUN_NAMED_INPUTS].buf;
	size_t nr_in = args[VACCEL_MODEL_RUN_NAMED_INPUTS].len;
	struct vaccel_tensor *out = args[VACCEL_MODEL_RUN_NAMED_OUTPUTS].buf;
	size_t nr_out = args[VACCEL_MODEL_RUN_NAMED_OUTPUTS].len;
	struct vaccel_oparg *status = &args[VACCEL_MODEL_RUN_NAMED_STATUS];

	struct model *m = model_hold(st, sess, id);
	if (!m)
		return VACCEL_ENOENT;
	int ret = VACCEL_OK;
	const char **iname = calloc(nr_in + 1, sizeof(*iname));
	const char **oname = calloc(nr_out + 1, sizeof(*oname));
	OrtValue **iv = calloc(nr_in + 1, sizeof(*iv));
	OrtValue **ov = calloc(nr_out + 1, sizeof(*ov));
	if (!iname || !oname || !iv || !ov)
		ret = VACCEL_ENOMEM;
	/* the names are the model's: its own strings go to Run */
	const char *p = inn->buf, *end = p ? p + inn->len : NULL;
	for (size_t i = 0; !ret && i < nr_in; i++) {
		long k = p ? name_index(&p, end, m->in_names, m->nr_in) : -1;
		if (k < 0)
			ret = VACCEL_EINVAL;
		else
			iname[i] = m->in_names[k];
	}
	p = outn->buf;
	end = p ? p + outn->len : NULL;
	for (size_t i = 0; !ret && i < nr_out; i++) {
		long k = p ? name_index(&p, end, m->out_names, m->nr_out) : -1;
		if (k < 0)
			ret = VACCEL_EINVAL;
		else
			oname[i] = m->out_names[k];
	}
	if (ret == VACCEL_EINVAL)
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "model_run_named: a name that is none of the "
			   "model's inputs or outputs");
	if (!ret)
		ret = inputs_of(st, in, nr_in, iv);
	OrtStatus *s = NULL;
	if (!ret)
		s = st->api.Run(m->sess, NULL, iname,
				(const OrtValue *const *)iv, nr_in, oname,
				nr_out, ov);
	if (s) {
		/* the guest raises ONNX Runtime's own error */
		put_status(status, st->api.GetErrorCode(s),
			   st->api.GetErrorMessage(s));
		st->api.ReleaseStatus(s);
	} else if (!ret) {
		size_t i = 0;
		for (; !ret && i < nr_out; i++)
			ret = output_alloc(st, i, ov[i], &out[i]);
		if (ret)
			for (size_t k = 0; k < i; k++) {
				free(out[k].data);
				out[k].data = NULL;
				out[k].size = 0;
			}
		else
			put_status(status, 0, "");
	}
	values_free(st, iv, nr_in);
	values_free(st, ov, nr_out);
	free(iname);
	free(oname);
	model_release(st, m);
	return ret;
}

static int op_unload(void *priv, struct vaccel_session *sess,
		     const struct vaccel_op_desc *op, struct vaccel_oparg *args)
{
	(void)op;
	struct onnx_priv *st = priv;
	uint64_t id = (uint64_t)args[VACCEL_MODEL_UNLOAD_HANDLE].v.i;
	int ret = VACCEL_ENOENT;
	pthread_mutex_lock(&st->lock);
	for (struct handle **hp = &st->handles; *hp; hp = &(*hp)->next)
		if ((*hp)->id == id && (*hp)->owner == sess) {
			handle_drop_locked(st, hp);
			ret = VACCEL_OK;
			break;
		}
	pthread_mutex_unlock(&st->lock);
	return ret;
}

/* A session's handles go with it. */
static int session_release(void *priv, struct vaccel_session *sess)
{
	struct onnx_priv *st = priv;
	pthread_mutex_lock(&st->lock);
	for (struct handle **hp = &st->handles; *hp;)
		if ((*hp)->owner == sess)
			handle_drop_locked(st, hp);
		else
			hp = &(*hp)->next;
	pthread_mutex_unlock(&st->lock);
	return VACCEL_OK;
}

/* ---- vAccel's image classification --------------------------------------- */

#ifdef ONNX_IMAGES
/* Text into an out buffer, NUL-ended; VACCEL_ENOSPC when it does not
 * fit. */
static int put_text(struct vaccel_oparg *a, const char *text)
{
	size_t n = strlen(text) + 1;
	if (!a->buf || a->len < n)
		return VACCEL_ENOSPC;
	memcpy(a->buf, text, n);
	return VACCEL_OK;
}

/* The index of the best of the first output's count float scores, its
 * label and line into args. */
static int put_best(struct onnx_priv *st, OrtValue *ov,
		    struct vaccel_oparg *args)
{
	OrtTensorTypeAndShapeInfo *info = NULL;
	int elem = 0;
	size_t count = 0;
	float *scores = NULL;
	int ret = ort_status(st, st->api.GetTensorTypeAndShape(ov, &info),
			     "image_classify");
	if (!ret)
		ret = ort_status(st, st->api.GetTensorElementType(info, &elem),
				 "image_classify");
	if (!ret)
		ret = ort_status(
		    st, st->api.GetTensorShapeElementCount(info, &count),
		    "image_classify");
	if (info)
		st->api.ReleaseTensorTypeAndShapeInfo(info);
	if (!ret && (elem != ORT_ELEM_FLOAT || !count)) {
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "image_classify: the model's first output is no "
			   "float scores");
		ret = VACCEL_ENOTSUP;
	}
	if (!ret)
		ret = ort_status(
		    st, st->api.GetTensorMutableData(ov, (void **)&scores),
		    "image_classify");
	if (ret)
		return ret;
	size_t best = 0;
	for (size_t i = 1; i < count; i++)
		if (scores[i] > scores[best])
			best = i;
	char label[64], line[160];
	snprintf(label, sizeof(label), "class %zu", best);
	ret = put_text(&args[VACCEL_IMAGE_CLASSIFY_OUT_TEXT],
		       best < st->cls.nr_labels ? st->cls.labels[best] : label);
	snprintf(line, sizeof(line), "class %zu score %.6g", best,
		 (double)scores[best]);
	return ret ? ret
		   : put_text(&args[VACCEL_IMAGE_CLASSIFY_OUT_NAME], line);
}

static int op_classify(void *priv, struct vaccel_session *sess,
		       const struct vaccel_op_desc *op,
		       struct vaccel_oparg *args)
{
	(void)sess;
	(void)op;
	struct onnx_priv *st = priv;
	struct onnx_image_conf *c = &st->cls;
	struct model *m = st->cls_model;
	if (!m) {
		vaccel_log(VACCEL_LOG_DEBUG, TAG,
			   "image_classify: no model registered "
			   "(" ENV_MODELS "/classify.conf)");
		return VACCEL_ENOTSUP;
	}
	const struct vaccel_oparg *img = &args[VACCEL_IMAGE_CLASSIFY_IMG];
	if (!img->buf || !img->len)
		return VACCEL_EINVAL;
	uint64_t ticket, bytes = 3ull * (uint64_t)c->width *
				 (uint64_t)c->height * sizeof(float);
	if (vaccel_call_charge(bytes, &ticket))
		return VACCEL_ENOMEM;
	float *blob = malloc(bytes);
	if (!blob) {
		vaccel_call_uncharge(ticket, bytes);
		return VACCEL_ENOMEM;
	}
	int ret = VACCEL_OK;
	if (onnx_image_blob(img->buf, img->len, c, blob)) {
		vaccel_log(VACCEL_LOG_WARN, TAG,
			   "image_classify: not an image OpenCV decodes");
		ret = VACCEL_EINVAL;
	}
	struct vaccel_tensor in = {
	    .dtype = VACCEL_DTYPE_F32, .ndim = 4, .data = blob, .size = bytes};
	in.dims[0] = 1;
	in.dims[1] = 3;
	in.dims[2] = c->height;
	in.dims[3] = c->width;
	OrtValue *iv = NULL, *ov = NULL;
	if (!ret)
		ret = inputs_of(st, &in, 1, &iv);
	if (!ret)
		ret = ort_status(
		    st,
		    st->api.Run(m->sess, NULL, (const char *const *)m->in_names,
				(const OrtValue *const *)&iv, 1,
				(const char *const *)m->out_names, 1, &ov),
		    "image_classify");
	if (!ret)
		ret = put_best(st, ov, args);
	if (iv)
		st->api.ReleaseValue(iv);
	if (ov)
		st->api.ReleaseValue(ov);
	free(blob);
	vaccel_call_uncharge(ticket, bytes);
	return ret;
}

/* DIR/classify.conf's model, loaded once at init; a conf that does not
 * parse or a model that does not load is one line, and the op declines.
 */
static void classify_init(struct onnx_priv *st)
{
	const char *dir = getenv(ENV_MODELS);
	if (!dir || !*dir)
		return;
	char path[4096], err[512];
	snprintf(path, sizeof(path), "%s/classify.conf", dir);
	if (access(path, F_OK))
		return;
	if (onnx_image_conf_read(path, &st->cls, err, sizeof(err))) {
		vaccel_log(VACCEL_LOG_ERROR, TAG, "%s", err);
		return;
	}
	struct vaccel_file f;
	if (!vaccel_file_init(&f, st->cls.model)) {
		size_t len = 0;
		const uint8_t *data = vaccel_file_data(&f, &len);
		uint8_t hash[VACCEL_SHA256_SIZE];
		if (data && len) {
			vaccel_sha256(data, len, hash);
			if (model_new(st, data, len, hash, &st->cls_model))
				st->cls_model = NULL;
		}
		vaccel_file_release(&f);
	}
	if (!st->cls_model || st->cls_model->nr_in != 1) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "%s: model %s does not load, or takes more than "
			   "one input; image_classify declines",
			   path, st->cls.model);
		if (st->cls_model)
			model_free(st, st->cls_model);
		st->cls_model = NULL;
		onnx_image_conf_free(&st->cls);
		return;
	}
	vaccel_log(VACCEL_LOG_INFO, TAG, "image_classify: model from %s", path);
}
#endif

/* ---- load ---------------------------------------------------------------- */

static void onnx_fini(void *priv)
{
	struct onnx_priv *st = priv;
	while (st->handles)
		handle_drop_locked(st, &st->handles);
#ifdef ONNX_IMAGES
	if (st->cls_model)
		model_free(st, st->cls_model);
	st->cls_model = NULL;
	onnx_image_conf_free(&st->cls);
#endif
	if (st->cpu)
		st->api.ReleaseMemoryInfo(st->cpu);
	if (st->env)
		st->api.ReleaseEnv(st->env);
	/* ONNX Runtime's threads and statics outlive a dlclose badly: the
	 * library stays (RTLD_NODELETE) */
	if (st->lib)
		dlclose(st->lib);
	pthread_mutex_destroy(&st->lock);
}

static int onnx_init(void *priv)
{
	struct onnx_priv *st = priv;
	pthread_mutex_init(&st->lock, NULL);
	const char *path = getenv(ENV_LIB);
	if (!path || !*path)
		path = ONNX_DEFAULT_LIB;
	st->lib = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!st->lib) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "cannot load ONNX Runtime (%s): %s; the onnx plugin "
			   "declines (" ENV_LIB " names the library)",
			   path, dlerror());
		pthread_mutex_destroy(&st->lock);
		return VACCEL_ENOTSUP;
	}
	const struct ort_api_base *(*get_base)(void) =
	    (const struct ort_api_base *(*)(void))dlsym(st->lib,
							"OrtGetApiBase");
	const struct ort_api_base *base = get_base ? get_base() : NULL;
	const void *const *table = base ? base->get_api(ORT_API_NEEDED) : NULL;
	if (!table) {
		vaccel_log(VACCEL_LOG_ERROR, TAG,
			   "%s: no ONNX Runtime API version %d; the onnx "
			   "plugin declines",
			   path, ORT_API_NEEDED);
		onnx_fini(st);
		return VACCEL_ENOTSUP;
	}
	ort_api_bind(&st->api, table);
	const char *threads = getenv(ENV_THREADS);
	st->threads = threads ? atoi(threads) : 0;
	int ret = ort_status(
	    st, st->api.CreateEnv(ORT_LOG_WARNING, "vaccel", &st->env), "init");
	if (!ret)
		(void)ort_status(st, st->api.DisableTelemetryEvents(st->env),
				 "init");
	if (!ret)
		ret = ort_status(
		    st,
		    st->api.CreateCpuMemoryInfo(ORT_ARENA_ALLOCATOR,
						ORT_MEM_DEFAULT, &st->cpu),
		    "init");
	if (!ret)
		ret = ort_status(
		    st, st->api.GetAllocatorWithDefaultOptions(&st->alloc),
		    "init");
	if (ret) {
		onnx_fini(st);
		return VACCEL_ENOTSUP;
	}
	vaccel_log(VACCEL_LOG_INFO, TAG, "ONNX Runtime %s from %s",
		   base->get_version_string(), path);
#ifdef ONNX_IMAGES
	classify_init(st);
#endif
	return VACCEL_OK;
}

static const struct vaccel_plugin_op onnx_ops[] = {
    {VACCEL_OPID_MODEL_LOAD, op_load},
    {VACCEL_OPID_MODEL_RUN, op_run},
    {VACCEL_OPID_MODEL_UNLOAD, op_unload},
    {VACCEL_OPID_MODEL_RUN_NAMED, op_run_named},
#ifdef ONNX_IMAGES
    {VACCEL_OPID_IMAGE_CLASSIFY, op_classify},
#endif
};

VACCEL_PLUGIN_DEFINE(.name = "onnx", .version = "1.0",
		     .type = VACCEL_PLUGIN_CPU | VACCEL_PLUGIN_SOFTWARE,
		     .priv_size = sizeof(struct onnx_priv), .init = onnx_init,
		     .fini = onnx_fini, .ops = onnx_ops,
		     .nr_ops = sizeof(onnx_ops) / sizeof(onnx_ops[0]),
		     .session_release = session_release);
