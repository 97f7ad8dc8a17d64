/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdint.h>

/* Object ids: > 0 for live objects, 0 when unset or released. */
typedef int64_t vaccel_id_t;
