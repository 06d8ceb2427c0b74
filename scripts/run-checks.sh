#!/bin/sh
# Run each `make check` target, collect the PASS:/FAIL:/SKIP: lines the
# harnesses print on stdout, and end with one summary line. stderr (the
# live log of tests run in the nested VM) is shown but not counted: a
# test's verdict counts once, from the attempt that finished.
out=$(mktemp)
rcf=$(mktemp)
trap 'rm -f "$out" "$rcf"' EXIT
status=0
sh scripts/kvm-platform.sh "${BUILD:-build}/pvctl"
start=$(date +%s)
for t in "$@"; do
	echo "== $t"
	t0=$(date +%s)
	before=$(grep -c '^FAIL: ' "$out")
	{ make -s --no-print-directory "$t" 2>&3; echo $? > "$rcf"; } 3>&2 | tee -a "$out"
	rc=$(cat "$rcf")
	echo "== $t: exit $rc, $(( $(date +%s) - t0 ))s"
	if [ "$rc" != 0 ]; then
		status=1
		# A target that broke before its tests could say so still fails.
		[ "$(grep -c '^FAIL: ' "$out")" = "$before" ] &&
			echo "FAIL: make/$t: exit status $rc (no test verdict: see above)" | tee -a "$out"
	fi
done
pass=$(grep -c '^PASS: ' "$out")
fail=$(grep -c '^FAIL: ' "$out")
skip=$(grep -c '^SKIP: ' "$out")
echo
grep '^FAIL: ' "$out" || true
grep '^SKIP: ' "$out" || true
echo "make check took $(( $(date +%s) - start ))s"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$status" -eq 0 ] && [ "$pass" -gt 0 ]
