/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_NETBACK_CTL_H
#define PVISOR_NETBACK_CTL_H

/*
 * pvisord <-> pvnetback, the network backend process of one vif. The
 * same model as the block backend (pvisor/blkback_ctl.h): a
 * SOCK_SEQPACKET socketpair, the backend's fd 3 from its start; one
 * struct netback_msg per packet, file descriptors by SCM_RIGHTS.
 *
 * pvisord keeps xenstore, the xenbus state machine, the tap device and
 * the hotplug script; the backend sees only what pvisord read from the
 * frontend, already parsed and checked, and the tap queue fds. It never
 * holds guest memory: the rings and the packets move through pvisord's
 * grant broker (pvisor/gnt_broker.h).
 *
 *   OPEN        -> fds: broker memfd, broker "go" and "done" eventfds.
 *                  The memfd: GNT_BROKER_DATA_OFF bytes of header and
 *                  ops, then NETBACK_BROKER_DATA_LEN of data area
 *   <- INFO        status 0, or < 0 and text: why not
 *   CONNECT     -> one queue: its tx and rx ring refs, what the
 *   <- CONNECTED   frontend negotiated, the rate limit; fds: the tap
 *                  queue (IFF_VNET_HDR, struct virtio_net_hdr of 10
 *                  bytes before each frame, O_NONBLOCK), then tx notify,
 *                  tx kick, rx notify, rx kick eventfds (the same channel
 *                  twice unless feature-split-event-channels). Once per
 *                  queue, queue 0 first
 *   DISCONNECT  -> every queue: stop, answer what is pending with
 *   <- DISCONNECTED  errors where the protocol allows, let go of the rings
 *   <- LOG         something pvisord should log (a hostile ring)
 *   <- FATAL       a queue's frontend broke the protocol (a producer index
 *                  far ahead, too many slots): the backend has stopped
 *                  serving the vif; pvisord logs the text and closes the
 *                  device, as Xen's netback does
 *   STATS       -> <- STATS  counters
 * pvisord closing the socket ends the backend.
 */
#include <stdint.h>

#define NETBACK_CTL_FD		3
#define NETBACK_MAX_QUEUES	4	/* multi-queue-max-queues */
/* Slots one tx packet may use (Xen's XEN_NETBK_LEGACY_SLOTS_MAX). */
#define NETBACK_MAX_TX_SLOTS	18
/* The tap's header: struct virtio_net_hdr, without num_buffers. */
#define NETBACK_VNET_HDR_LEN	10

/*
 * The data area, per queue: a copy of its tx and rx ring pages, then
 * bounce buffers for packets in each direction, each large enough for a
 * batch of several 64 KiB packets.
 */
#define NETBACK_RING_COPY	0ull			/* tx page, rx page */
#define NETBACK_TX_BOUNCE	(2ull * 4096)
#define NETBACK_BOUNCE_BYTES	(256ull * 1024)
#define NETBACK_RX_BOUNCE	(NETBACK_TX_BOUNCE + NETBACK_BOUNCE_BYTES)
#define NETBACK_QUEUE_BYTES	(NETBACK_RX_BOUNCE + NETBACK_BOUNCE_BYTES)
#define NETBACK_QUEUE_OFF(q)	((uint64_t)(q) * NETBACK_QUEUE_BYTES)
#define NETBACK_BROKER_DATA_LEN	(NETBACK_MAX_QUEUES * NETBACK_QUEUE_BYTES)

enum netback_msg_type {
	NETBACK_OPEN = 1,
	NETBACK_INFO,
	NETBACK_CONNECT,
	NETBACK_CONNECTED,
	NETBACK_DISCONNECT,
	NETBACK_DISCONNECTED,
	NETBACK_LOG,
	NETBACK_STATS,
	NETBACK_FATAL,
};

/* What the frontend asked for (its xenstore nodes), per vif. */
#define NETBACK_F_RX_COPY	(1u << 0)	/* request-rx-copy */
#define NETBACK_F_SG		(1u << 1)	/* feature-sg */
#define NETBACK_F_GSO_TCPV4	(1u << 2)	/* feature-gso-tcpv4 */
#define NETBACK_F_GSO_TCPV6	(1u << 3)	/* feature-gso-tcpv6 */
#define NETBACK_F_IPV6_CSUM	(1u << 4)	/* feature-ipv6-csum-offload */
#define NETBACK_F_NO_CSUM	(1u << 5)	/* feature-no-csum-offload */
#define NETBACK_F_RX_NOTIFY	(1u << 6)	/* feature-rx-notify */

struct netback_stats {
	uint64_t tx_packets, tx_bytes;		/* guest -> tap */
	uint64_t rx_packets, rx_bytes;		/* tap -> guest */
	uint64_t tx_errors;			/* NETIF_RSP_ERROR sent */
	uint64_t tx_dropped;			/* the tap refused them */
	uint64_t rx_dropped;			/* no rx request, or too big */
	uint64_t tx_throttled;			/* waits for rate credit */
	uint64_t kicks_in, kicks_out;		/* event channels */
	uint64_t broker_batches, broker_ops;	/* round trips to pvisord */
};

struct netback_msg {
	uint32_t type;
	int32_t status;			/* replies: 0 or -errno */
	union {
		struct {
			uint32_t domid, devid;
		} open;
		struct {
			uint32_t queue;		/* < NETBACK_MAX_QUEUES */
			uint32_t tx_ring_ref, rx_ring_ref;
			uint32_t features;	/* NETBACK_F_* */
			/* Guest transmit limit: credit_bytes every
			 * credit_usec; credit_bytes 0: none. */
			uint64_t credit_bytes;
			uint32_t credit_usec;
		} connect;
		struct netback_stats stats;
	};
	char text[160];			/* LOG, FATAL, or why a request failed */
};

#endif
