// SPDX-License-Identifier: Apache-2.0
/*
 * itest-gen-corpus DIR: write the integration tests' hand-made frames
 * (frames.c) into DIR, one file per frame, for the fuzz target's seed
 * corpus. The e2e suite checks that tests/fuzz/corpus holds them.
 */
#include "frames.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	for (unsigned int i = 0; i < fx_count(); i++) {
		struct fx_frame f;
		char path[4096];
		if (fx_build(&f, i)) {
			fprintf(stderr, "frame %u: out of memory\n", i);
			return 1;
		}
		snprintf(path, sizeof(path), "%s/%s", argv[1], f.name);
		FILE *out = fopen(path, "wb");
		if (!out || fwrite(f.data, 1, f.len, out) != f.len ||
		    fclose(out)) {
			fprintf(stderr, "%s: %s\n", path, strerror(errno));
			return 1;
		}
		fx_free(&f);
	}
	printf("%u frames written to %s\n", fx_count(), argv[1]);
	return 0;
}
