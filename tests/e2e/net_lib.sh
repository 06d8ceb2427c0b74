# SPDX-License-Identifier: MIT
# Shared by the network end-to-end scripts (after lib.sh): a network
# namespace of the test's own with a bridge in it, and the test's private
# pvisord started inside that namespace, so that the taps it makes, the
# hotplug scripts it runs and every frame the guests send stay there.
# Nothing reaches the machine's own interfaces. When the script exits,
# the namespace is deleted (its taps and bridge with it), pvisord is
# stopped and whatever net_spawn started is killed.
#
#   net_start [MTU [PVISORD ARG...]]  namespace $NETNS, bridge $NET_BRIDGE
#                        ($NET_ADDR on it, MTU 1500 unless given), then
#                        start_pvisord in it (T, DPID, ... as lib.sh sets)
#   net_in_ns CMD...     run CMD in the namespace
#   net_spawn CMD...     the same in the background, killed at exit
#   net_tap DOMID [DEVID]       a vif's tap: vif<domid>.<devid>
#   net_wait_port TAP [SECONDS] TAP is in the namespace, up, on the bridge
#   net_tap_gone TAP [SECONDS]  TAP is no more
#   net_tap_stat TAP COUNTER    /sys/class/net/TAP/statistics/COUNTER
#   net_backends                pids of the pvnetback processes of pvisord
#   net_list_col DOMAIN DEVID COLUMN   a column of `pvctl network-list`,
#                        found by its header (e.g. Pid); empty if none
# Needs root (ip netns) and iproute2; a script without them fails.
# shellcheck disable=SC2154 # failed, DPID, T, PVCTL: lib.sh's and the script's

NET_BRIDGE=${NET_BRIDGE:-pvbr0}
NET_ADDR=${NET_ADDR:-10.77.0.1/24}
NETNS=pvtest-$$
NET_PIDS=

net_in_ns() {
	ip netns exec "$NETNS" "$@"
}

# `ip netns exec` execs the command, so $! is the command's own pid (a
# simple command, not a function: that would put a subshell between).
net_spawn() {
	ip netns exec "$NETNS" "$@" &
	NET_PIDS="$NET_PIDS $!"
}

net_stop() {
	for p in $NET_PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $NET_PIDS; do
		wait "$p" 2>/dev/null
	done
	NET_PIDS=
	[ -n "${DPID:-}" ] && kill_pvisord
	ip netns del "$NETNS" 2>/dev/null
	exit "$failed"
}

net_start() {
	mtu=${1:-1500}
	[ $# -gt 0 ] && shift
	if ! command -v ip >/dev/null 2>&1; then
		echo "FAIL: net: no 'ip' command here (iproute2)"
		exit 1
	fi
	if ! ip netns add "$NETNS"; then
		echo "FAIL: net: cannot make network namespace $NETNS (root?)"
		exit 1
	fi
	trap net_stop EXIT
	trap 'exit 1' HUP INT TERM
	if ! { ip -n "$NETNS" link set lo up &&
	       ip -n "$NETNS" link add "$NET_BRIDGE" type bridge \
			stp_state 0 forward_delay 0 &&
	       ip -n "$NETNS" link set "$NET_BRIDGE" mtu "$mtu" &&
	       ip -n "$NETNS" addr add "$NET_ADDR" dev "$NET_BRIDGE" &&
	       ip -n "$NETNS" link set "$NET_BRIDGE" up; }; then
		echo "FAIL: net: cannot set up bridge $NET_BRIDGE in $NETNS"
		exit 1
	fi
	net_wrap_saved=${PVISORD_WRAP:-}
	PVISORD_WRAP="ip netns exec $NETNS $net_wrap_saved"
	start_pvisord "$@"
	PVISORD_WRAP=$net_wrap_saved
	# start_pvisord set its own trap; ours stops it too.
	trap net_stop EXIT
	if ! kill -0 "$DPID" 2>/dev/null || [ ! -S "$PVISOR_SOCKET" ]; then
		echo "FAIL: net: pvisord did not start in $NETNS"
		sed 's/^/    /' "$T/stderr" 2>/dev/null | tail -5
		exit 1
	fi
}

net_tap() {
	echo "vif$1.${2:-0}"
}

net_wait_port() {
	for _ in $(seq "${2:-30}"); do
		ip -n "$NETNS" -o link show "$1" 2>/dev/null |
			grep -Eq "<([^>]*,)?UP(,[^>]*)?>.* master $NET_BRIDGE( |\$)" &&
			return 0
		sleep 1
	done
	return 1
}

net_tap_gone() {
	for _ in $(seq "${2:-30}"); do
		ip -n "$NETNS" link show "$1" >/dev/null 2>&1 || return 0
		sleep 1
	done
	return 1
}

net_tap_stat() {
	net_in_ns cat "/sys/class/net/$1/statistics/$2" 2>/dev/null
}

net_backends() {
	pgrep -P "$DPID" -x pvnetback
}

net_list_col() {
	"$PVCTL" network-list "$1" 2>/dev/null | awk -v dev="$2" -v col="$3" '
		NR == 1 {
			for (i = 1; i <= NF; i++)
				if (tolower($i) == tolower(col))
					c = i
			next
		}
		c && $1 == dev { print $c; exit }'
}
