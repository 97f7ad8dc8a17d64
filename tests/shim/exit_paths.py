#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Processes that end every way a shimmed program's processes do, each
after a known number of numpy matmuls (64 x 64 float64: one cblas_dgemm
each):

  the parent           PARENT_BEFORE before it forks, one more at the end,
                       then os._exit (no exit handlers run)
  WORKERS pool workers multiprocessing's 'fork' Pool; worker i does i + 1
                       and leaves through os._exit, as its workers do
  a forked child       os.fork(), FORK_CHILD matmuls, sys.exit (exit())
  a vfork child        subprocess of a program that does not exist: the
                       child shares the parent's memory and leaves through
                       _exit without a call of its own

The parent prints one line per process that made calls, "pid PID ROLE N"
(ROLE parent, worker or fork; N its matmuls), and exits 1 on a wrong
product or a child that failed.

  /usr/bin/python3 exit_paths.py [WORKERS]
"""
import multiprocessing
import os
import subprocess
import sys

import numpy as np

N = 64
PARENT_BEFORE = 3
FORK_CHILD = 7

A = np.ones((N, N))
barrier = None


def matmuls(count):
    """count products, each checked: all ones times all ones is N."""
    for _ in range(count):
        if not ((A @ A) == N).all():
            raise RuntimeError("pid %d: wrong product" % os.getpid())


def init(b):
    global barrier
    barrier = b


def task(i):
    # Each worker holds its task until every worker has one: one task
    # per worker, so that each one's count is known.
    barrier.wait(60)
    matmuls(i + 1)
    return os.getpid(), i + 1


def main():
    workers = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    matmuls(PARENT_BEFORE)

    # With the parent's memory and no call of its own: it must not report.
    try:
        subprocess.run(["/nonexistent/vaccel-shim-exit-paths"])
        print("the program that does not exist ran", file=sys.stderr)
        return 1
    except FileNotFoundError:
        pass

    ctx = multiprocessing.get_context("fork")
    pool = ctx.Pool(workers, initializer=init,
                    initargs=(ctx.Barrier(workers),))
    done = pool.map(task, range(workers), chunksize=1)
    # close + join: the workers end by themselves, through os._exit
    # (terminate() would SIGTERM them)
    pool.close()
    pool.join()

    sys.stdout.flush()
    child = os.fork()
    if child == 0:
        matmuls(FORK_CHILD)
        sys.exit(0)
    _, status = os.waitpid(child, 0)
    if status != 0:
        print("the forked child ended with status %#x" % status,
              file=sys.stderr)
        return 1

    matmuls(1)
    print("pid %d parent %d" % (os.getpid(), PARENT_BEFORE + 1))
    for pid, n in done:
        print("pid %d worker %d" % (pid, n))
    print("pid %d fork %d" % (child, FORK_CHILD))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
