// SPDX-License-Identifier: MIT
/*
 * event_channel_op (hypercall 32) and its compat form (16): copy the
 * guest's argument in, run the operation on the calling domain's event
 * state (event_channel.c, evtchn_fifo.c), copy results out.
 */
#include <errno.h>
#include <stddef.h>

#include <pvabi/event_channel.h>

#include "pvisor/domain.h"
#include "pvisor/evtchn_fifo.h"
#include "pvisor/hypercall.h"

/* A request naming a domain: only ourselves, as an unprivileged guest. */
static int check_self(const struct domain *d, domid_t dom)
{
	if (dom == DOMID_SELF || dom == d->id)
		return 0;
	return evtchn_domain_exists(dom) ? -EPERM : -ESRCH;
}

/* Run one op on arg, the guest VA of its struct. */
static long evtchn_op(struct vcpu *v, uint64_t cmd, uint64_t arg)
{
	struct evtchn_domain *ed = &v->d->evtchn;
	union {
		struct evtchn_alloc_unbound alloc;
		struct evtchn_bind_interdomain inter;
		struct evtchn_bind_virq virq;
		struct evtchn_bind_ipi ipi;
		struct evtchn_close close;
		struct evtchn_send send;
		struct evtchn_status status;
		struct evtchn_bind_vcpu bind_vcpu;
		struct evtchn_unmask unmask;
		struct evtchn_reset reset;
		struct evtchn_init_control init;
		struct evtchn_expand_array expand;
		struct evtchn_set_priority prio;
	} u;
	size_t in, out_off = 0, out_len = 0;
	long rc;

	switch (cmd) {
	case EVTCHNOP_alloc_unbound: in = sizeof(u.alloc); break;
	case EVTCHNOP_bind_interdomain: in = sizeof(u.inter); break;
	case EVTCHNOP_bind_virq: in = sizeof(u.virq); break;
	case EVTCHNOP_bind_ipi: in = sizeof(u.ipi); break;
	case EVTCHNOP_close: in = sizeof(u.close); break;
	case EVTCHNOP_send: in = sizeof(u.send); break;
	case EVTCHNOP_status: in = sizeof(u.status); break;
	case EVTCHNOP_bind_vcpu: in = sizeof(u.bind_vcpu); break;
	case EVTCHNOP_unmask: in = sizeof(u.unmask); break;
	case EVTCHNOP_reset: in = sizeof(u.reset); break;
	case EVTCHNOP_init_control: in = sizeof(u.init); break;
	case EVTCHNOP_expand_array: in = sizeof(u.expand); break;
	case EVTCHNOP_set_priority: in = sizeof(u.prio); break;
	case EVTCHNOP_bind_pirq:
		return -EPERM;		/* no physical IRQs for a domU */
	default:
		return -ENOSYS;
	}
	if (pv_read(&v->pv, arg, &u, in))
		return -EFAULT;

	switch (cmd) {
	case EVTCHNOP_alloc_unbound:
		rc = check_self(v->d, u.alloc.dom);
		if (!rc)
			rc = evtchn_alloc_unbound(ed, u.alloc.remote_dom);
		if (rc > 0) {
			u.alloc.port = (evtchn_port_t)rc;
			out_off = offsetof(struct evtchn_alloc_unbound, port);
			out_len = sizeof(u.alloc.port);
		}
		break;
	case EVTCHNOP_bind_interdomain:
		rc = evtchn_bind_interdomain(ed, u.inter.remote_dom,
					     u.inter.remote_port);
		if (rc > 0) {
			u.inter.local_port = (evtchn_port_t)rc;
			out_off = offsetof(struct evtchn_bind_interdomain,
					   local_port);
			out_len = sizeof(u.inter.local_port);
		}
		break;
	case EVTCHNOP_bind_virq:
		rc = evtchn_bind_virq(ed, u.virq.virq, u.virq.vcpu);
		if (rc > 0) {
			u.virq.port = (evtchn_port_t)rc;
			out_off = offsetof(struct evtchn_bind_virq, port);
			out_len = sizeof(u.virq.port);
		}
		break;
	case EVTCHNOP_bind_ipi:
		rc = evtchn_bind_ipi(ed, u.ipi.vcpu);
		if (rc > 0) {
			u.ipi.port = (evtchn_port_t)rc;
			out_off = offsetof(struct evtchn_bind_ipi, port);
			out_len = sizeof(u.ipi.port);
		}
		break;
	case EVTCHNOP_close:
		rc = evtchn_close(ed, u.close.port);
		break;
	case EVTCHNOP_send:
		rc = evtchn_send(ed, u.send.port);
		break;
	case EVTCHNOP_status:
		rc = check_self(v->d, u.status.dom);
		if (!rc)
			rc = evtchn_status(ed, u.status.port, &u.status);
		if (!rc) {
			out_off = offsetof(struct evtchn_status, status);
			out_len = sizeof(u.status) - out_off;
		}
		break;
	case EVTCHNOP_bind_vcpu:
		rc = evtchn_bind_vcpu(ed, u.bind_vcpu.port, u.bind_vcpu.vcpu);
		break;
	case EVTCHNOP_unmask:
		rc = evtchn_unmask(ed, u.unmask.port);
		break;
	case EVTCHNOP_init_control:
		rc = evtchn_init_control(ed, u.init.control_gfn, u.init.offset,
					 u.init.vcpu);
		if (!rc) {
			/* Xen writes the whole struct back on success. */
			u.init.link_bits = EVTCHN_FIFO_LINK_BITS;
			out_off = 0;
			out_len = sizeof(u.init);
		}
		break;
	case EVTCHNOP_expand_array:
		rc = evtchn_expand_array(ed, u.expand.array_gfn);
		break;
	case EVTCHNOP_set_priority:
		rc = evtchn_set_priority(ed, u.prio.port, u.prio.priority);
		break;
	default: /* EVTCHNOP_reset */
		rc = check_self(v->d, u.reset.dom);
		if (!rc)
			rc = evtchn_reset(ed);
		break;
	}
	if (rc < 0)
		return rc;
	/* Bindings succeed with the port written back; the result is 0. */
	if (out_len && pv_write(&v->pv, arg + out_off,
				(const uint8_t *)&u + out_off, out_len))
		return -EFAULT;
	return 0;
}

long do_event_channel_op(struct vcpu *v, const uint64_t a[6])
{
	return evtchn_op(v, a[0], a[1]);
}

/* The pre-3.0 form: struct evtchn_op {cmd; union} in one pointer. */
long do_event_channel_op_compat(struct vcpu *v, const uint64_t a[6])
{
	uint32_t cmd;

	if (pv_read(&v->pv, a[0], &cmd, sizeof(cmd)))
		return -EFAULT;
	/* Xen forwards only the ops of its day (up to unmask): no FIFO. */
	if (cmd > EVTCHNOP_unmask)
		return -ENOSYS;
	return evtchn_op(v, cmd, a[0] + offsetof(struct evtchn_op, u));
}
