// SPDX-License-Identifier: Apache-2.0
/*
 * The call tables of a build without interposer specs: no host calls, so
 * the plugin serves exec and exec_with_resource only. A build with specs
 * compiles the generated tables (`vaccel_codegen.py ffi`) instead.
 */
#include "callspec.h"

/* C has no empty arrays: one entry each, counted as none. */
static const char *const no_libs[] = {NULL};
const struct vaccel_cs_api vaccel_cs_apis[1] = {{.name = "", .libs = no_libs}};
const unsigned int vaccel_cs_apis_count = 0;
const struct vaccel_callspec vaccel_callspecs[1] = {{.symbol = ""}};
const unsigned int vaccel_callspecs_count = 0;
