// SPDX-License-Identifier: MIT
/*
 * Request dispatch.  The table is data, as in Xen's xenstored: each type
 * has a handler and flags, and xs_dispatch does the shared checks in one
 * place (unknown type: ENOSYS; privileged op from a guest: EACCES;
 * transaction lookup: ENOENT).  Handlers parse their arguments, return 0
 * after replying, or a negative errno that becomes an XS_ERROR reply.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs_internal.h"

#define F_PRIV		1u	/* dom0 only */
#define F_NOTID		2u	/* tx_id is ignored */

void xs_reply(struct xs_req *rq, const void *p, uint32_t len)
{
	if (rq->replied)
		return;
	rq->replied = true;
	if (len > XENSTORE_PAYLOAD_MAX) {
		static const char e2big[] = "E2BIG";

		xs_conn_queue(rq->conn, XS_ERROR, rq->hdr->req_id,
			      rq->hdr->tx_id, e2big, sizeof(e2big), NULL, 0,
			      true);
		return;
	}
	xs_conn_queue(rq->conn, rq->hdr->type, rq->hdr->req_id,
		      rq->hdr->tx_id, p, len, NULL, 0, true);
}

void xs_reply_ok(struct xs_req *rq)
{
	xs_reply(rq, "OK", 3);
}

static void reply_error(struct xs_req *rq, int err)
{
	const char *name = xs_errno_name(err);

	if (rq->replied)
		return;
	rq->replied = true;
	xs_conn_queue(rq->conn, XS_ERROR, rq->hdr->req_id, rq->hdr->tx_id,
		      name, (uint32_t)strlen(name) + 1, NULL, 0, true);
}

/* The single path argument of most requests, made absolute. */
static int one_path(struct xs_req *rq, char *out, bool special)
{
	const char *p = xs_wire_onearg(rq->payload, rq->hdr->len);

	if (!p)
		return -EINVAL;
	return xs_path_canon(rq->conn, p, special, out);
}

static int do_read(struct xs_req *rq)
{
	char path[XS_PATH_BUF];
	struct xs_nview v;
	int r = one_path(rq, path, false);

	if (!r)
		r = xs_node_check(rq, path, XS_PERM_READ, &v);
	if (!r)
		xs_reply(rq, v.value, v.vlen);
	return r;
}

static int do_directory(struct xs_req *rq)
{
	char path[XS_PATH_BUF], *kids;
	struct xs_nview v;
	uint32_t len;
	int r = one_path(rq, path, false);

	if (!r)
		r = xs_node_check(rq, path, XS_PERM_READ, &v);
	if (!r)
		r = xs_node_children(rq, path, &kids, &len);
	if (r)
		return r;
	xs_reply(rq, kids, len);	/* E2BIG if too long: use _PART */
	free(kids);
	return 0;
}

/* "path\0offset\0" -> "gen\0" + as many names as fit (+ "\0" at the end). */
static int do_directory_part(struct xs_req *rq)
{
	char path[XS_PATH_BUF], gen[24], *kids, *out;
	const char *vec[2];
	unsigned long off;
	struct xs_nview v;
	uint32_t len, used, glen;
	char *end;
	int r;

	if (xs_wire_strings(rq->payload, rq->hdr->len, vec, 2) != 2)
		return -EINVAL;
	r = xs_path_canon(rq->conn, vec[0], false, path);
	if (!r)
		r = xs_node_check(rq, path, XS_PERM_READ, &v);
	if (r)
		return r;
	off = strtoul(vec[1], &end, 10);
	if (*end || end == vec[1])
		return -EINVAL;
	r = xs_node_children(rq, path, &kids, &len);
	if (r)
		return r;
	glen = (uint32_t)snprintf(gen, sizeof(gen), "%llu",
				  (unsigned long long)v.gen) + 1;
	out = malloc(XENSTORE_PAYLOAD_MAX);
	if (!out) {
		free(kids);
		return -ENOMEM;
	}
	memcpy(out, gen, glen);
	used = glen;
	if (off >= len) {
		out[used++] = '\0';
	} else {
		uint32_t at = (uint32_t)off;

		while (at < len) {
			uint32_t l = (uint32_t)strlen(kids + at) + 1;

			if (used + l + 1 > XENSTORE_PAYLOAD_MAX)
				break;
			memcpy(out + used, kids + at, l);
			used += l;
			at += l;
		}
		if (at >= len)
			out[used++] = '\0';
	}
	xs_reply(rq, out, used);
	free(out);
	free(kids);
	return 0;
}

static int do_write(struct xs_req *rq)
{
	char path[XS_PATH_BUF];
	const char *p = rq->payload;
	uint32_t plen;
	int r;

	/* "path\0value": the value is raw bytes and may contain NULs. */
	if (!memchr(p, '\0', rq->hdr->len))
		return -EINVAL;
	plen = (uint32_t)strlen(p) + 1;
	r = xs_path_canon(rq->conn, p, false, path);
	if (!r)
		r = xs_node_write(rq, path, p + plen, rq->hdr->len - plen,
				  false);
	if (!r)
		xs_reply_ok(rq);
	return r;
}

static int do_mkdir(struct xs_req *rq)
{
	char path[XS_PATH_BUF];
	int r = one_path(rq, path, false);

	if (!r)
		r = xs_node_write(rq, path, NULL, 0, true);
	if (!r)
		xs_reply_ok(rq);
	return r;
}

static int do_rm(struct xs_req *rq)
{
	char path[XS_PATH_BUF];
	int r = one_path(rq, path, false);

	if (!r)
		r = xs_node_rm(rq, path);
	if (!r)
		xs_reply_ok(rq);
	return r;
}

static int do_get_perms(struct xs_req *rq)
{
	char path[XS_PATH_BUF], *buf;
	const struct xs_perm *p;
	struct xs_nview v;
	uint32_t np;
	size_t len;
	int r = one_path(rq, path, true);

	if (r)
		return r;
	if (path[0] == '@') {
		struct xs_special *sp = xs_special_get(rq->st, path);

		if (!sp)
			return -ENOENT;
		if (!(xs_perm_for(rq->conn, sp->perms, sp->nperms) &
		      XS_PERM_READ))
			return -EACCES;
		p = sp->perms;
		np = sp->nperms;
	} else {
		r = xs_node_check(rq, path, XS_PERM_READ, &v);
		if (r)
			return r;
		p = v.perms;
		np = v.nperms;
	}
	buf = malloc(XENSTORE_PAYLOAD_MAX + 1);
	if (!buf)
		return -ENOMEM;
	len = xs_perms_format(p, np, buf, XENSTORE_PAYLOAD_MAX + 1);
	xs_reply(rq, buf, (uint32_t)len);
	free(buf);
	return 0;
}

static int do_set_perms(struct xs_req *rq)
{
	static struct xs_perm perms[XS_MAX_PERMS];	/* store lock held */
	char path[XS_PATH_BUF];
	const char *vec[1];
	unsigned int n;
	uint32_t np, plen;
	int r;

	n = xs_wire_strings(rq->payload, rq->hdr->len, vec, 1);
	if (n < 2)
		return -EINVAL;
	if (xs_quota_exceeded(rq->conn, XS_Q_PERMS, n - 1))
		return -ENOSPC;
	plen = (uint32_t)strlen(vec[0]) + 1;
	r = xs_perms_parse(rq->payload + plen, rq->hdr->len - plen, perms,
			   XS_MAX_PERMS, &np);
	if (r)
		return r;
	r = xs_path_canon(rq->conn, vec[0], true, path);
	if (r)
		return r;
	if (path[0] == '@') {
		struct xs_special *sp = xs_special_get(rq->st, path);
		struct xs_special old;

		if (!sp)
			return -ENOENT;
		if (!(xs_perm_for(rq->conn, sp->perms, sp->nperms) &
		      XS_PERM_OWNER))
			return -EACCES;
		if (!rq->conn->priv && perms[0].id != sp->perms[0].id)
			return -EPERM;
		if (np > sizeof(sp->perms) / sizeof(sp->perms[0]))
			return -ENOSPC;
		old = *sp;
		memcpy(sp->perms, perms, np * sizeof(perms[0]));
		sp->nperms = np;
		xs_watch_fire(rq->st, path, XS_MATCH_EXACT, old.perms,
			      old.nperms);
	} else {
		r = xs_node_set_perms(rq, path, perms, np);
		if (r)
			return r;
	}
	xs_reply_ok(rq);
	return 0;
}

static int do_watch(struct xs_req *rq)
{
	char path[XS_PATH_BUF];
	const char *vec[2];
	int r;

	/* No XENSTORE_SERVER_FEATURE_WATCHDEPTH: exactly path and token. */
	if (xs_wire_strings(rq->payload, rq->hdr->len, vec, 2) != 2)
		return -EINVAL;
	r = xs_path_canon(rq->conn, vec[0], true, path);
	if (r)
		return r;
	return xs_watch_add(rq, path, vec[1],
			    vec[0][0] != '/' && vec[0][0] != '@');
}

static int do_unwatch(struct xs_req *rq)
{
	char path[XS_PATH_BUF];
	const char *vec[2];
	int r;

	if (xs_wire_strings(rq->payload, rq->hdr->len, vec, 2) != 2)
		return -EINVAL;
	r = xs_path_canon(rq->conn, vec[0], true, path);
	if (!r)
		r = xs_watch_del(rq, path, vec[1]);
	if (!r)
		xs_reply_ok(rq);
	return r;
}

static int do_reset_watches(struct xs_req *rq)
{
	xs_watch_del_all(rq->conn);
	xs_tx_abort_all(rq->conn);
	xs_reply_ok(rq);
	return 0;
}

static int do_transaction_start(struct xs_req *rq)
{
	char buf[16];
	uint32_t id;
	int r;

	if (rq->tx)
		return -EBUSY;	/* no nesting */
	r = xs_tx_start(rq->conn, &id);
	if (r)
		return r;
	xs_reply(rq, buf, (uint32_t)snprintf(buf, sizeof(buf), "%u", id) + 1);
	return 0;
}

static int do_transaction_end(struct xs_req *rq)
{
	const char *a = xs_wire_onearg(rq->payload, rq->hdr->len);
	struct xs_tx *tx = rq->tx;
	int r;

	if (!a || (strcmp(a, "T") && strcmp(a, "F")))
		return -EINVAL;
	if (!tx)
		return -ENOENT;
	rq->tx = NULL;	/* the commit works on the global tree */
	r = xs_tx_end(rq, tx, a[0] == 'T');
	if (!r)
		xs_reply_ok(rq);
	return r;
}

static int one_domid(struct xs_req *rq, unsigned int *domid)
{
	const char *a = xs_wire_onearg(rq->payload, rq->hdr->len);

	return a ? xs_wire_domid(a, domid) : -EINVAL;
}

/* Domain ids a guest can have: not dom0, not DOMID_SELF and above. */
static bool guest_domid(unsigned int domid)
{
	return domid != 0 && domid < XS_DOMID_SELF;
}

static int do_introduce(struct xs_req *rq)
{
	const char *vec[3];
	unsigned long long gfn;
	unsigned int domid, port;
	struct xs_dom *d;
	char *end;
	int r;

	if (xs_wire_strings(rq->payload, rq->hdr->len, vec, 3) < 3)
		return -EINVAL;
	r = xs_wire_domid(vec[0], &domid);
	if (r || !guest_domid(domid))
		return -EINVAL;
	gfn = strtoull(vec[1], &end, 10);
	if (*end || end == vec[1])
		return -EINVAL;
	r = xs_wire_domid(vec[2], &port);	/* decimal, small */
	if (r || port == 0)
		return -EINVAL;
	d = xs_dom_get(rq->st, domid, true);
	if (!d)
		return -ENOMEM;
	if (!d->introduced && rq->st->hooks.introduce) {
		r = rq->st->hooks.introduce(rq->st->hooks.opaque, rq->st,
					    domid, gfn, port);
		if (r)
			return r;
	}
	xs_dom_introduced(rq->st, d);
	xs_reply_ok(rq);
	return 0;
}

static int do_release(struct xs_req *rq)
{
	unsigned int domid;
	struct xs_dom *d;
	int r = one_domid(rq, &domid);

	if (r || !guest_domid(domid))
		return -EINVAL;
	/* Its ring is the embedder's until the embedder lets it go. */
	d = xs_dom_get(rq->st, domid, false);
	if (d && d->embedder_owned)
		return -EPERM;
	r = xs_dom_release_locked(rq->st, domid);
	if (!r)
		xs_reply_ok(rq);
	return r;
}

static int do_resume(struct xs_req *rq)
{
	struct xs_dom *d;
	unsigned int domid;
	int r = one_domid(rq, &domid);

	if (r || !guest_domid(domid))
		return -EINVAL;
	d = xs_dom_get(rq->st, domid, false);
	if (!d || !d->introduced)
		return -ENOENT;
	d->shutdown = false;
	xs_reply_ok(rq);
	return 0;
}

static int do_set_target(struct xs_req *rq)
{
	const char *vec[2];
	unsigned int domid, tdomid;
	struct xs_dom *d, *t;

	if (xs_wire_strings(rq->payload, rq->hdr->len, vec, 2) < 2 ||
	    xs_wire_domid(vec[0], &domid) || xs_wire_domid(vec[1], &tdomid))
		return -EINVAL;
	d = xs_dom_get(rq->st, domid, false);
	t = xs_dom_get(rq->st, tdomid, false);
	if (!d || !d->introduced || !t || !t->introduced)
		return -ENOENT;
	if (!d->conn)
		return -EINVAL;
	d->conn->target = tdomid;
	xs_reply_ok(rq);
	return 0;
}

static int do_get_domain_path(struct xs_req *rq)
{
	char buf[32];
	unsigned int domid;
	int r = one_domid(rq, &domid);

	if (r)
		return r;
	xs_reply(rq, buf,
		 (uint32_t)snprintf(buf, sizeof(buf), "/local/domain/%u",
				    domid) + 1);
	return 0;
}

static int do_is_domain_introduced(struct xs_req *rq)
{
	struct xs_dom *d;
	unsigned int domid;
	int r = one_domid(rq, &domid);

	if (r)
		return r;
	d = xs_dom_get(rq->st, domid, false);
	xs_reply(rq, (domid == XS_DOMID_SELF || domid == 0 ||
		      (d && d->introduced)) ? "T" : "F", 2);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct xs_req *rq);
	unsigned int flags;
} handlers[XS_TYPE_COUNT] = {
	[XS_DIRECTORY]		= { "DIRECTORY", do_directory },
	[XS_READ]		= { "READ", do_read },
	[XS_GET_PERMS]		= { "GET_PERMS", do_get_perms },
	[XS_WATCH]		= { "WATCH", do_watch, F_NOTID },
	[XS_UNWATCH]		= { "UNWATCH", do_unwatch, F_NOTID },
	[XS_TRANSACTION_START]	= { "TRANSACTION_START",
				    do_transaction_start },
	[XS_TRANSACTION_END]	= { "TRANSACTION_END", do_transaction_end },
	[XS_INTRODUCE]		= { "INTRODUCE", do_introduce, F_PRIV },
	[XS_RELEASE]		= { "RELEASE", do_release, F_PRIV },
	[XS_GET_DOMAIN_PATH]	= { "GET_DOMAIN_PATH", do_get_domain_path },
	[XS_WRITE]		= { "WRITE", do_write },
	[XS_MKDIR]		= { "MKDIR", do_mkdir },
	[XS_RM]			= { "RM", do_rm },
	[XS_SET_PERMS]		= { "SET_PERMS", do_set_perms },
	[XS_IS_DOMAIN_INTRODUCED] = { "IS_DOMAIN_INTRODUCED",
				      do_is_domain_introduced, F_PRIV },
	[XS_RESUME]		= { "RESUME", do_resume, F_PRIV },
	[XS_SET_TARGET]		= { "SET_TARGET", do_set_target, F_PRIV },
	[XS_RESET_WATCHES]	= { "RESET_WATCHES", do_reset_watches,
				    F_NOTID },
	[XS_DIRECTORY_PART]	= { "DIRECTORY_PART", do_directory_part },
};

void xs_dispatch(struct xs_conn *c, const struct xsd_sockmsg *hdr,
		 const char *payload)
{
	struct xs_req rq = {
		.st = c->st, .conn = c, .hdr = hdr, .payload = payload,
	};
	uint32_t type = hdr->type;
	int r;

	if (c->st->trace)
		xs_log("dom%u IN type %u req %u tx %u len %u", c->domid, type,
		       hdr->req_id, hdr->tx_id, hdr->len);
	/* Client-sent WATCH_EVENT/ERROR and unknown types: ENOSYS. */
	if (type >= XS_TYPE_COUNT || !handlers[type].fn) {
		reply_error(&rq, -ENOSYS);
		return;
	}
	if ((handlers[type].flags & F_PRIV) && !c->priv) {
		reply_error(&rq, -EACCES);
		return;
	}
	if (!(handlers[type].flags & F_NOTID) && hdr->tx_id) {
		rq.tx = xs_tx_find(c, hdr->tx_id);
		if (!rq.tx) {
			reply_error(&rq, -ENOENT);
			return;
		}
	}
	xs_rcu_ensure_thread();
	rcu_read_lock();
	r = handlers[type].fn(&rq);
	rcu_read_unlock();
	if (r)
		reply_error(&rq, r);
	else if (!rq.replied)
		xs_reply_ok(&rq);
}
