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
