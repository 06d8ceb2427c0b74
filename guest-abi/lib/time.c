/* SPDX-License-Identifier: MIT */
/* pvclock, wallclock and vcpu_op timers for test kernels. */
#include <pvguest/events.h>
#include <pvguest/time.h>

uint64_t pvclock_scale(uint64_t delta, uint32_t mul, int8_t shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

uint64_t pvclock_read(const struct vcpu_time_info *ti)
{
	const volatile struct vcpu_time_info *t = ti;
	uint32_t v;
	uint64_t ns;

	do {
		v = t->version;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		ns = t->system_time +
		     pvclock_scale(pv_rdtsc() - t->tsc_timestamp,
				   t->tsc_to_system_mul, t->tsc_shift);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((v & 1) || v != t->version);
	return ns;
}

uint64_t pvclock_tsc_khz(const struct vcpu_time_info *ti)
{
	uint64_t khz = (1000000ULL << 32) / ti->tsc_to_system_mul;

	if (ti->tsc_shift < 0)
		khz <<= -ti->tsc_shift;
	else
		khz >>= ti->tsc_shift;
	return khz;
}

uint64_t pv_now(void)
{
	return pvclock_read(&shared_info->vcpu_info[0].time);
}

uint64_t tsc_to_ns(uint64_t cycles)
{
	const struct vcpu_time_info *ti = &shared_info->vcpu_info[0].time;

	return pvclock_scale(cycles, ti->tsc_to_system_mul, ti->tsc_shift);
}

void pv_wallclock(uint64_t *sec, uint32_t *nsec)
{
	const volatile struct shared_info *s = shared_info;
	uint64_t now = pv_now(), ns;
	uint32_t v;

	do {
		v = s->wc_version;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		*sec = s->wc_sec | ((uint64_t)s->wc_sec_hi << 32);
		ns = s->wc_nsec;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((v & 1) || v != s->wc_version);
	ns += now;
	*sec += ns / 1000000000ULL;
	*nsec = (uint32_t)(ns % 1000000000ULL);
}

long timer_set_singleshot(uint64_t deadline_ns, uint32_t flags)
{
	struct vcpu_set_singleshot_timer t = {
		.timeout_abs_ns = deadline_ns, .flags = flags,
	};

	return HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, pvguest_cpu_id(),
				  &t);
}

long timer_stop_singleshot(void)
{
	return HYPERVISOR_vcpu_op(VCPUOP_stop_singleshot_timer, pvguest_cpu_id(),
				  NULL);
}

long timer_set_periodic(uint64_t period_ns)
{
	struct vcpu_set_periodic_timer t = { .period_ns = period_ns };

	return HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, pvguest_cpu_id(),
				  &t);
}

long timer_stop_periodic(void)
{
	return HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, pvguest_cpu_id(),
				  NULL);
}
