/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Our op model, beside vAccel's op types (vaccel/op.h). Every operation is
 * declared once, in codegen/specs/ops.spec. The generated ops_gen.h gives
 * VACCEL_OPID_* and the argument positions VACCEL_<OP>_<ARG>; the
 * descriptors below describe each argument's kind, type and size rule, for
 * the codec, the agent's validation and codegen.
 */

#include "../op.h"
#include "../session.h"
#include "ops_gen.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VACCEL_ARG_KINDS_LIST(X)                                               \
	X(SCALAR)                                                              \
	X(IN) X(OUT) X(INOUT) X(STRING) X(RESOURCE) X(ARGS_IN) X(ARGS_OUT)     \
	    X(TENSORS_IN) X(TENSORS_OUT)
#define VACCEL_ARGK_ENUM_ITEM(name) VACCEL_ARGK_##name,
enum vaccel_arg_kind { VACCEL_ARG_KINDS_LIST(VACCEL_ARGK_ENUM_ITEM) };
#undef VACCEL_ARGK_ENUM_ITEM

/* X(name, size in bytes); PREC is a buffer whose element type is the op's
 * `prec` scalar: S f32, D f64, C complex f32, Z complex f64. RAW types
 * only tensor lists: their dtype is a framework's own code, passed
 * through, and their outputs are allocated by the op (see below). */
#define VACCEL_ARG_TYPES_LIST(X)                                               \
	X(U8, 1)                                                               \
	X(I32, 4) X(U32, 4) X(I64, 8) X(U64, 8) X(F32, 4) X(F64, 8) X(C64, 8)  \
	    X(C128, 16) X(PREC, 0) X(RAW, 1)
#define VACCEL_ARGT_ENUM_ITEM(name, size) VACCEL_ARGT_##name,
enum vaccel_arg_type { VACCEL_ARG_TYPES_LIST(VACCEL_ARGT_ENUM_ITEM) };
#undef VACCEL_ARGT_ENUM_ITEM

enum vaccel_op_flags {
	/* safe to re-send after a lost reply */
	VACCEL_OPF_IDEMPOTENT = 1u << 0,
};

/* Element types of tensors (appended to, never reordered). A STRING
 * tensor's data is its strings (as many as its dims count), each ended by
 * a NUL, back to back: size is their total, element size 0. */
#define VACCEL_DTYPES_LIST(X)                                                  \
	X(F32, 4)                                                              \
	X(F64, 8) X(I8, 1) X(U8, 1) X(I16, 2) X(U16, 2) X(I32, 4) X(U32, 4)    \
	    X(I64, 8) X(U64, 8) X(BOOL, 1) X(F16, 2) X(BF16, 2) X(STRING, 0)
#define VACCEL_DTYPE_ENUM_ITEM(name, size) VACCEL_DTYPE_##name,
enum vaccel_dtype {
	VACCEL_DTYPES_LIST(VACCEL_DTYPE_ENUM_ITEM) VACCEL_DTYPE_MAX
};
#undef VACCEL_DTYPE_ENUM_ITEM

#define VACCEL_TENSOR_MAX_DIMS 8

/* A tensor of a model op. `data` is borrowed from the caller. For outputs
 * `size` is the capacity on entry and the bytes written on return, and
 * dtype/ndim/dims are filled by the backend. In a RAW list (a framework's
 * tensors) `dtype` is the framework's code and outputs come in with data
 * NULL and size 0: the op allocates data with malloc, and the caller owns
 * it once the call returned VACCEL_OK (on an error nothing is left
 * allocated). */
struct vaccel_tensor {
	uint32_t dtype;
	uint32_t ndim;
	int64_t dims[VACCEL_TENSOR_MAX_DIMS];
	void *data;
	uint64_t size;
	/* Inputs only: a strided view (a sub-region of an image). strides
	 * are the bytes between neighbours along each dim and offset the
	 * byte where element 0 lies in data; all zero means dense and
	 * row-major from data. data + size then spans at least the view
	 * (vaccel_tensor_span), and may hold more around it (the rest of
	 * the image the view was cut from, which an op may read). */
	int64_t strides[VACCEL_TENSOR_MAX_DIMS];
	uint64_t offset;
};

/* Whether t is a strided view (strides or offset set). */
bool vaccel_tensor_strided(const struct vaccel_tensor *t);
/* The bytes from t->data that hold t's elements of elem_size bytes:
 * dense, their product; strided, up to the end of the last element. 0
 * and *bytes set, or VACCEL_EINVAL (a negative dim or stride, overflow). */
int vaccel_tensor_span(const struct vaccel_tensor *t, size_t elem_size,
		       uint64_t *bytes);
/* Whether a dense STRING tensor's data holds exactly the strings its
 * dims count, each NUL-ended, and nothing after them. */
bool vaccel_tensor_strings_ok(const struct vaccel_tensor *t);

/*
 * One argument of an op call. Which members are meaningful depends on the
 * descriptor's kind:
 *   SCALAR      v (integers, whatever their type, in v.i)
 *   IN/OUT/INOUT buf + len (bytes); borrowed from the caller for the call
 *   STRING      buf (NUL-terminated) + len (bytes, without the NUL)
 *   RESOURCE    buf = struct vaccel_resource *
 *   ARGS_*      buf = struct vaccel_arg[len]
 *   TENSORS_*   buf = struct vaccel_tensor[len]
 * The other members are unspecified: the native API's wrappers leave them
 * unset, so a plugin or transport reads only the ones its kind names.
 */
struct vaccel_oparg {
	union {
		int64_t i;
		float f32;
		double f64;
		float c64[2];
		double c128[2];
	} v;
	void *buf;
	uint64_t len;
};

/*
 * Where a buffer's elements lie in its span, in elements: `count` blocks of
 * `block` contiguous elements whose starts are `stride` apart, the first at
 * the span's start. A strided vector vec(n, inc) is n blocks of 1, |inc|
 * apart; a column-major matrix mat(ld, rows, cols) is cols blocks of rows,
 * ld apart. The span is then (count - 1) * stride + block elements; it has
 * gaps when count > 1 and stride > block.
 */
struct vaccel_layout {
	uint64_t count;
	uint64_t block;
	uint64_t stride;
};

struct vaccel_op_argdesc {
	const char *name;
	enum vaccel_arg_kind kind;
	enum vaccel_arg_type type;
	/* IN/OUT/INOUT: exact element count from the call's scalars, -1 if
	 * they are invalid or overflow; NULL: any length */
	int64_t (*nelems)(const struct vaccel_oparg *args);
	/* INOUT only, may be NULL: nonzero when, for this call, the op
	 * overwrites every element without reading any (gemm with beta 0
	 * into a C without gaps); the buffer then travels back only */
	int (*unread)(const struct vaccel_oparg *args);
	/* OUT/INOUT, may be NULL: where in its span this call lets the op
	 * write; 0 and *l filled when that is one matrix or vector of the
	 * size rule, nonzero when the span is all there is to say (packed
	 * or other storage, no elements, invalid scalars). A client writes
	 * back only those elements, so that the gaps between them stay the
	 * caller's (another thread's rows of the same matrix). */
	int (*layout)(const struct vaccel_oparg *args,
		      struct vaccel_layout *l);
};

struct vaccel_op_desc {
	uint32_t id;
	const char *name;
	uint32_t nr_args;
	const struct vaccel_op_argdesc *args;
	/* enum vaccel_op_flags */
	uint32_t flags;
	/* index of the `prec` scalar that types PREC buffers, -1 if none */
	int32_t prec_arg;
	/* FNV-1a of the canonical signature; peers compare it */
	uint64_t sig_hash;
};

/*
 * Ops of a user's interposer spec (vaccel-codegen, docs/codegen.md) are
 * not in the project's table: a guest's shim and a host's plugin register
 * them at load. Their names are "NAMESPACE.function" and their ids lie in
 * the namespace's block, above every project op:
 *
 *   VACCEL_OPID_USER | (FNV-1a-32(NAMESPACE) & 0x7fff) << 16 | n
 *
 * with n from 1 to 65535 (the spec's id), so an id stays the same across
 * regenerations. Two namespaces whose blocks meet cannot both register
 * (the second is refused, naming the first).
 */
#define VACCEL_OPID_USER 0x80000000u
/* The id of op n of namespace ns (ns_len bytes); 0 for an empty
 * namespace or an n out of range. */
uint32_t vaccel_user_opid(const char *ns, size_t ns_len, uint32_t n);
/*
 * Add descs[0..n) to the ops this process knows. Each must be a user op as
 * above, its descriptor valid for as long as the process runs (a plugin
 * that registers stays loaded: link it -z nodelete). An op already known
 * with the same name and signature is taken as is. VACCEL_EINVAL for a
 * malformed descriptor or an id outside its namespace's block,
 * VACCEL_EEXIST for an id or block taken otherwise; nothing is added then,
 * and a line says which op.
 */
int vaccel_ops_register(const struct vaccel_op_desc *descs, unsigned int n);
/* How many ops vaccel_op_desc_at() walks now: the project's and the
 * registered ones. */
unsigned int vaccel_op_count(void);

/* NULL for ids no op has. */
const struct vaccel_op_desc *vaccel_op_desc_by_id(uint32_t id);
const struct vaccel_op_desc *vaccel_op_desc_by_name(const char *name);
/* "gemm"; "unknown" for ids no op has. */
const char *vaccel_op_name(uint32_t id);
/* Iterate: i from 0 while non-NULL. */
const struct vaccel_op_desc *vaccel_op_desc_at(unsigned int i);

const char *vaccel_arg_kind_to_str(enum vaccel_arg_kind kind);
const char *vaccel_arg_type_to_str(enum vaccel_arg_type type);
const char *vaccel_dtype_to_str(enum vaccel_dtype dtype);
/* Bytes per element of dtype, 0 if unknown. */
size_t vaccel_dtype_size(uint32_t dtype);

/* Bytes per element of argument `idx` for this call (PREC resolved from
 * the `prec` scalar); 0 when invalid. */
size_t vaccel_op_elem_size(const struct vaccel_op_desc *op,
			   const struct vaccel_oparg *args, uint32_t idx);
/*
 * Check a call against the descriptor: every buffer's len equals its size
 * rule, strings are terminated, lists non-NULL when non-empty. On failure
 * returns VACCEL_EINVAL and, when bad_arg is non-NULL, the failing index.
 */
int vaccel_op_validate(const struct vaccel_op_desc *op,
		       const struct vaccel_oparg *args, uint32_t *bad_arg);

struct vaccel_session;
/*
 * Run op `op_id` with `args` (nr_args must match the descriptor) on the
 * plugin that implements it for this session. VACCEL_ENOTSUP (and a log
 * line naming the op) when no loaded plugin implements it. The args are
 * borrowed for the call; out buffers are written in place.
 */
int vaccel_op_call(struct vaccel_session *sess, uint32_t op_id,
		   struct vaccel_oparg *args, uint32_t nr_args);
/*
 * As vaccel_op_call, for a caller that has set every sized buffer's len
 * from its size rule itself and checked it (the shims, the agent's wire
 * decoder): the size rules are not computed again, every other check is
 * made. A call's lengths are then computed once on each side.
 */
int vaccel_op_call_sized(struct vaccel_session *sess, uint32_t op_id,
			 struct vaccel_oparg *args, uint32_t nr_args);

#ifdef __cplusplus
}
#endif
