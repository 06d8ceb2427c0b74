#!/bin/sh
# SPDX-License-Identifier: MIT
# PVH and HVM guests through pvisord (`pvctl create type=...`): the PVH
# and HVM self-test kernels pass and power off, `pvctl list` names the
# type, and what PVH/HVM guests cannot have yet is refused by name with
# nothing created.
BUILD=${BUILD:-build}
PVCTL=$(pwd)/$BUILD/pvctl
PVH=$(pwd)/$BUILD/guests/pvh-hello.elf
HVM=$(pwd)/$BUILD/guests/hvm-selftest.bzImage

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux_lib.sh"
require_kvm guest-types
start_pvisord

ok() { verdict PASS "guest-types/$1"; }
bad() {
	verdict FAIL "guest-types/$1" "$2"
	[ -n "$3" ] && [ -f "$T/$3.log" ] && tail -15 "$T/$3.log" | sed 's/^/    /'
	tail -5 "$T/pvisord.log" | sed 's/^/    /'
}

# 1. the PVH self-test through the daemon: console_io into the log
"$PVCTL" create name=p1 type=pvh kernel="$PVH" memory=32 \
	cmdline=pvhtest=1 >/dev/null
if wait_gone p1 120 && grep -q "PASS pvh-hello" "$T/p1.log" &&
   grep -q "p1) powered off" "$T/pvisord.log" &&
   grep -q "started: pvh" "$T/pvisord.log"; then
	ok pvh-through-pvisord
else
	bad pvh-through-pvisord "no PASS or no poweroff" p1
fi

# 2. the HVM self-test through the daemon: COM1 into the log; it probes
# every port, MSR and MMIO hole it may, and powers off by ACPI S5.
"$PVCTL" create name=h1 type=hvm kernel="$HVM" memory=32 \
	cmdline=hvmtest=1 >/dev/null
if wait_for h1 "hvm-selftest: started" 60; then
	"$PVCTL" list | awk '$1=="h1"{print $NF}' | grep -qx hvm &&
		ok list-says-hvm || bad list-says-hvm "pvctl list: $("$PVCTL" list | grep h1)"
else
	bad list-says-hvm "the HVM self-test did not start" h1
fi
if wait_gone h1 180 && grep -q "PASS hvm-selftest" "$T/h1.log" &&
   ! grep -q "FAIL" "$T/h1.log" &&
   grep -q "h1) powered off" "$T/pvisord.log"; then
	ok hvm-through-pvisord
else
	bad hvm-through-pvisord "no PASS, a FAIL, or no poweroff" h1
fi

# 3. refusals, each naming the problem; nothing is left behind
refused() {	# name expected-text args...
	name=$1 want=$2
	shift 2
	out=$("$PVCTL" create name="$name" "$@" 2>&1)
	if [ $? -ne 0 ] && echo "$out" | grep -q "$want" && ! listed "$name"; then
		ok "refused-$name"
	else
		bad "refused-$name" "got: $out"
	fi
}
# PV drivers in HVM guests only where KVM carries their vmcalls (pvhvm).
if "$PVCTL" info | grep '^virt_caps' | grep -qw pvhvm; then
	verdict SKIP "guest-types/refused-hdisk" "this host runs PVHVM (check-linux-hvm)"
	verdict SKIP "guest-types/refused-hvif" "this host runs PVHVM (check-linux-hvm)"
else
	# pvctl opens and checks it first, then pvisord refuses
	dd if=/dev/zero of="$T/none.img" bs=1M count=1 2>/dev/null
	refused hdisk "only where they see Xen" type=hvm kernel="$HVM" \
		"disk=['$T/none.img,raw,xvda,rw']"
	refused hvif "only where they see Xen" type=hvm kernel="$HVM" \
		"vif=['bridge=pvbr0']"
fi
refused helf "not a bzImage" type=hvm kernel="$PVH" memory=32
refused hbig "guests have at most" type=hvm kernel="$HVM" memory=8192
"$PVCTL" list | grep -q -e hdisk -e hvif -e helf -e hbig &&
	bad nothing-left "a refused domain is listed"
