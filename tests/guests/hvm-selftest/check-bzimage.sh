#!/bin/sh
# SPDX-License-Identifier: MIT
# Check that a flattened HVM self-test kernel is a bzImage a 64-bit boot
# protocol loader takes (Documentation/arch/x86/boot.rst): boot flag,
# "HdrS", protocol >= 2.12, LOADED_HIGH, XLF_KERNEL_64, the jump past a
# header long enough for init_size, syssize covering exactly the
# protected-mode part, and the 64-bit entry, (setup_sects + 1) * 512 +
# 0x200 into the file, holding startup_64's bytes from the ELF.
# Usage: check-bzimage.sh IMAGE ELF    (prints the fields; exit 1 on error)
img=${1:?usage: check-bzimage.sh IMAGE ELF}
elf=${2:?usage: check-bzimage.sh IMAGE ELF}
status=0

# u OFFSET BYTES: an unsigned little-endian field of the image.
u() {
	od -An -t "u$2" -j "$(($1))" -N "$2" "$img" | tr -d ' '
}

bad() {
	echo "check-bzimage: $img: $*"
	status=1
}

size=$(wc -c < "$img")
[ "$size" -ge 1024 ] || { bad "only $size bytes"; exit 1; }
setup_sects=$(u 0x1f1 1)
[ "$setup_sects" -eq 0 ] && setup_sects=4
syssize=$(u 0x1f4 4)
boot_flag=$(u 0x1fe 2)
jump=$(u 0x200 1)
jump_to=$((0x202 + $(u 0x201 1)))
magic=$(dd if="$img" bs=1 skip=$((0x202)) count=4 2>/dev/null)
version=$(u 0x206 2)
loadflags=$(u 0x211 1)
kalign=$(u 0x230 4)
reloc=$(u 0x234 1)
xloadflags=$(u 0x236 2)
cmdline_size=$(u 0x238 4)
pref=$(u 0x258 8)
init_size=$(u 0x260 4)
pm_off=$(( (setup_sects + 1) * 512 ))
pm_len=$((syssize * 16))
entry_off=$((pm_off + 0x200))

printf 'file size          %d bytes\n' "$size"
printf 'setup_sects        %d (protected-mode part at file offset 0x%x)\n' "$setup_sects" "$pm_off"
printf 'boot_flag          0x%04x\n' "$boot_flag"
printf 'jump               0x%02x to 0x%x\n' "$jump" "$jump_to"
printf 'header             "%s"\n' "$magic"
printf 'version            0x%04x\n' "$version"
printf 'loadflags          0x%02x\n' "$loadflags"
printf 'xloadflags         0x%04x\n' "$xloadflags"
printf 'syssize            %d (x16 = %d; the file holds %d after the setup)\n' "$syssize" "$pm_len" "$((size - pm_off))"
printf 'init_size          0x%x\n' "$init_size"
printf 'pref_address       0x%x\n' "$pref"
printf 'kernel_alignment   0x%x, relocatable_kernel %d\n' "$kalign" "$reloc"
printf 'cmdline_size       %d\n' "$cmdline_size"

[ "$boot_flag" -eq $((0xaa55)) ] || bad "boot_flag is not 0xaa55"
[ "$magic" = HdrS ] || bad "no HdrS at 0x202"
[ "$version" -ge $((0x020c)) ] || bad "boot protocol below 2.12"
[ $((loadflags & 1)) -eq 1 ] || bad "LOADED_HIGH clear"
[ $((xloadflags & 1)) -eq 1 ] || bad "XLF_KERNEL_64 clear"
[ "$jump" -eq $((0xeb)) ] || bad "no short jump at 0x200"
[ "$jump_to" -ge $((0x264)) ] || bad "the header ends (jump target 0x$jump_to) before init_size"
[ "$pm_len" -gt $((0x200)) ] || bad "syssize leaves no 64-bit entry"
[ "$pm_len" -eq $((size - pm_off)) ] || bad "syssize * 16 = $pm_len, but the file holds $((size - pm_off))"
[ "$init_size" -ge "$pm_len" ] || bad "init_size below the loaded size"
[ "$reloc" -eq 0 ] || bad "relocatable_kernel set: not linked for that"
[ "$pref" -eq $((0x100000)) ] || bad "pref_address is not 1 MiB"
[ "$cmdline_size" -gt 0 ] || bad "cmdline_size is 0"

# The entry: the image's bytes there are startup_64's in the ELF.
sym=$(nm "$elf" | awk '$3 == "startup_64" { print $1 }')
[ -n "$sym" ] || bad "no startup_64 in $elf"
[ "$((0x$sym))" -eq $((pref + 0x200)) ] || bad "startup_64 at 0x$sym, not pref_address + 0x200"
want=$(objdump -d --start-address="0x$sym" --stop-address=$((0x$sym + 16)) "$elf" |
	sed -n 's/^ *[0-9a-f]*:\t\(\([0-9a-f][0-9a-f] \)*\).*/\1/p' | tr -d ' \n' | cut -c1-32)
got=$(od -An -tx1 -j "$entry_off" -N 16 "$img" | tr -d ' \n')
printf '64-bit entry       file offset 0x%x: %s (ELF startup_64: %s)\n' "$entry_off" "$got" "$want"
[ -n "$want" ] && [ "${got#"$want"}" != "$got" ] || bad "entry bytes differ from startup_64"
[ "$status" -eq 0 ] && echo "check-bzimage: $img: well-formed"
exit $status
