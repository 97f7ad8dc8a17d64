// SPDX-License-Identifier: Apache-2.0
#include "fuzz_cases.h"
#include <stdlib.h>
#include <string.h>

/* Never live: only its remote_id is read, by wire_encode_call(). */
static struct vaccel_resource fake_resource = {.remote_id = 7};

static void *new_buf(struct fuzz_case *fc, uint64_t size, bool fill)
{
	if (fc->nr_bufs == FUZZ_MAX_BUFS)
		return NULL;
	uint8_t *p = malloc(size ? size : 1);
	if (!p)
		return NULL;
	for (uint64_t i = 0; i < size; i++)
		p[i] = fill ? (uint8_t)(fc->nr_bufs * 37 + i * 11 + 1) : 0;
	fc->bufs[fc->nr_bufs] = p;
	fc->sizes[fc->nr_bufs++] = size;
	return p;
}

static int buffer(struct fuzz_case *fc, uint32_t i, uint64_t len)
{
	bool in = fc->op->args[i].kind != VACCEL_ARGK_OUT;
	fc->args[i].buf = new_buf(fc, len, in);
	fc->args[i].len = len;
	return fc->args[i].buf ? 0 : -1;
}

static void scalar(struct fuzz_case *fc, uint32_t i, int64_t v)
{
	fc->args[i].v.i = v;
}

static void complex(struct fuzz_case *fc, uint32_t i, double re, double im)
{
	fc->args[i].v.c128[0] = re;
	fc->args[i].v.c128[1] = im;
}

static void string(struct fuzz_case *fc, uint32_t i, const char *s)
{
	fc->args[i].buf = (void *)s;
	fc->args[i].len = strlen(s);
}

/* An ARGS_* list of n entries with the given sizes. */
static int arg_list(struct fuzz_case *fc, uint32_t i, unsigned int n,
		    const uint32_t *sizes)
{
	bool in = fc->op->args[i].kind == VACCEL_ARGK_ARGS_IN;
	for (unsigned int j = 0; j < n; j++) {
		struct vaccel_arg *a = &fc->lists[i][j];
		a->argtype = j;
		a->size = sizes[j];
		a->buf = new_buf(fc, sizes[j], in);
		if (!a->buf)
			return -1;
	}
	fc->args[i].buf = fc->lists[i];
	fc->args[i].len = n;
	return 0;
}

static struct vaccel_tensor *tensor(struct fuzz_case *fc, uint32_t i,
				    unsigned int j, uint32_t dtype,
				    unsigned int ndim, const int64_t *dims,
				    uint64_t size)
{
	bool in = fc->op->args[i].kind == VACCEL_ARGK_TENSORS_IN;
	struct vaccel_tensor *t = &fc->tensors[i][j];
	t->dtype = dtype;
	t->ndim = ndim;
	memcpy(t->dims, dims, ndim * sizeof(*dims));
	t->size = size;
	t->data = new_buf(fc, size, in);
	fc->args[i].buf = fc->tensors[i];
	fc->args[i].len = j + 1;
	return t->data ? t : NULL;
}

/* ---- the cases -------------------------------------------------------- */

static int c_noop(struct fuzz_case *fc)
{
	(void)fc;
	return 0;
}

static void gemm(struct fuzz_case *fc, int prec, int layout, int ta, int tb,
		 int64_t m, int64_t n, int64_t k, int64_t lda, int64_t ldb,
		 int64_t ldc)
{
	scalar(fc, VACCEL_GEMM_PREC, prec);
	scalar(fc, VACCEL_GEMM_LAYOUT, layout);
	scalar(fc, VACCEL_GEMM_TRANSA, ta);
	scalar(fc, VACCEL_GEMM_TRANSB, tb);
	scalar(fc, VACCEL_GEMM_M, m);
	scalar(fc, VACCEL_GEMM_N, n);
	scalar(fc, VACCEL_GEMM_K, k);
	scalar(fc, VACCEL_GEMM_LDA, lda);
	scalar(fc, VACCEL_GEMM_LDB, ldb);
	scalar(fc, VACCEL_GEMM_LDC, ldc);
	complex(fc, VACCEL_GEMM_ALPHA, 1.5, prec >= VACCEL_BLAS_C ? -2 : 0);
	complex(fc, VACCEL_GEMM_BETA, 0.5, 0);
}

static int c_gemm_s(struct fuzz_case *fc)
{
	gemm(fc, VACCEL_BLAS_S, VACCEL_BLAS_COL, VACCEL_BLAS_NOTRANS,
	     VACCEL_BLAS_NOTRANS, 2, 2, 2, 2, 2, 2);
	return 0;
}

static int c_gemm_d(struct fuzz_case *fc)
{
	gemm(fc, VACCEL_BLAS_D, VACCEL_BLAS_ROW, VACCEL_BLAS_TRANS,
	     VACCEL_BLAS_NOTRANS, 3, 2, 4, 3, 2, 2);
	return 0;
}

static int c_gemm_z(struct fuzz_case *fc)
{
	gemm(fc, VACCEL_BLAS_Z, VACCEL_BLAS_COL, VACCEL_BLAS_CONJTRANS,
	     VACCEL_BLAS_TRANS, 1, 1, 1, 1, 1, 1);
	return 0;
}

static int c_trsm(struct fuzz_case *fc)
{
	scalar(fc, VACCEL_TRSM_PREC, VACCEL_BLAS_D);
	scalar(fc, VACCEL_TRSM_LAYOUT, VACCEL_BLAS_COL);
	scalar(fc, VACCEL_TRSM_SIDE, VACCEL_BLAS_LEFT);
	scalar(fc, VACCEL_TRSM_UPLO, VACCEL_BLAS_UPPER);
	scalar(fc, VACCEL_TRSM_TRANSA, VACCEL_BLAS_NOTRANS);
	scalar(fc, VACCEL_TRSM_DIAG, VACCEL_BLAS_NONUNIT);
	scalar(fc, VACCEL_TRSM_M, 2);
	scalar(fc, VACCEL_TRSM_N, 3);
	scalar(fc, VACCEL_TRSM_LDA, 2);
	scalar(fc, VACCEL_TRSM_LDB, 2);
	complex(fc, VACCEL_TRSM_ALPHA, 1, 0);
	return 0;
}

static int c_gemv(struct fuzz_case *fc)
{
	scalar(fc, VACCEL_GEMV_PREC, VACCEL_BLAS_S);
	scalar(fc, VACCEL_GEMV_LAYOUT, VACCEL_BLAS_COL);
	scalar(fc, VACCEL_GEMV_TRANS, VACCEL_BLAS_NOTRANS);
	scalar(fc, VACCEL_GEMV_M, 3);
	scalar(fc, VACCEL_GEMV_N, 2);
	scalar(fc, VACCEL_GEMV_LDA, 3);
	scalar(fc, VACCEL_GEMV_INCX, 1);
	scalar(fc, VACCEL_GEMV_INCY, 2);
	complex(fc, VACCEL_GEMV_ALPHA, 2, 0);
	complex(fc, VACCEL_GEMV_BETA, 1, 0);
	return 0;
}

static int c_axpy(struct fuzz_case *fc)
{
	scalar(fc, VACCEL_AXPY_PREC, VACCEL_BLAS_D);
	scalar(fc, VACCEL_AXPY_N, 4);
	scalar(fc, VACCEL_AXPY_INCX, 1);
	scalar(fc, VACCEL_AXPY_INCY, -1);
	complex(fc, VACCEL_AXPY_ALPHA, -3, 0);
	return 0;
}

static int c_dot(struct fuzz_case *fc)
{
	scalar(fc, VACCEL_DOT_PREC, VACCEL_BLAS_S);
	scalar(fc, VACCEL_DOT_CONJ, 0);
	scalar(fc, VACCEL_DOT_N, 3);
	scalar(fc, VACCEL_DOT_INCX, 1);
	scalar(fc, VACCEL_DOT_INCY, 1);
	return 0;
}

static int c_nrm2(struct fuzz_case *fc)
{
	scalar(fc, VACCEL_NRM2_PREC, VACCEL_BLAS_D);
	scalar(fc, VACCEL_NRM2_N, 2);
	scalar(fc, VACCEL_NRM2_INCX, 1);
	return 0;
}

static int c_herk(struct fuzz_case *fc)
{
	scalar(fc, VACCEL_HERK_PREC, VACCEL_BLAS_C);
	scalar(fc, VACCEL_HERK_LAYOUT, VACCEL_BLAS_COL);
	scalar(fc, VACCEL_HERK_UPLO, VACCEL_BLAS_LOWER);
	scalar(fc, VACCEL_HERK_TRANS, VACCEL_BLAS_NOTRANS);
	scalar(fc, VACCEL_HERK_N, 2);
	scalar(fc, VACCEL_HERK_K, 1);
	scalar(fc, VACCEL_HERK_LDA, 2);
	scalar(fc, VACCEL_HERK_LDC, 2);
	fc->args[VACCEL_HERK_ALPHA].v.f64 = 1.25;
	fc->args[VACCEL_HERK_BETA].v.f64 = 0;
	return 0;
}

static int c_exec(struct fuzz_case *fc)
{
	static const uint32_t rd[] = {4, 3}, wr[] = {8};
	string(fc, VACCEL_EXEC_LIBRARY, "libmytestlib.so");
	string(fc, VACCEL_EXEC_SYMBOL, "mytestfunc");
	if (arg_list(fc, VACCEL_EXEC_READ, 2, rd))
		return -1;
	return arg_list(fc, VACCEL_EXEC_WRITE, 1, wr);
}

static int c_exec_res(struct fuzz_case *fc)
{
	static const uint32_t rd[] = {4}, wr[] = {4};
	fc->args[VACCEL_EXEC_WITH_RESOURCE_OBJECT].buf = &fake_resource;
	string(fc, VACCEL_EXEC_WITH_RESOURCE_SYMBOL, "run");
	if (arg_list(fc, VACCEL_EXEC_WITH_RESOURCE_READ, 1, rd))
		return -1;
	return arg_list(fc, VACCEL_EXEC_WITH_RESOURCE_WRITE, 1, wr);
}

static int c_genop(struct fuzz_case *fc)
{
	static const uint32_t rd[] = {4, 6}, wr[] = {4, 8};
	if (arg_list(fc, VACCEL_GENOP_READ, 2, rd))
		return -1;
	return arg_list(fc, VACCEL_GENOP_WRITE, 2, wr);
}

static int c_classify(struct fuzz_case *fc)
{
	if (buffer(fc, VACCEL_IMAGE_CLASSIFY_IMG, 8) ||
	    buffer(fc, VACCEL_IMAGE_CLASSIFY_OUT_TEXT, 32))
		return -1;
	return buffer(fc, VACCEL_IMAGE_CLASSIFY_OUT_NAME, 16);
}

static int c_detect(struct fuzz_case *fc)
{
	if (buffer(fc, VACCEL_IMAGE_DETECT_IMG, 5))
		return -1;
	return buffer(fc, VACCEL_IMAGE_DETECT_OUT_NAME, 12);
}

static int c_model_load(struct fuzz_case *fc)
{
	fc->args[VACCEL_MODEL_LOAD_MODEL].buf = &fake_resource;
	return 0;
}

static int c_model_run(struct fuzz_case *fc)
{
	static const int64_t d0[] = {2, 2}, d1[] = {3}, none[] = {0};
	uint32_t in = VACCEL_MODEL_RUN_INPUTS, out = VACCEL_MODEL_RUN_OUTPUTS;
	scalar(fc, VACCEL_MODEL_RUN_HANDLE, 3);
	if (!tensor(fc, in, 0, VACCEL_DTYPE_F32, 2, d0, 16) ||
	    !tensor(fc, in, 1, VACCEL_DTYPE_U8, 1, d1, 3) ||
	    !tensor(fc, out, 0, 0, 0, none, 16) ||
	    !tensor(fc, out, 1, 0, 0, none, 32))
		return -1;
	return 0;
}

static int c_model_unload(struct fuzz_case *fc)
{
	scalar(fc, VACCEL_MODEL_UNLOAD_HANDLE, 3);
	return 0;
}

static const struct {
	const char *name, *op;
	int (*setup)(struct fuzz_case *fc);
} cases[] = {
    {"noop", "noop", c_noop},
    {"gemm-s", "gemm", c_gemm_s},
    {"gemm-d-row-t", "gemm", c_gemm_d},
    {"gemm-z", "gemm", c_gemm_z},
    {"trsm-d", "trsm", c_trsm},
    {"gemv-s-incy2", "gemv", c_gemv},
    {"axpy-d", "axpy", c_axpy},
    {"dot-s", "dot", c_dot},
    {"nrm2-d", "nrm2", c_nrm2},
    {"herk-c", "herk", c_herk},
    {"exec", "exec", c_exec},
    {"exec-with-resource", "exec_with_resource", c_exec_res},
    {"genop", "genop", c_genop},
    {"image-classify", "image_classify", c_classify},
    {"image-detect", "image_detect", c_detect},
    {"model-load", "model_load", c_model_load},
    {"model-run", "model_run", c_model_run},
    {"model-unload", "model_unload", c_model_unload},
};

unsigned int fuzz_nr_cases(void)
{
	return sizeof(cases) / sizeof(cases[0]);
}

int fuzz_case_init(struct fuzz_case *fc, unsigned int which)
{
	memset(fc, 0, sizeof(*fc));
	if (which >= fuzz_nr_cases())
		return -1;
	fc->name = cases[which].name;
	fc->op = vaccel_op_desc_by_name(cases[which].op);
	if (!fc->op || fc->op->nr_args > FUZZ_MAX_ARGS ||
	    cases[which].setup(fc))
		return -1;
	/* Buffers with a size rule get exactly what the rule says. */
	for (uint32_t i = 0; i < fc->op->nr_args; i++) {
		const struct vaccel_op_argdesc *d = &fc->op->args[i];
		if (d->kind < VACCEL_ARGK_IN || d->kind > VACCEL_ARGK_INOUT ||
		    !d->nelems || fc->args[i].buf)
			continue;
		int64_t n = d->nelems(fc->args);
		size_t es = vaccel_op_elem_size(fc->op, fc->args, i);
		if (n < 0 || !es || buffer(fc, i, (uint64_t)n * es))
			return -1;
	}
	return 0;
}

void fuzz_case_release(struct fuzz_case *fc)
{
	for (unsigned int i = 0; i < fc->nr_bufs; i++)
		free(fc->bufs[i]);
	fc->nr_bufs = 0;
}

bool fuzz_case_owns(const struct fuzz_case *fc, const void *p, uint64_t len)
{
	uintptr_t b = (uintptr_t)p;
	for (unsigned int i = 0; i < fc->nr_bufs; i++) {
		uintptr_t s = (uintptr_t)fc->bufs[i];
		if (b >= s && b - s <= fc->sizes[i] &&
		    len <= fc->sizes[i] - (b - s))
			return true;
	}
	return false;
}
