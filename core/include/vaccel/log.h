/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "utils/enum.h"

#ifdef __cplusplus
extern "C" {
#endif

/* vaccel_log_level_t (VACCEL_LOG_ERROR = 1 ... VACCEL_LOG_DEBUG,
 * VACCEL_LOG_MAX), with _to_str and _to_base_str. */
#define VACCEL_LOG_LEVEL_ENUM_LIST(ITEM)                                       \
	ITEM(ERROR, 1, VACCEL_LOG)                                             \
	ITEM(WARN, VACCEL_LOG)                                                 \
	ITEM(INFO, VACCEL_LOG)                                                 \
	ITEM(DEBUG, VACCEL_LOG)

VACCEL_ENUM_DEF_WITH_STR_FUNCS(vaccel_log_level, VACCEL_LOG,
			       VACCEL_LOG_LEVEL_ENUM_LIST)

/* Emit one line at `level`, tagged; filtered by VACCEL_LOG_LEVEL.
 * vaccel/remote/log.h adds format checking and the va_list form. */
void vaccel_log(vaccel_log_level_t level, const char *tag, const char *fmt,
		...);

#define vaccel_error(...) vaccel_log(VACCEL_LOG_ERROR, "vaccel", __VA_ARGS__)
#define vaccel_warn(...) vaccel_log(VACCEL_LOG_WARN, "vaccel", __VA_ARGS__)
#define vaccel_info(...) vaccel_log(VACCEL_LOG_INFO, "vaccel", __VA_ARGS__)
#define vaccel_debug(...) vaccel_log(VACCEL_LOG_DEBUG, "vaccel", __VA_ARGS__)
/* vAccel's levels below debug and above error: printed at debug (tagged
 * "trace") and at error (tagged "fatal"; the program goes on). */
#define vaccel_trace(...) vaccel_log(VACCEL_LOG_DEBUG, "trace", __VA_ARGS__)
#define vaccel_fatal(...) vaccel_log(VACCEL_LOG_ERROR, "fatal", __VA_ARGS__)

int vaccel_log_init(void);
int vaccel_log_shutdown(void);

#ifdef __cplusplus
}
#endif
