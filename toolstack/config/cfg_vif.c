// SPDX-License-Identifier: MIT
/*
 * One vif spec of xl-network-configuration(5): comma-separated
 * key=value pairs (mac, bridge, ip, model, type, vifname, script,
 * backend, rate, devid, mtu, gatewaydev) and the trusted/untrusted
 * flags.  Unknown keys are errors: a typo must not silently drop a
 * setting.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvconfig.h"

static int vfail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		int h, l;

		if (!isxdigit((unsigned char)s[0]) ||
		    !isxdigit((unsigned char)s[1]))
			return -1;
		h = isdigit((unsigned char)s[0]) ? s[0] - '0' :
						   tolower(s[0]) - 'a' + 10;
		l = isdigit((unsigned char)s[1]) ? s[1] - '0' :
						   tolower(s[1]) - 'a' + 10;
		mac[i] = (uint8_t)(h * 16 + l);
		s += 2;
		if (i < 5 && *s++ != ':')
			return -1;
	}
	return *s ? -1 : 0;
}

static int num(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	*out = strtoul(s, &end, 10);
	return *end || *out > max ? -1 : 0;
}

#define FIELD(name, dst) { name, offsetof(struct cfg_vif, dst), \
			   sizeof(((struct cfg_vif *)0)->dst) }

static const struct {
	const char *key;
	size_t off, size;
} strings[] = {
	FIELD("bridge", bridge), FIELD("ip", ip), FIELD("model", model),
	FIELD("vifname", vifname), FIELD("script", script),
	FIELD("backend", backend), FIELD("rate", rate),
	FIELD("gatewaydev", gatewaydev),
};

int cfg_parse_vif(const char *spec, struct cfg_vif *v, char *err,
		  size_t errlen)
{
	const char *p = spec;
	char item[CFG_PATH_MAX + 16];

	memset(v, 0, sizeof(*v));
	v->devid = -1;
	strcpy(v->type, "vif");
	while (*p) {
		const char *comma, *start, *val;
		unsigned long n;
		size_t len;
		char *eq;
		bool done = false;

		while (*p == ' ' || *p == '\t')
			p++;
		start = p;
		comma = strchr(start, ',');
		len = comma ? (size_t)(comma - start) : strlen(start);
		p = comma ? comma + 1 : start + len;
		while (len && (start[len - 1] == ' ' || start[len - 1] == '\t'))
			len--;
		if (!len)
			continue;
		if (len >= sizeof(item))
			return vfail(err, errlen, "vif parameter too long");
		memcpy(item, start, len);
		item[len] = '\0';
		if (!strcmp(item, "trusted") || !strcmp(item, "untrusted"))
			continue;
		eq = strchr(item, '=');
		if (!eq)
			return vfail(err, errlen,
				     "vif parameter '%s' is not key=value",
				     item);
		*eq = '\0';
		val = eq + 1;
		if (!strcmp(item, "mac")) {
			if (parse_mac(val, v->mac))
				return vfail(err, errlen,
					     "bad mac '%s' (xx:xx:xx:xx:xx:xx)",
					     val);
			if (v->mac[0] & 1)
				return vfail(err, errlen,
					     "mac '%s' is a multicast address",
					     val);
			v->has_mac = true;
			continue;
		}
		if (!strcmp(item, "type")) {
			if (strcmp(val, "vif") && strcmp(val, "ioemu"))
				return vfail(err, errlen,
					     "bad vif type '%s' (vif|ioemu)",
					     val);
			strcpy(v->type, val);
			continue;
		}
		if (!strcmp(item, "devid")) {
			if (num(val, 65535, &n))
				return vfail(err, errlen, "bad devid '%s'", val);
			v->devid = (int)n;
			continue;
		}
		if (!strcmp(item, "mtu")) {
			if (num(val, 65535, &n) || n < 68)
				return vfail(err, errlen, "bad mtu '%s'", val);
			v->mtu = (unsigned int)n;
			continue;
		}
		for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
			if (strcmp(item, strings[i].key))
				continue;
			if (strlen(val) >= strings[i].size)
				return vfail(err, errlen, "vif %s too long",
					     item);
			strcpy((char *)v + strings[i].off, val);
			done = true;
		}
		if (!done)
			return vfail(err, errlen, "unknown vif parameter '%s'",
				     item);
	}
	return 0;
}
