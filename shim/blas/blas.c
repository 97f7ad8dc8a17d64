// SPDX-License-Identifier: Apache-2.0
/*
 * The BLAS family's runtime piece (blas.h): what the blas and lapack
 * interposers add to the common runtime of shim/common.
 */
#include "blas.h"

#include <string.h>

/* sgemm_64_ -> sgemm_, cblas_sgemm64_ -> cblas_sgemm: the ILP64
 * spellings of what is served, which this shim passes through */
SHIM_NO_SANITIZE static bool ilp64_name(const char *name,
					struct shim_fn *(*find)(const char *))
{
	size_t n = strlen(name);
	if (n < 4 || strcmp(name + n - 3, "64_"))
		return false;
	char base[128];
	if (n - 3 >= sizeof(base) - 1)
		return false;
	memcpy(base, name, n - 3);
	base[n - 3] = '\0';
	if (find(base))
		return true;
	if (base[n - 4] == '_')
		base[n - 4] = '\0';
	return find(base) != NULL;
}

const struct shim_family shim_blas_family = {
    .name = "blas",
    /* the classes are the specs' level= values: 1, 2, 3, lapack */
    .classes_env = "VACCEL_SHIM_LEVELS",
    .default_classes = "3,lapack",
    .foreign = ilp64_name,
    .foreign_label = "ilp64_lookups",
};

void shim_xerbla(struct shim_fn *f, int info)
{
	shim_stats()->c[f - shim_fns][SHIM_C_ERRORS]++;
	const char *xname = shim_blas(f)->xname;
	/* the program's own xerbla_ if it has one (the reference testers
	 * do), else its BLAS or LAPACK library's */
	void (*xerbla)(const char *, const int *, size_t) = (void (*)(
	    const char *, const int *, size_t))shim_local_sym(f, "xerbla_");
	if (!xerbla) {
		shim_say(
		    " ** On entry to %s parameter number %d had an illegal "
		    "value",
		    xname, info);
		return;
	}
	shim_depth++;
	xerbla(xname, &info, strlen(xname));
	shim_depth--;
}

void shim_cblas_xerbla(struct shim_fn *f, int pos, int raw, bool row_major)
{
	shim_stats()->c[f - shim_fns][SHIM_C_ERRORS]++;
	void (*cx)(int, const char *, const char *, ...) =
	    (void (*)(int, const char *, const char *, ...))shim_local_sym(
		f, "cblas_xerbla");
	int *rms = shim_local_sym(f, "RowMajorStrg");
	if (!cx) {
		shim_say("Parameter %d to routine %s was incorrect", pos,
			 f->name);
		return;
	}
	shim_depth++;
	if (rms) {
		*rms = row_major;
		cx(raw, f->name, "");
		*rms = 0;
	} else {
		cx(pos, f->name, "");
	}
	shim_depth--;
}
