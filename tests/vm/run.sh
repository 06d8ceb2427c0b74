#!/bin/bash
# SPDX-License-Identifier: MIT
# Run a job that needs /dev/kvm on a machine that has none: boot a small
# Linux VM under QEMU's TCG emulator with an emulated AMD SVM CPU, load
# kvm-amd in it, and run the job there in this directory, on this
# machine's files (the host root over 9p, read-only, with a throw-away
# tmpfs on top: writes vanish with the VM; --rw PATH keeps them).
#
# Usage: tests/vm/run.sh [--check NAME] [--interactive] [--rw PATH]... -- CMD...
#   CMD         a /bin/sh command line, run as root in the current directory
#   --check N   test mode: the job's output streams to stderr as it runs,
#               and the PASS:/FAIL:/SKIP: verdicts of the attempt that
#               finished are printed on stdout at the end (a hung attempt
#               is retried, VM_ATTEMPTS in all, and its verdicts never
#               count). If the VM
#               cannot run the job, one "FAIL: vm/N: why" line says so.
#   --interactive  the terminal is the VM's console (make demo)
# Exit status: the job's; 250 no KVM module in the VM, 251 no /dev/kvm,
# 252 host root not mountable, 253 QEMU missing, 254 VM hung or timed out.
#
# Environment: VM_KERNEL (the VM kernel's Debian meta package,
# linux-image-amd64 by default; linux-image-6.12-amd64 has
# CONFIG_KVM_XEN, which 6.1 lacks), VM_DIR (build/vm, or
# build/vm-VM_KERNEL for another kernel: kernel, initramfs, job directories),
# VM_MEM (4G), VM_SMP (1: the TCG VM has hung with 2 under load),
# VM_CPU (max,phys-bits=48: TCG's default 40 physical bits is too few
# for pvisor), VM_TIMEOUT (2700 s), VM_WATCHDOG (180 s without a
# heartbeat = hung), VM_ATTEMPTS (3: the TCG VM freezes now and then,
# most often under HVM guests, with no message from its kernel; a fresh
# VM runs the job), VM_KVM_AMD / VM_KVM_INTEL (';'-separated parameter
# sets to try), VM_APPEND (extra kernel command line).
set -u
here=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-build}
VM_KERNEL=${VM_KERNEL:-linux-image-amd64}
if [ "$VM_KERNEL" = linux-image-amd64 ]; then
	VM_DIR=${VM_DIR:-$BUILD/vm}
else
	VM_DIR=${VM_DIR:-$BUILD/vm-$VM_KERNEL}
fi
VM_MEM=${VM_MEM:-4G}
VM_SMP=${VM_SMP:-1}
VM_CPU=${VM_CPU:-max,phys-bits=48}
VM_TIMEOUT=${VM_TIMEOUT:-2700}
VM_WATCHDOG=${VM_WATCHDOG:-180}
VM_KVM_AMD=${VM_KVM_AMD:-nested=1 npt=1;nested=1 npt=0}
VM_KVM_INTEL=${VM_KVM_INTEL:-nested=1}
# Passed into the job when set here.
PASS_ENV="BUILD CI GUEST_TIMEOUT GUEST_MEMORY LINUX_BOOT_TIMEOUT FUZZ_BUDGET ASAN_OPTIONS UBSAN_OPTIONS"

check=
interactive=0
rw=()
while [ $# -gt 0 ]; do
	case "$1" in
	--check) check=$2; shift 2 ;;
	--interactive) interactive=1; shift ;;
	--rw) rw+=("$(realpath "$2")"); shift 2 ;;
	--) shift; break ;;
	-h|--help) sed -n '3,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { echo "usage: $0 [--check NAME] [--interactive] [--rw PATH]... -- CMD..." >&2; exit 2; }

say() { echo "vm: $*" >&2; }
# In test mode a VM that cannot run the job is a failed test, not a skip.
verdict_fail() {
	[ -n "$check" ] && echo "FAIL: vm/$check: $1"
	say "$1"
}

if ! command -v qemu-system-x86_64 >/dev/null; then
	verdict_fail "qemu-system-x86_64 is not installed (make deps installs it)"
	exit 253
fi
mkdir -p "$VM_DIR"
VM_DIR=$(realpath "$VM_DIR")
if [ ! -f "$VM_DIR/initrd.img" ] || [ "$here/init" -nt "$VM_DIR/initrd.img" ] ||
   [ "$here/mkimage.sh" -nt "$VM_DIR/initrd.img" ]; then
	sh "$here/mkimage.sh" "$VM_DIR" "$VM_KERNEL" >&2 || { verdict_fail "cannot build the VM image"; exit 253; }
fi

job_env=
for v in $PASS_ENV; do
	eval "val=\${$v-}"
	[ -n "$val" ] && job_env="$job_env $v=$val"
done

# One attempt: boot, run, power off. Sets rc, hung, log.
attempt() {
	local job n=0 args q_pid tail_pid start last beats now
	job=$VM_DIR/jobs/$(date +%Y%m%d-%H%M%S)-$$-$1
	mkdir -p "$job"
	log=$job/console.log
	{ echo "#!/bin/sh"; printf '%s ' "${cmd[@]}"; echo; } > "$job/job.sh"
	{
		printf "VM_KVM_AMD='%s'\nVM_KVM_INTEL='%s'\n" "$VM_KVM_AMD" "$VM_KVM_INTEL"
		printf "VM_CWD='%s'\nVM_JOBDIR='%s'\n" "$(pwd)" "$job"
		printf "VM_RW='%s'\nVM_ENV='%s'\n" "${rw[*]:-}" "$job_env"
		printf "VM_INTERACTIVE=%s\nVM_TERM='%s'\n" "$interactive" \
			"$([ "$interactive" = 1 ] && echo "${TERM:-dumb}" || echo dumb)"
	} > "$job/job.conf"
	args=(-accel tcg -cpu "$VM_CPU" -smp "$VM_SMP" -m "$VM_MEM"
	      -kernel "$VM_DIR/vmlinuz" -initrd "$VM_DIR/initrd.img"
	      -append "console=ttyS0 panic=-1 mitigations=off tsc=reliable quiet ${VM_APPEND:-}"
	      -nodefaults -display none -monitor none -no-reboot
	      -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
	      -virtfs "local,path=$job,mount_tag=job,security_model=none")
	for p in "${rw[@]}"; do
		args+=(-virtfs "local,path=$p,mount_tag=rw$n,security_model=none,multidevs=remap")
		n=$((n + 1))
	done
	hung=0
	if [ "$interactive" = 1 ]; then
		args+=(-chardev stdio,id=con,signal=off -serial chardev:con)
		qemu-system-x86_64 "${args[@]}" | tee "$log"
	else
		args+=(-serial "file:$log")
		: > "$log"
		qemu-system-x86_64 "${args[@]}" </dev/null >"$job/qemu.log" 2>&1 &
		q_pid=$!
		# The job's own lines, live (on stderr in test mode).
		tail -n +1 -f --pid=$q_pid "$log" 2>/dev/null |
			sed -u -n -e 's/\r$//' \
				-e '/^VM-CMD-START/,/^VM-CMD-END/{/^VM-/!p;d}' \
				-e '/^vm: /p' >&"$live" &
		tail_pid=$!
		start=$(date +%s); last=$start; beats=0
		while kill -0 $q_pid 2>/dev/null; do
			sleep 2
			now=$(date +%s)
			n=$(grep -c -e '^VM-HEARTBEAT' -e '^VM-KVM' "$log")
			if [ "$n" != "$beats" ]; then
				beats=$n; last=$now
			elif [ $((now - last)) -ge "$VM_WATCHDOG" ]; then
				say "no heartbeat for ${VM_WATCHDOG}s: the VM hung (console: $log)"
				hung=1
			fi
			if [ $((now - start)) -ge "$VM_TIMEOUT" ]; then
				say "timed out after ${VM_TIMEOUT}s (console: $log)"
				hung=2
			fi
			[ $hung = 0 ] || { kill -9 $q_pid; break; }
		done
		wait $q_pid 2>/dev/null
		wait $tail_pid 2>/dev/null
	fi
	rc=$(tr -d '\r' < "$log" | sed -n 's/^VM-RC=\([0-9]*\)$/\1/p' | tail -n 1)
	[ -n "$rc" ] || rc=$(cat "$job/rc" 2>/dev/null)
	if [ -z "$rc" ]; then
		[ $hung = 0 ] && { say "QEMU ended without a result: $(tail -3 "$job/qemu.log" 2>/dev/null)"; hung=1; }
		rc=254
	fi
}

# The rest runs as one function, parsed before it starts: editing this
# file while a long run is in progress cannot derail that run.
main() {
cmd=("$@")
# The VM has its own /tmp, /run and /dev/shm: a checkout there (a CI
# clone in a temporary directory) is shared with the VM as it is.
case "$(pwd)/" in
/tmp/*|/run/*|/dev/shm/*)
	top=$(pwd | cut -d/ -f1-3)
	[ "$top" = /dev/shm ] && top=$(pwd | cut -d/ -f1-4)
	rw+=("$top")
	;;
esac
if [ -n "$check" ]; then live=2; else live=1; fi
t0=$(date +%s)
say "no usable /dev/kvm here: running '${cmd[*]}' in a nested VM (QEMU TCG, emulated AMD SVM; 10-50x slower)"
attempt 1
n=1
while [ "$hung" = 1 ] && [ "$interactive" = 0 ] &&
      [ "$n" -lt "${VM_ATTEMPTS:-3}" ]; do
	n=$((n + 1))
	say "retrying in a fresh VM (attempt $n of ${VM_ATTEMPTS:-3})"
	attempt "$n"
done
kvm=$(tr -d '\r' < "$log" | sed -n 's/^VM-KVM //p' | head -n 1)
say "done in $(( $(date +%s) - t0 ))s: exit $rc${kvm:+ (KVM in the VM: $kvm)}"
case $rc in
250) verdict_fail "no KVM module loads in the VM (console: $log)" ;;
251) verdict_fail "the VM has no /dev/kvm (console: $log)" ;;
252) verdict_fail "the VM cannot mount this machine's root over 9p (console: $log)" ;;
254) verdict_fail "the VM hung or timed out (console: $log)" ;;
*)
	[ -n "$check" ] && tr -d '\r' < "$log" |
		sed -n '/^VM-CMD-START/,/^VM-CMD-END/p' | grep -E '^(PASS|FAIL|SKIP): '
	;;
esac
exit "$rc"
}
main "$@"
