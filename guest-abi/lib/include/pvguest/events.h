/* SPDX-License-Identifier: MIT */
/*
 * Event channels for test kernels: the EVTCHNOP wrappers, the 2-level
 * scan of shared_info run from the event upcall, per-port handlers, and
 * Linux-style "interrupt" flags (the vcpu_info upcall mask).
 *
 * SMP: each vCPU's vcpu_info is pvguest_vcpu_info[cpu] (vCPU0's is the
 * legacy slot once shared_info is mapped); the scan only runs handlers
 * of ports bound to the vCPU it runs on, found with pvguest_cpu_id(), a
 * weak function (0) that SMP kernels override.
 */
#ifndef PVGUEST_EVENTS_H
#define PVGUEST_EVENTS_H

#include <pvabi/event_channel.h>
#include <pvabi/sched.h>

#include <pvguest/pvguest.h>

#define PVGUEST_MAX_CPUS	8

extern struct vcpu_info *pvguest_vcpu_info[PVGUEST_MAX_CPUS];
unsigned int pvguest_cpu_id(void);

static inline struct vcpu_info *this_vcpu_info(void)
{
	return pvguest_vcpu_info[pvguest_cpu_id()];
}

/* ---- hypercall wrappers: 0 or -errno; ports come back through *port */
long evtchn_alloc_unbound(domid_t remote_dom, evtchn_port_t *port);
long evtchn_bind_interdomain(domid_t remote_dom, evtchn_port_t remote_port,
			     evtchn_port_t *port);
long evtchn_bind_virq(uint32_t virq, uint32_t vcpu, evtchn_port_t *port);
long evtchn_bind_ipi(uint32_t vcpu, evtchn_port_t *port);
long evtchn_send(evtchn_port_t port);
long evtchn_close(evtchn_port_t port);
long evtchn_unmask_op(evtchn_port_t port);
long evtchn_bind_vcpu(evtchn_port_t port, uint32_t vcpu);
long evtchn_status(evtchn_port_t port, struct evtchn_status *st);

/* ---- the shared_info bitmaps */
void evtchn_mask(evtchn_port_t port);
/* Linux's local unmask: clear the bit; if pending, raise our upcall. */
void evtchn_unmask(evtchn_port_t port);
bool evtchn_is_pending(evtchn_port_t port);
bool evtchn_is_masked(evtchn_port_t port);
void evtchn_clear_pending(evtchn_port_t port);

/* ---- upcall dispatch */
typedef void (*evtchn_handler_t)(evtchn_port_t port, void *arg);

/* Call fn(port, arg) from the upcall of vCPU cpu when port fires. */
void evtchn_set_handler(evtchn_port_t port, unsigned int cpu,
			evtchn_handler_t fn, void *arg);
/* Events delivered to port so far (counted whether or not handled). */
unsigned long evtchn_count(evtchn_port_t port);
/* Upcalls taken by the current vCPU. */
extern volatile unsigned long pvguest_upcalls[PVGUEST_MAX_CPUS];

/* Map shared_info, install the upcall scan. Needs trap/callback init. */
long events_init(void);

/* ---- the virtual interrupt flag */
static inline void local_irq_disable(void)
{
	this_vcpu_info()->evtchn_upcall_mask = 1;
	barrier();
}

/* Unmask; like Linux, make the "event check" hypercall if pending. */
void local_irq_enable(void);

static inline bool irqs_disabled(void)
{
	return this_vcpu_info()->evtchn_upcall_mask != 0;
}

/* ---- sched_op */
/* SCHEDOP_block: enables events, sleeps until one is deliverable. */
long sched_block(void);
/* SCHEDOP_poll on n ports until one is pending or timeout (abs ns). */
long sched_poll(evtchn_port_t *ports, unsigned int n, uint64_t timeout);

#endif /* PVGUEST_EVENTS_H */
