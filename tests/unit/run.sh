#!/bin/sh
# Run each cmocka test binary; one PASS:/FAIL: line per binary.
rc=0
for t in "$@"; do
	name=$(basename "$t")
	if out=$("$t" 2>&1); then
		echo "$out" | grep -E '^\[  (PASSED|FAILED) ' | sed "s/^/  $name: /"
		echo "PASS: unit/$name"
	else
		echo "$out" | tail -40
		echo "FAIL: unit/$name"
		rc=1
	fi
done
exit $rc
