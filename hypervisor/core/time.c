// SPDX-License-Identifier: MIT
/* The pvclock time base and the wallclock (contract §4). */
#include <errno.h>

#include "pvisor/time.h"

int time_scale_from_hz(uint64_t hz, uint32_t *mul, int8_t *shift)
{
	int s = 0;
	unsigned __int128 m;

	if (!hz)
		return -EINVAL;
	/* mul = 10^9 * 2^(32 - shift) / hz, kept in [2^31, 2^32). */
	for (;;) {
		m = s <= 32 ? ((unsigned __int128)1000000000u << (32 - s)) / hz
			    : 0;
		if (m >= (1ull << 32) && s < 63)
			s++;
		else if (m < (1ull << 31) && s > -63)
			s--;
		else
			break;
		if (s > 32)	/* below 1 Hz is not a clock */
			return -EINVAL;
	}
	*mul = (uint32_t)m;
	*shift = (int8_t)s;
	return 0;
}

uint64_t time_scale_delta(uint64_t delta, uint32_t mul, int8_t shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int time_domain_init(struct domain_time *t, uint64_t tsc_khz,
		     int64_t guest_tsc_delta)
{
	struct timespec wall;
	uint64_t m0, m1, tsc;
	int rc;

	rc = time_scale_from_hz(tsc_khz * 1000, &t->mul, &t->shift);
	if (rc)
		return rc;
	t->tsc_khz = tsc_khz;
	t->guest_tsc_delta = guest_tsc_delta;
	/* Pair the TSC with the monotonic clock as tightly as we can. */
	m0 = clock_ns(CLOCK_MONOTONIC);
	tsc = host_rdtsc();
	m1 = clock_ns(CLOCK_MONOTONIC);
	clock_gettime(CLOCK_REALTIME, &wall);
	t->tsc0 = tsc;
	t->mono0 = m0 + (m1 - m0) / 2;
	t->wall0_sec = (uint64_t)wall.tv_sec;
	t->wall0_nsec = (uint32_t)wall.tv_nsec;
	return 0;
}

uint64_t time_now(const struct domain_time *t)
{
	return time_scale_delta(host_rdtsc() - t->tsc0, t->mul, t->shift);
}

/* Xen's version protocol; the guest may have scribbled on version. */
static uint32_t version_begin(uint32_t *version)
{
	uint32_t v = (__atomic_load_n(version, __ATOMIC_RELAXED) + 1) | 1;

	__atomic_store_n(version, v, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return v;
}

static void version_end(uint32_t *version, uint32_t v)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(version, v + 1, __ATOMIC_RELAXED);
}

void time_update_vcpu(const struct domain_time *t, struct vcpu_time_info *ti)
{
	uint64_t tsc = host_rdtsc();
	uint32_t v = version_begin(&ti->version);

	ti->tsc_timestamp = tsc + (uint64_t)t->guest_tsc_delta;
	ti->system_time = time_scale_delta(tsc - t->tsc0, t->mul, t->shift);
	ti->tsc_to_system_mul = t->mul;
	ti->tsc_shift = t->shift;
	/*
	 * Not TSC_STABLE: per-vCPU TSC offsets may differ on other hosts,
	 * and without the flag Linux clamps reads to be monotonic.
	 */
	ti->flags = 0;
	version_end(&ti->version, v);
}

void time_set_wallclock(const struct domain_time *t, struct shared_info *si)
{
	uint32_t v = version_begin(&si->wc_version);

	si->wc_sec = (uint32_t)t->wall0_sec;
	si->wc_sec_hi = (uint32_t)(t->wall0_sec >> 32);
	si->wc_nsec = t->wall0_nsec;
	version_end(&si->wc_version, v);
}

void time_to_timespec(const struct domain_time *t, uint64_t sys_ns,
		      struct timespec *ts)
{
	/*
	 * Pair the clocks now rather than at domain start: NTP may slew
	 * CLOCK_MONOTONIC against the TSC, so only short spans are exact.
	 */
	uint64_t mono = clock_ns(CLOCK_MONOTONIC), now = time_now(t);

	if (sys_ns > now)
		mono += sys_ns - now < (1ull << 62) ? sys_ns - now : 1ull << 62;
	ts->tv_sec = (time_t)(mono / 1000000000ull);
	ts->tv_nsec = (long)(mono % 1000000000ull);
}
