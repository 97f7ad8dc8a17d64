# SPDX-License-Identifier: Apache-2.0
"""The ONNX Runtime shim's table sizes against a real library.

    ort_table.py LIB ORTSHIM_C

The shim hands out a copy of ONNX Runtime's OrtApi table of the size the
asked version has (shim/onnxruntime/ortshim.c, table_size[]); a size too
small hands a program a table that ends early. This asks LIB for its
newest API version, finds the table GetApi returns, and counts its
entries: the function pointers the library's relocations fill in from
the table's start, up to the first slot that is none. Passes when
table_size[] has that version and the same count; skips (77) without
the library or readelf.
"""
import ctypes
import os
import re
import shutil
import subprocess
import sys

from inference_test import fail, skip


class ApiBase(ctypes.Structure):
    _fields_ = [("get_api", ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_uint32)),
                ("get_version_string", ctypes.CFUNCTYPE(ctypes.c_char_p))]


def load_base(lib):
    """The library's load address: its first mapping, file offset 0."""
    real = os.path.realpath(lib)
    with open("/proc/self/maps") as maps:
        for line in maps:
            f = line.split()
            if len(f) >= 6 and os.path.realpath(f[5]) == real and \
                    int(f[2], 16) == 0:
                return int(f[0].split("-")[0], 16)
    fail("%s is not mapped" % lib)


def relative_relocs(lib):
    out = subprocess.run(["readelf", "-rW", lib], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    rel = set()
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 3 and f[2] == "R_X86_64_RELATIVE":
            rel.add(int(f[0], 16))
    return rel


def main(lib, source):
    if not os.path.exists(lib):
        skip("no ONNX Runtime library at %s (scripts/setup installs it "
             "from npm, onnxruntime-node)" % lib)
    if not shutil.which("readelf"):
        skip("no readelf (binutils)")
    if os.uname().machine != "x86_64":
        skip("the relocations read are x86-64's")
    text = open(source).read()
    m = re.search(r"table_size\[\]\s*=\s*\{([^}]*)\}", text)
    if not m:
        fail("no table_size[] in " + source)
    sizes = [int(v) for v in m.group(1).replace(",", " ").split()]
    ort = ctypes.CDLL(lib)
    ort.OrtGetApiBase.restype = ctypes.POINTER(ApiBase)
    base = ort.OrtGetApiBase().contents
    version = 0
    # GetApi complains on stderr of each version it lacks: ask upwards
    # from one it has until it has no more
    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(2)
    os.dup2(devnull, 2)
    try:
        while base.get_api(version + 1):
            version += 1
    finally:
        os.dup2(saved, 2)
    table = base.get_api(version)
    offset = table - load_base(lib)
    rel = relative_relocs(lib)
    n = 0
    while offset + 8 * n in rel:
        n += 1
    name = base.get_version_string().decode()
    print("ONNX Runtime %s: API version %d, %d entries" % (name, version, n))
    if version >= len(sizes):
        fail("the shim knows versions up to %d, the library has %d: add "
             "its size (%d) to table_size[]" % (len(sizes) - 1, version, n))
    if sizes[version] != n:
        fail("table_size[%d] is %d, the library's table has %d entries" %
             (version, sizes[version], n))
    print("the shim's table size for version %d is the library's" % version)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: ort_table.py LIB ORTSHIM_C")
    main(sys.argv[1], sys.argv[2])
