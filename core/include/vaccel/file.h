/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A file of a resource: a path on disk, its bytes in memory, or both. */
struct vaccel_file {
	/* base name; owned */
	char *name;
	/* path on disk; may be NULL for in-memory files; owned */
	char *path;
	/* true if the file at `path` was written by us and is removed on
	 * release */
	bool path_owned;
	/* contents, owned; NULL until read */
	uint8_t *data;
	size_t size;
};

int vaccel_file_init(struct vaccel_file *file, const char *path);
/* Copies buf. `dir` may be NULL: the file then lives in memory only. */
int vaccel_file_init_from_buf(struct vaccel_file *file, const uint8_t *buf,
			      size_t size, const char *filename,
			      const char *dir, bool randomize);
int vaccel_file_release(struct vaccel_file *file);
int vaccel_file_new(struct vaccel_file **file, const char *path);
int vaccel_file_from_buf(struct vaccel_file **file, const uint8_t *buf,
			 size_t size, const char *filename, const char *dir,
			 bool randomize);
int vaccel_file_delete(struct vaccel_file *file);
/* Write the contents to dir/filename (random suffix if asked). */
int vaccel_file_persist(struct vaccel_file *file, const char *dir,
			const char *filename, bool randomize);
bool vaccel_file_initialized(struct vaccel_file *file);
/* Load the contents from `path` into `data`. */
int vaccel_file_read(struct vaccel_file *file);
/* Contents (read on demand); borrowed until release. NULL on failure. */
uint8_t *vaccel_file_data(struct vaccel_file *file, size_t *size);
const char *vaccel_file_path(struct vaccel_file *file);

#ifdef __cplusplus
}
#endif
