#!/bin/sh
# SPDX-License-Identifier: MIT
# The nested-KVM test VM's boot files: Debian's generic kernel (it has
# kvm-amd, kvm-intel and 9p; the cloud flavour lacks 9p) and an
# initramfs with busybox, the modules below and tests/vm/init.
# Writes OUT/vmlinuz and OUT/initrd.img; nothing is installed.
# Usage: mkimage.sh OUT [META]   (META: the kernel's meta package,
# linux-image-amd64 by default; run.sh's VM_KERNEL)
set -eu
out=${1:?usage: mkimage.sh OUT [META]}
meta=${2:-linux-image-amd64}
here=$(dirname "$0")
linux=$here/../../guests/linux

[ -f "$out/vmlinuz" ] || sh "$linux/fetch-kernel.sh" "$out" "$meta"
kver=$(cat "$out/kernel-version")
moddir=$out/kernel-root/lib/modules/$kver
root=$out/initramfs-root
# The host root over 9p; KVM; what later tests need (block, net).
MODULES="virtio_pci 9pnet_virtio 9p overlay kvm tun bridge veth loop nbd"
# Loaded by /init with parameters, so only copied.
KVM_VENDOR="kvm-amd kvm-intel"

echo "  VMIMAGE $out/initrd.img ($kver)"
rm -rf "$root"
mkdir -p "$root/dev" "$root/etc" "$root/lib/modules" "$root/proc" \
	 "$root/sys" "$root/tmp"
. "$linux/modules.sh"
install_busybox "$out/busybox-root/bin/busybox"
: > "$root/etc/modules-load"
for m in $MODULES; do
	add_module "$m"
done
for m in $KVM_VENDOR; do
	add_module "$m"
done
# Their dependencies (ccp) load at boot; they themselves in /init.
grep -vx -e kvm-amd -e kvm-intel "$root/etc/modules-load" > "$root/etc/modules-load.tmp"
mv "$root/etc/modules-load.tmp" "$root/etc/modules-load"
install -m 0755 "$here/init" "$root/init"
python3 "$linux/mkcpio.py" "$root" | gzip -6n > "$out/initrd.img.tmp"
mv "$out/initrd.img.tmp" "$out/initrd.img"
