/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The memfd path of UNIX sockets (WIRE_F_MEMFD, docs/protocol.md,
 * "Shared-memory buffers"): a call's buffers laid out in a memfd passed
 * beside the frame, each at the next MEMFD_ALIGN boundary. The rpc
 * plugin lays them out, the agent maps them. */

#include <stdint.h>

/* Buffers in a memfd start at multiples of this. */
#define MEMFD_ALIGN 64

/* Bytes a buffer of len takes in a memfd layout; 0 on overflow. */
static inline uint64_t memfd_step(uint64_t len)
{
	if (len > UINT64_MAX - MEMFD_ALIGN)
		return 0;
	return (len + MEMFD_ALIGN) & ~(uint64_t)(MEMFD_ALIGN - 1);
}
