// SPDX-License-Identifier: Apache-2.0
/*
 * libvaccel-shim-ort.so: ONNX Runtime's inference through vAccel.
 *
 * ONNX Runtime has one entry point, OrtGetApiBase; everything else is a
 * table of function pointers GetApi(version) returns. This shim exports
 * OrtGetApiBase (the real one found in the global scope, else in an
 * already loaded libonnxruntime.so.1: the Node.js addon loads it
 * RTLD_LOCAL) and hands out, per version asked for, a copy of the real
 * table of that version's size in which these entries are its own:
 *
 * - CreateSession, CreateSessionFromArray: the real session is made (it
 *   answers every query about the model: names, types, metadata), and
 *   the model goes to the agent as a resource (a file the agent keeps is
 *   not sent again) and is loaded there (vaccel_model_load);
 * - Run: the inputs (tensors of the dtypes vAccel carries) travel by
 *   name, the model runs on the host (model_run_named), and the outputs
 *   come back into the program's own tensors, or into new ones made
 *   with the real CreateTensorAsOrtValue, as ONNX Runtime would give
 *   them; an error of the host's ONNX Runtime comes back as an OrtStatus
 *   with its code and message;
 * - ReleaseSession: the host's model is unloaded, then the real session
 *   released;
 * - RunWithBinding, with the IoBinding entries that fill a binding (kept
 *   by the shim: ONNX Runtime does not tell a binding's inputs back): the
 *   bound inputs travel as Run's do, the outputs come back into the
 *   bound tensors, or into new ones bound in for outputs bound to the
 *   CPU device.
 *
 * Everything else is the real ONNX Runtime's. Where the agent cannot be
 * reached or cannot serve a call, the call runs locally (the real
 * session exists), as the other shims fall back; the report
 * (VACCEL_SHIM_REPORT) counts per entry. A version newer than this
 * shim's table sizes is passed through untouched, said once.
 */
#include "ort.h"
#include "shim.h"
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vaccel.h>
#include <vaccel/remote.h>

enum {
	FN_BASE,
	FN_CREATE,
	FN_CREATE_ARRAY,
	FN_RUN,
	FN_RELEASE,
	FN_RUN_BINDING,
	NR_FNS
};

/* The table's size once each API version's entries are in (each
 * version's block only ever appended): versions 1 to 29 from ONNX
 * Runtime's header, 30 and 31 counted in the released libraries
 * (1.30.0, 1.31.1); test ort-table checks the newest against the
 * library the tests use. */
static const uint16_t table_size[] = {
    0,	 102, 119, 125, 127, 150, 158, 162, 170, 192, 204,
    210, 219, 225, 239, 255, 266, 276, 280, 280, 285, 285,
    318, 390, 415, 419, 419, 422, 424, 425, 428, 430,
};
#define NR_VERSIONS (sizeof(table_size) / sizeof(table_size[0]))

const struct shim_family shim_ort_family = {
    .name = "ort",
    .classes_env = "VACCEL_SHIM_ORT_CLASSES",
    .default_classes = "all",
};

SHIM_EXPORT const struct ort_api_base *OrtGetApiBase(void);

struct shim_fn shim_fns[NR_FNS] = {
    {.name = "OrtGetApiBase", .wrapper = (void *)OrtGetApiBase},
    /* reached through the table, never by name: names no library has */
    {.name = "OrtApi::CreateSession"},
    {.name = "OrtApi::CreateSessionFromArray"},
    {.name = "OrtApi::Run"},
    {.name = "OrtApi::ReleaseSession"},
    {.name = "OrtApi::RunWithBinding"},
};
/* by name: "OrtApi::..." before "OrtGetApiBase" */
static const uint16_t shim_sorted[NR_FNS] = {1, 2, 4, 3, 5, 0};
static const char *const shim_sonames[] = {"libonnxruntime.so.1", NULL};
const char *const shim_classes[] = {"inference", NULL};
const struct shim_api shim_api = {
    .name = "ort",
    .family = &shim_ort_family,
    .fns = shim_fns,
    .nr_fns = NR_FNS,
    .sorted = shim_sorted,
    .sonames = shim_sonames,
};

/* ---- the real library -------------------------------------------------- */

static const struct ort_api_base *real_base;
static struct ort_api real;
static const void *const *copies[NR_VERSIONS];
static pthread_mutex_t copies_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ort_api_base base;

/* ---- sessions with a model on the host ----------------------------------- */

struct remote {
	OrtSession *local;
	struct vaccel_session *sess;
	struct vaccel_resource *res;
	uint64_t handle;
	struct remote *next;
};
static struct remote *remotes;
static pthread_mutex_t remotes_lock = PTHREAD_MUTEX_INITIALIZER;

static struct remote *remote_of(const OrtSession *s)
{
	pthread_mutex_lock(&remotes_lock);
	struct remote *r = remotes;
	while (r && r->local != s)
		r = r->next;
	pthread_mutex_unlock(&remotes_lock);
	return r;
}

/* The model (a file, or bytes) loaded on the host for session local; on
 * any failure the session stays local only. */
static void attach(OrtSession *local, const char *path, const void *data,
		   size_t len, unsigned int fn)
{
	uint64_t *c = shim_stats()->c[fn];
	if (!SHIM_WANTS(&shim_fns[fn], HUGE_VAL)) {
		c[SHIM_C_LOCAL]++;
		return;
	}
	/* what vAccel calls meanwhile is not intercepted again */
	shim_depth++;
	struct vaccel_session *s = shim_session();
	struct vaccel_resource *res = NULL;
	struct remote *r = calloc(1, sizeof(*r));
	int ret = s && r ? VACCEL_OK : VACCEL_ENOENT;
	if (!ret)
		ret = path ? vaccel_resource_new(&res, path,
						 VACCEL_RESOURCE_MODEL)
			   : vaccel_resource_from_buf(&res, data, len,
						      VACCEL_RESOURCE_MODEL,
						      "model.onnx");
	if (!ret) {
		ret = vaccel_resource_register(res, s);
		if (ret) {
			vaccel_resource_delete(res);
			res = NULL;
		}
	}
	if (!ret)
		ret = vaccel_model_load(s, res, &r->handle);
	if (ret) {
		if (res) {
			vaccel_resource_unregister(res, s);
			vaccel_resource_delete(res);
		}
		free(r);
		shim_depth--;
		c[SHIM_C_FAILED]++;
		shim_say("%s: the model is not on the host (%s); its runs "
			 "are local",
			 shim_fns[fn].name, vaccel_strerror(ret));
		return;
	}
	shim_depth--;
	r->local = local;
	r->sess = s;
	r->res = res;
	size_t size = 0;
	vaccel_file_data(res->files[0], &size);
	c[SHIM_C_OFFLOADED]++;
	c[SHIM_C_BYTES_OUT] += size;
	pthread_mutex_lock(&remotes_lock);
	r->next = remotes;
	remotes = r;
	pthread_mutex_unlock(&remotes_lock);
}

static OrtStatus *shim_create(const OrtEnv *env, const char *path,
			      const OrtSessionOptions *opts, OrtSession **out)
{
	OrtStatus *st = real.CreateSession(env, path, opts, out);
	/* not for the sessions vAccel itself makes (the onnx plugin in this
	 * process) */
	if (!st && !shim_depth)
		attach(*out, path, NULL, 0, FN_CREATE);
	return st;
}

static OrtStatus *shim_create_array(const OrtEnv *env, const void *data,
				    size_t len, const OrtSessionOptions *opts,
				    OrtSession **out)
{
	OrtStatus *st = real.CreateSessionFromArray(env, data, len, opts, out);
	if (!st && !shim_depth)
		attach(*out, NULL, data, len, FN_CREATE_ARRAY);
	return st;
}

static void bindings_forget(const struct remote *r);

static void shim_release(OrtSession *s)
{
	pthread_mutex_lock(&remotes_lock);
	struct remote **rp = &remotes;
	while (*rp && (*rp)->local != s)
		rp = &(*rp)->next;
	struct remote *r = *rp;
	if (r)
		*rp = r->next;
	pthread_mutex_unlock(&remotes_lock);
	if (r) {
		bindings_forget(r);
		shim_depth++;
		vaccel_model_unload(r->sess, r->handle);
		vaccel_resource_unregister(r->res, r->sess);
		vaccel_resource_delete(r->res);
		shim_depth--;
		free(r);
		shim_stats()->c[FN_RELEASE][SHIM_C_OFFLOADED]++;
	}
	real.ReleaseSession(s);
}

/* ---- Run -------------------------------------------------------------- */

/* n names, each NUL-ended, back to back, in a new buffer. */
static char *names_joined(const char *const *names, size_t n, size_t *len)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += strlen(names[i]) + 1;
	char *s = malloc(total ? total : 1), *o = s;
	for (size_t i = 0; s && i < n; i++) {
		size_t k = strlen(names[i]) + 1;
		memcpy(o, names[i], k);
		o += k;
	}
	*len = total;
	return s;
}

/* Input value v as a vAccel tensor over its bytes (strings joined into
 * *owned); false when it is not a tensor vAccel carries. */
static bool tensor_of(const OrtValue *v, struct vaccel_tensor *t, void **owned)
{
	int is = 0, elem = 0;
	size_t nd = 0, count = 0;
	OrtTensorTypeAndShapeInfo *info = NULL;
	bool ok = v && !real.IsTensor(v, &is) && is &&
		  !real.GetTensorTypeAndShape(v, &info);
	ok = ok && !real.GetTensorElementType(info, &elem) &&
	     !real.GetDimensionsCount(info, &nd) &&
	     nd <= VACCEL_TENSOR_MAX_DIMS &&
	     !real.GetDimensions(info, t->dims, nd) &&
	     !real.GetTensorShapeElementCount(info, &count);
	if (info)
		real.ReleaseTensorTypeAndShapeInfo(info);
	int dtype = ok ? ort_dtype_of_elem(elem) : -1;
	if (dtype < 0)
		return false;
	t->dtype = (uint32_t)dtype;
	t->ndim = (uint32_t)nd;
	if (dtype == VACCEL_DTYPE_STRING) {
		size_t len = 0;
		size_t *off = calloc(count + 1, sizeof(*off));
		char *s = NULL, *joined = NULL;
		ok = off && !real.GetStringTensorDataLength(v, &len) &&
		     (s = malloc(len + 1)) &&
		     (joined = malloc(len + count + 1)) &&
		     !real.GetStringTensorContent(v, s, len, off, count);
		char *o = joined;
		for (size_t k = 0; ok && k < count; k++) {
			size_t end = k + 1 < count ? off[k + 1] : len;
			ok = off[k] <= end && end <= len &&
			     !memchr(s + off[k], 0, end - off[k]);
			if (ok) {
				memcpy(o, s + off[k], end - off[k]);
				o += end - off[k];
				*o++ = '\0';
			}
		}
		free(s);
		free(off);
		if (!ok) {
			free(joined);
			return false;
		}
		t->data = *owned = joined;
		t->size = (uint64_t)(o - joined);
		return true;
	}
	void *p = NULL;
	if (count && real.GetTensorMutableData((OrtValue *)v, &p))
		return false;
	t->data = p;
	t->size = (uint64_t)count * vaccel_dtype_size((uint32_t)dtype);
	return true;
}

/* Host output t into the program's value *v: its own tensor, which must
 * have t's type and shape, or a new one. */
static OrtStatus *output_to(const struct vaccel_tensor *t, OrtValue **v)
{
	int elem = ort_elem_of_dtype(t->dtype);
	bool strs = t->dtype == VACCEL_DTYPE_STRING;
	if (elem < 0)
		return real.CreateStatus(1, "vAccel: an output of no type");
	uint64_t count;
	if (vaccel_tensor_span(t, 1, &count))
		return real.CreateStatus(1, "vAccel: an output's shape");
	if (!*v) {
		OrtAllocator *alloc;
		OrtStatus *st = real.GetAllocatorWithDefaultOptions(&alloc);
		if (!st)
			st = real.CreateTensorAsOrtValue(alloc, t->dims,
							 t->ndim, elem, v);
		if (st)
			return st;
	} else {
		struct vaccel_tensor mine = {0};
		void *owned = NULL;
		bool same =
		    tensor_of(*v, &mine, &owned) && mine.dtype == t->dtype &&
		    mine.ndim == t->ndim &&
		    !memcmp(mine.dims, t->dims, t->ndim * sizeof(t->dims[0]));
		free(owned);
		if (!same || strs)
			return real.CreateStatus(
			    2, "vAccel: a given output tensor is not of the "
			       "output's type and shape");
	}
	if (strs) {
		const char **s = calloc(count ? count : 1, sizeof(*s));
		if (!s)
			return real.CreateStatus(1, "out of memory");
		const char *p = t->data;
		for (uint64_t k = 0; k < count; k++) {
			s[k] = p;
			p += strlen(p) + 1;
		}
		OrtStatus *st = real.FillStringTensor(*v, s, count);
		free(s);
		return st;
	}
	void *p = NULL;
	if (t->size) {
		OrtStatus *st = real.GetTensorMutableData(*v, &p);
		if (st)
			return st;
		memcpy(p, t->data, t->size);
	}
	return NULL;
}

/* The named run on the host of inputs ti into outputs to (made by the
 * op, freed by the caller): 0 and *status (NULL, or the host's ONNX
 * Runtime's error), or nonzero: the run did not happen there. Counted
 * as entry fn's. */
static int host_run(struct remote *r, unsigned int fn,
		    const char *const *in_names, const struct vaccel_tensor *ti,
		    size_t nr_in, const char *const *out_names, size_t nr_out,
		    struct vaccel_tensor *to, OrtStatus **status)
{
	uint64_t *c = shim_stats()->c[fn];
	size_t inl = 0, outl = 0;
	char *inn = names_joined(in_names, nr_in, &inl);
	char *outn = names_joined(out_names, nr_out, &outl);
	char st[1024] = "";
	int ret = inn && outn ? 0 : -1;
	struct vaccel_oparg a[VACCEL_MODEL_RUN_NAMED_NR_ARGS] = {
	    [VACCEL_MODEL_RUN_NAMED_HANDLE] = {.v.i = (int64_t)r->handle},
	    [VACCEL_MODEL_RUN_NAMED_IN_NAMES] = {.buf = inn, .len = inl},
	    [VACCEL_MODEL_RUN_NAMED_INPUTS] = {.buf = (void *)ti, .len = nr_in},
	    [VACCEL_MODEL_RUN_NAMED_OUT_NAMES] = {.buf = outn, .len = outl},
	    [VACCEL_MODEL_RUN_NAMED_OUTPUTS] = {.buf = to, .len = nr_out},
	    [VACCEL_MODEL_RUN_NAMED_STATUS] = {.buf = st, .len = sizeof(st)},
	};
	if (!ret) {
		ret = vaccel_op_call(r->sess, VACCEL_OPID_MODEL_RUN_NAMED, a,
				     VACCEL_MODEL_RUN_NAMED_NR_ARGS);
		if (ret) {
			c[SHIM_C_FAILED]++;
			shim_say("%s: remote call failed (%s); running locally",
				 shim_fns[fn].name, vaccel_strerror(ret));
		}
	}
	free(inn);
	free(outn);
	*status = NULL;
	if (ret)
		return ret;
	if (st[0]) {
		/* ONNX Runtime's own refusal, on the host */
		st[sizeof(st) - 1] = '\0';
		*status = real.CreateStatus((uint8_t)st[0], st + 1);
		c[SHIM_C_ERRORS]++;
		return 0;
	}
	c[SHIM_C_OFFLOADED]++;
	for (size_t i = 0; i < nr_in; i++)
		c[SHIM_C_BYTES_OUT] += ti[i].size;
	for (size_t i = 0; i < nr_out; i++)
		c[SHIM_C_BYTES_IN] += to[i].size;
	return 0;
}

/* Run's inputs as vAccel tensors, on the host: as host_run. */
static int run_remote(struct remote *r, const char *const *in_names,
		      const OrtValue *const *in, size_t nr_in,
		      const char *const *out_names, size_t nr_out,
		      OrtValue **out, OrtStatus **status)
{
	struct vaccel_tensor *ti = calloc(nr_in + 1, sizeof(*ti));
	struct vaccel_tensor *to = calloc(nr_out + 1, sizeof(*to));
	void **owned = calloc(nr_in + 1, sizeof(*owned));
	int ret = ti && to && owned ? 0 : -1;
	for (size_t i = 0; !ret && i < nr_in; i++)
		if (!tensor_of(in[i], &ti[i], &owned[i]))
			ret = -1;
	if (!ret)
		ret = host_run(r, FN_RUN, in_names, ti, nr_in, out_names,
			       nr_out, to, status);
	for (size_t i = 0; !ret && !*status && i < nr_out; i++)
		*status = output_to(&to[i], &out[i]);
	for (size_t i = 0; to && i < nr_out; i++)
		free(to[i].data);
	for (size_t i = 0; owned && i < nr_in; i++)
		free(owned[i]);
	free(owned);
	free(ti);
	free(to);
	return ret;
}

static OrtStatus *shim_run(OrtSession *s, const OrtRunOptions *opts,
			   const char *const *in_names,
			   const OrtValue *const *in, size_t nr_in,
			   const char *const *out_names, size_t nr_out,
			   OrtValue **out)
{
	if (shim_depth)
		return real.Run(s, opts, in_names, in, nr_in, out_names, nr_out,
				out);
	struct remote *r = remote_of(s);
	OrtStatus *st;
	if (r && SHIM_WANTS(&shim_fns[FN_RUN], HUGE_VAL)) {
		shim_depth++;
		int ret = run_remote(r, in_names, in, nr_in, out_names, nr_out,
				     out, &st);
		shim_depth--;
		if (!ret)
			return st;
	}
	shim_local_enter(&shim_fns[FN_RUN]);
	st = real.Run(s, opts, in_names, in, nr_in, out_names, nr_out, out);
	shim_local_leave();
	return st;
}

/* ---- RunWithBinding ----------------------------------------------------- */

/*
 * An IoBinding holds its values and tells only its outputs back, so the
 * shim keeps what each binding of a host session was given: per name,
 * the tensor's type, shape and bytes (the binding keeps them alive), or
 * for an output bound to the CPU device, nothing: each run makes it, and
 * the shim binds the new tensor in (a local run gets it unbound again).
 * A binding with anything else (strings, a device not the CPU, a value
 * not a tensor) runs locally.
 */
struct bound {
	char *name;
	struct vaccel_tensor t;
	bool device; /* an output made by each run */
	bool made;   /* ... and the shim has bound the last one in */
	bool ok;     /* carried by vAccel */
};

struct binding {
	OrtIoBinding *b;
	struct remote *r;
	struct bound *in, *out;
	size_t nr_in, nr_out;
	struct binding *next;
};
static struct binding *bindings;
static pthread_mutex_t bindings_lock = PTHREAD_MUTEX_INITIALIZER;

/* under bindings_lock */
static struct binding *binding_of(const OrtIoBinding *b)
{
	struct binding *k = bindings;
	while (k && k->b != b)
		k = k->next;
	return k;
}

/* Session r's bindings run locally: it is gone. */
static void bindings_forget(const struct remote *r)
{
	pthread_mutex_lock(&bindings_lock);
	for (struct binding *k = bindings; k; k = k->next)
		if (k->r == r)
			k->r = NULL;
	pthread_mutex_unlock(&bindings_lock);
}

static void bound_clear(struct bound *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/* Name's entry in *v (added when new); NULL when out of memory. */
static struct bound *bound_at(struct bound **v, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i].name, name))
			return &(*v)[i];
	struct bound *g = realloc(*v, (*n + 1) * sizeof(**v));
	if (!g)
		return NULL;
	*v = g;
	struct bound *e = &g[*n];
	*e = (struct bound){.name = strdup(name)};
	if (!e->name)
		return NULL;
	(*n)++;
	return e;
}

/* What value v is bound as, to name in *v; a failure to keep it marks the
 * binding local. */
static void bind_value(OrtIoBinding *b, const char *name, const OrtValue *val,
		       bool output, const OrtMemoryInfo *device)
{
	pthread_mutex_lock(&bindings_lock);
	struct binding *k = binding_of(b);
	struct bound *e = NULL;
	if (k)
		e = output ? bound_at(&k->out, &k->nr_out, name)
			   : bound_at(&k->in, &k->nr_in, name);
	if (e) {
		const char *dev = NULL;
		void *owned = NULL;
		e->device = device != NULL;
		e->made = false;
		e->ok = device ? !real.MemoryInfoGetName(device, &dev) && dev &&
				     !strcmp(dev, "Cpu")
			       : tensor_of(val, &e->t, &owned) && !owned;
		free(owned);
	} else if (k) {
		/* cannot keep it: the binding runs locally from now on */
		k->r = NULL;
	}
	pthread_mutex_unlock(&bindings_lock);
}

static OrtStatus *shim_create_binding(OrtSession *s, OrtIoBinding **out)
{
	OrtStatus *st = real.CreateIoBinding(s, out);
	struct remote *r = st || shim_depth ? NULL : remote_of(s);
	struct binding *k = r ? calloc(1, sizeof(*k)) : NULL;
	if (k) {
		k->b = *out;
		k->r = r;
		pthread_mutex_lock(&bindings_lock);
		k->next = bindings;
		bindings = k;
		pthread_mutex_unlock(&bindings_lock);
	}
	return st;
}

static void shim_release_binding(OrtIoBinding *b)
{
	pthread_mutex_lock(&bindings_lock);
	struct binding **kp = &bindings;
	while (*kp && (*kp)->b != b)
		kp = &(*kp)->next;
	struct binding *k = *kp;
	if (k)
		*kp = k->next;
	pthread_mutex_unlock(&bindings_lock);
	if (k) {
		bound_clear(k->in, k->nr_in);
		bound_clear(k->out, k->nr_out);
		free(k);
	}
	real.ReleaseIoBinding(b);
}

static OrtStatus *shim_bind_input(OrtIoBinding *b, const char *name,
				  const OrtValue *v)
{
	OrtStatus *st = real.BindInput(b, name, v);
	if (!st)
		bind_value(b, name, v, false, NULL);
	return st;
}

static OrtStatus *shim_bind_output(OrtIoBinding *b, const char *name,
				   const OrtValue *v)
{
	OrtStatus *st = real.BindOutput(b, name, v);
	if (!st)
		bind_value(b, name, v, true, NULL);
	return st;
}

static OrtStatus *shim_bind_output_device(OrtIoBinding *b, const char *name,
					  const OrtMemoryInfo *info)
{
	OrtStatus *st = real.BindOutputToDevice(b, name, info);
	if (!st)
		bind_value(b, name, NULL, true, info);
	return st;
}

/* What binding b holds of its outputs (else its inputs) forgotten. */
static void binding_forget(OrtIoBinding *b, bool outputs)
{
	pthread_mutex_lock(&bindings_lock);
	struct binding *k = binding_of(b);
	if (k) {
		struct bound **v = outputs ? &k->out : &k->in;
		size_t *n = outputs ? &k->nr_out : &k->nr_in;
		bound_clear(*v, *n);
		*v = NULL;
		*n = 0;
	}
	pthread_mutex_unlock(&bindings_lock);
}

static void shim_clear_inputs(OrtIoBinding *b)
{
	binding_forget(b, false);
	real.ClearBoundInputs(b);
}

static void shim_clear_outputs(OrtIoBinding *b)
{
	binding_forget(b, true);
	real.ClearBoundOutputs(b);
}

/* Host output t into bound output e: its own tensor, of t's type and
 * shape, or a new one bound in. */
static OrtStatus *bound_output_to(OrtIoBinding *b, struct bound *e,
				  const struct vaccel_tensor *t)
{
	if (e->device) {
		OrtValue *v = NULL;
		OrtStatus *st = output_to(t, &v);
		if (!st)
			st = real.BindOutput(b, e->name, v);
		if (v)
			real.ReleaseValue(v);
		e->made = !st;
		return st;
	}
	if (e->t.dtype != t->dtype || e->t.ndim != t->ndim ||
	    memcmp(e->t.dims, t->dims, t->ndim * sizeof(t->dims[0])) ||
	    e->t.size != t->size)
		return real.CreateStatus(
		    2, "vAccel: a bound output tensor is not of the output's "
		       "type and shape");
	if (t->size)
		memcpy(e->t.data, t->data, t->size);
	return NULL;
}

/* The binding's run on the host: as host_run; nonzero also when the
 * binding has what vAccel does not carry. */
static int binding_remote(struct binding *k, OrtStatus **status)
{
	size_t ni = k->nr_in, no = k->nr_out;
	bool ok = k->r != NULL;
	for (size_t i = 0; ok && i < ni; i++)
		ok = k->in[i].ok;
	for (size_t i = 0; ok && i < no; i++)
		ok = k->out[i].ok;
	const char **in_names = calloc(ni + 1, sizeof(*in_names));
	const char **out_names = calloc(no + 1, sizeof(*out_names));
	struct vaccel_tensor *ti = calloc(ni + 1, sizeof(*ti));
	struct vaccel_tensor *to = calloc(no + 1, sizeof(*to));
	int ret = ok && in_names && out_names && ti && to ? 0 : -1;
	for (size_t i = 0; !ret && i < ni; i++) {
		in_names[i] = k->in[i].name;
		ti[i] = k->in[i].t;
	}
	for (size_t i = 0; !ret && i < no; i++)
		out_names[i] = k->out[i].name;
	if (!ret)
		ret = host_run(k->r, FN_RUN_BINDING, in_names, ti, ni,
			       out_names, no, to, status);
	for (size_t i = 0; !ret && !*status && i < no; i++)
		*status = bound_output_to(k->b, &k->out[i], &to[i]);
	for (size_t i = 0; to && i < no; i++)
		free(to[i].data);
	free(in_names);
	free(out_names);
	free(ti);
	free(to);
	return ret;
}

/* Before a local run: the outputs the shim bound in, to the CPU device
 * again, so that the run makes them as it would have. */
static void binding_unmade(struct binding *k)
{
	OrtMemoryInfo *cpu = NULL;
	for (size_t i = 0; i < k->nr_out; i++) {
		struct bound *e = &k->out[i];
		if (!e->made)
			continue;
		if (!cpu && real.CreateCpuMemoryInfo(ORT_ARENA_ALLOCATOR,
						     ORT_MEM_DEFAULT, &cpu))
			break;
		OrtStatus *st = real.BindOutputToDevice(k->b, e->name, cpu);
		if (st)
			real.ReleaseStatus(st);
		e->made = false;
	}
	if (cpu)
		real.ReleaseMemoryInfo(cpu);
}

static OrtStatus *shim_run_binding(OrtSession *s, const OrtRunOptions *opts,
				   const OrtIoBinding *b)
{
	if (shim_depth)
		return real.RunWithBinding(s, opts, b);
	OrtStatus *st;
	/* the run holds the lock: a binding changed meanwhile would be the
	 * program's race with ONNX Runtime itself */
	pthread_mutex_lock(&bindings_lock);
	struct binding *k = binding_of(b);
	if (k && k->r && k->r->local == s &&
	    SHIM_WANTS(&shim_fns[FN_RUN_BINDING], HUGE_VAL)) {
		shim_depth++;
		int ret = binding_remote(k, &st);
		shim_depth--;
		if (!ret) {
			pthread_mutex_unlock(&bindings_lock);
			return st;
		}
	}
	if (k)
		binding_unmade(k);
	pthread_mutex_unlock(&bindings_lock);
	shim_local_enter(&shim_fns[FN_RUN_BINDING]);
	st = real.RunWithBinding(s, opts, b);
	shim_local_leave();
	return st;
}

/* ---- the table -------------------------------------------------------- */

/* The entries replaced, by position (ort.h's). */
static const struct {
	uint16_t pos;
	const void *fn;
} mine[] = {
    {ORT_POS_CreateSession, (const void *)shim_create},
    {ORT_POS_CreateSessionFromArray, (const void *)shim_create_array},
    {ORT_POS_Run, (const void *)shim_run},
    {ORT_POS_ReleaseSession, (const void *)shim_release},
    {ORT_POS_RunWithBinding, (const void *)shim_run_binding},
    {ORT_POS_CreateIoBinding, (const void *)shim_create_binding},
    {ORT_POS_ReleaseIoBinding, (const void *)shim_release_binding},
    {ORT_POS_BindInput, (const void *)shim_bind_input},
    {ORT_POS_BindOutput, (const void *)shim_bind_output},
    {ORT_POS_BindOutputToDevice, (const void *)shim_bind_output_device},
    {ORT_POS_ClearBoundInputs, (const void *)shim_clear_inputs},
    {ORT_POS_ClearBoundOutputs, (const void *)shim_clear_outputs},
};
#define NR_MINE (sizeof(mine) / sizeof(mine[0]))

static const void *const *shim_get_api(uint32_t version)
{
	const void *const *t = real_base->get_api(version);
	if (!t)
		return NULL;
	if (version == 0 || version >= NR_VERSIONS) {
		static _Atomic bool said;
		if (!atomic_exchange(&said, true))
			shim_say("ONNX Runtime API version %u is newer than "
				 "this shim knows (%zu): its calls run locally",
				 version, NR_VERSIONS - 1);
		return t;
	}
	pthread_mutex_lock(&copies_lock);
	if (!copies[version]) {
		size_t n = table_size[version];
		const void **copy = malloc(n * sizeof(*copy));
		if (copy) {
			memcpy(copy, t, n * sizeof(*copy));
			/* once: every version's table is the same functions */
			static bool bound;
			if (!bound)
				ort_api_bind(&real, t);
			bound = true;
			/* an entry past the version's table is not its */
			for (size_t k = 0; k < NR_MINE; k++)
				if (mine[k].pos < n)
					copy[mine[k].pos] = mine[k].fn;
			copies[version] = copy;
		}
	}
	const void *const *c = copies[version];
	pthread_mutex_unlock(&copies_lock);
	return c ? c : t;
}

static pthread_once_t base_once = PTHREAD_ONCE_INIT;

static void base_init(void)
{
	const struct ort_api_base *(*get)(void) =
	    (const struct ort_api_base *(*)(void))shim_real(&shim_fns[FN_BASE]);
	real_base = get();
	base.get_api = shim_get_api;
	base.get_version_string = real_base->get_version_string;
}

SHIM_EXPORT const struct ort_api_base *OrtGetApiBase(void)
{
	pthread_once(&base_once, base_init);
	return &base;
}
