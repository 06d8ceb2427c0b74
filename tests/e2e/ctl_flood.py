#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Hostile control-socket clients for tests/e2e/ctl-security.sh.

  ctl_flood.py flood SOCKET N SECONDS   open N connections, hold them
  ctl_flood.py half SOCKET               send half a request, report
                                         how long pvisord kept it open
  ctl_flood.py nofd SOCKET KERNELPATH    a create request with a kernel
                                         path but no descriptor
"""
import socket
import struct
import sys
import time

MAGIC, VERSION = 0x31435650, 2


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def reply(s):
    hdr = b""
    while len(hdr) < 16:
        chunk = s.recv(16 - len(hdr))
        if not chunk:
            return None, b""
        hdr += chunk
    _, _, status, n = struct.unpack("<IIiI", hdr)
    body = b""
    while len(body) < n:
        chunk = s.recv(n - len(body))
        if not chunk:
            break
        body += chunk
    return status, body


def main():
    what, path = sys.argv[1], sys.argv[2]
    if what == "flood":
        n, hold = int(sys.argv[3]), float(sys.argv[4])
        conns, refused = [], 0
        for _ in range(n):
            try:
                conns.append(connect(path))
            except OSError:
                refused += 1
        print("opened %d, refused at connect %d" % (len(conns), refused))
        sys.stdout.flush()
        time.sleep(hold)
        for c in conns:
            c.close()
    elif what == "half":
        s = connect(path)
        s.sendall(struct.pack("<IIiI", MAGIC, VERSION, 0, 100) + b"li")
        t0 = time.time()
        s.settimeout(30)
        try:
            status, body = reply(s)
        except OSError:
            status, body = None, b""
        print("%.1f %s %s" % (time.time() - t0, status,
                              body.decode(errors="replace").strip()))
    elif what == "nofd":
        body = b"create\0name=nofd\0kernel=" + sys.argv[3].encode() + b"\0"
        s = connect(path)
        s.sendall(struct.pack("<IIiI", MAGIC, VERSION, 0, len(body)) + body)
        status, text = reply(s)
        print(status, text.decode(errors="replace").strip())


main()
