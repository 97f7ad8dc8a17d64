// SPDX-License-Identifier: Apache-2.0
#include "internal.h"
#include "op_desc.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- the ops users' specs add (vaccel_ops_register) ----------------- */

/* A snapshot of the registered ops, sorted by id; replaced whole when an
 * op is added (readers hold no lock), the old ones kept on `retired`. */
struct user_ops {
	unsigned int n;
	struct user_ops *retired;
	const struct vaccel_op_desc *d[];
};
static const struct user_ops no_user_ops;
static _Atomic(const struct user_ops *) user_ops = &no_user_ops;
static struct user_ops *user_retired;
/* the namespace of each block in use */
struct user_block {
	uint32_t block;
	char *ns;
	struct user_block *next;
};
static struct user_block *user_blocks;
static pthread_mutex_t user_lock = PTHREAD_MUTEX_INITIALIZER;

uint32_t vaccel_user_opid(const char *ns, size_t ns_len, uint32_t n)
{
	if (!ns || !ns_len || !n || n > 0xffff)
		return 0;
	uint32_t h = 0x811c9dc5u;
	for (size_t i = 0; i < ns_len; i++) {
		h ^= (uint8_t)ns[i];
		h *= 0x01000193u;
	}
	return VACCEL_OPID_USER | (h & 0x7fffu) << 16 | n;
}

static const struct vaccel_op_desc *user_by_id(const struct user_ops *u,
					       uint32_t id)
{
	unsigned int lo = 0, hi = u->n;
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		if (u->d[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < u->n && u->d[lo]->id == id ? u->d[lo] : NULL;
}

/* Why op d cannot be a user op, or NULL. */
static const char *user_op_bad(const struct vaccel_op_desc *d)
{
	const char *dot = d->name ? strchr(d->name, '.') : NULL;
	if (!dot || dot == d->name || !dot[1])
		return "its name is not NAMESPACE.function";
	uint32_t n = d->id & 0xffffu;
	if (vaccel_user_opid(d->name, (size_t)(dot - d->name), n) != d->id)
		return "its id is not in its namespace's block";
	if (d->nr_args && !d->args)
		return "it has arguments and no argument list";
	if (d->prec_arg >= 0 && (uint32_t)d->prec_arg >= d->nr_args)
		return "its prec argument is not one of its arguments";
	for (uint32_t i = 0; i < d->nr_args; i++)
		if ((unsigned int)d->args[i].kind > VACCEL_ARGK_TENSORS_OUT ||
		    (unsigned int)d->args[i].type > VACCEL_ARGT_RAW ||
		    !d->args[i].name)
			return "an argument has no name, or no known kind or "
			       "type";
	return NULL;
}

/* The namespace owning d's block: NULL when free or d's own. Under
 * user_lock. */
static const char *block_taken(const struct vaccel_op_desc *d)
{
	size_t len = (size_t)(strchr(d->name, '.') - d->name);
	for (struct user_block *b = user_blocks; b; b = b->next)
		if (b->block == d->id >> 16)
			return strlen(b->ns) == len &&
				       !strncmp(b->ns, d->name, len)
				   ? NULL
				   : b->ns;
	return NULL;
}

static int block_claim(const struct vaccel_op_desc *d)
{
	for (struct user_block *b = user_blocks; b; b = b->next)
		if (b->block == d->id >> 16)
			return VACCEL_OK;
	struct user_block *b = calloc(1, sizeof(*b));
	if (!b)
		return VACCEL_ENOMEM;
	b->ns = strndup(d->name, (size_t)(strchr(d->name, '.') - d->name));
	if (!b->ns) {
		free(b);
		return VACCEL_ENOMEM;
	}
	b->block = d->id >> 16;
	b->next = user_blocks;
	user_blocks = b;
	return VACCEL_OK;
}

int vaccel_ops_register(const struct vaccel_op_desc *descs, unsigned int n)
{
	if (n && !descs)
		return VACCEL_EINVAL;
	pthread_mutex_lock(&user_lock);
	const struct user_ops *cur = atomic_load(&user_ops);
	int ret = VACCEL_OK;
	unsigned int add = 0;
	for (unsigned int i = 0; i < n && !ret; i++) {
		const struct vaccel_op_desc *d = &descs[i];
		const char *why = user_op_bad(d);
		const struct vaccel_op_desc *had =
		    why ? NULL : user_by_id(cur, d->id);
		const char *owner = why ? NULL : block_taken(d);
		for (unsigned int k = 0; !why && !had && k < i; k++)
			if (descs[k].id == d->id)
				why = "its id is given twice";
		if (why) {
			vaccel_log(VACCEL_LOG_ERROR, "ops",
				   "cannot register op '%s' (id %u): %s",
				   d->name ? d->name : "?", d->id, why);
			ret = VACCEL_EINVAL;
		} else if (owner) {
			vaccel_log(VACCEL_LOG_ERROR, "ops",
				   "cannot register op '%s': its namespace's "
				   "op ids are those of namespace '%s' "
				   "(rename one)",
				   d->name, owner);
			ret = VACCEL_EEXIST;
		} else if (had && (had->sig_hash != d->sig_hash ||
				   strcmp(had->name, d->name))) {
			vaccel_log(VACCEL_LOG_ERROR, "ops",
				   "cannot register op '%s' (id %u): '%s' has "
				   "that id with %s",
				   d->name, d->id, had->name,
				   strcmp(had->name, d->name)
				       ? "another name"
				       : "another signature");
			ret = VACCEL_EEXIST;
		} else if (!had) {
			add++;
		}
	}
	struct user_ops *next = NULL;
	if (!ret && add) {
		next =
		    malloc(sizeof(*next) + (cur->n + add) * sizeof(next->d[0]));
		ret = next ? VACCEL_OK : VACCEL_ENOMEM;
	}
	for (unsigned int i = 0; next && !ret && i < n; i++)
		if (!user_by_id(cur, descs[i].id))
			ret = block_claim(&descs[i]);
	if (next && !ret) {
		/* merge: the old snapshot, then each new op in its place */
		next->n = cur->n;
		memcpy(next->d, cur->d, cur->n * sizeof(next->d[0]));
		for (unsigned int i = 0; i < n; i++) {
			const struct vaccel_op_desc *d = &descs[i];
			if (user_by_id(cur, d->id))
				continue;
			unsigned int at = next->n;
			while (at && next->d[at - 1]->id > d->id) {
				next->d[at] = next->d[at - 1];
				at--;
			}
			next->d[at] = d;
			next->n++;
		}
		next->retired = user_retired;
		if (cur != &no_user_ops)
			user_retired = (struct user_ops *)cur;
		atomic_store(&user_ops, next);
		next = NULL;
	}
	bool added = !ret && add;
	free(next);
	pthread_mutex_unlock(&user_lock);
	if (added)
		plugins_dispatch_refresh();
	return ret;
}

unsigned int ops_snapshot(const struct vaccel_op_desc ***out)
{
	const struct user_ops *u = atomic_load(&user_ops);
	unsigned int n = vaccel_op_descs_count + u->n;
	*out = malloc(n * sizeof(**out));
	if (!*out)
		return 0;
	for (unsigned int i = 0; i < vaccel_op_descs_count; i++)
		(*out)[i] = &vaccel_op_descs[i];
	for (unsigned int i = 0; i < u->n; i++)
		(*out)[vaccel_op_descs_count + i] = u->d[i];
	return n;
}

unsigned int vaccel_op_count(void)
{
	return vaccel_op_descs_count + atomic_load(&user_ops)->n;
}

/* ---- lookups ------------------------------------------------------- */

const struct vaccel_op_desc *vaccel_op_desc_by_id(uint32_t id)
{
	if (id < VACCEL_OPID_LIMIT)
		return vaccel_op_descs_by_id[id];
	return id >= VACCEL_OPID_USER ? user_by_id(atomic_load(&user_ops), id)
				      : NULL;
}

const struct vaccel_op_desc *vaccel_op_desc_by_name(const char *name)
{
	if (!name)
		return NULL;
	const struct vaccel_op_desc *d;
	for (unsigned int i = 0; (d = vaccel_op_desc_at(i)); i++)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

const struct vaccel_op_desc *vaccel_op_desc_at(unsigned int i)
{
	if (i < vaccel_op_descs_count)
		return &vaccel_op_descs[i];
	const struct user_ops *u = atomic_load(&user_ops);
	i -= vaccel_op_descs_count;
	return i < u->n ? u->d[i] : NULL;
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

static bool is_sized(const struct vaccel_op_argdesc *d)
{
	return d->kind >= VACCEL_ARGK_IN && d->kind <= VACCEL_ARGK_INOUT &&
	       d->nelems;
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
	/* the project's ops: their generated fill, one direct call with the
	 * size rules inlined (ops_gen.c); a user's: the general path */
	if (likely(op->id < VACCEL_OPID_LIMIT)) {
		vaccel_fill_fn fill = vaccel_op_fills_by_id[op->id];
		return fill ? fill(args) : VACCEL_OK;
	}
	return fill_scan(op, args);
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
	return op_validate(op, args, bad_arg, true, NULL);
}

int op_check(const struct vaccel_op_desc *op, const struct vaccel_oparg *args,
	     const char **why)
{
	vaccel_check_fn check =
	    op->id < VACCEL_OPID_LIMIT ? vaccel_op_checks_by_id[op->id] : NULL;
	return check ? check(args, why) : -1;
}

void op_log_refused(const struct vaccel_op_desc *op,
		    const struct vaccel_oparg *args, int bad, const char *why)
{
	vaccel_log(VACCEL_LOG_ERROR, "op", "%s: %s = %lld is refused: %s",
		   op->name, op->args[bad].name, (long long)args[bad].v.i, why);
}

int op_validate(const struct vaccel_op_desc *op,
		const struct vaccel_oparg *args, uint32_t *bad_arg, bool sizes,
		const char **why)
{
	if (why)
		*why = NULL;
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
			if (sizes && d->nelems) {
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
	/* the values a well-formed vector may still hold that the op
	 * refuses (checked once the vector is known to be well formed) */
	const char *said;
	int bad = op_check(op, args, &said);
	if (bad >= 0) {
		if (bad_arg)
			*bad_arg = (uint32_t)bad;
		if (why)
			*why = said;
		return VACCEL_EINVAL;
	}
	return VACCEL_OK;
}
