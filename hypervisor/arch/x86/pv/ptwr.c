// SPDX-License-Identifier: MIT
/*
 * Writable page tables (Xen: pv/ro-page-fault.c): a PV kernel writes
 * its L1 tables directly although they are mapped read-only. The write
 * faults; when it comes from guest kernel mode, hits a present RO
 * mapping of a frame typed L1 and is an instruction we can decode, it
 * is carried out as a validated L1 update (as mmu_update would), the
 * registers and flags are set as the instruction would, and RIP moves
 * on. Anything else is the guest's own #PF.
 */
#include <errno.h>

#include <pvabi/xen.h>

#include "pvisor/log.h"
#include "pvisor/ptwr.h"
#include "mm_internal.h"

#define PFEC_PRESENT	0x01u
#define PFEC_WRITE	0x02u
#define PFEC_RSVD	0x08u
#define PFEC_INSN	0x10u

/* The guest kernel's L1 entry for va (Xen: guest_get_eff_kern_l1e). */
static int kernel_l1e(struct domain *d, uint64_t cr3, uint64_t va,
		      uint64_t *pte)
{
	uint64_t table = cr3 & PTE_ADDR_MASK, e = 0;

	for (int level = 4; level >= 1; level--) {
		const uint64_t *t;

		if ((table >> PAGE_SHIFT) >= d->mm.nr_pages)
			return -EINVAL;
		t = (const uint64_t *)(d->mem.ram + table);
		e = __atomic_load_n(&t[(va >> (PAGE_SHIFT + 9 * (level - 1))) &
				       511], __ATOMIC_RELAXED);
		if (level == 1)
			break;
		if (!(e & _PAGE_PRESENT) || (e & _PAGE_PSE))
			return -EINVAL;
		table = e & PTE_ADDR_MASK;
	}
	*pte = e;
	return 0;
}

static int fetch(struct pv_vcpu *pv, uint8_t *bytes)
{
	unsigned int n;

	/* An instruction may end just before an unmapped page. */
	for (n = 0; n < 15; n++)
		if (pv_read(pv, pv->cpu.rip + n, &bytes[n], 1))
			break;
	return (int)n;
}

/* Under the mm lock: carry the write out, or say it is not ours. */
static int emulate(struct vcpu *v, uint64_t addr, const struct ptwr_insn *in,
		   struct cpu_state *regs)
{
	struct domain *d = v->d;
	struct pv_mm *mm = &d->mm;
	struct vcpu_pt_writer w;
	uint64_t pte, mfn, gpa, cur, val, full;
	unsigned int off = in->ea & 7;
	bool write;
	int rc;

	if (kernel_l1e(d, v->pv.kernel_cr3, addr, &pte) ||
	    (pte & (_PAGE_PRESENT | _PAGE_RW)) != _PAGE_PRESENT)
		return 0;
	mfn = (pte & PTE_ADDR_MASK) >> PAGE_SHIFT;
	if (mfn >= mm->nr_pages || pt_type_of(mm, mfn) != PGT_L1)
		return 0;
	gpa = (mfn << PAGE_SHIFT) | (in->ea & (PAGE_SIZE - 8));
	cur = __atomic_load_n((const uint64_t *)(d->mem.ram + gpa),
			      __ATOMIC_RELAXED);
	ptwr_execute(in, ptwr_extract(cur, off, in->size), regs, &val, &write);
	if (!write)
		return 1;
	full = ptwr_merge(cur, val, off, in->size);
	if (full == cur)
		return 1;
	mm_writer_init(&w, v);
	rc = pt_mod_entry(mm, &w.w, gpa, full, 1, false);
	if (rc)
		dom_log(d, LOG_DEBUG, "ptwr: %#llx <- %#llx refused: %d\n",
			(unsigned long long)gpa, (unsigned long long)full, rc);
	return rc ? 0 : 1;
}

int pv_ptwr_fault(struct vcpu *v, uint64_t addr, uint32_t error_code)
{
	struct pv_vcpu *pv = &v->pv;
	struct domain *d = v->d;
	struct cpu_state regs;
	struct ptwr_insn in;
	uint8_t bytes[15];
	int n, done;

	if (!pv->in_kernel ||
	    (error_code & (PFEC_PRESENT | PFEC_WRITE | PFEC_RSVD |
			   PFEC_INSN)) != (PFEC_PRESENT | PFEC_WRITE))
		return 0;
	if (!(__atomic_load_n(&d->vm_assist, __ATOMIC_RELAXED) &
	      (1ul << VMASST_TYPE_writable_pagetables)))
		return 0;
	if (!x86_is_canonical(addr) || !mm_addr_ok(addr))
		return 0;
	n = fetch(pv, bytes);
	if (!n || ptwr_decode(bytes, (unsigned int)n, &pv->cpu, &in))
		return 0;
	/* Only naturally aligned stores inside the faulting page. */
	if (((in.ea ^ addr) & PAGE_MASK) || (in.ea & (in.size - 1)))
		return 0;

	regs = pv->cpu;
	mm_lock(d);
	done = emulate(v, addr, &in, &regs);
	mm_unlock(d);
	if (!done)
		return 0;
	regs.rip += in.len;
	regs.dirty = true;
	pv->cpu = regs;
	v->stats.ptwr++;
	if (v->ptw_pending && vcpu_pt_flush(v))
		domain_crash(d, "vCPU%u: page-table update could not be applied",
			     v->id);
	return 1;
}
