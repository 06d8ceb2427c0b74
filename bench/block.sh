#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench, disks: dd in the Debian guest on /dev/xvda (O_DIRECT, so
# every block goes to the backend) next to the same dd on the host
# against the same image file, as ratios in one run; with the requests
# the backend served (pvctl block-list) and the guest's exits (pvctl
# vcpu-list) per request and per MiB. The image lives where the host's
# dd runs, in $TMPDIR, read and written through the page cache by both.
# fio is not in the guest's initramfs: 4 KiB reads at queue depth 1 come
# from dd, and queue depth 32 is not measured yet.
# Environment: BUILD (build), BLOCK_BENCH_MB (64), LINUX_BOOT_TIMEOUT.
BUILD=${BUILD:-build}
PVCTL=$(pwd)/$BUILD/pvctl
KERNEL=$(pwd)/$BUILD/linux/vmlinuz
INITRD=$(pwd)/$BUILD/linux/initrd.img
BOOT_TIMEOUT=${LINUX_BOOT_TIMEOUT:-240}
MB=${BLOCK_BENCH_MB:-64}
N4K=2000

. tests/e2e/lib.sh
. tests/e2e/linux_lib.sh
start_pvisord

echo
echo "### Disks: dd in the guest on xvda against dd on the host"
echo
echo "Produced by \`make bench\` (bench/block.sh, $(date -u '+%Y-%m-%d %H:%M UTC'))."
echo

img=$T/bench.img
dd if=/dev/zero of="$img" bs=1M count=$((MB * 2)) 2>/dev/null
cat > "$T/b.cfg" <<CFG
name = "bench"
kernel = "$KERNEL"
ramdisk = "$INITRD"
memory = 256
cmdline = "console=hvc0 nr_cpus=1"
disk = [ '$img,raw,xvda,rw' ]
CFG
"$PVCTL" create "$T/b.cfg" >/dev/null || { echo "bench block: create failed"; exit 1; }
wait_for bench "shell on /dev/hvc0" "$BOOT_TIMEOUT" || { echo "bench block: no shell"; exit 1; }

exits() { "$PVCTL" vcpu-list bench | awk 'NR > 1 { s += $6 } END { print s + 0 }'; }
reqs() { "$PVCTL" block-list bench | awk '$1 == "xvda" { print $6 + $7 }'; }
# Elapsed seconds, guest and host alike, from /proc/uptime (busybox dd
# prints no rate): "T0 T1" around the command.
timed() { echo "t0=\$(cut -d' ' -f1 /proc/uptime); $1 2>/dev/null; t1=\$(cut -d' ' -f1 /proc/uptime)"; }

echo "| measure | guest | host | guest/host | requests | exits/request | exits/MiB |"
echo "|---|---|---|---|---|---|---|"
# measure NAME MiB GUEST-DD HOST-DD [ops]: one row
measure() {
	e0=$(exits) r0=$(reqs)
	type_line bench "$(timed "$3"); echo R-$1: \$t0 \$t1"
	if ! wait_for bench "^R-$1: " 600; then
		echo "| $1 | (no result) | | | | | |"
		return
	fi
	e1=$(exits) r1=$(reqs)
	gs=$(grep "^R-$1: " "$T/bench.log" | tail -n 1 | tr -d '\r' |
		awk '{ print $3 - $2 }')
	hs=$(sh -c "$(timed "$4"); echo \$t0 \$t1" | awk '{ print $2 - $1 }')
	awk -v n="$1" -v mb="$2" -v gs="$gs" -v hs="$hs" -v ops="${5:-0}" \
	    -v de=$((e1 - e0)) -v dr=$((r1 - r0)) 'BEGIN {
		if (gs <= 0 || hs <= 0) { printf "| %s | ? | ? | | | | |\n", n; exit }
		if (ops) { g = ops / gs; h = ops / hs; u = "IOPS" }
		else { g = mb / gs; h = mb / hs; u = "MiB/s" }
		printf "| %s | %.0f %s | %.0f %s | %.3f | %d | %.1f | %.0f |\n",
		       n, g, u, h, u, g / h, dr, dr ? de / dr : 0, de / mb }'
}
measure seq-write-1M "$MB" \
	"dd if=/dev/zero of=/dev/xvda bs=1M count=$MB oflag=direct" \
	"dd if=/dev/zero of=$img bs=1M count=$MB conv=notrunc"
measure seq-read-1M "$MB" \
	"dd if=/dev/xvda of=/dev/null bs=1M count=$MB iflag=direct" \
	"dd if=$img of=/dev/null bs=1M count=$MB"
measure read-4K-qd1 $((N4K * 4 / 1024)) \
	"dd if=/dev/xvda of=/dev/null bs=4k count=$N4K skip=1000 iflag=direct" \
	"dd if=$img of=/dev/null bs=4k count=$N4K skip=1000" $N4K
measure write-4K-qd1 $((N4K * 4 / 1024)) \
	"dd if=/dev/zero of=/dev/xvda bs=4k count=$N4K seek=1000 oflag=direct" \
	"dd if=/dev/zero of=$img bs=4k count=$N4K seek=1000 conv=notrunc" $N4K
echo
echo "Platform: $("$PVCTL" info 2>/dev/null | sed -n "s/^platform *: //p"); $(grep -m1 "model name" /proc/cpuinfo | sed "s/.*: //")"
"$PVCTL" destroy bench
