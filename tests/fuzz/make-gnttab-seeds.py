#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seeds for fuzz_gnttab: small programs in the byte code fuzz_gnttab.c
decodes (see its pick_* helpers and LLVMFuzzerTestOneInput), each doing
something that succeeds, so the fuzzer starts from working calls:

  copy-frames    copy between two data frames by gmfn (DOMID_SELF)
  copy-grants    grant two frames to ourselves, copy grant to grant
  copy-typed     copies into a typed frame, from a ballooned one, by
                 frame and by grant (all must fail)
  setup-query    setup_table to 4 frames, query_size, a copy into the
                 new grant frame 3 (it names a grant entry there)
  swap-map       swap two entries, map and unmap from a domU,
                 set_version 2, get_version, get_status_frames
  batch          one copy hypercall with four ops, good and bad
  map-device     device maps of our own grant (rw, ro), their unmaps by
                 handle and bus address, a double unmap

usage: make-gnttab-seeds.py [OUT_DIR]   (default tests/fuzz/seeds/gnttab)
"""
import os
import struct
import sys

NR_REFS = 24
DATA = 0          # pick_frame kind: DATA_PFN + k
SELF, DOMU, DOM0 = 0, 3, 5   # pick_domid bytes: DOMID_SELF, GF_DOMID, 0

CMD = {"copy": 0, "setup": 4, "query": 5, "swap": 6, "map": 8,
       "unmap": 9, "replace": 10, "set_version": 11, "get_version": 12,
       "status_frames": 13}


def frame(kind, k):
    """pick_frame: kind 0 data frame k, 6 grant frame k, 9 low RAM frame k."""
    return bytes([kind + 10 * k])


def ref(r):
    return bytes([8 * (r % NR_REFS)])


def raw16(v):
    return bytes([3]) + struct.pack("<H", v)      # pick_len, raw value


def va_ops(off):
    return bytes([0, off // 8])                    # GF_OPS_VA + off


def grant(r, dom, fr, ro=False):
    """Guest writes entry r: permit_access for dom, frame fr."""
    return bytes([0]) + ref(r) + bytes([1 if ro else 0, dom]) + fr


def engine(op, k):
    """0 protect, 1 unprotect, 2 balloon out, 3 back in; data frame k."""
    return bytes([3, 4 * k + op])


def call(cmd, uop_off, count, ops):
    return bytes([4, CMD[cmd]]) + va_ops(uop_off) + bytes([count % 9]) + \
        bytes([len(ops) - 1]) + b"".join(ops)


def copy(flags, sdom, ddom, src, dst, soff, doff, length):
    return bytes([flags, sdom, ddom]) + src + dst + soff + doff + length


def unmap(handle, host_va_off=None, bus=True):
    """Handle (small), its window bus address or none, host_addr or 0."""
    host = b"\x01" if host_va_off is None else b"\x00" + va_ops(host_va_off)
    return bytes([handle, 1]) + host + bytes([1 if bus else 0])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fuzz/seeds/gnttab"
    os.makedirs(out, exist_ok=True)
    seeds = {
        "copy-frames": call("copy", 0, 1, [
            copy(0, SELF, SELF, frame(DATA, 0), frame(DATA, 1),
                 raw16(5), raw16(7), raw16(100))]),
        "copy-grants":
            grant(1, DOMU, frame(DATA, 2), ro=True) +
            grant(2, DOMU, frame(DATA, 3)) +
            call("copy", 0, 1, [copy(3, SELF, DOMU, ref(1), ref(2),
                                     b"\0", b"\0", b"\x02")]),
        "copy-typed":
            engine(0, 5) + grant(3, DOMU, frame(DATA, 5)) + engine(2, 6) +
            grant(4, DOMU, frame(DATA, 6)) +
            call("copy", 0, 1, [copy(0, SELF, SELF, frame(DATA, 4),
                                     frame(DATA, 5), b"\0", b"\0",
                                     raw16(8))]) +
            call("copy", 0, 1, [copy(2, SELF, SELF, frame(DATA, 4), ref(3),
                                     b"\0", b"\0", raw16(8))]) +
            call("copy", 0, 1, [copy(1, SELF, SELF, ref(4), frame(DATA, 4),
                                     b"\0", b"\0", raw16(8))]) +
            engine(1, 5) + engine(3, 6) +
            call("copy", 0, 1, [copy(0, SELF, SELF, frame(DATA, 4),
                                     frame(DATA, 5), b"\0", b"\0",
                                     raw16(8))]),
        "setup-query":
            call("setup", 0, 1, [bytes([SELF, 0, 4]) + va_ops(0x400)]) +
            call("query", 0, 1, [bytes([SELF])]) +
            call("copy", 0, 1, [copy(0, SELF, SELF, frame(DATA, 0),
                                     frame(6, 3), raw16(0), raw16(8),
                                     raw16(8))]),
        "swap-map":
            grant(5, DOMU, frame(DATA, 7)) + grant(6, DOM0, frame(DATA, 8)) +
            call("swap", 0, 1, [ref(5) + ref(6)]) +
            call("map", 0, 1, [bytes([2]) + ref(5) + bytes([DOMU]) +
                               va_ops(0x600)]) +
            call("unmap", 0, 1, [bytes(8)]) +
            call("set_version", 0, 1, [bytes([0, 2])]) +
            call("get_version", 0, 1, [bytes([SELF])]) +
            call("status_frames", 0, 1, [bytes([0, 1, SELF]) +
                                         va_ops(0x400)]),
        "batch":
            grant(7, DOMU, frame(DATA, 9)) +
            call("copy", 0, 4, [
                copy(0, SELF, SELF, frame(DATA, 0), frame(DATA, 1),
                     b"\0", b"\0", raw16(64)),
                copy(0, SELF, SELF, frame(DATA, 0), frame(DATA, 1),
                     raw16(4090), b"\0", raw16(8)),
                copy(1, SELF, SELF, ref(7), frame(DATA, 2),
                     b"\0", raw16(100), raw16(200)),
                copy(0, DOMU, SELF, frame(DATA, 0), frame(DATA, 1),
                     b"\0", b"\0", raw16(8))]),
        "map-device":
            grant(8, DOMU, frame(DATA, 10)) +
            call("map", 0, 2, [bytes([1]) + ref(8) + bytes([DOMU]) +
                               va_ops(0x600),
                               bytes([5]) + ref(8) + bytes([DOMU]) +
                               va_ops(0x600)]) +
            call("unmap", 0, 2, [unmap(0), unmap(1)]) +
            call("unmap", 0, 1, [unmap(0)]),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        print("%-12s %4d bytes" % (name, len(data)))


if __name__ == "__main__":
    main()
