// SPDX-License-Identifier: MIT
/*
 * PV memory-management hypercalls, the part first light needs: page-table
 * roots for guest kernel and user mode, update_va_mapping, and the
 * memory_op queries that describe the domain's memory.
 *
 * Not yet here (the PV MMU issue): page types and pinning, mmu_update,
 * and validation of every entry against Xen's type rules.
 */
#include <errno.h>

#include <pvabi/memory.h>

#include "pvisor/domain.h"
#include "pvisor/hypercall.h"
#include "pvisor/log.h"

/* PTE bits a PV guest may set in an L1 entry (no caching attributes). */
#define L1_ALLOWED (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | \
		    _PAGE_DIRTY | _PAGE_GLOBAL | (7ull << 9) |		 \
		    (0x7ffull << 52) | PTE_ADDR_MASK)

static int set_baseptr(struct vcpu *v, uint64_t mfn, bool user)
{
	struct pv_vcpu *pv = &v->pv;
	int rc;

	if (user && mfn == 0) {
		pv->user_cr3 = 0;
		return 0;
	}
	rc = domain_install_reserved_l4(v->d, mfn);
	if (rc)
		return rc;
	if (user) {
		pv->user_cr3 = mfn << PAGE_SHIFT;
		if (!pv->in_kernel)
			pv->cpu.cr3 = pv->user_cr3;
	} else {
		pv->kernel_cr3 = mfn << PAGE_SHIFT;
		if (pv->in_kernel)
			pv->cpu.cr3 = pv->kernel_cr3;
	}
	pv->cpu.dirty = true;
	return 0;
}

/*
 * Pinning, as far as first light goes: a pinned frame is a page table
 * the guest promised to keep, so it may not be mapped writable and may
 * not be pinned twice. Validating the tables' contents recursively
 * (Xen's type and reference counts) is the PV MMU issue's work.
 */
static long pin_table(struct vcpu *v, uint64_t mfn, unsigned int level)
{
	struct domain *d = v->d;

	if (mfn >= d->mem.nr_pages)
		return -EINVAL;
	if (d->frame_pin[mfn])
		return -EINVAL;
	if (level == 4) {
		int rc = domain_install_reserved_l4(d, mfn);

		if (rc)
			return rc;
	}
	d->frame_pin[mfn] = level;
	return 0;
}

static long unpin_table(struct vcpu *v, uint64_t mfn)
{
	struct domain *d = v->d;

	if (mfn >= d->mem.nr_pages || !d->frame_pin[mfn])
		return -EINVAL;
	d->frame_pin[mfn] = 0;
	return 0;
}

static long mmuext_one(struct vcpu *v, const struct mmuext_op *op)
{
	switch (op->cmd) {
	case MMUEXT_PIN_L1_TABLE:
	case MMUEXT_PIN_L2_TABLE:
	case MMUEXT_PIN_L3_TABLE:
	case MMUEXT_PIN_L4_TABLE:
		return pin_table(v, op->arg1.mfn,
				 op->cmd - MMUEXT_PIN_L1_TABLE + 1);
	case MMUEXT_UNPIN_TABLE:
		return unpin_table(v, op->arg1.mfn);
	case MMUEXT_NEW_BASEPTR:
		return set_baseptr(v, op->arg1.mfn, false);
	case MMUEXT_NEW_USER_BASEPTR:
		return set_baseptr(v, op->arg1.mfn, true);
	case MMUEXT_TLB_FLUSH_LOCAL:
	case MMUEXT_TLB_FLUSH_ALL:
	case MMUEXT_INVLPG_LOCAL:
	case MMUEXT_INVLPG_ALL:
		/* Re-entering reloads CR3 through KVM. */
		v->pv.cpu.dirty = true;
		return 0;
	}
	return -ENOSYS;
}

long do_mmuext_op(struct vcpu *v, const uint64_t a[6])
{
	uint64_t ops = a[0], count = a[1], pdone = a[2];
	uint64_t done;
	long rc = 0;

	if (a[3] != DOMID_SELF)
		return -ESRCH;
	for (done = 0; done < count && !rc; done++) {
		struct mmuext_op op;

		if (pv_read(&v->pv, ops + done * sizeof(op), &op, sizeof(op)))
			return -EFAULT;
		rc = mmuext_one(v, &op);
		if (rc) {
			if (rc == -ENOSYS)
				dom_log(v->d, LOG_WARN,
					"mmuext_op cmd %u not implemented\n",
					op.cmd);
			break;
		}
	}
	if (pdone) {
		uint32_t n = (uint32_t)done;

		if (pv_write(&v->pv, pdone, &n, sizeof(n)))
			return -EFAULT;
	}
	return rc;
}

long do_update_va_mapping(struct vcpu *v, const uint64_t a[6])
{
	struct pv_vcpu *pv = &v->pv;
	uint64_t va = a[0], val = a[1], l1_gpa;
	uint64_t table = pv_active_cr3(pv) & PTE_ADDR_MASK;

	if (!x86_is_canonical(va) || (va >= pv->mem->reserved_va_start &&
				      va < pv->mem->reserved_va_end))
		return -EINVAL;
	if (val & _PAGE_PRESENT) {
		if (val & ~L1_ALLOWED)
			return -EINVAL;
		uint64_t mfn = (val & PTE_ADDR_MASK) >> PAGE_SHIFT;

		if (!gmem_frame(pv->mem, mfn, val & _PAGE_RW))
			return -EINVAL;
		/* Page tables are never writable through a mapping. */
		if ((val & _PAGE_RW) && mfn < v->d->mem.nr_pages &&
		    v->d->frame_pin[mfn])
			return -EINVAL;
		val |= _PAGE_USER;	/* the guest kernel runs at CPL3 */
	}
	/* Find the L1 entry for va; L2-L4 must already be there. */
	for (int level = 4; level > 1; level--) {
		const uint64_t *t = gmem_ram_frame(pv->mem, table >> PAGE_SHIFT);
		uint64_t e;

		if (!t)
			return -EINVAL;
		e = t[(va >> (PAGE_SHIFT + 9 * (level - 1))) & 511];
		if (!(e & _PAGE_PRESENT) || (e & _PAGE_PSE))
			return -EINVAL;
		table = e & PTE_ADDR_MASK;
	}
	l1_gpa = table + ((va >> PAGE_SHIFT) & 511) * 8;
	if (!gmem_ram_frame(pv->mem, l1_gpa >> PAGE_SHIFT))
		return -EINVAL;
	return vcpu_pt_write(v, l1_gpa, val);
}

long do_memory_op(struct vcpu *v, const uint64_t a[6])
{
	struct domain *d = v->d;

	switch (a[0]) {
	case XENMEM_machphys_mapping: {
		struct xen_machphys_mapping m = {
			.v_start = d->m2p_slot_va,
			.v_end = d->m2p_slot_va + (1ull << L4_SLOT_SHIFT),
			.max_mfn = d->m2p_max_mfn,
		};

		return pv_write(&v->pv, a[1], &m, sizeof(m)) ? -EFAULT : 0;
	}
	case XENMEM_maximum_ram_page:
		return (long)d->m2p_max_mfn;
	case XENMEM_current_reservation:
	case XENMEM_maximum_reservation: {
		domid_t id;

		if (pv_read(&v->pv, a[1], &id, sizeof(id)))
			return -EFAULT;
		if (id != DOMID_SELF && id != d->id)
			return -EPERM;
		return (long)d->mem.nr_pages;
	}
	case XENMEM_memory_map: {
		struct xen_memory_map map;
		struct e820entry e = {
			.addr = 0,
			.size = d->mem.nr_pages << PAGE_SHIFT,
			.type = E820_RAM,
		};

		if (pv_read(&v->pv, a[1], &map, sizeof(map)))
			return -EFAULT;
		if (map.nr_entries < 1)
			return -EINVAL;
		if (pv_write(&v->pv, map.buffer, &e, sizeof(e)))
			return -EFAULT;
		map.nr_entries = 1;
		return pv_write(&v->pv, a[1], &map, sizeof(map)) ? -EFAULT : 0;
	}
	}
	dom_log(d, LOG_WARN, "memory_op %llu not implemented\n",
		(unsigned long long)a[0]);
	return -ENOSYS;
}
