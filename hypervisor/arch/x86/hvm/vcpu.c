// SPDX-License-Identifier: MIT
/*
 * The HVM/PVH vCPU loop. The guest runs at CPL0 on its own page tables
 * and leaves the VM only for what hardware assist and KVM's irqchip
 * cannot do alone: hypercalls, the hypercall MSR, port I/O of the
 * emulated PC (hvm/pc.c), MMIO nothing backs, and (PVH only) hlt.
 */
#include <stdio.h>
#include <stdlib.h>

#include <pvabi/sched.h>

#include "pvisor/domain.h"
#include "pvisor/domain_events.h"
#include "pvisor/hvm.h"
#include "pvisor/hvm_pc.h"
#include "pvisor/hypercall.h"
#include "pvisor/log.h"

struct vcpu *hvm_vcpu_new(struct domain *d, unsigned int id)
{
	struct vcpu *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->d = d;
	v->id = id;
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->wake, NULL);
	/* Hypercall arguments are read through pv_read() (hypercall.c). */
	v->pv.id = id;
	v->pv.mem = &d->mem;
	v->pv.cpuid = &d->cpuid;
	v->pv.vm_assist = &d->vm_assist;
	v->pv.in_kernel = true;
	v->pv.kernel_cr3 = GMEM_CR3_PHYS;
	return v;
}

static void hvm_crash(struct vcpu *v, const char *why)
{
	domain_crash(v->d, "vCPU%u at %#llx: %s", v->id,
		     (unsigned long long)v->pv.cpu.rip, why);
}

/* Port I/O KVM left to us: the emulated PC's devices, or nothing. */
static void hvm_port_io(struct vcpu *v, const struct plat_exit *e)
{
	uint32_t value = (uint32_t)e->value;

	v->stats.emulated++;
	if (e->count != 1)
		return;		/* rep ins/outs: not emulated (all-ones) */
	if (hvm_pc_io(v->d, e->port, e->size, e->is_write, &value) &&
	    !e->is_write)
		plat_vcpu_io_in(v->plat, value);
}

static void hvm_exit(struct vcpu *v, const struct plat_exit *e)
{
	struct cpu_state *c = &v->pv.cpu;
	char why[160];
	long rc;

	switch (e->kind) {
	case PLAT_EXIT_HYPERCALL:
		rc = hvm_hypercall(v, e->value, e->args, e->long_mode, e->cpl);
		c->gpr[GPR_RAX] = e->long_mode ? (uint64_t)rc : (uint32_t)rc;
		c->dirty = true;
		break;
	case PLAT_EXIT_WRMSR:
		/* Only the hypercall MSR is filtered to us. */
		plat_vcpu_wrmsr_done(v->plat, e->msr != XEN_HYPERCALL_MSR ||
				     hvm_hypercall_msr_write(v, e->value) != 0);
		break;
	case PLAT_EXIT_IO:
		hvm_port_io(v, e);
		break;
	case PLAT_EXIT_MMIO_WRITE:
	case PLAT_EXIT_MMIO_READ:
		/* Nothing there: writes vanish, reads are all-ones. */
		v->stats.emulated++;
		break;
	case PLAT_EXIT_HLT:
		/* Only without KVM's irqchip (PVH): nothing could wake it. */
		hvm_crash(v, "hlt, and no interrupt can come (no irqchip)");
		break;
	case PLAT_EXIT_KICKED:
		v->stats.kicks++;
		break;
	case PLAT_EXIT_SHUTDOWN:
		/* A PC resets on a triple fault; Xen's HVM default too. */
		if (v->d->type == DOMAIN_TYPE_HVM)
			domain_shutdown(v->d, SHUTDOWN_reboot);
		else
			hvm_crash(v, "triple fault");
		break;
	case PLAT_EXIT_OTHER:
		snprintf(why, sizeof(why), "%s", e->detail);
		hvm_crash(v, why);
		break;
	}
}

void *hvm_vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct plat_exit e;
	int rc;

	/* Xen's timers: a host timer kicks us out of KVM_RUN when due. */
	vcpu_events_thread_start(v);
	while (!domain_is_dying(v->d)) {
		if (domain_wait_unpaused(v->d))
			break;
		vcpu_timers_due(v);
		__atomic_store_n(&v->in_guest, true, __ATOMIC_SEQ_CST);
		rc = plat_vcpu_run(v->plat, &v->pv.cpu, &e);
		__atomic_store_n(&v->in_guest, false, __ATOMIC_SEQ_CST);
		v->stats.exits++;
		if (rc && e.kind != PLAT_EXIT_OTHER) {
			hvm_crash(v, "platform run failed");
			break;
		}
		hvm_exit(v, &e);
		/* SCHEDOP_poll: asleep here until a port or the timeout. */
		if (v->blocked && vcpu_wait_runnable(v))
			break;
	}
	pthread_mutex_lock(&v->lock);
	v->exited = true;
	pthread_mutex_unlock(&v->lock);
	return NULL;
}
