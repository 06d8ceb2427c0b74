// SPDX-License-Identifier: MIT
/*
 * Where a vCPU thread waits when its vCPU cannot run: blocked
 * (SCHEDOP_block), polling (SCHEDOP_poll) or down (VCPUOP_down). It
 * sleeps in the host until a kick, its own timer or the poll timeout;
 * and the runstate accounting those transitions drive.
 */
#include <errno.h>
#include <stddef.h>

#include "pvisor/domain_events.h"

void vcpu_runstate_get(struct vcpu *v, struct vcpu_runstate_info *out)
{
	uint64_t now = time_now(&v->d->time);

	pthread_mutex_lock(&v->lock);
	*out = v->runstate;
	pthread_mutex_unlock(&v->lock);
	if ((unsigned int)out->state < 4 && now > out->state_entry_time)
		out->time[out->state] += now - out->state_entry_time;
}

void vcpu_runstate_write(struct vcpu *v, const struct vcpu *via)
{
	uint64_t va = __atomic_load_n(&v->runstate_va, __ATOMIC_RELAXED);
	const struct guest_mem *m = v->pv.mem;
	uint64_t cr3 = via->pv.kernel_cr3;
	struct vcpu_runstate_info rs;
	uint64_t entry_va = va + offsetof(struct vcpu_runstate_info,
					  state_entry_time);

	/* A vCPU that never ran has no page tables to write through. */
	if (!va || !via->initialised)
		return;
	pthread_mutex_lock(&v->lock);
	rs = v->runstate;
	pthread_mutex_unlock(&v->lock);
	/* Faults only hurt the guest's own bookkeeping: ignored, as in Xen. */
	if (!(v->d->vm_assist & (1ul << VMASST_TYPE_runstate_update_flag))) {
		gmem_write(m, cr3, va, &rs, sizeof(rs));
		return;
	}
	rs.state_entry_time |= XEN_RUNSTATE_UPDATE;
	if (gmem_write(m, cr3, entry_va, &rs.state_entry_time, 8))
		return;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	gmem_write(m, cr3, va, &rs, sizeof(rs));
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	rs.state_entry_time &= ~XEN_RUNSTATE_UPDATE;
	gmem_write(m, cr3, entry_va, &rs.state_entry_time, 8);
}

static void runstate_change_locked(struct vcpu *v, int state, uint64_t now)
{
	struct vcpu_runstate_info *rs = &v->runstate;

	if (rs->state == state)
		return;
	if ((unsigned int)rs->state < 4 && now > rs->state_entry_time)
		rs->time[rs->state] += now - rs->state_entry_time;
	rs->state = state;
	rs->state_entry_time = now;
}

void vcpu_runstate_change(struct vcpu *v, int state)
{
	uint64_t now = time_now(&v->d->time);

	pthread_mutex_lock(&v->lock);
	runstate_change_locked(v, state, now);
	pthread_mutex_unlock(&v->lock);
	vcpu_runstate_write(v, v);
}

/* Xen's local_events_need_delivery: the wake-up a block waits for. */
static bool events_deliverable(const struct vcpu *v)
{
	const struct vcpu_info *vi = __atomic_load_n(&v->pv.vcpu_info,
						     __ATOMIC_ACQUIRE);

	return __atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_SEQ_CST) &&
	       !__atomic_load_n(&vi->evtchn_upcall_mask, __ATOMIC_SEQ_CST);
}

bool vcpu_wait_runnable(struct vcpu *v)
{
	struct domain *d = v->d;
	bool dying;

	vcpu_runstate_change(v, v->online ? RUNSTATE_blocked :
					    RUNSTATE_offline);
	pthread_mutex_lock(&v->lock);
	for (;;) {
		uint64_t now, next, poll;
		struct timespec ts;

		if (domain_is_dying(d))
			break;
		if (!v->online) {
			runstate_change_locked(v, RUNSTATE_offline,
					       time_now(&d->time));
			pthread_cond_wait(&v->wake, &v->lock);
			continue;
		}
		if (!v->blocked)
			break;
		/* A delivery that raced with blocking left its mark here. */
		if (events_deliverable(v)) {
			v->blocked = false;
			break;
		}
		now = time_now(&d->time);
		poll = v->poll_deadline;
		if (poll && poll <= now) {
			v->blocked = false;
			break;
		}
		next = timer_next_deadline(v);
		if (next && next <= now) {
			/* Our own expiry: the VIRQ kicks us (needs our lock). */
			pthread_mutex_unlock(&v->lock);
			timer_expire(v, now);
			pthread_mutex_lock(&v->lock);
			continue;
		}
		if (poll && (!next || poll < next))
			next = poll;
		if (!next) {
			pthread_cond_wait(&v->wake, &v->lock);
			continue;
		}
		time_to_timespec(&d->time, next, &ts);
		pthread_cond_timedwait(&v->wake, &v->lock, &ts);
	}
	v->blocked = false;
	v->poll_deadline = 0;
	pthread_mutex_unlock(&v->lock);
	evtchn_poll_disarm(&d->evtchn, v->id);
	dying = domain_is_dying(d);
	if (!dying)
		vcpu_runstate_change(v, RUNSTATE_running);
	return dying;
}

void vcpu_block_recheck(struct vcpu *v)
{
	pthread_mutex_lock(&v->lock);
	pthread_cond_signal(&v->wake);
	pthread_mutex_unlock(&v->lock);
}
