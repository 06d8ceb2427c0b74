// SPDX-License-Identifier: MIT
/*
 * Transactions, optimistic as in Xen: a transaction keeps a private copy
 * of every node it touches (taken at first access, with the node's
 * generation, or "absent").  Reads and writes inside it see only those
 * copies.  Commit checks that every touched node is still what it was
 * at first access; if anything changed, the commit fails with EAGAIN and
 * the client retries.  Otherwise the changed copies are written to the
 * global tree, parents first, and the watch events queued meanwhile fire.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xs_internal.h"

struct xs_tx_ent {
	struct xs_tx_ent *hnext;
	bool exists;
	bool orig_exists;
	bool dirty;
	uint64_t orig_gen;
	uint32_t vlen, nperms, clen;
	char *value;
	struct xs_perm *perms;
	char *children;		/* NUL-terminated names, clen bytes */
	char path[];
};

static uint32_t hash_path(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static void ent_free(struct xs_tx_ent *e)
{
	free(e->value);
	free(e->perms);
	free(e->children);
	free(e);
}

static void tx_free(struct xs_tx *tx)
{
	struct xs_tx_ev *ev;

	for (unsigned int i = 0; i < tx->hsize; i++) {
		struct xs_tx_ent *e = tx->hash[i], *nx;

		for (; e; e = nx) {
			nx = e->hnext;
			ent_free(e);
		}
	}
	free(tx->hash);
	while ((ev = tx->events)) {
		tx->events = ev->next;
		free(ev);
	}
	free(tx);
}

int xs_tx_start(struct xs_conn *c, uint32_t *id)
{
	struct xs_tx *tx;

	if (xs_quota_exceeded(c, XS_Q_TRANSACTIONS, c->ntx + 1ul))
		return -ENOSPC;
	tx = calloc(1, sizeof(*tx));
	if (!tx)
		return -ENOMEM;
	tx->hsize = 64;
	tx->hash = calloc(tx->hsize, sizeof(tx->hash[0]));
	if (!tx->hash) {
		free(tx);
		return -ENOMEM;
	}
	tx->events_tail = &tx->events;
	/* Ids are never 0 (no transaction) nor one in use. */
	do {
		tx->id = c->next_txid++;
	} while (tx->id == 0 || xs_tx_find(c, tx->id));
	tx->next = c->txs;
	c->txs = tx;
	c->ntx++;
	*id = tx->id;
	return 0;
}

struct xs_tx *xs_tx_find(struct xs_conn *c, uint32_t id)
{
	for (struct xs_tx *tx = c->txs; tx; tx = tx->next)
		if (tx->id == id)
			return tx;
	return NULL;
}

static void tx_unlink(struct xs_conn *c, struct xs_tx *tx)
{
	for (struct xs_tx **pp = &c->txs; *pp; pp = &(*pp)->next) {
		if (*pp == tx) {
			*pp = tx->next;
			c->ntx--;
			return;
		}
	}
}

void xs_tx_abort_all(struct xs_conn *c)
{
	struct xs_tx *tx;

	while ((tx = c->txs)) {
		c->txs = tx->next;
		tx_free(tx);
	}
	c->ntx = 0;
}

static struct xs_tx_ent *ent_find(struct xs_tx *tx, const char *path)
{
	struct xs_tx_ent *e = tx->hash[hash_path(path) & (tx->hsize - 1)];

	for (; e; e = e->hnext)
		if (!strcmp(e->path, path))
			return e;
	return NULL;
}

static void grow(struct xs_tx *tx)
{
	unsigned int ns = tx->hsize * 2;
	struct xs_tx_ent **nh = calloc(ns, sizeof(*nh));

	if (!nh)
		return;	/* longer chains, still correct */
	for (unsigned int i = 0; i < tx->hsize; i++) {
		struct xs_tx_ent *e = tx->hash[i], *nx;

		for (; e; e = nx) {
			uint32_t b = hash_path(e->path) & (ns - 1);

			nx = e->hnext;
			e->hnext = nh[b];
			nh[b] = e;
		}
	}
	free(tx->hash);
	tx->hash = nh;
	tx->hsize = ns;
}

/* The transaction's copy of path, taken from the global tree if new. */
static int ent_load(struct xs_req *rq, const char *path, struct xs_tx_ent **out)
{
	struct xs_tx *tx = rq->tx;
	struct xs_tx_ent *e = ent_find(tx, path);
	const struct xs_node *n;
	size_t plen;
	uint32_t b;

	if (e) {
		*out = e;
		return 0;
	}
	if (xs_quota_exceeded(rq->conn, XS_Q_TX_NODES, tx->nents + 1ul))
		return -ENOSPC;
	plen = strlen(path);
	e = calloc(1, sizeof(*e) + plen + 1);
	if (!e)
		return -ENOMEM;
	memcpy(e->path, path, plen + 1);
	n = xs_tree_lookup(&rq->st->tree, path);
	if (n) {
		const struct xs_ndata *d = rcu_dereference(n->data);
		const struct xs_kids *k = rcu_dereference(n->kids);

		e->exists = e->orig_exists = true;
		e->orig_gen = CMM_LOAD_SHARED(n->gen);
		e->vlen = d->vlen;
		e->nperms = d->nperms;
		e->value = malloc(d->vlen + 1);
		e->perms = malloc(d->nperms * sizeof(*e->perms));
		e->clen = k ? k->namebytes : 0;
		e->children = malloc(e->clen + 1);
		if (!e->value || !e->perms || !e->children) {
			ent_free(e);
			return -ENOMEM;
		}
		memcpy(e->value, d->value, d->vlen + 1);
		memcpy(e->perms, d->perms, d->nperms * sizeof(*e->perms));
		for (uint32_t i = 0, at = 0; k && i < k->n; i++) {
			size_t l = strlen(k->v[i]->name) + 1;

			memcpy(e->children + at, k->v[i]->name, l);
			at += (uint32_t)l;
		}
	}
	b = hash_path(path) & (tx->hsize - 1);
	e->hnext = tx->hash[b];
	tx->hash[b] = e;
	if (++tx->nents > tx->hsize * 2)
		grow(tx);
	*out = e;
	return 0;
}

int xs_tx_get(struct xs_req *rq, const char *path, struct xs_nview *v)
{
	struct xs_tx_ent *e;
	int r = ent_load(rq, path, &e);

	if (r)
		return r;
	if (!e->exists)
		return -ENOENT;
	v->gen = e->orig_gen;
	v->value = e->value;
	v->vlen = e->vlen;
	v->perms = e->perms;
	v->nperms = e->nperms;
	v->childbytes = e->clen;
	return 0;
}

int xs_tx_children(struct xs_req *rq, const char *path, char **out,
		   uint32_t *len)
{
	struct xs_tx_ent *e;
	int r = ent_load(rq, path, &e);

	if (r)
		return r;
	if (!e->exists)
		return -ENOENT;
	*out = malloc(e->clen + 1);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, e->children, e->clen);
	*len = e->clen;
	return 0;
}

static int children_edit(struct xs_tx_ent *p, const char *name, bool add)
{
	size_t nl = strlen(name) + 1;

	if (add) {
		char *c = realloc(p->children, p->clen + nl + 1);

		if (!c)
			return -ENOMEM;
		memcpy(c + p->clen, name, nl);
		p->children = c;
		p->clen += (uint32_t)nl;
		return 0;
	}
	for (uint32_t at = 0; at < p->clen;) {
		size_t l = strlen(p->children + at) + 1;

		if (l == nl && !memcmp(p->children + at, name, nl)) {
			memmove(p->children + at, p->children + at + l,
				p->clen - at - l);
			p->clen -= (uint32_t)l;
			return 0;
		}
		at += (uint32_t)l;
	}
	return 0;
}

static int parent_ent(struct xs_req *rq, const char *path,
		      struct xs_tx_ent **pe, const char **base)
{
	char parent[XS_PATH_BUF];
	size_t plen = xs_path_parent_len(path);

	if (plen == 0)
		return -EINVAL;
	memcpy(parent, path, plen);
	parent[plen] = '\0';
	*base = path + (plen > 1 ? plen + 1 : 1);
	return ent_load(rq, parent, pe);
}

int xs_tx_put(struct xs_req *rq, const char *path, const void *v,
	      uint32_t vlen, const struct xs_perm *p, uint32_t np,
	      bool create)
{
	struct xs_tx_ent *e, *pe;
	const char *base;
	char *nv;
	struct xs_perm *npm;
	int r;

	r = ent_load(rq, path, &e);
	if (r)
		return r;
	if (create) {
		r = parent_ent(rq, path, &pe, &base);
		if (r)
			return r;
		if (!pe->exists || e->exists)
			return -EIO;
		r = children_edit(pe, base, true);
		if (r)
			return r;
		pe->dirty = true;
		e->clen = 0;
	} else if (!e->exists) {
		return -ENOENT;
	}
	nv = malloc(vlen + 1);
	npm = malloc(np * sizeof(*npm) + 1);
	if (!nv || !npm) {
		free(nv);
		free(npm);
		return -ENOMEM;
	}
	if (vlen)
		memcpy(nv, v, vlen);
	nv[vlen] = '\0';
	memcpy(npm, p, np * sizeof(*npm));
	free(e->value);
	free(e->perms);
	e->value = nv;
	e->vlen = vlen;
	e->perms = npm;
	e->nperms = np;
	if (!e->children)
		e->children = calloc(1, 1);
	e->exists = true;
	e->dirty = true;
	return e->children ? 0 : -ENOMEM;
}

/* Mark path and everything below it gone, inside the transaction. */
static int rm_sub(struct xs_req *rq, struct xs_tx_ent *e, bool top)
{
	char child[XS_PATH_BUF];
	size_t plen = strlen(e->path);

	for (uint32_t at = 0; at < e->clen;) {
		const char *name = e->children + at;
		size_t l = strlen(name);
		struct xs_tx_ent *c;
		int r;

		at += (uint32_t)l + 1;
		if (plen + 1 + l >= sizeof(child))
			continue;
		if (plen == 1) {
			child[0] = '/';
			memcpy(child + 1, name, l + 1);
		} else {
			memcpy(child, e->path, plen);
			child[plen] = '/';
			memcpy(child + plen + 1, name, l + 1);
		}
		r = ent_load(rq, child, &c);
		if (r)
			return r;
		if (c->exists) {
			r = rm_sub(rq, c, false);
			if (r)
				return r;
		}
	}
	if (e->nperms && e->perms[0].id == rq->conn->domid)
		rq->tx->node_delta--;
	e->exists = false;
	e->dirty = true;
	e->clen = 0;
	xs_tx_queue_event(rq->tx, e->path,
			  top ? XS_MATCH_SUBTREE : XS_MATCH_EXACT);
	return 0;
}

int xs_tx_rm(struct xs_req *rq, const char *path)
{
	struct xs_tx_ent *e, *pe;
	const char *base;
	int r;

	r = ent_load(rq, path, &e);
	if (r)
		return r;
	if (!e->exists)
		return -ENOENT;
	r = parent_ent(rq, path, &pe, &base);
	if (r)
		return r;
	r = rm_sub(rq, e, true);
	if (r) {
		rq->tx->failed = true;
		return r;
	}
	pe->dirty = true;
	return children_edit(pe, base, false);
}

void xs_tx_queue_event(struct xs_tx *tx, const char *path, enum xs_match m)
{
	size_t l = strlen(path) + 1;
	struct xs_tx_ev *ev = malloc(sizeof(*ev) + l);

	if (!ev)
		return;	/* watches may be lost under memory pressure */
	ev->next = NULL;
	ev->m = m;
	memcpy(ev->path, path, l);
	*tx->events_tail = ev;
	tx->events_tail = &ev->next;
}

static unsigned int depth(const char *p)
{
	unsigned int d = 0;

	for (; *p; p++)
		d += *p == '/';
	return d;
}

static int cmp_depth(const void *a, const void *b)
{
	const struct xs_tx_ent *x = *(const struct xs_tx_ent *const *)a;
	const struct xs_tx_ent *y = *(const struct xs_tx_ent *const *)b;
	unsigned int dx = depth(x->path), dy = depth(y->path);

	if (!strcmp(x->path, "/"))
		dx = 0;
	if (!strcmp(y->path, "/"))
		dy = 0;
	return dx < dy ? -1 : dx > dy ? 1 : strcmp(x->path, y->path);
}

static void count_rm(void *arg, const char *path, const struct xs_node *n)
{
	xs_dom_nodes_add(arg, n->data->perms[0].id, -1);
}

static int apply(struct xs_store *st, struct xs_tx_ent *e)
{
	struct xs_tree *t = &st->tree;
	struct xs_node *n = xs_tree_lookup(t, e->path);

	if (!e->exists)
		return n ? xs_tree_remove(t, n, e->path, count_rm, st) : 0;
	if (n) {
		/* Unchanged (e.g. a parent whose child list we edited): the
		 * tree's own child list is authoritative. */
		if (n->data->vlen == e->vlen && n->data->nperms == e->nperms &&
		    !memcmp(n->data->value, e->value, e->vlen) &&
		    !memcmp(n->data->perms, e->perms,
			    e->nperms * sizeof(*e->perms)))
			return 0;
		if (n->data->perms[0].id != e->perms[0].id) {
			xs_dom_nodes_add(st, n->data->perms[0].id, -1);
			xs_dom_nodes_add(st, e->perms[0].id, 1);
		}
		return xs_tree_set(t, n, e->value, e->vlen, e->perms,
				   e->nperms);
	} else {
		char parent[XS_PATH_BUF];
		size_t plen = xs_path_parent_len(e->path);
		struct xs_node *pn;
		int r;

		memcpy(parent, e->path, plen);
		parent[plen] = '\0';
		pn = xs_tree_lookup(t, parent);
		if (!pn)
			return -EIO;
		r = xs_tree_add(t, pn, e->path + (plen > 1 ? plen + 1 : 1),
				e->value, e->vlen, e->perms, e->nperms, NULL);
		if (r == 0)
			xs_dom_nodes_add(st, e->perms[0].id, 1);
		return r;
	}
}

static int commit(struct xs_req *rq, struct xs_tx *tx)
{
	struct xs_store *st = rq->st;
	struct xs_tx_ent **dirty;
	unsigned int nd = 0;
	int r = 0;

	if (tx->failed)
		return -EAGAIN;
	/* Validate: every node touched is as it was at first access. */
	for (unsigned int i = 0; i < tx->hsize; i++) {
		for (struct xs_tx_ent *e = tx->hash[i]; e; e = e->hnext) {
			const struct xs_node *n = xs_tree_lookup(&st->tree,
								 e->path);

			if (!!n != e->orig_exists ||
			    (n && CMM_LOAD_SHARED(n->gen) != e->orig_gen))
				return -EAGAIN;
			nd += e->dirty;
		}
	}
	if (tx->node_delta > 0) {
		struct xs_dom *d = xs_dom_get(st, rq->conn->domid, false);

		if (xs_quota_exceeded(rq->conn, XS_Q_NODES,
				      (unsigned long)((d ? d->nodes : 0) +
						      tx->node_delta)))
			return -ENOSPC;
	}
	dirty = malloc((nd + 1) * sizeof(*dirty));
	if (!dirty)
		return -ENOMEM;
	nd = 0;
	for (unsigned int i = 0; i < tx->hsize; i++)
		for (struct xs_tx_ent *e = tx->hash[i]; e; e = e->hnext)
			if (e->dirty)
				dirty[nd++] = e;
	qsort(dirty, nd, sizeof(*dirty), cmp_depth);
	for (unsigned int i = 0; i < nd; i++) {
		int e = apply(st, dirty[i]);

		/* Validation passed, so only memory can fail here. */
		if (e && !r) {
			xs_log("dom%u: transaction %u partly committed: %d",
			       rq->conn->domid, tx->id, e);
			r = e;
		}
	}
	free(dirty);
	for (struct xs_tx_ev *ev = tx->events; ev; ev = ev->next)
		xs_watch_fire(st, ev->path, ev->m, NULL, 0);
	return r;
}

int xs_tx_end(struct xs_req *rq, struct xs_tx *tx, bool do_commit)
{
	int r = 0;

	tx_unlink(rq->conn, tx);
	if (do_commit)
		r = commit(rq, tx);
	tx_free(tx);
	return r;
}
