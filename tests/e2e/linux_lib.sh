# SPDX-License-Identifier: MIT
# Shared by the scripts that drive a Linux guest through pvisord (after
# lib.sh and start_pvisord): its console log is $T/NAME.log.

# wait_for NAME TEXT [SECONDS]: TEXT (a grep pattern) is in NAME's log
wait_for() {
	for i in $(seq "${3:-60}"); do
		grep -q "$2" "$T/$1.log" 2>/dev/null && return 0
		sleep 1
	done
	return 1
}
# type_line NAME LINE: type a line on NAME's console
type_line() {
	(printf '%s\r' "$2"; sleep 1) | timeout 5 "$PVCTL" console "$1" >/dev/null 2>&1
}
listed() { "$PVCTL" list | awk '{print $1}' | grep -qx "$1"; }
wait_gone() {
	for i in $(seq "${2:-60}"); do listed "$1" || return 0; sleep 1; done
	return 1
}

# splats NAME: kernel splats in NAME's log. One is forgiven, on the
# nested test VM's emulated CPU only: there CPUID 0xD's EBX stays the
# x87/SSE size after the guest sets XCR0 (most likely QEMU TCG's SVM
# does not make XSETBV exit to the KVM in the VM; not confirmed in
# QEMU's source), and a CPL0 guest (PVH, HVM) warns "XSAVE consistency
# problem". PV guests never see XSAVE.
splats() {
	n=$(grep -c -e "cut here" -e "Oops" -e "BUG:" -e "Kernel panic" "$T/$1.log")
	if grep -q "QEMU TCG CPU" "$T/$1.log"; then
		x=$(grep -c "XSAVE consistency problem: size" "$T/$1.log")
		n=$((n - x))
	fi
	echo "$n"
}

# run NAME MARK CMD [SECONDS]: type CMD on NAME's console, wait for
# "MARK-status", print the status ("timeout" if it never came).
run() {
	type_line "$1" "$3; echo $2-\$?"
	wait_for "$1" "^$2-[0-9]" "${4:-120}" || { echo timeout; return; }
	sed -n "s/^$2-\([0-9]*\).*/\1/p" "$T/$1.log" | tail -n 1
}

# The split drivers, the same for every guest type. The calling script
# defines create NAME VCPUS MEMORY CMDLINE-EXTRA [KEY=VALUE...] and
# SHELL_UP, its shell's banner.

# disk_rw NAME IMG: the running NAME reads IMG's bytes through its xvda
# (xen-blkfront; grants read by pvblkback) and writes its own, which IMG
# then holds.
disk_rw() {
	want=$(md5sum < "$2" | cut -d' ' -f1)
	[ "$(run "$1" RD 'for i in $(seq 30); do [ -b /dev/xvda ] && break; sleep 1; done; dd if=/dev/xvda bs=1M 2>/dev/null | md5sum | sed "s/^/RD: /"')" = 0 ] &&
		grep -q "^RD: $want" "$T/$1.log" &&
		[ "$(run "$1" WR 'echo GUEST-WROTE-THIS | dd of=/dev/xvda bs=512 seek=100 conv=fsync 2>/dev/null')" = 0 ] &&
		dd if="$2" bs=512 skip=100 count=1 2>/dev/null |
		grep -aq GUEST-WROTE-THIS
}

# vif_ping NAME: the running NAME's vif (on $NET_BRIDGE, net_lib.sh's
# namespace) pings the host's end through xen-netfront and pvnetback,
# and is pinged back.
vif_ping() {
	dom=$("$PVCTL" list | awk -v n="$1" '$1 == n { print $2 }')
	net_wait_port "$(net_tap "$dom")" 30 &&
		[ "$(run "$1" ADDR 'ip link set eth0 up && ip addr add 10.77.0.2/24 dev eth0')" = 0 ] &&
		[ "$(run "$1" PING 'ping -c 3 -W 10 10.77.0.1 >/dev/null' 60)" = 0 ] &&
		net_in_ns ping -c 3 -W 10 10.77.0.2 >"$T/ping.out" 2>&1
}

# disk_blkfront NAME: NAME boots with an 8 MiB disk: disk_rw, and Linux
# set up its grant table.
disk_blkfront() {
	dd if=/dev/urandom of="$T/$1.img" bs=1M count=8 2>/dev/null
	create "$1" 1 256 "" "disk=['$T/$1.img,raw,xvda,rw']"
	wait_for "$1" "$SHELL_UP" "$BOOT_TIMEOUT" && disk_rw "$1" "$T/$1.img" &&
		grep -q "Grant table initialized" "$T/$1.log"
}

# vif_netfront NAME: NAME boots with a vif: vif_ping.
vif_netfront() {
	create "$1" 1 256 "" "vif=['bridge=$NET_BRIDGE']"
	wait_for "$1" "$SHELL_UP" "$BOOT_TIMEOUT" && vif_ping "$1"
}

# pvctl_run_shell BANNER ARG...: `pvctl run ARG...` without the daemon,
# a fifo on its stdin and its output in $T/run.log: wait for BANNER
# (the guest's shell), type a command, then poweroff. True when the
# command's output came and pvctl exited 0 (poweroff); $run_rc holds
# pvctl's exit status.
pvctl_run_shell() {
	banner=$1
	shift
	mkfifo "$T/run.in"
	timeout "$BOOT_TIMEOUT" "$PVCTL" run "$@" <"$T/run.in" >"$T/run.log" 2>&1 &
	rpid=$!
	exec 7>"$T/run.in"
	wait_for run "$banner" "$BOOT_TIMEOUT"
	printf 'echo RUN-$((6*7))\n' >&7
	wait_for run "^RUN-42" 90
	printf 'poweroff\n' >&7
	wait $rpid
	run_rc=$?
	exec 7>&-
	rm -f "$T/run.in"
	[ "$run_rc" -eq 0 ] && grep -q "^RUN-42" "$T/run.log" &&
		grep -q "$banner" "$T/run.log"
}

# balloon_to NAME MIB: `pvctl mem-set NAME MIB`, then true once NAME's
# balloon driver (xen-balloon's sysfs) holds current_kb == target_kb,
# at most MIB MiB: it gave frames back (decrease_reservation) or took
# them again (populate_physmap) until it got there, and `pvctl list`
# shows the domain holding that much (the hypervisor's count).
balloon_to() {
	"$PVCTL" mem-set "$1" "$2" >/dev/null || return 1
	x=/sys/devices/system/xen_memory/xen_memory0
	for i in $(seq 30); do
		sleep 2
		type_line "$1" "echo BAL-\$(cat $x/target_kb)-\$(cat $x/info/current_kb)"
		l=$(grep -a "^BAL-[0-9]*-[0-9]" "$T/$1.log" | tail -n 1 | tr -d '\r')
		t=${l#BAL-}
		t=${t%%-*}
		c=${l##*-}
		mem=$("$PVCTL" list | awk -v n="$1" '$1 == n { print $3 }')
		[ -n "$t" ] && [ "$t" = "$c" ] && [ "$t" -le $(( $2 * 1024 )) ] &&
			[ "$t" -gt $(( $2 * 1024 - 8192 )) ] &&
			[ "$mem" -le "$2" ] && [ "$mem" -gt $(( $2 - 8 )) ] &&
			return 0
	done
	echo "balloon: last seen target_kb-current_kb $t-$c, pvctl list $mem MiB, for $2 MiB" >&2
	return 1
}

# disk_hotplug NAME: a second disk attached to the running NAME shows up
# as xvdb with the host file's bytes, and goes when detached.
disk_hotplug() {
	dd if=/dev/urandom of="$T/$1-hot.img" bs=1M count=4 2>/dev/null
	want=$(md5sum < "$T/$1-hot.img" | cut -d' ' -f1)
	"$PVCTL" block-attach "$1" "$T/$1-hot.img,raw,xvdb,rw" >/dev/null &&
		[ "$(run "$1" HOTD 'for i in $(seq 30); do [ -b /dev/xvdb ] && break; sleep 1; done; dd if=/dev/xvdb bs=1M count=4 2>/dev/null | md5sum | sed "s/^/HOT: /"')" = 0 ] &&
		grep -q "^HOT: $want" "$T/$1.log" &&
		"$PVCTL" block-detach "$1" xvdb >/dev/null &&
		[ "$(run "$1" HOTDG 'for i in $(seq 30); do [ -b /dev/xvdb ] || break; sleep 1; done; [ ! -b /dev/xvdb ]')" = 0 ]
}

# vif_hotplug NAME: a second vif attached to the running NAME shows up
# as eth1 with its MAC, and goes when detached.
vif_hotplug() {
	"$PVCTL" network-attach "$1" "bridge=$NET_BRIDGE,mac=00:16:3e:0a:77:09" >/dev/null &&
		[ "$(run "$1" HOTV 'i=0; while [ ! -e /sys/class/net/eth1 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; cat /sys/class/net/eth1/address | sed "s/^/HOTMAC: /"')" = 0 ] &&
		grep -q "^HOTMAC: 00:16:3e:0a:77:09" "$T/$1.log" &&
		"$PVCTL" network-detach "$1" 1 >/dev/null &&
		[ "$(run "$1" HOTVG 'i=0; while [ -e /sys/class/net/eth1 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; [ ! -e /sys/class/net/eth1 ]')" = 0 ]
}

# The split-driver verdicts the PVH and HVM scripts share; ok and bad
# are the calling script's. check_disks NAME: disk_blkfront, then
# disk_hotplug, on NAME (left running). check_vifs NAME: vif_netfront,
# then vif_hotplug, on NAME, which is destroyed after.
check_disks() {
	if disk_blkfront "$1"; then
		ok disk-blkfront
	else
		TAIL=40 bad disk-blkfront "xvda not read or written through blkfront" "$1"
		grep -i -e grant -e blk -e xvda -e xen "$T/$1.log" | head -20 | sed 's/^/    /'
	fi
	if disk_hotplug "$1"; then
		ok disk-hotplug
	else
		TAIL=20 bad disk-hotplug "xvdb not attached, read or detached" "$1"
	fi
}
check_vifs() {
	if vif_netfront "$1"; then
		ok vif-netfront
	else
		TAIL=30 bad vif-netfront "no ping through netfront: $(tail -1 "$T/ping.out" 2>/dev/null)" "$1"
	fi
	if vif_hotplug "$1"; then
		ok vif-hotplug
	else
		TAIL=20 bad vif-hotplug "eth1 not attached or detached" "$1"
	fi
	"$PVCTL" destroy "$1" 2>/dev/null
	wait_gone "$1"
}
