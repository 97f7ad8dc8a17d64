// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz-replay: feed files to the fuzz target's LLVMFuzzerTestOneInput(),
 * one call per file, for builds without libFuzzer (gcc, the sanitizer
 * build). Arguments are files or directories (their regular files, in name
 * order, not recursing). A crash or a failed invariant aborts; otherwise
 * it prints how many inputs ran and exits 0. An empty set of inputs or an
 * unreadable file is an error (exit 1): a regression run that ran nothing
 * must not pass.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path, unsigned long *count)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "fuzz-replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fileno(f), &st) || st.st_size < 0) {
		fprintf(stderr, "fuzz-replay: %s: %s\n", path, strerror(errno));
		fclose(f);
		return -1;
	}
	size_t size = (size_t)st.st_size;
	/* Exactly the input's size, as libFuzzer hands it over, so that a
	 * read past the end is caught by the sanitizers. */
	uint8_t *data = malloc(size ? size : 1);
	if (!data || fread(data, 1, size, f) != size) {
		fprintf(stderr, "fuzz-replay: %s: cannot read\n", path);
		free(data);
		fclose(f);
		return -1;
	}
	fclose(f);
	if (getenv("FUZZ_DECODE_VERBOSE"))
		fprintf(stderr, "%s (%zu bytes)\n", path, size);
	LLVMFuzzerTestOneInput(data, size);
	free(data);
	(*count)++;
	return 0;
}

static int only_files(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static int run_dir(const char *dir, unsigned long *count)
{
	struct dirent **names;
	int n = scandir(dir, &names, only_files, alphasort);
	int ret = 0;
	if (n < 0) {
		fprintf(stderr, "fuzz-replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		size_t len = strlen(dir) + strlen(names[i]->d_name) + 2;
		char *path = malloc(len);
		struct stat st;
		if (!path) {
			ret = -1;
		} else {
			snprintf(path, len, "%s/%s", dir, names[i]->d_name);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
			    run_file(path, count))
				ret = -1;
		}
		free(path);
		free(names[i]);
	}
	free(names);
	return ret;
}

int main(int argc, char **argv)
{
	unsigned long count = 0;
	int ret = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st)) {
			fprintf(stderr, "fuzz-replay: %s: %s\n", argv[i],
				strerror(errno));
			ret = 1;
		} else if (S_ISDIR(st.st_mode) ? run_dir(argv[i], &count)
					       : run_file(argv[i], &count)) {
			ret = 1;
		}
	}
	printf("fuzz-replay: %lu input(s) decoded without a fault\n", count);
	if (!count) {
		fprintf(stderr, "fuzz-replay: no inputs found\n");
		ret = 1;
	}
	return ret;
}
