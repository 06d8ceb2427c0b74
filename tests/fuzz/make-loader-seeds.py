#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seeds for fuzz_loader: small PV kernels as pvctl is given them.

  tiny.elf, tiny-p2m.elf   hand-made ELF64 PV kernels (one PT_LOAD, Xen
                           notes incl. HYPERCALL_PAGE; the second with
                           INIT_P2M and MOD_START_PFN), a few hundred bytes
  tiny-shnote.elf          tiny.elf's notes in an SHT_NOTE section only
                           (no PT_NOTE), with .shstrtab and section headers
  tiny-xenguest.elf        no notes: a legacy __xen_guest section string
                           (VIRT_BASE, HYPERCALL_PAGE as a page number ...)
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


def xen_notes(p2m):
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
    return notes


XEN_GUEST = (b"GUEST_OS=linux,XEN_VER=xen-3.0,VIRT_BASE=0xffffffff80000000,"
             b"ELF_PADDR_OFFSET=0x0,VIRT_ENTRY=0xffffffff80200000,"
             b"HYPERCALL_PAGE=0x201,LOADER=generic,"
             b"FEATURES=!writable_page_tables\0")


def tiny_elf(p2m=False, where="phdr"):
    """ELF header, PT_LOAD (+ PT_NOTE), notes, 16 bytes of code, then for
    where="shdr" or "xen_guest" the section name table and headers."""
    ehsz, phsz, shsz = 64, 56, 64
    phnum = 2 if where == "phdr" else 1
    meta = XEN_GUEST if where == "xen_guest" else xen_notes(p2m)
    note_off = ehsz + phnum * phsz
    load_off = note_off + len(meta)
    code = bytes([0xf4]) * 16          # hlt; the loader never runs it
    shstr = b"\0.shstrtab\0.note.Xen\0__xen_guest\0.text\0"
    str_off = load_off + len(code)
    sh_off = (str_off + len(shstr) + 7) & ~7
    shnum = 0 if where == "phdr" else 4
    eh = struct.pack("<4sBBBBB7xHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0,
                     2, 62, 1, KSTART, ehsz, sh_off if shnum else 0, 0,
                     ehsz, phsz, phnum, shsz if shnum else 0, shnum,
                     1 if shnum else 0)
    load = struct.pack("<IIQQQQQQ", 1, 5, load_off, KSTART, PADDR,
                       len(code), 0x3000, 0x1000)  # memsz covers the hc page
    nt = struct.pack("<IIQQQQQQ", 4, 4, note_off, 0, 0, len(meta),
                     len(meta), 4)
    out = eh + load + (nt if phnum == 2 else b"") + meta + code
    if not shnum:
        return out

    def sh(name, stype, flags, addr, off, size, align):
        return struct.pack("<IIQQQQIIQQ", name, stype, flags, addr, off, size,
                           0, 0, align, 0)
    if where == "shdr":
        meta_sh = sh(11, 7, 0, 0, note_off, len(meta), 4)     # SHT_NOTE
    else:
        meta_sh = sh(21, 1, 0, 0, note_off, len(meta), 1)     # PROGBITS
    out += shstr + b"\0" * (sh_off - str_off - len(shstr))
    return (out + bytes(shsz) + sh(1, 3, 0, 0, str_off, len(shstr), 1) +
            meta_sh + sh(33, 1, 6, KSTART, load_off, len(code), 16))


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
    seeds = {"tiny.elf": tiny_elf(), "tiny-p2m.elf": tiny_elf(p2m=True),
             "tiny-shnote.elf": tiny_elf(where="shdr"),
             "tiny-xenguest.elf": tiny_elf(where="xen_guest")}
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
