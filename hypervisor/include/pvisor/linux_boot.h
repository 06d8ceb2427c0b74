/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_LINUX_BOOT_H
#define PVISOR_LINUX_BOOT_H

/*
 * Direct boot of a Linux bzImage as an HVM guest, without firmware: the
 * 64-bit boot protocol (Documentation/arch/x86/boot.rst). The loader lays
 * the kernel, boot_params, command line, initrd, a GDT and identity page
 * tables into guest RAM; the caller puts the BSP in long mode at
 * linux_boot_entry.rip with RSI = boot_params. Nothing here touches KVM.
 */
#include <stddef.h>
#include <stdint.h>

#include "pvisor/bootparam.h"

/*
 * Guest-physical layout below 1 MiB, all inside e820 RAM [0, LOW_END):
 * the kernel copies boot_params and the command line before it reuses
 * low memory, and it needs low RAM of its own (real-mode trampoline, the
 * decompressor's paging trampoline just below 0x9f000).
 */
#define LINUX_BOOT_GDT		0x1000ull	/* GDT, then the TSS */
#define LINUX_BOOT_TSS		0x1100ull
#define LINUX_BOOT_PML4		0x2000ull
#define LINUX_BOOT_PDPT		0x3000ull
#define LINUX_BOOT_PD		0x4000ull	/* 4 pages: 4 GiB of 2 MiB */
#define LINUX_BOOT_PARAMS	0x8000ull	/* the zero page */
#define LINUX_BOOT_STACK_TOP	0xa000ull	/* stack page 0x9000-0x9fff */
#define LINUX_BOOT_CMDLINE	0x20000ull
#define LINUX_BOOT_CMDLINE_MAX	0x10000ull	/* bytes, with the NUL */
#define LINUX_BOOT_LOW_END	0x9f000ull	/* low RAM ends */
#define LINUX_BOOT_BIOS		0xe0000ull	/* legacy BIOS area: ACPI */
#define LINUX_BOOT_HIGH		0x100000ull
/* IOAPIC, LAPIC, KVM's TSS and identity pages; RAM stays below. */
#define LINUX_BOOT_MMIO_BASE	0xfc000000ull

#define LINUX_BOOT_CS		0x10	/* __BOOT_CS */
#define LINUX_BOOT_DS		0x18	/* __BOOT_DS */
#define LINUX_BOOT_TR		0x20	/* a 64-bit TSS, for VMX's TR checks */

/* Entries linux_boot_e820 writes at most. */
#define LINUX_BOOT_E820_MAX	7

struct linux_boot_params_in {
	const uint8_t *kernel;		/* a bzImage */
	size_t kernel_len;
	const uint8_t *initrd;		/* may be NULL/0 */
	size_t initrd_len;
	const char *cmdline;		/* may be "" or NULL */
	uint64_t acpi_rsdp;		/* gpa of the RSDP, 0 = none */
	/*
	 * Where the caller put the ACPI tables: inside [0xe0000, 1 MiB)
	 * (reserved anyway) or in RAM above 1 MiB, which e820 then marks
	 * ACPI and the initrd avoids. 0/0 = none.
	 */
	uint64_t acpi_start, acpi_len;
	/*
	 * Bytes at the top of RAM (whole pages) that e820 reserves and the
	 * kernel and initrd avoid: the toolstack's ring pages. 0 = none.
	 */
	uint64_t top_reserved;
};

struct linux_boot_entry {
	uint64_t rip, rsi;		/* startup_64, boot_params */
	uint64_t rsp;			/* a small stack below 1 MiB */
	uint64_t cr3;			/* identity map of 0..4 GiB */
	uint64_t gdt_base;
	uint16_t gdt_limit;
	uint16_t cs, ds;		/* 0x10 code64, 0x18 data */
	uint16_t tr;			/* 0x20: busy 64-bit TSS */
	uint64_t tss_base;
	uint32_t tss_limit;
	uint64_t kernel_load;		/* where the file's kernel went */
	uint64_t kernel_run;		/* where it decompresses and runs */
	uint64_t kernel_end;		/* kernel_run + init_size */
	uint64_t initrd_addr;		/* 0 without an initrd */
	uint64_t boot_params, cmdline_addr;
	uint16_t version;		/* boot protocol, e.g. 0x020f */
};

/*
 * Lay a bzImage, boot_params (zero page), command line, initrd and page
 * tables into ram (guest-physical 0..ram_bytes, ram_bytes at most
 * LINUX_BOOT_MMIO_BASE). 0, or -EINVAL (bad image or arguments),
 * -ENOTSUP (kernel too old / not 64-bit), -E2BIG (does not fit) with
 * *why naming the problem.
 */
int linux_boot_load(uint8_t *ram, uint64_t ram_bytes,
		    const struct linux_boot_params_in *in,
		    struct linux_boot_entry *out, const char **why);

/*
 * The e820 map an HVM guest of ram_bytes sees: RAM [0, 0x9f000), the
 * legacy hole reserved up to 1 MiB, RAM from 1 MiB (split around ACPI
 * tables placed there), the top_reserved bytes at the end of RAM and
 * [0xfc000000, 4 GiB) reserved. Sorted, no
 * overlaps. Returns the entry count, 0 if the arguments cannot be
 * described (RAM too small or too large, ACPI outside RAM and the BIOS
 * area, max too small).
 */
unsigned int linux_boot_e820(uint64_t ram_bytes, uint64_t acpi_start,
			     uint64_t acpi_len, uint64_t top_reserved,
			     struct boot_e820_entry *e, unsigned int max);

#endif
