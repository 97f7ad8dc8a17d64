// SPDX-License-Identifier: Apache-2.0
#include "internal.h"
#include "objset.h"
#include <stdlib.h>
#include <string.h>

/* Live sessions, for lookups by id. Guarded by objects_lock. */
static struct objset live;
static atomic_llong next_session_id = 1;

int sessions_live_count(void)
{
	pthread_mutex_lock(&objects_lock);
	int n = (int)live.nr;
	pthread_mutex_unlock(&objects_lock);
	return n;
}

/* Run the session_release hook of the first n plugins (reverse order). */
static void hooks_release(struct plugin *const *p, unsigned int n,
			  struct vaccel_session *sess)
{
	while (n--)
		if (PLUGIN_HAS(p[n], session_release))
			p[n]->desc->session_release(p[n]->priv, sess);
}

int vaccel_session_init(struct vaccel_session *sess, uint32_t flags)
{
	if (!sess)
		return VACCEL_EINVAL;
	core_ensure();
	memset(sess, 0, sizeof(*sess));
	struct session_resources *r = calloc(1, sizeof(*r));
	if (!r)
		return VACCEL_ENOMEM;
	r->magic = SESSION_MAGIC;
	sess->hint = flags;
	sess->id = (vaccel_id_t)atomic_fetch_add(&next_session_id, 1);

	unsigned int n;
	struct plugin *const *p = plugins_snapshot(&n);
	int ret = VACCEL_OK;
	unsigned int done = 0;
	for (; done < n; done++) {
		if (!PLUGIN_HAS(p[done], session_init))
			continue;
		ret = p[done]->desc->session_init(p[done]->priv, sess, flags);
		if (ret) {
			vaccel_log(VACCEL_LOG_ERROR, "session",
				   "plugin %s refused session %lld: %s",
				   p[done]->desc->name, (long long)sess->id,
				   vaccel_strerror(ret));
			goto fail_hooks;
		}
	}

	pthread_mutex_lock(&objects_lock);
	if (objset_add(&live, sess)) {
		pthread_mutex_unlock(&objects_lock);
		ret = VACCEL_ENOMEM;
		goto fail_hooks;
	}
	sess->resources = r;
	pthread_mutex_unlock(&objects_lock);
	vaccel_log(VACCEL_LOG_DEBUG, "session", "new session %lld",
		   (long long)sess->id);
	return VACCEL_OK;

fail_hooks:
	hooks_release(p, done, sess);
	free(r);
	memset(sess, 0, sizeof(*sess));
	return ret;
}

int vaccel_session_update(struct vaccel_session *sess, uint32_t flags)
{
	if (!session_live(sess))
		return VACCEL_EINVAL;
	sess->hint = flags;
	return VACCEL_OK;
}

int vaccel_session_release(struct vaccel_session *sess)
{
	if (!sess)
		return VACCEL_EINVAL;
	pthread_mutex_lock(&objects_lock);
	if (!session_live(sess)) {
		pthread_mutex_unlock(&objects_lock);
		return VACCEL_EINVAL;
	}
	struct session_resources *r = sess->resources;
	/* Claim it: a concurrent release now sees a dead session. */
	r->magic = 0;
	objset_remove(&live, sess);
	pthread_mutex_unlock(&objects_lock);

	unsigned int n;
	struct plugin *const *p = plugins_snapshot(&n);
	for (size_t i = 0; i < r->nr; i++) {
		for (unsigned int j = n; j--;)
			if (PLUGIN_HAS(p[j], resource_unregister))
				p[j]->desc->resource_unregister(
				    p[j]->priv, r->res[i], sess);
		atomic_fetch_sub(&r->res[i]->refcount, 1);
	}
	hooks_release(p, n, sess);
	vaccel_log(VACCEL_LOG_DEBUG, "session", "released session %lld",
		   (long long)sess->id);
	free(r->res);
	free(r);
	sess->resources = NULL;
	sess->id = 0;
	return VACCEL_OK;
}

int vaccel_session_new(struct vaccel_session **sess, uint32_t flags)
{
	if (!sess)
		return VACCEL_EINVAL;
	struct vaccel_session *s = malloc(sizeof(*s));
	if (!s)
		return VACCEL_ENOMEM;
	int ret = vaccel_session_init(s, flags);
	if (ret) {
		free(s);
		return ret;
	}
	*sess = s;
	return VACCEL_OK;
}

int vaccel_session_delete(struct vaccel_session *sess)
{
	int ret = vaccel_session_release(sess);
	if (ret)
		return ret;
	free(sess);
	return VACCEL_OK;
}

int vaccel_session_get_by_id(struct vaccel_session **sess, vaccel_id_t id)
{
	if (!sess || id <= 0)
		return VACCEL_EINVAL;
	int ret = VACCEL_ENOENT;
	pthread_mutex_lock(&objects_lock);
	for (size_t i = 0; i < live.nr; i++) {
		struct vaccel_session *x = live.items[i];
		if (x->id == id) {
			*sess = x;
			ret = VACCEL_OK;
			break;
		}
	}
	pthread_mutex_unlock(&objects_lock);
	return ret;
}

static ssize_t find_locked(const struct session_resources *r,
			   const struct vaccel_resource *res)
{
	for (size_t i = 0; i < r->nr; i++)
		if (r->res[i] == res)
			return (ssize_t)i;
	return -1;
}

bool vaccel_session_has_resource(const struct vaccel_session *sess,
				 const struct vaccel_resource *res)
{
	if (!res)
		return false;
	pthread_mutex_lock(&objects_lock);
	bool has = session_live(sess) && find_locked(sess->resources, res) >= 0;
	pthread_mutex_unlock(&objects_lock);
	return has;
}

int vaccel_resource_register(struct vaccel_resource *res,
			     struct vaccel_session *sess)
{
	if (!res || !sess)
		return VACCEL_EINVAL;
	pthread_mutex_lock(&objects_lock);
	int ret = VACCEL_OK;
	if (!resource_live(res) || !session_live(sess)) {
		ret = VACCEL_EINVAL;
		goto out;
	}
	struct session_resources *r = sess->resources;
	if (find_locked(r, res) >= 0) {
		ret = VACCEL_EEXIST;
		goto out;
	}
	if (r->nr == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 4;
		struct vaccel_resource **n = realloc(r->res, cap * sizeof(*n));
		if (!n) {
			ret = VACCEL_ENOMEM;
			goto out;
		}
		r->res = n;
		r->cap = cap;
	}
	/* Mirror first (transports upload here); only then record it. */
	unsigned int n;
	struct plugin *const *p = plugins_snapshot(&n);
	unsigned int done = 0;
	for (; done < n; done++) {
		if (!PLUGIN_HAS(p[done], resource_register))
			continue;
		ret =
		    p[done]->desc->resource_register(p[done]->priv, res, sess);
		if (ret)
			break;
	}
	if (ret) {
		while (done--)
			if (PLUGIN_HAS(p[done], resource_unregister))
				p[done]->desc->resource_unregister(
				    p[done]->priv, res, sess);
		goto out;
	}
	r->res[r->nr++] = res;
	atomic_fetch_add(&res->refcount, 1);
out:
	pthread_mutex_unlock(&objects_lock);
	return ret;
}

int vaccel_resource_unregister(struct vaccel_resource *res,
			       struct vaccel_session *sess)
{
	if (!res || !sess)
		return VACCEL_EINVAL;
	pthread_mutex_lock(&objects_lock);
	int ret = VACCEL_OK;
	if (!resource_live(res) || !session_live(sess)) {
		ret = VACCEL_EINVAL;
		goto out;
	}
	struct session_resources *r = sess->resources;
	ssize_t i = find_locked(r, res);
	if (i < 0) {
		ret = VACCEL_ENOENT;
		goto out;
	}
	unsigned int n;
	struct plugin *const *p = plugins_snapshot(&n);
	for (unsigned int j = n; j--;)
		if (PLUGIN_HAS(p[j], resource_unregister))
			p[j]->desc->resource_unregister(p[j]->priv, res, sess);
	r->res[i] = r->res[--r->nr];
	atomic_fetch_sub(&res->refcount, 1);
out:
	pthread_mutex_unlock(&objects_lock);
	return ret;
}

int vaccel_session_resource_by_id(struct vaccel_session *sess,
				  struct vaccel_resource **res, vaccel_id_t id)
{
	if (!sess || !res)
		return VACCEL_EINVAL;
	pthread_mutex_lock(&objects_lock);
	int ret = VACCEL_ENOENT;
	if (!session_live(sess)) {
		ret = VACCEL_EINVAL;
		goto out;
	}
	for (size_t i = 0; i < sess->resources->nr; i++) {
		if (sess->resources->res[i]->id == id) {
			*res = sess->resources->res[i];
			ret = VACCEL_OK;
			break;
		}
	}
out:
	pthread_mutex_unlock(&objects_lock);
	return ret;
}

int vaccel_session_resource_by_type(struct vaccel_session *sess,
				    struct vaccel_resource **res,
				    vaccel_resource_type_t type)
{
	if (!sess || !res || type < 0 || type >= VACCEL_RESOURCE_MAX)
		return VACCEL_EINVAL;
	pthread_mutex_lock(&objects_lock);
	int ret = VACCEL_ENOENT;
	if (!session_live(sess)) {
		ret = VACCEL_EINVAL;
		goto out;
	}
	for (size_t i = 0; i < sess->resources->nr; i++) {
		if (sess->resources->res[i]->type == type) {
			*res = sess->resources->res[i];
			ret = VACCEL_OK;
			break;
		}
	}
out:
	pthread_mutex_unlock(&objects_lock);
	return ret;
}

int vaccel_session_resources_by_type(struct vaccel_session *sess,
				     struct vaccel_resource ***resources,
				     size_t *nr_found,
				     vaccel_resource_type_t type)
{
	if (!sess || !resources || !nr_found || type < 0 ||
	    type >= VACCEL_RESOURCE_MAX)
		return VACCEL_EINVAL;
	pthread_mutex_lock(&objects_lock);
	int ret = VACCEL_OK;
	if (!session_live(sess)) {
		ret = VACCEL_EINVAL;
		goto out;
	}
	struct session_resources *r = sess->resources;
	size_t n = 0;
	for (size_t i = 0; i < r->nr; i++)
		n += r->res[i]->type == type;
	if (!n) {
		ret = VACCEL_ENOENT;
		goto out;
	}
	struct vaccel_resource **found = malloc(n * sizeof(*found));
	if (!found) {
		ret = VACCEL_ENOMEM;
		goto out;
	}
	n = 0;
	for (size_t i = 0; i < r->nr; i++)
		if (r->res[i]->type == type)
			found[n++] = r->res[i];
	*resources = found;
	*nr_found = n;
out:
	pthread_mutex_unlock(&objects_lock);
	return ret;
}

int vaccel_sess_init(struct vaccel_session *sess, uint32_t flags)
{
	return vaccel_session_init(sess, flags);
}

int vaccel_sess_update(struct vaccel_session *sess, uint32_t flags)
{
	return vaccel_session_update(sess, flags);
}

int vaccel_sess_free(struct vaccel_session *sess)
{
	return vaccel_session_release(sess);
}

bool vaccel_sess_has_resource(struct vaccel_session *sess,
			      struct vaccel_resource *res)
{
	return vaccel_session_has_resource(sess, res);
}
