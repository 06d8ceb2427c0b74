// SPDX-License-Identifier: MIT
/* vCPU timers (singleshot, periodic); see timer.h for who fires them. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pvisor/domain.h"
#include "pvisor/domain_events.h"
#include "pvisor/log.h"
#include "pvisor/timer.h"

static uint64_t next_deadline_locked(const struct vcpu_timer *t)
{
	uint64_t next = t->singleshot;

	if (t->period && (!next || t->periodic_next < next))
		next = t->periodic_next;
	return next;
}

/* Aim v's host timer at next (0: disarm). Timer lock held. */
static void host_arm_locked(struct vcpu *v, uint64_t next)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };

	if (!v->timer.host_ok)
		return;		/* not running yet: armed when its thread starts */
	if (next)
		time_to_timespec(&v->d->time, next, &its.it_value);
	timer_settime(v->timer.host, TIMER_ABSTIME, &its, NULL);
}

int timers_init(struct domain *d)
{
	pthread_mutex_init(&d->timers.lock, NULL);
	return 0;
}

void timers_fini(struct domain *d)
{
	for (unsigned int i = 0; i < d->nr_vcpus; i++) {
		struct vcpu *v = d->vcpus[i];

		if (v && v->timer.host_ok) {
			timer_delete(v->timer.host);
			v->timer.host_ok = false;
		}
	}
	pthread_mutex_destroy(&d->timers.lock);
}

void timer_thread_start(struct vcpu *v)
{
	struct sigevent sev;
	timer_t t;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = VCPU_TIMER_SIGNAL;
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &sev, &t)) {
		dom_log(v->d, LOG_WARN, "vCPU%u: no host timer (%d): timers "
			"fire only at exits\n", v->id, errno);
		return;
	}
	pthread_mutex_lock(&v->d->timers.lock);
	if (v->timer.host_ok)
		timer_delete(v->timer.host);	/* a restarted thread */
	v->timer.host = t;
	v->timer.host_ok = true;
	host_arm_locked(v, next_deadline_locked(&v->timer));
	pthread_mutex_unlock(&v->d->timers.lock);
}

void timer_fire(struct vcpu *v)
{
	__atomic_fetch_add(&v->timer.fired, 1, __ATOMIC_RELAXED);
	evtchn_send_virq(&v->d->evtchn, v->id, VIRQ_TIMER);
}

void timer_set_singleshot(struct vcpu *v, uint64_t deadline)
{
	struct domain_timers *dt = &v->d->timers;

	pthread_mutex_lock(&dt->lock);
	v->timer.singleshot = deadline;
	host_arm_locked(v, next_deadline_locked(&v->timer));
	pthread_mutex_unlock(&dt->lock);
}

void timer_stop_singleshot(struct vcpu *v)
{
	timer_set_singleshot(v, 0);
}

void timer_set_periodic(struct vcpu *v, uint64_t period)
{
	struct domain_timers *dt = &v->d->timers;
	uint64_t now = time_now(&v->d->time);
	bool fire = false;

	pthread_mutex_lock(&dt->lock);
	v->timer.period = period;
	if (period) {
		/* Xen: an overdue first period fires at once. */
		if (now >= v->timer.periodic_last + period) {
			fire = true;
			v->timer.periodic_last = now;
			v->timer.periodic_next = now + period;
		} else {
			v->timer.periodic_next = v->timer.periodic_last + period;
		}
	}
	host_arm_locked(v, next_deadline_locked(&v->timer));
	pthread_mutex_unlock(&dt->lock);
	if (fire)
		timer_fire(v);
	/* A blocked target must recompute how long it sleeps. */
	if (v != vcpu_current())
		vcpu_block_recheck(v);
}

uint64_t timer_expire(struct vcpu *v, uint64_t now)
{
	struct domain_timers *dt = &v->d->timers;
	struct vcpu_timer *t = &v->timer;
	bool fire = false;
	uint64_t next;

	pthread_mutex_lock(&dt->lock);
	if (t->singleshot && t->singleshot <= now) {
		t->singleshot = 0;
		fire = true;
	}
	if (t->period && t->periodic_next <= now) {
		/* No catch-up burst after a long stall, as in Xen. */
		t->periodic_last = now;
		t->periodic_next = now + t->period;
		fire = true;
	}
	next = next_deadline_locked(t);
	if (fire)
		host_arm_locked(v, next);
	pthread_mutex_unlock(&dt->lock);
	if (fire)
		timer_fire(v);
	return next;
}

uint64_t timer_next_deadline(struct vcpu *v)
{
	struct domain_timers *dt = &v->d->timers;
	uint64_t next;

	pthread_mutex_lock(&dt->lock);
	next = next_deadline_locked(&v->timer);
	pthread_mutex_unlock(&dt->lock);
	return next;
}

void timer_rearm(struct vcpu *v)
{
	struct domain_timers *dt = &v->d->timers;

	pthread_mutex_lock(&dt->lock);
	host_arm_locked(v, next_deadline_locked(&v->timer));
	pthread_mutex_unlock(&dt->lock);
}
