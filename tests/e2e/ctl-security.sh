#!/bin/sh
# SPDX-License-Identifier: MIT
# The control socket against local users (security issue, item 5). No
# /dev/kvm: pvisord runs with --no-kvm (creates stop at domain_create),
# and users are made up with setpriv (uids without accounts; the group
# $GROUP is added to /etc/group if missing). Needs root. One PASS:/FAIL:
# line per case:
#   supplementary-member   the group as a supplementary group gets in
#   many-groups            the same, the group 301st of the user's groups
#   primary-member         the group as the primary group gets in
#   non-member-refused     no group: refused, told who may use pvisord
#   non-member-daemon      the same with the socket opened to all: the
#                          daemon's own check refuses
#   root-only-kernel       a member's kernel=<0600 root file> is refused
#                          by pvctl naming the file; nobody opened it
#   root-only-ramdisk      the same for the ramdisk
#   member-file-passed     a (supplementary) member's own 0600 kernel
#                          reaches pvisord as a descriptor (and is refused
#                          only for want of KVM)
#   no-descriptor          a raw create naming a path but passing no file
#                          is refused; pvisord never opens the path
#   flood-1000             1000 connections at once and a half-sent
#                          request: another member is served at once, the
#                          excess refused, the held and half ones dropped
#   slow-request           a request trickled a byte a second is dropped
#                          when its time is up, not kept alive per byte
#   accept-emfile          pvisord out of descriptors: accept() fails, the
#                          log gets a few lines, service resumes after
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$(pwd)/$BUILD ;; esac
PVCTL=$BUILD/pvctl
# The made-up users cannot reach a python under root's home (pyenv).
PY=/usr/bin/python3
FLOOD_PY=$(cd "$(dirname "$0")" && pwd)/ctl_flood.py
GROUP=${CTL_GROUP:-pvisortest}
MEMBER=4242 MEMBER2=4244 MEMBER3=4245 SUPP=4246 OTHER=4243

. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null ||
   ! command -v prlimit >/dev/null; then
	verdict FAIL ctl/setup "needs root, setpriv and prlimit (util-linux)"
	exit 1
fi
getent group "$GROUP" >/dev/null || groupadd -f "$GROUP" ||
	{ verdict FAIL ctl/setup "cannot add group $GROUP"; exit 1; }
GID=$(getent group "$GROUP" | cut -d: -f3)

# Members by primary group (which the old check let in too, so the
# cases after the first ones test their own hole), one by a
# supplementary group (the usual `usermod -aG`), and a stranger.
as_member() { setpriv --reuid=$MEMBER --regid=$GID --clear-groups -- "$@"; }
as_member2() { setpriv --reuid=$MEMBER2 --regid=$GID --clear-groups -- "$@"; }
as_member3() { setpriv --reuid=$MEMBER3 --regid=$GID --clear-groups -- "$@"; }
as_supp() { setpriv --reuid=$SUPP --regid=$SUPP --groups=$GID -- "$@"; }
as_other() { setpriv --reuid=$OTHER --regid=$OTHER --clear-groups -- "$@"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# start_ctl [WRAP]: a private pvisord for $GROUP, reachable by others.
start_ctl() {
	PVISORD_WRAP=$1 start_pvisord --no-kvm --group "$GROUP"
	chmod 755 "$T"
	# The made-up users may not reach the checkout (a 0700 clone dir).
	cp "$FLOOD_PY" "$T/ctl_flood.py" && chmod 644 "$T/ctl_flood.py"
	HELPER="$PY $T/ctl_flood.py"
	if ! [ -S "$PVISOR_SOCKET" ]; then
		verdict FAIL ctl/setup "pvisord did not start: $(cat "$T/stderr")"
		exit 1
	fi
}

# watch_file FILE: note every open of FILE until unwatch (inotify).
watch_file() {
	$HELPER watch "$1" >"$T/watch.out" 2>&1 &
	WPID=$!
	for i in $(seq 50); do grep -q ready "$T/watch.out" && break; sleep 0.1; done
}
unwatch() { sleep 0.3; kill "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null; }
opened() { grep -q OPEN "$T/watch.out"; }

start_ctl ""

# --- who gets in ---------------------------------------------------------
out=$(as_supp "$PVCTL" list 2>&1)
if [ $? -eq 0 ] && echo "$out" | grep -q '^Name'; then
	verdict PASS ctl/supplementary-member
else
	verdict FAIL ctl/supplementary-member "$out"
fi

# 300 other groups first: more than any fixed buffer a first guess has.
out=$(setpriv --reuid=$SUPP --regid=$SUPP --groups="$(seq -s, 20001 20300),$GID" -- "$PVCTL" list 2>&1)
if [ $? -eq 0 ] && echo "$out" | grep -q '^Name'; then
	verdict PASS ctl/many-groups
else
	verdict FAIL ctl/many-groups "$out"
fi

out=$(as_member "$PVCTL" list 2>&1)
if [ $? -eq 0 ] && echo "$out" | grep -q '^Name'; then
	verdict PASS ctl/primary-member
else
	verdict FAIL ctl/primary-member "$out"
fi

out=$(as_other "$PVCTL" list 2>&1)
if [ $? -ne 0 ] && echo "$out" | grep -qi "permission denied" &&
   echo "$out" | grep -q "group '$GROUP'"; then
	verdict PASS ctl/non-member-refused "$out"
else
	verdict FAIL ctl/non-member-refused "unclear or let in: $out"
fi

chmod 666 "$PVISOR_SOCKET"
out=$(as_other "$PVCTL" list 2>&1)
rc=$?
chmod 660 "$PVISOR_SOCKET"
if [ $rc -ne 0 ] && echo "$out" | grep -q "permission denied: pvisord accepts root"; then
	verdict PASS ctl/non-member-daemon "$out"
else
	verdict FAIL ctl/non-member-daemon "exit $rc: $out"
fi

# --- files are opened by the caller --------------------------------------
head -c 65536 /dev/urandom >"$T/secret.img"
chmod 600 "$T/secret.img"
head -c 65536 /dev/urandom >"$T/mine.img"
chown $SUPP "$T/mine.img"
chmod 600 "$T/mine.img"

watch_file "$T/secret.img"
out=$(as_member "$PVCTL" create name=sneaky kernel="$T/secret.img" memory=16 2>&1)
rc=$?
unwatch
if [ $rc -ne 0 ] && echo "$out" | grep -q "kernel '$T/secret.img': Permission denied" &&
   ! opened && ! "$PVCTL" list | grep -q sneaky &&
   ! grep -q sneaky "$T/pvisord.log"; then
	verdict PASS ctl/root-only-kernel "$out"
else
	verdict FAIL ctl/root-only-kernel "exit $rc, opened: $(opened && echo yes || echo no): $out"
fi

watch_file "$T/secret.img"
chmod 644 "$T/mine.img"
out=$(as_member "$PVCTL" create name=sneaky kernel="$T/mine.img" ramdisk="$T/secret.img" memory=16 2>&1)
rc=$?
unwatch
if [ $rc -ne 0 ] && echo "$out" | grep -q "ramdisk '$T/secret.img': Permission denied" &&
   ! opened && ! "$PVCTL" list | grep -q sneaky; then
	verdict PASS ctl/root-only-ramdisk "$out"
else
	verdict FAIL ctl/root-only-ramdisk "exit $rc, opened: $(opened && echo yes || echo no): $out"
fi

chmod 600 "$T/mine.img"
out=$(as_supp "$PVCTL" create name=mine kernel="$T/mine.img" memory=16 2>&1)
if echo "$out" | grep -q "cannot create domain"; then
	verdict PASS ctl/member-file-passed "$out"
else
	verdict FAIL ctl/member-file-passed "$out"
fi

watch_file "$T/secret.img"
out=$(as_member $HELPER nofd "$PVISOR_SOCKET" "$T/secret.img" 2>&1)
unwatch
if echo "$out" | grep -q "status=-" && echo "$out" | grep -q "open files" &&
   ! opened; then
	verdict PASS ctl/no-descriptor "$out"
else
	verdict FAIL ctl/no-descriptor "opened: $(opened && echo yes || echo no): $out"
fi

# A vif's hotplug script runs as root: a member may name one of
# pvisord's own scripts, never a file by path.
out=$(as_member $HELPER raw "$PVISOR_SOCKET" create name=scr kernel=/k \
	vif=script=/bin/sh 2>&1)
if echo "$out" | grep -q "status=-22 " &&
   echo "$out" | grep -q "only root may name a script by path"; then
	verdict PASS ctl/vif-script-path-refused "$out"
else
	verdict FAIL ctl/vif-script-path-refused "$out"
fi

# --- bounded connections -------------------------------------------------
as_member $HELPER flood "$PVISOR_SOCKET" 1000 9 >"$T/flood.out" 2>&1 &
fpid=$!
sleep 1.5
as_member3 $HELPER half "$PVISOR_SOCKET" >"$T/half.out" 2>&1 &
hpid=$!
as_member3 $HELPER drip "$PVISOR_SOCKET" 19 >"$T/drip.out" 2>&1 &
dpid=$!
sleep 0.5
t0=$(now_ms)
out=$(as_member2 "$PVCTL" list 2>&1)
lrc=$?
ms=$(( $(now_ms) - t0 ))
threads=$(ls /proc/$DPID/task 2>/dev/null | wc -l)
wait $fpid $hpid
flood=$(cat "$T/flood.out") half=$(cat "$T/half.out")
opened=0 refused=0 open=-1 held_s=99
eval "$(echo "$flood" | grep '^opened=')"
eval "$(echo "$half" | grep '^held_s=')"
held=${held_s%.*}
if [ $lrc -eq 0 ] && [ $ms -lt 2000 ] && [ "$opened" -eq 1000 ] &&
   [ "$refused" -ge 900 ] && [ "$open" -eq 0 ] && [ "$held" -ge 3 ] &&
   [ "$held" -le 8 ] && [ "$threads" -lt 200 ] && kill -0 "$DPID" 2>/dev/null; then
	verdict PASS ctl/flood-1000 "list in $ms ms, $threads threads; $flood; half request dropped after ${held_s}s"
else
	verdict FAIL ctl/flood-1000 "list rc $lrc in $ms ms, $threads threads; flood: $flood; half: $half"
fi
wait $dpid
drip=$(cat "$T/drip.out")
drip_s=99
eval "$(echo "$drip" | grep '^drip_s=')"
if [ "${drip_s%.*}" -le 7 ]; then
	verdict PASS ctl/slow-request "$drip"
else
	verdict FAIL ctl/slow-request "a trickled request was taken for ${drip_s}s: $drip"
fi

# --- accept() out of descriptors -----------------------------------------
kill_pvisord
start_ctl "prlimit --nofile=40:40 --"
# As root, which no per-user limit stops: every connection costs a
# descriptor until the request timeout frees it.
$HELPER flood "$PVISOR_SOCKET" 100 8 >"$T/flood2.out" 2>&1
ok=no
t0=$(now_ms)
for i in $(seq 50); do
	"$PVCTL" list >/dev/null 2>&1 && { ok=yes; break; }
	sleep 0.2
done
ms=$(( $(now_ms) - t0 ))
lines=$(grep -c "accept failed" "$T/pvisord.log")
sleep 1
lines2=$(grep -c "accept failed" "$T/pvisord.log")
if [ $ok = yes ] && [ "$lines" -ge 1 ] && [ "$lines" -le 5 ] &&
   [ "$lines2" -eq "$lines" ] && kill -0 "$DPID" 2>/dev/null; then
	verdict PASS ctl/accept-emfile "$lines 'accept failed' line(s); served again $ms ms after the flood; $(cat "$T/flood2.out")"
else
	verdict FAIL ctl/accept-emfile "$lines 'accept failed' lines ($lines2 a second later); served again: $ok; $(cat "$T/flood2.out")"
fi
