// SPDX-License-Identifier: Apache-2.0
/*
 * libvaccel-ffi-hooks.so: what the libraries the ffi plugin calls expect
 * their host to define, in an object of its own, so that the plugin can
 * put it (and nothing else of its own) in the process's global scope,
 * where every library dlopened afterwards looks first.
 *
 * BLAS and LAPACK report a bad argument through xerbla_: the reference
 * one stops the process, OpenBLAS's prints to stdout and returns. This
 * one logs (debug) and returns, so that a call that passes the spec's
 * checks but not the library's (LAPACK's workspace minimums, which the
 * spec leaves to the library) returns its INFO to the guest, whose shim
 * reports it through the guest's own xerbla_.
 */
#include "hooks.h"
#include <dlfcn.h>
#include <stddef.h>
#include <vaccel/remote.h>

__attribute__((visibility("default"))) void
xerbla_(const char *name, const int *info, size_t len);
void xerbla_(const char *name, const int *info, size_t len)
{
	vaccel_log(VACCEL_LOG_DEBUG, "ffi",
		   "%.*s: argument %d refused by the host library",
		   (int)(len < 16 ? len : 16), name, *info);
}

/* an address inside this object, whatever else defines xerbla_ */
static const char anchor;

int ffi_hooks_global(void)
{
	Dl_info di;
	if (!dladdr(&anchor, &di) || !di.dli_fname)
		return VACCEL_ELIBBAD;
	/* already loaded (the plugin needs it): this only makes it global;
	 * the reference is kept for the life of the process */
	void *h = dlopen(di.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL);
	if (!h) {
		const char *err = dlerror();
		vaccel_log(VACCEL_LOG_ERROR, "ffi", "cannot make %s global: %s",
			   di.dli_fname, err ? err : "unknown error");
		return VACCEL_ELIBBAD;
	}
	return VACCEL_OK;
}
