#!/bin/sh
# SPDX-License-Identifier: MIT
# Download a Debian kernel (by default the cloud flavour: the meta
# package linux-image-cloud-amd64 and the exact linux-image-* package it
# depends on) and busybox-static with `apt-get download`, and unpack them
# below OUT with `dpkg-deb -x`. Nothing is installed: the host's /boot and
# package database stay as they were. Writes OUT/vmlinuz, OUT/version,
# OUT/kernel-version, OUT/kernel-root/ and OUT/busybox-root/.
# Usage: fetch-kernel.sh OUT [META]   (META: e.g. linux-image-amd64)
set -eu
out=${1:?usage: fetch-kernel.sh OUT [META]}
meta=${2:-linux-image-cloud-amd64}
debs=$out/debs

# The candidate's dependency, e.g. "linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)".
dep=$(apt-cache show --no-all-versions "$meta" 2>/dev/null |
      sed -n 's/^Depends: *//p' | head -n 1)
if [ -z "$dep" ]; then
	echo "fetch-kernel: apt knows no $meta; run 'make deps' (apt-get update) first" >&2
	exit 1
fi
re='^\(linux-image-[0-9][^ ,]*-amd64\) *(= *\([^)]*\)).*'
pkg=$(echo "$dep" | sed -n "s/$re/\1/p")
ver=$(echo "$dep" | sed -n "s/$re/\2/p")
if [ -z "$pkg" ] || [ -z "$ver" ]; then
	echo "fetch-kernel: unexpected dependency of $meta: $dep" >&2
	exit 1
fi
kver=${pkg#linux-image-}

echo "  FETCH   $meta -> $pkg $ver, busybox-static"
rm -rf "$debs"
mkdir -p "$debs"
# As root, apt would drop to _apt, which cannot write the build tree.
sandbox=
[ "$(id -u)" = 0 ] && sandbox="-o APT::Sandbox::User=root"
(cd "$debs" && apt-get download -q=2 $sandbox "$meta" "$pkg=$ver" busybox-static)

echo "  UNPACK  $pkg"
rm -rf "$out/kernel-root" "$out/busybox-root"
dpkg-deb -x "$debs/${pkg}_"*.deb "$out/kernel-root"
dpkg-deb -x "$debs"/busybox-static_*.deb "$out/busybox-root"

vmlinuz=$out/kernel-root/boot/vmlinuz-$kver
if [ ! -f "$vmlinuz" ] || [ ! -x "$out/busybox-root/bin/busybox" ]; then
	echo "fetch-kernel: $pkg or busybox-static lacks the expected files" >&2
	exit 1
fi
echo "$kver" > "$out/kernel-version"
echo "$pkg $ver" > "$out/version"
cp "$vmlinuz" "$out/vmlinuz.tmp"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
