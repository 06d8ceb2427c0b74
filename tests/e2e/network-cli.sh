#!/bin/sh
# SPDX-License-Identifier: MIT
# Network interfaces on the command line and the control socket, without
# /dev/kvm: pvisord runs with --no-kvm, so a create that gets as far as
# building the domain is refused for want of KVM only, after its vifs
# were parsed. One PASS:/FAIL: line per case:
#   create-vifs         a config's vifs reach pvisord as vif=SPEC and pass
#   create-vifs-sent    one pvisord refuses (backend=) is refused by it:
#                       the vifs are sent, not dropped
#   config-errors       bad vif lines: pvctl names the item and the reason
#   attach-local        network-attach checks the spec before asking
#   detach-local        network-detach checks DEVID|MAC before asking
#   no-domain           network-* on a domain that is not there
#   daemon-dup-devid    pvisord refuses a devid given twice
#   daemon-dup-mac      ... a MAC given twice
#   daemon-default-mac  ... a MAC that is another vif's default one
#                       (00:16:3e + XXH64 of the name, seeded by devid)
#   daemon-bad-spec     ... a spec pvctl would not have sent
#   daemon-backend      ... a backend domain other than dom0
#   daemon-too-many     ... a ninth vif
#   daemon-bad-args     network-* with missing or malformed arguments
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
PVCTL=$BUILD/pvctl
RAW="python3 $(cd "$(dirname "$0")" && pwd)/ctl_flood.py raw"

. "$(dirname "$0")/lib.sh"

start_pvisord --no-kvm
if ! [ -S "$PVISOR_SOCKET" ]; then
	verdict FAIL net-cli/setup "pvisord did not start: $(cat "$T/stderr")"
	exit 1
fi
head -c 65536 /dev/urandom >"$T/kernel"

# expect NAME 'OUTPUT' PATTERN...: PASS if OUTPUT has every PATTERN.
expect() {
	name=$1 out=$2
	shift 2
	for p in "$@"; do
		if ! printf '%s\n' "$out" | grep -qF -- "$p"; then
			verdict FAIL "net-cli/$name" "no '$p' in: $out"
			return
		fi
	done
	verdict PASS "net-cli/$name" "$(printf '%s' "$out" | head -1)"
}

cat >"$T/two.cfg" <<EOF
name = "web"
kernel = "$T/kernel"
memory = 16
vif = [ 'bridge=xenbr0, rate=10Mb/s@20ms',
        'mac=00:16:3e:00:00:01, vifname=web-lan, ip=10.0.0.2 fd00::2' ]
EOF
out=$("$PVCTL" create "$T/two.cfg" 2>&1)
if [ $? -ne 0 ] && ! printf '%s' "$out" | grep -q "vif" &&
   printf '%s' "$out" | grep -q "cannot create domain"; then
	verdict PASS net-cli/create-vifs "$out"
else
	verdict FAIL net-cli/create-vifs "$out"
fi

out=$("$PVCTL" create "$T/two.cfg" "vif+=['bridge=br2,backend=driverdom']" 2>&1)
expect create-vifs-sent "$out" "pvctl create: vif 'devid=2,bridge=br2,backend=driverdom': backend 'driverdom': pvisor serves vifs from dom0 only"

out=$( { "$PVCTL" create name=a kernel="$T/kernel" "vif=['bridge=br0','bridge=br/1']"
	 "$PVCTL" create name=a kernel="$T/kernel" "vif=['mac=01:00:5e:00:00:01']"
	 "$PVCTL" create name=a kernel="$T/kernel" "vif=['rate=0MB/s']"
	 "$PVCTL" create name=a kernel="$T/kernel" "vif=['ip=10.0.0.300']"
       } 2>&1)
expect config-errors "$out" \
	"vif: item 2: vif bridge 'br/1' is not an interface name" \
	"vif: item 1: mac '01:00:5e:00:00:01' is a multicast address" \
	"rate '0MB/s' is zero" "vif ip '10.0.0.300' is not an IPv4 or IPv6"

out=$( { "$PVCTL" network-attach web 'bridge=br0,rate=1Mb'
	 "$PVCTL" network-attach web 'bridge=br0,colour=red'
	 "$PVCTL" network-attach web; echo "exit $?"
       } 2>&1)
expect attach-local "$out" \
	"pvctl network-attach: 'bridge=br0,rate=1Mb': rate '1Mb': expected" \
	"unknown vif parameter 'colour'" \
	"usage: pvctl network-attach DOMAIN VIFSPEC" "exit 2"

out=$( { "$PVCTL" network-detach web 00:16:3e:00:00
	 "$PVCTL" network-detach web 70000
	 "$PVCTL" network-detach web 0 --now; echo "exit $?"
       } 2>&1)
expect detach-local "$out" \
	"'00:16:3e:00:00' is neither a device number (0..65535) nor a MAC" \
	"'70000' is neither" "unknown option '--now'" "exit 2"

out=$( { "$PVCTL" network-attach nosuch bridge=br0
	 "$PVCTL" network-detach nosuch 00:16:3e:00:00:01 --force
	 "$PVCTL" network-list nosuch
       } 2>&1)
expect no-domain "$out" "network-attach: no domain 'nosuch'" \
	"network-detach: no domain 'nosuch'" "network-list: no domain 'nosuch'"

# Straight to the socket: what pvisord checks itself.
raw_create() { $RAW "$PVISOR_SOCKET" create name=rawvm kernel=/k "$@"; }

expect daemon-dup-devid "$(raw_create vif=devid=1 vif=devid=1,bridge=br1)" \
	"status=-17" "vif 'devid=1,bridge=br1': devid 1 is in use"
expect daemon-dup-mac "$(raw_create vif=mac=00:16:3e:00:00:01 \
	vif=mac=00:16:3e:00:00:01)" \
	"mac 00:16:3e:00:00:01 is vif 0's already"
h=$(printf rawvm | xxh64sum | cut -c11-16)
mac=00:16:3e:$(echo "$h" | cut -c1-2):$(echo "$h" | cut -c3-4):$(echo "$h" | cut -c5-6)
expect daemon-default-mac "$(raw_create vif=mac=$mac,devid=5 vif=devid=0)" \
	"vif 'devid=0': mac $mac is vif 5's already"
expect daemon-bad-spec "$(raw_create 'vif=vifname=a b')" \
	"status=-22" "vif 'vifname=a b': vif vifname 'a b' is not an interface name"
expect daemon-backend "$(raw_create vif=backend=driverdom)" \
	"backend 'driverdom': pvisor serves vifs from dom0 only"
expect daemon-script-missing "$(raw_create vif=script=vif-nosuch)" \
	"status=-22 " "script 'vif-nosuch':" "is not an executable file"
expect daemon-too-many "$(raw_create vif= vif= vif= vif= vif= vif= vif= vif= vif=)" \
	"status=-7" "create: more than 8 vifs"

out=$( { $RAW "$PVISOR_SOCKET" network-attach web bridge=br0
	 $RAW "$PVISOR_SOCKET" network-detach web
	 $RAW "$PVISOR_SOCKET" network-detach web 'x;y'
	 $RAW "$PVISOR_SOCKET" network-list
	 $RAW "$PVISOR_SOCKET" network-frob web
       } 2>&1)
expect daemon-bad-args "$out" \
	"network-attach: bad arguments (DOMAIN vif=SPEC)" \
	"network-detach: bad arguments (DOMAIN DEVID|MAC [--force])" \
	"network-detach: 'x;y' is neither a device number nor a MAC" \
	"network-list: bad arguments (DOMAIN)" "unknown command 'network-frob'"
