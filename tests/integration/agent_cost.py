# SPDX-License-Identifier: Apache-2.0
"""Which plugin serves a remote call: the choice by cost, in the agent.

    agent_cost.py AGENT LIBVACCEL RPC_PLUGIN TEST_PLUGIN_DIR OPENBLAS_PLUGIN

The agent serves test-big (a GPU-typed test plugin that writes 5 into
C[0]) then openblas, with `--min-cost test-big/gemm=4M`: a guest's 2 x 2
and 100 x 100 x 100 sgemm (2 Mi flops) come back right from openblas,
its 128 x 128 x 128 one (4 Mi flops) from test-big; SIGUSR1 and the stop
make the agent print who served how many. A malformed --min-cost is
refused at the command line.
"""
import ctypes
import os
import signal
import subprocess
import sys
import tempfile
import time

import agent_proc


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def wait_for(log, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(log) as f:
            text = f.read()
        if all(w in text for w in what):
            return text
        time.sleep(0.05)
    fail("the agent did not print %s:\n%s" % (what, text))


def main(agent, libvaccel, rpc, plugin_dir, openblas):
    for bad in ("test-big/gemm", "=5", "/gemm=5", "test-big/=5",
                "test-big=x", "a=1,b=2"):
        r = subprocess.run([agent, "-a", "unix:///nonexistent/x",
                            "--min-cost", bad], capture_output=True,
                           text=True, timeout=30)
        if r.returncode == 0 or "--min-cost: '%s' is not" % bad \
                not in r.stderr:
            fail("a malformed --min-cost %s: exit %d, %s"
                 % (bad, r.returncode, r.stderr))
    tmp = tempfile.mkdtemp(prefix="vaccel-agent-cost-")
    sock = os.path.join(tmp, "agent.sock")
    log = os.path.join(tmp, "agent.log")
    big = os.path.join(plugin_dir, "libvaccel-test-big.so")
    p, text = agent_proc.start(
        [agent, "-a", "unix://" + sock, "--plugins", big + ":" + openblas,
         "--min-cost", "test-big/gemm=4M"], log,
        env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
    try:
        if "ERROR" in text:
            fail("the agent logged an error:\n" + text)
        print(agent_proc.run_guest(__file__, [libvaccel], rpc, sock))
        p.send_signal(signal.SIGUSR1)
        text = wait_for(log, ["openblas served 2 gemm call(s)",
                              "test-big served 1 gemm call(s)"])
        print("after SIGUSR1:\n" + "\n".join(
            line for line in text.splitlines() if " served " in line))
    finally:
        text = agent_proc.stop(p, log)
    stop = text[text.index("test-big served 1"):]
    if ("openblas served 2 gemm call(s)" not in stop
            or "stopped" not in stop):
        fail("the stop does not say who served what:\n" + text)


def sgemm(v, sess, n, a, b):
    c = (ctypes.c_float * (n * n))()
    ll, f = ctypes.c_longlong, ctypes.c_float
    ret = v.vaccel_sgemm(sess, ll(n), ll(n), ll(n), f(1), a, ll(n), b,
                         ll(n), f(0), c, ll(n))
    if ret != 0:
        fail("sgemm n = %d through the agent: %d" % (n, ret))
    return c


def guest(libvaccel):
    v = ctypes.CDLL(libvaccel)
    sess = ctypes.create_string_buffer(256)
    if v.vaccel_session_init(sess, 0) != 0:
        fail("no session on the agent")
    fl = ctypes.c_float * 4
    c = sgemm(v, sess, 2, fl(1, 2, 3, 4), fl(5, 6, 7, 8))
    if list(c) != [19.0, 22.0, 43.0, 50.0]:
        fail("2 x 2: C = %s, not openblas's answer" % list(c))
    for n, want in ((100, float(100)), (128, 5.0)):
        ones = (ctypes.c_float * (n * n))(*([1.0] * (n * n)))
        c = sgemm(v, sess, n, ones, ones)
        if c[0] != want:
            fail("%d x %d: C[0] = %g, want %g (%s)" % (
                n, n, c[0], want, "openblas" if want == n else "test-big"))
    v.vaccel_session_release(sess)
    print("2 x 2 and 100 x 100 served by openblas, 128 x 128 by test-big")


if __name__ == "__main__":
    if sys.argv[1] == "--guest":
        guest(sys.argv[2])
    else:
        main(*sys.argv[1:6])
