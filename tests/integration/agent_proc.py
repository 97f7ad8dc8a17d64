# SPDX-License-Identifier: Apache-2.0
"""An agent process for the integration scripts: started, its output in a
file, waited for until it says it is ready."""
import subprocess
import sys
import time


def start(cmd, log, env=None, timeout=30):
    """Start the agent command line `cmd` with stdout and stderr in the
    file `log`; wait for its ready line. (the process, the log so far);
    on exit or timeout before it, print FAIL with the log and exit 1."""
    with open(log, "w") as out:
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                             env=env)
    deadline = time.monotonic() + timeout
    text = ""
    while "ready" not in text:
        if p.poll() is not None or time.monotonic() > deadline:
            print("FAIL: the agent did not start:\n" + text)
            sys.exit(1)
        time.sleep(0.05)
        with open(log) as f:
            text = f.read()
    return p, text
