// SPDX-License-Identifier: MIT
/*
 * vcpu_op (hypercall 24) and set_timer_op (15): bringing vCPUs up and
 * down, their timers, and moving vcpu_info / runstate / time copies to
 * guest-chosen memory (contract §3.2). Xen's checks and error codes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pvabi/callback.h>
#include <pvabi/sched.h>
#include <pvabi/vcpu.h>

#include "pvisor/domain_events.h"
#include "pvisor/hypercall.h"
#include "pvisor/log.h"
#include "pvisor/pv_mm.h"

static bool va_ok(const struct domain *d, uint64_t va)
{
	return x86_is_canonical(va) &&
	       !(va >= d->mem.reserved_va_start && va < d->mem.reserved_va_end);
}

/* A top-level table the guest names by CR3: RAM, with our slots in it. */
static int root_from_cr3(struct domain *d, uint64_t cr3, uint64_t *out)
{
	uint64_t mfn = xen_cr3_to_pfn(cr3);

	if (mfn >= d->mem.nr_pages)
		return -EINVAL;
	*out = mfn << PAGE_SHIFT;
	return 0;
}

static int check_context(struct domain *d, const struct vcpu_guest_context *c)
{
	const uint64_t addrs[] = {
		c->user_regs.rip, c->user_regs.rsp, c->kernel_sp, c->fs_base,
		c->gs_base_kernel, c->gs_base_user, c->event_callback_eip,
		c->syscall_callback_eip, c->failsafe_callback_eip,
		c->ldt_ents ? c->ldt_base : 0,
	};
	uint64_t root;

	if (c->debugreg[6] != (uint32_t)c->debugreg[6] ||
	    c->debugreg[7] != (uint32_t)c->debugreg[7])
		return -EINVAL;
	for (unsigned int i = 0; i < 4; i++)
		if (!va_ok(d, c->debugreg[i]))
			return -EINVAL;
	for (unsigned int i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
		if (!x86_is_canonical(addrs[i]))
			return -EINVAL;
	for (unsigned int i = 0; i < 256; i++)
		if (!x86_is_canonical(c->trap_ctxt[i].address))
			return -EINVAL;
	if ((c->ldt_base & (PAGE_SIZE - 1)) || c->ldt_ents > 8192)
		return -EINVAL;
	if ((c->gdt_ents + 511) / 512 > 16 ||
	    c->gdt_ents > GDT_FIRST_RESERVED_ENTRY)
		return -EINVAL;
	for (unsigned int i = 0; i < (c->gdt_ents + 511) / 512; i++)
		if (c->gdt_frames[i] >= d->mem.nr_pages)
			return -EINVAL;
	if (!(c->flags & VGCF_in_kernel) && !c->ctrlreg[1])
		return -EINVAL;
	if (root_from_cr3(d, c->ctrlreg[3], &root))
		return -EINVAL;
	if (c->ctrlreg[1] && root_from_cr3(d, c->ctrlreg[1], &root))
		return -EINVAL;
	return 0;
}

/* Load a checked context into a vCPU that has never run. */
static int apply_context(struct vcpu *cur, struct vcpu *t,
			 const struct vcpu_guest_context *c)
{
	struct pv_vcpu *pv = &t->pv;
	struct cpu_state *cpu = &pv->cpu;
	const struct cpu_user_regs *r = &c->user_regs;
	int rc;

	cpu->gpr[GPR_RAX] = r->rax; cpu->gpr[GPR_RBX] = r->rbx;
	cpu->gpr[GPR_RCX] = r->rcx; cpu->gpr[GPR_RDX] = r->rdx;
	cpu->gpr[GPR_RSI] = r->rsi; cpu->gpr[GPR_RDI] = r->rdi;
	cpu->gpr[GPR_RBP] = r->rbp; cpu->gpr[GPR_RSP] = r->rsp;
	cpu->gpr[GPR_R8] = r->r8;   cpu->gpr[GPR_R9] = r->r9;
	cpu->gpr[GPR_R10] = r->r10; cpu->gpr[GPR_R11] = r->r11;
	cpu->gpr[GPR_R12] = r->r12; cpu->gpr[GPR_R13] = r->r13;
	cpu->gpr[GPR_R14] = r->r14; cpu->gpr[GPR_R15] = r->r15;
	cpu->rip = r->rip;
	/*
	 * IOPL is virtual and real interrupts stay on, as in Xen. Linux
	 * starts its secondary vCPUs with IOPL 1 this way, not set_iopl.
	 */
	pv->iopl = (r->rflags & X86_EFLAGS_IOPL) >> 12;
	cpu->rflags = ((r->rflags & X86_EFLAGS_GUEST_MASK) &
		       ~(uint64_t)(X86_EFLAGS_IOPL | X86_EFLAGS_VM)) |
		      X86_EFLAGS_FIXED | X86_EFLAGS_IF;
	cpu->ds = r->ds;
	cpu->es = r->es;
	cpu->fs = r->fs;
	cpu->gs = r->gs;

	pv->in_kernel = c->flags & VGCF_in_kernel;
	/*
	 * Only the flat selectors have descriptors until guest GDTs exist;
	 * a kernel context naming its own (Linux: 0x10/0x18) runs on the
	 * flat kernel ones meanwhile.
	 */
	if (pv_load_segments(pv, r->cs, r->ss)) {
		if (!pv->in_kernel)
			return -EINVAL;
		pv_load_mode_segments(pv, FLAT_KERNEL_CS, FLAT_KERNEL_SS);
	}
	cpu->fs_base = c->fs_base;
	if (pv->in_kernel) {
		cpu->gs_base = c->gs_base_kernel;
		pv->gs_base_user = c->gs_base_user;
	} else {
		cpu->gs_base = c->gs_base_user;
		pv->gs_base_kernel = c->gs_base_kernel;
	}
	pv->kernel_sp = c->kernel_sp;
	memcpy(pv->trap_ctxt, c->trap_ctxt, sizeof(pv->trap_ctxt));
	pv->event_cb = (struct pv_callback){
		.address = c->event_callback_eip,
		.flags = CALLBACKF_mask_events,
	};
	pv->failsafe_cb = (struct pv_callback){
		.address = c->failsafe_callback_eip,
		.flags = (c->flags & VGCF_failsafe_disables_events) ?
			 CALLBACKF_mask_events : 0,
	};
	pv->syscall_cb = (struct pv_callback){
		.address = c->syscall_callback_eip,
		.flags = (c->flags & VGCF_syscall_disables_events) ?
			 CALLBACKF_mask_events : 0,
	};
	pv->fpu_ts = c->ctrlreg[0] & X86_CR0_TS;
	/* Before the debug registers: DR4/DR5 and I/O breakpoints need DE. */
	pv->guest_cr4 = pv_fixup_guest_cr4(pv, c->ctrlreg[4]);
	/* As Xen: each register through set_debugreg, refusals ignored. */
	pv_debugreg_reset(pv);
	for (unsigned int i = 0; i < 4; i++)
		(void)pv_set_debugreg(pv, i, c->debugreg[i]);
	(void)pv_set_debugreg(pv, 6, c->debugreg[6]);
	(void)pv_set_debugreg(pv, 7, c->debugreg[7]);
	cpu->dirty = true;

	/* The PV MMU takes its references: GDT frames, then the roots. */
	rc = pv_set_gdt(cur, t, c->gdt_frames, (unsigned int)c->gdt_ents);
	if (!rc)
		rc = pv_mm_set_root(cur, t, xen_cr3_to_pfn(c->ctrlreg[3]), false);
	if (!rc && c->ctrlreg[1])
		rc = pv_mm_set_root(cur, t, xen_cr3_to_pfn(c->ctrlreg[1]), true);
	return rc;
}

static long vcpu_initialise(struct vcpu *cur, struct vcpu *t, uint64_t arg)
{
	struct domain *d = t->d;
	struct vcpu_guest_context *c = malloc(sizeof(*c));
	long rc;

	if (!c)
		return -ENOMEM;
	if (pv_read(&cur->pv, arg, c, sizeof(*c))) {
		free(c);
		return -EFAULT;
	}
	/* Claimed under the domain lock, applied outside it (MMU locks). */
	pthread_mutex_lock(&d->lock);
	if (t->initialised || t->initialising) {
		pthread_mutex_unlock(&d->lock);
		free(c);
		return -EEXIST;
	}
	t->initialising = true;
	pthread_mutex_unlock(&d->lock);
	rc = check_context(d, c);
	if (!rc)
		rc = apply_context(cur, t, c);
	pthread_mutex_lock(&d->lock);
	t->initialised = !rc;
	t->initialising = false;
	pthread_mutex_unlock(&d->lock);
	free(c);
	return rc;
}

static long vcpu_up(struct vcpu *t)
{
	struct domain *d = t->d;
	long rc = 0;

	pthread_mutex_lock(&d->lock);
	if (!t->initialised) {
		rc = -EINVAL;
	} else if (d->state == DOMAIN_RUNNING) {
		pthread_mutex_lock(&t->lock);
		t->online = true;
		pthread_cond_signal(&t->wake);
		pthread_mutex_unlock(&t->lock);
		if (!t->started) {
			int err = pthread_create(&t->thread, NULL, vcpu_thread, t);

			if (err) {
				t->online = false;
				rc = -ENOMEM;
			} else {
				t->started = true;
			}
		}
	}
	pthread_mutex_unlock(&d->lock);
	return rc;
}

static long vcpu_down(struct vcpu *t)
{
	struct domain *d = t->d;
	bool others = false;

	pthread_mutex_lock(&d->lock);
	for (unsigned int i = 0; i < d->nr_vcpus; i++)
		if (i != t->id && d->vcpus[i]->online)
			others = true;
	if (others) {
		pthread_mutex_lock(&t->lock);
		t->online = false;
		pthread_mutex_unlock(&t->lock);
	}
	pthread_mutex_unlock(&d->lock);
	if (!others) {
		/* The last vCPU going down powers the domain off (Xen). */
		domain_shutdown(d, SHUTDOWN_poweroff);
		return 0;
	}
	/* Out of the VM; the thread then parks until VCPUOP_up. */
	vcpu_kick(t);
	return 0;
}

/* A writable-type reference on a RAM frame, as Xen takes one. */
static int get_writable_frame(struct domain *d, uint64_t mfn)
{
	int rc = 0;

	pthread_mutex_lock(&d->mm_lock);
	if (pt_get_page(&d->mm, mfn, true)) {
		rc = -EINVAL;
	} else if (pt_get_type(&d->mm, NULL, mfn, PGT_WRITABLE)) {
		pt_put_page(&d->mm, mfn);
		rc = -EACCES;	/* e.g. a page table */
	}
	pthread_mutex_unlock(&d->mm_lock);
	return rc;
}

static void put_writable_frame(struct domain *d, uint64_t mfn)
{
	pthread_mutex_lock(&d->mm_lock);
	pt_put_page_and_type(&d->mm, mfn);
	pthread_mutex_unlock(&d->mm_lock);
}

static long register_vcpu_info(struct vcpu *t, uint64_t arg, struct vcpu *cur)
{
	struct domain *d = t->d;
	struct vcpu_register_vcpu_info info;
	bool pv = d->type == DOMAIN_TYPE_PV;
	struct vcpu_info *nvi;
	uint8_t *frame;
	long rc;

	if (pv_read(&cur->pv, arg, &info, sizeof(info)))
		return -EFAULT;
	if (info.offset >= PAGE_SIZE || (info.mfn >> (64 - PAGE_SHIFT)))
		return -EINVAL;
	if (__atomic_load_n(&t->vcpu_info_registered, __ATOMIC_ACQUIRE))
		return -EBUSY;		/* no re-registration */
	if ((info.offset & 7) || info.offset + sizeof(*nvi) > PAGE_SIZE)
		return -ENXIO;		/* misaligned or crossing a page */
	frame = gmem_ram_frame(&d->mem, info.mfn);
	if (!frame)
		return -EINVAL;
	/*
	 * Held for good: the page can never become a page table. A PVH/HVM
	 * guest's frames have no PV types (its page tables are its own),
	 * and the gfn it names is its own RAM.
	 */
	rc = pv ? get_writable_frame(d, info.mfn) : 0;
	if (rc)
		return rc;

	pthread_mutex_lock(&d->lock);
	if (t->vcpu_info_registered) {
		rc = -EBUSY;
	} else {
		nvi = (struct vcpu_info *)(void *)(frame + info.offset);
		/* Copy, switch, then flag everything: nothing gets lost. */
		memmove(nvi, t->pv.vcpu_info, sizeof(*nvi));
		__atomic_store_n(&t->pv.vcpu_info, nvi, __ATOMIC_RELEASE);
		__atomic_store_n(&t->vcpu_info_registered, true,
				 __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&d->lock);
	if (rc) {
		if (pv)
			put_writable_frame(d, info.mfn);
		return rc;
	}
	evtchn_vcpu_info_moved(&d->evtchn, t->id);
	vcpu_time_publish(t, cur);
	return 0;
}

static long register_runstate(struct vcpu *t, uint64_t arg, struct vcpu *cur)
{
	struct vcpu_register_runstate_memory_area area;

	if (pv_read(&cur->pv, arg, &area, sizeof(area)))
		return -EFAULT;
	if (area.addr.p && !va_ok(t->d, area.addr.p))
		return -EFAULT;
	__atomic_store_n(&t->runstate_va, area.addr.p, __ATOMIC_RELAXED);
	vcpu_runstate_write(t, cur);
	return 0;
}

static long register_time_area(struct vcpu *t, uint64_t arg, struct vcpu *cur)
{
	struct vcpu_register_time_memory_area area;

	if (pv_read(&cur->pv, arg, &area, sizeof(area)))
		return -EFAULT;
	if (area.addr.p && !va_ok(t->d, area.addr.p))
		return -EFAULT;
	__atomic_store_n(&t->time_area_va, area.addr.p, __ATOMIC_RELAXED);
	vcpu_time_publish(t, cur);
	return 0;
}

static long set_singleshot(struct vcpu *v, uint64_t arg)
{
	struct vcpu_set_singleshot_timer set;
	uint64_t now;

	if (pv_read(&v->pv, arg, &set, sizeof(set)))
		return -EFAULT;
	now = time_now(&v->d->time);
	/*
	 * Xen arms the timer with signed system time: a top-bit-set
	 * deadline is in the past. A past deadline fires at once, and
	 * VCPU_SSHOTTMR_future is ignored (Xen 4.18 on; it used to be
	 * -ETIME, which old Linux retried forever).
	 */
	if (set.timeout_abs_ns < now || (int64_t)set.timeout_abs_ns < 0) {
		timer_stop_singleshot(v);
		timer_fire(v);
		return 0;
	}
	timer_set_singleshot(v, set.timeout_abs_ns ? set.timeout_abs_ns : 1);
	return 0;
}

long do_vcpu_op(struct vcpu *v, const uint64_t a[6])
{
	struct domain *d = v->d;
	/* Xen's types: int cmd, unsigned int vcpuid. */
	uint32_t cmd = (uint32_t)a[0], id = (uint32_t)a[1];
	uint64_t arg = a[2];
	struct vcpu_set_periodic_timer per;
	struct vcpu_runstate_info rs;
	struct vcpu *t;

	if (id >= d->nr_vcpus || !d->vcpus[id])
		return -ENOENT;
	t = d->vcpus[id];

	switch (cmd) {
	case VCPUOP_initialise:
		return vcpu_initialise(v, t, arg);
	case VCPUOP_up:
		return vcpu_up(t);
	case VCPUOP_down:
		return vcpu_down(t);
	case VCPUOP_is_up:
		return __atomic_load_n(&t->online, __ATOMIC_RELAXED) ? 1 : 0;
	case VCPUOP_get_runstate_info:
		vcpu_runstate_get(t, &rs);
		return pv_write(&v->pv, arg, &rs, sizeof(rs)) ? -EFAULT : 0;
	case VCPUOP_register_runstate_memory_area:
		return register_runstate(t, arg, v);
	case VCPUOP_set_periodic_timer:
		if (pv_read(&v->pv, arg, &per, sizeof(per)))
			return -EFAULT;
		if (per.period_ns < TIMER_PERIOD_MIN_NS ||
		    per.period_ns > TIMER_DELTA_MAX)
			return -EINVAL;
		timer_set_periodic(t, per.period_ns);
		return 0;
	case VCPUOP_stop_periodic_timer:
		timer_set_periodic(t, 0);
		return 0;
	case VCPUOP_set_singleshot_timer:
		if (t != v)
			return -EINVAL;
		return set_singleshot(v, arg);
	case VCPUOP_stop_singleshot_timer:
		if (t != v)
			return -EINVAL;
		timer_stop_singleshot(v);
		return 0;
	case VCPUOP_register_vcpu_info:
		return register_vcpu_info(t, arg, v);
	case VCPUOP_register_vcpu_time_memory_area:
		return register_time_area(t, arg, v);
	case VCPUOP_get_physid:
		return -EINVAL;		/* only for dom0's pinned vCPUs */
	case VCPUOP_send_nmi:
		/* Xen's argument check; no virtual NMIs to raise yet. */
		return arg ? -EINVAL : -ENOSYS;
	}
	return -ENOSYS;
}

long do_set_timer_op(struct vcpu *v, const uint64_t a[6])
{
	int64_t timeout = (int64_t)a[0];
	int64_t offset = timeout - (int64_t)time_now(&v->d->time);

	if (timeout == 0) {
		timer_stop_singleshot(v);
	} else if (timeout < 0 || (offset > 0 && (offset >> 50) != 0)) {
		/* Xen's guard against wrapped Linux jiffies: try in 100 ms. */
		timer_set_singleshot(v, time_now(&v->d->time) + 100000000ull);
	} else if (offset <= 0) {
		timer_stop_singleshot(v);
		timer_fire(v);
	} else {
		timer_set_singleshot(v, (uint64_t)timeout);
	}
	return 0;
}
