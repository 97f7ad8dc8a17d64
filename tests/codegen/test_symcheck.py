#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The build-time check of a C++ spec's symbols refuses a symbol that is
not the compiler's mangling of the declared parameters, and names the one
it should be.

  test_symcheck.py CODEGEN CHECK_SYMBOLS OPS_SPEC CXX LIBRARY... -- CFLAGS...
"""
import os
import subprocess
import sys
import tempfile

SPEC = """api t
family opencv
soname libopencv_imgproc.so.406
version 4.6
fn medianBlur 3000 _ZN2cv10medianBlurERKNS_11_InputArrayERKNS_12_OutputArrayEi
  src   InputArray
  dst   OutputArray
  ksize int
# the parameters say double, the symbol says int
fn resize 3001 _ZN2cv6resizeERKNS_11_InputArrayERKNS_12_OutputArrayENS_5Size_IiEEiii
  src           InputArray
  dst           OutputArray
  dsize         Size
  fx            double
  fy            double
  interpolation int
"""
RIGHT = "_ZN2cv6resizeERKNS_11_InputArrayERKNS_12_OutputArrayENS_5Size_IiEEddi"


def main(argv):
    sep = argv.index("--")
    codegen, check, ops, cxx = argv[1:5]
    libs, cflags = argv[5:sep], argv[sep + 1:]
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        spec = os.path.join(tmp, "t.spec")
        with open(spec, "w") as f:
            f.write(SPEC)
        src = os.path.join(tmp, "symcheck.cc")
        obj = os.path.join(tmp, "symcheck.o")
        subprocess.run([py, codegen, "gen", "symcheck", "--ops", ops, spec,
                        "--source", src], check=True)
        subprocess.run(cxx.split() + ["-std=c++17", "-c", src, "-o", obj] +
                       cflags, check=True)
        syms = subprocess.run([py, codegen, "symbols", "--ops", ops, spec],
                              check=True, capture_output=True,
                              text=True).stdout.split()
        args = [py, check, "--object", obj, "--stamp",
                os.path.join(tmp, "stamp")]
        for lib in libs:
            args += ["--library", lib]
        r = subprocess.run(args + syms, capture_output=True, text=True)
        msg = r.stderr.strip()
        print(msg)
        ok = (r.returncode == 1 and syms[1] in msg and RIGHT in msg and
              "medianBlur" not in msg and
              not os.path.exists(os.path.join(tmp, "stamp")))
        # and the right symbol passes
        r2 = subprocess.run(args + [syms[0], RIGHT], capture_output=True,
                            text=True)
        ok = ok and r2.returncode == 0
        print("%s: a wrong mangling is refused, the right one passes"
              % ("ok" if ok else "FAIL"))
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
