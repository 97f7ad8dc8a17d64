/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The shm transport's region (docs/transports.md, "shm"): a sealed memfd
 * the guest side creates and passes over the UNIX socket it connected,
 * with four eventfd doorbells. Its layout follows from the ring size the
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
 * Each ring has two doorbells: its consumer waits on SHM_DATA for bytes,
 * its producer on SHM_SPACE for room, so that a side's reader and writer
 * (two threads) each sleep on their own. A side about to sleep sets the
 * doorbell's `sleeping` word, re-checks, and waits on the doorbell and on
 * the socket (where the peer's death shows); a side that moved an index
 * rings the doorbell that waits for it if its word is set.
 */

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SHM_MAGIC 0x4d485356u /* "VSHM" */
#define SHM_VERSION 2u
#define SHM_CTL_SIZE 4096u
/* ring sizes: powers of two in [SHM_RING_MIN, SHM_RING_MAX] */
#define SHM_RING_MIN 4096u
#define SHM_RING_MAX (1u << 30)
#define SHM_RING_DEFAULT (1u << 20)

enum shm_dir { SHM_UP = 0, SHM_DOWN = 1 };
enum shm_side { SHM_GUEST = 0, SHM_AGENT = 1 };
/* what a ring's doorbell waits for: bytes (its consumer), room (its
 * producer) */
enum shm_bell { SHM_DATA = 0, SHM_SPACE = 1 };

struct shm_index {
	_Atomic uint64_t v;
	uint8_t pad[56];
};

struct shm_ctl {
	/* per ring: head (its producer's), tail (its consumer's) */
	struct shm_index head[2], tail[2];
	/* per ring and doorbell: set while a thread waits on it */
	struct shm_index sleeping[2][2];
};

/* The setup message, guest to agent, with five descriptors (memfd, then
 * the doorbells in the order of shm_fd_bell()) and, where `heap` is
 * non-zero, a sixth: the guest's shared heap (below), a memfd of at least
 * `heap` bytes sealed against shrinking. The agent answers with struct
 * shm_setup_reply. Little-endian, as every frame. */
struct shm_setup {
	uint32_t magic, version;
	uint64_t ring;
	uint64_t heap;
};
/* The setup message's descriptor index of a doorbell. */
static inline int shm_fd_bell(enum shm_dir ring, enum shm_bell what)
{
	return 1 + 2 * (int)ring + (int)what;
}
#define SHM_SETUP_FDS 5
/* the largest heap an agent maps */
#define SHM_HEAP_MAX (1ull << 40)

/*
 * The shared heap: memory a placing allocator (libvaccel-shim-alloc.so,
 * LD_PRELOADed) hands out for a program's large allocations, in a memfd
 * the shm transport passes to the agent. A call's buffers that lie in it
 * travel as offsets and the agent's backends work on them in place. The
 * transport finds the allocator's heap with dlsym(RTLD_DEFAULT,
 * SHM_HEAP_SYM); without the allocator there is none.
 */
struct shm_heap {
	uint8_t *base;
	size_t len;
	/* the memfd; -1 where there is none to share (a forked child's
	 * heap is its own private copy) */
	int fd;
};
/* Fill *h: 0, or -1 when there is no heap (yet). Never blocks for long;
 * safe from any thread. */
typedef int (*shm_heap_fn)(struct shm_heap *h);
#define SHM_HEAP_SYM "vaccel_shm_heap"
struct shm_setup_reply {
	uint32_t magic;
	/* a vAccel status: 0, or why the agent refused the region */
	int32_t status;
};
