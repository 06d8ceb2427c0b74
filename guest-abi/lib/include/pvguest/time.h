/* SPDX-License-Identifier: MIT */
/*
 * Time for test kernels: the pvclock in vcpu_info (system time in ns,
 * from the TSC), the wallclock, and vcpu_op timers.
 */
#ifndef PVGUEST_TIME_H
#define PVGUEST_TIME_H

#include <pvabi/vcpu.h>

#include <pvguest/pvguest.h>

static inline uint64_t pv_rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

/* Xen's scaling: ((delta << shift) * mul) >> 32 with a 128-bit product. */
uint64_t pvclock_scale(uint64_t delta, uint32_t mul, int8_t shift);
/* System time from a vcpu_time_info (retries while being updated). */
uint64_t pvclock_read(const struct vcpu_time_info *ti);
/* TSC frequency the time info implies, in kHz (Linux's pvclock_tsc_khz). */
uint64_t pvclock_tsc_khz(const struct vcpu_time_info *ti);
/* System time on vCPU0's time info (shared_info must be mapped). */
uint64_t pv_now(void);
/* UTC now: wallclock at system time 0 plus pv_now(). */
void pv_wallclock(uint64_t *sec, uint32_t *nsec);

/* TSC cycles to ns with the published scale (for measuring). */
uint64_t tsc_to_ns(uint64_t cycles);

long timer_set_singleshot(uint64_t deadline_ns, uint32_t flags);
long timer_stop_singleshot(void);
long timer_set_periodic(uint64_t period_ns);
long timer_stop_periodic(void);

#endif /* PVGUEST_TIME_H */
