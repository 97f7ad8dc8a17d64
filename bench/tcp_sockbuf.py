#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""TCP loopback bulk throughput against the socket buffer size.

    /usr/bin/python3 bench/tcp_sockbuf.py [MIB]

One connection over 127.0.0.1, TCP_NODELAY; the client sends MIB MiB
(64 by default) and the server, having read all of it, answers one byte;
the fastest of five transfers, for the kernel's autotuned buffers and
for SO_SNDBUF/SO_RCVBUF forced (root) to 4, 16 and 64 MiB. Python only
moves the buffer (sendall, recv_into): the figure is the kernel's. It
tells whether a larger socket buffer would lift the tcp rows of
scripts/bench bw.
"""
import socket
import sys
import threading
import time

SO_SNDBUFFORCE, SO_RCVBUFFORCE = 32, 33
TRIES = 5


def transfer(n, buf):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)

    def serve():
        c, _ = ls.accept()
        if buf:
            c.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, buf)
        m = memoryview(bytearray(n))
        for _ in range(TRIES):
            got = 0
            while got < n:
                got += c.recv_into(m[got:], n - got)
            c.sendall(b"k")
        c.close()

    t = threading.Thread(target=serve)
    t.start()
    s = socket.socket()
    if buf:
        s.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, buf)
    s.connect(ls.getsockname())
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    data, best = bytes(n), float("inf")
    for _ in range(TRIES):
        t0 = time.perf_counter()
        s.sendall(data)
        s.recv(1)
        best = min(best, time.perf_counter() - t0)
    t.join()
    s.close()
    ls.close()
    return n / best / 1e9


def main():
    n = (int(sys.argv[1]) if len(sys.argv) > 1 else 64) << 20
    print("| socket buffers | GB/s |\n|---|---|")
    for mib in (0, 4, 16, 64):
        try:
            gbps = transfer(n, mib << 20)
        except PermissionError:
            print("| %d MiB | (needs root) |" % mib)
            continue
        print("| %s | %.2f |" % ("%d MiB" % mib if mib else "autotuned",
                                 gbps))


if __name__ == "__main__":
    main()
