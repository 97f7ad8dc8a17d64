// SPDX-License-Identifier: Apache-2.0
#include "client.h"
#include <errno.h>
#include <stdlib.h>

int frame_send(struct tconn *c, uint16_t kind, uint64_t req_id,
	       const struct wbuf *meta, const struct segs *segs, uint64_t *sent)
{
	return frame_send_ex(c, kind, req_id, 0, meta, segs, sent, -1);
}

int frame_send_ex(struct tconn *c, uint16_t kind, uint64_t req_id,
		  uint32_t flags, const struct wbuf *meta,
		  const struct segs *segs, uint64_t *sent, int pass_fd)
{
	uint8_t hdr[WIRE_HDR_SIZE];
	struct wire_hdr h = {
	    .magic = WIRE_MAGIC,
	    .version = WIRE_VERSION,
	    .kind = kind,
	    .req_id = req_id,
	    .meta_len = (uint32_t)meta->len,
	    .flags = flags,
	    .raw_len = segs ? segs->total : 0,
	};
	wire_hdr_encode(&h, hdr);
	uint32_t nseg = segs ? segs->n : 0;
	struct iovec small[16], *iov = small;
	if (nseg + 2 > 16) {
		iov = malloc((nseg + 2) * sizeof(*iov));
		if (!iov)
			return -ENOMEM;
	}
	iov[0] = (struct iovec){hdr, sizeof(hdr)};
	iov[1] = (struct iovec){meta->data, meta->len};
	for (uint32_t i = 0; i < nseg; i++)
		iov[2 + i] =
		    (struct iovec){segs->v[i].buf, (size_t)segs->v[i].len};
	int ret = tconn_sendv(c, iov, (int)nseg + 2, sent, pass_fd);
	if (iov != small)
		free(iov);
	return ret;
}
