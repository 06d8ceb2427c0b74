#!/bin/sh
# The main job: boot the demo guest through pvctl, console on this
# terminal. For now the demo guest is the hello PV kernel built in
# tests/guests; the stock Debian kernel replaces it when it boots.
set -e
cd "$(dirname "$0")/.."
if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	echo "demo: /dev/kvm is not available to $(id -un); pvisor needs KVM." >&2
	exit 1
fi
./build/pvctl info
echo
echo "--- booting build/guests/hello.elf (pvctl run) ---"
./build/pvctl run --kernel build/guests/hello.elf --memory 32 \
	--cmdline "demo from pvisor" --stats
