/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "config.h"
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The library bootstraps itself from the environment on first use; these
 * are for programs that want it explicit. Bootstrapping twice returns
 * VACCEL_EEXIST; cleanup unloads plugins and may be followed by another
 * bootstrap. A plugin that fails to load is reported and skipped: the
 * bootstrap returns its error but the library stays usable.
 */
int vaccel_bootstrap(void);
int vaccel_bootstrap_with_config(struct vaccel_config *config);
int vaccel_cleanup(void);
bool vaccel_is_initialized(void);
/* Per-process run directory, created on first call; NULL if impossible. */
const char *vaccel_rundir(void);
/* The configuration in force; NULL before bootstrap. */
const struct vaccel_config *vaccel_config(void);

#ifdef __cplusplus
}
#endif
