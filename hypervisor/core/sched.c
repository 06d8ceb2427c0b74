// SPDX-License-Identifier: MIT
/* sched_op: yield, block, poll, shutdown. */
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

/*
 * SCHEDOP_poll: sleep until one of the ports is pending (masked or not),
 * an event is deliverable, or the timeout (system time, 0 = none). The
 * vCPU thread does the sleeping (vcpu_wait_runnable) once we return.
 */
static long sched_poll(struct vcpu *v, uint64_t arg)
{
	struct evtchn_domain *ed = &v->d->evtchn;
	const struct vcpu_info *vi = v->pv.vcpu_info;
	evtchn_port_t ports[EVTCHN_POLL_MAX];
	struct sched_poll sp;
	long rc = 0;

	if (pv_read(&v->pv, arg, &sp, sizeof(sp)))
		return -EFAULT;
	if (sp.nr_ports > EVTCHN_POLL_MAX)
		return -EINVAL;
	if (sp.nr_ports &&
	    pv_read(&v->pv, sp.ports, ports, sp.nr_ports * sizeof(ports[0])))
		return -EFAULT;

	/* Blocked and armed first, then look: a racing send wakes us. */
	pthread_mutex_lock(&v->lock);
	v->blocked = true;
	/*
	 * Xen reads the timeout as signed system time: a value with the top
	 * bit set is in the past and ends the poll at once (1 is past too).
	 */
	v->poll_deadline = (int64_t)sp.timeout < 0 ? 1 : sp.timeout;
	pthread_mutex_unlock(&v->lock);
	evtchn_poll_arm(ed, v->id, 0);

	if (__atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_SEQ_CST) &&
	    !__atomic_load_n(&vi->evtchn_upcall_mask, __ATOMIC_SEQ_CST))
		goto out;
	for (uint32_t i = 0; i < sp.nr_ports; i++) {
		rc = evtchn_poll_port(ed, ports[i]);
		if (rc) {
			if (rc > 0)
				rc = 0;
			goto out;
		}
	}
	if (sp.nr_ports == 1)
		evtchn_poll_arm(ed, v->id, ports[0]);
	return 0;

out:
	evtchn_poll_disarm(ed, v->id);
	pthread_mutex_lock(&v->lock);
	v->blocked = false;
	v->poll_deadline = 0;
	pthread_mutex_unlock(&v->lock);
	return rc;
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
	case SCHEDOP_poll:
		return sched_poll(v, a[1]);
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
