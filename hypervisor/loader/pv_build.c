// SPDX-License-Identifier: MIT
/*
 * The PV domain builder, following the layout Xen's toolstack gives a
 * 64-bit PV guest (pfn order, bootstrap page tables, start_info), so
 * that kernels written for Xen boot unchanged. See the domU contract,
 * section 1, for the rules each step implements.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pvisor/domain.h"
#include "pvisor/kernel_image.h"
#include "pvisor/loader.h"
#include "pvisor/log.h"
#include "pvisor/pv_mm.h"
#include "pvisor/pv_layout.h"

/* Xen's hypercall page: 32-byte stubs, each a syscall with eax = nr. */
static void fill_hypercall_page(uint8_t *page)
{
	for (unsigned int nr = 0; nr < 128; nr++) {
		uint8_t *p = page + nr * 32;
		uint32_t n = nr;

		memset(p, 0xcc, 32);
		*p++ = 0x51;				/* push %rcx */
		*p++ = 0x41; *p++ = 0x53;		/* push %r11 */
		if (nr == __HYPERVISOR_iret)
			*p++ = 0x50;			/* push %rax */
		*p++ = 0xb8;				/* mov $nr,%eax */
		memcpy(p, &n, 4);
		p += 4;
		*p++ = 0x0f; *p++ = 0x05;		/* syscall */
		if (nr == __HYPERVISOR_iret)
			continue;			/* does not return */
		*p++ = 0x41; *p++ = 0x5b;		/* pop %r11 */
		*p++ = 0x59;				/* pop %rcx */
		*p++ = 0xc3;				/* ret */
	}
}

static void fill_start_info(struct domain *d, const struct pv_layout *l,
			    const struct pv_boot_image *img)
{
	struct start_info *si =
		(struct start_info *)(d->mem.ram + (l->start_info_pfn << 12));

	memset(si, 0, sizeof(*si));
	strcpy(si->magic, "xen-3.0-x86_64");
	si->nr_pages = d->mem.nr_pages;
	si->shared_info = d->shared_info_pfn << 12;
	si->flags = SIF_VIRT_P2M_4TOOLS;	/* as Xen's toolstack, always */
	si->store_mfn = l->xenstore_pfn;
	si->store_evtchn = img->store_evtchn;
	si->console.domU.mfn = l->console_pfn;
	si->console.domU.evtchn = img->console_evtchn;
	si->pt_base = l->virt_base + (l->map.first_pfn << 12);
	si->nr_pt_frames = l->map.nr_tables;
	si->mfn_list = l->p2m_va;
	if (l->init_p2m) {
		si->first_p2m_pfn = l->p2m_pfn;
		si->nr_p2m_frames = pv_layout_p2m_frames(l);
	}
	if (img->ramdisk_len) {
		if (l->ramdisk_mapped) {
			si->mod_start = l->virt_base + (l->ramdisk_pfn << 12);
			si->mod_len = img->ramdisk_len;
		} else {
			/* Xen passes whole pages for an unmapped module. */
			si->flags |= SIF_MOD_START_PFN;
			si->mod_start = l->ramdisk_pfn;
			si->mod_len = l->ramdisk_pages << 12;
		}
	}
	if (img->cmdline)
		strncpy((char *)si->cmd_line, img->cmdline,
			sizeof(si->cmd_line) - 1);
}

static int load_kernel(struct domain *d, const struct pv_boot_image *img,
		       struct pv_kernel_info *k, struct pv_layout *l,
		       const char **why)
{
	const uint8_t *elf;
	size_t elf_len;
	uint8_t *owned;
	int rc;

	rc = kernel_image_elf(img->kernel, img->kernel_len, &elf, &elf_len,
			      &owned, why);
	if (rc)
		return rc;
	rc = elf_pv_parse(elf, elf_len, k, why);
	if (!rc) {
		pr_debug("kernel: Xen notes from %s\n", k->notes_from);
		rc = pv_layout_plan(k, d->mem.nr_pages, img->ramdisk_len, l, why);
	}
	if (!rc) {
		*why = "kernel does not fit in memory";
		rc = elf_pv_load(elf, elf_len, k, d->mem.ram,
				 d->mem.nr_pages << 12);
	}
	free(owned);
	return rc;
}

int pv_build(struct domain *d, const struct pv_boot_image *img,
	     const char **why)
{
	struct pv_kernel_info k;
	struct pv_layout l;
	struct pv_vcpu *pv = &d->vcpus[0]->pv;
	uint64_t *p2m, l4_pfn;
	int rc;

	rc = load_kernel(d, img, &k, &l, why);
	if (rc)
		return rc;
	pv_layout_log(&l);
	if (img->layout)
		*img->layout = l;

	if (img->ramdisk_len)
		memcpy(d->mem.ram + (l.ramdisk_pfn << 12), img->ramdisk,
		       img->ramdisk_len);
	p2m = (uint64_t *)(d->mem.ram + (l.p2m_pfn << 12));
	for (uint64_t pfn = 0; pfn < d->mem.nr_pages; pfn++)
		p2m[pfn] = pfn;		/* identity: machine frame = pfn */
	if (k.hypercall_page)
		fill_hypercall_page(d->mem.ram +
				    (k.hypercall_page - k.virt_base));
	/* Rings start empty: the backends read their indexes from here. */
	memset(d->mem.ram + (l.xenstore_pfn << 12), 0, 4096);
	memset(d->mem.ram + (l.console_pfn << 12), 0, 4096);
	pv_layout_write_tables(d->mem.ram, &l);
	fill_start_info(d, &l, img);
	l4_pfn = l.map.l4_pfn;
	/*
	 * Xen's builder pins the bootstrap L4 (guests unpin it themselves)
	 * and makes it vCPU0's CR3: the whole tree is validated here.
	 */
	*why = "bootstrap page tables do not validate";
	rc = pv_mm_build_root(d, d->vcpus[0], l4_pfn);
	if (rc)
		return rc;
	pv->cpu.rip = k.entry;
	pv->cpu.gpr[GPR_RSP] = k.virt_base + ((l.stack_pfn + 1) << 12);
	pv->cpu.gpr[GPR_RSI] = k.virt_base + (l.start_info_pfn << 12);
	pv->kernel_sp = pv->cpu.gpr[GPR_RSP];
	pv->cpu.rflags = X86_EFLAGS_FIXED | X86_EFLAGS_IF;
	pv->cpu.dirty = true;
	*why = NULL;
	return 0;
}
