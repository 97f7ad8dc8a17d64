# SPDX-License-Identifier: Apache-2.0
"""dsyevd_ through ctypes on a 2 x 2 matrix, twice: first with an 8 MiB
workspace (LWORK = 1 Mi doubles), then with a 512 MiB one (64 Mi), both
far above what the routine needs (5) and both legal. The workspace
arrays are anonymous mappings, never touched here. Prints the
eigenvalues and INFO of each call. Under the LAPACK shim the workspace
is allocated on the host: against an agent whose --max-memory is below
the second, that call is refused before anything is allocated and runs
locally, with the same answer.

    host_workspace.py
"""
import ctypes
import mmap
import sys

lapack = ctypes.CDLL("liblapack.so.3")
c_int, c_double, byref = ctypes.c_int, ctypes.c_double, ctypes.byref

for lwork in (1 << 20, 1 << 26):
    a = (c_double * 4)(2.0, 1.0, 1.0, 3.0)
    w = (c_double * 2)()
    work_map = mmap.mmap(-1, 8 * lwork)
    work = (c_double * lwork).from_buffer(work_map)
    iwork = (c_int * 1)()
    info = c_int(99)
    lapack.dsyevd_(b"N", b"L", byref(c_int(2)), a, byref(c_int(2)), w,
                   work, byref(c_int(lwork)), iwork, byref(c_int(1)),
                   byref(info))
    print("dsyevd_ lwork=%d info=%d w=%r %r" % (lwork, info.value, w[0],
                                                  w[1]))
    del work
    work_map.close()
    if info.value:
        sys.exit(1)
