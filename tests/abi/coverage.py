#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check that tests/abi/abi-list.h covers every struct, field, typedef,
enumerator and constant the pvabi headers define.

The ABI test can only catch a wrong layout it is told to look at; this
script catches the forgotten entry.  It parses the preprocessed headers
with pycparser and scans their #define lines.  Function-like macros are
not tracked; abi-list.h exercises them on sample inputs by hand.

  coverage.py [--emit] CC INCDIR LISTFILE

--emit prints the entries the headers call for (to seed the list)
instead of checking.  Exit status 0: covered, 1: entries missing,
77: pycparser unavailable.
"""
import os
import re
import subprocess
import sys

try:
    from pycparser import c_parser, c_ast
except ImportError:
    sys.exit(77)

# Names that are not ABI values: helpers, aliases of fields, and macros
# whose expansion only makes sense in pvabi.  Entries ending in '*' are
# prefixes.
IGNORED_MACROS = {
    "XEN_GUEST_HANDLE", "XEN_GUEST_HANDLE_64", "set_xen_guest_handle",
    "xen_wc_sec_hi", "xen_mb", "xen_rmb", "xen_wmb", "XSD_ERROR",
    "GNTTABOP_error_msgs", "PVABI_*",
    # Xen's public headers have no e820 layout; abi-test.c checks it.
    "E820_*",
}
# Shared ring headers: Xen ends them with ring[1] and splits the padding
# in two, pvabi uses a flexible array and one pad; their size and the
# padding are therefore not compared, the ring's offset is.
SIZE_EXEMPT = re.compile(r"_sring$")


def headers(incdir):
    out = []
    for root, _, files in os.walk(os.path.join(incdir, "pvabi")):
        for f in sorted(files):
            if f.endswith(".h"):
                out.append(os.path.relpath(os.path.join(root, f), incdir))
    return sorted(out)


def preprocess(cc, incdir, hdrs, extra):
    src = "".join("#include <%s>\n" % h for h in hdrs)
    return subprocess.run([cc, "-E", "-I", incdir, "-x", "c", "-"] + extra,
                          input=src, capture_output=True, text=True,
                          check=True).stdout


def ignored(name):
    for pat in IGNORED_MACROS:
        if pat.endswith("*") and name.startswith(pat[:-1]):
            return True
        if name == pat:
            return True
    return False


def macros(incdir, hdr):
    out = []
    for line in open(os.path.join(incdir, hdr)):
        m = re.match(r"#define\s+(\w+)(\(?)\s*(.*)", line)
        if not m:
            continue
        name, func, body = m.groups()
        if func or ignored(name) or name.startswith("__RING"):
            continue
        body = re.sub(r"/\*.*?(\*/|$)", "", body)
        kind = "ABI_STR" if '"' in body else "ABI_CONST"
        out.append("%s(%s)" % (kind, name))
    return out


def is_scalar(decl_type, handles, member):
    """An integer member whose signedness both sides can be asked about.

    Guest handles are integers in pvabi but structs in Xen, so they are
    compared by offset and size only.
    """
    if member in handles:
        return False
    return (isinstance(decl_type, c_ast.TypeDecl) and
            isinstance(decl_type.type, c_ast.IdentifierType))


class Walker:
    def __init__(self, handle_fields):
        self.out = []
        self.handles = handle_fields
        self.seen = set()

    def record(self, kind, tag, decls):
        name = "%s %s" % (kind, tag)
        if name in self.seen or tag == "e820entry":    # see E820_*
            return
        self.seen.add(name)
        if not SIZE_EXEMPT.search(tag):
            self.out.append("ABI_SIZE(%s)" % name)
        self.members(name, "", decls)

    def members(self, name, prefix, decls):
        for d in decls or []:
            t = d.type
            if d.name is None:   # anonymous member: flatten
                self.members(name, prefix, t.type.decls)
                continue
            path = prefix + d.name
            if SIZE_EXEMPT.search(name) and d.name == "__pad":
                continue    # pvabi pads in one piece, Xen in two
            if isinstance(t, c_ast.ArrayDecl) and t.dim is None:
                self.out.append("ABI_FIELD(%s, %s[0])" % (name, path))
                continue
            if is_scalar(t, self.handles, d.name):
                self.out.append("ABI_SCALAR(%s, %s)" % (name, path))
            else:
                self.out.append("ABI_FIELD(%s, %s)" % (name, path))
            inner = t.type if isinstance(t, c_ast.TypeDecl) else None
            if isinstance(inner, (c_ast.Struct, c_ast.Union)) and inner.decls:
                if inner.name:
                    kind = "struct" if isinstance(inner, c_ast.Struct) else "union"
                    self.record(kind, inner.name, inner.decls)
                self.members(name, path + ".", inner.decls)

    def visit(self, node):
        if isinstance(node, (c_ast.Struct, c_ast.Union)) and node.decls:
            kind = "struct" if isinstance(node, c_ast.Struct) else "union"
            if node.name:
                self.record(kind, node.name, node.decls)
        elif isinstance(node, c_ast.Enum) and node.values:
            for e in node.values.enumerators:
                self.out.append("ABI_CONST(%s)" % e.name)
        for _, child in node.children():
            self.visit(child)


def handle_fields(incdir, hdrs):
    out = set()
    for h in hdrs:
        for line in open(os.path.join(incdir, h)):
            m = re.search(r"XEN_GUEST_HANDLE(?:_64)?\(.*\)\s+(\w+);", line)
            if m:
                out.add(m.group(1))
    return out


def structs(cc, incdir, hdrs):
    text = preprocess(cc, incdir, hdrs,
                      ["-D__attribute__(x)=", "-D__extension__="])
    ast = c_parser.CParser().parse(text)
    w = Walker(handle_fields(incdir, hdrs))
    by_file = {}
    for ext in ast.ext:
        if "pvabi/" not in (ext.coord.file or ""):
            continue
        if isinstance(ext, c_ast.Typedef):
            if not re.search(r"_(sring|front_ring|back_ring)_t$", ext.name):
                w.out.append("ABI_SIZE(%s)" % ext.name)
        w.visit(ext)
        for e in w.out:
            by_file.setdefault(ext.coord.file.split("pvabi/")[1], []).append(e)
        w.out = []
    return by_file


def listed(listfile):
    text = open(listfile).read()
    return set(re.sub(r"\s+", " ", m.group(0)).replace("( ", "(")
               for m in re.finditer(r"ABI_\w+\([^;\n]*?\)(?=\s*$)", text, re.M))


def main():
    args = sys.argv[1:]
    emit = args[:1] == ["--emit"]
    if emit:
        args = args[1:]
    cc, incdir, listfile = args
    hdrs = headers(incdir)
    per_file = structs(cc, incdir, hdrs)
    wanted = []
    for h in hdrs:
        name = h.split("pvabi/")[1]
        entries = per_file.get(name, []) + macros(incdir, h)
        wanted += entries
        if emit:
            print("\n/* %s */" % name)
            print("\n".join(entries))
    if emit:
        return 0
    have = listed(listfile)
    missing = [w for w in wanted if w not in have]
    for w in missing:
        print("abi-list.h lacks: %s" % w)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
