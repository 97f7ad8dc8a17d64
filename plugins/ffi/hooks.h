/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * libvaccel-ffi-hooks.so (hooks.c): the definitions the served libraries
 * expect from their host (xerbla_), apart from the plugin.
 */

__attribute__((visibility("default"))) int ffi_hooks_global(void);
