/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Client-side calls shared by the seed generator (which encodes them into
 * CALL frames and their answers into CALL_REPLY frames) and the fuzz target
 * (which decodes every CALL_REPLY input against each of them, as the rpc
 * transport does against the call it sent). Keeping one list means every
 * reply seed matches a call the fuzzer prepares.
 *
 * Every buffer is its own malloc of exactly its size, so a decoder that
 * lets a reply write past a caller's capacity trips AddressSanitizer.
 */

#include "codec.h"

#define FUZZ_MAX_ARGS 16
#define FUZZ_MAX_LIST 2
#define FUZZ_MAX_BUFS 16

struct fuzz_case {
	/* short name, used in seed file names */
	const char *name;
	const struct vaccel_op_desc *op;
	struct vaccel_oparg args[FUZZ_MAX_ARGS];
	/* list storage that args of kind ARGS_* and TENSORS_* point to */
	struct vaccel_arg lists[FUZZ_MAX_ARGS][FUZZ_MAX_LIST];
	struct vaccel_tensor tensors[FUZZ_MAX_ARGS][FUZZ_MAX_LIST];
	/* every buffer allocated for the call, with its size */
	void *bufs[FUZZ_MAX_BUFS];
	uint64_t sizes[FUZZ_MAX_BUFS];
	unsigned int nr_bufs;
};

/* Number of cases; fuzz_case_init() takes 0 .. fuzz_nr_cases() - 1. */
unsigned int fuzz_nr_cases(void);
/* Set up case `which`: arguments, in buffers filled with a fixed pattern,
 * out buffers zeroed. 0, or -1 (out of memory, or a case the op table no
 * longer accepts). fc is caller storage; release it either way. */
int fuzz_case_init(struct fuzz_case *fc, unsigned int which);
void fuzz_case_release(struct fuzz_case *fc);
/* Is [p, p + len) inside one of the case's buffers? */
bool fuzz_case_owns(const struct fuzz_case *fc, const void *p, uint64_t len);
