/* SPDX-License-Identifier: MIT */
/*
 * The PVH boot information block (Xen's arch-x86/hvm/start_info.h
 * layout). The domain builder leaves one in guest memory and enters the
 * kernel's XEN_ELFNOTE_PHYS32_ENTRY in 32-bit protected mode, paging
 * off, with EBX holding its physical address. Every address in it is
 * guest-physical; everything it points to lies below 4 GiB.
 */
#ifndef PVABI_HVM_START_INFO_H
#define PVABI_HVM_START_INFO_H

#include <stdint.h>

#define XEN_HVM_START_MAGIC_VALUE	0x336ec578

/* memmap entry types: the E820 numbering. */
#define XEN_HVM_MEMMAP_TYPE_RAM		1
#define XEN_HVM_MEMMAP_TYPE_RESERVED	2
#define XEN_HVM_MEMMAP_TYPE_ACPI	3
#define XEN_HVM_MEMMAP_TYPE_NVS		4
#define XEN_HVM_MEMMAP_TYPE_UNUSABLE	5
#define XEN_HVM_MEMMAP_TYPE_DISABLED	6
#define XEN_HVM_MEMMAP_TYPE_PMEM	7

/* Version 0 ends at rsdp_paddr; version 1 adds the memory map. */
struct hvm_start_info {
	uint32_t magic;			/* XEN_HVM_START_MAGIC_VALUE */
	uint32_t version;
	uint32_t flags;			/* SIF_* (xen.h) */
	uint32_t nr_modules;
	uint64_t modlist_paddr;		/* struct hvm_modlist_entry[] */
	uint64_t cmdline_paddr;		/* NUL-terminated, 0 = none */
	uint64_t rsdp_paddr;		/* ACPI RSDP, 0 = none */
	uint64_t memmap_paddr;		/* struct hvm_memmap_table_entry[] */
	uint32_t memmap_entries;
	uint32_t reserved;		/* zero */
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;		/* 0 = none */
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;			/* XEN_HVM_MEMMAP_TYPE_* */
	uint32_t reserved;		/* zero */
};

#endif
