// SPDX-License-Identifier: Apache-2.0
#include "vaccel/error.h"

const char *vaccel_strerror(int err)
{
	switch (err) {
#define X(name, value, desc)                                                   \
	case (value):                                                          \
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
#define X(name, value, desc)                                                   \
	case (value):                                                          \
		return #name;
		VACCEL_ERRORS_LIST(X)
#undef X
	default:
		return "VACCEL_E?";
	}
}
