/* SPDX-License-Identifier: MIT */
/*
 * dom0events: an event channel to a service in dom0 (run with
 * `pvctl run --evtchn-echo`, which answers every notification). The
 * port comes on the command line as evtchn_echo=PORT. Checks what the
 * guest sees of the channel and measures the round trip guest -> dom0
 * service -> guest, sleeping in SCHEDOP_block and spinning.
 *
 *   BENCH evtchn_dom0_rtt_<mode> iters=N us_per_op=U
 */
#include <pvguest/events.h>
#include <pvguest/time.h>

#define ITERS	200

static volatile unsigned long echoes;

static void on_echo(evtchn_port_t port, void *arg)
{
	(void)port;
	(void)arg;
	echoes++;
}

static evtchn_port_t cmdline_port(const char *cl)
{
	static const char key[] = "evtchn_echo=";
	evtchn_port_t port = 0;

	for (const char *p = cl; *p; p++) {
		if ((p == cl || p[-1] == ' ') &&
		    !strncmp(p, key, sizeof(key) - 1)) {
			for (p += sizeof(key) - 1; *p >= '0' && *p <= '9'; p++)
				port = port * 10 + (evtchn_port_t)(*p - '0');
			break;
		}
	}
	return port;
}

static void wait_echo(unsigned long n, bool block)
{
	uint64_t t0 = pv_now();

	while (echoes < n) {
		if (pv_now() - t0 > 5000000000ULL)
			test_fail("no echo from dom0 after 5 s (%lu/%lu)",
				  echoes, n);
		if (!block) {
			asm volatile("pause" ::: "memory");
			continue;
		}
		local_irq_disable();
		if (echoes < n)
			sched_block();
		else
			local_irq_enable();
	}
}

static void rtt(evtchn_port_t port, const char *mode, bool block)
{
	unsigned long base = echoes;
	uint64_t t0 = pv_now(), dt;

	for (unsigned int i = 1; i <= ITERS; i++) {
		evtchn_send(port);
		wait_echo(base + i, block);
	}
	dt = (pv_now() - t0) / ITERS;
	printk("BENCH evtchn_dom0_rtt_%s iters=%u us_per_op=%lu.%02lu\n", mode,
	       ITERS, dt / 1000, dt / 10 % 100);
	check(echoes == base + ITERS, "%u round trips through dom0 (%s)",
	      ITERS, mode);
}

void guest_main(struct start_info *si)
{
	struct evtchn_status st;
	evtchn_port_t port, p;
	long rc;

	test_start("dom0events");
	rc = trap_init();
	if (!rc)
		rc = callbacks_init();
	if (!rc)
		rc = events_init();
	if (rc)
		test_fail("setup: %ld", rc);
	port = cmdline_port((const char *)si->cmd_line);
	if (!port)
		test_fail("no evtchn_echo=PORT on the command line (run with "
			  "pvctl run --evtchn-echo)");

	rc = evtchn_status(port, &st);
	check(rc == 0 && st.status == EVTCHNSTAT_interdomain &&
	      st.u.interdomain.dom == 0 && st.u.interdomain.port > 0,
	      "port %u: interdomain to dom0 port %u", port,
	      st.u.interdomain.port);
	rc = evtchn_bind_interdomain(0, st.u.interdomain.port, &p);
	check(rc == -XEN_EINVAL, "dom0's end is not ours to bind (%ld)", rc);

	evtchn_set_handler(port, 0, on_echo, NULL);
	/* The bind left one notification pending, as Xen does. */
	evtchn_clear_pending(port);
	local_irq_enable();

	evtchn_send(port);
	wait_echo(1, true);
	check(echoes == 1, "dom0 answered");
	echoes = 0;
	rtt(port, "block", true);
	rtt(port, "spin", false);

	/* Masked: the answer waits in the pending bit. */
	evtchn_mask(port);
	evtchn_send(port);
	rc = sched_poll(&port, 1, pv_now() + 5000000000ULL);
	check(rc == 0 && evtchn_is_pending(port) && echoes == 2 * ITERS,
	      "masked answer wakes SCHEDOP_poll without an upcall");
	evtchn_unmask(port);
	local_irq_disable();
	local_irq_enable();
	check(echoes == 2 * ITERS + 1, "unmasking delivers it");

	rc = evtchn_close(port);
	check(rc == 0, "close the dom0 channel");
	test_end();
}
