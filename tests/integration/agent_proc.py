# SPDX-License-Identifier: Apache-2.0
"""An agent process for the integration scripts: started, its output in a
file, waited for until it says it is ready."""
import os
import signal
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


def run_guest(script, args, rpc, sock, timeout=60):
    """Run `script --guest ARGS...` as the agent's guest: a process of its
    own with the rpc plugin pointed at unix socket `sock` (and, where
    libvaccel is sanitized, the sanitizer's runtime preloaded into
    Python, ITEST_SANITIZER_PRELOAD). Its stdout; on failure print FAIL
    with its output and exit 1."""
    env = dict(os.environ, VACCEL_PLUGINS=rpc,
               VACCEL_RPC_ADDRESS="unix://" + sock)
    san = os.environ.get("ITEST_SANITIZER_PRELOAD", "")
    if san:
        env.update(LD_PRELOAD=san, ASAN_OPTIONS="detect_leaks=0")
    r = subprocess.run([sys.executable, script, "--guest"] + list(args),
                       env=env, capture_output=True, text=True,
                       timeout=timeout)
    if r.returncode != 0:
        print("FAIL: the guest: exit %d\n%s%s" % (r.returncode, r.stdout,
                                                   r.stderr))
        sys.exit(1)
    return r.stdout.strip()


def stop(p, log, timeout=60):
    """SIGTERM the agent, wait for it; the whole log."""
    p.send_signal(signal.SIGTERM)
    p.wait(timeout)
    with open(log) as f:
        return f.read()
