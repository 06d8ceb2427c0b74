#!/bin/sh
# SPDX-License-Identifier: MIT
# The same stock Debian kernel as an HVM guest: booted directly on the
# emulated PC (no firmware), its console the serial port (ttyS0),
# through pvisord and pvctl: boot to the busybox shell, commands on
# ttyS0, ACPI (MADT, FADT) in dmesg, poweroff through the PM1a block,
# 2 vCPUs brought up through INIT/SIPI, reboot from inside (on_reboot=
# restart), xen_nopv, and pvctl run with the serial port on stdin/stdout.
BUILD=${BUILD:-build}
PVCTL=$(pwd)/$BUILD/pvctl
KERNEL=$(pwd)/$BUILD/linux/vmlinuz
INITRD=$(pwd)/$BUILD/linux/initrd.img
BOOT_TIMEOUT=${LINUX_BOOT_TIMEOUT:-240}
SHELL_UP="shell on /dev/ttyS0"

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux_lib.sh"
require_kvm linux-hvm
start_pvisord

ok() { verdict PASS "linux-hvm/$1"; }
bad() {
	verdict FAIL "linux-hvm/$1" "$2"
	[ -f "$T/$3.log" ] && tail -25 "$T/$3.log" | sed 's/^/    /'
	tail -5 "$T/pvisord.log" | sed 's/^/    /'
}
create() {	# name vcpus memory [extra cmdline]
	"$PVCTL" create name="$1" type=hvm kernel="$KERNEL" ramdisk="$INITRD" \
		vcpus="$2" memory="$3" on_reboot=restart on_crash=preserve \
		cmdline="console=ttyS0 nr_cpus=$2${4:+ $4}" >/dev/null
}

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
# Linux found our ACPI tables, the IOAPIC and the serial port, and no PV.
if grep -q "ACPI: FACP" "$T/h1.log" && grep -q "ACPI: APIC" "$T/h1.log" &&
   grep -q "IOAPIC\[0\]" "$T/h1.log" &&
   grep -q "ttyS0 at I/O 0x3f8 (irq = 4, base_baud = 115200) is a 16550A" "$T/h1.log" &&
   ! grep -q "Hypervisor detected: Xen" "$T/h1.log" &&
   [ "$(splats h1)" = 0 ]; then
	ok dmesg-pc-platform
else
	bad dmesg-pc-platform "ACPI/IOAPIC/16550A lines missing, or a splat" h1
fi
"$PVCTL" list | awk '$1=="h1"{print $NF}' | grep -qx hvm &&
	ok list-type || bad list-type "pvctl list does not say hvm" h1
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

# 4. pvctl run: no daemon, the serial port on stdin/stdout, exit status
# from the guest's shutdown (poweroff: 0).
mkfifo "$T/run.in"
timeout "$BOOT_TIMEOUT" "$PVCTL" run --type hvm --kernel "$KERNEL" \
	--ramdisk "$INITRD" --memory 256 --cmdline "console=ttyS0 xen_nopv" \
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
	ok pvctl-run-serial
else
	verdict FAIL linux-hvm/pvctl-run-serial "exit $rc"
	tail -15 "$T/run.log" | sed 's/^/    /'
fi
