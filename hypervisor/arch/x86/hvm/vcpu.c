// SPDX-License-Identifier: MIT
/*
 * The HVM/PVH vCPU loop. The guest runs at CPL0 on its own page tables
 * and leaves the VM only for what hardware assist cannot do alone here:
 * hypercalls, the hypercall MSR, port I/O and MMIO nothing backs, hlt.
 */
#include <stdio.h>

#include "pvisor/domain.h"
#include "pvisor/hvm.h"
#include "pvisor/hypercall.h"
#include "pvisor/log.h"

static void hvm_crash(struct vcpu *v, const char *why)
{
	domain_crash(v->d, "vCPU%u at %#llx: %s", v->id,
		     (unsigned long long)v->pv.cpu.rip, why);
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
	case PLAT_EXIT_MMIO_WRITE:
	case PLAT_EXIT_MMIO_READ:
		/* Nothing there yet: writes vanish, reads are all-ones. */
		v->stats.emulated++;
		break;
	case PLAT_EXIT_HLT:
		hvm_crash(v, "hlt, and no interrupt can come (no irqchip yet)");
		break;
	case PLAT_EXIT_KICKED:
		v->stats.kicks++;
		break;
	case PLAT_EXIT_SHUTDOWN:
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

	while (!domain_is_dying(v->d)) {
		if (domain_wait_unpaused(v->d))
			break;
		__atomic_store_n(&v->in_guest, true, __ATOMIC_SEQ_CST);
		rc = plat_vcpu_run(v->plat, &v->pv.cpu, &e);
		__atomic_store_n(&v->in_guest, false, __ATOMIC_SEQ_CST);
		v->stats.exits++;
		if (rc && e.kind != PLAT_EXIT_OTHER) {
			hvm_crash(v, "platform run failed");
			break;
		}
		hvm_exit(v, &e);
	}
	pthread_mutex_lock(&v->lock);
	v->exited = true;
	pthread_mutex_unlock(&v->lock);
	return NULL;
}
