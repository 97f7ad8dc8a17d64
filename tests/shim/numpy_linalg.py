#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""numpy.linalg through the LAPACK shim, checked against numpy without it.

Run it with LD_PRELOAD naming the shim. For float32, float64, complex64 and
complex128 it calls solve, inv, det, slogdet, cholesky, eigh, eigvalsh,
lstsq and svd (?gesv, ?getrf, ?potrf, ?syevd/?heevd, ?gelsd, ?gesdd) on
seeded, well-conditioned inputs, n = 64 plus rectangular lstsq and svd
cases, in this process, so under the shim.

Everything the verdict rests on runs in child processes of /usr/bin/python3
started with LD_PRELOAD removed from their environment: making the inputs,
computing the reference results, and every comparison (norms,
reconstructions, phase alignment call BLAS and LAPACK too). Inputs,
references and results travel as .npy files in a temporary directory.

A result passes when its norm-wise relative error against the reference is
within 10 * n * eps of its dtype (n the largest dimension); eigenvectors
and singular vectors are compared after aligning each column's sign or
phase with the reference's, and reconstructions are checked as well.
One line per check; exit 0 when all pass, 1 on any failure, 77 (skip) when
numpy is not installed.
"""

import json
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError:
    print("numpy_linalg: numpy is not installed; skipping")
    sys.exit(77)

PYTHON = "/usr/bin/python3"
SEED = 20240611
N = 64
TALL = (96, 64)
WIDE = (48, 64)
NRHS = 3
STACK = 3
DTYPES = ("float32", "float64", "complex64", "complex128")


# ---- inputs and the calls under test ----------------------------------

def make_inputs(dt, rng):
    """Well-conditioned inputs, built in double precision (with LAPACK:
    only in a child without the shim), then cast to dt."""
    cplx = np.dtype(dt).kind == "c"

    def rand(*shape):
        x = rng.uniform(-1, 1, shape)
        if cplx:
            x = x + 1j * rng.uniform(-1, 1, shape)
        return x

    def unitary(k):
        q, r = np.linalg.qr(rand(k, k))
        return q * (np.diagonal(r) / np.abs(np.diagonal(r)))

    def with_spectrum(m, n, s):
        k = min(m, n)
        u = unitary(m)[:, :k]
        v = unitary(n)[:, :k]
        return (u * s) @ v.conj().T

    def hermitian(lam):
        q = unitary(len(lam))
        x = (q * lam) @ q.conj().T
        return (x + x.conj().T) / 2

    inp = {}
    # ||E|| about 0.6: cond(gen) below 4, det of modest size
    inp["gen"] = np.eye(N) + rand(N, N) * (0.5 / N ** 0.5)
    inp["b"] = rand(N, NRHS)
    inp["bv"] = rand(N)
    inp["gen_stack"] = np.eye(N) + rand(STACK, N, N) * (0.5 / N ** 0.5)
    inp["b_stack"] = rand(STACK, N, NRHS)
    # SPD / HPD with eigenvalues in [1, 4]
    inp["spd"] = hermitian(np.linspace(1, 4, N))
    # Hermitian with eigenvalues 1..N, gaps of 1. The triangle LAPACK is
    # told to ignore differs from the other by about 1e-2, so that the
    # result shows which one was read (numpy's UPLO and LAPACK's uplo are
    # mirror images: numpy hands LAPACK the transpose), yet either reading
    # stays positive definite with separated eigenvalues.
    h = hermitian(np.arange(1, N + 1, dtype=float))
    junk = rand(N, N) * 1e-2
    inp["herm_l"] = np.tril(h) + np.triu(h + junk, 1)
    inp["herm_u"] = np.triu(h) + np.tril(h + junk, -1)
    inp["spd_l"] = np.tril(inp["spd"]) + np.triu(inp["spd"] + junk, 1)
    # least squares: singular values in [1, 2]; SVD: k..1, gaps of 1
    for name, (m, n) in (("tall", TALL), ("wide", WIDE)):
        k = min(m, n)
        inp["ls_" + name] = with_spectrum(m, n, np.linspace(2, 1, k))
        inp["lsb_" + name] = rand(m, 2)
        inp["sv_" + name] = with_spectrum(m, n, np.arange(k, 0, -1.0))
    return {k: np.ascontiguousarray(v.astype(dt)) for k, v in inp.items()}


def run_calls(inp):
    """The numpy.linalg calls under test: name -> tuple of arrays."""
    la = np.linalg
    calls = {
        "solve": lambda: (la.solve(inp["gen"], inp["b"]),),
        "solve_vec": lambda: (la.solve(inp["gen"], inp["bv"]),),
        "solve_stack": lambda: (la.solve(inp["gen_stack"], inp["b_stack"]),),
        "inv": lambda: (la.inv(inp["gen"]),),
        "det": lambda: (np.asarray(la.det(inp["gen"])),),
        "slogdet": lambda: tuple(np.asarray(x) for x in
                                 la.slogdet(inp["gen"])),
        "cholesky": lambda: (la.cholesky(inp["spd_l"]),),
        "eigh_L": lambda: tuple(la.eigh(inp["herm_l"], UPLO="L")),
        "eigh_U": lambda: tuple(la.eigh(inp["herm_u"], UPLO="U")),
        "eigvalsh_L": lambda: (la.eigvalsh(inp["herm_l"], UPLO="L"),),
        "eigvalsh_U": lambda: (la.eigvalsh(inp["herm_u"], UPLO="U"),),
    }
    for name in ("tall", "wide"):
        a, b, s = inp["ls_" + name], inp["lsb_" + name], inp["sv_" + name]
        calls["lstsq_" + name] = (
            lambda a=a, b=b: tuple(np.asarray(x) for x in
                                   la.lstsq(a, b, rcond=None)))
        calls["svd_full_" + name] = (
            lambda s=s: tuple(la.svd(s, full_matrices=True)))
        calls["svd_thin_" + name] = (
            lambda s=s: tuple(la.svd(s, full_matrices=False)))
        calls["svd_vals_" + name] = (
            lambda s=s: (la.svd(s, compute_uv=False),))
    calls.update(kernel_calls(inp))
    out, errors = {}, {}
    for name, fn in calls.items():
        try:
            out[name] = fn()
        except Exception as e:  # a failure of the call is a result too
            errors[name] = "%s: %s" % (type(e).__name__, e)
    return out, errors


def gufunc(*names):
    """numpy.linalg._umath_linalg's gufunc under the first name it has."""
    try:
        from numpy.linalg import _umath_linalg as um
    except ImportError:
        return None
    return next((getattr(um, n) for n in names if hasattr(um, n)), None)


def kernel_calls(inp):
    """numpy.linalg computes in double even for single-precision input
    (_commonType), so the public calls reach only the d and z routines.
    For float32 and complex64 inputs the same gufuncs, called with their
    single-precision signatures, reach the s and c routines. They are
    private; a gufunc this numpy lacks is left out (both sides agree)."""
    dt = inp["gen"].dtype
    if dt not in (np.float32, np.complex64):
        return {}
    t = "F" if dt.kind == "c" else "f"
    calls = {}

    def add(name, fn, sig, *args):
        if fn is not None:
            calls["k_" + name] = lambda: _tuple(fn(*args, signature=sig))

    add("solve", gufunc("solve"), t + t + "->" + t, inp["gen"], inp["b"])
    add("inv", gufunc("inv"), t + "->" + t, inp["gen"])
    add("det", gufunc("det"), t + "->" + t, inp["gen"])
    add("slogdet", gufunc("slogdet"), t + "->" + t + "f", inp["gen"])
    add("cholesky", gufunc("cholesky_lo"), t + "->" + t, inp["spd_l"])
    add("eigh_L", gufunc("eigh_lo"), t + "->f" + t, inp["herm_l"])
    add("eigh_U", gufunc("eigh_up"), t + "->f" + t, inp["herm_u"])
    add("eigvalsh_L", gufunc("eigvalsh_lo"), t + "->f", inp["herm_l"])
    for name in ("tall", "wide"):
        a, b, s = inp["ls_" + name], inp["lsb_" + name], inp["sv_" + name]
        m, n = a.shape
        rcond = np.float32(np.finfo(np.float32).eps * max(m, n))
        # numpy >= 2 has one gufunc per call; 1.x one per m < n / m >= n
        add("lstsq_" + name, gufunc("lstsq", "lstsq_m" if m <= n
                                    else "lstsq_n"),
            t + t + "f->" + t + "fif", a, b, rcond)
        mn = "m" if s.shape[0] < s.shape[1] else "n"
        add("svd_full_" + name, gufunc("svd_f", "svd_%s_f" % mn),
            t + "->" + t + "f" + t, s)
        add("svd_thin_" + name, gufunc("svd_s", "svd_%s_s" % mn),
            t + "->" + t + "f" + t, s)
        add("svd_vals_" + name, gufunc("svd", "svd_" + mn), t + "->f", s)
    return calls


def _tuple(r):
    return tuple(np.asarray(x) for x in r) if isinstance(r, tuple) \
        else (np.asarray(r),)


# ---- files --------------------------------------------------------------

def save_all(d, prefix, results):
    for name, arrs in results.items():
        for i, a in enumerate(arrs):
            np.save(os.path.join(d, "%s.%s.%d.npy" % (prefix, name, i)), a)


def load_tuple(d, prefix, name):
    arrs, i = [], 0
    while os.path.exists(os.path.join(d, "%s.%s.%d.npy" % (prefix, name, i))):
        arrs.append(np.load(os.path.join(d, "%s.%s.%d.npy"
                                         % (prefix, name, i))))
        i += 1
    return tuple(arrs)


def load_inputs(d, dt):
    inp = {}
    for f in os.listdir(d):
        if f.startswith("in.%s." % dt):
            inp[f.split(".")[2]] = np.load(os.path.join(d, f))
    return inp


# ---- comparison (children only) ---------------------------------------

def rel(x, ref):
    x = np.asarray(x, dtype=np.complex128)
    ref = np.asarray(ref, dtype=np.complex128)
    if x.shape != ref.shape:
        return np.inf
    den = np.linalg.norm(ref)
    num = np.linalg.norm(x - ref)
    return num / den if den else num


def align_cols(x, ref):
    """x with each column multiplied by the unit factor that best matches
    the reference's column (sign for real, phase for complex)."""
    x = np.asarray(x, dtype=np.complex128)
    ref = np.asarray(ref, dtype=np.complex128)
    d = np.sum(ref.conj() * x, axis=0)
    ph = np.where(np.abs(d) > 0, d / np.where(d == 0, 1, np.abs(d)), 1)
    return x * ph.conj()


def compare(dt, name, got, ref, inp):
    """[(label, error, tolerance)] for one call."""
    eps = float(np.finfo(np.dtype(dt)).eps)
    kernel = name.startswith("k_")
    name = name[2:] if kernel else name

    def tol(n):
        return 10 * n * eps
    c = []
    if name in ("solve", "solve_vec", "solve_stack", "inv", "cholesky"):
        c.append(("", rel(got[0], ref[0]), tol(N)))
        if name == "cholesky":
            ll = got[0].astype(np.complex128)
            rl = ref[0].astype(np.complex128)
            c.append(("reconstruction", rel(ll @ ll.conj().T,
                                            rl @ rl.conj().T), tol(N)))
    elif name == "det":
        c.append(("", rel(got[0], ref[0]), tol(N)))
    elif name == "slogdet":
        c.append(("sign", rel(got[0], ref[0]), tol(N)))
        c.append(("logdet", abs(float(got[1]) - float(ref[1]))
                  / max(1.0, abs(float(ref[1]))), tol(N)))
    elif name.startswith("eigvalsh"):
        c.append(("w", rel(got[0], ref[0]), tol(N)))
    elif name.startswith("eigh"):
        w, v = got
        c.append(("w", rel(w, ref[0]), tol(N)))
        c.append(("v", rel(align_cols(v, ref[1]), ref[1]), tol(N)))
        # against the matrix the reference factored (whichever triangle)
        vv, rv = v.astype(np.complex128), ref[1].astype(np.complex128)
        c.append(("reconstruction", rel((vv * w) @ vv.conj().T,
                                        (rv * ref[0]) @ rv.conj().T), tol(N)))
    elif name.startswith("lstsq"):
        x, res, rank, s = got
        m, n = inp["ls_" + name.split("_")[1]].shape
        t = tol(max(m, n))
        c.append(("x", rel(x, ref[0]), t))
        # the raw gufunc's residuals are unspecified unless m > n = rank
        if (ref[1].size or res.size) and not (kernel and m <= n):
            c.append(("residuals", rel(res, ref[1]), t))
        c.append(("rank %d" % rank, 0.0 if int(rank) == int(ref[2])
                  else np.inf, 0.0))
        c.append(("s", rel(s, ref[3]), t))
    elif name.startswith("svd_vals"):
        m, n = inp["sv_" + name.split("_")[2]].shape
        c.append(("s", rel(got[0], ref[0]), tol(max(m, n))))
    elif name.startswith("svd"):
        u, s, vh = got
        a = inp["sv_" + name.split("_")[2]]
        m, n = a.shape
        k, t = min(m, n), tol(max(m, n))
        c.append(("s", rel(s, ref[1]), t))
        c.append(("u", rel(align_cols(u[:, :k], ref[0][:, :k]),
                           ref[0][:, :k]), t))
        c.append(("vh", rel(align_cols(vh[:k].T, ref[2][:k].T),
                            ref[2][:k].T), t))
        uu, vv = u.astype(np.complex128), vh.astype(np.complex128)
        c.append(("reconstruction", rel((uu[:, :k] * s) @ vv[:k],
                                        a.astype(np.complex128)), t))
        if name.startswith("svd_full"):
            c.append(("u unitary", rel(uu.conj().T @ uu,
                                       np.eye(m)), t))
            c.append(("vh unitary", rel(vv @ vv.conj().T,
                                        np.eye(n)), t))
    else:
        raise AssertionError("no comparison for " + name)
    return c


def child_prepare(d):
    for i, dt in enumerate(DTYPES):
        inp = make_inputs(dt, np.random.default_rng(SEED + i))
        for k, v in inp.items():
            np.save(os.path.join(d, "in.%s.%s.npy" % (dt, k)), v)
        ref, errors = run_calls(inp)
        if errors:
            print("reference failed: %s" % errors)
            return 1
        save_all(d, "ref." + dt, ref)
    return 0


def child_compare(d):
    with open(os.path.join(d, "errors.json")) as f:
        errors = json.load(f)
    passed = failed = 0
    for dt in DTYPES:
        inp = load_inputs(d, dt)
        names = sorted({f.split(".")[2] for f in os.listdir(d)
                        if f.startswith("ref.%s." % dt)})
        for name in names:
            ref = load_tuple(d, "ref." + dt, name)
            err = errors.get(dt, {}).get(name)
            got = load_tuple(d, "got." + dt, name)
            if err or len(got) != len(ref):
                print("FAIL %-10s %-16s raised %s" % (dt, name, err or
                                                     "no result"))
                failed += 1
                continue
            for i, (g, r) in enumerate(zip(got, ref)):
                if g.dtype != r.dtype:
                    print("FAIL %-10s %-16s output %d is %s, not %s"
                          % (dt, name, i, g.dtype, r.dtype))
                    failed += 1
            for label, e, t in compare(dt, name, got, ref, inp):
                ok = bool(e <= t)
                print("%s %-10s %-16s %-15s rel %.2e tol %.2e"
                      % ("ok  " if ok else "FAIL", dt, name, label, e, t))
                passed += ok
                failed += not ok
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


# ---- driver --------------------------------------------------------------

def child(mode, d):
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    r = subprocess.run([PYTHON, os.path.abspath(__file__), mode, d], env=env,
                       timeout=600)
    return r.returncode


def main(argv):
    if len(argv) == 3 and argv[1] in ("--prepare", "--compare"):
        if "LD_PRELOAD" in os.environ:
            print("numpy_linalg: %s must run without LD_PRELOAD" % argv[1])
            return 2
        return (child_prepare if argv[1] == "--prepare"
                else child_compare)(argv[2])
    print("numpy %s, LD_PRELOAD=%s" % (np.__version__,
                                        os.environ.get("LD_PRELOAD", "")))
    with tempfile.TemporaryDirectory(prefix="numpy_linalg.") as d:
        rc = child("--prepare", d)
        if rc:
            print("FAIL reference child exited %d" % rc)
            print("0 passed, 1 failed")
            return 1
        errors = {}
        for dt in DTYPES:
            got, errors[dt] = run_calls(load_inputs(d, dt))
            save_all(d, "got." + dt, got)
        with open(os.path.join(d, "errors.json"), "w") as f:
            json.dump(errors, f)
        rc = child("--compare", d)
        return 0 if rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
