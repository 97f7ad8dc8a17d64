/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "../log.h"
#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* vaccel_log again, now with its format checked at every call. */
void vaccel_log(vaccel_log_level_t level, const char *tag, const char *fmt,
		...) __attribute__((format(printf, 3, 4)));
void vaccel_vlog(vaccel_log_level_t level, const char *tag, const char *fmt,
		 va_list ap);
/* True when messages of `level` would be printed. */
int vaccel_log_enabled(vaccel_log_level_t level);

#ifdef __cplusplus
}
#endif
