/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_LOADER_H
#define PVISOR_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct domain;

/* What a PV kernel's ELF headers and Xen notes say about it. */
struct pv_kernel_info {
	uint64_t virt_base;
	uint64_t paddr_offset;
	uint64_t entry;
	uint64_t hypercall_page;	/* 0: none */
	uint64_t init_p2m;		/* 0: none */
	bool mod_start_pfn;		/* initrd may be passed unmapped */
	bool has_phys32_entry;		/* XEN_ELFNOTE_PHYS32_ENTRY: PVH */
	uint64_t phys32_entry;		/* its 32-bit physical entry point */
	char guest_os[32];
	char xen_version[32];
	char loader[32];
	char features[256];
	uint64_t pstart, pend;		/* p_paddr range of PT_LOAD segments */
	uint64_t virt_kstart, virt_kend;
	const char *notes_from;		/* "PT_NOTE", "SHT_NOTE", "__xen_guest" */
};

/* Parse and check an ELF64 x86-64 PV kernel. -EINVAL with *why set. */
int elf_pv_parse(const uint8_t *img, size_t len, struct pv_kernel_info *k,
		 const char **why);
/*
 * elf_pv_parse's last resort: the legacy __xen_guest string, the section's
 * size bytes at sec. Fills the fields its keys name; -EINVAL with *why set.
 */
int elf_xen_guest_parse(const uint8_t *sec, uint64_t size,
			struct pv_kernel_info *k, const char **why);
/*
 * Parse an ELF64 PVH kernel: Xen notes with XEN_ELFNOTE_PHYS32_ENTRY,
 * segments loaded at their p_paddr, all below 4 GiB. On success
 * k->entry is the 32-bit entry and k->paddr_offset 0.
 */
int elf_pvh_parse(const uint8_t *img, size_t len, struct pv_kernel_info *k,
		  const char **why);
/* Copy PT_LOAD segments (by p_paddr) into ram; zero their .bss. */
int elf_pv_load(const uint8_t *img, size_t len, const struct pv_kernel_info *k,
		uint8_t *ram, uint64_t ram_size);

struct pv_layout;

struct pv_boot_image {
	const uint8_t *kernel;		/* ELF or bzImage */
	size_t kernel_len;
	const uint8_t *ramdisk;
	size_t ramdisk_len;
	const char *cmdline;
	uint32_t store_evtchn;		/* ports for start_info; 0: none yet */
	uint32_t console_evtchn;
	struct pv_layout *layout;	/* optional: receives where things went */
};

/*
 * Xen's PV domain builder: lay out the kernel, start_info, page tables
 * and P2M in the domain's memory and set vCPU0 up to enter the kernel.
 */
int pv_build(struct domain *d, const struct pv_boot_image *img,
	     const char **why);

#endif
