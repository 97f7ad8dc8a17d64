# SPDX-License-Identifier: Apache-2.0
"""numpy matmul, as an unmodified program: the shim tests and scripts/run
run it with and without LD_PRELOAD=libvaccel-shim-blas.so.

  /usr/bin/python3 numpy_matmul.py --dtype float64 --sizes 64,300 \
      --outdir DIR [--repeat R] [--seed S]

For each size N it multiplies two N x N matrices of DTYPE (seeded, the same
on every run), writes the product to DIR/matmul-DTYPE-N.npy and prints one
JSON line: dtype, n, the best of R timings in seconds, the sum of the
product and the SHA-256 of its bytes.
"""
import argparse
import hashlib
import json
import os
import sys
import time

import numpy as np

DTYPES = ("float32", "float64", "complex64", "complex128")


def operands(dtype, n, seed):
    rng = np.random.default_rng(seed)
    shape = (n, n)
    if dtype.startswith("complex"):
        real = np.float32 if dtype == "complex64" else np.float64
        a = (rng.standard_normal(shape, dtype=real)
             + 1j * rng.standard_normal(shape, dtype=real))
        b = (rng.standard_normal(shape, dtype=real)
             + 1j * rng.standard_normal(shape, dtype=real))
        return a.astype(dtype), b.astype(dtype)
    a = rng.standard_normal(shape, dtype=np.dtype(dtype).type)
    b = rng.standard_normal(shape, dtype=np.dtype(dtype).type)
    return a, b


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dtype", choices=DTYPES, required=True)
    p.add_argument("--sizes", default="64,300,1000",
                   help="comma-separated matrix orders")
    p.add_argument("--outdir", required=True)
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--seed", type=int, default=20240601)
    args = p.parse_args()

    os.makedirs(args.outdir, exist_ok=True)
    for n in (int(s) for s in args.sizes.split(",")):
        a, b = operands(args.dtype, n, args.seed + n)
        best = None
        for _ in range(max(1, args.repeat)):
            t0 = time.perf_counter()
            c = a @ b
            dt = time.perf_counter() - t0
            best = dt if best is None else min(best, dt)
        path = os.path.join(args.outdir, "matmul-%s-%d.npy" % (args.dtype, n))
        np.save(path, c)
        total = c.sum()
        print(json.dumps({
            "dtype": args.dtype,
            "n": n,
            "seconds": best,
            "sum": [float(total.real), float(total.imag)]
            if np.iscomplexobj(c) else float(total),
            "sha256": hashlib.sha256(np.ascontiguousarray(c).tobytes())
            .hexdigest(),
            "file": path,
        }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
