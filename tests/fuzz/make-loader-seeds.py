#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seeds for fuzz_loader: small PV kernels as pvctl is given them.

  tiny.elf, tiny-p2m.elf   hand-made ELF64 PV kernels (one PT_LOAD, Xen
                           notes incl. HYPERCALL_PAGE; the second with
                           INIT_P2M and MOD_START_PFN), a few hundred bytes
  hello.elf                build/guests/hello.elf, stripped, without
                           section headers and cut after its last segment
  bz-<codec>               minimal bzImages (setup header, boot protocol
                           2.15) whose payload is hello.elf compressed as
                           Linux's build does it: lz4 -l, gzip, xz, lzma,
                           zstd, bzip2; all but gzip get the 4-byte size
                           trailer (gzip's own ISIZE is the trailer)

usage: make-loader-seeds.py [HELLO_ELF] [OUT_DIR]
(defaults: build/guests/hello.elf, tests/fuzz/seeds/loader; `make guests`
builds hello.elf). Needs binutils' strip and the lz4, gzip, xz, zstd and
bzip2 commands (scripts/install-deps.sh).
"""
import os
import struct
import subprocess
import sys
import tempfile

VIRT_BASE = 0xffffffff80000000
PADDR = 0x200000
KSTART = VIRT_BASE + PADDR

# Xen ELF note types (guest-abi/include/pvabi/elfnote.h)
ENTRY, HYPERCALL_PAGE, VIRT_BASE_N, PADDR_OFFSET = 1, 2, 3, 4
XEN_VERSION, GUEST_OS, LOADER, FEATURES = 5, 6, 8, 10
INIT_P2M, MOD_START_PFN = 15, 16


def note(ntype, desc):
    pad = (-len(desc)) % 4
    return struct.pack("<III", 4, len(desc), ntype) + b"Xen\0" + desc + \
        b"\0" * pad


def tiny_elf(p2m):
    """ELF header, PT_LOAD + PT_NOTE, notes, then 4 KiB of code."""
    notes = (note(GUEST_OS, b"linux\0") + note(XEN_VERSION, b"xen-3.0\0") +
             note(LOADER, b"generic\0") +
             note(VIRT_BASE_N, struct.pack("<Q", VIRT_BASE)) +
             note(PADDR_OFFSET, struct.pack("<Q", 0)) +
             note(ENTRY, struct.pack("<Q", KSTART)) +
             note(HYPERCALL_PAGE, struct.pack("<Q", KSTART + 0x1000)) +
             note(FEATURES, b"!writable_page_tables\0"))
    if p2m:
        notes += (note(INIT_P2M, struct.pack("<Q", 0xffffea8000000000)) +
                  note(MOD_START_PFN, struct.pack("<I", 1)))
    ehsz, phsz = 64, 56
    note_off = ehsz + 2 * phsz
    load_off = note_off + len(notes)
    code = bytes([0xf4]) * 16          # hlt; the loader never runs it
    eh = struct.pack("<4sBBBBB7xHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0,
                     2, 62, 1, KSTART, ehsz, 0, 0, ehsz, phsz, 2, 0, 0, 0)
    load = struct.pack("<IIQQQQQQ", 1, 5, load_off, KSTART, PADDR,
                       len(code), 0x3000, 0x1000)  # memsz covers the hc page
    nt = struct.pack("<IIQQQQQQ", 4, 4, note_off, 0, 0, len(notes),
                     len(notes), 4)
    return eh + load + nt + notes + code


def small_hello(path, tmp):
    """hello.elf stripped, section headers gone, cut after its segments."""
    out = os.path.join(tmp, "hello.stripped")
    subprocess.run(["strip", "-o", out, path], check=True)
    b = bytearray(open(out, "rb").read())
    phoff, = struct.unpack_from("<Q", b, 0x20)
    phnum, = struct.unpack_from("<H", b, 0x38)
    end = 0
    for i in range(phnum):
        p_type, _, off, _, _, filesz = struct.unpack_from(
            "<IIQQQQ", b, phoff + i * 56)
        if p_type in (1, 4):            # PT_LOAD, PT_NOTE
            end = max(end, off + filesz)
    struct.pack_into("<Q", b, 0x28, 0)  # e_shoff
    struct.pack_into("<HHH", b, 0x3a, 0, 0, 0)  # shentsize, shnum, shstrndx
    return bytes(b[:end])


def compress(codec, data):
    cmd = {
        "lz4": ["lz4", "-l", "-9", "-c"],
        "gzip": ["gzip", "-n", "-9", "-c"],
        # Small dictionaries: liblzma allocates all of it to decode.
        "xz": ["xz", "--format=xz", "--check=crc32", "--lzma2=dict=64KiB",
               "-c"],
        "lzma": ["xz", "--format=lzma", "--lzma1=dict=64KiB", "-c"],
        "zstd": ["zstd", "-19", "-q", "-c"],
        "bzip2": ["bzip2", "-9", "-c"],
    }[codec]
    out = subprocess.run(cmd, input=data, stdout=subprocess.PIPE,
                         check=True).stdout
    if codec != "gzip":
        out += struct.pack("<I", len(data))
    return out


def bzimage(payload):
    """Boot sector + one setup sector (setup_sects = 1), then the payload."""
    setup_sects = 1
    pm_start = (setup_sects + 1) * 512
    hdr = bytearray(pm_start)
    hdr[0x1f1] = setup_sects
    struct.pack_into("<H", hdr, 0x1fe, 0xaa55)
    hdr[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", hdr, 0x206, 0x020f)
    struct.pack_into("<II", hdr, 0x248, 0, len(payload))
    return bytes(hdr) + payload


def main():
    hello = sys.argv[1] if len(sys.argv) > 1 else "build/guests/hello.elf"
    outdir = sys.argv[2] if len(sys.argv) > 2 else "tests/fuzz/seeds/loader"
    os.makedirs(outdir, exist_ok=True)
    seeds = {"tiny.elf": tiny_elf(False), "tiny-p2m.elf": tiny_elf(True)}
    with tempfile.TemporaryDirectory() as tmp:
        seeds["hello.elf"] = small_hello(hello, tmp)
    for codec in ("lz4", "gzip", "xz", "lzma", "zstd", "bzip2"):
        seeds["bz-" + codec] = bzimage(compress(codec, seeds["hello.elf"]))
    for name, data in seeds.items():
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)
        print("%-14s %6d bytes" % (name, len(data)))


if __name__ == "__main__":
    main()
