/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Frame-level helpers shared by the agent and the rpc transport. */

#include "codec.h"
#include "transport.h"

/* Send header + meta + segments as one write. 0 or -errno; *sent counts
 * bytes that left. */
int frame_send(struct tconn *c, uint16_t kind, uint64_t req_id,
	       const struct wbuf *meta, const struct segs *segs,
	       uint64_t *sent);
/* The same with header flags, passing `pass_fd` (if >= 0) alongside. */
int frame_send_ex(struct tconn *c, uint16_t kind, uint64_t req_id,
		  uint32_t flags, const struct wbuf *meta,
		  const struct segs *segs, uint64_t *sent, int pass_fd);
