#!/bin/sh
# SPDX-License-Identifier: MIT
# Event-channel latency: vCPU <-> vCPU IPIs (tests/guests/smp, 2 vCPUs)
# and guest <-> dom0 service round trips (tests/guests/dom0events with
# pvctl run's echo service). The guests time themselves with rdtsc and
# print BENCH lines; exits come from --stats for the whole run, divided
# by the round trips it made (setup included, so an upper bound).
# Then the loopback round trip (send on one end, upcall for the other)
# under the 2-level and the FIFO ABI side by side (tests/guests/evtfifo
# in bench mode): exits per round trip are those of a run with ITERS
# round trips minus those of the same run with none.
BUILD=${BUILD:-build}
PVCTL=$BUILD/pvctl
ITERS=${EVTCHN_BENCH_ITERS:-2000}

if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	echo "bench/events: /dev/kvm not available: no figures"
	exit 0
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT

echo
echo "### event channels"
echo
echo "| measure | µs/op | exits per round trip (whole run) |"
echo "|---|---:|---:|"
run() {	# kernel, extra args, label
	"$PVCTL" run --kernel "$BUILD/guests/$1.elf" --memory 32 --stats $2 \
		>"$out" 2>&1 </dev/null || { echo "| $3 | failed | |"; return; }
	exits=$(awk '/^exits / { sub(":", "", $2); print $2 }' "$out")
	rtts=$(awk '/^BENCH .*rtt/ { split($3, a, "="); n += a[2] } END { print n + 0 }' "$out")
	awk -v exits="$exits" -v rtts="$rtts" -v label="$3" '
		/^BENCH / {
			split($4, u, "=");
			per = rtts ? sprintf("%.1f", exits / rtts) : "";
			printf "| %s: %s | %s | %s |\n", label, $2, u[2], per
		}' "$out"
}
run smp "--vcpus 2" "vCPU↔vCPU"
run dom0events "--evtchn-echo" "guest↔dom0"
echo
echo "rtt = round trip; wake_blocked / to_blocked / to_running = one-way"
echo "delivery to a vCPU sleeping in the host or running in the VM."

# loop ABI ITERS: "us exits" of an evtfifo bench run, or "failed".
loop() {
	"$PVCTL" run --kernel "$BUILD/guests/evtfifo.elf" --memory 32 --stats \
		--cmdline "bench=$1 iters=$2" >"$out" 2>&1 </dev/null &&
		grep -q "^PASS evtfifo" "$out" || { echo failed; return; }
	awk '/^exits / { sub(":", "", $2); e = $2 }
	     /^BENCH / { split($4, u, "="); us = u[2] }
	     END { print us, e }' "$out"
}
# row ABI: "us/op exits/op" from a run with ITERS round trips and one
# with none (setup, printing and shutdown cancel out).
row() {
	set -- $(loop "$1" "$ITERS") $(loop "$1" 0)
	case "$1$3" in *failed*) echo "failed failed"; return ;; esac
	awk -v us="$1" -v e1="$2" -v e0="$4" -v n="$ITERS" \
		'BEGIN { printf "%s %.2f\n", us, (e1 - e0) / n }'
}
set -- $(row 2l) $(row fifo)
echo
echo "| loopback send → upcall round trip | 2-level | FIFO |"
echo "|---|---:|---:|"
echo "| µs/op | $1 | $3 |"
echo "| exits/op | $2 | $4 |"
echo
echo "$ITERS round trips per ABI; exits/op = (exits of that run - exits of"
echo "the same guest making none) / $ITERS."
