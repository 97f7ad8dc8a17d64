/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "../session.h"

#ifdef __cplusplus
extern "C" {
#endif

int vaccel_noop(struct vaccel_session *sess);

#ifdef __cplusplus
}
#endif
