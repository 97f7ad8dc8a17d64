/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* SHA-256 (FIPS 180-4): content hashes of models and files. */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VACCEL_SHA256_SIZE 32

struct vaccel_sha256 {
	uint32_t h[8];
	uint64_t bytes;
	uint8_t block[64];
	size_t fill;
};

void vaccel_sha256_init(struct vaccel_sha256 *s);
void vaccel_sha256_update(struct vaccel_sha256 *s, const void *data,
			  size_t len);
void vaccel_sha256_final(struct vaccel_sha256 *s,
			 uint8_t out[VACCEL_SHA256_SIZE]);
/* The hash of len bytes at data, in one call. */
void vaccel_sha256(const void *data, size_t len,
		   uint8_t out[VACCEL_SHA256_SIZE]);

#ifdef __cplusplus
}
#endif
