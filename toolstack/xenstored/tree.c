// SPDX-License-Identifier: MIT
/*
 * The node tree, RCU-protected.
 *
 * Readers (rcu_read_lock held) walk from the root through each node's
 * kids array and read its data record without locks.  The one writer
 * (store lock held) never changes a published record in place: it
 * builds a new one, publishes it with rcu_assign_pointer and hands the
 * old one to call_rcu.  A node's gen changes with its value, perms and
 * child list, which is what transactions compare.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xs_internal.h"

static struct xs_ndata *ndata_new(const void *v, uint32_t vlen,
				  const struct xs_perm *p, uint32_t np)
{
	struct xs_ndata *d;

	d = malloc(sizeof(*d) + np * sizeof(*p) + vlen + 1);
	if (!d)
		return NULL;
	d->vlen = vlen;
	d->nperms = np;
	d->perms = (struct xs_perm *)(d + 1);
	memcpy(d->perms, p, np * sizeof(*p));
	d->value = (char *)(d->perms + np);
	if (vlen)
		memcpy(d->value, v, vlen);
	d->value[vlen] = '\0';
	return d;
}

static void free_rcu_ptr(struct rcu_head *h)
{
	/* rcu is the first member of every record freed this way. */
	free(h);
}

static struct xs_node *node_new(struct xs_node *parent, const char *name,
				size_t len, struct xs_ndata *d, uint64_t gen)
{
	struct xs_node *n = calloc(1, sizeof(*n) + len + 1);

	if (!n)
		return NULL;
	n->parent = parent;
	n->gen = gen;
	n->data = d;
	memcpy(n->name, name, len);
	return n;
}

int xs_tree_init(struct xs_tree *t, const struct xs_perm *p, uint32_t np)
{
	struct xs_ndata *d = ndata_new(NULL, 0, p, np);

	t->gen = 1;
	if (!d)
		return -ENOMEM;
	t->root = node_new(NULL, "", 0, d, t->gen++);
	if (!t->root) {
		free(d);
		return -ENOMEM;
	}
	return 0;
}

static void node_free_now(struct xs_node *n)
{
	struct xs_kids *k = n->kids;

	if (k) {
		for (uint32_t i = 0; i < k->n; i++)
			node_free_now(k->v[i]);
		free(k);
	}
	free(n->data);
	free(n);
}

void xs_tree_destroy(struct xs_tree *t)
{
	if (t->root)
		node_free_now(t->root);
	t->root = NULL;
}

struct xs_node *xs_tree_child(const struct xs_node *n, const char *name,
			      size_t len)
{
	struct xs_kids *k = rcu_dereference(n->kids);

	if (!k)
		return NULL;
	for (uint32_t i = 0; i < k->n; i++) {
		struct xs_node *c = k->v[i];

		if (strncmp(c->name, name, len) == 0 && c->name[len] == '\0')
			return c;
	}
	return NULL;
}

/* path is absolute and already validated (no "//", no trailing "/"). */
struct xs_node *xs_tree_lookup(const struct xs_tree *t, const char *path)
{
	struct xs_node *n = rcu_dereference(t->root);

	if (!n || path[0] != '/')
		return NULL;
	path++;
	while (n && *path) {
		const char *slash = strchr(path, '/');
		size_t len = slash ? (size_t)(slash - path) : strlen(path);

		if (len == 0)
			return NULL;
		n = xs_tree_child(n, path, len);
		path += len + (slash ? 1 : 0);
	}
	return n;
}

int xs_tree_set(struct xs_tree *t, struct xs_node *n, const void *v,
		uint32_t vlen, const struct xs_perm *p, uint32_t np)
{
	struct xs_ndata *old = n->data, *d = ndata_new(v, vlen, p, np);

	if (!d)
		return -ENOMEM;
	rcu_assign_pointer(n->data, d);
	CMM_STORE_SHARED(n->gen, t->gen++);
	call_rcu(&old->rcu, free_rcu_ptr);
	return 0;
}

int xs_tree_add(struct xs_tree *t, struct xs_node *parent, const char *name,
		const void *v, uint32_t vlen, const struct xs_perm *p,
		uint32_t np, struct xs_node **out)
{
	struct xs_kids *old = parent->kids, *k;
	uint32_t n = old ? old->n : 0;
	size_t len = strlen(name);
	struct xs_ndata *d;
	struct xs_node *c;

	d = ndata_new(v, vlen, p, np);
	if (!d)
		return -ENOMEM;
	c = node_new(parent, name, len, d, t->gen++);
	k = malloc(sizeof(*k) + (n + 1) * sizeof(k->v[0]));
	if (!c || !k) {
		free(d);
		free(c);
		free(k);
		return -ENOMEM;
	}
	k->n = n + 1;
	k->namebytes = (old ? old->namebytes : 0) + (uint32_t)len + 1;
	if (n)
		memcpy(k->v, old->v, n * sizeof(k->v[0]));
	k->v[n] = c;
	/* The new node is complete before anyone can reach it. */
	rcu_assign_pointer(parent->kids, k);
	CMM_STORE_SHARED(parent->gen, t->gen++);
	if (old)
		call_rcu(&old->rcu, free_rcu_ptr);
	if (out)
		*out = c;
	return 0;
}

static void node_free_rcu(struct rcu_head *h)
{
	struct xs_node *n = caa_container_of(h, struct xs_node, rcu);

	/* Children were queued separately, before this node. */
	free(n->kids);
	free(n->data);
	free(n);
}

/* Post-order: report and queue the subtree below (and including) n. */
static void remove_sub(struct xs_node *n, char *path, size_t plen,
		       xs_tree_rm_fn fn, void *arg)
{
	struct xs_kids *k = n->kids;

	if (k) {
		for (uint32_t i = 0; i < k->n; i++) {
			struct xs_node *c = k->v[i];
			size_t clen = strlen(c->name);

			/* Paths below a valid path fit: lengths were checked
			 * when each node was created. */
			if (plen + 1 + clen < XS_PATH_BUF) {
				size_t at = plen;

				if (plen > 1 || path[0] != '/')
					path[at++] = '/';
				memcpy(path + at, c->name, clen + 1);
				remove_sub(c, path, at + clen, fn, arg);
				path[plen] = '\0';
			} else {
				remove_sub(c, path, plen, fn, arg);
			}
		}
	}
	if (fn)
		fn(arg, path, n);
	call_rcu(&n->rcu, node_free_rcu);
}

int xs_tree_remove(struct xs_tree *t, struct xs_node *n, const char *path,
		   xs_tree_rm_fn fn, void *arg)
{
	struct xs_node *parent = n->parent;
	struct xs_kids *old, *k;
	char buf[XS_PATH_BUF];
	uint32_t j = 0;
	size_t plen;

	if (!parent)
		return -EINVAL;	/* never the root */
	old = parent->kids;
	k = malloc(sizeof(*k) + old->n * sizeof(k->v[0]));
	if (!k)
		return -ENOMEM;
	k->namebytes = old->namebytes - (uint32_t)strlen(n->name) - 1;
	for (uint32_t i = 0; i < old->n; i++)
		if (old->v[i] != n)
			k->v[j++] = old->v[i];
	k->n = j;
	if (j == 0) {
		free(k);
		k = NULL;
	}
	/* Unlink first: new readers no longer find the subtree. */
	rcu_assign_pointer(parent->kids, k);
	CMM_STORE_SHARED(parent->gen, t->gen++);
	call_rcu(&old->rcu, free_rcu_ptr);

	plen = strlen(path);
	if (plen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, path, plen + 1);
	remove_sub(n, buf, plen, fn, arg);
	return 0;
}

size_t xs_tree_count(const struct xs_node *n)
{
	struct xs_kids *k = rcu_dereference(n->kids);
	size_t c = 1;

	if (k)
		for (uint32_t i = 0; i < k->n; i++)
			c += xs_tree_count(k->v[i]);
	return c;
}
