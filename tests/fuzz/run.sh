#!/bin/sh
# SPDX-License-Identifier: MIT
# Run each libFuzzer target for a bounded time; PASS:/FAIL: per target.
# usage: run.sh SECONDS BUILD_DIR NAME...
secs=$1 build=$2
shift 2
rc=0
for f in "$@"; do
	corpus=$build/fuzz/corpus-$f
	seeds=tests/fuzz/seeds/${f#fuzz_}
	mkdir -p "$corpus"
	log=$build/fuzz/$f.log
	if "$build/fuzz/$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$build/fuzz/$f-" "$corpus" "$seeds" >"$log" 2>&1; then
		echo "PASS: fuzz/$f ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" |
			grep -o '[0-9]*$' || echo '?') runs in ${secs}s)"
	else
		tail -40 "$log"
		echo "FAIL: fuzz/$f (crash input: $build/fuzz/$f-*; log $log)"
		rc=1
	fi
done
exit $rc
