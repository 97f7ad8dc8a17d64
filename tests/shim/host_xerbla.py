# SPDX-License-Identifier: Apache-2.0
"""dgelsd_ through ctypes with LWORK = 1, below LAPACK's minimum, which
lapack.spec leaves to the library: LAPACK itself refuses argument 12
through xerbla_ and returns INFO = -12. Prints INFO and whether the
arrays were left as they were. Under the LAPACK shim the call runs on the
host, where the library's refusal must reach the ffi plugin's xerbla_,
not stop or print from the agent.

    host_xerbla.py
"""
import ctypes
import sys

lapack = ctypes.CDLL("liblapack.so.3")
c_int, c_double, byref = ctypes.c_int, ctypes.c_double, ctypes.byref

M = N = 8
a = (c_double * (M * N))(*[float((i * 7) % 5 + (i % 9 == 0) * 3)
                           for i in range(M * N)])
b = (c_double * M)(*[float(i + 1) for i in range(M)])
a0, b0 = bytes(a), bytes(b)
s = (c_double * N)()
rank, info = c_int(-7), c_int(99)
work = (c_double * 1)()
iwork = (c_int * (203 * N))()
lapack.dgelsd_(byref(c_int(M)), byref(c_int(N)), byref(c_int(1)), a,
               byref(c_int(M)), b, byref(c_int(M)), s, byref(c_double(-1.0)),
               byref(rank), work, byref(c_int(1)), iwork, byref(info))
sys.stdout.flush()
print("dgelsd_ lwork=1 info=%d a %s b %s" % (
    info.value, "kept" if bytes(a) == a0 else "changed",
    "kept" if bytes(b) == b0 else "changed"))
sys.exit(0 if info.value == -12 else 1)
