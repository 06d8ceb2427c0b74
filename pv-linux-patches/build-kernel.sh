#!/bin/sh
# SPDX-License-Identifier: MIT
# Build a minimal x86-64 Xen PV guest kernel for pvisor from Debian's
# linux-source-6.1 package. Optional: not part of `make check` or CI;
# pvisor's own path boots Debian's stock cloud kernel unchanged.
#
#   pv-linux-patches/build-kernel.sh [--base tinyconfig|x86_64_defconfig]
#        [--config-only] [--no-patches] [--jobs N] [--builddir DIR]
#
# Steps: install missing build dependencies (apt-get), extract
# /usr/src/linux-source-6.1.tar.xz into build/pv-linux/, apply
# pv-linux-patches/patches/*.patch (unless --no-patches), make the base
# config, merge pvisor-minimal.config with scripts/kconfig/merge_config.sh,
# `make olddefconfig`, check the key options, `make bzImage`, and print
# the bzImage path. --config-only stops after the check.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
base=tinyconfig
config_only=0
patches=1
jobs=$(nproc 2>/dev/null || echo 1)
builddir=$top/build/pv-linux
tarball=/usr/src/linux-source-6.1.tar.xz
fragment=$here/pvisor-minimal.config

usage() {
	sed -n '3,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//'
	exit "${1:-0}"
}

while [ $# -gt 0 ]; do
	case $1 in
	--base) base=$2; shift 2 ;;
	--base=*) base=${1#--base=}; shift ;;
	--config-only) config_only=1; shift ;;
	--no-patches) patches=0; shift ;;
	--jobs|-j) jobs=$2; shift 2 ;;
	--builddir) builddir=$2; shift 2 ;;
	-h|--help) usage 0 ;;
	*) echo "build-kernel.sh: unknown argument: $1" >&2; usage 2 >&2 ;;
	esac
done
case $base in
tinyconfig|x86_64_defconfig) ;;
*) echo "build-kernel.sh: --base must be tinyconfig or x86_64_defconfig" >&2
   exit 2 ;;
esac

say() { echo "build-kernel.sh: $*"; }

# --- Dependencies: install only what is missing, and say so. ---
missing=
for pkg in bc bison flex libelf-dev libssl-dev make gcc xz-utils; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
		grep -q 'install ok installed' || missing="$missing $pkg"
done
[ -f "$tarball" ] || missing="$missing linux-source-6.1"
if [ -n "$missing" ]; then
	say "installing missing packages:$missing"
	if [ "$(id -u)" -eq 0 ]; then sudo=; else sudo=sudo; fi
	$sudo apt-get install -y $missing
else
	say "build dependencies already installed"
fi

# --- Source tree: extract once; re-extract when the patch set changes. ---
src=$builddir/linux-source-6.1
obj=$builddir/obj
if [ "$patches" -eq 1 ] && ls "$here"/patches/*.patch >/dev/null 2>&1; then
	patchset=$(cat "$here"/patches/*.patch | sha256sum | cut -c1-16)
else
	patchset=none
fi
stamp=$src/.pvisor-extracted
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$tarball $patchset" ]; then
	say "extracting $tarball into $builddir"
	rm -rf "$src" "$obj"
	mkdir -p "$builddir"
	tar -C "$builddir" -xf "$tarball"
	if [ "$patchset" != none ]; then
		for p in "$here"/patches/*.patch; do
			say "applying $(basename "$p")"
			patch -d "$src" -p1 --quiet < "$p"
		done
	fi
	echo "$tarball $patchset" > "$stamp"
else
	say "reusing $src (patches: $patchset)"
fi

# --- Configuration ---
mk() { make -C "$src" O="$obj" ARCH=x86_64 "$@"; }
mkdir -p "$obj"
say "make $base"
mk -s "$base"
say "merging $(basename "$fragment")"
(cd "$src" && ARCH=x86_64 scripts/kconfig/merge_config.sh -m -O "$obj" \
	"$obj/.config" "$fragment")
say "make olddefconfig"
mk -s olddefconfig

# Report every fragment line the final .config does not honour, and fail
# if a key option is wrong.
cfg() { "$src/scripts/config" --file "$obj/.config" --state "$1"; }
mism=0
grep -E '^(CONFIG_[A-Za-z0-9_]+=|# CONFIG_[A-Za-z0-9_]+ is not set)' \
	"$fragment" | while read -r line; do
	case $line in
	"# "*) opt=${line#\# CONFIG_}; opt=${opt%% *}; want=n ;;
	*) opt=${line%%=*}; opt=${opt#CONFIG_}; want=${line#*=} ;;
	esac
	got=$(cfg "$opt")
	[ "$got" = undef ] && [ "$want" = n ] && got=n
	[ "$got" = "$want" ] || say "note: CONFIG_$opt requested $want, got $got"
done
for kv in XEN=y XEN_PV=y XEN_PVHVM_GUEST=n HVC_XEN=y \
	XEN_BLKDEV_FRONTEND=y XEN_NETDEV_FRONTEND=y XEN_BALLOON=y \
	DEVTMPFS=y DEVTMPFS_MOUNT=y BLK_DEV_INITRD=y RD_GZIP=y EXT4_FS=y \
	MODULES=n ACPI=n PCI=n SERIAL_8250=n VT=n NR_CPUS=8 HZ=100 \
	NO_HZ_IDLE=y; do
	opt=${kv%%=*}; want=${kv#*=}
	got=$(cfg "$opt")
	[ "$got" = undef ] && [ "$want" = n ] && got=n
	if [ "$got" = "$want" ]; then
		echo "  CONFIG_$opt=$got"
	else
		echo "  CONFIG_$opt=$got (wanted $want)"; mism=1
	fi
done
if [ "$mism" -ne 0 ]; then
	say "key options not as requested; see $obj/.config" >&2
	exit 1
fi
say "configuration OK: $obj/.config"
[ "$config_only" -eq 1 ] && exit 0

# --- Build ---
say "make -j$jobs bzImage (a few minutes from tinyconfig)"
start=$(date +%s)
mk -s -j"$jobs" bzImage
say "built in $(( $(date +%s) - start )) s"
echo "$obj/arch/x86/boot/bzImage"
