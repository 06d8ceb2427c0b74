#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write a cpio "newc" archive of a directory tree to stdout.

Owners are root, timestamps zero and entries sorted, so the archive is
reproducible and needs no privileges; /dev/console is added as a device
node because the kernel opens it for /init before devtmpfs is mounted.
Usage: mkcpio.py ROOT > archive.cpio
"""
import os
import stat
import sys

out = sys.stdout.buffer
ino = 0


def entry(name, mode, data=b"", rdev=(0, 0), nlink=1):
    global ino
    ino += 1
    name_b = name.encode() + b"\0"
    hdr = "070701" + "".join("%08x" % v for v in (
        ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1],
        len(name_b), 0))
    out.write(hdr.encode() + name_b)
    out.write(b"\0" * (-(110 + len(name_b)) % 4))
    out.write(data)
    out.write(b"\0" * (-len(data) % 4))


def main():
    root = sys.argv[1]
    paths = []
    for top, dirs, files in os.walk(root):
        for n in dirs + files:
            paths.append(os.path.relpath(os.path.join(top, n), root))
    for rel in sorted(paths):
        full = os.path.join(root, rel)
        st = os.lstat(full)
        perm = stat.S_IMODE(st.st_mode)
        if stat.S_ISLNK(st.st_mode):
            entry(rel, stat.S_IFLNK | 0o777, os.readlink(full).encode())
        elif stat.S_ISDIR(st.st_mode):
            entry(rel, stat.S_IFDIR | perm, nlink=2)
        elif stat.S_ISREG(st.st_mode):
            with open(full, "rb") as f:
                entry(rel, stat.S_IFREG | perm, f.read())
    entry("dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1))
    entry("TRAILER!!!", 0)


main()
