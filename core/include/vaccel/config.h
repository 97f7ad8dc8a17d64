/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "log.h"
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Run-time configuration; strings are owned by the config. */
struct vaccel_config {
	/* ':'-separated plugin names or paths; may be NULL (no plugin) */
	char *plugins;
	/* messages above this level are dropped */
	vaccel_log_level_t log_level;
	/* log to this file instead of stderr; may be NULL */
	char *log_file;
	/* profiling regions record samples when true */
	bool profiling_enabled;
	/* skip the plugin ABI minor-version warning (a major mismatch is
	 * refused regardless) */
	bool version_ignore;
};

int vaccel_config_init(struct vaccel_config *config, const char *plugins,
		       vaccel_log_level_t log_level, const char *log_file,
		       bool profiling_enabled, bool version_ignore);
/*
 * Read VACCEL_PLUGINS, VACCEL_LOG_LEVEL, VACCEL_LOG_FILE,
 * VACCEL_PROFILING_ENABLED, VACCEL_VERSION_IGNORE. A malformed value is
 * reported, replaced by its default, and makes the call return
 * VACCEL_EINVAL with `config` still fully initialized.
 */
int vaccel_config_init_from_env(struct vaccel_config *config);
int vaccel_config_init_from(struct vaccel_config *config,
			    struct vaccel_config *src);
int vaccel_config_release(struct vaccel_config *config);
int vaccel_config_new(struct vaccel_config **config, const char *plugins,
		      vaccel_log_level_t log_level, const char *log_file,
		      bool profiling_enabled, bool version_ignore);
int vaccel_config_from_env(struct vaccel_config **config);
int vaccel_config_from(struct vaccel_config **config,
		       struct vaccel_config *src);
int vaccel_config_delete(struct vaccel_config *config);
void vaccel_config_print_debug(struct vaccel_config *config);

#ifdef __cplusplus
}
#endif
