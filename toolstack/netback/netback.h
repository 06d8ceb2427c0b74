/* SPDX-License-Identifier: MIT */
#ifndef PVNETBACK_H
#define PVNETBACK_H

/*
 * pvnetback: the backend of one virtual network interface, in its own
 * process (pvisor/netback_ctl.h says how pvisord drives it).
 *
 * Like pvblkback it holds no guest memory: pvisord's grant broker copies
 * each queue's tx and rx ring pages into a private shadow (requests are
 * then copied out of it once and checked) and moves packet bytes between
 * the guest's granted pages and the queue's bounce buffers. The tap
 * queue pvisord hands over is the other side: guest packets are written
 * to it, frames read from it go to the guest.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pvabi/io/netif.h>

#include "pvisor/netback_ctl.h"
#include "svc.h"

#define NET_PAGE		4096u
#define NET_ETH_HLEN		14u
/* Both rings are one page (netif has no multi-page rings). */
#define NET_TX_RING_SIZE	__CONST_RING_SIZE(netif_tx, NET_PAGE)
#define NET_RX_RING_SIZE	__CONST_RING_SIZE(netif_rx, NET_PAGE)
/* What of each ring page we copy: the header and the slots. */
#define NET_TX_RING_BYTES	(offsetof(struct netif_tx_sring, ring) + \
				 NET_TX_RING_SIZE * \
				 sizeof(union netif_tx_sring_entry))
#define NET_RX_RING_BYTES	(offsetof(struct netif_rx_sring, ring) + \
				 NET_RX_RING_SIZE * \
				 sizeof(union netif_rx_sring_entry))
/* Extra-info slots one tx packet may carry: one of each known type. */
#define NET_TX_MAX_EXTRAS	(XEN_NETIF_EXTRA_TYPE_MAX - 1)
/* Packets in one tx batch (each also bounded by ops and bounce room). */
#define NET_TX_BATCH		64u
/* One read from the tap: the vnet header and the largest frame. */
#define NET_RX_READ_MAX		(NETBACK_VNET_HDR_LEN + 65536u + 4096u)
/* Data slots of one rx frame the frontend takes (netfront's limit). */
#define NET_RX_MAX_SLOTS	XEN_NETIF_NR_SLOTS_MIN
#define NET_RX_BATCH		64u
/* Tx credit is allowed to build up to this (a whole GSO packet). */
#define NET_CREDIT_BURST	131072u

_Static_assert(NET_TX_RING_SIZE == 256 && NET_RX_RING_SIZE == 256,
	       "netif rings of one page");
_Static_assert(NET_RX_READ_MAX * 2 <= NETBACK_BOUNCE_BYTES,
	       "a frame waiting and one more fit the rx bounce");

/* What a per-packet problem is, for rate-limited logs. */
enum net_err {
	NET_ERR_TX_SIZE,		/* 0, < Ethernet header, over 64 KiB */
	NET_ERR_TX_SUM,			/* slots' sizes do not add up */
	NET_ERR_TX_PAGE,		/* a slot crosses its page */
	NET_ERR_TX_GRANT,		/* the broker refused a copy */
	NET_ERR_TX_GSO,			/* GSO type not offered, MSS 0 */
	NET_ERR_TX_CSUM,		/* csum_blank on what we cannot parse */
	NET_ERR_TX_TAP,			/* the tap refused a packet */
	NET_ERR_RX_FRAME,		/* a tap frame the guest cannot take */
	NET_ERR_RX_GRANT,		/* an rx request's page refused */
	NET_ERR_MAX
};

/* A tx packet taken off the ring, in the batch being copied. */
struct net_tx_pkt {
	uint32_t off, len;		/* in the tx bounce */
	uint16_t first_op, nr_ops;	/* its broker ops */
	uint16_t flags;			/* NETTXF_* of the first slot */
	uint16_t gso_size;
	uint8_t gso_type;		/* XEN_NETIF_GSO_TYPE_* or NONE */
	bool no_frame;			/* a multicast request: nothing sent */
	int16_t status;			/* an error found before any copy */
	uint8_t nr_data, nr_extra;	/* slots: data, extra info */
	uint16_t id[NETBACK_MAX_TX_SLOTS];	/* of the data slots */
};

/* A frame read from the tap, in the rx bounce. */
struct net_rx_frame {
	uint32_t off;			/* its vnet header; data after it */
	uint32_t len;			/* data bytes */
	uint16_t flags;			/* NETRXF_* of the first slot */
	uint16_t gso_size;
	uint8_t gso_type;		/* XEN_NETIF_GSO_TYPE_* or NONE */
	uint8_t nr_data;		/* pages it fills */
};

struct netback;

/* One queue: its two rings, its tap queue, its event channels. */
struct net_queue {
	struct netback *nb;
	unsigned int idx;
	bool connected;
	uint32_t features;		/* NETBACK_F_* */
	uint32_t tx_ref, rx_ref;
	int tap, tx_notify, tx_kick, rx_notify, rx_kick;
	uint8_t *tx_shadow, *rx_shadow;	/* our copies of the ring pages */
	uint8_t *tx_bounce, *rx_bounce;
	netif_tx_back_ring_t tx;	/* on the shadows */
	netif_rx_back_ring_t rx;
	RING_IDX tx_pushed, rx_pushed;	/* rsp_prod the guest last saw */

	/* Transmit credit (Xen's): credit_bytes every credit_ns. */
	uint64_t credit_bytes, credit_ns, credit_left;
	int64_t credit_start;		/* this window's start */
	int64_t throttled_until;	/* 0: not waiting for credit */

	/* Receive: a frame that waits for rx requests, kept in the
	 * bounce; and whether we wait for the guest to post some. */
	bool rx_held;
	struct net_rx_frame held;
	bool rx_wait_req;
	bool rx_poll_later;		/* no feature-rx-notify: look again */
	bool tap_dead;			/* hung up: read no more */
};

struct netback {
	int ctl;			/* the socket to pvisord */
	uint32_t domid, devid;
	bool opened;
	struct svc_broker br;
	struct net_queue q[NETBACK_MAX_QUEUES];
	/* The frontend broke the protocol: nothing served until
	 * DISCONNECT. */
	bool fatal;
	struct netback_stats stats;
	int64_t err_logged[NET_ERR_MAX];	/* when, last */
	uint64_t err_quiet[NET_ERR_MAX];	/* since, not logged */
};

/* main.c */
int64_t net_now_ns(void);
void net_log(struct netback *nb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A per-packet problem: logged at most once a second per kind. */
void net_log_err(struct netback *nb, enum net_err kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The frontend broke the protocol: FATAL to pvisord, stop serving. */
void net_fatal(struct netback *nb, struct net_queue *q, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* An event channel's eventfd: read it if it was signalled. */
bool net_evt_clear(int fd);
void net_evt_kick(struct netback *nb, int fd);

/* net_ring.c: a ring page through the broker. */
bool net_ring_fetch(struct netback *nb, uint32_t ref, uint8_t *shadow,
		    size_t len);
/* Responses [old, new) of nents slots of esz bytes out, then rsp_prod,
 * then rsp_event read back; true with *notify if the guest asked. */
bool net_ring_push(struct netback *nb, uint32_t ref, uint8_t *shadow,
		   size_t esz, unsigned int nents, RING_IDX old, RING_IDX new,
		   bool *notify);
/* req_event out (a kick when req_prod reaches it), then req_prod read
 * back into the shadow. */
bool net_ring_final_check(struct netback *nb, uint32_t ref, uint8_t *shadow,
			  RING_IDX event);

/* net_queue.c: CONNECT and DISCONNECT of a queue. */
int net_queue_connect(struct netback *nb, const struct netback_msg *m,
		      const int fds[5], char *why, size_t len);
void net_queue_disconnect(struct netback *nb, struct net_queue *q);

/* net_tx.c: guest -> tap. */
void net_tx_run(struct net_queue *q);
void net_tx_credit_init(struct net_queue *q, uint64_t bytes, uint32_t usec);
/* Push what is answered but not yet pushed. */
void net_tx_flush(struct net_queue *q);

/* net_rx.c: tap -> guest. */
void net_rx_run(struct net_queue *q);
void net_rx_flush(struct net_queue *q);

/* net_csum.c: headers and checksums. */
/* An IPv6 frame (behind one VLAN tag at most)? */
bool net_eth_ipv6(const uint8_t *p, size_t len);
struct net_hdrs {
	uint16_t l3, l4;		/* offsets of the IP and L4 headers */
	uint16_t l4_end;		/* end of the L4 header */
	uint16_t l4_len;		/* L4 header and payload, per IP */
	uint8_t proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	bool ipv6;
};
/* Ethernet (one VLAN tag), IPv4 or IPv6, TCP or UDP; not a fragment.
 * 0 or -EPROTONOSUPPORT / -EINVAL. */
int net_parse(const uint8_t *p, size_t len, struct net_hdrs *h);
/* Where the L4 checksum is, from the L4 header. */
unsigned int net_csum_field(const struct net_hdrs *h);
/* The folded pseudo-header sum, not inverted (what a partial checksum
 * starts from). */
uint16_t net_csum_pseudo(const uint8_t *p, const struct net_hdrs *h);
/* Complete a partial checksum as a device would: sum [start, len) and
 * store its complement at start + off. -EINVAL if out of the frame. */
int net_csum_complete(uint8_t *p, size_t len, unsigned int start,
		      unsigned int off);
/* Ones' complement sum of p[0..len) added to sum, and its fold. */
uint32_t net_csum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t net_csum_fold(uint32_t sum);

#endif
