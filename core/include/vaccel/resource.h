/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "file.h"
#include "id.h"
#include "list.h"
#include "utils/enum.h"
#include "utils/path.h"
#include <stddef.h>

#ifdef __cplusplus
#include <atomic>
#ifndef atomic_uint
typedef std::atomic<unsigned int> atomic_uint;
#endif
#else
#include <stdatomic.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* vaccel_resource_type_t, with _to_str and _to_base_str. */
#define VACCEL_RESOURCE_TYPE_ENUM_LIST(ITEM)                                   \
	ITEM(LIB, 0, VACCEL_RESOURCE)                                          \
	ITEM(DATA, VACCEL_RESOURCE)                                            \
	ITEM(MODEL, VACCEL_RESOURCE)

VACCEL_ENUM_DEF_WITH_STR_FUNCS(vaccel_resource_type, VACCEL_RESOURCE,
			       VACCEL_RESOURCE_TYPE_ENUM_LIST)

/* Something a session's ops use: a model, a library, data files. vAccel's
 * members, in vAccel's order. */
struct vaccel_resource {
	/* core-private while live (it marks the resource as ours) */
	vaccel_list_entry_t entry;
	/* > 0 while live, 0 after release */
	vaccel_id_t id;
	/* the agent's id (transport plugins set it) */
	vaccel_id_t remote_id;
	vaccel_resource_type_t type;
	vaccel_path_type_t path_type;
	/* number of sessions it is registered with */
	atomic_uint refcount;
	/* paths it was created from (owned); NULL for buffer resources */
	char **paths;
	size_t nr_paths;
	/* directory its files were written to, if asked; owned, may be NULL */
	char *rundir;
	/* its files, owned */
	struct vaccel_file **files;
	size_t nr_files;
};

/* Global lookups among live resources. VACCEL_ENOENT when none. */
int vaccel_resource_get_by_id(struct vaccel_resource **res, vaccel_id_t id);
int vaccel_resource_get_by_type(struct vaccel_resource **res,
				vaccel_resource_type_t type);
/* *res is malloc'd (caller frees the array only). */
int vaccel_resource_get_all_by_type(struct vaccel_resource ***res,
				    size_t *nr_found,
				    vaccel_resource_type_t type);
long int vaccel_resource_refcount(const struct vaccel_resource *res);

/* Local files only: a missing path is VACCEL_ENOENT, a directory is
 * expanded to its regular files, a URL is VACCEL_ENOTSUP. */
int vaccel_resource_init(struct vaccel_resource *res, const char *path,
			 vaccel_resource_type_t type);
int vaccel_resource_init_multi(struct vaccel_resource *res, const char **paths,
			       size_t nr_paths, vaccel_resource_type_t type);
/* Copies buf into memory; `filename` names it (required). */
int vaccel_resource_init_from_buf(struct vaccel_resource *res, const void *buf,
				  size_t nr_bytes, vaccel_resource_type_t type,
				  const char *filename);
int vaccel_resource_init_from_files(struct vaccel_resource *res,
				    const struct vaccel_file **files,
				    size_t nr_files,
				    vaccel_resource_type_t type);
/* VACCEL_EBUSY while registered with a session; VACCEL_EINVAL if not
 * live (e.g. released twice). */
int vaccel_resource_release(struct vaccel_resource *res);
int vaccel_resource_new(struct vaccel_resource **res, const char *path,
			vaccel_resource_type_t type);
int vaccel_resource_multi_new(struct vaccel_resource **res, const char **paths,
			      size_t nr_paths, vaccel_resource_type_t type);
int vaccel_resource_from_buf(struct vaccel_resource **res, const void *buf,
			     size_t nr_bytes, vaccel_resource_type_t type,
			     const char *filename);
int vaccel_resource_from_files(struct vaccel_resource **res,
			       const struct vaccel_file **files,
			       size_t nr_files, vaccel_resource_type_t type);
int vaccel_resource_delete(struct vaccel_resource *res);

struct vaccel_session;
/* VACCEL_EEXIST if already registered with that session. */
int vaccel_resource_register(struct vaccel_resource *res,
			     struct vaccel_session *sess);
/* VACCEL_ENOENT if it was never registered with that session. */
int vaccel_resource_unregister(struct vaccel_resource *res,
			       struct vaccel_session *sess);
/* Write the files into a directory (under the rundir) and return its path:
 * into out_path if it fits, else malloc'd into *alloc_path. */
int vaccel_resource_directory(struct vaccel_resource *res, char *out_path,
			      size_t out_path_size, char **alloc_path);

#ifdef __cplusplus
}
#endif
