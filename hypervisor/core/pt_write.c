// SPDX-License-Identifier: MIT
/*
 * Guest page-table writes made on the guest's behalf. On a shadow-paging
 * host (PVM) KVM only learns about page-table changes it traps, and a
 * store from pvisord's side of the memfd is not one of them: the VM
 * keeps translating through the old entry forever. So every such entry
 * is also touched inside the VM by a CPL0 stub (`lock orq $0` through a
 * supervisor direct map, then a CR3 reload): an atomic store of what
 * memory already holds, which KVM sees and which cannot undo a newer
 * store another vCPU made meanwhile. One extra exit per batch.
 *
 * The direct map covers guest RAM and the hypervisor region, whose page
 * tables (the entry area, GDT frames) change after the VM runs too.
 */
#include <errno.h>
#include <string.h>

#include "pvisor/domain.h"
#include "pvisor/layout.h"
#include "pvisor/log.h"
#include "../arch/x86/pv/descriptors.h"

/* Host pointer and direct-map VA of an entry in RAM or the hv region. */
static uint64_t *pt_entry(struct domain *d, uint64_t gpa, uint64_t *va)
{
	uint64_t pfn = gpa >> PAGE_SHIFT;

	if (gpa & 7)
		return NULL;
	if (pfn < d->mem.nr_pages) {
		*va = d->hv_slot_va + HV_DIRECTMAP_OFF + gpa;
		return (uint64_t *)(d->mem.ram + gpa);
	}
	if (gpa >= HV_GPA_BASE && pfn - (HV_GPA_BASE >> PAGE_SHIFT) <
				  d->hv.nr_pages) {
		*va = d->hv_slot_va + HV_HVMAP_OFF + (gpa - HV_GPA_BASE);
		return (uint64_t *)(d->hv.base + (gpa - HV_GPA_BASE));
	}
	return NULL;
}

int vcpu_pt_touch(struct vcpu *v, uint64_t gpa)
{
	uint64_t va;
	int rc;

	if (!pt_entry(v->d, gpa, &va))
		return -EINVAL;
	if (v->ptw_pending && v->ptw_list[v->ptw_pending - 1] == va)
		return 0;
	if (v->ptw_pending == PTW_MAX_WRITES) {
		rc = vcpu_pt_flush(v);
		if (rc)
			return rc;
	}
	v->ptw_list[v->ptw_pending++] = va;
	v->stats.pt_touches++;
	return 0;
}

int vcpu_pt_write(struct vcpu *v, uint64_t gpa, uint64_t val)
{
	uint64_t va, *host = pt_entry(v->d, gpa, &va);

	if (!host)
		return -EINVAL;
	__atomic_store_n(host, val, __ATOMIC_RELAXED);
	return vcpu_pt_touch(v, gpa);
}

/*
 * Run the writer stub in the VM from entry (its entry loop, or straight
 * to the CR3 reload) and come back with the guest state as it was.
 */
static int run_writer(struct vcpu *v, uint64_t entry)
{
	struct domain *d = v->d;
	struct cpu_state saved = v->pv.cpu, *c = &v->pv.cpu;
	struct plat_exit e;
	int rc = 0;

	c->rip = entry;
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

int vcpu_pt_flush(struct vcpu *v)
{
	if (!v->ptw_pending)
		return 0;
	return run_writer(v, v->d->ptw_stub_va);
}

/*
 * Loading registers from outside does not flush a TLB the hardware tags
 * per guest (NPT/EPT: same CR3, no flush): a CR3 write inside the VM
 * does, on every kind of KVM. Any pending entries are replayed first.
 */
int vcpu_tlb_flush_in_vm(struct vcpu *v)
{
	if (v->ptw_pending)
		return run_writer(v, v->d->ptw_stub_va);
	return run_writer(v, v->d->ptw_stub_va + PTW_STUB_CR3_OFF);
}
