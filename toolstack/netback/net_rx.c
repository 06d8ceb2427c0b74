// SPDX-License-Identifier: MIT
/*
 * Guest receive: frames read from a queue's tap queue go into the pages
 * the guest posted on its rx ring, a page per request, up to a page of
 * the frame each; a GSO frame's extra info takes the slot after its
 * first. A frame waits in the rx bounce while the guest has posted too
 * few requests (and the tap is not read meanwhile: its own queue holds
 * or drops what comes, never our memory); a frame the guest could never
 * take is dropped. Many frames go out per broker round trip.
 */
#include <endian.h>
#include <errno.h>
#include <linux/virtio_net.h>
#include <string.h>
#include <unistd.h>

#include "netback.h"

enum net_rx_stop {
	NET_RX_TAP_EMPTY,	/* nothing more to read */
	NET_RX_NEED_REQ,	/* a frame waits for rx requests */
	NET_RX_BROKEN,		/* FATAL sent */
};

void net_rx_flush(struct net_queue *q)
{
	struct netback *nb = q->nb;
	RING_IDX new = q->rx.rsp_prod_pvt;
	bool notify;

	if (!q->connected || nb->fatal || new == q->rx_pushed)
		return;
	if (!net_ring_push(nb, q->rx_ref, q->rx_shadow,
			   sizeof(union netif_rx_sring_entry), NET_RX_RING_SIZE,
			   q->rx_pushed, new, &notify)) {
		net_fatal(nb, q, "cannot write the rx ring (grant %u)",
			  q->rx_ref);
		return;
	}
	q->rx_pushed = new;
	if (notify)
		net_evt_kick(nb, q->rx_kick);
}

static void drop(struct net_queue *q, const char *why, uint32_t len)
{
	q->nb->stats.rx_dropped++;
	net_log_err(q->nb, NET_ERR_RX_FRAME, "queue %u: frame of %u bytes "
		    "dropped: %s", q->idx, len, why);
}

/* The offloads of a frame as the guest will see them; false: drop. */
static bool rx_offloads(struct net_queue *q, struct net_rx_frame *f,
			const struct virtio_net_hdr *vh, uint8_t *d)
{
	uint32_t feat = q->features;
	bool partial = vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM;
	bool can_partial = !(feat & NETBACK_F_NO_CSUM) &&
			   (!net_eth_ipv6(d, f->len) ||
			    (feat & NETBACK_F_IPV6_CSUM));
	uint8_t gso = vh->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;

	f->flags = 0;
	f->gso_type = XEN_NETIF_GSO_TYPE_NONE;
	f->gso_size = 0;
	if (gso != VIRTIO_NET_HDR_GSO_NONE) {
		if (gso == VIRTIO_NET_HDR_GSO_TCPV4 &&
		    (feat & NETBACK_F_GSO_TCPV4))
			f->gso_type = XEN_NETIF_GSO_TYPE_TCPV4;
		else if (gso == VIRTIO_NET_HDR_GSO_TCPV6 &&
			 (feat & NETBACK_F_GSO_TCPV6))
			f->gso_type = XEN_NETIF_GSO_TYPE_TCPV6;
		else {
			drop(q, "a GSO type the frontend did not ask for",
			     f->len);
			return false;
		}
		f->gso_size = le16toh(vh->gso_size);
		/* Segments are checksummed by whoever splits them. */
		if (!f->gso_size || !partial || !can_partial) {
			drop(q, "GSO the frontend cannot take", f->len);
			return false;
		}
	}
	if (partial && can_partial) {
		f->flags = NETRXF_csum_blank | NETRXF_data_validated;
	} else if (partial) {
		/* The guest wants whole checksums: finish it here. */
		if (net_csum_complete(d, f->len, le16toh(vh->csum_start),
				      le16toh(vh->csum_offset))) {
			drop(q, "its checksum lies outside it", f->len);
			return false;
		}
	} else if (vh->flags & VIRTIO_NET_HDR_F_DATA_VALID) {
		f->flags = NETRXF_data_validated;
	}
	return true;
}

/* One frame from the tap into the bounce at off: 1, 0 if the tap has
 * none, -1 if it was dropped. */
static int rx_read(struct net_queue *q, uint32_t off, struct net_rx_frame *f)
{
	uint8_t *b = q->rx_bounce + off;
	struct virtio_net_hdr vh;
	ssize_t n;

	do
		n = read(q->tap, b, NET_RX_READ_MAX);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
			/* Hung up or broken: nothing more will come. */
			q->tap_dead = true;
			net_log(q->nb, "queue %u: the tap gave %s; no more "
				"reads", q->idx, n ? strerror(errno) : "EOF");
		}
		return 0;
	}
	f->off = off;
	f->len = (uint32_t)n > NETBACK_VNET_HDR_LEN
		 ? (uint32_t)n - NETBACK_VNET_HDR_LEN : 0;
	if ((size_t)n == NET_RX_READ_MAX) {
		drop(q, "larger than any frame", f->len);
		return -1;
	}
	if (f->len < NET_ETH_HLEN) {
		drop(q, "shorter than an Ethernet header", f->len);
		return -1;
	}
	memcpy(&vh, b, sizeof(vh));
	if (!rx_offloads(q, f, &vh, b + NETBACK_VNET_HDR_LEN))
		return -1;
	f->nr_data = (uint8_t)((f->len + NET_PAGE - 1) / NET_PAGE);
	if (f->nr_data > 1 && !(q->features & NETBACK_F_SG)) {
		drop(q, "more than a page, without feature-sg", f->len);
		return -1;
	}
	if (f->nr_data > NET_RX_MAX_SLOTS) {
		drop(q, "more pages than the frontend takes", f->len);
		return -1;
	}
	return 1;
}

/* Rx slots of the frame that went out, by broker op. */
struct net_rx_batch {
	struct net_rx_frame fr[NET_RX_BATCH];
	unsigned int n;
	RING_IDX op_rsp[GNT_BROKER_MAX_OPS];	/* its response slot */
	uint8_t op_frame[GNT_BROKER_MAX_OPS];
};

/* Requests taken, data ops queued, responses written (in the shadow). */
static void place(struct net_queue *q, const struct net_rx_frame *f,
		  struct net_rx_batch *bt)
{
	struct netback *nb = q->nb;
	const uint8_t *d = q->rx_bounce + f->off + NETBACK_VNET_HDR_LEN;
	uint32_t pos = 0;

	for (unsigned int s = 0; s < f->nr_data; s++) {
		uint32_t piece = f->len - pos < NET_PAGE ? f->len - pos
							 : NET_PAGE;
		struct netif_rx_response *rsp;
		struct netif_rx_request req;
		uint16_t flags = 0;

		/* Copied out before its slot takes the response. */
		RING_COPY_REQUEST(&q->rx, q->rx.req_cons, &req);
		q->rx.req_cons++;
		bt->op_rsp[nb->br.n] = q->rx.rsp_prod_pvt;
		bt->op_frame[nb->br.n] = (uint8_t)bt->n;
		svc_broker_add(&nb->br, GNT_BROKER_COPY_OUT, req.gref, 0, piece,
			       d + pos);
		if (!s) {
			flags = f->flags;
			if (f->gso_type)
				flags |= NETRXF_extra_info;
		}
		if (s + 1 < f->nr_data)
			flags |= NETRXF_more_data;
		rsp = RING_GET_RESPONSE(&q->rx, q->rx.rsp_prod_pvt);
		q->rx.rsp_prod_pvt++;
		*rsp = (struct netif_rx_response){
			.id = req.id, .offset = 0, .flags = flags,
			.status = (int16_t)piece };
		pos += piece;
		if (!s && f->gso_type) {
			/* Its own slot (its request's page unused). */
			struct netif_extra_info ex = {
				.type = XEN_NETIF_EXTRA_TYPE_GSO,
				.u.gso = { .size = f->gso_size,
					   .type = f->gso_type } };

			q->rx.req_cons++;
			memcpy(RING_GET_RESPONSE(&q->rx, q->rx.rsp_prod_pvt),
			       &ex, sizeof(ex));
			q->rx.rsp_prod_pvt++;
		}
	}
	bt->fr[bt->n++] = *f;
}

/* The batch's bytes out; a page the broker refused fails its slot. */
static void run_batch(struct net_queue *q, struct net_rx_batch *bt)
{
	struct netback *nb = q->nb;
	unsigned int nops = nb->br.n;
	bool bad[NET_RX_BATCH] = { false };

	if (!bt->n)
		return;
	svc_broker_run(&nb->br);	/* pvisord gone: every op failed */
	for (unsigned int i = 0; i < nops; i++) {
		int16_t st = svc_broker_status(&nb->br, i);

		if (!st)
			continue;
		RING_GET_RESPONSE(&q->rx, bt->op_rsp[i])->status =
			NETIF_RSP_ERROR;
		if (!bad[bt->op_frame[i]])
			net_log_err(nb, NET_ERR_RX_GRANT, "queue %u: rx "
				    "request's page refused (status %d)",
				    q->idx, st);
		bad[bt->op_frame[i]] = true;
	}
	for (unsigned int i = 0; i < bt->n; i++) {
		if (bad[i]) {
			nb->stats.rx_dropped++;
			continue;
		}
		nb->stats.rx_packets++;
		nb->stats.rx_bytes += bt->fr[i].len;
	}
	bt->n = 0;
}

/* Frames into the requests up to prod, batch after batch. */
static enum net_rx_stop fill(struct net_queue *q, RING_IDX prod)
{
	struct netback *nb = q->nb;
	struct net_rx_batch bt = { .n = 0 };

	for (;;) {
		enum net_rx_stop stop = NET_RX_TAP_EMPTY;
		uint32_t used = 0;
		bool full = false;

		if (q->rx_held) {
			/* The frame that waited, to the start. */
			uint32_t len = NETBACK_VNET_HDR_LEN + q->held.len;

			memmove(q->rx_bounce, q->rx_bounce + q->held.off, len);
			q->held.off = 0;
			used = len;
		}
		while (!full) {
			struct net_rx_frame f;
			unsigned int need;

			if (q->rx_held) {
				f = q->held;
			} else {
				int rc;

				if (bt.n == NET_RX_BATCH ||
				    used + NET_RX_READ_MAX > NETBACK_BOUNCE_BYTES) {
					full = true;
					break;
				}
				if (q->tap_dead)
					break;
				if (prod == q->rx.req_cons) {
					/* Read only what may go somewhere. */
					stop = NET_RX_NEED_REQ;
					break;
				}
				rc = rx_read(q, used, &f);
				if (!rc)
					break;
				if (rc < 0)
					continue;
				used += NETBACK_VNET_HDR_LEN + f.len;
				q->held = f;
				q->rx_held = true;
			}
			need = f.nr_data + (f.gso_type ? 1u : 0u);
			if (prod - q->rx.req_cons < need) {
				stop = NET_RX_NEED_REQ;
				break;
			}
			if (!svc_broker_room(&nb->br, f.nr_data)) {
				full = true;
				break;
			}
			place(q, &f, &bt);
			q->rx_held = false;
		}
		run_batch(q, &bt);
		net_rx_flush(q);	/* as soon as they are there */
		if (nb->fatal)
			return NET_RX_BROKEN;
		if (!full)
			return stop;
	}
}

void net_rx_run(struct net_queue *q)
{
	struct netback *nb = q->nb;

	q->rx_wait_req = false;
	q->rx_poll_later = false;
	for (;;) {
		RING_IDX prod;

		if (!q->connected || nb->fatal)
			return;
		net_rx_flush(q);	/* the fetch overwrites response slots */
		if (nb->fatal)
			return;
		if (!net_ring_fetch(nb, q->rx_ref, q->rx_shadow,
				    NET_RX_RING_BYTES)) {
			net_fatal(nb, q, "cannot read the rx ring (grant %u)",
				  q->rx_ref);
			return;
		}
		prod = q->rx.sring->req_prod;
		if (RING_REQUEST_PROD_OVERFLOW(&q->rx, prod)) {
			net_fatal(nb, q, "rx producer index %u more than a "
				  "ring ahead of the responses (%u)", prod,
				  q->rx.rsp_prod_pvt);
			return;
		}
		switch (fill(q, prod)) {
		case NET_RX_BROKEN:
			return;
		case NET_RX_TAP_EMPTY:
			return;		/* the tap's POLLIN calls us again */
		case NET_RX_NEED_REQ:
			break;
		}
		/* Out of requests: stop reading the tap until the guest
		 * posts more and kicks us (or, without feature-rx-notify,
		 * until we look again). */
		q->rx_wait_req = true;
		if (!(q->features & NETBACK_F_RX_NOTIFY)) {
			q->rx_poll_later = true;
			return;
		}
		if (!net_ring_final_check(nb, q->rx_ref, q->rx_shadow,
					  prod + 1)) {
			net_fatal(nb, q, "cannot write the rx ring (grant %u)",
				  q->rx_ref);
			return;
		}
		if (q->rx.sring->req_prod == prod)
			return;
		q->rx_wait_req = false;
	}
}
