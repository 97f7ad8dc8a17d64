# SPDX-License-Identifier: Apache-2.0
"""Outputs with gaps must not write the gaps back. A worker thread calls
Fortran BLAS routines through ctypes on parts of column-major matrices
while a writer thread keeps storing a new value into the parts no call
writes (the gaps of the calls' spans), and checks each time that what it
stored last is still there:

  drot_, dswap_  rows 0 and 1 of M (3 rows): x and y interleaved, one
                 aliased region; row 2 is the gap
  drot_          row 0 of P and of Q (3 rows each, apart); rows 1-2
  dger_          rows 0-1 of G (4 rows), lda 4; rows 2-3

    gap_writeback.py [ITERATIONS]   (default 100)

A client that writes a span back whole restores, after the reply, the
values the gaps had when the call was sent, undoing the writer's stores
made meanwhile: the writer then finds an older value. Nothing else
writes a gap, so a value other than the writer's last can only come from
such a write-back: the check cannot fail on a correct client, whatever
the timing. Prints a digest of what the calls wrote (the same with and
without the shim), then `stale N` (N must be 0); on stderr how many
passes of the writer fell inside a call (each one a chance to catch a
write-back).
"""
import array
import ctypes
import hashlib
import sys
import threading

# Columns: long enough that each call takes a while (the writer must get
# in between its request and its reply), short enough for 100 iterations
# in seconds.
N = 20000
DBL = ctypes.c_double
INT = ctypes.c_int


def main(argv):
    iters = int(argv[1]) if len(argv) > 1 else 100
    lib = ctypes.CDLL("libblas.so.3")
    for fn in (lib.drot_, lib.dswap_, lib.dger_):
        fn.restype = None
    m_ = (DBL * (3 * N))()
    p_ = (DBL * (3 * N))()
    q_ = (DBL * (3 * N))()
    g_ = (DBL * (4 * N))()
    gx = (DBL * 2)(0.5, -0.25)
    gy = (DBL * N)(*[(j % 7 - 3) / 8 for j in range(N)])
    for j in range(N):
        m_[3 * j], m_[3 * j + 1] = j / 4, -j / 8
        p_[3 * j], q_[3 * j] = 1 + j / 16, 2 - j / 32
    # (array, ld, the rows calls write: the other rows are gaps)
    mats = ((m_, 3, (0, 1)), (p_, 3, (0,)), (q_, 3, (0,)), (g_, 4, (0, 1)))
    # A few gaps of each, all inside the spans: a short pass of the
    # writer, so that many of them fall inside each call.
    gaps = [(a, [r + ld * j for j in range(0, N - 1, N // 8)
                 for r in range(ld) if r not in rows])
            for a, ld, rows in mats]

    def addr(a, i=0):
        return ctypes.c_void_p(ctypes.addressof(a) + 8 * i)

    n, three, four, one, two = INT(N), INT(3), INT(4), INT(1), INT(2)
    c, s, alpha = DBL(0.6), DBL(0.8), DBL(1 / 1024)
    calls = [
        (lib.drot_, (ctypes.byref(n), addr(m_, 0), ctypes.byref(three),
                     addr(m_, 1), ctypes.byref(three), ctypes.byref(c),
                     ctypes.byref(s))),
        (lib.dswap_, (ctypes.byref(n), addr(m_, 0), ctypes.byref(three),
                      addr(m_, 1), ctypes.byref(three))),
        (lib.drot_, (ctypes.byref(n), addr(p_), ctypes.byref(three),
                     addr(q_), ctypes.byref(three), ctypes.byref(c),
                     ctypes.byref(s))),
        (lib.dger_, (ctypes.byref(two), ctypes.byref(n),
                     ctypes.byref(alpha), addr(gx), ctypes.byref(one),
                     addr(gy), ctypes.byref(one), addr(g_),
                     ctypes.byref(four))),
    ]
    done = threading.Event()
    in_call = [False]
    stale, passes, inside = [], [0], [0]

    def writer():
        v = 0.0
        while True:
            last = done.is_set()
            for a, idx in gaps:
                for i in idx:
                    if a[i] != v and len(stale) < 1000:
                        stale.append((i, a[i], v))
            v += 1
            for a, idx in gaps:
                for i in idx:
                    a[i] = v
            passes[0] += 1
            inside[0] += in_call[0]
            if last:
                return

    def worker():
        for _ in range(iters):
            for fn, args in calls:
                in_call[0] = True
                fn(*args)
                in_call[0] = False
        done.set()

    # the writer gets the GIL back soon after each call begins
    sys.setswitchinterval(1e-4)
    threads = [threading.Thread(target=writer),
               threading.Thread(target=worker)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a, ld, rows in mats:
        h = hashlib.sha256()
        whole = array.array("d", bytes(a))
        for r in rows:
            h.update(whole[r::ld].tobytes())
        print("rows %s ld %d sha256=%s" % (",".join(map(str, rows)), ld,
                                           h.hexdigest()[:32]))
    print("stale %d" % len(stale))
    for i, got, want in stale[:10]:
        print("stale-sample element %d holds %r, the writer stored %r"
              % (i, got, want))
    print("writer passes %d, %d of them during a call" % (passes[0],
                                                           inside[0]),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
