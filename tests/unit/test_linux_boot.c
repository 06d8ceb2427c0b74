/* SPDX-License-Identifier: MIT */
/*
 * Direct Linux boot for HVM guests (arch/x86/hvm/linux_boot.c): our
 * bootparam.h against the kernel's uapi <asm/bootparam.h> (Debian's
 * linux-libc-dev, included here only, renamed), then synthetic bzImages
 * built field by field at the documented offsets, loaded and read back
 * through the kernel's own struct boot_params; the page tables walked as
 * the CPU would; every refusal. LINUX_BOOT_KERNEL=<bzImage> [and
 * LINUX_BOOT_INITRD=<file>] adds a load of a real kernel (by hand only).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* The reference, under other names: ours reuse the kernel's. */
#define setup_header linux_setup_header
#define boot_params linux_boot_params
#define boot_e820_entry linux_boot_e820_entry
#include <asm/bootparam.h>
#undef setup_header
#undef boot_params
#undef boot_e820_entry

#include "pvisor/bootparam.h"
#include "pvisor/linux_boot.h"

#define MiB		(1ull << 20)
#define RAM_BYTES	(32 * MiB)
#define SETUP_SECTS	2
#define PM_OFF		((SETUP_SECTS + 1) * 512)
#define PM_LEN		0x3000u
#define TRAILER		0x100u		/* like a signed kernel's signature */
#define PREF		(16 * MiB)
#define INIT_SIZE	(4 * MiB)
#define KALIGN		(2 * MiB)
#define CMDLINE_SIZE	0x7ffu
#define IMG_SENTINEL	0xffu

/* ------------------------------------------------------------ ABI --- */

#define SAME_FIELD(ours, theirs, f) do {				\
	assert_int_equal(offsetof(struct ours, f),			\
			 offsetof(struct theirs, f));			\
	assert_int_equal(sizeof(((struct ours *)0)->f),			\
			 sizeof(((struct theirs *)0)->f));		\
} while (0)
#define SH(f)	SAME_FIELD(setup_header, linux_setup_header, f)
#define BP(f)	SAME_FIELD(boot_params, linux_boot_params, f)

static void test_abi(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct setup_header),
			 sizeof(struct linux_setup_header));
	assert_int_equal(sizeof(struct boot_params),
			 sizeof(struct linux_boot_params));
	assert_int_equal(sizeof(struct boot_e820_entry),
			 sizeof(struct linux_boot_e820_entry));
	SAME_FIELD(boot_e820_entry, linux_boot_e820_entry, addr);
	SAME_FIELD(boot_e820_entry, linux_boot_e820_entry, size);
	SAME_FIELD(boot_e820_entry, linux_boot_e820_entry, type);

	SH(setup_sects); SH(root_flags); SH(syssize); SH(ram_size);
	SH(vid_mode); SH(root_dev); SH(boot_flag); SH(jump); SH(header);
	SH(version); SH(realmode_swtch); SH(start_sys_seg);
	SH(kernel_version); SH(type_of_loader); SH(loadflags);
	SH(setup_move_size); SH(code32_start); SH(ramdisk_image);
	SH(ramdisk_size); SH(bootsect_kludge); SH(heap_end_ptr);
	SH(ext_loader_ver); SH(ext_loader_type); SH(cmd_line_ptr);
	SH(initrd_addr_max); SH(kernel_alignment); SH(relocatable_kernel);
	SH(min_alignment); SH(xloadflags); SH(cmdline_size);
	SH(hardware_subarch); SH(hardware_subarch_data); SH(payload_offset);
	SH(payload_length); SH(setup_data); SH(pref_address); SH(init_size);
	SH(handover_offset); SH(kernel_info_offset);

	BP(screen_info); BP(apm_bios_info); BP(_pad2); BP(tboot_addr);
	BP(ist_info); BP(acpi_rsdp_addr); BP(_pad3); BP(hd0_info);
	BP(hd1_info); BP(sys_desc_table); BP(olpc_ofw_header);
	BP(ext_ramdisk_image); BP(ext_ramdisk_size); BP(ext_cmd_line_ptr);
	BP(_pad4); BP(cc_blob_address); BP(edid_info); BP(efi_info);
	BP(alt_mem_k); BP(scratch); BP(e820_entries); BP(eddbuf_entries);
	BP(edd_mbr_sig_buf_entries); BP(kbd_status); BP(secure_boot);
	BP(_pad5); BP(sentinel); BP(_pad6); BP(hdr); BP(_pad7);
	BP(edd_mbr_sig_buffer); BP(e820_table); BP(_pad8); BP(eddbuf);
	BP(_pad9);

	assert_int_equal(BOOT_LOADED_HIGH, LOADED_HIGH);
	assert_int_equal(BOOT_KASLR_FLAG, KASLR_FLAG);
	assert_int_equal(BOOT_QUIET_FLAG, QUIET_FLAG);
	assert_int_equal(BOOT_KEEP_SEGMENTS, KEEP_SEGMENTS);
	assert_int_equal(BOOT_CAN_USE_HEAP, CAN_USE_HEAP);
	assert_int_equal(BOOT_XLF_KERNEL_64, XLF_KERNEL_64);
	assert_int_equal(BOOT_XLF_CAN_BE_LOADED_ABOVE_4G,
			 XLF_CAN_BE_LOADED_ABOVE_4G);
	assert_int_equal(BOOT_E820_MAX, E820_MAX_ENTRIES_ZEROPAGE);
}

/* ------------------------------------------------ synthetic bzImage --- */

struct bz {
	uint8_t *b;
	size_t len;
};

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* A protocol 2.15 relocatable 64-bit bzImage, as Debian's is shaped. */
static struct bz make_bz(void)
{
	struct bz k = { .len = PM_OFF + PM_LEN + TRAILER };
	uint8_t *b;

	k.b = b = calloc(1, k.len);
	assert_non_null(b);
	b[0x1ef] = IMG_SENTINEL;		/* must not reach boot_params */
	b[0x1f1] = SETUP_SECTS;
	put32(b + 0x1f4, PM_LEN / 16);		/* syssize */
	put16(b + 0x1fa, 0xffff);		/* vid_mode: normal */
	put16(b + 0x1fe, 0xaa55);
	b[0x200] = 0xeb;			/* jmp short over the header */
	b[0x201] = 0x6a;			/* ends at 0x26c */
	memcpy(b + 0x202, "HdrS", 4);
	put16(b + 0x206, 0x020f);
	b[0x211] = LOADED_HIGH | QUIET_FLAG;
	put32(b + 0x214, 0x100000);		/* code32_start */
	put16(b + 0x224, 0x1234);		/* heap_end_ptr */
	put32(b + 0x22c, 0x7fffffff);		/* initrd_addr_max */
	put32(b + 0x230, KALIGN);
	b[0x234] = 1;				/* relocatable */
	b[0x235] = 21;
	put16(b + 0x236, XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G);
	put32(b + 0x238, CMDLINE_SIZE);
	put32(b + 0x248, 0x2cc);		/* payload_offset */
	put32(b + 0x24c, PM_LEN - 0x400);
	put64(b + 0x250, 0xdead000);		/* setup_data: we pass none */
	put64(b + 0x258, PREF);
	put32(b + 0x260, INIT_SIZE);
	put32(b + 0x264, 0x190);		/* handover_offset */
	put32(b + 0x268, 0x2000);		/* kernel_info_offset */
	for (size_t i = 0; i < PM_LEN; i++)
		b[PM_OFF + i] = (uint8_t)(i * 7 + 1) | 1;	/* never 0 */
	memset(b + PM_OFF + PM_LEN, 0xee, TRAILER);
	return k;
}

static uint8_t *new_ram(uint64_t bytes)
{
	uint8_t *ram = calloc(1, bytes);

	assert_non_null(ram);
	return ram;
}

static bool all_zero(const uint8_t *p, uint64_t n)
{
	static const uint8_t zero[4096];

	for (uint64_t off = 0; off < n; off += sizeof(zero)) {
		uint64_t c = n - off < sizeof(zero) ? n - off : sizeof(zero);

		if (memcmp(p + off, zero, c))
			return false;
	}
	return true;
}

static const struct linux_boot_params *
zero_page(const uint8_t *ram, const struct linux_boot_entry *e)
{
	return (const struct linux_boot_params *)(const void *)
	       (ram + e->boot_params);
}

/* Walk 4-level paging from cr3 as the CPU does; ~0 = not mapped. */
static uint64_t walk(const uint8_t *ram, uint64_t cr3, uint64_t va,
		     bool *writable)
{
	uint64_t t = cr3 & ~0xfffull, e;
	static const unsigned int shift[] = { 39, 30, 21, 12 };

	*writable = true;
	for (unsigned int lvl = 0; lvl < 4; lvl++) {
		e = get64(ram + t + ((va >> shift[lvl]) & 511) * 8);
		if (!(e & 1))
			return ~0ull;
		*writable &= !!(e & 2);
		/* PS at the PDPT (1 GiB) or PD (2 MiB) level. */
		if ((lvl == 1 || lvl == 2) && (e & 0x80)) {
			uint64_t mask = (1ull << shift[lvl]) - 1;

			return (e & 0xffffffffff000ull & ~mask) | (va & mask);
		}
		t = e & 0xffffffffff000ull;
	}
	return t | (va & 0xfff);
}

struct seg {
	uint32_t base, limit;
	unsigned int type, s, dpl, p, l, db, g;
};

static struct seg decode(uint64_t d)
{
	return (struct seg){
		.limit = (uint32_t)((d & 0xffff) | ((d >> 48) & 0xf) << 16),
		.base = (uint32_t)(((d >> 16) & 0xffffff) |
				   ((d >> 56) & 0xff) << 24),
		.type = (d >> 40) & 0xf, .s = (d >> 44) & 1,
		.dpl = (d >> 45) & 3, .p = (d >> 47) & 1,
		.l = (d >> 53) & 1, .db = (d >> 54) & 1, .g = (d >> 55) & 1,
	};
}

static int load(uint8_t *ram, uint64_t ram_bytes, const struct bz *k,
		const uint8_t *initrd, size_t initrd_len, const char *cmdline,
		struct linux_boot_entry *e, const char **why)
{
	struct linux_boot_params_in in = {
		.kernel = k->b, .kernel_len = k->len,
		.initrd = initrd, .initrd_len = initrd_len,
		.cmdline = cmdline,
		.acpi_rsdp = 0xf0000, .acpi_start = 0xe0000,
		.acpi_len = 0x10000,
	};

	return linux_boot_load(ram, ram_bytes, &in, e, why);
}

/* ------------------------------------------------------- the load --- */

static void test_load(void **state)
{
	struct bz k = make_bz();
	uint8_t *ram = new_ram(RAM_BYTES);
	uint8_t initrd[3 * 4096 + 100];
	const char *cmd = "console=ttyS0 root=/dev/vda ro";
	struct boot_e820_entry map[LINUX_BOOT_E820_MAX];
	const struct linux_boot_params *bp;
	struct linux_boot_entry e;
	const char *why = "unset";
	unsigned int n;

	(void)state;
	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i * 13 + 5);
	assert_int_equal(load(ram, RAM_BYTES, &k, initrd, sizeof(initrd), cmd,
			      &e, &why), 0);
	assert_null(why);

	/* Relocatable: at pref_address, entered 0x200 in. */
	assert_int_equal(e.kernel_load, PREF);
	assert_int_equal(e.kernel_run, PREF);
	assert_int_equal(e.kernel_end, PREF + INIT_SIZE);
	assert_int_equal(e.rip, PREF + 0x200);
	assert_int_equal(e.rsi, e.boot_params);
	assert_int_equal(e.cs, 0x10);
	assert_int_equal(e.ds, 0x18);
	assert_int_equal(e.version, 0x020f);
	assert_true(e.rsp > 0 && e.rsp <= LINUX_BOOT_LOW_END &&
		    (e.rsp & 0xf) == 0);
	/* syssize bytes loaded, not the trailer after them. */
	assert_memory_equal(ram + PREF, k.b + PM_OFF, PM_LEN);
	assert_true(all_zero(ram + PREF + PM_LEN, TRAILER));

	/* Our tables and data lie in low RAM, apart from each other. */
	assert_true(e.boot_params + 4096 <= LINUX_BOOT_LOW_END);
	assert_true(e.cmdline_addr + CMDLINE_SIZE + 1 <= LINUX_BOOT_LOW_END);
	assert_int_equal(e.boot_params & 0xfff, 0);

	bp = zero_page(ram, &e);
	/* Copied from the image as far as its header goes... */
	assert_memory_equal((const uint8_t *)bp + 0x1f1, k.b + 0x1f1,
			    0x210 - 0x1f1);
	assert_int_equal(bp->hdr.setup_sects, SETUP_SECTS);
	assert_int_equal(bp->hdr.syssize, PM_LEN / 16);
	assert_int_equal(bp->hdr.version, 0x020f);
	assert_int_equal(bp->hdr.kernel_alignment, KALIGN);
	assert_int_equal(bp->hdr.relocatable_kernel, 1);
	assert_int_equal(bp->hdr.initrd_addr_max, 0x7fffffff);
	assert_int_equal(bp->hdr.cmdline_size, CMDLINE_SIZE);
	assert_int_equal(bp->hdr.xloadflags,
			 XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G);
	assert_int_equal(bp->hdr.pref_address, PREF);
	assert_int_equal(bp->hdr.init_size, INIT_SIZE);
	assert_int_equal(bp->hdr.handover_offset, 0x190);
	assert_int_equal(bp->hdr.kernel_info_offset, 0x2000);
	assert_int_equal(bp->hdr.payload_offset, 0x2cc);
	/* ...then what a loader fills in. */
	assert_int_equal(bp->hdr.type_of_loader, 0xff);
	assert_int_equal(bp->hdr.loadflags, LOADED_HIGH | CAN_USE_HEAP);
	assert_int_equal(bp->hdr.heap_end_ptr, 0xfe00);
	assert_int_equal(bp->hdr.code32_start, PREF);
	assert_int_equal(bp->hdr.cmd_line_ptr, e.cmdline_addr);
	assert_int_equal(bp->ext_cmd_line_ptr, 0);
	assert_int_equal(bp->hdr.ramdisk_image, e.initrd_addr);
	assert_int_equal(bp->hdr.ramdisk_size, sizeof(initrd));
	assert_int_equal(bp->ext_ramdisk_image, 0);
	assert_int_equal(bp->ext_ramdisk_size, 0);
	assert_int_equal(bp->hdr.setup_data, 0);
	assert_int_equal(bp->acpi_rsdp_addr, 0xf0000);
	/* The image's sentinel byte stays out; the rest is zero. */
	assert_int_equal(bp->sentinel, 0);
	assert_true(all_zero((const uint8_t *)bp, 0x70));
	assert_true(all_zero((const uint8_t *)bp + 0x78, 0x0c0 - 0x78));
	assert_true(all_zero((const uint8_t *)bp + 0x0cc, 0x1e8 - 0x0cc));
	assert_true(all_zero((const uint8_t *)bp + 0x26c, 0x2d0 - 0x26c));
	n = linux_boot_e820(RAM_BYTES, 0xe0000, 0x10000, 0, map,
			    LINUX_BOOT_E820_MAX);
	assert_int_equal(bp->e820_entries, n);
	assert_memory_equal(bp->e820_table, map, n * sizeof(map[0]));
	assert_true(all_zero((const uint8_t *)&bp->e820_table[n],
			     4096 - 0x2d0 - n * 20));

	/* Command line, NUL-terminated, where cmd_line_ptr says. */
	assert_string_equal((const char *)ram + bp->hdr.cmd_line_ptr, cmd);

	/* initrd: page-aligned, at the top of RAM, above the kernel. */
	assert_int_equal(e.initrd_addr & 0xfff, 0);
	assert_true(e.initrd_addr >= e.kernel_end);
	assert_true(e.initrd_addr + sizeof(initrd) <= RAM_BYTES);
	assert_true(e.initrd_addr + sizeof(initrd) > RAM_BYTES - 4096);
	assert_memory_equal(ram + e.initrd_addr, initrd, sizeof(initrd));
	free(ram);
	free(k.b);
}

static void test_page_tables(void **state)
{
	struct bz k = make_bz();
	uint8_t *ram = new_ram(RAM_BYTES);
	struct linux_boot_entry e;
	const char *why;
	bool w;

	(void)state;
	assert_int_equal(load(ram, RAM_BYTES, &k, (const uint8_t *)"x", 1, "",
			      &e, &why), 0);
	const uint64_t va[] = {
		0, e.gdt_base, e.boot_params, e.cmdline_addr, e.rsp - 8,
		e.cr3, e.rip, e.kernel_run + INIT_SIZE - 1, e.initrd_addr,
		RAM_BYTES - 1, 0x12345678, 0xfec00000, 0xfee00000,
		0xfee00300, 0xfffbc000, 0xffffffff,
	};

	assert_int_equal(e.cr3 & 0xfff, 0);
	assert_true(e.cr3 < LINUX_BOOT_LOW_END);
	for (size_t i = 0; i < sizeof(va) / sizeof(va[0]); i++) {
		assert_int_equal(walk(ram, e.cr3, va[i], &w), va[i]);
		assert_true(w);
	}
	/* 4 GiB and up is not mapped, nor the upper half. */
	assert_int_equal(walk(ram, e.cr3, 1ull << 32, &w), ~0ull);
	assert_int_equal(walk(ram, e.cr3, 0xffffffff80000000ull, &w), ~0ull);
	free(ram);
	free(k.b);
}

static void test_gdt(void **state)
{
	struct bz k = make_bz();
	uint8_t *ram = new_ram(RAM_BYTES);
	struct linux_boot_entry e;
	struct seg cs, ds, tr;
	const char *why;

	(void)state;
	assert_int_equal(load(ram, RAM_BYTES, &k, NULL, 0, NULL, &e, &why), 0);
	assert_true(e.gdt_limit >= 0x1f);
	assert_true(e.gdt_base + e.gdt_limit < LINUX_BOOT_LOW_END);
	assert_int_equal(get64(ram + e.gdt_base), 0);	/* null descriptor */

	cs = decode(get64(ram + e.gdt_base + e.cs));
	assert_int_equal(cs.base, 0);
	assert_int_equal(cs.limit, 0xfffff);
	assert_int_equal(cs.g, 1);
	assert_int_equal(cs.p, 1);
	assert_int_equal(cs.s, 1);
	assert_int_equal(cs.dpl, 0);
	assert_int_equal(cs.type & 0xa, 0xa);		/* code, readable */
	assert_int_equal(cs.l, 1);			/* 64-bit */
	assert_int_equal(cs.db, 0);			/* required with L */

	ds = decode(get64(ram + e.gdt_base + e.ds));
	assert_int_equal(ds.base, 0);
	assert_int_equal(ds.limit, 0xfffff);
	assert_int_equal(ds.g, 1);
	assert_int_equal(ds.p, 1);
	assert_int_equal(ds.s, 1);
	assert_int_equal(ds.dpl, 0);
	assert_int_equal(ds.type & 0xa, 0x2);		/* data, writable */

	/* The TSS: a 16-byte busy 64-bit TSS descriptor. */
	assert_true(e.gdt_limit >= e.tr + 15);
	tr = decode(get64(ram + e.gdt_base + e.tr));
	assert_int_equal(tr.type, 0xb);
	assert_int_equal(tr.s, 0);
	assert_int_equal(tr.p, 1);
	assert_int_equal(tr.base, e.tss_base);
	assert_int_equal(get64(ram + e.gdt_base + e.tr + 8), e.tss_base >> 32);
	assert_int_equal(tr.limit, e.tss_limit);
	assert_true(e.tss_limit >= 0x67);
	assert_true(all_zero(ram + e.tss_base, e.tss_limit + 1));
	/* Nothing overlaps: GDT, TSS, tables, zero page, stack, cmdline. */
	assert_true(e.gdt_base + e.gdt_limit < e.tss_base);
	assert_true(e.tss_base + e.tss_limit < e.cr3);
	assert_true(e.cr3 + 6 * 4096 <= e.boot_params);
	assert_true(e.boot_params + 4096 <= e.rsp - 4096);
	assert_true(e.rsp <= e.cmdline_addr);
	free(ram);
	free(k.b);
}

static void test_no_initrd_no_cmdline(void **state)
{
	struct bz k = make_bz();
	uint8_t *ram = new_ram(RAM_BYTES);
	const struct linux_boot_params *bp;
	struct linux_boot_entry e;
	const char *why;

	(void)state;
	assert_int_equal(load(ram, RAM_BYTES, &k, NULL, 0, NULL, &e, &why), 0);
	bp = zero_page(ram, &e);
	assert_int_equal(e.initrd_addr, 0);
	assert_int_equal(bp->hdr.ramdisk_image, 0);
	assert_int_equal(bp->hdr.ramdisk_size, 0);
	assert_int_equal(bp->hdr.cmd_line_ptr, e.cmdline_addr);
	assert_string_equal((const char *)ram + e.cmdline_addr, "");
	free(ram);
	free(k.b);
}

static void test_setup_sects_zero_means_4(void **state)
{
	struct bz k = { .len = 5 * 512 + PM_LEN };
	struct bz ref = make_bz();
	uint8_t *ram = new_ram(RAM_BYTES);
	struct linux_boot_entry e;
	const char *why;

	(void)state;
	k.b = calloc(1, k.len);
	memcpy(k.b, ref.b, PM_OFF);
	k.b[0x1f1] = 0;
	memcpy(k.b + 5 * 512, ref.b + PM_OFF, PM_LEN);
	assert_int_equal(load(ram, RAM_BYTES, &k, NULL, 0, "", &e, &why), 0);
	assert_memory_equal(ram + e.kernel_load, ref.b + PM_OFF, PM_LEN);
	free(ram);
	free(k.b);
	free(ref.b);
}

static void test_not_relocatable(void **state)
{
	struct bz k = make_bz();
	uint8_t *ram = new_ram(RAM_BYTES);
	const struct linux_boot_params *bp;
	struct linux_boot_entry e;
	const char *why;

	(void)state;
	k.b[0x234] = 0;
	/* kernel_alignment is then irrelevant. */
	put32(k.b + 0x230, 3);
	assert_int_equal(load(ram, RAM_BYTES, &k, NULL, 0, "", &e, &why), 0);
	bp = zero_page(ram, &e);
	assert_int_equal(e.kernel_load, 0x100000);
	assert_int_equal(e.rip, 0x100200);
	/* It moves itself to pref_address; init_size counts from there. */
	assert_int_equal(e.kernel_run, PREF);
	assert_int_equal(e.kernel_end, PREF + INIT_SIZE);
	assert_int_equal(bp->hdr.code32_start, 0x100000);
	assert_memory_equal(ram + 0x100000, k.b + PM_OFF, PM_LEN);
	free(ram);
	free(k.b);
}

static void test_pref_rounded_to_alignment(void **state)
{
	struct bz k = make_bz();
	uint8_t *ram = new_ram(RAM_BYTES);
	struct linux_boot_entry e;
	const char *why;

	(void)state;
	put64(k.b + 0x258, PREF + 0x1000);
	assert_int_equal(load(ram, RAM_BYTES, &k, NULL, 0, "", &e, &why), 0);
	assert_int_equal(e.kernel_load, PREF + KALIGN);
	assert_int_equal(e.kernel_end, PREF + KALIGN + INIT_SIZE);
	free(ram);
	free(k.b);
}

static void test_short_header(void **state)
{
	struct bz k = make_bz();
	uint8_t *ram = new_ram(RAM_BYTES);
	const struct linux_boot_params *bp;
	struct linux_boot_entry e;
	const char *why;

	(void)state;
	/* A 2.12-sized header (to 0x268): kernel_info_offset not copied. */
	k.b[0x201] = 0x66;
	put16(k.b + 0x206, 0x020c);
	assert_int_equal(load(ram, RAM_BYTES, &k, NULL, 0, "", &e, &why), 0);
	bp = zero_page(ram, &e);
	assert_int_equal(bp->hdr.handover_offset, 0x190);
	assert_int_equal(bp->hdr.kernel_info_offset, 0);
	/* Before 2.14 the RSDP address is left to the BIOS-area scan. */
	assert_int_equal(bp->acpi_rsdp_addr, 0);
	free(ram);
	free(k.b);
}

static void test_acpi_high(void **state)
{
	struct bz k = make_bz();
	uint8_t *ram = new_ram(RAM_BYTES);
	static uint8_t initrd[2 * 4096];
	const struct linux_boot_params *bp;
	struct linux_boot_params_in in = {
		.kernel = k.b, .kernel_len = k.len, .initrd = initrd,
		.initrd_len = sizeof(initrd), .cmdline = "",
		.acpi_start = RAM_BYTES - 0x10000, .acpi_len = 0x10000,
		.acpi_rsdp = RAM_BYTES - 0x10000,
	};
	struct linux_boot_entry e;
	const char *why;
	bool acpi = false;

	(void)state;
	memset(initrd, 0x5a, sizeof(initrd));
	assert_int_equal(linux_boot_load(ram, RAM_BYTES, &in, &e, &why), 0);
	bp = zero_page(ram, &e);
	/* The initrd goes under the tables, which e820 marks ACPI. */
	assert_int_equal(e.initrd_addr, RAM_BYTES - 0x10000 - sizeof(initrd));
	assert_int_equal(bp->acpi_rsdp_addr, RAM_BYTES - 0x10000);
	for (unsigned int i = 0; i < bp->e820_entries; i++)
		if (bp->e820_table[i].type == 3) {
			assert_int_equal(bp->e820_table[i].addr,
					 RAM_BYTES - 0x10000);
			assert_int_equal(bp->e820_table[i].size, 0x10000);
			acpi = true;
		}
	assert_true(acpi);
	free(ram);
	free(k.b);
}

/* ------------------------------------------------------------ e820 --- */

static unsigned int type_at(const struct boot_e820_entry *m, unsigned int n,
			    uint64_t a)
{
	for (unsigned int i = 0; i < n; i++)
		if (a >= m[i].addr && a - m[i].addr < m[i].size)
			return m[i].type;
	return 0;
}

static void check_map(const struct boot_e820_entry *m, unsigned int n,
		      uint64_t ram)
{
	assert_true(n > 0);
	for (unsigned int i = 0; i < n; i++) {
		assert_true(m[i].size > 0);
		assert_true(m[i].type >= 1 && m[i].type <= 3);
		if (i)	/* sorted, no overlap */
			assert_true(m[i - 1].addr + m[i - 1].size <=
				    m[i].addr);
	}
	assert_int_equal(type_at(m, n, 0), 1);
	assert_int_equal(type_at(m, n, 0x9efff), 1);
	assert_int_equal(type_at(m, n, 0x9f000), 2);
	assert_int_equal(type_at(m, n, 0xa0000), 2);	/* VGA */
	assert_int_equal(type_at(m, n, 0xe0000), 2);	/* BIOS area */
	assert_int_equal(type_at(m, n, 0xfffff), 2);
	assert_int_equal(type_at(m, n, 0x100000), 1);
	assert_int_equal(type_at(m, n, ram - 1), 1);
	/* Between RAM and the MMIO window: nothing. */
	if (ram < 0xfc000000)
		assert_int_equal(type_at(m, n, ram), 0);
	assert_int_equal(type_at(m, n, 0xfc000000), 2);
	assert_int_equal(type_at(m, n, 0xfec00000), 2);	/* IOAPIC */
	assert_int_equal(type_at(m, n, 0xfee00000), 2);	/* LAPIC */
	assert_int_equal(type_at(m, n, 0xfffbc000), 2);	/* KVM TSS */
	assert_int_equal(type_at(m, n, 0xffffffff), 2);
	assert_int_equal(type_at(m, n, 1ull << 32), 0);
}

static void test_e820(void **state)
{
	struct boot_e820_entry m[LINUX_BOOT_E820_MAX + 2];
	unsigned int n;

	(void)state;
	/* ACPI in the BIOS area: no entry of its own. */
	n = linux_boot_e820(RAM_BYTES, 0xe0000, 0x20000, 0, m,
			    LINUX_BOOT_E820_MAX);
	assert_int_equal(n, 4);
	check_map(m, n, RAM_BYTES);
	n = linux_boot_e820(RAM_BYTES, 0, 0, 0, m, LINUX_BOOT_E820_MAX);
	assert_int_equal(n, 4);
	check_map(m, n, RAM_BYTES);
	/* The largest RAM: touching the MMIO window. */
	n = linux_boot_e820(0xfc000000, 0, 0, 0, m, LINUX_BOOT_E820_MAX);
	check_map(m, n, 0xfc000000);

	/* ACPI in high RAM: RAM split around a type 3 entry. */
	n = linux_boot_e820(RAM_BYTES, 8 * MiB, 0x3000, 0, m,
			    LINUX_BOOT_E820_MAX);
	assert_int_equal(n, 6);
	check_map(m, n, RAM_BYTES);
	assert_int_equal(type_at(m, n, 8 * MiB - 1), 1);
	assert_int_equal(type_at(m, n, 8 * MiB), 3);
	assert_int_equal(type_at(m, n, 8 * MiB + 0x2fff), 3);
	assert_int_equal(type_at(m, n, 8 * MiB + 0x3000), 1);
	/* At either end of high RAM. */
	n = linux_boot_e820(RAM_BYTES, 0x100000, 0x1000, 0, m, 5);
	assert_int_equal(n, 5);
	assert_int_equal(type_at(m, n, 0x100000), 3);
	assert_int_equal(type_at(m, n, 0x101000), 1);
	n = linux_boot_e820(RAM_BYTES, RAM_BYTES - 0x1000, 0x1000, 0, m, 5);
	assert_int_equal(n, 5);
	assert_int_equal(type_at(m, n, RAM_BYTES - 0x1001), 1);
	assert_int_equal(type_at(m, n, RAM_BYTES - 1), 3);

	/* Refused: no room, RAM out of range, ACPI nowhere sensible. */
	assert_int_equal(linux_boot_e820(RAM_BYTES, 0, 0, 0, m, 3), 0);
	assert_int_equal(linux_boot_e820(RAM_BYTES, 8 * MiB, 1, 0, m, 5), 0);
	assert_int_equal(linux_boot_e820(0x100000, 0, 0, 0, m, 6), 0);
	assert_int_equal(linux_boot_e820(0xfc001000, 0, 0, 0, m, 6), 0);
	assert_int_equal(linux_boot_e820(RAM_BYTES, 0x50000, 0x100, 0, m, 6), 0);
	assert_int_equal(linux_boot_e820(RAM_BYTES, 0xff000, 0x2000, 0, m, 6), 0);
	assert_int_equal(linux_boot_e820(RAM_BYTES, RAM_BYTES - 0x1000,
					 0x1001, 0, m, 6), 0);
	assert_int_equal(linux_boot_e820(RAM_BYTES, RAM_BYTES, 0x1000, 0, m, 6),
			 0);
	assert_int_equal(linux_boot_e820(RAM_BYTES, 0xe0000, ~0ull, 0, m, 6), 0);
	assert_int_equal(linux_boot_e820(RAM_BYTES, 0x200000, ~0ull, 0, m, 6), 0);
}

/*
 * The toolstack's ring pages at the top of RAM: reserved in e820, and
 * the initrd that would go to RAM's top goes below them.
 */
static void test_top_reserved(void **state)
{
	struct bz k = make_bz();
	uint8_t *ram = new_ram(RAM_BYTES);
	uint8_t initrd[2 * 4096];
	struct boot_e820_entry m[LINUX_BOOT_E820_MAX];
	struct linux_boot_params_in in = {
		.kernel = k.b, .kernel_len = k.len,
		.initrd = initrd, .initrd_len = sizeof(initrd),
		.acpi_rsdp = 0xf0000, .acpi_start = 0xe0000,
		.acpi_len = 0x10000, .top_reserved = 0x2000,
	};
	const struct linux_boot_params *bp;
	struct linux_boot_entry e;
	const char *why;
	unsigned int n;

	(void)state;
	memset(initrd, 0x5c, sizeof(initrd));
	n = linux_boot_e820(RAM_BYTES, 0, 0, 0x2000, m, LINUX_BOOT_E820_MAX);
	assert_int_equal(n, 5);
	assert_int_equal(type_at(m, n, RAM_BYTES - 0x2001), 1);
	assert_int_equal(type_at(m, n, RAM_BYTES - 0x2000), 2);
	assert_int_equal(type_at(m, n, RAM_BYTES - 1), 2);
	assert_int_equal(type_at(m, n, RAM_BYTES), 0);
	/* With ACPI in high RAM too: all seven entries. */
	n = linux_boot_e820(RAM_BYTES, 8 * MiB, 0x3000, 0x2000, m,
			    LINUX_BOOT_E820_MAX);
	assert_int_equal(n, 7);
	assert_int_equal(type_at(m, n, RAM_BYTES - 0x1000), 2);
	/* Not whole pages, all of RAM, ACPI inside the reserved top. */
	assert_int_equal(linux_boot_e820(RAM_BYTES, 0, 0, 0x1800, m, 7), 0);
	assert_int_equal(linux_boot_e820(RAM_BYTES, 0, 0, RAM_BYTES, m, 7), 0);
	assert_int_equal(linux_boot_e820(RAM_BYTES, RAM_BYTES - 0x1000, 0x1000,
					 0x2000, m, 7), 0);

	assert_int_equal(linux_boot_load(ram, RAM_BYTES, &in, &e, &why), 0);
	assert_true(e.initrd_addr + sizeof(initrd) <= RAM_BYTES - 0x2000);
	assert_true(e.initrd_addr + sizeof(initrd) > RAM_BYTES - 0x3000);
	bp = (const struct linux_boot_params *)(ram + e.boot_params);
	n = bp->e820_entries;
	assert_true(n <= LINUX_BOOT_E820_MAX);
	memcpy(m, bp->e820_table, n * sizeof(m[0]));
	assert_int_equal(type_at(m, n, RAM_BYTES - 0x2000), 2);
	in.top_reserved = 0x800;
	assert_int_equal(linux_boot_load(ram, RAM_BYTES, &in, &e, &why),
			 -EINVAL);
	in.top_reserved = RAM_BYTES;
	assert_int_equal(linux_boot_load(ram, RAM_BYTES, &in, &e, &why),
			 -EINVAL);
	free(ram);
	free(k.b);
}

/* -------------------------------------------------------- refusals --- */

struct refusal {
	int rc;
	const char *msg;		/* a substring of *why */
};

static void refused(uint8_t *ram, uint64_t ram_bytes,
		    const struct linux_boot_params_in *in, struct refusal r)
{
	struct linux_boot_entry e;
	const char *why = NULL;

	assert_int_equal(linux_boot_load(ram, ram_bytes, in, &e, &why), r.rc);
	assert_non_null(why);
	if (!strstr(why, r.msg))
		fail_msg("why = \"%s\", wanted \"%s\"", why, r.msg);
	/* Nothing written on the way out. */
	assert_true(all_zero(ram, RAM_BYTES));
}

/* Load k, broken by f, into RAM_BYTES; expect r. */
static void refuse_bz(void (*f)(struct bz *), struct refusal r)
{
	struct bz k = make_bz();
	uint8_t *ram = new_ram(RAM_BYTES);
	struct linux_boot_params_in in = { .cmdline = "" };

	f(&k);
	in.kernel = k.b;
	in.kernel_len = k.len;
	refused(ram, RAM_BYTES, &in, r);
	free(ram);
	free(k.b);
}

static void no_hdrs(struct bz *k) { k->b[0x202] = 'h'; }
static void no_aa55(struct bz *k) { k->b[0x1fe] = 0; }
static void tiny(struct bz *k) { k->len = 0x26b; }
static void v2_11(struct bz *k) { put16(k->b + 0x206, 0x020b); }
static void v1(struct bz *k) { put16(k->b + 0x206, 0x0100); }
static void zimage(struct bz *k) { k->b[0x211] = 0; }
static void not64(struct bz *k) { put16(k->b + 0x236, 0x2); }
static void hdr_short(struct bz *k) { k->b[0x201] = 0x5f; }
static void sects_huge(struct bz *k) { k->b[0x1f1] = 0xff; }
static void sects_at_end(struct bz *k) { k->len = PM_OFF; }
static void sys_zero(struct bz *k) { put32(k->b + 0x1f4, 0); }
static void sys_tiny(struct bz *k) { put32(k->b + 0x1f4, 0x20); }
static void sys_past(struct bz *k)
{
	put32(k->b + 0x1f4, (PM_LEN + TRAILER) / 16 + 1);
}
static void sys_huge(struct bz *k) { put32(k->b + 0x1f4, 0xffffffff); }
static void init0(struct bz *k) { put32(k->b + 0x260, 0); }
static void init_4g(struct bz *k) { put32(k->b + 0x260, 0xffffffff); }
static void init_4g_page(struct bz *k) { put32(k->b + 0x260, 0xfffff000); }
static void init_1_over(struct bz *k)
{
	put32(k->b + 0x260, RAM_BYTES - PREF + 1);
}
static void pref_low(struct bz *k) { put64(k->b + 0x258, 0x80000); }
static void pref_mmio(struct bz *k) { put64(k->b + 0x258, 0xfc000000); }
static void pref_huge(struct bz *k) { put64(k->b + 0x258, ~0ull); }
static void pref_top(struct bz *k)
{
	/* Aligned up to 2 GiB it would wrap a 32-bit sum; not ours. */
	put64(k->b + 0x258, 0xfbffffff);
	put32(k->b + 0x230, 0x80000000);
}
static void align0(struct bz *k) { put32(k->b + 0x230, 0); }
static void align3m(struct bz *k) { put32(k->b + 0x230, 3 * MiB); }

static void test_refusals_image(void **state)
{
	const struct refusal bad = { -EINVAL, "not a bzImage" };
	const struct refusal old = { -ENOTSUP, "older than 2.12" };
	const struct refusal fit = { -E2BIG, "does not fit in guest RAM" };
	const struct refusal sys = { -EINVAL, "syssize" };

	(void)state;
	refuse_bz(no_hdrs, bad);
	refuse_bz(no_aa55, bad);
	refuse_bz(tiny, bad);
	refuse_bz(v2_11, old);
	refuse_bz(v1, old);
	refuse_bz(zimage, (struct refusal){ -EINVAL, "zImage" });
	refuse_bz(not64, (struct refusal){ -ENOTSUP, "not 64-bit" });
	refuse_bz(hdr_short, (struct refusal){ -EINVAL, "header shorter" });
	refuse_bz(sects_huge, (struct refusal){ -EINVAL, "setup_sects" });
	refuse_bz(sects_at_end, (struct refusal){ -EINVAL, "setup_sects" });
	refuse_bz(sys_zero, sys);
	refuse_bz(sys_tiny, sys);
	refuse_bz(sys_past, sys);
	refuse_bz(sys_huge, sys);
	refuse_bz(init0, (struct refusal){ -EINVAL, "init_size" });
	refuse_bz(init_4g, fit);
	refuse_bz(init_4g_page, fit);
	refuse_bz(init_1_over, fit);
	refuse_bz(pref_low, (struct refusal){ -EINVAL, "pref_address" });
	refuse_bz(pref_mmio, (struct refusal){ -EINVAL, "pref_address" });
	refuse_bz(pref_huge, (struct refusal){ -EINVAL, "pref_address" });
	refuse_bz(pref_top, fit);
	refuse_bz(align0, (struct refusal){ -EINVAL, "power of two" });
	refuse_bz(align3m, (struct refusal){ -EINVAL, "power of two" });
}

static void init_exact(struct bz *k)
{
	put32(k->b + 0x260, RAM_BYTES - PREF);
}

static void test_init_size_exact_fit(void **state)
{
	struct bz k = make_bz();
	uint8_t *ram = new_ram(RAM_BYTES);
	struct linux_boot_entry e;
	const char *why;

	(void)state;
	init_exact(&k);
	assert_int_equal(load(ram, RAM_BYTES, &k, NULL, 0, "", &e, &why), 0);
	assert_int_equal(e.kernel_end, RAM_BYTES);
	free(ram);
	free(k.b);
}

static void test_cmdline_size(void **state)
{
	struct bz k = make_bz();
	uint8_t *ram = new_ram(RAM_BYTES);
	struct linux_boot_params_in in = { .kernel = k.b, .kernel_len = k.len };
	struct linux_boot_entry e;
	char *cmd = malloc(LINUX_BOOT_CMDLINE_MAX + 1);
	const struct refusal too_long = { -E2BIG, "cmdline_size" };
	const char *why;

	(void)state;
	/* Exactly cmdline_size bytes (NUL not counted) is fine... */
	memset(cmd, 'a', CMDLINE_SIZE);
	cmd[CMDLINE_SIZE] = 0;
	in.cmdline = cmd;
	assert_int_equal(linux_boot_load(ram, RAM_BYTES, &in, &e, &why), 0);
	assert_int_equal(strlen((char *)ram + e.cmdline_addr), CMDLINE_SIZE);
	assert_memory_equal(ram + e.cmdline_addr, cmd, CMDLINE_SIZE + 1);
	/* ...one more is not. */
	memset(ram, 0, RAM_BYTES);
	cmd[CMDLINE_SIZE] = 'a';
	cmd[CMDLINE_SIZE + 1] = 0;
	refused(ram, RAM_BYTES, &in, too_long);

	/* A huge cmdline_size is bounded by our buffer. */
	put32(k.b + 0x238, 0xffffffff);
	memset(cmd, 'b', LINUX_BOOT_CMDLINE_MAX);
	cmd[LINUX_BOOT_CMDLINE_MAX] = 0;
	refused(ram, RAM_BYTES, &in, too_long);
	cmd[LINUX_BOOT_CMDLINE_MAX - 1] = 0;
	assert_int_equal(linux_boot_load(ram, RAM_BYTES, &in, &e, &why), 0);
	assert_int_equal(strlen((char *)ram + e.cmdline_addr),
			 LINUX_BOOT_CMDLINE_MAX - 1);
	assert_true(e.cmdline_addr + LINUX_BOOT_CMDLINE_MAX <=
		    LINUX_BOOT_LOW_END);
	free(cmd);
	free(ram);
	free(k.b);
}

static void test_refusals_initrd(void **state)
{
	struct bz k = make_bz();
	uint8_t *ram = new_ram(RAM_BYTES);
	struct linux_boot_params_in in = {
		.kernel = k.b, .kernel_len = k.len, .cmdline = "",
	};
	const struct refusal r = { -E2BIG, "initrd does not fit" };
	uint8_t *big = calloc(1, RAM_BYTES + 4096);
	struct linux_boot_entry e;
	const char *why;

	(void)state;
	in.initrd = big;
	/* Larger than RAM; larger than the room above the kernel. */
	in.initrd_len = RAM_BYTES + 1;
	refused(ram, RAM_BYTES, &in, r);
	in.initrd_len = RAM_BYTES - (PREF + INIT_SIZE) + 1;
	refused(ram, RAM_BYTES, &in, r);
	in.initrd_len = SIZE_MAX;
	refused(ram, RAM_BYTES, &in, r);
	/* Exactly the room above the kernel fits. */
	in.initrd_len = RAM_BYTES - (PREF + INIT_SIZE);
	assert_int_equal(linux_boot_load(ram, RAM_BYTES, &in, &e, &why), 0);
	assert_int_equal(e.initrd_addr, PREF + INIT_SIZE);
	memset(ram, 0, RAM_BYTES);
	/* initrd_addr_max below the kernel's end. */
	put32(k.b + 0x22c, PREF + INIT_SIZE - 1);
	in.initrd_len = 1;
	refused(ram, RAM_BYTES, &in, r);
	/* A length without data. */
	put32(k.b + 0x22c, 0x7fffffff);
	in.initrd = NULL;
	refused(ram, RAM_BYTES, &in, r);
	free(big);
	free(ram);
	free(k.b);
}

static void test_initrd_addr_max(void **state)
{
	struct bz k = make_bz();
	uint8_t *ram = new_ram(RAM_BYTES);
	uint8_t initrd[100] = { 1 };
	static uint8_t big[4096];
	struct linux_boot_entry e;
	const char *why;

	(void)state;
	/* The last byte may sit at initrd_addr_max itself. */
	put32(k.b + 0x22c, 24 * MiB - 1);
	assert_int_equal(load(ram, RAM_BYTES, &k, initrd, sizeof(initrd), "",
			      &e, &why), 0);
	assert_int_equal(e.initrd_addr, 24 * MiB - 4096);
	assert_true(e.initrd_addr + sizeof(initrd) - 1 <= 24 * MiB - 1);
	/* A whole page ending on it exactly. */
	memset(ram, 0, RAM_BYTES);
	assert_int_equal(load(ram, RAM_BYTES, &k, big, sizeof(big), "", &e,
			      &why), 0);
	assert_int_equal(e.initrd_addr, 24 * MiB - 4096);
	free(ram);
	free(k.b);
}

/* An image claiming less init_size than its own code. */
static void test_init_size_below_code(void **state)
{
	struct bz k = make_bz();
	uint8_t *ram = new_ram(RAM_BYTES);
	uint8_t initrd[4096] = { 1 };
	struct linux_boot_entry e;
	const char *why;

	(void)state;
	put32(k.b + 0x260, 0x1000);
	put32(k.b + 0x22c, PREF + PM_LEN + 4096 - 1);
	assert_int_equal(load(ram, RAM_BYTES, &k, initrd, sizeof(initrd), "",
			      &e, &why), 0);
	assert_int_equal(e.kernel_end, PREF + PM_LEN);
	assert_int_equal(e.initrd_addr, PREF + PM_LEN);
	memset(ram, 0, RAM_BYTES);
	put32(k.b + 0x22c, PREF + PM_LEN + 4096 - 2);
	refused(ram, RAM_BYTES, &(struct linux_boot_params_in){
			.kernel = k.b, .kernel_len = k.len,
			.initrd = initrd, .initrd_len = sizeof(initrd) },
		(struct refusal){ -E2BIG, "initrd does not fit" });
	free(ram);
	free(k.b);
}

/* A header claiming to run past 0x26c: no more than ours is copied. */
static void test_long_header(void **state)
{
	struct bz k = make_bz();
	uint8_t *ram = new_ram(RAM_BYTES);
	const struct linux_boot_params *bp;
	struct linux_boot_entry e;
	const char *why;

	(void)state;
	k.b[0x201] = 0xff;
	memset(k.b + 0x26c, 0x77, 0x301 - 0x26c);
	assert_int_equal(load(ram, RAM_BYTES, &k, NULL, 0, "", &e, &why), 0);
	bp = zero_page(ram, &e);
	assert_int_equal(bp->hdr.kernel_info_offset, 0x2000);
	assert_true(all_zero((const uint8_t *)bp + 0x26c, 0x2d0 - 0x26c));
	assert_int_equal(bp->e820_table[0].type, 1);
	free(ram);
	free(k.b);
}

/* RAM that held something before (a reboot): our pieces are whole. */
static void test_dirty_ram(void **state)
{
	struct bz k = make_bz();
	uint8_t *ram = new_ram(RAM_BYTES);
	const struct linux_boot_params *bp;
	struct linux_boot_entry e;
	const char *why;
	bool w;

	(void)state;
	memset(ram, 0xaa, RAM_BYTES);
	assert_int_equal(load(ram, RAM_BYTES, &k, NULL, 0, "quiet", &e, &why),
			 0);
	bp = zero_page(ram, &e);
	assert_string_equal((const char *)ram + e.cmdline_addr, "quiet");
	assert_int_equal(bp->hdr.ramdisk_image, 0);
	/* Zero but for acpi_rsdp_addr (0x70) and e820_entries (0x1e8). */
	assert_true(all_zero((const uint8_t *)bp, 0x70));
	assert_true(all_zero((const uint8_t *)bp + 0x78, 0x1e8 - 0x78));
	assert_true(all_zero((const uint8_t *)bp + 0x1e9, 0x1f1 - 0x1e9));
	assert_true(all_zero((const uint8_t *)bp + 0x26c, 0x2d0 - 0x26c));
	assert_int_equal(get64(ram + e.gdt_base), 0);
	assert_int_equal(get64(ram + e.gdt_base + 8), 0);
	assert_true(all_zero(ram + e.tss_base, e.tss_limit + 1));
	assert_int_equal(walk(ram, e.cr3, 0xfee00000, &w), 0xfee00000);
	assert_int_equal(walk(ram, e.cr3, e.rip, &w), e.rip);
	assert_int_equal(walk(ram, e.cr3, 1ull << 32, &w), ~0ull);
	assert_int_equal(walk(ram, e.cr3, 1ull << 39, &w), ~0ull);
	free(ram);
	free(k.b);
}

static void test_refusals_platform(void **state)
{
	struct bz k = make_bz();
	uint8_t *ram = new_ram(RAM_BYTES);
	struct linux_boot_params_in in = {
		.kernel = k.b, .kernel_len = k.len, .cmdline = "",
	};
	const struct refusal acpi = { -EINVAL, "ACPI tables outside" };

	(void)state;
	/* RAM into the MMIO window, or not even 1 MiB (no access made). */
	refused(ram, 0xfc001000, &in,
		(struct refusal){ -EINVAL, "0xfc000000" });
	refused(ram, 0x100000, &in, (struct refusal){ -EINVAL, "1 MiB" });
	/* Too little RAM for the kernel at 16 MiB + init_size. */
	refused(ram, PREF + INIT_SIZE - 4096, &in,
		(struct refusal){ -E2BIG, "does not fit in guest RAM" });
	in.kernel = NULL;
	refused(ram, RAM_BYTES, &in, (struct refusal){ -EINVAL, "bzImage" });
	in.kernel = k.b;

	in.acpi_start = 0x50000;	/* in low RAM */
	in.acpi_len = 0x1000;
	refused(ram, RAM_BYTES, &in, acpi);
	in.acpi_start = RAM_BYTES;	/* past RAM */
	refused(ram, RAM_BYTES, &in, acpi);
	in.acpi_start = PREF + 0x1000;	/* inside the kernel's init_size */
	refused(ram, RAM_BYTES, &in,
		(struct refusal){ -EINVAL, "overlap the kernel" });
	in.acpi_start = 0xe0000;
	in.acpi_rsdp = 0x50000;
	refused(ram, RAM_BYTES, &in, (struct refusal){ -EINVAL, "RSDP" });
	in.acpi_start = 0x200000;
	in.acpi_rsdp = 0x201000;
	refused(ram, RAM_BYTES, &in, (struct refusal){ -EINVAL, "RSDP" });
	free(ram);
	free(k.b);
}

/* --------------------------------------- a real kernel, by hand only --- */

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	p = malloc(n);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, n, f), (size_t)n);
	fclose(f);
	*len = n;
	return p;
}

static void test_real_kernel(void **state)
{
	const char *kpath = getenv("LINUX_BOOT_KERNEL");
	const char *ipath = getenv("LINUX_BOOT_INITRD");
	const uint64_t ram_bytes = 256 * MiB;
	uint8_t *ram = new_ram(ram_bytes);
	struct linux_boot_params_in in = {
		.cmdline = "console=ttyS0 earlyprintk=ttyS0 panic=-1",
		.acpi_rsdp = 0xe0000, .acpi_start = 0xe0000,
		.acpi_len = 0x20000,
	};
	const struct linux_boot_params *bp;
	struct linux_boot_entry e;
	const char *why;
	bool w;

	(void)state;
	in.kernel = slurp(kpath, &in.kernel_len);
	if (ipath)
		in.initrd = slurp(ipath, &in.initrd_len);
	assert_int_equal(linux_boot_load(ram, ram_bytes, &in, &e, &why), 0);
	bp = zero_page(ram, &e);
	printf("%s: %zu bytes, protocol %u.%02u, setup_sects %u, "
	       "syssize %#x (%#x bytes), relocatable %u, "
	       "kernel_alignment %#x, pref_address %#llx, init_size %#x, "
	       "initrd_addr_max %#x, cmdline_size %#x, xloadflags %#x\n",
	       kpath, in.kernel_len, e.version >> 8, e.version & 0xff,
	       bp->hdr.setup_sects, bp->hdr.syssize, bp->hdr.syssize * 16,
	       bp->hdr.relocatable_kernel, bp->hdr.kernel_alignment,
	       (unsigned long long)bp->hdr.pref_address, bp->hdr.init_size,
	       bp->hdr.initrd_addr_max, bp->hdr.cmdline_size,
	       bp->hdr.xloadflags);
	printf("loaded at %#llx (runs at %#llx, ends %#llx), entry %#llx, "
	       "boot_params %#llx, cmdline %#llx, initrd %#llx+%#zx\n",
	       (unsigned long long)e.kernel_load,
	       (unsigned long long)e.kernel_run,
	       (unsigned long long)e.kernel_end, (unsigned long long)e.rip,
	       (unsigned long long)e.boot_params,
	       (unsigned long long)e.cmdline_addr,
	       (unsigned long long)e.initrd_addr, in.initrd_len);
	assert_int_equal(walk(ram, e.cr3, e.rip, &w), e.rip);
	assert_memory_equal(ram + e.kernel_load,
			    in.kernel + (bp->hdr.setup_sects + 1) * 512,
			    bp->hdr.syssize * 16);
	if (ipath)
		assert_memory_equal(ram + e.initrd_addr, in.initrd,
				    in.initrd_len);
	free((void *)in.kernel);
	free((void *)in.initrd);
	free(ram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abi),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_page_tables),
		cmocka_unit_test(test_gdt),
		cmocka_unit_test(test_no_initrd_no_cmdline),
		cmocka_unit_test(test_setup_sects_zero_means_4),
		cmocka_unit_test(test_not_relocatable),
		cmocka_unit_test(test_pref_rounded_to_alignment),
		cmocka_unit_test(test_short_header),
		cmocka_unit_test(test_acpi_high),
		cmocka_unit_test(test_e820),
		cmocka_unit_test(test_top_reserved),
		cmocka_unit_test(test_refusals_image),
		cmocka_unit_test(test_init_size_exact_fit),
		cmocka_unit_test(test_cmdline_size),
		cmocka_unit_test(test_refusals_initrd),
		cmocka_unit_test(test_initrd_addr_max),
		cmocka_unit_test(test_init_size_below_code),
		cmocka_unit_test(test_long_header),
		cmocka_unit_test(test_dirty_ram),
		cmocka_unit_test(test_refusals_platform),
	};
	const struct CMUnitTest real[] = {
		cmocka_unit_test(test_real_kernel),
	};

	/* Only when asked: a real kernel is not part of make check. */
	if (getenv("LINUX_BOOT_KERNEL"))
		return cmocka_run_group_tests(real, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
