#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The generator on the project's specs and on broken ones.

  test_specs.py CODEGEN SPECDIR

The real specs must lint clean. Each broken spec below must make the
generator exit 1 with a message naming the file, the line and what is
wrong, and write nothing.
"""
import os
import subprocess
import sys
import tempfile

HEADER = "api t\nfamily blas\nsoname libt.so\nhost libt.so\n"
CV_HEADER = "api t\nfamily opencv\nsoname libt.so\nversion 4.6\n"

# (name, spec text after HEADER, line the error is on, words it must say
# [, the header in place of HEADER])
BROKEN = [
    ("unknown-name", "routine r id=3000 level=2 flops=n\n"
     "  n scalar int\n  x in T vec(n, incy)\n  incx scalar int\n",
     7, ["incy", "neither"]),
    ("letter-of-non-char", "routine r id=3000 level=2 flops=n\n"
     "  n scalar int\n  check 1 n not in 'NT'\n", 7, ["'n'"]),
    ("bad-key", "routine r id=3000 level=2 flops=n colour=red\n"
     "  n scalar int\n", 5, ["colour=red"]),
    ("id-taken", "routine r id=1416 level=2 flops=n\n  n scalar int\n",
     5, ["1416", "ssymv_"]),
    ("id-retired", "routine r id=1400 level=2 flops=n\n  n scalar int\n",
     5, ["takes id 1400, retired at", "never reused"]),
    ("no-size", "routine r id=3000 level=1 flops=n\n  n scalar int\n"
     "  x in T\n", 7, ["size rule"]),
    ("bad-kind", "routine r id=3000 level=1 flops=n\n  n sideways int\n",
     6, ["sideways"]),
    ("row-not-a-name", "routine r id=3000 level=2 flops=n\n"
     "  trans scalar trans\n  n scalar int\n"
     "  x in T vec(n, incx)\n  incx scalar int\n"
     "  check 1 trans not in 'NT'\n  row n=n+1\n", 11, ["row"]),
    ("op-missing", "routine r op=nosuchop level=3 flops=n\n"
     "  n scalar int\n", 5, ["nosuchop"]),
    ("work-without-query", "routine r id=3000 level=lapack flops=n\n"
     "  n scalar int\n  work work T max(1, lwork)\n  lwork scalar int\n",
     5, ["work", "no 'query'"]),
    ("query-writes-input", "routine r id=3000 level=lapack flops=n\n"
     "  n scalar int\n  x in T vec(n, 1)\n  work work T max(1, lwork)\n"
     "  lwork scalar int\n  query writes=work,x lwork == -1\n", 10,
     ["'x'", "not an output"]),
    ("query-not-int", "routine r id=3000 level=lapack flops=n\n"
     "  n scalar int\n  work work T max(1, lwork)\n  lwork scalar int\n"
     "  query writes=work lwork == 'N'\n", 9, ["query", "integer"]),
    ("no-valid-call", "routine r id=3000 level=1 flops=n\n"
     "  n scalar int\n  x in T vec(n, 1)\n  check 1 n >= 0\n", 5,
     ["no valid call"]),
    # the header's own lines (a header of their own: the 5th field)
    ("no-family", "", 1, ["no 'family NAME' line", "blas"],
     "api t\nsoname libt.so\nhost libt.so\n"),
    ("unknown-family", "", 2, ["unknown family 'opencl'", "blas"],
     "api t\nfamily opencl\nsoname libt.so\nhost libt.so\n"),
    # the OpenCV family (C++ functions by their mangled symbols)
    ("cv-bad-type", "fn f 3100 _ZN2cv1fE\n  src InputArray\n"
     "  dst Matrix\n", 7, ["unknown type 'Matrix'", "OutputArray"],
     CV_HEADER),
    ("cv-not-mangled", "fn f 3100 resize\n", 5,
     ["'resize'", "mangled"], CV_HEADER),
    ("cv-no-output", "fn f 3100 _ZN2cv1fE\n  src InputArray\n", 5,
     ["no OutputArray"], CV_HEADER),
    ("cv-id-taken", "fn f 1416 _ZN2cv1fE\n  src InputArray\n"
     "  dst OutputArray\n", 5, ["1416", "ssymv_"], CV_HEADER),
    ("cv-bad-key", "fn f 3100 _ZN2cv1fE colour=red\n", 5,
     ["colour=red"], CV_HEADER),
    ("cv-bad-cost", "fn f 3100 _ZN2cv1fE cost=-3\n", 5,
     ["cost=-3"], CV_HEADER),
    ("cv-inout-not-bool", "fn f 3100 _ZN2cv1fE inout=dst:n\n"
     "  src InputArray\n  dst OutputArray\n  n int\n", 5,
     ["inout=OUT:FLAG", "bool"], CV_HEADER),
    ("cv-no-version", "fn f 3100 _ZN2cv1fE\n  src InputArray\n"
     "  dst OutputArray\n", 1, ["no 'version MAJOR.MINOR' line"],
     "api t\nfamily opencv\nsoname libt.so\n"),
]


# The C family (a user's spec, `project --out DIR`): (name, text after
# C_HEADER, line, words[, header]); DIR must stay empty.
C_HEADER = "api t\nfamily c\nnamespace t\nsoname libt.so\nhost libt.so\n"
C_BROKEN = [
    ("c-no-namespace", "fn f id=1 ret=i32 flops=n\n  n scalar i64\n", 1,
     ["namespace NAME"], "api t\nfamily c\nsoname libt.so\n"),
    ("c-bad-kind", "fn f id=1 ret=i32 flops=n\n  n sideways i64\n", 7,
     ["unknown kind 'sideways'", "ref"]),
    ("c-bad-type", "fn f id=1 ret=i32 flops=n\n  n scalar i64\n"
     "  x in f16 n\n", 8, ["unknown type 'f16'"]),
    ("c-unknown-name", "fn f id=1 ret=i32 flops=n\n  n scalar i64\n"
     "  x in u8 m\n", 8, ["'m'", "neither"]),
    ("c-no-size", "fn f id=1 ret=i32 flops=n\n  n scalar i64\n"
     "  x out u8\n", 8, ["'x'", "size rule"]),
    ("c-id-range", "fn f id=70000 ret=i32 flops=n\n  n scalar i64\n", 6,
     ["1 to 65535"]),
    ("c-id-twice", "fn f id=1 ret=i32 flops=n\n  n scalar i64\n"
     "fn g id=1 ret=i32 flops=n\n  n scalar i64\n", 8, ["id 1", "f's"]),
    ("c-check-void", "fn f id=1 ret=void flops=n\n  n scalar i64\n"
     "  check -1 n < 0\n", 8, ["returns nothing"]),
    ("c-flops-name", "fn f id=1 ret=i32 flops=2*q\n  n scalar i64\n", 6,
     ["flops", "'q'"]),
    ("c-bad-key", "fn f id=1 ret=i32 flops=n colour=red\n"
     "  n scalar i64\n", 6, ["colour=red"]),
]


def main():
    codegen, specdir = sys.argv[1], sys.argv[2]
    py = sys.executable
    real = [os.path.join(specdir, f) for f in (
        "ops.spec", "blas.spec", "blas-level1.spec", "blas-level2.spec",
        "blas-level3.spec", "lapack.spec", "opencv.spec")]
    bad = 0
    r = subprocess.run([py, codegen, "lint"] + real, capture_output=True,
                       text=True)
    print("real specs: " + (r.stdout + r.stderr).strip())
    if r.returncode != 0 or ": ok" not in r.stdout:
        bad += 1
    ops = [os.path.join(specdir, "ops.spec"),
           os.path.join(specdir, "blas.spec"),
           os.path.join(specdir, "blas-level2.spec")]
    with tempfile.TemporaryDirectory() as tmp:
        for name, text, line, words, *header in BROKEN:
            path = os.path.join(tmp, name + ".spec")
            with open(path, "w") as f:
                f.write((header[0] if header else HEADER) + text)
            r = subprocess.run([py, codegen, "lint"] + ops + [path],
                               capture_output=True, text=True)
            # a command that writes and refuses the spec writes nothing
            left = []
            for cmd in ("shim", "ffi"):
                out = os.path.join(tmp, "%s-%s.c" % (name, cmd))
                w = subprocess.run([py, codegen, cmd, "--ops", ops[0],
                                    path, "--source", out],
                                   capture_output=True, text=True)
                if w.returncode != 0 and os.path.exists(out):
                    left.append(out)
            msg = r.stderr.strip()
            where = "%s.spec:%d:" % (name, line)
            ok = (r.returncode == 1 and where in msg
                  and all(w in msg for w in words) and not left)
            print("%-4s %-20s %s" % ("ok" if ok else "FAIL", name, msg))
            bad += not ok
        for name, text, line, words, *header in C_BROKEN:
            path = os.path.join(tmp, name + ".spec")
            with open(path, "w") as f:
                f.write((header[0] if header else C_HEADER) + text)
            out = os.path.join(tmp, name + "-out")
            r = subprocess.run([py, codegen, "project", path, "--out", out],
                               capture_output=True, text=True)
            msg = r.stderr.strip()
            where = "%s.spec:%d:" % (name, line)
            ok = (r.returncode == 1 and where in msg
                  and all(w in msg for w in words)
                  and not (os.path.isdir(out) and os.listdir(out)))
            print("%-4s %-20s %s" % ("ok" if ok else "FAIL", name, msg))
            bad += not ok
    print("%d of %d failed" % (bad, len(BROKEN) + len(C_BROKEN) + 1))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
