/* SPDX-License-Identifier: MIT */
/*
 * The pvclock time base (core/time.c): mul/shift for real TSC rates,
 * the update protocol, the wallclock, and that system time tracks the
 * host's CLOCK_MONOTONIC.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "pvisor/time.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void test_scale_rates(void **state)
{
	static const uint64_t hz[] = {
		1000000ull, 33000000ull, 1000000000ull, 2596138000ull,
		3000000000ull, 4999999999ull, 12000000000ull,
	};

	(void)state;
	for (unsigned int i = 0; i < sizeof(hz) / sizeof(hz[0]); i++) {
		uint32_t mul;
		int8_t shift;
		uint64_t ns;

		assert_int_equal(time_scale_from_hz(hz[i], &mul, &shift), 0);
		assert_true(mul >= (1u << 31));
		/* One second of cycles is one second, to 1 ppm. */
		ns = time_scale_delta(hz[i], mul, shift);
		assert_true(ns > 999999000ull && ns < 1000001000ull);
		/* An hour too: no overflow in the 128-bit product. */
		ns = time_scale_delta(hz[i] * 3600, mul, shift);
		assert_true(ns / 1000000000ull >= 3599 &&
			    ns / 1000000000ull <= 3600);
	}
	{
		uint32_t mul;
		int8_t shift;

		assert_int_equal(time_scale_from_hz(0, &mul, &shift), -EINVAL);
	}
}

/* Linux's pvclock_tsc_khz must recover the frequency we publish. */
static void test_khz_roundtrip(void **state)
{
	struct domain_time t;
	struct vcpu_time_info ti = { 0 };
	uint64_t khz;

	(void)state;
	assert_int_equal(time_domain_init(&t, 2596138, 0), 0);
	time_update_vcpu(&t, &ti);
	khz = (1000000ull << 32) / ti.tsc_to_system_mul;
	khz = ti.tsc_shift < 0 ? khz << -ti.tsc_shift : khz >> ti.tsc_shift;
	assert_true(khz >= 2596137 && khz <= 2596139);
}

static void test_version_protocol(void **state)
{
	struct domain_time t;
	struct vcpu_time_info ti = { .version = 7 };	/* guest scribbled */
	struct shared_info si;

	(void)state;
	memset(&si, 0, sizeof(si));
	assert_int_equal(time_domain_init(&t, 3000000, 5), 0);
	time_update_vcpu(&t, &ti);
	assert_int_equal(ti.version & 1, 0);
	assert_true(ti.version > 7);
	assert_int_equal(ti.flags, 0);
	assert_int_equal(ti.tsc_to_system_mul, t.mul);
	assert_int_equal(ti.tsc_shift, t.shift);
	/* The guest's TSC is the host's plus the delta. */
	assert_true(ti.tsc_timestamp >= t.tsc0 + 5);
	time_set_wallclock(&t, &si);
	assert_int_equal(si.wc_version, 2);
	assert_int_equal(si.wc_sec, (uint32_t)t.wall0_sec);
	assert_int_equal(si.wc_sec_hi, (uint32_t)(t.wall0_sec >> 32));
	assert_int_equal(si.wc_nsec, t.wall0_nsec);
	assert_true(si.wc_sec > 1600000000u);
}

/* The guest's formula over the published fields gives our "now". */
static void test_guest_formula_matches(void **state)
{
	struct domain_time t;
	struct vcpu_time_info ti = { 0 };
	uint64_t g, h;

	(void)state;
	assert_int_equal(time_domain_init(&t, 2596138, 0), 0);
	time_update_vcpu(&t, &ti);
	g = ti.system_time + time_scale_delta(host_rdtsc() - ti.tsc_timestamp,
					       ti.tsc_to_system_mul,
					       ti.tsc_shift);
	h = time_now(&t);
	assert_true(h >= g && h - g < 1000000);
}

/*
 * System time tracks CLOCK_MONOTONIC (needs the host's real TSC rate:
 * calibrate it here the way KVM would report it).
 */
static void test_tracks_monotonic(void **state)
{
	struct timespec req = { .tv_nsec = 50000000 };
	struct domain_time t;
	uint64_t m0 = mono_ns(), c0 = host_rdtsc(), m1, c1, khz, sys, mono;
	int64_t err;

	(void)state;
	nanosleep(&req, NULL);
	m1 = mono_ns();
	c1 = host_rdtsc();
	khz = (c1 - c0) * 1000000ull / (m1 - m0);
	assert_int_equal(time_domain_init(&t, khz, 0), 0);
	nanosleep(&req, NULL);
	sys = time_now(&t);
	mono = mono_ns() - t.mono0;
	err = (int64_t)(sys - mono);
	/* 50 ms apart; calibration error dominates: allow 0.1%. */
	assert_true(err > -100000 && err < 100000);
	{
		struct timespec ts;

		uint64_t when, at = time_now(&t) + 1000000000ull;

		time_to_timespec(&t, at, &ts);
		when = (uint64_t)ts.tv_sec * 1000000000ull +
		       (uint64_t)ts.tv_nsec;
		/* A second from now, in monotonic time, to a few us. */
		err = (int64_t)(when - mono_ns()) - 1000000000;
		assert_true(err > -100000 && err < 1000);
		/* Past deadlines map to now; absurd ones stay in range. */
		time_to_timespec(&t, 1, &ts);
		when = (uint64_t)ts.tv_sec * 1000000000ull +
		       (uint64_t)ts.tv_nsec;
		assert_true(when <= mono_ns());
		time_to_timespec(&t, UINT64_MAX, &ts);
		assert_true(ts.tv_sec > 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scale_rates),
		cmocka_unit_test(test_khz_roundtrip),
		cmocka_unit_test(test_version_protocol),
		cmocka_unit_test(test_guest_formula_matches),
		cmocka_unit_test(test_tracks_monotonic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
