/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Lower-case str: in place, at most `size` bytes or up to its NUL, when
 * alloc_lower is NULL; else into a malloc'd copy returned in *alloc_lower
 * (size ignored). VACCEL_EINVAL for a NULL str or an in-place call of size
 * 0, VACCEL_ENOMEM.
 */
int vaccel_str_to_lower(char *str, size_t size, char **alloc_lower);

#ifdef __cplusplus
}
#endif
