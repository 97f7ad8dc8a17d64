// SPDX-License-Identifier: Apache-2.0
/*
 * A host library with vAccel exec functions, for test_ffi_exec. Loading
 * it sets FFI_EXEC_TEST_LOADED, so a test can tell that a refused call
 * never loaded it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <vaccel/arg.h>

__attribute__((constructor)) static void mark_loaded(void)
{
	setenv("FFI_EXEC_TEST_LOADED", "1", 1);
}

/* Not a function: exec must refuse to call it. */
int ffi_test_data = 5;

int ffi_test_mul(struct vaccel_arg *read, size_t nr_read,
		 struct vaccel_arg *write, size_t nr_write);
int ffi_test_fail(struct vaccel_arg *read, size_t nr_read,
		  struct vaccel_arg *write, size_t nr_write);

/* write[0] = read[0] * read[1] + 1, all int32. */
int ffi_test_mul(struct vaccel_arg *read, size_t nr_read,
		 struct vaccel_arg *write, size_t nr_write)
{
	int32_t a, b, r;

	if (nr_read != 2 || nr_write != 1 || read[0].size != 4 ||
	    read[1].size != 4 || write[0].size != 4)
		return 22;
	memcpy(&a, read[0].buf, 4);
	memcpy(&b, read[1].buf, 4);
	r = a * b + 1;
	memcpy(write[0].buf, &r, 4);
	return 0;
}

/* Fails: vAccel reports it as VACCEL_ENOEXEC. */
int ffi_test_fail(struct vaccel_arg *read, size_t nr_read,
		  struct vaccel_arg *write, size_t nr_write)
{
	(void)read;
	(void)nr_read;
	(void)write;
	(void)nr_write;
	return 3;
}
