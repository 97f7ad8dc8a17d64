# SPDX-License-Identifier: Apache-2.0
"""The agent and the host's BLAS kernels.

    agent_blas.py AGENT OPENBLAS_PLUGIN

- `--blas-coretype` with a name that is not one of OpenBLAS's kernel
  sets: exit 2 and a line naming the option and the value, before
  anything is listened on;
- the agent serving the openblas plugin says in its ready line which
  kernel set OpenBLAS runs (the machine's own choice: the kernel set is
  never changed here), and the plugin's log says it too.
"""
import os
import signal
import subprocess
import sys
import tempfile

import agent_proc


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def main(agent, plugin):
    tmp = tempfile.mkdtemp(prefix="vaccel-agent-blas-")
    sock = os.path.join(tmp, "agent.sock")
    if os.uname().machine != "x86_64":
        print("SKIP: the kernel sets the agent knows are x86-64's")
        sys.exit(77)
    r = subprocess.run([agent, "--blas-coretype", "Pentium9000", "-a",
                        "unix://" + sock, "--plugins", plugin],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 2 or "--blas-coretype: 'Pentium9000' is not" \
            not in r.stderr or os.path.exists(sock):
        fail("a bad --blas-coretype: exit %d, %r" % (r.returncode,
                                                      r.stderr))
    print("a bad --blas-coretype: exit 2, %s" % r.stderr.strip())
    log = os.path.join(tmp, "agent.log")
    p, text = agent_proc.start([agent, "-v", "-a", "unix://" + sock,
                                "--plugins", plugin], log)
    p.send_signal(signal.SIGTERM)
    if p.wait(60) != 0:
        fail("the agent did not stop cleanly:\n" + open(log).read())
    text = open(log).read()
    ready = next(line for line in text.splitlines() if "ready" in line)
    core = ready.rpartition("OpenBLAS kernels: ")[2].rstrip(")")
    if "OpenBLAS kernels: " not in ready or not core:
        fail("the ready line does not name the kernel set: " + ready)
    if "core %s," % core not in text:
        fail("the plugin's log does not say core %s:\n%s" % (core, text))
    print(ready)
    print("the agent and the plugin say OpenBLAS runs its %s kernels"
          % core)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
