#!/bin/sh
# SPDX-License-Identifier: MIT
# Boot each PV self-test kernel under pvctl and print one line per kernel:
#   PASS: guest/<name>          exit status 0, "PASS <name>" seen, no "FAIL"
#   FAIL: guest/<name> (why)    followed by the last 30 lines of console
# Without a usable /dev/kvm every kernel FAILs: make runs this through
# scripts/with-kvm.sh, which uses the nested VM (tests/vm) instead.
# Usage: run.sh NAME...   (BUILD, GUEST_TIMEOUT, GUEST_MEMORY from the env;
# PVCTL another pvctl, e.g. pvctl-san, and GUEST_TAG a suffix for the
# verdict names and logs of such a run)

BUILD=${BUILD:-build}
PVCTL=${PVCTL:-$BUILD/pvctl}
TIMEOUT=${GUEST_TIMEOUT:-60}
MEMORY=${GUEST_MEMORY:-32}

if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	for name in "$@"; do
		echo "FAIL: guest/$name: /dev/kvm is not usable here"
	done
	exit 1
fi

log_dir="$BUILD/guests/logs"
mkdir -p "$log_dir"
status=0

for name in "$@"; do
	elf="$BUILD/guests/$name.elf"
	# HVM self-tests are bzImages (tests/guests/hvm-selftest).
	[ -f "$BUILD/guests/$name.bzImage" ] && elf="$BUILD/guests/$name.bzImage"
	log="$log_dir/$name${GUEST_TAG:-}.log"
	if [ ! -x "$PVCTL" ]; then
		echo "FAIL: guest/$name ($PVCTL not built)"
		status=1
		continue
	fi
	if [ ! -f "$elf" ]; then
		echo "FAIL: guest/$name ($elf not built)"
		status=1
		continue
	fi
	# Extra pvctl run options a test needs (e.g. --test-service NAME).
	args=""
	[ -f "tests/guests/$name/pvctl-args" ] && args=$(cat "tests/guests/$name/pvctl-args")
	# ... and in the nested test VM (tests/vm), what its emulated CPU
	# cannot do (the file says why).
	[ "${PVISOR_VM:-}" = 1 ] && [ -f "tests/guests/$name/pvctl-args-vm" ] &&
		args="$args $(grep -v '^#' "tests/guests/$name/pvctl-args-vm")"
	timeout --kill-after=5 "$TIMEOUT" \
		"$PVCTL" run --kernel "$elf" --memory "$MEMORY" $args >"$log" 2>&1 </dev/null
	rc=$?
	if [ "$rc" -eq 0 ] && grep -q "PASS $name\$" "$log" && ! grep -q FAIL "$log"; then
		echo "PASS: guest/$name${GUEST_TAG:-}"
		continue
	fi
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		why="timed out after ${TIMEOUT}s"
	elif [ "$rc" -ne 0 ]; then
		why="exit status $rc"
	elif grep -q FAIL "$log"; then
		why="FAIL reported"
	else
		why="no PASS line"
	fi
	echo "FAIL: guest/$name${GUEST_TAG:-} ($why)"
	tail -n 30 "$log" | sed 's/^/    /'
	status=1
done
exit $status
