// SPDX-License-Identifier: Apache-2.0
#include "internal.h"
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return strdup(slash ? slash + 1 : path);
}

int vaccel_file_init(struct vaccel_file *file, const char *path)
{
	if (!file || !path || !*path)
		return VACCEL_EINVAL;
	struct stat st;
	if (stat(path, &st) != 0)
		return VACCEL_ENOENT;
	if (!S_ISREG(st.st_mode))
		return VACCEL_EINVAL;
	memset(file, 0, sizeof(*file));
	file->path = strdup(path);
	file->name = base_name(path);
	if (!file->path || !file->name) {
		vaccel_file_release(file);
		return VACCEL_ENOMEM;
	}
	return VACCEL_OK;
}

static int write_all(int fd, const uint8_t *buf, size_t size)
{
	while (size) {
		ssize_t n = write(fd, buf, size);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return VACCEL_EIO;
		}
		buf += n;
		size -= (size_t)n;
	}
	return VACCEL_OK;
}

int vaccel_file_persist(struct vaccel_file *file, const char *dir,
			const char *filename, bool randomize)
{
	if (!file || !dir || !filename || !*filename || strchr(filename, '/'))
		return VACCEL_EINVAL;
	if (!file->data && file->size)
		return VACCEL_EINVAL;
	char *path = NULL;
	int fd;
	if (randomize) {
		if (asprintf(&path, "%s/%s.XXXXXX", dir, filename) < 0)
			return VACCEL_ENOMEM;
		fd = mkostemp(path, O_CLOEXEC);
	} else {
		if (asprintf(&path, "%s/%s", dir, filename) < 0)
			return VACCEL_ENOMEM;
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	if (fd < 0) {
		int err = errno == EEXIST ? VACCEL_EEXIST : VACCEL_EIO;
		free(path);
		return err;
	}
	int ret = write_all(fd, file->data, file->size);
	close(fd);
	if (ret) {
		unlink(path);
		free(path);
		return ret;
	}
	free(file->path);
	file->path = path;
	file->path_owned = true;
	return VACCEL_OK;
}

int vaccel_file_init_from_buf(struct vaccel_file *file, const uint8_t *buf,
			      size_t size, const char *filename,
			      const char *dir, bool randomize)
{
	if (!file || (!buf && size) || !filename || !*filename)
		return VACCEL_EINVAL;
	memset(file, 0, sizeof(*file));
	file->name = strdup(filename);
	file->data = malloc(size ? size : 1);
	if (!file->name || !file->data) {
		vaccel_file_release(file);
		return VACCEL_ENOMEM;
	}
	if (size)
		memcpy(file->data, buf, size);
	file->size = size;
	if (dir) {
		int ret = vaccel_file_persist(file, dir, filename, randomize);
		if (ret) {
			vaccel_file_release(file);
			return ret;
		}
	}
	return VACCEL_OK;
}

int vaccel_file_release(struct vaccel_file *file)
{
	if (!file)
		return VACCEL_EINVAL;
	if (file->path_owned && file->path)
		unlink(file->path);
	free(file->path);
	free(file->name);
	free(file->data);
	memset(file, 0, sizeof(*file));
	return VACCEL_OK;
}

int vaccel_file_new(struct vaccel_file **file, const char *path)
{
	if (!file)
		return VACCEL_EINVAL;
	struct vaccel_file *f = malloc(sizeof(*f));
	if (!f)
		return VACCEL_ENOMEM;
	int ret = vaccel_file_init(f, path);
	if (ret) {
		free(f);
		return ret;
	}
	*file = f;
	return VACCEL_OK;
}

int vaccel_file_from_buf(struct vaccel_file **file, const uint8_t *buf,
			 size_t size, const char *filename, const char *dir,
			 bool randomize)
{
	if (!file)
		return VACCEL_EINVAL;
	struct vaccel_file *f = malloc(sizeof(*f));
	if (!f)
		return VACCEL_ENOMEM;
	int ret =
	    vaccel_file_init_from_buf(f, buf, size, filename, dir, randomize);
	if (ret) {
		free(f);
		return ret;
	}
	*file = f;
	return VACCEL_OK;
}

int vaccel_file_delete(struct vaccel_file *file)
{
	if (!file)
		return VACCEL_EINVAL;
	vaccel_file_release(file);
	free(file);
	return VACCEL_OK;
}

bool vaccel_file_initialized(struct vaccel_file *file)
{
	return file && file->name && (file->path || file->data);
}

int vaccel_file_read(struct vaccel_file *file)
{
	if (!file || !file->path)
		return VACCEL_EINVAL;
	FILE *f = fopen(file->path, "rbe");
	if (!f)
		return VACCEL_ENOENT;
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return VACCEL_EIO;
	}
	size_t size = (size_t)st.st_size;
	uint8_t *data = malloc(size ? size : 1);
	if (!data) {
		fclose(f);
		return VACCEL_ENOMEM;
	}
	if (size && fread(data, 1, size, f) != size) {
		free(data);
		fclose(f);
		return VACCEL_EIO;
	}
	fclose(f);
	free(file->data);
	file->data = data;
	file->size = size;
	return VACCEL_OK;
}

uint8_t *vaccel_file_data(struct vaccel_file *file, size_t *size)
{
	if (!file)
		return NULL;
	if (!file->data && vaccel_file_read(file) != VACCEL_OK)
		return NULL;
	if (size)
		*size = file->size;
	return file->data;
}

const char *vaccel_file_path(struct vaccel_file *file)
{
	return file ? file->path : NULL;
}
