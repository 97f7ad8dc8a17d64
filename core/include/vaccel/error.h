/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * vAccel's return codes: VACCEL_OK, and errno values under vAccel's names,
 * as macros (so `#ifdef VACCEL_EINVAL` holds, and a code compares equal to
 * the errno constant). Our own additions and the code-to-string helpers
 * are in vaccel/remote/error.h.
 */

#include <errno.h>

enum { VACCEL_OK = 0 };

#define VACCEL_EINVAL EINVAL
#define VACCEL_ENOMEM ENOMEM
#define VACCEL_ENOTSUP ENOTSUP
#define VACCEL_EINPROGRESS EINPROGRESS
#define VACCEL_EBUSY EBUSY
#define VACCEL_EEXIST EEXIST
#define VACCEL_ENOENT ENOENT
#define VACCEL_ELIBBAD ELIBBAD
#define VACCEL_ENODEV ENODEV
#define VACCEL_EIO EIO
#define VACCEL_ESESS ECONNRESET
#define VACCEL_EBACKEND EPROTO
#define VACCEL_ENOEXEC ENOEXEC
#define VACCEL_ENAMETOOLONG ENAMETOOLONG
#define VACCEL_EUSERS EUSERS
#define VACCEL_EPERM EPERM
#define VACCEL_ELOOP ELOOP
#define VACCEL_EMLINK EMLINK
#define VACCEL_ENOSPC ENOSPC
#define VACCEL_ENOTDIR ENOTDIR
#define VACCEL_EROFS EROFS
#define VACCEL_EACCES EACCES
#define VACCEL_EBADF EBADF
#define VACCEL_EREMOTEIO EREMOTEIO
#define VACCEL_EFAULT EFAULT
