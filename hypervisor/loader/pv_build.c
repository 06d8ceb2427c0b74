// SPDX-License-Identifier: MIT
/*
 * The PV domain builder, following the layout Xen's toolstack gives a
 * 64-bit PV guest (pfn order, bootstrap page tables, start_info), so
 * that kernels written for Xen boot unchanged. See the domU contract,
 * section 1, for the rules each step implements.
 */
#include <errno.h>
#include <string.h>

#include "pvisor/domain.h"
#include "pvisor/loader.h"

#define PAGES_4M	1024ull
#define SLACK_PAGES	128ull		/* >= 512 KiB free after the last item */
#define L1_FLAGS	(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_USER)
#define LX_FLAGS	(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | \
			 _PAGE_DIRTY | _PAGE_USER)

struct layout {
	uint64_t kernel_end;		/* first pfn after the kernel */
	uint64_t ramdisk_pfn, ramdisk_pages;
	bool ramdisk_mapped;
	uint64_t p2m_pfn, p2m_pages;
	uint64_t start_info_pfn, xenstore_pfn, console_pfn;
	uint64_t pt_pfn, nr_pt;		/* L4, L3, L2, then the L1s */
	uint64_t stack_pfn;
	uint64_t mapped_end;		/* pfns below are mapped at virt_base */
};

static uint64_t pages_of(uint64_t bytes)
{
	return (bytes + 4095) >> 12;
}

static int plan_layout(const struct pv_kernel_info *k, uint64_t nr_pages,
		       size_t ramdisk_len, struct layout *l)
{
	uint64_t next, tables = 0, prev;

	memset(l, 0, sizeof(*l));
	l->kernel_end = pages_of(k->virt_kend - k->virt_base);
	next = l->kernel_end;
	l->ramdisk_pages = pages_of(ramdisk_len);
	l->ramdisk_mapped = ramdisk_len && !k->mod_start_pfn;
	if (l->ramdisk_mapped) {
		l->ramdisk_pfn = next;
		next += l->ramdisk_pages;
	}
	l->p2m_pages = pages_of(nr_pages * 8);
	l->p2m_pfn = next;
	next += l->p2m_pages;
	l->start_info_pfn = next++;
	l->xenstore_pfn = next++;
	l->console_pfn = next++;
	l->pt_pfn = next;

	/* Page tables map themselves: iterate until the count is stable. */
	do {
		prev = tables;
		l->mapped_end = (next + tables + 1 + SLACK_PAGES + PAGES_4M - 1) &
				~(PAGES_4M - 1);
		tables = 3 + (l->mapped_end + 511) / 512;
	} while (tables != prev);
	l->nr_pt = tables;
	l->stack_pfn = l->pt_pfn + tables;

	if (l->mapped_end > 512 * 512)
		return -E2BIG;	/* Linux needs the region inside one L2 */
	if (l->mapped_end > nr_pages)
		return -ENOMEM;
	if (!l->ramdisk_mapped && ramdisk_len) {
		l->ramdisk_pfn = l->mapped_end;
		if (l->ramdisk_pfn + l->ramdisk_pages > nr_pages)
			return -ENOMEM;
	}
	return 0;
}

static void build_tables(struct domain *d, const struct pv_kernel_info *k,
			 const struct layout *l)
{
	uint8_t *ram = d->mem.ram;
	uint64_t *l4 = (uint64_t *)(ram + (l->pt_pfn << 12));
	uint64_t *l3 = l4 + 512, *l2 = l3 + 512, *l1 = l2 + 512;
	uint64_t va = k->virt_base;

	l4[(va >> 39) & 511] = ((l->pt_pfn + 1) << 12) | LX_FLAGS;
	l3[(va >> 30) & 511] = ((l->pt_pfn + 2) << 12) | LX_FLAGS;
	for (uint64_t i = 0; i < (l->mapped_end + 511) / 512; i++)
		l2[((va >> 21) & 511) + i] = ((l->pt_pfn + 3 + i) << 12) | LX_FLAGS;
	for (uint64_t pfn = 0; pfn < l->mapped_end; pfn++) {
		uint64_t e = (pfn << 12) | L1_FLAGS;

		/* Page-table frames are never writable through a mapping. */
		if (pfn >= l->pt_pfn && pfn < l->pt_pfn + l->nr_pt)
			e &= ~_PAGE_RW;
		l1[pfn] = e;
	}
}

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

static void fill_start_info(struct domain *d, const struct pv_kernel_info *k,
			    const struct layout *l, const struct pv_boot_image *img)
{
	struct start_info *si =
		(struct start_info *)(d->mem.ram + (l->start_info_pfn << 12));

	memset(si, 0, sizeof(*si));
	strcpy(si->magic, "xen-3.0-x86_64");
	si->nr_pages = d->mem.nr_pages;
	si->shared_info = d->shared_info_pfn << 12;
	si->store_mfn = l->xenstore_pfn;
	si->console.domU.mfn = l->console_pfn;
	si->pt_base = k->virt_base + (l->pt_pfn << 12);
	si->nr_pt_frames = l->nr_pt;
	si->mfn_list = k->virt_base + (l->p2m_pfn << 12);
	if (img->ramdisk_len) {
		if (l->ramdisk_mapped) {
			si->mod_start = k->virt_base + (l->ramdisk_pfn << 12);
			si->mod_len = img->ramdisk_len;
		} else {
			si->flags |= SIF_MOD_START_PFN;
			si->mod_start = l->ramdisk_pfn;
			si->mod_len = l->ramdisk_pages << 12;
		}
	}
	if (img->cmdline)
		strncpy((char *)si->cmd_line, img->cmdline,
			sizeof(si->cmd_line) - 1);
}

int pv_build(struct domain *d, const struct pv_boot_image *img,
	     const char **why)
{
	struct pv_kernel_info k;
	struct layout l;
	struct pv_vcpu *pv = &d->vcpus[0]->pv;
	uint64_t *p2m;
	int rc;

	rc = elf_pv_parse(img->kernel, img->kernel_len, &k, why);
	if (rc)
		return rc;
	*why = "kernel region does not fit in one 1 GiB page directory";
	if ((k.virt_base & ((1ull << 21) - 1)) ||
	    ((k.virt_base >> 30) & 511) + 1 > 512)
		return -EINVAL;
	*why = "domain memory too small for kernel, ramdisk and boot tables";
	rc = plan_layout(&k, d->mem.nr_pages, img->ramdisk_len, &l);
	if (rc == -E2BIG)
		*why = "initial mapped region exceeds 1 GiB";
	if (rc)
		return rc;
	*why = "kernel does not fit in memory";
	rc = elf_pv_load(img->kernel, img->kernel_len, &k, d->mem.ram,
			 d->mem.nr_pages << 12);
	if (rc)
		return rc;

	if (img->ramdisk_len)
		memcpy(d->mem.ram + (l.ramdisk_pfn << 12), img->ramdisk,
		       img->ramdisk_len);
	p2m = (uint64_t *)(d->mem.ram + (l.p2m_pfn << 12));
	for (uint64_t pfn = 0; pfn < d->mem.nr_pages; pfn++)
		p2m[pfn] = pfn;		/* identity: machine frame = pfn */
	if (k.hypercall_page)
		fill_hypercall_page(d->mem.ram +
				    (k.hypercall_page - k.virt_base));
	build_tables(d, &k, &l);
	fill_start_info(d, &k, &l, img);
	*why = "cannot install the hypervisor's L4 slots";
	rc = domain_install_reserved_l4(d, l.pt_pfn);
	if (rc)
		return rc;

	/* Xen's builder pins the bootstrap L4; guests unpin it themselves. */
	d->frame_pin[l.pt_pfn] = 4;
	pv->kernel_cr3 = l.pt_pfn << 12;
	pv->cpu.cr3 = pv->kernel_cr3;
	pv->cpu.rip = k.entry;
	pv->cpu.gpr[GPR_RSP] = k.virt_base + ((l.stack_pfn + 1) << 12);
	pv->cpu.gpr[GPR_RSI] = k.virt_base + (l.start_info_pfn << 12);
	pv->kernel_sp = pv->cpu.gpr[GPR_RSP];
	pv->cpu.rflags = X86_EFLAGS_FIXED | X86_EFLAGS_IF;
	pv->cpu.dirty = true;
	*why = NULL;
	return 0;
}
