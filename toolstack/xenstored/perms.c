// SPDX-License-Identifier: MIT
/*
 * Node permissions, Xen's model: the first entry names the owner (who
 * may do anything) and gives the access of every domain not listed in a
 * later entry.  Privileged connections bypass the check.  A domain that
 * is the SET_TARGET of another shares its rights with that one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xs_internal.h"

static bool entry_matches(const struct xs_conn *c, const struct xs_perm *p)
{
	return p->id == c->domid ||
	       (c->target != XS_NO_TARGET && p->id == c->target) ||
	       p->id == XS_DOMID_ANY;
}

unsigned int xs_perm_for(const struct xs_conn *c, const struct xs_perm *p,
			 uint32_t np)
{
	const unsigned int all = XS_PERM_READ | XS_PERM_WRITE | XS_PERM_OWNER;

	if (c->priv || np == 0 || entry_matches(c, &p[0]))
		return c->priv || np ? all : 0;
	for (uint32_t i = 1; i < np; i++)
		if (entry_matches(c, &p[i]))
			return p[i].perms & (XS_PERM_READ | XS_PERM_WRITE);
	return p[0].perms & (XS_PERM_READ | XS_PERM_WRITE);
}

int xs_perms_parse(const char *s, size_t len, struct xs_perm *out,
		   uint32_t max, uint32_t *np)
{
	const char *end = s + len;
	uint32_t n = 0;

	while (s < end) {
		const char *z = memchr(s, '\0', (size_t)(end - s));
		unsigned long id = 0;
		uint32_t perm;

		if (!z || n >= max)
			return -EINVAL;
		switch (*s) {
		case 'n': perm = XS_PERM_NONE; break;
		case 'r': perm = XS_PERM_READ; break;
		case 'w': perm = XS_PERM_WRITE; break;
		case 'b': perm = XS_PERM_READ | XS_PERM_WRITE; break;
		default: return -EINVAL;
		}
		/* A decimal domid, as xenstore-chmod writes it. */
		if (z == s + 1)
			return -EINVAL;
		for (const char *q = s + 1; q < z; q++) {
			if (*q < '0' || *q > '9')
				return -EINVAL;
			id = id * 10 + (unsigned long)(*q - '0');
			if (id > 0xffff)
				return -EINVAL;
		}
		out[n].id = (uint32_t)id;
		out[n].perms = perm;
		n++;
		s = z + 1;
	}
	if (n == 0)
		return -EINVAL;
	*np = n;
	return 0;
}

size_t xs_perms_format(const struct xs_perm *p, uint32_t np, char *buf,
		       size_t cap)
{
	static const char letter[4] = { 'n', 'r', 'w', 'b' };
	size_t used = 0;

	for (uint32_t i = 0; i < np; i++) {
		int n = snprintf(buf + used, cap - used, "%c%u",
				 letter[p[i].perms & 3], p[i].id);

		if (n < 0 || (size_t)n + 1 > cap - used)
			break;
		used += (size_t)n + 1;	/* keep the NUL */
	}
	return used;
}
