/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "../config.h"
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Parsers behind the environment reader; VACCEL_EINVAL on bad text. */
int vaccel_config_parse_log_level(const char *text, vaccel_log_level_t *out);
int vaccel_config_parse_bool(const char *text, bool *out);
/* A byte count: digits with an optional K, M or G suffix (powers of 1024). */
int vaccel_config_parse_size(const char *text, uint64_t *out);

#ifdef __cplusplus
}
#endif
