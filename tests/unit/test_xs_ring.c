// SPDX-License-Identifier: MIT
/* xenstored: the ring transport against a hostile guest page. */
#include "xs_test.h"

static int notified;

static void notify(void *opaque)
{
	notified++;
}

/* Guest side: put bytes on the request ring. */
static void g_send(struct xenstore_domain_interface *i, const void *p,
		   size_t len)
{
	const char *b = p;

	for (size_t n = 0; n < len; n++) {
		i->req[MASK_XENSTORE_IDX(i->req_prod)] = b[n];
		i->req_prod++;
	}
}

static void g_msg(struct xenstore_domain_interface *i, uint32_t type,
		  uint32_t req_id, const void *p, uint32_t len)
{
	struct xsd_sockmsg h = { type, req_id, 0, len };

	g_send(i, &h, sizeof(h));
	g_send(i, p, len);
}

/* Guest side: take one whole reply off the response ring. */
static int g_recv(struct xenstore_domain_interface *i, struct t_reply *r)
{
	struct xsd_sockmsg h;
	char *d = (char *)&h;

	if (i->rsp_prod - i->rsp_cons < sizeof(h))
		return 0;
	for (size_t n = 0; n < sizeof(h); n++)
		d[n] = i->rsp[MASK_XENSTORE_IDX(i->rsp_cons + n)];
	if (i->rsp_prod - i->rsp_cons < sizeof(h) + h.len)
		return 0;
	i->rsp_cons += sizeof(h);
	for (size_t n = 0; n < h.len; n++)
		r->body[n] = i->rsp[MASK_XENSTORE_IDX(i->rsp_cons++)];
	r->body[h.len] = '\0';
	r->type = h.type;
	r->req_id = h.req_id;
	r->len = h.len;
	return 1;
}

static struct xenstore_domain_interface page5, page6;

static void round_trip(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *d0 = t_conn(st, 0, true);
	struct xs_ring *ring;
	struct t_reply r;

	memset(&page5, 0, sizeof(page5));
	/* Start near the wrap point of the free-running indexes. */
	page5.req_prod = page5.req_cons = 0xfffffff0u;
	page5.rsp_prod = page5.rsp_cons = 0xffffff00u;
	t_home(d0, 5);
	ring = xs_ring_attach(st, 5, &page5, notify, NULL);
	assert_non_null(ring);
	notified = 0;
	g_msg(&page5, XS_WRITE, 42, "data\0hello", 10);
	g_msg(&page5, XS_READ, 43, "data", 5);
	g_msg(&page5, XS_WATCH, 44, "data\0tok", 9);
	assert_int_equal(xs_ring_kick(ring), 0);
	assert_true(notified > 0);
	assert_int_equal(page5.req_cons, page5.req_prod);
	assert_true(g_recv(&page5, &r));
	assert_int_equal(r.req_id, 42);
	assert_string_equal(r.body, "OK");
	assert_true(g_recv(&page5, &r));
	assert_int_equal(r.req_id, 43);
	assert_string_equal(r.body, "hello");
	assert_true(g_recv(&page5, &r));
	assert_int_equal(r.type, XS_WATCH);
	assert_true(g_recv(&page5, &r));
	assert_int_equal(r.type, XS_WATCH_EVENT);
	assert_string_equal(r.body, "data");
	/* A change by dom0 reaches the guest without a kick. */
	notified = 0;
	assert_int_equal(t_write(d0, "/local/domain/5/data", "x"), 0);
	assert_int_equal(notified, 1);
	assert_true(g_recv(&page5, &r));
	assert_int_equal(r.type, XS_WATCH_EVENT);
	xs_ring_detach(ring);
}

static void big_reply_in_pieces(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *d0 = t_conn(st, 0, true);
	char val[3000], got[3001];
	struct xs_ring *ring;
	struct xsd_sockmsg h;
	size_t have = 0;

	memset(&page5, 0, sizeof(page5));
	memset(val, 'v', sizeof(val));
	assert_int_equal(t_call(d0, XS_WRITE, "/big\0", 5, 0, NULL), 0);
	{
		char buf[3005];

		memcpy(buf, "/big", 5);
		memcpy(buf + 5, val, sizeof(val));
		assert_int_equal(t_call(d0, XS_WRITE, buf, sizeof(buf), 0,
					NULL), 0);
		assert_int_equal(t_call(d0, XS_SET_PERMS, "/big\0r0\0", 8, 0,
					NULL), 0);
	}
	ring = xs_ring_attach(st, 5, &page5, notify, NULL);
	g_msg(&page5, XS_READ, 1, "/big", 5);
	/* The reply is larger than the ring: it comes as the guest reads. */
	assert_int_equal(xs_ring_kick(ring), 0);
	assert_int_equal(page5.rsp_prod - page5.rsp_cons, XENSTORE_RING_SIZE);
	for (int rounds = 0; rounds < 10 && have < sizeof(h) + sizeof(val);
	     rounds++) {
		while (page5.rsp_cons != page5.rsp_prod) {
			char ch = page5.rsp[MASK_XENSTORE_IDX(page5.rsp_cons)];

			if (have < sizeof(h))
				((char *)&h)[have] = ch;
			else
				got[have - sizeof(h)] = ch;
			have++;
			page5.rsp_cons++;
		}
		xs_ring_kick(ring);
	}
	assert_int_equal(have, sizeof(h) + sizeof(val));
	assert_int_equal(h.len, sizeof(val));
	assert_memory_equal(got, val, sizeof(val));
	xs_ring_detach(ring);
}

static void hostile_indexes(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *d0 = t_conn(st, 0, true);
	struct xs_ring *bad, *good;
	struct t_reply r;

	memset(&page5, 0, sizeof(page5));
	memset(&page6, 0, sizeof(page6));
	bad = xs_ring_attach(st, 5, &page5, notify, NULL);
	good = xs_ring_attach(st, 6, &page6, notify, NULL);
	assert_non_null(bad);
	assert_non_null(good);
	/* Producer more than a ring ahead: the ring is dead, not us. */
	page5.req_prod = page5.req_cons + XENSTORE_RING_SIZE + 1;
	assert_int_equal(xs_ring_kick(bad), -EIO);
	assert_int_equal(page5.error, XENSTORE_ERROR_RINGIDX);
	assert_int_equal(xs_ring_kick(bad), -EIO);
	/* The other guest is served. */
	g_msg(&page6, XS_GET_DOMAIN_PATH, 9, "6", 2);
	assert_int_equal(xs_ring_kick(good), 0);
	assert_true(g_recv(&page6, &r));
	assert_string_equal(r.body, "/local/domain/6");
	/* Response consumer index corrupt: dead too. */
	page6.rsp_cons = page6.rsp_prod + 5000;
	g_msg(&page6, XS_GET_DOMAIN_PATH, 10, "6", 2);
	assert_int_equal(xs_ring_kick(good), -EIO);
	xs_ring_detach(bad);
	xs_ring_detach(good);
	/* A second attach of the same domain is refused while one lives. */
	memset(&page5, 0, sizeof(page5));
	bad = xs_ring_attach(st, 5, &page5, notify, NULL);
	assert_non_null(bad);
	assert_null(xs_ring_attach(st, 5, &page6, notify, NULL));
	assert_int_equal(errno, EEXIST);
	xs_ring_detach(bad);
	(void)d0;
}

static void hostile_messages(void **state)
{
	struct xs_store *st = *state;
	struct xs_ring *ring;
	struct xsd_sockmsg h = { XS_WRITE, 1, 0, XENSTORE_PAYLOAD_MAX + 1 };
	struct t_reply r;

	memset(&page5, 0, sizeof(page5));
	ring = xs_ring_attach(st, 5, &page5, notify, NULL);
	/* Garbage types and transactions get error replies. */
	g_msg(&page5, 0xdeadbeef, 1, "", 0);
	g_msg(&page5, XS_INTRODUCE, 2, "1\0" "2\0" "3\0", 6);
	assert_int_equal(xs_ring_kick(ring), 0);
	assert_true(g_recv(&page5, &r));
	assert_string_equal(r.body, "ENOSYS");
	assert_true(g_recv(&page5, &r));
	assert_string_equal(r.body, "EACCES");
	/* An oversized payload length kills the ring. */
	g_send(&page5, &h, sizeof(h));
	assert_int_equal(xs_ring_kick(ring), -EIO);
	assert_int_equal(page5.error, XENSTORE_ERROR_PROTO);
	xs_ring_detach(ring);
}

static void fairness(void **state)
{
	struct xs_store *st = *state;
	struct xs_ring *ring;
	struct t_reply r;
	int more, n = 0;

	memset(&page5, 0, sizeof(page5));
	ring = xs_ring_attach(st, 5, &page5, notify, NULL);
	/* 50 tiny requests: one kick handles a bounded batch. */
	for (int i = 0; i < 50; i++)
		g_msg(&page5, XS_GET_DOMAIN_PATH, (uint32_t)i, "5", 2);
	do {
		more = xs_ring_kick(ring);
		while (g_recv(&page5, &r))
			n++;
	} while (more == 1);
	assert_int_equal(more, 0);
	assert_int_equal(n, 50);
	xs_ring_detach(ring);
}

/*
 * A ring the embedding daemon attached is the daemon's: an XS_RELEASE
 * from a dom0 client (security issue, hole 3) must not free it under the
 * daemon, which keeps kicking it; only xs_domain_release() lets it go.
 */
static void release_of_embedder_ring_refused(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *d0 = t_conn(st, 0, true);
	struct xs_ring *ring;
	struct t_reply r;

	memset(&page5, 0, sizeof(page5));
	t_home(d0, 5);
	ring = xs_ring_attach(st, 5, &page5, notify, NULL);
	assert_non_null(ring);
	assert_int_equal(t_str(d0, XS_RELEASE, "5", 0, NULL), -EPERM);
	/* Still served: the ring was not freed (ASan would see it). */
	g_msg(&page5, XS_READ, 7, "domid", 6);
	assert_int_equal(xs_ring_kick(ring), 0);
	assert_true(g_recv(&page5, &r));
	assert_int_equal(r.req_id, 7);
	assert_int_equal(r.type, XS_ERROR);	/* no such node: fine */
	/* The owner releases it; then it is gone for clients too. */
	assert_int_equal(xs_domain_release(st, 5), 0);
	assert_int_equal(t_str(d0, XS_RELEASE, "5", 0, NULL), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(round_trip, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(big_reply_in_pieces, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(hostile_indexes, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(hostile_messages, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(fairness, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(release_of_embedder_ring_refused,
						t_setup, t_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
