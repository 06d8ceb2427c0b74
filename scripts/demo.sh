#!/bin/sh
# The main job: boot Debian's stock cloud kernel as a PV guest through
# pvisord and pvctl, and attach its console: you land at a busybox shell
# on hvc0. `poweroff` in the guest ends the domain and the demo; Ctrl-]
# detaches (the demo then destroys the guest). Without a terminal the
# demo types a few commands itself and powers the guest off.
set -e
cd "$(dirname "$0")/.."
if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	echo "demo: /dev/kvm is not available to $(id -un); pvisor needs KVM." >&2
	exit 1
fi
T=$(mktemp -d)
export PVISOR_SOCKET="$T/pvisord.sock" XENSTORED_PATH="$T/xenstored.sock"
./build/pvisord --foreground --socket "$PVISOR_SOCKET" --log "$T/pvisord.log" \
	--console-dir "$T" --xenstore-socket "$XENSTORED_PATH" 2>/dev/null &
DPID=$!
trap 'kill -TERM $DPID 2>/dev/null; wait $DPID 2>/dev/null; rm -rf "$T"' EXIT
for i in $(seq 50); do [ -S "$PVISOR_SOCKET" ] && break; sleep 0.1; done
./build/pvctl info
echo "--- pvctl create -c examples/debian.cfg (Ctrl-] detaches) ---"
if [ -t 0 ]; then
	./build/pvctl create -c examples/debian.cfg
else
	./build/pvctl create examples/debian.cfg
	for i in $(seq 120); do
		grep -q "shell on /dev/hvc0" "$T/debian.log" 2>/dev/null && break
		sleep 1
	done
	(sleep 1; printf 'uname -a\r'; sleep 1; printf 'cat /proc/cpuinfo | head -5\r';
	 sleep 1; printf 'dmesg | grep -i xen | head\r'; sleep 2; printf 'poweroff\r';
	 sleep 8) | ./build/pvctl console debian || true
fi
./build/pvctl list
echo "--- pvisord log ---"
cat "$T/pvisord.log"
