# SPDX-License-Identifier: Apache-2.0
"""A BLAS call before the program has any large allocation, then large
matrices and a product of them: prints whether the placing allocator's
heap existed at the first call and the product's checksum."""
import ctypes
import sys

import numpy as np


class Heap(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t),
                ("fd", ctypes.c_int)]


def heap_exists():
    try:
        fn = ctypes.CDLL(None).vaccel_shm_heap
    except AttributeError:
        return False
    h = Heap()
    return fn(ctypes.byref(h)) == 0


small = np.ones((8, 8))
first = float((small @ small).sum())
before = heap_exists()
rng = np.random.default_rng(7)
a = rng.random((600, 600))
b = rng.random((600, 600))
c = a @ b
print("heap at the first call: %s; after: %s" % (before, heap_exists()))
print("sums %.17g %.17g" % (first, float(c.sum())))
sys.stdout.flush()
