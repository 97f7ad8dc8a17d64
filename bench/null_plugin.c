// SPDX-License-Identifier: Apache-2.0
/*
 * bench-null: a backend that implements every op by doing nothing, so the
 * large-buffer benchmark times the transport alone (the noop plugin writes
 * every output byte, which would be timed with it). In+out buffers come
 * back exactly as they went.
 */
#include <vaccel/remote.h>

static int null_any(void *priv, struct vaccel_session *sess,
		    const struct vaccel_op_desc *op, struct vaccel_oparg *args)
{
	(void)priv;
	(void)sess;
	(void)op;
	(void)args;
	return VACCEL_OK;
}

VACCEL_PLUGIN_DEFINE(.name = "bench-null", .version = "1.0",
		     .type = VACCEL_PLUGIN_DEBUG, .any_op = null_any);
