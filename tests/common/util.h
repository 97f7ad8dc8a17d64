/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stddef.h>

/* The whole file, NUL-terminated (so text can be searched), malloc'd;
 * *len (if non-NULL) gets its size. NULL if it cannot be read. */
char *test_read_file(const char *path, size_t *len);
