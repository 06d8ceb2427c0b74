#!/bin/sh
# SPDX-License-Identifier: MIT
# Disks for the stock Debian kernel: xen-blkfront against pvblkback,
# through pvctl. Data read and written in the guest is checked byte for
# byte on the host (xxh64sum); a read-only disk refuses writes; discard
# punches holes; hot-plug and unplug; a writer excludes other users; a
# backend killed under I/O takes down its disk only; bad images are
# refused at create with a message; root on xvda survives a reboot; a
# qcow2 image through qemu-storage-daemon.
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
vcpus = 2
cmdline = "console=hvc0 nr_cpus=2"
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

# blkfront takes one queue per vCPU (2 here), each its own ring and
# event channel
if grep -q "d[0-9]* xvda: connected (2 queue(s)" "$T/pvisord.log" &&
   grep -q "d[0-9]* xvdb: connected (2 queue(s)" "$T/pvisord.log"; then
	ok multi-queue
else
	bad multi-queue "$(grep connected "$T/pvisord.log" | head -2)"
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

# 5. discard: 4 MiB written at 16 MiB, then discarded, becomes a hole
rc=$(run blk FILL 'dd if=/dev/xvdb of=/dev/xvda bs=1M count=4 seek=16 conv=fsync 2>/dev/null')
before=$(stat -c %b "$T/data.img")
rc2=$(run blk DISC 'blkdiscard -o 16777216 -l 4194304 /dev/xvda')
after=$(stat -c %b "$T/data.img")
zero_hash=$(head -c 4M /dev/zero | xxh64sum | cut -d' ' -f1)
# 512-byte blocks: 4 MiB is 8192 of them
if [ "$rc" = 0 ] && [ "$rc2" = 0 ] && [ $((before - after)) -ge 8192 ] &&
   [ "$(hash_of "$T/data.img" 16 4)" = "$zero_hash" ]; then
	ok discard-punches-hole
else
	bad discard-punches-hole "fill $rc, discard $rc2, blocks $before -> $after" blk
fi

# 6. hot-plug a third disk, read it, unplug it
dd if="$T/pattern" of="$T/hot.img" conv=notrunc 2>/dev/null
if "$PVCTL" block-attach blk "$T/hot.img,raw,xvdc,rw" >"$T/attach.out" 2>&1 &&
   [ "$(run blk HOTP 'for i in $(seq 30); do [ -b /dev/xvdc ] && break; sleep 1; done; dd if=/dev/xvdc bs=1M count=4 2>/dev/null | md5sum | sed "s/^/HOT: /"')" = 0 ] &&
   grep -q "^HOT: $want" "$T/blk.log"; then
	ok hot-plug
else
	bad hot-plug "$(cat "$T/attach.out")" blk
fi
# Linux 6.1's blkfront lets go of a disk even while it is open (the
# holder gets errors); a frontend that never lets go is block-hostile's.
run blk HOLD 'exec 3</dev/xvdc' >/dev/null
if "$PVCTL" block-detach blk xvdc >"$T/detach.out" 2>&1 &&
   [ "$(run blk HOTU 'exec 3<&-; for i in $(seq 30); do [ -b /dev/xvdc ] || break; sleep 1; done; [ ! -b /dev/xvdc ]')" = 0 ] &&
   ! "$PVCTL" block-list blk | grep -q xvdc; then
	ok hot-unplug
else
	bad hot-unplug "$(cat "$T/detach.out")" blk
fi

# 7. a disk written by one domain is refused to any other
cat > "$T/two.cfg" <<CFG
name = "two"
kernel = "$KERNEL"
memory = 128
disk = [ '$T/data.img,raw,xvda,ro' ]
CFG
if ! "$PVCTL" create "$T/two.cfg" >"$T/two.out" 2>&1 &&
   grep -q "in use by domain" "$T/two.out" && ! listed two; then
	ok second-user-refused
else
	bad second-user-refused "$(cat "$T/two.out")"
fi
"$PVCTL" destroy two 2>/dev/null

# 8. bad images: missing, empty, another format: refused at create
: > "$T/empty.img"
for spec in "$T/missing.img,raw,xvda,rw" "$T/empty.img,raw,xvda,rw" \
	    "$T/ro.img,qcow2,xvda,ro"; do
	sed -e "s|^name = .*|name = \"badimg\"|" \
	    -e "s|^disk = .*|disk = [ '$spec' ]|" "$T/blk.cfg" > "$T/bad.cfg"
	if "$PVCTL" create "$T/bad.cfg" >"$T/bad.out" 2>&1 || listed badimg ||
	   ! grep -q "xvda" "$T/bad.out"; then
		bad "bad-image-refused" "$spec: $(cat "$T/bad.out")"
		"$PVCTL" destroy badimg 2>/dev/null
		continue
	fi
	ok "bad-image-refused ($(sed 's/.*: //' "$T/bad.out" | head -c 40))"
done

# 9. flush, then the domain killed at once: the data is in the image
rc=$(run blk FLUSH 'dd if=/dev/xvdb of=/dev/xvda bs=1M count=4 seek=32 conv=fsync 2>/dev/null')
"$PVCTL" block-list blk > "$T/list" 2>&1
"$PVCTL" destroy blk
if [ "$rc" = 0 ] && wait_gone blk 30 &&
   [ "$(hash_of "$T/data.img" 32 4)" = "$ro_hash" ]; then
	ok flush-then-destroy-keeps-data
else
	bad flush-then-destroy-keeps-data "dd exit $rc" blk
fi
sed 's/^/    /' "$T/list"

# 10. a backend killed under I/O: its disk fails, the other disk, the
# guest and pvisord go on, and block-list says what happened
create_blk2() {
	sed -e 's/^name = .*/name = "blk2"/' "$T/blk.cfg" > "$T/blk2.cfg"
	"$PVCTL" create "$T/blk2.cfg" >/dev/null
}
create_blk2
if wait_for blk2 "shell on /dev/hvc0" "$BOOT_TIMEOUT"; then
	type_line blk2 'while :; do dd if=/dev/xvda of=/dev/null bs=1M count=64 iflag=direct 2>/dev/null; done &'
	sleep 3
	pid=$("$PVCTL" block-list blk2 | awk '$1 == "xvda" {print $5}')
	[ -n "$pid" ] && kill -9 "$pid"
	sleep 3
	if [ -n "$pid" ] && "$PVCTL" list >/dev/null &&
	   "$PVCTL" block-list blk2 | grep "^xvda" | grep -q "signal 9" &&
	   [ "$(run blk2 AFTER 'dd if=/dev/xvdb bs=1M count=1 2>/dev/null | wc -c | sed "s/^/XVDB: /"')" = 0 ] &&
	   grep -q "^XVDB: 1048576" "$T/blk2.log"; then
		ok backend-killed-under-io
	else
		bad backend-killed-under-io "pid '$pid'" blk2
		"$PVCTL" block-list blk2 2>&1 | sed 's/^/    /'
	fi
else
	bad backend-killed-under-io "no shell" blk2
fi
# 12. a qcow2 image (qemu-storage-daemon over NBD, with the user's
# rights), hot-plugged: written in the guest, read back on the host
qemu-img create -q -f qcow2 "$T/q.qcow2" 64M
if "$PVCTL" block-attach blk2 "$T/q.qcow2,qcow2,xvdc,rw" >"$T/qa.out" 2>&1 &&
   [ "$(run blk2 QCOW 'for i in $(seq 30); do [ -b /dev/xvdc ] && break; sleep 1; done; dd if=/dev/xvdb of=/dev/xvdc bs=1M count=4 seek=4 conv=fsync 2>/dev/null')" = 0 ] &&
   pgrep -f "qemu-storage-daemon.*pvisor-image" >/dev/null &&
   "$PVCTL" block-detach blk2 xvdc >>"$T/qa.out" 2>&1 &&
   qemu-img check -q "$T/q.qcow2" >>"$T/qa.out" 2>&1 &&
   qemu-img convert -O raw "$T/q.qcow2" "$T/q.raw" &&
   [ "$(hash_of "$T/q.raw" 4 4)" = "$ro_hash" ]; then
	ok qcow2-image
else
	bad qcow2-image "$(cat "$T/qa.out")" blk2
fi
if ! pgrep -f "qemu-storage-daemon.*pvisor-image" >/dev/null; then
	ok image-server-stopped
else
	bad image-server-stopped "$(pgrep -af qemu-storage-daemon)"
fi
"$PVCTL" destroy blk2 2>/dev/null; wait_gone blk2 30
# 11. root on xvda: the rootfs image boots, takes a write, powers off;
# a fresh boot of it finds the write, and the file system is clean
cp --sparse=always "$(pwd)/$BUILD/linux/rootfs.ext4" "$T/root.img"
for n in root1 root2; do
	cat > "$T/$n.cfg" <<CFG
name = "$n"
kernel = "$KERNEL"
ramdisk = "$INITRD"
memory = 256
cmdline = "console=hvc0 nr_cpus=1 root=/dev/xvda"
disk = [ '$T/root.img,raw,xvda,rw' ]
CFG
	"$PVCTL" create "$T/$n.cfg" >/dev/null
	if ! wait_for "$n" "pvisor-rootfs: shell on" "$BOOT_TIMEOUT"; then
		bad root-on-xvda "$n: no shell from the disk" "$n"
		"$PVCTL" destroy "$n" 2>/dev/null
		break
	fi
	if [ $n = root1 ]; then
		run root1 MNT 'grep " / " /proc/mounts | sed "s/^/ROOTMNT: /"; echo PERSIST-$((6*7)) > /root/persist' >/dev/null
	else
		run root2 RD 'cat /root/persist | sed "s/^/GOT: /"' >/dev/null
	fi
	type_line "$n" poweroff
	wait_gone "$n" 120 || "$PVCTL" destroy "$n"
done
if grep -q "^ROOTMNT: /dev/xvda / ext4 rw" "$T/root1.log" &&
   grep -q "^GOT: PERSIST-42" "$T/root2.log" &&
   e2fsck -fn "$T/root.img" >"$T/fsck.out" 2>&1; then
	ok root-on-xvda-survives-reboot
else
	bad root-on-xvda-survives-reboot "$(tail -3 "$T/fsck.out" 2>/dev/null)" root2
fi

# No backend outlives its domain.
if pgrep -x pvblkback >/dev/null; then
	bad no-backend-left "$(pgrep -a pvblkback)"
else
	ok no-backend-left
fi
