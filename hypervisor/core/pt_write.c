// SPDX-License-Identifier: MIT
/*
 * Guest page-table writes made on the guest's behalf. On a shadow-paging
 * host (PVM) KVM only learns about page-table changes it traps, and a
 * store from pvisord's side of the memfd is not one of them: the VM
 * keeps translating through the old entry forever. So every such write
 * is also replayed inside the VM by a CPL0 stub that stores through a
 * supervisor direct map and reloads CR3 (one extra exit per batch).
 */
#include <errno.h>
#include <string.h>

#include "pvisor/domain.h"
#include "pvisor/layout.h"
#include "pvisor/log.h"
#include "../arch/x86/pv/descriptors.h"

int vcpu_pt_write(struct vcpu *v, uint64_t gpa, uint64_t val)
{
	struct domain *d = v->d;
	uint64_t *host = gmem_ram_frame(&d->mem, gpa >> PAGE_SHIFT);
	int rc;

	if (!host || (gpa & 7))
		return -EINVAL;
	__atomic_store_n(&host[(gpa & ~PAGE_MASK) / 8], val, __ATOMIC_RELAXED);
	if (v->ptw_pending == PTW_MAX_WRITES) {
		rc = vcpu_pt_flush(v);
		if (rc)
			return rc;
	}
	v->ptw_list[v->ptw_pending][0] = d->hv_slot_va + HV_DIRECTMAP_OFF + gpa;
	v->ptw_list[v->ptw_pending][1] = val;
	v->ptw_pending++;
	return 0;
}

int vcpu_pt_flush(struct vcpu *v)
{
	struct domain *d = v->d;
	struct cpu_state saved = v->pv.cpu, *c = &v->pv.cpu;
	struct plat_exit e;
	int rc = 0;

	if (!v->ptw_pending)
		return 0;
	c->rip = d->ptw_stub_va;
	c->gpr[GPR_RSI] = v->ptw_list_va;
	c->gpr[GPR_RCX] = v->ptw_pending;
	c->gpr[GPR_RSP] = v->stack_top_va;
	c->rflags = X86_EFLAGS_FIXED;	/* IF clear: nothing may interrupt */
	c->cs = HV_CS_SEL;
	c->cs_desc = DESC_HV_CS64;
	c->ss = HV_DS_SEL;
	c->ss_desc = DESC_HV_DS;
	c->dirty = true;
	for (;;) {
		rc = plat_vcpu_run(v->plat, c, &e);
		v->stats.exits++;
		v->stats.pt_flushes++;
		if (rc)
			break;
		if (e.kind == PLAT_EXIT_KICKED)
			continue;
		if (e.kind == PLAT_EXIT_MMIO_WRITE &&
		    e.gpa == EXIT_GPA + EXIT_OFF_HV &&
		    e.value == EXIT_CODE_PTW_DONE && e.exit_rip == d->ptw_done_rip)
			break;
		pr_err("d%u vCPU%u: page-table writer failed: %s (exit %d, "
		       "rip %#llx)\n", d->id, v->id, e.detail, e.kind,
		       (unsigned long long)e.exit_rip);
		rc = -EIO;
		break;
	}
	v->ptw_pending = 0;
	*c = saved;
	c->dirty = true;
	return rc;
}
