#!/bin/sh
# SPDX-License-Identifier: MIT
# Build OUT/rootfs.ext4: a 64 MiB (sparse) ext4 root file system for
# booting with root=/dev/xvda over the PV block device. busybox-static
# (from fetch-kernel.sh) with its applet links, busybox init with the
# console shell of ./inittab, and an rcS that makes `pvisor.exit` work
# there too. No root privileges and no loop mount: `mke2fs -d` copies a
# staging tree, then debugfs makes every inode root-owned and stamps
# fixed times (mke2fs -d keeps the builder's uid and the files' ctimes),
# so two builds of the same inputs give the same image.
# Usage: mkrootfs.sh OUT
set -eu
out=${1:?usage: mkrootfs.sh OUT}
here=$(dirname "$0")
root=$out/rootfs-root
img=$out/rootfs.ext4
# Fixed identity and time; SOURCE_DATE_EPOCH overrides the time.
UUID=5076726f-6f74-4000-8000-707669736f72
EPOCH=${SOURCE_DATE_EPOCH:-1700000000}

# Debian puts them in /sbin, outside a user's PATH.
PATH=$PATH:/sbin:/usr/sbin
for tool in mke2fs debugfs; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "mkrootfs: no $tool; install e2fsprogs (make deps)" >&2
		exit 1
	}
done
umask 022

echo "  ROOTFS  $img"
rm -rf "$root"
mkdir -p "$root/bin" "$root/dev" "$root/etc/init.d" "$root/mnt" \
	 "$root/proc" "$root/root" "$root/sys" "$root/tmp"
chmod 0700 "$root/root"
chmod 1777 "$root/tmp"

. "$here/modules.sh"
install_busybox "$out/busybox-root/bin/busybox"
version=$("$root/bin/busybox" | sed -n '1s/^BusyBox \(v[^ ]*\).*/\1/p')

# The initramfs's inittab plus a sysinit step, which busybox init runs
# first: here nothing ran before init unless the initramfs did.
{
	cat "$here/inittab"
	echo "# On the root file system: /etc/init.d/rcS before the rest."
	echo "::sysinit:/etc/init.d/rcS"
} > "$root/etc/inittab"
chmod 0644 "$root/etc/inittab"

cat > "$root/etc/init.d/rcS" <<'RCS'
#!/bin/sh
# pvisor rootfs: the kernel filesystems (already there when the
# initramfs moved them in), hostname, and the boot tests' power off.
[ -e /proc/self ] || mount -t proc proc /proc
[ -d /sys/kernel ] || mount -t sysfs sysfs /sys
[ -e /dev/console ] || mount -t devtmpfs devtmpfs /dev
hostname -F /etc/hostname
echo "pvisor-rootfs: userspace reached ($(uname -r), $(cat /etc/pvisor-rootfs))"
case " $(cat /proc/cmdline) " in
*" pvisor.exit "*)
	echo "pvisor-rootfs: powering off (pvisor.exit)"
	umount -a -r 2>/dev/null
	exec poweroff -f
	;;
esac
RCS
chmod 0755 "$root/etc/init.d/rcS"

cat > "$root/etc/profile" <<'PROFILE'
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
PS1='\h:\w\$ '
echo "pvisor-rootfs: shell on $(tty)"
PROFILE
# The root is mounted by the initramfs; these are for `mount /proc` etc.
cat > "$root/etc/fstab" <<'FSTAB'
proc      /proc  proc      defaults  0 0
sysfs     /sys   sysfs     defaults  0 0
devtmpfs  /dev   devtmpfs  defaults  0 0
FSTAB
echo pvroot > "$root/etc/hostname"
echo "pvisor rootfs, busybox $version, made by guests/linux/mkrootfs.sh" \
	> "$root/etc/pvisor-rootfs"
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"
chmod 0644 "$root/etc/profile" "$root/etc/fstab" "$root/etc/hostname" \
	"$root/etc/pvisor-rootfs" "$root/etc/passwd" "$root/etc/group"

# debugfs commands: owner root and the fixed time on every inode (paths
# don't follow a final symlink, so links get their own inode fixed).
cmds=$out/rootfs.debugfs
(cd "$root" && find . | LC_ALL=C sort) | sed 's|^\.||; s|^$|/|' |
while read -r p; do
	for f in uid gid; do
		echo "sif \"$p\" $f 0"
	done
	for f in atime ctime mtime crtime; do
		echo "sif \"$p\" $f @$EPOCH"
	done
done > "$cmds"
for f in atime ctime mtime crtime; do
	echo "sif /lost+found $f @$EPOCH" >> "$cmds"
done

# A fresh, empty file: all holes, so the journal needs no zeroing
# (lazy_journal_init). The inode table is zeroed all the same (the
# default depends on the host), so the kernel has no lazy init to do,
# and write, on the first mount.
# -T default: 4 KiB blocks and 256-byte inodes whatever the size
# (mke2fs.conf's "small" type would give 128-byte inodes: 2038 times).
# E2FSPROGS_FAKE_TIME fixes the superblock's and the journal's times.
rm -f "$img.tmp"
: > "$img.tmp"
E2FSPROGS_FAKE_TIME=$EPOCH mke2fs -q -F -t ext4 -T default -L pvroot \
	-U "$UUID" -m 0 \
	-E "root_owner=0:0,hash_seed=$UUID,lazy_itable_init=0,lazy_journal_init=1" \
	-d "$root" "$img.tmp" 64M
# debugfs exits 0 when a command fails: its stderr (after the version
# banner) is the verdict.
E2FSPROGS_FAKE_TIME=$EPOCH debugfs -w -f "$cmds" "$img.tmp" >/dev/null 2>"$cmds.err" || {
	cat "$cmds.err" >&2
	exit 1
}
if grep -v '^debugfs [0-9]' "$cmds.err" | grep -q .; then
	grep -v '^debugfs [0-9]' "$cmds.err" >&2
	exit 1
fi
rm -f "$cmds" "$cmds.err"
mv "$img.tmp" "$img"
