/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The native vAccel API: include this one header. */

#include "vaccel/version.h"
#include "vaccel/arg.h"
#include "vaccel/config.h"
#include "vaccel/core.h"
#include "vaccel/error.h"
#include "vaccel/file.h"
#include "vaccel/id.h"
#include "vaccel/log.h"
#include "vaccel/op.h"
#include "vaccel/ops/blas.h"
#include "vaccel/ops/exec.h"
#include "vaccel/ops/genop.h"
#include "vaccel/ops/image.h"
#include "vaccel/ops/model.h"
#include "vaccel/ops/noop.h"
#include "vaccel/plugin.h"
#include "vaccel/prof.h"
#include "vaccel/resource.h"
#include "vaccel/session.h"
