# SPDX-License-Identifier: MIT
# Sourced by the initramfs builders: copy kernel modules, and first what
# each depends on (from its .modinfo), into an initramfs tree,
# decompressed, because busybox's insmod may not read .ko.xz/.ko.zst.
# The load order is appended to ROOT/etc/modules-load.
# Needs: moddir (the kernel's lib/modules/VERSION), root (the tree).

find_module() {
	find "$moddir/kernel" \( -name "$1.ko*" -o -name "$(echo "$1" | tr _ -).ko*" \) |
		head -n 1
}

add_module() {
	grep -qx "$1" "$root/etc/modules-load" 2>/dev/null && return 0
	src=$(find_module "$1")
	# Built into this kernel (6.12 has virtio_pci so): nothing to load.
	if [ -z "$src" ] && grep -Eq "/($1|$(echo "$1" | tr _ -))\.ko\$" \
		"$moddir/modules.builtin" 2>/dev/null; then
		return 0
	fi
	if [ -z "$src" ]; then
		echo "initramfs: module $1 not in $moddir" >&2
		exit 1
	fi
	dst=$root/lib/modules/$1.ko
	case "$src" in
	*.ko.xz)  xz -dc "$src" > "$dst" ;;
	*.ko.zst) zstd -qdc "$src" > "$dst" ;;
	*.ko.gz)  gzip -dc "$src" > "$dst" ;;
	*)        cp "$src" "$dst" ;;
	esac
	for dep in $(tr '\0' '\n' < "$dst" | sed -n 's/^depends=//p' | head -n 1 | tr , ' '); do
		add_module "$dep"
	done
	echo "$1" >> "$root/etc/modules-load"
}

# busybox with a link per applet (the static amd64 binary lists itself).
install_busybox() {
	mkdir -p "$root/bin"
	cp "$1" "$root/bin/busybox"
	"$root/bin/busybox" --list-full | while read -r applet; do
		[ "$applet" = bin/busybox ] && continue
		mkdir -p "$root/$(dirname "$applet")"
		ln -sf /bin/busybox "$root/$applet"
	done
}
