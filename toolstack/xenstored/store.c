// SPDX-License-Identifier: MIT
/*
 * The store: tree, quotas, domains, connections and the store lock that
 * serialises writers.  Also the lock-free read path and the in-process
 * request entry point for pvisord.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "xs_internal.h"

static __thread bool rcu_registered;
static pthread_key_t rcu_key;
static pthread_once_t rcu_once = PTHREAD_ONCE_INIT;

static void rcu_thread_gone(void *unused)
{
	if (rcu_registered) {
		rcu_unregister_thread();
		rcu_registered = false;
	}
}

static void rcu_key_init(void)
{
	pthread_key_create(&rcu_key, rcu_thread_gone);
}

/* urcu-memb wants every reader thread registered; do it on first use. */
void xs_rcu_ensure_thread(void)
{
	if (rcu_registered)
		return;
	pthread_once(&rcu_once, rcu_key_init);
	rcu_register_thread();
	rcu_registered = true;
	pthread_setspecific(rcu_key, (void *)1);
}

void xs_thread_exit(void)
{
	rcu_thread_gone(NULL);
}

void xs_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("pvxenstored: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

struct xs_store *xs_store_new(const struct xs_store_hooks *hooks)
{
	/* Like Xen's initial tree: "/" and "/tool", dom0's, closed to all. */
	static const struct xs_perm root = { 0, XS_PERM_NONE };
	struct xs_store *st = calloc(1, sizeof(*st));
	struct xs_node *tool;

	if (!st)
		return NULL;
	xs_rcu_ensure_thread();
	pthread_mutex_init(&st->lock, NULL);
	xs_quota_defaults(&st->quota);
	if (hooks)
		st->hooks = *hooks;
	if (xs_tree_init(&st->tree, &root, 1) ||
	    xs_tree_add(&st->tree, st->tree.root, "tool", NULL, 0, &root, 1,
			&tool)) {
		xs_tree_destroy(&st->tree);
		free(st);
		return NULL;
	}
	xs_dom_nodes_add(st, 0, 2);
	st->special[XS_SPECIAL_INTRODUCE].path = "@introduceDomain";
	st->special[XS_SPECIAL_RELEASE].path = "@releaseDomain";
	for (int i = 0; i < 2; i++) {
		st->special[i].perms[0] = root;
		st->special[i].nperms = 1;
	}
	return st;
}

void xs_store_free(struct xs_store *st)
{
	if (!st)
		return;
	xs_store_lock(st);
	for (unsigned int i = 0; i < XS_DOM_HASH; i++)
		for (struct xs_dom *d = st->doms[i]; d; d = d->next)
			if (d->ring) {
				xs_ring_free_locked(d->ring);
				d->ring = NULL;
			}
	while (st->conns)
		xs_conn_free(st->conns);
	xs_store_unlock(st);
	/* Let readers finish and queued frees run before the rest goes. */
	synchronize_rcu();
	rcu_barrier();
	xs_tree_destroy(&st->tree);
	xs_dom_free_all(st);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

void xs_store_set_quota(struct xs_store *st, enum xs_quota_item q,
			unsigned int val)
{
	if ((unsigned int)q < XS_Q_COUNT)
		st->quota.max[q] = val;
}

unsigned int xs_store_get_quota(const struct xs_store *st,
				enum xs_quota_item q)
{
	return (unsigned int)q < XS_Q_COUNT ? st->quota.max[q] : 0;
}

void xs_store_set_trace(struct xs_store *st, int on)
{
	st->trace = on;
}

void xs_store_lock(struct xs_store *st)
{
	xs_rcu_ensure_thread();
	pthread_mutex_lock(&st->lock);
}

void xs_store_unlock(struct xs_store *st)
{
	pthread_mutex_unlock(&st->lock);
}

struct xs_special *xs_special_get(struct xs_store *st, const char *path)
{
	for (int i = 0; i < 2; i++)
		if (!strcmp(path, st->special[i].path))
			return &st->special[i];
	return NULL;
}

long xs_store_read(struct xs_store *st, const char *path, void *buf,
		   size_t cap)
{
	const struct xs_node *n;
	long len;

	if (path[0] != '/' || strlen(path) > XENSTORE_ABS_PATH_MAX ||
	    strstr(path, "//"))
		return -EINVAL;
	xs_rcu_ensure_thread();
	rcu_read_lock();
	n = xs_tree_lookup(&st->tree, path);
	if (n) {
		const struct xs_ndata *d = rcu_dereference(n->data);

		len = d->vlen;
		memcpy(buf, d->value, (size_t)len < cap ? (size_t)len : cap);
	} else {
		len = -ENOENT;
	}
	rcu_read_unlock();
	return len;
}

int xs_store_call(struct xs_store *st, enum xsd_sockmsg_type type,
		  const void *payload, uint32_t len, void *reply, size_t cap,
		  uint32_t *rlen)
{
	static uint32_t req_id;
	struct xsd_sockmsg hdr = { .type = type, .len = len };
	char *copy;
	int r = -EIO;

	if (len > XENSTORE_PAYLOAD_MAX)
		return -E2BIG;
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, payload, len);
	copy[len] = '\0';
	xs_store_lock(st);
	if (!st->self)
		st->self = xs_conn_new(st, 0, true);
	if (st->self) {
		struct xs_conn *c = st->self;

		hdr.req_id = ++req_id;
		xs_dispatch(c, &hdr, copy);
		while (c->out_head) {
			struct xs_msg *m = c->out_head;
			struct xsd_sockmsg h;

			memcpy(&h, m->bytes, sizeof(h));
			if (h.req_id == hdr.req_id && h.type != XS_WATCH_EVENT) {
				const char *p = (const char *)m->bytes +
						sizeof(h);

				if (h.type == XS_ERROR) {
					r = -EINVAL;
					for (size_t i = 0; i < sizeof(xsd_errors) /
						 sizeof(xsd_errors[0]); i++)
						if (!strcmp(p, xsd_errors[i]
								.errstring))
							r = -xsd_errors[i].errnum;
				} else {
					memcpy(reply, p, h.len < cap ? h.len : cap);
					if (rlen)
						*rlen = h.len;
					r = 0;
				}
			}
			xs_conn_out_advance(c, m->len - m->off);
		}
	}
	xs_store_unlock(st);
	free(copy);
	return r;
}
