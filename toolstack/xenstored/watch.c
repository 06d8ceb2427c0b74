// SPDX-License-Identifier: MIT
/*
 * Watches.  A watch on P fires for changes to P and everything below it
 * (removal of a whole subtree fires watches inside it once each, with
 * their own path), once straight away on registration, and only for
 * connections that may read the node or its parent.  Relative watches
 * get relative event paths.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xs_internal.h"

static bool readable(struct xs_conn *c, const struct xs_node *n)
{
	const struct xs_ndata *d = rcu_dereference(n->data);

	return xs_perm_for(c, d->perms, d->nperms) & XS_PERM_READ;
}

static bool permitted(struct xs_store *st, struct xs_conn *c,
		      const char *path, const struct xs_perm *p, uint32_t np)
{
	char parent[XS_PATH_BUF];
	const struct xs_node *n;
	size_t plen;

	if (c->priv)
		return true;
	if (p && (xs_perm_for(c, p, np) & XS_PERM_READ))
		return true;
	if (path[0] == '@') {
		struct xs_special *sp = xs_special_get(st, path);

		return sp && (xs_perm_for(c, sp->perms, sp->nperms) &
			      XS_PERM_READ);
	}
	n = xs_tree_lookup(&st->tree, path);
	if (n && readable(c, n))
		return true;
	plen = xs_path_parent_len(path);
	if (plen == 0 || plen >= sizeof(parent))
		return false;
	memcpy(parent, path, plen);
	parent[plen] = '\0';
	n = xs_tree_lookup(&st->tree, parent);
	return n && readable(c, n);
}

static int send_event(struct xs_conn *c, const struct xs_watch *w,
		      const char *path)
{
	const char *ev = path + w->rel_off;

	return xs_conn_queue(c, XS_WATCH_EVENT, 0, 0, ev,
			     (uint32_t)strlen(ev) + 1, w->token,
			     (uint32_t)strlen(w->token) + 1, false);
}

void xs_watch_fire(struct xs_store *st, const char *path, enum xs_match m,
		   const struct xs_perm *perms, uint32_t np)
{
	for (struct xs_conn *c = st->conns; c; c = c->next) {
		bool checked = false, ok = false;

		if (c->dead || !c->watches)
			continue;
		for (struct xs_watch *w = c->watches; w; w = w->next) {
			bool hit = m == XS_MATCH_EXACT ?
				   strcmp(path, w->path) == 0 :
				   xs_path_is_child(path, w->path) ||
				   (path[0] == '@' && !strcmp(path, w->path));

			if (!hit || strlen(path) < w->rel_off)
				continue;
			if (!checked) {
				ok = permitted(st, c, path, perms, np);
				checked = true;
			}
			if (ok)
				send_event(c, w, path);
		}
	}
}

int xs_watch_add(struct xs_req *rq, const char *path, const char *token,
		 bool relative)
{
	struct xs_conn *c = rq->conn;
	struct xs_watch *w, **tail = &c->watches;

	for (w = c->watches; w; w = w->next) {
		if (!strcmp(w->path, path) && !strcmp(w->token, token))
			return -EEXIST;
		tail = &w->next;
	}
	if (xs_quota_exceeded(c, XS_Q_WATCHES, c->nwatches + 1ul))
		return -ENOSPC;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->path = strdup(path);
	w->token = strdup(token);
	if (!w->path || !w->token) {
		free(w->path);
		free(w->token);
		free(w);
		return -ENOMEM;
	}
	if (relative) {
		/* Strip "/local/domain/<id>/" from event paths. */
		const char *p = w->path;

		for (int slashes = 0; *p && slashes < 4; p++)
			if (*p == '/')
				slashes++;
		w->rel_off = (uint32_t)(p - w->path);
	}
	*tail = w;
	c->nwatches++;
	xs_reply_ok(rq);
	/* Fire once now: clients rely on it to read initial state. */
	send_event(c, w, w->path);
	return 0;
}

int xs_watch_del(struct xs_req *rq, const char *path, const char *token)
{
	struct xs_conn *c = rq->conn;

	for (struct xs_watch **pp = &c->watches; *pp; pp = &(*pp)->next) {
		struct xs_watch *w = *pp;

		if (!strcmp(w->path, path) && !strcmp(w->token, token)) {
			*pp = w->next;
			free(w->path);
			free(w->token);
			free(w);
			c->nwatches--;
			return 0;
		}
	}
	return -ENOENT;
}

void xs_watch_del_all(struct xs_conn *c)
{
	struct xs_watch *w;

	while ((w = c->watches)) {
		c->watches = w->next;
		free(w->path);
		free(w->token);
		free(w);
	}
	c->nwatches = 0;
}
