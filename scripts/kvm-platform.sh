#!/bin/sh
# SPDX-License-Identifier: MIT
# One line: where `make check` runs its KVM tests (see with-kvm.sh).
# Usage: kvm-platform.sh PVCTL
pvctl=${1:-build/pvctl}
if [ "${PVISOR_NESTED:-auto}" != always ] && [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	p=$("$pvctl" info 2>/dev/null | sed -n 's/^platform *: //p')
	echo "KVM tests run on: this machine's KVM (${p:-unknown: pvctl info failed})"
else
	echo "KVM tests run on: nested AMD-V in a QEMU TCG VM (tests/vm; no usable /dev/kvm here)"
fi
