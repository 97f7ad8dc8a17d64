// SPDX-License-Identifier: Apache-2.0
/*
 * ONNX's backend test cases (libonnx-testdata: a directory per case with
 * model.onnx and test_data_set_N/{input,output}_K.pb, TensorProtos), each
 * run twice: by ONNX Runtime called directly (the local baseline) and
 * through vAccel's model ops (vaccel_model_load/run, whatever
 * VACCEL_PLUGINS serves them with: the onnx plugin in-process, or the rpc
 * transport to an agent that runs it). Outputs are compared with the
 * reference ones (|got - want| <= atol + rtol |want|, rtol 1e-3, atol
 * 1e-7, as ONNX's backend tests do; NaN equal to NaN; integers, booleans
 * and strings exactly).
 *
 *   onnx-suite ORT_LIB DATA_DIR...      (each DATA_DIR holds case dirs)
 *
 * Prints one line per case: "case NAME local=RESULT vaccel=RESULT", a
 * RESULT being "pass" or "fail(REASON)", then the totals. Exits 0 when
 * every case the local run passes passes through vAccel too, 1 if not,
 * 2 on a usage error.
 */
#include "ort.h"
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <vaccel.h>
#include <vaccel/remote.h>

#define MAX_TENSORS 64
#define RTOL 1e-3
#define ATOL 1e-7

/* ---- files --------------------------------------------------------------- */

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n == cap) {
			cap = cap ? 2 * cap : 65536;
			uint8_t *b = realloc(buf, cap);
			if (!b) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = b;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	*len = n;
	return buf;
}

/* ---- TensorProto --------------------------------------------------------- */

/* One tensor: ONNX element type, shape, dense little-endian bytes; for
 * strings, the strings (data unused). */
struct tensor {
	int elem;
	size_t ndim;
	int64_t dims[VACCEL_TENSOR_MAX_DIMS + 8];
	uint8_t *data;
	size_t size;
	char **strs;
	size_t nr_strs;
};

static void tensor_free(struct tensor *t)
{
	free(t->data);
	for (size_t i = 0; i < t->nr_strs; i++)
		free(t->strs[i]);
	free(t->strs);
	memset(t, 0, sizeof(*t));
}

static size_t elem_size(int elem)
{
	switch (elem) {
	case ORT_ELEM_FLOAT:
	case ORT_ELEM_INT32:
	case ORT_ELEM_UINT32:
		return 4;
	case ORT_ELEM_UINT8:
	case ORT_ELEM_INT8:
	case ORT_ELEM_BOOL:
		return 1;
	case ORT_ELEM_UINT16:
	case ORT_ELEM_INT16:
	case ORT_ELEM_FLOAT16:
	case 16: /* bfloat16 */
		return 2;
	case ORT_ELEM_INT64:
	case ORT_ELEM_DOUBLE:
	case ORT_ELEM_UINT64:
	case 14: /* complex64 */
		return 8;
	case 15: /* complex128 */
		return 16;
	default:
		return 0;
	}
}

struct pb {
	const uint8_t *p, *end;
};

static bool varint(struct pb *r, uint64_t *v)
{
	*v = 0;
	for (unsigned int s = 0; s < 64 && r->p < r->end; s += 7) {
		uint8_t b = *r->p++;
		*v |= (uint64_t)(b & 0x7f) << s;
		if (!(b & 0x80))
			return true;
	}
	return false;
}

/* Append one element of a typed field (value v, or the fixed-width bytes
 * at q) to t's data, converted to the tensor's element type. */
static bool put(struct tensor *t, size_t *cap, const void *src, size_t n)
{
	if (!n)
		return true;
	if (t->size + n > *cap) {
		size_t c = *cap ? 2 * *cap : 256;
		while (c < t->size + n)
			c *= 2;
		uint8_t *d = realloc(t->data, c);
		if (!d)
			return false;
		t->data = d;
		*cap = c;
	}
	memcpy(t->data + t->size, src, n);
	t->size += n;
	return true;
}

static bool put_int(struct tensor *t, size_t *cap, uint64_t v)
{
	size_t es = elem_size(t->elem);
	uint8_t b[8];
	for (size_t i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return es && es <= 8 && put(t, cap, b, es);
}

/* Parse a TensorProto; false (and why) when it is not one this reads. */
static bool tensor_parse(const uint8_t *buf, size_t len, struct tensor *t,
			 char *why, size_t whylen)
{
	memset(t, 0, sizeof(*t));
	struct pb r = {buf, buf + len};
	size_t cap = 0;
	const uint8_t *raw = NULL;
	size_t raw_len = 0;
	bool typed = false;
	while (r.p < r.end) {
		uint64_t key, v = 0;
		if (!varint(&r, &key))
			goto bad;
		unsigned int field = (unsigned int)(key >> 3), wt = key & 7;
		const uint8_t *q = NULL;
		uint64_t n = 0;
		if (wt == 0) {
			if (!varint(&r, &v))
				goto bad;
		} else if (wt == 2) {
			if (!varint(&r, &n) || n > (uint64_t)(r.end - r.p))
				goto bad;
			q = r.p;
			r.p += n;
		} else if (wt == 5) {
			if (r.end - r.p < 4)
				goto bad;
			q = r.p;
			r.p += 4;
		} else if (wt == 1) {
			if (r.end - r.p < 8)
				goto bad;
			q = r.p;
			r.p += 8;
		} else {
			goto bad;
		}
		switch (field) {
		case 1: /* dims */
			if (wt == 0) {
				if (t->ndim == sizeof(t->dims) / 8)
					goto bad;
				t->dims[t->ndim++] = (int64_t)v;
			} else if (wt == 2) {
				struct pb s = {q, q + n};
				while (s.p < s.end) {
					if (!varint(&s, &v) ||
					    t->ndim == sizeof(t->dims) / 8)
						goto bad;
					t->dims[t->ndim++] = (int64_t)v;
				}
			}
			break;
		case 2: /* data_type */
			t->elem = (int)v;
			break;
		case 4:	 /* float_data: fixed32 */
		case 10: /* double_data: fixed64 */
		{
			size_t w = field == 4 ? 4 : 8;
			typed = true;
			if (wt == 2) {
				if (n % w)
					goto bad;
				if (!put(t, &cap, q, n))
					goto bad;
			} else if (!put(t, &cap, q, w)) {
				goto bad;
			}
			break;
		}
		case 5:	 /* int32_data (also 8/16-bit, bool, float16) */
		case 7:	 /* int64_data */
		case 11: /* uint64_data */
			typed = true;
			if (wt == 2) {
				struct pb s = {q, q + n};
				while (s.p < s.end)
					if (!varint(&s, &v) ||
					    !put_int(t, &cap, v))
						goto bad;
			} else if (!put_int(t, &cap, v)) {
				goto bad;
			}
			break;
		case 6: { /* string_data */
			char **s =
			    realloc(t->strs, (t->nr_strs + 1) * sizeof(char *));
			if (!s)
				goto bad;
			t->strs = s;
			s[t->nr_strs] = malloc(n + 1);
			if (!s[t->nr_strs])
				goto bad;
			memcpy(s[t->nr_strs], q, n);
			s[t->nr_strs++][n] = '\0';
			break;
		}
		case 9: /* raw_data */
			raw = q;
			raw_len = n;
			break;
		case 13: /* external_data */
			snprintf(why, whylen, "external data");
			return false;
		default:
			break;
		}
	}
	if (raw && !typed) {
		free(t->data);
		t->data = malloc(raw_len ? raw_len : 1);
		if (!t->data)
			goto bad;
		memcpy(t->data, raw, raw_len);
		t->size = raw_len;
	}
	uint64_t count = 1;
	for (size_t i = 0; i < t->ndim; i++)
		count *= (uint64_t)t->dims[i];
	if (t->elem == ORT_ELEM_STRING) {
		if (t->nr_strs != count) {
			snprintf(why, whylen, "%zu strings for %" PRIu64,
				 t->nr_strs, count);
			return false;
		}
		return true;
	}
	if (!elem_size(t->elem)) {
		snprintf(why, whylen, "element type %d", t->elem);
		return false;
	}
	if (t->size != count * elem_size(t->elem)) {
		snprintf(why, whylen, "%zu bytes for %" PRIu64 " elements",
			 t->size, count);
		return false;
	}
	return true;
bad:
	snprintf(why, whylen, "not a TensorProto");
	return false;
}

/* ---- comparison ---------------------------------------------------------- */

static double fp16(uint16_t h)
{
	int e = (h >> 10) & 0x1f, m = h & 0x3ff;
	double v = e == 0    ? ldexp(m, -24)
		   : e == 31 ? (m ? NAN : INFINITY)
			     : ldexp(m + 1024, e - 25);
	return h & 0x8000 ? -v : v;
}

static double as_double(int elem, const uint8_t *p)
{
	float f;
	double d;
	uint16_t h;
	switch (elem) {
	case ORT_ELEM_FLOAT:
		memcpy(&f, p, 4);
		return f;
	case ORT_ELEM_DOUBLE:
		memcpy(&d, p, 8);
		return d;
	case ORT_ELEM_FLOAT16:
		memcpy(&h, p, 2);
		return fp16(h);
	case ORT_ELEM_BFLOAT16: {
		uint32_t b;
		memcpy(&h, p, 2);
		b = (uint32_t)h << 16;
		memcpy(&f, &b, 4);
		return f;
	}
	default:
		return 0;
	}
}

/* Whether got (elem, dims, bytes) equals the reference want. */
static bool same(const struct tensor *want, int elem, size_t ndim,
		 const int64_t *dims, const void *data, size_t size, char *why,
		 size_t whylen)
{
	if (elem != want->elem) {
		snprintf(why, whylen, "element type %d, want %d", elem,
			 want->elem);
		return false;
	}
	if (ndim != want->ndim ||
	    memcmp(dims, want->dims, ndim * sizeof(*dims))) {
		snprintf(why, whylen, "another shape");
		return false;
	}
	if (elem != ORT_ELEM_STRING && size != want->size) {
		snprintf(why, whylen, "%zu bytes, want %zu", size, want->size);
		return false;
	}
	if (elem == ORT_ELEM_STRING) {
		/* NUL-ended strings back to back */
		const char *s = data, *end = s + size;
		for (size_t i = 0; i < want->nr_strs; i++) {
			size_t n = strlen(want->strs[i]);
			if ((size_t)(end - s) < n + 1 ||
			    memcmp(s, want->strs[i], n + 1)) {
				snprintf(why, whylen, "string %zu differs", i);
				return false;
			}
			s += n + 1;
		}
		if (s != end) {
			snprintf(why, whylen, "more strings than wanted");
			return false;
		}
		return true;
	}
	bool fp = elem == ORT_ELEM_FLOAT || elem == ORT_ELEM_DOUBLE ||
		  elem == ORT_ELEM_FLOAT16 || elem == ORT_ELEM_BFLOAT16;
	if (!fp) {
		if (size && memcmp(data, want->data, size)) {
			snprintf(why, whylen, "other values");
			return false;
		}
		return true;
	}
	size_t es = elem_size(elem);
	for (size_t i = 0; i < size / es; i++) {
		double g = as_double(elem, (const uint8_t *)data + i * es);
		double w = as_double(elem, want->data + i * es);
		if (isnan(g) && isnan(w))
			continue;
		if (!(fabs(g - w) <= ATOL + RTOL * fabs(w)) &&
		    !(isinf(g) && g == w)) {
			snprintf(why, whylen, "element %zu: %.9g, want %.9g", i,
				 g, w);
			return false;
		}
	}
	return true;
}

/* ---- one case's data ----------------------------------------------------- */

struct dataset {
	struct tensor in[MAX_TENSORS], out[MAX_TENSORS];
	size_t nr_in, nr_out;
};

static void dataset_free(struct dataset *d)
{
	for (size_t i = 0; i < d->nr_in; i++)
		tensor_free(&d->in[i]);
	for (size_t i = 0; i < d->nr_out; i++)
		tensor_free(&d->out[i]);
	d->nr_in = d->nr_out = 0;
}

/* dir's input_K.pb and output_K.pb, K from 0 while they exist. */
static bool dataset_read(const char *dir, struct dataset *d, char *why,
			 size_t whylen)
{
	memset(d, 0, sizeof(*d));
	for (int io = 0; io < 2; io++) {
		for (size_t k = 0; k < MAX_TENSORS; k++) {
			char path[8192];
			snprintf(path, sizeof(path), "%s/%s_%zu.pb", dir,
				 io ? "output" : "input", k);
			size_t len;
			uint8_t *buf = slurp(path, &len);
			if (!buf)
				break;
			struct tensor *t = io ? &d->out[k] : &d->in[k];
			char w[200];
			bool ok = tensor_parse(buf, len, t, w, sizeof(w));
			free(buf);
			if (io)
				d->nr_out = k + 1;
			else
				d->nr_in = k + 1;
			if (!ok) {
				snprintf(why, whylen, "%s_%zu: %s",
					 io ? "output" : "input", k, w);
				return false;
			}
		}
	}
	return true;
}

/* ---- ONNX Runtime, directly ---------------------------------------------- */

static struct ort_api api;
static OrtEnv *env;
static OrtMemoryInfo *cpu;
static OrtAllocator *alloc;

static bool ort_ok(OrtStatus *s, char *why, size_t whylen)
{
	if (!s)
		return true;
	snprintf(why, whylen, "%s", api.GetErrorMessage(s));
	for (char *c = why; *c; c++)
		if (*c == '\n')
			*c = ' ';
	api.ReleaseStatus(s);
	return false;
}

static bool ort_open(const char *path)
{
	void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr, "onnx-suite: %s\n", dlerror());
		return false;
	}
	const struct ort_api_base *(*get)(void) =
	    (const struct ort_api_base *(*)(void))dlsym(lib, "OrtGetApiBase");
	const void *const *table = get ? get()->get_api(ORT_API_NEEDED) : NULL;
	if (!table)
		return false;
	ort_api_bind(&api, table);
	char why[256];
	return ort_ok(api.CreateEnv(3, "onnx-suite", &env), why, sizeof(why)) &&
	       ort_ok(api.CreateCpuMemoryInfo(ORT_ARENA_ALLOCATOR,
					      ORT_MEM_DEFAULT, &cpu),
		      why, sizeof(why)) &&
	       ort_ok(api.GetAllocatorWithDefaultOptions(&alloc), why,
		      sizeof(why));
}

/* An OrtValue of t (over its bytes; strings copied in). */
static bool ort_value(const struct tensor *t, OrtValue **v, char *why,
		      size_t whylen)
{
	if (t->elem == ORT_ELEM_STRING)
		return ort_ok(api.CreateTensorAsOrtValue(alloc, t->dims,
							 t->ndim, t->elem, v),
			      why, whylen) &&
		       ort_ok(api.FillStringTensor(
				  *v, (const char *const *)t->strs, t->nr_strs),
			      why, whylen);
	return ort_ok(api.CreateTensorWithDataAsOrtValue(
			  cpu, t->data ? t->data : (void *)"", t->size, t->dims,
			  t->ndim, t->elem, v),
		      why, whylen);
}

static bool ort_compare(const struct tensor *want, OrtValue *v, char *why,
			size_t whylen)
{
	int is = 0;
	if (!ort_ok(api.IsTensor(v, &is), why, whylen))
		return false;
	if (!is) {
		snprintf(why, whylen, "an output is not a tensor");
		return false;
	}
	OrtTensorTypeAndShapeInfo *info;
	if (!ort_ok(api.GetTensorTypeAndShape(v, &info), why, whylen))
		return false;
	int elem = 0;
	size_t nd = 0, count = 0;
	int64_t dims[32];
	bool ok =
	    ort_ok(api.GetTensorElementType(info, &elem), why, whylen) &&
	    ort_ok(api.GetDimensionsCount(info, &nd), why, whylen) &&
	    nd <= 32 &&
	    ort_ok(api.GetDimensions(info, dims, nd), why, whylen) &&
	    ort_ok(api.GetTensorShapeElementCount(info, &count), why, whylen);
	api.ReleaseTensorTypeAndShapeInfo(info);
	if (!ok)
		return false;
	if (elem == ORT_ELEM_STRING) {
		size_t len;
		if (elem != want->elem || count != want->nr_strs ||
		    !ort_ok(api.GetStringTensorDataLength(v, &len), why,
			    whylen)) {
			snprintf(why, whylen, "other strings");
			return false;
		}
		char *s = malloc(len + 1);
		size_t *off = calloc(count + 1, sizeof(size_t));
		ok = s && off &&
		     ort_ok(api.GetStringTensorContent(v, s, len, off, count),
			    why, whylen);
		for (size_t i = 0; ok && i < count; i++) {
			size_t end = i + 1 < count ? off[i + 1] : len;
			ok = end - off[i] == strlen(want->strs[i]) &&
			     !memcmp(s + off[i], want->strs[i], end - off[i]);
			if (!ok)
				snprintf(why, whylen, "string %zu differs", i);
		}
		free(s);
		free(off);
		return ok;
	}
	void *p = NULL;
	if (count && !ort_ok(api.GetTensorMutableData(v, &p), why, whylen))
		return false;
	return same(want, elem, nd, dims, p, count * elem_size(elem), why,
		    whylen);
}

/* What a model's inputs and outputs are: each one's element type (0 when
 * it is not a tensor: a sequence, map or optional). */
struct types {
	size_t nr_in, nr_out;
	int in[MAX_TENSORS], out[MAX_TENSORS];
	int in_kind[MAX_TENSORS], out_kind[MAX_TENSORS];
};

static bool type_of(OrtTypeInfo *ti, int *kind, int *elem, char *why,
		    size_t whylen)
{
	const OrtTensorTypeAndShapeInfo *tt;
	*elem = 0;
	bool ok = ort_ok(api.GetOnnxTypeFromTypeInfo(ti, kind), why, whylen);
	if (ok && *kind == ORT_TYPE_TENSOR)
		ok = ort_ok(api.CastTypeInfoToTensorInfo(ti, &tt), why,
			    whylen) &&
		     ort_ok(api.GetTensorElementType(tt, elem), why, whylen);
	api.ReleaseTypeInfo(ti);
	return ok;
}

static bool probe(const uint8_t *model, size_t len, struct types *ty, char *why,
		  size_t whylen)
{
	OrtSession *s = NULL;
	memset(ty, 0, sizeof(*ty));
	if (!ort_ok(api.CreateSessionFromArray(env, model, len, NULL, &s), why,
		    whylen))
		return false;
	bool ok =
	    ort_ok(api.SessionGetInputCount(s, &ty->nr_in), why, whylen) &&
	    ort_ok(api.SessionGetOutputCount(s, &ty->nr_out), why, whylen) &&
	    ty->nr_in <= MAX_TENSORS && ty->nr_out <= MAX_TENSORS;
	for (size_t i = 0; ok && i < ty->nr_in; i++) {
		OrtTypeInfo *ti;
		ok = ort_ok(api.SessionGetInputTypeInfo(s, i, &ti), why,
			    whylen) &&
		     type_of(ti, &ty->in_kind[i], &ty->in[i], why, whylen);
	}
	for (size_t i = 0; ok && i < ty->nr_out; i++) {
		OrtTypeInfo *ti;
		ok = ort_ok(api.SessionGetOutputTypeInfo(s, i, &ti), why,
			    whylen) &&
		     type_of(ti, &ty->out_kind[i], &ty->out[i], why, whylen);
	}
	api.ReleaseSession(s);
	return ok;
}

/* A model input or output that is not a tensor: its name, else NULL. */
static const char *not_a_tensor(const struct types *ty, size_t *k)
{
	for (size_t i = 0; i < ty->nr_in; i++)
		if (ty->in_kind[i] != ORT_TYPE_TENSOR) {
			*k = i;
			return "input";
		}
	for (size_t i = 0; i < ty->nr_out; i++)
		if (ty->out_kind[i] != ORT_TYPE_TENSOR) {
			*k = i;
			return "output";
		}
	return NULL;
}

/* ONNX's test data keep bfloat16 tensors as uint16 ones: they are what
 * the model says. */
static void bf16_as_model_says(const struct types *ty, struct dataset *d)
{
	for (size_t i = 0; i < d->nr_in && i < ty->nr_in; i++)
		if (d->in[i].elem == ORT_ELEM_UINT16 &&
		    ty->in[i] == ORT_ELEM_BFLOAT16)
			d->in[i].elem = ORT_ELEM_BFLOAT16;
	for (size_t i = 0; i < d->nr_out && i < ty->nr_out; i++)
		if (d->out[i].elem == ORT_ELEM_UINT16 &&
		    ty->out[i] == ORT_ELEM_BFLOAT16)
			d->out[i].elem = ORT_ELEM_BFLOAT16;
}

static bool run_local(const uint8_t *model, size_t len, struct dataset *d,
		      char *why, size_t whylen)
{
	OrtSession *s = NULL;
	if (!ort_ok(api.CreateSessionFromArray(env, model, len, NULL, &s), why,
		    whylen))
		return false;
	size_t nin = 0, nout = 0;
	char *in_names[MAX_TENSORS] = {0}, *out_names[MAX_TENSORS] = {0};
	OrtValue *iv[MAX_TENSORS] = {0}, *ov[MAX_TENSORS] = {0};
	bool ok = ort_ok(api.SessionGetInputCount(s, &nin), why, whylen) &&
		  ort_ok(api.SessionGetOutputCount(s, &nout), why, whylen);
	if (ok && (nin != d->nr_in || nout < d->nr_out)) {
		snprintf(why, whylen, "%zu inputs, %zu outputs, data %zu, %zu",
			 nin, nout, d->nr_in, d->nr_out);
		ok = false;
	}
	for (size_t i = 0; ok && i < nin; i++)
		ok = ort_ok(api.SessionGetInputName(s, i, alloc, &in_names[i]),
			    why, whylen) &&
		     ort_value(&d->in[i], &iv[i], why, whylen);
	for (size_t i = 0; ok && i < d->nr_out; i++)
		ok =
		    ort_ok(api.SessionGetOutputName(s, i, alloc, &out_names[i]),
			   why, whylen);
	if (ok)
		ok = ort_ok(api.Run(s, NULL, (const char *const *)in_names,
				    (const OrtValue *const *)iv, nin,
				    (const char *const *)out_names, d->nr_out,
				    ov),
			    why, whylen);
	for (size_t i = 0; ok && i < d->nr_out; i++)
		ok = ort_compare(&d->out[i], ov[i], why, whylen);
	for (size_t i = 0; i < MAX_TENSORS; i++) {
		if (in_names[i])
			api.AllocatorFree(alloc, in_names[i]);
		if (out_names[i])
			api.AllocatorFree(alloc, out_names[i]);
		if (iv[i])
			api.ReleaseValue(iv[i]);
		if (ov[i])
			api.ReleaseValue(ov[i]);
	}
	api.ReleaseSession(s);
	return ok;
}

/* ---- through vAccel ------------------------------------------------------ */

/* t's strings NUL-ended, back to back, in a new buffer; *len set. */
static char *strings_joined(const struct tensor *t, size_t *len)
{
	size_t n = 0;
	for (size_t i = 0; i < t->nr_strs; i++)
		n += strlen(t->strs[i]) + 1;
	char *s = malloc(n ? n : 1), *o = s;
	for (size_t i = 0; s && i < t->nr_strs; i++) {
		size_t k = strlen(t->strs[i]) + 1;
		memcpy(o, t->strs[i], k);
		o += k;
	}
	*len = n;
	return s;
}

static bool to_vaccel(const struct tensor *t, struct vaccel_tensor *v,
		      char *why, size_t whylen)
{
	int dtype = ort_dtype_of_elem(t->elem);
	if (dtype < 0 || t->ndim > VACCEL_TENSOR_MAX_DIMS) {
		snprintf(why, whylen,
			 dtype < 0 ? "element type %d has no vAccel dtype"
				   : "%d: more dims than a vAccel tensor has",
			 dtype < 0 ? t->elem : (int)t->ndim);
		return false;
	}
	memset(v, 0, sizeof(*v));
	v->dtype = (uint32_t)dtype;
	v->ndim = (uint32_t)t->ndim;
	memcpy(v->dims, t->dims, t->ndim * sizeof(t->dims[0]));
	v->data = t->data;
	v->size = t->size;
	if (t->elem == ORT_ELEM_STRING) {
		size_t len;
		v->data = strings_joined(t, &len);
		v->size = len;
		if (!v->data) {
			snprintf(why, whylen, "out of memory");
			return false;
		}
	}
	return true;
}

static bool run_vaccel(struct vaccel_session *sess, const char *model_path,
		       struct dataset *d, char *why, size_t whylen)
{
	struct vaccel_tensor in[MAX_TENSORS], out[MAX_TENSORS];
	void *bufs[MAX_TENSORS] = {0}, *joined[MAX_TENSORS] = {0};
	for (size_t i = 0; i < d->nr_in; i++) {
		if (!to_vaccel(&d->in[i], &in[i], why, whylen))
			goto fail;
		if (d->in[i].elem == ORT_ELEM_STRING)
			joined[i] = in[i].data;
	}
	for (size_t i = 0; i < d->nr_out; i++) {
		if (!to_vaccel(&d->out[i], &out[i], why, whylen))
			goto fail;
		if (d->out[i].elem == ORT_ELEM_STRING)
			free(out[i].data);
		/* room for the reference's bytes and then some */
		out[i].size = out[i].size + 64;
		out[i].data = bufs[i] = calloc(1, out[i].size);
		if (!bufs[i])
			goto fail;
	}
	struct vaccel_resource res;
	int ret = vaccel_resource_init(&res, model_path, VACCEL_RESOURCE_MODEL);
	if (!ret) {
		ret = vaccel_resource_register(&res, sess);
		if (ret)
			vaccel_resource_release(&res);
	}
	if (ret) {
		snprintf(why, whylen, "resource: %s", vaccel_strerror(ret));
		goto fail;
	}
	uint64_t handle;
	ret = vaccel_model_load(sess, &res, &handle);
	if (!ret) {
		ret = vaccel_model_run(sess, handle, in, d->nr_in, out,
				       d->nr_out);
		int r2 = vaccel_model_unload(sess, handle);
		if (!ret)
			ret = r2;
	}
	vaccel_resource_unregister(&res, sess);
	vaccel_resource_release(&res);
	if (ret) {
		snprintf(why, whylen, "%s", vaccel_strerror(ret));
		goto fail;
	}
	for (size_t i = 0; i < d->nr_out; i++)
		if (!same(&d->out[i], ort_elem_of_dtype(out[i].dtype), out[i].ndim,
			  out[i].dims, out[i].data, out[i].size, why, whylen))
			goto fail;
	for (size_t i = 0; i < MAX_TENSORS; i++) {
		free(bufs[i]);
		free(joined[i]);
	}
	return true;
fail:
	for (size_t i = 0; i < MAX_TENSORS; i++) {
		free(bufs[i]);
		free(joined[i]);
	}
	return false;
}

/* ---- the cases ----------------------------------------------------------- */

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: onnx-suite ORT_LIB DATA_DIR...\n");
		return 2;
	}
	if (!ort_open(argv[1])) {
		fprintf(stderr, "onnx-suite: cannot use ONNX Runtime %s\n",
			argv[1]);
		return 2;
	}
	struct vaccel_session sess;
	int ret = vaccel_session_init(&sess, 0);
	if (ret) {
		fprintf(stderr, "onnx-suite: vaccel_session_init: %s\n",
			vaccel_strerror(ret));
		return 2;
	}
	unsigned int cases = 0, local_pass = 0, vaccel_pass = 0, lost = 0;
	for (int a = 2; a < argc; a++) {
		DIR *dir = opendir(argv[a]);
		if (!dir) {
			fprintf(stderr, "onnx-suite: %s: %s\n", argv[a],
				strerror(errno));
			return 2;
		}
		char **names = NULL;
		size_t n = 0;
		struct dirent *e;
		while ((e = readdir(dir)))
			if (e->d_name[0] != '.') {
				names =
				    realloc(names, (n + 1) * sizeof(*names));
				names[n++] = strdup(e->d_name);
			}
		closedir(dir);
		qsort(names, n, sizeof(*names), by_name);
		for (size_t i = 0; i < n; i++) {
			char model[4096], data[4096];
			snprintf(model, sizeof(model), "%s/%s/model.onnx",
				 argv[a], names[i]);
			snprintf(data, sizeof(data), "%s/%s/test_data_set_0",
				 argv[a], names[i]);
			struct stat st;
			if (stat(model, &st) || stat(data, &st)) {
				free(names[i]);
				continue;
			}
			cases++;
			char lwhy[300] = "", vwhy[300] = "";
			struct dataset d;
			size_t mlen = 0;
			uint8_t *m = slurp(model, &mlen);
			bool lok = false, vok = false;
			struct types ty;
			size_t k = 0;
			const char *what = NULL;
			bool probed =
			    m && probe(m, mlen, &ty, lwhy, sizeof(lwhy));
			memset(&d, 0, sizeof(d));
			if (probed && (what = not_a_tensor(&ty, &k))) {
				/* its data are no TensorProtos either */
				snprintf(lwhy, sizeof(lwhy),
					 "%s %zu is not a tensor", what, k);
				snprintf(vwhy, sizeof(vwhy), "%s", lwhy);
			} else if (!dataset_read(data, &d, vwhy,
						 sizeof(vwhy))) {
				snprintf(lwhy, sizeof(lwhy), "%s", vwhy);
			} else {
				if (probed) {
					bf16_as_model_says(&ty, &d);
					lok = run_local(m, mlen, &d, lwhy,
							sizeof(lwhy));
				}
				vok = run_vaccel(&sess, model, &d, vwhy,
						 sizeof(vwhy));
			}
			free(m);
			dataset_free(&d);
			local_pass += lok;
			vaccel_pass += vok;
			lost += lok && !vok;
			printf("case %s/%s local=%s%s%s%s vaccel=%s%s%s%s\n",
			       strrchr(argv[a], '/') ? strrchr(argv[a], '/') + 1
						     : argv[a],
			       names[i], lok ? "pass" : "fail", lok ? "" : "(",
			       lok ? "" : lwhy, lok ? "" : ")",
			       vok ? "pass" : "fail", vok ? "" : "(",
			       vok ? "" : vwhy, vok ? "" : ")");
			fflush(stdout);
			free(names[i]);
		}
		free(names);
	}
	vaccel_session_release(&sess);
	printf("total cases=%u local_pass=%u vaccel_pass=%u "
	       "local_only=%u\n",
	       cases, local_pass, vaccel_pass, lost);
	return lost ? 1 : 0;
}
