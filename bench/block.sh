#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench, disks: bench/blkbench (Linux AIO at a chosen queue depth,
# O_DIRECT, so every block reaches the backend) in the Debian guest on
# /dev/xvda, next to the same binary on the host against the same image
# file, as ratios in one run; with the requests the backend served
# (pvctl block-list) and the guest's exits (pvctl vcpu-list) per request
# and per MiB. The image is in $TMPDIR: the host side reads it through
# the page cache (tmpfs has no O_DIRECT), as pvblkback does.
# Environment: BUILD (build), BLOCK_BENCH_SECS (5), LINUX_BOOT_TIMEOUT.
BUILD=${BUILD:-build}
PVCTL=$(pwd)/$BUILD/pvctl
KERNEL=$(pwd)/$BUILD/linux/vmlinuz
INITRD=$(pwd)/$BUILD/linux/initrd.img
BLKBENCH=$(pwd)/$BUILD/bench/blkbench
BOOT_TIMEOUT=${LINUX_BOOT_TIMEOUT:-240}
SECS=${BLOCK_BENCH_SECS:-5}

. tests/e2e/lib.sh
. tests/e2e/linux_lib.sh
start_pvisord

echo
echo "### Disks: blkbench in the guest on xvda against the host"
echo
echo "Produced by \`make bench\` (bench/block.sh, $(date -u '+%Y-%m-%d %H:%M UTC'))."
echo

# The initramfs with /bin/blkbench: a second gzip'd cpio appended.
mkdir -p "$T/extra/bin"
cp "$BLKBENCH" "$T/extra/bin/blkbench"
cp "$INITRD" "$T/initrd.img"
python3 guests/linux/mkcpio.py "$T/extra" | gzip -9n >> "$T/initrd.img"
img=$T/bench.img
dd if=/dev/zero of="$img" bs=1M count=256 2>/dev/null
cat > "$T/b.cfg" <<CFG
name = "bench"
kernel = "$KERNEL"
ramdisk = "$T/initrd.img"
memory = 256
cmdline = "console=hvc0 nr_cpus=1"
disk = [ '$img,raw,xvda,rw' ]
CFG
"$PVCTL" create "$T/b.cfg" >/dev/null || { echo "bench block: create failed"; exit 1; }
wait_for bench "shell on /dev/hvc0" "$BOOT_TIMEOUT" || { echo "bench block: no shell"; exit 1; }

exits() { "$PVCTL" vcpu-list bench | awk 'NR > 1 { s += $6 } END { print s + 0 }'; }
reqs() { "$PVCTL" block-list bench | awk '$1 == "xvda" { print $6 + $7 }'; }
field() { sed -n "s/.*BLKBENCH.* $1=\([0-9.]*\).*/\1/p" | tail -n 1; }

echo "| measure | guest | host | guest/host | requests | exits/request | exits/MiB |"
echo "|---|---:|---:|---:|---:|---:|---:|"
# measure NAME OP BS QD: one row
n=0
measure() {
	n=$((n + 1))
	e0=$(exits) r0=$(reqs)
	type_line bench "blkbench /dev/xvda $2 $3 $4 $SECS | sed 's/^/R$n-/'"
	if ! wait_for bench "^R$n-BLKBENCH" $((SECS * 20 + 60)); then
		echo "| $1 | (no result) | | | | | |"
		return
	fi
	e1=$(exits) r1=$(reqs)
	g=$(grep "^R$n-BLKBENCH" "$T/bench.log" | tr -d '\r')
	h=$("$BLKBENCH" "$img" "$2" "$3" "$4" "$SECS" buffered)
	unit=IOPS gv=$(echo "$g" | field iops) hv=$(echo "$h" | field iops)
	if [ "$3" -ge 65536 ]; then
		unit=MiB/s gv=$(echo "$g" | field mibps) hv=$(echo "$h" | field mibps)
	fi
	mib=$(echo "$g" | awk '{ sub(/.*bytes=/, ""); print $1 / 1048576 }')
	awk -v n="$1" -v u="$unit" -v g="$gv" -v h="$hv" -v mib="$mib" \
	    -v de=$((e1 - e0)) -v dr=$((r1 - r0)) 'BEGIN {
		printf "| %s | %.0f %s | %.0f %s | %.3f | %d | %.1f | %.0f |\n",
		       n, g, u, h, u, h ? g / h : 0, dr, dr ? de / dr : 0,
		       mib ? de / mib : 0 }'
}
measure "sequential read, 1 MiB, QD 4" read 1048576 4
measure "sequential write, 1 MiB, QD 4" write 1048576 4
measure "random read, 4 KiB, QD 1" randread 4096 1
measure "random read, 4 KiB, QD 32" randread 4096 32
measure "random write, 4 KiB, QD 32" randwrite 4096 32
echo
echo "Platform: $("$PVCTL" info 2>/dev/null | sed -n 's/^platform *: //p'); $SECS s per measure"
"$PVCTL" destroy bench
