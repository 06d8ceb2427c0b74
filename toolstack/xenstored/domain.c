// SPDX-License-Identifier: MIT
/*
 * Domains as xenstored knows them: node accounting per owner (also for
 * domains not introduced yet: dom0 prepares their nodes first), whether
 * a domain is introduced, and what release does: drop its connection,
 * delete the nodes it owns, strip it from other nodes' ACLs, and fire
 * @releaseDomain.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xs_internal.h"

struct xs_dom *xs_dom_get(struct xs_store *st, unsigned int domid,
			  bool create)
{
	struct xs_dom **b = &st->doms[domid % XS_DOM_HASH], *d;

	for (d = *b; d; d = d->next)
		if (d->domid == domid)
			return d;
	if (!create)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->domid = domid;
	d->next = *b;
	*b = d;
	return d;
}

void xs_dom_nodes_add(struct xs_store *st, unsigned int domid, long n)
{
	struct xs_dom *d = xs_dom_get(st, domid, true);

	if (d)
		d->nodes += n;
}

void xs_dom_free_all(struct xs_store *st)
{
	for (unsigned int i = 0; i < XS_DOM_HASH; i++) {
		struct xs_dom *d = st->doms[i], *nx;

		for (; d; d = nx) {
			nx = d->next;
			free(d);
		}
		st->doms[i] = NULL;
	}
}

static void fire_special(struct xs_store *st, int which)
{
	struct xs_special *sp = &st->special[which];

	xs_watch_fire(st, sp->path, XS_MATCH_EXACT, sp->perms, sp->nperms);
}

void xs_dom_introduced(struct xs_store *st, struct xs_dom *d)
{
	bool was = d->introduced;

	d->introduced = true;
	d->shutdown = false;
	if (!was)
		fire_special(st, XS_SPECIAL_INTRODUCE);
}

void xs_domain_shutdown(struct xs_store *st, unsigned int domid)
{
	struct xs_dom *d;

	xs_store_lock(st);
	d = xs_dom_get(st, domid, false);
	if (d && d->introduced && !d->shutdown) {
		d->shutdown = true;
		fire_special(st, XS_SPECIAL_RELEASE);
	}
	xs_store_unlock(st);
}

/* Collect the top nodes owned by domid; fix ACLs of the others. */
struct orphan_walk {
	struct xs_store *st;
	unsigned int domid;
	char **paths;
	size_t n, cap;
};

static void strip_acl(struct xs_store *st, struct xs_node *n, unsigned int id)
{
	const struct xs_ndata *d = n->data;
	struct xs_perm *p;
	uint32_t np = 0;

	for (uint32_t i = 1; i < d->nperms; i++)
		if (d->perms[i].id == id)
			goto strip;
	return;
strip:
	p = malloc(d->nperms * sizeof(*p));
	if (!p)
		return;
	p[np++] = d->perms[0];
	for (uint32_t i = 1; i < d->nperms; i++)
		if (d->perms[i].id != id)
			p[np++] = d->perms[i];
	xs_tree_set(&st->tree, n, d->value, d->vlen, p, np);
	free(p);
}

static void walk(struct orphan_walk *w, struct xs_node *n, char *path,
		 size_t plen)
{
	const struct xs_kids *k;

	if (n->parent && n->data->perms[0].id == w->domid) {
		if (w->n == w->cap) {
			size_t nc = w->cap ? w->cap * 2 : 16;
			char **np = realloc(w->paths, nc * sizeof(*np));

			if (!np)
				return;
			w->paths = np;
			w->cap = nc;
		}
		w->paths[w->n] = strdup(path);
		if (w->paths[w->n])
			w->n++;
		return;	/* its subtree goes with it */
	}
	strip_acl(w->st, n, w->domid);
	k = n->kids;
	for (uint32_t i = 0; k && i < k->n; i++) {
		const char *name = k->v[i]->name;
		size_t l = strlen(name), at = plen > 1 ? plen + 1 : 1;

		if (at + l >= XS_PATH_BUF)
			continue;
		path[at - 1] = '/';
		memcpy(path + at, name, l + 1);
		walk(w, k->v[i], path, at + l);
		path[plen] = '\0';
	}
}

struct rm_ctx {
	struct xs_store *st;
	const char *top;
};

static void rm_one(void *arg, const char *path, const struct xs_node *n)
{
	struct rm_ctx *rc = arg;

	xs_dom_nodes_add(rc->st, n->data->perms[0].id, -1);
	xs_watch_fire(rc->st, path,
		      strcmp(path, rc->top) ? XS_MATCH_EXACT : XS_MATCH_SUBTREE,
		      n->data->perms, n->data->nperms);
}

int xs_dom_release_locked(struct xs_store *st, unsigned int domid)
{
	struct orphan_walk w = { .st = st, .domid = domid };
	struct xs_dom *d = xs_dom_get(st, domid, false);
	char path[XS_PATH_BUF] = "/";

	if (domid == 0)
		return -EINVAL;
	if (!d || !d->introduced)
		return -ENOENT;
	/* Its connection goes first, so it sees no events of its own end. */
	if (d->ring)
		xs_ring_free_locked(d->ring);
	d->ring = NULL;
	d->conn = NULL;
	d->introduced = false;
	d->embedder_owned = false;

	walk(&w, st->tree.root, path, 1);
	for (size_t i = 0; i < w.n; i++) {
		struct xs_node *n = xs_tree_lookup(&st->tree, w.paths[i]);
		struct rm_ctx rc = { st, w.paths[i] };

		if (n)
			xs_tree_remove(&st->tree, n, w.paths[i], rm_one, &rc);
		free(w.paths[i]);
	}
	free(w.paths);
	for (int s = 0; s < 2; s++) {
		struct xs_special *sp = &st->special[s];
		uint32_t np = 1;

		for (uint32_t i = 1; i < sp->nperms; i++)
			if (sp->perms[i].id != domid)
				sp->perms[np++] = sp->perms[i];
		sp->nperms = np;
	}
	fire_special(st, XS_SPECIAL_RELEASE);
	if (st->hooks.release)
		st->hooks.release(st->hooks.opaque, st, domid);
	return 0;
}

int xs_domain_release(struct xs_store *st, unsigned int domid)
{
	int r;

	xs_store_lock(st);
	rcu_read_lock();
	r = xs_dom_release_locked(st, domid);
	rcu_read_unlock();
	xs_store_unlock(st);
	return r;
}
