# SPDX-License-Identifier: MIT
# Shared by the end-to-end scripts: a private pvisord in a temporary
# directory ($T), stopped and cleaned up when the script exits.
# Sets T, DPID, PVISOR_SOCKET and XENSTORED_PATH. Also: require_kvm,
# and verdicts that remember a failure for the script's exit status.

# A KVM test without KVM is a failure, never a skip (make runs these
# through scripts/with-kvm.sh, which uses the nested VM when needed).
require_kvm() {
	[ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] && return 0
	echo "FAIL: $1: /dev/kvm is not usable here (run it with make, which uses tests/vm)"
	exit 1
}

# verdict PASS|FAIL NAME [WHY]: one line; any FAIL makes the exit status 1
failed=0
verdict() {
	echo "$1: $2${3:+: $3}"
	[ "$1" = FAIL ] && failed=1
	return 0
}
# start_pvisord [ARG...]: ARGs go to pvisord; $PVISORD_WRAP (e.g.
# "prlimit --nofile=40:40 --") runs it under a wrapper.
start_pvisord() {
	T=$(mktemp -d)
	export PVISOR_SOCKET=$T/pvisord.sock
	export XENSTORED_PATH=$T/xenstored.sock
	$PVISORD_WRAP "$BUILD/pvisord" --foreground --socket "$PVISOR_SOCKET" \
		--log "$T/pvisord.log" --console-dir "$T" \
		--xenstore-socket "$XENSTORED_PATH" "$@" >"$T/stderr" 2>&1 &
	DPID=$!
	trap stop_pvisord EXIT
	for i in $(seq 50); do [ -S "$PVISOR_SOCKET" ] && break; sleep 0.1; done
}

# kill_pvisord: stop it and remove $T, and go on (another may start).
kill_pvisord() {
	kill -TERM "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	rm -rf "$T"
}

stop_pvisord() {
	kill_pvisord
	exit "$failed"
}
