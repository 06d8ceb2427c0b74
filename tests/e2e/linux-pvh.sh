#!/bin/sh
# SPDX-License-Identifier: MIT
# The same stock Debian kernel as a PVH guest: entered at its
# XEN_ELFNOTE_PHYS32_ENTRY with hvm_start_info, its console the PV ring
# (hvc0) through the HVM parameters, xenstore as for PV, through
# pvisord and pvctl: boot to the busybox shell, commands on hvc0, Xen
# PVH in dmesg, poweroff from inside, `pvctl shutdown` through
# xenstore, 2 vCPUs brought up through the MADT and INIT/SIPI, and a
# reboot from inside (on_reboot=restart), a disk through xen-blkfront
# on pvblkback, a vif through xen-netfront on pvnetback (pings both
# ways), and `pvctl run --type pvh` with hvc0 on stdin/stdout.
BUILD=${BUILD:-build}
PVCTL=$(pwd)/$BUILD/pvctl
KERNEL=$(pwd)/$BUILD/linux/vmlinuz
INITRD=$(pwd)/$BUILD/linux/initrd.img
BOOT_TIMEOUT=${LINUX_BOOT_TIMEOUT:-240}
SHELL_UP="shell on /dev/hvc0"

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux_lib.sh"
. "$(dirname "$0")/net_lib.sh"
require_kvm linux-pvh
# pvisord in a network namespace of the test's own (net_lib.sh): the
# vif below stays there.
net_start

ok() { verdict PASS "linux-pvh/$1"; }
bad() {
	verdict FAIL "linux-pvh/$1" "$2"
	[ -f "$T/$3.log" ] && tail -${TAIL:-25} "$T/$3.log" | sed 's/^/    /'
	tail -5 "$T/pvisord.log" | sed 's/^/    /'
}
create() {	# name vcpus memory [extra cmdline]
	"$PVCTL" create name="$1" type=pvh kernel="$KERNEL" ramdisk="$INITRD" \
		vcpus="$2" memory="$3" on_reboot=restart on_crash=preserve \
		cmdline="console=hvc0 nr_cpus=$2${4:+ $4}" >/dev/null
}

# 1. boot to the shell; commands on hvc0; Xen PVH in dmesg
t0=$(date +%s)
create p1 1 256
if wait_for p1 "$SHELL_UP" "$BOOT_TIMEOUT"; then
	ok "boot-to-shell ($(( $(date +%s) - t0 ))s)"
else
	TAIL=80 bad boot-to-shell "no shell within ${BOOT_TIMEOUT}s" p1
	cat "$T/pvisord.log" | tail -30 | sed 's/^/    /'
fi
type_line p1 'uname -r; grep -c ^processor /proc/cpuinfo; echo CPU-DONE'
type_line p1 'date +%Y; s=$(date +%s); sleep 1; echo SLEPT $(( $(date +%s) - s ))'
if wait_for p1 "^SLEPT [0-9]" 90 && grep -q "^$(date +%Y)" "$T/p1.log" &&
   grep -Eq "^SLEPT [1-3]" "$T/p1.log"; then
	ok commands-on-hvc0
else
	bad commands-on-hvc0 "missing output" p1
fi
if grep -q "kernel on Xen PVH" "$T/p1.log" &&
   grep -q "ACPI: APIC" "$T/p1.log" &&
   [ "$(splats p1)" = 0 ]; then
	ok dmesg-xen-pvh
else
	TAIL=120 bad dmesg-xen-pvh "Xen PVH/ACPI lines missing, or a splat" p1
fi
"$PVCTL" list | awk '$1=="p1"{print $NF}' | grep -qx pvh &&
	ok list-type || bad list-type "pvctl list does not say pvh" p1
type_line p1 'poweroff'
if wait_gone p1 90 && grep -q "p1) powered off" "$T/pvisord.log"; then
	ok poweroff-from-inside
else
	bad poweroff-from-inside "still running" p1
	"$PVCTL" destroy p1 2>/dev/null
fi

# 2. two vCPUs; `pvctl reboot` through xenstore, then shutdown
create p2 2 256
if wait_for p2 "$SHELL_UP" "$BOOT_TIMEOUT" &&
   grep -q "smp: Brought up 1 node, 2 CPUs" "$T/p2.log"; then
	ok two-vcpus
else
	TAIL=60 bad two-vcpus "not both online" p2
fi
type_line p2 'reboot'
if for i in $(seq "$BOOT_TIMEOUT"); do
	[ "$(grep -c "$SHELL_UP" "$T/p2.log")" -ge 2 ] && break
	sleep 1
   done && [ "$(grep -c "$SHELL_UP" "$T/p2.log")" -ge 2 ] &&
   grep -q "p2) rebooted; action: restart" "$T/pvisord.log" &&
   [ "$(splats p2)" = 0 ]; then
	ok reboot-from-inside
else
	TAIL=40 bad reboot-from-inside "no second boot" p2
fi
"$PVCTL" shutdown p2 >/dev/null 2>&1
if wait_gone p2 120 && grep -q "p2) powered off" "$T/pvisord.log"; then
	ok pvctl-shutdown-xenstore
else
	bad pvctl-shutdown-xenstore "still running" p2
	"$PVCTL" destroy p2 2>/dev/null; wait_gone p2
fi

# 3. a disk: xen-blkfront in the PVH guest on pvblkback, as for PV
# (grant frames placed by add_to_physmap beyond RAM, grants read by the
# backend): the guest reads the host file's bytes and writes its own.
dd if=/dev/urandom of="$T/d.img" bs=1M count=8 2>/dev/null
want=$(md5sum < "$T/d.img" | cut -d' ' -f1)
"$PVCTL" create name=p3 type=pvh kernel="$KERNEL" ramdisk="$INITRD" \
	vcpus=1 memory=256 cmdline="console=hvc0 nr_cpus=1" \
	"disk=['$T/d.img,raw,xvda,rw']" >/dev/null
if wait_for p3 "$SHELL_UP" "$BOOT_TIMEOUT"; then
	type_line p3 'dd if=/dev/xvda bs=1M count=8 2>/dev/null | md5sum | sed "s/^/RD: /"'
	type_line p3 'echo PVH-WROTE-THIS | dd of=/dev/xvda bs=512 seek=100 conv=fsync 2>/dev/null; echo "WR: $?"'
fi
if wait_for p3 "^WR: 0" 120 && grep -q "^RD: $want" "$T/p3.log" &&
   dd if="$T/d.img" bs=512 skip=100 count=1 2>/dev/null | grep -aq PVH-WROTE-THIS &&
   grep -q "Grant table initialized" "$T/p3.log"; then
	ok disk-blkfront
else
	TAIL=40 bad disk-blkfront "xvda not read or written through blkfront" p3
	grep -i -e grant -e blk -e xvda "$T/p3.log" | head -20 | sed 's/^/    /'
	grep -i -e "d[0-9]" "$T/pvisord.log" | grep -i -e vbd -e xvda -e grant -e warn | tail -10 | sed 's/^/    /'
fi
"$PVCTL" destroy p3 2>/dev/null; wait_gone p3

# 4. a vif: xen-netfront in the PVH guest on pvnetback, pings both ways
# (run NAME MARK CMD: type CMD, wait for MARK-status, print the status)
run() {
	type_line "$1" "$3; echo $2-\$?"
	wait_for "$1" "^$2-[0-9]" "${4:-120}" || { echo timeout; return; }
	sed -n "s/^$2-\([0-9]*\).*/\1/p" "$T/$1.log" | tail -n 1
}
"$PVCTL" create name=p4 type=pvh kernel="$KERNEL" ramdisk="$INITRD" \
	vcpus=1 memory=256 cmdline="console=hvc0 nr_cpus=1" \
	"vif=['bridge=$NET_BRIDGE']" >/dev/null
d4=$("$PVCTL" list | awk '$1 == "p4" { print $2 }')
if wait_for p4 "$SHELL_UP" "$BOOT_TIMEOUT" &&
   net_wait_port "$(net_tap "$d4")" 30 &&
   [ "$(run p4 ADDR 'ip link set eth0 up && ip addr add 10.77.0.2/24 dev eth0')" = 0 ] &&
   [ "$(run p4 PING 'ping -c 3 -W 10 10.77.0.1 >/dev/null' 60)" = 0 ] &&
   net_in_ns ping -c 3 -W 10 10.77.0.2 >"$T/ping.out" 2>&1; then
	ok vif-netfront
else
	TAIL=30 bad vif-netfront "no ping through netfront: $(tail -1 "$T/ping.out" 2>/dev/null)" p4
fi
"$PVCTL" destroy p4 2>/dev/null; wait_gone p4

# 5. pvctl run: no daemon, the console ring (hvc0) on stdin/stdout, exit
# status from the guest's shutdown (poweroff: 0).
mkfifo "$T/run.in"
timeout "$BOOT_TIMEOUT" "$PVCTL" run --type pvh --kernel "$KERNEL" \
	--ramdisk "$INITRD" --memory 256 --cmdline "console=hvc0" \
	<"$T/run.in" >"$T/run.log" 2>&1 &
rpid=$!
exec 7>"$T/run.in"
wait_for run "$SHELL_UP" "$BOOT_TIMEOUT"
printf 'echo RUN-$((6*7))\n' >&7
wait_for run "^RUN-42" 90
printf 'poweroff\n' >&7
wait $rpid
rc=$?
exec 7>&-
if [ "$rc" -eq 0 ] && grep -q "^RUN-42" "$T/run.log" &&
   grep -q "$SHELL_UP" "$T/run.log"; then
	ok pvctl-run-hvc0
else
	verdict FAIL linux-pvh/pvctl-run-hvc0 "exit $rc"
	tail -15 "$T/run.log" | sed 's/^/    /'
fi
