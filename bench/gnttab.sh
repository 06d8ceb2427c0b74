#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench, grant tables: boot tests/guests/grants with its dom0 test
# service once per measure (--cmdline "bench=NAME ...", pvctl run --stats),
# and tests/guests/gntmap for the guest's own map + unmap (no service),
# and print one Markdown table: time and MB/s per 4 KiB operation, and
# exits per operation (the run's exits minus those of a boot that
# measures nothing, console_io left out, as bench/run.sh counts them).
# Environment: BUILD (build), BENCH_ITERS (2000), BENCH_TIMEOUT (120 s).

BUILD=${BUILD:-build}
PVCTL=${PVCTL:-$BUILD/pvctl}
ELF=$BUILD/guests/grants.elf
MAP_ELF=$BUILD/guests/gntmap.elf
ITERS=${BENCH_ITERS:-2000}
TIMEOUT=${BENCH_TIMEOUT:-120}

if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	echo "bench gnttab: /dev/kvm not available: no figures (nothing was measured)"
	exit 0
fi
for f in "$PVCTL" "$ELF" "$MAP_ELF"; do
	if [ ! -f "$f" ]; then
		echo "bench gnttab: $f not built (make build/pvctl guests)" >&2
		exit 1
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pvisor-bench-gnt.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

tsc_khz=$("$PVCTL" info 2>/dev/null | sed -n 's/^tsc_khz *: *//p' | head -n 1)

run() {
	timeout --kill-after=5 "$TIMEOUT" "$PVCTL" run --kernel "$ELF" \
		--memory 32 --stats --test-service grants \
		--cmdline "bench=$1 tsc_khz=$tsc_khz iters=$ITERS" \
		>"$tmp/$1.out" 2>"$tmp/$1.err" </dev/null
	rc=$?
	if [ "$rc" -ne 0 ] || ! grep -q '^PASS grants$' "$tmp/$1.out"; then
		echo "bench gnttab: run bench=$1 failed (exit status $rc):" >&2
		tail -n 20 "$tmp/$1.out" "$tmp/$1.err" | sed 's/^/    /' >&2
		exit 1
	fi
}
# The same for the gntmap kernel: runs named map-NAME.
run_map() {
	timeout --kill-after=5 "$TIMEOUT" "$PVCTL" run --kernel "$MAP_ELF" \
		--memory 32 --stats \
		--cmdline "bench=$1 tsc_khz=$tsc_khz iters=$ITERS" \
		>"$tmp/map-$1.out" 2>"$tmp/map-$1.err" </dev/null
	rc=$?
	if [ "$rc" -ne 0 ] || ! grep -q '^PASS gntmap$' "$tmp/map-$1.out"; then
		echo "bench gnttab: gntmap bench=$1 failed (exit status $rc):" >&2
		tail -n 20 "$tmp/map-$1.out" "$tmp/map-$1.err" | sed 's/^/    /' >&2
		exit 1
	fi
}
exits_of() {
	awk '/^exits [0-9]+:/ { e = $2 + 0 }
	     $1 == "hypercall" && $2 == "console_io" { c = $3 }
	     END { print e - c }' "$tmp/$1.err"
}

run none
base=$(exits_of none)

echo
echo "### grant tables (iters=$ITERS, tsc_khz=$tsc_khz)"
echo
echo "| measure | µs/op | MB/s | exits/op |"
echo "|---|---:|---:|---:|"
run_map none
map_base=$(exits_of map-none)
for m in dom0 copy16 copy1 map-map; do
	case $m in
	map-*)	run_map "${m#map-}"; b=$map_base ;;
	*)	run "$m"; b=$base ;;
	esac
	exits=$(exits_of "$m")
	# The dom0 run holds two measures; the service's work never leaves
	# the VM, so its exits are the guest's waiting (none) either way.
	grep '^BENCH ' "$tmp/$m.out" | awk -v exits="$exits" -v base="$b" '
	{
		for (i = 3; i <= NF; i++) {
			split($i, kv, "=")
			v[kv[1]] = kv[2]
		}
		desc["gnttab_dom0_copy_4k"] = "dom0 service copies 4 KiB from a grant (cache-hot, 16 pages)"
		desc["gnttab_dom0_map_unmap"] = "dom0 service maps + unmaps a grant (mmap/munmap)"
		desc["gnttab_op_copy_4k_batch16"] = "guest GNTTABOP_copy 4 KiB, 16 ops per hypercall"
		desc["gnttab_op_copy_4k_single"] = "guest GNTTABOP_copy 4 KiB, 1 op per hypercall"
		desc["gnttab_op_map_unmap"] = "guest map_grant_ref (host map) + unmap_grant_ref of its own grant"
		d = ($2 in desc) ? desc[$2] : $2
		epo = (exits - base) / v["ops"]
		mbps = v["bytes_per_op"] > 0 ? v["MBps"] : "-"
		printf "| %s | %.2f | %s | %.3f |\n", d, v["ns_per_op"] / 1000, mbps, epo
	}'
done
echo
echo "exits/op: (exits of the run - exits of a boot of the same kernel that"
echo "measures nothing: $base grants, $map_base gntmap) / ops, console_io excluded. dom0 figures are measured by the"
echo "service with CLOCK_MONOTONIC while the guest waits without exiting."
