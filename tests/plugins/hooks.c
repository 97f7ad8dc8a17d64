// SPDX-License-Identifier: Apache-2.0
/*
 * A test plugin with session and resource hooks that refuse on cue: a
 * session whose flags carry HOOKS_REFUSE_SESSION is refused with
 * VACCEL_EPERM, a MODEL resource cannot be registered (VACCEL_EACCES).
 * The tests check that the core turns a refusal into the caller's error
 * and leaves no half-made object behind.
 */
#include <vaccel/remote.h>

#define HOOKS_REFUSE_SESSION 0x2000u

static int hooks_session_init(void *priv, struct vaccel_session *sess,
			      uint32_t flags)
{
	(void)priv;
	(void)sess;
	return (flags & HOOKS_REFUSE_SESSION) ? VACCEL_EPERM : VACCEL_OK;
}

static int hooks_resource_register(void *priv, struct vaccel_resource *res,
				   struct vaccel_session *sess)
{
	(void)priv;
	(void)sess;
	return res->type == VACCEL_RESOURCE_MODEL ? VACCEL_EACCES : VACCEL_OK;
}

VACCEL_PLUGIN_DEFINE(.name = "test-hooks", .version = "0.1",
		     .type = VACCEL_PLUGIN_GENERIC,
		     .session_init = hooks_session_init,
		     .resource_register = hooks_resource_register);
