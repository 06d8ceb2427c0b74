#!/bin/sh
# SPDX-License-Identifier: MIT
# A hostile blkfront against pvblkback, beside a Linux guest using its
# own disk. The hostile kernel (tests/e2e/guests/blkhostile) sends
# malformed requests one at a time (bad grants, segments, sectors,
# operations, indirect pages, writes to a read-only disk) and checks
# each is answered with an error and its id; then it publishes a
# producer index far past the ring, which the backend must give up.
# Checked here: the guest's verdict, the backend's "ring shut down" in
# pvisord's log, that no pvblkback died, that the image holds exactly
# what the good requests wrote, and that pvisord and the victim go on.
# Two runs: the disk writable, then read-only (cmdline "ro").
BUILD=${BUILD:-build}
PVCTL=$(pwd)/$BUILD/pvctl
KERNEL=$(pwd)/$BUILD/linux/vmlinuz
INITRD=$(pwd)/$BUILD/linux/initrd.img
HOSTILE=$(pwd)/$BUILD/guests/e2e-blkhostile.elf
BOOT_TIMEOUT=${LINUX_BOOT_TIMEOUT:-240}
HOSTILE_TIMEOUT=${BLKHOSTILE_TIMEOUT:-120}

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/linux_lib.sh"
require_kvm block-hostile
start_pvisord

ok() { verdict PASS "block-hostile/$1"; }
bad() {
	verdict FAIL "block-hostile/$1" "$2"
	[ -n "$3" ] && [ -f "$T/$3.log" ] && tail -20 "$T/$3.log" | sed 's/^/    /'
	tail -8 "$T/pvisord.log" | sed 's/^/    /'
}
domid_of() { "$PVCTL" list | awk -v n="$1" '$1 == n { print $2 }'; }
state_of() { "$PVCTL" list | awk -v n="$1" '$1 == n { print $5 }'; }

# The hostile guest's image: 8 MiB; sector s starts with
# "PVBLK-PATTERN s=%08d\n" and its byte j (after that) is (s + j) & 0xff.
make_image() {
	python3 - "$1" <<'PY'
import sys
ramp = bytes(range(256)) * 4
with open(sys.argv[1], "wb") as f:
    for s in range(16384):
        hdr = b"PVBLK-PATTERN s=%08d\n" % s
        o = (s + len(hdr)) % 256
        f.write(hdr + ramp[o:o + 512 - len(hdr)])
PY
}
# verify_image FILE WRITTEN: every sector as make_image left it, except,
# if WRITTEN is 1, sectors 2048-2055, which the guest's good write makes
# "PVBLK-WRITTEN s=%08d\n" then (3 * s + j) & 0xff. Prints ok or why not.
verify_image() {
	python3 - "$1" "$2" <<'PY'
import sys
ramp = bytes(range(256)) * 4
data = open(sys.argv[1], "rb").read()
written = sys.argv[2] == "1"
if len(data) != 16384 * 512:
    print("image is %d bytes, not 8 MiB" % len(data))
    sys.exit(0)
for s in range(16384):
    w = written and 2048 <= s < 2056
    hdr = b"PVBLK-%s s=%08d\n" % (b"WRITTEN" if w else b"PATTERN", s)
    o = ((3 if w else 1) * s + len(hdr)) % 256
    if data[s * 512:(s + 1) * 512] != hdr + ramp[o:o + 512 - len(hdr)]:
        print("sector %d is not what it should be: %r" %
              (s, data[s * 512:s * 512 + 25]))
        sys.exit(0)
print("ok")
PY
}

# ------------------------------------------------------- the victim --
head -c 4M /dev/urandom > "$T/pattern"
truncate -s 64M "$T/victim.img"
dd if="$T/pattern" of="$T/victim.img" conv=notrunc 2>/dev/null
want=$(md5sum < "$T/pattern" | cut -d' ' -f1)
cat > "$T/victim.cfg" <<CFG
name = "victim"
kernel = "$KERNEL"
ramdisk = "$INITRD"
memory = 256
cmdline = "console=hvc0 nr_cpus=1"
disk = [ '$T/victim.img,raw,xvda,rw' ]
CFG
victim_up=0
if "$PVCTL" create "$T/victim.cfg" >/dev/null 2>"$T/victim.err" &&
   wait_for victim "shell on /dev/hvc0" "$BOOT_TIMEOUT"; then
	victim_up=1
	# Keep its disk busy while the hostile guest runs.
	type_line victim 'while :; do dd if=/dev/xvda of=/dev/null bs=1M count=4 iflag=direct 2>/dev/null; done &'
	victim_errs=$("$PVCTL" block-list victim | awk '$1 == "xvda" { print $8 }')
	ok victim-boots
else
	bad victim-boots "$(cat "$T/victim.err")" victim
fi

# victim_reads WHEN: the victim still reads its disk right, its backend
# alive and with no more errors than before the hostile guest came.
victim_reads() {
	if [ "$victim_up" != 1 ]; then
		bad "victim-reads-$1" "no victim"
		return
	fi
	mark=VRD$1
	type_line victim "dd if=/dev/xvda bs=1M count=4 iflag=direct 2>/dev/null | md5sum | sed 's/^/$mark: /'"
	"$PVCTL" block-list victim > "$T/victim.list" 2>&1
	errs=$(awk '$1 == "xvda" { print $8 }' "$T/victim.list")
	if wait_for victim "^$mark: [0-9a-f]" 60 &&
	   grep -q "^$mark: $want" "$T/victim.log" &&
	   [ -n "$errs" ] && [ "$errs" = "$victim_errs" ] &&
	   ! grep "^xvda" "$T/victim.list" | grep -q '#'; then
		ok "victim-reads-$1"
	else
		bad "victim-reads-$1" "md5 or backend wrong (errors '$errs', were '$victim_errs')" victim
		sed 's/^/    /' "$T/victim.list"
	fi
}

# ------------------------------------------------ the hostile guest --
# hostile_run NAME ACCESS CMDLINE: one run against a fresh image
hostile_run() {
	name=$1 access=$2 cmdline=$3
	img=$T/$name.img
	make_image "$img"
	cat > "$T/$name.cfg" <<CFG
name = "$name"
kernel = "$HOSTILE"
memory = 32
cmdline = "$cmdline hold"
on_crash = "preserve"
disk = [ '$img,raw,xvda,$access' ]
CFG
	if ! "$PVCTL" create "$T/$name.cfg" >/dev/null 2>"$T/$name.err"; then
		bad "$name-create" "$(cat "$T/$name.err")"
		return
	fi
	id=$(domid_of "$name")

	# Until the guest is done with its checks (it then waits for
	# control/shutdown, so its disk and backend are still there).
	wait_for "$name" "checks done\|^FAIL blkhostile\|^PASS blkhostile" \
		"$HOSTILE_TIMEOUT" ||
		bad "$name-finishes" "no end of checks in ${HOSTILE_TIMEOUT} s" "$name"
	"$PVCTL" block-list "$name" > "$T/$name.list" 2>&1
	sed 's/^/    /' "$T/$name.list"
	pid=$(awk '$1 == "xvda" { print $5 }' "$T/$name.list")
	errs=$(awk '$1 == "xvda" { print $8 }' "$T/$name.list")
	if grep "^xvda" "$T/$name.list" | grep -q '#' ||
	   grep -q "d$id xvda: .*backend \(killed\|exited\)" "$T/pvisord.log"; then
		bad "$name-backend-survives" "$(grep '^xvda' "$T/$name.list" | sed 's/.*# //')"
	elif [ -z "$pid" ] || [ "$pid" = 0 ] || ! kill -0 "$pid" 2>/dev/null; then
		bad "$name-backend-survives" "no live backend (pid '$pid')"
	elif [ "${errs:-0}" -lt 40 ]; then
		bad "$name-backend-survives" "only '$errs' errors counted for the attacks"
	else
		ok "$name-backend-survives (pid $pid, $errs errors answered)"
	fi
	if grep -q "d$id xvda: backend: ring shut down" "$T/pvisord.log"; then
		ok "$name-ring-shut-down ($(grep -m1 "d$id xvda: backend: ring shut down" "$T/pvisord.log" | sed 's/.*ring shut down: //'))"
	else
		bad "$name-ring-shut-down" "no 'ring shut down' for d$id in pvisord.log"
	fi

	# A frontend that never lets go: detach waits its 10 s, says so,
	# and blocks no other client meanwhile; --force takes the disk.
	if [ "$access" = rw ]; then
		"$PVCTL" block-detach "$name" xvda >"$T/det.out" 2>&1 &
		dpid=$!
		sleep 3
		t0=$(date +%s%N)
		"$PVCTL" list >/dev/null
		t1=$(date +%s%N)
		wait $dpid
		drc=$?
		ms=$(( (t1 - t0) / 1000000 ))
		if [ "$ms" -lt 2000 ]; then
			ok "detach-wait-blocks-nobody (pvctl list: $ms ms)"
		else
			bad detach-wait-blocks-nobody "pvctl list took $ms ms"
		fi
		if [ "$drc" != 0 ] && grep -q "has not released xvda" "$T/det.out"; then
			ok detach-waits-for-frontend
		else
			bad detach-waits-for-frontend "exit $drc: $(cat "$T/det.out")"
		fi
		if "$PVCTL" block-detach "$name" xvda --force >"$T/det.out" 2>&1 &&
		   ! "$PVCTL" block-list "$name" | grep -q "^xvda" &&
		   ! kill -0 "$pid" 2>/dev/null; then
			ok force-detach
		else
			bad force-detach "$(cat "$T/det.out")"
		fi
	fi

	# Let it report and power off.
	"$PVCTL" shutdown "$name" >/dev/null 2>&1
	wait_for "$name" "^PASS blkhostile\|^FAIL blkhostile" 30
	if grep -q "^PASS blkhostile" "$T/$name.log"; then
		ok "$name-guest ($(grep -c '^  ok ' "$T/$name.log") checks)"
	else
		bad "$name-guest" "$(grep -m1 '^FAIL blkhostile' "$T/$name.log" || echo 'no verdict')"
		grep '^  FAILED' "$T/$name.log" | head -20 | sed 's/^/    /'
	fi
	if ! wait_gone "$name" 30; then
		[ "$(state_of "$name")" = crashed ] ||
			bad "$name-powers-off" "state '$(state_of "$name")'"
		"$PVCTL" destroy "$name" 2>/dev/null
		wait_gone "$name" 30
	fi

	# What is in the image is what the good requests put there.
	if [ "$access" = ro ]; then written=0; else written=1; fi
	why=$(verify_image "$img" "$written")
	if [ "$why" = ok ]; then
		ok "$name-image-as-expected"
	else
		bad "$name-image-as-expected" "$why"
	fi

	if kill -0 "$DPID" 2>/dev/null && "$PVCTL" list >/dev/null 2>&1; then
		ok "$name-pvisord-answers"
	else
		bad "$name-pvisord-answers" "pvisord gone or not answering"
	fi
}

hostile_run hostile rw ""
victim_reads after-rw
hostile_run hostilero ro "ro"
victim_reads after-ro

if grep -Eqi 'AddressSanitizer|runtime error|Assertion|abort|SIGSEGV' \
	"$T/pvisord.log" "$T/stderr"; then
	bad pvisord-log-clean "$(grep -Ei 'sanitizer|runtime error|assertion|abort|sigsegv' "$T/pvisord.log" "$T/stderr" | head -5)"
else
	ok pvisord-log-clean
fi

"$PVCTL" destroy victim 2>/dev/null
wait_gone victim 30
# No backend outlives its domain.
if pgrep -x pvblkback >/dev/null; then
	bad no-backend-left "$(pgrep -a pvblkback)"
else
	ok no-backend-left
fi
