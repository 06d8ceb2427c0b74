/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_DOMAIN_EVENTS_H
#define PVISOR_DOMAIN_EVENTS_H

#include <signal.h>
#include <stdbool.h>

#include "pvisor/domain.h"

/*
 * Wiring a domain's event channels, time base and timers to its vCPUs
 * and threads (domain_events.c, vcpu_block.c).
 *
 * Lock order across these files (outermost first; see event_channel.h
 * for the event channel part):
 *   evtchn global lock -> evtchn_domain.lock -> vcpu.lock -> timers.lock
 *   domain.lock -> vcpu.lock
 * The PV MMU's mm_lock is never held together with any of them here.
 * Event delivery runs under evtchn_domain.lock and takes vcpu.lock (kick);
 * a vCPU waiting under its own lock only reads guest memory and takes
 * the timer lock. Expired timers raise their VIRQ with no lock held.
 */

/* Called by domain_create once shared_info and the vCPUs exist. */
int domain_events_init(struct domain *d, const struct domain_config *cfg,
		       const struct plat_info *host);
/* Called by domain_destroy after the vCPU threads are gone. */
void domain_events_fini(struct domain *d);

/*
 * Refresh v's pvclock copies (registered vcpu_info, and the time area
 * written through via's kernel page tables, as Xen uses the caller's).
 */
void vcpu_time_publish(struct vcpu *v, const struct vcpu *via);

/*
 * vCPU thread: sleep in the host while blocked, polling or down, firing
 * its own timers on time; true when the domain is going away.
 */
bool vcpu_wait_runnable(struct vcpu *v);
/* First thing a vCPU thread does: it is now running, on this thread. */
void vcpu_events_thread_start(struct vcpu *v);
/* The vCPU whose thread calls this, or NULL. */
struct vcpu *vcpu_current(void);
/* The signal a vCPU's host timer sends its thread (leaves KVM_RUN). */
#define VCPU_TIMER_SIGNAL	(SIGRTMIN + 3)
/* Make a blocked vCPU re-evaluate its wait (a deadline moved). */
void vcpu_block_recheck(struct vcpu *v);
/* vCPU thread, before entering the VM: fire timers already due. */
void vcpu_timers_due(struct vcpu *v);

/* Runstate accounting (RUNSTATE_*), mirrored to the guest's area. */
void vcpu_runstate_change(struct vcpu *v, int state);
void vcpu_runstate_get(struct vcpu *v, struct vcpu_runstate_info *out);
/* Mirror v's runstate to its registered area, through via's tables. */
void vcpu_runstate_write(struct vcpu *v, const struct vcpu *via);

#endif
