// SPDX-License-Identifier: MIT
/*
 * Start-up probe: what this host's KVM is and what it lets a guest do.
 * It boots a throw-away VM in long mode whose CPL3 code touches each of
 * Xen's reserved L4 slots (some hosts own slot 256) and rings the exit
 * doorbell in a loop to time the exit round trip.
 */
#include <cpuid.h>
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "pvisor/layout.h"
#include "pvisor/platform.h"
#include "kvm_internal.h"

#define PROBE_MEM	(1u << 20)
#define PROBE_PML4	0x1000u
#define PROBE_PDPT	0x2000u
#define PROBE_PD	0x3000u
#define PROBE_PT	0x4000u
#define PROBE_PT_EXIT	0x5000u
#define PROBE_SLOT_L3	0x6000u		/* 0x6000..0x8fff: L3, L2, L1 */
#define PROBE_DATA	0x9000u
#define PROBE_GDT	0xa000u
#define PROBE_TSS	0xb000u
#define PROBE_IDT	0xc000u
#define PROBE_STACK_TOP	0xe000u
#define PROBE_CODE	0x10000u
#define PROBE_STUBS	0x11000u
#define PROBE_LSTAR	0x12000u	/* user-accessible, like PVM needs */
#define PROBE_EXIT_VA	0x200000u	/* -> EXIT_GPA */
#define PTE_URW		7ull
#define PROBE_CS0	0x08
#define PROBE_SS0	0x10
#define PROBE_SS3	0x23
#define PROBE_CS3	0x2b

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* movl $imm32, abs32 — the one instruction every exit stub is. */
static void emit_doorbell(uint8_t *p, uint32_t addr, uint32_t val)
{
	p[0] = 0xc7;
	p[1] = 0x04;
	p[2] = 0x25;
	memcpy(p + 3, &addr, 4);
	memcpy(p + 7, &val, 4);
}

/*
 * Some KVMs (PVM) list no brand-string leaves; guests then print a bare
 * family/model. The host's own string is the honest answer.
 */
static void add_brand_string(struct plat_info *info)
{
	for (uint32_t leaf = 0x80000002; leaf <= 0x80000004; leaf++) {
		struct cpuid_leaf *l = NULL;
		uint32_t r[4];

		for (unsigned int i = 0; i < info->nr_cpuid; i++)
			if (info->cpuid[i].leaf == leaf)
				l = &info->cpuid[i];
		if (l && (l->eax | l->ebx | l->ecx | l->edx))
			continue;
		if (!l) {
			if (info->nr_cpuid == CPUID_MAX_LEAVES)
				return;
			l = &info->cpuid[info->nr_cpuid++];
		}
		__cpuid(leaf, r[0], r[1], r[2], r[3]);
		*l = (struct cpuid_leaf){ .leaf = leaf, .eax = r[0], .ebx = r[1],
					  .ecx = r[2], .edx = r[3] };
	}
}

static void build_probe_image(uint8_t *mem)
{
	uint64_t *pml4 = (uint64_t *)(mem + PROBE_PML4);
	uint64_t *gdt = (uint64_t *)(mem + PROBE_GDT);
	uint64_t tss = PROBE_TSS;

	pml4[0] = PROBE_PDPT | PTE_URW;
	((uint64_t *)(mem + PROBE_PDPT))[0] = PROBE_PD | PTE_URW;
	((uint64_t *)(mem + PROBE_PD))[0] = PROBE_PT | PTE_URW;
	((uint64_t *)(mem + PROBE_PD))[1] = PROBE_PT_EXIT | PTE_URW;
	for (int i = 0; i < 256; i++)
		((uint64_t *)(mem + PROBE_PT))[i] = (i * 0x1000ull) | PTE_URW;
	((uint64_t *)(mem + PROBE_PT_EXIT))[0] = EXIT_GPA | PTE_URW;
	/* Every probed slot maps its first page onto PROBE_DATA. */
	((uint64_t *)(mem + PROBE_SLOT_L3))[0] = (PROBE_SLOT_L3 + 0x1000) | PTE_URW;
	((uint64_t *)(mem + PROBE_SLOT_L3 + 0x1000))[0] = (PROBE_SLOT_L3 + 0x2000) | PTE_URW;
	((uint64_t *)(mem + PROBE_SLOT_L3 + 0x2000))[0] = PROBE_DATA | PTE_URW;

	gdt[1] = 0x00af9b000000ffffull;		/* 0x08 CPL0 code */
	gdt[2] = 0x00cf93000000ffffull;		/* 0x10 CPL0 data */
	gdt[4] = 0x00cff3000000ffffull;		/* 0x20 CPL3 data */
	gdt[5] = 0x00affb000000ffffull;		/* 0x28 CPL3 code */
	gdt[6] = 0x67 | ((tss & 0xffffff) << 16) | (0x89ull << 40);
	gdt[7] = 0;
	memcpy(mem + tss + 4, &(uint64_t){ PROBE_STACK_TOP }, 8);

	for (int vec = 0; vec < 32; vec++) {
		uint64_t h = PROBE_STUBS + vec * 16;
		uint64_t *e = (uint64_t *)(mem + PROBE_IDT + vec * 16);

		e[0] = (h & 0xffff) | (0x08ull << 16) | (0x8eull << 40) |
		       (((h >> 16) & 0xffff) << 48);
		e[1] = h >> 32;
		emit_doorbell(mem + h, PROBE_EXIT_VA, vec);
	}
	/* CPL3 code: load (%rax), ring the doorbell with 0x100, spin. */
	{
		uint8_t *c = mem + PROBE_CODE;

		c[0] = 0x48; c[1] = 0x8b; c[2] = 0x18;	/* mov (%rax),%rbx */
		emit_doorbell(c + 3, PROBE_EXIT_VA, 0x100);
		c[14] = 0xeb; c[15] = 0xfe;		/* jmp . */
		/* At +0x20: ring the doorbell forever (timing loop). */
		emit_doorbell(c + 0x20, PROBE_EXIT_VA, 0x101);
		c[0x2b] = 0xeb; c[0x2c] = 0xf3;	/* jmp back to +0x20 */
		/* At +0x40: cpuid, then 0x102 (or #GP: vector 13). */
		c[0x40] = 0x0f; c[0x41] = 0xa2;
		emit_doorbell(c + 0x42, PROBE_EXIT_VA, 0x102);
		c[0x4d] = 0xeb; c[0x4e] = 0xfe;
		/* At +0x60: syscall, to the LSTAR stub below. */
		c[0x60] = 0x0f; c[0x61] = 0x05;
		c[0x62] = 0xeb; c[0x63] = 0xfe;
	}
	emit_doorbell(mem + PROBE_LSTAR, PROBE_EXIT_VA, 0x103);
}

static void set_seg(struct kvm_segment *s, uint16_t sel, bool code)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = code ? 0xb : 0x3;
	s->present = 1;
	s->dpl = sel & 3;
	s->s = 1;
	s->l = code;
	s->db = !code;
	s->g = 1;
}

struct probe_vm {
	int vm, vcpu;
	struct kvm_run *run;
	uint8_t *mem;
};

static int probe_vm_start(struct probe_vm *p, struct plat_info *info)
{
	int sys = kvm_system_fd(), sz;
	struct kvm_userspace_memory_region r = { 0 };
	struct kvm_sregs sr;
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[CPUID_MAX_LEAVES];
	} cp = { .c.nent = CPUID_MAX_LEAVES };

	p->vm = ioctl(sys, KVM_CREATE_VM, 0);
	if (p->vm < 0)
		return -errno;
	p->mem = mmap(NULL, PROBE_MEM, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p->mem == MAP_FAILED)
		return -errno;
	r.memory_size = PROBE_MEM;
	r.userspace_addr = (uint64_t)(uintptr_t)p->mem;
	if (ioctl(p->vm, KVM_SET_USER_MEMORY_REGION, &r))
		return -errno;
	p->vcpu = ioctl(p->vm, KVM_CREATE_VCPU, 0);
	if (p->vcpu < 0)
		return -errno;
	sz = ioctl(sys, KVM_GET_VCPU_MMAP_SIZE, 0);
	p->run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, p->vcpu, 0);
	if (p->run == MAP_FAILED)
		return -errno;

	if (ioctl(sys, KVM_GET_SUPPORTED_CPUID, &cp.c) == 0) {
		info->nr_cpuid = 0;
		for (unsigned int i = 0; i < cp.c.nent; i++) {
			struct kvm_cpuid_entry2 *e = &cp.c.entries[i];

			info->cpuid[info->nr_cpuid++] = (struct cpuid_leaf){
				.leaf = e->function, .subleaf = e->index,
				.flags = (e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX)
					 ? CPUID_F_SUBLEAF : 0,
				.eax = e->eax, .ebx = e->ebx,
				.ecx = e->ecx, .edx = e->edx,
			};
			if (e->function == 0x80000008)
				info->phys_bits = e->eax & 0xff;
		}
		ioctl(p->vcpu, KVM_SET_CPUID2, &cp.c);
	}
	info->tsc_khz = ioctl(p->vcpu, KVM_GET_TSC_KHZ, 0);
	add_brand_string(info);

	build_probe_image(p->mem);
	if (ioctl(p->vcpu, KVM_GET_SREGS, &sr))
		return -errno;
	sr.cr0 = 0x80050033;		/* PG WP NE ET MP PE */
	sr.cr3 = PROBE_PML4;
	sr.cr4 = 0x620;			/* PAE OSFXSR OSXMMEXCPT */
	sr.efer = 0xd01;		/* SCE LME LMA NXE */
	set_seg(&sr.cs, PROBE_CS3, true);
	set_seg(&sr.ss, PROBE_SS3, false);
	sr.gdt.base = PROBE_GDT;
	sr.gdt.limit = 0xfff;
	sr.idt.base = PROBE_IDT;
	sr.idt.limit = 0xfff;
	memset(&sr.tr, 0, sizeof(sr.tr));
	sr.tr.selector = 0x30;
	sr.tr.base = PROBE_TSS;
	sr.tr.limit = 0x67;
	sr.tr.type = 11;
	sr.tr.present = 1;
	if (ioctl(p->vcpu, KVM_SET_SREGS, &sr))
		return -errno;
	return 0;
}

/* Run at CPL cs & 3 from rip with rax = va; the doorbell value or -1. */
static long probe_run_va(struct probe_vm *p, uint16_t cs, uint64_t rip,
			 uint64_t va)
{
	struct kvm_regs regs = { .rip = rip, .rsp = 0x30000,
				 .rflags = 2, .rax = va };
	struct kvm_sregs sr;

	if (ioctl(p->vcpu, KVM_GET_SREGS, &sr))
		return -1;
	set_seg(&sr.cs, cs, true);
	set_seg(&sr.ss, cs == PROBE_CS0 ? PROBE_SS0 : PROBE_SS3, false);
	if (ioctl(p->vcpu, KVM_SET_SREGS, &sr) ||
	    ioctl(p->vcpu, KVM_SET_REGS, &regs))
		return -1;
	if (ioctl(p->vcpu, KVM_RUN, 0) || p->run->exit_reason != KVM_EXIT_MMIO)
		return -1;
	return *(uint32_t *)p->run->mmio.data;
}

static long probe_run(struct probe_vm *p, uint64_t va)
{
	return probe_run_va(p, PROBE_CS3, PROBE_CODE, va);
}

/* Exit round trip: each KVM_RUN is one entry and one doorbell exit. */
static double probe_exit_cost(struct probe_vm *p, uint16_t cs)
{
	const int rounds = 64;
	double t0;

	if (probe_run_va(p, cs, PROBE_CODE + 0x20, 0) != 0x101)
		return 0;
	t0 = now_us();
	for (int i = 0; i < rounds; i++)
		if (ioctl(p->vcpu, KVM_RUN, 0) ||
		    p->run->exit_reason != KVM_EXIT_MMIO)
			return 0;
	return (now_us() - t0) / rounds;
}

/*
 * With CPUID faulting on, does a plain CPUID at CPL3 raise #GP? It does
 * on AMD-V and VT-x KVM (KVM implements the faulting itself); PVM runs
 * CPL3 natively and never sees the instruction.
 */
static bool probe_cpuid_faulting(struct probe_vm *p)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e = { .index = 0x140, .data = 1 } };
	bool faults;

	if (ioctl(p->vcpu, KVM_SET_MSRS, &m) != 1)
		return false;
	faults = probe_run_va(p, PROBE_CS3, PROBE_CODE + 0x40, 0) == 13;
	m.e.data = 0;
	ioctl(p->vcpu, KVM_SET_MSRS, &m);
	return faults;
}

/* Where does syscall from CPL3 run its LSTAR code: CPL0 or (PVM) CPL3? */
static bool probe_syscall_to_cpl0(struct probe_vm *p)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[3];
	} m = { .hdr.nmsrs = 3, .e = {
		{ .index = 0xc0000081, .data = (uint64_t)PROBE_CS0 << 32 },
		{ .index = 0xc0000082, .data = PROBE_LSTAR },
		{ .index = 0xc0000084, .data = 0x47700 },
	} };
	struct kvm_sregs sr;

	if (ioctl(p->vcpu, KVM_SET_MSRS, &m) != 3 ||
	    probe_run_va(p, PROBE_CS3, PROBE_CODE + 0x60, 0) != 0x103 ||
	    ioctl(p->vcpu, KVM_GET_SREGS, &sr))
		return false;
	return sr.cs.dpl == 0 && (sr.cs.selector & 3) == 0;
}

static void read_kvm_module(struct plat_info *info)
{
	static const struct {
		const char *module;
		enum plat_kind kind;
	} mods[] = {
		{ "kvm_pvm", PLAT_KIND_PVM },
		{ "kvm_intel", PLAT_KIND_VT_X },
		{ "kvm_amd", PLAT_KIND_AMD_V },
	};

	snprintf(info->kvm_module, sizeof(info->kvm_module), "kvm");
	for (unsigned int i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
		char path[64];

		snprintf(path, sizeof(path), "/sys/module/%s", mods[i].module);
		if (access(path, F_OK) == 0) {
			snprintf(info->kvm_module, sizeof(info->kvm_module),
				 "%s", mods[i].module);
			info->kind = mods[i].kind;
			return;
		}
	}
}

/* The hypervisor under this host, from its CPUID signature leaf. */
static void read_outer_hypervisor(struct plat_info *info)
{
	uint32_t a, b, c, d;

	__cpuid(1, a, b, c, d);
	if (!(c & (1u << 31)))
		return;
	__cpuid(0x40000000, a, b, c, d);
	memcpy(info->outer_hypervisor, &b, 4);
	memcpy(info->outer_hypervisor + 4, &c, 4);
	memcpy(info->outer_hypervisor + 8, &d, 4);
	info->outer_hypervisor[12] = 0;
}

const char *plat_kind_name(enum plat_kind kind)
{
	switch (kind) {
	case PLAT_KIND_PVM:
		return "PVM";
	case PLAT_KIND_AMD_V:
		return "AMD-V";
	case PLAT_KIND_VT_X:
		return "VT-x";
	default:
		return "unknown";
	}
}

const char *plat_hvm_hcall_name(enum plat_hvm_hcall how)
{
	switch (how) {
	case PLAT_HVM_HCALL_KVM_XEN:
		return "KVM Xen interception (vmcall/vmmcall)";
	case PLAT_HVM_HCALL_PORT:
		return "user-space MSR + port I/O stubs";
	default:
		return "none";
	}
}

/*
 * Can this KVM run HVM/PVH guests, and how will their hypercalls reach
 * us? PVM runs guest CPL0 by emulation with shadow paging and offers no
 * hardware-assisted mode; elsewhere prefer KVM's Xen interception, else
 * user-space MSR exits (the port-stub fallback).
 */
static void probe_hvm(int sys, struct plat_info *info)
{
	int xen = ioctl(sys, KVM_CHECK_EXTENSION, KVM_CAP_XEN_HVM);

	info->hvm_capable = false;
	info->hvm_hcall = PLAT_HVM_HCALL_NONE;
	if (info->kind == PLAT_KIND_PVM) {
		snprintf(info->hvm_reason, sizeof(info->hvm_reason),
			 "host KVM is PVM (%s): software virtualization, no "
			 "hardware-assisted (VT-x/AMD-V) guests", info->kvm_module);
		return;
	}
	if (xen > 0 && (xen & KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL)) {
		info->hvm_hcall = PLAT_HVM_HCALL_KVM_XEN;
	} else if (ioctl(sys, KVM_CHECK_EXTENSION,
			 KVM_CAP_X86_USER_SPACE_MSR) > 0 &&
		   ioctl(sys, KVM_CHECK_EXTENSION, KVM_CAP_X86_MSR_FILTER) > 0) {
		info->hvm_hcall = PLAT_HVM_HCALL_PORT;
	} else {
		snprintf(info->hvm_reason, sizeof(info->hvm_reason),
			 "host KVM has neither Xen hypercall interception "
			 "(KVM_CAP_XEN_HVM) nor user-space MSR filtering");
		return;
	}
	info->hvm_capable = true;
}

int plat_probe(struct plat_info *info)
{
	struct probe_vm p = { .vm = -1, .vcpu = -1 };
	int sys, rc;

	memset(info, 0, sizeof(*info));
	read_outer_hypervisor(info);
	sys = kvm_system_fd();
	if (sys < 0) {
		info->err = kvm_system_errno();
		snprintf(info->reason, sizeof(info->reason),
			 "/dev/kvm cannot be opened: %s",
			 strerror(info->err));
		return -ENODEV;
	}
	info->api_version = ioctl(sys, KVM_GET_API_VERSION, 0);
	read_kvm_module(info);
	if (info->api_version != KVM_API_VERSION ||
	    ioctl(sys, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) <= 0 ||
	    ioctl(sys, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0) {
		snprintf(info->reason, sizeof(info->reason),
			 "KVM lacks API 12, sync regs or immediate exit");
		return -ENODEV;
	}

	rc = probe_vm_start(&p, info);
	if (rc) {
		snprintf(info->reason, sizeof(info->reason),
			 "probe VM could not start: %s", strerror(-rc));
		goto out;
	}
	for (int slot = XEN_RESERVED_SLOT_FIRST;
	     slot <= XEN_RESERVED_SLOT_LAST; slot++) {
		uint64_t *pml4 = (uint64_t *)(p.mem + PROBE_PML4);

		pml4[slot] = PROBE_SLOT_L3 | PTE_URW;
		if (probe_run(&p, L4_SLOT_VA(slot)) == 0x100)
			info->usable_slots |= 1u << (slot - XEN_RESERVED_SLOT_FIRST);
		pml4[slot] = 0;
	}
	info->exit_roundtrip_us = probe_exit_cost(&p, PROBE_CS3);
	info->exit_cpl0_us = probe_exit_cost(&p, PROBE_CS0);
	info->cpuid_faulting = probe_cpuid_faulting(&p);
	info->syscall_to_cpl0 = probe_syscall_to_cpl0(&p);
	probe_hvm(sys, info);
	info->available = true;
	rc = 0;
out:
	if (p.vcpu >= 0)
		close(p.vcpu);
	if (p.vm >= 0)
		close(p.vm);
	if (p.mem && p.mem != MAP_FAILED)
		munmap(p.mem, PROBE_MEM);
	if (p.run && p.run != MAP_FAILED)
		munmap(p.run, ioctl(sys, KVM_GET_VCPU_MMAP_SIZE, 0));
	return rc;
}
