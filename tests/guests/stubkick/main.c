/* SPDX-License-Identifier: MIT */
/*
 * stubkick: events that arrive while the vCPU is inside one of pvisor's
 * entry stubs (between a guest trap and the stub's exit) must wait for
 * the next guest instruction boundary, never be delivered at the stub's
 * RIP (which crashed domains on AMD-V/VT-x). The guest takes int3 traps
 * back to back for a while with events unmasked, and a singleshot timer
 * re-armed 200 us ahead from its own handler keeps kicking the vCPU, so
 * some kicks land inside the trap stub (the period leaves the loop time
 * to run even where an event costs ~100 us, under an emulator). Every trap and every event must
 * arrive, and the domain must live. (`pvctl run --stats` counts the
 * kicks that found the vCPU inside a stub.)
 */
#include <pvabi/vcpu.h>

#include <pvguest/events.h>
#include <pvguest/time.h>

#define RUN_NS		2000000000UL
#define TICK_NS		200000UL

static evtchn_port_t timer_port;
static volatile unsigned long ticks, traps;

static void on_timer(evtchn_port_t port, void *arg)
{
	(void)port;
	(void)arg;
	ticks++;
	timer_set_singleshot(pv_now() + TICK_NS, 0);
}

static bool on_bp(struct guest_regs *r)
{
	(void)r;
	traps++;
	return true;
}

void guest_main(struct start_info *si)
{
	unsigned long n = 0;
	uint64_t t0;

	(void)si;
	test_start("stubkick");
	if (!check(map_shared_info() == 0, "map shared_info") ||
	    !check(trap_init() == 0, "set_trap_table") ||
	    !check(callbacks_init() == 0, "callbacks") ||
	    !check(events_init() == 0, "events") ||
	    !check(evtchn_bind_virq(VIRQ_TIMER, 0, &timer_port) == 0,
		   "bind VIRQ_TIMER"))
		test_end();
	evtchn_set_handler(timer_port, 0, on_timer, NULL);
	trap_set_handler(3, on_bp);
	local_irq_enable();
	timer_set_singleshot(pv_now() + TICK_NS, 0);
	t0 = pv_now();
	while (pv_now() - t0 < RUN_NS) {
		asm volatile("int3" ::: "memory");
		n++;
	}
	local_irq_disable();
	timer_stop_singleshot();
	printk("stubkick: %lu int3 traps, %lu timer events in %lu ms\n",
	       traps, ticks, RUN_NS / 1000000);
	check(traps == n, "every int3 delivered (%lu of %lu)", traps, n);
	check(ticks > 10, "timer events kept arriving (%lu)", ticks);
	test_end();
}
