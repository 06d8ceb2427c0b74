/* SPDX-License-Identifier: MIT */
/*
 * nethostile: a network frontend that lies. It connects to its one vif
 * (device/vif/0) the way xen-netfront does (one queue, one event
 * channel, request-rx-copy, feature-sg, feature-rx-notify and no GSO),
 * makes sure sane frames go out, then sends the backend one malformed
 * transmit packet at a time: sizes of 0 or too small, slot sizes that do
 * not add up, slots crossing their page, grants that do not exist or do
 * not allow access, GSO extra-info nobody can honour. Each slot must be
 * answered NETIF_RSP_ERROR (an extra-info slot: NETIF_RSP_NULL), and a
 * sane frame must still go out afterwards. Meanwhile its receive ring is
 * posted full once and never read: the backend has to drop what the
 * bridge sends it, not spin and not write past the requests.
 *
 * Command line (words):
 *   (none)        the run above
 *   ip=N          our address is 10.77.0.N (default: 100 + domid)
 *   fatal=slots   a sane frame, then one packet of 19 slots (the limit is
 *                 18): the backend must give the vif up (state Closing or
 *                 Closed), and nothing of the packet may be answered OKAY
 *   fatal=prod    the same with a tx producer index 10000 ahead
 *   fatal=extra   the same with an extra-info slot of type 9 (no such type)
 *   benign        a well-behaved netfront: frames out, an ARP reply in
 *   hold          after the checks, wait (at most 120 s) for
 *                 control/shutdown before reporting, so that the test can
 *                 look at pvisord and the backend while the vif exists
 *
 * Frames it sends are UDP broadcasts from 10.77.0.<100 + domid> to
 * 10.77.0.255:9999 whose payload starts "PVNET-<TAG>-<seq>:" followed by
 * byte j = (seq + j) & 0xff. TAG GOOD: must reach the bridge intact; BAD:
 * must never reach it; GSO: may or may not (see the gso-tcpv4 check).
 * tests/e2e/net-hostile.sh sniffs the bridge for them.
 *
 * Every wait is bounded: no response within 10 s is a failure.
 */
#include <pvabi/grant_table.h>
#include <pvabi/io/netif.h>
#include <pvabi/io/xenbus.h>
#include <pvabi/io/xs_wire.h>
#include <pvabi/sched.h>

#include <pvguest/events.h>
#include <pvguest/pvguest.h>
#include <pvguest/time.h>

#define VIF_DEVID	0u
#define NS_PER_MS	1000000ull
#define NS_PER_S	1000000000ull
#define WAIT_NS		(10 * NS_PER_S)	/* a response, a reply, a state */
#define MAX_SLOTS	18u		/* what the backend must accept */
#define ETH_HLEN	14u
#define FRAME_MIN	60u		/* without the FCS */
#define UDP_PORT	9999u
#define NET_PREFIX	"10.77.0."

_Static_assert(sizeof(struct netif_tx_request) == 12, "tx request slot");
_Static_assert(sizeof(struct netif_extra_info) == 8, "extra info");
_Static_assert(sizeof(struct netif_tx_response) == 4, "tx response");
_Static_assert(sizeof(struct netif_rx_request) == 8, "rx request");
_Static_assert(sizeof(struct netif_rx_response) == 8, "rx response");

#define TX_PAGES	24
#define RX_SLOTS	256		/* __CONST_RING_SIZE(netif_rx, 4096) */

/* Grant references this guest fills (0-7 are the toolstack's). */
enum {
	R_TX_RING = 8,
	R_RX_RING,
	R_TX0,			/* TX_PAGES data pages, read-only for dom0 */
	R_NOFLAGS = R_TX0 + TX_PAGES,	/* frame, domid 0, no permit_access */
	R_OTHERDOM,		/* permit_access to a domain that is not 0 */
	R_UNUSED,		/* never written */
	R_RX0 = 64,		/* RX_SLOTS receive pages, writable */
	R_LAST = R_RX0 + RX_SLOTS
};

static uint8_t gnt_area[PAGE_SIZE] __page_aligned;
static uint8_t tx_ring_page[PAGE_SIZE] __page_aligned;
static uint8_t rx_ring_page[PAGE_SIZE] __page_aligned;
static uint8_t tx_page[TX_PAGES][PAGE_SIZE] __page_aligned;
static uint8_t rx_page[RX_SLOTS][PAGE_SIZE] __page_aligned;

static struct grant_entry_v1 *gnt;
static xen_pfn_t gnt_frames[1];
static uint32_t gnt_entries;

static struct xenstore_domain_interface *xs;
static evtchn_port_t xs_port, net_port;
static domid_t be_domid, my_domid;

static netif_tx_sring_t *txs;
static netif_rx_sring_t *rxs;
static netif_tx_front_ring_t tx;
static netif_rx_front_ring_t rx;

static char be_path[128];
static uint8_t my_mac[6];
static uint8_t my_ip[4] = { 10, 77, 0, 100 };
static uint16_t next_id = 0x100;
static unsigned int seq, good_sent, bad_sent;
static bool want_hold;

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* ------------------------------------------------------- helpers -- */

static uint64_t deadline_in(uint64_t ns)
{
	return pv_now() + ns;
}

/* Sleep on ports until one is pending, for at most ms (and the deadline). */
static void nap(evtchn_port_t *ports, unsigned int n, uint64_t ms,
		uint64_t deadline)
{
	uint64_t until = pv_now() + ms * NS_PER_MS;

	if (until > deadline)
		until = deadline;
	sched_poll(ports, n, until);
	for (unsigned int i = 0; i < n; i++)
		evtchn_clear_pending(ports[i]);
}

/* The value of word "key=..." on the command line, or NULL. */
static const char *cmdline_value(const char *key)
{
	const char *cl = (const char *)start_info->cmd_line;
	size_t n = strlen(key);

	for (const char *p = cl; *p; p++)
		if ((p == cl || p[-1] == ' ') && !strncmp(p, key, n) &&
		    p[n] == '=')
			return p + n + 1;
	return NULL;
}

static bool cmdline_has(const char *word)
{
	const char *cl = (const char *)start_info->cmd_line;
	size_t n = strlen(word);

	for (const char *p = cl; *p; p++)
		if ((p == cl || p[-1] == ' ') && !strncmp(p, word, n) &&
		    (p[n] == '\0' || p[n] == ' '))
			return true;
	return false;
}

/* Does the value at v (ending at a space or the end) equal word? */
static bool word_is(const char *v, const char *word)
{
	size_t n = strlen(word);

	return v && !strncmp(v, word, n) && (v[n] == '\0' || v[n] == ' ');
}

static uint64_t parse_u64(const char *s, bool *ok)
{
	uint64_t v = 0;

	*ok = *s != '\0';
	for (; *s; s++) {
		if (*s < '0' || *s > '9') {
			*ok = false;
			break;
		}
		v = v * 10 + (uint64_t)(*s - '0');
	}
	return v;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		int h = hexval(s[0]), l = h < 0 ? -1 : hexval(s[1]);

		if (l < 0)
			return false;
		mac[i] = (uint8_t)(h * 16 + l);
		s += 2;
		if (i < 5 && *s++ != ':')
			return false;
	}
	return *s == '\0';
}

/* ------------------------------------------------------ xenstore -- */

static void xs_notify(void)
{
	evtchn_send(xs_port);
}

static void xs_put(const void *buf, size_t len, uint64_t deadline)
{
	const char *p = buf;
	XENSTORE_RING_IDX prod = xs->req_prod;

	for (size_t i = 0; i < len; i++) {
		while (prod - __atomic_load_n(&xs->req_cons, __ATOMIC_ACQUIRE) >=
		       XENSTORE_RING_SIZE) {
			__atomic_store_n(&xs->req_prod, prod, __ATOMIC_RELEASE);
			xs_notify();
			if (pv_now() > deadline)
				test_fail("xenstore: request ring full for 10 s");
			nap(&xs_port, 1, 10, deadline);
		}
		xs->req[MASK_XENSTORE_IDX(prod++)] = p[i];
	}
	__atomic_store_n(&xs->req_prod, prod, __ATOMIC_RELEASE);
}

static void xs_get(void *buf, size_t len, uint64_t deadline)
{
	char *p = buf;

	while (__atomic_load_n(&xs->rsp_prod, __ATOMIC_ACQUIRE) - xs->rsp_cons <
	       len) {
		if (pv_now() > deadline)
			test_fail("xenstore: no reply within 10 s");
		nap(&xs_port, 1, 10, deadline);
	}
	for (size_t i = 0; i < len; i++)
		p[i] = xs->rsp[MASK_XENSTORE_IDX(xs->rsp_cons + i)];
	__atomic_store_n(&xs->rsp_cons, xs->rsp_cons + (uint32_t)len,
			 __ATOMIC_RELEASE);
	xs_notify();
}

/* One request; 0 and the reply's payload in out, or -1 on XS_ERROR. */
static int xs_call(uint32_t type, const char *path, const char *val,
		   char *out, size_t cap)
{
	static uint32_t req_id = 100;
	static char body[XENSTORE_PAYLOAD_MAX + 1];
	uint64_t deadline = deadline_in(WAIT_NS);
	struct xsd_sockmsg h = { .type = type, .req_id = ++req_id };
	size_t lp = strlen(path) + 1, lv = val ? strlen(val) : 0;

	h.len = (uint32_t)(lp + lv);
	xs_put(&h, sizeof(h), deadline);
	xs_put(path, lp, deadline);
	if (val)
		xs_put(val, lv, deadline);
	xs_notify();
	for (;;) {
		xs_get(&h, sizeof(h), deadline);
		if (h.len > XENSTORE_PAYLOAD_MAX)
			test_fail("xenstore: reply of %u bytes", h.len);
		xs_get(body, h.len, deadline);
		body[h.len] = '\0';
		if (h.type == XS_WATCH_EVENT || h.req_id != req_id)
			continue;	/* not ours */
		if (h.type == XS_ERROR)
			return -1;
		if (out) {
			size_t n = h.len < cap - 1 ? h.len : cap - 1;

			memcpy(out, body, n);
			out[n] = '\0';
		}
		return 0;
	}
}

static int xs_read(const char *path, char *out, size_t cap)
{
	return xs_call(XS_READ, path, NULL, out, cap);
}

static int xs_write(const char *path, const char *val)
{
	return xs_call(XS_WRITE, path, val, NULL, 0);
}

static int xs_read_u64(const char *path, uint64_t *v)
{
	char buf[32];
	bool ok;

	if (xs_read(path, buf, sizeof(buf)))
		return -1;
	*v = parse_u64(buf, &ok);
	return ok ? 0 : -1;
}

static void fe_write(const char *key, const char *fmt, ...) __printf(2, 3);
static void fe_write(const char *key, const char *fmt, ...)
{
	char path[96], val[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "device/vif/%u/%s", VIF_DEVID, key);
	if (xs_write(path, val))
		test_fail("xenstore: cannot write %s = %s", path, val);
}

static int fe_read(const char *key, char *out, size_t cap)
{
	char path[96];

	snprintf(path, sizeof(path), "device/vif/%u/%s", VIF_DEVID, key);
	return xs_read(path, out, cap);
}

static uint64_t be_state(void)
{
	char path[192];
	uint64_t st = 0;

	snprintf(path, sizeof(path), "%s/state", be_path);
	if (xs_read_u64(path, &st))
		return 0;
	return st;
}

/*
 * Poll the backend's state until it is want (or, unless want is itself
 * Closing or later, until it is Closing or Closed); the last state read.
 */
static uint64_t wait_be_state(uint64_t want, uint64_t timeout_ns)
{
	uint64_t deadline = deadline_in(timeout_ns), st;

	for (;;) {
		st = be_state();
		if (want >= XenbusStateClosing ? st >= want && st <= XenbusStateClosed
		    : st == want || st >= XenbusStateClosing)
			return st;
		if (pv_now() > deadline)
			return st;
		nap(&xs_port, 1, 20, deadline);
	}
}

/* ------------------------------------------------------- grants -- */

static void grant(grant_ref_t ref, domid_t dom, uint32_t frame,
		  uint16_t flags)
{
	gnt[ref].domid = dom;
	gnt[ref].frame = frame;
	__atomic_store_n(&gnt[ref].flags, flags, __ATOMIC_RELEASE);
}

static uint32_t frame_of(const void *va)
{
	return (uint32_t)virt_to_mfn(va);
}

static void grants_init(void)
{
	struct gnttab_setup_table st = {
		.dom = DOMID_SELF, .nr_frames = 1,
		.frame_list = (uint64_t)(uintptr_t)gnt_frames,
	};
	struct gnttab_query_size q = { .dom = DOMID_SELF };
	long rc;

	rc = HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &st, 1);
	if (rc || st.status != GNTST_okay)
		test_fail("grant table setup: rc %ld status %d", rc, st.status);
	rc = map_page(gnt_area, gnt_frames[0], _PAGE_PRESENT | _PAGE_RW |
		      _PAGE_ACCESSED | _PAGE_DIRTY);
	if (rc)
		test_fail("cannot map the grant table frame: %ld", rc);
	gnt = (struct grant_entry_v1 *)gnt_area;
	rc = HYPERVISOR_grant_table_op(GNTTABOP_query_size, &q, 1);
	if (rc || q.status != GNTST_okay || !q.nr_frames)
		test_fail("grant table query_size: rc %ld status %d", rc,
			  q.status);
	gnt_entries = q.nr_frames * (uint32_t)(PAGE_SIZE / sizeof(*gnt));
	if (gnt_entries < R_LAST)
		test_fail("grant table of %u entries; %u needed", gnt_entries,
			  (unsigned int)R_LAST);

	grant(R_TX_RING, be_domid, frame_of(tx_ring_page), GTF_permit_access);
	grant(R_RX_RING, be_domid, frame_of(rx_ring_page), GTF_permit_access);
	/* What the backend only reads, as netfront grants it. */
	for (int i = 0; i < TX_PAGES; i++)
		grant(R_TX0 + i, be_domid, frame_of(tx_page[i]),
		      GTF_permit_access | GTF_readonly);
	grant(R_NOFLAGS, be_domid, frame_of(tx_page[0]), 0);
	grant(R_OTHERDOM, 1234, frame_of(tx_page[0]),
	      GTF_permit_access | GTF_readonly);
	/* R_UNUSED stays empty. */
	for (int i = 0; i < RX_SLOTS; i++)
		grant(R_RX0 + i, be_domid, frame_of(rx_page[i]),
		      GTF_permit_access);
}

/* ------------------------------------------------------- frames -- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* An ARP request from us for 10.77.0.1, padded to 60 bytes. */
static unsigned int make_arp(uint8_t *f)
{
	static const uint8_t gw[4] = { 10, 77, 0, 1 };

	memset(f, 0, FRAME_MIN);
	memcpy(f, bcast, 6);
	memcpy(f + 6, my_mac, 6);
	put16(f + 12, 0x0806);
	put16(f + 14, 1);		/* Ethernet */
	put16(f + 16, 0x0800);		/* IPv4 */
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, 1);		/* request */
	memcpy(f + 22, my_mac, 6);
	memcpy(f + 28, my_ip, 4);
	memcpy(f + 38, gw, 4);
	return FRAME_MIN;
}

/*
 * A UDP broadcast of len bytes in all (len >= 60) into f, with payload
 * "PVNET-<tag>-<seq>:" and the pattern after it.
 */
static unsigned int make_udp(uint8_t *f, unsigned int len, const char *tag)
{
	unsigned int ip_len = len - ETH_HLEN, sum = 0, n;
	uint8_t *ip = f + ETH_HLEN, *udp = ip + 20, *pl = udp + 8;

	if (len < FRAME_MIN || len > 0xffff)
		test_fail("make_udp: length %u", len);
	seq++;
	memcpy(f, bcast, 6);
	memcpy(f + 6, my_mac, 6);
	put16(f + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)ip_len);
	put16(ip + 4, (uint16_t)seq);
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, my_ip, 4);
	ip[16] = 10;
	ip[17] = 77;
	ip[18] = 0;
	ip[19] = 255;
	for (int i = 0; i < 20; i += 2)
		sum += get16(ip + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(ip + 10, (uint16_t)~sum);
	put16(udp, 9998);
	put16(udp + 2, UDP_PORT);
	put16(udp + 4, (uint16_t)(ip_len - 20));
	put16(udp + 6, 0);		/* no checksum */
	n = (unsigned int)snprintf((char *)pl, 32, "PVNET-%s-%u:", tag, seq);
	for (unsigned int j = n; j < len - (ETH_HLEN + 28); j++)
		pl[j] = (uint8_t)(seq + j);
	if (!strcmp(tag, "GOOD"))
		good_sent++;
	else if (!strcmp(tag, "BAD"))
		bad_sent++;
	return len;
}

/* --------------------------------------------------------- tx ring -- */

/*
 * One slot of a packet being built: a data slot (gref, offset, flags,
 * size) or an extra-info slot.
 */
struct slot {
	bool extra;
	struct netif_tx_request req;
	struct netif_extra_info ext;
};

#define PKT_MAX	32

struct pkt {
	unsigned int n;
	struct slot s[PKT_MAX];
};

static void pkt_init(struct pkt *p)
{
	memset(p, 0, sizeof(*p));
}

static struct netif_tx_request *pkt_data(struct pkt *p, grant_ref_t ref,
					 uint16_t off, uint16_t size)
{
	struct slot *s;

	if (p->n == PKT_MAX)
		test_fail("packet of more than %u slots", PKT_MAX);
	s = &p->s[p->n++];
	s->extra = false;
	s->req.gref = ref;
	s->req.offset = off;
	s->req.size = size;
	s->req.flags = 0;
	s->req.id = next_id++;
	if (next_id >= 0xff00)
		next_id = 0x100;
	return &s->req;
}

static struct netif_extra_info *pkt_extra(struct pkt *p, uint8_t type)
{
	struct slot *s;

	if (p->n == PKT_MAX)
		test_fail("packet of more than %u slots", PKT_MAX);
	s = &p->s[p->n++];
	s->extra = true;
	memset(&s->ext, 0, sizeof(s->ext));
	s->ext.type = type;
	return &s->ext;
}

/* Chain the data slots: more_data on every data slot but the last. */
static void pkt_chain(struct pkt *p)
{
	int last = -1;

	for (unsigned int i = 0; i < p->n; i++)
		if (!p->s[i].extra) {
			if (last >= 0)
				p->s[last].req.flags |= NETTXF_more_data;
			last = (int)i;
		}
}

/*
 * Lay frame f (len bytes) out over nslots data slots of tx pages from
 * page 'first' on, at offset off in each: chunk sizes as even as they
 * come, the first slot's size the whole length. The slots are chained.
 */
static void pkt_frame(struct pkt *p, const uint8_t *f, unsigned int len,
		      unsigned int nslots, unsigned int first, uint16_t off)
{
	unsigned int done = 0;

	for (unsigned int i = 0; i < nslots; i++) {
		unsigned int chunk = (len - done) / (nslots - i);

		if (off + chunk > PAGE_SIZE || first + i >= TX_PAGES)
			test_fail("pkt_frame: %u bytes in %u slots do not fit",
				  len, nslots);
		memcpy(tx_page[first + i] + off, f + done, chunk);
		pkt_data(p, R_TX0 + first + i, off, (uint16_t)(i ? chunk : len));
		done += chunk;
	}
	pkt_chain(p);
}

static void tx_queue(const struct pkt *p)
{
	for (unsigned int i = 0; i < p->n; i++) {
		void *slot = RING_GET_REQUEST(&tx, tx.req_prod_pvt);

		if (p->s[i].extra) {
			memset(slot, 0, sizeof(struct netif_tx_request));
			memcpy(slot, &p->s[i].ext, sizeof(p->s[i].ext));
		} else {
			memcpy(slot, &p->s[i].req, sizeof(p->s[i].req));
		}
		tx.req_prod_pvt++;
	}
}

static void tx_push(void)
{
	int notify;

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&tx, notify);
	if (notify)
		evtchn_send(net_port);
}

/* Up to want tx responses into out, for at most timeout_ns; how many. */
static unsigned int tx_responses(struct netif_tx_response *out,
				 unsigned int want, uint64_t timeout_ns)
{
	uint64_t deadline = deadline_in(timeout_ns);
	unsigned int got = 0;

	while (got < want) {
		RING_IDX prod;
		int more;

		evtchn_clear_pending(net_port);
		prod = __atomic_load_n(&txs->rsp_prod, __ATOMIC_ACQUIRE);
		if (RING_RESPONSE_PROD_OVERFLOW(&tx, prod) ||
		    (RING_IDX)(prod - tx.rsp_cons) >
		    (RING_IDX)(tx.req_prod_pvt - tx.rsp_cons)) {
			check(false, "tx-rsp-prod-sane: backend published "
			      "rsp_prod %u with rsp_cons %u, req_prod %u",
			      prod, tx.rsp_cons, tx.req_prod_pvt);
			test_end();
		}
		xen_rmb();
		while (tx.rsp_cons != prod && got < want) {
			RING_COPY_RESPONSE(&tx, tx.rsp_cons, &out[got]);
			tx.rsp_cons++;
			got++;
		}
		if (got == want)
			break;
		RING_FINAL_CHECK_FOR_RESPONSES(&tx, more);
		if (more)
			continue;
		if (pv_now() > deadline)
			break;
		nap(&net_port, 1, 50, deadline);
	}
	return got;
}

/*
 * Match responses to the packet's slots: every data slot answered once,
 * by id, with status want (or any of OKAY/ERROR if want is 1); one
 * NETIF_RSP_NULL per extra-info slot. Describes the outcome in why.
 */
static bool match(const struct pkt *p, const struct netif_tx_response *r,
		  unsigned int got, int want, char *why, size_t cap)
{
	bool seen[PKT_MAX] = { false };
	unsigned int extras = 0, nulls = 0, okay = 0, errs = 0, other = 0;
	unsigned int unknown = 0;

	for (unsigned int i = 0; i < p->n; i++)
		extras += p->s[i].extra;
	for (unsigned int k = 0; k < got; k++) {
		unsigned int i;

		if (r[k].status == NETIF_RSP_NULL) {
			nulls++;
			continue;
		}
		for (i = 0; i < p->n; i++)
			if (!p->s[i].extra && !seen[i] &&
			    p->s[i].req.id == r[k].id)
				break;
		if (i == p->n) {
			unknown++;
			continue;
		}
		seen[i] = true;
		if (r[k].status == NETIF_RSP_OKAY)
			okay++;
		else if (r[k].status == NETIF_RSP_ERROR)
			errs++;
		else
			other++;
	}
	snprintf(why, cap, "%u of %u slots answered: %u OKAY, %u ERROR, %u "
		 "other, %u NULL (%u extra), %u unknown id", got, p->n, okay,
		 errs, other, nulls, extras, unknown);
	if (got != p->n || unknown || other || nulls != extras)
		return false;
	if (want == NETIF_RSP_OKAY)
		return errs == 0;
	if (want == NETIF_RSP_ERROR)
		return okay == 0;
	return okay == 0 || errs == 0;	/* one answer for the whole packet */
}

static void backend_gone(const char *after)
{
	uint64_t st = be_state();

	if (st != XenbusStateConnected) {
		check(false, "vif-still-connected after %s: backend state %lu",
		      after, (unsigned long)st);
		test_end();
	}
}

/* Send p; its responses in r; how many came. */
static unsigned int send_pkt(const struct pkt *p,
			     struct netif_tx_response *r, uint64_t timeout)
{
	tx_queue(p);
	tx_push();
	return tx_responses(r, p->n, timeout);
}

/* Send p, which must be answered with want (see match). */
static bool expect(const char *name, const struct pkt *p, int want)
{
	struct netif_tx_response r[PKT_MAX];
	unsigned int got = send_pkt(p, r, WAIT_NS);
	char why[160];
	bool ok = match(p, r, got, want, why, sizeof(why));

	if (got < p->n) {
		check(false, "%s: %s, want %s", name, why,
		      want == NETIF_RSP_OKAY ? "OKAY" : "ERROR");
		backend_gone(name);
		test_end();	/* the ring is out of step */
	}
	return check(ok, "%s: %s, want %s", name, why,
		     want == NETIF_RSP_OKAY ? "OKAY" :
		     want == NETIF_RSP_ERROR ? "ERROR" : "OKAY or ERROR");
}

/* A sane ARP request in one slot: answered OKAY. */
static bool good_arp(const char *name)
{
	struct pkt p;

	pkt_init(&p);
	make_arp(tx_page[0]);
	pkt_data(&p, R_TX0, 0, FRAME_MIN);
	return expect(name, &p, NETIF_RSP_OKAY);
}

/* Send p, which must fail, then a sane frame, which must not. */
static void attack(const char *name, const struct pkt *p)
{
	char after[80];

	expect(name, p, NETIF_RSP_ERROR);
	snprintf(after, sizeof(after), "good frame after %s", name);
	backend_gone(name);
	good_arp(after);
}

/* --------------------------------------------------------- rx ring -- */

static void rx_post(unsigned int n)
{
	int notify;

	for (unsigned int i = 0; i < n; i++) {
		struct netif_rx_request *r =
			RING_GET_REQUEST(&rx, rx.req_prod_pvt);
		uint16_t id = (uint16_t)(rx.req_prod_pvt % RX_SLOTS);

		r->id = id;
		r->pad = 0;
		r->gref = R_RX0 + id;
		rx.req_prod_pvt++;
	}
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&rx, notify);
	if (notify)
		evtchn_send(net_port);
}

/*
 * Is rx response r (at ring index idx) one the backend may write? Its id
 * that of the request in that slot, its length within the page, no GSO
 * extra-info (we asked for none). why: what is wrong.
 */
static bool rx_rsp_sane(const struct netif_rx_response *r, RING_IDX idx,
			char *why, size_t cap)
{
	uint16_t want_id = (uint16_t)(idx % RX_SLOTS);

	if (r->id != want_id) {
		snprintf(why, cap, "slot %u: id %u, not %u", idx, r->id,
			 want_id);
		return false;
	}
	if (r->flags & (NETRXF_extra_info | NETRXF_gso_prefix)) {
		snprintf(why, cap, "slot %u: flags %#x: GSO info not asked for",
			 idx, r->flags);
		return false;
	}
	if (r->status > 0 &&
	    (unsigned int)r->offset + (unsigned int)r->status > PAGE_SIZE) {
		snprintf(why, cap, "slot %u: offset %u + %d bytes past the page",
			 idx, r->offset, r->status);
		return false;
	}
	if (r->status <= 0 && r->status != NETIF_RSP_ERROR &&
	    r->status != NETIF_RSP_DROPPED && r->status != 0) {
		snprintf(why, cap, "slot %u: status %d", idx, r->status);
		return false;
	}
	return true;
}

/* ------------------------------------------------------ handshake -- */

static void connect(void)
{
	char path[96], val[64], mac[32];
	uint64_t st, deadline, v;
	const char *ipv;
	bool ok;

	/* 1. Where the backend is, who it is, our MAC. */
	snprintf(path, sizeof(path), "device/vif/%u/backend", VIF_DEVID);
	deadline = deadline_in(WAIT_NS);
	while (xs_read(path, be_path, sizeof(be_path))) {
		if (pv_now() > deadline)
			test_fail("no %s in xenstore after 10 s", path);
		nap(&xs_port, 1, 20, deadline);
	}
	if (fe_read("backend-id", val, sizeof(val)) ||
	    (v = parse_u64(val, &ok), !ok) || v >= DOMID_FIRST_RESERVED)
		test_fail("device/vif/%u/backend-id unreadable", VIF_DEVID);
	be_domid = (domid_t)v;
	if (fe_read("mac", mac, sizeof(mac)) || !parse_mac(mac, my_mac))
		test_fail("device/vif/%u/mac '%s' unreadable", VIF_DEVID, mac);
	check(!(my_mac[0] & 1), "mac %s is unicast", mac);
	if (xs_read("domid", val, sizeof(val)) == 0 &&
	    (v = parse_u64(val, &ok), ok))
		my_domid = (domid_t)v;
	/* Our address: ip=N on the command line, else 100 + domid. */
	ipv = cmdline_value("ip");
	if (ipv) {
		char num[8];
		size_t n = 0;

		while (n < sizeof(num) - 1 && ipv[n] && ipv[n] != ' ')
			num[n] = ipv[n], n++;
		num[n] = '\0';
		v = parse_u64(num, &ok);
		if (!ok || v < 2 || v > 254)
			test_fail("ip=%s: want 2..254", num);
		my_ip[3] = (uint8_t)v;
	} else {
		my_ip[3] = (uint8_t)(100 + my_domid % 100);
	}
	printk("nethostile: backend %s (dom%u), mac %s, ip " NET_PREFIX "%u\n",
	       be_path, be_domid, mac, my_ip[3]);

	/* 2. It waits for us. */
	st = wait_be_state(XenbusStateInitWait, WAIT_NS);
	if (!check(st == XenbusStateInitWait,
		   "backend-initwait: state %lu", (unsigned long)st))
		test_end();
	snprintf(path, sizeof(path), "%s/feature-rx-copy", be_path);
	check(xs_read(path, val, sizeof(val)) == 0 && !strcmp(val, "1"),
	      "backend offers feature-rx-copy");

	/* 3. The rings, granted; the channel, unbound for the backend. */
	txs = (netif_tx_sring_t *)tx_ring_page;
	rxs = (netif_rx_sring_t *)rx_ring_page;
	SHARED_RING_INIT(txs);
	SHARED_RING_INIT(rxs);
	FRONT_RING_INIT(&tx, txs, PAGE_SIZE);
	FRONT_RING_INIT(&rx, rxs, PAGE_SIZE);
	if (RING_SIZE(&rx) != RX_SLOTS)
		test_fail("rx ring of %u slots, not %u", RING_SIZE(&rx),
			  RX_SLOTS);
	grants_init();
	if (evtchn_alloc_unbound(be_domid, &net_port))
		test_fail("EVTCHNOP_alloc_unbound for dom%u failed", be_domid);
	evtchn_mask(net_port);
	printk("nethostile: tx ring %u slots (grant %u), rx ring %u (grant "
	       "%u), event channel %u\n", RING_SIZE(&tx), R_TX_RING,
	       RING_SIZE(&rx), R_RX_RING, net_port);

	/* 4. Published, then Connected (netfront skips Initialised). */
	fe_write("tx-ring-ref", "%u", R_TX_RING);
	fe_write("rx-ring-ref", "%u", R_RX_RING);
	fe_write("event-channel", "%u", net_port);
	fe_write("request-rx-copy", "%u", 1);
	fe_write("feature-rx-notify", "%u", 1);
	fe_write("feature-sg", "%u", 1);
	fe_write("state", "%d", XenbusStateConnected);
	st = wait_be_state(XenbusStateConnected, WAIT_NS);
	if (!check(st == XenbusStateConnected,
		   "backend-connected: state %lu", (unsigned long)st))
		test_end();
}

/* After the backend gave the vif up: say goodbye as netfront does. */
static void close_frontend(void)
{
	uint64_t st;

	fe_write("state", "%d", XenbusStateClosing);
	fe_write("state", "%d", XenbusStateClosed);
	st = wait_be_state(XenbusStateClosed, 5 * NS_PER_S);
	printk("nethostile: frontend Closed; backend state %lu\n",
	       (unsigned long)st);
}

/* ------------------------------------------------------ the tests -- */

static uint8_t frame[65536];

static void test_good(void)
{
	struct pkt p;

	good_arp("good-arp-60-bytes");

	pkt_init(&p);
	make_udp(frame, 200, "GOOD");
	pkt_frame(&p, frame, 200, 1, 1, 100);
	expect("good-udp-1-slot", &p, NETIF_RSP_OKAY);

	pkt_init(&p);
	make_udp(frame, 1400, "GOOD");
	pkt_frame(&p, frame, 1400, 3, 1, 2048);
	expect("good-udp-3-slots", &p, NETIF_RSP_OKAY);

	/* The most slots the backend must take: 18 of 64 bytes. */
	pkt_init(&p);
	make_udp(frame, MAX_SLOTS * 64, "GOOD");
	pkt_frame(&p, frame, MAX_SLOTS * 64, MAX_SLOTS, 1, 4032);
	expect("good-18-slots", &p, NETIF_RSP_OKAY);

	/* Headers in one slot, the rest in one ending at the page's end
	 * (a frame of 1442 bytes: within the bridge's MTU). */
	pkt_init(&p);
	make_udp(frame, 42 + 1400, "GOOD");
	memcpy(tx_page[1], frame, 42);
	memcpy(tx_page[2] + PAGE_SIZE - 1400, frame + 42, 1400);
	pkt_data(&p, R_TX0 + 1, 0, 42 + 1400);
	pkt_data(&p, R_TX0 + 2, PAGE_SIZE - 1400, 1400);
	pkt_chain(&p);
	expect("good-udp-slot-ending-at-page-end", &p, NETIF_RSP_OKAY);
}

static void test_sizes(void)
{
	struct pkt p;

	pkt_init(&p);
	make_udp(tx_page[1], FRAME_MIN, "BAD");
	pkt_data(&p, R_TX0 + 1, 0, 0);
	attack("size-0", &p);

	pkt_init(&p);
	make_udp(tx_page[1], FRAME_MIN, "BAD");
	pkt_data(&p, R_TX0 + 1, 0, ETH_HLEN - 1);
	attack("size-13-below-ethernet-header", &p);

	/* 65535 announced, three slots of 1000 following: the first slot
	 * would have to hold 62535 bytes of a 4096-byte page. */
	pkt_init(&p);
	make_udp(frame, 4000, "BAD");
	pkt_frame(&p, frame, 4000, 4, 1, 0);
	p.s[0].req.size = 0xffff;
	attack("size-65535-slots-short", &p);

	/* The followers hold more than the first slot announced. */
	pkt_init(&p);
	make_udp(frame, 1000, "BAD");
	pkt_frame(&p, frame, 1000, 2, 1, 0);
	p.s[0].req.size = 100;
	p.s[1].req.size = 2000;
	attack("slot-sizes-exceed-total", &p);

	/*
	 * The following slot as long as the whole packet: the first keeps
	 * no bytes of its own. Odd, but within the protocol (Xen's netback
	 * sends the 600 bytes), so answered OKAY. Its bytes are not a frame
	 * the bridge counts (they start mid-frame).
	 */
	pkt_init(&p);
	make_udp(frame, 1000, "BAD");
	pkt_frame(&p, frame, 1000, 2, 1, 0);
	p.s[0].req.size = 600;
	p.s[1].req.size = 600;
	expect("first-slot-with-0-bytes-accepted", &p, NETIF_RSP_OKAY);
	backend_gone("first-slot-with-0-bytes-accepted");
	good_arp("good frame after first-slot-with-0-bytes-accepted");

	pkt_init(&p);
	make_udp(frame, 200, "BAD");
	memcpy(tx_page[1] + 3996, frame, 100);
	pkt_data(&p, R_TX0 + 1, 4000, 200);
	attack("offset-plus-size-over-page", &p);

	pkt_init(&p);
	pkt_data(&p, R_TX0 + 1, 0xffff, FRAME_MIN);
	attack("offset-65535", &p);

	pkt_init(&p);
	make_udp(frame, 400, "BAD");
	memcpy(tx_page[1], frame, 200);
	memcpy(tx_page[2] + 4000, frame + 200, 96);
	pkt_data(&p, R_TX0 + 1, 0, 400);
	pkt_data(&p, R_TX0 + 2, 4000, 200);
	pkt_chain(&p);
	attack("second-slot-crosses-page", &p);
}

static void gref_attack(const char *name, grant_ref_t ref)
{
	struct pkt p;

	pkt_init(&p);
	make_udp(frame, 200, "BAD");
	memcpy(tx_page[0], frame, 200);	/* what R_NOFLAGS/OTHERDOM name */
	pkt_data(&p, ref, 0, 200);
	attack(name, &p);
}

static void test_grants(void)
{
	struct pkt p;

	gref_attack("gref-past-the-table", gnt_entries + 4096);
	gref_attack("gref-0xffffffff", 0xffffffffu);
	gref_attack("gref-never-granted", R_UNUSED);
	gref_attack("gref-without-permit-access", R_NOFLAGS);
	gref_attack("gref-for-another-domain", R_OTHERDOM);

	/* First slot good, second never granted. */
	pkt_init(&p);
	make_udp(frame, 600, "BAD");
	pkt_frame(&p, frame, 600, 2, 1, 0);
	p.s[1].req.gref = R_UNUSED;
	attack("second-slot-gref-never-granted", &p);
}

static void test_gso(void)
{
	struct netif_extra_info *e;
	struct pkt p;

	/* A GSO type that does not exist. */
	pkt_init(&p);
	make_udp(frame, 1400, "BAD");
	memcpy(tx_page[1], frame, 1400);
	pkt_data(&p, R_TX0 + 1, 0, 1400)->flags |= NETTXF_extra_info;
	e = pkt_extra(&p, XEN_NETIF_EXTRA_TYPE_GSO);
	e->u.gso.size = 536;
	e->u.gso.type = 7;
	attack("gso-type-7", &p);

	/* GSO type NONE inside a GSO extra. */
	pkt_init(&p);
	make_udp(frame, 1400, "BAD");
	memcpy(tx_page[1], frame, 1400);
	pkt_data(&p, R_TX0 + 1, 0, 1400)->flags |= NETTXF_extra_info;
	e = pkt_extra(&p, XEN_NETIF_EXTRA_TYPE_GSO);
	e->u.gso.size = 536;
	e->u.gso.type = XEN_NETIF_GSO_TYPE_NONE;
	attack("gso-type-none", &p);

	/*
	 * TCPv4 GSO on a UDP frame, from a frontend that wrote no
	 * feature-gso-*. Which answer is right depends on whose feature
	 * node governs the transmit side: see the report in net-hostile.sh.
	 * Here: answered (OKAY or ERROR, one for the whole packet), NULL for
	 * the extra, and the vif alive after.
	 */
	pkt_init(&p);
	make_udp(frame, 1400, "GSO");
	memcpy(tx_page[1], frame, 1400);
	pkt_data(&p, R_TX0 + 1, 0, 1400)->flags |= NETTXF_extra_info;
	e = pkt_extra(&p, XEN_NETIF_EXTRA_TYPE_GSO);
	e->u.gso.size = 536;
	e->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
	expect("gso-tcpv4-not-negotiated-answered", &p, 1);
	backend_gone("gso-tcpv4-not-negotiated-answered");
	good_arp("good frame after gso-tcpv4-not-negotiated-answered");
}

/*
 * The whole tx ring at once: every other packet a sane one-slot UDP
 * frame, the others size 0. Each answered by id, with the right status.
 */
static void test_full_ring(void)
{
	static struct netif_tx_response r[256];
	static uint16_t ids[256];
	unsigned int n = RING_SIZE(&tx), got, okay = 0, errs = 0;
	bool seen[256] = { false }, ids_ok = true, st_ok = true;

	if (n > 256)
		n = 256;
	for (unsigned int i = 0; i < n; i++) {
		struct pkt p;
		unsigned int pg = 1 + (i / 2) % (TX_PAGES - 1);
		uint16_t off = (uint16_t)(((i / 2) / (TX_PAGES - 1)) * 64);

		pkt_init(&p);
		if (i & 1) {
			pkt_data(&p, R_TX0 + 1, 0, 0);
		} else {
			make_udp(tx_page[pg] + off, 64, "GOOD");
			pkt_data(&p, R_TX0 + pg, off, 64);
		}
		ids[i] = p.s[0].req.id;
		tx_queue(&p);
	}
	tx_push();
	got = tx_responses(r, n, WAIT_NS);
	for (unsigned int k = 0; k < got; k++) {
		unsigned int i;

		for (i = 0; i < n; i++)
			if (ids[i] == r[k].id && !seen[i])
				break;
		if (i == n) {
			ids_ok = false;
			continue;
		}
		seen[i] = true;
		if (i & 1) {
			st_ok &= r[k].status == NETIF_RSP_ERROR;
			errs++;
		} else {
			st_ok &= r[k].status == NETIF_RSP_OKAY;
			okay++;
		}
	}
	check(got == n && ids_ok && st_ok,
	      "full-tx-ring-of-%u: %u answered (%u good, %u bad), ids %s, "
	      "statuses %s", n, got, okay, errs, ids_ok ? "match" : "UNKNOWN",
	      st_ok ? "right" : "WRONG");
	if (got != n) {
		backend_gone("full-tx-ring");
		test_end();
	}
	good_arp("good frame after full-tx-ring");
}

/*
 * The rx ring, posted full at the start and never consumed: whatever the
 * backend wrote is within what was asked, and transmit still works.
 */
static void test_rx_never_read(void)
{
	uint64_t deadline = deadline_in(20 * NS_PER_S);
	RING_IDX prod;
	bool sane = true;
	char why[96] = "";

	/* The script floods the bridge with broadcasts: wait for them. */
	while ((prod = __atomic_load_n(&rxs->rsp_prod, __ATOMIC_ACQUIRE)) <
	       RX_SLOTS && pv_now() < deadline)
		nap(&net_port, 1, 100, deadline);
	xen_rmb();
	if (prod > rx.req_prod_pvt) {
		sane = false;
		snprintf(why, sizeof(why), "rsp_prod %u past req_prod %u",
			 prod, rx.req_prod_pvt);
	}
	for (RING_IDX i = 0; sane && i < prod; i++) {
		struct netif_rx_response r;

		RING_COPY_RESPONSE(&rx, i, &r);
		sane = rx_rsp_sane(&r, i, why, sizeof(why));
	}
	check(sane && prod == RX_SLOTS,
	      "rx-ring-filled-never-read: %u of %u requests answered%s%s",
	      prod, RX_SLOTS, sane ? "" : ": ", why);
	good_arp("good-arp-with-rx-ring-full");
	/* Let the backend meet the full ring a while longer. */
	nap(&net_port, 1, 3000, deadline_in(3 * NS_PER_S));
	prod = __atomic_load_n(&rxs->rsp_prod, __ATOMIC_ACQUIRE);
	check(prod <= rx.req_prod_pvt,
	      "rx-no-responses-past-requests: rsp_prod %u, req_prod %u", prod,
	      rx.req_prod_pvt);
	good_arp("good-arp-after-rx-ring-full");
}

/*
 * A well-behaved netfront: post receive buffers, send frames, read the
 * ring (and post again) until 10.77.0.1 answers our ARP request.
 */
static void test_benign(void)
{
	uint64_t deadline = deadline_in(15 * NS_PER_S), next_arp = 0;
	unsigned int frames = 0;
	bool replied = false, sane = true;
	char why[96] = "";
	struct pkt p;

	good_arp("benign-good-arp");
	pkt_init(&p);
	make_udp(frame, 1400, "GOOD");
	pkt_frame(&p, frame, 1400, 2, 1, 1024);
	expect("benign-good-udp-2-slots", &p, NETIF_RSP_OKAY);

	while (!replied && sane && pv_now() < deadline) {
		RING_IDX prod = __atomic_load_n(&rxs->rsp_prod,
						__ATOMIC_ACQUIRE);
		unsigned int used = 0;

		if (pv_now() >= next_arp) {
			good_arp("benign-arp-request");
			next_arp = pv_now() + NS_PER_S;
		}
		xen_rmb();
		if ((RING_IDX)(prod - rx.rsp_cons) >
		    (RING_IDX)(rx.req_prod_pvt - rx.rsp_cons)) {
			sane = false;
			snprintf(why, sizeof(why), "rsp_prod %u past req_prod "
				 "%u", prod, rx.req_prod_pvt);
			break;
		}
		for (; rx.rsp_cons != prod; rx.rsp_cons++, used++) {
			struct netif_rx_response r;
			const uint8_t *f;

			RING_COPY_RESPONSE(&rx, rx.rsp_cons, &r);
			if (!rx_rsp_sane(&r, rx.rsp_cons, why, sizeof(why))) {
				sane = false;
				break;
			}
			frames++;
			if (r.status < 42 || (r.flags & NETRXF_more_data))
				continue;
			f = rx_page[r.id] + r.offset;
			if (!memcmp(f, my_mac, 6) && get16(f + 12) == 0x0806 &&
			    get16(f + 20) == 2 && f[28] == 10 && f[29] == 77 &&
			    f[30] == 0 && f[31] == 1 && !memcmp(f + 38, my_ip, 4))
				replied = true;
		}
		if (used)
			rx_post(used);
		if (!replied && sane)
			nap(&net_port, 1, 100, deadline);
	}
	check(sane && replied, "benign-arp-reply-received: %u frames read%s%s",
	      frames, sane ? "" : ": ", why);
}

/* Wait for the backend to give the vif up after a fatal packet. */
static void expect_closed(const char *name, const struct pkt *p,
			  RING_IDX rsp_before)
{
	struct netif_tx_response r[PKT_MAX];
	unsigned int got = 0, okay = 0;
	uint64_t st;
	RING_IDX rsp_after;

	st = wait_be_state(XenbusStateClosing, WAIT_NS);
	/* Whatever it answered before it stopped: nothing OKAY. */
	rsp_after = __atomic_load_n(&txs->rsp_prod, __ATOMIC_ACQUIRE);
	xen_rmb();
	if (p && (RING_IDX)(rsp_after - tx.rsp_cons) <= p->n) {
		got = (unsigned int)(rsp_after - tx.rsp_cons);
		for (unsigned int k = 0; k < got; k++) {
			RING_COPY_RESPONSE(&tx, tx.rsp_cons + k, &r[k]);
			okay += r[k].status == NETIF_RSP_OKAY;
		}
	}
	check(st >= XenbusStateClosing && st <= XenbusStateClosed &&
	      okay == 0 && (RING_IDX)(rsp_after - rsp_before) <=
	      (p ? p->n : 0),
	      "%s: backend state %lu (want 5 or 6), %u responses after it "
	      "(%u OKAY)", name, (unsigned long)st,
	      (unsigned int)(rsp_after - rsp_before), okay);
}

/* 19 chained slots of 64 bytes: one more than a packet may use. */
static void fatal_slots(void)
{
	RING_IDX before = tx.rsp_cons;
	struct pkt p;

	pkt_init(&p);
	make_udp(frame, (MAX_SLOTS + 1) * 64, "BAD");
	pkt_frame(&p, frame, (MAX_SLOTS + 1) * 64, MAX_SLOTS + 1, 1, 0);
	tx_queue(&p);
	tx_push();
	printk("nethostile: sent a packet of %u slots\n", p.n);
	expect_closed("fatal-19-slots-closes-vif", &p, before);
}

/* req_prod 10000 past what was consumed. */
static void fatal_prod(void)
{
	RING_IDX before = __atomic_load_n(&txs->rsp_prod, __ATOMIC_ACQUIRE);

	__atomic_store_n(&txs->req_prod, tx.req_prod_pvt + 10000,
			 __ATOMIC_RELEASE);
	xen_mb();
	evtchn_send(net_port);
	printk("nethostile: published tx req_prod %u (consumed %u)\n",
	       tx.req_prod_pvt + 10000, tx.req_prod_pvt);
	expect_closed("fatal-producer-10000-ahead-closes-vif", NULL, before);
}

/* An extra-info slot of type 9, which does not exist. */
static void fatal_extra(void)
{
	RING_IDX before = tx.rsp_cons;
	struct netif_extra_info *e;
	struct pkt p;

	pkt_init(&p);
	make_udp(frame, 200, "BAD");
	memcpy(tx_page[1], frame, 200);
	pkt_data(&p, R_TX0 + 1, 0, 200)->flags |= NETTXF_extra_info;
	e = pkt_extra(&p, 9);
	e->flags = 0;
	tx_queue(&p);
	tx_push();
	printk("nethostile: sent an extra-info slot of type 9\n");
	expect_closed("fatal-extra-type-9-closes-vif", &p, before);
}

static void hold_for_shutdown(void)
{
	uint64_t deadline = deadline_in(120 * NS_PER_S);
	char val[32];

	printk("nethostile: checks done, waiting for control/shutdown\n");
	while (pv_now() < deadline) {
		if (xs_read("control/shutdown", val, sizeof(val)) == 0 &&
		    val[0]) {
			printk("nethostile: control/shutdown says %s\n", val);
			return;
		}
		nap(&xs_port, 1, 100, deadline);
	}
	printk("nethostile: no control/shutdown within 120 s; ending anyway\n");
}

void guest_main(struct start_info *si)
{
	const char *fatal = cmdline_value("fatal");
	bool benign = cmdline_has("benign");

	test_start("nethostile");
	want_hold = cmdline_has("hold");
	if (fatal && !word_is(fatal, "slots") && !word_is(fatal, "prod") &&
	    !word_is(fatal, "extra"))
		test_fail("fatal=%s: want slots, prod or extra", fatal);

	xs = (void *)(PVGUEST_VIRT_BASE + (si->store_mfn << PAGE_SHIFT));
	xs_port = si->store_evtchn;
	if (!xs_port)
		test_fail("no xenstore event channel in start_info");
	if (events_init())
		test_fail("cannot map shared_info");
	local_irq_disable();	/* we poll; no upcalls */
	evtchn_mask(xs_port);

	printk("nethostile: mode %s\n", benign ? "benign" :
	       fatal ? fatal : "hostile");
	connect();
	rx_post(RX_SLOTS);
	printk("nethostile: rx ring posted (%u buffers)\n", RX_SLOTS);

	if (benign) {
		test_benign();
	} else if (fatal) {
		good_arp("good-arp-60-bytes");
		if (word_is(fatal, "slots"))
			fatal_slots();
		else if (word_is(fatal, "prod"))
			fatal_prod();
		else
			fatal_extra();
		close_frontend();
	} else {
		test_good();
		test_sizes();
		test_grants();
		test_gso();
		test_full_ring();
		test_rx_never_read();
		backend_gone("the checks");
	}
	printk("nethostile: %u check(s) failed; frames GOOD %u BAD %u\n",
	       test_failures, good_sent, bad_sent);
	if (want_hold)
		hold_for_shutdown();
	test_end();
}
