// SPDX-License-Identifier: MIT
/*
 * PV memory-management hypercalls: mmu_update, mmuext_op and
 * update_va_mapping(_otherdomain), with Xen's semantics and error codes
 * (xen/arch/x86/mm.c do_mmu_update, do_mmuext_op, __do_update_va_mapping)
 * over the page-type engine in page_type.c. Changes to live tables are
 * replayed inside the VM by the vCPU's writer, once per hypercall (or
 * multicall) batch.
 */
#include <errno.h>
#include <time.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <pvabi/xen.h>

#include "pvisor/domain.h"
#include "pvisor/hypercall.h"
#include "pvisor/log.h"
#include "mm_internal.h"

#define MMU_UPDATE_PREEMPTED	(1u << 31)
#define SET_LDT_MAX_ENTS	8192u

/* ---- shared helpers ----------------------------------------------- */

static int vcpu_writer_touch(struct pt_writer *w, uint64_t gpa)
{
	struct vcpu_pt_writer *vw = (struct vcpu_pt_writer *)w;

	return vcpu_pt_touch(vw->v, gpa);
}

void mm_writer_init(struct vcpu_pt_writer *vw, struct vcpu *v)
{
	vw->w.touch = vcpu_writer_touch;
	vw->v = v;
}

int mm_pg_owner(struct domain *d, uint32_t domid)
{
	if (domid == DOMID_SELF)
		return 0;
	if (domid == d->id)
		return -ESRCH;	/* Xen: "Cannot specify itself as foreign" */
	/* dom0 (the host side) always exists. */
	if (domid == 0 || domid == DOMID_IO || domid == DOMID_XEN ||
	    (domid < DOMID_FIRST_RESERVED && evtchn_domain_exists((domid_t)domid)))
		return -EPERM;
	return -ESRCH;
}

/*
 * TLB flushes. The caller's own: every page-table change pvisord makes is
 * already followed by a CR3 write inside the VM (pt_write.c), and
 * re-entering with a dirty state reloads CR3 on shadow-paging hosts.
 *
 * Another vCPU's: with nested paging (AMD-V, VT-x) it keeps translating
 * through its own TLB, which nothing done from outside its VM flushes,
 * until it executes a CR3 write itself. So the target is asked to run the
 * in-VM flush before it enters the VM again, kicked, and waited for, as
 * Xen's flush IPIs are: the hypercall returns only once no target can
 * still be using a stale entry. A target outside the VM flushes before
 * it re-enters, so it need not be waited for.
 */
#define FLUSH_WAIT_NS	1000000000ull	/* only a stuck host takes this long */

static uint64_t flush_request(struct vcpu *caller, struct vcpu *target)
{
	uint64_t ticket;

	if (target == caller) {
		caller->pv.cpu.dirty = true;
		return 0;
	}
	ticket = __atomic_add_fetch(&target->flush_req, 1, __ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&target->in_guest, __ATOMIC_SEQ_CST))
		return 0;
	plat_vcpu_kick(target->plat);
	return ticket;
}

static void flush_wait(struct vcpu *target, uint64_t ticket)
{
	struct timespec t0, t;

	if (!ticket)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (__atomic_load_n(&target->flush_done, __ATOMIC_ACQUIRE) < ticket &&
	       __atomic_load_n(&target->in_guest, __ATOMIC_SEQ_CST) &&
	       !domain_is_dying(target->d)) {
		sched_yield();
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((uint64_t)(t.tv_sec - t0.tv_sec) * 1000000000ull +
		    (uint64_t)t.tv_nsec - (uint64_t)t0.tv_nsec > FLUSH_WAIT_NS) {
			dom_log(target->d, LOG_WARN, "vCPU%u did not flush its "
				"TLB within 1 s\n", target->id);
			return;
		}
	}
}

void pv_mm_flush_vcpu(struct vcpu *caller, struct vcpu *target)
{
	flush_wait(target, flush_request(caller, target));
}

/* Ask every vCPU in mask first, then wait: the flushes overlap. */
static void flush_mask(struct vcpu *v, const uint64_t *mask)
{
	struct domain *d = v->d;
	uint64_t ticket[CONFIG_MAX_VCPUS] = { 0 };

	for (unsigned int i = 0; i < d->nr_vcpus; i++)
		if (d->vcpus[i] && (mask[i / 64] >> (i % 64)) & 1)
			ticket[i] = flush_request(v, d->vcpus[i]);
	for (unsigned int i = 0; i < d->nr_vcpus; i++)
		if (ticket[i])
			flush_wait(d->vcpus[i], ticket[i]);
}

void mm_flush_all(struct vcpu *v)
{
	uint64_t mask[(CONFIG_MAX_VCPUS + 63) / 64];

	memset(mask, 0xff, sizeof(mask));
	flush_mask(v, mask);
}

int mm_flush_vcpumask(struct vcpu *v, uint64_t bitmap_va)
{
	struct domain *d = v->d;
	uint64_t mask[(CONFIG_MAX_VCPUS + 63) / 64] = { 0 };

	for (unsigned int w = 0; w * 64 < d->nr_vcpus; w++)
		if (pv_read(&v->pv, bitmap_va + w * 8, &mask[w],
			    sizeof(mask[w])))
			return -EFAULT;
	flush_mask(v, mask);
	return 0;
}

/* ---- page-table roots --------------------------------------------- */

static void load_root(struct vcpu *t, uint64_t mfn, bool user)
{
	struct pv_vcpu *pv = &t->pv;
	uint64_t cr3 = mfn == MM_NO_ROOT ? 0 : mfn << PAGE_SHIFT;

	if (user) {
		pv->user_cr3 = cr3;
		if (!pv->in_kernel)
			pv->cpu.cr3 = cr3;
	} else {
		pv->kernel_cr3 = cr3;
		if (pv->in_kernel)
			pv->cpu.cr3 = cr3;
	}
	pv->cpu.dirty = true;
}

/* Call with the mm lock held. */
static int set_root(struct vcpu *caller, struct vcpu *t, uint64_t mfn,
		    bool user)
{
	struct domain *d = t->d;
	struct vcpu_pt_writer w;
	uint64_t old = t->mm_root[user];
	int rc;

	if (user && mfn == 0)
		mfn = MM_NO_ROOT;	/* no user page tables */
	if (mfn == old) {
		load_root(t, mfn, user);
		return 0;
	}
	if (mfn != MM_NO_ROOT) {
		mm_writer_init(&w, caller);
		rc = pt_get_page_and_type(&d->mm, &w.w, mfn, PGT_L4);
		if (rc)
			return rc;
	}
	t->mm_root[user] = mfn;
	load_root(t, mfn, user);
	if (old != MM_NO_ROOT)
		pt_put_page_and_type(&d->mm, old);
	return 0;
}

int pv_mm_set_root(struct vcpu *caller, struct vcpu *target, uint64_t mfn,
		   bool user)
{
	int rc;

	mm_lock(target->d);
	rc = set_root(caller, target, mfn, user);
	mm_unlock(target->d);
	return rc;
}

int pv_mm_build_root(struct domain *d, struct vcpu *v, uint64_t l4_mfn)
{
	int rc;

	mm_lock(d);
	/* Before the VM runs nothing can be cached: no writer needed. */
	rc = pt_pin(&d->mm, NULL, l4_mfn, 4);
	if (!rc) {
		rc = pt_get_page_and_type(&d->mm, NULL, l4_mfn, PGT_L4);
		if (rc)
			pt_unpin(&d->mm, l4_mfn);
	}
	if (!rc) {
		v->mm_root[0] = l4_mfn;
		load_root(v, l4_mfn, false);
	}
	mm_unlock(d);
	return rc;
}

/* ---- mmu_update --------------------------------------------------- */

static int mmu_update_one(struct vcpu *v, struct vcpu_pt_writer *w,
			  const struct mmu_update *req)
{
	struct pv_mm *mm = &v->d->mm;
	unsigned int cmd = req->ptr & 7;
	uint64_t ptr = req->ptr - cmd, mfn = ptr >> PAGE_SHIFT;

	switch (cmd) {
	case MMU_NORMAL_PT_UPDATE:
	case MMU_PT_UPDATE_PRESERVE_AD:
	case MMU_PT_UPDATE_NO_TRANSLATE:	/* no translation on PV */
		if (mfn >= mm->nr_pages)
			return -EINVAL;
		return pt_update(mm, &w->w, ptr, req->val,
				 cmd == MMU_PT_UPDATE_PRESERVE_AD);
	case MMU_MACHPHYS_UPDATE:
		if (pt_get_page(mm, mfn, false))
			return -EINVAL;
		/* Read-only to the guest, so a host store is all it takes. */
		__atomic_store_n(&v->d->m2p[mfn], req->val, __ATOMIC_RELAXED);
		pt_put_page(mm, mfn);
		return 0;
	}
	return -ENOSYS;
}

static int mmu_pt_owner(struct domain *d, uint32_t foreigndom)
{
	uint32_t pt_dom = foreigndom >> 16;

	if (!pt_dom || pt_dom - 1 == d->id)
		return 0;
	return pt_dom - 1 == 0 || (pt_dom - 1 < DOMID_FIRST_RESERVED &&
	       evtchn_domain_exists((domid_t)(pt_dom - 1))) ? -EPERM : -ESRCH;
}

/*
 * The shape mmu_update and mmuext_op share: a guest array of count
 * records, run one by one under the MMU lock until one fails, with the
 * number done reported through pdone (and resumed from it when the
 * guest passes MMU_UPDATE_PREEMPTED, as after a Xen continuation).
 */
typedef long (*mm_batch_fn)(struct vcpu *v, struct vcpu_pt_writer *w,
			    const void *rec, uint32_t i);

struct mm_batch {
	uint64_t list, pdone;
	uint32_t count, done;
};

static void mm_batch_start(struct vcpu *v, struct mm_batch *b, uint64_t list,
			   uint32_t count, uint64_t pdone)
{
	*b = (struct mm_batch){ .list = list, .count = count, .pdone = pdone };
	if (count & MMU_UPDATE_PREEMPTED) {
		b->count &= ~MMU_UPDATE_PREEMPTED;
		if (pdone)
			(void)pv_read(&v->pv, pdone, &b->done, sizeof(b->done));
	}
}

static void mm_batch_report(struct vcpu *v, const struct mm_batch *b,
			    uint32_t ran)
{
	uint32_t done = b->done + ran;

	if (b->pdone)
		(void)pv_write(&v->pv, b->pdone, &done, sizeof(done));
}

static long mm_batch_run(struct vcpu *v, struct mm_batch *b, size_t size,
			 mm_batch_fn one)
{
	struct domain *d = v->d;
	struct vcpu_pt_writer w;
	uint64_t rec[4];	/* the largest record, aligned */
	uint32_t i;
	long rc = 0;

	if (size > sizeof(rec))
		return -EINVAL;

	mm_writer_init(&w, v);
	mm_lock(d);
	for (i = 0; i < b->count; i++) {
		/* Xen would preempt a long batch; a dying domain just stops. */
		if (domain_is_dying(d))
			break;
		if (pv_read(&v->pv, b->list + (uint64_t)i * size, rec, size)) {
			rc = -EFAULT;
			break;
		}
		rc = one(v, &w, rec, i);
		if (rc)
			break;
	}
	mm_unlock(d);
	mm_batch_report(v, b, i);
	return rc;
}

_Static_assert(sizeof(struct mmu_update) <= 32 &&
	       sizeof(struct mmuext_op) <= 32, "mm_batch_run's record buffer");

static long mmu_update_rec(struct vcpu *v, struct vcpu_pt_writer *w,
			   const void *rec, uint32_t i)
{
	const struct mmu_update *req = rec;
	long rc = mmu_update_one(v, w, req);

	if (rc)	/* Xen's gdprintk: what a kernel developer needs. */
		dom_log(v->d, LOG_DEBUG, "mmu_update %u: ptr %#llx val "
			"%#llx: %ld\n", i, (unsigned long long)req->ptr,
			(unsigned long long)req->val, rc);
	return rc;
}

long do_mmu_update(struct vcpu *v, const uint64_t a[6])
{
	struct domain *d = v->d;
	uint32_t foreigndom = (uint32_t)a[3];
	struct mm_batch b;
	long rc;

	mm_batch_start(v, &b, a[0], (uint32_t)a[1], a[2]);
	if (!mm_addr_ok(b.list))
		return -EFAULT;
	rc = mmu_pt_owner(d, foreigndom);
	if (rc == -ESRCH)
		return rc;
	if (!rc)
		rc = mm_pg_owner(d, foreigndom & 0xffff);
	if (rc) {
		mm_batch_report(v, &b, 0);
		/* XSM refuses a domU the first entry that names another domain. */
		return rc == -ESRCH || b.count ? rc : 0;
	}
	return mm_batch_run(v, &b, sizeof(struct mmu_update), mmu_update_rec);
}

/* ---- mmuext_op ---------------------------------------------------- */

static int set_ldt(struct vcpu *v, uint64_t ptr, uint32_t ents)
{
	if (ents > SET_LDT_MAX_ENTS ||
	    (ents && ((ptr & ~PAGE_MASK) || !mm_addr_ok(ptr))))
		return -EINVAL;
	/* Recorded only: LDT descriptors are not mapped into the VM yet. */
	v->pv.ldt_base = ents ? ptr : 0;
	v->pv.ldt_ents = ents;
	pv_mm_flush_vcpu(v, v);
	return 0;
}

/* A frame the guest owns, as a writable page for the duration. */
static int get_writable(struct pv_mm *mm, uint64_t mfn)
{
	if (pt_get_page(mm, mfn, true))
		return -EINVAL;
	if (pt_get_type(mm, NULL, mfn, PGT_WRITABLE)) {
		pt_put_page(mm, mfn);
		return -EINVAL;
	}
	return 0;
}

static int copy_page(struct vcpu *v, struct vcpu_pt_writer *w, uint64_t dst,
		     uint64_t src)
{
	struct pv_mm *mm = &v->d->mm;
	const uint64_t *s = NULL;
	int rc = 0;

	if (src != ~0ull) {
		if (pt_get_page(mm, src, true))
			return -EINVAL;
		s = (const uint64_t *)(mm->mem->ram + (src << PAGE_SHIFT));
	}
	if (get_writable(mm, dst)) {
		if (s)
			pt_put_page(mm, src);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < 512 && !rc; i++)
		rc = pt_store_data(mm, &w->w, (dst << PAGE_SHIFT) + i * 8,
				   s ? __atomic_load_n(&s[i], __ATOMIC_RELAXED)
				     : 0);
	pt_put_page_and_type(mm, dst);
	if (s)
		pt_put_page(mm, src);
	return rc;
}

static int mmuext_one(struct vcpu *v, struct vcpu_pt_writer *w,
		      const struct mmuext_op *op)
{
	struct domain *d = v->d;
	int rc;

	switch (op->cmd) {
	case MMUEXT_PIN_L1_TABLE:
	case MMUEXT_PIN_L2_TABLE:
	case MMUEXT_PIN_L3_TABLE:
	case MMUEXT_PIN_L4_TABLE:
		return pt_pin(&d->mm, &w->w, op->arg1.mfn,
			      op->cmd - MMUEXT_PIN_L1_TABLE + 1);
	case MMUEXT_UNPIN_TABLE:
		return pt_unpin(&d->mm, op->arg1.mfn);
	case MMUEXT_NEW_BASEPTR:
		return set_root(v, v, op->arg1.mfn, false);
	case MMUEXT_NEW_USER_BASEPTR:
		return set_root(v, v, op->arg1.mfn, true);
	case MMUEXT_TLB_FLUSH_LOCAL:
	case MMUEXT_INVLPG_LOCAL:
		pv_mm_flush_vcpu(v, v);
		return 0;
	case MMUEXT_TLB_FLUSH_MULTI:
	case MMUEXT_INVLPG_MULTI:
		/* Xen turns a bad vCPU bitmap into -EINVAL here. */
		rc = mm_flush_vcpumask(v, op->arg2.vcpumask);
		return rc ? -EINVAL : 0;
	case MMUEXT_TLB_FLUSH_ALL:
	case MMUEXT_INVLPG_ALL:
		mm_flush_all(v);
		return 0;
	case MMUEXT_FLUSH_CACHE:
	case MMUEXT_FLUSH_CACHE_GLOBAL:
		return -EACCES;	/* a domU without I/O privileges may not */
	case MMUEXT_SET_LDT:
		return set_ldt(v, op->arg1.linear_addr, op->arg2.nr_ents);
	case MMUEXT_CLEAR_PAGE:
		return copy_page(v, w, op->arg1.mfn, ~0ull);
	case MMUEXT_COPY_PAGE:
		return copy_page(v, w, op->arg1.mfn, op->arg2.src_mfn);
	case MMUEXT_MARK_SUPER:
	case MMUEXT_UNMARK_SUPER:
		return -EOPNOTSUPP;
	}
	return -ENOSYS;
}

static long mmuext_rec(struct vcpu *v, struct vcpu_pt_writer *w,
		       const void *rec, uint32_t i)
{
	const struct mmuext_op *op = rec;
	long rc = mmuext_one(v, w, op);

	if (rc == -ENOSYS)
		dom_log(v->d, LOG_WARN, "mmuext_op cmd %u not implemented\n",
			op->cmd);
	else if (rc)
		dom_log(v->d, LOG_DEBUG, "mmuext_op %u: cmd %u arg1 %#llx: "
			"%ld\n", i, op->cmd, (unsigned long long)op->arg1.mfn, rc);
	return rc;
}

long do_mmuext_op(struct vcpu *v, const uint64_t a[6])
{
	struct mm_batch b;
	long rc;

	mm_batch_start(v, &b, a[0], (uint32_t)a[1], a[2]);
	if (!mm_addr_ok(b.list))
		return -EFAULT;
	rc = mm_pg_owner(v->d, (uint32_t)a[3] & 0xffff);
	if (rc)
		return rc;
	return mm_batch_run(v, &b, sizeof(struct mmuext_op), mmuext_rec);
}

/* ---- update_va_mapping -------------------------------------------- */

int mm_find_l1(struct vcpu *v, uint64_t va, uint64_t *l1_mfn)
{
	const struct pv_mm *mm = &v->d->mm;
	uint64_t table = pv_active_cr3(&v->pv) & PTE_ADDR_MASK;

	if (!x86_is_canonical(va) || !mm_addr_ok(va))
		return -EINVAL;
	for (int level = 4; level > 1; level--) {
		const uint64_t *t;
		uint64_t e;

		if ((table >> PAGE_SHIFT) >= mm->nr_pages)
			return -EINVAL;
		t = (const uint64_t *)(mm->mem->ram + table);
		e = __atomic_load_n(&t[(va >> (PAGE_SHIFT + 9 * (level - 1))) &
				       511], __ATOMIC_RELAXED);
		if (!(e & _PAGE_PRESENT) || (e & _PAGE_PSE))
			return -EINVAL;
		table = e & PTE_ADDR_MASK;
	}
	*l1_mfn = table >> PAGE_SHIFT;
	return 0;
}

static long update_va_mapping(struct vcpu *v, uint64_t va, uint64_t val,
			      uint64_t flags)
{
	struct domain *d = v->d;
	struct pv_mm *mm = &d->mm;
	struct vcpu_pt_writer w;
	uint64_t l1_mfn, scope = flags & ~UVMF_FLUSHTYPE_MASK;
	long rc;

	mm_writer_init(&w, v);
	mm_lock(d);
	rc = mm_find_l1(v, va, &l1_mfn);
	if (!rc)
		rc = pt_get_page(mm, l1_mfn, false);
	if (!rc) {
		if (pt_type_of(mm, l1_mfn) != PGT_L1)
			rc = -EINVAL;
		else
			rc = pt_mod_entry(mm, &w.w, (l1_mfn << PAGE_SHIFT) +
					  ((va >> PAGE_SHIFT) & 511) * 8,
					  val, 1, false);
		pt_put_page(mm, l1_mfn);
	}
	mm_unlock(d);
	if (rc) {
		dom_log(d, LOG_DEBUG, "update_va_mapping %#llx <- %#llx: %ld\n",
			(unsigned long long)va, (unsigned long long)val, rc);
		return rc;	/* nothing changed, nothing to flush */
	}

	switch (flags & UVMF_FLUSHTYPE_MASK) {
	case UVMF_TLB_FLUSH:
	case UVMF_INVLPG:
		if (scope == UVMF_LOCAL)
			pv_mm_flush_vcpu(v, v);
		else if (scope == UVMF_ALL)
			mm_flush_all(v);
		else
			rc = mm_flush_vcpumask(v, scope);
		break;
	}
	return rc;
}

long do_update_va_mapping(struct vcpu *v, const uint64_t a[6])
{
	return update_va_mapping(v, a[0], a[1], a[2]);
}

long do_update_va_mapping_otherdomain(struct vcpu *v, const uint64_t a[6])
{
	int rc = mm_pg_owner(v->d, (uint16_t)a[3]);

	/* Only DOMID_SELF gets through: a domU may not map others' frames. */
	return rc ? rc : update_va_mapping(v, a[0], a[1], a[2]);
}
