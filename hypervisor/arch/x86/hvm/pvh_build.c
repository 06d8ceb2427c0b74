// SPDX-License-Identifier: MIT
/*
 * The PVH domain builder (Xen's docs/misc/pvh.pandoc): the kernel's ELF
 * segments at their physical addresses, then one boot page after the
 * kernel holding hvm_start_info, the memory map, the module list and the
 * command line, then the ramdisk; vCPU0 enters XEN_ELFNOTE_PHYS32_ENTRY
 * in 32-bit protected mode, paging off, EBX = the start info's address.
 * The guest also gets ACPI tables (a MADT listing the vCPUs the kernel
 * wakes through the LAPIC, a FADT with the PC's power control) and two
 * pages at the top of guest memory, reserved in the memory map, for its
 * console and xenstore rings.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pvabi/hvm/hvm_op.h>

#include "pvisor/acpi.h"
#include "pvisor/domain.h"
#include "pvisor/hvm.h"
#include "pvisor/kernel_image.h"
#include "pvisor/loader.h"
#include "pvisor/log.h"

#define CMDLINE_MAX	1024
/* The boot page: start info, then memmap, modlist, cmdline. */
#define BI_MEMMAP_OFF	0x100
#define BI_MODLIST_OFF	0x200
#define BI_CMDLINE_OFF	0x400
#define BI_SIZE		(BI_CMDLINE_OFF + CMDLINE_MAX)

unsigned int pvh_memmap(uint64_t ram_bytes,
			struct hvm_memmap_table_entry *e, unsigned int max)
{
	uint64_t rings = HVM_RING_PAGES << PAGE_SHIFT;
	unsigned int n = 0;

	if (max < PVH_MEMMAP_MAX || ram_bytes <= 0x100000 + rings)
		return 0;
	/*
	 * Low RAM, the VGA/BIOS hole (the ACPI tables), RAM from 1 MiB, the
	 * ring pages, the MMIO window.
	 */
	e[n++] = (struct hvm_memmap_table_entry){ 0, 0xa0000,
		XEN_HVM_MEMMAP_TYPE_RAM, 0 };
	e[n++] = (struct hvm_memmap_table_entry){ 0xa0000, 0x60000,
		XEN_HVM_MEMMAP_TYPE_RESERVED, 0 };
	e[n++] = (struct hvm_memmap_table_entry){ 0x100000,
		ram_bytes - rings - 0x100000, XEN_HVM_MEMMAP_TYPE_RAM, 0 };
	e[n++] = (struct hvm_memmap_table_entry){ ram_bytes - rings, rings,
		XEN_HVM_MEMMAP_TYPE_RESERVED, 0 };
	e[n++] = (struct hvm_memmap_table_entry){ PVH_MMIO_BASE,
		(1ull << 32) - PVH_MMIO_BASE, XEN_HVM_MEMMAP_TYPE_RESERVED, 0 };
	return n;
}

int pvh_build(struct domain *d, const struct pv_boot_image *img,
	      struct pvh_layout *lay, const char **why)
{
	uint64_t ram_bytes = d->mem.nr_pages << PAGE_SHIFT;
	struct pv_kernel_info k;
	struct plat_hvm_vcpu_config vc = { .cpuid = &d->cpuid };
	struct hvm_start_info si = { 0 };
	struct hvm_memmap_table_entry map[PVH_MEMMAP_MAX];
	struct hvm_modlist_entry mod = { 0 };
	const uint8_t *elf;
	size_t elf_len, cmd_len = img->cmdline ? strlen(img->cmdline) : 0;
	uint8_t *owned = NULL;
	uint64_t bi, top;
	struct vcpu *v;
	int rc;

	memset(lay, 0, sizeof(*lay));
	if (d->type != DOMAIN_TYPE_PVH || !d->vcpus[0] || d->vcpus[0]->plat) {
		*why = "not a fresh PVH domain";
		return -EINVAL;
	}
	*why = "command line longer than 1023 bytes";
	if (cmd_len >= CMDLINE_MAX)
		return -EINVAL;
	/* bzImage payloads and compressed ELFs unpack as for PV. */
	rc = kernel_image_elf(img->kernel, img->kernel_len, &elf, &elf_len,
			      &owned, why);
	if (rc)
		return rc;
	rc = elf_pvh_parse(elf, elf_len, &k, why);
	if (rc)
		goto out;
	rc = -E2BIG;
	*why = "kernel does not fit in guest RAM";
	if (k.pend > ram_bytes || k.pstart < 0x100000 /* below: the hole */)
		goto out;
	rc = elf_pv_load(elf, elf_len, &k, d->mem.ram, ram_bytes);
	if (rc)
		goto out;

	/* The boot page, then the ramdisk, page-aligned after the kernel. */
	bi = (k.pend + PAGE_SIZE - 1) & PAGE_MASK;
	top = bi + ((BI_SIZE + PAGE_SIZE - 1) & PAGE_MASK);
	if (img->ramdisk_len) {
		lay->ramdisk = top;
		lay->ramdisk_len = img->ramdisk_len;
		top += (img->ramdisk_len + PAGE_SIZE - 1) & PAGE_MASK;
	}
	rc = -E2BIG;
	*why = "kernel, boot information and ramdisk do not fit in guest RAM";
	if (top < bi || top > ram_bytes - (HVM_RING_PAGES << PAGE_SHIFT))
		goto out;
	rc = hvm_acpi_install(d, &lay->acpi_len);
	if (rc) {
		*why = "cannot build the ACPI tables";
		goto out;
	}
	lay->acpi = HVM_ACPI_BASE;
	rc = hvm_rings_install(d, img, &lay->console_pfn, &lay->store_pfn);
	if (rc) {
		*why = "cannot set the console and xenstore parameters";
		goto out;
	}

	si.magic = XEN_HVM_START_MAGIC_VALUE;
	si.version = 1;
	si.cmdline_paddr = bi + BI_CMDLINE_OFF;
	si.memmap_paddr = bi + BI_MEMMAP_OFF;
	si.memmap_entries = pvh_memmap(ram_bytes, map, PVH_MEMMAP_MAX);
	si.rsdp_paddr = HVM_ACPI_BASE;
	for (unsigned int i = 0; i < si.memmap_entries; i++)
		hvm_memmap_add(d, map[i].addr, map[i].size, map[i].type);
	if (img->ramdisk_len) {
		mod.paddr = lay->ramdisk;
		mod.size = img->ramdisk_len;
		memcpy(d->mem.ram + lay->ramdisk, img->ramdisk,
		       img->ramdisk_len);
		si.nr_modules = 1;
		si.modlist_paddr = bi + BI_MODLIST_OFF;
	}
	memset(d->mem.ram + bi, 0, BI_SIZE);
	if (img->ramdisk_len)
		memcpy(d->mem.ram + bi + BI_MODLIST_OFF, &mod, sizeof(mod));
	memcpy(d->mem.ram + bi, &si, sizeof(si));
	memcpy(d->mem.ram + si.memmap_paddr, map,
	       si.memmap_entries * sizeof(map[0]));
	if (cmd_len)
		memcpy(d->mem.ram + si.cmdline_paddr, img->cmdline, cmd_len);

	lay->kernel_start = k.pstart;
	lay->kernel_end = k.pend;
	lay->entry = k.phys32_entry;
	lay->start_info = bi;
	lay->cmdline = si.cmdline_paddr;

	*why = NULL;
	vc.eip = (uint32_t)k.phys32_entry;
	vc.ebx = (uint32_t)bi;
	for (unsigned int i = 0; i < d->nr_vcpus; i++) {
		v = d->vcpus[i];
		/* The others wait in KVM for the kernel's INIT/SIPI. */
		if (i)
			vc.entry = PLAT_HVM_ENTRY_AP;
		rc = plat_vcpu_create_hvm(d->vm, i, &vc, &v->plat);
		if (rc) {
			*why = "cannot create the vCPUs";
			goto out;
		}
		v->initialised = true;
		v->online = true;
	}
	pr_debug("d%u: PVH kernel %#llx-%#llx entry %#llx start_info %#llx\n",
		 d->id, (unsigned long long)k.pstart,
		 (unsigned long long)k.pend,
		 (unsigned long long)k.phys32_entry, (unsigned long long)bi);
out:
	free(owned);
	return rc;
}
