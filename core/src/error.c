// SPDX-License-Identifier: Apache-2.0
#include "vaccel/remote/error.h"

/* Two names for one errno would make the switches below fail to build;
 * this says which list entry is not a constant. */
#define X(name, desc) _Static_assert((name) >= 0, #name " is not >= 0");
VACCEL_ERRORS_LIST(X)
#undef X

const char *vaccel_strerror(int err)
{
	switch (err) {
#define X(name, desc)                                                          \
	case (name):                                                           \
		return desc;
		VACCEL_ERRORS_LIST(X)
#undef X
	default:
		return "unknown error";
	}
}

const char *vaccel_error_to_str(int err)
{
	switch (err) {
#define X(name, desc)                                                          \
	case (name):                                                           \
		return #name;
		VACCEL_ERRORS_LIST(X)
#undef X
	default:
		return "VACCEL_E?";
	}
}
