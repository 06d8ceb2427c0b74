#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench, the stock Debian kernel (make linux-guest) as a PV, a PVH
# and an HVM guest, side by side:
#  1. boot: `pvctl create` to the first userspace line on the console
#     ("pvisor-initramfs: userspace reached"), median of BOOTS boots under
#     pvisord, and the exits of one such boot by kind (`pvctl run --stats`,
#     cmdline pvisor.exit: the guest powers off right after userspace).
#  2. the same kernel and initramfs under QEMU with software emulation
#     (qemu-system-x86_64 -accel tcg), time to the same line.
#  3. bench/pvbench (null syscall, fork+exec, CPU loop, page faults,
#     memcpy, null hypercall) in the guest on
#     pvisor, in the guest on QEMU TCG and natively on the host; exits per
#     operation on pvisor from `pvctl run --stats` runs that do one measure
#     each, minus a run that starts pvbench and measures nothing.
# PVH and HVM cost BOOTS + 3 boots each: the last timed boot also runs
# pvbench (the boot time is taken before pvbench starts), and the exits
# of one boot are those of the baseline run (boot, pvbench doing
# nothing, poweroff). If PVH or HVM cannot run (a PVM host; PVH without
# CONFIG_KVM_XEN in the host's KVM, docs/pvh.md), its columns say "–"
# and one line says why; the PV figures and the exit status do not
# depend on them.
# The initramfs used is build/linux/initrd.img with a second cpio
# (bin/pvbench) appended, the same file for pvisor and QEMU.
# Environment: BUILD (build), LINUX_BENCH_BOOTS (3), BENCH_TIMEOUT (300 s),
# QEMU (qemu-system-x86_64).

BUILD=${BUILD:-build}
TOP=$(pwd)
case "$BUILD" in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
PVCTL=$BUILD/pvctl
PVISORD=$BUILD/pvisord
KERNEL=$BUILD/linux/vmlinuz
INITRD=$BUILD/linux/initrd.img
PVBENCH=$BUILD/bench/pvbench
QEMU=${QEMU:-qemu-system-x86_64}
BOOTS=${LINUX_BENCH_BOOTS:-3}
TIMEOUT=${BENCH_TIMEOUT:-300}
MEMORY=256
LINE="pvisor-initramfs: userspace reached"
# Loop counts: in a guest (pvisor and QEMU) and natively (the CPU loop
# is the same everywhere: its time is the figure).
G_SYS=20000 G_FORK=100 CPU=300000000 G_FAULT=4096 G_COPY=1024 G_HC=5000
H_SYS=2000000 H_FORK=1000 H_FAULT=100000 H_COPY=4096
# Every pvbench run in a guest: all the loops. The null hypercall is
# the difference of two sysfs reads, one that makes a xen_version
# hypercall and one that makes none (pvbench.c: hcall): without privcmd
# (a module this initramfs does not load) a guest's userspace has no
# more direct way to make one. Its exits/op: the hcall run (G_HC reads
# of each) less a run of 2 * G_HC plain reads.
G_ALL="pvbench pvbench.syscall=$G_SYS pvbench.fork=$G_FORK pvbench.cpu=$CPU pvbench.fault=$G_FAULT pvbench.memcpy=$G_COPY pvbench.hcall=$G_HC"
# PVH's and HVM's exits/op run for fork: more loops, as each byte of the
# result line on the serial port is an exit; fork is cheap there.
HV_FORK=1000
PV_CMDLINE="console=hvc0 nr_cpus=1"
PVH_CMDLINE="console=hvc0 nr_cpus=1"
HVM_CMDLINE="console=ttyS0 nr_cpus=1"

echo
echo "### Linux guest: boot, system calls, fork+exec, CPU, page faults, memcpy"
echo
echo "Produced by \`make bench\` (bench/linux.sh, $(date -u '+%Y-%m-%d %H:%M UTC'))."
echo

for f in "$PVCTL" "$PVISORD" "$KERNEL" "$INITRD" "$PVBENCH"; do
	if [ ! -f "$f" ]; then
		echo "bench linux: $f not built (make pvisor linux-guest $BUILD/bench/pvbench)" >&2
		exit 1
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pvisor-bench-linux.XXXXXX") || exit 1
DPID=
cleanup() {
	[ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "bench linux: $1" >&2
	[ -n "${2:-}" ] && [ -f "$2" ] && tail -n 20 "$2" | sed 's/^/    /' >&2
	exit 1
}
now_ns() { date +%s%N; }
# wait_for FILE PATTERN SECONDS: PATTERN appears in FILE (polls every 10 ms)
wait_for() {
	end=$(( $(date +%s) + $3 ))
	while [ "$(date +%s)" -lt "$end" ]; do
		grep -aq "$2" "$1" 2>/dev/null && return 0
		sleep 0.01
	done
	return 1
}
# PVH and HVM failures do not stop the bench: they only drop their figures.
pvh=0 pvh_why= hvm=0 hvm_why=
hw_skip() {	# TYPE WHY [FILE]: the first WHY is reported; FILE's tail on stderr
	eval "[ -n \"\$${1}_why\" ] || ${1}_why=\$2"
	echo "bench linux: $(echo "$1" | tr a-z A-Z) not measured: $2" >&2
	[ -n "${3:-}" ] && [ -f "$3" ] && tail -n 20 "$3" | sed 's/^/    /' >&2
	return 1
}
hw_why() { eval "echo \"\$${1}_why\""; }
# first_err FILE FALLBACK: pvctl's own error line in FILE (the hypervisor
# may log before it), else FALLBACK
first_err() {
	l=$(tr -d '\r' < "$1" | grep '^pvctl' | head -n 1)
	echo "${l:-$2}"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# PVBENCH lines: value of key K for measure M in file F
pvb() { tr -d '\r' < "$3" | awk -v m="$1" -v k="$2" '
	$1 == "PVBENCH" && $2 == m { for (i = 3; i <= NF; i++) {
		split($i, kv, "="); if (kv[1] == k) print kv[2] } }' | head -n 1; }

# The initramfs with /bin/pvbench: a second (gzip'd cpio) archive appended.
mkdir -p "$tmp/extra/bin"
cp "$PVBENCH" "$tmp/extra/bin/pvbench"
cp "$INITRD" "$tmp/initrd.img"
python3 "$TOP/guests/linux/mkcpio.py" "$tmp/extra" | gzip -9n >> "$tmp/initrd.img" ||
	fail "cannot build the pvbench initramfs"
BINITRD=$tmp/initrd.img
kver=$(cat "$BUILD/linux/version" 2>/dev/null || cat "$BUILD/linux/kernel-version")

have_kvm=1
[ -r /dev/kvm ] && [ -w /dev/kvm ] || have_kvm=0
have_qemu=1
command -v "$QEMU" >/dev/null 2>&1 || have_qemu=0
# In the nested-KVM VM, QEMU TCG would be an emulator inside an emulator.
[ "${PVISOR_VM:-0}" = 1 ] && have_qemu=0

# ---- native ----------------------------------------------------------
"$PVBENCH" syscall="$H_SYS" fork="$H_FORK" cpu="$CPU" fault="$H_FAULT" \
	memcpy="$H_COPY" > "$tmp/native.out" ||
	fail "pvbench failed natively" "$tmp/native.out"

# ---- pvisor: boots and pvbench under pvisord ---------------------------
if [ "$have_kvm" = 1 ]; then
	D=$tmp/d
	mkdir -p "$D"
	export PVISOR_SOCKET="$D/pvisord.sock" XENSTORED_PATH="$D/xs.sock"
	"$PVISORD" --foreground --socket "$PVISOR_SOCKET" --log "$D/pvisord.log" \
		--console-dir "$D" --xenstore-socket "$XENSTORED_PATH" \
		>"$D/stderr" 2>&1 &
	DPID=$!
	for i in $(seq 50); do [ -S "$PVISOR_SOCKET" ] && break; sleep 0.1; done
	[ -S "$PVISOR_SOCKET" ] || fail "pvisord did not start" "$D/stderr"
	create() {	# NAME CMDLINE
		"$PVCTL" create name="$1" kernel="$KERNEL" ramdisk="$BINITRD" \
			memory="$MEMORY" vcpus=1 cmdline="$2" \
			on_poweroff=destroy on_crash=preserve >/dev/null ||
			fail "pvctl create $1 failed" "$D/pvisord.log"
	}
	for i in $(seq "$BOOTS"); do
		t0=$(now_ns)
		create "boot$i" "$PV_CMDLINE pvisor.exit"
		wait_for "$D/boot$i.log" "$LINE" "$TIMEOUT" ||
			fail "boot$i: no userspace within ${TIMEOUT}s" "$D/boot$i.log"
		echo $(( ($(now_ns) - t0) / 1000000 )) >> "$tmp/pv_boot_ms"
		wait_for "$D/boot$i.log" "powering off" 30
		"$PVCTL" destroy "boot$i" >/dev/null 2>&1
	done
	create pvbench "$PV_CMDLINE $G_ALL"
	wait_for "$D/pvbench.log" "PVBENCH done" "$TIMEOUT" ||
		fail "pvbench in the guest did not finish" "$D/pvbench.log"
	cp "$D/pvbench.log" "$tmp/pv.out"
	"$PVCTL" destroy pvbench >/dev/null 2>&1

	# ---- PVH and HVM boots under the same pvisord ----------------------
	hcreate() {	# TYPE NAME CMDLINE
		"$PVCTL" create name="$2" type="$1" kernel="$KERNEL" \
			ramdisk="$BINITRD" memory="$MEMORY" vcpus=1 cmdline="$3" \
			on_poweroff=destroy on_crash=preserve \
			>/dev/null 2>"$tmp/hcreate.err" ||
			hw_skip "$1" "$(first_err "$tmp/hcreate.err" "pvctl create $2 failed")"
	}
	hboots() {	# TYPE CMDLINE: boot times in $tmp/TYPE_boot_ms, pvbench's in $tmp/TYPE.out
		for i in $(seq "$BOOTS"); do
			c=pvisor.exit stop="powering off" secs=30
			# The last boot then runs pvbench: one boot less.
			[ "$i" = "$BOOTS" ] && stop="PVBENCH done" secs=$TIMEOUT \
				c="$G_ALL"
			t0=$(now_ns)
			hcreate "$1" "$1boot$i" "$2 $c" || break
			if ! wait_for "$D/$1boot$i.log" "$LINE" "$TIMEOUT"; then
				hw_skip "$1" "boot $i: no userspace within ${TIMEOUT}s" "$D/$1boot$i.log"
				"$PVCTL" destroy "$1boot$i" >/dev/null 2>&1
				break
			fi
			echo $(( ($(now_ns) - t0) / 1000000 )) >> "$tmp/$1_boot_ms"
			wait_for "$D/$1boot$i.log" "$stop" "$secs"
			cp "$D/$1boot$i.log" "$tmp/$1.out"	# the last: pvbench's
			"$PVCTL" destroy "$1boot$i" >/dev/null 2>&1
		done
		[ -n "$(hw_why "$1")" ] || grep -aq "PVBENCH done" "$tmp/$1.out" ||
			hw_skip "$1" "pvbench in the guest did not finish" "$tmp/$1.out"
	}
	hboots pvh "$PVH_CMDLINE"
	hboots hvm "$HVM_CMDLINE"
	kill -TERM "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	DPID=

	# ---- pvisor: exit counters (pvctl run --stats) ---------------------
	stats() {	# NAME CMDLINE: counters in $tmp/NAME.err
		timeout --kill-after=5 "$TIMEOUT" "$PVCTL" run --kernel "$KERNEL" \
			--ramdisk "$BINITRD" --memory "$MEMORY" --stats \
			--cmdline "$PV_CMDLINE $2" \
			>"$tmp/$1.out" 2>"$tmp/$1.err" </dev/null ||
			fail "pvctl run $2: exit status $?" "$tmp/$1.err"
	}
	stats boot "pvisor.exit"
	stats none "pvbench pvbench.syscall=0 pvbench.fork=0 pvbench.cpu=0"
	stats sys "pvbench pvbench.syscall=$G_SYS pvbench.fork=0 pvbench.cpu=0"
	stats fork "pvbench pvbench.syscall=0 pvbench.fork=$G_FORK pvbench.cpu=0"
	stats fault "pvbench pvbench.syscall=0 pvbench.fork=0 pvbench.cpu=0 pvbench.fault=$G_FAULT"
	stats sysfs "pvbench pvbench.syscall=0 pvbench.fork=0 pvbench.cpu=0 pvbench.sysfs=$((2 * G_HC))"
	stats hcall "pvbench pvbench.syscall=0 pvbench.fork=0 pvbench.cpu=0 pvbench.hcall=$G_HC"

	# ---- PVH, HVM: exit counters (the baseline run is also the boot's) --
	hstats() {	# TYPE NAME CMDLINE: as stats; a failure skips TYPE
		[ -z "$(hw_why "$1")" ] || return 1
		eval "cl=\$$(echo "$1" | tr a-z A-Z)_CMDLINE"
		timeout --kill-after=5 "$TIMEOUT" "$PVCTL" run --type "$1" \
			--kernel "$KERNEL" --ramdisk "$BINITRD" --memory "$MEMORY" \
			--stats --cmdline "$cl $3" \
			>"$tmp/$2.out" 2>"$tmp/$2.err" </dev/null
		rc=$?
		case $rc in
		0)	grep -aq "PVBENCH done" "$tmp/$2.out" ||
				hw_skip "$1" "pvctl run --type $1 ($2): pvbench did not finish" "$tmp/$2.out" ;;
		124|137) hw_skip "$1" "pvctl run --type $1 ($2): not done within ${TIMEOUT}s" "$tmp/$2.out" ;;
		*)	hw_skip "$1" "$(first_err "$tmp/$2.err" "pvctl run --type $1 ($2): exit status $rc")" "$tmp/$2.err" ;;
		esac
	}
	for t in pvh hvm; do
		hstats $t ${t}none "pvbench pvbench.syscall=0 pvbench.fork=0 pvbench.cpu=0"
		hstats $t ${t}sys "pvbench pvbench.syscall=$G_SYS pvbench.fork=0 pvbench.cpu=0"
		hstats $t ${t}fork "pvbench pvbench.syscall=0 pvbench.fork=$HV_FORK pvbench.cpu=0"
		hstats $t ${t}fault "pvbench pvbench.syscall=0 pvbench.fork=0 pvbench.cpu=0 pvbench.fault=$G_FAULT"
		hstats $t ${t}sysfs "pvbench pvbench.syscall=0 pvbench.fork=0 pvbench.cpu=0 pvbench.sysfs=$((2 * G_HC))"
		hstats $t ${t}hcall "pvbench pvbench.syscall=0 pvbench.fork=0 pvbench.cpu=0 pvbench.hcall=$G_HC"
		[ -n "$(hw_why $t)" ] || eval "$t=1"
	done
fi

# ---- QEMU TCG ----------------------------------------------------------
qemu() {	# NAME APPEND: console in $tmp/NAME.q; sets q_ms (time to $LINE)
	t0=$(now_ns)
	timeout --kill-after=5 "$TIMEOUT" "$QEMU" -accel tcg -m "$MEMORY" \
		-kernel "$KERNEL" -initrd "$BINITRD" -append "$2" \
		-nographic -no-reboot >"$tmp/$1.q" 2>&1 </dev/null &
	qpid=$!
	wait_for "$tmp/$1.q" "$LINE" "$TIMEOUT" ||
		{ kill "$qpid" 2>/dev/null; fail "QEMU $1: no userspace within ${TIMEOUT}s" "$tmp/$1.q"; }
	q_ms=$(( ($(now_ns) - t0) / 1000000 ))
	wait "$qpid"
}
if [ "$have_qemu" = 1 ]; then
	for i in $(seq "$BOOTS"); do
		qemu "boot$i" "console=ttyS0 pvisor.exit"
		echo "$q_ms" >> "$tmp/q_boot_ms"
	done
	qemu pvbench "console=ttyS0 $G_ALL"
	grep -aq "PVBENCH done" "$tmp/pvbench.q" || fail "pvbench under QEMU did not finish" "$tmp/pvbench.q"
	cp "$tmp/pvbench.q" "$tmp/q.out"
fi

# ---- the table ---------------------------------------------------------
# Counters of a --stats run as "key value" lines.
counters() {
	awk '/^exits [0-9]+:/ { print "exits", $2 + 0
		for (i = 3; i < NF; i += 2) print $i, $(i + 1) }
	     /page tables:/ { gsub(",", ""); print "pt-writer-runs", $5 }
	     $1 == "hypercall" { print "hc:" $2, $3 }
	     $1 == "trap" { print "trap:" $3, $4 }' "$tmp/$1.err"
}
# per_op RUN N BASE SKIP: "exits/op (largest kinds per op)" of RUN minus
# run BASE, kinds SKIP left out (on PV, emulated is in #GP and #UD already)
per_op() {
	counters "$3" > "$tmp/c.$3"
	counters "$1" > "$tmp/c.$1"
	awk -v n="$2" -v skip=" exits $4 " 'FNR == NR { b[$1] = $2; next } { v[$1] = $2 }
	END {
		for (k in b) if (!(k in v)) v[k] = 0
		printf "%.2f", (v["exits"] - b["exits"]) / n
		for (k in v) if (!index(skip, " " k " "))
			print k, (v[k] - b[k]) / n > "/dev/stderr"
	}' "$tmp/c.$3" "$tmp/c.$1" 2>"$tmp/k.$1"
	sort -k2 -g -r "$tmp/k.$1" | awk '$2 >= 0.05 && n < 4 {
		k = $1; sub(/^hc:/, "", k); sub(/^trap:13$/, "#GP", k)
		sub(/^trap:14$/, "#PF", k); sub(/^trap:6$/, "#UD", k)
		sub(/^user-syscalls$/, "syscall bounce", k)
		sub(/^emulated$/, "port I/O+MMIO", k)
		s = s sprintf("%s%s %.2f", n++ ? ", " : "", k, $2) }
		END { if (s != "") printf " (%s)", s }'
}
fmt_t() {	# NS -> "12.3 µs" / "4.56 ms" / "1.23 s"
	awk -v ns="$1" 'BEGIN { if (ns == "") { print "–"; exit }
		if (ns < 1e3) printf "%.0f ns", ns
		else if (ns < 1e6) printf "%.2f µs", ns / 1e3
		else if (ns < 1e9) printf "%.2f ms", ns / 1e6
		else printf "%.2f s", ns / 1e9 }'
}
scale() { [ -n "$1" ] && awk -v v="$1" -v s="$2" 'BEGIN { printf "%.0f", v * s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "–"; else printf "%.2f", a / b }'; }

qver=$("$QEMU" --version 2>/dev/null | head -n 1)
cpu=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo 2>/dev/null | head -n 1)
echo "host: $(uname -sr), ${cpu:-unknown CPU}, $(nproc) CPUs; guest: Debian $kver,"
echo "${MEMORY} MiB, 1 vCPU; pvisor cmdline PV \"$PV_CMDLINE\", PVH \"$PVH_CMDLINE\","
echo "HVM \"$HVM_CMDLINE\"; host KVM's HVM hypercalls: $("$PVCTL" info 2>/dev/null | sed -n 's/^hvm_hypercalls *: *//p');"
echo "QEMU: ${qver:-none}"
echo
[ "$have_kvm" = 1 ] || echo "bench linux: /dev/kvm not available: pvisor columns skipped (nothing was measured on pvisor)"
[ -n "$pvh_why" ] && echo "PVH: not measured: $pvh_why"
[ -n "$hvm_why" ] && echo "HVM: not measured: $hvm_why"
if [ "${PVISOR_VM:-0}" = 1 ]; then
	echo "bench linux: in the nested-KVM VM: QEMU column skipped (TCG inside TCG compares nothing)"
elif [ "$have_qemu" = 0 ]; then
	echo "bench linux: $QEMU not installed (make deps installs qemu-system-x86): QEMU column skipped"
fi
echo

pv_boot='' q_boot='' h_boot='' p_boot='' pv_list=– q_list=– h_list=– p_list=–
if [ "$have_kvm" = 1 ]; then
	pv_boot=$(median < "$tmp/pv_boot_ms")
	pv_list=$(tr '\n' ' ' < "$tmp/pv_boot_ms" | sed 's/ $//')
fi
if [ "$pvh" = 1 ]; then
	p_boot=$(median < "$tmp/pvh_boot_ms")
	p_list=$(tr '\n' ' ' < "$tmp/pvh_boot_ms" | sed 's/ $//')
fi
if [ "$hvm" = 1 ]; then
	h_boot=$(median < "$tmp/hvm_boot_ms")
	h_list=$(tr '\n' ' ' < "$tmp/hvm_boot_ms" | sed 's/ $//')
fi
if [ "$have_qemu" = 1 ]; then
	q_boot=$(median < "$tmp/q_boot_ms")
	q_list=$(tr '\n' ' ' < "$tmp/q_boot_ms" | sed 's/ $//')
fi
row() {	# LABEL MEASURE EXITS-PV EXITS-PVH EXITS-HVM [KEY SCALE]: times are KEY (ns_per_op) * SCALE ns
	pv='' p='' h='' q=''
	k=${6:-ns_per_op} sc=${7:-1}
	[ "$have_kvm" = 1 ] && pv=$(pvb "$2" "$k" "$tmp/pv.out")
	[ "$pvh" = 1 ] && p=$(pvb "$2" "$k" "$tmp/pvh.out")
	[ "$hvm" = 1 ] && h=$(pvb "$2" "$k" "$tmp/hvm.out")
	[ "$have_qemu" = 1 ] && q=$(pvb "$2" "$k" "$tmp/q.out")
	n=$(pvb "$2" "$k" "$tmp/native.out")
	pv=$(scale "$pv" "$sc") p=$(scale "$p" "$sc") h=$(scale "$h" "$sc") q=$(scale "$q" "$sc") n=$(scale "$n" "$sc")
	echo "| $1 | $(fmt_t "$pv") | $(fmt_t "$p") | $(fmt_t "$h") | $(ratio "$p" "$pv") | $(ratio "$h" "$pv") | $(fmt_t "$q") | $(fmt_t "$n") | $(ratio "$pv" "$n") | $3 | $4 | $5 |"
}
# hc_row LABEL EXITS-PV EXITS-PVH EXITS-HVM: the null hypercall, the
# xen_version read less the plain sysfs read, in each column that has both
hc_row() {
	pv='' p='' h=''
	[ "$have_kvm" = 1 ] && pv=$(hc_ns "$tmp/pv.out")
	[ "$pvh" = 1 ] && p=$(hc_ns "$tmp/pvh.out")
	[ "$hvm" = 1 ] && h=$(hc_ns "$tmp/hvm.out")
	echo "| $1 | $(fmt_t "$pv") | $(fmt_t "$p") | $(fmt_t "$h") | $(ratio "$p" "$pv") | $(ratio "$h" "$pv") | – | – | – | $2 | $3 | $4 |"
}
hc_ns() {
	a=$(pvb xen_version ns_per_op "$1") b=$(pvb sysfs ns_per_op "$1")
	[ -n "$a" ] && [ -n "$b" ] && awk -v a="$a" -v b="$b" 'BEGIN { printf "%.0f", a - b }'
}
# hc_exits RUNS-PREFIX SKIP: exits/op of the hcall run less the plain
# read run, "–" where the guest has no /sys/hypervisor
hc_exits() {
	grep -aq "PVBENCH xen_version ops" "$tmp/${1}hcall.out" || { echo –; return; }
	per_op "${1}hcall" "$G_HC" "${1}sysfs" "$2"
}
boot_exits=– sys_exits=– fork_exits=– fault_exits=– rd_exits=– hc_exits=–
p_boot_exits=– p_sys_exits=– p_fork_exits=– p_fault_exits=– p_rd_exits=– p_hc_exits=–
h_boot_exits=– h_sys_exits=– h_fork_exits=– h_fault_exits=– h_rd_exits=– h_hc_exits=–
if [ "$have_kvm" = 1 ]; then
	boot_exits="$(awk '/^exits [0-9]+:/ { print $2 + 0 }' "$tmp/boot.err") per boot"
	sys_exits=$(per_op sys "$G_SYS" none "emulated bounces")
	fork_exits=$(per_op fork "$G_FORK" none "emulated bounces")
	fault_exits=$(per_op fault "$G_FAULT" none "emulated bounces")
	rd_exits=$(per_op sysfs "$((2 * G_HC))" none "emulated bounces")
	hc_exits=$(hc_exits "" "emulated bounces")
fi
if [ "$pvh" = 1 ]; then
	p_boot_exits="$(awk '/^exits [0-9]+:/ { print $2 + 0 }' "$tmp/pvhnone.err") per boot"
	p_sys_exits=$(per_op pvhsys "$G_SYS" pvhnone bounces)
	p_fork_exits=$(per_op pvhfork "$HV_FORK" pvhnone bounces)
	p_fault_exits=$(per_op pvhfault "$G_FAULT" pvhnone bounces)
	p_rd_exits=$(per_op pvhsysfs "$((2 * G_HC))" pvhnone bounces)
	p_hc_exits=$(hc_exits pvh bounces)
fi
if [ "$hvm" = 1 ]; then
	h_boot_exits="$(awk '/^exits [0-9]+:/ { print $2 + 0 }' "$tmp/hvmnone.err") per boot"
	h_sys_exits=$(per_op hvmsys "$G_SYS" hvmnone bounces)
	h_fork_exits=$(per_op hvmfork "$HV_FORK" hvmnone bounces)
	h_fault_exits=$(per_op hvmfault "$G_FAULT" hvmnone bounces)
	h_rd_exits=$(per_op hvmsysfs "$((2 * G_HC))" hvmnone bounces)
	h_hc_exits=$(hc_exits hvm bounces)
fi

echo "| measure | pvisor (PV) | pvisor (PVH) | pvisor (HVM) | PVH ÷ PV | HVM ÷ PV | QEMU TCG | native host | PV ÷ native | exits/op PV | exits/op PVH | exits/op HVM |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|"
echo "| boot to first userspace line, median of $BOOTS | $(fmt_t "${pv_boot:+${pv_boot}000000}") | $(fmt_t "${p_boot:+${p_boot}000000}") | $(fmt_t "${h_boot:+${h_boot}000000}") | $(ratio "$p_boot" "$pv_boot") | $(ratio "$h_boot" "$pv_boot") | $(fmt_t "${q_boot:+${q_boot}000000}") | – | – | $boot_exits | $p_boot_exits | $h_boot_exits |"
row "null syscall (getppid)" syscall "$sys_exits" "$p_sys_exits" "$h_sys_exits"
row "fork + exec + wait (static pvbench)" fork_exec "$fork_exits" "$p_fork_exits" "$h_fork_exits"
row "CPU loop, $CPU xorshift steps (whole loop)" cpu "– (no syscalls: timer ticks only)" – – total_ms 1000000
row "page fault (first write to an anonymous 4 KiB page)" fault "$fault_exits" "$p_fault_exits" "$h_fault_exits"
row "memcpy, per MiB (16 MiB buffers)" memcpy "– (no syscalls)" – –
row "sysfs read, no hypercall (/sys/hypervisor/type)" sysfs "$rd_exits" "$p_rd_exits" "$h_rd_exits"
row "sysfs read with a xen_version hypercall (…/version/major)" xen_version "– (the row above + the one below)" – –
hc_row "null hypercall (xen_version: the second read less the first)" "$hc_exits" "$p_hc_exits" "$h_hc_exits"
echo
echo "Boots (ms): pvisor PV $pv_list; PVH $p_list; HVM $h_list; QEMU $q_list. Loops:"
echo "guest syscall=$G_SYS fork=$G_FORK fault=$G_FAULT memcpy=$G_COPY MiB sysfs reads=$G_HC (PVH/HVM exits/op:"
echo "fork=$HV_FORK), native syscall=$H_SYS fork=$H_FORK fault=$H_FAULT memcpy=$H_COPY MiB,"
echo "cpu=$CPU everywhere."

[ "$have_kvm" = 1 ] || exit 0
echo
echo "Exits of one boot to userspace on pvisor (\`pvctl run --stats\`, cmdline"
echo "\"$PV_CMDLINE pvisor.exit\": powers off right after userspace is reached):"
echo
hdr=$(sed -n 's/^#define __HYPERVISOR_\([a-z_0-9]*\)[[:space:]]*\([0-9][0-9]*\)$/\1 \2/p' \
	"$TOP/guest-abi/include/pvabi/xen.h")
echo "| exit kind | count |"
echo "|---|---:|"
counters boot | awk -v hdr="$hdr" '
	BEGIN { n = split(hdr, h, "\n"); for (i = 1; i <= n; i++) {
		split(h[i], f, " "); nr[f[1]] = f[2] }
		vn[1] = "#DB"; vn[3] = "#BP"; vn[6] = "#UD"; vn[7] = "#NM"
		vn[13] = "#GP, privileged instructions emulated"; vn[14] = "#PF"
		vn[0] = "#DE"; vn[8] = "#DF"; vn[17] = "#AC"; vn[19] = "#XM" }
	{ c[$1] = $2; out = "sort -r | cut -d\\| -f2-" }
	$1 ~ /^hc:/ { k = substr($1, 4)
		printf "%012d|hypercall %s %s|%d\n", $2, (k in nr) ? nr[k] : "?", k, $2 | out }
	$1 ~ /^trap:/ { k = substr($1, 6) + 0
		printf "%012d|trap vector %d%s|%d\n", $2, k, (k in vn) ? " (" vn[k] ")" : "", $2 | out }
	$1 == "user-syscalls" { printf "%012d|user-mode syscall bounce|%d\n", $2, $2 | out }
	$1 == "kicks" { printf "%012d|kick (vCPU woken out of the VM: event, timer)|%d\n", $2, $2 | out }
	$1 == "pt-writer-runs" { printf "%012d|in-VM page-table writer run|%d\n", $2, $2 | out }
	END {
		close(out)
		printf "**total exits** (rows above include calls batched in multicalls)|%d\n", c["exits"]
		printf "event upcalls delivered (on entry, not exits)|%d\n", c["upcalls"]
	}' | awk -F'|' '{ printf "| %s | %d |\n", $1, $2 }'
for t in pvh hvm; do
	eval "on=\$$t"
	[ "$on" = 1 ] || continue
	T=$(echo "$t" | tr a-z A-Z)
	echo
	echo "Exits of one boot as $T (\`pvctl run --type $t --stats\`, the baseline"
	echo "run: boots, starts pvbench, which does nothing, powers off):"
	echo
	echo "| exit kind | count |"
	echo "|---|---:|"
	counters ${t}none | awk '{ c[$1] = $2 } $1 ~ /^hc:/ { hc += $2 }
		END {
			printf "| port I/O and MMIO emulated (the serial console among them) | %d |\n", c["emulated"]
			printf "| kick (vCPU woken out of the VM) | %d |\n", c["kicks"]
			printf "| hypercall | %d |\n", hc
			printf "| **total exits** | %d |\n", c["exits"]
		}'
done
echo
echo "exits/op: (exits of a \`pvctl run --stats\` run that does only that loop"
echo "- exits of one that starts pvbench and does nothing) / loop count; in"
echo "brackets the largest kinds per op. PVH and HVM count only the exits that"
echo "reach pvisor: KVM handles EPT faults, the LAPIC timer, the PIT and hlt itself."
echo "The null hypercall's exits/op: a run of $G_HC reads of each file less one of"
echo "$((2 * G_HC)) plain reads. QEMU TCG and the host have no Xen: no /sys/hypervisor."
echo "Times: CLOCK_MONOTONIC in pvbench; boot: \`pvctl create\` (or QEMU start)"
echo "to \"$LINE\" on the console."
