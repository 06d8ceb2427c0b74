#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench, network: bench/netbench in the Debian guest against the
# host over its vif (xen-netfront, pvnetback, a tap on a bridge), next to
# the same binary across a veth pair between two namespaces, as ratios
# in one run; with the packets the backend passed (pvctl network-list)
# and the guest's exits (pvctl vcpu-list) per packet. Everything runs in
# namespaces of the benchmark's own (tests/e2e/net_lib.sh).
# Environment: BUILD (build), NET_BENCH_SECS (5), LINUX_BOOT_TIMEOUT.
BUILD=${BUILD:-build}
PVCTL=$(pwd)/$BUILD/pvctl
KERNEL=$(pwd)/$BUILD/linux/vmlinuz
INITRD=$(pwd)/$BUILD/linux/initrd.img
NETBENCH=$(pwd)/$BUILD/bench/netbench
BOOT_TIMEOUT=${LINUX_BOOT_TIMEOUT:-240}
SECS=${NET_BENCH_SECS:-5}

. tests/e2e/lib.sh
. tests/e2e/linux_lib.sh
. tests/e2e/net_lib.sh
net_start 1500
VETH_A=pvbench-a-$$
VETH_B=pvbench-b-$$
bench_stop() {
	ip netns del "$VETH_A" 2>/dev/null
	ip netns del "$VETH_B" 2>/dev/null
	net_stop
}
trap bench_stop EXIT

echo
echo "### Network: netbench in the guest over its vif against a veth pair"
echo
echo "Produced by \`make bench\` (bench/net.sh, $(date -u '+%Y-%m-%d %H:%M UTC'))."
echo

# The baseline: two namespaces joined by a veth pair.
ip netns add "$VETH_A" && ip netns add "$VETH_B" &&
ip -n "$VETH_A" link add veth0 type veth peer name veth1 netns "$VETH_B" &&
ip -n "$VETH_A" addr add 10.78.0.1/24 dev veth0 &&
ip -n "$VETH_B" addr add 10.78.0.2/24 dev veth1 &&
ip -n "$VETH_A" link set veth0 up && ip -n "$VETH_B" link set veth1 up ||
	{ echo "bench net: cannot make the veth pair"; exit 1; }

# The initramfs with /bin/netbench: a second gzip'd cpio appended.
mkdir -p "$T/extra/bin"
cp "$NETBENCH" "$T/extra/bin/netbench"
cp "$INITRD" "$T/initrd.img"
python3 guests/linux/mkcpio.py "$T/extra" | gzip -9n >> "$T/initrd.img"
cat > "$T/b.cfg" <<CFG
name = "nbench"
kernel = "$KERNEL"
ramdisk = "$T/initrd.img"
memory = 256
cmdline = "console=hvc0 nr_cpus=1"
vif = [ 'bridge=$NET_BRIDGE' ]
CFG
"$PVCTL" create "$T/b.cfg" >/dev/null || { echo "bench net: create failed"; exit 1; }
wait_for nbench "shell on /dev/hvc0" "$BOOT_TIMEOUT" || { echo "bench net: no shell"; exit 1; }
type_line nbench 'ip link set eth0 up; ip addr add 10.77.0.2/24 dev eth0; ping -c 2 -W 10 10.77.0.1 >/dev/null; echo UP-$?'
wait_for nbench "^UP-0" 60 || { echo "bench net: the guest's eth0 does not reach the host"; exit 1; }

exits() { "$PVCTL" vcpu-list nbench | awk 'NR > 1 { s += $6 } END { print s + 0 }'; }
pkts() { "$PVCTL" network-list nbench | awk '$1 == 0 { print $8 + $9 }'; }
field() { sed -n "s/.*NETBENCH mode=$1 .* $2=\([0-9.]*\).*/\1/p" | tail -n 1; }

echo "| measure | guest | veth | guest/veth | packets | exits/packet |"
echo "|---|---:|---:|---:|---:|---:|"
# row NAME UNIT GUEST VETH PACKETS EXITS: one line of the table
row() {
	name=$1 unit=$2 g=$3 v=$4 p=$5 e=$6
	ratio=$(awk -v g="$g" -v v="$v" 'BEGIN { if (v > 0) printf "%.3f", g / v; else print "-" }')
	epp=$(awk -v e="$e" -v p="$p" 'BEGIN { if (p > 0) printf "%.1f", e / p; else print "-" }')
	echo "| $name | $g $unit | $v $unit | ${ratio}× | $p | $epp |"
}
veth() {	# RECV-ARGS -- SEND-ARGS: the receiver's figure
	ip netns exec "$VETH_B" "$NETBENCH" $1 > "$T/veth.out" 2>&1 &
	vp=$!
	sleep 0.5
	ip netns exec "$VETH_A" "$NETBENCH" $2 >/dev/null 2>&1
	wait "$vp"
	cat "$T/veth.out"
}

# 1. TCP, guest -> host
e0=$(exits) p0=$(pkts)
net_spawn "$NETBENCH" tcp-recv 6001 > "$T/r1.out" 2>&1
sleep 0.5
type_line nbench "netbench tcp-send 10.77.0.1 6001 $SECS | sed 's/^/R1-/'"
for _ in $(seq $((SECS * 20 + 60))); do grep -q "mode=tcp-recv" "$T/r1.out" && break; sleep 1; done
g=$(field tcp-recv mbit < "$T/r1.out")
e=$(($(exits) - e0)) p=$(($(pkts) - p0))
v=$(veth "tcp-recv 6001" "tcp-send 10.78.0.2 6001 $SECS" | field tcp-recv mbit)
row "TCP guest→host" Mbit/s "${g:-0}" "${v:-0}" "$p" "$e"

# 2. TCP, host -> guest
e0=$(exits) p0=$(pkts)
type_line nbench "netbench tcp-recv 6002 | sed 's/^/R2-/'"
sleep 1
net_in_ns "$NETBENCH" tcp-send 10.77.0.2 6002 "$SECS" >/dev/null 2>&1
wait_for nbench "^R2-NETBENCH mode=tcp-recv" 120 >/dev/null
g=$(sed 's/^R2-//' "$T/nbench.log" | field tcp-recv mbit)
e=$(($(exits) - e0)) p=$(($(pkts) - p0))
v=$(veth "tcp-recv 6002" "tcp-send 10.78.0.2 6002 $SECS" | field tcp-recv mbit)
row "TCP host→guest" Mbit/s "${g:-0}" "${v:-0}" "$p" "$e"

# 3. UDP, 64-byte datagrams, guest -> host: packets a second received
e0=$(exits) p0=$(pkts)
net_spawn "$NETBENCH" udp-recv 6003 "$SECS" > "$T/r3.out" 2>&1
sleep 0.5
type_line nbench "netbench udp-send 10.77.0.1 6003 $SECS 64 | sed 's/^/R3-/'"
for _ in $(seq $((SECS * 20 + 60))); do grep -q "mode=udp-recv" "$T/r3.out" && break; sleep 1; done
g=$(field udp-recv pps < "$T/r3.out")
e=$(($(exits) - e0)) p=$(($(pkts) - p0))
v=$(veth "udp-recv 6003 $SECS" "udp-send 10.78.0.2 6003 $SECS 64" | field udp-recv pps)
row "UDP 64 B guest→host" pkt/s "${g:-0}" "${v:-0}" "$p" "$e"
echo
echo "Packets: what pvnetback passed both ways (network-list), guest exits over"
echo "all vCPUs in the same span (vcpu-list)."
"$PVCTL" destroy nbench >/dev/null 2>&1
