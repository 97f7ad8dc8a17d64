/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "../arg.h"
#include "../resource.h"
#include "../session.h"
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Call `fn_symbol` of `library` with vAccel's argument arrays. Plugins that
 * run guest-named code refuse unless configured with an allow-list. */
int vaccel_exec(struct vaccel_session *sess, const char *library,
		const char *fn_symbol, struct vaccel_arg *read, size_t nr_read,
		struct vaccel_arg *write, size_t nr_write);
int vaccel_exec_with_resource(struct vaccel_session *sess,
			      struct vaccel_resource *resource,
			      const char *fn_symbol, struct vaccel_arg *read,
			      size_t nr_read, struct vaccel_arg *write,
			      size_t nr_write);

#ifdef __cplusplus
}
#endif
