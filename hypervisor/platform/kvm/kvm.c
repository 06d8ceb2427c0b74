// SPDX-License-Identifier: MIT
/*
 * KVM platform: one VM per domain, one vCPU per guest vCPU, register
 * state exchanged through the kvm_run sync-regs area so an exit costs
 * no extra ioctls.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pvisor/log.h"
#include "pvisor/platform.h"
#include "kvm_internal.h"

#define KICK_SIGNAL SIGUSR2

static int kvm_fd = -1;
static int kvm_open_errno;
static int vcpu_mmap_size;
static pthread_once_t kvm_once = PTHREAD_ONCE_INIT;

static void kick_handler(int sig)
{
	(void)sig;	/* only there to interrupt KVM_RUN */
}

static void kvm_open_once(void)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0) {
		kvm_open_errno = errno;
		return;
	}
	vcpu_mmap_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	sigemptyset(&sa.sa_mask);
	sigaction(KICK_SIGNAL, &sa, NULL);
}

int kvm_system_fd(void)
{
	pthread_once(&kvm_once, kvm_open_once);
	return kvm_fd;
}

int kvm_system_errno(void)
{
	pthread_once(&kvm_once, kvm_open_once);
	return kvm_open_errno;
}

struct plat_vm {
	int fd;
	enum plat_hvm_hcall hcall;	/* HVM/PVH VMs: how hypercalls exit */
};

struct plat_vcpu {
	int fd;
	unsigned int id;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_known;
	int kick_pending;	/* atomic */
	/* KVM is mid-way through an instruction or an exception delivery:
	 * the next entry must find the state as KVM left it. */
	bool hold;
	/* HVM/PVH: the guest owns segments and control registers. */
	bool hvm;
	enum plat_hvm_hcall hcall;
	/* The last exit was KVM_EXIT_XEN: its result is RAX at next entry. */
	bool xen_hcall_pending;
};

int plat_vm_create(struct plat_vm **out)
{
	struct plat_vm *vm;
	int sys = kvm_system_fd();

	if (sys < 0)
		return -ENODEV;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->fd = ioctl(sys, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		int err = -errno;

		free(vm);
		return err;
	}
	fcntl(vm->fd, F_SETFD, FD_CLOEXEC);
	*out = vm;
	return 0;
}

void plat_vm_destroy(struct plat_vm *vm)
{
	if (!vm)
		return;
	close(vm->fd);
	free(vm);
}

int plat_vm_map(struct plat_vm *vm, unsigned int slot, uint64_t gpa,
		uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)hva,
	};

	return ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

static int set_cpuid(struct plat_vcpu *v, const struct cpuid_policy *p)
{
	struct kvm_cpuid2 *c;
	int rc;

	c = calloc(1, sizeof(*c) + p->nr * sizeof(c->entries[0]));
	if (!c)
		return -ENOMEM;
	c->nent = p->nr;
	for (unsigned int i = 0; i < p->nr; i++) {
		const struct cpuid_leaf *l = &p->leaves[i];

		c->entries[i] = (struct kvm_cpuid_entry2){
			.function = l->leaf,
			.index = l->subleaf,
			.flags = (l->flags & CPUID_F_SUBLEAF) ?
				 KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0,
			.eax = l->eax, .ebx = l->ebx,
			.ecx = l->ecx, .edx = l->edx,
		};
	}
	rc = ioctl(v->fd, KVM_SET_CPUID2, c) ? -errno : 0;
	free(c);
	return rc;
}

static int set_msrs(struct plat_vcpu *v, const struct plat_vcpu_config *cfg)
{
	int rc;

	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[7];
	} m = { .hdr.nmsrs = 7 };

	m.e[0] = (struct kvm_msr_entry){ .index = 0xc0000081,	/* STAR */
		.data = (uint64_t)cfg->star_cs << 32 };
	m.e[1] = (struct kvm_msr_entry){ .index = 0xc0000082,	/* LSTAR */
		.data = cfg->lstar };
	m.e[2] = (struct kvm_msr_entry){ .index = 0xc0000083,	/* CSTAR */
		.data = cfg->cstar };
	/* Mask TF, DF, IF, NT, AC on syscall, as any 64-bit OS would. */
	m.e[3] = (struct kvm_msr_entry){ .index = 0xc0000084,	/* SFMASK */
		.data = 0x47700 };
	m.e[4] = (struct kvm_msr_entry){ .index = 0x277,	/* PAT */
		.data = cfg->pat };
	m.e[5] = (struct kvm_msr_entry){ .index = 0xc0000102,	/* KGSBASE */
		.data = 0 };
	/* CPUID faulting, so plain CPUID at CPL3 can be emulated too. */
	m.e[6] = (struct kvm_msr_entry){ .index = 0x140, .data = 1 };
	rc = ioctl(v->fd, KVM_SET_MSRS, &m);
	if (rc < 6)	/* CPUID faulting is optional */
		return -EINVAL;
	return 0;
}

static void seg_from_desc(struct kvm_segment *s, uint16_t sel, uint64_t desc,
			  uint64_t base)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = base;
	s->limit = (uint32_t)((desc & 0xffff) | ((desc >> 32) & 0xf0000));
	s->g = (desc >> 55) & 1;
	if (s->g)
		s->limit = (s->limit << 12) | 0xfff;
	s->type = (desc >> 40) & 0xf;
	s->s = (desc >> 44) & 1;
	s->dpl = (desc >> 45) & 3;
	s->present = (desc >> 47) & 1;
	s->avl = (desc >> 52) & 1;
	s->l = (desc >> 53) & 1;
	s->db = (desc >> 54) & 1;
	s->unusable = !s->present;
}

/* A data selector in 64-bit mode: only its base matters. */
static void seg_data(struct kvm_segment *s, uint16_t sel, uint64_t base)
{
	seg_from_desc(s, sel, sel ? 0x00cff3000000ffffull : 0, base);
}

/*
 * The pvclock (core/time.c) is computed from the host TSC, so the guest
 * must read that TSC: no offset (PVM already runs guests on it).
 */
static void set_tsc_offset_zero(struct plat_vcpu *v)
{
	uint64_t off = 0;
	struct kvm_device_attr a = {
		.group = KVM_VCPU_TSC_CTRL,
		.attr = KVM_VCPU_TSC_OFFSET,
		.addr = (uint64_t)(uintptr_t)&off,
	};

	if (ioctl(v->fd, KVM_SET_DEVICE_ATTR, &a))
		pr_warn("vCPU%u: cannot zero the guest TSC offset (%s): guest "
			"time will be off\n", v->id, strerror(errno));
}

/*
 * A new vCPU of vm with its run area mapped and its CPUID set: what PV
 * and HVM vCPUs have in common before their entry state.
 */
static int vcpu_open(struct plat_vm *vm, unsigned int id,
		     const struct cpuid_policy *cpuid, struct plat_vcpu **out)
{
	struct plat_vcpu *v;
	int rc;

	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->id = id;
	v->fd = ioctl(vm->fd, KVM_CREATE_VCPU, id);
	if (v->fd < 0) {
		rc = -errno;
		goto err_free;
	}
	fcntl(v->fd, F_SETFD, FD_CLOEXEC);
	v->run = mmap(NULL, vcpu_mmap_size, PROT_READ | PROT_WRITE,
		      MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		rc = -errno;
		goto err_close;
	}
	rc = cpuid ? set_cpuid(v, cpuid) : 0;
	if (rc)
		goto err_unmap;
	*out = v;
	return 0;

err_unmap:
	munmap(v->run, vcpu_mmap_size);
err_close:
	close(v->fd);
err_free:
	free(v);
	return rc;
}

/* The entry state is set: seed the sync area (only an exit fills it). */
static void vcpu_ready(struct plat_vcpu *v, const struct kvm_sregs *sr)
{
	v->run->s.regs.sregs = *sr;
	v->run->kvm_valid_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS |
				 KVM_SYNC_X86_EVENTS;
	set_tsc_offset_zero(v);
}

int plat_vcpu_create(struct plat_vm *vm, unsigned int id,
		     const struct plat_vcpu_config *cfg,
		     struct plat_vcpu **out)
{
	struct plat_vcpu *v;
	struct kvm_sregs sr;
	int rc;

	rc = vcpu_open(vm, id, cfg->cpuid, &v);
	if (rc)
		return rc;
	rc = set_msrs(v, cfg);
	if (rc)
		goto err;

	if (ioctl(v->fd, KVM_GET_SREGS, &sr)) {
		rc = -errno;
		goto err;
	}
	sr.cr0 = cfg->cr0;
	sr.cr4 = cfg->cr4;
	sr.efer = cfg->efer;
	sr.gdt.base = cfg->gdt_base;
	sr.gdt.limit = 16 * 4096 - 1;
	sr.idt.base = cfg->idt_base;
	sr.idt.limit = 256 * 16 - 1;
	memset(&sr.tr, 0, sizeof(sr.tr));
	sr.tr.selector = cfg->tss_sel;
	sr.tr.base = cfg->tss_base;
	sr.tr.limit = 0x67;
	sr.tr.type = 11;	/* busy 64-bit TSS */
	sr.tr.present = 1;
	memset(&sr.ldt, 0, sizeof(sr.ldt));
	sr.ldt.unusable = 1;
	if (ioctl(v->fd, KVM_SET_SREGS, &sr)) {
		rc = -errno;
		goto err;
	}
	if (ioctl(v->fd, KVM_GET_REGS, &v->run->s.regs.regs)) {
		rc = -errno;
		goto err;
	}
	vcpu_ready(v, &sr);
	*out = v;
	return 0;

err:
	plat_vcpu_destroy(v);
	return rc;
}

/* ---------------------------------------------------------------- HVM -- */

int plat_vm_setup_hvm(struct plat_vm *vm, enum plat_hvm_hcall how,
		      uint32_t msr)
{
	vm->hcall = how;
	if (how == PLAT_HVM_HCALL_KVM_XEN) {
		/* KVM owns the MSR and the page; calls exit as KVM_EXIT_XEN. */
		struct kvm_xen_hvm_config c = {
			.flags = KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL,
			.msr = msr,
		};

		return ioctl(vm->fd, KVM_XEN_HVM_CONFIG, &c) ? -errno : 0;
	}
	if (how == PLAT_HVM_HCALL_PORT) {
		/*
		 * Writes to the MSR exit to us (the filter denies them; denied
		 * accesses become KVM_EXIT_X86_WRMSR). Without the filter, KVM's
		 * Hyper-V code would take 0x40000000 (its guest OS id MSR).
		 */
		struct kvm_enable_cap cap = {
			.cap = KVM_CAP_X86_USER_SPACE_MSR,
			.args[0] = KVM_MSR_EXIT_REASON_FILTER,
		};
		/* KVM copies whole longs of bitmap: bit 0 clear = deny. */
		uint64_t deny = 0;
		struct kvm_msr_filter f = {
			.flags = KVM_MSR_FILTER_DEFAULT_ALLOW,
			.ranges[0] = {
				.flags = KVM_MSR_FILTER_WRITE,
				.nmsrs = 1,
				.base = msr,
				.bitmap = (uint8_t *)&deny,
			},
		};

		if (ioctl(vm->fd, KVM_ENABLE_CAP, &cap))
			return -errno;
		return ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f) ? -errno : 0;
	}
	return -ENODEV;
}

/*
 * A PC's wiring, which KVM's default lacks: ISA IRQ0 (the PIT) reaches
 * IOAPIC pin 2, as the MADT's override says, and pin 0 is unused; the
 * other ISA IRQs go to their own pins and to the 8259s (IRQ2 is the
 * cascade), GSIs 16-23 to the IOAPIC only.
 */
static int set_pc_gsi_routing(struct plat_vm *vm)
{
	struct kvm_irq_routing *r;
	unsigned int n = 0;
	int rc;

	r = calloc(1, sizeof(*r) + 48 * sizeof(r->entries[0]));
	if (!r)
		return -ENOMEM;
	for (unsigned int gsi = 0; gsi < 24; gsi++) {
		if (gsi < 16 && gsi != 2)
			r->entries[n++] = (struct kvm_irq_routing_entry){
				.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
				.u.irqchip = {
					.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER
							   : KVM_IRQCHIP_PIC_SLAVE,
					.pin = gsi & 7,
				},
			};
		if (gsi == 2)
			continue;
		r->entries[n++] = (struct kvm_irq_routing_entry){
			.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC,
				       .pin = gsi ? gsi : 2 },
		};
	}
	r->nr = n;
	rc = ioctl(vm->fd, KVM_SET_GSI_ROUTING, r) ? -errno : 0;
	free(r);
	return rc;
}

int plat_vm_setup_irqchip(struct plat_vm *vm)
{
	uint64_t ident = PLAT_HVM_KVM_PAGES;
	struct kvm_pit_config pit = { .flags = 0 };

	/* VT-x runs real mode through a TSS and an identity page table. */
	if (ioctl(vm->fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) ||
	    ioctl(vm->fd, KVM_SET_TSS_ADDR, (unsigned long)(ident + 0x1000)))
		return -errno;
	if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0))
		return -errno;
	if (ioctl(vm->fd, KVM_CREATE_PIT2, &pit))
		return -errno;
	return set_pc_gsi_routing(vm);
}

int plat_vm_set_irq(struct plat_vm *vm, unsigned int irq, bool level)
{
	struct kvm_irq_level l = { .irq = irq, .level = level ? 1 : 0 };

	return ioctl(vm->fd, KVM_IRQ_LINE, &l) ? -errno : 0;
}

int plat_vm_signal_msi(struct plat_vm *vm, unsigned int apic_id,
		       uint8_t vector)
{
	struct kvm_msi m = {
		/* Physical destination mode, no redirection hint. */
		.address_lo = 0xfee00000u | ((apic_id & 0xff) << 12),
		.data = vector,		/* fixed delivery, edge */
	};

	return ioctl(vm->fd, KVM_SIGNAL_MSI, &m) < 0 ? -errno : 0;
}

static void seg_flat32(struct kvm_segment *s, uint16_t sel, bool code)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->type = code ? 0xb : 0x3;	/* exec/read or read/write, accessed */
	s->s = 1;
	s->present = 1;
	s->db = 1;
	s->g = 1;
}

/* CPUID's initial APIC ids must match the LAPIC KVM gives vCPU id. */
static int set_cpuid_hvm(struct plat_vcpu *v, const struct cpuid_policy *p)
{
	struct cpuid_policy *own = malloc(sizeof(*own));
	int rc;

	if (!own)
		return -ENOMEM;
	*own = *p;
	for (unsigned int i = 0; i < own->nr; i++) {
		struct cpuid_leaf *l = &own->leaves[i];

		if (l->leaf == 1)
			l->ebx = (l->ebx & 0x00ffffffu) | (v->id << 24);
		else if (l->leaf == 0xb || l->leaf == 0x1f)
			l->edx = v->id;
	}
	rc = set_cpuid(v, own);
	free(own);
	return rc;
}

/* The PVH entry state: 32-bit flat protected mode, paging off. */
static void entry_pvh32(struct kvm_sregs *sr, struct kvm_regs *regs,
			const struct plat_hvm_vcpu_config *cfg)
{
	seg_flat32(&sr->cs, 0x08, true);
	seg_flat32(&sr->ds, 0x10, false);
	sr->es = sr->fs = sr->gs = sr->ss = sr->ds;
	memset(&sr->tr, 0, sizeof(sr->tr));
	sr->tr.limit = 0x67;
	sr->tr.type = 11;		/* busy 32-bit TSS */
	sr->tr.present = 1;
	memset(&sr->ldt, 0, sizeof(sr->ldt));
	sr->ldt.unusable = 1;
	sr->gdt.base = sr->idt.base = 0;
	sr->gdt.limit = sr->idt.limit = 0;
	sr->cr0 = 0x11;			/* PE, and ET (hardwired) */
	sr->cr3 = 0;
	sr->cr4 = 0;
	sr->efer = 0;
	regs->rip = cfg->eip;
	regs->rbx = cfg->ebx;
}

/*
 * Linux's 64-bit boot protocol: long mode, paging on through the
 * builder's identity map, flat 64-bit code and data from its GDT,
 * interrupts off, RSI = boot_params.
 */
static void entry_long64(struct kvm_sregs *sr, struct kvm_regs *regs,
			 const struct plat_hvm_vcpu_config *cfg)
{
	seg_flat32(&sr->cs, cfg->cs, true);
	sr->cs.db = 0;
	sr->cs.l = 1;
	seg_flat32(&sr->ds, cfg->ds, false);
	sr->es = sr->fs = sr->gs = sr->ss = sr->ds;
	memset(&sr->tr, 0, sizeof(sr->tr));
	sr->tr.selector = cfg->tr;
	sr->tr.base = cfg->tss_base;
	sr->tr.limit = cfg->tss_limit;
	sr->tr.type = 11;		/* busy 64-bit TSS */
	sr->tr.present = 1;
	memset(&sr->ldt, 0, sizeof(sr->ldt));
	sr->ldt.unusable = 1;
	sr->gdt.base = cfg->gdt_base;
	sr->gdt.limit = cfg->gdt_limit;
	sr->idt.base = 0;
	sr->idt.limit = 0;
	sr->cr0 = 0x80000011;		/* PG, ET, PE */
	sr->cr3 = cfg->cr3;
	sr->cr4 = 0x20;			/* PAE */
	sr->efer = 0x500;		/* LMA, LME */
	regs->rip = cfg->rip;
	regs->rsi = cfg->rsi;
	regs->rsp = cfg->rsp;
}

int plat_vcpu_create_hvm(struct plat_vm *vm, unsigned int id,
			 const struct plat_hvm_vcpu_config *cfg,
			 struct plat_vcpu **out)
{
	struct plat_vcpu *v;
	struct kvm_sregs sr;
	struct kvm_regs regs;
	int rc;
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[2];
	} m = { .hdr.nmsrs = 2 };

	rc = vcpu_open(vm, id, NULL, &v);
	if (rc)
		return rc;
	v->hvm = true;
	v->hcall = vm->hcall;
	rc = set_cpuid_hvm(v, cfg->cpuid);
	if (rc)
		goto err;
	m.e[0] = (struct kvm_msr_entry){ .index = 0x277,	/* PAT: reset */
		.data = 0x0007040600070406ull };
	/* pvh.pandoc: MTRRs enabled, default type write-back. */
	m.e[1] = (struct kvm_msr_entry){ .index = 0x2ff,	/* MTRRdefType */
		.data = (1u << 11) | 6 };
	rc = ioctl(v->fd, KVM_SET_MSRS, &m);
	if (rc < 1) {
		rc = -EINVAL;
		goto err;
	}
	/* Without MTRR emulation the guest sees KVM's default: not fatal. */
	if (rc < 2)
		pr_warn("vCPU%u: KVM refused MTRRdefType = WB\n", id);

	if (ioctl(v->fd, KVM_GET_SREGS, &sr) ||
	    ioctl(v->fd, KVM_GET_REGS, &regs)) {
		rc = -errno;
		goto err;
	}
	if (cfg->entry != PLAT_HVM_ENTRY_AP) {
		/* APs keep KVM's reset state until their SIPI. */
		memset(&regs, 0, sizeof(regs));
		regs.rflags = 0x2;	/* IF, TF, VM clear */
		if (cfg->entry == PLAT_HVM_ENTRY_LONG64)
			entry_long64(&sr, &regs, cfg);
		else
			entry_pvh32(&sr, &regs, cfg);
		if (ioctl(v->fd, KVM_SET_SREGS, &sr) ||
		    ioctl(v->fd, KVM_SET_REGS, &regs)) {
			rc = -errno;
			goto err;
		}
	}
	v->run->s.regs.regs = regs;
	vcpu_ready(v, &sr);
	*out = v;
	return 0;

err:
	plat_vcpu_destroy(v);
	return rc;
}

void plat_vcpu_io_in(struct plat_vcpu *v, uint32_t value)
{
	struct kvm_run *run = v->run;

	if (run->exit_reason != KVM_EXIT_IO ||
	    run->io.direction != KVM_EXIT_IO_IN || run->io.size > 4)
		return;
	memcpy((uint8_t *)run + run->io.data_offset, &value, run->io.size);
}

void plat_vcpu_wrmsr_done(struct plat_vcpu *v, bool fault)
{
	v->run->msr.error = fault ? 1 : 0;
}

/* HVM: the guest's own segments and control registers, as it left them. */
static void hvm_state_from_kvm(const struct kvm_run *run, struct cpu_state *c)
{
	const struct kvm_sregs *s = &run->s.regs.sregs;

	c->cs = s->cs.selector;
	c->ss = s->ss.selector;
	c->cr0 = s->cr0;
	c->cr3 = s->cr3;
	c->cr4 = s->cr4;
	c->efer = s->efer;
}

/* HVM: the general registers only (a hypercall's result, RIP). */
static void hvm_state_to_kvm(struct kvm_run *run, const struct cpu_state *c)
{
	struct kvm_regs *r = &run->s.regs.regs;

	r->rax = c->gpr[GPR_RAX]; r->rcx = c->gpr[GPR_RCX];
	r->rdx = c->gpr[GPR_RDX]; r->rbx = c->gpr[GPR_RBX];
	r->rsp = c->gpr[GPR_RSP]; r->rbp = c->gpr[GPR_RBP];
	r->rsi = c->gpr[GPR_RSI]; r->rdi = c->gpr[GPR_RDI];
	r->r8 = c->gpr[GPR_R8];   r->r9 = c->gpr[GPR_R9];
	r->r10 = c->gpr[GPR_R10]; r->r11 = c->gpr[GPR_R11];
	r->r12 = c->gpr[GPR_R12]; r->r13 = c->gpr[GPR_R13];
	r->r14 = c->gpr[GPR_R14]; r->r15 = c->gpr[GPR_R15];
	r->rip = c->rip;
	r->rflags = c->rflags;
	run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
}

/* A hypercall through a PLAT_HVM_HCALL_PORT stub: Xen's HVM convention. */
static void hvm_port_hypercall(const struct kvm_run *run,
			       struct plat_exit *exit)
{
	const struct kvm_regs *r = &run->s.regs.regs;
	const struct kvm_sregs *s = &run->s.regs.sregs;

	exit->kind = PLAT_EXIT_HYPERCALL;
	exit->long_mode = (s->efer & (1u << 10)) && s->cs.l;	/* LMA */
	exit->cpl = s->ss.dpl;
	if (exit->long_mode) {
		exit->value = r->rax;
		exit->args[0] = r->rdi; exit->args[1] = r->rsi;
		exit->args[2] = r->rdx; exit->args[3] = r->r10;
		exit->args[4] = r->r8;  exit->args[5] = r->r9;
	} else {
		exit->value = (uint32_t)r->rax;
		exit->args[0] = (uint32_t)r->rbx; exit->args[1] = (uint32_t)r->rcx;
		exit->args[2] = (uint32_t)r->rdx; exit->args[3] = (uint32_t)r->rsi;
		exit->args[4] = (uint32_t)r->rdi; exit->args[5] = (uint32_t)r->rbp;
	}
}

/* Exits only HVM/PVH vCPUs see; false if the reason is not one of them. */
static bool hvm_exit(struct plat_vcpu *v, struct plat_exit *exit)
{
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_XEN:
		if (run->xen.type != KVM_EXIT_XEN_HCALL)
			return false;
		exit->kind = PLAT_EXIT_HYPERCALL;
		exit->value = run->xen.u.hcall.input;
		exit->long_mode = run->xen.u.hcall.longmode;
		exit->cpl = run->xen.u.hcall.cpl;
		memcpy(exit->args, run->xen.u.hcall.params, sizeof(exit->args));
		v->xen_hcall_pending = true;
		return true;
	case KVM_EXIT_X86_WRMSR:
		exit->kind = PLAT_EXIT_WRMSR;
		exit->msr = run->msr.index;
		exit->value = run->msr.data;
		run->msr.error = 1;	/* until plat_vcpu_wrmsr_done says */
		return true;
	case KVM_EXIT_IO:
		if (v->hcall == PLAT_HVM_HCALL_PORT &&
		    run->io.direction == KVM_EXIT_IO_OUT &&
		    run->io.port == PLAT_HVM_HCALL_PORT_NR &&
		    run->io.size == 4 && run->io.count == 1) {
			hvm_port_hypercall(run, exit);
			return true;
		}
		exit->kind = PLAT_EXIT_IO;
		exit->port = run->io.port;
		exit->size = run->io.size;
		exit->is_write = run->io.direction == KVM_EXIT_IO_OUT;
		exit->count = run->io.count;
		if (run->io.size <= 4 && run->io.size) {
			uint8_t *data = (uint8_t *)run + run->io.data_offset;

			if (exit->is_write)
				memcpy(&exit->value, data, run->io.size);
			else	/* nothing there: all-ones, every repetition */
				memset(data, 0xff,
				       (size_t)run->io.size * run->io.count);
		}
		return true;
	case KVM_EXIT_HLT:
		exit->kind = PLAT_EXIT_HLT;
		return true;
	}
	return false;
}

void plat_vcpu_destroy(struct plat_vcpu *v)
{
	if (!v)
		return;
	munmap(v->run, vcpu_mmap_size);
	close(v->fd);
	free(v);
}

int plat_vcpu_set_debugregs(struct plat_vcpu *v, const uint64_t db[4],
			    uint64_t dr6, uint64_t dr7)
{
	struct kvm_debugregs dr;

	memset(&dr, 0, sizeof(dr));
	memcpy(dr.db, db, sizeof(dr.db));
	dr.dr6 = dr6;
	dr.dr7 = dr7;
	if (ioctl(v->fd, KVM_SET_DEBUGREGS, &dr))
		return -errno;
	return 0;
}

int plat_vcpu_get_dr6(struct plat_vcpu *v, uint64_t *dr6)
{
	struct kvm_debugregs dr;

	if (ioctl(v->fd, KVM_GET_DEBUGREGS, &dr))
		return -errno;
	*dr6 = dr.dr6;
	return 0;
}

static void state_to_kvm(struct kvm_run *run, const struct cpu_state *c)
{
	struct kvm_regs *r = &run->s.regs.regs;
	struct kvm_sregs *s = &run->s.regs.sregs;

	r->rax = c->gpr[GPR_RAX]; r->rcx = c->gpr[GPR_RCX];
	r->rdx = c->gpr[GPR_RDX]; r->rbx = c->gpr[GPR_RBX];
	r->rsp = c->gpr[GPR_RSP]; r->rbp = c->gpr[GPR_RBP];
	r->rsi = c->gpr[GPR_RSI]; r->rdi = c->gpr[GPR_RDI];
	r->r8 = c->gpr[GPR_R8];   r->r9 = c->gpr[GPR_R9];
	r->r10 = c->gpr[GPR_R10]; r->r11 = c->gpr[GPR_R11];
	r->r12 = c->gpr[GPR_R12]; r->r13 = c->gpr[GPR_R13];
	r->r14 = c->gpr[GPR_R14]; r->r15 = c->gpr[GPR_R15];
	r->rip = c->rip;
	r->rflags = c->rflags;

	seg_from_desc(&s->cs, c->cs, c->cs_desc, 0);
	seg_from_desc(&s->ss, c->ss, c->ss_desc, 0);
	seg_data(&s->ds, c->ds, 0);
	seg_data(&s->es, c->es, 0);
	seg_data(&s->fs, c->fs, c->fs_base);
	seg_data(&s->gs, c->gs, c->gs_base);
	s->cr0 = c->cr0;
	s->cr3 = c->cr3;
	s->cr4 = c->cr4;
	run->kvm_dirty_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
}

static void state_from_kvm(const struct kvm_run *run, struct cpu_state *c)
{
	const struct kvm_regs *r = &run->s.regs.regs;
	const struct kvm_sregs *s = &run->s.regs.sregs;

	c->gpr[GPR_RAX] = r->rax; c->gpr[GPR_RCX] = r->rcx;
	c->gpr[GPR_RDX] = r->rdx; c->gpr[GPR_RBX] = r->rbx;
	c->gpr[GPR_RSP] = r->rsp; c->gpr[GPR_RBP] = r->rbp;
	c->gpr[GPR_RSI] = r->rsi; c->gpr[GPR_RDI] = r->rdi;
	c->gpr[GPR_R8] = r->r8;   c->gpr[GPR_R9] = r->r9;
	c->gpr[GPR_R10] = r->r10; c->gpr[GPR_R11] = r->r11;
	c->gpr[GPR_R12] = r->r12; c->gpr[GPR_R13] = r->r13;
	c->gpr[GPR_R14] = r->r14; c->gpr[GPR_R15] = r->r15;
	c->rip = r->rip;
	c->rflags = r->rflags;
	c->fs_base = s->fs.base;
	c->gs_base = s->gs.base;
	c->fs = s->fs.selector;
	c->gs = s->gs.selector;
	c->ds = s->ds.selector;
	c->es = s->es.selector;
	c->cr2 = s->cr2;
	/* CS/SS/CR0/CR3/CR4 are the model's: an exit never changes them. */
}

int plat_vcpu_run(struct plat_vcpu *v, struct cpu_state *cpu,
		  struct plat_exit *exit)
{
	struct kvm_run *run = v->run;
	int rc;

	if (!v->thread_known) {
		v->thread = pthread_self();
		__atomic_store_n(&v->thread_known, true, __ATOMIC_RELEASE);
	}
	if (cpu->dirty) {
		if (v->hvm)
			hvm_state_to_kvm(run, cpu);
		else
			state_to_kvm(run, cpu);
		cpu->dirty = false;
	}
	if (v->xen_hcall_pending) {
		/* KVM_EXIT_XEN completes with this as the guest's RAX. */
		run->xen.u.hcall.result = cpu->gpr[GPR_RAX];
		v->xen_hcall_pending = false;
	}
	memset(exit, 0, sizeof(*exit));

	if (__atomic_exchange_n(&v->kick_pending, 0, __ATOMIC_ACQ_REL)) {
		/* Consumed here: the next KVM_RUN must really enter. */
		run->immediate_exit = 0;
		exit->kind = PLAT_EXIT_KICKED;
		exit->hold = v->hold;
		/* Where the vCPU stands: it may still be inside a stub. */
		exit->exit_rip = run->s.regs.regs.rip;
		return 0;
	}
	rc = ioctl(v->fd, KVM_RUN, 0);
	run->immediate_exit = 0;
	/*
	 * EAGAIN: an AP woke from its wait for INIT/SIPI still not started
	 * (an INIT, say, and the SIPI yet to come): run it again.
	 */
	if (rc < 0 && errno != EINTR && errno != EAGAIN) {
		snprintf(exit->detail, sizeof(exit->detail),
			 "KVM_RUN failed: %s", strerror(errno));
		exit->kind = PLAT_EXIT_OTHER;
		return -errno;
	}
	__atomic_store_n(&v->kick_pending, 0, __ATOMIC_RELEASE);
	state_from_kvm(run, cpu);
	if (v->hvm)
		hvm_state_from_kvm(run, cpu);
	exit->rsp0 = run->s.regs.regs.rsp;
	exit->exit_rip = run->s.regs.regs.rip;
	if (rc < 0 || run->exit_reason == KVM_EXIT_INTR) {
		const struct kvm_vcpu_events *ev = &run->s.regs.events;

		/*
		 * Interrupted between a guest fault and its delivery: KVM
		 * still holds the exception and injects it at the next entry
		 * with whatever RIP we load, and writing the registers would
		 * drop it. The caller must re-enter without touching state.
		 */
		v->hold = ev->exception.injected ||
				   ev->exception.pending ||
				   ev->interrupt.injected || ev->nmi.injected;
		exit->kind = PLAT_EXIT_KICKED;
		exit->hold = v->hold;
		return 0;
	}
	v->hold = false;

	if (v->hvm && hvm_exit(v, exit))
		return 0;
	switch (run->exit_reason) {
	case KVM_EXIT_MMIO:
		exit->gpa = run->mmio.phys_addr;
		if (run->mmio.len > 8) {
			exit->kind = PLAT_EXIT_OTHER;
			snprintf(exit->detail, sizeof(exit->detail),
				 "%u-byte MMIO access at GPA %#llx",
				 run->mmio.len,
				 (unsigned long long)run->mmio.phys_addr);
		} else if (!run->mmio.is_write) {
			/*
			 * Unbacked memory reads as all-ones. KVM finishes the
			 * instruction at the next entry, from its own saved
			 * state: until then nothing may touch the registers.
			 */
			memset(run->mmio.data, 0xff, run->mmio.len);
			exit->kind = PLAT_EXIT_MMIO_READ;
			exit->hold = v->hold = true;
		} else {
			exit->kind = PLAT_EXIT_MMIO_WRITE;
			memcpy(&exit->value, run->mmio.data, run->mmio.len);
		}
		break;
	case KVM_EXIT_SHUTDOWN:
		exit->kind = PLAT_EXIT_SHUTDOWN;
		snprintf(exit->detail, sizeof(exit->detail), "triple fault");
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		exit->kind = PLAT_EXIT_OTHER;
		snprintf(exit->detail, sizeof(exit->detail),
			 "KVM internal error, suberror %u",
			 run->internal.suberror);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		exit->kind = PLAT_EXIT_OTHER;
		snprintf(exit->detail, sizeof(exit->detail),
			 "VM entry failed, reason %#llx",
			 (unsigned long long)
			 run->fail_entry.hardware_entry_failure_reason);
		break;
	default:
		exit->kind = PLAT_EXIT_OTHER;
		snprintf(exit->detail, sizeof(exit->detail),
			 "unexpected KVM exit %u", run->exit_reason);
	}
	return 0;
}

void plat_vcpu_kick(struct plat_vcpu *v)
{
	__atomic_store_n(&v->kick_pending, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_RELEASE);
	if (__atomic_load_n(&v->thread_known, __ATOMIC_ACQUIRE))
		pthread_kill(v->thread, KICK_SIGNAL);
}
