#!/bin/sh
# SPDX-License-Identifier: MIT
# The same stock Debian kernel as a PVH guest: entered at its
# XEN_ELFNOTE_PHYS32_ENTRY with hvm_start_info, its console the PV ring
# (hvc0) through the HVM parameters, xenstore as for PV, through
# pvisord and pvctl: boot to the busybox shell, commands on hvc0, Xen
# PVH in dmesg, poweroff from inside, `pvctl shutdown` through
# xenstore, 2 vCPUs brought up through the MADT and INIT/SIPI, and a
# reboot from inside (on_reboot=restart), the balloon, a disk through
# xen-blkfront on pvblkback and a vif through xen-netfront on pvnetback
# (pings both ways), each also hot-plugged, and `pvctl run --type pvh`
# with hvc0 on stdin/stdout.
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
create() {	# name vcpus memory [extra cmdline [key=value...]]
	n=$1 c=$2 m=$3 x=$4
	shift 3; [ $# -gt 0 ] && shift
	"$PVCTL" create name="$n" type=pvh kernel="$KERNEL" ramdisk="$INITRD" \
		vcpus="$c" memory="$m" on_reboot=restart on_crash=preserve \
		cmdline="console=hvc0 nr_cpus=$c${x:+ $x}" "$@" >/dev/null
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
# The balloon of a translated guest: frames given back by gpfn.
if balloon_to p1 160 && balloon_to p1 256; then
	ok balloon-mem-set
else
	bad balloon-mem-set "the balloon did not reach its target" p1
fi
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
# (grant frames placed by add_to_physmap beyond RAM).
check_disks p3
"$PVCTL" destroy p3 2>/dev/null; wait_gone p3

# 4. a vif: xen-netfront in the PVH guest on pvnetback, pings both ways
check_vifs p4

# 5. pvctl run: no daemon, the console ring (hvc0) on stdin/stdout, exit
# status from the guest's shutdown (poweroff: 0).
if pvctl_run_shell "$SHELL_UP" --type pvh --kernel "$KERNEL" \
	--ramdisk "$INITRD" --memory 256 --cmdline "console=hvc0"; then
	ok pvctl-run-hvc0
else
	verdict FAIL linux-pvh/pvctl-run-hvc0 "exit $run_rc"
	tail -15 "$T/run.log" | sed 's/^/    /'
fi
