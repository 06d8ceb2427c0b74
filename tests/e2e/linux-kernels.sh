#!/bin/sh
# SPDX-License-Identifier: MIT
# Another stock kernel we did not write: Debian's 6.12 cloud kernel
# (`make linux-guest-6.12`, the kernel line of Debian 13, offered to
# Debian 12 by its security archive) with the same busybox initramfs,
# as a PV, a PVH and an HVM guest through pvisord and pvctl. Each boots
# with 2 vCPUs, a disk and a vif given at create: the shell comes up on
# its console, `uname -r` names that kernel, both CPUs are online, the
# disk reads the host file's bytes and takes a write through
# xen-blkfront, the vif pings the host's end through xen-netfront and is
# pinged back (linux_lib.sh's disk_rw, vif_ping), no splat, and
# `poweroff` inside ends the domain. The PV drivers of the
# HVM guest need a host KVM that carries its vmcalls (PVHVM; `make
# check` runs this in the nested VM on $(KVM_XEN_VM)); elsewhere its
# disk and vif checks are skipped, named, and PVH fails at create as
# linux-pvh.sh says.
BUILD=${BUILD:-build}
PVCTL=$(pwd)/$BUILD/pvctl
DIR=$(pwd)/${LINUX_KERNELS_DIR:-$BUILD/linux-6.12}
KERNEL=$DIR/vmlinuz
INITRD=$DIR/initrd.img
BOOT_TIMEOUT=${LINUX_BOOT_TIMEOUT:-240}

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux_lib.sh"
. "$(dirname "$0")/net_lib.sh"
require_kvm linux-kernels
net_start
kver=$(cat "$DIR/kernel-version")
pvhvm=false
"$PVCTL" info | grep '^virt_caps' | grep -qw pvhvm && pvhvm=true

# one TYPE CONSOLE: the checks above for one guest type; verdicts are
# linux-kernels/KVER/TYPE/CHECK.
one() {
	t=$1 con=$2 n=k$1 v="linux-kernels/$kver/$1"
	ok() { verdict PASS "$v/$1"; }
	bad() {
		verdict FAIL "$v/$1" "$2"
		tail -${TAIL:-25} "$T/$n.log" | sed 's/^/    /'
		tail -5 "$T/pvisord.log" | sed 's/^/    /'
	}
	drivers=true
	[ "$t" = hvm ] && ! $pvhvm && drivers=false
	dd if=/dev/urandom of="$T/$n.img" bs=1M count=4 2>/dev/null
	t0=$(date +%s)
	if ! "$PVCTL" create name="$n" type="$t" kernel="$KERNEL" \
		ramdisk="$INITRD" vcpus=2 memory=256 on_crash=preserve \
		cmdline="console=$con nr_cpus=2" \
		"disk=['$T/$n.img,raw,xvda,rw']" "vif=['bridge=$NET_BRIDGE']" \
		>"$T/$n.create" 2>&1; then
		bad boot-to-shell "pvctl create: $(head -n 1 "$T/$n.create")"
		return
	fi
	if ! wait_for "$n" "shell on /dev/$con" "$BOOT_TIMEOUT"; then
		TAIL=60 bad boot-to-shell "no shell within ${BOOT_TIMEOUT}s"
		"$PVCTL" destroy "$n" 2>/dev/null
		return
	fi
	ok "boot-to-shell ($(( $(date +%s) - t0 ))s)"
	if [ "$(run "$n" CPUS 'echo "KV: $(uname -r) $(grep -c ^processor /proc/cpuinfo)"')" = 0 ] &&
	   grep -q "^KV: $kver 2" "$T/$n.log"; then
		ok uname-and-2-vcpus
	else
		bad uname-and-2-vcpus "not $kver with 2 CPUs: $(grep -a '^KV:' "$T/$n.log" | tail -n 1)"
	fi
	if $drivers; then
		disk_rw "$n" "$T/$n.img" && ok disk-blkfront ||
			bad disk-blkfront "xvda not read or written"
		vif_ping "$n" && ok vif-netfront ||
			bad vif-netfront "no ping both ways: $(tail -n 1 "$T/ping.out" 2>/dev/null)"
	else
		for c in disk-blkfront vif-netfront; do
			verdict SKIP "$v/$c" "HVM guests do not see Xen on this host (no KVM Xen support)"
		done
	fi
	[ "$(splats "$n")" = 0 ] && ok no-splat || bad no-splat "a kernel splat"
	type_line "$n" poweroff
	if wait_gone "$n" 90 && grep -q "($n) powered off" "$T/pvisord.log"; then
		ok poweroff
	else
		bad poweroff "still running"
		"$PVCTL" destroy "$n" 2>/dev/null
		wait_gone "$n"
	fi
}

one pv hvc0
one pvh hvc0
one hvm ttyS0
