// SPDX-License-Identifier: MIT
/*
 * Packet headers, as far as checksum and segmentation offload need
 * them: where the L4 header starts and ends, and the ones' complement
 * arithmetic of the Internet checksum. Every offset is checked against
 * the bytes there are: the packets come from the guest or the network.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "netback.h"

#define NET_ETH_P_IPV4		0x0800u
#define NET_ETH_P_IPV6		0x86ddu
#define NET_ETH_P_8021Q		0x8100u
#define NET_ETH_P_8021AD	0x88a8u
#define NET_IPV6_HLEN		40u
/* Extension headers we walk, at most (a loop bound, not a standard). */
#define NET_IPV6_MAX_EXT	8

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* IPv4 at p[l3..len): its L4 header's offset, protocol and length. */
static int parse_ipv4(const uint8_t *p, size_t len, struct net_hdrs *h)
{
	size_t l3 = h->l3, ihl, tot;

	if (l3 + 20 > len || (p[l3] >> 4) != 4)
		return -EINVAL;
	ihl = (p[l3] & 0xfu) * 4u;
	tot = be16(p + l3 + 2);
	if (ihl < 20 || tot < ihl || l3 + tot > len)
		return -EINVAL;
	/* A fragment: its L4 header is elsewhere, or partial. */
	if (be16(p + l3 + 6) & 0x3fffu)
		return -EPROTONOSUPPORT;
	h->proto = p[l3 + 9];
	h->l4 = (uint16_t)(l3 + ihl);
	h->l4_len = (uint16_t)(tot - ihl);
	h->ipv6 = false;
	return 0;
}

/* IPv6 with hop-by-hop, routing, destination options, AH or a first
 * fragment of a whole packet (offset 0, no more) before L4. */
static int parse_ipv6(const uint8_t *p, size_t len, struct net_hdrs *h)
{
	size_t l3 = h->l3, at = l3 + NET_IPV6_HLEN, end;
	uint8_t next;

	if (at > len || (p[l3] >> 4) != 6)
		return -EINVAL;
	end = at + be16(p + l3 + 4);
	if (end > len || end > 0xffffu)	/* offsets are 16-bit */
		return -EINVAL;
	next = p[l3 + 6];
	for (int i = 0;; i++) {
		size_t ext;

		if (next == IPPROTO_TCP || next == IPPROTO_UDP)
			break;
		if (i == NET_IPV6_MAX_EXT || at + 8 > end)
			return -EPROTONOSUPPORT;
		switch (next) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			ext = (p[at + 1] + 1u) * 8u;
			break;
		case IPPROTO_AH:
			ext = (p[at + 1] + 2u) * 4u;
			break;
		case IPPROTO_FRAGMENT:
			if (be16(p + at + 2) & 0xfff9u)	/* offset, M */
				return -EPROTONOSUPPORT;
			ext = 8;
			break;
		default:
			return -EPROTONOSUPPORT;
		}
		next = p[at];
		at += ext;
		if (at > end)
			return -EINVAL;
	}
	h->proto = next;
	h->l4 = (uint16_t)at;
	h->l4_len = (uint16_t)(end - at);
	h->ipv6 = true;
	return 0;
}

bool net_eth_ipv6(const uint8_t *p, size_t len)
{
	size_t at = 12;
	uint16_t type;

	if (len < NET_ETH_HLEN)
		return false;
	type = be16(p + at);
	if (type == NET_ETH_P_8021Q || type == NET_ETH_P_8021AD) {
		at += 4;
		if (at + 2 > len)
			return false;
		type = be16(p + at);
	}
	return type == NET_ETH_P_IPV6;
}

int net_parse(const uint8_t *p, size_t len, struct net_hdrs *h)
{
	size_t at = 12;
	uint16_t type;
	int rc;

	memset(h, 0, sizeof(*h));
	if (len < NET_ETH_HLEN || len > 65535u + 4096u)
		return -EINVAL;
	type = be16(p + at);
	if (type == NET_ETH_P_8021Q || type == NET_ETH_P_8021AD) {
		at += 4;	/* one tag */
		if (at + 2 > len)
			return -EINVAL;
		type = be16(p + at);
	}
	h->l3 = (uint16_t)(at + 2);
	if (type == NET_ETH_P_IPV4)
		rc = parse_ipv4(p, len, h);
	else if (type == NET_ETH_P_IPV6)
		rc = parse_ipv6(p, len, h);
	else
		rc = -EPROTONOSUPPORT;
	if (rc)
		return rc;
	if (h->proto == IPPROTO_TCP) {
		size_t doff;

		if (h->l4_len < 20)
			return -EINVAL;
		doff = (p[h->l4 + 12] >> 4) * 4u;
		if (doff < 20 || doff > h->l4_len)
			return -EINVAL;
		h->l4_end = (uint16_t)(h->l4 + doff);
	} else if (h->proto == IPPROTO_UDP) {
		if (h->l4_len < 8)
			return -EINVAL;
		h->l4_end = (uint16_t)(h->l4 + 8);
	} else {
		return -EPROTONOSUPPORT;
	}
	return 0;
}

unsigned int net_csum_field(const struct net_hdrs *h)
{
	return h->proto == IPPROTO_TCP ? 16u : 6u;
}

uint32_t net_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	uint64_t s = sum;

	for (; len >= 2; p += 2, len -= 2)
		s += be16(p);
	if (len)
		s += (uint32_t)p[0] << 8;
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

uint16_t net_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t net_csum_pseudo(const uint8_t *p, const struct net_hdrs *h)
{
	uint32_t sum;

	if (h->ipv6)	/* source and destination: 32 bytes from 8 */
		sum = net_csum_add(0, p + h->l3 + 8, 32);
	else		/* from 12: source, destination */
		sum = net_csum_add(0, p + h->l3 + 12, 8);
	sum += h->proto;
	sum += h->l4_len;
	return net_csum_fold(sum);
}

int net_csum_complete(uint8_t *p, size_t len, unsigned int start,
		      unsigned int off)
{
	uint16_t c;

	if (start > len || off > len - start || len - start - off < 2)
		return -EINVAL;
	c = (uint16_t)~net_csum_fold(net_csum_add(0, p + start, len - start));
	if (!c)
		c = 0xffff;	/* 0 means "none" to UDP; the same to TCP */
	p[start + off] = (uint8_t)(c >> 8);
	p[start + off + 1] = (uint8_t)c;
	return 0;
}
