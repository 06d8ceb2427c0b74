#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seeds for fuzz_ctl_proto: control messages as they travel the socket.

Each seed is one mode byte (see tests/fuzz/fuzz_ctl_proto.c: bit 0 reply,
bits 1-3 descriptors passed, bits 4-7 bytes in the first send) and the
bytes: a header (magic "PVC1", version, status, length) and a payload of
NUL-terminated strings.

usage: make-ctl-proto-seeds.py [OUT_DIR]   (default tests/fuzz/seeds/ctl_proto)
"""
import os
import struct
import sys

MAGIC, VERSION = 0x31435650, 2


def msg(payload, status=0, version=VERSION, magic=MAGIC, length=None):
    n = len(payload) if length is None else length
    return struct.pack("<IIiI", magic, version, status, n) + payload


def mode(reply=False, fds=0, first=0):
    return bytes([(1 if reply else 0) | (fds << 1) | (first << 4)])


CREATE = (b"create\0name=demo\0kernel=/srv/pv/vmlinuz\0"
          b"ramdisk=/srv/pv/initrd.img\0cmdline=console=hvc0 root=/dev/xvda\0"
          b"memory=256\0vcpus=2\0on_poweroff=destroy\0on_reboot=restart\0"
          b"on_crash=preserve\0")

SEEDS = {
    "list": mode() + msg(b"list\0"),
    "create-2fds": mode(fds=2) + msg(CREATE),
    "create-split": mode(fds=1, first=5) + msg(b"create\0name=a\0kernel=/k\0"),
    "too-many-fds": mode(fds=5) + msg(b"list\0"),
    "console": mode() + msg(b"console\0demo\0"),
    "no-final-nul": mode() + msg(b"list\0destroy"),
    "v1": mode() + msg(b"list\0", version=1),
    "bad-magic": mode() + msg(b"list\0", magic=0x12345678),
    "huge-len": mode() + msg(b"list\0", length=0xffffffff),
    "half-header": mode() + msg(b"")[:7],
    "short-payload": mode() + msg(b"list\0", length=64),
    "reply-ok": mode(reply=True) + msg(b"Name ID\ndemo 1\n"),
    "reply-err": mode(reply=True) + msg(b"no domain 'x'\n", status=-3),
    "reply-fds": mode(reply=True, fds=3, first=2) + msg(b""),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fuzz/seeds/ctl_proto"
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


main()
