# SPDX-License-Identifier: Apache-2.0
"""cblas_dgemm through ctypes, the way Python bindings call a library:
the library is dlopen'ed RTLD_LOCAL and the function found with
dlsym(handle), which LD_PRELOAD alone never sees (the shim interposes
dlsym itself).

  /usr/bin/python3 ctypes_dgemm.py OUT [N]

Multiplies two seeded N x N matrices (default 64), checks the product
against a plain Python one and writes its bytes to OUT. No numpy: the
process loads OpenBLAS only here.
"""
import ctypes
import os
import struct
import sys

CBLAS_ROW_MAJOR = 101
CBLAS_NO_TRANS = 111
CBLAS_TRANS = 112


def values(count, seed):
    """Deterministic doubles in [-1, 1): a 64-bit LCG."""
    s = seed
    out = []
    for _ in range(count):
        s = (s * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        out.append((s >> 11) / float(1 << 52) - 1.0)
    return out


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) == 3 else 64

    lib = ctypes.CDLL("libopenblas.so.0", mode=os.RTLD_LOCAL | os.RTLD_NOW)
    # an ILP64 spelling: the shim lets it through untouched and counts
    # the lookup as unsupported (this LP64 library has none)
    try:
        lib.cblas_dgemm64_
        print("ctypes: cblas_dgemm64_ found")
    except AttributeError:
        print("ctypes: no cblas_dgemm64_ in libopenblas.so.0")
    dgemm = lib.cblas_dgemm
    dgemm.restype = None
    P = ctypes.POINTER(ctypes.c_double)
    I = ctypes.c_int
    dgemm.argtypes = [I, I, I, I, I, I, ctypes.c_double, P, I, P, I,
                      ctypes.c_double, P, I]

    Arr = ctypes.c_double * (n * n)
    av, bv, cv = values(n * n, 1), values(n * n, 2), values(n * n, 3)
    a, b, c = Arr(*av), Arr(*bv), Arr(*cv)
    alpha, beta = 1.5, 0.5
    # C = alpha * A * B^T + beta * C, row-major.
    dgemm(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, CBLAS_TRANS, n, n, n, alpha,
          a, n, b, n, beta, c, n)

    worst = 0.0
    for i in range(n):
        ra = av[i * n:(i + 1) * n]
        for j in range(n):
            rb = bv[j * n:(j + 1) * n]
            want = alpha * sum(x * y for x, y in zip(ra, rb)) \
                + beta * cv[i * n + j]
            worst = max(worst, abs(c[i * n + j] - want))
    print("ctypes cblas_dgemm n=%d max|diff| vs Python = %.3g" % (n, worst))
    if worst > 1e-10 * n:
        print("ctypes_dgemm: product is wrong", file=sys.stderr)
        return 1
    with open(out, "wb") as f:
        f.write(struct.pack("%dd" % (n * n), *c))
    return 0


if __name__ == "__main__":
    sys.exit(main())
