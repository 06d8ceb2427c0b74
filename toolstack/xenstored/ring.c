// SPDX-License-Identifier: MIT
/*
 * The ring transport: one guest's struct xenstore_domain_interface, in
 * memory the caller maps.  The guest writes req_prod and rsp_cons (and
 * can scribble anywhere on the page) while we run, so each index is read
 * once, before use, and checked: a producer more than a ring ahead of
 * the consumer is a broken guest, and so is an oversized message.  A
 * broken ring is dead for good; the rest of the store carries on.
 * Bytes are copied out of the shared page before they are parsed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xs_internal.h"

#define KICK_BUDGET	32	/* messages per kick, for fairness */

struct xs_ring {
	struct xs_store *st;
	struct xs_conn *conn;
	struct xenstore_domain_interface *intf;
	xs_ring_notify_fn notify;
	void *opaque;
	unsigned int domid;
	bool broken;
	bool in_kick;
	bool need_notify;
	struct xs_rx rx;
};

static uint32_t load_idx(const XENSTORE_RING_IDX *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store_idx(XENSTORE_RING_IDX *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static void ring_broken(struct xs_ring *r, uint32_t why)
{
	if (r->broken)
		return;
	r->broken = true;
	r->conn->dead = true;
	__atomic_store_n(&r->intf->error, why, __ATOMIC_RELEASE);
	xs_log("dom%u: xenstore ring %s; connection dropped", r->domid,
	       why == XENSTORE_ERROR_RINGIDX ? "indexes corrupt" :
	       "protocol violated");
}

/* Push queued output into the response ring, as much as fits. */
static void flush(struct xs_ring *r)
{
	struct xenstore_domain_interface *intf = r->intf;
	const void *p;
	size_t len;

	while (!r->broken && (p = xs_conn_out_peek(r->conn, &len))) {
		uint32_t cons = load_idx(&intf->rsp_cons);
		uint32_t prod = load_idx(&intf->rsp_prod);
		uint32_t space, chunk;

		if (prod - cons > XENSTORE_RING_SIZE) {
			ring_broken(r, XENSTORE_ERROR_RINGIDX);
			return;
		}
		space = XENSTORE_RING_SIZE - (prod - cons);
		if (!space)
			return;
		chunk = XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(prod);
		if (chunk > space)
			chunk = space;
		if (chunk > len)
			chunk = (uint32_t)len;
		memcpy(intf->rsp + MASK_XENSTORE_IDX(prod), p, chunk);
		store_idx(&intf->rsp_prod, prod + chunk);
		xs_conn_out_advance(r->conn, chunk);
		r->need_notify = true;
	}
}

static void do_notify(struct xs_ring *r)
{
	if (r->need_notify && r->notify)
		r->notify(r->opaque);
	r->need_notify = false;
}

/* Output queued by someone else's request (a watch event): push it. */
static void ring_wake(struct xs_conn *c, void *opaque)
{
	struct xs_ring *r = opaque;

	if (r->in_kick)
		return;	/* the kick flushes and notifies once at its end */
	flush(r);
	do_notify(r);
}

struct xs_ring *xs_ring_attach_locked(struct xs_store *st, unsigned int domid,
				      struct xenstore_domain_interface *intf,
				      xs_ring_notify_fn notify, void *opaque)
{
	struct xs_dom *d;
	struct xs_ring *r;

	if (!intf || domid == 0 || domid >= XS_DOMID_SELF) {
		errno = EINVAL;
		return NULL;
	}
	d = xs_dom_get(st, domid, true);
	if (!d)
		return NULL;
	if (d->ring) {
		errno = EEXIST;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->conn = xs_conn_new(st, domid, false);
	if (!r->conn) {
		free(r);
		return NULL;
	}
	r->st = st;
	r->intf = intf;
	r->notify = notify;
	r->opaque = opaque;
	r->domid = domid;
	xs_rx_reset(&r->rx);
	r->conn->wake = ring_wake;
	r->conn->wake_opaque = r;
	/* We offer no reconnection or error reporting features. */
	intf->server_features = 0;
	d->ring = r;
	d->conn = r->conn;
	rcu_read_lock();
	xs_dom_introduced(st, d);
	rcu_read_unlock();
	return r;
}

struct xs_ring *xs_ring_attach(struct xs_store *st, unsigned int domid,
			       struct xenstore_domain_interface *intf,
			       xs_ring_notify_fn notify, void *opaque)
{
	struct xs_ring *r;

	xs_store_lock(st);
	r = xs_ring_attach_locked(st, domid, intf, notify, opaque);
	if (r) {
		struct xs_dom *d = xs_dom_get(st, domid, false);

		if (d)
			d->embedder_owned = true;
	}
	xs_store_unlock(st);
	return r;
}

int xs_ring_kick(struct xs_ring *r)
{
	struct xenstore_domain_interface *intf = r->intf;
	int budget = KICK_BUDGET, ret = 0;

	xs_store_lock(r->st);
	r->in_kick = true;
	flush(r);
	while (!r->broken && xs_conn_can_accept(r->conn)) {
		uint32_t cons = load_idx(&intf->req_cons);
		uint32_t prod = load_idx(&intf->req_prod);
		uint32_t chunk;
		size_t want;
		void *dst;
		int rc;

		if (prod - cons > XENSTORE_RING_SIZE) {
			ring_broken(r, XENSTORE_ERROR_RINGIDX);
			break;
		}
		if (prod == cons)
			break;
		if (budget == 0) {
			ret = 1;	/* more to do: come back */
			break;
		}
		chunk = XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(cons);
		if (chunk > prod - cons)
			chunk = prod - cons;
		dst = xs_rx_ptr(&r->rx, &want);
		if (chunk > want)
			chunk = (uint32_t)want;
		memcpy(dst, intf->req + MASK_XENSTORE_IDX(cons), chunk);
		store_idx(&intf->req_cons, cons + chunk);
		r->need_notify = true;
		rc = xs_rx_advance(&r->rx, chunk);
		if (rc < 0) {
			ring_broken(r, XENSTORE_ERROR_PROTO);
			break;
		}
		if (rc == 1) {
			xs_dispatch(r->conn, &r->rx.hdr, r->rx.payload);
			xs_rx_reset(&r->rx);
			budget--;
			flush(r);
		}
	}
	flush(r);
	r->in_kick = false;
	do_notify(r);
	if (r->broken)
		ret = -EIO;
	xs_store_unlock(r->st);
	return ret;
}

void xs_ring_free_locked(struct xs_ring *r)
{
	struct xs_dom *d = xs_dom_get(r->st, r->domid, false);

	if (d && d->ring == r) {
		d->ring = NULL;
		d->conn = NULL;
	}
	xs_conn_free(r->conn);
	free(r);
}

void xs_ring_detach(struct xs_ring *r)
{
	struct xs_store *st;

	if (!r)
		return;
	st = r->st;
	xs_store_lock(st);
	xs_ring_free_locked(r);
	xs_store_unlock(st);
}
