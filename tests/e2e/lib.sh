# SPDX-License-Identifier: MIT
# Shared by the end-to-end scripts: a private pvisord in a temporary
# directory ($T), stopped and cleaned up when the script exits.
# Sets T, DPID, PVISOR_SOCKET and XENSTORED_PATH.
start_pvisord() {
	T=$(mktemp -d)
	export PVISOR_SOCKET=$T/pvisord.sock
	export XENSTORED_PATH=$T/xenstored.sock
	"$BUILD/pvisord" --foreground --socket "$PVISOR_SOCKET" \
		--log "$T/pvisord.log" --console-dir "$T" \
		--xenstore-socket "$XENSTORED_PATH" >"$T/stderr" 2>&1 &
	DPID=$!
	trap stop_pvisord EXIT
	for i in $(seq 50); do [ -S "$PVISOR_SOCKET" ] && break; sleep 0.1; done
}

stop_pvisord() {
	kill -TERM "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	rm -rf "$T"
}
