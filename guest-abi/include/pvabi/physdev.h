/* SPDX-License-Identifier: MIT */
/*
 * physdev_op (hypercall 33): a PV guest's view of physical interrupts
 * and I/O privilege.  pvisor guests have no physical devices, so only
 * the operations a domU issues are described with their arguments; the
 * remaining numbers are listed so pvisor can name what it refuses.
 */
#ifndef PVABI_PHYSDEV_H
#define PVABI_PHYSDEV_H

#include "xen.h"

#define PHYSDEVOP_IRQ_UNMASK_NOTIFY	4
#define PHYSDEVOP_irq_status_query	5
#define PHYSDEVOP_set_iopl		6
#define PHYSDEVOP_set_iobitmap		7
#define PHYSDEVOP_apic_read		8
#define PHYSDEVOP_apic_write		9
#define PHYSDEVOP_alloc_irq_vector	10
#define PHYSDEVOP_free_irq_vector	11
#define PHYSDEVOP_eoi			12
#define PHYSDEVOP_map_pirq		13
#define PHYSDEVOP_unmap_pirq		14
#define PHYSDEVOP_manage_pci_add	15
#define PHYSDEVOP_manage_pci_remove	16
#define PHYSDEVOP_pirq_eoi_gmfn_v1	17
#define PHYSDEVOP_restore_msi		19
#define PHYSDEVOP_manage_pci_add_ext	20
#define PHYSDEVOP_setup_gsi		21
#define PHYSDEVOP_get_free_pirq		23
#define PHYSDEVOP_pci_mmcfg_reserved	24
#define PHYSDEVOP_pci_device_add	25
#define PHYSDEVOP_pci_device_remove	26
#define PHYSDEVOP_restore_msi_ext	27
#define PHYSDEVOP_pirq_eoi_gmfn_v2	28
#define PHYSDEVOP_dbgp_op		29
#define PHYSDEVOP_prepare_msix		30
#define PHYSDEVOP_release_msix		31

#define PHYSDEVOP_pirq_eoi_gmfn		PHYSDEVOP_pirq_eoi_gmfn_v2

struct physdev_eoi {
	uint32_t irq;
};

/* A page of EOI bits the guest checks instead of calling PHYSDEVOP_eoi. */
struct physdev_pirq_eoi_gmfn {
	xen_pfn_t gmfn;
};

struct physdev_irq_status_query {
	uint32_t irq;
	uint32_t flags;		/* out: XENIRQSTAT_* */
};

#define _XENIRQSTAT_needs_eoi	0
#define XENIRQSTAT_needs_eoi	(1U << _XENIRQSTAT_needs_eoi)
#define _XENIRQSTAT_shared	1
#define XENIRQSTAT_shared	(1U << _XENIRQSTAT_shared)

/*
 * Virtual IOPL, 0..3 (more is -EINVAL), per vCPU.  Both guest modes run
 * at CPL3, so port I/O and cli/sti are emulated: allowed in guest kernel
 * mode when iopl >= 1 (any iopl with VMASST_TYPE_architectural_iopl), in
 * user mode when 3; otherwise the guest gets #GP(0).
 */
struct physdev_set_iopl {
	uint32_t iopl;
};

/*
 * The I/O bitmap, per vCPU: ports below nr_ports (0..65536) whose bit is
 * clear are allowed where the virtual IOPL does not allow them. Read from
 * guest memory at each access, two bytes at a time, through the kernel's
 * page tables; nr_ports 0 turns it off.
 */
struct physdev_set_iobitmap {
	XEN_GUEST_HANDLE(uint8_t) bitmap;
	uint32_t nr_ports;
};

/* apic_read/apic_write: the I/O APICs, dom0's alone. */
struct physdev_apic {
	uint64_t apic_physbase;
	uint32_t reg;
	uint32_t value;
};

/* alloc_irq_vector, free_irq_vector. */
struct physdev_irq {
	uint32_t irq;
	uint32_t vector;
};

#endif /* PVABI_PHYSDEV_H */
