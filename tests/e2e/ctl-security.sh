#!/bin/sh
# SPDX-License-Identifier: MIT
# The control socket against local users (security issue, hole 5), with
# users made up by setpriv (no accounts are created; the group is added
# to /etc/group only if missing). One PASS:/FAIL: line per case:
#   supplementary-member  a user with the group as a supplementary group
#   non-member-refused    a user without it, with a clear message
#   root-only-file        a member's kernel=<0600 root file> is refused
#                         by pvctl naming the file; pvisord opened nothing
#   member-creates        a member's own readable kernel boots
#   no-descriptor         a raw create naming a path without passing the
#                         file is refused (pvisord never opens paths)
#   flood-1000            1000 connections from a member and a half-sent
#                         request: others are served, the half one dropped
#   accept-emfile         accept() out of descriptors: no log flood, and
#                         service resumes
BUILD=${BUILD:-build}
PVCTL=$(pwd)/$BUILD/pvctl
HELLO=$(pwd)/$BUILD/guests/hello.elf
FLOOD="python3 $(pwd)/tests/e2e/ctl_flood.py"
GROUP=pvisortest
MEMBER=4242
OTHER=4243

. "$(dirname "$0")/lib.sh"
require_kvm ctl

getent group "$GROUP" >/dev/null || groupadd -f "$GROUP" ||
	{ verdict FAIL ctl/setup "cannot add group $GROUP"; exit 1; }
GID=$(getent group "$GROUP" | cut -d: -f3)

# pvisord with --group; its directory must be reachable by others.
start_pvisord_group() {
	T=$(mktemp -d)
	chmod 755 "$T"
	export PVISOR_SOCKET=$T/pvisord.sock XENSTORED_PATH=$T/xenstored.sock
	$1 "$BUILD/pvisord" --foreground --socket "$PVISOR_SOCKET" \
		--log "$T/pvisord.log" --console-dir "$T" --group "$GROUP" \
		--xenstore-socket "$XENSTORED_PATH" >"$T/stderr" 2>&1 &
	DPID=$!
	trap stop_pvisord EXIT
	for i in $(seq 100); do [ -S "$PVISOR_SOCKET" ] && break; sleep 0.1; done
}
as_member() { setpriv --reuid=$MEMBER --regid=$MEMBER --groups=$GID -- "$@"; }
as_other() { setpriv --reuid=$OTHER --regid=$OTHER --clear-groups -- "$@"; }

start_pvisord_group ""

out=$(as_member "$PVCTL" list 2>&1)
if [ $? -eq 0 ]; then
	verdict PASS ctl/supplementary-member
else
	verdict FAIL ctl/supplementary-member "$out"
fi

out=$(as_other "$PVCTL" list 2>&1)
if [ $? -ne 0 ] && echo "$out" | grep -qi "permission denied"; then
	verdict PASS ctl/non-member-refused "$(echo "$out" | head -n1)"
else
	verdict FAIL ctl/non-member-refused "exit 0 or unclear: $out"
fi

cp "$HELLO" "$T/secret.elf"
chmod 600 "$T/secret.elf"
out=$(as_member "$PVCTL" create name=sneaky kernel="$T/secret.elf" memory=16 2>&1)
rc=$?
if [ $rc -ne 0 ] && echo "$out" | grep -q "secret.elf" &&
   echo "$out" | grep -qi "permission denied" &&
   ! "$PVCTL" list | grep -q sneaky; then
	verdict PASS ctl/root-only-file "$out"
else
	verdict FAIL ctl/root-only-file "exit $rc: $out"
fi

cp "$HELLO" "$T/mine.elf"
chown $MEMBER "$T/mine.elf"
chmod 600 "$T/mine.elf"
out=$(as_member "$PVCTL" create name=mine kernel="$T/mine.elf" memory=16 on_poweroff=preserve 2>&1)
if [ $? -eq 0 ] && for i in $(seq 100); do
	grep -q "PASS hello" "$T/mine.log" 2>/dev/null && break; sleep 0.2; done &&
   grep -q "PASS hello" "$T/mine.log"; then
	verdict PASS ctl/member-creates "a 0600 kernel of its own"
else
	verdict FAIL ctl/member-creates "$out"
fi
"$PVCTL" destroy mine >/dev/null 2>&1

out=$($FLOOD nofd "$PVISOR_SOCKET" "$HELLO")
if echo "$out" | grep -q "open files" && ! "$PVCTL" list | grep -q nofd; then
	verdict PASS ctl/no-descriptor "$out"
else
	verdict FAIL ctl/no-descriptor "$out"
fi

# 1000 connections held by a member, plus a half-sent request.
as_member sh -c "ulimit -n 2048; $FLOOD flood '$PVISOR_SOCKET' 1000 15" >"$T/flood.out" 2>&1 &
fpid=$!
sleep 3
$FLOOD half "$PVISOR_SOCKET" >"$T/half.out" 2>&1 &
hpid=$!
t0=$(date +%s%N)
"$PVCTL" list >/dev/null 2>&1 && as_other true; lrc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
wait $hpid
half=$(cat "$T/half.out")
wait $fpid
threads=$(ls /proc/$DPID/task 2>/dev/null | wc -l)
# Root is served at once; the half request is dropped after its timeout.
secs=${half%% *}
if [ "$lrc" -eq 0 ] && [ "$ms" -lt 5000 ] && [ "${secs%.*}" -ge 4 ] &&
   [ "${secs%.*}" -le 15 ] && kill -0 "$DPID"; then
	verdict PASS ctl/flood-1000 "list in ${ms} ms; half request dropped after ${secs}s; $(cat "$T/flood.out")"
else
	verdict FAIL ctl/flood-1000 "list rc $lrc in ${ms} ms; half: '$half'; flood: $(cat "$T/flood.out"); threads $threads"
fi
stop_pvisord_keep() { kill -TERM "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; }
stop_pvisord_keep
rm -rf "$T"

# A daemon short of descriptors: accept fails, it must back off quietly.
start_pvisord_group "prlimit --nofile=40:40 --"
$FLOOD flood "$PVISOR_SOCKET" 200 6 >"$T/flood2.out" 2>&1
sleep 1
lines=$(grep -c "accept failed" "$T/pvisord.log")
if kill -0 "$DPID" 2>/dev/null && "$PVCTL" list >/dev/null 2>&1 &&
   [ "$lines" -ge 1 ] && [ "$lines" -le 5 ]; then
	verdict PASS ctl/accept-emfile "$lines log line(s) while out of descriptors; served again after"
else
	verdict FAIL ctl/accept-emfile "$lines 'accept failed' lines; alive: $(kill -0 "$DPID" 2>/dev/null && echo yes || echo no)"
fi
