# SPDX-License-Identifier: Apache-2.0
"""Every LAPACK routine of lapack.spec that has a workspace query, called
through ctypes as scipy's *_lwork wrappers call it: the query value (-1)
in every workspace length, and a one-element dummy for every array, each
dummy the last element before a PROT_NONE guard page. Prints what the
spec's `query writes=` names (each array's first element) for each
routine, so that a run under the shim can be compared with a plain one.
Reading or writing past a dummy is a SIGSEGV.

    lapack_query.py CODEGEN_DIR SPEC_DIR
"""
import ctypes
import mmap
import os
import struct
import sys

ESIZE = {"f32": 4, "f64": 8, "c64": 8, "c128": 16, "i32": 4}
FMT = {"f32": "f", "f64": "d", "c64": "ff", "c128": "dd", "i32": "i"}
PROT_NONE, PROT_RW = 0, 3
MAP_PRIVATE_ANON = 0x22

libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                      ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]


def guarded(nbytes):
    """Address of nbytes that end where a PROT_NONE page begins."""
    page = mmap.PAGESIZE
    p = libc.mmap(None, 2 * page, PROT_RW, MAP_PRIVATE_ANON, -1, 0)
    if p in (None, ctypes.c_void_p(-1).value):
        raise OSError(ctypes.get_errno(), "mmap")
    if libc.mprotect(p + page, page, PROT_NONE):
        raise OSError(ctypes.get_errno(), "mprotect")
    return p + page - nbytes


# Scalars of a query call: every routine's dimensions 40 (the array
# dummies are far smaller than what these sizes would need).
def scalar(routine, name, t):
    if name == "jobz":
        return b"V" if routine in ("syevd", "heevd") else b"A"
    if name == "uplo":
        return b"L"
    if t == "i32":
        return -1 if name.startswith("l") and "work" in name else 40
    return -1.0  # rcond: machine precision


def main(argv):
    sys.path.insert(0, argv[1])
    import family_blas
    import interposer
    api = interposer.parse_api([os.path.join(argv[2], "lapack.spec")])
    lib = ctypes.CDLL("liblapack.so.3")
    calls = 0
    for f in family_blas.api_funcs(api):
        r = f.r
        if f.spelling != "fortran" or not r.query:
            continue
        args, lens, ptrs = [], [], {}
        for a in r.args:
            t = f.wtype(a.type)
            if a.kind != "scalar":
                ptrs[a.name] = (guarded(ESIZE[t]), t)
                # NaN-free filler: what a caller's dummy might hold
                ctypes.memset(ptrs[a.name][0], 0, ESIZE[t])
                args.append(ctypes.c_void_p(ptrs[a.name][0]))
                continue
            v = scalar(r.name, a.name, t)
            if a.type in family_blas.LETTER_TYPES:
                cv = ctypes.c_char(v)
                lens.append(ctypes.c_size_t(1))
            elif t == "i32":
                cv = ctypes.c_int(v)
            elif t == "f32":
                cv = ctypes.c_float(v)
            else:
                cv = ctypes.c_double(v)
            args.append(ctypes.byref(cv))
            ptrs.setdefault("_hold", []).append(cv)
        getattr(lib, f.symbol).restype = None
        getattr(lib, f.symbol)(*(args + lens))
        out = []
        for w in r.query[1]:
            p, t = ptrs[w]
            v = struct.unpack(FMT[t], ctypes.string_at(p, ESIZE[t]))
            out.append("%s=%s" % (w, ",".join(repr(x) for x in v)))
        print("%s %s" % (f.symbol, " ".join(out)))
        calls += 1
    print("calls %d" % calls)
    return 0 if calls else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
