// SPDX-License-Identifier: Apache-2.0
/*
 * The hot path: op id -> implementation. The table is rebuilt whole when a
 * plugin loads or ops are registered, and published with one atomic
 * store, so a call reads it without a lock. Old tables are kept until the
 * next reset, because a concurrent call may still be reading one.
 */
#include "internal.h"
#include "ops_fill_gen.h"
#include <stdlib.h>

#define MAX_IMPLS 16

static void table_free(struct dispatch_table *t)
{
	free(t->user);
	free(t->pool);
	free(t);
}

/* op's implementation by plugin p (its own, else its any_op), or NULL. */
static vaccel_op_fn plugin_fn(const struct plugin *p, uint32_t op)
{
	const struct vaccel_plugin_desc *d = p->desc;
	vaccel_op_fn fn = NULL;
	for (size_t i = 0; i < d->nr_ops; i++)
		if (d->ops[i].op_id == op && d->ops[i].fn)
			fn = d->ops[i].fn;
	if (!fn && PLUGIN_HAS(p, any_op))
		fn = d->any_op;
	return fn;
}

/* op's implementations by the n plugins into out (NULL: only counted),
 * at most MAX_IMPLS; how many. */
static unsigned int impls_put(struct plugin *const *plugins, unsigned int n,
			      uint32_t op, struct op_impl *out)
{
	unsigned int k = 0;
	for (unsigned int p = 0; p < n && k < MAX_IMPLS; p++) {
		vaccel_op_fn fn = plugin_fn(plugins[p], op);
		if (!fn)
			continue;
		if (out)
			out[k] = (struct op_impl){
			    .fn = fn,
			    .priv = plugins[p]->priv,
			    .owner = plugins[p],
			    .min_cost = plugin_min_cost(plugins[p], op),
			};
		k++;
	}
	return k;
}

static const struct op_impl *impls_of(const struct dispatch_table *t,
				      uint32_t op, unsigned int *count);

/* Every count made, newest first; read by vaccel_served_get while
 * rebuilds (under the plugins' lock) push onto it. */
static struct served_count *_Atomic served_all;
static atomic_bool counting;

/* The count of impl's calls of op: the one the table before had for the
 * same plugin, else a new one. */
static struct served_count *served_of(const struct dispatch_table *old,
				      uint32_t op, const struct op_impl *impl)
{
	unsigned int count;
	const struct op_impl *was = impls_of(old, op, &count);
	for (unsigned int i = 0; i < count; i++)
		if (was[i].owner == impl->owner)
			return was[i].served;
	struct served_count *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->op = op;
	c->owner = impl->owner;
	c->next = atomic_load(&served_all);
	atomic_store_explicit(&served_all, c, memory_order_release);
	return c;
}

static const struct dispatch_table empty_table;
_Atomic(const struct dispatch_table *) dispatch_now = &empty_table;
/* Tables no longer current, freed by dispatch_reset(). */
static struct dispatch_table *retired;

int dispatch_rebuild(struct plugin *const *plugins, unsigned int n)
{
	struct dispatch_table *t = calloc(1, sizeof(*t));
	/* the ops as they are now, walked twice: ops registered meanwhile
	 * come with the rebuild their registration asks for */
	const struct vaccel_op_desc **ops = NULL;
	unsigned int nr = ops_snapshot(&ops), first = VACCEL_OPS_COUNT;
	if (!t || !ops) {
		free(t);
		free(ops);
		return VACCEL_ENOMEM;
	}
	/* how much: every op's implementations, the users' slots */
	size_t total = 0, users = 0;
	for (unsigned int i = 0; i < nr; i++) {
		unsigned int k = impls_put(plugins, n, ops[i]->id, NULL);
		total += k;
		users += i >= first && k;
	}
	t->pool = calloc(total ? total : 1, sizeof(*t->pool));
	t->user = calloc(users ? users : 1, sizeof(*t->user));
	if (!t->pool || !t->user) {
		table_free(t);
		free(ops);
		return VACCEL_ENOMEM;
	}
	const struct dispatch_table *old = atomic_load(&dispatch_now);
	bool counted = atomic_load(&counting);
	struct op_impl *at = t->pool;
	for (unsigned int i = 0; i < nr; i++) {
		const struct vaccel_op_desc *op = ops[i];
		unsigned int k = impls_put(plugins, n, op->id, at);
		if (!k)
			continue;
		for (unsigned int j = 0; j < k; j++) {
			at[j].served = served_of(old, op->id, &at[j]);
			if (!at[j].served) {
				table_free(t);
				free(ops);
				return VACCEL_ENOMEM;
			}
		}
		if (op->id < VACCEL_OPID_LIMIT) {
			/* the first serves every call without a hint */
			bool always = !counted && (k == 1 || !at[0].min_cost);
			t->first[op->id] = always ? at : NULL;
			t->impls[op->id] = at;
			t->count[op->id] = (uint8_t)k;
		} else {
			/* vaccel_op_desc_at walks them sorted by id */
			t->user[t->nr_user++] = (struct user_slot){
			    .id = op->id, .count = k, .impls = at};
		}
		at += k;
	}
	free(ops);
	old = atomic_exchange(&dispatch_now, t);
	if (old != &empty_table) {
		struct dispatch_table *o = (struct dispatch_table *)old;
		o->retired = retired;
		retired = o;
	}
	return VACCEL_OK;
}

void dispatch_reset(void)
{
	const struct dispatch_table *cur =
	    atomic_exchange(&dispatch_now, &empty_table);
	if (cur != &empty_table)
		table_free((struct dispatch_table *)cur);
	while (retired) {
		struct dispatch_table *next = retired->retired;
		table_free(retired);
		retired = next;
	}
	struct served_count *c = atomic_exchange(&served_all, NULL);
	while (c) {
		struct served_count *next = c->next;
		free(c);
		c = next;
	}
}

/* The implementations of op: *count of them, or NULL. */
static const struct op_impl *impls_of(const struct dispatch_table *t,
				      uint32_t op, unsigned int *count)
{
	if (op < VACCEL_OPID_LIMIT) {
		*count = t->count[op];
		return t->impls[op];
	}
	unsigned int lo = 0, hi = t->nr_user;
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		if (t->user[mid].id < op)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == t->nr_user || t->user[lo].id != op) {
		*count = 0;
		return NULL;
	}
	*count = t->user[lo].count;
	return t->user[lo].impls;
}

/* What a call of op with these args costs: the op's declared cost, else
 * the bytes of its in, out and inout buffers (their lengths are set by
 * now). */
static uint64_t call_cost(const struct vaccel_op_desc *op,
			  const struct vaccel_oparg *args)
{
	int64_t c = cost_op(op->id, args);
	if (c >= 0)
		return (uint64_t)c;
	uint64_t bytes = 0;
	for (uint32_t i = 0; i < op->nr_args; i++)
		if ((op->args[i].kind == VACCEL_ARGK_IN ||
		     op->args[i].kind == VACCEL_ARGK_OUT ||
		     op->args[i].kind == VACCEL_ARGK_INOUT) &&
		    __builtin_add_overflow(bytes, args[i].len, &bytes))
			return UINT64_MAX;
	return bytes;
}

/*
 * Which implementation serves a call: among those of the hinted type, if
 * the session has a hint and some are, else among all, in precedence
 * order, the first whose minimum cost the call reaches; if none does,
 * the one with the lowest minimum (the earliest of equals). args NULL:
 * the cheapest call's.
 */
static const struct op_impl *pick(const struct dispatch_table *t,
				  const struct vaccel_op_desc *op,
				  const struct vaccel_oparg *args,
				  unsigned int hint)
{
	unsigned int count;
	const struct op_impl *impls = impls_of(t, op->id, &count);
	if (!count)
		return NULL;
	bool hinted = false;
	if (hint)
		for (unsigned int i = 0; i < count && !hinted; i++)
			hinted = impls[i].owner->desc->type & hint;
	uint64_t cost = 0;
	bool costed = false;
	const struct op_impl *low = NULL;
	for (unsigned int i = 0; i < count; i++) {
		const struct op_impl *m = &impls[i];
		if (hinted && !(m->owner->desc->type & hint))
			continue;
		if (!m->min_cost || count == 1)
			return m;
		if (args && !costed) {
			cost = call_cost(op, args);
			costed = true;
		}
		if (cost >= m->min_cost)
			return m;
		if (!low || m->min_cost < low->min_cost)
			low = m;
	}
	return low;
}

const char *vaccel_plugin_for_op(uint32_t op_id, unsigned int hint)
{
	core_ensure();
	const struct vaccel_op_desc *op = vaccel_op_desc_by_id(op_id);
	if (!op)
		return NULL;
	const struct op_impl *impl =
	    pick(atomic_load(&dispatch_now), op, NULL, hint);
	return impl ? impl->owner->desc->name : NULL;
}

int op_call_picked(struct vaccel_session *sess, const struct vaccel_op_desc *op,
		   struct vaccel_oparg *args)
{
	const struct op_impl *impl =
	    pick(atomic_load_explicit(&dispatch_now, memory_order_acquire), op,
		 args, sess->hint);
	if (unlikely(!impl)) {
		vaccel_log(VACCEL_LOG_ERROR, "dispatch",
			   "no loaded plugin implements op '%s' (id %u); "
			   "VACCEL_PLUGINS names the plugins to load",
			   op->name, op->id);
		return VACCEL_ENOTSUP;
	}
	if (atomic_load_explicit(&counting, memory_order_relaxed))
		atomic_fetch_add_explicit(&impl->served->calls, 1,
					  memory_order_relaxed);
	return impl->fn(impl->priv, sess, op, args);
}

void vaccel_served_counting(bool on)
{
	core_ensure();
	if (atomic_exchange(&counting, on) != on)
		plugins_dispatch_refresh();
}

size_t vaccel_served_get(struct vaccel_served *out, size_t cap)
{
	core_ensure();
	unsigned int nr_plugins;
	struct plugin *const *plugins = plugins_snapshot(&nr_plugins);
	size_t n = 0;
	/* by plugin in load order, then op id: a pass per plugin over
	 * counts kept newest first, each put in its place by id */
	for (unsigned int p = 0; p < nr_plugins; p++) {
		size_t from = n;
		for (const struct served_count *c = atomic_load_explicit(
			 &served_all, memory_order_acquire);
		     c; c = c->next) {
			uint64_t calls = atomic_load_explicit(
			    &c->calls, memory_order_relaxed);
			if (c->owner != plugins[p] || !calls)
				continue;
			if (n < cap) {
				size_t at = n;
				while (at > from && out[at - 1].op_id > c->op) {
					out[at] = out[at - 1];
					at--;
				}
				const struct vaccel_op_desc *op =
				    vaccel_op_desc_by_id(c->op);
				out[at] = (struct vaccel_served){
				    .op_id = c->op,
				    .op = op ? op->name : "?",
				    .plugin = plugins[p]->desc->name,
				    .calls = calls,
				};
			}
			n++;
		}
	}
	return n;
}

static int op_call(struct vaccel_session *sess, uint32_t op_id,
		   struct vaccel_oparg *args, uint32_t nr_args, bool sizes)
{
	core_ensure();
	if (!session_live(sess))
		return VACCEL_EINVAL;
	const struct vaccel_op_desc *op = vaccel_op_desc_by_id(op_id);
	if (!op) {
		vaccel_log(VACCEL_LOG_ERROR, "dispatch", "unknown op id %u",
			   op_id);
		return VACCEL_ENOTSUP;
	}
	if (nr_args != op->nr_args) {
		vaccel_log(VACCEL_LOG_ERROR, "dispatch",
			   "op '%s' takes %u arguments, got %u", op->name,
			   op->nr_args, nr_args);
		return VACCEL_EINVAL;
	}
	uint32_t bad = 0;
	const char *why;
	if (op_validate(op, args, &bad, sizes, &why) != VACCEL_OK) {
		if (why)
			op_log_refused(op, args, (int)bad, why);
		else
			vaccel_log(VACCEL_LOG_ERROR, "dispatch",
				   "op '%s': argument '%s' does not match its "
				   "signature",
				   op->name, op->args[bad].name);
		return VACCEL_EINVAL;
	}
	/* genop is never a plugin's: it becomes the op it names */
	if (op_id == VACCEL_OPID_GENOP)
		return genop_dispatch(sess, args[VACCEL_GENOP_READ].buf,
				      args[VACCEL_GENOP_READ].len,
				      args[VACCEL_GENOP_WRITE].buf,
				      args[VACCEL_GENOP_WRITE].len, true);
	return op_call_trusted(sess, op, args);
}

int vaccel_op_call(struct vaccel_session *sess, uint32_t op_id,
		   struct vaccel_oparg *args, uint32_t nr_args)
{
	return op_call(sess, op_id, args, nr_args, true);
}

int vaccel_op_call_sized(struct vaccel_session *sess, uint32_t op_id,
			 struct vaccel_oparg *args, uint32_t nr_args)
{
	return op_call(sess, op_id, args, nr_args, false);
}
