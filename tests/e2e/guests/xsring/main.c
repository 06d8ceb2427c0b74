/* SPDX-License-Identifier: MIT */
/*
 * xsring: a guest of the toolstack's guest-facing services. It writes to
 * its PV console ring, talks xs_wire on its xenstore ring (read its name,
 * write a node, watch control/shutdown), echoes console input, and powers
 * off when the toolstack writes "poweroff" to control/shutdown — the way
 * Linux's xenbus and hvc drivers use the same pages.
 */
#include <pvabi/io/console.h>
#include <pvabi/io/xs_wire.h>
#include <pvabi/sched.h>

#include <pvguest/events.h>
#include <pvguest/pvguest.h>

#define VIRT_BASE 0xffffffff80000000ul

static struct xenstore_domain_interface *xs;
static struct xencons_interface *con;
static evtchn_port_t xs_port, con_port;

static long notify(evtchn_port_t port)
{
	struct evtchn_send send = { .port = port };

	return HYPERVISOR_event_channel_op(EVTCHNOP_send, &send);
}

static void con_write(const char *s)
{
	size_t n = strlen(s);
	XENCONS_RING_IDX prod = con->out_prod;

	for (size_t i = 0; i < n; i++) {
		while (prod - __atomic_load_n(&con->out_cons, __ATOMIC_ACQUIRE) >=
		       sizeof(con->out))
			HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
		con->out[MASK_XENCONS_IDX(prod++, con->out)] = s[i];
	}
	__atomic_store_n(&con->out_prod, prod, __ATOMIC_RELEASE);
	notify(con_port);
}

static void xs_put(const void *data, size_t len)
{
	const char *p = data;
	XENSTORE_RING_IDX prod = xs->req_prod;

	for (size_t i = 0; i < len; i++) {
		while (prod - __atomic_load_n(&xs->req_cons, __ATOMIC_ACQUIRE) >=
		       XENSTORE_RING_SIZE)
			HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
		xs->req[MASK_XENSTORE_IDX(prod++)] = p[i];
	}
	__atomic_store_n(&xs->req_prod, prod, __ATOMIC_RELEASE);
}

static bool xs_avail(size_t n)
{
	return __atomic_load_n(&xs->rsp_prod, __ATOMIC_ACQUIRE) - xs->rsp_cons >= n;
}

static void xs_get(void *data, size_t len)
{
	char *p = data;

	while (!xs_avail(len))
		HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	for (size_t i = 0; i < len; i++)
		p[i] = xs->rsp[MASK_XENSTORE_IDX(xs->rsp_cons++)];
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	notify(xs_port);
}

/* One request and its reply; watch events that arrive first are noted. */
static uint32_t last_event;
static int xs_call(uint32_t type, const char *a, const char *b, char *out,
		   size_t cap)
{
	struct xsd_sockmsg h = { .type = type, .req_id = 7 };
	/* A written value has no NUL; a watch token does. */
	size_t la = strlen(a) + 1,
	       lb = b ? strlen(b) + (type == XS_WATCH) : 0;
	char body[XENSTORE_PAYLOAD_MAX + 1];

	h.len = la + lb;
	xs_put(&h, sizeof(h));
	xs_put(a, la);
	if (b)
		xs_put(b, lb);
	notify(xs_port);
	for (;;) {
		xs_get(&h, sizeof(h));
		if (h.len > XENSTORE_PAYLOAD_MAX)
			test_fail("xenstore reply of %u bytes", h.len);
		xs_get(body, h.len);
		body[h.len] = '\0';
		if (h.type == XS_WATCH_EVENT) {
			last_event++;
			continue;
		}
		if (h.type == XS_ERROR)
			return -1;
		if (out) {
			size_t n = h.len < cap - 1 ? h.len : cap - 1;

			memcpy(out, body, n);
			out[n] = '\0';
		}
		return 0;
	}
}

void guest_main(struct start_info *si)
{
	char name[64], line[128], val[64];
	size_t ll = 0;

	xs = (void *)(VIRT_BASE + (si->store_mfn << 12));
	con = (void *)(VIRT_BASE + (si->console.domU.mfn << 12));
	xs_port = si->store_evtchn;
	con_port = si->console.domU.evtchn;
	if (!xs_port || !con_port)
		test_fail("no xenstore or console event channel in start_info");
	if (events_init())
		test_fail("cannot map shared_info");
	evtchn_mask(xs_port);
	evtchn_mask(con_port);

	con_write("xsring: hello via the console ring\n");
	if (xs_call(XS_READ, "name", NULL, name, sizeof(name)))
		test_fail("xenstore read of 'name' failed");
	snprintf(line, sizeof(line), "xsring: my name is %s\n", name);
	con_write(line);
	if (xs_call(XS_WRITE, "data/greeting", "hi", NULL, 0))
		test_fail("xenstore write of data/greeting failed");
	if (xs_call(XS_WATCH, "control/shutdown", "t", NULL, 0))
		test_fail("xenstore watch failed");
	con_write("xsring: ready\n");

	for (;;) {
		struct xsd_sockmsg h;
		char body[XENSTORE_PAYLOAD_MAX + 1];

		/* Console input: echo each line back. */
		while (con->in_cons != __atomic_load_n(&con->in_prod,
						       __ATOMIC_ACQUIRE)) {
			char c = con->in[MASK_XENCONS_IDX(con->in_cons, con->in)];

			__atomic_store_n(&con->in_cons, con->in_cons + 1,
					 __ATOMIC_RELEASE);
			if (c == '\r' || c == '\n' || ll == sizeof(line) - 8) {
				line[ll] = '\0';
				if (ll) {
					char msg[160];

					snprintf(msg, sizeof(msg),
						 "xsring: got '%s'\n", line);
					con_write(msg);
				}
				ll = 0;
			} else {
				line[ll++] = c;
			}
		}
		/* Watch events on control/shutdown. */
		if (xs_avail(sizeof(h)) || last_event) {
			if (!last_event) {
				xs_get(&h, sizeof(h));
				if (h.len > XENSTORE_PAYLOAD_MAX)
					test_fail("bad event");
				xs_get(body, h.len);
			}
			last_event = 0;
			if (xs_call(XS_READ, "control/shutdown", NULL, val,
				    sizeof(val)) == 0 && !strcmp(val, "poweroff")) {
				con_write("xsring: poweroff requested\n");
				guest_poweroff();
			}
		}
		/* Sleep until either ring's channel fires (masked: no upcall). */
		{
			evtchn_port_t ports[2] = { xs_port, con_port };

			if (!xs_avail(sizeof(h)) &&
			    con->in_cons == __atomic_load_n(&con->in_prod,
							    __ATOMIC_ACQUIRE))
				sched_poll(ports, 2, 0);
			evtchn_clear_pending(xs_port);
			evtchn_clear_pending(con_port);
		}
	}
}
