/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VACCEL_LOG_LEVELS_LIST(X)                                              \
	X(ERROR, 1)                                                            \
	X(WARN, 2)                                                             \
	X(INFO, 3)                                                             \
	X(DEBUG, 4)

#define VACCEL_LOG_ENUM_ITEM(name, value) VACCEL_LOG_##name = (value),
typedef enum {
	VACCEL_LOG_LEVELS_LIST(VACCEL_LOG_ENUM_ITEM)
} vaccel_log_level_t;
#undef VACCEL_LOG_ENUM_ITEM

/* "VACCEL_LOG_ERROR" ...; "VACCEL_LOG_?" for values outside the set. */
const char *vaccel_log_level_to_str(vaccel_log_level_t level);

/* Emit one line at `level`, tagged; filtered by VACCEL_LOG_LEVEL. */
void vaccel_log(vaccel_log_level_t level, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void vaccel_vlog(vaccel_log_level_t level, const char *tag, const char *fmt,
		 va_list ap);
/* True when messages of `level` would be printed. */
int vaccel_log_enabled(vaccel_log_level_t level);

int vaccel_log_init(void);
int vaccel_log_shutdown(void);

#define vaccel_error(...) vaccel_log(VACCEL_LOG_ERROR, "vaccel", __VA_ARGS__)
#define vaccel_warn(...) vaccel_log(VACCEL_LOG_WARN, "vaccel", __VA_ARGS__)
#define vaccel_info(...) vaccel_log(VACCEL_LOG_INFO, "vaccel", __VA_ARGS__)
#define vaccel_debug(...) vaccel_log(VACCEL_LOG_DEBUG, "vaccel", __VA_ARGS__)

#ifdef __cplusplus
}
#endif
