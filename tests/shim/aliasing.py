# SPDX-License-Identifier: Apache-2.0
"""Every level 1 and 2 Fortran BLAS routine of the specs, called through
ctypes with aliased arguments, printing a digest of every array and the
return value after each call: run once plainly and once under the shim,
and the two outputs must be the same line for line.

    aliasing.py CODEGEN_DIR SPEC_DIR

Two layouts per routine, for its vector arguments (size vec(n, inc)):
  interleaved  the vectors are rows of one column-major matrix: vector k
               starts at element k of one buffer, every inc is the number
               of vectors (LAPACK's use of ?rot and ?swap on two rows)
  same         every vector of the element type is the same array, with
               one inc (dot(v, v); the routine's own aliasing rules
               aside, the result must be the local library's)
Matrices stay apart. Arrays live in mmap'd pages, so the layout is the
same in every run. Routines returning a complex value are called like
the others (gfortran returns it in registers, as a struct of two).
"""
import ast
import ctypes
import hashlib
import mmap
import os
import sys

CTYPE = {"f32": ctypes.c_float, "f64": ctypes.c_double,
         "i32": ctypes.c_int}
ESIZE = {"f32": 4, "f64": 8, "c64": 8, "c128": 16, "i32": 4}


class Complex64(ctypes.Structure):
    _fields_ = [("re", ctypes.c_float), ("im", ctypes.c_float)]


class Complex128(ctypes.Structure):
    _fields_ = [("re", ctypes.c_double), ("im", ctypes.c_double)]


CPLX = {"c64": Complex64, "c128": Complex128}


def vec_of(size):
    """The inc name when the size rule is vec(n, inc) (or chooses one by
    a condition), else None."""
    try:
        t = ast.parse(size, mode="eval").body
    except SyntaxError:
        return None
    for c in ast.walk(t):
        if (isinstance(c, ast.Call) and isinstance(c.func, ast.Name)
                and c.func.id == "vec" and len(c.args) == 2
                and isinstance(c.args[1], ast.Name)):
            return c.args[1].id
    return None


def fill(buf, nbytes, seed):
    """Deterministic values in (-1, 1) whatever the element type: floats
    of either width read from a pattern of small doubles would not be, so
    fill as the narrowest float and read wider types as pairs."""
    vals = (ctypes.c_float * (nbytes // 4)).from_buffer(buf)
    x = seed * 7919 + 1
    for i in range(nbytes // 4):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        vals[i] = (x / 0x7FFFFFFF) * 2.0 - 1.0
    del vals


def main(argv):
    codegen, specdir = argv[1], argv[2]
    sys.path.insert(0, codegen)
    import family_blas
    import vaccel_codegen
    specs = [os.path.join(specdir, s) for s in (
        "blas.spec", "blas-level1.spec", "blas-level2.spec",
        "blas-level3.spec")]
    consts, _, apis, _, _ = vaccel_codegen.load(
        os.path.join(specdir, "ops.spec"), specs)
    lib = ctypes.CDLL("libblas.so.3")
    page = mmap.PAGESIZE
    calls = 0
    for f in family_blas.api_funcs(apis[0]):
        if f.spelling != "fortran" or f.level not in (1, 2) \
                or "op" in f.r.keys:
            continue
        arrays = [a for a in f.r.args if a.kind != "scalar"]
        vecs = [a for a in arrays if vec_of(a.size)]
        if len(vecs) < 2:
            continue
        base = family_blas.vector(f, consts, family_blas.op_id(f))
        if base is None:
            print("%s: no valid call" % f.symbol)
            continue
        for layout in ("interleaved", "same"):
            env = dict(base)
            incs = {vec_of(a.size) for a in vecs}
            for inc in incs:
                env[inc] = len(vecs) if layout == "interleaved" else 2
            sizes = {}
            try:
                if any(family_blas._evaluate(family_blas.lower(
                        f, t, w, False), env) for _, t, w in f.r.checks):
                    print("%s %s: checks refuse the layout" % (
                        f.symbol, layout))
                    continue
                for a in arrays:
                    sizes[a.name] = family_blas._evaluate(family_blas.lower(
                        f, a.size, a.where, False), env)
            except (ArithmeticError, TypeError, ValueError) as e:
                print("%s %s: %s" % (f.symbol, layout, e))
                continue
            es = {a.name: ESIZE[f.wtype(a.type)] for a in arrays}
            # one shared buffer for the vectors, one each for the rest
            shared = max(sizes[a.name] * es[a.name] for a in vecs) + \
                len(vecs) * 16
            regions, ptrs, keep = [], {}, []
            m = mmap.mmap(-1, (shared // page + 2) * page)
            fill(m, len(m), calls)
            regions.append(m)
            addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
            keep.append(addr)
            for k, a in enumerate(vecs):
                off = k * es[a.name] if layout == "interleaved" else 0
                ptrs[a.name] = addr + off
            for a in arrays:
                if a.name in ptrs:
                    continue
                nb = max(1, sizes[a.name]) * es[a.name]
                mm = mmap.mmap(-1, (nb // page + 1) * page)
                fill(mm, len(mm), calls + 1 + len(regions))
                regions.append(mm)
                ptrs[a.name] = ctypes.addressof(
                    ctypes.c_char.from_buffer(mm))
            args, lens, hold = [], [], []
            for a in f.r.args:
                if a.kind != "scalar":
                    args.append(ctypes.c_void_p(ptrs[a.name]))
                    continue
                t = f.wtype(a.type)
                if a.type in family_blas.LETTER_TYPES:
                    v = ctypes.c_char(bytes([env[a.name]]))
                    lens.append(ctypes.c_size_t(1))
                elif t in CPLX:
                    v = CPLX[t](0.5, -0.25)
                elif t == "i32":
                    v = ctypes.c_int(env[a.name])
                else:
                    v = CTYPE[t](0.75)
                hold.append(v)
                args.append(ctypes.byref(v))
            fn = getattr(lib, f.symbol)
            rt = family_blas.ret_type(f)
            fn.restype = CPLX.get(rt) or CTYPE.get(rt) if rt else None
            r = fn(*(args + lens))
            if rt in CPLX:
                r = (r.re, r.im)
            h = hashlib.sha256()
            for mm in regions:
                h.update(mm[:])
            print("%s %s n_arrays=%d ret=%r sha256=%s" % (
                f.symbol, layout, len(arrays), r, h.hexdigest()[:32]))
            calls += 1
            del args, hold
            for mm in regions:
                try:
                    mm.close()
                except BufferError:
                    pass
    print("calls %d" % calls)
    return 0 if calls else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
