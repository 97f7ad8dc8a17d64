# SPDX-License-Identifier: Apache-2.0
"""The agent with the cuda plugin where no CUDA device is.

    agent_cuda.py AGENT LIBVACCEL RPC_PLUGIN CUDA_PLUGIN OPENBLAS_PLUGIN

The agent serving cuda then openblas: the cuda plugin declines at load
with one log line that says why, the agent starts and says it is ready,
and a guest's gemm (the native API through the rpc plugin) comes back
right, served by openblas, as the agent's stats at its stop say. Where a device is, the plugin serves instead:
this skips, saying so (tests/plugins' cuda suite covers that case).
"""
import ctypes
import os
import sys
import tempfile

import agent_proc


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def main(agent, libvaccel, rpc, cuda, openblas):
    tmp = tempfile.mkdtemp(prefix="vaccel-agent-cuda-")
    sock = os.path.join(tmp, "agent.sock")
    log = os.path.join(tmp, "agent.log")
    p, text = agent_proc.start(
        [agent, "-v", "-a", "unix://" + sock, "--plugins",
         cuda + ":" + openblas], log,
        env=dict(os.environ, VACCEL_LOG_LEVEL="warn",
                 OPENBLAS_NUM_THREADS="1"))
    try:
        if "cuda: serving gemm on" in text:
            print("SKIP: a CUDA device is here: the plugin serves gemm, it "
                  "does not decline")
            sys.exit(77)
        lines = [line for line in text.splitlines() if "cuda:" in line]
        if len(lines) != 1 or "no CUDA device here" not in lines[0]:
            fail("want one line of the plugin declining, got:\n" + text)
        if "ERROR" in text:
            fail("the agent logged an error:\n" + text)
        print(lines[0])
        print(agent_proc.run_guest(__file__, [libvaccel], rpc, sock))
    finally:
        text = agent_proc.stop(p, log)
    # the agent's stats say who served it
    if ("openblas served 1 gemm call(s)" not in text
            or "cuda served" in text):
        fail("want openblas, not cuda, to have served the gemm:\n" + text)


def guest(libvaccel):
    """A gemm through the native API to the agent (VACCEL_PLUGINS and
    VACCEL_RPC_ADDRESS name the rpc plugin and the agent)."""
    v = ctypes.CDLL(libvaccel)
    sess = ctypes.create_string_buffer(256)
    if v.vaccel_session_init(sess, 0) != 0:
        fail("no session on the agent")
    fl = ctypes.c_float * 4
    a, b, c = fl(1, 2, 3, 4), fl(5, 6, 7, 8), fl(0, 0, 0, 0)
    ll, f = ctypes.c_longlong, ctypes.c_float
    ret = v.vaccel_sgemm(sess, ll(2), ll(2), ll(2), f(1), a, ll(2), b,
                         ll(2), f(0), c, ll(2))
    if ret != 0 or list(c) != [19.0, 22.0, 43.0, 50.0]:
        fail("gemm through the agent: %d, C = %s" % (ret, list(c)))
    v.vaccel_session_release(sess)
    print("gemm through the agent, served by openblas: C = %s" % list(c))


if __name__ == "__main__":
    if sys.argv[1] == "--guest":
        guest(sys.argv[2])
    else:
        main(*sys.argv[1:6])
