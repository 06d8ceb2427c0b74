// SPDX-License-Identifier: MIT
/*
 * One vif spec of xl-network-configuration(5): comma-separated
 * key=value pairs (mac, bridge, ip, model, type, vifname, script,
 * backend, rate, devid, mtu, gatewaydev) and the trusted/untrusted
 * flags.  Unknown keys are errors: a typo must not silently drop a
 * setting.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

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

/* Leading digits of *s as a decimal number (at least one), *s past them. */
static int digits(const char **s, uint64_t max, uint64_t *out)
{
	const char *p = *s;
	uint64_t n = 0;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		if (n > (max - (uint64_t)(*p - '0')) / 10)
			return -EOVERFLOW;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	*s = p;
	*out = n;
	return 0;
}

int cfg_parse_vif_rate(const char *rate, uint64_t *credit_bytes,
		       uint32_t *credit_usec, char *err, size_t errlen)
{
	const char *p = rate;
	uint64_t n, unit = 1, per_sec, usec = 50000;	/* xl's default */

	/* RATE, as xl takes it: [0-9]+[KMG]?[Bb]/s, 1..2^32-1 of the unit. */
	switch (digits(&p, UINT32_MAX, &n)) {
	case -EOVERFLOW:
		return vfail(err, errlen, "rate '%s': number too large (at "
			     "most %u)", rate, UINT32_MAX);
	case 0:
		if (*p == 'K')
			unit = 1000;
		else if (*p == 'M')
			unit = 1000000;
		else if (*p == 'G')
			unit = 1000000000;
		if (unit > 1)
			p++;
		if ((*p == 'B' || *p == 'b') && !strncmp(p + 1, "/s", 2) &&
		    (!p[3] || p[3] == '@'))
			break;
		/* fall through */
	default:
		return vfail(err, errlen, "rate '%s': expected RATE[@INTERVAL],"
			     " RATE a number and B/s, KB/s, MB/s, GB/s, b/s, "
			     "Kb/s, Mb/s or Gb/s (e.g. 10Mb/s@20ms)", rate);
	}
	if (!n)
		return vfail(err, errlen, "rate '%s' is zero", rate);
	per_sec = n * unit / (*p == 'b' ? 8 : 1);	/* b: bits */
	if (!per_sec)
		return vfail(err, errlen, "rate '%s' is less than a byte per "
			     "second", rate);
	p += 3;
	if (*p == '@') {
		const char *at = ++p;

		/* INTERVAL: [0-9]+[mu]?s? (no unit: seconds). */
		switch (digits(&p, UINT32_MAX, &usec)) {
		case -EOVERFLOW:
			return vfail(err, errlen, "rate '%s': interval '%s' "
				     "too long", rate, at);
		case 0:
			unit = *p == 'm' ? 1000 : *p == 'u' ? 1 : 1000000;
			if (*p == 'm' || *p == 'u')
				p++;
			if (*p == 's')
				p++;
			if (!*p)
				break;
			/* fall through */
		default:
			return vfail(err, errlen, "rate '%s': interval '%s' is "
				     "not a number and s, ms or us (e.g. 20ms)",
				     rate, at);
		}
		if (!usec)
			return vfail(err, errlen, "rate '%s': zero interval",
				     rate);
		if (usec > UINT32_MAX / unit)
			return vfail(err, errlen, "rate '%s': interval '%s' "
				     "longer than %u us", rate, at, UINT32_MAX);
		usec *= unit;
	}
	if (per_sec > UINT64_MAX / usec)
		return vfail(err, errlen, "rate '%s' overflows", rate);
	/* libxl's arithmetic: bytes per second times the interval, floored. */
	*credit_bytes = per_sec * usec / 1000000;
	*credit_usec = (uint32_t)usec;
	if (!*credit_bytes)
		return vfail(err, errlen, "rate '%s' is less than a byte per "
			     "interval", rate);
	return 0;
}

#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
		   "0123456789_.-"

/* Linux's dev_valid_name(), with the characters narrowed to what the
 * hotplug scripts take without quoting. */
static bool ifname_ok(const char *s)
{
	if (strlen(s) > CFG_IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	return strspn(s, NAME_CHARS) == strlen(s);
}

/* ip=: addresses, IPv4 or IPv6, separated by spaces. *bad: the first
 * that is not one. */
static bool ips_ok(const char *s, char *bad, size_t badlen)
{
	while (*s) {
		size_t len = strcspn(s, " ");
		char one[INET6_ADDRSTRLEN + 1];
		unsigned char buf[16];

		if (len) {
			snprintf(bad, badlen, "%.*s", (int)len, s);
			if (len >= sizeof(one))
				return false;
			memcpy(one, s, len);
			one[len] = '\0';
			if (inet_pton(AF_INET, one, buf) != 1 &&
			    inet_pton(AF_INET6, one, buf) != 1)
				return false;
		}
		s += len;
		s += strspn(s, " ");
	}
	return true;
}

/* script=: a bare name (pvisord's script directory) or an absolute path. */
static bool script_ok(const char *s)
{
	if (s[0] != '/')
		return strcmp(s, ".") && strcmp(s, "..") &&
		       strspn(s, NAME_CHARS) == strlen(s);
	for (; *s; s++)
		if (!isgraph((unsigned char)*s))
			return false;
	return true;
}

void cfg_vif_default_mac(const char *domname, unsigned int devid,
			 uint8_t mac[6])
{
	uint64_t h = XXH64(domname, strlen(domname), devid);

	/* Xen's OUI: unicast, and what guests and tools expect of a vif. */
	mac[0] = 0x00;
	mac[1] = 0x16;
	mac[2] = 0x3e;
	mac[3] = (uint8_t)(h >> 16);
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
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

/* Zero-padded (val fits): a key given twice leaves nothing of the first,
 * so equal specs give equal structs. */
static void set_str(char *dst, size_t size, const char *val)
{
	memset(dst, 0, size);
	memcpy(dst, val, strlen(val));
}

/* What the scripts and the kernel will be given: names, addresses. */
static int check_vif(struct cfg_vif *v, char *err, size_t errlen)
{
	static const char *const ifkey[] = { "bridge", "vifname", "gatewaydev" };
	const char *ifval[] = { v->bridge, v->vifname, v->gatewaydev };
	char bad[64];

	for (int i = 0; i < 3; i++)
		if (!ifname_ok(ifval[i]))
			return vfail(err, errlen, "vif %s '%s' is not an "
				     "interface name (at most %d of A-Z a-z 0-9 "
				     "_ . -)", ifkey[i], ifval[i],
				     CFG_IFNAME_MAX);
	if (!ips_ok(v->ip, bad, sizeof(bad)))
		return vfail(err, errlen, "vif ip '%s' is not an IPv4 or IPv6 "
			     "address (ip= takes addresses separated by spaces)",
			     bad);
	if (!script_ok(v->script))
		return vfail(err, errlen, "vif script '%s' is neither a bare "
			     "name (A-Z a-z 0-9 _ . -) nor an absolute path "
			     "without spaces", v->script);
	if (v->rate[0])
		return cfg_parse_vif_rate(v->rate, &v->credit_bytes,
					  &v->credit_usec, err, errlen);
	return 0;
}

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
					     "mac '%s' is a multicast address "
					     "(the first byte must be even)",
					     val);
			if (!memcmp(v->mac, "\0\0\0\0\0\0", 6))
				return vfail(err, errlen,
					     "mac '%s' is all zeros", val);
			v->has_mac = true;
			continue;
		}
		if (!strcmp(item, "type")) {
			if (strcmp(val, "vif") && strcmp(val, "ioemu"))
				return vfail(err, errlen,
					     "bad vif type '%s' (vif|ioemu)",
					     val);
			set_str(v->type, sizeof(v->type), val);
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
			set_str((char *)v + strings[i].off, strings[i].size,
				val);
			done = true;
		}
		if (!done)
			return vfail(err, errlen, "unknown vif parameter '%s'",
				     item);
	}
	return check_vif(v, err, errlen);
}

int cfg_vif_format(const struct cfg_vif *v, char *out, size_t len)
{
	size_t at = 0;
	int n;

#define PUT(...) do {							\
	n = snprintf(out + at, at < len ? len - at : 0, "%s" __VA_ARGS__); \
	if (n < 0)							\
		return -EINVAL;						\
	at += (size_t)n;						\
} while (0)
#define SEP (at ? "," : "")
	if (len)
		out[0] = '\0';
	if (v->has_mac)
		PUT("mac=%02x:%02x:%02x:%02x:%02x:%02x", SEP, v->mac[0],
		    v->mac[1], v->mac[2], v->mac[3], v->mac[4], v->mac[5]);
	if (v->devid >= 0)
		PUT("devid=%d", SEP, v->devid);
	if (v->type[0] && strcmp(v->type, "vif"))
		PUT("type=%s", SEP, v->type);
	if (v->mtu)
		PUT("mtu=%u", SEP, v->mtu);
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		const char *val = (const char *)v + strings[i].off;

		if (*val)
			PUT("%s=%s", SEP, strings[i].key, val);
	}
#undef SEP
#undef PUT
	return at < len ? 0 : -ENOSPC;
}
