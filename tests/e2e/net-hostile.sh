#!/bin/sh
# SPDX-License-Identifier: MIT
# A hostile netfront against pvnetback, in a network namespace of the
# test's own (net_lib.sh): bridge pvbr0 10.77.0.1/24, this test's pvisord
# inside it, so the guests' taps and frames never leave it.
#
# The guest (tests/e2e/guests/nethostile) connects to its vif and sends
# malformed transmit packets one at a time (sizes, slot chains, offsets,
# grants, GSO extra-info), each of which must be answered
# NETIF_RSP_ERROR, with a sane frame answered OKAY after each; its
# receive ring is posted full and never read while this script floods
# the bridge with broadcasts. Then, one boot each, the fatal cases: 19
# slots in one packet, a producer index 10000 ahead, an extra-info slot
# of no known type; each must make the backend give the vif up (backend
# state Closing or Closed) and pvisord log why.
#
# Checked here besides the guests' own verdicts: every tap is in the
# namespace, on the bridge, and gone with its domain; the backend of the
# hostile vif survives its attacks (same pid, or restarted) without
# spinning on the full receive ring; `pvctl network-list` answers;
# pvisord lives on and logs the fatal reasons; a well-behaved guest
# beside the hostile one (and after the fatal ones) still sends and
# receives; on the bridge, every GOOD frame the guests sent arrives
# intact and no frame the backend refused arrives at all.
BUILD=${BUILD:-build}
PVCTL=$(pwd)/$BUILD/pvctl
GUEST=$(pwd)/$BUILD/guests/e2e-nethostile.elf
TIMEOUT=${NETHOSTILE_TIMEOUT:-180}

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux_lib.sh"
. "$(dirname "$0")/net_lib.sh"
require_kvm net-hostile
net_start 1500

ok() { verdict PASS "net-hostile/$1"; }
bad() {
	verdict FAIL "net-hostile/$1" "$2"
	[ -n "$3" ] && [ -f "$T/$3.log" ] && tail -20 "$T/$3.log" | sed 's/^/    /'
	tail -8 "$T/pvisord.log" | sed 's/^/    /'
}
domid_of() { "$PVCTL" list | awk -v n="$1" '$1 == n { print $2 }'; }
state_of() { "$PVCTL" list | awk -v n="$1" '$1 == n { print $5 }'; }
pvisord_answers() { kill -0 "$DPID" 2>/dev/null && "$PVCTL" list >/dev/null 2>&1; }
# CPU ticks (user + system) of a process so far
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }

# ----------------------------------------- the sniffer and the flood --
# The sniffer: every frame the bridge receives carrying a guest's UDP
# payload "PVNET-<TAG>-<seq>:<pattern>", one line each:
# TAG MAC IP SEQ ok|corrupt LENGTH.
cat > "$T/sniff.py" <<'PY'
import socket, struct, sys
br, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
try:
    s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)    # SO_RCVBUFFORCE
except OSError:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind((br, 0))
f = open(out, "a", buffering=1)
f.write("READY\n")
while True:
    fr, addr = s.recvfrom(70000)
    if addr[2] == socket.PACKET_OUTGOING or len(fr) < 42:
        continue
    if fr[12:14] != b"\x08\x00" or fr[23] != 17:
        continue
    ihl = (fr[14] & 15) * 4
    udp = 14 + ihl
    if fr[udp + 2:udp + 4] != b"\x27\x0f":           # port 9999
        continue
    pl = fr[udp + 8:]
    if not pl.startswith(b"PVNET-"):
        continue
    mac = ":".join("%02x" % b for b in fr[6:12])
    ip = ".".join(str(b) for b in fr[26:30])
    colon = pl.find(b":")
    try:
        _, tag, seq = pl[:colon].decode().split("-")
        seq = int(seq)
    except ValueError:
        f.write("MALFORMED %s %s 0 corrupt %d\n" % (mac, ip, len(fr)))
        continue
    iplen = struct.unpack(">H", fr[16:18])[0]
    ulen = struct.unpack(">H", fr[udp + 4:udp + 6])[0]
    good = (iplen == len(fr) - 14 and ulen == iplen - ihl and
            all(pl[j] == (seq + j) & 255 for j in range(colon + 1, len(pl))))
    f.write("%s %s %s %d %s %d\n" % (tag, mac, ip, seq,
                                     "ok" if good else "corrupt", len(fr)))
PY
# The flood: 50 broadcasts a second into every tap on the bridge.
cat > "$T/flood.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
i = 0
while True:
    try:
        s.sendto(b"PVFLOOD %d " % i + b"x" * 200, (sys.argv[1], 7))
    except OSError:
        pass
    i += 1
    time.sleep(0.02)
PY
net_spawn python3 -u "$T/sniff.py" "$NET_BRIDGE" "$T/sniff.txt"
for _ in $(seq 50); do grep -q READY "$T/sniff.txt" 2>/dev/null && break; sleep 0.1; done
grep -q READY "$T/sniff.txt" 2>/dev/null || bad sniffer "no sniffer on $NET_BRIDGE"
net_spawn python3 "$T/flood.py" "${NET_ADDR%.*}.255"

# --------------------------------------------------------- helpers --
# create NAME CMDLINE: a nethostile domain with one vif on the bridge
create() {
	cat > "$T/$1.cfg" <<CFG
name = "$1"
kernel = "$GUEST"
memory = 32
cmdline = "$2"
on_crash = "preserve"
vif = [ 'bridge=$NET_BRIDGE' ]
CFG
	if ! "$PVCTL" create "$T/$1.cfg" >/dev/null 2>"$T/$1.err"; then
		bad "$1-create" "$(cat "$T/$1.err")"
		return 1
	fi
	return 0
}

# tap_checks NAME ID: its tap in the namespace, on the bridge, not here
tap_checks() {
	tap=$(net_tap "$2")
	if net_wait_port "$tap" 30; then
		ok "$1-tap-on-bridge ($tap in $NETNS)"
	else
		bad "$1-tap-on-bridge" "no $tap up on $NET_BRIDGE in $NETNS: $(ip -n "$NETNS" -o link show 2>&1 | tr '\n' ' ')"
	fi
	if ip link show "$tap" >/dev/null 2>&1; then
		bad "$1-tap-not-in-host-namespace" "$tap is in the host's namespace"
	else
		ok "$1-tap-not-in-host-namespace"
	fi
}

# network_list NAME: pvctl network-list answers, with the vif
network_list() {
	if "$PVCTL" network-list "$1" >"$T/$1.list" 2>&1 &&
	   awk 'NR > 1 && $1 == "0"' "$T/$1.list" | grep -q .; then
		ok "$1-network-list"
	else
		bad "$1-network-list" "$(head -3 "$T/$1.list" | tr '\n' ' ')"
	fi
	sed 's/^/    /' "$T/$1.list"
}

# guest_verdicts NAME VERDICT...: the guest's "ok" line for each
guest_verdicts() {
	gname=$1
	shift
	for v in "$@"; do
		if grep -q "^  ok      $v\([: ]\|$\)" "$T/$gname.log"; then
			ok "$gname/$v"
		elif line=$(grep -m1 "^  FAILED  $v\([: ]\|$\)" "$T/$gname.log"); then
			bad "$gname/$v" "$(echo "$line" | sed 's/^  FAILED  //')"
		else
			bad "$gname/$v" "not reached: $(grep -m1 '^FAIL nethostile' "$T/$gname.log" || echo 'no verdict')"
		fi
	done
}

# finish NAME: ask it to end, take its verdict, see it and its tap gone
finish() {
	"$PVCTL" shutdown "$1" >/dev/null 2>&1
	wait_for "$1" "^PASS nethostile\|^FAIL nethostile" 30
	if grep -q "^PASS nethostile" "$T/$1.log"; then
		ok "$1-guest ($(grep -c '^  ok ' "$T/$1.log") checks)"
	else
		bad "$1-guest" "$(grep -m1 '^FAIL nethostile' "$T/$1.log" || echo 'no verdict')"
		grep '^  FAILED' "$T/$1.log" | head -20 | sed 's/^/    /'
	fi
	if ! wait_gone "$1" 30; then
		[ "$(state_of "$1")" = crashed ] ||
			bad "$1-powers-off" "state '$(state_of "$1")'"
		"$PVCTL" destroy "$1" 2>/dev/null
		wait_gone "$1" 30
	fi
	if net_tap_gone "$tap" 15; then
		ok "$1-tap-removed"
	else
		bad "$1-tap-removed" "$tap still in $NETNS after the domain"
	fi
	if pvisord_answers; then
		ok "$1-pvisord-answers"
	else
		bad "$1-pvisord-answers" "pvisord gone or not answering"
	fi
}

# benign NAME IP: a well-behaved netfront: frames out, an ARP reply in
benign() {
	create "$1" "benign ip=$2 hold" || return
	id=$(domid_of "$1")
	tap_checks "$1" "$id"
	wait_for "$1" "^PASS nethostile\|^FAIL nethostile" "$TIMEOUT" ||
		bad "$1-finishes" "no verdict in $TIMEOUT s" "$1"
	guest_verdicts "$1" backend-connected benign-good-arp \
		benign-good-udp-2-slots benign-arp-reply-received
	finish "$1"
}

# ------------------------------------------------ the hostile run --
HOSTILE_VERDICTS="backend-initwait backend-connected good-arp-60-bytes
	good-udp-1-slot good-udp-3-slots good-18-slots
	good-udp-slot-ending-at-page-end size-0 size-13-below-ethernet-header
	size-65535-slots-short slot-sizes-exceed-total
	first-slot-with-0-bytes-accepted offset-plus-size-over-page offset-65535
	second-slot-crosses-page gref-past-the-table gref-0xffffffff
	gref-never-granted gref-without-permit-access gref-for-another-domain
	second-slot-gref-never-granted gso-type-7 gso-type-none
	gso-tcpv4-not-negotiated-answered full-tx-ring-of-256
	rx-ring-filled-never-read good-arp-with-rx-ring-full
	rx-no-responses-past-requests good-arp-after-rx-ring-full"

name=nh-hostile
if create "$name" "ip=101 hold"; then
	id=$(domid_of "$name")
	tap_checks "$name" "$id"
	wait_for "$name" "rx ring posted\|^FAIL nethostile" 60
	# Its backend, the only one so far.
	pid0=$(net_list_col "$name" 0 Pid)
	[ -n "$pid0" ] && [ "$pid0" != 0 ] || pid0=$(net_backends | head -n 1)
	echo "    backend of $name: pid '$pid0'"

	wait_for "$name" "checks done\|^FAIL nethostile\|^PASS nethostile" \
		"$TIMEOUT" ||
		bad "$name-finishes" "no end of checks in $TIMEOUT s" "$name"

	# Its receive ring is full and unread; the flood goes on.
	if [ -n "$pid0" ] && t0=$(cpu_ticks "$pid0") && [ -n "$t0" ]; then
		sleep 5
		t1=$(cpu_ticks "$pid0")
		hz=$(getconf CLK_TCK)
		used=$(( ${t1:-$t0} - t0 ))
		if [ -z "$t1" ]; then
			bad "$name-rx-full-no-spin" "backend $pid0 gone while measured"
		elif [ $(( used * 100 / (5 * hz) )) -ge 50 ]; then
			bad "$name-rx-full-no-spin" "backend $pid0 used $(( used * 100 / (5 * hz) ))% of a CPU for 5 s with the receive ring full"
		else
			ok "$name-rx-full-no-spin (backend $(( used * 100 / (5 * hz) ))% of a CPU)"
		fi
	else
		bad "$name-rx-full-no-spin" "no backend process to measure (pid '$pid0')"
	fi

	network_list "$name"
	pid1=$(net_list_col "$name" 0 Pid)
	[ -n "$pid1" ] && [ "$pid1" != 0 ] || pid1=$(net_backends | head -n 1)
	if awk '$1 == "0"' "$T/$name.list" | grep -q '#'; then
		bad "$name-backend-survives" "$(awk '$1 == "0"' "$T/$name.list" | sed 's/.*# //')"
	elif [ -z "$pid1" ] || ! kill -0 "$pid1" 2>/dev/null; then
		bad "$name-backend-survives" "no live backend (pid '$pid1', was '$pid0')"
	elif [ "$pid1" != "$pid0" ]; then
		ok "$name-backend-survives (restarted: pid $pid0, now $pid1)"
	else
		ok "$name-backend-survives (pid $pid1)"
	fi
	ok_in=$(net_tap_stat "$tap" rx_packets)
	echo "    $tap: ${ok_in:-?} frames from the guest, $(net_tap_stat "$tap" tx_packets) to it, $(net_tap_stat "$tap" tx_dropped) dropped"

	# Beside it, while its vif is still there: a guest that behaves.
	hid=$id
	benign nh-benign1 50

	name=nh-hostile
	id=$hid
	tap=$(net_tap "$id")
	finish "$name"
	# shellcheck disable=SC2086
	guest_verdicts "$name" $HOSTILE_VERDICTS
fi

# -------------------------------------------------- the fatal runs --
# fatal MODE VERDICT KEYWORD IP: the vif is given up, pvisord says why
fatal() {
	name=nh-$1
	create "$name" "fatal=$1 ip=$4 hold" || return
	id=$(domid_of "$name")
	tap_checks "$name" "$id"
	wait_for "$name" "checks done\|^FAIL nethostile\|^PASS nethostile" \
		"$TIMEOUT" ||
		bad "$name-finishes" "no end of checks in $TIMEOUT s" "$name"
	guest_verdicts "$name" backend-connected good-arp-60-bytes "$2"

	st=$("$PVCTL" xenstore read "/local/domain/0/backend/vif/$id/0/state" 2>&1)
	case $st in
	5|6) ok "$name-backend-state-closing ($st)" ;;
	*) bad "$name-backend-state-closing" "backend state '$st' (want 5 or 6)" ;;
	esac
	# The reason, on a line about this domain.
	line=$(grep -E "(^|[^0-9a-z])d$id vif0: frontend broke the protocol" "$T/pvisord.log" | grep -i "$3" | head -n 1)
	if [ -n "$line" ]; then
		ok "$name-pvisord-logs-reason ($line)"
	else
		bad "$name-pvisord-logs-reason" "no line about d$id mentioning '$3' in pvisord.log"
	fi
	network_list "$name"
	finish "$name"
}

fatal slots fatal-19-slots-closes-vif slot 102
fatal prod fatal-producer-10000-ahead-closes-vif prod 103
fatal extra fatal-extra-type-9-closes-vif extra 104

# After all that: a guest that behaves still gets its frames through.
benign nh-benign2 51

# ------------------------------------------------------ the bridge --
sleep 1
good_sent=0
for f in "$T"/nh-*.log; do
	n=$(sed -n 's/.*frames GOOD \([0-9]*\) BAD.*/\1/p' "$f" | tail -n 1)
	good_sent=$(( good_sent + ${n:-0} ))
done
good_seen=$(awk '$1 == "GOOD" && $5 == "ok" { print $2, $3, $4 }' "$T/sniff.txt" | sort -u | wc -l)
corrupt=$(grep -c ' corrupt ' "$T/sniff.txt")
refused=$(grep -c '^BAD ' "$T/sniff.txt")
if [ "$good_seen" -eq "$good_sent" ] && [ "$good_sent" -gt 0 ]; then
	ok "good-frames-reach-the-bridge ($good_seen of $good_sent)"
else
	bad good-frames-reach-the-bridge "$good_seen of $good_sent GOOD frames seen intact on $NET_BRIDGE"
fi
if [ "$corrupt" = 0 ]; then
	ok frames-intact
else
	bad frames-intact "$corrupt frame(s) on $NET_BRIDGE not as sent: $(grep -m3 ' corrupt ' "$T/sniff.txt" | tr '\n' ';')"
fi
if [ "$refused" = 0 ]; then
	ok refused-frames-never-on-the-bridge
else
	bad refused-frames-never-on-the-bridge "$refused BAD frame(s) reached $NET_BRIDGE: $(grep -m3 '^BAD ' "$T/sniff.txt" | tr '\n' ';')"
fi

# --------------------------------------------------------- the rest --
if grep -Eqi 'AddressSanitizer|runtime error|Assertion|abort|SIGSEGV' \
	"$T/pvisord.log" "$T/stderr"; then
	bad pvisord-log-clean "$(grep -Ei 'sanitizer|runtime error|assertion|abort|sigsegv' "$T/pvisord.log" "$T/stderr" | head -5)"
else
	ok pvisord-log-clean
fi
if pvisord_answers; then
	ok pvisord-alive-at-the-end
else
	bad pvisord-alive-at-the-end "pvisord gone or not answering"
fi
# No backend outlives its domain.
left=$(net_backends)
if [ -n "$left" ]; then
	bad no-backend-left "pvnetback pid(s) $(echo "$left" | tr '\n' ' ')"
else
	ok no-backend-left
fi
