// SPDX-License-Identifier: MIT
/*
 * A queue's life: CONNECT hands over its rings (checked writable by
 * pvisord's broker, which holds nothing afterwards), its tap queue and
 * its event channels; DISCONNECT gives them all back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pvisor/gnttab_dom0.h"
#include "netback.h"

#define NET_F_KNOWN	(NETBACK_F_RX_COPY | NETBACK_F_SG | \
			 NETBACK_F_GSO_TCPV4 | NETBACK_F_GSO_TCPV6 | \
			 NETBACK_F_IPV6_CSUM | NETBACK_F_NO_CSUM | \
			 NETBACK_F_RX_NOTIFY)

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Both ring pages granted to us writable (and RAM that may be). */
static int check_rings(struct netback *nb, struct net_queue *q,
		       char *why, size_t len)
{
	const uint32_t ref[2] = { q->tx_ref, q->rx_ref };

	for (unsigned int i = 0; i < 2; i++)
		svc_broker_add(&nb->br, GNT_BROKER_CHECK_RW, ref[i], 0, 0,
			       q->tx_shadow);
	if (svc_broker_run(&nb->br)) {
		snprintf(why, len, "the grant broker is gone");
		return -EPIPE;
	}
	for (unsigned int i = 0; i < 2; i++) {
		int16_t st = svc_broker_status(&nb->br, i);

		if (st) {
			int rc = gnttab_dom0_errno(st);

			snprintf(why, len, "queue %u: cannot map the %s ring "
				 "(grant %u): %s", q->idx, i ? "rx" : "tx",
				 ref[i], strerror(rc ? -rc : EIO));
			return rc ? rc : -EIO;
		}
	}
	return 0;
}

int net_queue_connect(struct netback *nb, const struct netback_msg *m,
		      const int fds[5], char *why, size_t len)
{
	unsigned int qi = m->connect.queue;
	struct net_queue *q;
	struct stat st;
	int fl, rc;

	if (qi >= NETBACK_MAX_QUEUES) {
		snprintf(why, len, "no queue %u (at most %u)", qi,
			 NETBACK_MAX_QUEUES);
		return -EINVAL;
	}
	q = &nb->q[qi];
	if (q->connected) {
		snprintf(why, len, "queue %u is connected", qi);
		return -EISCONN;
	}
	if (nb->fatal) {
		snprintf(why, len, "stopped after a protocol error: "
			 "DISCONNECT first");
		return -EIO;
	}
	if (!(m->connect.features & NETBACK_F_RX_COPY)) {
		/* Page flipping is long gone from every netfront. */
		snprintf(why, len, "the frontend does not use rx copy");
		return -EOPNOTSUPP;
	}
	for (unsigned int i = 0; i < 5; i++)
		if (fds[i] < 0 || fstat(fds[i], &st)) {
			snprintf(why, len, "CONNECT fd %u is not open", i);
			return -EBADF;
		}
	/* Reads of the tap must never block the loop. */
	fl = fcntl(fds[0], F_GETFL);
	if (fl < 0 || (!(fl & O_NONBLOCK) &&
		       fcntl(fds[0], F_SETFL, fl | O_NONBLOCK))) {
		snprintf(why, len, "the tap: %s", strerror(errno));
		return -errno;
	}
	q->nb = nb;
	q->idx = qi;
	q->tx_ref = m->connect.tx_ring_ref;
	q->rx_ref = m->connect.rx_ring_ref;
	q->tx_shadow = nb->br.data + NETBACK_QUEUE_OFF(qi) + NETBACK_RING_COPY;
	q->rx_shadow = q->tx_shadow + NET_PAGE;
	q->tx_bounce = nb->br.data + NETBACK_QUEUE_OFF(qi) + NETBACK_TX_BOUNCE;
	q->rx_bounce = nb->br.data + NETBACK_QUEUE_OFF(qi) + NETBACK_RX_BOUNCE;
	rc = check_rings(nb, q, why, len);
	if (rc)
		return rc;
	q->features = m->connect.features & NET_F_KNOWN;
	memset(q->tx_shadow, 0, 2 * NET_PAGE);
	BACK_RING_INIT(&q->tx, (netif_tx_sring_t *)q->tx_shadow, NET_PAGE);
	BACK_RING_INIT(&q->rx, (netif_rx_sring_t *)q->rx_shadow, NET_PAGE);
	q->tx_pushed = q->rx_pushed = 0;
	net_tx_credit_init(q, m->connect.credit_bytes, m->connect.credit_usec);
	q->rx_held = q->rx_wait_req = q->rx_poll_later = false;
	q->tap_dead = false;
	q->tap = fds[0];
	q->tx_notify = fds[1];
	q->tx_kick = fds[2];
	q->rx_notify = fds[3];
	q->rx_kick = fds[4];
	q->connected = true;
	return 0;
}

void net_queue_disconnect(struct netback *nb, struct net_queue *q)
{
	if (!q->connected)
		return;
	/* What is answered goes out; nothing is in flight. */
	net_tx_flush(q);
	net_rx_flush(q);
	if (q->rx_held)
		nb->stats.rx_dropped++;
	q->rx_held = false;
	q->connected = false;
	close_fd(&q->tap);
	close_fd(&q->tx_notify);
	close_fd(&q->tx_kick);
	close_fd(&q->rx_notify);
	close_fd(&q->rx_kick);
}
