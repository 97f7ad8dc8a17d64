// SPDX-License-Identifier: Apache-2.0
/*
 * A plugin written in vAccel v0.7.1's style, with vAccel's header only:
 * VACCEL_PLUGIN(...), ops registered from init with
 * vaccel_plugin_register_ops, each a function of its op type's native
 * signature. It computes what it serves (so that a test can tell it
 * answered): noop, a row-major sgemm, minmax.
 */
#include <vaccel.h>

static int vs_noop(struct vaccel_session *sess)
{
	return sess ? VACCEL_OK : VACCEL_EINVAL;
}

static int vs_sgemm(struct vaccel_session *sess, long long int m,
		    long long int n, long long int k, float alpha, float *a,
		    long long int lda, float *b, long long int ldb, float beta,
		    float *c, long long int ldc)
{
	(void)sess;
	for (long long i = 0; i < m; i++)
		for (long long j = 0; j < n; j++) {
			double s = 0;
			for (long long p = 0; p < k; p++)
				s += (double)a[i * lda + p] * b[p * ldb + j];
			c[i * ldc + j] =
			    (float)(alpha * s + beta * c[i * ldc + j]);
		}
	return VACCEL_OK;
}

static int vs_minmax(struct vaccel_session *sess, const double *indata,
		     int ndata, int low_threshold, int high_threshold,
		     double *outdata, double *min, double *max)
{
	(void)sess;
	(void)low_threshold;
	(void)high_threshold;
	if (ndata < 1)
		return VACCEL_EINVAL;
	*min = *max = indata[0];
	for (int i = 0; i < ndata; i++) {
		outdata[i] = indata[i];
		if (indata[i] < *min)
			*min = indata[i];
		if (indata[i] > *max)
			*max = indata[i];
	}
	return VACCEL_OK;
}

static struct vaccel_op ops[] = {
    VACCEL_OP_INIT(ops[0], VACCEL_OP_NOOP, vs_noop),
    VACCEL_OP_INIT(ops[1], VACCEL_OP_BLAS_SGEMM, vs_sgemm),
    VACCEL_OP_INIT(ops[2], VACCEL_OP_MINMAX, vs_minmax),
};

static int init(void)
{
	return vaccel_plugin_register_ops(ops, sizeof(ops) / sizeof(ops[0]));
}

static int fini(void)
{
	return VACCEL_OK;
}

VACCEL_PLUGIN(.name = "vstyle", .version = "0.1",
	      .vaccel_version = VACCEL_VERSION, .type = VACCEL_PLUGIN_CPU,
	      .init = init, .fini = fini)
