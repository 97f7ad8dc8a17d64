# SPDX-License-Identifier: Apache-2.0
"""The OpenCV family of interposer specs (codegen/specs/opencv.spec): C++
functions named by their mangled symbols, whose arguments are OpenCV's
proxies (cv::_InputArray, cv::_OutputArray) and small value types.

Each function travels as one op: an InputArray is a one-tensor list (a
strided view with the image it was cut from), each value scalar one or
more scalars, and every output comes back in one raw tensor list whose
shapes the host chooses, followed by the function's return value (when
it has one) and the exception it raised (empty when none). The guest
creates each output through its own proxy's create().

Generated from one spec: the op table entries (ffi_ops), the shim's C
tables (gen_shim), its C++ wrappers (gen_cxx_shim), the host plugin's op
functions (gen_host) and a translation unit that makes the compiler
check every symbol against the declared parameters (gen_symcheck).
Format: docs/codegen.md, "The OpenCV family".
"""

import re

from interposer import SpecError

SHIM = {"header": "opencv.h", "family": "shim_opencv_family",
        "info": "struct shim_opencv_fn"}

# type: (C++ parameter type, wire scalars: (suffix, wire type, C++ member
# expression of the value, host constructor))
VALUE_TYPES = {
    "int": ("int", [("", "i32", "{n}", "(int)a[{i}].v.i")]),
    "bool": ("bool", [("", "i32", "{n} ? 1 : 0", "a[{i}].v.i != 0")]),
    "double": ("double", [("", "f64", "{n}", "a[{i}].v.f64")]),
    "Size": ("cv::Size", [("_w", "i32", "{n}.width", None),
                          ("_h", "i32", "{n}.height", None)]),
    "Point": ("cv::Point", [("_x", "i32", "{n}.x", None),
                            ("_y", "i32", "{n}.y", None)]),
    "Scalar": ("const cv::Scalar &",
               [("_%d" % k, "f64", "{n}.val[%d]" % k, None)
                for k in range(4)]),
}
# how the host builds a composite value from its consecutive scalars
COMPOSITE = {
    "Size": "cv::Size((int)a[{i}].v.i, (int)a[{j}].v.i)",
    "Point": "cv::Point((int)a[{i}].v.i, (int)a[{j}].v.i)",
    "Scalar": "cv::Scalar(a[{i}].v.f64, a[{i1}].v.f64, a[{i2}].v.f64, "
              "a[{i3}].v.f64)",
}
ARRAYS = {"InputArray": "const cv::_InputArray &",
          "OutputArray": "const cv::_OutputArray &"}
# inputs that travel as one tensor list: a list of images (one proxy of
# kind vector of Mat, or one Mat), a vector of numbers (one 1-d tensor);
# (C++ parameter type, the host's local)
LISTS = {"InputArrayOfArrays": ("const cv::_InputArray &",
                                "std::vector<cv::Mat>"),
         "IntVector": ("const std::vector<int> &", "std::vector<int>"),
         "FloatVector": ("const std::vector<float> &",
                         "std::vector<float>")}
# outputs that are not images: written by the shim into the program's own
# container (name -> C++ parameter type)
RESULTS = {"RectVector": "std::vector<cv::Rect> &",
           "KeyPointVector": "std::vector<cv::KeyPoint> &"}
# each output's kind letter (the runtimes' kinds strings) and the host's
# container of that kind
KINDS = {"OutputArray": ("i", "o"), "RectVector": ("r", "rects"),
         "KeyPointVector": ("k", "points")}
LIFE = ("ctor", "load", "dtor")
RETURNS = {"void": "void", "double": "double"}
CLASSES = ["imgproc", "objdetect", "features2d"]
KEYS = ("cost", "class", "returns", "inout")


class FArg:
    def __init__(self, name, typ, where):
        self.name, self.type, self.where = name, typ, where


class Klass:
    """A class whose objects the shim follows (`class NAME file`): loaded
    from a file (its constructor from a path, load()), which goes to the
    host as a resource the first time a method of the object is
    offloaded, and forgotten when the object is destroyed."""

    def __init__(self, name, where):
        self.name, self.where = name, where
        self.life = {}


class Life:
    """One of a class's constructor, load() or destructor, intercepted to
    follow its objects: a shim_fns entry with no op."""

    def __init__(self, klass, kind, symbol, where):
        self.klass, self.kind, self.symbol, self.where = (klass, kind,
                                                          symbol, where)
        self.cls, self.id, self.cost = 0, 0, 0.0
        self.name = "%s::%s" % (klass.name, kind)


class Fn:
    def __init__(self, name, opid, symbol, keys, where):
        self.name, self.id, self.symbol, self.where = (name, opid, symbol,
                                                       where)
        self.keys = keys
        self.args = []
        self.cost = float(keys.get("cost", "1"))
        self.cls = CLASSES.index(keys.get("class", "imgproc"))
        self.returns = keys.get("returns", "void")
        # inout=OUT:FLAG: the function reads output OUT when its bool
        # argument FLAG is true (calcHist's accumulate)
        self.inout = tuple(keys["inout"].split(":", 1)) \
            if "inout" in keys else None

    @property
    def op_name(self):
        return "cv_" + self.name.replace("::", "_")

    @property
    def klass(self):
        """The class of a method (its first argument is `this`)."""
        return self.args[0].klass if self.args and \
            self.args[0].name == "this" else None

    @property
    def method(self):
        return self.name.split("::")[-1]

    def inputs(self):
        return [a for a in self.args if a.type == "InputArray"]

    def lists(self):
        return [a for a in self.args if a.type in LISTS]

    def outputs(self):
        """Everything in the results list before the return value: the
        images and the containers, in argument order."""
        return [a for a in self.args if a.type == "OutputArray" or
                a.type in RESULTS]


class Parser:
    def __init__(self, api):
        self.api = api
        api.cv_version = None
        api.cv_classes = {}
        api.cv_life = []
        self.fn = self.klass = None

    def boundary(self):
        self.fn = self.klass = None

    def line(self, where, text, indented, words):
        api = self.api
        if not indented and words[0] == "version":
            if len(words) != 2 or not re.fullmatch(r"\d+\.\d+", words[1]):
                raise SpecError("%s: 'version MAJOR.MINOR'" % where)
            api.cv_version = tuple(int(x) for x in words[1].split("."))
            return
        if not indented and words[0] == "class":
            if len(words) != 3 or words[2] != "file" or \
                    not re.fullmatch(r"[A-Za-z_]\w*", words[1]):
                raise SpecError("%s: 'class NAME file'" % where)
            if words[1] in api.cv_classes:
                raise SpecError("%s: class '%s' twice" % (where, words[1]))
            self.klass = Klass(words[1], where)
            self.fn = None
            api.cv_classes[words[1]] = self.klass
            return
        if indented and self.klass is not None:
            if len(words) != 2 or words[0] not in LIFE or \
                    not re.fullmatch(r"_Z\w+", words[1]):
                raise SpecError("%s: '%s SYMBOL' (a mangled symbol)"
                                % (where, "|".join(LIFE)))
            if words[0] in self.klass.life:
                raise SpecError("%s: %s twice" % (where, words[0]))
            life = Life(self.klass, words[0], words[1], where)
            self.klass.life[words[0]] = life
            api.cv_life.append(life)
            return
        if not indented and words[0] == "fn":
            self.klass = None
            if len(words) < 4:
                raise SpecError("%s: 'fn NAME ID SYMBOL [key=value...]'"
                                % where)
            name, sid, sym = words[1:4]
            if not re.fullmatch(r"([A-Za-z_]\w*::)?[A-Za-z_]\w*", name):
                raise SpecError("%s: bad function name '%s'" % (where, name))
            if not sid.isdigit():
                raise SpecError("%s: op id '%s' is not a number"
                                % (where, sid))
            if not re.fullmatch(r"_Z\w+", sym):
                raise SpecError("%s: '%s' is not a mangled C++ symbol"
                                % (where, sym))
            keys = {}
            for w in words[4:]:
                k, eq, v = w.partition("=")
                if not eq or k not in KEYS:
                    raise SpecError("%s: unknown key '%s' (have %s)"
                                    % (where, w, ", ".join(KEYS)))
                keys[k] = v
            if keys.get("class", "imgproc") not in CLASSES:
                raise SpecError("%s: unknown class '%s' (have %s)"
                                % (where, keys["class"],
                                   ", ".join(CLASSES)))
            if keys.get("returns", "void") not in RETURNS:
                raise SpecError("%s: returns=%s (have %s)"
                                % (where, keys["returns"],
                                   ", ".join(RETURNS)))
            try:
                cost = float(keys.get("cost", "1"))
            except ValueError:
                cost = -1
            if not cost > 0:
                raise SpecError("%s: cost=%s is not a number > 0"
                                % (where, keys.get("cost")))
            for f in api.routines:
                if f.name == name or f.symbol == sym:
                    raise SpecError("%s: '%s' already declared at %s"
                                    % (where, name, f.where))
            self.fn = Fn(name, int(sid), sym, keys, where)
            api.routines.append(self.fn)
            return
        if indented and self.fn is not None:
            if len(words) != 2:
                raise SpecError("%s: 'NAME TYPE'" % where)
            name, typ = words
            arg = FArg(name, typ, where)
            arg.klass = None
            if name == "this":
                cls = self.fn.name.split("::")[0]
                if "::" not in self.fn.name or typ != cls or \
                        cls not in api.cv_classes or self.fn.args:
                    raise SpecError(
                        "%s: 'this CLASS' comes first, in a method "
                        "CLASS::NAME of a declared class" % where)
                arg.klass = api.cv_classes[cls]
            elif typ not in ARRAYS and typ not in VALUE_TYPES and \
                    typ not in RESULTS and typ not in LISTS:
                raise SpecError("%s: unknown type '%s' (have %s)"
                                % (where, typ, ", ".join(
                                    list(ARRAYS) + list(LISTS) +
                                    list(VALUE_TYPES) + list(RESULTS))))
            if any(a.name == name for a in self.fn.args):
                raise SpecError("%s: argument '%s' twice" % (where, name))
            self.fn.args.append(arg)
            return
        raise SpecError("%s: expected 'version', 'fn' or an argument of a "
                        "fn" % where)

    def end(self):
        if self.api.cv_version is None:
            raise SpecError("%s: no 'version MAJOR.MINOR' line"
                            % self.api.where)
        for k in self.api.cv_classes.values():
            if "dtor" not in k.life or len(k.life) < 2:
                raise SpecError("%s: class %s needs its dtor and a ctor "
                                "or load" % (k.where, k.name))
        for f in self.api.routines:
            if "::" in f.name and f.klass is None:
                raise SpecError("%s: method %s has no 'this' argument"
                                % (f.where, f.name))
            if not f.inputs() and not any(
                    a.type == "InputArrayOfArrays" for a in f.args):
                raise SpecError("%s: %s has no InputArray" % (f.where,
                                                              f.name))
            if f.inout is not None:
                types = {a.name: a.type for a in f.args}
                if len(f.inout) != 2 or \
                        types.get(f.inout[0]) != "OutputArray" or \
                        types.get(f.inout[1]) != "bool":
                    raise SpecError("%s: inout=OUT:FLAG names an "
                                    "OutputArray and a bool argument of "
                                    "%s" % (f.where, f.name))
            if not f.outputs():
                raise SpecError("%s: %s has no OutputArray" % (f.where,
                                                               f.name))


def funcs(api):
    """The functions (with an op) and then the classes' constructors,
    load()s and destructors (without): the shim's table, in order."""
    return api.routines + api.cv_life


def classes():
    return CLASSES


def wire_args(f):
    """(name, kind, type) of the op's arguments, in order, and for each
    spec argument the index of its first wire argument (outputs: their
    place in the outputs list)."""
    out, first = [], {}
    nouts = 0
    for a in f.args:
        if a.klass is not None:
            first[a.name] = len(out)
            out.append(("object", "resource", "u8"))
        elif a.type == "InputArray" or a.type in LISTS:
            first[a.name] = len(out)
            out.append((a.name, "tensors_in", "u8"))
        elif a.type == "OutputArray" or a.type in RESULTS:
            first[a.name] = nouts
            nouts += 1
        else:
            first[a.name] = len(out)
            for suffix, wt, _, _ in VALUE_TYPES[a.type][1]:
                out.append((a.name + suffix, "scalar", wt))
    if f.inout is not None:
        # what the output holds before the call, when the flag is set
        first["prior"] = len(out)
        out.append((f.inout[0] + "_prior", "tensors_in", "u8"))
    first["outputs"] = len(out)
    out.append(("outputs", "tensors_out", "raw"))
    return out, first


def ffi_ops(api, op_cls, arg_cls):
    ops = []
    for f in api.routines:
        op = op_cls(f.op_name, f.id, [], f.where)
        for name, kind, typ in wire_args(f)[0]:
            op.args.append(arg_cls(name, kind, typ, None, f.where))
        ops.append(op)
    return ops


def kinds(f):
    """What each output is, in order: i an image (OutputArray), r a
    vector of rectangles, k a vector of keypoints."""
    return "".join(KINDS[a.type][0] for a in f.outputs())


def cxx_type(a):
    if a.klass is not None:
        return "cv::%s *" % a.klass.name
    if a.type in LISTS:
        return LISTS[a.type][0]
    return ARRAYS.get(a.type) or RESULTS.get(a.type) or \
        VALUE_TYPES[a.type][0]


def cxx_params(f):
    """(C++ type, name) of each parameter; a method's `this` first, as
    the Itanium C++ ABI passes it."""
    return [(cxx_type(a), "self" if a.klass else a.name) for a in f.args]


def cxx_sig(f):
    """The function's type as the header declares it: a pointer to
    function, or to member function for a method."""
    params = [t for t, _ in cxx_params(f)]
    if f.klass is not None:
        return "%s (cv::%s::*)(%s)" % (RETURNS[f.returns], f.klass.name,
                                       ", ".join(params[1:]))
    return "%s (*)(%s)" % (RETURNS[f.returns], ", ".join(params))


def cxx_ref(f):
    """&cv::name or &cv::Class::method."""
    return "&cv::" + f.name


BANNER_INCLUDES = ("#include <opencv2/core.hpp>\n#include <opencv2/imgproc.hpp>\n"
                   "#include <opencv2/objdetect.hpp>\n"
                   "#include <opencv2/features2d.hpp>\n")


# ---- the shim: C tables and C++ wrappers -----------------------------------

def gen_shim(api, ops, banner, tables):
    """The C part of the shim: the tables of the common runtime. The
    wrappers are C++ (gen_cxx_shim); here their symbols are only taken
    by address."""
    fs = funcs(api)
    out = [banner, "/* SPDX-License-Identifier: Apache-2.0 */\n",
           '#include "%s"\n#include "shim.h"\n\n' % SHIM["header"]]
    out.append("/* the C++ wrappers (shim_opencv_wrap.cc), by address */\n")
    out += ["void %s(void);\n" % f.symbol for f in fs]
    out.append("\n")
    table = [(f.symbol, f.cls, "{ .op_id = %d, .cost = %r }"
              % (f.id, f.cost)) for f in fs]
    out.append(tables(api, fs, table))
    return "".join(out)


def cxx_decl(params):
    return ", ".join("%s%s%s" % (t, "" if t.endswith(("&", "*")) else " ", n)
                     for t, n in params)


LIFE_PARAMS = {"ctor": [("const std::string &", "filename")],
               "load": [("const std::string &", "filename")],
               "dtor": []}
LIFE_RET = {"ctor": "void", "load": "bool", "dtor": "void"}


def life_wrapper(k, f):
    """A class's constructor from a path, load() or destructor: the
    program's own, and the shim told what the object now holds."""
    params = [("cv::%s *" % f.klass.name, "self")] + LIFE_PARAMS[f.kind]
    names = [n for _, n in params]
    rt = LIFE_RET[f.kind]
    out = ["// cv::%s (followed: its objects' files go to the host)\n"
           % f.name,
           'extern "C" SHIM_CV_EXPORT %s %s(%s)\n{\n'
           % (rt, f.symbol, cxx_decl(params)),
           "\ttypedef %s fn_t(%s);\n" % (rt, ", ".join(t for t, _ in
                                                       params))]
    call = "((fn_t *)shim_cv::real(%d))(%s)" % (k, ", ".join(names))
    if f.kind == "dtor":
        out.append("\tshim_cv::objects_gone(self);\n\t%s;\n}\n\n" % call)
    elif f.kind == "ctor":
        out.append("\t%s;\n\tshim_cv::objects_loaded(self, filename, "
                   "true);\n}\n\n" % call)
    else:
        out.append("\tbool r = %s;\n\tshim_cv::objects_loaded(self, "
                   "filename, r);\n\treturn r;\n}\n\n" % call)
    return "".join(out)


def gen_cxx_shim(api, ops, banner, cx=None):
    fs = funcs(api)
    out = [banner, "// SPDX-License-Identifier: Apache-2.0\n",
           BANNER_INCLUDES, '#include "cvshim.hpp"\n\n',
           "#if CV_VERSION_MAJOR != %d || CV_VERSION_MINOR != %d\n"
           '#error "the spec is for OpenCV %d.%d"\n#endif\n\n'
           % (api.cv_version * 2)]
    for k, f in enumerate(fs):
        if isinstance(f, Life):
            out.append(life_wrapper(k, f))
            continue
        wires, first = wire_args(f)
        params = cxx_params(f)
        names = [n for _, n in params]
        rt = RETURNS[f.returns]
        out.append("// cv::%s\n" % f.name)
        out.append('extern "C" SHIM_CV_EXPORT %s %s(%s)\n{\n'
                   % (rt, f.symbol, cxx_decl(params)))
        out.append("\ttypedef %s fn_t(%s);\n" % (
            rt, ", ".join(t for t, _ in params)))
        out.append("\tconst unsigned int k = %d;\n" % k)
        out.append("\tif (shim_cv::wants(k, __builtin_return_address(0))) "
                   "{\n")
        out.append("\t\tshim_cv::Call c(k, %d, %d, \"%s\", %s);\n"
                   % (f.id, len(wires), kinds(f),
                      "true" if f.returns != "void" else "false"))
        conds = []
        for a in f.args:
            i = first[a.name]
            if a.klass is not None:
                conds.append("c.object(%d, self)" % i)
            elif a.type == "InputArray":
                conds.append("c.in(%d, %s)" % (i, a.name))
            elif a.type == "InputArrayOfArrays":
                conds.append("c.ins(%d, %s)" % (i, a.name))
            elif a.type in LISTS:
                conds.append("c.vec(%d, %s)" % (i, a.name))
            elif a.type == "OutputArray":
                conds.append("c.out(%d, %s)" % (i, a.name))
            elif a.type in RESULTS:
                conds.append("c.result(%d, %s)" % (i, a.name))
        if f.inout is not None:
            conds.append("c.prior(%d, %s, %s)" % (first["prior"],
                                                  f.inout[0], f.inout[1]))
        out.append("\t\tbool ok = %s;\n" % " &&\n\t\t\t  ".join(conds))
        for a in f.args:
            if a.type in ARRAYS or a.type in RESULTS or a.klass or \
                    a.type in LISTS:
                continue
            i = first[a.name]
            for j, (_, wt, expr, _) in enumerate(VALUE_TYPES[a.type][1]):
                member = "f64" if wt == "f64" else "i"
                out.append("\t\tc.a[%d].v.%s = %s;\n"
                           % (i + j, member, expr.format(n=a.name)))
        out.append("\t\tif (ok && c.run(%r) == 0)\n" % f.cost)
        out.append("\t\t\treturn%s;\n\t}\n" % (
            " c.ret()" if f.returns != "void" else ""))
        out.append("\tshim_cv::Local guard(k);\n")
        out.append("\treturn ((fn_t *)shim_cv::real(k))(%s);\n}\n\n"
                   % ", ".join(names))
    return "".join(out)


# ---- the host: the plugin's op functions -----------------------------------

def host_value(a, i):
    cons = VALUE_TYPES[a.type][1][0][3]
    if cons is not None:
        return cons.format(i=i)
    return COMPOSITE[a.type].format(i=i, j=i + 1, i1=i + 1, i2=i + 2,
                                    i3=i + 3)


def gen_host(api, ops, banner, cx=None):
    out = [banner, "// SPDX-License-Identifier: Apache-2.0\n",
           BANNER_INCLUDES, '#include "cvhost.hpp"\n\n']
    entries = []
    for f in api.routines:
        wires, first = wire_args(f)
        ins = f.inputs()
        fid = f.name.replace("::", "_")
        out.append("// cv::%s\n" % f.name)
        out.append("static int op_%s(void *, struct vaccel_session *,\n"
                   "\t\tconst struct vaccel_op_desc *, "
                   "struct vaccel_oparg *a)\n{\n" % fid)
        out.append("\tcv_host::Call c(a, %d, \"%s\", %s);\n"
                   % (first["outputs"], kinds(f),
                      "true" if f.returns != "void" else "false"))
        if ins:
            out.append("\tcv::Mat %s;\n" % ", ".join(
                "in%d" % j for j in range(len(ins))))
        conds = ["!c.ok()"] + ["!c.in(%d, in%d)" % (first[a.name], j)
                               for j, a in enumerate(ins)]
        lists = f.lists()
        for j, a in enumerate(lists):
            out.append("\t%s l%d;\n" % (LISTS[a.type][1], j))
            conds.append("!c.list(%d, l%d)" % (first[a.name], j))
        if f.inout is not None:
            conds.append("!c.prior(%d, %d)" % (first["prior"],
                                               first[f.inout[0]]))
        if f.klass is not None:
            out.append("\tstd::shared_ptr<cv_host::Object<cv::%s>> obj;\n"
                       % f.klass.name)
            conds.append("!c.object(%d, obj)" % first["this"])
        out.append("\tif (%s)\n\t\treturn VACCEL_EINVAL;\n"
                   % " ||\n\t    ".join(conds))
        vals = []
        for a in f.args:
            i = first[a.name]
            if a.klass is not None:
                continue
            if a.type == "InputArray":
                vals.append("in%d" % ins.index(a))
            elif a.type in LISTS:
                vals.append("l%d" % lists.index(a))
            elif a.type in KINDS:
                vals.append("c.%s[%d]" % (KINDS[a.type][1], i))
            else:
                vals.append(host_value(a, i))
        if f.klass is not None:
            call = "(obj->value.*static_cast<%s>(%s))(%s)" % (
                cxx_sig(f), cxx_ref(f), ", ".join(vals))
            lock = "std::lock_guard<std::mutex> held(obj->lock); "
        else:
            call = "static_cast<%s>(%s)(%s)" % (cxx_sig(f), cxx_ref(f),
                                               ", ".join(vals))
            lock = ""
        out.append("\treturn c.run([&] { %s%s%s; });\n}\n\n"
                   % (lock, "c.r = " if f.returns != "void" else "", call))
        entries.append((f.id, fid))
    # the functions by op id, for vAccel's generic opencv op
    out.append("const struct cv_host::Fn cv_host::fns[] = {\n")
    for f in api.routines:
        out.append('\t{%d, op_%s, "%s", %s, %s},\n' % (
            f.id, f.name.replace("::", "_"), kinds(f),
            "true" if f.returns != "void" else "false",
            "true" if f.klass is not None or f.lists() or f.inout or
            kinds(f).strip("i") else "false"))
    out.append("};\n\nconst size_t cv_host::nr_fns = %d;\n\n"
               % len(api.routines))
    out.append("static const struct vaccel_plugin_op cv_host_ops[] = {\n")
    out += ["\t{%d, op_%s},\n" % e for e in entries]
    out.append("\tCV_HOST_NATIVE_OPS\n")
    out.append("};\n\nCV_HOST_PLUGIN(cv_host_ops);\n")
    return "".join(out)


# ---- the build-time symbol check -------------------------------------------

def gen_symcheck(api, ops, banner, cx=None):
    """A translation unit that takes every function's address as the
    spec declares it: it compiles only if the declared parameters name an
    overload of the header, and its object's undefined symbols are the
    compiler's manglings, which the build compares with the spec's
    symbols and the library's (codegen/check_symbols.py). A method's
    address is a pointer to member; a constructor's and a destructor's
    cannot be taken (they are checked as exported only)."""
    out = [banner, "// SPDX-License-Identifier: Apache-2.0\n",
           BANNER_INCLUDES, "#include <cstring>\n\n",
           "#if CV_VERSION_MAJOR != %d || CV_VERSION_MINOR != %d\n"
           '#error "the spec is for OpenCV %d.%d"\n#endif\n\n'
           % (api.cv_version * 2)]
    refs = [(f.symbol, cxx_sig(f), cxx_ref(f)) for f in api.routines]
    refs += [(f.symbol, "bool (cv::%s::*)(const std::string &)"
              % f.klass.name, "&cv::%s::load" % f.klass.name)
             for f in api.cv_life if f.kind == "load"]
    for k, (sym, sig, ref) in enumerate(refs):
        out.append("// %s\nextern \"C\" const void *vaccel_cv_symcheck_%d()"
                   "\n{\n\tauto p = static_cast<%s>(%s);\n"
                   "\tconst void *r;\n\tstd::memcpy(&r, &p, sizeof(r));\n"
                   "\treturn r;\n}\n\n" % (sym, k, sig, ref))
    return "".join(out)


def symbols(api):
    """The symbols to check: `SYMBOL`, or `=SYMBOL` for one checked as
    exported only (constructors, destructors)."""
    return [f.symbol for f in api.routines] + [
        ("" if f.kind == "load" else "=") + f.symbol for f in api.cv_life]


OUTPUTS = {"shim-cxx": gen_cxx_shim, "host": gen_host,
           "symcheck": gen_symcheck}
