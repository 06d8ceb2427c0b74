#!/bin/sh
# SPDX-License-Identifier: MIT
# Run a test command that needs /dev/kvm: here when this machine's KVM
# is usable, else in the nested-KVM VM (tests/vm/run.sh), so that no
# KVM test is ever skipped for want of /dev/kvm.
# Usage: with-kvm.sh [--plain] NAME 'COMMAND LINE'
#   --plain: the command's output as it is (make bench), not test verdicts
# PVISOR_NESTED=auto (default) | always | never
mode="--check"
[ "$1" = --plain ] && { mode=; shift; }
name=${1:?usage: with-kvm.sh [--plain] NAME COMMAND}
cmd=${2:?usage: with-kvm.sh NAME COMMAND}
here=$(dirname "$0")

kvm_usable() {
	[ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]
}

case ${PVISOR_NESTED:-auto} in
always) ;;
never)
	kvm_usable && exec /bin/sh -c "$cmd"
	echo "FAIL: vm/$name: /dev/kvm is not usable here and PVISOR_NESTED=never"
	exit 1
	;;
*)	kvm_usable && exec /bin/sh -c "$cmd" ;;
esac
exec bash "$here/../tests/vm/run.sh" ${mode:+$mode "$name"} -- "$cmd"
