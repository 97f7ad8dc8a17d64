#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The real VM test: a QEMU guest whose shimmed BLAS reaches the host's
agent through the virtio transport.

  vm_test.py [CACHE_DIR]

The guest is a Debian kernel (the package linux-image-amd64 depends on,
fetched with apt-get download into CACHE_DIR once and booted uncompressed)
and an initramfs built here: busybox-static, the virtio and vsock modules,
and the host's own files at their own paths (the netlib tester xblat3d,
the shim, libvaccel, the rpc plugin, the agent, the openblas plugin and
every library they load), so that nothing but this machine is involved.

In the guest:
  1. xblat3d under LD_PRELOAD, VACCEL_RPC_ADDRESS=virtio://vaccel.0, to the
     agent on the host (QEMU joins the port to the agent's socket): every
     routine PASSES, the same PASS lines as the tester alone on the host,
     and the shim's report shows every routine offloaded, none failed;
  2. twice more, the second run killed mid-way: the conversation restarts
     on the same port (the host sees no close), and the third run passes;
  3. the integration suites (itest-conformance, itest-e2e) over the
     virtio transport, on a second port (vaccel.1) joined to a second host
     agent that serves the noop pattern plugin (ITEST_AGENT_URL): every
     test that can run against an agent the guest did not start, over a
     port that carries one connection at a time, PASSES; the rest skip
     with their reason, and the set that must pass is fixed here
     (ITEST_MUST_PASS), so that a new skip fails the test;
  4. where the guest kernel offers vsock loopback, an agent and the shimmed
     C program both in the guest over vsock://1:PORT, the report proving
     offload; else the vsock part says why it did not run.

Exit status: 0 pass, 1 fail, 77 skip (no QEMU, no kernel to be had), with
the reason printed. Paths come from the environment as for shim_test.py;
VACCEL_VM_ACCEL picks the accelerator (default tcg: /dev/kvm on these
machines cannot run a stock kernel), VACCEL_VM_TIMEOUT the guest's time
limit in seconds (default 600).
"""

import glob
import lzma
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "shim"))
import shim_test  # noqa: E402
from shim_test import CFG, Fail, Skip, log  # noqa: E402

TESTER = "xblat3d"
PORT_NAME = "vaccel.0"
ITEST_PORT = "vaccel.1"
VSOCK_PORT = 5000
MODULES = ["virtio_pci", "virtio_console", "vsock_loopback"]
# MiB of the conformance suite's big inout buffer in the guest (1 GiB on
# the host; the guest has 1 GiB of memory in all)
ITEST_BIG_MIB = 64
# The integration tests that run in the guest. The others need an agent
# of their own (other arguments, a restart or a kill, its log), child
# processes or a second raw connection beside the rpc plugin's (the port
# opens once at a time), or another transport; they run on the host over
# every transport, virtio's socket included.
ITEST_MUST_PASS = {
    "conformance": [
        "every_op_through_op_call", "native_wrappers",
        "file_resource_with_two_sessions", "big_inout_buffer",
        "shared_stream_answers_as_calls_finish",
        "version_mismatch_is_refused_by_name",
        "signature_mismatch_names_the_op", "unknown_op_is_not_supported",
        "overwritten_inout_travels_back_only",
    ],
    "e2e": ["threads_share_sessions", "corpus_has_the_hand_made_frames"],
}
# their binaries, by suite, the plugin the second agent serves and the
# fuzz corpus (meson passes them; where the suites are not built the VM
# test says so and runs the rest)
CFG_ITEST = {suite: os.environ["VM_ITEST_" + suite.upper()]
             for suite in ITEST_MUST_PASS
             if os.environ.get("VM_ITEST_" + suite.upper())}
CFG_ITEST_NOOP = os.environ.get("VM_ITEST_NOOP_PLUGIN", "")
CFG_ITEST_CORPUS = os.environ.get("VM_ITEST_CORPUS_DIR", "")


# ---- the kernel -------------------------------------------------------------


def kernel_package():
    out = subprocess.run(["apt-cache", "depends", "linux-image-amd64"],
                         capture_output=True, text=True)
    m = re.search(r"Depends:\s*(linux-image-\S+)", out.stdout)
    if not m:
        raise Skip("apt-cache cannot name the kernel package of "
                   "linux-image-amd64: %s" % out.stderr.strip())
    return m.group(1)


def fetch_kernel(cache):
    """(vmlinux, modules dir) of the Debian kernel, fetched and unpacked
    into cache once."""
    pkg = kernel_package()
    root = os.path.join(cache, pkg)
    vmlinux = os.path.join(root, "vmlinux")
    if os.path.exists(vmlinux):
        return vmlinux, glob.glob(os.path.join(root, "lib/modules/*"))[0]
    os.makedirs(cache, exist_ok=True)
    for old in glob.glob(os.path.join(cache, "*.deb")):
        os.unlink(old)
    log("fetching %s into %s" % (pkg, cache))
    r = subprocess.run(["apt-get", "download", pkg], cwd=cache,
                       capture_output=True, text=True)
    debs = glob.glob(os.path.join(cache, pkg + "_*.deb"))
    if r.returncode != 0 or not debs:
        raise Skip("cannot fetch the kernel %s: %s" % (
            pkg, (r.stderr or r.stdout).strip()[-400:]))
    tmp = root + ".part"
    shutil.rmtree(tmp, ignore_errors=True)
    subprocess.run(["dpkg-deb", "-x", debs[0], tmp], check=True)
    os.unlink(debs[0])
    vmlinuz = glob.glob(os.path.join(tmp, "boot/vmlinuz-*"))[0]
    with open(vmlinuz, "rb") as f:
        image = f.read()
    # The bzImage's payload, uncompressed: an ELF QEMU boots directly
    # (PVH), without the slow decompression under emulation.
    at = image.find(b"\xfd7zXZ\x00")
    if at < 0:
        raise Fail("%s: no xz payload found" % vmlinuz)
    elf = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(
        image[at:])
    if not elf.startswith(b"\x7fELF"):
        raise Fail("%s: the payload is not an ELF image" % vmlinuz)
    with open(os.path.join(tmp, "vmlinux"), "wb") as f:
        f.write(elf)
    os.rename(tmp, root)
    return vmlinux, glob.glob(os.path.join(root, "lib/modules/*"))[0]


def module_order(moddir, names):
    """The .ko files (relative to moddir) to insmod for names, their
    dependencies first, from each module's own depends= (the package has
    no modules.dep: depmod makes it at install)."""
    paths = {}
    for root, _, files in os.walk(moddir):
        for f in files:
            if f.endswith(".ko"):
                paths[f[:-3].replace("-", "_")] = os.path.relpath(
                    os.path.join(root, f), moddir)
    order = []

    def depends(name):
        with open(os.path.join(moddir, paths[name]), "rb") as f:
            m = re.search(rb"\0depends=([^\0]*)\0", f.read())
        return [d.decode().replace("-", "_")
                for d in (m.group(1).split(b",") if m else []) if d]

    def visit(name):
        if name not in paths or paths[name] in order:
            return
        for d in depends(name):
            visit(d)
        order.append(paths[name])

    for n in names:
        visit(n)
    return order


# ---- the initramfs ----------------------------------------------------------


class Cpio:
    """A newc archive, written as it is built."""

    def __init__(self, path):
        self.f = open(path, "wb")
        self.ino = 1
        self.seen = set()

    def _entry(self, name, mode, data=b"", nlink=1):
        name = name.lstrip("/")
        hdr = "070701" + "".join("%08x" % v for v in (
            self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0,
            len(name) + 1, 0))
        self.ino += 1
        raw = hdr.encode() + name.encode() + b"\0"
        raw += b"\0" * (-len(raw) % 4)
        self.f.write(raw + data + b"\0" * (-len(data) % 4))

    def dir(self, path):
        parts = path.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d and d not in self.seen:
                self.seen.add(d)
                self._entry(d, stat.S_IFDIR | 0o755, nlink=2)

    def file(self, path, data, mode=0o755):
        if path.strip("/") in self.seen:
            return
        self.dir(os.path.dirname(path))
        self.seen.add(path.strip("/"))
        self._entry(path, stat.S_IFREG | mode, data)

    def copy(self, src, dst=None):
        with open(src, "rb") as f:
            self.file(dst or src, f.read(),
                      stat.S_IMODE(os.stat(src).st_mode) | 0o400)

    def close(self):
        self._entry("TRAILER!!!", 0)
        self.f.close()


def libs_of(path):
    """The shared objects path loads, as the loader names them."""
    out = subprocess.run(["ldd", path], capture_output=True, text=True)
    found = []
    for line in out.stdout.splitlines():
        m = re.search(r"=>\s*(/\S+)", line) or re.match(r"\s*(/\S+)", line)
        if m:
            found.append(os.path.normpath(m.group(1)))
    return found


def add_with_libs(cpio, paths):
    pending = list(paths)
    while pending:
        p = os.path.normpath(pending.pop())
        if p.strip("/") in cpio.seen:
            continue
        cpio.copy(os.path.realpath(p), p)
        pending.extend(libs_of(p))


GUEST_INIT = r"""#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
# POSIX shared memory (Criterion's arenas, shm_open)
mkdir -p /dev/shm && mount -t tmpfs shm /dev/shm
# no tmpfs over /tmp: the host's files may live there (a build in /tmp)
mkdir -p /tmp /vmtest/work
ip link set lo up 2>/dev/null
for m in $(cat /vmtest/modules); do
	insmod "$m" 2>/dev/null || echo "VMTEST insmod failed: $m"
done
echo "VMTEST kernel $(uname -r)"
sh /vmtest/run.sh
echo "VMTEST done"
poweroff -f
"""


def section(name, path):
    return ('echo "VMTEST-BEGIN %s"; cat %s 2>&1; echo; '
            'echo "VMTEST-END %s"\n' % (name, path, name))


def guest_script(in_name, summary):
    rpc = CFG.rpc
    shim = CFG.shim_blas
    env = ("OPENBLAS_NUM_THREADS=1 VACCEL_PLUGINS=%s "
           "VACCEL_SHIM_MIN_FLOPS=0 VACCEL_SHIM_LEVELS=all" % rpc)
    exe = shim_test.tester_path(TESTER)
    s = "cd /vmtest/work\ncp /vmtest/%s .\n" % in_name
    # 1. the tester over virtio
    s += ("env %s LD_PRELOAD=%s VACCEL_RPC_ADDRESS=virtio://%s "
          "VACCEL_SHIM_REPORT=/vmtest/work/report1 %s < %s > /vmtest/work/out1 2>&1\n"
          % (env, shim, PORT_NAME, exe, in_name))
    s += 'echo "VMTEST rc1 $?"\n'
    s += section("out1", "/vmtest/work/out1") + section("summary1", summary)
    s += section("report1", "/vmtest/work/report1")
    # 2. killed mid-way, then a whole run: the conversation restarts
    s += ("rm -f %s; env %s LD_PRELOAD=%s VACCEL_RPC_ADDRESS=virtio://%s "
          "%s < %s > /vmtest/work/out2 2>&1 &\n"
          % (summary, env, shim, PORT_NAME, exe, in_name))
    s += "sleep 2; kill -9 $! 2>/dev/null; wait\n"
    s += ("rm -f %s; env %s LD_PRELOAD=%s VACCEL_RPC_ADDRESS=virtio://%s "
          "VACCEL_SHIM_REPORT=/vmtest/work/report3 %s < %s > /vmtest/work/out3 2>&1\n"
          % (summary, env, shim, PORT_NAME, exe, in_name))
    s += 'echo "VMTEST rc3 $?"\n'
    s += section("out3", "/vmtest/work/out3") + section("summary3", summary)
    s += section("report3", "/vmtest/work/report3")
    # 3. the integration suites against the second port's agent
    for suite in sorted(CFG_ITEST):
        out = "/vmtest/work/itest-%s" % suite
        s += ("env ITEST_TRANSPORT=virtio ITEST_AGENT_URL=virtio://%s "
              "ITEST_BIG_MIB=%d RPC_PLUGIN=%s NOOP_PLUGIN=%s "
              "VACCEL_AGENT=%s ITEST_CORPUS_DIR=%s ITEST_SANITIZED=0 "
              "%s --verbose -j1 > %s 2>&1\n"
              % (ITEST_PORT, ITEST_BIG_MIB, rpc, CFG_ITEST_NOOP, CFG.agent,
                 CFG_ITEST_CORPUS, CFG_ITEST[suite], out))
        s += 'echo "VMTEST itest-%s $?"\n' % suite
        s += section("itest_" + suite, out)
    # 4. vsock loopback, agent and program both in the guest
    s += ("if [ -d /sys/module/vsock_loopback ]; then\n"
          "  OPENBLAS_NUM_THREADS=1 %s -a vsock://4294967295:%d "
          "--plugins %s > /vmtest/work/agent.log 2>&1 &\n"
          "  apid=$!\n"
          "  for i in $(seq 100); do grep -q ready /vmtest/work/agent.log && "
          "break; sleep 0.1; done\n"
          "  env %s LD_PRELOAD=%s VACCEL_RPC_ADDRESS=vsock://1:%d "
          "VACCEL_SHIM_REPORT=/vmtest/work/report4 %s -n 64 -i 3 > /vmtest/work/out4 2>&1\n"
          "  echo \"VMTEST rc4 $?\"\n"
          "  kill $apid; wait $apid\n"
          "  %s%s%s"
          "else\n"
          "  echo \"VMTEST novsock: the guest kernel has no vsock "
          "loopback (vsock_loopback did not load)\"\n"
          "fi\n"
          % (CFG.agent, VSOCK_PORT, CFG.agent_plugins(), env, shim,
             VSOCK_PORT,
             CFG.prog, section("out4", "/vmtest/work/out4"),
             section("report4", "/vmtest/work/report4"),
             section("agent4", "/vmtest/work/agent.log")))
    return s


def build_initramfs(path, moddir, in_src, summary):
    busybox = shutil.which("busybox") or "/bin/busybox"
    out = subprocess.run(["file", "-L", busybox], capture_output=True,
                         text=True).stdout if shutil.which("file") else ""
    if not os.path.exists(busybox) or "dynamically" in out:
        raise Skip("no static busybox (Debian package busybox-static)")
    cpio = Cpio(path)
    cpio.copy(busybox, "/bin/busybox")
    cpio.file("/init", GUEST_INIT.encode())
    mods = module_order(moddir, MODULES)
    for m in mods:
        cpio.copy(os.path.join(moddir, m), "/vmtest/mod/" + m)
    cpio.file("/vmtest/modules", "".join(
        "/vmtest/mod/%s\n" % m for m in mods).encode(), 0o644)
    cpio.copy(in_src, "/vmtest/" + os.path.basename(in_src))
    cpio.file("/vmtest/run.sh", guest_script(os.path.basename(in_src),
                                             summary).encode())
    add_with_libs(cpio, [shim_test.tester_path(TESTER), CFG.shim_blas,
                         CFG.rpc, CFG.agent, CFG.prog] +
                  CFG.agent_plugins().split(":") + list(CFG_ITEST.values()))
    if CFG_ITEST:
        for f in sorted(os.listdir(CFG_ITEST_CORPUS)):
            cpio.copy(os.path.join(CFG_ITEST_CORPUS, f))
    cpio.close()
    return [os.path.basename(m)[:-3] for m in mods]


# ---- the run ------------------------------------------------------------------


class VirtioAgent(shim_test.Agent):
    """The host's agent where QEMU joins the port: virtio:///DIR/agent.sock,
    logging each conversation's end (-v), serving `plugins` (default: the
    shim's)."""

    def __init__(self, tmp, plugins=None):
        super().__init__(tmp)
        self.url = "virtio://" + self.sock
        self.extra_args = ["-v"]
        if plugins:
            self.plugins = plugins


def check_itest(secs, text, suite):
    """The guest's run of an integration suite: exit 0, every test of
    ITEST_MUST_PASS passed, nothing failed; the skips are listed."""
    out = secs.get("itest_" + suite, "")
    m = re.search(r"VMTEST itest-%s (\d+)" % suite, text)
    results = {name: res for res, name in re.findall(
        r"^\[(PASS|SKIP|FAIL)\] %s::(\w+)" % suite, out, re.M)}
    bad = [n for n, r in results.items() if r == "FAIL"]
    missing = [n for n in ITEST_MUST_PASS[suite] if results.get(n) != "PASS"]
    if not m or m.group(1) != "0" or bad or missing:
        raise Fail("itest-%s in the guest exited %s; failed: %s; not "
                   "passed: %s:\n%s" % (
                       suite, m.group(1) if m else "(no status)",
                       " ".join(bad) or "none", " ".join(missing) or "none",
                       out[-4000:]))
    for line in re.findall(r"^\[----\] (shared stream .*)$", out, re.M):
        log("itest-%s in the guest: %s" % (suite, line))
    for name, why in re.findall(r"^\[SKIP\] %s::(\w+): (.*)$" % suite, out,
                                re.M):
        log("itest-%s in the guest: %s skipped: %s" % (suite, name, why))
    log("itest-%s in the guest over virtio://%s: %d tests passed" % (
        suite, ITEST_PORT, sum(r == "PASS" for r in results.values())))


def sections(text):
    found = {}
    for m in re.finditer(r"VMTEST-BEGIN (\w+)\n(.*?)\nVMTEST-END \1",
                         text, re.S):
        found[m.group(1)] = m.group(2)
    return found


def check_run(tmp, secs, n, base_text, in_path, name):
    """Run n's output, summary and report: all PASS, the same PASS lines
    as without the shim, every routine offloaded, none failed."""
    text = secs.get("out%d" % n, "") + secs.get("summary%d" % n, "")
    routines = shim_test.check_tester_output(text, name, False, 3, in_path)
    want, got = shim_test.passed_lines(base_text), shim_test.passed_lines(
        text)
    if want != got:
        raise Fail("%s prints other PASS lines in the VM than on the host "
                   "without the shim:\n%s" % (name, "\n".join(
                       sorted(set(want) ^ set(got)))))
    rpath = os.path.join(tmp, "report%d" % n)
    with open(rpath, "w") as f:
        f.write(secs.get("report%d" % n, ""))
    report = shim_test.Report(rpath)
    report.show()
    report.need_present()
    report.need_offloaded(shim_test.routine_symbols(routines, False, report))
    report.need_no_failed()
    log("%s: all %d routines PASSED in the guest over virtio" % (
        name, len(routines)))


def main(argv):
    cache = argv[1] if len(argv) > 1 else os.path.join(
        tempfile.gettempdir(), "vaccel-vm-cache")
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        raise Skip("qemu-system-x86_64 not found (Debian package "
                   "qemu-system-x86)")
    CFG.need_base(ffi=False)
    CFG.need_file(CFG.prog, "shim-blas-prog")
    if CFG.sanitized:
        raise Skip("a sanitized build's binaries need their sanitizer "
                   "runtime set up in the guest; the VM test runs on the "
                   "plain build")
    exe = shim_test.tester_path(TESTER)
    in_src = shim_test.tester_input(False, 3, "d")
    with open(in_src) as f:
        summary = re.match(r"\s*'([^']+)'", f.readline()).group(1)
    vmlinux, moddir = fetch_kernel(cache)
    tmp = tempfile.mkdtemp(prefix="vaccel-vm.")
    agent = itest_agent = None
    try:
        initrd = os.path.join(tmp, "initrd.cpio")
        mods = build_initramfs(initrd, moddir, in_src, summary)
        log("initramfs %s: %.1f MiB, modules %s" % (
            initrd, os.path.getsize(initrd) / 2**20, " ".join(mods)))

        # the baseline: the tester alone, on the host
        base_dir = os.path.join(tmp, "local")
        os.mkdir(base_dir)
        in_path = os.path.join(base_dir, os.path.basename(in_src))
        shutil.copy(in_src, in_path)
        base = shim_test.run(tmp, "local", [exe], shim_test.local_env(),
                             stdin_path=in_path, cwd=base_dir)
        shim_test.expect_ok(base, "local", tmp)
        base_text = shim_test.tester_output(base_dir, base, in_path)

        agent = VirtioAgent(tmp).start()
        if CFG_ITEST:
            itest_dir = os.path.join(tmp, "itest")
            os.mkdir(itest_dir, 0o700)
            itest_agent = VirtioAgent(itest_dir, CFG_ITEST_NOOP).start()
        else:
            log("the integration suites are not built (Criterion): the "
                "guest does not run them")
        accel = os.environ.get("VACCEL_VM_ACCEL", "tcg")
        limit = float(os.environ.get("VACCEL_VM_TIMEOUT", "600"))
        console = os.path.join(tmp, "console.log")
        cmd = [qemu, "-accel", accel, "-cpu", "max", "-m", "1024", "-smp", "1",
               "-nographic", "-no-reboot", "-nodefaults", "-serial",
               "stdio", "-kernel", vmlinux, "-initrd", initrd, "-append",
               "console=ttyS0 quiet panic=-1",
               "-device", "virtio-serial-pci",
               "-chardev", "socket,id=vaccel,path=" + agent.sock,
               "-device", "virtserialport,chardev=vaccel,name=" + PORT_NAME]
        if itest_agent:
            cmd += ["-chardev", "socket,id=itest,path=" + itest_agent.sock,
                    "-device",
                    "virtserialport,chardev=itest,name=" + ITEST_PORT]
        log("qemu: " + " ".join(cmd))
        t0 = time.monotonic()
        with open(console, "wb") as out:
            try:
                rc = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT,
                                    timeout=limit).returncode
            except subprocess.TimeoutExpired:
                raise Fail("the guest did not finish within %.0f s:\n%s" % (
                    limit, shim_test.tail(console, 60)))
        secs_taken = time.monotonic() - t0
        with open(console, errors="replace") as f:
            text = f.read().replace("\r\n", "\n").replace("\r", "")
        if "VMTEST kernel" not in text:
            if rc != 0:
                raise Skip("QEMU cannot start a guest here (%s, exit %d):"
                           "\n%s" % (accel, rc, shim_test.tail(console)))
            raise Fail("the guest never ran its init:\n" +
                       shim_test.tail(console, 60))
        if "VMTEST done" not in text:
            raise Fail("the guest stopped before its end:\n" +
                       shim_test.tail(console, 80))
        log("guest: %s, %.1f s from QEMU's start to power-off (%s)" % (
            re.search(r"VMTEST kernel (\S+)", text).group(1), secs_taken,
            accel))
        for line in re.findall(r"^VMTEST insmod failed: .*$", text, re.M):
            log(line)
        secs = sections(text)
        for n in (1, 3):
            m = re.search(r"VMTEST rc%d (\d+)" % n, text)
            if not m or m.group(1) != "0":
                raise Fail("run %d of %s in the guest exited %s:\n%s" % (
                    n, TESTER, m.group(1) if m else "(no status)",
                    secs.get("out%d" % n, "")[-3000:]))
            check_run(tmp, secs, n, base_text, in_path,
                      "%s (guest run %d)" % (TESTER, n))
        for suite in sorted(CFG_ITEST):
            check_itest(secs, text, suite)
        if itest_agent:
            itest_agent.stop()
        agent.stop()
        # run 2 began after run 1's end, run 3 after run 2's death: the
        # agent saw both only through the conversation-start marker
        ends = agent.log_text().count("conversation ended")
        if ends < 2:
            raise Fail("the agent saw %d conversation(s) end on the port, "
                       "want 2:\n%s" % (ends, shim_test.tail(agent.log)))
        log("the agent restarted the conversation on the port %d times" %
            ends)
        m = re.search(r"VMTEST novsock: (.*)", text)
        if m:
            log("vsock in the guest: skipped: " + m.group(1))
        else:
            m = re.search(r"VMTEST rc4 (\d+)", text)
            if not m or m.group(1) != "0":
                raise Fail("the shimmed program over vsock in the guest "
                           "exited %s:\n%s\nagent:\n%s" % (
                               m.group(1) if m else "(no status)",
                               secs.get("out4", "")[-2000:],
                               secs.get("agent4", "")[-2000:]))
            rpath = os.path.join(tmp, "report4")
            with open(rpath, "w") as f:
                f.write(secs.get("report4", ""))
            report = shim_test.Report(rpath)
            report.show()
            report.need_present()
            report.need_offloaded(["cblas_dgemm", "dgemm_"])
            report.need_no_failed()
            log("vsock in the guest: the shimmed program offloaded over "
                "vsock://1:%d" % VSOCK_PORT)
    finally:
        for a in (agent, itest_agent):
            if a:
                a.abandon()
        if os.environ.get("VACCEL_VM_KEEP") != "1":
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            log("kept " + tmp)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Skip as e:
        print("SKIP: %s" % e)
        sys.exit(77)
    except Fail as e:
        print("FAIL: %s" % e)
        sys.exit(1)
