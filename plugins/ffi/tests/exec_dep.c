// SPDX-License-Identifier: Apache-2.0
/* A dependency of exec_user.c, uploaded before it in one resource. */
int ffi_test_dep_value(void);

int ffi_test_dep_value(void)
{
	return 42;
}
