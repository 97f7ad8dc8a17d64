/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The wire codec shared by the rpc transport and the agent. A frame is a
 * 32-byte little-endian header, a msgpack "meta" part and a "raw" part of
 * concatenated buffer bytes whose lengths the meta declares. Large buffers
 * are never copied into the meta: they are sent from and read into the
 * caller's own memory. Everything read is checked against the bytes left
 * and the configured limits before anything is allocated.
 * docs/protocol.md is the reference for the format.
 */

#include <vaccel/remote.h>
#include "ops_internal_gen.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WIRE_MAGIC 0x4C434156u /* "VACL" */
#define WIRE_VERSION 1
#define WIRE_HDR_SIZE 32
#define WIRE_KEY_SIZE 16

#define WIRE_KINDS_LIST(X)                                                     \
	X(HELLO, 1)                                                            \
	X(HELLO_REPLY, 2)                                                      \
	X(CALL, 3) X(CALL_REPLY, 4) X(CTRL, 5) X(CTRL_REPLY, 6)
#define WIRE_KIND_ENUM_ITEM(name, value) WIRE_##name = (value),
enum wire_kind { WIRE_KINDS_LIST(WIRE_KIND_ENUM_ITEM) };
#undef WIRE_KIND_ENUM_ITEM
const char *wire_kind_to_str(unsigned int kind);

#define WIRE_CTRLS_LIST(X)                                                     \
	X(SESS_NEW, 1)                                                         \
	X(SESS_FREE, 2)                                                        \
	X(RES_NEW, 3) X(RES_FREE, 4) X(RES_REG, 5) X(RES_UNREG, 6)
#define WIRE_CTRL_ENUM_ITEM(name, value) WIRE_CTRL_##name = (value),
enum wire_ctrl { WIRE_CTRLS_LIST(WIRE_CTRL_ENUM_ITEM) };
#undef WIRE_CTRL_ENUM_ITEM

/*
 * Resource files of at least this many bytes are kept by the agent by
 * content (SHA-256) while any resource holds them; a RES_NEW whose file
 * entries are [name, size, sha256] (no bytes follow) asks for a resource
 * made of such copies: VACCEL_ENOENT when one is not there (then the
 * files are sent).
 */
#define WIRE_BY_HASH_MIN (64u << 10)

/* Header flags. */
enum wire_flags {
	/* CALL and CALL_REPLY on UNIX sockets: the buffers live in a sealed
	 * memfd passed with SCM_RIGHTS alongside the request's header; the
	 * raw part is empty (docs/protocol.md, "Shared-memory buffers"). */
	WIRE_F_MEMFD = 1u << 0,
	/* CALL and CALL_REPLY on a connection with a shared region
	 * (tconn_region: the shm transport's heap): the request's raw part
	 * begins with one little-endian u64 per buffer of the call, in
	 * their travel order, its offset in the region or WIRE_REGION_NONE;
	 * the buffers with an offset are not in the raw part (in the
	 * request) nor among the reply's segments: the agent uses them in
	 * place (docs/protocol.md, "Shared-region buffers"). */
	WIRE_F_REGION = 1u << 1,
	/* HELLO: several threads share the stream, each with a request in
	 * flight; the agent may serve them at once and answer each as it
	 * finishes (docs/protocol.md, "Request ids"). */
	WIRE_F_CONCURRENT = 1u << 2,
};
/* A buffer that travels in the frame, not in the region. */
#define WIRE_REGION_NONE UINT64_MAX
/* Passed as raw_len to the decoders: the raw part is elsewhere (a memfd,
 * a shared region), skip the check of its length. */
#define WIRE_RAW_ANY UINT64_MAX

/* An inout argument this call overwrites without reading: its bytes are
 * not sent (both peers decide from the call's scalars). */
static inline bool wire_arg_overwritten(const struct vaccel_op_argdesc *d,
					const struct vaccel_oparg *args)
{
	return d->kind == VACCEL_ARGK_INOUT && d->unread && d->unread(args);
}

struct wire_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t kind;
	uint64_t req_id;
	uint32_t meta_len;
	uint32_t flags;
	uint64_t raw_len;
};

/* Receiver limits; every one is checked before allocating. */
struct wire_limits {
	/* bytes of one frame's meta part */
	uint32_t max_meta;
	/* bytes of one buffer (segment) */
	uint64_t max_buffer;
	/* bytes of one frame's raw part */
	uint64_t max_raw;
	/* entries of one args/tensors list */
	uint32_t max_list;
};
void wire_limits_default(struct wire_limits *lim);

void wire_hdr_encode(const struct wire_hdr *h, uint8_t out[WIRE_HDR_SIZE]);
/* Decode and check magic, kind and limits (not the version: the caller
 * answers a version mismatch). VACCEL_EBACKEND / VACCEL_EMSGSIZE with a
 * message in err. */
int wire_hdr_decode(const uint8_t in[WIRE_HDR_SIZE], struct wire_hdr *h,
		    const struct wire_limits *lim, char *err, size_t errlen);

/* ---- msgpack writing (growable buffer) ---------------------------------- */
struct wbuf {
	uint8_t *data;
	size_t len, cap;
	bool failed;
};
void wbuf_reset(struct wbuf *b);
void wbuf_free(struct wbuf *b);
void mp_put_nil(struct wbuf *b);
void mp_put_bool(struct wbuf *b, bool v);
void mp_put_uint(struct wbuf *b, uint64_t v);
void mp_put_int(struct wbuf *b, int64_t v);
void mp_put_f64(struct wbuf *b, double v);
void mp_put_str(struct wbuf *b, const char *s, size_t len);
void mp_put_bin(struct wbuf *b, const void *p, size_t len);
void mp_put_array(struct wbuf *b, uint32_t n);

/* ---- msgpack reading (bounds-checked cursor) ------------------------------
 */
struct mp_reader {
	const uint8_t *p, *end;
};
/* Each returns 0 or VACCEL_EBACKEND (wrong type, truncated, over range). */
int mp_get_uint(struct mp_reader *r, uint64_t *v);
int mp_get_int(struct mp_reader *r, int64_t *v);
int mp_get_f64(struct mp_reader *r, double *v);
int mp_get_bool(struct mp_reader *r, bool *v);
/* Borrowed pointer into the frame, not terminated. */
int mp_get_str(struct mp_reader *r, const char **s, uint32_t *len);
int mp_get_bin(struct mp_reader *r, const void **p, uint32_t *len);
/* The count is checked against the bytes left (each element >= 1 byte). */
int mp_get_array(struct mp_reader *r, uint32_t *n);
bool mp_next_is_nil(const struct mp_reader *r);
int mp_get_nil(struct mp_reader *r);

/* ---- raw segments -------------------------------------------------------- */
struct wire_seg {
	void *buf;
	uint64_t len;
};
struct segs {
	struct wire_seg *v;
	uint32_t n, cap;
	uint64_t total;
	bool failed;
};
void segs_reset(struct segs *s);
void segs_free(struct segs *s);
void segs_add(struct segs *s, void *buf, uint64_t len);

/* ---- aliasing ------------------------------------------------------------
 *
 * Buffers of one call that overlap in the caller's memory (the same array
 * passed twice, two rows of one column-major matrix as strided vectors, a
 * view inside another) travel as one region: the bytes from the lowest
 * start to the highest end among them, sent once and written back once, so
 * that the callee works on one copy with the aliasing the caller had. Both
 * peers derive the plan from the buffers' addresses: the guest from the
 * caller's, the agent from the region it allocated (its other buffers are
 * separate allocations and never overlap).
 */
/* Ops with more arguments than this are never planned (nor accepted with
 * aliased arguments). */
#define WIRE_ALIAS_MAX_ARGS 32
struct wire_alias {
	/* the group's first argument; -1: this argument is not aliased */
	int32_t lead;
	/* the group's first OUT/INOUT argument, which carries the region in
	 * the reply; -1 when none is written (lead's entry only) */
	int32_t back;
	/* byte offset of this argument's buffer in the region */
	uint64_t off;
	/* the region's bytes (lead's entry only) */
	uint64_t span;
};
/*
 * Fill plan[0..op->nr_args) for this call's IN/OUT/INOUT buffers. Returns
 * true if any two overlap; false (and every lead -1) otherwise.
 */
bool wire_alias_plan(const struct vaccel_op_desc *op,
		     const struct vaccel_oparg *args, struct wire_alias *plan);
/* The region's first byte in the caller's memory, for a planned lead. */
static inline uint8_t *wire_alias_base(const struct vaccel_oparg *args,
				       const struct wire_alias *plan,
				       uint32_t lead)
{
	return (uint8_t *)args[lead].buf - plan[lead].off;
}

/* ---- op calls ------------------------------------------------------------ */
/*
 * Client: encode a call's meta into `meta` and its outgoing raw segments
 * (IN, INOUT, ARGS_IN and TENSORS_IN data, borrowed from args) into `out`.
 * `res_remote` maps a RESOURCE argument to the agent's id.
 */
int wire_encode_call(struct wbuf *meta, struct segs *out,
		     const struct vaccel_op_desc *op,
		     const struct vaccel_oparg *args, int64_t remote_sess,
		     uint64_t sig_hash);

/*
 * Agent: a decoded call. Scalars and strings are filled in `args`; buffers
 * are described by `bufs` (one per raw segment in order and one per OUT
 * buffer) for the caller to allocate and read, then point args at.
 */
/* WB_REGION: the region of an alias group, described at its lead
 * argument; every member points into it (wire_call.alias). */
enum wire_buf_role {
	WB_IN_ARG,
	WB_OUT_ARG,
	WB_IN_LIST,
	WB_OUT_LIST,
	WB_REGION
};
struct wire_buf {
	uint32_t arg;
	/* list element for *_LIST roles */
	uint32_t elem;
	enum wire_buf_role role;
	/* true if bytes for it follow in the raw part */
	bool on_wire;
	/* an inout buffer the op overwrites whole for this call (the
	 * argument's `unread`): not sent, and need not be zeroed */
	bool overwritten;
	uint64_t len;
};
struct wire_call {
	const struct vaccel_op_desc *op;
	uint32_t op_id;
	uint64_t sig_hash;
	int64_t sess_id;
	/* op->nr_args entries; strings point into the meta (copied to be
	 * NUL-terminated into `strings`) */
	struct vaccel_oparg *args;
	/* remote resource ids of RESOURCE args, per arg */
	int64_t *res_ids;
	struct wire_buf *bufs;
	uint32_t nr_bufs;
	/* the alias plan, op->nr_args entries; NULL when the call has no
	 * aliased arguments */
	struct wire_alias *alias;
	/* list storage owned by the call (vaccel_arg / vaccel_tensor arrays) */
	void **lists;
	char **strings;
};
/* Decode and validate a CALL meta against the op table and limits; raw_len
 * must equal the declared IN bytes. On error, err says why (naming the op
 * and argument) and the call holds nothing. */
int wire_decode_call(const uint8_t *meta, size_t len, uint64_t raw_len,
		     const struct wire_limits *lim, struct wire_call *call,
		     char *err, size_t errlen);
void wire_call_free(struct wire_call *call);
/* Point args at the buffers once allocated: bufs[i] -> mem[i]. */
void wire_call_bind(struct wire_call *call, void **mem);

/* Agent: encode a reply: status, message and the out data (segments). */
int wire_encode_reply(struct wbuf *meta, struct segs *out, int status,
		      const char *msg, const struct vaccel_op_desc *op,
		      const struct vaccel_oparg *args);
/*
 * Client: decode a reply's meta. Fills status and msg (copied into msgbuf)
 * and, on success, the out lengths into `args` in place (ARGS_OUT sizes,
 * TENSORS_OUT shapes) after checking each fits its capacity; `in` receives
 * the destinations to read the raw part into, in order.
 */
/* Ops with RAW tensor outputs (a framework's): the op allocates them, so a
 * call cannot lay them out in advance (no shared-memory path) and the reply
 * decoder allocates them. */
bool wire_op_allocates(const struct vaccel_op_desc *op);
/* Free what wire_decode_reply allocated for such outputs (after a later
 * failure of the call); NULLs them. */
void wire_reply_free_outputs(const struct vaccel_op_desc *op,
			     struct vaccel_oparg *args);
int wire_decode_reply(const uint8_t *meta, size_t len, uint64_t raw_len,
		      const struct vaccel_op_desc *op,
		      struct vaccel_oparg *args, int *status, char *msgbuf,
		      size_t msglen, struct segs *in);
