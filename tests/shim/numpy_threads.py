#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""numpy matmuls from several threads at once (numpy releases the GIL in
BLAS calls, so the shim sees concurrent cblas_dgemm calls, each over its
thread's own connection). Every product is compared with one computed
before the threads start; exit 1 on any difference.

  /usr/bin/python3 numpy_threads.py [THREADS] [ROUNDS]
"""
import sys
import threading

import numpy as np


def main():
    nthreads = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    rng = np.random.default_rng(7)
    mats = [rng.standard_normal((300, 300)) for _ in range(nthreads)]
    want = [m @ m for m in mats]
    bad = []

    def work(i):
        for r in range(rounds):
            got = mats[i] @ mats[i]
            if not np.array_equal(got, want[i]):
                bad.append((i, r))

    threads = [threading.Thread(target=work, args=(i,))
               for i in range(nthreads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("numpy-threads: %d threads x %d products, %d differ"
          % (nthreads, rounds, len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
