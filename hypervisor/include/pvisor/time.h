/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_TIME_H
#define PVISOR_TIME_H

#include <stdint.h>
#include <time.h>

#include <pvabi/xen.h>

/*
 * A domain's time base (contract §4). System time is ns since the domain
 * was created, defined as a linear function of the TSC the guest reads:
 *   system_time = scale(host_tsc - tsc0)
 * with the same mul/shift arithmetic the guest's pvclock uses, so the
 * hypervisor's "now" (timer deadlines, poll timeouts, runstate) and the
 * guest's agree to the nanosecond. Host sleeps convert deadlines to
 * CLOCK_MONOTONIC as "now plus the remaining span" and re-check on wake.
 */
struct domain_time {
	uint64_t tsc_khz;
	uint32_t mul;			/* tsc_to_system_mul */
	int8_t shift;			/* tsc_shift */
	uint64_t tsc0;			/* host TSC at system time 0 */
	int64_t guest_tsc_delta;	/* guest TSC - host TSC */
	uint64_t mono0;			/* CLOCK_MONOTONIC (ns) at system time 0 */
	uint64_t wall0_sec;		/* CLOCK_REALTIME at system time 0 */
	uint32_t wall0_nsec;
};

static inline uint64_t host_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* mul/shift with scale(delta) ≈ delta * 10^9 / hz; -EINVAL if hz is 0. */
int time_scale_from_hz(uint64_t hz, uint32_t *mul, int8_t *shift);
/* The pvclock formula: ((delta << shift) * mul) >> 32. */
uint64_t time_scale_delta(uint64_t delta, uint32_t mul, int8_t shift);

/* Fix system time 0 at now; tsc_khz is what the host's KVM reports. */
int time_domain_init(struct domain_time *t, uint64_t tsc_khz,
		     int64_t guest_tsc_delta);
/* System time now, in ns. */
uint64_t time_now(const struct domain_time *t);
/* Publish the time base in a vcpu_time_info (odd/even version protocol). */
void time_update_vcpu(const struct domain_time *t, struct vcpu_time_info *ti);
/* shared_info wc_*: UTC at system time 0 (same version protocol). */
void time_set_wallclock(const struct domain_time *t, struct shared_info *si);
/* The CLOCK_MONOTONIC instant at which system time reaches sys_ns. */
void time_to_timespec(const struct domain_time *t, uint64_t sys_ns,
		      struct timespec *ts);

#endif
