// SPDX-License-Identifier: Apache-2.0
/*
 * The hand-made frames. Each builder appends one frame to a byte buffer;
 * lies in the header are patched in after a well-formed encoding, so each
 * frame is wrong in exactly the one way its name says.
 */
#include "frames.h"
#include "codec.h"
#include <stdlib.h>
#include <string.h>

struct bb {
	uint8_t *p;
	size_t len, cap;
	bool failed;
};

static void bb_put(struct bb *b, const void *data, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		uint8_t *p = realloc(b->p, cap);
		if (!p) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void bb_fill(struct bb *b, uint8_t byte, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bb_put(b, &byte, 1);
}

/* Patch a little-endian header field of the frame starting at `at`. */
static void patch(struct bb *b, size_t at, size_t off, uint64_t v, int n)
{
	if (b->failed || at + off + (size_t)n > b->len)
		return;
	for (int i = 0; i < n; i++)
		b->p[at + off + (size_t)i] = (uint8_t)(v >> (8 * i));
}
#define HDR_MAGIC 0
#define HDR_VERSION 4
#define HDR_KIND 6
#define HDR_META_LEN 16
#define HDR_RAW_LEN 24

/* A well-formed frame: header, meta, `raw_n` raw bytes (of `raw`, or a
 * counting pattern when raw is NULL). Returns the frame's offset. */
static size_t emit(struct bb *b, uint16_t kind, const struct wbuf *m,
		   const void *raw, uint64_t raw_n)
{
	uint8_t hdr[WIRE_HDR_SIZE];
	struct wire_hdr h = {
	    .magic = WIRE_MAGIC,
	    .version = WIRE_VERSION,
	    .kind = kind,
	    .req_id = FX_REQ,
	    .meta_len = m ? (uint32_t)m->len : 0,
	    .raw_len = raw_n,
	};
	size_t at = b->len;
	if (m && m->failed)
		b->failed = true;
	wire_hdr_encode(&h, hdr);
	bb_put(b, hdr, sizeof(hdr));
	if (m)
		bb_put(b, m->data, m->len);
	if (raw) {
		bb_put(b, raw, (size_t)raw_n);
	} else {
		for (uint64_t i = 0; i < raw_n; i++) {
			uint8_t c = (uint8_t)(i * 29 + 3);
			bb_put(b, &c, 1);
		}
	}
	return at;
}

static uint64_t sig(uint32_t op)
{
	return vaccel_op_desc_by_id(op)->sig_hash;
}

static void head(struct wbuf *m, uint64_t op, uint64_t hash, int64_t sess,
		 uint32_t nr_args)
{
	mp_put_array(m, 4);
	mp_put_uint(m, op);
	mp_put_uint(m, hash);
	mp_put_int(m, sess);
	mp_put_array(m, nr_args);
}

static void complex(struct wbuf *m, double re, double im)
{
	mp_put_array(m, 2);
	mp_put_f64(m, re);
	mp_put_f64(m, im);
}

/* ---- well-formed pieces ------------------------------------------------- */

static void hello_meta(struct wbuf *m, uint64_t version, size_t key_len)
{
	uint8_t key[WIRE_KEY_SIZE];
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0x11 * (i + 1));
	mp_put_array(m, 4);
	mp_put_uint(m, version);
	mp_put_bin(m, key, key_len);
	mp_put_nil(m);
	mp_put_array(m, VACCEL_OPS_COUNT);
	for (unsigned int i = 0; vaccel_op_desc_at(i); i++) {
		mp_put_array(m, 2);
		mp_put_uint(m, vaccel_op_desc_at(i)->id);
		mp_put_uint(m, vaccel_op_desc_at(i)->sig_hash);
	}
}

static size_t noop_call(struct bb *b, int64_t sess)
{
	struct wbuf m = {0};
	head(&m, VACCEL_OPID_NOOP, sig(VACCEL_OPID_NOOP), sess, 0);
	size_t at = emit(b, WIRE_CALL, &m, NULL, 0);
	wbuf_free(&m);
	return at;
}

/* A 2x2 sgemm call's header and scalars up to alpha; A comes next. */
static void gemm_head(struct wbuf *m, uint64_t hash)
{
	head(m, VACCEL_OPID_GEMM, hash, FX_SESSION, VACCEL_GEMM_NR_ARGS);
	mp_put_int(m, VACCEL_BLAS_S);
	mp_put_int(m, VACCEL_BLAS_COL);
	mp_put_int(m, VACCEL_BLAS_NOTRANS);
	mp_put_int(m, VACCEL_BLAS_NOTRANS);
	mp_put_int(m, 2);
	mp_put_int(m, 2);
	mp_put_int(m, 2);
	complex(m, 1.0, 0.0);
}

/* gemm, single precision, 2x2 times 2x2: 16 bytes per matrix. `c_len`
 * may lie about C; `hash` about the signature. */
static size_t gemm_call(struct bb *b, uint64_t hash, uint64_t c_len)
{
	struct wbuf m = {0};
	gemm_head(&m, hash);
	mp_put_uint(&m, 16);
	mp_put_int(&m, 2);
	mp_put_uint(&m, 16);
	mp_put_int(&m, 2);
	complex(&m, 0.5, 0.0);
	mp_put_uint(&m, c_len);
	mp_put_int(&m, 2);
	size_t at = emit(b, WIRE_CALL, &m, NULL, 32 + c_len);
	wbuf_free(&m);
	return at;
}

/* gemm, single precision, 2x2, with A and B one region: A is
 * [16, A, 0, span] and B [16, b_lead, b_off]. The raw part is the region. */
static void gemm_aliased_call(struct bb *b, uint64_t span, uint64_t b_lead,
			      uint64_t b_off)
{
	struct wbuf m = {0};
	gemm_head(&m, sig(VACCEL_OPID_GEMM));
	mp_put_array(&m, 4);
	mp_put_uint(&m, 16);
	mp_put_uint(&m, VACCEL_GEMM_A);
	mp_put_uint(&m, 0);
	mp_put_uint(&m, span);
	mp_put_int(&m, 2);
	if (b_lead == UINT64_MAX) {
		mp_put_uint(&m, 16);
	} else {
		mp_put_array(&m, 3);
		mp_put_uint(&m, 16);
		mp_put_uint(&m, b_lead);
		mp_put_uint(&m, b_off);
	}
	mp_put_int(&m, 2);
	complex(&m, 0.5, 0.0);
	mp_put_uint(&m, 16);
	mp_put_int(&m, 2);
	emit(b, WIRE_CALL, &m, NULL,
	     span + (b_lead == UINT64_MAX ? 16 : 0) + 16);
	wbuf_free(&m);
}

/* A times A: one 16-byte region for both. */
static void good_gemm_aliased(struct bb *b)
{
	gemm_aliased_call(b, 16, VACCEL_GEMM_A, 0);
}

/* B names the transa scalar as its region's lead. */
static void bad_alias_lead_not_region(struct bb *b)
{
	gemm_aliased_call(b, 16, VACCEL_GEMM_TRANSA, 0);
}

/* A's region with no other member. */
static void bad_alias_lone_region(struct bb *b)
{
	gemm_aliased_call(b, 16, UINT64_MAX, 0);
}

/* B 8 bytes past the end of the region. */
static void bad_alias_outside_region(struct bb *b)
{
	gemm_aliased_call(b, 16, VACCEL_GEMM_A, 8);
}

/* A region larger than its members cover. */
static void bad_alias_region_gap(struct bb *b)
{
	gemm_aliased_call(b, 64, VACCEL_GEMM_A, 0);
}

/* image_classify with the given lengths; raw carries img_len bytes. */
static size_t classify_call(struct bb *b, uint64_t img_len, uint64_t text_len,
			    uint64_t name_len)
{
	struct wbuf m = {0};
	head(&m, VACCEL_OPID_IMAGE_CLASSIFY, sig(VACCEL_OPID_IMAGE_CLASSIFY),
	     FX_SESSION, 3);
	mp_put_uint(&m, img_len);
	mp_put_uint(&m, text_len);
	mp_put_uint(&m, name_len);
	size_t at = emit(b, WIRE_CALL, &m, NULL, img_len);
	wbuf_free(&m);
	return at;
}

/* model_run with one input tensor described by the arguments. */
static void model_run_call(struct bb *b, uint64_t dtype, uint32_t ndim,
			   const int64_t *dims, uint64_t size)
{
	struct wbuf m = {0};
	head(&m, VACCEL_OPID_MODEL_RUN, sig(VACCEL_OPID_MODEL_RUN), FX_SESSION,
	     3);
	mp_put_uint(&m, 1);
	mp_put_array(&m, 1);
	mp_put_array(&m, 3);
	mp_put_uint(&m, dtype);
	mp_put_array(&m, ndim);
	for (uint32_t i = 0; i < ndim; i++)
		mp_put_int(&m, dims[i]);
	mp_put_uint(&m, size);
	mp_put_array(&m, 1);
	mp_put_uint(&m, 32);
	emit(b, WIRE_CALL, &m, NULL, size);
	wbuf_free(&m);
}

/* exec with raw `read` entries: [[type, size]...], bytes in raw. */
static void exec_call(struct bb *b, const char *lib, size_t lib_len,
		      uint64_t read_size, uint64_t write_size)
{
	struct wbuf m = {0};
	head(&m, VACCEL_OPID_EXEC, sig(VACCEL_OPID_EXEC), FX_SESSION, 4);
	mp_put_str(&m, lib, lib_len);
	mp_put_str(&m, "entry", 5);
	mp_put_array(&m, 1);
	mp_put_array(&m, 2);
	mp_put_uint(&m, 1);
	mp_put_uint(&m, read_size);
	mp_put_array(&m, 1);
	mp_put_array(&m, 2);
	mp_put_uint(&m, 2);
	mp_put_uint(&m, write_size);
	emit(b, WIRE_CALL, &m, NULL, read_size <= 4096 ? read_size : 0);
	wbuf_free(&m);
}

static void ctrl(struct bb *b, const struct wbuf *m, const void *raw,
		 uint64_t raw_n)
{
	emit(b, WIRE_CTRL, m, raw, raw_n);
}

/* ---- the frames --------------------------------------------------------- */

static void good_hello(struct bb *b)
{
	struct wbuf m = {0};
	hello_meta(&m, WIRE_VERSION, WIRE_KEY_SIZE);
	emit(b, WIRE_HELLO, &m, NULL, 0);
	wbuf_free(&m);
}

static void good_sess_new(struct bb *b)
{
	struct wbuf m = {0};
	mp_put_array(&m, 2);
	mp_put_uint(&m, WIRE_CTRL_SESS_NEW);
	mp_put_uint(&m, 0);
	ctrl(b, &m, NULL, 0);
	wbuf_free(&m);
}

static void good_res_new(struct bb *b)
{
	struct wbuf m = {0};
	mp_put_array(&m, 3);
	mp_put_uint(&m, WIRE_CTRL_RES_NEW);
	mp_put_uint(&m, VACCEL_RESOURCE_MODEL);
	mp_put_array(&m, 2);
	mp_put_array(&m, 2);
	mp_put_str(&m, "model.onnx", 10);
	mp_put_uint(&m, 12);
	mp_put_array(&m, 2);
	mp_put_str(&m, "labels.txt", 10);
	mp_put_uint(&m, 0);
	ctrl(b, &m, "twelve bytes", 12);
	wbuf_free(&m);
}

static void good_noop(struct bb *b)
{
	noop_call(b, FX_SESSION);
}

static void good_gemm(struct bb *b)
{
	gemm_call(b, sig(VACCEL_OPID_GEMM), 16);
}

static void good_exec(struct bb *b)
{
	exec_call(b, "libdemo.so", 10, 4, 8);
}

static void good_model_run(struct bb *b)
{
	const int64_t dims[2] = {2, 2};
	model_run_call(b, VACCEL_DTYPE_F32, 2, dims, 16);
}

static void good_classify(struct bb *b)
{
	classify_call(b, 100, 16, 16);
}

static void bad_random_bytes(struct bb *b)
{
	uint64_t x = 0x9E3779B97F4A7C15ull;
	for (int i = 0; i < 64; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint8_t c = (uint8_t)(x >> 32);
		bb_put(b, &c, 1);
	}
	/* never the magic by chance */
	if (!b->failed && b->p[0] == 'V')
		b->p[0] = 'v';
}

static void bad_truncated_header(struct bb *b)
{
	noop_call(b, FX_SESSION);
	if (!b->failed)
		b->len = 20;
}

static void bad_meta_len_beyond_frame(struct bb *b)
{
	size_t at = noop_call(b, FX_SESSION);
	patch(b, at, HDR_META_LEN, 4096, 4);
}

static void bad_array_2pow32(struct bb *b)
{
	static const uint8_t arr[5] = {0xdd, 0xff, 0xff, 0xff, 0xff};
	emit(b, WIRE_CALL, NULL, NULL, 0);
	patch(b, 0, HDR_META_LEN, sizeof(arr), 4);
	bb_put(b, arr, sizeof(arr));
}

static void bad_hello_array_2pow32(struct bb *b)
{
	static const uint8_t arr[5] = {0xdd, 0xff, 0xff, 0xff, 0xff};
	emit(b, WIRE_HELLO, NULL, NULL, 0);
	patch(b, 0, HDR_META_LEN, sizeof(arr), 4);
	bb_put(b, arr, sizeof(arr));
}

static void bad_meta_len_over_limit(struct bb *b)
{
	emit(b, WIRE_CALL, NULL, NULL, 0);
	patch(b, 0, HDR_META_LEN, 0xffffffffu, 4);
}

static void bad_raw_len_over_limit(struct bb *b)
{
	emit(b, WIRE_CALL, NULL, NULL, 0);
	patch(b, 0, HDR_RAW_LEN, 1ull << 40, 8);
}

static void bad_raw_len_short(struct bb *b)
{
	size_t at = classify_call(b, 16, 8, 8);
	patch(b, at, HDR_RAW_LEN, 8, 8);
}

static void bad_raw_len_long(struct bb *b)
{
	size_t at = classify_call(b, 16, 8, 8);
	patch(b, at, HDR_RAW_LEN, 32, 8);
}

static void bad_raw_len_huge_lie(struct bb *b)
{
	size_t at = classify_call(b, 16, 8, 8);
	patch(b, at, HDR_RAW_LEN, 1ull << 30, 8);
}

static void bad_call_before_hello(struct bb *b)
{
	noop_call(b, FX_SESSION);
}

static void bad_ctrl_before_hello(struct bb *b)
{
	good_sess_new(b);
}

static void bad_call_wrong_arg_count(struct bb *b)
{
	struct wbuf m = {0};
	head(&m, VACCEL_OPID_GEMM, sig(VACCEL_OPID_GEMM), FX_SESSION, 3);
	mp_put_int(&m, 0);
	mp_put_int(&m, VACCEL_BLAS_COL);
	mp_put_int(&m, VACCEL_BLAS_NOTRANS);
	emit(b, WIRE_CALL, &m, NULL, 0);
	wbuf_free(&m);
}

static void bad_call_noop_with_args(struct bb *b)
{
	struct wbuf m = {0};
	head(&m, VACCEL_OPID_NOOP, sig(VACCEL_OPID_NOOP), FX_SESSION, 1);
	mp_put_int(&m, 0);
	emit(b, WIRE_CALL, &m, NULL, 0);
	wbuf_free(&m);
}

static void bad_call_out_over_rule(struct bb *b)
{
	/* dot's result is one complex double (16 bytes); ask for 1 GiB */
	struct wbuf m = {0};
	head(&m, VACCEL_OPID_DOT, sig(VACCEL_OPID_DOT), FX_SESSION,
	     VACCEL_DOT_NR_ARGS);
	mp_put_int(&m, VACCEL_BLAS_S);
	mp_put_int(&m, 0);
	mp_put_int(&m, 1);
	mp_put_uint(&m, 4);
	mp_put_int(&m, 1);
	mp_put_uint(&m, 4);
	mp_put_int(&m, 1);
	mp_put_uint(&m, 1ull << 30);
	emit(b, WIRE_CALL, &m, NULL, 8);
	wbuf_free(&m);
}

static void bad_call_inout_over_rule(struct bb *b)
{
	gemm_call(b, sig(VACCEL_OPID_GEMM), 20);
}

static void bad_call_out_star_over_limit(struct bb *b)
{
	classify_call(b, 4, 1ull << 40, 1);
}

static void bad_call_over_memory_budget(struct bb *b)
{
	/* within the buffer limit, over the agent's --max-memory 1G */
	classify_call(b, 4, 768ull << 20, 768ull << 20);
}

static void bad_call_unknown_op(struct bb *b)
{
	struct wbuf m = {0};
	head(&m, 9999, 0x1234, FX_SESSION, 0);
	emit(b, WIRE_CALL, &m, NULL, 0);
	wbuf_free(&m);
}

static void bad_call_op_id_huge(struct bb *b)
{
	struct wbuf m = {0};
	head(&m, 1ull << 40, sig(VACCEL_OPID_NOOP), FX_SESSION, 0);
	emit(b, WIRE_CALL, &m, NULL, 0);
	wbuf_free(&m);
}

static void bad_call_wrong_sig(struct bb *b)
{
	gemm_call(b, sig(VACCEL_OPID_GEMM) ^ 0x5a5a, 16);
}

static void bad_magic(struct bb *b)
{
	size_t at = noop_call(b, FX_SESSION);
	patch(b, at, HDR_MAGIC, 0x58585858u, 4);
}

static void bad_kind_unknown(struct bb *b)
{
	size_t at = noop_call(b, FX_SESSION);
	patch(b, at, HDR_KIND, 77, 2);
}

static void bad_kind_reply_from_client(struct bb *b)
{
	size_t at = noop_call(b, FX_SESSION);
	patch(b, at, HDR_KIND, WIRE_CALL_REPLY, 2);
}

static void bad_hello_version_99(struct bb *b)
{
	struct wbuf m = {0};
	hello_meta(&m, 99, WIRE_KEY_SIZE);
	size_t at = emit(b, WIRE_HELLO, &m, NULL, 0);
	patch(b, at, HDR_VERSION, 99, 2);
	wbuf_free(&m);
}

static void bad_hello_meta_version_99(struct bb *b)
{
	struct wbuf m = {0};
	hello_meta(&m, 99, WIRE_KEY_SIZE);
	emit(b, WIRE_HELLO, &m, NULL, 0);
	wbuf_free(&m);
}

static void bad_hello_short_key(struct bb *b)
{
	struct wbuf m = {0};
	hello_meta(&m, WIRE_VERSION, 3);
	emit(b, WIRE_HELLO, &m, NULL, 0);
	wbuf_free(&m);
}

static void bad_call_version_2(struct bb *b)
{
	size_t at = noop_call(b, FX_SESSION);
	patch(b, at, HDR_VERSION, 2, 2);
}

static void bad_ctrl_unknown(struct bb *b)
{
	struct wbuf m = {0};
	mp_put_array(&m, 2);
	mp_put_uint(&m, 99);
	mp_put_uint(&m, 0);
	ctrl(b, &m, NULL, 0);
	wbuf_free(&m);
}

static void res_new_one(struct bb *b, const char *name, uint64_t size,
			uint64_t raw_n)
{
	struct wbuf m = {0};
	mp_put_array(&m, 3);
	mp_put_uint(&m, WIRE_CTRL_RES_NEW);
	mp_put_uint(&m, VACCEL_RESOURCE_LIB);
	mp_put_array(&m, 1);
	mp_put_array(&m, 2);
	mp_put_str(&m, name, strlen(name));
	mp_put_uint(&m, size);
	ctrl(b, &m, NULL, raw_n);
	wbuf_free(&m);
}

static void bad_ctrl_res_new_size_lie(struct bb *b)
{
	res_new_one(b, "lib.so", 10, 5);
}

static void bad_ctrl_res_new_dotdot(struct bb *b)
{
	res_new_one(b, "..", 3, 3);
}

static void bad_ctrl_res_new_slash(struct bb *b)
{
	res_new_one(b, "../../etc/passwd", 4, 4);
}

static void bad_ctrl_res_new_huge_count(struct bb *b)
{
	static const uint8_t arr[5] = {0xdd, 0xff, 0xff, 0xff, 0xff};
	struct wbuf m = {0};
	mp_put_array(&m, 3);
	mp_put_uint(&m, WIRE_CTRL_RES_NEW);
	mp_put_uint(&m, VACCEL_RESOURCE_LIB);
	size_t at = emit(b, WIRE_CTRL, &m, NULL, 0);
	patch(b, at, HDR_META_LEN, m.len + sizeof(arr), 4);
	bb_put(b, arr, sizeof(arr));
	wbuf_free(&m);
}

static void bad_ctrl_raw_on_sess_new(struct bb *b)
{
	struct wbuf m = {0};
	mp_put_array(&m, 2);
	mp_put_uint(&m, WIRE_CTRL_SESS_NEW);
	mp_put_uint(&m, 0);
	ctrl(b, &m, "abcd", 4);
	wbuf_free(&m);
}

static void bad_call_tensor_size(struct bb *b)
{
	const int64_t dims[2] = {2, 3};
	model_run_call(b, VACCEL_DTYPE_F32, 2, dims, 7);
}

static void bad_call_tensor_9_dims(struct bb *b)
{
	const int64_t dims[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
	model_run_call(b, VACCEL_DTYPE_F32, 9, dims, 4);
}

static void bad_call_tensor_negative_dim(struct bb *b)
{
	const int64_t dims[2] = {-1, -4};
	model_run_call(b, VACCEL_DTYPE_F32, 2, dims, 16);
}

static void bad_call_tensor_dims_overflow(struct bb *b)
{
	const int64_t dims[3] = {1ll << 40, 1ll << 40, 1ll << 40};
	model_run_call(b, VACCEL_DTYPE_F64, 3, dims, 8);
}

static void bad_call_string_nul(struct bb *b)
{
	exec_call(b, "li\0b.so", 7, 4, 8);
}

static void bad_call_args_size_2pow33(struct bb *b)
{
	exec_call(b, "libdemo.so", 10, 4, 1ull << 33);
}

static void bad_call_scalar_range(struct bb *b)
{
	struct wbuf m = {0};
	head(&m, VACCEL_OPID_GEMM, sig(VACCEL_OPID_GEMM), FX_SESSION,
	     VACCEL_GEMM_NR_ARGS);
	mp_put_int(&m, 1ll << 33);
	for (int i = 1; i < VACCEL_GEMM_NR_ARGS; i++)
		mp_put_int(&m, 0);
	emit(b, WIRE_CALL, &m, NULL, 0);
	wbuf_free(&m);
}

/* gemm 2x2x2, column-major, lda = 1: A spans ld * (k - 1) + m = 3
 * elements, which the size rule takes (and the frame sends); the
 * reference BLAS refuses lda < max(1, m), and so must the agent, whatever
 * its backend. */
static void bad_call_blas_lda(struct bb *b)
{
	struct wbuf m = {0};
	gemm_head(&m, sig(VACCEL_OPID_GEMM));
	mp_put_uint(&m, 12);
	mp_put_int(&m, 1);
	mp_put_uint(&m, 16);
	mp_put_int(&m, 2);
	complex(&m, 0.5, 0.0);
	mp_put_uint(&m, 16);
	mp_put_int(&m, 2);
	emit(b, WIRE_CALL, &m, NULL, 12 + 16 + 16);
	wbuf_free(&m);
}

static void bad_call_float_for_int(struct bb *b)
{
	struct wbuf m = {0};
	head(&m, VACCEL_OPID_GEMM, sig(VACCEL_OPID_GEMM), FX_SESSION,
	     VACCEL_GEMM_NR_ARGS);
	mp_put_f64(&m, 0.0);
	for (int i = 1; i < VACCEL_GEMM_NR_ARGS; i++)
		mp_put_int(&m, 0);
	emit(b, WIRE_CALL, &m, NULL, 0);
	wbuf_free(&m);
}

static void bad_call_trailing_bytes(struct bb *b)
{
	struct wbuf m = {0};
	head(&m, VACCEL_OPID_NOOP, sig(VACCEL_OPID_NOOP), FX_SESSION, 0);
	mp_put_nil(&m);
	emit(b, WIRE_CALL, &m, NULL, 0);
	wbuf_free(&m);
}

static void bad_call_list_over_max(struct bb *b)
{
	/* 65537 entries claimed, with enough bytes that only the list
	 * limit (64 Ki) refuses it */
	const uint32_t n = (1u << 16) + 1;
	struct wbuf m = {0};
	head(&m, VACCEL_OPID_GENOP, sig(VACCEL_OPID_GENOP), FX_SESSION, 2);
	mp_put_array(&m, n);
	size_t at = emit(b, WIRE_CALL, &m, NULL, 0);
	patch(b, at, HDR_META_LEN, m.len + n, 4);
	bb_fill(b, 0xc0, n);
	wbuf_free(&m);
}

static void bad_call_unknown_session(struct bb *b)
{
	noop_call(b, 999);
}

static void bad_call_unknown_resource(struct bb *b)
{
	struct wbuf m = {0};
	head(&m, VACCEL_OPID_EXEC_WITH_RESOURCE,
	     sig(VACCEL_OPID_EXEC_WITH_RESOURCE), FX_SESSION, 4);
	mp_put_int(&m, 999);
	mp_put_str(&m, "entry", 5);
	mp_put_array(&m, 0);
	mp_put_array(&m, 0);
	emit(b, WIRE_CALL, &m, NULL, 0);
	wbuf_free(&m);
}

static void bad_call_empty_meta(struct bb *b)
{
	emit(b, WIRE_CALL, NULL, NULL, 0);
}

static void bad_call_meta_nil(struct bb *b)
{
	struct wbuf m = {0};
	mp_put_nil(&m);
	emit(b, WIRE_CALL, &m, NULL, 0);
	wbuf_free(&m);
}

static void bad_call_negative_length(struct bb *b)
{
	struct wbuf m = {0};
	head(&m, VACCEL_OPID_IMAGE_CLASSIFY, sig(VACCEL_OPID_IMAGE_CLASSIFY),
	     FX_SESSION, 3);
	mp_put_int(&m, -1);
	mp_put_uint(&m, 8);
	mp_put_uint(&m, 8);
	emit(b, WIRE_CALL, &m, NULL, 0);
	wbuf_free(&m);
}

#define E(x) VACCEL_##x
static const struct {
	const char *name;
	void (*build)(struct bb *b);
	bool after_hello;
	int expect;
	bool usable;
	const char *why;
} cases[] = {
    /* seeds that must work */
    {"itest-good-hello.bin", good_hello, false, E(OK), true,
     "a well-formed HELLO"},
    {"itest-good-ctrl-sess-new.bin", good_sess_new, true, E(OK), true,
     "SESS_NEW"},
    {"itest-good-ctrl-res-new.bin", good_res_new, true, E(OK), true,
     "RES_NEW with two files, one empty"},
    {"itest-good-call-noop.bin", good_noop, true, E(OK), true, "noop"},
    {"itest-good-call-gemm.bin", good_gemm, true, E(OK), true, "a 2x2 sgemm"},
    {"itest-good-call-gemm-aliased.bin", good_gemm_aliased, true, E(OK), true,
     "a 2x2 sgemm of A times A, one region for both"},
    {"itest-good-call-exec.bin", good_exec, true, E(OK), true,
     "exec with argument lists"},
    {"itest-good-call-model-run.bin", good_model_run, true, E(OK), true,
     "model_run with tensors"},
    {"itest-good-call-image-classify.bin", good_classify, true, E(OK), true,
     "image_classify with *-sized buffers"},
    /* bytes that are not a frame */
    {"itest-bad-random-bytes.bin", bad_random_bytes, true, E(EBACKEND), false,
     "64 random bytes"},
    {"itest-bad-truncated-header.bin", bad_truncated_header, true, FX_CLOSE,
     false, "20 bytes of a header, then EOF"},
    {"itest-bad-magic.bin", bad_magic, true, E(EBACKEND), false,
     "a header with the wrong magic"},
    {"itest-bad-kind-unknown.bin", bad_kind_unknown, true, E(EBACKEND), false,
     "frame kind 77"},
    {"itest-bad-kind-reply-from-client.bin", bad_kind_reply_from_client, true,
     FX_CLOSE, false, "a CALL_REPLY sent to the agent"},
    /* lengths that lie */
    {"itest-bad-meta-len-beyond-frame.bin", bad_meta_len_beyond_frame, true,
     FX_CLOSE, false, "meta_len larger than the bytes sent"},
    {"itest-bad-meta-len-over-limit.bin", bad_meta_len_over_limit, true,
     E(EMSGSIZE), false, "meta_len 4 GiB, over the limit"},
    {"itest-bad-raw-len-over-limit.bin", bad_raw_len_over_limit, true,
     E(EMSGSIZE), false, "raw_len 1 TiB, over the limit"},
    {"itest-bad-raw-len-short.bin", bad_raw_len_short, true, E(EINVAL), false,
     "raw_len smaller than the arguments declare"},
    {"itest-bad-raw-len-long.bin", bad_raw_len_long, true, FX_CLOSE, false,
     "raw_len larger than the arguments declare and sent"},
    {"itest-bad-raw-len-huge-lie.bin", bad_raw_len_huge_lie, true, FX_CLOSE,
     false, "raw_len 1 GiB on a refused call (no drain)"},
    {"itest-bad-array-2pow32.bin", bad_array_2pow32, true, E(EBACKEND), true,
     "a 5-byte meta: an array header claiming 2^32-1 elements"},
    {"itest-bad-hello-array-2pow32.bin", bad_hello_array_2pow32, false,
     E(EINVAL), false, "a HELLO whose meta is a 2^32-1 array header"},
    /* handshake */
    {"itest-bad-call-before-hello.bin", bad_call_before_hello, false, E(EPERM),
     false, "a CALL before HELLO"},
    {"itest-bad-ctrl-before-hello.bin", bad_ctrl_before_hello, false, E(EPERM),
     false, "a CTRL before HELLO"},
    {"itest-bad-hello-version-99.bin", bad_hello_version_99, false,
     E(EPROTO_VERSION), false, "HELLO of protocol version 99"},
    {"itest-bad-hello-meta-version-99.bin", bad_hello_meta_version_99, false,
     E(EPROTO_VERSION), false, "HELLO whose meta says version 99"},
    {"itest-bad-hello-short-key.bin", bad_hello_short_key, false, E(EINVAL),
     false, "HELLO with a 3-byte key"},
    {"itest-bad-call-version-2.bin", bad_call_version_2, true, FX_CLOSE, false,
     "a CALL frame of version 2 mid-conversation"},
    /* calls */
    {"itest-bad-alias-lead-not-region.bin", bad_alias_lead_not_region, true,
     E(EINVAL), true, "B's region lead is a scalar"},
    {"itest-bad-alias-lone-region.bin", bad_alias_lone_region, true, E(EINVAL),
     true, "a region of one member"},
    {"itest-bad-alias-outside-region.bin", bad_alias_outside_region, true,
     E(EINVAL), true, "B 8 bytes past its region's end"},
    {"itest-bad-alias-region-gap.bin", bad_alias_region_gap, true, E(EINVAL),
     true, "a 64-byte region its 16-byte members do not cover"},
    {"itest-bad-call-wrong-arg-count.bin", bad_call_wrong_arg_count, true,
     E(EBACKEND), true, "gemm with 3 arguments"},
    {"itest-bad-call-noop-with-args.bin", bad_call_noop_with_args, true,
     E(EBACKEND), true, "noop with an argument"},
    {"itest-bad-call-out-over-rule.bin", bad_call_out_over_rule, true,
     E(EINVAL), true, "dot's 16-byte result asked as 1 GiB"},
    {"itest-bad-call-inout-over-rule.bin", bad_call_inout_over_rule, true,
     E(EINVAL), true, "gemm's C 4 bytes longer than its rule"},
    {"itest-bad-call-out-star-over-limit.bin", bad_call_out_star_over_limit,
     true, E(EMSGSIZE), true, "a *-sized out buffer of 1 TiB"},
    {"itest-bad-call-over-memory-budget.bin", bad_call_over_memory_budget, true,
     E(ENOMEM), true,
     "1.5 GiB of out buffers against --max-memory " FX_MAX_MEMORY},
    {"itest-bad-call-unknown-op.bin", bad_call_unknown_op, true, E(ENOTSUP),
     true, "op id 9999"},
    {"itest-bad-call-op-id-huge.bin", bad_call_op_id_huge, true, E(ENOTSUP),
     true, "op id 2^40"},
    {"itest-bad-call-wrong-sig.bin", bad_call_wrong_sig, true, E(EBACKEND),
     true, "gemm with another signature hash"},
    {"itest-bad-call-blas-lda.bin", bad_call_blas_lda, true, E(EINVAL), true,
     "gemm whose lda the size rule takes and BLAS refuses"},
    {"itest-bad-call-scalar-range.bin", bad_call_scalar_range, true, E(EINVAL),
     true, "a u32 scalar of 2^33"},
    {"itest-bad-call-float-for-int.bin", bad_call_float_for_int, true,
     E(EINVAL), true, "a float where an integer belongs"},
    {"itest-bad-call-trailing-bytes.bin", bad_call_trailing_bytes, true,
     E(EINVAL), true, "a byte after the call's meta"},
    {"itest-bad-call-list-over-max.bin", bad_call_list_over_max, true,
     E(EINVAL), true, "an argument list of 65537 entries"},
    {"itest-bad-call-args-size-2pow33.bin", bad_call_args_size_2pow33, true,
     E(EINVAL), true, "an exec out entry of 2^33 bytes"},
    {"itest-bad-call-string-nul.bin", bad_call_string_nul, true, E(EINVAL),
     true, "a string with a NUL inside"},
    {"itest-bad-call-tensor-size.bin", bad_call_tensor_size, true, E(EINVAL),
     true, "a tensor whose size does not match its shape"},
    {"itest-bad-call-tensor-9-dims.bin", bad_call_tensor_9_dims, true,
     E(EINVAL), true, "a tensor of 9 dimensions"},
    {"itest-bad-call-tensor-negative-dim.bin", bad_call_tensor_negative_dim,
     true, E(EINVAL), true, "a tensor with negative dimensions"},
    {"itest-bad-call-tensor-dims-overflow.bin", bad_call_tensor_dims_overflow,
     true, E(EINVAL), true, "a tensor whose element count overflows"},
    {"itest-bad-call-negative-length.bin", bad_call_negative_length, true,
     E(EINVAL), true, "a buffer length of -1"},
    {"itest-bad-call-unknown-session.bin", bad_call_unknown_session, true,
     E(ENOENT), true, "a session this client does not have"},
    {"itest-bad-call-unknown-resource.bin", bad_call_unknown_resource, true,
     E(ENOENT), true, "a resource this client does not have"},
    {"itest-bad-call-empty-meta.bin", bad_call_empty_meta, true, E(EBACKEND),
     true, "a CALL with no meta"},
    {"itest-bad-call-meta-nil.bin", bad_call_meta_nil, true, E(EBACKEND), true,
     "a CALL whose meta is nil"},
    /* control requests */
    {"itest-bad-ctrl-unknown.bin", bad_ctrl_unknown, true, E(EINVAL), true,
     "control request 99"},
    {"itest-bad-ctrl-res-new-size-lie.bin", bad_ctrl_res_new_size_lie, true,
     E(EINVAL), true, "RES_NEW declaring 10 bytes, carrying 5"},
    {"itest-bad-ctrl-res-new-dotdot.bin", bad_ctrl_res_new_dotdot, true,
     E(EINVAL), true, "RES_NEW of a file named '..'"},
    {"itest-bad-ctrl-res-new-slash.bin", bad_ctrl_res_new_slash, true,
     E(EINVAL), true, "RES_NEW of a file named with slashes"},
    {"itest-bad-ctrl-res-new-huge-count.bin", bad_ctrl_res_new_huge_count, true,
     E(EINVAL), true, "RES_NEW claiming 2^32-1 files"},
    {"itest-bad-ctrl-raw-on-sess-new.bin", bad_ctrl_raw_on_sess_new, true,
     E(EINVAL), false, "SESS_NEW carrying raw bytes"},
};
#undef E

unsigned int fx_count(void)
{
	return sizeof(cases) / sizeof(cases[0]);
}

int fx_build(struct fx_frame *f, unsigned int i)
{
	struct bb b = {0};
	memset(f, 0, sizeof(*f));
	if (i >= fx_count())
		return -1;
	cases[i].build(&b);
	if (b.failed) {
		free(b.p);
		return -1;
	}
	f->name = cases[i].name;
	f->why = cases[i].why;
	f->data = b.p;
	f->len = b.len;
	f->after_hello = cases[i].after_hello;
	f->expect = cases[i].expect;
	f->usable = cases[i].usable;
	return 0;
}

void fx_free(struct fx_frame *f)
{
	free(f->data);
	f->data = NULL;
	f->len = 0;
}
