/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <errno.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Error codes. The values are errno values, as in vAccel, so code written
 * against vAccel that compares with VACCEL_E* or errno constants keeps
 * working. X(name, value, description).
 */
#define VACCEL_ERRORS_LIST(X)                                                  \
	X(VACCEL_OK, 0, "success")                                             \
	X(VACCEL_EINVAL, EINVAL, "invalid argument")                           \
	X(VACCEL_ENOMEM, ENOMEM, "out of memory")                              \
	X(VACCEL_ENOTSUP, ENOTSUP, "operation not supported")                  \
	X(VACCEL_EINPROGRESS, EINPROGRESS, "operation in progress")            \
	X(VACCEL_EBUSY, EBUSY, "resource busy")                                \
	X(VACCEL_EEXIST, EEXIST, "already exists")                             \
	X(VACCEL_ENOENT, ENOENT, "no such object")                             \
	X(VACCEL_ELIBBAD, ELIBBAD, "bad plugin library")                       \
	X(VACCEL_ENODEV, ENODEV, "no such device")                             \
	X(VACCEL_EIO, EIO, "I/O error")                                        \
	X(VACCEL_ESESS, ECONNRESET, "session error")                           \
	X(VACCEL_EBACKEND, EPROTO, "backend or protocol error")                \
	X(VACCEL_ENOEXEC, ENOEXEC, "incompatible plugin ABI")                  \
	X(VACCEL_ENAMETOOLONG, ENAMETOOLONG, "name too long")                  \
	X(VACCEL_EUSERS, EUSERS, "too many users")                             \
	X(VACCEL_EPERM, EPERM, "operation not permitted")                      \
	X(VACCEL_ELOOP, ELOOP, "too many levels of links")                     \
	X(VACCEL_EMLINK, EMLINK, "too many links")                             \
	X(VACCEL_ENOSPC, ENOSPC, "no space left")                              \
	X(VACCEL_ENOTDIR, ENOTDIR, "not a directory")                          \
	X(VACCEL_EROFS, EROFS, "read-only file system")                        \
	X(VACCEL_EACCES, EACCES, "permission denied")                          \
	X(VACCEL_EBADF, EBADF, "bad file descriptor")                          \
	X(VACCEL_EREMOTEIO, EREMOTEIO, "remote I/O error")                     \
	X(VACCEL_EFAULT, EFAULT, "bad address")                                \
	X(VACCEL_ETIMEDOUT, ETIMEDOUT, "timed out")                            \
	X(VACCEL_EMSGSIZE, EMSGSIZE, "message too large")                      \
	X(VACCEL_EPROTO_VERSION, EPROTONOSUPPORT, "protocol version mismatch")

#define VACCEL_ERROR_ENUM_ITEM(name, value, desc) name = (value),
enum vaccel_error { VACCEL_ERRORS_LIST(VACCEL_ERROR_ENUM_ITEM) };
#undef VACCEL_ERROR_ENUM_ITEM

/* Human-readable description; never NULL ("unknown error" for others). */
const char *vaccel_strerror(int err);

/* The code's name ("VACCEL_EINVAL"); never NULL ("VACCEL_E?" for others). */
const char *vaccel_error_to_str(int err);

#ifdef __cplusplus
}
#endif
