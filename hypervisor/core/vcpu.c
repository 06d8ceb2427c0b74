// SPDX-License-Identifier: MIT
/*
 * The vCPU loop: run the guest until it leaves the VM, find out why
 * (a trap stub, a syscall stub, a kick), let the PV CPU model act, and
 * go back in. Pending event upcalls are delivered on every re-entry.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pvisor/domain.h"
#include "pvisor/domain_events.h"
#include "pvisor/hypercall.h"
#include "pvisor/layout.h"
#include "pvisor/log.h"
#include "pvisor/m2p_compat.h"
#include "pvisor/pv_mm.h"

/*
 * What an operator needs to debug a dead guest: every register, the bytes
 * at RIP and the top of the stack, read through the guest's own page
 * tables ("??" where nothing is mapped). Once per crash, so a guest
 * cannot use it to flood the log.
 */
static void vcpu_dump(struct vcpu *v)
{
	static const char *const names[NR_GPRS] = {
		"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
		"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
	};
	const struct cpu_state *c = &v->pv.cpu;
	char line[256];
	size_t n = 0;

	pr_err("d%u vCPU%u: rip %#llx rflags %#llx cs %#x ss %#x cr2 %#llx "
	       "cr3 %#llx (%s mode)\n", v->d->id, v->id,
	       (unsigned long long)c->rip, (unsigned long long)c->rflags,
	       c->cs, c->ss, (unsigned long long)c->cr2,
	       (unsigned long long)c->cr3, v->pv.in_kernel ? "kernel" : "user");
	for (int r = 0; r < NR_GPRS; r++) {
		n += snprintf(line + n, sizeof(line) - n, "%s %016llx%s",
			      names[r], (unsigned long long)c->gpr[r],
			      r % 4 == 3 ? "" : "  ");
		if (r % 4 == 3) {
			pr_err("  %s\n", line);
			n = 0;
		}
	}
	n = 0;
	for (int i = 0; i < 16; i++) {
		uint8_t b;

		n += pv_read(&v->pv, c->rip + i, &b, 1) ?
		     snprintf(line + n, sizeof(line) - n, " ??") :
		     snprintf(line + n, sizeof(line) - n, " %02x", b);
	}
	pr_err("  code at rip:%s\n", line);
	for (int i = 0; i < 8; i += 2) {
		uint64_t q[2];

		if (pv_read(&v->pv, c->gpr[GPR_RSP] + i * 8, q, sizeof(q))) {
			pr_err("  stack %#llx: unmapped\n",
			       (unsigned long long)(c->gpr[GPR_RSP] + i * 8));
			break;
		}
		pr_err("  stack %#llx: %016llx %016llx\n",
		       (unsigned long long)(c->gpr[GPR_RSP] + i * 8),
		       (unsigned long long)q[0], (unsigned long long)q[1]);
	}
}

static void vcpu_crash(struct vcpu *v, const char *why)
{
	if (domain_is_dying(v->d))
		return;
	domain_crash(v->d, "vCPU%u: %s at rip %#llx", v->id, why,
		     (unsigned long long)v->pv.cpu.rip);
	vcpu_dump(v);
}

/* Hypercall from guest kernel mode: syscall with rax = number. */
static void vcpu_hypercall(struct vcpu *v)
{
	struct cpu_state *c = &v->pv.cpu;
	const uint64_t args[6] = {
		c->gpr[GPR_RDI], c->gpr[GPR_RSI], c->gpr[GPR_RDX],
		c->gpr[GPR_R10], c->gpr[GPR_R8], c->gpr[GPR_R9],
	};
	long rc = hypercall_dispatch(v, c->gpr[GPR_RAX], args);

	if (rc == HC_PREEMPTED) {
		/* Run the 2-byte syscall again, RAX unchanged, new arguments. */
		c->gpr[GPR_RDI] = v->hc_cont[0];
		c->gpr[GPR_RSI] = v->hc_cont[1];
		c->gpr[GPR_RDX] = v->hc_cont[2];
		c->gpr[GPR_R10] = v->hc_cont[3];
		c->gpr[GPR_R8] = v->hc_cont[4];
		c->gpr[GPR_R9] = v->hc_cont[5];
		c->rip -= 2;
		v->stats.continuations++;
	} else if (rc != HC_NO_RESULT) {
		c->gpr[GPR_RAX] = (uint64_t)rc;
	}
	c->dirty = true;
	if (v->ptw_pending && vcpu_pt_flush(v))
		vcpu_crash(v, "page-table update could not be applied");
}

/*
 * `int n` through a DPL0 gate raises #GP on x86, but some hosts (PVM)
 * report #UD for any `int n` from CPL3, and some emulators (QEMU before
 * 8.0) push a wrong vector in the #GP error code: the instruction at
 * RIP is the one source every host agrees on.
 */
static bool vcpu_soft_int(struct vcpu *v, int *rc)
{
	uint8_t insn[2];

	if (pv_read(&v->pv, v->pv.cpu.rip, insn, 2) || insn[0] != 0xcd)
		return false;
	*rc = pv_inject_soft_int(&v->pv, insn[1], 2);
	return true;
}

static void vcpu_deliver(struct vcpu *v, unsigned int vec, uint32_t ec,
			 int rc)
{
	char why[96];

	if (rc == 0) {
		v->stats.bounces++;
		return;
	}
	if (rc == -ENOENT)
		snprintf(why, sizeof(why), "unhandled trap %u (error %#x)",
			 vec, ec);
	else
		snprintf(why, sizeof(why),
			 "cannot deliver trap %u (error %#x): %s", vec, ec,
			 strerror(-rc));
	vcpu_crash(v, why);
}

/*
 * The guest's debug registers go into the VM only when they changed:
 * breakpoints then fire inside the VM, at the guest's CPL3. A host that
 * refuses them leaves them stored but unarmed (said once).
 */
static void vcpu_load_debugregs(struct vcpu *v)
{
	const uint64_t *dr = v->pv.debugreg;
	int rc;

	v->pv.dr_dirty = false;
	/* DR6 in the VM stays at its default: a #DB then shows only news. */
	rc = plat_vcpu_set_debugregs(v->plat, dr, PV_DR6_DEFAULT, dr[7]);
	if (rc && !v->dr_warned) {
		v->dr_warned = true;
		pr_warn("vcpu %u: debug registers not armed: %s", v->id,
			strerror(-rc));
	}
}

/* A #DB in the VM: what the hardware said goes into the guest's DR6. */
static void vcpu_debug_status(struct vcpu *v)
{
	uint64_t dr6;

	if (plat_vcpu_get_dr6(v->plat, &dr6))
		return;
	if ((uint32_t)dr6 != PV_DR6_DEFAULT) {
		pv_debug_trap(&v->pv, (uint32_t)dr6);
		v->pv.dr_dirty = true;	/* and the VM's back to default */
	}
}

static void vcpu_trap(struct vcpu *v, unsigned int vec, uint32_t ec)
{
	struct pv_vcpu *pv = &v->pv;
	int rc;

	switch (vec) {
	case X86_VEC_GP:
		rc = pv_emulate_gp(pv);
		if (rc == 1) {
			v->stats.emulated++;
			return;
		}
		/* The exception the emulation raised could not be delivered. */
		if (rc < 0)
			break;
		/* An IDT-sourced #GP is `int n` through a DPL0 gate. */
		if ((ec & 3) != 2 || !vcpu_soft_int(v, &rc))
			rc = pv_inject_exception(pv, vec, ec);
		break;
	case X86_VEC_UD:
		if (pv->in_kernel && pv_emulate_ud(pv) == 1) {
			v->stats.emulated++;
			return;
		}
		if (!vcpu_soft_int(v, &rc))
			rc = pv_inject_exception(pv, vec, 0);
		break;
	case X86_VEC_PF:
		/* RO page-table writes and fixed-M2P reads may be ours. */
		if (pv_ptwr_fault(v, pv->cpu.cr2, ec) == 1 ||
		    pv_m2p_compat_fault(v, pv->cpu.cr2, &ec) == 1)
			return;
		rc = pv_inject_page_fault(pv, pv->cpu.cr2, ec);
		break;
	case X86_VEC_DF:
		vcpu_crash(v, "double fault");
		return;
	case X86_VEC_DB:
		vcpu_debug_status(v);
		rc = pv_inject_exception(pv, vec, 0);
		break;
	default:
		if (vec == 0x80) {
			/* int $0x80 came through its DPL3 gate: RIP is past it. */
			rc = pv_inject_soft_int_trap(pv, vec);
			break;
		}
		if (vec >= 32) {
			rc = -ENOENT;
			break;
		}
		rc = pv_inject_exception(pv, vec,
					 x86_vector_has_error_code(vec) ? ec : 0);
	}
	vcpu_deliver(v, vec, ec, rc);
}

/*
 * The exit page rung from anywhere but pvisor's own stubs: guest code
 * wrote to it, which only hosts that need it user-reachable (PVM) allow.
 * That is the guest's fault, not a request: it gets the page fault a
 * protected page gives, and the domain carries on (its kernel decides,
 * e.g. SIGSEGV for a user process).
 */
static void vcpu_doorbell_fault(struct vcpu *v, uint64_t gpa)
{
	uint64_t va = v->d->hv_slot_va + HV_EXIT_PAGE_OFF + (gpa - EXIT_GPA);
	const uint32_t ec = 1 | 2;	/* present, write (U/S set by mode) */

	v->stats.forged_doorbells++;
	vcpu_deliver(v, X86_VEC_PF, ec, pv_inject_page_fault(&v->pv, va, ec));
}

/*
 * A trap stub rang: the CPU left the hardware frame on this vCPU's stack.
 * That stack is hypervisor memory, but a guest that maps it can scribble
 * on it; every value read is only ever used as guest state.
 */
static void vcpu_trap_exit(struct vcpu *v, const struct plat_exit *e)
{
	struct domain *d = v->d;
	struct cpu_state *c = &v->pv.cpu;
	unsigned int vec = (unsigned int)e->value;
	uint64_t stub = d->trap_stubs_va + vec * TRAP_STUB_SIZE;
	const uint64_t *top;
	uint64_t frame[6];
	bool has_ec;

	if (vec > 255 || (e->exit_rip != stub + STUB_EXIT_INSN_LEN &&
			  e->exit_rip != stub)) {
		vcpu_doorbell_fault(v, e->gpa);
		return;
	}
	has_ec = vec < 32 && x86_vector_has_error_code(vec);
	top = (const uint64_t *)((const uint8_t *)hv_page(&d->hv,
							   v->stack_page_idx) +
				 4096);
	memcpy(frame, top - (has_ec ? 6 : 5), sizeof(uint64_t) * (has_ec ? 6 : 5));
	if (!has_ec)
		memmove(frame + 1, frame, 5 * sizeof(uint64_t));
	/* frame: [ec] rip cs rflags rsp ss */
	if ((frame[2] & 3) != 3) {
		vcpu_crash(v, "fault inside the hypervisor's entry stub");
		return;
	}
	c->rip = frame[1];
	c->rflags = (frame[3] & X86_EFLAGS_GUEST_MASK) | X86_EFLAGS_FIXED |
		    X86_EFLAGS_IF;
	c->gpr[GPR_RSP] = frame[4];
	c->dirty = true;
	if (vec < 32)
		v->stats.traps[vec]++;
	vcpu_trap(v, vec, has_ec ? (uint32_t)frame[0] : 0);
}

static void vcpu_syscall_exit(struct vcpu *v, const struct plat_exit *e)
{
	struct domain *d = v->d;
	struct cpu_state *c = &v->pv.cpu;
	bool compat = e->value == EXIT_CODE_SYSCALL32;
	uint64_t stub = d->user_stubs_va + (compat ? 16 : 0);
	int rc;

	if ((e->value != EXIT_CODE_SYSCALL && !compat) ||
	    (e->exit_rip != stub + STUB_EXIT_INSN_LEN && e->exit_rip != stub)) {
		vcpu_doorbell_fault(v, e->gpa);
		return;
	}
	/* syscall left the return address in RCX and the flags in R11. */
	c->rip = c->gpr[GPR_RCX];
	c->rflags = (c->gpr[GPR_R11] & X86_EFLAGS_GUEST_MASK) |
		    X86_EFLAGS_FIXED | X86_EFLAGS_IF;
	c->dirty = true;

	if (v->pv.in_kernel && !compat) {
		vcpu_hypercall(v);
		return;
	}
	v->stats.user_syscalls++;
	rc = pv_user_syscall(&v->pv, compat);
	vcpu_deliver(v, compat ? 0x101 : 0x100, 0, rc);
}

static void vcpu_exit(struct vcpu *v, const struct plat_exit *e)
{
	char why[160];

	switch (e->kind) {
	case PLAT_EXIT_MMIO_WRITE:
		if (e->gpa == EXIT_GPA + EXIT_OFF_TRAP)
			vcpu_trap_exit(v, e);
		else if (e->gpa == EXIT_GPA + EXIT_OFF_SYSCALL)
			vcpu_syscall_exit(v, e);
		else if (e->gpa - EXIT_GPA < PAGE_SIZE)
			vcpu_doorbell_fault(v, e->gpa);
		else {
			snprintf(why, sizeof(why),
				 "write to unbacked guest-physical %#llx",
				 (unsigned long long)e->gpa);
			vcpu_crash(v, why);
		}
		break;
	case PLAT_EXIT_MMIO_READ:
		/* Only the exit page is mapped and unbacked: it reads ~0. */
		if (e->gpa - EXIT_GPA < PAGE_SIZE) {
			v->stats.forged_doorbells++;
			break;
		}
		snprintf(why, sizeof(why), "read of unbacked guest-physical %#llx",
			 (unsigned long long)e->gpa);
		vcpu_crash(v, why);
		break;
	case PLAT_EXIT_KICKED:
		v->stats.kicks++;
		break;
	case PLAT_EXIT_SHUTDOWN:
	case PLAT_EXIT_OTHER:
		vcpu_crash(v, e->detail);
		break;
	case PLAT_EXIT_HYPERCALL:
	case PLAT_EXIT_WRMSR:
	case PLAT_EXIT_IO:
	case PLAT_EXIT_HLT:
		/* HVM/PVH vCPUs only (arch/x86/hvm/vcpu.c). */
		vcpu_crash(v, "HVM exit on a PV vCPU");
		break;
	}
}

/*
 * Inside the entry area the vCPU runs pvisor's stubs, not the guest: a
 * kick there must leave the stub to finish its exit, and events wait for
 * the next guest instruction boundary.
 */
static bool vcpu_in_entry_area(const struct vcpu *v, uint64_t rip)
{
	return rip - v->d->hv_slot_va < (1ull << L4_SLOT_SHIFT);
}

void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct plat_exit e;
	int rc;
	bool hold_state = false;

	vcpu_events_thread_start(v);
	while (!domain_is_dying(v->d)) {
		if (domain_wait_unpaused(v->d))
			break;
		/* Blocked, polling or down: sleep in the host (vcpu_block.c). */
		if ((v->blocked || !v->online) && vcpu_wait_runnable(v))
			break;
		vcpu_timers_due(v);
		if (hold_state) {
			/* KVM is mid-way through delivering a guest fault. */
		} else if (pv_upcall_deliverable(&v->pv)) {
			v->stats.upcalls++;
			rc = pv_deliver_upcall(&v->pv);
			if (rc) {
				vcpu_crash(v, "cannot deliver event upcall");
				break;
			}
		}
		/*
		 * Another vCPU asked us to flush our TLB (mm.c): in the VM,
		 * before guest code runs again. in_guest is published first,
		 * so a flusher either sees it and waits, or we see its ticket.
		 */
		if (!hold_state && v->pv.dr_dirty)
			vcpu_load_debugregs(v);
		__atomic_store_n(&v->in_guest, true, __ATOMIC_SEQ_CST);
		if (!hold_state) {
			uint64_t req = __atomic_load_n(&v->flush_req,
						       __ATOMIC_SEQ_CST);

			if (req != v->flush_done) {
				v->stats.remote_flushes++;
				if (vcpu_tlb_flush_in_vm(v)) {
					vcpu_crash(v, "TLB flush could not run");
					break;
				}
				__atomic_store_n(&v->flush_done, req,
						 __ATOMIC_RELEASE);
			}
		}
		rc = plat_vcpu_run(v->plat, &v->pv.cpu, &e);
		__atomic_store_n(&v->in_guest, false, __ATOMIC_SEQ_CST);
		hold_state = e.hold;
		if (e.kind == PLAT_EXIT_KICKED &&
		    vcpu_in_entry_area(v, e.exit_rip)) {
			v->stats.stub_kicks++;
			hold_state = true;
		}
		v->stats.exits++;
		if (rc && e.kind != PLAT_EXIT_OTHER) {
			vcpu_crash(v, "platform run failed");
			break;
		}
		vcpu_exit(v, &e);
	}
	__atomic_store_n(&v->in_guest, false, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&v->lock);
	v->exited = true;
	pthread_mutex_unlock(&v->lock);
	return NULL;
}

void vcpu_kick(struct vcpu *v)
{
	bool was_blocked;

	pthread_mutex_lock(&v->lock);
	was_blocked = v->blocked;
	v->blocked = false;
	pthread_cond_signal(&v->wake);
	/*
	 * A blocked vCPU is outside the VM and re-checks events before it
	 * enters again: waking it is enough. Under the lock: a thread that
	 * has exited is never signalled.
	 */
	if (!was_blocked && !v->exited)
		plat_vcpu_kick(v->plat);
	pthread_mutex_unlock(&v->lock);
}
