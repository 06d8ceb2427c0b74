#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The host's end of a network test's TCP transfers.

  net_xfer.py send ADDR PORT FILE   connect (retrying for 60 s), send FILE,
                                    close; print "SENT bytes md5"
  net_xfer.py recv PORT OUT         listen on PORT, take one connection,
                                    write what arrives to OUT; print
                                    "RECV bytes md5 seconds" (seconds from
                                    the first byte to the end)
The first line of output, "LISTENING", says recv is ready.
"""
import hashlib
import socket
import sys
import time


def send(addr, port, path):
    deadline = time.monotonic() + 60
    while True:
        try:
            s = socket.create_connection((addr, int(port)), timeout=10)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    s.settimeout(600)
    h, n = hashlib.md5(), 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 16):
            s.sendall(chunk)
            h.update(chunk)
            n += len(chunk)
    s.shutdown(socket.SHUT_WR)
    while s.recv(4096):
        pass
    s.close()
    print("SENT", n, h.hexdigest(), flush=True)


def recv(port, out):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", int(port)))
    ls.listen(1)
    ls.settimeout(600)
    print("LISTENING", flush=True)
    c, _ = ls.accept()
    c.settimeout(600)
    h, n, t0 = hashlib.md5(), 0, None
    with open(out, "wb") as f:
        while chunk := c.recv(1 << 16):
            if t0 is None:
                t0 = time.monotonic()
            f.write(chunk)
            h.update(chunk)
            n += len(chunk)
    secs = time.monotonic() - t0 if t0 is not None else 0.0
    c.close()
    print("RECV", n, h.hexdigest(), "%.3f" % secs, flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "send":
        send(*sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "recv":
        recv(*sys.argv[2:])
    else:
        sys.exit(__doc__)
