/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "../session.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The live session with this id (borrowed), VACCEL_ENOENT if none. */
int vaccel_session_get_by_id(struct vaccel_session **sess, vaccel_id_t id);

#ifdef __cplusplus
}
#endif
