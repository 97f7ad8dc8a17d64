// SPDX-License-Identifier: Apache-2.0
#include "internal.h"

/*
 * Who the call this thread runs is for (vaccel_caller_enter), and the
 * charges its plugins make. A ticket is the serial of the call it was
 * taken in, so a charge given back after its call has ended (or in
 * another call) changes nothing.
 */
static _Thread_local struct vaccel_caller *current;
static _Atomic uint64_t serials;

void vaccel_caller_enter(struct vaccel_caller *c)
{
	c->held = 0;
	c->serial =
	    atomic_fetch_add_explicit(&serials, 1, memory_order_relaxed) + 1;
	current = c;
}

void vaccel_caller_leave(void)
{
	current = NULL;
}

int vaccel_call_charge(uint64_t bytes, uint64_t *ticket)
{
	struct vaccel_caller *c = current;
	*ticket = 0;
	if (!c || !bytes)
		return VACCEL_OK;
	if (!c->take(c, bytes))
		return VACCEL_ENOMEM;
	c->held += bytes;
	*ticket = c->serial;
	return VACCEL_OK;
}

void vaccel_call_uncharge(uint64_t ticket, uint64_t bytes)
{
	struct vaccel_caller *c = current;
	if (!c || !ticket || ticket != c->serial)
		return;
	if (bytes > c->held)
		bytes = c->held;
	c->held -= bytes;
	if (bytes)
		c->give(c, bytes);
}

bool vaccel_call_charged(void)
{
	return current != NULL;
}

bool caller_may_log(void)
{
	struct vaccel_caller *c = current;
	if (!c || !c->may_log)
		return true;
	/* what may_log itself logs is the host's, not the call's */
	current = NULL;
	bool ok = c->may_log(c);
	current = c;
	return ok;
}
