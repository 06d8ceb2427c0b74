#!/bin/sh
# SPDX-License-Identifier: MIT
# Build OUT/initrd.img (gzip'd cpio newc) from what fetch-kernel.sh
# unpacked: busybox-static with its applet links, /init and
# /etc/inittab from this directory, and the Xen frontend modules the
# kernel package ships (plus their dependencies; modules.sh).
# Usage: mkinitramfs.sh OUT
set -eu
out=${1:?usage: mkinitramfs.sh OUT}
here=$(dirname "$0")
kver=$(cat "$out/kernel-version")
moddir=$out/kernel-root/lib/modules/$kver
root=$out/initramfs-root
MODULES="xen-blkfront xen-netfront"

echo "  INITRD  $out/initrd.img ($kver)"
rm -rf "$root"
mkdir -p "$root/bin" "$root/dev" "$root/etc" "$root/lib/modules" \
	 "$root/proc" "$root/root" "$root/sys" "$root/tmp"

. "$here/modules.sh"
install_busybox "$out/busybox-root/bin/busybox"
: > "$root/etc/modules-load"
for m in $MODULES; do
	add_module "$m"
done

install -m 0755 "$here/init" "$root/init"
install -m 0644 "$here/inittab" "$root/etc/inittab"
cat > "$root/etc/profile" <<'PROFILE'
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
PS1='\h:\w\$ '
echo "pvisor-initramfs: shell on $(tty)"
PROFILE
echo pvguest > "$root/etc/hostname"

python3 "$here/mkcpio.py" "$root" | gzip -9n > "$out/initrd.img.tmp"
mv "$out/initrd.img.tmp" "$out/initrd.img"
