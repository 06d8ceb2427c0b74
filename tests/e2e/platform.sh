#!/bin/sh
# SPDX-License-Identifier: MIT
# The start-up probe (hypervisor/platform/kvm/probe.c) must tell the
# kinds of KVM apart by what they do, and agree with itself: on AMD-V and
# VT-x, CPUID faulting works and syscall enters at CPL0; on PVM neither.
# pvisor relies on both facts (user-mode CPUID, where the entry stubs may
# live), so a probe that got them wrong would break guests there.
BUILD=${BUILD:-build}
PVCTL=$(pwd)/$BUILD/pvctl

. "$(dirname "$0")/lib.sh"
require_kvm platform

out=$("$PVCTL" info 2>&1)
field() { echo "$out" | sed -n "s/^$1 *: *//p" | head -n 1; }
kind=$(field platform | cut -d' ' -f1)
module=$(field kvm_module)
faulting=$(field cpuid_faulting | cut -d' ' -f1)
entry=$(field syscall_entry | cut -d' ' -f1)
echo "    $(field platform); cpuid_faulting $faulting; syscall_entry $entry"

case "$module:$kind" in
kvm_amd:AMD-V|kvm_intel:VT-x|kvm_pvm:PVM) verdict PASS platform/kind "$kind" ;;
*) verdict FAIL platform/kind "module '$module' reported as '$kind'" ;;
esac
case "$kind:$faulting:$entry" in
AMD-V:yes:CPL0|VT-x:yes:CPL0|PVM:no:CPL3)
	verdict PASS platform/behaviour "cpuid faulting $faulting, syscall at $entry" ;;
*)	verdict FAIL platform/behaviour "$kind with cpuid faulting '$faulting', syscall at '$entry'" ;;
esac
if [ "$(field exit_roundtrip_us | cut -d. -f1)" -gt 0 ] 2>/dev/null; then
	verdict PASS platform/exit-cost "$(field exit_roundtrip_us) us (CPL0 $(field exit_cpl0_us) us)"
else
	verdict FAIL platform/exit-cost "no exit round trip measured"
fi
exit "$failed"
