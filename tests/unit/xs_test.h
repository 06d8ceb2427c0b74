/* SPDX-License-Identifier: MIT */
/* Helpers for the xenstored unit tests: drive a store request by request. */
#ifndef XS_TEST_H
#define XS_TEST_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "xs_internal.h"

struct t_reply {
	uint32_t type, req_id, tx_id, len;
	char body[XENSTORE_PAYLOAD_MAX + 1];
};

static uint32_t t_req_id = 1000;

#define T_MAX_SAVED 64
static struct {
	struct xs_conn *c;
	char text[256];
} t_saved[T_MAX_SAVED];
static int t_nsaved;

/* Take the next queued message of c (reply or watch event); 0 if none. */
static inline int t_pop(struct xs_conn *c, struct t_reply *r)
{
	struct xs_msg *m = c->out_head;
	struct xsd_sockmsg h;

	if (!m)
		return 0;
	memcpy(&h, m->bytes, sizeof(h));
	r->type = h.type;
	r->req_id = h.req_id;
	r->tx_id = h.tx_id;
	r->len = h.len;
	memcpy(r->body, m->bytes + sizeof(h), h.len);
	r->body[h.len] = '\0';
	xs_conn_out_advance(c, m->len - m->off);
	return 1;
}

/* Drop queued watch events of c; returns how many. */
static inline int t_drain(struct xs_conn *c)
{
	struct t_reply r;
	int n = 0;

	while (t_pop(c, &r))
		n++;
	return n;
}

/*
 * Send one request; returns 0 and fills r with the reply, or the negative
 * errno named by an XS_ERROR reply.  Watch events queued before the reply
 * are kept for t_event().
 */
static inline int t_call(struct xs_conn *c, uint32_t type, const void *p,
			 uint32_t len, uint32_t tx, struct t_reply *r)
{
	struct xsd_sockmsg h = { .type = type, .req_id = ++t_req_id,
				 .tx_id = tx, .len = len };
	static char buf[XENSTORE_PAYLOAD_MAX + 1];
	static struct t_reply tmp;

	if (!r)
		r = &tmp;
	memcpy(buf, p, len);
	buf[len] = '\0';
	xs_store_lock(c->st);
	xs_dispatch(c, &h, buf);
	xs_store_unlock(c->st);
	for (;;) {
		assert_true(t_pop(c, r));
		if (r->type != XS_WATCH_EVENT)
			break;
		/* Keep events that came first for t_event(). */
		assert_true(t_nsaved < T_MAX_SAVED);
		t_saved[t_nsaved].c = c;
		snprintf(t_saved[t_nsaved].text, sizeof(t_saved[0].text),
			 "%.120s|%.120s", r->body, r->body + strlen(r->body) + 1);
		t_nsaved++;
	}
	assert_int_equal(r->req_id, t_req_id);
	assert_int_equal(r->tx_id, tx);
	if (r->type == XS_ERROR) {
		for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]);
		     i++)
			if (!strcmp(r->body, xsd_errors[i].errstring))
				return -xsd_errors[i].errnum;
		fail_msg("unknown error %s", r->body);
	}
	assert_int_equal(r->type, type);
	return 0;
}

static inline int t_str(struct xs_conn *c, uint32_t type, const char *s,
			uint32_t tx, struct t_reply *r)
{
	return t_call(c, type, s, (uint32_t)strlen(s) + 1, tx, r);
}

static inline int t_write_tx(struct xs_conn *c, const char *path,
			     const char *val, uint32_t tx)
{
	char buf[XENSTORE_PAYLOAD_MAX];
	size_t pl = strlen(path) + 1, vl = strlen(val);

	memcpy(buf, path, pl);
	memcpy(buf + pl, val, vl);
	return t_call(c, XS_WRITE, buf, (uint32_t)(pl + vl), tx, NULL);
}

static inline int t_write(struct xs_conn *c, const char *path, const char *val)
{
	return t_write_tx(c, path, val, 0);
}

/* Read into a static buffer; NULL on error (errno set to the error). */
static inline const char *t_read_tx(struct xs_conn *c, const char *path,
				    uint32_t tx)
{
	static struct t_reply r;
	int e = t_str(c, XS_READ, path, tx, &r);

	if (e) {
		errno = -e;
		return NULL;
	}
	return r.body;
}

static inline const char *t_read(struct xs_conn *c, const char *path)
{
	return t_read_tx(c, path, 0);
}

static inline int t_two(struct xs_conn *c, uint32_t type, const char *a,
			const char *b, uint32_t tx, struct t_reply *r)
{
	char buf[XENSTORE_PAYLOAD_MAX];
	size_t al = strlen(a) + 1, bl = strlen(b) + 1;

	memcpy(buf, a, al);
	memcpy(buf + al, b, bl);
	return t_call(c, type, buf, (uint32_t)(al + bl), tx, r);
}

/* Next watch event of c as "path|token", or "" if none. */
static inline const char *t_event(struct xs_conn *c)
{
	static char out[XENSTORE_PAYLOAD_MAX + 2];
	struct t_reply r;

	for (int i = 0; i < t_nsaved; i++) {
		if (t_saved[i].c != c)
			continue;
		strcpy(out, t_saved[i].text);
		memmove(&t_saved[i], &t_saved[i + 1],
			(size_t)(t_nsaved - i - 1) * sizeof(t_saved[0]));
		t_nsaved--;
		return out;
	}
	if (!t_pop(c, &r))
		return "";
	assert_int_equal(r.type, XS_WATCH_EVENT);
	snprintf(out, sizeof(out), "%s|%s", r.body,
		 r.body + strlen(r.body) + 1);
	return out;
}

static inline struct xs_conn *t_conn(struct xs_store *st, unsigned int domid,
				     bool priv)
{
	struct xs_conn *c;

	xs_store_lock(st);
	c = xs_conn_new(st, domid, priv);
	xs_store_unlock(st);
	assert_non_null(c);
	return c;
}

/* A guest-owned home, as a toolstack would prepare it. */
static inline void t_home(struct xs_conn *dom0, unsigned int domid)
{
	char path[64], perms[32];
	int pl, ql;
	char buf[128];

	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	assert_int_equal(t_str(dom0, XS_MKDIR, path, 0, NULL), 0);
	pl = (int)strlen(path) + 1;
	ql = snprintf(perms, sizeof(perms), "n%u", domid) + 1;
	memcpy(buf, path, (size_t)pl);
	memcpy(buf + pl, perms, (size_t)ql);
	assert_int_equal(t_call(dom0, XS_SET_PERMS, buf, (uint32_t)(pl + ql),
				0, NULL), 0);
}

static int t_setup(void **state)
{
	struct xs_store *st;

	t_nsaved = 0;
	st = xs_store_new(NULL);

	assert_non_null(st);
	*state = st;
	return 0;
}

static int t_teardown(void **state)
{
	xs_store_free(*state);
	return 0;
}

#endif /* XS_TEST_H */
