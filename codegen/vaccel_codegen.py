#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""vaccel-codegen: turns the op spec (codegen/specs/ops.spec) and the
interposer specs (codegen/specs/<api>.spec) into C.

  vaccel_codegen.py ops OPS.spec [API.spec...] --header OUT.h
                    --internal-header OUT_INTERNAL.h --source OUT.c
                    --fill-header OUT_FILL.h
  vaccel_codegen.py shim --ops OPS.spec API.spec... --source OUT.c
  vaccel_codegen.py ffi --ops OPS.spec API.spec... --source OUT.c
  vaccel_codegen.py lint OPS.spec API.spec...

`ops`: the op id enum, per-op argument indices, the spec's named constants
and the op descriptor table (argument kinds, types, size rules compiled to
overflow-checked C, signature hashes), including the ops the interposer
specs generate. `shim`: an api's LD_PRELOAD interposer functions. `ffi`:
the host executor's call table. `lint`: parse and generate everything,
write nothing. An api spec file without an `api` line continues the
previous one. Standard library only.
"""

import argparse
import ast
import os
import sys

import interposer

KINDS = {
    "scalar": "VACCEL_ARGK_SCALAR",
    "in": "VACCEL_ARGK_IN",
    "out": "VACCEL_ARGK_OUT",
    "inout": "VACCEL_ARGK_INOUT",
    "string": "VACCEL_ARGK_STRING",
    "resource": "VACCEL_ARGK_RESOURCE",
    "args_in": "VACCEL_ARGK_ARGS_IN",
    "args_out": "VACCEL_ARGK_ARGS_OUT",
    "tensors_in": "VACCEL_ARGK_TENSORS_IN",
    "tensors_out": "VACCEL_ARGK_TENSORS_OUT",
}
BUFFER_KINDS = ("in", "out", "inout")
TYPES = {
    "u8": "VACCEL_ARGT_U8",
    "i32": "VACCEL_ARGT_I32",
    "u32": "VACCEL_ARGT_U32",
    "i64": "VACCEL_ARGT_I64",
    "u64": "VACCEL_ARGT_U64",
    "f32": "VACCEL_ARGT_F32",
    "f64": "VACCEL_ARGT_F64",
    "c64": "VACCEL_ARGT_C64",
    "c128": "VACCEL_ARGT_C128",
    "prec": "VACCEL_ARGT_PREC",
    "raw": "VACCEL_ARGT_RAW",
}
INT_TYPES = ("i32", "u32", "i64", "u64")
FLAGS = {"idempotent": "VACCEL_OPF_IDEMPOTENT"}
FUNCS = {"mat": 4, "vec": 2, "max": 2, "min": 2}


class SpecError(Exception):
    pass


class Arg:
    def __init__(self, name, kind, typ, size, line, unread=None):
        self.name, self.kind, self.type, self.size, self.line = (
            name, kind, typ, size, line)
        # inout only: a condition under which the op overwrites the whole
        # buffer without reading it (it then travels one way)
        self.unread = unread


class Op:
    def __init__(self, name, opid, flags, line):
        self.name, self.id, self.flags, self.line = name, opid, flags, line
        self.args = []
        # the vAccel op type (VACCEL_OP_<vaccel>) this op is, if any
        self.vaccel = None
        # what a call costs (real flops; a typed op's, from its routine's
        # flops=), an expression over the op's arguments; None: the
        # core weighs the call by its buffers' bytes
        self.cost = None


def parse_spec(path):
    consts, ops = {}, []
    cur = None
    with open(path, encoding="utf-8") as f:
        lines = f.readlines()
    for no, raw in enumerate(lines, 1):
        where = "%s:%d" % (path, no)
        text = raw.split("#", 1)[0].rstrip()
        if not text.strip():
            continue
        indented = text[0] in " \t"
        words = text.split()
        if not indented and words[0] == "const":
            if len(words) != 3 or not words[1].isidentifier():
                raise SpecError("%s: expected 'const NAME VALUE'" % where)
            try:
                consts[words[1]] = int(words[2], 0)
            except ValueError:
                raise SpecError("%s: constant %s is not an integer"
                                % (where, words[1])) from None
            cur = None
        elif not indented and words[0] == "op":
            if len(words) < 3 or not words[1].isidentifier():
                raise SpecError("%s: expected 'op NAME ID [flag...]'" % where)
            opid = interposer.spec_int(words[2], where, "op id")
            if not 0 <= opid < 65536:
                raise SpecError("%s: op id %d out of range 0..65535"
                                % (where, opid))
            flags, vtype = [], None
            for fl in words[3:]:
                if fl.startswith("vaccel="):
                    vtype = fl[len("vaccel="):]
                    if not vtype.isidentifier() or vtype != vtype.upper():
                        raise SpecError("%s: vaccel= takes one of vAccel's "
                                        "op types (BLAS_SGEMM)" % where)
                    if any(o.vaccel == vtype for o in ops):
                        raise SpecError("%s: vAccel op type %s is already "
                                        "an op's" % (where, vtype))
                elif fl not in FLAGS:
                    raise SpecError("%s: unknown flag '%s'" % (where, fl))
                else:
                    flags.append(fl)
            cur = Op(words[1], opid, flags, where)
            cur.vaccel = vtype
            ops.append(cur)
        elif indented and cur is not None:
            if len(words) < 3:
                raise SpecError("%s: expected 'ARG KIND TYPE [SIZE]'" % where)
            name, kind, typ = words[0], words[1], words[2]
            size, unread = interposer.split_unread(
                " ".join(words[3:]) or None, kind, where)
            if not name.isidentifier():
                raise SpecError("%s: bad argument name '%s'" % (where, name))
            if kind not in KINDS:
                raise SpecError("%s: unknown kind '%s'" % (where, kind))
            if typ not in TYPES:
                raise SpecError("%s: unknown type '%s'" % (where, typ))
            if kind in BUFFER_KINDS and size is None:
                raise SpecError("%s: buffer '%s' needs a size rule"
                                % (where, name))
            if kind not in BUFFER_KINDS and size is not None:
                raise SpecError("%s: only buffers take a size rule" % where)
            if typ == "raw" and kind not in ("tensors_in", "tensors_out"):
                raise SpecError("%s: only tensor lists can be of type raw"
                                % where)
            if kind == "scalar" and typ in ("prec", "u8"):
                raise SpecError("%s: scalar '%s' cannot be of type %s"
                                % (where, name, typ))
            if any(a.name == name for a in cur.args):
                raise SpecError("%s: duplicate argument '%s'" % (where, name))
            cur.args.append(Arg(name, kind, typ, size, where, unread))
        else:
            raise SpecError("%s: unexpected line" % where)
    seen_ids, seen_names = {}, {}
    for op in ops:
        if op.id in seen_ids:
            raise SpecError("%s: op id %d already used by '%s'"
                            % (op.line, op.id, seen_ids[op.id]))
        if op.name in seen_names:
            raise SpecError("%s: op '%s' declared twice" % (op.line, op.name))
        seen_ids[op.id], seen_names[op.name] = op.name, op.name
        if any(a.type == "prec" for a in op.args) and not any(
                a.name == "prec" and a.kind == "scalar" for a in op.args):
            raise SpecError("%s: op '%s' uses type prec without a prec "
                            "scalar" % (op.line, op.name))
    return consts, ops


class SizeCompiler(ast.NodeVisitor):
    """Compiles one size rule to a C expression over int64_t where any
    negative intermediate (a negative input or an overflow) poisons the
    result to -1, so the caller only checks the sign at the end."""

    def __init__(self, op, arg, consts):
        self.op, self.arg, self.consts = op, arg, consts
        self.scalars, self.floats = {}, {}
        for i, a in enumerate(op.args):
            if a.kind == "scalar" and a.type in INT_TYPES:
                self.scalars[a.name] = i
            elif a.kind == "scalar":
                self.floats[a.name] = (i, a.type)

    def float_zero(self, name):
        """C test that float scalar `name` is zero (both parts)."""
        i, t = self.floats[name]
        if t in ("f32", "f64"):
            return "(a[%d].v.%s == 0)" % (i, t)
        return "(a[%d].v.%s[0] == 0 && a[%d].v.%s[1] == 0)" % (i, t, i, t)

    def fail(self, msg):
        raise SpecError("%s: size of '%s': %s" % (self.arg.line,
                                                  self.arg.name, msg))

    def compile(self, text):
        if isinstance(text, ast.AST):
            return self.visit(text)
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as e:
            self.fail("syntax error: %s" % e.msg)
        return self.visit(tree.body)

    def visit_Constant(self, node):
        if not isinstance(node.value, int) or isinstance(node.value, bool):
            self.fail("only integer constants are allowed")
        return "INT64_C(%d)" % node.value

    def visit_UnaryOp_neg(self, node):
        if (isinstance(node.op, ast.USub)
                and isinstance(node.operand, ast.Constant)):
            return self.visit_Constant(ast.Constant(-node.operand.value))
        return None

    def visit_Name(self, node):
        if node.id in self.scalars:
            return "vsz_arg(&a[%d])" % self.scalars[node.id]
        if node.id in self.consts:
            return "INT64_C(%d)" % self.consts[node.id]
        self.fail("'%s' is neither an integer scalar of the op nor a "
                  "constant" % node.id)

    def visit_BinOp(self, node):
        ops = {ast.Add: "vsz_add", ast.Mult: "vsz_mul", ast.Sub: "vsz_sub",
               ast.FloorDiv: "vsz_div"}
        fn = ops.get(type(node.op))
        if fn is None:
            self.fail("operator not allowed")
        return "%s(%s, %s)" % (fn, self.visit(node.left),
                               self.visit(node.right))

    def visit_Compare(self, node):
        if (isinstance(node.left, ast.Name) and node.left.id in self.floats
                and len(node.ops) == 1
                and type(node.ops[0]) in (ast.Eq, ast.NotEq)
                and isinstance(node.comparators[0], ast.Constant)
                and node.comparators[0].value == 0):
            z = self.float_zero(node.left.id)
            return "(int64_t)%s%s" % ("!" if isinstance(node.ops[0],
                                                       ast.NotEq) else "", z)
        ops = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=",
               ast.Gt: ">", ast.GtE: ">="}
        parts, left = [], self.visit(node.left)
        for op, right in zip(node.ops, node.comparators):
            if type(op) not in ops:
                self.fail("comparison not allowed")
            r = self.visit(right)
            parts.append("(%s %s %s)" % (left, ops[type(op)], r))
            left = r
        return "(int64_t)(%s)" % " && ".join(parts)

    def visit_BoolOp(self, node):
        j = " && " if isinstance(node.op, ast.And) else " || "
        return "(int64_t)(%s)" % j.join("(%s)" % self.visit(v)
                                        for v in node.values)

    def visit_UnaryOp(self, node):
        neg = self.visit_UnaryOp_neg(node)
        if neg is not None:
            return neg
        if isinstance(node.op, ast.Not):
            return "(int64_t)!(%s)" % self.visit(node.operand)
        self.fail("unary operator not allowed")

    def visit_IfExp(self, node):
        return "((%s) ? %s : %s)" % (self.visit(node.test),
                                     self.visit(node.body),
                                     self.visit(node.orelse))

    def visit_Call(self, node):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCS:
            self.fail("unknown function (have %s)" % ", ".join(FUNCS))
        if len(node.args) != FUNCS[node.func.id] or node.keywords:
            self.fail("%s() takes %d arguments" % (node.func.id,
                                                   FUNCS[node.func.id]))
        return "vsz_%s(%s)" % (node.func.id,
                               ", ".join(self.visit(a) for a in node.args))

    def generic_visit(self, node):
        self.fail("'%s' not allowed in a size rule" % type(node).__name__)


# Emitted once at the top of the descriptor source: the layout helpers that
# the generated layout functions end in.
LAYOUT_HELPERS = """\
/* A layout function's answer when the size rule chose something that is
 * not one matrix or vector (no elements, packed storage): the whole span. */
#define VLY_WHOLE 1

/* An n-vector with stride inc: n blocks of one element, |inc| apart. */
static inline int vly_vec(struct vaccel_layout *l, int64_t n, int64_t inc)
{
	if (n <= 0 || inc == INT64_MIN)
		return VLY_WHOLE;
	*l = (struct vaccel_layout){.count = (uint64_t)n,
				    .block = 1,
				    .stride = (uint64_t)(inc < 0 ? -inc : inc)};
	return 0;
}

/* A rows x cols matrix with leading dimension ld in CBLAS `layout`: a
 * block per column (COL) or per row (ROW), ld apart. */
static inline int vly_mat(struct vaccel_layout *l, int64_t layout,
			  int64_t ld, int64_t rows, int64_t cols)
{
	if (rows <= 0 || cols <= 0 || ld < 0 ||
	    (layout != VACCEL_SPEC_ROW && layout != VACCEL_SPEC_COL))
		return VLY_WHOLE;
	bool col = layout == VACCEL_SPEC_COL;
	*l = (struct vaccel_layout){.count = (uint64_t)(col ? cols : rows),
				    .block = (uint64_t)(col ? rows : cols),
				    .stride = (uint64_t)ld};
	return 0;
}

"""


def has_layout(node):
    """Whether some branch of size rule `node` is one mat() or vec()."""
    if isinstance(node, ast.IfExp):
        return has_layout(node.body) or has_layout(node.orelse)
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in ("mat", "vec"))


def layout_body(cc, node, depth=1):
    """C statements of a layout function for size rule `node`: the size
    rule's conditionals (compiled as the size rule compiles them), so the
    layout follows the branch the span does, each branch ending in the
    mat() or vec() it takes, or VLY_WHOLE for anything else."""
    tab = "\t" * depth
    if isinstance(node, ast.IfExp):
        body = layout_body(cc, node.body, depth + 1)
        if isinstance(node.body, ast.IfExp):
            body = " {\n%s%s}\n" % (body, tab)
        else:
            body = "\n" + body
        return "%sif (%s)%s%s" % (tab, cc.visit(node.test), body,
                                  layout_body(cc, node.orelse, depth))
    if has_layout(node):
        return "%sreturn vly_%s(l, %s);\n" % (tab, node.func.id, ", ".join(
            cc.visit(a) for a in node.args))
    return "%sreturn VLY_WHOLE;\n" % tab


def size_tree(size):
    if isinstance(size, ast.AST):
        return size
    return ast.parse(size, mode="eval").body


def size_text(size):
    if isinstance(size, ast.AST):
        return ast.unparse(size)
    return " ".join((size or "").split())


def signature(op):
    parts = ["%s/%d" % (op.name, op.id)]
    for a in op.args:
        parts.append("%s:%s:%s:%s" % (a.name, a.kind, a.type,
                                      size_text(a.size)))
        if a.unread:
            parts[-1] += ":unread_if %s" % size_text(a.unread)
    return ";".join(parts)


def banner(spec):
    if isinstance(spec, (list, tuple)):
        spec = " ".join(os.path.basename(s) for s in spec)
    else:
        spec = os.path.basename(spec)
    return ("/* DO NOT EDIT: generated by codegen/vaccel_codegen.py from "
            "codegen/specs/ %s */\n" % spec)


def positions(ops):
    out = []
    for op in ops:
        out.append("enum {\n")
        for i, a in enumerate(op.args):
            out.append("\tVACCEL_%s_%s = %d,\n" % (op.name.upper(),
                                                  a.name.upper(), i))
        out.append("\tVACCEL_%s_NR_ARGS = %d,\n};\n" % (op.name.upper(),
                                                       len(op.args)))
    return out


def gen_header(spec, consts, ops, nr_public):
    """The installed header: the op spec's constants, and the ids and
    argument positions of its own ops (what vaccel_op_call callers use)."""
    public = ops[:nr_public]
    out = [banner(spec), "/* SPDX-License-Identifier: Apache-2.0 */\n",
           "#pragma once\n\n#include <stdint.h>\n\n"]
    out.append("/* Named constants of the op spec. */\n")
    for name, val in consts.items():
        out.append("#define VACCEL_SPEC_%s %d\n" % (name, val))
    out.append("\nenum vaccel_opid {\n")
    for op in public:
        out.append("\tVACCEL_OPID_%s = %d,\n" % (op.name.upper(), op.id))
    out.append("};\n\n/* Argument positions, VACCEL_<OP>_<ARG>. */\n")
    out += positions(public)
    return "".join(out)


def gen_internal_header(spec, ops, nr_public, public_name):
    """The in-tree header: every op (the interposers' ffi ops too), the
    op list and the id bound. Not installed: programs never use them."""
    ffi = ops[nr_public:]
    out = [banner(spec), "/* SPDX-License-Identifier: Apache-2.0 */\n",
           '#pragma once\n\n#include "%s"\n\n' % public_name]
    out.append("/* X(name, NAME, id) for every op, in spec order. */\n")
    out.append("#define VACCEL_OPS_LIST(X) \\\n")
    for op in ops:
        out.append("\tX(%s, %s, %d) \\\n" % (op.name, op.name.upper(), op.id))
    out.append("\t/* end */\n\n")
    if ffi:
        out.append("/* The interposers' ffi ops. */\nenum vaccel_ffi_opid {\n")
        for op in ffi:
            out.append("\tVACCEL_OPID_%s = %d,\n" % (op.name.upper(), op.id))
        out.append("};\n\n")
    out.append("#define VACCEL_OPID_LIMIT %d\n" % (max(o.id for o in ops) + 1))
    out.append("#define VACCEL_OPS_COUNT %d\n\n" % len(ops))
    if ffi:
        out.append("/* Argument positions, VACCEL_<OP>_<ARG>. */\n")
        out += positions(ffi)
    return "".join(out)


def cid(op):
    """The op's name as a C identifier (a user op's is NAMESPACE.fn)."""
    return op.name.replace(".", "_")


def size_fns(consts, ops, storage="static"):
    """size_<op>_<arg>(a): each sized buffer's element count from its
    rule (static inline where the fill header holds them, so that a
    caller with constant arguments folds them)."""
    out = []
    for op in ops:
        for a in op.args:
            if a.kind in BUFFER_KINDS and size_text(a.size) != "*":
                expr = SizeCompiler(op, a, consts).compile(a.size)
                out.append("%s int64_t size_%s_%s(const struct "
                           "vaccel_oparg *a)\n{\n\t(void)a;\n\treturn %s;\n}\n\n"
                           % (storage, cid(op), a.name, expr))
    return "".join(out)


def op_tables(consts, ops, sizes=True):
    """The per-op C of the descriptors: size (unless the fill header has
    them), layout and unread functions and each op's argument list
    (args_<op>)."""
    out = [LAYOUT_HELPERS, size_fns(consts, ops) if sizes else ""]
    layouts = set()
    for op in ops:
        for i, a in enumerate(op.args):
            # Only what the op writes needs a layout: it is what a client
            # writes back. An input's rule may give a span and no more
            # (gbmv's A: the rows of its last column, not of every one).
            if a.kind in ("out", "inout") and size_text(a.size) != "*":
                tree = size_tree(a.size)
                if has_layout(tree):
                    body = layout_body(SizeCompiler(op, a, consts), tree)
                    out.append("static int layout_%s_%s(const struct "
                               "vaccel_oparg *a,\n\t\tstruct vaccel_layout "
                               "*l)\n{\n%s}\n\n" % (cid(op), a.name, body))
                    layouts.add((op.name, a.name))
            if a.unread:
                expr = SizeCompiler(op, a, consts).compile(a.unread)
                out.append("static int unread_%s_%s(const struct "
                           "vaccel_oparg *a)\n{\n\treturn %s != 0;\n}\n\n"
                           % (cid(op), a.name, expr))
        if op.args:
            out.append("static const struct vaccel_op_argdesc args_%s[] = {\n"
                       % cid(op))
            for a in op.args:
                fn = "NULL"
                if a.kind in BUFFER_KINDS and size_text(a.size) != "*":
                    fn = "size_%s_%s" % (cid(op), a.name)
                unread = ", .unread = unread_%s_%s" % (cid(op), a.name) \
                    if a.unread else ""
                if (op.name, a.name) in layouts:
                    unread += ",\n\t  .layout = layout_%s_%s" % (cid(op),
                                                                 a.name)
                out.append('\t{ .name = "%s", .kind = %s, .type = %s, '
                           '.nelems = %s%s },\n'
                           % (a.name, KINDS[a.kind], TYPES[a.type], fn,
                              unread))
            out.append("};\n\n")
    return "".join(out)


def op_descs(ops):
    """The descriptor initializers, one line each."""
    out = []
    for op in ops:
        flags = " | ".join(FLAGS[f] for f in op.flags) or "0"
        prec = next((i for i, a in enumerate(op.args)
                     if a.name == "prec" and a.kind == "scalar"), -1)
        out.append('\t{ .id = UINT32_C(%d), .name = "%s", .nr_args = %d, '
                   '.args = %s, .flags = %s, .prec_arg = %d,\n'
                   '\t  .sig_hash = UINT64_C(0x%016x) },\n'
                   % (op.id, op.name, len(op.args),
                      ("args_%s" % cid(op)) if op.args else "NULL", flags,
                      prec, interposer.fnv1a(signature(op), 64)))
    return out


# bytes per element of each wire type (PREC: chosen by the `prec` scalar)
TYPE_SIZES = {"u8": 1, "i32": 4, "u32": 4, "i64": 8, "u64": 8, "f32": 4,
              "f64": 8, "c64": 8, "c128": 16, "raw": 1}


def sized_ops(ops):
    """The ops with a buffer whose length a rule gives."""
    return [op for op in ops
            if any(a.kind in BUFFER_KINDS and size_text(a.size) != "*"
                   for a in op.args)]


def fill_fns(ops):
    """Per op with sized buffers, fill_<op>(a): every such buffer's byte
    length from its rule, in one call (the size functions inline into
    it); VACCEL_EINVAL when a rule fails, overflows or a buffer of bytes
    is NULL. Static inline: the native API's wrappers call them directly
    with their constant arguments, the table in ops_gen.c through a
    pointer."""
    out = []
    for op in sized_ops(ops):
        sized = [(i, a) for i, a in enumerate(op.args)
                 if a.kind in BUFFER_KINDS and size_text(a.size) != "*"]
        out.append("static inline __attribute__((always_inline)) int\n"
                   "fill_%s(struct vaccel_oparg *a)\n{\n"
                   "\tint64_t n, bytes;\n" % cid(op))
        prec = next((i for i, a in enumerate(op.args)
                     if a.name == "prec" and a.kind == "scalar"), None)
        if any(a.type == "prec" for _, a in sized):
            out.append("\tstatic const uint8_t prec_size[4] = {4, 8, 8, 16};"
                       "\n\tint64_t ps = %s;\n"
                       % ("(uint64_t)a[%d].v.i < 4 ? prec_size[a[%d].v.i] : 0"
                          % (prec, prec) if prec is not None else "0"))
        for i, a in sized:
            es = "ps" if a.type == "prec" else str(TYPE_SIZES[a.type])
            out.append("\tn = size_%s_%s(a);\n"
                       "\tif (n < 0 || !%s || __builtin_mul_overflow(n, "
                       "(int64_t)%s, &bytes) ||\n\t    (bytes && !a[%d].buf))"
                       "\n\t\treturn VACCEL_EINVAL;\n"
                       "\ta[%d].len = (uint64_t)bytes;\n"
                       % (cid(op), a.name, es, es, i, i))
        out.append("\treturn VACCEL_OK;\n}\n\n")
    out.append("/* The fill of op id, VACCEL_OK for an op without one: a\n"
               " * constant id folds to its fill. */\n"
               "static inline __attribute__((always_inline)) int\n"
               "fill_op(uint32_t id, struct vaccel_oparg *a)"
               "\n{\n\tswitch (id) {\n")
    out += ["\tcase %d:\n\t\treturn fill_%s(a);\n" % (op.id, cid(op))
            for op in sized_ops(ops)]
    out.append("\tdefault:\n\t\t(void)a;\n\t\treturn VACCEL_OK;\n\t}\n}\n\n")
    return "".join(out)


def cost_fns(consts, ops):
    """Per op with a cost, cost_<op>(a): its flops (int64, saturated to
    INT64_MAX where the rule overflows or goes negative), complex
    precisions four times a real's; cost_op(id, a): the op's, -1 for an
    op that declares none."""
    out = []
    costed = [op for op in ops if op.cost is not None]
    for op in costed:
        cc = SizeCompiler(op, Arg("cost", "scalar", "i64", None, op.line),
                          consts)
        prec = next((i for i, a in enumerate(op.args)
                     if a.name == "prec" and a.kind == "scalar"), None)
        scale = ("\tif (c >= 0 && a[%d].v.i >= 2)\n\t\tc = vsz_mul(c, "
                 "INT64_C(4));\n" % prec) if prec is not None else ""
        out.append("static inline int64_t cost_%s(const struct vaccel_oparg "
                   "*a)\n{\n\tint64_t c = %s;\n%s"
                   "\treturn c < 0 ? INT64_MAX : c;\n}\n\n"
                   % (cid(op), cc.compile(op.cost), scale))
    out.append("/* The cost of a call of op id, -1 when the op declares "
               "none. */\nstatic inline int64_t\n"
               "cost_op(uint32_t id, const struct vaccel_oparg *a)\n{\n"
               "\tswitch (id) {\n")
    out += ["\tcase %d:\n\t\treturn cost_%s(a);\n" % (op.id, cid(op))
            for op in costed]
    out.append("\tdefault:\n\t\t(void)a;\n\t\treturn -1;\n\t}\n}\n\n")
    return "".join(out)


def fill_table(ops):
    """vaccel_op_fills_by_id: the fill of each op id that has one."""
    out = ["const vaccel_fill_fn vaccel_op_fills_by_id[%d] = {\n"
           % (max(o.id for o in ops) + 1)]
    out += ["\t[%d] = fill_%s,\n" % (op.id, cid(op)) for op in sized_ops(ops)]
    out.append("};\n\n")
    return "".join(out)


PACK_PARAMS = {"f32": "double", "f64": "double", "c64": "const float *",
               "c128": "const double *"}


def pack_fns(ops):
    """Per op whose arguments are scalars and sized buffers only,
    pack_<op>(vec, <its arguments in spec order>): each argument into the
    member its kind uses (op.h), nothing else: a scalar's buf and len and
    a buffer's v stay unset, and the buffers' lengths are the fill's to
    set. A complex scalar comes as a pointer to its two parts, NULL for
    zero. The native API's wrappers build their vectors with them: half
    the stores of a vector zeroed whole."""
    out = []
    for op in ops:
        if not op.args or any(
                a.kind not in ("scalar",) + BUFFER_KINDS or
                (a.kind != "scalar" and size_text(a.size) == "*")
                for a in op.args):
            continue
        if any(a.name == "vec" for a in op.args):
            raise SpecError("op %s: an argument named 'vec' clashes with "
                            "pack_%s's vector" % (op.name, cid(op)))
        params, body = [], []
        for i, a in enumerate(op.args):
            if a.kind != "scalar":
                params.append("const void *%s" % a.name)
                body.append("\tvec[%d].buf = (void *)%s;\n" % (i, a.name))
            elif a.type in ("c64", "c128"):
                params.append("%s%s" % (PACK_PARAMS[a.type], a.name))
                m = "v.%s" % a.type
                body.append("\tvec[%d].%s[0] = %s ? %s[0] : 0;\n"
                            "\tvec[%d].%s[1] = %s ? %s[1] : 0;\n"
                            % (i, m, a.name, a.name, i, m, a.name, a.name))
            elif a.type in ("f32", "f64"):
                params.append("double %s" % a.name)
                body.append("\tvec[%d].v.%s = %s%s;\n"
                            % (i, a.type, "(float)" if a.type == "f32"
                               else "", a.name))
            else:
                params.append("int64_t %s" % a.name)
                body.append("\tvec[%d].v.i = %s;\n" % (i, a.name))
        out.append("static inline __attribute__((always_inline)) void\n"
                   "pack_%s(struct vaccel_oparg *vec, %s)\n{\n%s}\n\n"
                   % (cid(op), ", ".join(params), "".join(body)))
    return "".join(out)


def check_switch(checked):
    """check_op(id, a, why): the op's argument check (-1: none, or
    passed; else the argument refused, *why what the check says)."""
    out = ["/* The argument check of op id: the index of the argument a\n"
           " * reference call would refuse, -1 when none (or the op has no\n"
           " * check). A constant id folds to its check. */\n"
           "static inline __attribute__((always_inline)) int\n"
           "check_op(uint32_t id, const struct vaccel_oparg *a, const char "
           "**why)\n{\n\tswitch (id) {\n"]
    out += ["\tcase %d:\n\t\treturn check_%s(a, why);\n" % (i, n)
            for n, i in checked]
    out.append("\tdefault:\n\t\t(void)a;\n\t\t(void)why;\n\t\treturn -1;"
               "\n\t}\n}\n\n")
    return "".join(out)


def gen_fill_header(spec, consts, ops, nr_public, checks):
    """The in-tree header of the size rules, the fill functions, the
    public ops' pack functions and the typed ops' argument checks, for
    ops_gen.c and the native API's wrappers. checks: (C, [(op, id)])."""
    return "".join([banner(spec), "/* SPDX-License-Identifier: Apache-2.0 */\n",
                    '#pragma once\n\n#include "vsz.h"\n#include <stdint.h>\n'
                    '#include <vaccel/error.h>\n#include <vaccel/remote/op.h>'
                    '\n\n', size_fns(consts, ops, "static inline"),
                    fill_fns(ops), cost_fns(consts, ops),
                    pack_fns(ops[:nr_public]), checks[0],
                    check_switch(checks[1])])


def check_table(ops, checked):
    """vaccel_op_checks_by_id: the argument check of each op id with one."""
    out = ["const vaccel_check_fn vaccel_op_checks_by_id[%d] = {\n"
           % (max(o.id for o in ops) + 1)]
    out += ["\t[%d] = check_%s,\n" % (i, n) for n, i in checked]
    out.append("};\n\n")
    return "".join(out)


def gen_source(spec, consts, ops, checked):
    out = [banner(spec), "/* SPDX-License-Identifier: Apache-2.0 */\n",
           '#include "op_desc.h"\n#include "ops_fill_gen.h"\n'
           '#include "vsz.h"\n#include <stdbool.h>\n'
           '#include <vaccel/error.h>\n\n',
           op_tables(consts, ops, sizes=False)]
    out.append("const struct vaccel_op_desc vaccel_op_descs[] = {\n")
    out += op_descs(ops)
    out.append("};\n\nconst unsigned int vaccel_op_descs_count = %d;\n\n"
               % len(ops))
    out.append(fill_table(ops))
    out.append(check_table(ops, checked))
    out.append("const struct vaccel_op_desc *const "
               "vaccel_op_descs_by_id[%d] = {\n" % (max(o.id for o in ops) + 1))
    for i, op in enumerate(ops):
        out.append("\t[%d] = &vaccel_op_descs[%d],\n" % (op.id, i))
    out.append("};\n\n/* vAccel's op types as ops (UINT32_MAX: none). */\n"
               "uint32_t vaccel_op_of_type(uint32_t type)\n{\n"
               "\tswitch (type) {\n")
    for op in ops:
        if op.vaccel:
            out.append("\tcase VACCEL_OP_%s:\n\t\treturn %d;\n"
                       % (op.vaccel, op.id))
    out.append("\tdefault:\n\t\treturn UINT32_MAX;\n\t}\n}\n")
    return "".join(out)


# ---- a user's spec, out of the tree -----------------------------------------

PROJECT_HELP = """\
Generates, in DIR, what a user's interposer spec (family c) needs out of
this tree, built against the installed libvaccel through pkg-config:

  API_ops.h, API_ops.c  the spec's ops: ids, argument positions,
                        descriptors, API_ops_register()
  API_shim.c            the guest's interposer: libvaccel-shim-API.so
  API_host.c            the host's plugin: libvaccel-API-host.so, which
                        `vaccel-agent --plugins PATH` loads
  meson.build           builds both (meson setup B DIR && ninja -C B)

The spec (docs/codegen.md, "The C family"):

  api NAME                    the shim's name: libvaccel-shim-NAME.so
  family c
  namespace NS                the ops' namespace: their ids and names NS.fn
  soname LIB...               the guest's library, where RTLD_NEXT fails
  host LIB...                 the host's libraries (each function from the
                              first that has it)

  fn NAME id=N ret=TYPE flops=EXPR [idempotent]
    ARG KIND TYPE [SIZE]      the function's arguments, in order
    check VALUE EXPR          the library's own check: VALUE is what it
                              returns for a call where EXPR holds

  N: 1 to 65535, never reused. KIND: scalar (by value), in, out, inout
  (pointers to SIZE elements), ref (a pointer to one value the function
  reads and writes), string (const char *, type char). TYPE: i32 u32 i64
  u64 f32 f64, and u8 for buffers; ret also void. SIZE and EXPR: Python
  syntax over the integer scalars and refs (+ - * // comparisons and or
  not, x if c else y, max, min, vec(n, inc)); flops also over floats.
"""


def load_user(api_specs):
    """One user api (family c): its ops and the check compiler."""
    apis = interposer.parse_apis(api_specs)
    if len(apis) != 1:
        raise SpecError("project takes the spec files of one api")
    api = apis[0]
    if api.family != "c":
        raise SpecError("%s: project generates family c specs (this one "
                        "is family %s)" % (api.family_where, api.family))
    if not api.name.isidentifier():
        raise SpecError("%s: api '%s' is not an identifier"
                        % (api.where, api.name))
    ops = interposer.ffi_ops(api, Op, Arg)
    if not ops:
        raise SpecError("%s: no fn declared" % api.where)
    return api, ops, interposer.CExpr(SizeCompiler, Op, Arg, {})


def gen_user_header(api, ops, b):
    up = api.name.upper()
    out = [b, "/* SPDX-License-Identifier: Apache-2.0 */\n#pragma once\n\n"
           "#include <stdint.h>\n#include <vaccel/remote/op.h>\n\n"
           "/* The ops of namespace %s. */\n" % api.namespace]
    for f, op in zip(interposer.api_funcs(api), ops):
        out.append("#define %s_OPID_%s UINT32_C(0x%08x)\n"
                   % (up, f.name.upper(), op.id))
    out.append("\n/* Argument positions, %s_<FN>_<ARG>. */\n" % up)
    for f, op in zip(interposer.api_funcs(api), ops):
        out.append("enum {\n")
        for i, a in enumerate(op.args):
            out.append("\t%s_%s_%s = %d,\n" % (up, f.name.upper(),
                                               a.name.upper(), i))
        out.append("\t%s_%s_NR_ARGS = %d,\n};\n" % (up, f.name.upper(),
                                                     len(op.args)))
    out.append("\n/* Make the ops known to libvaccel (vaccel_ops_register). "
               "*/\n__attribute__((visibility(\"hidden\"))) int "
               "%s_ops_register(void);\n" % api.name)
    return "".join(out)


def gen_user_source(api, ops, b, header):
    out = [b, "/* SPDX-License-Identifier: Apache-2.0 */\n",
           '#include "%s"\n#include "vsz.h"\n#include <stdbool.h>\n\n'
           % header, op_tables({}, ops)]
    out.append("static const struct vaccel_op_desc ops[] = {\n")
    out += op_descs(ops)
    out.append("};\n\nint %s_ops_register(void)\n{\n\treturn "
               "vaccel_ops_register(ops, sizeof(ops) / sizeof(ops[0]));"
               "\n}\n" % api.name)
    return "".join(out)


def gen_user_meson(api):
    n = api.name
    return """\
# Generated by vaccel-codegen from the %(n)s spec: the guest's shim and the
# host's plugin, against the installed libvaccel (pkg-config vaccel,
# vaccel-shim).
project('vaccel-%(n)s', 'c', default_options : ['c_std=gnu11'])
vaccel = dependency('vaccel')
shim_runtime = dependency('vaccel-shim')
cc = meson.get_compiler('c')
dl = cc.find_library('dl', required : false)
m = cc.find_library('m', required : false)
threads = dependency('threads')
ops = files('%(n)s_ops.c')

shared_library('vaccel-shim-%(n)s', '%(n)s_shim.c', ops,
  c_args : ['-fvisibility=hidden', '-ftls-model=initial-exec'],
  dependencies : [shim_runtime, vaccel, dl, m, threads],
  install : true)

# its descriptors stay registered while the agent runs: never unloaded
shared_module('vaccel-%(n)s-host', '%(n)s_host.c', ops,
  dependencies : [shim_runtime.partial_dependency(compile_args : true),
                  vaccel, dl],
  link_args : ['-Wl,-z,nodelete'],
  name_prefix : 'lib',
  install : true,
  install_dir : get_option('libdir') / 'vaccel')
""" % {"n": n}


def write_if_changed(path, text):
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except OSError:
        pass
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def check_ops(ops):
    seen_ids, seen_names = {}, {}
    for op in ops:
        if op.id in seen_ids:
            raise SpecError("%s: op id %d already used by '%s'"
                            % (op.line, op.id, seen_ids[op.id]))
        if op.name in seen_names:
            raise SpecError("%s: op '%s' declared twice" % (op.line, op.name))
        if not 0 <= op.id < 65536:
            raise SpecError("%s: op id %d out of range" % (op.line, op.id))
        seen_ids[op.id], seen_names[op.name] = op.name, op.name


def load(ops_spec, api_specs):
    """The constants, the ops (the public ones first, in id order: the op
    spec's and those the api specs declare; then the apis' ffi ops), the
    apis, the C expression compiler and how many ops are public."""
    consts, ops = parse_spec(ops_spec)
    if not ops:
        raise SpecError("%s: no op declared" % ops_spec)
    apis = interposer.parse_apis(api_specs) if api_specs else []
    for api in apis:
        interposer.bind_consts(api, consts)
        ops += interposer.typed_ops(api, Op, Arg)
    ops.sort(key=lambda o: o.id)
    nr_public = len(ops)
    for api in apis:
        ops += interposer.ffi_ops(api, Op, Arg)
    check_ops(ops)
    for api in apis:
        for lo, hi, where in api.retired:
            for op in ops:
                if lo <= op.id <= hi:
                    raise SpecError("%s: op '%s' takes id %d, retired at %s:"
                                    " an id once served is never reused"
                                    % (op.line, op.name, op.id, where))
    cx = interposer.CExpr(SizeCompiler, Op, Arg, consts)
    return consts, ops, apis, cx, nr_public


def main(argv):
    p = argparse.ArgumentParser(prog="vaccel-codegen", description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    o = sub.add_parser("ops", help="op id header and descriptor table")
    o.add_argument("spec")
    o.add_argument("apis", nargs="*")
    o.add_argument("--header", required=True)
    o.add_argument("--internal-header", required=True)
    o.add_argument("--source", required=True)
    o.add_argument("--fill-header", required=True)
    for name, hlp in (("shim", "an api's interposer source"),
                      ("ffi", "the host executor's call table")):
        o = sub.add_parser(name, help=hlp)
        o.add_argument("--ops", required=True)
        o.add_argument("apis", nargs="+")
        o.add_argument("--source", required=True)
    o = sub.add_parser("gen", help="another source a family generates "
                       "(opencv: shim-cxx, host, symcheck)")
    o.add_argument("what")
    o.add_argument("--ops", required=True)
    o.add_argument("apis", nargs="+")
    o.add_argument("--source", required=True)
    o = sub.add_parser("symbols", help="print the symbols of one api's "
                       "functions, one per line")
    o.add_argument("--ops", required=True)
    o.add_argument("apis", nargs="+")
    o = sub.add_parser("family", help="print the family of one api's "
                       "spec files (its runtime piece is shim/FAMILY/)")
    o.add_argument("apis", nargs="+")
    o = sub.add_parser("sonames", help="print the libraries of one api's "
                       "spec files (its soname lines), one per line")
    o.add_argument("apis", nargs="+")
    o = sub.add_parser("project", help="a user's spec (family c): the "
                       "shim, the host plugin and a build file, in DIR",
                       description=PROJECT_HELP,
                       formatter_class=argparse.RawTextHelpFormatter)
    o.add_argument("apis", nargs="+", metavar="SPEC")
    o.add_argument("--out", required=True, metavar="DIR")
    o = sub.add_parser("lint", help="check specs, write nothing")
    o.add_argument("spec")
    o.add_argument("apis", nargs="*")
    args = p.parse_args(argv)
    outputs = []
    try:
        if args.cmd == "family":
            print(interposer.parse_api(args.apis).family)
            return 0
        if args.cmd == "sonames":
            print("\n".join(interposer.parse_api(args.apis).sonames))
            return 0
        if args.cmd == "project":
            api, ops, cx = load_user(args.apis)
            b = ("/* DO NOT EDIT: generated by vaccel-codegen from %s */\n"
                 % " ".join(os.path.basename(p) for p in args.apis))
            header = "%s_ops.h" % api.name
            shim = interposer.gen_shim(api, ops, cx, b) + \
                api.fam.gen_shim_extra(api, header)
            outputs = [
                (header, gen_user_header(api, ops, b)),
                ("%s_ops.c" % api.name,
                 gen_user_source(api, ops, b, header)),
                ("%s_shim.c" % api.name, shim),
                ("%s_host.c" % api.name,
                 api.fam.gen_host(api, cx, b, header)),
                ("meson.build", gen_user_meson(api)),
            ]
            os.makedirs(args.out, exist_ok=True)
            outputs = [(os.path.join(args.out, p), t) for p, t in outputs]
        elif args.cmd in ("ops", "lint"):
            consts, ops, apis, cx, nr_public = load(args.spec, args.apis)
            allspecs = [args.spec] + args.apis
            checks = interposer.op_checks(apis, cx)
            source = gen_source(allspecs, consts, ops, checks[1])
            fill = gen_fill_header(allspecs, consts, ops, nr_public, checks)
            if args.cmd == "ops":
                header = gen_header(allspecs, consts, ops, nr_public)
                internal = gen_internal_header(
                    allspecs, ops, nr_public, os.path.basename(args.header))
                outputs = [(args.header, header),
                           (args.internal_header, internal),
                           (args.source, source),
                           (args.fill_header, fill)]
            else:
                for api in apis:
                    interposer.gen_shim(api, ops, cx, "")
                    for gen in getattr(api.fam, "OUTPUTS", {}).values():
                        gen(api, ops, "", cx)
                interposer.gen_ffi([a for a in apis
                                    if hasattr(a.fam, "ffi_entry")], cx,
                                   SizeCompiler, consts, Op, Arg, "")
                nf = sum(len(interposer.api_funcs(a)) for a in apis)
                print("vaccel-codegen: %d ops, %d apis, %d functions: ok"
                      % (len(ops), len(apis), nf))
        else:
            consts, ops, apis, cx, _ = load(args.ops, args.apis)
            b = banner(args.apis)
            if args.cmd in ("gen", "symbols") and len(apis) != 1:
                raise SpecError("%s takes the spec files of one api"
                                % args.cmd)
            if args.cmd == "symbols":
                fam = apis[0].fam
                for sym in (fam.symbols(apis[0]) if hasattr(fam, "symbols")
                            else [f.symbol for f in
                                  interposer.api_funcs(apis[0])]):
                    print(sym)
                return 0
            if args.cmd == "gen":
                gens = getattr(apis[0].fam, "OUTPUTS", {})
                if args.what not in gens:
                    raise SpecError("family '%s' generates no '%s' (has %s)"
                                    % (apis[0].family, args.what,
                                       ", ".join(sorted(gens)) or "none"))
                text = gens[args.what](apis[0], ops, b, cx)
            elif args.cmd == "shim":
                if len(apis) != 1:
                    raise SpecError("shim takes the spec files of one api")
                text = interposer.gen_shim(apis[0], ops, cx, b)
            else:
                text = interposer.gen_ffi(apis, cx, SizeCompiler, consts, Op,
                                          Arg, b)
            outputs = [(args.source, text)]
    except OSError as e:
        print("vaccel-codegen: %s" % e, file=sys.stderr)
        return 1
    except (SpecError, interposer.SpecError) as e:
        print("vaccel-codegen: error: %s" % e, file=sys.stderr)
        return 1
    for path, text in outputs:
        write_if_changed(path, text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
