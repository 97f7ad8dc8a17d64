#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Read the installed vaccel.h the way vAccel's Python bindings do (CFFI):
preprocess `#include "vaccel.h"` with pkg-config's flags, keep what comes
from the vaccel headers, drop extern and static inline definitions and
deprecated functions, stand `...;` in for atomic members, hand that to
cdef(), compile it in API mode against the installed library, and call it.

  cffi_cdef.py WORKDIR      (PKG_CONFIG_* select the installed copy)

Exits 0 when the cdef parses, the module builds and vaccel_noop answers.
"""
import os
import re
import subprocess
import sys

import cffi

INCLUDE = '#include "vaccel.h"'


def pkg(*args):
    return subprocess.run(["pkg-config", *args, "vaccel"], check=True,
                          capture_output=True, text=True).stdout.split()


def skip_block(text, start):
    """Index just past the {...} block that opens at or after start."""
    i = text.index("{", start)
    depth = 0
    while True:
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1


def sanitize(pre):
    keep, current = [], True
    for line in pre.splitlines():
        m = re.match(r'# \d+ "(.*?)"', line)
        if m:
            current = "vaccel" in os.path.basename(m.group(1)) or \
                "/vaccel/" in m.group(1)
            continue
        if line.startswith("#") or not current:
            continue
        if re.search(r"\bextern\b", line):
            continue
        if re.search(r"\b(_Atomic|atomic_\w+)\b", line):
            line = re.match(r"^(\s*)", line).group(1) + "...;"
        keep.append(line)
    text = "\n".join(keep)
    # static inline definitions (with any attributes before them)
    out, i = [], 0
    pat = re.compile(r"(__attribute__\s*\(\(.*?\)\)\s*)*\bstatic\s+inline\b",
                     re.S)
    while True:
        m = pat.search(text, i)
        if not m:
            out.append(text[i:])
            break
        out.append(text[i:m.start()])
        i = skip_block(text, m.end())
    return "".join(out)


def main():
    work = sys.argv[1]
    cflags = pkg("--cflags")
    pre = subprocess.run([os.environ.get("CC", "cc"), *cflags, "-E", "-"],
                         input=INCLUDE, capture_output=True, text=True,
                         check=True).stdout
    cdef = sanitize(pre)
    with open(os.path.join(work, "vaccel_cdef.h"), "w") as f:
        f.write(cdef)
    ffi = cffi.FFI()
    ffi.cdef(cdef)
    nfun = len(re.findall(r"\bvaccel_\w+\s*\(", cdef))
    print("cdef: %d lines, %d vaccel_* declarations parsed" %
          (cdef.count("\n"), nfun))
    libdirs = [f[2:] for f in pkg("--libs-only-L")]
    ffi.set_source("_vaccel_cffi_check", INCLUDE,
                   include_dirs=[f[2:] for f in cflags if f.startswith("-I")],
                   library_dirs=libdirs, libraries=["vaccel"],
                   runtime_library_dirs=libdirs)
    ffi.compile(tmpdir=work, verbose=False)
    sys.path.insert(0, work)
    from _vaccel_cffi_check import ffi as f2, lib  # noqa: E402
    sess = f2.new("struct vaccel_session *")
    assert lib.vaccel_session_init(sess, 0) == lib.VACCEL_OK
    ret = lib.vaccel_noop(sess)
    assert ret == lib.VACCEL_OK, "vaccel_noop: %d" % ret
    assert lib.vaccel_session_release(sess) == lib.VACCEL_OK
    assert lib.VACCEL_OP_MAX == 27 and lib.VACCEL_TF_UINT64 == 23
    print("cffi: API-mode module built; vaccel_noop through it: OK")


if __name__ == "__main__":
    main()
