/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_PV_VCPU_H
#define PVISOR_PV_VCPU_H

#include <stdbool.h>
#include <stdint.h>

#include <pvabi/xen.h>

#include "pvisor/cpu_state.h"
#include "pvisor/cpuid.h"
#include "pvisor/guest_mem.h"

/*
 * The x86-64 PV CPU model: what Xen keeps per vCPU for a PV guest whose
 * kernel and user code both run at CPL3. Plain data plus plain functions
 * over it and a guest-memory accessor; nothing here knows about KVM or
 * threads, so the same code can later run inside the VM as a fast path.
 */
struct pv_callback {
	uint64_t address;
	uint16_t flags;			/* CALLBACKF_* */
};

struct pv_vcpu {
	struct cpu_state cpu;
	const struct guest_mem *mem;
	const struct cpuid_policy *cpuid;
	const unsigned long *vm_assist;	/* the domain's VMASST_TYPE_* bits */
	uint64_t efer;			/* the VM's real EFER, as reads see it */
	unsigned int id;

	bool in_kernel;			/* guest kernel vs guest user mode */
	uint64_t kernel_cr3;		/* guest_table (machine address) */
	uint64_t user_cr3;		/* guest_table_user, 0 = none */
	uint64_t gs_base_kernel;
	uint64_t gs_base_user;
	uint64_t kernel_sp;		/* from stack_switch */

	struct trap_info trap_ctxt[256];
	struct pv_callback event_cb;
	struct pv_callback failsafe_cb;
	struct pv_callback syscall_cb;
	struct pv_callback syscall32_cb;
	struct pv_callback sysenter_cb;

	struct vcpu_info *vcpu_info;	/* registered or legacy slot */

	/* Descriptor tables (set_gdt, MMUEXT_SET_LDT). */
	uint64_t gdt_frames[14];	/* seg_desc-typed frames, in order */
	unsigned int gdt_ents;
	uint64_t ldt_base;		/* linear address */
	unsigned int ldt_ents;
	uint64_t virt_cr2;		/* last #PF address reported */
	unsigned int iopl;		/* virtual IOPL, 0..3 (set_iopl, iret) */
	uint64_t iobmp;			/* I/O bitmap, guest linear (set_iobitmap) */
	unsigned int iobmp_nr;		/* ports it covers, 0..65536 */
	/* DR0-3, and at [6]/[7] DR6/DR7 as the guest sees them (debugreg.c). */
	uint64_t debugreg[8];
	uint32_t dr7_emul;		/* I/O breakpoint enables, not in [7] */
	bool dr_dirty;			/* to be loaded into the VM */
	bool fpu_ts;			/* virtual CR0.TS (fpu_taskswitch) */
	uint64_t guest_cr4;		/* CR4 as the guest sees it (guest_cr4.c) */
};

/* Bounce flags. */
#define PV_TBF_EXCEPTION	0x1u	/* push the error code */
#define PV_TBF_INTERRUPT	0x2u	/* mask events */
#define PV_TBF_SYSCALL		0x4u	/* syscall frame: also clear DF */

/* The page-table root the vCPU runs on in its current mode. */
static inline uint64_t pv_active_cr3(const struct pv_vcpu *v)
{
	return v->in_kernel ? v->kernel_cr3 : v->user_cr3;
}

static inline int pv_read(const struct pv_vcpu *v, uint64_t va, void *dst,
			  size_t len)
{
	return gmem_read(v->mem, pv_active_cr3(v), va, dst, len);
}

static inline int pv_write(const struct pv_vcpu *v, uint64_t va,
			   const void *src, size_t len)
{
	return gmem_write(v->mem, pv_active_cr3(v), va, src, len);
}

void pv_vcpu_init(struct pv_vcpu *v, unsigned int id,
		  const struct guest_mem *mem, struct vcpu_info *vi);
/* Is VMASST_TYPE_type on for the vCPU's domain? */
static inline bool pv_vm_assist(const struct pv_vcpu *v, unsigned int type)
{
	return v->vm_assist &&
	       (__atomic_load_n(v->vm_assist, __ATOMIC_RELAXED) >> type) & 1;
}

/*
 * May the vCPU, in its current mode, do what IOPL guards (port I/O,
 * cli/sti)? As in Xen, the guest kernel counts as ring 1, or ring 0
 * with VMASST_TYPE_architectural_iopl; guest user mode as ring 3.
 */
bool pv_iopl_ok(const struct pv_vcpu *v);
/*
 * May the vCPU access bytes ports from port? The virtual IOPL, else the
 * guest's I/O bitmap (io_perm.c): 1 yes, 0 no (#GP(0) for the guest),
 * -EFAULT when the bitmap could not be read at *fault_va (#PF for it).
 */
int pv_io_okay(const struct pv_vcpu *v, unsigned int port,
	       unsigned int bytes, uint64_t *fault_va);

/* Load CS/SS from selectors (RPL forced to 3); -EINVAL if invalid. */
int pv_load_segments(struct pv_vcpu *v, uint16_t cs, uint16_t ss);
/* The same, for selectors known to be valid (the flat ones). */
void pv_load_mode_segments(struct pv_vcpu *v, uint16_t cs, uint16_t ss);
/*
 * pv_load_segments, telling which fault an iretq to these selectors
 * raises instead (#GP/#NP/#SS and the error code the CPU would push).
 */
struct pv_seg_fault {
	unsigned int vec;
	uint32_t error_code;
};
int pv_iret_segments(struct pv_vcpu *v, uint16_t cs, uint16_t ss,
		     struct pv_seg_fault *f);
/*
 * A descriptor from the guest's own GDT (or LDT): 0, or -EINVAL when
 * the selector is outside the table. Checked and DPL-fixed as Xen does.
 */
int pv_guest_desc(const struct pv_vcpu *v, uint16_t sel, uint64_t *desc);
/*
 * The guest's view of CR4 after it asks for cr4: the bits it may own
 * (CR4.DE, if its CPUID policy has DE) plus those it may see of the
 * VM's real CR4 (v->cpu.cr4). As Xen's pv_fixup_guest_cr4.
 */
uint64_t pv_fixup_guest_cr4(const struct pv_vcpu *v, uint64_t cr4);
/* Switch guest kernel <-> user: page-table root and GS bases. */
int pv_toggle_guest_mode(struct pv_vcpu *v);

/*
 * Build Xen's 64-bit bounce frame and redirect the vCPU to handler.
 * Returns 0, or -EFAULT when the frame cannot be written (the domain
 * must then be crashed, as Xen does).
 */
int pv_bounce(struct pv_vcpu *v, uint64_t handler, unsigned int tbf,
	      uint32_t error_code);
/*
 * Deliver exception vec through the guest's trap table. -ENOENT when the
 * guest registered no handler.
 */
int pv_inject_exception(struct pv_vcpu *v, unsigned int vec,
			uint32_t error_code);
/*
 * Deliver `int n` with RIP at the instruction (insn_len bytes): as a
 * software interrupt past it if the trap table's DPL allows, else as the
 * #GP the CPU raises, (n << 3) | 2, with RIP still at the `int`.
 */
int pv_inject_soft_int(struct pv_vcpu *v, unsigned int vec,
		       unsigned int insn_len);
/*
 * The same for an `int n` that came through a DPL3 host gate (0x80),
 * which leaves RIP past the 2-byte instruction.
 */
int pv_inject_soft_int_trap(struct pv_vcpu *v, unsigned int vec);
/* A #PF for the guest at addr: reports CR2 and fixes the U/S bit. */
int pv_inject_page_fault(struct pv_vcpu *v, uint64_t addr,
			 uint32_t error_code);

/* A `syscall` taken in guest user mode: bounce to the syscall callback. */
int pv_user_syscall(struct pv_vcpu *v, bool compat);

/*
 * Privileged-instruction emulation for the guest kernel, which runs at
 * CPL3 and so faults on them. Return 1 when handled: emulated (RIP
 * advanced), or another exception delivered in its place (#PF reading
 * the I/O bitmap, #DB after an I/O breakpoint, #UD); 0 when the #GP is
 * the guest's to handle; negative errno when an exception could not be
 * delivered.
 */
int pv_emulate_gp(struct pv_vcpu *v);
/* Xen's forced-emulation prefix (ud2; "xen"; cpuid) on #UD. */
int pv_emulate_ud(struct pv_vcpu *v);

/*
 * Debug registers, as Xen's set_debugreg: 0, -ENODEV (#UD: no such
 * register), -EINVAL (#GP: reserved bits) or -EPERM (#GP: not allowed).
 */
#define PV_DR6_DEFAULT	0xffff0ff0u
#define PV_DR7_DEFAULT	0x00000400u
int pv_set_debugreg(struct pv_vcpu *v, unsigned int reg, uint64_t val);
int pv_get_debugreg(const struct pv_vcpu *v, unsigned int reg, uint64_t *val);
/* Back to the reset values (no breakpoints). */
void pv_debugreg_reset(struct pv_vcpu *v);
/* A #DB left the VM with this DR6: merge it into the guest's DR6. */
void pv_debug_trap(struct pv_vcpu *v, uint32_t hw_dr6);
/*
 * Which I/O breakpoints (DR6 B0-B3 bits) an emulated access to bytes
 * ports from port hits; 0 unless the guest has CR4.DE.
 */
uint32_t pv_io_breakpoint_match(const struct pv_vcpu *v, unsigned int port,
				unsigned int bytes);
/*
 * `mov` to or from %dbN at op (0x0f 0x21/0x23, n bytes readable, after
 * prefix_len bytes of prefixes): 1 when done (RIP advanced, or #UD
 * delivered), 0 for the guest's #GP, negative errno if #UD could not be.
 */
int pv_emulate_mov_dr(struct pv_vcpu *v, const uint8_t *op, unsigned int n,
		      unsigned int prefix_len, uint8_t rex);

/* Xen's PAT value: PV kernels build their cache attributes from it. */
#define XEN_MSR_PAT	0x0000050100070406ull

/* The iret hypercall: return to the frame at the guest's RSP. */
int pv_do_iret(struct pv_vcpu *v);

/* Event upcall: pending and not masked in the registered vcpu_info? */
bool pv_upcall_deliverable(const struct pv_vcpu *v);
int pv_deliver_upcall(struct pv_vcpu *v);

#endif
