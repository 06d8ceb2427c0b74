/* SPDX-License-Identifier: MIT */
/*
 * x86-64 part of the PV guest ABI: selectors, the reserved hypervisor
 * hole, register frames and the per-vCPU/per-domain arch state that sits
 * inside shared structures.  pvisor only supports 64-bit PV guests, so the
 * i386 variants Xen carries are deliberately absent.
 *
 * Included by xen.h; usable on its own (only needs <stdint.h>).
 */
#ifndef PVABI_ARCH_X86_64_H
#define PVABI_ARCH_X86_64_H

#include <stdint.h>

/* Word-sized ABI quantities.  A 64-bit guest and pvisor agree on 8 bytes. */
typedef uint64_t xen_pfn_t;
typedef uint64_t xen_ulong_t;
typedef uint64_t xen_callback_t;	/* entry point address of a callback */

/*
 * Flat segment selectors.  The guest kernel runs at CPL3 too, so kernel
 * and user selectors are the same descriptors; they live in the
 * hypervisor-owned part of the GDT (FIRST_RESERVED_GDT_ENTRY + 4..6),
 * with RPL 3.
 */
#define FLAT_RING3_CS32		0xe023
#define FLAT_RING3_CS64		0xe033
#define FLAT_RING3_DS32		0xe02b
#define FLAT_RING3_DS64		0x0000	/* long mode ignores DS: null is fine */
#define FLAT_RING3_SS32		0xe02b
#define FLAT_RING3_SS64		0xe02b

#define FLAT_KERNEL_DS64	FLAT_RING3_DS64
#define FLAT_KERNEL_DS32	FLAT_RING3_DS32
#define FLAT_KERNEL_DS		FLAT_KERNEL_DS64
#define FLAT_KERNEL_CS64	FLAT_RING3_CS64
#define FLAT_KERNEL_CS32	FLAT_RING3_CS32
#define FLAT_KERNEL_CS		FLAT_KERNEL_CS64
#define FLAT_KERNEL_SS64	FLAT_RING3_SS64
#define FLAT_KERNEL_SS32	FLAT_RING3_SS32
#define FLAT_KERNEL_SS		FLAT_KERNEL_SS64

#define FLAT_USER_DS64		FLAT_RING3_DS64
#define FLAT_USER_DS32		FLAT_RING3_DS32
#define FLAT_USER_DS		FLAT_USER_DS64
#define FLAT_USER_CS64		FLAT_RING3_CS64
#define FLAT_USER_CS32		FLAT_RING3_CS32
#define FLAT_USER_CS		FLAT_USER_CS64
#define FLAT_USER_SS64		FLAT_RING3_SS64
#define FLAT_USER_SS32		FLAT_RING3_SS32
#define FLAT_USER_SS		FLAT_USER_SS64

/*
 * The guest GDT may only use frames below this page; the rest of the
 * 64 KiB GDT belongs to the hypervisor (it holds the FLAT_* descriptors).
 */
#define FIRST_RESERVED_GDT_PAGE		14
#define FIRST_RESERVED_GDT_BYTE		(FIRST_RESERVED_GDT_PAGE * 4096)
#define FIRST_RESERVED_GDT_ENTRY	(FIRST_RESERVED_GDT_BYTE / 8)

/*
 * The virtual address range a guest must leave alone (L4 slots 256..271)
 * and Xen's default place for the read-only M2P table inside it.  pvisor
 * may put the M2P elsewhere in the hole (slot 256 can be unusable on the
 * host), so guests must take the real location from
 * XENMEM_machphys_mapping; these values stay for guests that never ask.
 */
#define HYPERVISOR_VIRT_START	0xffff800000000000UL
#define HYPERVISOR_VIRT_END	0xffff880000000000UL
#define MACH2PHYS_VIRT_START	0xffff800000000000UL
#define MACH2PHYS_VIRT_END	0xffff804000000000UL
#define MACH2PHYS_NR_ENTRIES	((MACH2PHYS_VIRT_END - MACH2PHYS_VIRT_START) >> 3)

/*
 * Forced-emulation prefix: ud2 followed by the bytes "xen".  A PV guest
 * puts it before cpuid so the hypervisor, not the CPU, answers (and
 * applies the guest's CPUID policy).  String form, for inline asm.
 */
#define XEN_EMULATE_PREFIX	".byte 0x0f,0x0b,0x78,0x65,0x6e ; "
#define XEN_CPUID		XEN_EMULATE_PREFIX "cpuid"

/* HVM guests: bytes written to this port go to the hypervisor's log. */
#define XEN_HVM_DEBUGCONS_IOPORT	0xe9

/* Which base set_segment_base (hypercall 25) changes. */
#define SEGBASE_FS		0
#define SEGBASE_GS_USER		1
#define SEGBASE_GS_KERNEL	2
#define SEGBASE_GS_USER_SEL	3	/* load user %gs selector from base[15:0] */

/*
 * CR3 as the guest writes it in vcpu_guest_context.ctrlreg[] and
 * arch_shared_info.p2m_cr3: a plain frame number shifted into place.
 */
#define xen_pfn_to_cr3(pfn)	((uint64_t)(pfn) << 12)
#define xen_cr3_to_pfn(cr3)	((uint64_t)(cr3) >> 12)

/*
 * One entry of the virtual IDT (set_trap_table, hypercall 0).  flags
 * bits 0-1 are the DPL that may raise the vector with a software int;
 * bit 2 asks for event delivery to be masked on entry, like an
 * interrupt gate clears IF.  A zero address ends the table.
 */
struct trap_info {
	uint8_t vector;
	uint8_t flags;
	uint16_t cs;
	uint64_t address;
};

#define TI_GET_DPL(ti)		((ti)->flags & 3)
#define TI_GET_IF(ti)		((ti)->flags & 4)
#define TI_SET_DPL(ti, dpl)	((ti)->flags |= (dpl))
#define TI_SET_IF(ti, if_)	((ti)->flags |= ((!!(if_)) << 2))

/*
 * What the guest leaves on its stack before the iret hypercall (23).
 * A 64-bit guest cannot use the real iretq to change privilege level,
 * so it pushes this frame (lowest address first) and asks pvisor to do
 * the return.  With VGCF_in_syscall in flags the return goes back to a
 * syscall site and r11 and rcx keep their live values (cs and ss are
 * still loaded from the frame).
 */
struct iret_context {
	uint64_t rax;
	uint64_t r11;
	uint64_t rcx;
	uint64_t flags;
	uint64_t rip;
	uint64_t cs;
	uint64_t rflags;
	uint64_t rsp;
	uint64_t ss;
};

#define _VGCF_in_syscall	8
#define VGCF_in_syscall		(1 << _VGCF_in_syscall)
#define VGCF_IN_SYSCALL		VGCF_in_syscall

/*
 * Register frame as the hypervisor saves it: general registers in the
 * order the entry stubs push them, then a hardware-like exception frame
 * whose selector slots are padded to 8 bytes.  saved_upcall_mask carries
 * the guest's virtual interrupt flag across a bounce.
 */
struct cpu_user_regs {
	uint64_t r15;
	uint64_t r14;
	uint64_t r13;
	uint64_t r12;
	uint64_t rbp;
	uint64_t rbx;
	uint64_t r11;
	uint64_t r10;
	uint64_t r9;
	uint64_t r8;
	uint64_t rax;
	uint64_t rcx;
	uint64_t rdx;
	uint64_t rsi;
	uint64_t rdi;
	uint32_t error_code;	/* hypervisor private */
	uint32_t entry_vector;	/* hypervisor private */
	uint64_t rip;
	uint16_t cs, _pad0[1];
	uint8_t saved_upcall_mask;
	uint8_t _pad1[3];
	uint64_t rflags;
	uint64_t rsp;
	uint16_t ss, _pad2[3];
	uint16_t es, _pad3[3];
	uint16_t ds, _pad4[3];
	uint16_t fs, _pad5[3];
	uint16_t gs, _pad6[3];
};

/* Arch part of vcpu_info: the guest's CR2 lives here, not in a register. */
struct arch_vcpu_info {
	uint64_t cr2;
	uint64_t pad;		/* keeps struct vcpu_info at 64 bytes */
};

/*
 * Arch part of shared_info: where dom0 tools and the hypervisor find the
 * guest's P2M.  max_pfn bounds the valid entries; the frame-list-list is
 * the legacy 3-level tree (~0 means "too big, use p2m_vaddr").  p2m_cr3,
 * p2m_vaddr and p2m_generation describe the linear P2M list when p2m_cr3
 * is non-zero; p2m_generation is odd while the guest is remapping it.
 */
struct arch_shared_info {
	uint64_t max_pfn;
	xen_pfn_t pfn_to_mfn_frame_list_list;
	uint64_t nmi_reason;
	uint64_t p2m_cr3;
	uint64_t p2m_vaddr;
	uint64_t p2m_generation;
};

/* vcpu_guest_context.flags */
#define _VGCF_i387_valid		0
#define VGCF_i387_valid			(1 << _VGCF_i387_valid)
#define VGCF_I387_VALID			VGCF_i387_valid
#define _VGCF_in_kernel			2
#define VGCF_in_kernel			(1 << _VGCF_in_kernel)
#define VGCF_IN_KERNEL			VGCF_in_kernel
#define _VGCF_failsafe_disables_events	3
#define VGCF_failsafe_disables_events	(1 << _VGCF_failsafe_disables_events)
#define _VGCF_syscall_disables_events	4
#define VGCF_syscall_disables_events	(1 << _VGCF_syscall_disables_events)
#define _VGCF_online			5
#define VGCF_online			(1 << _VGCF_online)

/*
 * Complete initial state of a vCPU (VCPUOP_initialise, domain builder).
 * The FXSAVE area comes first so it stays 16-byte aligned.  For a 64-bit
 * guest ctrlreg[1] holds the user-mode page table (ctrlreg[3] the kernel
 * one); kernel_ss/kernel_sp play the TSS's ring-1 stack role.
 */
struct vcpu_guest_context {
	struct {
		char x[512];
	} fpu_ctxt;
	uint64_t flags;			/* VGCF_* */
	struct cpu_user_regs user_regs;
	struct trap_info trap_ctxt[256];
	uint64_t ldt_base, ldt_ents;	/* linear address, entries */
	uint64_t gdt_frames[16], gdt_ents;
	uint64_t kernel_ss, kernel_sp;
	uint64_t ctrlreg[8];
	uint64_t debugreg[8];
	uint64_t event_callback_eip;
	uint64_t failsafe_callback_eip;
	uint64_t syscall_callback_eip;
	uint64_t vm_assist;		/* bitmap of VMASST_TYPE_* */
	uint64_t fs_base;
	uint64_t gs_base_kernel;
	uint64_t gs_base_user;
};

#endif /* PVABI_ARCH_X86_64_H */
