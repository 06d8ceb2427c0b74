/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_PLATFORM_H
#define PVISOR_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#include "pvisor/cpu_state.h"
#include "pvisor/cpuid.h"

/*
 * The only interface to the host's virtualization. platform/kvm is the
 * one implementation: a VM per domain, a vCPU per guest vCPU, state in
 * and out through struct cpu_state.
 */
struct plat_vm;
struct plat_vcpu;

/* Which kind of KVM this is: they differ in what faults and what costs. */
enum plat_kind {
	PLAT_KIND_UNKNOWN,
	PLAT_KIND_PVM,		/* software KVM: CPL0 emulated, shadow paging */
	PLAT_KIND_AMD_V,	/* kvm_amd: SVM, nested paging */
	PLAT_KIND_VT_X,		/* kvm_intel: VMX, EPT */
};

const char *plat_kind_name(enum plat_kind kind);

/*
 * How an HVM/PVH guest's hypercalls reach pvisord (probed; see
 * arch/x86/hvm/hypercall_page.c and docs/pvh.md).
 */
enum plat_hvm_hcall {
	PLAT_HVM_HCALL_NONE,	/* this KVM cannot run HVM/PVH guests */
	/*
	 * KVM_CAP_XEN_HVM with KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL: KVM
	 * fills the page itself when the guest writes the MSR (32-byte
	 * stubs "mov $nr,%eax; vmcall|vmmcall; ret", per CPU vendor) and
	 * each call leaves KVM_RUN as KVM_EXIT_XEN.
	 */
	PLAT_HVM_HCALL_KVM_XEN,
	/*
	 * KVM without CONFIG_KVM_XEN: vmcall/vmmcall never reach user space
	 * (KVM answers them as KVM hypercalls), so the MSR write exits
	 * through KVM_CAP_X86_USER_SPACE_MSR + an MSR filter, and pvisord
	 * writes stubs "mov $nr,%eax; out %eax,$PLAT_HVM_HCALL_PORT; ret":
	 * port I/O always exits (KVM_EXIT_IO), on VT-x and AMD-V alike.
	 */
	PLAT_HVM_HCALL_PORT,
};

/* The private I/O port of PLAT_HVM_HCALL_PORT stubs (no PC device uses it). */
#define PLAT_HVM_HCALL_PORT_NR	0xe4

const char *plat_hvm_hcall_name(enum plat_hvm_hcall how);

/* What start-up learned about the host. */
struct plat_info {
	bool available;
	char reason[256];		/* why not, when !available */
	int err;			/* and the errno behind it */
	enum plat_kind kind;
	char kvm_module[32];		/* e.g. "kvm_pvm", "kvm_intel" */
	/* The hypervisor this host itself runs under, if any ("TCGTCGTCGTCG"). */
	char outer_hypervisor[16];
	/* Plain CPUID at CPL3 traps (CPUID faulting works): guest-user CPUID
	 * is then answered from the domain's policy; on PVM it is not. */
	bool cpuid_faulting;
	double exit_cpl0_us;		/* doorbell round trip from CPL0 */
	/* syscall from CPL3 reaches its LSTAR stub at CPL0 (architectural);
	 * on PVM it stays at CPL3, so the stub must be usable from CPL3. */
	bool syscall_to_cpl0;
	int api_version;
	uint32_t tsc_khz;
	unsigned int phys_bits;
	/* L4 slots in Xen's reserved range the host lets guests use. */
	uint32_t usable_slots;		/* bit n: slot 256 + n */
	double exit_roundtrip_us;	/* measured MMIO-exit round trip */
	struct cpuid_leaf cpuid[CPUID_MAX_LEAVES];
	unsigned int nr_cpuid;
	/*
	 * HVM and PVH guests (CPL0 in their VM, own page tables) need
	 * hardware assist (VT-x/AMD-V): not PVM. hvm_reason says why not.
	 */
	bool hvm_capable;
	enum plat_hvm_hcall hvm_hcall;
	char hvm_reason[160];
};

int plat_probe(struct plat_info *info);

int plat_vm_create(struct plat_vm **out);
void plat_vm_destroy(struct plat_vm *vm);
int plat_vm_map(struct plat_vm *vm, unsigned int slot, uint64_t gpa,
		uint64_t size, void *hva);

/* Initial long-mode control state every vCPU of a PV domain shares. */
struct plat_vcpu_config {
	uint64_t cr0, cr4, efer, pat;
	uint64_t gdt_base;	/* linear; limit covers 16 pages */
	uint64_t idt_base;
	uint64_t tss_base;
	uint16_t tss_sel;
	uint64_t lstar, cstar;	/* syscall entry stubs */
	uint16_t star_cs;	/* CS syscall would load (hardware) */
	const struct cpuid_policy *cpuid;
};

int plat_vcpu_create(struct plat_vm *vm, unsigned int id,
		     const struct plat_vcpu_config *cfg,
		     struct plat_vcpu **out);
void plat_vcpu_destroy(struct plat_vcpu *vcpu);

/*
 * HVM/PVH: make the VM's hypercall MSR (msr) exit or fill the page, as
 * `how` says. Once per VM, before its vCPUs run.
 */
int plat_vm_setup_hvm(struct plat_vm *vm, enum plat_hvm_hcall how,
		      uint32_t msr);

/*
 * HVM: the emulated PC's interrupt controllers and timer in KVM (LAPIC
 * per vCPU, IOAPIC, two 8259s, the 8254 PIT on IRQ0), and on VT-x the
 * real-mode TSS and identity-map pages, placed at PLAT_HVM_KVM_PAGES
 * (in the reserved window below 4 GiB). Before any vCPU exists.
 */
int plat_vm_setup_irqchip(struct plat_vm *vm);
#define PLAT_HVM_KVM_PAGES	0xfffbc000ull	/* 4 pages */
/* Raise or lower an ISA/IOAPIC interrupt line (any thread). */
int plat_vm_set_irq(struct plat_vm *vm, unsigned int irq, bool level);

/* A fixed, edge MSI at vector to the LAPIC with id apic_id (any thread). */
int plat_vm_signal_msi(struct plat_vm *vm, unsigned int apic_id,
		       uint8_t vector);

/* How an HVM/PVH vCPU starts. */
enum plat_hvm_entry {
	PLAT_HVM_ENTRY_PVH32,	/* PVH: 32-bit flat protected mode, paging off */
	PLAT_HVM_ENTRY_LONG64,	/* Linux's 64-bit boot protocol */
	PLAT_HVM_ENTRY_AP,	/* an AP: waits for INIT/SIPI (in-kernel LAPIC) */
};

struct plat_hvm_vcpu_config {
	enum plat_hvm_entry entry;
	uint32_t eip;			/* PVH32 */
	uint32_t ebx;			/* PVH32: hvm_start_info's address */
	/*
	 * LONG64: identity paging at cr3, a GDT with 64-bit cs, data ds
	 * and a 64-bit TSS at tr (VT-x enters long mode only with one).
	 */
	uint64_t rip, rsi, rsp, cr3, gdt_base, tss_base;
	uint16_t gdt_limit, cs, ds, tr;
	uint32_t tss_limit;
	const struct cpuid_policy *cpuid;
};

/*
 * Create a vCPU that runs at CPL0 with its own paging. From then on the
 * guest owns its control registers and segments: plat_vcpu_run writes
 * back only the general registers, and reports CS/SS/CR0/CR3/CR4/EFER
 * as the guest left them.
 */
int plat_vcpu_create_hvm(struct plat_vm *vm, unsigned int id,
			 const struct plat_hvm_vcpu_config *cfg,
			 struct plat_vcpu **out);
/* Answer the PLAT_EXIT_IO read just seen (else it reads all-ones). */
void plat_vcpu_io_in(struct plat_vcpu *vcpu, uint32_t value);
/* Answer the PLAT_EXIT_WRMSR just seen: fault = inject #GP. */
void plat_vcpu_wrmsr_done(struct plat_vcpu *vcpu, bool fault);

enum plat_exit_kind {
	PLAT_EXIT_MMIO_WRITE,	/* a store to unbacked memory (doorbell) */
	PLAT_EXIT_MMIO_READ,	/* a load from it: answered with all-ones */
	PLAT_EXIT_KICKED,	/* another thread asked us to stop */
	PLAT_EXIT_SHUTDOWN,	/* triple fault */
	/* HVM/PVH vCPUs only: */
	PLAT_EXIT_HYPERCALL,	/* through the hypercall page: nr, args */
	PLAT_EXIT_WRMSR,	/* a filtered MSR write: msr, value */
	PLAT_EXIT_IO,		/* port I/O nothing in the kernel claims */
	PLAT_EXIT_HLT,		/* hlt without an in-kernel irqchip (PVH) */
	PLAT_EXIT_OTHER,	/* anything unexpected: see detail */
};

struct plat_exit {
	enum plat_exit_kind kind;
	uint64_t gpa;		/* address and value stored */
	uint64_t value;
	uint64_t rsp0;		/* RSP when the exit happened */
	uint64_t exit_rip;	/* RIP when the exit happened */
	/*
	 * KVM is mid-way through something (an exception delivery a kick
	 * interrupted, an MMIO read): re-enter with the state untouched
	 * (no upcall, no register writes).
	 */
	bool hold;
	/*
	 * PLAT_EXIT_HYPERCALL: value = number, args as the calling mode
	 * passes them, long_mode, cpl. The result goes in RAX (cpu state,
	 * marked dirty). PLAT_EXIT_WRMSR: msr and value; answer with
	 * plat_vcpu_wrmsr_done. PLAT_EXIT_IO: port, size, is_write, count,
	 * value (an IN reads as all-ones unless plat_vcpu_io_in answers).
	 */
	uint64_t args[6];
	bool long_mode;
	unsigned int cpl;
	uint32_t msr;
	uint16_t port;
	uint8_t size;
	bool is_write;
	uint32_t count;		/* > 1: rep ins/outs (not emulated) */
	char detail[96];
};

/*
 * Run until the next exit. cpu is written to the vCPU first if dirty,
 * and filled from it on return (the guest context as of the exit).
 */
int plat_vcpu_run(struct plat_vcpu *vcpu, struct cpu_state *cpu,
		  struct plat_exit *exit);
/*
 * The VM's debug registers (KVM_SET/GET_DEBUGREGS), from the vCPU's own
 * thread between runs. dr6 and dr7 must fit in 32 bits.
 */
int plat_vcpu_set_debugregs(struct plat_vcpu *vcpu, const uint64_t db[4],
			    uint64_t dr6, uint64_t dr7);
int plat_vcpu_get_dr6(struct plat_vcpu *vcpu, uint64_t *dr6);
/* From any thread: make a running or about-to-run vCPU exit promptly. */
void plat_vcpu_kick(struct plat_vcpu *vcpu);

#endif
