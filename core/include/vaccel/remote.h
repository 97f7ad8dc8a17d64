/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * vAccel's API and this project's additions to it: the op model and
 * vaccel_op_call, the BLAS family, model ops, our plugin ABI, error names,
 * log helpers, config parsers.
 */

#include "../vaccel.h"

#include "remote/blas.h"
#include "remote/config.h"
#include "remote/error.h"
#include "remote/hash.h"
#include "remote/log.h"
#include "remote/model.h"
#include "remote/op.h"
#include "remote/plugin.h"
#include "remote/session.h"
