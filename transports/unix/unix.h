/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The unix transport's address slots, which the transports set up over a
 * UNIX socket (shm, the agent's side of virtio) use as their own. */

#include "transport.h"

int unix_parse(const char *rest, struct url *u, char *err, size_t errlen);
int unix_connect(const struct url *u, int timeout_ms);
int unix_listen(const struct url *u, unsigned int mode);
void unix_unlisten(const struct url *u);
