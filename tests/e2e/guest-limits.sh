#!/bin/sh
# SPDX-License-Identifier: MIT
# Bounds a guest cannot push past (security issue, hole 2), through
# pvisord: a guest writing 2^64-1 bytes with console_io (one page mapped
# 512 GiB times, tests/guests/console-io-huge "huge") is destroyed
# promptly mid-write, and its console log never grows past the
# console_log_max it was given (rotated to NAME.log.1). One PASS:/FAIL:
# line per case.
BUILD=${BUILD:-build}
PVCTL=$(pwd)/$BUILD/pvctl
HUGE=$(pwd)/$BUILD/guests/console-io-huge.elf
MAX_KB=64

. "$(dirname "$0")/lib.sh"
require_kvm limits
start_pvisord

ok() { verdict PASS "limits/$1"; }
bad() { verdict FAIL "limits/$1" "$2"; sed 's/^/    /' "$T/pvisord.log" | tail -10; }
listed() { "$PVCTL" list | awk '{print $1}' | grep -qx "$1"; }
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }

"$PVCTL" create name=huge kernel="$HUGE" memory=32 cmdline=huge \
	console_log_max=$MAX_KB >/dev/null
# Wait until it is writing, and has written well past the cap.
for i in $(seq 600); do
	[ -f "$T/huge.log.1" ] && break
	sleep 0.2
done
grep -aq "writing 2^64-1 bytes" "$T/huge.log.1" "$T/huge.log" 2>/dev/null ||
	echo "    (the start line has already rotated away)"
t0=$(date +%s%N)
timeout 30 "$PVCTL" destroy huge >/dev/null 2>&1
gone=0
for i in $(seq 100); do
	listed huge || { gone=1; break; }
	sleep 0.1
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if [ -f "$T/huge.log.1" ] && [ "$gone" = 1 ] && [ "$ms" -lt 10000 ]; then
	ok "destroy-mid-write (${ms} ms)"
else
	bad destroy-mid-write "rotated: $([ -f "$T/huge.log.1" ] && echo yes || echo no); gone: $gone after ${ms} ms"
fi

# Both files within the cap (one write of slack for the current file).
a=$(size_of "$T/huge.log") b=$(size_of "$T/huge.log.1")
cap=$((MAX_KB * 1024))
if [ "$b" -gt 0 ] && [ "$b" -le "$cap" ] && [ "$a" -le "$cap" ]; then
	ok "console-log-capped (huge.log $a + huge.log.1 $b bytes, cap $cap each)"
else
	bad console-log-capped "huge.log $a, huge.log.1 $b bytes, cap $cap each"
fi
if kill -0 "$DPID" 2>/dev/null && "$PVCTL" list >/dev/null 2>&1; then
	ok pvisord-serves-after
else
	bad pvisord-serves-after "pvisord gone or not answering"
fi
