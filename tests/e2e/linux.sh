#!/bin/sh
# SPDX-License-Identifier: MIT
# The stock Debian kernel on pvisor, through pvisord and pvctl: boot to
# the busybox shell, run commands on hvc0 and check their output, check
# dmesg (FIFO event channels), shutdown through xenstore, reboot from
# inside, 2 vCPUs (a FIFO control block each), 2-level event channels
# (xen.fifo_events=0), and a domain destroyed mid-boot that leaves
# nothing behind.
BUILD=${BUILD:-build}
PVCTL=$(pwd)/$BUILD/pvctl
KERNEL=$(pwd)/$BUILD/linux/vmlinuz
INITRD=$(pwd)/$BUILD/linux/initrd.img
BOOT_TIMEOUT=${LINUX_BOOT_TIMEOUT:-240}

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux_lib.sh"
require_kvm linux
start_pvisord

ok() { verdict PASS "linux/$1"; }
bad() {
	verdict FAIL "linux/$1" "$2"
	[ -f "$T/$3.log" ] && tail -25 "$T/$3.log" | sed 's/^/    /'
	tail -5 "$T/pvisord.log" | sed 's/^/    /'
}
create() {	# name vcpus memory
	"$PVCTL" create name="$1" kernel="$KERNEL" ramdisk="$INITRD" \
		vcpus="$2" memory="$3" on_reboot=restart on_crash=preserve \
		cmdline="console=hvc0 nr_cpus=$2" >/dev/null
}

# 1. boot to the shell, then commands on hvc0
t0=$(date +%s)
create deb 1 256
if wait_for deb "shell on /dev/hvc0" "$BOOT_TIMEOUT"; then
	ok "boot-to-shell ($(( $(date +%s) - t0 ))s)"
else
	bad boot-to-shell "no shell within ${BOOT_TIMEOUT}s" deb
fi
type_line deb 'uname -a; echo UNAME-DONE'
type_line deb 'ls /sys/bus/xen/devices; grep -c ^processor /proc/cpuinfo; echo CPU-DONE'
type_line deb 'date +%Y; s=$(date +%s); sleep 1; echo SLEPT $(( $(date +%s) - s ))'
# The patterns are bracketed so the echo of this line does not match them.
type_line deb 'echo SPLATS=$(dmesg | grep -c -e "cut he[r]e" -e "Oop[s]" -e "BU[G]:"); echo DMESG-DONE'
# Wait for the outputs, never for text the echo of a typed line also
# holds: the echo comes first, the output perhaps seconds later.
# A nested host may take a second to fork date and sleep: 1 to 3 s.
if wait_for deb "^SLEPT [0-9]" 90 && wait_for deb "^SPLATS=[0-9]" 90 &&
   grep -q "Linux pvguest 6.1" "$T/deb.log" &&
   grep -q "^$(date +%Y)" "$T/deb.log" &&
   grep -Eq "^SLEPT [1-3]" "$T/deb.log" && grep -q "^SPLATS=0" "$T/deb.log"; then
	ok commands-on-hvc0
else
	bad commands-on-hvc0 "missing output" deb
fi
# dmesg: Xen PV platform, PV clock, FIFO events, grant tables, xenbus
if grep -q "Hypervisor detected: Xen PV" "$T/deb.log" &&
   grep -q "clocksource: Switched to clocksource xen" "$T/deb.log" &&
   grep -q "xen:events: Using FIFO-based ABI" "$T/deb.log" &&
   grep -q "Grant table initialized" "$T/deb.log" &&
   ! grep -q -e "cut here" -e "Oops" -e "BUG:" -e "Kernel panic" "$T/deb.log" &&
   "$PVCTL" xenstore read "/local/domain/$("$PVCTL" list | awk '$1=="deb"{print $2}')/control/feature-poweroff" 2>/dev/null | grep -q 1; then
	ok dmesg-xen-platform
else
	bad dmesg-xen-platform "platform lines missing, a splat, or xenbus not connected" deb
fi
# The balloon: down to 160 MiB and back up to 256 (mem-set, xenstore's
# memory/target, decrease_reservation and populate_physmap).
if balloon_to deb 160 && balloon_to deb 256; then
	ok balloon-mem-set
else
	bad balloon-mem-set "the balloon did not reach its target" deb
fi
# 2. pvctl shutdown: through control/shutdown, Linux powers off
"$PVCTL" shutdown deb
if wait_gone deb 60 && grep -q "deb) powered off" "$T/pvisord.log"; then
	ok shutdown-through-xenstore
else
	bad shutdown-through-xenstore "still running" deb
	"$PVCTL" destroy deb 2>/dev/null
fi

# 3. reboot from inside restarts the domain (on_reboot=restart)
create rb 1 128
if wait_for rb "shell on /dev/hvc0" "$BOOT_TIMEOUT"; then
	type_line rb 'reboot'
	if [ "$(wait_for rb "reboot: Restarting system" 60; \
		grep -c "shell on /dev/hvc0" "$T/rb.log")" -ge 1 ] &&
	   for i in $(seq "$BOOT_TIMEOUT"); do
		[ "$(grep -c "shell on /dev/hvc0" "$T/rb.log")" -ge 2 ] && break
		sleep 1
	   done && [ "$(grep -c "shell on /dev/hvc0" "$T/rb.log")" -ge 2 ] &&
	   grep -q "rb) rebooted; action: restart" "$T/pvisord.log"; then
		ok reboot-from-inside
	else
		bad reboot-from-inside "no second boot" rb
	fi
else
	bad reboot-from-inside "first boot failed" rb
fi
"$PVCTL" destroy rb 2>/dev/null; wait_gone rb

# 4. two vCPUs, both online
create smp 2 256
if wait_for smp "shell on /dev/hvc0" "$BOOT_TIMEOUT" &&
   grep -q "smp: Brought up 1 node, 2 CPUs" "$T/smp.log" &&
   grep -q "xen:events: Using FIFO-based ABI" "$T/smp.log"; then
	ok two-vcpus
else
	bad two-vcpus "not both online" smp
fi
"$PVCTL" destroy smp 2>/dev/null; wait_gone smp

# 5. pvctl run: no daemon, the PV console on stdin/stdout, exit status
# from the guest's shutdown reason (poweroff: 0). This boot keeps the
# 2-level event channel ABI (xen.fifo_events=0).
# Type only once the shell is up, however slow the host is.
if pvctl_run_shell "shell on /dev/hvc0" --kernel "$KERNEL" --ramdisk "$INITRD" \
	--memory 256 --cmdline "console=hvc0 nr_cpus=1 xen.fifo_events=0" &&
   grep -q "xen:events: Using 2-level ABI" "$T/run.log"; then
	ok pvctl-run-console
else
	verdict FAIL linux/pvctl-run-console "exit $run_rc"
	tail -15 "$T/run.log" | sed 's/^/    /'
fi

# 6. destroyed mid-boot: nothing leaks (fds, memory, xenstore nodes).
# One round first: the allocator keeps freed image buffers for reuse.
create mid 1 256; sleep 3; "$PVCTL" destroy mid; wait_gone mid 30
fd0=$(ls /proc/$DPID/fd | wc -l)
rss0=$(awk '/VmRSS/ {print $2}' /proc/$DPID/status)
for i in 1 2 3; do
	create mid 1 256
	sleep 3
	"$PVCTL" destroy mid
	wait_gone mid 30
done
fd1=$(ls /proc/$DPID/fd | wc -l)
rss1=$(awk '/VmRSS/ {print $2}' /proc/$DPID/status)
nodes=$("$PVCTL" xenstore ls /local/domain 2>/dev/null | grep -c "name =")
echo "    mid-boot kills: fds $fd0 -> $fd1, RSS $rss0 -> $rss1 KiB, domains in xenstore $nodes"
if [ "$fd1" -le "$fd0" ] && [ "$rss1" -le $((rss0 + 4096)) ] && [ "$nodes" -eq 0 ]; then
	ok destroy-mid-boot-no-leak
else
	bad destroy-mid-boot-no-leak "fds $fd0->$fd1 RSS $rss0->$rss1 nodes $nodes" mid
fi
