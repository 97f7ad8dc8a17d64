// SPDX-License-Identifier: Apache-2.0
#include "internal.h"
#include "op_desc.h"
#include <string.h>

const struct vaccel_op_desc *vaccel_op_desc_by_id(uint32_t id)
{
	if (id >= VACCEL_OPID_LIMIT)
		return NULL;
	return vaccel_op_descs_by_id[id];
}

const struct vaccel_op_desc *vaccel_op_desc_by_name(const char *name)
{
	if (!name)
		return NULL;
	for (unsigned int i = 0; i < vaccel_op_descs_count; i++)
		if (strcmp(vaccel_op_descs[i].name, name) == 0)
			return &vaccel_op_descs[i];
	return NULL;
}

const struct vaccel_op_desc *vaccel_op_desc_at(unsigned int i)
{
	return i < vaccel_op_descs_count ? &vaccel_op_descs[i] : NULL;
}

const char *vaccel_op_name(uint32_t id)
{
	const struct vaccel_op_desc *d = vaccel_op_desc_by_id(id);
	return d ? d->name : "unknown";
}

const char *vaccel_arg_kind_to_str(enum vaccel_arg_kind kind)
{
	switch (kind) {
#define X(name)                                                                \
	case VACCEL_ARGK_##name:                                               \
		return #name;
		VACCEL_ARG_KINDS_LIST(X)
#undef X
	default:
		return "?";
	}
}

const char *vaccel_arg_type_to_str(enum vaccel_arg_type type)
{
	switch (type) {
#define X(name, size)                                                          \
	case VACCEL_ARGT_##name:                                               \
		return #name;
		VACCEL_ARG_TYPES_LIST(X)
#undef X
	default:
		return "?";
	}
}

const char *vaccel_dtype_to_str(enum vaccel_dtype dtype)
{
	switch (dtype) {
#define X(name, size)                                                          \
	case VACCEL_DTYPE_##name:                                              \
		return #name;
		VACCEL_DTYPES_LIST(X)
#undef X
	default:
		return "?";
	}
}

size_t vaccel_dtype_size(uint32_t dtype)
{
	switch (dtype) {
#define X(name, size)                                                          \
	case VACCEL_DTYPE_##name:                                              \
		return size;
		VACCEL_DTYPES_LIST(X)
#undef X
	default:
		return 0;
	}
}

static size_t type_size(enum vaccel_arg_type type)
{
	switch (type) {
#define X(name, size)                                                          \
	case VACCEL_ARGT_##name:                                               \
		return size;
		VACCEL_ARG_TYPES_LIST(X)
#undef X
	default:
		return 0;
	}
}

/* vaccel_op_elem_size() for a known-valid op and argument: inlined on the
 * native API's hot path (the exported function is called through the PLT
 * and checks what the callers here already know). */
static inline size_t elem_size(const struct vaccel_op_desc *op,
			       const struct vaccel_op_argdesc *d,
			       const struct vaccel_oparg *args)
{
	static const uint8_t prec_size[4] = {4, 8, 8, 16};
	if (d->type != VACCEL_ARGT_PREC)
		return type_size(d->type);
	if (op->prec_arg < 0)
		return 0;
	uint64_t p = (uint64_t)args[op->prec_arg].v.i;
	return p < 4 ? prec_size[p] : 0;
}

size_t vaccel_op_elem_size(const struct vaccel_op_desc *op,
			   const struct vaccel_oparg *args, uint32_t idx)
{
	if (!op || !args || idx >= op->nr_args)
		return 0;
	return elem_size(op, &op->args[idx], args);
}

/* Expected byte length of buffer `i`, or -1 when the call is invalid. */
static inline int64_t buffer_bytes(const struct vaccel_op_desc *op,
				   const struct vaccel_oparg *args, uint32_t i)
{
	const struct vaccel_op_argdesc *d = &op->args[i];
	size_t es = elem_size(op, d, args);
	if (!es)
		return -1;
	int64_t n = d->nelems(args);
	int64_t bytes;
	if (n < 0 || __builtin_mul_overflow(n, (int64_t)es, &bytes))
		return -1;
	return bytes;
}

/*
 * The buffers with a size rule, per op, with what filling their lengths
 * needs, so that the native API's hot path visits those and not every
 * argument. Built once, on first use; an op with more than SIZED_MAX of
 * them is marked SIZED_SCAN and takes the general path.
 */
#define SIZED_MAX 4
#define SIZED_SCAN UINT32_MAX
struct sized_arg {
	int64_t (*nelems)(const struct vaccel_oparg *args);
	uint32_t idx;
	/* bytes per element (0: invalid type), unless prec */
	uint16_t es;
	/* element type chosen by the op's `prec` scalar */
	bool prec;
};
struct sized_args {
	uint32_t n;
	struct sized_arg a[SIZED_MAX];
};
static struct sized_args sized[VACCEL_OPID_LIMIT];
static atomic_bool sized_ready;
static pthread_mutex_t sized_lock = PTHREAD_MUTEX_INITIALIZER;

static bool is_sized(const struct vaccel_op_argdesc *d)
{
	return d->kind >= VACCEL_ARGK_IN && d->kind <= VACCEL_ARGK_INOUT &&
	       d->nelems;
}

static void sized_build(void)
{
	pthread_mutex_lock(&sized_lock);
	if (!atomic_load_explicit(&sized_ready, memory_order_relaxed)) {
		for (unsigned int o = 0; o < vaccel_op_descs_count; o++) {
			const struct vaccel_op_desc *op = &vaccel_op_descs[o];
			struct sized_args *s = &sized[op->id];
			s->n = 0;
			for (uint32_t i = 0; i < op->nr_args; i++) {
				const struct vaccel_op_argdesc *d =
				    &op->args[i];
				if (!is_sized(d))
					continue;
				if (s->n == SIZED_MAX) {
					s->n = SIZED_SCAN;
					break;
				}
				s->a[s->n++] = (struct sized_arg){
				    .nelems = d->nelems,
				    .idx = i,
				    .es = (uint16_t)type_size(d->type),
				    .prec = d->type == VACCEL_ARGT_PREC,
				};
			}
		}
		atomic_store_explicit(&sized_ready, true, memory_order_release);
	}
	pthread_mutex_unlock(&sized_lock);
}

/* The general path: every argument looked at. */
static int fill_scan(const struct vaccel_op_desc *op, struct vaccel_oparg *args)
{
	for (uint32_t i = 0; i < op->nr_args; i++) {
		if (!is_sized(&op->args[i]))
			continue;
		int64_t bytes = buffer_bytes(op, args, i);
		if (bytes < 0 || (bytes && !args[i].buf))
			return VACCEL_EINVAL;
		args[i].len = (uint64_t)bytes;
	}
	return VACCEL_OK;
}

int op_fill_lengths(const struct vaccel_op_desc *op, struct vaccel_oparg *args)
{
	if (unlikely(!atomic_load_explicit(&sized_ready, memory_order_acquire)))
		sized_build();
	const struct sized_args *s = &sized[op->id];
	if (unlikely(s->n == SIZED_SCAN))
		return fill_scan(op, args);
	for (uint32_t k = 0; k < s->n; k++) {
		const struct sized_arg *a = &s->a[k];
		int64_t es = a->es, n, bytes;
		if (a->prec) {
			static const uint8_t prec_size[4] = {4, 8, 8, 16};
			uint64_t p = op->prec_arg < 0
					 ? 4
					 : (uint64_t)args[op->prec_arg].v.i;
			es = p < 4 ? prec_size[p] : 0;
		}
		n = a->nelems(args);
		if (unlikely(!es || n < 0 ||
			     __builtin_mul_overflow(n, es, &bytes) ||
			     (bytes && !args[a->idx].buf)))
			return VACCEL_EINVAL;
		args[a->idx].len = (uint64_t)bytes;
	}
	return VACCEL_OK;
}

bool vaccel_tensor_strided(const struct vaccel_tensor *t)
{
	if (t->offset)
		return true;
	for (uint32_t d = 0; d < t->ndim && d < VACCEL_TENSOR_MAX_DIMS; d++)
		if (t->strides[d])
			return true;
	return false;
}

int vaccel_tensor_span(const struct vaccel_tensor *t, size_t elem_size,
		       uint64_t *bytes)
{
	if (t->ndim > VACCEL_TENSOR_MAX_DIMS)
		return VACCEL_EINVAL;
	bool strided = vaccel_tensor_strided(t);
	uint64_t elems = 1, last = 0;
	for (uint32_t d = 0; d < t->ndim; d++) {
		if (t->dims[d] < 0 || t->strides[d] < 0 ||
		    __builtin_mul_overflow(elems, (uint64_t)t->dims[d],
					   &elems))
			return VACCEL_EINVAL;
		uint64_t reach;
		if (strided && t->dims[d] &&
		    (__builtin_mul_overflow((uint64_t)t->dims[d] - 1,
					    (uint64_t)t->strides[d], &reach) ||
		     __builtin_add_overflow(last, reach, &last)))
			return VACCEL_EINVAL;
	}
	if (!strided)
		return __builtin_mul_overflow(elems, elem_size, bytes)
			   ? VACCEL_EINVAL
			   : VACCEL_OK;
	if (!elems) {
		*bytes = 0;
		return VACCEL_OK;
	}
	return __builtin_add_overflow(t->offset, last, &last) ||
			       __builtin_add_overflow(last, elem_size, bytes)
		   ? VACCEL_EINVAL
		   : VACCEL_OK;
}

bool vaccel_tensor_strings_ok(const struct vaccel_tensor *t)
{
	uint64_t count;
	if (t->dtype != VACCEL_DTYPE_STRING || vaccel_tensor_strided(t) ||
	    vaccel_tensor_span(t, 1, &count))
		return false;
	if (!t->size)
		return count == 0;
	const uint8_t *p = t->data;
	if (p[t->size - 1])
		return false;
	uint64_t nuls = 0;
	for (const uint8_t *q = p; (q = memchr(q, 0, t->size - (size_t)(q - p)));
	     q++)
		nuls++;
	return nuls == count;
}

/* raw: a framework's tensor (dtype passed through, size not tied to the
 * shape); its outputs come in empty, for the op to allocate. Only inputs
 * may be strided; a strided one's data may hold more than its view. */
static bool tensor_ok(const struct vaccel_tensor *t, bool input, bool raw)
{
	if ((!raw && t->dtype >= VACCEL_DTYPE_MAX) ||
	    t->ndim > VACCEL_TENSOR_MAX_DIMS)
		return false;
	if (t->size && !t->data)
		return false;
	bool strided = vaccel_tensor_strided(t);
	if (!input)
		return !strided && (!raw || (!t->data && !t->size));
	if (!raw && t->dtype == VACCEL_DTYPE_STRING)
		return vaccel_tensor_strings_ok(t);
	/* a framework's element size is its own: a raw view is checked
	 * as bytes */
	uint64_t span;
	if (vaccel_tensor_span(t, raw ? 1 : vaccel_dtype_size(t->dtype),
			       &span))
		return false;
	if (strided)
		return span <= t->size;
	return raw || span == t->size;
}

int vaccel_op_validate(const struct vaccel_op_desc *op,
		       const struct vaccel_oparg *args, uint32_t *bad_arg)
{
	if (!op || (!args && op->nr_args))
		return VACCEL_EINVAL;
	for (uint32_t i = 0; i < op->nr_args; i++) {
		const struct vaccel_op_argdesc *d = &op->args[i];
		const struct vaccel_oparg *a = &args[i];
		bool ok = true;
		switch (d->kind) {
		case VACCEL_ARGK_SCALAR:
			break;
		case VACCEL_ARGK_IN:
		case VACCEL_ARGK_OUT:
		case VACCEL_ARGK_INOUT:
			if (d->nelems) {
				int64_t bytes = buffer_bytes(op, args, i);
				ok = bytes >= 0 && (uint64_t)bytes == a->len;
			}
			ok = ok && (a->buf || !a->len);
			break;
		case VACCEL_ARGK_STRING:
			ok = a->buf && !memchr(a->buf, 0, a->len) &&
			     ((const char *)a->buf)[a->len] == '\0';
			break;
		case VACCEL_ARGK_RESOURCE:
			ok = resource_live(a->buf);
			break;
		case VACCEL_ARGK_ARGS_IN:
		case VACCEL_ARGK_ARGS_OUT: {
			const struct vaccel_arg *l = a->buf;
			ok = (l || !a->len) && a->len <= INT32_MAX;
			for (uint64_t j = 0; ok && j < a->len; j++)
				ok = l[j].buf || !l[j].size;
			break;
		}
		case VACCEL_ARGK_TENSORS_IN:
		case VACCEL_ARGK_TENSORS_OUT: {
			const struct vaccel_tensor *t = a->buf;
			ok = (t || !a->len) && a->len <= INT32_MAX;
			for (uint64_t j = 0; ok && j < a->len; j++)
				ok = tensor_ok(&t[j],
					       d->kind == VACCEL_ARGK_TENSORS_IN,
					       d->type == VACCEL_ARGT_RAW);
			break;
		}
		default:
			ok = false;
		}
		if (!ok) {
			if (bad_arg)
				*bad_arg = i;
			return VACCEL_EINVAL;
		}
	}
	return VACCEL_OK;
}
