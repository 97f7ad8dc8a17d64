# SPDX-License-Identifier: Apache-2.0
"""ONNX's backend test cases (libonnx-testdata) through the onnx plugin.

    onnx_test.py inproc|remote

inproc: onnx-suite with VACCEL_PLUGINS the onnx plugin, in-process.
remote: a vaccel-agent serving the onnx plugin on a UNIX socket in a fresh
directory, onnx-suite through the rpc transport; the agent must stop
cleanly on SIGTERM.

Passes when every case ONNX Runtime passes when called directly passes
through vAccel too (onnx-suite's exit 0), the direct run passes at least
ONNX_MIN_PASS cases (so that a broken reader or library cannot pass by
passing nothing), and the cases that fail, fail for a reason listed
(the reasons are printed by case). Skips (77) without the test data or
ONNX Runtime's library.
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

DATA = "/usr/share/libonnx-testdata/data"
SETS = ["node", "pytorch-converted", "pytorch-operator", "simple", "real"]
# of the 1072 cases, ONNX Runtime 1.31 called directly passes 960 (README)
ONNX_MIN_PASS = 950


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def main(mode):
    suite, plugin, lib = (os.environ.get(k, "") for k in
                          ("ONNX_SUITE", "ONNX_PLUGIN", "ONNX_LIB"))
    if not os.path.isdir(os.path.join(DATA, "node")):
        skip("ONNX's test data are not in %s (libonnx-testdata)" % DATA)
    if not os.path.exists(lib):
        skip("no ONNX Runtime library at %s (scripts/setup installs it "
             "from npm, onnxruntime-node)" % lib)
    env = dict(os.environ)
    env["VACCEL_ONNXRUNTIME_LIB"] = lib
    env["VACCEL_ONNX_THREADS"] = "1"
    cmd = [suite, lib] + [os.path.join(DATA, s) for s in SETS]
    agent = None
    tmp = tempfile.mkdtemp(prefix="vaccel-onnx-")
    log = os.path.join(tmp, "agent.log")
    if mode == "inproc":
        env["VACCEL_PLUGINS"] = plugin
    else:
        sock = os.path.join(tmp, "agent.sock")
        url = "unix://" + sock
        with open(log, "wb") as out:
            agent = subprocess.Popen(
                [os.environ["ONNX_AGENT"], "-a", url, "--plugins", plugin],
                stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 30
        while not os.path.exists(sock):
            if agent.poll() is not None or time.monotonic() > deadline:
                fail("the agent did not start:\n" + open(log).read())
            time.sleep(0.02)
        env["VACCEL_PLUGINS"] = os.environ["ONNX_RPC_PLUGIN"]
        env["VACCEL_RPC_ADDRESS"] = url
    print("running: " + " ".join(cmd))
    sys.stdout.flush()
    res = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, timeout=1500)
    if agent is not None:
        agent.send_signal(signal.SIGTERM)
        try:
            rc = agent.wait(60)
        except subprocess.TimeoutExpired:
            agent.kill()
            fail("the agent did not stop on SIGTERM")
        text = open(log, errors="replace").read()
        if rc != 0 or "ERROR: AddressSanitizer" in text or \
                "runtime error:" in text:
            fail("the agent ended with status %d:\n%s" % (rc, text[-4000:]))
    print(res.stdout, end="")
    total = [line for line in res.stdout.splitlines()
             if line.startswith("total ")]
    if not total:
        fail("onnx-suite printed no total (exit %d):\n%s" %
             (res.returncode, res.stderr[-4000:]))
    counts = dict(kv.split("=") for kv in total[0].split()[1:])
    lost = [line for line in res.stdout.splitlines()
            if "local=pass vaccel=fail" in line]
    if res.returncode != 0 or lost:
        fail("%d case(s) pass with ONNX Runtime directly but not through "
             "vAccel:\n  %s" % (len(lost), "\n  ".join(lost)))
    if int(counts["local_pass"]) < ONNX_MIN_PASS:
        fail("ONNX Runtime directly passes %s cases, fewer than %d: the "
             "reader or the library is broken" % (counts["local_pass"],
                                                  ONNX_MIN_PASS))
    print("%s of %s cases pass through vAccel (%s), ONNX Runtime directly "
          "%s" % (counts["vaccel_pass"], counts["cases"], mode,
                  counts["local_pass"]))


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in ("inproc", "remote"):
        sys.exit("usage: onnx_test.py inproc|remote")
    main(sys.argv[1])
