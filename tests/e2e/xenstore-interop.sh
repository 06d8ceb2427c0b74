#!/bin/sh
# SPDX-License-Identifier: MIT
# Debian's own xenstore tools (xenstore-utils) against pvxenstored, found
# through libxenstore's XENSTORED_PATH; then raw xs_wire checks.
# usage: xenstore-interop.sh PVXENSTORED
bin=${1:-build/pvxenstored}
here=$(dirname "$0")
dir=$(mktemp -d /tmp/pvxs-e2e.XXXXXX)
sock=$dir/socket
rc=0
pass() { echo "PASS: xenstore/$1"; }
fail() { echo "FAIL: xenstore/$1${2:+: $2}"; rc=1; }

for t in xenstore-read xenstore-write xenstore-ls xenstore-rm xenstore-watch \
	 xenstore-list xenstore-chmod xenstore-exists; do
	if ! command -v $t >/dev/null 2>&1; then
		fail tools "$t missing: install xenstore-utils (make deps)"
		exit 1
	fi
done

"$bin" -s "$sock" 2>"$dir/log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
i=0
while [ ! -S "$sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$sock" ] || { fail start "no socket at $sock"; cat "$dir/log"; exit 1; }
export XENSTORED_PATH="$sock"

# read / write
if xenstore-write /vm/a/b hello /vm/a/c "two words" &&
   [ "$(xenstore-read /vm/a/b)" = hello ] &&
   [ "$(xenstore-read /vm/a/c)" = "two words" ]; then pass read-write
else fail read-write; fi

# ls: nested listing with values
out=$(xenstore-ls /vm)
exp='a = ""
 b = "hello"
 c = "two words"'
if [ "$out" = "$exp" ]; then pass ls; else fail ls "got: $out"; fi

# list: child names only
if [ "$(xenstore-list /vm/a | tr '\n' ' ')" = "b c " ]; then pass list
else fail list "$(xenstore-list /vm/a)"; fi

# rm: gone, parent stays; missing node with a parent is fine
if xenstore-rm /vm/a/b && ! xenstore-exists /vm/a/b 2>/dev/null &&
   xenstore-exists /vm/a && xenstore-rm /vm/a/nothing; then pass rm
else fail rm; fi

# missing nodes are errors
if ! xenstore-read /vm/none 2>/dev/null; then pass read-missing
else fail read-missing; fi

# permissions: owner and ACL round-trip through chmod and ls -p
if xenstore-chmod /vm/a/c n5 r7 &&
   xenstore-ls -p /vm/a | grep -q '(n5,r7)'; then pass perms
else fail perms "$(xenstore-ls -p /vm/a)"; fi

# relative paths from dom0 resolve under /local/domain/0
if xenstore-write rel/x 1 && [ "$(xenstore-read /local/domain/0/rel/x)" = 1 ]
then pass relative; else fail relative; fi

# watch: the immediate event, then one for a write below the path
xenstore-watch -n 3 /vm/w >"$dir/watch" 2>&1 &
wpid=$!
sleep 0.3
xenstore-write /vm/w/x 1
xenstore-write /vm/w/y/z 2
i=0
while kill -0 $wpid 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill $wpid 2>/dev/null
wout=$(tr '\n' ' ' <"$dir/watch")
if [ "$wout" = "/vm/w /vm/w/x /vm/w/y/z " ]; then pass watch
else fail watch "got: $wout"; fi

# oversized values are refused and the daemon lives on
big=$(head -c 5000 /dev/zero | tr '\0' x)
if ! xenstore-write /vm/big "$big" 2>/dev/null &&
   [ "$(xenstore-read /vm/a/c)" = "two words" ]; then pass oversized
else fail oversized; fi

python3 "$here/xs_raw.py" "$sock" || rc=1

kill -0 $pid 2>/dev/null || { fail alive "daemon died"; cat "$dir/log"; }
exit $rc
