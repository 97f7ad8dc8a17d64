#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Build-time check of a C++ interposer spec's symbols.

  check_symbols.py --object SYMCHECK.o --library LIB.so... --stamp OUT
                   (SYMBOL... | --spec CODEGEN OPS.spec API.spec...)

SYMCHECK.o is the compiled translation unit `vaccel_codegen.py gen
symcheck` writes, which takes every function's address as the spec
declares its parameters: its undefined symbols are the compiler's
manglings. Each SYMBOL of the spec must be one of them (the spec's name
and its parameters agree) and be exported by one of the libraries (the
library has the function); a SYMBOL written =SYMBOL (a constructor or a
destructor, whose address C++ cannot take) is checked as exported only. Writes the stamp when all hold; else names
every symbol that fails and exits 1.
"""

import argparse
import subprocess
import sys


def nm(args):
    out = subprocess.run(["nm"] + args, check=True, capture_output=True,
                         text=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line.split()}


def demangle(sym):
    try:
        return subprocess.run(["c++filt", sym], check=True,
                              capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return sym


def main(argv):
    p = argparse.ArgumentParser(prog="check_symbols")
    p.add_argument("--object", required=True)
    p.add_argument("--library", action="append", required=True)
    p.add_argument("--stamp", required=True)
    p.add_argument("--spec", action="store_true",
                   help="the arguments are CODEGEN OPS.spec API.spec...: "
                   "the symbols are the spec's (`vaccel_codegen.py "
                   "symbols`)")
    p.add_argument("symbols", nargs="+")
    a = p.parse_args(argv)
    if a.spec:
        if len(a.symbols) < 3:
            p.error("--spec takes CODEGEN OPS.spec API.spec...")
        a.symbols = subprocess.run(
            [sys.executable, a.symbols[0], "symbols", "--ops",
             a.symbols[1]] + a.symbols[2:], check=True,
            capture_output=True, text=True).stdout.split()
    referenced = nm(["-u", "--format=just-symbols", a.object])
    exported = set()
    for lib in a.library:
        exported |= nm(["-D", "--defined-only", "--format=just-symbols",
                        lib])
    bad = 0
    for sym in a.symbols:
        # "=SYMBOL": a constructor or destructor, whose address C++
        # cannot take: checked as exported only
        only_exported = sym.startswith("=")
        sym = sym.lstrip("=")
        if not only_exported and sym not in referenced:
            near = sorted(r for r in referenced
                          if demangle(r).split("(")[0] ==
                          demangle(sym).split("(")[0])
            print("check_symbols: %s (%s) is not the compiler's mangling "
                  "of the declared parameters%s" % (
                      sym, demangle(sym),
                      "; it mangles them as %s" % ", ".join(near)
                      if near else ""), file=sys.stderr)
            bad += 1
        elif sym not in exported:
            print("check_symbols: %s (%s) is not exported by %s"
                  % (sym, demangle(sym), " or ".join(a.library)),
                  file=sys.stderr)
            bad += 1
    if bad:
        return 1
    with open(a.stamp, "w", encoding="utf-8") as f:
        f.write("%d symbols checked\n" % len(a.symbols))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
