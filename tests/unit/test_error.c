// SPDX-License-Identifier: Apache-2.0
/* Error codes: every code has its name and description; others do not. */
#include "common.h"
#include <string.h>

TestSuite(error, .fini = test_cleanup);

struct err_case {
	int code;
	const char *name;
	const char *desc;
};

static const struct err_case cases[] = {
#define X(name, value, desc) {(value), #name, (desc)},
    VACCEL_ERRORS_LIST(X)
#undef X
};
#define NR_CASES (sizeof(cases) / sizeof(cases[0]))

Test(error, every_code_has_its_name_and_description)
{
	for (size_t i = 0; i < NR_CASES; i++) {
		cr_expect_str_eq(vaccel_error_to_str(cases[i].code),
				 cases[i].name, "code %d", cases[i].code);
		cr_expect_str_eq(vaccel_strerror(cases[i].code), cases[i].desc,
				 "%s", cases[i].name);
	}
}

Test(error, codes_are_distinct)
{
	for (size_t i = 0; i < NR_CASES; i++)
		for (size_t j = i + 1; j < NR_CASES; j++)
			cr_expect_neq(cases[i].code, cases[j].code,
				      "%s and %s share a value", cases[i].name,
				      cases[j].name);
}

Test(error, codes_are_errno_values)
{
	/* vAccel compatibility: callers compare with errno constants. */
	cr_assert_eq(VACCEL_OK, 0);
	cr_assert_eq(VACCEL_EINVAL, EINVAL);
	cr_assert_eq(VACCEL_ENOENT, ENOENT);
	cr_assert_eq(VACCEL_ENOTSUP, ENOTSUP);
	cr_assert_eq(VACCEL_EEXIST, EEXIST);
	cr_assert_eq(VACCEL_EBUSY, EBUSY);
	cr_assert_eq(VACCEL_ELIBBAD, ELIBBAD);
	cr_assert_eq(VACCEL_ENOEXEC, ENOEXEC);
}

Test(error, unknown_codes)
{
	static const int unknown[] = {12345, -1, -EINVAL, 0x7fffffff};
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		int code = unknown[i];
		bool known = false;
		for (size_t j = 0; j < NR_CASES; j++)
			known |= cases[j].code == code;
		cr_assert(!known, "%d is a code after all", code);
		cr_expect_str_eq(vaccel_error_to_str(code), "VACCEL_E?");
		cr_expect_str_eq(vaccel_strerror(code), "unknown error");
	}
}

Test(error, log_level_names)
{
	cr_expect_str_eq(vaccel_log_level_to_str(VACCEL_LOG_ERROR),
			 "VACCEL_LOG_ERROR");
	cr_expect_str_eq(vaccel_log_level_to_str(VACCEL_LOG_DEBUG),
			 "VACCEL_LOG_DEBUG");
	cr_expect_str_eq(vaccel_log_level_to_str((vaccel_log_level_t)0),
			 "VACCEL_LOG_?");
	cr_expect_str_eq(vaccel_resource_type_to_str(VACCEL_RESOURCE_MODEL),
			 "VACCEL_RESOURCE_MODEL");
}
