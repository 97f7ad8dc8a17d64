// SPDX-License-Identifier: Apache-2.0
/* Sessions: lifecycles, ids, lookups and misuse. */
#include "common.h"
#include <stdlib.h>

TestSuite(session, .init = test_boot_noop, .fini = test_cleanup);

Test(session, init_release)
{
	struct vaccel_session sess;
	assert_ok(vaccel_session_init(&sess, 0));
	cr_expect_gt(sess.id, 0);
	cr_expect_not_null(sess.resources);
	cr_expect_eq(sess.hint, 0);
	assert_ok(vaccel_noop(&sess));
	assert_ok(vaccel_session_release(&sess));
	cr_expect_eq(sess.id, 0);
	cr_expect_null(sess.resources);
}

Test(session, hint_is_recorded)
{
	struct vaccel_session sess;
	assert_ok(vaccel_session_init(&sess, VACCEL_PLUGIN_CPU));
	cr_expect_eq(sess.hint, VACCEL_PLUGIN_CPU);
	assert_ok(vaccel_session_update(&sess, VACCEL_PLUGIN_GPU));
	cr_expect_eq(sess.hint, VACCEL_PLUGIN_GPU);
	assert_ok(vaccel_session_release(&sess));
	assert_ret(vaccel_session_update(&sess, 0), VACCEL_EINVAL);
}

Test(session, new_delete)
{
	struct vaccel_session *sess = NULL;
	assert_ok(vaccel_session_new(&sess, 0));
	cr_assert_not_null(sess);
	cr_expect_gt(sess->id, 0);
	assert_ok(vaccel_noop(sess));
	assert_ok(vaccel_session_delete(sess));
}

Test(session, ids_distinct_and_positive)
{
	enum { N = 32 };
	struct vaccel_session s[N];
	for (int i = 0; i < N; i++) {
		assert_ok(vaccel_session_init(&s[i], 0));
		cr_expect_gt(s[i].id, 0);
		for (int j = 0; j < i; j++)
			cr_expect_neq(s[i].id, s[j].id, "sessions %d and %d", i,
				      j);
	}
	/* ids are not reused after release */
	vaccel_id_t last = s[N - 1].id;
	assert_ok(vaccel_session_release(&s[0]));
	assert_ok(vaccel_session_init(&s[0], 0));
	cr_expect_gt(s[0].id, last);
	for (int i = 0; i < N; i++)
		assert_ok(vaccel_session_release(&s[i]));
}

Test(session, double_release)
{
	struct vaccel_session sess;
	assert_ok(vaccel_session_init(&sess, 0));
	assert_ok(vaccel_session_release(&sess));
	assert_ret(vaccel_session_release(&sess), VACCEL_EINVAL);
}

Test(session, null_arguments)
{
	assert_ret(vaccel_session_init(NULL, 0), VACCEL_EINVAL);
	assert_ret(vaccel_session_release(NULL), VACCEL_EINVAL);
	assert_ret(vaccel_session_new(NULL, 0), VACCEL_EINVAL);
	assert_ret(vaccel_session_delete(NULL), VACCEL_EINVAL);
	assert_ret(vaccel_session_update(NULL, 0), VACCEL_EINVAL);
	struct vaccel_session *s;
	assert_ret(vaccel_session_get_by_id(NULL, 1), VACCEL_EINVAL);
	assert_ret(vaccel_session_get_by_id(&s, 0), VACCEL_EINVAL);
	assert_ret(vaccel_session_get_by_id(&s, -3), VACCEL_EINVAL);
	cr_expect(!vaccel_session_has_resource(NULL, NULL));
}

Test(session, never_initialized_is_not_live)
{
	struct vaccel_session sess = {0};
	assert_ret(vaccel_session_release(&sess), VACCEL_EINVAL);
	assert_ret(vaccel_noop(&sess), VACCEL_EINVAL);
}

Test(session, get_by_id)
{
	struct vaccel_session a, b, *found = NULL;
	assert_ok(vaccel_session_init(&a, 0));
	assert_ok(vaccel_session_init(&b, 0));
	assert_ok(vaccel_session_get_by_id(&found, a.id));
	cr_expect_eq(found, &a);
	assert_ok(vaccel_session_get_by_id(&found, b.id));
	cr_expect_eq(found, &b);
	assert_ret(vaccel_session_get_by_id(&found, b.id + 1000),
		   VACCEL_ENOENT);
	vaccel_id_t id = a.id;
	assert_ok(vaccel_session_release(&a));
	found = NULL;
	assert_ret(vaccel_session_get_by_id(&found, id), VACCEL_ENOENT);
	cr_expect_null(found);
	assert_ok(vaccel_session_release(&b));
}

Test(session, vaccel_compat_names)
{
	struct vaccel_session sess;
	assert_ok(vaccel_sess_init(&sess, 0));
	cr_expect_gt(sess.id, 0);
	assert_ok(vaccel_sess_update(&sess, VACCEL_PLUGIN_CPU));
	cr_expect_eq(sess.hint, VACCEL_PLUGIN_CPU);
	assert_ok(vaccel_sess_free(&sess));
	assert_ret(vaccel_sess_free(&sess), VACCEL_EINVAL);
}

Test(session, many_sessions_released_out_of_order)
{
	enum { N = 40 };
	struct vaccel_session *s[N];
	for (int i = 0; i < N; i++)
		assert_ok(vaccel_session_new(&s[i], 0));
	/* odd ones first, then even ones backwards */
	for (int i = 1; i < N; i += 2)
		assert_ok(vaccel_session_delete(s[i]));
	for (int i = 0; i < N; i += 2) {
		struct vaccel_session *f = NULL;
		assert_ok(vaccel_session_get_by_id(&f, s[i]->id));
		cr_expect_eq(f, s[i]);
	}
	for (int i = N - 2; i >= 0; i -= 2)
		assert_ok(vaccel_session_delete(s[i]));
}
