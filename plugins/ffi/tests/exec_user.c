// SPDX-License-Identifier: Apache-2.0
/*
 * An exec object that needs a symbol of another object (exec_dep.c) and
 * does not name it as a dependency: it resolves only against a library
 * loaded before it with RTLD_GLOBAL, as exec_with_resource loads a
 * resource's earlier files.
 */
#include <stdint.h>
#include <string.h>
#include <vaccel/arg.h>

int ffi_test_dep_value(void);
int ffi_test_use_dep(struct vaccel_arg *read, size_t nr_read,
		     struct vaccel_arg *write, size_t nr_write);

/* write[0] = ffi_test_dep_value(), an int32. */
int ffi_test_use_dep(struct vaccel_arg *read, size_t nr_read,
		     struct vaccel_arg *write, size_t nr_write)
{
	(void)read;
	(void)nr_read;
	if (nr_write != 1 || write[0].size != 4)
		return 22;
	int32_t v = ffi_test_dep_value();
	memcpy(write[0].buf, &v, 4);
	return 0;
}
