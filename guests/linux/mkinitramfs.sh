#!/bin/sh
# SPDX-License-Identifier: MIT
# Build OUT/initrd.img (gzip'd cpio newc) from what fetch-kernel.sh
# unpacked: busybox-static with its applet links, /init and
# /etc/inittab from this directory, and the Xen frontend modules the
# kernel package ships (plus their dependencies), decompressed here
# because busybox's insmod may not read .ko.xz/.ko.zst.
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

cp "$out/busybox-root/bin/busybox" "$root/bin/busybox"
# The static amd64 binary runs on the (amd64) build host to list itself.
"$root/bin/busybox" --list-full | while read -r applet; do
	[ "$applet" = bin/busybox ] && continue
	mkdir -p "$root/$(dirname "$applet")"
	ln -s /bin/busybox "$root/$applet"
done

# A module and, first, what its .modinfo says it depends on.
find_module() {
	dashed=$(echo "$1" | tr _ -)
	find "$moddir/kernel" \( -name "$1.ko*" -o -name "$dashed.ko*" \) | head -n 1
}
add_module() {
	grep -qx "$1" "$root/etc/modules-load" 2>/dev/null && return 0
	src=$(find_module "$1")
	if [ -z "$src" ]; then
		echo "mkinitramfs: module $1 not in $moddir" >&2
		exit 1
	fi
	dst=$root/lib/modules/$1.ko
	case "$src" in
	*.ko.xz)  xz -dc "$src" > "$dst" ;;
	*.ko.zst) zstd -qdc "$src" > "$dst" ;;
	*.ko.gz)  gzip -dc "$src" > "$dst" ;;
	*)        cp "$src" "$dst" ;;
	esac
	deps=$(tr '\0' '\n' < "$dst" | sed -n 's/^depends=//p' | head -n 1)
	for dep in $(echo "$deps" | tr , ' '); do
		add_module "$dep"
	done
	echo "$1" >> "$root/etc/modules-load"
}
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
