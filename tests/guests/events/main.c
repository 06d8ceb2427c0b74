/* SPDX-License-Identifier: MIT */
/*
 * events: 2-level event channels to ourselves. A loopback interdomain
 * pair (alloc_unbound + bind_interdomain), an IPI and a VIRQ, each
 * delivered through the event callback; masking (per port and the
 * vCPU-wide upcall mask) and the unmask paths; SCHEDOP_poll on a masked
 * port; status, close, reset, the port limit and the error codes Xen
 * returns for bad requests.
 */
#include <pvabi/event_channel.h>
#include <pvabi/sched.h>
#include <pvabi/vcpu.h>

#include <pvguest/events.h>
#include <pvguest/time.h>

/* xl's default: ports 1..1023 (CONFIG_EVTCHN_MAX_PORT). */
#define MAX_PORT	1023

static volatile unsigned long hits[EVTCHN_2L_NR_CHANNELS];

static void on_event(evtchn_port_t port, void *arg)
{
	(void)arg;
	hits[port]++;
}

static void handle(evtchn_port_t port)
{
	evtchn_set_handler(port, 0, on_event, NULL);
}

static void test_loopback(evtchn_port_t *pa, evtchn_port_t *pb)
{
	struct evtchn_status st;
	evtchn_port_t a = 0, b = 0;
	unsigned long before;
	long rc;

	rc = evtchn_alloc_unbound(DOMID_SELF, &a);
	check(rc == 0 && a > 0, "alloc_unbound(self) -> port %u (rc %ld)", a, rc);
	rc = evtchn_status(a, &st);
	check(rc == 0 && st.status == EVTCHNSTAT_unbound,
	      "status(%u): unbound (rc %ld, status %u)", a, rc, st.status);
	handle(a);

	/* Binding marks the new local port pending, as Xen does. */
	rc = evtchn_bind_interdomain(DOMID_SELF, a, &b);
	check(rc == 0 && b > 0 && b != a,
	      "bind_interdomain(self, %u) -> port %u (rc %ld)", a, b, rc);
	handle(b);
	check(evtchn_is_pending(b), "new interdomain port starts pending");
	local_irq_enable();
	check(hits[b] == 1, "that event is delivered once unmasked (%lu)",
	      hits[b]);

	rc = evtchn_status(b, &st);
	check(rc == 0 && st.status == EVTCHNSTAT_interdomain &&
	      st.u.interdomain.port == a && st.vcpu == 0,
	      "status(%u): interdomain to port %u (got %u, rc %ld)", b, a,
	      st.u.interdomain.port, rc);
	rc = evtchn_status(a, &st);
	check(rc == 0 && st.status == EVTCHNSTAT_interdomain &&
	      st.u.interdomain.port == b,
	      "status(%u): interdomain to port %u", a, b);

	/* Events enabled: the upcall comes right after the hypercall. */
	before = pvguest_upcalls[0];
	rc = evtchn_send(a);
	check(rc == 0 && hits[b] == 2 && hits[a] == 0,
	      "send(%u) -> upcall on %u (hits %lu/%lu, rc %ld)", a, b,
	      hits[b], hits[a], rc);
	check(pvguest_upcalls[0] == before + 1, "exactly one upcall (%lu)",
	      pvguest_upcalls[0] - before);
	rc = evtchn_send(b);
	check(rc == 0 && hits[a] == 1, "send(%u) -> upcall on %u", b, a);
	check(!evtchn_is_pending(a) && !evtchn_is_pending(b),
	      "handler cleared the pending bits");
	*pa = a;
	*pb = b;
}

static void test_masking(evtchn_port_t a, evtchn_port_t b)
{
	struct vcpu_info *vi = this_vcpu_info();
	unsigned long h = hits[b];
	long rc;

	/* A masked port: pending is set, no upcall is raised. */
	evtchn_mask(b);
	rc = evtchn_send(a);
	check(rc == 0 && hits[b] == h && evtchn_is_pending(b) &&
	      !vi->evtchn_upcall_pending,
	      "masked: pending set, no upcall (pending %d, upcall %u)",
	      evtchn_is_pending(b), vi->evtchn_upcall_pending);
	/* A second send to a pending port changes nothing. */
	rc = evtchn_send(a);
	check(rc == 0 && hits[b] == h, "send to a pending port coalesces");
	/* EVTCHNOP_unmask of a pending port raises the upcall. */
	rc = evtchn_unmask_op(b);
	check(rc == 0 && hits[b] == h + 1 && !evtchn_is_masked(b),
	      "EVTCHNOP_unmask re-raises the pending event (rc %ld, hits +%lu)",
	      rc, hits[b] - h);
	rc = evtchn_unmask_op(b);
	check(rc == 0 && hits[b] == h + 1, "unmask of an idle port: no event");

	/* Linux's local unmask sets upcall_pending itself. */
	evtchn_mask(b);
	evtchn_send(a);
	local_irq_disable();
	evtchn_unmask(b);
	check(vi->evtchn_upcall_pending && hits[b] == h + 1,
	      "local unmask: guest raised upcall_pending, held by the mask");
	local_irq_enable();	/* event check hypercall */
	check(hits[b] == h + 2, "local_irq_enable delivers it (hits +%lu)",
	      hits[b] - h);

	/* The vCPU-wide mask: the upcall waits for it. */
	local_irq_disable();
	evtchn_send(a);
	check(vi->evtchn_upcall_pending && hits[b] == h + 2,
	      "upcall mask holds delivery back (pending %u)",
	      vi->evtchn_upcall_pending);
	local_irq_enable();
	check(hits[b] == h + 3, "delivered on enable (hits +%lu)", hits[b] - h);
}

static void test_ipi_virq(void)
{
	evtchn_port_t ipi = 0, virq = 0, p;
	long rc;

	rc = evtchn_bind_ipi(0, &ipi);
	check(rc == 0 && ipi > 0, "bind_ipi(0) -> %u", ipi);
	handle(ipi);
	rc = evtchn_send(ipi);
	check(rc == 0 && hits[ipi] == 1, "IPI to self delivered (%lu)",
	      hits[ipi]);
	rc = evtchn_bind_ipi(7, &p);
	check(rc == -XEN_ENOENT, "bind_ipi(vcpu 7) -> -ENOENT (%ld)", rc);

	rc = evtchn_bind_virq(VIRQ_TIMER, 0, &virq);
	check(rc == 0 && virq > 0, "bind_virq(TIMER, 0) -> %u", virq);
	handle(virq);
	rc = evtchn_bind_virq(VIRQ_TIMER, 0, &p);
	check(rc == -XEN_EEXIST, "bind_virq twice -> -EEXIST (%ld)", rc);
	rc = evtchn_bind_virq(VIRQ_DEBUG, 0, &p);
	check(rc == 0 && p > 0, "bind_virq(DEBUG, 0) -> %u", p);
	rc = evtchn_bind_virq(VIRQ_DEBUG, 1, &p);
	check(rc == -XEN_ENOENT, "bind_virq(DEBUG, vcpu 1) -> -ENOENT (%ld)", rc);
	rc = evtchn_bind_virq(VIRQ_CONSOLE, 0, &p);
	check(rc == -XEN_EBUSY, "bind_virq(CONSOLE): dom0's -> -EBUSY (%ld)", rc);
	rc = evtchn_bind_virq(VIRQ_ARGO, 1, &p);
	check(rc == -XEN_EINVAL, "bind_virq(ARGO, vcpu 1) -> -EINVAL (%ld)", rc);
	rc = evtchn_bind_virq(NR_VIRQS, 0, &p);
	check(rc == -XEN_EINVAL, "bind_virq(%d) -> -EINVAL (%ld)", NR_VIRQS, rc);
	rc = evtchn_send(virq);
	check(rc == -XEN_EINVAL, "send on a VIRQ port -> -EINVAL (%ld)", rc);
	rc = evtchn_bind_vcpu(virq, 0);
	check(rc == -XEN_EINVAL, "bind_vcpu of a per-vCPU VIRQ -> -EINVAL (%ld)",
	      rc);
	rc = evtchn_bind_vcpu(ipi, 0);
	check(rc == -XEN_EINVAL, "bind_vcpu of an IPI -> -EINVAL (%ld)", rc);

	/* A singleshot timer in the past raises VIRQ_TIMER at once. */
	rc = timer_set_singleshot(1, 0);
	check(rc == 0 && hits[virq] == 1, "VIRQ_TIMER delivered (%lu, rc %ld)",
	      hits[virq], rc);
}

static void test_poll(void)
{
	evtchn_port_t ipi = 0, tport = 0, bad = 4000;
	uint64_t t0, dt;
	long rc;

	evtchn_bind_ipi(0, &ipi);
	handle(ipi);
	evtchn_mask(ipi);
	evtchn_send(ipi);
	rc = sched_poll(&ipi, 1, 0);
	check(rc == 0 && hits[ipi] == 0,
	      "poll on a pending masked port returns at once (%ld)", rc);
	evtchn_clear_pending(ipi);

	t0 = pv_now();
	rc = sched_poll(&ipi, 1, t0 + 2000000);
	dt = pv_now() - t0;
	check(rc == 0 && dt >= 2000000 && dt < 50000000,
	      "poll timeout 2 ms: slept %lu us", dt / 1000);

	/* Xen's timeout is signed system time: top bit set = in the past. */
	t0 = pv_now();
	rc = sched_poll(&ipi, 1, 1ull << 63);
	dt = pv_now() - t0;
	check(rc == 0 && dt < 50000000,
	      "poll with a top-bit-set timeout returns at once (%lu us)",
	      dt / 1000);

	/* A masked VIRQ_TIMER port wakes the poller when the timer fires. */
	for (evtchn_port_t p = 1; p < 64; p++) {
		struct evtchn_status st;

		if (!evtchn_status(p, &st) && st.status == EVTCHNSTAT_virq &&
		    st.u.virq == VIRQ_TIMER)
			tport = p;
	}
	evtchn_mask(tport);
	t0 = pv_now();
	timer_set_singleshot(t0 + 1000000, 0);
	rc = sched_poll(&tport, 1, t0 + 1000000000);
	dt = pv_now() - t0;
	check(rc == 0 && evtchn_is_pending(tport) && dt >= 1000000 &&
	      dt < 100000000,
	      "masked timer port wakes poll after %lu us", dt / 1000);
	evtchn_clear_pending(tport);
	evtchn_unmask(tport);

	rc = sched_poll(&bad, 1, 0);
	check(rc == -XEN_EINVAL, "poll on a port that does not exist -> -EINVAL");
	rc = sched_poll((evtchn_port_t *)0x1000, 1, 0);
	check(rc == -XEN_EFAULT, "poll with a bad port array -> -EFAULT (%ld)", rc);
	{
		struct sched_poll p = { .nr_ports = 129 };

		rc = HYPERVISOR_sched_op(SCHEDOP_poll, &p);
		check(rc == -XEN_EINVAL, "poll on 129 ports -> -EINVAL (%ld)", rc);
	}

	/* SCHEDOP_block sleeps until the timer's upcall. */
	local_irq_disable();
	t0 = pv_now();
	timer_set_singleshot(t0 + 1000000, 0);
	rc = sched_block();
	dt = pv_now() - t0;
	check(rc == 0 && dt >= 1000000 && dt < 100000000 && !irqs_disabled(),
	      "block woke on the timer after %lu us", dt / 1000);
	evtchn_close(ipi);
}

static void test_errors(evtchn_port_t a, evtchn_port_t b)
{
	struct evtchn_status st;
	struct evtchn_alloc_unbound au = { .dom = 1234, .remote_dom = 0 };
	evtchn_port_t p;
	long rc;

	check(evtchn_send(0) == -XEN_EINVAL, "send(0) -> -EINVAL");
	check(evtchn_send(5000) == -XEN_EINVAL, "send(5000) -> -EINVAL");
	check(evtchn_close(0) == -XEN_EINVAL, "close(0) -> -EINVAL");
	check(evtchn_close(60) == -XEN_EINVAL, "close of a free port -> -EINVAL");
	check(evtchn_close(100000) == -XEN_EINVAL, "close(100000) -> -EINVAL");
	check(evtchn_status(70000, &st) == -XEN_EINVAL, "status(70000) -> -EINVAL");
	rc = evtchn_status(60, &st);
	check(rc == 0 && st.status == EVTCHNSTAT_closed,
	      "status of a free port: closed");
	check(evtchn_unmask_op(9999) == -XEN_EINVAL, "unmask(9999) -> -EINVAL");
	rc = evtchn_bind_interdomain(DOMID_SELF, a, &p);
	check(rc == -XEN_EINVAL, "bind to a bound port -> -EINVAL (%ld)", rc);
	rc = evtchn_bind_interdomain(DOMID_SELF, 0, &p);
	check(rc == -XEN_EINVAL, "bind to port 0 -> -EINVAL (%ld)", rc);
	rc = evtchn_bind_interdomain(0x7ff4, 1, &p);
	check(rc == -XEN_ESRCH, "bind to a domain that does not exist -> -ESRCH");
	rc = evtchn_alloc_unbound(0, &p);
	check(rc == 0, "alloc_unbound for dom0 -> %u", p);
	rc = evtchn_bind_interdomain(DOMID_SELF, p, &p);
	check(rc == -XEN_EINVAL, "bind to a port unbound for another domain");
	evtchn_close(p);
	rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &au);
	check(rc == -XEN_ESRCH, "alloc_unbound in domain 1234 -> -ESRCH (%ld)", rc);
	rc = HYPERVISOR_event_channel_op(EVTCHNOP_send, (void *)0x1000);
	check(rc == -XEN_EFAULT, "send with a bad pointer -> -EFAULT");
	rc = HYPERVISOR_event_channel_op(99, &au);
	check(rc == -XEN_ENOSYS, "unknown op -> -ENOSYS");
	/* FIFO ops that need FIFO (this test stays 2-level; see evtfifo). */
	{
		struct evtchn_expand_array ea = { .array_gfn = 1 };
		struct evtchn_set_priority sp = { .port = a, .priority = 1 };

		rc = HYPERVISOR_event_channel_op(EVTCHNOP_expand_array, &ea);
		check(rc == -XEN_EOPNOTSUPP,
		      "expand_array under 2-level -> -EOPNOTSUPP (%ld)", rc);
		rc = HYPERVISOR_event_channel_op(EVTCHNOP_set_priority, &sp);
		check(rc == -XEN_ENOSYS,
		      "set_priority under 2-level -> -ENOSYS (%ld)", rc);
	}
	rc = evtchn_bind_vcpu(a, 3);
	check(rc == -XEN_ENOENT, "bind_vcpu(vcpu 3) -> -ENOENT (%ld)", rc);
	rc = evtchn_bind_vcpu(a, 0);
	check(rc == 0, "bind_vcpu(interdomain, 0) -> 0");

	/* The legacy form: struct evtchn_op through hypercall 16. */
	{
		struct evtchn_op op = { .cmd = EVTCHNOP_bind_ipi };

		rc = pv_hypercall1(__HYPERVISOR_event_channel_op_compat, &op);
		check(rc == 0 && op.u.bind_ipi.port > 0,
		      "event_channel_op_compat(bind_ipi) -> %u",
		      op.u.bind_ipi.port);
		evtchn_close(op.u.bind_ipi.port);
		/* Only the ops up to unmask go through it, as in Xen. */
		op.cmd = EVTCHNOP_init_control;
		rc = pv_hypercall1(__HYPERVISOR_event_channel_op_compat, &op);
		check(rc == -XEN_ENOSYS,
		      "event_channel_op_compat(init_control) -> -ENOSYS (%ld)",
		      rc);
	}

	/* Closing one end of a pair leaves the other unbound. */
	rc = evtchn_close(b);
	check(rc == 0, "close(%u)", b);
	rc = evtchn_status(a, &st);
	check(rc == 0 && st.status == EVTCHNSTAT_unbound,
	      "peer %u is unbound again (status %u)", a, st.status);
	rc = evtchn_send(a);
	check(rc == 0, "send on an unbound port is dropped silently");
	check(evtchn_close(b) == -XEN_EINVAL, "double close -> -EINVAL");
	rc = evtchn_close(a);
	check(rc == 0, "close of an unbound port");
}

static void test_limit(void)
{
	static evtchn_port_t ports[MAX_PORT + 1];
	unsigned int n = 0;
	evtchn_port_t p, highest = 0;
	long rc;

	while ((rc = evtchn_bind_ipi(0, &p)) == 0 && n <= MAX_PORT) {
		ports[n++] = p;
		if (p > highest)
			highest = p;
	}
	check(rc == -XEN_ENOSPC && highest == MAX_PORT,
	      "ports run out at %u with -ENOSPC (%ld) after %u more", highest,
	      rc, n);
	for (unsigned int i = 0; i < n; i++)
		evtchn_close(ports[i]);
	rc = evtchn_bind_ipi(0, &p);
	check(rc == 0 && p < 16, "closed ports are reused (got %u)", p);
	evtchn_close(p);
}

static void test_reset(void)
{
	struct evtchn_reset r = { .dom = DOMID_SELF };
	struct evtchn_status st;
	evtchn_port_t p = 0, q = 0;
	long rc;

	evtchn_alloc_unbound(DOMID_SELF, &p);
	evtchn_bind_interdomain(DOMID_SELF, p, &q);
	rc = HYPERVISOR_event_channel_op(EVTCHNOP_reset, &r);
	check(rc == 0, "EVTCHNOP_reset(self) (%ld)", rc);
	rc = evtchn_status(q, &st);
	check(rc == 0 && st.status == EVTCHNSTAT_closed,
	      "after reset every port is closed");
	r.dom = 4321;
	rc = HYPERVISOR_event_channel_op(EVTCHNOP_reset, &r);
	check(rc == -XEN_ESRCH, "reset of another domain -> -ESRCH (%ld)", rc);
}

void guest_main(struct start_info *si)
{
	evtchn_port_t a = 0, b = 0;
	long rc;

	(void)si;
	test_start("events");
	rc = trap_init();
	if (!rc)
		rc = callbacks_init();
	if (!rc)
		rc = events_init();
	if (rc)
		test_fail("setup: %ld", rc);
	check(irqs_disabled(), "events start masked");

	test_loopback(&a, &b);
	test_masking(a, b);
	test_ipi_virq();
	test_poll();
	test_errors(a, b);
	test_limit();
	test_reset();
	test_end();
}
