// SPDX-License-Identifier: Apache-2.0
/* The native API's op functions: each packs its arguments into the op's
 * typed vector and dispatches. */
#include "internal.h"
#include "op_desc.h"
#include "ops_fill_gen.h"
#include <string.h>

static inline struct vaccel_oparg S(int64_t i) {
	return (struct vaccel_oparg){.v.i = i};
}

static inline struct vaccel_oparg
B(const void *buf, uint64_t len) {
	return (struct vaccel_oparg){.buf = (void *)buf, .len = len};
}

static inline struct vaccel_oparg
STR(const char *s) {
	return (struct vaccel_oparg){.buf = (void *)s,
				     .len = s ? strlen(s) : 0};
}

/* First in each wrapper that uses call(), before it builds its vector:
 * the core up and the session live. Nothing between the vector's stores
 * and its fill may be a call (the compiler must assume one changes the
 * vector): with the checks first, the fill folds the wrapper's constant
 * arguments. */
#define ENTER(sess)                                                            \
	do {                                                                   \
		core_ensure();                                                 \
		if (unlikely(!session_live(sess)))                             \
			return VACCEL_EINVAL;                                  \
	} while (0)

/* Fill the sized buffers' lengths from the op's rules and dispatch.
 * Inlined into each wrapper with its constant id, so that the op's fill
 * inlines too: it is most of the in-process hot path. */
static inline __attribute__((always_inline)) int
call(struct vaccel_session *sess, uint32_t id, struct vaccel_oparg *args)
{
	const struct vaccel_op_desc *op = vaccel_op_descs_by_id[id];
	int ret = fill_op(id, args);
	if (unlikely(ret)) {
		vaccel_log(VACCEL_LOG_ERROR, "op",
			   "%s: invalid dimensions or NULL buffer", op->name);
		return ret;
	}
	const char *why;
	int bad = check_op(id, args, &why);
	if (unlikely(bad >= 0)) {
		op_log_refused(op, args, bad, why);
		return VACCEL_EINVAL;
	}
	return op_call_trusted(sess, op, args);
}

/* For ops whose args need a full check (strings, lists, resources). */
static int call_checked(struct vaccel_session *sess, uint32_t id,
			struct vaccel_oparg *args)
{
	core_ensure();
	const struct vaccel_op_desc *op = vaccel_op_descs_by_id[id];
	return vaccel_op_call(sess, id, args, op->nr_args);
}

int vaccel_noop(struct vaccel_session *sess)
{
	ENTER(sess);
	return call(sess, VACCEL_OPID_NOOP, NULL);
}

int vaccel_sgemm(struct vaccel_session *sess, long long int m, long long int n,
		 long long int k, float alpha, float *a, long long int lda,
		 float *b, long long int ldb, float beta, float *c,
		 long long int ldc)
{
	ENTER(sess);
	struct vaccel_oparg args[VACCEL_GEMM_NR_ARGS];
	pack_gemm(args, VACCEL_BLAS_S, VACCEL_BLAS_ROW, VACCEL_BLAS_NOTRANS,
		  VACCEL_BLAS_NOTRANS, m, n, k, (const double[2]){alpha, 0}, a,
		  lda, b, ldb, (const double[2]){beta, 0}, c, ldc);
	return call(sess, VACCEL_OPID_GEMM, args);
}

int vaccel_blas_gemm(struct vaccel_session *sess, int prec, int layout,
		     int transa, int transb, int64_t m, int64_t n, int64_t k,
		     const double alpha[2], const void *a, int64_t lda,
		     const void *b, int64_t ldb, const double beta[2], void *c,
		     int64_t ldc)
{
	ENTER(sess);
	struct vaccel_oparg args[VACCEL_GEMM_NR_ARGS];
	pack_gemm(args, prec, layout, transa, transb, m, n, k, alpha, a, lda, b,
		  ldb, beta, c, ldc);
	return call(sess, VACCEL_OPID_GEMM, args);
}

#define SYMM_LIKE(op, OP)                                                      \
	int vaccel_blas_##op(struct vaccel_session *sess, int prec,            \
			     int layout, int side, int uplo, int64_t m,        \
			     int64_t n, const double alpha[2], const void *a,  \
			     int64_t lda, const void *b, int64_t ldb,          \
			     const double beta[2], void *c, int64_t ldc)       \
	{                                                                      \
		ENTER(sess);                                                   \
		struct vaccel_oparg args[VACCEL_##OP##_NR_ARGS];               \
		pack_##op(args, prec, layout, side, uplo, m, n, alpha, a, lda, \
			  b, ldb, beta, c, ldc);                               \
		return call(sess, VACCEL_OPID_##OP, args);                     \
	}
SYMM_LIKE(symm, SYMM)
SYMM_LIKE(hemm, HEMM)

int vaccel_blas_syrk(struct vaccel_session *sess, int prec, int layout,
		     int uplo, int trans, int64_t n, int64_t k,
		     const double alpha[2], const void *a, int64_t lda,
		     const double beta[2], void *c, int64_t ldc)
{
	ENTER(sess);
	struct vaccel_oparg args[VACCEL_SYRK_NR_ARGS];
	pack_syrk(args, prec, layout, uplo, trans, n, k, alpha, a, lda, beta, c,
		  ldc);
	return call(sess, VACCEL_OPID_SYRK, args);
}

int vaccel_blas_herk(struct vaccel_session *sess, int prec, int layout,
		     int uplo, int trans, int64_t n, int64_t k, double alpha,
		     const void *a, int64_t lda, double beta, void *c,
		     int64_t ldc)
{
	ENTER(sess);
	struct vaccel_oparg args[VACCEL_HERK_NR_ARGS];
	pack_herk(args, prec, layout, uplo, trans, n, k, alpha, a, lda, beta, c,
		  ldc);
	return call(sess, VACCEL_OPID_HERK, args);
}

int vaccel_blas_syr2k(struct vaccel_session *sess, int prec, int layout,
		      int uplo, int trans, int64_t n, int64_t k,
		      const double alpha[2], const void *a, int64_t lda,
		      const void *b, int64_t ldb, const double beta[2], void *c,
		      int64_t ldc)
{
	ENTER(sess);
	struct vaccel_oparg args[VACCEL_SYR2K_NR_ARGS];
	pack_syr2k(args, prec, layout, uplo, trans, n, k, alpha, a, lda, b, ldb,
		   beta, c, ldc);
	return call(sess, VACCEL_OPID_SYR2K, args);
}

int vaccel_blas_her2k(struct vaccel_session *sess, int prec, int layout,
		      int uplo, int trans, int64_t n, int64_t k,
		      const double alpha[2], const void *a, int64_t lda,
		      const void *b, int64_t ldb, double beta, void *c,
		      int64_t ldc)
{
	ENTER(sess);
	struct vaccel_oparg args[VACCEL_HER2K_NR_ARGS];
	pack_her2k(args, prec, layout, uplo, trans, n, k, alpha, a, lda, b, ldb,
		   beta, c, ldc);
	return call(sess, VACCEL_OPID_HER2K, args);
}

#define TRXM(op, OP)                                                           \
	int vaccel_blas_##op(struct vaccel_session *sess, int prec,            \
			     int layout, int side, int uplo, int transa,       \
			     int diag, int64_t m, int64_t n,                   \
			     const double alpha[2], const void *a,             \
			     int64_t lda, void *b, int64_t ldb)                \
	{                                                                      \
		ENTER(sess);                                                   \
		struct vaccel_oparg args[VACCEL_##OP##_NR_ARGS];               \
		pack_##op(args, prec, layout, side, uplo, transa, diag, m, n,  \
			  alpha, a, lda, b, ldb);                              \
		return call(sess, VACCEL_OPID_##OP, args);                     \
	}
TRXM(trmm, TRMM)
TRXM(trsm, TRSM)

int vaccel_exec(struct vaccel_session *sess, const char *library,
		const char *fn_symbol, struct vaccel_arg *read, size_t nr_read,
		struct vaccel_arg *write, size_t nr_write)
{
	if (!library || !fn_symbol)
		return VACCEL_EINVAL;
	struct vaccel_oparg args[VACCEL_EXEC_NR_ARGS] = {
	    STR(library),
	    STR(fn_symbol),
	    B(read, nr_read),
	    B(write, nr_write),
	};
	return call_checked(sess, VACCEL_OPID_EXEC, args);
}

int vaccel_exec_with_resource(struct vaccel_session *sess,
			      struct vaccel_resource *resource,
			      const char *fn_symbol, struct vaccel_arg *read,
			      size_t nr_read, struct vaccel_arg *write,
			      size_t nr_write)
{
	if (!resource || !fn_symbol)
		return VACCEL_EINVAL;
	struct vaccel_oparg args[VACCEL_EXEC_WITH_RESOURCE_NR_ARGS] = {
	    B(resource, 0),
	    STR(fn_symbol),
	    B(read, nr_read),
	    B(write, nr_write),
	};
	return call_checked(sess, VACCEL_OPID_EXEC_WITH_RESOURCE, args);
}

int vaccel_image_classification(struct vaccel_session *sess, const void *img,
				unsigned char *out_text,
				unsigned char *out_imgname, size_t len_img,
				size_t len_out_text, size_t len_out_imgname)
{
	struct vaccel_oparg args[VACCEL_IMAGE_CLASSIFY_NR_ARGS] = {
	    B(img, len_img),
	    B(out_text, len_out_text),
	    B(out_imgname, len_out_imgname),
	};
	return call_checked(sess, VACCEL_OPID_IMAGE_CLASSIFY, args);
}

#define IMAGE_OP(fn, OPID)                                                     \
	int fn(struct vaccel_session *sess, const void *img,                   \
	       unsigned char *out_imgname, size_t len_img,                     \
	       size_t len_out_imgname)                                         \
	{                                                                      \
		struct vaccel_oparg args[2] = {                                \
		    B(img, len_img),                                           \
		    B(out_imgname, len_out_imgname),                           \
		};                                                             \
		return call_checked(sess, OPID, args);                         \
	}
IMAGE_OP(vaccel_image_detection, VACCEL_OPID_IMAGE_DETECT)
IMAGE_OP(vaccel_image_segmentation, VACCEL_OPID_IMAGE_SEGMENT)
IMAGE_OP(vaccel_image_pose, VACCEL_OPID_IMAGE_POSE)
IMAGE_OP(vaccel_image_depth, VACCEL_OPID_IMAGE_DEPTH)

int vaccel_model_load(struct vaccel_session *sess,
		      struct vaccel_resource *model, uint64_t *handle)
{
	if (!model || !handle)
		return VACCEL_EINVAL;
	struct vaccel_oparg args[VACCEL_MODEL_LOAD_NR_ARGS] = {
	    B(model, 0),
	    B(handle, sizeof(*handle)),
	};
	return call_checked(sess, VACCEL_OPID_MODEL_LOAD, args);
}

int vaccel_model_run(struct vaccel_session *sess, uint64_t handle,
		     const struct vaccel_tensor *inputs, size_t nr_inputs,
		     struct vaccel_tensor *outputs, size_t nr_outputs)
{
	struct vaccel_oparg args[VACCEL_MODEL_RUN_NR_ARGS] = {
	    S((int64_t)handle),
	    B(inputs, nr_inputs),
	    B(outputs, nr_outputs),
	};
	return call_checked(sess, VACCEL_OPID_MODEL_RUN, args);
}

int vaccel_model_unload(struct vaccel_session *sess, uint64_t handle)
{
	struct vaccel_oparg args[VACCEL_MODEL_UNLOAD_NR_ARGS] = {
	    S((int64_t)handle),
	};
	return call_checked(sess, VACCEL_OPID_MODEL_UNLOAD, args);
}

int vaccel_minmax(struct vaccel_session *sess, const double *indata, int ndata,
		  int low_threshold, int high_threshold, double *outdata,
		  double *min, double *max)
{
	ENTER(sess);
	struct vaccel_oparg args[VACCEL_MINMAX_NR_ARGS];
	pack_minmax(args, indata, ndata, low_threshold, high_threshold, outdata,
		    min, max);
	return call(sess, VACCEL_OPID_MINMAX, args);
}

int vaccel_fpga_arraycopy(struct vaccel_session *sess, int a[], int out_a[],
			  size_t len_a)
{
	ENTER(sess);
	struct vaccel_oparg args[VACCEL_FPGA_ARRAYCOPY_NR_ARGS];
	pack_fpga_arraycopy(args, a, out_a, (int64_t)len_a);
	return call(sess, VACCEL_OPID_FPGA_ARRAYCOPY, args);
}

int vaccel_fpga_mmult(struct vaccel_session *sess, float a[], float b[],
		      float c[], size_t len_a)
{
	ENTER(sess);
	struct vaccel_oparg args[VACCEL_FPGA_MMULT_NR_ARGS];
	pack_fpga_mmult(args, a, b, c, (int64_t)len_a);
	return call(sess, VACCEL_OPID_FPGA_MMULT, args);
}

int vaccel_fpga_parallel(struct vaccel_session *sess, float a[], float b[],
			 float add_output[], float mult_output[], size_t len_a)
{
	ENTER(sess);
	struct vaccel_oparg args[VACCEL_FPGA_PARALLEL_NR_ARGS];
	pack_fpga_parallel(args, a, b, add_output, mult_output, (int64_t)len_a);
	return call(sess, VACCEL_OPID_FPGA_PARALLEL, args);
}

int vaccel_fpga_vadd(struct vaccel_session *sess, float a[], float b[],
		     float c[], size_t len_a, size_t len_b)
{
	ENTER(sess);
	struct vaccel_oparg args[VACCEL_FPGA_VADD_NR_ARGS];
	pack_fpga_vadd(args, a, b, c, (int64_t)len_a, (int64_t)len_b);
	return call(sess, VACCEL_OPID_FPGA_VADD, args);
}

int vaccel_opencv(struct vaccel_session *sess, struct vaccel_arg *read,
		  int nr_read, struct vaccel_arg *write, int nr_write)
{
	if (nr_read < 0 || nr_write < 0)
		return VACCEL_EINVAL;
	struct vaccel_oparg args[VACCEL_OPENCV_NR_ARGS] = {
	    B(read, (uint64_t)nr_read),
	    B(write, (uint64_t)nr_write),
	};
	return call_checked(sess, VACCEL_OPID_OPENCV, args);
}

int vaccel_opencv_unpack(struct vaccel_session *sess, struct vaccel_arg *read,
			 int nr_read, struct vaccel_arg *write, int nr_write)
{
	return vaccel_opencv(sess, read, nr_read, write, nr_write);
}
