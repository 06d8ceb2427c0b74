/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_HVM_H
#define PVISOR_HVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pvabi/hvm/start_info.h>

/*
 * HVM and PVH guests (arch/x86/hvm): CPL0 in their KVM VM, their own
 * page tables, Xen's hypercalls through a hypercall page. See docs/pvh.md.
 */
struct domain;
struct domain_config;
struct plat_info;
struct pv_boot_image;
struct vcpu;

/* Why a host or a configuration cannot have this guest type (NULL: can). */
const char *hvm_refusal(int type, const struct plat_info *host);

/*
 * Whether a guest of this type on this host sees Xen: its CPUID leaves
 * and, for HVM, the Xen platform PCI device and the PV drivers' rings.
 * PVH always; HVM only where KVM hands direct vmcalls to us.
 */
bool hvm_sees_xen(int type, const struct plat_info *host);

/* What this slice cannot give such a domain yet (NULL: nothing). */
const char *hvm_config_problem(const struct domain_config *cfg);

/* The HVM part of domain_create: VM, RAM and hypercall exits, no vCPUs. */
int hvm_domain_create(struct domain *d, const struct domain_config *cfg,
		      const struct plat_info *host);

/* Where pvh_build put things (guest-physical). */
struct pvh_layout {
	uint64_t kernel_start, kernel_end;
	uint64_t entry;
	uint64_t start_info;
	uint64_t cmdline;
	uint64_t ramdisk, ramdisk_len;
	uint64_t acpi, acpi_len;
	uint64_t console_pfn, store_pfn;	/* the toolstack's rings */
};

/*
 * Build a PVH domain: load the ELF by p_paddr, lay out hvm_start_info
 * (command line, ramdisk module, memory map, ACPI RSDP), place the
 * console and xenstore ring pages (their HVM parameters set when img
 * names event channels for them), create vCPU0 at the
 * XEN_ELFNOTE_PHYS32_ENTRY with EBX pointing at the start info and the
 * other vCPUs waiting for INIT/SIPI.
 */
int pvh_build(struct domain *d, const struct pv_boot_image *img,
	      struct pvh_layout *layout, const char **why);

/*
 * The memory map a PVH guest of ram_bytes sees: RAM, the legacy hole
 * below 1 MiB, the ring pages at the top of guest memory and the MMIO
 * window below 4 GiB reserved. Returns the number of entries written
 * (at most max).
 */
unsigned int pvh_memmap(uint64_t ram_bytes,
			struct hvm_memmap_table_entry *e, unsigned int max);
#define PVH_MEMMAP_MAX		5
/* The console ring's page, then xenstore's, at the top of guest memory. */
#define HVM_RING_PAGES		2ull
/* Guest RAM a PVH domain may have: below the MMIO window (no high RAM yet). */
#define PVH_MMIO_BASE		0xfc000000ull
_Static_assert((PVH_MMIO_BASE >> 20) == 4032, "hvm_config_problem's text");

/* Where hvm_build put things (guest-physical). */
struct hvm_layout {
	uint64_t kernel_start, kernel_end;
	uint64_t entry;
	uint64_t boot_params;
	uint64_t ramdisk, ramdisk_len;
	uint64_t acpi, acpi_len;
	uint64_t console_pfn, store_pfn;	/* the toolstack's ring pages */
};
/* The ACPI tables: in the legacy BIOS area, where OSes also scan. */
#define HVM_ACPI_BASE		0xe0000ull
#define HVM_ACPI_SIZE		0x10000ull

/*
 * The ACPI tables of a PVH or HVM domain at HVM_ACPI_BASE: one LAPIC per
 * vCPU in the MADT, the PM1a blocks of hvm/pc.c in the FADT. Their
 * size goes to *len.
 */
int hvm_acpi_install(struct domain *d, uint64_t *len);

/*
 * The HVM_RING_PAGES at the top of guest RAM, zeroed: *console_pfn, then
 * *store_pfn. Each ring's pfn and port become HVM parameters when img
 * names that ring's event channel.
 */
int hvm_rings_install(struct domain *d, const struct pv_boot_image *img,
		      uint64_t *console_pfn, uint64_t *store_pfn);

/*
 * Build an HVM domain from a bzImage, firmware-less: ACPI tables (MADT,
 * FADT with the PM1a blocks), Linux's 64-bit boot protocol, vCPU0 at
 * the kernel's 64-bit entry and the other vCPUs waiting for INIT/SIPI.
 */
int hvm_build(struct domain *d, const struct pv_boot_image *img,
	      struct hvm_layout *layout, const char **why);

/* Fill a hypercall page with PLAT_HVM_HCALL_PORT stubs. */
void hvm_hypercall_page_fill(uint8_t page[4096]);
/* The guest wrote the hypercall MSR: 0, or -errno for a #GP. */
int hvm_hypercall_msr_write(struct vcpu *v, uint64_t value);
/* Run one hypercall for an HVM vCPU; returns the value for RAX. */
long hvm_hypercall(struct vcpu *v, uint64_t nr, const uint64_t a[6],
		   bool long_mode, unsigned int cpl);

/* A vCPU of an HVM/PVH domain, not yet on KVM (the builder does that). */
struct vcpu *hvm_vcpu_new(struct domain *d, unsigned int id);
/*
 * Event channels for PVH/HVM domains (hvm/shared_info.c): the shared_info
 * page, the time base and the event logic, once the vCPU structs exist.
 */
int hvm_events_init(struct domain *d, const struct domain_config *cfg,
		    const struct plat_info *host);
void hvm_events_fini(struct domain *d);
/* Record one entry of the domain's memory map (the builders). */
void hvm_memmap_add(struct domain *d, uint64_t addr, uint64_t size,
		    uint32_t type);
/*
 * The balloon (hvm/balloon.c): the reservation ops of memory_op, frames
 * named by gpfn; init once RAM exists, fini before it goes.
 */
int hvm_balloon_init(struct domain *d);
void hvm_balloon_fini(struct domain *d);
long hvm_balloon_op(struct vcpu *v, const uint64_t a[6]);
/* memory_op for PVH/HVM guests (hvm/memory_op.c). */
long hvm_memory_op(struct vcpu *v, const uint64_t a[6]);
/*
 * Grant frames (hvm/grant_frames.c): where the guest shows each, once
 * the grant table exists. idx may carry XENMAPIDX_grant_table_status.
 */
int hvm_grant_frames_init(struct domain *d);
void hvm_grant_frames_fini(struct domain *d);
long hvm_map_grant_frame(struct domain *d, uint64_t idx, uint64_t gpfn);
/* XENMEM_add_to_physmap: shared_info at a gpfn of the guest's choosing. */
long hvm_add_to_physmap(struct vcpu *v, uint64_t arg);
/* hvm_op (hvm/hvm_op.c). */
long hvm_do_hvm_op(struct vcpu *v, const uint64_t a[6]);
/*
 * The parameters only the toolstack sets (the guest gets -EPERM): the
 * xenstore and console rings' pfns and event channels.
 */
int hvm_param_toolstack_set(struct domain *d, uint32_t index, uint64_t value);
/* An upcall became pending on v: raise its callback vector, if any. */
void hvm_upcall(struct vcpu *v);

/* The HVM vCPU thread body (core/vcpu.c's vcpu_thread for PV). */
void *hvm_vcpu_thread(void *arg);

#endif
