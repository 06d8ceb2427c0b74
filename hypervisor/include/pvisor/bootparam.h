/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_BOOTPARAM_H
#define PVISOR_BOOTPARAM_H

/*
 * The x86 Linux boot protocol's data (Documentation/arch/x86/boot.rst,
 * zero-page.rst): the setup header a bzImage carries at 0x1f1 and the
 * 4 KiB boot_params ("zero page") a loader hands the kernel. Described
 * here from the documented offsets; tests/unit/test_linux_boot.c checks
 * every field against the kernel's uapi header.
 */
#include <stdint.h>

/* Setup header: where it starts in the image, its magics. */
#define BOOT_HDR_OFFSET		0x1f1
#define BOOT_FLAG_MAGIC		0xaa55		/* at 0x1fe */
#define BOOT_HDR_MAGIC		0x53726448u	/* "HdrS" at 0x202 */
#define BOOT_SECTOR_SIZE	512

/* loadflags */
#define BOOT_LOADED_HIGH	(1u << 0)
#define BOOT_KASLR_FLAG		(1u << 1)
#define BOOT_QUIET_FLAG		(1u << 5)
#define BOOT_KEEP_SEGMENTS	(1u << 6)
#define BOOT_CAN_USE_HEAP	(1u << 7)

/* xloadflags */
#define BOOT_XLF_KERNEL_64		(1u << 0)
#define BOOT_XLF_CAN_BE_LOADED_ABOVE_4G	(1u << 1)

/* type_of_loader: no assigned boot loader id. */
#define BOOT_LOADER_UNDEFINED	0xff

/* e820 entry types the boot protocol passes. */
#define BOOT_E820_RAM		1
#define BOOT_E820_RESERVED	2
#define BOOT_E820_ACPI		3
#define BOOT_E820_MAX		128	/* entries in boot_params */

struct boot_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

struct setup_header {
	uint8_t setup_sects;		/* 0x1f1 */
	uint16_t root_flags;
	uint32_t syssize;		/* 16-byte units */
	uint16_t ram_size;
	uint16_t vid_mode;
	uint16_t root_dev;
	uint16_t boot_flag;		/* 0x1fe */
	uint16_t jump;			/* 0x200 */
	uint32_t header;		/* 0x202 */
	uint16_t version;
	uint32_t realmode_swtch;
	uint16_t start_sys_seg;
	uint16_t kernel_version;
	uint8_t type_of_loader;		/* 0x210 */
	uint8_t loadflags;
	uint16_t setup_move_size;
	uint32_t code32_start;
	uint32_t ramdisk_image;		/* 0x218 */
	uint32_t ramdisk_size;
	uint32_t bootsect_kludge;
	uint16_t heap_end_ptr;		/* 0x224 */
	uint8_t ext_loader_ver;
	uint8_t ext_loader_type;
	uint32_t cmd_line_ptr;		/* 0x228 */
	uint32_t initrd_addr_max;
	uint32_t kernel_alignment;	/* 0x230 */
	uint8_t relocatable_kernel;
	uint8_t min_alignment;
	uint16_t xloadflags;
	uint32_t cmdline_size;		/* 0x238 */
	uint32_t hardware_subarch;
	uint64_t hardware_subarch_data;
	uint32_t payload_offset;	/* 0x248 */
	uint32_t payload_length;
	uint64_t setup_data;		/* 0x250 */
	uint64_t pref_address;		/* 0x258 */
	uint32_t init_size;		/* 0x260 */
	uint32_t handover_offset;
	uint32_t kernel_info_offset;	/* 0x268 */
} __attribute__((packed));

/* Offsets in the comments are from the start of boot_params. */
struct boot_params {
	uint8_t screen_info[0x40];		/* 0x000 */
	uint8_t apm_bios_info[0x14];		/* 0x040 */
	uint8_t _pad2[4];			/* 0x054 */
	uint64_t tboot_addr;			/* 0x058 */
	uint8_t ist_info[0x10];			/* 0x060 */
	uint64_t acpi_rsdp_addr;		/* 0x070 */
	uint8_t _pad3[8];			/* 0x078 */
	uint8_t hd0_info[16];			/* 0x080 */
	uint8_t hd1_info[16];			/* 0x090 */
	uint8_t sys_desc_table[16];		/* 0x0a0 */
	uint8_t olpc_ofw_header[16];		/* 0x0b0 */
	uint32_t ext_ramdisk_image;		/* 0x0c0 */
	uint32_t ext_ramdisk_size;		/* 0x0c4 */
	uint32_t ext_cmd_line_ptr;		/* 0x0c8 */
	uint8_t _pad4[112];			/* 0x0cc */
	uint32_t cc_blob_address;		/* 0x13c */
	uint8_t edid_info[0x80];		/* 0x140 */
	uint8_t efi_info[0x20];			/* 0x1c0 */
	uint32_t alt_mem_k;			/* 0x1e0 */
	uint32_t scratch;			/* 0x1e4 */
	uint8_t e820_entries;			/* 0x1e8 */
	uint8_t eddbuf_entries;			/* 0x1e9 */
	uint8_t edd_mbr_sig_buf_entries;	/* 0x1ea */
	uint8_t kbd_status;			/* 0x1eb */
	uint8_t secure_boot;			/* 0x1ec */
	uint8_t _pad5[2];			/* 0x1ed */
	uint8_t sentinel;			/* 0x1ef */
	uint8_t _pad6[1];			/* 0x1f0 */
	struct setup_header hdr;		/* 0x1f1 */
	uint8_t _pad7[0x290 - 0x1f1 - sizeof(struct setup_header)];
	uint32_t edd_mbr_sig_buffer[16];	/* 0x290 */
	struct boot_e820_entry e820_table[BOOT_E820_MAX]; /* 0x2d0 */
	uint8_t _pad8[48];			/* 0xcd0 */
	uint8_t eddbuf[0x1ec];			/* 0xd00 */
	uint8_t _pad9[276];			/* 0xeec */
} __attribute__((packed));

#define BP_OFF(f)	__builtin_offsetof(struct boot_params, f)
#define SH_OFF(f)	(BOOT_HDR_OFFSET + \
			 __builtin_offsetof(struct setup_header, f))
_Static_assert(sizeof(struct boot_e820_entry) == 20, "e820 entry");
_Static_assert(sizeof(struct setup_header) == 0x26c - 0x1f1, "hdr size");
_Static_assert(sizeof(struct boot_params) == 4096, "zero page size");
_Static_assert(SH_OFF(boot_flag) == 0x1fe, "boot_flag");
_Static_assert(SH_OFF(jump) == 0x200, "jump");
_Static_assert(SH_OFF(header) == 0x202, "header");
_Static_assert(SH_OFF(version) == 0x206, "version");
_Static_assert(SH_OFF(type_of_loader) == 0x210, "type_of_loader");
_Static_assert(SH_OFF(code32_start) == 0x214, "code32_start");
_Static_assert(SH_OFF(ramdisk_image) == 0x218, "ramdisk_image");
_Static_assert(SH_OFF(heap_end_ptr) == 0x224, "heap_end_ptr");
_Static_assert(SH_OFF(cmd_line_ptr) == 0x228, "cmd_line_ptr");
_Static_assert(SH_OFF(initrd_addr_max) == 0x22c, "initrd_addr_max");
_Static_assert(SH_OFF(kernel_alignment) == 0x230, "kernel_alignment");
_Static_assert(SH_OFF(relocatable_kernel) == 0x234, "relocatable_kernel");
_Static_assert(SH_OFF(xloadflags) == 0x236, "xloadflags");
_Static_assert(SH_OFF(cmdline_size) == 0x238, "cmdline_size");
_Static_assert(SH_OFF(payload_offset) == 0x248, "payload_offset");
_Static_assert(SH_OFF(setup_data) == 0x250, "setup_data");
_Static_assert(SH_OFF(pref_address) == 0x258, "pref_address");
_Static_assert(SH_OFF(init_size) == 0x260, "init_size");
_Static_assert(SH_OFF(kernel_info_offset) == 0x268, "kernel_info_offset");
_Static_assert(BP_OFF(acpi_rsdp_addr) == 0x070, "acpi_rsdp_addr");
_Static_assert(BP_OFF(ext_ramdisk_image) == 0x0c0, "ext_ramdisk_image");
_Static_assert(BP_OFF(ext_cmd_line_ptr) == 0x0c8, "ext_cmd_line_ptr");
_Static_assert(BP_OFF(cc_blob_address) == 0x13c, "cc_blob_address");
_Static_assert(BP_OFF(edid_info) == 0x140, "edid_info");
_Static_assert(BP_OFF(e820_entries) == 0x1e8, "e820_entries");
_Static_assert(BP_OFF(sentinel) == 0x1ef, "sentinel");
_Static_assert(BP_OFF(hdr) == 0x1f1, "hdr");
_Static_assert(BP_OFF(edd_mbr_sig_buffer) == 0x290, "edd_mbr_sig_buffer");
_Static_assert(BP_OFF(e820_table) == 0x2d0, "e820_table");
_Static_assert(BP_OFF(eddbuf) == 0xd00, "eddbuf");
_Static_assert(BP_OFF(_pad9) == 0xeec, "pad9");
#undef BP_OFF
#undef SH_OFF

#endif
