// SPDX-License-Identifier: MIT
/* sched_op: yield, block, shutdown. */
#include <errno.h>
#include <sched.h>

#include <pvabi/sched.h>

#include "pvisor/domain.h"
#include "pvisor/hypercall.h"
#include "pvisor/log.h"

static long sched_block(struct vcpu *v)
{
	struct vcpu_info *vi = v->pv.vcpu_info;

	/* Blocking enables events first, so a pending one wakes at once. */
	vi->evtchn_upcall_mask = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vi->evtchn_upcall_pending)
		return 0;
	pthread_mutex_lock(&v->lock);
	v->blocked = true;
	pthread_mutex_unlock(&v->lock);
	return 0;
}

long do_sched_op(struct vcpu *v, const uint64_t a[6])
{
	struct sched_shutdown sd;

	switch (a[0]) {
	case SCHEDOP_yield:
		sched_yield();
		return 0;
	case SCHEDOP_block:
		return sched_block(v);
	case SCHEDOP_shutdown:
		if (pv_read(&v->pv, a[1], &sd, sizeof(sd)))
			return -EFAULT;
		if (sd.reason > SHUTDOWN_MAX)
			return -EINVAL;
		dom_log(v->d, LOG_INFO, "shutdown requested, reason %u\n",
			sd.reason);
		domain_shutdown(v->d, sd.reason);
		return 0;
	case SCHEDOP_shutdown_code:
		if (pv_read(&v->pv, a[1], &sd, sizeof(sd)))
			return -EFAULT;
		if (sd.reason > SHUTDOWN_MAX)
			return -EINVAL;
		v->d->shutdown_reason = sd.reason;
		return 0;
	}
	return -ENOSYS;
}
