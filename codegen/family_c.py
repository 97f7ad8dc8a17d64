# SPDX-License-Identifier: Apache-2.0
"""The C family of interposer specs: plain C functions of any library,
written by a user for their own library and generated out of the tree
(`vaccel-codegen project`). Scalars by value, buffers by pointer with
size rules, pointers to one value the function reads and writes (`ref`),
strings, a return value, the library's own argument checks with the
value it returns for such a call, a cost formula. Lowered into ops in
the spec's namespace (registered at run time: vaccel_ops_register), the
shim's C wrappers (for interposer.py's gen_shim) and a host plugin that
calls the library directly (gen_host). Format: docs/codegen.md, "The C
family".
"""

import ast

from interposer import SpecError, fnv1a, spec_int

# spec type -> (C type, wire type, oparg member)
TYPES = {
    "i32": ("int32_t", "i32", "i"),
    "u32": ("uint32_t", "u32", "i"),
    "i64": ("int64_t", "i64", "i"),
    "u64": ("uint64_t", "u64", "i"),
    "f32": ("float", "f32", "f32"),
    "f64": ("double", "f64", "f64"),
}
# element types of buffers: the scalars' and bytes
BUF_TYPES = dict(TYPES, u8=("uint8_t", "u8", None))
KINDS = ("scalar", "in", "out", "inout", "ref", "string")
FN_KEYS = ("id", "ret", "flops")
FN_WORDS = ("idempotent",)
INT = ("i32", "u32", "i64", "u64")

SHIM = {"header": "shim.h", "family": "shim_c_family",
        "info": "struct shim_c_fn"}


class CArg:
    def __init__(self, name, kind, typ, size, where):
        self.name, self.kind, self.type, self.size, self.where = (
            name, kind, typ, size, where)


class Fn:
    def __init__(self, name, keys, words, where, api):
        self.name, self.keys, self.words, self.where = (name, keys, words,
                                                        where)
        self.api = api
        self.symbol = name
        self.args, self.checks = [], []
        self.ret = keys.get("ret", "void")


class Parser:
    """The fn lines of one api's spec (interposer.parse_api reads the
    header lines)."""

    def __init__(self, api):
        self.api, self.cur = api, None

    def boundary(self):
        self.cur = None

    def end(self):
        for f in self.api.routines:
            check_fn(f)

    def line(self, where, text, indented, words):
        if not indented:
            self.cur = None
            if words[0] != "fn" or len(words) < 2:
                raise SpecError("%s: expected 'fn NAME key=value ...' "
                                "(the C family's functions)" % where)
            keys, flags, last = {}, [], None
            for w in words[2:]:
                k, sep, v = w.partition("=")
                if sep and k in FN_KEYS:
                    keys[k], last = v, k
                elif not sep and w in FN_WORDS:
                    flags.append(w)
                elif last == "flops" and not (
                        sep and k.isidentifier() and not v.startswith("=")):
                    # a formula with spaces continues it
                    keys[last] += " " + w
                else:
                    raise SpecError("%s: bad fn key '%s' (have %s)"
                                    % (where, w, ", ".join(
                                        ["%s=" % k for k in FN_KEYS]
                                        + list(FN_WORDS))))
            name = words[1]
            if not name.isidentifier():
                raise SpecError("%s: '%s' is not a C function name"
                                % (where, name))
            if any(f.name == name for f in self.api.routines):
                raise SpecError("%s: fn '%s' declared twice" % (where, name))
            self.cur = Fn(name, keys, flags, where, self.api)
            self.api.routines.append(self.cur)
            return
        f = self.cur
        if f is None:
            raise SpecError("%s: indented line outside a fn" % where)
        if words[0] == "check":
            if len(words) < 3:
                raise SpecError("%s: expected 'check VALUE EXPR'" % where)
            value = spec_int(words[1], where, "check value")
            f.checks.append((value, " ".join(words[2:]), where))
            return
        if len(words) < 3:
            raise SpecError("%s: expected 'ARG KIND TYPE [SIZE]'" % where)
        name, kind, typ = words[:3]
        size = " ".join(words[3:]) or None
        if not name.isidentifier() or name.endswith("_") or \
                name.startswith("p_"):
            raise SpecError("%s: '%s' is not an argument name (an "
                            "identifier, not ending in '_' nor starting "
                            "with 'p_')" % (where, name))
        if any(a.name == name for a in f.args):
            raise SpecError("%s: argument '%s' declared twice"
                            % (where, name))
        if kind not in KINDS:
            raise SpecError("%s: unknown kind '%s' (have %s)"
                            % (where, kind, ", ".join(KINDS)))
        types = BUF_TYPES if kind in ("in", "out", "inout") else TYPES
        if kind == "string":
            if typ != "char":
                raise SpecError("%s: a string's type is 'char'" % where)
        elif typ not in types:
            raise SpecError("%s: unknown type '%s' for a %s (have %s)"
                            % (where, typ, kind, ", ".join(types)))
        if kind in ("in", "out", "inout"):
            if size is None:
                raise SpecError("%s: buffer '%s' needs a size rule"
                                % (where, name))
        elif size is not None:
            raise SpecError("%s: only buffers have a size rule" % where)
        f.args.append(CArg(name, kind, typ, size, where))


def check_fn(f):
    """What the parser cannot know until the fn ends."""
    if "id" not in f.keys:
        raise SpecError("%s: fn %s has no id=" % (f.where, f.name))
    try:
        n = int(f.keys["id"], 0)
    except ValueError:
        n = -1
    if not 1 <= n <= 65535:
        raise SpecError("%s: fn %s: id must be 1 to 65535 (the op's "
                        "number in the namespace)" % (f.where, f.name))
    f.local_id = n
    if f.ret != "void" and f.ret not in TYPES:
        raise SpecError("%s: fn %s: unknown ret type '%s' (have void, %s)"
                        % (f.where, f.name, f.ret, ", ".join(TYPES)))
    if f.checks and f.ret == "void":
        raise SpecError("%s: fn %s returns nothing: a check has no value "
                        "to return" % (f.checks[0][2], f.name))
    if "flops" not in f.keys:
        raise SpecError("%s: fn %s has no flops= (its cost, weighed "
                        "against VACCEL_SHIM_MIN_FLOPS)" % (f.where, f.name))


def user_opid(ns, n):
    """vaccel_user_opid(): the id of op n of namespace ns."""
    return 0x80000000 | (fnv1a(ns, 32) & 0x7FFF) << 16 | n


def funcs(api):
    if not api.namespace:
        raise SpecError("%s: a C family spec needs a 'namespace NAME' line "
                        "(its op ids are the namespace's)" % api.where)
    seen = {}
    for f in api.routines:
        check_fn(f)
        if f.local_id in seen:
            raise SpecError("%s: fn %s: id %d is fn %s's"
                            % (f.where, f.name, f.local_id,
                               seen[f.local_id]))
        seen[f.local_id] = f.name
        f.op_id = user_opid(api.namespace, f.local_id)
        f.op_name = "%s.%s" % (api.namespace, f.name)
    return api.routines


def classes():
    return ["all"]


def wire_args(f):
    """[(name, kind, wire type, size, CArg)]: the fn's arguments in
    order, then each ref's value back, then the return value."""
    out = []
    for a in f.args:
        if a.kind in ("scalar", "ref"):
            out.append((a.name, "scalar", TYPES[a.type][1], None, a))
        elif a.kind == "string":
            out.append((a.name, "string", "u8", None, a))
        else:
            out.append((a.name, a.kind, BUF_TYPES[a.type][1], a.size, a))
    for a in f.args:
        if a.kind == "ref":
            out.append((a.name + "_out", "out", TYPES[a.type][1], "1", a))
    if f.ret != "void":
        out.append(("ret_", "out", TYPES[f.ret][1], "1", None))
    return out


def ffi_ops(api, op_cls, arg_cls):
    ops = []
    for f in funcs(api):
        op = op_cls(f.op_name, f.op_id, list(f.words), f.where)
        for name, kind, typ, size, a in wire_args(f):
            op.args.append(arg_cls(name, kind, typ, size,
                                   a.where if a else f.where))
        ops.append(op)
    return ops


# ---- C ---------------------------------------------------------------------

def c_param(a):
    if a.kind == "scalar":
        return "%s p_%s" % (TYPES[a.type][0], a.name)
    if a.kind == "string":
        return "const char *p_%s" % a.name
    ct = (BUF_TYPES if a.kind != "ref" else TYPES)[a.type][0]
    const = "const " if a.kind == "in" else ""
    return "%s%s *p_%s" % (const, ct, a.name)


def c_proto(f):
    rt = TYPES[f.ret][0] if f.ret != "void" else "void"
    return (rt, [c_param(a) for a in f.args] or ["void"],
            ["p_%s" % a.name for a in f.args])


class Flops(ast.NodeVisitor):
    """The cost formula as C over the wrapper's parameters (doubles); a
    ref's value is 0 while its pointer is NULL."""

    def __init__(self, f):
        self.f = f
        self.args = {a.name: a for a in f.args
                     if a.kind in ("scalar", "ref")}

    def fail(self, msg):
        raise SpecError("%s: fn %s: flops: %s" % (self.f.where, self.f.name,
                                                  msg))

    def visit_Constant(self, node):
        if isinstance(node.value, bool) or \
                not isinstance(node.value, (int, float)):
            self.fail("only numbers are allowed")
        return "%r" % float(node.value)

    def visit_Name(self, node):
        a = self.args.get(node.id)
        if a is None:
            self.fail("'%s' is not a scalar or ref argument" % node.id)
        if a.kind == "ref":
            return "(p_%s ? (double)*p_%s : 0.0)" % (a.name, a.name)
        return "(double)p_%s" % a.name

    def visit_BinOp(self, node):
        ops = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
        if type(node.op) not in ops:
            self.fail("operator not allowed (have + - * /)")
        return "(%s %s %s)" % (self.visit(node.left), ops[type(node.op)],
                               self.visit(node.right))

    def visit_Call(self, node):
        if not isinstance(node.func, ast.Name) or \
                node.func.id not in ("max", "min") or len(node.args) != 2:
            self.fail("only max(a, b) and min(a, b) are allowed")
        return "shim_%s(%s, %s)" % (node.func.id, self.visit(node.args[0]),
                                    self.visit(node.args[1]))

    def generic_visit(self, node):
        self.fail("'%s' not allowed" % type(node).__name__)


def flops_c(f):
    try:
        tree = ast.parse(f.keys["flops"], mode="eval").body
    except SyntaxError as e:
        raise SpecError("%s: fn %s: flops: %s" % (f.where, f.name, e.msg)) \
            from None
    return Flops(f).visit(tree)


def check_op(cx, f):
    """The op the checks compile over: the wire op (scalars, refs' values
    and buffers by name)."""
    op = cx.op_cls(f.op_name, f.op_id, [], f.where)
    for name, kind, typ, size, a in wire_args(f):
        op.args.append(cx.arg_cls(name, kind, typ, size,
                                  a.where if a else f.where))
    return op


def check_c(cx, f):
    """chk_NAME(a): 0, or 1 and *ret the library's answer to a call whose
    arguments its own checks refuse."""
    rt = TYPES[f.ret][0] if f.ret != "void" else "int"
    out = ["static int chk_%s(const struct vaccel_oparg *a, %s *ret)\n{\n"
           "\t(void)a;\n\t(void)ret;\n" % (f.name, rt)]
    op = check_op(cx, f)
    for value, text, where in f.checks:
        try:
            tree = ast.parse(text, mode="eval").body
        except SyntaxError as e:
            raise SpecError("%s: check: %s" % (where, e.msg)) from None
        e = cx.compile(op, tree, where)
        out.append("\tif (%s) {\n\t\t*ret = (%s)%d;\n\t\treturn 1;\n\t}\n"
                   % (e, rt, value))
    out.append("\treturn 0;\n}\n\n")
    return "".join(out)


def shim_prelude(fs, cx):
    out = ["/* the C family: every function in one class, 'all' */\n"
           "struct shim_c_fn {\n\tint unused;\n};\n\n"
           "const struct shim_family shim_c_family = {\n"
           '\t.name = "c",\n'
           '\t.classes_env = "VACCEL_SHIM_%s_CLASSES",\n'
           '\t.default_classes = "all",\n};\n\n'
           % fs[0].api.name.upper() if fs else ""]
    out += [check_c(cx, f) for f in fs if f.checks]
    return "".join(out)


def shim_wrapper(f, opmap):
    rt, params, names = c_proto(f)
    # interposer.gen_shim adds its own parameters after these
    if params == ["void"]:
        params = []
    wa = wire_args(f)
    body = ["struct vaccel_oparg a[%d];" % len(wa),
            "memset(a, 0, sizeof(a));"]
    refs = []
    for i, (name, kind, typ, size, a) in enumerate(wa):
        if a is None:
            body.append("a[%d].buf = &r_;" % i)
        elif kind == "scalar" and a.kind == "ref":
            body.append("if (!p_%s)" % a.name)
            body.append("\treturn -1; /* the library's own answer */")
            body.append("a[%d].v.%s = *p_%s;" % (i, TYPES[a.type][2],
                                                 a.name))
        elif kind == "scalar":
            body.append("a[%d].v.%s = p_%s;" % (i, TYPES[a.type][2], a.name))
        elif kind == "string":
            body.append("if (!p_%s)" % a.name)
            body.append("\treturn -1;")
            body.append("a[%d].buf = (void *)p_%s;" % (i, a.name))
            body.append("a[%d].len = strlen(p_%s);" % (i, a.name))
        elif kind == "out" and a.kind == "ref":
            refs.append((i, a))
            body.append("%s v_%s = 0;" % (TYPES[a.type][0], a.name))
            body.append("a[%d].buf = &v_%s;" % (i, a.name))
        else:
            body.append("a[%d].buf = (void *)p_%s;" % (i, a.name))
    if f.checks:
        body.append("if (chk_%s(a, &r_)) {" % f.name)
        body.append("\tshim_stats()->c[f - shim_fns][SHIM_C_ERRORS]++;")
        body.append("\treturn r_;")
        body.append("}")
    body.append("if (shim_call(f, UINT32_C(0x%08x), a, %d, cost) == 0) {"
                % (f.op_id, len(wa)))
    for i, a in refs:
        body.append("\t*p_%s = v_%s;" % (a.name, a.name))
    body.append("\treturn%s;" % (" r_" if rt != "void" else ""))
    body.append("}")
    return (rt, params, names, body, flops_c(f),
            lambda cost: "SHIM_WANTS(f, %s)" % (cost or flops_c(f)), 0,
            "{ 0 }")


# ---- the host plugin -------------------------------------------------------

def host_fn(f):
    rt, params, names = c_proto(f)
    wa = wire_args(f)
    out = ["typedef %s host_%s_t(%s);\nstatic host_%s_t *fp_%s;\n\n"
           % (rt, f.name, ", ".join(params), f.name, f.name)]
    out.append("static int op_%s(void *priv, struct vaccel_session *sess,\n"
               "\t\tconst struct vaccel_op_desc *op, "
               "struct vaccel_oparg *a)\n{\n"
               "\t(void)priv;\n\t(void)sess;\n\t(void)op;\n" % f.name)
    if f.checks:
        out.append("\t%s refused;\n\tif (chk_%s(a, &refused))\n"
                   "\t\treturn VACCEL_EINVAL;\n" % (rt, f.name))
    call = []
    back = []
    for i, (name, kind, typ, size, a) in enumerate(wa):
        if a is None or (kind == "out" and a.kind == "ref"):
            continue
        if a.kind == "ref":
            ct = TYPES[a.type][0]
            out.append("\t%s v_%s = (%s)a[%d].v.%s;\n"
                       % (ct, a.name, ct, i, TYPES[a.type][2]))
            call.append("&v_%s" % a.name)
            j = next(k for k, w in enumerate(wa)
                     if w[0] == a.name + "_out")
            back.append("\tmemcpy(a[%d].buf, &v_%s, sizeof(v_%s));\n"
                        % (j, a.name, a.name))
        elif kind == "scalar":
            ct = TYPES[a.type][0]
            call.append("(%s)a[%d].v.%s" % (ct, i, TYPES[a.type][2]))
        elif kind == "string":
            call.append("(const char *)a[%d].buf" % i)
        else:
            call.append("(%s *)a[%d].buf" % (BUF_TYPES[a.type][0], i))
    if rt != "void":
        out.append("\t%s r = fp_%s(%s);\n" % (rt, f.name, ", ".join(call)))
        back.append("\tmemcpy(a[%d].buf, &r, sizeof(r));\n" % (len(wa) - 1))
    else:
        out.append("\tfp_%s(%s);\n" % (f.name, ", ".join(call)))
    out += back
    out.append("\treturn VACCEL_OK;\n}\n\n")
    return "".join(out)


def gen_host(api, cx, banner, ops_header):
    """The host side: a plugin that registers the api's ops, opens the
    libraries of the spec's host lines (each function from the first that
    has it; it declines at load without any, or a function in none) and
    calls each function with the arguments the agent has checked against the
    generated descriptors, after the spec's own checks."""
    fs = funcs(api)
    name = api.name
    out = [banner, "/* SPDX-License-Identifier: Apache-2.0 */\n",
           '#include "%s"\n#include "vsz.h"\n#include <dlfcn.h>\n'
           "#include <string.h>\n#include <vaccel/remote.h>\n\n"
           % ops_header]
    out += [check_c(cx, f) for f in fs if f.checks]
    out += [host_fn(f) for f in fs]
    libs = api.hosts or api.sonames
    if not libs:
        raise SpecError("%s: no 'host' or 'soname' line: the host plugin "
                        "has no library to open" % api.where)
    nl = len(libs)
    out.append("static const char *const libs[%d] = {\n" % nl)
    out += ['\t"%s",\n' % lib for lib in libs]
    out.append("};\n/* those that loaded */\nstatic void *handles[%d];\n\n"
               % nl)
    out.append("static void host_fini(void *priv)\n{\n\t(void)priv;\n"
               "\tfor (unsigned int i = 0; i < %d; i++) {\n"
               "\t\tif (handles[i])\n\t\t\tdlclose(handles[i]);\n"
               "\t\thandles[i] = NULL;\n\t}\n}\n\n" % nl)
    out.append("/* name from the first of the libraries that has it */\n"
               "static void *find(const char *name)\n{\n"
               "\tvoid *p = NULL;\n"
               "\tfor (unsigned int i = 0; !p && i < %d; i++)\n"
               "\t\tp = handles[i] ? dlsym(handles[i], name) : NULL;\n"
               "\tif (!p)\n\t\tvaccel_log(VACCEL_LOG_ERROR, \"%s\",\n"
               "\t\t\t   \"no library of the spec's has %%s\", name);\n"
               "\treturn p;\n}\n\n" % (nl, name))
    out.append("static int host_init(void *priv)\n{\n"
               "\tint ret = %s_ops_register();\n\tif (ret)\n\t\treturn ret;\n"
               "\tbool any = false;\n"
               "\tfor (unsigned int i = 0; i < %d; i++) {\n"
               "\t\thandles[i] = dlopen(libs[i], RTLD_NOW | RTLD_LOCAL);\n"
               "\t\tany = any || handles[i];\n\t}\n"
               "\tif (!any) {\n\t\tvaccel_log(VACCEL_LOG_ERROR, \"%s\",\n"
               "\t\t\t   \"cannot open %%s: %%s\", libs[0], dlerror());\n"
               "\t\treturn VACCEL_ENOENT;\n\t}\n" % (name, nl, name))
    for f in fs:
        out.append("\t*(void **)&fp_%s = find(\"%s\");\n" % (f.name, f.symbol))
    out.append("\tif (%s) {\n\t\thost_fini(priv);\n"
               "\t\treturn VACCEL_ENOENT;\n\t}\n\treturn VACCEL_OK;\n}\n\n"
               % " || ".join("!fp_%s" % f.name for f in fs))
    out.append("static const struct vaccel_plugin_op host_ops[] = {\n")
    out += ["\t{UINT32_C(0x%08x), op_%s},\n" % (f.op_id, f.name) for f in fs]
    out.append("};\n\n")
    out.append('VACCEL_PLUGIN_DEFINE(.name = "%s", .version = "1",\n'
               "\t\t     .type = VACCEL_PLUGIN_CPU | VACCEL_PLUGIN_GENERIC,\n"
               "\t\t     .init = host_init, .fini = host_fini,\n"
               "\t\t     .ops = host_ops,\n"
               "\t\t     .nr_ops = sizeof(host_ops) / sizeof(host_ops[0]));\n"
               % name)
    return "".join(out)


def gen_shim_extra(api, ops_header):
    """What the shim adds to interposer.gen_shim's source: the ops
    registered before any call."""
    return ('#include "%s"\n\n'
            "__attribute__((constructor)) static void register_ops(void)\n"
            "{\n\tif (%s_ops_register())\n"
            '\t\tshim_say("cannot register the %s ops: every call runs '
            'locally");\n}\n' % (ops_header, api.name, api.namespace))
