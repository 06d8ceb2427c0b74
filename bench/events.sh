#!/bin/sh
# SPDX-License-Identifier: MIT
# Event-channel latency: vCPU <-> vCPU IPIs (tests/guests/smp, 2 vCPUs)
# and guest <-> dom0 service round trips (tests/guests/dom0events with
# pvctl run's echo service). The guests time themselves with rdtsc and
# print BENCH lines; exits come from --stats for the whole run, divided
# by the round trips it made (setup included, so an upper bound).
BUILD=${BUILD:-build}
PVCTL=$BUILD/pvctl

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
