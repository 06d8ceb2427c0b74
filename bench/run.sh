#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench: boot the bench guest (tests/guests/bench) once per measure
# with --stats and print one Markdown table: µs per operation (guest
# rdtsc), exits per operation (pvctl's exit counters, minus a baseline
# boot that measures nothing), and the ratio to the raw KVM exit round
# trip that `pvctl info` measures with a bare VM just before.
# Environment: BUILD (build), BENCH_ITERS (2000), BENCH_TIMEOUT (120 s).

BUILD=${BUILD:-build}
PVCTL=${PVCTL:-$BUILD/pvctl}
ELF=$BUILD/guests/bench.elf
ITERS=${BENCH_ITERS:-2000}
TIMEOUT=${BENCH_TIMEOUT:-120}
MEMORY=32

echo "## pvisor bench, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo

if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	echo "bench: /dev/kvm not available: no figures (nothing was measured)"
	exit 0
fi
for f in "$PVCTL" "$ELF"; do
	if [ ! -f "$f" ]; then
		echo "bench: $f not built (make build/pvctl guests)" >&2
		exit 1
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pvisor-bench.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# ---- host -------------------------------------------------------------
if ! "$PVCTL" info >"$tmp/info" 2>&1; then
	echo "bench: pvctl info failed:" >&2
	sed 's/^/    /' "$tmp/info" >&2
	exit 1
fi
field() { sed -n "s/^$1 *: *//p" "$tmp/info" | head -n 1; }
kvm_module=$(field kvm_module)
platform=$(field platform)
exit_us=$(field exit_roundtrip_us)
tsc_khz=$(field tsc_khz)
cpu=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo 2>/dev/null | head -n 1)

echo "host: $(uname -sr), ${cpu:-unknown CPU}"
echo "platform: $platform"
if [ "${PVISOR_VM:-0}" = 1 ]; then
	echo "(in the nested-KVM test VM under QEMU TCG: times are the emulator's and"
	echo " mean nothing; exits per operation are what pvisor does on any AMD-V host)"
fi
echo "kvm_module=$kvm_module exit_roundtrip_us=$exit_us tsc_khz=$tsc_khz" \
     "iters=$ITERS"
echo

# ---- runs ---------------------------------------------------------------
# run NAME: boot the guest with only=NAME; console in $tmp/NAME.out,
# stats in $tmp/NAME.err.  Fails loudly on anything but PASS.
run() {
	timeout --kill-after=5 "$TIMEOUT" "$PVCTL" run --kernel "$ELF" \
		--memory "$MEMORY" --stats \
		--cmdline "tsc_khz=$tsc_khz iters=$ITERS only=$1" \
		>"$tmp/$1.out" 2>"$tmp/$1.err" </dev/null
	rc=$?
	if [ "$rc" -ne 0 ] || ! grep -q '^PASS bench$' "$tmp/$1.out"; then
		echo "bench: guest run only=$1 failed (exit status $rc):" >&2
		tail -n 20 "$tmp/$1.out" "$tmp/$1.err" | sed 's/^/    /' >&2
		exit 1
	fi
}
# Exits of a run, not counting console_io hypercalls (the guest's own
# printing, which differs between runs by a line or two).
exits_of() {
	awk '/^exits [0-9]+:/ { e = $2 + 0 }
	     $1 == "hypercall" && $2 == "console_io" { c = $3 }
	     END { print e - c }' "$tmp/$1.err"
}

run none
base=$(exits_of none)

echo "| measure | µs/op | exits/op | × raw KVM exit ($exit_us µs) |"
echo "|---|---:|---:|---:|"
for m in null multicall int3 pf; do
	run "$m"
	line=$(grep '^BENCH ' "$tmp/$m.out" | head -n 1)
	exits=$(exits_of "$m")
	echo "$line" | awk -v exits="$exits" -v base="$base" -v raw="$exit_us" '
	{
		name = $2
		for (i = 3; i <= NF; i++) {
			split($i, kv, "=")
			v[kv[1]] = kv[2]
		}
		desc["null_hypercall"]  = "null hypercall (xen_version)"
		desc["multicall_entry"] = "multicall, per entry (batch of 32)"
		desc["trap_int3"]       = "int3 bounce + iret (#BP)"
		desc["trap_pf"]         = "#PF bounce + iret"
		d = (name in desc) ? desc[name] : name
		epo = (exits - base) / v["ops"]
		if (v["us_per_op"] == "?" || raw + 0 <= 0)
			printf "| %s | %s | %.3f | ? |\n", d, v["us_per_op"], epo
		else
			printf "| %s | %.2f | %.3f | %.2f |\n", d, v["us_per_op"],
			       epo, v["us_per_op"] / raw
	}'
done
echo
echo "µs/op: guest rdtsc over $ITERS iterations. exits/op: (exits of the run"
echo "- $base exits of a boot that measures nothing) / ops; console_io exits"
echo "(the guest's own output) are left out of both."
