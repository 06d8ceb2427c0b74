// SPDX-License-Identifier: MIT
/*
 * A client connection: who it is (domid, privilege), what it holds
 * (watches, transactions) and the messages queued for it.  Transports
 * take the queue's bytes at their own pace; a client that stops reading
 * stops being read (outstanding-request quota) and, past a hard limit,
 * loses watch events rather than growing our memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xs_internal.h"

struct xs_conn *xs_conn_new(struct xs_store *st, unsigned int domid,
			    bool priv)
{
	struct xs_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->st = st;
	c->domid = domid;
	c->priv = priv;
	c->target = XS_NO_TARGET;
	c->next_txid = 1;
	c->next = st->conns;
	st->conns = c;
	return c;
}

void xs_conn_free(struct xs_conn *c)
{
	struct xs_conn **pp;
	struct xs_msg *m;

	if (!c)
		return;
	for (pp = &c->st->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	xs_tx_abort_all(c);
	xs_watch_del_all(c);
	while ((m = c->out_head)) {
		c->out_head = m->next;
		free(m);
	}
	free(c);
}

int xs_conn_queue(struct xs_conn *c, uint32_t type, uint32_t req_id,
		  uint32_t tx_id, const void *p1, uint32_t l1,
		  const void *p2, uint32_t l2, bool is_reply)
{
	struct xsd_sockmsg hdr = {
		.type = type, .req_id = req_id, .tx_id = tx_id, .len = l1 + l2,
	};
	struct xs_msg *m;

	if (c->dead)
		return -EPIPE;
	if (l1 + l2 > XENSTORE_PAYLOAD_MAX)
		return -E2BIG;
	if (!is_reply && c->out_bytes > XS_OUT_HARD_MAX) {
		if (c->dropped_events++ == 0)
			xs_log("dom%u: output queue full, dropping watch events",
			       c->domid);
		return -ENOSPC;
	}
	m = malloc(sizeof(*m) + sizeof(hdr) + l1 + l2);
	if (!m)
		return -ENOMEM;
	m->next = NULL;
	m->len = (uint32_t)sizeof(hdr) + l1 + l2;
	m->off = 0;
	m->is_reply = is_reply;
	memcpy(m->bytes, &hdr, sizeof(hdr));
	if (l1)
		memcpy(m->bytes + sizeof(hdr), p1, l1);
	if (l2)
		memcpy(m->bytes + sizeof(hdr) + l1, p2, l2);
	if (c->out_tail)
		c->out_tail->next = m;
	else
		c->out_head = m;
	c->out_tail = m;
	c->out_bytes += m->len;
	if (is_reply)
		c->out_replies++;
	if (c->wake)
		c->wake(c, c->wake_opaque);
	return 0;
}

const void *xs_conn_out_peek(struct xs_conn *c, size_t *len)
{
	struct xs_msg *m = c->out_head;

	if (!m) {
		*len = 0;
		return NULL;
	}
	*len = m->len - m->off;
	return m->bytes + m->off;
}

void xs_conn_out_advance(struct xs_conn *c, size_t n)
{
	struct xs_msg *m = c->out_head;

	if (!m)
		return;
	m->off += (uint32_t)n;
	c->out_bytes -= n;
	if (m->off < m->len)
		return;
	c->out_head = m->next;
	if (!c->out_head)
		c->out_tail = NULL;
	if (m->is_reply)
		c->out_replies--;
	free(m);
}

bool xs_conn_can_accept(const struct xs_conn *c)
{
	if (c->dead)
		return false;
	if (c->out_bytes > XS_OUT_SOFT_MAX)
		return false;
	return !xs_quota_exceeded(c, XS_Q_OUTSTANDING, c->out_replies + 1ul);
}
