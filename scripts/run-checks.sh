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
	{ make -s --no-print-directory "$t" 2>&3; echo $? > "$rcf"; } 3>&2 | tee -a "$out"
	rc=$(cat "$rcf")
	echo "== $t: exit $rc, $(( $(date +%s) - t0 ))s"
	[ "$rc" = 0 ] || status=1
done
pass=$(grep -c '^PASS: ' "$out")
fail=$(grep -c '^FAIL: ' "$out")
skip=$(grep -c '^SKIP: ' "$out")
echo
grep '^FAIL: ' "$out" || true
grep '^SKIP: ' "$out" || true
echo "make check took $(( $(date +%s) - start ))s"
[ "$status" -ne 0 ] && [ "$fail" -eq 0 ] && echo "a check target failed without a FAIL line (see above)"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$status" -eq 0 ] && [ "$pass" -gt 0 ]
