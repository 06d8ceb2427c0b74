// SPDX-License-Identifier: MIT
/*
 * Guest transmit: packets taken off a queue's tx ring go to its tap
 * queue. A packet is one or more data slots (the first one's size is
 * the whole packet's, each other's its own), the first possibly followed
 * by extra-info slots (GSO, multicast). Every slot is copied out of the
 * shadow once and checked; a bad packet gets NETIF_RSP_ERROR in each of
 * its slots and the ring goes on, a ring that lies about its indexes or
 * packs more slots in a packet than allowed stops the vif (FATAL), as
 * Xen's netback does. The bytes of many packets come in through the
 * broker in one round trip, into the queue's tx bounce.
 */
#include <endian.h>
#include <errno.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "netback.h"

/* A packet taken off the ring, with its slots (their own sizes). */
struct net_tx_take {
	struct net_tx_pkt pkt;
	struct netif_tx_request slot[NETBACK_MAX_TX_SLOTS];
};

/* ----------------------------------------------------- credit -- */

void net_tx_credit_init(struct net_queue *q, uint64_t bytes, uint32_t usec)
{
	/* Either one 0: no limit (Xen's default rate). */
	q->credit_bytes = usec ? bytes : 0;
	q->credit_ns = (uint64_t)usec * 1000u;
	q->credit_left = q->credit_bytes;
	q->credit_start = net_now_ns();
	q->throttled_until = 0;
}

/* One window's worth more, never beyond a burst (one GSO packet at
 * least, so that a packet larger than the credit still passes). */
static void credit_add(struct net_queue *q)
{
	uint64_t burst = q->credit_bytes > NET_CREDIT_BURST
			 ? q->credit_bytes : NET_CREDIT_BURST;
	uint64_t left = q->credit_left + q->credit_bytes;

	if (left < q->credit_left)
		left = UINT64_MAX;
	q->credit_left = left < burst ? left : burst;
}

/* May len bytes go now? If not, the queue waits for its next window. */
static bool credit_take(struct net_queue *q, uint32_t len)
{
	int64_t now;

	if (!q->credit_bytes)
		return true;
	now = net_now_ns();
	if (q->throttled_until) {
		if (now < q->throttled_until)
			return false;
		q->throttled_until = 0;
		credit_add(q);		/* the window we waited for */
	}
	if (now >= q->credit_start + (int64_t)q->credit_ns) {
		q->credit_start = now;
		credit_add(q);
	}
	if (len > q->credit_left) {
		q->throttled_until = q->credit_start + (int64_t)q->credit_ns;
		q->credit_start = q->throttled_until;
		q->nb->stats.tx_throttled++;
		return false;
	}
	q->credit_left -= len;
	return true;
}

/* ------------------------------------------------- responses -- */

/* One response per slot the packet used: its data slots' ids with
 * status, NETIF_RSP_NULL for each extra-info slot after the first. */
static void respond(struct net_queue *q, const struct net_tx_pkt *p,
		    int16_t status)
{
	RING_IDX i = q->tx.rsp_prod_pvt;
	struct netif_tx_response *r;

	r = RING_GET_RESPONSE(&q->tx, i++);
	r->id = p->id[0];
	r->status = status;
	for (unsigned int k = 0; k < p->nr_extra; k++) {
		r = RING_GET_RESPONSE(&q->tx, i++);
		r->id = 0;
		r->status = NETIF_RSP_NULL;
	}
	for (unsigned int k = 1; k < p->nr_data; k++) {
		r = RING_GET_RESPONSE(&q->tx, i++);
		r->id = p->id[k];
		r->status = status;
	}
	q->tx.rsp_prod_pvt = i;
	if (status != NETIF_RSP_OKAY)
		q->nb->stats.tx_errors++;
}

void net_tx_flush(struct net_queue *q)
{
	struct netback *nb = q->nb;
	RING_IDX new = q->tx.rsp_prod_pvt;
	bool notify;

	if (!q->connected || nb->fatal || new == q->tx_pushed)
		return;
	if (!net_ring_push(nb, q->tx_ref, q->tx_shadow,
			   sizeof(union netif_tx_sring_entry), NET_TX_RING_SIZE,
			   q->tx_pushed, new, &notify)) {
		net_fatal(nb, q, "cannot write the tx ring (grant %u)",
			  q->tx_ref);
		return;
	}
	q->tx_pushed = new;
	if (notify)
		net_evt_kick(nb, q->tx_kick);
}

/* ------------------------------------------ taking a packet -- */

/* The extra-info slots after a first slot; false: fatal (reported). */
static bool take_extras(struct net_queue *q, RING_IDX *i, RING_IDX prod,
			struct net_tx_take *t)
{
	struct net_tx_pkt *p = &t->pkt;
	struct netif_extra_info ex;

	do {
		struct netif_tx_request raw;

		if (*i == prod) {
			net_fatal(q->nb, q, "tx extra info beyond req_prod %u",
				  prod);
			return false;
		}
		if (p->nr_extra == NET_TX_MAX_EXTRAS) {
			net_fatal(q->nb, q, "tx extra-info chain longer than "
				  "%u slots", NET_TX_MAX_EXTRAS);
			return false;
		}
		RING_COPY_REQUEST(&q->tx, *i, &raw);
		memcpy(&ex, &raw, sizeof(ex));
		(*i)++;
		p->nr_extra++;
		/* A type that does not exist: the frontend is broken, as
		 * Xen's netback judges it. */
		if (ex.type == XEN_NETIF_EXTRA_TYPE_NONE ||
		    ex.type >= XEN_NETIF_EXTRA_TYPE_MAX) {
			net_fatal(q->nb, q, "tx extra info of type %u",
				  ex.type);
			return false;
		}
		switch (ex.type) {
		case XEN_NETIF_EXTRA_TYPE_GSO:
			p->gso_type = ex.u.gso.type;
			p->gso_size = ex.u.gso.size;
			if (p->gso_type == XEN_NETIF_GSO_TYPE_NONE)
				p->gso_type = 0xff;	/* asked, for nothing */
			break;
		case XEN_NETIF_EXTRA_TYPE_MCAST_ADD:
		case XEN_NETIF_EXTRA_TYPE_MCAST_DEL:
			/* No filter to keep: the tap sees every address. */
			p->no_frame = true;
			break;
		default:
			break;		/* hash: not ours */
		}
	} while (ex.flags & XEN_NETIF_EXTRA_FLAG_MORE);
	return true;
}

/* The per-packet checks, on our copies; the status it gets. */
static int16_t check_packet(struct net_queue *q, struct net_tx_take *t,
			    uint16_t total, uint32_t rest)
{
	struct net_tx_pkt *p = &t->pkt;
	struct netback *nb = q->nb;

	if (p->no_frame)
		return NETIF_RSP_OKAY;
	if (total < NET_ETH_HLEN) {
		net_log_err(nb, NET_ERR_TX_SIZE, "queue %u: tx packet of %u "
			    "bytes", q->idx, total);
		return NETIF_RSP_ERROR;
	}
	if (rest > total) {
		net_log_err(nb, NET_ERR_TX_SUM, "queue %u: tx packet of %u "
			    "bytes whose slots after the first hold %u",
			    q->idx, total, rest);
		return NETIF_RSP_ERROR;
	}
	t->slot[0].size = (uint16_t)(total - rest);
	for (unsigned int k = 0; k < p->nr_data; k++)
		if ((uint32_t)t->slot[k].offset + t->slot[k].size > NET_PAGE) {
			net_log_err(nb, NET_ERR_TX_PAGE, "queue %u: tx slot of "
				    "%u bytes at %u crosses its page", q->idx,
				    t->slot[k].size, t->slot[k].offset);
			return NETIF_RSP_ERROR;
		}
	if (p->gso_type && ((p->gso_type != XEN_NETIF_GSO_TYPE_TCPV4 &&
			     p->gso_type != XEN_NETIF_GSO_TYPE_TCPV6) ||
			    !p->gso_size)) {
		net_log_err(nb, NET_ERR_TX_GSO, "queue %u: tx GSO type %u, "
			    "size %u: not offered", q->idx, p->gso_type,
			    p->gso_size);
		return NETIF_RSP_ERROR;
	}
	return NETIF_RSP_OKAY;
}

/*
 * The packet at req_cons, copied and checked, nothing consumed: the
 * slots it uses, or 0 if the ring broke the protocol (reported).
 */
static unsigned int take(struct net_queue *q, RING_IDX prod,
			 struct net_tx_take *t)
{
	struct net_tx_pkt *p = &t->pkt;
	RING_IDX i = q->tx.req_cons;
	struct netif_tx_request r;
	uint32_t rest = 0;
	uint16_t total;

	memset(p, 0, sizeof(*p));
	RING_COPY_REQUEST(&q->tx, i, &r);
	i++;
	t->slot[0] = r;
	p->id[0] = r.id;
	p->flags = r.flags;
	p->nr_data = 1;
	total = r.size;
	if ((r.flags & NETTXF_extra_info) && !take_extras(q, &i, prod, t))
		return 0;
	while (r.flags & NETTXF_more_data) {
		if (i == prod) {
			net_fatal(q->nb, q, "tx packet continues beyond "
				  "req_prod %u", prod);
			return 0;
		}
		if (p->nr_data == NETBACK_MAX_TX_SLOTS) {
			net_fatal(q->nb, q, "tx packet of more than %u slots",
				  NETBACK_MAX_TX_SLOTS);
			return 0;
		}
		RING_COPY_REQUEST(&q->tx, i, &r);
		i++;
		t->slot[p->nr_data] = r;
		p->id[p->nr_data++] = r.id;
		rest += r.size;
	}
	p->len = total;
	p->status = check_packet(q, t, total, rest);
	return i - q->tx.req_cons;
}

/* ------------------------------------------------ to the tap -- */

/* The tap's header for a packet whose bytes are in; ERROR if its
 * offloads cannot be described. */
static int16_t vnet_header(struct net_queue *q, const struct net_tx_pkt *p,
			   uint8_t *d, struct virtio_net_hdr *vh)
{
	bool blank = p->flags & NETTXF_csum_blank;
	struct net_hdrs h;

	memset(vh, 0, sizeof(*vh));
	if (!blank && !p->gso_type) {
		if (p->flags & NETTXF_data_validated)
			vh->flags = VIRTIO_NET_HDR_F_DATA_VALID;
		return NETIF_RSP_OKAY;
	}
	if (net_parse(d, p->len, &h)) {
		net_log_err(q->nb, NET_ERR_TX_CSUM, "queue %u: tx packet of "
			    "%u bytes with %s: no TCP or UDP header found",
			    q->idx, p->len, blank ? "csum_blank" : "GSO");
		return NETIF_RSP_ERROR;
	}
	if (p->gso_type) {
		bool v6 = p->gso_type == XEN_NETIF_GSO_TYPE_TCPV6;

		if (h.proto != IPPROTO_TCP || h.ipv6 != v6) {
			net_log_err(q->nb, NET_ERR_TX_GSO, "queue %u: tx GSO "
				    "%s on a packet that is not", q->idx,
				    v6 ? "TCPv6" : "TCPv4");
			return NETIF_RSP_ERROR;
		}
		vh->gso_type = v6 ? VIRTIO_NET_HDR_GSO_TCPV6
				  : VIRTIO_NET_HDR_GSO_TCPV4;
		vh->gso_size = htole16(p->gso_size);
		vh->hdr_len = htole16(h.l4_end);
		if (!blank) {
			/* Segmentation needs a partial checksum: start it
			 * from the pseudo-header, as Linux's netback does. */
			uint16_t ps = net_csum_pseudo(d, &h);
			uint8_t *f = d + h.l4 + net_csum_field(&h);

			f[0] = (uint8_t)(ps >> 8);
			f[1] = (uint8_t)ps;
		}
	}
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->csum_start = htole16(h.l4);
	vh->csum_offset = htole16((uint16_t)net_csum_field(&h));
	return NETIF_RSP_OKAY;
}

static int16_t deliver(struct net_queue *q, const struct net_tx_pkt *p)
{
	struct netback *nb = q->nb;
	uint8_t *d = q->tx_bounce + p->off;
	struct virtio_net_hdr vh;
	struct iovec iov[2];
	int16_t st;
	ssize_t n;

	_Static_assert(sizeof(vh) == NETBACK_VNET_HDR_LEN, "the tap header");
	for (unsigned int k = 0; k < p->nr_ops; k++)
		if (svc_broker_status(&nb->br, p->first_op + k)) {
			net_log_err(nb, NET_ERR_TX_GRANT, "queue %u: tx slot "
				    "grant refused (status %d)", q->idx,
				    svc_broker_status(&nb->br,
						      p->first_op + k));
			return NETIF_RSP_ERROR;
		}
	st = vnet_header(q, p, d, &vh);
	if (st)
		return st;
	iov[0] = (struct iovec){ .iov_base = &vh, .iov_len = sizeof(vh) };
	iov[1] = (struct iovec){ .iov_base = d, .iov_len = p->len };
	do
		n = writev(q->tap, iov, 2);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)(sizeof(vh) + p->len)) {
		nb->stats.tx_packets++;
		nb->stats.tx_bytes += p->len;
	} else {
		/* Dropped on the way, as a full link would: not the
		 * guest's error. */
		nb->stats.tx_dropped++;
		if (n < 0 && errno != EAGAIN && errno != ENOBUFS)
			net_log_err(nb, NET_ERR_TX_TAP, "queue %u: the tap "
				    "refused a packet: %s", q->idx,
				    strerror(errno));
	}
	return NETIF_RSP_OKAY;
}

/* The batch's bytes in, then each packet out and answered. */
static void run_batch(struct net_queue *q, struct net_tx_pkt *pk,
		      unsigned int n)
{
	struct netback *nb = q->nb;

	if (!n)
		return;
	svc_broker_run(&nb->br);	/* pvisord gone: every op failed */
	for (unsigned int i = 0; i < n; i++) {
		int16_t st = pk[i].status;

		if (!st && !pk[i].no_frame)
			st = deliver(q, &pk[i]);
		respond(q, &pk[i], st);	/* in ring order */
	}
}

/* Take packets up to prod: false if the ring broke the protocol or the
 * queue waits for credit. */
static bool consume(struct net_queue *q, RING_IDX prod)
{
	struct net_tx_pkt pk[NET_TX_BATCH];
	struct netback *nb = q->nb;
	unsigned int n = 0;
	uint32_t fill = 0;
	bool more = true;

	while (q->tx.req_cons != prod) {
		struct net_tx_take t;
		struct net_tx_pkt *p = &t.pkt;
		unsigned int slots = take(q, prod, &t);

		if (!slots) {
			more = false;
			break;
		}
		if (p->status || p->no_frame) {
			/* Answered with the batch, nothing to copy. */
			if (n == NET_TX_BATCH) {
				run_batch(q, pk, n);
				n = 0;
				fill = 0;
			}
			q->tx.req_cons += slots;
			pk[n++] = *p;
			continue;
		}
		if (!credit_take(q, p->len)) {
			more = false;	/* the packet stays on the ring */
			break;
		}
		if (n == NET_TX_BATCH || fill + p->len > NETBACK_BOUNCE_BYTES ||
		    !svc_broker_room(&nb->br, p->nr_data)) {
			run_batch(q, pk, n);
			n = 0;
			fill = 0;
		}
		p->off = fill;
		p->first_op = (uint16_t)nb->br.n;
		for (unsigned int k = 0, pos = 0; k < p->nr_data; k++) {
			const struct netif_tx_request *s = &t.slot[k];

			if (!s->size)
				continue;
			svc_broker_add(&nb->br, GNT_BROKER_COPY_IN, s->gref,
				       s->offset, s->size,
				       q->tx_bounce + fill + pos);
			pos += s->size;
			p->nr_ops++;
		}
		fill += p->len;
		q->tx.req_cons += slots;
		pk[n++] = *p;
	}
	run_batch(q, pk, n);
	return more && !nb->fatal;
}

void net_tx_run(struct net_queue *q)
{
	struct netback *nb = q->nb;

	for (;;) {
		RING_IDX prod;

		if (!q->connected || nb->fatal ||
		    (q->throttled_until && net_now_ns() < q->throttled_until))
			return;
		net_tx_flush(q);	/* the fetch overwrites response slots */
		if (nb->fatal)
			return;
		if (!net_ring_fetch(nb, q->tx_ref, q->tx_shadow,
				    NET_TX_RING_BYTES)) {
			net_fatal(nb, q, "cannot read the tx ring (grant %u)",
				  q->tx_ref);
			return;
		}
		prod = q->tx.sring->req_prod;
		if (RING_REQUEST_PROD_OVERFLOW(&q->tx, prod)) {
			net_fatal(nb, q, "tx producer index %u more than a "
				  "ring ahead of the responses (%u)", prod,
				  q->tx.rsp_prod_pvt);
			return;
		}
		if (!consume(q, prod)) {
			net_tx_flush(q);
			return;
		}
		net_tx_flush(q);
		if (nb->fatal)
			return;
		/* Before sleeping: ask for a kick, then look once more. */
		if (!net_ring_final_check(nb, q->tx_ref, q->tx_shadow,
					  q->tx.req_cons + 1)) {
			net_fatal(nb, q, "cannot write the tx ring (grant %u)",
				  q->tx_ref);
			return;
		}
		if (q->tx.sring->req_prod == q->tx.req_cons)
			return;
	}
}
