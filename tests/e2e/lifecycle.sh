#!/bin/sh
# SPDX-License-Identifier: MIT
# Domain lifecycle through pvisord and pvctl: create, list, pause,
# console, crash and reboot actions, bad configurations, concurrent
# creates, and a create/destroy loop whose memory and fd counts must
# stay flat. One PASS:/FAIL:/SKIP: line per case.
BUILD=${BUILD:-build}
PVCTL=$(pwd)/$BUILD/pvctl
IDLE=$(pwd)/$BUILD/guests/e2e-idle.elf
XSRING=$(pwd)/$BUILD/guests/e2e-xsring.elf
HELLO=$(pwd)/$BUILD/guests/hello.elf

. "$(dirname "$0")/lib.sh"
require_kvm e2e/lifecycle
start_pvisord

ok() { verdict PASS "e2e/$1"; }
bad() { verdict FAIL "e2e/$1" "$2"; sed 's/^/    /' "$T/pvisord.log" | tail -15; }
state_of() { "$PVCTL" list | awk -v n="$1" '$1 == n { print $5 }'; }
wait_state() {	# name state [tries]
	for i in $(seq "${3:-50}"); do
		[ "$(state_of "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
wait_gone() {
	for i in $(seq 50); do
		"$PVCTL" list | awk '{print $1}' | grep -qx "$1" || return 0
		sleep 0.1
	done
	return 1
}

# create / list / vcpu-list / pause / unpause / console / destroy
if "$PVCTL" create name=idle1 kernel="$IDLE" memory=32 cmdline=block >/dev/null &&
   wait_state idle1 running && "$PVCTL" vcpu-list idle1 | grep -q "idle1" &&
   "$PVCTL" pause idle1 && [ "$(state_of idle1)" = paused ] &&
   "$PVCTL" unpause idle1 && [ "$(state_of idle1)" = running ]; then
	ok create-list-pause
else
	bad create-list-pause "$("$PVCTL" list 2>&1)"
fi
# Attached once the guest has written its line (a slow host may take
# more than the 3 s an attach lasts to get there): each attach replays it.
for i in $(seq 300); do grep -q "idle: up" "$T/idle1.log" 2>/dev/null && break; sleep 0.1; done
out=$(timeout 3 "$PVCTL" console idle1 </dev/null 2>&1)
out2=$(timeout 3 "$PVCTL" console idle1 </dev/null 2>&1)
if echo "$out" | grep -q "idle: up" && echo "$out2" | grep -q "idle: up" &&
   grep -q "idle: up" "$T/idle1.log"; then
	ok console-attach-twice
else
	bad console-attach-twice "got: $out"
fi
if "$PVCTL" destroy idle1 && wait_gone idle1; then
	ok destroy
else
	bad destroy "still listed"
fi

# the guest-facing services: PV console ring both ways, xenstore ring
# (read, write, watch), shutdown through control/shutdown, nodes removed
"$PVCTL" create name=xs1 kernel="$XSRING" memory=16 >/dev/null
id=$("$PVCTL" list | awk '$1 == "xs1" { print $2 }')
for i in $(seq 50); do grep -q "xsring: ready" "$T/xs1.log" 2>/dev/null && break; sleep 0.1; done
greeting=$("$PVCTL" xenstore read "/local/domain/$id/data/greeting" 2>&1)
echoed=$( (printf 'ping\r'; sleep 1) | timeout 3 "$PVCTL" console xs1 2>&1)
"$PVCTL" shutdown xs1
if grep -q "my name is xs1" "$T/xs1.log" && [ "$greeting" = hi ] &&
   echo "$echoed" | grep -q "got 'ping'" && wait_gone xs1 &&
   grep -q "xs1) powered off" "$T/pvisord.log" &&
   ! "$PVCTL" xenstore read "/local/domain/$id/name" >/dev/null 2>&1; then
	ok xenstore-console-shutdown
else
	bad xenstore-console-shutdown "greeting '$greeting', console: $echoed"
fi

# on_crash=preserve keeps a crashed domain; destroy removes it
"$PVCTL" create name=crashy kernel="$IDLE" memory=32 cmdline=crash \
	on_crash=preserve >/dev/null
if wait_state crashy crashed && grep -q "crashy) crashed" "$T/pvisord.log" &&
   grep -q "rip" "$T/pvisord.log" && "$PVCTL" destroy crashy && wait_gone crashy; then
	ok crash-preserve
else
	bad crash-preserve "state $(state_of crashy)"
fi

# on_reboot=restart brings the guest back (a new id each time); destroy ends it
"$PVCTL" create name=rebooter kernel="$IDLE" memory=32 cmdline=reboot \
	on_reboot=restart >/dev/null
sleep 3
n=$(grep -c "rebooter) rebooted; action: restart" "$T/pvisord.log")
"$PVCTL" destroy rebooter >/dev/null 2>&1
if [ "$n" -ge 2 ] && wait_gone rebooter; then
	ok reboot-restart
else
	bad reboot-restart "$n restarts seen"
fi

# bad configurations are refused with a reason and leave nothing behind
fails=0
for args in "name=b1" "name=b2 kernel=/nonexistent" \
	    "name=b3 kernel=$IDLE memory=2" "name=b4 kernel=$IDLE vcpus=0" \
	    "name=b5 kernel=$IDLE vcpus=many" "name=b6 kernel=$IDLE on_crash=explode" \
	    "name=b7 kernel=$IDLE memory=lots"; do
	# shellcheck disable=SC2086
	if msg=$("$PVCTL" create $args 2>&1); then
		fails=$((fails + 1)); echo "    accepted: $args"
	elif [ -z "$msg" ]; then
		fails=$((fails + 1)); echo "    no reason given: $args"
	fi
done
if [ "$fails" -eq 0 ] && [ "$("$PVCTL" list | wc -l)" -eq 1 ]; then
	ok bad-configs
else
	bad bad-configs "$fails accepted or unexplained"
fi

# concurrent creates: distinct names all succeed; a duplicate name fails
pids=
for i in 1 2 3 4; do
	"$PVCTL" create name=par$i kernel="$IDLE" memory=16 >/dev/null 2>&1 &
	pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids	# not pvisord, also our child
dup=0
"$PVCTL" create name=par1 kernel="$IDLE" memory=16 >/dev/null 2>&1 || dup=1
running=$("$PVCTL" list | grep -c '^par')
for i in 1 2 3 4; do "$PVCTL" destroy par$i >/dev/null 2>&1; done
if [ "$running" -eq 4 ] && [ "$dup" -eq 1 ]; then
	ok concurrent-create
else
	bad concurrent-create "$running running, duplicate refused: $dup"
fi
for i in 1 2 3 4; do wait_gone par$i; done

# create/destroy in a loop: pvisord's RSS and fds stay flat
cycle() {
	"$PVCTL" create name=loop kernel="$IDLE" memory=16 >/dev/null &&
	wait_state loop running && "$PVCTL" destroy loop && wait_gone loop
}
for i in 1 2 3; do cycle; done
rss0=$(awk '/VmRSS/ {print $2}' /proc/$DPID/status)
fd0=$(ls /proc/$DPID/fd | wc -l)
for i in $(seq 25); do cycle || break; done
rss1=$(awk '/VmRSS/ {print $2}' /proc/$DPID/status)
fd1=$(ls /proc/$DPID/fd | wc -l)
echo "    loop: RSS ${rss0} -> ${rss1} KiB, fds ${fd0} -> ${fd1}"
if [ "$fd1" -le "$fd0" ] && [ "$rss1" -le $((rss0 + 2048)) ]; then
	ok create-destroy-no-leak
else
	bad create-destroy-no-leak "RSS ${rss0}->${rss1} KiB, fds ${fd0}->${fd1}"
fi

# a pvctl that cannot reach pvisord says so and how to start it
if PVISOR_SOCKET=$T/none "$PVCTL" list 2>&1 | grep -q "start it with"; then
	ok unreachable-daemon
else
	bad unreachable-daemon "no hint"
fi
