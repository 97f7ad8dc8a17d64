// SPDX-License-Identifier: Apache-2.0
/*
 * A test plugin built several times (tests/plugins/meson.build) with
 * different -D settings. It implements `dot` by writing MARKER_VALUE into
 * the result, so a test can tell which plugin served a call, and keeps a
 * word of private state to check that the core allocates, zeroes and
 * passes it (and `gemm` where MARKER_GEMM is set, the same way). The
 * descriptor is written out by hand rather than through
 * VACCEL_PLUGIN_DEFINE so that the ABI fields can be set wrong on purpose.
 */
#include <stddef.h>
#include <vaccel/remote.h>

#ifndef MARKER_NAME
#error "MARKER_NAME must be defined"
#endif
#ifndef MARKER_TYPE
#define MARKER_TYPE VACCEL_PLUGIN_GENERIC
#endif
#ifndef MARKER_VALUE
#define MARKER_VALUE 0.0
#endif
#ifndef MARKER_ABI_MAJOR
#define MARKER_ABI_MAJOR VACCEL_PLUGIN_ABI_MAJOR
#endif
#ifndef MARKER_ABI_MINOR
#define MARKER_ABI_MINOR VACCEL_PLUGIN_ABI_MINOR
#endif
/* what init returns; VACCEL_OK unless the test wants a refusal */
#ifndef MARKER_READ_SLACK
#define MARKER_READ_SLACK 0
#endif
/* an older descriptor is shorter: what it lacks the core must not read */
#ifndef MARKER_DESC_SIZE
#define MARKER_DESC_SIZE sizeof(struct vaccel_plugin_desc)
#endif
/* the descriptor's min_cost (ABI 2.1) */
#ifndef MARKER_MIN_COST
#define MARKER_MIN_COST 0
#endif
#ifndef MARKER_INIT_RET
#define MARKER_INIT_RET VACCEL_OK
#endif

#define STATE_MAGIC 0x6d61726bu /* "mark" */

struct marker_state {
	unsigned int magic;
};

static int marker_init(void *priv)
{
	struct marker_state *s = priv;
	/* The core promised priv_size zeroed bytes. */
	if (!s || s->magic)
		return VACCEL_EFAULT;
	s->magic = STATE_MAGIC;
	return MARKER_INIT_RET;
}

static void marker_fini(void *priv)
{
	struct marker_state *s = priv;
	if (s)
		s->magic = 0;
}

static int marker_dot(void *priv, struct vaccel_session *sess,
		      const struct vaccel_op_desc *op,
		      struct vaccel_oparg *args)
{
	const struct marker_state *s = priv;
	if (!s || s->magic != STATE_MAGIC || !sess || op->id != VACCEL_OPID_DOT)
		return VACCEL_EFAULT;
	double *result = args[VACCEL_DOT_RESULT].buf;
	result[0] = MARKER_VALUE;
	result[1] = 0.0;
	return VACCEL_OK;
}

#ifdef MARKER_GEMM
/* gemm too (MARKER_GEMM): MARKER_VALUE into c[0] (its real part). */
static int marker_gemm(void *priv, struct vaccel_session *sess,
		       const struct vaccel_op_desc *op,
		       struct vaccel_oparg *args)
{
	const struct marker_state *s = priv;
	if (!s || s->magic != STATE_MAGIC || !sess ||
	    op->id != VACCEL_OPID_GEMM)
		return VACCEL_EFAULT;
	void *c = args[VACCEL_GEMM_C].buf;
	if (!args[VACCEL_GEMM_C].len)
		return VACCEL_OK;
	int64_t prec = args[VACCEL_GEMM_PREC].v.i;
	if (prec == VACCEL_BLAS_S || prec == VACCEL_BLAS_C)
		*(float *)c = (float)MARKER_VALUE;
	else
		*(double *)c = MARKER_VALUE;
	return VACCEL_OK;
}
#endif

static const struct vaccel_plugin_op marker_ops[] = {
    {.op_id = VACCEL_OPID_DOT, .fn = marker_dot},
#ifdef MARKER_GEMM
    {.op_id = VACCEL_OPID_GEMM, .fn = marker_gemm},
#endif
    /* an id the core does not know: must be ignored, not fatal */
    {.op_id = 999, .fn = marker_dot},
};

__attribute__((visibility("default")))
const struct vaccel_plugin_desc vaccel_plugin_descriptor = {
    .abi_major = MARKER_ABI_MAJOR,
    .abi_minor = MARKER_ABI_MINOR,
    .desc_size = MARKER_DESC_SIZE,
    .name = MARKER_NAME,
    .version = "0.1",
    .type = MARKER_TYPE,
    .priv_size = sizeof(struct marker_state),
    .init = marker_init,
    .fini = marker_fini,
    .ops = marker_ops,
    .nr_ops = sizeof(marker_ops) / sizeof(marker_ops[0]),
    .read_slack = MARKER_READ_SLACK,
    .min_cost = MARKER_MIN_COST,
};
