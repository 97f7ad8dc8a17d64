/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The tcp transport's address slots, which the transports carried over a
 * TCP stream (tls) use as their own. */

#include "transport.h"

/* host:port or [v6]:port; messages name u->t's scheme. */
int tcp_parse(const char *rest, struct url *u, char *err, size_t errlen);
int tcp_connect(const struct url *u, int timeout_ms);
int tcp_listen(const struct url *u, unsigned int mode);
void tcp_accepted(int fd);
