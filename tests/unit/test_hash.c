// SPDX-License-Identifier: Apache-2.0
/* SHA-256 against FIPS 180-4's examples, whole and fed in pieces. */
#include "common.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void hex(const uint8_t *h, char *out)
{
	for (int i = 0; i < VACCEL_SHA256_SIZE; i++)
		sprintf(out + 2 * i, "%02x", h[i]);
}

static void expect_hash(const void *data, size_t len, const char *want)
{
	uint8_t h[VACCEL_SHA256_SIZE];
	char got[2 * VACCEL_SHA256_SIZE + 1];
	vaccel_sha256(data, len, h);
	hex(h, got);
	cr_expect_str_eq(got, want, "%zu bytes", len);
}

Test(hash, fips_examples)
{
	expect_hash("", 0,
		    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
		    "7852b855");
	expect_hash("abc", 3,
		    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61"
		    "f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnop"
			  "nopq";
	expect_hash(two, strlen(two),
		    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd4"
		    "19db06c1");
}

/* A million 'a's, whole and in pieces of 1 to 129 bytes: every way a
 * piece can straddle a block. */
Test(hash, pieces_equal_the_whole)
{
	const char *want = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e04"
			   "6d39ccc7112cd0";
	size_t n = 1000000;
	char *a = malloc(n);
	cr_assert_not_null(a);
	memset(a, 'a', n);
	expect_hash(a, n, want);
	struct vaccel_sha256 s;
	vaccel_sha256_init(&s);
	size_t at = 0, piece = 1;
	while (at < n) {
		size_t k = piece < n - at ? piece : n - at;
		vaccel_sha256_update(&s, a + at, k);
		at += k;
		piece = piece % 129 + 1;
	}
	uint8_t h[VACCEL_SHA256_SIZE];
	char got[2 * VACCEL_SHA256_SIZE + 1];
	vaccel_sha256_final(&s, h);
	hex(h, got);
	cr_expect_str_eq(got, want);
	/* 55, 56 and 64 bytes: the padding's three cases */
	expect_hash(a, 55,
		    "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e91"
		    "0f734318");
	expect_hash(a, 56,
		    "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef797068"
		    "6ec6738a");
	expect_hash(a, 64,
		    "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df"
		    "154668eb");
	free(a);
}
