// SPDX-License-Identifier: MIT
/*
 * The HVM domain builder: a PC without firmware. The ACPI tables go
 * into the legacy BIOS area, the bzImage is laid out by Linux's own
 * 64-bit boot protocol (linux_boot.c), vCPU0 enters the kernel in long
 * mode and the others wait for the INIT/SIPI the kernel sends through
 * KVM's LAPICs, as on a real PC.
 */
#include <errno.h>
#include <string.h>

#include <pvabi/hvm/hvm_op.h>

#include "pvisor/acpi.h"
#include "pvisor/domain.h"
#include "pvisor/hvm.h"
#include "pvisor/hvm_pc.h"
#include "pvisor/linux_boot.h"
#include "pvisor/loader.h"
#include "pvisor/log.h"

static int hvm_vcpus_create(struct domain *d, const struct linux_boot_entry *e)
{
	struct plat_hvm_vcpu_config vc = {
		.entry = PLAT_HVM_ENTRY_LONG64,
		.rip = e->rip, .rsi = e->rsi, .rsp = e->rsp, .cr3 = e->cr3,
		.gdt_base = e->gdt_base, .gdt_limit = e->gdt_limit,
		.cs = e->cs, .ds = e->ds, .tr = e->tr,
		.tss_base = e->tss_base, .tss_limit = e->tss_limit,
		.cpuid = &d->cpuid,
	};

	for (unsigned int i = 0; i < d->nr_vcpus; i++) {
		struct vcpu *v = d->vcpus[i];
		int rc;

		if (i)
			vc.entry = PLAT_HVM_ENTRY_AP;
		rc = plat_vcpu_create_hvm(d->vm, i, &vc, &v->plat);
		if (rc)
			return rc;
		/* APs run too: KVM holds them until their SIPI. */
		v->initialised = true;
		v->online = true;
	}
	return 0;
}

int hvm_acpi_install(struct domain *d, uint64_t *len)
{
	struct acpi_config ac = {
		.nr_vcpus = d->nr_vcpus,
		.lapic_addr = 0xfee00000, .ioapic_addr = 0xfec00000,
		.pm1a_evt = HVM_PM1A_EVT, .pm1a_cnt = HVM_PM1A_CNT,
		.pm_tmr = HVM_PM_TMR, .sci_irq = HVM_SCI_IRQ, .s5_slp_typ = HVM_S5_SLP_TYP,
		.reset_port = HVM_RESET_PORT, .reset_value = HVM_RESET_VALUE,
	};
	long n;

	if (hvm_pc_has_pci(d)) {
		ac.pci_mmio_base = HVM_PCI_MMIO_BASE;
		ac.pci_mmio_end = HVM_PCI_MMIO_END;
	}
	if (d->mem.nr_pages << PAGE_SHIFT < HVM_ACPI_BASE + HVM_ACPI_SIZE)
		return -E2BIG;
	n = acpi_build(&ac, d->mem.ram + HVM_ACPI_BASE, HVM_ACPI_SIZE,
		       HVM_ACPI_BASE);
	if (n < 0)
		return (int)n;
	*len = (uint64_t)n;
	return 0;
}

int hvm_rings_install(struct domain *d, const struct pv_boot_image *img,
		      uint64_t *console_pfn, uint64_t *store_pfn)
{
	uint64_t top = d->mem.nr_pages;
	int rc = 0;

	if (top <= HVM_RING_PAGES)
		return -E2BIG;
	*console_pfn = top - HVM_RING_PAGES;
	*store_pfn = top - HVM_RING_PAGES + 1;
	memset(d->mem.ram + (*console_pfn << PAGE_SHIFT), 0,
	       HVM_RING_PAGES << PAGE_SHIFT);
	/* Each ring only with its service's port (pvctl run: no xenstore). */
	if (img->console_evtchn)
		rc = hvm_param_toolstack_set(d, HVM_PARAM_CONSOLE_PFN,
					     *console_pfn);
	if (!rc && img->console_evtchn)
		rc = hvm_param_toolstack_set(d, HVM_PARAM_CONSOLE_EVTCHN,
					     img->console_evtchn);
	if (!rc && img->store_evtchn)
		rc = hvm_param_toolstack_set(d, HVM_PARAM_STORE_PFN,
					     *store_pfn);
	if (!rc && img->store_evtchn)
		rc = hvm_param_toolstack_set(d, HVM_PARAM_STORE_EVTCHN,
					     img->store_evtchn);
	return rc;
}

/* The same map boot_params carries, for XENMEM_memory_map. */
static void hvm_memmap_from_e820(struct domain *d, uint64_t ram_bytes,
				 uint64_t top_reserved)
{
	struct boot_e820_entry m[LINUX_BOOT_E820_MAX];
	unsigned int n = linux_boot_e820(ram_bytes, HVM_ACPI_BASE,
					 HVM_ACPI_SIZE, top_reserved, m,
					 LINUX_BOOT_E820_MAX);

	for (unsigned int i = 0; i < n; i++)
		hvm_memmap_add(d, m[i].addr, m[i].size, m[i].type);
}

int hvm_build(struct domain *d, const struct pv_boot_image *img,
	      struct hvm_layout *lay, const char **why)
{
	uint64_t ram_bytes = d->mem.nr_pages << PAGE_SHIFT;
	struct linux_boot_params_in in = {
		.kernel = img->kernel, .kernel_len = img->kernel_len,
		.initrd = img->ramdisk, .initrd_len = img->ramdisk_len,
		.cmdline = img->cmdline ? img->cmdline : "",
		.acpi_rsdp = HVM_ACPI_BASE,
		.acpi_start = HVM_ACPI_BASE, .acpi_len = HVM_ACPI_SIZE,
		.top_reserved = HVM_RING_PAGES << PAGE_SHIFT,
	};
	struct linux_boot_entry e;
	uint64_t n;
	int rc;

	memset(lay, 0, sizeof(*lay));
	if (d->type != DOMAIN_TYPE_HVM || !d->vcpus[0] || d->vcpus[0]->plat ||
	    !d->pc) {
		*why = "not a fresh HVM domain";
		return -EINVAL;
	}
	if (img->console_evtchn) {
		*why = "HVM guests have no console ring (COM1 is theirs)";
		return -EINVAL;
	}
	rc = hvm_acpi_install(d, &n);
	if (rc) {
		*why = "cannot build the ACPI tables";
		return rc;
	}
	rc = linux_boot_load(d->mem.ram, ram_bytes, &in, &e, why);
	if (rc)
		return rc;
	/* The xenstore ring; the console stays COM1. */
	rc = hvm_rings_install(d, img, &lay->console_pfn, &lay->store_pfn);
	if (rc) {
		*why = "cannot set the xenstore parameters";
		return rc;
	}
	hvm_memmap_from_e820(d, ram_bytes, in.top_reserved);
	lay->kernel_start = e.kernel_load;
	lay->kernel_end = e.kernel_end;
	lay->entry = e.rip;
	lay->boot_params = e.boot_params;
	lay->ramdisk = e.initrd_addr;
	lay->ramdisk_len = img->ramdisk_len;
	lay->acpi = HVM_ACPI_BASE;
	lay->acpi_len = n;
	rc = hvm_vcpus_create(d, &e);
	if (rc) {
		*why = "cannot create the vCPUs";
		return rc;
	}
	*why = NULL;
	pr_debug("d%u: HVM kernel %#llx-%#llx entry %#llx boot_params %#llx "
		 "initrd %#llx, ACPI %llu bytes at %#llx, %u vCPU(s)\n", d->id,
		 (unsigned long long)e.kernel_load,
		 (unsigned long long)e.kernel_end, (unsigned long long)e.rip,
		 (unsigned long long)e.boot_params,
		 (unsigned long long)e.initrd_addr, (unsigned long long)n,
		 (unsigned long long)HVM_ACPI_BASE, d->nr_vcpus);
	return 0;
}
