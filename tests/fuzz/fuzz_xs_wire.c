// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: arbitrary bytes as xs_wire traffic, from a guest
 * ring (hostile indexes included) and from guest and dom0 stream
 * connections.  Any crash, leak, UB or stuck loop is a finding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xs_internal.h"

static struct xs_store *st;
static unsigned int runs;

static void notify(void *opaque)
{
}

static void drain(struct xs_conn *c)
{
	size_t len;

	while (xs_conn_out_peek(c, &len))
		xs_conn_out_advance(c, len);
}

static void stream(struct xs_conn *c, const uint8_t *data, size_t size)
{
	static struct xs_rx rx;
	size_t off = 0;

	xs_rx_reset(&rx);
	while (off < size) {
		size_t want, n;
		void *dst = xs_rx_ptr(&rx, &want);
		int r;

		n = size - off < want ? size - off : want;
		memcpy(dst, data + off, n);
		off += n;
		r = xs_rx_advance(&rx, n);
		if (r < 0)
			return;	/* the transport would drop the client */
		if (r == 1) {
			xs_store_lock(st);
			xs_dispatch(c, &rx.hdr, rx.payload);
			drain(c);
			xs_store_unlock(st);
			xs_rx_reset(&rx);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xenstore_domain_interface page;
	struct xs_conn *g, *d0;

	if (!st || ++runs % 512 == 0) {
		xs_store_free(st);
		st = xs_store_new(NULL);
		if (!st)
			abort();
	}
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0: {
		/* Ring: the rest is the request ring, indexes from the input. */
		struct xs_ring *r;
		uint32_t prod = 0;

		memset(&page, 0, sizeof(page));
		data++, size--;
		if (size >= 4) {
			memcpy(&prod, data, 4);
			data += 4, size -= 4;
		}
		if (size > XENSTORE_RING_SIZE)
			size = XENSTORE_RING_SIZE;
		memcpy(page.req, data, size);
		page.req_prod = (prod & 0x80000000u) ? prod : (uint32_t)size;
		r = xs_ring_attach(st, 5, &page, notify, NULL);
		if (!r)
			abort();
		for (int i = 0; i < 8 && xs_ring_kick(r) == 1; i++)
			page.rsp_cons = page.rsp_prod;
		xs_domain_release(st, 5);
		break;
	}
	case 1:
		xs_store_lock(st);
		g = xs_conn_new(st, 5, false);
		xs_store_unlock(st);
		stream(g, data + 1, size - 1);
		xs_store_lock(st);
		xs_conn_free(g);
		xs_store_unlock(st);
		break;
	default:
		xs_store_lock(st);
		d0 = xs_conn_new(st, 0, true);
		xs_store_unlock(st);
		stream(d0, data + 1, size - 1);
		xs_store_lock(st);
		xs_conn_free(d0);
		xs_store_unlock(st);
		break;
	}
	return 0;
}
