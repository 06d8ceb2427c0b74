#!/bin/sh
# SPDX-License-Identifier: MIT
# Disks for the stock Debian kernel: xen-blkfront against pvblkback,
# through pvctl. Data read and written in the guest is checked byte for
# byte on the host (xxh64sum); a read-only disk refuses writes; discard
# punches holes; hot-plug and unplug; a writer excludes other users; a
# backend killed under I/O takes down its disk only; bad images are
# refused at create with a message.
BUILD=${BUILD:-build}
PVCTL=$(pwd)/$BUILD/pvctl
KERNEL=$(pwd)/$BUILD/linux/vmlinuz
INITRD=$(pwd)/$BUILD/linux/initrd.img
BOOT_TIMEOUT=${LINUX_BOOT_TIMEOUT:-240}

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux_lib.sh"
require_kvm block
start_pvisord

ok() { verdict PASS "block/$1"; }
bad() {
	verdict FAIL "block/$1" "$2"
	[ -f "$T/$3.log" ] && tail -20 "$T/$3.log" | sed 's/^/    /'
	tail -8 "$T/pvisord.log" | sed 's/^/    /'
}
hash_of() {	# FILE [SKIP_MiB COUNT_MiB]
	dd if="$1" bs=1M skip="${2:-0}" count="${3:-4}" 2>/dev/null | xxh64sum | cut -d' ' -f1
}
# run NAME MARK CMD: type CMD; echo MARK-$?; wait for it; print the status
run() {
	type_line "$1" "$3; echo $2-\$?"
	wait_for "$1" "^$2-[0-9]" 120 || { echo timeout; return; }
	sed -n "s/^$2-\([0-9]*\).*/\1/p" "$T/$1.log" | tail -n 1
}

# Images: data (64 MiB, 4 MiB of random bytes at 0), ro (8 MiB random).
head -c 4M /dev/urandom > "$T/pattern"
head -c 8M /dev/urandom > "$T/ro.img"
truncate -s 64M "$T/data.img"
dd if="$T/pattern" of="$T/data.img" conv=notrunc 2>/dev/null
truncate -s 16M "$T/hot.img"
ro_hash=$(hash_of "$T/ro.img")
cat > "$T/blk.cfg" <<CFG
name = "blk"
kernel = "$KERNEL"
ramdisk = "$INITRD"
memory = 256
cmdline = "console=hvc0 nr_cpus=1"
disk = [ '$T/data.img,raw,xvda,rw', 'format=raw,vdev=xvdb,access=ro,target=$T/ro.img' ]
CFG

# 1. both disks appear with the right geometry and features
"$PVCTL" create "$T/blk.cfg" >/dev/null 2>"$T/create.err" ||
	bad create "$(cat "$T/create.err")"
if wait_for blk "shell on /dev/hvc0" "$BOOT_TIMEOUT" &&
   [ "$(run blk SIZES 'cat /sys/block/xvda/size /sys/block/xvdb/size /sys/block/xvdb/ro | tr "\n" " " | sed "s/^/SZ: /"; echo')" = 0 ] &&
   grep -q "^SZ: 131072 16384 1 " "$T/blk.log"; then
	ok two-disks-geometry
else
	bad two-disks-geometry "sizes or ro flag wrong" blk
fi

# 2. reads: the guest sees the host's bytes
type_line blk 'dd if=/dev/xvda bs=1M count=4 2>/dev/null | md5sum | sed "s/^/RD: /"'
want=$(md5sum < "$T/pattern" | cut -d' ' -f1)
if wait_for blk "^RD: [0-9a-f]" 60 && grep -q "^RD: $want" "$T/blk.log"; then
	ok read-matches-host
else
	bad read-matches-host "md5 differs from $want" blk
fi

# 3. writes: xvdb's bytes copied to xvda at 8 MiB, checked on the host
rc=$(run blk COPY 'dd if=/dev/xvdb of=/dev/xvda bs=1M count=4 seek=8 conv=fsync 2>/dev/null')
if [ "$rc" = 0 ] && [ "$(hash_of "$T/data.img" 8 4)" = "$ro_hash" ]; then
	ok write-matches-host
else
	bad write-matches-host "dd exit $rc, or host bytes differ" blk
fi

# 4. the read-only disk refuses writes, and its image is unchanged
rc=$(run blk ROW 'dd if=/dev/zero of=/dev/xvdb bs=4k count=1 conv=fsync 2>/dev/null')
if [ "$rc" != 0 ] && [ "$(hash_of "$T/ro.img")" = "$ro_hash" ]; then
	ok read-only-refuses-writes
else
	bad read-only-refuses-writes "dd exit $rc" blk
fi

"$PVCTL" block-list blk > "$T/list" 2>&1
cat "$T/list" | sed 's/^/    /'
