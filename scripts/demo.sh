#!/bin/sh
# The main job: boot Debian's stock cloud kernel as a PV guest through
# pvisord and pvctl, root file system on its PV disk (xvda, served by
# pvblkback), and attach its console: you land at a busybox shell
# on hvc0, with a network interface (eth0, served by pvnetback) on a
# bridge whose host side is 10.77.0.1, in a network namespace of the
# demo's own (nothing reaches the machine's own network; without root
# for `ip netns`, the guest has no vif). `poweroff` in the guest ends
# the domain and the demo; Ctrl-]
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
# The network: a namespace with bridge xenbr0 (the host at 10.77.0.1);
# pvisord runs inside it, so the guest's tap is made there.
NETNS=pvdemo-$$ WRAP= VIF=
if ip netns add "$NETNS" 2>/dev/null; then
	if ip -n "$NETNS" link set lo up &&
	   ip -n "$NETNS" link add xenbr0 type bridge stp_state 0 forward_delay 0 &&
	   ip -n "$NETNS" addr add 10.77.0.1/24 dev xenbr0 &&
	   ip -n "$NETNS" link set xenbr0 up; then
		WRAP="ip netns exec $NETNS"
		VIF="vif=['bridge=xenbr0']"
	fi
else
	NETNS=
	echo "demo: cannot make a network namespace (not root?): the guest gets no network"
fi
$WRAP ./build/pvisord --foreground --socket "$PVISOR_SOCKET" --log "$T/pvisord.log" \
	--console-dir "$T" --xenstore-socket "$XENSTORED_PATH" 2>/dev/null &
DPID=$!
trap 'kill -TERM $DPID 2>/dev/null; wait $DPID 2>/dev/null; rm -rf "$T"
      [ -n "$NETNS" ] && ip netns del "$NETNS"' EXIT
for i in $(seq 50); do [ -S "$PVISOR_SOCKET" ] && break; sleep 0.1; done
./build/pvctl info
DISK="disk=['$(pwd)/build/linux/demo-root.img,raw,xvda,rw']"
echo "--- pvctl create -c examples/debian.cfg \"$DISK\" ${VIF:+\"$VIF\" }(Ctrl-] detaches) ---"
[ -n "$VIF" ] && echo "--- the guest's eth0 is on xenbr0 with the host at 10.77.0.1: ip addr add 10.77.0.2/24 dev eth0; ip link set eth0 up; ping -c 3 10.77.0.1 ---"
if [ -t 0 ]; then
	./build/pvctl create -c examples/debian.cfg "$DISK" ${VIF:+"$VIF"}
else
	./build/pvctl create examples/debian.cfg "$DISK" ${VIF:+"$VIF"}
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
		  'echo "boot at $(date)" >> /root/boots; cat /root/boots' \
		  'if [ -e /sys/class/net/eth0 ]; then ip addr add 10.77.0.2/24 dev eth0 && ip link set eth0 up && ping -c 3 10.77.0.1; else echo "no network"; fi'; do
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
