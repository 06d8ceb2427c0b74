/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_GUEST_MEM_H
#define PVISOR_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvisor/cpu_state.h"

#define PAGE_SHIFT	12
#define PAGE_SIZE	4096ull
#define PAGE_MASK	(~(PAGE_SIZE - 1))

/* Page-table entry bits (x86-64, 4-level). */
#define _PAGE_PRESENT	0x001ull
#define _PAGE_RW	0x002ull
#define _PAGE_USER	0x004ull
#define _PAGE_PWT	0x008ull
#define _PAGE_PCD	0x010ull
#define _PAGE_ACCESSED	0x020ull
#define _PAGE_DIRTY	0x040ull
#define _PAGE_PSE	0x080ull
#define _PAGE_GLOBAL	0x100ull
#define _PAGE_NX	(1ull << 63)
#define PTE_ADDR_MASK	0x000ffffffffff000ull

/*
 * A domain's memory as the hypervisor sees it: guest RAM (pseudo-physical
 * = machine frames, identity P2M) plus a few hypervisor-owned frames the
 * guest may map by MFN (shared_info). Everything a guest hands us is a
 * virtual address or a frame number; these helpers are the only way to
 * turn one into a host pointer, and they refuse anything not granted.
 */
struct guest_mem {
	uint8_t *ram;			/* host mapping of GPA 0 .. nr_pages */
	uint64_t nr_pages;
	const uint8_t *absent;		/* per RAM frame: 1 = ballooned out */
	uint8_t *hv;			/* host mapping of the hypervisor region */
	uint64_t hv_base_pfn;
	uint64_t hv_nr_pages;
	const uint8_t *hv_access;	/* per hypervisor frame: HV_ACCESS_* */
	uint64_t reserved_va_start;	/* the hypervisor's L4 slots: */
	uint64_t reserved_va_end;	/* never reachable through a guest VA */
};

#define HV_ACCESS_READ	1u
#define HV_ACCESS_WRITE	2u

/* Host pointer to a frame the guest owns or may map, or NULL. */
void *gmem_frame(const struct guest_mem *m, uint64_t pfn, bool write);
/* Host pointer to a RAM frame only (page tables must live in RAM). */
void *gmem_ram_frame(const struct guest_mem *m, uint64_t pfn);

/*
 * Walk the guest page tables rooted at cr3 for va. Fails with -EFAULT
 * when not mapped, not writable (write), or outside what the guest may
 * reach. On success *pte_out (if non-NULL) holds the leaf entry.
 */
int gmem_translate(const struct guest_mem *m, uint64_t cr3, uint64_t va,
		   bool write, uint64_t *gpa, uint64_t *pte_out);
/*
 * A cr3 for the helpers meaning "paging is off": an HVM/PVH vCPU with
 * CR0.PG clear, whose linear addresses are guest-physical (below 4 GiB).
 * No real CR3 has every bit set.
 */
#define GMEM_CR3_PHYS	(~0ull)
/*
 * Or'ed into a cr3 for the helpers: the tables have five levels (an
 * HVM/PVH vCPU with CR4.LA57 set, as Linux chooses on CPUs that have
 * it). Bit 0 of a CR3 is ignored by the CPU, so no real value means it.
 */
#define GMEM_CR3_LA57	1ull

int gmem_read(const struct guest_mem *m, uint64_t cr3, uint64_t va,
	      void *dst, size_t len);
int gmem_write(const struct guest_mem *m, uint64_t cr3, uint64_t va,
	       const void *src, size_t len);
/*
 * Xen's guest_handle_okay(): nr elements of size bytes at va lie in
 * guest address space (canonical, no wrap, clear of the hypervisor's
 * slots). Whether they are mapped is found out when copying.
 */
bool gmem_handle_okay(const struct guest_mem *m, uint64_t va, uint64_t nr,
		      uint64_t size);
/* Copy a NUL-terminated string of at most max-1 bytes. */
int gmem_read_string(const struct guest_mem *m, uint64_t cr3, uint64_t va,
		     char *dst, size_t max);

#endif
