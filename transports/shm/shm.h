/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The shm transport's region (docs/transports.md, "shm"): a sealed memfd
 * the guest side creates and passes over the UNIX socket it connected,
 * with two eventfd doorbells. Its layout follows from the ring size the
 * setup message names, never from anything stored in the region:
 *
 *   [0, SHM_CTL_SIZE)              struct shm_ctl
 *   [SHM_CTL_SIZE, + ring)         guest -> agent bytes (ring SHM_UP)
 *   [SHM_CTL_SIZE + ring, + ring)  agent -> guest bytes (ring SHM_DOWN)
 *
 * Each ring is a single-producer single-consumer byte stream: the
 * producer alone writes `head`, the consumer alone writes `tail`, both
 * count bytes since the start (free-running, wrapped by the ring mask).
 * Each side keeps its own index privately and only reads the peer's, and
 * checks every read (tail <= head <= tail + ring), so a peer that writes
 * anything at all into the region can make the connection fail but never
 * make the other side touch memory outside it.
 *
 * A side about to sleep sets its `sleeping` word, re-checks, and waits on
 * its doorbell and on the socket (where the peer's death shows); a side
 * that moved an index rings the peer's doorbell if its word is set.
 */

#include <stdatomic.h>
#include <stdint.h>

#define SHM_MAGIC 0x4d485356u /* "VSHM" */
#define SHM_VERSION 1u
#define SHM_CTL_SIZE 4096u
/* ring sizes: powers of two in [SHM_RING_MIN, SHM_RING_MAX] */
#define SHM_RING_MIN 4096u
#define SHM_RING_MAX (1u << 30)
#define SHM_RING_DEFAULT (1u << 20)

enum shm_dir { SHM_UP = 0, SHM_DOWN = 1 };
enum shm_side { SHM_GUEST = 0, SHM_AGENT = 1 };

struct shm_index {
	_Atomic uint64_t v;
	uint8_t pad[56];
};

struct shm_ctl {
	/* per ring: head (its producer's), tail (its consumer's) */
	struct shm_index head[2], tail[2];
	/* per side: set while that side waits on its doorbell */
	struct shm_index sleeping[2];
};

/* The setup message, guest to agent, with three descriptors (memfd, the
 * agent's doorbell, the guest's doorbell); the agent answers with
 * struct shm_setup_reply. Little-endian, as every frame. */
struct shm_setup {
	uint32_t magic, version;
	uint64_t ring;
};
struct shm_setup_reply {
	uint32_t magic;
	/* a vAccel status: 0, or why the agent refused the region */
	int32_t status;
};
