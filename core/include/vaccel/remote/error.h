/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Error codes beyond vAccel's, and every code's name and description. */

#include "../error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VACCEL_ETIMEDOUT ETIMEDOUT
#define VACCEL_EMSGSIZE EMSGSIZE
#define VACCEL_EPROTO_VERSION EPROTONOSUPPORT

/* Every code, X(name, description): the table behind the helpers below.
 * error.c checks at build time that each name is a distinct errno. */
#define VACCEL_ERRORS_LIST(X)                                                  \
	X(VACCEL_OK, "success")                                                \
	X(VACCEL_EINVAL, "invalid argument")                                   \
	X(VACCEL_ENOMEM, "out of memory")                                      \
	X(VACCEL_ENOTSUP, "operation not supported")                           \
	X(VACCEL_EINPROGRESS, "operation in progress")                         \
	X(VACCEL_EBUSY, "resource busy")                                       \
	X(VACCEL_EEXIST, "already exists")                                     \
	X(VACCEL_ENOENT, "no such object")                                     \
	X(VACCEL_ELIBBAD, "bad plugin library")                                \
	X(VACCEL_ENODEV, "no such device")                                     \
	X(VACCEL_EIO, "I/O error")                                             \
	X(VACCEL_ESESS, "session error")                                       \
	X(VACCEL_EBACKEND, "backend or protocol error")                        \
	X(VACCEL_ENOEXEC, "incompatible plugin ABI")                           \
	X(VACCEL_ENAMETOOLONG, "name too long")                                \
	X(VACCEL_EUSERS, "too many users")                                     \
	X(VACCEL_EPERM, "operation not permitted")                             \
	X(VACCEL_ELOOP, "too many levels of links")                            \
	X(VACCEL_EMLINK, "too many links")                                     \
	X(VACCEL_ENOSPC, "no space left")                                      \
	X(VACCEL_ENOTDIR, "not a directory")                                   \
	X(VACCEL_EROFS, "read-only file system")                               \
	X(VACCEL_EACCES, "permission denied")                                  \
	X(VACCEL_EBADF, "bad file descriptor")                                 \
	X(VACCEL_EREMOTEIO, "remote I/O error")                                \
	X(VACCEL_EFAULT, "bad address")                                        \
	X(VACCEL_ETIMEDOUT, "timed out")                                       \
	X(VACCEL_EMSGSIZE, "message too large")                                \
	X(VACCEL_EPROTO_VERSION, "protocol version mismatch")

/* Human-readable description; never NULL ("unknown error" for others). */
const char *vaccel_strerror(int err);

/* The code's name ("VACCEL_EINVAL"); never NULL ("VACCEL_E?" for others). */
const char *vaccel_error_to_str(int err);

#ifdef __cplusplus
}
#endif
