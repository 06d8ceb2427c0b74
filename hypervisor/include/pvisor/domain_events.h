/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_DOMAIN_EVENTS_H
#define PVISOR_DOMAIN_EVENTS_H

#include <signal.h>
#include <stdbool.h>

#include "pvisor/domain.h"

/*
 * Wiring a domain's event channels, time base and timers to its vCPUs
 * and threads (domain_events.c, vcpu_block.c).
 */

/* Called by domain_create once shared_info and the vCPUs exist. */
int domain_events_init(struct domain *d, const struct domain_config *cfg,
		       const struct plat_info *host);
/* Called by domain_destroy after the vCPU threads are gone. */
void domain_events_fini(struct domain *d);

/* Refresh v's pvclock copies (registered vcpu_info and time area). */
void vcpu_time_publish(struct vcpu *v);

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
void vcpu_runstate_write(struct vcpu *v);

#endif
