/* SPDX-License-Identifier: MIT */
/*
 * hello: the first kernel to bring up.  Prints what the domain builder
 * handed over (start_info, entry registers) and what xen_version says,
 * checks the few things every PV kernel relies on, and powers off.
 */
#include <pvabi/version.h>

#include <pvguest/pvguest.h>

static const uint8_t xen_stub0[] = {
	0x51,				/* push %rcx */
	0x41, 0x53,			/* push %r11 */
	0xb8, 0x00, 0x00, 0x00, 0x00,	/* mov $0,%eax */
	0x0f, 0x05,			/* syscall */
	0x41, 0x5b,			/* pop %r11 */
	0x59,				/* pop %rcx */
	0xc3,				/* ret */
};

static void print_start_info(const struct start_info *si)
{
	char magic[sizeof(si->magic) + 1];

	memcpy(magic, si->magic, sizeof(si->magic));
	magic[sizeof(si->magic)] = '\0';
	printk("start_info at %p:\n", si);
	printk("  magic          \"%s\"\n", magic);
	printk("  nr_pages       %lu (%lu MiB)\n", si->nr_pages,
	       si->nr_pages >> 8);
	printk("  shared_info    %#lx (machine address)\n", si->shared_info);
	printk("  flags          %#x\n", si->flags);
	printk("  store          mfn %#lx evtchn %u\n", si->store_mfn,
	       si->store_evtchn);
	printk("  console        mfn %#lx evtchn %u\n", si->console.domU.mfn,
	       si->console.domU.evtchn);
	printk("  pt_base        %#lx, %lu frames\n", si->pt_base,
	       si->nr_pt_frames);
	printk("  mfn_list       %#lx\n", si->mfn_list);
	printk("  module         start %#lx len %lu\n", si->mod_start,
	       si->mod_len);
	printk("  p2m frames     first %#lx count %lu\n", si->first_p2m_pfn,
	       si->nr_p2m_frames);
	printk("  cmd_line       \"%s\"\n", (const char *)si->cmd_line);
}

static void print_entry_state(const struct pvguest_entry_state *e)
{
	printk("entry registers:\n");
	printk("  rsi %016lx rsp %016lx rflags %016lx\n", e->rsi, e->rsp,
	       e->rflags);
	printk("  cs %04lx ss %04lx ds %04lx es %04lx fs %04lx gs %04lx\n",
	       e->cs, e->ss, e->ds, e->es, e->fs, e->gs);
}

static bool other_gprs_zero(const struct pvguest_entry_state *e)
{
	return !(e->rax | e->rbx | e->rcx | e->rdx | e->rdi | e->rbp |
		 e->r8 | e->r9 | e->r10 | e->r11 | e->r12 | e->r13 | e->r14 |
		 e->r15);
}

void guest_main(struct start_info *si)
{
	const struct pvguest_entry_state *e = &pvguest_entry_state;
	struct xen_feature_info fi = { .submap_idx = 0 };
	xen_extraversion_t extra;
	long ver, rc;

	test_start("hello");
	printk("Hello from a pvisor PV guest!\n");
	print_start_info(si);
	print_entry_state(e);

	ver = HYPERVISOR_xen_version(XENVER_version, NULL);
	memset(extra, 0, sizeof(extra));
	rc = HYPERVISOR_xen_version(XENVER_extraversion, extra);
	extra[sizeof(extra) - 1] = '\0';
	printk("xen_version: %ld.%ld%s (rc %ld)\n", ver >> 16, ver & 0xffff,
	       rc == 0 ? extra : "", rc);
	rc = HYPERVISOR_xen_version(XENVER_get_features, &fi);
	printk("features submap 0: %#x (rc %ld)\n", fi.submap, rc);

	printk("hypercall page: %s\n",
	       memcmp(hypercall_page, xen_stub0, sizeof(xen_stub0)) == 0 ?
	       "filled in Xen's layout" : "not filled (fine: we use syscall)");
	if (si->mfn_list)
		printk("p2m: pfn 0 -> %#lx, pfn %#lx -> %#lx\n",
		       pfn_to_mfn(0), virt_to_pfn(si),
		       pfn_to_mfn(virt_to_pfn(si)));
	/* Deviations from what xl sets up that Linux survives: notes only. */
	if (!other_gprs_zero(e))
		printk("note: GPRs other than rsi/rsp were not zero at entry\n");
	if (e->cs != FLAT_KERNEL_CS || e->ss != FLAT_KERNEL_SS)
		printk("note: entry cs:ss %#lx:%#lx, Xen uses %#x:%#x\n", e->cs,
		       e->ss, FLAT_KERNEL_CS, FLAT_KERNEL_SS);
	if (!si->store_evtchn || !si->console.domU.evtchn)
		printk("note: store/console event channel 0 (Linux needs "
		       "non-zero ports)\n");

	check(memcmp(si->magic, "xen-3.0-x86_64", 15) == 0,
	      "start_info magic is \"xen-3.0-x86_64\"");
	check(si->nr_pages > 0, "nr_pages %lu > 0", si->nr_pages);
	check(e->rsi == (uint64_t)(uintptr_t)si &&
	      (e->rsi & ~PAGE_MASK) == 0 && e->rsi >= PVGUEST_VIRT_BASE,
	      "rsi %#lx is the page-aligned start_info VA", e->rsi);
	check((e->rsp & ~PAGE_MASK) == 0 && e->rsp > PVGUEST_VIRT_BASE,
	      "rsp %#lx is the top of a boot stack page", e->rsp);
	check(si->pt_base >= PVGUEST_VIRT_BASE &&
	      (si->pt_base & ~PAGE_MASK) == 0 && si->nr_pt_frames >= 4,
	      "pt_base %#lx page aligned, %lu page-table frames", si->pt_base,
	      si->nr_pt_frames);
	check(ver > 0, "xen_version(XENVER_version) = %#lx", ver);
	test_end();
}
