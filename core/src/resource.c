// SPDX-License-Identifier: Apache-2.0
#include "internal.h"
#include "objset.h"
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

pthread_mutex_t objects_lock = PTHREAD_MUTEX_INITIALIZER;

/* Live resources, for lookups by id and type. Guarded by objects_lock. */
static struct objset live;
static atomic_llong next_resource_id = 1;

/* A live resource's `entry` (vAccel's list link, unused by callers) holds
 * our mark: next points at the entry itself, prev at its address mixed
 * with RESOURCE_MAGIC. Zeroed or garbage memory does not look like that. */
static vaccel_list_entry_t *resource_mark(const struct vaccel_resource *res)
{
	return (vaccel_list_entry_t *)((uintptr_t)&res->entry ^
				       (uintptr_t)RESOURCE_MAGIC);
}

bool resource_live(const struct vaccel_resource *res)
{
	return res && res->id > 0 && res->entry.next == &res->entry &&
	       res->entry.prev == resource_mark(res);
}

int resources_live_count(void)
{
	pthread_mutex_lock(&objects_lock);
	int n = (int)live.nr;
	pthread_mutex_unlock(&objects_lock);
	return n;
}

static int live_add(struct vaccel_resource *res)
{
	int ret = VACCEL_OK;
	pthread_mutex_lock(&objects_lock);
	if (objset_add(&live, res))
		ret = VACCEL_ENOMEM;
	pthread_mutex_unlock(&objects_lock);
	return ret;
}

static void live_remove_locked(struct vaccel_resource *res)
{
	objset_remove(&live, res);
}

static void free_files(struct vaccel_resource *res)
{
	for (size_t i = 0; i < res->nr_files; i++)
		if (res->files[i])
			vaccel_file_delete(res->files[i]);
	free(res->files);
	res->files = NULL;
	res->nr_files = 0;
}

static void free_fields(struct vaccel_resource *res)
{
	free_files(res);
	for (size_t i = 0; i < res->nr_paths; i++)
		free(res->paths[i]);
	free(res->paths);
	free(res->rundir);
	memset(res, 0, sizeof(*res));
}

/* Start a resource: zero it and mark it ours. */
static int start(struct vaccel_resource *res, vaccel_resource_type_t type)
{
	if (type < 0 || type >= VACCEL_RESOURCE_MAX)
		return VACCEL_EINVAL;
	memset(res, 0, sizeof(*res));
	res->entry.next = (vaccel_list_entry_t *)&res->entry;
	res->entry.prev = resource_mark(res);
	res->type = type;
	res->path_type = VACCEL_PATH_LOCAL_FILE;
	atomic_init(&res->refcount, 0);
	return VACCEL_OK;
}

static int finish(struct vaccel_resource *res)
{
	res->id = (vaccel_id_t)atomic_fetch_add(&next_resource_id, 1);
	int ret = live_add(res);
	if (ret)
		free_fields(res);
	return ret;
}

static int add_file(struct vaccel_resource *res, struct vaccel_file *f)
{
	struct vaccel_file **n =
	    realloc(res->files, (res->nr_files + 1) * sizeof(*n));
	if (!n)
		return VACCEL_ENOMEM;
	res->files = n;
	res->files[res->nr_files++] = f;
	return VACCEL_OK;
}

static int add_path_file(struct vaccel_resource *res, const char *path)
{
	struct vaccel_file *f;
	int ret = vaccel_file_new(&f, path);
	if (ret)
		return ret;
	ret = add_file(res, f);
	if (ret)
		vaccel_file_delete(f);
	return ret;
}

/* A directory contributes its regular files, sorted for stable order. */
static int add_dir(struct vaccel_resource *res, const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return VACCEL_ENOENT;
	int ret = VACCEL_OK;
	for (int i = 0; i < n; i++) {
		char *p = NULL;
		struct stat st;
		if (ret == VACCEL_OK && names[i]->d_name[0] != '.' &&
		    asprintf(&p, "%s/%s", dir, names[i]->d_name) >= 0 &&
		    stat(p, &st) == 0 && S_ISREG(st.st_mode))
			ret = add_path_file(res, p);
		free(p);
		free(names[i]);
	}
	free(names);
	return ret;
}

int vaccel_resource_init_multi(struct vaccel_resource *res, const char **paths,
			       size_t nr_paths, vaccel_resource_type_t type)
{
	if (!res || !paths || !nr_paths)
		return VACCEL_EINVAL;
	for (size_t i = 0; i < nr_paths; i++)
		if (!paths[i] || !*paths[i])
			return VACCEL_EINVAL;
	int ret = start(res, type);
	if (ret)
		return ret;
	res->paths = calloc(nr_paths, sizeof(*res->paths));
	if (!res->paths) {
		ret = VACCEL_ENOMEM;
		goto fail;
	}
	res->nr_paths = nr_paths;
	for (size_t i = 0; i < nr_paths; i++) {
		res->paths[i] = strdup(paths[i]);
		if (!res->paths[i]) {
			ret = VACCEL_ENOMEM;
			goto fail;
		}
		if (strstr(paths[i], "://")) {
			vaccel_log(VACCEL_LOG_ERROR, "resource",
				   "'%s': remote paths are not supported",
				   paths[i]);
			ret = VACCEL_ENOTSUP;
			goto fail;
		}
		struct stat st;
		if (stat(paths[i], &st) != 0) {
			vaccel_log(VACCEL_LOG_ERROR, "resource",
				   "'%s': no such file or directory", paths[i]);
			ret = VACCEL_ENOENT;
			goto fail;
		}
		if (S_ISDIR(st.st_mode)) {
			res->path_type = VACCEL_PATH_LOCAL_DIR;
			ret = add_dir(res, paths[i]);
		} else {
			ret = add_path_file(res, paths[i]);
		}
		if (ret)
			goto fail;
	}
	ret = finish(res);
	if (ret)
		return ret;
	return VACCEL_OK;
fail:
	free_fields(res);
	return ret;
}

int vaccel_resource_init(struct vaccel_resource *res, const char *path,
			 vaccel_resource_type_t type)
{
	if (!path)
		return VACCEL_EINVAL;
	return vaccel_resource_init_multi(res, &path, 1, type);
}

int vaccel_resource_init_from_buf(struct vaccel_resource *res, const void *buf,
				  size_t nr_bytes, vaccel_resource_type_t type,
				  const char *filename)
{
	if (!res || !buf || !nr_bytes || !filename || !*filename)
		return VACCEL_EINVAL;
	int ret = start(res, type);
	if (ret)
		return ret;
	struct vaccel_file *f;
	ret = vaccel_file_from_buf(&f, buf, nr_bytes, filename, NULL, false);
	if (ret)
		goto fail;
	ret = add_file(res, f);
	if (ret) {
		vaccel_file_delete(f);
		goto fail;
	}
	return finish(res);
fail:
	free_fields(res);
	return ret;
}

int vaccel_resource_init_from_files(struct vaccel_resource *res,
				    const struct vaccel_file **files,
				    size_t nr_files,
				    vaccel_resource_type_t type)
{
	if (!res || !files || !nr_files)
		return VACCEL_EINVAL;
	for (size_t i = 0; i < nr_files; i++)
		if (!files[i] || !files[i]->name ||
		    (!files[i]->path && !files[i]->data))
			return VACCEL_EINVAL;
	int ret = start(res, type);
	if (ret)
		return ret;
	for (size_t i = 0; i < nr_files; i++) {
		struct vaccel_file *f;
		const struct vaccel_file *src = files[i];
		if (src->data)
			ret = vaccel_file_from_buf(&f, src->data, src->size,
						   src->name, NULL, false);
		else
			ret = vaccel_file_new(&f, src->path);
		if (!ret) {
			ret = add_file(res, f);
			if (ret)
				vaccel_file_delete(f);
		}
		if (ret)
			goto fail;
	}
	return finish(res);
fail:
	free_fields(res);
	return ret;
}

int vaccel_resource_release(struct vaccel_resource *res)
{
	if (!res)
		return VACCEL_EINVAL;
	pthread_mutex_lock(&objects_lock);
	if (!resource_live(res)) {
		pthread_mutex_unlock(&objects_lock);
		return VACCEL_EINVAL;
	}
	if (atomic_load(&res->refcount) > 0) {
		pthread_mutex_unlock(&objects_lock);
		vaccel_log(VACCEL_LOG_ERROR, "resource",
			   "resource %lld is still registered with %u "
			   "session(s)",
			   (long long)res->id, atomic_load(&res->refcount));
		return VACCEL_EBUSY;
	}
	live_remove_locked(res);
	pthread_mutex_unlock(&objects_lock);
	if (res->rundir) {
		for (size_t i = 0; i < res->nr_files; i++)
			if (res->files[i] && res->files[i]->path_owned &&
			    res->files[i]->path)
				remove(res->files[i]->path);
		remove(res->rundir);
	}
	free_fields(res);
	return VACCEL_OK;
}

#define DEFINE_NEW(fn, init, params, ...)                                      \
	int fn params                                                          \
	{                                                                      \
		if (!res)                                                      \
			return VACCEL_EINVAL;                                  \
		struct vaccel_resource *r = malloc(sizeof(*r));                \
		if (!r)                                                        \
			return VACCEL_ENOMEM;                                  \
		int ret = init(r, __VA_ARGS__);                                \
		if (ret) {                                                     \
			free(r);                                               \
			return ret;                                            \
		}                                                              \
		*res = r;                                                      \
		return VACCEL_OK;                                              \
	}

DEFINE_NEW(vaccel_resource_new, vaccel_resource_init,
	   (struct vaccel_resource * *res, const char *path,
	    vaccel_resource_type_t type),
	   path, type)
DEFINE_NEW(vaccel_resource_multi_new, vaccel_resource_init_multi,
	   (struct vaccel_resource * *res, const char **paths, size_t nr_paths,
	    vaccel_resource_type_t type),
	   paths, nr_paths, type)
DEFINE_NEW(vaccel_resource_from_buf, vaccel_resource_init_from_buf,
	   (struct vaccel_resource * *res, const void *buf, size_t nr_bytes,
	    vaccel_resource_type_t type, const char *filename),
	   buf, nr_bytes, type, filename)
DEFINE_NEW(vaccel_resource_from_files, vaccel_resource_init_from_files,
	   (struct vaccel_resource * *res, const struct vaccel_file **files,
	    size_t nr_files, vaccel_resource_type_t type),
	   files, nr_files, type)

int vaccel_resource_delete(struct vaccel_resource *res)
{
	int ret = vaccel_resource_release(res);
	if (ret)
		return ret;
	free(res);
	return VACCEL_OK;
}

long int vaccel_resource_refcount(const struct vaccel_resource *res)
{
	if (!res)
		return -VACCEL_EINVAL;
	return (long int)atomic_load(
	    &((struct vaccel_resource *)res)->refcount);
}

int vaccel_resource_get_by_id(struct vaccel_resource **res, vaccel_id_t id)
{
	if (!res || id <= 0)
		return VACCEL_EINVAL;
	int ret = VACCEL_ENOENT;
	pthread_mutex_lock(&objects_lock);
	for (size_t i = 0; i < live.nr; i++) {
		struct vaccel_resource *x = live.items[i];
		if (x->id == id) {
			*res = x;
			ret = VACCEL_OK;
			break;
		}
	}
	pthread_mutex_unlock(&objects_lock);
	return ret;
}

int vaccel_resource_get_by_type(struct vaccel_resource **res,
				vaccel_resource_type_t type)
{
	if (!res || type < 0 || type >= VACCEL_RESOURCE_MAX)
		return VACCEL_EINVAL;
	int ret = VACCEL_ENOENT;
	pthread_mutex_lock(&objects_lock);
	for (size_t i = 0; i < live.nr; i++) {
		struct vaccel_resource *x = live.items[i];
		if (x->type == type) {
			*res = x;
			ret = VACCEL_OK;
			break;
		}
	}
	pthread_mutex_unlock(&objects_lock);
	return ret;
}

int vaccel_resource_get_all_by_type(struct vaccel_resource ***res,
				    size_t *nr_found,
				    vaccel_resource_type_t type)
{
	if (!res || !nr_found || type < 0 || type >= VACCEL_RESOURCE_MAX)
		return VACCEL_EINVAL;
	int ret = VACCEL_OK;
	pthread_mutex_lock(&objects_lock);
	size_t n = 0;
	for (size_t i = 0; i < live.nr; i++)
		n += ((struct vaccel_resource *)live.items[i])->type == type;
	if (!n) {
		ret = VACCEL_ENOENT;
		goto out;
	}
	struct vaccel_resource **out = malloc(n * sizeof(*out));
	if (!out) {
		ret = VACCEL_ENOMEM;
		goto out;
	}
	n = 0;
	for (size_t i = 0; i < live.nr; i++)
		if (((struct vaccel_resource *)live.items[i])->type == type)
			out[n++] = live.items[i];
	*res = out;
	*nr_found = n;
out:
	pthread_mutex_unlock(&objects_lock);
	return ret;
}

int vaccel_resource_directory(struct vaccel_resource *res, char *out_path,
			      size_t out_path_size, char **alloc_path)
{
	if (!resource_live(res) || (!out_path && !alloc_path))
		return VACCEL_EINVAL;
	if (!res->rundir) {
		const char *base = vaccel_rundir();
		if (!base)
			return VACCEL_EIO;
		char *dir = NULL;
		if (asprintf(&dir, "%s/resource.%lld", base,
			     (long long)res->id) < 0)
			return VACCEL_ENOMEM;
		if (mkdir(dir, 0700) != 0) {
			free(dir);
			return VACCEL_EIO;
		}
		for (size_t i = 0; i < res->nr_files; i++) {
			struct vaccel_file *f = res->files[i];
			if (!vaccel_file_data(f, NULL))
				goto fail_dir;
			int ret = vaccel_file_persist(f, dir, f->name, false);
			if (ret)
				goto fail_dir;
			continue;
		fail_dir:
			for (size_t j = 0; j < i; j++)
				if (res->files[j]->path_owned)
					remove(res->files[j]->path);
			remove(dir);
			free(dir);
			return VACCEL_EIO;
		}
		res->rundir = dir;
	}
	size_t len = strlen(res->rundir);
	if (out_path && len < out_path_size) {
		memcpy(out_path, res->rundir, len + 1);
		return VACCEL_OK;
	}
	if (!alloc_path)
		return VACCEL_ENAMETOOLONG;
	*alloc_path = strdup(res->rundir);
	return *alloc_path ? VACCEL_OK : VACCEL_ENOMEM;
}
