// SPDX-License-Identifier: MIT
/*
 * A domain's event channels, time base and timers, wired to its vCPUs:
 * the delivery hooks the event logic calls, set-up before vCPU0 first
 * runs (pvclock and wallclock valid, contract §1.7), and tear-down.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>

#include "pvisor/domain_events.h"
#include "pvisor/hvm.h"
#include "pvisor/log.h"
#include "pvisor/pv_mm.h"

static struct vcpu_info *hook_vcpu_info(void *ctx, unsigned int id)
{
	struct domain *d = ctx;
	struct vcpu *v = id < d->nr_vcpus ? d->vcpus[id] : NULL;

	return v ? __atomic_load_n(&v->pv.vcpu_info, __ATOMIC_ACQUIRE) : NULL;
}

/* The vCPU whose thread this is, if any. */
static __thread struct vcpu *this_vcpu;
/* Set by the host timer's signal: a deadline may be due. */
static __thread volatile sig_atomic_t timer_signalled;
static pthread_once_t signal_once = PTHREAD_ONCE_INIT;

struct vcpu *vcpu_current(void)
{
	return this_vcpu;
}

/* Runs on the vCPU thread: leave KVM_RUN now, or skip the next entry. */
static void timer_signal(int sig)
{
	struct vcpu *v = this_vcpu;

	(void)sig;
	timer_signalled = 1;
	if (v)
		plat_vcpu_kick(v->plat);
}

static void install_timer_signal(void)
{
	struct sigaction sa = { .sa_handler = timer_signal,
				.sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	sigaction(VCPU_TIMER_SIGNAL, &sa, NULL);
}

void vcpu_events_thread_start(struct vcpu *v)
{
	pthread_once(&signal_once, install_timer_signal);
	this_vcpu = v;
	/* Timed waits end on time: the default 50 us slack is a tick's worth. */
	prctl(PR_SET_TIMERSLACK, 1000UL);
	timer_thread_start(v);
	vcpu_runstate_change(v, RUNSTATE_running);
}

void vcpu_timers_due(struct vcpu *v)
{
	uint64_t ss = __atomic_load_n(&v->timer.singleshot, __ATOMIC_RELAXED);
	uint64_t period = __atomic_load_n(&v->timer.period, __ATOMIC_RELAXED);
	uint64_t next = ss, now;
	bool signalled = timer_signalled;

	timer_signalled = 0;
	if (period) {
		uint64_t pn = __atomic_load_n(&v->timer.periodic_next,
					      __ATOMIC_RELAXED);

		if (!next || pn < next)
			next = pn;
	}
	if (!next)
		return;
	now = time_now(&v->d->time);
	if (next <= now)
		timer_expire(v, now);
	else if (signalled)
		timer_rearm(v);	/* the host clock ran ahead of the TSC's */
}

static void hook_kick(void *ctx, unsigned int id)
{
	struct domain *d = ctx;
	struct vcpu *v = id < d->nr_vcpus ? d->vcpus[id] : NULL;

	if (!v)
		return;
	if (d->type != DOMAIN_TYPE_PV) {
		/* An interrupt, which KVM delivers without leaving the VM. */
		hvm_upcall(v);
		/* And the end of a SCHEDOP_poll its thread sleeps in. */
		pthread_mutex_lock(&v->lock);
		if (v->blocked) {
			v->blocked = false;
			pthread_cond_signal(&v->wake);
		}
		pthread_mutex_unlock(&v->lock);
		return;
	}
	if (v != this_vcpu) {
		vcpu_kick(v);
		return;
	}
	/*
	 * Our own vCPU is out of the VM, so the upcall goes in on re-entry;
	 * only a block or poll it is sleeping in (its timer fired) ends.
	 */
	pthread_mutex_lock(&v->lock);
	v->blocked = false;
	pthread_mutex_unlock(&v->lock);
}

/* FIFO pages: a RAM frame held as writable, as Xen's map_guest_page. */
static int hook_map_frame(void *ctx, uint64_t gfn, void **va)
{
	struct domain *d = ctx;
	void *frame = gmem_ram_frame(&d->mem, gfn);
	int rc;

	if (!frame)
		return -EINVAL;
	if (d->mm.pages) {
		rc = pv_mm_get_writable_frame(d, gfn);
		if (rc)
			return rc;
	}
	*va = frame;
	return 0;
}

static void hook_unmap_frame(void *ctx, uint64_t gfn)
{
	struct domain *d = ctx;

	if (d->mm.pages)
		pv_mm_put_writable_frame(d, gfn);
}

static const struct evtchn_hooks vcpu_hooks = {
	.vcpu_info = hook_vcpu_info,
	.kick = hook_kick,
	.map_frame = hook_map_frame,
	.unmap_frame = hook_unmap_frame,
};

/* When KVM cannot tell us, measure the TSC against the monotonic clock. */
static uint64_t calibrate_tsc_khz(void)
{
	struct timespec a, b, req = { .tv_nsec = 20 * 1000 * 1000 };
	uint64_t t0, t1, ns;

	clock_gettime(CLOCK_MONOTONIC, &a);
	t0 = host_rdtsc();
	nanosleep(&req, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	t1 = host_rdtsc();
	ns = (uint64_t)(b.tv_sec - a.tv_sec) * 1000000000ull +
	     (uint64_t)(b.tv_nsec - a.tv_nsec);
	return ns ? (t1 - t0) * 1000000ull / ns : 0;
}

void vcpu_time_publish(struct vcpu *v, const struct vcpu *via)
{
	struct vcpu_info *vi = __atomic_load_n(&v->pv.vcpu_info,
					       __ATOMIC_ACQUIRE);
	uint64_t va = __atomic_load_n(&v->time_area_va, __ATOMIC_RELAXED);

	if (vi)
		time_update_vcpu(&v->d->time, &vi->time);
	if (va && via->initialised) {
		/* A guest-VA copy: written odd first, then made even. */
		struct vcpu_time_info ti = { .version = 1 };
		uint32_t even = 2;

		time_update_vcpu(&v->d->time, &ti);
		ti.version = 1;
		if (!gmem_write(v->pv.mem, via->pv.kernel_cr3, va, &ti,
				sizeof(ti))) {
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			gmem_write(v->pv.mem, via->pv.kernel_cr3, va, &even,
				   sizeof(even));
		}
	}
}

int domain_events_init(struct domain *d, const struct domain_config *cfg,
		       const struct plat_info *host)
{
	uint64_t khz = host->tsc_khz ? host->tsc_khz : calibrate_tsc_khz();
	pthread_condattr_t attr;
	int rc;

	/* On PVM the guest reads the host TSC as is (measured). */
	rc = time_domain_init(&d->time, khz, 0);
	if (rc) {
		pr_err("d%u: no usable TSC frequency\n", d->id);
		return rc;
	}
	time_set_wallclock(&d->time, d->shared_info);

	/* Blocked vCPUs sleep until absolute monotonic deadlines. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	for (unsigned int i = 0; i < d->nr_vcpus; i++) {
		struct vcpu *v = d->vcpus[i];

		pthread_cond_destroy(&v->wake);
		pthread_cond_init(&v->wake, &attr);
		v->runstate.state = RUNSTATE_offline;
		vcpu_time_publish(v, v);
	}
	pthread_condattr_destroy(&attr);
	d->vcpus[0]->initialised = true;	/* the builder's context */

	rc = timers_init(d);
	if (rc)
		return rc;
	rc = evtchn_domain_init(&d->evtchn, d->id, d->shared_info,
				d->nr_vcpus, cfg->max_evtchn_port,
				&vcpu_hooks, d);
	if (!rc) {
		rc = evtchn_domain_register(&d->evtchn);
		if (rc)
			evtchn_domain_fini(&d->evtchn);
	}
	if (rc)
		timers_fini(d);
	return rc;
}

void domain_events_fini(struct domain *d)
{
	if (!d->evtchn.buckets)
		return;
	timers_fini(d);
	evtchn_domain_fini(&d->evtchn);
}
