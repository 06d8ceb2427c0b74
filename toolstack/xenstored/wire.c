// SPDX-License-Identifier: MIT
/*
 * The xs_wire framing: receiving a header and its payload in pieces,
 * argument splitting, and errno names for XS_ERROR replies.
 */
#include <errno.h>
#include <string.h>

#include "xs_internal.h"

void xs_rx_reset(struct xs_rx *rx)
{
	rx->got = 0;
	rx->payload[0] = '\0';
}

void *xs_rx_ptr(struct xs_rx *rx, size_t *want)
{
	if (rx->got < sizeof(rx->hdr)) {
		*want = sizeof(rx->hdr) - rx->got;
		return (char *)&rx->hdr + rx->got;
	}
	*want = sizeof(rx->hdr) + rx->hdr.len - rx->got;
	return rx->payload + (rx->got - sizeof(rx->hdr));
}

int xs_rx_advance(struct xs_rx *rx, size_t n)
{
	rx->got += (uint32_t)n;
	if (rx->got < sizeof(rx->hdr))
		return 0;
	/* An oversized payload is fatal for the connection (xenstore.txt). */
	if (rx->hdr.len > XENSTORE_PAYLOAD_MAX)
		return -EINVAL;
	if (rx->got < sizeof(rx->hdr) + rx->hdr.len)
		return 0;
	rx->payload[rx->hdr.len] = '\0';
	return 1;
}

const char *xs_errno_name(int err)
{
	if (err < 0)
		err = -err;
	for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (xsd_errors[i].errnum == err)
			return xsd_errors[i].errstring;
	return "EINVAL";	/* Xen's fallback for untranslatable errors */
}

unsigned int xs_wire_strings(const char *p, uint32_t len, const char **vec,
			     unsigned int max)
{
	unsigned int n = 0;
	uint32_t i = 0;

	while (i < len) {
		const char *z = memchr(p + i, '\0', len - i);

		if (!z)
			break;	/* an unterminated tail is not a string */
		if (n < max)
			vec[n] = p + i;
		n++;
		i = (uint32_t)(z - p) + 1;
	}
	return n;
}

const char *xs_wire_onearg(const char *p, uint32_t len)
{
	if (len == 0 || p[len - 1] != '\0' || strlen(p) + 1 != len)
		return NULL;
	return p;
}

int xs_wire_domid(const char *s, unsigned int *domid)
{
	unsigned long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 0xffff)
			return -EINVAL;
	}
	*domid = (unsigned int)v;
	return 0;
}
