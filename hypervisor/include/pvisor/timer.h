/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_TIMER_H
#define PVISOR_TIMER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct domain;
struct vcpu;

/*
 * Per-vCPU singleshot and periodic timers; expiry raises VIRQ_TIMER on
 * that vCPU. Deadlines are in the domain's system time (time.h).
 *
 * Who fires them: always the vCPU's own thread, so no third thread has
 * to be scheduled on the way. A blocked vCPU sleeps in the host until
 * its next deadline (vcpu_block.c). A running one has a host POSIX timer
 * aimed at its thread: the signal makes KVM_RUN return, and the thread
 * fires what is due before re-entering (vcpu_timers_due). The timer lock
 * only orders deadline updates against expiry; the VIRQ is sent after
 * dropping it.
 */
struct vcpu_timer {
	uint64_t singleshot;		/* deadline, 0 = stopped */
	uint64_t period;		/* ns, 0 = stopped */
	uint64_t periodic_next;
	uint64_t periodic_last;
	uint64_t fired;			/* VIRQ_TIMER events raised */
	timer_t host;			/* signals the vCPU thread */
	bool host_ok;
};

struct domain_timers {
	pthread_mutex_t lock;
};

/* Xen's bounds for VCPUOP_set_periodic_timer. */
#define TIMER_PERIOD_MIN_NS	1000000ull
#define TIMER_DELTA_MAX		(~0ull >> 2)

int timers_init(struct domain *d);
void timers_fini(struct domain *d);
/* On v's own thread, when it starts: aim its host timer at the thread. */
void timer_thread_start(struct vcpu *v);

void timer_set_singleshot(struct vcpu *v, uint64_t deadline);
void timer_stop_singleshot(struct vcpu *v);
/* period 0 stops it. */
void timer_set_periodic(struct vcpu *v, uint64_t period);
/* Fire whatever is due at now; returns the next deadline (0: none). */
uint64_t timer_expire(struct vcpu *v, uint64_t now);
/* The next deadline, without firing (0: none). */
uint64_t timer_next_deadline(struct vcpu *v);
/* Re-aim the host timer at the next deadline (after an early signal). */
void timer_rearm(struct vcpu *v);
/* Raise VIRQ_TIMER on v now. */
void timer_fire(struct vcpu *v);

#endif
