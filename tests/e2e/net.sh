#!/bin/sh
# SPDX-License-Identifier: MIT
# Networks for the stock Debian kernel: xen-netfront against pvnetback,
# through pvctl, in a network namespace of the test's own (net_lib.sh;
# nothing leaves it). A static address, pings both ways at 1500 and
# 9000 bytes, 100 MB over TCP each way with the data checked on both
# ends, multi-queue, two guests on one bridge, hot-plug and unplug of a
# second vif, a rate-limited vif that stays under its limit, and the
# taps and backends gone with the domains.
BUILD=${BUILD:-build}
PVCTL=$(pwd)/$BUILD/pvctl
KERNEL=$(pwd)/$BUILD/linux/vmlinuz
INITRD=$(pwd)/$BUILD/linux/initrd.img
BOOT_TIMEOUT=${LINUX_BOOT_TIMEOUT:-240}
NETBENCH=$(pwd)/$BUILD/bench/netbench
MB=${NET_TEST_MB:-100}

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux_lib.sh"
. "$(dirname "$0")/net_lib.sh"
require_kvm net
# The bridge at 9000: the hotplug script gives each tap the bridge's MTU.
net_start 9000

ok() { verdict PASS "net/$1" "$2"; }
# NETBENCH's FIELD=value from a file
nb_field() { sed -n "s/.*NETBENCH mode=.* $2=\([0-9a-f.]*\).*/\1/p" "$1" | tail -n 1; }
bad() {
	verdict FAIL "net/$1" "$2"
	[ -f "$T/$3.log" ] && tail -20 "$T/$3.log" | sed 's/^/    /'
	tail -8 "$T/pvisord.log" | sed 's/^/    /'
}
domid_of() { "$PVCTL" list | awk -v n="$1" '$1 == n { print $2 }'; }

# The initramfs with /bin/netbench (bench/netbench.c): transfers with
# large reads and writes, hashed with XXH64 on both ends.
mkdir -p "$T/extra/bin"
cp "$NETBENCH" "$T/extra/bin/netbench"
cp "$INITRD" "$T/initrd.img"
python3 guests/linux/mkcpio.py "$T/extra" | gzip -1n >> "$T/initrd.img"
INITRD=$T/initrd.img

cat > "$T/g1.cfg" <<CFG
name = "g1"
kernel = "$KERNEL"
ramdisk = "$INITRD"
memory = 512
vcpus = 2
cmdline = "console=hvc0 nr_cpus=2"
vif = [ 'bridge=$NET_BRIDGE' ]
CFG
# 400 Kb/s: 50,000 bytes a second, as xl counts (well under what an
# unlimited vif moves even in the nested VM)
cat > "$T/g2.cfg" <<CFG
name = "g2"
kernel = "$KERNEL"
ramdisk = "$INITRD"
memory = 256
vcpus = 1
cmdline = "console=hvc0 nr_cpus=1"
vif = [ 'mac=00:16:3e:0a:77:03,bridge=$NET_BRIDGE,rate=400Kb/s' ]
CFG

# 1. the guest boots with its vif; the tap is on the bridge
"$PVCTL" create "$T/g1.cfg" >/dev/null 2>"$T/create.err" ||
	bad create "$(cat "$T/create.err")"
d1=$(domid_of g1)
if wait_for g1 "shell on /dev/hvc0" "$BOOT_TIMEOUT" &&
   net_wait_port "$(net_tap "$d1")" 30; then
	ok tap-on-bridge
else
	bad tap-on-bridge "no shell, or $(net_tap "$d1") not up on $NET_BRIDGE" g1
fi

# netfront takes one queue per vCPU (2 here), each a tx/rx ring pair
if grep -q "d$d1 vif0: connected on vif$d1.0 (2 queue(s)" "$T/pvisord.log"; then
	ok multi-queue
else
	bad multi-queue "$(grep "vif0: connected" "$T/pvisord.log" | head -1)"
fi

# 2. the default MAC (Xen's OUI) is what the guest's eth0 has
mac=$("$PVCTL" network-list g1 | awk '$1 == 0 { print $2 }')
if [ "$(run g1 MAC 'cat /sys/class/net/eth0/address | sed "s/^/MAC: /"')" = 0 ] &&
   case $mac in 00:16:3e:*) true ;; *) false ;; esac &&
   grep -q "^MAC: $mac" "$T/g1.log"; then
	ok default-mac
else
	bad default-mac "network-list says '$mac'" g1
fi

# 3. a static address, and pings both ways at the default MTU
st=$(run g1 ADDR 'ip link set eth0 up && ip addr add 10.77.0.2/24 dev eth0')
if [ "$st" = 0 ] &&
   [ "$(run g1 PING 'ping -c 3 -W 10 10.77.0.1 >/dev/null' 60)" = 0 ] &&
   net_in_ns ping -c 3 -W 10 10.77.0.2 >"$T/ping.out" 2>&1; then
	ok ping-1500
else
	bad ping-1500 "addr $st; $(tail -2 "$T/ping.out" 2>/dev/null)" g1
fi

# 4. 9000-byte frames, unfragmented (-M do), each way: multi-slot rx and tx
if [ "$(run g1 JUMBO 'ip link set eth0 mtu 9000 && ping -c 3 -s 8972 -W 10 10.77.0.1 >/dev/null' 60)" = 0 ] &&
   net_in_ns ping -c 3 -M "do" -s 8972 -W 10 10.77.0.2 >"$T/jping.out" 2>&1; then
	ok ping-9000
else
	bad ping-9000 "$(tail -2 "$T/jping.out" 2>/dev/null)" g1
fi

# 5. TCP: $MB MB of random bytes to the guest, checked there, and back,
#    checked here (XXH64: xxh64sum on the host, netbench's in the guest)
head -c "$((MB * 1000000))" /dev/urandom > "$T/blob"
want=$(xxh64sum "$T/blob" | cut -d' ' -f1)
type_line g1 'netbench recv-file 5001 /tmp/blob | sed "s/^/GOT-/"'
sleep 2
net_in_ns "$NETBENCH" send-file 10.77.0.2 5001 "$T/blob" > "$T/send.out" 2>&1
if wait_for g1 "^GOT-NETBENCH mode=recv-file" 600 &&
   grep -q "^GOT-NETBENCH mode=recv-file bytes=$((MB * 1000000)) xxh64=$want " "$T/g1.log" &&
   [ "$(nb_field "$T/send.out" xxh64)" = "$want" ]; then
	ok tcp-to-guest "$(nb_field "$T/send.out" mbit) Mbit/s"
else
	bad tcp-to-guest "want $want; $(cat "$T/send.out")" g1
fi
net_spawn "$NETBENCH" recv-file 5002 "$T/back" > "$T/recv.out" 2>&1
sleep 1
type_line g1 'netbench send-file 10.77.0.1 5002 /tmp/blob > /dev/null; echo BACK-$?; rm -f /tmp/blob'
for _ in $(seq 600); do grep -q "mode=recv-file" "$T/recv.out" && break; sleep 1; done
if [ "$(nb_field "$T/recv.out" bytes)" = $((MB * 1000000)) ] &&
   [ "$(nb_field "$T/recv.out" xxh64)" = "$want" ] &&
   [ "$(xxh64sum "$T/back" | cut -d' ' -f1)" = "$want" ]; then
	ok tcp-from-guest "$(nb_field "$T/recv.out" mbit) Mbit/s"
else
	bad tcp-from-guest "want $want; $(cat "$T/recv.out")" g1
fi
wait_for g1 "^BACK-" 60 >/dev/null

# 6. a second guest on the bridge: the two reach each other
"$PVCTL" create "$T/g2.cfg" >/dev/null 2>"$T/create2.err" ||
	bad create-g2 "$(cat "$T/create2.err")"
d2=$(domid_of g2)
if wait_for g2 "shell on /dev/hvc0" "$BOOT_TIMEOUT" &&
   [ "$(run g2 ADDR 'ip link set eth0 up && ip addr add 10.77.0.3/24 dev eth0')" = 0 ] &&
   [ "$(run g1 G2 'ping -c 3 -W 10 10.77.0.3 >/dev/null' 60)" = 0 ] &&
   [ "$(run g2 G1 'ping -c 3 -W 10 10.77.0.2 >/dev/null' 60)" = 0 ]; then
	ok guest-to-guest
else
	bad guest-to-guest "g2 unreachable" g2
fi

# 7. g2's vif is limited to 50,000 bytes/s: 500 kB take 10 s or more
net_spawn "$NETBENCH" recv-file 5003 "$T/rated" > "$T/rated.out" 2>&1
sleep 1
type_line g2 'head -c 500000 /dev/zero > /tmp/z; netbench send-file 10.77.0.1 5003 /tmp/z >/dev/null; echo RATED-$?'
for _ in $(seq 300); do grep -q "mode=recv-file" "$T/rated.out" && break; sleep 1; done
rate=$(awk '/mode=recv-file/ { for (i = 1; i <= NF; i++) { split($i, kv, "=");
	v[kv[1]] = kv[2] } if (v["secs"] > 0) printf "%d", v["bytes"] / v["secs"] }' "$T/rated.out")
if [ "$(nb_field "$T/rated.out" bytes)" = 500000 ] && [ -n "$rate" ] &&
   [ "$rate" -le 55000 ]; then
	ok rate-limit "$rate bytes/s"
else
	bad rate-limit "$(cat "$T/rated.out"): ${rate:-?} bytes/s, limit 50000" g2
fi
wait_for g2 "^RATED-" 60 >/dev/null

# 8. hot-plug a second vif into g1, use it, unplug it
if "$PVCTL" network-attach g1 "bridge=$NET_BRIDGE,mac=00:16:3e:0a:77:04" \
	>"$T/attach.out" 2>&1 &&
   [ "$(run g1 HOT 'i=0; while [ ! -e /sys/class/net/eth1 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; cat /sys/class/net/eth1/address | sed "s/^/HOTMAC: /"')" = 0 ] &&
   grep -q "^HOTMAC: 00:16:3e:0a:77:04" "$T/g1.log" &&
   net_wait_port "vif$d1.1" 30; then
	ok hotplug-attach
else
	bad hotplug-attach "$(cat "$T/attach.out")" g1
fi
if [ "$(run g1 HOTUP 'ip link set eth1 up && ip addr add 10.77.0.4/24 dev eth1 && ping -I eth1 -c 3 -W 10 10.77.0.1 >/dev/null' 60)" = 0 ] &&
   [ "$(net_list_col g1 1 BE-state)" = connected ]; then
	ok hotplug-traffic
else
	bad hotplug-traffic "$("$PVCTL" network-list g1)" g1
fi
if "$PVCTL" network-detach g1 1 >"$T/detach.out" 2>&1 &&
   net_tap_gone "vif$d1.1" 20 &&
   [ "$(run g1 HOTGONE 'test ! -e /sys/class/net/eth1')" = 0 ]; then
	ok hotplug-detach
else
	bad hotplug-detach "$(cat "$T/detach.out")" g1
fi

# 9. the backends counted what passed
tx=$(net_list_col g1 0 TX-pkts)
# (100 MB each way: with TSO at least 1500 packets, however large)
if [ "${tx:-0}" -gt 1500 ]; then
	ok counters "tx $tx packets"
else
	bad counters "$("$PVCTL" network-list g1)"
fi

# 10. destroy: the taps and backends go with the domains
"$PVCTL" destroy g1 >/dev/null 2>&1
"$PVCTL" destroy g2 >/dev/null 2>&1
wait_gone g1 30
wait_gone g2 30
if net_tap_gone "vif$d1.0" 20 && net_tap_gone "vif$d2.0" 20 &&
   [ -z "$(net_backends)" ]; then
	ok teardown
else
	bad teardown "taps or backends left: $(net_in_ns ip -o link | grep vif) $(net_backends)"
fi
exit "$failed"
