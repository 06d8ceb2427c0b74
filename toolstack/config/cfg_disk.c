// SPDX-License-Identifier: MIT
/*
 * One DISKSPEC of xl-disk-configuration(5): comma-separated positional
 * parameters (target, format, vdev, access), key=value parameters and
 * flags, `target=` swallowing the rest, and the deprecated
 * "phy:"/"file:"/"<format>:" target prefixes and "vdev:cdrom" suffix.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvconfig.h"

static int dfail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int copy(char *dst, size_t cap, const char *src, size_t len)
{
	if (len >= cap)
		return -1;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

static const char *const format_names[] = {
	[CFG_FMT_RAW] = "raw", [CFG_FMT_QCOW] = "qcow",
	[CFG_FMT_QCOW2] = "qcow2", [CFG_FMT_VHD] = "vhd",
	[CFG_FMT_QED] = "qed", [CFG_FMT_VMDK] = "vmdk", [CFG_FMT_VDI] = "vdi",
};

const char *cfg_disk_format_name(enum cfg_disk_format f)
{
	return (unsigned int)f < sizeof(format_names) / sizeof(format_names[0])
		? format_names[f] : "?";
}

static int parse_format(const char *s, enum cfg_disk_format *f)
{
	for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]);
	     i++) {
		if (!strcmp(s, format_names[i])) {
			*f = (enum cfg_disk_format)i;
			return 0;
		}
	}
	return -1;
}

/* Letters a..z, aa.. -> 0, 1, ..., 26, ... (xen-vbd-interface(7)). */
static int disk_index(const char **s, unsigned int *idx)
{
	unsigned int v = 0;
	int n = 0;

	while (**s >= 'a' && **s <= 'z') {
		v = v * 26 + (unsigned int)(**s - 'a' + 1);
		(*s)++;
		if (++n > 3)
			return -1;
	}
	if (!n)
		return -1;
	*idx = v - 1;
	return 0;
}

static int partition(const char *s, unsigned int *p)
{
	unsigned int v = 0;

	if (!*s) {
		*p = 0;
		return 0;
	}
	if (*s == '0')
		return -1;	/* no leading zeros, and partition 0 is "none" */
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (unsigned int)(*s - '0');
		if (v > 255)
			return -1;
	}
	*p = v;
	return 0;
}

int cfg_vdev_number(const char *vdev, uint32_t *num)
{
	static const unsigned int hd_major[] = { 3, 22, 33, 34, 56, 57, 88, 89,
						 90, 91 };
	unsigned int disk, part;
	const char *s = vdev;

	if (!strncmp(s, "xvd", 3)) {
		s += 3;
		if (disk_index(&s, &disk) || partition(s, &part))
			return -EINVAL;
		if (disk < 16 && part < 16)
			*num = (202u << 8) | (disk << 4) | part;
		else if (disk < (1u << 20))
			*num = (1u << 28) | (disk << 8) | part;
		else
			return -EINVAL;
		return 0;
	}
	if (!strncmp(s, "hd", 2)) {
		s += 2;
		if (disk_index(&s, &disk) || partition(s, &part) ||
		    disk >= 2 * sizeof(hd_major) / sizeof(hd_major[0]) ||
		    part > 63)
			return -EINVAL;
		*num = (hd_major[disk / 2] << 8) | ((disk % 2) << 6) | part;
		return 0;
	}
	if (!strncmp(s, "sd", 2)) {
		s += 2;
		if (disk_index(&s, &disk) || partition(s, &part) || disk >= 16 ||
		    part > 15)
			return -EINVAL;
		*num = (8u << 8) | (disk << 4) | part;
		return 0;
	}
	if (s[0] == 'd' && isdigit((unsigned char)s[1])) {
		char *end;
		unsigned long d = strtoul(s + 1, &end, 10);

		part = 0;
		if (*end == 'p') {
			if (partition(end + 1, &part) || !part)
				return -EINVAL;
		} else if (*end) {
			return -EINVAL;
		}
		if (d >= (1u << 20))
			return -EINVAL;
		*num = d < 16 && part < 16 ?
		       (202u << 8) | ((unsigned int)d << 4) | part :
		       (1u << 28) | ((unsigned int)d << 8) | part;
		return 0;
	}
	return -EINVAL;
}

/* Deprecated "prefix:" forms on the target. */
static int strip_prefixes(struct cfg_disk *d, char *err, size_t errlen)
{
	for (int rounds = 0; rounds < 3; rounds++) {
		char *colon = strchr(d->target, ':');
		size_t pl;

		if (!colon || strchr(d->target, '/') < colon)
			return 0;
		pl = (size_t)(colon - d->target);
		*colon = '\0';
		if (!strcmp(d->target, "phy") || !strcmp(d->target, "file") ||
		    !strcmp(d->target, "tap") || !strcmp(d->target, "tap2") ||
		    !strcmp(d->target, "aio")) {
			/* backend hints: raw data through the default path */
		} else if (parse_format(d->target, &d->format)) {
			return dfail(err, errlen, "unknown target prefix '%s:'",
				     d->target);
		}
		memmove(d->target, colon + 1, strlen(colon + 1) + 1);
		(void)pl;
	}
	return 0;
}

static int set_access(struct cfg_disk *d, const char *v, bool *given,
		      char *err, size_t errlen)
{
	if (!*v)
		return 0;	/* empty: the default */
	if (!strcmp(v, "ro") || !strcmp(v, "r"))
		d->readonly = true;
	else if (!strcmp(v, "rw") || !strcmp(v, "w"))
		d->readonly = false;
	else
		return dfail(err, errlen, "bad disk access '%s' (ro|rw)", v);
	*given = true;
	return 0;
}

int cfg_parse_disk(const char *spec, struct cfg_disk *d, char *err,
		   size_t errlen)
{
	bool have[4] = { false };	/* target, format, vdev, access */
	bool explicit_access = false;
	const char *p = spec;
	char item[CFG_PATH_MAX];
	int pos = 0;

	memset(d, 0, sizeof(*d));
	d->discard = true;
	while (*p) {
		const char *comma, *start;
		size_t len;
		char *eq;

		while (*p == ' ' || *p == '\t')
			p++;
		start = p;
		/* target= takes the whole rest, commas included. */
		if (!strncmp(start, "target=", 7)) {
			if (copy(d->target, sizeof(d->target), start + 7,
				 strlen(start + 7)))
				return dfail(err, errlen, "disk target too long");
			have[0] = true;
			break;
		}
		comma = strchr(start, ',');
		len = comma ? (size_t)(comma - start) : strlen(start);
		p = comma ? comma + 1 : start + len;
		if (copy(item, sizeof(item), start, len))
			return dfail(err, errlen, "disk parameter too long");
		eq = strchr(item, '=');
		if (eq) {
			const char *k = item, *v = eq + 1;

			*eq = '\0';
			if (!strcmp(k, "format")) {
				if (have[1])
					goto twice;
				have[1] = true;
				if (*v && parse_format(v, &d->format))
					return dfail(err, errlen,
						     "unknown disk format '%s'", v);
			} else if (!strcmp(k, "vdev")) {
				if (have[2])
					goto twice;
				have[2] = true;
				if (copy(d->vdev, sizeof(d->vdev), v, strlen(v)))
					return dfail(err, errlen,
						     "vdev too long");
			} else if (!strcmp(k, "access")) {
				if (have[3])
					goto twice;
				have[3] = true;
				if (set_access(d, v, &explicit_access, err,
					       errlen))
					return -EINVAL;
			} else if (!strcmp(k, "devtype")) {
				if (strcmp(v, "cdrom") && strcmp(v, "disk"))
					return dfail(err, errlen,
						     "unknown devtype '%s'", v);
				d->cdrom = !strcmp(v, "cdrom");
			} else if (!strcmp(k, "backend")) {
				if (copy(d->backend, sizeof(d->backend), v,
					 strlen(v)))
					return dfail(err, errlen,
						     "backend too long");
			} else if (!strcmp(k, "backendtype")) {
				if (strcmp(v, "phy") && strcmp(v, "qdisk") &&
				    strcmp(v, "tap") && strcmp(v, "standalone"))
					return dfail(err, errlen,
						     "unknown backendtype '%s'",
						     v);
				copy(d->backendtype, sizeof(d->backendtype), v,
				     strlen(v));
			} else if (!strcmp(k, "script")) {
				if (copy(d->script, sizeof(d->script), v,
					 strlen(v)))
					return dfail(err, errlen,
						     "script too long");
			} else {
				return dfail(err, errlen,
					     "unknown disk parameter '%s'", k);
			}
			continue;
		}
		/* Flags. */
		if (!strcmp(item, "cdrom")) {
			d->cdrom = true;
			continue;
		}
		if (!strcmp(item, "discard") || !strcmp(item, "no-discard")) {
			d->discard = item[0] == 'd';
			continue;
		}
		if (!strcmp(item, "direct-io-safe")) {
			d->direct_io_safe = true;
			continue;
		}
		if (!strcmp(item, "trusted") || !strcmp(item, "untrusted"))
			continue;
		/* Positional: the next parameter not given yet. */
		while (pos < 4 && have[pos])
			pos++;
		if (pos >= 4)
			return dfail(err, errlen,
				     "too many positional disk parameters at '%s'",
				     item);
		have[pos] = true;
		switch (pos) {
		case 0:
			strcpy(d->target, item);
			/* "phy:/dev/x,xvda,w": a prefixed target carries the
			 * format, so the next positional is the vdev. */
			{
				char *colon = strchr(item, ':');
				char *slash = strchr(item, '/');

				if (colon && (!slash || colon < slash))
					have[1] = true;
			}
			break;
		case 1:
			if (*item && parse_format(item, &d->format))
				return dfail(err, errlen,
					     "unknown disk format '%s'", item);
			break;
		case 2:
			if (copy(d->vdev, sizeof(d->vdev), item, strlen(item)))
				return dfail(err, errlen, "vdev too long");
			break;
		case 3:
			if (set_access(d, item, &explicit_access, err, errlen))
				return -EINVAL;
			break;
		}
		continue;
twice:
		return dfail(err, errlen, "disk parameter '%s' given twice",
			     item);
	}
	if (strip_prefixes(d, err, errlen))
		return -EINVAL;
	/* "hdc:cdrom", deprecated. */
	{
		char *c = strchr(d->vdev, ':');

		if (c) {
			if (strcmp(c, ":cdrom") && strcmp(c, ":disk"))
				return dfail(err, errlen, "bad vdev '%s'",
					     d->vdev);
			d->cdrom = !strcmp(c, ":cdrom");
			*c = '\0';
		}
	}
	if (!d->vdev[0])
		return dfail(err, errlen, "disk '%s' has no vdev", spec);
	if (cfg_vdev_number(d->vdev, &d->vdev_num))
		return dfail(err, errlen,
			     "bad vdev '%s' (xvdX, hdX, sdX or dNpM)", d->vdev);
	if (!d->target[0] && !d->cdrom)
		return dfail(err, errlen, "disk %s has no target", d->vdev);
	if (d->cdrom && !explicit_access)
		d->readonly = true;
	/* A relative target names a device (xl prepends /dev). */
	if (d->target[0] && d->target[0] != '/') {
		size_t l = strlen(d->target);

		if (l + 5 >= sizeof(d->target))
			return dfail(err, errlen, "disk target too long");
		memmove(d->target + 5, d->target, l + 1);
		memcpy(d->target, "/dev/", 5);
	}
	return 0;
}
