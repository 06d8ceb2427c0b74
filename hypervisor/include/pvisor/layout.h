/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_LAYOUT_H
#define PVISOR_LAYOUT_H

/*
 * Where the hypervisor lives inside every guest address space and inside
 * each domain's guest-physical space.
 *
 * Virtual: Xen reserves L4 slots 256..271 for itself. The host may own
 * some of them (this KVM reserves 256), so platform start-up probes which
 * are usable and pvisor takes two: the first for the read-only M2P table
 * (announced through XENMEM_machphys_mapping), the next for the entry
 * area: IDT, entry stubs, and per vCPU a GDT, a TSS and a stack.
 *
 * Physical: guest RAM starts at 0; hypervisor frames (their page tables,
 * the entry area, shared_info, the M2P) sit far above any RAM at
 * HV_GPA_BASE, and the page below it is left unbacked so that a store to
 * it leaves the VM (the exit doorbell every entry stub rings).
 */
#define L4_SLOT_SHIFT		39
#define XEN_RESERVED_SLOT_FIRST	256
#define XEN_RESERVED_SLOT_LAST	271
#define L4_SLOT_VA(slot)	(0xffff000000000000ull | ((uint64_t)(slot) << L4_SLOT_SHIFT))

#define HV_GPA_BASE		(1ull << 39)
#define EXIT_GPA		(HV_GPA_BASE - 0x1000)

/* Offsets inside the entry-area slot. */
#define HV_IDT_OFF		0x0000ull
#define HV_TRAP_STUBS_OFF	0x1000ull	/* supervisor: one stub per vector */
#define HV_USER_STUBS_OFF	0x2000ull	/* syscall entry points (user on PVM) */
#define HV_EXIT_PAGE_OFF	0x3000ull	/* -> EXIT_GPA (user-writable on PVM) */
#define HV_HV_STUBS_OFF		0x4000ull	/* supervisor: pvisor's own stubs */
#define HV_HVMAP_OFF		0x2000000000ull	/* the hypervisor region, sup. RW */
#define HV_DIRECTMAP_OFF	0x4000000000ull	/* all guest RAM, supervisor RW */
#define HV_VCPU_AREA_OFF	0x100000ull
#define HV_VCPU_AREA_SIZE	0x40000ull
#define HV_VCPU_GDT_OFF		0x0000ull	/* 16 pages, Xen's GDT shape */
#define HV_VCPU_TSS_OFF		0x10000ull
#define HV_VCPU_STACK_OFF	0x12000ull	/* 2 pages, guard page below */
#define HV_VCPU_STACK_SIZE	0x2000ull
#define HV_VCPU_PTW_OFF		0x15000ull	/* page-table entries to touch */
#define PTW_MAX_WRITES		512		/* 8-byte entries per page */

/* The page-table writer stub's CR3 reload, after its entry loop. */
#define PTW_STUB_CR3_OFF	16

#define TRAP_STUB_SIZE		16
#define STUB_EXIT_INSN_LEN	10	/* movl $imm32, rel32(%rip) */

/* Values the stubs store to the doorbell, telling pvisord why they left. */
#define EXIT_CODE_SYSCALL	0x100
#define EXIT_CODE_SYSCALL32	0x101
#define EXIT_CODE_SYSENTER	0x102
#define EXIT_CODE_PTW_DONE	0x200	/* the page-table writer finished */
/* Doorbell offsets (distinct, so a forged store can be told apart). */
#define EXIT_OFF_TRAP		0x00
#define EXIT_OFF_SYSCALL	0x08
#define EXIT_OFF_HV		0x10

/* Reserved GDT entries, Xen's selectors (frames 14 and 15). */
#define GDT_FIRST_RESERVED_ENTRY 7168	/* 14 * 512 */
#define GDT_NR_GUEST_FRAMES	14
#define HV_CS_SEL		0xe008
#define HV_DS_SEL		0xe010
#define HV_TSS_SEL		0xe040

#endif
