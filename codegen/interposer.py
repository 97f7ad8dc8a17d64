# SPDX-License-Identifier: Apache-2.0
"""Interposer specs (codegen/specs/<api>.spec): the part of the generator
every api family shares. A spec's header lines (api, family, namespace,
soname, host) are read here; its other lines belong to its family, whose module
(family_<name>.py) parses them and lowers each function into the ops it
travels as, the shim's C wrapper and the host executor's call entry.
This module assembles those into the shim source and the call table.
Format: docs/codegen.md, "Interposer specs" and "Families".

A family module provides:

  SHIM = {"header": ..., "family": ..., "info": ...}
      the header of its runtime piece (shim/<family>/), the struct
      shim_family it defines and the C type of its per-symbol data
  Parser(api)                    .line(where, text, indented, words)
                                 for each line that is not a header
                                 line, .boundary() at a header line
                                 after the first of those, .end()
                                 after the last
  funcs(api)                     the api's functions, each with .symbol
  classes()                      offload class names by number
  ffi_ops(api, op_cls, arg_cls)  the ops its functions travel as
  shim_prelude(funcs, cx)        C before the wrappers (checks)
  shim_wrapper(f, opmap)         (return type, params, names, body
                                 lines, cost C expression, wants C
                                 expression of cost, class, info
                                 initializer)
  ffi_entry(f, cx, size_cc, consts, op_cls, arg_cls)
                                 (C text, (op id, symbol, nr params,
                                 (ret ctype, ret arg), works, check fn))
                                 or None for a function with no host call
  ffi_vectors(apis, consts)      C of the test vectors of its apis' calls

A family whose wrappers are not C provides gen_shim(api, ops, banner,
tables) instead of shim_prelude and shim_wrapper (the C part of the
shim, with shim_tables for the common runtime's tables), and OUTPUTS:
name -> gen(api, ops, banner), the other sources it generates
(`vaccel_codegen.py gen NAME`).
"""

import importlib


class SpecError(Exception):
    pass


# FNV-1a's offset basis and prime by width
FNV = {32: (0x811c9dc5, 0x01000193),
       64: (0xcbf29ce484222325, 0x100000001b3)}


def fnv1a(text, bits):
    """FNV-1a of text's UTF-8 bytes, 32 or 64 bits."""
    h, prime = FNV[bits]
    for b in text.encode():
        h ^= b
        h = (h * prime) & ((1 << bits) - 1)
    return h


def spec_int(text, where, what):
    """An integer of a spec line (any base Python reads), or a SpecError
    naming `what`."""
    try:
        return int(text, 0)
    except ValueError:
        raise SpecError("%s: %s '%s' is not an integer"
                        % (where, what, text)) from None


# The api families: name -> module. A new family is one module and one
# line here (and its runtime piece, shim/<family>/<family>.c).
FAMILIES = {
    "blas": "family_blas",
    "c": "family_c",
    "opencv": "family_opencv",
}


def split_unread(size, kind, where):
    """An array line's SIZE text as (size rule, unread_if condition or
    None): `RULE unread_if COND`, for inout arrays only."""
    if not size or " unread_if " not in " %s " % size:
        return size, None
    size, _, unread = (" %s " % size).partition(" unread_if ")
    size, unread = size.strip() or None, unread.strip()
    if kind != "inout" or not unread:
        raise SpecError("%s: unread_if takes a condition and applies to "
                        "inout buffers" % where)
    return size, unread


def family(name):
    return importlib.import_module(FAMILIES[name])


class Api:
    def __init__(self):
        self.name, self.sonames, self.hosts = None, [], []
        # a user's spec: its ops' namespace (family c)
        self.namespace = None
        self.where, self.family, self.family_where = None, None, None
        self.fam = None
        self.routines = []
        self.files = []
        # op ids that served once and are never taken again:
        # [(first, last, where)]
        self.retired = []


def parse_api(paths):
    api = Api()
    parser = None
    for path in paths:
        api.files.append(path)
        with open(path, encoding="utf-8") as f:
            lines = f.readlines()
        for no, raw in enumerate(lines, 1):
            where = "%s:%d" % (path, no)
            text = raw.split("#", 1)[0].rstrip()
            if not text.strip():
                continue
            indented = text[0] in " \t"
            words = text.split()
            header = not indented and (
                (words[0] in ("api", "family", "namespace")
                 and len(words) == 2)
                or words[0] in ("soname", "host", "retired"))
            if header and parser is not None:
                parser.boundary()
            if not indented and words[0] == "api" and len(words) == 2:
                if api.name and api.name != words[1]:
                    raise SpecError("%s: api '%s' after api '%s'"
                                    % (where, words[1], api.name))
                api.name, api.where = words[1], where
            elif not indented and words[0] == "family" and len(words) == 2:
                if words[1] not in FAMILIES:
                    raise SpecError("%s: unknown family '%s' (have %s)"
                                    % (where, words[1],
                                       ", ".join(sorted(FAMILIES))))
                if api.family and api.family != words[1]:
                    raise SpecError("%s: family '%s' after family '%s'"
                                    % (where, words[1], api.family))
                api.family, api.family_where = words[1], where
                api.fam = family(words[1])
            elif not indented and words[0] == "namespace" and \
                    len(words) == 2:
                ns = words[1]
                if not ns.isidentifier() or api.namespace:
                    raise SpecError("%s: expected one 'namespace NAME' (an "
                                    "identifier)" % where)
                api.namespace = ns
            elif not indented and words[0] == "soname":
                api.sonames += words[1:]
            elif not indented and words[0] == "host":
                api.hosts += words[1:]
            elif not indented and words[0] == "retired":
                for w in words[1:]:
                    lo, _, hi = w.partition("-")
                    lo = spec_int(lo, where, "retired id")
                    hi = spec_int(hi, where, "retired id") if hi else lo
                    if hi < lo:
                        raise SpecError("%s: retired range %s ends before "
                                        "it starts" % (where, w))
                    api.retired.append((lo, hi, where))
            else:
                if parser is None:
                    if api.fam is None:
                        raise SpecError(
                            "%s: a family's line before the spec's "
                            "'family NAME' line (have %s)"
                            % (where, ", ".join(sorted(FAMILIES))))
                    parser = api.fam.Parser(api)
                parser.line(where, text, indented, words)
    if not api.name:
        raise SpecError("%s: no 'api NAME' line" % paths[0])
    if not api.family:
        raise SpecError("%s: api '%s' has no 'family NAME' line (have %s)"
                        % (api.where, api.name, ", ".join(sorted(FAMILIES))))
    if parser is not None:
        parser.end()
    return api


def parse_apis(paths):
    """Group spec files into apis: a file with an `api` line starts one;
    files without continue the previous one."""
    groups = []
    for p in paths:
        with open(p, encoding="utf-8") as f:
            starts = any(line.split()[:1] == ["api"] for line in f)
        if starts or not groups:
            groups.append([p])
        else:
            groups[-1].append(p)
    return [parse_api(g) for g in groups]


def api_funcs(api):
    return api.fam.funcs(api)


def ffi_ops(api, op_cls, arg_cls):
    """The generated ops (for the op table) of an api's functions."""
    return api.fam.ffi_ops(api, op_cls, arg_cls)


def bind_consts(api, consts):
    """Give the api's family the op spec's constants (the values its
    letters stand for), where it takes them."""
    fn = getattr(api.fam, "bind_consts", None)
    if fn:
        fn(consts)


def op_checks(apis, cx):
    """The C of the typed ops' argument checks (check_<op>) and the list
    of (op, id) they cover, from every api whose family has them."""
    text, ops = [], []
    for api in apis:
        fn = getattr(api.fam, "op_checks", None)
        if fn:
            text.append(fn(api, cx))
            ops += api.fam.op_checked(api)
    return "".join(text), ops


def typed_ops(api, op_cls, arg_cls):
    """The public ops an api's spec declares (a family's typed ops), to
    sit in the op table beside the op spec's."""
    fn = getattr(api.fam, "typed_ops", None)
    return fn(api, op_cls, arg_cls) if fn else []


class CExpr:
    """Compiles check expressions with the op compiler, over an op whose
    arguments the family chooses."""

    def __init__(self, compiler_cls, op_cls, arg_cls, consts):
        self.cc, self.op_cls, self.arg_cls, self.consts = (
            compiler_cls, op_cls, arg_cls, consts)

    def compile(self, op, tree, where):
        arg = self.arg_cls("check", "in", "i32", "*", where)
        return self.cc(op, arg, self.consts).compile(tree)


# ---- the shim's source ---------------------------------------------------

def gen_shim(api, ops, cx, banner):
    fam = api.fam
    if hasattr(fam, "gen_shim"):
        # a family whose wrappers are not C (OpenCV's are C++) gives the
        # C part itself, with the tables below
        return fam.gen_shim(api, ops, banner, shim_tables)
    funcs = fam.funcs(api)
    opmap = {o.name: o for o in ops}
    out = [banner, "/* SPDX-License-Identifier: Apache-2.0 */\n",
           '#include "%s"\n#include "shim.h"\n#include "vsz.h"\n'
           '#include <stdatomic.h>\n#include <string.h>\n\n'
           % fam.SHIM["header"]]
    out.append("struct shim_fn shim_fns[%d];\n\n" % len(funcs))
    out.append(fam.shim_prelude(funcs, cx))
    table = []
    for k, f in enumerate(funcs):
        rt, params, names, body, cost, wants, cls, info = \
            fam.shim_wrapper(f, opmap)
        table.append((f.symbol, cls, info))
        ret = "" if rt == "void" else " r_"
        out.append("typedef %s fn_%s_t(%s);\n\n" % (rt, f.symbol,
                                                     ", ".join(params)))
        # the offload path apart, so that the declining path of the
        # wrapper needs no stack frame of its own: 0 handled, else local
        rp = [] if rt == "void" else ["%s *rp" % rt]
        out.append("static __attribute__((noinline)) int off_%s("
                   "struct shim_fn *f, double cost, %s)\n{\n"
                   % (f.symbol, ", ".join(params + rp)))
        if rt != "void":
            out.append("\t%s r_ = 0;\n" % rt)
        for line in body:
            t = line.strip()
            if t == "return;":
                line = line.replace("return;", "return 0;")
            elif t == "return r_;":
                line = line.replace("return r_;", "return *rp = r_, 0;")
            out.append("\t%s\n" % line)
        out.append("\treturn -1;\n}\n\n")
        # everything but the local call, out of line: the wrapper's
        # declining path then keeps no arguments across a call
        out.append("static __attribute__((noinline)) %s slow_%s(%s)\n{\n"
                   % (rt, f.symbol, ", ".join(params)))
        out.append("\tstruct shim_fn *f = &shim_fns[%d];\n" % k)
        if rt != "void":
            out.append("\t%s r_;\n" % rt)
        out.append("\tconst double cost = %s;\n" % cost)
        out.append("\tif (%s &&\n"
                   "\t    off_%s(f, cost, %s) == 0)\n\t\treturn%s;\n"
                   % (wants("cost"), f.symbol,
                      ", ".join(names + (["&r_"] if rp else [])), ret))
        out.append("\tshim_local_enter(f);\n")
        call = "((fn_%s_t *)shim_real(f))(%s)" % (f.symbol, ", ".join(names))
        out.append("\t%s%s;\n" % ("r_ = " if rt != "void" else "", call))
        out.append("\tshim_local_leave();\n")
        out.append("\treturn%s;\n}\n\n" % ret)
        out.append("SHIM_EXPORT %s %s(%s)\n{\n" % (rt, f.symbol,
                                                    ", ".join(params)))
        out.append("\tstruct shim_fn *f = &shim_fns[%d];\n" % k)
        out.append("\tstruct shim_stats *st = shim_tstats;\n")
        out.append("\tfn_%s_t *real = (fn_%s_t *)atomic_load_explicit(\n"
                   "\t\t&f->real, memory_order_relaxed);\n"
                   % (f.symbol, f.symbol))
        out.append("\tif (__builtin_expect(!st || !real || (%s), 0))\n"
                   "\t\treturn slow_%s(%s);\n"
                   % (wants(None), f.symbol, ", ".join(names)))
        out.append("\tst->c[%d][SHIM_C_LOCAL]++;\n\tshim_depth++;\n" % k)
        if rt != "void":
            out.append("\t%s r_ = real(%s);\n" % (rt, ", ".join(names)))
        else:
            out.append("\treal(%s);\n" % ", ".join(names))
        out.append("\tshim_depth--;\n")
        out.append("\treturn%s;\n}\n\n" % ret)
    out.append(shim_tables(api, funcs, table))
    return "".join(out)


def shim_tables(api, funcs, table):
    """The common runtime's tables (shim.h): shim_fns, shim_api and what
    they point at. table: (symbol, class, info initializer) per function,
    in the order of funcs."""
    fam = api.fam
    out = []
    order = sorted(range(len(funcs)), key=lambda i: funcs[i].symbol)
    out.append("static const uint16_t shim_sorted[] = {\n")
    out += ["\t%d, /* %s */\n" % (i, funcs[i].symbol) for i in order]
    out.append("};\n\n")
    out.append("const char *const shim_classes[] = {%s, NULL};\n\n"
               % ", ".join('"%s"' % n for n in fam.classes()))
    out.append("static const %s shim_info[%d] = {\n" % (fam.SHIM["info"],
                                                          len(funcs)))
    out += ["\t%s,\n" % info for _, _, info in table]
    out.append("};\n\n")
    out.append("struct shim_fn shim_fns[%d] = {\n" % len(funcs))
    for k, (sym, cls, _) in enumerate(table):
        out.append('\t{ .name = "%s", .cls = %d, .info = &shim_info[%d], '
                   ".wrapper = (void *)%s },\n" % (sym, cls, k, sym))
    out.append("};\n\n")
    out.append("static const char *const shim_sonames[] = {\n")
    out += ['\t"%s",\n' % s for s in api.sonames]
    out.append("\tNULL,\n};\n\n")
    out.append('const struct shim_api shim_api = {\n\t.name = "%s",\n'
               "\t.family = &%s,\n"
               "\t.fns = shim_fns,\n\t.nr_fns = %d,\n"
               "\t.sorted = shim_sorted,\n\t.sonames = shim_sonames,\n};\n"
               % (api.name, fam.SHIM["family"], len(funcs)))
    return "".join(out)


# ---- the host executor's call table ----------------------------------------

def gen_ffi(apis, cx, size_cc, consts, op_cls, arg_cls, banner):
    out = [banner, "/* SPDX-License-Identifier: Apache-2.0 */\n",
           '#include "callspec.h"\n#include "vsz.h"\n\n']
    entries = []
    for ai, api in enumerate(apis):
        out.append("static const char *const libs_%s[] = {\n" % api.name)
        out += ['\t"%s",\n' % s for s in api.hosts]
        out.append("\tNULL,\n};\n\n")
        for f in api.fam.funcs(api):
            got = api.fam.ffi_entry(f, cx, size_cc, consts, op_cls, arg_cls)
            if got is None:
                continue
            text, (oid, sym, np_, ret, works, check) = got
            out.append(text)
            entries.append((oid, sym, ai, np_, ret, works, check))
    out.append("const struct vaccel_cs_api vaccel_cs_apis[] = {\n")
    for api in apis:
        out.append('\t{ .name = "%s", .libs = libs_%s },\n' % (api.name,
                                                               api.name))
    out.append("};\n\nconst unsigned int vaccel_cs_apis_count = %d;\n\n"
               % len(apis))
    out.append("const struct vaccel_callspec vaccel_callspecs[] = {\n")
    for oid, sym, ai, np_, ret, works, check in sorted(entries):
        out.append('\t{ .op_id = %d, .symbol = "%s", .api = %d, '
                   ".nr_params = %d, .params = ps_%s,\n\t  .ret_ctype = %s, "
                   ".ret_arg = %d, .nr_work = %d, .work = %s, .check = "
                   "%s },\n" % (oid, sym, ai, np_, sym, ret[0], ret[1],
                                len(works), ("ws_" + sym) if works
                                else "NULL", check))
    out.append("};\n\nconst unsigned int vaccel_callspecs_count = %d;\n\n"
               % len(entries))
    # each family's test vectors, families in the order their apis come
    seen = []
    for api in apis:
        if api.fam not in seen:
            seen.append(api.fam)
    for fam in seen:
        out.append(fam.ffi_vectors([a for a in apis if a.fam is fam],
                                   consts))
    return "".join(out)
