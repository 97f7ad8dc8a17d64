// SPDX-License-Identifier: Apache-2.0
/*
 * The charges a plugin makes on a call's behalf (vaccel_call_charge) and
 * the caller a host sets around a call (vaccel_caller_enter): in-process
 * nothing is charged; under a caller every charge goes through its take,
 * a refusal is VACCEL_ENOMEM, a ticket from another call changes nothing,
 * and the call's log lines go through its may_log.
 */
#include "common.h"
#include "capture.h"
#include <stdlib.h>
#include <string.h>

struct budget {
	struct vaccel_caller c;
	uint64_t limit, used, given;
	unsigned int lines_left, asked;
};

static bool take(struct vaccel_caller *c, uint64_t bytes)
{
	struct budget *b = (struct budget *)c;
	if (b->used + bytes > b->limit)
		return false;
	b->used += bytes;
	return true;
}

static void give(struct vaccel_caller *c, uint64_t bytes)
{
	struct budget *b = (struct budget *)c;
	b->used -= bytes;
	b->given += bytes;
}

static bool may_log(struct vaccel_caller *c)
{
	struct budget *b = (struct budget *)c;
	b->asked++;
	if (!b->lines_left)
		return false;
	b->lines_left--;
	return true;
}

static void budget_init(struct budget *b, uint64_t limit)
{
	memset(b, 0, sizeof(*b));
	b->c.take = take;
	b->c.give = give;
	b->limit = limit;
}

Test(caller, in_process_nothing_is_charged)
{
	uint64_t ticket = 99;
	cr_assert_not(vaccel_call_charged());
	cr_assert_eq(vaccel_call_charge(UINT64_MAX, &ticket), VACCEL_OK);
	cr_assert_eq(ticket, 0u);
	vaccel_call_uncharge(ticket, UINT64_MAX);
}

Test(caller, charges_go_through_the_caller)
{
	struct budget b;
	budget_init(&b, 1000);
	uint64_t t1, t2, t3;
	vaccel_caller_enter(&b.c);
	cr_assert(vaccel_call_charged());
	cr_assert_eq(vaccel_call_charge(600, &t1), VACCEL_OK);
	cr_assert_neq(t1, 0u);
	cr_assert_eq(vaccel_call_charge(500, &t2), VACCEL_ENOMEM);
	cr_assert_eq(t2, 0u, "a refused charge has no ticket");
	cr_assert_eq(vaccel_call_charge(400, &t3), VACCEL_OK);
	cr_assert_eq(b.used, 1000u);
	cr_assert_eq(b.c.held, 1000u);
	/* given back at most what was charged */
	vaccel_call_uncharge(t1, 600);
	vaccel_call_uncharge(t3, 5000);
	cr_assert_eq(b.used, 0u);
	cr_assert_eq(b.c.held, 0u);
	cr_assert_eq(vaccel_call_charge(300, &t1), VACCEL_OK);
	vaccel_caller_leave();
	cr_assert_not(vaccel_call_charged());
	/* after the call: the host gives back what is held */
	cr_assert_eq(b.c.held, 300u);
	vaccel_call_uncharge(t1, 300);
	cr_assert_eq(b.used, 300u, "an uncharge outside its call counted");
}

Test(caller, a_ticket_from_another_call_is_stale)
{
	struct budget a, b;
	budget_init(&a, 1000);
	budget_init(&b, 1000);
	uint64_t ta, tb;
	vaccel_caller_enter(&a.c);
	cr_assert_eq(vaccel_call_charge(100, &ta), VACCEL_OK);
	vaccel_caller_leave();
	vaccel_caller_enter(&b.c);
	cr_assert_eq(vaccel_call_charge(100, &tb), VACCEL_OK);
	cr_assert_neq(ta, tb);
	vaccel_call_uncharge(ta, 100);
	cr_assert_eq(b.used, 100u, "call a's ticket gave back call b's bytes");
	cr_assert_eq(b.c.held, 100u);
	vaccel_call_uncharge(tb, 100);
	cr_assert_eq(b.used, 0u);
	vaccel_caller_leave();
}

Test(caller, the_call_log_goes_through_may_log, .init = test_boot_none,
     .fini = test_cleanup)
{
	struct budget b;
	budget_init(&b, 0);
	b.c.may_log = may_log;
	b.lines_left = 2;
	struct capture cap;
	capture_begin(&cap);
	vaccel_caller_enter(&b.c);
	for (int i = 0; i < 10; i++)
		vaccel_log(VACCEL_LOG_ERROR, "test", "line %d", i);
	/* a level that is off asks nothing */
	vaccel_log(VACCEL_LOG_DEBUG, "test", "quiet");
	vaccel_caller_leave();
	vaccel_log(VACCEL_LOG_ERROR, "test", "after the call");
	char *log = capture_end(&cap);
	cr_assert_eq(b.asked, 10u);
	cr_assert(strstr(log, "line 0") && strstr(log, "line 1"), "%s", log);
	cr_assert_null(strstr(log, "line 2"), "%s", log);
	cr_assert(strstr(log, "after the call"), "%s", log);
	free(log);
}
