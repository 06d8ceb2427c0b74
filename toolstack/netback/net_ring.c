// SPDX-License-Identifier: MIT
/*
 * A one-page ring (tx or rx, same header) reached through the grant
 * broker: the page is copied into our shadow, responses go out slot by
 * slot, the indexes one aligned word at a time, in the order the ring
 * protocol needs (the broker puts a full barrier between operations).
 * The guest's copy of rsp_prod is never read back: we keep our own.
 */
#include <stddef.h>
#include <string.h>

#include "netback.h"

/* The header both ring types share (DEFINE_RING_TYPES). */
struct net_sring_hdr {
	RING_IDX req_prod, req_event;
	RING_IDX rsp_prod, rsp_event;
	uint8_t pad[48];
};
_Static_assert(sizeof(struct net_sring_hdr) ==
	       offsetof(struct netif_tx_sring, ring) &&
	       sizeof(struct net_sring_hdr) ==
	       offsetof(struct netif_rx_sring, ring),
	       "netif rings share the ring header");

static bool batch_ok(struct netback *nb, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (svc_broker_status(&nb->br, i))
			return false;
	return true;
}

static bool run(struct netback *nb)
{
	unsigned int n = nb->br.n;

	return !svc_broker_run(&nb->br) && batch_ok(nb, n);
}

bool net_ring_fetch(struct netback *nb, uint32_t ref, uint8_t *shadow,
		    size_t len)
{
	svc_broker_add(&nb->br, GNT_BROKER_COPY_IN, ref, 0,
		       (unsigned int)len, shadow);
	return run(nb);
}

bool net_ring_push(struct netback *nb, uint32_t ref, uint8_t *shadow,
		   size_t esz, unsigned int nents, RING_IDX old, RING_IDX new,
		   bool *notify)
{
	struct net_sring_hdr *s = (struct net_sring_hdr *)shadow;
	size_t base = sizeof(*s);

	*notify = false;
	if (old == new)
		return true;
	for (RING_IDX i = old; i != new;) {
		unsigned int at = i & (nents - 1), cnt = new - i;

		if (cnt > nents - at)
			cnt = nents - at;	/* up to the ring's end */
		svc_broker_add(&nb->br, GNT_BROKER_COPY_OUT, ref,
			       (unsigned int)(base + at * esz),
			       (unsigned int)(cnt * esz),
			       shadow + base + at * esz);
		i += cnt;
	}
	s->rsp_prod = new;
	svc_broker_add(&nb->br, GNT_BROKER_STORE32, ref,
		       offsetof(struct net_sring_hdr, rsp_prod), 4,
		       &s->rsp_prod);
	svc_broker_add(&nb->br, GNT_BROKER_LOAD32, ref,
		       offsetof(struct net_sring_hdr, rsp_event), 4,
		       &s->rsp_event);
	if (!run(nb))
		return false;
	/* The guest's mark in (old, new]: it asked to hear of these. */
	*notify = (RING_IDX)(new - s->rsp_event) < (RING_IDX)(new - old);
	return true;
}

bool net_ring_final_check(struct netback *nb, uint32_t ref, uint8_t *shadow,
			  RING_IDX event)
{
	struct net_sring_hdr *s = (struct net_sring_hdr *)shadow;

	s->req_event = event;
	svc_broker_add(&nb->br, GNT_BROKER_STORE32, ref,
		       offsetof(struct net_sring_hdr, req_event), 4,
		       &s->req_event);
	svc_broker_add(&nb->br, GNT_BROKER_LOAD32, ref,
		       offsetof(struct net_sring_hdr, req_prod), 4,
		       &s->req_prod);
	return run(nb);
}
