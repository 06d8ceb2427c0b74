#!/bin/sh
# The main job: boot Debian's stock cloud kernel as a PV guest through
# pvisord and pvctl, root file system on its PV disk (xvda, served by
# pvblkback), and attach its console: you land at a busybox shell
# on hvc0. `poweroff` in the guest ends the domain and the demo; Ctrl-]
# detaches (the demo then destroys the guest). Without a terminal the
# demo types a few commands itself and powers the guest off.
set -e
cd "$(dirname "$0")/.."
if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	# No KVM here: the same demo inside the nested-KVM VM (tests/vm).
	echo "demo: /dev/kvm is not available to $(id -un) (build/pvctl info says why)."
	echo "demo: running the demo in a nested VM instead: QEMU's TCG emulator with an"
	echo "demo: emulated AMD-V CPU. Everything is 10-50x slower there (Linux boots in"
	echo "demo: about a minute); on a host with KVM the same demo takes seconds."
	if [ -t 0 ] && [ -t 1 ]; then
		echo "demo: the terminal is the VM's console; 'poweroff' in the guest ends the demo."
		exec bash tests/vm/run.sh --interactive -- sh scripts/demo.sh
	fi
	exec bash tests/vm/run.sh -- sh scripts/demo.sh
fi
# The guest's root disk: made once from the pristine image, then kept,
# so what the guest writes is there at the next boot.
[ -f build/linux/demo-root.img ] ||
	cp --sparse=always build/linux/rootfs.ext4 build/linux/demo-root.img
T=$(mktemp -d)
export PVISOR_SOCKET="$T/pvisord.sock" XENSTORED_PATH="$T/xenstored.sock"
./build/pvisord --foreground --socket "$PVISOR_SOCKET" --log "$T/pvisord.log" \
	--console-dir "$T" --xenstore-socket "$XENSTORED_PATH" 2>/dev/null &
DPID=$!
trap 'kill -TERM $DPID 2>/dev/null; wait $DPID 2>/dev/null; rm -rf "$T"' EXIT
for i in $(seq 50); do [ -S "$PVISOR_SOCKET" ] && break; sleep 0.1; done
./build/pvctl info
DISK="disk=['$(pwd)/build/linux/demo-root.img,raw,xvda,rw']"
echo "--- pvctl create -c examples/debian.cfg \"$DISK\" (Ctrl-] detaches) ---"
if [ -t 0 ]; then
	./build/pvctl create -c examples/debian.cfg "$DISK"
else
	./build/pvctl create examples/debian.cfg "$DISK"
	# Each command is typed once the one before has printed its marker,
	# so the demo keeps pace with a slow host.
	seen() {
		for i in $(seq "$2"); do
			grep -q "^$1" "$T/debian.log" 2>/dev/null && return 0
			sleep 1
		done
		return 1
	}
	seen "pvisor-rootfs: shell on" 600 || echo "demo: no shell after 600 s"
	(n=0
	 for c in 'uname -a' 'grep " / " /proc/mounts' \
		  'dmesg | grep -i -e xen -e xvda | head -10' \
		  'echo "boot at $(date)" >> /root/boots; cat /root/boots'; do
		n=$((n + 1))
		printf '%s; echo DEMO-$((%d))\r' "$c" "$n"
		seen "DEMO-$n" 60
	 done
	 printf 'poweroff\r'
	 for i in $(seq 60); do ./build/pvctl list | grep -q '^debian ' || break; sleep 1; done
	) | ./build/pvctl console debian || true
fi
./build/pvctl list
echo "--- pvisord log ---"
cat "$T/pvisord.log"
