/* SPDX-License-Identifier: MIT */
/*
 * Event channel logic (core/event_channel.c, core/evtchn_dom0.c) without
 * KVM: a domain's event state over a calloc'd shared_info, with hooks
 * that record kicks. Every error path Xen defines, the 2-level delivery
 * rules (contract §2.8), polling, limits, and the dom0 endpoints.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "pvisor/domain.h"
#include "pvisor/event_channel.h"
#include "pvisor/evtchn_dom0.h"

#define NVCPU	2

struct dom {
	struct evtchn_domain ed;
	struct shared_info *si;
	unsigned int kicks[NVCPU];
	bool no_vcpu_info;
};

static struct vcpu_info *t_vcpu_info(void *ctx, unsigned int vcpu)
{
	struct dom *d = ctx;

	assert_true(vcpu < NVCPU);
	return d->no_vcpu_info ? NULL : &d->si->vcpu_info[vcpu];
}

static void t_kick(void *ctx, unsigned int vcpu)
{
	struct dom *d = ctx;

	assert_true(vcpu < NVCPU);
	d->kicks[vcpu]++;
}

static const struct evtchn_hooks hooks = {
	.vcpu_info = t_vcpu_info,
	.kick = t_kick,
};

static struct dom *dom_new(domid_t id, unsigned int max_port, bool reg)
{
	struct dom *d = calloc(1, sizeof(*d));

	d->si = calloc(1, sizeof(*d->si));
	for (unsigned int i = 0; i < XEN_LEGACY_MAX_VCPUS; i++)
		d->si->vcpu_info[i].evtchn_upcall_mask = 1;
	assert_int_equal(evtchn_domain_init(&d->ed, id, d->si, NVCPU, max_port,
					    &hooks, d), 0);
	if (reg)
		assert_int_equal(evtchn_domain_register(&d->ed), 0);
	return d;
}

static void dom_free(struct dom *d)
{
	evtchn_domain_fini(&d->ed);
	free(d->si);
	free(d);
}

static bool pending(struct dom *d, evtchn_port_t p)
{
	return d->si->evtchn_pending[p / 64] & (1ull << (p % 64));
}

static void set_mask(struct dom *d, evtchn_port_t p, bool on)
{
	if (on)
		d->si->evtchn_mask[p / 64] |= 1ull << (p % 64);
	else
		d->si->evtchn_mask[p / 64] &= ~(1ull << (p % 64));
}

/* What the guest's upcall handler does: consume everything. */
static void ack(struct dom *d, unsigned int vcpu)
{
	d->si->vcpu_info[vcpu].evtchn_upcall_pending = 0;
	d->si->vcpu_info[vcpu].evtchn_pending_sel = 0;
	memset(d->si->evtchn_pending, 0, sizeof(d->si->evtchn_pending));
}

static int setup(void **state)
{
	*state = dom_new(11, 0, true);
	return 0;
}

static int teardown(void **state)
{
	dom_free(*state);
	return 0;
}

/* ---------------------------------------------------------------------- */

static void test_port0_reserved(void **state)
{
	struct dom *d = *state;
	struct evtchn_status st;

	assert_int_equal(evtchn_close(&d->ed, 0), -EINVAL);
	assert_int_equal(evtchn_send(&d->ed, 0), -EINVAL);
	assert_int_equal(evtchn_status(&d->ed, 0, &st), 0);
	assert_int_equal(st.status, EVTCHNSTAT_closed);
	assert_int_equal(evtchn_unmask(&d->ed, 0), 0);
	assert_int_equal(evtchn_poll_port(&d->ed, 0), -EINVAL);
	assert_int_equal(evtchn_alloc_unbound(&d->ed, 0), 1);
	assert_int_equal(evtchn_bind_vcpu(&d->ed, 0, 0), -EINVAL);
}

static void test_alloc_unbound_status(void **state)
{
	struct dom *d = *state;
	struct evtchn_status st;
	int p = evtchn_alloc_unbound(&d->ed, DOMID_SELF);

	assert_int_equal(p, 1);
	assert_int_equal(evtchn_status(&d->ed, p, &st), 0);
	assert_int_equal(st.status, EVTCHNSTAT_unbound);
	assert_int_equal(st.u.unbound.dom, 11);	/* DOMID_SELF resolved */
	assert_int_equal(st.vcpu, 0);
	p = evtchn_alloc_unbound(&d->ed, 7);
	assert_int_equal(p, 2);
	evtchn_status(&d->ed, p, &st);
	assert_int_equal(st.u.unbound.dom, 7);
	/* Sending on an unbound port is dropped without error. */
	assert_int_equal(evtchn_send(&d->ed, p), 0);
	assert_false(pending(d, p));
	assert_int_equal(d->kicks[0], 0);
}

static void test_loopback(void **state)
{
	struct dom *d = *state;
	struct evtchn_status st;
	struct vcpu_info *vi = &d->si->vcpu_info[0];
	int a = evtchn_alloc_unbound(&d->ed, DOMID_SELF);
	int b = evtchn_bind_interdomain(&d->ed, DOMID_SELF, a);

	assert_int_equal(a, 1);
	assert_int_equal(b, 2);
	/* The new local port is made pending, as Xen does. */
	assert_true(pending(d, b));
	assert_true(vi->evtchn_upcall_pending);
	assert_int_equal(vi->evtchn_pending_sel, 1);
	assert_int_equal(d->kicks[0], 1);
	evtchn_status(&d->ed, a, &st);
	assert_int_equal(st.status, EVTCHNSTAT_interdomain);
	assert_int_equal(st.u.interdomain.dom, 11);
	assert_int_equal(st.u.interdomain.port, b);
	evtchn_status(&d->ed, b, &st);
	assert_int_equal(st.u.interdomain.port, a);
	ack(d, 0);

	assert_int_equal(evtchn_send(&d->ed, a), 0);
	assert_true(pending(d, b));
	assert_false(pending(d, a));
	assert_int_equal(d->kicks[0], 2);
	assert_int_equal(evtchn_send(&d->ed, b), 0);
	assert_true(pending(d, a));
	/* Upcall already pending: no second kick. */
	assert_int_equal(d->kicks[0], 2);
}

static void test_bind_interdomain_errors(void **state)
{
	struct dom *d = *state;
	int a = evtchn_alloc_unbound(&d->ed, DOMID_SELF);
	int other = evtchn_alloc_unbound(&d->ed, 99);
	int ipi = evtchn_bind_ipi(&d->ed, 0);

	assert_int_equal(evtchn_bind_interdomain(&d->ed, 0x7ff4, a), -ESRCH);
	assert_int_equal(evtchn_bind_interdomain(&d->ed, 12345, a), -ESRCH);
	assert_int_equal(evtchn_bind_interdomain(&d->ed, DOMID_SELF, 0),
			 -EINVAL);
	assert_int_equal(evtchn_bind_interdomain(&d->ed, DOMID_SELF, 40),
			 -EINVAL);	/* free */
	assert_int_equal(evtchn_bind_interdomain(&d->ed, DOMID_SELF, 4000),
			 -EINVAL);	/* no storage */
	assert_int_equal(evtchn_bind_interdomain(&d->ed, DOMID_SELF, other),
			 -EINVAL);	/* unbound for domain 99 */
	assert_int_equal(evtchn_bind_interdomain(&d->ed, DOMID_SELF, ipi),
			 -EINVAL);	/* not unbound */
	/* Failed binds did not use up ports. */
	assert_int_equal(evtchn_bind_interdomain(&d->ed, 11, a), ipi + 1);
	/* Binding twice to the same remote port fails. */
	assert_int_equal(evtchn_bind_interdomain(&d->ed, 11, a), -EINVAL);
}

static void test_cross_domain(void **state)
{
	struct dom *d1 = *state, *d2 = dom_new(12, 0, true);
	struct evtchn_status st;
	int p1 = evtchn_alloc_unbound(&d1->ed, 12);
	int p2;

	/* Domain 13 may not bind a port offered to 12. */
	struct dom *d3 = dom_new(13, 0, true);

	assert_int_equal(evtchn_bind_interdomain(&d3->ed, 11, p1), -EINVAL);
	p2 = evtchn_bind_interdomain(&d2->ed, 11, p1);
	assert_int_equal(p2, 1);
	ack(d2, 0);
	assert_int_equal(evtchn_send(&d1->ed, p1), 0);
	assert_true(pending(d2, p2));
	assert_false(pending(d1, p1));
	assert_int_equal(d2->kicks[0], 2);	/* bind + send */
	assert_int_equal(evtchn_send(&d2->ed, p2), 0);
	assert_true(pending(d1, p1));

	/* Closing one end leaves the other unbound, offered back. */
	assert_int_equal(evtchn_close(&d1->ed, p1), 0);
	assert_false(pending(d1, p1));	/* close clears pending */
	evtchn_status(&d2->ed, p2, &st);
	assert_int_equal(st.status, EVTCHNSTAT_unbound);
	assert_int_equal(st.u.unbound.dom, 11);
	assert_int_equal(evtchn_send(&d2->ed, p2), 0);	/* dropped */
	/* d1 can bind to it again. */
	p1 = evtchn_bind_interdomain(&d1->ed, 12, p2);
	assert_true(p1 > 0);

	/* A dying domain's ports are closed; peers become unbound. */
	dom_free(d2);
	evtchn_status(&d1->ed, p1, &st);
	assert_int_equal(st.status, EVTCHNSTAT_unbound);
	assert_int_equal(st.u.unbound.dom, 12);
	assert_false(evtchn_domain_exists(12));
	assert_true(evtchn_domain_exists(11));
	dom_free(d3);
}

static void test_register_twice(void **state)
{
	struct dom *d = *state, *dup = dom_new(11, 0, false);

	assert_int_equal(evtchn_domain_register(&dup->ed), -EEXIST);
	dom_free(dup);
	(void)d;
}

static void test_ipi_delivery(void **state)
{
	struct dom *d = *state;
	struct vcpu_info *v1 = &d->si->vcpu_info[1];
	int p;

	assert_int_equal(evtchn_bind_ipi(&d->ed, 2), -ENOENT);
	assert_int_equal(evtchn_bind_ipi(&d->ed, 1u << 31), -ENOENT);
	p = evtchn_bind_ipi(&d->ed, 1);
	assert_true(p > 0);
	assert_int_equal(evtchn_send(&d->ed, p), 0);
	assert_true(pending(d, p));
	assert_int_equal(v1->evtchn_pending_sel, 1ull << (p / 64));
	assert_true(v1->evtchn_upcall_pending);
	assert_int_equal(d->kicks[1], 1);
	assert_int_equal(d->kicks[0], 0);
	/* Still pending: a second send changes nothing. */
	assert_int_equal(evtchn_send(&d->ed, p), 0);
	assert_int_equal(d->kicks[1], 1);
	/* Pending cleared but selector still set: no new kick either. */
	d->si->evtchn_pending[0] = 0;
	assert_int_equal(evtchn_send(&d->ed, p), 0);
	assert_int_equal(d->kicks[1], 1);
	/* All consumed: the next send kicks again. */
	ack(d, 1);
	assert_int_equal(evtchn_send(&d->ed, p), 0);
	assert_int_equal(d->kicks[1], 2);
}

static void test_masked_delivery_and_unmask(void **state)
{
	struct dom *d = *state;
	struct vcpu_info *vi = &d->si->vcpu_info[0];
	int p = evtchn_bind_ipi(&d->ed, 0);

	set_mask(d, p, true);
	assert_int_equal(evtchn_send(&d->ed, p), 0);
	assert_true(pending(d, p));
	assert_int_equal(vi->evtchn_pending_sel, 0);
	assert_false(vi->evtchn_upcall_pending);
	assert_int_equal(d->kicks[0], 0);

	/* Unmasking a pending port raises the upcall. */
	assert_int_equal(evtchn_unmask(&d->ed, p), 0);
	assert_false(d->si->evtchn_mask[0] & (1ull << p));
	assert_true(vi->evtchn_upcall_pending);
	assert_int_equal(d->kicks[0], 1);
	/* Unmasking again does nothing more. */
	assert_int_equal(evtchn_unmask(&d->ed, p), 0);
	assert_int_equal(d->kicks[0], 1);
	/* Unmasking a port that is not pending only clears the mask. */
	ack(d, 0);
	set_mask(d, p, true);
	assert_int_equal(evtchn_unmask(&d->ed, p), 0);
	assert_false(vi->evtchn_upcall_pending);
	assert_int_equal(d->kicks[0], 1);
	/* Bad ports. */
	assert_int_equal(evtchn_unmask(&d->ed, 64), -EINVAL);
	assert_int_equal(evtchn_unmask(&d->ed, 0xffffffff), -EINVAL);
	/* A free port's mask bit is left alone. */
	set_mask(d, 30, true);
	assert_int_equal(evtchn_unmask(&d->ed, 30), 0);
	assert_true(d->si->evtchn_mask[0] & (1ull << 30));
}

static void test_upcall_mask_does_not_gate_kick(void **state)
{
	struct dom *d = *state;
	int p = evtchn_bind_ipi(&d->ed, 0);

	/* vcpu_info's mask is the vCPU's IF: pending is still raised. */
	d->si->vcpu_info[0].evtchn_upcall_mask = 1;
	assert_int_equal(evtchn_send(&d->ed, p), 0);
	assert_true(d->si->vcpu_info[0].evtchn_upcall_pending);
	assert_int_equal(d->kicks[0], 1);
}

static void test_bind_virq(void **state)
{
	struct dom *d = *state;
	struct evtchn_status st;
	int t0, t1, dbg;

	assert_int_equal(evtchn_bind_virq(&d->ed, NR_VIRQS, 0), -EINVAL);
	assert_int_equal(evtchn_bind_virq(&d->ed, 0xffffffff, 0), -EINVAL);
	assert_int_equal(evtchn_bind_virq(&d->ed, VIRQ_TIMER, 2), -ENOENT);
	assert_int_equal(evtchn_bind_virq(&d->ed, VIRQ_ARGO, 1), -EINVAL);
	assert_int_equal(evtchn_bind_virq(&d->ed, VIRQ_CONSOLE, 1), -EINVAL);
	assert_int_equal(evtchn_bind_virq(&d->ed, VIRQ_CONSOLE, 0), -EBUSY);
	assert_int_equal(evtchn_bind_virq(&d->ed, VIRQ_DOM_EXC, 0), -EBUSY);
	assert_int_equal(evtchn_bind_virq(&d->ed, VIRQ_ARCH_0, 0), -EBUSY);

	t0 = evtchn_bind_virq(&d->ed, VIRQ_TIMER, 0);
	t1 = evtchn_bind_virq(&d->ed, VIRQ_TIMER, 1);
	dbg = evtchn_bind_virq(&d->ed, VIRQ_DEBUG, 1);
	assert_true(t0 > 0 && t1 > 0 && dbg > 0);
	assert_int_equal(evtchn_bind_virq(&d->ed, VIRQ_TIMER, 0), -EEXIST);
	assert_true(evtchn_virq_bound(&d->ed, 1, VIRQ_TIMER));
	assert_false(evtchn_virq_bound(&d->ed, 0, VIRQ_DEBUG));
	evtchn_status(&d->ed, t1, &st);
	assert_int_equal(st.status, EVTCHNSTAT_virq);
	assert_int_equal(st.u.virq, VIRQ_TIMER);
	assert_int_equal(st.vcpu, 1);

	/* VIRQs are raised by the hypervisor, not sent by the guest. */
	assert_int_equal(evtchn_send(&d->ed, t0), -EINVAL);
	evtchn_send_virq(&d->ed, 1, VIRQ_TIMER);
	assert_true(pending(d, t1));
	assert_false(pending(d, t0));
	assert_int_equal(d->kicks[1], 1);
	evtchn_send_virq(&d->ed, 0, VIRQ_DEBUG);	/* not bound on 0 */
	evtchn_send_virq(&d->ed, 5, VIRQ_TIMER);	/* no such vCPU */
	evtchn_send_virq(&d->ed, 0, NR_VIRQS);
	assert_int_equal(d->kicks[0], 0);

	/* Closing unbinds; the VIRQ can be bound again. */
	assert_int_equal(evtchn_close(&d->ed, t0), 0);
	assert_false(evtchn_virq_bound(&d->ed, 0, VIRQ_TIMER));
	evtchn_send_virq(&d->ed, 0, VIRQ_TIMER);
	assert_int_equal(d->kicks[0], 0);
	assert_int_equal(evtchn_bind_virq(&d->ed, VIRQ_TIMER, 0), t0);
}

static void test_domain_virq_follows_bind_vcpu(void **state)
{
	struct dom *d = *state;
	int p = evtchn_bind_virq(&d->ed, VIRQ_ARGO, 0);

	assert_true(p > 0);
	assert_int_equal(evtchn_bind_vcpu(&d->ed, p, 1), 0);
	/* A domain VIRQ is raised at vCPU0's binding, delivered to 1. */
	evtchn_send_virq(&d->ed, 0, VIRQ_ARGO);
	assert_int_equal(d->kicks[1], 1);
	assert_int_equal(d->kicks[0], 0);
	assert_int_equal(evtchn_close(&d->ed, p), 0);
	assert_int_equal(evtchn_bind_virq(&d->ed, VIRQ_ARGO, 0), p);
}

static void test_bind_vcpu(void **state)
{
	struct dom *d = *state;
	struct evtchn_status st;
	int ub = evtchn_alloc_unbound(&d->ed, DOMID_SELF);
	int ipi = evtchn_bind_ipi(&d->ed, 0);
	int virq = evtchn_bind_virq(&d->ed, VIRQ_TIMER, 0);
	int ib;

	assert_int_equal(evtchn_bind_vcpu(&d->ed, ub, 2), -ENOENT);
	assert_int_equal(evtchn_bind_vcpu(&d->ed, 999, 1), -EINVAL);
	assert_int_equal(evtchn_bind_vcpu(&d->ed, 63, 1), -EINVAL); /* free */
	assert_int_equal(evtchn_bind_vcpu(&d->ed, ipi, 1), -EINVAL);
	assert_int_equal(evtchn_bind_vcpu(&d->ed, virq, 1), -EINVAL);
	assert_int_equal(evtchn_bind_vcpu(&d->ed, ub, 1), 0);
	evtchn_status(&d->ed, ub, &st);
	assert_int_equal(st.vcpu, 1);
	/* The binding keeps the vCPU; the new local port starts on 0. */
	ib = evtchn_bind_interdomain(&d->ed, DOMID_SELF, ub);
	assert_int_equal(d->kicks[0], 1);
	ack(d, 0);
	assert_int_equal(evtchn_send(&d->ed, ib), 0);
	assert_int_equal(d->kicks[1], 1);
	assert_int_equal(evtchn_bind_vcpu(&d->ed, ib, 1), 0);
	assert_int_equal(evtchn_send(&d->ed, ub), 0);
	assert_int_equal(d->kicks[1], 1);	/* vCPU1's upcall still pending */
	assert_int_equal(d->si->vcpu_info[1].evtchn_pending_sel, 1);
}

static void test_close(void **state)
{
	struct dom *d = *state;
	int p = evtchn_bind_ipi(&d->ed, 0);

	assert_int_equal(evtchn_close(&d->ed, 0), -EINVAL);
	assert_int_equal(evtchn_close(&d->ed, 50), -EINVAL);	/* free */
	assert_int_equal(evtchn_close(&d->ed, 64), -EINVAL);	/* no storage */
	assert_int_equal(evtchn_close(&d->ed, 0x80000000u), -EINVAL);
	set_mask(d, p, true);
	evtchn_send(&d->ed, p);
	assert_true(pending(d, p));
	assert_int_equal(evtchn_close(&d->ed, p), 0);
	assert_false(pending(d, p));
	assert_int_equal(evtchn_close(&d->ed, p), -EINVAL);
	assert_int_equal(evtchn_send(&d->ed, p), -EINVAL);
	/* The lowest free port comes back first. */
	assert_int_equal(evtchn_bind_ipi(&d->ed, 1), p);
}

static void test_limits(void **state)
{
	struct dom *d = dom_new(20, 100, false);
	struct evtchn_status st;
	int p = 0;

	(void)state;
	for (int i = 1; i <= 100; i++) {
		p = evtchn_bind_ipi(&d->ed, 0);
		assert_int_equal(p, i);
	}
	assert_int_equal(evtchn_bind_ipi(&d->ed, 0), -ENOSPC);
	assert_int_equal(evtchn_alloc_unbound(&d->ed, 0), -ENOSPC);
	assert_int_equal(evtchn_bind_virq(&d->ed, VIRQ_TIMER, 0), -ENOSPC);
	assert_int_equal(evtchn_bind_interdomain(&d->ed, DOMID_SELF, 5),
			 -ENOSPC);
	/* Storage comes in buckets of 64: port 120 exists, 128 does not. */
	assert_int_equal(evtchn_status(&d->ed, 120, &st), 0);
	assert_int_equal(st.status, EVTCHNSTAT_closed);
	assert_int_equal(evtchn_status(&d->ed, 128, &st), -EINVAL);
	assert_int_equal(evtchn_unmask(&d->ed, 127), 0);
	assert_int_equal(evtchn_unmask(&d->ed, 128), -EINVAL);
	assert_int_equal(evtchn_close(&d->ed, 77), 0);
	assert_int_equal(evtchn_bind_ipi(&d->ed, 0), 77);
	dom_free(d);

	/* 2-level caps any request at port 4095; 0 means xl's 1023. */
	d = dom_new(21, 100000, false);
	assert_int_equal(d->ed.max_port, 4095);
	dom_free(d);
	d = dom_new(22, 0, false);
	assert_int_equal(d->ed.max_port, CONFIG_EVTCHN_MAX_PORT);
	for (int i = 1; i <= CONFIG_EVTCHN_MAX_PORT; i++)
		assert_int_equal(evtchn_alloc_unbound(&d->ed, 0), i);
	assert_int_equal(evtchn_alloc_unbound(&d->ed, 0), -ENOSPC);
	dom_free(d);
}

static void test_init_errors(void **state)
{
	struct evtchn_domain ed;
	struct shared_info si;

	(void)state;
	assert_int_equal(evtchn_domain_init(&ed, 1, &si, 0, 0, &hooks, NULL),
			 -EINVAL);
	assert_int_equal(evtchn_domain_init(&ed, 1, &si, 1, 0, NULL, NULL),
			 -EINVAL);
	assert_int_equal(evtchn_domain_init(&ed, 1, &si, EVTCHN_MAX_VCPUS + 1,
					    0, &hooks, NULL), -EINVAL);
}

static void test_poll(void **state)
{
	struct dom *d = *state;
	int a = evtchn_bind_ipi(&d->ed, 0);
	int b = evtchn_bind_ipi(&d->ed, 0);

	assert_int_equal(evtchn_poll_port(&d->ed, 60), -EINVAL);	/* free */
	assert_int_equal(evtchn_poll_port(&d->ed, 6000), -EINVAL);
	assert_int_equal(evtchn_poll_port(&d->ed, a), 0);

	/* vCPU1 polls port a; both ports masked. */
	set_mask(d, a, true);
	set_mask(d, b, true);
	evtchn_poll_arm(&d->ed, 1, a);
	assert_true(evtchn_poll_armed(&d->ed, 1));
	evtchn_send(&d->ed, b);
	assert_int_equal(d->kicks[1], 0);	/* not the polled port */
	assert_true(evtchn_poll_armed(&d->ed, 1));
	evtchn_send(&d->ed, a);
	assert_int_equal(d->kicks[1], 1);	/* masked, but polled */
	assert_false(evtchn_poll_armed(&d->ed, 1));
	assert_int_equal(evtchn_poll_port(&d->ed, a), 1);

	/* Polling "any port" (several ports): any port becoming pending. */
	ack(d, 0);
	evtchn_poll_arm(&d->ed, 1, 0);
	evtchn_send(&d->ed, b);
	assert_int_equal(d->kicks[1], 2);
	/* Disarmed: no more kicks. */
	ack(d, 0);
	evtchn_poll_arm(&d->ed, 1, 0);
	evtchn_poll_disarm(&d->ed, 1);
	evtchn_send(&d->ed, b);
	assert_int_equal(d->kicks[1], 2);
	/* Out-of-range vCPUs are ignored. */
	evtchn_poll_arm(&d->ed, EVTCHN_MAX_VCPUS, 1);
	evtchn_poll_disarm(&d->ed, EVTCHN_MAX_VCPUS);
	assert_false(evtchn_poll_armed(&d->ed, EVTCHN_MAX_VCPUS));
}

static void test_reset(void **state)
{
	struct dom *d = *state;
	struct evtchn_status st;
	int a = evtchn_alloc_unbound(&d->ed, DOMID_SELF);
	int b = evtchn_bind_interdomain(&d->ed, DOMID_SELF, a);
	int v = evtchn_bind_virq(&d->ed, VIRQ_TIMER, 1);

	assert_int_equal(evtchn_reset(&d->ed), 0);
	for (int p = 1; p < 64; p++) {
		assert_int_equal(evtchn_status(&d->ed, p, &st), 0);
		assert_int_equal(st.status, EVTCHNSTAT_closed);
	}
	assert_int_equal(d->ed.active, 0);
	assert_int_equal(evtchn_bind_virq(&d->ed, VIRQ_TIMER, 1), 1);
	(void)b;
	(void)v;
}

static void test_vcpu_info_moved(void **state)
{
	struct dom *d = *state;
	struct vcpu_info *vi = &d->si->vcpu_info[1];

	evtchn_vcpu_info_moved(&d->ed, 1);
	assert_int_equal(vi->evtchn_pending_sel, ~0ull);
	assert_true(vi->evtchn_upcall_pending);
	assert_int_equal(d->kicks[1], 1);
	evtchn_vcpu_info_moved(&d->ed, 9);	/* ignored */
}

static void test_no_vcpu_info(void **state)
{
	struct dom *d = *state;
	int p = evtchn_bind_ipi(&d->ed, 0);

	d->no_vcpu_info = true;
	assert_int_equal(evtchn_send(&d->ed, p), 0);
	assert_true(pending(d, p));
	assert_int_equal(d->kicks[0], 0);
	d->no_vcpu_info = false;
}

/* A guest may scribble anything over its bitmaps and vcpu_info. */
static void test_hostile_shared_info(void **state)
{
	struct dom *d = *state;
	int p = evtchn_bind_ipi(&d->ed, 1);

	memset(d->si, 0xff, sizeof(*d->si));
	assert_int_equal(evtchn_send(&d->ed, p), 0);
	assert_int_equal(evtchn_unmask(&d->ed, p), 0);
	assert_int_equal(evtchn_poll_port(&d->ed, p), 1);
	evtchn_vcpu_info_moved(&d->ed, 1);
	memset(d->si, 0, sizeof(*d->si));
	assert_int_equal(evtchn_send(&d->ed, p), 0);
	assert_int_equal(d->kicks[1], 2);
}

/* -------------------------------------------------------- dom0 side */

static bool fd_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, timeout_ms) == 1;
}

static struct domain *fake_domain(struct dom *d)
{
	struct domain *dom = calloc(1, sizeof(*dom));

	/* evtchn_dom0_* only need the id and the event state. */
	dom->id = d->ed.domid;
	memcpy(&dom->evtchn, &d->ed, sizeof(d->ed));
	return dom;
}

static void test_dom0_channel(void **state)
{
	struct dom *d = dom_new(30, 0, false);
	struct domain *dom = fake_domain(d);
	struct evtchn_dom0_chan ch;
	struct evtchn_status st;
	uint64_t count;

	(void)state;
	/* The copy in struct domain is the one registered and used. */
	assert_int_equal(evtchn_domain_register(&dom->evtchn), 0);
	assert_int_equal(evtchn_dom0_alloc(dom, &ch), 0);
	assert_true(ch.guest_port > 0 && ch.dom0_port > 0);
	assert_int_equal(ch.domid, 30);
	evtchn_status(&dom->evtchn, ch.guest_port, &st);
	assert_int_equal(st.status, EVTCHNSTAT_interdomain);
	assert_int_equal(st.u.interdomain.dom, 0);
	assert_int_equal(st.u.interdomain.port, ch.dom0_port);
	/* The bind itself left one notification, as Xen does. */
	assert_true(fd_readable(ch.notify_fd, 0));
	assert_int_equal(read(ch.notify_fd, &count, 8), 8);
	assert_false(fd_readable(ch.notify_fd, 0));

	/* Guest -> dom0. */
	assert_int_equal(evtchn_send(&dom->evtchn, ch.guest_port), 0);
	assert_true(fd_readable(ch.notify_fd, 0));
	assert_int_equal(read(ch.notify_fd, &count, 8), 8);
	assert_int_equal(count, 1);

	/* Dom0 -> guest, three ways. */
	assert_int_equal(evtchn_dom0_send(ch.dom0_port), 0);
	assert_true(pending(d, ch.guest_port));
	ack(d, 0);
	assert_int_equal(evtchn_dom0_notify(dom, ch.guest_port), 0);
	assert_true(pending(d, ch.guest_port));
	ack(d, 0);
	count = 1;
	assert_int_equal(write(ch.kick_fd, &count, 8), 8);
	for (int i = 0; i < 1000 && !pending(d, ch.guest_port); i++)
		usleep(1000);
	assert_true(pending(d, ch.guest_port));
	assert_int_equal(evtchn_dom0_notify(dom, 77), -EINVAL);

	/* A guest port for a frontend, bound later by a backend. */
	{
		evtchn_port_t gp;
		struct evtchn_dom0_chan be;
		int mine = evtchn_alloc_unbound(&dom->evtchn, DOMID_SELF);

		assert_int_equal(evtchn_dom0_alloc_unbound(dom, &gp), 0);
		assert_int_equal(evtchn_dom0_bind(30, gp, &be), 0);
		assert_int_equal(evtchn_dom0_bind(30, gp, &be), -EINVAL);
		assert_int_equal(evtchn_dom0_bind(30, mine, &be), -EINVAL);
		assert_int_equal(evtchn_dom0_bind(31, gp, &be), -ESRCH);
		assert_int_equal(evtchn_dom0_bind(0, gp, &be), -EINVAL);
		/* The guest closes its end: dom0's becomes unbound. */
		assert_int_equal(evtchn_close(&dom->evtchn, gp), 0);
		assert_int_equal(evtchn_dom0_send(be.dom0_port), 0);
		assert_int_equal(evtchn_dom0_close(be.dom0_port), 0);
		assert_int_equal(evtchn_dom0_close(be.dom0_port), -EINVAL);
		assert_int_equal(evtchn_dom0_close(1u << 30), -EINVAL);
	}

	/* Dom0 closes: the guest's end is unbound for dom0 again. */
	assert_int_equal(evtchn_dom0_close(ch.dom0_port), 0);
	evtchn_status(&dom->evtchn, ch.guest_port, &st);
	assert_int_equal(st.status, EVTCHNSTAT_unbound);
	assert_int_equal(st.u.unbound.dom, 0);
	assert_int_equal(evtchn_dom0_bind(30, ch.guest_port, &ch), 0);
	/* The guest domain dies with the channel bound. */
	evtchn_domain_fini(&dom->evtchn);
	assert_int_equal(evtchn_dom0_send(ch.dom0_port), 0);	/* dropped */
	assert_int_equal(evtchn_dom0_close(ch.dom0_port), 0);
	free(dom);
	d->ed.buckets = NULL;	/* already freed through the copy */
	dom_free(d);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_port0_reserved),
		T(test_alloc_unbound_status),
		T(test_loopback),
		T(test_bind_interdomain_errors),
		T(test_cross_domain),
		T(test_register_twice),
		T(test_ipi_delivery),
		T(test_masked_delivery_and_unmask),
		T(test_upcall_mask_does_not_gate_kick),
		T(test_bind_virq),
		T(test_domain_virq_follows_bind_vcpu),
		T(test_bind_vcpu),
		T(test_close),
		T(test_limits),
		T(test_init_errors),
		T(test_poll),
		T(test_reset),
		T(test_vcpu_info_moved),
		T(test_no_vcpu_info),
		T(test_hostile_shared_info),
		T(test_dom0_channel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
