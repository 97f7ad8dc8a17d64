/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * OpenBLAS's x86-64 kernel sets (the names openblas_get_corename() gives
 * and OPENBLAS_CORETYPE takes, compared without case), with the widest
 * vector extension each one's kernels use. A build with DYNAMIC_ARCH
 * (Debian's) picks one at load from the CPU it knows; on a CPU newer than
 * the build it falls back, silently, to an old one (Prescott: SSE3), and
 * every call runs several times slower than the CPU allows. The openblas
 * plugin says so, and the agent's --blas-coretype picks a set.
 */

#include <stdbool.h>
#include <stddef.h>
#include <strings.h>

enum openblas_isa {
	OPENBLAS_ISA_SSE,    /* SSE2/SSE3 kernels */
	OPENBLAS_ISA_AVX,    /* AVX (Sandy Bridge, Bulldozer's FMA4) */
	OPENBLAS_ISA_AVX2,   /* AVX2 and FMA3 */
	OPENBLAS_ISA_AVX512, /* AVX-512 */
};

/* X(name, isa) */
#define OPENBLAS_X86_CORES(X)                                                  \
	X("Katmai", OPENBLAS_ISA_SSE)                                          \
	X("Coppermine", OPENBLAS_ISA_SSE)                                      \
	X("Northwood", OPENBLAS_ISA_SSE)                                       \
	X("Prescott", OPENBLAS_ISA_SSE)                                        \
	X("Banias", OPENBLAS_ISA_SSE)                                          \
	X("Atom", OPENBLAS_ISA_SSE)                                            \
	X("Core2", OPENBLAS_ISA_SSE)                                           \
	X("Penryn", OPENBLAS_ISA_SSE)                                          \
	X("Dunnington", OPENBLAS_ISA_SSE)                                      \
	X("Nehalem", OPENBLAS_ISA_SSE)                                         \
	X("Athlon", OPENBLAS_ISA_SSE)                                          \
	X("Opteron", OPENBLAS_ISA_SSE)                                         \
	X("Opteron(SSE3)", OPENBLAS_ISA_SSE)                                   \
	X("Barcelona", OPENBLAS_ISA_SSE)                                       \
	X("Nano", OPENBLAS_ISA_SSE)                                            \
	X("Bobcat", OPENBLAS_ISA_SSE)                                          \
	X("Sandybridge", OPENBLAS_ISA_AVX)                                     \
	X("Bulldozer", OPENBLAS_ISA_AVX)                                       \
	X("Piledriver", OPENBLAS_ISA_AVX)                                      \
	X("Steamroller", OPENBLAS_ISA_AVX)                                     \
	X("Excavator", OPENBLAS_ISA_AVX)                                       \
	X("Haswell", OPENBLAS_ISA_AVX2)                                        \
	X("Zen", OPENBLAS_ISA_AVX2)                                            \
	X("SkylakeX", OPENBLAS_ISA_AVX512)                                     \
	X("Cooperlake", OPENBLAS_ISA_AVX512)                                   \
	X("SapphireRapids", OPENBLAS_ISA_AVX512)

/* The kernel set's ISA; -1 for a name this list does not have. */
static inline int openblas_core_isa(const char *name)
{
#define OPENBLAS_CORE_ISA(n, isa)                                              \
	if (!strcasecmp(name, n))                                              \
		return isa;
	if (!name)
		return -1;
	OPENBLAS_X86_CORES(OPENBLAS_CORE_ISA)
#undef OPENBLAS_CORE_ISA
	return -1;
}

/* The widest ISA of the CPU this runs on that a kernel set uses. */
static inline int openblas_cpu_isa(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512dq") &&
	    __builtin_cpu_supports("avx512vl"))
		return OPENBLAS_ISA_AVX512;
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		return OPENBLAS_ISA_AVX2;
	if (__builtin_cpu_supports("avx"))
		return OPENBLAS_ISA_AVX;
#endif
	return OPENBLAS_ISA_SSE;
}

/*
 * Whether kernel set `core` is a fallback on a CPU of ISA `cpu`: it uses
 * less than AVX2 where the CPU has AVX2 or more. Then the set to ask for
 * instead (OPENBLAS_CORETYPE, the agent's --blas-coretype); else NULL. A
 * set not in the list (another architecture's) is never called one.
 */
static inline const char *openblas_core_better(const char *core, int cpu)
{
	int isa = openblas_core_isa(core);
	if (isa < 0 || isa >= OPENBLAS_ISA_AVX2 || cpu < OPENBLAS_ISA_AVX2)
		return NULL;
	return cpu >= OPENBLAS_ISA_AVX512 ? "SkylakeX" : "Haswell";
}
