/* SPDX-License-Identifier: MIT */
/*
 * The core of the PV guest ABI: hypercall numbers, the pages every PV
 * guest shares with the hypervisor (start_info, shared_info), PV MMU
 * operations and the small types everything else is built from.
 *
 * Layouts and values are Xen's, bit for bit, for 64-bit x86 guests, so
 * that unmodified Xen PV kernels run on pvisor.  tests/abi checks every
 * field and constant here against Xen's own headers.
 */
#ifndef PVABI_XEN_H
#define PVABI_XEN_H

#include <stdint.h>

#include "arch-x86_64.h"

/*
 * Guest handles.  In the ABI a guest pointer is always 8 bytes; keeping
 * it a plain integer means hypervisor code cannot dereference one by
 * accident and host-side code needs no casts to copy one around.  The
 * type argument only documents what the guest points at.
 */
#define XEN_GUEST_HANDLE(type)		uint64_t
#define XEN_GUEST_HANDLE_64(type)	uint64_t
#define set_xen_guest_handle(hnd, ptr)	((hnd) = (uint64_t)(uintptr_t)(ptr))

typedef uint16_t domid_t;
typedef uint32_t evtchn_port_t;
typedef uint32_t grant_ref_t;
typedef uint8_t xen_domain_handle_t[16];	/* the domain's UUID */

/*
 * Hypercall numbers (the value in %rax).  Gaps are numbers Xen never
 * assigned or has retired; pvisor answers them with -ENOSYS.
 */
#define __HYPERVISOR_set_trap_table			0
#define __HYPERVISOR_mmu_update				1
#define __HYPERVISOR_set_gdt				2
#define __HYPERVISOR_stack_switch			3
#define __HYPERVISOR_set_callbacks			4
#define __HYPERVISOR_fpu_taskswitch			5
#define __HYPERVISOR_sched_op_compat			6
#define __HYPERVISOR_platform_op			7
#define __HYPERVISOR_set_debugreg			8
#define __HYPERVISOR_get_debugreg			9
#define __HYPERVISOR_update_descriptor			10
#define __HYPERVISOR_memory_op				12
#define __HYPERVISOR_multicall				13
#define __HYPERVISOR_update_va_mapping			14
#define __HYPERVISOR_set_timer_op			15
#define __HYPERVISOR_event_channel_op_compat		16
#define __HYPERVISOR_xen_version			17
#define __HYPERVISOR_console_io				18
#define __HYPERVISOR_physdev_op_compat			19
#define __HYPERVISOR_grant_table_op			20
#define __HYPERVISOR_vm_assist				21
#define __HYPERVISOR_update_va_mapping_otherdomain	22
#define __HYPERVISOR_iret				23
#define __HYPERVISOR_vcpu_op				24
#define __HYPERVISOR_set_segment_base			25
#define __HYPERVISOR_mmuext_op				26
#define __HYPERVISOR_xsm_op				27
#define __HYPERVISOR_nmi_op				28
#define __HYPERVISOR_sched_op				29
#define __HYPERVISOR_callback_op			30
#define __HYPERVISOR_xenoprof_op			31
#define __HYPERVISOR_event_channel_op			32
#define __HYPERVISOR_physdev_op				33
#define __HYPERVISOR_hvm_op				34
#define __HYPERVISOR_sysctl				35
#define __HYPERVISOR_domctl				36
#define __HYPERVISOR_kexec_op				37
#define __HYPERVISOR_tmem_op				38
#define __HYPERVISOR_argo_op				39
#define __HYPERVISOR_xenpmu_op				40
#define __HYPERVISOR_dm_op				41
#define __HYPERVISOR_hypfs_op				42

/* Numbers reserved for architecture-specific hypercalls. */
#define __HYPERVISOR_arch_0				48
#define __HYPERVISOR_arch_1				49
#define __HYPERVISOR_arch_2				50
#define __HYPERVISOR_arch_3				51
#define __HYPERVISOR_arch_4				52
#define __HYPERVISOR_arch_5				53
#define __HYPERVISOR_arch_6				54
#define __HYPERVISOR_arch_7				55

#define __HYPERVISOR_mca				__HYPERVISOR_arch_0

/*
 * Virtual interrupts a guest can bind an event channel to.  Per-vCPU
 * sources (timer, debug, xenoprof, xenpmu) fire on the vCPU they were
 * bound on; the others are global and mostly meant for dom0.
 */
#define VIRQ_TIMER	0	/* singleshot/periodic timer expired */
#define VIRQ_DEBUG	1
#define VIRQ_CONSOLE	2
#define VIRQ_DOM_EXC	3
#define VIRQ_TBUF	4
#define VIRQ_DEBUGGER	6
#define VIRQ_XENOPROF	7
#define VIRQ_CON_RING	8
#define VIRQ_PCPU_STATE	9
#define VIRQ_MEM_EVENT	10
#define VIRQ_ARGO	11
#define VIRQ_ENOMEM	12
#define VIRQ_XENPMU	13
#define VIRQ_ARCH_0	16
#define VIRQ_ARCH_1	17
#define VIRQ_ARCH_2	18
#define VIRQ_ARCH_3	19
#define VIRQ_ARCH_4	20
#define VIRQ_ARCH_5	21
#define VIRQ_ARCH_6	22
#define VIRQ_ARCH_7	23
#define NR_VIRQS	24

/*
 * mmu_update (hypercall 1).  The low two bits of ptr select the kind of
 * update; the rest is the machine address of the PTE (or of the frame,
 * for MACHPHYS_UPDATE).  pvisor uses an identity P2M, so machine and
 * guest-physical addresses coincide.
 */
#define MMU_NORMAL_PT_UPDATE		0	/* validated *ptr = val */
#define MMU_MACHPHYS_UPDATE		1	/* M2P[ptr >> 12] = val */
#define MMU_PT_UPDATE_PRESERVE_AD	2	/* keep the PTE's A/D bits */
#define MMU_PT_UPDATE_NO_TRANSLATE	3	/* val is used untranslated */

struct mmu_update {
	uint64_t ptr;
	uint64_t val;
};

/* mmuext_op (hypercall 26) commands. */
#define MMUEXT_PIN_L1_TABLE		0
#define MMUEXT_PIN_L2_TABLE		1
#define MMUEXT_PIN_L3_TABLE		2
#define MMUEXT_PIN_L4_TABLE		3
#define MMUEXT_UNPIN_TABLE		4
#define MMUEXT_NEW_BASEPTR		5
#define MMUEXT_TLB_FLUSH_LOCAL		6
#define MMUEXT_INVLPG_LOCAL		7
#define MMUEXT_TLB_FLUSH_MULTI		8
#define MMUEXT_INVLPG_MULTI		9
#define MMUEXT_TLB_FLUSH_ALL		10
#define MMUEXT_INVLPG_ALL		11
#define MMUEXT_FLUSH_CACHE		12
#define MMUEXT_SET_LDT			13
#define MMUEXT_NEW_USER_BASEPTR		15
#define MMUEXT_CLEAR_PAGE		16
#define MMUEXT_COPY_PAGE		17
#define MMUEXT_FLUSH_CACHE_GLOBAL	18
#define MMUEXT_MARK_SUPER		19
#define MMUEXT_UNMARK_SUPER		20

/* Which union member is meaningful depends on cmd; see MMUEXT_*. */
struct mmuext_op {
	uint32_t cmd;
	union {
		xen_pfn_t mfn;		/* pin/unpin, baseptrs, page ops */
		uint64_t linear_addr;	/* invlpg, set_ldt */
	} arg1;
	union {
		uint32_t nr_ents;		/* set_ldt */
		XEN_GUEST_HANDLE(const void) vcpumask;	/* *_MULTI */
		xen_pfn_t src_mfn;		/* copy_page */
	} arg2;
};

/*
 * update_va_mapping flags: the low two bits say what to flush, bit 2
 * says on which vCPUs.  For UVMF_MULTI the remaining bits are a guest
 * pointer to a vCPU bitmap.
 */
#define UVMF_NONE		(0UL << 0)
#define UVMF_TLB_FLUSH		(1UL << 0)
#define UVMF_INVLPG		(2UL << 0)
#define UVMF_FLUSHTYPE_MASK	(3UL << 0)
#define UVMF_MULTI		(0UL << 2)
#define UVMF_LOCAL		(0UL << 2)
#define UVMF_ALL		(1UL << 2)

/* console_io (hypercall 18) commands. */
#define CONSOLEIO_write		0
#define CONSOLEIO_read		1

/* vm_assist (hypercall 21): optional behaviours a guest opts into. */
#define VMASST_CMD_enable			0
#define VMASST_CMD_disable			1
#define VMASST_TYPE_4gb_segments		0
#define VMASST_TYPE_4gb_segments_notify		1
#define VMASST_TYPE_writable_pagetables		2
#define VMASST_TYPE_pae_extended_cr3		3
#define VMASST_TYPE_architectural_iopl		4
#define VMASST_TYPE_runstate_update_flag	5
#define VMASST_TYPE_m2p_strict			32

/*
 * Domain ids at and above DOMID_FIRST_RESERVED name pseudo-domains, so
 * interfaces can take "myself" or "the hypervisor" as a domid.
 */
#define DOMID_FIRST_RESERVED	0x7ff0U
#define DOMID_SELF		0x7ff0U
#define DOMID_IO		0x7ff1U
#define DOMID_XEN		0x7ff2U
#define DOMID_COW		0x7ff3U
#define DOMID_INVALID		0x7ff4U
#define DOMID_IDLE		0x7fffU
#define DOMID_MASK		0x7fffU

/*
 * One call of a multicall batch (hypercall 13).  Batching is how guests
 * amortise the cost of leaving the VM; result receives the return value.
 */
struct multicall_entry {
	xen_ulong_t op;
	xen_ulong_t result;
	xen_ulong_t args[6];
};

/*
 * Per-vCPU time base.  The guest computes system time (ns since boot) as
 *   system_time + (((tsc - tsc_timestamp) << tsc_shift) * mul) >> 32
 * (a negative tsc_shift shifts right), reading all fields between two
 * equal, even values of version (odd means an update is in progress).
 */
struct vcpu_time_info {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;		/* XEN_PVCLOCK_* */
	uint8_t pad1[2];
};

#define XEN_PVCLOCK_TSC_STABLE_BIT	(1 << 0)
#define XEN_PVCLOCK_GUEST_STOPPED	(1 << 1)

/*
 * Per-vCPU event state (64 bytes).  evtchn_upcall_mask is the guest's
 * virtual interrupt flag: while set, pvisor delivers no upcall.
 * evtchn_upcall_pending and a bit of evtchn_pending_sel are set when a
 * port in the corresponding word of shared_info.evtchn_pending fires; the
 * guest clears them before scanning, so no set-and-check race exists.
 */
struct vcpu_info {
	uint8_t evtchn_upcall_pending;
	uint8_t evtchn_upcall_mask;
	xen_ulong_t evtchn_pending_sel;
	struct arch_vcpu_info arch;
	struct vcpu_time_info time;
};

/* Only this many vCPUs have a vcpu_info inside shared_info. */
#define XEN_LEGACY_MAX_VCPUS	32

/*
 * The shared_info page.  It carries the 2-level event channel bitmaps
 * (one bit per port, 4096 ports) and the wall clock: wc_* is the Unix
 * time at system time zero, versioned like vcpu_time_info.
 */
struct shared_info {
	struct vcpu_info vcpu_info[XEN_LEGACY_MAX_VCPUS];
	xen_ulong_t evtchn_pending[sizeof(xen_ulong_t) * 8];
	xen_ulong_t evtchn_mask[sizeof(xen_ulong_t) * 8];
	uint32_t wc_version;
	uint32_t wc_sec;
	uint32_t wc_nsec;
	uint32_t wc_sec_hi;
	struct arch_shared_info arch;
};

#define xen_wc_sec_hi	wc_sec_hi

/*
 * The start_info page, whose address the guest receives in %rsi at its
 * entry point.  Addresses named "mfn" are frame numbers; pt_base,
 * mfn_list and (unless SIF_MOD_START_PFN) mod_start are guest virtual
 * addresses inside the initial mapping.  The fields up to and including
 * console are rewritten on resume; the rest only at first boot.
 */
#define MAX_GUEST_CMDLINE	1024

struct start_info {
	char magic[32];			/* "xen-<version>-<platform>" */
	uint64_t nr_pages;
	uint64_t shared_info;		/* machine address of shared_info */
	uint32_t flags;			/* SIF_* */
	xen_pfn_t store_mfn;
	uint32_t store_evtchn;
	union {
		struct {
			xen_pfn_t mfn;
			uint32_t evtchn;
		} domU;
		struct {
			uint32_t info_off;
			uint32_t info_size;
		} dom0;
	} console;
	uint64_t pt_base;
	uint64_t nr_pt_frames;
	uint64_t mfn_list;
	uint64_t mod_start;
	uint64_t mod_len;
	int8_t cmd_line[MAX_GUEST_CMDLINE];
	uint64_t first_p2m_pfn;		/* frames of page tables + P2M */
	uint64_t nr_p2m_frames;
};

/* start_info.flags */
#define SIF_PRIVILEGED		(1 << 0)
#define SIF_INITDOMAIN		(1 << 1)
#define SIF_MULTIBOOT_MOD	(1 << 2)	/* mod_start is a module list */
#define SIF_MOD_START_PFN	(1 << 3)	/* mod_start is a PFN */
#define SIF_VIRT_P2M_4TOOLS	(1 << 4)	/* tools read the linear P2M */
#define SIF_PM_MASK		(0xff << 8)

#endif /* PVABI_XEN_H */
