#!/bin/sh
# Run each `make check` target, collect the PASS:/FAIL:/SKIP: lines the
# harnesses print, and end with one summary line.
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
for t in "$@"; do
	echo "== $t"
	make -s --no-print-directory "$t" 2>&1 | tee -a "$out" || status=1
done
pass=$(grep -c '^PASS: ' "$out")
fail=$(grep -c '^FAIL: ' "$out")
skip=$(grep -c '^SKIP: ' "$out")
echo
grep '^FAIL: ' "$out" || true
grep '^SKIP: ' "$out" || true
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$status" -eq 0 ] && [ "$pass" -gt 0 ]
