#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Raw xs_wire checks against pvxenstored's socket, for what Debian's
xenstore tools cannot express: req_id echo, error replies, transaction
conflicts, hostile framing.  Prints PASS:/FAIL: lines; exit 1 on failure.

usage: xs_raw.py SOCKET
"""
import socket
import struct
import sys

XS = dict(DIRECTORY=1, READ=2, GET_PERMS=3, WATCH=4, UNWATCH=5,
          TRANSACTION_START=6, TRANSACTION_END=7, INTRODUCE=8, RELEASE=9,
          GET_DOMAIN_PATH=10, WRITE=11, MKDIR=12, RM=13, SET_PERMS=14,
          WATCH_EVENT=15, ERROR=16, IS_DOMAIN_INTRODUCED=17)
HDR = struct.Struct("<IIII")
failed = 0


def check(name, ok, detail=""):
    global failed
    if ok:
        print("PASS: xenstore/%s" % name)
    else:
        failed += 1
        print("FAIL: xenstore/%s %s" % (name, detail))


class Conn:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(5)
        self.s.connect(path)
        self.req = 100
        self.events = []

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def recv_msg(self):
        t, r, tx, ln = HDR.unpack(self.recv_exact(HDR.size))
        return t, r, tx, self.recv_exact(ln)

    def call(self, typ, payload, tx=0):
        self.req += 1
        self.s.sendall(HDR.pack(XS[typ], self.req, tx, len(payload)) + payload)
        while True:
            t, r, rtx, body = self.recv_msg()
            if t == XS["WATCH_EVENT"]:
                self.events.append(body)
                continue
            return t, r, rtx, body

    def close(self):
        self.s.close()


def main(path):
    a, b = Conn(path), Conn(path)

    t, r, tx, body = a.call("WRITE", b"/raw/x\0one")
    check("raw-write-reqid-echo", t == XS["WRITE"] and r == a.req and body == b"OK\0",
          repr((t, r, body)))

    t, r, tx, body = a.call("READ", b"/raw/nonexistent\0")
    check("raw-error-enoent", t == XS["ERROR"] and body == b"ENOENT\0" and r == a.req,
          repr((t, body)))

    a.req += 1
    a.s.sendall(HDR.pack(99, a.req, 0, 0))
    t, r, tx, body = a.recv_msg()
    check("raw-unknown-type-enosys", t == XS["ERROR"] and body == b"ENOSYS\0",
          repr((t, body)))

    t, r, tx, body = a.call("READ", b"bad//path\0")
    check("raw-bad-path-einval", t == XS["ERROR"] and body == b"EINVAL\0", repr(body))

    # Transaction conflict: a reads in a transaction, b writes, a commits.
    t, r, tx, body = a.call("TRANSACTION_START", b"\0")
    txid = int(body.rstrip(b"\0"))
    t, r, rtx, body = a.call("READ", b"/raw/x\0", tx=txid)
    check("raw-tx-read", body == b"one" and rtx == txid, repr((body, rtx)))
    a.call("WRITE", b"/raw/y\0from-tx", tx=txid)
    t, r, rtx, body = b.call("READ", b"/raw/y\0")
    check("raw-tx-isolated", t == XS["ERROR"] and body == b"ENOENT\0", repr(body))
    b.call("WRITE", b"/raw/x\0two")
    t, r, rtx, body = a.call("TRANSACTION_END", b"T\0", tx=txid)
    check("raw-tx-conflict-eagain", t == XS["ERROR"] and body == b"EAGAIN\0", repr(body))
    t, r, rtx, body = b.call("READ", b"/raw/y\0")
    check("raw-tx-conflict-discarded", t == XS["ERROR"], repr(body))

    # ... and without interference it commits.
    t, r, tx, body = a.call("TRANSACTION_START", b"\0")
    txid = int(body.rstrip(b"\0"))
    a.call("WRITE", b"/raw/y\0from-tx", tx=txid)
    t, r, rtx, body = a.call("TRANSACTION_END", b"T\0", tx=txid)
    t2, r2, rtx2, body2 = b.call("READ", b"/raw/y\0")
    check("raw-tx-commit", t == XS["TRANSACTION_END"] and body2 == b"from-tx",
          repr((t, body, body2)))

    # Watches: immediate event, then one per change below the path.
    t, r, tx, body = b.call("WATCH", b"/raw\0tok\0")
    check("raw-watch-ack", body == b"OK\0", repr(body))
    a.call("WRITE", b"/raw/z\0v")
    b.call("READ", b"/raw/z\0")   # events arrive before this reply
    check("raw-watch-events", b.events[:2] == [b"/raw\0tok\0", b"/raw/z\0tok\0"],
          repr(b.events))

    t, r, tx, body = a.call("GET_DOMAIN_PATH", b"7\0")
    check("raw-get-domain-path", body == b"/local/domain/7\0", repr(body))

    # Hostile framing: an oversized length gets the client dropped, and
    # the daemon keeps serving everyone else.
    h = Conn(path)
    h.s.sendall(HDR.pack(XS["WRITE"], 1, 0, 100000) + b"x" * 64)
    try:
        dropped = h.s.recv(16) == b""
    except (ConnectionResetError, socket.timeout):
        dropped = True
    check("raw-oversized-dropped", dropped)
    t, r, tx, body = b.call("READ", b"/raw/x\0")
    check("raw-survives-hostile", body == b"two", repr(body))

    # A truncated message followed by a disconnect must not hurt either.
    h = Conn(path)
    h.s.sendall(HDR.pack(XS["WRITE"], 1, 0, 50) + b"/raw/half")
    h.close()
    t, r, tx, body = b.call("READ", b"/raw/x\0")
    check("raw-survives-truncated", body == b"two", repr(body))

    a.close()
    b.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
