// SPDX-License-Identifier: Apache-2.0
/*
 * gen-corpus: write the fuzz target's seed frames (tests/fuzz/corpus/gen-*)
 * with the project's own encoders, so the seeds follow the op table.
 *
 *   gen-corpus DIR           (re)write DIR/gen-* (others' files untouched)
 *   gen-corpus --check DIR   exit 1 if DIR/gen-* differ from what would be
 *                            written, or a gen-* file would not be
 *
 * The seeds: valid HELLO, HELLO_REPLY, CALL (every case of fuzz_cases.c:
 * BLAS in four precisions, exec, genop, images, models), CALL_REPLY, CTRL
 * and CTRL_REPLY frames, and near misses (bad signature, unknown op,
 * trailing bytes, wrong lengths, a hostile element count, bad headers).
 * The output is deterministic: the same op table gives the same bytes.
 */
#include "fuzz_cases.h"
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FRAMES 128

struct frame {
	char name[64];
	uint8_t *data;
	size_t len;
};

static struct frame frames[MAX_FRAMES];
static unsigned int nr_frames;

static void die(const char *what)
{
	fprintf(stderr, "gen-corpus: %s\n", what);
	exit(2);
}

/* Add a frame: header h (meta_len/raw_len filled here unless `keep`),
 * meta, the segments' bytes, then `extra` raw bytes. */
static void add(const char *name, struct wire_hdr h, bool keep,
		const uint8_t *meta, size_t mlen, const struct segs *sg,
		const uint8_t *extra, size_t extra_len)
{
	if (nr_frames == MAX_FRAMES)
		die("too many frames");
	uint64_t raw = (sg ? sg->total : 0) + extra_len;
	if (!keep) {
		h.meta_len = (uint32_t)mlen;
		h.raw_len = raw;
	}
	struct frame *f = &frames[nr_frames++];
	snprintf(f->name, sizeof(f->name), "gen-%s", name);
	f->len = WIRE_HDR_SIZE + mlen + raw;
	f->data = malloc(f->len);
	if (!f->data)
		die("out of memory");
	wire_hdr_encode(&h, f->data);
	uint8_t *p = f->data + WIRE_HDR_SIZE;
	memcpy(p, meta, mlen);
	p += mlen;
	for (uint32_t i = 0; sg && i < sg->n; i++) {
		memcpy(p, sg->v[i].buf, sg->v[i].len);
		p += sg->v[i].len;
	}
	if (extra_len)
		memcpy(p, extra, extra_len);
}

static struct wire_hdr hdr(uint16_t kind, uint64_t req)
{
	return (struct wire_hdr){.magic = WIRE_MAGIC,
				 .version = WIRE_VERSION,
				 .kind = kind,
				 .req_id = req};
}

static void add_simple(const char *name, uint16_t kind, const struct wbuf *m)
{
	if (m->failed)
		die("out of memory");
	add(name, hdr(kind, 1), false, m->data, m->len, NULL, NULL, 0);
}

/* ---- HELLO ------------------------------------------------------------ */

static void put_ops(struct wbuf *m, unsigned int max)
{
	unsigned int n = 0;
	while (vaccel_op_desc_at(n) && n < max)
		n++;
	mp_put_array(m, n);
	for (unsigned int i = 0; i < n; i++) {
		mp_put_array(m, 2);
		mp_put_uint(m, vaccel_op_desc_at(i)->id);
		mp_put_uint(m, vaccel_op_desc_at(i)->sig_hash);
	}
}

static void hellos(void)
{
	static const uint8_t key[WIRE_KEY_SIZE] = {
	    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	struct wbuf m = {0};
	struct wire_hdr h;

	mp_put_array(&m, 4);
	mp_put_uint(&m, WIRE_VERSION);
	mp_put_bin(&m, key, sizeof(key));
	mp_put_nil(&m);
	put_ops(&m, ~0u);
	add_simple("hello", WIRE_HELLO, &m);

	wbuf_reset(&m);
	mp_put_array(&m, 4);
	mp_put_uint(&m, WIRE_VERSION);
	mp_put_bin(&m, key, sizeof(key));
	mp_put_str(&m, "s3cret-token", 12);
	put_ops(&m, 3);
	add_simple("hello-token", WIRE_HELLO, &m);

	wbuf_reset(&m);
	mp_put_array(&m, 4);
	mp_put_uint(&m, WIRE_VERSION + 1);
	mp_put_bin(&m, key, sizeof(key));
	mp_put_nil(&m);
	put_ops(&m, 0);
	h = hdr(WIRE_HELLO, 1);
	h.version = WIRE_VERSION + 1;
	add("hello-version-2", h, false, m.data, m.len, NULL, NULL, 0);

	wbuf_reset(&m);
	mp_put_array(&m, 5);
	mp_put_int(&m, VACCEL_OK);
	mp_put_str(&m, "", 0);
	mp_put_uint(&m, 0x1122334455667788ull);
	mp_put_bool(&m, false);
	put_ops(&m, ~0u);
	add_simple("hello-reply", WIRE_HELLO_REPLY, &m);

	wbuf_reset(&m);
	mp_put_array(&m, 5);
	mp_put_int(&m, VACCEL_OK);
	mp_put_str(&m, "", 0);
	mp_put_uint(&m, 42);
	mp_put_bool(&m, true);
	put_ops(&m, 2);
	add_simple("hello-reply-known", WIRE_HELLO_REPLY, &m);

	wbuf_reset(&m);
	mp_put_array(&m, 3);
	mp_put_int(&m, VACCEL_EACCES);
	mp_put_str(&m, "bad or missing token", 20);
	mp_put_array(&m, 0);
	add_simple("hello-reply-refused", WIRE_HELLO_REPLY, &m);
	wbuf_free(&m);
}

/* ---- CALL and CALL_REPLY ---------------------------------------------- */

static void add_call(const char *name, const struct fuzz_case *fc,
		     uint64_t sig_hash)
{
	struct wbuf m = {0};
	struct segs sg = {0};
	if (wire_encode_call(&m, &sg, fc->op, fc->args, 1, sig_hash))
		die("cannot encode a call");
	add(name, hdr(WIRE_CALL, 2), false, m.data, m.len, &sg, NULL, 0);
	wbuf_free(&m);
	segs_free(&sg);
}

/* What a backend would leave in the outputs (noop plugin style). */
static void fill_outputs(struct fuzz_case *fc)
{
	for (uint32_t i = 0; i < fc->op->nr_args; i++) {
		struct vaccel_oparg *a = &fc->args[i];
		switch (fc->op->args[i].kind) {
		case VACCEL_ARGK_OUT:
		case VACCEL_ARGK_INOUT:
			memset(a->buf, 0xa0 + (int)i, a->len);
			break;
		case VACCEL_ARGK_ARGS_OUT:
			for (uint64_t j = 0; j < a->len; j++) {
				struct vaccel_arg *l = &fc->lists[i][j];
				memset(l->buf, 0xb0 + (int)j, l->size);
			}
			break;
		case VACCEL_ARGK_TENSORS_OUT:
			for (uint64_t j = 0; j < a->len; j++) {
				struct vaccel_tensor *t = &fc->tensors[i][j];
				t->dtype =
				    j ? VACCEL_DTYPE_U8 : VACCEL_DTYPE_F32;
				t->ndim = 2;
				t->dims[0] = 1;
				t->dims[1] =
				    (int64_t)(t->size /
					      vaccel_dtype_size(t->dtype));
				memset(t->data, 0xc0 + (int)j, t->size);
			}
			break;
		default:
			break;
		}
	}
}

static void add_reply(const char *name, const struct fuzz_case *fc, int status,
		      const char *msg)
{
	struct wbuf m = {0};
	struct segs sg = {0};
	if (wire_encode_reply(&m, &sg, status, msg, fc->op, fc->args))
		die("cannot encode a reply");
	add(name, hdr(WIRE_CALL_REPLY, 2), false, m.data, m.len, &sg, NULL, 0);
	wbuf_free(&m);
	segs_free(&sg);
}

static void calls(void)
{
	struct fuzz_case fc;
	char name[64];
	for (unsigned int i = 0; i < fuzz_nr_cases(); i++) {
		if (fuzz_case_init(&fc, i))
			die("a case no longer fits the op table");
		snprintf(name, sizeof(name), "call-%s", fc.name);
		add_call(name, &fc, fc.op->sig_hash);
		fill_outputs(&fc);
		if (strcmp(fc.name, "model-unload") != 0) {
			snprintf(name, sizeof(name), "reply-%s", fc.name);
			add_reply(name, &fc, VACCEL_OK, "");
		}
		if (strcmp(fc.name, "gemm-s") == 0) {
			add_reply("reply-gemm-s-error", &fc, VACCEL_EINVAL,
				  "op 'gemm': argument 'a' does not match its "
				  "size rule");
			/* A length its size rule does not allow. */
			fc.args[VACCEL_GEMM_A].len -= 4;
			add_call("call-gemm-s-bad-len", &fc, fc.op->sig_hash);
		}
		if (strcmp(fc.name, "noop") == 0)
			add_call("call-noop-bad-sig", &fc, fc.op->sig_hash ^ 1);
		if (strcmp(fc.name, "model-run") == 0) {
			/* An output larger than the caller's capacity. */
			struct vaccel_tensor *t =
			    &fc.tensors[VACCEL_MODEL_RUN_OUTPUTS][1];
			void *small = t->data;
			uint8_t big[64] = {0};
			t->data = big;
			t->size = sizeof(big);
			add_reply("reply-model-run-too-big", &fc, VACCEL_OK,
				  "");
			t->data = small;
			/* An input whose size does not match its shape. */
			fc.tensors[VACCEL_MODEL_RUN_INPUTS][0].size = 12;
			add_call("call-model-run-bad-shape", &fc,
				 fc.op->sig_hash);
		}
		fuzz_case_release(&fc);
	}

	struct wbuf m = {0};
	const struct vaccel_op_desc *genop = vaccel_op_desc_by_name("genop");
	const struct vaccel_op_desc *noop = vaccel_op_desc_by_name("noop");
	if (!genop || !noop)
		die("genop or noop is missing from the op table");

	mp_put_array(&m, 4);
	mp_put_uint(&m, 999);
	mp_put_uint(&m, 0);
	mp_put_int(&m, 1);
	mp_put_array(&m, 0);
	add_simple("call-unknown-op", WIRE_CALL, &m);

	wbuf_reset(&m);
	mp_put_array(&m, 4);
	mp_put_uint(&m, noop->id);
	mp_put_uint(&m, noop->sig_hash);
	mp_put_int(&m, 1);
	mp_put_array(&m, 0);
	mp_put_nil(&m);
	add_simple("call-noop-trailing", WIRE_CALL, &m);

	/* A 5-byte array header claiming 4 billion entries (the trap that
	 * msgpack-c's own unpacker falls into). */
	static const uint8_t hostile[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 0x90};
	wbuf_reset(&m);
	mp_put_array(&m, 4);
	mp_put_uint(&m, genop->id);
	mp_put_uint(&m, genop->sig_hash);
	mp_put_int(&m, 1);
	mp_put_array(&m, 2);
	if (m.failed)
		die("out of memory");
	uint8_t meta[256];
	memcpy(meta, m.data, m.len);
	memcpy(meta + m.len, hostile, sizeof(hostile));
	add("call-genop-huge-count", hdr(WIRE_CALL, 3), false, meta,
	    m.len + sizeof(hostile), NULL, NULL, 0);

	/* Headers: wrong magic, a meta larger than any limit, a frame cut
	 * inside its header. */
	wbuf_reset(&m);
	mp_put_array(&m, 4);
	mp_put_uint(&m, noop->id);
	mp_put_uint(&m, noop->sig_hash);
	mp_put_int(&m, 1);
	mp_put_array(&m, 0);
	struct wire_hdr h = hdr(WIRE_CALL, 4);
	h.magic = 0x4C434157u;
	add("hdr-bad-magic", h, false, m.data, m.len, NULL, NULL, 0);
	h = hdr(WIRE_CALL, 5);
	h.meta_len = 0xffffffffu;
	h.raw_len = 0;
	add("hdr-huge-meta", h, true, m.data, m.len, NULL, NULL, 0);
	h = hdr(WIRE_CALL, 6);
	h.meta_len = (uint32_t)m.len;
	h.raw_len = 1ull << 40;
	add("hdr-huge-raw", h, true, m.data, m.len, NULL, NULL, 0);
	add("hdr-short", hdr(WIRE_CALL, 7), false, m.data, m.len, NULL, NULL,
	    0);
	frames[nr_frames - 1].len = WIRE_HDR_SIZE / 2;
	wbuf_free(&m);
}

/* ---- CTRL and CTRL_REPLY ---------------------------------------------- */

static void ctrls(void)
{
	struct wbuf m = {0};
	static const uint8_t files[] = "ONNX01labl";

	mp_put_array(&m, 2);
	mp_put_uint(&m, WIRE_CTRL_SESS_NEW);
	mp_put_uint(&m, 0);
	add_simple("ctrl-sess-new", WIRE_CTRL, &m);

	wbuf_reset(&m);
	mp_put_array(&m, 2);
	mp_put_uint(&m, WIRE_CTRL_SESS_FREE);
	mp_put_int(&m, 1);
	add_simple("ctrl-sess-free", WIRE_CTRL, &m);

	wbuf_reset(&m);
	mp_put_array(&m, 3);
	mp_put_uint(&m, WIRE_CTRL_RES_NEW);
	mp_put_uint(&m, VACCEL_RESOURCE_MODEL);
	mp_put_array(&m, 2);
	mp_put_array(&m, 2);
	mp_put_str(&m, "model.onnx", 10);
	mp_put_uint(&m, 6);
	mp_put_array(&m, 2);
	mp_put_str(&m, "labels.txt", 10);
	mp_put_uint(&m, 4);
	add("ctrl-res-new", hdr(WIRE_CTRL, 1), false, m.data, m.len, NULL,
	    files, 10);

	wbuf_reset(&m);
	mp_put_array(&m, 3);
	mp_put_uint(&m, WIRE_CTRL_RES_NEW);
	mp_put_uint(&m, VACCEL_RESOURCE_DATA);
	mp_put_array(&m, 1);
	mp_put_array(&m, 2);
	mp_put_str(&m, "..", 2);
	mp_put_uint(&m, 1);
	add("ctrl-res-new-dotdot", hdr(WIRE_CTRL, 1), false, m.data, m.len,
	    NULL, files, 1);

	wbuf_reset(&m);
	mp_put_array(&m, 2);
	mp_put_uint(&m, WIRE_CTRL_RES_FREE);
	mp_put_int(&m, 2);
	add_simple("ctrl-res-free", WIRE_CTRL, &m);

	wbuf_reset(&m);
	mp_put_array(&m, 3);
	mp_put_uint(&m, WIRE_CTRL_RES_REG);
	mp_put_int(&m, 2);
	mp_put_int(&m, 1);
	add_simple("ctrl-res-reg", WIRE_CTRL, &m);

	wbuf_reset(&m);
	mp_put_array(&m, 3);
	mp_put_uint(&m, WIRE_CTRL_RES_UNREG);
	mp_put_int(&m, 2);
	mp_put_int(&m, 1);
	add_simple("ctrl-res-unreg", WIRE_CTRL, &m);

	wbuf_reset(&m);
	mp_put_array(&m, 2);
	mp_put_uint(&m, 99);
	mp_put_int(&m, 0);
	add_simple("ctrl-unknown", WIRE_CTRL, &m);

	wbuf_reset(&m);
	mp_put_array(&m, 3);
	mp_put_int(&m, VACCEL_OK);
	mp_put_str(&m, "", 0);
	mp_put_int(&m, 5);
	add_simple("ctrl-reply", WIRE_CTRL_REPLY, &m);

	wbuf_reset(&m);
	mp_put_array(&m, 3);
	mp_put_int(&m, VACCEL_ENOENT);
	mp_put_str(&m, "unknown session 9", 17);
	mp_put_int(&m, 0);
	add_simple("ctrl-reply-error", WIRE_CTRL_REPLY, &m);
	wbuf_free(&m);
}

/* ---- output ----------------------------------------------------------- */

static char *join(const char *dir, const char *name)
{
	size_t len = strlen(dir) + strlen(name) + 2;
	char *path = malloc(len);
	if (!path)
		die("out of memory");
	snprintf(path, len, "%s/%s", dir, name);
	return path;
}

static int write_all(const char *dir)
{
	for (unsigned int i = 0; i < nr_frames; i++) {
		char *path = join(dir, frames[i].name);
		FILE *f = fopen(path, "wb");
		bool ok = f && fwrite(frames[i].data, 1, frames[i].len, f) ==
				   frames[i].len;
		if (f && fclose(f))
			ok = false;
		if (!ok) {
			fprintf(stderr, "gen-corpus: %s: %s\n", path,
				strerror(errno));
			free(path);
			return 1;
		}
		free(path);
	}
	printf("gen-corpus: wrote %u seed(s) to %s\n", nr_frames, dir);
	return 0;
}

static bool same_file(const char *path, const struct frame *fr)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	uint8_t *buf = malloc(fr->len + 1);
	size_t n = buf ? fread(buf, 1, fr->len + 1, f) : 0;
	bool same = buf && n == fr->len && memcmp(buf, fr->data, n) == 0;
	free(buf);
	fclose(f);
	return same;
}

static int check_all(const char *dir)
{
	int bad = 0;
	for (unsigned int i = 0; i < nr_frames; i++) {
		char *path = join(dir, frames[i].name);
		if (!same_file(path, &frames[i])) {
			fprintf(stderr, "gen-corpus: %s is missing or stale\n",
				path);
			bad = 1;
		}
		free(path);
	}
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "gen-corpus: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "gen-", 4) != 0)
			continue;
		bool known = false;
		for (unsigned int i = 0; i < nr_frames && !known; i++)
			known = strcmp(frames[i].name, e->d_name) == 0;
		if (!known) {
			fprintf(stderr,
				"gen-corpus: %s/%s is no longer generated\n",
				dir, e->d_name);
			bad = 1;
		}
	}
	closedir(d);
	if (bad)
		fprintf(stderr, "gen-corpus: regenerate with: gen-corpus %s\n",
			dir);
	else
		printf("gen-corpus: %u seed(s) in %s are current\n", nr_frames,
		       dir);
	return bad;
}

int main(int argc, char **argv)
{
	bool check = argc == 3 && strcmp(argv[1], "--check") == 0;
	if (argc != 2 && !check) {
		fprintf(stderr, "usage: %s [--check] DIR\n", argv[0]);
		return 2;
	}
	hellos();
	calls();
	ctrls();
	int ret = check ? check_all(argv[2]) : write_all(argv[1]);
	for (unsigned int i = 0; i < nr_frames; i++)
		free(frames[i].data);
	return ret;
}
