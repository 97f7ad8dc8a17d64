/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "enum.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a resource's paths are: vaccel_path_type_t, with _to_str and
 * _to_base_str. */
#define VACCEL_PATH_TYPE_ENUM_LIST(ITEM)                                       \
	ITEM(LOCAL_FILE, 0, VACCEL_PATH)                                       \
	ITEM(LOCAL_DIR, VACCEL_PATH)                                           \
	ITEM(REMOTE_FILE, VACCEL_PATH)

VACCEL_ENUM_DEF_WITH_STR_FUNCS(vaccel_path_type, VACCEL_PATH,
			       VACCEL_PATH_TYPE_ENUM_LIST)

#ifdef __cplusplus
}
#endif
