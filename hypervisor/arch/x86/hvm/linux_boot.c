// SPDX-License-Identifier: MIT
/*
 * Direct Linux boot for HVM guests (the 64-bit boot protocol of
 * Documentation/arch/x86/boot.rst): the bzImage's protected-mode part at
 * its preferred address, a zero page built from the image's setup
 * header, the command line, the initrd as high as the kernel allows, a
 * GDT with __BOOT_CS/__BOOT_DS and page tables identity-mapping 4 GiB.
 * Everything read from the image is bounded; no KVM here.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "pvisor/bootparam.h"
#include "pvisor/linux_boot.h"

#define LB_PAGE		0x1000ull
#define LB_2M		0x200000ull
#define LB_4G		0x100000000ull

/* Protocol 2.12: xloadflags, hence the 64-bit entry, appear. */
#define MIN_VERSION	0x020c
/* 2.14 and later read boot_params.acpi_rsdp_addr. */
#define RSDP_VERSION	0x020e
/* The 64-bit entry is 0x200 into the protected-mode part. */
#define ENTRY_64	0x200
#define SH_END(f)	(BOOT_HDR_OFFSET + offsetof(struct setup_header, f) + \
			 sizeof(((struct setup_header *)0)->f))

#define PTE_P		0x1ull
#define PTE_RW		0x2ull
#define PTE_PS		0x80ull

/* Flat 4 GiB descriptors, accessed bit preset so the CPU never writes. */
#define GDT_CODE64	0x00af9b000000ffffull	/* G, L, P, DPL0, exec/read */
#define GDT_DATA	0x00cf93000000ffffull	/* G, D/B, P, DPL0, writable */
#define TSS_LIMIT	0x67u

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));	/* x86 guest, x86 host: little-endian */
}

static bool acpi_in_bios(uint64_t start, uint64_t len)
{
	return start >= LINUX_BOOT_BIOS && start < LINUX_BOOT_HIGH &&
	       len <= LINUX_BOOT_HIGH - start;
}

unsigned int linux_boot_e820(uint64_t ram_bytes, uint64_t acpi_start,
			     uint64_t acpi_len, uint64_t top_reserved,
			     struct boot_e820_entry *e, unsigned int max)
{
	struct boot_e820_entry m[LINUX_BOOT_E820_MAX];
	uint64_t top = ram_bytes - top_reserved;
	unsigned int n = 0;
	bool acpi_high = false;

	if (ram_bytes <= LINUX_BOOT_HIGH || ram_bytes > LINUX_BOOT_MMIO_BASE)
		return 0;
	/* The reserved top is whole pages and leaves RAM above 1 MiB. */
	if ((top_reserved & (LB_PAGE - 1)) || top_reserved >= ram_bytes ||
	    top <= LINUX_BOOT_HIGH)
		return 0;
	if (acpi_len && !acpi_in_bios(acpi_start, acpi_len)) {
		/* Otherwise it must lie in RAM above 1 MiB. */
		if (acpi_start < LINUX_BOOT_HIGH || acpi_start >= top ||
		    acpi_len > top - acpi_start)
			return 0;
		acpi_high = true;
	}

	m[n++] = (struct boot_e820_entry){ 0, LINUX_BOOT_LOW_END,
					   BOOT_E820_RAM };
	/* VGA hole, option ROMs, BIOS area (where ACPI may live). */
	m[n++] = (struct boot_e820_entry){ LINUX_BOOT_LOW_END,
		LINUX_BOOT_HIGH - LINUX_BOOT_LOW_END, BOOT_E820_RESERVED };
	if (acpi_high) {
		uint64_t acpi_end = acpi_start + acpi_len;

		if (acpi_start > LINUX_BOOT_HIGH)
			m[n++] = (struct boot_e820_entry){ LINUX_BOOT_HIGH,
				acpi_start - LINUX_BOOT_HIGH, BOOT_E820_RAM };
		m[n++] = (struct boot_e820_entry){ acpi_start, acpi_len,
						   BOOT_E820_ACPI };
		if (acpi_end < top)
			m[n++] = (struct boot_e820_entry){ acpi_end,
				top - acpi_end, BOOT_E820_RAM };
	} else {
		m[n++] = (struct boot_e820_entry){ LINUX_BOOT_HIGH,
			top - LINUX_BOOT_HIGH, BOOT_E820_RAM };
	}
	if (top_reserved)
		m[n++] = (struct boot_e820_entry){ top, top_reserved,
						   BOOT_E820_RESERVED };
	/* IOAPIC, LAPIC, KVM's TSS and identity map pages, BIOS ROM. */
	m[n++] = (struct boot_e820_entry){ LINUX_BOOT_MMIO_BASE,
		LB_4G - LINUX_BOOT_MMIO_BASE, BOOT_E820_RESERVED };
	if (n > max)
		return 0;
	memcpy(e, m, n * sizeof(m[0]));
	return n;
}

/* [a, a + alen) and [b, b + blen) share a byte. */
static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

static void build_gdt(uint8_t *ram)
{
	uint8_t *g = ram + LINUX_BOOT_GDT;
	uint64_t tss = LINUX_BOOT_TSS;

	memset(g, 0, LB_PAGE);
	put64(g + LINUX_BOOT_CS, GDT_CODE64);
	put64(g + LINUX_BOOT_DS, GDT_DATA);
	/* 16-byte system descriptor: type 0xb (busy 64-bit TSS), present. */
	put64(g + LINUX_BOOT_TR, TSS_LIMIT | (tss & 0xffffff) << 16 |
	      0x8bull << 40 | ((tss >> 24) & 0xff) << 56);
	put64(g + LINUX_BOOT_TR + 8, tss >> 32);
}

static void build_page_tables(uint8_t *ram)
{
	memset(ram + LINUX_BOOT_PML4, 0, 6 * LB_PAGE);
	put64(ram + LINUX_BOOT_PML4, LINUX_BOOT_PDPT | PTE_P | PTE_RW);
	for (unsigned int i = 0; i < 4; i++) {
		uint64_t pd = LINUX_BOOT_PD + i * LB_PAGE;

		put64(ram + LINUX_BOOT_PDPT + i * 8, pd | PTE_P | PTE_RW);
		for (unsigned int j = 0; j < 512; j++)
			put64(ram + pd + j * 8,
			      ((uint64_t)i << 30 | (uint64_t)j << 21) |
			      PTE_P | PTE_RW | PTE_PS);
	}
}

int linux_boot_load(uint8_t *ram, uint64_t ram_bytes,
		    const struct linux_boot_params_in *in,
		    struct linux_boot_entry *out, const char **why)
{
	const uint8_t *img = in->kernel;
	size_t len = in->kernel_len;
	const char *cmdline = in->cmdline ? in->cmdline : "";
	struct boot_e820_entry map[LINUX_BOOT_E820_MAX];
	struct setup_header h;
	struct boot_params bp;
	uint64_t setup_sects, pm_off, pm_len, hdr_end, load, run, end;
	uint64_t cmd_max, clen, initrd = 0, top, usable;
	unsigned int nmap;

	memset(out, 0, sizeof(*out));
	*why = "guest RAM must end between 1 MiB and 0xfc000000";
	if (!ram || ram_bytes <= LINUX_BOOT_HIGH ||
	    ram_bytes > LINUX_BOOT_MMIO_BASE)
		return -EINVAL;
	*why = "the reserved top of RAM is not whole pages above 1 MiB";
	if ((in->top_reserved & (LB_PAGE - 1)) ||
	    in->top_reserved >= ram_bytes - LINUX_BOOT_HIGH)
		return -EINVAL;
	/* What the kernel, its initrd and the e820's RAM may use. */
	usable = ram_bytes - in->top_reserved;

	*why = "not a bzImage (no 0xAA55 boot flag and \"HdrS\" header)";
	if (!img || len < SH_END(kernel_info_offset))
		return -EINVAL;
	memcpy(&h, img + BOOT_HDR_OFFSET, sizeof(h));
	if (h.boot_flag != BOOT_FLAG_MAGIC || h.header != BOOT_HDR_MAGIC)
		return -EINVAL;
	*why = "boot protocol older than 2.12: no 64-bit entry point";
	if (h.version < MIN_VERSION)
		return -ENOTSUP;
	*why = "a zImage (LOADED_HIGH clear), not a bzImage";
	if (!(h.loadflags & BOOT_LOADED_HIGH))
		return -EINVAL;
	*why = "kernel is not 64-bit capable (XLF_KERNEL_64 clear)";
	if (!(h.xloadflags & BOOT_XLF_KERNEL_64))
		return -ENOTSUP;
	/* The header's own length: the jump at 0x200 skips over it. */
	hdr_end = 0x202 + img[0x201];
	*why = "setup header shorter than protocol 2.12's";
	if (hdr_end < SH_END(init_size))
		return -EINVAL;
	if (hdr_end > SH_END(kernel_info_offset))
		hdr_end = SH_END(kernel_info_offset);

	setup_sects = h.setup_sects ? h.setup_sects : 4;
	pm_off = (setup_sects + 1) * BOOT_SECTOR_SIZE;
	*why = "setup_sects reaches past the end of the bzImage";
	if (pm_off >= len)
		return -EINVAL;
	/* syssize, not the file: signed kernels carry a signature after. */
	pm_len = (uint64_t)h.syssize * 16;
	*why = "syssize: protected-mode code missing or past the file's end";
	if (!pm_len || pm_len > len - pm_off || pm_len <= ENTRY_64)
		return -EINVAL;
	*why = "init_size is 0";
	if (!h.init_size)
		return -EINVAL;
	*why = "pref_address outside [1 MiB, 0xfc000000)";
	if (h.pref_address < LINUX_BOOT_HIGH ||
	    h.pref_address >= LINUX_BOOT_MMIO_BASE)
		return -EINVAL;

	/*
	 * A relocatable kernel runs at its load address rounded up to
	 * kernel_alignment but never below pref_address (its
	 * LOAD_PHYSICAL_ADDR), so pref_address is the lowest it can go.
	 * A fixed one moves itself to pref_address from 1 MiB.
	 */
	if (h.relocatable_kernel) {
		*why = "kernel_alignment is not a power of two";
		if (!h.kernel_alignment ||
		    (h.kernel_alignment & (h.kernel_alignment - 1)))
			return -EINVAL;
		load = align_up(h.pref_address, h.kernel_alignment);
		run = load;
	} else {
		load = LINUX_BOOT_HIGH;
		run = h.pref_address;
	}
	end = run + h.init_size;
	if (load + pm_len > end)
		end = load + pm_len;
	*why = "kernel does not fit in guest RAM (load address + init_size)";
	if (end > usable)
		return -E2BIG;

	cmd_max = h.cmdline_size;
	if (cmd_max > LINUX_BOOT_CMDLINE_MAX - 1)
		cmd_max = LINUX_BOOT_CMDLINE_MAX - 1;
	clen = strlen(cmdline);
	*why = "command line longer than the kernel's cmdline_size";
	if (clen > cmd_max)
		return -E2BIG;

	*why = "ACPI tables outside RAM and the 0xe0000-0xfffff BIOS area";
	nmap = linux_boot_e820(ram_bytes, in->acpi_start, in->acpi_len,
			       in->top_reserved, map, LINUX_BOOT_E820_MAX);
	if (!nmap)
		return -EINVAL;
	*why = "ACPI tables overlap the kernel";
	if (overlaps(in->acpi_start, in->acpi_len, load, end - load))
		return -EINVAL;
	*why = "ACPI RSDP outside the ACPI tables and the BIOS area";
	if (in->acpi_rsdp &&
	    !acpi_in_bios(in->acpi_rsdp, 36) &&
	    !(in->acpi_rsdp >= in->acpi_start &&
	      in->acpi_rsdp - in->acpi_start < in->acpi_len))
		return -EINVAL;

	if (in->initrd_len) {
		/* initrd_addr_max is the last byte the initrd may occupy. */
		top = (uint64_t)h.initrd_addr_max + 1;
		if (top > usable)
			top = usable;
		*why = "initrd does not fit in guest RAM above the kernel";
		if (!in->initrd || in->initrd_len > top)
			return -E2BIG;
		initrd = (top - in->initrd_len) & ~(LB_PAGE - 1);
		if (overlaps(initrd, in->initrd_len, in->acpi_start,
			     in->acpi_len)) {
			if (in->initrd_len > in->acpi_start)
				return -E2BIG;
			initrd = (in->acpi_start - in->initrd_len) &
				 ~(LB_PAGE - 1);
		}
		if (initrd < align_up(end, LB_PAGE))
			return -E2BIG;
	}

	/* Checked: now write. */
	memcpy(ram + load, img + pm_off, pm_len);
	if (in->initrd_len)
		memcpy(ram + initrd, in->initrd, in->initrd_len);
	memcpy(ram + LINUX_BOOT_CMDLINE, cmdline, clen + 1);
	build_gdt(ram);
	build_page_tables(ram);

	/* Zeroed, then the image's header as far as it says it goes. */
	memset(&bp, 0, sizeof(bp));
	memcpy(&bp.hdr, img + BOOT_HDR_OFFSET, hdr_end - BOOT_HDR_OFFSET);
	bp.hdr.type_of_loader = BOOT_LOADER_UNDEFINED;
	bp.hdr.loadflags &= ~BOOT_QUIET_FLAG;
	/* Only the real-mode setup (which never runs) reads the heap end. */
	bp.hdr.loadflags |= BOOT_CAN_USE_HEAP;
	bp.hdr.heap_end_ptr = 0xfe00;
	bp.hdr.code32_start = (uint32_t)load;
	bp.hdr.cmd_line_ptr = (uint32_t)LINUX_BOOT_CMDLINE;
	bp.ext_cmd_line_ptr = (uint32_t)(LINUX_BOOT_CMDLINE >> 32);
	bp.hdr.ramdisk_image = (uint32_t)initrd;
	bp.hdr.ramdisk_size = (uint32_t)in->initrd_len;
	bp.ext_ramdisk_image = (uint32_t)(initrd >> 32);
	bp.ext_ramdisk_size = (uint32_t)((uint64_t)in->initrd_len >> 32);
	/* We pass no setup_data list, whatever the image says. */
	bp.hdr.setup_data = 0;
	/* Older kernels scan 0xe0000-0xfffff for the RSDP instead. */
	if (h.version >= RSDP_VERSION)
		bp.acpi_rsdp_addr = in->acpi_rsdp;
	bp.e820_entries = (uint8_t)nmap;
	memcpy(bp.e820_table, map, nmap * sizeof(map[0]));
	memcpy(ram + LINUX_BOOT_PARAMS, &bp, sizeof(bp));

	out->rip = load + ENTRY_64;
	out->rsi = LINUX_BOOT_PARAMS;
	out->rsp = LINUX_BOOT_STACK_TOP;
	out->cr3 = LINUX_BOOT_PML4;
	out->gdt_base = LINUX_BOOT_GDT;
	out->gdt_limit = LINUX_BOOT_TR + 16 - 1;
	out->cs = LINUX_BOOT_CS;
	out->ds = LINUX_BOOT_DS;
	out->tr = LINUX_BOOT_TR;
	out->tss_base = LINUX_BOOT_TSS;
	out->tss_limit = TSS_LIMIT;
	out->kernel_load = load;
	out->kernel_run = run;
	out->kernel_end = end;
	out->initrd_addr = initrd;
	out->boot_params = LINUX_BOOT_PARAMS;
	out->cmdline_addr = LINUX_BOOT_CMDLINE;
	out->version = h.version;
	*why = NULL;
	return 0;
}
