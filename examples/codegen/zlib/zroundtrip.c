// SPDX-License-Identifier: Apache-2.0
/*
 * An ordinary zlib program, nothing of vAccel in it: it compresses a
 * buffer of text with compress2() at each level asked for, uncompresses
 * it again with uncompress(), and prints the sizes, the compressed
 * bytes' CRC-32 and whether the round trip gave the input back; then the
 * answers to three calls zlib refuses (a level out of range, a buffer
 * too small, data that is not zlib's).
 *
 *   zroundtrip [MIB [LEVEL...]]     (default: 4 MiB, levels 1 6 9)
 *
 * Build: cc zroundtrip.c -lz. Under libvaccel-shim-zlib.so its compress2
 * and uncompress calls run on the host's zlib (README.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Text that compresses as text does: words from a small list, picked by a
 * fixed linear congruential sequence. */
static void fill_text(unsigned char *p, size_t n)
{
	static const char *const words[] = {
	    "the ",   "host ",	 "guest ",  "agent ", "runs ",	 "calls ",
	    "of ",    "zlib ",	 "on ",	    "a ",     "buffer ", "and ",
	    "sends ", "bytes ",	 "back.\n", "every ", "time ",	 "it ",
	    "can ",   "which ",	 "is ",	    "fast ",  "when ",	 "large ",
	    "data ",  "travel ", "once ",   "per ",   "call ",	 "here ",
	};
	unsigned long x = 12345;
	size_t i = 0;
	while (i < n) {
		x = x * 1103515245ul + 12345ul;
		const char *w = words[(x >> 16) % 30];
		size_t k = strlen(w);
		if (k > n - i)
			k = n - i;
		memcpy(p + i, w, k);
		i += k;
	}
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 4;
	size_t n = mib << 20;
	unsigned char *src = malloc(n ? n : 1), *back = malloc(n ? n : 1);
	uLong bound = compressBound(n);
	unsigned char *z = malloc(bound);
	if (!src || !back || !z)
		return 2;
	fill_text(src, n);
	printf("input: %zu bytes, compressBound %lu\n", n, bound);
	int levels[16] = {1, 6, 9}, nr = 3;
	if (argc > 2) {
		nr = 0;
		for (int i = 2; i < argc && nr < 16; i++)
			levels[nr++] = atoi(argv[i]);
	}
	int bad = 0;
	for (int l = 0; l < nr; l++) {
		uLongf zlen = bound;
		int r = compress2(z, &zlen, src, n, levels[l]);
		uLongf blen = n;
		int u = r == Z_OK ? uncompress(back, &blen, z, zlen) : r;
		int same = u == Z_OK && blen == n && !memcmp(back, src, n);
		printf("level %d: compress2 %d, %lu bytes, crc32 %08lx; "
		       "uncompress %d, %lu bytes, %s\n",
		       levels[l], r, zlen, crc32(0, z, (uInt)zlen), u, blen,
		       same ? "the input back" : "NOT the input");
		bad += !same;
	}
	/* what zlib refuses */
	uLongf zlen = bound;
	printf("level 12: compress2 %d\n", compress2(z, &zlen, src, n, 12));
	zlen = bound;
	compress2(z, &zlen, src, n, 6);
	uLongf small = n / 2;
	printf("half the room: uncompress %d\n",
	       uncompress(back, &small, z, zlen));
	memset(z, 0x55, 64);
	uLongf blen = n;
	printf("not zlib's: uncompress %d\n", uncompress(back, &blen, z, zlen));
	free(src);
	free(back);
	free(z);
	if (bad)
		return 1;
	printf("zroundtrip: OK\n");
	return 0;
}
