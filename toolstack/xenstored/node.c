// SPDX-License-Identifier: MIT
/*
 * Node operations as a request sees them: on the global tree, or through
 * the request's transaction.  Xen's semantics: writes create missing
 * parents with the parent's permissions (an unprivileged creator owns
 * what it creates), quotas are checked before anything changes, watches
 * fire on the changed path (queued until commit inside a transaction).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xs_internal.h"

static void view_from_node(const struct xs_node *n, struct xs_nview *v)
{
	const struct xs_ndata *d = rcu_dereference(n->data);
	const struct xs_kids *k = rcu_dereference(n->kids);

	v->gen = CMM_LOAD_SHARED(n->gen);
	v->value = d->value;
	v->vlen = d->vlen;
	v->perms = d->perms;
	v->nperms = d->nperms;
	v->childbytes = k ? k->namebytes : 0;
}

int xs_node_get(struct xs_req *rq, const char *path, struct xs_nview *v)
{
	struct xs_node *n;

	if (rq->tx)
		return xs_tx_get(rq, path, v);
	n = xs_tree_lookup(&rq->st->tree, path);
	if (!n)
		return -ENOENT;
	view_from_node(n, v);
	return 0;
}

int xs_node_children(struct xs_req *rq, const char *path, char **out,
		     uint32_t *len)
{
	const struct xs_kids *k;
	struct xs_node *n;
	uint32_t used = 0;
	char *buf;

	if (rq->tx)
		return xs_tx_children(rq, path, out, len);
	n = xs_tree_lookup(&rq->st->tree, path);
	if (!n)
		return -ENOENT;
	k = rcu_dereference(n->kids);
	buf = malloc(k ? k->namebytes + 1 : 1);
	if (!buf)
		return -ENOMEM;
	for (uint32_t i = 0; k && i < k->n; i++) {
		size_t l = strlen(k->v[i]->name) + 1;

		memcpy(buf + used, k->v[i]->name, l);
		used += (uint32_t)l;
	}
	*out = buf;
	*len = used;
	return 0;
}

/*
 * Look a node up with the access a request needs.  Like Xen, a missing
 * node under an ancestor the caller may not use reads as EACCES, so that
 * ENOENT does not reveal what exists there.
 */
int xs_node_check(struct xs_req *rq, const char *path, unsigned int need,
		  struct xs_nview *v)
{
	char anc[XS_PATH_BUF];
	struct xs_nview a;
	size_t len;
	int r;

	r = xs_node_get(rq, path, v);
	if (r == 0) {
		if ((xs_perm_for(rq->conn, v->perms, v->nperms) & need) != need)
			return -EACCES;
		return 0;
	}
	if (r != -ENOENT)
		return r;
	len = strlen(path);
	memcpy(anc, path, len + 1);
	while (len > 1) {
		len = xs_path_parent_len(anc);
		anc[len] = '\0';
		r = xs_node_get(rq, anc, &a);
		if (r == 0)
			return (xs_perm_for(rq->conn, a.perms, a.nperms) & need) ?
				-ENOENT : -EACCES;
		if (r != -ENOENT)
			return r;
	}
	return -ENOENT;
}

static int node_put(struct xs_req *rq, const char *path, const void *val,
		    uint32_t vlen, const struct xs_perm *p, uint32_t np,
		    bool create)
{
	struct xs_tree *t = &rq->st->tree;
	struct xs_node *n;
	size_t plen;
	int r;

	if (rq->tx)
		return xs_tx_put(rq, path, val, vlen, p, np, create);
	if (!create) {
		const struct xs_ndata *old;

		n = xs_tree_lookup(t, path);
		if (!n)
			return -ENOENT;
		old = n->data;
		if (old->perms[0].id != p[0].id) {
			xs_dom_nodes_add(rq->st, old->perms[0].id, -1);
			xs_dom_nodes_add(rq->st, p[0].id, 1);
		}
		return xs_tree_set(t, n, val, vlen, p, np);
	}
	plen = xs_path_parent_len(path);
	{
		char parent[XS_PATH_BUF];

		memcpy(parent, path, plen);
		parent[plen] = '\0';
		n = xs_tree_lookup(t, parent);
	}
	if (!n)
		return -ENOENT;
	r = xs_tree_add(t, n, path + (plen > 1 ? plen + 1 : 1), val, vlen, p,
			np, NULL);
	if (r == 0)
		xs_dom_nodes_add(rq->st, p[0].id, 1);
	return r;
}

static void fire(struct xs_req *rq, const char *path, enum xs_match m,
		 const struct xs_perm *p, uint32_t np)
{
	if (rq->tx)
		xs_tx_queue_event(rq->tx, path, m);
	else
		xs_watch_fire(rq->st, path, m, p, np);
}

static long owned_nodes(struct xs_req *rq)
{
	struct xs_dom *d = xs_dom_get(rq->st, rq->conn->domid, false);

	return (d ? d->nodes : 0) + (rq->tx ? rq->tx->node_delta : 0);
}

int xs_node_write(struct xs_req *rq, const char *path, const void *val,
		  uint32_t vlen, bool keep_value)
{
	struct xs_perm perms[XS_MAX_PERMS];
	size_t ends[XENSTORE_ABS_PATH_MAX / 2 + 1];
	char buf[XS_PATH_BUF];
	struct xs_nview v, a;
	unsigned int nmissing = 0;
	size_t len;
	int r;

	r = xs_node_check(rq, path, XS_PERM_WRITE, &v);
	if (r == 0) {
		if (keep_value)
			return 0;	/* MKDIR of an existing node */
		if (xs_quota_exceeded(rq->conn, XS_Q_NODE_SIZE,
				      xs_node_size(vlen, v.nperms,
						   v.childbytes)))
			return -ENOSPC;
		if (v.nperms > XS_MAX_PERMS)
			return -EINVAL;
		memcpy(perms, v.perms, v.nperms * sizeof(perms[0]));
		r = node_put(rq, path, val, vlen, perms, v.nperms, false);
		if (r == 0)
			fire(rq, path, XS_MATCH_SUBTREE, perms, v.nperms);
		return r;
	}
	if (r != -ENOENT)
		return r;

	/* Find the nearest existing ancestor; the rest must be created. */
	len = strlen(path);
	memcpy(buf, path, len + 1);
	for (;;) {
		ends[nmissing++] = len;
		len = xs_path_parent_len(buf);
		buf[len] = '\0';
		r = xs_node_get(rq, buf, &a);
		if (r == 0)
			break;
		if (r != -ENOENT || len <= 1)
			return r == -ENOENT ? -EIO : r;	/* the root exists */
	}
	if (xs_quota_exceeded(rq->conn, XS_Q_NODES,
			      (unsigned long)(owned_nodes(rq) + nmissing)))
		return -ENOSPC;
	if (xs_quota_exceeded(rq->conn, XS_Q_NODE_SIZE,
			      xs_node_size(keep_value ? 0 : vlen, a.nperms, 0)))
		return -ENOSPC;
	/* The ancestor's child list grows by the first missing name. */
	if (xs_quota_exceeded(rq->conn, XS_Q_NODE_SIZE,
			      xs_node_size(a.vlen, a.nperms, a.childbytes +
					   (uint32_t)(ends[nmissing - 1] - len))))
		return -ENOSPC;
	if (a.nperms > XS_MAX_PERMS)
		return -EINVAL;
	memcpy(perms, a.perms, a.nperms * sizeof(perms[0]));
	if (!rq->conn->priv)
		perms[0].id = rq->conn->domid;

	/* Create top-down: each level's parent exists by then. */
	while (nmissing--) {
		bool leaf = nmissing == 0;

		memcpy(buf, path, ends[nmissing]);
		buf[ends[nmissing]] = '\0';
		r = node_put(rq, buf, leaf && !keep_value ? val : NULL,
			     leaf && !keep_value ? vlen : 0, perms, a.nperms,
			     true);
		if (r) {
			if (rq->tx)
				rq->tx->failed = true;
			return r;
		}
		if (rq->tx && perms[0].id == rq->conn->domid)
			rq->tx->node_delta++;
	}
	fire(rq, path, XS_MATCH_SUBTREE, perms, a.nperms);
	return 0;
}

int xs_node_set_perms(struct xs_req *rq, const char *path,
		      const struct xs_perm *p, uint32_t np)
{
	struct xs_perm old[XS_MAX_PERMS];
	struct xs_nview v;
	uint32_t onp;
	int r;

	r = xs_node_check(rq, path, XS_PERM_WRITE | XS_PERM_OWNER, &v);
	if (r)
		return r;
	if (!rq->conn->priv && p[0].id != v.perms[0].id)
		return -EPERM;	/* only dom0 gives nodes away */
	if (xs_quota_exceeded(rq->conn, XS_Q_NODE_SIZE,
			      xs_node_size(v.vlen, np, v.childbytes)))
		return -ENOSPC;
	onp = v.nperms;
	if (onp > XS_MAX_PERMS)
		return -EINVAL;
	memcpy(old, v.perms, onp * sizeof(old[0]));
	/* v.value stays valid: the old record is freed after a grace period
	 * (global) or only when the transaction ends. */
	if (rq->tx) {
		char *copy = malloc(v.vlen + 1);

		if (!copy)
			return -ENOMEM;
		memcpy(copy, v.value, v.vlen);
		r = node_put(rq, path, copy, v.vlen, p, np, false);
		free(copy);
	} else {
		r = node_put(rq, path, v.value, v.vlen, p, np, false);
	}
	if (r == 0)
		fire(rq, path, XS_MATCH_SUBTREE, old, onp);
	return r;
}

struct rm_ctx {
	struct xs_store *st;
	const char *top;
};

static void rm_one(void *arg, const char *path, const struct xs_node *n)
{
	struct rm_ctx *rc = arg;
	const struct xs_ndata *d = n->data;

	xs_dom_nodes_add(rc->st, d->perms[0].id, -1);
	/* Watchers of a removed descendant see it go; ancestors' watchers
	 * get one event for the top. */
	xs_watch_fire(rc->st, path,
		      strcmp(path, rc->top) ? XS_MATCH_EXACT : XS_MATCH_SUBTREE,
		      d->perms, d->nperms);
}

int xs_node_rm(struct xs_req *rq, const char *path)
{
	struct rm_ctx rc = { rq->st, path };
	struct xs_nview v;
	struct xs_node *n;
	int r;

	r = xs_node_check(rq, path, XS_PERM_WRITE, &v);
	if (r == -ENOENT) {
		char parent[XS_PATH_BUF];
		size_t plen = xs_path_parent_len(path);

		/* Removing what is not there is fine if its parent is. */
		memcpy(parent, path, plen);
		parent[plen] = '\0';
		return plen && xs_node_get(rq, parent, &v) == 0 ? 0 : -ENOENT;
	}
	if (r)
		return r;
	if (strcmp(path, "/") == 0)
		return -EINVAL;
	if (rq->tx)
		return xs_tx_rm(rq, path);
	n = xs_tree_lookup(&rq->st->tree, path);
	if (!n)
		return -ENOENT;
	return xs_tree_remove(&rq->st->tree, n, path, rm_one, &rc);
}
