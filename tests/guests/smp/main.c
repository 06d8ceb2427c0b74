/* SPDX-License-Identifier: MIT */
/*
 * smp: a 2-vCPU guest (run with --vcpus 2). vCPU0 brings vCPU1 up the
 * way Linux does (register_vcpu_info, VCPUOP_initialise with a full
 * context, VCPUOP_up), then: IPIs both ways through event channels (the
 * round trip is reported), a timer on vCPU1, a PV spinlock that waits
 * in SCHEDOP_poll on a masked kick port, VCPUOP_down/up of vCPU1, and
 * vCPU1 taking itself down.
 *
 *   BENCH evtchn_ipi_rtt_<mode> iters=N us_per_op=U
 */
#include <pvabi/vcpu.h>

#include <pvguest/events.h>
#include <pvguest/time.h>

#define AP_STACK_SIZE	16384
#define RTT_ITERS	200
#define LOCK_ITERS	300

static uint8_t ap_stack[AP_STACK_SIZE] __aligned(64);
static uint8_t ap_vcpu_info_page[PAGE_SIZE] __page_aligned;

/* The vCPU we run on: vCPU1 lives on ap_stack. */
unsigned int pvguest_cpu_id(void)
{
	uint64_t sp = (uint64_t)(uintptr_t)__builtin_frame_address(0);
	uint64_t lo = (uint64_t)(uintptr_t)ap_stack;

	return sp >= lo && sp < lo + AP_STACK_SIZE ? 1 : 0;
}

static evtchn_port_t ipi[2], kick[2], timer1;
static volatile unsigned long got[2], timer1_fired;
static volatile int ap_cmd, ap_state;	/* see ap_main */
static volatile bool echo;
static volatile uint64_t ap_timer_late;
/* One-way latencies (pvclock is one clock for both vCPUs). */
static volatile uint64_t sent_ns[2], recv_ns[2];

enum { AP_IDLE, AP_ECHO, AP_LOCK, AP_TIMER, AP_DOWN };

static void on_ipi(evtchn_port_t port, void *arg)
{
	unsigned int cpu = (unsigned int)(uintptr_t)arg;

	(void)port;
	recv_ns[cpu] = pv_now();
	got[cpu]++;
	/* vCPU1 answers every IPI while echoing. */
	if (cpu == 1 && echo) {
		sent_ns[0] = pv_now();
		evtchn_send(ipi[0]);
	}
}

static void on_timer1(evtchn_port_t port, void *arg)
{
	(void)port;
	(void)arg;
	timer1_fired++;
}

/* ---- a PV spinlock: poll on a masked kick port while contended ---- */

static volatile int lock_word;
static volatile int waiting[2];
static volatile unsigned long counter, slow_path[2];

static void pv_lock(unsigned int cpu)
{
	while (__atomic_exchange_n(&lock_word, 1, __ATOMIC_ACQUIRE)) {
		evtchn_clear_pending(kick[cpu]);
		__atomic_store_n(&waiting[cpu], 1, __ATOMIC_SEQ_CST);
		/* Re-check after announcing ourselves: no lost wake-up. */
		if (__atomic_load_n(&lock_word, __ATOMIC_SEQ_CST))
			sched_poll(&kick[cpu], 1, pv_now() + 100000000);
		__atomic_store_n(&waiting[cpu], 0, __ATOMIC_SEQ_CST);
		slow_path[cpu]++;
	}
}

static void pv_unlock(unsigned int cpu)
{
	unsigned int other = !cpu;

	__atomic_store_n(&lock_word, 0, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&waiting[other], __ATOMIC_SEQ_CST))
		evtchn_send(kick[other]);
}

static void lock_loop(unsigned int cpu)
{
	for (unsigned int i = 0; i < LOCK_ITERS; i++) {
		unsigned long c;

		pv_lock(cpu);
		c = counter;
		/* Hold it a little, so the other side has to wait. */
		for (volatile int d = 0; d < 2000; d++)
			;
		counter = c + 1;
		pv_unlock(cpu);
	}
}

/* ---- vCPU1 ---------------------------------------------------------- */

static volatile bool ap_port_io;	/* vCPU1's first `out` was emulated */

static void ap_main(void)
{
	unsigned long gp = pvguest_trap_counts[13];

	/* Linux's APs do port I/O on the IOPL VCPUOP_initialise gave them. */
	asm volatile("1: out %%al, $0x80\n"
		     "2:\n\t"
		     PV_EXTABLE("1b", "2b") : : : "memory");
	ap_port_io = pvguest_trap_counts[13] == gp;
	local_irq_enable();
	__atomic_store_n(&ap_state, AP_IDLE + 1, __ATOMIC_SEQ_CST);
	for (;;) {
		int cmd = __atomic_load_n(&ap_cmd, __ATOMIC_SEQ_CST);

		switch (cmd) {
		case AP_LOCK:
			lock_loop(1);
			ap_cmd = AP_IDLE;
			break;
		case AP_TIMER: {
			uint64_t t0 = pv_now();
			unsigned long n = timer1_fired;

			timer_set_singleshot(t0 + 2000000, 0);
			while (timer1_fired == n) {
				local_irq_disable();
				if (timer1_fired == n)
					sched_block();
				else
					local_irq_enable();
			}
			ap_timer_late = pv_now() - (t0 + 2000000);
			ap_cmd = AP_IDLE;
			break;
		}
		case AP_DOWN:
			ap_cmd = AP_IDLE;
			HYPERVISOR_vcpu_op(VCPUOP_down, 1, NULL);
			/* Only reached if someone brings us up again. */
			break;
		default:
			/* Idle like Linux: block until an event. */
			local_irq_disable();
			if (__atomic_load_n(&ap_cmd, __ATOMIC_SEQ_CST) == cmd)
				sched_block();
			else
				local_irq_enable();
		}
	}
}

static void __attribute__((used)) ap_entry_c(void)
{
	ap_main();
	guest_panic("vCPU1 returned");
}

/* VCPUOP_initialise sets rsp; call into C with an aligned frame. */
asm(".pushsection .text\n"
    ".globl ap_entry\n"
    "ap_entry:\n"
    "	andq $-16, %rsp\n"
    "	call ap_entry_c\n"
    "	ud2\n"
    ".popsection\n");
void ap_entry(void);

static void build_context(struct vcpu_guest_context *c)
{
	memset(c, 0, sizeof(*c));
	c->flags = VGCF_in_kernel | VGCF_online;
	c->user_regs.rip = (uint64_t)(uintptr_t)ap_entry;
	c->user_regs.rsp = (uint64_t)(uintptr_t)(ap_stack + AP_STACK_SIZE);
	c->user_regs.cs = FLAT_KERNEL_CS;
	c->user_regs.ss = FLAT_KERNEL_SS;
	c->user_regs.rflags = 0x1000;	/* IOPL 1, as Linux passes: virtual */
	for (unsigned int v = 0; v < 32; v++) {
		c->trap_ctxt[v].vector = (uint8_t)v;
		c->trap_ctxt[v].flags = (v == 3 || v == 4) ? 3 : 0;
		c->trap_ctxt[v].cs = FLAT_KERNEL_CS;
		c->trap_ctxt[v].address = pvguest_trap_entry[v];
	}
	c->kernel_ss = FLAT_KERNEL_SS;
	c->kernel_sp = c->user_regs.rsp;
	c->ctrlreg[3] = xen_pfn_to_cr3(virt_to_mfn((void *)start_info->pt_base));
	c->event_callback_eip = (uint64_t)(uintptr_t)pvguest_entry_event;
	c->failsafe_callback_eip = (uint64_t)(uintptr_t)pvguest_entry_failsafe;
}

static long vcpu_op(int cmd, unsigned int id, void *arg)
{
	return HYPERVISOR_vcpu_op(cmd, id, arg);
}

static void wait_ap_idle(void)
{
	uint64_t t0 = pv_now();

	while (__atomic_load_n(&ap_cmd, __ATOMIC_SEQ_CST) != AP_IDLE) {
		if (pv_now() - t0 > 10000000000ULL)
			test_fail("vCPU1 stuck in command");
		asm volatile("pause");
	}
}

static void ap_command(int cmd)
{
	__atomic_store_n(&ap_cmd, cmd, __ATOMIC_SEQ_CST);
	evtchn_send(ipi[1]);	/* wake it from SCHEDOP_block */
}

static void test_bringup(void)
{
	static struct vcpu_guest_context ctx;
	struct vcpu_register_vcpu_info r = {
		.mfn = virt_to_mfn(ap_vcpu_info_page), .offset = 0,
	};
	uint64_t t0;
	long rc;

	check(vcpu_op(VCPUOP_is_up, 0, NULL) == 1, "vCPU0 is up");
	check(vcpu_op(VCPUOP_is_up, 1, NULL) == 0, "vCPU1 exists, down");
	check(vcpu_op(VCPUOP_is_up, 2, NULL) == -XEN_ENOENT, "vCPU2 -> -ENOENT");
	check(vcpu_op(VCPUOP_is_up, 8191, NULL) == -XEN_ENOENT,
	      "vCPU8191 -> -ENOENT");
	check(vcpu_op(VCPUOP_up, 1, NULL) == -XEN_EINVAL,
	      "up before initialise -> -EINVAL");
	check(vcpu_op(VCPUOP_initialise, 0, &ctx) == -XEN_EEXIST,
	      "initialise a running vCPU -> -EEXIST");

	/* As Linux: vcpu_info of every CPU is moved before bring-up. */
	rc = vcpu_op(VCPUOP_register_vcpu_info, 1, &r);
	check(rc == 0, "register_vcpu_info for vCPU1 (%ld)", rc);
	pvguest_vcpu_info[1] = (struct vcpu_info *)ap_vcpu_info_page;

	/* Ports for vCPU1, bound from here. */
	evtchn_bind_ipi(0, &ipi[0]);
	evtchn_bind_ipi(1, &ipi[1]);
	evtchn_bind_ipi(0, &kick[0]);
	evtchn_bind_ipi(1, &kick[1]);
	evtchn_bind_virq(VIRQ_TIMER, 1, &timer1);
	evtchn_set_handler(ipi[0], 0, on_ipi, (void *)0);
	evtchn_set_handler(ipi[1], 1, on_ipi, (void *)1);
	evtchn_set_handler(timer1, 1, on_timer1, NULL);
	/* Kick ports are only ever polled. */
	evtchn_mask(kick[0]);
	evtchn_mask(kick[1]);

	build_context(&ctx);
	ctx.event_callback_eip = 1ULL << 63;
	rc = vcpu_op(VCPUOP_initialise, 1, &ctx);
	check(rc == -XEN_EINVAL, "non-canonical callback -> -EINVAL (%ld)", rc);
	build_context(&ctx);
	ctx.ctrlreg[3] = xen_pfn_to_cr3(start_info->nr_pages + 5);
	rc = vcpu_op(VCPUOP_initialise, 1, &ctx);
	check(rc == -XEN_EINVAL, "CR3 outside RAM -> -EINVAL (%ld)", rc);
	build_context(&ctx);
	ctx.flags = 0;	/* user mode needs a user L4 */
	rc = vcpu_op(VCPUOP_initialise, 1, &ctx);
	check(rc == -XEN_EINVAL, "user mode without ctrlreg[1] -> -EINVAL (%ld)",
	      rc);
	rc = vcpu_op(VCPUOP_initialise, 1, (void *)0x10);
	check(rc == -XEN_EFAULT, "initialise with a bad pointer -> -EFAULT");

	build_context(&ctx);
	rc = vcpu_op(VCPUOP_initialise, 1, &ctx);
	check(rc == 0, "VCPUOP_initialise(1) (%ld)", rc);
	check(vcpu_op(VCPUOP_initialise, 1, &ctx) == -XEN_EEXIST,
	      "initialise twice -> -EEXIST");
	rc = vcpu_op(VCPUOP_up, 1, NULL);
	check(rc == 0 && vcpu_op(VCPUOP_is_up, 1, NULL) == 1,
	      "VCPUOP_up(1) (%ld)", rc);
	t0 = pv_now();
	while (!__atomic_load_n(&ap_state, __ATOMIC_SEQ_CST)) {
		if (pv_now() - t0 > 5000000000ULL)
			test_fail("vCPU1 never ran");
		asm volatile("pause");
	}
	check(true, "vCPU1 runs (after %lu us)", (pv_now() - t0) / 1000);
	check(ap_port_io, "vCPU1 started with IOPL 1 in its context may do "
	      "port I/O (no #GP)");
	check(pvguest_cpu_id() == 0, "we are vCPU0");
}

static void rtt(const char *mode, bool block)
{
	uint64_t t0, t1, to1 = 0, to0 = 0;
	unsigned long base = got[0];

	echo = true;
	t0 = pv_now();
	for (unsigned int i = 1; i <= RTT_ITERS; i++) {
		sent_ns[1] = pv_now();
		evtchn_send(ipi[1]);
		while (got[0] < base + i) {
			if (!block) {
				asm volatile("pause" ::: "memory");
				continue;
			}
			local_irq_disable();
			if (got[0] < base + i)
				sched_block();
			else
				local_irq_enable();
		}
		to1 += recv_ns[1] - sent_ns[1];
		to0 += recv_ns[0] - sent_ns[0];
	}
	t1 = pv_now();
	echo = false;
	/* vCPU1 always sleeps in SCHEDOP_block between IPIs. */
	printk("BENCH evtchn_ipi_wake_blocked iters=%u us_per_op=%lu.%02lu\n",
	       RTT_ITERS, to1 / RTT_ITERS / 1000, to1 / RTT_ITERS / 10 % 100);
	printk("BENCH evtchn_ipi_to_%s iters=%u us_per_op=%lu.%02lu\n",
	       block ? "blocked" : "running", RTT_ITERS,
	       to0 / RTT_ITERS / 1000, to0 / RTT_ITERS / 10 % 100);
	printk("BENCH evtchn_ipi_rtt_%s iters=%u us_per_op=%lu.%02lu\n", mode,
	       RTT_ITERS, (t1 - t0) / RTT_ITERS / 1000,
	       (t1 - t0) / RTT_ITERS / 10 % 100);
	check(got[0] == base + RTT_ITERS, "%u IPI round trips (%s)", RTT_ITERS,
	      mode);
}

static void test_ipis(void)
{
	unsigned long g1 = got[1], g0 = got[0];

	/* One way each, then ping-pong. */
	evtchn_send(ipi[1]);
	while (got[1] == g1)
		asm volatile("pause");
	check(got[1] == g1 + 1, "vCPU0 -> vCPU1 IPI delivered");
	check(got[0] == g0, "... and not to vCPU0");
	rtt("block", true);
	rtt("spin", false);
}

static void test_ap_timer(void)
{
	ap_command(AP_TIMER);
	wait_ap_idle();
	/*
	 * Never early (the difference is unsigned); lateness is bounded
	 * only by what holds on a loaded or emulated host.
	 */
	check(timer1_fired >= 1 && ap_timer_late < 1000000000,
	      "vCPU1's own singleshot timer fired (late %lu us)",
	      ap_timer_late / 1000);
}

static void test_lock(void)
{
	counter = 0;
	ap_command(AP_LOCK);
	lock_loop(0);
	wait_ap_idle();
	check(counter == 2 * LOCK_ITERS,
	      "PV spinlock: %lu increments (want %u), slow paths %lu/%lu",
	      counter, 2 * LOCK_ITERS, slow_path[0], slow_path[1]);
}

static void test_down_up(void)
{
	uint64_t t0;
	unsigned long g1;
	long rc;

	rc = vcpu_op(VCPUOP_down, 1, NULL);
	check(rc == 0 && vcpu_op(VCPUOP_is_up, 1, NULL) == 0,
	      "VCPUOP_down(1) (%ld)", rc);
	g1 = got[1];
	evtchn_send(ipi[1]);
	t0 = pv_now();
	while (pv_now() - t0 < 3000000)
		;
	check(got[1] == g1, "a down vCPU takes no events");
	rc = vcpu_op(VCPUOP_up, 1, NULL);
	t0 = pv_now();
	while (got[1] == g1 && pv_now() - t0 < 5000000000ULL)
		asm volatile("pause");
	check(rc == 0 && got[1] == g1 + 1,
	      "up again: the pending IPI is delivered");

	/* vCPU1 downs itself (Linux's cpu_die path). */
	ap_command(AP_DOWN);
	t0 = pv_now();
	while (vcpu_op(VCPUOP_is_up, 1, NULL) != 0 &&
	       pv_now() - t0 < 5000000000ULL)
		;
	check(vcpu_op(VCPUOP_is_up, 1, NULL) == 0, "vCPU1 took itself down");
}

void guest_main(struct start_info *si)
{
	long rc;

	(void)si;
	test_start("smp");
	rc = trap_init();
	if (!rc)
		rc = callbacks_init();
	if (!rc)
		rc = events_init();
	if (rc)
		test_fail("setup: %ld", rc);
	local_irq_enable();

	test_bringup();
	test_ipis();
	test_ap_timer();
	test_lock();
	test_down_up();
	test_end();
}
