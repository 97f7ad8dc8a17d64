#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The shims' integration tests: real, unmodified programs under
LD_PRELOAD=libvaccel-shim-blas.so (and -lapack.so) against a real
vaccel-agent serving the openblas and ffi plugins on a temporary UNIX
socket. README.md here lists the tests; meson runs each as its own test
(suite 'shim'):

  shim_test.py TEST [ARG]     e.g.  shim_test.py blat xblat2d
  shim_test.py --list         every test meson registers: NAME|TEST [ARG]

Exit status: 0 passed, 1 failed, 77 skipped (a prerequisite is missing;
the reason is printed). Paths come from the environment that meson sets
(SHIM_* below); a failing test keeps its temporary directory and says
where it is.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77
BLAS_TEST_DIR = "/usr/lib/x86_64-linux-gnu/blas"
PRECISIONS = "sdcz"
NUMPY_DTYPES = {"float32": "s", "float64": "d", "complex64": "c",
                "complex128": "z"}
NUMPY_SIZES = (64, 300, 1000)
NUMPY_ITEMSIZE = {"float32": 4, "float64": 8, "complex64": 8,
                  "complex128": 16}
PY = "/usr/bin/python3"  # Debian's, with Debian's numpy (not a pyenv one)

# What the report of a process looks like (the shim's interface).
REPORT_RE = re.compile(
    r"^(vaccel-shim-[a-z]+): (fn=(\S+)|total|unsupported)((?: \w+=\d+)+)"
    r"\s*$")
# Anything a tester prints when something is wrong.
TESTER_BAD_RE = re.compile(r"FAIL|FATAL|SUSPECT|\*{7}")
SANITIZER_RE = re.compile(
    r"ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:")


class Skip(Exception):
    """A prerequisite is missing: exit 77 with the reason."""


class Fail(Exception):
    """The test failed: exit 1 with the reason."""


def log(msg):
    print("[shim-test] " + msg, flush=True)


# ---- configuration from meson -------------------------------------------


class Config:
    def __init__(self):
        self.agent = os.environ.get("SHIM_AGENT", "")
        self.rpc = os.environ.get("SHIM_RPC_PLUGIN", "")
        self.openblas = os.environ.get("SHIM_OPENBLAS_PLUGIN", "")
        self.ffi = os.environ.get("SHIM_FFI_PLUGIN", "")
        self.shim_blas = os.environ.get("SHIM_BLAS_LIB", "")
        self.shim_lapack = os.environ.get("SHIM_LAPACK_LIB", "")
        self.prog = os.environ.get("SHIM_BLAS_PROG", "")
        self.srcdir = os.environ.get(
            "SHIM_SRCDIR", os.path.dirname(os.path.abspath(__file__)))
        # Sanitized build: the sanitizer runtimes that must come first in
        # LD_PRELOAD of a program that was not built with them.
        self.san_preload = [p for p in os.environ.get(
            "SHIM_SANITIZER_PRELOAD", "").split(":") if p]
        self.sanitized = os.environ.get("SHIM_SANITIZED", "0") == "1"
        self.timeout = float(os.environ.get("SHIM_TIMEOUT", "800"))
        # The agent's transport (unix or shm; the socket is in the test's
        # directory either way) and, where SHIM_PLACE=1, the placing
        # allocator preloaded before the shim, so that large buffers
        # cross over shm in place.
        self.transport = os.environ.get("SHIM_TRANSPORT", "unix")
        self.alloc = os.environ.get("SHIM_ALLOC_LIB", "")
        self.alloc_prog = os.environ.get("SHIM_ALLOC_PROG", "")
        self.place = os.environ.get("SHIM_PLACE", "0") == "1"
        self.shim_opencv = os.environ.get("SHIM_OPENCV_LIB", "")
        self.opencv = os.environ.get("SHIM_OPENCV_PLUGIN", "")
        self.cv_prog = os.environ.get("SHIM_CV_PROG", "")
        self.cv_native = os.environ.get("SHIM_CV_NATIVE", "")
        self.cv_image = os.environ.get("SHIM_CV_IMAGE", "")
        self.cv_fake_version = os.environ.get("SHIM_CV_FAKE_VERSION", "")

    @staticmethod
    def need_file(path, what):
        if not path:
            raise Skip("%s: not built in this configuration" % what)
        if not os.path.exists(path):
            raise Skip("%s not found at %s (not built yet?)" % (what, path))
        return path

    def need_base(self, ffi=True, lapack=False):
        self.need_file(self.agent, "vaccel-agent")
        self.need_file(self.rpc, "the rpc transport plugin")
        self.need_file(self.openblas, "the openblas plugin")
        self.need_file(self.shim_blas, "the BLAS shim (libvaccel-shim-blas.so)")
        if ffi:
            self.need_file(self.ffi, "the ffi plugin (libvaccel-ffi.so)")
        if lapack:
            self.need_file(self.shim_lapack,
                           "the LAPACK shim (libvaccel-shim-lapack.so)")
        if self.place:
            self.need_alloc()
        for lib in self.san_preload:
            self.need_file(lib, "the sanitizer runtime")
        if self.sanitized:
            self.preflight(lapack)

    def need_alloc(self):
        self.need_file(self.alloc, "the placing allocator "
                       "(libvaccel-shim-alloc.so)")
        if self.san_preload:
            raise Skip("the sanitizer's runtime comes first in LD_PRELOAD "
                       "and serves malloc itself: the placing allocator "
                       "is tested in the plain build")

    def preflight(self, lapack):
        """A sanitized shim must at least load into a trivial program:
        say so plainly when it does not, rather than through a crash of
        whatever the test runs."""
        preload = list(self.san_preload) + [self.shim_blas]
        if lapack:
            preload.append(self.shim_lapack)
        env = dict(os.environ, LD_PRELOAD=":".join(preload),
                   ASAN_OPTIONS="detect_leaks=0")
        r = subprocess.run(["/bin/true"], env=env, capture_output=True)
        if r.returncode != 0:
            raise Fail("the sanitized shim breaks every program it is "
                       "preloaded into: LD_PRELOAD=%s /bin/true exits %d"
                       "%s\n%s" % (
                           ":".join(preload), r.returncode,
                           " (signal %d)" % -r.returncode
                           if r.returncode < 0 else "",
                           r.stderr.decode(errors="replace")[-2000:]))

    def agent_plugins(self):
        # VACCEL_TEST_AGENT_PLUGINS: plugins the agent loads first, ahead
        # of openblas (scripts/gpu-check: the cuda plugin)
        first = os.environ.get("VACCEL_TEST_AGENT_PLUGINS", "")
        plugins = ([first] if first else []) + [self.openblas]
        if self.ffi and os.path.exists(self.ffi):
            plugins.append(self.ffi)
        return ":".join(plugins)


CFG = Config()


# ---- processes ------------------------------------------------------------


def tail(path, lines=40):
    try:
        with open(path, errors="replace") as f:
            text = f.read().splitlines()
    except OSError:
        return "(no %s)" % path
    cut = text[-lines:]
    head = "" if len(text) <= lines else "... (%d lines before)\n" % (
        len(text) - lines)
    return head + "\n".join(cut)


def sanitizer_env(env, foreign):
    """ASan/UBSan options for a process: a foreign program's (python,
    the netlib testers) own leaks are noise, not ours."""
    if CFG.sanitized and foreign:
        opts = env.get("ASAN_OPTIONS", "")
        env["ASAN_OPTIONS"] = (opts + ":" if opts else "") + "detect_leaks=0"
    return env


class Agent:
    """A vaccel-agent on a UNIX socket in DIR, its output in DIR/agent.log."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.sock = os.path.join(tmp, "agent.sock")
        self.log = os.path.join(tmp, "agent.log")
        self.proc = None
        self.error = None
        self.url = "%s://%s" % (CFG.transport, self.sock)
        # more of the agent's command line; placement: the agent says
        # (debug) which of a call's buffers it used in place
        self.extra_args = ["-vv"] if CFG.place else []
        # what --plugins names
        self.plugins = CFG.agent_plugins()
        # more of the agent's environment
        self.env = {}

    def start(self):
        env = dict(os.environ)
        env["OPENBLAS_NUM_THREADS"] = "1"
        env.update(self.env)
        cmd = [CFG.agent, "-a", self.url, "--plugins",
               self.plugins] + self.extra_args
        log("agent: " + " ".join(cmd))
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=subprocess.STDOUT,
                                         env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Fail("the agent exited (status %s) before it was "
                           "ready:\n%s" % (self.proc.returncode,
                                           tail(self.log)))
            if os.path.exists(self.sock) and "ready" in self.log_text():
                return self
            time.sleep(0.02)
        raise Fail("the agent did not become ready in 30 s:\n" +
                   tail(self.log))

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def in_place(self, op):
        """Calls of op whose buffers were all used in place, from the
        agent's debug log."""
        n = 0
        for m in re.finditer(r"op '%s': (\d+) of (\d+) buffers in place"
                             % re.escape(op), self.log_text()):
            n += m.group(1) == m.group(2)
        return n

    def kill9(self):
        if self.proc.poll() is not None:
            self.error = "the agent died (status %d) before the test " \
                "killed it:\n%s" % (self.proc.returncode, tail(self.log, 60))
            return
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        log("agent: killed with SIGKILL")

    def finish(self):
        """SIGTERM; the agent must exit 0, remove its socket and have
        printed no sanitizer report. Never raises (it runs in `finally`):
        check() raises what went wrong."""
        try:
            self.stop()
        except Fail as e:
            self.error = str(e)

    def check(self):
        if self.error:
            raise Fail(self.error)

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is not None:
            raise Fail("the agent died during the test (status %d):\n%s" % (
                self.proc.returncode, tail(self.log, 60)))
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Fail("the agent did not stop within 60 s of SIGTERM:\n" +
                       tail(self.log))
        text = self.log_text()
        if rc != 0:
            raise Fail("the agent exited with status %d:\n%s" %
                       (rc, tail(self.log)))
        if os.path.exists(self.sock):
            raise Fail("the agent left its socket %s behind" % self.sock)
        if SANITIZER_RE.search(text):
            raise Fail("sanitizer report in the agent's log:\n" +
                       tail(self.log, 80))

    def abandon(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def shim_env(address, report, levels="all", min_flops="0", lapack=False,
             fallback=None, extra=None):
    """The environment of a shimmed program. levels or min_flops None:
    the variable is left unset, so that the shim's own default applies."""
    env = dict(os.environ)
    preload = list(CFG.san_preload) + ([CFG.alloc] if CFG.place else []) + \
        [CFG.shim_blas]
    if lapack:
        preload.append(CFG.shim_lapack)
    env.update({
        "LD_PRELOAD": ":".join(preload),
        "VACCEL_PLUGINS": CFG.rpc,
        "VACCEL_RPC_ADDRESS": address,
        "VACCEL_SHIM_REPORT": report,
        "OPENBLAS_NUM_THREADS": "1",
    })
    for k, v in (("VACCEL_SHIM_LEVELS", levels),
                 ("VACCEL_SHIM_MIN_FLOPS", min_flops)):
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    if fallback is not None:
        env["VACCEL_SHIM_FALLBACK"] = fallback
    if extra:
        env.update(extra)
    return env



def run_shim(tmp, cmd, report_path, run_kw=None, agent_args=None,
             **env_kw):
    """Run cmd under the shim against a fresh agent (agent_args: more of
    its command line); stop the agent and check it ended cleanly. Returns
    the result; the report is in report_path."""
    agent = Agent(tmp)
    agent.extra_args += agent_args or []
    agent.start()
    try:
        res = run(tmp, "shim", cmd, shim_env(agent.url, report_path,
                                              **env_kw), **(run_kw or {}))
    finally:
        agent.finish()
    return res, agent


def shim_report(res, agent, report_path, tmp, prefix=None):
    """The shim's report of a run_shim run, shown; the agent's end and the
    program's exit checked."""
    report = Report(report_path, prefix) if prefix else Report(report_path)
    report.show()
    agent.check()
    expect_ok(res, "shim", tmp)
    return report

def local_env(extra=None):
    """The environment of the same program without the shim."""
    env = dict(os.environ)
    for k in ("LD_PRELOAD", "VACCEL_PLUGINS", "VACCEL_RPC_ADDRESS",
              "VACCEL_SHIM_REPORT"):
        env.pop(k, None)
    env["OPENBLAS_NUM_THREADS"] = "1"
    if extra:
        env.update(extra)
    return env


class Result:
    def __init__(self, rc, out, err, secs):
        self.rc, self.out, self.err, self.secs = rc, out, err, secs


def run(tmp, name, cmd, env, stdin_path=None, cwd=None, foreign=True):
    """Run CMD to completion; its stdout and stderr go to TMP/NAME.out and
    .err (and are returned)."""
    out_path = os.path.join(tmp, name + ".out")
    err_path = os.path.join(tmp, name + ".err")
    sanitizer_env(env, foreign)
    log("%s: %s%s" % (name, " ".join(cmd),
                      " < " + stdin_path if stdin_path else ""))
    t0 = time.monotonic()
    with open(out_path, "wb") as out, open(err_path, "wb") as err, \
            open(stdin_path or os.devnull, "rb") as inp:
        try:
            rc = subprocess.run(cmd, stdin=inp, stdout=out, stderr=err,
                                env=env, cwd=cwd or tmp,
                                timeout=CFG.timeout).returncode
        except subprocess.TimeoutExpired:
            raise Fail("%s did not finish within %.0f s" % (name, CFG.timeout))
    secs = time.monotonic() - t0
    with open(out_path, errors="replace") as f:
        out_text = f.read()
    with open(err_path, errors="replace") as f:
        err_text = f.read()
    log("%s: exit %d after %.2f s" % (name, rc, secs))
    if SANITIZER_RE.search(err_text):
        raise Fail("sanitizer report from %s:\n%s" % (name,
                                                      tail(err_path, 80)))
    return Result(rc, out_text, err_text, secs)


def expect_ok(res, name, tmp):
    if res.rc != 0:
        raise Fail("%s exited with status %d\n--- stdout (tail)\n%s\n"
                   "--- stderr (tail)\n%s" % (
                       name, res.rc, tail(os.path.join(tmp, name + ".out")),
                       tail(os.path.join(tmp, name + ".err"))))


# ---- the shim's report ----------------------------------------------------


class Report:
    """Counters per function and the totals, summed over every process
    that appended to the file, for one prefix (vaccel-shim-blas, -lapack).
    """

    def __init__(self, path, prefix="vaccel-shim-blas"):
        self.path, self.prefix = path, prefix
        self.fns, self.total, self.lines = {}, {}, []
        self.unsupported = {}
        self.processes = 0
        try:
            with open(path, errors="replace") as f:
                text = f.read()
        except OSError:
            text = ""
        for line in text.splitlines():
            m = REPORT_RE.match(line)
            if not m or m.group(1) != prefix:
                continue
            self.lines.append(line)
            counters = {k: int(v) for k, v in
                        re.findall(r"(\w+)=(\d+)", m.group(4))}
            if m.group(3):
                into = self.fns.setdefault(m.group(3), {})
            elif m.group(2) == "unsupported":
                into = self.unsupported
            else:
                into = self.total
                self.processes += 1
            for k, v in counters.items():
                into[k] = into.get(k, 0) + v

    def get(self, fn, key):
        return self.fns.get(fn, {}).get(key, 0)

    def show(self):
        log("report (%s, %d process(es)) from %s:" % (
            self.prefix, self.processes, self.path))
        for line in self.lines:
            print("    " + line)
        sys.stdout.flush()

    def need_present(self):
        if self.processes == 0:
            raise Fail("no '%s: total' line in the report %s: the shim did "
                       "not write its report" % (self.prefix, self.path))

    def need_offloaded(self, fns):
        """Every function of FNS was offloaded at least once."""
        missing = [fn for fn in fns if self.get(fn, "offloaded") <= 0]
        if missing:
            detail = ", ".join(
                "%s (%s)" % (fn, "not caught" if fn not in self.fns else
                             "caught=%d local=%d failed=%d errors=%d" % (
                                 self.get(fn, "caught"),
                                 self.get(fn, "local"),
                                 self.get(fn, "failed"),
                                 self.get(fn, "errors")))
                for fn in missing)
            raise Fail("%d of %d routines never offloaded: %s" % (
                len(missing), len(fns), detail))
        log("offloaded: " + ", ".join(
            "%s=%d" % (fn, self.get(fn, "offloaded")) for fn in fns))

    def need_no_failed(self):
        failed = self.total.get("failed", 0)
        if failed:
            which = ["%s=%d" % (fn, c["failed"])
                     for fn, c in sorted(self.fns.items())
                     if c.get("failed")]
            raise Fail("%d remote attempts failed and fell back to the "
                       "local library: %s" % (failed, ", ".join(which)))


# ---- the tests ------------------------------------------------------------


def tester_path(name):
    path = os.path.join(BLAS_TEST_DIR, name)
    if not os.access(path, os.X_OK):
        raise Skip("%s not found (Debian package libblas-test)" % path)
    return path


def tester_kind(name):
    """(cblas?, level, precision) of a tester's name."""
    m = re.fullmatch(r"xblat([123])([sdcz])", name)
    if m:
        return False, int(m.group(1)), m.group(2)
    m = re.fullmatch(r"x([sdcz])cblat([123])", name)
    if m:
        return True, int(m.group(2)), m.group(1)
    raise Fail("not a BLAS tester name: %s" % name)


def tester_input(cblas, level, p):
    """The .in file Debian's run_blas_tests.sh gives the tester (None for
    level 1, which reads nothing)."""
    if level == 1:
        return None
    name = "%sin%d" % (p, level) if cblas else "%sblat%d.in" % (p, level)
    path = os.path.join(BLAS_TEST_DIR, name)
    if not os.path.exists(path):
        raise Skip("%s not found (Debian package libblas-test)" % path)
    return path


def tester_output(cwd, res, in_path):
    """stdout plus the summary file the .in names in CWD (levels 2/3 write
    their results there)."""
    text = res.out + res.err
    if in_path:
        with open(in_path) as f:
            first = f.readline()
        m = re.match(r"\s*'([^']+)'", first)
        if m and m.group(1).endswith(".out"):
            summary = os.path.join(cwd, m.group(1))
            try:
                with open(summary, errors="replace") as f:
                    text += f.read()
            except OSError:
                pass
    return text


def check_tester_output(text, name, cblas, level, in_path):
    """Every routine passed, error exits included. Returns the routine
    names the tester checked, as it prints them."""
    bad = [line for line in text.splitlines() if TESTER_BAD_RE.search(line)]
    if bad:
        raise Fail("%s reports problems:\n%s" % (name, "\n".join(bad[:40])))
    if level == 1:
        routines = []
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        for i, line in enumerate(lines):
            m = re.match(r"Test of subprogram number\s+\d+\s+(\S+)", line)
            if not m:
                continue
            routines.append(m.group(1))
            if i + 1 >= len(lines) or "----- PASS -----" not in lines[i + 1]:
                raise Fail("%s: %s did not PASS (next line: %r)" % (
                    name, m.group(1), lines[i + 1] if i + 1 < len(lines)
                    else "end of output"))
        if not routines:
            raise Fail("%s printed no 'Test of subprogram' lines" % name)
        return routines
    # Levels 2 and 3: the routines the .in file switches on.
    routines = []
    with open(in_path) as f:
        for line in f:
            m = re.match(r"^((?:cblas_)?[A-Za-z0-9]+)\s+T\s", line)
            if m:
                routines.append(m.group(1))
    if not routines:
        raise Fail("no routines switched on in %s" % in_path)
    for r in routines:
        if not re.search(r"^ *%s +PASSED THE (?:\S+ +)?COMPUTATIONAL TESTS"
                         % re.escape(r), text, re.M):
            raise Fail("%s: no '%s PASSED THE COMPUTATIONAL TESTS' line" % (
                name, r))
    # One error-exit line per routine (netlib's CBLAS level 2 tester
    # prints cblas_?geru's name for ?gerc too, so count rather than name).
    n_err = len(re.findall(r"PASSED THE TESTS OF ERROR-EXITS", text))
    if n_err != len(routines):
        raise Fail("%s: %d 'PASSED THE TESTS OF ERROR-EXITS' lines for %d "
                   "routines" % (name, n_err, len(routines)))
    if not re.search(r"END OF TESTS", text):
        raise Fail("%s: no 'END OF TESTS' line" % name)
    return routines


def passed_lines(text):
    return sorted(line.strip() for line in text.splitlines()
                  if "PASS" in line or "Test of subprogram" in line)


def routine_symbols(routines, cblas, report):
    """The symbol each printed routine name is called through: SGEMV ->
    sgemv_, cblas_sgemv -> cblas_sgemv, CBLAS_CDOTC -> cblas_cdotc_sub
    (the CBLAS tester calls the _sub form of complex dots), and
    CBLAS_CSCAL -> cscal_ (netlib's c_cblat1.f tests CSCAL through the
    Fortran spelling): the first of those spellings the shim caught."""
    syms = []
    for r in routines:
        if cblas:
            s = r.lower()
            base = s[len("cblas_"):] if s.startswith("cblas_") else s
            for alt in (s, s + "_sub", base + "_"):
                if alt in report.fns:
                    s = alt
                    break
        else:
            s = r.lower() + "_"
        syms.append(s)
    return syms


def test_blat(tmp, name):
    """The netlib tester NAME (xblat2d, xdcblat3, ...) under the shim:
    every routine PASSED, error exits included, the same results as the
    tester without the shim, every routine offloaded, nothing failed."""
    cblas, level, p = tester_kind(name)
    exe = tester_path(name)
    # Level 3 travels as the openblas plugin's ops; levels 1 and 2 (and
    # anything else the tester calls) need the ffi plugin.
    CFG.need_base(ffi=level < 3)
    in_src = tester_input(cblas, level, p)
    in_path = None
    extra = {}
    if cblas:
        # The CBLAS testers need netlib's libblas (it has the reference
        # CBLAS and its error handling), not the OpenBLAS alternative.
        if not os.path.exists(os.path.join(BLAS_TEST_DIR, "libblas.so.3")):
            raise Skip("netlib libblas.so.3 not in %s" % BLAS_TEST_DIR)
        ld = os.environ.get("LD_LIBRARY_PATH")
        extra["LD_LIBRARY_PATH"] = BLAS_TEST_DIR + (":" + ld if ld else "")

    # Baseline: the tester alone, in its own directory.
    base_dir = os.path.join(tmp, "local")
    os.mkdir(base_dir)
    if in_src:
        in_path = os.path.join(base_dir, os.path.basename(in_src))
        shutil.copy(in_src, in_path)
    base = run(tmp, "local", [exe], local_env(extra), stdin_path=in_path,
               cwd=base_dir)
    expect_ok(base, "local", tmp)
    base_text = tester_output(base_dir, base, in_path)
    check_tester_output(base_text, name + " (without the shim)", cblas,
                        level, in_path)

    shim_dir = os.path.join(tmp, "shim")
    os.mkdir(shim_dir)
    if in_src:
        in_path = os.path.join(shim_dir, os.path.basename(in_src))
        shutil.copy(in_src, in_path)
    report_path = os.path.join(tmp, "report.txt")
    res, agent = run_shim(tmp, [exe], report_path,
                          dict(stdin_path=in_path, cwd=shim_dir),
                          extra=extra)
    report = shim_report(res, agent, report_path, tmp)
    text = tester_output(shim_dir, res, in_path)
    routines = check_tester_output(text, name, cblas, level, in_path)
    log("%s: all %d routines PASSED under the shim: %s" % (
        name, len(routines), " ".join(routines)))
    want, got = passed_lines(base_text), passed_lines(text)
    if want != got:
        only_base = sorted(set(want) - set(got))
        only_shim = sorted(set(got) - set(want))
        raise Fail("%s prints other PASS lines under the shim than "
                   "without it\nonly without the shim:\n  %s\nonly under "
                   "the shim:\n  %s" % (name, "\n  ".join(only_base),
                                        "\n  ".join(only_shim)))
    report.need_present()
    report.need_offloaded(routine_symbols(routines, cblas, report))
    report.need_no_failed()
    if level > 1:
        errors = report.total.get("errors", 0)
        log("argument errors reported through xerbla: %d" % errors)
        if errors <= 0:
            raise Fail("the error-exit tests passed but the report counts "
                       "no argument errors")


def compare_files(a, b, what):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        da, db = fa.read(), fb.read()
    if da != db:
        first = next((i for i in range(min(len(da), len(db)))
                      if da[i] != db[i]), min(len(da), len(db)))
        raise Fail("%s differ: %s (%d bytes) vs %s (%d bytes), first "
                   "difference at byte %d" % (what, a, len(da), b, len(db),
                                                first))


def need_numpy():
    if not os.access(PY, os.X_OK):
        raise Skip("%s not found" % PY)
    r = subprocess.run([PY, "-c", "import numpy"], capture_output=True,
                       env=local_env())
    if r.returncode != 0:
        raise Skip("numpy is not importable by %s (Debian package "
                   "python3-numpy): %s" % (PY, r.stderr.decode().strip()))


def test_numpy_matmul(tmp, dtype):
    """numpy A @ B under the shim is bitwise the local product, and went
    through cblas_?gemm to the agent."""
    if dtype not in NUMPY_DTYPES:
        raise Fail("unknown dtype %s" % dtype)
    need_numpy()
    CFG.need_base(ffi=False)
    script = os.path.join(CFG.srcdir, "numpy_matmul.py")
    sizes = ",".join(str(n) for n in NUMPY_SIZES)
    cmd = [PY, script, "--dtype", dtype, "--sizes", sizes, "--outdir"]
    local = run(tmp, "local", cmd + [os.path.join(tmp, "local")],
                local_env())
    expect_ok(local, "local", tmp)
    report_path = os.path.join(tmp, "report.txt")
    # numpy calls a level 1 routine or two at import: only level 3 here,
    # so that the test is about matmul.
    res, agent = run_shim(tmp, cmd + [os.path.join(tmp, "shim")],
                          report_path, levels="3")
    report = shim_report(res, agent, report_path, tmp)
    print(res.out, end="")
    for n in NUMPY_SIZES:
        f = "matmul-%s-%d.npy" % (dtype, n)
        compare_files(os.path.join(tmp, "local", f),
                      os.path.join(tmp, "shim", f),
                      "%s %dx%d products with and without the shim" % (
                          dtype, n, n))
    log("products bitwise equal with and without the shim for n in %s" %
        sizes)
    report.need_present()
    fn = "cblas_%sgemm" % NUMPY_DTYPES[dtype]
    report.need_offloaded([fn])
    if report.get(fn, "offloaded") < len(NUMPY_SIZES):
        raise Fail("%s offloaded %d times, expected at least %d" % (
            fn, report.get(fn, "offloaded"), len(NUMPY_SIZES)))
    report.need_no_failed()
    if CFG.place:
        # the matrices of 1 MiB and more: allocated in the shared heap,
        # so the agent's gemm works on them in place
        placed = sum(1 for n in NUMPY_SIZES
                     if n * n * NUMPY_ITEMSIZE[dtype] >= 1 << 20)
        got = agent.in_place("gemm")
        log("gemm calls with every buffer in place: %d (%d sizes of 1 MiB "
            "and more)" % (got, placed))
        if got < placed:
            raise Fail("only %d gemm calls had all their buffers in the "
                       "shared heap, want %d" % (got, placed))


def test_alloc(tmp, _arg=None):
    """The placing allocator keeps the C allocator's contract
    (shim-alloc-prog's checks)."""
    CFG.need_alloc()
    CFG.need_file(CFG.alloc_prog, "shim-alloc-prog")
    env = local_env({"LD_PRELOAD": ":".join(list(CFG.san_preload) +
                                            [CFG.alloc])})
    res = run(tmp, "alloc", [CFG.alloc_prog], env)
    print(res.out, end="")
    expect_ok(res, "alloc", tmp)
    if not res.out.rstrip().endswith("ok"):
        raise Fail("shim-alloc-prog did not finish its checks")


def test_heap_late(tmp, _arg=None):
    """A program whose first BLAS call comes before its first large
    allocation: its connection is set up without the shared heap, and
    the shm transport reopens it once the heap exists, so that the later
    product's matrices are used in place. The same sums as locally."""
    if not CFG.place:
        raise Skip("about the placing allocator over shm: its "
                   "-shm-placed variant runs it")
    need_numpy()
    CFG.need_base(ffi=False)
    cmd = [PY, os.path.join(CFG.srcdir, "heap_late.py")]
    local = run(tmp, "local", cmd, local_env())
    expect_ok(local, "local", tmp)
    report_path = os.path.join(tmp, "report.txt")
    # numpy's import allocates a little over 1 MiB: place only from 2M
    res, agent = run_shim(tmp, cmd, report_path, levels="3",
                          extra={"VACCEL_SHM_PLACE_MIN": "2M"})
    report = shim_report(res, agent, report_path, tmp)
    print(res.out, end="")
    if "heap at the first call: False; after: True" not in res.out:
        raise Fail("the first call did not come before the heap (the "
                   "test no longer tests the late heap):\n" + res.out)
    want = re.search(r"sums .*", local.out).group(0)
    got = re.search(r"sums .*", res.out)
    if not got or got.group(0) != want:
        raise Fail("other sums under the shim: %s, locally %s" % (
            got.group(0) if got else "(none)", want))
    report.need_offloaded(["cblas_dgemm"])
    report.need_no_failed()
    if agent.in_place("gemm") < 1:
        raise Fail("the product after the heap appeared was not used in "
                   "place:\n" + tail(agent.log))
    log("the connection was reopened with the heap; the product ran in "
        "place")


def test_numpy_linalg(tmp, _arg=None):
    """tests/shim/numpy_linalg.py under both shims: exit 0, LAPACK
    routines offloaded."""
    need_numpy()
    CFG.need_base(ffi=True, lapack=True)
    script = os.path.join(CFG.srcdir, "numpy_linalg.py")
    if not os.path.exists(script):
        raise Skip("%s not written yet" % script)
    report_path = os.path.join(tmp, "report.txt")
    agent = Agent(tmp).start()
    try:
        res = run(tmp, "shim", [PY, script],
                  shim_env(agent.url, report_path, lapack=True))
    finally:
        agent.finish()
    lapack = Report(report_path, "vaccel-shim-lapack")
    blas = Report(report_path)
    lapack.show()
    blas.show()
    agent.check()
    print(res.out, end="")
    expect_ok(res, "shim", tmp)
    lapack.need_present()
    if not lapack.fns:
        raise Fail("the LAPACK shim caught no call")
    lapack.need_offloaded(sorted(lapack.fns))
    lapack.need_no_failed()
    blas.need_no_failed()


def prog_cmd(*args):
    return [CFG.need_file(CFG.prog, "shim-blas-prog")] + list(args)


# What blas_prog.c calls, in both spellings.
PROG_FNS = ["cblas_dgemm", "dgemm_", "cblas_dgemv", "dgemv_", "cblas_ddot",
            "ddot_", "cblas_daxpy", "daxpy_", "cblas_dnrm2", "cblas_idamax"]


def test_c_prog(tmp, _arg=None):
    """An ordinary C program linked with -lopenblas: bitwise the same
    output with and without the shim; its calls offloaded."""
    CFG.need_base(ffi=True)
    local = run(tmp, "local", prog_cmd(
        "-n", "512", "-i", "2", "-o", os.path.join(tmp, "local.bin")),
        local_env(), foreign=False)
    expect_ok(local, "local", tmp)
    report_path = os.path.join(tmp, "report.txt")
    res, agent = run_shim(tmp, prog_cmd(
        "-n", "512", "-i", "2", "-o", os.path.join(tmp, "shim.bin")),
        report_path, dict(foreign=False))
    report = shim_report(res, agent, report_path, tmp)
    print(res.out, end="")
    if res.out != local.out:
        raise Fail("the program prints other checksums under the shim:\n"
                   "--- without\n%s--- with\n%s" % (local.out, res.out))
    compare_files(os.path.join(tmp, "local.bin"),
                  os.path.join(tmp, "shim.bin"), "the outputs")
    log("outputs bitwise equal with and without the shim")
    report.need_present()
    report.need_offloaded(PROG_FNS)
    report.need_no_failed()


def test_agent_kill(tmp, mode):
    """SIGKILL the agent while the program runs (between two calls with
    mode 'pause', at an arbitrary moment with 'inflight'): the program
    ends with the local run's results, the calls after the kill fell back
    to the local library."""
    CFG.need_base(ffi=False)
    n, iters, before = (256, 24, 6) if mode == "pause" else (768, 24, 3)
    args = ["-n", str(n), "-i", str(iters)]
    if mode == "pause":
        args += ["-p", str(before)]
    # The local run finds its newline waiting when it pauses.
    nl = os.path.join(tmp, "newline")
    with open(nl, "w") as f:
        f.write("\n")
    local = run(tmp, "local", prog_cmd(*args, "-o",
                                       os.path.join(tmp, "local.bin")),
                local_env(), stdin_path=nl, foreign=False)
    expect_ok(local, "local", tmp)

    report_path = os.path.join(tmp, "report.txt")
    agent = Agent(tmp).start()
    env = sanitizer_env(shim_env(agent.url, report_path, levels="3"),
                        foreign=False)
    out_path = os.path.join(tmp, "shim.out")
    err_path = os.path.join(tmp, "shim.err")
    cmd = prog_cmd(*args, "-o", os.path.join(tmp, "shim.bin"))
    log("shim: " + " ".join(cmd))
    killed_after = None
    try:
        with open(err_path, "wb") as err:
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=err,
                                    env=env, cwd=tmp)
            # A program stuck on the dead agent must not hang the test
            # until meson's timeout: kill it after a while.
            watchdog = threading.Timer(CFG.timeout / 3, proc.kill)
            watchdog.start()
            lines = []
            want = "paused" if mode == "pause" else "iter %d " % (before - 1)
            for raw in proc.stdout:
                line = raw.decode(errors="replace")
                lines.append(line)
                if killed_after is None and line.startswith(want):
                    killed_after = sum(1 for x in lines
                                       if x.startswith("iter "))
                    if mode == "inflight":
                        time.sleep(0.05)  # into the next call
                    agent.kill9()
                    if mode == "pause":
                        proc.stdin.write(b"\n")
                        proc.stdin.flush()
            proc.stdin.close()
            rc = proc.wait()
            hung = not watchdog.is_alive()
            watchdog.cancel()
    finally:
        agent.abandon()
    if hung:
        raise Fail("the program was still running %.0f s after it started "
                   "and was killed; its output:\n%s" % (
                       CFG.timeout / 3, "".join(lines)))
    out = "".join(lines)
    with open(out_path, "w") as f:
        f.write(out)
    report = Report(report_path)
    report.show()
    agent.check()
    if killed_after is None:
        raise Fail("the program never printed %r: the agent was not killed"
                   "\n%s" % (want, out))
    log("agent killed after %d iterations" % killed_after)
    if rc != 0:
        raise Fail("the program exited with status %d after the agent was "
                   "killed\n--- stderr\n%s" % (rc, tail(err_path)))
    with open(err_path, errors="replace") as f:
        if SANITIZER_RE.search(f.read()):
            raise Fail("sanitizer report:\n" + tail(err_path, 80))
    strip = [x for x in out.splitlines(True) if x != "paused\n"]
    want_out = [x for x in local.out.splitlines(True) if x != "paused\n"]
    if strip != want_out:
        raise Fail("the program prints other checksums than the local run"
                   "\n--- local\n%s--- shim\n%s" % ("".join(want_out),
                                                      "".join(strip)))
    compare_files(os.path.join(tmp, "local.bin"),
                  os.path.join(tmp, "shim.bin"), "the outputs")
    log("outputs bitwise equal to the local run")
    report.need_present()
    # One cblas_dgemm and one dgemm_ before the loop, then alternating.
    offl = report.get("cblas_dgemm", "offloaded") + report.get(
        "dgemm_", "offloaded")
    if mode == "pause" and offl < 2 + before:
        raise Fail("only %d dgemm calls offloaded before the kill; expected "
                   "at least %d" % (offl, 2 + before))
    if offl <= 0:
        raise Fail("no dgemm call was offloaded before the kill")
    failed = report.get("cblas_dgemm", "failed") + report.get(
        "dgemm_", "failed")
    local_n = report.get("cblas_dgemm", "local") + report.get(
        "dgemm_", "local")
    log("dgemm after the kill: offloaded=%d failed=%d local=%d" % (
        offl, failed, local_n))
    if failed <= 0 or local_n <= 0:
        raise Fail("the report shows no fallback of dgemm (failed=%d "
                   "local=%d)" % (failed, local_n))


def test_fallback_fail(tmp, _arg=None):
    """VACCEL_SHIM_FALLBACK=fail and no agent: the program fails loudly."""
    CFG.need_base(ffi=False)
    report_path = os.path.join(tmp, "report.txt")
    env = shim_env("unix://" + os.path.join(tmp, "no-agent.sock"),
                   report_path, levels="3", fallback="fail")
    res = run(tmp, "shim", prog_cmd("-n", "128", "-o",
                                    os.path.join(tmp, "shim.bin")),
              env, foreign=False)
    Report(report_path).show()
    log("stderr of the program:\n" + res.err.rstrip())
    if res.rc == 0:
        raise Fail("the program exited 0 with VACCEL_SHIM_FALLBACK=fail "
                   "and no agent")
    if "done" in res.out.split():
        raise Fail("the program ran to the end although no call could be "
                   "offloaded")
    if not res.err.strip():
        raise Fail("the program failed (status %d) without a word on "
                   "stderr" % res.rc)
    log("failed loudly: status %d (%s)" % (
        res.rc, "signal %d" % -res.rc if res.rc < 0 else "exit"))


def test_ctypes(tmp, _arg=None):
    """cblas_dgemm looked up with dlsym(handle) by ctypes in a library
    dlopen'ed RTLD_LOCAL: caught and offloaded, same bytes as without."""
    if not os.access(PY, os.X_OK):
        raise Skip("%s not found" % PY)
    CFG.need_base(ffi=False)
    script = os.path.join(CFG.srcdir, "ctypes_dgemm.py")
    local = run(tmp, "local", [PY, script, os.path.join(tmp, "local.bin")],
                local_env())
    expect_ok(local, "local", tmp)
    report_path = os.path.join(tmp, "report.txt")
    res, agent = run_shim(tmp, [PY, script, os.path.join(tmp, "shim.bin")],
                          report_path, levels="3")
    report = shim_report(res, agent, report_path, tmp)
    print(res.out, end="")
    compare_files(os.path.join(tmp, "local.bin"),
                  os.path.join(tmp, "shim.bin"), "the products")
    report.need_present()
    report.need_offloaded(["cblas_dgemm"])
    report.need_no_failed()
    if report.unsupported.get("ilp64_lookups", 0) < 1:
        raise Fail("the report does not count the cblas_dgemm64_ lookup as "
                   "unsupported")


def run_both(tmp, cmd, **env_kw):
    """CMD run plainly and under the shim against a fresh agent: both
    outputs, line for line equal, and the shim's report."""
    local = run(tmp, "local", cmd, local_env())
    expect_ok(local, "local", tmp)
    report_path = os.path.join(tmp, "report.txt")
    res, agent = run_shim(tmp, cmd, report_path, **env_kw)
    report = shim_report(res, agent, report_path, tmp)
    a, b = local.out.splitlines(), res.out.splitlines()
    diff = [(x, y) for x, y in zip(a, b) if x != y]
    if diff or len(a) != len(b):
        raise Fail("%d of %d lines differ with the shim (%d vs %d lines):\n"
                   "%s" % (len(diff), len(a), len(a), len(b), "\n".join(
                       "  local: %s\n  shim:  %s" % d for d in diff[:20])))
    return local, res, report


def test_aliasing(tmp, _arg=None):
    """Every level 1 and 2 routine on interleaved and same-array vectors
    (aliasing.py) gives bitwise the local library's arrays and return
    values when offloaded; each call went to the agent."""
    CFG.need_base(ffi=True)
    codegen = os.path.join(CFG.srcdir, "..", "..", "codegen")
    cmd = [PY, os.path.join(CFG.srcdir, "aliasing.py"), codegen,
           os.path.join(codegen, "specs")]
    local, res, report = run_both(tmp, cmd)
    calls = [line.split()[0] for line in local.out.splitlines()
             if " sha256=" in line]
    if len(calls) < 60:
        raise Fail("only %d aliased calls made: %s" % (len(calls),
                                                       local.out[-2000:]))
    report.need_present()
    report.need_offloaded(sorted(set(calls)))
    report.need_no_failed()
    log("%d aliased calls bitwise equal to the local library" % len(calls))


def test_gap_writeback(tmp, arg):
    """gap_writeback.py: a thread's calls on parts of matrices while
    another keeps writing the rest; under the shim (replies inline or in
    the memfd, by arg) no write of the other thread is ever undone, and
    what the calls wrote is bitwise the local library's."""
    CFG.need_base(ffi=True)
    cmd = [PY, os.path.join(CFG.srcdir, "gap_writeback.py"), "100"]
    local = run(tmp, "local", cmd, local_env())
    expect_ok(local, "local", tmp)
    report_path = os.path.join(tmp, "report.txt")
    res, agent = run_shim(tmp, cmd, report_path, extra={
        "VACCEL_RPC_MEMFD_MIN": "1" if arg == "memfd" else "0"})
    report = shim_report(res, agent, report_path, tmp)
    print(res.out + res.err[-500:], end="")
    if "stale 0" not in res.out.splitlines():
        raise Fail("the other thread's writes into the gaps were undone "
                   "by the calls' replies:\n" + res.out)
    a = [x for x in local.out.splitlines() if x.startswith("rows ")]
    b = [x for x in res.out.splitlines() if x.startswith("rows ")]
    if a != b or len(a) != 4:
        raise Fail("what the calls wrote differs with the shim:\n  local: "
                   "%s\n  shim:  %s" % (a, b))
    report.need_present()
    report.need_offloaded(["drot_", "dswap_", "dger_"])
    report.need_no_failed()


def test_lapack_query(tmp, _arg=None):
    """Workspace queries of every LAPACK routine with one (lapack_query.py:
    one-element dummies before guard pages) under both shims with
    everything offloaded: the local answers, no crash, and not one
    query sent to the agent."""
    CFG.need_base(ffi=True, lapack=True)
    codegen = os.path.join(CFG.srcdir, "..", "..", "codegen")
    cmd = [PY, os.path.join(CFG.srcdir, "lapack_query.py"), codegen,
           os.path.join(codegen, "specs")]
    local, _, _ = run_both(tmp, cmd, lapack=True)
    report = Report(os.path.join(tmp, "report.txt"), "vaccel-shim-lapack")
    report.need_present()
    syms = [line.split()[0] for line in local.out.splitlines()
            if " info=" in line]
    if len(syms) < 12:
        raise Fail("only %d queries made" % len(syms))
    sent = ["%s (offloaded=%d local=%d)" % (s, report.get(s, "offloaded"),
                                            report.get(s, "local"))
            for s in syms if report.get(s, "offloaded")
            or report.get(s, "local") != 1]
    if sent:
        raise Fail("queries not answered locally once each: "
                   + ", ".join(sent))
    report.need_no_failed()
    log("%d workspace queries answered locally: %s" % (len(syms),
                                                       " ".join(syms)))


def test_host_xerbla(tmp, _arg=None):
    """host_xerbla.py: a LAPACK call whose argument only the library
    itself refuses (dgelsd_, LWORK below its minimum), offloaded: the
    program gets the local library's INFO and output; on the host the
    refusal went through the xerbla_ of the agent's ffi plugin (logged,
    at debug), not the library's own, which prints to the agent's
    stdout (OpenBLAS) or stops the agent (the reference LAPACK)."""
    CFG.need_base(ffi=True, lapack=True)
    cmd = [PY, os.path.join(CFG.srcdir, "host_xerbla.py")]
    local = run(tmp, "local", cmd, local_env())
    expect_ok(local, "local", tmp)
    report_path = os.path.join(tmp, "report.txt")
    res, agent = run_shim(tmp, cmd, report_path, lapack=True,
                          agent_args=["-vv"])
    report = shim_report(res, agent, report_path, tmp,
                         "vaccel-shim-lapack")
    print(res.out, end="")
    if res.out != local.out:
        raise Fail("the output differs with the shim:\n  local: %r\n"
                   "  shim:  %r" % (local.out, res.out))
    report.need_present()
    report.need_offloaded(["dgelsd_"])
    text = agent.log_text()
    hook = "DGELSD: argument 12 refused by the host library"
    if hook not in text:
        raise Fail("the agent's log lacks '%s':\n%s" % (hook,
                                                          tail(agent.log)))
    if "On entry to" in text:
        raise Fail("the host library's own xerbla printed in the agent:\n"
                   + tail(agent.log))
    log("the host's refusal went through the ffi plugin's xerbla_")


def test_host_workspace(tmp, _arg=None):
    """host_workspace.py: dsyevd_ with an 8 MiB and then a 512 MiB
    workspace (legal LWORKs, far above the routine's need), against an
    agent with --max-memory 64M: the first runs on the host, the second
    is refused there before its workspace is allocated (the ffi plugin
    charges it to the guest first), says why in the agent's log, and runs
    locally: both answers the unshimmed run's."""
    CFG.need_base(ffi=True, lapack=True)
    cmd = [PY, os.path.join(CFG.srcdir, "host_workspace.py")]
    local = run(tmp, "local", cmd, local_env())
    expect_ok(local, "local", tmp)
    report_path = os.path.join(tmp, "report.txt")
    res, agent = run_shim(tmp, cmd, report_path, lapack=True,
                          agent_args=["--max-memory", "64M"])
    report = shim_report(res, agent, report_path, tmp,
                         "vaccel-shim-lapack")
    print(res.out, end="")
    if res.out != local.out:
        raise Fail("the output differs with the shim:\n  local: %r\n"
                   "  shim:  %r" % (local.out, res.out))
    report.need_present()
    got = (report.get("dsyevd_", "offloaded"),
           report.get("dsyevd_", "failed"))
    if got != (1, 1):
        raise Fail("dsyevd_ offloaded=%d failed=%d: want 1 and 1 (the "
                   "small workspace served, the large refused)" % got)
    text = agent.log_text()
    why = r"op 'dsyevd_': the (\d+) bytes its backend needed exceed " \
          r"the client's memory limit"
    m = re.search(why, text)
    if not m or int(m.group(1)) < (1 << 26) * 8:
        raise Fail("the agent's log lacks '%s':\n%s" % (why,
                                                         tail(agent.log)))
    log("the 512 MiB workspace was refused by the host and ran locally")


DOT_MIB = 256


def test_dot_memory(tmp, _arg=None):
    """np.dot(v, v) of a 256 MiB vector with level 1 offloaded: v travels
    once (one region, one copy in the memfd: the peak rises by at most
    1.25 v), and the memfd is given back after the call (at most 16 MiB
    of shared memory left)."""
    need_numpy()
    CFG.need_base(ffi=True)
    cmd = [PY, os.path.join(CFG.srcdir, "dot_memory.py"), str(DOT_MIB)]
    local = run(tmp, "local", cmd, local_env())
    expect_ok(local, "local", tmp)
    report_path = os.path.join(tmp, "report.txt")
    res, agent = run_shim(tmp, cmd, report_path)
    report = shim_report(res, agent, report_path, tmp)
    print(res.out, end="")
    got = dict(line.split(None, 1) for line in res.out.splitlines())
    want = dict(line.split(None, 1) for line in local.out.splitlines())
    if got.get("dot") != want.get("dot"):
        raise Fail("dot %s under the shim, %s without" % (got.get("dot"),
                                                          want.get("dot")))
    report.need_offloaded(["cblas_ddot"])
    report.need_no_failed()
    peak, shm = float(got["extra_peak_mib"]), float(got["shmem_after_mib"])
    if peak > 1.25 * DOT_MIB:
        raise Fail("the call raised the peak by %.0f MiB for a %d MiB "
                   "vector: more than one copy" % (peak, DOT_MIB))
    if shm > 16:
        raise Fail("%.0f MiB of shared memory still resident after the "
                   "call" % shm)
    log("peak +%.0f MiB for a %d MiB dot(v, v); %.1f MiB shared memory "
        "left" % (peak, DOT_MIB, shm))


def test_numpy_threads(tmp, _arg=None):
    """numpy matmuls from 8 threads at once: every product equal to the
    one computed before the threads (under the shim too), all offloaded."""
    need_numpy()
    CFG.need_base(ffi=False)
    script = os.path.join(CFG.srcdir, "numpy_threads.py")
    report_path = os.path.join(tmp, "report.txt")
    res, agent = run_shim(tmp, [PY, script, "8", "10"], report_path,
                          levels="3")
    report = shim_report(res, agent, report_path, tmp)
    print(res.out, end="")
    report.need_present()
    report.need_no_failed()
    if report.get("cblas_dgemm", "offloaded") < 8 * 10:
        raise Fail("%d cblas_dgemm calls offloaded, want at least 80"
                   % report.get("cblas_dgemm", "offloaded"))


def test_exit_paths(tmp, _arg=None):
    """exit_paths.py: processes that end without exit handlers
    (multiprocessing's fork workers and the parent, through os._exit), a
    forked child through exit() and a vfork child that calls nothing:
    exactly one report per process that made calls, under its pid, with
    its own cblas_dgemm calls only, all offloaded."""
    need_numpy()
    CFG.need_base(ffi=False)
    script = os.path.join(CFG.srcdir, "exit_paths.py")
    report_path = os.path.join(tmp, "report.txt")
    res, agent = run_shim(tmp, [PY, script, "3"], report_path, levels="3")
    report = shim_report(res, agent, report_path, tmp)
    print(res.out, end="")
    report.need_present()
    report.need_no_failed()
    want = {int(p): (role, int(n)) for p, role, n in
            re.findall(r"^pid (\d+) (\w+) (\d+)$", res.out, re.M)}
    roles = sorted(role for role, _ in want.values())
    if roles != ["fork", "parent", "worker", "worker", "worker"]:
        raise Fail("the program names these processes: %s" % want)
    # Each process writes its report in one piece: the header, its
    # functions' lines, its total.
    got, pid = {}, None
    with open(report_path, errors="replace") as f:
        text = f.read()
    for line in text.splitlines():
        m = re.match(r"^vaccel-shim-blas: report pid=(\d+)$", line)
        if m:
            pid = int(m.group(1))
            got.setdefault(pid, []).append({})
            continue
        m = REPORT_RE.match(line)
        if not m or m.group(1) != "vaccel-shim-blas":
            continue
        if pid is None:
            raise Fail("report line outside a process's report: " + line)
        if m.group(3) == "cblas_dgemm" or m.group(2) == "total":
            got[pid][-1][m.group(3) or "total"] = dict(
                (k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)",
                                                   m.group(4)))
        if m.group(2) == "total":
            pid = None
    bad = []
    for p in sorted(set(want) | set(got)):
        role, n = want.get(p, ("a process that made no call", 0))
        reports = got.get(p, [])
        dgemm = reports[0].get("cblas_dgemm", {}) if reports else {}
        if (len(reports) != 1 or "total" not in reports[0] or
                dgemm.get("caught") != n or dgemm.get("offloaded") != n):
            bad.append("pid %d (%s, %d matmuls): %d report(s), cblas_dgemm "
                       "%s" % (p, role, n, len(reports), dgemm))
        else:
            log("pid %d (%s): one report, cblas_dgemm caught=offloaded=%d"
                % (p, role, n))
    if bad:
        raise Fail("reports not one per process with its own calls:\n  " +
                   "\n  ".join(bad))


# ---- numpy's and scipy's own test suites ----------------------------------

# What pytest runs for each set: (the module that must import, --pyargs
# targets). "scipy-linalg" is the default run's fixed part of scipy.linalg's
# suite (about a third of its time under VACCEL_SHIM_LEVELS=all);
# "scipy-linalg-full" (suite shim-full) is all of it.
PYTEST_SETS = {
    "numpy-linalg": ("numpy.linalg", ["numpy.linalg"]),
    "scipy-linalg": ("scipy.linalg", [
        "scipy.linalg.tests.test_basic",     # solve, lstsq, banded
        "scipy.linalg.tests.test_decomp",    # eigh (evd...), svd, orth,
                                             # null_space, schur, qz
        "scipy.linalg.tests.test_decomp_update",  # qr_*: rot on 2 rows
        "scipy.linalg.tests.test_lapack",    # the *_lwork queries
        "scipy.linalg.tests.test_blas",      # rot, swap on strided data
        "scipy.linalg.tests.test_fblas",     # level 1/2 BLAS, strides
    ]),
    "scipy-linalg-full": ("scipy.linalg", ["scipy.linalg"]),
}
# The shim's settings: its own defaults (nothing set), and everything
# offloaded however small.
PYTEST_SETTINGS = {
    "defaults": dict(levels=None, min_flops=None),
    "all": dict(levels="all", min_flops="0"),
}
PYTEST_SUMMARY_RE = re.compile(
    r"^=*\s*((?:\d+ (?:passed|failed|skipped|xfailed|xpassed|errors?|"
    r"warnings?|deselected)(?:, )?)+)(?: in [\d.]+s.*)?\s*=*\s*$")
PYTEST_COUNT_KEYS = ("passed", "failed", "skipped", "xfailed", "xpassed",
                     "error", "deselected")


def pytest_counts(text):
    """(summary line, {outcome: count}) of pytest's final line; warnings
    left out of the counts, since they are not outcomes."""
    for line in reversed(text.splitlines()):
        m = PYTEST_SUMMARY_RE.match(line.strip())
        if m:
            counts = dict.fromkeys(PYTEST_COUNT_KEYS, 0)
            for n, what in re.findall(r"(\d+) (\w+)", m.group(1)):
                what = "error" if what == "errors" else what
                if what in counts:
                    counts[what] += int(n)
            return line.strip(), counts
    return None, None


def junit_key(shown, cwd, rootdir):
    """The "classname::name" junit gives the test that pytest's summary
    shows as SHOWN (its node id, the file relative to CWD; junit's is
    relative to ROOTDIR, as in pytest's mangle_test_address)."""
    path, bracket, params = shown.partition("[")
    names = path.split("::")
    names[0] = os.path.relpath(os.path.normpath(os.path.join(cwd, names[0])),
                               rootdir)
    names[0] = re.sub(r"\.py$", "", names[0].replace("/", "."))
    names[-1] += bracket + params
    return "%s::%s" % (".".join(names[:-1]), names[-1])


def junit_outcomes(path, out_text, cwd, rootdir):
    """{test id: (outcome, message)} from pytest's junit xml: the per-test
    view that names what differs when the counts do. junit records an
    xpass as a pass; the XPASS lines of -rX in OUT_TEXT tell them apart."""
    import xml.etree.ElementTree as ET
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        raise Fail("no junit xml from pytest at %s: %s" % (path, e))
    out = {}
    for tc in root.iter("testcase"):
        tid = "%s::%s" % (tc.get("classname", ""), tc.get("name", ""))
        outcome, msg = "passed", ""
        for child in tc:
            if child.tag in ("failure", "error"):
                outcome, msg = child.tag, child.get("message", "")
            elif child.tag == "skipped":
                outcome = ("xfailed" if child.get("type") == "pytest.xfail"
                           else "skipped")
        n, key = 2, tid
        while key in out:  # the same id twice: keep both
            key, n = "%s#%d" % (tid, n), n + 1
        out[key] = (outcome, msg)
    for shown in re.findall(r"^XPASS (\S+)", out_text, re.M):
        key = junit_key(shown, cwd, rootdir)
        if out.get(key, ("",))[0] == "passed":
            out[key] = ("xpassed", "")
    return out


def need_pytest(module):
    """The directory that holds MODULE's top package: pytest's rootdir,
    so that test ids name their module (given modules, not a package, as
    --pyargs, pytest's ids from the temporary directory do not)."""
    if not os.access(PY, os.X_OK):
        raise Skip("%s not found" % PY)
    top = module.split(".")[0]
    r = subprocess.run([PY, "-c", "import os, pytest, %s; print(os.path."
                        "dirname(os.path.dirname(%s.__file__)))" % (
                            module, top)],
                       capture_output=True, env=local_env())
    if r.returncode != 0:
        raise Skip("pytest or %s is not importable by %s (Debian packages "
                   "python3-pytest, python3-numpy, python3-scipy): %s" % (
                       module, PY, (r.stderr.decode().strip().splitlines()
                                    or ["exit %d" % r.returncode])[-1]))
    return r.stdout.decode().strip()


def test_pytest(tmp, arg):
    """numpy's or scipy's own test suite (ARG is SET:SETTING) under both
    shims gives exactly the outcomes it gives without them: the same
    counts, and the same outcome for every test."""
    set_name, _, setting = (arg or "").partition(":")
    if set_name not in PYTEST_SETS or setting not in PYTEST_SETTINGS:
        raise Fail("unknown pytest set or setting %r (sets: %s; settings: "
                   "%s)" % (arg, ", ".join(PYTEST_SETS),
                            ", ".join(PYTEST_SETTINGS)))
    module, targets = PYTEST_SETS[set_name]
    rootdir = need_pytest(module)
    CFG.need_base(ffi=True, lapack=True)
    # Bytecode of pytest's assertion rewriting stays out of dist-packages.
    extra = {"PYTHONDONTWRITEBYTECODE": "1"}

    # --capture=sys: what C code writes to fd 2 (a sanitizer's report
    # before it exits, the shim's messages) reaches NAME.err instead of
    # vanishing with pytest's capture file.
    def cmd(name):
        return [PY, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rX",
                "--capture=sys", "--rootdir=" + rootdir,
                "--junitxml=" + os.path.join(tmp, name + ".xml"),
                "--pyargs"] + targets

    local = run(tmp, "local", cmd("local"), local_env(extra))
    local_line, local_counts = pytest_counts(local.out)
    # 1: some tests failed, which the shimmed run must then reproduce;
    # anything else means the suite did not run.
    if local.rc not in (0, 1) or local_counts is None:
        expect_ok(local, "local", tmp)
        raise Fail("pytest printed no summary line without the shim\n%s" %
                   tail(os.path.join(tmp, "local.out")))
    log("without the shim: %s (%.0f s)" % (local_line, local.secs))

    report_path = os.path.join(tmp, "report.txt")
    res, agent = run_shim(tmp, cmd("shim"), report_path, lapack=True,
                          extra=extra, **PYTEST_SETTINGS[setting])
    lapack = Report(report_path, "vaccel-shim-lapack")
    blas = Report(report_path)
    lapack.show()
    blas.show()
    shim_line, shim_counts = pytest_counts(res.out)
    log("under the shim:    %s (%.0f s)" % (shim_line, res.secs))
    agent.check()
    if shim_counts is None:
        raise Fail("pytest printed no summary line under the shim (exit %d)"
                   "\n--- stdout (tail)\n%s\n--- stderr (tail)\n%s" % (
                       res.rc, tail(os.path.join(tmp, "shim.out")),
                       tail(os.path.join(tmp, "shim.err"))))
    want = junit_outcomes(os.path.join(tmp, "local.xml"), local.out, tmp,
                          rootdir)
    got = junit_outcomes(os.path.join(tmp, "shim.xml"), res.out, tmp,
                         rootdir)
    differ = sorted(t for t in set(want) | set(got)
                    if want.get(t, ("absent",))[0] !=
                    got.get(t, ("absent",))[0])
    if shim_counts != local_counts or differ or res.rc != local.rc:
        lines = ["%s: %s -> %s%s" % (
            t, want.get(t, ("absent",))[0], got.get(t, ("absent", ""))[0],
            (": " + got[t][1].splitlines()[0][:200])
            if t in got and got[t][1] else "") for t in differ]
        differ_path = os.path.join(tmp, "differ.txt")
        with open(differ_path, "w") as f:
            f.write("".join(line + "\n" for line in lines))
        raise Fail("%s gives other outcomes under the shim (%s)\n"
                   "  without: %s (exit %d)\n  with:    %s (exit %d)\n"
                   "%d test(s) differ (without -> with; all in %s):\n  %s"
                   % (set_name, setting, local_line, local.rc, shim_line,
                      res.rc, len(differ), differ_path,
                      "\n  ".join(lines[:100]) +
                      ("\n  ... %d more" % (len(lines) - 100)
                       if len(lines) > 100 else "")))
    log("the same outcome for each of %d tests with and without the shim"
        % len(want))
    lapack.need_present()
    blas.need_present()
    offloaded = sum(c.get("offloaded", 0) for c in lapack.fns.values())
    log("LAPACK calls offloaded: %d, BLAS calls offloaded: %d" % (
        offloaded, sum(c.get("offloaded", 0) for c in blas.fns.values())))
    if setting == "all" and offloaded <= 0:
        raise Fail("with VACCEL_SHIM_LEVELS=all VACCEL_SHIM_MIN_FLOPS=0 the "
                   "LAPACK shim offloaded no call of %s's suite" % set_name)


# ---- OpenCV ----------------------------------------------------------------

CV_DATA = "/usr/share/doc/opencv-doc/examples/data"
HAAR = "/usr/share/opencv4/haarcascades"
# functions of the spec that cv2 has no binding for (free functions that
# Python reaches only through a Feature2D object): cv-prog calls them
CV_NOT_IN_CV2 = {"FAST", "AGAST"}


def cv_funcs():
    """Every function of codegen/specs/opencv.spec (resize, ...,
    CascadeClassifier::detectMultiScale), read from the spec."""
    spec = os.path.join(CFG.srcdir, "..", "..", "codegen", "specs",
                        "opencv.spec")
    with open(spec) as f:
        return [line.split()[1] for line in f if line.startswith("fn ")]


def cv_symbols(report):
    """{function name: its symbol in the report} (_ZN2cv6resize... ->
    resize, _ZN2cv17CascadeClassifier16detectMultiScale... ->
    CascadeClassifier::detectMultiScale)."""
    out = {}
    for sym in report.fns:
        if not sym.startswith("_ZN2cv"):
            continue
        names, i = [], len("_ZN2cv")
        while i < len(sym) and sym[i].isdigit():
            m = re.match(r"\d+", sym[i:])
            n = int(m.group(0))
            i += len(m.group(0))
            names.append(sym[i:i + n])
            i += n
        out["::".join(names)] = sym
    return out


def cv_env(address, report, min_flops="0"):
    env = dict(os.environ)
    env.update({
        "LD_PRELOAD": ":".join(list(CFG.san_preload) + [CFG.shim_opencv]),
        "VACCEL_PLUGINS": CFG.rpc,
        "VACCEL_RPC_ADDRESS": address,
        "VACCEL_SHIM_REPORT": report,
    })
    if min_flops is None:
        env.pop("VACCEL_SHIM_MIN_FLOPS", None)
    else:
        env["VACCEL_SHIM_MIN_FLOPS"] = min_flops
    return env


def cv_compare(tmp, a, b):
    """The results of two cv_calls.py runs are bitwise the same, and so
    are the errors they raised."""
    r = subprocess.run([PY, "-c", """
import json, sys
import numpy as np
a, b = np.load(sys.argv[1] + '.npz'), np.load(sys.argv[2] + '.npz')
bad = sorted(set(a.files) ^ set(b.files))
for k in sorted(set(a.files) & set(b.files)):
    x, y = a[k], b[k]
    if x.shape != y.shape or x.dtype != y.dtype or x.tobytes() != y.tobytes():
        bad.append(k)
ea, eb = (json.load(open(p + '.errors')) for p in sys.argv[1:3])
bad += ['error ' + k for k in sorted(set(ea) | set(eb))
        if ea.get(k) != eb.get(k) or ea.get(k) is None]
print(' '.join(bad) if bad else 'same: %d results, %d errors' % (
    len(a.files), len(ea)))
sys.exit(1 if bad else 0)
""", a, b], capture_output=True, text=True, env=local_env())
    if r.returncode:
        raise Fail("results differ from the plain run's: %s%s" % (
            r.stdout.strip(), r.stderr[-2000:]))
    log(r.stdout.strip())


def test_opencv_prog(tmp, _arg=None):
    """tests/shim/cv_prog.cc, a C++ OpenCV program: every intercepted
    function but the cascade's, most on sub-regions cut with Mat(Rect)
    (OpenCV reads the image around them at their borders), with Matx,
    Scalar and Point arguments, in place on a sub-region, a bad argument;
    bitwise the same output under the shim, every call offloaded."""
    CFG.need_file(CFG.agent, "vaccel-agent")
    CFG.need_file(CFG.rpc, "the rpc transport plugin")
    CFG.need_file(CFG.shim_opencv, "the OpenCV shim")
    CFG.need_file(CFG.opencv, "the opencv plugin")
    CFG.need_file(CFG.cv_prog, "cv-prog")
    image = os.path.join(CV_DATA, "fruits.jpg")
    if not os.path.exists(image):
        raise Skip("opencv-doc's sample images are not in " + CV_DATA)
    plain = os.path.join(tmp, "plain.out")
    shimmed = os.path.join(tmp, "shimmed.out")
    expect_ok(run(tmp, "plain", [CFG.cv_prog, image, plain], local_env(),
                  foreign=False), "plain", tmp)
    report_path = os.path.join(tmp, "report.txt")
    agent = Agent(tmp)
    agent.plugins = CFG.opencv
    agent.start()
    try:
        res = run(tmp, "shim", [CFG.cv_prog, image, shimmed],
                  cv_env(agent.url, report_path), foreign=False)
    finally:
        agent.finish()
    report = shim_report(res, agent, report_path, tmp, "vaccel-shim-opencv")
    report.need_no_failed()
    if report.total.get("local", 0) or report.total.get("offloaded", 0) < 10:
        raise Fail("every call of cv-prog is offloaded: %s" % report.total)
    syms = cv_symbols(report)
    missing = [f for f in cv_funcs() if "::" not in f and
               report.get(syms.get(f, ""), "offloaded") < 1]
    if missing:
        raise Fail("cv-prog's calls not offloaded: " + ", ".join(missing))
    compare_files(plain, shimmed, "cv-prog's output")
    with open(shimmed, "rb") as f:
        if b"exception -215" not in f.read():
            raise Fail("the bad argument raised no cv::Exception -215")


def cv_native_run(tmp, where, name, args, plugin_env=None):
    """Run a vAccel program (args) on the opencv plugin, in-process
    (inproc) or through an agent of its own (remote); plugin_env: the
    plugin's environment (the agent's when remote). Returns (its result,
    the agent's log or None)."""
    env = local_env(dict({"VACCEL_PLUGINS": CFG.opencv},
                         **(plugin_env or {})))
    agent = None
    if where == "remote":
        CFG.need_file(CFG.agent, "vaccel-agent")
        CFG.need_file(CFG.rpc, "the rpc transport plugin")
        agent = Agent(tmp)
        agent.plugins = CFG.opencv
        agent.env = dict(plugin_env or {})
        agent.start()
        env = local_env({"VACCEL_PLUGINS": CFG.rpc,
                         "VACCEL_RPC_ADDRESS": agent.url})
    try:
        res = run(tmp, name, args, env, foreign=False)
    finally:
        if agent:
            agent.finish()
    print(res.out, end="")
    if agent:
        agent.check()
    expect_ok(res, name, tmp)
    return res, agent.log_text() if agent else None


def test_opencv_native(tmp, where):
    """tests/shim/cv_native.cc: vAccel's generic opencv op (vaccel_opencv)
    served by the opencv plugin, in-process (inproc) and through the
    agent (remote): results bitwise the direct calls', OpenCV's error
    text, refusals."""
    CFG.need_file(CFG.opencv, "the opencv plugin")
    CFG.need_file(CFG.cv_native, "cv-native")
    cv_native_run(tmp, where, "native", [CFG.cv_native])


def test_opencv_images(tmp, where):
    """tests/shim/cv_image.cc: vAccel's image ops served by the opencv
    plugin on models registered with VACCEL_OPENCV_MODELS (made by
    cv_models.py), in-process (inproc) or through the agent (remote):
    known answers, the program's own faces, refusals; then a broken
    classify.conf, which the plugin names with its line and declines while
    loading."""
    CFG.need_file(CFG.opencv, "the opencv plugin")
    CFG.need_file(CFG.cv_image, "cv-image")
    cascade = os.path.join(HAAR, "haarcascade_frontalface_default.xml")
    CFG.need_file(cascade, "opencv-data's frontal-face cascade")
    faces = os.path.join(CV_DATA, "messi5.jpg")
    CFG.need_file(faces, "opencv-doc's messi5.jpg")
    for mode in ("served", "declined"):
        models = os.path.join(tmp, mode)
        subprocess.run([PY, os.path.join(CFG.srcdir, "cv_models.py"),
                        models, mode, cascade], check=True)
        args = [CFG.cv_image, mode] + ([faces, cascade]
                                       if mode == "served" else [])
        res, agent_log = cv_native_run(tmp, where, "image-" + mode, args,
                                       {"VACCEL_OPENCV_MODELS": models})
        if mode == "declined":
            said = agent_log if agent_log is not None else res.err
            want = "classify.conf:3: unknown key or bad value 'colour = red'"
            if want not in said:
                raise Fail("the broken conf is not named with its line "
                           "(%r):\n%s" % (want, said[-2000:]))
            log("the broken conf named: " + want)


def test_opencv(tmp, mode):
    """tests/shim/cv_calls.py (every intercepted function on opencv-doc's
    images, sub-regions, in place, bad arguments) plainly and under the
    opencv shim: bitwise the same results and the same cv2.error texts.
    offload: everything offloaded (VACCEL_SHIM_MIN_FLOPS=0), every function
    in the report, the cascade sent once for two detections; defaults: the
    shim's own size threshold; agent-down: no agent, every call local;
    internal: detections local (objdetect off), the program's own resize
    offloaded and the cascade's resizes (OpenCV calling itself) local;
    version: the program's OpenCV says it is 4.99, and the shim disables
    itself with one line; budget: cv_budget.py's resize to 6000 x 6000
    against an agent with --max-memory 64M, refused on the host before its
    output is allocated and made locally, the result the same."""
    CFG.need_file(CFG.agent, "vaccel-agent")
    CFG.need_file(CFG.rpc, "the rpc transport plugin")
    CFG.need_file(CFG.shim_opencv, "the OpenCV shim "
                  "(libvaccel-shim-opencv.so)")
    CFG.need_file(CFG.opencv, "the opencv plugin (libvaccel-opencv.so)")
    r = subprocess.run([PY, "-c", "import cv2"], capture_output=True,
                       env=local_env())
    if r.returncode:
        raise Skip("cv2 does not import (python3-opencv)")
    if not os.path.exists(os.path.join(CV_DATA, "baboon.jpg")):
        raise Skip("opencv-doc's sample images are not in " + CV_DATA)
    script = os.path.join(CFG.srcdir, "cv_calls.py")
    plain = os.path.join(tmp, "plain")
    shimmed = os.path.join(tmp, "shimmed")
    expect_ok(run(tmp, "plain", [PY, script, CV_DATA, plain],
                  local_env()), "plain", tmp)
    report_path = os.path.join(tmp, "report.txt")
    if mode == "version":
        # the program's OpenCV says it is 4.99 (a library preloaded
        # first): the shim disables itself, whatever the agent offers
        CFG.need_file(CFG.cv_fake_version, "libcv-fake-version.so")
        agent = Agent(tmp)
        agent.plugins = CFG.opencv
        agent.start()
        env = cv_env(agent.url, report_path)
        env["LD_PRELOAD"] = ":".join(list(CFG.san_preload) + [
            CFG.cv_fake_version, CFG.shim_opencv])
        try:
            res = run(tmp, "shim", [PY, script, CV_DATA, shimmed], env)
        finally:
            agent.finish()
        agent.check()
        expect_ok(res, "shim", tmp)
        report = Report(report_path, "vaccel-shim-opencv")
        report.show()
        said = res.err.count("the program's OpenCV is 4.99, the shim was "
                             "built for 4.6")
        if report.total.get("offloaded", 0) or said != 1:
            raise Fail("with another OpenCV the shim says so once (%d "
                       "times) and offloads nothing: %s" % (said,
                                                           report.total))
    elif mode == "budget":
        # not cv_calls.py: one function, an output over the budget
        cmd = [PY, os.path.join(CFG.srcdir, "cv_budget.py"), CV_DATA]
        local = run(tmp, "local", cmd, local_env())
        expect_ok(local, "local", tmp)
        agent = Agent(tmp)
        agent.plugins = CFG.opencv
        agent.extra_args += ["--max-memory", "64M"]
        agent.start()
        hwm = None
        try:
            res = run(tmp, "shim", cmd, cv_env(agent.url, report_path))
            with open("/proc/%d/status" % agent.proc.pid) as f:
                hwm = int(re.search(r"^VmHWM:\s+(\d+) kB", f.read(),
                                    re.M).group(1)) // 1024
        finally:
            agent.finish()
        report = shim_report(res, agent, report_path, tmp,
                             "vaccel-shim-opencv")
        print(res.out, end="")
        # what OpenCV would have made (108 MB) was never allocated
        if hwm is None or hwm >= 100:
            raise Fail("the agent's peak RSS is %s MiB: the refused "
                       "output was allocated" % hwm)
        if res.out != local.out:
            raise Fail("the results differ with the shim:\n  local: %r\n"
                       "  shim:  %r" % (local.out, res.out))
        rs = cv_symbols(report).get("resize", "")
        got = (report.get(rs, "offloaded"), report.get(rs, "failed"))
        if got != (1, 1):
            raise Fail("resize offloaded=%d failed=%d: want 1 and 1 (the "
                       "small output made on the host, the large refused)"
                       % got)
        if "bytes its backend needed exceed the client's memory limit" \
                not in agent.log_text():
            raise Fail("the agent's log does not say why:\n"
                       + tail(agent.log))
        log("the 108 MB output was refused by the host and made locally "
            "(agent peak RSS %d MiB)" % hwm)
        return
    elif mode == "agent-down":
        env = cv_env("unix://" + os.path.join(tmp, "none.sock"),
                     report_path)
        res = run(tmp, "shim", [PY, script, CV_DATA, shimmed], env)
        expect_ok(res, "shim", tmp)
        report = Report(report_path, "vaccel-shim-opencv")
        report.show()
        if report.total.get("offloaded", 0) or \
                not report.total.get("local", 0):
            raise Fail("with no agent every call runs locally: %s"
                       % report.total)
        if "no vAccel session" not in res.err:
            raise Fail("the shim did not say why calls ran locally:\n"
                       + res.err[-2000:])
    else:
        agent = Agent(tmp)
        agent.plugins = CFG.opencv
        # its debug log says what resources it was sent
        agent.extra_args.append("-vv")
        agent.start()
        env = cv_env(agent.url, report_path,
                     None if mode == "defaults" else "0")
        cmd = [PY, script, CV_DATA, shimmed]
        if mode == "internal":
            # the cascade runs locally; its pyramid's resizes are OpenCV's
            env["VACCEL_SHIM_OPENCV_CLASSES"] = "imgproc"
            cmd.append("cascade-only")
            expect_ok(run(tmp, "plain2", [PY, script, CV_DATA, plain,
                                          "cascade-only"], local_env()),
                      "plain2", tmp)
        try:
            res = run(tmp, "shim", cmd, env)
        finally:
            agent.finish()
        report = shim_report(res, agent, report_path, tmp,
                             "vaccel-shim-opencv")
        report.need_no_failed()
        syms = cv_symbols(report)
        uploads = len(re.findall(r"resource \d+: 1 file", agent.log_text()))
        if mode == "internal":
            det = syms.get("CascadeClassifier::detectMultiScale", "")
            rs = syms.get("resize", "")
            if report.get(det, "local") != 2 or \
                    report.get(det, "offloaded"):
                raise Fail("with objdetect off the detections run "
                           "locally: %s" % report.fns.get(det))
            if report.get(rs, "offloaded") != 1 or \
                    report.get(rs, "local") < 1:
                raise Fail("the program's own resize is offloaded and "
                           "the cascade's (OpenCV's) stay local: %s"
                           % report.fns.get(rs))
            if uploads:
                raise Fail("the cascade went to the agent although "
                           "nothing used it there")
            log("resize: the program's offloaded, %d of OpenCV's own "
                "local" % report.get(rs, "local"))
        elif mode == "offload":
            if uploads != 1:
                raise Fail("the cascade went to the agent %d times for two "
                           "detections with one object" % uploads)
            funcs = [f for f in cv_funcs() if f not in CV_NOT_IN_CV2]
            missing = [f for f in funcs if f not in syms]
            if missing:
                raise Fail("not caught: " + ", ".join(missing))
            report.need_offloaded([syms[f] for f in funcs])
        else:
            # 512 x 512 x 3 baboon blurred: worth it; threshold of a gray
            # 480 x 512 (2 flops a pixel): not
            if report.get(syms.get("GaussianBlur", ""), "offloaded") < 1:
                raise Fail("GaussianBlur of a 512 x 512 color image was "
                           "not offloaded with the defaults")
            if report.get(syms.get("threshold", ""), "local") < 1:
                raise Fail("threshold of a small gray image was "
                           "offloaded with the defaults")
    cv_compare(tmp, plain, shimmed)


TESTS = {
    "blat": test_blat,
    "numpy-matmul": test_numpy_matmul,
    "numpy-linalg": test_numpy_linalg,
    "c-prog": test_c_prog,
    "agent-kill": test_agent_kill,
    "fallback-fail": test_fallback_fail,
    "ctypes": test_ctypes,
    "numpy-threads": test_numpy_threads,
    "exit-paths": test_exit_paths,
    "aliasing": test_aliasing,
    "lapack-query": test_lapack_query,
    "host-xerbla": test_host_xerbla,
    "host-workspace": test_host_workspace,
    "gap-writeback": test_gap_writeback,
    "dot-memory": test_dot_memory,
    "pytest": test_pytest,
    "alloc": test_alloc,
    "heap-late": test_heap_late,
    "opencv": test_opencv,
    "opencv-prog": test_opencv_prog,
    "opencv-native": test_opencv_native,
    "opencv-images": test_opencv_images,
}


def all_tests():
    """(meson test name, runner arguments[, meson suite]) of every
    test."""
    out = []
    for level in (1, 2, 3):
        for p in PRECISIONS:
            t = "xblat%d%s" % (level, p)
            out.append((t, ["blat", t]))
    for level in (1, 2, 3):
        for p in PRECISIONS:
            t = "x%scblat%d" % (p, level)
            out.append((t, ["blat", t]))
    for dtype in NUMPY_DTYPES:
        out.append(("numpy-matmul-" + dtype, ["numpy-matmul", dtype]))
    out.append(("numpy-linalg", ["numpy-linalg"]))
    out.append(("c-prog", ["c-prog"]))
    out.append(("agent-kill-pause", ["agent-kill", "pause"]))
    out.append(("agent-kill-inflight", ["agent-kill", "inflight"]))
    out.append(("fallback-fail", ["fallback-fail"]))
    out.append(("ctypes-dlsym", ["ctypes"]))
    out.append(("numpy-threads", ["numpy-threads"]))
    out.append(("exit-paths", ["exit-paths"]))
    out.append(("aliasing", ["aliasing"]))
    out.append(("lapack-query", ["lapack-query"]))
    out.append(("host-xerbla", ["host-xerbla"]))
    out.append(("host-workspace", ["host-workspace"]))
    for way in ("inline", "memfd"):
        out.append(("gap-writeback-" + way, ["gap-writeback", way]))
    out.append(("dot-memory", ["dot-memory"]))
    out.append(("alloc", ["alloc"]))
    out.append(("heap-late", ["heap-late"]))
    for mode in ("offload", "defaults", "agent-down", "internal", "version",
                 "budget"):
        out.append(("opencv-cv2-" + mode, ["opencv", mode]))
    out.append(("opencv-prog", ["opencv-prog"]))
    for where in ("inproc", "remote"):
        out.append(("opencv-native-" + where, ["opencv-native", where]))
        out.append(("opencv-images-" + where, ["opencv-images", where]))
    # numpy's and scipy's own suites; a third field names a meson suite
    # other than 'shim' (shim-full: too slow for the default run).
    for setting in PYTEST_SETTINGS:
        for set_name in PYTEST_SETS:
            t = ("pytest-%s-%s" % (set_name, setting),
                 ["pytest", "%s:%s" % (set_name, setting)])
            out.append(t + ("shim-full",) if set_name.endswith("-full")
                       else t)
    return out


def main(argv):
    if len(argv) >= 2 and argv[1] == "--list":
        for name, args, *suite in all_tests():
            print("|".join([name, " ".join(args)] + suite))
        return 0
    if len(argv) < 2 or argv[1] not in TESTS or len(argv) > 3:
        print(__doc__, file=sys.stderr)
        print("tests: " + " ".join(sorted(TESTS)), file=sys.stderr)
        return 2
    test, arg = argv[1], argv[2] if len(argv) == 3 else None
    tmp = tempfile.mkdtemp(prefix="vaccel-shim-")
    ok = False
    try:
        TESTS[test](tmp, arg)
        ok = True
    except Skip as e:
        print("SKIP: %s" % e, flush=True)
        shutil.rmtree(tmp, ignore_errors=True)
        return SKIP
    except Fail as e:
        print("FAIL: %s" % e, flush=True)
        if os.listdir(tmp):
            print("(files kept in %s)" % tmp, flush=True)
        else:
            os.rmdir(tmp)
        return 1
    finally:
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
    print("PASS", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
