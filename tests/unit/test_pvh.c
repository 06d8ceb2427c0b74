/* SPDX-License-Identifier: MIT */
/*
 * PVH pieces that run without KVM: ELF parsing for the PHYS32 entry,
 * the memory map, the hypercall page stubs, physical-mode guest access
 * and the HVM CPUID policy (arch/x86/hvm, loader/elf.c, guest_mem.c).
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include <pvabi/elfnote.h>
#include <pvabi/features.h>
#include <pvabi/grant_table.h>
#include <pvabi/hvm/hvm_op.h>
#include <pvabi/memory.h>
#include <pvabi/version.h>
#include <pvabi/sched.h>
#include <pvabi/xen.h>

#include "pvisor/cpuid.h"
#include "pvisor/domain.h"
#include "pvisor/domain_events.h"
#include "pvisor/frame_state.h"
#include "pvisor/grant_table.h"
#include "pvisor/guest_mem.h"
#include "pvisor/hvm.h"
#include "pvisor/loader.h"
#include "pvisor/platform.h"

#define LOAD_PADDR	0x100000ull
#define LOAD_OFF	0x1000u
#define LOAD_FILESZ	0x1000u
#define LOAD_MEMSZ	0x3000u
#define NOTE_OFF	0x200u
#define IMG_LEN		(LOAD_OFF + LOAD_FILESZ)

struct img {
	uint8_t b[IMG_LEN];
	size_t notes_end;
};

static Elf64_Phdr *phdr(struct img *im, unsigned int i)
{
	return (Elf64_Phdr *)(void *)(im->b + sizeof(Elf64_Ehdr)) + i;
}

static void add_note(struct img *im, uint32_t type, const void *desc,
		     uint32_t descsz)
{
	uint32_t hdr[3] = { 4, descsz, type };
	uint8_t *p = im->b + im->notes_end;

	memcpy(p, hdr, 12);
	memcpy(p + 12, "Xen", 4);
	memcpy(p + 16, desc, descsz);
	im->notes_end += 16 + ((descsz + 3u) & ~3u);
	phdr(im, 1)->p_filesz = im->notes_end - NOTE_OFF;
}

/* A kernel at 1 MiB (vaddr = paddr), optionally with PHYS32_ENTRY. */
static struct img *make(bool phys32, uint32_t entry)
{
	struct img *im = calloc(1, sizeof(*im));
	Elf64_Ehdr *eh = (Elf64_Ehdr *)(void *)im->b;

	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = LOAD_PADDR;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 2;
	*phdr(im, 0) = (Elf64_Phdr){
		.p_type = PT_LOAD, .p_flags = PF_R | PF_X,
		.p_offset = LOAD_OFF, .p_vaddr = LOAD_PADDR,
		.p_paddr = LOAD_PADDR, .p_filesz = LOAD_FILESZ,
		.p_memsz = LOAD_MEMSZ, .p_align = 0x1000,
	};
	*phdr(im, 1) = (Elf64_Phdr){
		.p_type = PT_NOTE, .p_flags = PF_R, .p_offset = NOTE_OFF,
		.p_align = 4,
	};
	im->notes_end = NOTE_OFF;
	add_note(im, XEN_ELFNOTE_GUEST_OS, "test", 5);
	if (phys32)
		add_note(im, XEN_ELFNOTE_PHYS32_ENTRY, &entry, 4);
	return im;
}

static void test_elf_pvh_parse(void **state)
{
	struct pv_kernel_info k;
	const char *why;
	struct img *im;
	uint8_t *ram;

	(void)state;
	im = make(true, LOAD_PADDR + 0x40);
	assert_int_equal(elf_pvh_parse(im->b, IMG_LEN, &k, &why), 0);
	assert_true(k.has_phys32_entry);
	assert_int_equal(k.entry, LOAD_PADDR + 0x40);
	assert_int_equal(k.paddr_offset, 0);
	assert_int_equal(k.pstart, LOAD_PADDR);
	assert_int_equal(k.pend, LOAD_PADDR + LOAD_MEMSZ);
	/* Loaded at p_paddr itself. */
	ram = calloc(1, 4 << 20);
	im->b[LOAD_OFF] = 0x5a;
	assert_int_equal(elf_pv_load(im->b, IMG_LEN, &k, ram, 4 << 20), 0);
	assert_int_equal(ram[LOAD_PADDR], 0x5a);
	free(ram);
	/* A PV-only kernel (no XEN_VERSION either) is not PVH. */
	assert_int_equal(elf_pv_parse(im->b, IMG_LEN, &k, &why), -EINVAL);
	free(im);

	im = make(false, 0);
	assert_int_equal(elf_pvh_parse(im->b, IMG_LEN, &k, &why), -EINVAL);
	assert_non_null(strstr(why, "PHYS32_ENTRY"));
	free(im);

	/* Entry outside the loaded image. */
	im = make(true, 0x1000);
	assert_int_equal(elf_pvh_parse(im->b, IMG_LEN, &k, &why), -EINVAL);
	free(im);

	/* Segments above 4 GiB. */
	im = make(true, LOAD_PADDR + 0x40);
	phdr(im, 0)->p_paddr = 0xffffe000ull;
	assert_int_equal(elf_pvh_parse(im->b, IMG_LEN, &k, &why), -EINVAL);
	free(im);
}

static void test_memmap(void **state)
{
	struct hvm_memmap_table_entry e[PVH_MEMMAP_MAX];
	unsigned int n;

	(void)state;
	n = pvh_memmap(64ull << 20, e, PVH_MEMMAP_MAX);
	assert_int_equal(n, 5);
	assert_int_equal(e[0].addr, 0);
	assert_int_equal(e[0].type, XEN_HVM_MEMMAP_TYPE_RAM);
	assert_int_equal(e[1].type, XEN_HVM_MEMMAP_TYPE_RESERVED);
	assert_int_equal(e[1].addr + e[1].size, 0x100000);
	assert_int_equal(e[2].addr, 0x100000);
	assert_int_equal(e[2].type, XEN_HVM_MEMMAP_TYPE_RAM);
	/* The ring pages: reserved, RAM's last, right after it. */
	assert_int_equal(e[3].addr, e[2].addr + e[2].size);
	assert_int_equal(e[3].size, HVM_RING_PAGES << 12);
	assert_int_equal(e[3].addr + e[3].size, 64ull << 20);
	assert_int_equal(e[3].type, XEN_HVM_MEMMAP_TYPE_RESERVED);
	assert_int_equal(e[4].addr, PVH_MMIO_BASE);
	assert_int_equal(e[4].addr + e[4].size, 1ull << 32);
	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(e[i].reserved, 0);
	assert_int_equal(pvh_memmap(64ull << 20, e, 2), 0);
	assert_int_equal(pvh_memmap(0x80000, e, PVH_MEMMAP_MAX), 0);
	/* No RAM left above 1 MiB once the rings are out. */
	assert_int_equal(pvh_memmap(0x100000 + (HVM_RING_PAGES << 12), e,
				    PVH_MEMMAP_MAX), 0);
}

static void test_hypercall_page(void **state)
{
	static const uint8_t stub18[8] = {
		0xb8, 18, 0, 0, 0, 0xe7, PLAT_HVM_HCALL_PORT_NR, 0xc3,
	};
	uint8_t page[4096];

	(void)state;
	hvm_hypercall_page_fill(page);
	assert_memory_equal(page + 18 * 32, stub18, sizeof(stub18));
	for (unsigned int i = 8; i < 32; i++)
		assert_int_equal(page[18 * 32 + i], 0xcc);
	assert_int_equal(page[127 * 32 + 1], 127);
}

static void test_phys_access(void **state)
{
	struct guest_mem m = { 0 };
	uint64_t gpa, pte;
	char buf[8];

	(void)state;
	m.nr_pages = 4;
	m.ram = calloc(4, 4096);
	memcpy(m.ram + 0x1ffe, "hello!", 7);
	assert_int_equal(gmem_translate(&m, GMEM_CR3_PHYS, 0x1234, true, &gpa,
					&pte), 0);
	assert_int_equal(gpa, 0x1234);
	/* Across a page boundary, and the end of RAM. */
	assert_int_equal(gmem_read(&m, GMEM_CR3_PHYS, 0x1ffe, buf, 7), 0);
	assert_string_equal(buf, "hello!");
	assert_int_equal(gmem_read(&m, GMEM_CR3_PHYS, 0x3ffc, buf, 8), -EFAULT);
	assert_int_equal(gmem_read(&m, GMEM_CR3_PHYS, 1ull << 32, buf, 1),
			 -EFAULT);
	free(m.ram);
}

static void test_cpuid_hvm(void **state)
{
	struct cpuid_leaf host[3] = {
		{ .leaf = 1, .ecx = 0x1, .edx = 0x200 /* APIC */ },
		{ .leaf = 0x40000000, .eax = 0x40000001, .ebx = 0x4b4d564b },
		{ .leaf = 0x80000001, .ecx = 0x4 },
	};
	static struct cpuid_policy p;
	uint32_t r[4];

	(void)state;
	assert_int_equal(cpuid_policy_build_hvm(&p, host, 3, true), 0);
	cpuid_policy_lookup(&p, 1, 0, r);
	assert_int_equal(r[2], 0x80000001u);	/* + hypervisor */
	assert_int_equal(r[3], 0x200);		/* HVM keeps the APIC */
	cpuid_policy_lookup(&p, 0x40000000, 0, r);
	assert_int_equal(r[0], 0x40000004);	/* up to the HVM leaf */
	assert_memory_equal(&r[1], "XenVMMXenVMM", 12);
	cpuid_policy_lookup(&p, 0x40000002, 0, r);
	assert_int_equal(r[0], 1);
	assert_int_equal(r[1], XEN_HYPERCALL_MSR);
	/* Per-vCPU upcall vectors on offer: Linux then EOIs its LAPIC. */
	cpuid_policy_lookup(&p, 0x40000004, 0, r);
	assert_int_equal(r[0], XEN_HVM_CPUID_UPCALL_VECTOR);
	assert_null(cpuid_policy_find(&p, 0x40000003, 0));

	/* A plain PC (HVM for now): neither KVM's leaves nor Xen's. */
	assert_int_equal(cpuid_policy_build_hvm(&p, host, 3, false), 0);
	cpuid_policy_lookup(&p, 1, 0, r);
	assert_int_equal(r[2], 0x80000001u);
	assert_null(cpuid_policy_find(&p, 0x40000000, 0));
	assert_null(cpuid_policy_find(&p, 0x40000002, 0));
	assert_non_null(cpuid_policy_find(&p, 0x80000001, 0));
}

static char console[256];
static size_t console_len;

static void sink(struct domain *d, const char *buf, size_t len, void *opaque)
{
	(void)d;
	(void)opaque;
	if (len > sizeof(console) - 1 - console_len)
		len = sizeof(console) - 1 - console_len;
	memcpy(console + console_len, buf, len);
	console_len += len;
}

/* An HVM vCPU as hvm/ sees it after an exit, over 1 MiB of RAM. */
static struct vcpu *hvm_fixture(void)
{
	struct domain *d = calloc(1, sizeof(*d));
	struct vcpu *v = calloc(1, sizeof(*v));

	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->state_changed, NULL);
	d->type = DOMAIN_TYPE_PVH;
	d->state = DOMAIN_RUNNING;
	d->mem.nr_pages = 256;
	d->mem.ram = calloc(256, 4096);
	d->console_sink = sink;
	d->log_budget = 100;
	v->d = d;
	v->pv.mem = &d->mem;
	v->pv.cpu.cr0 = 0x11;		/* PE, paging off */
	console_len = 0;
	return v;
}

static void hvm_fixture_free(struct vcpu *v)
{
	free(v->d->mem.ram);
	free(v->d);
	free(v);
}

static void test_hvm_hypercalls(void **state)
{
	struct vcpu *v = hvm_fixture();
	struct domain *d = v->d;
	uint64_t a[6] = { CONSOLEIO_write, 5, 0x1ffe, 0, 0, 0 };
	uint64_t *pml4, *pdpt, *pd;
	uint32_t sd = SHUTDOWN_poweroff;

	(void)state;
	/* Paging off: the pointer is physical (and crosses a page). */
	memcpy(d->mem.ram + 0x1ffe, "hello", 5);
	assert_int_equal(hvm_hypercall(v, __HYPERVISOR_console_io, a, false,
				       0), 0);
	assert_int_equal(console_len, 5);
	assert_memory_equal(console, "hello", 5);
	/* 32-bit mode: the high halves are not arguments. */
	a[2] = 0xffffffff00001ffeull;
	assert_int_equal(hvm_hypercall(v, __HYPERVISOR_console_io, a, false,
				       0), 0);
	assert_int_equal(console_len, 10);
	assert_int_equal(hvm_hypercall(v, __HYPERVISOR_console_io, a, true,
				       0), -EFAULT);

	/* Long mode, 4-level tables: VA 0x40001ffe -> PA 0x1ffe (2 MiB page
	 * at 1 GiB mapping PA 0). */
	pml4 = (uint64_t *)(void *)(d->mem.ram + 0x10000);
	pdpt = (uint64_t *)(void *)(d->mem.ram + 0x11000);
	pd = (uint64_t *)(void *)(d->mem.ram + 0x12000);
	pml4[0] = 0x11000 | 3;
	pdpt[1] = 0x12000 | 3;
	pd[0] = 0 | 0x83;
	v->pv.cpu.cr0 = 0x80000011;
	v->pv.cpu.efer = 0x500;		/* LME, LMA */
	v->pv.cpu.cr3 = 0x10000;
	a[2] = 0x40001ffe;
	assert_int_equal(hvm_hypercall(v, __HYPERVISOR_console_io, a, true,
				       0), 0);
	assert_int_equal(console_len, 15);
	a[2] = 0x1ffe;		/* not mapped in these tables */
	assert_int_equal(hvm_hypercall(v, __HYPERVISOR_console_io, a, true,
				       0), -EFAULT);
	/* 32-bit paging is not walked: -EFAULT, never a wild read. */
	v->pv.cpu.efer = 0;
	assert_int_equal(hvm_hypercall(v, __HYPERVISOR_console_io, a, false,
				       0), -EFAULT);

	/* Only the kernel; only what HVM guests may use. */
	assert_int_equal(hvm_hypercall(v, __HYPERVISOR_console_io, a, true,
				       3), -EPERM);
	memset(a, 0, sizeof(a));
	assert_true(hvm_hypercall(v, __HYPERVISOR_xen_version, a, true, 0) >
		    (3 << 16));
	assert_int_equal(hvm_hypercall(v, __HYPERVISOR_mmu_update, a, true, 0),
			 -ENOSYS);
	assert_int_equal(hvm_hypercall(v, __HYPERVISOR_iret, a, true, 0),
			 -ENOSYS);
	assert_int_equal(hvm_hypercall(v, 1000, a, true, 0), -ENOSYS);
	a[0] = SCHEDOP_block;
	assert_int_equal(hvm_hypercall(v, __HYPERVISOR_sched_op, a, true, 0),
			 -ENOSYS);

	/* Shutdown, paging off again. */
	v->pv.cpu.cr0 = 0x11;
	memcpy(d->mem.ram + 0x3000, &sd, sizeof(sd));
	a[0] = SCHEDOP_shutdown;
	a[1] = 0x3000;
	assert_int_equal(hvm_hypercall(v, __HYPERVISOR_sched_op, a, false, 0),
			 0);
	assert_int_equal(d->state, DOMAIN_SHUTDOWN);
	assert_int_equal(d->shutdown_reason, SHUTDOWN_poweroff);
	hvm_fixture_free(v);
}

static void test_hypercall_msr(void **state)
{
	struct vcpu *v = hvm_fixture();
	uint8_t *page = v->d->mem.ram + 0x5000;

	(void)state;
	assert_int_equal(hvm_hypercall_msr_write(v, 0x5000), 0);
	assert_int_equal(page[17 * 32], 0xb8);
	assert_int_equal(page[17 * 32 + 1], 17);
	/* Page index 1 of a one-page area, RAM's end, garbage: #GP. */
	assert_int_equal(hvm_hypercall_msr_write(v, 0x6001), -EINVAL);
	assert_int_equal(hvm_hypercall_msr_write(v, 256 << 12), -EINVAL);
	assert_int_equal(hvm_hypercall_msr_write(v, ~0ull), -EINVAL);
	assert_int_equal(v->d->mem.ram[0x6000], 0);
	hvm_fixture_free(v);
}


/* An HVM domain with real RAM (a memfd, as domain_setup_ram makes) and
 * its event channels, without KVM: vCPUs have no platform part. */
static struct domain *hvm_events_fixture(void)
{
	static struct plat_info host = { .tsc_khz = 1000000 };
	struct domain_config cfg = { .type = DOMAIN_TYPE_HVM, .vcpus = 2 };
	struct domain *d = calloc(1, sizeof(*d));

	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->state_changed, NULL);
	d->type = DOMAIN_TYPE_HVM;
	d->state = DOMAIN_RUNNING;
	d->id = 7;
	d->hvm.shinfo_fd = -1;
	pthread_mutex_init(&d->hvm.lock, NULL);
	/* domain_setup_ram's RAM, without the VM it maps it into. */
	d->ram_fd = memfd_create("test-ram", MFD_CLOEXEC);
	assert_true(d->ram_fd >= 0);
	assert_int_equal(ftruncate(d->ram_fd, 256 * 4096), 0);
	d->mem.ram = mmap(NULL, 256 * 4096, PROT_READ | PROT_WRITE,
			  MAP_SHARED, d->ram_fd, 0);
	assert_true(d->mem.ram != MAP_FAILED);
	d->mem.nr_pages = 256;
	d->nr_vcpus = 2;
	for (unsigned int i = 0; i < 2; i++) {
		d->vcpus[i] = hvm_vcpu_new(d, i);
		assert_non_null(d->vcpus[i]);
	}
	assert_int_equal(hvm_events_init(d, &cfg, &host), 0);
	return d;
}

static void hvm_events_fixture_free(struct domain *d)
{
	domain_events_fini(d);
	hvm_events_fini(d);
	munmap(d->mem.ram, 256 * 4096);
	close(d->ram_fd);
	for (unsigned int i = 0; i < 2; i++)
		free(d->vcpus[i]);
	free(d);
}

/* A guest structure at guest-physical addr, for paging-off hypercalls. */
static uint64_t put(struct domain *d, uint64_t addr, const void *s, size_t n)
{
	memcpy(d->mem.ram + addr, s, n);
	return addr;
}

static long physmap(struct vcpu *v, uint16_t domid, uint32_t space,
		    uint64_t idx, uint64_t gpfn)
{
	struct xen_add_to_physmap x = { .domid = domid, .space = space,
					.idx = idx, .gpfn = gpfn };
	uint64_t a[6] = { XENMEM_add_to_physmap, 0x3000 };

	put(v->d, 0x3000, &x, sizeof(x));
	return hvm_hypercall(v, __HYPERVISOR_memory_op, a, true, 0);
}

/* shared_info appears where the guest asks, moves, and RAM comes back. */
static void test_hvm_shared_info(void **state)
{
	struct domain *d = hvm_events_fixture();
	struct vcpu *v = d->vcpus[0];
	struct xen_feature_info fi = { .submap_idx = 0 };
	uint64_t a[6] = { XENVER_get_features, 0x3100 };
	uint8_t *p20 = d->mem.ram + 0x20000, *p21 = d->mem.ram + 0x21000;

	(void)state;
	v->pv.cpu.cr0 = 0x11;		/* paging off: pointers physical */
	memset(p20, 0xa5, 4096);
	memset(p21, 0x5a, 4096);
	/* Refused, and nothing moves. */
	assert_true(physmap(v, 3, XENMAPSPACE_shared_info, 0, 0x20) < 0);
	assert_int_equal(physmap(v, DOMID_SELF, XENMAPSPACE_shared_info, 1,
				 0x20), -EINVAL);
	assert_int_equal(physmap(v, DOMID_SELF, XENMAPSPACE_shared_info, 0,
				 256), -EINVAL);
	assert_int_equal(physmap(v, DOMID_SELF, 99, 0, 0x20), -EINVAL);
	assert_int_equal(p20[100], 0xa5);
	/* Mapped: the guest's view of gpfn 0x20 is the hypervisor's page. */
	assert_int_equal(physmap(v, DOMID_SELF, XENMAPSPACE_shared_info, 0,
				 0x20), 0);
	assert_ptr_not_equal(p20, (uint8_t *)d->shared_info);
	assert_memory_equal(p20, d->shared_info, 4096);
	d->shared_info->vcpu_info[1].evtchn_upcall_pending = 1;
	assert_int_equal(((struct shared_info *)(void *)p20)->vcpu_info[1]
			 .evtchn_upcall_pending, 1);
	assert_true(d->shared_info->wc_sec > 1704067200u);	/* 2024 */
	/* Moved: gpfn 0x20 is the same RAM as before, 0x21 the page. */
	assert_int_equal(physmap(v, DOMID_SELF, XENMAPSPACE_shared_info, 0,
				 0x21), 0);
	assert_int_equal(p20[100], 0xa5);
	assert_memory_equal(p21, d->shared_info, 4096);
	assert_int_equal(physmap(v, DOMID_SELF, XENMAPSPACE_shared_info, 0,
				 0x21), 0);
	/* Features: translated physmap and the vector callback, no PV ones. */
	put(d, 0x3100, &fi, sizeof(fi));
	assert_int_equal(hvm_hypercall(v, __HYPERVISOR_xen_version, a, true,
				       0), 0);
	memcpy(&fi, d->mem.ram + 0x3100, sizeof(fi));
	assert_int_equal(fi.submap, (1u << XENFEAT_auto_translated_physmap) |
				    (1u << XENFEAT_hvm_callback_vector));
	hvm_events_fixture_free(d);
}

static long hvm_param(struct vcpu *v, unsigned int op, uint16_t domid,
		      uint32_t index, uint64_t *value)
{
	struct xen_hvm_param p = { .domid = domid, .index = index,
				   .value = *value };
	uint64_t a[6] = { op, 0x3000 };
	long rc;

	put(v->d, 0x3000, &p, sizeof(p));
	rc = hvm_hypercall(v, __HYPERVISOR_hvm_op, a, true, 0);
	memcpy(&p, v->d->mem.ram + 0x3000, sizeof(p));
	*value = p.value;
	return rc;
}

/* HVM parameters: the callback vector and what the guest may not set. */
static void test_hvm_params(void **state)
{
	struct domain *d = hvm_events_fixture();
	struct vcpu *v = d->vcpus[0];
	struct xen_hvm_evtchn_upcall_vector u = { .vcpu = 1, .vector = 0xf4 };
	uint64_t val, a[6] = { HVMOP_set_evtchn_upcall_vector, 0x3200 };

	(void)state;
	v->pv.cpu.cr0 = 0x11;
	val = (2ull << 56) | 0xf3;
	assert_int_equal(hvm_param(v, HVMOP_set_param, DOMID_SELF,
				   HVM_PARAM_CALLBACK_IRQ, &val), 0);
	assert_int_equal(d->hvm.callback_vector, 0xf3);
	val = 0;
	assert_int_equal(hvm_param(v, HVMOP_get_param, DOMID_SELF,
				   HVM_PARAM_CALLBACK_IRQ, &val), 0);
	assert_int_equal(val, (2ull << 56) | 0xf3);
	/* An exception's vector, a vector beyond 8 bits, GSI delivery. */
	val = (2ull << 56) | 0x05;
	assert_int_equal(hvm_param(v, HVMOP_set_param, DOMID_SELF,
				   HVM_PARAM_CALLBACK_IRQ, &val), -EINVAL);
	val = (2ull << 56) | 0x1f3;
	assert_int_equal(hvm_param(v, HVMOP_set_param, DOMID_SELF,
				   HVM_PARAM_CALLBACK_IRQ, &val), -EINVAL);
	val = (1ull << 56) | 1;		/* PCI INTx: no platform device */
	assert_int_equal(hvm_param(v, HVMOP_set_param, DOMID_SELF,
				   HVM_PARAM_CALLBACK_IRQ, &val), -ENOSYS);
	assert_int_equal(d->hvm.callback_vector, 0xf3);
	/* A GSI (Linux's "per-vCPU vectors" hint): kept, no vector. */
	val = 1;
	assert_int_equal(hvm_param(v, HVMOP_set_param, DOMID_SELF,
				   HVM_PARAM_CALLBACK_IRQ, &val), 0);
	assert_int_equal(d->hvm.callback_vector, 0);
	val = 0;
	assert_int_equal(hvm_param(v, HVMOP_get_param, DOMID_SELF,
				   HVM_PARAM_CALLBACK_IRQ, &val), 0);
	assert_int_equal(val, 1);
	/* The toolstack's parameters: readable, not writable by the guest. */
	val = 0x1234;
	assert_int_equal(hvm_param(v, HVMOP_set_param, DOMID_SELF,
				   HVM_PARAM_STORE_PFN, &val), -EPERM);
	assert_int_equal(hvm_param(v, HVMOP_get_param, DOMID_SELF,
				   HVM_PARAM_STORE_EVTCHN, &val), 0);
	assert_int_equal(val, 0);
	assert_int_equal(hvm_param_toolstack_set(d, HVM_PARAM_STORE_EVTCHN, 5),
			 0);
	assert_int_equal(hvm_param_toolstack_set(d, HVM_PARAM_STORE_PFN,
						 d->mem.nr_pages), -EINVAL);
	assert_int_equal(hvm_param_toolstack_set(d, HVM_PARAM_CALLBACK_IRQ, 1),
			 -EINVAL);
	assert_int_equal(hvm_param(v, HVMOP_get_param, DOMID_SELF,
				   HVM_PARAM_STORE_EVTCHN, &val), 0);
	assert_int_equal(val, 5);
	assert_int_equal(hvm_param(v, HVMOP_get_param, DOMID_SELF, 1000,
				   &val), -EINVAL);
	assert_int_equal(hvm_param(v, HVMOP_get_param, 3,
				   HVM_PARAM_CALLBACK_IRQ, &val), -EPERM);
	/* Per-vCPU vectors: the vCPU must exist, the vector be one. */
	put(d, 0x3200, &u, sizeof(u));
	assert_int_equal(hvm_hypercall(v, __HYPERVISOR_hvm_op, a, true, 0), 0);
	assert_int_equal(d->vcpus[1]->hvm_upcall_vector, 0xf4);
	u.vcpu = 2;
	put(d, 0x3200, &u, sizeof(u));
	assert_int_equal(hvm_hypercall(v, __HYPERVISOR_hvm_op, a, true, 0),
			 -ENOENT);
	u = (struct xen_hvm_evtchn_upcall_vector){ .vcpu = 0, .vector = 2 };
	put(d, 0x3200, &u, sizeof(u));
	assert_int_equal(hvm_hypercall(v, __HYPERVISOR_hvm_op, a, true, 0),
			 -EINVAL);
	a[0] = HVMOP_pagetable_dying;
	assert_int_equal(hvm_hypercall(v, __HYPERVISOR_hvm_op, a, true, 0),
			 -ENOSYS);
	hvm_events_fixture_free(d);
}

/* Grant frames: placed where the guest asks, in RAM; refusals by name. */
static void test_hvm_grant_frames(void **state)
{
	struct domain *d = hvm_events_fixture();
	struct vcpu *v = d->vcpus[0];
	volatile uint32_t *ram_view, *table;

	(void)state;
	v->pv.cpu.cr0 = 0x11;
	/* Without a grant table (this fixture so far): not there. */
	assert_int_equal(physmap(v, DOMID_SELF, XENMAPSPACE_grant_table, 0,
				 0x20), -ENOSYS);
	assert_int_equal(gnttab_domain_init(d), 0);
	assert_int_equal(hvm_grant_frames_init(d), 0);
	table = (volatile uint32_t *)d->gnttab->base;
	/* Frame 0 at gpfn 0x20: the guest's page there is the table's. */
	assert_int_equal(physmap(v, DOMID_SELF, XENMAPSPACE_grant_table, 0,
				 0x20), 0);
	ram_view = (volatile uint32_t *)(d->mem.ram + 0x20 * 4096);
	ram_view[3] = 0x5a5a1234;
	assert_int_equal(table[3], 0x5a5a1234);
	/* Frame 2: the table grows to 3 frames first, as on Xen. */
	assert_int_equal(physmap(v, DOMID_SELF, XENMAPSPACE_grant_table, 2,
				 0x21), 0);
	assert_int_equal(d->gnttab->shm.ctl->nr_frames, 3);
	/* Moved: gpfn 0x20 is RAM again (zero), gpfn 0x30 the frame. */
	assert_int_equal(physmap(v, DOMID_SELF, XENMAPSPACE_grant_table, 0,
				 0x30), 0);
	assert_int_equal(ram_view[3], 0);
	assert_int_equal(((volatile uint32_t *)(d->mem.ram + 0x30 * 4096))[3],
			 0x5a5a1234);
	/* Beyond the table, v2 status frames under v1, the MMIO window. */
	assert_int_equal(physmap(v, DOMID_SELF, XENMAPSPACE_grant_table,
				 d->gnttab->shm.max_frames, 0x22), -EINVAL);
	assert_int_equal(physmap(v, DOMID_SELF, XENMAPSPACE_grant_table,
				 XENMAPIDX_grant_table_status, 0x22), -EINVAL);
	assert_int_equal(physmap(v, DOMID_SELF, XENMAPSPACE_grant_table, 1,
				 0xfee00), -EINVAL);
	assert_int_equal(physmap(v, DOMID_SELF, XENMAPSPACE_grant_table, 1,
				 1ull << 40), -EINVAL);
	hvm_grant_frames_fini(d);
	gnttab_domain_fini(d);
	hvm_events_fixture_free(d);
}

/* XENMEM_memory_map: the builder's map, as much of it as fits. */
static void test_hvm_memory_map(void **state)
{
	struct domain *d = hvm_events_fixture();
	struct vcpu *v = d->vcpus[0];
	struct xen_memory_map m = { .nr_entries = 8, .buffer = 0x3100 };
	uint64_t a[6] = { XENMEM_memory_map, 0x3000 };
	struct e820entry e[3];

	(void)state;
	v->pv.cpu.cr0 = 0x11;
	hvm_memmap_add(d, 0, 0xa0000, E820_RAM);
	hvm_memmap_add(d, 0xa0000, 0x60000, E820_RESERVED);
	hvm_memmap_add(d, 0x100000, 0xff000, E820_RAM);
	put(d, 0x3000, &m, sizeof(m));
	assert_int_equal(hvm_hypercall(v, __HYPERVISOR_memory_op, a, true, 0),
			 0);
	memcpy(&m, d->mem.ram + 0x3000, sizeof(m));
	assert_int_equal(m.nr_entries, 3);
	memcpy(e, d->mem.ram + 0x3100, sizeof(e));
	assert_int_equal(e[1].addr, 0xa0000);
	assert_int_equal(e[1].type, E820_RESERVED);
	assert_int_equal(e[2].size, 0xff000);
	/* Room for one: one written, as Xen does; none: none. */
	memset(d->mem.ram + 0x3100, 0, sizeof(e));
	m = (struct xen_memory_map){ .nr_entries = 1, .buffer = 0x3100 };
	put(d, 0x3000, &m, sizeof(m));
	assert_int_equal(hvm_hypercall(v, __HYPERVISOR_memory_op, a, true, 0),
			 0);
	memcpy(&m, d->mem.ram + 0x3000, sizeof(m));
	assert_int_equal(m.nr_entries, 1);
	memcpy(e, d->mem.ram + 0x3100, sizeof(e));
	assert_int_equal(e[1].size, 0);
	/* A buffer outside the guest: -EFAULT, nothing written in pvisord. */
	m = (struct xen_memory_map){ .nr_entries = 3, .buffer = 1ull << 40 };
	put(d, 0x3000, &m, sizeof(m));
	assert_int_equal(hvm_hypercall(v, __HYPERVISOR_memory_op, a, true, 0),
			 -EFAULT);
	/* Not open to HVM guests: exchange, the M2P, PV's ops. */
	a[0] = XENMEM_exchange;
	assert_int_equal(hvm_hypercall(v, __HYPERVISOR_memory_op, a, true, 0),
			 -ENOSYS);
	a[0] = XENMEM_machphys_mapping;
	assert_int_equal(hvm_hypercall(v, __HYPERVISOR_memory_op, a, true, 0),
			 -ENOSYS);
	hvm_events_fixture_free(d);
}

/* memory_op's reservation ops: nr extents from list at 0x3100. */
static long reserve(struct vcpu *v, unsigned int op, uint16_t domid,
		    unsigned int order, const uint64_t *gpfns, uint64_t nr)
{
	struct xen_memory_reservation r = {
		.extent_start = 0x3100, .nr_extents = nr,
		.extent_order = order, .domid = domid,
	};
	uint64_t a[6] = { op, 0x3000 };

	put(v->d, 0x3000, &r, sizeof(r));
	put(v->d, 0x3100, gpfns, nr * sizeof(*gpfns));
	return hvm_hypercall(v, __HYPERVISOR_memory_op, a, true, 0);
}

static long reservation_of(struct vcpu *v, unsigned int op, uint16_t domid)
{
	uint64_t a[6] = { op, 0x3000 };

	put(v->d, 0x3000, &domid, sizeof(domid));
	return hvm_hypercall(v, __HYPERVISOR_memory_op, a, true, 0);
}

/* The balloon: frames given back by gpfn read zero, are refused, return. */
static void test_hvm_balloon(void **state)
{
	struct domain *d = hvm_events_fixture();
	struct vcpu *v = d->vcpus[0];
	const struct frame_state *fs;
	uint64_t two[2] = { 0x40, 0x41 }, one = 0x40, bad;
	struct xen_memory_map m = { .nr_entries = 1, .buffer = 0x3200 };
	uint64_t mm[6] = { XENMEM_memory_map, 0x40800 };

	(void)state;
	v->pv.cpu.cr0 = 0x11;
	assert_int_equal(reserve(v, XENMEM_decrease_reservation, DOMID_SELF, 0,
				 two, 2), -ENOSYS);	/* no balloon yet */
	assert_int_equal(hvm_balloon_init(d), 0);
	assert_int_equal(gnttab_domain_init(d), 0);
	fs = &d->gnttab->shm.frames;
	assert_int_equal(reservation_of(v, XENMEM_current_reservation,
					DOMID_SELF), 256);
	memset(d->mem.ram + 0x40 * 4096, 0xa5, 2 * 4096);

	assert_int_equal(reserve(v, XENMEM_decrease_reservation, DOMID_SELF, 0,
				 two, 2), 2);
	assert_int_equal(reservation_of(v, XENMEM_current_reservation,
					DOMID_SELF), 254);
	assert_int_equal(reservation_of(v, XENMEM_maximum_reservation, 7), 256);
	assert_int_equal(d->mem.ram[0x40 * 4096 + 17], 0);	/* punched */
	assert_int_equal(d->mem.ram[0x41 * 4096 + 4095], 0);
	assert_int_equal(frame_claim(fs, 0x41, false), GNTST_bad_page);
	assert_int_equal(frame_claim(fs, 0x42, false), GNTST_okay);
	/* Hypercall arguments in a given-back frame: -EFAULT. */
	put(d, 0x40800, &m, sizeof(m));
	assert_int_equal(hvm_hypercall(v, __HYPERVISOR_memory_op, mm, true, 0),
			 -EFAULT);
	/* Given back twice: counted once. */
	assert_int_equal(reserve(v, XENMEM_decrease_reservation, DOMID_SELF, 0,
				 &one, 1), 1);
	assert_int_equal(reservation_of(v, XENMEM_current_reservation,
					DOMID_SELF), 254);

	/* populate_physmap: back, zeroed, owned again. */
	assert_int_equal(reserve(v, XENMEM_populate_physmap, DOMID_SELF, 0,
				 &one, 1), 1);
	assert_int_equal(reservation_of(v, XENMEM_current_reservation,
					DOMID_SELF), 255);
	assert_int_equal(frame_claim(fs, 0x40, false), GNTST_okay);
	assert_int_equal(hvm_hypercall(v, __HYPERVISOR_memory_op, mm, true, 0),
			 0);

	/* An order-1 extent: aligned, inside RAM. */
	bad = 0x41;
	assert_int_equal(reserve(v, XENMEM_populate_physmap, DOMID_SELF, 1,
				 &bad, 1), 0);
	bad = 0x40;
	assert_int_equal(reserve(v, XENMEM_populate_physmap, DOMID_SELF, 1,
				 &bad, 1), 1);
	assert_int_equal(reservation_of(v, XENMEM_current_reservation,
					DOMID_SELF), 256);

	/* Refused without an error: not RAM, too big, others, PoD, increase. */
	bad = 256;
	assert_int_equal(reserve(v, XENMEM_decrease_reservation, DOMID_SELF, 0,
				 &bad, 1), 0);
	bad = 255;
	assert_int_equal(reserve(v, XENMEM_decrease_reservation, DOMID_SELF, 1,
				 &bad, 1), 0);
	bad = 0;
	assert_int_equal(reserve(v, XENMEM_decrease_reservation, DOMID_SELF, 10,
				 &bad, 1), 0);
	assert_int_equal(reserve(v, XENMEM_decrease_reservation, 3, 0, &bad, 1),
			 0);
	assert_int_equal(reserve(v, XENMEM_increase_reservation, DOMID_SELF, 0,
				 &bad, 1), 0);
	assert_int_equal(reservation_of(v, XENMEM_current_reservation, 3),
			 -EPERM);
	/* An extent list in a given-back frame: nothing done. */
	two[0] = 0x50;
	two[1] = 0x51;
	assert_int_equal(reserve(v, XENMEM_decrease_reservation, DOMID_SELF, 0,
				 two, 2), 2);
	{
		struct xen_memory_reservation r = {
			.extent_start = 0x50000, .nr_extents = 1,
			.domid = DOMID_SELF,
		};
		uint64_t a[6] = { XENMEM_populate_physmap, 0x3000 };

		put(d, 0x3000, &r, sizeof(r));
		assert_int_equal(hvm_hypercall(v, __HYPERVISOR_memory_op, a,
					       true, 0), 0);
	}
	assert_int_equal(reservation_of(v, XENMEM_current_reservation,
					DOMID_SELF), 254);
	gnttab_domain_fini(d);
	hvm_balloon_fini(d);
	assert_null(d->mem.absent);
	hvm_events_fixture_free(d);
}

/* VCPUOP_register_vcpu_info: into the guest's RAM, checked, once. */
static void test_hvm_vcpu_info(void **state)
{
	struct domain *d = hvm_events_fixture();
	struct vcpu *v = d->vcpus[0];
	struct vcpu_register_vcpu_info r = { .mfn = 0x40, .offset = 0x80 };
	uint64_t a[6] = { VCPUOP_register_vcpu_info, 1, 0x3000 };

	(void)state;
	v->pv.cpu.cr0 = 0x11;
	/* Beyond RAM, misaligned, crossing the page: refused. */
	r.mfn = 256;
	put(d, 0x3000, &r, sizeof(r));
	assert_int_equal(hvm_hypercall(v, __HYPERVISOR_vcpu_op, a, true, 0),
			 -EINVAL);
	r = (struct vcpu_register_vcpu_info){ .mfn = 0x40, .offset = 0x84 };
	put(d, 0x3000, &r, sizeof(r));
	assert_int_equal(hvm_hypercall(v, __HYPERVISOR_vcpu_op, a, true, 0),
			 -ENXIO);
	r.offset = 4096 - 8;
	put(d, 0x3000, &r, sizeof(r));
	assert_int_equal(hvm_hypercall(v, __HYPERVISOR_vcpu_op, a, true, 0),
			 -ENXIO);
	r.offset = 0x80;
	put(d, 0x3000, &r, sizeof(r));
	assert_int_equal(hvm_hypercall(v, __HYPERVISOR_vcpu_op, a, true, 0),
			 0);
	assert_ptr_equal(d->vcpus[1]->pv.vcpu_info,
			 (void *)(d->mem.ram + 0x40 * 4096 + 0x80));
	/* Once only, as Xen. */
	assert_int_equal(hvm_hypercall(v, __HYPERVISOR_vcpu_op, a, true, 0),
			 -EBUSY);
	hvm_events_fixture_free(d);
}

/* Who may run what: PVH and HVM need hardware assist, refused by name. */
static void test_refusal(void **state)
{
	static struct plat_info host;

	(void)state;
	host.available = true;
	host.hvm_capable = true;
	assert_null(hvm_refusal(DOMAIN_TYPE_PV, &host));
	assert_null(hvm_refusal(DOMAIN_TYPE_PVH, &host));
	assert_null(hvm_refusal(DOMAIN_TYPE_PVH, NULL));
	assert_null(hvm_refusal(DOMAIN_TYPE_HVM, &host));
	host.hvm_capable = false;
	strcpy(host.hvm_reason, "host KVM is PVM (kvm_pvm): ...");
	assert_null(hvm_refusal(DOMAIN_TYPE_PV, &host));
	assert_string_equal(hvm_refusal(DOMAIN_TYPE_PVH, &host),
			    host.hvm_reason);
	assert_string_equal(hvm_refusal(DOMAIN_TYPE_HVM, &host),
			    host.hvm_reason);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elf_pvh_parse),
		cmocka_unit_test(test_memmap),
		cmocka_unit_test(test_hypercall_page),
		cmocka_unit_test(test_phys_access),
		cmocka_unit_test(test_cpuid_hvm),
		cmocka_unit_test(test_hvm_hypercalls),
		cmocka_unit_test(test_hypercall_msr),
		cmocka_unit_test(test_refusal),
		cmocka_unit_test(test_hvm_shared_info),
		cmocka_unit_test(test_hvm_params),
		cmocka_unit_test(test_hvm_grant_frames),
		cmocka_unit_test(test_hvm_memory_map),
		cmocka_unit_test(test_hvm_balloon),
		cmocka_unit_test(test_hvm_vcpu_info),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
