/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "../arg.h"
#include "../session.h"
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* vAccel's generic OpenCV op: two argument lists that go to the plugin as
 * they are. vaccel_opencv_unpack is the same call under genop's name. */
int vaccel_opencv(struct vaccel_session *sess, struct vaccel_arg *read,
		  int nr_read, struct vaccel_arg *write, int nr_write);
int vaccel_opencv_unpack(struct vaccel_session *sess, struct vaccel_arg *read,
			 int nr_read, struct vaccel_arg *write, int nr_write);

#ifdef __cplusplus
}
#endif
