// SPDX-License-Identifier: MIT
/*
 * Per-domain quotas.  Defaults are Xen's (tools/xenstored/domain.c); only
 * unprivileged connections are limited.  Exceeding one is ENOSPC, except
 * the path length (EINVAL, like any bad path) and outstanding requests,
 * which stall the connection instead of failing requests.
 */
#include "xs_internal.h"

void xs_quota_defaults(struct xs_quota *q)
{
	q->max[XS_Q_NODES] = 1000;
	q->max[XS_Q_NODE_SIZE] = 2048;
	q->max[XS_Q_WATCHES] = 128;
	q->max[XS_Q_TRANSACTIONS] = 10;
	q->max[XS_Q_OUTSTANDING] = 20;
	q->max[XS_Q_PERMS] = 5;
	q->max[XS_Q_PATH] = XENSTORE_REL_PATH_MAX;
	q->max[XS_Q_TX_NODES] = 1024;
}

bool xs_quota_exceeded(const struct xs_conn *c, enum xs_quota_item q,
		       unsigned long val)
{
	unsigned int max;

	if (!c || c->priv || (unsigned int)q >= XS_Q_COUNT)
		return false;
	max = c->st->quota.max[q];
	return max && val > max;
}

/* Xen's accounting: record header, perms, value and the child names. */
size_t xs_node_size(uint32_t vlen, uint32_t np, uint32_t childbytes)
{
	return 24 + (size_t)np * 8 + vlen + childbytes;
}
