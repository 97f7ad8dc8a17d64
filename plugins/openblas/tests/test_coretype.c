// SPDX-License-Identifier: Apache-2.0
/*
 * OpenBLAS's kernel sets (coretype.h): the ISA of each, which are the
 * fallbacks the plugin warns of and what it suggests, and that the set
 * this machine's OpenBLAS runs is one the list knows (else the warning
 * could never be given).
 */
#include "coretype.h"
#include <cblas.h>
#include <criterion/criterion.h>

Test(coretype, isa_of_each_set)
{
	cr_assert_eq(openblas_core_isa("Prescott"), OPENBLAS_ISA_SSE);
	cr_assert_eq(openblas_core_isa("sandybridge"), OPENBLAS_ISA_AVX);
	cr_assert_eq(openblas_core_isa("HASWELL"), OPENBLAS_ISA_AVX2);
	cr_assert_eq(openblas_core_isa("Zen"), OPENBLAS_ISA_AVX2);
	cr_assert_eq(openblas_core_isa("SkylakeX"), OPENBLAS_ISA_AVX512);
	cr_assert_eq(openblas_core_isa("armv8"), -1);
	cr_assert_eq(openblas_core_isa(""), -1);
	cr_assert_eq(openblas_core_isa(NULL), -1);
}

Test(coretype, fallbacks_and_what_to_ask_for)
{
	/* an old set on a newer CPU */
	cr_assert_str_eq(openblas_core_better("Prescott", OPENBLAS_ISA_AVX2),
			 "Haswell");
	cr_assert_str_eq(
	    openblas_core_better("Sandybridge", OPENBLAS_ISA_AVX512),
	    "SkylakeX");
	/* no fallback: the CPU has no more, or the set uses AVX2 already */
	cr_assert_null(openblas_core_better("Prescott", OPENBLAS_ISA_AVX));
	cr_assert_null(openblas_core_better("Haswell", OPENBLAS_ISA_AVX512));
	cr_assert_null(openblas_core_better("Zen", OPENBLAS_ISA_AVX2));
	/* another architecture's set */
	cr_assert_null(openblas_core_better("neoversen1", OPENBLAS_ISA_AVX2));
}

Test(coretype, this_openblas_runs_a_known_set)
{
#if defined(__x86_64__)
	const char *core = openblas_get_corename();
	cr_assert_not_null(core);
	cr_assert_geq(openblas_core_isa(core), 0,
		      "OpenBLAS runs '%s', a set coretype.h does not know",
		      core);
	cr_log_info("OpenBLAS runs its %s kernels; this CPU's widest ISA "
		    "for them: %d",
		    core, openblas_cpu_isa());
#else
	cr_skip_test("the kernel sets listed are x86-64's");
#endif
}
