#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Hostile control-socket clients for tests/e2e/ctl-security.sh.

  ctl_flood.py flood SOCKET N SECONDS  open N connections at once, send
                                       nothing; say how many pvisord
                                       refused at once and how many it
                                       closed within SECONDS
  ctl_flood.py half SOCKET             send half a header; say how long
                                       pvisord kept the connection
  ctl_flood.py drip SOCKET SECONDS     a valid request, a byte a second;
                                       say when pvisord gave up on it
  ctl_flood.py nofd SOCKET PATH        a create request naming a kernel
                                       path but passing no descriptor
  ctl_flood.py watch FILE              print each open/read of FILE
                                       (inotify) until killed
  ctl_flood.py raw SOCKET ARG...       one request of these words, no
                                       descriptors (what pvctl would
                                       have refused to send)

Results are printed as key=value words for the shell.
"""
import ctypes
import os
import resource
import select
import socket
import struct
import sys
import time

MAGIC, VERSION = 0x31435650, 2
HDR = struct.Struct("<IIiI")


def connect(path, timeout=5.0):
    """Connect within timeout: a full backlog says EAGAIN, not EINPROGRESS,
    so a non-blocking connect is retried rather than waited for."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)
    deadline = time.time() + timeout
    while True:
        try:
            s.connect(path)
            break
        except BlockingIOError:
            if time.time() >= deadline:
                s.close()
                raise TimeoutError("backlog full")
            time.sleep(0.001)
    s.settimeout(timeout)
    return s


def reply(s):
    """(status, text) of one reply; (None, '') if it hung up instead."""
    data = b""
    try:
        while len(data) < HDR.size:
            chunk = s.recv(HDR.size - len(data))
            if not chunk:
                return None, ""
            data += chunk
        _, _, status, n = HDR.unpack(data)
        body = b""
        while len(body) < n:
            chunk = s.recv(n - len(body))
            if not chunk:
                break
            body += chunk
    except OSError:
        return None, ""
    return status, body.decode(errors="replace").strip()


def flood(path, n, hold):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 64), hard))
    conns, failed = [], 0
    t0 = time.time()
    for _ in range(n):
        if failed:
            failed += 1    # one full backlog is enough to know
            continue
        try:
            conns.append(connect(path, 2.0))
        except OSError:
            failed += 1
    # Who got an answer (a refusal) or a hang-up, and when.
    pending = {c.fileno(): c for c in conns}
    refused = closed = 0
    last = 0.0
    deadline = t0 + hold
    while pending and time.time() < deadline:
        ready, _, _ = select.select(list(pending), [], [], 0.2)
        for fd in ready:
            c = pending.pop(fd)
            status, text = reply(c)
            if status is not None and "too many" in text:
                refused += 1
            else:
                closed += 1
                last = time.time() - t0
    print("opened=%d connect_failed=%d refused=%d closed=%d open=%d "
          "last_close_s=%.1f" % (len(conns), failed, refused, closed,
                                 len(pending), last))
    sys.stdout.flush()
    for c in conns:
        c.close()


def half(path):
    s = connect(path)
    # Magic and half the version: not even a whole header.
    s.sendall(HDR.pack(MAGIC, VERSION, 0, 100)[:6])
    t0 = time.time()
    s.settimeout(30)
    status, text = reply(s)
    print("held_s=%.1f status=%s" % (time.time() - t0, status))


def drip(path, seconds):
    """A valid request, one byte a second: each read is quick, the whole
    never comes. Say how long pvisord kept taking bytes."""
    body = b"list\0"
    msg = HDR.pack(MAGIC, VERSION, 0, len(body)) + body
    s = connect(path)
    t0 = time.time()
    sent = 0
    for i in range(min(len(msg) - 1, int(seconds))):
        if select.select([s], [], [], 1.0)[0]:
            break    # pvisord answered or hung up
        try:
            s.send(msg[i:i + 1])
            sent += 1
        except OSError:
            break
    s.settimeout(30)
    status, text = reply(s)
    print("drip_s=%.1f drip_bytes=%d drip_status=%s" %
          (time.time() - t0, sent, status))


def nofd(path, kernel):
    body = b"create\0name=nofd\0kernel=" + kernel.encode() + b"\0"
    s = connect(path)
    s.sendall(HDR.pack(MAGIC, VERSION, 0, len(body)) + body)
    status, text = reply(s)
    print("status=%s text='%s'" % (status, text.replace("'", "")))


def raw(path, args):
    body = b"".join(a.encode() + b"\0" for a in args)
    s = connect(path)
    s.sendall(HDR.pack(MAGIC, VERSION, 0, len(body)) + body)
    status, text = reply(s)
    print("status=%s text=%s" % (status, text))


def watch(path):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(0)
    IN_ACCESS, IN_OPEN = 0x1, 0x20
    if fd < 0 or libc.inotify_add_watch(fd, path.encode(),
                                        IN_ACCESS | IN_OPEN) < 0:
        print("watch failed: errno %d" % ctypes.get_errno())
        sys.exit(1)
    print("ready", flush=True)
    while True:
        data = os.read(fd, 4096)
        off = 0
        while off + 16 <= len(data):
            _, mask, _, n = struct.unpack_from("iIII", data, off)
            print("OPEN" if mask & IN_OPEN else "ACCESS", flush=True)
            off += 16 + n


def main():
    what = sys.argv[1]
    if what == "flood":
        flood(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    elif what == "half":
        half(sys.argv[2])
    elif what == "drip":
        drip(sys.argv[2], float(sys.argv[3]))
    elif what == "nofd":
        nofd(sys.argv[2], sys.argv[3])
    elif what == "watch":
        watch(sys.argv[2])
    elif what == "raw":
        raw(sys.argv[2], sys.argv[3:])


main()
