#!/bin/sh
# SPDX-License-Identifier: MIT
# The same stock Debian kernel as an HVM guest: booted directly on the
# emulated PC (no firmware), its console the serial port (ttyS0),
# through pvisord and pvctl: boot to the busybox shell, commands on
# ttyS0, ACPI (MADT, FADT) in dmesg, Xen found (PVHVM: the platform PCI
# device bound, grant table set up), poweroff through the PM1a block,
# 2 vCPUs brought up through INIT/SIPI with xen_nopv (no Xen at all),
# reboot from inside (on_reboot=restart), the balloon, a disk through
# xen-blkfront and `pvctl shutdown` through xenstore, a vif through
# xen-netfront, each also hot-plugged, and
# pvctl run with the serial port on stdin/stdout. The PVHVM checks need
# a host whose KVM carries the guest's vmcalls (`make check` runs this
# in the nested VM on $(KVM_XEN_VM)); elsewhere they are skipped, named.
# Argument: base (all but the split drivers), drivers (only them), or
# all (the default); `make check-linux-hvm` runs base and drivers as two
# VM jobs, so that a frozen nested VM costs less to run again.
BUILD=${BUILD:-build}
PVCTL=$(pwd)/$BUILD/pvctl
KERNEL=$(pwd)/$BUILD/linux/vmlinuz
INITRD=$(pwd)/$BUILD/linux/initrd.img
BOOT_TIMEOUT=${LINUX_BOOT_TIMEOUT:-240}
SHELL_UP="shell on /dev/ttyS0"

part=${1:-all}	# base | drivers (section 4) | all: make runs two VM jobs
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux_lib.sh"
. "$(dirname "$0")/net_lib.sh"
require_kvm linux-hvm
# pvisord in a network namespace of the test's own (net_lib.sh): the
# vif below stays there.
net_start
pvhvm=false
"$PVCTL" info | grep '^virt_caps' | grep -qw pvhvm && pvhvm=true

ok() { verdict PASS "linux-hvm/$1"; }
bad() {
	verdict FAIL "linux-hvm/$1" "$2"
	[ -f "$T/$3.log" ] && tail -${TAIL:-25} "$T/$3.log" | sed 's/^/    /'
	tail -5 "$T/pvisord.log" | sed 's/^/    /'
}
create() {	# name vcpus memory [extra cmdline [key=value...]]
	n=$1 c=$2 m=$3 x=$4
	shift 3; [ $# -gt 0 ] && shift
	"$PVCTL" create name="$n" type=hvm kernel="$KERNEL" ramdisk="$INITRD" \
		vcpus="$c" memory="$m" on_reboot=restart on_crash=preserve \
		cmdline="console=ttyS0 nr_cpus=$c${x:+ $x}" "$@" >/dev/null
}
pvhvm_skip() { verdict SKIP "linux-hvm/$1" "HVM guests do not see Xen on this host (no KVM Xen support)"; }

if [ "$part" != drivers ]; then
# 1. boot to the shell; commands on ttyS0; the platform in dmesg
t0=$(date +%s)
create h1 1 256
if wait_for h1 "$SHELL_UP" "$BOOT_TIMEOUT"; then
	ok "boot-to-shell ($(( $(date +%s) - t0 ))s)"
else
	bad boot-to-shell "no shell within ${BOOT_TIMEOUT}s" h1
fi
type_line h1 'uname -r; grep -c ^processor /proc/cpuinfo; echo CPU-DONE'
type_line h1 'date +%Y; s=$(date +%s); sleep 1; echo SLEPT $(( $(date +%s) - s ))'
if wait_for h1 "^SLEPT [0-9]" 90 && grep -q "^$(date +%Y)" "$T/h1.log" &&
   grep -Eq "^SLEPT [1-3]" "$T/h1.log"; then
	ok commands-on-ttyS0
else
	bad commands-on-ttyS0 "missing output" h1
fi
# Linux found our ACPI tables, the IOAPIC and the serial port.
if grep -q "ACPI: FACP" "$T/h1.log" && grep -q "ACPI: APIC" "$T/h1.log" &&
   grep -q "IOAPIC\[0\]" "$T/h1.log" &&
   grep -q "ttyS0 at I/O 0x3f8 (irq = 4, base_baud = 115200) is a 16550A" "$T/h1.log" &&
   [ "$(splats h1)" = 0 ]; then
	ok dmesg-pc-platform
else
	bad dmesg-pc-platform "ACPI/IOAPIC/16550A lines missing, or a splat" h1
fi
# PVHVM: Xen's leaves, the platform device on PCI bus 0 (through the
# DSDT's PNP0A03) bound to xen-platform-pci, which set up the grant
# table in its BAR.
if $pvhvm; then
	type_line h1 'echo PCI-$(cat /sys/bus/pci/devices/0000:00:02.0/vendor)-$(ls /sys/bus/pci/drivers/xen-platform-pci | grep -c 0000:00:02.0)'
	if wait_for h1 "^PCI-0x5853-1" 60 &&
	   grep -q "Hypervisor detected: Xen HVM" "$T/h1.log" &&
	   grep -q "Xen version" "$T/h1.log" &&
	   grep -q "Grant table initialized" "$T/h1.log"; then
		ok pvhvm-platform-pci
	else
		TAIL=60 bad pvhvm-platform-pci "no Xen HVM, platform device or grant table" h1
	fi
else
	pvhvm_skip pvhvm-platform-pci
fi
"$PVCTL" list | awk '$1=="h1"{print $NF}' | grep -qx hvm &&
	ok list-type || bad list-type "pvctl list does not say hvm" h1
# PVHVM's balloon: as PVH's (skipped, below, where there is no PVHVM).
if $pvhvm; then
	if balloon_to h1 160 && balloon_to h1 256; then
		ok balloon-mem-set
	else
		bad balloon-mem-set "the balloon did not reach its target" h1
	fi
fi
# 2. poweroff from inside: ACPI S5 through the PM1a control block
type_line h1 'poweroff'
if wait_gone h1 90 && grep -q "h1) powered off" "$T/pvisord.log"; then
	ok poweroff-acpi
else
	bad poweroff-acpi "still running" h1
	"$PVCTL" destroy h1 2>/dev/null
fi

# 3. two vCPUs (INIT/SIPI through KVM's LAPICs), then reboot from
# inside: the domain restarts (on_reboot=restart) and boots again.
create h2 2 256 xen_nopv
if wait_for h2 "$SHELL_UP" "$BOOT_TIMEOUT" &&
   grep -q "smp: Brought up 1 node, 2 CPUs" "$T/h2.log"; then
	ok two-vcpus
else
	bad two-vcpus "not both online" h2
fi
# xen_nopv: a plain PC guest, whatever the host offers. (Linux still
# names the hypervisor it detected, but sets up nothing of Xen's.)
if ! grep -q "Xen version" "$T/h2.log" &&
   ! grep -q "Grant table initialized" "$T/h2.log"; then
	ok xen-nopv
else
	bad xen-nopv "the guest found Xen despite xen_nopv" h2
fi
type_line h2 'reboot'
if for i in $(seq "$BOOT_TIMEOUT"); do
	[ "$(grep -c "$SHELL_UP" "$T/h2.log")" -ge 2 ] && break
	sleep 1
   done && [ "$(grep -c "$SHELL_UP" "$T/h2.log")" -ge 2 ] &&
   grep -q "h2) rebooted; action: restart" "$T/pvisord.log" &&
   [ "$(splats h2)" = 0 ]; then
	ok reboot-from-inside
else
	bad reboot-from-inside "no second boot" h2
fi
"$PVCTL" destroy h2 2>/dev/null; wait_gone h2

fi

if [ "$part" != base ]; then
# 4. PVHVM split drivers: a disk through xen-blkfront, then `pvctl
# shutdown` through xenstore's control/shutdown; a vif through
# xen-netfront pinging both ways. The same backends as PV and PVH.
if $pvhvm; then
	check_disks h3
	"$PVCTL" shutdown h3 >/dev/null 2>&1
	if wait_gone h3 120 && grep -q "h3) powered off" "$T/pvisord.log"; then
		ok pvctl-shutdown-xenstore
	else
		bad pvctl-shutdown-xenstore "still running" h3
		"$PVCTL" destroy h3 2>/dev/null; wait_gone h3
	fi
	check_vifs h4
else
	for c in balloon-mem-set disk-blkfront disk-hotplug pvctl-shutdown-xenstore \
		 vif-netfront vif-hotplug; do
		pvhvm_skip $c
	done
fi

fi

if [ "$part" != drivers ]; then
# 5. pvctl run: no daemon, the serial port on stdin/stdout, exit status
# from the guest's shutdown (poweroff: 0).
if pvctl_run_shell "$SHELL_UP" --type hvm --kernel "$KERNEL" \
	--ramdisk "$INITRD" --memory 256 --cmdline "console=ttyS0 xen_nopv"; then
	ok pvctl-run-serial
else
	verdict FAIL linux-hvm/pvctl-run-serial "exit $run_rc"
	tail -15 "$T/run.log" | sed 's/^/    /'
fi
fi
