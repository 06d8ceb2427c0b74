#!/bin/sh
# SPDX-License-Identifier: MIT
# Grant maps between two domUs under one pvisord: tests/guests/gntmap as
# a granter (e2e=granter) and a mapper (e2e=mapper peer=ID) that maps,
# reads and writes the granter's page, and GNTTABOP_copy's from and to
# the same grant (the granter checks the bytes that landed); both report
# PASS gntmap. Then a
# second granter is destroyed while another domain holds a map of its
# page: pvisord and the holder carry on. One PASS:/FAIL: line per case.
BUILD=${BUILD:-build}
PVCTL=$(pwd)/$BUILD/pvctl
ELF=$(pwd)/$BUILD/guests/gntmap.elf
WAIT=${GNTMAP_WAIT:-1200}	# tenths of a second

. "$(dirname "$0")/lib.sh"
require_kvm gntmap-peers
start_pvisord

id_of() { "$PVCTL" list | awk -v n="$1" '$1 == n { print $2 }'; }
wait_log() {	# wait_log NAME PATTERN: 0 once the console says it
	for i in $(seq "$WAIT"); do
		grep -q "$2" "$T/$1.log" 2>/dev/null && return 0
		grep -q "FAIL" "$T/$1.log" 2>/dev/null && return 1
		sleep 0.1
	done
	return 1
}
judge() {	# judge CASE NAME: PASS gntmap and no FAIL on NAME's console
	if wait_log "$2" "^PASS gntmap" && ! grep -q FAIL "$T/$2.log"; then
		verdict PASS "gntmap-peers/$1"
	else
		verdict FAIL "gntmap-peers/$1" "console: $(grep -m3 FAIL "$T/$2.log" || tail -3 "$T/$2.log")"
		tail -15 "$T/pvisord.log" | sed 's/^/    /'
	fi
}

"$PVCTL" create name=granter kernel="$ELF" memory=32 cmdline="e2e=granter" >/dev/null ||
	verdict FAIL gntmap-peers/create "pvctl create granter failed"
wait_log granter "gntmap: granted" ||
	verdict FAIL gntmap-peers/granter-ready "$(tail -3 "$T/granter.log")"
gid=$(id_of granter)
"$PVCTL" create name=mapper kernel="$ELF" memory=32 cmdline="e2e=mapper peer=$gid" >/dev/null ||
	verdict FAIL gntmap-peers/create "pvctl create mapper failed"
judge map-read-write-unmap mapper
if grep -q "^gntmap: copied both ways" "$T/mapper.log"; then
	verdict PASS gntmap-peers/copy-from-and-to
else
	verdict FAIL gntmap-peers/copy-from-and-to "console: $(grep -m3 -i "copy" "$T/mapper.log")"
fi
judge granter-sees-pins-and-revokes granter

# The granter goes while its page is mapped (hold=1: no unmap until it
# is gone): pvisord carries on, the holder's map still reads the page
# and its unmap succeeds.
"$PVCTL" create name=granter2 kernel="$ELF" memory=32 cmdline="e2e=granter hold=1" >/dev/null &&
	wait_log granter2 "gntmap: granted"
g2=$(id_of granter2)
"$PVCTL" create name=holder kernel="$ELF" memory=32 cmdline="e2e=mapper hold=1 peer=$g2" >/dev/null
if wait_log granter2 "gntmap: holding" && wait_log holder "gntmap: holding"; then
	"$PVCTL" destroy granter2 >/dev/null 2>&1
	judge granter-destroyed-while-mapped holder
else
	verdict FAIL gntmap-peers/granter-destroyed-while-mapped "not both holding: $(tail -2 "$T/granter2.log" "$T/holder.log")"
fi
if kill -0 "$DPID" 2>/dev/null && "$PVCTL" list >/dev/null 2>&1 &&
   [ -z "$(id_of granter2)" ]; then
	verdict PASS "gntmap-peers/pvisord-carries-on"
else
	verdict FAIL "gntmap-peers/pvisord-carries-on" "pvisord: $(tail -3 "$T/pvisord.log")"
fi
