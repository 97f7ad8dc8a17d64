/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "id.h"
#include "resource.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct session_resources;

/* A session: the unit that owns registered resources and ops' context.
 * Caller storage with init/release, or heap with new/delete. */
struct vaccel_session {
	/* > 0 while the session is live, 0 after release */
	vaccel_id_t id;
	/* the agent's id for this session (transport plugins set it) */
	vaccel_id_t remote_id;
	/* core-private state; NULL when not live */
	struct session_resources *resources;
	/* preferred plugin types (VACCEL_PLUGIN_* mask), 0 for any */
	unsigned int hint;
	/* transport/backend private data, owned by the plugin that set it */
	void *priv;
	/* kept for vAccel source compatibility; unused */
	bool is_virtio;
};

/* flags: the plugin-type hint (VACCEL_PLUGIN_* mask), 0 for any. */
int vaccel_session_init(struct vaccel_session *sess, uint32_t flags);
int vaccel_session_update(struct vaccel_session *sess, uint32_t flags);
/* Unregisters every resource still registered, then releases. A second
 * release returns VACCEL_EINVAL. */
int vaccel_session_release(struct vaccel_session *sess);
int vaccel_session_new(struct vaccel_session **sess, uint32_t flags);
int vaccel_session_delete(struct vaccel_session *sess);

bool vaccel_session_has_resource(const struct vaccel_session *sess,
				 const struct vaccel_resource *res);
/* VACCEL_ENOENT when no registered resource matches. */
int vaccel_session_resource_by_id(struct vaccel_session *sess,
				  struct vaccel_resource **res, vaccel_id_t id);
int vaccel_session_resource_by_type(struct vaccel_session *sess,
				    struct vaccel_resource **res,
				    vaccel_resource_type_t type);
/* *resources is malloc'd (caller frees the array, not the resources). */
int vaccel_session_resources_by_type(struct vaccel_session *sess,
				     struct vaccel_resource ***resources,
				     size_t *nr_found,
				     vaccel_resource_type_t type);
/* Older vAccel names. */
int vaccel_sess_init(struct vaccel_session *sess, uint32_t flags);
int vaccel_sess_update(struct vaccel_session *sess, uint32_t flags);
int vaccel_sess_free(struct vaccel_session *sess);
bool vaccel_sess_has_resource(struct vaccel_session *sess,
			      struct vaccel_resource *res);

#ifdef __cplusplus
}
#endif
