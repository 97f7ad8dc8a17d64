// SPDX-License-Identifier: Apache-2.0
/*
 * The transport conformance suite: what every transport must do, checked
 * through a real vaccel-agent serving the noop plugin. meson runs this
 * binary once per transport (ITEST_TRANSPORT=unix, tcp, vsock, shm); vsock
 * skips, saying why, where the kernel cannot connect a vsock stream locally.
 */
#include "client.h"
#include "harness.h"
#include "opcall.h"
#include "shm.h"
#include <poll.h>
#include <sys/eventfd.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

TestSuite(conformance, .init = itest_init, .fini = itest_fini, .timeout = 300);

/* Does `s` contain the number n, not as part of a longer number? */
static bool mentions_number(const char *s, long n)
{
	char want[24];
	int wl = snprintf(want, sizeof(want), "%ld", n);
	for (const char *p = strstr(s, want); p; p = strstr(p + 1, want)) {
		bool before = p > s && isdigit((unsigned char)p[-1]);
		bool after = isdigit((unsigned char)p[wl]);
		if (!before && !after)
			return true;
	}
	return false;
}

static void res_from_buf(struct vaccel_resource *res, const char *name)
{
	static const char bytes[] = "model bytes for the agent";
	assert_ok(vaccel_resource_init_from_buf(res, bytes, sizeof(bytes),
						VACCEL_RESOURCE_MODEL, name));
}

Test(conformance, every_op_through_op_call)
{
	itest_begin(NULL);
	struct vaccel_session sess;
	struct vaccel_resource res;
	assert_ok(vaccel_session_init(&sess, 0));
	res_from_buf(&res, "model.bin");
	assert_ok(vaccel_resource_register(&res, &sess));

	unsigned int nops = 0, ncalls = 0;
	for (const struct vaccel_op_desc *op; (op = vaccel_op_desc_at(nops));
	     nops++) {
		/* 8 variants: four precisions times two layouts, both
		 * transpose and side choices */
		/* genop becomes the op it names (native_wrappers) */
		for (unsigned int v = 0; v < 8 && op->id != VACCEL_OPID_GENOP;
		     v++) {
			struct opcall c;
			char what[64];
			opcall_build(&c, op, v, &res);
			int ret =
			    vaccel_op_call(&sess, op->id, c.args, op->nr_args);
			cr_assert_eq(ret, VACCEL_OK,
				     "op %s variant %u: got %s, want VACCEL_OK",
				     op->name, v, vaccel_error_to_str(ret));
			opcall_take_outputs(&c);
			snprintf(what, sizeof(what), "variant %u", v);
			opcall_check(&c, what);
			opcall_free(&c);
			ncalls++;
		}
	}
	cr_assert_eq(nops, VACCEL_OPS_COUNT, "walked %u ops of %u", nops,
		     VACCEL_OPS_COUNT);
	cr_log_info("%u calls of %u ops over %s", ncalls, nops,
		    itest_agent.client_url);

	/* an unknown op id never leaves the client */
	assert_ret(vaccel_op_call(&sess, VACCEL_OPID_LIMIT + 5, NULL, 0),
		   VACCEL_ENOTSUP);
	assert_ok(vaccel_resource_unregister(&res, &sess));
	assert_ok(vaccel_resource_release(&res));
	assert_ok(vaccel_session_release(&sess));
	itest_end();
}

static void check_pattern(const void *buf, uint64_t len, uint32_t op,
			  uint32_t arg, uint64_t pos, const char *what)
{
	uint64_t bad = pattern_find_mismatch(buf, len, op, arg, pos);
	cr_assert_eq(bad, len, "%s: byte %llu of %llu differs from noop's",
		     what, (unsigned long long)bad, (unsigned long long)len);
}

Test(conformance, native_wrappers)
{
	itest_begin(NULL);
	struct vaccel_session sess;
	struct vaccel_resource res;
	assert_ok(vaccel_session_init(&sess, 0));
	res_from_buf(&res, "model.onnx");
	assert_ok(vaccel_resource_register(&res, &sess));

	assert_ok(vaccel_noop(&sess));

	/* vAccel's sgemm: row-major, A 3x5, B 5x4, C 3x4 */
	float a[15], b[20], c[12], a0[15], b0[20];
	for (int i = 0; i < 20; i++)
		b[i] = b0[i] = (float)i * 0.5f;
	for (int i = 0; i < 15; i++)
		a[i] = a0[i] = (float)i;
	pattern_fill((uint8_t *)c, sizeof(c), VACCEL_OPID_GEMM, VACCEL_GEMM_C,
		     0, true);
	assert_ok(vaccel_sgemm(&sess, 3, 4, 5, 1.0f, a, 5, b, 4, 0.0f, c, 4));
	check_pattern(c, sizeof(c), VACCEL_OPID_GEMM, VACCEL_GEMM_C, 0,
		      "sgemm C");
	cr_assert_eq(memcmp(a, a0, sizeof(a)), 0, "sgemm changed A");
	cr_assert_eq(memcmp(b, b0, sizeof(b)), 0, "sgemm changed B");
	/* a bad leading dimension is refused before anything is sent */
	assert_ret(vaccel_sgemm(&sess, 3, 4, 5, 1.0f, a, -1, b, 4, 0.0f, c, 4),
		   VACCEL_EINVAL);

	/* the general form, double complex, row-major, A transposed */
	double za[2 * 4 * 3], zb[2 * 4 * 2], zc[2 * 3 * 2];
	const double one[2] = {1, 0}, zero[2] = {0, 0};
	memset(za, 0, sizeof(za));
	memset(zb, 0, sizeof(zb));
	pattern_fill((uint8_t *)zc, sizeof(zc), VACCEL_OPID_GEMM, VACCEL_GEMM_C,
		     0, true);
	assert_ok(vaccel_blas_gemm(&sess, VACCEL_BLAS_Z, VACCEL_BLAS_ROW,
				   VACCEL_BLAS_TRANS, VACCEL_BLAS_NOTRANS, 3, 2,
				   4, one, za, 3, zb, 2, zero, zc, 2));
	check_pattern(zc, sizeof(zc), VACCEL_OPID_GEMM, VACCEL_GEMM_C, 0,
		      "zgemm C");

	/* genop: read[0] is the vAccel op type (one byte, as vAccel's own
	 * tests pass it); it runs as image_detect, remotely */
	uint32_t type = VACCEL_OP_IMAGE_DETECT;
	uint8_t in[7] = "genop!", w1[6];
	struct vaccel_arg rd[2] = {{.size = 1, .buf = &type},
				   {.size = sizeof(in), .buf = in}};
	struct vaccel_arg wr[1] = {{.size = sizeof(w1), .buf = w1}};
	assert_ok(vaccel_genop(&sess, rd, 2, wr, 1));
	check_pattern(w1, sizeof(w1), VACCEL_OPID_IMAGE_DETECT,
		      VACCEL_IMAGE_DETECT_OUT_NAME, 0, "genop write[0]");
	cr_assert_eq(wr[0].size, sizeof(w1));
	/* the genop op itself, sent as it is: the agent unpacks it, with
	 * every arg bounded by its size */
	struct vaccel_oparg ga[VACCEL_GENOP_NR_ARGS] = {{.buf = rd, .len = 2},
							{.buf = wr, .len = 1}};
	memset(w1, 0, sizeof(w1));
	assert_ok(vaccel_op_call(&sess, VACCEL_OPID_GENOP, ga, 2));
	check_pattern(w1, sizeof(w1), VACCEL_OPID_IMAGE_DETECT,
		      VACCEL_IMAGE_DETECT_OUT_NAME, 0, "genop op write[0]");

	/* exec and exec_with_resource */
	uint8_t ew[33];
	struct vaccel_arg ewr = {.size = sizeof(ew), .buf = ew};
	assert_ok(vaccel_exec(&sess, "libdemo.so", "demo_fn", rd, 2, &ewr, 1));
	check_pattern(ew, sizeof(ew), VACCEL_OPID_EXEC, VACCEL_EXEC_WRITE, 0,
		      "exec write");
	assert_ok(
	    vaccel_exec_with_resource(&sess, &res, "demo_fn", rd, 2, &ewr, 1));
	check_pattern(ew, sizeof(ew), VACCEL_OPID_EXEC_WITH_RESOURCE,
		      VACCEL_EXEC_WITH_RESOURCE_WRITE, 0,
		      "exec_with_resource write");

	/* images */
	uint8_t img[1000], text[64], name[32];
	memset(img, 0x7f, sizeof(img));
	assert_ok(vaccel_image_classification(
	    &sess, img, text, name, sizeof(img), sizeof(text), sizeof(name)));
	check_pattern(text, sizeof(text), VACCEL_OPID_IMAGE_CLASSIFY,
		      VACCEL_IMAGE_CLASSIFY_OUT_TEXT, 0, "classify text");
	check_pattern(name, sizeof(name), VACCEL_OPID_IMAGE_CLASSIFY,
		      VACCEL_IMAGE_CLASSIFY_OUT_NAME, 0, "classify name");
	int (*const image_ops[4])(struct vaccel_session *, const void *,
				  unsigned char *, size_t, size_t) = {
	    vaccel_image_detection,
	    vaccel_image_segmentation,
	    vaccel_image_pose,
	    vaccel_image_depth,
	};
	const uint32_t image_ids[4] = {
	    VACCEL_OPID_IMAGE_DETECT,
	    VACCEL_OPID_IMAGE_SEGMENT,
	    VACCEL_OPID_IMAGE_POSE,
	    VACCEL_OPID_IMAGE_DEPTH,
	};
	for (int i = 0; i < 4; i++) {
		assert_ok(
		    image_ops[i](&sess, img, name, sizeof(img), sizeof(name)));
		check_pattern(name, sizeof(name), image_ids[i], 1, 0,
			      vaccel_op_name(image_ids[i]));
	}

	/* models */
	uint64_t handle = 0;
	assert_ok(vaccel_model_load(&sess, &res, &handle));
	check_pattern(&handle, sizeof(handle), VACCEL_OPID_MODEL_LOAD,
		      VACCEL_MODEL_LOAD_HANDLE, 0, "model_load handle");
	float tin[6] = {1, 2, 3, 4, 5, 6};
	struct vaccel_tensor inputs[1] = {{
	    .dtype = VACCEL_DTYPE_F32,
	    .ndim = 2,
	    .dims = {2, 3},
	    .data = tin,
	    .size = sizeof(tin),
	}};
	uint8_t o1[16], o2[100];
	struct vaccel_tensor outputs[2] = {
	    {.data = o1, .size = sizeof(o1)},
	    {.data = o2, .size = sizeof(o2)},
	};
	assert_ok(vaccel_model_run(&sess, handle, inputs, 1, outputs, 2));
	uint64_t pos = 0;
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(outputs[i].dtype, VACCEL_DTYPE_U8,
			     "output %d dtype %s", i,
			     vaccel_dtype_to_str(outputs[i].dtype));
		cr_assert_eq(outputs[i].ndim, 1);
		cr_assert_eq((uint64_t)outputs[i].dims[0], outputs[i].size);
		check_pattern(outputs[i].data, outputs[i].size,
			      VACCEL_OPID_MODEL_RUN, VACCEL_MODEL_RUN_OUTPUTS,
			      pos, "model_run output");
		pos += outputs[i].size;
	}
	/* a tensor whose size does not match its shape never leaves */
	inputs[0].size = 5;
	assert_ret(vaccel_model_run(&sess, handle, inputs, 1, outputs, 2),
		   VACCEL_EINVAL);
	assert_ok(vaccel_model_unload(&sess, handle));

	assert_ok(vaccel_resource_unregister(&res, &sess));
	assert_ok(vaccel_resource_release(&res));
	assert_ok(vaccel_session_release(&sess));
	itest_end();
}

Test(conformance, file_resource_with_two_sessions)
{
	itest_begin(NULL);
	/* a file bigger than one read buffer (64 KiB) */
	size_t flen = 200 * 1024 + 3;
	uint8_t *data = malloc(flen);
	cr_assert_not_null(data);
	for (size_t i = 0; i < flen; i++)
		data[i] = (uint8_t)(i * 131 + 7);
	char *path = itest_write_file("libmodel.so", data, flen);
	free(data);

	struct vaccel_session s1, s2;
	struct vaccel_resource res;
	assert_ok(vaccel_session_init(&s1, 0));
	assert_ok(vaccel_session_init(&s2, 0));
	cr_assert_neq(s1.remote_id, s2.remote_id, "two sessions, one id");
	assert_ok(vaccel_resource_init(&res, path, VACCEL_RESOURCE_LIB));
	assert_ok(vaccel_resource_register(&res, &s1));
	assert_ok(vaccel_resource_register(&res, &s2));
	assert_ret(vaccel_resource_register(&res, &s2), VACCEL_EEXIST);
	cr_assert_eq(vaccel_resource_refcount(&res), 2);
	cr_assert_gt(res.remote_id, 0, "the agent gave the resource no id");

	/* the agent knows it in both sessions */
	uint8_t out[12];
	struct vaccel_arg wr = {.size = sizeof(out), .buf = out};
	assert_ok(
	    vaccel_exec_with_resource(&s1, &res, "entry", NULL, 0, &wr, 1));
	check_pattern(out, sizeof(out), VACCEL_OPID_EXEC_WITH_RESOURCE,
		      VACCEL_EXEC_WITH_RESOURCE_WRITE, 0, "exec_with_resource");
	uint64_t handle;
	assert_ok(vaccel_model_load(&s2, &res, &handle));
	assert_ok(vaccel_model_unload(&s2, handle));
	assert_ret(vaccel_resource_release(&res), VACCEL_EBUSY);

	/* still registered with s2: the agent keeps it */
	assert_ok(vaccel_resource_unregister(&res, &s1));
	assert_ret(vaccel_resource_unregister(&res, &s1), VACCEL_ENOENT);
	cr_assert_eq(vaccel_resource_refcount(&res), 1);
	assert_ok(
	    vaccel_exec_with_resource(&s2, &res, "entry", NULL, 0, &wr, 1));

	/* registered nowhere: the agent has let it go */
	assert_ok(vaccel_resource_unregister(&res, &s2));
	cr_assert_eq(vaccel_resource_refcount(&res), 0);
	assert_ret(
	    vaccel_exec_with_resource(&s1, &res, "entry", NULL, 0, &wr, 1),
	    VACCEL_ENOENT);
	assert_ok(vaccel_resource_release(&res));
	assert_ret(vaccel_resource_release(&res), VACCEL_EINVAL);

	/* releasing a session unregisters what it still holds */
	struct vaccel_resource r2;
	res_from_buf(&r2, "second.bin");
	assert_ok(vaccel_resource_register(&r2, &s1));
	assert_ok(vaccel_session_release(&s1));
	cr_assert_eq(vaccel_resource_refcount(&r2), 0);
	assert_ok(vaccel_resource_release(&r2));

	assert_ok(vaccel_session_release(&s2));
	free(path);
	itest_end();
}

/* A single-precision scal by 2 of the `bytes` bytes at x. */
static void scal_args(struct vaccel_oparg *args, uint8_t *x, uint64_t bytes)
{
	memset(args, 0, VACCEL_SCAL_NR_ARGS * sizeof(*args));
	args[VACCEL_SCAL_PREC].v.i = VACCEL_BLAS_S;
	args[VACCEL_SCAL_N].v.i = (int64_t)(bytes / sizeof(float));
	args[VACCEL_SCAL_ALPHA].v.c128[0] = 2.0;
	args[VACCEL_SCAL_X].buf = x;
	args[VACCEL_SCAL_X].len = bytes;
	args[VACCEL_SCAL_INCX].v.i = 1;
}

/* 1 GiB through one inout buffer (scal: x is n floats, in and out), in
 * the sanitized build too (about 10 s there): streamed both ways, never
 * copied into one msgpack buffer. ITEST_BIG_MIB makes it smaller where
 * memory is short (an emulated VM's 1 GiB). */
Test(conformance, big_inout_buffer)
{
	uint64_t bytes = 1ull << 30;
	const char *mib = getenv("ITEST_BIG_MIB");
	if (mib && *mib) {
		char *end;
		unsigned long v = strtoul(mib, &end, 10);
		cr_assert(!*end && v > 0 && v <= 1024,
			  "ITEST_BIG_MIB=%s: want 1 to 1024", mib);
		bytes = (uint64_t)v << 20;
	}
	itest_begin(NULL);
	struct vaccel_session sess;
	assert_ok(vaccel_session_init(&sess, 0));
	uint8_t *x = malloc(bytes);
	cr_assert_not_null(x, "cannot allocate %llu bytes",
			   (unsigned long long)bytes);
	pattern_fill(x, bytes, VACCEL_OPID_SCAL, VACCEL_SCAL_X, 0, true);
	struct vaccel_oparg args[VACCEL_SCAL_NR_ARGS];
	scal_args(args, x, bytes);
	double t0 = itest_now_ms();
	int ret =
	    vaccel_op_call(&sess, VACCEL_OPID_SCAL, args, VACCEL_SCAL_NR_ARGS);
	double t1 = itest_now_ms();
	cr_assert_eq(ret, VACCEL_OK, "scal of %llu bytes: %s",
		     (unsigned long long)bytes, vaccel_error_to_str(ret));
	uint64_t bad =
	    pattern_find_mismatch(x, bytes, VACCEL_OPID_SCAL, VACCEL_SCAL_X, 0);
	cr_assert_eq(bad, bytes,
		     "byte %llu of the %llu-byte buffer is not "
		     "what the agent wrote",
		     (unsigned long long)bad, (unsigned long long)bytes);
	cr_log_info("%llu MiB each way over %s in %.0f ms",
		    (unsigned long long)(bytes >> 20), itest_agent.client_url,
		    t1 - t0);
	free(x);
	assert_ok(vaccel_session_release(&sess));
	itest_end();
}

/*
 * A stream its HELLO declares shared (WIRE_F_CONCURRENT) is served by
 * several threads: a noop sent after a 128 MiB scal is answered first,
 * while the agent still writes the scal's buffer; on a stream that is not
 * shared, the answers keep the order of the calls.
 *
 * A reply is one frame, written whole: the noop comes first only if it
 * reaches the agent before the scal's answer has begun. Locally it always
 * does (it follows the scal's last byte within microseconds), unless a
 * loaded machine keeps the agent's reader from it meanwhile: then the
 * test tries again, up to five times in all; through an emulated VM's
 * port (an external agent) it may trickle in later, so
 * there either order is right, and the replies are still matched by id.
 */
Test(conformance, shared_stream_answers_as_calls_finish)
{
	uint64_t bytes = 128ull << 20;
	itest_begin(NULL);
	uint8_t *x = malloc(bytes);
	cr_assert_not_null(x);
	struct vaccel_oparg args[VACCEL_SCAL_NR_ARGS];
	scal_args(args, x, bytes);
	const struct vaccel_op_desc *scal =
	    vaccel_op_desc_by_id(VACCEL_OPID_SCAL);
	const struct vaccel_op_desc *noop =
	    vaccel_op_desc_by_id(VACCEL_OPID_NOOP);
	/* a loaded machine may keep the agent's reader from the noop until
	 * the scal's answer has begun: tried again, a few times */
	int tries = 0;
	for (int shared = 1; shared >= 0; shared--) {
		pattern_fill(x, bytes, VACCEL_OPID_SCAL, VACCEL_SCAL_X, 0,
			     true);
		struct raw r;
		raw_open(&r, &itest_agent, 60000);
		r.concurrent = shared;
		assert_ok((int)raw_hello(&r, NULL, NULL));
		int64_t s = raw_sess_new(&r);
		struct wbuf meta = {0};
		struct segs segs = {0};
		assert_ok(wire_encode_call(&meta, &segs, scal, args, s,
					   scal->sig_hash));
		uint64_t big = r.next_req++;
		int ret =
		    frame_send(&r.tc, WIRE_CALL, big, &meta, &segs, NULL);
		cr_assert_eq(ret, 0, "send: %s", strerror(-ret));
		wbuf_reset(&meta);
		meta_call_head(&meta, VACCEL_OPID_NOOP, noop->sig_hash, s, 0);
		uint64_t small = r.next_req++;
		cr_assert_eq(raw_frame(&r, WIRE_CALL, small, &meta, NULL, 0),
			     0);
		wbuf_free(&meta);
		segs_free(&segs);
		struct reply first, second;
		cr_assert_eq(raw_reply(&r, &first), 0);
		cr_assert_eq(raw_reply(&r, &second), 0);
		uint64_t want = shared ? small : big;
		bool either = shared && itest_agent.external;
		bool retry =
		    shared && !either && first.h.req_id == big && tries < 4;
		cr_assert(first.h.req_id == want ||
			      ((either || retry) && first.h.req_id == big),
			  "%s stream: the %s came back first",
			  shared ? "on a shared" : "on an unshared",
			  first.h.req_id == big ? "scal" : "noop");
		cr_assert_eq(second.h.req_id,
			     first.h.req_id == big ? small : big);
		if (either)
			cr_log_info("shared stream to an external agent: the "
				    "%s came back first",
				    first.h.req_id == big ? "scal" : "noop");
		struct reply *sr = first.h.req_id == big ? &first : &second;
		cr_assert_eq(sr->status, VACCEL_OK, "scal: %s", sr->msg);
		cr_assert_eq((sr == &first ? &second : &first)->status,
			     VACCEL_OK);
		int st;
		char msg[64];
		struct segs in = {0};
		assert_ok(wire_decode_reply(sr->meta, sr->meta_len,
					    sr->raw_len, scal, args, &st, msg,
					    sizeof(msg), &in));
		cr_assert_eq(in.n, 1);
		cr_assert_eq(sr->raw_len, bytes);
		memcpy(in.v[0].buf, sr->raw, in.v[0].len);
		segs_free(&in);
		cr_assert_eq(pattern_find_mismatch(x, bytes, VACCEL_OPID_SCAL,
						   VACCEL_SCAL_X, 0),
			     bytes, "the scal's buffer came back wrong");
		reply_free(&first);
		reply_free(&second);
		raw_close(&r);
		if (retry) {
			cr_log_info("shared stream: the scal came back first "
				    "(try %d); again",
				    ++tries);
			shared++;
		}
	}
	free(x);
	itest_end();
}

/* Send a HELLO whose header says `hver` and meta says `mver`; return the
 * reply (caller frees). */
static void hello_versions(struct raw *r, uint16_t hver, uint64_t mver,
			   struct reply *rep)
{
	struct wbuf m = {0};
	uint8_t key[WIRE_KEY_SIZE] = {1, 2, 3};
	mp_put_array(&m, 4);
	mp_put_uint(&m, mver);
	mp_put_bin(&m, key, sizeof(key));
	mp_put_nil(&m);
	mp_put_array(&m, 0);
	uint8_t hdr[WIRE_HDR_SIZE];
	struct wire_hdr h = {.magic = WIRE_MAGIC,
			     .version = hver,
			     .kind = WIRE_HELLO,
			     .req_id = 42,
			     .meta_len = (uint32_t)m.len};
	wire_hdr_encode(&h, hdr);
	cr_assert_eq(raw_write(r, hdr, sizeof(hdr)), 0);
	cr_assert_eq(raw_write(r, m.data, m.len), 0);
	wbuf_free(&m);
	cr_assert_eq(raw_reply(r, rep), 0, "no answer to a version %u hello",
		     hver);
	cr_assert_eq(rep->h.kind, WIRE_HELLO_REPLY);
	cr_assert_eq(rep->h.req_id, 42);
}

Test(conformance, version_mismatch_is_refused_by_name)
{
	itest_begin(NULL);
	struct raw r;
	struct reply rep;

	raw_open(&r, &itest_agent, 10000);
	hello_versions(&r, 99, 99, &rep);
	cr_assert_eq(rep.status, VACCEL_EPROTO_VERSION,
		     "hello v99: got %s, want VACCEL_EPROTO_VERSION (%s)",
		     vaccel_error_to_str((int)rep.status), rep.msg);
	cr_assert(mentions_number(rep.msg, 99) &&
		      mentions_number(rep.msg, WIRE_VERSION),
		  "the refusal should name both versions (99 and %d): '%s'",
		  WIRE_VERSION, rep.msg);
	reply_free(&rep);
	raw_expect_end(&r, "refusing the version");
	raw_close(&r);

	/* the header agrees, the hello's own version field does not */
	raw_open(&r, &itest_agent, 10000);
	hello_versions(&r, WIRE_VERSION, 99, &rep);
	cr_assert_eq(rep.status, VACCEL_EPROTO_VERSION, "got %s (%s)",
		     vaccel_error_to_str((int)rep.status), rep.msg);
	cr_assert(mentions_number(rep.msg, 99) &&
		      mentions_number(rep.msg, WIRE_VERSION),
		  "the refusal should name both versions (99 and %d): '%s'",
		  WIRE_VERSION, rep.msg);
	reply_free(&rep);
	raw_close(&r);

	/* a well-behaved client is not affected */
	struct vaccel_session sess;
	assert_ok(vaccel_session_init(&sess, 0));
	assert_ok(vaccel_noop(&sess));
	assert_ok(vaccel_session_release(&sess));
	itest_end();
}

Test(conformance, token_is_required)
{
	static const char token[] = "s3cret-token-of-this-test";
	/* the agent reads the first line; a trailing newline is allowed */
	char line[64];
	snprintf(line, sizeof(line), "%s\n", token);
	char *tf = itest_write_file("token", line, strlen(line));
	const char *extra[] = {"--token-file", tf, NULL};
	agent_start(&itest_agent, extra);
	client_env(&itest_agent);

	struct vaccel_session sess;
	/* no token */
	assert_ok(vaccel_bootstrap());
	assert_ret(vaccel_session_init(&sess, 0), VACCEL_EACCES);
	assert_ok(vaccel_cleanup());
	/* the wrong one, and a prefix of the right one */
	const char *wrong[] = {"not-the-token", "s3cret"};
	for (int i = 0; i < 2; i++) {
		setenv("VACCEL_RPC_TOKEN", wrong[i], 1);
		assert_ok(vaccel_bootstrap());
		assert_ret(vaccel_session_init(&sess, 0), VACCEL_EACCES);
		assert_ok(vaccel_cleanup());
	}
	/* the right one */
	setenv("VACCEL_RPC_TOKEN", token, 1);
	assert_ok(vaccel_bootstrap());
	assert_ok(vaccel_session_init(&sess, 0));
	assert_ok(vaccel_noop(&sess));
	assert_ok(vaccel_session_release(&sess));

	/* on the wire: refused, then closed */
	struct raw r;
	raw_open(&r, &itest_agent, 10000);
	assert_ret((int)raw_hello(&r, NULL, NULL), VACCEL_EACCES);
	raw_expect_end(&r, "refusing a client");
	raw_close(&r);
	raw_open(&r, &itest_agent, 10000);
	assert_ok((int)raw_hello(&r, token, NULL));
	int64_t s = raw_sess_new(&r);
	assert_ok((int)raw_noop(&r, s));
	raw_close(&r);
	free(tf);
	itest_end();
}

/* Encode and send a CALL of `c` with the given signature hash; return the
 * reply (outputs decoded into c's buffers when it succeeded). */
static void raw_call(struct raw *r, struct opcall *c, int64_t sess,
		     uint64_t hash, struct reply *rep)
{
	struct wbuf meta = {0};
	struct segs segs = {0};
	assert_ok(wire_encode_call(&meta, &segs, c->op, c->args, sess, hash));
	uint64_t req = r->next_req++;
	int ret = frame_send(&r->tc, WIRE_CALL, req, &meta, &segs, NULL);
	cr_assert_eq(ret, 0, "send: %s", strerror(-ret));
	wbuf_free(&meta);
	segs_free(&segs);
	cr_assert_eq(raw_reply(r, rep), 0, "no reply to a %s call",
		     c->op->name);
	cr_assert_eq(rep->h.kind, WIRE_CALL_REPLY);
	cr_assert_eq(rep->h.req_id, req, "replies out of order");
	if (rep->status != VACCEL_OK)
		return;
	int st;
	char msg[64];
	struct segs in = {0};
	assert_ok(wire_decode_reply(rep->meta, rep->meta_len, rep->raw_len,
				    c->op, c->args, &st, msg, sizeof(msg),
				    &in));
	uint64_t off = 0;
	for (uint32_t i = 0; i < in.n; i++) {
		memcpy(in.v[i].buf, rep->raw + off, in.v[i].len);
		off += in.v[i].len;
	}
	cr_assert_eq(off, rep->raw_len);
	segs_free(&in);
}

Test(conformance, signature_mismatch_names_the_op)
{
	itest_begin(NULL);
	const struct vaccel_op_desc *gemm =
	    vaccel_op_desc_by_id(VACCEL_OPID_GEMM);
	struct raw r;
	struct reply rep;
	struct opcall c;
	raw_open(&r, &itest_agent, 10000);
	assert_ok((int)raw_hello(&r, NULL, NULL));
	int64_t s = raw_sess_new(&r);

	/* the call carries its buffers: the agent must drain them */
	opcall_build(&c, gemm, 5, NULL);
	raw_call(&r, &c, s, gemm->sig_hash ^ 0x100, &rep);
	cr_assert_eq(rep.status, VACCEL_EBACKEND, "got %s (%s)",
		     vaccel_error_to_str((int)rep.status), rep.msg);
	cr_assert_not_null(strstr(rep.msg, "gemm"),
			   "the refusal should name the op: '%s'", rep.msg);
	cr_assert_not_null(strstr(rep.msg, "signature"),
			   "the refusal should say why: '%s'", rep.msg);
	cr_assert_eq(rep.raw_len, 0);
	reply_free(&rep);

	/* the connection is still in step */
	assert_ok((int)raw_noop(&r, s));
	raw_call(&r, &c, s, gemm->sig_hash, &rep);
	assert_ok((int)rep.status);
	reply_free(&rep);
	opcall_check(&c, "gemm after a refused call");
	opcall_free(&c);
	raw_close(&r);
	itest_end();
}

Test(conformance, unknown_op_is_not_supported)
{
	itest_begin(NULL);
	struct raw r;
	struct reply rep;
	raw_open(&r, &itest_agent, 10000);
	assert_ok((int)raw_hello(&r, NULL, NULL));
	int64_t s = raw_sess_new(&r);
	const uint64_t ids[] = {VACCEL_OPID_LIMIT, 9999, 1ull << 40};
	for (int i = 0; i < 3; i++) {
		struct wbuf m = {0};
		meta_call_head(&m, ids[i], 0x1234, s, 0);
		uint64_t req = r.next_req++;
		cr_assert_eq(raw_frame(&r, WIRE_CALL, req, &m, NULL, 0), 0);
		wbuf_free(&m);
		cr_assert_eq(raw_reply(&r, &rep), 0);
		cr_assert_eq(rep.h.req_id, req);
		cr_assert_eq(rep.status, VACCEL_ENOTSUP,
			     "op id %llu: got %s (%s), want VACCEL_ENOTSUP",
			     (unsigned long long)ids[i],
			     vaccel_error_to_str((int)rep.status), rep.msg);
		cr_assert(mentions_number(rep.msg, (long)ids[i]),
			  "the refusal should name op id %llu: '%s'",
			  (unsigned long long)ids[i], rep.msg);
		reply_free(&rep);
		assert_ok((int)raw_noop(&r, s));
	}
	raw_close(&r);
	itest_end();
}

Test(conformance, sessions_are_private_to_a_client)
{
	itest_begin(NULL);
	struct vaccel_session sess;
	assert_ok(vaccel_session_init(&sess, 0));
	cr_assert_gt(sess.remote_id, 0);
	struct raw r;
	raw_open(&r, &itest_agent, 10000);
	assert_ok((int)raw_hello(&r, NULL, NULL));
	/* another client's session id means nothing here */
	assert_ret((int)raw_noop(&r, sess.remote_id), VACCEL_ENOENT);
	int64_t mine = raw_sess_new(&r);
	assert_ok((int)raw_noop(&r, mine));
	raw_close(&r);
	assert_ok(vaccel_noop(&sess));
	assert_ok(vaccel_session_release(&sess));
	itest_end();
}

Test(conformance, agent_down_fails_fast_then_recovers)
{
	itest_begin(NULL);
	struct vaccel_session sess;
	assert_ok(vaccel_session_init(&sess, 0));
	assert_ok(vaccel_noop(&sess));
	agent_stop_check(&itest_agent);

	double t0 = itest_now_ms();
	assert_ret(vaccel_noop(&sess), VACCEL_EREMOTEIO);
	struct vaccel_session s2;
	assert_ret(vaccel_session_init(&s2, 0), VACCEL_EREMOTEIO);
	double dt = itest_now_ms() - t0;
	cr_assert_lt(dt, 5000, "failing against a stopped agent took %.0f ms",
		     dt);

	agent_start(&itest_agent, NULL);
	assert_ok(vaccel_noop(&sess));
	assert_ok(vaccel_session_init(&s2, 0));
	assert_ok(vaccel_noop(&s2));
	assert_ok(vaccel_session_release(&s2));
	assert_ok(vaccel_session_release(&sess));
	itest_end();
}

/* Send a gemm CALL on session call_s with WIRE_F_MEMFD and `fd` (or
 * none) beside it; its reply in *rep. */
static void memfd_gemm(struct raw *r, int64_t call_s, int fd,
		       struct reply *rep, const char *what)
{
	const struct vaccel_op_desc *gemm =
	    vaccel_op_desc_by_id(VACCEL_OPID_GEMM);
	struct opcall c;
	struct wbuf meta = {0};
	struct segs segs = {0};
	opcall_build(&c, gemm, 5, NULL);
	assert_ok(wire_encode_call(&meta, &segs, gemm, c.args, call_s,
				   gemm->sig_hash));
	uint64_t req = r->next_req++;
	int ret = frame_send_ex(&r->tc, WIRE_CALL, req, WIRE_F_MEMFD, &meta,
				NULL, NULL, fd);
	cr_assert_eq(ret, 0, "%s: send: %s", what, strerror(-ret));
	wbuf_free(&meta);
	segs_free(&segs);
	cr_assert_eq(raw_reply(r, rep), 0, "%s: no reply", what);
	opcall_free(&c);
}

/* memfd_gemm; the reply must be `want`, and the connection must still
 * serve a call on session s. */
static void memfd_case_on(struct raw *r, int64_t call_s, int64_t s, int fd,
			  int want, const char *needle, const char *what)
{
	struct reply rep;
	memfd_gemm(r, call_s, fd, &rep, what);
	cr_assert_eq(rep.status, want, "%s: got %s (%s)", what,
		     vaccel_error_to_str((int)rep.status), rep.msg);
	if (needle)
		cr_assert_not_null(strstr(rep.msg, needle),
				   "%s: the refusal should say '%s': '%s'",
				   what, needle, rep.msg);
	reply_free(&rep);
	assert_ok((int)raw_noop(r, s));
}

static void memfd_case(struct raw *r, int64_t s, int fd, int want,
		       const char *needle, const char *what)
{
	memfd_case_on(r, s, s, fd, want, needle, what);
}

Test(conformance, memfd_frames_are_checked)
{
	itest_begin(NULL);
	if (itest_agent.transport != ITEST_UNIX) {
		itest_end();
		cr_skip_test("memfd buffers travel over UNIX sockets only");
	}
	struct raw r;
	raw_open(&r, &itest_agent, 10000);
	assert_ok((int)raw_hello(&r, NULL, NULL));
	int64_t s = raw_sess_new(&r);

	memfd_case(&r, s, -1, VACCEL_EINVAL, "descriptor",
		   "memfd flag without a descriptor");

	int p[2];
	cr_assert_eq(pipe(p), 0);
	memfd_case(&r, s, p[0], VACCEL_EINVAL, "sealed",
		   "a pipe instead of a memfd");
	close(p[0]);
	close(p[1]);

	/* Unsealed: the guest could shrink it under the agent's mapping. */
	int mfd = memfd_create("itest", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	cr_assert_geq(mfd, 0);
	cr_assert_eq(ftruncate(mfd, 1 << 20), 0);
	memfd_case(&r, s, mfd, VACCEL_EINVAL, "sealed", "an unsealed memfd");

	/* Sealed but smaller than the call's buffers. */
	int small = memfd_create("itest", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	cr_assert_geq(small, 0);
	cr_assert_eq(ftruncate(small, 64), 0);
	cr_assert_eq(fcntl(small, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
	memfd_case(&r, s, small, VACCEL_EINVAL, "smaller",
		   "a memfd too small for the call");
	close(small);

	/* Sealed and large enough: served, outputs in place. */
	cr_assert_eq(fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
	memfd_case(&r, s, mfd, VACCEL_OK, NULL, "a sealed memfd");
	close(mfd);

	raw_close(&r);
	itest_end();
}

/* A sealed memfd of `len` bytes (sparse: nothing is written to it). */
static int sealed_memfd(uint64_t len)
{
	int fd = memfd_create("itest", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, (off_t)len), 0, "ftruncate %llu: %s",
		     (unsigned long long)len, strerror(errno));
	cr_assert_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
	return fd;
}

/*
 * A memfd is charged to its peer at its whole size, before it is mapped
 * and only once the call's session is known: a sparse 64 TiB one is
 * refused without a mapping, and so is a call on an unknown session
 * however large its memfd; a kept mapping counts until it goes, so two
 * connections cannot each map most of the budget. The well-behaved
 * client is served throughout.
 */
Test(conformance, memfd_is_charged_before_it_is_mapped)
{
	itest_begin((const char *const[]){"--max-memory", "64M", NULL});
	if (itest_agent.transport != ITEST_UNIX) {
		itest_end();
		cr_skip_test("memfd buffers travel over UNIX sockets only");
	}
	struct vaccel_session good;
	assert_ok(vaccel_session_init(&good, 0));
	struct raw r, r2;
	raw_open(&r, &itest_agent, 10000);
	assert_ok((int)raw_hello(&r, NULL, NULL));
	int64_t s = raw_sess_new(&r);
	long vm0 = agent_status(&itest_agent, "VmSize");

	int huge = sealed_memfd(64ull << 40);
	memfd_case_on(&r, s + 1000, s, huge, VACCEL_ENOENT, "unknown session",
		      "a 64 TiB memfd on an unknown session");
	memfd_case(&r, s, huge, VACCEL_ENOMEM, "over the memory limit",
		   "a 64 TiB memfd");
	close(huge);
	long vm1 = agent_status(&itest_agent, "VmSize");
	cr_assert(vm0 > 0 && vm1 < vm0 + (1l << 20),
		  "the agent's address space grew from %ld to %ld KiB", vm0,
		  vm1);
	assert_ok(vaccel_noop(&good));

	/* 40 MiB kept mapped on one connection leaves 24 for another */
	int a = sealed_memfd(40u << 20), b = sealed_memfd(40u << 20);
	memfd_case(&r, s, a, VACCEL_OK, NULL, "a 40 MiB memfd");
	raw_open(&r2, &itest_agent, 10000);
	assert_ok((int)raw_hello(&r2, NULL, NULL));
	int64_t s2 = raw_sess_new(&r2);
	memfd_case(&r2, s2, b, VACCEL_ENOMEM, "over the memory limit",
		   "a second 40 MiB memfd beside a kept one");
	raw_close(&r);
	/* the first one's mapping and charge go with its connection */
	double until = itest_now_ms() + 5000;
	int got;
	do {
		usleep(20 * 1000);
		struct reply rep;
		memfd_gemm(&r2, s2, b, &rep, "the second memfd again");
		got = (int)rep.status;
		reply_free(&rep);
	} while (got == VACCEL_ENOMEM && itest_now_ms() < until);
	cr_assert_eq(got, VACCEL_OK,
		     "the memfd was refused after the other was let go: %s",
		     vaccel_error_to_str(got));
	close(a);
	close(b);
	raw_close(&r2);
	assert_ok(vaccel_noop(&good));
	assert_ok(vaccel_session_release(&good));
	itest_end();
}

/* gemm with beta 0 into a C without gaps overwrites C without reading it:
 * C travels back only. Both peers decide it from the call's scalars. */
Test(conformance, overwritten_inout_travels_back_only)
{
	const struct vaccel_op_desc *gemm =
	    vaccel_op_desc_by_id(VACCEL_OPID_GEMM);
	double a[6] = {0}, b[8] = {0}, c[12] = {0};
	struct vaccel_oparg args[VACCEL_GEMM_NR_ARGS];
	memset(args, 0, sizeof(args));
	args[VACCEL_GEMM_PREC].v.i = VACCEL_SPEC_D;
	args[VACCEL_GEMM_LAYOUT].v.i = VACCEL_SPEC_COL;
	args[VACCEL_GEMM_TRANSA].v.i = VACCEL_SPEC_NOTRANS;
	args[VACCEL_GEMM_TRANSB].v.i = VACCEL_SPEC_NOTRANS;
	args[VACCEL_GEMM_M].v.i = 3;
	args[VACCEL_GEMM_N].v.i = 4;
	args[VACCEL_GEMM_K].v.i = 2;
	args[VACCEL_GEMM_ALPHA].v.c128[0] = 1;
	args[VACCEL_GEMM_A] = (struct vaccel_oparg){.buf = a, .len = sizeof(a)};
	args[VACCEL_GEMM_LDA].v.i = 3;
	args[VACCEL_GEMM_B] = (struct vaccel_oparg){.buf = b, .len = sizeof(b)};
	args[VACCEL_GEMM_LDB].v.i = 2;
	args[VACCEL_GEMM_C] = (struct vaccel_oparg){.buf = c, .len = sizeof(c)};
	args[VACCEL_GEMM_LDC].v.i = 3;
	assert_ok(vaccel_op_validate(gemm, args, NULL));

	/* beta 1 (C read), beta 0 (C overwritten); then beta 0 with a C
	 * that has gaps, whose gaps must travel */
	const struct {
		double beta;
		int64_t ldc;
		uint64_t raw;
	} cases[] = {
	    {1, 3, sizeof(a) + sizeof(b) + sizeof(c)},
	    {0, 3, sizeof(a) + sizeof(b)},
	    {0, 4, sizeof(a) + sizeof(b) + (4 * 3 + 3) * sizeof(double)},
	};
	double cg[15] = {0};
	for (unsigned int t = 0; t < sizeof(cases) / sizeof(cases[0]); t++) {
		args[VACCEL_GEMM_BETA].v.c128[0] = cases[t].beta;
		args[VACCEL_GEMM_LDC].v.i = cases[t].ldc;
		args[VACCEL_GEMM_C].buf = cases[t].ldc == 3 ? c : cg;
		args[VACCEL_GEMM_C].len =
		    cases[t].ldc == 3 ? sizeof(c) : sizeof(cg);
		struct wbuf meta = {0};
		struct segs segs = {0};
		assert_ok(wire_encode_call(&meta, &segs, gemm, args, 1,
					   gemm->sig_hash));
		uint64_t sent = 0;
		for (uint32_t i = 0; i < segs.n; i++)
			sent += segs.v[i].len;
		cr_expect_eq(sent, cases[t].raw,
			     "beta %g ldc %lld: %llu raw bytes, want %llu",
			     cases[t].beta, (long long)cases[t].ldc,
			     (unsigned long long)sent,
			     (unsigned long long)cases[t].raw);

		struct wire_limits lim;
		wire_limits_default(&lim);
		struct wire_call call;
		char err[256];
		assert_ok(wire_decode_call(meta.data, meta.len, cases[t].raw,
					   &lim, &call, err, sizeof(err)));
		bool c_sent = false;
		for (uint32_t i = 0; i < call.nr_bufs; i++)
			if (call.bufs[i].arg == VACCEL_GEMM_C)
				c_sent = call.bufs[i].on_wire;
		cr_expect_eq(c_sent, cases[t].beta != 0 || cases[t].ldc != 3,
			     "beta %g ldc %lld: the agent expects C %s",
			     cases[t].beta, (long long)cases[t].ldc,
			     c_sent ? "sent" : "not sent");
		wire_call_free(&call);
		/* a frame whose raw part holds more than the call declares
		 * (a C that should not have been sent) is refused */
		cr_expect_neq(wire_decode_call(meta.data, meta.len,
					       cases[t].raw + sizeof(c), &lim,
					       &call, err, sizeof(err)),
			      VACCEL_OK);
		wbuf_free(&meta);
		segs_free(&segs);
	}
}

/* A strided view (a sub-region of an image) travels with its strides and
 * offset, its data spanning the view; one whose span exceeds its data, or
 * with strides that are not all given, is refused. */
Test(conformance, strided_tensor_views_cross_the_wire)
{
	const struct vaccel_op_desc *run =
	    vaccel_op_desc_by_id(VACCEL_OPID_MODEL_RUN);
	/* a 2 x 3 view at row 1, column 1 of a 4 x 5 u8 image */
	uint8_t img[20];
	for (int i = 0; i < 20; i++)
		img[i] = (uint8_t)i;
	struct vaccel_tensor in = {
	    .dtype = VACCEL_DTYPE_U8,
	    .ndim = 2,
	    .dims = {2, 3},
	    .data = img,
	    .size = sizeof(img),
	    .strides = {5, 1},
	    .offset = 6,
	};
	uint8_t o[4];
	struct vaccel_tensor out = {.data = o, .size = sizeof(o)};
	struct vaccel_oparg args[VACCEL_MODEL_RUN_NR_ARGS] = {0};
	args[VACCEL_MODEL_RUN_INPUTS] =
	    (struct vaccel_oparg){.buf = &in, .len = 1};
	args[VACCEL_MODEL_RUN_OUTPUTS] =
	    (struct vaccel_oparg){.buf = &out, .len = 1};
	assert_ok(vaccel_op_validate(run, args, NULL));
	struct wbuf meta = {0};
	struct segs segs = {0};
	assert_ok(wire_encode_call(&meta, &segs, run, args, 1, run->sig_hash));
	struct wire_limits lim;
	wire_limits_default(&lim);
	struct wire_call call;
	char err[256];
	cr_assert_eq(wire_decode_call(meta.data, meta.len, sizeof(img), &lim,
				      &call, err, sizeof(err)),
		     VACCEL_OK, "%s", err);
	const struct vaccel_tensor *t = call.args[VACCEL_MODEL_RUN_INPUTS].buf;
	cr_expect_eq(t->ndim, 2);
	cr_expect_eq(t->dims[0], 2);
	cr_expect_eq(t->dims[1], 3);
	cr_expect_eq(t->strides[0], 5);
	cr_expect_eq(t->strides[1], 1);
	cr_expect_eq(t->offset, 6);
	cr_expect_eq(t->size, sizeof(img));
	wire_call_free(&call);
	wbuf_free(&meta);
	segs_free(&segs);

	/* the view's last element is byte 6 + 5 + 2 = 13: 14 bytes hold it,
	 * 13 do not */
	in.size = 14;
	assert_ok(vaccel_op_validate(run, args, NULL));
	in.size = 13;
	cr_expect_eq(vaccel_op_validate(run, args, NULL), VACCEL_EINVAL);
	/* the agent checks what a guest sends, not what it validated */
	meta = (struct wbuf){0};
	segs = (struct segs){0};
	assert_ok(wire_encode_call(&meta, &segs, run, args, 1, run->sig_hash));
	cr_expect_neq(wire_decode_call(meta.data, meta.len, 13, &lim, &call,
				       err, sizeof(err)),
		      VACCEL_OK);
	cr_expect(strstr(err, "does not match its shape"), "%s", err);
	wbuf_free(&meta);
	segs_free(&segs);
	/* a negative stride is refused before anything is sent */
	in.size = sizeof(img);
	in.strides[1] = -1;
	cr_expect_eq(vaccel_op_validate(run, args, NULL), VACCEL_EINVAL);
	/* outputs are dense: a strided one is refused */
	in.strides[1] = 1;
	out.offset = 1;
	cr_expect_eq(vaccel_op_validate(run, args, NULL), VACCEL_EINVAL);
}

/* ---- shm: the region a guest hands over ---------------------------------- */

/* A region of `ring`-byte rings (memfd, sealed or not) and its four
 * doorbells (eventfds, or pipes where `pipes`), offered to the agent on a fresh
 * socket. Returns the agent's status, or -1 when it closed without one;
 * *sock keeps the socket, *map the region (NULL on refusal). */
struct shm_try {
	int sock;
	uint8_t *map;
	size_t len;
	/* the setup's descriptors 1.. (shm_fd_bell); with pipes, the
	 * agent gets read ends and the test keeps the write ends */
	int bells[SHM_SETUP_FDS - 1];
	int keep[SHM_SETUP_FDS - 1];
};

static int shm_offer(struct shm_try *t, uint64_t ring, bool seal, bool pipes,
		     uint32_t version)
{
	struct url u;
	char err[200];
	memset(t, 0, sizeof(*t));
	cr_assert_eq(url_parse(itest_agent.client_url, &u, err, sizeof(err)), 0,
		     "%s", err);
	t->sock = url_connect(&u, 5000);
	cr_assert_geq(t->sock, 0, "connect: %s", strerror(-t->sock));
	t->len = SHM_CTL_SIZE + 2 * ring;
	int mfd = memfd_create("itest-shm", MFD_ALLOW_SEALING);
	cr_assert_geq(mfd, 0);
	cr_assert_eq(ftruncate(mfd, (off_t)t->len), 0);
	if (seal)
		cr_assert_eq(
		    fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
	t->map = mmap(NULL, t->len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	cr_assert_neq(t->map, MAP_FAILED);
	int fds[SHM_SETUP_FDS] = {mfd};
	for (int i = 0; i < SHM_SETUP_FDS - 1; i++) {
		int p[2];
		if (pipes) {
			cr_assert_eq(pipe(p), 0);
		} else {
			p[0] = eventfd(0, EFD_NONBLOCK);
			cr_assert_geq(p[0], 0);
			p[1] = dup(p[0]);
		}
		t->bells[i] = p[0];
		t->keep[i] = p[1];
		fds[1 + i] = p[0];
	}
	struct shm_setup msg = {SHM_MAGIC, version, ring};
	cr_assert_eq(sock_send_fds(t->sock, &msg, sizeof(msg), fds,
				   SHM_SETUP_FDS),
		     0);
	close(mfd);
	struct shm_setup_reply rep;
	ssize_t got = recv(t->sock, &rep, sizeof(rep), MSG_WAITALL);
	if (got != (ssize_t)sizeof(rep))
		return -1;
	cr_assert_eq(rep.magic, SHM_MAGIC);
	return rep.status;
}

static void shm_drop(struct shm_try *t)
{
	close(t->sock);
	munmap(t->map, t->len);
	for (int i = 0; i < SHM_SETUP_FDS - 1; i++) {
		close(t->bells[i]);
		close(t->keep[i]);
	}
}

/* Ring the agent's doorbell for bytes in the guest's ring. */
static void shm_poke(struct shm_try *t)
{
	uint64_t one = 1;
	cr_assert_eq(write(t->keep[shm_fd_bell(SHM_UP, SHM_DATA) - 1], &one,
			   sizeof(one)),
		     (ssize_t)sizeof(one));
}

/* The agent closes t's socket within a few seconds. */
static void shm_expect_closed(struct shm_try *t, const char *what)
{
	struct pollfd p = {.fd = t->sock, .events = POLLIN};
	cr_assert_eq(poll(&p, 1, 10000), 1, "%s: the agent kept it open", what);
	char c;
	cr_assert_eq(recv(t->sock, &c, 1, 0), 0,
		     "%s: the agent sent bytes instead of closing", what);
}

/* The agent still serves a well-behaved client. */
static void still_serving(const char *after)
{
	struct raw r;
	raw_open(&r, &itest_agent, 10000);
	cr_assert_eq(raw_hello(&r, NULL, NULL), VACCEL_OK,
		     "no service after %s", after);
	int64_t s = raw_sess_new(&r);
	assert_ok((int)raw_noop(&r, s));
	raw_close(&r);
}

Test(conformance, shm_region_is_checked)
{
	itest_begin(NULL);
	if (itest_agent.transport != ITEST_SHM) {
		itest_end();
		cr_skip_test("the shared region is the shm transport's");
	}
	struct shm_try t;
	cr_assert_eq(shm_offer(&t, 65536, false, false, SHM_VERSION),
		     VACCEL_EINVAL, "an unsealed memfd must be refused");
	shm_drop(&t);
	cr_assert_eq(shm_offer(&t, 65536, true, true, SHM_VERSION),
		     VACCEL_EINVAL, "pipes as doorbells must be refused");
	shm_drop(&t);
	cr_assert_eq(shm_offer(&t, 65536 + 4096, true, false, SHM_VERSION),
		     VACCEL_EINVAL, "a ring of no power of two");
	shm_drop(&t);
	cr_assert_eq(shm_offer(&t, 65536, true, false, SHM_VERSION + 1),
		     VACCEL_EPROTO_VERSION, "another setup version");
	shm_drop(&t);
	still_serving("refused regions");

	/* Accepted, then lied about: a head a whole ring past the tail,
	 * then one behind it. The agent must close, not read outside. */
	static const uint64_t heads[] = {65536 + 1, UINT64_MAX - 7};
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		cr_assert_eq(shm_offer(&t, 65536, true, false, SHM_VERSION),
			     VACCEL_OK);
		struct shm_ctl *ctl = (struct shm_ctl *)t.map;
		atomic_store(&ctl->head[SHM_UP].v, heads[i]);
		shm_poke(&t);
		shm_expect_closed(&t, "a head outside the ring");
		shm_drop(&t);
		cr_assert_eq(agent_log_count(&itest_agent,
					     "guest's head index is outside "
					     "the ring"),
			     i + 1, "the agent should say why it closed");
	}
	/* A header whose meta never comes, then the guest dies: the
	 * agent's reader must notice the socket. */
	cr_assert_eq(shm_offer(&t, 65536, true, false, SHM_VERSION), VACCEL_OK);
	uint8_t *up = t.map + SHM_CTL_SIZE;
	struct wire_hdr h = {.magic = WIRE_MAGIC,
			     .version = WIRE_VERSION,
			     .kind = WIRE_HELLO,
			     .req_id = 1,
			     .meta_len = 1000};
	wire_hdr_encode(&h, up);
	atomic_store(&((struct shm_ctl *)t.map)->head[SHM_UP].v, WIRE_HDR_SIZE);
	shm_poke(&t);
	shm_drop(&t);
	still_serving("a guest that died mid-frame");
	itest_end();
}

/* ---- virtio: conversations on one stream ----------------------------------
 */

Test(conformance, virtio_conversations_restart_on_one_stream)
{
	/* -v: the agent logs each conversation's end */
	static const char *const verbose[] = {"-v", NULL};
	itest_begin(verbose);
	if (itest_agent.transport != ITEST_VIRTIO) {
		itest_end();
		cr_skip_test(
		    "a stream that outlives conversations is virtio's");
	}
	struct raw r;
	raw_open(&r, &itest_agent, 10000);
	assert_ok((int)raw_hello(&r, NULL, NULL));
	int64_t s = raw_sess_new(&r);
	assert_ok((int)raw_noop(&r, s));

	/* A program dies between calls: the next starts on the same
	 * stream, with a fresh key; the old session is not its own. */
	assert_ok(r.tc.t->restart(&r.tc));
	assert_ok((int)raw_hello(&r, NULL, NULL));
	cr_assert_eq(raw_noop(&r, s), VACCEL_ENOENT,
		     "a new conversation must not see the last one's session");
	s = raw_sess_new(&r);
	assert_ok((int)raw_noop(&r, s));

	/* A program dies mid-frame: a header promising more than comes,
	 * its meta cut short; then a program dies after a raw chunk header
	 * promising a whole chunk. The next conversation starts anyway. */
	raw_partial_call(&r, 77, 100000, "partial meta", 12);
	assert_ok(r.tc.t->restart(&r.tc));
	assert_ok((int)raw_hello(&r, NULL, NULL));
	s = raw_sess_new(&r);
	assert_ok((int)raw_noop(&r, s));

	static const uint8_t chunk_hdr[8] = {'V', 'I', 'O', 'C', 0, 0, 1, 0};
	struct iovec iov = {(void *)chunk_hdr, sizeof(chunk_hdr)};
	cr_assert_eq(io_writev_all(r.tc.fd, &iov, 1, NULL), 0);
	cr_assert_eq(raw_write(&r, "cut", 3), 0);
	assert_ok(r.tc.t->restart(&r.tc));
	assert_ok((int)raw_hello(&r, NULL, NULL));
	s = raw_sess_new(&r);
	assert_ok((int)raw_noop(&r, s));

	/* garbage where a chunk header belongs */
	iov = (struct iovec){(void *)"not a chunk header at all", 25};
	cr_assert_eq(io_writev_all(r.tc.fd, &iov, 1, NULL), 0);
	assert_ok(r.tc.t->restart(&r.tc));
	assert_ok((int)raw_hello(&r, NULL, NULL));
	s = raw_sess_new(&r);
	assert_ok((int)raw_noop(&r, s));
	raw_close(&r);
	cr_assert_geq(agent_log_count(&itest_agent, "conversation ended"), 4u,
		      "the agent should have seen four conversations end");
	itest_end();
}

/*
 * A socket directory that another user could change is refused, with the
 * reason: writable by others (not sticky), owned by another uid, a
 * symbolic link. A sticky one (/tmp's kind) is taken, and the socket has
 * its mode from its creation on. Only for transports that listen on a
 * path.
 */

/* The agent on url: 0 once it is ready (then stopped; the mode of the
 * file `sock` while it was, in *mode), else its exit status; its output
 * in out (at most len bytes). */
static int agent_try(const char *url, const char *sock, unsigned int *mode,
		     char *out, size_t len)
{
	char *logp = NULL;
	cr_assert(asprintf(&logp, "%s/try.log", itest_agent.dir) > 0);
	int logfd = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	cr_assert_geq(logfd, 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0)
			_exit(127);
		execl(itest_path("VACCEL_AGENT"), "vaccel-agent", "-a", url,
		      "--plugins", itest_path("NOOP_PLUGIN"), (char *)NULL);
		_exit(127);
	}
	close(logfd);
	int st = -1;
	double until = itest_now_ms() + 20000;
	while (itest_now_ms() < until) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		char *t = test_read_file(logp, NULL);
		bool ready = t && strstr(t, "vaccel-agent: ready");
		free(t);
		if (ready) {
			struct stat sb;
			if (sock && mode)
				*mode = lstat(sock, &sb) == 0
					    ? (unsigned int)(sb.st_mode & 07777)
					    : 0;
			kill(pid, SIGTERM);
			waitpid(pid, &st, 0);
			st = 0;
			break;
		}
		usleep(5000);
	}
	if (st == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		cr_assert_fail("the agent on %s neither started nor exited",
			       url);
	}
	char *t = test_read_file(logp, NULL);
	snprintf(out, len, "%s", t ? t : "");
	free(t);
	free(logp);
	return st;
}

static void expect_refused_dir(const char *dir, const char *words)
{
	char url[300], out[4096];
	snprintf(url, sizeof(url), "%s://%s/agent.sock",
		 itest_agent.transport == ITEST_SHM	 ? "shm"
		 : itest_agent.transport == ITEST_VIRTIO ? "virtio"
							 : "unix",
		 dir);
	int st = agent_try(url, NULL, NULL, out, sizeof(out));
	cr_assert(st != 0, "the agent took a socket in %s:\n%s", dir, out);
	cr_assert(strstr(out, words), "refusing %s, the agent says:\n%s\n"
				      "want it to say '%s'",
		  dir, out, words);
	char sock[320];
	snprintf(sock, sizeof(sock), "%s/agent.sock", dir);
	struct stat sb;
	cr_assert_neq(lstat(sock, &sb), 0, "a socket was made in %s", dir);
}

Test(conformance, socket_directory_is_checked)
{
	if (itest_agent.transport != ITEST_UNIX &&
	    itest_agent.transport != ITEST_SHM &&
	    itest_agent.transport != ITEST_VIRTIO)
		cr_skip_test("the transport listens on no path");
	itest_need_own_agent("agents of its own on other paths");
	itest_begin(NULL);
	char dir[200], out[4096], url[300];
	const char *scheme = itest_agent.transport == ITEST_SHM	   ? "shm"
			     : itest_agent.transport == ITEST_VIRTIO ? "virtio"
								     : "unix";

	snprintf(dir, sizeof(dir), "%s/open", itest_agent.dir);
	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_assert_eq(chmod(dir, 0777), 0);
	expect_refused_dir(dir, "writable by other users");
	cr_assert_eq(chmod(dir, 0770), 0);
	expect_refused_dir(dir, "writable by its group");

	/* a sticky one, as /tmp: taken; the socket is 0600 (the default
	 * --socket-mode) from the start */
	cr_assert_eq(chmod(dir, 01777), 0);
	char sock[220];
	unsigned int mode = 0;
	snprintf(sock, sizeof(sock), "%s/agent.sock", dir);
	snprintf(url, sizeof(url), "%s://%s", scheme, sock);
	cr_assert_eq(agent_try(url, sock, &mode, out, sizeof(out)), 0,
		     "the agent refused a sticky directory:\n%s", out);
	cr_assert_eq(mode, 0600, "the socket's mode is %04o, want 0600", mode);

	/* a link to a directory */
	char link[220];
	snprintf(link, sizeof(link), "%s/link", itest_agent.dir);
	cr_assert_eq(chmod(dir, 0700), 0);
	cr_assert_eq(symlink(dir, link), 0);
	expect_refused_dir(link, "not a directory");

	/* another user's: only root can make one here */
	if (geteuid() == 0) {
		cr_assert_eq(chown(dir, 65534, 65534), 0);
		expect_refused_dir(dir, "belongs to uid 65534");
	} else {
		cr_log_info("not root: the other-owner case is not tried");
	}
	itest_end();
}
