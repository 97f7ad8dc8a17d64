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
#define X(name, desc) {(name), #name, (desc)},
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
			 "VACCEL_LOG_MAX");
	cr_expect_str_eq(vaccel_log_level_to_base_str(VACCEL_LOG_WARN),
			 "WARN");
	cr_expect_str_eq(vaccel_resource_type_to_str(VACCEL_RESOURCE_MODEL),
			 "VACCEL_RESOURCE_MODEL");
	cr_expect_str_eq(vaccel_resource_type_to_base_str(VACCEL_RESOURCE_LIB),
			 "LIB");
}

/* vAccel's codes are macros, as in its error.h: preprocessor tests on
 * them hold. */
Test(error, codes_are_macros)
{
#if !defined(VACCEL_EINVAL) || !defined(VACCEL_ENOTSUP) ||                     \
    !defined(VACCEL_EFAULT) || !defined(VACCEL_EREMOTEIO)
	cr_assert_fail("a VACCEL_E* code is not a macro");
#endif
#if VACCEL_EINVAL != EINVAL
	cr_assert_fail("VACCEL_EINVAL differs from EINVAL");
#endif
}

/* The enums of vAccel's headers, with their _MAX guards and names. */
Test(error, vaccel_enums)
{
	cr_expect_eq(VACCEL_LOG_MAX, 5);
	cr_expect_eq(VACCEL_PLUGIN_MAX, 0x10000);
	cr_expect_eq(VACCEL_OP_MAX, 27);
	cr_expect_eq(VACCEL_OP_TFLITE_SESSION_DELETE, 26);
	cr_expect_eq(VACCEL_RESOURCE_MAX, 3);
	cr_expect_eq(VACCEL_PATH_MAX, 3);
	cr_expect_str_eq(vaccel_op_type_to_str(VACCEL_OP_MINMAX),
			 "VACCEL_OP_MINMAX");
	cr_expect_str_eq(vaccel_op_type_to_base_str(VACCEL_OP_EXEC), "EXEC");
	cr_expect_str_eq(vaccel_op_type_to_str((vaccel_op_type_t)99),
			 "VACCEL_OP_MAX");
	cr_expect_str_eq(vaccel_plugin_type_to_str(VACCEL_PLUGIN_GPU),
			 "VACCEL_PLUGIN_GPU");
	cr_expect_str_eq(vaccel_path_type_to_base_str(VACCEL_PATH_LOCAL_DIR),
			 "LOCAL_DIR");
}
