/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The bytes the noop plugin writes: byte j of argument `arg` of op `op`.
 * Shared with the tests, which check outputs against it. For ARGS_OUT and
 * TENSORS_OUT lists, j counts across the list's buffers in order. */

#include <stdint.h>

/* The size noop gives output j of a RAW tensor list (which the op
 * allocates). */
#define NOOP_RAW_BYTES(j) (24u + 40u * (uint64_t)(j))

static inline uint8_t vaccel_noop_byte(uint32_t op, uint32_t arg, uint64_t j)
{
	return (uint8_t)(0xA5u ^ (uint8_t)(op * 13u + arg * 7u + j * 3u));
}
