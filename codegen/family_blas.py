# SPDX-License-Identifier: Apache-2.0
"""The BLAS family of interposer specs (blas*.spec, lapack.spec): routines
in the precisions s d c z and the Fortran and CBLAS spellings, their
reference argument checks (reported through xerbla_ / cblas_xerbla), the
CBLAS row-major lowering, cost formulas and workspace queries; lowered
into the ops they travel as, the shim's C wrappers (for interposer.py's
gen_shim) and the host executor's call entries (its gen_ffi). The
runtime piece is shim/blas/. Format: docs/codegen.md, "Interposer specs".
"""

import ast
import copy

from interposer import SpecError, spec_int, split_unread

PRECS = "sdcz"
T_OF = {"s": "f32", "d": "f64", "c": "c64", "z": "c128"}
R_OF = {"s": "f32", "d": "f64", "c": "f32", "z": "f64"}
# CBLAS enum values and the Fortran letter each stands for, by letter
# type, and the layouts: the op spec's constants (bind_consts)
ENUMS = {}
FLIPS = {
    "flip": {"trans": {"N": "T", "T": "N", "C": "N"},
             "uplo": {"U": "L", "L": "U"},
             "side": {"L": "R", "R": "L"},
             "diag": {"N": "N", "U": "U"}},
    "flipc": {"trans": {"N": "C", "T": "N", "C": "N"}},
}
LETTER_TYPES = ("trans", "uplo", "side", "diag", "char")
VALUE_TYPES = ("f32", "f64", "c64", "c128", "i32")
ARG_TYPES = ("T", "R", "int") + LETTER_TYPES + VALUE_TYPES
ARG_KINDS = ("scalar", "in", "out", "inout", "work")
LEVELS = {"1": 1, "2": 2, "3": 3, "lapack": 4}
ROUTINE_KEYS = ("names", "precs", "id", "op", "opid", "vaccel", "level",
                "cblas", "cblas_names", "ret", "flops", "info", "xname",
                "storage")
ROW = COL = None
C_SCALAR = {"f32": "float", "f64": "double", "c64": "float _Complex",
            "c128": "double _Complex", "i32": "int", "u64": "size_t"}
CS_CTYPE = {"i32": "VACCEL_CS_I32", "f32": "VACCEL_CS_F32",
            "f64": "VACCEL_CS_F64", "c64": "VACCEL_CS_C64",
            "c128": "VACCEL_CS_C128", "u64": "VACCEL_CS_U64"}


class FArg:
    def __init__(self, name, kind, typ, size, where, unread=None):
        self.name, self.kind, self.type, self.size, self.where = (
            name, kind, typ, size, where)
        # the op's unread_if (over the op's arguments), typed ops only
        self.unread = unread


class Routine:
    def __init__(self, name, keys, where, api):
        self.name, self.keys, self.where, self.api = name, keys, where, api
        self.args, self.checks, self.row = [], [], {}
        # (EXPR, [names written], where): a workspace query
        self.query = None


class Parser:
    """The routine lines of one api's spec files (interposer.parse_api
    reads the header lines)."""

    def __init__(self, api):
        self.api, self.cur = api, None

    def boundary(self):
        """A header line: the routine being read ends."""
        self.cur = None

    def line(self, where, text, indented, words):
        api, cur = self.api, self.cur
        if not indented:
            self.cur = None
            if words[0] == "routine" and len(words) >= 2:
                keys, last = {}, None
                for w in words[2:]:
                    k, sep, v = w.partition("=")
                    if sep and k in ROUTINE_KEYS:
                        keys[k], last = v, k
                    elif last == "flops" and not (
                            sep and k.isidentifier()
                            and not v.startswith("=")):
                        # a formula with spaces continues it
                        keys[last] += " " + w
                    else:
                        raise SpecError("%s: bad routine key '%s' (have "
                                        "%s)" % (where, w,
                                                 ", ".join(ROUTINE_KEYS)))
                self.cur = Routine(words[1], keys, where, api)
                api.routines.append(self.cur)
            else:
                raise SpecError("%s: unexpected line" % where)
            return
        if cur is None:
            raise SpecError("%s: indented line outside a routine" % where)
        if words[0] == "check":
            if len(words) < 3:
                raise SpecError("%s: expected 'check POS EXPR'" % where)
            try:
                pos = int(words[1])
            except ValueError:
                raise SpecError("%s: check position '%s' is not an "
                                "integer" % (where, words[1])) from None
            cur.checks.append((pos, " ".join(words[2:]), where))
        elif words[0] == "query":
            # query writes=A,B EXPR
            if (len(words) < 3 or not words[1].startswith("writes=")
                    or cur.query):
                raise SpecError("%s: expected one 'query writes=ARG,... "
                                "EXPR' per routine" % where)
            cur.query = (" ".join(words[2:]),
                         words[1][len("writes="):].split(","), where)
        elif words[0] == "row":
            for w in words[1:]:
                k, sep, v = w.partition("=")
                if not sep:
                    raise SpecError("%s: expected F=EXPR in row" % where)
                cur.row[k] = (v, where)
        else:
            if len(words) < 3:
                raise SpecError("%s: expected 'ARG KIND TYPE [SIZE]'"
                                % where)
            name, kind, typ = words[0], words[1], words[2]
            size, unread = split_unread(" ".join(words[3:]) or None, kind,
                                        where)
            if not name.isidentifier():
                raise SpecError("%s: bad argument name '%s'"
                                % (where, name))
            if kind not in ARG_KINDS:
                raise SpecError("%s: unknown kind '%s'" % (where, kind))
            if typ not in ARG_TYPES:
                raise SpecError("%s: unknown type '%s'" % (where, typ))
            if (kind == "scalar") != (size is None):
                raise SpecError("%s: %s" % (where, "scalars take no size"
                                            if size else
                                            "arrays need a size rule"))
            if kind != "scalar" and typ in LETTER_TYPES:
                raise SpecError("%s: CHARACTER arrays are not supported"
                                % where)
            if any(a.name == name for a in cur.args):
                raise SpecError("%s: duplicate argument '%s'"
                                % (where, name))
            cur.args.append(FArg(name, kind, typ, size, where, unread))

    def end(self):
        for r in self.api.routines:
            check_query(r)


def check_query(r):
    """A routine with a workspace says how its query is recognised and
    what the query writes; what it writes is arrays of the routine."""
    works = [a.name for a in r.args if a.kind == "work"]
    if works and not r.query:
        raise SpecError("%s: routine %s has workspace %s but no 'query' "
                        "line" % (r.where, r.name, ", ".join(works)))
    if not r.query:
        return
    _, writes, where = r.query
    for w in writes:
        a = next((x for x in r.args if x.name == w), None)
        if a is None or a.kind not in ("out", "inout", "work"):
            raise SpecError("%s: query writes '%s', which is not an output "
                            "or workspace of %s" % (where, w, r.name))


# ---- one concrete function: a routine in one precision and spelling ------

class Func:
    """sgemv_ or cblas_sgemv. `view` is the argument list checks and ffi
    ops use: (name, kind, wire type, size AST or None, FArg or None)."""

    def __init__(self, routine, prec, spelling, symbol):
        self.r, self.prec, self.spelling, self.symbol = (
            routine, prec, spelling, symbol)
        self.layout = spelling == "cblas" and self.level in (2, 3)

    @property
    def level(self):
        return LEVELS[self.r.keys.get("level", "3")]

    def wtype(self, t):
        if t == "T":
            return T_OF[self.prec]
        if t == "R":
            return R_OF[self.prec]
        if t == "int" or t in LETTER_TYPES:
            return "i32"
        return t


def routine_funcs(r):
    """All Funcs of a routine, checking its keys."""
    precs = r.keys.get("precs", PRECS)
    if any(p not in PRECS for p in precs):
        raise SpecError("%s: precs may only use the letters sdcz" % r.where)
    level = r.keys.get("level", "3")
    if level not in LEVELS:
        raise SpecError("%s: level must be 1, 2, 3 or lapack" % r.where)
    names = {}
    if "names" in r.keys:
        lst = r.keys["names"].split(",")
        if len(lst) != 4:
            raise SpecError("%s: names= lists 4 names (s,d,c,z; - for none)"
                            % r.where)
        for p, n in zip(PRECS, lst):
            if n != "-":
                names[p] = n
    else:
        for p in precs:
            names[p] = p + r.name
    cblas = r.keys.get("cblas", "no" if level == "lapack" else "yes")
    if cblas not in ("yes", "no"):
        raise SpecError("%s: cblas= is yes or no" % r.where)
    cnames = None
    if "cblas_names" in r.keys:
        cnames = r.keys["cblas_names"].split(",")
        if len(cnames) != 4:
            raise SpecError("%s: cblas_names= lists 4 names" % r.where)
    if "op" not in r.keys and "id" not in r.keys:
        raise SpecError("%s: routine needs id= or op=" % r.where)
    out = []
    for p in PRECS:
        if p not in names:
            continue
        out.append(Func(r, p, "fortran", names[p] + "_"))
        if cblas == "yes":
            if cnames:
                if cnames["sdcz".index(p)] == "-":
                    continue
                sym = cnames["sdcz".index(p)]
            else:
                sym = "cblas_" + names[p]
                if r.keys.get("ret") == "T" and p in "cz":
                    sym += "_sub"
            out.append(Func(r, p, "cblas", sym))
    return out


def letter_type(f, name):
    for a in f.r.args:
        if a.name == name:
            return a.type
    return None


def op_id(f):
    base = int(f.r.keys["id"], 0)
    return base + PRECS.index(f.prec) + (4 if f.spelling == "cblas" else 0)


def view_args(f):
    """[(name, FArg|None)] in the order of the view: [layout] + args."""
    v = [("layout", None)] if f.layout else []
    return v + [(a.name, a) for a in f.r.args]


def ret_type(f):
    ret = f.r.keys.get("ret")
    if ret is None:
        return None
    if ret == "int":
        return "u64" if f.spelling == "cblas" else "i32"
    if ret in VALUE_TYPES:
        return ret
    if ret in ("T", "R"):
        return f.wtype(ret)
    raise SpecError("%s: ret= is T, R, int or a type" % f.r.where)


def ret_by_pointer(f):
    """CBLAS complex functions return through a trailing pointer (_sub)."""
    rt = ret_type(f)
    return f.spelling == "cblas" and rt in ("c64", "c128")


# ---- expressions -------------------------------------------------------

class Lower(ast.NodeTransformer):
    """Rewrites a spec expression for one Func and one layout: names of
    the routine's Fortran arguments become names of the view's arguments
    (through the `row` map for row-major), CHARACTER comparisons become
    integer comparisons (letters for Fortran, enum values for CBLAS),
    mat(ld, r, c) becomes column-major mat(102, ld, r, c) and REAL /
    COMPLEX become 1 / 0."""

    def __init__(self, f, row, where):
        self.f, self.row, self.where = f, row, where

    def fail(self, msg):
        raise SpecError("%s: %s (%s)" % (self.where, msg, self.f.symbol))

    def mapped(self, name):
        """(view name, flip kind or None) for Fortran argument `name`."""
        if self.row and name in self.f.r.row:
            text, where = self.f.r.row[name]
            try:
                t = ast.parse(text, mode="eval").body
            except SyntaxError:
                raise SpecError("%s: bad row expression '%s'"
                                % (where, text)) from None
            if isinstance(t, ast.Name):
                return t.id, None
            if (isinstance(t, ast.Call) and isinstance(t.func, ast.Name)
                    and t.func.id in FLIPS and len(t.args) == 1
                    and isinstance(t.args[0], ast.Name)):
                return t.args[0].id, t.func.id
            raise SpecError("%s: row value must be a name, flip(name) or "
                            "flipc(name)" % where)
        return name, None

    def letters_of(self, node):
        """For a CHARACTER operand: (view name, {value: letter})."""
        if not isinstance(node, ast.Name):
            self.fail("a letter is compared with something that is not a "
                      "CHARACTER argument")
        typ = letter_type(self.f, node.id)
        if typ not in LETTER_TYPES:
            self.fail("'%s' is not a CHARACTER argument" % node.id)
        name, flip = self.mapped(node.id)
        if self.f.spelling == "fortran":
            return name, None, typ
        if typ == "char":
            self.fail("CHARACTER '%s' has no CBLAS enum" % node.id)
        src = letter_type(self.f, name)
        values = dict(ENUMS[src])
        if flip:
            table = FLIPS[flip].get(src)
            if table is None:
                self.fail("%s() does not apply to %s" % (flip, src))
            values = {v: table[l] for v, l in values.items()}
        return name, values, typ

    def letter_test(self, node, letters, negate):
        name, values, typ = self.letters_of(node)
        for ch in letters:
            if not ch.isalpha() or len(ch) != 1:
                self.fail("bad letter '%s'" % ch)
        if values is None:
            codes = sorted({ord(ch.upper()) for ch in letters})
        else:
            codes = sorted(v for v, l in values.items() if l in
                           letters.upper())
        var = ast.Name(id=name, ctx=ast.Load())
        if not codes:
            test = ast.Constant(value=0)
        elif len(codes) == 1:
            test = ast.Compare(left=var, ops=[ast.Eq()],
                               comparators=[ast.Constant(value=codes[0])])
        else:
            test = ast.BoolOp(op=ast.Or(), values=[
                ast.Compare(left=var, ops=[ast.Eq()],
                            comparators=[ast.Constant(value=c)])
                for c in codes])
        if negate:
            test = ast.UnaryOp(op=ast.Not(), operand=test)
        return test

    def visit_Compare(self, node):
        if (len(node.ops) == 1 and isinstance(node.comparators[0],
                                              ast.Constant)
                and isinstance(node.comparators[0].value, str)):
            op = type(node.ops[0])
            letters = node.comparators[0].value
            if op in (ast.Eq, ast.NotEq) and len(letters) != 1:
                self.fail("compare with one letter, or use 'in'")
            if op not in (ast.Eq, ast.NotEq, ast.In, ast.NotIn):
                self.fail("letters are compared with == != in 'not in'")
            return self.letter_test(node.left, letters,
                                    op in (ast.NotEq, ast.NotIn))
        return self.generic_visit(node)

    def visit_Name(self, node):
        if node.id == "REAL":
            return ast.Constant(value=int(self.f.prec in "sd"))
        if node.id == "COMPLEX":
            return ast.Constant(value=int(self.f.prec in "cz"))
        typ = letter_type(self.f, node.id)
        if typ is None:
            return node
        if typ in LETTER_TYPES:
            self.fail("CHARACTER '%s' may only be compared with letters"
                      % node.id)
        name, flip = self.mapped(node.id)
        if flip:
            self.fail("flip() of a non-CHARACTER argument '%s'" % node.id)
        return ast.Name(id=name, ctx=ast.Load())

    def visit_UnaryOp(self, node):
        if (isinstance(node.op, ast.USub)
                and isinstance(node.operand, ast.Constant)):
            return ast.Constant(value=-node.operand.value)
        return self.generic_visit(node)

    def visit_Call(self, node):
        node = self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == "mat":
            if len(node.args) != 3:
                self.fail("mat() takes (ld, rows, cols) in a routine")
            node.args.insert(0, ast.Constant(value=COL))
        return node


def lower(f, text, where, row):
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError as e:
        raise SpecError("%s: syntax error in '%s': %s" % (where, text, e.msg)
                        ) from None
    return Lower(f, row, where).visit(copy.deepcopy(tree))


def both_layouts(f, text, where):
    """The expression for a view: for CBLAS with a layout, row-major and
    column-major lowered separately, picked by the layout argument."""
    col = lower(f, text, where, False)
    if not f.layout:
        return col
    rowe = lower(f, text, where, True)
    return ast.IfExp(test=ast.Compare(left=ast.Name(id="layout",
                                                    ctx=ast.Load()),
                                      ops=[ast.Eq()],
                                      comparators=[ast.Constant(value=ROW)]),
                     body=rowe, orelse=col)


def cblas_pos(f, fortran_pos):
    """The CBLAS argument position of Fortran position `fortran_pos` in a
    row-major call (the argument whose value the reference passes there)."""
    a = f.r.args[fortran_pos - 1] if 0 < fortran_pos <= len(f.r.args) \
        else None
    if a is None:
        return fortran_pos + (1 if f.layout else 0)
    name = a.name
    if a.name in f.r.row:
        t = ast.parse(f.r.row[a.name][0], mode="eval").body
        name = t.id if isinstance(t, ast.Name) else t.args[0].id
    names = [n for n, _ in view_args(f)]
    return names.index(name) + 1 if name in names else fortran_pos + 1


def row_inverse(f):
    """For a row-major CBLAS view: view name -> the Fortran argument whose
    role it plays."""
    inv = {}
    lw = Lower(f, True, f.r.where)
    for a in f.r.args:
        inv[lw.mapped(a.name)[0]] = a.name
    return inv


def arg_by_name(f, name):
    for a in f.r.args:
        if a.name == name:
            return a
    raise SpecError("%s: '%s' names no argument of %s"
                    % (f.r.where, name, f.r.name))


def size_ast(f, a):
    """Element count of view argument `a` of an ffi op, as an AST."""
    if a.kind == "work":
        # the first element comes back where the routine reports a size
        # in it (what its query writes); an array the caller may pass
        # with no element (?gesdd's IWORK when min(m, n) = 0) gets none
        return ast.Constant(value=int(a.name in f.r.query[1]))
    col = lower(f, a.size, a.where, False)
    if not f.layout:
        return col
    src = arg_by_name(f, row_inverse(f).get(a.name, a.name))
    if src.kind != a.kind or src.type != a.type:
        raise SpecError("%s: row-major swaps %s and %s of different kinds"
                        % (f.r.where, a.name, src.name))
    rowe = lower(f, src.size, src.where, True)
    return ast.IfExp(test=ast.Compare(left=ast.Name(id="layout",
                                                    ctx=ast.Load()),
                                      ops=[ast.Eq()],
                                      comparators=[ast.Constant(value=ROW)]),
                     body=rowe, orelse=col)


def wire_args(f):
    """[(name, kind, type, size AST|None)] of the ffi op of Func f."""
    out = []
    for name, a in view_args(f):
        if a is None:
            out.append((name, "scalar", "i32", None))
        elif a.kind == "scalar":
            out.append((name, "scalar", f.wtype(a.type), None))
        else:
            out.append((name, "out" if a.kind == "work" else a.kind,
                        f.wtype(a.type), size_ast(f, a)))
    rt = ret_type(f)
    if rt:
        out.append(("ret_", "out", rt, ast.Constant(value=1)))
    return out


def api_funcs(api):
    funcs = []
    for r in api.routines:
        funcs += routine_funcs(r)
    seen = {}
    for f in funcs:
        if f.symbol in seen:
            raise SpecError("%s: symbol %s also made by %s"
                            % (f.r.where, f.symbol, seen[f.symbol]))
        seen[f.symbol] = f.r.where
    return funcs


def ffi_ops(api, op_cls, arg_cls):
    """The generated ops (for the op table) of an api's ffi routines."""
    ops = []
    for f in api_funcs(api):
        if "op" in f.r.keys:
            continue
        op = op_cls(f.symbol, op_id(f), ["idempotent"], f.r.where)
        for name, kind, typ, size in wire_args(f):
            fa = next((a for a in f.r.args if a.name == name), None)
            op.args.append(arg_cls(name, kind, typ, size,
                                   fa.where if fa else f.r.where))
        ops.append(op)
    return ops


# The op spec's constant for each CBLAS value a letter argument takes:
# their values are the op spec's (const lines), read by bind_consts().
ENUM_CONSTS = {
    "trans": {"N": "NOTRANS", "T": "TRANS", "C": "CONJTRANS"},
    "uplo": {"U": "UPPER", "L": "LOWER"},
    "diag": {"N": "NONUNIT", "U": "UNIT"},
    "side": {"L": "LEFT", "R": "RIGHT"},
}


def bind_consts(consts):
    """Take the CBLAS values (ENUMS, ROW, COL) from the op spec's
    constants, where they are declared."""
    global ROW, COL
    need = ["ROW", "COL"] + [c for m in ENUM_CONSTS.values()
                             for c in m.values()]
    missing = [c for c in need if c not in consts]
    if missing:
        raise SpecError("the op spec lacks the CBLAS constant(s) %s, "
                        "which the blas family's letters stand for"
                        % ", ".join(missing))
    ROW, COL = consts["ROW"], consts["COL"]
    for typ, m in ENUM_CONSTS.items():
        ENUMS[typ] = {consts[c]: letter for letter, c in m.items()}


class ToOp(ast.NodeTransformer):
    """A routine's size rule (column-major, letters) as its typed op's:
    mat() gets the op's layout, a letter compared with an argument its
    constant."""

    def __init__(self, r):
        self.r = r

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == "mat":
            node.args.insert(0, ast.Name(id="layout", ctx=ast.Load()))
        return node

    def visit_Compare(self, node):
        self.generic_visit(node)
        left = node.left
        if (isinstance(left, ast.Name) and len(node.comparators) == 1
                and isinstance(node.comparators[0], ast.Constant)
                and isinstance(node.comparators[0].value, str)):
            typ = next((a.type for a in self.r.args if a.name == left.id),
                       None)
            letter = node.comparators[0].value
            if typ not in ENUM_CONSTS or letter not in ENUM_CONSTS[typ]:
                raise SpecError("%s: '%s' is no %s value" % (
                    self.r.where, letter, typ or "letter argument"))
            node.comparators[0] = ast.Name(id=ENUM_CONSTS[typ][letter],
                                           ctx=ast.Load())
        return node


def typed_size(r, a):
    """Array a's size rule in its typed op's terms: the routine's rule
    with the layout (mat(layout, ...)), except where the rule is band
    storage (storage=band): row-major, the band is stored as the
    reference's column-major call on the `row` line's arguments sees it,
    so the rule is taken twice, picked by the layout."""
    storage = r.keys.get("storage")
    if storage not in (None, "band"):
        raise SpecError("%s: storage= is band (or absent)" % r.where)
    if storage is None:
        return ToOp(r).visit(ast.parse(a.size, mode="eval").body)
    f = next(f for f in routine_funcs(r) if f.spelling == "cblas")
    return size_ast(f, a)


def typed_ops(api, op_cls, arg_cls):
    """The ops the routines with opid= declare: one per routine, every
    precision (prec) and both layouts (layout), its letter arguments as
    CBLAS values, its scalars widened (T: c128, R: f64, int: i64), its
    arrays in the precision's type, sized by its rules in the op's
    terms. The op spec declares no such op: this is its declaration."""
    ops = []
    for r in api.routines:
        if "opid" not in r.keys:
            continue
        if "op" not in r.keys or "id" in r.keys:
            raise SpecError("%s: opid= goes with op= (and no id=)"
                            % r.where)
        opid = spec_int(r.keys["opid"], r.where, "opid=")
        op = op_cls(r.keys["op"], opid, ["idempotent"], r.where)
        op.vaccel = r.keys.get("vaccel")
        if "flops" in r.keys:
            op.cost = ToOp(r).visit(ast.parse(r.keys["flops"],
                                              mode="eval").body)
        op.args.append(arg_cls("prec", "scalar", "u32", None, r.where))
        op.args.append(arg_cls("layout", "scalar", "u32", None, r.where))
        for a in r.args:
            if a.kind == "scalar":
                typ = {"T": "c128", "R": "f64", "int": "i64"}.get(
                    a.type, "u32" if a.type in ENUM_CONSTS else None)
                if typ is None:
                    raise SpecError("%s: a typed op takes no %s scalar"
                                    % (a.where, a.type))
                op.args.append(arg_cls(a.name, "scalar", typ, None,
                                       a.where))
                continue
            if a.kind not in ("in", "out", "inout") or a.type != "T":
                raise SpecError("%s: a typed op's arrays are in, out or "
                                "inout of type T" % a.where)
            op.args.append(arg_cls(a.name, a.kind, "prec",
                                   ast.unparse(typed_size(r, a)), a.where,
                                   unread=a.unread))
        ops.append(op)
    return ops


def op_checks(api, cx):
    """C of the reference argument checks of the typed ops, for the core
    (static inline, in the fill header): per op, check_<op>(a), the index
    of the first argument a reference BLAS call with these values would
    refuse (0: the precision, for one the routine lacks), -1 when it
    takes them. The checks are the CBLAS spelling's (the layout and the
    letters as CBLAS values), over the op's vector past its prec."""
    out = []
    for r in api.routines:
        if "opid" not in r.keys:
            continue
        fs = [f for f in routine_funcs(r) if f.spelling == "cblas"]
        if not fs or not all(f.layout for f in fs):
            raise SpecError("%s: a typed op needs the CBLAS spelling of "
                            "each precision" % r.where)
        cases = []
        for f in fs:
            out.append(check_fn(f, cx).replace(
                "static int ", "static inline __attribute__((always_inline)) "
                "int\n", 1))
            out.append(why_fn(f))
            cases.append("\tcase %d: {\n\t\tint raw, r = chk_%s(a + 1, &raw);"
                         "\n\t\tif (!r)\n\t\t\treturn -1;\n"
                         "\t\t*why = why_%s(raw, a + 1);\n\t\treturn r;\n\t}\n"
                         % (PRECS.index(f.prec), f.symbol, f.symbol))
        out.append("static inline __attribute__((always_inline)) int\n"
                   "check_%s(const struct vaccel_oparg *a, const char **why)"
                   "\n{\n\tswitch (a[0].v.i) {\n%s"
                   "\tdefault:\n\t\t*why = \"%s is not one of the "
                   "routine's precisions (%s)\";\n\t\treturn 0;\n\t}\n}\n\n"
                   % (r.keys["op"], "".join(cases), "prec",
                      ", ".join("%d %s" % (PRECS.index(f.prec), f.prec)
                                for f in fs)))
    return "".join(out)


def c_string(text):
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


def why_fn(f):
    """why_<symbol>(raw, a): what the check that chk_<symbol> reported as
    raw over the view a says (raw: 1 + the Fortran position, or 1 + the
    view index for the layout and the letters, which share it)."""
    enum_at = {i + 1: (vname, a) for i, (vname, a) in enumerate(view_args(f))
               if a is not None and a.kind == "scalar" and a.type in ENUMS}
    real = f.prec in "sd"
    texts = {}
    for pos, text, where in f.r.checks:
        t = text
        for tag, ok in (("REAL and ", real), ("COMPLEX and ", not real)):
            if t is not None and t.startswith(tag):
                t = t[len(tag):] if ok else None
        if t is not None:
            texts.setdefault(pos + 1, []).append(t)
    name = f.symbol[len("cblas_"):]
    cases = ["\tcase 1:\n\t\treturn \"layout is not CBLAS's RowMajor (%d) or "
             "ColMajor (%d)\";\n" % (ROW, COL)]
    for raw in sorted(set(enum_at) | set(texts)):
        if raw == 1:
            continue
        body = []
        if raw in enum_at:
            vname, a = enum_at[raw]
            vals = sorted(ENUMS[a.type])
            body.append("\t\tif (%s)\n\t\t\treturn %s;\n" % (
                " && ".join("a[%d].v.i != %d" % (raw - 1, v) for v in vals),
                c_string("%s is not a CBLAS %s value (%s)" % (
                    vname, a.type, ", ".join("%d" % v for v in vals)))))
        if raw in texts:
            text = "reference %s argument %d: %s" % (
                name, raw - 1, " or ".join(texts[raw]))
            body.append("\t\treturn a[0].v.i == %d\n\t\t\t   ? %s\n"
                        "\t\t\t   : %s;\n" % (ROW, c_string(
                            text + " (row-major: in the transposed "
                            "column-major call)"), c_string(text)))
        else:
            body.append("\t\tbreak;\n")
        cases.append("\tcase %d:\n%s" % (raw, "".join(body)))
    return ("static inline const char *why_%s(int raw,\n\t\tconst struct "
            "vaccel_oparg *a)\n{\n\t(void)a;\n\tswitch (raw) {\n%s\t}\n"
            "\treturn \"a reference BLAS check\";\n}\n\n"
            % (f.symbol, "".join(cases)))


def op_checked(api):
    """The typed ops op_checks() checks: [(op name, opid)]."""
    return [(r.keys["op"], int(r.keys["opid"], 0)) for r in api.routines
            if "opid" in r.keys]


# ---- C emission ------------------------------------------------------------

def view_op(cx, f):
    """The op the checks of Func f are compiled over: its view."""
    op = cx.op_cls(f.symbol, 0, [], f.r.where)
    for name, a in view_args(f):
        t = "i32" if a is None or a.kind == "scalar" and (
            a.type == "int" or a.type in LETTER_TYPES) else "f64"
        op.args.append(cx.arg_cls(name, "scalar" if a is None or
                                  a.kind == "scalar" else "in",
                                  t, None if a is None or
                                  a.kind == "scalar" else "*",
                                  f.r.where))
    return op


def compile_check(cx, f, tree, where):
    return cx.compile(view_op(cx, f), tree, where)


def check_fn(f, cx):
    """C source of the reference checks of Func f over its view."""
    lines = []
    name = "chk_" + f.symbol
    if f.spelling == "fortran" or not f.layout:
        lines.append("static int %s(const struct vaccel_oparg *a)\n{\n"
                     "\t(void)a;\n" % name)
        for pos, text, where in f.r.checks:
            e = compile_check(cx, f, lower(f, text, where, False), where)
            lines.append("\tif (%s)\n\t\treturn %d;\n" % (e, pos))
        lines.append("\treturn 0;\n}\n\n")
        return "".join(lines)
    lines.append("static int %s(const struct vaccel_oparg *a, int *raw)\n{\n"
                 "\tint64_t layout = a[0].v.i;\n"
                 "\tif (layout != %d && layout != %d)\n"
                 "\t\treturn *raw = 1;\n" % (name, ROW, COL))
    for i, (vname, a) in enumerate(view_args(f)):
        if a is not None and a.kind == "scalar" and a.type in ENUMS:
            vals = " && ".join("a[%d].v.i != %d" % (i, v)
                               for v in sorted(ENUMS[a.type]))
            lines.append("\tif (%s)\n\t\treturn *raw = %d;\n" % (vals, i + 1))
    lines.append("\tif (layout == %d) {\n" % ROW)
    for pos, text, where in f.r.checks:
        e = compile_check(cx, f, lower(f, text, where, True), where)
        lines.append("\t\tif (%s) {\n\t\t\t*raw = %d;\n\t\t\treturn %d;\n"
                     "\t\t}\n" % (e, pos + 1, cblas_pos(f, pos)))
    lines.append("\t} else {\n")
    for pos, text, where in f.r.checks:
        e = compile_check(cx, f, lower(f, text, where, False), where)
        lines.append("\t\tif (%s)\n\t\t\treturn *raw = %d;\n" % (e, pos + 1))
    lines.append("\t}\n\treturn *raw = 0;\n}\n\n")
    return "".join(lines)


class Flops(ast.NodeVisitor):
    """A cost formula as a C double expression over the wrapper's
    parameters."""

    def __init__(self, f):
        self.f = f

    def fail(self, msg):
        raise SpecError("%s: flops of %s: %s" % (self.f.r.where,
                                                  self.f.r.name, msg))

    def param(self, name):
        a = arg_by_name(self.f, name)
        if a.kind != "scalar" or a.type != "int":
            self.fail("'%s' is not an integer argument" % name)
        if self.f.spelling == "fortran":
            return "(double)*p_%s" % name
        return "(double)p_%s" % name

    def visit_Constant(self, node):
        if not isinstance(node.value, int):
            self.fail("only integer constants")
        return "%d.0" % node.value

    def visit_Name(self, node):
        return self.param(node.id)

    def visit_BinOp(self, node):
        ops = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "/",
               ast.Div: "/"}
        if type(node.op) not in ops:
            self.fail("operator not allowed")
        return "(%s %s %s)" % (self.visit(node.left), ops[type(node.op)],
                               self.visit(node.right))

    def visit_Call(self, node):
        if not isinstance(node.func, ast.Name) or node.func.id not in (
                "max", "min") or len(node.args) != 2:
            self.fail("only max(a, b) and min(a, b)")
        return "shim_%s(%s, %s)" % (node.func.id, self.visit(node.args[0]),
                                    self.visit(node.args[1]))

    def visit_IfExp(self, node):
        return "(%s ? %s : %s)" % (self.visit(node.test),
                                   self.visit(node.body),
                                   self.visit(node.orelse))

    def visit_Compare(self, node):
        if (len(node.ops) != 1 or not isinstance(node.comparators[0],
                                                 ast.Constant)
                or not isinstance(node.comparators[0].value, str)
                or not isinstance(node.left, ast.Name)):
            self.fail("only CHARACTER == 'X' comparisons")
        a = arg_by_name(self.f, node.left.id)
        ch = node.comparators[0].value.upper()
        neg = isinstance(node.ops[0], ast.NotEq)
        if self.f.spelling == "fortran":
            t = "shim_upper(*p_%s) == '%s'" % (a.name, ch)
        else:
            vals = [v for v, l in ENUMS[a.type].items() if l == ch]
            t = " || ".join("p_%s == %d" % (a.name, v) for v in vals) or "0"
        return "(%s(%s))" % ("!" if neg else "", t)

    def generic_visit(self, node):
        self.fail("'%s' not allowed" % type(node).__name__)


class Query(Flops):
    """A workspace-query test as a C condition: integer comparisons of
    the routine's int scalars joined by `and`/`or`."""

    def fail(self, msg):
        raise SpecError("%s: query of %s: %s" % (self.f.r.query[2],
                                                  self.f.r.name, msg))

    def visit_Constant(self, node):
        if not isinstance(node.value, int):
            self.fail("only integer constants")
        return "%d" % node.value

    def param(self, name):
        a = arg_by_name(self.f, name)
        if a is None or a.kind != "scalar" or a.type != "int":
            self.fail("'%s' is not an integer argument" % name)
        return ("*p_%s" if self.f.spelling == "fortran" else "p_%s") % name

    def visit_UnaryOp(self, node):
        if not isinstance(node.op, ast.USub):
            self.fail("only unary minus")
        return "(-%s)" % self.visit(node.operand)

    def visit_BoolOp(self, node):
        op = " || " if isinstance(node.op, ast.Or) else " && "
        return "(%s)" % op.join(self.visit(v) for v in node.values)

    def visit_Compare(self, node):
        ops = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=",
               ast.Gt: ">", ast.GtE: ">="}
        if len(node.ops) != 1 or type(node.ops[0]) not in ops:
            self.fail("one comparison at a time")
        return "(%s %s %s)" % (self.visit(node.left), ops[type(node.ops[0])],
                               self.visit(node.comparators[0]))


def query_c(f):
    """C condition true when this call of f is a workspace query, or
    None when f has none."""
    if not f.r.query:
        return None
    try:
        tree = ast.parse(f.r.query[0], mode="eval").body
    except SyntaxError as e:
        raise SpecError("%s: query: %s" % (f.r.query[2], e.msg)) from None
    return Query(f).visit(tree)


def wants_c(f, cost=None):
    """The wrapper's offload test: a workspace query never leaves (the
    local routine answers it without doing the work, from whatever
    one-element dummies the caller passed), else the policy decides.
    `cost`: a C name holding flops_c(f) already."""
    w = "SHIM_WANTS(f, %s)" % (cost or flops_c(f))
    q = query_c(f)
    return w if q is None else "!%s && %s" % (q, w)


def flops_c(f):
    text = f.r.keys.get("flops")
    if text is None:
        raise SpecError("%s: routine %s has no flops=" % (f.r.where,
                                                         f.r.name))
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError as e:
        raise SpecError("%s: flops: %s" % (f.r.where, e.msg)) from None
    e = Flops(f).visit(tree)
    return "4.0 * %s" % e if f.prec in "cz" else e


def xname(f):
    if "xname" in f.r.keys:
        return f.r.keys["xname"]
    if f.spelling == "cblas":
        return f.symbol
    n = f.symbol[:-1].upper()
    return n + " " * max(0, 6 - len(n))


def c_param(f, a):
    """C parameter declaration of Fortran/CBLAS argument a."""
    n = "p_" + a.name
    t = f.wtype(a.type)
    if a.kind != "scalar":
        base = C_SCALAR[t] if t in ("i32", "f32", "f64") else "void"
        return ("const %s *%s" if a.kind == "in" else "%s *%s") % (base, n)
    if f.spelling == "fortran":
        if a.type in LETTER_TYPES:
            return "const char *%s" % n
        if t in ("c64", "c128"):
            return "const void *%s" % n
        return "const %s *%s" % (C_SCALAR[t], n)
    if a.type in LETTER_TYPES:
        return "int %s" % n
    if t in ("c64", "c128"):
        return "const void *%s" % n
    return "%s %s" % (C_SCALAR[t], n)


def c_proto(f):
    """(return type, [param decls], [param names]) of Func f."""
    params, names = [], []
    if f.layout:
        params.append("int p_layout")
        names.append("p_layout")
    for a in f.r.args:
        params.append(c_param(f, a))
        names.append("p_" + a.name)
    rt = ret_type(f)
    if ret_by_pointer(f):
        params.append("void *p_ret_")
        names.append("p_ret_")
        rt = None
    if f.spelling == "fortran":
        for a in f.r.args:
            if a.type in LETTER_TYPES:
                params.append("size_t l_%s" % a.name)
                names.append("l_%s" % a.name)
    return (C_SCALAR[rt] if rt else "void"), params, names


def fill_scalar(f, idx, a, arr="a"):
    """C statements storing view scalar a (at idx) into arr[idx]."""
    n = "p_" + a.name
    t = f.wtype(a.type)
    fort = f.spelling == "fortran"
    if a.type in LETTER_TYPES:
        return "%s[%d].v.i = %s;" % (arr, idx, "shim_upper(*%s)" % n
                                     if fort else n)
    if t == "i32":
        return "%s[%d].v.i = %s%s;" % (arr, idx, "*" if fort else "", n)
    if t in ("f32", "f64"):
        return "%s[%d].v.%s = %s%s;" % (arr, idx, t, "*" if fort else "", n)
    return "memcpy(%s[%d].v.%s, %s, sizeof(%s[%d].v.%s));" % (
        arr, idx, t, n, arr, idx, t)


def fill_view(f, arr):
    out = []
    for i, (name, a) in enumerate(view_args(f)):
        if a is None:
            out.append("%s[%d].v.i = p_layout;" % (arr, i))
        elif a.kind == "scalar":
            out.append(fill_scalar(f, i, a, arr))
    return out


def ret_zero(f):
    rt, _, _ = c_proto(f)
    return "" if rt == "void" else " r_"


def check_call(f, arr):
    """C statements running the checks on view `arr`; return on error."""
    name = "chk_" + f.symbol
    if not f.r.checks and not f.layout:
        return []
    if f.spelling == "fortran" or not f.layout:
        out = ["int info = %s(%s);" % (name, arr), "if (info) {"]
        if f.r.keys.get("info"):
            # the reference sets INFO before it calls XERBLA
            out.append("\t*p_%s = -info;" % f.r.keys["info"])
        return out + ["\tshim_xerbla(f, info);",
                      "\treturn%s;" % ret_zero(f), "}"]
    return ["int raw, info = %s(%s, &raw);" % (name, arr),
            "if (info) {",
            "\tshim_cblas_xerbla(f, info, raw, p_layout == %d);" % ROW,
            "\treturn%s;" % ret_zero(f), "}"]


def body_ffi(f):
    wa = wire_args(f)
    out = ["struct vaccel_oparg a[%d];" % len(wa),
           "memset(a, 0, sizeof(a));"]
    out += fill_view(f, "a")
    out += check_call(f, "a")
    for i, (name, a) in enumerate(view_args(f)):
        if a is not None and a.kind != "scalar":
            out.append("a[%d].buf = (void *)p_%s;" % (i, name))
    if ret_type(f):
        ri = len(wa) - 1
        out.append("a[%d].buf = %s;" % (ri, "p_ret_" if ret_by_pointer(f)
                                         else "&r_"))
    out.append("if (shim_call(f, %d, a, %d, cost) == 0) {"
               % (op_id(f), len(wa)))
    info = f.r.keys.get("info")
    if info:
        out.append("\tif (*p_%s < 0)" % info)
        out.append("\t\tshim_xerbla(f, -*p_%s);" % info)
    out.append("\treturn%s;" % ret_zero(f))
    out.append("}")
    return out


def body_op(f, op):
    """An op-mapped routine: checks on the view, then the op's args."""
    view = view_args(f)
    out = ["struct vaccel_oparg v[%d];" % len(view),
           "memset(v, 0, sizeof(v));"]
    out += fill_view(f, "v")
    out += check_call(f, "v")
    out += ["struct vaccel_oparg a[%d];" % len(op.args),
            "memset(a, 0, sizeof(a));"]
    vidx = {name: i for i, (name, _) in enumerate(view)}
    for k, oa in enumerate(op.args):
        if oa.name == "prec":
            out.append("a[%d].v.i = %d;" % (k, PRECS.index(f.prec)))
            continue
        if oa.name == "layout":
            out.append("a[%d].v.i = %s;" % (k, "p_layout" if f.layout
                                             else str(COL)))
            continue
        a = next((x for x in f.r.args if x.name == oa.name), None)
        if a is None:
            raise SpecError("%s: op %s argument '%s' has no counterpart in "
                            "%s" % (f.r.where, op.name, oa.name, f.r.name))
        i = vidx[a.name]
        if a.kind != "scalar":
            out.append("a[%d].buf = (void *)p_%s;" % (k, a.name))
        elif a.type in ENUMS:
            if f.spelling == "fortran":
                letters = "".join(l for _, l in sorted(ENUMS[a.type].items()))
                out.append('a[%d].v.i = shim_enum(v[%d].v.i, "%s", %d);'
                           % (k, i, letters, min(ENUMS[a.type])))
            else:
                out.append("a[%d].v.i = v[%d].v.i;" % (k, i))
        elif a.type == "int":
            out.append("a[%d].v.i = v[%d].v.i;" % (k, i))
        else:
            t = f.wtype(a.type)
            if oa.type == "c128":
                if t in ("f32", "f64"):
                    out.append("a[%d].v.c128[0] = v[%d].v.%s;" % (k, i, t))
                else:
                    out.append("a[%d].v.c128[0] = v[%d].v.%s[0];" % (k, i, t))
                    out.append("a[%d].v.c128[1] = v[%d].v.%s[1];" % (k, i, t))
            elif oa.type == "f64" and t in ("f32", "f64"):
                out.append("a[%d].v.f64 = v[%d].v.%s;" % (k, i, t))
            else:
                raise SpecError("%s: cannot pass %s (%s) as op argument of "
                                "type %s" % (f.r.where, a.name, t, oa.type))
    out.append("if (shim_call(f, %d, a, %d, cost) == 0)"
               % (op.id, len(op.args)))
    out.append("\treturn;")
    return out


# ---- what interposer.gen_shim asks of the family ---------------------------

SHIM = {"header": "blas.h", "family": "shim_blas_family",
        "info": "struct shim_blas_fn"}


def funcs(api):
    return api_funcs(api)


def classes():
    """The offload class names by number: the level= values."""
    names = [""] * (max(LEVELS.values()) + 1)
    for name, bit in LEVELS.items():
        names[bit] = name
    return names


def shim_prelude(fs, cx):
    return "".join(check_fn(f, cx) for f in fs if f.r.checks or f.layout)


def shim_wrapper(f, opmap):
    rt, params, names = c_proto(f)
    if "op" in f.r.keys:
        op = opmap.get(f.r.keys["op"])
        if op is None:
            raise SpecError("%s: op=%s is not in the op table"
                            % (f.r.where, f.r.keys["op"]))
        body = body_op(f, op)
    else:
        body = body_ffi(f)
    body = ["(void)%s;" % n for n in names if n.startswith("l_")] + body
    info = '{ .xname = "%s", .cblas = %s }' % (
        xname(f), "true" if f.spelling == "cblas" else "false")
    return (rt, params, names, body, flops_c(f),
            lambda cost: wants_c(f, cost), f.level, info)


def cs_params(f):
    """[(arg, ctype, pass)] of the host call of Func f."""
    ps = []
    for i, (name, a) in enumerate(view_args(f)):
        if a is None:
            ps.append((i, "VACCEL_CS_I32", "VACCEL_CS_BYVAL"))
        elif a.kind != "scalar":
            ps.append((i, "VACCEL_CS_PTR", "VACCEL_CS_BYVAL"))
        elif f.spelling == "fortran":
            ct = "VACCEL_CS_U8" if a.type in LETTER_TYPES else \
                CS_CTYPE[f.wtype(a.type)]
            ps.append((i, ct, "VACCEL_CS_BYREF"))
        else:
            t = f.wtype(a.type)
            ps.append((i, CS_CTYPE[t], "VACCEL_CS_BYREF"
                       if t in ("c64", "c128") else "VACCEL_CS_BYVAL"))
    if ret_by_pointer(f):
        ps.append((len(view_args(f)), "VACCEL_CS_PTR", "VACCEL_CS_BYVAL"))
    if f.spelling == "fortran":
        for a in f.r.args:
            if a.type in LETTER_TYPES:
                ps.append((-1, "VACCEL_CS_LEN", "VACCEL_CS_BYVAL"))
    return ps


def ffi_entry(f, cx, size_cc, consts, op_cls, arg_cls):
    """The host call of Func f for interposer.gen_ffi: its C (checks,
    parameters, workspace sizes) and its entry; None for an op-mapped
    routine (a typed backend serves it)."""
    if "op" in f.r.keys:
        return None
    out = []
    sym = f.symbol
    out.append(check_fn(f, cx))
    check = "chk_" + sym
    if f.spelling == "cblas" and f.layout:
        out.append("static int chkh_%s(const struct vaccel_oparg "
                   "*a)\n{\n\tint raw;\n\treturn chk_%s(a, &raw);\n}"
                   "\n\n" % (sym, sym))
        check = "chkh_" + sym
    out.append("static const struct vaccel_cs_param ps_%s[] = {\n" % sym)
    ps = cs_params(f)
    out += ["\t{ %d, %s, %s },\n" % p for p in ps]
    out.append("};\n\n")
    works = []
    wa = wire_args(f)
    op = op_cls(sym, op_id(f), [], f.r.where)
    for name, kind, typ, size in wa:
        op.args.append(arg_cls(name, kind, typ, size, f.r.where))
    for i, (name, a) in enumerate(view_args(f)):
        if a is not None and a.kind == "work":
            expr = size_cc(op, arg_cls(name, "out", "i32", a.size,
                                       a.where), consts).compile(
                lower(f, a.size, a.where, False))
            out.append("static int64_t work_%s_%s(const struct "
                       "vaccel_oparg *a)\n{\n\t(void)a;\n\treturn "
                       "%s;\n}\n\n" % (sym, name, expr))
            works.append((i, "work_%s_%s" % (sym, name)))
    if works:
        out.append("static const struct vaccel_cs_work ws_%s[] = {\n" % sym)
        out += ["\t{ %d, %s },\n" % w for w in works]
        out.append("};\n\n")
    rt = ret_type(f)
    if rt and not ret_by_pointer(f):
        ret = (CS_CTYPE[rt], len(wa) - 1)
    else:
        ret = ("VACCEL_CS_VOID", -1)
    return "".join(out), (op_id(f), sym, len(ps), ret, works, check)


# ---- test vectors ----------------------------------------------------------

def _evaluate(tree, env):
    def mat(layout, ld, rows, cols):
        if rows == 0 or cols == 0:
            return 0
        return ld * (cols - 1) + rows if layout == COL else \
            ld * (rows - 1) + cols

    def vec(n, inc):
        return 0 if n == 0 else (n - 1) * abs(inc) + 1
    ns = dict(env, mat=mat, vec=vec, max=max, min=min)
    code = compile(ast.fix_missing_locations(ast.Expression(tree)),
                   "<spec>", "eval")
    return eval(code, {"__builtins__": {}}, ns)


def vector(f, cx_consts, seed):
    """A valid call of the ffi op of Func f (Fortran spelling, or CBLAS
    column-major): {view name: value}, found by a seeded search so that
    the reference checks pass and every array is non-empty where
    possible. None if no such call was found."""
    import random
    rnd = random.Random(seed)
    fort = f.spelling == "fortran"
    best, best_score = None, -1
    for _ in range(400):
        env = dict(cx_consts)
        if f.layout:
            env["layout"] = COL
        for a in f.r.args:
            if a.kind != "scalar":
                continue
            if a.type in LETTER_TYPES:
                if a.type in ENUMS:
                    v = rnd.choice(sorted(ENUMS[a.type]))
                    env[a.name] = ord(ENUMS[a.type][v]) if fort else v
                else:
                    env[a.name] = ord(rnd.choice("NVASOULT"))
            elif a.type == "int":
                n = a.name.lower()
                if n.startswith("ld"):
                    env[a.name] = rnd.choice((4, 5, 6))
                elif n.startswith("inc"):
                    env[a.name] = rnd.choice((1, 2, -1))
                elif n.startswith("l") and "work" in n:
                    env[a.name] = rnd.choice((-1, 64, 200))
                else:
                    env[a.name] = rnd.choice((1, 2, 3, 4))
        try:
            if any(_evaluate(lower(f, t, w, False), env)
                   for _, t, w in f.r.checks):
                continue
            sizes = [_evaluate(lower(f, a.size, a.where, False), env)
                     for a in f.r.args if a.kind not in ("scalar", "work")]
        except (ArithmeticError, TypeError, ValueError):
            continue
        if any(s < 0 for s in sizes):
            continue
        score = sum(1 for s in sizes if s > 0)
        if score > best_score:
            best, best_score = dict(env), score
            if score == len(sizes):
                break
    return best


def ffi_vectors(apis, consts):
    """C table of one valid call per ffi op, for the executor's tests."""
    out = ["/* one valid call per generated op: scalars only; the arrays "
           "are sized\n * by the op's rules and filled by the test */\n"]
    rows = []
    for api in apis:
        fortran_env = {}
        for f in api_funcs(api):
            if "op" in f.r.keys:
                continue
            env = None
            twin = fortran_env.get((id(f.r), f.prec))
            if f.spelling == "cblas" and twin is not None:
                # the Fortran call's values: a twin computes the same
                env = dict(twin, layout=COL)
                for a in f.r.args:
                    if a.kind == "scalar" and a.type in ENUMS:
                        env[a.name] = next(v for v, l in ENUMS[a.type]
                                           .items() if ord(l) == twin[a.name])
                if any(_evaluate(lower(f, t, w, False), env)
                       for _, t, w in f.r.checks):
                    env = None
            if env is None:
                env = vector(f, consts, op_id(f))
            if f.spelling == "fortran" and env is not None:
                fortran_env[(id(f.r), f.prec)] = env
            if env is None:
                raise SpecError("%s: no valid call of %s found for its test "
                                "vector; check its checks" % (f.r.where,
                                                             f.symbol))
            sym = f.symbol
            out.append("static const struct vaccel_oparg vec_%s[] = {\n"
                       % sym)
            for name, kind, typ, size in wire_args(f):
                if kind != "scalar":
                    out.append("\t{ .len = 0 },\n")
                elif typ == "i32":
                    out.append("\t{ .v.i = %d },\n" % env[name])
                elif typ in ("f32", "f64"):
                    out.append("\t{ .v.%s = 0.75 },\n" % typ)
                else:
                    out.append("\t{ .v.%s = { 0.5, -0.25 } },\n" % typ)
            out.append("};\n\n")
            twin = 0
            if f.spelling == "fortran" and f.r.keys.get(
                    "cblas", "no" if f.level == 4 else "yes") == "yes":
                twin = op_id(f) + 4
            rows.append((op_id(f), twin, sym))
    out.append("const struct vaccel_cs_vector vaccel_cs_vectors[] = {\n")
    for oid, twin, sym in rows:
        out.append("\t{ .op_id = %d, .twin_op_id = %d, .args = vec_%s },\n"
                   % (oid, twin, sym))
    out.append("};\n\nconst unsigned int vaccel_cs_vectors_count = %d;\n"
               % len(rows))
    return "".join(out)


# ---- a CBLAS backend's calls of the typed ops ------------------------------

CBLAS_HELPERS = """\
/* Whether the op's integer arguments at idx fit the library's blasint
 * (the core has checked them against the reference BLAS already);
 * logs the first that does not. */
static bool cblas_ints_fit(const struct vaccel_op_desc *op,
			   const struct vaccel_oparg *a, const uint8_t *idx,
			   unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		int64_t v = a[idx[i]].v.i;
		if (v > BLASINT_MAX || v < -BLASINT_MAX) {
			vaccel_log(VACCEL_LOG_ERROR, TAG,
				   "%s: %s = %" PRId64 " does not fit "
				   "OpenBLAS's %zu-bit integer arguments",
				   op->name, op->args[idx[i]].name, v,
				   sizeof(blasint) * CHAR_BIT);
			return false;
		}
	}
	return true;
}

/* Whether an n-element vector with increment a[inc] (which fits blasint)
 * keeps its span in blasint: for a negative increment the library moves
 * the pointer by (n - 1) * |inc| elements (twice that in complex). */
static bool cblas_span_fits(const struct vaccel_op_desc *op,
			    const struct vaccel_oparg *a, unsigned int inc,
			    int64_t n)
{
	int64_t v = a[inc].v.i, span;
	bool cplx = a[0].v.i == 2 || a[0].v.i == 3;
	if (v >= 0 || n <= 1)
		return true;
	if (!__builtin_mul_overflow(n - 1, -v, &span) &&
	    !__builtin_mul_overflow(span, cplx ? 2 : 1, &span) &&
	    span <= BLASINT_MAX)
		return true;
	vaccel_log(VACCEL_LOG_ERROR, TAG,
		   "%s: %s = %" PRId64 " over %" PRId64 " elements spans "
		   "more than OpenBLAS's integer arguments hold",
		   op->name, op->args[inc].name, v, n);
	return false;
}

"""


def cblas_arg(f, i, a):
    """C of typed op argument i (routine argument a) as f's parameter,
    and a local it needs first (a complex scalar's parts) or None."""
    v = "a[%d]" % i
    if a.kind != "scalar":
        return "%s.buf" % v, None
    if a.type in ENUM_CONSTS:
        return "(int)%s.v.i" % v, None
    if a.type == "int":
        return "(blasint)%s.v.i" % v, None
    ft = "float" if f.prec in "sc" else "double"
    if a.type == "R":
        return "(%s)%s.v.f64" % (ft, v), None
    if a.type != "T":
        raise SpecError("%s: a typed op takes no %s scalar"
                        % (a.where, a.type))
    if f.prec in "sd":
        return "(%s)%s.v.c128[0]" % (ft, v), None
    local = "%s_%s" % (a.name, f.prec)
    return local, ("\t\tconst %s %s[2] = {(%s)%s.v.c128[0], "
                   "(%s)%s.v.c128[1]};\n" % (ft, local, ft, v, ft, v))


def vec_spans(op, cx):
    """The vectors of typed op `op` with an increment: [(C of the length,
    index of the increment)] from the vec(n, inc) of its size rules."""
    idx = {a.name: i for i, a in enumerate(op.args)}
    out = []
    for a in op.args:
        if a.kind == "scalar" or a.size is None:
            continue
        for node in ast.walk(ast.parse(a.size, mode="eval").body):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "vec"
                    and isinstance(node.args[1], ast.Name)):
                span = (cx.compile(op, node.args[0], a.line),
                        idx[node.args[1].id])
                if span not in out:
                    out.append(span)
    return out


def gen_cblas(api, ops, b, cx):
    """A CBLAS backend's implementations of the typed ops, for a plugin
    that includes it after defining TAG, blasint and BLASINT_MAX (and
    CBLAS_LIMITS(op, a), if its library refuses more than the reference:
    an error code or 0) and including cblas.h: per op, cblas_<op>() (the
    op's integers checked to fit blasint, the limits, then the
    precision's cblas_ routine called with the op's arguments in the
    CBLAS order, which is the op's past its prec), and
    CBLAS_TYPED_OPS, their entries of the plugin's op table. The core has
    run the reference checks first."""
    out = [b, "/* SPDX-License-Identifier: Apache-2.0 */\n",
           '#include "vsz.h"\n\n', CBLAS_HELPERS]
    opmap = {o.name: o for o in ops}
    table = []
    for r in api.routines:
        if "opid" not in r.keys:
            continue
        fs = [f for f in routine_funcs(r) if f.spelling == "cblas"]
        opname = r.keys["op"]
        ints = [2 + j for j, a in enumerate(r.args)
                if a.kind == "scalar" and a.type == "int"]
        spans = "".join(
            "\tif (!cblas_span_fits(op, a, %d, %s))\n"
            "\t\treturn VACCEL_ENOTSUP;\n" % (inc, n)
            for n, inc in vec_spans(opmap[opname], cx))
        cases = []
        for f in fs:
            params, locals_ = ["(int)a[1].v.i"], []
            for j, a in enumerate(r.args):
                p, loc = cblas_arg(f, 2 + j, a)
                params.append(p)
                if loc:
                    locals_.append(loc)
            cases.append("\tcase %d: {\n%s\t\t%s(%s);\n\t\treturn VACCEL_OK;"
                         "\n\t}\n" % (PRECS.index(f.prec), "".join(locals_),
                                      f.symbol, ", ".join(params)))
        out.append(
            "static int cblas_%s(void *priv, struct vaccel_session *sess,\n"
            "\t\tconst struct vaccel_op_desc *op, struct vaccel_oparg *a)"
            "\n{\n\tstatic const uint8_t ints[] = {%s};\n"
            "\t(void)priv;\n\t(void)sess;\n"
            "\tif (!cblas_ints_fit(op, a, ints, sizeof(ints)))\n"
            "\t\treturn VACCEL_ENOTSUP;\n%s"
            "#ifdef CBLAS_LIMITS\n\tint limit = CBLAS_LIMITS(op, a);\n"
            "\tif (limit)\n\t\treturn limit;\n#endif\n"
            "\tswitch (a[0].v.i) {\n%s\tdefault:\n"
            "\t\treturn VACCEL_ENOTSUP;\n\t}\n}\n\n"
            % (opname, ", ".join(str(i) for i in ints), spans,
               "".join(cases)))
        table.append("\t{.op_id = %s, .fn = cblas_%s},"
                     % (r.keys["opid"], opname))
    out.append("/* The plugin's op table entries of these ops. */\n"
               "#define CBLAS_TYPED_OPS \\\n%s\n"
               % " \\\n".join(table))
    return "".join(out)


OUTPUTS = {"cblas": gen_cblas}
